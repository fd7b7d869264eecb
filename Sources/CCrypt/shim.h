#ifndef CCRYPT_SHIM_H
#define CCRYPT_SHIM_H
// libxcrypt's crypt_rn and crypt_gensalt_rn for bcrypt (Debian's libcrypt1; headers from
// libcrypt-dev), loaded with dlopen on first use like OpenSSL (see COpenSSL/shim.h), so an agent
// without basic auth does not map it.
#include <crypt.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static inline void *zx_crypt_symbol(const char *name) {
    static void *handle;
    void *loaded = __atomic_load_n(&handle, __ATOMIC_ACQUIRE);
    if (!loaded) {
        loaded = dlopen("libcrypt.so.1", RTLD_NOW | RTLD_LOCAL);
        __atomic_store_n(&handle, loaded, __ATOMIC_RELEASE);
    }
    void *symbol = loaded ? dlsym(loaded, name) : NULL;
    if (!symbol) {
        fprintf(stderr, "zmq-exporter: cannot find %s in libcrypt.so.1\n", name);
        abort();
    }
    return symbol;
}

/// 1 when libcrypt.so.1 can be loaded.
static inline int zx_crypt_load(void) {
    return dlopen("libcrypt.so.1", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD) != NULL
        || dlopen("libcrypt.so.1", RTLD_NOW | RTLD_LOCAL) != NULL;
}

static inline char *zx_crypt_rn(const char *phrase, const char *setting, void *data, int size) {
    static char *(*fn)(const char *, const char *, void *, int);
    char *(*bound)(const char *, const char *, void *, int) = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);
    if (!bound) {
        bound = (char *(*)(const char *, const char *, void *, int))zx_crypt_symbol("crypt_rn");
        __atomic_store_n(&fn, bound, __ATOMIC_RELEASE);
    }
    return bound(phrase, setting, data, size);
}

static inline char *zx_crypt_gensalt_rn(const char *prefix, unsigned long count, const char *rbytes, int nrbytes,
                                        char *output, int size) {
    static char *(*fn)(const char *, unsigned long, const char *, int, char *, int);
    char *(*bound)(const char *, unsigned long, const char *, int, char *, int) = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);
    if (!bound) {
        bound = (char *(*)(const char *, unsigned long, const char *, int, char *, int))zx_crypt_symbol("crypt_gensalt_rn");
        __atomic_store_n(&fn, bound, __ATOMIC_RELEASE);
    }
    return bound(prefix, count, rbytes, nrbytes, output, size);
}
#endif
