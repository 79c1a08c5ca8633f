/*
 * bench_linux_connrate.c — the Linux reference for the connection-rate benchmark: the same
 * pattern (connect + 1 byte each way + close, client closes first) between two sockets of
 * the kernel over loopback, one at a time and 1,000 in flight, blocking calls, one thread.
 * Run by bench/run.py inside a throw-away network namespace (sysctls set there only).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
            if (c[k] < 0 || connect(c[k], (struct sockaddr *)&sa, sizeof sa) < 0)
                die("connect");
        }
        for (int k = 0; k < inflight; k++) {
            int one = 1;
            s[k] = accept(lfd, NULL, NULL);
            if (s[k] < 0)
                die("accept");
            setsockopt(c[k], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            setsockopt(s[k], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (write(c[k], &b, 1) != 1 || write(s[k], &b, 1) != 1)
                die("write");
        }
        for (int k = 0; k < inflight; k++) {
            if (read(s[k], &b, 1) != 1 || read(c[k], &b, 1) != 1)
                die("read");
            close(c[k]);
        }
        for (int k = 0; k < inflight; k++)
            close(s[k]);
    }
    return n / ((double)(bench_now_ns() - t0) / 1e9);
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
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4096) < 0)
        die("listen");
    for (int r = 0; r < BENCH_RUNS; r++) {
        seq[r] = rate_once(lfd, n / 5, 1);
        par[r] = rate_once(lfd, n, 1000);
    }
    bench_row_noref("Linux loopback connection rate sequential", bench_median(seq, BENCH_RUNS), "conn/s");
    bench_row_noref("Linux loopback connection rate 1000 in flight", bench_median(par, BENCH_RUNS), "conn/s");
    return 0;
}
