/*
 * heap_timer.h — the reference the timer wheel is measured against: a binary min-heap of
 * node pointers, each node remembering its heap index so cancel is O(log n).
 * This is what most event loops (libevent, Go before 1.14, ...) use.
 */
#ifndef HEAP_TIMER_H
#define HEAP_TIMER_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct heap_node {
    uint64_t expires; /* absolute expiry, us */
    uint32_t idx;     /* position in heap_timer.v, or UINT32_MAX when not armed */
};

struct heap_timer {
    struct heap_node **v; /* v[0] is the earliest */
    size_t n, cap;
};

static inline void heap_swap(struct heap_timer *h, size_t a, size_t b)
{
    struct heap_node *t = h->v[a];
    h->v[a] = h->v[b];
    h->v[b] = t;
    h->v[a]->idx = (uint32_t)a;
    h->v[b]->idx = (uint32_t)b;
}

static inline void heap_up(struct heap_timer *h, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h->v[p]->expires <= h->v[i]->expires) break;
        heap_swap(h, i, p);
        i = p;
    }
}

static inline void heap_down(struct heap_timer *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->v[l]->expires < h->v[m]->expires) m = l;
        if (r < h->n && h->v[r]->expires < h->v[m]->expires) m = r;
        if (m == i) return;
        heap_swap(h, i, m);
        i = m;
    }
}

static inline int heap_init(struct heap_timer *h, size_t cap)
{
    h->v = malloc(cap * sizeof *h->v);
    h->n = 0;
    h->cap = cap;
    return h->v ? 0 : -1;
}

static inline void heap_arm(struct heap_timer *h, struct heap_node *x, uint64_t expires)
{
    x->expires = expires;
    x->idx = (uint32_t)h->n;
    h->v[h->n++] = x;
    heap_up(h, x->idx);
}

static inline void heap_cancel(struct heap_timer *h, struct heap_node *x)
{
    size_t i = x->idx;
    if (i == UINT32_MAX) return;
    x->idx = UINT32_MAX;
    if (i == --h->n) return;
    h->v[i] = h->v[h->n];
    h->v[i]->idx = (uint32_t)i;
    heap_up(h, i);
    heap_down(h, h->v[i]->idx);
}

/* Pop every node due at or before now; returns how many fired. */
static inline size_t heap_advance(struct heap_timer *h, uint64_t now)
{
    size_t fired = 0;
    while (h->n && h->v[0]->expires <= now) {
        struct heap_node *x = h->v[0];
        x->idx = UINT32_MAX;
        if (--h->n) {
            h->v[0] = h->v[h->n];
            h->v[0]->idx = 0;
            heap_down(h, 0);
        }
        fired++;
    }
    return fired;
}

#endif /* HEAP_TIMER_H */
