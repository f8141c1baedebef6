import Foundation
import Preprocess
import TestSupport
import Testing

/// A full disk: `process` into a 3 MiB tmpfs. Images that do not fit fail with the system's reason
/// ("No space left on device"), the batch goes on, and no temporary or partial output stays behind.
/// Needs root and permission to mount a tmpfs; skipped where that is not allowed.
/// Whether this process may mount a tmpfs (root in a container that allows it).
enum TmpfsMount {
    static let available: Bool = {
        guard getuid() == 0 else { return false }
        let probe = TestPaths.temporaryDirectory("mount-probe")
        defer { try? FileManager.default.removeItem(at: probe) }
        guard (try? Tool.run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe.path]).status) == 0 else { return false }
        unmount(probe)
        return true
    }()

    /// A fresh folder with a tmpfs of `megabytes` mounted on it.
    static func mount(_ label: String, megabytes: Int) throws -> URL {
        let folder = TestPaths.temporaryDirectory(label)
        let r = try Tool.run("mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", folder.path])
        #expect(r.status == 0, "mount: \(r.stderr)")
        return folder
    }

    /// Unmounts, waiting briefly for a process that is still closing files there; detaches it lazily as
    /// a last resort, so no test leaves a mount behind (a busy unmount used to leave one per run).
    /// Returns whether the plain unmount succeeded.
    @discardableResult
    static func unmount(_ folder: URL) -> Bool {
        for _ in 0..<20 {
            if (try? Tool.run("umount", [folder.path]).status) == 0 { return true }
            usleep(100_000)
        }
        _ = try? Tool.run("umount", ["-l", folder.path])
        return false
    }
}

@Suite(.enabled(if: TestPaths.sharedDataAvailable && TmpfsMount.available, "needs root and tmpfs mounts"), .serialized)
struct FullDiskTests {

    @Test("a full disk: a clear reason per failed image, no partial outputs, no temporary files")
    func fullDisk() throws {
        let input = TestPaths.temporaryDirectory("disk-in")
        let study = input.appendingPathComponent("study")
        try FileManager.default.createDirectory(at: study, withIntermediateDirectories: true)
        for (i, name) in ["chest_CR_PA_RG1_JLSN.dcm", "chest_CR_PA_gdcm-CR-MONO1-10-chest.dcm",
                          "chest_CR_PA_siim_1.2.276.0.7230010.3.1.4.8323329.6904.1517875201.850819.dcm"].enumerated() {
            try FileManager.default.copyItem(atPath: TestPaths.dicom(name), toPath: study.appendingPathComponent("\(i).dcm").path)
        }
        let disk = try TmpfsMount.mount("disk", megabytes: 3)
        defer { #expect(TmpfsMount.unmount(disk), "the tmpfs was still busy") }
        let out = disk.appendingPathComponent("out")
        let r = try CLI.run(["process", input.path, "--out", out.path, "--methods", "gradcam"])
        #expect(r.status == 75, "a full disk is a transient failure (EX_TEMPFAIL)")
        #expect(r.stderr.contains("No space left on device"), "\(r.stderr)")
        var files: [String] = []
        for case let rel as String in FileManager.default.enumerator(atPath: out.path)! { files.append(rel) }
        #expect(!files.contains { $0.contains(".tmp-") }, "temporary files left: \(files)")
        // Every image either has all its outputs or none.
        for i in 0..<3 {
            let mine = files.filter { $0.hasPrefix("study/\(i).") && $0.hasSuffix(".dcm") && $0 != "study/\(i).dcm" }
            #expect(mine.isEmpty || mine.count == 5, "image \(i) is partial: \(mine)")  // gray, RGB, Parametric Map, GSPS, SR
        }
    }
}
