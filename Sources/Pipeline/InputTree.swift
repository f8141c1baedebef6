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
/// Symbolic links are not followed unless asked (and then counted in one note); when they are, each real
/// folder is visited once, and a link whose target is gone is an error.
/// A folder holding a CXRExplain run's results (its `.cxr-explain` state) is not walked: its images are this
/// tool's own outputs (renderings, captures, reports), not studies; such folders are returned to be named.
/// A file or folder reached twice (inputs that overlap, `a a/sub`, or a link to something already walked) is
/// read once, under the path it was first reached by, and named in `repeats`.
public enum InputTree {
    /// What a walk found.
    public struct Listing: Sendable {
        public var files: [InputFile] = []
        /// Paths that could not be read, one line each.
        public var errors: [String] = []
        /// Folders left out because they hold a CXRExplain run's results.
        public var resultsFolders: [String] = []
        /// Files and folders reached a second time and not read again, one line each.
        public var repeats: [String] = []
        /// Symbolic links inside the walked folders, left alone because links are not followed.
        public var linksNotFollowed: [String] = []

        /// The lines a command prints about what it left out (not failures).
        public var notes: [String] {
            resultsFolders.map(InputTree.notWalkedLine) + repeats
                + (linksNotFollowed.isEmpty ? [] : [InputTree.linksNotFollowedLine(linksNotFollowed)])
        }
    }

    /// One line for every link left alone, however many (a tree of links can hold thousands): a tree made of
    /// links would otherwise give "0 files" with no word why.
    public static func linksNotFollowedLine(_ links: [String]) -> String {
        let n = links.count
        return "not followed: \(n) symbolic link\(n == 1 ? "" : "s") (\(links[0])\(n > 1 ? ", …" : "")); --follow-links follows them"
    }

    /// The line a command prints for a results folder it left out.
    public static func notWalkedLine(_ folder: String) -> String {
        "not walked: \(folder) holds a CXRExplain run's results (\(RunState.stateFolder))"
    }

    /// The line for `path`, reached again from the input `root`, first reached as `first`.
    static func repeatLine(_ path: String, root: String, first: Reached.First, folder: Bool) -> String {
        let once = folder ? "walked once" : "read once", kind = folder ? "folder" : "file"
        if path == first.path {
            switch (path == root, path == first.root) {
            case (true, true): return "\(once): \(path) is given twice"
            case (false, true): return "\(once): \(path) inside the input \(root) is also an input of its own, already read"
            default: return "\(once): \(path) is already inside the input \(first.root)"
            }
        }
        return "\(once): \(path) is the same \(kind) as \(first.path)" + (first.root == first.path ? "" : " (inside the input \(first.root))")
    }

    /// Where each real file and folder was first reached, across all roots.
    struct Reached {
        struct First { var path: String, root: String }
        var folders: [String: First] = [:]
        var files: [String: First] = [:]
    }

    public static func walk(_ roots: [String], followLinks: Bool = false) -> Listing {
        var listing = Listing(), reached = Reached()
        let fm = FileManager.default
        let names = roots.map { URL(fileURLWithPath: $0).standardizedFileURL.lastPathComponent }
        for (index, root) in roots.enumerated() {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: root, isDirectory: &isDir) else { listing.errors.append("\(root): no such file or folder"); continue }
            // Several roots: keep them apart under their names (numbered if two share a name).
            var prefix = roots.count > 1 ? names[index] : ""
            if roots.count > 1, names.filter({ $0 == names[index] }).count > 1 { prefix += "-\(index + 1)" }
            if !isDir.boolValue {
                if let file = firstReach(root, relativePath: join(prefix, names[index]), root: root, reached: &reached, listing: &listing) {
                    listing.files.append(file)
                }
                continue
            }
            var found: [InputFile] = []
            walk(directory: root, relative: "", root: root, prefix: prefix, followLinks: followLinks, reached: &reached, into: &found,
                 listing: &listing)
            listing.files += found.sorted { $0.relativePath < $1.relativePath }
        }
        return listing
    }

    /// The file as an input, or nil (and a line in `repeats`) when its real path was reached before.
    static func firstReach(_ path: String, relativePath: String, root: String, reached: inout Reached, listing: inout Listing) -> InputFile? {
        guard let real = realPath(path) else { return InputFile(path: path, relativePath: relativePath) }
        if let first = reached.files[real] {
            listing.repeats.append(repeatLine(path, root: root, first: first, folder: false))
            return nil
        }
        reached.files[real] = .init(path: path, root: root)
        return InputFile(path: path, relativePath: relativePath)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : b.isEmpty ? a : a + "/" + b }

    static func walk(directory: String, relative: String, root: String, prefix: String, followLinks: Bool, reached: inout Reached,
                     into found: inout [InputFile], listing: inout Listing) {
        let fm = FileManager.default
        var isResults: ObjCBool = false
        if fm.fileExists(atPath: (directory as NSString).appendingPathComponent(RunState.stateFolder), isDirectory: &isResults), isResults.boolValue {
            listing.resultsFolders.append(directory)
            return
        }
        guard let real = realPath(directory) else { listing.errors.append("\(directory): cannot resolve the folder"); return }
        if let first = reached.folders[real] {
            // A link back up into the folder itself (a loop: nothing to say) or a folder reached before.
            if !directory.hasPrefix(first.path + "/") {
                listing.repeats.append(repeatLine(directory, root: root, first: first, folder: true))
            }
            return
        }
        reached.folders[real] = .init(path: directory, root: root)
        let entries: [String]
        do { entries = try fm.contentsOfDirectory(atPath: directory).sorted() } catch {
            listing.errors.append("\(directory): cannot list the folder (\(FileSystemReason.of(error)))"); return
        }
        for name in entries where !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            let rel = join(relative, name)
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            let isLink = (st.st_mode & S_IFMT) == S_IFLNK
            if isLink && !followLinks { listing.linksNotFollowed.append(path); continue }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                // A followed link whose target is gone: an input that cannot be read.
                let target = (try? fm.destinationOfSymbolicLink(atPath: path)) ?? "?"
                listing.errors.append("\(path): a symbolic link to \(target), which does not exist")
                continue
            }
            if isDir.boolValue {
                walk(directory: path, relative: rel, root: root, prefix: prefix, followLinks: followLinks, reached: &reached, into: &found,
                     listing: &listing)
            } else if let file = firstReach(path, relativePath: join(prefix, rel), root: root, reached: &reached, listing: &listing) {
                // Every file is an input: an image is processed, anything else is listed as skipped with its reason.
                found.append(file)
            }
        }
    }
}
