/*
 * bench_timer.c — runtime/timer_wheel.c against a binary heap (heap_timer.h), with N armed
 * timers (1,000,000; 10,000 under BENCH_QUICK): ns per arm, per cancel, per expiry.
 * Expiries are uniform over 10 s; time advances in 1 ms steps (the wheel's tick) for both.
 */
#include "bench_util.h"
#include "heap_timer.h"
#include "timer_wheel.h"

static size_t fired_count;

static void on_fire(struct wheel_node *n, void *arg)
{
    (void)n;
    (void)arg;
    fired_count++;
}

int main(void)
{
    size_t n = bench_quick() ? 10000 : 1000000;
    const uint64_t span_us = 10 * 1000 * 1000, t0_us = 1000000;
    uint64_t *exp = malloc(n * sizeof *exp);
    uint32_t *order = malloc(n * sizeof *order);
    struct wheel_node *wn = malloc(n * sizeof *wn);
    struct heap_node *hn = malloc(n * sizeof *hn);
    struct timer_wheel *w = malloc(sizeof *w);
    struct heap_timer h;
    double arm[2][BENCH_RUNS], cancel[2][BENCH_RUNS], expire[2][BENCH_RUNS];
    uint64_t seed = 7;

    if (!exp || !order || !wn || !hn || !w || heap_init(&h, n) != 0) {
        fprintf(stderr, "bench_timer: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        exp[i] = t0_us + 1000 + bench_rand(&seed) % span_us;
        order[i] = (uint32_t)i;
    }
    for (size_t i = n - 1; i > 0; i--) { /* cancel in random order: no cache-friendly luck */
        size_t j = bench_rand(&seed) % (i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int r = 0; r < BENCH_RUNS; r++) {
        uint64_t a, b;
        size_t half = n / 2, fired;

        /* --- wheel --- */
        memset(wn, 0, n * sizeof *wn);
        wheel_init(w, t0_us);
        a = bench_now_ns();
        for (size_t i = 0; i < n; i++)
            wheel_arm(w, &wn[i], exp[i]);
        b = bench_now_ns();
        arm[0][r] = (double)(b - a) / (double)n;
        a = bench_now_ns();
        for (size_t i = 0; i < half; i++)
            wheel_cancel(w, &wn[order[i]]);
        b = bench_now_ns();
        cancel[0][r] = (double)(b - a) / (double)half;
        for (size_t i = 0; i < half; i++) /* back to n armed before expiring */
            wheel_arm(w, &wn[order[i]], exp[order[i]]);
        fired_count = 0;
        a = bench_now_ns();
        for (uint64_t t = t0_us; t <= t0_us + span_us + 2000; t += 1000)
            wheel_advance(w, t, on_fire, NULL);
        b = bench_now_ns();
        fired = fired_count;
        if (fired != n) {
            fprintf(stderr, "bench_timer: wheel fired %zu of %zu\n", fired, n);
            return 1;
        }
        expire[0][r] = (double)(b - a) / (double)n;

        /* --- heap --- */
        h.n = 0;
        a = bench_now_ns();
        for (size_t i = 0; i < n; i++)
            heap_arm(&h, &hn[i], exp[i]);
        b = bench_now_ns();
        arm[1][r] = (double)(b - a) / (double)n;
        a = bench_now_ns();
        for (size_t i = 0; i < half; i++)
            heap_cancel(&h, &hn[order[i]]);
        b = bench_now_ns();
        cancel[1][r] = (double)(b - a) / (double)half;
        for (size_t i = 0; i < half; i++)
            heap_arm(&h, &hn[order[i]], exp[order[i]]);
        fired = 0;
        a = bench_now_ns();
        for (uint64_t t = t0_us; t <= t0_us + span_us + 2000; t += 1000)
            fired += heap_advance(&h, t);
        b = bench_now_ns();
        if (fired != n) {
            fprintf(stderr, "bench_timer: heap fired %zu of %zu\n", fired, n);
            return 1;
        }
        expire[1][r] = (double)(b - a) / (double)n;
    }
    char name[64];
    snprintf(name, sizeof name, "timer arm (%zu armed)", n);
    bench_row(name, bench_median(arm[0], BENCH_RUNS), "ns/op", "binary heap",
              bench_median(arm[1], BENCH_RUNS));
    snprintf(name, sizeof name, "timer cancel (%zu armed)", n);
    bench_row(name, bench_median(cancel[0], BENCH_RUNS), "ns/op", "binary heap",
              bench_median(cancel[1], BENCH_RUNS));
    snprintf(name, sizeof name, "timer expire (%zu armed)", n);
    bench_row(name, bench_median(expire[0], BENCH_RUNS), "ns/op", "binary heap",
              bench_median(expire[1], BENCH_RUNS));
    return 0;
}
