/*
 * scenario.h — a packetdrill/smoltcp-style harness for the TCP core: one stack at 10.0.0.2
 * on a virtual clock with a seeded random source (ISNs and ephemeral ports replay exactly),
 * every packet it sends captured and parsed into a queue, segments from a scripted peer
 * injected field by field, and helpers that drive "the" connection into each state.
 *
 * A scenario talks about one connection between us (SC_LOCAL_ADDR) and a peer
 * (SC_PEER_ADDR). Passive: we listen on SC_LISTEN_PORT, the peer connects from
 * SC_PEER_PORT. Active: we connect to SC_PEER_ADDR:SC_LISTEN_PORT from an ephemeral port.
 * Either way sc->lport/sc->rport hold the 4-tuple once known, sc->iss our ISS (read from our
 * SYN), sc->irs the peer's ISS (SC_PEER_ISN by default).
 *
 * Failures go through ck_abort_msg with the caller's file:line and a dump of the segment,
 * followed by the scenario's label (sc_label) if the test set one.
 */
#ifndef SCENARIO_H
#define SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"
#include "tcpfsm.h"

#define SC_LOCAL_ADDR 0x0a000002u /* 10.0.0.2 */
#define SC_PEER_ADDR 0x0a000001u  /* 10.0.0.1 */
#define SC_LISTEN_PORT 80
#define SC_PEER_PORT 40000
#define SC_PEER_ISN 1000000u
#define SC_PEER_WND 65535
#define SC_T0 1000000u /* the virtual clock starts at 1 s */

/* Configuration of a scenario; zero fields take the defaults noted. */
struct sc_opts {
    uint64_t seed;                /* PRNG seed (default 1) */
    uint32_t rto_us;              /* initial and minimum RTO (default 100 ms) */
    uint32_t rto_max_us;          /* default 60 s (the stack's) */
    uint32_t msl_us;              /* default 500 ms: TIME_WAIT lasts 1 s */
    uint32_t max_retries;         /* default the stack's (8) */
    uint32_t syn_retries;         /* default the stack's (7) */
    uint32_t delack_us;           /* default 40 ms (the stack's) */
    uint32_t sndbuf, rcvbuf;      /* default the stack's */
    uint32_t challenge_ack_limit; /* RFC 5961 7 challenge ACKs per second (default 1000) */
    uint32_t flags;               /* TCPFSM_F_*; default NO_SACK|NO_WSCALE|NO_TIMESTAMPS */
    bool with_options;            /* use `flags` as given, even 0 (all options on) */
};

struct sc_pkt; /* a captured packet (raw bytes) */

struct sc {
    struct tcpfsm_stack *st;
    uint64_t rng;
    tcpfsm_time_t now;
    /* captured output, FIFO */
    struct sc_pkt *q;
    size_t qhead, qlen, qcap;
    struct tcp_seg last; /* the segment sc_expect returned last (data in lastbuf) */
    uint8_t lastbuf[2048];
    /* the connection under test */
    int fd;                /* its descriptor, -1 when orphaned / none */
    int lfd;               /* the listener, -1 if none */
    uint16_t lport, rport; /* local and peer port */
    uint32_t iss, irs;     /* our ISS, the peer's ISS */
    uint32_t opts_flags;
};

/* Create a scenario (opts may be NULL). Never fails: aborts the test instead. */
struct sc *sc_new(const struct sc_opts *opts);
/* Destroy it; first appends the stack's transition coverage to the suite's coverage file
 * (see sc_coverage_file). */
void sc_free(struct sc *sc);

/* ---- failure messages ----
 * A label appended to every failure message of the harness (and of sc_fail_at): what the test
 * is about, say the spec row one iteration of a table-driven test pins down, which Check's
 * own report (test name and loop index) cannot tell. sc_new and sc_free clear it. */
void sc_label(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Fail the test with "file:line: message [label]". */
_Noreturn void sc_fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- coverage across forked tests ---- */
/* The file every sc_free appends one line of counts to (set once by the suite's main). */
void sc_coverage_file(const char *path);
/* Sum the lines of the coverage file into counts[n]; returns the number of lines read. */
unsigned sc_coverage_read(const char *path, uint64_t *counts, unsigned n);

/* ---- time ---- */
void sc_advance(struct sc *sc, tcpfsm_time_t delta_us); /* run timers up to now + delta */
void sc_advance_to(struct sc *sc, tcpfsm_time_t abs_us);
/* Advance to the earliest deadline of any TCB's timers and run it; returns the time advanced
 * to that deadline (aborts if no timer is armed). */
tcpfsm_time_t sc_fire_next_at(struct sc *sc, const char *file, int line);
#define sc_fire_next(sc) sc_fire_next_at((sc), __FILE__, __LINE__)
/* True if some TCB has a timer armed. */
bool sc_timer_armed(const struct sc *sc);

/* ---- input ---- */
/* A segment from the peer: every field explicit. */
struct sc_in {
    uint32_t saddr;        /* 0 = SC_PEER_ADDR */
    uint16_t sport, dport; /* 0 = sc->rport / sc->lport */
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t wnd;
    const void *data;
    uint32_t len;
    struct tcp_opts opt;
};
int sc_inject_in(struct sc *sc, const struct sc_in *in);
/* The common case: from the peer of the connection under test, no options. Returns what
 * tcpfsm_input returned. */
int sc_inject(struct sc *sc, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
              const void *data, uint32_t len);

/* An ICMP error (type, code, the 4 octets after its checksum: `rest`) from `from` (0 =
 * SC_PEER_ADDR) quoting the IP header and first 8 octets of a segment of the connection under
 * test as we would have sent it, with sequence number `seq` (RFC 792). Returns what
 * tcpfsm_input returned. */
int sc_inject_icmp_error(struct sc *sc, uint32_t from, uint8_t type, uint8_t code, uint32_t rest,
                         uint32_t seq);

/* ---- output ---- */
size_t sc_pending(const struct sc *sc); /* captured packets not yet consumed */
/* Pop the next emitted segment and check it: exact flags, seq, payload length, addresses and
 * ports of the connection, and the ack field: compared when `flags` has ACK, else it must be
 * 0. Options and window are left to the caller, through the returned segment (valid until the
 * next sc_expect/sc_next). */
const struct tcp_seg *sc_expect_at(struct sc *sc, uint8_t flags, uint32_t seq, uint32_t ack,
                                   uint32_t len, const char *file, int line);
#define sc_expect(sc, flags, seq, ack, len)                                                        \
    sc_expect_at((sc), (flags), (seq), (ack), (len), __FILE__, __LINE__)
/* Pop the next segment without checking it (aborts if there is none). */
const struct tcp_seg *sc_next_at(struct sc *sc, const char *file, int line);
#define sc_next(sc) sc_next_at((sc), __FILE__, __LINE__)
/* Nothing emitted (since the last sc_expect/sc_drain). */
void sc_expect_none_at(struct sc *sc, const char *file, int line);
#define sc_expect_none(sc) sc_expect_none_at((sc), __FILE__, __LINE__)
void sc_drain(struct sc *sc);
/* Pop the next emitted datagram, whatever its protocol, as bytes (aborts if there is none,
 * or if it does not fit in cap); returns its length. */
size_t sc_next_raw(struct sc *sc, void *buf, size_t cap);

/* ---- state ---- */
/* The spec state name of the connection under test: its descriptor's TCB if it has one,
 * else the TCB found by its 4-tuple, else "CLOSED" (released). */
const char *sc_state(struct sc *sc);
#define sc_expect_state(sc, name) sc_expect_state_at((sc), (name), __FILE__, __LINE__)
void sc_expect_state_at(struct sc *sc, const char *name, const char *file, int line);
/* The TCB of the connection under test (NULL once released and freed). */
struct tcb *sc_tcb(struct sc *sc);
/* The spec state name of descriptor fd (a listener, say), or "EBADF". */
const char *sc_fd_state(struct sc *sc, int fd);

/* ---- transitions ---- */
/* Index of the spec row (from, event, guard, to) in tcp_fsm_transitions[]; guard is the
 * guard name as the table spells it ("syn_queue_full", "!cookie_ok", "else"), or NULL for an
 * unguarded row. Aborts if there is no such row. */
unsigned sc_row(const char *from, const char *event, const char *guard, const char *to);
/* How often that row fired in this scenario's stack. */
uint64_t sc_fired(struct sc *sc, unsigned row);
/* Assert that row fired at least once. */
#define sc_expect_fired(sc, from, event, guard, to)                                                \
    sc_expect_fired_at((sc), (from), (event), (guard), (to), __FILE__, __LINE__)
void sc_expect_fired_at(struct sc *sc, const char *from, const char *event, const char *guard,
                        const char *to, const char *file, int line);

/* ---- driving the connection into a state ----
 * Each helper starts from a fresh scenario, consumes every segment it causes and checks it,
 * and leaves nothing pending. Sequence numbers afterwards, for a connection that has
 * exchanged no data: ours start at sc->iss + 1, the peer's at sc->irs + 1. */
int sc_listen(struct sc *sc); /* listener on SC_LISTEN_PORT, backlog 8 */
int sc_listen_backlog(struct sc *sc, int backlog);
uint32_t sc_connect(struct sc *sc);         /* our SYN sent; returns the ISS it carried */
void sc_to_syn_rcvd_passive(struct sc *sc); /* listen + peer SYN: our SYN-ACK sent */
void sc_to_syn_rcvd_active(struct sc *sc);  /* connect + peer SYN (simultaneous open) */
void sc_establish_passive(struct sc *sc);   /* three-way handshake, accepted: sc->fd */
void sc_establish_active(struct sc *sc);    /* connect + SYN-ACK + our ACK */
void sc_establish(struct sc *sc);           /* = sc_establish_active */
/* From ESTABLISHED (established here first). `orphan`: close() instead of shutdown(SHUT_WR),
 * leaving no descriptor (sc->fd = -1). */
void sc_to_fin_wait_1(struct sc *sc, bool orphan); /* our FIN sent, seq iss+1 */
void sc_to_fin_wait_2(struct sc *sc, bool orphan); /* ... and ACKed */
void sc_to_time_wait(struct sc *sc, bool orphan);  /* ... then the peer's FIN ACKed */
void sc_to_closing(struct sc *sc, bool orphan);    /* FIN_WAIT_1 + peer FIN not ACKing ours */
void sc_to_close_wait(struct sc *sc);              /* peer FIN at irs+1 ACKed */
void sc_to_last_ack(struct sc *sc, bool orphan);   /* CLOSE_WAIT + our FIN */

/* Human-readable flags ("SYN|ACK"), into a static buffer. */
const char *sc_flags_str(uint8_t flags);

#endif /* SCENARIO_H */
