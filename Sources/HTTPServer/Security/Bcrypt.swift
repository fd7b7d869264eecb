import CCrypt
import Glibc

/// bcrypt through libxcrypt's `crypt_rn`. Only bcrypt: libcrypt also takes DES, MD5 and
/// SHA-crypt settings (and would read a plaintext "hash" as a DES salt), so every hash is
/// checked against bcrypt's exact shape first.
public enum Bcrypt {
    /// Whether `hash` is `$2a$`, `$2b$` or `$2y$`, cost 04 to 31, then 53 characters of bcrypt's base64.
    public static func isValidHash(_ hash: String) -> Bool {
        let bytes = Array(hash.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]),
              bytes[3] == UInt8(ascii: "$"), bytes[6] == UInt8(ascii: "$"),
              let cost = cost(of: hash), (4...31).contains(cost) else { return false }
        return bytes[7...].allSatisfy(isBase64)
    }

    /// The cost digits of a `$2?$NN$` hash.
    public static func cost(of hash: String) -> Int? {
        let bytes = Array(hash.utf8)
        guard bytes.count >= 7 else { return nil }
        let digits = bytes[4...5]
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int(digits.first! - UInt8(ascii: "0")) * 10 + Int(digits.last! - UInt8(ascii: "0"))
    }

    private static func isBase64(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: false
        }
    }

    /// A per-thread `struct crypt_data` (32 KiB: too big for a thread's stack).
    final class Scratch {
        let pointer: UnsafeMutableRawPointer
        let size = MemoryLayout<crypt_data>.size

        init() {
            pointer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            pointer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        }

        deinit { pointer.deallocate() }
    }

    /// Whether `password` hashes to `hash`. Only the first 72 bytes count (bcrypt's limit, as in
    /// Go); a password with a NUL byte never matches. The comparison takes the same time
    /// wherever the outputs differ.
    static func verify(password: [UInt8], hash: String, scratch: Scratch) -> Bool {
        guard isValidHash(hash), !password.contains(0) else { return false }
        let phrase = password.map { CChar(bitPattern: $0) } + [0]
        guard let output = zx_crypt_rn(phrase, hash, scratch.pointer, Int32(scratch.size)) else { return false }
        let computed = Array(UnsafeRawBufferPointer(start: output, count: strlen(output)))
        return constantTimeEqual(computed, Array(hash.utf8))
    }

    /// A new `$2b$` hash of `password` at `cost`, for the unknown-user dummy check; nil on failure.
    static func hash(password: String, cost: Int) -> String? {
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard zx_crypt_gensalt_rn("$2b$", UInt(cost), nil, 0, &setting, Int32(setting.count)) != nil else { return nil }
        let scratch = Scratch()
        guard let output = zx_crypt_rn(password, setting, scratch.pointer, Int32(scratch.size)) else { return nil }
        return String(cString: output)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
