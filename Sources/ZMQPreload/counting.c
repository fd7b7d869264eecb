/* The message path: a lock-free map lookup and plain relaxed stores into the socket's slot.
 * No lock, no syscall, no allocation. A multipart message counts once, at its last frame. */
#include <errno.h>

#include "internal.h"

void zxp_count_on_slot_sent(int slot, size_t bytes, int more)
{
    struct zxp_slot *s = zxp_slot_at(slot);
    int shared = slot == 0;
    zxp_add(&s->bytes_sent, bytes, shared);
    if (!more) zxp_add(&s->messages_sent, 1, shared);
}

void zxp_count_on_slot_received(int slot, size_t bytes, int more)
{
    struct zxp_slot *s = zxp_slot_at(slot);
    int shared = slot == 0;
    zxp_add(&s->bytes_received, bytes, shared);
    if (!more) zxp_add(&s->messages_received, 1, shared);
}

void zxp_count_sent(void *socket, int rc, size_t bytes, int flags)
{
    (void)rc;
    int slot = zxp_map_get(socket);
    if (slot >= 0) zxp_count_on_slot_sent(slot, bytes, flags & ZMQ_SNDMORE);
}

void zxp_count_received(void *socket, int rc, size_t bytes, int more)
{
    (void)rc;
    int slot = zxp_map_get(socket);
    if (slot >= 0) zxp_count_on_slot_received(slot, bytes, more);
}

/* EAGAIN: would_block (DONTWAIT or SNDTIMEO at the high-water mark); EHOSTUNREACH: unroutable
 * (ROUTER_MANDATORY); EINTR is not counted: a signal interrupted the call and the application
 * retries it, nothing failed; anything else: error. On one of libzmq's monitor PAIRs for our
 * monitors a failed first frame is a dropped event. */
void zxp_count_send_failure(void *socket, int err, int flags)
{
    int slot = zxp_map_get(socket);
    if (slot == ZXP_MONITOR_PAIR) {
        if ((flags & ZMQ_SNDMORE) && zxp_file) zxp_add_locked(&zxp_file->dropped_events, 1);
        return;
    }
    if (slot < 0 || err == EINTR) return;
    struct zxp_slot *s = zxp_slot_at(slot);
    uint64_t *field = err == EAGAIN ? &s->send_would_block : err == EHOSTUNREACH ? &s->send_unroutable : &s->send_error;
    zxp_add(field, 1, slot == 0);
}
