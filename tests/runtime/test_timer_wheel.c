/*
 * test_timer_wheel.c — the hierarchical timing wheel: ordering, precision, cancel, re-arm
 * from callbacks, far-future timers, next-expiry bounds, 1,000,000 random operations
 * checked against a brute-force model (a binary heap with lazy deletion), and the last node
 * armed left unplaced until the next arm or advance checked against placing it at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_test.h"
#include "timer_wheel.h"

struct tnode {
    struct wheel_node tw;
    uint32_t id;
    uint64_t fired_at; /* the `now` of the advance that fired it */
    uint32_t fires;
};

#define TN(n) ((struct tnode *)((char *)(n)-offsetof(struct tnode, tw)))

static uint64_t g_now;
static uint32_t g_order[64];
static size_t g_norder;

static void record(struct wheel_node *n, void *arg)
{
    (void)arg;
    struct tnode *t = TN(n);
    rt_require(!wheel_armed(n));
    /* Never early. */
    if (!(n->expires <= g_now))
        ck_abort_msg("fired early: expires %llu now %llu", (unsigned long long)n->expires,
                     (unsigned long long)g_now);
    t->fired_at = g_now;
    t->fires++;
    if (g_norder < 64) g_order[g_norder++] = t->id;
}

static size_t adv(struct timer_wheel *w, uint64_t now)
{
    g_now = now;
    return wheel_advance(w, now, record, NULL);
}

START_TEST(order_and_precision)
{
    struct timer_wheel w;
    struct tnode t[6];
    memset(t, 0, sizeof t);
    wheel_init(&w, 1000000);
    g_norder = 0;
    const uint64_t due[6] = {1500000, 1000500, 1002000, 1002999, 1064000, 5000000};
    const uint32_t order[6] = {1, 2, 3, 4, 0, 5};
    for (int i = 0; i < 6; i++) {
        t[i].id = (uint32_t)i;
        wheel_arm(&w, &t[i].tw, due[i]);
    }
    ck_assert_uint_eq(wheel_count(&w), 6);
    ck_assert_uint_eq(wheel_next_expiry(&w), 1000500);
    ck_assert_uint_eq(adv(&w, 1000499), 0);
    ck_assert_uint_eq(adv(&w, 1000500), 1); /* exactly at its time */
    ck_assert_uint_eq(wheel_next_expiry(&w), 1002000);
    ck_assert_uint_eq(adv(&w, 1002998), 1);
    ck_assert_uint_eq(adv(&w, 1002999), 1);
    ck_assert_uint_eq(adv(&w, 1499999), 1); /* the 1064000 one */
    ck_assert_uint_eq(adv(&w, 10000000), 2);
    ck_assert_uint_eq(wheel_count(&w), 0);
    ck_assert_uint_eq(wheel_next_expiry(&w), UINT64_MAX);
    ck_assert_uint_eq(g_norder, 6);
    for (int i = 0; i < 6; i++)
        ck_assert_uint_eq(g_order[i], order[i]);
    /* Fired at the first advance that reached it: at most one tick late even in one jump. */
    ck_assert_uint_eq(t[5].fired_at, 10000000);
}
END_TEST

START_TEST(big_jump_fires_in_tick_order)
{
    struct timer_wheel w;
    static struct tnode t[40];
    memset(t, 0, sizeof t);
    wheel_init(&w, 0);
    g_norder = 0;
    /* Spread over every level: 1 ms .. ~ 2^39 ms, armed in a scrambled order. */
    for (uint32_t i = 0; i < 40; i++) {
        uint32_t k = (i * 17) % 40;
        t[k].id = k;
        wheel_arm(&w, &t[k].tw, ((uint64_t)1 << k) * 1000 + 7);
    }
    ck_assert_uint_eq(adv(&w, UINT64_MAX / 2), 40);
    for (uint32_t i = 0; i < 40; i++)
        ck_assert_uint_eq(g_order[i], i);
}
END_TEST

START_TEST(cancel_and_rearm)
{
    struct timer_wheel w;
    struct tnode a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    wheel_init(&w, 0);
    ck_assert(!wheel_armed(&a.tw));
    wheel_cancel(&w, &a.tw); /* no-op when not armed */
    ck_assert_uint_eq(wheel_count(&w), 0);
    wheel_arm(&w, &a.tw, 5000);
    wheel_arm(&w, &b.tw, 5000);
    ck_assert(wheel_armed(&a.tw));
    wheel_cancel(&w, &a.tw);
    ck_assert(!wheel_armed(&a.tw));
    ck_assert_uint_eq(wheel_count(&w), 1);
    wheel_arm(&w, &b.tw, 90000000); /* re-arm moves it */
    ck_assert_uint_eq(wheel_count(&w), 1);
    ck_assert_uint_eq(adv(&w, 10000), 0);
    ck_assert_uint_eq(a.fires + b.fires, 0);
    wheel_arm(&w, &a.tw, 20000);
    wheel_cancel(&w, &b.tw);
    ck_assert_uint_eq(wheel_next_expiry(&w), 20000);
    ck_assert_uint_eq(adv(&w, 100000000), 1);
    ck_assert_uint_eq(a.fires, 1);
    ck_assert_uint_eq(b.fires, 0);
    /* Arming in the past fires on the next advance, even at the same `now`. */
    wheel_arm(&w, &a.tw, 5);
    ck_assert_uint_le(wheel_next_expiry(&w), 100000000);
    ck_assert_uint_eq(adv(&w, 100000000), 1);
}
END_TEST

/* Periodic: re-arms itself 10 ms later, `limit` times. */
static void periodic(struct wheel_node *n, void *arg)
{
    struct timer_wheel *w = arg;
    struct tnode *t = TN(n);
    rt_require((n->expires) <= (g_now));
    t->fires++;
    if (t->fires < t->id) wheel_arm(w, n, n->expires + 10000);
}

/* Re-arms itself to "now" every time: must not spin inside one advance. */
static void selfish(struct wheel_node *n, void *arg)
{
    struct timer_wheel *w = arg;
    TN(n)->fires++;
    wheel_arm(w, n, g_now);
}

static struct tnode *g_victim;
static void killer(struct wheel_node *n, void *arg)
{
    struct timer_wheel *w = arg;
    TN(n)->fires++;
    wheel_cancel(w, &g_victim->tw);
}

START_TEST(rearm_and_cancel_from_callback)
{
    struct timer_wheel w;
    struct tnode p, s, k, v;
    memset(&p, 0, sizeof p);
    memset(&s, 0, sizeof s);
    memset(&k, 0, sizeof k);
    memset(&v, 0, sizeof v);
    wheel_init(&w, 0);
    p.id = 100;
    wheel_arm(&w, &p.tw, 10000);
    g_now = 1000000;
    ck_assert_uint_eq(wheel_advance(&w, g_now, periodic, &w), 100);
    ck_assert_uint_eq(p.fires, 100);
    ck_assert_uint_eq(wheel_count(&w), 0);

    wheel_arm(&w, &s.tw, 1000000);
    ck_assert_uint_eq(wheel_advance(&w, g_now, selfish, &w), 1);
    ck_assert_uint_eq(wheel_advance(&w, g_now, selfish, &w), 1);
    ck_assert_uint_eq(s.fires, 2);
    wheel_cancel(&w, &s.tw);

    /* Two nodes due in the same tick: the first one fired cancels the other. */
    g_victim = &v;
    wheel_arm(&w, &k.tw, 2000000);
    wheel_arm(&w, &v.tw, 2000000);
    g_now = 3000000;
    size_t fired = wheel_advance(&w, g_now, killer, &w);
    /* whichever fires first cancels the other (killer on v is a no-op cancel of itself) */
    ck_assert_uint_eq(fired, 1);
    ck_assert_uint_eq(wheel_count(&w), 0);
}
END_TEST

START_TEST(far_future)
{
    struct timer_wheel w;
    struct tnode t[5];
    memset(t, 0, sizeof t);
    const uint64_t start = 123456789;
    wheel_init(&w, start);
    const uint64_t due[5] = {start + 5ull * 3600 * 1000000,          /* 5 hours */
                             start + 10ull * 86400 * 1000000 + 1,    /* 10 days */
                             start + 3ull * 365 * 86400 * 1000000,   /* 3 years */
                             start + 200ull * 365 * 86400 * 1000000, /* beyond the wheel span */
                             UINT64_MAX - 5};
    for (int i = 0; i < 5; i++)
        wheel_arm(&w, &t[i].tw, due[i]);
    for (int i = 0; i < 5; i++) {
        /* Walk the clock the way a stack sleeps: to the next expiry, repeatedly. */
        int steps = 0;
        uint64_t nx;
        while ((nx = wheel_next_expiry(&w)) < due[i]) {
            ck_assert_uint_le(nx, due[i]);
            adv(&w, nx);
            ck_assert_uint_eq(t[i].fires, 0);
            /* within the wheel's span a few cascades; beyond it (the last two) one step per
             * 2^36 ms on the top level */
            ck_assert_int_lt(++steps, i < 3 ? 16 : 8192);
        }
        ck_assert_uint_eq(nx, due[i]);
        adv(&w, due[i] - 1);
        ck_assert_uint_eq(t[i].fires, 0);
        ck_assert_uint_eq(adv(&w, due[i]), 1);
        ck_assert_uint_eq(t[i].fires, 1);
    }
    ck_assert_uint_eq(wheel_count(&w), 0);
}
END_TEST

/* ---- 1,000,000 random operations against a model ---- */
#define NT 200000
struct mentry {
    uint64_t expires;
    uint32_t id, gen;
};
struct model {
    struct mentry *h;
    size_t n;
    uint32_t *gen; /* current generation per node; an entry is live iff gen matches */
    uint8_t *armed;
    uint64_t now;
    size_t fired_round;
    uint32_t *fired_mark; /* round number in which it fired */
    uint32_t round;
};
static struct model M;
static struct tnode *T;

static int mless(const struct mentry *a, const struct mentry *b)
{
    return a->expires < b->expires;
}

static void mpush(struct mentry e)
{
    size_t i = M.n++;
    while (i > 0 && mless(&e, &M.h[(i - 1) / 2])) {
        M.h[i] = M.h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    M.h[i] = e;
}

static void mpop(void)
{
    struct mentry last = M.h[--M.n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= M.n) break;
        if (c + 1 < M.n && mless(&M.h[c + 1], &M.h[c])) c++;
        if (!mless(&M.h[c], &last)) break;
        M.h[i] = M.h[c];
        i = c;
    }
    if (M.n) M.h[i] = last;
}

/* Drop dead entries from the top so M.h[0] is the live minimum. */
static void mclean(void)
{
    while (M.n && (M.h[0].gen != M.gen[M.h[0].id] || !M.armed[M.h[0].id]))
        mpop();
}

static void mfire(struct wheel_node *n, void *arg)
{
    (void)arg;
    struct tnode *t = TN(n);
    rt_require(M.armed[t->id]);
    rt_require((n->expires) <= (M.now));
    M.armed[t->id] = 0;
    M.fired_mark[t->id] = M.round;
    M.fired_round++;
}

START_TEST(random_vs_model)
{
    T = calloc(NT, sizeof *T);
    M.h = malloc(sizeof(struct mentry) * 1000001); /* at most one push per operation */
    M.gen = calloc(NT, sizeof *M.gen);
    M.armed = calloc(NT, 1);
    M.fired_mark = calloc(NT, sizeof *M.fired_mark);
    rt_require(T && M.h && M.gen && M.armed && M.fired_mark);
    M.n = 0;
    M.now = 1000;
    M.round = 0;
    struct timer_wheel *w = malloc(sizeof *w);
    wheel_init(w, M.now);
    uint64_t seed = 42;
    size_t armed = 0, arms = 0, cancels = 0, advances = 0, total_fired = 0;
    for (uint32_t i = 0; i < NT; i++)
        T[i].id = i;

    for (long op = 0; op < 1000000; op++) {
        uint64_t r = rt_rand_below(&seed, 100);
        uint32_t id = (uint32_t)rt_rand_below(&seed, NT);
        if (r < 70) {
            /* delays: mostly short (RTO/delack scale), some long, a few hours away */
            uint64_t k = rt_rand_below(&seed, 100), d;
            if (k < 60)
                d = rt_rand_below(&seed, 300000);
            else if (k < 95)
                d = rt_rand_below(&seed, 120000000);
            else
                d = rt_rand_below(&seed, 6ull * 3600 * 1000000);
            if (k == 0) d = 0;
            uint64_t e = M.now + d;
            if (!M.armed[id]) armed++;
            wheel_arm(w, &T[id].tw, e);
            M.armed[id] = 1;
            M.gen[id]++;
            mpush((struct mentry){e, id, M.gen[id]});
            arms++;
        } else if (r < 85) {
            if (M.armed[id]) armed--;
            wheel_cancel(w, &T[id].tw);
            M.armed[id] = 0;
            cancels++;
        } else {
            /* advance by a small step, sometimes jump to the next expiry or far ahead */
            uint64_t k = rt_rand_below(&seed, 100), to;
            if (k < 80)
                to = M.now + rt_rand_below(&seed, 3000);
            else if (k < 95) {
                uint64_t nx = wheel_next_expiry(w);
                to = nx == UINT64_MAX ? M.now + 1000 : (nx > M.now ? nx : M.now);
            } else
                to = M.now + rt_rand_below(&seed, 600000000);
            M.now = to;
            M.round++;
            M.fired_round = 0;
            size_t f = wheel_advance(w, to, mfire, NULL);
            rt_require((f) == (M.fired_round));
            total_fired += f;
            armed -= f;
            /* Everything the model says is due must have fired in this round. */
            mclean();
            if (!(M.n == 0 || M.h[0].expires > M.now)) ck_abort_msg("overdue timer not fired");
            advances++;
        }
        rt_require((wheel_count(w)) == (armed));
        if ((op & 63) == 0) {
            /* next expiry: never later than the true minimum */
            mclean();
            uint64_t nx = wheel_next_expiry(w);
            if (M.n == 0)
                rt_require((nx) == (UINT64_MAX));
            else
                rt_require((nx) <= (M.h[0].expires));
        }
    }
    printf("timer_wheel model: %zu arms, %zu cancels, %zu advances, %zu fired, %zu armed at end\n",
           arms, cancels, advances, total_fired, armed);
    free(w);
    free(T);
    free(M.h);
    free(M.gen);
    free(M.armed);
    free(M.fired_mark);
}
END_TEST

/* ---- the last node armed waits unplaced: the same wheel as placing each one at once ---- */
#define NP 512
struct twin {
    struct timer_wheel w;
    struct tnode n[NP];
    int at_once;   /* place every arm at once: the general path the pending node stands in for */
    uint64_t seed; /* what fire() does: the same sequence in both twins while they agree */
    uint32_t log[NP * 4]; /* ids in firing order, one advance */
    size_t nlog;
};

static void twin_arm(struct twin *tw, uint32_t id, uint64_t expires)
{
    wheel_arm(&tw->w, &tw->n[id].tw, expires);
    if (tw->at_once) wheel_place_pending(&tw->w);
}

static void twin_fire(struct wheel_node *n, void *arg)
{
    struct twin *tw = arg;
    uint32_t id = TN(n)->id;
    rt_require(tw->nlog < NP * 4);
    tw->log[tw->nlog++] = id;
    /* As a TCB's timers do: some re-arm (a few to a time already due), some cancel another. */
    uint64_t r = rt_rand_below(&tw->seed, 10);
    if (r < 3)
        twin_arm(tw, id, g_now - 1000 + rt_rand_below(&tw->seed, 4000));
    else if (r == 3)
        wheel_cancel(&tw->w, &tw->n[rt_rand_below(&tw->seed, NP)].tw);
}

START_TEST(last_armed_node_fires_as_if_placed_at_once)
{
    struct twin *tw = calloc(2, sizeof *tw);
    rt_require(tw);
    uint64_t now = 5000000, seed = 7;
    for (int k = 0; k < 2; k++) {
        wheel_init(&tw[k].w, now);
        tw[k].at_once = k;
        tw[k].seed = 11;
        for (uint32_t i = 0; i < NP; i++)
            tw[k].n[i].id = i;
    }
    size_t fired = 0;
    uint32_t id = 0;
    for (long op = 0; op < 200000; op++) {
        uint64_t r = rt_rand_below(&seed, 100);
        /* Often the same node again, as a connection re-arms its node within one step. */
        if (rt_rand_below(&seed, 100) < 60) id = (uint32_t)rt_rand_below(&seed, NP);
        if (r < 65) {
            /* Mostly a few ticks ahead, so slots hold several nodes and their order shows;
             * some seconds or hours away, so higher levels and cascades take part. */
            uint64_t k = rt_rand_below(&seed, 100), d;
            if (k < 80)
                d = rt_rand_below(&seed, 5000);
            else if (k < 97)
                d = rt_rand_below(&seed, 10000000);
            else
                d = rt_rand_below(&seed, 5ull * 3600 * 1000000);
            uint64_t e = k == 0 ? now - rt_rand_below(&seed, 3000) : now + d;
            for (int k2 = 0; k2 < 2; k2++)
                twin_arm(&tw[k2], id, e);
        } else if (r < 80) {
            for (int k2 = 0; k2 < 2; k2++)
                wheel_cancel(&tw[k2].w, &tw[k2].n[id].tw);
        } else {
            now += rt_rand_below(&seed, 100) < 95 ? rt_rand_below(&seed, 3000)
                                                  : rt_rand_below(&seed, 2000000000);
            g_now = now;
            size_t f[2];
            for (int k2 = 0; k2 < 2; k2++) {
                tw[k2].nlog = 0;
                f[k2] = wheel_advance(&tw[k2].w, now, twin_fire, &tw[k2]);
            }
            ck_assert_uint_eq(f[0], f[1]);
            ck_assert_uint_eq(tw[0].nlog, tw[1].nlog);
            for (size_t i = 0; i < tw[0].nlog; i++)
                if (tw[0].log[i] != tw[1].log[i])
                    ck_abort_msg("op %ld: firing order differs at %zu: %u vs %u placed at once", op,
                                 i, tw[0].log[i], tw[1].log[i]);
            fired += f[0];
        }
        ck_assert_uint_eq(wheel_count(&tw[0].w), wheel_count(&tw[1].w));
        ck_assert_uint_eq(wheel_next_expiry(&tw[0].w), wheel_next_expiry(&tw[1].w));
    }
    ck_assert_uint_gt(fired, 10000);
    free(tw);
}
END_TEST

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void count_fire(struct wheel_node *n, void *arg)
{
    (void)n;
    (*(size_t *)arg)++;
}

START_TEST(cost_with_a_million_timers)
{
    /* Reported, not asserted (timings under sanitizers or shared CI are not criteria). */
    enum { N = 1000000 };
    struct wheel_node *nodes = calloc(N, sizeof *nodes);
    struct timer_wheel *w = malloc(sizeof *w);
    ck_assert(nodes && w);
    uint64_t seed = 9, now = 0;
    wheel_init(w, now);
    /* RTO-like spread: 0.2 .. 60 s */
    double t0 = now_ns();
    for (size_t i = 0; i < N; i++)
        wheel_arm(w, &nodes[i], 200000 + rt_rand_below(&seed, 60000000));
    double t_arm = (now_ns() - t0) / N;
    ck_assert_uint_eq(wheel_count(w), N);
    t0 = now_ns();
    for (size_t i = 0; i < N; i += 2)
        wheel_cancel(w, &nodes[i]);
    double t_cancel = (now_ns() - t0) / (N / 2);
    /* re-arm half (the common TCP pattern: push the RTO forward on every ACK) */
    t0 = now_ns();
    for (size_t i = 1; i < N; i += 2)
        wheel_arm(w, &nodes[i], nodes[i].expires + 1000);
    double t_rearm = (now_ns() - t0) / (N / 2);
    /* advance 1 ms at a time over 61 s */
    size_t fired = 0, steps = 0;
    t0 = now_ns();
    while (wheel_count(w) > 0) {
        now += 1000;
        wheel_advance(w, now, count_fire, &fired);
        steps++;
    }
    double t_adv = now_ns() - t0;
    ck_assert_uint_eq(fired, N / 2);
    printf("timer_wheel (1M timers): arm %.1f ns, cancel %.1f ns, re-arm %.1f ns; advance: "
           "%.1f ns per 1 ms step (%zu steps), %.1f ns per timer fired\n",
           t_arm, t_cancel, t_rearm, t_adv / (double)steps, steps, t_adv / (double)fired);
    /* an empty advance over an hour in one call */
    t0 = now_ns();
    wheel_advance(w, now + 3600ull * 1000000, count_fire, &fired);
    printf("timer_wheel: empty advance over 1 hour: %.0f ns\n", now_ns() - t0);
    free(nodes);
    free(w);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("timer_wheel");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, order_and_precision);
    tcase_add_test(tc, big_jump_fires_in_tick_order);
    tcase_add_test(tc, cancel_and_rearm);
    tcase_add_test(tc, rearm_and_cancel_from_callback);
    tcase_add_test(tc, far_future);
    tcase_add_test(tc, random_vs_model);
    tcase_add_test(tc, last_armed_node_fires_as_if_placed_at_once);
    tcase_add_test(tc, cost_with_a_million_timers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
