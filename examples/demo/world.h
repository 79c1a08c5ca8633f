/*
 * world.h — tcpfsm-demo's little world: up to four hosts (libtcpfsm stacks, or a raw host
 * that only sends crafted packets) on one memlink, a virtual clock, and a record of
 * everything that happened, in the order it happened:
 *   - every packet sent, numbered as its frame in the capture (1-based, as Wireshark and
 *     tshark number them), with its sequence numbers relative to the sender's ISN and the
 *     receiver's, and whether the link lost it;
 *   - every transition of every connection, with the frame of the segment whose arrival
 *     caused it (the world knows which packet it is delivering when tcpfsm_input runs);
 *   - `ss -tan`-style listings and /proc/net/sockstat census lines taken when asked.
 * It prints them as a time-stamped trace and writes them as JSON (format "tcpfsm-trace",
 * version 1: docs in examples/tcpfsm-demo.1).
 *
 * Losses are the world's own (a seeded rate, or a scenario's rule that picks packets), not
 * memlink's, so that every frame's fate is known; the link only delays. All hosts share one
 * delay, so memlink delivers in the order packets were sent, which is how a delivered packet
 * is matched to its frame (and checked byte for byte).
 */
#ifndef TCPFSM_DEMO_WORLD_H
#define TCPFSM_DEMO_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tcpfsm.h"

#define DW_MAX_HOSTS 4

struct dw;

struct dw_host {
    struct dw *w;
    const char *name;
    uint32_t addr;
    struct tcpfsm_stack *st; /* NULL for a raw host: it sends dw_raw_send's packets only */
    uint64_t rng;
};

struct dw_pkt {     /* one frame of the capture */
    uint32_t frame; /* 1-based */
    uint64_t t_us;  /* sent at (virtual) */
    int from, to;   /* host indexes; to is -1 when no host has the address */
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint32_t seq, ack, len; /* absolute; len = octets of text */
    uint32_t rseq, rack;    /* relative to the sender's / the receiver's ISN */
    uint16_t wnd;
    uint8_t flags;
    bool tcp;  /* parsed as TCP (else only the addresses are known) */
    bool lost; /* the link lost it (dw loss rate or the scenario's rule) */
    bool delivered;
    char opts[112]; /* tcpdump's option text: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7" */
    unsigned char *bytes;
    size_t nbytes;
};

struct dw_step { /* one transition */
    uint64_t t_us;
    int host;
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    const char *from, *event, *to, *actions, *rfc; /* the spec's static strings */
    unsigned transition, cause;
    uint32_t frame;           /* the causing segment's frame, 0 if none */
    char call[48];            /* the socket call that caused it (cause app), or "" */
    uint32_t rseq, rack, len; /* the frame's (relative) */
    uint32_t taken;           /* octets of its text inside the receive window */
    uint16_t wnd;
    uint8_t flags;
};

struct dw_listing {
    uint64_t t_us;
    int host;
    char *title, *ss, *sockstat;
};

struct dw_note {
    uint64_t t_us;
    char *text;
};
struct dw_isn;

struct dw_opts {
    uint64_t seed;
    uint32_t delay_us;  /* one way, every direction */
    double loss;        /* random loss per packet (seeded), 0..0.5 */
    const char *pcap;   /* capture file, or NULL */
    uint64_t epoch_us;  /* the capture's time of virtual time 0 (wall clock, microseconds) */
    FILE *out;          /* where the trace goes (NULL: nowhere) */
    bool print_packets; /* packet lines in the trace */
    bool print_steps;   /* transition lines in the trace */
    const char *prog;   /* for messages */
};

struct dw {
    struct dw_opts o;
    struct memlink *link;
    struct pcap_writer *pcap;
    uint64_t now;
    struct dw_host h[DW_MAX_HOSTS];
    int nh;
    struct dw_pkt *pkts;
    size_t npkts, cap_pkts;
    size_t next_delivery; /* the oldest frame memlink still holds (frames go in order) */
    struct dw_step *steps;
    size_t nsteps, cap_steps;
    struct dw_listing *listings;
    size_t nlistings, cap_listings;
    struct dw_note *notes; /* lines of commentary, kept for the JSON as well */
    size_t nnotes, cap_notes;
    struct dw_isn *isns; /* the ISN of each direction of each 4-tuple (world.c) */
    size_t nisns, cap_isns;
    uint32_t in_frame; /* the frame being fed to tcpfsm_input, 0 when none */
    const char *call;  /* the socket call in progress (dw_call), NULL when none */
    uint64_t loss_rng;
    /* A scenario's losses: return true to lose this packet. */
    bool (*lose)(void *arg, const struct dw_pkt *p);
    void *lose_arg;
    int failed; /* checks that failed (dw_check) */
};

/* 0, or -1 after printing why. */
int dw_init(struct dw *w, const struct dw_opts *o);
/* Frees everything; closes the capture (reporting a write error). Returns 0 or -1. */
int dw_free(struct dw *w);
/* A host with a stack made from tmpl (NULL: defaults), or a raw host (raw true). Returns
 * its index, or -1 after printing why. */
int dw_add_host(struct dw *w, const char *name, uint32_t addr, const struct tcpfsm_config *tmpl,
                bool raw);
/* Send a crafted segment from a raw host (flags TCPFSM_TH_*, MSS option on a SYN). */
void dw_raw_send(struct dw *w, int host, uint16_t sport, uint32_t daddr, uint16_t dport,
                 uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd);

/* Move the clock to the next event (a delivery or a timer) no later than `until` and run it;
 * false when nothing is due by then (the clock then stands at `until`, unless UINT64_MAX). */
bool dw_step(struct dw *w, uint64_t until);
void dw_run_for(struct dw *w, uint64_t us);
/* Run until cond(w, arg) holds (checked after every event), at most `us`; returns cond. */
bool dw_run_until(struct dw *w, bool (*cond)(struct dw *w, void *arg), void *arg, uint64_t us);

/* Label the socket call about to be made (its transitions are printed with it). */
void dw_call(struct dw *w, const char *what);
/* Socket calls with their label and a line in the trace saying what they returned. */
int dw_listen_on(struct dw *w, int host, uint16_t port, int backlog, bool reuse);
int dw_connect(struct dw *w, int host, uint16_t lport, uint32_t daddr, uint16_t dport);
int dw_close(struct dw *w, int host, int fd);
int dw_shutdown_wr(struct dw *w, int host, int fd);
/* A line of commentary in the trace ("-- ..."), printf-style. */
void dw_note(struct dw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The ss listing (and, if census, the sockstat census) of a host, printed and kept. */
void dw_listing(struct dw *w, int host, const char *title, bool census);

/* How many recorded transitions match (NULL matches anything). */
int dw_count(const struct dw *w, int host, const char *from, const char *event, const char *to);
/* The first match, or NULL. */
const struct dw_step *dw_find(const struct dw *w, int host, const char *from, const char *event,
                              const char *to);
/* A scenario's assertion: prints "CHECK FAILED: ..." on stderr and counts it when !ok. */
bool dw_check(struct dw *w, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The JSON trace ("tcpfsm-trace" version 1). 0, or -1 after printing why. */
int dw_write_json(const struct dw *w, const char *path, const char *scenario, const char *title,
                  const char *explanation);

/* "10.0.0.1:40000", or a listener's unconnected peer as Linux's ss writes it, "0.0.0.0:*" */
const char *dw_endpoint(uint32_t a, uint16_t p, char buf[24]);
/* "A.B.C.D" */
const char *dw_ntoa(uint32_t a, char buf[16]);
/* tcpdump's flag letters: "S", "S.", ".", "P.", "F.", "R", "R." */
const char *dw_flags(uint8_t flags, char buf[8]);

#endif /* TCPFSM_DEMO_WORLD_H */
