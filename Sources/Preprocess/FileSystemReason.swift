import Foundation

/// The operating system's words for a file-system error that Foundation wraps: "Not a directory", "Permission
/// denied", "No space left on device". Foundation on Linux describes these as "The operation could not be
/// completed" or "NSCocoaErrorDomain error 512", which tell a user nothing.
public enum FileSystemReason {
    public static func of(_ error: Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return text(errno: Int32(ns.code)) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error {
            let u = underlying as NSError
            if u.domain == NSPOSIXErrorDomain { return text(errno: Int32(u.code)) }
        }
        return ns.localizedDescription
    }

    static func text(errno code: Int32) -> String { String(cString: strerror(code)) }
}
