/*
 * test_seq.c — wrap-safe sequence arithmetic (RFC 9293 3.4).
 */
#include "rt_test.h"
#include "seq.h"

START_TEST(compare_across_wrap)
{
    /* RFC 9293 3.4: comparisons are modulo 2^32; 2^32 - 1 is "before" 0. */
    ck_assert(seq_lt(0xffffffffu, 0));
    ck_assert(seq_gt(0, 0xffffffffu));
    ck_assert(seq_lt(0xfffffc18u, 1000)); /* ISN 2^32 - 1000 crossing zero */
    ck_assert(seq_leq(5, 5) && seq_geq(5, 5) && !seq_lt(5, 5) && !seq_gt(5, 5));
    ck_assert(seq_lt(1, 2) && !seq_lt(2, 1));
    ck_assert(seq_lt(0x7fffffffu, 0x80000000u));
    ck_assert_int_eq(seq_diff(0, 0xffffffffu), 1);
    ck_assert_int_eq(seq_diff(0xffffffffu, 0), -1);
    ck_assert_int_eq(seq_diff(0x80000000u, 0), INT32_MIN);
    ck_assert_int_eq(seq_diff(0x7fffffffu, 0), INT32_MAX);
    ck_assert_uint_eq(seq_max(0xfffffff0u, 0x10), 0x10);
    ck_assert_uint_eq(seq_min(0xfffffff0u, 0x10), 0xfffffff0u);
}
END_TEST

START_TEST(random_pairs)
{
    /* Against 64-bit arithmetic: for |d| < 2^31, a + d compares like the integers do. */
    uint64_t seed = 5;
    for (int i = 0; i < 1000000; i++) {
        uint32_t a = (uint32_t)rt_rand(&seed);
        int64_t d = (int64_t)rt_rand_below(&seed, (1ull << 32) - 1) - INT32_MAX;
        uint32_t b = (uint32_t)(a + (uint32_t)d);
        rt_require((seq_diff(b, a)) == (d));
        rt_require(seq_lt(a, b) == (d > 0));
        rt_require(seq_leq(a, b) == (d >= 0));
        rt_require(seq_gt(a, b) == (d < 0));
        rt_require(seq_geq(a, b) == (d <= 0));
    }
}
END_TEST

START_TEST(between_and_window)
{
    /* lo <= x < hi, across the wrap. */
    ck_assert(seq_between(0xfffffff0u, 0xfffffff0u, 0x10));
    ck_assert(seq_between(0xfffffff0u, 0, 0x10));
    ck_assert(seq_between(0xfffffff0u, 0xf, 0x10));
    ck_assert(!seq_between(0xfffffff0u, 0x10, 0x10));
    ck_assert(!seq_between(0xfffffff0u, 0xffffffefu, 0x10));
    ck_assert(!seq_between(7, 7, 7)); /* empty range */
    /* RFC 9293 3.10.7.4: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND; zero window admits nothing. */
    ck_assert(seq_in_window(100, 100, 1));
    ck_assert(!seq_in_window(100, 100, 0));
    ck_assert(seq_in_window(5, 0xfffffffbu, 11));
    ck_assert(!seq_in_window(6, 0xfffffffbu, 11));
    ck_assert(!seq_in_window(0xfffffffau, 0xfffffffbu, 11));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("seq");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, compare_across_wrap);
    tcase_add_test(tc, random_pairs);
    tcase_add_test(tc, between_and_window);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
