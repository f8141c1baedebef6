/// Why an output could not be written. `description` reads "<file>: <reason>".
public enum DICOMWriteError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalid(file: String, reason: String)
    case io(file: String, reason: String)
    /// The header already holds a different view and overwriting was not asked for.
    case viewConflict(file: String, existing: String, proposed: String)

    public var description: String {
        switch self {
        case .invalid(let f, let r), .io(let f, let r): return "\(f): \(r)"
        case .viewConflict(let f, let e, let p):
            return "\(f): header says ViewPosition \(e), model says \(p); not overwritten (use --overwrite-view)"
        }
    }
}
