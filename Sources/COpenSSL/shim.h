#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
// OpenSSL 3 for the HTTP server's TLS and the basic-auth cache digest (Debian's libssl-dev).
// The calls below are macros in OpenSSL's headers, which Swift cannot import: each is wrapped
// as a static inline function with the same meaning.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static inline long zx_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_min_proto_version(ctx, version);
}
static inline long zx_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long zx_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long zx_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return SSL_CTX_set1_groups_list(ctx, list);
}
static inline long zx_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline long zx_SSL_CTX_add0_chain_cert(SSL_CTX *ctx, X509 *cert) { return SSL_CTX_add0_chain_cert(ctx, cert); }
static inline void zx_OPENSSL_free(void *pointer) { OPENSSL_free(pointer); }

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

// Stacks: OPENSSL_sk_* under their typed macro names.
static inline int zx_sk_SSL_CIPHER_num(const STACK_OF(SSL_CIPHER) *stack) { return sk_SSL_CIPHER_num(stack); }
static inline const SSL_CIPHER *zx_sk_SSL_CIPHER_value(const STACK_OF(SSL_CIPHER) *stack, int index) {
    return sk_SSL_CIPHER_value(stack, index);
}
static inline int zx_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
static inline const GENERAL_NAME *zx_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int index) {
    return sk_GENERAL_NAME_value(names, index);
}
static inline void zx_GENERAL_NAMES_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }

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
static inline int zx_ssl_ex_data_store_index(void) { return SSL_get_ex_data_X509_STORE_CTX_idx(); }
#endif
