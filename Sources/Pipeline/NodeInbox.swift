import Foundation
import Preprocess

/// The DICOM node's durable queue, in its folder:
///
///     .cxr-explain/spool/   instances being received (removed at start: never answered, so the sender retries)
///     inbox/<study>/        instances received and answered Success, one file per SOP instance, by study
///     results/<study>/      what `process` writes for that study (outputs, records, report.html)
///
/// An instance is answered Success only after it is in `inbox/` (written, flushed to disk, renamed), so a
/// node killed at any moment has lost nothing it acknowledged. `<study>` is "study-" and 16 hexadecimal
/// digits of the SHA-256 of the Study Instance UID: folder names and log lines carry no identifier of the
/// patient or study.
public final class NodeInbox: @unchecked Sendable {
    public let root: String
    /// Below this much free space on the node's file system new instances are refused (out of resources).
    public let minimumFreeBytes: UInt64
    /// Larger instances are refused (out of resources) and not kept.
    public let maximumInstanceBytes: UInt64
    private let lock = NSLock()  // naming and renaming into inbox/

    public var spoolFolder: String { (root as NSString).appendingPathComponent("\(RunState.stateFolder)/spool") }
    public var inboxFolder: String { (root as NSString).appendingPathComponent("inbox") }
    public var resultsFolder: String { (root as NSString).appendingPathComponent("results") }

    public init(root: String, minimumFreeBytes: UInt64, maximumInstanceBytes: UInt64) throws {
        self.root = root; self.minimumFreeBytes = minimumFreeBytes; self.maximumInstanceBytes = maximumInstanceBytes
        let fm = FileManager.default
        for folder in [spoolFolder, inboxFolder, resultsFolder] { try fm.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        for name in (try? fm.contentsOfDirectory(atPath: spoolFolder)) ?? [] {
            try? fm.removeItem(atPath: (spoolFolder as NSString).appendingPathComponent(name))
        }
    }

    /// PS3.7 C.4.2 statuses the node answers with.
    public enum Status {
        public static let success: UInt16 = 0x0000
        public static let outOfResources: UInt16 = 0xA700
        /// "Error: Cannot understand" (the data set is not DICOM the reader can parse).
        public static let cannotUnderstand: UInt16 = 0xC000
        /// "Error: Data Set does not match SOP Class" (no study, or another instance than announced).
        public static let dataSetMismatch: UInt16 = 0xA900
    }

    /// Free bytes on the node's file system.
    public var freeBytes: UInt64 {
        var s = statvfs()
        guard statvfs(root, &s) == 0 else { return 0 }
        return UInt64(s.f_bavail) * UInt64(s.f_frsize)
    }

    /// A new spool path for an instance about to be received, or nil when free space is below the limit.
    public func spoolPath() -> String? {
        guard freeBytes >= minimumFreeBytes else { return nil }
        return (spoolFolder as NSString).appendingPathComponent(UUID().uuidString + ".part")
    }

    public enum Arrival: Sendable, Equatable {
        /// In the inbox (or already there, byte for byte: `duplicate`).
        case queued(study: String, file: String, duplicate: Bool)
        case refused(status: UInt16, reason: String)
    }

    /// Takes a received instance from the spool into `inbox/<study>/`: checks it parses, names the announced
    /// instance and has a study; flushes it to disk and renames it into place. The spool file is gone afterwards.
    public func accept(spooled path: String, sopInstanceUID announced: String) -> Arrival {
        defer { unlink(path) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value ?? 0
        guard size <= maximumInstanceBytes else {
            return .refused(status: Status.outOfResources, reason: "instance of \(size) bytes is larger than the limit of \(maximumInstanceBytes)")
        }
        let studyUID: String, instanceUID: String
        do {
            let file = try DICOMFile(path: path)
            guard let study = file.text("StudyInstanceUID"), !study.isEmpty else {
                return .refused(status: Status.dataSetMismatch, reason: "no Study Instance UID")
            }
            instanceUID = file.text("SOPInstanceUID") ?? ""
            guard instanceUID == announced else {
                return .refused(status: Status.dataSetMismatch, reason: "SOP Instance UID in the data set differs from the request's")
            }
            studyUID = study
        } catch {
            return .refused(status: Status.cannotUnderstand, reason: "not readable as DICOM (\(error))")
        }
        let study = Self.studyFolderName(studyUID)
        let folder = (inboxFolder as NSString).appendingPathComponent(study)
        let digest: String
        do { digest = try Digest.sha256Hex(ofFileAt: path) } catch {
            return .refused(status: Status.outOfResources, reason: "cannot read the received file back (\(error))")
        }
        lock.lock(); defer { lock.unlock() }
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            return .refused(status: Status.outOfResources, reason: "cannot create the study folder (\(FileSystemReason.of(error)))")
        }
        // One file per instance. The same instance sent again with the same bytes is a duplicate; with other
        // bytes (a corrected image under the same UID) it is kept beside the first, named by its content.
        let base = Self.isSafeUID(instanceUID) ? instanceUID : "instance-" + digest.prefix(16)
        var name = base + ".dcm"
        let existing = (folder as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: existing) {
            if (try? Digest.sha256Hex(ofFileAt: existing)) == digest { return .queued(study: study, file: name, duplicate: true) }
            name = base + "-" + digest.prefix(12) + ".dcm"
            if FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(name)) {
                return .queued(study: study, file: name, duplicate: true)
            }
        }
        guard Self.flush(path), rename(path, (folder as NSString).appendingPathComponent(name)) == 0, Self.flush(folder) else {
            return .refused(status: Status.outOfResources, reason: "cannot move the instance into the inbox (\(String(cString: strerror(errno))))")
        }
        return .queued(study: study, file: name, duplicate: false)
    }

    /// A study waiting in the inbox: its files and when the last one arrived.
    public struct Study: Sendable, Equatable {
        public var name: String
        public var files: [String]
        public var lastArrival: Date
        public var folder: String
    }

    public func studies() -> [Study] {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: inboxFolder)) ?? []).sorted().compactMap { name in
            let folder = (inboxFolder as NSString).appendingPathComponent(name)
            let files = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".dcm") }.sorted()
            guard !files.isEmpty else { return nil }
            let last = files.compactMap { try? fm.attributesOfItem(atPath: (folder as NSString).appendingPathComponent($0))[.modificationDate] as? Date }.max()
            return Study(name: name, files: files, lastArrival: last ?? .distantPast, folder: folder)
        }
    }

    public static func studyFolderName(_ studyInstanceUID: String) -> String {
        "study-" + Digest.hex(Digest.sha256(Array(studyInstanceUID.utf8))).prefix(16)
    }

    /// A UID usable as a file name: digits and dots, at most 64 characters.
    static func isSafeUID(_ uid: String) -> Bool {
        !uid.isEmpty && uid.utf8.count <= 64 && uid.allSatisfy { $0 == "." || $0.isASCII && $0.isNumber } && !uid.hasPrefix(".")
    }

    /// fsync(2) of a file or folder: what is renamed into the inbox is on disk before it is acknowledged.
    static func flush(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return fsync(fd) == 0
    }
}
