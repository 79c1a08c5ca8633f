/*
 * test_shards.c — one stack per core (tcpfsm_shards.h, runtime/shard/).
 *
 * Most tests run the shards in stepped mode against a peer stack on a memlink, on a virtual
 * clock. The memlink puts each packet for the shards on a queue chosen by a hash of its own
 * (the ports' XOR, as a NIC's receive hash would: it knows nothing of our key), so most flows
 * arrive on the wrong queue at first and forwarding between shards is exercised. A trace hook
 * in every shard checks that each transition of a connection happens in the shard that owns
 * the connection. test_shards_threads.c runs the shards on real threads.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "flow.h"
#include "memlink.h"
#include "rt_test.h"
#include "shard_apps.h"
#include "spsc.h"
#include "tcpfsm.h"
#include "tcpfsm_shards.h"

#define MAXC 128 /* connections a test opens at most */

/* ================================================================ the stepped world */
struct sworld;
struct shard_tag {
    struct sworld *w;
    unsigned shard;
};
struct sworld {
    struct memlink *link;
    struct tcpfsm_shards *sh;
    struct tcpfsm_stack *peer;
    uint64_t now, rng;
    unsigned n;
    struct shard_tag tag[TCPFSM_SHARDS_MAX];
    /* at the queue boundary */
    uint64_t delivered, misqueued; /* packets for the shards; of which on a non-owner's queue */
    /* the shards' trace hooks */
    uint64_t transitions, wrong_shard_transitions;
    /* apps */
    struct echo_app app;
    struct client cli[MAXC];
    unsigned ncli;
    int peer_lfd; /* peer-side echo listener (active-open test), -1 if none */
    int peer_conn[MAXC];
    unsigned npeer_conn;
};

static void to_shards(void *arg, const void *pkt, size_t len)
{
    struct sworld *w = arg;
    unsigned q = shard_test_queue(pkt, len, w->n);
    struct shard_flow f;
    w->delivered++;
    if (shard_flow_of(pkt, len, &f) &&
        tcpfsm_shards_owner(w->sh, f.laddr, f.lport, f.raddr, f.rport) != q)
        w->misqueued++;
    rt_require(tcpfsm_shards_input(w->sh, q, pkt, len) == 0);
}

static void to_peer(void *arg, const void *pkt, size_t len)
{
    struct sworld *w = arg;
    tcpfsm_input(w->peer, pkt, len);
}

static void shards_out(void *arg, unsigned shard, const void *pkt, size_t len)
{
    (void)shard;
    struct sworld *w = arg;
    memlink_send(w->link, HOST, pkt, len);
}

static void peer_out(void *arg, const void *pkt, size_t len)
{
    struct sworld *w = arg;
    memlink_send(w->link, PEER, pkt, len);
}

static void shard_trace(void *arg, const struct tcpfsm_trace_event *ev)
{
    struct shard_tag *t = arg;
    if (!ev->raddr || !ev->rport) return; /* a listener's own calls */
    t->w->transitions++;
    if (tcpfsm_shards_owner(t->w->sh, ev->laddr, ev->lport, ev->raddr, ev->rport) != t->shard)
        t->w->wrong_shard_transitions++;
}

static void shard_setup(void *arg, unsigned shard, struct tcpfsm_config *cfg)
{
    struct sworld *w = arg;
    w->tag[shard] = (struct shard_tag){.w = w, .shard = shard};
    cfg->trace = shard_trace;
    cfg->trace_arg = &w->tag[shard];
}

static int sw_init_cb(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    struct sworld *w = arg;
    return echo_init(sh, i, st, &w->app);
}

static int sw_wakeup_cb(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    struct sworld *w = arg;
    return echo_wakeup(sh, i, st, &w->app);
}

/* n shards with an echo service on HOST:PORT (echo = 0: no application), a peer on PEER. */
static void sw_init(struct sworld *w, unsigned n, int echo, tcpfsm_shard_fn init)
{
    memset(w, 0, sizeof *w);
    w->n = n;
    w->rng = 42 + n;
    w->peer_lfd = -1;
    w->app.addr = HOST;
    w->app.port = PORT;
    w->link = memlink_new(7 + n, 0);
    ck_assert_ptr_nonnull(w->link);
    struct memlink_impair im = {.delay_us = 500};
    memlink_set_impair(w->link, PEER, HOST, &im);
    memlink_set_impair(w->link, HOST, PEER, &im);
    ck_assert_int_ge(memlink_attach(w->link, HOST, to_shards, w), 0);
    ck_assert_int_ge(memlink_attach(w->link, PEER, to_peer, w), 0);
    struct tcpfsm_config pc = {.addr = PEER,
                               .prefix_len = 24,
                               .output = peer_out,
                               .output_arg = w,
                               .random = shard_test_peer_random,
                               .random_arg = &w->rng};
    int err = 0;
    w->peer = tcpfsm_stack_new(&pc, &err);
    ck_assert_ptr_nonnull(w->peer);
    shard_test_reseed(0x5eed + n);
    struct tcpfsm_shards_config sc = {
        .nshards = n,
        .stack = {.addr = HOST, .prefix_len = 24, .random = shard_test_random},
        .setup = shard_setup,
        .output = shards_out,
        .output_arg = w,
        .init = echo ? sw_init_cb : init,
        .wakeup = echo ? sw_wakeup_cb : NULL,
        .arg = w,
    };
    w->sh = tcpfsm_shards_new(&sc, &err);
    ck_assert_msg(w->sh != NULL, "tcpfsm_shards_new: %d", err);
}

static void sw_free(struct sworld *w)
{
    tcpfsm_shards_free(w->sh);
    tcpfsm_stack_free(w->peer);
    memlink_free(w->link);
}

/* The peer's side of the world: the clients, and its echo listener if it has one. */
static void peer_pump(struct sworld *w)
{
    for (int moved = 1; moved;) {
        moved = 0;
        for (unsigned i = 0; i < w->ncli; i++)
            moved |= client_pump(w->peer, &w->cli[i]);
        if (w->peer_lfd < 0) continue;
        for (int c; w->npeer_conn < MAXC && (c = tcpfsm_accept(w->peer, w->peer_lfd, 0, 0)) >= 0;)
            w->peer_conn[w->npeer_conn++] = c, moved = 1;
        for (unsigned i = 0; i < w->npeer_conn; i++) {
            uint8_t buf[2048];
            long r;
            while (w->peer_conn[i] >= 0 &&
                   (r = tcpfsm_recv(w->peer, w->peer_conn[i], buf, sizeof buf)) != -EAGAIN) {
                moved = 1;
                if (r <= 0) {
                    tcpfsm_close(w->peer, w->peer_conn[i]);
                    w->peer_conn[i] = -1;
                } else {
                    tcpfsm_send(w->peer, w->peer_conn[i], buf, (size_t)r);
                }
            }
        }
    }
}

static unsigned clients_done(const struct sworld *w)
{
    unsigned d = 0;
    for (unsigned i = 0; i < w->ncli; i++)
        d += w->cli[i].done;
    return d;
}

/* Run the world until done(w) or limit_us of virtual time. */
static void sw_run(struct sworld *w, int (*done)(struct sworld *), uint64_t limit_us)
{
    uint64_t end = w->now + limit_us;
    for (int guard = 0; guard < 1000000; guard++) {
        peer_pump(w);
        rt_require(tcpfsm_shards_step(w->sh, w->now) >= 0);
        peer_pump(w);
        if (done && done(w)) return;
        uint64_t next = memlink_next_delivery(w->link), t = tcpfsm_next_timeout(w->peer);
        if (t < next) next = t;
        t = tcpfsm_shards_next_timeout(w->sh);
        if (t < next) next = t;
        if (next == UINT64_MAX || next > end) return;
        if (next > w->now) w->now = next;
        tcpfsm_advance(w->peer, w->now);
        memlink_advance(w->link, w->now);
    }
}

static int all_clients_done(struct sworld *w)
{
    return clients_done(w) == w->ncli;
}

static void sw_stats(struct sworld *w, struct tcpfsm_stats *sum, struct tcpfsm_shard_stats *lay)
{
    memset(lay, 0, sizeof *lay);
    ck_assert_int_eq(tcpfsm_shards_get_stats(w->sh, sum), 0);
    for (unsigned i = 0; i < w->n; i++) {
        struct tcpfsm_shard_stats s;
        ck_assert_int_eq(tcpfsm_shards_shard_stats(w->sh, i, &s), 0);
        lay->InPackets += s.InPackets;
        lay->Forwarded += s.Forwarded;
        lay->FromShards += s.FromShards;
        lay->RingDrops += s.RingDrops;
        lay->InputDrops += s.InputDrops;
    }
}

/* ================================================================ the ring */

START_TEST(spsc_full_ring_drops_and_counts)
{
    struct spsc_ring r;
    spsc_init(&r, 16, 64);
    uint8_t pkt[64] = {0};
    for (int i = 0; i < 16; i++) {
        pkt[0] = (uint8_t)i;
        ck_assert_int_eq(spsc_push(&r, pkt, 1 + (size_t)i), 0);
    }
    ck_assert_int_eq(spsc_push(&r, pkt, 1), -ENOBUFS);
    ck_assert_int_eq(spsc_push(&r, pkt, 1), -ENOBUFS);
    ck_assert_uint_eq(spsc_drops(&r), 2);
    ck_assert_int_eq(spsc_push(&r, pkt, 65), -EMSGSIZE); /* longer than a slot: refused */
    /* one popped, one slot free again */
    size_t len;
    ck_assert_ptr_nonnull(spsc_peek(&r, &len));
    spsc_pop(&r);
    ck_assert_int_eq(spsc_push(&r, pkt, 1), 0);
    ck_assert_int_eq(spsc_push(&r, pkt, 1), -ENOBUFS);
    ck_assert_uint_eq(spsc_drops(&r), 3);
    spsc_destroy(&r);
}
END_TEST

START_TEST(spsc_ring_keeps_order_across_wraps)
{
    struct spsc_ring r;
    spsc_init(&r, 16, 8);
    ck_assert(spsc_empty(&r));
    size_t len;
    ck_assert_ptr_null(spsc_peek(&r, &len));
    uint32_t next_in = 0, next_out = 0;
    uint64_t rng = 3;
    while (next_out < 10000) { /* bursts of 0..16 in, 0..16 out: the indices wrap many times */
        for (uint64_t k = rt_rand_below(&rng, 17); k--;) {
            uint32_t v = next_in;
            if (spsc_push(&r, &v, sizeof v) == 0) next_in++;
        }
        for (uint64_t k = rt_rand_below(&rng, 17); k--;) {
            const uint8_t *p = spsc_peek(&r, &len);
            if (!p) break;
            uint32_t v;
            rt_require(len == sizeof v);
            memcpy(&v, p, sizeof v);
            rt_require(v == next_out);
            next_out++;
            spsc_pop(&r);
        }
    }
    spsc_destroy(&r);
}
END_TEST

struct spsc_pair {
    struct spsc_ring r;
    uint32_t count;
};

static void *spsc_producer(void *arg)
{
    struct spsc_pair *p = arg;
    for (uint32_t v = 0; v < p->count;) {
        uint8_t pkt[40];
        memset(pkt, (int)(v & 0xff), sizeof pkt);
        memcpy(pkt, &v, sizeof v);
        if (spsc_push(&p->r, pkt, 4 + v % 36) == 0)
            v++;
        else
            sched_yield();
    }
    return NULL;
}

START_TEST(spsc_ring_between_two_threads_keeps_order_and_bytes)
{
    struct spsc_pair p = {.count = 200000};
    spsc_init(&p.r, 64, 40);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, spsc_producer, &p), 0);
    uint32_t want = 0;
    int bad = 0;
    while (want < p.count) {
        size_t len;
        const uint8_t *pkt = spsc_peek(&p.r, &len);
        if (!pkt) {
            sched_yield();
            continue;
        }
        uint32_t v;
        memcpy(&v, pkt, sizeof v);
        bad |= v != want || len != 4 + v % 36;
        for (size_t i = 4; i < len; i++)
            bad |= pkt[i] != (uint8_t)(v & 0xff);
        spsc_pop(&p.r);
        want++;
    }
    pthread_join(t, NULL);
    ck_assert_int_eq(bad, 0);
    ck_assert(spsc_empty(&p.r));
    spsc_destroy(&p.r);
}
END_TEST

/* ================================================================ flows */

START_TEST(flow_of_tcp_and_of_the_segment_an_icmp_error_quotes)
{
    uint8_t pkt[256], icmp[256];
    struct shard_flow f;
    /* a segment from the peer to us: we are the destination */
    size_t n = rt_build_tcp(pkt, sizeof pkt, PEER, 40000, HOST, 80, 1, 0, 0x02, 1000, NULL, 0);
    ck_assert_int_eq(shard_flow_of(pkt, n, &f), 1);
    ck_assert_uint_eq(f.laddr, HOST);
    ck_assert_uint_eq(f.raddr, PEER);
    ck_assert_uint_eq(f.lport, 80);
    ck_assert_uint_eq(f.rport, 40000);
    /* RFC 792 destination unreachable quoting a segment we sent: the same flow */
    size_t q = rt_build_tcp(pkt, sizeof pkt, HOST, 80, PEER, 40000, 1, 0, 0x10, 1000, NULL, 0);
    memset(icmp, 0, sizeof icmp);
    icmp[0] = 0x45;
    icmp[9] = 1;
    uint16_t total = (uint16_t)(20 + 8 + 28);
    icmp[2] = (uint8_t)(total >> 8);
    icmp[3] = (uint8_t)total;
    memcpy(icmp + 12, pkt + 16, 4); /* from the peer ... */
    memcpy(icmp + 16, pkt + 12, 4); /* ... to us */
    icmp[20] = 3;
    icmp[21] = 3;
    memcpy(icmp + 28, pkt, 28); /* the quoted header and 8 bytes of TCP */
    (void)q;
    struct shard_flow g;
    ck_assert_int_eq(shard_flow_of(icmp, total, &g), 1);
    ck_assert_uint_eq(g.laddr, HOST);
    ck_assert_uint_eq(g.raddr, PEER);
    ck_assert_uint_eq(g.lport, 80);
    ck_assert_uint_eq(g.rport, 40000);
    /* an echo request is no flow's: handled where it lands */
    icmp[20] = 8;
    ck_assert_int_eq(shard_flow_of(icmp, total, &g), 0);
    /* a fragment, a short datagram, not IPv4: no flow */
    n = rt_build_tcp(pkt, sizeof pkt, PEER, 40000, HOST, 80, 1, 0, 0x02, 1000, NULL, 0);
    pkt[6] = 0x20; /* more fragments */
    ck_assert_int_eq(shard_flow_of(pkt, n, &f), 0);
    pkt[6] = 0;
    ck_assert_int_eq(shard_flow_of(pkt, 21, &f), 0);
    pkt[0] = 0x65;
    ck_assert_int_eq(shard_flow_of(pkt, n, &f), 0);
    /* both directions of a flow have one owner, for every n */
    uint8_t key[16] = {1, 2, 3};
    struct shard_flow a = {.laddr = HOST, .raddr = PEER, .lport = 80, .rport = 40000};
    for (unsigned k = 1; k <= 64; k++)
        ck_assert_uint_lt(shard_flow_owner(key, k, &a), k);
}
END_TEST

/* ================================================================ shards on memlink */

/* Every packet of a connection is processed by its owner: transitions happen only in the owner
 * (trace), nothing is answered with a RST as an unknown connection (which a non-owner would
 * do), and exactly the packets the link put on a non-owner's queue were forwarded. */
START_TEST(flows_stay_on_their_shard)
{
    struct sworld w;
    sw_init(&w, 3, 1, NULL);
    w.ncli = 48;
    for (unsigned i = 0; i < w.ncli; i++)
        client_open(w.peer, &w.cli[i], HOST, PORT, &w.rng);
    sw_run(&w, all_clients_done, 30000000);
    ck_assert_uint_eq(clients_done(&w), w.ncli);
    sw_run(&w, NULL, 5000000); /* the closes finish */
    struct tcpfsm_stats st;
    struct tcpfsm_shard_stats lay;
    sw_stats(&w, &st, &lay);
    ck_assert_uint_gt(w.transitions, 0);
    ck_assert_uint_eq(w.wrong_shard_transitions, 0);
    ck_assert_uint_eq(st.InNoSocket, 0);
    ck_assert_uint_eq(st.OutRsts, 0);
    ck_assert_uint_eq(st.PassiveOpens, w.ncli);
    /* the link's queue choice sent many flows to the wrong shard: those packets were forwarded,
     * none lost, none processed twice */
    ck_assert_uint_gt(w.misqueued, 0);
    ck_assert_uint_eq(lay.InPackets, w.delivered);
    ck_assert_uint_eq(lay.Forwarded, w.misqueued);
    ck_assert_uint_eq(lay.FromShards, w.misqueued);
    ck_assert_uint_eq(lay.RingDrops + lay.InputDrops, 0);
    ck_assert_uint_eq(st.InSegs, w.delivered); /* every segment reached one stack, once */
    for (unsigned i = 0; i < w.n; i++)
        ck_assert_uint_eq(w.app.s[i].wrong_owner, 0);
    sw_free(&w);
}
END_TEST

/* init of the active-open test: every shard opens 8 connections to the peer. */
struct opener {
    int fd[TCPFSM_SHARDS_MAX][8];
    unsigned wrong_port;
};
static struct opener *opener_of(struct sworld *w);

static int open_from_shard(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    struct opener *o = opener_of(arg);
    for (int k = 0; k < 8; k++) {
        int fd = tcpfsm_socket(st);
        if (fd < 0) return fd;
        int e = tcpfsm_connect(st, fd, PEER, PORT);
        if (e != -EINPROGRESS) return e < 0 ? e : -EPROTO;
        uint32_t la, ra;
        uint16_t lp, rp;
        tcpfsm_getname(st, fd, &la, &lp, &ra, &rp);
        if (tcpfsm_shards_owner(sh, la, lp, ra, rp) != i) o->wrong_port++;
        o->fd[i][k] = fd;
    }
    return 0;
}

static struct opener the_opener;
static struct opener *opener_of(struct sworld *w)
{
    (void)w;
    return &the_opener;
}

static int peer_accepted_all(struct sworld *w)
{
    return w->npeer_conn == 8 * w->n;
}

START_TEST(active_opens_land_on_their_own_shard)
{
    unsigned n = 2 + (unsigned)_i; /* 2, 3, 4 */
    struct sworld w;
    memset(&the_opener, 0, sizeof the_opener);
    sw_init(&w, n, 0, open_from_shard);
    w.peer_lfd = tcpfsm_socket(w.peer);
    ck_assert_int_eq(tcpfsm_bind(w.peer, w.peer_lfd, PEER, PORT), 0);
    ck_assert_int_eq(tcpfsm_listen(w.peer, w.peer_lfd, 128), 0);
    sw_run(&w, peer_accepted_all, 10000000);
    ck_assert_uint_eq(the_opener.wrong_port, 0);
    ck_assert_uint_eq(w.npeer_conn, 8 * n);
    for (unsigned i = 0; i < n; i++) {
        struct tcpfsm_stack *st = tcpfsm_shards_stack(w.sh, i);
        for (int k = 0; k < 8; k++) {
            struct tcpfsm_info info;
            ck_assert_int_eq(tcpfsm_get_info(st, the_opener.fd[i][k], &info), 0);
            ck_assert_str_eq(info.state, "ESTABLISHED");
            ck_assert_uint_eq(
                tcpfsm_shards_owner(w.sh, info.laddr, info.lport, info.raddr, info.rport), i);
        }
    }
    struct tcpfsm_stats st;
    struct tcpfsm_shard_stats lay;
    sw_stats(&w, &st, &lay);
    ck_assert_uint_eq(st.ActiveOpens, 8 * n);
    ck_assert_uint_eq(st.OutRsts + st.InNoSocket, 0);
    ck_assert_uint_eq(w.wrong_shard_transitions, 0);
    ck_assert_uint_eq(lay.Forwarded, w.misqueued); /* SYN-ACKs on the wrong queue went home */
    sw_free(&w);
}
END_TEST

START_TEST(connect_from_a_bound_port_of_another_shard_is_refused)
{
    struct sworld w;
    sw_init(&w, 2, 0, NULL);
    struct tcpfsm_stack *st0 = tcpfsm_shards_stack(w.sh, 0);
    uint16_t mine = 0, theirs = 0;
    for (uint16_t p = 20000; p < 20100 && !(mine && theirs); p++) {
        if (tcpfsm_shards_owner(w.sh, HOST, p, PEER, PORT) == 0)
            mine = mine ? mine : p;
        else
            theirs = theirs ? theirs : p;
    }
    ck_assert(mine && theirs);
    int fd = tcpfsm_socket(st0);
    ck_assert_int_eq(tcpfsm_bind(st0, fd, HOST, theirs), 0);
    ck_assert_int_eq(tcpfsm_connect(st0, fd, PEER, PORT), -EADDRNOTAVAIL);
    int fd2 = tcpfsm_socket(st0);
    ck_assert_int_eq(tcpfsm_bind(st0, fd2, HOST, mine), 0);
    ck_assert_int_eq(tcpfsm_connect(st0, fd2, PEER, PORT), -EINPROGRESS);
    sw_free(&w);
}
END_TEST

START_TEST(a_listener_in_every_shard_accepts_its_flows)
{
    struct sworld w;
    sw_init(&w, 4, 1, NULL);
    w.ncli = MAXC;
    for (unsigned i = 0; i < w.ncli; i++)
        client_open(w.peer, &w.cli[i], HOST, PORT, &w.rng);
    sw_run(&w, all_clients_done, 30000000);
    unsigned failed = 0, accepted = 0;
    uint64_t bytes = 0, sent = 0;
    for (unsigned i = 0; i < w.ncli; i++)
        failed += w.cli[i].failed, sent += w.cli[i].len;
    ck_assert_uint_eq(failed, 0);
    ck_assert_uint_eq(clients_done(&w), w.ncli);
    for (unsigned i = 0; i < w.n; i++) {
        const struct echo_shard *es = &w.app.s[i];
        ck_assert_msg(es->accepted > 0, "shard %u accepted nothing", i);
        ck_assert_uint_eq(es->wrong_owner, 0);
        ck_assert_uint_eq(es->errors, 0);
        accepted += es->accepted;
        bytes += es->bytes;
    }
    ck_assert_uint_eq(accepted, w.ncli);
    ck_assert_uint_eq(bytes, sent);
    sw_free(&w);
}
END_TEST

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

START_TEST(merged_stats_census_and_listing_are_the_shards_sums)
{
    struct sworld w;
    sw_init(&w, 3, 1, NULL);
    w.ncli = 12;
    for (unsigned i = 0; i < w.ncli; i++)
        client_open(w.peer, &w.cli[i], HOST, PORT, &w.rng);
    sw_run(&w, all_clients_done, 30000000); /* the shards' ends wait in LAST_ACK or TIME_WAIT */
    struct tcpfsm_stats merged, one;
    ck_assert_int_eq(tcpfsm_shards_get_stats(w.sh, &merged), 0);
    uint64_t sum[sizeof merged / 8] = {0}, got[sizeof merged / 8];
    struct tcpfsm_sockstat ms, s1, ssum = {0};
    ck_assert_int_eq(tcpfsm_shards_sockstat(w.sh, &ms), 0);
    int lines = 1;
    for (unsigned i = 0; i < w.n; i++) {
        uint64_t w1[sizeof one / 8];
        tcpfsm_get_stats(tcpfsm_shards_stack(w.sh, i), &one);
        memcpy(w1, &one, sizeof one);
        for (size_t k = 0; k < sizeof one / 8; k++)
            sum[k] += w1[k];
        tcpfsm_sockstat(tcpfsm_shards_stack(w.sh, i), &s1);
        ssum.inuse += s1.inuse, ssum.orphan += s1.orphan, ssum.tw += s1.tw;
        ssum.alloc += s1.alloc, ssum.synrecv += s1.synrecv, ssum.tcb_bytes += s1.tcb_bytes;
        char buf[8192];
        ck_assert_int_lt(tcpfsm_ss(tcpfsm_shards_stack(w.sh, i), buf, sizeof buf), sizeof buf);
        lines += count_lines(buf) - 1;
    }
    memcpy(got, &merged, sizeof merged);
    for (size_t k = 0; k < sizeof merged / 8; k++)
        ck_assert_uint_eq(got[k], sum[k]);
    ck_assert_uint_eq(merged.PassiveOpens, w.ncli);
    ck_assert_uint_eq(ms.inuse, ssum.inuse);
    ck_assert_uint_eq(ms.orphan, ssum.orphan);
    ck_assert_uint_eq(ms.tw, ssum.tw);
    ck_assert_uint_eq(ms.alloc, ssum.alloc);
    ck_assert_uint_eq(ms.synrecv, ssum.synrecv);
    ck_assert_uint_eq(ms.tcb_bytes, ssum.tcb_bytes);
    /* one header, then every shard's lines: the 3 listeners and the 12 connections */
    char all[16384];
    int need = tcpfsm_shards_ss(w.sh, all, sizeof all);
    ck_assert_int_eq(need, (int)strlen(all));
    ck_assert_int_eq(count_lines(all), lines);
    ck_assert_int_ge(lines, 1 + 3 + 12);
    ck_assert_ptr_nonnull(strstr(all, "State"));
    ck_assert_ptr_null(strstr(strstr(all, "State") + 1, "State"));
    /* truncated like snprintf: the same length needed, a terminated prefix */
    char small[64];
    ck_assert_int_eq(tcpfsm_shards_ss(w.sh, small, sizeof small), need);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
    ck_assert_int_eq(strncmp(small, all, sizeof small - 1), 0);
    ck_assert_int_eq(tcpfsm_shards_ss(w.sh, NULL, 0), need);
    sw_free(&w);
}
END_TEST

static void nothing_out(void *arg, unsigned shard, const void *pkt, size_t len)
{
    (void)arg, (void)shard, (void)pkt, (void)len;
}

START_TEST(bad_configurations_and_misuse_are_refused)
{
    struct tcpfsm_shards_config c = {.nshards = 2,
                                     .stack = {.addr = HOST, .random = shard_test_random},
                                     .output = nothing_out,
                                     .init = shard_test_noop};
    int err = 0;
    struct tcpfsm_shards_config b = c;
    b.nshards = 0;
    ck_assert_ptr_null(tcpfsm_shards_new(&b, &err));
    ck_assert_int_eq(err, -EINVAL);
    b.nshards = TCPFSM_SHARDS_MAX + 1;
    ck_assert_ptr_null(tcpfsm_shards_new(&b, &err));
    ck_assert_int_eq(err, -EINVAL);
    b = c;
    b.tun = "tsx0"; /* two links */
    ck_assert_ptr_null(tcpfsm_shards_new(&b, &err));
    ck_assert_int_eq(err, -EINVAL);
    b.output = NULL;
    b.tun = "a-name-longer-than-15";
    ck_assert_ptr_null(tcpfsm_shards_new(&b, &err));
    ck_assert_int_eq(err, -EINVAL);
    b.tun = NULL; /* no link */
    ck_assert_ptr_null(tcpfsm_shards_new(&b, &err));
    ck_assert_int_eq(err, -EINVAL);
    b = c;
    b.ring_slots = 100; /* not a power of two */
    ck_assert_ptr_null(tcpfsm_shards_new(&b, &err));
    ck_assert_int_eq(err, -EINVAL);
    b.ring_slots = 8;
    ck_assert_ptr_null(tcpfsm_shards_new(&b, &err));
    b = c;
    b.batch = TCPFSM_SHARDS_BATCH_MAX + 1;
    ck_assert_ptr_null(tcpfsm_shards_new(&b, &err));
    ck_assert_int_eq(err, -EINVAL);
    b = c;
    b.stack.addr = 0; /* the stack's own check */
    ck_assert_ptr_null(tcpfsm_shards_new(&b, &err));
    ck_assert_int_eq(err, -EINVAL);
    ck_assert_ptr_null(tcpfsm_shards_new(NULL, &err));

    struct tcpfsm_shards *sh = tcpfsm_shards_new(&c, &err);
    ck_assert_ptr_nonnull(sh);
    uint8_t pkt[40] = {0x45};
    ck_assert_int_eq(tcpfsm_shards_input(sh, 2, pkt, sizeof pkt), -EINVAL);
    ck_assert_int_eq(tcpfsm_shards_input(sh, 0, NULL, 0), -EINVAL);
    uint8_t big[1501] = {0x45};
    ck_assert_int_eq(tcpfsm_shards_input(sh, 0, big, sizeof big), -EMSGSIZE);
    ck_assert_ptr_null(tcpfsm_shards_stack(sh, 2));
    ck_assert_int_eq(tcpfsm_shards_call(sh, 2, shard_test_noop, NULL), -EINVAL);
    ck_assert_int_eq(tcpfsm_shards_call(sh, 0, NULL, NULL), -EINVAL);
    ck_assert_int_eq(tcpfsm_shards_start(sh), 0);
    ck_assert_int_eq(tcpfsm_shards_start(sh), -EALREADY);
    ck_assert_int_eq(tcpfsm_shards_step(sh, 0), -EBUSY);
    ck_assert_int_eq(tcpfsm_shards_stop(sh), 0);
    ck_assert_int_eq(tcpfsm_shards_stop(sh), 0);
    tcpfsm_shards_free(sh);

    /* a full input ring drops and counts */
    b = c;
    b.ring_slots = 16;
    sh = tcpfsm_shards_new(&b, &err);
    ck_assert_ptr_nonnull(sh);
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(tcpfsm_shards_input(sh, 1, pkt, sizeof pkt), 0);
    ck_assert_int_eq(tcpfsm_shards_input(sh, 1, pkt, sizeof pkt), -ENOBUFS);
    struct tcpfsm_shard_stats s;
    ck_assert_int_eq(tcpfsm_shards_shard_stats(sh, 1, &s), 0);
    ck_assert_uint_eq(s.InputDrops, 1);
    ck_assert_int_eq(tcpfsm_shards_start(sh), 0); /* stepping or starting: one or the other */
    tcpfsm_shards_free(sh);                       /* stops the threads */
    sh = tcpfsm_shards_new(&c, &err);
    ck_assert_int_ge(tcpfsm_shards_step(sh, 0), 0);
    ck_assert_int_eq(tcpfsm_shards_start(sh), -EALREADY);
    tcpfsm_shards_free(sh);
}
END_TEST

static int init_fails(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    (void)sh, (void)st, (void)arg;
    return i == 1 ? -EADDRINUSE : 0;
}

START_TEST(an_init_error_fails_start_and_stops_the_threads)
{
    struct tcpfsm_shards_config c = {.nshards = 3,
                                     .stack = {.addr = HOST, .random = shard_test_random},
                                     .output = nothing_out,
                                     .init = init_fails};
    int err;
    struct tcpfsm_shards *sh = tcpfsm_shards_new(&c, &err);
    ck_assert_ptr_nonnull(sh);
    ck_assert_int_eq(tcpfsm_shards_start(sh), -EADDRINUSE);
    /* no thread runs: calls run in the caller */
    ck_assert_int_eq(tcpfsm_shards_call(sh, 0, shard_test_noop, NULL), 0);
    tcpfsm_shards_free(sh);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("shards");
    TCase *ring = tcase_create("ring");
    tcase_add_test(ring, spsc_full_ring_drops_and_counts);
    tcase_add_test(ring, spsc_ring_keeps_order_across_wraps);
    tcase_add_test(ring, spsc_ring_between_two_threads_keeps_order_and_bytes);
    tcase_add_test(ring, flow_of_tcp_and_of_the_segment_an_icmp_error_quotes);
    tcase_set_timeout(ring, 60);
    suite_add_tcase(s, ring);
    TCase *mem = tcase_create("memlink");
    tcase_add_test(mem, flows_stay_on_their_shard);
    tcase_add_loop_test(mem, active_opens_land_on_their_own_shard, 0, 3);
    tcase_add_test(mem, connect_from_a_bound_port_of_another_shard_is_refused);
    tcase_add_test(mem, a_listener_in_every_shard_accepts_its_flows);
    tcase_add_test(mem, merged_stats_census_and_listing_are_the_shards_sums);
    tcase_add_test(mem, bad_configurations_and_misuse_are_refused);
    tcase_add_test(mem, an_init_error_fails_start_and_stops_the_threads);
    tcase_set_timeout(mem, 60);
    suite_add_tcase(s, mem);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
