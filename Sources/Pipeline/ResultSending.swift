import DICOMOutput
import Foundation

/// What `process --send` (or the DICOM node) did: the peer, and each DICOM object offered to it (paths relative to --out).
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
    public static func objects(of records: [ImageRecord]) -> [String] { sendable(records).map(\.path) }

    /// The same objects with the SOP Instance UIDs their records hold.
    static func sendable(_ records: [ImageRecord]) -> [ImageRecord.Output] {
        records.filter { $0.status == .done }.flatMap { $0.outputs.filter(\.kind.isSentToPACS) }
    }

    public static func send(_ records: [ImageRecord], root: String, to peer: StoragePeer, callingAET: String,
                            timeoutSeconds: Int, skipping alreadyStored: Set<String> = []) -> SendSummary {
        transfer(records, root: root, peer: peer.description, callingAET: callingAET, skipping: alreadyStored) {
            StorageSender.send($0.map(\.path), to: peer, callingAET: callingAET, timeoutSeconds: timeoutSeconds)
        }
    }

    /// The same objects by DICOMweb STOW-RS.
    public static func stow(_ records: [ImageRecord], root: String, to destination: STOWDestination,
                            skipping alreadyStored: Set<String> = []) -> SendSummary {
        transfer(records, root: root, peer: destination.description, callingAET: "STOW-RS", skipping: alreadyStored) {
            STOWSender.send($0, to: destination)
        }
    }

    static func transfer(_ records: [ImageRecord], root: String, peer: String, callingAET: String, skipping alreadyStored: Set<String>,
                         with send: ([STOWSender.Object]) -> (results: [StorageSender.Result], error: String?)) -> SendSummary {
        let outputs = sendable(records).filter { !alreadyStored.contains($0.path) }
        let absolute = outputs.map { STOWSender.Object(path: (root as NSString).appendingPathComponent($0.path), sopInstanceUID: $0.sopInstanceUID) }
        let (results, error) = outputs.isEmpty ? ([], nil) : send(absolute)
        let objects = zip(outputs, results).map { output, r in
            var r = r
            r.path = output.path
            return r
        }
        let stored = objects.filter(\.stored).count
        return SendSummary(peer: peer, callingAET: callingAET, stored: stored, notStored: objects.count - stored,
                           error: error, objects: objects)
    }
}
