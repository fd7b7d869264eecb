/* Slots, names and the rules for a socket's life: where a new socket's counts go, what happens
 * to them at zmq_close, and the per-context socket limit. Everything here runs under zxp_lock
 * and off the message path. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

_Atomic int zxp_state = ZXP_OFF;
pthread_mutex_t zxp_lock = PTHREAD_MUTEX_INITIALIZER;
struct zxp_header *zxp_file;

static struct zxp_owner *owners;
static uint64_t close_clock;
static int monitored_live;
static int max_monitors;
static int warned;
uint32_t zxp_endpoint_random;
/* ZMQ_MAX_SOCKETS as last asked and set; contexts are usually made before the first socket
 * (and so before the file), hence kept here and copied into the header when it exists. */
static int64_t max_sockets_requested = -1, max_sockets_effective;

struct name_rule {
    char *endpoint;
    char *name;
};
static struct name_rule *rules;
static int rule_count;

#define CTX_MAX 64
static struct {
    void *ctx;
    int requested;
} contexts[CTX_MAX];

uint64_t zxp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void zxp_warn_once(const char *what, int err)
{
    if (warned) return;
    warned = 1;
    // One line, then silence: the program runs on unmonitored.
    char line[512];
    int n = snprintf(line, sizeof line, "zmq-exporter preload: %s: %s; this process is not monitored\n", what,
                     strerror(err));
    if (n > 0) {
        ssize_t ignored = write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        (void)ignored;
    }
}

// ZMQ_EXPORTER_SOCKET_NAMES="tcp://*:5557=tasks,tcp://localhost:5558=results": the endpoint as
// the program writes it, then '=' (the last one on the item) and the name.
static void parse_names(void)
{
    const char *text = getenv("ZMQ_EXPORTER_SOCKET_NAMES");
    rules = NULL;
    rule_count = 0;
    if (!text || !*text) return;
    char *copy = strdup(text);
    if (!copy) return;
    int capacity = 1;
    for (const char *p = text; *p; p++) capacity += *p == ',';
    rules = calloc((size_t)capacity, sizeof *rules);
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item && rules; item = strtok_r(NULL, ",", &save)) {
        char *eq = strrchr(item, '=');
        if (!eq || eq == item || !eq[1]) continue;
        *eq = 0;
        rules[rule_count].endpoint = strdup(item);
        rules[rule_count].name = strdup(eq + 1);
        if (rules[rule_count].endpoint && rules[rule_count].name) rule_count++;
    }
    free(copy);
}

static int budget_from_environment(void)
{
    const char *text = getenv("ZMQ_EXPORTER_MAX_MONITORS");
    if (text && *text) return (int)strtol(text, NULL, 10);
    // Each monitor costs two descriptors (the monitor's PAIR and our reader). Spending at most a
    // quarter of RLIMIT_NOFILE on them leaves the application three quarters.
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 1 << 20;
    return (int)(limit.rlim_cur / 8);
}

int zxp_start(void)
{
    int state = atomic_load_explicit(&zxp_state, memory_order_acquire);
    if (state != ZXP_OFF) return state;
    if (!zxp_resolve()) return ZXP_INERT; /* retried later: the library may not be loaded yet */
    pthread_mutex_lock(&zxp_lock);
    state = atomic_load_explicit(&zxp_state, memory_order_relaxed);
    if (state == ZXP_OFF) {
        int saved = errno;
        struct zxp_header *h = zxp_create_file();
        if (h) owners = calloc(zxp_slot_count, sizeof *owners);
        if (!h || !owners) {
            zxp_warn_once("cannot create the stats file in ZMQ_EXPORTER_DIR", errno);
            state = ZXP_INERT;
        } else {
            for (uint32_t i = 0; i < zxp_slot_count; i++) owners[i].reader = -1;
            parse_names();
            max_monitors = budget_from_environment();
            if (getrandom(&zxp_endpoint_random, sizeof zxp_endpoint_random, GRND_NONBLOCK) != sizeof zxp_endpoint_random) {
                zxp_endpoint_random = (uint32_t)zxp_now_ns();
            }
            h->max_sockets_requested = max_sockets_requested;
            h->max_sockets_effective = max_sockets_effective;
            zxp_file = h;
            state = ZXP_ON;
        }
        atomic_store_explicit(&zxp_state, state, memory_order_release);
        errno = saved;
    }
    pthread_mutex_unlock(&zxp_lock);
    return state;
}

struct zxp_owner *zxp_owner_at(int index) { return &owners[index]; }

static void seq_begin(struct zxp_slot *s) { __atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE); __atomic_thread_fence(__ATOMIC_RELEASE); }
static void seq_end(struct zxp_slot *s) { __atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE); }

static void fold_handshakes(struct zxp_slot *dst, const struct zxp_slot *src)
{
    for (int i = 0; i < ZXP_HANDSHAKE_ENTRIES; i++) {
        uint64_t count = src->handshake[i].count;
        if (!count) continue;
        int target = -1;
        for (int j = 0; j < ZXP_HANDSHAKE_ENTRIES && target < 0; j++) {
            if (dst->handshake[j].count && dst->handshake[j].event == src->handshake[i].event &&
                dst->handshake[j].value == src->handshake[i].value) target = j;
        }
        for (int j = 0; j < ZXP_HANDSHAKE_ENTRIES && target < 0; j++) {
            if (!dst->handshake[j].count) {
                target = j;
                dst->handshake[j].event = src->handshake[i].event;
                dst->handshake[j].value = src->handshake[i].value;
            }
        }
        if (target < 0) {
            zxp_add_locked(&dst->handshake_overflow, count);
        } else {
            __atomic_fetch_add(&dst->handshake[target].count, count, __ATOMIC_RELEASE);
        }
    }
}

/* Adds src's counters to dst. src has no writer (its socket is closed); dst may be slot 0,
 * which sockets over the limit add to concurrently, hence the atomic adds. */
static void fold(struct zxp_slot *dst, const struct zxp_slot *src)
{
    const uint64_t *from = &src->messages_sent;
    uint64_t *to = &dst->messages_sent;
    for (int i = 0; i < 7; i++) zxp_add_locked(&to[i], from[i]); /* messages, bytes, send failures */
    zxp_add_locked(&dst->closed_before_handshake, src->closed_before_handshake);
    zxp_add_locked(&dst->handshake_overflow, src->handshake_overflow);
    for (int i = 0; i < ZXP_EVENT_KINDS; i++) zxp_add_locked(&dst->events[i], src->events[i]);
    for (int i = 0; i <= ZXP_BUCKETS; i++) zxp_add_locked(&dst->lifetime_buckets[i], src->lifetime_buckets[i]);
    zxp_add_locked(&dst->lifetime_sum_ns, src->lifetime_sum_ns);
    zxp_add_locked(&dst->lifetime_count, src->lifetime_count);
    fold_handshakes(dst, src);
}

/* Empties a slot for a new owner; the seqlock tells a reader mid-copy to read again. */
static void reset_slot(int index, uint32_t state)
{
    struct zxp_slot *s = zxp_slot_at(index);
    seq_begin(s);
    uint32_t generation = s->generation + 1, seq = s->seq;
    memset(s, 0, sizeof *s);
    s->seq = seq;
    s->generation = generation;
    s->handshake_entries = ZXP_HANDSHAKE_ENTRIES;
    s->state = state;
    seq_end(s);
    struct zxp_owner *o = &owners[index];
    memset(o, 0, sizeof *o);
    o->reader = -1;
}

/* A free slot, else the slot closed longest ago (its counts folded into slot 0), else 0. */
static int take_slot(void)
{
    int oldest = -1;
    for (uint32_t i = 1; i < zxp_slot_count; i++) {
        uint32_t state = zxp_slot_at((int)i)->state;
        if (state == ZXP_FREE) return (int)i;
        if (state == ZXP_CLOSED && (oldest < 0 || owners[i].closed_order < owners[oldest].closed_order)) oldest = (int)i;
    }
    if (oldest > 0) {
        fold(zxp_slot_at(0), zxp_slot_at(oldest));
        zxp_add_locked(&zxp_file->evicted_slots, 1);
        return oldest;
    }
    return 0;
}

int zxp_register(void *socket, void *ctx, int type)
{
    pthread_mutex_lock(&zxp_lock);
    int index = take_slot();
    zxp_add_locked(&zxp_file->sockets_created, 1);
    if (index == 0) {
        zxp_add_locked(&zxp_file->overflow_sockets, 1);
    } else {
        reset_slot(index, ZXP_LIVE);
        struct zxp_slot *s = zxp_slot_at(index);
        seq_begin(s);
        s->socket_type = type;
        seq_end(s);
        owners[index].socket = socket;
        owners[index].ctx = ctx;
    }
    zxp_map_put(socket, index);
    pthread_mutex_unlock(&zxp_lock);
    return index;
}

int zxp_monitor_budget_ok(void)
{
    pthread_mutex_lock(&zxp_lock);
    int ok = monitored_live < max_monitors;
    if (ok) {
        monitored_live++;
    } else {
        zxp_add_locked(&zxp_file->unmonitored_sockets, 1);
    }
    pthread_mutex_unlock(&zxp_lock);
    return ok;
}

/* Called with the monitor attached (monitor_pair != NULL) or failed (NULL: budget returned). */
void zxp_note_monitor(int slot, void *monitor_pair, int reader)
{
    pthread_mutex_lock(&zxp_lock);
    if (monitor_pair) {
        owners[slot].monitor_pair = monitor_pair;
        owners[slot].reader = reader;
        zxp_map_put(monitor_pair, ZXP_MONITOR_PAIR);
        struct zxp_slot *s = zxp_slot_at(slot);
        seq_begin(s);
        s->flags |= ZXP_F_MONITORED;
        seq_end(s);
    } else {
        monitored_live--;
        struct zxp_slot *s = zxp_slot_at(slot);
        seq_begin(s);
        s->flags |= ZXP_F_UNMONITORED;
        seq_end(s);
    }
    pthread_mutex_unlock(&zxp_lock);
}

static void append_endpoint(struct zxp_slot *s, const char *mode, const char *endpoint)
{
    size_t need = strlen(mode) + 1 + strlen(endpoint) + 1;
    if (s->endpoints_len + need > ZXP_ENDPOINTS_MAX) {
        s->flags |= ZXP_F_TRUNCATED;
        return;
    }
    int n = snprintf(s->endpoints + s->endpoints_len, ZXP_ENDPOINTS_MAX - s->endpoints_len, "%s %s\n", mode, endpoint);
    if (n > 0) s->endpoints_len += (uint32_t)n;
}

static void remove_endpoint(struct zxp_slot *s, const char *mode, const char *endpoint)
{
    char line[ZXP_ENDPOINTS_MAX + 16];
    int n = snprintf(line, sizeof line, "%s %s\n", mode, endpoint);
    if (n <= 0 || (size_t)n >= sizeof line) return;
    char *at = s->endpoints;
    char *end = s->endpoints + s->endpoints_len;
    while (at < end) {
        char *eol = memchr(at, '\n', (size_t)(end - at));
        if (!eol) break;
        if ((size_t)(eol + 1 - at) == (size_t)n && memcmp(at, line, (size_t)n) == 0) {
            memmove(at, eol + 1, (size_t)(end - eol - 1));
            s->endpoints_len -= (uint32_t)n;
            memset(s->endpoints + s->endpoints_len, 0, (size_t)n);
            return;
        }
        at = eol + 1;
    }
}

static void set_name(struct zxp_slot *s, const char *name)
{
    size_t n = strlen(name);
    if (n > ZXP_NAME_MAX - 1) n = ZXP_NAME_MAX - 1;
    while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80) n--;
    memset(s->name, 0, sizeof s->name);
    memcpy(s->name, name, n);
    s->name_len = (uint32_t)n;
}

/* After a successful bind/connect (bound 1/0) or unbind/disconnect (removed 1), on the thread
 * that owns the socket. The name is the ZMQ_EXPORTER_SOCKET_NAMES entry for an endpoint as the
 * program wrote it, else the first endpoint as written. */
void zxp_set_name_for(void *socket, const char *endpoint, int bound, int removed)
{
    int index = zxp_map_get(socket);
    if (index <= 0) return;
    char resolved[ZXP_ENDPOINTS_MAX];
    resolved[0] = 0;
    if (!removed) {
        size_t size = sizeof resolved;
        if (zxp_real.getsockopt(socket, ZMQ_LAST_ENDPOINT, resolved, &size) != 0 || size == 0) {
            snprintf(resolved, sizeof resolved, "%s", endpoint);
        }
        resolved[sizeof resolved - 1] = 0;
    }
    pthread_mutex_lock(&zxp_lock);
    struct zxp_slot *s = zxp_slot_at(index);
    const char *mode = bound ? "bind" : "connect";
    seq_begin(s);
    if (removed) {
        remove_endpoint(s, mode, endpoint);
    } else {
        append_endpoint(s, mode, resolved);
        const char *mapped = NULL;
        for (int i = 0; i < rule_count && !mapped; i++) {
            if (strcmp(rules[i].endpoint, endpoint) == 0) mapped = rules[i].name;
        }
        if (mapped && !(s->flags & ZXP_F_NAMED)) {
            set_name(s, mapped);
            s->flags |= ZXP_F_NAMED;
        } else if (!mapped && s->name_len == 0) {
            set_name(s, endpoint);
        }
    }
    seq_end(s);
    pthread_mutex_unlock(&zxp_lock);
}

/* Before the real zmq_close: forget the handle (a new socket may get the same address), stop
 * our monitor first (libzmq #3575: never close the reader before the monitor stops), close the
 * reader, and keep the slot's counts: a later socket of the same name and type continues from
 * them, see docs/zero-code.md "Slots". */
void zxp_closing(void *socket)
{
    pthread_mutex_lock(&zxp_lock);
    int index = zxp_map_get(socket);
    if (index == ZXP_NONE || index == ZXP_MONITOR_PAIR) {
        pthread_mutex_unlock(&zxp_lock);
        return;
    }
    zxp_map_del(socket);
    zxp_add_locked(&zxp_file->sockets_closed, 1);
    if (index == 0) {
        pthread_mutex_unlock(&zxp_lock);
        return;
    }
    struct zxp_owner *o = &owners[index];
    struct zxp_slot *s = zxp_slot_at(index);
    if (o->monitor_pair) {
        zxp_map_del(o->monitor_pair);
        zxp_depth++;
        zxp_real.socket_monitor(socket, NULL, 0);
        zxp_depth--;
        monitored_live--;
    }
    int reader = o->reader;
    if (reader >= 0) zxp_reader_close_for_socket(reader);
    o->monitor_pair = NULL;
    o->reader = -1;
    o->socket = NULL;
    o->closed_order = ++close_clock;
    seq_begin(s);
    s->state = ZXP_CLOSED;
    s->connections = 0;
    seq_end(s);
    if (s->name_len > 0) {
        for (uint32_t i = 1; i < zxp_slot_count; i++) {
            struct zxp_slot *other = zxp_slot_at((int)i);
            if ((int)i != index && other->state == ZXP_CLOSED && other->socket_type == s->socket_type &&
                other->name_len == s->name_len && memcmp(other->name, s->name, s->name_len) == 0) {
                fold(other, s);
                owners[i].closed_order = o->closed_order;
                // Events still queued for this socket (its close, MONITOR_STOPPED) go there too.
                zxp_reader_retarget(reader, (int)i, other->generation);
                reset_slot(index, ZXP_FREE);
                break;
            }
        }
    }
    pthread_mutex_unlock(&zxp_lock);
}

/* The application calls zmq_socket_monitor on a socket: libzmq keeps one monitor per socket,
 * so the application's replaces ours (or its NULL stops ours). Before the call: forget our
 * monitor's PAIR. After it: if it succeeded, ours is gone (libzmq stopped it first), so close
 * our reader and record the loss; if it failed, ours is still there. */
int zxp_monitor_before_app(void *socket)
{
    pthread_mutex_lock(&zxp_lock);
    int index = zxp_map_get(socket);
    int ours = index > 0 && owners[index].monitor_pair;
    if (ours) zxp_map_del(owners[index].monitor_pair);
    pthread_mutex_unlock(&zxp_lock);
    return ours ? index : 0;
}

void zxp_monitor_after_app(int index, int succeeded)
{
    if (index <= 0) return;
    pthread_mutex_lock(&zxp_lock);
    struct zxp_owner *o = &owners[index];
    if (!succeeded) {
        if (o->monitor_pair) zxp_map_put(o->monitor_pair, ZXP_MONITOR_PAIR);
    } else if (o->monitor_pair) {
        if (o->reader >= 0) zxp_reader_close_for_socket(o->reader);
        o->monitor_pair = NULL;
        o->reader = -1;
        monitored_live--;
        struct zxp_slot *s = zxp_slot_at(index);
        seq_begin(s);
        s->flags = (s->flags & ~ZXP_F_MONITORED) | ZXP_F_MONITOR_LOST;
        seq_end(s);
        zxp_add_locked(&zxp_file->monitors_lost, 1);
    }
    pthread_mutex_unlock(&zxp_lock);
}

/* Before zmq_ctx_term/shutdown: stop the monitors of this context's sockets (the sockets are
 * alive: zmq_close takes this lock before it closes) and have the monitor thread close their
 * readers, so the context's termination does not wait for the library's sockets. */
void zxp_ctx_forget(void *ctx)
{
    pthread_mutex_lock(&zxp_lock);
    for (uint32_t i = 1; i < zxp_slot_count; i++) {
        struct zxp_owner *o = &owners[i];
        if (o->ctx != ctx || !o->monitor_pair) continue;
        zxp_map_del(o->monitor_pair);
        zxp_depth++;
        zxp_real.socket_monitor(o->socket, NULL, 0);
        zxp_depth--;
        if (o->reader >= 0) zxp_reader_close_for_socket(o->reader);
        o->monitor_pair = NULL;
        o->reader = -1;
        monitored_live--;
        struct zxp_slot *s = zxp_slot_at((int)i);
        seq_begin(s);
        s->flags &= ~ZXP_F_MONITORED;
        seq_end(s);
    }
    for (int i = 0; i < CTX_MAX; i++) {
        if (contexts[i].ctx == ctx) contexts[i].ctx = NULL;
    }
    pthread_mutex_unlock(&zxp_lock);
    zxp_readers_close_for_ctx(ctx);
}

void zxp_ctx_max_sockets(void *ctx, int requested, int effective)
{
    pthread_mutex_lock(&zxp_lock);
    int free_index = -1, found = 0;
    for (int i = 0; i < CTX_MAX && !found; i++) {
        if (contexts[i].ctx == ctx) {
            contexts[i].requested = requested;
            found = 1;
        } else if (!contexts[i].ctx && free_index < 0) {
            free_index = i;
        }
    }
    if (!found && free_index >= 0) {
        contexts[free_index].ctx = ctx;
        contexts[free_index].requested = requested;
    }
    if (requested >= 0) max_sockets_requested = requested;
    max_sockets_effective = effective;
    if (zxp_file) {
        __atomic_store_n(&zxp_file->max_sockets_requested, max_sockets_requested, __ATOMIC_RELAXED);
        __atomic_store_n(&zxp_file->max_sockets_effective, max_sockets_effective, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&zxp_lock);
}

int zxp_ctx_requested(void *ctx, int *requested)
{
    pthread_mutex_lock(&zxp_lock);
    int found = 0;
    for (int i = 0; i < CTX_MAX && !found; i++) {
        if (contexts[i].ctx == ctx && contexts[i].requested >= 0) {
            *requested = contexts[i].requested;
            found = 1;
        }
    }
    pthread_mutex_unlock(&zxp_lock);
    return found;
}

static void before_fork(void) { pthread_mutex_lock(&zxp_lock); }
static void after_fork_parent(void) { pthread_mutex_unlock(&zxp_lock); }

/* The child has the parent's tables and mapping but not its threads: start from nothing; the
 * child's first zmq_socket makes its own file and the monitor thread starts again on demand. */
static void after_fork_child(void)
{
    pthread_mutex_init(&zxp_lock, NULL);
    zxp_drop_file();
    owners = NULL; /* the parent's copy, left allocated: freeing touches nothing useful */
    monitored_live = 0;
    close_clock = 0;
    warned = 0;
    memset(contexts, 0, sizeof contexts);
    max_sockets_requested = -1;
    max_sockets_effective = 0;
    zxp_map_reset();
    zxp_monitor_after_fork_child();
    atomic_store_explicit(&zxp_state, ZXP_OFF, memory_order_release);
}

__attribute__((constructor)) static void install_fork_handlers(void)
{
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}
