/*
 * bench_stack.c {bulk|connrate|memory|matrix} — the whole stack (libtcpfsm) on memlink, in one
 * thread with a virtual clock, so the figures are CPU cost only:
 *   bulk      Gbit/s of one connection at MTU 1500 (MSS 1460) and at MTU 65535 (64 KB),
 *             next to memcpy bandwidth of the same chunk sizes measured in the same run, and
 *             the same with checksum offload (both stacks TCPFSM_F_CSUM_OFFLOAD, memlink
 *             vouching for checksums, as Linux's loopback does) next to the plain figure;
 *   connrate  connections/s: connect + 1 byte each way + close, both ends ours,
 *             one at a time and 1,000 in flight, and one at a time with checksum offload
 *             (as bulk's) next to the plain figure;
 *   memory    RSS growth per endpoint with N idle established pairs (N = 100,000, default
 *             64 KiB rings; if the time budget is hit first the row says which N);
 *   matrix    issue 4's throughput matrix in the style of smoltcp's netsim: goodput over a
 *             100 Mbit/s memlink for buffer size x loss x RTT, in virtual time, next to the
 *             same transfer with SACK off (what SACK buys).
 * A stack that does not work yet (handshake never completes, ...) yields FAIL rows with the
 * reason, never a number.
 */
#include <errno.h>

#include "bench_util.h"
#include "memlink.h"
#include "tcpfsm.h"

#define SERVER_ADDR 0x0a000002u /* 10.0.0.2 */
#define CLIENT_ADDR 0x0a000001u /* 10.0.0.1: client stack k > 0 uses 10.1.x.y */
#define PORT 5001

static struct memlink *L;
static uint64_t now_us = 1000000;
static struct tcpfsm_stack *stacks[1024];
static int nstacks;
static uint64_t rng_state = 99;
static uint32_t stack_flags; /* TCPFSM_F_* for the next new_stack() */
static int csum_offload;     /* new_stack() attaches with memlink_attach_ex (flags delivered) */

static uint64_t rng(void *arg)
{
    (void)arg;
    return bench_rand(&rng_state);
}

static void out_cb(void *arg, const void *pkt, size_t len)
{
    memlink_send(L, (uint32_t)(uintptr_t)arg, pkt, len);
}

static void deliver_cb(void *arg, const void *pkt, size_t len)
{
    tcpfsm_input(arg, pkt, len);
}

static void deliver_ex_cb(void *arg, const void *pkt, size_t len, unsigned flags)
{
    tcpfsm_input_ex(arg, pkt, len, flags);
}

static struct tcpfsm_stack *new_stack(uint32_t addr, uint16_t mtu, uint32_t bufsz,
                                      uint32_t max_sockets)
{
    struct tcpfsm_config c;
    int err = 0;
    memset(&c, 0, sizeof c);
    c.addr = addr;
    c.mtu = mtu;
    c.output = out_cb;
    c.output_arg = (void *)(uintptr_t)addr;
    c.random = rng;
    c.now = now_us;
    c.max_sockets = max_sockets;
    c.sndbuf = bufsz;
    c.rcvbuf = bufsz;
    c.max_buffer_bytes = 0xffffffffu; /* the per-stack 64 MiB default caps at 512 default pairs */
    c.msl_us = 1000; /* TIME_WAIT of 2 ms virtual time: the rate test must not run out of ports */
    c.rto_min_us = 200000; /* LAN-like: the default RFC 6298 minimum of 1 s is for the Internet */
    c.flags = stack_flags;
    struct tcpfsm_stack *st = tcpfsm_stack_new(&c, &err);
    if (!st) {
        printf("FAIL\tmemlink stack\ttcpfsm_stack_new: error %d\n", err);
        exit(0);
    }
    if ((csum_offload ? memlink_attach_ex(L, addr, deliver_ex_cb, st)
                      : memlink_attach(L, addr, deliver_cb, st)) < 0) {
        printf("FAIL\tmemlink stack\tmemlink_attach failed\n");
        exit(0);
    }
    stacks[nstacks++] = st;
    return st;
}

/* Deliver everything due now; then, if asked, step the clock to the next event. */
static void pump(void)
{
    for (int i = 0; i < 100000 && memlink_advance(L, now_us) > 0; i++)
        ;
}

static void tick(uint64_t dt)
{
    now_us += dt;
    for (int i = 0; i < nstacks; i++)
        tcpfsm_advance(stacks[i], now_us);
    pump();
}

static void fail(const char *name, const char *why)
{
    printf("FAIL\t%s\t%s\n", name, why);
    exit(0);
}

/* ---------------------------------------------------------------- bulk */

static int open_pair(struct tcpfsm_stack *c, struct tcpfsm_stack *s, uint16_t port, int *cfd,
                     int *sfd, const char *name)
{
    /* Every caller builds a fresh pair of stacks, so the listener is new each time too. */
    int lfd = tcpfsm_socket(s);
    if (lfd < 0 || tcpfsm_bind(s, lfd, SERVER_ADDR, port) || tcpfsm_listen(s, lfd, 4096))
        fail(name, "socket/bind/listen failed on the server stack");
    *cfd = tcpfsm_socket(c);
    if (*cfd < 0) fail(name, "tcpfsm_socket failed on the client stack");
    int r = tcpfsm_connect(c, *cfd, SERVER_ADDR, port);
    if (r != -EINPROGRESS && r != 0) fail(name, "tcpfsm_connect did not return -EINPROGRESS");
    /* 30 s of virtual time: a lost SYN is retransmitted after the initial RTO of 1 s, and
     * the matrix loses up to 5 % of the client's packets, SYNs included. */
    *sfd = -1;
    for (int i = 0; i < 30000; i++) {
        pump();
        if (*sfd < 0) *sfd = tcpfsm_accept(s, lfd, NULL, NULL);
        if (*sfd >= 0 && (tcpfsm_poll(c, *cfd) & TCPFSM_POLLOUT)) return lfd;
        tick(1000);
    }
    fail(name, "handshake did not complete within 30 s of virtual time");
    return -1;
}

/* offload: both stacks leave TCP checksums to the link, which vouches for them. */
static double bulk_once(int mtu, size_t total, double max_s, const char *name, int offload)
{
    struct tcpfsm_stack *c, *s;
    static uint8_t buf[1 << 20], rbuf[1 << 20];
    int cfd, sfd;
    size_t sent = 0, rcvd = 0;
    uint32_t bufsz = mtu > 9000 ? 8u << 20 : 2u << 20;

    L = memlink_new(1, now_us);
    memlink_set_csum_offload(L, offload);
    nstacks = 0;
    csum_offload = offload;
    stack_flags = offload ? TCPFSM_F_CSUM_OFFLOAD : 0;
    c = new_stack(CLIENT_ADDR, (uint16_t)mtu, bufsz, 16);
    s = new_stack(SERVER_ADDR, (uint16_t)mtu, bufsz, 16);
    csum_offload = 0;
    stack_flags = 0;
    open_pair(c, s, PORT, &cfd, &sfd, name);
    tcpfsm_setopt(c, cfd, TCPFSM_OPT_NODELAY, 1);
    uint64_t t0 = bench_now_ns(), deadline = t0 + (uint64_t)(max_s * 1e9), stall = 0;
    while (rcvd < total) {
        size_t before = rcvd;
        while (sent < total) {
            size_t want = total - sent < sizeof buf ? total - sent : sizeof buf;
            long n = tcpfsm_send(c, cfd, buf, want);
            if (n <= 0) break;
            sent += (size_t)n;
        }
        pump();
        for (long n; (n = tcpfsm_recv(s, sfd, rbuf, sizeof rbuf)) > 0;)
            rcvd += (size_t)n;
        pump();
        if (rcvd == before) { /* nothing moved without time: let timers (delayed ACK) run */
            tick(1000);
            if (++stall > 100000)
                fail(name, "transfer stalled (no progress in 100 s of virtual time)");
        } else
            now_us += 1; /* time passes a little, so RTT samples are sane */
        if ((rcvd & 0xf) == 0 && bench_now_ns() > deadline) break;
    }
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    tcpfsm_stack_free(c);
    tcpfsm_stack_free(s);
    memlink_free(L);
    return (double)rcvd * 8 / secs / 1e9;
}

static double memcpy_gbps(size_t chunk, size_t total)
{
    static uint8_t src[1 << 22], dst[1 << 22]; /* 4 MiB rings, like a socket buffer pair */
    size_t off = 0, done = 0;
    uint64_t t0 = bench_now_ns();
    while (done < total) {
        if (off + chunk > sizeof src) off = 0;
        memcpy(dst + off, src + off, chunk);
        BENCH_CLOBBER();
        off += chunk;
        done += chunk;
    }
    return (double)done * 8 / ((double)(bench_now_ns() - t0) / 1e9) / 1e9;
}

static void bench_bulk(void)
{
    static const struct {
        int mtu;
        const char *label;
    } cfg[] = {{1500, "MSS 1460"}, {65535, "64 KB MTU"}};
    size_t total = bench_quick() ? (4u << 20) : (1024u << 20);
    double max_s = bench_quick() ? 0.2 : 0.6;
    for (size_t k = 0; k < 2; k++) {
        double us[BENCH_RUNS], ref[BENCH_RUNS], off[BENCH_RUNS];
        char name[96], refname[64], oname[96];
        snprintf(name, sizeof name, "memlink bulk %s", cfg[k].label);
        snprintf(oname, sizeof oname, "memlink bulk %s checksum offload", cfg[k].label);
        for (int r = 0; r < BENCH_RUNS; r++) {
            us[r] = bulk_once(cfg[k].mtu, total, max_s, name, 0);
            off[r] = bulk_once(cfg[k].mtu, total, max_s, oname, 1);
            ref[r] =
                memcpy_gbps(cfg[k].mtu == 1500 ? 1460 : 65495, bench_quick() ? total : total / 2);
        }
        double m = bench_median(us, BENCH_RUNS);
        snprintf(refname, sizeof refname, "memcpy %s chunks",
                 cfg[k].mtu == 1500 ? "1460 B" : "64 KB");
        bench_row(name, m, "Gbit/s", refname, bench_median(ref, BENCH_RUNS));
        /* run.py fills in the reference from the iperf3 run it makes in the same `make bench` */
        printf("ROW\t%s vs Linux\t%.6g\tGbit/s\tLinux loopback iperf3\t-\n", name, m);
        /* The loopback's way: checksums neither computed nor checked (CHECKSUM_PARTIAL), next
         * to the same transfer computing them, and to iperf3 over the loopback. */
        double mo = bench_median(off, BENCH_RUNS);
        bench_row(oname, mo, "Gbit/s", name, m);
        printf("ROW\t%s vs Linux\t%.6g\tGbit/s\tLinux loopback iperf3\t-\n", oname, mo);
    }
}

/* ---------------------------------------------------------------- connection rate */

struct conn {
    int cfd, sfd;
};
static long addrinuse_retries; /* connect() -EADDRINUSE on a TIME_WAIT 4-tuple, retried */

/* n connections, `inflight` at a time; returns connections per second (wall clock).
 * offload: as bulk_once's. */
static double connrate_once(int n, int inflight, const char *name, int offload)
{
    static struct conn cs[1000];
    struct tcpfsm_stack *c, *s;
    char b = 'x';
    L = memlink_new(2, now_us);
    memlink_set_csum_offload(L, offload);
    nstacks = 0;
    csum_offload = offload;
    stack_flags = offload ? TCPFSM_F_CSUM_OFFLOAD : 0;
    c = new_stack(CLIENT_ADDR, 1500, 0, 4096);
    s = new_stack(SERVER_ADDR, 1500, 0, 4096);
    csum_offload = 0;
    stack_flags = 0;
    int lfd = tcpfsm_socket(s);
    if (lfd < 0 || tcpfsm_bind(s, lfd, SERVER_ADDR, PORT) || tcpfsm_listen(s, lfd, 4096))
        fail(name, "socket/bind/listen failed");
    uint64_t t0 = bench_now_ns();
    for (int done = 0; done < n; done += inflight) {
        int k, m = inflight;
        for (k = 0; k < m; k++) {
            int e = 0;
            /* The stack's ephemeral-port choice only avoids ports held by descriptors, not
             * 4-tuples still in TIME_WAIT, so connect() can return -EADDRINUSE while other
             * ports are free; like an application, take a new socket and try again. */
            for (int attempt = 0; attempt < 64; attempt++) {
                cs[k].cfd = tcpfsm_socket(c);
                e = cs[k].cfd < 0 ? cs[k].cfd : tcpfsm_connect(c, cs[k].cfd, SERVER_ADDR, PORT);
                if (e != -EADDRINUSE) break;
                addrinuse_retries++;
                tcpfsm_close(c, cs[k].cfd);
            }
            if (e != -EINPROGRESS) {
                char why[160];
                snprintf(why, sizeof why, "%s failed with %s at connection #%d",
                         cs[k].cfd < 0 ? "tcpfsm_socket" : "tcpfsm_connect", strerror(-e),
                         done + k);
                fail(name, why);
            }
        }
        pump();
        for (k = 0; k < m; k++) {
            cs[k].sfd = tcpfsm_accept(s, lfd, NULL, NULL);
            if (cs[k].sfd < 0)
                fail(name, "accept found no connection after the handshake packets were delivered");
            if (tcpfsm_send(c, cs[k].cfd, &b, 1) != 1 || tcpfsm_send(s, cs[k].sfd, &b, 1) != 1)
                fail(name, "send of 1 byte failed");
        }
        pump();
        for (k = 0; k < m; k++) {
            if (tcpfsm_recv(s, cs[k].sfd, &b, 1) != 1 || tcpfsm_recv(c, cs[k].cfd, &b, 1) != 1)
                fail(
                    name,
                    "the byte did not arrive (Nagle/delayed ACK should not delay a first segment)");
            tcpfsm_close(c, cs[k].cfd);
        }
        pump();
        for (k = 0; k < m; k++)
            tcpfsm_close(s, cs[k].sfd);
        tick(500); /* TIME_WAIT (2 ms here) drains as virtual time passes */
    }
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    tcpfsm_stack_free(c);
    tcpfsm_stack_free(s);
    memlink_free(L);
    fprintf(stderr,
            "bench_stack connrate: %d connections, %d in flight, %.3f s, %ld connect() "
            "-EADDRINUSE retries so far\n",
            n, inflight, secs, addrinuse_retries);
    return n / secs;
}

static void bench_connrate(void)
{
    int n = bench_quick() ? 2000 : 100000;
    double seq[BENCH_RUNS], par[BENCH_RUNS], seqo[BENCH_RUNS];
    /* interleaved, so that the machine's moods fall on all three alike */
    for (int r = 0; r < BENCH_RUNS; r++) {
        seq[r] = connrate_once(n / 5, 1, "memlink connection rate sequential", 0);
        par[r] = connrate_once(n, 1000, "memlink connection rate 1000 in flight", 0);
        seqo[r] = connrate_once(n / 5, 1, "memlink connection rate sequential checksum offload", 1);
    }
    double ms = bench_median(seq, BENCH_RUNS), mp = bench_median(par, BENCH_RUNS);
    double mo = bench_median(seqo, BENCH_RUNS);
    bench_row("memlink connection rate sequential", ms, "conn/s", "target", 1e6);
    bench_row("memlink connection rate 1000 in flight", mp, "conn/s", "target", 1e6);
    bench_row("memlink connection rate sequential checksum offload", mo, "conn/s",
              "memlink connection rate sequential", ms);
    /* run.py fills these references in from bench_linux_connrate, run in the same make bench */
    printf("ROW\tmemlink connection rate sequential vs Linux\t%.6g\tconn/s\t"
           "Linux loopback connection rate sequential\t-\n",
           ms);
    printf("ROW\tmemlink connection rate 1000 in flight vs Linux\t%.6g\tconn/s\t"
           "Linux loopback connection rate 1000 in flight\t-\n",
           mp);
    printf("ROW\tmemlink connection rate sequential checksum offload vs Linux\t%.6g\tconn/s\t"
           "Linux loopback connection rate sequential\t-\n",
           mo);
}

/* ---------------------------------------------------------------- memory */

static long rss_kib(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = -1;
    if (f) fclose(f);
    return rss * 4; /* 4 KiB pages */
}

static void bench_memory(void)
{
    /* 100,000 pairs, not 1,000,000: at the ~8.7 KB per endpoint measured with the default
     * 64 KiB rings (each ring's first page is touched by malloc), a million pairs would need
     * ~17 GB of RSS. 4,000 connections per client stack keep its ephemeral ports (16,384)
     * sparse, since the port choice scans the descriptor table per candidate. */
    /* A stack's buffer budget (max_buffer_bytes, a uint32_t) holds at most 32,767
     * connections with 2 x 64 KiB rings, so the server side is sharded too: 24,000
     * connections per server stack, each on its own address and listener. */
    int n = bench_quick() ? 5000 : 100000, per_client = 4000, per_server = 24000;
    int nclients = (n + per_client - 1) / per_client, nservers = (n + per_server - 1) / per_server;
    double budget_s = bench_quick() ? 10 : 60;
    struct tcpfsm_stack *sv[16], *cl[128];
    int lfd[16];
    const char *name = "memlink RSS per idle endpoint";
    L = memlink_new(3, now_us);
    nstacks = 0;
    for (int j = 0; j < nservers; j++) {
        sv[j] = new_stack(SERVER_ADDR + 0x100u * (uint32_t)j, 1500, 0, (uint32_t)per_server + 64);
        lfd[j] = tcpfsm_socket(sv[j]);
        if (lfd[j] < 0 || tcpfsm_bind(sv[j], lfd[j], SERVER_ADDR + 0x100u * (uint32_t)j, PORT) ||
            tcpfsm_listen(sv[j], lfd[j], 4096))
            fail(name, "socket/bind/listen failed");
    }
    for (int k = 0; k < nclients; k++)
        cl[k] = new_stack(0x0a010000u + (uint32_t)k + 1, 1500, 0, (uint32_t)per_client + 64);
    long before = rss_kib();
    uint64_t t0 = bench_now_ns(), deadline = t0 + (uint64_t)(budget_s * 1e9);
    int est = 0;
    while (est < n && bench_now_ns() < deadline) {
        int m = n - est < 1000 ? n - est : 1000, k = est / per_client, j = est / per_server;
        uint32_t saddr = SERVER_ADDR + 0x100u * (uint32_t)j;
        for (int i = 0; i < m; i++) {
            int fd = tcpfsm_socket(cl[k]);
            int e = fd < 0 ? fd : tcpfsm_connect(cl[k], fd, saddr, PORT);
            if (e != -EINPROGRESS) {
                char why[128];
                snprintf(why, sizeof why, "%s #%d failed: %s",
                         fd < 0 ? "tcpfsm_socket" : "tcpfsm_connect", est + i, strerror(-e));
                fail(name, why);
            }
        }
        pump();
        for (int i = 0; i < m; i++) {
            int afd = tcpfsm_accept(sv[j], lfd[j], NULL, NULL);
            if (afd < 0) {
                char why[160];
                struct tcpfsm_stats ss;
                tcpfsm_get_stats(sv[j], &ss);
                snprintf(why, sizeof why,
                         "accept #%d after the handshake: %s (server ListenOverflows "
                         "%llu, ListenDrops %llu, BufferLimitDrops %llu)",
                         est + i, strerror(-afd), (unsigned long long)ss.ListenOverflows,
                         (unsigned long long)ss.ListenDrops,
                         (unsigned long long)ss.BufferLimitDrops);
                fail(name, why);
            }
        }
        est += m;
        now_us += 10;
    }
    long after = rss_kib();
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    char nm[128];
    double per = (double)(after - before) * 1024.0 / (2.0 * est);
    fprintf(stderr, "bench_stack memory: %d pairs in %.1f s, RSS %ld -> %ld KiB\n", est, secs,
            before, after);
    snprintf(nm, sizeof nm, "%s (%d idle pairs, 64 KiB rings%s)", name, est,
             est < n ? ", time budget hit" : "");
    bench_row(nm, per, "B", "target", 600);
    snprintf(nm, sizeof nm, "%s (%d idle pairs, 64 KiB rings) vs Linux", name, est);
    /* run.py fills in the reference from bench_linux_connrate, run in the same make bench */
    printf("ROW\t%s\t%.6g\tB\tLinux kernel slab per idle endpoint\t-\n", nm, per);
}

/* ---------------------------------------------------------------- throughput matrix */

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Goodput in Mbit/s of virtual time for one transfer; < 0 if it did not finish. */
static double matrix_once(uint32_t bufsz, double loss, uint32_t rtt_us, int sack, uint64_t seed,
                          size_t total)
{
    static uint8_t buf[1 << 16], rbuf[1 << 16];
    struct memlink_impair im;
    struct tcpfsm_stack *c, *s;
    int cfd, sfd;
    size_t sent = 0, rcvd = 0;
    now_us = 1000000;
    L = memlink_new(seed, now_us);
    nstacks = 0;
    stack_flags = sack ? 0 : TCPFSM_F_NO_SACK;
    c = new_stack(CLIENT_ADDR, 1500, bufsz, 16);
    s = new_stack(SERVER_ADDR, 1500, bufsz, 16);
    stack_flags = 0;
    memset(&im, 0, sizeof im);
    im.delay_us = rtt_us / 2;
    im.loss = loss;
    im.rate_bps = 100000000;
    im.queue_limit = 1000;
    memlink_set_impair(L, CLIENT_ADDR, SERVER_ADDR, &im);
    im.loss = 0; /* ACK path: delay only, so the figure is about data loss */
    memlink_set_impair(L, SERVER_ADDR, CLIENT_ADDR, &im);
    open_pair(c, s, PORT, &cfd, &sfd, "memlink matrix");
    uint64_t t0 = now_us, limit = now_us + 600000000ull; /* 10 virtual minutes */
    while (rcvd < total && now_us < limit) {
        while (sent < total) {
            long n =
                tcpfsm_send(c, cfd, buf, total - sent < sizeof buf ? total - sent : sizeof buf);
            if (n <= 0) break;
            sent += (size_t)n;
        }
        pump();
        for (long n; (n = tcpfsm_recv(s, sfd, rbuf, sizeof rbuf)) > 0;)
            rcvd += (size_t)n;
        pump();
        /* jump to the next thing that can happen: a delivery or a timer */
        uint64_t next =
            min3(memlink_next_delivery(L), tcpfsm_next_timeout(c), tcpfsm_next_timeout(s));
        if (next == UINT64_MAX) next = now_us + 1000;
        if (next > now_us) now_us = next;
        tcpfsm_advance(c, now_us);
        tcpfsm_advance(s, now_us);
    }
    double el = (double)(now_us - t0) / 1e6;
    tcpfsm_stack_free(c);
    tcpfsm_stack_free(s);
    memlink_free(L);
    return rcvd < total ? -1 : (double)total * 8 / el / 1e6;
}

static void bench_matrix(void)
{
    static const uint32_t bufs[] = {65536, 262144};
    static const double losses[] = {0, 0.01, 0.05};
    static const uint32_t rtts[] = {2000, 50000};
    size_t total = bench_quick() ? (256u << 10) : (4u << 20);
    int runs = bench_quick() ? 1 : BENCH_RUNS;
    for (size_t b = 0; b < 2; b++)
        for (size_t l = 0; l < 3; l++)
            for (size_t t = 0; t < 2; t++) {
                double on[BENCH_RUNS], off[BENCH_RUNS];
                char name[128];
                snprintf(name, sizeof name,
                         "memlink goodput 100M link, buf %u KB, loss %g%%, RTT %u ms",
                         bufs[b] / 1024, losses[l] * 100, rtts[t] / 1000);
                for (int r = 0; r < runs; r++) {
                    on[r] = matrix_once(bufs[b], losses[l], rtts[t], 1, 100 + (uint64_t)r, total);
                    off[r] = matrix_once(bufs[b], losses[l], rtts[t], 0, 100 + (uint64_t)r, total);
                    if (on[r] < 0 || off[r] < 0) {
                        printf(
                            "FAIL\t%s\ttransfer did not finish in 10 virtual minutes (SACK %s)\n",
                            name, on[r] < 0 ? "on" : "off");
                        goto next;
                    }
                }
                bench_row(name, bench_median(on, runs), "Mbit/s", "same with SACK off",
                          bench_median(off, runs));
            next:;
            }
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    if (strcmp(what, "bulk") == 0)
        bench_bulk();
    else if (strcmp(what, "connrate") == 0)
        bench_connrate();
    else if (strcmp(what, "memory") == 0)
        bench_memory();
    else if (strcmp(what, "matrix") == 0)
        bench_matrix();
    else {
        fprintf(stderr, "usage: bench_stack bulk|connrate|memory|matrix\n");
        return 2;
    }
    return 0;
}
