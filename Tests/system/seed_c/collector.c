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

    long count = receive_until_stdin_closes(results, "collected", NULL, NULL);
    CHECK(zmq_close(results) == 0);
    CHECK(zmq_ctx_term(ctx) == 0);
    say("bye collected %ld", count);
    return 0;
}
