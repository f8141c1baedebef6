import Foundation
import Preprocess

/// One input file and where it sits in the tree it was found in.
public struct InputFile: Sendable, Hashable, Codable {
    public var path: String
    /// Relative to the input root (prefixed with the root's name when several roots are given).
    public var relativePath: String
}

/// The one input walker of every command: walks input folders in a stable order and returns every regular
/// file. What is an image is decided by reading it (`GatedInput`): DICOM with or without preamble and meta
/// header (as DCMTK reads it), PNG and JPEG are processed; anything else (a DICOMDIR, notes, an unknown
/// format) is listed as skipped with its reason. Hidden files (names starting with ".") are not inputs.
/// Symbolic links are not followed unless asked; when they are, each real folder is visited once.
/// A folder holding a CXRExplain run's results (its `.cxr-explain` state) is not walked: its images are this
/// tool's own outputs (renderings, captures, reports), not studies; such folders are returned to be named.
public enum InputTree {
    /// The line a command prints for a results folder it left out.
    public static func notWalkedLine(_ folder: String) -> String {
        "not walked: \(folder) holds a CXRExplain run's results (\(RunState.stateFolder))"
    }

    public static func walk(_ roots: [String], followLinks: Bool = false) -> (files: [InputFile], errors: [String], resultsFolders: [String]) {
        var files: [InputFile] = [], errors: [String] = [], resultsFolders: [String] = []
        let fm = FileManager.default
        let names = roots.map { URL(fileURLWithPath: $0).standardizedFileURL.lastPathComponent }
        for (index, root) in roots.enumerated() {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: root, isDirectory: &isDir) else { errors.append("\(root): no such file or folder"); continue }
            // Several roots: keep them apart under their names (numbered if two share a name).
            var prefix = roots.count > 1 ? names[index] : ""
            if roots.count > 1, names.filter({ $0 == names[index] }).count > 1 { prefix += "-\(index + 1)" }
            if !isDir.boolValue {
                files.append(InputFile(path: root, relativePath: join(prefix, names[index])))
                continue
            }
            var visited = Set<String>()
            var found: [InputFile] = []
            walk(directory: root, relative: "", prefix: prefix, followLinks: followLinks, visited: &visited, into: &found,
                 errors: &errors, resultsFolders: &resultsFolders)
            files += found.sorted { $0.relativePath < $1.relativePath }
        }
        return (files, errors, resultsFolders)
    }

    static func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : b.isEmpty ? a : a + "/" + b }

    static func walk(directory: String, relative: String, prefix: String, followLinks: Bool, visited: inout Set<String>,
                     into found: inout [InputFile], errors: inout [String], resultsFolders: inout [String]) {
        let fm = FileManager.default
        var isResults: ObjCBool = false
        if fm.fileExists(atPath: (directory as NSString).appendingPathComponent(RunState.stateFolder), isDirectory: &isResults), isResults.boolValue {
            resultsFolders.append(directory)
            return
        }
        guard let resolved = realpath(directory, nil) else { errors.append("\(directory): cannot resolve the folder"); return }
        let real = String(cString: resolved)
        free(resolved)
        guard visited.insert(real).inserted else { return }  // a link loop or a second link to the same folder
        let entries: [String]
        do { entries = try fm.contentsOfDirectory(atPath: directory).sorted() } catch {
            errors.append("\(directory): cannot list the folder (\(error.localizedDescription))"); return
        }
        for name in entries where !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            let rel = join(relative, name)
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            let isLink = (st.st_mode & S_IFMT) == S_IFLNK
            if isLink && !followLinks { continue }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else { continue }  // dangling link
            if isDir.boolValue {
                walk(directory: path, relative: rel, prefix: prefix, followLinks: followLinks, visited: &visited, into: &found,
                     errors: &errors, resultsFolders: &resultsFolders)
            } else {
                // Every file is an input: an image is processed, anything else is listed as skipped with its reason.
                found.append(InputFile(path: path, relativePath: join(prefix, rel)))
            }
        }
    }
}
