/*
 * tcb_timer.c — a TCB's timers: three slots (RTX/PERSIST/2MSL, DELACK, KEEPALIVE), one
 * wheel node armed at the earliest.
 */
#include "seq.h"
#include "tcb.h"

/* Which slot each kind uses: RTX, PERSIST and 2MSL never run together and share slot 0. */
static const uint8_t slot_of_kind[TMR_KINDS] = {
    [TMR_RTX] = 0, [TMR_PERSIST] = 0, [TMR_2MSL] = 0, [TMR_DELACK] = 1, [TMR_KEEPALIVE] = 2,
};
/* tcb_timer_armed (tcb.h) finds slots 1 and 2 by kind - TMR_DELACK + 1 */
_Static_assert(TMR_KEEPALIVE == TMR_DELACK + 1 && TMR_KINDS == TMR_KEEPALIVE + 1,
               "DELACK and KEEPALIVE are the last kinds, in slot order");

static int slot_of(enum tcb_timer k)
{
    return slot_of_kind[k];
}

/* Milliseconds from `now` to a slot's deadline; an off slot sorts after every real one. */
static inline int64_t slot_due(uint32_t at, uint32_t now)
{
    return at ? (int64_t)seq_diff(at, now) : INT64_MAX;
}

/* The node goes to the earliest slot's deadline, as the µs offset from the stack's clock
 * (so it carries the clock's sub-millisecond phase at this call); `now` is stack_ms(st). */
static void rearm_at(struct tcpfsm_stack *st, struct tcb *t, uint32_t now)
{
    int64_t d0 = slot_due(t->tmr_at[0], now), d1 = slot_due(t->tmr_at[1], now);
    int64_t d2 = slot_due(t->tmr_at[2], now);
    int64_t best = d0 < d1 ? d0 : d1;
    if (d2 < best) best = d2;
    if (best == INT64_MAX) {
        wheel_cancel(&st->wheel, &t->timer);
        return;
    }
    if (best < 0) best = 0;
    uint64_t at = st->now + (uint64_t)best * 1000u;
    /* Already there (a slot that is not the earliest was set or cleared): no wheel work */
    if (wheel_armed(&t->timer) && t->timer.expires == at) return;
    wheel_arm(&st->wheel, &t->timer, at);
}

void tcb_timer_rearm(struct tcpfsm_stack *st, struct tcb *t)
{
    rearm_at(st, t, stack_ms(st));
}

void tcb_timer_set(struct tcpfsm_stack *st, struct tcb *t, enum tcb_timer k, uint64_t delay_us)
{
    int s = slot_of(k);
    uint32_t now = stack_ms(st);
    if (delay_us > (uint64_t)INT32_MAX * 1000u) delay_us = (uint64_t)INT32_MAX * 1000u;
    /* RFC 9293 3.10.8 USER TIMEOUT (as Linux's tcp_clamp_rto_to_user_timeout): the
     * retransmission timer never runs past the moment the user timeout expires, so the
     * give_up guard sees it in time rather than a whole backed-off RTO later. Only while
     * data is outstanding (una_since_ms set) is there a moment to clamp to. */
    uint64_t user_timeout = k == TMR_RTX && t->una_since_ms ? tcb_user_timeout_us(st, t) : 0;
    if (user_timeout) {
        int32_t d = seq_diff(now, t->una_since_ms); /* may be -1: see `| 1u` */
        uint64_t el = d > 0 ? (uint64_t)d * 1000u : 0;
        uint64_t left = el < user_timeout ? user_timeout - el : 0;
        if (delay_us > left) delay_us = left;
    }
    uint32_t at = now + (uint32_t)((delay_us + 999u) / 1000u);
    t->tmr_at[s] = at ? at : 1; /* 0 means "off" */
    if (s == 0) t->tmr_kind0 = (uint8_t)k;
    rearm_at(st, t, now);
}

void tcb_timer_clear(struct tcpfsm_stack *st, struct tcb *t, enum tcb_timer k)
{
    int s = slot_of(k);
    if (s == 0 && t->tmr_kind0 != k) return;
    t->tmr_at[s] = 0;
    tcb_timer_rearm(st, t);
}

/* Restore a slot's deadline as it was (ms since the epoch): a compact record's timer. */
void tcb_timer_restore(struct tcpfsm_stack *st, struct tcb *t, enum tcb_timer k, uint32_t at_ms)
{
    int s = slot_of(k);
    t->tmr_at[s] = at_ms ? at_ms : 1;
    if (s == 0) t->tmr_kind0 = (uint8_t)k;
    tcb_timer_rearm(st, t);
}
