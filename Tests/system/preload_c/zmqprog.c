/* Small ZeroMQ programs for the preload tests: `zmqprog MODE [N]`. Each prints what the test
 * needs on stdout, one `key value` a line, then `ready` and waits for stdin to close before it
 * terminates its context, so the test can read the stats file of a live process. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define CHECK(x)                                                                      \
    do {                                                                              \
        if (!(x)) {                                                                   \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #x, zmq_strerror(zmq_errno())); \
            exit(3);                                                                  \
        }                                                                             \
    } while (0)

static void wait_stdin(void)
{
    printf("ready\n");
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
    }
}

static void endpoint_of(void *s, char *out, size_t size)
{
    CHECK(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, out, &size) == 0);
}

static void *bound(void *ctx, int type, char *endpoint)
{
    void *s = zmq_socket(ctx, type);
    CHECK(s);
    CHECK(zmq_bind(s, "tcp://127.0.0.1:*") == 0);
    endpoint_of(s, endpoint, 256);
    return s;
}

static void recv_exact(void *s, const char *expected, size_t size, int more_expected)
{
    char buf[256];
    int rc = zmq_recv(s, buf, sizeof buf, 0);
    CHECK(rc == (int)size && memcmp(buf, expected, size) == 0);
    int more;
    size_t len = sizeof more;
    zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len);
    CHECK(more == more_expected);
}

/* Every send and receive API; 8 messages, 128 bytes each way. */
static void apis(void *ctx)
{
    char endpoint[256];
    void *push = bound(ctx, ZMQ_PUSH, endpoint);
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    CHECK(pull && zmq_connect(pull, endpoint) == 0);
    static const char text[] = "0123456789012345678901234567890123456789";
    CHECK(zmq_send(push, text, 10, 0) == 10);
    CHECK(zmq_send_const(push, text, 20, 0) == 20);
    zmq_msg_t m;
    zmq_msg_init_size(&m, 30);
    memcpy(zmq_msg_data(&m), text, 30);
    CHECK(zmq_msg_send(&m, push, 0) == 30);
    zmq_msg_init_size(&m, 40);
    memcpy(zmq_msg_data(&m), text, 40);
    CHECK(zmq_sendmsg(push, &m, 0) == 40);
    // zmq_sendiov sends all frames but the last with the given flags: SNDMORE makes one
    // 2-frame message, 0 makes two messages.
    struct iovec iov[2] = {{(void *)text, 5}, {(void *)text, 6}};
    CHECK(zmq_sendiov(push, iov, 2, ZMQ_SNDMORE) >= 0);
    CHECK(zmq_sendiov(push, iov, 2, 0) >= 0);
    CHECK(zmq_send(push, "a", 1, ZMQ_SNDMORE) == 1);
    CHECK(zmq_send(push, "bb", 2, ZMQ_SNDMORE) == 2);
    CHECK(zmq_send(push, "ccc", 3, 0) == 3);

    recv_exact(pull, text, 10, 0);
    zmq_msg_init(&m);
    CHECK(zmq_msg_recv(&m, pull, 0) == 20);
    zmq_msg_close(&m);
    zmq_msg_init(&m);
    CHECK(zmq_recvmsg(pull, &m, 0) == 30);
    zmq_msg_close(&m);
    recv_exact(pull, text, 40, 0);
    struct iovec in[4];
    size_t count = 4;
    CHECK(zmq_recviov(pull, in, &count, 0) >= 0 && count == 2 && in[0].iov_len == 5 && in[1].iov_len == 6);
    free(in[0].iov_base);
    free(in[1].iov_base);
    recv_exact(pull, text, 5, 0);
    recv_exact(pull, text, 6, 0);
    for (int part = 1; part <= 3; part++) {
        zmq_msg_init(&m);
        CHECK(zmq_msg_recv(&m, pull, 0) == part);
        CHECK(zmq_msg_more(&m) == (part < 3));
        zmq_msg_close(&m);
    }
    printf("push %s\n", endpoint);
    wait_stdin();
    zmq_close(push);
    zmq_close(pull);
}

static void pushpull(void *ctx, int n)
{
    char endpoint[256];
    void *push = bound(ctx, ZMQ_PUSH, endpoint);
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    CHECK(pull && zmq_connect(pull, endpoint) == 0);
    char buf[64] = {0};
    for (int i = 0; i < n; i++) {
        CHECK(zmq_send(push, buf, 64, 0) == 64);
        CHECK(zmq_recv(pull, buf, 64, 0) == 64);
    }
    wait_stdin();
    zmq_close(push);
    zmq_close(pull);
}

static void reqrep(void *ctx, int n)
{
    char endpoint[256];
    void *rep = bound(ctx, ZMQ_REP, endpoint);
    void *req = zmq_socket(ctx, ZMQ_REQ);
    CHECK(req && zmq_connect(req, endpoint) == 0);
    for (int i = 0; i < n; i++) {
        CHECK(zmq_send(req, "hello", 5, 0) == 5);
        recv_exact(rep, "hello", 5, 0);
        CHECK(zmq_send(rep, "world!", 6, 0) == 6);
        recv_exact(req, "world!", 6, 0);
    }
    wait_stdin();
    zmq_close(rep);
    zmq_close(req);
}

/* Three would_block (DONTWAIT, no peer: nothing can take it) and two unroutable. */
static void failures(void *ctx)
{
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    CHECK(push && zmq_bind(push, "tcp://127.0.0.1:*") == 0);
    for (int i = 0; i < 3; i++) {
        int rc = zmq_send(push, "x", 1, ZMQ_DONTWAIT);
        CHECK(rc == -1 && errno == EAGAIN);
    }
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    int one = 1;
    CHECK(router && zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) == 0);
    CHECK(zmq_bind(router, "tcp://127.0.0.1:*") == 0);
    for (int i = 0; i < 2; i++) {
        int rc = zmq_send(router, "nobody", 6, ZMQ_SNDMORE);
        CHECK(rc == -1 && errno == EHOSTUNREACH);
    }
    printf("errno-ok 1\n");
    wait_stdin();
    zmq_close(push);
    zmq_close(router);
}

struct proxy_args {
    void *front, *back, *capture, *control;
    int rc, err;
};

static void *run_proxy(void *p)
{
    struct proxy_args *a = p;
    a->rc = a->control ? zmq_proxy_steerable(a->front, a->back, a->capture, a->control)
                       : zmq_proxy(a->front, a->back, a->capture);
    a->err = errno;
    return NULL;
}

/* n messages of 2 frames (3 + 7 bytes) producer -> front(PULL) -> back(PUSH) -> consumer. */
static void proxy(void *ctx, int n, int steerable)
{
    char front_ep[256], back_ep[256], capture_ep[256];
    void *front = bound(ctx, ZMQ_PULL, front_ep);
    void *back = bound(ctx, ZMQ_PUSH, back_ep);
    void *capture_in = NULL, *capture = NULL, *control = NULL, *steer = NULL;
    if (steerable) {
        capture_in = bound(ctx, ZMQ_PULL, capture_ep);
        capture = zmq_socket(ctx, ZMQ_PUSH);
        CHECK(capture && zmq_connect(capture, capture_ep) == 0);
        control = zmq_socket(ctx, ZMQ_PAIR);
        CHECK(control && zmq_bind(control, "inproc://control") == 0);
        steer = zmq_socket(ctx, ZMQ_PAIR);
        CHECK(steer && zmq_connect(steer, "inproc://control") == 0);
    }
    void *producer = zmq_socket(ctx, ZMQ_PUSH);
    CHECK(producer && zmq_connect(producer, front_ep) == 0);
    void *consumer = zmq_socket(ctx, ZMQ_PULL);
    CHECK(consumer && zmq_connect(consumer, back_ep) == 0);
    struct proxy_args args = {front, back, capture, control, 0, 0};
    pthread_t thread;
    pthread_create(&thread, NULL, run_proxy, &args);
    for (int i = 0; i < n; i++) {
        CHECK(zmq_send(producer, "abc", 3, ZMQ_SNDMORE) == 3);
        CHECK(zmq_send(producer, "defghij", 7, 0) == 7);
    }
    for (int i = 0; i < n; i++) {
        recv_exact(consumer, "abc", 3, 1);
        recv_exact(consumer, "defghij", 7, 0);
        if (steerable) {
            recv_exact(capture_in, "abc", 3, 1);
            recv_exact(capture_in, "defghij", 7, 0);
        }
    }
    if (steerable) {
        CHECK(zmq_send(steer, "PAUSE", 5, 0) == 5);
        CHECK(zmq_send(steer, "RESUME", 6, 0) == 6);
        CHECK(zmq_send(steer, "STATISTICS", 10, 0) == 10);
        uint64_t stats[8];
        for (int i = 0; i < 8; i++) {
            CHECK(zmq_recv(steer, &stats[i], 8, 0) == 8);
        }
        printf("stats %llu %llu %llu %llu %llu %llu %llu %llu\n", (unsigned long long)stats[0],
               (unsigned long long)stats[1], (unsigned long long)stats[2], (unsigned long long)stats[3],
               (unsigned long long)stats[4], (unsigned long long)stats[5], (unsigned long long)stats[6],
               (unsigned long long)stats[7]);
        CHECK(zmq_send(steer, "TERMINATE", 9, 0) == 9);
        pthread_join(thread, NULL);
        printf("proxy-rc %d\n", args.rc);
    }
    wait_stdin();
    if (!steerable) {
        // The proxy ends when the context shuts down: -1 with ETERM, as without the library.
        zmq_ctx_shutdown(ctx);
        pthread_join(thread, NULL);
        printf("proxy-rc %d %s\n", args.rc, args.err == ETERM ? "ETERM" : strerror(args.err));
        fflush(stdout);
    }
    void *all[] = {front, back, capture_in, capture, control, steer, producer, consumer};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        if (all[i]) {
            int zero = 0;
            zmq_setsockopt(all[i], ZMQ_LINGER, &zero, sizeof zero);
            zmq_close(all[i]);
        }
    }
}

static void pubpub(void *ctx)
{
    char endpoint[256];
    void *a = bound(ctx, ZMQ_PUB, endpoint);
    void *b = zmq_socket(ctx, ZMQ_PUB);
    CHECK(b && zmq_connect(b, endpoint) == 0);
    wait_stdin();
    zmq_close(a);
    zmq_close(b);
}

static int send_some(void *ctx, int n)
{
    char endpoint[256];
    void *push = bound(ctx, ZMQ_PUSH, endpoint);
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    CHECK(pull && zmq_connect(pull, endpoint) == 0);
    char buf[16];
    for (int i = 0; i < n; i++) {
        CHECK(zmq_send(push, "forked", 6, 0) == 6);
        CHECK(zmq_recv(pull, buf, sizeof buf, 0) == 6);
    }
    zmq_close(push);
    zmq_close(pull);
    return n;
}

/* Parent sends 3 before and 2 after the fork; the child, in its own context, 5. */
static void forking(void *ctx)
{
    char endpoint[256];
    void *push = bound(ctx, ZMQ_PUSH, endpoint);
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    CHECK(pull && zmq_connect(pull, endpoint) == 0);
    char buf[16];
    for (int i = 0; i < 3; i++) {
        CHECK(zmq_send(push, "parent", 6, 0) == 6);
        CHECK(zmq_recv(pull, buf, sizeof buf, 0) == 6);
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        void *mine = zmq_ctx_new();
        send_some(mine, 5);
        CHECK(zmq_ctx_term(mine) == 0);
        _exit(0);
    }
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    for (int i = 0; i < 2; i++) {
        CHECK(zmq_send(push, "parent", 6, 0) == 6);
        CHECK(zmq_recv(pull, buf, sizeof buf, 0) == 6);
    }
    printf("child %d\n", (int)child);
    wait_stdin();
    zmq_close(push);
    zmq_close(pull);
}

static void *blocked_receiver(void *socket)
{
    char buf[8];
    int rc = zmq_recv(socket, buf, sizeof buf, 0);
    CHECK(rc == -1 && errno == ETERM);
    zmq_close(socket);
    return NULL;
}

/* zmq_ctx_term while another thread blocks in recv (it gets ETERM and closes) and a socket
 * holds an unsent message for 200 ms of linger. */
static void lingering(void *ctx)
{
    char endpoint[256];
    void *pull = bound(ctx, ZMQ_PULL, endpoint);
    pthread_t thread;
    pthread_create(&thread, NULL, blocked_receiver, pull);
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    int linger = 200;
    CHECK(push && zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger) == 0);
    CHECK(zmq_connect(push, "tcp://127.0.0.1:1") == 0);
    CHECK(zmq_send(push, "unsent", 6, ZMQ_DONTWAIT) == 6);
    zmq_close(push);
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    CHECK(sub && zmq_connect(sub, endpoint) == 0);
    zmq_close(sub);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(zmq_ctx_term(ctx) == 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(thread, NULL);
    printf("term-ms %.1f\n", (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
}

static void appmonitor(void *ctx)
{
    void *rep = zmq_socket(ctx, ZMQ_REP);
    CHECK(rep && zmq_socket_monitor(rep, "inproc://app-monitor", ZMQ_EVENT_ALL) == 0);
    void *events = zmq_socket(ctx, ZMQ_PAIR);
    CHECK(events && zmq_connect(events, "inproc://app-monitor") == 0);
    CHECK(zmq_bind(rep, "tcp://127.0.0.1:*") == 0);
    char endpoint[256];
    endpoint_of(rep, endpoint, sizeof endpoint);
    void *req = zmq_socket(ctx, ZMQ_REQ);
    CHECK(req && zmq_connect(req, endpoint) == 0);
    int seen_listening = 0, seen_accepted = 0, seen_handshake = 0;
    while (!(seen_listening && seen_accepted && seen_handshake)) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        CHECK(zmq_msg_recv(&m, events, 0) == 6);
        uint16_t id;
        memcpy(&id, zmq_msg_data(&m), 2);
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        CHECK(zmq_msg_recv(&m, events, 0) >= 0);
        zmq_msg_close(&m);
        seen_listening |= id == ZMQ_EVENT_LISTENING;
        seen_accepted |= id == ZMQ_EVENT_ACCEPTED;
        seen_handshake |= id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
    }
    printf("app-events ok\n");
    wait_stdin();
    zmq_close(events);
    zmq_close(rep);
    zmq_close(req);
}

/* n sockets opened and closed: half bound (one name: the endpoint as written), half never
 * bound (no name); one socket stays open throughout. */
static void churn(void *ctx, int n)
{
    void *keep = zmq_socket(ctx, ZMQ_PULL);
    CHECK(keep && zmq_bind(keep, "tcp://127.0.0.1:*") == 0);
    printf("phase before\n");
    fflush(stdout);
    char line[16];
    CHECK(fgets(line, sizeof line, stdin));
    for (int i = 0; i < n; i++) {
        void *s = zmq_socket(ctx, ZMQ_PUSH);
        CHECK(s);
        if (i % 2 == 0) CHECK(zmq_bind(s, "tcp://127.0.0.1:*") == 0);
        CHECK(zmq_close(s) == 0);
    }
    printf("phase after\n");
    wait_stdin();
    zmq_close(keep);
}

/* n PAIR sockets open at once, each with one would_block send (no peer). */
static void many(void *ctx, int n)
{
    void **sockets = calloc((size_t)n, sizeof *sockets);
    for (int i = 0; i < n; i++) {
        sockets[i] = zmq_socket(ctx, ZMQ_PAIR);
        CHECK(sockets[i] && zmq_bind(sockets[i], "tcp://127.0.0.1:*") == 0);
        CHECK(zmq_send(sockets[i], "x", 1, ZMQ_DONTWAIT) == -1 && errno == EAGAIN);
    }
    wait_stdin();
    for (int i = 0; i < n; i++) zmq_close(sockets[i]);
    free(sockets);
}

static void badcalls(void *ctx)
{
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    int rc = zmq_bind(s, "tcp://not an address");
    printf("bind %d %d\n", rc, rc < 0 ? errno : 0);
    rc = zmq_connect(s, "bogus://x");
    printf("connect %d %d\n", rc, rc < 0 ? errno : 0);
    rc = zmq_send(NULL, "x", 1, 0);
    printf("send-null %d %d\n", rc, rc < 0 ? errno : 0);
    void *bad = zmq_socket(ctx, 999);
    printf("socket-bad %d %d\n", bad == NULL, bad ? 0 : errno);
    rc = zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 500);
    printf("ctx-set %d max %d\n", rc, zmq_ctx_get(ctx, ZMQ_MAX_SOCKETS));
    zmq_close(s);
}

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    const char *mode = argv[1];
    int n = argc > 2 ? atoi(argv[2]) : 0;
    void *ctx = zmq_ctx_new();
    CHECK(ctx);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(mode, "badcalls") == 0) {
        // Before any socket exists, so the context can still take ZMQ_MAX_SOCKETS.
        badcalls(ctx);
    } else if (strcmp(mode, "apis") == 0) {
        apis(ctx);
    } else if (strcmp(mode, "pushpull") == 0) {
        pushpull(ctx, n);
    } else if (strcmp(mode, "reqrep") == 0) {
        reqrep(ctx, n);
    } else if (strcmp(mode, "failures") == 0) {
        failures(ctx);
    } else if (strcmp(mode, "proxy") == 0) {
        proxy(ctx, n, 0);
    } else if (strcmp(mode, "steerable") == 0) {
        proxy(ctx, n, 1);
    } else if (strcmp(mode, "pubpub") == 0) {
        pubpub(ctx);
    } else if (strcmp(mode, "fork") == 0) {
        forking(ctx);
    } else if (strcmp(mode, "linger") == 0) {
        lingering(ctx);
        return 0;
    } else if (strcmp(mode, "appmonitor") == 0) {
        appmonitor(ctx);
    } else if (strcmp(mode, "many") == 0) {
        many(ctx, n);
    } else if (strcmp(mode, "churn") == 0) {
        churn(ctx, n);
    } else {
        return 2;
    }
    CHECK(zmq_ctx_term(ctx) == 0);
    return 0;
}
