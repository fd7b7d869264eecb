#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
// OpenSSL 3 for the HTTP server's TLS and the basic-auth cache digest (Debian's libssl3; headers
// from libssl-dev).
//
// The agent does not link libssl: mapping libssl and libcrypto costs an agent that serves plain
// HTTP about 2 MiB of resident memory (measured: 16.0 MiB idle instead of 13.9). Every OpenSSL
// function the server calls is therefore a zx_ wrapper that loads libssl.so.3 with dlopen on first
// use (only when a web config asks for TLS or basic auth) and looks the function up once.
// The headers are still included for the types and constants.
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static inline void *zx_openssl_handle(void) {
    static void *handle;
    void *loaded = __atomic_load_n(&handle, __ATOMIC_ACQUIRE);
    if (!loaded) {
        // dlopen of a loaded library returns the same handle: racing threads agree.
        loaded = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
        __atomic_store_n(&handle, loaded, __ATOMIC_RELEASE);
    }
    return loaded;
}

/// 1 when libssl.so.3 could be loaded; call before anything else, to report its absence.
static inline int zx_openssl_load(void) { return zx_openssl_handle() != NULL; }

static inline const char *zx_openssl_load_error(void) {
    const char *error = dlerror();
    return error ? error : "libssl.so.3 not found";
}

static inline void *zx_openssl_symbol(const char *name) {
    void *handle = zx_openssl_handle();
    void *symbol = handle ? dlsym(handle, name) : NULL;
    if (!symbol) {
        // Only reachable if zx_openssl_load() was not checked, or libssl is not OpenSSL 3.
        fprintf(stderr, "zmq-exporter: cannot find %s in libssl.so.3\n", name);
        abort();
    }
    return symbol;
}

// One lazily bound wrapper: zx_NAME(args) calls NAME from libssl/libcrypto. Racing first calls
// store the same pointer (atomically, so ThreadSanitizer agrees).
#define ZX_LAZY(ret, name, params, args) \
    static inline ret zx_##name params { \
        static ret (*fn) params; \
        ret (*bound) params = __atomic_load_n(&fn, __ATOMIC_ACQUIRE); \
        if (!bound) { \
            bound = (ret (*) params)zx_openssl_symbol(#name); \
            __atomic_store_n(&fn, bound, __ATOMIC_RELEASE); \
        } \
        return bound args; \
    }
#define ZX_LAZY_VOID(name, params, args) \
    static inline void zx_##name params { \
        static void (*fn) params; \
        void (*bound) params = __atomic_load_n(&fn, __ATOMIC_ACQUIRE); \
        if (!bound) { \
            bound = (void (*) params)zx_openssl_symbol(#name); \
            __atomic_store_n(&fn, bound, __ATOMIC_RELEASE); \
        } \
        bound args; \
    }

ZX_LAZY_VOID(ERR_clear_error, (void), ())
ZX_LAZY(unsigned long, ERR_get_error, (void), ())
ZX_LAZY(unsigned long, ERR_peek_error, (void), ())
ZX_LAZY_VOID(ERR_error_string_n, (unsigned long e, char *buf, size_t len), (e, buf, len))
ZX_LAZY(const SSL_METHOD *, TLS_server_method, (void), ())
ZX_LAZY(SSL_CTX *, SSL_CTX_new, (const SSL_METHOD *method), (method))
ZX_LAZY_VOID(SSL_CTX_free, (SSL_CTX *ctx), (ctx))
ZX_LAZY(long, SSL_CTX_ctrl, (SSL_CTX *ctx, int cmd, long larg, void *parg), (ctx, cmd, larg, parg))
ZX_LAZY(uint64_t, SSL_CTX_set_options, (SSL_CTX *ctx, uint64_t options), (ctx, options))
ZX_LAZY(int, SSL_CTX_set_num_tickets, (SSL_CTX *ctx, size_t count), (ctx, count))
ZX_LAZY_VOID(SSL_CTX_set_security_level, (SSL_CTX *ctx, int level), (ctx, level))
ZX_LAZY(int, SSL_CTX_set_cipher_list, (SSL_CTX *ctx, const char *list), (ctx, list))
ZX_LAZY(int, SSL_CTX_set_ciphersuites, (SSL_CTX *ctx, const char *list), (ctx, list))
ZX_LAZY(STACK_OF(SSL_CIPHER) *, SSL_CTX_get_ciphers, (const SSL_CTX *ctx), (ctx))
ZX_LAZY(int, SSL_CTX_use_certificate, (SSL_CTX *ctx, X509 *x), (ctx, x))
ZX_LAZY(int, SSL_CTX_use_PrivateKey, (SSL_CTX *ctx, EVP_PKEY *key), (ctx, key))
ZX_LAZY(int, SSL_CTX_check_private_key, (const SSL_CTX *ctx), (ctx))
ZX_LAZY(X509 *, SSL_CTX_get0_certificate, (const SSL_CTX *ctx), (ctx))
ZX_LAZY(X509_STORE *, SSL_CTX_get_cert_store, (const SSL_CTX *ctx), (ctx))
ZX_LAZY(int, SSL_CTX_add_client_CA, (SSL_CTX *ctx, X509 *x), (ctx, x))
ZX_LAZY_VOID(SSL_CTX_set_verify, (SSL_CTX *ctx, int mode, SSL_verify_cb callback), (ctx, mode, callback))
ZX_LAZY(int, SSL_CTX_set_ex_data, (SSL_CTX *ctx, int idx, void *data), (ctx, idx, data))
ZX_LAZY(void *, SSL_CTX_get_ex_data, (const SSL_CTX *ctx, int idx), (ctx, idx))
ZX_LAZY(const char *, SSL_CIPHER_standard_name, (const SSL_CIPHER *c), (c))
ZX_LAZY(const char *, SSL_CIPHER_get_name, (const SSL_CIPHER *c), (c))
ZX_LAZY(const char *, SSL_CIPHER_get_version, (const SSL_CIPHER *c), (c))
ZX_LAZY(SSL *, SSL_new, (SSL_CTX *ctx), (ctx))
ZX_LAZY_VOID(SSL_free, (SSL *ssl), (ssl))
ZX_LAZY(int, SSL_set_fd, (SSL *ssl, int fd), (ssl, fd))
ZX_LAZY_VOID(SSL_set_accept_state, (SSL *ssl), (ssl))
ZX_LAZY(int, SSL_do_handshake, (SSL *ssl), (ssl))
ZX_LAZY(int, SSL_read_ex, (SSL *ssl, void *buf, size_t num, size_t *read), (ssl, buf, num, read))
ZX_LAZY(int, SSL_write_ex, (SSL *ssl, const void *buf, size_t num, size_t *written), (ssl, buf, num, written))
ZX_LAZY(int, SSL_shutdown, (SSL *ssl), (ssl))
ZX_LAZY(int, SSL_get_error, (const SSL *ssl, int rc), (ssl, rc))
ZX_LAZY(long, SSL_get_verify_result, (const SSL *ssl), (ssl))
ZX_LAZY(SSL_CTX *, SSL_get_SSL_CTX, (const SSL *ssl), (ssl))
ZX_LAZY(int, SSL_get_ex_data_X509_STORE_CTX_idx, (void), ())
ZX_LAZY(BIO *, BIO_new_file, (const char *path, const char *mode), (path, mode))
ZX_LAZY(BIO *, BIO_new_mem_buf, (const void *buf, int len), (buf, len))
ZX_LAZY(int, BIO_free, (BIO *bio), (bio))
ZX_LAZY(X509 *, PEM_read_bio_X509, (BIO *bio, X509 **x, pem_password_cb *cb, void *u), (bio, x, cb, u))
ZX_LAZY(EVP_PKEY *, PEM_read_bio_PrivateKey, (BIO *bio, EVP_PKEY **x, pem_password_cb *cb, void *u), (bio, x, cb, u))
ZX_LAZY_VOID(X509_free, (X509 *x), (x))
ZX_LAZY_VOID(EVP_PKEY_free, (EVP_PKEY *key), (key))
ZX_LAZY(int, X509_STORE_add_cert, (X509_STORE *store, X509 *x), (store, x))
ZX_LAZY(const ASN1_TIME *, X509_get0_notAfter, (const X509 *x), (x))
ZX_LAZY(void *, X509_get_ext_d2i, (const X509 *x, int nid, int *crit, int *idx), (x, nid, crit, idx))
ZX_LAZY(void *, X509_STORE_CTX_get_ex_data, (const X509_STORE_CTX *ctx, int idx), (ctx, idx))
ZX_LAZY(int, X509_STORE_CTX_get_error_depth, (const X509_STORE_CTX *ctx), (ctx))
ZX_LAZY(X509 *, X509_STORE_CTX_get_current_cert, (const X509_STORE_CTX *ctx), (ctx))
ZX_LAZY_VOID(X509_STORE_CTX_set_error, (X509_STORE_CTX *ctx, int error), (ctx, error))
ZX_LAZY(int, ASN1_TIME_to_tm, (const ASN1_TIME *time, struct tm *tm), (time, tm))
ZX_LAZY(int, ASN1_STRING_length, (const ASN1_STRING *s), (s))
ZX_LAZY(const unsigned char *, ASN1_STRING_get0_data, (const ASN1_STRING *s), (s))
ZX_LAZY_VOID(GENERAL_NAMES_free, (GENERAL_NAMES *names), (names))
ZX_LAZY(int, OPENSSL_sk_num, (const OPENSSL_STACK *stack), (stack))
ZX_LAZY(void *, OPENSSL_sk_value, (const OPENSSL_STACK *stack, int index), (stack, index))
ZX_LAZY(const EVP_MD *, EVP_sha256, (void), ())
ZX_LAZY(int, EVP_Digest, (const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type, ENGINE *impl),
        (data, count, md, size, type, impl))

// Macros in OpenSSL's headers (SSL_CTX_ctrl calls), which Swift cannot import.
static inline long zx_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return zx_SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, version, NULL);
}
static inline long zx_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return zx_SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, version, NULL);
}
static inline long zx_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return zx_SSL_CTX_ctrl(ctx, SSL_CTRL_MODE, mode, NULL); }
static inline long zx_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return zx_SSL_CTX_ctrl(ctx, SSL_CTRL_SET_GROUPS_LIST, 0, (void *)list);
}
static inline long zx_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return zx_SSL_CTX_ctrl(ctx, SSL_CTRL_SET_SESS_CACHE_MODE, mode, NULL);
}
static inline long zx_SSL_CTX_add0_chain_cert(SSL_CTX *ctx, X509 *cert) {
    return zx_SSL_CTX_ctrl(ctx, SSL_CTRL_CHAIN_CERT, 0, (void *)cert);
}

// The options the server sets, as plain numbers (SSL_OP_* are macros of a 64-bit type).
static inline uint64_t zx_server_options(int preferServerCiphers) {
    uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION
        | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_SSLv3;
    if (preferServerCiphers) options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
    return options;
}
static inline long zx_partial_write_modes(void) {
    return SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
}

// Stacks: the typed sk_* macros over OPENSSL_sk_*.
static inline int zx_sk_SSL_CIPHER_num(const STACK_OF(SSL_CIPHER) *stack) { return zx_OPENSSL_sk_num((const OPENSSL_STACK *)stack); }
static inline const SSL_CIPHER *zx_sk_SSL_CIPHER_value(const STACK_OF(SSL_CIPHER) *stack, int index) {
    return (const SSL_CIPHER *)zx_OPENSSL_sk_value((const OPENSSL_STACK *)stack, index);
}
static inline int zx_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) { return zx_OPENSSL_sk_num((const OPENSSL_STACK *)names); }
static inline const GENERAL_NAME *zx_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int index) {
    return (const GENERAL_NAME *)zx_OPENSSL_sk_value((const OPENSSL_STACK *)names, index);
}

// A GENERAL_NAME's kind and bytes (its union is awkward from Swift).
static inline int zx_general_name_type(const GENERAL_NAME *name) { return name->type; }
static inline const ASN1_STRING *zx_general_name_string(const GENERAL_NAME *name) {
    switch (name->type) {
    case GEN_DNS: return name->d.dNSName;
    case GEN_EMAIL: return name->d.rfc822Name;
    case GEN_URI: return name->d.uniformResourceIdentifier;
    case GEN_IPADD: return name->d.iPAddress;
    default: return NULL;
    }
}

static inline int zx_ERR_GET_REASON(unsigned long code) { return ERR_GET_REASON(code); }
static inline int zx_ssl_ex_data_store_index(void) { return zx_SSL_get_ex_data_X509_STORE_CTX_idx(); }
#endif
