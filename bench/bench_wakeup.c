/*
 * bench_wakeup.c — the cost of one wakeup when one connection of many has news (issue 16).
 *
 * N idle ESTABLISHED connections and one active one between two stacks in this process,
 * joined by a wire that hands each packet to the other stack at once. One wakeup is: the
 * client sends one byte on the active connection, the segment reaches the server, the server
 * finds the connection that has data and reads the byte. The server's ACK goes back outside
 * the timed span. Two ways for the server to find it:
 *   epoll  tcpfsm_epoll_wait on the stack's interest set (every connection watched, LT IN);
 *   scan   tcpfsm_poll on every descriptor, what the example servers did before.
 * Reference, measured the same way in the same run: the Linux kernel over loopback with N idle
 * TCP connections and one active (write(2) one byte, epoll_wait(2), read(2)).
 * N = 1, 1,000, 10,000 (and 100,000 outside BENCH_QUICK); the median of BENCH_RUNS batches.
 * Flat in N is the goal.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "bench_wire.h"
#include "tcpfsm.h"

#define PORT 80

/* ours: returns the median ns per wakeup, epoll or scan */
static double ours(int nidle, int iters, int scan)
{
    struct tcpfsm_stack *c = wire_stack(CLI_ADDR, &to_srv, &seed_c, (uint32_t)nidle + 16);
    struct tcpfsm_stack *s = wire_stack(SRV_ADDR, &to_cli, &seed_s, (uint32_t)nidle + 16);
    /* one listening port per 10,000 connections: the client has 16,384 ephemeral ports */
    int total = nidle + 1, cfd = -1, sfd = -1, accepted = 0, nports = total / 10000 + 1;
    for (int p = 0; p < nports; p++) { /* descriptors 0..nports-1 */
        int lfd = tcpfsm_socket(s);
        if (tcpfsm_bind(s, lfd, 0, (uint16_t)(PORT + p)) || tcpfsm_listen(s, lfd, 1024)) abort();
    }
    for (int i = 0; i < total;) {
        int batch = 0;
        for (; i < total && batch < 512; i++, batch++) {
            int fd = tcpfsm_socket(c);
            if (fd < 0 ||
                tcpfsm_connect(c, fd, SRV_ADDR, (uint16_t)(PORT + i % nports)) != -EINPROGRESS)
                abort();
            cfd = fd; /* the last one opened is the active one */
        }
        wire_pump(c, s);
        int fd;
        for (int lfd = 0; lfd < nports; lfd++)
            while ((fd = tcpfsm_accept(s, lfd, NULL, NULL)) >= 0) {
                struct tcpfsm_event ev = {.events = TCPFSM_POLLIN, .data = (uint64_t)fd};
                if (!scan && tcpfsm_epoll_ctl(s, TCPFSM_EPOLL_CTL_ADD, fd, &ev)) abort();
                sfd = fd;
                accepted++;
            }
    }
    if (accepted != total) {
        fprintf(stderr, "accepted %d of %d\n", accepted, total);
        exit(1);
    }
    struct tcpfsm_event evs[64];
    if (!scan) /* the ADDs queued every descriptor once: nothing holds yet */
        while (tcpfsm_epoll_wait(s, evs, 64) > 0) {
        }
    int maxfd = sfd + 1;
    double med[BENCH_RUNS];
    for (int r = 0; r < BENCH_RUNS; r++) {
        uint64_t spent = 0;
        for (int k = 0; k < iters; k++) {
            uint64_t t0 = bench_now_ns();
            if (tcpfsm_send(c, cfd, "x", 1) != 1) abort();
            wire_deliver(&to_srv, s);
            int got = 0;
            char b;
            if (scan) {
                for (int fd = nports; fd < maxfd; fd++) /* every connection */
                    if (tcpfsm_poll(s, fd) & TCPFSM_POLLIN) got += tcpfsm_recv(s, fd, &b, 1) == 1;
            } else {
                int n = tcpfsm_epoll_wait(s, evs, 64);
                for (int e = 0; e < n; e++)
                    got += tcpfsm_recv(s, (int)evs[e].data, &b, 1) == 1;
            }
            spent += bench_now_ns() - t0;
            if (got != 1) {
                fprintf(stderr, "wakeup found %d connections with data\n", got);
                exit(1);
            }
            /* the server's ACK (delayed: run its timer) back to the client, untimed */
            tcpfsm_advance(s, tcpfsm_now(s) + 200000);
            tcpfsm_advance(c, tcpfsm_now(c) + 200000);
            wire_pump(c, s);
        }
        med[r] = (double)spent / iters;
    }
    if (!scan) { /* the other connections stayed idle: never reported */
        if (tcpfsm_epoll_wait(s, evs, 64) != 0) abort();
    }
    tcpfsm_stack_free(c);
    tcpfsm_stack_free(s);
    return bench_median(med, BENCH_RUNS);
}

/* Linux over loopback: N idle connections and one active, epoll on the server side. The
 * idle connections' client ends live in a child process, so that this process needs only one
 * descriptor per connection (the descriptor limit cannot be raised in every container). */
static double linux_epoll(int nidle, int iters)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 4096) ||
        getsockname(l, (struct sockaddr *)&a, &alen))
        return -1;
    int done[2], hold[2];
    if (pipe(done) || pipe(hold)) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) { /* the idle clients: connect, report, wait for the parent to finish */
        close(done[0]);
        close(hold[1]);
        char ok = 1;
        for (int i = 0; i < nidle && ok; i++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            /* 20,000 per source address: the ephemeral range holds ~28,000 */
            struct sockaddr_in src = {.sin_family = AF_INET,
                                      .sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + i / 20000)};
            ok = fd >= 0 && !bind(fd, (struct sockaddr *)&src, sizeof src) &&
                 !connect(fd, (struct sockaddr *)&a, sizeof a);
        }
        if (write(done[1], &ok, 1) != 1) _exit(1);
        char b;
        while (read(hold[0], &b, 1) > 0) {
        }
        _exit(0);
    }
    close(done[1]);
    close(hold[0]);
    int ep = epoll_create1(0);
    int *sv = malloc(sizeof(int) * (size_t)(nidle + 1)), act_srv = -1;
    for (int i = 0; i <= nidle; i++) {
        int cl = -1;
        if (i == nidle) { /* the active one: both ends here */
            cl = socket(AF_INET, SOCK_STREAM, 0);
            if (cl < 0 || connect(cl, (struct sockaddr *)&a, sizeof a)) return -1;
            setsockopt(cl, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        sv[i] = accept(l, NULL, NULL);
        if (sv[i] < 0) return -1;
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = sv[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, sv[i], &ev);
        if (i == nidle) { /* keep both ends of the active one */
            act_srv = sv[i];
            sv[i] = cl;
        }
    }
    char ok = 0;
    if (read(done[0], &ok, 1) != 1 || !ok) return -1;
    int act = sv[nidle];
    struct epoll_event evs[64];
    double med[BENCH_RUNS];
    for (int r = 0; r < BENCH_RUNS; r++) {
        uint64_t spent = 0;
        for (int k = 0; k < iters; k++) {
            uint64_t t0 = bench_now_ns();
            if (write(act, "x", 1) != 1) return -1;
            int got = 0;
            while (!got) {
                int n = epoll_wait(ep, evs, 64, 1000);
                char b;
                for (int e = 0; e < n; e++)
                    got += read(evs[e].data.fd, &b, 1) == 1;
            }
            spent += bench_now_ns() - t0;
        }
        med[r] = (double)spent / iters;
    }
    close(hold[1]); /* the child exits and its ends close */
    waitpid(pid, NULL, 0);
    close(done[0]);
    for (int i = 0; i <= nidle; i++)
        close(sv[i]);
    close(act_srv);
    close(ep);
    close(l);
    free(sv);
    return bench_median(med, BENCH_RUNS);
}

/* Usage: bench_wakeup [N...]  (default: 1 1000 10000 100000, BENCH_QUICK: 1 100 1000) */
int main(int argc, char **argv)
{
    int quick = bench_quick();
    rlim_t nofile = bench_raise_nofile();
    const int ns[] = {1, 1000, 10000, 100000};
    int count = quick ? 3 : 4;
    int iters = quick ? 200 : 20000;
    if (argc > 1) count = argc - 1;
    for (int i = 0; i < count; i++) {
        int n = argc > 1 ? atoi(argv[i + 1]) : quick && ns[i] > 1 ? ns[i] / 10 : ns[i];
        double ep = ours(n, iters, 0);
        /* the scan is O(N): fewer iterations at large N keep the run short */
        double sc = ours(n, n >= 10000 ? iters / 20 : iters, 1);
        char name[160];
        snprintf(
            name, sizeof name,
            "wakeup, 1 active of %d+1 connections: tcpfsm_epoll_wait (send, input, wait, recv)", n);
        bench_row(name, ep, "ns", "same, tcpfsm_poll on every descriptor", sc);
        snprintf(name, sizeof name,
                 "wakeup, 1 active of %d+1 connections: Linux loopback, epoll_wait (write, wait, "
                 "read)",
                 n);
        if ((rlim_t)(n + 64) > nofile) {
            bench_skip(name, "RLIMIT_NOFILE too small");
            continue;
        }
        double lx = linux_epoll(n, iters);
        if (lx < 0)
            bench_skip(name, strerror(errno));
        else
            bench_row(name, lx, "ns", "tcpfsm_epoll_wait (row above)", ep);
    }
    return 0;
}
