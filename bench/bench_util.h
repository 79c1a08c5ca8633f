/*
 * bench_util.h — timing, medians and the row protocol shared by every bench program.
 *
 * A bench program prints one line per figure on stdout, tab-separated:
 *   ROW  name  value  unit  reference  ref_value
 *   SKIP name  reason
 * bench/run.py collects them, computes ratio = value / ref_value and prints the table.
 * Each figure is the median of BENCH_RUNS repetitions taken in the same process, the
 * reference interleaved with ours so both see the same machine state.
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BENCH_RUNS 5

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* BENCH_QUICK=1 in the environment: tiny sizes, so `make test` only proves it still runs. */
static inline int bench_quick(void)
{
    const char *q = getenv("BENCH_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

/* Raise the descriptor limit to its hard limit (the Linux reference programs open thousands of
 * sockets); returns the soft limit now in force. */
static inline rlim_t bench_raise_nofile(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    return rl.rlim_cur;
}

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of n samples (sorts them in place). */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline void bench_row(const char *name, double value, const char *unit, const char *ref,
                             double ref_value)
{
    printf("ROW\t%s\t%.6g\t%s\t%s\t%.6g\n", name, value, unit, ref, ref_value);
    fflush(stdout);
}

/* A figure with no reference measured alongside (printed with '-' for ref and ratio). */
static inline void bench_row_noref(const char *name, double value, const char *unit)
{
    printf("ROW\t%s\t%.6g\t%s\t-\t-\n", name, value, unit);
    fflush(stdout);
}

static inline void bench_skip(const char *name, const char *reason)
{
    printf("SKIP\t%s\t%s\n", name, reason);
    fflush(stdout);
}

/* Keep a value alive without storing it anywhere the optimiser could see through. */
#define BENCH_USE(x) __asm__ volatile("" : : "r"(x) : "memory")
/* Make the optimiser forget what it knows about memory (buffers are re-read). */
#define BENCH_CLOBBER() __asm__ volatile("" : : : "memory")

/* xorshift64*: the one PRNG every bench uses, so sequences are the same for all contenders. */
static inline uint64_t bench_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

#endif /* BENCH_UTIL_H */
