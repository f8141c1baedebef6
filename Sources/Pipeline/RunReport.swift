import Foundation

/// `results.json`, `results.csv` and `report.html` for a run, written atomically into the output folder.
/// Patient names and IDs appear only when the records carry them (`--show-phi`).
public struct RunReport: Sendable {
    public struct Parameters: Sendable, Codable {
        public var inputs: [String]
        public var output: String
        public var model: String
        public var modelSHA256: String
        public var methods: [String]
        public var methodParameters: [String]
        /// The thresholds in force (the model's per class unless --threshold), in words.
        public var threshold: String
        /// The model's classes in output order.
        public var classes: [String]
        public var settingsDigest: String
        public var version: String
        public var showPHI: Bool
        /// Whether burned-in markers were read, in words (nil in results of earlier versions).
        public var markers: String?
        /// What the decision is made of (`ModelFile.decisionSummary`; nil in results of earlier versions).
        public var decision: String?
        /// Paths the walk of the inputs could not read (failures), and what it left out on purpose (links not
        /// followed, results folders, inputs reached twice), one line each; nil in results of earlier versions.
        public var walkErrors: [String]?
        public var walkNotes: [String]?
        /// The inputs as absolute paths: an output folder holds the results of one set of inputs (its outputs are
        /// named from their relative paths), so `process` refuses to add other inputs' results to it. Nil in
        /// results of earlier versions.
        public var inputRoots: [String]?

        public init(inputs: [String], output: String, model: String, modelSHA256: String, methods: [String], methodParameters: [String],
                    threshold: String, classes: [String], settingsDigest: String, version: String, showPHI: Bool, markers: String? = nil,
                    decision: String? = nil, walkErrors: [String]? = nil, walkNotes: [String]? = nil) {
            self.markers = markers
            self.decision = decision
            self.walkErrors = walkErrors; self.walkNotes = walkNotes
            inputRoots = RunPlan.absolute(inputs)
            self.classes = classes
            self.inputs = inputs; self.output = output; self.model = model; self.modelSHA256 = modelSHA256; self.methods = methods
            self.methodParameters = methodParameters; self.threshold = threshold; self.settingsDigest = settingsDigest
            self.version = version; self.showPHI = showPHI
        }
    }

    public var parameters: Parameters
    public var records: [ImageRecord]
    /// The model card's text (Markdown), shown in the report.
    public var modelCard: String?
    /// `--send`: what the PACS stored.
    public var sending: SendSummary?
    /// `--stow`: what the DICOMweb service stored.
    public var stowing: SendSummary?

    public init(parameters: Parameters, records: [ImageRecord], modelCard: String?) {
        self.parameters = parameters; self.records = records; self.modelCard = modelCard
    }

    public var summary: RunSummary { RunSummary(records) }

    /// The parameters of the run whose results `out` holds, if any.
    public static func parameters(in out: String) -> Parameters? {
        FileManager.default.contents(atPath: RunState(root: out).parametersPath).flatMap { try? JSONDecoder().decode(Parameters.self, from: $0) }
    }

    public func write(to root: String) throws {
        try AtomicFile.write(try json(), to: (root as NSString).appendingPathComponent("results.json"))
        try AtomicFile.write(Data(csv().utf8), to: (root as NSString).appendingPathComponent("results.csv"))
        try AtomicFile.write(Data(html().utf8), to: (root as NSString).appendingPathComponent("report.html"))
    }

    public func json() throws -> Data {
        struct Document: Encodable { var parameters: Parameters; var summary: RunSummary; var send: SendSummary?; var stow: SendSummary?; var images: [ImageRecord] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(Document(parameters: parameters, summary: summary, send: sending, stow: stowing, images: records))
    }

    public func csv() -> String {
        var columns = ["file", "status", "decision", "view", "most_likely", "probability"] + parameters.classes.map { "p_\($0)" }
            + ["p_networks", "p_probe", "content_distance", "header_view", "agreement", "header_action", "reason"]
        if parameters.showPHI { columns += ["patient_id", "patient_name"] }
        var lines = [columns.joined(separator: ",")]
        for r in records {
            var row = [r.relativePath, r.status.rawValue, r.decision ?? "", r.view ?? "", r.mostLikely ?? "",
                       r.probability.map { String(format: "%.6f", $0) } ?? ""]
            row += parameters.classes.map { c in r.probabilities?[c].map { String(format: "%.6f", $0) } ?? "" }
            row += [r.networkProbability, r.probeProbability].map { $0.map { String(format: "%.6f", $0) } ?? "" }
            row += [r.contentDistance.map { String(format: "%.2f", $0) } ?? "", r.headerView ?? "", r.agreement ?? "",
                    r.headerAction?.rawValue ?? "", r.error ?? r.skipReason ?? r.decisionReason ?? r.basis ?? ""]
            if parameters.showPHI { row += [r.patientID ?? "", r.patientName ?? ""] }
            lines.append(row.map(Self.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it.
    static func csvField(_ s: String) -> String {
        var v = s
        if let first = v.first, "=+-@".contains(first), Double(v) == nil { v = "'" + v }
        if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A relative link to a file beside the report, each path segment percent-encoded.
    static func href(_ rel: String) -> String {
        rel.split(separator: "/").map { String($0).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? "" }
            .joined(separator: "/")
    }
}
