/* The exported zmq_* functions. Each calls the real one with the nesting depth raised, then
 * counts at depth 0 only, and hands back the real return value and errno untouched. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "internal.h"

__thread int zxp_depth __attribute__((tls_model("initial-exec")));
__thread void **zxp_capture __attribute__((tls_model("initial-exec")));

#define NEED(fn, fail)              \
    do {                            \
        if (!zxp_ready() || !zxp_real.fn) { \
            errno = ENOSYS;         \
            return fail;            \
        }                           \
    } while (0)

static inline int counting(void)
{
    return zxp_depth == 0 && atomic_load_explicit(&zxp_state, memory_order_relaxed) == ZXP_ON;
}

ZXP_EXPORT void *zmq_socket(void *ctx, int type)
{
    NEED(socket, NULL);
    if (zxp_depth > 0) {
        void *s = zxp_real.socket(ctx, type);
        if (zxp_capture && s) {
            // libzmq's own PAIR for the monitor we are attaching: a reader that falls behind
            // must cost dropped events, never a stalled I/O thread.
            int zero = 0;
            int saved = errno;
            zxp_real.setsockopt(s, ZMQ_SNDTIMEO, &zero, sizeof zero);
            errno = saved;
            *zxp_capture = s;
            zxp_capture = NULL;
        }
        return s;
    }
    zxp_depth++;
    void *s = zxp_real.socket(ctx, type);
    zxp_depth--;
    if (!s) return NULL;
    int saved = errno;
    if (zxp_start() == ZXP_ON) {
        int slot = zxp_register(s, ctx, type);
        if (slot > 0) zxp_attach_monitor(s, ctx, slot, __atomic_load_n(&zxp_slot_at(slot)->generation, __ATOMIC_RELAXED));
    }
    errno = saved;
    return s;
}

ZXP_EXPORT int zmq_close(void *s)
{
    NEED(close, -1);
    if (counting()) zxp_closing(s);
    zxp_depth++;
    int rc = zxp_real.close(s);
    zxp_depth--;
    return rc;
}

static int endpoint_call(int (*fn)(void *, const char *), void *s, const char *endpoint, int bound, int removed)
{
    int counted = counting();
    zxp_depth++;
    int rc = fn(s, endpoint);
    zxp_depth--;
    if (rc == 0 && counted && endpoint) {
        int saved = errno;
        zxp_set_name_for(s, endpoint, bound, removed);
        errno = saved;
    }
    return rc;
}

ZXP_EXPORT int zmq_bind(void *s, const char *endpoint)
{
    NEED(bind, -1);
    return endpoint_call(zxp_real.bind, s, endpoint, 1, 0);
}

ZXP_EXPORT int zmq_connect(void *s, const char *endpoint)
{
    NEED(connect, -1);
    return endpoint_call(zxp_real.connect, s, endpoint, 0, 0);
}

ZXP_EXPORT int zmq_unbind(void *s, const char *endpoint)
{
    NEED(unbind, -1);
    return endpoint_call(zxp_real.unbind, s, endpoint, 1, 1);
}

ZXP_EXPORT int zmq_disconnect(void *s, const char *endpoint)
{
    NEED(disconnect, -1);
    return endpoint_call(zxp_real.disconnect, s, endpoint, 0, 1);
}

ZXP_EXPORT int zmq_socket_monitor(void *s, const char *endpoint, int events)
{
    NEED(socket_monitor, -1);
    int counted = counting();
    int ours = counted ? zxp_monitor_before_app(s) : 0;
    zxp_depth++;
    int rc = zxp_real.socket_monitor(s, endpoint, events);
    zxp_depth--;
    if (ours) {
        int saved = errno;
        zxp_monitor_after_app(ours, rc == 0);
        errno = saved;
    }
    return rc;
}

/* ---- sending ---- */

static inline int after_send(void *s, int rc, size_t bytes, int flags, int counted)
{
    if (rc >= 0) {
        if (counted) zxp_count_sent(s, rc, bytes, flags);
    } else if (atomic_load_explicit(&zxp_state, memory_order_relaxed) == ZXP_ON) {
        int err = errno;
        // Failures are looked at at any depth: libzmq's monitor PAIRs send from inside calls.
        if (counted || zxp_map_get(s) == ZXP_MONITOR_PAIR) zxp_count_send_failure(s, err, flags);
        errno = err;
    }
    return rc;
}

ZXP_EXPORT int zmq_send(void *s, const void *buf, size_t len, int flags)
{
    NEED(send, -1);
    int counted = counting();
    zxp_depth++;
    int rc = zxp_real.send(s, buf, len, flags);
    zxp_depth--;
    return after_send(s, rc, len, flags, counted);
}

ZXP_EXPORT int zmq_send_const(void *s, const void *buf, size_t len, int flags)
{
    NEED(send_const, -1);
    int counted = counting();
    zxp_depth++;
    int rc = zxp_real.send_const(s, buf, len, flags);
    zxp_depth--;
    return after_send(s, rc, len, flags, counted);
}

ZXP_EXPORT int zmq_msg_send(zmq_msg_t *msg, void *s, int flags)
{
    NEED(msg_send, -1);
    if (zxp_depth > 0 && zxp_map_get(s) == ZXP_MONITOR_PAIR) {
        // An event from inside an application call (LISTENING, BIND_FAILED in zmq_bind): our
        // monitor must leave the errno that call returns as it would be without us.
        int saved = errno;
        int rc = zxp_real.msg_send(msg, s, flags);
        if (rc < 0 && (flags & ZMQ_SNDMORE) && zxp_file) zxp_add_locked(&zxp_file->dropped_events, 1);
        errno = saved;
        return rc;
    }
    int counted = counting();
    // The message is gone after a successful send: take its size first.
    size_t bytes = counted ? zxp_real.msg_size(msg) : 0;
    zxp_depth++;
    int rc = zxp_real.msg_send(msg, s, flags);
    zxp_depth--;
    return after_send(s, rc, bytes, flags, counted);
}

ZXP_EXPORT int zmq_sendmsg(void *s, zmq_msg_t *msg, int flags)
{
    NEED(sendmsg, -1);
    int counted = counting();
    size_t bytes = counted ? zxp_real.msg_size(msg) : 0;
    zxp_depth++;
    int rc = zxp_real.sendmsg(s, msg, flags);
    zxp_depth--;
    return after_send(s, rc, bytes, flags, counted);
}

ZXP_EXPORT int zmq_sendiov(void *s, struct iovec *iov, size_t count, int flags)
{
    NEED(sendiov, -1);
    int counted = counting();
    size_t bytes = 0;
    for (size_t i = 0; counted && iov && i < count; i++) bytes += iov[i].iov_len;
    zxp_depth++;
    int rc = zxp_real.sendiov(s, iov, count, flags);
    zxp_depth--;
    if (rc >= 0 && counted) {
        // libzmq sends every frame but the last with `flags` and the last without SNDMORE:
        // with SNDMORE the frames make one message, without it each frame is a message.
        int slot = zxp_map_get(s);
        for (size_t i = 0; slot >= 0 && i < count; i++) {
            zxp_count_on_slot_sent(slot, iov[i].iov_len, (flags & ZMQ_SNDMORE) && i + 1 < count);
        }
        return rc;
    }
    return after_send(s, rc, bytes, flags, counted);
}

/* ---- receiving ---- */

static inline int rcvmore(void *s)
{
    int more = 0;
    size_t size = sizeof more;
    int saved = errno;
    if (zxp_real.getsockopt(s, ZMQ_RCVMORE, &more, &size) != 0) more = 0;
    errno = saved;
    return more;
}

ZXP_EXPORT int zmq_recv(void *s, void *buf, size_t len, int flags)
{
    NEED(recv, -1);
    int slot = counting() ? zxp_map_get(s) : ZXP_NONE;
    if (slot < 0) {
        zxp_depth++;
        int rc = zxp_real.recv(s, buf, len, flags);
        zxp_depth--;
        return rc;
    }
    // libzmq 4's zmq_recv is a message receive copied into buf; doing the same here reads the
    // MORE flag off the message instead of a zmq_getsockopt(ZMQ_RCVMORE), which cost more than
    // all the counting (127 instructions per call, callgrind). Return value and errno are the
    // same: the frame's full size even when truncated into buf, -1 with the receive's errno.
    zmq_msg_t msg;
    zxp_real.msg_init(&msg);
    zxp_depth++;
    int rc = zxp_real.msg_recv(&msg, s, flags);
    zxp_depth--;
    if (rc < 0) {
        int err = errno;
        zxp_real.msg_close(&msg);
        errno = err;
        return -1;
    }
    size_t size = zxp_real.msg_size(&msg);
    if (size && buf && len) memcpy(buf, zxp_real.msg_data(&msg), size < len ? size : len);
    int more = zxp_real.msg_more(&msg);
    zxp_real.msg_close(&msg);
    zxp_count_on_slot_received(slot, size, more);
    return (int)size;
}

ZXP_EXPORT int zmq_msg_recv(zmq_msg_t *msg, void *s, int flags)
{
    NEED(msg_recv, -1);
    int counted = counting();
    zxp_depth++;
    int rc = zxp_real.msg_recv(msg, s, flags);
    zxp_depth--;
    if (rc >= 0 && counted) zxp_count_received(s, rc, (size_t)rc, zxp_real.msg_more(msg));
    return rc;
}

ZXP_EXPORT int zmq_recvmsg(void *s, zmq_msg_t *msg, int flags)
{
    NEED(recvmsg, -1);
    int counted = counting();
    zxp_depth++;
    int rc = zxp_real.recvmsg(s, msg, flags);
    zxp_depth--;
    if (rc >= 0 && counted) zxp_count_received(s, rc, (size_t)rc, zxp_real.msg_more(msg));
    return rc;
}

ZXP_EXPORT int zmq_recviov(void *s, struct iovec *iov, size_t *count, int flags)
{
    NEED(recviov, -1);
    int counted = counting();
    zxp_depth++;
    int rc = zxp_real.recviov(s, iov, count, flags);
    zxp_depth--;
    if (rc >= 0 && counted && count) {
        int slot = zxp_map_get(s);
        // One zxp_count per frame: bytes add up, and only a frame without MORE ends a message.
        for (size_t i = 0; slot >= 0 && i < *count; i++) {
            int more = i + 1 < *count || rcvmore(s);
            zxp_count_on_slot_received(slot, iov[i].iov_len, more);
        }
    }
    return rc;
}

/* ---- contexts ---- */

/* ZMQ_MAX_SOCKETS is read when the context starts (its first socket). Each monitored socket
 * costs two more sockets, so the context gets three times what the application asked for;
 * zmq_ctx_get still answers the application's number. */
static void raise_max_sockets(void *ctx, int requested)
{
    if (!ctx || !zxp_real.ctx_set) return;
    int saved = errno;
    int base = requested > 0 ? requested : ZMQ_MAX_SOCKETS_DFLT;
    int effective = base > (1 << 20) ? base : base * 3;
    if (zxp_real.ctx_set(ctx, ZMQ_MAX_SOCKETS, effective) != 0) {
        effective = base;
        zxp_real.ctx_set(ctx, ZMQ_MAX_SOCKETS, base);
    }
    zxp_ctx_max_sockets(ctx, requested, effective);
    errno = saved;
}

ZXP_EXPORT void *zmq_ctx_new(void)
{
    NEED(ctx_new, NULL);
    int outer = zxp_depth == 0;
    zxp_depth++;
    void *ctx = zxp_real.ctx_new();
    zxp_depth--;
    if (ctx && outer) raise_max_sockets(ctx, -1);
    return ctx;
}

ZXP_EXPORT void *zmq_init(int io_threads)
{
    NEED(init, NULL);
    int outer = zxp_depth == 0;
    zxp_depth++;
    void *ctx = zxp_real.init(io_threads);
    zxp_depth--;
    if (ctx && outer) raise_max_sockets(ctx, -1);
    return ctx;
}

ZXP_EXPORT int zmq_ctx_set(void *ctx, int option, int value)
{
    NEED(ctx_set, -1);
    if (zxp_depth == 0 && option == ZMQ_MAX_SOCKETS && ctx && value >= 1) {
        zxp_depth++;
        int rc = zxp_real.ctx_set(ctx, option, value); /* validates exactly as without us */
        zxp_depth--;
        if (rc == 0) raise_max_sockets(ctx, value);
        return rc;
    }
    zxp_depth++;
    int rc = zxp_real.ctx_set(ctx, option, value);
    zxp_depth--;
    return rc;
}

ZXP_EXPORT int zmq_ctx_get(void *ctx, int option)
{
    NEED(ctx_get, -1);
    if (zxp_depth == 0 && option == ZMQ_MAX_SOCKETS && ctx) {
        int requested;
        if (zxp_ctx_requested(ctx, &requested)) return requested;
        zxp_depth++;
        int rc = zxp_real.ctx_get(ctx, option);
        zxp_depth--;
        // A context we raised but the application never set: libzmq's default.
        return rc > ZMQ_MAX_SOCKETS_DFLT && zxp_real.ctx_set ? ZMQ_MAX_SOCKETS_DFLT : rc;
    }
    zxp_depth++;
    int rc = zxp_real.ctx_get(ctx, option);
    zxp_depth--;
    return rc;
}

static int terminating(int (*fn)(void *), void *ctx)
{
    if (zxp_depth == 0 && ctx && atomic_load_explicit(&zxp_state, memory_order_relaxed) == ZXP_ON) {
        int saved = errno;
        zxp_ctx_forget(ctx);
        errno = saved;
    }
    zxp_depth++;
    int rc = fn(ctx);
    zxp_depth--;
    return rc;
}

ZXP_EXPORT int zmq_ctx_term(void *ctx) { NEED(ctx_term, -1); return terminating(zxp_real.ctx_term, ctx); }
ZXP_EXPORT int zmq_ctx_destroy(void *ctx) { NEED(ctx_destroy, -1); return terminating(zxp_real.ctx_destroy, ctx); }
ZXP_EXPORT int zmq_term(void *ctx) { NEED(term, -1); return terminating(zxp_real.term, ctx); }
ZXP_EXPORT int zmq_ctx_shutdown(void *ctx) { NEED(ctx_shutdown, -1); return terminating(zxp_real.ctx_shutdown, ctx); }

/* ---- proxies: libzmq forwards inside, out of our sight, so the loop is redone here ---- */

static int proxied(void *a, void *b, void *c, void *d)
{
    if (zxp_depth > 0 || atomic_load_explicit(&zxp_state, memory_order_relaxed) != ZXP_ON) return 0;
    return zxp_map_get(a) >= 0 || zxp_map_get(b) >= 0 || (c && zxp_map_get(c) >= 0) || (d && zxp_map_get(d) >= 0);
}

ZXP_EXPORT int zmq_proxy(void *frontend, void *backend, void *capture)
{
    NEED(proxy, -1);
    if (!proxied(frontend, backend, capture, NULL)) {
        zxp_depth++;
        int rc = zxp_real.proxy(frontend, backend, capture);
        zxp_depth--;
        return rc;
    }
    return zxp_proxy(frontend, backend, capture, NULL);
}

ZXP_EXPORT int zmq_proxy_steerable(void *frontend, void *backend, void *capture, void *control)
{
    NEED(proxy_steerable, -1);
    if (!proxied(frontend, backend, capture, control)) {
        zxp_depth++;
        int rc = zxp_real.proxy_steerable(frontend, backend, capture, control);
        zxp_depth--;
        return rc;
    }
    return zxp_proxy(frontend, backend, capture, control);
}

ZXP_EXPORT int zmq_device(int type, void *frontend, void *backend)
{
    NEED(device, -1);
    (void)type; /* libzmq 4 ignores it too */
    if (!proxied(frontend, backend, NULL, NULL)) {
        zxp_depth++;
        int rc = zxp_real.device(type, frontend, backend);
        zxp_depth--;
        return rc;
    }
    return zxp_proxy(frontend, backend, NULL, NULL);
}
