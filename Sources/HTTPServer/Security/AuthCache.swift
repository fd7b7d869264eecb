import COpenSSL
import Posix

/// The last 100 successful basic-auth checks, so a scraper's repeated credentials skip bcrypt.
///
/// Keyed by SHA-256 over the user, the stored hash and the password, each prefixed with its
/// length: "a" + "b:c" and "a:b" + "c" are different keys (CVE-2022-46146 was a cache key
/// that joined them ambiguously), and a changed hash misses. Thread-safe; the lock is held for a
/// dictionary operation only, never during bcrypt.
final class AuthCache: Sendable {
    struct Key: Hashable, Sendable {
        let a: UInt64, b: UInt64, c: UInt64, d: UInt64
    }

    private struct State {
        var keys: Set<Key> = []
        var order: [Key] = []
        var next = 0
    }

    static let capacity = 100
    private let state = Locked(State())

    static func key(user: String, hash: String, password: [UInt8]) -> Key {
        var input: [UInt8] = []
        for part in [Array(user.utf8), Array(hash.utf8), password] {
            withUnsafeBytes(of: UInt64(part.count).bigEndian) { input.append(contentsOf: $0) }
            input.append(contentsOf: part)
        }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = zx_EVP_Digest(input, input.count, &digest, &length, zx_EVP_sha256(), nil)
        func word(_ at: Int) -> UInt64 { digest[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        return Key(a: word(0), b: word(8), c: word(16), d: word(24))
    }

    func contains(_ key: Key) -> Bool { state.withLock { $0.keys.contains(key) } }

    func insert(_ key: Key) {
        state.withLock { state in
            guard state.keys.insert(key).inserted else { return }
            if state.order.count < Self.capacity {
                state.order.append(key)
            } else {
                state.keys.remove(state.order[state.next])
                state.order[state.next] = key
                state.next = (state.next + 1) % Self.capacity
            }
        }
    }
}
