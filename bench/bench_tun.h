/*
 * bench_tun.h — what bench_tun_stack.c (our stack on a TUN device against a Linux peer) shares
 * with bench_tun_vnet.c (its "vnet" mode: issue 18's offload rows and Linux over veth). One
 * program, bench_tun_stack, is built from both.
 */
#ifndef BENCH_TUN_H
#define BENCH_TUN_H

#include <stdint.h>
#include <sys/time.h>

#include "tcpfsm.h"

#define LINUX_ADDR 0x0a4e0001u       /* 10.78.0.1: tunbench1, the Linux side */
#define OUR_ADDR 0x0a4e0002u         /* 10.78.0.2: our stack behind it */
#define PLAIN_LINUX_ADDR 0x0a4e0301u /* 10.78.3.1: tunbench3, the vnet mode's plain device */
#define PLAIN_OUR_ADDR 0x0a4e0302u   /* 10.78.3.2 */
#define VNET_LINUX_ADDR 0x0a4e0101u  /* 10.78.1.1: tunbench2, the device with vnet headers */
#define VNET_OUR_ADDR 0x0a4e0102u    /* 10.78.1.2 */
#define VETH_RX_ADDR 0x0a4e0202u     /* 10.78.2.2: the veth reader, in the second namespace */
#define PATTERN 251                  /* the byte at stream offset o is pattern[o % PATTERN] */

/* The run's link: the device, the addresses of its two sides, and, for a device with vnet
 * headers (use_vnet), the offloads to ask the kernel for. */
extern int tunfd;
extern uint32_t linux_addr, our_addr;
extern int use_vnet;
extern unsigned vnet_want;
/* What runs leave behind: failed writes to the device (and the first one's errno), the vnet
 * layer's counters summed over runs. */
extern uint64_t write_errors;
extern int write_errno;
extern struct tcpfsm_vnet_stats vnet_sum;
/* Check runs: every writer sends the pattern; with verify set every reader compares. */
extern int verify;
extern uint8_t pattern[65536 + PATTERN];
/* Connection-rate runs ('c'): how many Linux clients at once (each secs / conn_clients
 * connections), the port we listen on, and whether our loop busy-polls (never sleeps) or
 * blocks in poll(2) when a pass read nothing. */
#define CONN_CLIENTS_MAX 8
extern int conn_clients, conn_busy;
extern uint16_t conn_port;

struct report {  /* the Linux peer's answer through the pipe */
    double rate; /* Gbit/s (its reader) or conn/s (its client) */
    double bytes;
    uint64_t bad; /* reads that differed from the pattern (when checking) */
    /* a client ('c'): connections that completed and that failed, and when it started and
     * ended (bench_now_ns: one clock for every process, so clients' spans can be merged) */
    uint64_t conns, errors, t0, t1;
    double cpu; /* a client: its own user + sys seconds from t0 to t1 */
};
struct result {
    double rate;        /* Gbit/s or conn/s; <= 0: nothing moved */
    double cpu_gb;      /* user + sys seconds of our process per GB moved */
    double peer_cpu_gb; /* the same for the Linux peer child */
    uint64_t bad;       /* reads that differed from the pattern (check runs) */
    double cpu_k;       /* connection rate: user + sys seconds per 1,000 connections */
    double user_k;      /* connection rate: the user part of cpu_k (the stack's own code) */
    double clients_k;   /* connection rate: the Linux clients' user + sys per 1,000 */
    uint64_t errors;    /* connection rate: connections that failed (a FAIL) */
};
/* The Linux side, in a child: 'r' connects to addr:port and writes for secs; 's' listens on
 * addr:port (writes "L" to report_fd once listening), reads until the writer closes and
 * reports; 'c' connects to addr:port secs times, 1 byte each way, it closes first, and
 * reports how many completed and failed and when it started and ended. */
struct peer {
    char mode;
    double secs;
    int report_fd;
    uint32_t addr;
    uint16_t port;
};

static inline void vnet_stats_add(struct tcpfsm_vnet_stats *to, const struct tcpfsm_vnet_stats *s)
{
    to->TxFrames += s->TxFrames;
    to->TxTrains += s->TxTrains;
    to->TxSegments += s->TxSegments;
    to->TxDrops += s->TxDrops;
    to->RxFrames += s->RxFrames;
    to->RxTrains += s->RxTrains;
    to->RxSegments += s->RxSegments;
    to->RxBadHeader += s->RxBadHeader;
}

_Noreturn void linux_peer(struct peer pr);
/* One run with our stack on the current link: mode 'r' (Linux writes to us), 's' (we write),
 * 'c' (connection rate, secs = connections). */
struct result run_once(char mode, int mtu, double secs);
double tv_s(struct timeval t);
_Noreturn void die(const char *what);
void sh(const char *cmd); /* system(cmd) or exit(1) */
/* A plain TUN device (IFF_TUN|IFF_NO_PI) NAME, up, the Linux side at ADDR/24: its fd. */
int plain_tun(const char *name, int mtu, const char *addr);
/* "bench_tun_stack vnet NETNS" (bench_tun_vnet.c). */
int vnet_main(const char *netns);
/* "bench_tun_stack connrate [NETNS]" (bench_tun_conn.c). */
int connrate_main(const char *netns);

#endif /* BENCH_TUN_H */
