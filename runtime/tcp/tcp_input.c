/*
 * tcp_input.c — segment arrival (RFC 9293 3.10.7): validation, lookup, and the segment as an
 * ordered series of events dispatched through the generated machine (ACK processing and data
 * delivery, which the actions call, are tcp_rcv.c's).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "seq.h"
#include "tcp_layer.h"
#include "tcp.h"

/* ----------------------------------------------------------------- arrival ---- */

static void dispatch(struct tcpfsm_stack *st, struct tcb *t, int ev, const struct tcp_seg *s)
{
    tcb_event(st, t, ev, s);
}

/* RFC 9293 3.10.7.2: a segment for a listener. The spec decides (LISTEN rows) whether a
 * child connection is made; tcp_child_from_* make it. */
static int listener_input(struct tcpfsm_stack *st, struct tcb *l, const struct tcp_seg *seg)
{
    int ev = seg->flags & TCP_RST   ? TCP_FSM_EV_RCV_RST
             : seg->flags & TCP_ACK ? TCP_FSM_EV_RCV_ACK
             : seg->flags & TCP_SYN ? TCP_FSM_EV_RCV_SYN
                                    : TCP_FSM_EV_RCV_DATA;
    dispatch(st, l, ev, seg);
    return 0;
}

static struct tcb *child_new(struct tcpfsm_stack *st, struct tcb *l, const struct tcp_seg *seg)
{
    struct tcb *c = tcb_new(st);
    if (!c) {
        st->stats.ListenDrops++;
        return NULL;
    }
    c->laddr = seg->daddr;
    c->lport = seg->dport;
    c->raddr = seg->saddr;
    c->rport = seg->sport;
    c->flags = l->flags & (TF_NODELAY | TF_REUSEADDR);
    c->xflags = l->xflags & (TX_CORK | TX_ABORT_ON_CLOSE);
    c->ka_idle_s = l->ka_idle_s;
    c->parent = l; /* in its SYN queue until established (child_accept_ready) */
    c->qnext = l->qnext;
    l->qnext = c;
    l->u.lst.nsyn++;
    return c;
}

/* After a child's first events: drop it if it died, abort it if it has no buffers. */
static void child_settle(struct tcpfsm_stack *st, struct tcb *c)
{
    if (!(c->flags & TF_DEAD) && c->err == ENOBUFS && !c->buf) {
        st->stats.BufferLimitDrops++;
        dispatch(st, c, TCP_FSM_EV_APP_ABORT, NULL);
    }
    if (c->flags & TF_DEAD)
        tcb_reap(st, c);
    else {
        tcp_output(st, c);
        syn_settle(st, c); /* an embryo waiting for the ACK: a compact record */
    }
}

void tcp_child_from_syn(struct tcpfsm_stack *st, struct tcb *l, const struct tcp_seg *seg)
{
    struct tcb *c = child_new(st, l, seg);
    if (!c) return;
    dispatch(st, c, TCP_FSM_EV_SPAWN_SYN, seg);
    child_settle(st, c);
}

static void conn_rest(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *sp);

void tcp_child_from_cookie(struct tcpfsm_stack *st, struct tcb *l, const struct tcp_seg *seg)
{
    struct tcb *c = child_new(st, l, seg);
    if (!c) return;
    struct tcp_seg s = *seg;
    dispatch(st, c, TCP_FSM_EV_SPAWN_COOKIE, &s);
    if (!(c->flags & TF_DEAD) && c->buf) conn_rest(st, c, &s); /* data/FIN on that ACK */
    child_settle(st, c);
}

/* RFC 9293 3.10.7.3: SYN-SENT. */
static void syn_sent_input(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *seg)
{
    if (seg->flags & TCP_ACK) {
        /* first: SEG.ACK =< ISS or SEG.ACK > SND.NXT is unacceptable (ISS = SND.UNA here) */
        if (seq_leq(seg->ack, t->snd_una) || seq_gt(seg->ack, t->snd_nxt)) {
            if (!(seg->flags & TCP_RST)) dispatch(st, t, TCP_FSM_EV_RCV_BAD_ACK, seg);
            return;
        }
    }
    if (seg->flags & TCP_RST) {
        dispatch(st, t, TCP_FSM_EV_RCV_RST, seg);
        return;
    }
    if (seg->flags & TCP_SYN) {
        /* take_syn queues the SYN's text (tcp_queue_syn_text). RFC 9293 3.10.7.3 fourth: with
         * our SYN acknowledged, "if there are other controls or text in the segment, then
         * continue processing at the sixth step": the rest of the segment, past its SYN, is
         * processed now; a simultaneous open's SYN keeps it queued until ESTABLISHED. */
        bool acks_syn = seg->flags & TCP_ACK;
        dispatch(st, t, acks_syn ? TCP_FSM_EV_RCV_SYN_ACK : TCP_FSM_EV_RCV_SYN, seg);
        if (acks_syn && !(t->flags & TF_DEAD)) {
            struct tcp_seg rest = *seg;
            rest.flags &= (uint8_t)~TCP_SYN;
            rest.seq++;
            rest.data = NULL;
            rest.len = 0; /* the text is queued: conn_rest takes it from there */
            conn_rest(st, t, &rest);
        }
        return;
    }
    dispatch(st, t, TCP_FSM_EV_RCV_ACK, seg); /* neither SYN nor RST: dropped by the spec */
}

/* RFC 7323 5.5: "We therefore require that an implementation of PAWS include a mechanism to
 * 'invalidate' the TS.Recent value when a connection is idle for more than 24 days": a peer
 * clock of 1 ms a tick moves half its 32-bit range in 24.8 days. Idle is measured from the
 * last time TS.Recent was set; without a data-path block the connection cannot have been. */
#define TS_RECENT_LIFETIME_US (24ull * 24 * 3600 * 1000000)

static bool ts_recent_expired(const struct tcpfsm_stack *st, const struct tcb *t)
{
    return t->buf && st->now - t->buf->ts_recent_at > TS_RECENT_LIFETIME_US;
}

static void ts_recent_set(const struct tcpfsm_stack *st, struct tcb *t, uint32_t tsval)
{
    t->ts_recent = tsval;
    if (t->buf) t->buf->ts_recent_at = st->now;
}

/* RFC 9293 3.10.7.4 first: the acceptability test (four cases by SEG.LEN and RCV.WND). */
static bool seg_acceptable(const struct tcb *t, uint32_t seq, uint32_t seglen, uint32_t wnd)
{
    if (seglen == 0) return wnd == 0 ? seq == t->rcv_nxt : seq_in_window(seq, t->rcv_nxt, wnd);
    if (wnd == 0) return false;
    return seq_in_window(seq, t->rcv_nxt, wnd) || seq_in_window(seq + seglen - 1, t->rcv_nxt, wnd);
}

/* RFC 9293 3.10.7.4 first, without RCV.WND: a segment at exactly RCV.NXT of zero length is
 * acceptable whatever the window (both cases of a zero SEG.LEN); one that ends within the
 * window advertised last, RCV.ADV, is acceptable whatever the window now, which is never less
 * (tcp_rcv_window: RCV.ADV - RCV.NXT, capped at 65535 << Rcv.Wind.Shift, which no segment's
 * length reaches). Neither has anything to trim. True only where the test with RCV.WND says
 * so (test_tcp_flow's segments_in_order_are_judged_as_by_the_window). */
static bool fits_advertised(const struct tcb *t, uint32_t seq, uint32_t seglen)
{
    if (seq != t->rcv_nxt) return false;
    return seglen == 0 || (seq_gt(t->rcv_adv, seq) && t->rcv_adv - seq >= seglen);
}

void tcp_conn_input(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *in)
{
    if (t->state == TCP_FSM_SYN_SENT) {
        syn_sent_input(st, t, in);
        return;
    }
    const struct tcp_seg *sp = in; /* the segment as it came, or trimmed below */
    uint32_t seglen = sp->len + !!(sp->flags & TCP_SYN) + !!(sp->flags & TCP_FIN);
    /* RCV.WND, which the memory budget decides, is asked only for a segment that needs it:
     * one in order and within the window advertised last (fits_advertised) is acceptable and
     * not trimmed whatever it is (0 stands for it unasked). */
    bool in_order = fits_advertised(t, sp->seq, seglen);
    uint32_t wnd = in_order ? 0 : tcp_rcv_window(st, t);

    /* RFC 7323 3.2: once both SYNs carried timestamps, "the TSopt MUST be sent in every
     * non-<RST> segment ... If a non-<RST> segment is received without a TSopt, a TCP SHOULD
     * silently drop the segment. A TCP MUST NOT abort a TCP connection because any segment
     * lacks an expected TSopt." Without one PAWS cannot tell an old duplicate from a new
     * segment. A SYN is a request for a new connection, not a segment of this one: RFC 6191 2
     * judges one without timestamps by its sequence number ([syn_reopens]), and a
     * synchronized state answers it with a challenge ACK (RFC 5961 4.2). */
    if ((t->flags & TF_TS) && !sp->opt.has_ts && !(sp->flags & (TCP_RST | TCP_SYN))) {
        st->stats.TsMissingDrops++;
        return;
    }
    /* RFC 7323 5.3 R1 (PAWS): a timestamp older than TS.Recent marks an old duplicate, answered
     * with an ACK and dropped (a RST is exempt). 5.5 and Appendix D: not once TS.Recent is more
     * than 24 days old ("If the connection has been idle more than 24 days, save SEG.TSval in
     * variable TS.Recent"): the peer's clock may have moved more than half its range since, so
     * an older-looking TSval proves nothing; the segment goes on as any other. */
    if ((t->flags & TF_TS) && sp->opt.has_ts && !(sp->flags & TCP_RST) &&
        seq_lt(sp->opt.tsval, t->ts_recent)) {
        if (!ts_recent_expired(st, t)) {
            st->stats.PawsDrops++;
            dispatch(st, t, TCP_FSM_EV_RCV_UNACCEPTABLE, sp);
            return;
        }
        ts_recent_set(st, t, sp->opt.tsval);
    }
    /* RFC 9293 3.10.7.4 eighth: a retransmission of the peer's FIN (it ends right at RCV.NXT,
     * so the window test would call it old) means our ACK of it was lost: CLOSE-WAIT, CLOSING
     * and LAST-ACK acknowledge it again, TIME-WAIT also restarts the 2 MSL timeout. */
    if ((t->flags & TF_FIN_RCVD) &&
        (sp->flags & (TCP_FIN | TCP_ACK | TCP_RST | TCP_SYN)) == (TCP_FIN | TCP_ACK) &&
        sp->seq + sp->len + 1 == t->rcv_nxt) {
        dispatch(st, t, TCP_FSM_EV_RCV_FIN, sp);
        return;
    }
    /* RFC 9293 3.10.7.4 first: a SYN before RCV.NXT was received already (the peer's SYN
     * again; its text, if any, queued or taken): it is old, however much text it carries, and
     * is answered as any unacceptable segment. Its text alone would pass the window test and
     * the SYN count as a new one (fourth: a passive SYN-RECEIVED would end). */
    bool old_syn = (sp->flags & TCP_SYN) && seq_lt(sp->seq, t->rcv_nxt);
    if (old_syn || (!in_order && !seg_acceptable(t, sp->seq, seglen, wnd))) {
        /* RFC 9293 3.10.7.4 first: "If the RCV.WND is zero, no segments will be acceptable,
         * but special allowance should be made to accept valid ACKs, URGs, and RSTs." A
         * segment that reaches RCV.NXT is taken for its control bits and its ACK; its text
         * (and FIN), all past the window, is trimmed below, and the ACK that answers it
         * repeats the zero window. */
        bool zero_window_allowance = !old_syn && wnd == 0 && seq_leq(sp->seq, t->rcv_nxt) &&
                                     seq_geq(sp->seq + seglen, t->rcv_nxt);
        if (!zero_window_allowance) {
            st->stats.OutOfWindowDrops++;
            /* RFC 9293 3.10.7.4 first: an unacceptable RST is dropped without reply. */
            if (!(sp->flags & TCP_RST)) dispatch(st, t, TCP_FSM_EV_RCV_UNACCEPTABLE, sp);
            return;
        }
        st->stats.OutOfWindowDrops += sp->len != 0; /* its text is refused all the same */
    }
    if (sp->flags & TCP_RST) {
        dispatch(st, t, TCP_FSM_EV_RCV_RST, sp);
        return;
    }
    if (sp->flags & TCP_SYN) {
        dispatch(st, t, TCP_FSM_EV_RCV_SYN, sp);
        return;
    }
    /* RFC 9293 3.10.7.4 fifth: "if the ACK bit is off, drop the segment and return". */
    if (!(sp->flags & TCP_ACK)) return;
    /* Trim to the window: text before RCV.NXT was received already, text past the right
     * edge does not fit (RFC 9293 3.10.7.4 first, "trimmed"). */
    struct tcp_seg trimmed; /* a copy only for a segment that is cut */
    if (!in_order && (seq_lt(sp->seq, t->rcv_nxt) || sp->len > wnd - (sp->seq - t->rcv_nxt))) {
        trimmed = *in;
        if (seq_lt(trimmed.seq, t->rcv_nxt)) {
            uint32_t cut = t->rcv_nxt - trimmed.seq;
            if (cut > trimmed.len) { /* the FIN, too, was received already */
                cut = trimmed.len;
                trimmed.flags &= (uint8_t)~TCP_FIN;
            }
            trimmed.data += cut;
            trimmed.len -= cut;
            trimmed.seq += cut;
        }
        if (trimmed.len > wnd - (trimmed.seq - t->rcv_nxt)) {
            trimmed.len = wnd - (trimmed.seq - t->rcv_nxt);
            trimmed.flags &= (uint8_t)~TCP_FIN; /* the FIN is past the window */
            t->flags |= TF_ACK_NOW;
        }
        sp = &trimmed;
    }
    /* RFC 9293 3.10.7.4 fifth / RFC 5961 5.2: an ACK is acceptable only within
     * [SND.UNA - MAX.SND.WND, SND.NXT]; MAX.SND.WND is bounded here by the largest window the
     * peer can express (65535 << Snd.Wind.Shift). Outside: ACK it and drop the segment. */
    if (seq_gt(sp->ack, t->snd_max) || seq_lt(sp->ack, t->snd_una - (65535u << t->snd_wscale))) {
        dispatch(st, t, TCP_FSM_EV_RCV_BAD_ACK, sp);
        return;
    }
    /* RFC 7323 4.3 (2): "If: SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent then
     * SEG.TSval is copied to TS.Recent; otherwise, it is ignored." Last.ACK.sent, not RCV.NXT:
     * while an ACK is delayed RCV.NXT has moved past the segments it will acknowledge, and it
     * echoes the earliest of them (4.3 (A)); a segment beyond a hole never qualifies (B), the
     * one that fills it does (C). SEG.SEQ as the segment came, before trimming. */
    uint32_t last_ack_sent = t->buf ? t->buf->last_ack_sent : t->rcv_nxt;
    if ((t->flags & TF_TS) && sp->opt.has_ts && seq_leq(in->seq, last_ack_sent) &&
        seq_geq(sp->opt.tsval, t->ts_recent))
        ts_recent_set(st, t, sp->opt.tsval);
    dispatch(st, t, TCP_FSM_EV_RCV_ACK, sp);
    if (t->flags & TF_DEAD) return;
    /* A passive open that found no buffer budget (`established` set ENOBUFS): refuse. Other
     * TCBs may lack buffers on purpose (TIME_WAIT gave them back in arm_2msl). */
    if (!t->buf && t->err == ENOBUFS) {
        st->stats.BufferLimitDrops++;
        dispatch(st, t, TCP_FSM_EV_APP_ABORT, NULL);
        return;
    }
    conn_rest(st, t, sp);
}

/* The text and FIN of an acceptable segment, after its ACK (RFC 9293 3.10.7.4 sixth-eighth). */
static void conn_rest(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *sp)
{
    if (t->ka_idle_s && t->buf && t->snd_una == t->snd_max) { /* RFC 1122 4.2.3.6: alive */
        t->retries = 0;
        tcb_timer_set(st, t, TMR_KEEPALIVE, (uint64_t)t->ka_idle_s * 1000000u);
    }
    /* seventh: the text, or a FIN that lies beyond text still missing (held, tcp_data_input) */
    bool fin_early = (sp->flags & TCP_FIN) && seq_gt(sp->seq + sp->len, t->rcv_nxt);
    if (sp->len || (fin_early && !(t->flags & TF_FIN_RCVD)))
        dispatch(st, t, TCP_FSM_EV_RCV_DATA, sp);
    if (t->flags & TF_DEAD) return;
    /* ... then the text a SYN brought, if it waited for the connection to take text */
    struct tcp_seg queued;
    if (tcp_queued_text(t, &queued)) dispatch(st, t, TCP_FSM_EV_RCV_DATA, &queued);
    if (t->flags & TF_DEAD) return;
    /* eighth: the FIN counts once every byte before it has arrived (RFC 9293 3.10.7.4 processes
     * segments in sequence): this segment's, or one that came early and was held */
    bool fin_here = (sp->flags & TCP_FIN) && sp->seq + sp->len == t->rcv_nxt;
    bool fin_held = t->buf && t->buf->fin_held && t->buf->fin_seq == t->rcv_nxt;
    if ((fin_here || fin_held) && !(t->flags & TF_FIN_RCVD)) {
        /* RFC 5681 4.2: the segment filled the gap in front of a FIN that came early: ACK
         * at once, whatever the FIN's row says about delaying */
        if (fin_held && !fin_here) t->flags |= TF_ACK_NOW;
        dispatch(st, t, TCP_FSM_EV_RCV_FIN, sp);
    } else if ((sp->flags & TCP_FIN) && (t->flags & TF_FIN_RCVD) &&
               sp->seq + sp->len == t->rcv_nxt - 1)
        t->flags |= TF_ACK_NOW;
}

/* A SYN that ended a TIME-WAIT connection ([syn_reopens], `reopen`): the listener takes it
 * as any SYN (its LISTEN rows decide), and a new connection it makes starts beyond every
 * sequence number the old one used (RFC 1122 4.2.2.13 (1)), by more than a window the peer
 * could still accept an old segment in: SND.NXT + 2^16 + 1, Linux's choice. A listener that
 * answers with a SYN cookie (its SYN queue is full) cannot keep that promise. */
void tcp_reopen(struct tcpfsm_stack *st, const struct tcb *old, const struct tcp_seg *syn)
{
    struct tcb *l = listener_lookup(st, old->laddr, old->lport);
    if (!l) return;
    st->reopen_iss = old->snd_max + 65535u + 2u;
    st->reopen_iss_set = true;
    listener_input(st, l, syn);
    st->reopen_iss_set = false;
}

/* A segment for a compact record: the record as a TCB for this segment, which then takes the
 * path of every connection (tcp_conn_input), and back into a record if it stays one. */
int tw_input(struct tcpfsm_stack *st, struct tw_rec *r, const struct tcp_seg *seg)
{
    if (tcb_hash_reserve(st)) return -ENOMEM; /* no room to expand it: the peer resends */
    struct tcb t;
    tw_expand(st, r, &t);
    tcp_conn_input(st, &t, seg);
    if (!(t.flags & TF_DEAD)) tcp_output(st, &t);
    tw_fold(st, r, &t);
    return 0;
}

int syn_input(struct tcpfsm_stack *st, struct syn_rec *r, const struct tcp_seg *seg)
{
    struct tcb *t = syn_rehydrate(st, r);
    if (!t) {
        tcp_send_rst_reply(st, seg);
        return -ENOENT;
    }
    tcp_conn_input(st, t, seg);
    if (t->flags & TF_DEAD)
        tcb_reap(st, t);
    else {
        tcp_output(st, t);
        syn_settle(st, t);
    }
    return 0;
}

/* A datagram for TCP (ip/ip_input.c took the others): ps is ip_parse()'s verdict on its IP
 * header h. */
/* After a connection's segments: what it has to send (the ACK included), then, if it is in
 * TIME-WAIT or an embryo, its compact record instead of the TCB. */
static void conn_settle(struct tcpfsm_stack *st, struct tcb *t)
{
    tcp_output(st, t);
    if (!tw_settle(st, t)) syn_settle(st, t);
}

void tcp_train_end(struct tcpfsm_stack *st)
{
    struct tcb *t = st->train;
    if (!t) return;
    st->train = NULL;
    conn_settle(st, t);
}

int tcp_input(struct tcpfsm_stack *st, const void *packet, const struct ip_hdr *h,
              enum pkt_status ps, unsigned flags)
{
    struct tcp_seg seg;
    st->stats.InSegs++;
    if (ps == PKT_OK) ps = tcp_parse2(packet, h, &seg, flags & TCPFSM_IN_CSUM_VALID);
    if (ps != PKT_OK) {
        st->stats.InErrs++;
        if (ps == PKT_ERR_IP_CSUM || ps == PKT_ERR_TCP_CSUM) {
            st->stats.InCsumErrors++;
            return -EBADMSG;
        }
        st->stats.InMalformed++;
        return -EINVAL;
    }
    if (seg.daddr != st->cfg.addr) {
        st->stats.InErrs++;
        return -EINVAL;
    } /* not ours */
    /* RFC 1122 3.2.1.3: "A host MUST silently discard an incoming datagram containing an IP
     * source address that is invalid by the rules of this section" (broadcast, multicast,
     * 0/8, loopback; RFC 1812 5.3.7 adds class E), and one from our own address is forged
     * (the "land" attack: a SYN from us to us would have us answer ourselves). Nothing is
     * ever sent back to such an address. */
    if (ip_martian_source(seg.saddr, st->cfg.addr, st->cfg.prefix_len)) {
        st->stats.InMartians++;
        return -EINVAL;
    }
    /* A SYN opens a sequence space; FIN and RST end one: no segment can mean both. RFC 9293
     * gives SYN+FIN and SYN+RST no meaning (its SYN processing would take the SYN and drop the
     * rest); they are scanner probes, and Linux (tcp_rcv_state_process, LISTEN: "SYN+FIN is
     * dropped") and FreeBSD (drop_synfin) drop them. Dropped here, before any lookup, in every
     * state, without a reply. */
    if ((seg.flags & TCP_SYN) && (seg.flags & (TCP_FIN | TCP_RST))) {
        st->stats.InBadFlags++;
        return -EINVAL;
    }
    struct tcb *t = tcb_lookup(st, seg.daddr, seg.dport, seg.saddr, seg.sport);
    if (st->train && st->train != t) tcp_train_end(st); /* another flow: that train ended */
    if (!t) {
        struct syn_rec *sr = syn_lookup(st, seg.daddr, seg.dport, seg.saddr, seg.sport);
        if (sr) return syn_input(st, sr, &seg);
        struct tw_rec *r = tw_lookup(st, seg.daddr, seg.dport, seg.saddr, seg.sport);
        if (r) return tw_input(st, r, &seg);
        struct tcb *l = listener_lookup(st, seg.daddr, seg.dport);
        if (l) return listener_input(st, l, &seg);
        /* RFC 9293 3.10.7.1: no connection: reply with RST unless the segment is a RST. */
        st->stats.InNoSocket++;
        tcp_send_rst_reply(st, &seg);
        return -ENOENT;
    }
    tcp_conn_input(st, t, &seg);
    if (t->flags & TF_DEAD)
        tcb_reap(st, t);
    else if (flags & TCPFSM_IN_MORE)
        st->train = t; /* its output waits for the train's last segment */
    else {
        st->train = NULL;
        conn_settle(st, t);
    }
    return 0;
}
