/*
 * tcp_rcv.c — what the actions do with a segment's acknowledgment and text: ACK processing
 * (SND.UNA, SACK scoreboard, RTT samples, congestion control, fast retransmit) and in-order /
 * out-of-order data delivery. Below tcp_fsm_glue.c: it dispatches no events.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "seq.h"
#include "tcp_layer.h"
#include "tcp.h"

/* ------------------------------------------------------ reassembly queue ---- */

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
bool tcp_queued_text(const struct tcb *t, struct tcp_seg *out)
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
