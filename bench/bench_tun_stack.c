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
 *   connrate (argument "connrate", MTU 1500) the Linux peer connects to us N times in a row,
 *            1 byte each way, it closes first (the pattern of bench_linux_connrate), and
 *            reports connections/s by the pipe; we accept, echo the byte, close on its FIN.
 * With the argument "packet" the same bulk runs (MTU 1500) go over a veth pair instead: the
 * stack behind Ethernet and ARP (runtime/link/) on one end through an AF_PACKET socket (plain
 * recv/send, one frame per call), the kernel on the other; its reference is the TUN row.
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
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "link/tap.h"
#include "tcpfsm.h"

#define LINUX_ADDR 0x0a4e0001u /* 10.78.0.1 */
#define OUR_ADDR 0x0a4e0002u   /* 10.78.0.2 */

static int tunfd;
static uint64_t write_errors;
static int packet_mode;        /* tunfd is an AF_PACKET socket on a veth end */
static struct tcpfsm_eth *eth; /* then: Ethernet and ARP around the stack */
static const uint8_t OUR_MAC[6] = {0x02, 0x00, 0x0a, 0x4e, 0x00, 0x02};

static uint64_t now_us(void)
{
    return bench_now_ns() / 1000;
}

static void tun_out(void *arg, const void *pkt, size_t len)
{
    (void)arg;
    if (write(tunfd, pkt, len) != (ssize_t)len) write_errors++;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_tun_stack: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* One pass of the loop: a batch of packets in, timers, then wait a little for more. */
static void service(struct tcpfsm_stack *st, int wait_ms)
{
    static uint8_t pkt[65536 + 64];
    struct pollfd p = {.fd = tunfd, .events = POLLIN};
    for (int i = 0; i < 64; i++) {
        ssize_t n =
            packet_mode ? afpacket_recv(tunfd, pkt, sizeof pkt) : read(tunfd, pkt, sizeof pkt);
        if (n <= 0) break;
        if (eth)
            tcpfsm_eth_input(eth, pkt, (size_t)n);
        else
            tcpfsm_input(st, pkt, (size_t)n);
    }
    if (eth) tcpfsm_eth_advance(eth, now_us());
    tcpfsm_advance(st, now_us());
    if (wait_ms >= 0) poll(&p, 1, wait_ms);
}

/* The Linux side, in the child: mode 'r' = write to us for secs; 's' = listen and read. */
static void linux_peer(char mode, double secs, int report_fd)
{
    static char buf[1 << 16];
    struct sockaddr_in a = {.sin_family = AF_INET};
    uint64_t total = 0;
    if (mode == 'c') {
        int n = (int)secs; /* here: the number of connections */
        char b = 'x';
        a.sin_port = htons(5003);
        a.sin_addr.s_addr = htonl(OUR_ADDR);
        uint64_t t0 = bench_now_ns();
        for (int i = 0; i < n; i++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
            if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
                die("linux client connect");
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1) die("linux client 1-byte exchange");
            close(fd);
        }
        double rate = n / ((double)(bench_now_ns() - t0) / 1e9);
        if (write(report_fd, &rate, sizeof rate) != sizeof rate) die("report");
    } else if (mode == 'r') {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        a.sin_port = htons(5001);
        a.sin_addr.s_addr = htonl(OUR_ADDR);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("linux peer connect");
        uint64_t end = bench_now_ns() + (uint64_t)(secs * 1e9);
        while (bench_now_ns() < end) {
            ssize_t n = write(fd, buf, sizeof buf);
            if (n <= 0) die("linux peer write");
            total += (uint64_t)n;
        }
        close(fd);
    } else {
        int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1, fd;
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        a.sin_port = htons(5002);
        a.sin_addr.s_addr = htonl(LINUX_ADDR);
        if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 4) < 0)
            die("linux peer listen");
        if (write(report_fd, "L", 1) != 1) /* listening: the parent may connect */
            die("report");
        fd = accept(lfd, NULL, NULL);
        uint64_t t0 = 0;
        for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
            if (!t0) t0 = bench_now_ns();
            total += (uint64_t)n;
        }
        double el = (double)(bench_now_ns() - t0) / 1e9;
        double gbps = (double)total * 8 / el / 1e9;
        if (write(report_fd, &gbps, sizeof gbps) != sizeof gbps) die("report");
        close(fd);
        close(lfd);
    }
    _exit(0);
}

static double run_once(char mode, int mtu, double secs)
{
    struct tcpfsm_config c;
    int err = 0, pfd[2];
    static uint8_t buf[1 << 16];
    memset(&c, 0, sizeof c);
    c.addr = OUR_ADDR;
    c.mtu = (uint16_t)mtu;
    c.output = tun_out;
    c.now = now_us();
    c.sndbuf = c.rcvbuf = mode == 'c' ? 0 : 4u << 20; /* connection rate: default 64 KiB */
    c.max_buffer_bytes = 64u << 20;
    if (packet_mode) {
        struct tcpfsm_eth_config ec = {
            .addr = OUR_ADDR, .prefix_len = 24, .mtu = c.mtu, .output = tun_out, .now = c.now};
        memcpy(ec.mac, OUR_MAC, 6);
        eth = tcpfsm_eth_new(&ec, &err);
        if (!eth) return -1;
        c.output = tcpfsm_eth_ip_output;
        c.output_arg = eth;
    }
    struct tcpfsm_stack *st = tcpfsm_stack_new(&c, &err);
    if (!st) return -1;
    if (eth) tcpfsm_eth_attach(eth, st);
    if (pipe(pfd) < 0) die("pipe");
    double gbps = -1;
    if (mode == 'c') {
        /* secs = number of connections; gbps = connections/s as measured by the client */
        enum { MAXC = 64 };
        int cfd[MAXC], nc = 0, lfd = tcpfsm_socket(st);
        char b;
        if (lfd < 0 || tcpfsm_bind(st, lfd, OUR_ADDR, 5003) || tcpfsm_listen(st, lfd, 128))
            die("tcpfsm listen");
        fcntl(pfd[0], F_SETFL, O_NONBLOCK);
        pid_t pid = fork();
        if (pid == 0) linux_peer('c', secs, pfd[1]);
        uint64_t t_limit = bench_now_ns() + 20000000000ull; /* 5 runs stay under run.py's 120 s */
        while (bench_now_ns() < t_limit) {
            service(st, 0);
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
            if (read(pfd[0], &gbps, sizeof gbps) == sizeof gbps) break;
            if (!nc) service(st, 1);
        }
        for (int i = 0; i < 20; i++)
            service(st, 1);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    } else if (mode == 'r') {
        int lfd = tcpfsm_socket(st), fd = -1;
        tcpfsm_bind(st, lfd, OUR_ADDR, 5001);
        tcpfsm_listen(st, lfd, 8);
        pid_t pid = fork();
        if (pid == 0) linux_peer('r', secs, pfd[1]);
        uint64_t total = 0, t0 = 0, t_end = bench_now_ns() + (uint64_t)((secs + 5) * 1e9);
        for (;;) {
            service(st, fd < 0 ? 1 : 0);
            if (fd < 0) fd = tcpfsm_accept(st, lfd, NULL, NULL);
            if (fd < 0) continue;
            long n;
            while ((n = tcpfsm_recv(st, fd, buf, sizeof buf)) > 0) {
                if (!t0) t0 = bench_now_ns();
                total += (uint64_t)n;
            }
            if (n == 0 || (n < 0 && n != -EAGAIN) || bench_now_ns() > t_end) break;
        }
        if (t0) gbps = (double)total * 8 / ((double)(bench_now_ns() - t0) / 1e9) / 1e9;
        tcpfsm_close(st, fd);
        for (int i = 0; i < 20; i++)
            service(st, 1);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    } else {
        char ready;
        pid_t pid = fork();
        if (pid == 0) linux_peer('s', secs, pfd[1]);
        if (read(pfd[0], &ready, 1) != 1) die("peer did not start");
        int fd = tcpfsm_socket(st);
        tcpfsm_connect(st, fd, LINUX_ADDR, 5002);
        uint64_t end = 0, t_limit = bench_now_ns() + (uint64_t)((secs + 5) * 1e9);
        while (bench_now_ns() < t_limit) {
            service(st, 0);
            int ev = tcpfsm_poll(st, fd);
            if (ev & TCPFSM_POLLERR) break;
            if (!(ev & TCPFSM_POLLOUT)) continue;
            if (!end) end = bench_now_ns() + (uint64_t)(secs * 1e9);
            if (bench_now_ns() > end) break;
            while (tcpfsm_send(st, fd, buf, sizeof buf) > 0)
                ;
        }
        tcpfsm_close(st, fd);
        /* let the FIN and the last data out, then read the peer's figure */
        fcntl(pfd[0], F_SETFL, O_NONBLOCK);
        for (int i = 0; i < 3000 && read(pfd[0], &gbps, sizeof gbps) != sizeof gbps; i++)
            service(st, 1);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    close(pfd[0]);
    close(pfd[1]);
    tcpfsm_stack_free(st);
    tcpfsm_eth_free(eth);
    eth = NULL;
    return gbps;
}

int main(int argc, char **argv)
{
    int connrate = argc > 1 && strcmp(argv[1], "connrate") == 0;
    packet_mode = argc > 1 && strcmp(argv[1], "packet") == 0;
    int mtu = connrate || packet_mode || argc < 2 ? 1500 : atoi(argv[1]);
    double secs = bench_quick() ? 0.1 : 0.4;
    struct ifreq ifr;
    char cmd[256], name[96];
    signal(SIGPIPE, SIG_IGN);
    if (packet_mode) {
        char eb[256];
        if (system("ip link add vebench0 type veth peer name vebench1 && "
                   "sysctl -qw net.ipv6.conf.vebench0.disable_ipv6=1 && "
                   "sysctl -qw net.ipv6.conf.vebench1.disable_ipv6=1 && "
                   "ip link set vebench0 up && ip addr add 10.78.0.1/24 dev vebench1 && "
                   "ip link set vebench1 up") != 0)
            die("veth setup");
        tunfd = afpacket_open("vebench0", OUR_MAC, eb, sizeof eb);
        if (tunfd < 0) {
            fprintf(stderr, "bench_tun_stack: %s\n", eb);
            return 1;
        }
        goto bulk;
    }
    tunfd = open("/dev/net/tun", O_RDWR);
    if (tunfd < 0) die("/dev/net/tun");
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "tunbench1");
    if (ioctl(tunfd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF");
    snprintf(cmd, sizeof cmd,
             "ip link set tunbench1 mtu %d up && ip addr add 10.78.0.1/24 dev tunbench1", mtu);
    if (system(cmd) != 0) die(cmd);
    fcntl(tunfd, F_SETFL, fcntl(tunfd, F_GETFL) | O_NONBLOCK);
    if (connrate) {
        int n = bench_quick() ? 200 : 2000;
        double v[BENCH_RUNS];
        const char *cname = "TUN connection rate, Linux client -> us, sequential";
        for (int r = 0; r < BENCH_RUNS; r++) {
            v[r] = run_once('c', mtu, n);
            if (v[r] <= 0) {
                printf("FAIL\t%s\tthe Linux client did not finish %d connections (run %d)\n", cname,
                       n, r);
                return 0;
            }
        }
        /* the reference (Linux to Linux over loopback) comes from bench_linux_connrate's row */
        printf("ROW\t%s\t%.6g\tconn/s\tLinux loopback connection rate sequential\t-\n", cname,
               bench_median(v, BENCH_RUNS));
        return 0;
    }
bulk:
    for (int d = 0; d < 2; d++) {
        char mode = d ? 's' : 'r';
        double v[BENCH_RUNS];
        const char *dir = d ? "send (us -> Linux)" : "receive (Linux -> us)";
        snprintf(name, sizeof name, "%s bulk %s MTU %d", packet_mode ? "AF_PACKET veth" : "TUN",
                 dir, mtu);
        for (int r = 0; r < BENCH_RUNS; r++) {
            v[r] = run_once(mode, mtu, secs);
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
    return 0;
}
