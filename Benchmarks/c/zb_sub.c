/* Baseline tap: a SUB that only receives, counting messages, until IDLE_MS pass without one.
 * usage: zb_sub ENDPOINT [IDLE_MS] [FIRST_MS]
 * prints {"received":N,"bytes":B,"t_first_ns":..,"t_last_ns":..}; exits 1 if nothing arrived. */
#include "zb_common.h"

int main(int argc, char **argv) {
    const char *prog = "zb_sub";
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s ENDPOINT [IDLE_MS] [FIRST_MS]\n", prog);
        return 64;
    }
    long idle_ms = argc > 2 ? zb_arg_long(prog, "IDLE_MS", argv[2], 1) : 500;
    long first_ms = argc > 3 ? zb_arg_long(prog, "FIRST_MS", argv[3], 1) : 15000;
    void *ctx = zmq_ctx_new();
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    if (!sub) zb_die(prog, "zmq_socket");
    zb_hwm(sub, prog);
    zb_check(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), prog, "ZMQ_SUBSCRIBE");
    zb_set_int(sub, ZMQ_RCVTIMEO, (int)first_ms, prog, "set ZMQ_RCVTIMEO");
    zb_check(zmq_connect(sub, argv[1]), prog, "zmq_connect");
    char buf[512];
    long received = 0;
    long long bytes = 0;
    int64_t t_first = 0, t_last = 0;
    for (;;) {
        int got = zmq_recv(sub, buf, sizeof buf, 0);
        if (got == -1) {
            if (zmq_errno() == EINTR) continue;
            if (zmq_errno() == EAGAIN) break;
            zb_die(prog, "zmq_recv");
        }
        t_last = zb_now_ns();
        if (received == 0) {
            t_first = t_last;
            zb_set_int(sub, ZMQ_RCVTIMEO, (int)idle_ms, prog, "set ZMQ_RCVTIMEO");
        }
        received++;
        bytes += got;
    }
    printf("{\"received\":%ld,\"bytes\":%lld,\"t_first_ns\":%lld,\"t_last_ns\":%lld}\n",
           received, bytes, (long long)t_first, (long long)t_last);
    fflush(stdout);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return received > 0 ? 0 : 1;
}
