/*
 * bench_tun_stack.c — our stack on a TUN device against the Linux kernel's TCP as the peer,
 * bulk in both directions at MTU 1500 and 9000. Run by bench/run.py inside a throw-away
 * network namespace, right after bench_tun_raw measured the raw write ceiling there.
 *
 * The process forks: the child is the Linux peer (kernel sockets on 10.78.0.1), the parent
 * runs libtcpfsm on 10.78.0.2 behind the TUN device with a simple loop: read every packet
 * that is ready (a batch), feed them in, let the application send/receive, sleep in poll().
 *   receive  the Linux peer writes for D seconds, we read and count;
 *   send     we write for D seconds, the Linux peer reads and reports its count by a pipe;
 *   connrate (arguments "connrate [NETNS]", MTU 1500; bench_tun_conn.c) 1 or 4 Linux
 *            clients connect to us, each N times in a row, 1 byte each way, the client
 *            closing first (the pattern of bench_linux_connrate), and report what completed
 *            and failed by the pipe; we accept, echo the byte, close on its FIN, the loop
 *            busy-polling or blocking; interleaved with the same clients against a Linux
 *            server in NETNS over a veth pair.
 * With the argument "packet" the same bulk runs (MTU 1500) go over a veth pair instead: the
 * stack behind Ethernet and ARP (runtime/link/) on one end through an AF_PACKET socket, the
 * kernel on the other; its reference is the TUN row. Frames out are queued and leave with one
 * sendmmsg(2) per 64 (afpacket_tx_*), flushed at the start and end of every pass (so before
 * every sleep); frames in whose checksum the kernel vouched for (afpacket_recv2) go to the
 * stack unsummed (TCPFSM_IN_CSUM_VALID).
 *
 * With the arguments "vnet NETNS" (MTU 1500; issue 18) the bulk runs go three ways over TUN,
 * interleaved run by run, and a fourth without us:
 *   no offloads  the path above (on a device of its own, tunbench3, plain packets);
 *   offloads     a second device opened with virtio-net headers (tunbench2, tun_open_vnet)
 *                and TSO4+CSUM accepted (tun_set_offload): the stack created with
 *                tcpfsm_vnet_stack_flags() sends through tcpfsm_vnet_output (trains of up to
 *                64 KB, one write each, flushed before every sleep), reads go to
 *                tcpfsm_vnet_input (GSO packets from the kernel cut into trains);
 *   refused      the same device and layer with offloads 0 (what a kernel that refuses them
 *                gives): a zero header on every packet, the stack computing checksums;
 *   Linux over veth  both ends the kernel's TCP, the same writer and reader as our peer, the
 *                reader in the second namespace NETNS (run.py makes and deletes it) behind a
 *                veth pair: what a user gets without a user-space stack.
 * Each also gives the CPU per GB of the process running the stack (user + sys, getrusage
 * RUSAGE_SELF; for veth, of the writer and reader processes). Before the timed runs, one short
 * run each way moves a byte pattern that the receiving side checks, so a layer that corrupts
 * data is a FAIL, not a figure; the log has the vnet layer's counters (trains made and cut) and
 * the namespace's kernel counters (checksum errors) for every way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_tun.h"
#include "bench_util.h"
#include "link/tap.h"
#include "link/tun.h"
#include "tcpfsm.h"

/* One read: a virtio-net header and the largest IPv4 datagram (a GSO packet from the kernel is
 * up to 64 KB; a shorter buffer would truncate it), with slack. */
#define READ_MAX (10 + 65535 + 64)

static int packet_mode;        /* tunfd is an AF_PACKET socket on a veth end */
static struct tcpfsm_eth *eth; /* then: Ethernet and ARP around the stack */
static struct afpacket_tx txq; /* and the frames it sends, one sendmmsg(2) per batch */
static const uint8_t OUR_MAC[6] = {0x02, 0x00, 0x0a, 0x4e, 0x00, 0x02};
static struct tcpfsm_vnet *vn; /* the vnet layer of the run under way (use_vnet) */
int tunfd;
uint32_t linux_addr = LINUX_ADDR, our_addr = OUR_ADDR;
int use_vnet;
unsigned vnet_want;
uint64_t write_errors;
int write_errno;
struct tcpfsm_vnet_stats vnet_sum;
int verify;
uint8_t pattern[65536 + PATTERN];
int conn_clients = 1, conn_busy;
uint16_t conn_port = 5003;

static uint64_t now_us(void)
{
    return bench_now_ns() / 1000;
}

double tv_s(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static double cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru); /* this process only: not the Linux peer child */
    return tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
}

static double cpu_user(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return tv_s(ru.ru_utime);
}

static void count_write(ssize_t n, size_t len)
{
    if (n == (ssize_t)len) return;
    if (!write_errors++) write_errno = n < 0 ? errno : EMSGSIZE;
}

/* A datagram to the device (or a frame: Ethernet, or vnet header + datagram). */
static void tun_out(void *arg, const void *pkt, size_t len)
{
    (void)arg;
    count_write(write(tunfd, pkt, len), len);
}

void die(const char *what)
{
    fprintf(stderr, "bench_tun_stack: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* One pass of the loop: a batch of packets in, timers. Then, if nothing came in and wait_ms > 0,
 * sleep until a packet arrives, the next timer is due or wait_ms ms passed: the loop has
 * nothing else to do (the receiver has read all there was, the sender filled its buffer), so
 * the process's CPU time is its work, not spinning. */
static void service(struct tcpfsm_stack *st, int wait_ms)
{
    static uint8_t pkt[READ_MAX];
    struct pollfd p = {.fd = tunfd, .events = POLLIN};
    int got = 0;
    if (packet_mode) afpacket_tx_flush(&txq); /* what the application sent since the last pass */
    for (; got < 64; got++) {
        unsigned csum = 0; /* AF_PACKET: a frame the kernel vouched for is not summed again */
        ssize_t n = packet_mode ? afpacket_recv2(tunfd, pkt, sizeof pkt, &csum)
                                : read(tunfd, pkt, sizeof pkt);
        if (n <= 0) break;
        if (eth)
            tcpfsm_eth_input_ex(eth, pkt, (size_t)n,
                                (csum & AFPACKET_CSUM_TRUSTED) ? TCPFSM_IN_CSUM_VALID : 0);
        else if (vn)
            tcpfsm_vnet_input(vn, pkt, (size_t)n);
        else
            tcpfsm_input(st, pkt, (size_t)n);
    }
    if (eth) tcpfsm_eth_advance(eth, now_us());
    tcpfsm_advance(st, now_us());
    if (vn) tcpfsm_vnet_flush(vn);            /* the train gathered so far leaves before we sleep */
    if (packet_mode) afpacket_tx_flush(&txq); /* and so do the frames queued so far */
    if (got || wait_ms <= 0) return;
    uint64_t now = now_us(), next = tcpfsm_next_timeout(st);
    if (next <= now) return;
    if (next - now < (uint64_t)wait_ms * 1000) wait_ms = (int)((next - now + 999) / 1000);
    poll(&p, 1, wait_ms);
}

void linux_peer(struct peer pr)
{
    static char buf[1 << 16];
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(pr.port)};
    struct report rep = {0};
    uint64_t total = 0;
    a.sin_addr.s_addr = htonl(pr.addr);
    alarm(pr.mode == 'c' ? 30 : (unsigned)pr.secs + 15); /* a peer left waiting ends anyway */
    if (pr.mode == 'c') {
        int n = (int)pr.secs; /* here: the number of connections */
        char b = 'x';
        struct timeval tmo = {2, 0}; /* a connection that stalls is an error, not a hang */
        rep.t0 = bench_now_ns();
        double cpu0 = cpu_self();
        for (int i = 0; i < n && rep.errors < 10; i++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
            if (fd < 0) {
                rep.errors++;
                continue;
            }
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof tmo);
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof tmo); /* bounds connect too */
            if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0 ||
                write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1)
                rep.errors++;
            else
                rep.conns++;
            close(fd); /* the client closes first */
        }
        rep.t1 = bench_now_ns();
        rep.cpu = cpu_self() - cpu0;
        rep.rate = (double)rep.conns / ((double)(rep.t1 - rep.t0) / 1e9);
        if (write(pr.report_fd, &rep, sizeof rep) != sizeof rep) die("report");
    } else if (pr.mode == 'r') {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("linux peer connect");
        uint64_t end = bench_now_ns() + (uint64_t)(pr.secs * 1e9);
        while (bench_now_ns() < end) {
            ssize_t n = write(fd, pattern + total % PATTERN, 65536);
            if (n <= 0) die("linux peer write");
            total += (uint64_t)n;
        }
        close(fd);
    } else {
        int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1, fd;
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4) < 0)
            die("linux peer listen");
        if (write(pr.report_fd, "L", 1) != 1) /* listening: the parent may connect */
            die("report");
        fd = accept(lfd, NULL, NULL);
        uint64_t t0 = 0;
        for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
            if (!t0) t0 = bench_now_ns();
            if (verify && memcmp(buf, pattern + total % PATTERN, (size_t)n)) rep.bad++;
            total += (uint64_t)n;
        }
        double el = (double)(bench_now_ns() - t0) / 1e9;
        rep.rate = (double)total * 8 / el / 1e9;
        rep.bytes = (double)total;
        if (write(pr.report_fd, &rep, sizeof rep) != sizeof rep) die("report");
        close(fd);
        close(lfd);
    }
    _exit(0);
}

/* The CPU the peer child used per GB moved (it exited, or is killed now). */
static double reap(pid_t pid, double bytes)
{
    struct rusage ru;
    kill(pid, SIGKILL);
    if (wait4(pid, NULL, 0, &ru) != pid || bytes <= 0) return 0;
    return (tv_s(ru.ru_utime) + tv_s(ru.ru_stime)) / (bytes / 1e9);
}

/* The link's part of a new stack: plain, Ethernet (packet mode) or the vnet layer. */
static int link_setup(struct tcpfsm_config *c)
{
    int err = 0;
    if (packet_mode) {
        struct tcpfsm_eth_config ec = {.addr = c->addr,
                                       .prefix_len = 24,
                                       .mtu = c->mtu,
                                       .output = afpacket_tx_frame,
                                       .output_arg = &txq,
                                       .now = c->now};
        memcpy(ec.mac, OUR_MAC, 6);
        eth = tcpfsm_eth_new(&ec, &err);
        if (!eth) return err;
        c->output = tcpfsm_eth_ip_output;
        c->output_arg = eth;
    } else if (use_vnet) {
        unsigned got = 0;
        if (tun_set_offload(tunfd, vnet_want, &got) < 0 || got != vnet_want) return -EOPNOTSUPP;
        struct tcpfsm_vnet_config vc = {.write = tun_out, .offloads = got};
        vn = tcpfsm_vnet_new(&vc, &err);
        if (!vn) return err;
        c->output = tcpfsm_vnet_output;
        c->output_arg = vn;
        c->flags |= tcpfsm_vnet_stack_flags(vn);
    }
    return 0;
}

static void link_done(void)
{
    tcpfsm_eth_free(eth);
    eth = NULL;
    if (!vn) return;
    struct tcpfsm_vnet_stats s;
    tcpfsm_vnet_get_stats(vn, &s);
    vnet_stats_add(&vnet_sum, &s);
    tcpfsm_vnet_free(vn);
    vn = NULL;
}

struct result run_once(char mode, int mtu, double secs)
{
    struct tcpfsm_config c;
    struct result res = {.rate = -1};
    struct report rep = {0};
    int err = 0, pfd[2];
    static uint8_t buf[1 << 16];
    memset(&c, 0, sizeof c);
    c.addr = our_addr;
    c.mtu = (uint16_t)mtu;
    c.output = tun_out;
    c.now = now_us();
    c.sndbuf = c.rcvbuf = mode == 'c' ? 0 : 4u << 20; /* connection rate: default 64 KiB */
    c.max_buffer_bytes = 64u << 20;
    fflush(stdout); /* a child that dies (exit) must not print the rows buffered so far again */
    if (link_setup(&c) < 0) return res;
    struct tcpfsm_stack *st = tcpfsm_stack_new(&c, &err);
    if (!st) return res;
    if (eth) tcpfsm_eth_attach(eth, st);
    if (vn) tcpfsm_vnet_attach(vn, st);
    if (pipe(pfd) < 0) die("pipe");
    if (mode == 'c') {
        /* secs = connections in all; conn_clients Linux clients, each secs / conn_clients of
         * them in a row; rate = connections / (last client's end - first client's start) */
        enum { MAXC = 64 };
        int cfd[MAXC], nc = 0, lfd = tcpfsm_socket(st), got = 0;
        pid_t pids[CONN_CLIENTS_MAX];
        uint64_t t0 = UINT64_MAX, t1 = 0, conns = 0;
        char b;
        if (lfd < 0 || tcpfsm_bind(st, lfd, our_addr, conn_port) || tcpfsm_listen(st, lfd, 128))
            die("tcpfsm listen");
        fcntl(pfd[0], F_SETFL, O_NONBLOCK);
        for (int k = 0; k < conn_clients; k++) {
            pids[k] = fork();
            if (pids[k] == 0)
                linux_peer((struct peer){'c', secs / conn_clients, pfd[1], our_addr, conn_port});
        }
        double cpu0 = cpu_self(), user0 = cpu_user(), clients_cpu = 0; /* after the forks */
        uint64_t t_limit = bench_now_ns() + 40000000000ull; /* the clients' alarm is 30 s */
        while (got < conn_clients && bench_now_ns() < t_limit) {
            /* busy-poll: never sleep; blocking: sleep in poll(2) after a pass that read
             * nothing (until a packet, the next timer or 1 ms) */
            service(st, conn_busy ? 0 : 1);
            for (int fd; nc < MAXC && (fd = tcpfsm_accept(st, lfd, NULL, NULL)) >= 0;)
                cfd[nc++] = fd;
            for (int k = 0; k < nc; k++) {
                long n = tcpfsm_recv(st, cfd[k], &b, 1);
                if (n == 1)
                    tcpfsm_send(st, cfd[k], &b, 1);
                else if (n == 0 || n != -EAGAIN) { /* peer's FIN (or an error): close ours */
                    tcpfsm_close(st, cfd[k]);
                    cfd[k--] = cfd[--nc];
                }
            }
            for (; got < conn_clients && read(pfd[0], &rep, sizeof rep) == sizeof rep; got++) {
                conns += rep.conns;
                clients_cpu += rep.cpu;
                res.errors += rep.errors;
                if (rep.t0 < t0) t0 = rep.t0;
                if (rep.t1 > t1) t1 = rep.t1;
            }
        }
        double cpu = cpu_self() - cpu0, user = cpu_user() - user0;
        for (int i = 0; i < 20; i++)
            service(st, 1);
        for (int k = 0; k < conn_clients; k++)
            reap(pids[k], 0);
        /* failed: those the clients counted, and those of a client that never reported */
        uint64_t asked = (uint64_t)conn_clients * (uint64_t)(secs / conn_clients);
        if (asked > conns + res.errors) res.errors = asked - conns;
        if (got == conn_clients && conns && t1 > t0) {
            res.rate = (double)conns / ((double)(t1 - t0) / 1e9);
            res.cpu_k = cpu / ((double)conns / 1000);
            res.user_k = user / ((double)conns / 1000);
            res.clients_k = clients_cpu / ((double)conns / 1000);
        }
    } else if (mode == 'r') {
        int lfd = tcpfsm_socket(st), fd = -1;
        tcpfsm_bind(st, lfd, our_addr, 5001);
        tcpfsm_listen(st, lfd, 8);
        pid_t pid = fork();
        if (pid == 0) linux_peer((struct peer){'r', secs, pfd[1], our_addr, 5001});
        uint64_t total = 0, t0 = 0, t_end = bench_now_ns() + (uint64_t)((secs + 5) * 1e9);
        double cpu0 = 0;
        for (;;) {
            service(st, 1);
            if (fd < 0) fd = tcpfsm_accept(st, lfd, NULL, NULL);
            if (fd < 0 && bench_now_ns() > t_end) break; /* the peer never connected */
            if (fd < 0) continue;
            long n;
            while ((n = tcpfsm_recv(st, fd, buf, sizeof buf)) > 0) {
                if (!t0) {
                    t0 = bench_now_ns();
                    cpu0 = cpu_self();
                }
                if (verify && memcmp(buf, pattern + total % PATTERN, (size_t)n)) res.bad++;
                total += (uint64_t)n;
            }
            if (n == 0 || (n < 0 && n != -EAGAIN) || bench_now_ns() > t_end) break;
        }
        if (t0) {
            res.rate = (double)total * 8 / ((double)(bench_now_ns() - t0) / 1e9) / 1e9;
            res.cpu_gb = (cpu_self() - cpu0) / ((double)total / 1e9);
        }
        tcpfsm_close(st, fd);
        for (int i = 0; i < 20; i++)
            service(st, 1);
        res.peer_cpu_gb = reap(pid, (double)total);
    } else {
        char ready;
        pid_t pid = fork();
        if (pid == 0) linux_peer((struct peer){'s', secs, pfd[1], linux_addr, 5002});
        close(pfd[1]); /* a peer that dies before listening is an end of file, not a hang */
        pfd[1] = -1;
        if (read(pfd[0], &ready, 1) != 1) die("the Linux peer did not start listening");
        int fd = tcpfsm_socket(st);
        tcpfsm_connect(st, fd, linux_addr, 5002);
        uint64_t end = 0, sent = 0, t_limit = bench_now_ns() + (uint64_t)((secs + 5) * 1e9);
        double cpu0 = 0;
        while (bench_now_ns() < t_limit) {
            service(st, 1);
            int ev = tcpfsm_poll(st, fd);
            if (ev & TCPFSM_POLLERR) break;
            if (!(ev & TCPFSM_POLLOUT)) continue;
            if (!end) {
                end = bench_now_ns() + (uint64_t)(secs * 1e9);
                cpu0 = cpu_self();
            }
            if (bench_now_ns() > end) break;
            for (long n; (n = tcpfsm_send(st, fd, pattern + sent % PATTERN, 65536)) > 0;)
                sent += (uint64_t)n;
        }
        tcpfsm_close(st, fd);
        /* let the FIN and the last data out, then read the peer's figure: the CPU per GB
         * counts everything we did until every byte sent was read */
        fcntl(pfd[0], F_SETFL, O_NONBLOCK);
        for (int i = 0; i < 3000 && read(pfd[0], &rep, sizeof rep) != sizeof rep; i++)
            service(st, 1);
        if (rep.rate > 0) {
            res.rate = rep.rate;
            res.bad = rep.bad;
            res.cpu_gb = (cpu_self() - cpu0) / ((double)sent / 1e9);
        }
        res.peer_cpu_gb = reap(pid, (double)sent);
    }
    close(pfd[0]);
    if (pfd[1] >= 0) close(pfd[1]);
    tcpfsm_stack_free(st);
    link_done();
    return res;
}

void sh(const char *cmd)
{
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_tun_stack: '%s' failed\n", cmd);
        exit(1);
    }
}

/* A plain TUN device (IFF_TUN|IFF_NO_PI), up, with the Linux side's address. */
int plain_tun(const char *name, int mtu, const char *addr)
{
    struct ifreq ifr;
    char cmd[256];
    int fd = open("/dev/net/tun", O_RDWR);
    if (fd < 0) die("/dev/net/tun");
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF");
    snprintf(cmd, sizeof cmd, "ip link set %s mtu %d up && ip addr add %s/24 dev %s", name, mtu,
             addr, name);
    sh(cmd);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

int main(int argc, char **argv)
{
    int connrate = argc > 1 && strcmp(argv[1], "connrate") == 0;
    packet_mode = argc > 1 && strcmp(argv[1], "packet") == 0;
    int mtu = connrate || packet_mode || argc < 2 ? 1500 : atoi(argv[1]);
    double secs = bench_quick() ? 0.1 : 0.4;
    char name[96];
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (uint8_t)(i % PATTERN * 7 + 1);
    if (argc > 1 && strcmp(argv[1], "vnet") == 0) return vnet_main(argc > 2 ? argv[2] : NULL);
    if (packet_mode) {
        char eb[256];
        sh("ip link add vebench0 type veth peer name vebench1 && "
           "sysctl -qw net.ipv6.conf.vebench0.disable_ipv6=1 && "
           "sysctl -qw net.ipv6.conf.vebench1.disable_ipv6=1 && "
           "ip link set vebench0 up && ip addr add 10.78.0.1/24 dev vebench1 && "
           "ip link set vebench1 up");
        tunfd = afpacket_open("vebench0", OUR_MAC, eb, sizeof eb);
        if (tunfd < 0) {
            fprintf(stderr, "bench_tun_stack: %s\n", eb);
            return 1;
        }
        if (afpacket_tx_init(&txq, tunfd, 1500 + 14) < 0) die("afpacket_tx_init");
        goto bulk;
    }
    if (connrate) return connrate_main(argc > 2 ? argv[2] : NULL);
    tunfd = plain_tun("tunbench1", mtu, "10.78.0.1");
bulk:
    for (int d = 0; d < 2; d++) {
        char mode = d ? 's' : 'r';
        double v[BENCH_RUNS];
        const char *dir = d ? "send (us -> Linux)" : "receive (Linux -> us)";
        snprintf(name, sizeof name, "%s bulk %s MTU %d", packet_mode ? "AF_PACKET veth" : "TUN",
                 dir, mtu);
        for (int r = 0; r < BENCH_RUNS; r++) {
            v[r] = run_once(mode, mtu, secs).rate;
            if (v[r] <= 0) {
                printf("FAIL\t%s\tno data moved (run %d)\n", name, r);
                goto next;
            }
        }
        /* the reference (the raw write ceiling at this MTU) comes from bench_tun_raw's row */
        char ref[96];
        if (packet_mode) /* the same transfer over TUN, from this run's TUN rows */
            snprintf(ref, sizeof ref, "TUN bulk %s MTU %d", dir, mtu);
        else
            snprintf(ref, sizeof ref, "TUN raw write ceiling MTU %d", mtu);
        printf("ROW\t%s\t%.6g\tGbit/s\t%s\t-\n", name, bench_median(v, BENCH_RUNS), ref);
    next:;
    }
    if (packet_mode)
        fprintf(stderr, "AF_PACKET: %llu frames sent in %llu sendmmsg calls, %llu dropped\n",
                (unsigned long long)txq.frames, (unsigned long long)txq.calls,
                (unsigned long long)txq.drops);
    /* the pair holds 10.78.0.1: a later program in this namespace may want it on its device */
    if (packet_mode && system("ip link del vebench0") != 0) return 1;
    return 0;
}
