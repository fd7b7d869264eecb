/* The producer of the seed's task system: binds a PUSH for tasks and a PUB for events, both on
 * tcp://127.0.0.1:* (printed as `tasks ENDPOINT` and `events ENDPOINT`). Each stdin line `send N`
 * sends N tasks and publishes one `task_created` event per task, then prints `sent TOTAL`. It
 * sends nothing until told, so the test can first wait for the workers and the subscriber
 * (no slow-joiner loss). Exits 0 when stdin closes.
 * usage: producer */
#include "seed.h"

int main(void)
{
    void *ctx = zmq_ctx_new();
    CHECK(ctx);
    void *tasks = make_socket(ctx, ZMQ_PUSH);
    void *events = make_socket(ctx, ZMQ_PUB);
    CHECK(zmq_bind(tasks, "tcp://127.0.0.1:*") == 0);
    CHECK(zmq_bind(events, "tcp://127.0.0.1:*") == 0);
    print_endpoint("tasks", tasks);
    print_endpoint("events", events);
    say("ready");

    struct lines in = {0};
    char line[128], message[128];
    long sent = 0;
    while (!in.closed) {
        fill(&in);
        while (take_line(&in, line, sizeof line)) {
            long n = 0;
            if (sscanf(line, "send %ld", &n) != 1 || n < 1) {
                fprintf(stderr, "producer: unknown command '%s'\n", line);
                continue;
            }
            for (long i = 0; i < n; i++) {
                long id = sent + 1;
                int length = snprintf(message, sizeof message, "task %ld payload-%08ld", id, id * 7919);
                CHECK(zmq_send(tasks, message, (size_t)length, 0) == length);
                length = snprintf(message, sizeof message, "task_created %ld", id);
                CHECK(zmq_send(events, message, (size_t)length, 0) == length);
                sent = id;
            }
            say("sent %ld", sent);
        }
    }
    CHECK(zmq_close(tasks) == 0);
    CHECK(zmq_close(events) == 0);
    CHECK(zmq_ctx_term(ctx) == 0);
    say("bye sent %ld", sent);
    return 0;
}
