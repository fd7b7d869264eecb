/* Finding the real libzmq. dlsym(RTLD_NEXT) finds a libzmq the program linked. Python loads
 * extension modules RTLD_LOCAL (and pyzmq's wheel brings its own libzmq-*.so.5), so there
 * RTLD_NEXT finds nothing although the program's calls still reach the wrappers: then walk
 * the loaded objects and ask each one that is already loaded (RTLD_NOLOAD) for zmq_socket. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct zxp_real zxp_real;

static pthread_mutex_t resolve_lock = PTHREAD_MUTEX_INITIALIZER;
_Atomic int zxp_resolved; /* 0 not yet, 1 found, 2 not found (retried: a library may load later) */

#define PATHS_MAX 256
struct object_list {
    char *paths[PATHS_MAX];
    int count;
};

static int collect(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct object_list *list = data;
    // dlopen inside this callback would run under the loader's lock: only collect names here.
    if (info->dlpi_name && info->dlpi_name[0] && list->count < PATHS_MAX) {
        list->paths[list->count] = strdup(info->dlpi_name);
        if (list->paths[list->count]) list->count++;
    }
    return 0;
}

static void *self_symbol(void) { return (void *)&zxp_resolve; }

/* A handle to the first loaded object other than this library that defines zmq_socket. */
static void *find_loaded_libzmq(void)
{
    struct object_list list = {.count = 0};
    dl_iterate_phdr(collect, &list);
    Dl_info mine;
    const char *my_path = dladdr(self_symbol(), &mine) ? mine.dli_fname : NULL;
    void *found = NULL;
    for (int i = 0; i < list.count; i++) {
        if (!found && !(my_path && strcmp(my_path, list.paths[i]) == 0)) {
            void *handle = dlopen(list.paths[i], RTLD_LAZY | RTLD_NOLOAD);
            if (handle) {
                void *fn = dlsym(handle, "zmq_socket");
                Dl_info where;
                // The object must define zmq_socket itself, not merely see ours.
                if (fn && dladdr(fn, &where) && where.dli_fname && strcmp(where.dli_fname, list.paths[i]) == 0) {
                    found = handle;
                } else {
                    dlclose(handle);
                }
            }
        }
        free(list.paths[i]);
    }
    return found;
}

static void *lookup(void *handle, const char *name)
{
    return handle ? dlsym(handle, name) : dlsym(RTLD_NEXT, name);
}

static void fill(struct zxp_real *r, void *handle)
{
#define R(field, name) r->field = lookup(handle, name)
    R(socket, "zmq_socket"); R(close, "zmq_close"); R(bind, "zmq_bind"); R(connect, "zmq_connect");
    R(unbind, "zmq_unbind"); R(disconnect, "zmq_disconnect"); R(socket_monitor, "zmq_socket_monitor");
    R(send, "zmq_send"); R(send_const, "zmq_send_const"); R(msg_send, "zmq_msg_send");
    R(sendmsg, "zmq_sendmsg"); R(sendiov, "zmq_sendiov"); R(recv, "zmq_recv"); R(msg_recv, "zmq_msg_recv");
    R(recvmsg, "zmq_recvmsg"); R(recviov, "zmq_recviov"); R(ctx_new, "zmq_ctx_new"); R(init, "zmq_init");
    R(ctx_term, "zmq_ctx_term"); R(ctx_destroy, "zmq_ctx_destroy"); R(term, "zmq_term");
    R(ctx_shutdown, "zmq_ctx_shutdown"); R(ctx_set, "zmq_ctx_set"); R(ctx_get, "zmq_ctx_get");
    R(proxy, "zmq_proxy"); R(proxy_steerable, "zmq_proxy_steerable"); R(device, "zmq_device");
    R(poll, "zmq_poll"); R(getsockopt, "zmq_getsockopt"); R(setsockopt, "zmq_setsockopt");
    R(msg_init, "zmq_msg_init"); R(msg_init_size, "zmq_msg_init_size"); R(msg_close, "zmq_msg_close");
    R(msg_copy, "zmq_msg_copy"); R(msg_data, "zmq_msg_data"); R(msg_size, "zmq_msg_size");
    R(msg_more, "zmq_msg_more"); R(version, "zmq_version");
#undef R
}

static int complete(const struct zxp_real *r)
{
    return r->socket && r->close && r->socket_monitor && r->msg_send && r->msg_recv && r->poll &&
           r->getsockopt && r->setsockopt && r->msg_init && r->msg_close && r->msg_size &&
           r->msg_more && r->msg_data && r->connect && r->bind;
}

int zxp_resolve(void)
{
    int state = atomic_load_explicit(&zxp_resolved, memory_order_acquire);
    if (__builtin_expect(state == 1, 1)) return 1;
    int saved = errno;
    pthread_mutex_lock(&resolve_lock);
    state = atomic_load_explicit(&zxp_resolved, memory_order_relaxed);
    if (state != 1) {
        struct zxp_real found;
        memset(&found, 0, sizeof found);
        fill(&found, NULL);
        if (!found.socket) {
            void *handle = find_loaded_libzmq();
            if (handle) fill(&found, handle);
        }
        state = complete(&found) ? 1 : 2;
        // Published once, complete: wrappers read these pointers without the lock.
        if (state == 1) zxp_real = found;
        atomic_store_explicit(&zxp_resolved, state, memory_order_release);
    }
    pthread_mutex_unlock(&resolve_lock);
    errno = saved;
    return state == 1;
}
