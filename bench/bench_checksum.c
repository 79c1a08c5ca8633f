/*
 * bench_checksum.c — Internet checksum (RFC 1071) of 1460 bytes: runtime/checksum.c against
 * the naive loop that adds one 16-bit word at a time, in the same run.
 */
#include "bench_util.h"
#include "checksum.h"

/* RFC 1071 section 4.1 as most people first write it: one 16-bit word per iteration. */
static uint16_t naive_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    while (len > 1) {
        sum += (uint32_t)p[0] << 8 | p[1];
        p += 2;
        len -= 2;
    }
    if (len) sum += (uint32_t)p[0] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

int main(void)
{
    enum { LEN = 1460 };
    static uint8_t buf[LEN + 64];
    uint64_t seed = 42;
    long iters = bench_quick() ? 2000 : 2000000;
    double ours[BENCH_RUNS], ref[BENCH_RUNS];
    uint64_t acc = 0;

    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)bench_rand(&seed);
    /* Both must agree (byte order aside) or the comparison means nothing. */
    {
        uint16_t a = inet_checksum(buf, LEN), b = naive_checksum(buf, LEN);
        uint16_t b_be = (uint16_t)(b >> 8 | b << 8);
        if (a != b && a != b_be) {
            fprintf(stderr, "bench_checksum: results differ (%04x vs %04x)\n", a, b);
            return 1;
        }
    }
    for (int r = 0; r < BENCH_RUNS; r++) {
        uint64_t t0 = bench_now_ns();
        for (long i = 0; i < iters; i++) {
            BENCH_CLOBBER();
            acc += inet_checksum(buf, LEN);
        }
        uint64_t t1 = bench_now_ns();
        for (long i = 0; i < iters; i++) {
            BENCH_CLOBBER();
            acc += naive_checksum(buf, LEN);
        }
        uint64_t t2 = bench_now_ns();
        ours[r] = (double)(t1 - t0) / (double)iters;
        ref[r] = (double)(t2 - t1) / (double)iters;
    }
    BENCH_USE(acc);
    bench_row("checksum 1460 B", bench_median(ours, BENCH_RUNS), "ns", "naive 16-bit loop",
              bench_median(ref, BENCH_RUNS));
    return 0;
}
