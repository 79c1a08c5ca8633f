/*
 * test_rtt.c — the RFC 6298 RTO estimator (runtime/rtt.c).
 */
#include "rt_test.h"
#include "rtt.h"

#define MS 1000u
#define S 1000000u

START_TEST(rfc6298_2_1_before_any_sample_rto_is_initial)
{
    struct rtt_est r;
    rtt_init(&r, 1 * S);
    ck_assert_uint_eq(r.has_sample, 0);
    ck_assert_uint_eq(r.srtt_us, 0);
    ck_assert_uint_eq(r.backoff, 0);
    ck_assert_uint_eq(rtt_current_rto(&r, 60 * S), 1 * S);
}
END_TEST

START_TEST(rfc6298_2_2_first_sample_sets_srtt_r_and_rttvar_half)
{
    struct rtt_est r;
    rtt_init(&r, 1 * S);
    rtt_sample(&r, 100 * MS, 0, 60 * S);
    ck_assert_uint_eq(r.has_sample, 1);
    ck_assert_uint_eq(r.srtt_us, 100 * MS);
    ck_assert_uint_eq(r.rttvar_us, 50 * MS);
    /* RTO = SRTT + max(G, 4 * RTTVAR) = 100 ms + 200 ms */
    ck_assert_uint_eq(r.rto_us, 300 * MS);
    ck_assert_uint_eq(rtt_current_rto(&r, 60 * S), 300 * MS);
}
END_TEST

START_TEST(rfc6298_2_3_subsequent_sample_updates_srtt_and_rttvar)
{
    struct rtt_est r;
    rtt_init(&r, 1 * S);
    rtt_sample(&r, 100000, 0, 60 * S);
    /* RTTVAR = (3 * 50000 + |100000 - 120000|) / 4 = 42500 (uses the old SRTT);
     * SRTT = (7 * 100000 + 120000) / 8 = 102500; RTO = 102500 + 4 * 42500. */
    rtt_sample(&r, 120000, 0, 60 * S);
    ck_assert_uint_eq(r.rttvar_us, 42500);
    ck_assert_uint_eq(r.srtt_us, 102500);
    ck_assert_uint_eq(r.rto_us, 272500);
    /* RTTVAR = (3 * 42500 + 22500) / 4 = 37500; SRTT = (717500 + 80000) / 8 = 99687 (floor) */
    rtt_sample(&r, 80000, 0, 60 * S);
    ck_assert_uint_eq(r.rttvar_us, 37500);
    ck_assert_uint_eq(r.srtt_us, 99687);
    ck_assert_uint_eq(r.rto_us, 249687);
}
END_TEST

START_TEST(rfc6298_2_3_steady_samples_converge_to_r_plus_granularity)
{
    struct rtt_est r;
    rtt_init(&r, 1 * S);
    for (int i = 0; i < 200; i++)
        rtt_sample(&r, 40 * MS, 0, 60 * S);
    ck_assert_uint_eq(r.srtt_us, 40 * MS);
    ck_assert_uint_eq(r.rttvar_us, 0);
    /* RFC 6298 2.3: max(G, K * RTTVAR) = G = 1 ms once the variance has decayed. */
    ck_assert_uint_eq(r.rto_us, 41 * MS);
}
END_TEST

START_TEST(rfc6298_2_2_clock_granularity_floors_the_variance_term)
{
    struct rtt_est r;
    rtt_init(&r, 1 * S);
    rtt_sample(&r, 100, 0, 60 * S); /* 4 * 50 us < G = 1 ms */
    ck_assert_uint_eq(r.rto_us, 100 + 1 * MS);
}
END_TEST

START_TEST(rfc6298_2_4_rto_is_clamped_to_the_minimum)
{
    struct rtt_est r;
    rtt_init(&r, 1 * S);
    rtt_sample(&r, 10 * MS, 1 * S, 60 * S); /* 10 + 20 ms < 1 s */
    ck_assert_uint_eq(r.srtt_us, 10 * MS);
    ck_assert_uint_eq(r.rto_us, 1 * S);
    rtt_sample(&r, 10 * MS, 200 * MS, 60 * S);
    ck_assert_uint_eq(r.rto_us, 200 * MS);
}
END_TEST

START_TEST(rfc6298_2_5_rto_is_clamped_to_the_maximum)
{
    struct rtt_est r;
    rtt_init(&r, 1 * S);
    rtt_sample(&r, 50 * S, 1 * S, 60 * S); /* 50 s + 100 s */
    ck_assert_uint_eq(r.rto_us, 60 * S);
    ck_assert_uint_eq(rtt_current_rto(&r, 60 * S), 60 * S);
}
END_TEST

START_TEST(rfc6298_2_3_extreme_samples_do_not_overflow)
{
    struct rtt_est r;
    rtt_init(&r, 1 * S);
    rtt_sample(&r, UINT32_MAX, 0, UINT32_MAX);
    ck_assert_uint_eq(r.srtt_us, UINT32_MAX);
    ck_assert_uint_eq(r.rttvar_us, UINT32_MAX / 2);
    ck_assert_uint_eq(r.rto_us, UINT32_MAX);
    rtt_sample(&r, 0, 0, UINT32_MAX);
    ck_assert_uint_eq(r.rttvar_us, (uint32_t)((3ull * (UINT32_MAX / 2) + UINT32_MAX) / 4));
    ck_assert_uint_eq(r.srtt_us, (uint32_t)(7ull * UINT32_MAX / 8));
    ck_assert_uint_eq(r.rto_us, UINT32_MAX);
    rtt_sample(&r, UINT32_MAX, 0, UINT32_MAX);
    ck_assert_uint_le(r.srtt_us, UINT32_MAX);
    /* Random samples against a 64-bit model of the same arithmetic. */
    uint64_t seed = 6298;
    uint64_t srtt = 0, var = 0;
    rtt_init(&r, 1 * S);
    for (int i = 0; i < 100000; i++) {
        unsigned shift = (unsigned)(rt_rand(&seed) & 31);
        uint32_t R = (uint32_t)rt_rand(&seed) >> shift;
        if (i == 0) {
            srtt = R;
            var = R / 2;
        } else {
            uint64_t dev = srtt > R ? srtt - R : R - srtt;
            var = (3 * var + dev) / 4;
            srtt = (7 * srtt + R) / 8;
        }
        uint64_t rto = srtt + (4 * var > 1000 ? 4 * var : 1000);
        if (rto < 200 * MS) rto = 200 * MS;
        if (rto > 120 * S) rto = 120 * S;
        rtt_sample(&r, R, 200 * MS, 120 * S);
        rt_require(r.srtt_us == srtt);
        rt_require(r.rttvar_us == var);
        rt_require(r.rto_us == rto);
    }
}
END_TEST

START_TEST(rfc6298_5_5_backoff_doubles_the_rto)
{
    struct rtt_est r;
    rtt_init(&r, 1 * S);
    rtt_backoff(&r);
    ck_assert_uint_eq(r.backoff, 1);
    ck_assert_uint_eq(rtt_current_rto(&r, 60 * S), 2 * S);
    rtt_backoff(&r);
    ck_assert_uint_eq(rtt_current_rto(&r, 60 * S), 4 * S);
    rtt_backoff(&r);
    ck_assert_uint_eq(rtt_current_rto(&r, 60 * S), 8 * S);
    /* the un-backed-off RTO is unchanged */
    ck_assert_uint_eq(r.rto_us, 1 * S);
}
END_TEST

START_TEST(rfc6298_5_5_backoff_saturates_at_the_maximum)
{
    struct rtt_est r;
    rtt_init(&r, 1 * S);
    for (int i = 0; i < 5; i++)
        rtt_backoff(&r);
    ck_assert_uint_eq(rtt_current_rto(&r, 60 * S), 32 * S);
    rtt_backoff(&r); /* 64 s > 60 s */
    ck_assert_uint_eq(rtt_current_rto(&r, 60 * S), 60 * S);
    /* Many more doublings: the counter is capped, the shift stays defined, the RTO stays max. */
    for (int i = 0; i < 1000; i++)
        rtt_backoff(&r);
    ck_assert_uint_le(r.backoff, 32);
    ck_assert_uint_eq(rtt_current_rto(&r, 60 * S), 60 * S);
    ck_assert_uint_eq(rtt_current_rto(&r, UINT32_MAX), UINT32_MAX);
    /* even a 1 us RTO reaches any uint32 maximum at the cap */
    rtt_init(&r, 1);
    for (int i = 0; i < 1000; i++)
        rtt_backoff(&r);
    ck_assert_uint_eq(rtt_current_rto(&r, UINT32_MAX), UINT32_MAX);
}
END_TEST

START_TEST(rfc6298_5_7_new_sample_resets_the_backoff)
{
    struct rtt_est r;
    rtt_init(&r, 1 * S);
    rtt_sample(&r, 100 * MS, 0, 60 * S);
    rtt_backoff(&r);
    rtt_backoff(&r);
    ck_assert_uint_eq(rtt_current_rto(&r, 60 * S), 1200 * MS);
    rtt_sample(&r, 100 * MS, 0, 60 * S);
    ck_assert_uint_eq(r.backoff, 0);
    /* RTTVAR = 3/4 * 50 ms = 37.5 ms, SRTT = 100 ms */
    ck_assert_uint_eq(rtt_current_rto(&r, 60 * S), 100 * MS + 4 * 37500);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rtt");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rfc6298_2_1_before_any_sample_rto_is_initial);
    tcase_add_test(tc, rfc6298_2_2_first_sample_sets_srtt_r_and_rttvar_half);
    tcase_add_test(tc, rfc6298_2_3_subsequent_sample_updates_srtt_and_rttvar);
    tcase_add_test(tc, rfc6298_2_3_steady_samples_converge_to_r_plus_granularity);
    tcase_add_test(tc, rfc6298_2_2_clock_granularity_floors_the_variance_term);
    tcase_add_test(tc, rfc6298_2_4_rto_is_clamped_to_the_minimum);
    tcase_add_test(tc, rfc6298_2_5_rto_is_clamped_to_the_maximum);
    tcase_add_test(tc, rfc6298_2_3_extreme_samples_do_not_overflow);
    tcase_add_test(tc, rfc6298_5_5_backoff_doubles_the_rto);
    tcase_add_test(tc, rfc6298_5_5_backoff_saturates_at_the_maximum);
    tcase_add_test(tc, rfc6298_5_7_new_sample_resets_the_backoff);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
