/* The event monitor of the seed's task system: a SUB connected to the producer's PUB, subscribed
 * to everything; prints `received COUNT` after each event. Exits 0 when stdin closes.
 * usage: monitor EVENTS_ENDPOINT */
#include "seed.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s EVENTS_ENDPOINT\n", argv[0]);
        return 64;
    }
    void *ctx = zmq_ctx_new();
    CHECK(ctx);
    void *events = make_socket(ctx, ZMQ_SUB);
    CHECK(zmq_setsockopt(events, ZMQ_SUBSCRIBE, "", 0) == 0);
    CHECK(zmq_connect(events, argv[1]) == 0);
    say("ready");

    long count = receive_until_stdin_closes(events, "received", NULL, NULL);
    CHECK(zmq_close(events) == 0);
    CHECK(zmq_ctx_term(ctx) == 0);
    say("bye received %ld", count);
    return 0;
}
