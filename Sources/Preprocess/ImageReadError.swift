/// Why an image could not be read. Every case names the file; `description` reads "<file>: <reason>".
public enum ImageReadError: Error, CustomStringConvertible, Sendable, Equatable {
    case io(file: String, reason: String)
    case notAnImage(file: String, reason: String)
    case unsupported(file: String, reason: String)
    case noPixelData(file: String, reason: String)
    case truncated(file: String, reason: String)
    case tooLarge(file: String, reason: String)
    case multiFrame(file: String, reason: String)
    case decodeFailed(file: String, reason: String)
    case invalid(file: String, reason: String)

    public var file: String {
        switch self {
        case .io(let f, _), .notAnImage(let f, _), .unsupported(let f, _), .noPixelData(let f, _),
             .truncated(let f, _), .tooLarge(let f, _), .multiFrame(let f, _), .decodeFailed(let f, _),
             .invalid(let f, _):
            return f
        }
    }

    public var reason: String {
        switch self {
        case .io(_, let r), .notAnImage(_, let r), .unsupported(_, let r), .noPixelData(_, let r),
             .truncated(_, let r), .tooLarge(_, let r), .multiFrame(_, let r), .decodeFailed(_, let r),
             .invalid(_, let r):
            return r
        }
    }

    public var description: String { "\(file): \(reason)" }

    /// Maps a bridge status code and its message to the matching case (the one place that does so).
    public static func fromBridge(status: Int32, file: String, message: String) -> ImageReadError {
        let reason = message.isEmpty ? "error \(status)" : message
        switch status {
        case 1: return .io(file: file, reason: reason)
        case 2, 11: return .notAnImage(file: file, reason: reason)
        case 3: return .unsupported(file: file, reason: reason)
        case 4: return .noPixelData(file: file, reason: reason)
        case 5: return .truncated(file: file, reason: reason)
        case 6: return .tooLarge(file: file, reason: reason)
        case 7: return .multiFrame(file: file, reason: reason)
        case 8: return .decodeFailed(file: file, reason: reason)
        default: return .invalid(file: file, reason: reason)
        }
    }
}
