/*
 * test_cc.c — congestion control (runtime/cc.c): NewReno (RFC 5681, RFC 6582) and CUBIC
 * (RFC 9438), fed the events a TCB would feed it.
 */
#include <string.h>

#include "cc.h"
#include "rt_test.h"

#define MSS 1000u

/* A sender driven by hand: una/nxt are SND.UNA/SND.NXT, flight = nxt - una. */
struct snd {
    uint32_t una, nxt;
};

static uint32_t flight(const struct snd *s)
{
    return s->nxt - s->una;
}

/* Send up to cwnd, then ACK everything outstanding one MSS at a time at time now_ms. */
static void send_and_ack_window(struct cc *c, struct snd *s, uint32_t now_ms)
{
    if (flight(s) < c->cwnd) s->nxt += c->cwnd - flight(s);
    while (s->una != s->nxt) {
        uint32_t n = flight(s) < MSS ? flight(s) : MSS;
        uint32_t f = flight(s);
        s->una += n;
        rt_require(cc_on_ack(c, s->una, n, s->nxt, f, now_ms) == CC_NONE);
    }
}

/* Three duplicate ACKs; returns the verdict of the third. */
static enum cc_verdict three_dupacks(struct cc *c, const struct snd *s)
{
    ck_assert_int_eq(cc_on_dupack(c, s->una, s->nxt, flight(s)), CC_NONE);
    ck_assert_int_eq(cc_on_dupack(c, s->una, s->nxt, flight(s)), CC_NONE);
    return cc_on_dupack(c, s->una, s->nxt, flight(s));
}

START_TEST(rfc6928_2_initial_window_for_mss_536_1460_9000)
{
    struct cc c;
    cc_init(&c, CC_NEWRENO, 536, 10);
    ck_assert_uint_eq(c.cwnd, 5360); /* min(10*536, max(1072, 14600)) */
    cc_init(&c, CC_NEWRENO, 1460, 10);
    ck_assert_uint_eq(c.cwnd, 14600); /* min(14600, max(2920, 14600)) */
    cc_init(&c, CC_NEWRENO, 9000, 10);
    ck_assert_uint_eq(c.cwnd, 18000); /* min(90000, max(18000, 14600)) */
    cc_init(&c, CC_NEWRENO, 1460, 0); /* 0 means the RFC 6928 default */
    ck_assert_uint_eq(c.cwnd, 14600);
    cc_init(&c, CC_NEWRENO, 1460, 4); /* a configured IW in segments */
    ck_assert_uint_eq(c.cwnd, 4 * 1460);
    cc_init(&c, CC_CUBIC, 9000, 0);
    ck_assert_uint_eq(c.cwnd, 18000);
}
END_TEST

START_TEST(rfc5681_3_1_initial_state_is_slow_start_with_infinite_ssthresh)
{
    struct cc c;
    memset(&c, 0xa5, sizeof c);
    cc_init(&c, CC_NEWRENO, 1460, 10);
    ck_assert_uint_eq(c.ssthresh, UINT32_MAX / 2);
    ck_assert_uint_eq(c.mss, 1460);
    ck_assert_uint_eq(c.algo, CC_NEWRENO);
    ck_assert_uint_eq(c.dupacks, 0);
    ck_assert_uint_eq(c.in_recovery, 0);
    ck_assert_uint_eq(c.bytes_acked, 0);
    /* RFC 9293 3.7.1: an unknown MSS is the default 536 (and nothing divides by zero) */
    cc_init(&c, CC_CUBIC, 0, 10);
    ck_assert_uint_eq(c.mss, 536);
    ck_assert_uint_eq(c.cwnd, 5360);
    ck_assert_str_eq(cc_algo_name(CC_NEWRENO), "newreno");
    ck_assert_str_eq(cc_algo_name(CC_CUBIC), "cubic");
    ck_assert_str_eq(cc_algo_name(CC_ALGO_COUNT), "unknown");
    ck_assert_uint_le(sizeof(struct cc), 40);
}
END_TEST

START_TEST(rfc5681_3_1_slow_start_grows_by_min_acked_smss)
{
    struct cc c;
    cc_init(&c, CC_NEWRENO, MSS, 10);
    ck_assert_uint_eq(c.cwnd, 10000);
    ck_assert_int_eq(cc_on_ack(&c, 1000, 1000, 10000, 10000, 0), CC_NONE);
    ck_assert_uint_eq(c.cwnd, 11000);
    /* RFC 3465 2.2 with L = 1 SMSS: a stretch ACK of 3 segments still adds one SMSS */
    cc_on_ack(&c, 4000, 3000, 10000, 9000, 0);
    ck_assert_uint_eq(c.cwnd, 12000);
    /* RFC 5681 3.1 (2): a partial segment adds only what it acknowledged */
    cc_on_ack(&c, 4500, 500, 10000, 6000, 0);
    ck_assert_uint_eq(c.cwnd, 12500);
    /* an ACK of nothing new changes nothing */
    cc_on_ack(&c, 4500, 0, 10000, 5500, 0);
    ck_assert_uint_eq(c.cwnd, 12500);
}
END_TEST

START_TEST(rfc5681_3_1_slow_start_doubles_per_round_trip)
{
    struct cc c;
    struct snd s = {1, 1};
    cc_init(&c, CC_NEWRENO, MSS, 10);
    send_and_ack_window(&c, &s, 0);
    ck_assert_uint_eq(c.cwnd, 20000);
    send_and_ack_window(&c, &s, 0);
    ck_assert_uint_eq(c.cwnd, 40000);
}
END_TEST

START_TEST(rfc5681_3_1_congestion_avoidance_grows_one_smss_per_window)
{
    struct cc c;
    struct snd s = {1, 1};
    cc_init(&c, CC_NEWRENO, MSS, 10);
    c.ssthresh = 10000; /* cwnd == ssthresh: congestion avoidance */
    s.nxt += 10000;
    for (int i = 0; i < 9; i++) {
        s.una += MSS;
        cc_on_ack(&c, s.una, MSS, s.nxt, s.nxt - s.una + MSS, 0);
        ck_assert_uint_eq(c.cwnd, 10000);
    }
    /* RFC 3465 2.1: bytes_acked reaches cwnd on the 10th segment */
    s.una += MSS;
    cc_on_ack(&c, s.una, MSS, s.nxt, MSS, 0);
    ck_assert_uint_eq(c.cwnd, 11000);
    ck_assert_uint_eq(c.bytes_acked, 0);
    send_and_ack_window(&c, &s, 0); /* 11 segments */
    ck_assert_uint_eq(c.cwnd, 12000);
    for (int i = 0; i < 8; i++)
        send_and_ack_window(&c, &s, 0);
    ck_assert_uint_eq(c.cwnd, 20000);
}
END_TEST

START_TEST(rfc5681_3_2_third_dupack_fast_retransmit_sets_ssthresh_and_cwnd)
{
    struct cc c;
    struct snd s = {1001, 21001};
    cc_init(&c, CC_NEWRENO, MSS, 10);
    c.cwnd = 20000;
    ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_NONE);
    ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_NONE);
    ck_assert_uint_eq(c.cwnd, 20000); /* RFC 5681 3.2 (1): no change before the third */
    ck_assert_uint_eq(c.in_recovery, 0);
    ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.ssthresh, 10000); /* max(20000 / 2, 2 * 1000) */
    ck_assert_uint_eq(c.cwnd, 13000);     /* ssthresh + 3 * SMSS */
    ck_assert_uint_eq(c.in_recovery, 1);
    ck_assert_uint_eq(c.recover, 21001); /* RFC 6582 3.2 (2): recover = SND.NXT */
}
END_TEST

/* RFC 5681 3.2 (2): "When [RFC3042] is in use, additional data sent in limited transmit MUST
 * NOT be included in this calculation": the two segments the first two duplicate ACKs let
 * out (RFC 3042) do not raise ssthresh; recover is SND.NXT with them (RFC 6582 3.2 (2)). */
START_TEST(rfc5681_3_2_limited_transmit_not_in_flightsize)
{
    struct cc c;
    struct snd s = {1, 10001}; /* ten segments in flight */
    cc_init(&c, CC_NEWRENO, MSS, 10);
    ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_NONE);
    s.nxt += MSS; /* limited transmit: one new segment */
    ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_NONE);
    s.nxt += MSS; /* and another */
    ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.ssthresh, 5000); /* max(10000 / 2, 2000), not 12000 / 2 */
    ck_assert_uint_eq(c.cwnd, 8000);     /* ssthresh + 3 * SMSS */
    ck_assert_uint_eq(c.recover, 12001);
    /* CUBIC's reduction (RFC 9438 4.6) takes the same FlightSize */
    struct snd t = {1, 10001};
    cc_init(&c, CC_CUBIC, MSS, 10);
    ck_assert_int_eq(cc_on_dupack(&c, t.una, t.nxt, flight(&t)), CC_NONE);
    t.nxt += 2 * MSS;
    ck_assert_int_eq(cc_on_dupack(&c, t.una, t.nxt, flight(&t)), CC_NONE);
    ck_assert_int_eq(cc_on_dupack(&c, t.una, t.nxt, flight(&t)), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.ssthresh, 7000); /* 10000 * 0.7 */
}
END_TEST

START_TEST(rfc5681_3_2_eq4_ssthresh_is_at_least_two_segments)
{
    struct cc c;
    struct snd s = {1, 3001};
    cc_init(&c, CC_NEWRENO, MSS, 10);
    ck_assert_int_eq(three_dupacks(&c, &s), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.ssthresh, 2000); /* max(1500, 2000) */
    ck_assert_uint_eq(c.cwnd, 5000);
}
END_TEST

START_TEST(rfc5681_3_2_4_additional_dupacks_inflate_cwnd_by_smss)
{
    struct cc c;
    struct snd s = {1, 20001};
    cc_init(&c, CC_NEWRENO, MSS, 10);
    c.cwnd = 20000;
    ck_assert_int_eq(three_dupacks(&c, &s), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.cwnd, 13000);
    ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_NONE);
    ck_assert_uint_eq(c.cwnd, 14000);
    ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_NONE);
    ck_assert_uint_eq(c.cwnd, 15000);
    ck_assert_uint_eq(c.ssthresh, 10000);
    ck_assert_uint_eq(c.in_recovery, 1);
    /* hundreds of duplicates: the counter saturates, no wrap to a new "third" */
    for (int i = 0; i < 600; i++)
        ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_NONE);
    ck_assert_uint_eq(c.dupacks, 255);
    ck_assert_uint_eq(c.cwnd, 615000);
}
END_TEST

START_TEST(rfc5681_2_new_ack_resets_the_dupack_count)
{
    struct cc c;
    struct snd s = {1, 20001};
    cc_init(&c, CC_NEWRENO, MSS, 10);
    c.cwnd = 20000;
    cc_on_dupack(&c, s.una, s.nxt, flight(&s));
    cc_on_dupack(&c, s.una, s.nxt, flight(&s));
    s.una += MSS;
    cc_on_ack(&c, s.una, MSS, s.nxt, flight(&s) + MSS, 0);
    ck_assert_uint_eq(c.dupacks, 0);
    ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_NONE);
    ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_NONE);
    ck_assert_uint_eq(c.in_recovery, 0);
    ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_RETRANSMIT_FIRST);
}
END_TEST

START_TEST(rfc6582_3_2_partial_ack_deflates_keeps_recovery_and_retransmits)
{
    struct cc c;
    struct snd s = {1001, 21001};
    cc_init(&c, CC_NEWRENO, MSS, 10);
    c.cwnd = 20000;
    three_dupacks(&c, &s);
    cc_on_dupack(&c, s.una, s.nxt, flight(&s));
    cc_on_dupack(&c, s.una, s.nxt, flight(&s));
    ck_assert_uint_eq(c.cwnd, 15000);
    /* partial ACK of 2 segments: deflate by 2000, add back one SMSS */
    ck_assert_int_eq(cc_on_ack(&c, 3001, 2000, s.nxt, 20000, 0), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.cwnd, 14000);
    ck_assert_uint_eq(c.in_recovery, 1);
    ck_assert_uint_eq(c.ssthresh, 10000);
    /* exactly one SMSS: deflate by it and add it back */
    ck_assert_int_eq(cc_on_ack(&c, 4001, 1000, s.nxt, 20000, 0), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.cwnd, 14000);
    s.una = 4001;
    /* less than one SMSS acknowledged: deflate only */
    ck_assert_int_eq(cc_on_ack(&c, 4501, 500, s.nxt, 17000, 0), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.cwnd, 13500);
    ck_assert_uint_eq(c.in_recovery, 1);
    /* duplicates after a partial ACK still inflate (RFC 6582 3.2 (3): stay in recovery) */
    ck_assert_int_eq(cc_on_dupack(&c, 4501, s.nxt, 16500), CC_NONE);
    ck_assert_uint_eq(c.cwnd, 14500);
    /* one byte short of recover is still partial */
    ck_assert_int_eq(cc_on_ack(&c, 21000, 16499, s.nxt, 16500, 0), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.in_recovery, 1);
    ck_assert_uint_ge(c.cwnd, MSS); /* never deflated below one segment */
}
END_TEST

START_TEST(rfc6582_3_2_full_ack_exits_with_min_ssthresh_flightsize_plus_smss)
{
    struct cc c;
    struct snd s = {1001, 21001};
    cc_init(&c, CC_NEWRENO, MSS, 10);
    c.cwnd = 20000;
    three_dupacks(&c, &s);
    /* everything acknowledged, nothing outstanding after: min(10000, max(0, 1000) + 1000) */
    ck_assert_int_eq(cc_on_ack(&c, 21001, 20000, 21001, 20000, 0), CC_NONE);
    ck_assert_uint_eq(c.cwnd, 2000);
    ck_assert_uint_eq(c.in_recovery, 0);
    ck_assert_uint_eq(c.ssthresh, 10000);

    /* new data was sent during recovery: 10000 bytes remain outstanding -> min(10000, 11000) */
    cc_init(&c, CC_NEWRENO, MSS, 10);
    c.cwnd = 20000;
    s = (struct snd){1001, 21001};
    three_dupacks(&c, &s);
    ck_assert_int_eq(cc_on_ack(&c, 21001, 20000, 31001, 30000, 0), CC_NONE);
    ck_assert_uint_eq(c.cwnd, 10000);
    ck_assert_uint_eq(c.in_recovery, 0);
    ck_assert_uint_eq(c.dupacks, 0);
    /* 5000 outstanding -> min(10000, 6000) */
    cc_init(&c, CC_NEWRENO, MSS, 10);
    c.cwnd = 20000;
    three_dupacks(&c, &s);
    cc_on_ack(&c, 21001, 20000, 26001, 25000, 0);
    ck_assert_uint_eq(c.cwnd, 6000);
    /* ...and slow start resumes below ssthresh */
    cc_on_ack(&c, 22001, 1000, 26001, 5000, 0);
    ck_assert_uint_eq(c.cwnd, 7000);
}
END_TEST

START_TEST(rfc6582_3_2_recover_compares_wrap_safe_near_2_32)
{
    struct cc c;
    /* SND.NXT has wrapped past 2^32 during the window: una = 2^32 - 10000, nxt = 10000 */
    struct snd s = {0xffffd8f0u, 10000};
    ck_assert_uint_eq(flight(&s), 20000);
    cc_init(&c, CC_NEWRENO, MSS, 10);
    c.cwnd = 20000;
    ck_assert_int_eq(three_dupacks(&c, &s), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.recover, 10000);
    /* before the wrap: partial (a plain `>=` would call it full) */
    ck_assert_int_eq(cc_on_ack(&c, 0xffffe0c0u, 2000, s.nxt, 20000, 0), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.in_recovery, 1);
    /* after the wrap, still below recover: partial */
    ck_assert_int_eq(cc_on_ack(&c, 5000, 13000, s.nxt, 18000, 0), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.in_recovery, 1);
    /* reaching recover: full ACK, exit with min(ssthresh, max(0, SMSS) + SMSS) */
    ck_assert_int_eq(cc_on_ack(&c, 10000, 5000, s.nxt, 5000, 0), CC_NONE);
    ck_assert_uint_eq(c.in_recovery, 0);
    ck_assert_uint_eq(c.cwnd, 2000);

    /* SND.NXT exactly at the wrap (recover = 0): 2^32 - 1 is one byte short of it */
    cc_init(&c, CC_NEWRENO, MSS, 10);
    c.cwnd = 20000;
    s = (struct snd){0xffffb1e0u, 0};
    ck_assert_uint_eq(flight(&s), 20000);
    three_dupacks(&c, &s);
    ck_assert_uint_eq(c.recover, 0);
    ck_assert_int_eq(cc_on_ack(&c, 0xffffffffu, 19999, 0, 20000, 0), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.in_recovery, 1);
    ck_assert_int_eq(cc_on_ack(&c, 0, 1, 0, 1, 0), CC_NONE);
    ck_assert_uint_eq(c.in_recovery, 0);
}
END_TEST

START_TEST(rfc5681_3_1_rto_collapses_cwnd_to_one_smss)
{
    struct cc c;
    struct snd s = {1, 20001};
    cc_init(&c, CC_NEWRENO, MSS, 10);
    c.cwnd = 20000;
    three_dupacks(&c, &s);
    cc_on_dupack(&c, s.una, s.nxt, flight(&s));
    cc_on_rto(&c, 20000, s.nxt);
    ck_assert_uint_eq(c.ssthresh, 10000); /* max(FlightSize / 2, 2*SMSS) */
    ck_assert_uint_eq(c.cwnd, MSS);       /* the loss window */
    ck_assert_uint_eq(c.in_recovery, 0);  /* RFC 6582 3.2 (4) */
    ck_assert_uint_eq(c.dupacks, 0);
    /* slow start from one segment */
    cc_on_ack(&c, 1001, 1000, s.nxt, 20000, 0);
    ck_assert_uint_eq(c.cwnd, 2000);
    /* a second timeout with little in flight: ssthresh floors at 2 SMSS */
    cc_on_rto(&c, 1000, s.nxt);
    ck_assert_uint_eq(c.ssthresh, 2000);
    ck_assert_uint_eq(c.cwnd, MSS);
}
END_TEST

/* RFC 6582 3.2 step 4: "After a retransmit timeout, record the highest sequence number
 * transmitted in the variable recover"; step 2: three duplicate ACKs enter fast retransmit
 * only if the cumulative ACK "covers more than recover", else "the TCP does not enter fast
 * retransmit and does not reset ssthresh" (section 4: they are likely the answers to the
 * timeout's go-back-N copies of what the peer held). */
START_TEST(rfc6582_3_2_step_4_no_fast_retransmit_below_timeout_recover)
{
    struct cc c;
    struct snd s = {1, 10001};
    cc_init(&c, CC_NEWRENO, MSS, 10);
    cc_on_rto(&c, flight(&s), s.nxt);
    ck_assert_uint_eq(c.ssthresh, 5000);
    ck_assert_uint_eq(c.recover, 10001);
    /* slow start until everything up to recover is ACKed, new data in flight after it */
    s.una = 10001;
    cc_on_ack(&c, s.una, 10000, s.nxt, 10000, 0);
    s.nxt = 15001;
    /* ACK 10001 does not cover more than recover: no fast retransmit, ssthresh kept */
    ck_assert_int_eq(three_dupacks(&c, &s), CC_NONE);
    ck_assert_int_eq(cc_on_dupack(&c, s.una, s.nxt, flight(&s)), CC_NONE);
    ck_assert_uint_eq(c.ssthresh, 5000);
    ck_assert_uint_eq(c.cwnd, 2000);
    ck_assert_uint_eq(c.in_recovery, 0);
    ck_assert_uint_eq(c.recover, 10001);
    /* an ACK past recover: the next three duplicates are a loss again */
    s.una = 11001;
    cc_on_ack(&c, s.una, 1000, s.nxt, 5000, 0);
    ck_assert_uint_eq(c.after_rto, 0);
    ck_assert_int_eq(three_dupacks(&c, &s), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.ssthresh, 2000); /* max(4000 / 2, 2 * SMSS) */
    ck_assert_uint_eq(c.recover, 15001);
}
END_TEST

START_TEST(rfc5681_4_1_idle_restart_window_is_min_iw_cwnd)
{
    struct cc c;
    cc_init(&c, CC_NEWRENO, 1460, 10);
    c.cwnd = 100000;
    cc_on_idle(&c);
    ck_assert_uint_eq(c.cwnd, 14600);
    c.cwnd = 3000; /* below IW: unchanged */
    cc_on_idle(&c);
    ck_assert_uint_eq(c.cwnd, 3000);
    cc_init(&c, CC_CUBIC, 1000, 3);
    c.cwnd = 100000;
    c.ssthresh = 50000;
    cc_on_ack(&c, 1001, 1000, 100001, 100000, 42); /* CUBIC congestion avoidance */
    ck_assert_uint_eq(c.epoch_start_ms, 42);
    cc_on_idle(&c);
    ck_assert_uint_eq(c.cwnd, 3000);
    /* RFC 9438 5.8: the idle period does not count as epoch time */
    ck_assert_uint_eq(c.epoch_start_ms, 0);
}
END_TEST

START_TEST(rfc5681_3_1_huge_windows_saturate_instead_of_overflowing)
{
    struct cc c;
    cc_init(&c, CC_NEWRENO, MSS, 10);
    c.cwnd = UINT32_MAX - 100;
    c.ssthresh = UINT32_MAX;
    cc_on_ack(&c, 1001, 1000, 2001, 2000, 0); /* slow start */
    ck_assert_uint_eq(c.cwnd, UINT32_MAX);
    c.ssthresh = 1000; /* congestion avoidance */
    for (int i = 0; i < 10; i++)
        cc_on_ack(&c, 1001, UINT32_MAX, 2001, UINT32_MAX, 0);
    ck_assert_uint_eq(c.cwnd, UINT32_MAX);
    c.cwnd = UINT32_MAX;
    struct snd s = {1, 0};
    three_dupacks(&c, &s);
    ck_assert_uint_eq(c.ssthresh, UINT32_MAX / 2);
    for (int i = 0; i < 10; i++)
        cc_on_dupack(&c, s.una, s.nxt, UINT32_MAX);
    ck_assert_uint_eq(c.cwnd, UINT32_MAX / 2 + 13 * MSS);
}
END_TEST

/* ---- CUBIC ---- */

START_TEST(rfc9438_4_10_cubic_slow_start_is_reno_slow_start)
{
    struct cc c;
    struct snd s = {1, 1};
    cc_init(&c, CC_CUBIC, MSS, 10);
    send_and_ack_window(&c, &s, 0);
    ck_assert_uint_eq(c.cwnd, 20000);
}
END_TEST

START_TEST(rfc9438_4_6_loss_reduces_cwnd_to_beta_cubic_0_7)
{
    struct cc c;
    struct snd s = {1, 100001};
    cc_init(&c, CC_CUBIC, MSS, 10);
    c.cwnd = 100000;
    ck_assert_int_eq(three_dupacks(&c, &s), CC_RETRANSMIT_FIRST);
    ck_assert_uint_eq(c.ssthresh, 70000); /* flight_size * beta_cubic */
    ck_assert_uint_eq(c.w_max, 100000);   /* RFC 9438 4.6: W_max = cwnd before the cut */
    ck_assert_uint_eq(c.cwnd, 73000);     /* + 3 SMSS while in fast recovery */
    ck_assert_uint_eq(c.in_recovery, 1);
    /* the full ACK leaves recovery at 0.7 * the pre-loss window */
    ck_assert_int_eq(cc_on_ack(&c, 100001, 100000, 200001, 200000, 0), CC_NONE);
    ck_assert_uint_eq(c.cwnd, 70000);
    ck_assert_uint_eq(c.in_recovery, 0);
}
END_TEST

START_TEST(rfc9438_4_7_fast_convergence_lowers_w_max)
{
    struct cc c;
    struct snd s = {1, 100001};
    cc_init(&c, CC_CUBIC, MSS, 10);
    c.cwnd = 100000;
    three_dupacks(&c, &s);
    cc_on_ack(&c, 100001, 100000, 200001, 200000, 0);
    ck_assert_uint_eq(c.w_max, 100000);
    /* a second loss before reaching W_max: W_max = cwnd * (1 + 0.7) / 2 */
    s = (struct snd){100001, 170001};
    three_dupacks(&c, &s);
    ck_assert_uint_eq(c.w_max, 59500);
    ck_assert_uint_eq(c.ssthresh, 49000);
}
END_TEST

START_TEST(rfc9438_4_2_cubic_grows_concave_to_w_max_then_convex)
{
    /* W_max = 1000 segments, so the cubic curve (not the Reno-friendly region) drives growth */
    struct cc c;
    struct snd s = {1, 1000001};
    uint32_t now = 1000;
    cc_init(&c, CC_CUBIC, MSS, 10);
    c.cwnd = 1000000;
    three_dupacks(&c, &s);
    s.una = s.nxt;
    cc_on_ack(&c, s.una, 1000000, s.nxt, 2000000, now);
    ck_assert_uint_eq(c.cwnd, 700000);
    /* one window per 100 ms RTT; the epoch starts with the first ACK of round 0 */
    enum { ROUNDS = 160 };
    uint32_t at[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        now += 100;
        send_and_ack_window(&c, &s, now);
        at[i] = c.cwnd;
    }
    /* RFC 9438 4.2 (Figure 2): K = cbrt((1000 - 700) / 0.4) s = 9.0856 s */
    ck_assert_uint_eq(c.k_ms, 9085);
    for (int i = 1; i < ROUNDS; i++) {
        rt_require(at[i] >= at[i - 1]); /* monotonic */
        /* RFC 9438 4.2 (Figure 1): cwnd follows W_cubic(t) = 0.4 (t - K)^3 + W_max closely
         * (lagging by about one RTT, as the target is not taken at t + RTT) */
        double d = (100.0 * i - 9085.6) / 1000.0;
        double w = 1000000.0 + 0.4 * d * d * d * MSS;
        double diff = at[i] > w ? at[i] - w : w - at[i];
        if (diff > w / 100 + MSS) ck_abort_msg("round %d: cwnd %u, W_cubic %.0f", i, at[i], w);
    }
    /* concave: the first second gains more than the second before K */
    ck_assert_uint_gt(at[10] - at[0], at[80] - at[70]);
    ck_assert_uint_gt(at[10] - at[0], 60000);
    /* around K the window plateaus at W_max */
    ck_assert_uint_ge(at[90], 995000);
    ck_assert_uint_le(at[90], 1001000);
    /* convex: past K it probes beyond W_max, accelerating */
    ck_assert_uint_gt(at[159], 1100000);
    ck_assert_uint_gt(at[159] - at[149], at[129] - at[119]);
    ck_assert_uint_gt(at[129] - at[119], at[109] - at[99]);
}
END_TEST

START_TEST(rfc9438_4_3_cubic_is_at_least_reno_friendly)
{
    /* With the clock frozen W_cubic(t) stays at cwnd_epoch: only the Reno-friendly region can
     * grow the window, at alpha_cubic = 3 * 0.3 / 1.7 = 9/17 SMSS per RTT. */
    struct cc c;
    struct snd s = {1, 100001};
    cc_init(&c, CC_CUBIC, MSS, 10);
    c.cwnd = 100000;
    three_dupacks(&c, &s);
    s.una = s.nxt;
    cc_on_ack(&c, s.una, 100000, s.nxt, 200000, 5);
    ck_assert_uint_eq(c.cwnd, 70000);
    for (int i = 0; i < 34; i++)
        send_and_ack_window(&c, &s, 5);
    /* 34 RTTs * 9/17 = 18 segments (a little less: W_est grows per ACK as cwnd grows) */
    ck_assert_uint_ge(c.cwnd, 70000 + 16 * MSS);
    ck_assert_uint_le(c.cwnd, 70000 + 18 * MSS);

    /* The same ACK stream with time advancing: CUBIC never grows slower than W_est. */
    struct cc t;
    struct snd u = {1, 100001};
    cc_init(&t, CC_CUBIC, MSS, 10);
    t.cwnd = 100000;
    three_dupacks(&t, &u);
    u.una = u.nxt;
    cc_on_ack(&t, u.una, 100000, u.nxt, 200000, 5);
    uint32_t now = 5;
    for (int i = 0; i < 34; i++) {
        now += 1; /* a 1 ms RTT: the cubic curve barely moves */
        send_and_ack_window(&t, &u, now);
    }
    ck_assert_uint_ge(t.cwnd, 70000 + 16 * MSS);
}
END_TEST

START_TEST(rfc9438_4_3_reno_friendly_alpha_becomes_1_past_w_max)
{
    /* After a timeout W_max is the window at the start of congestion avoidance (RFC 9438
     * 4.8), so W_est >= W_max from the start and alpha_cubic = 1: Reno's 1 SMSS per RTT. */
    struct cc c;
    struct snd s = {1, 1};
    cc_init(&c, CC_CUBIC, MSS, 10);
    cc_on_rto(&c, 40000, s.nxt);
    ck_assert_uint_eq(c.ssthresh, 28000); /* RFC 9438 4.8: flight * beta_cubic */
    ck_assert_uint_eq(c.cwnd, MSS);
    ck_assert_uint_eq(c.w_max, 0);
    ck_assert_uint_eq(c.epoch_start_ms, 0);
    while (c.cwnd < c.ssthresh)
        send_and_ack_window(&c, &s, 7);
    uint32_t start = c.cwnd;
    send_and_ack_window(&c, &s, 7); /* starts the epoch: K = 0, W_max = cwnd */
    ck_assert_uint_eq(c.k_ms, 0);
    ck_assert_uint_eq(c.w_max, start);
    for (int i = 0; i < 19; i++)
        send_and_ack_window(&c, &s, 7);
    ck_assert_uint_ge(c.cwnd, start + 18 * MSS);
    ck_assert_uint_le(c.cwnd, start + 20 * MSS);
}
END_TEST

START_TEST(rfc9438_4_8_rto_collapses_cwnd_and_restarts_the_epoch)
{
    struct cc c;
    struct snd s = {1, 1};
    cc_init(&c, CC_CUBIC, MSS, 10);
    c.cwnd = 100000;
    c.ssthresh = 100000;
    send_and_ack_window(&c, &s, 10); /* congestion avoidance: an epoch is running */
    ck_assert_uint_ne(c.epoch_start_ms, 0);
    s.nxt += 100000;
    three_dupacks(&c, &s);
    ck_assert_uint_eq(c.epoch_start_ms, 0); /* RFC 9438 4.6: the loss ends the epoch */
    cc_on_ack(&c, s.nxt, 100000, s.nxt, 200000, 20);
    send_and_ack_window(&c, &s, 30);
    ck_assert_uint_ne(c.epoch_start_ms, 0);
    cc_on_rto(&c, 100000, s.nxt);
    ck_assert_uint_eq(c.cwnd, MSS);
    ck_assert_uint_eq(c.ssthresh, 70000);
    ck_assert_uint_eq(c.in_recovery, 0);
    ck_assert_uint_eq(c.dupacks, 0);
    ck_assert_uint_eq(c.w_max, 0);
    ck_assert_uint_eq(c.epoch_start_ms, 0);
}
END_TEST

START_TEST(rfc9438_4_2_clock_extremes_do_not_overflow)
{
    /* A clock that wraps during the epoch, and a jump of 2^31 ms: growth is still bounded by
     * one SMSS per ACK and the window never shrinks outside a loss. */
    struct cc c;
    struct snd s = {1, 1000001};
    cc_init(&c, CC_CUBIC, 1460, 10);
    c.cwnd = 1000000;
    three_dupacks(&c, &s);
    s.una = s.nxt;
    uint32_t now = UINT32_MAX - 50;
    cc_on_ack(&c, s.una, 1000000, s.nxt, 2000000, now);
    ck_assert_uint_eq(c.cwnd, 700000);
    uint32_t prev = c.cwnd;
    for (int i = 0; i < 20; i++) {
        now += 10; /* wraps past 0 */
        send_and_ack_window(&c, &s, now);
        ck_assert_uint_ge(c.cwnd, prev);
        prev = c.cwnd;
    }
    for (int i = 0; i < 5; i++) {
        now += 0x80000000u;
        uint32_t before = c.cwnd;
        send_and_ack_window(&c, &s, now);
        ck_assert_uint_ge(c.cwnd, before);
        ck_assert_uint_le(c.cwnd, 2 * before + 1460);
    }
    /* a tiny MSS against a huge W_max - cwnd_epoch: K stays in range */
    cc_init(&c, CC_CUBIC, 1, 10);
    c.cwnd = UINT32_MAX;
    s = (struct snd){1, 0};
    three_dupacks(&c, &s);
    ck_assert_uint_eq(c.w_max, UINT32_MAX);
    c.in_recovery = 0; /* as if a full ACK had left cwnd at ssthresh */
    c.cwnd = c.ssthresh;
    cc_on_ack(&c, 1, 1, 2, 2, 100);     /* congestion avoidance: starts the epoch */
    ck_assert_uint_le(c.k_ms, 2048000); /* cbrt(2^32 * 0.3 / 0.4) s ~ 1476 s */
    ck_assert_uint_ge(c.k_ms, 1475000);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cc");
    TCase *tc = tcase_create("newreno");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rfc6928_2_initial_window_for_mss_536_1460_9000);
    tcase_add_test(tc, rfc5681_3_1_initial_state_is_slow_start_with_infinite_ssthresh);
    tcase_add_test(tc, rfc5681_3_1_slow_start_grows_by_min_acked_smss);
    tcase_add_test(tc, rfc5681_3_1_slow_start_doubles_per_round_trip);
    tcase_add_test(tc, rfc5681_3_1_congestion_avoidance_grows_one_smss_per_window);
    tcase_add_test(tc, rfc5681_3_2_third_dupack_fast_retransmit_sets_ssthresh_and_cwnd);
    tcase_add_test(tc, rfc5681_3_2_limited_transmit_not_in_flightsize);
    tcase_add_test(tc, rfc5681_3_2_eq4_ssthresh_is_at_least_two_segments);
    tcase_add_test(tc, rfc5681_3_2_4_additional_dupacks_inflate_cwnd_by_smss);
    tcase_add_test(tc, rfc5681_2_new_ack_resets_the_dupack_count);
    tcase_add_test(tc, rfc6582_3_2_partial_ack_deflates_keeps_recovery_and_retransmits);
    tcase_add_test(tc, rfc6582_3_2_full_ack_exits_with_min_ssthresh_flightsize_plus_smss);
    tcase_add_test(tc, rfc6582_3_2_recover_compares_wrap_safe_near_2_32);
    tcase_add_test(tc, rfc6582_3_2_step_4_no_fast_retransmit_below_timeout_recover);
    tcase_add_test(tc, rfc5681_3_1_rto_collapses_cwnd_to_one_smss);
    tcase_add_test(tc, rfc5681_4_1_idle_restart_window_is_min_iw_cwnd);
    tcase_add_test(tc, rfc5681_3_1_huge_windows_saturate_instead_of_overflowing);
    suite_add_tcase(s, tc);
    TCase *tcc = tcase_create("cubic");
    tcase_set_timeout(tcc, 60);
    tcase_add_test(tcc, rfc9438_4_10_cubic_slow_start_is_reno_slow_start);
    tcase_add_test(tcc, rfc9438_4_6_loss_reduces_cwnd_to_beta_cubic_0_7);
    tcase_add_test(tcc, rfc9438_4_7_fast_convergence_lowers_w_max);
    tcase_add_test(tcc, rfc9438_4_2_cubic_grows_concave_to_w_max_then_convex);
    tcase_add_test(tcc, rfc9438_4_3_cubic_is_at_least_reno_friendly);
    tcase_add_test(tcc, rfc9438_4_3_reno_friendly_alpha_becomes_1_past_w_max);
    tcase_add_test(tcc, rfc9438_4_8_rto_collapses_cwnd_and_restarts_the_epoch);
    tcase_add_test(tcc, rfc9438_4_2_clock_extremes_do_not_overflow);
    suite_add_tcase(s, tcc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
