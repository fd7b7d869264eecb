/* PUSH source: sends exactly N messages of SIZE bytes as fast as the pipe takes them.
 * usage: zb_push ENDPOINT bind|connect N SIZE
 * prints {"sent":N,"bytes":B,"t_first_ns":..,"t_last_ns":..} (CLOCK_MONOTONIC, first and last send). */
#include "zb_common.h"

int main(int argc, char **argv) {
    const char *prog = "zb_push";
    if (argc != 5) {
        fprintf(stderr, "usage: %s ENDPOINT bind|connect N SIZE\n", prog);
        return 64;
    }
    long n = zb_arg_long(prog, "N", argv[3], 1);
    long size = zb_arg_long(prog, "SIZE", argv[4], 1);
    void *ctx = zmq_ctx_new();
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    if (!push) zb_die(prog, "zmq_socket");
    zb_hwm(push, prog);
    zb_attach(push, argv[2], argv[1], prog);

    char *payload = malloc((size_t)size);
    if (!payload) { fprintf(stderr, "%s: out of memory\n", prog); return 2; }
    memset(payload, 'x', (size_t)size);
    int64_t t_first = 0;
    for (long i = 0; i < n; i++) {
        /* The sequence number makes each message distinct; the sink does not depend on it. */
        memcpy(payload, &i, size >= (long)sizeof i ? sizeof i : (size_t)size);
        while (zmq_send(push, payload, (size_t)size, 0) == -1) {
            if (zmq_errno() != EINTR) zb_die(prog, "zmq_send");
        }
        if (i == 0) t_first = zb_now_ns();
    }
    int64_t t_last = zb_now_ns();
    printf("{\"sent\":%ld,\"bytes\":%ld,\"t_first_ns\":%lld,\"t_last_ns\":%lld}\n",
           n, n * size, (long long)t_first, (long long)t_last);
    fflush(stdout);
    zmq_close(push); /* LINGER 2 s: lets the queued tail leave before the context ends. */
    zmq_ctx_term(ctx);
    free(payload);
    return 0;
}
