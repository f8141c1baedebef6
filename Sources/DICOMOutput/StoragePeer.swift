import DICOMBridge
import Foundation
import Preprocess

/// A DICOM Storage SCP (a PACS) named as `AET@host:port`.
public struct StoragePeer: Sendable, Equatable, CustomStringConvertible {
    public var calledAET: String
    public var host: String
    public var port: UInt16

    public init(calledAET: String, host: String, port: UInt16) throws(StoragePeerError) {
        try Self.check(aet: calledAET)
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" }) else { throw .invalid("host '\(host)' is not a host name or address") }
        guard port > 0 else { throw .invalid("port 0 is not a port") }
        self.calledAET = calledAET; self.host = host; self.port = port
    }

    /// "AET@host:port"; the host may be an IPv6 address in brackets ("PACS@[::1]:104").
    public init(parsing text: String) throws(StoragePeerError) {
        guard let at = text.firstIndex(of: "@"), let colon = text.lastIndex(of: ":"), at < colon else {
            throw .invalid("'\(text)' is not AET@host:port")
        }
        var host = String(text[text.index(after: at)..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let port = UInt16(text[text.index(after: colon)...]) else { throw .invalid("'\(text)': the port is not a number from 1 to 65535") }
        try self.init(calledAET: String(text[..<at]), host: host, port: port)
    }

    /// PS3.5 AE: 1–16 characters of the default repertoire, no backslash or control characters, not all spaces.
    public static func check(aet: String) throws(StoragePeerError) {
        guard (1...16).contains(aet.utf8.count), aet.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F && $0 != "\\" }),
              aet.contains(where: { $0 != " " }) else {
            throw .invalid("AE title '\(aet)' must be 1 to 16 printable ASCII characters without a backslash")
        }
    }

    public var description: String { "\(calledAET)@\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

public enum StoragePeerError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalid(String)
    public var description: String { if case .invalid(let why) = self { return why }; return "" }
}

/// C-STORE of files to a peer through the bridge (DCMTK's DcmStorageSCU).
public enum StorageSender {
    public struct Result: Sendable, Equatable, Codable {
        public var path: String
        public var stored: Bool
        /// The peer's response status (0 success; Bxxx warnings still count as stored); nil when no response came.
        public var status: UInt16?
        /// Why it was not stored, or the warning.
        public var message: String
    }

    /// One result per path, in order, and the error that stopped the transfer (no association, a dropped one).
    public static func send(_ paths: [String], to peer: StoragePeer, callingAET: String, timeoutSeconds: Int = 30)
        -> (results: [Result], error: String?) {
        var results = [dcb_send_result](repeating: dcb_send_result(), count: paths.count)
        var err = [CChar](repeating: 0, count: 512)
        var cPaths = paths.map { strdup($0) }
        defer { cPaths.forEach { free($0) } }
        let status = cPaths.withUnsafeMutableBufferPointer { pointers in
            pointers.withMemoryRebound(to: UnsafePointer<CChar>?.self) { constPointers in
                dcb_send_files(peer.host, peer.port, peer.calledAET, callingAET, UInt32(max(1, timeoutSeconds)),
                               constPointers.baseAddress, paths.count, &results, &err, err.count)
            }
        }
        let out = zip(paths, results).map { path, r in
            var r = r
            let message = withUnsafeBytes(of: &r.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return Result(path: path, stored: r.sent != 0, status: r.sent != 0 || r.dimse_status != 0 ? r.dimse_status : nil, message: message)
        }
        // DCB_ERR_IO: the transfer itself failed; other failures are per file and already in the results.
        return (out, status == Int32(DCB_ERR_IO.rawValue) ? bridgeString(err) : nil)
    }
}
