/* The result collector of the seed's task system: binds a PULL on tcp://127.0.0.1:* (printed as
 * `results ENDPOINT`), counts results and prints `collected COUNT` after each. Exits 0 when stdin
 * closes.
 * usage: collector */
#include "seed.h"

int main(void)
{
    void *ctx = zmq_ctx_new();
    CHECK(ctx);
    void *results = make_socket(ctx, ZMQ_PULL);
    CHECK(zmq_bind(results, "tcp://127.0.0.1:*") == 0);
    print_endpoint("results", results);
    say("ready");

    struct lines in = {0};
    char line[128], result[320];
    long count = 0;
    zmq_pollitem_t items[] = {{results, 0, ZMQ_POLLIN, 0}, {NULL, 0, ZMQ_POLLIN, 0}};
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
            int got = zmq_recv(results, result, sizeof result, ZMQ_DONTWAIT);
            if (got < 0 && zmq_errno() == EAGAIN)
                break;
            CHECK(got >= 0);
            count++;
            say("collected %ld", count);
        }
    }
    CHECK(zmq_close(results) == 0);
    CHECK(zmq_ctx_term(ctx) == 0);
    say("bye collected %ld", count);
    return 0;
}
