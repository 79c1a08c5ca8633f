/*
 * tcp_output.c — building and sending segments: SYN/SYN-ACK with options, data within the
 * send window (Nagle, sender SWS avoidance), FIN after the data, ACKs with SACK blocks and
 * timestamps, RST replies, retransmission and window probes.
 */
#include <string.h>
#include "checksum.h"
#include "seq.h"
#include "tcp_layer.h"
#include "tcp.h"

/* The receive window we offer: what the receive buffer may still take (all of cfg.rcvbuf
 * less the unread bytes, or under memory pressure the connection's fair share, mem.c), but
 * never less than what the last advertisement promised: RFC 9293 3.8.6 (SHLD-14) "A TCP
 * receiver SHOULD NOT shrink the window, i.e., move the right window edge to the left". */
static inline uint32_t rcv_window(const struct tcpfsm_stack *st, const struct tcb *t)
{
    uint32_t w = mem_allowance(st, t, t->buf ? &t->buf->rcv : NULL, st->cfg.rcvbuf);
    if (seq_gt(t->rcv_adv, t->rcv_nxt) && t->rcv_adv - t->rcv_nxt > w) w = t->rcv_adv - t->rcv_nxt;
    uint32_t maxw = 65535u << t->rcv_wscale;
    return w > maxw ? maxw : w;
}

/* The exported form, for the input path and the socket calls; this file's per-segment
 * callers use the inline one above. */
uint32_t tcp_rcv_window(const struct tcpfsm_stack *st, const struct tcb *t)
{
    return rcv_window(st, t);
}

/* RFC 9293 3.8.6.2.2 (MUST-39), receiver SWS avoidance: the right edge RCV.NXT+RCV.WND moves
 * only by at least min(Fr * RCV.BUFF, Eff.snd.MSS), Fr = 1/2; the amount below that is
 * "reduction", kept back. tcpfsm_recv announces a reopened window by the same rule. */
uint32_t tcp_rcv_sws_thresh(const struct tcpfsm_stack *st, const struct tcb *t)
{
    uint32_t mss = t->u.cc.mss ? t->u.cc.mss : 536;
    return st->cfg.rcvbuf / 2 < mss ? st->cfg.rcvbuf / 2 : mss;
}

/* The window field of a segment that is not a SYN: the free space, unless its right edge
 * would pass the advertised one (rcv_adv) by less than the threshold; then the advertised
 * edge again, rounded up to the scale when the buffer has room for that (RFC 7323 2.4: the
 * rounding would otherwise retract it by less than 2^Rcv.Wind.Shift). */
__attribute__((always_inline)) static inline uint16_t
rcv_window_field(const struct tcpfsm_stack *st, const struct tcb *t)
{
    uint32_t free = rcv_window(st, t), w = free;
    uint32_t held = seq_gt(t->rcv_adv, t->rcv_nxt) ? t->rcv_adv - t->rcv_nxt : 0;
    if (free > held && free - held < tcp_rcv_sws_thresh(st, t)) {
        uint32_t unit = (uint32_t)1 << t->rcv_wscale;
        uint32_t up = held + (unit - held % unit) % unit;
        w = up <= free ? up : held;
    }
    w >>= t->rcv_wscale;
    return (uint16_t)(w > 65535u ? 65535u : w);
}

/* The contiguous out-of-order range (adjacent held segments merged) that contains seq. */
static bool ofo_range(const struct tcb_bufs *b, uint32_t seq, struct tcp_sack_block *out)
{
    for (const struct ofo_seg *s = b->ofo; s; s = s->next) {
        uint32_t start = s->seq, end = s->seq + s->len;
        while (s->next && s->next->seq == end) {
            s = s->next;
            end = s->seq + s->len;
        }
        if (seq_leq(start, seq) && seq_lt(seq, end)) {
            *out = (struct tcp_sack_block){start, end};
            return true;
        }
    }
    return false;
}

static bool have_block(const struct tcp_sack_block *blk, int n, uint32_t start)
{
    for (int i = 0; i < n; i++)
        if (blk[i].start == start) return true;
    return false;
}

/* RFC 2018 4: the first block MUST hold the segment that arrived last; the others SHOULD
 * repeat the most recently reported blocks (b->sack_hist), so each block is reported in
 * several ACKs even when more ranges exist than fit; the rest follow in sequence order. */
static void put_sack_blocks(struct tcb *t, struct tcp_opts *o)
{
    if (!(t->flags & TF_SACK) || !t->buf || !t->buf->ofo) return;
    struct tcb_bufs *b = t->buf;
    struct tcp_sack_block blk[TCP_MAX_SACK], r;
    int n = 0;
    if (b->sack_last_end != b->sack_last_start && ofo_range(b, b->sack_last_start, &r))
        blk[n++] = r;
    for (int h = 0; h < 3 && n < TCP_MAX_SACK; h++)
        if (b->sack_hist_n > h && ofo_range(b, b->sack_hist[h], &r) && !have_block(blk, n, r.start))
            blk[n++] = r;
    for (const struct ofo_seg *s = b->ofo; s && n < TCP_MAX_SACK; s = s->next) {
        uint32_t start = s->seq, end = s->seq + s->len;
        while (s->next && s->next->seq == end) {
            s = s->next;
            end = s->seq + s->len;
        }
        if (!have_block(blk, n, start)) blk[n++] = (struct tcp_sack_block){start, end};
    }
    /* pkt_build trims blocks that do not fit in 40 option bytes (3 with timestamps). */
    int sent = (t->flags & TF_TS) ? (n < 3 ? n : 3) : n;
    for (int i = 0; i < sent && i < 3; i++)
        b->sack_hist[i] = blk[i].start;
    b->sack_hist_n = (uint8_t)(sent < 3 ? sent : 3);
    memcpy(o->sack, blk, sizeof blk[0] * (size_t)n);
    o->nsack = (uint8_t)n;
}

/* RFC 9293 3.7.1 and RFC 6691 2: a segment's text leaves room for every option the segment
 * carries (timestamps, SACK blocks, anything added later). The MSS the peer announced (t's
 * u.cc.mss, clamped to our MTU) counts no options, so the text is at most that less the
 * option bytes: the one place that decides how much text a segment may carry, so that no
 * segment, first transmission or retransmission, exceeds the path MTU. */
static uint32_t room_less(const struct tcb *t, uint32_t olen)
{
    uint32_t mss = t->u.cc.mss ? t->u.cc.mss : 536u; /* RFC 9293 3.7.1 default (MUST-15) */
    return mss > olen ? mss - olen : 0;
}

uint32_t tcp_payload_room(const struct tcb *t, const struct tcp_opts *o)
{
    return room_less(t, (uint32_t)tcp_opts_len(o));
}

/* The room of a data segment that carries only the options every one of them carries (the
 * timestamps): the unit in which the sender sizes segments (Nagle, SWS avoidance). Every
 * tcp_output asks, so the timestamps' length is the constant tcp_opts_len gives for them
 * (test_packet pins TCP_OPTLEN_TS to it). */
static inline uint32_t effective_mss(const struct tcb *t)
{
    return room_less(t, (t->flags & TF_TS) ? TCP_OPTLEN_TS : 0);
}

uint32_t tcp_effective_mss(const struct tcb *t)
{
    return effective_mss(t);
}

/* What every segment sent on a connection does after it is built (n bytes at st->out): the
 * window it announced is the new right edge, it acknowledged what there was (no delayed ACK
 * pending), the counters, and out it goes. */
__attribute__((always_inline)) static inline void seg_sent(struct tcpfsm_stack *st, struct tcb *t,
                                                           uint8_t flags, uint32_t seq,
                                                           uint32_t len, uint32_t ack, uint16_t wnd,
                                                           size_t n)
{
    if (flags & TCP_ACK) {
        uint32_t edge = t->rcv_nxt + ((uint32_t)wnd << ((flags & TCP_SYN) ? 0 : t->rcv_wscale));
        if (seq_gt(edge, t->rcv_adv) || (flags & TCP_SYN)) t->rcv_adv = edge;
        t->flags &= (uint16_t)~TF_ACK_NOW;
        if (tcb_timer_armed(t, TMR_DELACK)) tcb_timer_clear(st, t, TMR_DELACK);
        if (t->buf) t->buf->last_ack_sent = ack; /* RFC 7323 4.3 Last.ACK.sent */
    }
    if (flags & TCP_RST) st->stats.OutRsts++;
    /* a repeated SYN is counted by the retransmit action (simultaneous open repeats the ISS
     * in its SYN-ACK without retransmitting anything) */
    if (seq_lt(seq, t->snd_max) && (len || (flags & TCP_FIN)) && !(flags & TCP_SYN)) {
        st->stats.RetransSegs++;
        if (t->buf) t->buf->retransmits++;
    } else if (len && t->buf) {
        t->buf->bytes_sent += len;
    }
    st->stats.OutSegs++;
    st->cfg.output(st->cfg.output_arg, st->out, n);
}

/* RFC 9293 3.7.1: text beyond the room the segment's options leave is cut (the first
 * len - tail_len bytes are the head, the rest the tail); a FIN after it, and PSH, then wait
 * for the segment that carries the end. */
__attribute__((always_inline)) static inline void cut_to_room(uint32_t room, uint32_t *len,
                                                              uint32_t *tail_len, uint8_t *flags)
{
    if (*len <= room) return;
    uint32_t head = *len - *tail_len;
    *len = room;
    *tail_len = room > head ? room - head : 0;
    *flags = (uint8_t)(*flags & ~(TCP_FIN | TCP_PSH));
}

/* After the build: n bytes at st->out, or 0 if it did not fit. Returns the text sent. */
__attribute__((always_inline)) static inline uint32_t
seg_built(struct tcpfsm_stack *st, struct tcb *t, uint8_t flags, uint32_t seq, uint32_t len,
          uint32_t ack, uint16_t wnd, size_t n, bool *fin_sent)
{
    if (fin_sent) *fin_sent = n && (flags & TCP_FIN);
    if (!n) return 0;
    seg_sent(st, t, flags, seq, len, ack, wnd, n);
    return len;
}

/* emit_seg for a segment that carries no SYN options and no SACK blocks (what an established
 * connection sends, RSTs included): its header goes from the TCB straight to pkt_build_plain
 * (same bytes as through pkt_build3; test_packet pins the two). */
static uint32_t emit_plain(struct tcpfsm_stack *st, struct tcb *t, uint8_t flags, uint32_t seq,
                           const uint8_t *payload, uint32_t len, const uint8_t *tail,
                           uint32_t tail_len, bool *fin_sent)
{
    struct tcp_plain_seg s = {.saddr = t->laddr,
                              .daddr = t->raddr,
                              .sport = t->lport,
                              .dport = t->rport,
                              .seq = seq,
                              .ack = (flags & TCP_ACK) ? t->rcv_nxt : 0,
                              .wnd = (flags & TCP_RST) ? 0 : rcv_window_field(st, t),
                              .data = payload};
    if (t->flags & TF_TS) {
        s.has_ts = true;
        s.tsval = stack_ms(st);
        s.tsecr = t->ts_recent;
    }
    /* tcp_payload_room for these options is effective_mss */
    cut_to_room(effective_mss(t), &len, &tail_len, &flags);
    s.flags = flags;
    s.len = len;
    size_t n = pkt_build_plain(st->out, sizeof st->out, &s, st->ip_id++, tail, tail_len,
                               st->cfg.flags & TCPFSM_F_CSUM_OFFLOAD);
    return seg_built(st, t, flags, seq, len, s.ack, s.wnd, n, fin_sent);
}

/* Send one segment of this connection: `len` bytes of text, the first len - tail_len at
 * `payload`, the rest at `tail` (a wrapped ring's two halves). The text is cut to what the
 * segment's options leave room for (tcp_payload_room), a FIN after it then waits for the next
 * segment. Returns the bytes of text sent; *fin_sent says whether the FIN went too. */
static uint32_t emit_seg(struct tcpfsm_stack *st, struct tcb *t, uint8_t flags, uint32_t seq,
                         const uint8_t *payload, uint32_t len, const uint8_t *tail,
                         uint32_t tail_len, bool *fin_sent)
{
    /* put_sack_blocks' own test: whether the segment would carry SACK blocks */
    bool sack = (t->flags & TF_SACK) && t->buf && t->buf->ofo;
    if (!(flags & TCP_SYN) && (!sack || (flags & TCP_RST)))
        return emit_plain(st, t, flags, seq, payload, len, tail, tail_len, fin_sent);
    struct tcp_seg s;
    memset(&s, 0, sizeof s);
    s.saddr = t->laddr;
    s.daddr = t->raddr;
    s.sport = t->lport;
    s.dport = t->rport;
    s.seq = seq;
    s.flags = flags;
    s.data = payload;
    s.len = len;
    if (flags & TCP_ACK) s.ack = t->rcv_nxt;
    if (!(flags & TCP_RST)) {
        if (flags & TCP_SYN) {
            /* RFC 7323 2.2: the window in a SYN is not scaled. */
            uint32_t wnd = rcv_window(st, t);
            s.wnd = (uint16_t)(wnd > 65535u ? 65535u : wnd);
            const uint32_t f = st->cfg.flags;
            bool reply = flags & TCP_ACK;
            s.opt.has_mss = 1;
            s.opt.mss = tcb_mss_limit(st, t); /* TCPFSM_OPT_MAXSEG */
            /* RFC 7323 2.2/3.2 and RFC 2018 2: a SYN-ACK only echoes what the SYN offered. */
            if (!(f & TCPFSM_F_NO_WSCALE) && (!reply || (t->flags & TF_WSCALE))) {
                s.opt.has_wscale = 1;
                s.opt.wscale = t->rcv_wscale;
            }
            if (!(f & TCPFSM_F_NO_SACK) && (!reply || (t->flags & TF_SACK))) s.opt.sack_ok = 1;
            if (!(f & TCPFSM_F_NO_TIMESTAMPS) && (!reply || (t->flags & TF_TS))) {
                s.opt.has_ts = 1;
                s.opt.tsval = stack_ms(st);
                s.opt.tsecr = reply ? t->ts_recent : 0;
            }
        } else {
            s.wnd = rcv_window_field(st, t);
            if (t->flags & TF_TS) {
                s.opt.has_ts = 1;
                s.opt.tsval = stack_ms(st);
                s.opt.tsecr = t->ts_recent;
            }
            put_sack_blocks(t, &s.opt);
        }
    } else if (t->flags & TF_TS) {
        s.opt.has_ts = 1;
        s.opt.tsval = stack_ms(st);
        s.opt.tsecr = t->ts_recent;
    }
    if (len) cut_to_room(tcp_payload_room(t, &s.opt), &len, &tail_len, &flags);
    s.len = len;
    s.flags = flags;
    size_t n = pkt_build3(st->out, sizeof st->out, &s, st->ip_id++, tail, tail_len,
                          st->cfg.flags & TCPFSM_F_CSUM_OFFLOAD);
    return seg_built(st, t, flags, seq, len, s.ack, s.wnd, n, fin_sent);
}

/* A segment without text. */
static void emit(struct tcpfsm_stack *st, struct tcb *t, uint8_t flags, uint32_t seq)
{
    emit_seg(st, t, flags, seq, NULL, 0, NULL, 0, NULL);
}

static void arm_rtx(struct tcpfsm_stack *st, struct tcb *t)
{
    if (!tcb_timer_armed(t, TMR_RTX))
        tcb_timer_set(st, t, TMR_RTX, rtt_current_rto(&t->rtt, st->cfg.rto_max_us));
}

void tcp_send_syn(struct tcpfsm_stack *st, struct tcb *t, bool with_ack)
{
    uint32_t iss = t->snd_una; /* before the SYN is acknowledged SND.UNA = ISS */
    emit(st, t, with_ack ? (TCP_SYN | TCP_ACK) : TCP_SYN, iss);
    t->snd_nxt = iss + 1;
    if (seq_lt(t->snd_max, t->snd_nxt)) t->snd_max = t->snd_nxt;
    if (!(t->flags & (TF_RTT_TIMING | TF_RETRANSMIT))) {
        t->flags |= TF_RTT_TIMING;
        t->rtt_seq = t->snd_nxt;
        t->rtt_ts = stack_ms(st);
    }
    tcb_timer_set(st, t, TMR_RTX, rtt_current_rto(&t->rtt, st->cfg.rto_max_us));
}

void tcp_send_fin(struct tcpfsm_stack *st, struct tcb *t)
{
    bool fin_sent = false;
    emit_seg(st, t, TCP_FIN | TCP_ACK, t->snd_nxt, NULL, 0, NULL, 0, &fin_sent);
    if (!fin_sent) return;
    t->snd_nxt++;
    t->flags |= TF_FIN_SENT;
    if (seq_lt(t->snd_max, t->snd_nxt)) t->snd_max = t->snd_nxt;
    arm_rtx(st, t);
}

/* A SYN-ACK for a TCB that is not kept (SYN cookie): no timer, no state. */
void tcp_send_syn_ack_stateless(struct tcpfsm_stack *st, struct tcb *tmp)
{
    emit(st, tmp, TCP_SYN | TCP_ACK, tmp->snd_una);
}

void tcp_send_ctl(struct tcpfsm_stack *st, struct tcb *t, uint8_t flags, uint32_t seq)
{
    emit(st, t, flags, seq);
}

/* RFC 9293 3.10.7.1 (and 3.10.7.2/3.10.7.3 for ACKs in LISTEN/SYN-SENT): never answer a RST;
 * if the segment has ACK, <SEQ=SEG.ACK><CTL=RST>; else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
 * where SEG.LEN counts SYN and FIN. */
void tcp_send_rst_reply(struct tcpfsm_stack *st, const struct tcp_seg *in)
{
    if (!in || (in->flags & TCP_RST)) return;
    struct tcp_seg s;
    memset(&s, 0, sizeof s);
    s.saddr = in->daddr;
    s.daddr = in->saddr;
    s.sport = in->dport;
    s.dport = in->sport;
    if (in->flags & TCP_ACK) {
        s.seq = in->ack;
        s.flags = TCP_RST;
    } else {
        s.seq = 0;
        s.ack = in->seq + in->len + !!(in->flags & TCP_SYN) + !!(in->flags & TCP_FIN);
        s.flags = TCP_RST | TCP_ACK;
    }
    size_t n = pkt_build3(st->out, sizeof st->out, &s, st->ip_id++, NULL, 0,
                          st->cfg.flags & TCPFSM_F_CSUM_OFFLOAD);
    if (!n) return;
    st->stats.OutRsts++;
    st->stats.OutSegs++;
    st->cfg.output(st->cfg.output_arg, st->out, n);
}

/* Send [seq, seq+len) of the send buffer (seq >= SND.UNA), with FIN if `fin`. Returns the
 * bytes sent (fewer if the segment's options leave less room); *fin_sent whether the FIN
 * went with them. */
static uint32_t send_data(struct tcpfsm_stack *st, struct tcb *t, uint32_t seq, uint32_t len,
                          bool fin, bool *fin_sent)
{
    uint32_t off = seq - t->snd_una;
    uint8_t flags = TCP_ACK;
    if (fin) flags |= TCP_FIN;
    if (len && off + len == t->buf->snd.len) flags |= TCP_PSH;
    if (!len) return emit_seg(st, t, flags, seq, NULL, 0, NULL, 0, fin_sent);
    /* The payload goes from the send ring straight into the segment (its two halves if it
     * wraps): no gathering copy. */
    const struct ring *r = &t->buf->snd;
    uint32_t pos = (r->head + off) & (r->cap - 1);
    uint32_t first = r->cap - pos < len ? r->cap - pos : len;
    return emit_seg(st, t, flags, seq, r->data + pos, len, r->data, len - first, fin_sent);
}

/* Whether a segment of n < mss bytes (not the last of a FIN) waits for more. */
static bool hold_small(const struct tcb *t, uint32_t n, uint32_t unsent, uint32_t inflight)
{
    if (n < unsent)
        /* RFC 9293 3.8.6.2.1: sender SWS avoidance: a window-limited runt waits while data is
         * in flight (the ACK will open the window). */
        return inflight != 0;
    /* TCPFSM_OPT_CORK: only full-sized segments until uncorked. */
    if (t->xflags & TX_CORK) return true;
    /* RFC 9293 3.7.4 (Nagle, RFC 1122 4.2.3.4), in Minshall's form (draft-minshall-nagle-01,
     * Linux's tcp_minshall_check): a small segment waits while an earlier small segment is
     * unacknowledged, not behind full-sized ones, so the tail of a response follows its
     * full segments at once. */
    return !(t->flags & TF_NODELAY) && seq_gt(t->buf->snd_sml, t->snd_una) &&
           seq_leq(t->buf->snd_sml, t->snd_nxt);
}

void tcp_output(struct tcpfsm_stack *st, struct tcb *t)
{
    if (t->flags & TF_DEAD) return;
    if (t->buf) { /* nothing is queued before ESTABLISHED: send() refuses, a FIN waits */
        struct ring *sb = &t->buf->snd;
        uint32_t mss = effective_mss(t);
        for (;;) {
            uint32_t inflight = t->snd_nxt - t->snd_una;
            if (inflight > sb->len) break; /* FIN already in flight */
            uint32_t unsent = sb->len - inflight;
            /* RFC 3042 (limited transmit): the first two duplicate ACKs each let one new
             * segment out beyond cwnd, so a small window still collects three. */
            uint32_t cwnd = t->u.cc.cwnd;
            if (!t->u.cc.in_recovery && t->u.cc.dupacks)
                cwnd += (t->u.cc.dupacks < 2 ? t->u.cc.dupacks : 2u) * mss;
            uint32_t wnd = t->snd_wnd < cwnd ? t->snd_wnd : cwnd;
            uint32_t usable = wnd > inflight ? wnd - inflight : 0;
            bool fin_now = (t->flags & TF_FIN_QUEUED) != 0;
            bool fin_sent = false;
            if (unsent == 0) {
                /* FIN after all data (RFC 9293 3.10.4): at SND.NXT = SND.UNA + queued bytes,
                 * until it is acknowledged (then SND.UNA is past it: no second FIN). */
                if (fin_now && !(t->flags & TF_FIN_ACKED) && t->snd_nxt == t->snd_una + sb->len) {
                    send_data(st, t, t->snd_nxt, 0, true, &fin_sent);
                    if (!fin_sent) break;
                    t->snd_nxt++;
                    t->flags |= TF_FIN_SENT;
                    if (seq_lt(t->snd_max, t->snd_nxt)) t->snd_max = t->snd_nxt;
                    arm_rtx(st, t);
                }
                break;
            }
            uint32_t n = unsent < mss ? unsent : mss;
            if (n > usable) n = usable;
            if (n == 0) {
                /* RFC 9293 3.8.6.1: zero window and nothing in flight: probe on a timer. */
                if (inflight == 0 && !tcb_timer_armed(t, TMR_PERSIST) &&
                    !tcb_timer_armed(t, TMR_RTX)) {
                    t->retries = 0;
                    tcb_timer_set(st, t, TMR_PERSIST, rtt_current_rto(&t->rtt, st->cfg.rto_max_us));
                }
                break;
            }
            if (n < mss && !(fin_now && n == unsent) && hold_small(t, n, unsent, inflight)) break;
            uint32_t seq = t->snd_nxt, want = n;
            n = send_data(st, t, seq, n, fin_now && n == unsent, &fin_sent);
            if (!n) break;
            /* small for Minshall: short because the data (or window) ran out, not because the
             * segment's options (SACK blocks) left less room (Linux's tcp_minshall_update
             * compares with the MSS of the moment) */
            if (n < mss && n == want) t->buf->snd_sml = seq + n;
            if (!(t->flags & (TF_RTT_TIMING | TF_TS)) && !seq_lt(seq, t->snd_max)) {
                t->flags |= TF_RTT_TIMING;
                t->rtt_seq = seq + n;
                t->rtt_ts = stack_ms(st);
            }
            if (inflight == 0 && !t->una_since_ms) t->una_since_ms = stack_ms(st) | 1u;
            t->snd_nxt = seq + n + fin_sent;
            if (fin_sent) t->flags |= TF_FIN_SENT;
            if (seq_lt(t->snd_max, t->snd_nxt)) t->snd_max = t->snd_nxt;
            arm_rtx(st, t);
        }
    }
    if (t->flags & TF_ACK_NOW) {
        /* A pure ACK carries the highest sequence sent (as BSD's snd_max), not SND.NXT,
         * which a timeout pulled back to SND.UNA (go-back-N): the peer may hold data up to
         * SND.MAX already, and an ACK below its RCV.NXT is unacceptable (RFC 9293
         * 3.10.7.4 first), so both sides would drop each other's ACKs. Never past the
         * window's right edge (a zero-window probe byte is not in the window; Linux's
         * tcp_acceptable_seq). */
        uint32_t seq = t->snd_max, wnd_end = t->snd_una + t->snd_wnd;
        if (seq_gt(seq, wnd_end)) seq = wnd_end;
        emit(st, t, TCP_ACK, seq);
    }
}

/* RFC 6298 5.4: retransmit the earliest unacknowledged segment; go-back-N from SND.UNA, the
 * rest follows as the congestion window (one MSS after RFC 5681 (4)) allows. */
void tcp_retransmit_first(struct tcpfsm_stack *st, struct tcb *t)
{
    t->snd_nxt = t->snd_una;
    if (t->buf) {
        /* RFC 6675 5.1: after a timeout the scoreboard may be wrong (reneging): clear it. */
        t->buf->nsacked = 0;
        t->buf->high_rxt = t->snd_una;
    }
    tcb_timer_set(st, t, TMR_RTX, rtt_current_rto(&t->rtt, st->cfg.rto_max_us));
    tcp_output(st, t);
    if (t->snd_nxt == t->snd_una && t->buf && t->buf->snd.len) {
        /* zero window: the retransmission timer acts as the persist timer, its one octet (RFC
         * 9293 3.8.6.1) outside the window and so not in flight (SND.NXT stays, as for
         * tcp_send_probe's): once the window opens, full segments go from SND.UNA at once,
         * where a probe counted in flight would leave a runt the congestion window holds back
         * (sender SWS avoidance) until the next, backed-off, expiry. */
        send_data(st, t, t->snd_una, 1, false, NULL);
    }
}

/* Fast retransmit (RFC 5681 3.2) / NewReno partial ACK (RFC 6582 3.2 step 4): resend the
 * segment at SND.UNA without touching SND.NXT. */
void tcp_resend_una(struct tcpfsm_stack *st, struct tcb *t)
{
    if (!t->buf) return;
    uint32_t mss = effective_mss(t);
    /* only what was sent before (up to SND.MAX): a resend is never new data */
    uint32_t sent = t->snd_max - t->snd_una;
    uint32_t avail = t->buf->snd.len < sent ? t->buf->snd.len : sent;
    uint32_t n = avail < mss ? avail : mss;
    bool fin = (t->flags & TF_FIN_SENT) && sent > avail && n == avail;
    if (!n && !fin) return;
    if (t->buf->nsacked && seq_lt(t->buf->sacked[0].start, t->snd_una + n))
        n = t->buf->sacked[0].start - t->snd_una; /* only the hole, not SACKed bytes */
    t->flags &= (uint16_t)~TF_RTT_TIMING;
    t->flags |= TF_RETRANSMIT;
    n = send_data(st, t, t->snd_una, n, fin && n == avail, NULL);
    if (seq_lt(t->buf->high_rxt, t->snd_una + n)) t->buf->high_rxt = t->snd_una + n;
}

/* RFC 6675 5 NextSeg (rule 1, simplified): the first sequence above max(SND.UNA, HighRxt)
 * that no SACK block covers and that lies below the highest SACKed byte. */
bool tcp_sack_retransmit(struct tcpfsm_stack *st, struct tcb *t)
{
    struct tcb_bufs *b = t->buf;
    if (!(t->flags & TF_SACK) || !b || !b->nsacked) return false;
    uint32_t seq = seq_max(t->snd_una, b->high_rxt);
    uint32_t mss = effective_mss(t);
    for (int k = 0; k < b->nsacked; k++) {
        if (seq_lt(seq, b->sacked[k].start)) {
            uint32_t n = b->sacked[k].start - seq;
            if (n > mss) n = mss;
            uint32_t avail = b->snd.len - (seq - t->snd_una); /* text sent, below SND.MAX */
            if (avail > t->snd_max - seq) avail = t->snd_max - seq;
            if (n > avail) n = avail;
            if (!n) return false;
            n = send_data(st, t, seq, n, false, NULL);
            b->high_rxt = seq + n;
            t->flags &= (uint16_t)~TF_RTT_TIMING;
            t->flags |= TF_RETRANSMIT;
            return n != 0;
        }
        seq = seq_max(seq, b->sacked[k].end);
    }
    return false;
}

void tcp_send_probe(struct tcpfsm_stack *st, struct tcb *t, bool keepalive)
{
    if (keepalive) {
        if (t->snd_nxt != t->snd_una) { /* data in flight: the RTO watches the peer */
            tcb_timer_set(st, t, TMR_KEEPALIVE, (uint64_t)t->ka_idle_s * 1000000u);
            return;
        }
        t->retries++;
        emit(st, t, TCP_ACK, t->snd_una - 1);
        tcb_timer_set(st, t, TMR_KEEPALIVE, tcb_keepintvl_us(t)); /* TCPFSM_OPT_KEEPINTVL */
        return;
    }
    if (t->buf && t->snd_nxt == t->snd_una + t->buf->snd.len) return; /* nothing to probe with */
    if (t->buf && t->snd_wnd == 0) {
        send_data(st, t, t->snd_nxt, 1, false, NULL);
        if (seq_lt(t->snd_max, t->snd_nxt + 1)) t->snd_max = t->snd_nxt + 1;
    }
    /* RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: back off, but never give up while the peer ACKs. */
    if (t->retries < 16) t->retries++;
    uint64_t rto = rtt_current_rto(&t->rtt, st->cfg.rto_max_us);
    uint64_t iv = rto << (t->retries < 7 ? t->retries : 7);
    if (iv > st->cfg.rto_max_us) iv = st->cfg.rto_max_us;
    if (t->snd_wnd == 0) tcb_timer_set(st, t, TMR_PERSIST, iv);
}
