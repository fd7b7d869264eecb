/* REP echo worker: W REP sockets connected to ENDPOINT, each echoing every request unchanged.
 * usage: zb_rep ENDPOINT W
 * Prints "ready" once connected; runs until killed (SIGTERM). */
#include "zb_common.h"

#define ZB_MAX_W 64

int main(int argc, char **argv) {
    const char *prog = "zb_rep";
    if (argc != 3) {
        fprintf(stderr, "usage: %s ENDPOINT W\n", prog);
        return 64;
    }
    long w = zb_arg_long(prog, "W", argv[2], 1);
    if (w > ZB_MAX_W) { fprintf(stderr, "%s: W must be <= %d\n", prog, ZB_MAX_W); return 64; }
    void *ctx = zmq_ctx_new();
    zmq_pollitem_t items[ZB_MAX_W];
    for (long i = 0; i < w; i++) {
        void *rep = zmq_socket(ctx, ZMQ_REP);
        if (!rep) zb_die(prog, "zmq_socket");
        zb_hwm(rep, prog);
        zb_check(zmq_connect(rep, argv[1]), prog, "zmq_connect");
        items[i] = (zmq_pollitem_t){ .socket = rep, .events = ZMQ_POLLIN };
    }
    printf("ready\n");
    fflush(stdout);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    for (;;) {
        if (zmq_poll(items, (int)w, -1) == -1) {
            if (zmq_errno() == EINTR) continue;
            zb_die(prog, "zmq_poll");
        }
        for (long i = 0; i < w; i++) {
            if (!(items[i].revents & ZMQ_POLLIN)) continue;
            if (zmq_msg_recv(&msg, items[i].socket, ZMQ_DONTWAIT) == -1) continue;
            /* zmq_msg_send hands the received buffer back without a copy. */
            zb_check(zmq_msg_send(&msg, items[i].socket, 0), prog, "zmq_msg_send");
        }
    }
}
