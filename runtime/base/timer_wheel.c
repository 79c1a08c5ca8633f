/*
 * timer_wheel.c — hierarchical hashed timing wheel (Varghese & Lauck 1987, scheme 7; the
 * cascading layout of the classic Linux timer wheel), 1 ms ticks.
 *
 * Placement: a node due at tick t (= expires / 1 ms) sits at level L = the 6-bit digit of
 * (t - tick) that is its highest non-zero one, in slot (t >> 6L) & 63. Level 0 is visited
 * tick by tick; a level-L slot is cascaded (re-placed one or more levels down) when the wheel
 * reaches the multiple of 64^L whose level-L digit is that slot, which is exactly
 * (t >> 6L) << 6L, so no node is ever visited late.
 *
 * Precision: expiry is exact to the microsecond for the tick being processed (the current
 * slot is filtered by expires <= now), so a node never fires early and never late relative
 * to the `now` it is advanced to. Empty stretches are skipped using per-level occupancy
 * bitmaps, so advancing over hours costs a few bit operations, not 3.6 million ticks.
 */
#include "timer_wheel.h"

#include <string.h>

#define LVL_MASK ((uint64_t)WHEEL_SLOTS - 1)
#define LVL_SHIFT(L) ((unsigned)(L)*WHEEL_LEVEL_BITS)
/* Ticks the whole wheel spans; further deadlines park at its far edge. */
#define WHEEL_SPAN ((uint64_t)1 << (WHEEL_LEVELS * WHEEL_LEVEL_BITS))

static inline uint64_t rotr64(uint64_t v, unsigned s)
{
    s &= 63;
    return s ? (v >> s) | (v << (64 - s)) : v;
}

static void slot_link(struct timer_wheel *w, unsigned lvl, unsigned s, struct wheel_node *n)
{
    struct wheel_node **head = &w->slot[lvl][s];
    n->next = *head;
    if (n->next) n->next->pprev = &n->next;
    *head = n;
    n->pprev = head;
    w->occupied[lvl] |= (uint64_t)1 << s;
}

/* O(1) unlink. When pprev is a slot head and the slot becomes empty, clear its bit; pprev is
 * compared as an integer because it may point into a node or a caller's local list head. */
static void node_unlink(struct timer_wheel *w, struct wheel_node *n)
{
    struct wheel_node **pp = n->pprev;
    *pp = n->next;
    if (n->next) n->next->pprev = pp;
    n->next = NULL;
    n->pprev = NULL;
    if (*pp == NULL) {
        uintptr_t a = (uintptr_t)pp, base = (uintptr_t)&w->slot[0][0];
        if (a >= base && a < base + sizeof w->slot) {
            size_t idx = (a - base) / sizeof(struct wheel_node *);
            w->occupied[idx / WHEEL_SLOTS] &= ~((uint64_t)1 << (idx % WHEEL_SLOTS));
        }
    }
}

/* Where a node due at `expires` belongs: returns its level and sets *t to its tick, whose
 * level-L digit is its slot. */
static unsigned placement(const struct timer_wheel *w, uint64_t expires, uint64_t *t)
{
    uint64_t at = expires / WHEEL_TICK_US;
    if (at < w->tick) /* already due: the current slot, fired by the next advance */
        at = w->tick;
    uint64_t delta = at - w->tick;
    if (delta >= WHEEL_SPAN) {
        /* Park at the edge; the cascade re-places it with the real expiry later. */
        at = w->tick + WHEEL_SPAN - 1;
        delta = WHEEL_SPAN - 1;
    }
    *t = at;
    return delta ? (unsigned)(63 - __builtin_clzll(delta)) / WHEEL_LEVEL_BITS : 0;
}

static void place(struct timer_wheel *w, struct wheel_node *n)
{
    uint64_t t;
    unsigned lvl = placement(w, n->expires, &t);
    slot_link(w, lvl, (unsigned)((t >> LVL_SHIFT(lvl)) & LVL_MASK), n);
}

void wheel_place_pending(struct timer_wheel *w)
{
    struct wheel_node *n = w->pending;
    if (!n) return;
    w->pending = NULL;
    place(w, n);
}

/* Detach a whole slot into *list (whose head is the caller's variable), clearing its bit. */
static void slot_detach(struct timer_wheel *w, unsigned lvl, unsigned s, struct wheel_node **list)
{
    *list = w->slot[lvl][s];
    w->slot[lvl][s] = NULL;
    w->occupied[lvl] &= ~((uint64_t)1 << s);
    if (*list) (*list)->pprev = list;
}

/* Entering tick t: cascade every level whose period divides t, top level first so each node
 * lands directly where it belongs. */
static void cascade_at(struct timer_wheel *w, uint64_t t)
{
    if (t & LVL_MASK) return; /* not a multiple of 64, so of no level's period */
    for (unsigned lvl = WHEEL_LEVELS - 1; lvl >= 1; lvl--) {
        if (t & (((uint64_t)1 << LVL_SHIFT(lvl)) - 1)) continue;
        struct wheel_node *list;
        slot_detach(w, lvl, (unsigned)((t >> LVL_SHIFT(lvl)) & LVL_MASK), &list);
        while (list) {
            struct wheel_node *n = list;
            node_unlink(w, n);
            place(w, n);
        }
    }
}

/* Earliest tick >= w->tick with a level-0 slot to visit (*t0), and earliest cascade tick of
 * any non-empty higher slot (*tc); UINT64_MAX when none. */
static void next_ticks(const struct timer_wheel *w, uint64_t *t0, uint64_t *tc)
{
    uint64_t cur = w->tick;
    *t0 = *tc = UINT64_MAX;
    if (w->occupied[0]) /* bit k of the rotated map is the slot of tick cur + k */
        *t0 = cur + (uint64_t)__builtin_ctzll(rotr64(w->occupied[0], (unsigned)(cur & LVL_MASK)));
    for (unsigned lvl = 1; lvl < WHEEL_LEVELS; lvl++) {
        uint64_t m = w->occupied[lvl];
        if (!m) continue;
        /* Slot (base+1+b) & 63 is cascaded at tick (base+1+b) << 6L; the current digit's
         * slot (b = 63) only next time round, 64^(L+1) ticks on. */
        uint64_t base = cur >> LVL_SHIFT(lvl);
        uint64_t b = (uint64_t)__builtin_ctzll(rotr64(m, (unsigned)((base + 1) & LVL_MASK)));
        uint64_t t = (base + 1 + b) << LVL_SHIFT(lvl);
        if (t < *tc) *tc = t;
    }
}

void wheel_init(struct timer_wheel *w, uint64_t now_us)
{
    memset(w, 0, sizeof *w);
    w->tick = now_us / WHEEL_TICK_US;
}

void wheel_arm(struct timer_wheel *w, struct wheel_node *n, uint64_t expires_us)
{
    n->expires = expires_us;
    if (n->pprev == &w->pending) return; /* the node armed last, armed again: still unplaced */
    if (wheel_armed(n))
        node_unlink(w, n);
    else
        w->count++;
    /* It waits off every list (pprev the pending pointer, next NULL: node_unlink() clears the
     * pointer); the node armed before it goes to its slot, so slots stack in arm order. */
    struct wheel_node *before = w->pending;
    n->next = NULL;
    n->pprev = &w->pending;
    w->pending = n;
    if (before) place(w, before);
}

void wheel_cancel(struct timer_wheel *w, struct wheel_node *n)
{
    if (!wheel_armed(n)) return;
    node_unlink(w, n);
    w->count--;
}

size_t wheel_advance(struct timer_wheel *w, uint64_t now_us,
                     void (*fire)(struct wheel_node *, void *), void *arg)
{
    uint64_t target = now_us / WHEEL_TICK_US;
    size_t fired = 0;

    for (;;) {
        /* The current slot moves to a local list first: nodes re-armed by fire() land in the
         * wheel, not in the list being walked, so a callback that re-arms itself to "now"
         * cannot loop forever. Popping the head each time keeps the walk safe against
         * fire() cancelling other nodes of the same list. */
        struct wheel_node *list;
        wheel_place_pending(w); /* the tick is about to move: it lands where it would have */
        slot_detach(w, 0, (unsigned)(w->tick & LVL_MASK), &list);
        if (w->tick < target) {
            /* Every node here is due before the end of this tick, which is <= now. The wheel
             * moves to the next tick before firing (as Linux does), so a node re-armed from
             * fire() to a time already past lands in the new current slot and fires on a
             * later visit instead of being stranded in a slot just left. */
            uint64_t nxt = w->tick + 1;
            if (!list && nxt < target) {
                /* Nothing to fire: skip the empty stretch in one step (one tick short of
                 * now, there is nothing to skip). */
                uint64_t t0, tc;
                next_ticks(w, &t0, &tc);
                nxt = t0 < tc ? t0 : tc;
                if (nxt > target) nxt = target;
            }
            w->tick = nxt;
            cascade_at(w, nxt);
            while (list) {
                struct wheel_node *n = list;
                node_unlink(w, n);
                w->count--;
                fired++;
                fire(n, arg);
                wheel_place_pending(w); /* what fire() armed, before the next node runs */
            }
            continue;
        }
        /* The tick `now` falls in: only nodes due at or before now fire. */
        while (list) {
            struct wheel_node *n = list;
            node_unlink(w, n);
            if (n->expires <= now_us) {
                w->count--;
                fired++;
                fire(n, arg);
                wheel_place_pending(w);
            } else {
                slot_link(w, 0, (unsigned)(w->tick & LVL_MASK), n);
            }
        }
        return fired;
    }
}

uint64_t wheel_next_expiry(const struct timer_wheel *w)
{
    if (w->count == 0) return UINT64_MAX;
    uint64_t t0, tc, t = 0;
    next_ticks(w, &t0, &tc);
    /* The pending node counts where it will land, so the answer is the one the wheel gives
     * once it is placed. A level-L slot is cascaded at the multiple of 64^L its digit starts. */
    const struct wheel_node *p = w->pending;
    unsigned plvl = p ? placement(w, p->expires, &t) : 0;
    if (p && plvl == 0 && t < t0) t0 = t;
    if (p && plvl && (t >> LVL_SHIFT(plvl)) << LVL_SHIFT(plvl) < tc)
        tc = (t >> LVL_SHIFT(plvl)) << LVL_SHIFT(plvl);
    if (t0 < tc) {
        /* A level-0 slot holds one tick's nodes (or, for the current one, overdue nodes):
         * its exact minimum is the global minimum. Slots are short; this is a short scan. */
        uint64_t best = p && plvl == 0 && t == t0 ? p->expires : UINT64_MAX;
        for (const struct wheel_node *n = w->slot[0][t0 & LVL_MASK]; n; n = n->next)
            if (n->expires < best) best = n->expires;
        return best;
    }
    if (tc == UINT64_MAX) /* only nodes being fired right now (called from fire) */
        return (w->tick + 1) * WHEEL_TICK_US;
    /* A cascade: nothing there is due before the tick it happens at. */
    return tc * WHEEL_TICK_US;
}

size_t wheel_count(const struct timer_wheel *w)
{
    return w->count;
}
