/*
 * test_memlink.c — the in-memory link: queueing without re-entrancy, FIFO order, delay and
 * jitter, loss within a binomial bound, duplication, corruption caught by the checksum,
 * blackout, rate limiting with a bounded queue, pcap recording, exact determinism, and the
 * checksum offload switch (loopback-like: intact packets vouched for, corrupted ones never).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memlink.h"
#include "packet.h"
#include "rt_test.h"
#include "tcpfsm.h"

#define A RT_IP(10, 0, 0, 1)
#define B RT_IP(10, 0, 0, 2)
#define C RT_IP(10, 0, 0, 3)

struct rx {
    struct memlink *l;
    uint64_t hash;        /* FNV-1a over (time, packet) of every delivery */
    size_t count, bad;    /* deliveries, and those pkt_parse rejects */
    uint32_t last_id;     /* payload id of the last delivery */
    uint32_t ids[4096];   /* first deliveries' ids */
    uint64_t times[4096]; /* and their delivery times */
    int in_send;          /* set while the test is inside memlink_send */
    int echo;             /* send every packet back to its source */
    uint64_t *clock;      /* the virtual time the test advanced to */
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

/* A valid segment A->dst carrying a 4-byte id as payload. */
static size_t mkpkt(uint8_t *buf, uint32_t src, uint32_t dst, uint32_t id, size_t extra)
{
    static uint8_t payload[1500];
    memcpy(payload, &id, 4);
    for (size_t i = 4; i < 4 + extra; i++)
        payload[i] = (uint8_t)(i * 7 + id);
    return rt_build_tcp(buf, 1600, src, 1000, dst, 2000, id, 0, TCP_ACK, 100, payload, 4 + extra);
}

static void on_rx(void *arg, const void *pkt, size_t len)
{
    struct rx *r = arg;
    rt_require(!r->in_send); /* never delivered re-entrantly from memlink_send */
    struct tcp_seg s;
    uint32_t id = 0;
    if (pkt_parse(pkt, len, &s) == PKT_OK)
        memcpy(&id, s.data, 4);
    else
        r->bad++;
    if (r->count < 4096) {
        r->ids[r->count] = id;
        r->times[r->count] = *r->clock;
    }
    r->last_id = id;
    r->count++;
    r->hash = fnv(r->hash, &id, 4);
    r->hash = fnv(r->hash, pkt, len);
    if (r->echo) {
        /* reply from inside the delivery: must be queued, not delivered now */
        uint8_t b[1600];
        size_t n = mkpkt(b, s.daddr, s.saddr, id + 1000000, 0);
        memlink_send(r->l, s.daddr, b, n);
    }
}

static uint64_t g_clock;

static void setup_pair(struct memlink *l, struct rx *ra, struct rx *rb)
{
    memset(ra, 0, sizeof *ra);
    memset(rb, 0, sizeof *rb);
    ra->l = rb->l = l;
    ra->clock = rb->clock = &g_clock;
    ck_assert_int_eq(memlink_attach(l, A, on_rx, ra), 0);
    ck_assert_int_eq(memlink_attach(l, B, on_rx, rb), 1);
}

static void send_id(struct memlink *l, struct rx *r, uint32_t src, uint32_t dst, uint32_t id,
                    size_t extra)
{
    uint8_t b[1600];
    size_t n = mkpkt(b, src, dst, id, extra);
    r->in_send = 1;
    memlink_send(l, src, b, n);
    r->in_send = 0;
}

/* Run the link until idle, stepping the clock to each delivery time. */
static void run(struct memlink *l)
{
    uint64_t t;
    while ((t = memlink_next_delivery(l)) != UINT64_MAX) {
        g_clock = t;
        memlink_advance(l, t);
    }
}

START_TEST(queued_not_reentrant_fifo)
{
    struct memlink *l = memlink_new(1, 0);
    struct rx ra, rb;
    setup_pair(l, &ra, &rb);
    ck_assert_int_eq(memlink_attach(l, A, on_rx, &ra), -EEXIST);
    ck_assert_uint_eq(memlink_next_delivery(l), UINT64_MAX);
    for (uint32_t i = 0; i < 100; i++)
        send_id(l, &rb, A, B, i, 0);
    /* zero delay: queued for now, delivered only by advance, in send order */
    ck_assert_uint_eq(rb.count, 0);
    ck_assert_uint_eq(memlink_next_delivery(l), 0);
    g_clock = 0;
    ck_assert_uint_eq(memlink_advance(l, 0), 100);
    ck_assert_uint_eq(rb.count, 100);
    for (uint32_t i = 0; i < 100; i++)
        ck_assert_uint_eq(rb.ids[i], i);
    /* replies sent from a delivery callback wait for the next advance */
    rb.echo = 1;
    send_id(l, &rb, A, B, 7, 0);
    ck_assert_uint_eq(memlink_advance(l, 0), 2); /* 7, then its echo, both due at 0 */
    ck_assert_uint_eq(ra.count, 1);
    ck_assert_uint_eq(ra.ids[0], 1000007);
    struct memlink_stats st;
    memlink_get_stats(l, A, B, &st);
    ck_assert_uint_eq(st.sent, 101);
    ck_assert_uint_eq(st.delivered, 101);
    memlink_get_stats(l, B, C, &st);
    ck_assert_uint_eq(st.sent, 0);
    /* unknown destination: dropped; counted as lost on a direction that was configured (an
     * unconfigured one is not created, so forged sources cannot grow the link's state) */
    memlink_set_impair(l, A, C, NULL);
    send_id(l, &rb, A, C, 1, 0);
    memlink_get_stats(l, A, C, &st);
    ck_assert_uint_eq(st.lost, 1);
    memlink_free(l);
}
END_TEST

/* Packets to one destination from several sources, and to addresses that share its slot in
 * the link's route cache (the same address mod 16), each go where their own addresses say:
 * the right endpoint, the right direction's statistics and impairment, nothing to an address
 * no endpoint has. */
START_TEST(route_cache_keeps_every_source_and_destination_apart)
{
    struct memlink *l = memlink_new(5, 0);
    struct rx ra, rb, rc;
    setup_pair(l, &ra, &rb);
    memset(&rc, 0, sizeof rc);
    rc.l = l;
    rc.clock = &g_clock;
    const uint32_t far = C + 16; /* C's slot, no endpoint */
    ck_assert_int_eq(memlink_attach(l, C, on_rx, &rc), 2);
    struct memlink_impair lossy = {.loss = 1.0};
    memlink_set_impair(l, C, B, &lossy); /* everything C sends to B is lost */
    memlink_set_impair(l, A, far, NULL); /* counted though it has no endpoint */
    for (uint32_t i = 0; i < 50; i++) {
        send_id(l, &rb, A, B, i, 0);         /* delivered to B */
        send_id(l, &rb, C, B, 100 + i, 0);   /* B's slot too: lost */
        send_id(l, &rc, A, C, 200 + i, 0);   /* to C */
        send_id(l, &rc, A, far, 300 + i, 0); /* C's slot, nobody there */
        send_id(l, &ra, B, A, 400 + i, 0);   /* the other way */
    }
    run(l);
    ck_assert_uint_eq(rb.count, 50);
    ck_assert_uint_eq(rc.count, 50);
    ck_assert_uint_eq(ra.count, 50);
    for (uint32_t i = 0; i < 50; i++) {
        ck_assert_uint_eq(rb.ids[i], i);
        ck_assert_uint_eq(rc.ids[i], 200 + i);
        ck_assert_uint_eq(ra.ids[i], 400 + i);
    }
    struct memlink_stats st;
    memlink_get_stats(l, C, B, &st);
    ck_assert_uint_eq(st.sent, 50);
    ck_assert_uint_eq(st.lost, 50);
    memlink_get_stats(l, A, B, &st);
    ck_assert_uint_eq(st.delivered, 50);
    memlink_get_stats(l, A, far, &st);
    ck_assert_uint_eq(st.sent, 50);
    ck_assert_uint_eq(st.lost, 50);
    memlink_free(l);
}
END_TEST

START_TEST(delay_and_jitter)
{
    struct memlink *l = memlink_new(2, 1000);
    struct rx ra, rb;
    setup_pair(l, &ra, &rb);
    struct memlink_impair im = {.delay_us = 5000};
    memlink_set_impair(l, A, B, &im);
    send_id(l, &rb, A, B, 1, 0);
    send_id(l, &ra, B, A, 2, 0); /* the other direction is perfect */
    ck_assert_uint_eq(memlink_next_delivery(l), 1000);
    g_clock = 5999;
    memlink_advance(l, 5999);
    ck_assert_uint_eq(ra.count, 1);
    ck_assert_uint_eq(rb.count, 0);
    ck_assert_uint_eq(memlink_next_delivery(l), 6000);
    g_clock = 6000;
    memlink_advance(l, 6000);
    ck_assert_uint_eq(rb.count, 1);

    im.jitter_us = 2000;
    memlink_set_impair(l, A, B, &im);
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint32_t i = 0; i < 2000; i++)
        send_id(l, &rb, A, B, i, 0);
    uint64_t t;
    while ((t = memlink_next_delivery(l)) != UINT64_MAX) {
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
        g_clock = t;
        memlink_advance(l, t);
    }
    ck_assert_uint_ge(lo, 6000 + 5000);
    ck_assert_uint_le(hi, 6000 + 5000 + 2000);
    ck_assert_uint_gt(hi - lo, 1500); /* the spread is actually used */
    memlink_free(l);
}
END_TEST

/* 100k packets through `loss`: delivered count within 6 standard deviations of the mean.
 * The run is seeded, so this cannot flake; the bound only guards against a biased PRNG. */
static uint64_t loss_run(uint64_t seed, double loss, size_t *delivered)
{
    struct memlink *l = memlink_new(seed, 0);
    struct rx ra, rb;
    setup_pair(l, &ra, &rb);
    struct memlink_impair im = {.loss = loss, .delay_us = 100};
    memlink_set_impair(l, A, B, &im);
    for (uint32_t i = 0; i < 100000; i++) {
        send_id(l, &rb, A, B, i, 0);
        if ((i & 255) == 0) run(l);
    }
    run(l);
    struct memlink_stats st;
    memlink_get_stats(l, A, B, &st);
    ck_assert_uint_eq(st.sent, 100000);
    ck_assert_uint_eq(st.lost + st.delivered, 100000);
    ck_assert_uint_eq(st.delivered, rb.count);
    *delivered = rb.count;
    memlink_free(l);
    return rb.hash;
}

START_TEST(loss_rate_and_determinism)
{
    const double p = 0.1, n = 100000;
    double sd = sqrt(n * p * (1 - p));
    size_t d1, d2, d3;
    uint64_t h1 = loss_run(77, p, &d1);
    uint64_t h2 = loss_run(77, p, &d2);
    uint64_t h3 = loss_run(78, p, &d3);
    ck_assert_uint_eq(h1, h2); /* same seed, same sends: identical deliveries */
    ck_assert_uint_eq(d1, d2);
    ck_assert(h1 != h3); /* another seed: another pattern */
    ck_assert_msg(fabs((double)d1 - n * (1 - p)) < 6 * sd, "delivered %zu", d1);
    ck_assert_msg(fabs((double)d3 - n * (1 - p)) < 6 * sd, "delivered %zu", d3);
    size_t d4;
    loss_run(5, 1.0, &d4);
    ck_assert_uint_eq(d4, 0);
    loss_run(5, 0.0, &d4);
    ck_assert_uint_eq(d4, 100000);
}
END_TEST

START_TEST(duplication)
{
    struct memlink *l = memlink_new(3, 0);
    struct rx ra, rb;
    setup_pair(l, &ra, &rb);
    struct memlink_impair im = {.duplicate = 0.5};
    memlink_set_impair(l, A, B, &im);
    for (uint32_t i = 0; i < 2000; i++)
        send_id(l, &rb, A, B, i, 0);
    run(l);
    struct memlink_stats st;
    memlink_get_stats(l, A, B, &st);
    ck_assert_uint_eq(rb.count, 2000 + st.duplicated);
    ck_assert(st.duplicated > 850 && st.duplicated < 1150);
    /* a duplicate arrives right after its original; ids never go backwards */
    for (size_t i = 1; i < 4096 && i < rb.count; i++)
        ck_assert_uint_ge(rb.ids[i], rb.ids[i - 1]);
    memlink_free(l);
}
END_TEST

START_TEST(corruption_always_detected)
{
    struct memlink *l = memlink_new(4, 0);
    struct rx ra, rb;
    setup_pair(l, &ra, &rb);
    struct memlink_impair im = {.corrupt = 1.0};
    memlink_set_impair(l, A, B, &im);
    uint64_t seed = 8;
    for (uint32_t i = 0; i < 20000; i++) {
        send_id(l, &rb, A, B, i, (size_t)rt_rand_below(&seed, 1400));
        if ((i & 127) == 0) run(l);
    }
    run(l);
    struct memlink_stats st;
    memlink_get_stats(l, A, B, &st);
    ck_assert_uint_eq(st.corrupted, 20000);
    ck_assert_uint_eq(rb.count, 20000);
    ck_assert_uint_eq(rb.bad, 20000); /* every corrupted packet fails validation */

    /* partial corruption: exactly the corrupted ones fail */
    im.corrupt = 0.3;
    memlink_set_impair(l, B, A, &im);
    for (uint32_t i = 0; i < 5000; i++)
        send_id(l, &ra, B, A, i, 100);
    run(l);
    memlink_get_stats(l, B, A, &st);
    ck_assert_uint_eq(ra.bad, st.corrupted);
    ck_assert(st.corrupted > 1300 && st.corrupted < 1700);
    memlink_free(l);
}
END_TEST

START_TEST(blackout_window)
{
    struct memlink *l = memlink_new(5, 0);
    struct rx ra, rb;
    setup_pair(l, &ra, &rb);
    struct memlink_impair im = {.blackout_from_us = 1000000, .blackout_until_us = 2000000};
    memlink_set_impair(l, A, B, &im);
    for (uint32_t i = 0; i < 30; i++) { /* one packet every 100 ms for 3 s */
        g_clock = (uint64_t)i * 100000;
        memlink_advance(l, g_clock);
        send_id(l, &rb, A, B, i, 0);
        send_id(l, &ra, B, A, i, 0);
    }
    run(l);
    ck_assert_uint_eq(rb.count, 20); /* 10..19 sent in [1 s, 2 s) were dropped */
    for (size_t i = 0; i < rb.count; i++)
        ck_assert(rb.ids[i] < 10 || rb.ids[i] >= 20);
    ck_assert_uint_eq(ra.count, 30); /* one-way blackout */
    struct memlink_stats st;
    memlink_get_stats(l, A, B, &st);
    ck_assert_uint_eq(st.lost, 10);
    memlink_free(l);
}
END_TEST

START_TEST(rate_limit_and_queue)
{
    struct memlink *l = memlink_new(6, 0);
    struct rx ra, rb;
    setup_pair(l, &ra, &rb);
    /* 1 Mbit/s: a 1250-byte datagram takes exactly 10 ms to serialize */
    struct memlink_impair im = {.rate_bps = 1000000, .delay_us = 1000, .queue_limit = 5};
    memlink_set_impair(l, A, B, &im);
    uint8_t b[1600];
    size_t n = mkpkt(b, A, B, 0, 1250 - 44);
    ck_assert_uint_eq(n, 1250);
    g_clock = 0;
    for (uint32_t i = 0; i < 10; i++) {
        mkpkt(b, A, B, i, 1250 - 44);
        memlink_send(l, A, b, n);
    }
    struct memlink_stats st;
    memlink_get_stats(l, A, B, &st);
    ck_assert_uint_eq(st.queue_drops, 5); /* tail drop beyond 5 queued */
    run(l);
    ck_assert_uint_eq(rb.count, 5);
    for (uint32_t i = 0; i < 5; i++) {
        ck_assert_uint_eq(rb.ids[i], i);
        ck_assert_uint_eq(rb.times[i], (i + 1) * 10000 + 1000);
    }
    /* the queue drained: sending at 100 ms starts serializing at once */
    g_clock = 100000;
    memlink_advance(l, g_clock);
    mkpkt(b, A, B, 99, 1250 - 44);
    memlink_send(l, A, b, n);
    run(l);
    ck_assert_uint_eq(rb.times[5], 100000 + 10000 + 1000);
    memlink_free(l);
}
END_TEST

START_TEST(reorder)
{
    struct memlink *l = memlink_new(7, 0);
    struct rx ra, rb;
    setup_pair(l, &ra, &rb);
    struct memlink_impair im = {.delay_us = 1000, .reorder = 0.25, .reorder_delay_us = 5000};
    memlink_set_impair(l, A, B, &im);
    for (uint32_t i = 0; i < 1000; i++) {
        g_clock = (uint64_t)i * 1000;
        memlink_advance(l, g_clock);
        send_id(l, &rb, A, B, i, 0);
    }
    run(l);
    struct memlink_stats st;
    memlink_get_stats(l, A, B, &st);
    ck_assert_uint_eq(rb.count, 1000);
    size_t inversions = 0;
    for (size_t i = 1; i < rb.count; i++)
        inversions += rb.ids[i] < rb.ids[i - 1];
    ck_assert(st.reordered > 180 && st.reordered < 320);
    ck_assert_uint_gt(inversions, 100);
    memlink_free(l);
}
END_TEST

/* A ping-pong inside one memlink_advance: deliveries sent from callbacks are stamped with the
 * delivery instant, so the n-th echo arrives at n * delay. */
START_TEST(chained_deliveries_use_delivery_time)
{
    struct memlink *l = memlink_new(8, 0);
    struct rx ra, rb;
    setup_pair(l, &ra, &rb);
    struct memlink_impair im = {.delay_us = 1000};
    memlink_set_impair(l, A, B, &im);
    memlink_set_impair(l, B, A, &im);
    rb.echo = 1;
    send_id(l, &rb, A, B, 1, 0);
    g_clock = 10000;
    ck_assert_uint_eq(memlink_advance(l, 10000), 2); /* A->B at 1 ms, echo B->A at 2 ms */
    ck_assert_uint_eq(ra.count, 1);
    ck_assert_uint_eq(memlink_next_delivery(l), UINT64_MAX);
    memlink_free(l);
}
END_TEST

static uint64_t mixed_run(uint64_t seed, const char *pcap_path)
{
    struct memlink *l = memlink_new(seed, 0);
    struct rx ra, rb;
    setup_pair(l, &ra, &rb);
    struct pcap_writer *w = NULL;
    if (pcap_path) {
        w = pcap_open(pcap_path, NULL);
        ck_assert_ptr_nonnull(w);
        memlink_set_pcap(l, w);
    }
    struct memlink_impair im = {.delay_us = 20000,
                                .jitter_us = 3000,
                                .loss = 0.1,
                                .reorder = 0.05,
                                .reorder_delay_us = 7000,
                                .duplicate = 0.01,
                                .corrupt = 0.005,
                                .rate_bps = 50000000,
                                .queue_limit = 50};
    memlink_set_impair(l, A, B, &im);
    memlink_set_impair(l, B, A, &im);
    ra.echo = rb.echo = 0;
    uint64_t seed2 = seed;
    for (uint32_t i = 0; i < 20000; i++) {
        g_clock = (uint64_t)i * 50;
        memlink_advance(l, g_clock);
        send_id(l, &rb, A, B, i, (size_t)rt_rand_below(&seed2, 1400));
        send_id(l, &ra, B, A, i, 10);
    }
    run(l);
    if (w) {
        memlink_set_pcap(l, NULL);
        ck_assert_int_eq(pcap_close(w), 0);
    }
    memlink_free(l);
    return fnv(ra.hash, &rb.hash, 8);
}

START_TEST(determinism_full_mix)
{
    uint64_t a = mixed_run(1234, NULL), b = mixed_run(1234, NULL), c = mixed_run(4321, NULL);
    ck_assert_uint_eq(a, b);
    ck_assert(a != c);
}
END_TEST

/* Both directions busy, A->B impaired (drawing from the link's one random stream) and B->A
 * given `back`; returns a hash of every delivery (id, bytes, time) and of B->A's statistics. */
static uint64_t two_way_run(const struct memlink_impair *back)
{
    struct memlink *l = memlink_new(99, 0);
    struct rx ra, rb;
    setup_pair(l, &ra, &rb);
    struct memlink_impair im = {.delay_us = 3000,
                                .jitter_us = 2000,
                                .loss = 0.1,
                                .reorder = 0.1,
                                .reorder_delay_us = 500,
                                .duplicate = 0.05,
                                .corrupt = 0.05};
    memlink_set_impair(l, A, B, &im);
    memlink_set_impair(l, B, A, back);
    rb.echo = 1; /* B answers every packet from inside its delivery */
    for (uint32_t i = 0; i < 3000; i++) {
        g_clock = (uint64_t)i * 700;
        memlink_advance(l, g_clock);
        send_id(l, &rb, A, B, i, i % 300);
        send_id(l, &ra, B, A, 500000 + i, 10);
    }
    run(l);
    ck_assert_uint_gt(ra.count, 4096);
    struct memlink_stats st;
    memlink_get_stats(l, B, A, &st);
    ck_assert_uint_eq(st.sent, st.delivered);
    memlink_free(l);
    uint64_t h = fnv(ra.hash, &rb.hash, 8);
    h = fnv(h, ra.times, sizeof ra.times);
    h = fnv(h, rb.times, sizeof rb.times);
    return fnv(h, &st, sizeof st);
}

/* A direction with no impairment goes through memlink_send's short path; one whose only impairment
 * is a blackout that never comes goes through the general path, which then draws nothing and
 * delays nothing. Both must give the same deliveries at the same instants, the same
 * statistics, and leave the random stream of the impaired direction where it was. */
START_TEST(perfect_direction_short_path_matches_the_general_path)
{
    struct memlink_impair none = {0};
    struct memlink_impair never = {.blackout_from_us = UINT64_MAX - 1,
                                   .blackout_until_us = UINT64_MAX};
    struct memlink_impair zero_probs = {.reorder_delay_us = 900, .queue_limit = 7};
    uint64_t fast = two_way_run(&none);
    ck_assert_uint_eq(fast, two_way_run(&never));
    ck_assert_uint_eq(fast, two_way_run(&zero_probs));
    ck_assert_uint_eq(fast, two_way_run(NULL));
}
END_TEST

START_TEST(pcap_records_every_send)
{
    char path[512];
    snprintf(path, sizeof path, "%s/rt_memlink.%ld.pcap", rt_tmpdir(), (long)getpid());
    mixed_run(99, path);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t hdr[24], rec[16];
    ck_assert_uint_eq(fread(hdr, 1, 24, f), 24);
    size_t records = 0;
    while (fread(rec, 1, 16, f) == 16) {
        uint32_t incl;
        memcpy(&incl, rec + 8, 4);
        ck_assert_int_eq(fseek(f, incl, SEEK_CUR), 0);
        records++;
    }
    fclose(f);
    unlink(path);
    ck_assert_uint_eq(records, 40000); /* as sent: including the ones the link then lost */
}
END_TEST

/* ---- checksum offload (memlink_set_csum_offload) ---- */

struct rx_ex {
    size_t count, vouched; /* deliveries, and those with TCPFSM_IN_CSUM_VALID */
    size_t mismatch;       /* deliveries whose flag disagrees with whether the packet parses */
};

static void on_rx_ex(void *arg, const void *pkt, size_t len, unsigned flags)
{
    struct rx_ex *r = arg;
    struct tcp_seg s;
    int intact = pkt_parse(pkt, len, &s) == PKT_OK;
    r->count++;
    r->vouched += flags == TCPFSM_IN_CSUM_VALID;
    r->mismatch += intact != (flags == TCPFSM_IN_CSUM_VALID);
}

static void send_n(struct memlink *l, uint32_t src, uint32_t dst, uint32_t n)
{
    uint8_t b[1600];
    for (uint32_t i = 0; i < n; i++) {
        size_t len = mkpkt(b, src, dst, i, i % 1000);
        memlink_send(l, src, b, len);
    }
}

START_TEST(csum_offload_vouches_only_for_intact_packets_when_on)
{
    struct memlink *l = memlink_new(11, 0);
    struct rx_ex rb = {0};
    struct rx rc;
    memset(&rc, 0, sizeof rc);
    rc.l = l;
    rc.clock = &g_clock;
    ck_assert_int_eq(memlink_attach_ex(l, B, on_rx_ex, &rb), 0);
    ck_assert_int_eq(memlink_attach(l, C, on_rx, &rc), 1);

    send_n(l, A, B, 100); /* off by default: the receiver sums everything */
    run(l);
    ck_assert_uint_eq(rb.count, 100);
    ck_assert_uint_eq(rb.vouched, 0);

    memlink_set_csum_offload(l, 1);
    send_n(l, A, B, 100);
    send_n(l, A, C, 100); /* a plain endpoint still gets its packets, without flags */
    run(l);
    ck_assert_uint_eq(rb.count, 200);
    ck_assert_uint_eq(rb.vouched, 100);
    ck_assert_uint_eq(rc.count, 100);
    ck_assert_uint_eq(rc.bad, 0);

    /* Corrupted packets are never vouched for, intact ones always are. */
    struct memlink_impair im = {.corrupt = 0.3};
    memlink_set_impair(l, A, B, &im);
    send_n(l, A, B, 3000);
    run(l);
    struct memlink_stats st;
    memlink_get_stats(l, A, B, &st);
    ck_assert(st.corrupted > 700 && st.corrupted < 1100);
    ck_assert_uint_eq(rb.count, 3200);
    ck_assert_uint_eq(rb.vouched, 100 + 3000 - st.corrupted);
    ck_assert_uint_eq(rb.mismatch, 100); /* only the first 100, sent with the switch off */

    memlink_set_csum_offload(l, 0);
    memlink_set_impair(l, A, B, NULL);
    send_n(l, A, B, 50);
    run(l);
    ck_assert_uint_eq(rb.vouched, 100 + 3000 - st.corrupted);
    memlink_free(l);

    /* Ethernet links carry frames, not datagrams: no flags to give. */
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    l = memlink_new(12, 0);
    ck_assert_int_eq(memlink_attach_ether(l, A, mac, on_rx, &rc), 0);
    ck_assert_int_eq(memlink_attach_ex(l, B, on_rx_ex, &rb), -EINVAL);
    ck_assert_int_eq(memlink_attach_ex(l, C, NULL, &rb), -EINVAL);
    memlink_free(l);
}
END_TEST

static struct memlink *g_link;

static void stack_out(void *arg, const void *pkt, size_t len)
{
    memlink_send(g_link, (uint32_t)(uintptr_t)arg, pkt, len);
}

static void stack_in(void *arg, const void *pkt, size_t len, unsigned flags)
{
    tcpfsm_input_ex(arg, pkt, len, flags);
}

static struct tcpfsm_stack *offload_stack(uint32_t addr)
{
    struct tcpfsm_config c = {.addr = addr,
                              .output = stack_out,
                              .output_arg = (void *)(uintptr_t)addr,
                              .flags = TCPFSM_F_CSUM_OFFLOAD};
    int err;
    struct tcpfsm_stack *st = tcpfsm_stack_new(&c, &err);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(memlink_attach_ex(g_link, addr, stack_in, st), (int)(addr == B));
    return st;
}

/* Two stacks that leave TCP checksums to the link (TCPFSM_F_CSUM_OFFLOAD) and 200 KB from A
 * to B: returns the bytes B read, each compared with what A sent; *drops = B's checksum
 * failures. */
static size_t offload_transfer(int link_offload, uint64_t *drops)
{
    static uint8_t data[200000], got[sizeof data];
    uint64_t seed = 21, now = 0;
    rt_fill_random(&seed, data, sizeof data);
    g_link = memlink_new(13, 0);
    memlink_set_csum_offload(g_link, link_offload);
    struct tcpfsm_stack *a = offload_stack(A), *b = offload_stack(B);
    int lfd = tcpfsm_socket(b), cfd = tcpfsm_socket(a), sfd = -1;
    ck_assert_int_eq(tcpfsm_bind(b, lfd, B, 80), 0);
    ck_assert_int_eq(tcpfsm_listen(b, lfd, 4), 0);
    ck_assert_int_eq(tcpfsm_connect(a, cfd, B, 80), -EINPROGRESS);
    size_t sent = 0, rcvd = 0;
    for (int round = 0; round < 20000 && rcvd < sizeof data; round++) {
        if (sfd < 0) sfd = tcpfsm_accept(b, lfd, NULL, NULL);
        long n = tcpfsm_send(a, cfd, data + sent, sizeof data - sent);
        if (n > 0) sent += (size_t)n;
        while (sfd >= 0 && (n = tcpfsm_recv(b, sfd, got + rcvd, sizeof got - rcvd)) > 0) {
            rt_require(!memcmp(got + rcvd, data + rcvd, (size_t)n));
            rcvd += (size_t)n;
        }
        now += 1000;
        memlink_advance(g_link, now);
        tcpfsm_advance(a, now);
        tcpfsm_advance(b, now);
    }
    struct tcpfsm_stats st;
    tcpfsm_get_stats(b, &st);
    *drops = st.InCsumErrors;
    tcpfsm_stack_free(a);
    tcpfsm_stack_free(b);
    memlink_free(g_link);
    return rcvd;
}

START_TEST(csum_offload_carries_segments_whose_checksum_the_sender_left_to_the_link)
{
    uint64_t drops;
    ck_assert_uint_eq(offload_transfer(1, &drops), 200000);
    ck_assert_uint_eq(drops, 0);
    /* Without the switch, the same segments fail the receiver's checksum: not even the SYN
     * gets through. */
    ck_assert_uint_eq(offload_transfer(0, &drops), 0);
    ck_assert_uint_gt(drops, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("memlink");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, queued_not_reentrant_fifo);
    tcase_add_test(tc, route_cache_keeps_every_source_and_destination_apart);
    tcase_add_test(tc, delay_and_jitter);
    tcase_add_test(tc, loss_rate_and_determinism);
    tcase_add_test(tc, duplication);
    tcase_add_test(tc, corruption_always_detected);
    tcase_add_test(tc, blackout_window);
    tcase_add_test(tc, rate_limit_and_queue);
    tcase_add_test(tc, reorder);
    tcase_add_test(tc, chained_deliveries_use_delivery_time);
    tcase_add_test(tc, determinism_full_mix);
    tcase_add_test(tc, perfect_direction_short_path_matches_the_general_path);
    tcase_add_test(tc, pcap_records_every_send);
    tcase_add_test(tc, csum_offload_vouches_only_for_intact_packets_when_on);
    tcase_add_test(tc, csum_offload_carries_segments_whose_checksum_the_sender_left_to_the_link);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
