/*
 * tcp_timer.c — a TCB's due timers become T_* events for the machine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seq.h"
#include "siphash.h"
#include "tcp_layer.h"
#include "tcp.h"

static const int timer_event[TMR_KINDS] = {
    [TMR_RTX] = TCP_FSM_EV_T_RTX,
    [TMR_PERSIST] = TCP_FSM_EV_T_PERSIST,
    [TMR_2MSL] = TCP_FSM_EV_T_2MSL,
    [TMR_DELACK] = TCP_FSM_EV_T_DELACK,
    [TMR_KEEPALIVE] = TCP_FSM_EV_T_KEEPALIVE,
};

static void timer_fire(struct wheel_node *n, void *arg)
{
    tcb_timers_run(arg, (struct tcb *)((char *)n - offsetof(struct tcb, timer)));
}

/* Run t's due timer slots, then free it, compact it, or re-arm its wheel node. */
void tcb_timers_run(struct tcpfsm_stack *st, struct tcb *t)
{
    uint32_t now = stack_ms(st);
    for (int s = 0; s < 3 && !(t->flags & TF_DEAD); s++) {
        if (!t->tmr_at[s] || seq_diff(t->tmr_at[s], now) > 0) continue;
        t->tmr_at[s] = 0;
        enum tcb_timer k = s == 0   ? (enum tcb_timer)t->tmr_kind0
                           : s == 1 ? TMR_DELACK
                                    : TMR_KEEPALIVE;
        tcb_event(st, t, timer_event[k], NULL);
        if (!(t->flags & TF_DEAD)) tcp_output(st, t);
    }
    if (t->flags & TF_DEAD)
        tcb_reap(st, t);
    else if (!tw_settle(st, t) && !syn_settle(st, t))
        tcb_timer_rearm(st, t);
}

/* The TCBs' wheel, then the TIME_WAIT records' and the SYN-queue records' own wheels. */
void tcp_timers_advance(struct tcpfsm_stack *st, uint64_t now)
{
    wheel_advance(&st->wheel, now, timer_fire, st);
    tw_advance_all(st, now);
    syn_advance_all(st, now);
}
