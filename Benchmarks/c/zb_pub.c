/* Publisher for the tap benchmark: an XPUB (a PUB that also sees subscriptions, so it can wait for
 * its subscriber instead of sleeping) that sends small JSON events as fast as it can for SECONDS.
 * usage: zb_pub ENDPOINT SECONDS [WAIT_MS] [nodrop|drop]
 * Binds ENDPOINT (may end in :*), prints "bound <endpoint>", waits up to WAIT_MS for a subscription,
 * then sends. nodrop (default) sets ZMQ_XPUB_NODROP: at the HWM the send waits for the subscriber
 * instead of dropping, so the publisher runs exactly at the subscriber's pace and every message
 * sent is received. drop is a plain PUB: whatever the subscriber cannot take is dropped.
 * prints {"sent":N,"t_first_ns":..,"t_last_ns":..,"seconds":S} */
#include "zb_common.h"

#define ZB_EVENTS 10

int main(int argc, char **argv) {
    const char *prog = "zb_pub";
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: %s ENDPOINT SECONDS [WAIT_MS] [nodrop|drop]\n", prog);
        return 64;
    }
    double seconds = atof(argv[2]);
    if (!(seconds > 0)) { fprintf(stderr, "%s: SECONDS must be > 0, got '%s'\n", prog, argv[2]); return 64; }
    long wait_ms = argc > 3 ? zb_arg_long(prog, "WAIT_MS", argv[3], 1) : 15000;
    int nodrop = 1;
    if (argc > 4) {
        if (strcmp(argv[4], "drop") == 0) nodrop = 0;
        else if (strcmp(argv[4], "nodrop") != 0) {
            fprintf(stderr, "%s: mode must be nodrop or drop, got '%s'\n", prog, argv[4]);
            return 64;
        }
    }
    void *ctx = zmq_ctx_new();
    void *pub = zmq_socket(ctx, ZMQ_XPUB);
    if (!pub) zb_die(prog, "zmq_socket");
    zb_hwm(pub, prog);
    zb_set_int(pub, ZMQ_LINGER, 2000, prog, "set ZMQ_LINGER");
    zb_set_int(pub, ZMQ_XPUB_NODROP, nodrop, prog, "set ZMQ_XPUB_NODROP");
    zb_set_int(pub, ZMQ_SNDTIMEO, 10000, prog, "set ZMQ_SNDTIMEO");
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
        if (zmq_send(pub, msgs[e], (size_t)lens[e], 0) == -1) {
            if (zmq_errno() == EINTR) continue;
            if (zmq_errno() == EAGAIN) {
                fprintf(stderr, "%s: the subscriber took nothing for 10 s\n", prog);
                return 1;
            }
            zb_die(prog, "zmq_send");
        }
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
