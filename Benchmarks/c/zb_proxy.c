/* Baseline proxy: libzmq's own zmq_proxy between two bound sockets, nothing else.
 * usage: zb_proxy pushpull|routerdealer FRONTEND BACKEND
 * pushpull binds PULL on FRONTEND and PUSH on BACKEND; routerdealer binds ROUTER and DEALER.
 * Prints "ready" once both are bound; runs until killed (SIGTERM). */
#include "zb_common.h"

int main(int argc, char **argv) {
    const char *prog = "zb_proxy";
    if (argc != 4) {
        fprintf(stderr, "usage: %s pushpull|routerdealer FRONTEND BACKEND\n", prog);
        return 64;
    }
    int front_type, back_type;
    if (strcmp(argv[1], "pushpull") == 0) {
        front_type = ZMQ_PULL;
        back_type = ZMQ_PUSH;
    } else if (strcmp(argv[1], "routerdealer") == 0) {
        front_type = ZMQ_ROUTER;
        back_type = ZMQ_DEALER;
    } else {
        fprintf(stderr, "%s: kind must be pushpull or routerdealer, got '%s'\n", prog, argv[1]);
        return 64;
    }
    void *ctx = zmq_ctx_new();
    void *front = zmq_socket(ctx, front_type);
    void *back = zmq_socket(ctx, back_type);
    if (!front || !back) zb_die(prog, "zmq_socket");
    zb_hwm(front, prog);
    zb_hwm(back, prog);
    zb_check(zmq_bind(front, argv[2]), prog, "zmq_bind frontend");
    zb_check(zmq_bind(back, argv[3]), prog, "zmq_bind backend");
    printf("ready\n");
    fflush(stdout);
    zmq_proxy(front, back, NULL);
    zb_die(prog, "zmq_proxy returned");
    return 2;
}
