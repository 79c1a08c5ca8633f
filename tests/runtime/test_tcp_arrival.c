/*
 * test_tcp_arrival.c — rules of segment arrival beyond a single row of the state table, at
 * the segment level: one stack, a scripted peer (tests/runtime/lib/scenario.h), every emitted
 * segment checked, time virtual.
 *
 *   - RFC 7323 3.2: once both SYNs carried timestamps, a segment without one (not a RST, not
 *     a SYN) is dropped without reply and counted (TsMissingDrops); a RST still resets;
 *   - RFC 9293 3.10.7.2 / 3.10.7.3: text on a SYN is queued and delivered once the connection
 *     is ESTABLISHED (a SYN-ACK's at once); a SYN repeated with its text is old, not a new SYN;
 *     a SYN cookie keeps nothing (RFC 4987 3.6), the peer sends its text again;
 *   - RFC 9293 3.10.7.4 eighth with reassembly: a FIN that arrives ahead of missing text is
 *     held and takes effect when the gap fills;
 *   - RFC 6191 2 (RFC 1122 4.2.2.13): which SYNs reopen a connection from TIME-WAIT, with and
 *     without timestamps on either incarnation (the rows themselves: transitions/checks.c).
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

#define A TCP_ACK
#define F TCP_FIN
#define S TCP_SYN
#define R TCP_RST
#define P TCP_PSH
#define W SC_PEER_WND

static const char text[64] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!";

/* ------------------------------------------------------------------ helpers ---- */

/* A segment from the peer with a timestamp option (tsval != 0) or none (tsval == 0). */
static int in_ts(struct sc *sc, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
                 uint32_t len, uint32_t tsval)
{
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.flags = flags;
    in.seq = seq;
    in.ack = ack;
    in.wnd = W;
    in.data = data;
    in.len = len;
    in.opt.has_ts = tsval != 0;
    in.opt.tsval = tsval;
    return sc_inject_in(sc, &in);
}

static struct tcpfsm_stats stats_of(struct sc *sc)
{
    struct tcpfsm_stats s;
    tcpfsm_get_stats(sc->st, &s);
    return s;
}

/* Read exactly n bytes and check they are text[off..off+n). */
static void recv_expect(struct sc *sc, int fd, size_t off, size_t n)
{
    char buf[sizeof text + 1];
    long r = tcpfsm_recv(sc->st, fd, buf, sizeof buf);
    if (r != (long)n) ck_abort_msg("recv returned %ld, expected %zu", r, n);
    if (memcmp(buf, text + off, n) != 0) ck_abort_msg("received text is not text[%zu..]", off);
}

/* A stack that offers timestamps (and neither SACK nor window scaling). */
static struct sc *ts_scenario(void)
{
    struct sc_opts o = {.with_options = true, .flags = TCPFSM_F_NO_SACK | TCPFSM_F_NO_WSCALE};
    return sc_new(&o);
}

/* Active open whose SYN-ACK carries a timestamp: timestamps are in use (RFC 7323 3.2). */
static void establish_ts(struct sc *sc, uint32_t peer_tsval)
{
    sc_connect(sc);
    ck_assert(sc->last.opt.has_ts);
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.flags = S | A;
    in.seq = sc->irs;
    in.ack = sc->iss + 1;
    in.wnd = W;
    in.opt.has_ts = 1;
    in.opt.tsval = peer_tsval;
    in.opt.tsecr = sc->last.opt.tsval;
    sc_inject_in(sc, &in);
    const struct tcp_seg *s = sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    ck_assert(s->opt.has_ts && s->opt.tsecr == peer_tsval);
    sc_expect_none(sc);
    ck_assert(sc_tcb(sc)->flags & TF_TS);
}

/* ============================================ RFC 7323 3.2: a missing timestamp ==== */

/* RFC 7323 3.2: "If a non-<RST> segment is received without a TSopt, a TCP SHOULD silently
 * drop the segment": text, a window update and a FIN without one change nothing and are not
 * answered; the same text with a timestamp is taken. */
START_TEST(rfc7323_3_2_segment_without_timestamp_is_dropped_silently)
{
    struct sc *sc = ts_scenario();
    establish_ts(sc, 5000);
    struct tcpfsm_stats b = stats_of(sc);
    uint32_t wnd = sc_tcb(sc)->snd_wnd;
    in_ts(sc, P | A, sc->irs + 1, sc->iss + 1, text, 10, 0);
    sc_advance(sc, 100000);
    sc_expect_none(sc);
    ck_assert_uint_eq(sc_tcb(sc)->rcv_nxt, sc->irs + 1);
    in_ts(sc, A, sc->irs + 1, sc->iss + 1, NULL, 0, 0); /* window update to 65535 << 0 */
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, 1000, NULL, 0);
    ck_assert_uint_eq(sc_tcb(sc)->snd_wnd, wnd);
    in_ts(sc, F | A, sc->irs + 1, sc->iss + 1, NULL, 0, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "ESTABLISHED");
    ck_assert_uint_eq(stats_of(sc).TsMissingDrops, b.TsMissingDrops + 4);
    ck_assert_uint_eq(stats_of(sc).OutSegs, b.OutSegs);
    in_ts(sc, P | A, sc->irs + 1, sc->iss + 1, text, 10, 5001);
    sc_advance(sc, 100000); /* the delayed ACK */
    sc_expect(sc, A, sc->iss + 1, sc->irs + 11, 0);
    recv_expect(sc, sc->fd, 0, 10);
    sc_free(sc);
}
END_TEST

/* RFC 7323 3.2: "A TCP MUST NOT abort a TCP connection because any segment lacks an expected
 * TSopt", and the drop is for non-<RST> segments: a RST without one is processed (RFC 9293
 * 3.10.7.4 second: exactly at RCV.NXT it resets). */
START_TEST(rfc7323_3_2_rst_without_timestamp_still_resets)
{
    struct sc *sc = ts_scenario();
    establish_ts(sc, 5000);
    struct tcpfsm_stats b = stats_of(sc);
    in_ts(sc, R, sc->irs + 1, 0, NULL, 0, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ECONNRESET);
    ck_assert_uint_eq(stats_of(sc).TsMissingDrops, b.TsMissingDrops);
    sc_free(sc);
}
END_TEST

/* RFC 7323 3.2 drops segments of the connection; a SYN asks for a new one (RFC 6191 2 judges
 * one without timestamps by its sequence number), and in a synchronized state it earns a
 * challenge ACK (RFC 5961 4.2), timestamp or not. */
START_TEST(rfc7323_3_2_syn_without_timestamp_earns_challenge_ack)
{
    struct sc *sc = ts_scenario();
    establish_ts(sc, 5000);
    struct tcpfsm_stats b = stats_of(sc);
    in_ts(sc, S, sc->irs + 6, 0, NULL, 0, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "ESTABLISHED");
    ck_assert_uint_eq(stats_of(sc).ChallengeAcks, b.ChallengeAcks + 1);
    ck_assert_uint_eq(stats_of(sc).TsMissingDrops, b.TsMissingDrops);
    sc_free(sc);
}
END_TEST

/* RFC 7323 3.2: timestamps are in use once the SYN and the SYN-ACK both carried them: in a
 * passive SYN-RECEIVED the ACK that would complete the handshake without one is dropped; the
 * one with a timestamp completes it. */
START_TEST(rfc7323_3_2_handshake_ack_without_timestamp_is_dropped)
{
    struct sc *sc = ts_scenario();
    sc_listen(sc);
    in_ts(sc, S, sc->irs, 0, NULL, 0, 700);
    const struct tcp_seg *s = sc_next(sc);
    ck_assert_uint_eq(s->flags, S | A);
    ck_assert(s->opt.has_ts && s->opt.tsecr == 700);
    sc->iss = s->seq;
    struct tcpfsm_stats b = stats_of(sc);
    in_ts(sc, A, sc->irs + 1, sc->iss + 1, NULL, 0, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "SYN_RCVD");
    ck_assert_uint_eq(stats_of(sc).TsMissingDrops, b.TsMissingDrops + 1);
    in_ts(sc, A, sc->irs + 1, sc->iss + 1, NULL, 0, 701);
    sc_expect_none(sc);
    sc_expect_state(sc, "ESTABLISHED");
    sc_free(sc);
}
END_TEST

/* RFC 7323 3.2: a SYN-ACK without timestamps leaves them off for the connection: then
 * segments need none. */
START_TEST(rfc7323_3_2_without_timestamps_in_use_none_are_needed)
{
    struct sc *sc = ts_scenario();
    sc_connect(sc);
    in_ts(sc, S | A, sc->irs, sc->iss + 1, NULL, 0, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    ck_assert(!(sc_tcb(sc)->flags & TF_TS));
    in_ts(sc, P | A, sc->irs + 1, sc->iss + 1, text, 10, 0);
    sc_advance(sc, 100000);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 11, 0);
    ck_assert_uint_eq(stats_of(sc).TsMissingDrops, 0);
    sc_free(sc);
}
END_TEST

/* ================================ RFC 9293 3.10.7.2 / 3.10.7.3: text on a SYN ==== */

/* Listen, then a SYN carrying `len` bytes of text: our SYN-ACK acknowledges the SYN only
 * (its text is queued, not yet processed). */
static void syn_with_text(struct sc *sc, uint32_t len)
{
    sc_listen(sc);
    sc_inject(sc, S, sc->irs, 0, W, text, len);
    const struct tcp_seg *s = sc_next(sc);
    ck_assert_uint_eq(s->flags, S | A);
    ck_assert_uint_eq(s->ack, sc->irs + 1);
    sc->iss = s->seq;
    sc_expect_none(sc);
    sc_expect_state(sc, "SYN_RCVD");
}

/* RFC 9293 3.10.7.2 third: "any other control or text should be queued for processing
 * later"; "any other incoming control or data (combined with SYN) will be processed in the
 * SYN-RECEIVED state, but processing of SYN and ACK should not be repeated": the ACK that
 * completes the handshake brings the queued text in, and it is acknowledged at once. */
START_TEST(rfc9293_3_10_7_2_syn_text_is_delivered_after_the_handshake)
{
    struct sc *sc = sc_new(NULL);
    syn_with_text(sc, 10);
    ck_assert_int_eq(tcpfsm_accept(sc->st, sc->lfd, NULL, NULL), -EAGAIN);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 11, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "ESTABLISHED");
    sc->fd = tcpfsm_accept(sc->st, sc->lfd, NULL, NULL);
    ck_assert_int_ge(sc->fd, 0);
    recv_expect(sc, sc->fd, 0, 10);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.2: the peer, seeing only its SYN acknowledged, sends the text again with the
 * handshake's ACK, and more after it: every byte is delivered once, in order. */
START_TEST(rfc9293_3_10_7_2_syn_text_sent_again_with_the_ack_is_taken_once)
{
    struct sc *sc = sc_new(NULL);
    syn_with_text(sc, 10);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, text, 15);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 16, 0);
    sc_expect_none(sc);
    sc->fd = tcpfsm_accept(sc->st, sc->lfd, NULL, NULL);
    ck_assert_int_ge(sc->fd, 0);
    recv_expect(sc, sc->fd, 0, 15);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.4 first: the peer's SYN again, with its text, while we are in SYN-RECEIVED
 * (our SYN-ACK was lost): it begins before RCV.NXT, so it is old and answered with an ACK; the
 * text in it would otherwise pass the window test and make it a new SYN, which ends a passive
 * SYN-RECEIVED (fourth). The handshake then completes with the text. */
START_TEST(rfc9293_3_10_7_4_syn_repeated_with_text_is_old)
{
    struct sc *sc = sc_new(NULL);
    syn_with_text(sc, 10);
    sc_inject(sc, S, sc->irs, 0, W, text, 10);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "SYN_RCVD");
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 11, 0);
    sc->fd = tcpfsm_accept(sc->st, sc->lfd, NULL, NULL);
    ck_assert_int_ge(sc->fd, 0);
    recv_expect(sc, sc->fd, 0, 10);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.2: text queued with a SYN goes with the connection when a RST ends it in
 * SYN-RECEIVED: no memory is left held, the listener goes on. */
START_TEST(rfc9293_3_10_7_2_syn_text_freed_when_reset)
{
    struct sc *sc = sc_new(NULL);
    syn_with_text(sc, 10);
    ck_assert_uint_gt(stats_of(sc).BufferBytes, 0);
    sc_inject(sc, R, sc->irs + 1, 0, 0, NULL, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "CLOSED");
    ck_assert_uint_eq(stats_of(sc).BufferBytes, 0);
    ck_assert_str_eq(sc_fd_state(sc, sc->lfd), "LISTEN");
    sc_free(sc);
}
END_TEST

/* RFC 4987 3.6 / RFC 9293 3.10.7.2: a SYN answered with a SYN cookie keeps no state, so its
 * text cannot be queued: the cookie SYN-ACK acknowledges the SYN only, and the text the peer
 * sends again with its ACK is delivered. */
START_TEST(rfc4987_3_6_syn_cookie_keeps_no_syn_text)
{
    struct sc *sc = sc_new(NULL);
    sc_listen_backlog(sc, 1);
    struct sc_in other = {.sport = SC_PEER_PORT + 1, .flags = S, .seq = 77, .wnd = W};
    sc_inject_in(sc, &other); /* fills the SYN queue */
    ck_assert_uint_eq(sc_next(sc)->flags, S | A);
    struct tcpfsm_stats b = stats_of(sc);
    sc_inject(sc, S, sc->irs, 0, W, text, 10);
    const struct tcp_seg *s = sc_next(sc);
    ck_assert_uint_eq(s->flags, S | A);
    ck_assert_uint_eq(s->ack, sc->irs + 1);
    ck_assert_uint_eq(stats_of(sc).SynCookiesSent, b.SynCookiesSent + 1);
    sc->iss = s->seq;
    sc_expect_none(sc);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, text, 10);
    sc_advance(sc, 100000); /* the delayed ACK */
    sc_expect(sc, A, sc->iss + 1, sc->irs + 11, 0);
    sc->fd = tcpfsm_accept(sc->st, sc->lfd, NULL, NULL);
    ck_assert_int_ge(sc->fd, 0);
    recv_expect(sc, sc->fd, 0, 10);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.3 fourth: a SYN-ACK that acknowledges our SYN makes the connection
 * ESTABLISHED, and "if there are other controls or text in the segment, then continue
 * processing at the sixth step": its text is taken, and the one ACK acknowledges it. */
START_TEST(rfc9293_3_10_7_3_syn_ack_text_is_taken_at_once)
{
    struct sc *sc = sc_new(NULL);
    sc_connect(sc);
    sc_inject(sc, S | A, sc->irs, sc->iss + 1, W, text, 10);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 11, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "ESTABLISHED");
    recv_expect(sc, sc->fd, 0, 10);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.3 fourth, simultaneous open: "If there are other controls or text in the
 * segment, queue them for processing after the ESTABLISHED state has been reached". */
START_TEST(rfc9293_3_10_7_3_simultaneous_open_syn_text_waits_for_established)
{
    struct sc *sc = sc_new(NULL);
    sc_connect(sc);
    sc_inject(sc, S, sc->irs, 0, W, text, 10);
    sc_expect(sc, S | A, sc->iss, sc->irs + 1, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "SYN_RCVD");
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, (char[16]){0}, 16), -EAGAIN);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 11, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "ESTABLISHED");
    recv_expect(sc, sc->fd, 0, 10);
    sc_free(sc);
}
END_TEST

/* ========================= RFC 9293 3.10.7.4 eighth: a FIN ahead of missing text ==== */

static void drv_established(struct sc *sc)
{
    sc_establish(sc);
}
static void drv_fin_wait_1(struct sc *sc)
{
    sc_to_fin_wait_1(sc, false);
}
static void drv_fin_wait_2(struct sc *sc)
{
    sc_to_fin_wait_2(sc, false);
}

/* The states that still take text (RECEIVING), where the peer's FIN takes them, and their
 * sequence numbers as offsets from our ISS (SND.UNA, SND.NXT). */
static const struct {
    const char *name, *after_fin;
    void (*drive)(struct sc *sc);
    uint32_t una, nxt;
} receiving[] = {
    {"ESTABLISHED", "CLOSE_WAIT", drv_established, 1, 1},
    {"FIN_WAIT_1", "CLOSING", drv_fin_wait_1, 1, 2},
    {"FIN_WAIT_2", "TIME_WAIT", drv_fin_wait_2, 2, 2},
};

/* RFC 9293 3.10.7.4: segments are processed in sequence, "segments with higher beginning
 * sequence numbers may be held for later processing", and the FIN (eighth) counts once all
 * before it has arrived. A FIN that comes with text beyond a gap is held with that text
 * (and answered with a duplicate ACK, RFC 5681 4.2); when the gap fills, both the text and
 * the FIN are taken, and one ACK acknowledges them. */
START_TEST(rfc9293_3_10_7_4_early_fin_takes_effect_when_the_gap_fills)
{
    struct sc *sc = sc_new(NULL);
    receiving[_i].drive(sc);
    uint32_t ack = sc->iss + receiving[_i].una, seq = sc->iss + receiving[_i].nxt;
    sc_inject(sc, P | A | F, sc->irs + 11, ack, W, text + 10, 10);
    sc_expect(sc, A, seq, sc->irs + 1, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, receiving[_i].name);
    sc_inject(sc, F | A, sc->irs + 11, ack, W, text + 10, 10); /* the same again: still held */
    sc_expect(sc, A, seq, sc->irs + 1, 0);
    sc_expect_state(sc, receiving[_i].name);
    sc_inject(sc, P | A, sc->irs + 1, ack, W, text, 10);
    sc_expect(sc, A, seq, sc->irs + 22, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, receiving[_i].after_fin);
    recv_expect(sc, sc->fd, 0, 20);
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), 0); /* end of stream */
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.4 eighth: a FIN alone, ahead of missing text, is held the same way. */
START_TEST(rfc9293_3_10_7_4_early_bare_fin_is_held)
{
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, F | A, sc->irs + 11, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    sc_expect_state(sc, "ESTABLISHED");
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, text, 10);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 12, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "CLOSE_WAIT");
    recv_expect(sc, sc->fd, 0, 10);
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), 0);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.4 eighth: the FIN ends the peer's stream: text that claims to lie beyond a
 * FIN already seen is no part of it and is not taken (a duplicate ACK answers it). */
START_TEST(rfc9293_3_10_7_4_text_beyond_a_held_fin_is_not_taken)
{
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, F | A, sc->irs + 11, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    sc_inject(sc, P | A, sc->irs + 11, sc->iss + 1, W, text + 10, 5);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, text, 14); /* crosses the FIN */
    sc_expect(sc, A, sc->iss + 1, sc->irs + 12, 0);
    sc_expect_state(sc, "CLOSE_WAIT");
    recv_expect(sc, sc->fd, 0, 10);
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), 0);
    sc_free(sc);
}
END_TEST

/* ============================= RFC 6191 2: reopening a connection in TIME-WAIT ==== */

#define TS_LAST 103u /* the peer's last timestamp on the old connection (its FIN) */

/* A server that closed first, in TIME-WAIT (a compact record), its listener listening; the
 * old connection used timestamps if `ts`. */
static void server_time_wait(struct sc *sc, bool ts)
{
    sc_listen(sc);
    in_ts(sc, S, sc->irs, 0, NULL, 0, ts ? 100 : 0);
    const struct tcp_seg *s = sc_next(sc);
    ck_assert_uint_eq(s->flags, S | A);
    ck_assert(s->opt.has_ts == ts);
    sc->iss = s->seq;
    in_ts(sc, A, sc->irs + 1, sc->iss + 1, NULL, 0, ts ? 101 : 0);
    int fd = tcpfsm_accept(sc->st, sc->lfd, NULL, NULL);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(tcpfsm_close(sc->st, fd), 0);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    in_ts(sc, A, sc->irs + 1, sc->iss + 2, NULL, 0, ts ? 102 : 0);
    in_ts(sc, F | A, sc->irs + 1, sc->iss + 2, NULL, 0, ts ? TS_LAST : 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "TIME_WAIT");
}

enum { NO_TS, TS_NEWER, TS_EQUAL, TS_OLDER };
enum { SEQ_OLDER, SEQ_NEWER };
static const uint32_t tsval_of[] = {
    [NO_TS] = 0, [TS_NEWER] = 200, [TS_EQUAL] = TS_LAST, [TS_OLDER] = 50};

/* RFC 6191 2, case by case: the old incarnation used timestamps or not; the SYN carries one
 * (newer than, equal to or older than the last one seen) or none; its sequence number is
 * beyond the old connection's (SEG.SEQ >= RCV.NXT: past the FIN, the last number seen) or
 * not. */
static const struct {
    const char *rule;
    bool old_ts;
    int syn_ts, seq;
    bool reopens;
} rfc6191[] = {
    {"A: timestamp greater than the last seen: honor", true, TS_NEWER, SEQ_OLDER, true},
    {"A: timestamp equal, sequence number greater: honor", true, TS_EQUAL, SEQ_NEWER, true},
    {"A: timestamp equal, sequence number not greater: drop", true, TS_EQUAL, SEQ_OLDER, false},
    {"A: no timestamps for the new one, sequence number greater: honor", true, NO_TS, SEQ_NEWER,
     true},
    {"A: no timestamps for the new one, sequence number not greater: drop", true, NO_TS, SEQ_OLDER,
     false},
    {"A: otherwise (an older timestamp): drop", true, TS_OLDER, SEQ_NEWER, false},
    {"B: timestamps for the new one: honor", false, TS_OLDER, SEQ_OLDER, true},
    {"B: no timestamps, sequence number greater: honor", false, NO_TS, SEQ_NEWER, true},
    {"B: otherwise: drop", false, NO_TS, SEQ_OLDER, false},
};

/* RFC 6191 2: a SYN that is honored ends TIME-WAIT and gets the new connection's SYN-ACK, with
 * an ISS beyond the old SND.NXT (RFC 1122 4.2.2.13) and timestamps if the SYN offered them;
 * one that is not leaves the old connection in TIME-WAIT, answered with an ACK as in every
 * synchronized state (RFC 9293 3.10.7.4; RFC 6191 would drop it silently, RFC 5961 4.2 and
 * Linux answer it). */
START_TEST(rfc6191_2_syn_in_time_wait)
{
    struct sc *sc = ts_scenario();
    sc_label("%s", rfc6191[_i].rule);
    server_time_wait(sc, rfc6191[_i].old_ts);
    uint32_t old_nxt = sc->iss + 2;
    uint32_t seq = rfc6191[_i].seq == SEQ_NEWER ? sc->irs + 2 + 70000 : sc->irs - 1000;
    uint32_t tsval = tsval_of[rfc6191[_i].syn_ts];
    struct tcpfsm_stats b = stats_of(sc);
    in_ts(sc, S, seq, 0, NULL, 0, tsval);
    if (rfc6191[_i].reopens) {
        const struct tcp_seg *s = sc_expect(sc, S | A, old_nxt + 65537u, seq + 1, 0);
        ck_assert(s->opt.has_ts == (tsval != 0));
        if (tsval) ck_assert_uint_eq(s->opt.tsecr, tsval);
        sc_expect_none(sc);
        sc_expect_state(sc, "SYN_RCVD");
        ck_assert_uint_eq(stats_of(sc).TimeWaitRecycled, b.TimeWaitRecycled + 1);
    } else {
        sc_expect(sc, A, old_nxt, sc->irs + 2, 0);
        sc_expect_none(sc);
        sc_expect_state(sc, "TIME_WAIT");
        ck_assert_uint_eq(stats_of(sc).TimeWaitRecycled, b.TimeWaitRecycled);
    }
    sc_free(sc);
}
END_TEST

/* RFC 6191 2 speaks of a connection request: a SYN-ACK, however new, is not one (RFC 5961
 * 4.2: a challenge ACK). */
START_TEST(rfc6191_2_syn_ack_does_not_reopen)
{
    struct sc *sc = ts_scenario();
    server_time_wait(sc, false);
    sc_inject(sc, S | A, sc->irs + 10, sc->iss + 2, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "TIME_WAIT");
    ck_assert_uint_eq(stats_of(sc).TimeWaitRecycled, 0);
    sc_free(sc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_arrival");
    TCase *ts = tcase_create("rfc7323_timestamps");
    tcase_add_test(ts, rfc7323_3_2_segment_without_timestamp_is_dropped_silently);
    tcase_add_test(ts, rfc7323_3_2_rst_without_timestamp_still_resets);
    tcase_add_test(ts, rfc7323_3_2_syn_without_timestamp_earns_challenge_ack);
    tcase_add_test(ts, rfc7323_3_2_handshake_ack_without_timestamp_is_dropped);
    tcase_add_test(ts, rfc7323_3_2_without_timestamps_in_use_none_are_needed);
    suite_add_tcase(s, ts);
    TCase *syn = tcase_create("syn_text");
    tcase_add_test(syn, rfc9293_3_10_7_2_syn_text_is_delivered_after_the_handshake);
    tcase_add_test(syn, rfc9293_3_10_7_2_syn_text_sent_again_with_the_ack_is_taken_once);
    tcase_add_test(syn, rfc9293_3_10_7_4_syn_repeated_with_text_is_old);
    tcase_add_test(syn, rfc9293_3_10_7_2_syn_text_freed_when_reset);
    tcase_add_test(syn, rfc4987_3_6_syn_cookie_keeps_no_syn_text);
    tcase_add_test(syn, rfc9293_3_10_7_3_syn_ack_text_is_taken_at_once);
    tcase_add_test(syn, rfc9293_3_10_7_3_simultaneous_open_syn_text_waits_for_established);
    suite_add_tcase(s, syn);
    TCase *fin = tcase_create("early_fin");
    tcase_add_loop_test(fin, rfc9293_3_10_7_4_early_fin_takes_effect_when_the_gap_fills, 0,
                        (int)(sizeof receiving / sizeof receiving[0]));
    tcase_add_test(fin, rfc9293_3_10_7_4_early_bare_fin_is_held);
    tcase_add_test(fin, rfc9293_3_10_7_4_text_beyond_a_held_fin_is_not_taken);
    suite_add_tcase(s, fin);
    TCase *tw = tcase_create("rfc6191_time_wait");
    tcase_add_loop_test(tw, rfc6191_2_syn_in_time_wait, 0,
                        (int)(sizeof rfc6191 / sizeof rfc6191[0]));
    tcase_add_test(tw, rfc6191_2_syn_ack_does_not_reopen);
    suite_add_tcase(s, tw);
    return rt_run_suite(s);
}
