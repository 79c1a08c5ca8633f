/* ring.c — byte rings for the send and receive buffers (no allocation, wrap by copy; the
 * capacity is a power of two, see mem.c). */
#include <string.h>
#include "tcb.h"

/* Most copies do not wrap: the second memcpy is made only when there is a second part. */
uint32_t ring_write(struct ring *r, const void *src, uint32_t n)
{
    if (n > ring_space(r)) n = ring_space(r);
    if (!n) return 0;
    uint32_t tail = (r->head + r->len) & (r->cap - 1);
    uint32_t first = r->cap - tail < n ? r->cap - tail : n;
    memcpy(r->data + tail, src, first);
    if (first < n) memcpy(r->data, (const uint8_t *)src + first, n - first);
    r->len += n;
    return n;
}

void ring_peek(const struct ring *r, uint32_t off, void *dst, uint32_t n)
{
    if (!n) return;
    uint32_t pos = (r->head + off) & (r->cap - 1);
    uint32_t first = r->cap - pos < n ? r->cap - pos : n;
    memcpy(dst, r->data + pos, first);
    if (first < n) memcpy((uint8_t *)dst + first, r->data, n - first);
}

void ring_drop(struct ring *r, uint32_t n)
{
    if (n > r->len) n = r->len;
    r->len -= n;
    r->head = r->len ? (r->head + n) & (r->cap - 1) : 0;
}

uint32_t ring_read(struct ring *r, void *dst, uint32_t n)
{
    if (n > r->len) n = r->len;
    ring_peek(r, 0, dst, n);
    ring_drop(r, n);
    return n;
}
