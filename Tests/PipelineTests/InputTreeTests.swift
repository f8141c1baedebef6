import Foundation
import Pipeline
import TestSupport
import Testing

/// Walking hostile trees: link loops, links out of the tree, odd file names.
struct InputTreeTests {
    static let png: [UInt8] = MinimalPNG.encode(width: 2, height: 2, bitDepth: 8, colorType: 0, samples: [0, 80, 160, 255])

    @Test("symbolic links are left alone by default and counted in one note; with --follow-links a loop ends, each real folder is walked once and a link to nothing is an error")
    func links() throws {
        let root = TestPaths.temporaryDirectory("tree")
        let outside = TestPaths.temporaryDirectory("outside")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("a/b"), withIntermediateDirectories: true)
        try Data(Self.png).write(to: root.appendingPathComponent("a/b/x.png"))
        try Data(Self.png).write(to: outside.appendingPathComponent("secret.png"))
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("a/b/loop").path, withDestinationPath: "..")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("out").path, withDestinationPath: outside.path)
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("dangling").path, withDestinationPath: "/no/such/file")
        let plain = InputTree.walk([root.path])
        #expect(plain.files.map(\.relativePath) == ["a/b/x.png"])
        #expect(plain.errors.isEmpty)
        // The links left alone are said, in one line however many there are.
        #expect(plain.linksNotFollowed == ["a/b/loop", "dangling", "out"].map { root.appendingPathComponent($0).path })
        #expect(plain.notes == ["not followed: 3 symbolic links (\(root.path)/a/b/loop, …); --follow-links follows them"])
        let followed = InputTree.walk([root.path], followLinks: true)
        #expect(followed.files.map(\.relativePath).sorted() == ["a/b/x.png", "out/secret.png"])
        #expect(followed.linksNotFollowed.isEmpty && followed.notes.isEmpty)
        // Followed, a link to nothing is an input that cannot be read.
        #expect(followed.errors == ["\(root.path)/dangling: a symbolic link to /no/such/file, which does not exist"])
        // A tree made only of links: the walk finds no file, and says why.
        let farm = TestPaths.temporaryDirectory("link-farm")
        try fm.createSymbolicLink(atPath: farm.appendingPathComponent("x.png").path, withDestinationPath: root.appendingPathComponent("a/b/x.png").path)
        let farmWalk = InputTree.walk([farm.path])
        #expect(farmWalk.files.isEmpty && farmWalk.notes == ["not followed: 1 symbolic link (\(farm.path)/x.png); --follow-links follows them"])
        #expect(RunPlan.make([farm.path], followLinks: false).listing.notes == farmWalk.notes)
        #expect(InputTree.walk([farm.path], followLinks: true).files.map(\.relativePath) == ["x.png"])
    }

    @Test("inputs that overlap, or name the same file or folder twice, read each file once under its first path, and say so")
    func repeatsReadOnce() throws {
        let fm = FileManager.default
        let root = TestPaths.temporaryDirectory("overlap")
        try fm.createDirectory(at: root.appendingPathComponent("a/sub"), withIntermediateDirectories: true)
        try Data(Self.png).write(to: root.appendingPathComponent("a/top.png"))
        try Data(Self.png).write(to: root.appendingPathComponent("a/sub/x.png"))
        let a = root.appendingPathComponent("a").path, sub = root.appendingPathComponent("a/sub").path
        let file = root.appendingPathComponent("a/sub/x.png").path

        let outer = InputTree.walk([a, sub])
        #expect(outer.files.map(\.relativePath) == ["a/sub/x.png", "a/top.png"])
        #expect(outer.repeats == ["walked once: \(sub) is already inside the input \(a)"])
        #expect(outer.errors.isEmpty)

        let inner = InputTree.walk([sub, a])
        #expect(inner.files.map(\.relativePath) == ["sub/x.png", "a/top.png"])
        #expect(inner.repeats == ["walked once: \(a)/sub inside the input \(a) is also an input of its own, already read"])

        let twice = InputTree.walk([a, a])
        #expect(twice.files.map(\.relativePath) == ["a-1/sub/x.png", "a-1/top.png"])
        #expect(twice.repeats == ["walked once: \(a) is given twice"])
        #expect(InputTree.walk([file, file]).repeats == ["read once: \(file) is given twice"])
        #expect(InputTree.walk([file, a]).repeats == ["read once: \(file) inside the input \(a) is also an input of its own, already read"])

        let fileAndFolder = InputTree.walk([a, file])
        #expect(fileAndFolder.files.map(\.relativePath) == ["a/sub/x.png", "a/top.png"])
        #expect(fileAndFolder.repeats == ["read once: \(file) is already inside the input \(a)"])
        #expect(fileAndFolder.notes == fileAndFolder.repeats)

        // A followed link to a file in the tree: whichever path the walk's order reaches first is kept (here the
        // link, as sub/ comes before top.png); a link back up stays silent (a loop, not a repeat).
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("a/sub/y.png").path, withDestinationPath: "../top.png")
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("a/sub/up").path, withDestinationPath: "..")
        let linked = InputTree.walk([a], followLinks: true)
        #expect(linked.files.map(\.relativePath) == ["sub/x.png", "sub/y.png"])
        #expect(linked.repeats == ["read once: \(a)/top.png is the same file as \(a)/sub/y.png (inside the input \(a))"])
        #expect(InputTree.walk([a]).repeats.isEmpty)  // links not followed: nothing reached twice

        // A plan keeps the lines, so a planned `process` names them as a walking one does.
        // (The two links made above are left alone now, and counted.)
        let plan = RunPlan.make([a, sub], followLinks: false)
        #expect(plan.listing.notes == outer.repeats + ["not followed: 2 symbolic links (\(a)/sub/up, …); --follow-links follows them"])
        let out = root.appendingPathComponent("plan-out").path
        try plan.write(to: out)
        #expect(RunPlan.load(from: out)?.listing.notes == plan.listing.notes)
    }

    @Test("a folder holding a CXRExplain run's results is not walked, and is named; the studies beside it are")
    func resultsFolderNotWalked() throws {
        let fm = FileManager.default
        let root = TestPaths.temporaryDirectory("results-in-tree")
        try fm.createDirectory(at: root.appendingPathComponent("studies/s1"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("results/\(RunState.stateFolder)/records"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("results/report-files"), withIntermediateDirectories: true)
        try Data(Self.png).write(to: root.appendingPathComponent("studies/s1/x.png"))
        try Data(Self.png).write(to: root.appendingPathComponent("results/report-files/s1__x.source.png"))
        let walk = InputTree.walk([root.path])
        #expect(walk.files.map(\.relativePath) == ["studies/s1/x.png"])
        #expect(walk.resultsFolders == [root.appendingPathComponent("results").path])
        let inside = InputTree.walk([root.appendingPathComponent("results").path])
        #expect(inside.files.isEmpty && inside.resultsFolders.count == 1 && inside.errors.isEmpty)
        // A plan keeps the same list, through its file, so `plan` and a planned `process` can name the folders.
        let plan = RunPlan.make([root.path], followLinks: false)
        #expect(plan.files.map(\.relativePath) == ["studies/s1/x.png"])
        #expect(plan.resultsFolders == walk.resultsFolders)
        let out = root.appendingPathComponent("plan-out").path
        try plan.write(to: out)
        #expect(RunPlan.load(from: out)?.resultsFolders == walk.resultsFolders)
        // A plan written before the list existed still loads, naming none.
        let planPath = RunPlan.path(in: out)
        var json = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: planPath))) as! [String: Any]
        json["resultsFolders"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: planPath))
        let older = RunPlan.load(from: out)
        #expect(older?.files == plan.files && older?.resultsFolders == nil)
    }

    @Test("names with newlines, unicode, leading dashes and dots stay inside the output folder; dot-files are skipped")
    func oddNames() throws {
        let root = TestPaths.temporaryDirectory("names")
        let names = ["line\nbreak.png", "Röntgen 胸部.png", "-rf.png", "x..png", "a..b.png"]
        for n in names + ["..png", ".hidden.png"] { try Data(Self.png).write(to: root.appendingPathComponent(n)) }
        let walk = InputTree.walk([root.path])
        #expect(Set(walk.files.map(\.relativePath)) == Set(names))
        let out = "/tmp/cxr-out-root"
        let layout = OutputLayout(root: out, inputs: walk.files)
        for f in walk.files {
            for rel in [layout.converted(f), layout.report(f), layout.capture(f, method: "gradcam", kind: "gray"), layout.thumbnail(f, kind: "source")] {
                let absolute = URL(fileURLWithPath: layout.absolute(rel)).standardizedFileURL.path
                #expect(absolute.hasPrefix(out + "/"), "\(rel) escapes the output folder")
                #expect(!rel.split(separator: "/").contains(".."))
            }
        }
    }
}
