/*
 * timer_wheel.h — hierarchical hashed timing wheel with intrusive nodes (Varghese & Lauck
 * 1987, scheme 7), 1 ms ticks, O(1) arm/cancel, no allocation.
 *
 * WHEEL_LEVELS levels of 64 slots: level L holds timers due 64^L..64^(L+1) ticks ahead and
 * cascades one slot down every 64^L ticks. 7 levels reach 64^7 ms (~139 years); timers
 * further out park in the top level and are re-placed as they come closer.
 *
 * The node armed last waits unplaced until another node is armed or the wheel advances: a
 * connection re-arming its node several times in one step (a timer set, another cleared)
 * then costs one placement. The tick only moves inside an advance, and the next arm places
 * the waiting node first, so every node lands where an immediate placement would have put it,
 * in the same order within its slot; wheel_next_expiry counts the waiting node where it will
 * land.
 */
#ifndef TCPFSM_TIMER_WHEEL_H
#define TCPFSM_TIMER_WHEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WHEEL_TICK_US 1000u /* one tick = 1 ms */
#define WHEEL_LEVEL_BITS 6
#define WHEEL_SLOTS (1u << WHEEL_LEVEL_BITS)
#define WHEEL_LEVELS 7

/* embed in your struct; zero-init = not armed */
struct wheel_node {
    struct wheel_node *next, **pprev;
    uint64_t expires;
};

struct timer_wheel {
    uint64_t tick;                   /* current tick; timers before it have fired */
    size_t count;                    /* armed nodes, the pending one included */
    struct wheel_node *pending;      /* the node armed last, not yet in a slot, or NULL */
    uint64_t occupied[WHEEL_LEVELS]; /* bit s set iff slot[L][s] is non-empty */
    struct wheel_node *slot[WHEEL_LEVELS][WHEEL_SLOTS];
};

void wheel_init(struct timer_wheel *w, uint64_t now_us);
/* O(1); re-arm moves it */
void wheel_arm(struct timer_wheel *w, struct wheel_node *n, uint64_t expires_us);
/* O(1); no-op if not armed */
void wheel_cancel(struct timer_wheel *w, struct wheel_node *n);
static inline bool wheel_armed(const struct wheel_node *n)
{
    return n->pprev != NULL;
}
/* Place the pending node in its slot now (the next arm or advance does it anyway). */
void wheel_place_pending(struct timer_wheel *w);
/* Advance to now, calling fire(node, arg) for each expired node (already unlinked, so fire
 * may re-arm or free it). Returns the number fired. Expiry precision: 1 ms ticks (a node
 * never fires early; fires at most 1 tick late). Nodes fire in tick order; within one tick
 * the order is unspecified. A node re-armed from fire() to a time <= now fires again in the
 * same call only if the wheel still has later ticks to visit; otherwise on the next call. */
size_t wheel_advance(struct timer_wheel *w, uint64_t now_us,
                     void (*fire)(struct wheel_node *, void *), void *arg);
/* earliest expiry (exact or a safe lower bound), UINT64_MAX if none. Advancing to the value
 * returned always makes progress (fires a node or moves a far timer closer). */
uint64_t wheel_next_expiry(const struct timer_wheel *w);
size_t wheel_count(const struct timer_wheel *w);

#endif /* TCPFSM_TIMER_WHEEL_H */
