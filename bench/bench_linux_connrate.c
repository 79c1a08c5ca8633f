/*
 * bench_linux_connrate.c — the Linux reference for the connection-rate benchmark: the same
 * pattern (connect + 1 byte each way + close, client closes first) between two sockets of
 * the kernel over loopback, one at a time and 1,000 in flight, blocking calls, one thread.
 * Run by bench/run.py inside a throw-away network namespace (sysctls set there only).
 * Then the Linux reference of the memory benchmark: the growth of the kernel's slab
 * (/proc/meminfo Slab) per endpoint with N idle established loopback pairs. The slab is
 * machine-wide, so other activity adds noise; the median of BENCH_RUNS rounds is reported.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

static struct sockaddr_in sa;

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static double rate_once(int lfd, int n, int inflight)
{
    static int c[1000], s[1000];
    char b = 'x';
    uint64_t t0 = bench_now_ns();
    for (int done = 0; done < n; done += inflight) {
        for (int k = 0; k < inflight; k++) {
            c[k] = socket(AF_INET, SOCK_STREAM, 0);
            if (c[k] < 0 || connect(c[k], (struct sockaddr *)&sa, sizeof sa) < 0) die("connect");
        }
        for (int k = 0; k < inflight; k++) {
            int one = 1;
            s[k] = accept(lfd, NULL, NULL);
            if (s[k] < 0) die("accept");
            setsockopt(c[k], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            setsockopt(s[k], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (write(c[k], &b, 1) != 1 || write(s[k], &b, 1) != 1) die("write");
        }
        for (int k = 0; k < inflight; k++) {
            if (read(s[k], &b, 1) != 1 || read(c[k], &b, 1) != 1) die("read");
            close(c[k]);
        }
        for (int k = 0; k < inflight; k++)
            close(s[k]);
    }
    return n / ((double)(bench_now_ns() - t0) / 1e9);
}

static long slab_kib(void)
{
    char line[256];
    long v = -1;
    FILE *f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Slab: %ld kB", &v) == 1) break;
    if (f) fclose(f);
    return v;
}

/* Kernel slab bytes per endpoint with n idle established pairs (accepted, nothing sent). */
static double slab_per_endpoint(int lfd, int n)
{
    static int c[20000], s[20000];
    long before = slab_kib();
    for (int k = 0; k < n; k++) {
        c[k] = socket(AF_INET, SOCK_STREAM, 0);
        if (c[k] < 0 || connect(c[k], (struct sockaddr *)&sa, sizeof sa) < 0)
            die("connect (memory)");
        s[k] = accept(lfd, NULL, NULL);
        if (s[k] < 0) die("accept (memory)");
    }
    long after = slab_kib();
    for (int k = 0; k < n; k++) {
        close(c[k]);
        close(s[k]);
    }
    return (double)(after - before) * 1024.0 / (2.0 * n);
}

int main(void)
{
    int n = bench_quick() ? 1000 : 5000, one = 1;
    double seq[BENCH_RUNS], par[BENCH_RUNS];
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(5002);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4096) < 0) die("listen");
    for (int r = 0; r < BENCH_RUNS; r++) {
        seq[r] = rate_once(lfd, n / 5, 1);
        par[r] = rate_once(lfd, n, 1000);
    }
    bench_row_noref("Linux loopback connection rate sequential", bench_median(seq, BENCH_RUNS),
                    "conn/s");
    bench_row_noref("Linux loopback connection rate 1000 in flight", bench_median(par, BENCH_RUNS),
                    "conn/s");

    /* Two descriptors per pair: as many pairs as the descriptor limit allows, up to 20,000. */
    int m = bench_quick() ? 2000 : 20000;
    rlim_t nofile = bench_raise_nofile();
    if (nofile != RLIM_INFINITY && (rlim_t)m > (nofile - 64) / 2) m = (int)((nofile - 64) / 2);
    if (m < 1000) {
        bench_skip("Linux kernel slab per idle endpoint",
                   "RLIMIT_NOFILE allows fewer than 1,000 pairs");
        return 0;
    }
    double mem[BENCH_RUNS];
    for (int r = 0; r < BENCH_RUNS; r++) {
        mem[r] = slab_per_endpoint(lfd, m);
        usleep(200000); /* let the closed sockets' memory go back before the next round */
    }
    char name[96];
    snprintf(name, sizeof name, "Linux kernel slab per idle endpoint (%d idle loopback pairs)", m);
    bench_row_noref(name, bench_median(mem, BENCH_RUNS), "B");
    return 0;
}
