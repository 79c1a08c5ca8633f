/*
 * test_tcp_load.c — the stack under load: ten thousand connections with the default
 * configuration, a buffer budget far too small for the traffic (memory pressure), and fifty
 * echo connections through a lossy, reordering link with SACK. Two stacks on one memlink
 * (memnet.h), a client 10.0.0.1 and a server 10.0.0.2; every connection's bytes are checked.
 */
#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memnet.h"
#include "rt_test.h"
#include "tcp_layer.h"
#include "tcpfsm.h"

#define SEC 1000000ull
#if defined(__SANITIZE_ADDRESS__)
#define RT_ASAN 1
#else
#define RT_ASAN 0
#endif

/* The byte j of what side `dir` (0 client, 1 server) of connection i sends. */
static uint8_t pattern(int i, int dir, size_t j)
{
    return (uint8_t)((uint32_t)i * 2654435761u >> 7 ^ (uint32_t)(j * 31u + (size_t)dir * 101u));
}

/* One connection of a load test: the client's and the server's descriptor, and each side's
 * progress in its own stream. */
struct pair {
    int cfd, sfd;
    uint32_t c_sent, c_got, s_sent, s_got;
    uint32_t s_held; /* echo: bytes read by the server, not yet sent back */
    bool c_shut, c_closed, s_closed, s_eof;
};

struct load {
    struct net *net;
    struct pair *p;
    int n;
    uint32_t len;              /* bytes each side sends */
    bool echo;                 /* the server sends back what it reads (else its own stream) */
    int closed;                /* pairs closed on both sides */
    long err;                  /* first unexpected error */
    uint64_t enobufs;          /* send() answered -ENOBUFS (the stack's memory limit) */
    uint32_t min_wnd_pressure; /* smallest window the server offered under memory pressure */
    uint64_t peak_bytes;       /* the server's largest buffer use */
};

static long note(struct load *ld, long r)
{
    if (r == -ENOBUFS)
        ld->enobufs++;
    else if (r < 0 && r != -EAGAIN && !ld->err)
        ld->err = r;
    return r;
}

/* Send the next bytes of side dir's stream, up to `upto`; returns bytes queued. */
static uint32_t send_pattern(struct load *ld, struct tcpfsm_stack *st, int fd, int i, int dir,
                             uint32_t from, uint32_t upto)
{
    uint8_t b[4096];
    uint32_t n = upto - from < sizeof b ? upto - from : (uint32_t)sizeof b;
    for (uint32_t j = 0; j < n; j++)
        b[j] = pattern(i, dir, from + j);
    long r = note(ld, tcpfsm_send(st, fd, b, n));
    return r > 0 ? (uint32_t)r : 0;
}

/* Read what has arrived and check it against side dir's stream; false at end of stream. */
static bool recv_pattern(struct load *ld, struct tcpfsm_stack *st, int fd, int i, int dir,
                         uint32_t *got, bool *progress)
{
    uint8_t b[4096];
    for (;;) {
        long r = note(ld, tcpfsm_recv(st, fd, b, sizeof b));
        if (r == 0) return false;
        if (r < 0) return true;
        for (long j = 0; j < r; j++)
            if (b[j] != pattern(i, dir, *got + (size_t)j)) {
                ck_abort_msg("connection %d: byte %u differs", i, *got + (unsigned)j);
            }
        *got += (uint32_t)r;
        *progress = true;
    }
}

/* Every connection: the client sends its stream, shuts down its side and reads the server's;
 * the server reads, sends its own stream (or echoes), and closes once the client's FIN is
 * read; the client closes once it has read everything and the server's FIN. */
static enum pump_result load_pump(struct net *net, void *arg)
{
    struct load *ld = arg;
    struct tcpfsm_stack *cs = net->n[0].st, *ss = net->n[1].st;
    bool progress = false;
    for (int i = 0; i < ld->n; i++) {
        struct pair *p = &ld->p[i];
        if (p->c_closed && p->s_closed) continue;
        if (p->c_sent < ld->len) {
            uint32_t k = send_pattern(ld, cs, p->cfd, i, 0, p->c_sent, ld->len);
            p->c_sent += k;
            progress |= k != 0;
        } else if (!p->c_shut) {
            rt_require(tcpfsm_shutdown(cs, p->cfd, TCPFSM_SHUT_WR) == 0);
            p->c_shut = progress = true;
        }
        if (!p->s_closed) {
            uint32_t before = p->s_got;
            if (!p->s_eof && !recv_pattern(ld, ss, p->sfd, i, 0, &p->s_got, &progress))
                p->s_eof = progress = true;
            p->s_held += p->s_got - before;
            int dir = ld->echo ? 0 : 1;
            uint32_t upto = ld->echo ? p->s_sent + p->s_held : ld->len;
            if (p->s_sent < upto) {
                uint32_t k = send_pattern(ld, ss, p->sfd, i, dir, p->s_sent, upto);
                p->s_sent += k;
                p->s_held -= ld->echo ? k : 0;
                progress |= k != 0;
            }
            if (p->s_eof && p->s_sent == ld->len) {
                rt_require(tcpfsm_close(ss, p->sfd) == 0);
                p->s_closed = progress = true;
            }
        }
        if (!p->c_closed &&
            !recv_pattern(ld, cs, p->cfd, i, ld->echo ? 0 : 1, &p->c_got, &progress)) {
            ck_assert_uint_eq(p->c_got, ld->len);
            rt_require(tcpfsm_close(cs, p->cfd) == 0);
            p->c_closed = progress = true;
        }
        if (p->c_closed && p->s_closed) ld->closed++;
        if (ss->mem_pressure && !p->s_closed && i % 16 == 0) {
            struct tcpfsm_info info;
            if (tcpfsm_get_info(ss, p->sfd, &info) == 0 && info.rcv_wnd < ld->min_wnd_pressure)
                ld->min_wnd_pressure = info.rcv_wnd;
        }
    }
    if (ss->buffer_bytes > ld->peak_bytes) ld->peak_bytes = ss->buffer_bytes;
    if (ld->err) ck_abort_msg("unexpected error %ld", ld->err);
    if (ld->closed == ld->n) return PUMP_DONE;
    return progress ? PUMP_PROGRESS : PUMP_IDLE;
}

/* Open n connections to the listener lfd on the server's port 80 and pair each client
 * descriptor with its accepted server descriptor. Connections are opened `batch` at a time,
 * as a client population ramping up would; a batch stays within the listen backlog. */
static void open_pairs(struct net *net, int lfd, struct pair *p, int n, int batch)
{
    struct tcpfsm_stack *cs = net->n[0].st, *ss = net->n[1].st;
    static int by_port[65536];
    for (int i = 0; i < n; i += batch) {
        int m = n - i < batch ? n - i : batch;
        for (int k = i; k < i + m; k++) {
            p[k] = (struct pair){.cfd = tcpfsm_socket(cs), .sfd = -1};
            rt_require(p[k].cfd >= 0);
            rt_require(tcpfsm_connect(cs, p[k].cfd, SRV_ADDR, 80) == -EINPROGRESS);
            uint16_t lport;
            rt_require(tcpfsm_getname(cs, p[k].cfd, NULL, &lport, NULL, NULL) == 0);
            by_port[lport] = k;
        }
        int accepted = 0;
        uint64_t limit = net->now + 60 * SEC;
        while (accepted < m) {
            uint16_t pport;
            int fd = tcpfsm_accept(ss, lfd, NULL, &pport);
            if (fd >= 0) {
                p[by_port[pport]].sfd = fd;
                accepted++;
                continue;
            }
            rt_require(fd == -EAGAIN && net->now < limit && net_step(net));
        }
        for (int k = i; k < i + m; k++)
            rt_require(p[k].sfd >= 0 && (tcpfsm_poll(cs, p[k].cfd) & TCPFSM_POLLOUT));
    }
}

static size_t heap_in_use(void)
{
    return mallinfo2().uordblks;
}

/* Issue "hold under load": with the default configuration, 10,000 connections are opened
 * and left idle: they hold no buffer memory (rings exist only while bytes are queued) and
 * nothing is sent while they idle. Then every one of them carries a request and a response
 * of 1,000 bytes each way and is closed by the client: every byte arrives, and afterwards
 * nothing is left but the client's TIME_WAIT records, which expire after 2 MSL. */
START_TEST(ten_thousand_idle_connections_hold_no_buffers_then_all_carry_traffic)
{
    enum { N = 10000, LEN = 1000 };
    struct net net;
    net_init(&net, NULL, 11);
    struct tcpfsm_stack *cs = net.n[0].st, *ss = net.n[1].st;
    struct pair *p = calloc(N, sizeof *p);
    ck_assert_ptr_nonnull(p);
    int lfd = listen_on(ss, 80, 4096);
    size_t heap0 = heap_in_use();
    open_pairs(&net, lfd, p, N, 1000);
    size_t heap1 = heap_in_use();
    ck_assert_uint_eq(ss->nconns, N);
    ck_assert_uint_eq(cs->nconns, N);
    ck_assert_uint_eq(cs->buffer_bytes + ss->buffer_bytes, 0); /* idle: no rings */
    struct tcpfsm_stats a, b;
    tcpfsm_get_stats(ss, &a);
    net_advance_to(&net, net.now + 30 * SEC); /* idle half a minute */
    tcpfsm_get_stats(ss, &b);
    ck_assert_uint_eq(b.OutSegs, a.OutSegs);
    ck_assert_uint_eq(b.CurrEstab, N);

    struct load ld = {.net = &net, .p = p, .n = N, .len = LEN, .min_wnd_pressure = UINT32_MAX};
    uint64_t t0 = net.now;
    ck_assert(net_run(&net, load_pump, &ld, net.now + 120 * SEC));
    uint64_t traffic_us = net.now - t0;
    ck_assert_uint_eq(ld.enobufs, 0);
    net_advance_to(&net, net.now + 1 * SEC);                 /* the last ACKs */
    ck_assert_uint_eq(ss->nconns + ss->syn.n + ss->tw.n, 0); /* server closed second */
    ck_assert_uint_eq(cs->nconns, 0);
    ck_assert_uint_eq(cs->tw.n, N); /* only TIME_WAIT is left */
    tcpfsm_get_stats(ss, &b);
    ck_assert_uint_eq(b.CurrEstab, 0);
    ck_assert_uint_eq(b.BufferLimitDrops + b.ListenOverflows + b.EstabResets, 0);
    net_drain(&net, net.now + 3600 * SEC); /* 2 MSL */
    ck_assert_uint_eq(cs->tw.n + cs->nconns, 0);
    ck_assert_uint_eq(cs->buffer_bytes + ss->buffer_bytes, 0);
    /* the heap figure means nothing under AddressSanitizer (its allocator pads and keeps) */
    double per_conn = RT_ASAN ? 0 : (double)(heap1 - heap0) / N;
    printf("10,000 idle connections: %.0f bytes of heap per connection (both ends), "
           "0 buffer bytes; request + response + close on all of them in %.3f s virtual, "
           "server peak buffer use %llu B\n",
           per_conn, (double)traffic_us / SEC, (unsigned long long)ld.peak_bytes);
    free(p);
    net_free(&net);
}
END_TEST

/* Issue "hold under load": 200 connections move 64 KiB each way at once through stacks whose
 * whole buffer budget is 256 KiB, a twentieth of what the windows would take. The stacks go
 * into memory pressure, offer smaller windows, refuse what does not fit (counted), and every
 * byte still arrives: nothing hangs, no connection is lost. */
START_TEST(memory_pressure_shrinks_windows_and_every_transfer_completes)
{
    enum { N = 200, LEN = 64 * 1024 };
    struct tcpfsm_config cfg = {
        .max_buffer_bytes = 256 * 1024, .rto_min_us = 200000, .rto_initial_us = 200000};
    struct net net;
    net_init(&net, &cfg, 12);
    struct tcpfsm_stack *cs = net.n[0].st, *ss = net.n[1].st;
    struct pair *p = calloc(N, sizeof *p);
    ck_assert_ptr_nonnull(p);
    int lfd = listen_on(ss, 80, 256);
    open_pairs(&net, lfd, p, N, N);
    struct load ld = {.net = &net, .p = p, .n = N, .len = LEN, .min_wnd_pressure = UINT32_MAX};
    ck_assert(net_run(&net, load_pump, &ld, net.now + 600 * SEC));
    struct tcpfsm_stats c, s;
    tcpfsm_get_stats(cs, &c);
    tcpfsm_get_stats(ss, &s);
    printf("memory pressure: 200 x 64 KiB each way in %.1f s virtual through a 256 KiB budget; "
           "server: %llu pressure episodes, smallest window under pressure %u B, peak %llu B, "
           "OfoDrops %llu, BufferLimitDrops %llu; client: %llu pressure episodes, "
           "%llu send() -ENOBUFS\n",
           (double)net.now / SEC, (unsigned long long)s.MemoryPressures, ld.min_wnd_pressure,
           (unsigned long long)ld.peak_bytes, (unsigned long long)s.OfoDrops,
           (unsigned long long)s.BufferLimitDrops, (unsigned long long)c.MemoryPressures,
           (unsigned long long)ld.enobufs);
    ck_assert_uint_ge(s.MemoryPressures, 1);
    ck_assert_uint_ge(c.MemoryPressures, 1);
    ck_assert_uint_lt(ld.min_wnd_pressure, 16384); /* offers shrank from 64 KiB */
    /* the budget holds but for what replaces memory being freed (ofo_pull's forced room) */
    ck_assert_uint_le(ld.peak_bytes, cfg.max_buffer_bytes + 64 * 1024);
    ck_assert_uint_eq(s.EstabResets + c.EstabResets + s.AttemptFails + c.AttemptFails, 0);
    net_drain(&net, net.now + 3600 * SEC);
    ck_assert_uint_eq(cs->buffer_bytes + ss->buffer_bytes, 0);
    ck_assert_uint_eq(cs->nconns + ss->nconns + cs->tw.n, 0);
    free(p);
    net_free(&net);
}
END_TEST

/* Issue "hold under load" (the lwIP/smoltcp interop hang): 50 echo connections at once
 * through a link with 5% loss and 3% reordering each way, SACK and timestamps on. Data flows
 * both ways at once, so segments carry text and SACK blocks together: RFC 9293 3.7.1 /
 * RFC 6691 2 keep every one of them, first transmission or retransmission, within the MTU,
 * and every connection completes. */
START_TEST(fifty_echo_connections_through_lossy_link_with_sack_fit_the_mtu)
{
    enum { N = 50, LEN = 200 * 1024 };
    struct tcpfsm_config cfg = {.rto_min_us = 200000, .rto_initial_us = 200000, .max_retries = 30};
    struct net net;
    net_init(&net, &cfg, 13);
    struct pair *p = calloc(N, sizeof *p);
    ck_assert_ptr_nonnull(p);
    int lfd = listen_on(net.n[1].st, 80, 64);
    open_pairs(&net, lfd, p, N, N);
    struct memlink_impair im = {.delay_us = 2000,
                                .jitter_us = 500,
                                .loss = 0.05,
                                .reorder = 0.03,
                                .reorder_delay_us = 3000};
    net_impair(&net, &im);
    struct load ld = {
        .net = &net, .p = p, .n = N, .len = LEN, .echo = true, .min_wnd_pressure = UINT32_MAX};
    ck_assert(net_run(&net, load_pump, &ld, net.now + 3600 * SEC));
    struct memlink_stats ab;
    memlink_get_stats(net.l, CLI_ADDR, SRV_ADDR, &ab);
    printf("50 echo connections, 5%% loss: done in %.1f s virtual; %llu + %llu segments with "
           "text and SACK blocks; largest datagrams %zu / %zu bytes (MTU 1500); %llu lost\n",
           (double)net.now / SEC, (unsigned long long)net.n[0].sack_data_segs,
           (unsigned long long)net.n[1].sack_data_segs, net.n[0].max_pkt, net.n[1].max_pkt,
           (unsigned long long)ab.lost);
    ck_assert_uint_gt(ab.lost, 0);
    ck_assert_uint_gt(net.n[0].sack_data_segs + net.n[1].sack_data_segs, 0);
    ck_assert_uint_le(net.n[0].max_pkt, 1500);
    ck_assert_uint_le(net.n[1].max_pkt, 1500);
    free(p);
    net_free(&net);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_load");
    TCase *tc = tcase_create("load");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, ten_thousand_idle_connections_hold_no_buffers_then_all_carry_traffic);
    tcase_add_test(tc, memory_pressure_shrinks_windows_and_every_transfer_completes);
    tcase_add_test(tc, fifty_echo_connections_through_lossy_link_with_sack_fit_the_mtu);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
