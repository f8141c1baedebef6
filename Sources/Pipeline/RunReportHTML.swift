import Explain
import Foundation

extension RunReport {
    /// One HTML file; thumbnails are PNGs beside it in `report-files/`. No scripts from elsewhere; pages of 100 cards built from JSON data.
    public func html() -> String {
        let s = summary
        let methods = parameters.methods
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>CXRExplain report</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d1d1f;background:#fafafa}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
        .muted{color:#666;font-size:13px}
        .counts{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
        .count{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:90px}
        .count b{display:block;font-size:24px}
        .filters button{font-size:14px;margin-right:6px;padding:5px 12px;border:1px solid #bbb;border-radius:16px;background:#fff;cursor:pointer}
        .filters button.on{background:#1d1d1f;color:#fff;border-color:#1d1d1f}
        .pager{margin-top:12px}.pager button{font-size:13px;padding:4px 10px;border:1px solid #bbb;border-radius:6px;background:#fff;cursor:pointer}
        .pager button:disabled{opacity:.4;cursor:default}
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(\(150 * (methods.count + 1) + 40)px,1fr));gap:14px;margin-top:14px}
        .card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px;overflow-wrap:anywhere}
        .card.disagree{border-color:#d9822b;border-width:2px}.card.uncertain{border-color:#8e44ad;border-width:2px}
        .card.failed{border-color:#c0392b;border-width:2px}
        .walk.failed{background:#fff;border:2px solid #c0392b;border-radius:8px;padding:6px 12px;font-size:13px;margin:8px 0}
        .thumbs{display:flex;gap:6px}.thumbs figure{margin:0;text-align:center;font-size:12px;color:#555}
        .thumbs img{width:150px;height:150px;image-rendering:auto;border-radius:4px;background:#000}
        .name{font-weight:600;font-size:13px;word-break:break-all}
        .tag{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;margin-right:4px;background:#eee}
        .card.skipped{border-color:#7f8c8d;border-style:dashed}
        .tag.PA{background:#d6eaf8}.tag.AP{background:#fcf3cf}.tag.L{background:#d5f5e3}.tag.uncertain{background:#e8daef}.tag.disagree{background:#fdebd0}
        .tag.skipped{background:#e5e7e9}
        .tag.failed{background:#fadbd8}
        table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px 3px 0;text-align:left;vertical-align:top}
        pre{background:#fff;border:1px solid #ddd;padding:10px;font-size:12px;white-space:pre-wrap}
        </style></head><body>
        <h1>CXRExplain report</h1>
        <div class="muted">\(Self.escape("\(parameters.version) · model \(URL(fileURLWithPath: parameters.model).lastPathComponent) (sha256 \(parameters.modelSHA256.prefix(12))…) · methods \(methods.joined(separator: ", "))"))</div>
        <div class="counts">
        """
        let viewCounts = parameters.classes.map { ($0, s.views[$0, default: 0]) }
        for (label, n) in [("images", s.images)] + viewCounts + [("frontal, AP/PA uncertain", s.frontalUncertain), ("uncertain", s.uncertain),
                           ("skipped (not a chest radiograph or not an image)", s.skipped), ("disagree with header", s.disagreements), ("failed", s.failures)] {
            h += "<div class=\"count\"><b>\(n)</b>\(label)</div>"
        }
        h += "</div>\n"
        // What the walk could not read is a failure no image card shows; what it left out on purpose is said too.
        if let errors = parameters.walkErrors, !errors.isEmpty {
            h += "<div class=\"walk failed\"><b>Not read (\(errors.count)):</b><ul>" + errors.map { "<li>\(Self.escape($0))</li>" }.joined() + "</ul></div>\n"
        }
        if let notes = parameters.walkNotes, !notes.isEmpty {
            h += "<div class=\"muted\">Left out of the walk:<ul>" + notes.map { "<li>\(Self.escape($0))</li>" }.joined() + "</ul></div>\n"
        }
        for sending in [sending, stowing].compactMap({ $0 }) {
            let how = sending.callingAET == "STOW-RS" ? "by STOW-RS" : "as \(Self.escape(sending.callingAET))"
            h += "<div class=\"muted\">Sent to \(Self.escape(sending.peer)) \(how): \(sending.stored) objects stored, \(sending.notStored) not stored"
            if let error = sending.error { h += " (\(Self.escape(error)))" }
            h += "</div>\n"
            // A transfer that stopped is the one line above; objects the PACS refused are listed.
            let failed = sending.objects.filter { !$0.stored && (sending.error == nil || $0.status != nil || $0.message.hasPrefix("not sendable")) }
            if !failed.isEmpty {
                h += "<ul class=\"muted\">" + failed.map { "<li>\(Self.escape($0.path)): \(Self.escape($0.message))</li>" }.joined() + "</ul>\n"
            }
        }
        // Pages of 100 cards: the cards are data (a JSON array of [classes, HTML], parsed in milliseconds) and only
        // the page's hundred become elements, so a report of 10 000 images opens about as fast as one of 100;
        // filters and counts cover the whole run.
        let filters: [(String, String, Int)] = [("all", "All", records.count), ("uncertain", "Uncertain", records.filter(Self.isUncertain).count),
                                                ("skipped", "Skipped", s.skipped), ("disagree", "Disagree with header", records.filter { $0.agreement == "disagree" }.count),
                                                ("failed", "Failed", s.failures)]
        h += "<div class=\"filters\">" + filters.map { key, label, n in
            "<button\(key == "all" ? " class=\"on\"" : "") data-f=\"\(key)\">\(label) (\(n))</button>"
        }.joined() + "</div>\n"
        h += """
        <div class="pager"><button id="prev">‹ Previous</button> <span id="page" class="muted"></span> <button id="next">Next ›</button></div>
        <div class="grid" id="grid"></div>
        <noscript><p class="muted">The image cards need JavaScript; results.csv and results.json list every image.</p></noscript>
        <script id="cards" type="application/json">
        """
        // JSONEncoder writes "/" as "\/", so no "</script" can end the block early; "<!--" is escaped too.
        let cards = records.map { [Self.cardClasses($0).joined(separator: " "), card($0, methods: methods)] }
        let json = (try? JSONEncoder().encode(cards)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        h += json.replacingOccurrences(of: "<!--", with: "\\u003c!--")
        h += "</script>\n<h2>Run parameters</h2><table>"
        let rows: [(String, String)] = [
            ("inputs", parameters.inputs.joined(separator: ", ")), ("output", parameters.output),
            ("model", "\(parameters.model) (sha256 \(parameters.modelSHA256))"), ("thresholds", parameters.threshold),
            ("decision", parameters.decision ?? "the network"),
            ("burned-in markers", parameters.markers ?? "not read"),
            ("methods", parameters.methodParameters.joined(separator: "; ")), ("settings digest", parameters.settingsDigest),
            ("patient data shown", parameters.showPHI ? "yes (--show-phi)" : "no"),
        ]
        for (k, v) in rows { h += "<tr><th>\(Self.escape(k))</th><td>\(Self.escape(v))</td></tr>" }
        h += "</table>\n"
        if let modelCard { h += "<h2>Model card</h2><pre>\(Self.escape(modelCard))</pre>\n" }
        h += """
        <script>
        const cards = JSON.parse(document.getElementById('cards').textContent), perPage = 100;
        let filter = 'all', page = 0;
        function render() {
          const shown = filter === 'all' ? cards : cards.filter(c => c[0].split(' ').includes(filter));
          const pages = Math.max(1, Math.ceil(shown.length / perPage));
          page = Math.max(0, Math.min(page, pages - 1));
          document.getElementById('grid').innerHTML = shown.slice(page * perPage, (page + 1) * perPage).map(c => c[1]).join('');
          document.getElementById('page').textContent = `page ${page + 1} of ${pages} · ${shown.length} images`;
          document.getElementById('prev').disabled = page === 0;
          document.getElementById('next').disabled = page >= pages - 1;
        }
        document.querySelectorAll('.filters button').forEach(b => b.addEventListener('click', () => {
          document.querySelectorAll('.filters button').forEach(x => x.classList.toggle('on', x === b));
          filter = b.dataset.f; page = 0; render();
        }));
        document.getElementById('prev').addEventListener('click', () => { page -= 1; render(); window.scrollTo(0, 0); });
        document.getElementById('next').addEventListener('click', () => { page += 1; render(); window.scrollTo(0, 0); });
        render();
        </script>
        </body></html>

        """
        return h
    }

    static func isUncertain(_ r: ImageRecord) -> Bool { r.status == .done && r.view == nil }

    static func cardClasses(_ r: ImageRecord) -> [String] {
        var classes = ["card"]
        if r.status == .failed { classes.append("failed") }
        if r.status == .skipped { classes.append("skipped") }
        if Self.isUncertain(r) { classes.append("uncertain") }
        if r.agreement == "disagree" { classes.append("disagree") }
        return classes
    }

    func card(_ r: ImageRecord, methods: [String]) -> String {
        var c = "<div class=\"\(Self.cardClasses(r).joined(separator: " "))\"><div class=\"name\">\(Self.escape(r.relativePath))</div>"
        if r.status == .failed {
            return c + "<div><span class=\"tag failed\">failed</span> \(Self.escape(r.error ?? ""))</div></div>\n"
        }
        if r.status == .skipped {
            return c + "<div><span class=\"tag skipped\">skipped</span> \(Self.escape(r.skipReason ?? "")) · no view written</div></div>\n"
        }
        c += "<div class=\"thumbs\">"
        for (key, label) in [("source", "image")] + methods.map({ ($0, Self.label($0)) }) {
            if let t = r.thumbnails[key] {
                c += "<figure><img src=\"\(Self.escape(Self.href(t)))\" alt=\"\(Self.escape(label))\" loading=\"lazy\"><figcaption>\(Self.escape(label))</figcaption></figure>"
            }
        }
        c += "</div><div style=\"margin-top:6px\">"
        let tag = r.view ?? "uncertain"
        let viewText = r.view ?? (r.decision == "frontal-uncertain" ? "frontal, AP/PA uncertain" : "uncertain (\(r.mostLikely ?? "?")?)")
        c += "<span class=\"tag \(Self.escape(tag))\">\(Self.escape(viewText))</span>"
        c += String(format: "p = %.4f", r.probability ?? 0)
        if let n = r.networkProbability, let p = r.probeProbability {
            c += String(format: " <span class=\"muted\">(networks %.3f, probe %.3f)</span>", n, p)
        }
        c += " · header: \(Self.escape(r.headerView ?? "none"))"
        if r.agreement == "disagree" { c += " <span class=\"tag disagree\">disagrees</span>" }
        c += " · \(Self.escape(r.headerAction.map(Self.actionText) ?? ""))"
        // Why no view, or what the view rests on, below the line it explains.
        if r.view == nil, let reason = r.decisionReason {
            let said = r.headerAction == .uncertain  // the line above already says "no view written"
            c += "<div class=\"muted\">\(Self.escape(reason))\(said ? "" : "; no view written")</div>"
        }
        if let basis = r.basis { c += "<div class=\"muted\">\(Self.escape(r.view ?? "")) \(Self.escape(basis))</div>" }
        // The objects written for the image, linked: the SR (the standard result) first.
        let links = r.outputs.filter { !$0.path.hasPrefix("/") }.sorted { ($0.kind == .report ? 0 : 1, $0.path) < ($1.kind == .report ? 0 : 1, $1.path) }
        if !links.isEmpty {
            c += "<div class=\"muted\">" + links.map { "<a href=\"\(Self.escape(Self.href($0.path)))\">\(Self.escape($0.kind.description))</a>" }.joined(separator: " · ") + "</div>"
        }
        for w in r.warnings { c += "<div class=\"muted\">warning: \(Self.escape(w))</div>" }
        if parameters.showPHI, r.patientID != nil || r.patientName != nil {
            c += "<div class=\"muted\">patient \(Self.escape(r.patientID ?? "")) \(Self.escape(r.patientName ?? ""))</div>"
        }
        return c + "</div></div>\n"
    }

    /// What happened to the header, in words.
    static func actionText(_ action: ImageRecord.HeaderAction) -> String {
        switch action {
        case .tagged: return "view written into the header"
        case .unchanged: return "the header already says so"
        case .keptDifferent: return "header view kept (it differs; --overwrite-view replaces it)"
        case .uncertain: return "no view written"
        case .notInIOD: return "view in the SR only (this object's IOD has no view attribute)"
        case .notWrittenAnonymized: return "no tagged copy (--anonymize)"
        }
    }

    /// A method's display name; a name this version does not know (a report from elsewhere) as it is.
    static func label(_ method: String) -> String {
        ExplanationMethod(rawValue: method)?.displayName ?? method
    }
}
