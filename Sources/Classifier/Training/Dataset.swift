import TensorEngine
import Foundation
import Preprocess

/// One labelled image. The path is only used to read pixels; it never reaches the model.
public struct LabeledImage: Sendable, Equatable, Codable {
    public var path: String
    public var label: Int
    public var patientID: String

    public init(path: String, label: Int, patientID: String) {
        self.path = path
        self.label = label
        self.patientID = patientID
    }
}

public enum DatasetError: Error, CustomStringConvertible, Sendable {
    case notFound(path: String)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let p): return "\(p): no such dataset (a folder with PA/, AP/ and L/, a MANIFEST.tsv or a PadChest CSV)"
        case .malformed(let p, let r): return "\(p): \(r)"
        }
    }
}

/// A dataset: class folders (`PA/`, `AP/`, `L/`, as MATLAB's imageDatastore), a `MANIFEST.tsv` with `file`
/// and `label` columns (and `patient_id` for patient-wise splits), or PadChest's label CSV (see `PadChestLabels`).
/// Labels are read as views (`RadiographView(label:)`); the classes are the views found, in the order of
/// `RadiographView.known` (PA, AP, L), laterals of either side being one class `L`.
public struct Dataset: Sendable {
    public var images: [LabeledImage]
    public var classes: [RadiographView]
    public var source: String
    /// Rows left out, by reason (PadChest's COSTAL and EXCLUDE projections, say).
    public var skipped: [String: Int] = [:]

    public init(images: [LabeledImage], classes: [RadiographView], source: String) {
        self.images = images
        self.classes = classes
        self.source = source
    }

    /// Loads a dataset; `images` is the image root for a PadChest CSV.
    public static func load(_ path: String, images root: String? = nil) throws -> Dataset {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw DatasetError.notFound(path: path) }
        if !isDir.boolValue {
            if path.lowercased().hasSuffix(".csv") { return try PadChestLabels.load(csv: path, images: root) }
            return try loadManifest(path)
        }
        let manifest = (path as NSString).appendingPathComponent("MANIFEST.tsv")
        if FileManager.default.fileExists(atPath: manifest) { return try loadManifest(manifest) }
        return try loadFolders(path)
    }

    /// The class a label names: laterals of either side are one class.
    static func classView(label: String) -> RadiographView? {
        guard let v = RadiographView(label: label) else { return nil }
        return v.family == .lateral ? .lateral : v
    }

    /// A dataset from (path, label view, patient) rows: classes in the known order.
    static func make(_ rows: [(path: String, view: RadiographView, patient: String)], source: String) -> Dataset {
        let present = Set(rows.map(\.view.name))
        let classes = RadiographView.known.filter { present.contains($0.name) }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($0.element.name, $0.offset) })
        return Dataset(images: rows.map { LabeledImage(path: $0.path, label: index[$0.view.name]!, patientID: $0.patient) },
                       classes: classes, source: source)
    }

    static func loadManifest(_ path: String) throws -> Dataset {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw DatasetError.notFound(path: path) }
        // Split on any line break: a manifest saved on Windows ends its lines with CR LF, which Swift reads as
        // one Character that is not "\n".
        var lines = text.split(whereSeparator: \.isNewline).map { String($0).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !lines.isEmpty else { throw DatasetError.malformed(path: path, reason: "empty manifest") }
        let header = lines.removeFirst().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard let fileColumn = header.firstIndex(of: "file"), let labelColumn = header.firstIndex(of: "label") else {
            throw DatasetError.malformed(path: path, reason: "manifest needs 'file' and 'label' columns")
        }
        let patientColumn = header.firstIndex(of: "patient_id")
        let base = (path as NSString).deletingLastPathComponent
        var rows: [(path: String, view: RadiographView, patient: String)] = []
        for (number, line) in lines.enumerated() {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cells.count > max(fileColumn, labelColumn) else {
                throw DatasetError.malformed(path: path, reason: "line \(number + 2) has too few columns")
            }
            guard let view = classView(label: cells[labelColumn]) else {
                throw DatasetError.malformed(path: path, reason: "line \(number + 2): unknown label '\(cells[labelColumn])'")
            }
            let file = cells[fileColumn].hasPrefix("/") ? cells[fileColumn] : (base as NSString).appendingPathComponent(cells[fileColumn])
            let patient = patientColumn.flatMap { $0 < cells.count ? cells[$0] : nil }.flatMap { $0.isEmpty ? nil : $0 } ?? file
            rows.append((file, view, patient))
        }
        guard !rows.isEmpty else { throw DatasetError.malformed(path: path, reason: "the manifest lists no images (only its header)") }
        return make(rows, source: path)
    }

    static func loadFolders(_ path: String) throws -> Dataset {
        var rows: [(path: String, view: RadiographView, patient: String)] = []
        let fm = FileManager.default
        for folder in (try? fm.contentsOfDirectory(atPath: path))?.sorted() ?? [] {
            guard let view = classView(label: folder) else { continue }
            let dir = (path as NSString).appendingPathComponent(folder)
            for file in (try? fm.contentsOfDirectory(atPath: dir))?.sorted() ?? [] where !file.hasPrefix(".") {
                let full = (dir as NSString).appendingPathComponent(file)
                // Without patient ids every image is its own patient.
                rows.append((full, view, full))
            }
        }
        guard !rows.isEmpty else { throw DatasetError.malformed(path: path, reason: "no PA/, AP/ or L/ folders with images") }
        return make(rows, source: path)
    }

    /// This dataset's labels as indices into `classes` (a model's class list): fails on a label the model lacks.
    public func relabelled(to classes: [RadiographView]) throws -> Dataset {
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($0.element.name, $0.offset) })
        var out = self
        out.classes = classes
        for i in out.images.indices {
            let name = self.classes[images[i].label].name
            guard let k = index[name] else {
                throw DatasetError.malformed(path: source, reason: "label \(name) is not a class of the model (\(classes.map(\.name).joined(separator: ", ")))")
            }
            out.images[i].label = k
        }
        return out
    }

    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classes.count)
        for i in images { counts[i.label] += 1 }
        return counts
    }

    /// Patient-wise folds: patients are shuffled with the seed and dealt to folds per class of their
    /// first image (so each fold has both classes), never splitting a patient.
    /// For each image, the index of its fold in `folds` (as `patientFolds` makes them).
    public static func foldOfImage(_ folds: [[Int]], count: Int) -> [Int] {
        var fold = [Int](repeating: 0, count: count)
        for (f, members) in folds.enumerated() { for i in members { fold[i] = f } }
        return fold
    }

    public func patientFolds(_ k: Int, seed: UInt64) -> [[Int]] {
        var byPatient: [String: [Int]] = [:]
        for (i, image) in images.enumerated() { byPatient[image.patientID, default: []].append(i) }
        var patients = byPatient.keys.sorted()
        var rng = SplitMix64(seed: seed)
        patients.shuffle(using: &rng)
        // Patients are dealt rarest class first (by the rarest class among their images), so that each
        // fold has every class.
        let counts = classCounts
        let rarity = { (p: String) in byPatient[p]!.map { counts[self.images[$0].label] }.min()! }
        patients = patients.enumerated().sorted { (rarity($0.element), $0.offset) < (rarity($1.element), $1.offset) }.map(\.element)
        var folds = [[Int]](repeating: [], count: k)
        for (i, p) in patients.enumerated() { folds[i % k] += byPatient[p]! }
        return folds.map { $0.sorted() }
    }

    /// A patient-wise train/validation split with about `fraction` of the patients held out.
    public func patientSplit(validationFraction fraction: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
        let k = max(2, Int((1 / fraction).rounded()))
        let folds = patientFolds(k, seed: seed)
        return (folds.dropFirst().flatMap { $0 }.sorted(), folds[0])
    }

    public func subset(_ indices: [Int]) -> Dataset { Dataset(images: indices.map { images[$0] }, classes: classes, source: source) }

    /// SHA-256 over the sorted (file name, label, patient) lines: identifies the data a model saw.
    public var digest: String {
        let lines = images.map { "\(($0.path as NSString).lastPathComponent)\t\(classes[$0.label].name)\t\($0.patientID)" }.sorted().joined(separator: "\n")
        return Digest.hex(Digest.sha256(Array(lines.utf8)))
    }
}
