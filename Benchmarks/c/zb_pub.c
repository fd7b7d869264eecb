/* Publisher for the tap benchmark: an XPUB (a PUB that also sees subscriptions, so it can wait for
 * its subscriber instead of sleeping) that sends small JSON events as fast as it can for SECONDS.
 * usage: zb_pub ENDPOINT SECONDS [WAIT_MS]
 * Binds ENDPOINT (may end in :*), prints "bound <endpoint>", waits up to WAIT_MS for a subscription,
 * then floods. Messages over the HWM are dropped by ZeroMQ, as with any PUB.
 * prints {"sent":N,"t_first_ns":..,"t_last_ns":..,"seconds":S} */
#include "zb_common.h"

#define ZB_EVENTS 10

int main(int argc, char **argv) {
    const char *prog = "zb_pub";
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s ENDPOINT SECONDS [WAIT_MS]\n", prog);
        return 64;
    }
    double seconds = atof(argv[2]);
    if (!(seconds > 0)) { fprintf(stderr, "%s: SECONDS must be > 0, got '%s'\n", prog, argv[2]); return 64; }
    long wait_ms = argc > 3 ? zb_arg_long(prog, "WAIT_MS", argv[3], 1) : 15000;
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_XPUB);
    if (!pub) zb_die(prog, "zmq_socket");
    zb_hwm(pub, prog);
    zb_set_int(pub, ZMQ_LINGER, 0, prog, "set ZMQ_LINGER");
    zb_check(zmq_bind(pub, argv[1]), prog, "zmq_bind");
    char endpoint[256];
    size_t len = sizeof endpoint;
    zb_check(zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, endpoint, &len), prog, "ZMQ_LAST_ENDPOINT");
    printf("bound %s\n", endpoint);
    fflush(stdout);

    char sub[64];
    zb_set_int(pub, ZMQ_RCVTIMEO, (int)wait_ms, prog, "set ZMQ_RCVTIMEO");
    if (zmq_recv(pub, sub, sizeof sub, 0) == -1) {
        fprintf(stderr, "%s: no subscriber within %ld ms\n", prog, wait_ms);
        return 1;
    }

    /* Ten event kinds, so label extraction has several values to count. The time field is refreshed
     * every 1024 messages: the tap's age histogram needs a plausible time, not a precise one. */
    char msgs[ZB_EVENTS][128];
    int lens[ZB_EVENTS];
    int64_t t_first = zb_now_ns(), deadline = t_first + (int64_t)(seconds * 1e9), now = t_first;
    long sent = 0;
    while (now < deadline) {
        if ((sent & 1023) == 0) {
            struct timespec wall;
            clock_gettime(CLOCK_REALTIME, &wall);
            long long ms = (long long)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
            for (int e = 0; e < ZB_EVENTS; e++) {
                lens[e] = snprintf(msgs[e], sizeof msgs[e],
                                   "{\"event\":\"kind%d\",\"time\":%lld,\"source\":\"bench\"}", e, ms);
            }
            now = zb_now_ns();
        }
        int e = (int)(sent % ZB_EVENTS);
        if (zmq_send(pub, msgs[e], (size_t)lens[e], 0) == -1 && zmq_errno() != EINTR) zb_die(prog, "zmq_send");
        sent++;
    }
    int64_t t_last = zb_now_ns();
    printf("{\"sent\":%ld,\"t_first_ns\":%lld,\"t_last_ns\":%lld,\"seconds\":%.6f}\n",
           sent, (long long)t_first, (long long)t_last, (double)(t_last - t_first) / 1e9);
    fflush(stdout);
    zmq_close(pub);
    zmq_ctx_term(ctx);
    return 0;
}
