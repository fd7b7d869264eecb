/* Shared state of the preload library. Nothing here is exported: the build uses
 * -fvisibility=hidden and only the zmq_* wrappers carry ZXP_EXPORT. */
#ifndef ZXP_INTERNAL_H
#define ZXP_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/uio.h>
#include <zmq.h> /* declarations and zmq_msg_t only: the library never links libzmq */

#include "layout.h"

#define ZXP_EXPORT __attribute__((visibility("default")))
#define ZXP_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The real libzmq, found at run time (resolve.c). NULL members: not found. */
struct zxp_real {
    void *(*socket)(void *, int);
    int (*close)(void *);
    int (*bind)(void *, const char *);
    int (*connect)(void *, const char *);
    int (*unbind)(void *, const char *);
    int (*disconnect)(void *, const char *);
    int (*socket_monitor)(void *, const char *, int);
    int (*send)(void *, const void *, size_t, int);
    int (*send_const)(void *, const void *, size_t, int);
    int (*msg_send)(zmq_msg_t *, void *, int);
    int (*sendmsg)(void *, zmq_msg_t *, int);
    int (*sendiov)(void *, struct iovec *, size_t, int);
    int (*recv)(void *, void *, size_t, int);
    int (*msg_recv)(zmq_msg_t *, void *, int);
    int (*recvmsg)(void *, zmq_msg_t *, int);
    int (*recviov)(void *, struct iovec *, size_t *, int);
    void *(*ctx_new)(void);
    void *(*init)(int);
    int (*ctx_term)(void *);
    int (*ctx_destroy)(void *);
    int (*term)(void *);
    int (*ctx_shutdown)(void *);
    int (*ctx_set)(void *, int, int);
    int (*ctx_get)(void *, int);
    int (*proxy)(void *, void *, void *);
    int (*proxy_steerable)(void *, void *, void *, void *);
    int (*device)(int, void *, void *);
    int (*poll)(zmq_pollitem_t *, int, long);
    int (*getsockopt)(void *, int, void *, size_t *);
    int (*setsockopt)(void *, int, const void *, size_t);
    int (*msg_init)(zmq_msg_t *);
    int (*msg_init_size)(zmq_msg_t *, size_t);
    int (*msg_close)(zmq_msg_t *);
    int (*msg_copy)(zmq_msg_t *, zmq_msg_t *);
    void *(*msg_data)(zmq_msg_t *);
    size_t (*msg_size)(const zmq_msg_t *);
    int (*msg_more)(const zmq_msg_t *);
    void (*version)(int *, int *, int *);
};
extern struct zxp_real zxp_real;
/* Resolves every function once (thread-safe); returns 1 when libzmq was found. */
int zxp_resolve(void);
extern _Atomic int zxp_resolved;
/* The message path's check: one acquire load once resolved. */
static inline int zxp_ready(void)
{
    return __builtin_expect(atomic_load_explicit(&zxp_resolved, memory_order_acquire) == 1, 1) || zxp_resolve();
}

/* Thread-local nesting depth: libzmq calls its own exported functions (zmq_sendmsg calls
 * zmq_msg_send, zmq_socket_monitor calls zmq_socket); only depth 0 counts. */
extern __thread int zxp_depth __attribute__((tls_model("initial-exec")));
/* Set by the zmq_socket wrapper around its zmq_socket_monitor call: the nested zmq_socket that
 * libzmq makes for the monitor's PAIR stores its handle here. */
extern __thread void **zxp_capture __attribute__((tls_model("initial-exec")));

/* Process-wide state (registry.c). */
enum { ZXP_OFF = 0, ZXP_ON = 1, ZXP_INERT = 2 };
extern _Atomic int zxp_state; /* ZXP_ON once the stats file exists */
extern pthread_mutex_t zxp_lock;
extern struct zxp_header *zxp_file;
extern uint32_t zxp_endpoint_random; /* set with the file, before any monitor */

/* Socket -> slot map, lock-free for lookups. Values: slot index >= 0, ZXP_MONITOR_PAIR for
 * libzmq's monitor PAIRs of the library's monitors (their failed sends are dropped events). */
#define ZXP_MONITOR_PAIR (-2)
#define ZXP_NONE (-1)
int zxp_map_get(void *socket);
void zxp_map_put(void *socket, int value); /* under zxp_lock */
void zxp_map_del(void *socket);            /* under zxp_lock */
void zxp_map_reset(void);

static inline struct zxp_slot *zxp_slot_at(int index)
{
    return (struct zxp_slot *)((char *)zxp_file + ZXP_HEADER_SIZE + (size_t)index * ZXP_SLOT_SIZE);
}

/* Counter updates. A slot has one writer at a time (the socket's thread for message counters,
 * the monitor thread for events), so a relaxed load and store suffice: no locked instruction on
 * the message path. Slot 0 collects several sockets and takes an atomic add. */
static inline void zxp_add(uint64_t *field, uint64_t n, int shared)
{
    if (ZXP_UNLIKELY(shared)) {
        __atomic_fetch_add(field, n, __ATOMIC_RELAXED);
    } else {
        __atomic_store_n(field, __atomic_load_n(field, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
    }
}
static inline void zxp_add_locked(uint64_t *field, uint64_t n)
{
    __atomic_fetch_add(field, n, __ATOMIC_RELAXED);
}

/* Private per-slot bookkeeping that is not published. */
struct zxp_owner {
    void *socket;
    void *ctx;
    void *monitor_pair; /* libzmq's PAIR for our monitor, NULL if none */
    int reader;         /* index into the monitor thread's reader table, -1 if none */
    uint64_t closed_order;
};

/* registry.c */
int zxp_start(void); /* creates the stats file at the first zmq_socket; returns zxp_state */
int zxp_register(void *socket, void *ctx, int type); /* slot index (0 = overflow) */
void zxp_set_name_for(void *socket, const char *endpoint, int bound, int removed);
void zxp_closing(void *socket); /* before the real zmq_close */
struct zxp_owner *zxp_owner_at(int index);
int zxp_monitor_budget_ok(void);
void zxp_note_monitor(int slot, void *monitor_pair, int reader);
int zxp_monitor_before_app(void *socket);
void zxp_monitor_after_app(int index, int succeeded);
void zxp_ctx_forget(void *ctx);
void zxp_ctx_max_sockets(void *ctx, int requested, int effective);
int zxp_ctx_requested(void *ctx, int *requested);
void zxp_warn_once(const char *what, int err);
void zxp_after_fork_child(void);
uint64_t zxp_now_ns(void);

/* monitor.c */
int zxp_attach_monitor(void *socket, void *ctx, int slot, uint32_t generation);
void zxp_reader_close_for_socket(int reader); /* under zxp_lock */
void zxp_readers_close_for_ctx(void *ctx);
void zxp_reader_retarget(int reader, int slot, uint32_t generation); /* under zxp_lock */
void zxp_monitor_after_fork_child(void);

/* counting.c */
void zxp_count_sent(void *socket, int rc, size_t bytes, int flags);
void zxp_count_received(void *socket, int rc, size_t bytes, int more);
void zxp_count_send_failure(void *socket, int err, int flags);
void zxp_count_on_slot_sent(int slot, size_t bytes, int more);
void zxp_count_on_slot_received(int slot, size_t bytes, int more);

/* proxy.c */
int zxp_proxy(void *frontend, void *backend, void *capture, void *control);

/* statsfile.c */
extern uint32_t zxp_slot_count;
struct zxp_header *zxp_create_file(void);
void zxp_drop_file(void);

#endif
