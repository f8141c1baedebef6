import Foundation
import Preprocess

/// The run's memory under `--out/.cxr-explain/records/`: one JSON record per input, written under a
/// temporary name and renamed, so a killed run leaves whole records only. A rerun skips an input whose
/// record says done for the same content and settings, with every output still present.
public struct RunState: Sendable {
    public let root: String
    public var recordsFolder: String { (root as NSString).appendingPathComponent(".cxr-explain/records") }

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

    /// Removes temporary files a killed run left behind (`*.tmp-<pid>` from our writers); returns how many.
    @discardableResult
    public func removeStaleTemporaries() -> Int {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return 0 }
        var removed = 0
        for case let rel as String in walker where AtomicFile.isTemporaryName((rel as NSString).lastPathComponent) {
            if unlink((root as NSString).appendingPathComponent(rel)) == 0 { removed += 1 }
        }
        return removed
    }
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
