/* Socket handle -> slot index, read without a lock on every send and receive. Writers hold
 * zxp_lock. Open addressing with linear probing; a removed key becomes a tombstone that a
 * later insert may take over. When live keys and tombstones fill 3/4 of the table it is rebuilt
 * into a fresh one and the pointer swapped; the old table is left allocated because a reader
 * may still be probing it (it happens at most once per doubling of tombstones). */
#include <stdlib.h>

#include "internal.h"

#define TOMBSTONE ((uintptr_t)1)

struct entry {
    _Atomic uintptr_t key;
    _Atomic int value;
};
struct table {
    uint32_t bits;
    uint32_t used; /* live + tombstones */
    uint32_t live;
    struct entry entries[];
};

static _Atomic(struct table *) current;

static inline size_t home(const struct table *t, uintptr_t key)
{
    return (size_t)(((uint64_t)(key >> 4) * 0x9E3779B97F4A7C15ull) >> (64 - t->bits));
}

int zxp_map_get(void *socket)
{
    struct table *t = atomic_load_explicit(&current, memory_order_acquire);
    if (!t) return ZXP_NONE;
    uintptr_t key = (uintptr_t)socket;
    size_t mask = ((size_t)1 << t->bits) - 1;
    size_t i = home(t, key);
    for (size_t n = 0; n <= mask; n++, i = (i + 1) & mask) {
        uintptr_t k = atomic_load_explicit(&t->entries[i].key, memory_order_acquire);
        if (k == key) return atomic_load_explicit(&t->entries[i].value, memory_order_relaxed);
        if (k == 0) return ZXP_NONE;
    }
    return ZXP_NONE;
}

static struct table *make(uint32_t bits)
{
    struct table *t = calloc(1, sizeof *t + (sizeof(struct entry) << bits));
    if (t) t->bits = bits;
    return t;
}

static void insert(struct table *t, uintptr_t key, int value)
{
    size_t mask = ((size_t)1 << t->bits) - 1;
    size_t i = home(t, key), slot = SIZE_MAX;
    for (size_t n = 0; n <= mask; n++, i = (i + 1) & mask) {
        uintptr_t k = atomic_load_explicit(&t->entries[i].key, memory_order_relaxed);
        if (k == key) {
            atomic_store_explicit(&t->entries[i].value, value, memory_order_relaxed);
            return;
        }
        if (k == TOMBSTONE && slot == SIZE_MAX) slot = i;
        if (k == 0) {
            if (slot == SIZE_MAX) {
                slot = i;
                t->used++;
            }
            break;
        }
    }
    if (slot == SIZE_MAX) return; /* full: cannot happen, the table is rebuilt at 3/4 */
    // Value first, key last (release): a lookup that sees the key sees its value.
    atomic_store_explicit(&t->entries[slot].value, value, memory_order_relaxed);
    atomic_store_explicit(&t->entries[slot].key, key, memory_order_release);
    t->live++;
}

void zxp_map_put(void *socket, int value)
{
    struct table *t = atomic_load_explicit(&current, memory_order_relaxed);
    if (!t || (size_t)(t->used + 1) * 4 > ((size_t)3 << t->bits)) {
        uint32_t bits = t ? t->bits : 12;
        while (t && ((size_t)(t->live + 1) * 4 > ((size_t)1 << bits))) bits++;
        struct table *fresh = make(bits);
        if (!fresh) return; /* the socket goes uncounted */
        if (t) {
            size_t size = (size_t)1 << t->bits;
            for (size_t i = 0; i < size; i++) {
                uintptr_t k = atomic_load_explicit(&t->entries[i].key, memory_order_relaxed);
                if (k > TOMBSTONE) insert(fresh, k, atomic_load_explicit(&t->entries[i].value, memory_order_relaxed));
            }
        }
        atomic_store_explicit(&current, fresh, memory_order_release);
        t = fresh;
    }
    insert(t, (uintptr_t)socket, value);
}

void zxp_map_del(void *socket)
{
    struct table *t = atomic_load_explicit(&current, memory_order_relaxed);
    if (!t) return;
    uintptr_t key = (uintptr_t)socket;
    size_t mask = ((size_t)1 << t->bits) - 1;
    size_t i = home(t, key);
    for (size_t n = 0; n <= mask; n++, i = (i + 1) & mask) {
        uintptr_t k = atomic_load_explicit(&t->entries[i].key, memory_order_relaxed);
        if (k == 0) return;
        if (k == key) {
            atomic_store_explicit(&t->entries[i].value, ZXP_NONE, memory_order_relaxed);
            atomic_store_explicit(&t->entries[i].key, TOMBSTONE, memory_order_release);
            t->live--;
            return;
        }
    }
}

/* A forked child starts with no sockets. */
void zxp_map_reset(void)
{
    atomic_store_explicit(&current, NULL, memory_order_release);
}
