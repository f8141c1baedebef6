import DICOMBridge
import Foundation
import Preprocess

/// What a Storage SCP asks of its owner; called from the associations' worker threads.
public protocol StorageNodeDelegate: AnyObject, Sendable {
    func accept(callingAET: String, host: String) -> Bool
    /// A spool path to receive the next instance into, or the status to refuse it with.
    func admit(callingAET: String, sopClassUID: String) -> Result<String, StorageNodeRefusal>
    /// The instance is in `spoolPath`: the status to answer (the delegate moves or removes the file).
    func stored(callingAET: String, spoolPath: String, sopClassUID: String, sopInstanceUID: String) -> UInt16
    func associationEnded(callingAET: String, host: String, stored: Int, refused: Int, how: String)
}

public struct StorageNodeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

public struct StorageNodeRefusal: Error, Sendable {
    public var status: UInt16
    public init(status: UInt16) { self.status = status }
}

/// A Storage SCP for CR, DX and Secondary Capture images (and C-ECHO) over the bridge (DCMTK's SCP pool).
public final class StorageNode: @unchecked Sendable {
    private let handle: OpaquePointer
    private let delegate: StorageNodeDelegate
    private var callbacks: dcb_node_callbacks

    public init(port: UInt16, aeTitle: String, maxAssociations: Int, timeoutSeconds: Int, delegate: StorageNodeDelegate) throws(StorageNodeError) {
        self.delegate = delegate
        callbacks = dcb_node_callbacks()
        callbacks.context = Unmanaged.passUnretained(delegate as AnyObject).toOpaque()
        callbacks.accept = { context, aet, host in
            StorageNode.delegate(context).accept(callingAET: StorageNode.text(aet), host: StorageNode.text(host)) ? 1 : 0
        }
        callbacks.admit = { context, aet, sopClass, spool, size in
            switch StorageNode.delegate(context).admit(callingAET: StorageNode.text(aet), sopClassUID: StorageNode.text(sopClass)) {
            case .success(let path):
                guard let spool, path.utf8.count < size else { return 0xA700 }
                _ = path.withCString { strcpy(spool, $0) }
                return 0
            case .failure(let refusal): return refusal.status
            }
        }
        callbacks.stored = { context, aet, spool, sopClass, sopInstance in
            StorageNode.delegate(context).stored(callingAET: StorageNode.text(aet), spoolPath: StorageNode.text(spool), sopClassUID: StorageNode.text(sopClass),
                                          sopInstanceUID: StorageNode.text(sopInstance))
        }
        callbacks.association_ended = { context, aet, host, stored, refused, how in
            StorageNode.delegate(context).associationEnded(callingAET: StorageNode.text(aet), host: StorageNode.text(host), stored: Int(stored),
                                                    refused: Int(refused), how: StorageNode.text(how))
        }
        var out: OpaquePointer?
        var err = [CChar](repeating: 0, count: 512)
        let status = dcb_node_create(port, aeTitle, UInt32(max(1, maxAssociations)), UInt32(max(1, timeoutSeconds)), &callbacks, &out, &err, err.count)
        guard status == 0, let out else { throw StorageNodeError(message: bridgeString(err)) }
        handle = out
    }

    deinit { dcb_node_free(handle) }

    /// Listens until `stop()`; returns once the associations in progress have ended.
    public func run() throws(StorageNodeError) {
        var err = [CChar](repeating: 0, count: 512)
        guard dcb_node_run(handle, &err, err.count) == 0 else { throw StorageNodeError(message: bridgeString(err)) }
    }

    /// Thread-safe: the listening loop notices within a second.
    public func stop() { dcb_node_stop(handle) }

    private static func delegate(_ context: UnsafeMutableRawPointer?) -> StorageNodeDelegate {
        Unmanaged<AnyObject>.fromOpaque(context!).takeUnretainedValue() as! StorageNodeDelegate
    }

    private static func text(_ s: UnsafePointer<CChar>?) -> String { s.map { String(cString: $0) } ?? "" }
}
