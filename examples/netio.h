/*
 * netio.h — the driver shared by the example programs (tcpfsm-echo, -httpd, -nc, -demo).
 *
 * It owns everything that is not the program's own protocol logic:
 *   - the common options: --tun NAME, --offload[=tso|csum|none], --tap NAME, --packet IFNAME,
 *     --mac, --gateway, --addr A.B.C.D/NN, --mem, --setup, --kernel-addr, --trace, --pcap FILE,
 *     --seed N, --timeout SEC, --ss, -v; the help text of -h/--help and the text of --version;
 *   - the link: a TUN device (real monotonic clock, poll(2) on the TUN fd together with the
 *     stack's next timer), a TAP device or an AF_PACKET socket (the same, with Ethernet and
 *     ARP from runtime/link/ around the stack), or the in-memory link (runtime/memlink.h) with a
 *     second "peer" stack in the same process on a virtual clock that jumps to the next event;
 *     with --tun --offload the device carries virtio-net headers and tcpfsm_vnet_* (tcpfsm.h)
 *     sits between it and the stack: trains of segments written as one TSO packet, GSO/GRO
 *     packets read as trains, TCP checksums left to the kernel where it took TUN_F_CSUM;
 *   - --trace lines, --pcap recording, SIGINT/SIGTERM (stop cleanly, flush the capture),
 *     --ss (the tcpfsm_ss() listing and the counters on stderr at exit) and SIGUSR1 (both
 *     now).
 *
 * A program gives netio_run() one step function for its own stack and, in memory mode, one
 * for the built-in peer. Steps are called after every batch of packets/timers; they ask their
 * stack's interest set which sockets have news (tcpfsm_epoll_wait), do the non-blocking socket
 * calls on those only, and return NETIO_CONTINUE or a code that ends the loop. The loop does
 * not sleep while a stepped stack has readiness queued (tcpfsm_epoll_pending), so a step may
 * take a bounded batch of reports per call.
 *
 * With --tun the program never changes the kernel's addresses or routes unless --setup is
 * given; then it runs `ip addr replace KERNEL/NN dev NAME` and `ip link set dev NAME up`,
 * KERNEL being --kernel-addr or the first host of --addr's prefix that is not --addr.
 */
#ifndef TCPFSM_EXAMPLES_NETIO_H
#define TCPFSM_EXAMPLES_NETIO_H

#include <stdint.h>
#include <stdio.h>

#include "tcpfsm.h"

/* Step results. Anything but NETIO_CONTINUE ends netio_run(), which returns it. */
#define NETIO_CONTINUE 0
#define NETIO_DONE 1       /* finished, success */
#define NETIO_FAIL (-1)    /* finished, failure (the step printed why) */
#define NETIO_STALLED (-2) /* memory mode: nothing left that could ever happen */
#define NETIO_TIMEOUT (-3) /* --timeout expired */
#define NETIO_SIGNAL 2     /* SIGINT/SIGTERM */

struct netio_opts {
    const char *prog; /* for messages */
    const char *tun;  /* NULL: memory link */
    uint32_t addr;    /* this program's stack, host order */
    int prefix;       /* --addr's /NN */
    int addr_set;
    uint32_t kernel_addr; /* --kernel-addr, for --setup */
    int kernel_prefix;
    int setup;          /* --setup */
    int trace;          /* --trace */
    const char *pcap;   /* --pcap FILE */
    uint64_t seed;      /* --seed (memory mode PRNG and link) */
    double timeout_s;   /* --timeout SEC, 0 = none */
    int verbose;        /* -v */
    int ss;             /* --ss: tcpfsm_ss() and counters to stderr at netio_close() */
    uint32_t peer_addr; /* memory mode: the built-in peer's address */
    FILE *trace_out;    /* where --trace lines go (default stderr) */
    /* Ethernet links (runtime/link/): the stack behind ARP on a TAP device or an AF_PACKET
     * socket bound to an existing interface. */
    const char *tap;    /* --tap NAME */
    const char *packet; /* --packet IFNAME */
    uint8_t mac[6];     /* --mac; default 02:00 then --addr's four bytes */
    int mac_set;
    uint32_t gateway; /* --gateway A.B.C.D: next hop off the prefix (0 = none) */
    /* --offload[=tso|csum|none] (--tun only): open the device with virtio-net headers and ask
     * the kernel for these offloads (TCPFSM_VNET_*; what it refuses is left out). */
    int offload;
    unsigned offload_want;
};

/* Fill defaults: memory mode, stack 10.0.0.2/24, peer 10.0.0.1, seed 1. */
void netio_opts_init(struct netio_opts *o, const char *prog);
/* Try to parse argv[*i] as a common option. Returns 1 if it was one (and advances *i past
 * its argument), 0 if it is not a common option, -1 after printing an error. --help is not
 * handled here (each program prints its own usage, then netio_usage()). */
int netio_parse_opt(struct netio_opts *o, int argc, char **argv, int *i);
/* The common options' help text. */
void netio_usage(FILE *f);
/* The --version text, GNU style: "PROG (tcpfsm) X.Y.Z", the library linked in, and the same
 * notice as fsmc's. The version is TCPFSM_VERSION of runtime/tcpfsm.h, the project's one
 * version number. */
void netio_version(FILE *f, const char *prog);
/* "A.B.C.D" or "A.B.C.D/NN" (prefix defaults to 24). 0 or -1. */
int netio_parse_addr(const char *s, uint32_t *addr, int *prefix);
const char *netio_ntoa(uint32_t addr, char buf[16]);

struct netio;
/* Open the link and create the stack(s). `tmpl` (may be NULL) supplies limits/protocol
 * parameters; addr, mtu, output, random, trace and now are set by netio. NULL after printing
 * the reason (e.g. no /dev/net/tun, not root). */
struct netio *netio_open(const struct netio_opts *o, const struct tcpfsm_config *tmpl);
/* Destroy stacks and link, close the capture. */
void netio_close(struct netio *n);

struct tcpfsm_stack *netio_stack(struct netio *n);
/* The built-in peer's stack (memory mode), NULL with --tun. */
struct tcpfsm_stack *netio_peer(struct netio *n);
int netio_is_mem(const struct netio *n);
uint32_t netio_addr(const struct netio *n);
uint32_t netio_peer_addr(const struct netio *n);
/* The memlink (memory mode only), e.g. to set impairments. */
struct memlink *netio_link(struct netio *n);
tcpfsm_time_t netio_now(const struct netio *n);

typedef int (*netio_step_fn)(struct netio *n, void *arg);
/* Run until a step returns something other than NETIO_CONTINUE, a signal, --timeout, or (memory
 * mode) a stall. peer_step may be NULL. */
int netio_run(struct netio *n, netio_step_fn step, void *arg, netio_step_fn peer_step,
              void *peer_arg);
/* Run for `us` more microseconds (virtual or real), steps still being called. */
int netio_run_for(struct netio *n, uint64_t us, netio_step_fn step, void *arg,
                  netio_step_fn peer_step, void *peer_arg);

/* Keep `fd` in st's interest set wanting `events` (TCPFSM_POLL* bits and TCPFSM_EPOLL* flags),
 * with `data` handed back by tcpfsm_epoll_wait: ADD when *cur is 0, MOD when the events differ
 * from *cur, nothing when they are the same (a level-triggered program says what it waits
 * for after each step at no cost). *cur is the program's record: events | TCPFSM_POLLERR,
 * never 0 once set (POLLERR is reported anyway); set it to 0 when fd is closed. 0, or
 * tcpfsm_epoll_ctl's negative errno. */
int netio_watch(struct tcpfsm_stack *st, int fd, uint32_t *cur, uint32_t events, uint64_t data);

/* Called from a step: also wake up when `fd` has `events` (POLLIN/POLLOUT). The list is
 * cleared before each round of steps. */
void netio_want_fd(struct netio *n, int fd, short events);
/* revents of fd from the last poll (0 if not polled). */
short netio_revents(const struct netio *n, int fd);

/* Print tcpfsm_ss(), the socket census (tcpfsm_sockstat_format's two lines) and the counters
 * of a stack. */
void netio_print_ss(struct tcpfsm_stack *st, FILE *f);
void netio_print_sockstat(struct tcpfsm_stack *st, FILE *f);
void netio_print_stats(struct tcpfsm_stack *st, FILE *f);
/* The same counters from a struct (e.g. tcpfsm_shards_get_stats' sum over shards). */
void netio_print_counters(const struct tcpfsm_stats *s, FILE *f);
/* For a program that opens its TUN device itself (tcpfsm-httpd --threads: a multi-queue
 * device through tcpfsm_shards.h): what netio_open does to the device once it exists, the
 * --setup commands if asked, then the wait for the device to be up (or a warning that it is
 * down). 0, or -1 after printing why. */
int netio_setup_device(const struct netio_opts *o, const char *dev);
/* The symbolic name of an errno value ("ECONNRESET"), or "E?" if unknown. */
const char *netio_errname(int e);

#endif /* TCPFSM_EXAMPLES_NETIO_H */
