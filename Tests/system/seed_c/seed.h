/* Shared by the seed-system programs (producer, worker, collector, monitor): a check that names
 * the failed call, endpoint printing, and stdin read as lines without stdio buffering, so
 * zmq_poll on descriptor 0 never misses a line that stdio already read ahead. */
#ifndef SEED_H
#define SEED_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x)) {                                                                                \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #x, zmq_strerror(zmq_errno())); \
            exit(3);                                                                               \
        }                                                                                          \
    } while (0)

/* Every line flushed at once: the test reads progress while the program runs. */
static inline void say(const char *format, ...) __attribute__((format(printf, 1, 2)));
static inline void say(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
    fflush(stdout);
}

static inline void print_endpoint(const char *what, void *socket)
{
    char endpoint[256];
    size_t size = sizeof endpoint;
    CHECK(zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, endpoint, &size) == 0);
    say("%s %s", what, endpoint);
}

/* Sockets whose close must not wait for a peer that is gone (a killed worker). */
static inline void *make_socket(void *ctx, int type)
{
    void *s = zmq_socket(ctx, type);
    CHECK(s);
    int linger = 1000;
    CHECK(zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) == 0);
    return s;
}

/* Lines from stdin, read with read(2) when zmq_poll says descriptor 0 is readable. */
struct lines {
    char buffer[4096];
    size_t used;
    int closed;
};

/* One read(2), when zmq_poll said descriptor 0 is readable; sets `closed` at end of file. */
static inline void fill(struct lines *in)
{
    if (in->used == sizeof in->buffer)
        in->used = 0; /* a line longer than the buffer: dropped */
    ssize_t got;
    do {
        got = read(0, in->buffer + in->used, sizeof in->buffer - in->used);
    } while (got < 0 && errno == EINTR);
    if (got <= 0)
        in->closed = 1;
    else
        in->used += (size_t)got;
}

/* The next complete line (without its newline) from what `fill` read; 0 when there is none. */
static inline int take_line(struct lines *in, char *line, size_t size)
{
    char *newline = memchr(in->buffer, '\n', in->used);
    if (!newline)
        return 0;
    size_t length = (size_t)(newline - in->buffer);
    size_t copied = length < size - 1 ? length : size - 1;
    memcpy(line, in->buffer, copied);
    line[copied] = 0;
    in->used -= length + 1;
    memmove(in->buffer, newline + 1, in->used);
    return 1;
}

/* Receives from `socket` until stdin closes, calling `handle` (if any) with each message and
 * printing `VERB COUNT` after each; returns the count. The programs' one loop: zmq_poll over the
 * socket and descriptor 0, so a closed stdin ends it at once. */
static inline long receive_until_stdin_closes(void *socket, const char *verb,
                                              void (*handle)(char *body, int length, void *arg), void *arg)
{
    struct lines in = {0};
    char line[128], body[320];
    long count = 0;
    zmq_pollitem_t items[] = {{socket, 0, ZMQ_POLLIN, 0}, {NULL, 0, ZMQ_POLLIN, 0}};
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
            int got = zmq_recv(socket, body, sizeof body - 1, ZMQ_DONTWAIT);
            if (got < 0 && zmq_errno() == EAGAIN)
                break;
            CHECK(got >= 0);
            body[got < (int)sizeof body - 1 ? got : (int)sizeof body - 1] = 0;
            if (handle)
                handle(body, got, arg);
            count++;
            say("%s %ld", verb, count);
        }
    }
    return count;
}

#endif
