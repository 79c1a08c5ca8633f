/*
 * tcp_fsm_glue.c — the guards and actions named in spec/tcp.fsm, the trace hook, and the
 * generated dispatch itself (#included below so the trace hook sees the stack).
 *
 * Guards only look; actions do one named thing each. No function here assigns a state: the
 * generated tcp_fsm_dispatch() does that, after the guards and before the actions.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "seq.h"
#include "tcp_layer.h"
#include "tcp.h"

#define CTX_ST (ctx->st)
#define CTX_T (ctx->tcb)

static void trace_hook(struct tcp_ctx *ctx, unsigned from, unsigned event, unsigned to,
                       unsigned tid);
#define TCP_FSM_TRACE(ctx, from, event, to, tid) trace_hook((ctx), (from), (event), (to), (tid))
#include "tcp.c"

/* What fired a transition: a segment (RCV_*, and a listener's SPAWN_* child taking the SYN or
 * cookie ACK), an expired timer (T_*), else a user call (APP_*). */
static unsigned trace_cause(unsigned event, const struct tcp_seg *seg)
{
    if (seg) return TCPFSM_CAUSE_SEGMENT;
    switch (event) {
    case TCP_FSM_EV_T_RTX:
    case TCP_FSM_EV_T_DELACK:
    case TCP_FSM_EV_T_PERSIST:
    case TCP_FSM_EV_T_KEEPALIVE:
    case TCP_FSM_EV_T_2MSL:
        return TCPFSM_CAUSE_TIMER;
    default:
        return TCPFSM_CAUSE_APP;
    }
}

/* Every transition fired: its coverage count, RFC 4022's counters that are defined by
 * transitions, and the user's trace callback. */
static void trace_hook(struct tcp_ctx *ctx, unsigned from, unsigned event, unsigned to,
                       unsigned tid)
{
    struct tcpfsm_stack *st = ctx->st;
    st->coverage[tid]++;
    if (to == TCP_FSM_CLOSED && from != TCP_FSM_CLOSED) {
        /* tcpAttemptFails: SYN-SENT or SYN-RCVD to CLOSED (and a passive SYN-RCVD "back to
         * LISTEN", which is a listener's new connection ending); tcpEstabResets: ESTABLISHED
         * or CLOSE-WAIT to CLOSED */
        if (tcp_fsm_in_set(TCP_FSM_SET_OPENING, from))
            st->stats.AttemptFails++;
        else if (tcp_fsm_in_set(TCP_FSM_SET_SENDING, from))
            st->stats.EstabResets++;
    }
    if (!st->cfg.trace) return;
    const struct tcp_fsm_transition *tr = &tcp_fsm_transitions[tid];
    struct tcpfsm_trace_event ev = {
        .laddr = ctx->tcb->laddr,
        .raddr = ctx->tcb->raddr,
        .lport = ctx->tcb->lport,
        .rport = ctx->tcb->rport,
        .from = tcp_fsm_state_names[from],
        .event = tcp_fsm_event_names[event],
        .to = tcp_fsm_state_names[to],
        .actions = tr->actions ? tr->actions : "",
        .rfc = tr->rfc,
        .transition = tid,
        .now = st->now,
        .cause = trace_cause(event, ctx->seg),
    };
    if (ctx->seg) {
        ev.seg_seq = ctx->seg->seq;
        ev.seg_ack = ctx->seg->ack;
        ev.seg_len = ctx->seg->len;
        ev.seg_wnd = ctx->seg->wnd;
        ev.seg_flags = ctx->seg->flags;
    }
    st->cfg.trace(st->cfg.trace_arg, &ev);
}

/* A watched descriptor is queued for the next tcpfsm_epoll_wait() when the event changed what
 * its readiness is made of (ready.c). Kept out of line: inlined, its snapshot and the registers
 * it needs across the dispatch made every event pay for a prologue only this path uses
 * (callgrind: 27 instructions around each of the ~16 dispatches of a connection, 12 without). */
__attribute__((noinline)) static int event_watched(struct tcpfsm_stack *st, struct tcb *t,
                                                   int event, const struct tcp_seg *seg)
{
    struct tcp_ctx ctx = {st, t, seg};
    struct ready_snap before;
    ready_snap_take(t, &before);
    int r = (int)tcp_fsm_dispatch(&t->state, (enum tcp_fsm_event)event, &ctx, seg);
    ready_changed(st, t, &before);
    return r;
}

int tcb_event(struct tcpfsm_stack *st, struct tcb *t, int event, const struct tcp_seg *seg)
{
    if (ready_watched(st, t)) return event_watched(st, t, event, seg);
    struct tcp_ctx ctx = {st, t, seg};
    return (int)tcp_fsm_dispatch(&t->state, (enum tcp_fsm_event)event, &ctx, seg);
}

const char *tcb_state_name(const struct tcb *t)
{
    return t->state < TCP_FSM_NUM_STATES ? tcp_fsm_state_names[t->state] : "?";
}

/* ---------------------------------------------------------------- guards ---- */

bool tcp_fsm_guard_passive_open(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    return CTX_T->flags & TF_PASSIVE;
}

/* RFC 5961 3.2 / RFC 9293 3.10.7.4 second: only a RST whose sequence number exactly matches
 * RCV.NXT resets the connection; any other in-window RST earns a challenge ACK. */
bool tcp_fsm_guard_rst_exact(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    return seg && seg->seq == CTX_T->rcv_nxt;
}

/* RFC 9293 3.10.7.4 fifth (SYN-RECEIVED): SND.UNA < SEG.ACK =< SND.NXT. */
bool tcp_fsm_guard_ack_acceptable(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    return seg && seq_lt(CTX_T->snd_una, seg->ack) && seq_leq(seg->ack, CTX_T->snd_nxt);
}

/* RFC 9293 3.10.7.3 second: in SYN-SENT a RST counts only if it acknowledges our SYN. */
bool tcp_fsm_guard_rst_acks_syn(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    return seg && (seg->flags & TCP_ACK) && seq_lt(CTX_T->snd_una, seg->ack) &&
           seq_leq(seg->ack, CTX_T->snd_nxt);
}

/* Our FIN is acknowledged by this segment: it sits right after the queued data. */
bool tcp_fsm_guard_fin_acked(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    const struct tcb *t = CTX_T;
    if (!seg || !(t->flags & TF_FIN_SENT)) return false;
    uint32_t fin_seq = t->snd_una + (t->buf ? t->buf->snd.len : 0);
    return seq_gt(seg->ack, fin_seq);
}

/* RFC 9293 3.8.3: R2 reached for a SYN or SYN-ACK (syn_retries). */
bool tcp_fsm_guard_syn_give_up(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    return CTX_T->retries >= CTX_ST->cfg.syn_retries;
}

/* RFC 9293 3.8.3: R2 reached for data or a FIN (max_retries), or the USER TIMEOUT of 3.10.8
 * expired. */
bool tcp_fsm_guard_give_up(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    const struct tcb *t = CTX_T;
    const struct tcpfsm_config *c = &CTX_ST->cfg;
    /* R2 for a SYN while ours is unacknowledged (a CLOSE in SYN-RECEIVED sent the FIN) */
    uint32_t r2 = (t->xflags & TX_SYN_UNACKED) ? c->syn_retries : c->max_retries;
    if (t->retries >= r2) return true;
    uint64_t user_timeout = tcb_user_timeout_us(CTX_ST, t); /* TCPFSM_OPT_USER_TIMEOUT */
    if (user_timeout && t->una_since_ms &&
        (uint64_t)(uint32_t)(stack_ms(CTX_ST) - t->una_since_ms) * 1000u >= user_timeout)
        return true;
    return false;
}

/* True if an ACK may answer this unacceptable segment now: always for one with text (not a
 * SYN), else once per OOW_ACK_INTERVAL_MS per connection, so that no pair of endpoints can
 * ACK each other's ACKs forever (Linux's tcp_oow_rate_limited). The time is kept in 16 bits
 * of milliseconds: after a pause of a multiple of 65.5 s one ACK may wait up to 500 ms more. */
static bool oow_ack_allowed(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *seg)
{
    if (seg && seg->len && !(seg->flags & TCP_SYN)) return true;
    uint32_t now = stack_ms(st);
    if (oow_ack_recent(t->oow_ack_ms, now)) {
        st->stats.AckSkipped++;
        return false;
    }
    t->oow_ack_ms = oow_ack_stamp(now);
    return true;
}

/* RFC 9293 3.10.7.4 first and fifth: an unacceptable segment, or an ACK of something not yet
 * sent, is answered with an ACK, rate limited as oow_ack_allowed says. */
bool tcp_fsm_guard_oow_ack_ok(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    return oow_ack_allowed(CTX_ST, CTX_T, seg);
}

/* RFC 5961 7: challenge ACKs are rate limited per stack (cfg.challenge_ack_limit per second)
 * so an attacker cannot turn them into an amplifier or a side channel, and per connection as
 * every answer to an unacceptable segment (oow_ack_allowed; Linux's tcp_send_challenge_ack
 * checks both). */
bool tcp_fsm_guard_challenge_ok(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    struct tcpfsm_stack *st = CTX_ST;
    if (!oow_ack_allowed(st, CTX_T, seg)) return false;
    uint32_t sec = (uint32_t)(st->now / 1000000u);
    if (sec != st->chack_sec) {
        st->chack_sec = sec;
        st->chack_count = 0;
    }
    if (st->chack_count >= st->cfg.challenge_ack_limit) return false;
    st->chack_count++;
    return true;
}

/* RFC 5961 3.2 (3) in SYN-RECEIVED (RFC 9293 3.10.7.4 second): a RST in the window but not
 * exactly at RCV.NXT is answered with a challenge ACK, if the rate limits allow one now. */
bool tcp_fsm_guard_rst_challenge_ok(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    return !tcp_fsm_guard_rst_exact(ctx, seg) && tcp_fsm_guard_challenge_ok(ctx, seg);
}

/* Our SYN is still unacknowledged outside SYN-RECEIVED: the CLOSE there sent the FIN behind it
 * (`send_fin`), and `established` has not run yet. */
bool tcp_fsm_guard_syn_unacked(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    return CTX_T->xflags & TX_SYN_UNACKED;
}

/* RFC 9293 3.10.7.4 fifth (as in SYN-RECEIVED): SND.UNA < SEG.ACK acknowledges that SYN (an
 * ACK past SND.NXT never comes here: RCV_BAD_ACK). */
bool tcp_fsm_guard_syn_acked(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    return tcp_fsm_guard_syn_unacked(ctx, seg) && seg && seq_gt(seg->ack, CTX_T->snd_una);
}

/* ... and the FIN right behind it (at ISS + 1) too. */
bool tcp_fsm_guard_syn_fin_acked(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    return tcp_fsm_guard_syn_unacked(ctx, seg) && seg && seq_gt(seg->ack, CTX_T->snd_una + 1);
}

/* No room for another connection: the accept queue is full (as Linux, even cookies are not
 * answered then), or the connection table is at max_conns, or the SYN queue is full and
 * cookies are off. The client retries. */
bool tcp_fsm_guard_accept_queue_full(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    const struct tcpfsm_stack *st = CTX_ST;
    const struct tcb *l = CTX_T;
    if (l->u.lst.nacc >= l->u.lst.backlog) return true;
    if (st->nconns + st->syn.n >= st->max_conns) return true; /* a record is a TCB to be */
    return (st->cfg.flags & TCPFSM_F_NO_SYNCOOKIES) && l->u.lst.nsyn >= l->u.lst.backlog;
}

bool tcp_fsm_guard_syn_queue_full(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    return CTX_T->u.lst.nsyn >= CTX_T->u.lst.backlog;
}

bool tcp_fsm_guard_cookie_ok(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    uint8_t data;
    if (!seg || (CTX_ST->cfg.flags & TCPFSM_F_NO_SYNCOOKIES)) return false;
    if (!syncookie_check(CTX_ST, seg, &data)) {
        if (CTX_ST->stats.SynCookiesSent) CTX_ST->stats.SynCookiesFailed++;
        return false;
    }
    return true;
}

/* The stack's buffer memory is at its limit (mem.c): a new connection could not even take
 * its first bytes. */
bool tcp_fsm_guard_out_of_memory(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    return mem_exhausted(CTX_ST);
}

/* RFC 6191 2 (RFC 1122 4.2.2.13 before it): a SYN in TIME-WAIT is honored as a new connection
 * if it is a connection request (SYN alone), a listener can take it, and it is newer than the
 * old connection: if the old one used timestamps, by its timestamp ("greater than the last
 * timestamp seen", or equal to it with a greater sequence number) when the new one would use
 * them too, else by its sequence number; if the old one did not, whenever the new one would
 * use timestamps, else by its sequence number. "Greater than the last sequence number seen"
 * (the FIN, at RCV.NXT - 1) is SEG.SEQ >= RCV.NXT (Linux asks SEG.SEQ > RCV.NXT). */
bool tcp_fsm_guard_syn_reopens(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    const struct tcb *t = CTX_T;
    if (!seg || (seg->flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN) return false;
    if (!listener_lookup(CTX_ST, t->laddr, t->lport)) return false;
    bool new_ts = seg->opt.has_ts && !(CTX_ST->cfg.flags & TCPFSM_F_NO_TIMESTAMPS);
    bool seq_newer = seq_geq(seg->seq, t->rcv_nxt);
    if (!(t->flags & TF_TS)) return new_ts || seq_newer;
    if (!new_ts) return seq_newer;
    return seq_gt(seg->opt.tsval, t->ts_recent) || (seg->opt.tsval == t->ts_recent && seq_newer);
}

/* RFC 1122 4.2.3.6: the peer is dead after this many unanswered keep-alive probes
 * (TCPFSM_OPT_KEEPCNT, default 9). */
bool tcp_fsm_guard_keepalive_dead(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    return CTX_T->retries >= tcb_keepcnt(CTX_T);
}

/* --------------------------------------------------------------- actions ---- */

void tcp_fsm_action_become_listener(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    listener_insert(CTX_ST, CTX_T);
}

static uint8_t choose_wscale(uint32_t rcvbuf)
{
    uint8_t ws = 0; /* RFC 7323 2.3: the smallest shift that lets the buffer be advertised */
    while (ws < TCP_MAX_WSCALE && (rcvbuf >> ws) > 65535u)
        ws++;
    return ws;
}

static void init_iss(struct tcpfsm_stack *st, struct tcb *t)
{
    uint32_t iss = st->reopen_iss_set ? st->reopen_iss : isn_generate(st, t); /* tcp_reopen */
    t->snd_una = t->snd_nxt = t->snd_max = iss;
    t->u.cc.mss = tcb_mss_limit(st, t); /* before it overwrites the union (tcb_opts) */
    t->rcv_wscale = (st->cfg.flags & TCPFSM_F_NO_WSCALE) ? 0 : choose_wscale(st->cfg.rcvbuf);
}

void tcp_fsm_action_init_active(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    struct tcpfsm_stack *st = CTX_ST;
    struct tcb *t = CTX_T;
    init_iss(st, t);
    tcb_hash_insert(st, t);
    st->stats.ActiveOpens++;
}

void tcp_fsm_action_init_passive(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    struct tcpfsm_stack *st = CTX_ST;
    struct tcb *t = CTX_T;
    t->flags |= TF_PASSIVE;
    init_iss(st, t);
    tcb_hash_insert(st, t);
    st->stats.PassiveOpens++;
}

/* RFC 9293 3.10.7.2 third / 3.10.7.3 fourth: RCV.NXT = SEG.SEQ + 1, IRS = SEG.SEQ, and the
 * options of the SYN: MSS (3.7.1), window scale and timestamps (RFC 7323), SACK (RFC 2018). */
static void take_syn_options(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *seg)
{
    t->rcv_nxt = seg->seq + 1;
    t->rcv_adv = t->rcv_nxt;
    uint16_t mss = tcb_mss_limit(st, t); /* TCPFSM_OPT_MAXSEG */
    /* RFC 9293 3.7.1: without the option the peer takes 536 (RFC 9293 MUST-15). */
    uint16_t peer = seg->opt.has_mss ? seg->opt.mss : 536;
    if (peer < 64) peer = 64; /* RFC 9293 3.7.1: guard against silly advertised MSS */
    t->u.cc.mss = peer < mss ? peer : mss;
    const uint32_t f = st->cfg.flags;
    bool offered_ws = !(f & TCPFSM_F_NO_WSCALE), offered_ts = !(f & TCPFSM_F_NO_TIMESTAMPS);
    bool offered_sack = !(f & TCPFSM_F_NO_SACK);
    if (seg->opt.has_wscale && offered_ws) {
        t->flags |= TF_WSCALE;
        t->snd_wscale = seg->opt.wscale; /* already clamped to 14 (RFC 7323 2.3) */
    } else {
        t->snd_wscale = 0;
        t->rcv_wscale = 0; /* RFC 7323 2.2: both sides or neither */
    }
    if (seg->opt.has_ts && offered_ts) {
        t->flags |= TF_TS;
        t->ts_recent = seg->opt.tsval;
    }
    if (seg->opt.sack_ok && offered_sack) t->flags |= TF_SACK;
    /* RFC 7323 2.2: the window field of a SYN is never scaled. */
    t->snd_wnd = seg->wnd;
    t->snd_wl1 = seg->seq;
}

/* ... and "any other control or text should be queued for processing later" (3.10.7.2 third;
 * 3.10.7.3 fourth: once ESTABLISHED, processed at once). */
void tcp_fsm_action_take_syn(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    take_syn_options(CTX_ST, CTX_T, seg);
    tcp_queue_syn_text(CTX_ST, CTX_T, seg);
}

void tcp_fsm_action_send_syn(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    tcp_send_syn(CTX_ST, CTX_T, false);
}

void tcp_fsm_action_send_syn_ack(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    tcp_send_syn(CTX_ST, CTX_T, true);
}

void tcp_fsm_action_established(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    struct tcpfsm_stack *st = CTX_ST;
    struct tcb *t = CTX_T;
    /* Passive connections get their buffers only now, so the SYN queue holds compact records
     * (synqueue.c) rather than TCBs with buffers. If
     * the budget ran out meanwhile, tcp_input aborts the connection (BufferLimitDrops). */
    if (tcb_alloc_bufs(st, t)) t->err = ENOBUFS;
    unsigned syn_rtx = t->retries; /* how often our SYN (or SYN-ACK) timed out */
    t->retries = 0;
    t->snd_una++; /* our SYN is acknowledged */
    if (seq_lt(t->snd_nxt, t->snd_una)) t->snd_nxt = t->snd_una;
    cc_init(&t->u.cc, (st->cfg.flags & TCPFSM_F_CUBIC) ? CC_CUBIC : CC_NEWRENO, t->u.cc.mss, 0);
    /* RFC 6928 2 (relaxing RFC 5681 3.1's "If the SYN or SYN/ACK is lost, the initial window
     * ... MUST be one segment"): the initial window is 1 segment only after more than one
     * SYN or SYN-ACK retransmission. */
    if (syn_rtx > 1) t->u.cc.cwnd = t->u.cc.mss;
    if (!(t->flags & TF_RETRANSMIT) && (t->flags & TF_RTT_TIMING))
        rtt_sample(&t->rtt, (stack_ms(st) - t->rtt_ts) * 1000u, st->cfg.rto_min_us,
                   st->cfg.rto_max_us);
    else if (t->flags & TF_RETRANSMIT) /* RFC 6298 5.7: no sample (Karn), RTO 3 s */
        rtt_syn_timed_out(&t->rtt, st->cfg.rto_initial_us, st->cfg.rto_max_us);
    t->flags &= (uint16_t) ~(TF_RTT_TIMING | TF_RETRANSMIT);
    t->xflags &= (uint8_t)~TX_SYN_UNACKED;
    /* RFC 6298 5.2/5.3: stop the timer, or restart it for a FIN sent behind the SYN */
    if (t->snd_una == t->snd_max)
        tcb_timer_clear(st, t, TMR_RTX);
    else
        tcb_timer_set(st, t, TMR_RTX, rtt_current_rto(&t->rtt, st->cfg.rto_max_us));
    child_accept_ready(t);                    /* a listener's child: SYN queue -> accept queue */
    if (t->parent) ready_wake(st, t->parent); /* ... where accept() takes it */
}

void tcp_fsm_action_process_ack(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    tcp_ack_input(CTX_ST, CTX_T, seg);
}

void tcp_fsm_action_deliver_data(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    tcp_data_input(CTX_ST, CTX_T, seg);
}

/* RFC 9293 3.10.7.4 eighth: advance RCV.NXT over the FIN, ACK it, signal end of stream. */
void tcp_fsm_action_receive_fin(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    struct tcb *t = CTX_T;
    t->rcv_nxt++;
    if (t->buf) t->buf->fin_held = false;
    t->flags |= TF_FIN_RCVD; /* its ACK: send_ack or delay_fin_ack, as the spec's row says */
}

/* RFC 9293 3.8.6.3 / RFC 1122 4.2.3.2: the FIN's ACK waits FIN_ACK_DELAY_US for a segment of
 * ours to carry it (the FIN of a program that closes on reading the end of the stream); an
 * ACK of text already due sooner keeps its deadline. */
void tcp_fsm_action_delay_fin_ack(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    struct tcb *t = CTX_T;
    uint32_t ms = (FIN_ACK_DELAY_US + 999u) / 1000u;
    if (!tcb_timer_armed(t, TMR_DELACK) ||
        seq_diff(t->tmr_at[1], stack_ms(CTX_ST)) > (int32_t)ms) /* slot 1: DELACK */
        tcb_timer_set(CTX_ST, t, TMR_DELACK, FIN_ACK_DELAY_US);
}

void tcp_fsm_action_queue_fin(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    CTX_T->flags |= TF_FIN_QUEUED; /* tcp_output sends it after the queued data */
}

/* RFC 9293 3.10.4, CLOSE in SYN-RECEIVED with nothing to send: the FIN now, at ISS + 1, while
 * the SYN before it is still unacknowledged (until `established`). */
void tcp_fsm_action_send_fin(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    CTX_T->xflags |= TX_SYN_UNACKED;
    tcp_send_fin(CTX_ST, CTX_T);
}

void tcp_fsm_action_send_ack(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    CTX_T->flags |= TF_ACK_NOW;
}

/* RFC 5961 3.2/4.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
void tcp_fsm_action_challenge_ack(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    CTX_ST->stats.ChallengeAcks++;
    CTX_T->flags |= TF_ACK_NOW;
}

/* RFC 9293 3.10.5: ABORT in a synchronized state sends <SEQ=SND.NXT><CTL=RST>. */
void tcp_fsm_action_send_rst(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    const struct tcb *t = CTX_T;
    /* RFC 9293's SND.NXT is our snd_max (snd_nxt is pulled back by a timeout, go-back-N);
     * a RST below the peer's RCV.NXT would be out of its window and ignored. Not past the
     * window's right edge (a zero-window probe byte), as the pure ACKs in tcp_output. */
    uint32_t seq = t->snd_max, wnd_end = t->snd_una + t->snd_wnd;
    if (seq_gt(seq, wnd_end)) seq = wnd_end;
    tcp_send_ctl(CTX_ST, CTX_T, TCP_RST, seq);
}

void tcp_fsm_action_send_rst_reply(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)ctx;
    tcp_send_rst_reply(CTX_ST, seg);
}

/* RFC 6298 5.4-5.6: one more retransmission: count it, back off, and take no RTT sample
 * from what follows (Karn). */
static void retransmission(struct tcb *t)
{
    t->retries++;
    rtt_backoff(&t->rtt);
    t->flags &= (uint16_t)~TF_RTT_TIMING;
    t->flags |= TF_RETRANSMIT;
}

/* The SYN or SYN-ACK again (RFC 9293 3.8.1 / RFC 6298 5.4). */
static void resend_syn(struct tcpfsm_stack *st, struct tcb *t, bool with_ack)
{
    retransmission(t);
    st->stats.RetransSegs++;
    if (t->buf) t->buf->retransmits++;
    tcp_send_syn(st, t, with_ack);
}

void tcp_fsm_action_retransmit_syn(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    resend_syn(CTX_ST, CTX_T, false);
}

void tcp_fsm_action_retransmit_syn_ack(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    resend_syn(CTX_ST, CTX_T, true);
}

/* The SYN,ACK again, then the FIN that followed it (`send_fin`): go-back-N from SND.UNA. */
void tcp_fsm_action_retransmit_syn_ack_fin(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    resend_syn(CTX_ST, CTX_T, true);
    tcp_send_fin(CTX_ST, CTX_T);
}

/* RFC 6298 5.4-5.7 and RFC 5681 (4): retransmit data (or the FIN), back off, collapse the
 * congestion window. */
void tcp_fsm_action_retransmit(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    struct tcpfsm_stack *st = CTX_ST;
    struct tcb *t = CTX_T;
    retransmission(t);
    cc_on_rto(&t->u.cc, t->snd_max - t->snd_una, t->snd_max);
    tcp_retransmit_first(st, t);
}

/* RFC 9293 3.8.6.1: probe a zero window with one octet of new data. */
void tcp_fsm_action_send_probe(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    tcp_send_probe(CTX_ST, CTX_T, false);
}

/* RFC 1122 4.2.3.6: a keep-alive is <SEQ=SND.NXT-1> with no data. */
void tcp_fsm_action_send_keepalive(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    tcp_send_probe(CTX_ST, CTX_T, true);
}

/* RFC 9293 3.10.7.4 eighth: TIME-WAIT lasts 2 MSL from the last FIN. */
void tcp_fsm_action_arm_2msl(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    struct tcpfsm_stack *st = CTX_ST;
    struct tcb *t = CTX_T;
    tcb_timer_clear(st, t, TMR_DELACK);
    tcb_timer_clear(st, t, TMR_KEEPALIVE);
    tcb_timer_set(st, t, TMR_2MSL, 2u * st->cfg.msl_us);
    /* Nothing is sent or received in TIME-WAIT: give the buffers back unless the user still
     * has bytes to read. */
    if (t->fd < 0 || !t->buf || !t->buf->rcv.len) tcb_free_bufs(st, t);
}

/* An orphaned FIN_WAIT_2 (nobody can read or close it any more) waits 2 MSL for the peer's
 * FIN, then goes away, as Linux does with tcp_fin_timeout. */
void tcp_fsm_action_arm_fin_timeout(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    struct tcb *t = CTX_T;
    tcb_timer_clear(CTX_ST, t, TMR_KEEPALIVE);
    if (t->fd < 0) tcb_timer_set(CTX_ST, t, TMR_2MSL, 2u * CTX_ST->cfg.msl_us);
}

static void flush_queues(struct tcpfsm_stack *st, struct tcb *t)
{
    if (!t->buf) return;
    ring_drop(&t->buf->snd, t->buf->snd.len);
    ring_drop(&t->buf->rcv, t->buf->rcv.len);
    ring_release(st, &t->buf->snd);
    ring_release(st, &t->buf->rcv);
    ofo_free(st, t->buf);
}

void tcp_fsm_action_conn_refused(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    CTX_T->err = ECONNREFUSED;
    flush_queues(CTX_ST, CTX_T);
}

/* RFC 9293 3.10.7.4 second: "all segment queues should be flushed", the user is told. */
void tcp_fsm_action_conn_reset(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    struct tcb *t = CTX_T;
    t->err = ECONNRESET;
    flush_queues(CTX_ST, t);
}

void tcp_fsm_action_conn_timeout(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    struct tcb *t = CTX_T;
    /* RFC 1122 4.2.3.9: the soft error an ICMP message brought is what the user is told when
     * the connection gives up (EHOSTUNREACH, say), else ETIMEDOUT: Linux's tcp_write_err */
    t->err = t->buf && t->buf->soft_err ? t->buf->soft_err : ETIMEDOUT;
    flush_queues(CTX_ST, t);
}

/* Leave the lookup table; the TCB is freed once no descriptor refers to it. */
void tcp_fsm_action_release(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    struct tcb *t = CTX_T;
    t->flags |= TF_DEAD;
    tcb_hash_remove(CTX_ST, t);
    t->tmr_at[0] = t->tmr_at[1] = t->tmr_at[2] = 0;
    wheel_cancel(&CTX_ST->wheel, &t->timer);
}

/* Closing a listener resets the connections still waiting in its queues. */
void tcp_fsm_action_abort_listener(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    struct tcpfsm_stack *st = CTX_ST;
    struct tcb *l = CTX_T;
    syn_rehydrate_listener(st, l); /* compact SYN-queue records: TCBs again, reset below */
    for (struct tcb *c; (c = l->qnext ? l->qnext : l->u.lst.acc_head);) {
        tcb_event(st, c, TCP_FSM_EV_APP_ABORT, NULL);
        c->flags |=
            TF_DEAD;     /* ABORT ends every state: this only keeps a spec change from leaking */
        tcb_reap(st, c); /* out of the listener's queue, freed */
    }
    l->u.lst.nsyn = l->u.lst.nacc = 0;
}

/* A connection refused for lack of buffer memory is counted (the RST is send_rst_reply). */
void tcp_fsm_action_refuse_no_memory(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    CTX_ST->stats.BufferLimitDrops++;
    CTX_ST->stats.ListenDrops++;
}

void tcp_fsm_action_listen_drop(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    CTX_ST->stats.ListenOverflows++;
    CTX_ST->stats.ListenDrops++;
    (void)ctx;
}

/* RFC 4987 3.6: answer the SYN with a SYN-ACK whose ISS is a cookie; keep nothing. */
void tcp_fsm_action_send_syn_cookie(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    struct tcpfsm_stack *st = CTX_ST;
    struct tcb tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.laddr = seg->daddr;
    tmp.lport = seg->dport;
    tmp.raddr = seg->saddr;
    tmp.rport = seg->sport;
    tmp.fd = -1;
    tmp.parent = CTX_T; /* the listener's settings (tcb_opts): the MSS it offers */
    tmp.rcv_wscale = (st->cfg.flags & TCPFSM_F_NO_WSCALE) ? 0 : choose_wscale(st->cfg.rcvbuf);
    take_syn_options(st, &tmp, seg); /* its text cannot be kept: the peer sends it again */
    uint8_t data = syncookie_data(seg, tcb_mss_limit(st, &tmp), st->cfg.flags);
    tmp.snd_una = syncookie_make(st, seg, data);
    tcp_send_syn_ack_stateless(st, &tmp);
    st->stats.SynCookiesSent++;
}

/* A new connection for the listener: from a SYN (into the SYN queue) or from a valid cookie
 * ACK (straight into the accept queue). */
void tcp_fsm_action_spawn_child(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    if (seg->flags & TCP_SYN)
        tcp_child_from_syn(CTX_ST, CTX_T, seg);
    else
        tcp_child_from_cookie(CTX_ST, CTX_T, seg);
}

/* RFC 6191 2: the TIME-WAIT connection (released by the same row) gives way to the new one
 * its SYN asks for; the listener takes the SYN. */
void tcp_fsm_action_reopen(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    CTX_ST->stats.TimeWaitRecycled++;
    tcp_reopen(CTX_ST, CTX_T, seg);
}

/* RFC 4987 3.6: rebuild the handshake's outcome from the cookie in SEG.ACK - 1. */
void tcp_fsm_action_take_cookie(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    struct tcpfsm_stack *st = CTX_ST;
    struct tcb *t = CTX_T;
    uint8_t data = 0;
    (void)syncookie_check(st, seg, &data); /* cookie_ok vouched for it on the listener */
    st->stats.SynCookiesRecv++;
    t->snd_una = seg->ack - 1; /* ISS; `established` accounts for the SYN */
    t->snd_nxt = t->snd_max = seg->ack;
    t->rcv_nxt = t->rcv_adv = seg->seq;
    t->u.cc.mss = syncookie_mss(data);
    uint8_t ws = (data >> 2) & 15;
    if (ws != 15) {
        t->flags |= TF_WSCALE;
        t->snd_wscale = ws;
    } else
        t->rcv_wscale = 0;
    if (data & 0x40) t->flags |= TF_SACK;
    if ((data & 0x80) && seg->opt.has_ts) {
        t->flags |= TF_TS;
        t->ts_recent = seg->opt.tsval;
    }
    t->snd_wnd = (uint32_t)seg->wnd << t->snd_wscale;
    t->snd_wl1 = seg->seq;
}

/* RFC 9293 3.10.2: a SEND (here: connect) on a listening TCB makes it an active one: it leaves
 * the listener table and forgets its queue bookkeeping (abort_listener reset the children). */
void tcp_fsm_action_unlisten(struct tcp_ctx *ctx, const struct tcp_seg *seg)
{
    (void)seg;
    tcb_hash_remove(CTX_ST, CTX_T);
    memset(&CTX_T->u, 0, sizeof CTX_T->u);
}
