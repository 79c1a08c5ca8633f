/*
 * test_tcp_timestamps.c — which timestamp the stack echoes and how long TS.Recent holds, at
 * the segment level: one stack, a scripted peer (tests/runtime/lib/scenario.h), every emitted
 * segment checked, time virtual.
 *
 *   - RFC 7323 4.3 (2): TS.Recent takes SEG.TSval only if SEG.SEQ <= Last.ACK.sent, the ACK
 *     field we sent last: a delayed ACK echoes the earliest segment it acknowledges (A), a
 *     segment past a hole is not echoed (B), the one that fills it is (C);
 *   - RFC 7323 5.5: TS.Recent is invalid after 24 days without an update: PAWS then lets an
 *     older-looking TSval through and takes it (Appendix D); before that, it drops.
 *
 * (RFC 7323 3.2, a segment without a timestamp: test_tcp_arrival.c; PAWS itself, 5.3:
 * test_tcp_reliable.c.)
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rt_test.h"
#include "scenario.h"
#include "tcp_layer.h"
#include "tcp.h"
#include "tcpfsm.h"

#define A TCP_ACK
#define P TCP_PSH

#define DAY_US (24ull * 3600 * 1000000)

static const char text[100] = "timestamps: which one to echo, and for how long it holds";

/* A segment of the peer with text[0..len) at seq and TSval tsval (the echo is not checked). */
static void inject(struct sc *sc, uint8_t flags, uint32_t seq, uint32_t len, uint32_t tsval)
{
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.flags = flags;
    in.seq = seq;
    in.ack = sc->iss + 1;
    in.wnd = SC_PEER_WND;
    in.data = len ? text : NULL;
    in.len = len;
    in.opt.has_ts = 1;
    in.opt.tsval = tsval;
    return (void)sc_inject_in(sc, &in);
}

/* An ACK from the stack acknowledging `ack` (relative to the peer's ISS + 1) and echoing
 * `tsecr`. */
static void expect_ack(struct sc *sc, uint32_t ack, uint32_t tsecr)
{
    const struct tcp_seg *s = sc_expect(sc, A, sc->iss + 1, sc->irs + 1 + ack, 0);
    ck_assert(s->opt.has_ts);
    ck_assert_uint_eq(s->opt.tsecr, tsecr);
}

/* Active open with timestamps on both SYNs (RFC 7323 3.2), the peer's clock at 5000. */
static struct sc *established_with_timestamps(void)
{
    struct sc_opts o = {.with_options = true, .flags = TCPFSM_F_NO_SACK | TCPFSM_F_NO_WSCALE};
    struct sc *sc = sc_new(&o);
    sc_connect(sc);
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.flags = TCP_SYN | A;
    in.seq = sc->irs;
    in.ack = sc->iss + 1;
    in.wnd = SC_PEER_WND;
    in.opt.has_ts = 1;
    in.opt.tsval = 5000;
    in.opt.tsecr = sc->last.opt.tsval;
    sc_inject_in(sc, &in);
    expect_ack(sc, 0, 5000);
    sc_expect_none(sc);
    ck_assert(sc_tcb(sc)->flags & TF_TS);
    return sc;
}

/* =================================================== RFC 7323 4.3: what to echo ==== */

/* RFC 7323 4.3 (A): "the timestamp from the earliest segment" a delayed ACK covers. The second
 * segment starts at RCV.NXT, which the first moved, but past Last.ACK.sent: its TSval is not
 * taken, and the ACK it triggers (RFC 5681 4.2: every second segment) echoes the first's. */
START_TEST(rfc7323_4_3_delayed_ack_echoes_the_earliest_segment)
{
    struct sc *sc = established_with_timestamps();
    inject(sc, P | A, sc->irs + 1, 10, 5100);
    sc_expect_none(sc); /* delayed */
    inject(sc, P | A, sc->irs + 11, 10, 5101);
    expect_ack(sc, 20, 5100);
    ck_assert_uint_eq(sc_tcb(sc)->ts_recent, 5100);
    /* Last.ACK.sent caught up: the next segment's TSval is taken */
    inject(sc, P | A, sc->irs + 21, 10, 5102);
    ck_assert_uint_eq(sc_tcb(sc)->ts_recent, 5102);
    sc_advance(sc, 100000);
    expect_ack(sc, 30, 5102);
    sc_free(sc);
}
END_TEST

/* RFC 7323 4.3 (2) for a segment without text: a pure ACK at RCV.NXT while the ACK of earlier
 * text is delayed lies past Last.ACK.sent too, and the delayed ACK still echoes the text. */
START_TEST(rfc7323_4_3_pure_ack_while_an_ack_is_delayed_is_not_echoed)
{
    struct sc *sc = established_with_timestamps();
    inject(sc, P | A, sc->irs + 1, 10, 5100);
    inject(sc, A, sc->irs + 11, 0, 5110);
    sc_expect_none(sc);
    sc_advance(sc, 100000);
    expect_ack(sc, 10, 5100);
    /* with nothing pending, a pure ACK at RCV.NXT = Last.ACK.sent is taken */
    inject(sc, A, sc->irs + 11, 0, 5120);
    ck_assert_uint_eq(sc_tcb(sc)->ts_recent, 5120);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* RFC 7323 4.3 (B) and (C): a segment beyond a hole does not change TS.Recent (its ACK, sent
 * at once, echoes the last segment that advanced the window); the segment that fills the hole
 * starts at Last.ACK.sent and is echoed. */
START_TEST(rfc7323_4_3_hole_then_filled)
{
    struct sc *sc = established_with_timestamps();
    inject(sc, P | A, sc->irs + 11, 10, 5200);
    expect_ack(sc, 0, 5000);
    inject(sc, P | A, sc->irs + 21, 10, 5300);
    expect_ack(sc, 0, 5000);
    inject(sc, A, sc->irs + 1, 10, 5250);
    expect_ack(sc, 30, 5250);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* ======================================= RFC 7323 5.5: TS.Recent grows outdated ==== */

/* The connection sits idle; then a segment whose TSval is 2^31 + 1000 ahead of TS.Recent, which
 * in the modular order of 5.2 is older, as a peer clock of 1 ms a tick reads after 25 days. */
static void idle_then_segment(struct sc *sc, uint64_t idle_us)
{
    sc_advance(sc, idle_us);
    inject(sc, P | A, sc->irs + 1, 10, 5000 + 0x80000000u + 1000);
}

/* RFC 7323 5.5: "an implementation of PAWS [must] include a mechanism to 'invalidate' the
 * TS.Recent value when a connection is idle for more than 24 days"; Appendix D: "If the
 * connection has been idle more than 24 days, save SEG.TSval in variable TS.Recent". The
 * segment is taken and its TSval echoed. */
START_TEST(rfc7323_5_5_ts_recent_is_invalid_after_24_days_idle)
{
    struct sc *sc = established_with_timestamps();
    struct tcpfsm_stats b;
    tcpfsm_get_stats(sc->st, &b);
    idle_then_segment(sc, 25 * DAY_US);
    ck_assert_uint_eq(sc_tcb(sc)->rcv_nxt, sc->irs + 11);
    ck_assert_uint_eq(sc_tcb(sc)->ts_recent, 5000 + 0x80000000u + 1000);
    sc_advance(sc, 100000);
    expect_ack(sc, 10, 5000 + 0x80000000u + 1000);
    struct tcpfsm_stats a;
    tcpfsm_get_stats(sc->st, &a);
    ck_assert_uint_eq(a.PawsDrops, b.PawsDrops);
    sc_free(sc);
}
END_TEST

/* RFC 7323 5.3 R1 until then: after 23 days the same segment is an old duplicate, dropped
 * and answered with an ACK that echoes TS.Recent. */
START_TEST(rfc7323_5_3_ts_recent_is_valid_within_24_days)
{
    struct sc *sc = established_with_timestamps();
    idle_then_segment(sc, 23 * DAY_US);
    expect_ack(sc, 0, 5000);
    ck_assert_uint_eq(sc_tcb(sc)->rcv_nxt, sc->irs + 1);
    struct tcpfsm_stats a;
    tcpfsm_get_stats(sc->st, &a);
    ck_assert_uint_eq(a.PawsDrops, 1);
    sc_free(sc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_timestamps");
    TCase *echo = tcase_create("rfc7323_4_3_echo");
    tcase_add_test(echo, rfc7323_4_3_delayed_ack_echoes_the_earliest_segment);
    tcase_add_test(echo, rfc7323_4_3_pure_ack_while_an_ack_is_delayed_is_not_echoed);
    tcase_add_test(echo, rfc7323_4_3_hole_then_filled);
    suite_add_tcase(s, echo);
    TCase *age = tcase_create("rfc7323_5_5_outdated");
    tcase_add_test(age, rfc7323_5_5_ts_recent_is_invalid_after_24_days_idle);
    tcase_add_test(age, rfc7323_5_3_ts_recent_is_valid_within_24_days);
    suite_add_tcase(s, age);
    return rt_run_suite(s);
}
