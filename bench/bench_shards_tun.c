/*
 * bench_shards_tun.c — one stack per core over a multi-queue TUN device (tcpfsm_shards.h),
 * with 1 shard and with 2, against the Linux kernel's TCP as the client. Run by bench/run.py
 * as root inside a throw-away network namespace (it makes the device and sets the namespace's
 * sysctls itself).
 *
 *   connection rate  kernel clients (2 processes x 32 concurrent connections, epoll) connect,
 *                    send a 32-byte request, read the 64-byte reply and close first; the
 *                    shards accept, answer, close on the client's FIN
 *   bulk             8 kernel TCP streams (one process each) write to a discard service (with
 *                    4 the hash put all on one shard in 1 run of 8)
 *
 * The server side is this process: the shards, and in each a small service on the readiness
 * API (init makes the listeners, wakeup serves what tcpfsm_epoll_wait reports). A figure is what
 * the shards counted between two samples taken through tcpfsm_shards_call, after a warm-up, so
 * the clients' start and end are not in it. 1 and 2 shards alternate, BENCH_RUNS times each;
 * each row is the median, the 2-shard row has the 1-shard median as its reference (the ratio is
 * the scaling; the goal on a 2-core machine is 1.7).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdalign.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "tcpfsm_shards.h"

#define DEV "tfshard0"
#define KERNEL_ADDR "10.80.0.1"
#define STACK_ADDR 0x0a500002u /* 10.80.0.2 */
#define PORT_DISCARD 5001
#define PORT_RR 5003
#define REQ_LEN 32
#define REPLY_LEN 64
#define RR_PROCS 2
#define RR_CONC 32
#define BULK_STREAMS 8

/* ---------------------------------------------------------------- the service, per shard */
struct svc_shard { /* each on its own cache lines: two threads write them */
    alignas(64) int lfd_discard, lfd_rr;
    uint64_t bytes;    /* received by the discard service */
    uint64_t answered; /* request-reply connections that ended */
    uint64_t errors;
};

struct svc {
    struct svc_shard s[2];
};

static int listen_on(struct tcpfsm_stack *st, uint16_t port)
{
    int fd = tcpfsm_socket(st);
    if (fd < 0) return fd;
    int e = tcpfsm_bind(st, fd, STACK_ADDR, port);
    if (!e) e = tcpfsm_listen(st, fd, 1024);
    struct tcpfsm_event ev = {.events = TCPFSM_POLLIN, .data = (uint64_t)fd};
    if (!e) e = tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, fd, &ev);
    return e ? e : fd;
}

static int svc_init(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    (void)sh;
    struct svc_shard *s = &((struct svc *)arg)->s[i];
    if ((s->lfd_discard = listen_on(st, PORT_DISCARD)) < 0) return s->lfd_discard;
    if ((s->lfd_rr = listen_on(st, PORT_RR)) < 0) return s->lfd_rr;
    return 0;
}

/* A connection's epoll data: its descriptor, and bit 32 when it is a request-reply one. */
#define RR_FLAG (1ull << 32)

static void svc_conn(struct svc_shard *s, struct tcpfsm_stack *st, uint64_t data)
{
    static _Thread_local uint8_t buf[65536];
    int fd = (int)(uint32_t)data;
    for (;;) {
        long n = tcpfsm_recv(st, fd, buf, sizeof buf);
        if (n == -EAGAIN) return;
        if (n <= 0) { /* the client's FIN (or a reset): done */
            if (data & RR_FLAG) s->answered++;
            if (n < 0) s->errors++;
            tcpfsm_close(st, fd);
            return;
        }
        if (!(data & RR_FLAG)) {
            s->bytes += (uint64_t)n;
            continue;
        }
        static const uint8_t reply[REPLY_LEN] = "200 ok";
        if (tcpfsm_send(st, fd, reply, sizeof reply) != (long)sizeof reply) s->errors++;
    }
}

static int svc_wakeup(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    (void)sh;
    struct svc_shard *s = &((struct svc *)arg)->s[i];
    struct tcpfsm_event ev[64];
    int n = tcpfsm_epoll_wait(st, ev, 64);
    for (int k = 0; k < n; k++) {
        int fd = (int)(uint32_t)ev[k].data;
        if (fd != s->lfd_discard && fd != s->lfd_rr) {
            svc_conn(s, st, ev[k].data);
            continue;
        }
        for (int c; (c = tcpfsm_accept(st, fd, NULL, NULL)) >= 0;) {
            uint64_t data = (uint64_t)c | (fd == s->lfd_rr ? RR_FLAG : 0);
            struct tcpfsm_event cev = {.events = TCPFSM_POLLIN, .data = data};
            if (fd == s->lfd_rr) tcpfsm_setopt(st, c, TCPFSM_OPT_NODELAY, 1);
            if (tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, c, &cev)) s->errors++;
            svc_conn(s, st, data);
        }
    }
    return n == 64;
}

/* ---------------------------------------------------------------- the kernel clients */

static void die(const char *what)
{
    fprintf(stderr, "bench_shards_tun: %s: %s\n", what, strerror(errno));
    exit(1);
}

static struct sockaddr_in stack_sockaddr(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(STACK_ADDR);
    return a;
}

/* RR_CONC connections at a time, each: connect, request, reply, close; until `secs` pass. */
static void rr_client(double secs)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct sockaddr_in a = stack_sockaddr(PORT_RR);
    uint8_t req[REQ_LEN] = "GET", buf[REPLY_LEN];
    int got[RR_CONC] = {0};
    uint64_t end = bench_now_ns() + (uint64_t)(secs * 1e9);
    struct epoll_event ev;
    for (int i = 0; i < RR_CONC; i++) {
    again:;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
        if (fd < 0 || fd >= 65536) die("socket");
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
            close(fd);
            goto again;
        }
        ev = (struct epoll_event){.events = EPOLLOUT, .data.u64 = (uint64_t)fd << 8 | (unsigned)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    struct epoll_event evs[RR_CONC];
    while (bench_now_ns() < end) {
        int n = epoll_wait(ep, evs, RR_CONC, 100);
        for (int k = 0; k < n; k++) {
            int fd = (int)(evs[k].data.u64 >> 8), slot = (int)(evs[k].data.u64 & 0xff);
            int done = 0;
            if (evs[k].events & EPOLLOUT) {
                if (write(fd, req, sizeof req) != (ssize_t)sizeof req) done = 1;
                ev = (struct epoll_event){.events = EPOLLIN, .data = evs[k].data};
                epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
                got[slot] = 0;
            } else {
                ssize_t r = read(fd, buf, sizeof buf);
                if (r > 0) got[slot] += (int)r;
                done = r <= 0 || got[slot] >= REPLY_LEN;
            }
            if (!done) continue;
            close(fd); /* the client closes first: its TIME_WAIT, reused (tcp_tw_reuse) */
            for (;;) {
                int nfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
                if (nfd < 0) die("socket");
                setsockopt(nfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                if (connect(nfd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
                    close(nfd);
                    continue;
                }
                ev = (struct epoll_event){.events = EPOLLOUT,
                                          .data.u64 = (uint64_t)nfd << 8 | (unsigned)slot};
                epoll_ctl(ep, EPOLL_CTL_ADD, nfd, &ev);
                break;
            }
        }
    }
    _exit(0);
}

static void bulk_client(double secs)
{
    static char buf[1 << 16];
    struct sockaddr_in a = stack_sockaddr(PORT_DISCARD);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bulk connect");
    uint64_t end = bench_now_ns() + (uint64_t)(secs * 1e9);
    while (bench_now_ns() < end)
        if (write(fd, buf, sizeof buf) <= 0) die("bulk write");
    _exit(0);
}

/* ---------------------------------------------------------------- one measurement */
struct totals {
    struct svc *svc;
    uint64_t bytes, answered, errors;
};

static int add_counts(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    (void)sh, (void)st;
    struct totals *t = arg;
    t->bytes += t->svc->s[i].bytes;
    t->answered += t->svc->s[i].answered;
    t->errors += t->svc->s[i].errors;
    return 0;
}

static struct totals sample(struct tcpfsm_shards *sh, struct svc *svc, unsigned n)
{
    struct totals t = {.svc = svc};
    for (unsigned i = 0; i < n; i++)
        tcpfsm_shards_call(sh, i, add_counts, &t);
    return t;
}

static double cpu_s(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int iface_running(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", DEV);
    int up = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING);
    if (s >= 0) close(s);
    return up;
}

static void sleep_ns(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                          .tv_nsec = (long)(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* mode 'r': connections/s; 'b': Gbit/s. Negative when the run failed. */
static double run_once(char mode, unsigned nshards, double warm, double secs)
{
    static struct svc svc;
    memset(&svc, 0, sizeof svc);
    struct tcpfsm_shards_config c = {.nshards = nshards,
                                     .stack = {.addr = STACK_ADDR, .prefix_len = 24},
                                     .tun = DEV,
                                     .init = svc_init,
                                     .wakeup = svc_wakeup,
                                     .arg = &svc};
    if (mode == 'b') c.stack.sndbuf = c.stack.rcvbuf = 4u << 20;
    c.stack.max_buffer_bytes = 256u << 20;
    int err;
    struct tcpfsm_shards *sh = tcpfsm_shards_new(&c, &err);
    if (!sh) {
        fprintf(stderr, "bench_shards_tun: tcpfsm_shards_new: %s\n", strerror(-err));
        return -1;
    }
    if ((err = tcpfsm_shards_start(sh))) {
        fprintf(stderr, "bench_shards_tun: start: %s\n", strerror(-err));
        tcpfsm_shards_free(sh);
        return -1;
    }
    for (int i = 0; i < 300 && !iface_running(); i++)
        sleep_ns(10000000);
    double kcpu0 = cpu_s(RUSAGE_CHILDREN);
    pid_t kids[RR_PROCS > BULK_STREAMS ? RR_PROCS : BULK_STREAMS];
    int nkids = mode == 'r' ? RR_PROCS : BULK_STREAMS;
    double total = warm + secs + 0.3;
    for (int i = 0; i < nkids; i++) {
        kids[i] = fork();
        if (kids[i] < 0) die("fork");
        if (kids[i] == 0) {
            if (mode == 'r')
                rr_client(total);
            else
                bulk_client(total);
        }
    }
    sleep_ns((uint64_t)(warm * 1e9));
    struct totals a = sample(sh, &svc, nshards);
    uint64_t t0 = bench_now_ns();
    double cpu0 = cpu_s(RUSAGE_SELF);
    sleep_ns((uint64_t)(secs * 1e9));
    struct totals b = sample(sh, &svc, nshards);
    double el = (double)(bench_now_ns() - t0) / 1e9, cpu = cpu_s(RUSAGE_SELF) - cpu0;
    for (int i = 0; i < nkids; i++) {
        kill(kids[i], SIGKILL);
        waitpid(kids[i], NULL, 0);
    }
    double kcpu = cpu_s(RUSAGE_CHILDREN) - kcpu0;
    struct tcpfsm_shard_stats ss[2];
    uint64_t fwd = 0, in = 0;
    for (unsigned i = 0; i < nshards; i++)
        if (!tcpfsm_shards_shard_stats(sh, i, &ss[i]))
            fwd += ss[i].Forwarded, in += ss[i].InPackets;
    tcpfsm_shards_stop(sh);
    tcpfsm_shards_free(sh);
    double v = mode == 'r' ? (double)(b.answered - a.answered) / el
                           : (double)(b.bytes - a.bytes) * 8 / el / 1e9;
    /* where the machine's time went: the shards' threads (with the kernel work their reads
     * and writes do) and the clients (over their whole life, warm-up included) */
    fprintf(stderr,
            "bench_shards_tun: %s %u shard(s): %.6g %s (errors %llu, forwarded %llu of %llu; "
            "cpu: shards %.2f, clients %.2f cores)\n",
            mode == 'r' ? "connrate" : "bulk", nshards, v, mode == 'r' ? "conn/s" : "Gbit/s",
            (unsigned long long)(b.errors), (unsigned long long)fwd, (unsigned long long)in,
            cpu / el, kcpu / (warm + el));
    return v > 0 ? v : -1;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (system("ip link set lo up && ip tuntap add dev " DEV " mode tun multi_queue && "
               "sysctl -qw net.ipv6.conf." DEV ".disable_ipv6=1 && "
               "ip link set dev " DEV " txqueuelen 4096 && "
               "ip addr add " KERNEL_ADDR "/24 dev " DEV " && ip link set dev " DEV " up && "
               "sysctl -qw net.ipv4.ip_local_port_range='1024 65535' net.ipv4.tcp_tw_reuse=1") !=
        0) {
        printf("FAIL\tTUN shards\tcannot set up the multi-queue device %s\n", DEV);
        return 1;
    }
    int quick = bench_quick();
    double warm = quick ? 0.1 : 0.3, secs = quick ? 0.2 : 1.0;
    int runs = quick ? 1 : BENCH_RUNS;
    static const struct {
        char mode;
        const char *name, *unit;
    } kinds[] = {{'r', "TUN shards connection rate (2x32 kernel clients)", "conn/s"},
                 {'b', "TUN shards bulk (8 kernel streams -> discard)", "Gbit/s"}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        double v[2][BENCH_RUNS];
        int ok = 1;
        for (int r = 0; r < runs && ok; r++)
            for (unsigned n = 1; n <= 2 && ok; n++)
                ok = (v[n - 1][r] = run_once(kinds[k].mode, n, warm, secs)) > 0;
        if (!ok) {
            printf("FAIL\t%s\ta run moved nothing (see the log)\n", kinds[k].name);
            continue;
        }
        char one[160], two[160];
        snprintf(one, sizeof one, "%s, 1 shard", kinds[k].name);
        snprintf(two, sizeof two, "%s, 2 shards", kinds[k].name);
        double m1 = bench_median(v[0], runs), m2 = bench_median(v[1], runs);
        bench_row_noref(one, m1, kinds[k].unit);
        bench_row(two, m2, kinds[k].unit, one, m1);
    }
    return 0;
}
