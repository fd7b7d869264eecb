/* The one library thread per process that drains every monitor. Readers are created and
 * connected on the application's thread (inside zmq_socket, before it can bind or connect) and
 * handed over here through the reader table, which zxp_lock guards. The thread polls them and
 * an eventfd that wakes it for new readers and close requests; it blocks every signal and is
 * never joined (programs that never terminate their context exit cleanly). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

enum { R_FREE = 0, R_ACTIVE = 1, R_CLOSING = 2 };

struct conn {
    int fd;
    int pending; /* handshake not settled yet */
    uint64_t opened_ns;
    uint64_t order;
};

struct reader {
    int state;
    void *socket; /* our PAIR, connected to the monitor's endpoint */
    void *ctx;
    int slot;
    uint32_t generation;
    struct conn *conns;
    int conn_count, conn_capacity;
    uint64_t order_clock;
};

static struct reader *readers;
static int reader_capacity;
static int thread_running;
static int wake_fd = -1;
static uint64_t close_requests, closes_done;
static pthread_cond_t closed_cond = PTHREAD_COND_INITIALIZER;
static _Atomic uint64_t endpoint_seq;

static void wake(void)
{
    if (wake_fd >= 0) {
        uint64_t one = 1;
        ssize_t ignored = write(wake_fd, &one, sizeof one);
        (void)ignored;
    }
}

void zxp_reader_close_for_socket(int reader)
{
    if (reader < 0 || reader >= reader_capacity || readers[reader].state != R_ACTIVE) return;
    readers[reader].state = R_CLOSING;
    close_requests++;
    wake();
}

/* Under zxp_lock: the reader's socket was closed and its slot folded into `slot`. */
void zxp_reader_retarget(int reader, int slot, uint32_t generation)
{
    if (reader < 0 || reader >= reader_capacity || readers[reader].state == R_FREE) return;
    readers[reader].slot = slot;
    readers[reader].generation = generation;
}

static void close_reader(struct reader *r)
{
    zxp_real.close(r->socket);
    free(r->conns);
    memset(r, 0, sizeof *r);
}

/* Called with zxp_lock held by zxp_ctx_forget's caller path: marks, wakes, waits (bounded). */
void zxp_readers_close_for_ctx(void *ctx)
{
    pthread_mutex_lock(&zxp_lock);
    for (int i = 0; i < reader_capacity; i++) {
        if (readers[i].state != R_FREE && readers[i].ctx == ctx) {
            if (thread_running) {
                readers[i].state = R_CLOSING;
            } else {
                close_reader(&readers[i]);
            }
        }
    }
    if (thread_running) {
        uint64_t wanted = ++close_requests;
        wake();
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 2;
        while (closes_done < wanted) {
            if (pthread_cond_timedwait(&closed_cond, &zxp_lock, &deadline) == ETIMEDOUT) break;
        }
    }
    pthread_mutex_unlock(&zxp_lock);
}

static void observe_lifetime(struct zxp_slot *s, uint64_t ns)
{
    double seconds = (double)ns / 1e9;
    const double *bounds = zxp_file->bounds;
    int bucket = ZXP_BUCKETS;
    for (int i = 0; i < ZXP_BUCKETS; i++) {
        if (seconds <= bounds[i]) {
            bucket = i;
            break;
        }
    }
    zxp_add(&s->lifetime_buckets[bucket], 1, 0);
    zxp_add(&s->lifetime_sum_ns, ns, 0);
    zxp_add(&s->lifetime_count, 1, 0);
}

static void record_handshake_failure(struct zxp_slot *s, uint32_t event, uint32_t value)
{
    for (int i = 0; i < ZXP_HANDSHAKE_ENTRIES; i++) {
        struct zxp_handshake *h = &s->handshake[i];
        if (h->count == 0) {
            h->event = event;
            h->value = value;
            // Count last (release): a reader that sees a count sees its (event, value).
            __atomic_store_n(&h->count, 1, __ATOMIC_RELEASE);
            return;
        }
        if (h->event == event && h->value == value) {
            __atomic_store_n(&h->count, h->count + 1, __ATOMIC_RELEASE);
            return;
        }
    }
    zxp_add(&s->handshake_overflow, 1, 0);
}

static void remove_conn(struct reader *r, int at)
{
    r->conns[at] = r->conns[--r->conn_count];
}

/* The oldest connection still waiting for its handshake is the one a HANDSHAKE_* event is
 * about: the events carry no fd and one socket's events arrive in order (ConnectionTracker). */
static void settle_oldest(struct reader *r)
{
    int oldest = -1;
    for (int i = 0; i < r->conn_count; i++) {
        if (r->conns[i].pending && (oldest < 0 || r->conns[i].order < r->conns[oldest].order)) oldest = i;
    }
    if (oldest >= 0) r->conns[oldest].pending = 0;
}

/* Applies one event to the reader's slot; under zxp_lock. Returns 1 on MONITOR_STOPPED. */
static int apply(struct reader *r, uint16_t event, uint32_t value, uint64_t now)
{
    struct zxp_slot *s = zxp_slot_at(r->slot);
    if (s->generation != r->generation) return event == ZMQ_EVENT_MONITOR_STOPPED;
    int bit = __builtin_ctz((unsigned)event | 0x10000u);
    int known = event && !(event & (event - 1)) && bit < 15;
    zxp_add(&s->events[known ? bit : ZXP_EVENT_KINDS - 1], 1, 0);
    int fd = (int)value;
    switch (event) {
    case ZMQ_EVENT_ACCEPTED:
    case ZMQ_EVENT_CONNECTED: {
        for (int i = 0; i < r->conn_count; i++) {
            if (r->conns[i].fd == fd) {
                remove_conn(r, i);
                break;
            }
        }
        if (r->conn_count == r->conn_capacity) {
            int capacity = r->conn_capacity ? r->conn_capacity * 2 : 8;
            struct conn *grown = realloc(r->conns, sizeof *grown * (size_t)capacity);
            if (!grown) break;
            r->conns = grown;
            r->conn_capacity = capacity;
        }
        r->conns[r->conn_count++] = (struct conn){.fd = fd, .pending = 1, .opened_ns = now, .order = ++r->order_clock};
        break;
    }
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        settle_oldest(r);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        settle_oldest(r);
        record_handshake_failure(s, event, value);
        break;
    case ZMQ_EVENT_DISCONNECTED:
    case ZMQ_EVENT_CLOSED:
        // CLOSED names a listener or a failed attempt: it only counts for an fd we track.
        for (int i = 0; i < r->conn_count; i++) {
            if (r->conns[i].fd == fd) {
                observe_lifetime(s, now > r->conns[i].opened_ns ? now - r->conns[i].opened_ns : 0);
                if (r->conns[i].pending) zxp_add(&s->closed_before_handshake, 1, 0);
                remove_conn(r, i);
                break;
            }
        }
        break;
    case ZMQ_EVENT_MONITOR_STOPPED:
        // A local close sends no DISCONNECTED: forget every connection.
        r->conn_count = 0;
        break;
    default:
        break;
    }
    __atomic_store_n(&s->connections, (int64_t)r->conn_count, __ATOMIC_RELAXED);
    return event == ZMQ_EVENT_MONITOR_STOPPED;
}

/* Reads what one reader holds. An event is a 6-byte frame with MORE, then the endpoint frame.
 * After a dropped frame (the monitor's PAIR sends with SNDTIMEO 0) a lone endpoint frame or a
 * short first frame can arrive: skip to the end of that message and count it malformed. */
static void drain(int index, void *socket)
{
    zmq_msg_t msg;
    for (int budget = 0; budget < 2048; budget++) {
        zxp_real.msg_init(&msg);
        if (zxp_real.msg_recv(&msg, socket, ZMQ_DONTWAIT) < 0) {
            zxp_real.msg_close(&msg);
            return;
        }
        size_t size = zxp_real.msg_size(&msg);
        int more = zxp_real.msg_more(&msg);
        uint16_t event = 0;
        uint32_t value = 0;
        int good = size == 6 && more;
        if (good) {
            const unsigned char *data = zxp_real.msg_data(&msg);
            memcpy(&event, data, 2);
            memcpy(&value, data + 2, 4);
        }
        zxp_real.msg_close(&msg);
        if (good) {
            zxp_real.msg_init(&msg);
            if (zxp_real.msg_recv(&msg, socket, ZMQ_DONTWAIT) < 0) good = 0;
            more = good && zxp_real.msg_more(&msg);
            zxp_real.msg_close(&msg);
            if (more) good = 0;
        }
        while (more) { /* the rest of a malformed message */
            zxp_real.msg_init(&msg);
            int rc = zxp_real.msg_recv(&msg, socket, ZMQ_DONTWAIT);
            more = rc >= 0 && zxp_real.msg_more(&msg);
            zxp_real.msg_close(&msg);
        }
        pthread_mutex_lock(&zxp_lock);
        if (zxp_file && readers[index].state != R_FREE) {
            if (!good) {
                zxp_add_locked(&zxp_file->malformed_events, 1);
            } else if (apply(&readers[index], event, value, zxp_now_ns())) {
                readers[index].state = R_CLOSING;
            }
        }
        pthread_mutex_unlock(&zxp_lock);
    }
}

static void *run(void *unused)
{
    (void)unused;
    zmq_pollitem_t *items = NULL;
    int *owners = NULL;
    int capacity = 0;
    for (;;) {
        pthread_mutex_lock(&zxp_lock);
        for (int i = 0; i < reader_capacity; i++) {
            if (readers[i].state != R_CLOSING) continue;
            // What the monitor sent before it stopped is still queued: read it first. Only
            // this thread touches reader sockets, so draining without the lock is safe.
            void *socket = readers[i].socket; /* the table may be reallocated while unlocked */
            pthread_mutex_unlock(&zxp_lock);
            drain(i, socket);
            pthread_mutex_lock(&zxp_lock);
            close_reader(&readers[i]);
        }
        closes_done = close_requests;
        pthread_cond_broadcast(&closed_cond);
        if (capacity < reader_capacity + 1) {
            capacity = reader_capacity + 1;
            free(items);
            free(owners);
            items = calloc((size_t)capacity, sizeof *items);
            owners = calloc((size_t)capacity, sizeof *owners);
        }
        int n = 0;
        if (items && owners) {
            items[n++] = (zmq_pollitem_t){.socket = NULL, .fd = wake_fd, .events = ZMQ_POLLIN};
            for (int i = 0; i < reader_capacity; i++) {
                if (readers[i].state == R_ACTIVE) {
                    owners[n] = i;
                    items[n++] = (zmq_pollitem_t){.socket = readers[i].socket, .events = ZMQ_POLLIN};
                }
            }
        }
        pthread_mutex_unlock(&zxp_lock);
        if (n == 0) {
            capacity = 0; /* allocation failed: try again shortly */
            usleep(100000);
            continue;
        }
        int rc = zxp_real.poll(items, n, -1);
        if (rc < 0) {
            if (errno == ETERM) {
                // A context is terminating: close every reader that belongs to it, or its
                // termination waits for them and this loop spins on ETERM.
                for (int k = 1; k < n; k++) {
                    int events = 0;
                    size_t size = sizeof events;
                    if (zxp_real.getsockopt(items[k].socket, ZMQ_EVENTS, &events, &size) != 0 && errno == ETERM) {
                        pthread_mutex_lock(&zxp_lock);
                        if (readers[owners[k]].state == R_ACTIVE) readers[owners[k]].state = R_CLOSING;
                        pthread_mutex_unlock(&zxp_lock);
                    }
                }
            }
            continue;
        }
        if (items[0].revents & ZMQ_POLLIN) {
            uint64_t count;
            ssize_t ignored = read(wake_fd, &count, sizeof count);
            (void)ignored;
        }
        for (int k = 1; k < n; k++) {
            if (items[k].revents & ZMQ_POLLIN) drain(owners[k], items[k].socket);
        }
    }
    return NULL;
}

/* Under zxp_lock. */
static int ensure_thread(void)
{
    if (thread_running) return 1;
    if (wake_fd < 0) wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd < 0) return 0;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread inherits a mask that blocks all */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, run, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) return 0;
    pthread_setname_np(thread, "zmqexp-monitor");
    thread_running = 1;
    return 1;
}

static int add_reader(void *socket, void *ctx, int slot, uint32_t generation)
{
    int index = -1;
    for (int i = 0; i < reader_capacity && index < 0; i++) {
        if (readers[i].state == R_FREE) index = i;
    }
    if (index < 0) {
        int capacity = reader_capacity ? reader_capacity * 2 : 16;
        struct reader *grown = realloc(readers, sizeof *grown * (size_t)capacity);
        if (!grown) return -1;
        memset(grown + reader_capacity, 0, sizeof *grown * (size_t)(capacity - reader_capacity));
        index = reader_capacity;
        readers = grown;
        reader_capacity = capacity;
    }
    readers[index] = (struct reader){.state = R_ACTIVE, .socket = socket, .ctx = ctx, .slot = slot, .generation = generation};
    wake();
    return index;
}

/* On the application's thread, inside zmq_socket: monitor `socket`, connect our reader before
 * the application can bind or connect, hand the reader to the thread. 1 if monitored. */
int zxp_attach_monitor(void *socket, void *ctx, int slot, uint32_t generation)
{
    if (!zxp_monitor_budget_ok()) return 0;
    // Never reuse an endpoint name (libzmq #1315): random, pid and a sequence number.
    char endpoint[96];
    snprintf(endpoint, sizeof endpoint, "inproc://zmqexp-%08x-%d-%llu", zxp_endpoint_random, (int)getpid(),
             (unsigned long long)atomic_fetch_add(&endpoint_seq, 1));
    void *pair = NULL;
    zxp_capture = &pair;
    zxp_depth++;
    int rc = zxp_real.socket_monitor(socket, endpoint, ZMQ_EVENT_ALL);
    zxp_depth--;
    zxp_capture = NULL;
    void *reader = NULL;
    if (rc == 0 && pair) {
        reader = zxp_real.socket(ctx, ZMQ_PAIR);
        int zero = 0;
        if (reader) zxp_real.setsockopt(reader, ZMQ_LINGER, &zero, sizeof zero);
        if (reader && zxp_real.connect(reader, endpoint) != 0) {
            zxp_real.close(reader);
            reader = NULL;
        }
        if (reader) {
            // The connect left a command in the monitor PAIR's mailbox that attaches the pipe.
            // A send with SNDTIMEO 0 may skip reading its mailbox (libzmq throttles that), so
            // the first events would be dropped: have it read the mailbox now. No event can be
            // sent concurrently: the socket has no endpoint yet.
            int events = 0;
            size_t size = sizeof events;
            zxp_real.getsockopt(pair, ZMQ_EVENTS, &events, &size);
        }
    }
    int index = -1;
    if (reader) {
        pthread_mutex_lock(&zxp_lock);
        if (ensure_thread()) index = add_reader(reader, ctx, slot, generation);
        pthread_mutex_unlock(&zxp_lock);
    }
    if (index < 0) {
        if (rc == 0) {
            zxp_depth++;
            zxp_real.socket_monitor(socket, NULL, 0); /* stop first, then close (#3575) */
            zxp_depth--;
        }
        if (reader) zxp_real.close(reader);
        zxp_note_monitor(slot, NULL, -1);
        return 0;
    }
    zxp_note_monitor(slot, pair, index);
    return 1;
}

void zxp_monitor_after_fork_child(void)
{
    // The parent's readers belong to contexts the child must not use; the thread is not here.
    readers = NULL;
    reader_capacity = 0;
    thread_running = 0;
    if (wake_fd >= 0) close(wake_fd);
    wake_fd = -1;
    close_requests = closes_done = 0;
    pthread_cond_init(&closed_cond, NULL);
}
