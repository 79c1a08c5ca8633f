/*
 * mem.c — the connections' buffer memory, charged to the stack's budget as it is used.
 *
 * A connection's send and receive rings start with no memory; a ring grows (powers of two,
 * from 1 KiB up to its sndbuf/rcvbuf limit) when bytes must go in, and gives its memory back
 * as soon as it is empty again: an idle connection holds its TCB and its data-path block, no
 * ring. Out-of-order segments are charged too. The budget is cfg.max_buffer_bytes, used the
 * way Linux uses tcp_mem:
 *   - below 3/4 of it every connection may use its whole sndbuf/rcvbuf;
 *   - above 3/4 the stack is under memory pressure (until use falls below 1/2): what a
 *     connection is offered (receive window, send room) is cut to its fair share of the budget,
 *     but never below four segments (Linux's tcp_adjust_rcv_ssthresh), so senders slow down
 *     and every connection still moves;
 *   - at the budget itself no memory is given: send() takes no more (-ENOBUFS if nothing of
 *     the connection is queued: it learns of the memory through TCPFSM_POLLOUT), received
 *     text is dropped (the peer sends it again), a new connection is reset; each is counted;
 *   - but receiving always moves: an in-order segment that finds the receive ring empty is
 *     taken beyond the budget ("forced", up to a ceiling of twice the budget; Linux's
 *     tcp_data_queue does the same with sk_forced_mem_schedule). Memory full of send rings
 *     waiting for ACKs cannot then stall both ends of a connection: ACKs need the receiver
 *     to take data, and the data it takes is read and given back.
 * Nothing but text needs memory: ACKs, window updates, FINs and RSTs are processed at any
 * level of use, so no connection is left unable to end.
 */
#include <stdlib.h>
#include <string.h>
#include "tcb.h"

#define MEM_CACHE_BYTES (4u << 20) /* freed ring blocks kept for reuse, per stack, at least */

static unsigned shift_for(uint64_t n);

/* What the free lists may hold: 4 MiB, and at least two rings of the largest size in use, so
 * that a bulk connection whose ring empties at every read gets it back without a trip to the
 * kernel (a multi-megabyte malloc is an mmap). Not charged: it is not in use. */
static uint64_t cache_limit(const struct tcpfsm_stack *st)
{
    uint64_t big = st->cfg.sndbuf > st->cfg.rcvbuf ? st->cfg.sndbuf : st->cfg.rcvbuf;
    uint64_t two = (uint64_t)2 << shift_for(big);
    return two > MEM_CACHE_BYTES ? two : MEM_CACHE_BYTES;
}

static uint64_t pressure_on(const struct tcpfsm_stack *st)
{
    return st->cfg.max_buffer_bytes / 4 * 3;
}

static uint64_t pressure_off(const struct tcpfsm_stack *st)
{
    return st->cfg.max_buffer_bytes / 2;
}

/* What forced allocations may reach: twice the budget, and never more. */
static uint64_t mem_ceiling(const struct tcpfsm_stack *st)
{
    return 2 * st->cfg.max_buffer_bytes;
}

bool mem_charge(struct tcpfsm_stack *st, uint64_t n, bool force)
{
    uint64_t limit = force ? mem_ceiling(st) : st->cfg.max_buffer_bytes;
    if (st->buffer_bytes + n > limit) return false;
    st->buffer_bytes += n;
    if (!st->mem_pressure && st->buffer_bytes > pressure_on(st)) {
        st->mem_pressure = true;
        st->stats.MemoryPressures++;
    }
    return true;
}

void mem_uncharge(struct tcpfsm_stack *st, uint64_t n)
{
    st->buffer_bytes -= n;
    if (st->mem_pressure && st->buffer_bytes <= pressure_off(st)) st->mem_pressure = false;
}

bool mem_exhausted(const struct tcpfsm_stack *st)
{
    return st->buffer_bytes + 2u * MEM_RING_MIN > st->cfg.max_buffer_bytes;
}

/* ---- ring blocks: one free list per size class, linked through the block's first bytes ---- */

/* log2 of the smallest block that holds n bytes (MEM_RING_MIN..2^MEM_RING_MAX_SHIFT). Called
 * three times per ring growth and once per block freed, with n up to the sndbuf/rcvbuf limit:
 * the bit length of n - 1, not a walk up the sizes one shift at a time. */
static unsigned shift_for(uint64_t n)
{
    if (n <= MEM_RING_MIN) return MEM_RING_MIN_SHIFT;
    unsigned s = 64u - (unsigned)__builtin_clzll(n - 1);
    return s < MEM_RING_MAX_SHIFT ? s : MEM_RING_MAX_SHIFT;
}

static uint8_t *block_get(struct tcpfsm_stack *st, unsigned s)
{
    unsigned c = s - MEM_RING_MIN_SHIFT;
    void *p = st->ring_free[c].head;
    if (!p) return malloc((size_t)1 << s);
    memcpy(&st->ring_free[c].head, p, sizeof(void *));
    st->ring_free[c].n--;
    st->ring_cache_bytes -= (uint64_t)1 << s;
    return p;
}

static void block_put(struct tcpfsm_stack *st, uint8_t *p, unsigned s)
{
    unsigned c = s - MEM_RING_MIN_SHIFT;
    uint64_t cached = st->ring_cache_bytes + ((uint64_t)1 << s);
    /* cache_limit is never under MEM_CACHE_BYTES: below that, no need to work it out */
    if (!TCPFSM_CACHES_ON || (cached > MEM_CACHE_BYTES && cached > cache_limit(st))) {
        free(p);
        return;
    }
    memcpy(p, &st->ring_free[c].head, sizeof(void *));
    st->ring_free[c].head = p;
    st->ring_free[c].n++;
    st->ring_cache_bytes += (uint64_t)1 << s;
}

static unsigned log2_cap(uint32_t cap)
{
    return (unsigned)__builtin_ctz(cap);
}

/* ring_release (tcb.h) of a ring that holds a block */
void ring_release_block(struct tcpfsm_stack *st, struct ring *r)
{
    block_put(st, r->data, log2_cap(r->cap));
    mem_uncharge(st, r->cap);
    r->data = NULL;
    r->cap = r->head = r->len = 0;
}

/* Move r into a block of 2^s bytes (s > the current size), bytes in order from offset 0. */
static bool ring_grow(struct tcpfsm_stack *st, struct ring *r, unsigned s, bool force)
{
    uint32_t cap = (uint32_t)1 << s;
    if (!mem_charge(st, cap - r->cap, force)) return false;
    uint8_t *p = block_get(st, s);
    if (!p) {
        mem_uncharge(st, cap - r->cap);
        return false;
    }
    if (r->data) {
        ring_peek(r, 0, p, r->len);
        block_put(st, r->data, log2_cap(r->cap));
    }
    r->data = p;
    r->cap = cap;
    r->head = 0;
    return true;
}

uint32_t ring_make_room(struct tcpfsm_stack *st, struct ring *r, uint32_t want, uint32_t limit,
                        uint8_t *shift, bool force)
{
    if (r->len >= limit) return 0;
    if (want > limit - r->len) want = limit - r->len;
    if (r->len + want <= r->cap) return want;
    unsigned s = shift_for((uint64_t)r->len + want);
    /* the size this ring needed before (a connection that moved bulk data once will again),
     * unless memory is short or the room is forced; never above the limit's size */
    if (!st->mem_pressure && !force && *shift > s) {
        unsigned top = shift_for(limit);
        s = *shift < top ? *shift : top;
    }
    /* at the limit, settle for a smaller block that still adds room */
    while (!ring_grow(st, r, s, force)) {
        if (s == MEM_RING_MIN_SHIFT || ((uint32_t)1 << (s - 1)) <= r->cap)
            return r->cap > r->len ? (r->cap - r->len < want ? r->cap - r->len : want) : 0;
        s--;
    }
    if (log2_cap(r->cap) > *shift) *shift = (uint8_t)log2_cap(r->cap);
    return r->cap - r->len < want ? r->cap - r->len : want;
}

/* mem_allowance (tcb.h) under memory pressure: a fair share of the budget per direction,
 * never under four segments, and what the connection holds already is its own. */
uint32_t mem_allowance_pressed(const struct tcpfsm_stack *st, const struct tcb *t,
                               const struct ring *r, uint32_t limit)
{
    uint32_t len = r ? r->len : 0, cap = r ? r->cap : 0;
    uint64_t allow = limit;
    uint64_t share = st->cfg.max_buffer_bytes / 2 / (st->nconns ? st->nconns : 1);
    uint64_t floor = 4u * (uint64_t)(t->u.cc.mss ? t->u.cc.mss : 536u);
    uint64_t a = share > floor ? share : floor;
    if (a < cap) a = cap;
    if (a < allow) allow = a;
    return allow > len ? (uint32_t)(allow - len) : 0;
}

bool mem_can_send(const struct tcpfsm_stack *st, const struct tcb *t)
{
    const struct ring *r = &t->buf->snd;
    if (!mem_allowance(st, t, r, st->cfg.sndbuf)) return false;
    if (ring_space(r)) return true;
    uint64_t grow = r->cap ? r->cap : MEM_RING_MIN; /* the next size up */
    return st->buffer_bytes + grow <= st->cfg.max_buffer_bytes;
}

void mem_destroy(struct tcpfsm_stack *st)
{
    for (unsigned c = 0; c < MEM_CLASSES; c++)
        while (st->ring_free[c].head) {
            void *p = st->ring_free[c].head;
            memcpy(&st->ring_free[c].head, p, sizeof(void *));
            free(p);
        }
    st->ring_cache_bytes = 0;
    /* the compact records' free lists (tcb.h's rec_put) go with the buffer blocks' */
    struct rec_cache *caches[] = {&st->tw_cache, &st->syn_cache};
    for (unsigned i = 0; i < sizeof caches / sizeof caches[0]; i++)
        while (caches[i]->n) {
            void *p = rec_get(caches[i], 0);
            free(p);
        }
}

/* ---- the out-of-order queue (tcp_data_input fills it) ---- */

/* Memory an out-of-order segment of n bytes is charged for. */
uint64_t ofo_cost(uint32_t n)
{
    return sizeof(struct ofo_seg) + (uint64_t)n;
}

void ofo_free(struct tcpfsm_stack *st, struct tcb_bufs *b)
{
    while (b->ofo) {
        struct ofo_seg *s = b->ofo;
        b->ofo = s->next;
        mem_uncharge(st, ofo_cost(s->len));
        free(s);
    }
    b->ofo_bytes = 0;
}
