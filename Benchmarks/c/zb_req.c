/* REQ load: K REQ sockets, each keeping one request in flight, until N replies have arrived.
 * usage: zb_req ENDPOINT N SIZE K [TIMEOUT_MS]
 * Times first reply to last reply and checks each reply echoes its request's size.
 * prints {"replies":N,"bad":0,"timed_out":0,"t_first_ns":..,"t_last_ns":..,"seconds":S,"msgs_per_sec":R} */
#include "zb_common.h"

#define ZB_MAX_K 256

int main(int argc, char **argv) {
    const char *prog = "zb_req";
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: %s ENDPOINT N SIZE K [TIMEOUT_MS]\n", prog);
        return 64;
    }
    long n = zb_arg_long(prog, "N", argv[2], 1);
    long size = zb_arg_long(prog, "SIZE", argv[3], 1);
    long k = zb_arg_long(prog, "K", argv[4], 1);
    long timeout_ms = argc > 5 ? zb_arg_long(prog, "TIMEOUT_MS", argv[5], 1) : 60000;
    if (k > ZB_MAX_K) { fprintf(stderr, "%s: K must be <= %d\n", prog, ZB_MAX_K); return 64; }
    void *ctx = zmq_ctx_new();
    void *socks[ZB_MAX_K];
    zmq_pollitem_t items[ZB_MAX_K];
    char *buf = malloc((size_t)size + 1);
    if (!buf) { fprintf(stderr, "%s: out of memory\n", prog); return 2; }
    memset(buf, 'r', (size_t)size);
    long sent = 0, replies = 0, bad = 0;
    for (long i = 0; i < k; i++) {
        socks[i] = zmq_socket(ctx, ZMQ_REQ);
        if (!socks[i]) zb_die(prog, "zmq_socket");
        zb_hwm(socks[i], prog);
        zb_set_int(socks[i], ZMQ_LINGER, 0, prog, "set ZMQ_LINGER");
        zb_check(zmq_connect(socks[i], argv[1]), prog, "zmq_connect");
        items[i] = (zmq_pollitem_t){ .socket = socks[i], .events = ZMQ_POLLIN };
    }
    for (long i = 0; i < k && sent < n; i++, sent++) {
        zb_check(zmq_send(socks[i], buf, (size_t)size, 0), prog, "zmq_send");
    }
    int64_t t_first = 0, t_last = 0;
    int timed_out = 0;
    while (replies < n) {
        int ready = zmq_poll(items, (int)k, timeout_ms);
        if (ready == -1) {
            if (zmq_errno() == EINTR) continue;
            zb_die(prog, "zmq_poll");
        }
        if (ready == 0) { timed_out = 1; break; }
        for (long i = 0; i < k; i++) {
            if (!(items[i].revents & ZMQ_POLLIN)) continue;
            int got = zmq_recv(socks[i], buf, (size_t)size + 1, ZMQ_DONTWAIT);
            if (got == -1) continue;
            t_last = zb_now_ns();
            if (replies == 0) t_first = t_last;
            replies++;
            if (got != size) bad++;
            if (sent < n) {
                zb_check(zmq_send(socks[i], buf, (size_t)size, 0), prog, "zmq_send");
                sent++;
            }
        }
    }
    double seconds = (double)(t_last - t_first) / 1e9;
    double rate = seconds > 0 ? (double)replies / seconds : 0.0;
    printf("{\"replies\":%ld,\"bad\":%ld,\"timed_out\":%d,\"t_first_ns\":%lld,\"t_last_ns\":%lld,"
           "\"seconds\":%.6f,\"msgs_per_sec\":%.1f}\n",
           replies, bad, timed_out, (long long)t_first, (long long)t_last, seconds, rate);
    fflush(stdout);
    for (long i = 0; i < k; i++) zmq_close(socks[i]);
    zmq_ctx_term(ctx);
    free(buf);
    return (replies == n && bad == 0) ? 0 : 1;
}
