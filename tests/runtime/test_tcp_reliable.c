/*
 * test_tcp_reliable.c — the reliability and flow-control machinery of the TCP core, one test
 * per mechanism, at the segment level: one stack, a scripted peer (tests/runtime/lib/scenario.h),
 * every emitted segment checked, time virtual and exact.
 *
 * RTO backoff (RFC 6298 5.5), Karn (RFC 6298 3), fast retransmit (RFC 5681 3.2), NewReno
 * partial ACKs (RFC 6582 3.2), SACK generation and use (RFC 2018 4, RFC 6675), PAWS (RFC 7323
 * 5), window scaling (RFC 7323 2), zero-window probing (RFC 9293 3.8.6.1), SWS avoidance
 * (RFC 9293 3.8.6.2), delayed ACKs (RFC 9293 3.8.6.3, RFC 5681 4.2), Nagle (RFC 9293 3.7.4),
 * keep-alives (RFC 1122 4.2.3.6), MSS and the MTU (RFC 9293 3.7.1), bounded reassembly,
 * giving up (RFC 9293 3.8.3 R2) and the USER TIMEOUT (RFC 9293 3.10.8).
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

/* ------------------------------------------------------------------ helpers ---- */

static uint8_t pattern[256 * 1024];

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

/* A data segment <SEQ=seq><ACK=ack> of len bytes; PSH is the sender's choice, not checked. */
#define expect_data(sc, seq, ack, len) expect_data_at((sc), (seq), (ack), (len), __FILE__, __LINE__)
static const struct tcp_seg *expect_data_at(struct sc *sc, uint32_t seq, uint32_t ack, uint32_t len,
                                            const char *file, int line)
{
    const struct tcp_seg *s = sc_next_at(sc, file, line);
    if ((s->flags & (uint8_t)~TCP_PSH) != TCP_ACK || s->seq != seq || s->ack != ack ||
        s->len != len)
        ck_abort_msg("%s:%d: expected <ACK seq=%u ack=%u len=%u>, got <%s seq=%u ack=%u len=%u>",
                     file, line, seq, ack, len, sc_flags_str(s->flags), s->seq, s->ack, s->len);
    return s;
}

/* Advance in 1 ms steps to abs_us, checking that nothing at all is emitted meanwhile. */
#define quiet_until(sc, abs_us) quiet_until_at((sc), (abs_us), __FILE__, __LINE__)
static void quiet_until_at(struct sc *sc, tcpfsm_time_t abs_us, const char *file, int line)
{
    while (sc->now + MS <= abs_us) {
        sc_advance(sc, MS);
        if (sc_pending(sc)) {
            const struct tcp_seg *s = sc_next_at(sc, file, line);
            ck_abort_msg(
                "%s:%d: expected silence until +%llu ms, got <%s seq=%u len=%u> at +%llu ms", file,
                line, (unsigned long long)(abs_us - SC_T0) / MS, sc_flags_str(s->flags), s->seq,
                s->len, (unsigned long long)(sc->now - SC_T0) / MS);
        }
    }
    sc_advance_to(sc, abs_us);
}

/* Silent for `delta_us`, then (at exactly now + delta_us) something is emitted. */
#define quiet_then_output(sc, delta_us) quiet_then_output_at((sc), (delta_us), __FILE__, __LINE__)
static void quiet_then_output_at(struct sc *sc, tcpfsm_time_t delta_us, const char *file, int line)
{
    tcpfsm_time_t at = sc->now + delta_us;
    quiet_until_at(sc, at - MS, file, line);
    sc_advance_to(sc, at);
    if (!sc_pending(sc))
        ck_abort_msg("%s:%d: expected a segment at +%llu ms, nothing was emitted", file, line,
                     (unsigned long long)(at - SC_T0) / MS);
}

/* A segment from the peer with options. */
static int inject_opt(struct sc *sc, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
                      const void *data, uint32_t len, const struct tcp_opts *opt)
{
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.flags = flags;
    in.seq = seq;
    in.ack = ack;
    in.wnd = wnd;
    in.data = data;
    in.len = len;
    if (opt) in.opt = *opt;
    return sc_inject_in(sc, &in);
}

/* A duplicate/cumulative ACK from the peer carrying SACK blocks (start/end pairs). */
static void inject_sack(struct sc *sc, uint32_t ack, int n, const uint32_t *blocks)
{
    struct tcp_opts o;
    memset(&o, 0, sizeof o);
    o.nsack = (uint8_t)n;
    for (int i = 0; i < n; i++) {
        o.sack[i].start = blocks[2 * i];
        o.sack[i].end = blocks[2 * i + 1];
    }
    inject_opt(sc, TCP_ACK, sc->irs + 1, ack, SC_PEER_WND, NULL, 0, &o);
}

/* Active open where the peer's SYN-ACK carries `peer` options and window `wnd`; `rtt_us`
 * passes between our SYN and the SYN-ACK (the handshake's RTT sample, RFC 6298 3). */
static void establish_with(struct sc *sc, const struct tcp_opts *peer, uint16_t wnd,
                           tcpfsm_time_t rtt_us)
{
    sc_connect(sc);
    if (rtt_us) sc_advance(sc, rtt_us);
    inject_opt(sc, TCP_SYN | TCP_ACK, sc->irs, sc->iss + 1, wnd, NULL, 0, peer);
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "ESTABLISHED");
}

static struct sc *new_sc(uint32_t rto_us, uint32_t flags_or_default, bool with_options)
{
    struct sc_opts o = {.rto_us = rto_us, .flags = flags_or_default, .with_options = with_options};
    return sc_new(&o);
}

static struct tcpfsm_info info_of(struct sc *sc)
{
    struct tcpfsm_info i;
    ck_assert_int_eq(tcpfsm_get_info(sc->st, sc->fd, &i), 0);
    return i;
}

/* ------------------------------------------------------------ retransmission ---- */

/* RFC 6298 2.1 and 5.5: a SYN is retransmitted after the initial RTO (rto_initial_us, here
 * 250 ms, distinct from rto_min_us), then after 500, 1000 ms: the timer doubles each time;
 * after syn_retries retransmissions the next expiry gives up (RFC 9293 3.8.3 R2): ETIMEDOUT. */
START_TEST(rto_backoff_syn_doubles_from_initial_rto)
{
    struct sc_opts o = {.rto_us = 50 * MS, .syn_retries = 3};
    struct sc *sc = sc_new(&o);
    sc->st->cfg.rto_initial_us = 250 * MS; /* before the socket exists (rtt_init) */
    uint32_t iss = sc_connect(sc);
    const tcpfsm_time_t gaps[] = {250 * MS, 500 * MS, 1000 * MS};
    for (int i = 0; i < 3; i++) {
        quiet_then_output(sc, gaps[i]);
        sc_expect(sc, TCP_SYN, iss, 0, 0);
        sc_expect_none(sc);
        sc_expect_state(sc, "SYN_SENT");
    }
    quiet_until(sc, sc->now + 2000 * MS - MS);
    sc_expect_state(sc, "SYN_SENT");
    sc_advance(sc, MS);
    sc_expect_none(sc); /* giving up sends nothing */
    sc_expect_state(sc, "CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    ck_assert(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLERR);
    ck_assert_uint_eq(sc->now - SC_T0, (250 + 500 + 1000 + 2000) * MS);
    sc_free(sc);
}
END_TEST

/* RFC 6298 5.4-5.6 and 2.5: unacknowledged data is retransmitted after RTO = rto_min (50 ms;
 * the handshake's 10 ms sample gives SRTT + 4 RTTVAR = 30 ms, raised to the minimum), then
 * after 100, 200, 400, 800 ms, then the doubling is capped at rto_max (1 s). Each
 * retransmission is the one segment at SND.UNA (cwnd is the loss window, RFC 5681 3.1). */
START_TEST(rto_backoff_data_doubles_and_caps_at_rto_max)
{
    struct sc_opts o = {.rto_us = 50 * MS, .rto_max_us = 1000 * MS, .max_retries = 7};
    struct sc *sc = sc_new(&o);
    establish_with(sc, NULL, SC_PEER_WND, 10 * MS);
    ck_assert_uint_eq(info_of(sc).rto_us, 50 * MS);
    send_bytes(sc, 0, 3 * MSS_DEFAULT);
    for (uint32_t i = 0; i < 3; i++)
        expect_data(sc, sc->iss + 1 + i * MSS_DEFAULT, sc->irs + 1, MSS_DEFAULT);
    sc_expect_none(sc);
    const uint32_t gaps_ms[] = {50, 100, 200, 400, 800, 1000, 1000};
    for (int i = 0; i < 7; i++) {
        quiet_then_output(sc, gaps_ms[i] * MS);
        expect_data(sc, sc->iss + 1, sc->irs + 1, MSS_DEFAULT);
        sc_expect_none(sc);
        ck_assert_uint_eq(info_of(sc).rto_us, gaps_ms[i + 1 < 7 ? i + 1 : 6] * MS);
    }
    /* The eighth expiry (after 1 s more) gives up. */
    quiet_until(sc, sc->now + 1000 * MS - MS);
    sc_expect_state(sc, "ESTABLISHED");
    sc_advance(sc, MS);
    sc_expect_none(sc);
    sc_expect_state(sc, "CLOSED");
    struct tcpfsm_stats s;
    tcpfsm_get_stats(sc->st, &s);
    ck_assert_uint_eq(s.RetransSegs, 7);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.8.3 R2 / RFC 6298: after max_retries retransmissions of the same data the
 * connection is given up: the user sees ETIMEDOUT from poll/error/send/recv, the queues are
 * flushed and the TCB leaves the lookup table; no RST is sent (the peer is unreachable). */
START_TEST(retransmission_give_up_reports_etimedout)
{
    struct sc_opts o = {.rto_us = 20 * MS, .rto_max_us = 100 * MS, .max_retries = 3};
    struct sc *sc = sc_new(&o);
    sc_establish(sc);
    send_bytes(sc, 0, 100);
    expect_data(sc, sc->iss + 1, sc->irs + 1, 100);
    for (int i = 0; i < 3; i++) {
        sc_fire_next(sc);
        while (!sc_pending(sc))
            sc_fire_next(sc);
        expect_data(sc, sc->iss + 1, sc->irs + 1, 100);
    }
    while (strcmp(sc_state(sc), "CLOSED") != 0)
        sc_fire_next(sc);
    sc_expect_none(sc);
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    ck_assert(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLERR);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, "x", 1), -ETIMEDOUT);
    char c;
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, &c, 1), -ETIMEDOUT);
    ck_assert_uint_eq(sc->st->nconns, 0);
    ck_assert(!sc_timer_armed(sc));
    /* the peer's late ACK finds no connection: answered with a RST (RFC 9293 3.10.7.1) */
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 101, SC_PEER_WND, NULL, 0);
    sc_expect(sc, TCP_RST, sc->iss + 101, 0, 0);
    ck_assert_int_eq(tcpfsm_close(sc->st, sc->fd), 0);
    ck_assert_uint_eq(sc->st->buffer_bytes, 0);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.8 / RFC 5482: with a USER TIMEOUT of 250 ms, data unacknowledged for that
 * long aborts the connection (ETIMEDOUT) although max_retries (100) is far away. RTO 100 ms:
 * one retransmission at +100; the next would be at +300, but the timer is clamped to the
 * user timeout (as Linux does) so the abort comes at +250 (the timestamp of the first send
 * is kept in ms with its low bit set: up to 1 ms later). */
START_TEST(user_timeout_aborts_before_max_retries)
{
    struct sc_opts o = {.rto_us = 100 * MS, .max_retries = 100};
    struct sc *sc = sc_new(&o);
    sc->st->cfg.user_timeout_us = 250 * MS;
    sc_establish(sc);
    tcpfsm_time_t t0 = sc->now;
    send_bytes(sc, 0, 100);
    expect_data(sc, sc->iss + 1, sc->irs + 1, 100);
    quiet_then_output(sc, 100 * MS);
    expect_data(sc, sc->iss + 1, sc->irs + 1, 100);
    quiet_until(sc, t0 + 250 * MS - MS);
    sc_expect_state(sc, "ESTABLISHED");
    sc_advance(sc, 2 * MS);
    sc_expect_none(sc);
    sc_expect_state(sc, "CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    struct tcpfsm_stats s;
    tcpfsm_get_stats(sc->st, &s);
    ck_assert_uint_eq(s.RetransSegs, 1);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.4 first and 3.10.5: after a timeout the sender goes back to SND.UNA
 * (go-back-N), but the ACKs and the RST it sends still carry the highest sequence number
 * sent (RFC 9293's SND.NXT): the peer may have received everything up to it, and a
 * segment below its RCV.NXT would be unacceptable there (its ACK ignored, the RST dropped):
 * two such senders would ignore each other's ACKs until both gave up. */
START_TEST(ack_and_rst_after_timeout_carry_highest_seq_sent)
{
    struct sc_opts o = {.rto_us = 100 * MS};
    struct sc *sc = sc_new(&o);
    sc_establish(sc);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1, M = MSS_DEFAULT;
    send_bytes(sc, 0, 4 * M);
    for (uint32_t k = 0; k < 4; k++)
        expect_data(sc, us + k * M, r, M);
    quiet_then_output(sc, 100 * MS);
    expect_data(sc, us, r, M); /* go-back-N from SND.UNA */
    sc_expect_none(sc);
    /* the peer's data (its ACK of our data lost): our ACK says seq = us + 4M */
    sc_inject(sc, TCP_ACK | TCP_PSH, r, us, SC_PEER_WND, pattern, 10);
    sc_inject(sc, TCP_ACK | TCP_PSH, r + 10, us, SC_PEER_WND, pattern + 10, 10);
    sc_expect(sc, TCP_ACK, us + 4 * M, r + 20, 0);
    sc_expect_none(sc);
    ck_assert_int_eq(tcpfsm_abort(sc->st, sc->fd), 0);
    sc->fd = -1;
    sc_expect(sc, TCP_RST, us + 4 * M, 0, 0);
    sc_free(sc);
}
END_TEST

/* RFC 6298 3 (Karn's algorithm) and 5.5: the ACK of a retransmitted segment gives no RTT
 * sample (it is ambiguous) and the backed-off RTO stays until a sample from new data. */
START_TEST(karn_no_rtt_sample_from_retransmitted_segment)
{
    struct sc_opts o = {.rto_us = 20 * MS};
    struct sc *sc = sc_new(&o);
    establish_with(sc, NULL, SC_PEER_WND, 10 * MS); /* SRTT 10 ms, RTTVAR 5 ms */
    struct tcpfsm_info i = info_of(sc);
    ck_assert_uint_eq(i.rtt_us, 10 * MS);
    ck_assert_uint_eq(i.rttvar_us, 5 * MS);
    ck_assert_uint_eq(i.rto_us, 30 * MS);
    send_bytes(sc, 0, 100);
    expect_data(sc, sc->iss + 1, sc->irs + 1, 100);
    quiet_then_output(sc, 30 * MS);
    expect_data(sc, sc->iss + 1, sc->irs + 1, 100); /* the retransmission */
    sc_advance(sc, 50 * MS);                        /* a late ACK, before the next expiry (60 ms) */
    sc_expect_none(sc);
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 101, SC_PEER_WND, NULL, 0);
    i = info_of(sc);
    ck_assert_uint_eq(i.rtt_us, 10 * MS); /* no sample: neither 80 nor 50 */
    ck_assert_uint_eq(i.rttvar_us, 5 * MS);
    ck_assert_uint_eq(i.rto_us, 60 * MS); /* still backed off */
    /* new data, acknowledged after 18 ms: a valid sample ends the backoff */
    send_bytes(sc, 100, 100);
    expect_data(sc, sc->iss + 101, sc->irs + 1, 100);
    sc_advance(sc, 18 * MS);
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 201, SC_PEER_WND, NULL, 0);
    i = info_of(sc);
    ck_assert_uint_eq(i.rtt_us, 11 * MS); /* 7/8 * 10 + 1/8 * 18 */
    ck_assert_uint_eq(i.rttvar_us, 5750); /* 3/4 * 5 + 1/4 * 8 */
    ck_assert_uint_eq(i.rto_us, 11 * MS + 4 * 5750);
    sc_free(sc);
}
END_TEST

/* RFC 5681 3.2 (1)-(3): the first two duplicate ACKs retransmit nothing; the third
 * retransmits the segment at SND.UNA at once, before any timer, and sets
 * ssthresh = max(FlightSize/2, 2*SMSS), cwnd = ssthresh + 3*SMSS. */
START_TEST(fast_retransmit_on_third_duplicate_ack)
{
    struct sc *sc = new_sc(1000 * MS, 0, false); /* an RTO far away */
    sc_establish(sc);
    const uint32_t M = MSS_DEFAULT, base = sc->iss + 1;
    send_bytes(sc, 0, 10 * M); /* IW = 10 segments (RFC 6928) */
    for (uint32_t k = 0; k < 10; k++)
        expect_data(sc, base + k * M, sc->irs + 1, M);
    sc_expect_none(sc);
    sc_inject(sc, TCP_ACK, sc->irs + 1, base + M, SC_PEER_WND, NULL, 0); /* S0 arrived */
    sc_expect_none(sc);
    for (int d = 1; d <= 2; d++) { /* S2, S3 arrived: duplicates */
        sc_inject(sc, TCP_ACK, sc->irs + 1, base + M, SC_PEER_WND, NULL, 0);
        sc_expect_none(sc);
    }
    sc_inject(sc, TCP_ACK, sc->irs + 1, base + M, SC_PEER_WND, NULL, 0);
    expect_data(sc, base + M, sc->irs + 1, M); /* S1 again, now */
    sc_expect_none(sc);
    struct tcpfsm_info i = info_of(sc);
    ck_assert_uint_eq(i.ssthresh, 9 * M / 2); /* FlightSize 9 segments */
    ck_assert_uint_eq(i.cwnd, 9 * M / 2 + 3 * M);
    struct tcpfsm_stats s;
    tcpfsm_get_stats(sc->st, &s);
    ck_assert_uint_eq(s.RetransSegs, 1);
    sc_free(sc);
}
END_TEST

/* RFC 6582 3.2 (3)/(4): in fast recovery an ACK that covers new data but not `recover` (a
 * partial ACK) retransmits the next unacknowledged segment at once and stays in recovery;
 * the ACK covering recover ends it with cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS). */
START_TEST(newreno_partial_ack_retransmits_next_hole)
{
    struct sc *sc = new_sc(1000 * MS, 0, false);
    sc_establish(sc);
    const uint32_t M = MSS_DEFAULT, base = sc->iss + 1, ack = sc->irs + 1;
    send_bytes(sc, 0, 10 * M);
    for (uint32_t k = 0; k < 10; k++)
        expect_data(sc, base + k * M, ack, M);
    /* S1 and S4 are lost: S0 is ACKed, S2 S3 S5..S9 bring 7 duplicate ACKs */
    sc_inject(sc, TCP_ACK, sc->irs + 1, base + M, SC_PEER_WND, NULL, 0);
    for (int d = 1; d <= 7; d++) {
        sc_inject(sc, TCP_ACK, sc->irs + 1, base + M, SC_PEER_WND, NULL, 0);
        if (d == 3) expect_data(sc, base + M, ack, M); /* fast retransmit of S1 */
        sc_expect_none(sc);
    }
    struct tcpfsm_info i = info_of(sc);
    const uint32_t ssthresh = 9 * M / 2;
    ck_assert_uint_eq(i.ssthresh, ssthresh);
    ck_assert_uint_eq(i.cwnd, ssthresh + 3 * M + 4 * M); /* inflated by dups 4..7 */
    /* S1 arrives: the peer ACKs up to S4 (partial): S4 goes out at once */
    sc_inject(sc, TCP_ACK, sc->irs + 1, base + 4 * M, SC_PEER_WND, NULL, 0);
    expect_data(sc, base + 4 * M, ack, M);
    sc_expect_none(sc);
    ck_assert(sc_tcb(sc)->u.cc.in_recovery);
    /* S4 arrives: everything is acknowledged: recovery ends */
    sc_inject(sc, TCP_ACK, sc->irs + 1, base + 10 * M, SC_PEER_WND, NULL, 0);
    sc_expect_none(sc);
    ck_assert(!sc_tcb(sc)->u.cc.in_recovery);
    i = info_of(sc);
    ck_assert_uint_eq(i.cwnd, 2 * M); /* min(ssthresh, SMSS + SMSS) */
    struct tcpfsm_stats s;
    tcpfsm_get_stats(sc->st, &s);
    ck_assert_uint_eq(s.RetransSegs, 2);
    sc_free(sc);
}
END_TEST

/* ---------------------------------------------------------------------- SACK ---- */

/* Check the SACK blocks of the ACK just parsed: exactly `n` blocks, in this order. */
#define expect_sack(seg, n, ...)                                                                   \
    expect_sack_at((seg), (n), (const uint32_t[]){__VA_ARGS__}, __FILE__, __LINE__)
static void expect_sack_at(const struct tcp_seg *s, int n, const uint32_t *b, const char *file,
                           int line)
{
    char got[256] = "", want[256] = "";
    size_t o = 0;
    for (int k = 0; k < s->opt.nsack; k++)
        o += (size_t)snprintf(got + o, sizeof got - o, " %u-%u", s->opt.sack[k].start,
                              s->opt.sack[k].end);
    o = 0;
    for (int k = 0; k < n; k++)
        o += (size_t)snprintf(want + o, sizeof want - o, " %u-%u", b[2 * k], b[2 * k + 1]);
    if (strcmp(got, want) != 0)
        ck_abort_msg("%s:%d: SACK blocks:%s, expected:%s", file, line, got, want);
}

/* Out-of-order segments for the SACK generation tests: [off, off+100) relative to RCV.NXT. */
static const struct tcp_seg *sack_ooo(struct sc *sc, uint32_t off)
{
    sc_inject(sc, TCP_ACK, sc->irs + 1 + off, sc->iss + 1, SC_PEER_WND, pattern + off, 100);
    return sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 0); /* at once (RFC 5681 4.2) */
}

static struct sc *sack_receiver(void)
{
    struct sc *sc = new_sc(1000 * MS, TCPFSM_F_NO_TIMESTAMPS | TCPFSM_F_NO_WSCALE, true);
    struct tcp_opts peer = {.sack_ok = 1};
    establish_with(sc, &peer, SC_PEER_WND, 0);
    ck_assert_uint_eq(info_of(sc).sack_ok, 1);
    return sc;
}

/* RFC 2018 4: every ACK sent while out-of-order data is held carries SACK blocks, and "the
 * first SACK block (i.e., the one immediately following the kind and length fields in the
 * option) MUST specify the contiguous block of data containing the segment which triggered
 * this ACK"; every held range is reported while they fit (4 blocks without timestamps). */
START_TEST(sack_first_block_holds_most_recent_segment)
{
    struct sc *sc = sack_receiver();
    const uint32_t r = sc->irs + 1;
    expect_sack(sack_ooo(sc, 100), 1, r + 100, r + 200);
    const struct tcp_seg *s = sack_ooo(sc, 300);
    ck_assert_int_eq(s->opt.nsack, 2);
    ck_assert_uint_eq(s->opt.sack[0].start, r + 300);
    ck_assert_uint_eq(s->opt.sack[0].end, r + 400);
    s = sack_ooo(sc, 500);
    ck_assert_int_eq(s->opt.nsack, 3);
    ck_assert_uint_eq(s->opt.sack[0].start, r + 500);
    /* [200,300) joins two blocks: the joined block comes first */
    expect_sack(sack_ooo(sc, 200), 2, r + 100, r + 400, r + 500, r + 600);
    /* a segment overlapping the low block's start: that block, extended, comes first */
    s = sack_ooo(sc, 50);
    ck_assert_uint_eq(s->opt.sack[0].start, r + 50);
    ck_assert_uint_eq(s->opt.sack[0].end, r + 400);
    for (uint32_t off = 700; off <= 1300; off += 200) {
        s = sack_ooo(sc, off);
        ck_assert_int_eq(s->opt.nsack, off == 700 ? 3 : 4); /* 3, 4, 5, 6 ranges */
        ck_assert_uint_eq(s->opt.sack[0].start, r + off);
        ck_assert_uint_eq(s->opt.sack[0].end, r + off + 100);
        for (int k = 1; k < s->opt.nsack; k++)
            ck_assert_uint_ne(s->opt.sack[k].start, r + off);
    }
    /* the hole is filled: [0,50) delivers 0..400; held ranges are still reported */
    sc_inject(sc, TCP_ACK, r, sc->iss + 1, SC_PEER_WND, pattern, 50);
    s = sc_expect(sc, TCP_ACK, sc->iss + 1, r + 400, 0);
    ck_assert_int_eq(s->opt.nsack, 4);
    sc_expect_none(sc);
    /* everything arrives: no more SACK blocks */
    for (uint32_t off = 400; off < 1400; off += 200)
        sc_inject(sc, TCP_ACK, r + off, sc->iss + 1, SC_PEER_WND, pattern + off, 100);
    sc_advance(sc, 200 * MS);
    while (sc_pending(sc))
        s = sc_next(sc);
    ck_assert_uint_eq(s->ack, r + 1400);
    ck_assert_int_eq(s->opt.nsack, 0);
    sc_free(sc);
}
END_TEST

/* RFC 2018 4: "The SACK option SHOULD be filled out by repeating the most recently reported
 * SACK blocks ... that are not subsets of a SACK block already included", so each block is
 * reported several times and a lost ACK loses nothing: after the first block come the
 * blocks reported first most recently, newest first. With five ranges and room for four the
 * one left out is the oldest report. */
START_TEST(sack_later_blocks_repeat_most_recent_reports)
{
    struct sc *sc = sack_receiver();
    const uint32_t r = sc->irs + 1;
    sack_ooo(sc, 100);
    sack_ooo(sc, 300);
    expect_sack(sack_ooo(sc, 500), 3, r + 500, r + 600, r + 300, r + 400, r + 100, r + 200);
    sack_ooo(sc, 700);
    expect_sack(sack_ooo(sc, 900), 4, r + 900, r + 1000, r + 700, r + 800, r + 500, r + 600,
                r + 300, r + 400);
    sc_free(sc);
}
END_TEST

/* RFC 2018 (the sender's side) and RFC 6675 5: with SACK the sender retransmits the holes
 * only, never bytes the receiver reported as SACKed: the third duplicate ACK retransmits the
 * first hole, the next duplicate ACK the second hole (NextSeg), and no SACKed segment is
 * ever sent again. */
START_TEST(sack_retransmits_holes_not_sacked_data)
{
    struct sc *sc = new_sc(1000 * MS, TCPFSM_F_NO_TIMESTAMPS | TCPFSM_F_NO_WSCALE, true);
    struct tcp_opts peer = {.sack_ok = 1};
    establish_with(sc, &peer, SC_PEER_WND, 0);
    const uint32_t M = MSS_DEFAULT, b = sc->iss + 1, ack = sc->irs + 1;
#define S(k) (b + (uint32_t)(k)*M)
    send_bytes(sc, 0, 10 * M);
    for (uint32_t k = 0; k < 10; k++)
        expect_data(sc, S(k), ack, M);
    /* S1 and S3 lost */
    sc_inject(sc, TCP_ACK, ack, S(1), SC_PEER_WND, NULL, 0);  /* S0 */
    inject_sack(sc, S(1), 1, (const uint32_t[]){S(2), S(3)}); /* S2 */
    sc_expect_none(sc);
    inject_sack(sc, S(1), 2, (const uint32_t[]){S(4), S(5), S(2), S(3)}); /* S4 */
    sc_expect_none(sc);
    inject_sack(sc, S(1), 2, (const uint32_t[]){S(4), S(6), S(2), S(3)}); /* S5: 3rd dup */
    expect_data(sc, S(1), ack, M);
    sc_expect_none(sc);
    inject_sack(sc, S(1), 2, (const uint32_t[]){S(4), S(7), S(2), S(3)}); /* S6 */
    expect_data(sc, S(3), ack, M);                                        /* hole 2 */
    sc_expect_none(sc);
    for (int k = 7; k < 10; k++) { /* S7..S9 */
        inject_sack(sc, S(1), 2, (const uint32_t[]){S(4), S(k + 1), S(2), S(3)});
        sc_expect_none(sc);
    }
    /* S1 arrives: partial ACK to S3. S3 was retransmitted already (HighRxt is past it);
     * RFC 6582 resends it once more (RFC 6675 would not): either way, no SACKed byte */
    inject_sack(sc, S(3), 1, (const uint32_t[]){S(4), S(10)});
    while (sc_pending(sc)) {
        const struct tcp_seg *s = sc_next(sc);
        ck_assert_msg(s->len == 0 || (seq_geq(s->seq, S(3)) && seq_leq(s->seq + s->len, S(4))),
                      "SACKed data retransmitted: seq=%u len=%u", s->seq, s->len);
    }
    sc_inject(sc, TCP_ACK, ack, S(10), SC_PEER_WND, NULL, 0);
    sc_expect_none(sc);
    ck_assert(!sc_tcb(sc)->u.cc.in_recovery);
#undef S
    sc_free(sc);
}
END_TEST

/* ---------------------------------------------------------------------- PAWS ---- */

/* RFC 7323 5.3 R1-R3: with timestamps on, a segment whose TSval is older than TS.Recent is
 * an old duplicate: it is dropped (its data is not delivered, RCV.NXT does not move), an ACK
 * is sent, PawsDrops counts it; a segment with a current TSval is accepted. */
START_TEST(paws_rejects_old_timestamp)
{
    struct sc *sc = new_sc(1000 * MS, TCPFSM_F_NO_SACK | TCPFSM_F_NO_WSCALE, true);
    struct tcp_opts peer = {.has_ts = 1, .tsval = 5000, .tsecr = 0};
    sc_connect(sc);
    peer.tsecr = sc->last.opt.tsval;
    ck_assert(sc->last.opt.has_ts);
    inject_opt(sc, TCP_SYN | TCP_ACK, sc->irs, sc->iss + 1, SC_PEER_WND, NULL, 0, &peer);
    const struct tcp_seg *s = sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 0);
    ck_assert(s->opt.has_ts);
    ck_assert_uint_eq(s->opt.tsecr, 5000);
    ck_assert_uint_eq(info_of(sc).ts_ok, 1);
    const uint32_t r = sc->irs + 1, us = sc->iss + 1;
    struct tcp_opts o = {.has_ts = 1, .tsval = 6000};
    inject_opt(sc, TCP_ACK | TCP_PSH, r, us, SC_PEER_WND, pattern, 100, &o);
    ck_assert_uint_eq(sc_tcb(sc)->rcv_nxt, r + 100);
    ck_assert_uint_eq(sc_tcb(sc)->ts_recent, 6000);
    sc_advance(sc, 100 * MS);
    sc_expect(sc, TCP_ACK, us, r + 100, 0); /* the delayed ACK */
    /* an old duplicate of the next segment: TSval 5999 < TS.Recent */
    o.tsval = 5999;
    inject_opt(sc, TCP_ACK | TCP_PSH, r + 100, us, SC_PEER_WND, pattern + 100, 100, &o);
    s = sc_expect(sc, TCP_ACK, us, r + 100, 0);
    ck_assert_uint_eq(s->opt.tsecr, 6000);
    ck_assert_uint_eq(sc_tcb(sc)->rcv_nxt, r + 100);
    struct tcpfsm_stats st;
    tcpfsm_get_stats(sc->st, &st);
    ck_assert_uint_eq(st.PawsDrops, 1);
    uint8_t buf[300];
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 100);
    ck_assert(memcmp(buf, pattern, 100) == 0);
    /* the same bytes with a current timestamp are taken */
    o.tsval = 6001;
    inject_opt(sc, TCP_ACK | TCP_PSH, r + 100, us, SC_PEER_WND, pattern + 100, 100, &o);
    ck_assert_uint_eq(sc_tcb(sc)->rcv_nxt, r + 200);
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 100);
    ck_assert(memcmp(buf, pattern + 100, 100) == 0);
    tcpfsm_get_stats(sc->st, &st);
    ck_assert_uint_eq(st.PawsDrops, 1);
    sc_free(sc);
}
END_TEST

/* ----------------------------------------------------------- window scaling ---- */

/* RFC 7323 2.2-2.3: both SYNs carry a shift; windows in SYNs are never scaled; afterwards
 * every window we send is shifted right by our shift (rcvbuf 256 KiB -> 3) and every window
 * we receive is shifted left by the peer's (2). */
START_TEST(window_scaling_negotiated_and_applied_both_ways)
{
    struct sc_opts so = {.rto_us = 1000 * MS,
                         .rcvbuf = 256 * 1024,
                         .with_options = true,
                         .flags = TCPFSM_F_NO_SACK | TCPFSM_F_NO_TIMESTAMPS};
    struct sc *sc = sc_new(&so);
    sc_connect(sc);
    ck_assert(sc->last.opt.has_wscale);
    ck_assert_uint_eq(sc->last.opt.wscale, 3);
    ck_assert_uint_eq(sc->last.wnd, 65535); /* SYN: unscaled, clamped */
    struct tcp_opts peer = {.has_wscale = 1, .wscale = 2, .has_mss = 1, .mss = 1000};
    inject_opt(sc, TCP_SYN | TCP_ACK, sc->irs, sc->iss + 1, 1000, NULL, 0, &peer);
    const struct tcp_seg *s = sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 0);
    ck_assert_uint_eq(s->wnd, (256 * 1024) >> 3);
    struct tcpfsm_info i = info_of(sc);
    ck_assert_uint_eq(i.snd_wscale, 2);
    ck_assert_uint_eq(i.rcv_wscale, 3);
    ck_assert_uint_eq(i.snd_wnd, 1000); /* the SYN-ACK's, unscaled */
    /* the peer's window field 1000 now means 4000 bytes: four 1000-byte segments */
    const uint32_t us = sc->iss + 1, r = sc->irs + 1;
    sc_inject(sc, TCP_ACK, r, us, 1000, NULL, 0);
    ck_assert_uint_eq(info_of(sc).snd_wnd, 4000);
    send_bytes(sc, 0, 8000);
    for (uint32_t k = 0; k < 4; k++)
        expect_data(sc, us + k * 1000, r, 1000);
    sc_expect_none(sc);
    /* field 30000 << 2 = 120000 > 65535: the rest goes */
    sc_inject(sc, TCP_ACK, r, us + 4000, 30000, NULL, 0);
    ck_assert_uint_eq(info_of(sc).snd_wnd, 120000);
    for (uint32_t k = 4; k < 8; k++)
        expect_data(sc, us + k * 1000, r, 1000);
    sc_expect_none(sc);
    /* our advertisement after 1000 bytes arrive: (256 KiB - 1000) >> 3 */
    sc_inject(sc, TCP_ACK | TCP_PSH, r, us + 8000, 30000, pattern, 1000);
    sc_advance(sc, 200 * MS);
    s = sc_expect(sc, TCP_ACK, us + 8000, r + 1000, 0);
    ck_assert_uint_eq(s->wnd, (256 * 1024 - 1000) >> 3);
    sc_free(sc);
}
END_TEST

/* RFC 7323 2.2: "both sides or neither": a SYN-ACK without the option turns scaling off for
 * our windows too. */
START_TEST(window_scaling_off_when_peer_does_not_offer_it)
{
    struct sc_opts so = {.rto_us = 1000 * MS,
                         .rcvbuf = 256 * 1024,
                         .with_options = true,
                         .flags = TCPFSM_F_NO_SACK | TCPFSM_F_NO_TIMESTAMPS};
    struct sc *sc = sc_new(&so);
    establish_with(sc, NULL, 1000, 0);
    struct tcpfsm_info i = info_of(sc);
    ck_assert_uint_eq(i.snd_wscale, 0);
    ck_assert_uint_eq(i.rcv_wscale, 0);
    ck_assert_uint_eq(sc->last.wnd, 65535);
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 1, 1000, NULL, 0);
    ck_assert_uint_eq(info_of(sc).snd_wnd, 1000);
    sc_free(sc);
}
END_TEST

/* ------------------------------------------------------------ flow control ---- */

/* RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: a zero window with data queued starts the persist
 * timer; each expiry sends a one-octet probe and backs off (RTO, 2 RTO, 4 RTO, ...); the
 * connection never gives up while probes are answered; a window update resumes the data. */
START_TEST(zero_window_persist_probes_backoff_then_resume)
{
    struct sc_opts o = {.rto_us = 100 * MS, .rto_max_us = 10000 * MS, .max_retries = 3};
    struct sc *sc = sc_new(&o);
    sc_establish(sc);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1, M = MSS_DEFAULT;
    send_bytes(sc, 0, 2 * M);
    expect_data(sc, us, r, M);
    expect_data(sc, us + M, r, M);
    sc_inject(sc, TCP_ACK, r, us + 2 * M, 0, NULL, 0); /* all taken, window closed */
    send_bytes(sc, 2 * M, 3 * M);
    sc_expect_none(sc);
    uint32_t una = us + 2 * M;
    const uint32_t gaps_ms[] = {100, 200, 400, 800, 1600, 3200};
    for (int k = 0; k < 6; k++) { /* more than max_retries */
        quiet_then_output(sc, gaps_ms[k] * MS);
        const struct tcp_seg *s = expect_data(sc, una, r, 1);
        ck_assert_uint_eq(s->data[0], pattern[2 * M]);
        sc_expect_none(sc);
        sc_inject(sc, TCP_ACK, r, una, 0, NULL, 0); /* the probe is not taken */
        sc_expect_none(sc);
        sc_expect_state(sc, "ESTABLISHED");
    }
    /* the window opens: the queued data goes at once, from SND.UNA */
    sc_inject(sc, TCP_ACK, r, una, SC_PEER_WND, NULL, 0);
    uint32_t total = 0;
    while (sc_pending(sc)) {
        const struct tcp_seg *s = sc_next(sc);
        ck_assert_uint_eq(s->seq, una + total);
        total += s->len;
    }
    ck_assert_uint_eq(total, 3 * M);
    sc_inject(sc, TCP_ACK, r, una + 3 * M, SC_PEER_WND, NULL, 0);
    ck_assert_uint_eq(info_of(sc).send_q, 0);
    sc_expect_none(sc);
    ck_assert_uint_eq(info_of(sc).cwnd >= M, 1);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.8.6.2.1 (sender SWS avoidance): while data is in flight no segment smaller than
 * the MSS is sent just because the window has a small gap left; 3.8.6.2.2 (receiver): a
 * window that reopens by less than min(RCV.BUFF/2, MSS) is not advertised. */
START_TEST(sws_avoidance_no_tiny_segments)
{
    struct sc *sc = new_sc(1000 * MS, 0, false);
    sc_establish(sc);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1, M = MSS_DEFAULT;
    sc_inject(sc, TCP_ACK, r, us, 700, NULL, 0); /* window: 700 = M + 164 */
    send_bytes(sc, 0, 4 * M);
    expect_data(sc, us, r, M);
    sc_expect_none(sc); /* not the 164-byte runt */
    uint32_t una = us;
    for (int k = 1; k < 4; k++) { /* each ACK slides 700 by M */
        una += M;
        sc_inject(sc, TCP_ACK, r, una, 700, NULL, 0);
        expect_data(sc, una, r, M);
        sc_expect_none(sc);
    }
    sc_inject(sc, TCP_ACK, r, una + M, 700, NULL, 0);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

START_TEST(sws_avoidance_receiver_withholds_small_window_updates)
{
    struct sc_opts o = {.rto_us = 1000 * MS, .rcvbuf = 4096};
    struct sc *sc = sc_new(&o);
    sc_establish(sc);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1;
    /* the peer fills the 4096-byte buffer: the window closes */
    for (uint32_t off = 0; off < 4096; off += 512)
        sc_inject(sc, TCP_ACK, r + off, us, SC_PEER_WND, pattern + off, 512);
    sc_advance(sc, 200 * MS);
    uint32_t last_wnd = 0;
    while (sc_pending(sc))
        last_wnd = sc_next(sc)->wnd;
    ck_assert_uint_eq(last_wnd, 0);
    ck_assert_uint_eq(sc->last.ack, r + 4096);
    uint8_t buf[4096];
    /* reading 100 bytes: 100 < min(2048, 536): no update */
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, buf, 100), 100);
    sc_advance(sc, 300 * MS);
    sc_expect_none(sc);
    /* 436 more (536 in all): now the window is worth announcing */
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, buf, 436), 436);
    const struct tcp_seg *s = sc_expect(sc, TCP_ACK, us, r + 4096, 0);
    ck_assert_uint_eq(s->wnd, 536);
    sc_free(sc);
}
END_TEST

static void discard(void *arg, const void *pkt, size_t len)
{
    (void)arg;
    (void)pkt;
    (void)len;
}

/* RFC 9293 3.8.6.3 / RFC 1122 4.2.3.2 / RFC 5681 4.2: a lone full segment is ACKed when the
 * delayed-ACK timer (delack_us, 40 ms here) expires; a second full segment is ACKed at once;
 * a configured delay above 200 ms is refused, 200 ms is kept. */
START_TEST(delayed_ack_every_second_segment_and_timer)
{
    struct sc *sc = new_sc(1000 * MS, 0, false);
    sc_establish(sc);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1, M = MSS_DEFAULT;
    sc_inject(sc, TCP_ACK, r, us, SC_PEER_WND, pattern, M);
    sc_expect_none(sc);
    quiet_then_output(sc, 40 * MS);
    sc_expect(sc, TCP_ACK, us, r + M, 0);
    sc_expect_none(sc);
    /* two segments: the second is ACKed immediately, no timer left */
    sc_inject(sc, TCP_ACK, r + M, us, SC_PEER_WND, pattern + M, M);
    sc_expect_none(sc);
    sc_advance(sc, 5 * MS);
    sc_inject(sc, TCP_ACK, r + 2 * M, us, SC_PEER_WND, pattern + 2 * M, M);
    sc_expect(sc, TCP_ACK, us, r + 3 * M, 0);
    sc_expect_none(sc);
    ck_assert(!sc_timer_armed(sc));
    sc_free(sc);

    /* the longest delay the stack takes is 200 ms (RFC 9293 3.8.6.3 MUST-40: under 0.5 s;
     * RFC 1122 4.2.3.2); a longer one is refused */
    struct tcpfsm_config bad = {.addr = SC_LOCAL_ADDR, .output = discard, .delack_us = 201 * MS};
    int err = 0;
    ck_assert_ptr_null(tcpfsm_stack_new(&bad, &err));
    ck_assert_int_eq(err, -EINVAL);
    struct sc_opts o = {.rto_us = 1000 * MS, .delack_us = 200 * MS};
    sc = sc_new(&o);
    sc_establish(sc);
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 1, SC_PEER_WND, pattern, 10);
    quiet_then_output(sc, 200 * MS);
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 11, 0);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.7.4 (Nagle, RFC 1122 4.2.3.4): with a small segment unacknowledged, further
 * small writes wait for its ACK and then go together; TCPFSM_OPT_NODELAY sends each at once. */
START_TEST(nagle_holds_small_segments_until_ack_and_nodelay_disables_it)
{
    struct sc *sc = new_sc(1000 * MS, 0, false);
    sc_establish(sc);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1;
    send_bytes(sc, 0, 10);
    expect_data(sc, us, r, 10);
    send_bytes(sc, 10, 10);
    send_bytes(sc, 20, 10);
    sc_expect_none(sc);
    sc_inject(sc, TCP_ACK, r, us + 10, SC_PEER_WND, NULL, 0);
    const struct tcp_seg *s = expect_data(sc, us + 10, r, 20);
    ck_assert(memcmp(s->data, pattern + 10, 20) == 0);
    sc_expect_none(sc);
    /* a full segment is never held back by Nagle */
    send_bytes(sc, 30, MSS_DEFAULT);
    expect_data(sc, us + 30, r, MSS_DEFAULT);
    sc_expect_none(sc);
    /* NODELAY: each small write goes out at once, with data in flight */
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_NODELAY, 1), 0);
    uint32_t seq = us + 30 + MSS_DEFAULT;
    for (int k = 0; k < 3; k++) {
        send_bytes(sc, 600 + (size_t)k * 10, 10);
        expect_data(sc, seq, r, 10);
        seq += 10;
    }
    sc_expect_none(sc);
    /* and back on */
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_NODELAY, 0), 0);
    send_bytes(sc, 700, 10);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* RFC 1122 4.2.3.6: after the idle time (TCPFSM_OPT_KEEPALIVE, 2 s) a keep-alive
 * <SEQ=SND.NXT-1><ACK> with no data is sent; an answer restarts the idle time; unanswered,
 * probes repeat (every idle/10, at least 1 s) and after 9 of them the connection is dead:
 * ETIMEDOUT. */
START_TEST(keepalive_probes_then_death_after_probe_count)
{
    struct sc *sc = new_sc(1000 * MS, 0, false);
    sc_establish(sc);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1;
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_KEEPALIVE, 2000000), 0);
    quiet_then_output(sc, 2000 * MS);
    sc_expect(sc, TCP_ACK, us - 1, r, 0);
    sc_expect_none(sc);
    sc_inject(sc, TCP_ACK, r, us, SC_PEER_WND, NULL, 0); /* the peer is alive */
    sc_expect_none(sc);
    quiet_then_output(sc, 2000 * MS); /* idle again: a full idle time */
    sc_expect(sc, TCP_ACK, us - 1, r, 0);
    for (int k = 2; k <= 9; k++) { /* unanswered from now on */
        quiet_then_output(sc, 1000 * MS);
        sc_expect(sc, TCP_ACK, us - 1, r, 0);
        sc_expect_none(sc);
        sc_expect_state(sc, "ESTABLISHED");
    }
    quiet_until(sc, sc->now + 1000 * MS - MS);
    sc_expect_state(sc, "ESTABLISHED");
    sc_advance(sc, MS);
    sc_expect_state(sc, "CLOSED");
    sc_expect_none(sc);
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.7.1: the MSS we announce is MTU - 40 (mtu 576 -> 536); the segments we send are
 * no larger than min(the peer's MSS, ours) minus the option bytes (timestamps: 12), so no
 * packet exceeds the MTU, whatever the peer announced. */
START_TEST(mss_clamped_to_mtu)
{
    struct sc *sc = new_sc(1000 * MS, TCPFSM_F_NO_SACK | TCPFSM_F_NO_WSCALE, true);
    sc->st->cfg.mtu = 576;
    sc_connect(sc);
    ck_assert(sc->last.opt.has_mss);
    ck_assert_uint_eq(sc->last.opt.mss, 536);
    struct tcp_opts peer = {.has_mss = 1, .mss = 1460, .has_ts = 1, .tsval = 1};
    inject_opt(sc, TCP_SYN | TCP_ACK, sc->irs, sc->iss + 1, SC_PEER_WND, NULL, 0, &peer);
    sc_next(sc);
    ck_assert_uint_eq(info_of(sc).mss, 536);
    send_bytes(sc, 0, 6000);
    uint32_t total = 0;
    while (sc_pending(sc)) {
        const struct tcp_seg *s = sc_next(sc);
        ck_assert_uint_le(IPV4_HDR_LEN + s->hdr_len + s->len, 576);
        ck_assert_uint_le(s->len, 536 - 12);
        total += s->len;
    }
    ck_assert_uint_eq(total, 10 * (536 - 12)); /* IW 10 segments */
    sc_free(sc);

    /* a peer MSS below ours wins */
    sc = new_sc(1000 * MS, 0, false);
    sc->st->cfg.mtu = 576;
    sc_connect(sc);
    struct tcp_opts small = {.has_mss = 1, .mss = 300};
    inject_opt(sc, TCP_SYN | TCP_ACK, sc->irs, sc->iss + 1, SC_PEER_WND, NULL, 0, &small);
    sc_next(sc);
    send_bytes(sc, 0, 1000);
    expect_data(sc, sc->iss + 1, sc->irs + 1, 300);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.7.4 seventh (out-of-order text may be held) with a bounded budget:
 * cfg.reasm_bytes (1000 here) limits what is held; what exceeds it is dropped and counted in
 * OfoDrops, never stored; filling the hole delivers exactly the held bytes, in order. */
START_TEST(ofo_reassembly_bounded_by_reasm_bytes)
{
    struct sc *sc = new_sc(1000 * MS, 0, false);
    sc->st->cfg.reasm_bytes = 1000;
    sc_establish(sc);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1;
    /* 10 segments of 200 bytes after a 200-byte hole: 5 fit in the budget */
    for (uint32_t k = 1; k <= 10; k++) {
        sc_inject(sc, TCP_ACK, r + k * 200, us, SC_PEER_WND, pattern + k * 200, 200);
        sc_expect(sc, TCP_ACK, us, r, 0); /* immediate duplicate ACK */
        rt_require(sc_tcb(sc)->buf->ofo_bytes <= 1000);
    }
    struct tcpfsm_stats s;
    tcpfsm_get_stats(sc->st, &s);
    ck_assert_uint_eq(sc_tcb(sc)->buf->ofo_bytes, 1000);
    ck_assert_uint_eq(s.OfoDrops, 5);
    /* a duplicate of a held segment costs nothing and is no drop */
    sc_inject(sc, TCP_ACK, r + 200, us, SC_PEER_WND, pattern + 200, 200);
    sc_expect(sc, TCP_ACK, us, r, 0);
    tcpfsm_get_stats(sc->st, &s);
    ck_assert_uint_eq(s.OfoDrops, 5);
    ck_assert_uint_eq(sc_tcb(sc)->buf->ofo_bytes, 1000);
    /* the hole: 0..1200 in order, ACKed at once */
    sc_inject(sc, TCP_ACK, r, us, SC_PEER_WND, pattern, 200);
    sc_expect(sc, TCP_ACK, us, r + 1200, 0);
    ck_assert_uint_eq(sc_tcb(sc)->buf->ofo_bytes, 0);
    uint8_t buf[4096];
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 1200);
    ck_assert(memcmp(buf, pattern, 1200) == 0);
    /* the peer resends the rest: in order now */
    for (uint32_t k = 6; k <= 10; k++)
        sc_inject(sc, TCP_ACK, r + k * 200, us, SC_PEER_WND, pattern + k * 200, 200);
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 1000);
    ck_assert(memcmp(buf, pattern + 1200, 1000) == 0);
    sc_free(sc);
}
END_TEST

int main(void)
{
    pattern_init();
    Suite *s = suite_create("tcp_reliable");
    TCase *tc = tcase_create("reliable");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rto_backoff_syn_doubles_from_initial_rto);
    tcase_add_test(tc, rto_backoff_data_doubles_and_caps_at_rto_max);
    tcase_add_test(tc, retransmission_give_up_reports_etimedout);
    tcase_add_test(tc, user_timeout_aborts_before_max_retries);
    tcase_add_test(tc, ack_and_rst_after_timeout_carry_highest_seq_sent);
    tcase_add_test(tc, karn_no_rtt_sample_from_retransmitted_segment);
    tcase_add_test(tc, fast_retransmit_on_third_duplicate_ack);
    tcase_add_test(tc, newreno_partial_ack_retransmits_next_hole);
    tcase_add_test(tc, sack_first_block_holds_most_recent_segment);
    tcase_add_test(tc, sack_later_blocks_repeat_most_recent_reports);
    tcase_add_test(tc, sack_retransmits_holes_not_sacked_data);
    tcase_add_test(tc, paws_rejects_old_timestamp);
    tcase_add_test(tc, window_scaling_negotiated_and_applied_both_ways);
    tcase_add_test(tc, window_scaling_off_when_peer_does_not_offer_it);
    tcase_add_test(tc, zero_window_persist_probes_backoff_then_resume);
    tcase_add_test(tc, sws_avoidance_no_tiny_segments);
    tcase_add_test(tc, sws_avoidance_receiver_withholds_small_window_updates);
    tcase_add_test(tc, delayed_ack_every_second_segment_and_timer);
    tcase_add_test(tc, nagle_holds_small_segments_until_ack_and_nodelay_disables_it);
    tcase_add_test(tc, keepalive_probes_then_death_after_probe_count);
    tcase_add_test(tc, mss_clamped_to_mtu);
    tcase_add_test(tc, ofo_reassembly_bounded_by_reasm_bytes);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
