/*
 * netio.c — the example programs' driver: options, TUN or in-memory link, event loop, trace,
 * capture. See netio.h.
 */
#include "netio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checksum.h"
#include "link/tap.h"
#include "memlink.h"
#include "pcap.h"
#include "tun.h"

#define NETIO_MAX_WANT 8
#define NETIO_PKT_MAX (65535 + 14) /* an IPv4 datagram, in an Ethernet frame on TAP/AF_PACKET */
#define NETIO_SPIN_MAX 1000000     /* memory mode: rounds without time moving before "stalled" */
/* Rounds in a row that queued readiness may keep the loop from sleeping. A program that reads
 * what it is told needs one more round for a level-triggered report (the wait that finds it
 * drained drops it) and one per maxevents of a burst; a descriptor queued longer is one the
 * stack looks at again by itself (a send refused for buffer memory, tcpfsm.h) or one its
 * program leaves ready, and the loop then sleeps until the next packet or timer as before. */
#define NETIO_READY_ROUNDS 1000
/* --offload: a read is a 10-byte struct virtio_net_hdr and a datagram of up to 64 KB (a GSO
 * packet). TUN cuts a frame longer than the buffer short without a word; with the slack a
 * frame that does not fit an IPv4 datagram's 16-bit length still arrives whole, for the vnet
 * layer and the stack to refuse by its length. */
#define NETIO_VNET_HDR 10
#define NETIO_VNET_FRAME_MAX (NETIO_VNET_HDR + 65535 + 256)

struct netio {
    struct netio_opts o;
    struct tcpfsm_stack *st, *peer;
    /* memory mode */
    struct memlink *link;
    uint64_t vnow;
    uint64_t rng[2];
    /* TUN mode (and TAP, AF_PACKET: a device fd all the same) */
    int tun_fd;
    const char *dev;          /* the interface: --tun, --tap or --packet */
    struct tcpfsm_eth *eth;   /* TAP, AF_PACKET: Ethernet and ARP around the stack */
    struct tcpfsm_vnet *vnet; /* --tun --offload: virtio-net headers around the stack */
    unsigned offloads;        /* TCPFSM_VNET_*: what the kernel granted */
    uint8_t *cap_pkt;         /* --offload --pcap: one datagram as the capture records it */
    int packet_sock;          /* the fd is an AF_PACKET socket */
    struct afpacket_tx txq;   /* then: frames queued, one sendmmsg(2) per batch */
    uint64_t wall_offset;     /* realtime - monotonic, for capture timestamps */
    uint64_t tun_write_drops;
    struct pcap_writer *pcap;
    uint64_t frames;   /* records written to the capture */
    uint64_t in_frame; /* the record being fed to tcpfsm_input, 0 when none */
    uint64_t start;
    struct pollfd want[NETIO_MAX_WANT];
    int nwant;
    struct pollfd got[NETIO_MAX_WANT];
    int ngot;
};

static volatile sig_atomic_t g_signal;
static volatile sig_atomic_t g_usr1;

static void on_signal(int sig)
{
    g_signal = sig;
}

static void on_usr1(int sig)
{
    (void)sig;
    g_usr1 = 1;
}

/* ---------------------------------------------------------------- options */

void netio_opts_init(struct netio_opts *o, const char *prog)
{
    memset(o, 0, sizeof *o);
    o->prog = prog;
    o->addr = 0x0a000002u; /* 10.0.0.2 */
    o->prefix = 24;
    o->peer_addr = 0x0a000001u; /* 10.0.0.1 */
    o->seed = 1;
}

const char *netio_ntoa(uint32_t addr, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255u, (addr >> 8) & 255u,
             addr & 255u);
    return buf;
}

int netio_parse_addr(const char *s, uint32_t *addr, int *prefix)
{
    char tmp[64];
    if (!s || strlen(s) >= sizeof tmp) return -1;
    strcpy(tmp, s);
    int pfx = 24;
    char *slash = strchr(tmp, '/');
    if (slash) {
        *slash = '\0';
        char *end;
        long v = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || v < 1 || v > 32) return -1;
        pfx = (int)v;
    }
    struct in_addr in;
    if (inet_pton(AF_INET, tmp, &in) != 1) return -1;
    *addr = ntohl(in.s_addr);
    if (prefix) *prefix = pfx;
    return 0;
}

static const char *need_arg(const struct netio_opts *o, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "%s: %s needs an argument (try --help)\n", o->prog, argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int netio_parse_opt(struct netio_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v;
    if (!strcmp(a, "--tun") || !strcmp(a, "--tap") || !strcmp(a, "--packet")) {
        if (!(v = need_arg(o, argc, argv, i))) return -1;
        o->tun = o->tap = o->packet = NULL; /* one link: the last option given */
        if (!strcmp(a, "--tun"))
            o->tun = v;
        else if (!strcmp(a, "--tap"))
            o->tap = v;
        else
            o->packet = v;
    } else if (!strcmp(a, "--mem")) {
        o->tun = o->tap = o->packet = NULL;
    } else if (!strcmp(a, "--offload") || !strncmp(a, "--offload=", 10)) {
        /* the value only after '=': "--offload csum" would take a program's operand */
        const char *w = a[9] == '=' ? a + 10 : "tso";
        if (!strcmp(w, "tso"))
            o->offload_want = TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4; /* TSO4 needs CSUM */
        else if (!strcmp(w, "csum"))
            o->offload_want = TCPFSM_VNET_CSUM;
        else if (!strcmp(w, "none"))
            o->offload_want = 0;
        else {
            fprintf(stderr, "%s: bad --offload '%s' (want tso, csum or none)\n", o->prog, w);
            return -1;
        }
        o->offload = 1;
    } else if (!strcmp(a, "--mac")) {
        if (!(v = need_arg(o, argc, argv, i))) return -1;
        unsigned m[6];
        char end;
        if (sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
                   &end) != 6 ||
            (m[0] & 1)) {
            fprintf(stderr, "%s: bad --mac '%s' (want a unicast XX:XX:XX:XX:XX:XX)\n", o->prog, v);
            return -1;
        }
        for (int k = 0; k < 6; k++)
            o->mac[k] = (uint8_t)m[k];
        o->mac_set = 1;
    } else if (!strcmp(a, "--gateway")) {
        if (!(v = need_arg(o, argc, argv, i))) return -1;
        if (netio_parse_addr(v, &o->gateway, NULL) < 0 || strchr(v, '/')) {
            fprintf(stderr, "%s: bad --gateway '%s' (want A.B.C.D)\n", o->prog, v);
            return -1;
        }
    } else if (!strcmp(a, "--addr")) {
        if (!(v = need_arg(o, argc, argv, i))) return -1;
        if (netio_parse_addr(v, &o->addr, &o->prefix) < 0) {
            fprintf(stderr, "%s: bad --addr '%s' (want A.B.C.D/NN)\n", o->prog, v);
            return -1;
        }
        o->addr_set = 1;
    } else if (!strcmp(a, "--kernel-addr")) {
        if (!(v = need_arg(o, argc, argv, i))) return -1;
        if (netio_parse_addr(v, &o->kernel_addr, &o->kernel_prefix) < 0) {
            fprintf(stderr, "%s: bad --kernel-addr '%s' (want A.B.C.D/NN)\n", o->prog, v);
            return -1;
        }
    } else if (!strcmp(a, "--setup")) {
        o->setup = 1;
    } else if (!strcmp(a, "--trace")) {
        o->trace = 1;
    } else if (!strcmp(a, "--pcap")) {
        if (!(v = need_arg(o, argc, argv, i))) return -1;
        o->pcap = v;
    } else if (!strcmp(a, "--seed")) {
        if (!(v = need_arg(o, argc, argv, i))) return -1;
        char *end;
        o->seed = strtoull(v, &end, 0);
        if (end == v || *end) {
            fprintf(stderr, "%s: bad --seed '%s'\n", o->prog, v);
            return -1;
        }
    } else if (!strcmp(a, "--timeout")) {
        if (!(v = need_arg(o, argc, argv, i))) return -1;
        char *end;
        o->timeout_s = strtod(v, &end);
        if (end == v || *end || o->timeout_s < 0) {
            fprintf(stderr, "%s: bad --timeout '%s' (seconds)\n", o->prog, v);
            return -1;
        }
    } else if (!strcmp(a, "--ss")) {
        o->ss = 1;
    } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
        o->verbose++;
    } else {
        return 0;
    }
    return 1;
}

void netio_usage(FILE *f)
{
    fputs("Link options (common to the tcpfsm examples):\n"
          "  --mem               in-memory link with a built-in peer stack on a virtual clock\n"
          "                      (the default)\n"
          "  --tun NAME          use TUN device NAME (attached if it exists, else created; needs\n"
          "                      root or CAP_NET_ADMIN and /dev/net/tun)\n"
          "  --offload[=tso|csum|none]\n"
          "                      with --tun: virtio-net headers on NAME, and the kernel's\n"
          "                      offloads: tso (the default) TCP packets of up to 64 KB both\n"
          "                      ways (the kernel cuts ours into segments, the stack cuts its)\n"
          "                      and checksums left to the kernel; csum the checksums only;\n"
          "                      none neither (plain packets behind a zero header). If the\n"
          "                      kernel grants nothing asked, the device is opened plain (no\n"
          "                      header). -v says what it granted; --ss adds TxTrains, ...\n"
          "  --tap NAME          use TAP device NAME (Ethernet: the stack answers and asks ARP\n"
          "                      with --mac; created if missing; root or CAP_NET_ADMIN)\n"
          "  --packet IFNAME     use existing interface IFNAME (e.g. a veth end) through an\n"
          "                      AF_PACKET socket, Ethernet and ARP as with --tap (needs root\n"
          "                      or CAP_NET_RAW); the kernel must not use IFNAME's address\n"
          "  --mac XX:XX:XX:XX:XX:XX  with --tap/--packet: the stack's MAC (default the locally\n"
          "                      administered 02:00 then --addr's bytes, 02:00:0a:4d:00:02\n"
          "                      for 10.77.0.2)\n"
          "  --gateway A.B.C.D   with --tap/--packet: next hop for addresses off --addr's prefix\n"
          "                      (default none: they are dropped)\n"
          "  --addr A.B.C.D/NN   this stack's address (memory default 10.0.0.2/24); with --tun\n"
          "                      the kernel's route to it must lead to NAME\n"
          "  --setup             with --tun/--tap: configure the kernel side, i.e. run\n"
          "                        ip addr replace KERNEL/NN dev NAME; ip link set dev NAME up\n"
          "                      (without --setup no kernel address or route is ever changed)\n"
          "  --kernel-addr A/NN  KERNEL for --setup (default: first host of --addr's prefix\n"
          "                      that is not --addr, e.g. 10.77.0.1 for 10.77.0.2/24)\n"
          "  --trace             one line per state-machine transition on stderr, with the\n"
          "                      milliseconds since start and (with --pcap, on TUN) the frame\n"
          "                      of the segment that caused it:\n"
          "                        12.345 ms 10.0.0.2:80>10.0.0.1:40000 SYN_RCVD --RCV_ACK/\n"
          "                        established, process_ack--> ESTABLISHED (frame 3)\n"
          "  --pcap FILE         record every packet sent and received (LINKTYPE_RAW; with\n"
          "                      --tap/--packet every frame, LINKTYPE_ETHERNET; with --offload\n"
          "                      every segment the stack sends or is given, not the device's\n"
          "                      64 KB packets, each with the TCP checksum the wire carries)\n"
          "  --seed N            memory mode: PRNG seed (runs replay exactly)\n"
          "  --timeout SEC       give up after SEC seconds (virtual time in memory mode)\n"
          "  --ss                print the stack's connection table (tcpfsm_ss, like ss -tan),\n"
          "                      its socket census (tcpfsm_sockstat, like /proc/net/sockstat:\n"
          "                      TCP: inuse N orphan N tw N alloc N mem N) and its counters\n"
          "                      (tcpfsm_get_stats: ListenDrops, BufferLimitDrops, ICMP's\n"
          "                      IcmpInDestUnreachs, IcmpPmtuUpdates, ..., BufferBytes in use\n"
          "                      last) on stderr at exit; SIGUSR1 prints them at any time\n"
          "  -v, --verbose       log connections\n"
          "  -h, --help          this text\n"
          "  --version           print the version and exit\n"
          "Exit status: 0 success, 1 failure (including: TUN/TAP device cannot be opened).\n",
          f);
}

void netio_version(FILE *f, const char *prog)
{
    /* As fsmc's (fsmc/main.c): no licence notice, since the project has not chosen one. */
    fprintf(f, "%s (tcpfsm) %s\nlibtcpfsm %s\n", prog, TCPFSM_VERSION, tcpfsm_version());
}

/* ---------------------------------------------------------------- clocks, randomness */

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t real_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rng_cb(void *arg)
{
    return splitmix64(arg);
}

tcpfsm_time_t netio_now(const struct netio *n)
{
    return n->link ? n->vnow : mono_us();
}

/* ---------------------------------------------------------------- trace, output, input */

/* "   12.345 ms 10.0.0.2:80>10.0.0.1:40000 SYN_RCVD --RCV_ACK/...--> ESTABLISHED": the time since
 * the program started (virtual in memory mode), a listener's peer as Linux's ss writes it
 * (0.0.0.0:*), and with --pcap the frame number of the packet that caused the transition. */
static void trace_cb(void *arg, const struct tcpfsm_trace_event *ev)
{
    const struct netio *n = arg;
    char l[16], r[24], fr[32] = "";
    if (!ev->raddr && !ev->rport)
        snprintf(r, sizeof r, "0.0.0.0:*");
    else
        snprintf(r, sizeof r, "%s:%u", netio_ntoa(ev->raddr, l), ev->rport);
    if (n->pcap && n->in_frame && ev->cause == TCPFSM_CAUSE_SEGMENT)
        snprintf(fr, sizeof fr, " (frame %llu)", (unsigned long long)n->in_frame);
    double ms = ev->now >= n->start ? (double)(ev->now - n->start) / 1000.0 : 0;
    fprintf(n->o.trace_out, "%10.3f ms %s:%u>%s %s --%s%s%s--> %s%s\n", ms,
            netio_ntoa(ev->laddr, l), ev->lport, r, ev->from, ev->event,
            ev->actions && *ev->actions ? "/" : "", ev->actions ? ev->actions : "", ev->to, fr);
}

struct mem_ep {
    struct netio *n;
    int peer;
};
static struct mem_ep g_ep[2];

static void mem_output_local(void *arg, const void *pkt, size_t len)
{
    struct netio *n = arg;
    memlink_send(n->link, n->o.addr, pkt, len);
}

static void mem_output_peer(void *arg, const void *pkt, size_t len)
{
    struct netio *n = arg;
    memlink_send(n->link, n->o.peer_addr, pkt, len);
}

static void mem_deliver(void *arg, const void *pkt, size_t len)
{
    struct mem_ep *e = arg;
    struct tcpfsm_stack *st = e->peer ? e->n->peer : e->n->st;
    if (st) tcpfsm_input(st, pkt, len);
}

static void device_write(struct netio *n, const void *frame, size_t len)
{
    ssize_t w = write(n->tun_fd, frame, len);
    if (w != (ssize_t)len) {
        n->tun_write_drops++;
        if (n->o.verbose)
            fprintf(stderr, "%s: tun write: %s\n", n->o.prog, w < 0 ? strerror(errno) : "short");
    }
}

static void tun_output(void *arg, const void *pkt, size_t len)
{
    struct netio *n = arg;
    if (n->pcap && pcap_write(n->pcap, mono_us() + n->wall_offset, pkt, len) == 0) n->frames++;
    device_write(n, pkt, len);
}

/* --packet --pcap: the frame recorded, then queued (without --pcap the Ethernet layer hands
 * its frames to afpacket_tx_frame directly). */
static void packet_output(void *arg, const void *frame, size_t len)
{
    struct netio *n = arg;
    if (n->pcap && pcap_write(n->pcap, mono_us() + n->wall_offset, frame, len) == 0) n->frames++;
    afpacket_tx_frame(&n->txq, frame, len);
}

/* The frames queued for an AF_PACKET socket leave (one sendmmsg per AFPACKET_TX_BATCH): before
 * every wait and whenever the loop returns, as the vnet layer's trains. */
static void link_flush(struct netio *n)
{
    if (n->vnet) tcpfsm_vnet_flush(n->vnet);
    if (n->packet_sock) afpacket_tx_flush(&n->txq);
}

/* ---- --offload: virtio-net headers (tcpfsm_vnet_*) between the stack and the TUN device.
 * The capture records datagrams, not the device's frames: every segment the stack sends (before
 * the vnet layer gathers trains) and every segment it is given (a GSO packet cut as the vnet
 * layer cuts it, netio making the same cut itself before the call), each with the TCP
 * checksum the wire carries, computed here where the offload leaves it to the kernel: the
 * stack's segments hold only the pseudo-header's sum (TCPFSM_F_CSUM_OFFLOAD) and a GSO packet's
 * checksum covers none of its pieces. A capture thus reads as one made without --offload. */

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, (uint16_t)(v >> 16));
    wr16(p + 2, (uint16_t)v);
}

/* IP + TCP header length of an unfragmented TCP/IPv4 datagram whose total length is len, else
 * 0 (not one the capture rewrites). */
static size_t tcp_headers(const uint8_t *ip, size_t len)
{
    if (len < 40 || (ip[0] >> 4) != 4 || ip[9] != 6 || rd16(ip + 2) != len ||
        (rd16(ip + 6) & 0x3fffu))
        return 0;
    size_t ihl = (size_t)(ip[0] & 15u) * 4, hl = ihl + (size_t)(ip[ihl + 12] >> 4) * 4;
    return ihl >= 20 && hl >= ihl + 20 && hl <= len ? hl : 0;
}

/* RFC 9293 3.1: the TCP checksum over the pseudo-header, header and text (field zeroed first). */
static void tcp_checksum_fill(uint8_t *ip, size_t len)
{
    size_t ihl = (size_t)(ip[0] & 15u) * 4;
    uint8_t *th = ip + ihl;
    wr16(th + 16, 0);
    uint64_t acc = csum_pseudo_ipv4(rd32(ip + 12), rd32(ip + 16), 6, (uint16_t)(len - ihl));
    uint16_t c = csum_fold(csum_add(acc, th, len - ihl));
    memcpy(th + 16, &c, 2);
}

static void capture(struct netio *n, const void *pkt, size_t len)
{
    if (pcap_write(n->pcap, mono_us() + n->wall_offset, pkt, len) == 0) n->frames++;
}

/* The stack's output callback with --offload. */
static void vnet_stack_output(void *arg, const void *pkt, size_t len)
{
    struct netio *n = arg;
    if (n->pcap) {
        if ((n->offloads & TCPFSM_VNET_CSUM) && len <= 65535 && tcp_headers(pkt, len)) {
            memcpy(n->cap_pkt, pkt, len);
            tcp_checksum_fill(n->cap_pkt, len);
            capture(n, n->cap_pkt, len);
        } else {
            capture(n, pkt, len);
        }
    }
    tcpfsm_vnet_output(n->vnet, pkt, len);
}

/* tcpfsm_vnet's write callback: one frame, header and datagram. */
static void vnet_write(void *arg, const void *frame, size_t len)
{
    device_write(arg, frame, len);
}

/* Record the segments one frame read from the device stands for, before the vnet layer cuts it
 * (in place) and gives them to the stack: a GSO packet's pieces with the headers the kernel's
 * segmentation gives them (sequence number and IP ID advancing, PSH/FIN on the last, CWR on
 * the first), checksums completed where the kernel left them to be (NEEDS_CSUM). A frame
 * that is not one of those is recorded as it came. n->in_frame: the last record, whose
 * arrival ends the train (its ACK, a FIN's transition). */
static void capture_vnet_in(struct netio *n, const uint8_t *frame, size_t len)
{
    if (len <= NETIO_VNET_HDR) return;
    const uint8_t *ip = frame + NETIO_VNET_HDR;
    size_t plen = len - NETIO_VNET_HDR, hl = plen <= 65535 ? tcp_headers(ip, plen) : 0;
    uint16_t gso_size, csum_start, csum_offset; /* native byte order, as TUN's by default */
    memcpy(&gso_size, frame + 4, 2);
    memcpy(&csum_start, frame + 6, 2);
    memcpy(&csum_offset, frame + 8, 2);
    int needs_csum = frame[0] & 1u, tcpv4 = (frame[1] & 0x7fu) == 1;
    if (!hl) {
        if (needs_csum && plen <= 65535 && (size_t)csum_start + csum_offset + 2 <= plen) {
            /* another protocol's checksum left to complete (the vnet layer completes it) */
            memcpy(n->cap_pkt, ip, plen);
            uint16_t c = inet_checksum(n->cap_pkt + csum_start, plen - csum_start);
            memcpy(n->cap_pkt + csum_start + csum_offset, &c, 2);
            ip = n->cap_pkt;
        }
        capture(n, ip, plen);
        n->in_frame = n->frames;
        return;
    }
    size_t ihl = (size_t)(ip[0] & 15u) * 4;
    size_t text = plen - hl, g = tcpv4 && gso_size && gso_size < text ? gso_size : text;
    size_t pieces = g ? (text + g - 1) / g : 1;
    uint32_t seq = rd32(ip + ihl + 4);
    uint16_t id = rd16(ip + 4);
    uint8_t fl = ip[ihl + 13];
    for (size_t k = 0; k < pieces; k++) {
        size_t off = k * g, seg = k + 1 < pieces ? g : text - off;
        uint8_t *p = n->cap_pkt;
        memcpy(p, ip, hl);
        memcpy(p + hl, ip + hl + off, seg);
        if (pieces > 1) {
            wr16(p + 2, (uint16_t)(hl + seg));
            wr16(p + 4, (uint16_t)(id + k));
            wr16(p + 10, 0);
            uint16_t c = inet_checksum(p, ihl);
            memcpy(p + 10, &c, 2);
            wr32(p + ihl + 4, seq + (uint32_t)off);
            uint8_t f = fl;
            if (k + 1 < pieces) f &= (uint8_t)~0x09u; /* PSH, FIN: the last piece keeps them */
            if (k > 0) f &= (uint8_t)~0x80u;          /* CWR: the first piece keeps it */
            p[ihl + 13] = f;
        }
        if (pieces > 1 || needs_csum) tcp_checksum_fill(p, hl + seg);
        capture(n, p, hl + seg);
    }
    n->in_frame = n->frames;
}

/* Read every datagram the TUN device has (bounded, so the steps get to run). */
static void tun_drain(struct netio *n)
{
    static unsigned char
        buf[NETIO_VNET_FRAME_MAX > NETIO_PKT_MAX ? NETIO_VNET_FRAME_MAX : NETIO_PKT_MAX];
    size_t room = n->vnet ? NETIO_VNET_FRAME_MAX : NETIO_PKT_MAX;
    for (int i = 0; i < 32; i++) {
        /* AF_PACKET: a frame whose checksum the kernel vouched for (its own, or one it
         * verified) goes in without the stack summing it, and one carrying only the
         * pseudo-header's sum is not completed first. With --pcap the checksum is completed
         * (afpacket_recv) so the capture holds what the wire would carry. */
        unsigned csum = 0;
        ssize_t r = !n->packet_sock ? read(n->tun_fd, buf, room)
                    : n->pcap       ? afpacket_recv(n->tun_fd, buf, room)
                                    : afpacket_recv2(n->tun_fd, buf, room, &csum);
        if (r < 0 && n->packet_sock) errno = (int)-r;
        if (r < 0) {
            if (errno != EAGAIN && errno != EINTR && n->o.verbose)
                fprintf(stderr, "%s: tun read: %s\n", n->o.prog, strerror(errno));
            return;
        }
        if (r == 0) return;
        uint64_t now = mono_us();
        if (n->vnet) {
            if (n->pcap) capture_vnet_in(n, buf, (size_t)r);
            tcpfsm_advance(n->st, now);
            tcpfsm_vnet_input(n->vnet, buf, (size_t)r);
            n->in_frame = 0;
            continue;
        }
        if (n->pcap && pcap_write(n->pcap, mono_us() + n->wall_offset, buf, (size_t)r) == 0)
            n->in_frame = ++n->frames;
        if (n->eth) {
            tcpfsm_eth_advance(n->eth, now);
            tcpfsm_advance(n->st, now);
            tcpfsm_eth_input_ex(n->eth, buf, (size_t)r,
                                (csum & AFPACKET_CSUM_TRUSTED) ? TCPFSM_IN_CSUM_VALID : 0);
        } else {
            tcpfsm_advance(n->st, now);
            tcpfsm_input(n->st, buf, (size_t)r);
        }
        n->in_frame = 0;
    }
}

/* ---------------------------------------------------------------- TUN setup */

static int run_ip(const struct netio_opts *o, char *const argv[])
{
    fprintf(stderr, "%s: --setup:", o->prog);
    for (int i = 0; argv[i]; i++)
        fprintf(stderr, " %s", argv[i]);
    fputc('\n', stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "%s: fork: %s\n", o->prog, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "%s: cannot run %s: %s\n", o->prog, argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s: --setup: '%s %s ...' failed\n", o->prog, argv[0], argv[1]);
        return -1;
    }
    return 0;
}

static int tun_setup(const struct netio_opts *o, const char *dev)
{
    uint32_t k = o->kernel_addr;
    int kp = o->kernel_prefix ? o->kernel_prefix : o->prefix;
    if (!k) {
        uint32_t mask = o->prefix >= 32 ? 0xffffffffu : ~(0xffffffffu >> o->prefix);
        k = (o->addr & mask) | 1u;
        if (k == o->addr) k = (o->addr & mask) | 2u;
        kp = o->prefix;
    }
    if (k == o->addr) {
        fprintf(stderr, "%s: --setup: the kernel side cannot have the stack's own address\n",
                o->prog);
        return -1;
    }
    char ka[16], spec[24];
    snprintf(spec, sizeof spec, "%s/%d", netio_ntoa(k, ka), kp);
    char *addr_cmd[] = {"ip", "addr", "replace", spec, "dev", (char *)dev, NULL};
    char *up_cmd[] = {"ip", "link", "set", "dev", (char *)dev, "up", NULL};
    if (run_ip(o, addr_cmd) < 0 || run_ip(o, up_cmd) < 0) return -1;
    return 0;
}

static void tun_check_up(const struct netio_opts *o, const char *dev)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, dev, strlen(dev));
    int up = ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
    close(s);
    if (!up) {
        fprintf(stderr,
                "%s: warning: %s is down; the kernel will not route to it (pass --setup, or: "
                "ip addr add A.B.C.D/NN dev %s; ip link set dev %s up)\n",
                o->prog, dev, dev, dev);
        return;
    }
    /* Attaching gives the device carrier, but the kernel activates its transmit queue only
     * when the link watcher runs (up to a second later); until then every packet it sends
     * us is dropped and a first SYN would go unanswered for a whole RTO. Wait for the
     * operational state to say "up" (bounded, 2 s). */
    char path[64];
    snprintf(path, sizeof path, "/sys/class/net/%s/operstate", dev);
    for (int i = 0; i < 200; i++) {
        char st[32] = "";
        FILE *f = fopen(path, "r");
        if (!f) return;
        int ok = fgets(st, sizeof st, f) != NULL;
        fclose(f);
        if (!ok || !strncmp(st, "up", 2) || !strncmp(st, "unknown", 7)) return;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (o->verbose) fprintf(stderr, "%s: %s: operstate still not up after 2 s\n", o->prog, dev);
}

int netio_setup_device(const struct netio_opts *o, const char *dev)
{
    if (o->setup && tun_setup(o, dev) < 0) return -1;
    tun_check_up(o, dev);
    return 0;
}

/* ---------------------------------------------------------------- open/close */

static void offload_names(unsigned v, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", v & TCPFSM_VNET_CSUM ? "csum" : "",
             (v & TCPFSM_VNET_CSUM) && (v & TCPFSM_VNET_TSO4) ? " " : "",
             v & TCPFSM_VNET_TSO4 ? "tso4" : "");
    if (!*buf) snprintf(buf, len, "none");
}

/* -v: "offloads: csum tso4", and what the kernel refused of what was asked. */
static void vnet_say(const struct netio *n)
{
    if (!n->vnet) {
        fprintf(stderr,
                "%s: %s: the kernel refused every offload asked: plain packets, no virtio-net "
                "header\n",
                n->o.prog, n->dev);
        return;
    }
    char got[16], refused[16];
    offload_names(n->offloads, got, sizeof got);
    offload_names(n->o.offload_want & ~n->offloads, refused, sizeof refused);
    fprintf(stderr, "%s: %s: virtio-net headers, offloads: %s", n->o.prog, n->dev, got);
    if (n->o.offload_want & ~n->offloads)
        fprintf(stderr, " (refused: %s)\n", refused);
    else if (!n->o.offload_want)
        fprintf(stderr, " (none asked: plain packets behind a zero header)\n");
    else
        fputc('\n', stderr);
}

/* --offload: negotiate with the kernel, put tcpfsm_vnet between the stack and the device. */
static int vnet_open(struct netio *n, struct tcpfsm_config *cfg)
{
    if (!n->o.offload_want) { /* =none: an earlier program's offloads must not outlive it */
        int r = tun_set_offload(n->tun_fd, 0, &n->offloads);
        if (r < 0) {
            fprintf(stderr, "%s: TUNSETOFFLOAD on %s: %s\n", n->o.prog, n->dev, strerror(-r));
            return -1;
        }
    }
    struct tcpfsm_vnet_config vc = {.write = vnet_write, .write_arg = n, .offloads = n->offloads};
    int err = 0;
    n->vnet = tcpfsm_vnet_new(&vc, &err);
    if (n->vnet && n->o.pcap) n->cap_pkt = malloc(65535);
    if (!n->vnet || (n->o.pcap && !n->cap_pkt)) {
        fprintf(stderr, "%s: tcpfsm_vnet_new: %s\n", n->o.prog, strerror(n->vnet ? ENOMEM : -err));
        return -1;
    }
    cfg->flags |= tcpfsm_vnet_stack_flags(n->vnet);
    cfg->output = vnet_stack_output;
    cfg->output_arg = n;
    return 0;
}

struct netio *netio_open(const struct netio_opts *o, const struct tcpfsm_config *tmpl)
{
    struct netio *n = calloc(1, sizeof *n);
    if (!n) {
        fprintf(stderr, "%s: out of memory\n", o->prog);
        return NULL;
    }
    n->o = *o;
    if (!n->o.trace_out) n->o.trace_out = stderr;
    n->tun_fd = -1;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct tcpfsm_config cfg;
    if (tmpl)
        cfg = *tmpl;
    else
        memset(&cfg, 0, sizeof cfg);
    cfg.addr = o->addr;
    cfg.prefix_len = (uint8_t)o->prefix; /* the subnet's broadcast is never answered */
    if (o->trace) {
        cfg.trace = trace_cb;
        cfg.trace_arg = n;
    }
    int err = 0;

    n->dev = o->tun ? o->tun : o->tap ? o->tap : o->packet;
    if (o->offload && !o->tun) {
        /* virtio-net headers are a TUN (and TAP) feature, but tcpfsm_vnet_* takes IP packets:
         * behind Ethernet it would need the frames parsed twice */
        fprintf(stderr, "%s: --offload goes with --tun only (not %s)\n", o->prog,
                o->tap      ? "--tap"
                : o->packet ? "--packet"
                            : "the in-memory link");
        goto fail;
    }
    if (n->dev) {
        const char *opt = o->tun ? "--tun" : o->tap ? "--tap" : "--packet";
        if (!o->addr_set) {
            fprintf(stderr, "%s: %s needs --addr A.B.C.D/NN (the stack's own address)\n", o->prog,
                    opt);
            goto fail;
        }
        if (o->packet && o->setup) {
            fprintf(stderr, "%s: --setup configures a --tun or --tap device, not --packet\n",
                    o->prog);
            goto fail;
        }
        uint8_t mac[6] = {0x02,
                          0x00,
                          (uint8_t)(o->addr >> 24),
                          (uint8_t)(o->addr >> 16),
                          (uint8_t)(o->addr >> 8),
                          (uint8_t)o->addr};
        if (o->mac_set) memcpy(mac, o->mac, 6);
        char eb[256] = "";
        if (o->packet) {
            n->tun_fd = afpacket_open(o->packet, mac, eb, sizeof eb);
            n->packet_sock = n->tun_fd >= 0;
        } else if (o->offload && o->offload_want) {
            /* a plain fd if the kernel grants nothing (runtime/link/tun.h): no header to pay */
            n->tun_fd = tun_open_offload(n->dev, o->offload_want, &n->offloads, eb, sizeof eb);
        } else if (o->offload) {
            n->tun_fd = tun_open_vnet(n->dev, eb, sizeof eb); /* =none: headers, no offloads */
        } else {
            n->tun_fd = tun_open_mode(n->dev, o->tap != NULL, eb, sizeof eb);
        }
        if (n->tun_fd < 0) {
            fprintf(stderr, "%s: cannot open %s: %s\n", o->prog,
                    o->packet ? "AF_PACKET socket"
                    : o->tap  ? "TAP device"
                              : "TUN device",
                    eb);
            goto fail;
        }
        /* (a plain device's stale offloads are switched off by tun_open: runtime/link) */
        if (o->setup && tun_setup(o, n->dev) < 0) goto fail;
        tun_check_up(o, n->dev);
        int mtu = tun_mtu(n->dev);
        cfg.mtu = mtu >= 576 && mtu <= 65535 ? (uint16_t)mtu : 1500;
        n->start = mono_us();
        n->wall_offset = real_us() - n->start;
        cfg.now = n->start;
        cfg.output = tun_output;
        cfg.output_arg = n;
        if (o->offload && (n->offloads || !o->offload_want) && vnet_open(n, &cfg) < 0) goto fail;
        if (!o->tun) { /* frames: Ethernet and ARP between the stack and the device */
            struct tcpfsm_eth_config ec = {.addr = o->addr,
                                           .prefix_len = (uint8_t)o->prefix,
                                           .gateway = o->gateway,
                                           .mtu = cfg.mtu,
                                           .output = tun_output,
                                           .output_arg = n,
                                           .now = n->start};
            memcpy(ec.mac, mac, 6);
            if (n->packet_sock) {
                /* a frame is at most the MTU's datagram behind its 14-byte header */
                err = afpacket_tx_init(&n->txq, n->tun_fd, (uint32_t)cfg.mtu + 14);
                if (err < 0) {
                    fprintf(stderr, "%s: afpacket_tx_init: %s\n", o->prog, strerror(-err));
                    n->packet_sock = 0; /* nothing to flush or free */
                    goto fail;
                }
                ec.output = o->pcap ? packet_output : afpacket_tx_frame;
                ec.output_arg = o->pcap ? (void *)n : (void *)&n->txq;
            }
            n->eth = tcpfsm_eth_new(&ec, &err);
            if (!n->eth) {
                fprintf(stderr, "%s: tcpfsm_eth_new: %s%s\n", o->prog, strerror(-err),
                        o->gateway ? " (is --gateway on --addr's prefix?)" : "");
                goto fail;
            }
            cfg.output = tcpfsm_eth_ip_output;
            cfg.output_arg = n->eth;
        }
        if (o->pcap) {
            n->pcap = pcap_open_linktype(o->pcap,
                                         n->eth ? PCAP_LINKTYPE_ETHERNET : PCAP_LINKTYPE_RAW, &err);
            if (!n->pcap) {
                fprintf(stderr, "%s: --pcap %s: %s\n", o->prog, o->pcap, strerror(-err));
                goto fail;
            }
        }
        n->st = tcpfsm_stack_new(&cfg, &err);
        if (!n->st) {
            fprintf(stderr, "%s: tcpfsm_stack_new: %s\n", o->prog, strerror(-err));
            goto fail;
        }
        if (n->eth) {
            tcpfsm_eth_attach(n->eth, n->st);
            tcpfsm_eth_announce(n->eth); /* RFC 5227 2.3 */
        }
        if (n->vnet) tcpfsm_vnet_attach(n->vnet, n->st);
        if (o->verbose) {
            char a[16];
            fprintf(stderr, "%s: stack %s on %s (mtu %u", o->prog, netio_ntoa(o->addr, a), n->dev,
                    cfg.mtu);
            if (n->eth)
                fprintf(stderr, ", mac %02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                        mac[3], mac[4], mac[5]);
            fprintf(stderr, ")\n");
            if (o->offload) vnet_say(n);
        }
        return n;
    }

    /* Memory mode: this program's stack and the built-in peer on one memlink. */
    if (o->setup) {
        fprintf(stderr, "%s: --setup only makes sense with --tun or --tap\n", o->prog);
        goto fail;
    }
    if (o->peer_addr == o->addr) {
        fprintf(stderr, "%s: the peer cannot have the stack's own address\n", o->prog);
        goto fail;
    }
    n->vnow = 0;
    n->start = 0;
    n->link = memlink_new(o->seed, 0);
    if (!n->link) {
        fprintf(stderr, "%s: out of memory\n", o->prog);
        goto fail;
    }
    if (o->pcap) {
        n->pcap = pcap_open(o->pcap, &err);
        if (!n->pcap) {
            fprintf(stderr, "%s: --pcap %s: %s\n", o->prog, o->pcap, strerror(-err));
            goto fail;
        }
        memlink_set_pcap(n->link, n->pcap);
    }
    g_ep[0] = (struct mem_ep){n, 0};
    g_ep[1] = (struct mem_ep){n, 1};
    if (memlink_attach(n->link, o->addr, mem_deliver, &g_ep[0]) < 0 ||
        memlink_attach(n->link, o->peer_addr, mem_deliver, &g_ep[1]) < 0) {
        fprintf(stderr, "%s: memlink_attach failed\n", o->prog);
        goto fail;
    }
    n->rng[0] = o->seed * 2 + 1;
    n->rng[1] = o->seed * 2 + 2;
    cfg.now = 0;
    cfg.random = rng_cb;
    cfg.random_arg = &n->rng[0];
    cfg.output = mem_output_local;
    cfg.output_arg = n;
    n->st = tcpfsm_stack_new(&cfg, &err);
    if (!n->st) {
        fprintf(stderr, "%s: tcpfsm_stack_new: %s\n", o->prog, strerror(-err));
        goto fail;
    }
    cfg.addr = o->peer_addr;
    cfg.random_arg = &n->rng[1];
    cfg.output = mem_output_peer;
    n->peer = tcpfsm_stack_new(&cfg, &err);
    if (!n->peer) {
        fprintf(stderr, "%s: tcpfsm_stack_new (peer): %s\n", o->prog, strerror(-err));
        goto fail;
    }
    return n;
fail:
    netio_close(n);
    return NULL;
}

static void print_eth_stats(const struct tcpfsm_eth *eth, FILE *f)
{
    struct tcpfsm_eth_stats s;
    tcpfsm_eth_get_stats(eth, &s);
#define NETIO_ESTAT(name)                                                                          \
    {                                                                                              \
#name, s.name                                                                              \
    }
    const struct {
        const char *name;
        uint64_t v;
    } rows[] = {
        NETIO_ESTAT(InFrames),      NETIO_ESTAT(OutFrames),     NETIO_ESTAT(InIp),
        NETIO_ESTAT(InOtherHost),   NETIO_ESTAT(InMalformed),   NETIO_ESTAT(InUnknownType),
        NETIO_ESTAT(ArpInRequests), NETIO_ESTAT(ArpInReplies),  NETIO_ESTAT(ArpOutRequests),
        NETIO_ESTAT(ArpOutReplies), NETIO_ESTAT(ArpLearned),    NETIO_ESTAT(ArpExpired),
        NETIO_ESTAT(ArpFailed),     NETIO_ESTAT(ArpQueueDrops), NETIO_ESTAT(ArpConflicts),
        NETIO_ESTAT(OutNoRoute),    NETIO_ESTAT(OutDrops),
    };
#undef NETIO_ESTAT
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(f, "  %-17s %llu%s", rows[i].name, (unsigned long long)rows[i].v,
                i % 3 == 2 ? "\n" : "");
    if ((sizeof rows / sizeof rows[0]) % 3) fputc('\n', f);
}

static void print_vnet_stats(const struct tcpfsm_vnet *vn, FILE *f)
{
    struct tcpfsm_vnet_stats s;
    tcpfsm_vnet_get_stats(vn, &s);
    const struct {
        const char *name;
        uint64_t v;
    } rows[] = {
        {"TxFrames", s.TxFrames},     {"TxTrains", s.TxTrains},       {"TxSegments", s.TxSegments},
        {"TxDrops", s.TxDrops},       {"RxFrames", s.RxFrames},       {"RxTrains", s.RxTrains},
        {"RxSegments", s.RxSegments}, {"RxBadHeader", s.RxBadHeader},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(f, "  %-17s %llu%s", rows[i].name, (unsigned long long)rows[i].v,
                i % 3 == 2 ? "\n" : "");
    if ((sizeof rows / sizeof rows[0]) % 3) fputc('\n', f);
}

/* The listing, the census of the same sockets (/proc/net/sockstat's TCP line), then the
 * counters, each under a label of its own. Neither the census nor the counter lines have an
 * address in their 4th and 5th fields, so scripts that pick connections out of the listing by
 * those fields (tests/interop/lib.sh) skip them; the last counter row (BufferBytes) ends the
 * block, so a reader can tell when a listing is complete (the vnet layer's counters, printed
 * before the stack's, are complete then too). */
static void print_ss_labelled(struct netio *n, const char *when)
{
    fprintf(stderr, "%s: tcpfsm_ss %s:\n", n->o.prog, when);
    netio_print_ss(n->st, stderr);
    fprintf(stderr, "%s: sockets (tcpfsm_sockstat) %s:\n", n->o.prog, when);
    netio_print_sockstat(n->st, stderr);
    if (n->vnet) {
        fprintf(stderr, "%s: link counters (tcpfsm_vnet_get_stats) %s:\n", n->o.prog, when);
        print_vnet_stats(n->vnet, stderr);
    }
    fprintf(stderr, "%s: counters (tcpfsm_get_stats) %s:\n", n->o.prog, when);
    netio_print_stats(n->st, stderr);
    if (n->eth) {
        fprintf(stderr, "%s: link counters (tcpfsm_eth_get_stats) %s:\n", n->o.prog, when);
        print_eth_stats(n->eth, stderr);
    }
    if (n->peer) {
        fprintf(stderr, "%s: tcpfsm_ss of the built-in peer %s:\n", n->o.prog, when);
        netio_print_ss(n->peer, stderr);
        fprintf(stderr, "%s: sockets (tcpfsm_sockstat) of the built-in peer %s:\n", n->o.prog,
                when);
        netio_print_sockstat(n->peer, stderr);
        fprintf(stderr, "%s: counters (tcpfsm_get_stats) of the built-in peer %s:\n", n->o.prog,
                when);
        netio_print_stats(n->peer, stderr);
    }
    fflush(stderr);
}

void netio_close(struct netio *n)
{
    if (!n) return;
    link_flush(n); /* the last train or frames, before the counters */
    if (n->o.ss && n->st) print_ss_labelled(n, "at exit");
    if (n->st) tcpfsm_stack_free(n->st);
    if (n->vnet) tcpfsm_vnet_free(n->vnet);
    free(n->cap_pkt);
    if (n->peer) tcpfsm_stack_free(n->peer);
    if (n->eth) tcpfsm_eth_free(n->eth);
    if (n->link) memlink_free(n->link);
    if (n->pcap) {
        int rc = pcap_close(n->pcap);
        if (rc < 0) fprintf(stderr, "%s: --pcap %s: %s\n", n->o.prog, n->o.pcap, strerror(-rc));
    }
    if (n->packet_sock) {
        n->tun_write_drops += n->txq.drops;
        if (n->o.verbose)
            fprintf(stderr, "%s: %s: %llu frames sent in %llu sendmmsg calls\n", n->o.prog, n->dev,
                    (unsigned long long)n->txq.frames, (unsigned long long)n->txq.calls);
        afpacket_tx_destroy(&n->txq);
    }
    if (n->tun_fd >= 0) close(n->tun_fd);
    if (n->tun_write_drops && n->o.verbose)
        fprintf(stderr, "%s: %llu packets could not be written to %s\n", n->o.prog,
                (unsigned long long)n->tun_write_drops, n->dev);
    free(n);
}

struct tcpfsm_stack *netio_stack(struct netio *n)
{
    return n->st;
}
struct tcpfsm_stack *netio_peer(struct netio *n)
{
    return n->peer;
}
int netio_is_mem(const struct netio *n)
{
    return n->link != NULL;
}
uint32_t netio_addr(const struct netio *n)
{
    return n->o.addr;
}
uint32_t netio_peer_addr(const struct netio *n)
{
    return n->o.peer_addr;
}
struct memlink *netio_link(struct netio *n)
{
    return n->link;
}

int netio_watch(struct tcpfsm_stack *st, int fd, uint32_t *cur, uint32_t events, uint64_t data)
{
    events |= TCPFSM_POLLERR;
    if (*cur == events) return 0;
    struct tcpfsm_event ev = {.events = events, .data = data};
    int r = tcpfsm_epoll_ctl(st, *cur ? TCPFSM_EPOLL_CTL_MOD : TCPFSM_EPOLL_CTL_ADD, fd, &ev);
    if (r == 0) *cur = events;
    return r;
}

void netio_want_fd(struct netio *n, int fd, short events)
{
    for (int i = 0; i < n->nwant; i++)
        if (n->want[i].fd == fd) {
            n->want[i].events |= events;
            return;
        }
    if (n->nwant < NETIO_MAX_WANT)
        n->want[n->nwant++] = (struct pollfd){.fd = fd, .events = events};
}

short netio_revents(const struct netio *n, int fd)
{
    for (int i = 0; i < n->ngot; i++)
        if (n->got[i].fd == fd) return n->got[i].revents;
    return 0;
}

/* ---------------------------------------------------------------- the loop */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static void keep_revents(struct netio *n, const struct pollfd *p, int np)
{
    n->ngot = 0;
    for (int i = 0; i < np && n->ngot < NETIO_MAX_WANT; i++)
        if (p[i].fd != n->tun_fd) n->got[n->ngot++] = p[i];
}

/* until: absolute time at which to return NETIO_CONTINUE (UINT64_MAX = never). */
static int run_loop_inner(struct netio *n, uint64_t until, netio_step_fn step, void *arg,
                          netio_step_fn peer_step, void *peer_arg)
{
    uint64_t give_up = UINT64_MAX;
    if (n->o.timeout_s > 0 && until == UINT64_MAX) /* netio_run_for is bounded already */
        give_up = n->start + (uint64_t)(n->o.timeout_s * 1e6);
    unsigned long spins = 0, ready_rounds = 0;
    uint64_t last_now = 0;
    for (;;) {
        if (g_signal) return NETIO_SIGNAL;
        if (g_usr1) {
            g_usr1 = 0;
            print_ss_labelled(n, "on SIGUSR1");
        }
        uint64_t now = netio_now(n);
        if (now == last_now) {
            if (++spins > NETIO_SPIN_MAX) {
                fprintf(stderr, "%s: the stack keeps reporting due timers without progress\n",
                        n->o.prog);
                return NETIO_STALLED;
            }
        } else {
            spins = 0;
            last_now = now;
        }
        if (n->eth) tcpfsm_eth_advance(n->eth, now);
        tcpfsm_advance(n->st, now);
        if (n->peer) tcpfsm_advance(n->peer, now);
        if (n->link) memlink_advance(n->link, now);

        n->nwant = 0;
        int r = step ? step(n, arg) : NETIO_CONTINUE;
        if (r != NETIO_CONTINUE) return r;
        if (peer_step && n->peer) {
            r = peer_step(n, peer_arg);
            if (r != NETIO_CONTINUE) return r;
        }
        n->ngot = 0;
        if (now >= until) return NETIO_CONTINUE;
        if (now >= give_up) {
            fprintf(stderr, "%s: --timeout %g s expired\n", n->o.prog, n->o.timeout_s);
            return NETIO_TIMEOUT;
        }

        /* Readiness the steps have not taken yet (a burst larger than their maxevents, a
         * level-triggered report to confirm, a descriptor a socket call queued): run them
         * again before sleeping. Only stacks whose step waits on them count. */
        unsigned pending = (step ? tcpfsm_epoll_pending(n->st) : 0) +
                           (peer_step && n->peer ? tcpfsm_epoll_pending(n->peer) : 0);
        int ready = pending && ++ready_rounds <= NETIO_READY_ROUNDS;
        if (!pending) ready_rounds = 0;

        uint64_t next = tcpfsm_next_timeout(n->st);
        if (n->peer) next = min_u64(next, tcpfsm_next_timeout(n->peer));
        if (n->eth) next = min_u64(next, tcpfsm_eth_next_timeout(n->eth));
        if (n->link) next = min_u64(next, memlink_next_delivery(n->link));
        uint64_t wake = min_u64(next, min_u64(until, give_up));

        if (n->link) {
            /* Virtual clock: whatever is due now first, then the caller's fds (without
             * waiting if a virtual event is pending), then jump to the next event. */
            if (next <= now || ready) continue;
            if (n->nwant) {
                struct pollfd p[NETIO_MAX_WANT];
                memcpy(p, n->want, sizeof(p[0]) * (size_t)n->nwant);
                int pr = poll(p, (nfds_t)n->nwant, wake == UINT64_MAX ? -1 : 0);
                if (pr < 0 && errno != EINTR) {
                    fprintf(stderr, "%s: poll: %s\n", n->o.prog, strerror(errno));
                    return NETIO_FAIL;
                }
                if (pr > 0) {
                    keep_revents(n, p, n->nwant);
                    /* run the steps again at the same virtual time */
                    spins = 0;
                    continue;
                }
                if (pr < 0) continue;
            }
            if (wake == UINT64_MAX) {
                fprintf(stderr, "%s: stalled: no packet in flight, no timer armed\n", n->o.prog);
                return NETIO_STALLED;
            }
            n->vnow = wake;
            continue;
        }

        /* TUN: real time. */
        struct pollfd p[NETIO_MAX_WANT + 1];
        int np = 0;
        p[np++] = (struct pollfd){.fd = n->tun_fd, .events = POLLIN};
        for (int i = 0; i < n->nwant; i++)
            p[np++] = n->want[i];
        int timeout_ms = -1;
        now = mono_us();
        if (ready) {
            timeout_ms = 0; /* take what the link has, then the steps again */
        } else if (wake != UINT64_MAX) {
            uint64_t d = wake > now ? (wake - now + 999) / 1000 : 0;
            timeout_ms = d > 60000 ? 60000 : (int)d;
        }
        /* The train the vnet layer is gathering (the frames queued for an AF_PACKET socket)
         * goes out before any wait: what the steps and the last reads made is all there is
         * until the device or a timer wakes us. */
        link_flush(n);
        int pr = poll(p, (nfds_t)np, timeout_ms);
        if (pr < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "%s: poll: %s\n", n->o.prog, strerror(errno));
            return NETIO_FAIL;
        }
        if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            fprintf(stderr, "%s: device %s failed\n", n->o.prog, n->dev);
            return NETIO_FAIL;
        }
        if (p[0].revents & POLLIN) tun_drain(n);
        keep_revents(n, p, np);
    }
}

/* The loop, then the last train out: a program may wait on its own after netio_run_for. */
static int run_loop(struct netio *n, uint64_t until, netio_step_fn step, void *arg,
                    netio_step_fn peer_step, void *peer_arg)
{
    int r = run_loop_inner(n, until, step, arg, peer_step, peer_arg);
    link_flush(n);
    return r;
}

int netio_run(struct netio *n, netio_step_fn step, void *arg, netio_step_fn peer_step,
              void *peer_arg)
{
    return run_loop(n, UINT64_MAX, step, arg, peer_step, peer_arg);
}

int netio_run_for(struct netio *n, uint64_t us, netio_step_fn step, void *arg,
                  netio_step_fn peer_step, void *peer_arg)
{
    return run_loop(n, netio_now(n) + us, step, arg, peer_step, peer_arg);
}

/* ---------------------------------------------------------------- observability */

void netio_print_ss(struct tcpfsm_stack *st, FILE *f)
{
    char small[4096];
    int need = tcpfsm_ss(st, small, sizeof small);
    if (need < 0) return;
    if ((size_t)need < sizeof small) {
        fputs(small, f);
        return;
    }
    char *big = malloc((size_t)need + 1);
    if (!big) {
        fputs(small, f);
        return;
    }
    tcpfsm_ss(st, big, (size_t)need + 1);
    fputs(big, f);
    free(big);
}

void netio_print_sockstat(struct tcpfsm_stack *st, FILE *f)
{
    struct tcpfsm_sockstat s;
    char line[256];
    tcpfsm_sockstat(st, &s);
    tcpfsm_sockstat_format(&s, line, sizeof line);
    fputs(line, f);
}

void netio_print_stats(struct tcpfsm_stack *st, FILE *f)
{
    struct tcpfsm_stats s;
    tcpfsm_get_stats(st, &s);
    netio_print_counters(&s, f);
}

void netio_print_counters(const struct tcpfsm_stats *sp, FILE *f)
{
    const struct tcpfsm_stats s = *sp;
    /* TCP's counters, ICMP's (runtime/ip/icmp.c), then BufferBytes: the last row ends a
     * --ss block (print_ss_labelled). */
#define NETIO_STAT(name)                                                                           \
    {                                                                                              \
#name, s.name                                                                              \
    }
    const struct {
        const char *name;
        uint64_t v;
    } rows[] = {
        NETIO_STAT(ActiveOpens),
        NETIO_STAT(PassiveOpens),
        NETIO_STAT(AttemptFails),
        NETIO_STAT(EstabResets),
        NETIO_STAT(CurrEstab),
        NETIO_STAT(InSegs),
        NETIO_STAT(OutSegs),
        NETIO_STAT(RetransSegs),
        NETIO_STAT(InErrs),
        NETIO_STAT(OutRsts),
        NETIO_STAT(InCsumErrors),
        NETIO_STAT(InMalformed),
        NETIO_STAT(InNoSocket),
        NETIO_STAT(ChallengeAcks),
        NETIO_STAT(SynCookiesSent),
        NETIO_STAT(SynCookiesRecv),
        NETIO_STAT(SynCookiesFailed),
        NETIO_STAT(ListenOverflows),
        NETIO_STAT(ListenDrops),
        NETIO_STAT(OutOfWindowDrops),
        NETIO_STAT(PawsDrops),
        NETIO_STAT(TsMissingDrops),
        NETIO_STAT(OfoDrops),
        NETIO_STAT(BufferLimitDrops),
        NETIO_STAT(TimeWaitRecycled),
        NETIO_STAT(InMartians),
        NETIO_STAT(InBadFlags),
        NETIO_STAT(AckSkipped),
        NETIO_STAT(MemoryPressures),
        NETIO_STAT(IcmpInMsgs),
        NETIO_STAT(IcmpInErrors),
        NETIO_STAT(IcmpInCsumErrors),
        NETIO_STAT(IcmpInDestUnreachs),
        NETIO_STAT(IcmpInTimeExcds),
        NETIO_STAT(IcmpInEchos),
        NETIO_STAT(IcmpOutMsgs),
        NETIO_STAT(IcmpOutEchoReps),
        NETIO_STAT(IcmpOutDestUnreachs),
        NETIO_STAT(IcmpOutRateLimited),
        NETIO_STAT(IpInUnknownProtos),
        NETIO_STAT(OutOfWindowIcmps),
        NETIO_STAT(IcmpPmtuUpdates),
        NETIO_STAT(IcmpSoftErrors),
        NETIO_STAT(BufferBytes),
    };
#undef NETIO_STAT
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(f, "  %-19s %llu%s", rows[i].name, (unsigned long long)rows[i].v,
                i % 3 == 2 ? "\n" : "");
    if ((sizeof rows / sizeof rows[0]) % 3) fputc('\n', f);
}

const char *netio_errname(int e)
{
    if (e < 0) e = -e;
    switch (e) {
#define NETIO_E(x)                                                                                 \
    case x:                                                                                        \
        return #x
        NETIO_E(ECONNRESET);
        NETIO_E(ECONNREFUSED);
        NETIO_E(ETIMEDOUT);
        NETIO_E(EPIPE);
        NETIO_E(ENOTCONN);
        NETIO_E(EAGAIN);
        NETIO_E(EINVAL);
        NETIO_E(EBADF);
        NETIO_E(ENOMEM);
        NETIO_E(EMFILE);
        NETIO_E(EADDRINUSE);
        NETIO_E(EHOSTUNREACH);
        NETIO_E(ENETUNREACH);
        NETIO_E(ECONNABORTED);
        NETIO_E(EIO);
#undef NETIO_E
    default:
        return "E?";
    }
}
