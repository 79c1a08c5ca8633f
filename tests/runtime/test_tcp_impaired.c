/*
 * test_tcp_impaired.c — two stacks exchanging bulk data over an impaired memlink on a virtual
 * clock: seeded and reproducible, every byte compared.
 *
 *   - 10 MB each way at once through 10% loss, 5% reordering, 1% duplication and 0.5%
 *     corruption, for several seeds (RFC 9293 3.1 checksum, 3.4 duplicates, 3.10.7.4
 *     reassembly; RFC 6298 / 5681 / 6582 / 6675 repair);
 *   - 30% loss each way;
 *   - a 200 ms RTT path with 64 KB buffers (window-limited: RFC 7323 window scaling, 9293 3.8);
 *   - a one-way blackout shorter than the give-up time (the transfer completes, RFC 6298 5.5
 *     backoff) and one longer (RFC 9293 3.8.3 R2: ETIMEDOUT on both sides, every buffer and
 *     TCB given back: the stack's own accounting, and ASan's leak check under SAN=1).
 *
 * The minimum RTO is configured small (RFC 6298 2.4 leaves it to the user) so that the
 * recoveries take little virtual time. $TCPFSM_TEST_MB scales the bulk sizes (default 10 MB);
 * TCPFSM_TEST_VERBOSE=1 prints each run's virtual duration and counters.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memlink.h"
#include "memnet.h"
#include "rt_test.h"
#include "tcp_layer.h"
#include "tcpfsm.h"

#define SEC 1000000ull
#define MS 1000ull

/* The bulk size, in bytes, for a test whose normal size is `mb` MB ($TCPFSM_TEST_MB / 10
 * scales it: 10 is the normal size; even SAN=1 runs it in about a second). */
static size_t bulk_bytes(size_t mb)
{
    const char *e = getenv("TCPFSM_TEST_MB");
    size_t scale = e && *e ? (size_t)strtoul(e, NULL, 10) : 10;
    if (!scale) scale = 1;
    return mb * scale * (1u << 20) / 10;
}

/* ---- both ends of a stream at once (driver: tests/runtime/lib/memnet.c) ---- */

struct duplex {
    struct stream_end e[2];
};

/* Done when both ends sent everything and read the peer's EOF, or either saw an error. */
static enum pump_result pump_duplex(struct net *net, void *arg)
{
    (void)net;
    struct duplex *d = arg;
    bool p0 = end_pump(&d->e[0]), p1 = end_pump(&d->e[1]);
    if (d->e[0].err && d->e[1].err) return PUMP_DONE;
    if (d->e[0].eof && d->e[1].eof && d->e[0].sent == d->e[0].txlen &&
        d->e[1].sent == d->e[1].txlen)
        return PUMP_DONE;
    return p0 || p1 ? PUMP_PROGRESS : PUMP_IDLE;
}

/* A bulk transfer of n bytes each way (shutdown after sending), through the link as it is
 * impaired now. */
struct bulk {
    size_t n;
    uint8_t *a, *b, *ra, *rb; /* client sends a (server receives into ra), server sends b */
    struct duplex d;
    int lfd, cfd, sfd;
};

static void bulk_start(struct net *net, struct bulk *k, size_t n, uint64_t seed)
{
    memset(k, 0, sizeof *k);
    k->n = n;
    k->a = random_bytes(seed * 3 + 1, n);
    k->b = random_bytes(seed * 3 + 2, n);
    k->ra = malloc(n ? n : 1);
    k->rb = malloc(n ? n : 1);
    ck_assert(k->ra && k->rb);
    net_connect(net, &k->lfd, &k->cfd, &k->sfd);
    k->d.e[0] = (struct stream_end){.st = net->n[0].st,
                                    .fd = k->cfd,
                                    .tx = k->a,
                                    .txlen = n,
                                    .rx = k->rb,
                                    .rxcap = n,
                                    .close_after_send = CLOSE_SHUT_WR};
    k->d.e[1] = (struct stream_end){.st = net->n[1].st,
                                    .fd = k->sfd,
                                    .tx = k->b,
                                    .txlen = n,
                                    .rx = k->ra,
                                    .rxcap = n,
                                    .close_after_send = CLOSE_SHUT_WR};
}

static void dump_tcb(const char *who, struct tcpfsm_stack *st, int fd)
{
    struct tcb *t = st->fds[fd];
    if (!t) return;
    fprintf(stderr,
            "%s: state %s err %d una %u nxt %u max %u wnd %u cwnd %u ssth %u rec %d dup %d "
            "retries %u rcv_nxt %u rcv_adv %u sndq %u rcvq %u ofo %u nsacked %u high_rxt %u "
            "rto %u flags %#x\n",
            who, tcb_state_name(t), t->err, t->snd_una, t->snd_nxt, t->snd_max, t->snd_wnd,
            t->u.cc.cwnd, t->u.cc.ssthresh, t->u.cc.in_recovery, t->u.cc.dupacks, t->retries,
            t->rcv_nxt, t->rcv_adv, t->buf ? t->buf->snd.len : 0, t->buf ? t->buf->rcv.len : 0,
            t->buf ? t->buf->ofo_bytes : 0, t->buf ? t->buf->nsacked : 0,
            t->buf ? t->buf->high_rxt : 0, rtt_current_rto(&t->rtt, st->cfg.rto_max_us), t->flags);
}

/* Both directions arrived intact, with EOF. */
static void bulk_check_intact(struct bulk *k)
{
    if (k->d.e[0].err || k->d.e[1].err) {
        dump_tcb("cli", k->d.e[0].st, k->d.e[0].fd);
        dump_tcb("srv", k->d.e[1].st, k->d.e[1].fd);
        fprintf(stderr, "got %zu %zu of %zu\n", k->d.e[0].got, k->d.e[1].got, k->n);
    }
    ck_assert_int_eq(k->d.e[0].err, 0);
    ck_assert_int_eq(k->d.e[1].err, 0);
    ck_assert_uint_eq(k->d.e[0].got, k->n);
    ck_assert_uint_eq(k->d.e[1].got, k->n);
    ck_assert(k->d.e[0].eof && k->d.e[1].eof);
    ck_assert(memcmp(k->ra, k->a, k->n) == 0);
    ck_assert(memcmp(k->rb, k->b, k->n) == 0);
}

static void bulk_free(struct bulk *k)
{
    free(k->a);
    free(k->b);
    free(k->ra);
    free(k->rb);
}

/* Close every descriptor, let TIME_WAIT etc. run out, and check that each stack gave back
 * every connection, buffer and timer (its own accounting; ASan checks the heap). */
static void close_all_and_check_released(struct net *net, struct bulk *k)
{
    ck_assert_int_eq(tcpfsm_close(net->n[0].st, k->cfd), 0);
    ck_assert_int_eq(tcpfsm_close(net->n[1].st, k->sfd), 0);
    ck_assert_int_eq(tcpfsm_close(net->n[1].st, k->lfd), 0);
    net_drain(net, net->now + 3600 * SEC);
    for (int i = 0; i < 2; i++) {
        struct tcpfsm_stack *st = net->n[i].st;
        ck_assert_uint_eq(st->nconns, 0);
        ck_assert_uint_eq(st->nlisteners, 0);
        ck_assert_uint_eq(st->buffer_bytes, 0);
        ck_assert_uint_eq(tcpfsm_next_timeout(st), UINT64_MAX);
        char buf[512];
        tcpfsm_ss(st, buf, sizeof buf);
        ck_assert_ptr_null(strchr(strchr(buf, '\n') + 1, '\n')); /* header line only */
    }
}

static struct tcpfsm_config fast_cfg(void)
{
    struct tcpfsm_config c;
    memset(&c, 0, sizeof c);
    c.rto_min_us = 30 * MS;
    c.rto_initial_us = 200 * MS;
    c.msl_us = 100 * MS;
    c.sndbuf = c.rcvbuf = 256 * 1024;
    return c;
}

static void report(const char *name, uint64_t seed, struct net *net, size_t n)
{
    if (!getenv("TCPFSM_TEST_VERBOSE")) return;
    struct tcpfsm_stats a, b;
    tcpfsm_get_stats(net->n[0].st, &a);
    tcpfsm_get_stats(net->n[1].st, &b);
    fprintf(stderr,
            "%s seed %llu: %zu bytes each way in %.3f s virtual; retrans %llu/%llu, "
            "csum %llu/%llu, ofo drops %llu/%llu\n",
            name, (unsigned long long)seed, n, (double)net->now / 1e6,
            (unsigned long long)a.RetransSegs, (unsigned long long)b.RetransSegs,
            (unsigned long long)a.InCsumErrors, (unsigned long long)b.InCsumErrors,
            (unsigned long long)a.OfoDrops, (unsigned long long)b.OfoDrops);
}

/* ------------------------------------------------------------------- tests ---- */

static const uint64_t seeds[] = {1, 2, 3};

/* RFC 9293 3.1 (the checksum catches corruption: InCsumErrors > 0, none gets through),
 * 3.4 and 3.10.7.4 (duplicates recognised by sequence number, out-of-order data held and
 * reassembled), RFC 6298 / 5681 / 6582 / 6675 (loss repaired): 10 MB each way at once
 * through 10% loss, 5% reordering, 1% duplication and 0.5% corruption in both directions,
 * for several seeds, byte for byte. */
START_TEST(bulk_10mb_each_way_through_loss_reorder_dup_corrupt)
{
    const uint64_t seed = seeds[_i];
    const size_t N = bulk_bytes(10);
    struct tcpfsm_config cfg = fast_cfg();
    cfg.max_retries = 15; /* 10% loss each way: a segment and its ACK both get through
                           * with p = 0.81; 9 misses in a row happen in long runs */
    struct net net;
    net_init(&net, &cfg, seed);
    struct memlink_impair im = {
        .delay_us = 5000,
        .jitter_us = 1000,
        .loss = 0.10,
        .reorder = 0.05,
        .reorder_delay_us = 4000,
        .duplicate = 0.01,
        .corrupt = 0.005,
    };
    net_impair_dirs(&net, &im, &im);
    struct bulk k;
    bulk_start(&net, &k, N, seed);
    ck_assert(net_run(&net, pump_duplex, &k.d, 3600 * SEC));
    bulk_check_intact(&k);
    report("loss10", seed, &net, N);
    net_drain(&net, net.now + 10 * SEC); /* every corrupted packet has arrived */
    struct memlink_stats ab, ba;
    memlink_get_stats(net.l, CLI_ADDR, SRV_ADDR, &ab);
    memlink_get_stats(net.l, SRV_ADDR, CLI_ADDR, &ba);
    ck_assert_uint_gt(ab.lost, 0);
    ck_assert_uint_gt(ab.reordered, 0);
    ck_assert_uint_gt(ab.duplicated, 0);
    ck_assert_uint_gt(ab.corrupted, 0);
    ck_assert_uint_gt(ba.corrupted, 0);
    struct tcpfsm_stats sc, ss;
    tcpfsm_get_stats(net.n[0].st, &sc);
    tcpfsm_get_stats(net.n[1].st, &ss);
    ck_assert_uint_gt(sc.InCsumErrors, 0);
    ck_assert_uint_gt(ss.InCsumErrors, 0);
    /* every corrupted packet was refused (a flipped bit in one 16-bit word always changes the
     * Internet checksum), whether as a checksum error or as a malformed header; a
     * corrupted packet may also have been duplicated */
    ck_assert_uint_ge(ss.InCsumErrors + ss.InMalformed, ab.corrupted);
    ck_assert_uint_le(ss.InCsumErrors + ss.InMalformed, ab.corrupted + ab.duplicated);
    ck_assert_uint_ge(sc.InCsumErrors + sc.InMalformed, ba.corrupted);
    ck_assert_uint_le(sc.InCsumErrors + sc.InMalformed, ba.corrupted + ba.duplicated);
    ck_assert_uint_gt(sc.RetransSegs, 0);
    ck_assert_uint_gt(ss.RetransSegs, 0);
    close_all_and_check_released(&net, &k);
    bulk_free(&k);
    net_free(&net);
}
END_TEST

/* RFC 6298 5.5 (backoff) and RFC 5681 / 6675 under heavy loss: 30% of the packets in each
 * direction are lost; 10 MB each way still arrive intact. max_retries is raised (RFC 1122
 * 4.2.3.5 lets R2 be configured): a retransmission and its ACK both survive with p = 0.49. */
START_TEST(bulk_through_30_percent_loss)
{
    const uint64_t seed = seeds[_i];
    const size_t N = bulk_bytes(10);
    struct tcpfsm_config cfg = fast_cfg();
    cfg.max_retries = 30;
    cfg.rto_max_us = 2 * SEC;
    struct net net;
    net_init(&net, &cfg, seed + 100);
    struct memlink_impair im = {.delay_us = 5000, .jitter_us = 500, .loss = 0.30};
    net_impair_dirs(&net, &im, &im);
    struct bulk k;
    bulk_start(&net, &k, N, seed + 100);
    ck_assert(net_run(&net, pump_duplex, &k.d, 360000 * SEC));
    bulk_check_intact(&k);
    report("loss30", seed, &net, N);
    struct memlink_stats ab;
    memlink_get_stats(net.l, CLI_ADDR, SRV_ADDR, &ab);
    ck_assert_uint_gt(ab.lost * 4, ab.sent); /* about 30% really were lost */
    close_all_and_check_released(&net, &k);
    bulk_free(&k);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.8 / RFC 7323 2: a long fat pipe, 200 ms RTT, with 64 KB buffers: the transfer is
 * window-limited (at most 64 KB per RTT) and must get close to that: 10 MB each way at once
 * within 5/4 of the window-limited time (slow start takes a few RTTs). */
START_TEST(bulk_200ms_rtt_64k_buffers)
{
    const size_t N = bulk_bytes(10);
    struct tcpfsm_config cfg = fast_cfg();
    cfg.sndbuf = cfg.rcvbuf = 64 * 1024;
    cfg.rto_initial_us = 1 * SEC;
    struct net net;
    net_init(&net, &cfg, 7);
    struct memlink_impair im = {.delay_us = 100000};
    net_impair_dirs(&net, &im, &im);
    struct bulk k;
    bulk_start(&net, &k, N, 7);
    uint64_t t0 = net.now;
    struct tcpfsm_info info;
    ck_assert_int_eq(tcpfsm_get_info(net.n[0].st, k.cfd, &info), 0);
    ck_assert_uint_eq(info.rcv_wscale, 1); /* 65536 needs a shift (RFC 7323 2.3) */
    ck_assert_uint_eq(info.snd_wscale, 1);
    ck_assert(net_run(&net, pump_duplex, &k.d, 36000 * SEC));
    bulk_check_intact(&k);
    report("rtt200", 7, &net, N);
    uint64_t ideal_us = (uint64_t)N * 200000 / (64 * 1024);
    ck_assert_uint_le(net.now - t0, ideal_us + ideal_us / 4);
    ck_assert_uint_ge(net.now - t0, ideal_us / 2);
    ck_assert_int_eq(tcpfsm_get_info(net.n[0].st, k.cfd, &info), 0);
    ck_assert_uint_ge(info.rtt_us, 200 * MS);
    ck_assert_uint_le(info.rtt_us, 210 * MS);
    close_all_and_check_released(&net, &k);
    bulk_free(&k);
    net_free(&net);
}
END_TEST

/* RFC 5681 3.1-3.2 / RFC 6582 / RFC 6675: congestion, not random loss: a 10 Mbit/s
 * bottleneck with a 30-packet drop-tail queue each way and 10 ms one-way delay. The 256 KB
 * windows overrun it, the queue drops, congestion control backs off; 10 MB each way arrive
 * intact within 3/2 of the payload's own serialization time. */
START_TEST(bulk_through_rate_limited_drop_tail_bottleneck)
{
    const size_t N = bulk_bytes(10);
    struct tcpfsm_config cfg = fast_cfg();
    struct net net;
    net_init(&net, &cfg, 31);
    struct memlink_impair im = {.delay_us = 10000, .rate_bps = 10000000, .queue_limit = 30};
    net_impair_dirs(&net, &im, &im);
    struct bulk k;
    bulk_start(&net, &k, N, 31);
    uint64_t t0 = net.now;
    ck_assert(net_run(&net, pump_duplex, &k.d, 36000 * SEC));
    bulk_check_intact(&k);
    report("bottleneck", 31, &net, N);
    struct memlink_stats ab, ba;
    memlink_get_stats(net.l, CLI_ADDR, SRV_ADDR, &ab);
    memlink_get_stats(net.l, SRV_ADDR, CLI_ADDR, &ba);
    ck_assert_uint_gt(ab.queue_drops + ba.queue_drops, 0);
    uint64_t wire_us = (uint64_t)N * 8 * 1000000 / 10000000; /* payload alone, one way */
    ck_assert_uint_le(net.now - t0, wire_us + wire_us / 2);
    close_all_and_check_released(&net, &k);
    bulk_free(&k);
    net_free(&net);
}
END_TEST

/* RFC 6298 5.5 / RFC 9293 3.8.3 (R1 < R2): the client-to-server direction goes dark for 1 s in
 * the middle of a transfer each way; the give-up time (max_retries 8 with RTO 30 ms..1 s) is
 * several seconds, so both sides keep retransmitting with backoff and the transfer completes
 * once the link is back. */
START_TEST(one_way_blackout_shorter_than_give_up_completes)
{
    const size_t N = 4u << 20; /* fixed: the blackout must fall inside the transfer */
    struct tcpfsm_config cfg = fast_cfg();
    cfg.rto_max_us = 1 * SEC;
    cfg.max_retries = 8;
    struct net net;
    net_init(&net, &cfg, 21);
    struct memlink_impair im = {.delay_us = 5000};
    net_impair_dirs(&net, &im, &im);
    struct bulk k;
    bulk_start(&net, &k, N, 21);
    struct memlink_impair dark = im;
    dark.blackout_from_us = net.now + 100 * MS;
    dark.blackout_until_us = net.now + 1100 * MS;
    net_impair_dirs(&net, &dark, &im);
    ck_assert(net_run(&net, pump_duplex, &k.d, 3600 * SEC));
    bulk_check_intact(&k);
    report("blackout", 21, &net, N);
    ck_assert_uint_gt(net.now, dark.blackout_until_us); /* it really was in the middle */
    struct memlink_stats ab;
    memlink_get_stats(net.l, CLI_ADDR, SRV_ADDR, &ab);
    ck_assert_uint_gt(ab.lost, 0);
    struct tcpfsm_stats sc, ss;
    tcpfsm_get_stats(net.n[0].st, &sc);
    tcpfsm_get_stats(net.n[1].st, &ss);
    ck_assert_uint_gt(sc.RetransSegs, 0);
    ck_assert_uint_gt(ss.RetransSegs, 0);
    ck_assert_uint_eq(sc.EstabResets + ss.EstabResets, 0);
    close_all_and_check_released(&net, &k);
    bulk_free(&k);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.8.3 R2 and 3.10.7.4 (the user is told, the queues are flushed): the client-to-
 * server direction goes dark for good in the middle of a transfer each way. The client's data
 * is never acknowledged and neither are the server's (its ACKs are lost): after max_retries
 * both sides give up with ETIMEDOUT, and once the descriptors are closed both stacks hold no
 * connection, buffer or timer. */
START_TEST(blackout_longer_than_give_up_times_out_both_sides)
{
    const size_t N = 4u << 20;
    struct tcpfsm_config cfg = fast_cfg();
    cfg.rto_max_us = 200 * MS;
    cfg.max_retries = 5;
    struct net net;
    net_init(&net, &cfg, 22);
    struct memlink_impair im = {.delay_us = 5000};
    net_impair_dirs(&net, &im, &im);
    struct bulk k;
    bulk_start(&net, &k, N, 22);
    struct memlink_impair dark = im;
    dark.blackout_from_us = net.now + 100 * MS;
    dark.blackout_until_us = UINT64_MAX;
    net_impair_dirs(&net, &dark, &im);
    uint64_t t_dark = dark.blackout_from_us;
    ck_assert(net_run(&net, pump_duplex, &k.d, net.now + 600 * SEC));
    ck_assert_int_eq(k.d.e[0].err, -ETIMEDOUT);
    ck_assert_int_eq(k.d.e[1].err, -ETIMEDOUT);
    ck_assert_uint_lt(k.d.e[0].got, N);
    ck_assert_uint_lt(k.d.e[1].got, N);
    /* everything received before the end is correct */
    ck_assert(memcmp(k.rb, k.b, k.d.e[0].got) == 0);
    ck_assert(memcmp(k.ra, k.a, k.d.e[1].got) == 0);
    /* give-up comes after 5 retransmissions: RTO 30, 60, 120, 200, 200, 200 ms (+ RTT) */
    ck_assert_uint_lt(net.now - t_dark, 2 * SEC);
    for (int i = 0; i < 2; i++) {
        struct tcpfsm_stack *st = net.n[i].st;
        int fd = i == 0 ? k.cfd : k.sfd;
        ck_assert_int_eq(tcpfsm_error(st, fd), -ETIMEDOUT);
        ck_assert(tcpfsm_poll(st, fd) & TCPFSM_POLLERR);
        struct tcpfsm_info info;
        ck_assert_int_eq(tcpfsm_get_info(st, fd, &info), 0);
        ck_assert_str_eq(info.state, "CLOSED");
        ck_assert_uint_eq(info.send_q, 0); /* flushed */
        ck_assert_uint_eq(st->nconns, 0);  /* out of the lookup table */
    }
    close_all_and_check_released(&net, &k);
    bulk_free(&k);
    net_free(&net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_impaired");
    TCase *tc = tcase_create("impaired");
    tcase_set_timeout(tc, 300);
    const int nseeds = (int)(sizeof seeds / sizeof seeds[0]);
    tcase_add_loop_test(tc, bulk_10mb_each_way_through_loss_reorder_dup_corrupt, 0, nseeds);
    tcase_add_loop_test(tc, bulk_through_30_percent_loss, 0, nseeds);
    tcase_add_test(tc, bulk_200ms_rtt_64k_buffers);
    tcase_add_test(tc, bulk_through_rate_limited_drop_tail_bottleneck);
    tcase_add_test(tc, one_way_blackout_shorter_than_give_up_completes);
    tcase_add_test(tc, blackout_longer_than_give_up_times_out_both_sides);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
