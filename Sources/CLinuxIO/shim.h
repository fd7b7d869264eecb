#ifndef CLINUXIO_SHIM_H
#define CLINUXIO_SHIM_H
// Linux-only calls the Swift Glibc module does not expose: epoll, eventfd, accept4.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <pthread.h>

// accept4 is declared only under _GNU_SOURCE, which the Glibc module is not built with.
extern int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);
// Also GNU-only: names the event loop thread in ps/top/gdb.
extern int pthread_setname_np(pthread_t thread, const char *name);
#endif
