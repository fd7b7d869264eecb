/* Creating the process's stats file: at the first zmq_socket only, so programs that inherit
 * LD_PRELOAD without using ZeroMQ leave nothing behind. NAME.tmp is created exclusively, fully
 * allocated (a full tmpfs fails here, never as SIGBUS later), locked, filled, its magic stored
 * last, then renamed into place. The exclusive flock is held for the process's life: a reader
 * that gets LOCK_SH knows the writer is gone. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define DEFAULT_DIR "/dev/shm/zmq-exporter"
#define DEFAULT_SLOTS 128
static const double bounds[ZXP_BUCKETS] = {0.001, 0.01, 0.1, 1, 10, 60, 300, 1800, 3600, 21600, 86400};

static int read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return (int)n;
}

/* Field 22 of /proc/self/stat; the command may hold spaces and ')' so count after the last ')'. */
static uint64_t process_start_time(void)
{
    char buf[1024];
    if (read_small("/proc/self/stat", buf, sizeof buf) < 0) return 0;
    char *p = strrchr(buf, ')');
    if (!p) return 0;
    p++;
    for (int field = 2; field < 22 && p; field++) {
        p = strchr(p + 1, ' ');
    }
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

static void copy_trimmed(char *dst, size_t size, const char *src, uint32_t *len)
{
    size_t n = strcspn(src, "\n");
    if (n > size - 1) n = size - 1;
    // Cut at a UTF-8 boundary so a reader's validation never fails on our own truncation.
    while (n > 0 && n < strlen(src) && ((unsigned char)src[n] & 0xC0) == 0x80) n--;
    memcpy(dst, src, n);
    dst[n] = 0;
    if (len) *len = (uint32_t)n;
}

uint32_t zxp_slot_count;
int zxp_file_fd = -1;
size_t zxp_file_size;

/* Returns the mapped header, or NULL with errno set. Called under zxp_lock. */
struct zxp_header *zxp_create_file(void)
{
    const char *dir = getenv("ZMQ_EXPORTER_DIR");
    if (!dir || !*dir) dir = DEFAULT_DIR;
    uint32_t slots = DEFAULT_SLOTS;
    const char *wanted = getenv("ZMQ_EXPORTER_SLOTS");
    if (wanted && *wanted) {
        long n = strtol(wanted, NULL, 10);
        if (n >= 8 && n <= 65536) slots = (uint32_t)n;
    }
    // A fresh directory is shared like /tmp (sticky: nobody removes another user's file);
    // an existing one is used as its owner made it. docs/zero-code.md has the reasoning.
    if (mkdir(dir, 01777) == 0) {
        chmod(dir, 01777);
    } else if (errno != EEXIST) {
        return NULL;
    }
    unsigned char random[4] = {0};
    if (getrandom(random, sizeof random, GRND_NONBLOCK) != sizeof random) {
        uint64_t t = zxp_now_ns();
        memcpy(random, &t, sizeof random);
    }
    char final_path[4096], tmp_path[4200];
    int pid = (int)getpid();
    if (snprintf(final_path, sizeof final_path, "%s/zmq-%d-%02x%02x%02x%02x.zmqstats", dir, pid, random[0], random[1],
                 random[2], random[3]) >= (int)sizeof final_path) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    snprintf(tmp_path, sizeof tmp_path, "%s.tmp", final_path);
    int fd = open(tmp_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return NULL;
    size_t size = ZXP_HEADER_SIZE + (size_t)slots * ZXP_SLOT_SIZE;
    int err = posix_fallocate(fd, 0, (off_t)size);
    if (err == 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) err = errno;
    void *map = MAP_FAILED;
    if (err == 0) {
        map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) err = errno;
    }
    if (err != 0) {
        unlink(tmp_path);
        close(fd);
        errno = err;
        return NULL;
    }
    struct zxp_header *h = map;
    h->version = ZXP_VERSION;
    h->header_size = ZXP_HEADER_SIZE;
    h->slot_size = ZXP_SLOT_SIZE;
    h->slot_count = slots;
    h->pid = pid;
    h->start_time = process_start_time();
    char text[256];
    if (read_small("/proc/sys/kernel/random/boot_id", text, sizeof text) > 0) {
        copy_trimmed(h->boot_id, sizeof h->boot_id, text, NULL);
    }
    const char *name = getenv("ZMQ_EXPORTER_PROCESS_NAME");
    if (!name || !*name) name = read_small("/proc/self/comm", text, sizeof text) > 0 ? text : "";
    copy_trimmed(h->name, sizeof h->name, name, &h->name_len);
    if (zxp_real.version) zxp_real.version(&h->zmq_major, &h->zmq_minor, &h->zmq_patch);
    h->bucket_count = ZXP_BUCKETS;
    memcpy(h->bounds, bounds, sizeof bounds);
    struct zxp_slot *aggregate = (struct zxp_slot *)((char *)map + ZXP_HEADER_SIZE);
    aggregate->state = ZXP_AGGREGATE;
    aggregate->socket_type = -1;
    aggregate->handshake_entries = ZXP_HANDSHAKE_ENTRIES;
    memcpy(aggregate->name, "_other", 6);
    aggregate->name_len = 6;
    for (uint32_t i = 1; i < slots; i++) aggregate[i].handshake_entries = ZXP_HANDSHAKE_ENTRIES;
    // The magic goes in last (release): a reader that sees it sees everything above.
    uint64_t magic;
    memcpy(&magic, ZXP_MAGIC, 8);
    __atomic_store_n((uint64_t *)h->magic, magic, __ATOMIC_RELEASE);
    if (rename(tmp_path, final_path) != 0) {
        err = errno;
        munmap(map, size);
        unlink(tmp_path);
        close(fd);
        errno = err;
        return NULL;
    }
    zxp_slot_count = slots;
    zxp_file_fd = fd;
    zxp_file_size = size;
    return h;
}

/* In a forked child: let go of the parent's mapping and descriptor (closing our copy leaves the
 * parent's lock in place, since the parent still holds its own descriptor). */
void zxp_drop_file(void)
{
    if (zxp_file) munmap(zxp_file, zxp_file_size);
    if (zxp_file_fd >= 0) close(zxp_file_fd);
    zxp_file = NULL;
    zxp_file_fd = -1;
}
