import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Preprocess

/// A DICOMweb service to store into with STOW-RS (PS3.18 §10.5): its base URL (the one ending in
/// `/dicom-web` for Orthanc) and the Authorization header built from credentials that never come from the
/// command line.
public struct STOWDestination: Sendable, CustomStringConvertible {
    public var base: URL
    /// The Authorization header's value, if any.
    public var authorization: String?
    public var timeoutSeconds: Int

    public init(base text: String, credentials: String?, timeoutSeconds: Int = 60) throws(StoragePeerError) {
        guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil else {
            throw .invalid("'\(text)' is not an http or https URL")
        }
        guard url.user == nil && url.password == nil else {
            throw .invalid("'\(text)': credentials do not belong in the URL; use --stow-credentials FILE or $CXR_EXPLAIN_STOW_CREDENTIALS")
        }
        base = url
        authorization = try credentials.map { c throws(StoragePeerError) in try Self.authorization(fromCredentials: c) }
        self.timeoutSeconds = timeoutSeconds
    }

    /// `user:password` → HTTP Basic; `Bearer TOKEN` → a bearer token. Surrounding white space is ignored.
    public static func authorization(fromCredentials text: String) throws(StoragePeerError) -> String {
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if line.lowercased().hasPrefix("bearer ") {
            let token = line.dropFirst(7).trimmingCharacters(in: .whitespaces)
            guard !token.isEmpty, !token.contains(where: \.isNewline) else { throw .invalid("the bearer token is empty or spans lines") }
            return "Bearer " + token
        }
        guard line.contains(":"), !line.contains(where: \.isNewline) else {
            throw .invalid("credentials must be one line, user:password or 'Bearer TOKEN'")
        }
        return "Basic " + Data(line.utf8).base64EncodedString()
    }

    public var studiesURL: URL { base.appendingPathComponent("studies") }
    public var description: String { base.absoluteString }
}

/// STOW-RS of files: multipart/related `application/dicom` POSTs to `{base}/studies`, a few files per
/// request, each file's outcome read from the response's Referenced and Failed SOP Sequences.
public enum STOWSender {
    /// Files per request, and bytes: the body is built in memory.
    static let filesPerRequest = 16
    static let bytesPerRequest = 64 << 20

    /// A file to store and its SOP Instance UID (which the service's answer is keyed by); when the caller does
    /// not know it, it is read from the file.
    public struct Object: Sendable {
        public var path: String
        public var sopInstanceUID: String?
        public init(path: String, sopInstanceUID: String?) { self.path = path; self.sopInstanceUID = sopInstanceUID }
    }

    /// One result per object, in order, and what stopped the transfer (the service unreachable, refused the
    /// credentials), if anything did.
    public static func send(_ objects: [Object], to destination: STOWDestination) -> (results: [StorageSender.Result], error: String?) {
        var results = objects.map { StorageSender.Result(path: $0.path, stored: false, status: nil, message: "not sent") }
        var start = 0
        while start < objects.count {
            var end = start, bytes = 0
            var parts: [(index: Int, uid: String, data: Data)] = []
            while end < objects.count, parts.count < filesPerRequest, bytes < bytesPerRequest {
                let object = objects[end]
                if let data = FileManager.default.contents(atPath: object.path),
                   let uid = object.sopInstanceUID ?? (try? DICOMFile(path: object.path))?.text("SOPInstanceUID") {
                    parts.append((end, uid, data))
                    bytes += data.count
                } else {
                    results[end].message = "not sendable: cannot read it as DICOM"
                }
                end += 1
            }
            if !parts.isEmpty {
                switch post(parts.map(\.data), to: destination) {
                case .failure(let error):
                    for p in parts { results[p.index].message = error.message }
                    return (results, error.message)
                case .success(let answer):
                    for p in parts {
                        if let failure = answer.failed[p.uid] {
                            results[p.index].status = failure
                            results[p.index].message = String(format: "refused by the service (failure reason %04X)", failure)
                        } else if let warning = answer.stored[p.uid] {
                            results[p.index].stored = true
                            results[p.index].status = warning
                            results[p.index].message = warning == 0 ? "" : String(format: "stored with warning %04X", warning)
                        } else {
                            results[p.index].message = "not in the service's answer (HTTP \(answer.httpStatus))"
                        }
                    }
                }
            }
            start = end
        }
        return (results, nil)
    }

    struct Answer {
        var httpStatus: Int
        /// SOP Instance UID → warning reason (0 when none).
        var stored: [String: UInt16] = [:]
        /// SOP Instance UID → failure reason.
        var failed: [String: UInt16] = [:]
    }

    struct TransferError: Error { var message: String }

    static func post(_ files: [Data], to destination: STOWDestination) -> Result<Answer, TransferError> {
        let boundary = "cxr-explain-" + UUID().uuidString
        var body = Data()
        for file in files {
            body.append(Data("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n".utf8))
            body.append(file)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        var request = URLRequest(url: destination.studiesURL, timeoutInterval: TimeInterval(destination.timeoutSeconds))
        request.httpMethod = "POST"
        request.setValue("multipart/related; type=\"application/dicom\"; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        request.setValue("application/dicom+json", forHTTPHeaderField: "Accept")
        if let authorization = destination.authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
        final class Box: @unchecked Sendable { var data: Data?; var response: URLResponse?; var error: Error? }
        let box = Box(), done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral, delegate: RefuseChallenges(), delegateQueue: nil)
        session.uploadTask(with: request, from: body) { data, response, error in
            box.data = data; box.response = response; box.error = error
            done.signal()
        }.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        if box.error != nil, RefuseChallenges.challenged(box.response) || (box.error as? URLError)?.code == .cancelled {
            return .failure(TransferError(message: "STOW-RS \(destination.studiesURL.absoluteString): HTTP 401, the credentials were refused"))
        }
        if let error = box.error { return .failure(TransferError(message: "STOW-RS \(destination.studiesURL.absoluteString): \(error.localizedDescription)")) }
        let status = (box.response as? HTTPURLResponse)?.statusCode ?? 0
        if status == 401 || status == 403 {
            return .failure(TransferError(message: "STOW-RS \(destination.studiesURL.absoluteString): HTTP \(status), the credentials were refused"))
        }
        var answer = Answer(httpStatus: status)
        // PS3.18 Table 10.5.3-1: Referenced SOP Sequence (0008,1199) with Warning Reason (0008,1196), Failed SOP
        // Sequence (0008,1198) with Failure Reason (0008,1197).
        if let data = box.data, let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            for item in sequence(json, "00081199") {
                if let uid = string(item, "00081155") { answer.stored[uid] = number(item, "00081196") ?? 0 }
            }
            for item in sequence(json, "00081198") {
                if let uid = string(item, "00081155") { answer.failed[uid] = number(item, "00081197") ?? 0xC000 }
            }
        }
        if answer.stored.isEmpty && answer.failed.isEmpty && !(200..<300).contains(status) {
            return .failure(TransferError(message: "STOW-RS \(destination.studiesURL.absoluteString): HTTP \(status)"))
        }
        return .success(answer)
    }

    /// The Authorization header is ours; an HTTP authentication challenge is answered by not trying again
    /// (without a delegate, FoundationNetworking on Linux waits on a challenge forever).
    final class RefuseChallenges: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
            completionHandler(.cancelAuthenticationChallenge, nil)
        }
        static func challenged(_ response: URLResponse?) -> Bool { [401, 403].contains((response as? HTTPURLResponse)?.statusCode ?? 0) }
    }

    static func sequence(_ json: [String: Any], _ tag: String) -> [[String: Any]] {
        ((json[tag] as? [String: Any])?["Value"] as? [[String: Any]]) ?? []
    }
    static func string(_ item: [String: Any], _ tag: String) -> String? {
        ((item[tag] as? [String: Any])?["Value"] as? [Any])?.first as? String
    }
    static func number(_ item: [String: Any], _ tag: String) -> UInt16? {
        guard let value = ((item[tag] as? [String: Any])?["Value"] as? [Any])?.first else { return nil }
        if let n = value as? NSNumber { return UInt16(truncatingIfNeeded: n.intValue) }
        return nil
    }
}
