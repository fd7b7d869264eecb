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

    struct lines in = {0};
    char line[128], event[320];
    long count = 0;
    zmq_pollitem_t items[] = {{events, 0, ZMQ_POLLIN, 0}, {NULL, 0, ZMQ_POLLIN, 0}};
    while (!in.closed) {
        int ready = zmq_poll(items, 2, -1);
        if (ready < 0 && zmq_errno() == EINTR)
            continue;
        CHECK(ready >= 0);
        if (items[1].revents) { /* POLLIN, or POLLERR: a closed pipe polls as POLLHUP */
            fill(&in);
            while (take_line(&in, line, sizeof line)) {
            }
        }
        while (items[0].revents & ZMQ_POLLIN) {
            int got = zmq_recv(events, event, sizeof event, ZMQ_DONTWAIT);
            if (got < 0 && zmq_errno() == EAGAIN)
                break;
            CHECK(got >= 0);
            count++;
            say("received %ld", count);
        }
    }
    CHECK(zmq_close(events) == 0);
    CHECK(zmq_ctx_term(ctx) == 0);
    say("bye received %ld", count);
    return 0;
}
