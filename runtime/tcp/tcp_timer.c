/*
 * tcp_timer.c — a TCB's due timers become T_* events for the machine.
 */
#include "seq.h"
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

/* The 2 MSL deadline: the wheel has unlinked the node; the record is still in the table. */
static void tw_fire(struct wheel_node *n, void *arg)
{
    struct tcpfsm_stack *st = arg;
    struct tw_rec *r = tw_of_timer(n);
    if (tcb_hash_reserve(st)) { /* no room to expand it: 2 MSL is over all the same */
        tw_drop(st, r);
        return;
    }
    struct tcb t;
    tw_expand(st, r, &t);
    t.tmr_at[0] = 0;
    tcb_event(st, &t, TCP_FSM_EV_T_2MSL, NULL);
    tw_fold(st, r, &t);
}

static void tw_advance_all(struct tcpfsm_stack *st, uint64_t now)
{
    if (st->tw.n) wheel_advance(&st->tw_wheel, now, tw_fire, st);
}

/* The SYN-ACK deadline: the wheel has unlinked the node; the record is still in the table. */
static void syn_fire(struct wheel_node *n, void *arg)
{
    struct tcpfsm_stack *st = arg;
    struct syn_rec *r = syn_of_timer(n);
    struct tcb *t = syn_rehydrate(st, r);
    if (t) tcb_timers_run(st, t); /* T_RTX as for any TCB; compacts again if embryonic */
}

static void syn_advance_all(struct tcpfsm_stack *st, uint64_t now)
{
    if (st->syn.n) wheel_advance(&st->syn_wheel, now, syn_fire, st);
}

/* The TCBs' wheel, then the TIME_WAIT records' and the SYN-queue records' own wheels. */
void tcp_timers_advance(struct tcpfsm_stack *st, uint64_t now)
{
    wheel_advance(&st->wheel, now, timer_fire, st);
    tw_advance_all(st, now);
    syn_advance_all(st, now);
}
