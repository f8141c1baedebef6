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

/// The view classes, in the model's output order.
public enum ViewClass: Int, Sendable, CaseIterable, Codable {
    case pa = 0
    case lateral = 1

    public var name: String { self == .pa ? "PA" : "L" }

    /// Accepts the dataset spellings: PA, L, LAT, LATERAL, LL, RL (case-insensitive).
    public init?(label: String) {
        switch label.uppercased() {
        case "PA": self = .pa
        case "L", "LAT", "LATERAL", "LL", "RL": self = .lateral
        default: return nil
        }
    }
}

public enum DatasetError: Error, CustomStringConvertible, Sendable {
    case notFound(path: String)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let p): return "\(p): no such dataset (a folder with PA/ and L/, or a MANIFEST.tsv)"
        case .malformed(let p, let r): return "\(p): \(r)"
        }
    }
}

/// A dataset: class folders (`PA/`, `L/`, as MATLAB's imageDatastore) or a `MANIFEST.tsv` with
/// `file` and `label` columns (and `patient_id` for patient-wise splits).
public struct Dataset: Sendable {
    public var images: [LabeledImage]
    public var source: String

    public init(images: [LabeledImage], source: String) {
        self.images = images
        self.source = source
    }

    public static func load(_ path: String) throws -> Dataset {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw DatasetError.notFound(path: path) }
        if !isDir.boolValue { return try loadManifest(path) }
        let manifest = (path as NSString).appendingPathComponent("MANIFEST.tsv")
        if FileManager.default.fileExists(atPath: manifest) { return try loadManifest(manifest) }
        return try loadFolders(path)
    }

    static func loadManifest(_ path: String) throws -> Dataset {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw DatasetError.notFound(path: path) }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard !lines.isEmpty else { throw DatasetError.malformed(path: path, reason: "empty manifest") }
        let header = lines.removeFirst().split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard let fileColumn = header.firstIndex(of: "file"), let labelColumn = header.firstIndex(of: "label") else {
            throw DatasetError.malformed(path: path, reason: "manifest needs 'file' and 'label' columns")
        }
        let patientColumn = header.firstIndex(of: "patient_id")
        let base = (path as NSString).deletingLastPathComponent
        var images: [LabeledImage] = []
        for (number, line) in lines.enumerated() {
            let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cells.count > max(fileColumn, labelColumn) else {
                throw DatasetError.malformed(path: path, reason: "line \(number + 2) has too few columns")
            }
            guard let label = ViewClass(label: cells[labelColumn]) else {
                throw DatasetError.malformed(path: path, reason: "line \(number + 2): unknown label '\(cells[labelColumn])'")
            }
            let file = cells[fileColumn].hasPrefix("/") ? cells[fileColumn] : (base as NSString).appendingPathComponent(cells[fileColumn])
            let patient = patientColumn.flatMap { $0 < cells.count ? cells[$0] : nil }.flatMap { $0.isEmpty ? nil : $0 } ?? file
            images.append(LabeledImage(path: file, label: label.rawValue, patientID: patient))
        }
        return Dataset(images: images, source: path)
    }

    static func loadFolders(_ path: String) throws -> Dataset {
        var images: [LabeledImage] = []
        let fm = FileManager.default
        for folder in (try? fm.contentsOfDirectory(atPath: path))?.sorted() ?? [] {
            guard let label = ViewClass(label: folder) else { continue }
            let dir = (path as NSString).appendingPathComponent(folder)
            for file in (try? fm.contentsOfDirectory(atPath: dir))?.sorted() ?? [] where !file.hasPrefix(".") {
                let full = (dir as NSString).appendingPathComponent(file)
                // Without patient ids every image is its own patient.
                images.append(LabeledImage(path: full, label: label.rawValue, patientID: full))
            }
        }
        guard !images.isEmpty else { throw DatasetError.malformed(path: path, reason: "no PA/ or L/ folders with images") }
        return Dataset(images: images, source: path)
    }

    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: ViewClass.allCases.count)
        for i in images { counts[i.label] += 1 }
        return counts
    }

    /// Patient-wise folds: patients are shuffled with the seed and dealt to folds per class of their
    /// first image (so each fold has both classes), never splitting a patient.
    public func patientFolds(_ k: Int, seed: UInt64) -> [[Int]] {
        var byPatient: [String: [Int]] = [:]
        for (i, image) in images.enumerated() { byPatient[image.patientID, default: []].append(i) }
        var patients = byPatient.keys.sorted()
        var rng = SplitMix64(seed: seed)
        patients.shuffle(using: &rng)
        // Patients with a lateral first: the rare class is dealt evenly before the common one.
        let hasLateral = { (p: String) in byPatient[p]!.contains { self.images[$0].label == ViewClass.lateral.rawValue } }
        patients = patients.filter(hasLateral) + patients.filter { !hasLateral($0) }
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

    public func subset(_ indices: [Int]) -> Dataset { Dataset(images: indices.map { images[$0] }, source: source) }

    /// SHA-256 over the sorted (file name, label, patient) lines: identifies the data a model saw.
    public var digest: String {
        let lines = images.map { "\(($0.path as NSString).lastPathComponent)\t\($0.label)\t\($0.patientID)" }.sorted().joined(separator: "\n")
        return Digest.hex(Digest.sha256(Array(lines.utf8)))
    }
}
