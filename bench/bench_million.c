/*
 * bench_million.c — the seed's question, "a TCB is about 1 KB, so 1M connections = 1 GB",
 * asked of two whole stacks (issue 16): a client stack opens 1,000,000 connections to a server
 * stack in the same process (bench_wire.h: every packet handed over at once), the server
 * accepts each one and watches it in its interest set (tcpfsm_epoll_ctl, level-triggered
 * IN), as a server holding a million idle clients would. Measured:
 *   time   wall clock from the first connect to the last accept, batches of 4,096 connects;
 *   RSS    /proc/self/statm growth over the same span, per connection end (the two stacks
 *          hold 2N ends: descriptors, TCBs, tables, interest set), next to the chapter's 1 KB;
 *   census each stack's tcpfsm_sockstat byte counts.
 * Then one wakeup (one byte on one connection) must be found by tcpfsm_epoll_wait among the
 * million. The server listens on 100 ports so that no (address, port) pair runs short of the
 * client's 16,384 ephemeral ports. BENCH_QUICK: 10,000 connections. Skipped when MemAvailable
 * (/proc/meminfo) is below 2 KB per connection end + 512 MB.
 */
#include <errno.h>
#include <unistd.h>

#include "bench_wire.h"
#include "tcpfsm.h"

#define BASE_PORT 8000
#define BATCH 4096

static long rss_bytes(void)
{
    long size = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    if (fscanf(f, "%ld %ld", &size, &res) != 2) res = -1;
    fclose(f);
    return res * sysconf(_SC_PAGESIZE);
}

static long mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

int main(void)
{
    const int n = bench_quick() ? 10000 : 1000000;
    const int nports = n / 10000 > 0 ? n / 10000 : 1;
    char name[160];
    snprintf(name, sizeof name, "%d idle connections, two stacks in memory: RSS per end", n);
    long avail = mem_available();
    if (avail >= 0 && avail < 2L * 2048 * n + (512L << 20)) {
        bench_skip(name, "not enough MemAvailable");
        return 0;
    }
    struct tcpfsm_stack *c = wire_stack(CLI_ADDR, &to_srv, &seed_c, (uint32_t)n + 1024);
    struct tcpfsm_stack *s = wire_stack(SRV_ADDR, &to_cli, &seed_s, (uint32_t)n + 1024);
    int *lfd = calloc((size_t)nports, sizeof *lfd);
    for (int p = 0; p < nports; p++) {
        lfd[p] = tcpfsm_socket(s);
        if (tcpfsm_bind(s, lfd[p], 0, (uint16_t)(BASE_PORT + p)) || tcpfsm_listen(s, lfd[p], BATCH))
            abort();
    }
    long rss0 = rss_bytes();
    uint64_t t0 = bench_now_ns();
    int opened = 0, accepted = 0;
    while (opened < n) {
        for (int b = 0; b < BATCH && opened < n; b++, opened++) {
            int fd = tcpfsm_socket(c);
            int e = fd < 0
                        ? fd
                        : tcpfsm_connect(c, fd, SRV_ADDR, (uint16_t)(BASE_PORT + opened % nports));
            if (e != -EINPROGRESS) {
                fprintf(stderr, "connect %d: %d\n", opened, e);
                return 1;
            }
        }
        wire_pump(c, s);
        for (int p = 0; p < nports; p++) {
            int fd;
            while ((fd = tcpfsm_accept(s, lfd[p], NULL, NULL)) >= 0) {
                struct tcpfsm_event ev = {.events = TCPFSM_POLLIN, .data = (uint64_t)fd};
                if (tcpfsm_epoll_ctl(s, TCPFSM_EPOLL_CTL_ADD, fd, &ev)) abort();
                accepted++;
            }
        }
    }
    double secs = (double)(bench_now_ns() - t0) / 1e9;
    long rss1 = rss_bytes();
    if (accepted != n) {
        fprintf(stderr, "accepted %d of %d\n", accepted, n);
        return 1;
    }
    struct tcpfsm_event evs[64];
    while (tcpfsm_epoll_wait(s, evs, 64) > 0) { /* what the ADDs queued: nothing holds */
    }
    /* one byte on one connection: one report among them all (the median of 101 tries, each
     * on a different connection) */
    double w[101];
    uint64_t rs = 7;
    for (int k = 0; k < 101; k++) {
        int fd = (int)(bench_rand(&rs) % (uint64_t)n); /* client descriptors are 0..n-1 */
        if (tcpfsm_send(c, fd, "x", 1) != 1) abort();
        wire_pump(c, s);
        uint64_t w0 = bench_now_ns();
        int got = tcpfsm_epoll_wait(s, evs, 64);
        char b;
        long r = got == 1 ? tcpfsm_recv(s, (int)evs[0].data, &b, 1) : -1;
        w[k] = (double)(bench_now_ns() - w0);
        if (got != 1 || r != 1) {
            fprintf(stderr, "one byte sent, %d descriptors reported\n", got);
            return 1;
        }
        tcpfsm_advance(s, tcpfsm_now(s) + 200000); /* the delayed ACK goes back */
        wire_pump(c, s);
    }
    double wait_ns = bench_median(w, 101);
    struct tcpfsm_sockstat sc, ss;
    tcpfsm_sockstat(c, &sc);
    tcpfsm_sockstat(s, &ss);
    fprintf(stderr,
            "%d connections in %.2f s (%.0f/s); RSS +%.1f MB = %.0f B per end; census client "
            "tcb %.0f B table %.0f B, server tcb %.0f B table %.0f B per connection; one "
            "wakeup found and read in %.0f ns\n",
            n, secs, n / secs, (rss1 - rss0) / 1e6, (double)(rss1 - rss0) / (2.0 * n),
            (double)sc.tcb_bytes / n, (double)sc.table_bytes / n, (double)ss.tcb_bytes / n,
            (double)ss.table_bytes / n, wait_ns);
    bench_row(name, (double)(rss1 - rss0) / (2.0 * n), "B",
              "the chapter's 1 KB per connection (1M = 1 GB)", 1024);
    snprintf(name, sizeof name, "%d idle connections, two stacks in memory: time to open", n);
    bench_row_noref(name, secs, "s");
    snprintf(name, sizeof name,
             "%d idle connections, two stacks in memory: opens per second (both ends' work)", n);
    bench_row_noref(name, n / secs, "conn/s");
    snprintf(name, sizeof name,
             "%d idle connections: tcpfsm_epoll_wait + recv finding the one with data", n);
    bench_row_noref(name, wait_ns, "ns");
    tcpfsm_stack_free(c);
    tcpfsm_stack_free(s);
    free(lfd);
    return 0;
}
