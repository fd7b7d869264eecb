import CCrypt
import COpenSSL

/// libssl and libcrypt are loaded on demand (see Sources/COpenSSL/shim.h): a web config that
/// needs them checks here first, so a machine without them gets a message instead of an abort.
public enum SecurityLibraries {
    /// Why TLS or basic auth cannot work on this machine, or nil when both libraries load.
    public static func loadProblem() -> String? {
        if zx_openssl_load() == 0 {
            return "TLS and basic auth need OpenSSL 3 (libssl.so.3, Debian package libssl3): \(String(cString: zx_openssl_load_error()))"
        }
        if zx_crypt_load() == 0 {
            return "basic auth needs libxcrypt (libcrypt.so.1, Debian package libcrypt1)"
        }
        return nil
    }
}
