/* What the preload library costs a program, measured in one process without any agent.
 * usage: zb_preload_cost pushpull N | reqrep N | inproc N
 * pushpull: a PUSH thread sends N 64-byte messages over tcp to a PULL (main thread);
 * reqrep: N round trips of 64 bytes over tcp; inproc: one thread sends and receives N
 * 64-byte messages over inproc (the worst case: no I/O to hide the counting).
 * prints {"mode":..,"n":N,"seconds":S,"per_second":R,"ns_per_message":T,"cpu_ns_per_message":C} */
#include <pthread.h>
#include <time.h>

#include "zb_common.h"

static char endpoint[256];
static void *ctx;
static long n;

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *pusher(void *unused) {
    (void)unused;
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    zmq_connect(push, endpoint);
    char buf[64] = {0};
    for (long i = 0; i < n; i++) zmq_send(push, buf, sizeof buf, 0);
    zmq_close(push);
    return NULL;
}

static void *replier(void *socket) {
    char buf[64];
    for (long i = 0; i < n; i++) {
        zmq_recv(socket, buf, sizeof buf, 0);
        zmq_send(socket, buf, sizeof buf, 0);
    }
    return NULL;
}

int main(int argc, char **argv) {
    const char *prog = "zb_preload_cost";
    if (argc != 3) {
        fprintf(stderr, "usage: %s pushpull|reqrep|inproc N\n", prog);
        return 64;
    }
    n = zb_arg_long(prog, "N", argv[2], 1);
    ctx = zmq_ctx_new();
    char buf[64] = {0};
    size_t size = sizeof endpoint;
    double cpu0 = cpu_seconds();
    int64_t t0 = 0, t1 = 0;
    if (strcmp(argv[1], "pushpull") == 0) {
        void *pull = zmq_socket(ctx, ZMQ_PULL);
        zmq_bind(pull, "tcp://127.0.0.1:*");
        zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, endpoint, &size);
        pthread_t thread;
        pthread_create(&thread, NULL, pusher, NULL);
        zmq_recv(pull, buf, sizeof buf, 0);
        t0 = zb_now_ns();
        for (long i = 1; i < n; i++) zmq_recv(pull, buf, sizeof buf, 0);
        t1 = zb_now_ns();
        pthread_join(thread, NULL);
        zmq_close(pull);
    } else if (strcmp(argv[1], "reqrep") == 0) {
        void *rep = zmq_socket(ctx, ZMQ_REP);
        zmq_bind(rep, "tcp://127.0.0.1:*");
        zmq_getsockopt(rep, ZMQ_LAST_ENDPOINT, endpoint, &size);
        void *req = zmq_socket(ctx, ZMQ_REQ);
        zmq_connect(req, endpoint);
        pthread_t thread;
        pthread_create(&thread, NULL, replier, rep);
        t0 = zb_now_ns();
        for (long i = 0; i < n; i++) {
            zmq_send(req, buf, sizeof buf, 0);
            zmq_recv(req, buf, sizeof buf, 0);
        }
        t1 = zb_now_ns();
        pthread_join(thread, NULL);
        zmq_close(req);
        zmq_close(rep);
    } else if (strcmp(argv[1], "inproc") == 0) {
        void *pull = zmq_socket(ctx, ZMQ_PULL);
        zmq_bind(pull, "inproc://cost");
        void *push = zmq_socket(ctx, ZMQ_PUSH);
        zmq_connect(push, "inproc://cost");
        t0 = zb_now_ns();
        for (long i = 0; i < n; i++) {
            zmq_send(push, buf, sizeof buf, 0);
            zmq_recv(pull, buf, sizeof buf, 0);
        }
        t1 = zb_now_ns();
        zmq_close(push);
        zmq_close(pull);
    } else {
        fprintf(stderr, "%s: unknown mode %s\n", prog, argv[1]);
        return 64;
    }
    double cpu = cpu_seconds() - cpu0;
    double seconds = (double)(t1 - t0) / 1e9;
    printf("{\"mode\":\"%s\",\"n\":%ld,\"seconds\":%.6f,\"per_second\":%.1f,\"ns_per_message\":%.2f,"
           "\"cpu_ns_per_message\":%.2f}\n", argv[1], n, seconds, (double)n / seconds, seconds * 1e9 / (double)n,
           cpu * 1e9 / (double)n);
    zmq_ctx_term(ctx);
    return 0;
}
