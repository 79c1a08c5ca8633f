/*
 * bench_tun_vnet.c — "bench_tun_stack vnet NETNS" (issue 18): bulk both ways at MTU 1500 over
 * TUN without offloads, with virtio-net headers and TSO4+CSUM, and with virtio-net headers and
 * offloads refused, interleaved run by run with Linux to Linux over a veth pair into NETNS;
 * Gbit/s and the CPU per GB of the process running the stack. See bench_tun_stack.c's header.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_tun.h"
#include "bench_util.h"
#include "link/tun.h"

static int devs[2]; /* tunbench3 (plain), tunbench2 (virtio-net headers) */

enum way { W_PLAIN, W_OFFLOAD, W_REFUSED, W_VETH, W_N };
static const char *const way_label[W_N] = {"no offloads", "offloads TSO4+CSUM",
                                           "vnet headers, offloads refused", "Linux over veth"};
/* The namespace's kernel counters that say whether what we wrote was taken (/proc/net/snmp):
 * a TCP or IP checksum the kernel found wrong, segments it refused or retransmitted. */
#define NKC 6 /* the first two: a checksum the kernel found wrong (a FAIL) */
static const char *const kc_field[NKC][2] = {{"Tcp", "InCsumErrors"}, {"Ip", "InHdrErrors"},
                                             {"Tcp", "InErrs"},       {"Tcp", "RetransSegs"},
                                             {"Tcp", "OutRsts"},      {"Ip", "InDiscards"}};
struct tally {
    double rate[2][BENCH_RUNS], cpu[2][BENCH_RUNS], peer[2][BENCH_RUNS];
    char fail[2][160]; /* per direction: why there is no figure */
    struct tcpfsm_vnet_stats vs;
    uint64_t kc[NKC], write_errors;
    int write_errno;
};
static struct tally tally[W_N];
static char netns_path[128]; /* the veth reader's namespace, "" if none was given */

/* One field of /proc/net/snmp: a line "Proto: Name1 Name2 ..." and the next "Proto: v1 v2". */
static uint64_t snmp_field(const char *text, const char *proto, const char *name)
{
    size_t pl = strlen(proto), nl = strlen(name);
    const char *hdr = NULL;
    for (const char *l = text; *l;) {
        if (!strncmp(l, proto, pl) && l[pl] == ':') {
            if (!hdr) {
                hdr = l;
            } else {
                const char *h = hdr + pl + 1, *v = l + pl + 1;
                for (;;) {
                    h += strspn(h, " ");
                    v += strspn(v, " ");
                    size_t hn = strcspn(h, " \n"), vl = strcspn(v, " \n");
                    if (!hn || !vl) return 0;
                    if (hn == nl && !strncmp(h, name, nl)) return strtoull(v, NULL, 10);
                    h += hn;
                    v += vl;
                }
            }
        }
        const char *nxt = strchr(l, '\n');
        if (!nxt) break;
        l = nxt + 1;
    }
    return 0;
}

static void kernel_counters(uint64_t *v)
{
    static char text[16384];
    FILE *f = fopen("/proc/net/snmp", "r"); /* this process's namespace */
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f) fclose(f);
    text[n] = 0;
    for (int k = 0; k < NKC; k++)
        v[k] = snmp_field(text, kc_field[k][0], kc_field[k][1]);
}

/* Linux to Linux over the veth pair: the writer here, the reader in the second namespace;
 * the CPU per GB is both processes' (the kernel's TCP runs in their system calls and in the
 * softirqs they raise). */
static struct result veth_once(double secs)
{
    struct result res = {.rate = -1};
    struct report rep = {0};
    struct rusage ru;
    double cpu = 0;
    int pfd[2];
    char ready;
    if (pipe(pfd) < 0) die("pipe");
    pid_t rx = fork();
    if (rx == 0) {
        int nfd = open(netns_path, O_RDONLY | O_CLOEXEC);
        if (nfd < 0 || setns(nfd, CLONE_NEWNET) < 0) die(netns_path);
        linux_peer((struct peer){'s', secs, pfd[1], VETH_RX_ADDR, 5002});
    }
    close(pfd[1]); /* so a reader that dies is an end of file here */
    if (read(pfd[0], &ready, 1) == 1) {
        pid_t tx = fork();
        if (tx == 0) linux_peer((struct peer){'r', secs, -1, VETH_RX_ADDR, 5002});
        if (wait4(tx, NULL, 0, &ru) == tx) cpu += tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
        if (read(pfd[0], &rep, sizeof rep) != sizeof rep) rep.rate = -1;
    }
    if (rep.rate <= 0) kill(rx, SIGKILL);
    if (wait4(rx, NULL, 0, &ru) == rx) cpu += tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
    close(pfd[0]);
    if (rep.rate > 0 && rep.bytes > 0) {
        res.rate = rep.rate;
        res.bad = rep.bad;
        res.cpu_gb = cpu / (rep.bytes / 1e9);
    }
    return res;
}

/* One run of way w, direction d (0 receive, 1 send), counted into tally[w]. */
static struct result one_run(enum way w, int d, double secs)
{
    struct tally *t = &tally[w];
    uint64_t k0[NKC], k1[NKC];
    kernel_counters(k0);
    memset(&vnet_sum, 0, sizeof vnet_sum);
    write_errors = 0;
    struct result r;
    if (w == W_VETH) {
        r = veth_once(secs);
    } else {
        tunfd = w == W_PLAIN ? devs[0] : devs[1];
        linux_addr = w == W_PLAIN ? PLAIN_LINUX_ADDR : VNET_LINUX_ADDR;
        our_addr = w == W_PLAIN ? PLAIN_OUR_ADDR : VNET_OUR_ADDR;
        use_vnet = w != W_PLAIN;
        vnet_want = w == W_OFFLOAD ? TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4 : 0;
        r = run_once(d ? 's' : 'r', 1500, secs);
    }
    kernel_counters(k1);
    for (int k = 0; k < NKC; k++)
        t->kc[k] += k1[k] - k0[k];
    vnet_stats_add(&t->vs, &vnet_sum);
    if (write_errors && !t->write_errors) t->write_errno = write_errno;
    t->write_errors += write_errors;
    return r;
}

static void log_way(enum way w, int runs)
{
    const struct tally *t = &tally[w];
    const struct tcpfsm_vnet_stats *s = &t->vs;
    fprintf(stderr, "%s, all runs:", way_label[w]);
    if (w == W_OFFLOAD || w == W_REFUSED)
        fprintf(stderr,
                " vnet TxFrames %llu TxTrains %llu TxSegments %llu (%.1f per frame) TxDrops %llu"
                " RxFrames %llu RxTrains %llu RxSegments %llu (%.1f per frame) RxBadHeader %llu;",
                (unsigned long long)s->TxFrames, (unsigned long long)s->TxTrains,
                (unsigned long long)s->TxSegments,
                s->TxFrames ? (double)s->TxSegments / (double)s->TxFrames : 0,
                (unsigned long long)s->TxDrops, (unsigned long long)s->RxFrames,
                (unsigned long long)s->RxTrains, (unsigned long long)s->RxSegments,
                s->RxFrames ? (double)s->RxSegments / (double)s->RxFrames : 0,
                (unsigned long long)s->RxBadHeader);
    if (w != W_VETH)
        fprintf(stderr, " write errors %llu%s%s;", (unsigned long long)t->write_errors,
                t->write_errors ? " first: " : "", t->write_errors ? strerror(t->write_errno) : "");
    fprintf(stderr, " kernel (this namespace)");
    for (int k = 0; k < NKC; k++)
        fprintf(stderr, " %s %s %llu", kc_field[k][0], kc_field[k][1],
                (unsigned long long)t->kc[k]);
    for (int d = 0; w != W_VETH && d < 2; d++) {
        double p[BENCH_RUNS];
        memcpy(p, t->peer[d], sizeof p);
        if (!t->fail[d][0])
            fprintf(stderr, "; %s: the Linux peer's CPU %.3g s/GB", d ? "send" : "receive",
                    bench_median(p, runs));
    }
    fprintf(stderr, "\n");
}

static void vnet_rows(int runs, int have_offload)
{
    static const char *const dir[2] = {"receive (Linux -> us)", "send (us -> Linux)"};
    const char *veth_name = "Linux over veth bulk MTU 1500 (kernel TCP both ends)";
    char name[160], ref[160];
    double veth = 0, v[BENCH_RUNS];
    if (netns_path[0] && !tally[W_VETH].fail[0][0]) {
        memcpy(v, tally[W_VETH].rate[0], sizeof v);
        veth = bench_median(v, runs);
        bench_row_noref(veth_name, veth, "Gbit/s");
        memcpy(v, tally[W_VETH].cpu[0], sizeof v);
        bench_row_noref("Linux over veth CPU per GB (writer + reader processes)",
                        bench_median(v, runs), "s/GB");
    } else if (netns_path[0]) {
        printf("FAIL\t%s\t%s\n", veth_name, tally[W_VETH].fail[0]);
    } else {
        bench_skip(veth_name, "no second namespace given (bench_tun_stack vnet NETNS)");
    }
    for (int d = 0; d < 2; d++) {
        double med[3] = {0}, cpu[3] = {0};
        for (enum way w = W_PLAIN; w <= W_REFUSED; w++) {
            snprintf(name, sizeof name, "TUN bulk %s MTU 1500, %s", dir[d], way_label[w]);
            if (w == W_OFFLOAD && !have_offload) {
                bench_skip(name, "the kernel refused TUNSETOFFLOAD TUN_F_CSUM|TUN_F_TSO4");
                continue;
            }
            if (tally[w].fail[d][0]) {
                printf("FAIL\t%s\t%s\n", name, tally[w].fail[d]);
                continue;
            }
            memcpy(v, tally[w].rate[d], sizeof v);
            med[w] = bench_median(v, runs);
            memcpy(v, tally[w].cpu[d], sizeof v);
            cpu[w] = bench_median(v, runs);
            if (w == W_PLAIN && veth > 0)
                bench_row(name, med[w], "Gbit/s", veth_name, veth);
            else if (w == W_PLAIN)
                bench_row_noref(name, med[w], "Gbit/s");
            snprintf(ref, sizeof ref, "TUN bulk %s MTU 1500, %s", dir[d], way_label[W_PLAIN]);
            if (w != W_PLAIN && med[W_PLAIN] > 0)
                bench_row(name, med[w], "Gbit/s", ref, med[W_PLAIN]);
            if (w == W_OFFLOAD && veth > 0) {
                snprintf(name, sizeof name, "TUN bulk %s MTU 1500, %s vs Linux over veth", dir[d],
                         way_label[w]);
                bench_row(name, med[w], "Gbit/s", veth_name, veth);
            }
            snprintf(name, sizeof name, "TUN CPU per GB %s, %s", dir[d], way_label[w]);
            snprintf(ref, sizeof ref, "TUN CPU per GB %s, %s", dir[d], way_label[W_PLAIN]);
            if (w == W_PLAIN)
                bench_row_noref(name, cpu[w], "s/GB");
            else if (cpu[W_PLAIN] > 0)
                bench_row(name, cpu[w], "s/GB", ref, cpu[W_PLAIN]);
        }
    }
}

int vnet_main(const char *netns)
{
    char eb[256], cmd[512];
    int quick = bench_quick(), runs = quick ? 1 : BENCH_RUNS;
    double secs = quick ? 0.1 : 0.4, check_secs = quick ? 0.05 : 0.1;
    devs[0] = plain_tun("tunbench3", 1500, "10.78.3.1");
    devs[1] = tun_open_vnet("tunbench2", eb, sizeof eb);
    if (devs[1] < 0) {
        for (int w = W_OFFLOAD; w <= W_REFUSED; w++)
            for (int d = 0; d < 2; d++)
                snprintf(tally[w].fail[d], sizeof tally[w].fail[d], "%.150s", eb);
    } else {
        sh("sysctl -qw net.ipv6.conf.tunbench2.disable_ipv6=1 && ip link set tunbench2 up && "
           "ip addr add 10.78.1.1/24 dev tunbench2");
    }
    unsigned got = 0;
    int have_offload = devs[1] >= 0 &&
                       tun_set_offload(devs[1], TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4, &got) == 0 &&
                       got == (TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4);
    fprintf(stderr, "tunbench2: TUNSETOFFLOAD TSO4+CSUM: the kernel accepted %s\n",
            got == (TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4) ? "both"
            : got                                        ? "CSUM only"
                                                         : "none");
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
    /* Check runs: each way moves the pattern once, its receiver comparing every read. */
    verify = 1;
    for (enum way w = W_PLAIN; w < W_N; w++) {
        if ((w == W_OFFLOAD && !have_offload) || (w == W_VETH && !netns)) continue;
        for (int d = 0; d < (w == W_VETH ? 1 : 2); d++) {
            if (tally[w].fail[d][0]) continue;
            struct result r = one_run(w, d, check_secs);
            if (r.rate <= 0)
                snprintf(tally[w].fail[d], sizeof tally[w].fail[d],
                         "no data moved in the check run");
            else if (r.bad)
                snprintf(tally[w].fail[d], sizeof tally[w].fail[d],
                         "the check run's receiver read %llu chunks that differ from what was "
                         "sent",
                         (unsigned long long)r.bad);
        }
    }
    verify = 0;
    /* Timed runs, the ways interleaved run by run. */
    for (int r = 0; r < runs; r++)
        for (enum way w = W_PLAIN; w < W_N; w++) {
            if ((w == W_OFFLOAD && !have_offload) || (w == W_VETH && !netns)) continue;
            for (int d = 0; d < (w == W_VETH ? 1 : 2); d++) {
                struct tally *t = &tally[w];
                if (t->fail[d][0]) continue;
                struct result res = one_run(w, d, secs);
                if (res.rate <= 0) {
                    snprintf(t->fail[d], sizeof t->fail[d], "no data moved (run %d)", r);
                    continue;
                }
                fprintf(stderr, "run %d, %s, %s: %.3g Gbit/s, %.3g s/GB (the peer: %.3g s/GB)\n", r,
                        way_label[w], d ? "send" : "receive", res.rate, res.cpu_gb,
                        res.peer_cpu_gb);
                t->rate[d][r] = res.rate;
                t->cpu[d][r] = res.cpu_gb;
                t->peer[d][r] = res.peer_cpu_gb;
            }
        }
    /* A checksum the kernel found wrong is a bug in what we wrote, whatever the figures. */
    for (enum way w = W_PLAIN; w <= W_REFUSED; w++) {
        const struct tally *t = &tally[w];
        if (t->kc[0] || t->kc[1])
            for (int d = 0; d < 2; d++)
                if (!tally[w].fail[d][0])
                    snprintf(tally[w].fail[d], sizeof tally[w].fail[d],
                             "the kernel counted %llu TCP checksum errors and %llu bad IP "
                             "headers in these runs",
                             (unsigned long long)t->kc[0], (unsigned long long)t->kc[1]);
    }
    for (enum way w = W_PLAIN; w < W_N; w++)
        if (!((w == W_OFFLOAD && !have_offload) || (w == W_VETH && !netns))) log_way(w, runs);
    vnet_rows(runs, have_offload);
    return 0;
}
