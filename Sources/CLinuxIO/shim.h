#ifndef CLINUXIO_SHIM_H
#define CLINUXIO_SHIM_H
// Linux-only calls the Swift Glibc module does not expose: epoll, eventfd, accept4, thread names.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <pthread.h>

// accept4 is declared only under _GNU_SOURCE, which the Glibc module is not built with.
extern int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);
// Also GNU-only: thread names in ps/top/gdb (Posix.Thread).
extern int pthread_setname_np(pthread_t thread, const char *name);
extern int pthread_getname_np(pthread_t thread, char *name, size_t len);
#endif
