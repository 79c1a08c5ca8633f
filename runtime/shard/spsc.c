/*
 * spsc.c — the shards' packet ring (spsc.h).
 *
 * Memory order: the producer writes a slot, then publishes it with a release store of tail; the
 * consumer's acquire load of tail makes the slot's bytes (and, the first time, the `mem`
 * pointer) visible. The consumer frees a slot with a release store of head; the producer's
 * acquire load of head orders its next write of that slot after the consumer's last read.
 * Each side caches the other's index and reloads it only when the cached value says full (or
 * empty), so a busy ring costs one shared cache line transfer per batch, not per packet.
 */
#include "spsc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void spsc_init(struct spsc_ring *r, uint32_t slots, uint32_t slot_bytes)
{
    memset(r, 0, sizeof *r);
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->drops, 0);
    r->mask = slots - 1;
    r->slot_bytes = slot_bytes;
    r->stride = (uint32_t)((sizeof(uint32_t) + slot_bytes + 7u) & ~(size_t)7u);
}

void spsc_destroy(struct spsc_ring *r)
{
    free(r->mem);
    r->mem = NULL;
}

int spsc_push(struct spsc_ring *r, const void *pkt, size_t len)
{
    if (len > r->slot_bytes) return -EMSGSIZE;
    uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (t - r->head_seen > r->mask) {
        r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
        if (t - r->head_seen > r->mask) {
            atomic_fetch_add_explicit(&r->drops, 1, memory_order_relaxed);
            return -ENOBUFS;
        }
    }
    if (!r->mem) {
        r->mem = malloc((size_t)(r->mask + 1) * r->stride);
        if (!r->mem) {
            atomic_fetch_add_explicit(&r->drops, 1, memory_order_relaxed);
            return -ENOMEM;
        }
    }
    uint8_t *slot = r->mem + (size_t)(t & r->mask) * r->stride;
    uint32_t n = (uint32_t)len;
    memcpy(slot, &n, sizeof n);
    memcpy(slot + sizeof n, pkt, len);
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return 0;
}

const uint8_t *spsc_peek(struct spsc_ring *r, size_t *len)
{
    uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h == r->tail_seen) {
        r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (h == r->tail_seen) return NULL;
    }
    const uint8_t *slot = r->mem + (size_t)(h & r->mask) * r->stride;
    uint32_t n;
    memcpy(&n, slot, sizeof n);
    *len = n;
    return slot + sizeof n;
}

void spsc_pop(struct spsc_ring *r)
{
    uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
}

int spsc_empty(const struct spsc_ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_acquire) ==
           atomic_load_explicit(&r->tail, memory_order_acquire);
}

uint64_t spsc_drops(const struct spsc_ring *r)
{
    return atomic_load_explicit(&r->drops, memory_order_relaxed);
}
