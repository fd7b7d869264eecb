/* PULL sink, the same program for every throughput variant: receives exactly N messages of SIZE
 * bytes, times first receipt to last receipt, then waits EXTRA_MS to verify nothing more arrives.
 * usage: zb_pull ENDPOINT bind|connect N SIZE [EXTRA_MS] [TIMEOUT_MS]
 * prints {"received":N,"bytes":B,"bad_size":0,"extra":0,"t_first_ns":..,"t_last_ns":..,
 *         "seconds":S,"msgs_per_sec":R}; exits 1 when the count or a size is wrong or it timed out. */
#include "zb_common.h"

int main(int argc, char **argv) {
    const char *prog = "zb_pull";
    if (argc < 5 || argc > 7) {
        fprintf(stderr, "usage: %s ENDPOINT bind|connect N SIZE [EXTRA_MS] [TIMEOUT_MS]\n", prog);
        return 64;
    }
    long n = zb_arg_long(prog, "N", argv[3], 1);
    long size = zb_arg_long(prog, "SIZE", argv[4], 1);
    long extra_ms = argc > 5 ? zb_arg_long(prog, "EXTRA_MS", argv[5], 0) : 200;
    long timeout_ms = argc > 6 ? zb_arg_long(prog, "TIMEOUT_MS", argv[6], 1) : 120000;
    void *ctx = zmq_ctx_new();
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    if (!pull) zb_die(prog, "zmq_socket");
    zb_hwm(pull, prog);
    /* A stalled pipeline must end the run with an error, not hang the benchmark. */
    zb_set_int(pull, ZMQ_RCVTIMEO, (int)timeout_ms, prog, "set ZMQ_RCVTIMEO");
    zb_attach(pull, argv[2], argv[1], prog);
    printf("ready\n");
    fflush(stdout);

    char *buf = malloc((size_t)size + 1);
    if (!buf) { fprintf(stderr, "%s: out of memory\n", prog); return 2; }
    long received = 0, bad_size = 0;
    long long bytes = 0;
    int64_t t_first = 0, t_last = 0;
    int timed_out = 0;
    while (received < n) {
        int got = zmq_recv(pull, buf, (size_t)size + 1, 0);
        if (got == -1) {
            if (zmq_errno() == EINTR) continue;
            if (zmq_errno() == EAGAIN) { timed_out = 1; break; }
            zb_die(prog, "zmq_recv");
        }
        t_last = zb_now_ns();
        if (received == 0) t_first = t_last;
        received++;
        bytes += got;
        if (got != size) bad_size++;
    }
    long extra = 0;
    if (!timed_out && extra_ms > 0) {
        zb_set_int(pull, ZMQ_RCVTIMEO, (int)extra_ms, prog, "set ZMQ_RCVTIMEO");
        while (zmq_recv(pull, buf, (size_t)size + 1, 0) >= 0) extra++;
    }
    double seconds = (double)(t_last - t_first) / 1e9;
    double rate = seconds > 0 ? (double)received / seconds : 0.0;
    printf("{\"received\":%ld,\"bytes\":%lld,\"bad_size\":%ld,\"extra\":%ld,\"timed_out\":%d,"
           "\"t_first_ns\":%lld,\"t_last_ns\":%lld,\"seconds\":%.6f,\"msgs_per_sec\":%.1f}\n",
           received, bytes, bad_size, extra, timed_out, (long long)t_first, (long long)t_last,
           seconds, rate);
    fflush(stdout);
    zmq_close(pull);
    zmq_ctx_term(ctx);
    free(buf);
    return (received == n && bad_size == 0 && extra == 0) ? 0 : 1;
}
