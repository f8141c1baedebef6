import Foundation
import Preprocess

/// PadChest's label CSV (`PADCHEST_chest_x_ray_images_labels_160K_01.02.19.csv`): ImageID, ImageDir,
/// PatientID, Projection, … Projections PA → PA, AP and AP_horizontal (supine) → AP, L → L; COSTAL,
/// EXCLUDE and anything else are skipped and counted. Images are looked for at `images/ImageDir/ImageID`,
/// then `images/ImageID` (a flattened copy); rows whose image is in neither are skipped and counted.
public enum PadChestLabels {
    public static func load(csv path: String, images root: String?) throws -> Dataset {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw DatasetError.notFound(path: path) }
        var rows = CSV.rows(text)
        guard !rows.isEmpty else { throw DatasetError.malformed(path: path, reason: "empty CSV") }
        let header = rows.removeFirst()
        func column(_ name: String) throws -> Int {
            guard let i = header.firstIndex(of: name) else {
                throw DatasetError.malformed(path: path, reason: "PadChest CSV needs an '\(name)' column (has \(header.joined(separator: ", ")))")
            }
            return i
        }
        let id = try column("ImageID"), projection = try column("Projection"), patient = try column("PatientID")
        let dir = header.firstIndex(of: "ImageDir")
        let base = root ?? (path as NSString).deletingLastPathComponent
        let fm = FileManager.default
        var found: [(path: String, view: RadiographView, patient: String)] = []
        var skipped: [String: Int] = [:], missing: [String] = []
        for (number, cells) in rows.enumerated() {
            guard cells.count > max(id, projection, patient) else {
                throw DatasetError.malformed(path: path, reason: "line \(number + 2) has too few columns")
            }
            let view: RadiographView
            switch cells[projection].trimmingCharacters(in: .whitespaces).uppercased() {
            case "PA": view = .pa
            case "AP", "AP_HORIZONTAL": view = .ap
            case "L": view = .lateral
            case let other: skipped["projection \(other.isEmpty ? "(empty)" : other)", default: 0] += 1; continue
            }
            var candidates = [(base as NSString).appendingPathComponent(cells[id])]
            if let dir, dir < cells.count, !cells[dir].isEmpty {
                candidates.insert(((base as NSString).appendingPathComponent(cells[dir]) as NSString).appendingPathComponent(cells[id]), at: 0)
            }
            guard let file = candidates.first(where: { fm.fileExists(atPath: $0) }) else {
                missing.append(candidates[0]); continue
            }
            found.append((file, view, cells[patient].isEmpty ? file : "padchest-" + cells[patient]))
        }
        if !missing.isEmpty {  // named, so a wrong --images or ImageDir shows at once
            skipped["image not found (\(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", …" : ""))"] = missing.count
        }
        guard !found.isEmpty else {
            throw DatasetError.malformed(path: path, reason: "no PA, AP, AP_horizontal or L row with an image under \(base)")
        }
        var data = Dataset.make(found, source: path)
        data.skipped = skipped
        return data
    }
}

/// RFC 4180 CSV: commas, double-quoted fields with "" for a quote and line breaks inside quotes
/// (PadChest's label lists are quoted and hold commas).
enum CSV {
    static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { field.unicodeScalars.append(c) }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": row.append(field); field = ""
            case "\r": break
            case "\n": row.append(field); field = ""; if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }; row = []
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
