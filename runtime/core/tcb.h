/*
 * tcb.h — the core room's header: the transmission control block (RFC 9293 3.3.1), the
 * stack's state, and the functions that keep them (TCB table, timer slots, ISNs, buffer memory).
 *
 * The TCB holds only what every connection needs on every segment; byte buffers and the
 * out-of-order queue live behind `buf` (allocated when a connection is created, never for a
 * listener). The connection state is `state`, and only the generated tcp_fsm_dispatch()
 * writes it (spec/tcp.fsm); the runtime reads it.
 */
#ifndef TCPFSM_TCB_H
#define TCPFSM_TCB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cc.h"
#include "packet.h"
#include "rectab.h"
#include "siphash.h"
#include "rtt.h"
#include "tcpfsm.h"
#include "timer_wheel.h"

/* TCB flags (tcb->flags). */
#define TF_ACK_NOW 0x0001u /* send an ACK at the end of this input/timer step */
/*             0x0002u    free */
#define TF_FIN_QUEUED 0x0004u /* user closed the sending side; FIN goes after the data */
#define TF_FIN_SENT 0x0008u   /* FIN has been sent (at seq snd_una + sndq bytes) */
#define TF_FIN_ACKED 0x0010u
#define TF_FIN_RCVD 0x0020u   /* peer's FIN consumed: end of stream for the reader */
#define TF_PASSIVE 0x0040u    /* created by a listener (RFC 9293 3.10.7.4: back to LISTEN) */
#define TF_DEAD 0x0080u       /* released: out of the lookup table, freed when unreferenced */
#define TF_NODELAY 0x0100u    /* Nagle off */
#define TF_SACK 0x0200u       /* SACK negotiated (RFC 2018) */
#define TF_TS 0x0400u         /* timestamps negotiated (RFC 7323) */
#define TF_WSCALE 0x0800u     /* window scaling negotiated (RFC 7323) */
#define TF_RD_SHUT 0x1000u    /* shutdown(SHUT_RD): incoming data is discarded */
#define TF_RTT_TIMING 0x2000u /* rtt_seq/rtt_ts time one segment (Karn, no timestamps) */
#define TF_REUSEADDR 0x4000u
#define TF_RETRANSMIT 0x8000u /* something was retransmitted since snd_una last advanced */

/* More flags (tcb->xflags). */
#define TX_CORK 0x01u           /* TCPFSM_OPT_CORK: only full-sized segments go out */
#define TX_ABORT_ON_CLOSE 0x02u /* TCPFSM_OPT_ABORT_ON_CLOSE: close() resets */
#define TX_SYN_UNACKED 0x04u    /* FIN sent behind our unacknowledged SYN (CLOSE in SYN_RCVD) */

/* How long the ACK of a FIN that enters CLOSE_WAIT waits for a segment of ours to carry it
 * (`delay_fin_ack`): long enough for a program that closes when it reads the end of the
 * stream (it then goes on its FIN,ACK), short enough to pass for Linux's immediate ACK
 * (2 ms on the 1 ms timer ticks: 1-2 ms; packetdrill's default tolerance is 4 ms). */
#define FIN_ACK_DELAY_US 2000u

/* A socket's settings from tcpfsm_setopt that are not TCB flags; 0 = the default. They live in
 * the data-path block of a connection and in the union of a listener or an unconnected socket
 * (tcb_opts), so the TCB does not grow for settings few sockets use. */
struct tcb_sockopts {
    uint32_t user_timeout_ms; /* TCPFSM_OPT_USER_TIMEOUT, 0 = cfg.user_timeout_us */
    uint16_t mss_clamp;       /* TCPFSM_OPT_MAXSEG, 0 = the link's */
    uint16_t ka_intvl_s;      /* TCPFSM_OPT_KEEPINTVL, 0 = a tenth of the idle time */
    uint8_t ka_cnt;           /* TCPFSM_OPT_KEEPCNT, 0 = 9 */
};

/* The three timer slots of a TCB. Slot 0 carries one of the mutually exclusive timers. */
enum tcb_timer {
    TMR_RTX = 0,   /* retransmission (RFC 6298) */
    TMR_PERSIST,   /* zero-window probe (RFC 9293 3.8.6.1); shares slot 0 with RTX */
    TMR_2MSL,      /* TIME_WAIT / orphaned FIN_WAIT_2; shares slot 0 */
    TMR_DELACK,    /* slot 1 */
    TMR_KEEPALIVE, /* slot 2 */
    TMR_KINDS
};

/* Freed TCBs, data-path blocks and ring blocks are kept for reuse; not under AddressSanitizer,
 * so that it still sees every use after free. */
#if defined(__SANITIZE_ADDRESS__)
#define TCPFSM_CACHES_ON 0
#else
#define TCPFSM_CACHES_ON 1
#endif

/* Ring capacities are powers of two from 1 KiB up (mem.c). */
#define MEM_RING_MIN_SHIFT 10
#define MEM_RING_MAX_SHIFT 30
#define MEM_RING_MIN (1u << MEM_RING_MIN_SHIFT)
#define MEM_CLASSES (MEM_RING_MAX_SHIFT - MEM_RING_MIN_SHIFT + 1)

struct ring {                /* a byte ring; data[(head + i) & (cap - 1)] is byte i */
    uint8_t *data;           /* NULL when empty and given back (mem.c) */
    uint32_t cap, head, len; /* cap: 0 or a power of two (MEM_RING_MIN..) */
};

struct ofo_seg { /* an out-of-order segment held for reassembly */
    struct ofo_seg *next;
    uint32_t seq, len;
    uint8_t data[];
};

/* The per-connection data-path block, allocated when a connection is established: the byte
 * rings (their memory on first use), the reassembly queue, the SACK scoreboard and TCP_INFO
 * counters. Not part of the TCB's 192-byte budget (like lwIP's segment queues). */
struct tcb_bufs {
    struct ring snd;              /* byte 0 = seq snd_una (after the SYN): unacked then unsent */
    struct ring rcv;              /* in-order bytes the user has not read */
    uint8_t snd_shift, rcv_shift; /* log2 of the largest capacity each ring needed (mem.c) */
    uint32_t snd_sml;             /* end of the last small segment sent (Minshall's Nagle) */
    struct ofo_seg *ofo;          /* out-of-order segments, sorted by seq, non-overlapping */
    uint32_t ofo_bytes;
    bool fin_held;    /* the peer's FIN came ahead of text still missing (tcp_data_input) */
    uint8_t soft_err; /* RFC 1122 4.2.3.9: the last ICMP error (an errno) the connection
                       * outlived; conn_timeout reports it instead of ETIMEDOUT (icmp.c) */
    uint32_t fin_seq; /* ... and sits here: RCV_FIN once RCV.NXT reaches it (conn_rest) */
    uint32_t sack_last_start, sack_last_end; /* the block changed last (RFC 2018 4: first) */
    uint32_t sack_hist[3]; /* starts of the blocks reported last, most recent first */
    uint8_t sack_hist_n;
    /* RFC 7323 4.3 Last.ACK.sent, the ACK field of the last segment sent (behind RCV.NXT while
     * an ACK is delayed), and when TS.Recent was last set (5.5: invalid after 24 days idle).
     * Without this block (TIME_WAIT, a SYN_RCVD embryo) no ACK is pending: RCV.NXT stands in. */
    uint32_t last_ack_sent;
    tcpfsm_time_t ts_recent_at;
    /* RFC 6675 scoreboard: what the peer SACKed above SND.UNA (sorted, disjoint), and
     * HighRxt, the highest sequence retransmitted during this recovery. */
    struct tcp_sack_block sacked[TCP_MAX_SACK];
    uint8_t nsacked;
    uint32_t high_rxt;
    /* TCP_INFO-style counters of this connection (tcpfsm_get_info) */
    uint32_t retransmits;
    uint64_t bytes_sent, bytes_acked, bytes_received;
    struct tcb_sockopts opts; /* the connection's settings (tcb_opts) */
};

struct tcb {
    struct wheel_node timer; /* one wheel node for the earliest of the three slots */
    struct tcb *parent;      /* listener, while in its SYN/accept queue */
    struct tcb *qnext;       /* listener: its SYN queue (embryos); child: next in its queue */
    struct tcb_bufs *buf;
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    uint8_t state;          /* tcp_fsm_state_t: written only by tcp_fsm_dispatch */
    uint8_t snd_wscale : 4; /* RFC 7323 shifts, 0..14 */
    uint8_t rcv_wscale : 4;
    uint8_t retries;       /* consecutive RTO expiries (RFC 9293 3.8.3 R1/R2) */
    uint8_t err;           /* pending errno (ECONNREFUSED, ...), 0 if none */
    uint8_t tmr_kind0 : 4; /* which timer slot 0 holds (enum tcb_timer) */
    uint8_t linked : 4;    /* TCB_IN_* : which lookup structure holds it */
    uint8_t xflags;        /* TX_* */
    uint16_t flags;        /* TF_* */
    int32_t fd;            /* user descriptor, -1 once closed (orphan) */
    uint16_t oow_ack_ms;   /* when an ACK last answered an unacceptable segment without
                            * text (oow_ack_stamp; 0 = never): oow_ack_ok */
    uint16_t ka_idle_s;    /* keep-alive idle time in seconds, 0 = off */
    uint32_t una_since_ms; /* when SND.UNA last advanced with data outstanding (USER TIMEOUT) */
    /* send sequence variables (RFC 9293 3.3.1) */
    uint32_t snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1;
    /* receive sequence variables */
    uint32_t rcv_nxt, rcv_adv; /* rcv_adv: right edge of the window last advertised */
    uint32_t ts_recent;        /* RFC 7323 TS.Recent */
    uint32_t rtt_seq, rtt_ts;  /* Karn timing of one segment (when timestamps are off) */
    uint32_t tmr_at[3];        /* slot deadlines in ms since the stack's epoch, 0 = off */
    struct rtt_est rtt;
    /* tuple_hash of the 4-tuple, set by tcb_hash_insert (the tuple does not change while the
     * TCB is in the table): removal and the backward shift find home slots without hashing */
    uint32_t hash;
    union {
        struct cc cc; /* connections */
        struct {      /* listeners */
            uint16_t backlog, nsyn, nacc;
            struct tcb *acc_head, *acc_tail; /* the accept queue, oldest first */
            struct tcb_sockopts opts;        /* also an unconnected socket's settings (tcb_opts) */
        } lst;
    } u;
};

#define TCB_IN_NONE 0
#define TCB_IN_HASH 1
#define TCB_IN_LISTENERS 2

/* One dispatch: the context the generated machine passes to guards and actions. */
struct tcp_ctx {
    struct tcpfsm_stack *st;
    struct tcb *tcb;
    const struct tcp_seg *seg; /* the arriving segment, NULL for user calls and timers: what
                                * the trace hook reports as the transition's cause */
};

/* The readiness interest set (ready.c): one item per descriptor, by descriptor number, and a
 * FIFO of the descriptors something happened to since the last tcpfsm_epoll_wait(). */
#define RI_WATCHED 0x01u  /* in the interest set */
#define RI_QUEUED 0x02u   /* on the queue (also after the descriptor closed: skipped there) */
#define RI_MEMWAIT 0x04u  /* refused -ENOBUFS/-EAGAIN by buffer memory: in memwait[] */
#define RI_DISARMED 0x08u /* TCPFSM_EPOLLONESHOT reported it: silent until CTL_MOD */
struct ready_item {
    uint64_t data;   /* the caller's */
    uint32_t events; /* wanted events and flags (TCPFSM_EPOLL*) */
    uint32_t next;   /* next queued descriptor + 1, 0 = end of the queue */
    uint8_t flags;   /* RI_* */
};
struct ready_set {
    struct ready_item *items; /* cap entries (grows to the descriptor table's size) */
    uint32_t cap;
    uint32_t head, tail, n; /* the queue: descriptor + 1, 0 = empty; its length */
    uint32_t *memwait;      /* descriptors waiting for buffer memory to send */
    uint32_t nmemwait, memwait_cap;
};

struct listener_slot {
    struct tcb *tcb;
};

/* Freed compact records of one kind (TIME_WAIT, SYN queue), kept for reuse: every connection
 * makes and frees one of each, and a free list costs a few instructions where malloc and free
 * cost ~130 (callgrind). Linked through the record's first bytes. */
struct rec_cache {
    void *head;
    uint32_t n;
};

struct tcpfsm_stack {
    struct tcpfsm_config cfg;
    tcpfsm_time_t now;
    tcpfsm_time_t epoch; /* time of creation: ms timers count from here */
    struct timer_wheel wheel;
    struct timer_wheel tw_wheel;  /* 2 MSL deadlines of the TIME_WAIT records */
    struct rec_table tw;          /* TIME_WAIT records by 4-tuple (timewait.c) */
    struct timer_wheel syn_wheel; /* SYN-ACK deadlines of the SYN-queue records */
    struct rec_table syn;         /* SYN-queue records by 4-tuple (synqueue.c) */
    /* The tables grow with use (doubling) up to what the limits need, so a stack allowed
     * 64 Ki descriptors costs little until it has them. */
    struct tcb **fds; /* descriptor table, fds_cap (<= cfg.max_sockets) entries */
    uint32_t fds_cap;
    uint32_t fd_low;    /* no free descriptor below this index */
    struct tcb **hash;  /* connections by 4-tuple: open addressing, linear probing */
    uint32_t hash_mask; /* table size - 1; the table is at most half full */
    uint32_t nconns, max_conns;
    struct tcb **listeners; /* listeners_cap entries, the first nlisteners used */
    uint32_t nlisteners, listeners_cap;
    /* Buffer memory (mem.c): bytes in use, the pressure state, and freed ring blocks kept
     * for reuse, one free list per power-of-two size (not counted in buffer_bytes). */
    uint64_t buffer_bytes;
    bool mem_pressure;
    uint64_t ring_cache_bytes;
    struct {
        void *head;
        uint32_t n;
    } ring_free[MEM_CLASSES];
    uint8_t hash_key[16], isn_key[16];
    uint16_t ip_id;
    uint32_t chack_sec, chack_count; /* RFC 5961 7 rate limit: current second, ACKs sent */
    uint32_t icmp_tokens;            /* ICMP output token bucket (runtime/ip/icmp.c) ... */
    tcpfsm_time_t icmp_refill_at;    /* ... and the time its tokens were counted up to */
    bool icmp_bucket_set;            /* ... filled on first use */
    bool isn_fixed_set;              /* tests only: every ISN = isn_fixed (e.g. near 2^32) */
    uint32_t isn_fixed;
    bool reopen_iss_set;    /* a SYN is reopening a TIME-WAIT connection (tcp_reopen): the new */
    uint32_t reopen_iss;    /* connection's ISS, past every sequence number the old one used */
    struct ready_set ready; /* the interest set (ready.c) */
    /* The connection whose output waits for the rest of a segment train (TCPFSM_IN_MORE):
     * tcp_train_end() sends it. Cleared when the TCB is freed. */
    struct tcb *train;
    struct tcpfsm_stats stats;
    uint64_t *coverage; /* per generated transition */
    /* Freed TCBs and data-path blocks kept for reuse (linked through qnext / ofo). */
    struct tcb *tcb_cache;
    struct tcb_bufs *bufs_cache;
    uint32_t tcb_cache_n, bufs_cache_n;
    struct rec_cache tw_cache, syn_cache; /* freed TIME_WAIT and SYN-queue records */
    struct tcb *last_lookup;              /* the TCB tcb_lookup found last (a one-entry cache) */
    struct tuple_hasher hasher; /* every table's hash (hash_key), and the tuple hashed last */
    uint8_t out[65536];         /* segment build buffer */
};

/* ---- the core room's functions (tcb.c, tcb_table.c, tcb_timer.c, isn.c, mem.c, ring.c) ---- */
static inline uint32_t stack_ms(const struct tcpfsm_stack *st)
{
    return (uint32_t)((st->now - st->epoch) / 1000u);
}
/* The MSS the interface's MTU allows. */
static inline uint16_t stack_mss_for_mtu(const struct tcpfsm_stack *st)
{
    /* RFC 9293 3.7.1: MSS = MTU - fixed IP header - fixed TCP header. */
    uint32_t m = st->cfg.mtu > 40 ? st->cfg.mtu - 40u : 536u;
    return (uint16_t)(m > 65495u ? 65495u : m);
}
/* Linux's tcp_invalid_ratelimit: one ACK per this many ms answers unacceptable segments
 * without text (oow_ack_ok). */
#define OOW_ACK_INTERVAL_MS 500u
/* An oow_ack_ms stamp: the time in ms modulo 2^16, 0 meaning "never" (a time that is 0
 * modulo 2^16 is stamped 1 ms early). */
static inline uint16_t oow_ack_stamp(uint32_t now_ms)
{
    return (uint16_t)now_ms ? (uint16_t)now_ms : 0xffffu;
}
/* Whether the stamp lies within the last OOW_ACK_INTERVAL_MS of now. */
static inline bool oow_ack_recent(uint16_t stamp, uint32_t now_ms)
{
    return stamp && (uint16_t)((uint16_t)now_ms - stamp) < OOW_ACK_INTERVAL_MS;
}
void tcb_timer_set(struct tcpfsm_stack *st, struct tcb *t, enum tcb_timer k, uint64_t delay_us);
void tcb_timer_clear(struct tcpfsm_stack *st, struct tcb *t, enum tcb_timer k);
/* Inline: the output path asks it for every segment. Slot 0 holds the kind tmr_kind0 names;
 * DELACK and KEEPALIVE have slots 1 and 2 (tcb_timer.c's slot_of_kind). */
static inline bool tcb_timer_armed(const struct tcb *t, enum tcb_timer k)
{
    if (k >= TMR_DELACK) return t->tmr_at[k - TMR_DELACK + 1] != 0;
    return t->tmr_at[0] && t->tmr_kind0 == k;
}
/* The socket settings t follows: its own (a connection's, a listener's, an unconnected
 * socket's), its listener's while it is an embryo without buffers, or NULL (defaults). */
const struct tcb_sockopts *tcb_opts(const struct tcb *t);
struct tcb_sockopts *tcb_opts_mut(struct tcb *t);
/* What the settings make of the stack's defaults for t: the MSS it offers and may send
 * (TCPFSM_OPT_MAXSEG), the keep-alive interval and probe count, the USER TIMEOUT in us. */
uint16_t tcb_mss_limit(const struct tcpfsm_stack *st, const struct tcb *t);
uint64_t tcb_keepintvl_us(const struct tcb *t);
unsigned tcb_keepcnt(const struct tcb *t);
uint64_t tcb_user_timeout_us(const struct tcpfsm_stack *st, const struct tcb *t);
struct tcb *tcb_lookup(struct tcpfsm_stack *st, uint32_t laddr, uint16_t lport, uint32_t raddr,
                       uint16_t rport);
struct tcb *listener_lookup(struct tcpfsm_stack *st, uint32_t laddr, uint16_t lport);
/* Room for one more connection in the table (growing it); -ENOMEM if there is none. */
int tcb_hash_reserve(struct tcpfsm_stack *st);
void tcb_hash_insert(struct tcpfsm_stack *st, struct tcb *t);
void listener_insert(struct tcpfsm_stack *st, struct tcb *t);
int listeners_reserve(struct tcpfsm_stack *st);
void tcb_hash_remove(struct tcpfsm_stack *st, struct tcb *t);
struct tcb *tcb_new(struct tcpfsm_stack *st);
struct tcb *tcb_zalloc(struct tcpfsm_stack *st);
void tcb_dealloc(struct tcpfsm_stack *st, struct tcb *t);
void child_unlink(struct tcb *t);
struct tcb *tcb_new_unbounded(struct tcpfsm_stack *st);
void tcb_timer_restore(struct tcpfsm_stack *st, struct tcb *t, enum tcb_timer k, uint32_t at_ms);
void tcb_timer_rearm(struct tcpfsm_stack *st, struct tcb *t);
int tcb_alloc_bufs(struct tcpfsm_stack *st, struct tcb *t);
void tcb_free(struct tcpfsm_stack *st, struct tcb *t);
void tcb_free_bufs(struct tcpfsm_stack *st, struct tcb *t);
/* Free t if it is dead and no descriptor refers to it. */
void tcb_reap(struct tcpfsm_stack *st, struct tcb *t);
/* A listener's child leaves its SYN queue for the accept queue (it is established). */
void child_accept_ready(struct tcb *c);
uint32_t isn_generate(struct tcpfsm_stack *st, const struct tcb *t);
/* one `ss -tan` line (tcb.c), snprintf-like at buf + off */
int ss_format(char *buf, size_t size, size_t off, const char *state, uint32_t la, uint16_t lp,
              uint32_t ra, uint16_t rp, unsigned rq, unsigned sq);

/* ready.c: the interest set. What a readiness mask looks at, before and after an event,
 * so that only a change queues the descriptor (tcb_event). */
struct ready_snap {
    uint64_t rx, acked; /* bytes_received, bytes_acked */
    uint16_t flags;     /* TF_FIN_RCVD | TF_FIN_ACKED | TF_DEAD | TF_RD_SHUT */
    uint8_t state, err;
};
/* The TCPFSM_POLL* mask of t as tcpfsm_poll() reports it. */
int tcb_poll_mask(const struct tcpfsm_stack *st, const struct tcb *t);
/* Whether t's descriptor is in the interest set (cheap: the hot path asks it per event). */
static inline bool ready_watched(const struct tcpfsm_stack *st, const struct tcb *t)
{
    return t->fd >= 0 && (uint32_t)t->fd < st->ready.cap &&
           (st->ready.items[t->fd].flags & RI_WATCHED);
}
void ready_snap_take(const struct tcb *t, struct ready_snap *s);
/* Queue t's descriptor if it is watched and the snapshot differs from t now. */
void ready_changed(struct tcpfsm_stack *st, const struct tcb *t, const struct ready_snap *before);
/* Queue t's descriptor if it is watched (something happened to it). */
void ready_wake(struct tcpfsm_stack *st, const struct tcb *t);
/* A send was refused for want of buffer memory: look at fd again at each wait. */
void ready_memwait(struct tcpfsm_stack *st, const struct tcb *t);
/* The descriptor is closing: out of the set. */
void ready_forget(struct tcpfsm_stack *st, int fd);
void ready_destroy(struct tcpfsm_stack *st);

/* ring.c: byte rings (no allocation; capacity a power of two) */
uint32_t ring_write(struct ring *r, const void *src, uint32_t n);
uint32_t ring_read(struct ring *r, void *dst, uint32_t n);
void ring_peek(const struct ring *r, uint32_t off, void *dst, uint32_t n);
void ring_drop(struct ring *r, uint32_t n);
static inline uint32_t ring_space(const struct ring *r)
{
    return r->cap - r->len;
}

/* mem.c: buffer memory, charged to cfg.max_buffer_bytes, and memory pressure */
/* Let ring r hold up to `want` more bytes (growing it within a limit of `limit` bytes, `shift`
 * remembering its size); returns how many of them fit now (< want at the stack's buffer
 * limit). `force` lets it go past the budget, up to the ceiling of twice the budget (one
 * segment that keeps a connection moving, or memory that replaces memory about to be freed). */
uint32_t ring_make_room(struct tcpfsm_stack *st, struct ring *r, uint32_t want, uint32_t limit,
                        uint8_t *shift, bool force);
/* Give an empty ring's memory back. Inline: a connection's end asks it of rings that hold no
 * memory as often as of rings that do. */
void ring_release_block(struct tcpfsm_stack *st, struct ring *r);
static inline void ring_release(struct tcpfsm_stack *st, struct ring *r)
{
    if (r->data) ring_release_block(st, r);
}
/* Bytes more the connection may hold in r (limit `limit`): the rest of the limit, or under
 * memory pressure its fair share. Offers (windows, send room) come from this. Inline: every
 * segment built asks it for the receive window; only the pressure case is out of line. */
uint32_t mem_allowance_pressed(const struct tcpfsm_stack *st, const struct tcb *t,
                               const struct ring *r, uint32_t limit);
static inline uint32_t mem_allowance(const struct tcpfsm_stack *st, const struct tcb *t,
                                     const struct ring *r, uint32_t limit)
{
    if (st->mem_pressure) return mem_allowance_pressed(st, t, r, limit);
    uint32_t len = r ? r->len : 0;
    return limit > len ? limit - len : 0;
}
/* Account for n bytes of other buffer memory (out-of-order segments); false at the limit. */
/* Memory an out-of-order segment of n bytes is charged for; free a block's whole queue. */
uint64_t ofo_cost(uint32_t n);
void ofo_free(struct tcpfsm_stack *st, struct tcb_bufs *b);
bool mem_charge(struct tcpfsm_stack *st, uint64_t n, bool force);
void mem_uncharge(struct tcpfsm_stack *st, uint64_t n);
/* The stack cannot give a new connection even a minimal ring each way. */
bool mem_exhausted(const struct tcpfsm_stack *st);
/* True if a send() on t could queue at least one byte now. */
bool mem_can_send(const struct tcpfsm_stack *st, const struct tcb *t);
void mem_destroy(struct tcpfsm_stack *st);

/* A record of `size` bytes (the same size for every record of a cache), from the cache or
 * malloc; NULL if there is no memory. */
#define REC_CACHE_MAX 4096u
static inline void *rec_get(struct rec_cache *c, size_t size)
{
    void *p = c->head;
    if (!p) return malloc(size);
    memcpy(&c->head, p, sizeof(void *));
    c->n--;
    return p;
}
/* A record freed: kept (up to REC_CACHE_MAX; not under AddressSanitizer) or given back. */
static inline void rec_put(struct rec_cache *c, void *p)
{
    if (!TCPFSM_CACHES_ON || c->n >= REC_CACHE_MAX) {
        free(p);
        return;
    }
    memcpy(p, &c->head, sizeof(void *));
    c->head = p;
    c->n++;
}

#endif /* TCPFSM_TCB_H */
