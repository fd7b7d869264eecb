/* zmq_proxy, zmq_proxy_steerable and zmq_device, redone with the real zmq_poll and message
 * calls so both sides are counted (libzmq's own loop calls C++ methods we cannot see).
 * It follows libzmq 4.3's loop: wait for input, forward a burst of up to 1000 messages only
 * while the other side can take them, and answer the control socket's PAUSE, RESUME, TERMINATE
 * and STATISTICS (8 uint64 frames: frontend received count/bytes, sent count/bytes, then the
 * backend's, counted per frame as libzmq does). Errors return -1 with libzmq's errno (ETERM
 * when the context terminates); TERMINATE returns 0. */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define BURST 1000

struct side_stats {
    uint64_t count, bytes;
};
struct proxy_stats {
    struct side_stats frontend_recv, frontend_send, backend_recv, backend_send;
};

static int send_counted(void *socket, zmq_msg_t *msg, int flags)
{
    size_t bytes = zxp_real.msg_size(msg);
    int rc = zxp_real.msg_send(msg, socket, flags);
    int slot = zxp_map_get(socket);
    if (slot >= 0) {
        if (rc >= 0) {
            zxp_count_on_slot_sent(slot, bytes, flags & ZMQ_SNDMORE);
        } else {
            int err = errno;
            zxp_count_send_failure(socket, err, flags);
            errno = err;
        }
    }
    return rc;
}

static int forward(void *from, void *to, void *capture, zmq_msg_t *msg, struct side_stats *recving,
                   struct side_stats *sending)
{
    int from_slot = zxp_map_get(from);
    for (int i = 0; i < BURST; i++) {
        for (;;) {
            int rc = zxp_real.msg_recv(msg, from, ZMQ_DONTWAIT);
            if (rc < 0) return errno == EAGAIN && i > 0 ? 0 : -1;
            size_t nbytes = zxp_real.msg_size(msg);
            int more = zxp_real.msg_more(msg);
            recving->count++;
            recving->bytes += nbytes;
            if (from_slot >= 0) zxp_count_on_slot_received(from_slot, nbytes, more);
            if (capture) {
                zmq_msg_t copy;
                if (zxp_real.msg_init(&copy) != 0) return -1;
                if (zxp_real.msg_copy(&copy, msg) != 0 || send_counted(capture, &copy, more ? ZMQ_SNDMORE : 0) < 0) {
                    int err = errno;
                    zxp_real.msg_close(&copy);
                    errno = err;
                    return -1;
                }
            }
            if (send_counted(to, msg, more ? ZMQ_SNDMORE : 0) < 0) return -1;
            sending->count++;
            sending->bytes += nbytes;
            if (!more) break;
        }
    }
    return 0;
}

enum { ACTIVE, PAUSED, TERMINATED };

static int handle_control(void *control, int *state, const struct proxy_stats *stats)
{
    zmq_msg_t cmd;
    zxp_real.msg_init(&cmd);
    if (zxp_real.msg_recv(&cmd, control, ZMQ_DONTWAIT) < 0) {
        int err = errno;
        zxp_real.msg_close(&cmd);
        errno = err;
        return -1;
    }
    size_t size = zxp_real.msg_size(&cmd);
    char text[16] = {0};
    memcpy(text, zxp_real.msg_data(&cmd), size < sizeof text - 1 ? size : sizeof text - 1);
    zxp_real.msg_close(&cmd);
    if (size == 10 && memcmp(text, "STATISTICS", 10) == 0) {
        const uint64_t values[8] = {stats->frontend_recv.count, stats->frontend_recv.bytes,
                                    stats->frontend_send.count, stats->frontend_send.bytes,
                                    stats->backend_recv.count,  stats->backend_recv.bytes,
                                    stats->backend_send.count,  stats->backend_send.bytes};
        for (int i = 0; i < 8; i++) {
            zmq_msg_t part;
            zxp_real.msg_init_size(&part, sizeof(uint64_t));
            memcpy(zxp_real.msg_data(&part), &values[i], sizeof(uint64_t));
            if (send_counted(control, &part, i < 7 ? ZMQ_SNDMORE : 0) < 0) {
                int err = errno;
                zxp_real.msg_close(&part);
                errno = err;
                return -1;
            }
        }
        return 0;
    }
    if (size == 5 && memcmp(text, "PAUSE", 5) == 0) {
        *state = PAUSED;
    } else if (size == 6 && memcmp(text, "RESUME", 6) == 0) {
        *state = ACTIVE;
    } else if (size == 9 && memcmp(text, "TERMINATE", 9) == 0) {
        *state = TERMINATED;
    }
    // Any other command is ignored (libzmq 4.3.4 asserts on it; aborting the host program to
    // report a bad command is not something an observer should do).
    int type = 0;
    size_t type_size = sizeof type;
    zxp_real.getsockopt(control, ZMQ_TYPE, &type, &type_size);
    if (type == ZMQ_REP) { /* a REP control socket must answer every request */
        zmq_msg_t reply;
        zxp_real.msg_init(&reply);
        if (send_counted(control, &reply, 0) < 0) {
            int err = errno;
            zxp_real.msg_close(&reply);
            errno = err;
            return -1;
        }
    }
    return 0;
}

int zxp_proxy(void *frontend, void *backend, void *capture, void *control)
{
    if (!frontend || !backend) {
        errno = EFAULT;
        return -1;
    }
    zxp_depth++;
    zmq_msg_t msg;
    zxp_real.msg_init(&msg);
    struct proxy_stats stats;
    memset(&stats, 0, sizeof stats);
    int same = frontend == backend;
    int state = ACTIVE, rc = 0;
    int frontend_in = 0, frontend_out = 0, backend_in = 0, backend_out = 0;
    int request_blocked = 0, reply_blocked = 0;
    while (state != TERMINATED) {
        // Wait for input, and for room on a side that had to refuse a message last round.
        zmq_pollitem_t wait[3];
        int n = 0, control_at = -1;
        short front_events = 0, back_events = 0;
        if (state == ACTIVE) {
            front_events = (short)((request_blocked ? 0 : ZMQ_POLLIN) | (reply_blocked ? ZMQ_POLLOUT : 0));
            back_events = (short)((reply_blocked ? 0 : ZMQ_POLLIN) | (request_blocked ? ZMQ_POLLOUT : 0));
            if (same) front_events = ZMQ_POLLIN;
            wait[n++] = (zmq_pollitem_t){.socket = frontend, .events = front_events};
            if (!same) wait[n++] = (zmq_pollitem_t){.socket = backend, .events = back_events};
        }
        if (control) {
            control_at = n;
            wait[n++] = (zmq_pollitem_t){.socket = control, .events = ZMQ_POLLIN};
        }
        if (n == 0) { /* paused without a control socket cannot happen; be safe */
            state = ACTIVE;
            continue;
        }
        rc = zxp_real.poll(wait, n, -1);
        if (rc < 0) break;
        if (control_at >= 0 && (wait[control_at].revents & ZMQ_POLLIN)) {
            rc = handle_control(control, &state, &stats);
            if (rc < 0) break;
            if (state != ACTIVE) continue;
        }
        // Then look at everything without blocking, as libzmq does.
        zmq_pollitem_t all[2] = {{.socket = frontend, .events = ZMQ_POLLIN | ZMQ_POLLOUT},
                                 {.socket = backend, .events = ZMQ_POLLIN | ZMQ_POLLOUT}};
        rc = zxp_real.poll(all, same ? 1 : 2, 0);
        if (rc < 0) break;
        frontend_in = (all[0].revents & ZMQ_POLLIN) != 0;
        frontend_out = (all[0].revents & ZMQ_POLLOUT) != 0;
        backend_in = !same && (all[1].revents & ZMQ_POLLIN) != 0;
        backend_out = !same && (all[1].revents & ZMQ_POLLOUT) != 0;
        rc = 0;
        request_blocked = reply_blocked = 0;
        if (frontend_in) {
            if (same || backend_out) {
                rc = forward(frontend, backend, capture, &msg, &stats.frontend_recv, &stats.backend_send);
                if (rc < 0) break;
            } else {
                request_blocked = 1;
            }
        }
        if (backend_in) {
            if (frontend_out) {
                rc = forward(backend, frontend, capture, &msg, &stats.backend_recv, &stats.frontend_send);
                if (rc < 0) break;
            } else {
                reply_blocked = 1;
            }
        }
    }
    int err = errno;
    zxp_real.msg_close(&msg);
    zxp_depth--;
    if (rc < 0) {
        errno = err;
        return -1;
    }
    return 0;
}
