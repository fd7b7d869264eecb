/* Shared helpers for the benchmark baselines: clock, errors, JSON result line.
 * Every program prints exactly one JSON object on its last stdout line; the harness parses it. */
#ifndef ZB_COMMON_H
#define ZB_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* Same high-water marks for every variant (libzmq's default, stated so it cannot drift). */
#define ZB_HWM 1000

/* CLOCK_MONOTONIC in ns: comparable across processes on one machine (Python's time.monotonic_ns). */
static inline int64_t zb_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void zb_die(const char *prog, const char *what) {
    fprintf(stderr, "%s: %s: %s\n", prog, what, zmq_strerror(zmq_errno()));
    exit(2);
}

static inline void zb_check(int rc, const char *prog, const char *what) {
    if (rc == -1) zb_die(prog, what);
}

static inline long zb_arg_long(const char *prog, const char *name, const char *text, long min) {
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min) {
        fprintf(stderr, "%s: %s must be an integer >= %ld, got '%s'\n", prog, name, min, text);
        exit(64);
    }
    return v;
}

static inline void zb_set_int(void *sock, int option, int value, const char *prog, const char *what) {
    zb_check(zmq_setsockopt(sock, option, &value, sizeof value), prog, what);
}

static inline void zb_hwm(void *sock, const char *prog) {
    zb_set_int(sock, ZMQ_SNDHWM, ZB_HWM, prog, "set ZMQ_SNDHWM");
    zb_set_int(sock, ZMQ_RCVHWM, ZB_HWM, prog, "set ZMQ_RCVHWM");
    zb_set_int(sock, ZMQ_LINGER, 2000, prog, "set ZMQ_LINGER");
}

/* Binds when mode is "bind", connects when "connect"; anything else is a usage error. */
static inline void zb_attach(void *sock, const char *mode, const char *endpoint, const char *prog) {
    if (strcmp(mode, "bind") == 0) {
        zb_check(zmq_bind(sock, endpoint), prog, "zmq_bind");
    } else if (strcmp(mode, "connect") == 0) {
        zb_check(zmq_connect(sock, endpoint), prog, "zmq_connect");
    } else {
        fprintf(stderr, "%s: mode must be bind or connect, got '%s'\n", prog, mode);
        exit(64);
    }
}

#endif
