import DICOMOutput
import Foundation

/// What `process --send` did: the peer, and each DICOM object offered to it (paths relative to --out).
public struct SendSummary: Sendable, Codable {
    public var peer: String
    public var callingAET: String
    public var stored: Int
    public var notStored: Int
    /// What stopped the transfer (no association, a dropped one), if anything did.
    public var error: String?
    public var objects: [StorageSender.Result]
}

/// Sends a run's new DICOM objects to a PACS.
public enum ResultSending {
    /// The objects a PACS should receive: per image the Secondary Captures, the SR and, for PNG/JPEG
    /// inputs, the converted image. Tagged copies are not sent: they keep the SOP Instance UID of the
    /// image the PACS already holds, and a PACS either refuses or silently replaces such an instance.
    public static func objects(of records: [ImageRecord]) -> [String] {
        records.filter { $0.status == .done }.flatMap { record in
            record.outputs.filter { $0.kind == "converted" || $0.kind == "SR" || $0.kind.hasSuffix(" SC") || $0.kind.hasSuffix(" Parametric Map") || $0.kind.hasSuffix(" presentation state") }.map(\.path)
        }
    }

    public static func send(_ records: [ImageRecord], root: String, to peer: StoragePeer, callingAET: String,
                            timeoutSeconds: Int) -> SendSummary {
        let relative = objects(of: records)
        let absolute = relative.map { (root as NSString).appendingPathComponent($0) }
        let (results, error) = relative.isEmpty ? ([], nil)
            : StorageSender.send(absolute, to: peer, callingAET: callingAET, timeoutSeconds: timeoutSeconds)
        let objects = zip(relative, results).map { rel, r in
            var r = r
            r.path = rel
            return r
        }
        let stored = objects.filter(\.stored).count
        return SendSummary(peer: peer.description, callingAET: callingAET, stored: stored, notStored: objects.count - stored,
                           error: error, objects: objects)
    }
}
