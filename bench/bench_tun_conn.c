/*
 * bench_tun_conn.c — "bench_tun_stack connrate [NETNS]" (issue 18): the connection rate over
 * TUN with 1 and 4 Linux clients at once, our loop busy-polling and blocking, interleaved run
 * by run with the same clients against a small Linux server (kernel sockets, one process, a
 * poll(2) loop) in the second namespace NETNS behind a veth pair. Every connection: connect,
 * 1 byte each way, the client closes first; a connection that fails makes the row a FAIL.
 * Rows: conn/s (the reference: Linux over veth with as many clients) and the CPU per 1,000
 * connections of the process running our stack (the reference: the Linux server's), with its
 * user part (our code; the rest is the kernel's TUN and softirq work), the Linux clients' own
 * CPU, and the ceiling those imply for a stack whose own code cost nothing: cores / (clients +
 * our kernel time) per connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_tun.h"
#include "bench_util.h"

enum way { C_SEQ_BUSY, C_SEQ_BLOCK, C_PAR_BUSY, C_PAR_BLOCK, C_VETH_SEQ, C_VETH_PAR, C_N };
#define PAR_CLIENTS 4
static const char *const way_label[C_N] = {"sequential, busy-poll loop",
                                           "sequential, blocking loop",
                                           "4 clients, busy-poll loop",
                                           "4 clients, blocking loop",
                                           "sequential",
                                           "4 clients"};
static const int way_clients[C_N] = {1, 1, PAR_CLIENTS, PAR_CLIENTS, 1, PAR_CLIENTS};

struct tally {
    double rate[BENCH_RUNS], cpu[BENCH_RUNS], user[BENCH_RUNS], clients[BENCH_RUNS];
    char fail[160];
};
static struct tally tally[C_N];
static char netns_path[128];

/* The Linux server in NETNS: accept, echo the first byte, close on the client's FIN; one
 * process, non-blocking sockets, sleeping in poll(2) (as our blocking loop). It ends when
 * stop_fd reads end of file. */
static _Noreturn void veth_server(uint16_t port, int ready_fd, int stop_fd)
{
    enum { MAXC = 64 };
    struct pollfd p[2 + MAXC];
    char done[2 + MAXC] = {0}; /* the byte was echoed */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    int nfd = open(netns_path, O_RDONLY | O_CLOEXEC), one = 1, n = 2;
    if (nfd < 0 || setns(nfd, CLONE_NEWNET) < 0) die(netns_path);
    a.sin_addr.s_addr = htonl(VETH_RX_ADDR);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 128) < 0)
        die("veth server listen");
    if (write(ready_fd, "L", 1) != 1) die("report");
    close(ready_fd); /* so the clients' report pipe ends when they do */
    p[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
    p[1] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
    for (;;) {
        if (poll(p, (nfds_t)n, 1000) < 0 && errno != EINTR) die("veth server poll");
        if (p[1].revents) _exit(0);
        for (int fd; n < 2 + MAXC && (fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0; n++) {
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            p[n] = (struct pollfd){.fd = fd, .events = POLLIN};
            done[n] = 0;
        }
        for (int k = 2; k < n; k++) {
            char b[16];
            if (!p[k].revents) continue;
            ssize_t r = read(p[k].fd, b, sizeof b);
            if (r > 0 && done[k]) continue;
            if (r > 0 && (done[k] = 1, write(p[k].fd, b, 1) == 1)) continue;
            if (r < 0 && errno == EAGAIN) continue;
            close(p[k].fd); /* the client's FIN (or an error) */
            p[k] = p[--n];
            done[k--] = done[n];
        }
    }
}

/* One run of the same clients against the Linux server over the veth pair; cpu_k is the
 * server process's user + sys time per 1,000 connections. */
static struct result veth_once(int clients, int conns, uint16_t port)
{
    struct result res = {.rate = -1};
    struct report rep;
    struct rusage ru;
    pid_t pids[CONN_CLIENTS_MAX];
    uint64_t t0 = UINT64_MAX, t1 = 0, done = 0;
    double clients_cpu = 0;
    int rp[2], stop[2], got = 0;
    char ready;
    if (pipe(rp) < 0 || pipe(stop) < 0) die("pipe");
    pid_t srv = fork();
    if (srv == 0) {
        close(stop[1]);
        close(rp[0]);
        veth_server(port, rp[1], stop[0]);
    }
    close(stop[0]);
    if (read(rp[0], &ready, 1) == 1) {
        for (int k = 0; k < clients; k++) {
            pids[k] = fork();
            if (pids[k] == 0) {
                close(stop[1]);
                linux_peer((struct peer){'c', conns / clients, rp[1], VETH_RX_ADDR, port});
            }
        }
        close(rp[1]); /* a client that dies is an end of file here, not a hang */
        for (; got < clients && read(rp[0], &rep, sizeof rep) == sizeof rep; got++) {
            done += rep.conns;
            clients_cpu += rep.cpu;
            res.errors += rep.errors;
            if (rep.t0 < t0) t0 = rep.t0;
            if (rep.t1 > t1) t1 = rep.t1;
        }
        for (int k = 0; k < clients; k++) {
            kill(pids[k], SIGKILL);
            waitpid(pids[k], NULL, 0);
        }
    } else {
        close(rp[1]);
    }
    close(rp[0]);
    close(stop[1]); /* the server's end of file: it exits */
    double cpu = 0;
    if (wait4(srv, NULL, 0, &ru) == srv) cpu = tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
    uint64_t asked = (uint64_t)clients * (uint64_t)(conns / clients);
    if (asked > done + res.errors) res.errors = asked - done;
    if (got == clients && done && t1 > t0) {
        res.rate = (double)done / ((double)(t1 - t0) / 1e9);
        res.cpu_k = cpu / ((double)done / 1000);
        res.user_k = tv_s(ru.ru_utime) / ((double)done / 1000);
        res.clients_k = clients_cpu / ((double)done / 1000);
    }
    return res;
}

static struct result one_run(enum way w, int conns)
{
    if (w >= C_VETH_SEQ) return veth_once(way_clients[w], conns, (uint16_t)(5010 + w));
    conn_clients = way_clients[w];
    conn_busy = w == C_SEQ_BUSY || w == C_PAR_BUSY;
    /* a listening port per way: each way's TIME_WAITs (at the clients) stay out of the
     * others' way, so the runs need no more than the namespace's port range per way */
    conn_port = (uint16_t)(5003 + w);
    return run_once('c', 1500, conns);
}

static void rows(int runs)
{
    char name[160], ref[160], cref[160];
    double v[BENCH_RUNS], veth[2] = {0}, veth_cpu[2] = {0}, veth_clients[2] = {0};
    for (enum way w = C_VETH_SEQ; w < C_N; w++) {
        int i = w - C_VETH_SEQ;
        snprintf(name, sizeof name, "Linux over veth connection rate, %s", way_label[w]);
        if (!netns_path[0]) {
            bench_skip(name, "no second namespace given (bench_tun_stack connrate NETNS)");
            continue;
        }
        if (tally[w].fail[0]) {
            printf("FAIL\t%s\t%s\n", name, tally[w].fail);
            continue;
        }
        memcpy(v, tally[w].rate, sizeof v);
        veth[i] = bench_median(v, runs);
        bench_row_noref(name, veth[i], "conn/s");
        snprintf(name, sizeof name, "Linux over veth server CPU per 1,000 connections, %s",
                 way_label[w]);
        memcpy(v, tally[w].cpu, sizeof v);
        veth_cpu[i] = bench_median(v, runs);
        bench_row_noref(name, veth_cpu[i] * 1000, "ms");
        snprintf(name, sizeof name, "Linux clients' CPU per 1,000 connections, veth, %s",
                 way_label[w]);
        memcpy(v, tally[w].clients, sizeof v);
        veth_clients[i] = bench_median(v, runs);
        bench_row_noref(name, veth_clients[i] * 1000, "ms");
    }
    for (enum way w = C_SEQ_BUSY; w < C_VETH_SEQ; w++) {
        int i = way_clients[w] > 1;
        snprintf(name, sizeof name, "TUN connection rate, %s", way_label[w]);
        if (tally[w].fail[0]) {
            printf("FAIL\t%s\t%s\n", name, tally[w].fail);
            continue;
        }
        snprintf(ref, sizeof ref, "Linux over veth connection rate, %s", way_label[C_VETH_SEQ + i]);
        snprintf(cref, sizeof cref, "Linux over veth server CPU per 1,000 connections, %s",
                 way_label[C_VETH_SEQ + i]);
        memcpy(v, tally[w].rate, sizeof v);
        double rate = bench_median(v, runs);
        if (veth[i] > 0)
            bench_row(name, rate, "conn/s", ref, veth[i]);
        else
            bench_row_noref(name, rate, "conn/s");
        snprintf(name, sizeof name, "TUN CPU per 1,000 connections, %s", way_label[w]);
        memcpy(v, tally[w].cpu, sizeof v);
        double cpu = bench_median(v, runs) * 1000;
        if (veth_cpu[i] > 0)
            bench_row(name, cpu, "ms", cref, veth_cpu[i] * 1000);
        else
            bench_row_noref(name, cpu, "ms");
        /* Where the machine's time goes: our process's user time (the stack and the loop;
         * the rest of its CPU is the kernel's TUN and softirq work, the Linux clients'
         * receive path among it) and the clients' own CPU. With a stack that cost nothing,
         * the cores could still not serve more than cores / (kernel part + clients) per
         * second: the ceiling row. */
        char cpuname[160];
        snprintf(cpuname, sizeof cpuname, "%s", name);
        snprintf(name, sizeof name, "TUN user CPU per 1,000 connections, %s", way_label[w]);
        memcpy(v, tally[w].user, sizeof v);
        double user = bench_median(v, runs) * 1000;
        bench_row(name, user, "ms", cpuname, cpu);
        snprintf(name, sizeof name, "Linux clients' CPU per 1,000 connections, TUN, %s",
                 way_label[w]);
        memcpy(v, tally[w].clients, sizeof v);
        double clients = bench_median(v, runs) * 1000;
        if (veth_clients[i] > 0) {
            snprintf(cref, sizeof cref, "Linux clients' CPU per 1,000 connections, veth, %s",
                     way_label[C_VETH_SEQ + i]);
            bench_row(name, clients, "ms", cref, veth_clients[i] * 1000);
        } else {
            bench_row_noref(name, clients, "ms");
        }
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        double floor_ms = clients + (cpu - user); /* per 1,000 connections */
        if (cores > 0 && floor_ms > 0) {
            char rname[160];
            snprintf(rname, sizeof rname, "TUN connection rate, %s", way_label[w]);
            snprintf(name, sizeof name,
                     "TUN connection rate ceiling with a zero-cost stack, %s (%ld cores / "
                     "(clients + our kernel time))",
                     way_label[w], cores);
            bench_row(name, (double)cores * 1e6 / floor_ms, "conn/s", rname, rate);
        }
    }
}

int connrate_main(const char *netns)
{
    int quick = bench_quick(), runs = quick ? 1 : BENCH_RUNS;
    char cmd[512];
    tunfd = plain_tun("tunbench1", 1500, "10.78.0.1");
    if (netns) {
        snprintf(netns_path, sizeof netns_path, "/run/netns/%s", netns);
        snprintf(cmd, sizeof cmd,
                 "ip link del vebench2 2>/dev/null; " /* one left by an earlier run here */
                 "ip link add vebench2 type veth peer name vebench3 netns %s && "
                 "sysctl -qw net.ipv6.conf.vebench2.disable_ipv6=1 && "
                 "ip addr add 10.78.2.1/24 dev vebench2 && ip link set vebench2 up && "
                 "ip netns exec %s sh -c 'sysctl -qw net.ipv6.conf.vebench3.disable_ipv6=1; "
                 "ip addr add 10.78.2.2/24 dev vebench3 && ip link set vebench3 up'",
                 netns, netns);
        sh(cmd);
    }
    /* Ways interleaved run by run, so each sees the machine as the others do. */
    for (int r = 0; r < runs; r++)
        for (enum way w = C_SEQ_BUSY; w < C_N; w++) {
            struct tally *t = &tally[w];
            if ((w >= C_VETH_SEQ && !netns) || t->fail[0]) continue;
            int conns = quick ? 200 : way_clients[w] > 1 ? 4000 : 2000;
            struct result res = one_run(w, conns);
            fprintf(stderr,
                    "run %d, %s%s: %.0f conn/s, %.3g ms CPU per 1,000 (%.3g user), clients "
                    "%.3g ms, %llu failed\n",
                    r, w >= C_VETH_SEQ ? "Linux over veth, " : "TUN, ", way_label[w], res.rate,
                    res.cpu_k * 1000, res.user_k * 1000, res.clients_k * 1000,
                    (unsigned long long)res.errors);
            if (res.errors || res.rate <= 0)
                snprintf(t->fail, sizeof t->fail, "%llu of %d connections failed (run %d)",
                         (unsigned long long)res.errors, conns, r);
            t->rate[r] = res.rate;
            t->cpu[r] = res.cpu_k;
            t->user[r] = res.user_k;
            t->clients[r] = res.clients_k;
        }
    rows(runs);
    if (netns && system("ip link del vebench2") != 0) return 1;
    return 0;
}
