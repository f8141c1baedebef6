import Foundation

/// Checks of written DICOM objects with independent tools: dciodvfy, dcentvfy (dicom3tools), pydicom.
public enum DICOMChecks {
    /// dciodvfy's verdict: exit status and its error lines (warnings are allowed).
    public static func dciodvfy(_ path: String) throws -> (status: Int32, errors: [String])? {
        guard let tool = Tool.find("dciodvfy") else { return nil }
        let r = try Tool.run(tool, [path])
        let errors = (r.stdout + r.stderr).split(separator: "\n").map(String.init).filter { $0.hasPrefix("Error") }
        return (r.status, errors)
    }

    /// dciodvfy's error lines and its "not present in standard IOD" warnings, with the file's own values
    /// (after "- ") left out, so that a copy can be compared with its source line by line.
    public static func dciodvfyFindings(_ path: String) throws -> Set<String>? {
        guard let tool = Tool.find("dciodvfy") else { return nil }
        let r = try Tool.run(tool, [path])
        return Set((r.stdout + r.stderr).split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("Error") || ($0.hasPrefix("Warning") && $0.contains("not present in standard")) })
    }

    /// dciodvfy's warnings, except those about what a DICOMDIR would need (Study ID, dates: type 2, empty is valid).
    public static func dciodvfyWarnings(_ path: String) throws -> Set<String>? {
        guard let tool = Tool.find("dciodvfy") else { return nil }
        let r = try Tool.run(tool, [path])
        return Set((r.stdout + r.stderr).split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("Warning") && !$0.contains("needed to build DICOMDIR") })
    }

    /// dcentvfy over several files: entity (patient/study) consistency.
    public static func dcentvfy(_ paths: [String]) throws -> (status: Int32, output: String)? {
        guard let tool = Tool.find("dcentvfy") else { return nil }
        let r = try Tool.run(tool, paths)
        return (r.status, r.stdout + r.stderr)
    }

    /// pydicom's `pixel_array` as little-endian values (uint16 for gray, uint8 RGB), and
    /// `overlay_array(group)` as 0/1 bytes when a group is given.
    public static func pydicomRead(_ path: String, overlayGroup: Int? = nil) throws -> (pixels: [UInt16], overlay: [UInt8]?)? {
        guard let python = Tool.python, Tool.pydicomAvailable else { return nil }
        let dir = TestPaths.temporaryRoot.appendingPathComponent("pyd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = """
            import sys, numpy as np, pydicom
            ds = pydicom.dcmread(sys.argv[1])
            np.asarray(ds.pixel_array, dtype='<u2').ravel().tofile(sys.argv[2] + '/pixels')
            if len(sys.argv) > 3:
                np.asarray(ds.overlay_array(int(sys.argv[3], 16)), dtype=np.uint8).ravel().tofile(sys.argv[2] + '/overlay')
            """
        var args = ["-c", script, path, dir.path]
        if let overlayGroup { args.append(String(overlayGroup, radix: 16)) }
        let r = try Tool.run(python, args)
        guard r.status == 0 else { throw PythonFailure(message: r.stderr) }
        let pixelData = try Data(contentsOf: dir.appendingPathComponent("pixels"))
        let pixels = pixelData.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        let overlay = overlayGroup == nil ? nil : [UInt8](try Data(contentsOf: dir.appendingPathComponent("overlay")))
        return (pixels, overlay)
    }

    public struct PythonFailure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { "python failed: \(message)" }
    }

    /// The bytes from the Pixel Data tag (7FE0,0010) to the end of the file.
    public static func pixelDataTail(_ path: String) throws -> [UInt8] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let tag: [UInt8] = [0xE0, 0x7F, 0x10, 0x00]
        var i = bytes.count - 4
        while i >= 0 {
            if bytes[i] == tag[0] && bytes[i + 1] == tag[1] && bytes[i + 2] == tag[2] && bytes[i + 3] == tag[3] { break }
            i -= 1
        }
        return i >= 0 ? Array(bytes[i...]) : []
    }
}
