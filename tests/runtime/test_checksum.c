/*
 * test_checksum.c — the Internet checksum (RFC 1071) against a naive 16-bit reference.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checksum.h"
#include "rt_test.h"

/* RFC 1071 section 4.1, word by word in network order: obviously right, slow. */
static uint16_t ref_sum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    size_t i;
    for (i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)p[i] << 8 | p[i + 1];
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if (i < len) {
        sum += (uint32_t)p[i] << 8;
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)sum;
}

static uint16_t ref_csum(const uint8_t *p, size_t len)
{
    return (uint16_t)~ref_sum(p, len);
}

/* Our result is the field value as memcpy stores it: network-order bytes. */
static uint16_t as_host(uint16_t field)
{
    return ntohs(field);
}

START_TEST(rfc1071_example)
{
    /* RFC 1071 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2, so the checksum is 220d. */
    const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    ck_assert_uint_eq(as_host(inet_checksum(b, 8)), 0x220d);
    ck_assert_uint_eq(as_host(inet_checksum(b, 0)), 0xffff);
    /* A buffer with its own checksum stored in it sums to zero. */
    uint8_t c[10];
    memcpy(c, b, 8);
    uint16_t f = inet_checksum(b, 8);
    memcpy(c + 8, &f, 2);
    ck_assert_uint_eq(inet_checksum(c, 10), 0);
}
END_TEST

START_TEST(every_length_and_alignment)
{
    enum { MAXLEN = 2048 };
    static uint8_t buf[MAXLEN + 16];
    uint64_t seed = 1;
    for (size_t len = 0; len <= MAXLEN; len++) {
        for (size_t align = 0; align < 8; align++) {
            uint8_t *p = buf + align;
            rt_fill_random(&seed, p, len);
            if (as_host(inet_checksum(p, len)) != ref_csum(p, len))
                ck_abort_msg("len %zu align %zu", len, align);
        }
    }
}
END_TEST

START_TEST(extreme_values)
{
    /* All-ones data exercises every carry; all-zero data the "negative zero" corner. */
    static uint8_t buf[65536];
    for (size_t len = 0; len <= 4096; len += 7) {
        memset(buf, 0xff, len);
        ck_assert_uint_eq(as_host(inet_checksum(buf, len)), ref_csum(buf, len));
        memset(buf, 0, len);
        ck_assert_uint_eq(as_host(inet_checksum(buf, len)), ref_csum(buf, len));
    }
    memset(buf, 0xff, sizeof buf);
    ck_assert_uint_eq(as_host(inet_checksum(buf, sizeof buf)), ref_csum(buf, sizeof buf));
    /* A large starting accumulator must wrap its carries correctly: UINT64_MAX - 3 is
     * congruent to 0xfffc modulo 0xffff, because 2^64 - 1 is a multiple of 0xffff. */
    const uint16_t w = 0xfffc; /* in the native-order domain the accumulator lives in */
    ck_assert_uint_eq(csum_fold(csum_add(UINT64_MAX - 3, buf, 64)),
                      csum_fold(csum_add(csum_add(0, &w, 2), buf, 64)));
}
END_TEST

START_TEST(chaining)
{
    enum { LEN = 3000 };
    static uint8_t buf[LEN];
    uint64_t seed = 7;
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)rt_rand_below(&seed, LEN + 1);
        rt_fill_random(&seed, buf, len);
        uint64_t acc = rt_rand(&seed) & 0xffffffffffffULL; /* a chained-in accumulator */
        uint64_t whole = csum_add(acc, buf, len);
        uint64_t part = acc;
        size_t off = 0;
        while (off < len) {
            size_t n = (size_t)rt_rand_below(&seed, 200) * 2; /* even chunks, last may be odd */
            if (n > len - off) n = len - off;
            part = csum_add(part, buf + off, n);
            off += n;
        }
        rt_require((csum_fold(whole)) == (csum_fold(part)));
        /* Prepending a pseudo-accumulator equals checksumming the concatenation. */
        uint8_t pre[8];
        rt_fill_random(&seed, pre, sizeof pre);
        uint64_t two = csum_add(csum_add(0, pre, 8), buf, len);
        static uint8_t cat[LEN + 8];
        memcpy(cat, pre, 8);
        memcpy(cat + 8, buf, len);
        rt_require((as_host(csum_fold(two))) == (ref_csum(cat, len + 8)));
    }
}
END_TEST

START_TEST(pseudo_header)
{
    uint64_t seed = 3;
    for (int i = 0; i < 1000; i++) {
        uint32_t sa = (uint32_t)rt_rand(&seed), da = (uint32_t)rt_rand(&seed);
        uint16_t len = (uint16_t)rt_rand(&seed);
        uint8_t ph[12] = {(uint8_t)(sa >> 24),
                          (uint8_t)(sa >> 16),
                          (uint8_t)(sa >> 8),
                          (uint8_t)sa,
                          (uint8_t)(da >> 24),
                          (uint8_t)(da >> 16),
                          (uint8_t)(da >> 8),
                          (uint8_t)da,
                          0,
                          6,
                          (uint8_t)(len >> 8),
                          (uint8_t)len};
        rt_require((as_host(csum_fold(csum_pseudo_ipv4(sa, da, 6, len)))) == (ref_csum(ph, 12)));
    }
}
END_TEST

/* csum_fold's halves-with-carry steps give what folding 16 bits at a time gives, at the
 * values where carries chain (all ones, powers of two, each side of them) and at random. */
START_TEST(fold_matches_folding_16_bits_at_a_time)
{
    uint64_t seed = 13;
    for (int round = 0; round < 200000; round++) {
        uint64_t acc = rt_rand(&seed);
        switch (round % 4) {
        case 0:
            acc = UINT64_MAX >> (acc % 64);
            break;
        case 1:
            acc = ((uint64_t)1 << (acc % 64)) + (uint64_t)(round % 3) - 1;
            break;
        case 2:
            acc &= 0xffffffffull * (round & 1);
            break;
        default:
            break;
        }
        uint64_t slow = acc;
        while (slow >> 16)
            slow = (slow & 0xffff) + (slow >> 16);
        rt_require(csum_fold(acc) == (uint16_t)~slow);
    }
    rt_require(csum_fold(0) == 0xffff);
}
END_TEST

/* The inline sum of a header's 32-bit words (what the packet parser and builder use) is
 * csum_add for every length it takes, at any alignment, with any accumulator chained in. */
START_TEST(header_words_sum_as_csum_add)
{
    static uint8_t buf[128 + 8];
    uint64_t seed = 5;
    for (int round = 0; round < 20000; round++) {
        size_t off = (size_t)rt_rand_below(&seed, 8);
        size_t len = 4 * (size_t)rt_rand_below(&seed, 33);
        rt_fill_random(&seed, buf + off, len);
        if (round & 1) /* carry-heavy data */
            memset(buf + off, 0xff, len / 2);
        uint64_t acc = rt_rand(&seed);
        if (round % 3 == 0) acc = UINT64_MAX - (acc & 0xff); /* the 64-bit carry wraps */
        rt_require(csum_fold(csum_add_words(acc, buf + off, len)) ==
                   csum_fold(csum_add(acc, buf + off, len)));
        rt_require(as_host(csum_fold(csum_add_words(0, buf + off, len))) ==
                   ref_csum(buf + off, len));
    }
}
END_TEST

/* The library picks the fastest path for this CPU; this translation unit compiles the same
 * source with the portable path forced, under other names, to check each path against the
 * others (the fast path is all the library ever runs here). */
#undef TCPFSM_CHECKSUM_H
#define CSUM_FORCE_SCALAR 1
#define csum_add scalar_csum_add
#define csum_add_words scalar_csum_add_words
#define csum_fold scalar_csum_fold
#define inet_checksum scalar_inet_checksum
#define csum_pseudo_ipv4 scalar_csum_pseudo_ipv4
#include "checksum.c"
#undef csum_add
#undef csum_add_words
#undef csum_fold
#undef inet_checksum
#undef csum_pseudo_ipv4

START_TEST(every_path_agrees)
{
    static uint8_t buf[4096 + 8];
    uint64_t seed = 21;
    for (int round = 0; round < 3000; round++) {
        size_t off = (size_t)rt_rand_below(&seed, 8);
        size_t len = (size_t)rt_rand_below(&seed, 4097);
        rt_fill_random(&seed, buf + off, len);
        if (round & 1) /* carry-heavy data */
            memset(buf + off, 0xff, len / 2);
        uint16_t want = ref_csum(buf + off, len);
        rt_require(as_host(scalar_inet_checksum(buf + off, len)) == want);
        rt_require(as_host(inet_checksum(buf + off, len)) == want);
        size_t n = len & ~(size_t)63;
        uint16_t blocks = scalar_csum_fold(sum_scalar(buf + off, n));
        rt_require(as_host(blocks) == ref_csum(buf + off, n));
#ifdef CSUM_X86_64
        rt_require(scalar_csum_fold(sum_sse2(buf + off, n)) == blocks);
        if (__builtin_cpu_supports("avx2"))
            rt_require(scalar_csum_fold(sum_avx2(buf + off, n)) == blocks);
#endif
    }
}
END_TEST

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

START_TEST(speed_1460)
{
    /* Reported, not asserted: sanitizer and shared CI machines make timings meaningless as
     * pass/fail criteria. The target is <= 60 ns at -O2 without sanitizers. */
    static uint8_t buf[1460 + 8];
    uint64_t seed = 11;
    rt_fill_random(&seed, buf, sizeof buf);
    volatile uint16_t sink = 0;
    const int iters = 200000;
    double best = 1e18;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now_ns();
        /* inet_checksum lives in another translation unit (no LTO), so the calls cannot be
         * hoisted; the buffer is not written in the loop because a store followed by a
         * wide overlapping load stalls store forwarding and measures the harness. */
        for (int i = 0; i < iters; i++)
            sink ^= inet_checksum(buf + (i & 1), 1460);
        double per = (now_ns() - t0) / iters;
        if (per < best) best = per;
    }
    printf("checksum: %.1f ns per 1460 bytes (%.2f GB/s)\n", best, 1460 / best);
    (void)sink;
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("checksum");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rfc1071_example);
    tcase_add_test(tc, every_length_and_alignment);
    tcase_add_test(tc, extreme_values);
    tcase_add_test(tc, chaining);
    tcase_add_test(tc, pseudo_header);
    tcase_add_test(tc, header_words_sum_as_csum_add);
    tcase_add_test(tc, fold_matches_folding_16_bits_at_a_time);
    tcase_add_test(tc, every_path_agrees);
    tcase_add_test(tc, speed_1460);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
