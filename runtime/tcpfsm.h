/*
 * tcpfsm.h — public API of libtcpfsm, a userspace TCP/IPv4 stack whose every state
 * decision comes from the table fsmc generates from spec/tcp.fsm (RFC 9293).
 *
 * Model: one `struct tcpfsm_stack` per thread, no globals, no hidden I/O. The caller
 *   - feeds received IPv4 packets in with tcpfsm_input(),
 *   - tells the stack what time it is with tcpfsm_advance() (virtual or real time),
 *   - receives outgoing IPv4 packets through the `output` callback,
 *   - uses non-blocking BSD-like socket calls on small integer descriptors.
 * Errors are negative errno values (-EAGAIN, -ECONNREFUSED, ...); no call ever exit()s.
 */
#ifndef TCPFSM_H
#define TCPFSM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TCPFSM_VERSION_MAJOR 0
#define TCPFSM_VERSION_MINOR 1
#define TCPFSM_VERSION_PATCH 0
#define TCPFSM_VERSION "0.1.0"

/* Returns TCPFSM_VERSION of the library actually linked. */
const char *tcpfsm_version(void);

struct tcpfsm_stack;

/* Time is in microseconds on a clock the caller chooses (monotonic real time or virtual). */
typedef uint64_t tcpfsm_time_t;

/* A transition trace line, one per spec transition fired (see tcpfsm_config.trace). */
struct tcpfsm_trace_event {
    uint32_t laddr, raddr; /* IPv4, host byte order */
    uint16_t lport, rport;
    const char *from, *event, *to; /* spec names */
    const char *actions;           /* "send_ack, arm_rtx" or "" */
    const char *rfc;               /* the transition's @rfc annotation, or NULL */
    unsigned transition;           /* index into the generated transition table */
    tcpfsm_time_t now;
    /* Appended after the fields above (which keep their offsets): what fired the transition,
     * and for a segment its header as it arrived, so a program can tie the line to the packet
     * it was delivering (a capture's frame number) and number it relative to the ISNs it saw
     * in the SYNs. All zero unless cause is TCPFSM_CAUSE_SEGMENT. Text outside the receive
     * window is trimmed first (RFC 9293 3.10.7.4 first): then seg_seq/seg_len describe what is
     * left, a zero-window probe's octet shows as seg_len 0. */
    unsigned cause;            /* TCPFSM_CAUSE_* */
    uint32_t seg_seq, seg_ack; /* SEG.SEQ, SEG.ACK (absolute) */
    uint32_t seg_len;          /* SEG.LEN without SYN and FIN: octets of text */
    uint16_t seg_wnd;          /* the window field as sent (not scaled) */
    uint8_t seg_flags;         /* TCPFSM_TH_* */
};
#define TCPFSM_CAUSE_APP 1     /* a socket call: listen, connect, close, abort, shutdown */
#define TCPFSM_CAUSE_TIMER 2   /* an expired timer (T_RTX, T_2MSL, ...) */
#define TCPFSM_CAUSE_SEGMENT 3 /* an arriving segment (RCV_*; SPAWN_* for a listener's child) */
#define TCPFSM_TH_FIN 0x01u    /* TCP header flag bits, as in seg_flags */
#define TCPFSM_TH_SYN 0x02u
#define TCPFSM_TH_RST 0x04u
#define TCPFSM_TH_PSH 0x08u
#define TCPFSM_TH_ACK 0x10u
#define TCPFSM_TH_URG 0x20u

/* Configuration of a stack. Every field has a range; tcpfsm_stack_new() refuses a value
 * outside it with -EINVAL (never a silent wrap or clamp). 0 selects the default shown. */
struct tcpfsm_config {
    uint32_t addr;      /* local IPv4 address, host byte order (required): unicast,
                         * not 0/8, 127/8, 224/4 or 240/4 */
    uint8_t prefix_len; /* 0..32, the on-link prefix of addr (0 = unknown). With it
                         * the subnet's broadcast address is known and never answered */
    uint16_t mtu;       /* link MTU, 0 or 68..65535 (default 1500); MSS = mtu - 40 */
    /* Called for every packet the stack sends: a complete IPv4 datagram. Required. */
    void (*output)(void *arg, const void *packet, size_t len);
    void *output_arg;
    /* Random source (ISN secret, ephemeral ports). NULL = getrandom(). Tests inject a
     * seeded PRNG so runs replay exactly. */
    uint64_t (*random)(void *arg);
    void *random_arg;
    /* Optional: called for every transition fired (for --trace and coverage). */
    void (*trace)(void *arg, const struct tcpfsm_trace_event *ev);
    void *trace_arg;
    tcpfsm_time_t now; /* the clock's value at creation (any) */

    /* Limits. The stack refuses cleanly when one is reached. */
    uint32_t max_sockets;      /* descriptors incl. listeners, 1..2^24 (default 65536); up
                                * to 4x as many connections (orphans, TIME_WAIT records) */
    uint32_t sndbuf;           /* send buffer limit per connection, 1024..2^30 (default 65536) */
    uint32_t rcvbuf;           /* receive buffer limit per connection, 1024..2^30 (default
                                * 65536); the largest window offered */
    uint64_t max_buffer_bytes; /* buffer memory of the whole stack, 4096..2^48 (default
                                * 64 MiB): rings and out-of-order data, charged as used; see
                                * "memory pressure" in tcpfsm(3) */
    uint32_t reasm_bytes;      /* out-of-order bytes held per connection, 1..rcvbuf
                                * (default = rcvbuf) */

    /* Protocol parameters. */
    uint32_t rto_min_us;          /* RFC 6298 (2.4) minimum RTO, 1 ms..rto_max (default 1 s) */
    uint32_t rto_initial_us;      /* RFC 6298 (2.1) initial RTO, rto_min..rto_max (default 1 s) */
    uint32_t rto_max_us;          /* upper bound of the backed-off RTO, 1 ms..3600 s (60 s) */
    uint32_t max_retries;         /* retransmissions before ETIMEDOUT, 1..255 (default 8) */
    uint32_t syn_retries;         /* SYN (and SYN-ACK) retransmissions before giving up, 1..255
                                   * (default 7: with the default RTOs an open is given up
                                   * after 183 s, RFC 9293 3.8.3 MUST-23's 3 minutes) */
    uint32_t msl_us;              /* MSL, 1 ms..600 s; TIME_WAIT lasts 2*MSL (default 30 s) */
    uint32_t delack_us;           /* delayed-ACK timeout, 1 ms..200 ms (default 40 ms) */
    uint32_t user_timeout_us;     /* RFC 9293 3.10.8 USER TIMEOUT, any value, 0 = off */
    uint32_t flags;               /* TCPFSM_F_* below; other bits are refused */
    uint32_t challenge_ack_limit; /* RFC 5961 7: challenge ACKs per second, any (default 1000) */
    /* Optional: which local ports an active open may take. tcpfsm_connect() picks its
     * ephemeral port among those for which port_ok(port_ok_arg, laddr, lport, raddr, rport)
     * is non-zero, and refuses a bound port it rejects with -EADDRNOTAVAIL. NULL = any. The
     * shards layer (tcpfsm_shards.h) uses it so a flow comes back to the stack that opened
     * it, as mTCP picks ports by RSS hash. */
    int (*port_ok)(void *arg, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport);
    void *port_ok_arg;
};

#define TCPFSM_F_NO_SACK 0x01u       /* don't offer/accept SACK */
#define TCPFSM_F_NO_WSCALE 0x02u     /* don't offer/accept window scaling */
#define TCPFSM_F_NO_TIMESTAMPS 0x04u /* don't offer/accept timestamps */
#define TCPFSM_F_NO_SYNCOOKIES                                                                     \
    0x08u                    /* drop SYNs when the SYN queue is full (no RFC 4987 cookies) */
#define TCPFSM_F_CUBIC 0x10u /* CUBIC congestion control (RFC 9438) instead of NewReno */
/* Checksum offload: the link completes the TCP checksum of every segment sent (a TUN device
 * with virtio-net headers, VIRTIO_NET_HDR_F_NEEDS_CSUM; see tcpfsm_vnet_*): the checksum field
 * of a TCP segment holds the pseudo-header's folded sum (RFC 9293 3.1's pseudo-header, Linux's
 * CHECKSUM_PARTIAL) and the stack never sums the data. IP header and ICMP checksums are always
 * complete. */
#define TCPFSM_F_CSUM_OFFLOAD 0x20u
#define TCPFSM_F_ALL 0x3fu

/* Create a stack. Returns NULL with *err set on failure: -EINVAL (a field out of its range,
 * see struct tcpfsm_config), -ENOMEM. */
struct tcpfsm_stack *tcpfsm_stack_new(const struct tcpfsm_config *cfg, int *err);
/* Destroy a stack and everything in it (no packets are sent). */
void tcpfsm_stack_free(struct tcpfsm_stack *st);

/* Feed one received IPv4 datagram. Malformed packets are dropped and counted.
 * Returns 0 if the packet was accepted for processing, or a negative code saying why it was
 * dropped (-EINVAL malformed, -EBADMSG checksum, -ENOENT no socket; a RST may be sent).
 * Besides TCP it takes ICMP (echo requests are answered, errors reach the connection they
 * quote: tcpfsm(3), ICMP) and answers other protocols with protocol unreachable
 * (-EPROTONOSUPPORT). */
int tcpfsm_input(struct tcpfsm_stack *st, const void *packet, size_t len);
/* The same, with what the link knows about the datagram (other bits: -EINVAL):
 *   TCPFSM_IN_CSUM_VALID  the link verified the TCP checksum, or the sender left it to be
 *                         completed (virtio-net DATA_VALID or NEEDS_CSUM; a loopback-like
 *                         link): it is not summed again. The IP header's is still checked.
 *   TCPFSM_IN_MORE        more segments of one train follow at once (the pieces of a GSO/GRO
 *                         super-packet, in order): each is processed as a segment of its own
 *                         (RFC 9293 3.10.7), but the connection's output, the ACK included,
 *                         waits for the train's last segment (the call without the flag), so
 *                         a train of N full-sized segments is answered by one ACK for all of
 *                         them instead of N/2, as Linux acknowledges a GRO packet. */
#define TCPFSM_IN_CSUM_VALID 0x1u
#define TCPFSM_IN_MORE 0x2u
int tcpfsm_input_ex(struct tcpfsm_stack *st, const void *packet, size_t len, unsigned flags);
/* Set the current time and run every timer due at or before it. `now` never goes back. */
void tcpfsm_advance(struct tcpfsm_stack *st, tcpfsm_time_t now);
/* When the next timer is due (absolute), or UINT64_MAX if none is armed. */
tcpfsm_time_t tcpfsm_next_timeout(const struct tcpfsm_stack *st);
/* The current time as last set by tcpfsm_advance (or the config). */
tcpfsm_time_t tcpfsm_now(const struct tcpfsm_stack *st);

/* ---- Sockets: non-blocking, BSD-like. Addresses are IPv4 host byte order. ---- */
int tcpfsm_socket(struct tcpfsm_stack *st); /* fd >= 0, -EMFILE, -ENOMEM */
int tcpfsm_bind(struct tcpfsm_stack *st, int fd, uint32_t addr,
                uint16_t port);                                  /* 0, -EADDRINUSE, -EINVAL */
int tcpfsm_listen(struct tcpfsm_stack *st, int fd, int backlog); /* 0, -EINVAL */
/* New connected fd, or -EAGAIN when none is ready; peer address may be NULL. */
int tcpfsm_accept(struct tcpfsm_stack *st, int fd, uint32_t *peer_addr, uint16_t *peer_port);
/* Starts the handshake: returns -EINPROGRESS; completion shows as TCPFSM_POLLOUT, failure as
 * TCPFSM_POLLERR with tcpfsm_error() = -ECONNREFUSED / -ETIMEDOUT / -ECONNRESET. */
int tcpfsm_connect(struct tcpfsm_stack *st, int fd, uint32_t addr, uint16_t port);
/* Bytes queued (may be < len), -EAGAIN if the send buffer is full (wait for TCPFSM_POLLOUT),
 * -ENOBUFS if the stack's buffer memory is exhausted and nothing of this connection is queued,
 * -EPIPE after shutdown, -ENOTCONN before the connection exists, -ECONNRESET/-ETIMEDOUT
 * after an error. */
long tcpfsm_send(struct tcpfsm_stack *st, int fd, const void *buf, size_t len);
/* Gather send: the buffers in order, as one call (one segment for a small header + body,
 * where two tcpfsm_send calls would leave the second to Nagle). Results as tcpfsm_send. */
struct tcpfsm_iov {
    const void *base;
    size_t len;
};
long tcpfsm_sendv(struct tcpfsm_stack *st, int fd, const struct tcpfsm_iov *iov, int iovcnt);
/* Bytes read, 0 at end of stream (peer sent FIN), -EAGAIN if nothing yet, or an error. */
long tcpfsm_recv(struct tcpfsm_stack *st, int fd, void *buf, size_t len);
#define TCPFSM_SHUT_RD 0
#define TCPFSM_SHUT_WR 1
#define TCPFSM_SHUT_RDWR 2
int tcpfsm_shutdown(struct tcpfsm_stack *st, int fd, int how); /* SHUT_WR sends FIN */
/* Graceful close: FIN after queued data; the descriptor is freed at once, the connection
 * finishes in the background (TIME_WAIT etc.). */
int tcpfsm_close(struct tcpfsm_stack *st, int fd);
/* Abortive close: RST to the peer, descriptor and connection freed at once. */
int tcpfsm_abort(struct tcpfsm_stack *st, int fd);

#define TCPFSM_POLLIN 0x01u      /* data to read, EOF, or (listener) a connection to accept */
#define TCPFSM_POLLOUT 0x04u     /* connected and send buffer has room */
#define TCPFSM_POLLERR 0x08u     /* error pending: tcpfsm_error() */
#define TCPFSM_POLLHUP 0x10u     /* both directions closed */
#define TCPFSM_POLLRDHUP 0x2000u /* the peer's FIN arrived: it sends no more (also POLLIN) */
/* Readiness mask of fd (0 if nothing), or -EBADF. For one-off checks: a program that waits
 * on many sockets asks the interest set below which of them are ready. */
int tcpfsm_poll(struct tcpfsm_stack *st, int fd);
/* Pending error of fd (like SO_ERROR), 0 if none. Reading it does not clear it. */
int tcpfsm_error(struct tcpfsm_stack *st, int fd);

/* ---- Readiness: the stack's interest set, epoll(7)-like ----
 * Each stack has one interest set. A descriptor is in it at most once, with the events it
 * wants (TCPFSM_POLLIN, TCPFSM_POLLOUT, TCPFSM_POLLRDHUP; TCPFSM_POLLERR and TCPFSM_POLLHUP
 * are always reported) and a 64-bit value of the caller's, handed back with each report.
 * While tcpfsm_input(), tcpfsm_advance() and the socket calls run, the stack queues every
 * watched descriptor something happened to: data or the peer's FIN arrived, an ACK made room
 * in the send buffer, a connection completed or failed, a listener's accept queue got a
 * connection, an error or a reset ended a connection. tcpfsm_epoll_wait() then looks only
 * at the queued descriptors, so one call costs O(descriptors with news), not O(descriptors
 * watched): the same with 10 or 1,000,000 idle connections.
 *
 *   level-triggered (default)  a descriptor is reported by every wait while one of its
 *                              events holds (it stays queued until a wait finds it not ready);
 *   TCPFSM_EPOLLET             reported once per happening (new data, room, FIN, error...),
 *                              with all the events that hold then; read/send until -EAGAIN;
 *   TCPFSM_EPOLLONESHOT        after one report the descriptor's events are disabled until
 *                              TCPFSM_EPOLL_CTL_MOD arms them again (it stays in the set).
 *
 * A wait reports at most maxevents descriptors; level-triggered ones it reported go to the
 * back of the queue, so a small maxevents still serves every ready descriptor in turn.
 * tcpfsm_close() and tcpfsm_abort() take a descriptor out of the set (a later descriptor with
 * the same number starts unwatched). A socket refused -ENOBUFS by the stack's buffer memory
 * is looked at again by each wait until it can send (memory freed elsewhere wakes no one).
 * The stack never blocks: a program sleeps in poll(2) on its link (with
 * tcpfsm_next_timeout()) and calls tcpfsm_epoll_wait() after feeding what arrived. */
#define TCPFSM_EPOLLET (1u << 31)
#define TCPFSM_EPOLLONESHOT (1u << 30)
#define TCPFSM_EPOLL_CTL_ADD 1 /* -EEXIST if fd is already in the set */
#define TCPFSM_EPOLL_CTL_DEL 2 /* -ENOENT if it is not; ev may be NULL */
#define TCPFSM_EPOLL_CTL_MOD 3 /* -ENOENT if it is not */
struct tcpfsm_event {
    uint32_t events; /* ctl: wanted events and flags; wait: the events that hold */
    uint64_t data;   /* the caller's, e.g. the descriptor or a pointer */
};
/* 0, -EBADF (not an open descriptor), -EINVAL (unknown op, unknown event bits, ev NULL for
 * ADD/MOD), -EEXIST, -ENOENT, -ENOMEM. Adding or modifying a descriptor queues it, so the next
 * wait reports what already holds. */
int tcpfsm_epoll_ctl(struct tcpfsm_stack *st, int op, int fd, const struct tcpfsm_event *ev);
/* Fill up to maxevents reports of ready descriptors; returns how many (0 if none), or -EINVAL
 * (maxevents < 1, events NULL). Never blocks. */
int tcpfsm_epoll_wait(struct tcpfsm_stack *st, struct tcpfsm_event *events, int maxevents);
/* How many descriptors are queued for the next wait (an upper bound of what it reports):
 * non-zero means a program should not sleep before calling tcpfsm_epoll_wait(). Sockets
 * waiting for buffer memory are not counted: memory comes back only after a packet, a timer
 * or a socket call, which a program wakes up for and follows with a wait anyway. */
unsigned tcpfsm_epoll_pending(const struct tcpfsm_stack *st);

/* Socket options. Each has a range; tcpfsm_setopt refuses a value outside it with -EINVAL.
 * A listener's settings are its children's. */
#define TCPFSM_OPT_NODELAY 1 /* disable Nagle (value 0/1) */
/* RFC 1122 4.2.3.6 keep-alive: the idle time in us before the first probe, 0 = off (default
 * off), at most 65535 s, in whole seconds (less than 1 s is 1 s). In any state: before the
 * connection is established it starts when the connection does. */
#define TCPFSM_OPT_KEEPALIVE 2
#define TCPFSM_OPT_SNDBUF 3 /* buffers are per stack (tcpfsm_config.sndbuf/rcvbuf): setopt */
#define TCPFSM_OPT_RCVBUF 4 /* answers -EOPNOTSUPP, getopt gives the stack's size */
/* Value 0/1, SO_REUSEADDR: bind to a port another socket with the option holds, or that a
 * connection without a descriptor still uses (closing, or TIME-WAIT); without it that is
 * -EADDRINUSE. */
#define TCPFSM_OPT_REUSEADDR 5
/* TCP_CORK-like (value 0/1): while set, only full-sized segments are sent; clearing it sends
 * what is queued at once. Unlike Linux there is no 200 ms ceiling: uncork to flush. */
#define TCPFSM_OPT_CORK 6
/* The largest segment this socket sends and offers in its SYN (RFC 9293 3.7.1; Linux's
 * TCP_MAXSEG): 0 = the link's, mtu - 40 (default), else 88..65495, and never more than the
 * link's. Before the handshake (CLOSED or LISTEN; -EISCONN after). tcpfsm_getopt gives the
 * MSS the connection sends with once it is synchronized, the offered one before. */
#define TCPFSM_OPT_MAXSEG 7
/* Keep-alive probes after the idle time (RFC 1122 4.2.3.6): the interval between unanswered
 * probes in us, 1 s..32767 s in whole seconds (default: a tenth of the idle time, at least
 * 1 s), and how many may go unanswered before the connection is dropped with -ETIMEDOUT,
 * 1..127 (default 9). */
#define TCPFSM_OPT_KEEPINTVL 8
#define TCPFSM_OPT_KEEPCNT 9
/* RFC 9293 3.10.8 USER TIMEOUT of this socket in us (RFC 5482; Linux's TCP_USER_TIMEOUT):
 * 0 = the stack's (tcpfsm_config.user_timeout_us, default), else 1 ms..2^31-1 ms, in whole
 * milliseconds. Data unacknowledged that long ends the connection with -ETIMEDOUT. */
#define TCPFSM_OPT_USER_TIMEOUT 10
/* Value 0/1: when set, tcpfsm_close() aborts the connection with a RST (RFC 9293 3.10.5 ABORT)
 * instead of closing it gracefully, as Linux does for SO_LINGER {l_onoff 1, l_linger 0}.
 * (tcpfsm_close never waits, so a positive linger time, which only makes a blocking close()
 * wait, has no counterpart.) */
#define TCPFSM_OPT_ABORT_ON_CLOSE 11
int tcpfsm_setopt(struct tcpfsm_stack *st, int fd, int opt,
                  uint64_t value); /* 0, -EINVAL, -EBADF, -EISCONN, -EOPNOTSUPP */
/* The value of an option as the socket uses it now (a default when none was set).
 * 0, -EINVAL (not an option, or value NULL), -EBADF. */
int tcpfsm_getopt(struct tcpfsm_stack *st, int fd, int opt, uint64_t *value);

/* Local/peer address of fd. */
int tcpfsm_getname(struct tcpfsm_stack *st, int fd, uint32_t *laddr, uint16_t *lport,
                   uint32_t *raddr, uint16_t *rport);

/* ---- Observability ---- */
struct tcpfsm_info {   /* like Linux TCP_INFO */
    const char *state; /* spec state name, e.g. "ESTABLISHED" */
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    uint32_t rtt_us, rttvar_us, rto_us;
    uint32_t cwnd, ssthresh; /* bytes */
    uint32_t mss;
    uint8_t snd_wscale, rcv_wscale;
    uint8_t sack_ok, ts_ok;
    uint32_t snd_wnd, rcv_wnd;
    uint32_t recv_q, send_q; /* bytes waiting to be read / not yet acknowledged */
    uint64_t bytes_sent, bytes_acked, bytes_received;
    uint32_t retransmits; /* total retransmitted segments */
    int soft_err; /* the pending soft error (an ICMP error kept, RFC 1122 4.2.3.9), -errno or 0 */
};
int tcpfsm_get_info(struct tcpfsm_stack *st, int fd, struct tcpfsm_info *info);
/* RFC 1122 4.2.3.9: an ICMP error a live connection received is a soft error, kept (it
 * becomes the connection's error if the connection then times out; an ACK of new data
 * forgets it). This reports it and forgets it, as Linux's SO_ERROR does with sk_err_soft:
 * -errno, or 0 if there is none; -EBADF for a bad descriptor. tcpfsm_error() is unchanged. */
int tcpfsm_soft_error(struct tcpfsm_stack *st, int fd);

/* Counters named after RFC 4022 / Linux /proc/net/snmp, plus our own. */
struct tcpfsm_stats {
    uint64_t ActiveOpens, PassiveOpens, AttemptFails, EstabResets, CurrEstab;
    uint64_t InSegs, OutSegs, RetransSegs, InErrs, OutRsts;
    uint64_t InCsumErrors;  /* checksum failures (IP or TCP) */
    uint64_t InMalformed;   /* length/doff/option errors */
    uint64_t InNoSocket;    /* segments for no socket (answered with RST per RFC 9293) */
    uint64_t ChallengeAcks; /* RFC 5961 */
    uint64_t SynCookiesSent, SynCookiesRecv, SynCookiesFailed;
    uint64_t ListenOverflows, ListenDrops;
    uint64_t OutOfWindowDrops; /* unacceptable segments (RFC 9293 3.10.7.4) */
    uint64_t PawsDrops;        /* RFC 7323 5.3: a timestamp older than TS.Recent */
    uint64_t TsMissingDrops;   /* RFC 7323 3.2: no timestamp on a connection that uses them
                                * (neither SYN nor RST): dropped without reply (no Linux name:
                                * Linux takes such segments) */
    uint64_t OfoDrops;         /* out-of-order data dropped for lack of reassembly budget */
    uint64_t BufferLimitDrops; /* refused at the stack's buffer limit (max_buffer_bytes):
                                * received text dropped (the peer resends it), a send()
                                * answered -ENOBUFS, or a new connection reset */
    /* TIME_WAIT connections a newer SYN of the same 4-tuple ended early to open a new one
     * (RFC 6191 2, RFC 1122 4.2.2.13) */
    uint64_t TimeWaitRecycled;
    uint64_t InMartians;      /* source address no host may use (RFC 1122 3.2.1.3): broadcast,
                               * multicast, 0/8, 127/8, 240/4, our own; dropped, never answered */
    uint64_t InBadFlags;      /* impossible flag sets (SYN with FIN or RST), dropped */
    uint64_t AckSkipped;      /* ACKs not sent in answer to an unacceptable segment without
                               * text: one per 500 ms per connection (Linux TCPACKSkipped*) */
    uint64_t MemoryPressures; /* times the stack entered memory pressure (Linux's name) */
    uint64_t BufferBytes;     /* buffer memory in use now (rings, out-of-order data) */
    /* ICMP (RFC 792, RFC 1122 3.2.2), named as RFC 4293's icmpStats and netstat -s's Icmp:
     * lines. ICMP messages are not TCP segments: InSegs/InErrs do not count them. */
    uint64_t IcmpInMsgs;          /* ICMP messages received, bad ones included */
    uint64_t IcmpInErrors;        /* ... too short, bad checksum, or an error quoting no
                                   * connection of ours (Linux counts the last here too) */
    uint64_t IcmpInCsumErrors;    /* ... of which a bad checksum */
    uint64_t IcmpInDestUnreachs;  /* destination unreachable received */
    uint64_t IcmpInTimeExcds;     /* time exceeded received */
    uint64_t IcmpInEchos;         /* echo requests received */
    uint64_t IcmpOutMsgs;         /* ICMP messages sent */
    uint64_t IcmpOutEchoReps;     /* echo replies sent (RFC 1122 3.2.2.6) */
    uint64_t IcmpOutDestUnreachs; /* protocol unreachable sent (RFC 1122 3.2.2.1) */
    uint64_t IcmpOutRateLimited;  /* not sent: over the ICMP rate limit, a token bucket of
                                   * 1000 messages per second, burst 50 (Linux's
                                   * icmp_msgs_per_sec/_burst; its OutRateLimitGlobal) */
    uint64_t IpInUnknownProtos;   /* datagrams for a protocol we do not speak (RFC 4293) */
    uint64_t OutOfWindowIcmps;    /* ICMP errors whose quoted sequence number is not in
                                   * SND.UNA..SND.NXT (RFC 5927 4.1): dropped (Linux's name) */
    uint64_t IcmpPmtuUpdates;     /* "fragmentation needed" that lowered a connection's
                                   * MSS (RFC 1191, RFC 8201) */
    uint64_t IcmpSoftErrors;      /* errors kept as a connection's soft error (RFC 1122
                                   * 4.2.3.9), reported if it then times out */
};
void tcpfsm_get_stats(const struct tcpfsm_stack *st, struct tcpfsm_stats *out);

/* A /proc/net/sockstat-style census of the stack's TCP sockets (Linux's names and meanings):
 *   inuse   listeners and connections with a 4-tuple (orphans included, TIME_WAIT not)
 *   orphan  connections the application closed that still run (FIN-WAIT, LAST-ACK, ...)
 *   tw      TIME_WAIT connections (kept as small records, not TCBs)
 *   alloc   TCBs allocated: every open descriptor (unbound ones too) and every orphan
 *   mem     buffer memory in 4096-byte pages, as Linux counts tcp_mem (mem_bytes exact)
 * plus what Linux keeps elsewhere: synrecv, the SYN-queue records of embryonic connections
 * (Linux's request sockets), and the bytes of the control structures. */
struct tcpfsm_sockstat {
    uint32_t inuse, orphan, tw, alloc;
    uint64_t mem;       /* pages */
    uint64_t mem_bytes; /* buffer memory in use, bytes (tcpfsm_stats.BufferBytes) */
    uint32_t synrecv;
    uint64_t tcb_bytes;    /* alloc * sizeof(struct tcb), plus the data-path blocks in use */
    uint64_t record_bytes; /* TIME_WAIT and SYN-queue records */
    uint64_t table_bytes;  /* descriptor, connection and record hash tables */
};
void tcpfsm_sockstat(const struct tcpfsm_stack *st, struct tcpfsm_sockstat *out);
/* Format a census as /proc/net/sockstat's TCP line, "TCP: inuse N orphan N tw N alloc N mem
 * N", then a line of our own with synrecv and the byte counts; returns as snprintf. */
int tcpfsm_sockstat_format(const struct tcpfsm_sockstat *s, char *buf, size_t size);

/* Write an `ss -tan`-style listing of every connection and listener into buf (NUL-terminated,
 * truncated to size). Returns the length it needed, like snprintf. */
int tcpfsm_ss(struct tcpfsm_stack *st, char *buf, size_t size);

/* Transition coverage: how often each transition of the generated table fired. Writes up to
 * n counts; returns the number of transitions in the table. */
unsigned tcpfsm_coverage(const struct tcpfsm_stack *st, uint64_t *counts, unsigned n);

/* ==== Link layer: Ethernet II and ARP (runtime/link/) ===================================
 * A layer around the stack for links that carry Ethernet frames (a TAP device, a veth end or
 * a NIC through an AF_PACKET socket, memlink in Ethernet mode). The stack still sends and
 * takes bare IPv4 datagrams; this layer frames them and resolves next hops with ARP
 * (RFC 826), so the TCP/IP code never sees a MAC address. Wiring:
 *
 *     struct tcpfsm_eth *eth = tcpfsm_eth_new(&ecfg, &err);   // ecfg.output sends a frame
 *     cfg.output = tcpfsm_eth_ip_output; cfg.output_arg = eth;
 *     st = tcpfsm_stack_new(&cfg, &err);
 *     tcpfsm_eth_attach(eth, st);          // received IPv4 goes to tcpfsm_input(st)
 *     tcpfsm_eth_announce(eth);            // optional RFC 5227 gratuitous ARP
 *     ... tcpfsm_eth_input(eth, frame, len) for every received frame,
 *         tcpfsm_eth_advance(eth, now) with tcpfsm_advance, tcpfsm_eth_next_timeout(eth)
 *
 * ARP cache: an entry is REACHABLE for reachable_us after a reply or request that names us
 * confirmed it; if it was used meanwhile it is then re-resolved (requests every
 * retry_us, the old address still used) and dropped when no answer comes; unused, it is
 * dropped. A packet for an unresolved next hop waits in that neighbour's queue (at most
 * queue_packets, beyond that the new packet is dropped and counted) while a request goes out
 * every retry_us; after `retries` requests without an answer the queue is dropped. */
struct tcpfsm_eth;

#define TCPFSM_ETH_REACHABLE_US 60000000u /* default reachable_us: 60 s */
#define TCPFSM_ETH_RETRY_US 1000000u      /* default retry_us: 1 s between requests */
#define TCPFSM_ETH_RETRIES 3u             /* default retries: requests before giving up */
#define TCPFSM_ETH_NEIGHBOURS 64u         /* default neighbours: cache entries */
#define TCPFSM_ETH_QUEUE_PACKETS 16u      /* default queue_packets per unresolved neighbour */

struct tcpfsm_eth_config {
    uint8_t mac[6];     /* our address: unicast (the group bit of mac[0] clear), not zero */
    uint32_t addr;      /* our IPv4 address, host order (the stack's cfg.addr) */
    uint8_t prefix_len; /* 0..32: next hops on this prefix are on-link (0 = all on-link) */
    uint32_t gateway;   /* next hop for off-link destinations, on-link; 0 = none (dropped) */
    uint16_t mtu;       /* largest IPv4 datagram framed, 0 or 68..65535 (default 1500) */
    /* Called for every frame sent: destination, source, type, payload (no FCS), at least
     * 60 bytes. Required. */
    void (*output)(void *arg, const void *frame, size_t len);
    void *output_arg;
    tcpfsm_time_t now;      /* the clock at creation */
    uint32_t reachable_us;  /* 1 ms..3600 s (default TCPFSM_ETH_REACHABLE_US) */
    uint32_t retry_us;      /* 1 ms..60 s (default TCPFSM_ETH_RETRY_US) */
    uint32_t retries;       /* 1..255 (default TCPFSM_ETH_RETRIES) */
    uint32_t neighbours;    /* 1..65536 (default TCPFSM_ETH_NEIGHBOURS); when full the
                             * entry confirmed longest ago is reused */
    uint32_t queue_packets; /* 1..4096 (default TCPFSM_ETH_QUEUE_PACKETS) */
};

struct tcpfsm_eth_stats {
    uint64_t InFrames, OutFrames;
    uint64_t InOtherHost;   /* unicast to another MAC: dropped */
    uint64_t InMalformed;   /* shorter than its header, bad ARP fields, a group source */
    uint64_t InUnknownType; /* neither IPv4 nor ARP (IPv6, VLAN, 802.3 lengths...): dropped */
    uint64_t InIp;          /* IPv4 payloads handed to tcpfsm_input */
    uint64_t ArpInRequests, ArpInReplies, ArpOutRequests, ArpOutReplies;
    uint64_t ArpLearned;    /* cache entries created or confirmed by an ARP packet */
    uint64_t ArpExpired;    /* entries dropped after reachable_us */
    uint64_t ArpFailed;     /* resolutions given up after `retries` requests */
    uint64_t ArpQueueDrops; /* packets dropped waiting for resolution (queue full, give-up,
                             * no cache entry) */
    uint64_t ArpConflicts;  /* ARP from another host claiming our IPv4 address (RFC 5227) */
    uint64_t OutNoRoute;    /* off-link destination and no gateway */
    uint64_t OutDrops;      /* not IPv4, longer than the MTU, or out of memory */
};

/* NULL with *err = -EINVAL (a field out of range) or -ENOMEM. */
struct tcpfsm_eth *tcpfsm_eth_new(const struct tcpfsm_eth_config *cfg, int *err);
void tcpfsm_eth_free(struct tcpfsm_eth *eth); /* drops queued packets; sends nothing */
/* The stack whose tcpfsm_input() gets the IPv4 payloads (NULL: they are counted and dropped). */
void tcpfsm_eth_attach(struct tcpfsm_eth *eth, struct tcpfsm_stack *st);
/* The stack's output callback (arg = the tcpfsm_eth): frame one IPv4 datagram, or queue it
 * while its next hop is resolved. */
void tcpfsm_eth_ip_output(void *eth, const void *packet, size_t len);
/* One received frame. 0 when taken, else why it was dropped: -EINVAL malformed, -EPROTO
 * unknown type, -EXDEV for another host; for IPv4, tcpfsm_input's result. */
int tcpfsm_eth_input(struct tcpfsm_eth *eth, const void *frame, size_t len);
/* The same with tcpfsm_input_ex's flags for the IPv4 payload (e.g. TCPFSM_IN_CSUM_VALID for
 * a frame whose checksum the kernel vouched for: afpacket_recv2). */
int tcpfsm_eth_input_ex(struct tcpfsm_eth *eth, const void *frame, size_t len, unsigned flags);
/* RFC 5227 2.3 announcement: a broadcast ARP request for our own address. */
void tcpfsm_eth_announce(struct tcpfsm_eth *eth);
void tcpfsm_eth_advance(struct tcpfsm_eth *eth, tcpfsm_time_t now);  /* retries, expiry */
tcpfsm_time_t tcpfsm_eth_next_timeout(const struct tcpfsm_eth *eth); /* or UINT64_MAX */
/* The cached MAC of an on-link IPv4 address: 0 (mac filled), -EAGAIN (being resolved),
 * -ENOENT (not cached). */
int tcpfsm_eth_lookup(const struct tcpfsm_eth *eth, uint32_t addr, uint8_t mac[6]);
void tcpfsm_eth_get_stats(const struct tcpfsm_eth *eth, struct tcpfsm_eth_stats *out);
/* ---- TUN with virtio-net headers: segmentation and checksum offload (runtime/link/vnet.c)
 * A TUN device opened with IFF_VNET_HDR puts a 10-byte struct virtio_net_hdr before every
 * packet; TUNSETOFFLOAD says what the program takes from the kernel (TUN_F_CSUM: checksums
 * left to complete; TUN_F_TSO4: TCP packets up to 64 KB). This layer sits between the stack
 * and such a device:
 *   out  the stack's output callback (tcpfsm_vnet_output) gathers consecutive segments of one
 *        connection that the kernel's TCP segmentation would cut again into exactly those
 *        segments (same headers but for sequence number, IP ID, lengths and checksums, PSH or
 *        FIN only on the last, every one but the last full) into one packet with gso_type
 *        TCPV4, and tcpfsm_vnet_flush() writes it: one write(2) for up to 64 KB. Call flush
 *        after every batch (before sleeping). With TCPFSM_VNET_CSUM the TCP checksum is left
 *        to the kernel (create the stack with tcpfsm_vnet_stack_flags() in cfg.flags so it
 *        never sums the data).
 *   in   tcpfsm_vnet_input() takes one read (header and packet; it may write into the
 *        buffer): a header it cannot honour is dropped and counted (RxBadHeader), a GSO
 *        packet is cut into its segments and given to the stack as one train
 *        (TCPFSM_IN_MORE), checksums the kernel vouched for are not summed again.
 * Wiring: fd = a TUN device opened with IFF_VNET_HDR; offloads negotiated with TUNSETOFFLOAD
 * (runtime/link/tun.h: tun_open_vnet, tun_set_offload); vcfg.write writes one frame to fd;
 * cfg.output = tcpfsm_vnet_output, cfg.output_arg = vn; tcpfsm_vnet_attach(vn, st). */
struct tcpfsm_vnet;
#define TCPFSM_VNET_CSUM 0x1u /* the device completes and vouches for TCP checksums */
#define TCPFSM_VNET_TSO4 0x2u /* ... and takes/gives TCP/IPv4 packets up to 64 KB (needs CSUM) */
struct tcpfsm_vnet_config {
    /* Called for every frame: the 10-byte header, then the datagram. Required. */
    void (*write)(void *arg, const void *frame, size_t len);
    void *write_arg;
    unsigned offloads; /* TCPFSM_VNET_*: what the device accepted (other bits: -EINVAL) */
};
struct tcpfsm_vnet_stats {
    uint64_t TxFrames;    /* frames written */
    uint64_t TxTrains;    /* ... of which carried more than one segment (gso_type TCPV4) */
    uint64_t TxSegments;  /* segments the stack sent, each counted once */
    uint64_t TxDrops;     /* datagrams longer than 65535 bytes or shorter than an IP header */
    uint64_t RxFrames;    /* frames read */
    uint64_t RxTrains;    /* ... of which were GSO packets, cut into segments */
    uint64_t RxSegments;  /* datagrams given to the stack */
    uint64_t RxBadHeader; /* dropped: a header this layer cannot honour (unknown flags or GSO
                           * type, a checksum not where TCP's is, GSO on what is not IPv4/TCP,
                           * a GSO size below 28 bytes, no checksum offload on a GSO packet) */
};
/* NULL with *err = -EINVAL (no write, unknown offload bits, TSO4 without CSUM) or -ENOMEM. */
struct tcpfsm_vnet *tcpfsm_vnet_new(const struct tcpfsm_vnet_config *cfg, int *err);
void tcpfsm_vnet_free(struct tcpfsm_vnet *vn); /* writes nothing: flush first */
void tcpfsm_vnet_attach(struct tcpfsm_vnet *vn, struct tcpfsm_stack *st);
/* TCPFSM_F_CSUM_OFFLOAD if the device completes checksums, else 0: for the stack's cfg.flags. */
unsigned tcpfsm_vnet_stack_flags(const struct tcpfsm_vnet *vn);
void tcpfsm_vnet_output(void *vn, const void *packet, size_t len); /* the stack's output */
void tcpfsm_vnet_flush(struct tcpfsm_vnet *vn);
/* One frame read from the device. 0, -EINVAL (bad header: counted), -ENOENT (no stack
 * attached), or the first error tcpfsm_input_ex gave for its segments. */
int tcpfsm_vnet_input(struct tcpfsm_vnet *vn, void *frame, size_t len);
void tcpfsm_vnet_get_stats(const struct tcpfsm_vnet *vn, struct tcpfsm_vnet_stats *out);
/* ==== end of the link layer section ==================================================== */

#ifdef __cplusplus
}
#endif
#endif /* TCPFSM_H */
