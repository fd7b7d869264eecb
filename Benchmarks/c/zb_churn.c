/* Connection churn: N cycles of "new DEALER, connect, wait for the ZMTP handshake, close".
 * usage: zb_churn ENDPOINT N [TIMEOUT_MS]
 * Each cycle waits for HANDSHAKE_SUCCEEDED on its own monitor, so every cycle is a full connection
 * the server accepts and then sees disconnect.
 * prints {"cycles":N,"t_first_ns":..,"t_last_ns":..,"seconds":S}; exits 1 on a timed-out cycle. */
#include "zb_common.h"

int main(int argc, char **argv) {
    const char *prog = "zb_churn";
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s ENDPOINT N [TIMEOUT_MS]\n", prog);
        return 64;
    }
    long n = zb_arg_long(prog, "N", argv[2], 1);
    long timeout_ms = argc > 3 ? zb_arg_long(prog, "TIMEOUT_MS", argv[3], 1) : 5000;
    void *ctx = zmq_ctx_new();
    int64_t t_first = zb_now_ns();
    long done = 0;
    for (long i = 0; i < n; i++) {
        void *dealer = zmq_socket(ctx, ZMQ_DEALER);
        if (!dealer) zb_die(prog, "zmq_socket");
        zb_set_int(dealer, ZMQ_LINGER, 0, prog, "set ZMQ_LINGER");
        char mon_ep[64];
        snprintf(mon_ep, sizeof mon_ep, "inproc://churn-%ld", i);
        zb_check(zmq_socket_monitor(dealer, mon_ep, ZMQ_EVENT_HANDSHAKE_SUCCEEDED), prog, "zmq_socket_monitor");
        void *mon = zmq_socket(ctx, ZMQ_PAIR);
        if (!mon) zb_die(prog, "zmq_socket");
        zb_set_int(mon, ZMQ_RCVTIMEO, (int)timeout_ms, prog, "set ZMQ_RCVTIMEO");
        zb_set_int(mon, ZMQ_LINGER, 0, prog, "set ZMQ_LINGER");
        zb_check(zmq_connect(mon, mon_ep), prog, "connect monitor");
        zb_check(zmq_connect(dealer, argv[1]), prog, "zmq_connect");
        char frame[256];
        int got = zmq_recv(mon, frame, sizeof frame, 0);
        if (got == -1) {
            fprintf(stderr, "%s: cycle %ld: no handshake within %ld ms\n", prog, i, timeout_ms);
            break;
        }
        /* Drain the endpoint frame of the event before closing. */
        int more = 0;
        size_t more_len = sizeof more;
        zmq_getsockopt(mon, ZMQ_RCVMORE, &more, &more_len);
        if (more) zmq_recv(mon, frame, sizeof frame, 0);
        zmq_socket_monitor(dealer, NULL, 0);
        zmq_close(mon);
        zmq_close(dealer);
        done++;
    }
    int64_t t_last = zb_now_ns();
    printf("{\"cycles\":%ld,\"t_first_ns\":%lld,\"t_last_ns\":%lld,\"seconds\":%.6f}\n",
           done, (long long)t_first, (long long)t_last, (double)(t_last - t_first) / 1e9);
    fflush(stdout);
    zmq_ctx_term(ctx);
    return done == n ? 0 : 1;
}
