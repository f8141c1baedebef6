import Foundation

/// Output names mirror the input's relative path; names come from file names, never from tag values.
/// `study/img.dcm` → `study/img.dcm` (tagged copy), `study/img.gradcam.gray.dcm`, `study/img.sr.dcm`, …;
/// `study/img.png` → `study/img.dcm` (converted). Two inputs of one folder with the same stem
/// (`a.dcm`, `a.png`) keep their whole names (`a_png.…`).
public struct OutputLayout: Sendable {
    public let root: String
    let stems: [String: String]

    static let knownExtensions: Set<String> = ["dcm", "dicom", "dic", "png", "jpg", "jpeg"]

    public init(root: String, inputs: [InputFile]) {
        self.root = root
        var byStem: [String: [String]] = [:]
        for f in inputs { byStem[Self.naturalStem(f.relativePath), default: []].append(f.relativePath) }
        var stems: [String: String] = [:]
        for (stem, rels) in byStem {
            for rel in rels {
                stems[rel] = rels.count == 1 ? stem
                    : ((rel as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
                        (rel as NSString).lastPathComponent.replacingOccurrences(of: ".", with: "_"))
            }
        }
        self.stems = stems
    }

    static func naturalStem(_ rel: String) -> String {
        let ext = (rel as NSString).pathExtension.lowercased()
        return knownExtensions.contains(ext) ? (rel as NSString).deletingPathExtension : rel
    }

    /// Relative output stem of an input (folder + name without its image extension).
    public func stem(_ input: InputFile) -> String { stems[input.relativePath] ?? Self.naturalStem(input.relativePath) }

    /// Relative paths of the outputs.
    public func taggedCopy(_ input: InputFile) -> String { input.relativePath }
    public func converted(_ input: InputFile) -> String { stem(input) + ".dcm" }
    public func capture(_ input: InputFile, method: String, kind: String) -> String { "\(stem(input)).\(method).\(kind).dcm" }
    public func report(_ input: InputFile) -> String { stem(input) + ".sr.dcm" }
    public func thumbnail(_ input: InputFile, kind: String) -> String {
        "report-files/" + stem(input).replacingOccurrences(of: "/", with: "__") + ".\(kind).png"
    }

    public func absolute(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }
}
