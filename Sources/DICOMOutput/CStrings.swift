import Foundation

/// C strings that live until `free()`: for the bridge's structs of `const char *`.
final class CStrings {
    private var pointers: [UnsafeMutablePointer<CChar>] = []
    func make(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        pointers.append(p)
        return p
    }
    func free() { pointers.forEach { Foundation.free($0) }; pointers = [] }
}
