/* The stats file one process publishes: a 4096-byte header, then `slot_count` fixed slots of
 * 1024 bytes. Every multi-byte field is in the host's byte order and naturally aligned; readers
 * (the Swift agent, the Python tests) read it with 64-bit atomic loads. docs/zero-code.md lists
 * every field with its offset; the _Static_asserts below keep the two in step.
 * Version 1. Bump ZXP_VERSION on any change a reader could misread. */
#ifndef ZXP_LAYOUT_H
#define ZXP_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define ZXP_MAGIC "ZMQXSTAT" /* 8 bytes, no NUL; stored last, so a reader never sees a half-made file */
#define ZXP_VERSION 1u
#define ZXP_HEADER_SIZE 4096u
#define ZXP_SLOT_SIZE 1024u
#define ZXP_BUCKETS 11          /* lifetime bucket upper bounds, seconds */
#define ZXP_HANDSHAKE_ENTRIES 8 /* (event, value) pairs per slot */
#define ZXP_EVENT_KINDS 16      /* index = bit number of ZMQ_EVENT_*; 15 = any unknown event */
#define ZXP_NAME_MAX 96
#define ZXP_ENDPOINTS_MAX 448
#define ZXP_PROCESS_NAME_MAX 124

/* slot.state */
enum { ZXP_FREE = 0, ZXP_LIVE = 1, ZXP_CLOSED = 2, ZXP_AGGREGATE = 3 };
/* slot.flags */
enum {
    ZXP_F_MONITORED = 1u,     /* the library's monitor is attached */
    ZXP_F_MONITOR_LOST = 2u,  /* the application installed or stopped a monitor: ours was replaced */
    ZXP_F_NAMED = 4u,         /* name came from ZMQ_EXPORTER_SOCKET_NAMES */
    ZXP_F_TRUNCATED = 8u,     /* endpoints did not fit */
    ZXP_F_UNMONITORED = 16u,  /* over the descriptor budget: counted without a monitor */
};

struct zxp_header {
    char magic[8];                   /*   0 */
    uint32_t version;                /*   8 */
    uint32_t header_size;            /*  12 */
    uint32_t slot_size;              /*  16 */
    uint32_t slot_count;             /*  20: slot 0 is the aggregate */
    int32_t pid;                     /*  24 */
    uint32_t reserved0;              /*  28 */
    uint64_t start_time;             /*  32: clock ticks after boot, /proc/self/stat field 22 */
    char boot_id[40];                /*  40: 36 characters, NUL padded */
    uint32_t name_len;               /*  80 */
    char name[ZXP_PROCESS_NAME_MAX]; /*  84 */
    int32_t zmq_major;               /* 208 */
    int32_t zmq_minor;               /* 212 */
    int32_t zmq_patch;               /* 216 */
    uint32_t bucket_count;           /* 220 */
    double bounds[ZXP_BUCKETS];      /* 224 */
    uint64_t dropped_events;         /* 312: monitor events libzmq could not queue (reader behind) */
    uint64_t overflow_sockets;       /* 320: sockets counted in slot 0 because every slot was live */
    uint64_t unmonitored_sockets;    /* 328: sockets past the descriptor budget */
    uint64_t monitors_lost;          /* 336: monitors the application replaced or stopped */
    int64_t max_sockets_requested;   /* 344: last ZMQ_MAX_SOCKETS the application set, -1 never */
    int64_t max_sockets_effective;   /* 352: what the library set instead */
    uint64_t sockets_created;        /* 360 */
    uint64_t sockets_closed;         /* 368 */
    uint64_t malformed_events;       /* 376: event messages of the wrong shape (after a drop) */
    uint64_t evicted_slots;          /* 384: closed slots folded into slot 0 to make room */
    uint8_t reserved[ZXP_HEADER_SIZE - 392];
};

struct zxp_handshake {
    uint32_t event; /* ZMQ_EVENT_HANDSHAKE_FAILED_* */
    uint32_t value; /* errno, ZMQ_PROTOCOL_ERROR_* or ZAP status */
    uint64_t count; /* 0: entry unused */
};

struct zxp_slot {
    uint32_t state;                  /*   0 */
    uint32_t generation;             /*   4: bumped whenever the slot changes owner */
    uint32_t seq;                    /*   8: seqlock, odd while identity/strings change */
    int32_t socket_type;             /*  12: ZMQ_PAIR..., -1 in slot 0 */
    uint32_t flags;                  /*  16 */
    uint32_t name_len;               /*  20 */
    uint32_t endpoints_len;          /*  24 */
    uint32_t handshake_entries;      /*  28: ZXP_HANDSHAKE_ENTRIES */
    uint64_t messages_sent;          /*  32 */
    uint64_t messages_received;      /*  40 */
    uint64_t bytes_sent;             /*  48 */
    uint64_t bytes_received;         /*  56 */
    uint64_t send_would_block;       /*  64 */
    uint64_t send_unroutable;        /*  72 */
    uint64_t send_error;             /*  80 */
    int64_t connections;             /*  88: open now */
    uint64_t closed_before_handshake;/*  96 */
    uint64_t handshake_overflow;     /* 104: failures whose (event, value) found no free entry */
    uint64_t events[ZXP_EVENT_KINDS];/* 112 */
    uint64_t lifetime_buckets[ZXP_BUCKETS + 1]; /* 240: NOT cumulative; last = above every bound */
    uint64_t lifetime_sum_ns;        /* 336 */
    uint64_t lifetime_count;         /* 344 */
    struct zxp_handshake handshake[ZXP_HANDSHAKE_ENTRIES]; /* 352 */
    char name[ZXP_NAME_MAX];         /* 480 */
    char endpoints[ZXP_ENDPOINTS_MAX]; /* 576: lines "bind <endpoint>\n" / "connect <endpoint>\n" */
};

_Static_assert(sizeof(struct zxp_header) == ZXP_HEADER_SIZE, "header size");
_Static_assert(offsetof(struct zxp_header, bounds) == 224, "bounds offset");
_Static_assert(offsetof(struct zxp_header, evicted_slots) == 384, "header counters");
_Static_assert(sizeof(struct zxp_slot) == ZXP_SLOT_SIZE, "slot size");
_Static_assert(offsetof(struct zxp_slot, events) == 112, "events offset");
_Static_assert(offsetof(struct zxp_slot, lifetime_buckets) == 240, "buckets offset");
_Static_assert(offsetof(struct zxp_slot, handshake) == 352, "handshake offset");
_Static_assert(offsetof(struct zxp_slot, name) == 480, "name offset");
_Static_assert(offsetof(struct zxp_slot, endpoints) == 576, "endpoints offset");

#endif
