import Foundation
import Preprocess

/// Finds images under the given paths: files as given; directories walked (sorted), keeping files
/// that look like DICOM, PNG or JPEG by content. Symbolic links are not followed into directories.
enum InputWalker {
    static func images(in paths: [String]) -> (files: [String], errors: [String]) {
        var files: [String] = [], errors: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else { errors.append("\(path): no such file or folder"); continue }
            if !isDir.boolValue { files.append(path); continue }
            guard let walker = fm.enumerator(at: URL(fileURLWithPath: path), includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey]) else { continue }
            var found: [String] = []
            for case let url as URL in walker {
                let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
                guard values?.isRegularFile == true, values?.isSymbolicLink != true, !url.lastPathComponent.hasPrefix(".") else { continue }
                if looksLikeImage(url.path) { found.append(url.path) }
            }
            files += found.sorted()
        }
        return (files, errors)
    }

    /// PNG/JPEG signature, DICM preamble, or a .dcm name (ACR-NEMA files have no signature).
    static func looksLikeImage(_ path: String) -> Bool {
        switch RadiographLoader.kind(ofFileAt: path) {
        case .png, .jpeg, .dicom: return true
        case .unknown: return path.lowercased().hasSuffix(".dcm")
        }
    }
}
