/*
 * tcp_input.c — segment arrival (RFC 9293 3.10.7): validation, lookup, and the segment as an
 * ordered series of events dispatched through the generated machine; ACK processing and
 * in-order/out-of-order data delivery for the actions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ip/icmp.h"
#include "seq.h"
#include "tcp_layer.h"
#include "tcp.h"

/* ------------------------------------------------------ reassembly queue ---- */

/* Memory an out-of-order segment of n bytes is charged for. */
static uint64_t ofo_cost(uint32_t n)
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

/* Hold [seq, seq+len) for later; overlapping bytes already held are not stored twice. The
 * total stays within cfg.reasm_bytes and the stack's buffer memory: what does not fit is
 * dropped (the peer resends it). */
static void ofo_insert(struct tcpfsm_stack *st, struct tcb *t, uint32_t seq, const uint8_t *p,
                       uint32_t len)
{
    struct tcb_bufs *b = t->buf;
    b->sack_last_start = seq;
    b->sack_last_end = seq + len;
    struct ofo_seg **pp = &b->ofo;
    while (len) {
        while (*pp && seq_leq((*pp)->seq + (*pp)->len, seq))
            pp = &(*pp)->next;
        struct ofo_seg *next = *pp;
        if (next && seq_leq(next->seq, seq)) { /* starts inside `next`: skip the overlap */
            uint32_t skip = next->seq + next->len - seq;
            if (skip >= len) return;
            seq += skip;
            p += skip;
            len -= skip;
            continue;
        }
        uint32_t n = len; /* up to the next held segment */
        if (next && seq_lt(next->seq, seq + n)) n = next->seq - seq;
        if (b->ofo_bytes + n > st->cfg.reasm_bytes) {
            st->stats.OfoDrops++;
            return;
        }
        if (!mem_charge(st, ofo_cost(n), false)) {
            st->stats.OfoDrops++;
            st->stats.BufferLimitDrops++;
            return;
        }
        struct ofo_seg *s = malloc(sizeof *s + n);
        if (!s) {
            mem_uncharge(st, ofo_cost(n));
            st->stats.OfoDrops++;
            return;
        }
        s->seq = seq;
        s->len = n;
        memcpy(s->data, p, n);
        s->next = next;
        *pp = s;
        b->ofo_bytes += n;
        pp = &s->next;
        seq += n;
        p += n;
        len -= n;
    }
}

/* Move what became in-order from the reassembly queue into the receive buffer. The ring may
 * grow past the stack's limit for it: the segment's own memory is given back at once. */
static void ofo_pull(struct tcpfsm_stack *st, struct tcb *t)
{
    struct tcb_bufs *b = t->buf;
    while (b->ofo && seq_leq(b->ofo->seq, t->rcv_nxt)) {
        struct ofo_seg *s = b->ofo;
        uint32_t skip = t->rcv_nxt - s->seq;
        uint32_t end = s->seq + s->len;
        if (b->fin_held && seq_gt(end, b->fin_seq)) end = b->fin_seq; /* nothing after a FIN */
        if (seq_lt(t->rcv_nxt, end)) {
            uint32_t want = end - t->rcv_nxt;
            if (ring_make_room(st, &b->rcv, want, st->cfg.rcvbuf, &b->rcv_shift, true) < want)
                break; /* cannot happen: the window bounded it */
            uint32_t n = ring_write(&b->rcv, s->data + skip, want);
            t->rcv_nxt += n;
            b->bytes_received += n;
        }
        b->ofo = s->next;
        b->ofo_bytes -= s->len;
        mem_uncharge(st, ofo_cost(s->len));
        free(s);
    }
}

/* --------------------------------------------------------- data for actions ---- */

/* RFC 9293 3.10.7.4 seventh: deliver in-order text, hold out-of-order text, ACK. */
static void take_text(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *seg)
{
    if (!seg->len) return;
    if (t->flags & TF_RD_SHUT) { /* reader gone: consume and drop */
        if (seg->seq == t->rcv_nxt) t->rcv_nxt += seg->len;
        t->flags |= TF_ACK_NOW;
        return;
    }
    if (seg->seq != t->rcv_nxt) {
        ofo_insert(st, t, seg->seq, seg->data, seg->len);
        /* RFC 5681 4.2: an out-of-order segment gets an immediate (duplicate) ACK. */
        t->flags |= TF_ACK_NOW;
        return;
    }
    /* At the stack's buffer limit only part (or none) of the text may fit: the rest is
     * dropped, counted, and the peer learns at once how far we got. A segment that finds
     * nothing unread is always taken (mem.c: every connection keeps moving; Linux's
     * tcp_data_queue does the same). */
    struct tcb_bufs *b = t->buf;
    uint32_t room = ring_make_room(st, &b->rcv, seg->len, st->cfg.rcvbuf, &b->rcv_shift, false);
    if (room < seg->len && !b->rcv.len)
        room = ring_make_room(st, &b->rcv, seg->len, st->cfg.rcvbuf, &b->rcv_shift, true);
    uint32_t n = ring_write(&b->rcv, seg->data, room);
    t->rcv_nxt += n;
    b->bytes_received += n;
    if (n < seg->len) {
        st->stats.BufferLimitDrops++;
        t->flags |= TF_ACK_NOW;
        return;
    }
    if (b->ofo) {
        ofo_pull(st, t);
        t->flags |= TF_ACK_NOW; /* RFC 5681 4.2: filling a hole is ACKed at once */
        return;
    }
    /* RFC 9293 3.8.6.3 / RFC 1122 4.2.3.2: delay the ACK, but ACK at least every second
     * full-sized segment and within cfg.delack_us (<= 200 ms here, < 500 ms required). */
    if (tcb_timer_armed(t, TMR_DELACK))
        t->flags |= TF_ACK_NOW;
    else
        tcb_timer_set(st, t, TMR_DELACK, st->cfg.delack_us);
}

/* The text of an acceptable segment (trimmed to the window by tcp_conn_input), and its FIN if
 * text before the FIN is still missing: RFC 9293 3.10.7.4 eighth takes a FIN only in
 * sequence, and a FIN that came early would otherwise be lost until the peer sends it again
 * (after its retransmission timeout, as nothing else tells it to). It is remembered instead,
 * like the out-of-order text beside it, and counts once RCV.NXT reaches it (conn_rest). Text
 * beyond a FIN is no part of the stream and is not taken. */
void tcp_data_input(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *seg)
{
    if (!seg || !t->buf) return;
    struct tcb_bufs *b = t->buf;
    struct tcp_seg s = *seg;
    if (b->fin_held && seq_gt(s.seq + s.len, b->fin_seq)) {
        s.len = seq_gt(b->fin_seq, s.seq) ? b->fin_seq - s.seq : 0;
        s.flags &= (uint8_t)~TCP_FIN;
        t->flags |= TF_ACK_NOW; /* the peer learns where its stream ends for us */
    }
    take_text(st, t, &s);
    if ((s.flags & TCP_FIN) && !b->fin_held && seq_gt(s.seq + s.len, t->rcv_nxt)) {
        b->fin_held = true;
        b->fin_seq = s.seq + s.len;
        t->flags |= TF_ACK_NOW; /* RFC 5681 4.2: an out-of-order segment is ACKed at once */
    }
}

/* RFC 9293 3.10.7.2 third ("any other control or text should be queued for processing
 * later") and 3.10.7.3 fourth: the text of a SYN waits in the reassembly queue at RCV.NXT
 * (our SYN-ACK acknowledges only the SYN) until the connection can take text: conn_rest then
 * processes it as the text of the segment at hand. A listener's new connection gets its
 * data-path block for it now; what does not fit the window we offer, the reassembly budget or
 * the stack's memory is dropped, and the peer sends it again. (A SYN cookie keeps nothing, RFC
 * 4987 3.6: there the peer sends its text again after the handshake.) */
void tcp_queue_syn_text(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *syn)
{
    if (!syn->len || (!t->buf && tcb_alloc_bufs(st, t))) return;
    uint32_t wnd = tcp_rcv_window(st, t);
    if (wnd) ofo_insert(st, t, syn->seq + 1, syn->data, syn->len < wnd ? syn->len : wnd);
}

/* Text in the reassembly queue that reaches RCV.NXT without having been taken: the SYN's,
 * queued until the connection could take text (tcp_queue_syn_text). As a segment of its own,
 * from RCV.NXT on. */
static bool queued_text(const struct tcb *t, struct tcp_seg *out)
{
    const struct ofo_seg *s = t->buf ? t->buf->ofo : NULL;
    if (!s || seq_gt(s->seq, t->rcv_nxt) || seq_leq(s->seq + s->len, t->rcv_nxt)) return false;
    uint32_t skip = t->rcv_nxt - s->seq;
    memset(out, 0, sizeof *out);
    out->flags = TCP_ACK;
    out->seq = t->rcv_nxt;
    out->data = s->data + skip;
    out->len = s->len - skip;
    return true;
}

/* RFC 2018 / RFC 6675 4: record the peer's SACK blocks above SND.UNA in the scoreboard
 * (sorted, merged; when more ranges exist than fit, the lowest are kept: they border the
 * holes that SND.UNA waits for). */
static void sack_update(struct tcb *t, const struct tcp_seg *seg)
{
    struct tcb_bufs *b = t->buf;
    for (int i = 0; i < seg->opt.nsack; i++) {
        uint32_t start = seg->opt.sack[i].start, end = seg->opt.sack[i].end;
        /* D-SACK or stale: clip to what is still unacknowledged (an old, reordered ACK is
         * below SND.UNA, and so would be its clipped block) */
        uint32_t lo = seq_max(seg->ack, t->snd_una);
        if (seq_lt(start, lo)) start = lo;
        if (seq_gt(end, t->snd_max) || !seq_lt(start, end)) continue;
        struct tcp_sack_block nb = {start, end}, out[TCP_MAX_SACK + 1];
        int n = 0;
        bool placed = false;
        for (int k = 0; k < b->nsacked; k++) {
            struct tcp_sack_block cur = b->sacked[k];
            if (seq_lt(cur.end, nb.start)) {
                out[n++] = cur;
                continue;
            }
            if (seq_lt(nb.end, cur.start)) {
                if (!placed) {
                    out[n++] = nb;
                    placed = true;
                }
                out[n++] = cur;
                continue;
            }
            nb.start = seq_min(nb.start, cur.start); /* overlapping or adjacent: merge */
            nb.end = seq_max(nb.end, cur.end);
        }
        if (!placed) out[n++] = nb;
        if (n > TCP_MAX_SACK) n = TCP_MAX_SACK;
        memcpy(b->sacked, out, sizeof out[0] * (size_t)n);
        b->nsacked = (uint8_t)n;
    }
}

/* Drop scoreboard ranges at or below the new SND.UNA. */
static void sack_prune(struct tcb *t)
{
    struct tcb_bufs *b = t->buf;
    int n = 0;
    for (int k = 0; k < b->nsacked; k++) {
        struct tcp_sack_block c = b->sacked[k];
        if (seq_leq(c.end, t->snd_una)) continue;
        if (seq_lt(c.start, t->snd_una)) c.start = t->snd_una;
        b->sacked[n++] = c;
    }
    b->nsacked = (uint8_t)n;
    if (seq_lt(b->high_rxt, t->snd_una)) b->high_rxt = t->snd_una;
}

/* RFC 9293 3.10.7.4 fifth: ACK processing in the synchronized states. */
void tcp_ack_input(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *seg)
{
    if (!seg) return;
    uint32_t ack = seg->ack;
    /* RFC 7323 2.2: the window field of a SYN (here the SYN-ACK) is never scaled. */
    uint32_t wnd = (seg->flags & TCP_SYN) ? seg->wnd : (uint32_t)seg->wnd << t->snd_wscale;
    bool advanced = seq_lt(t->snd_una, ack) && seq_leq(ack, t->snd_max);
    if ((t->flags & TF_SACK) && seg->opt.nsack && t->buf && seq_leq(ack, t->snd_max))
        sack_update(t, seg);
    if (advanced) {
        uint32_t acked = ack - t->snd_una;
        uint32_t flight = t->snd_max - t->snd_una;
        uint32_t data = t->buf ? t->buf->snd.len : 0;
        if (t->buf) {
            ring_drop(&t->buf->snd, acked < data ? acked : data);
            t->buf->bytes_acked += acked < data ? acked : data;
            if (!t->buf->snd.len) ring_release(st, &t->buf->snd); /* all acknowledged */
        }
        if ((t->flags & TF_FIN_SENT) && acked > data) t->flags |= TF_FIN_ACKED;
        t->snd_una = ack;
        if (t->buf) t->buf->soft_err = 0; /* something got through (Linux's tcp_ack) */
        if (seq_lt(t->snd_nxt, t->snd_una)) t->snd_nxt = t->snd_una;
        if (t->buf) sack_prune(t);
        t->retries = 0;
        t->una_since_ms = t->snd_una == t->snd_max ? 0 : stack_ms(st) | 1u;
        /* RTT sample: RFC 7323 4.1 from the echoed timestamp, else RFC 6298 3 (Karn) from
         * the one timed segment if it was not retransmitted. */
        if ((t->flags & TF_TS) && seg->opt.has_ts && seg->opt.tsecr) {
            uint32_t r = stack_ms(st) - seg->opt.tsecr;
            if (r < 3600u * 1000u)
                rtt_sample(&t->rtt, r * 1000u, st->cfg.rto_min_us, st->cfg.rto_max_us);
        } else if ((t->flags & TF_RTT_TIMING) && seq_geq(ack, t->rtt_seq)) {
            if (!(t->flags & TF_RETRANSMIT))
                rtt_sample(&t->rtt, (stack_ms(st) - t->rtt_ts) * 1000u, st->cfg.rto_min_us,
                           st->cfg.rto_max_us);
            t->flags &= (uint16_t)~TF_RTT_TIMING;
        }
        t->flags &= (uint16_t)~TF_RETRANSMIT;
        enum cc_verdict v = cc_on_ack(&t->u.cc, ack, acked, t->snd_nxt, flight, stack_ms(st));
        /* RFC 6582 3.2 step 4: a partial ACK retransmits the next hole. With SACK, the hole
         * RFC 6675 5 NextSeg picks: the first above HighRxt (rule 1.a), never again one already
         * retransmitted in this recovery, which the segment at SND.UNA may well be. */
        if (v == CC_RETRANSMIT_FIRST && !tcp_sack_retransmit(st, t) &&
            !((t->flags & TF_SACK) && t->buf && seq_gt(t->buf->high_rxt, t->snd_una)))
            tcp_resend_una(st, t);
        /* RFC 6298 5.2/5.3: all acknowledged: stop the timer; else restart it. */
        if (t->snd_una == t->snd_max)
            tcb_timer_clear(st, t, TMR_RTX);
        else
            tcb_timer_set(st, t, TMR_RTX, rtt_current_rto(&t->rtt, st->cfg.rto_max_us));
    } else if (ack == t->snd_una && seg->len == 0 && !(seg->flags & (TCP_SYN | TCP_FIN)) &&
               t->snd_max != t->snd_una && wnd == t->snd_wnd && wnd != 0) {
        /* RFC 5681 2 (DUPLICATE ACKNOWLEDGMENT), 3.2: fast retransmit / recovery. A zero
         * window's ACKs answer window probes (RFC 9293 3.8.6.1); nothing may be sent into
         * that window, so they are not counted. */
        if (cc_on_dupack(&t->u.cc, t->snd_una, t->snd_max, t->snd_max - t->snd_una) ==
            CC_RETRANSMIT_FIRST) {
            if (t->buf) t->buf->high_rxt = t->snd_una;
            tcp_resend_una(st, t);
        } else if (t->u.cc.in_recovery) {
            /* RFC 6675 5 (NextSeg rule 1, simplified): each further duplicate ACK in
             * recovery may retransmit the next SACK hole instead of waiting an RTT. */
            tcp_sack_retransmit(st, t);
        }
    }
    /* RFC 9293 3.10.7.4 fifth: update the send window if the segment is newer. The test is
     * RFC 9293's SND.WL1/SND.WL2 rule with SND.WL2 replaced by "this ACK advanced SND.UNA, or
     * it repeats the last ACK without shrinking the window, unless it closes it" (the form
     * Linux uses in tcp_may_update_window), which needs no SND.WL2 in the TCB. */
    if (seq_lt(t->snd_wl1, seg->seq) || advanced ||
        (t->snd_wl1 == seg->seq && ack == t->snd_una && (wnd >= t->snd_wnd || wnd == 0))) {
        bool opened = t->snd_wnd == 0 && wnd > 0;
        t->snd_wnd = wnd;
        t->snd_wl1 = seg->seq;
        if (opened && tcb_timer_armed(t, TMR_PERSIST)) {
            tcb_timer_clear(st, t, TMR_PERSIST);
            t->retries = 0;
        }
        /* RFC 9293 3.8.6.1 (MUST-36, RFC 1122 4.2.2.17): "As long as the receiving TCP peer
         * continues to send acknowledgments in response to the probe segments, the sending TCP
         * peer MUST allow the connection to stay open." A window that closed with data in
         * flight is probed by the retransmission timer (tcp_retransmit_first): an ACK that
         * keeps it closed answers those probes, so they do not count towards R2 ([give_up]).
         * The timer goes on backing off (the RTO's own count, rtt.c). */
        if (wnd == 0 && tcb_timer_armed(t, TMR_RTX)) t->retries = 0;
    }
}

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

static void conn_rest(struct tcpfsm_stack *st, struct tcb *t, struct tcp_seg *seg);

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

void tcp_conn_input(struct tcpfsm_stack *st, struct tcb *t, const struct tcp_seg *in)
{
    if (t->state == TCP_FSM_SYN_SENT) {
        syn_sent_input(st, t, in);
        return;
    }
    struct tcp_seg seg = *in;
    uint32_t wnd = tcp_rcv_window(st, t); /* never less than the window advertised last */
    uint32_t seglen = seg.len + !!(seg.flags & TCP_SYN) + !!(seg.flags & TCP_FIN);

    /* RFC 7323 3.2: once both SYNs carried timestamps, "the TSopt MUST be sent in every
     * non-<RST> segment ... If a non-<RST> segment is received without a TSopt, a TCP SHOULD
     * silently drop the segment. A TCP MUST NOT abort a TCP connection because any segment
     * lacks an expected TSopt." Without one PAWS cannot tell an old duplicate from a new
     * segment. A SYN is a request for a new connection, not a segment of this one: RFC 6191 2
     * judges one without timestamps by its sequence number ([syn_reopens]), and a
     * synchronized state answers it with a challenge ACK (RFC 5961 4.2). */
    if ((t->flags & TF_TS) && !seg.opt.has_ts && !(seg.flags & (TCP_RST | TCP_SYN))) {
        st->stats.TsMissingDrops++;
        return;
    }
    /* RFC 7323 5.3 R1 (PAWS): a timestamp older than TS.Recent marks an old duplicate, answered
     * with an ACK and dropped (a RST is exempt). 5.5 and Appendix D: not once TS.Recent is more
     * than 24 days old ("If the connection has been idle more than 24 days, save SEG.TSval in
     * variable TS.Recent"): the peer's clock may have moved more than half its range since, so
     * an older-looking TSval proves nothing; the segment goes on as any other. */
    if ((t->flags & TF_TS) && seg.opt.has_ts && !(seg.flags & TCP_RST) &&
        seq_lt(seg.opt.tsval, t->ts_recent)) {
        if (!ts_recent_expired(st, t)) {
            st->stats.PawsDrops++;
            dispatch(st, t, TCP_FSM_EV_RCV_UNACCEPTABLE, &seg);
            return;
        }
        ts_recent_set(st, t, seg.opt.tsval);
    }
    /* RFC 9293 3.10.7.4 eighth: a retransmission of the peer's FIN (it ends right at RCV.NXT,
     * so the window test would call it old) means our ACK of it was lost: CLOSE-WAIT, CLOSING
     * and LAST-ACK acknowledge it again, TIME-WAIT also restarts the 2 MSL timeout. */
    if ((t->flags & TF_FIN_RCVD) &&
        (seg.flags & (TCP_FIN | TCP_ACK | TCP_RST | TCP_SYN)) == (TCP_FIN | TCP_ACK) &&
        seg.seq + seg.len + 1 == t->rcv_nxt) {
        dispatch(st, t, TCP_FSM_EV_RCV_FIN, &seg);
        return;
    }
    /* RFC 9293 3.10.7.4 first: a SYN before RCV.NXT was received already (the peer's SYN
     * again; its text, if any, queued or taken): it is old, however much text it carries, and
     * is answered as any unacceptable segment. Its text alone would pass the window test and
     * the SYN count as a new one (fourth: a passive SYN-RECEIVED would end). */
    bool old_syn = (seg.flags & TCP_SYN) && seq_lt(seg.seq, t->rcv_nxt);
    if (old_syn || !seg_acceptable(t, seg.seq, seglen, wnd)) {
        /* RFC 9293 3.10.7.4 first: "If the RCV.WND is zero, no segments will be acceptable,
         * but special allowance should be made to accept valid ACKs, URGs, and RSTs." A
         * segment that reaches RCV.NXT is taken for its control bits and its ACK; its text
         * (and FIN), all past the window, is trimmed below, and the ACK that answers it
         * repeats the zero window. */
        bool zero_window_allowance = !old_syn && wnd == 0 && seq_leq(seg.seq, t->rcv_nxt) &&
                                     seq_geq(seg.seq + seglen, t->rcv_nxt);
        if (!zero_window_allowance) {
            st->stats.OutOfWindowDrops++;
            /* RFC 9293 3.10.7.4 first: an unacceptable RST is dropped without reply. */
            if (!(seg.flags & TCP_RST)) dispatch(st, t, TCP_FSM_EV_RCV_UNACCEPTABLE, &seg);
            return;
        }
        st->stats.OutOfWindowDrops += seg.len != 0; /* its text is refused all the same */
    }
    if (seg.flags & TCP_RST) {
        dispatch(st, t, TCP_FSM_EV_RCV_RST, &seg);
        return;
    }
    if (seg.flags & TCP_SYN) {
        dispatch(st, t, TCP_FSM_EV_RCV_SYN, &seg);
        return;
    }
    /* RFC 9293 3.10.7.4 fifth: "if the ACK bit is off, drop the segment and return". */
    if (!(seg.flags & TCP_ACK)) return;
    /* Trim to the window: text before RCV.NXT was received already, text past the right
     * edge does not fit (RFC 9293 3.10.7.4 first, "trimmed"). */
    if (seq_lt(seg.seq, t->rcv_nxt)) {
        uint32_t cut = t->rcv_nxt - seg.seq;
        if (cut > seg.len) { /* the FIN, too, was received already */
            cut = seg.len;
            seg.flags &= (uint8_t)~TCP_FIN;
        }
        seg.data += cut;
        seg.len -= cut;
        seg.seq += cut;
    }
    if (seg.len > wnd - (seg.seq - t->rcv_nxt)) {
        seg.len = wnd - (seg.seq - t->rcv_nxt);
        seg.flags &= (uint8_t)~TCP_FIN; /* the FIN is past the window */
        t->flags |= TF_ACK_NOW;
    }
    /* RFC 9293 3.10.7.4 fifth / RFC 5961 5.2: an ACK is acceptable only within
     * [SND.UNA - MAX.SND.WND, SND.NXT]; MAX.SND.WND is bounded here by the largest window the
     * peer can express (65535 << Snd.Wind.Shift). Outside: ACK it and drop the segment. */
    if (seq_gt(seg.ack, t->snd_max) || seq_lt(seg.ack, t->snd_una - (65535u << t->snd_wscale))) {
        dispatch(st, t, TCP_FSM_EV_RCV_BAD_ACK, &seg);
        return;
    }
    /* RFC 7323 4.3 (2): "If: SEG.TSval >= TS.Recent and SEG.SEQ <= Last.ACK.sent then
     * SEG.TSval is copied to TS.Recent; otherwise, it is ignored." Last.ACK.sent, not RCV.NXT:
     * while an ACK is delayed RCV.NXT has moved past the segments it will acknowledge, and it
     * echoes the earliest of them (4.3 (A)); a segment beyond a hole never qualifies (B), the
     * one that fills it does (C). SEG.SEQ as the segment came, before trimming. */
    uint32_t last_ack_sent = t->buf ? t->buf->last_ack_sent : t->rcv_nxt;
    if ((t->flags & TF_TS) && seg.opt.has_ts && seq_leq(in->seq, last_ack_sent) &&
        seq_geq(seg.opt.tsval, t->ts_recent))
        ts_recent_set(st, t, seg.opt.tsval);
    dispatch(st, t, TCP_FSM_EV_RCV_ACK, &seg);
    if (t->flags & TF_DEAD) return;
    /* A passive open that found no buffer budget (`established` set ENOBUFS): refuse. Other
     * TCBs may lack buffers on purpose (TIME_WAIT gave them back in arm_2msl). */
    if (!t->buf && t->err == ENOBUFS) {
        st->stats.BufferLimitDrops++;
        dispatch(st, t, TCP_FSM_EV_APP_ABORT, NULL);
        return;
    }
    conn_rest(st, t, &seg);
}

/* The text and FIN of an acceptable segment, after its ACK (RFC 9293 3.10.7.4 sixth-eighth). */
static void conn_rest(struct tcpfsm_stack *st, struct tcb *t, struct tcp_seg *segp)
{
    const struct tcp_seg *sp = segp; /* the caller's own (trimmed) copy: no second copy */
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
    if (queued_text(t, &queued)) dispatch(st, t, TCP_FSM_EV_RCV_DATA, &queued);
    if (t->flags & TF_DEAD) return;
    /* eighth: the FIN counts once every byte before it has arrived (RFC 9293 3.10.7.4 processes
     * segments in sequence): this segment's, or one that came early and was held */
    bool fin_here = (sp->flags & TCP_FIN) && sp->seq + sp->len == t->rcv_nxt;
    bool fin_held = t->buf && t->buf->fin_held && t->buf->fin_seq == t->rcv_nxt;
    if ((fin_here || fin_held) && !(t->flags & TF_FIN_RCVD))
        dispatch(st, t, TCP_FSM_EV_RCV_FIN, sp);
    else if ((sp->flags & TCP_FIN) && (t->flags & TF_FIN_RCVD) &&
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

/* A datagram of another protocol than TCP, its IP header valid: for our address from a
 * source a host may answer (the checks TCP's segments pass in tcpfsm_input), then ICMP, or
 * protocol unreachable. Not TCP segments: InSegs and InErrs do not count them. */
static int ip_other_input(struct tcpfsm_stack *st, const uint8_t *ip, const struct ip_hdr *h)
{
    /* not ours: a broadcast too, which RFC 1122 3.2.2 never answers with an error */
    if (h->daddr != st->cfg.addr) return -EINVAL;
    if (ip_martian_source(h->saddr, st->cfg.addr, st->cfg.prefix_len)) {
        st->stats.InMartians++; /* RFC 1122 3.2.1.3, as for TCP below */
        return -EINVAL;
    }
    if (h->proto == IPPROTO_ICMP_NUM) return icmp_input(st, ip, h);
    return icmp_unknown_protocol(st, ip, h);
}

int tcpfsm_input(struct tcpfsm_stack *st, const void *packet, size_t len)
{
    if (!st || (!packet && len)) return -EINVAL;
    struct tcp_seg seg;
    struct ip_hdr ih;
    /* RFC 791 3.1: an IPv4 datagram is at most 65535 octets; a longer buffer is not one
     * (shorter link padding after the total length is ignored by ip_parse). */
    enum pkt_status ps = len > 65535u ? PKT_ERR_IP_LEN : ip_parse(packet, len, &ih);
    /* The IP layer's dispatch: TCP below, ICMP and the protocols we do not speak in ip/. */
    if (ps == PKT_OK && ih.proto != IPPROTO_TCP_NUM) return ip_other_input(st, packet, &ih);
    st->stats.InSegs++;
    if (ps == PKT_OK) ps = tcp_parse(packet, &ih, &seg);
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
    else {
        tcp_output(st, t);
        if (!tw_settle(st, t)) syn_settle(st, t);
    }
    return 0;
}
