import DICOMBridge
import Foundation
import Preprocess

/// Editing and saving through the bridge. Paths use DCMTK's syntax ("ViewCodeSequence[0].CodeValue").
extension DICOMFile {
    /// A new, empty dataset; `name` is used in errors.
    public static func empty(name: String) -> DICOMFile {
        guard let handle = dcb_dataset_new() else { fatalError("out of memory creating a DICOM dataset") }
        return DICOMFile(handle: handle, path: name)
    }

    /// Why `value` cannot be the value of the attribute `keyword` (its VR's characters and length, the
    /// attribute's value multiplicity), or nil: the check `put` makes, for options validated before any work.
    public static func problem(putting value: String, into keyword: String) -> String? {
        do throws(DICOMWriteError) {
            try empty(name: keyword).put(keyword, value)
            return nil
        } catch {
            guard case .invalid(_, let reason) = error else { return "\(error)" }
            return reason.hasPrefix(keyword + ": ") ? String(reason.dropFirst(keyword.count + 2)) : reason
        }
    }

    /// Sets an attribute from text, creating sequences and items on the way.
    public func put(_ path: String, _ value: String) throws(DICOMWriteError) {
        var err = [CChar](repeating: 0, count: 512)
        guard dcb_put_string(handle, path, value, &err, err.count) == 0 else {
            throw .invalid(file: self.path, reason: bridgeString(err))
        }
    }

    /// Writes a value carried from a source exactly as the source has it, valid for its VR or not (a source
    /// UID with a leading-zero component is still the UID that names that source).
    public func putAsIs(_ path: String, _ value: String) throws(DICOMWriteError) {
        var err = [CChar](repeating: 0, count: 512)
        guard dcb_put_string_as_is(handle, path, value, &err, err.count) == 0 else {
            throw .invalid(file: self.path, reason: bridgeString(err))
        }
    }

    /// Replaces a UID wherever it occurs (any attribute of VR UI, at any depth); returns how many.
    @discardableResult
    public func replaceUID(_ old: String, with new: String) -> Int { dcb_replace_uid(handle, old, new) }

    /// Creates an empty attribute or sequence item (type 2 attributes that have no value).
    public func putEmpty(_ path: String) throws(DICOMWriteError) {
        var err = [CChar](repeating: 0, count: 512)
        guard dcb_put_empty(handle, path, &err, err.count) == 0 else {
            throw .invalid(file: self.path, reason: bridgeString(err))
        }
    }

    public func delete(_ path: String) { _ = dcb_delete(handle, path) }

    /// Deep-copies a top-level attribute of `source` into the item at `itemPath` ("" = top level).
    /// Returns false when the source lacks it.
    @discardableResult
    public func copy(_ tag: DICOMTag, from source: DICOMFile, into itemPath: String = "") throws(DICOMWriteError) -> Bool {
        var err = [CChar](repeating: 0, count: 512)
        let status = dcb_copy_element(handle, itemPath, source.handle, tag.group, tag.element, &err, err.count)
        if status == 10 { return false }
        guard status == 0 else { throw .invalid(file: path, reason: bridgeString(err)) }
        return true
    }

    /// Puts OB bytes (8-bit Pixel Data).
    public func putBytes(_ tag: DICOMTag, _ bytes: [UInt8]) throws(DICOMWriteError) {
        guard dcb_put_uint8_array(handle, tag.group, tag.element, bytes, bytes.count) == 0 else {
            throw .invalid(file: path, reason: "cannot set \(tag)")
        }
    }

    /// Puts OW words (16-bit Pixel Data, Overlay Data).
    public func putWords(_ tag: DICOMTag, _ words: [UInt16]) throws(DICOMWriteError) {
        guard dcb_put_uint16_array(handle, tag.group, tag.element, words, words.count) == 0 else {
            throw .invalid(file: path, reason: "cannot set \(tag)")
        }
    }

    /// Writes to a temporary file beside `destination`, then renames it into place, so that a
    /// reader never sees a partial file and an interrupted run leaves none behind.
    /// - Parameter keepTransferSyntax: write in the syntax the source was read in (compressed pixel
    ///   data untouched); otherwise Explicit VR Little Endian with a new meta header.
    public func save(to destination: String, keepTransferSyntax: Bool) throws(DICOMWriteError) {
        try save(to: destination, keepTransferSyntax: keepTransferSyntax, mode: nil)
    }

    /// Replaces an existing file (`--in-place`) the same way, as an editor would: through a symbolic link the
    /// file it names is replaced (the link stays a link, rather than becoming a second, different copy under the
    /// same SOP Instance UID), and the file keeps its permissions (and its owner, where this process may set it).
    public func save(replacing path: String, keepTransferSyntax: Bool) throws(DICOMWriteError) {
        guard let resolved = realpath(path, nil) else { throw .io(file: path, reason: String(cString: strerror(errno))) }
        let target = String(cString: resolved)
        free(resolved)
        var st = stat()
        guard stat(target, &st) == 0 else { throw .io(file: path, reason: String(cString: strerror(errno))) }
        try save(to: target, keepTransferSyntax: keepTransferSyntax, mode: st.st_mode & 0o7777, owner: (st.st_uid, st.st_gid))
    }

    func save(to destination: String, keepTransferSyntax: Bool, mode: mode_t?, owner: (uid_t, gid_t)? = nil) throws(DICOMWriteError) {
        let url = URL(fileURLWithPath: destination)
        let directory = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io(file: destination, reason: "cannot create folder: \(FileSystemReason.of(error))")
        }
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        var err = [CChar](repeating: 0, count: 512)
        guard dcb_save(handle, temporary, keepTransferSyntax ? 1 : 0, Software.implementationClassUID,
                       Software.implementationVersionName, &err, err.count) == 0 else {
            unlink(temporary)
            throw .io(file: destination, reason: bridgeString(err))
        }
        // The owner too where this process may set it (root; else the file becomes the writer's, as with an editor).
        if let owner { _ = chown(temporary, owner.0, owner.1) }
        if let mode, chmod(temporary, mode) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .io(file: destination, reason: "cannot keep the file's permissions: \(reason)")
        }
        guard rename(temporary, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .io(file: destination, reason: "cannot rename into place: \(reason)")
        }
    }
}

/// A DICOM attribute tag (group, element).
public struct DICOMTag: Sendable, Hashable, CustomStringConvertible {
    public var group: UInt16
    public var element: UInt16
    public init(_ group: UInt16, _ element: UInt16) { self.group = group; self.element = element }
    public var description: String { String(format: "(%04X,%04X)", group, element) }

    public static let pixelData = DICOMTag(0x7FE0, 0x0010)
    public static let viewPosition = DICOMTag(0x0018, 0x5101)
    public static let viewCodeSequence = DICOMTag(0x0054, 0x0220)
    /// Overlay Data of plane `index` (0 → 6000, 1 → 6002, …).
    public static func overlayData(plane index: Int) -> DICOMTag { DICOMTag(0x6000 + UInt16(2 * index), 0x3000) }
}
