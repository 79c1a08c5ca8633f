/*
 * test_tcp_flow.c — what leaves the stack and what it takes when windows, writes and options
 * get in the way, at the segment level: one stack, a scripted peer (tests/runtime/lib/
 * scenario.h), every emitted segment checked, time virtual and exact.
 *
 *   - RFC 9293 3.10.7.4 (first): at a zero receive window no segment is acceptable, but
 *     valid ACKs, window updates, RSTs and a FIN at RCV.NXT are taken; text is not;
 *   - gather send (tcpfsm_sendv) and TCPFSM_OPT_CORK: one segment for header + body, only
 *     full-sized segments while corked, flushed by uncork and by close;
 *   - Nagle (RFC 9293 3.7.4) in Minshall's form: a short tail is not held behind full-sized
 *     segments, only behind an unacknowledged short segment;
 *   - RFC 9293 3.7.1 / RFC 6691 2: every segment's text leaves room for its options (SACK
 *     blocks, timestamps), first transmissions and retransmissions alike, without losing or
 *     duplicating a byte.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "scenario.h"
#include "seq.h"
#include "tcp_layer.h"
#include "tcp.h"
#include "tcpfsm.h"

#define MS 1000u
#define MSS_DEFAULT 536u /* the peer's SYN-ACK carries no MSS option: RFC 9293 3.7.1 */
#define RCVBUF 4096u     /* the small receive buffer of the zero-window tests */

/* ------------------------------------------------------------------ helpers ---- */

static uint8_t pattern[128 * 1024];

static void pattern_init(void)
{
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)(i * 7 + (i >> 8));
}

/* Queue n bytes of the pattern (from offset off) on the connection; all must fit. */
static void send_bytes(struct sc *sc, size_t off, size_t n)
{
    long r = tcpfsm_send(sc->st, sc->fd, pattern + off, n);
    if (r != (long)n) ck_abort_msg("send(%zu) returned %ld", n, r);
}

/* A data segment <SEQ=seq><ACK=ack> of len bytes of the pattern from offset off; PSH is the
 * sender's choice, not checked. */
#define expect_data(sc, seq, ack, off, len)                                                        \
    expect_data_at((sc), (seq), (ack), (off), (len), __FILE__, __LINE__)
static const struct tcp_seg *expect_data_at(struct sc *sc, uint32_t seq, uint32_t ack, size_t off,
                                            uint32_t len, const char *file, int line)
{
    const struct tcp_seg *s = sc_next_at(sc, file, line);
    if ((s->flags & (uint8_t)~TCP_PSH) != TCP_ACK || s->seq != seq || s->ack != ack ||
        s->len != len)
        ck_abort_msg("%s:%d: expected <ACK seq=%u ack=%u len=%u>, got <%s seq=%u ack=%u len=%u>",
                     file, line, seq, ack, len, sc_flags_str(s->flags), s->seq, s->ack, s->len);
    if (memcmp(s->data, pattern + off, len) != 0)
        ck_abort_msg("%s:%d: the text of <seq=%u len=%u> is not pattern[%zu..]", file, line, seq,
                     len, off);
    return s;
}

/* Advance in 1 ms steps for delta_us, checking that nothing at all is emitted meanwhile. */
#define quiet_for(sc, delta_us) quiet_for_at((sc), (delta_us), __FILE__, __LINE__)
static void quiet_for_at(struct sc *sc, tcpfsm_time_t delta_us, const char *file, int line)
{
    tcpfsm_time_t end = sc->now + delta_us;
    while (sc->now < end) {
        sc_advance(sc, end - sc->now < MS ? end - sc->now : MS);
        if (sc_pending(sc)) {
            const struct tcp_seg *s = sc_next_at(sc, file, line);
            ck_abort_msg("%s:%d: expected silence, got <%s seq=%u len=%u> at +%llu ms", file, line,
                         sc_flags_str(s->flags), s->seq, s->len,
                         (unsigned long long)(sc->now - SC_T0) / MS);
        }
    }
}

static struct tcpfsm_info info_of(struct sc *sc)
{
    struct tcpfsm_info i;
    ck_assert_int_eq(tcpfsm_get_info(sc->st, sc->fd, &i), 0);
    return i;
}

static struct tcpfsm_stats stats_of(struct sc *sc)
{
    struct tcpfsm_stats s;
    tcpfsm_get_stats(sc->st, &s);
    return s;
}

/* Read exactly n bytes and check they are pattern[off..off+n). */
static void recv_expect(struct sc *sc, size_t off, size_t n)
{
    static uint8_t buf[sizeof pattern];
    long r = tcpfsm_recv(sc->st, sc->fd, buf, n + 1);
    if (r != (long)n) ck_abort_msg("recv returned %ld, expected %zu", r, n);
    if (memcmp(buf, pattern + off, n) != 0)
        ck_abort_msg("received text is not pattern[%zu..]", off);
}

/* An established connection (active open, peer MSS 536, no options), RTO `rto_us`. */
static struct sc *established(uint32_t rto_us, uint32_t sndbuf)
{
    struct sc_opts o = {.rto_us = rto_us, .sndbuf = sndbuf};
    struct sc *sc = sc_new(&o);
    sc_establish(sc);
    return sc;
}

/* ------------------------------------------------------------- zero window ---- */

/* A connection whose 4096-byte receive buffer the peer has filled (the application reads
 * nothing): our last ACK advertised window 0 and RCV.NXT = irs + 1 + 4096. Before that we
 * sent `ours` bytes that the peer has not acknowledged yet. The peer's segments carried
 * window `peer_wnd`. */
static struct sc *zero_window(uint32_t ours, uint16_t peer_wnd)
{
    struct sc_opts o = {.rto_us = 100 * MS, .rcvbuf = RCVBUF};
    struct sc *sc = sc_new(&o);
    sc_establish(sc);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1;
    if (ours) {
        send_bytes(sc, 0, ours);
        expect_data(sc, us, r, 0, ours);
        sc_expect_none(sc);
    }
    for (uint32_t off = 0; off < RCVBUF; off += 1024)
        sc_inject(sc, TCP_ACK, r + off, us, peer_wnd, pattern + off, 1024);
    /* every second segment is ACKed at once (RFC 5681 4.2) */
    ck_assert_uint_eq(sc_expect(sc, TCP_ACK, us + ours, r + 2048, 0)->wnd, 2048);
    ck_assert_uint_eq(sc_expect(sc, TCP_ACK, us + ours, r + RCVBUF, 0)->wnd, 0);
    sc_expect_none(sc);
    ck_assert_uint_eq(info_of(sc).rcv_wnd, 0);
    ck_assert_uint_eq(info_of(sc).recv_q, RCVBUF);
    return sc;
}

/* RFC 9293 3.10.7.4 first: "If the RCV.WND is zero, no segments will be acceptable, but
 * special allowance should be made to accept valid ACKs, URGs, and RSTs." The peer overruns
 * our zero window with text at RCV.NXT whose ACK acknowledges our 100 bytes: the ACK is
 * honoured (SND.UNA advances: send_q 0, the retransmission timer stops, so nothing is resent
 * when the RTO would have fired), the text is dropped (not readable, counted in
 * OutOfWindowDrops), and the answer is an ACK that still advertises window 0. Once the
 * application reads, the window reopens and the peer's retransmission is taken. */
START_TEST(rfc9293_3_10_7_4_zero_window_takes_ack_drops_text)
{
    struct sc *sc = zero_window(100, SC_PEER_WND);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1 + RCVBUF;
    ck_assert_uint_eq(info_of(sc).send_q, 100);
    struct tcpfsm_stats before = stats_of(sc);

    sc_inject(sc, TCP_ACK | TCP_PSH, r, us + 100, SC_PEER_WND, pattern + RCVBUF, 100);
    const struct tcp_seg *s = sc_expect(sc, TCP_ACK, us + 100, r, 0);
    ck_assert_uint_eq(s->wnd, 0);
    sc_expect_none(sc);
    struct tcpfsm_info i = info_of(sc);
    ck_assert_uint_eq(i.send_q, 0); /* SND.UNA advanced */
    ck_assert_uint_eq(i.bytes_acked, 100);
    ck_assert_uint_eq(i.recv_q, RCVBUF); /* the text was not taken */
    ck_assert_uint_eq(i.bytes_received, RCVBUF);
    ck_assert_uint_eq(stats_of(sc).OutOfWindowDrops, before.OutOfWindowDrops + 1);
    /* the RTO (100 ms) passes many times over: the acknowledged data is not resent */
    quiet_for(sc, 1000 * MS);
    ck_assert_uint_eq(stats_of(sc).RetransSegs, 0);

    /* the application reads: the window reopens (a window update) ... */
    recv_expect(sc, 0, RCVBUF);
    ck_assert_uint_eq(sc_expect(sc, TCP_ACK, us + 100, r, 0)->wnd, RCVBUF);
    sc_expect_none(sc);
    /* ... and the peer's retransmission of the dropped text is taken (delayed ACK) */
    sc_inject(sc, TCP_ACK | TCP_PSH, r, us + 100, SC_PEER_WND, pattern + RCVBUF, 100);
    sc_expect_none(sc);
    quiet_for(sc, 40 * MS - MS);
    sc_advance(sc, MS);
    ck_assert_uint_eq(sc_expect(sc, TCP_ACK, us + 100, r + 100, 0)->wnd, RCVBUF - 100);
    recv_expect(sc, RCVBUF, 100);
    sc_expect_state(sc, "ESTABLISHED");
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.4 first and fifth: a window update carried by a segment at RCV.NXT is taken
 * at our zero window. The peer's window was 0 (our 100 bytes wait); its text at RCV.NXT opens
 * it: our data leaves at once, its ACK field repeating RCV.NXT and window 0. */
START_TEST(rfc9293_3_10_7_4_zero_window_takes_window_update)
{
    struct sc *sc = zero_window(0, 0);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1 + RCVBUF;
    ck_assert_uint_eq(info_of(sc).snd_wnd, 0);
    send_bytes(sc, 0, 100);
    sc_expect_none(sc); /* the peer's window is closed */

    sc_inject(sc, TCP_ACK, r, us, SC_PEER_WND, pattern + RCVBUF, 100);
    const struct tcp_seg *s = expect_data(sc, us, r, 0, 100);
    ck_assert_uint_eq(s->wnd, 0);
    sc_expect_none(sc);
    ck_assert_uint_eq(info_of(sc).snd_wnd, SC_PEER_WND);
    ck_assert_uint_eq(info_of(sc).recv_q, RCVBUF);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.4 first and second (RFC 5961 3.2): a RST at exactly RCV.NXT is taken at a
 * zero window even though it carries text (which is past the window); one a byte further is
 * outside the window and silently dropped. */
START_TEST(rfc9293_3_10_7_4_zero_window_rst_at_rcv_nxt_resets)
{
    struct sc *sc = zero_window(0, SC_PEER_WND);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1 + RCVBUF;

    sc_inject(sc, TCP_RST | TCP_ACK, r + 1, us, SC_PEER_WND, pattern, 10);
    sc_expect_none(sc);
    sc_expect_state(sc, "ESTABLISHED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);

    sc_inject(sc, TCP_RST | TCP_ACK, r, us, SC_PEER_WND, pattern, 10);
    sc_expect_none(sc); /* a RST is never answered */
    sc_expect_state(sc, "CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ECONNRESET);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.4 first and eighth: a FIN alone at RCV.NXT needs no buffer space and is
 * taken at a zero window: CLOSE_WAIT, ACKed with window 0; the reader gets its 4096 bytes,
 * then end of stream. A FIN behind text is past the window and is not. */
START_TEST(rfc9293_3_10_7_4_zero_window_takes_fin_at_rcv_nxt)
{
    struct sc *sc = zero_window(0, SC_PEER_WND);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1 + RCVBUF;

    sc_inject(sc, TCP_FIN | TCP_ACK, r, us, SC_PEER_WND, pattern + RCVBUF, 10);
    ck_assert_uint_eq(sc_expect(sc, TCP_ACK, us, r, 0)->wnd, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "ESTABLISHED");

    sc_inject(sc, TCP_FIN | TCP_ACK, r, us, SC_PEER_WND, NULL, 0);
    sc_expect_none(sc); /* RFC 9293 3.8.6.3: the FIN's ACK waits FIN_ACK_DELAY_US */
    sc_expect_state(sc, "CLOSE_WAIT");
    sc_advance(sc, FIN_ACK_DELAY_US);
    ck_assert_uint_eq(sc_expect(sc, TCP_ACK, us, r + 1, 0)->wnd, 0);
    sc_expect_none(sc);
    recv_expect(sc, 0, RCVBUF);
    uint8_t b;
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, &b, 1), 0); /* end of stream */
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.4 first: a segment that starts beyond RCV.NXT at a zero window is not
 * acceptable: its text is not held (no out-of-order data), its ACK field is not processed
 * (our 100 bytes stay unacknowledged), and it is only answered with an ACK <SEQ=SND.NXT>
 * <ACK=RCV.NXT> advertising window 0. The same segment at RCV.NXT has its ACK taken. */
START_TEST(rfc9293_3_10_7_4_zero_window_segment_beyond_rcv_nxt_only_acked)
{
    struct sc *sc = zero_window(100, SC_PEER_WND);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1 + RCVBUF;
    struct tcpfsm_stats before = stats_of(sc);

    sc_inject(sc, TCP_ACK, r + 100, us + 100, SC_PEER_WND, pattern + RCVBUF + 100, 100);
    ck_assert_uint_eq(sc_expect(sc, TCP_ACK, us + 100, r, 0)->wnd, 0);
    sc_expect_none(sc);
    ck_assert_uint_eq(info_of(sc).send_q, 100); /* its ACK was not taken */
    ck_assert_uint_eq(sc_tcb(sc)->buf->ofo_bytes, 0);
    ck_assert_uint_eq(info_of(sc).recv_q, RCVBUF);
    ck_assert_uint_eq(stats_of(sc).OutOfWindowDrops, before.OutOfWindowDrops + 1);

    sc_inject(sc, TCP_ACK, r, us + 100, SC_PEER_WND, pattern + RCVBUF, 100);
    ck_assert_uint_eq(sc_expect(sc, TCP_ACK, us + 100, r, 0)->wnd, 0);
    sc_expect_none(sc);
    ck_assert_uint_eq(info_of(sc).send_q, 0);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.4 first: tcp_conn_input judges a segment at RCV.NXT that ends within the
 * window advertised last without asking RCV.WND (fits_advertised), every other one against
 * RCV.WND. Over random segments at RCV.NXT and reaching back before it, of random lengths,
 * while the application reads now and then (the window closes and reopens), the text taken
 * and the segments refused are what the acceptability test and the trimming give with RCV.WND
 * as tcp_rcv_window reports it before each segment. */
START_TEST(rfc9293_3_10_7_4_segments_in_order_are_judged_as_by_the_window)
{
    struct sc_opts o = {.rcvbuf = RCVBUF};
    struct sc *sc = sc_new(&o);
    sc_establish(sc);
    const uint32_t us = sc->iss + 1;
    uint64_t seed = 7;
    unsigned within_adv = 0, trimmed = 0, refused_n = 0;
    for (int round = 0; round < 4000; round++) {
        const struct tcb *t = sc_tcb(sc);
        const uint32_t nxt = t->rcv_nxt, wnd = tcp_rcv_window(sc->st, t);
        /* the window never retracts, the buffer may hold less (tcp_data_input takes that) */
        const uint32_t room = RCVBUF - info_of(sc).recv_q;
        uint32_t old = rt_rand_below(&seed, 4) == 0 ? (uint32_t)rt_rand_below(&seed, 300) : 0;
        uint32_t len = rt_rand_below(&seed, 5) == 0 ? 0 : (uint32_t)rt_rand_below(&seed, 1200);
        within_adv += !old && len && seq_gt(t->rcv_adv, nxt) && t->rcv_adv - nxt >= len;
        uint32_t taken = 0, refused = 0;
        if (len == 0)
            refused = old != 0; /* before RCV.NXT: old */
        else if (len <= old || wnd == 0 || (old && len - old > wnd))
            refused = 1; /* all old, text at a zero window (the ACK is taken), or it starts
                          * before RCV.NXT and ends beyond the window: neither end inside */
        else
            taken = len - old < wnd ? len - old : wnd;
        trimmed += taken && taken < len - old;
        const uint32_t buffer_cut = taken > room; /* BufferLimitDrops: past the window only */
        taken = taken < room ? taken : room;
        refused_n += refused;
        struct tcpfsm_stats before = stats_of(sc);
        sc_inject(sc, TCP_ACK, nxt - old, us, SC_PEER_WND, pattern, len);
        /* text cut at the window's right edge is ACKed at once: the peer learns the window */
        if (!refused && len - old > wnd) ck_assert_uint_gt(sc_pending(sc), 0);
        sc_drain(sc);
        ck_assert_uint_eq(sc_tcb(sc)->rcv_nxt, nxt + taken);
        ck_assert_uint_eq(stats_of(sc).OutOfWindowDrops, before.OutOfWindowDrops + refused);
        ck_assert_uint_eq(stats_of(sc).BufferLimitDrops, before.BufferLimitDrops + buffer_cut);
        if (rt_rand_below(&seed, 3) == 0) {
            static uint8_t buf[RCVBUF];
            long r = tcpfsm_recv(sc->st, sc->fd, buf, 1 + rt_rand_below(&seed, RCVBUF));
            ck_assert(r > 0 || r == -EAGAIN);
            sc_drain(sc);
        }
    }
    sc_expect_state(sc, "ESTABLISHED");
    ck_assert_uint_gt(within_adv, 500);
    ck_assert_uint_gt(trimmed, 50);
    ck_assert_uint_gt(refused_n, 500);
    sc_free(sc);
}
END_TEST

/* -------------------------------------------------------- gather send, cork ---- */

static const uint8_t *const header = pattern;     /* a 100-byte "response header" */
static const uint8_t *const body = pattern + 100; /* and its 200-byte body */

/* tcpfsm_sendv: a 100-byte header and a 200-byte body on an idle connection leave as ONE
 * 300-byte segment (what tcpfsm-httpd does per keep-alive response). */
START_TEST(sendv_header_and_body_leave_as_one_segment)
{
    struct sc *sc = established(1000 * MS, 0);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1;
    const struct tcpfsm_iov iov[] = {
        {.base = header, .len = 100},
        {.base = body, .len = 200},
    };
    ck_assert_int_eq(tcpfsm_sendv(sc->st, sc->fd, iov, 2), 300);
    sc_expect(sc, TCP_ACK | TCP_PSH, us, r, 300);
    ck_assert(memcmp(sc->last.data, pattern, 300) == 0);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* The problem sendv solves: the same header and body in two tcpfsm_send calls leave as two
 * segments, and Nagle (RFC 9293 3.7.4) holds the second until the first is ACKed: a whole
 * delayed-ACK time of the peer (40 ms) per keep-alive response. */
START_TEST(two_sends_leave_as_two_segments_second_held_by_nagle_until_ack)
{
    struct sc *sc = established(1000 * MS, 0);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1;
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, header, 100), 100);
    expect_data(sc, us, r, 0, 100);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, body, 200), 200);
    sc_expect_none(sc);
    quiet_for(sc, 40 * MS); /* the peer delays its ACK */
    sc_inject(sc, TCP_ACK, r, us + 100, SC_PEER_WND, NULL, 0);
    expect_data(sc, us + 100, r, 100, 200);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* TCPFSM_OPT_CORK: a partial segment is held even with nothing in flight (where Nagle would
 * send it), for as long as the cork is in: no timer, nothing after a whole second. */
START_TEST(cork_holds_partial_segment_with_nothing_in_flight)
{
    struct sc *sc = established(1000 * MS, 0);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_CORK, 1), 0);
    send_bytes(sc, 0, 100);
    sc_expect_none(sc);
    ck_assert(!sc_timer_armed(sc));
    quiet_for(sc, 1000 * MS);
    ck_assert_uint_eq(info_of(sc).send_q, 100);
    ck_assert_uint_eq(info_of(sc).bytes_sent, 0);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_CORK, 2), -EINVAL);
    sc_free(sc);
}
END_TEST

/* TCPFSM_OPT_CORK: full-sized segments go out as the data accumulates, the partial rest is
 * held (even after everything sent is ACKed); clearing the cork sends the rest at once. */
START_TEST(cork_sends_full_segments_and_uncork_flushes_the_rest)
{
    struct sc *sc = established(1000 * MS, 0);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1, M = MSS_DEFAULT;
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_CORK, 1), 0);
    send_bytes(sc, 0, 100);
    sc_expect_none(sc);
    send_bytes(sc, 100, 1100); /* 1200 queued: 2 full + 128 */
    expect_data(sc, us, r, 0, M);
    expect_data(sc, us + M, r, M, M);
    sc_expect_none(sc);
    sc_inject(sc, TCP_ACK, r, us + 2 * M, SC_PEER_WND, NULL, 0);
    sc_expect_none(sc);
    ck_assert_uint_eq(info_of(sc).send_q, 1200 - 2 * M);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_CORK, 0), 0);
    expect_data(sc, us + 2 * M, r, 2 * M, 1200 - 2 * M);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.4: CLOSE sends queued data, then the FIN: a corked connection's held data
 * leaves with the FIN at once. */
START_TEST(cork_close_flushes_held_data_with_fin)
{
    struct sc *sc = established(1000 * MS, 0);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1;
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_CORK, 1), 0);
    send_bytes(sc, 0, 100);
    sc_expect_none(sc);
    ck_assert_int_eq(tcpfsm_close(sc->st, sc->fd), 0);
    sc->fd = -1;
    sc_expect(sc, TCP_FIN | TCP_PSH | TCP_ACK, us, r, 100);
    ck_assert(memcmp(sc->last.data, pattern, 100) == 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

/* TCPFSM_OPT_NODELAY does not override TCPFSM_OPT_CORK (as on Linux): with both set a
 * partial segment is held; uncorking sends it; NODELAY alone then sends small writes at once
 * even with data in flight. */
START_TEST(cork_not_overridden_by_nodelay)
{
    struct sc *sc = established(1000 * MS, 0);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1;
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_NODELAY, 1), 0);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_CORK, 1), 0);
    send_bytes(sc, 0, 100);
    sc_expect_none(sc);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_NODELAY, 1), 0); /* again */
    sc_expect_none(sc);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_CORK, 0), 0);
    expect_data(sc, us, r, 0, 100);
    send_bytes(sc, 100, 10);
    expect_data(sc, us + 100, r, 100, 10); /* NODELAY: 100 bytes in flight */
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* tcpfsm_sendv's argument errors: iovcnt < 0 or a NULL vector -> -EINVAL; a NULL base with a
 * nonzero length -> -EFAULT and nothing of the call is queued (even the valid buffers before
 * it); a descriptor that is not open -> -EBADF; no connection yet -> -ENOTCONN; an empty
 * gather (no buffers, or empty ones) -> 0. */
START_TEST(sendv_argument_errors)
{
    struct sc *sc = established(1000 * MS, 0);
    const struct tcpfsm_iov good[] = {{.base = header, .len = 10}};
    const struct tcpfsm_iov bad[] = {{.base = header, .len = 10}, {.base = NULL, .len = 5}};
    const struct tcpfsm_iov empty[] = {{.base = NULL, .len = 0}, {.base = header, .len = 0}};
    ck_assert_int_eq(tcpfsm_sendv(sc->st, sc->fd, good, -1), -EINVAL);
    ck_assert_int_eq(tcpfsm_sendv(sc->st, sc->fd, NULL, 1), -EINVAL);
    ck_assert_int_eq(tcpfsm_sendv(sc->st, sc->fd, bad, 2), -EFAULT);
    ck_assert_uint_eq(info_of(sc).send_q, 0);
    ck_assert_int_eq(tcpfsm_sendv(sc->st, sc->fd, NULL, 0), 0);
    ck_assert_int_eq(tcpfsm_sendv(sc->st, sc->fd, empty, 2), 0);
    sc_expect_none(sc);
    ck_assert_int_eq(tcpfsm_sendv(sc->st, -1, good, 1), -EBADF);
    ck_assert_int_eq(tcpfsm_sendv(sc->st, 12345, good, 1), -EBADF);
    ck_assert_int_eq(tcpfsm_sendv(sc->st, sc->fd + 1, good, 1), -EBADF);
    int fresh = tcpfsm_socket(sc->st);
    ck_assert_int_ge(fresh, 0);
    ck_assert_int_eq(tcpfsm_sendv(sc->st, fresh, good, 1), -ENOTCONN);
    ck_assert_int_eq(tcpfsm_close(sc->st, fresh), 0);
    ck_assert_int_eq(tcpfsm_sendv(sc->st, fresh, good, 1), -EBADF);
    ck_assert_uint_eq(info_of(sc).send_q, 0);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* tcpfsm_sendv with the send buffer (sndbuf 4096) nearly full: it queues what fits, in order
 * (the first 96 bytes of the first buffer), and returns that count; the next call gets
 * -EAGAIN; the queued bytes follow once the peer ACKs. */
START_TEST(sendv_partial_when_send_buffer_nearly_full_returns_count_queued)
{
    struct sc *sc = established(1000 * MS, 4096);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1, M = MSS_DEFAULT;
    send_bytes(sc, 0, 4000); /* all of it within the IW */
    uint32_t k = 0;
    for (; k < 4000 / M; k++)
        expect_data(sc, us + k * M, r, k * M, M);
    expect_data(sc, us + k * M, r, k * M, 4000 - k * M);
    sc_expect_none(sc);
    const struct tcpfsm_iov iov[] = {
        {.base = pattern + 4000, .len = 100},
        {.base = pattern + 4100, .len = 100},
    };
    ck_assert_int_eq(tcpfsm_sendv(sc->st, sc->fd, iov, 2), 96);
    ck_assert_uint_eq(info_of(sc).send_q, 4096);
    ck_assert_int_eq(tcpfsm_sendv(sc->st, sc->fd, iov, 2), -EAGAIN);
    ck_assert(!(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLOUT));
    sc_expect_none(sc); /* Nagle: the 248-byte tail in flight */
    sc_inject(sc, TCP_ACK, r, us + 4000, SC_PEER_WND, NULL, 0);
    expect_data(sc, us + 4000, r, 4000, 96);
    sc_expect_none(sc);
    ck_assert(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLOUT);
    sc_free(sc);
}
END_TEST

/* ------------------------------------------------------------ Minshall/Nagle ---- */

/* RFC 9293 3.7.4 (Nagle) in Minshall's form (runtime/tcp_output.c hold_small): one send of
 * 3 MSS + 100 bytes on an idle connection leaves as four segments at once; the 100-byte tail
 * is not held behind the full-sized segments in flight (classic Nagle would hold it for an
 * RTT). A further small send waits while that short segment is unacknowledged (ACKs of the
 * full segments alone do not release it), and goes when it is ACKed. */
START_TEST(minshall_nagle_sends_tail_at_once_holds_next_small_until_its_ack)
{
    struct sc *sc = established(1000 * MS, 0);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1, M = MSS_DEFAULT;
    send_bytes(sc, 0, 3 * M + 100);
    for (uint32_t k = 0; k < 3; k++)
        expect_data(sc, us + k * M, r, k * M, M);
    expect_data(sc, us + 3 * M, r, 3 * M, 100);
    sc_expect_none(sc);

    send_bytes(sc, 3 * M + 100, 50);
    sc_expect_none(sc);
    sc_inject(sc, TCP_ACK, r, us + 3 * M, SC_PEER_WND, NULL, 0); /* the full ones only */
    sc_expect_none(sc);
    sc_inject(sc, TCP_ACK, r, us + 3 * M + 100, SC_PEER_WND, NULL, 0);
    expect_data(sc, us + 3 * M + 100, r, 3 * M + 100, 50);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* Minshall: what holds a small segment is an unacknowledged small segment, not data in
 * flight. Once the short segment is ACKed, a small write goes at once although three
 * full-sized segments are still unacknowledged. */
START_TEST(minshall_nagle_small_send_not_held_behind_full_segments)
{
    struct sc *sc = established(1000 * MS, 0);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1, M = MSS_DEFAULT;
    send_bytes(sc, 0, 100);
    expect_data(sc, us, r, 0, 100);
    sc_inject(sc, TCP_ACK, r, us + 100, SC_PEER_WND, NULL, 0);
    send_bytes(sc, 100, 3 * M);
    for (uint32_t k = 0; k < 3; k++)
        expect_data(sc, us + 100 + k * M, r, 100 + k * M, M);
    sc_expect_none(sc);
    send_bytes(sc, 100 + 3 * M, 50);
    expect_data(sc, us + 100 + 3 * M, r, 100 + 3 * M, 50); /* 3 MSS in flight */
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* TCPFSM_OPT_NODELAY: the small send that Minshall's rule would hold (a short segment
 * unacknowledged) goes at once. */
START_TEST(minshall_nagle_nodelay_sends_small_segment_at_once)
{
    struct sc *sc = established(1000 * MS, 0);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1, M = MSS_DEFAULT;
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_NODELAY, 1), 0);
    send_bytes(sc, 0, 3 * M + 100);
    for (uint32_t k = 0; k < 3; k++)
        expect_data(sc, us + k * M, r, k * M, M);
    expect_data(sc, us + 3 * M, r, 3 * M, 100);
    send_bytes(sc, 3 * M + 100, 50);
    expect_data(sc, us + 3 * M + 100, r, 3 * M + 100, 50);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* ----------------------------------------------- text leaves room for options ---- */

#define MTU 1500u
#define PEER_MSS 1460u            /* = MTU - 40: what a peer on the same link announces */
#define STREAM (48 * 1024)        /* the most our side sends in the options test */
#define PEER_TEXT_OFF (64 * 1024) /* the peer's own text: pattern[PEER_TEXT_OFF..] */
#define PEER_HOLE 1000u           /* the peer's first 1000 bytes went missing ... */
#define PEER_SENT 4100u           /* ... of the 4100 it sent (three ranges arrived) */

struct seg_rec {       /* a data segment the peer saw */
    uint32_t off, len; /* stream offset and text length */
    uint8_t nsack;
    bool rtx; /* below the highest text seen before it */
};

/* The scripted peer of the options test: it receives our stream (byte 0 = seq iss + 1),
 * checks every segment, and ACKs every data segment it keeps, with SACK blocks for what it
 * holds above its RCV.NXT and timestamps (RFC 7323 3.2) on everything it sends. */
struct peer {
    struct sc *sc;
    uint32_t base;     /* seq of stream byte 0 */
    uint32_t sent_end; /* end of the highest text seen: first transmissions */
    uint32_t rcv_nxt;  /* stream bytes held in order */
    uint32_t tsval, ts_recent;
    int lose; /* data segments still to drop unseen (a lossy path) */
    unsigned retransmits;
    struct seg_rec log[256]; /* every data segment, in the order sent */
    unsigned nlog;
    uint8_t got[STREAM];
    bool have[STREAM];
};

static struct tcp_opts peer_opts(struct peer *p)
{
    return (struct tcp_opts){.has_ts = 1, .tsval = ++p->tsval, .tsecr = p->ts_recent};
}

/* One ACK from the peer: cumulative to its RCV.NXT, SACK blocks for what it holds above. */
static void peer_ack(struct peer *p)
{
    struct tcp_opts o = peer_opts(p);
    for (uint32_t i = p->rcv_nxt; i < p->sent_end && o.nsack < 3;) {
        if (!p->have[i]) {
            i++;
            continue;
        }
        uint32_t start = i;
        while (i < p->sent_end && p->have[i])
            i++;
        o.sack[o.nsack++] = (struct tcp_sack_block){p->base + start, p->base + i};
    }
    sc_inject_in(p->sc, &(struct sc_in){.flags = TCP_ACK,
                                        .seq = p->sc->irs + 1 + PEER_SENT,
                                        .ack = p->base + p->rcv_nxt,
                                        .wnd = SC_PEER_WND,
                                        .opt = o});
}

/* Take every segment the stack emitted (and emits in answer): each must fit the MTU with its
 * options (RFC 9293 3.7.1, RFC 6691 2); text continues the stream without a gap, and a
 * retransmission repeats bytes already sent, identical. Each data segment that is not lost is
 * ACKed at once, as a receiver does (a zero-delay path). Returns the data segments kept. */
#define peer_take(p) peer_take_at((p), __FILE__, __LINE__)
static unsigned peer_take_at(struct peer *p, const char *file, int line)
{
    unsigned kept = 0;
    while (sc_pending(p->sc)) {
        const struct tcp_seg *s = sc_next_at(p->sc, file, line);
        uint32_t ip_len = IPV4_HDR_LEN + s->hdr_len + s->len;
        if (ip_len > MTU)
            ck_abort_msg("%s:%d: <seq=%u len=%u> with %u option bytes (%u SACK blocks) is a "
                         "%u-byte datagram, MTU %u",
                         file, line, s->seq, s->len, s->hdr_len - TCP_HDR_LEN, s->opt.nsack, ip_len,
                         MTU);
        if (s->opt.has_ts) p->ts_recent = s->opt.tsval;
        if (!s->len) continue;
        uint32_t off = s->seq - p->base;
        if (off > p->sent_end || off + s->len > STREAM)
            ck_abort_msg("%s:%d: <seq=%u len=%u> skips stream bytes %u..%u", file, line, s->seq,
                         s->len, p->sent_end, off);
        if (p->nlog == sizeof p->log / sizeof p->log[0])
            ck_abort_msg("%s:%d: more data segments than the log holds", file, line);
        p->log[p->nlog++] = (struct seg_rec){
            .off = off, .len = s->len, .nsack = s->opt.nsack, .rtx = off < p->sent_end};
        if (off < p->sent_end) p->retransmits++;
        if (off + s->len > p->sent_end) p->sent_end = off + s->len;
        if (memcmp(s->data, pattern + off, s->len) != 0)
            ck_abort_msg("%s:%d: <seq=%u len=%u> is not the stream's bytes", file, line, s->seq,
                         s->len);
        if (p->lose > 0) {
            p->lose--;
            continue;
        }
        for (uint32_t i = 0; i < s->len; i++) {
            if (p->have[off + i]) continue;
            p->have[off + i] = true;
            p->got[off + i] = s->data[i];
        }
        while (p->rcv_nxt < STREAM && p->have[p->rcv_nxt])
            p->rcv_nxt++;
        kept++;
        peer_ack(p);
    }
    return kept;
}

/* Run the transfer until the peer holds the first `total` stream bytes; whenever the stack
 * falls silent before that, fire its next timer (the RTO). */
static void peer_run(struct peer *p, uint32_t total)
{
    for (int round = 0; p->rcv_nxt < total; round++) {
        if (round > 2000) ck_abort_msg("transfer stalled at %u of %u", p->rcv_nxt, total);
        if (!peer_take(p) && !sc_pending(p->sc)) sc_fire_next(p->sc);
    }
    peer_take(p);
}

/* How many logged segments from index `from` on carry `len` bytes and `nsack` SACK blocks. */
static unsigned log_count(const struct peer *p, unsigned from, uint32_t len, uint8_t nsack)
{
    unsigned n = 0;
    for (unsigned k = from; k < p->nlog; k++)
        n += p->log[k].len == len && p->log[k].nsack == nsack;
    return n;
}

/* The first logged segment from index `from` on at stream offset off that is (or is not) a
 * retransmission. */
static const struct seg_rec *log_find(const struct peer *p, unsigned from, uint32_t off, bool rtx)
{
    for (unsigned k = from; k < p->nlog; k++)
        if (p->log[k].off == off && p->log[k].rtx == rtx) return &p->log[k];
    ck_abort_msg("no %s segment at stream offset %u", rtx ? "retransmitted" : "new", off);
    return NULL;
}

/* A connection with SACK and timestamps negotiated (the peer announces MSS 1460) whose
 * receive side holds three out-of-order ranges of the peer's text after a 1000-byte hole:
 * every segment we send from now on carries timestamps (12 bytes) and three SACK blocks
 * (28 bytes; RFC 2018 3: at most three beside timestamps). p is reset to receive our stream. */
static struct sc *sack_ts_connection(struct peer *p)
{
    struct sc_opts so = {.rto_us = 100 * MS, .with_options = true, .flags = TCPFSM_F_NO_WSCALE};
    struct sc *sc = sc_new(&so);
    memset(p, 0, sizeof *p);
    p->sc = sc;

    sc_connect(sc);
    ck_assert(sc->last.opt.sack_ok && sc->last.opt.has_ts);
    p->ts_recent = sc->last.opt.tsval;
    struct tcp_opts syn = peer_opts(p);
    syn.has_mss = 1;
    syn.mss = PEER_MSS;
    syn.sack_ok = 1;
    sc_inject_in(sc, &(struct sc_in){.flags = TCP_SYN | TCP_ACK,
                                     .seq = sc->irs,
                                     .ack = sc->iss + 1,
                                     .wnd = SC_PEER_WND,
                                     .opt = syn});
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 0);
    sc_expect_none(sc);
    struct tcpfsm_info i = info_of(sc);
    ck_assert(i.sack_ok && i.ts_ok);
    ck_assert_uint_eq(i.mss, PEER_MSS);
    p->base = sc->iss + 1;

    const uint32_t r = sc->irs + 1;
    const uint32_t ranges[][2] = {{PEER_HOLE, 2000}, {2100, 3000}, {3100, PEER_SENT}};
    for (int k = 0; k < 3; k++) {
        uint32_t a = ranges[k][0], len = ranges[k][1] - ranges[k][0];
        struct tcp_opts o = peer_opts(p);
        sc_inject_in(sc, &(struct sc_in){.flags = TCP_ACK,
                                         .seq = r + a,
                                         .ack = p->base,
                                         .wnd = SC_PEER_WND,
                                         .opt = o,
                                         .data = pattern + PEER_TEXT_OFF + a,
                                         .len = len});
        ck_assert_uint_eq(sc_expect(sc, TCP_ACK, p->base, r, 0)->opt.nsack, k + 1);
    }
    sc_expect_none(sc);
    return sc;
}

/* RFC 9293 3.7.1 and RFC 6691 2: the MSS counts no options, so a segment's text is the MSS
 * less the options it carries. With SACK and timestamps negotiated and three out-of-order
 * ranges of the peer's text held, every segment we send carries 12 bytes of timestamps and
 * 28 of SACK blocks: its text is at most 1460 - 40 = 1420 bytes, not the 1448 of a segment
 * with timestamps only. Bulk data, a lost segment (fast retransmit and SACK recovery) and a
 * lost flight (RTO) later, no datagram exceeded the 1500-byte MTU, the stream arrived whole
 * and in order, and every repeated byte was a counted retransmission. When the peer's hole
 * is filled (no SACK blocks), segments grow back to 1448 bytes. */
START_TEST(rfc6691_2_segment_text_leaves_room_for_sack_and_timestamps)
{
    static struct peer peer;
    struct peer *p = &peer;
    struct sc *sc = sack_ts_connection(p);
    const uint32_t r = sc->irs + 1;

    /* bulk data; the path loses the first segment: fast retransmit, SACK recovery */
    const uint32_t bulk = 40000, room_sack = PEER_MSS - 40, room_ts = PEER_MSS - 12;
    send_bytes(sc, 0, bulk);
    ck_assert_uint_ge(sc_pending(sc), 10); /* the initial window, 14600 */
    p->lose = 1;
    peer_run(p, bulk);
    ck_assert_uint_ge(p->retransmits, 1);
    ck_assert_uint_ge(log_count(p, 0, room_sack, 3), bulk / room_sack - 2);
    ck_assert_uint_eq(log_find(p, 0, 0, true)->len, room_sack); /* fast retransmission */

    /* a whole flight lost: the RTO retransmits from SND.UNA, trimmed the same way */
    const uint32_t more = 5000;
    unsigned mark = p->nlog;
    send_bytes(sc, bulk, more);
    p->lose = 1000;
    ck_assert_uint_eq(peer_take(p), 0);
    p->lose = 0;
    peer_run(p, bulk + more);
    const struct seg_rec *rto = log_find(p, mark, bulk, true);
    ck_assert_uint_eq(rto->len, room_sack);
    ck_assert_uint_eq(rto->nsack, 3);

    /* the peer fills its hole: our receive queue is in order, our segments carry no SACK
     * blocks, and their text is the MSS less the timestamps again */
    const uint32_t holes[][2] = {{0, PEER_HOLE}, {2000, 2100}, {3000, 3100}};
    for (int k = 0; k < 3; k++) {
        uint32_t a = holes[k][0], len = holes[k][1] - holes[k][0];
        struct tcp_opts o = peer_opts(p);
        sc_inject_in(sc, &(struct sc_in){.flags = TCP_ACK,
                                         .seq = r + a,
                                         .ack = p->base + p->rcv_nxt,
                                         .wnd = SC_PEER_WND,
                                         .opt = o,
                                         .data = pattern + PEER_TEXT_OFF + a,
                                         .len = len});
        uint32_t upto = k < 2 ? holes[k + 1][0] : PEER_SENT; /* RFC 5681 4.2: at once */
        const struct tcp_seg *s = sc_expect(sc, TCP_ACK, p->base + p->rcv_nxt, r + upto, 0);
        ck_assert_uint_eq(s->opt.nsack, 2 - k);
    }
    sc_expect_none(sc);
    static uint8_t in[PEER_SENT + 1];
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, in, sizeof in), PEER_SENT);
    ck_assert(memcmp(in, pattern + PEER_TEXT_OFF, PEER_SENT) == 0);
    peer_take(p); /* the window update, if any */
    const uint32_t tail = 3000;
    mark = p->nlog;
    send_bytes(sc, bulk + more, tail);
    peer_run(p, bulk + more + tail);
    const struct seg_rec *plain = log_find(p, mark, bulk + more, false);
    ck_assert_uint_eq(plain->len, room_ts);
    ck_assert_uint_eq(plain->nsack, 0);

    /* the stream arrived exactly: every byte once, in order, nothing beyond it */
    const uint32_t total = bulk + more + tail;
    ck_assert_uint_eq(p->rcv_nxt, total);
    ck_assert_uint_eq(p->sent_end, total);
    ck_assert(memcmp(p->got, pattern, total) == 0);
    struct tcpfsm_info i = info_of(sc);
    ck_assert_uint_eq(i.bytes_sent, total); /* first transmissions: once each */
    ck_assert_uint_eq(i.bytes_acked, total);
    ck_assert_uint_eq(i.send_q, 0);
    ck_assert_uint_eq(stats_of(sc).RetransSegs, p->retransmits);
    sc_free(sc);
}
END_TEST

/* Minshall's Nagle (runtime/tcp_output.c hold_small) with SACK blocks on our segments: one
 * send of three full segments and a 100-byte tail on an idle connection must leave as four
 * segments at once, exactly as without options (minshall_nagle_sends_tail_at_once_...). The
 * three full segments carry 1420 bytes, the most that fits beside 40 option bytes
 * (RFC 6691 2): full-sized for this connection now, as Linux's tcp_current_mss() counts them,
 * so none of them is "small" (snd_sml) and the tail is not held for a round trip. */
START_TEST(minshall_nagle_tail_not_held_behind_segments_trimmed_for_sack_blocks)
{
    static struct peer peer;
    struct sc *sc = sack_ts_connection(&peer);
    const uint32_t us = peer.base, r = sc->irs + 1, room = PEER_MSS - 40;
    send_bytes(sc, 0, 3 * room + 100);
    for (uint32_t k = 0; k < 3; k++)
        ck_assert_uint_eq(expect_data(sc, us + k * room, r, k * room, room)->opt.nsack, 3);
    expect_data(sc, us + 3 * room, r, 3 * room, 100);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* The sender's segment unit (tcp_effective_mss, asked on every tcp_output) counts the
 * timestamps as a constant; it is the room tcp_payload_room gives a segment whose only option
 * is the timestamps, with and without them, for the default and announced MSS values. */
START_TEST(effective_mss_is_the_room_beside_the_timestamps)
{
    static const uint16_t mss[] = {0, 1, 12, 13, 88, 536, 1460, 8960, 65535};
    for (size_t i = 0; i < sizeof mss / sizeof mss[0]; i++)
        for (int ts = 0; ts < 2; ts++) {
            struct tcb t;
            memset(&t, 0, sizeof t);
            t.u.cc.mss = mss[i];
            t.flags = ts ? TF_TS : 0;
            const struct tcp_opts o = {.has_ts = (uint8_t)ts};
            ck_assert_uint_eq(tcp_effective_mss(&t), tcp_payload_room(&t, &o));
        }
}
END_TEST

int main(void)
{
    pattern_init();
    Suite *s = suite_create("tcp_flow");
    TCase *zw = tcase_create("zero_window");
    tcase_add_test(zw, rfc9293_3_10_7_4_zero_window_takes_ack_drops_text);
    tcase_add_test(zw, rfc9293_3_10_7_4_zero_window_takes_window_update);
    tcase_add_test(zw, rfc9293_3_10_7_4_zero_window_rst_at_rcv_nxt_resets);
    tcase_add_test(zw, rfc9293_3_10_7_4_zero_window_takes_fin_at_rcv_nxt);
    tcase_add_test(zw, rfc9293_3_10_7_4_zero_window_segment_beyond_rcv_nxt_only_acked);
    tcase_add_test(zw, rfc9293_3_10_7_4_segments_in_order_are_judged_as_by_the_window);
    suite_add_tcase(s, zw);
    TCase *gs = tcase_create("sendv_cork");
    tcase_add_test(gs, sendv_header_and_body_leave_as_one_segment);
    tcase_add_test(gs, two_sends_leave_as_two_segments_second_held_by_nagle_until_ack);
    tcase_add_test(gs, cork_holds_partial_segment_with_nothing_in_flight);
    tcase_add_test(gs, cork_sends_full_segments_and_uncork_flushes_the_rest);
    tcase_add_test(gs, cork_close_flushes_held_data_with_fin);
    tcase_add_test(gs, cork_not_overridden_by_nodelay);
    tcase_add_test(gs, sendv_argument_errors);
    tcase_add_test(gs, sendv_partial_when_send_buffer_nearly_full_returns_count_queued);
    suite_add_tcase(s, gs);
    TCase *mn = tcase_create("minshall_nagle");
    tcase_add_test(mn, minshall_nagle_sends_tail_at_once_holds_next_small_until_its_ack);
    tcase_add_test(mn, minshall_nagle_small_send_not_held_behind_full_segments);
    tcase_add_test(mn, minshall_nagle_nodelay_sends_small_segment_at_once);
    suite_add_tcase(s, mn);
    TCase *opt = tcase_create("options_room");
    tcase_set_timeout(opt, 30);
    tcase_add_test(opt, rfc6691_2_segment_text_leaves_room_for_sack_and_timestamps);
    tcase_add_test(opt, minshall_nagle_tail_not_held_behind_segments_trimmed_for_sack_blocks);
    tcase_add_test(opt, effective_mss_is_the_room_beside_the_timestamps);
    suite_add_tcase(s, opt);
    return rt_run_suite(s);
}
