/*
 * test_mem.c — the connections' buffer memory (runtime/core/mem.c): the size a ring grows to
 * and the free lists its blocks go back to, checked against the rule written out the slow way.
 */
#include <stdint.h>
#include <stdlib.h>

#include "rt_test.h"
#include "tcb.h"
#include "tcpfsm.h"

static void no_output(void *arg, const void *pkt, size_t len)
{
    (void)arg, (void)pkt, (void)len;
}

static struct tcpfsm_stack *mem_stack(uint32_t bufsize)
{
    struct tcpfsm_config cfg = {
        .addr = 0x0a000001,
        .output = no_output,
        .sndbuf = bufsize,
        .rcvbuf = bufsize,
        .max_buffer_bytes = (uint64_t)64 * bufsize,
    };
    struct tcpfsm_stack *st = tcpfsm_stack_new(&cfg, NULL);
    ck_assert_ptr_nonnull(st);
    return st;
}

/* The rule: the smallest power of two from MEM_RING_MIN up that holds n bytes. */
static uint32_t cap_for(uint64_t n)
{
    uint32_t cap = MEM_RING_MIN;
    while (cap < n)
        cap *= 2;
    return cap;
}

/* An empty ring asked for n bytes gets one block of exactly cap_for(n), charged as such, and
 * gives it back (to the stack's free list, not its budget) when released: every n around each
 * power of two up to the limit, and random n in between. */
START_TEST(ring_grows_to_the_smallest_power_of_two_that_holds_the_bytes)
{
    enum { LIMIT = 1u << 22 };
    struct tcpfsm_stack *st = mem_stack(LIMIT);
    uint64_t rng = 18;
    uint32_t wants[200];
    unsigned n = 0;
    for (uint32_t p = 1; p <= LIMIT; p *= 2) {
        wants[n++] = p - 1 ? p - 1 : 1;
        wants[n++] = p;
        if (p < LIMIT) wants[n++] = p + 1;
    }
    while (n < sizeof wants / sizeof wants[0])
        wants[n++] = 1 + (uint32_t)rt_rand_below(&rng, LIMIT);
    for (unsigned i = 0; i < n; i++) {
        struct ring r = {0};
        uint8_t shift = 0;
        uint32_t got = ring_make_room(st, &r, wants[i], LIMIT, &shift, false);
        rt_require(got == wants[i]);
        rt_require(r.cap == cap_for(wants[i]));
        rt_require(shift == (unsigned)__builtin_ctz(r.cap));
        rt_require(st->buffer_bytes == r.cap);
        ring_release(st, &r);
        rt_require(st->buffer_bytes == 0 && r.data == NULL && r.cap == 0);
    }
    tcpfsm_stack_free(st);
}
END_TEST

/* A ring that needed a larger size before grows straight to it (the remembered shift), but
 * never past the limit's size. */
START_TEST(ring_regrows_to_the_size_it_needed_before)
{
    struct tcpfsm_stack *st = mem_stack(1u << 16);
    struct ring r = {0};
    uint8_t shift = 0;
    ck_assert_uint_eq(ring_make_room(st, &r, 40000, 1u << 16, &shift, false), 40000);
    ck_assert_uint_eq(r.cap, 1u << 16);
    ck_assert_uint_eq(shift, 16);
    ring_release(st, &r);
    ck_assert_uint_eq(ring_make_room(st, &r, 1, 1u << 16, &shift, false), 1);
    ck_assert_uint_eq(r.cap, 1u << 16);
    ring_release(st, &r);
    /* a smaller limit than the remembered size caps it */
    ck_assert_uint_eq(ring_make_room(st, &r, 1, 3000, &shift, false), 1);
    ck_assert_uint_eq(r.cap, 4096);
    ring_release(st, &r);
    tcpfsm_stack_free(st);
}
END_TEST

/* The inline no-pressure case of mem_allowance is the pressure rule when the fair share covers
 * the whole limit: the rest of the limit, whatever the ring holds (rings of every fill, with
 * and without a ring), and under pressure it is the out-of-line rule itself. */
START_TEST(allowance_without_pressure_is_the_rest_of_the_limit)
{
    enum { LIMIT = 1u << 16 };
    struct tcpfsm_stack *st = mem_stack(LIMIT); /* share: 32 x LIMIT, more than any limit */
    struct tcb t = {0};
    uint64_t rng = 7;
    for (unsigned i = 0; i < 2000; i++) {
        uint32_t cap = MEM_RING_MIN << rt_rand_below(&rng, 7);
        struct ring r = {.cap = cap, .len = (uint32_t)rt_rand_below(&rng, cap + 1)};
        uint32_t limit = (uint32_t)rt_rand_below(&rng, LIMIT + 1);
        const struct ring *rp = i % 5 ? &r : NULL;
        st->mem_pressure = false;
        uint32_t fast = mem_allowance(st, &t, rp, limit);
        rt_require(fast == mem_allowance_pressed(st, &t, rp, limit));
        rt_require(fast == (limit > (rp ? r.len : 0) ? limit - (rp ? r.len : 0) : 0));
        st->mem_pressure = true;
        rt_require(mem_allowance(st, &t, rp, limit) == mem_allowance_pressed(st, &t, rp, limit));
    }
    st->mem_pressure = false;
    tcpfsm_stack_free(st);
}
END_TEST

/* Freed compact records are kept for reuse, last freed first, up to REC_CACHE_MAX; past that
 * they go back to malloc. (Under AddressSanitizer nothing is kept.) */
START_TEST(record_cache_reuses_freed_records_up_to_its_bound)
{
    struct tcpfsm_stack *st = mem_stack(1u << 16);
    struct rec_cache *c = &st->tw_cache;
    void *a = rec_get(c, 64), *b = rec_get(c, 64);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    rec_put(c, a);
    rec_put(c, b);
    if (TCPFSM_CACHES_ON) {
        ck_assert_uint_eq(c->n, 2);
        ck_assert_ptr_eq(rec_get(c, 64), b);
        ck_assert_ptr_eq(rec_get(c, 64), a);
        ck_assert_uint_eq(c->n, 0);
        enum { N = REC_CACHE_MAX + 8 };
        static void *p[N];
        for (unsigned i = 0; i < N; i++)
            p[i] = rec_get(c, 64);
        for (unsigned i = 0; i < N; i++)
            rec_put(c, p[i]);
        ck_assert_uint_eq(c->n, REC_CACHE_MAX);
        rec_put(&st->syn_cache, a);
        rec_put(&st->syn_cache, b);
    } else {
        ck_assert_uint_eq(c->n, 0);
        ck_assert_ptr_null(c->head);
    }
    tcpfsm_stack_free(st); /* frees what the caches hold */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("mem");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ring_grows_to_the_smallest_power_of_two_that_holds_the_bytes);
    tcase_add_test(tc, ring_regrows_to_the_size_it_needed_before);
    tcase_add_test(tc, allowance_without_pressure_is_the_rest_of_the_limit);
    tcase_add_test(tc, record_cache_reuses_freed_records_up_to_its_bound);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
