/* A worker of the seed's task system: PULLs tasks from the producer, PUSHes one result per task
 * to the collector, and publishes a `task_done` event per task on a PUB that *connects* to the
 * producer's PUB endpoint. That last part is the seed's mistake, kept on purpose: two PUBs never
 * complete a ZMTP handshake (the socket types are incompatible): the connection closes before
 * the handshake on both ends, libzmq 4.3 soon stops trying that peer, and the events go nowhere
 * (a PUB without subscribers drops them; the send still succeeds). Prints `done COUNT` after
 * each task.
 * Exits 0 when stdin closes.
 * usage: worker ID TASKS_ENDPOINT RESULTS_ENDPOINT EVENTS_ENDPOINT */
#include "seed.h"

struct worker {
    const char *id;
    void *results, *events;
};

/* One task: its result to the collector, its event to the (unconnected) PUB. */
static void work(char *task, int length, void *arg)
{
    (void)length;
    struct worker *w = arg;
    char message[320];
    long task_id = 0;
    sscanf(task, "task %ld", &task_id);
    int size = snprintf(message, sizeof message, "result %ld by worker-%s", task_id, w->id);
    CHECK(zmq_send(w->results, message, (size_t)size, 0) == size);
    size = snprintf(message, sizeof message, "task_done %ld worker-%s", task_id, w->id);
    CHECK(zmq_send(w->events, message, (size_t)size, 0) == size);
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s ID TASKS_ENDPOINT RESULTS_ENDPOINT EVENTS_ENDPOINT\n", argv[0]);
        return 64;
    }
    const char *id = argv[1];
    void *ctx = zmq_ctx_new();
    CHECK(ctx);
    void *tasks = make_socket(ctx, ZMQ_PULL);
    void *results = make_socket(ctx, ZMQ_PUSH);
    void *events = make_socket(ctx, ZMQ_PUB);
    CHECK(zmq_connect(tasks, argv[2]) == 0);
    CHECK(zmq_connect(results, argv[3]) == 0);
    CHECK(zmq_connect(events, argv[4]) == 0); /* PUB to PUB: the seed's mistake */
    say("ready");

    struct worker w = {id, results, events};
    long done = receive_until_stdin_closes(tasks, "done", work, &w);
    CHECK(zmq_close(tasks) == 0);
    CHECK(zmq_close(results) == 0);
    CHECK(zmq_close(events) == 0);
    CHECK(zmq_ctx_term(ctx) == 0);
    say("bye done %ld", done);
    return 0;
}
