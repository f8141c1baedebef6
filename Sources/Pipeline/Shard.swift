import Foundation
import Preprocess

/// One share of a run (`process --shard I/N`, I from 0 as Kubernetes' JOB_COMPLETION_INDEX): the inputs whose
/// study falls to this shard. A study is the folder an input sits in (its relative path's directory), so every
/// object of one study, and every file of one output folder, is written by one shard; the assignment is a
/// hash of that folder's relative path, the same on every machine and every retry.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
        index = i
        count = n
    }

    public var description: String { "\(index)/\(count)" }

    /// The study key of an input: the folder it sits in, relative to its root ("" for files at the top).
    public static func studyKey(_ file: InputFile) -> String { (file.relativePath as NSString).deletingLastPathComponent }

    public func owns(_ file: InputFile) -> Bool {
        let digest = Digest.sha1(Array(Self.studyKey(file).utf8))
        let value = digest.prefix(8).reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
        return Int(value % UInt64(count)) == index
    }
}
