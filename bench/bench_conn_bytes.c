/*
 * bench_conn_bytes.c — bytes per idle ESTABLISHED connection in our stack, for the chapter's
 * "a TCB is about 1 KB, so 1M connections = 1 GB" (issue 17), at N = 1,000 .. 1,000,000.
 *
 * One stack and a synthetic peer in this process: the peer is a few lines below that answer
 * the stack's segments from the headers alone (a SYN-ACK with the ACK that completes it, a SYN
 * with a SYN-ACK, a FIN with FIN+ACK) and keep nothing per connection, so whatever the heap
 * gains belongs to the stack. Passive side: N SYNs from N (address, port) pairs to a listener,
 * each connection accepted. Active side: N connect()s, 1,000 per peer address. Measured:
 *   heap   mallinfo2() uordblks + hblkhd (bytes malloc handed out, chunk headers included,
 *          mmapped blocks included) after minus before, divided by N;
 *   RSS    /proc/self/statm growth over the same span, divided by N (each side and N in a
 *          child process of its own, so no memory freed earlier is reused);
 *   census tcpfsm_sockstat's tcb_bytes, table_bytes, record_bytes growth, divided by N.
 * Then the passive side's connections are closed (ours first) and the peer's FIN puts each in
 * TIME_WAIT: heap per TIME_WAIT record, the connection and descriptor tables (which do not
 * shrink) and the freed TCBs kept for reuse (at most 4,096 each) left out.
 * N is skipped when MemAvailable (/proc/meminfo) is below 3 KB per connection + 512 MB.
 * Rows on stdout (bench_util.h); a readable table on stderr (build/bench/logs/).
 */
#include <errno.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "packet.h"
#include "tcp_layer.h"
#include "tcpfsm.h"

#define SRV_ADDR 0x0a000001u  /* 10.0.0.1, the stack on the passive side */
#define CLI_ADDR 0x0a000002u  /* 10.0.0.2, the stack on the active side */
#define PEER_BASE 0x0b000000u /* 11.0.0.0/8: the synthetic peer's addresses */
#define PORT 80
#define BATCH 1024 /* connections per round: below the listener's backlog (4096) */
#define PER_ADDR 1000

struct peer { /* the synthetic peer: the stack's segments of the current round */
    struct tcp_seg seg[4 * BATCH];
    unsigned n;
    uint64_t rng;
};

static void peer_output(void *arg, const void *pkt, size_t len)
{
    struct peer *p = arg;
    struct tcp_seg s;
    if (p->n < sizeof p->seg / sizeof p->seg[0] && pkt_parse(pkt, len, &s) == PKT_OK) {
        s.data = NULL;
        p->seg[p->n++] = s;
    }
}

static uint64_t peer_random(void *arg)
{
    return bench_rand(&((struct peer *)arg)->rng);
}

/* The peer's segment seg (addresses as seen from the peer) into the stack. */
static void peer_send(struct tcpfsm_stack *st, const struct tcp_seg *seg)
{
    uint8_t buf[128];
    size_t n = pkt_build(buf, sizeof buf, seg, 0);
    if (n) tcpfsm_input(st, buf, n);
}

/* Answer what the stack sent this round: its SYN-ACK with the ACK (passive open), its SYN
 * with a SYN-ACK (active open), its FIN with FIN+ACK (close); ACKs need nothing. */
static void peer_answer(struct tcpfsm_stack *st, struct peer *p)
{
    unsigned n = p->n;
    p->n = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct tcp_seg *in = &p->seg[i];
        struct tcp_seg r = {.saddr = in->daddr,
                            .daddr = in->saddr,
                            .sport = in->dport,
                            .dport = in->sport,
                            .ttl = 64,
                            .wnd = 65535};
        if ((in->flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
            r.seq = in->ack;
            r.ack = in->seq + 1;
            r.flags = TCP_ACK;
        } else if (in->flags & TCP_SYN) {
            r.seq = (uint32_t)bench_rand(&p->rng);
            r.ack = in->seq + 1;
            r.flags = TCP_SYN | TCP_ACK;
            r.opt.has_mss = 1;
            r.opt.mss = 1460;
        } else if (in->flags & TCP_FIN) {
            r.seq = in->ack;
            r.ack = in->seq + in->len + 1;
            r.flags = TCP_FIN | TCP_ACK;
        } else {
            continue;
        }
        peer_send(st, &r);
    }
}

static struct tcpfsm_stack *new_stack(uint32_t addr, struct peer *p, int n)
{
    struct tcpfsm_config cfg = {.addr = addr,
                                .output = peer_output,
                                .output_arg = p,
                                .random = peer_random,
                                .random_arg = p,
                                .now = 1000000,
                                .max_sockets = (uint32_t)n + 64,
                                .max_buffer_bytes = (uint64_t)1 << 40};
    int err = 0;
    struct tcpfsm_stack *st = tcpfsm_stack_new(&cfg, &err);
    if (!st) {
        fprintf(stderr, "tcpfsm_stack_new: %d\n", err);
        exit(1);
    }
    return st;
}

/* A row whose reference is a row of another program in the same run (run.py fills it in). */
static void row_ref_row(const char *name, double value, const char *ref)
{
    printf("ROW\t%s\t%.6g\tB\t%s\t-\n", name, value, ref);
    fflush(stdout);
}

static uint64_t heap_bytes(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

static uint64_t rss_bytes(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    if (f) fclose(f);
    return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t mem_available(void)
{
    char line[256];
    unsigned long long kb = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb * 1024;
}

struct figures {
    double heap, rss, tcb, table, record; /* bytes per connection */
    double tw_heap, tw_record;            /* bytes per TIME_WAIT record (passive side) */
};

static uint32_t peer_addr(int i)
{
    return PEER_BASE + 1u + (uint32_t)(i / 50000);
}

static void fail(const char *what)
{
    printf("FAIL\tbytes per connection\t%s\n", what);
    exit(1);
}

static void passive(int n, struct figures *fg)
{
    struct peer *p = calloc(1, sizeof *p);
    int *fds = malloc((size_t)n * sizeof *fds);
    if (!p || !fds) fail("out of memory");
    p->rng = 0x5eed;
    struct tcpfsm_stack *st = new_stack(SRV_ADDR, p, n);
    int l = tcpfsm_socket(st);
    if (tcpfsm_bind(st, l, 0, PORT) || tcpfsm_listen(st, l, 4096)) fail("listen");
    struct tcpfsm_sockstat c0, c1, c2;
    tcpfsm_sockstat(st, &c0);
    uint64_t h0 = heap_bytes(), r0 = rss_bytes();
    int got = 0;
    for (int i = 0; i < n; i += BATCH) {
        int end = i + BATCH < n ? i + BATCH : n;
        for (int k = i; k < end; k++) {
            struct tcp_seg syn = {.saddr = peer_addr(k),
                                  .daddr = SRV_ADDR,
                                  .sport = (uint16_t)(1024 + k % 50000),
                                  .dport = PORT,
                                  .seq = (uint32_t)k * 7919u,
                                  .flags = TCP_SYN,
                                  .ttl = 64,
                                  .wnd = 65535,
                                  .opt = {.has_mss = 1, .mss = 1460}};
            peer_send(st, &syn);
        }
        peer_answer(st, p); /* SYN-ACKs -> ACKs */
        for (int fd; (fd = tcpfsm_accept(st, l, NULL, NULL)) >= 0;)
            fds[got++] = fd;
    }
    if (got != n) fail("passive side: not every connection was accepted");
    uint64_t h1 = heap_bytes(), r1 = rss_bytes();
    tcpfsm_sockstat(st, &c1);
    if (c1.inuse != (uint32_t)n + 1 || c1.orphan || c1.mem) fail("passive side: census");
    fg->heap = (double)(h1 - h0) / n;
    fg->rss = (double)(r1 - r0) / n;
    fg->tcb = (double)(c1.tcb_bytes - c0.tcb_bytes) / n;
    fg->table = (double)(c1.table_bytes - c0.table_bytes) / n;
    fg->record = (double)(c1.record_bytes - c0.record_bytes) / n;

    /* Our close first, the peer's FIN+ACK: every connection to TIME_WAIT, a record. */
    uint64_t tables1 =
        (uint64_t)st->fds_cap * sizeof *st->fds + ((uint64_t)st->hash_mask + 1) * sizeof *st->hash;
    for (int i = 0; i < n; i += BATCH) {
        int end = i + BATCH < n ? i + BATCH : n;
        for (int k = i; k < end; k++)
            tcpfsm_close(st, fds[k]);
        peer_answer(st, p); /* FINs -> FIN+ACKs */
        p->n = 0;           /* our last ACKs */
    }
    tcpfsm_sockstat(st, &c2);
    if (c2.tw != (uint32_t)n || c2.inuse != 1)
        fail("passive side: not every close ended in TIME_WAIT");
    /* Left out of the TIME_WAIT figure: the connection and descriptor tables grown for N
     * (they do not shrink; 64 entries each before), the TCBs and data-path blocks kept for
     * reuse (runtime/tcb.h TCPFSM_CACHES_ON). */
    uint64_t kept = (uint64_t)st->tcb_cache_n * malloc_usable_size(st->tcb_cache) +
                    (uint64_t)st->bufs_cache_n * malloc_usable_size(st->bufs_cache);
    uint64_t grown = tables1 - 64 * sizeof *st->fds - 64 * sizeof *st->hash;
    uint64_t h2 = heap_bytes();
    fg->tw_heap = ((double)(h2 - h0) - (double)kept - (double)grown) / n;
    fg->tw_record = (double)(c2.record_bytes - c0.record_bytes) / n;
    tcpfsm_stack_free(st);
    free(fds);
    free(p);
}

static void active(int n, struct figures *fg)
{
    struct peer *p = calloc(1, sizeof *p);
    if (!p) fail("out of memory");
    p->rng = 0xc11e;
    struct tcpfsm_stack *st = new_stack(CLI_ADDR, p, n);
    struct tcpfsm_sockstat c0, c1;
    tcpfsm_sockstat(st, &c0);
    uint64_t h0 = heap_bytes(), r0 = rss_bytes();
    for (int i = 0; i < n; i += BATCH) {
        int end = i + BATCH < n ? i + BATCH : n;
        for (int k = i; k < end; k++) {
            int fd = tcpfsm_socket(st);
            if (fd < 0 || tcpfsm_connect(st, fd, PEER_BASE + 1u + (uint32_t)(k / PER_ADDR), PORT) !=
                              -EINPROGRESS)
                fail("active side: connect");
        }
        peer_answer(st, p); /* SYNs -> SYN-ACKs */
        p->n = 0;           /* the ACKs that complete them */
    }
    uint64_t h1 = heap_bytes(), r1 = rss_bytes();
    tcpfsm_sockstat(st, &c1);
    struct tcpfsm_stats s;
    tcpfsm_get_stats(st, &s);
    if (s.CurrEstab != (uint64_t)n || c1.mem) fail("active side: not every connection established");
    fg->heap = (double)(h1 - h0) / n;
    fg->rss = (double)(r1 - r0) / n;
    fg->tcb = (double)(c1.tcb_bytes - c0.tcb_bytes) / n;
    fg->table = (double)(c1.table_bytes - c0.table_bytes) / n;
    fg->record = (double)(c1.record_bytes - c0.record_bytes) / n;
    tcpfsm_stack_free(st);
    free(p);
}

/* Each measurement in a child of its own, so the heap and RSS it starts from hold nothing
 * freed by an earlier one (glibc keeps freed memory for reuse: RSS would not grow). */
static void measure(void (*side)(int, struct figures *), int n, struct figures *fg)
{
    int fd[2];
    if (pipe(fd)) fail("pipe");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
        close(fd[0]);
        struct figures f = {0};
        side(n, &f);
        _exit(write(fd[1], &f, sizeof f) == (ssize_t)sizeof f ? 0 : 1);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], fg, sizeof *fg);
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got != (ssize_t)sizeof *fg || !WIFEXITED(status) || WEXITSTATUS(status))
        fail("a measurement's child failed");
}

int main(void)
{
    static const int sizes[] = {1000, 10000, 100000, 1000000};
    int nsizes = bench_quick() ? 2 : 4;
    char name[160];
    fprintf(stderr, "%-10s %-8s %9s %9s %9s %9s %9s %11s %11s\n", "N", "side", "heap B", "RSS B",
            "tcb B", "table B", "record B", "TW heap B", "TW record B");
    for (int i = 0; i < nsizes; i++) {
        int n = sizes[i];
        uint64_t avail = mem_available(), need = (uint64_t)n * 3072 + ((uint64_t)512 << 20);
        if (avail < need) {
            snprintf(name, sizeof name, "bytes per idle connection, N=%d", n);
            char why[128];
            snprintf(why, sizeof why, "MemAvailable %llu MB < %llu MB needed",
                     (unsigned long long)(avail >> 20), (unsigned long long)(need >> 20));
            bench_skip(name, why);
            continue;
        }
        struct figures pas = {0}, act = {0};
        uint64_t t0 = bench_now_ns();
        measure(passive, n, &pas);
        measure(active, n, &act);
        fprintf(stderr, "%-10d %-8s %9.1f %9.1f %9.1f %9.1f %9.1f %11.1f %11.1f\n", n, "passive",
                pas.heap, pas.rss, pas.tcb, pas.table, pas.record, pas.tw_heap, pas.tw_record);
        fprintf(stderr, "%-10d %-8s %9.1f %9.1f %9.1f %9.1f %9.1f %11s %11s   (%.1f s)\n", n,
                "active", act.heap, act.rss, act.tcb, act.table, act.record, "-", "-",
                (double)(bench_now_ns() - t0) / 1e9);
        snprintf(name, sizeof name, "bytes per idle connection, ours passive, heap (N=%d)", n);
        bench_row(name, pas.heap, "B", "chapter's 1 KB per TCB", 1024);
        snprintf(name, sizeof name, "bytes per idle connection, ours active, heap (N=%d)", n);
        bench_row(name, act.heap, "B", "chapter's 1 KB per TCB", 1024);
        snprintf(name, sizeof name,
                 "bytes per idle connection, ours passive, census tcb+table (N=%d)", n);
        bench_row(name, pas.tcb + pas.table + pas.record, "B", "chapter's 1 KB per TCB", 1024);
        if (i == nsizes - 1) {
            snprintf(name, sizeof name,
                     "bytes per idle connection, ours passive, heap vs Linux (N=%d)", n);
            row_ref_row(name, pas.heap, "Linux kernel bytes per idle TCP socket");
            snprintf(name, sizeof name, "bytes per idle connection, ours passive, RSS (N=%d)", n);
            row_ref_row(name, pas.rss, "Linux kernel bytes per idle TCP socket");
            snprintf(name, sizeof name, "bytes per TIME_WAIT, ours, heap (N=%d)", n);
            row_ref_row(name, pas.tw_heap, "Linux TIME_WAIT socket");
            snprintf(name, sizeof name, "bytes per TIME_WAIT, ours, census record (N=%d)", n);
            bench_row_noref(name, pas.tw_record, "B");
        }
    }
    return 0;
}
