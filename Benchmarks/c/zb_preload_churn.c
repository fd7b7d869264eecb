/* Connection churn inside one program, for the preload library's cost and its event counts:
 * a ROUTER bound on tcp://127.0.0.1:*, then N cycles of "new DEALER, connect, send one byte, the
 * ROUTER receives it (so the ZMTP handshake completed), close the DEALER".
 * usage: zb_preload_churn N [hold]
 * prints {"cycles":N,"seconds":S,"per_second":R}. With `hold` it then keeps the ROUTER open
 * until SIGTERM, so a reader can wait for the last DISCONNECTED events to be counted.
 * It installs no monitor of its own: under the library every socket keeps the library's. */
#include <signal.h>
#include <unistd.h>

#include "zb_common.h"

int main(int argc, char **argv) {
    const char *prog = "zb_preload_churn";
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "hold") != 0)) {
        fprintf(stderr, "usage: %s N [hold]\n", prog);
        return 64;
    }
    long n = zb_arg_long(prog, "N", argv[1], 1);
    void *ctx = zmq_ctx_new();
    /* A closed socket counts against ZMQ_MAX_SOCKETS (default 1023) until libzmq's reaper thread
     * has freed it, which lags behind a tight loop on a loaded machine (EMFILE at zmq_socket).
     * Same value for both variants; the library triples it, as it does for any program. */
    zb_check(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 8192), prog, "set ZMQ_MAX_SOCKETS");
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    if (!router) zb_die(prog, "zmq_socket");
    zb_set_int(router, ZMQ_LINGER, 0, prog, "set ZMQ_LINGER");
    zb_set_int(router, ZMQ_RCVTIMEO, 5000, prog, "set ZMQ_RCVTIMEO");
    zb_check(zmq_bind(router, "tcp://127.0.0.1:*"), prog, "zmq_bind");
    char endpoint[256];
    size_t size = sizeof endpoint;
    zb_check(zmq_getsockopt(router, ZMQ_LAST_ENDPOINT, endpoint, &size), prog, "ZMQ_LAST_ENDPOINT");

    int64_t t0 = zb_now_ns();
    for (long i = 0; i < n; i++) {
        void *dealer = zmq_socket(ctx, ZMQ_DEALER);
        if (!dealer) zb_die(prog, "zmq_socket");
        zb_set_int(dealer, ZMQ_LINGER, 0, prog, "set ZMQ_LINGER");
        zb_check(zmq_connect(dealer, endpoint), prog, "zmq_connect");
        zb_check(zmq_send(dealer, "x", 1, 0), prog, "zmq_send");
        char frame[256];
        int more = 1;
        while (more) { /* identity, then the byte */
            if (zmq_recv(router, frame, sizeof frame, 0) == -1) {
                fprintf(stderr, "%s: cycle %ld: nothing received within 5 s\n", prog, i);
                return 1;
            }
            size_t more_size = sizeof more;
            zb_check(zmq_getsockopt(router, ZMQ_RCVMORE, &more, &more_size), prog, "ZMQ_RCVMORE");
        }
        zb_check(zmq_close(dealer), prog, "zmq_close");
    }
    int64_t t1 = zb_now_ns();
    double seconds = (double)(t1 - t0) / 1e9;
    printf("{\"cycles\":%ld,\"seconds\":%.6f,\"per_second\":%.1f}\n", n, seconds, (double)n / seconds);
    fflush(stdout);
    if (argc == 3) {
        for (;;) pause(); /* until SIGTERM (its default action ends the process) */
    }
    zmq_close(router);
    zmq_ctx_term(ctx);
    return 0;
}
