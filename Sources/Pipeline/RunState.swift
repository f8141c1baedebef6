import Foundation
import Preprocess

/// The run's memory under `--out/.cxr-explain/records/`: one JSON record per input, written under a
/// temporary name and renamed, so a killed run leaves whole records only. A rerun skips an input whose
/// record says done for the same content and settings, with every output still present.
public struct RunState: Sendable {
    /// The hidden folder in an output folder where a run, a plan or the node keep their state; its presence
    /// marks a results folder (which the input walker leaves alone).
    public static let stateFolder = ".cxr-explain"

    public let root: String
    public var recordsFolder: String { (root as NSString).appendingPathComponent("\(Self.stateFolder)/records") }

    public init(root: String) { self.root = root }

    func recordPath(_ relativePath: String) -> String {
        (recordsFolder as NSString).appendingPathComponent(Digest.hex(Digest.sha1(Array(relativePath.utf8))) + ".json")
    }

    public func load(_ relativePath: String) -> ImageRecord? {
        guard let data = FileManager.default.contents(atPath: recordPath(relativePath)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(ImageRecord.self, from: data)
    }

    public func save(_ record: ImageRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try AtomicFile.write(try encoder.encode(record), to: recordPath(record.relativePath))
    }

    /// True when `record` is finished work (done or skipped) for this content and these settings, and its outputs exist.
    public func isFinished(_ record: ImageRecord?, inputSHA256: String, settingsDigest: String) -> Bool {
        guard let record, record.status != .failed, record.inputSHA256 == inputSHA256, record.settingsDigest == settingsDigest else { return false }
        let fm = FileManager.default
        for o in record.outputs where !fm.fileExists(atPath: o.path.hasPrefix("/") ? o.path : (root as NSString).appendingPathComponent(o.path)) { return false }
        for t in record.thumbnails.values where !fm.fileExists(atPath: (root as NSString).appendingPathComponent(t)) { return false }
        return true
    }

    /// Removes temporary files a killed run left behind (`.<name>.tmp-<pid>` from our writers); returns how many.
    /// With `owned` (a shard), only those of this shard's inputs: in their output folders and their records, so
    /// shards running at once into one folder never remove each other's files in flight.
    @discardableResult
    public func removeStaleTemporaries(owned: [InputFile]? = nil) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return 0 }
        let folders = owned.map { Set($0.map { ($0.relativePath as NSString).deletingLastPathComponent }) }
        let records = owned.map { Set($0.map { (recordPath($0.relativePath) as NSString).lastPathComponent }) }
        var removed = 0
        for case let rel as String in walker where AtomicFile.isTemporaryName((rel as NSString).lastPathComponent) {
            if let folders, let records {
                let folder = (rel as NSString).deletingLastPathComponent
                let name = (rel as NSString).lastPathComponent
                // ".<record>.tmp-<pid>" → "<record>"
                let recordName = name.dropFirst().prefix(upTo: name.range(of: ".tmp-", options: .backwards)!.lowerBound)
                let ownRecord = folder == "\(Self.stateFolder)/records" && records.contains(String(recordName))
                guard ownRecord || folders.contains(folder) else { continue }
            }
            if unlink((root as NSString).appendingPathComponent(rel)) == 0 { removed += 1 }
        }
        return removed
    }

    /// Every record under the output folder (all runs and shards that wrote into it), by relative path.
    public func loadAll() -> [ImageRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: recordsFolder)) ?? []
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.compactMap { name in
            FileManager.default.contents(atPath: (recordsFolder as NSString).appendingPathComponent(name))
                .flatMap { try? decoder.decode(ImageRecord.self, from: $0) }
        }.sorted { $0.relativePath < $1.relativePath }
    }

    /// The run's parameters, kept beside the records so `report` can merge shards without the command line.
    public var parametersPath: String { (root as NSString).appendingPathComponent("\(Self.stateFolder)/parameters.json") }

}

/// Whole-file writes: a temporary name beside the destination, then `rename(2)`.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = (folder as NSString).appendingPathComponent("." + (path as NSString).lastPathComponent + ".tmp-\(getpid())")
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "cannot rename into place: \(reason)"])
        }
    }

    /// Names our writers give temporary files: `….tmp-<digits>`.
    public static func isTemporaryName(_ name: String) -> Bool {
        guard let r = name.range(of: ".tmp-", options: .backwards) else { return false }
        let tail = name[r.upperBound...]
        return !tail.isEmpty && tail.allSatisfy(\.isNumber)
    }
}
