import Foundation

/// A run's inputs, walked once (`cxr-explain plan`) and kept in the output folder, so that a thousand shards
/// do not each walk a million files: every file's relative path, size, study and format, and what could not
/// be read. `process` uses the plan in its --out when it was made for the same inputs.
public struct RunPlan: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var path: String
        public var relativePath: String
        public var size: Int64
        /// The study key shards are assigned by (`Shard.studyKey`): the folder the file sits in.
        public var study: String
        /// From the file's first bytes: "dicom" (DICM at offset 128), "png", "jpeg", or "other" (read to decide:
        /// DICOM without a preamble, or not an image).
        public var format: String
    }

    public var version = 1
    /// The input roots as absolute, standardised paths.
    public var inputs: [String]
    public var followLinks: Bool
    public var files: [Entry]
    public var walkErrors: [String]
    /// Folders holding a run's results (`RunState.stateFolder`), left out of the walk; absent in older plans.
    public var resultsFolders: [String]?
    /// Files and folders reached twice and read once (`InputTree.Listing.repeats`); absent in older plans.
    public var repeats: [String]?
    /// Symbolic links not followed (`InputTree.Listing.linksNotFollowed`); absent in older plans.
    public var linksNotFollowed: [String]?

    public static func path(in out: String) -> String { (out as NSString).appendingPathComponent("\(RunState.stateFolder)/plan.json") }

    public static func absolute(_ roots: [String]) -> [String] {
        roots.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }

    /// Walks `roots` with the one input walker and sizes and sniffs every file.
    public static func make(_ roots: [String], followLinks: Bool) -> RunPlan {
        let listing = InputTree.walk(roots, followLinks: followLinks)
        let entries = listing.files.map { file in
            let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? -1
            return Entry(path: file.path, relativePath: file.relativePath, size: size, study: Shard.studyKey(file), format: sniff(file.path))
        }
        return RunPlan(inputs: absolute(roots), followLinks: followLinks, files: entries, walkErrors: listing.errors,
                       resultsFolders: listing.resultsFolders, repeats: listing.repeats, linksNotFollowed: listing.linksNotFollowed)
    }

    /// The walk this plan holds, as `InputTree.walk` returned it.
    public var listing: InputTree.Listing {
        InputTree.Listing(files: inputFiles, errors: walkErrors, resultsFolders: resultsFolders ?? [], repeats: repeats ?? [],
                          linksNotFollowed: linksNotFollowed ?? [])
    }

    public var inputFiles: [InputFile] { files.map { InputFile(path: $0.path, relativePath: $0.relativePath) } }

    /// Whether this plan was made for these roots and link policy.
    public func matches(_ roots: [String], followLinks: Bool) -> Bool {
        inputs == Self.absolute(roots) && self.followLinks == followLinks
    }

    public func write(to out: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: Self.path(in: out))
    }

    /// The plan in `out`, if there is one that can be read.
    public static func load(from out: String) -> RunPlan? {
        guard let data = FileManager.default.contents(atPath: path(in: out)) else { return nil }
        return try? JSONDecoder().decode(RunPlan.self, from: data)
    }

    static func sniff(_ path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "other" }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 132)) ?? Data())
        if head.count >= 132, head[128...131].elementsEqual("DICM".utf8) { return "dicom" }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "png" }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return "jpeg" }
        return "other"
    }
}
