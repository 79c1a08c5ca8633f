/*
 * stack.c — stack lifecycle, time and timers, connection lookup, ISNs, and the socket API.
 *
 * Every user call that changes a connection's state does so by dispatching an APP_* event
 * into the generated machine (tcb_event); this file only checks arguments and limits first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "seq.h"
#include "siphash.h"
#include "tcb.h"
#include "tcp.h"

#define DEFAULT_MAX_SOCKETS 65536u
#define MAX_SOCKETS (1u << 24)
#define DEFAULT_BUF 65536u
#define MIN_BUF 1024u
#define MAX_BUF (1u << 30) /* RFC 7323 2.3: the window is at most 2^30 */
#define DEFAULT_MAX_BUFFERS (64u << 20)
#define MIN_MAX_BUFFERS 4096u
#define MAX_MAX_BUFFERS ((uint64_t)1 << 48)
#define EPHEMERAL_LO 49152u /* RFC 6335 6 dynamic ports */
#define EPHEMERAL_HI 65535u
#define OBJ_CACHE_MAX 4096u
#define TABLE_MIN 64u             /* first size of every growing table */
#define RTO_DEFAULT 1000000u      /* RFC 6298 2.1 initial RTO and 2.4 minimum */
#define RTO_MAX_DEFAULT 60000000u /* RFC 6298 2.5 */

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

const char *tcpfsm_version(void)
{
    return TCPFSM_VERSION;
}

static uint64_t default_random(void *arg)
{
    (void)arg;
    uint64_t v = 0;
    while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
    }
    return v;
}

/* ---- timers: three slots per TCB, one wheel node armed at the earliest ---- */

static int slot_of(enum tcb_timer k)
{
    return k <= TMR_2MSL ? 0 : k == TMR_DELACK ? 1 : 2;
}

static void tcb_timer_rearm(struct tcpfsm_stack *st, struct tcb *t)
{
    uint32_t now = stack_ms(st);
    int32_t best = INT32_MAX;
    bool any = false;
    for (int i = 0; i < 3; i++) {
        if (!t->tmr_at[i]) continue;
        int32_t d = seq_diff(t->tmr_at[i], now);
        if (!any || d < best) best = d;
        any = true;
    }
    if (!any) {
        wheel_cancel(&st->wheel, &t->timer);
        return;
    }
    if (best < 0) best = 0;
    wheel_arm(&st->wheel, &t->timer, st->now + (uint64_t)best * 1000u);
}

void tcb_timer_set(struct tcpfsm_stack *st, struct tcb *t, enum tcb_timer k, uint64_t delay_us)
{
    int s = slot_of(k);
    if (delay_us > (uint64_t)INT32_MAX * 1000u) delay_us = (uint64_t)INT32_MAX * 1000u;
    /* RFC 9293 3.10.8 USER TIMEOUT (as Linux's tcp_clamp_rto_to_user_timeout): the
     * retransmission timer never runs past the moment the user timeout expires, so the
     * give_up guard sees it in time rather than a whole backed-off RTO later. */
    uint64_t user_timeout = k == TMR_RTX ? tcb_user_timeout_us(st, t) : 0;
    if (user_timeout && t->una_since_ms) {
        int32_t d = seq_diff(stack_ms(st), t->una_since_ms); /* may be -1: see `| 1u` */
        uint64_t el = d > 0 ? (uint64_t)d * 1000u : 0;
        uint64_t left = el < user_timeout ? user_timeout - el : 0;
        if (delay_us > left) delay_us = left;
    }
    uint32_t at = stack_ms(st) + (uint32_t)((delay_us + 999u) / 1000u);
    t->tmr_at[s] = at ? at : 1; /* 0 means "off" */
    if (s == 0) t->tmr_kind0 = (uint8_t)k;
    tcb_timer_rearm(st, t);
}

void tcb_timer_clear(struct tcpfsm_stack *st, struct tcb *t, enum tcb_timer k)
{
    int s = slot_of(k);
    if (s == 0 && t->tmr_kind0 != k) return;
    t->tmr_at[s] = 0;
    tcb_timer_rearm(st, t);
}

bool tcb_timer_armed(const struct tcb *t, enum tcb_timer k)
{
    int s = slot_of(k);
    return t->tmr_at[s] && (s != 0 || t->tmr_kind0 == k);
}

/* ---- socket settings (tcpfsm_setopt) ---- */

const struct tcb_sockopts *tcb_opts(const struct tcb *t)
{
    if (t->buf) return &t->buf->opts;
    if (t->parent) return &t->parent->u.lst.opts; /* an embryo: its listener's */
    /* a listener, or a socket not connected yet; a dead connection's union holds other data */
    if (t->state == TCP_FSM_LISTEN || (t->state == TCP_FSM_CLOSED && !(t->flags & TF_DEAD)))
        return &t->u.lst.opts;
    return NULL;
}

static struct tcb_sockopts *tcb_opts_mut(struct tcb *t)
{
    return (struct tcb_sockopts *)tcb_opts(t);
}

uint16_t tcb_mss_limit(const struct tcpfsm_stack *st, const struct tcb *t)
{
    uint16_t mss = tcp_mss_for_mtu(st);
    const struct tcb_sockopts *o = tcb_opts(t);
    return o && o->mss_clamp && o->mss_clamp < mss ? o->mss_clamp : mss;
}

uint64_t tcb_keepintvl_us(const struct tcb *t)
{
    const struct tcb_sockopts *o = tcb_opts(t);
    if (o && o->ka_intvl_s) return (uint64_t)o->ka_intvl_s * 1000000u;
    /* RFC 1122 4.2.3.6 leaves it open; Linux probes every 75 s, we every idle/10, >= 1 s */
    uint64_t iv = (uint64_t)t->ka_idle_s * 100000u;
    return iv < 1000000u ? 1000000u : iv;
}

#define KEEPALIVE_PROBES 9 /* Linux's tcp_keepalive_probes */
unsigned tcb_keepcnt(const struct tcb *t)
{
    const struct tcb_sockopts *o = tcb_opts(t);
    return o && o->ka_cnt ? o->ka_cnt : KEEPALIVE_PROBES;
}

uint64_t tcb_user_timeout_us(const struct tcpfsm_stack *st, const struct tcb *t)
{
    const struct tcb_sockopts *o = tcb_opts(t);
    return o && o->user_timeout_ms ? (uint64_t)o->user_timeout_ms * 1000u : st->cfg.user_timeout_us;
}

static const int timer_event[TMR_KINDS] = {
    [TMR_RTX] = TCP_FSM_EV_T_RTX,
    [TMR_PERSIST] = TCP_FSM_EV_T_PERSIST,
    [TMR_2MSL] = TCP_FSM_EV_T_2MSL,
    [TMR_DELACK] = TCP_FSM_EV_T_DELACK,
    [TMR_KEEPALIVE] = TCP_FSM_EV_T_KEEPALIVE,
};

/* Restore a slot's deadline as it was (ms since the epoch): a compact record's timer. */
void tcb_timer_restore(struct tcpfsm_stack *st, struct tcb *t, enum tcb_timer k, uint32_t at_ms)
{
    int s = slot_of(k);
    t->tmr_at[s] = at_ms ? at_ms : 1;
    if (s == 0) t->tmr_kind0 = (uint8_t)k;
    tcb_timer_rearm(st, t);
}

static void timer_fire(struct wheel_node *n, void *arg)
{
    tcb_timers_run(arg, (struct tcb *)((char *)n - offsetof(struct tcb, timer)));
}

/* Run t's due timer slots, then free it, compact it, or re-arm its wheel node. */
void tcb_timers_run(struct tcpfsm_stack *st, struct tcb *t)
{
    uint32_t now = stack_ms(st);
    for (int s = 0; s < 3 && !(t->flags & TF_DEAD); s++) {
        if (!t->tmr_at[s] || seq_diff(t->tmr_at[s], now) > 0) continue;
        t->tmr_at[s] = 0;
        enum tcb_timer k = s == 0   ? (enum tcb_timer)t->tmr_kind0
                           : s == 1 ? TMR_DELACK
                                    : TMR_KEEPALIVE;
        tcb_event(st, t, timer_event[k], NULL);
        if (!(t->flags & TF_DEAD)) tcp_output(st, t);
    }
    if (t->flags & TF_DEAD)
        tcb_reap(st, t);
    else if (!tw_settle(st, t) && !syn_settle(st, t))
        tcb_timer_rearm(st, t);
}

/* ---- lookup ---- */

static uint32_t tuple_hash(struct tcpfsm_stack *st, uint32_t la, uint16_t lp, uint32_t ra,
                           uint16_t rp)
{
    /* The same 4-tuple is often hashed several times in a row (a lookup that misses, then
     * the insert; connect's port check, then the insert): remember the last one. */
    if (st->memo_valid && st->memo_la == la && st->memo_ra == ra && st->memo_lp == lp &&
        st->memo_rp == rp)
        return st->memo_hash & st->hash_mask;
    uint8_t k[12];
    memcpy(k, &la, 4);
    memcpy(k + 4, &ra, 4);
    memcpy(k + 8, &lp, 2);
    memcpy(k + 10, &rp, 2);
    uint32_t h = (uint32_t)siphash24(st->hash_key, k, sizeof k);
    st->memo_la = la;
    st->memo_ra = ra;
    st->memo_lp = lp;
    st->memo_rp = rp;
    st->memo_hash = h;
    st->memo_valid = true;
    return h & st->hash_mask;
}

static uint32_t tcb_home(struct tcpfsm_stack *st, const struct tcb *t)
{
    return tuple_hash(st, t->laddr, t->lport, t->raddr, t->rport);
}

struct tcb *tcb_lookup(struct tcpfsm_stack *st, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    /* Segments come in trains for one connection: try the last one found first (it is in
     * the table: tcb_hash_remove forgets it). */
    struct tcb *c = st->last_lookup;
    if (c && c->lport == lp && c->rport == rp && c->laddr == la && c->raddr == ra) return c;
    for (uint32_t i = tuple_hash(st, la, lp, ra, rp);; i = (i + 1) & st->hash_mask) {
        struct tcb *t = st->hash[i];
        if (!t) return NULL;
        if (t->lport == lp && t->rport == rp && t->laddr == la && t->raddr == ra)
            return st->last_lookup = t;
    }
}

struct tcb *listener_lookup(struct tcpfsm_stack *st, uint32_t la, uint16_t lp)
{
    struct tcb *wild = NULL;
    for (uint32_t i = 0; i < st->nlisteners; i++) {
        struct tcb *t = st->listeners[i];
        if (t->lport != lp) continue;
        if (t->laddr == la) return t;
        if (t->laddr == 0) wild = t;
    }
    return wild;
}

/* Double the connection table (rehashing every entry); false if memory says no. */
static bool hash_grow(struct tcpfsm_stack *st)
{
    uint64_t size = (uint64_t)st->hash_mask + 1;
    if (size >= ((uint64_t)1 << 31)) return false;
    struct tcb **nh = calloc(size * 2, sizeof *nh);
    if (!nh) return false;
    struct tcb **old = st->hash;
    st->hash = nh;
    st->hash_mask = (uint32_t)(size * 2 - 1);
    for (uint64_t i = 0; i < size; i++) {
        struct tcb *t = old[i];
        if (!t) continue;
        uint32_t j = tcb_home(st, t);
        while (st->hash[j])
            j = (j + 1) & st->hash_mask;
        st->hash[j] = t;
    }
    free(old);
    return true;
}

int tcb_hash_reserve(struct tcpfsm_stack *st)
{
    uint64_t size = (uint64_t)st->hash_mask + 1;
    if ((uint64_t)(st->nconns + 1) * 2 <= size) return 0;
    if (hash_grow(st)) return 0;
    /* no memory to grow: still room while the table is at most 3/4 full */
    return (uint64_t)(st->nconns + 1) * 4 <= size * 3 ? 0 : -ENOMEM;
}

void tcb_hash_insert(struct tcpfsm_stack *st, struct tcb *t)
{
    /* Every path to here reserved room (tcb_hash_reserve): a free slot exists. */
    if ((uint64_t)(st->nconns + 1) * 2 > (uint64_t)st->hash_mask + 1) (void)hash_grow(st);
    uint32_t i = tcb_home(st, t);
    while (st->hash[i])
        i = (i + 1) & st->hash_mask;
    st->hash[i] = t;
    t->linked = TCB_IN_HASH;
    st->nconns++;
}

static int listeners_reserve(struct tcpfsm_stack *st)
{
    if (st->nlisteners < st->listeners_cap) return 0;
    uint32_t n = st->listeners_cap ? st->listeners_cap * 2 : 8;
    struct tcb **p = realloc(st->listeners, n * sizeof *p);
    if (!p) return -ENOMEM;
    st->listeners = p;
    st->listeners_cap = n;
    return 0;
}

void listener_insert(struct tcpfsm_stack *st, struct tcb *t)
{
    st->listeners[st->nlisteners++] = t; /* tcpfsm_listen reserved the room */
    t->linked = TCB_IN_LISTENERS;
}

void tcb_hash_remove(struct tcpfsm_stack *st, struct tcb *t)
{
    if (st->last_lookup == t) st->last_lookup = NULL;
    if (t->linked == TCB_IN_LISTENERS) {
        for (uint32_t i = 0; i < st->nlisteners; i++)
            if (st->listeners[i] == t) {
                st->listeners[i] = st->listeners[--st->nlisteners];
                break;
            }
    } else if (t->linked == TCB_IN_HASH) {
        uint32_t m = st->hash_mask, i = tcb_home(st, t);
        while (st->hash[i] != t)
            i = (i + 1) & m;
        st->hash[i] = NULL;
        /* Backward-shift deletion (Knuth 6.4 Algorithm R): move later entries of the probe
         * run into the hole when their home slot does not lie between the hole and them. */
        for (uint32_t j = (i + 1) & m; st->hash[j]; j = (j + 1) & m) {
            struct tcb *k = st->hash[j];
            uint32_t h = tcb_home(st, k);
            if (((j - h) & m) >= ((j - i) & m)) {
                st->hash[i] = k;
                st->hash[j] = NULL;
                i = j;
            }
        }
        st->nconns--;
    }
    t->linked = TCB_IN_NONE;
}

/* ---- TCBs ---- */

static struct tcb *tcb_zalloc(struct tcpfsm_stack *st)
{
    struct tcb *t = st->tcb_cache;
    if (!t) return calloc(1, sizeof *t);
    st->tcb_cache = t->qnext;
    st->tcb_cache_n--;
    memset(t, 0, sizeof *t);
    return t;
}

static void tcb_dealloc(struct tcpfsm_stack *st, struct tcb *t)
{
    if (!TCPFSM_CACHES_ON || st->tcb_cache_n >= OBJ_CACHE_MAX) {
        free(t);
        return;
    }
    t->qnext = st->tcb_cache;
    st->tcb_cache = t;
    st->tcb_cache_n++;
}

struct tcb *tcb_new(struct tcpfsm_stack *st)
{
    if (st->nconns >= st->max_conns) return NULL;
    return tcb_new_unbounded(st);
}

/* A TCB for a SYN-queue record (synqueue.c): admission counted the record against max_conns
 * already (accept_queue_full). Both reserve a place in the connection table. */
struct tcb *tcb_new_unbounded(struct tcpfsm_stack *st)
{
    if (tcb_hash_reserve(st)) return NULL;
    struct tcb *t = tcb_zalloc(st);
    if (!t) return NULL;
    t->state = TCP_FSM_INITIAL;
    t->fd = -1;
    rtt_init(&t->rtt, st->cfg.rto_initial_us);
    return t;
}

/* Connections get their data-path block when established (or at connect); the rings in it
 * get memory only while they hold bytes (mem.c): an idle connection holds no buffer pages. */
int tcb_alloc_bufs(struct tcpfsm_stack *st, struct tcb *t)
{
    if (t->buf) return 0;
    struct tcb_bufs *b = st->bufs_cache;
    if (b) {
        st->bufs_cache = (struct tcb_bufs *)(void *)b->ofo;
        st->bufs_cache_n--;
        memset(b, 0, sizeof *b);
    } else {
        b = calloc(1, sizeof *b);
        if (!b) return -ENOMEM;
    }
    /* the settings move in with the buffers: the listener's for its child, the socket's own
     * (kept in the union until now) for a connect */
    const struct tcb_sockopts *o = tcb_opts(t);
    if (o) b->opts = *o;
    /* nothing received is unacknowledged yet (RFC 7323 4.3); TS.Recent, if any, is fresh */
    b->last_ack_sent = t->rcv_nxt;
    b->ts_recent_at = st->now;
    t->buf = b;
    return 0;
}

void tcb_free_bufs(struct tcpfsm_stack *st, struct tcb *t)
{
    if (!t->buf) return;
    ofo_free(st, t->buf);
    ring_release(st, &t->buf->snd);
    ring_release(st, &t->buf->rcv);
    if (TCPFSM_CACHES_ON && st->bufs_cache_n < OBJ_CACHE_MAX) {
        t->buf->ofo = (struct ofo_seg *)(void *)st->bufs_cache; /* the free list's link */
        st->bufs_cache = t->buf;
        st->bufs_cache_n++;
    } else {
        free(t->buf);
    }
    t->buf = NULL;
}

void tcb_free(struct tcpfsm_stack *st, struct tcb *t)
{
    wheel_cancel(&st->wheel, &t->timer);
    tcb_free_bufs(st, t);
    if (st->last_lookup == t) st->last_lookup = NULL;
    tcb_dealloc(st, t);
}

/* Take t out of the list starting at *head (and ending at *tail if given); true if found. */
static bool list_remove(struct tcb **head, struct tcb **tail, struct tcb *t)
{
    struct tcb *prev = NULL;
    for (struct tcb **pp = head; *pp; prev = *pp, pp = &(*pp)->qnext)
        if (*pp == t) {
            *pp = t->qnext;
            if (tail && *tail == t) *tail = prev;
            return true;
        }
    return false;
}

/* Out of its listener's SYN queue or accept queue, whichever holds it. */
static void child_unlink(struct tcb *t)
{
    struct tcb *p = t->parent;
    if (!p) return;
    if (list_remove(&p->u.lst.acc_head, &p->u.lst.acc_tail, t)) {
        if (p->u.lst.nacc) p->u.lst.nacc--;
    } else if (list_remove(&p->qnext, NULL, t) && p->u.lst.nsyn) {
        p->u.lst.nsyn--;
    }
    t->parent = NULL;
    t->qnext = NULL;
}

void child_accept_ready(struct tcb *c)
{
    struct tcb *l = c->parent;
    if (!l || !list_remove(&l->qnext, NULL, c)) return;
    if (l->u.lst.nsyn) l->u.lst.nsyn--;
    c->qnext = NULL;
    if (l->u.lst.acc_tail)
        l->u.lst.acc_tail->qnext = c;
    else
        l->u.lst.acc_head = c;
    l->u.lst.acc_tail = c;
    l->u.lst.nacc++;
}

void tcb_reap(struct tcpfsm_stack *st, struct tcb *t)
{
    if (!(t->flags & TF_DEAD)) return;
    tcb_hash_remove(st, t);
    wheel_cancel(&st->wheel, &t->timer);
    t->tmr_at[0] = t->tmr_at[1] = t->tmr_at[2] = 0;
    if (t->fd >= 0) return; /* the user still holds it: freed by close() */
    child_unlink(t);
    tcb_free(st, t);
}

/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 us clock. */
uint32_t isn_generate(struct tcpfsm_stack *st, const struct tcb *t)
{
    if (st->isn_fixed_set) return st->isn_fixed;
    uint8_t k[12];
    memcpy(k, &t->laddr, 4);
    memcpy(k + 4, &t->raddr, 4);
    memcpy(k + 8, &t->lport, 2);
    memcpy(k + 10, &t->rport, 2);
    return (uint32_t)(st->now / 4u) + (uint32_t)siphash24(st->isn_key, k, sizeof k);
}

/* ---- stack ---- */

/* Every field of the configuration inside its documented range (tcpfsm.h), 0 meaning the
 * default where there is one. */
static bool config_valid(const struct tcpfsm_config *c)
{
    const uint32_t MS = 1000u;
#define IN(v, lo, hi) (!(v) || ((v) >= (lo) && (v) <= (hi)))
    if (!c->output || !c->addr || ip_addr_class(c->addr) != IP_ADDR_UNICAST) return false;
    if (c->prefix_len > 32) return false;
    if (!IN(c->mtu, 68u, 65535u)) return false; /* RFC 791: every host takes 68 */
    if (!IN(c->max_sockets, 1u, MAX_SOCKETS)) return false;
    if (!IN(c->sndbuf, MIN_BUF, MAX_BUF) || !IN(c->rcvbuf, MIN_BUF, MAX_BUF)) return false;
    if (!IN(c->max_buffer_bytes, MIN_MAX_BUFFERS, MAX_MAX_BUFFERS)) return false;
    if (!IN(c->reasm_bytes, 1u, c->rcvbuf ? c->rcvbuf : DEFAULT_BUF)) return false;
    uint32_t rto_max = c->rto_max_us ? c->rto_max_us : RTO_MAX_DEFAULT;
    uint32_t rto_min = c->rto_min_us ? c->rto_min_us : min_u32(RTO_DEFAULT, rto_max);
    if (!IN(c->rto_max_us, 1 * MS, 3600000u * MS)) return false;
    if (!IN(c->rto_min_us, 1 * MS, rto_max)) return false;
    if (!IN(c->rto_initial_us, rto_min, rto_max)) return false;
    if (!IN(c->max_retries, 1u, 255u) || !IN(c->syn_retries, 1u, 255u)) return false;
    if (!IN(c->msl_us, 1 * MS, 600000u * MS)) return false;
    /* RFC 9293 3.8.6.3 (MUST-40): an ACK is delayed less than 0.5 s; RFC 1122 4.2.3.2 and
     * Linux keep it within 200 ms */
    if (!IN(c->delack_us, 1 * MS, 200u * MS)) return false;
    if (c->flags & ~TCPFSM_F_ALL) return false;
#undef IN
    return true;
}

struct tcpfsm_stack *tcpfsm_stack_new(const struct tcpfsm_config *cfg, int *err)
{
    if (!cfg || !config_valid(cfg)) {
        if (err) *err = -EINVAL;
        return NULL;
    }
    struct tcpfsm_stack *st = calloc(1, sizeof *st);
    if (!st) {
        if (err) *err = -ENOMEM;
        return NULL;
    }
    st->cfg = *cfg;
    struct tcpfsm_config *c = &st->cfg;
    if (!c->random) c->random = default_random;
    if (!c->mtu) c->mtu = 1500;
    if (!c->max_sockets) c->max_sockets = DEFAULT_MAX_SOCKETS;
    if (!c->sndbuf) c->sndbuf = DEFAULT_BUF;
    if (!c->rcvbuf) c->rcvbuf = DEFAULT_BUF;
    if (!c->max_buffer_bytes) c->max_buffer_bytes = DEFAULT_MAX_BUFFERS;
    if (!c->reasm_bytes) c->reasm_bytes = c->rcvbuf;
    if (!c->rto_max_us) c->rto_max_us = RTO_MAX_DEFAULT;                     /* RFC 6298 2.5 */
    if (!c->rto_min_us) c->rto_min_us = min_u32(RTO_DEFAULT, c->rto_max_us); /* RFC 6298 2.4 */
    if (!c->rto_initial_us)                                                  /* RFC 6298 2.1 */
        c->rto_initial_us =
            min_u32(RTO_DEFAULT < c->rto_min_us ? c->rto_min_us : RTO_DEFAULT, c->rto_max_us);
    if (!c->max_retries) c->max_retries = 8;
    /* RFC 9293 3.8.3 MUST-23: "R2 for a SYN segment MUST be set large enough to provide
     * retransmission of the segment for at least 3 minutes". With the default RTOs (1 s,
     * doubling up to 60 s) the 7th retransmission goes at 123 s and the open ends at 183 s. */
    if (!c->syn_retries) c->syn_retries = 7;
    if (!c->msl_us) c->msl_us = 30000000;
    if (!c->delack_us) c->delack_us = 40000;
    if (!c->challenge_ack_limit) c->challenge_ack_limit = 1000; /* Linux's default */
    st->now = st->epoch = c->now;
    wheel_init(&st->wheel, c->now);
    wheel_init(&st->tw_wheel, c->now);
    wheel_init(&st->syn_wheel, c->now);
    st->max_conns = c->max_sockets * 4u; /* orphans in TIME_WAIT etc. count too: <= 2^26 */
    st->hash_mask = TABLE_MIN - 1;
    st->hash = calloc(TABLE_MIN, sizeof *st->hash);
    st->coverage = calloc(TCP_FSM_NUM_TRANSITIONS, sizeof *st->coverage);
    /* as many compact TIME_WAIT records (timewait.c) and SYN-queue records (synqueue.c) */
    int et = rectab_init(&st->tw, st->max_conns, st->hash_key);
    int es = rectab_init(&st->syn, st->max_conns, st->hash_key);
    if (!st->hash || !st->coverage || et || es) {
        free(st->hash);
        free(st->coverage);
        rectab_destroy(&st->tw);
        rectab_destroy(&st->syn);
        free(st);
        if (err) *err = -ENOMEM;
        return NULL;
    }
    for (int i = 0; i < 16; i += 8) {
        uint64_t a = c->random(c->random_arg), b = c->random(c->random_arg);
        memcpy(st->hash_key + i, &a, 8);
        memcpy(st->isn_key + i, &b, 8);
    }
    st->ip_id = (uint16_t)c->random(c->random_arg);
    if (err) *err = 0;
    return st;
}

void tcpfsm_stack_free(struct tcpfsm_stack *st)
{
    if (!st) return;
    for (uint32_t i = 0; i <= st->hash_mask; i++)
        if (st->hash[i]) {
            struct tcb *t = st->hash[i];
            if (t->fd >= 0) st->fds[t->fd] = NULL;
            tcb_free(st, t);
        }
    for (uint32_t i = 0; i < st->nlisteners; i++) {
        struct tcb *l = st->listeners[i];
        if (l->fd >= 0) st->fds[l->fd] = NULL;
        tcb_free(st, l);
    }
    for (uint32_t i = 0; i < st->fds_cap; i++)
        if (st->fds[i]) tcb_free(st, st->fds[i]); /* unconnected or closed sockets */
    mem_destroy(st);
    while (st->tcb_cache) {
        struct tcb *t = st->tcb_cache;
        st->tcb_cache = t->qnext;
        free(t);
    }
    while (st->bufs_cache) {
        struct tcb_bufs *b = st->bufs_cache;
        st->bufs_cache = (struct tcb_bufs *)(void *)b->ofo;
        free(b);
    }
    rectab_destroy(&st->tw);
    rectab_destroy(&st->syn);
    free(st->hash);
    free(st->fds);
    free(st->listeners);
    free(st->coverage);
    free(st);
}

void tcpfsm_advance(struct tcpfsm_stack *st, tcpfsm_time_t now)
{
    if (now < st->now) return; /* time never goes back */
    st->now = now;
    wheel_advance(&st->wheel, now, timer_fire, st);
    tw_advance_all(st, now);
    syn_advance_all(st, now);
}

tcpfsm_time_t tcpfsm_next_timeout(const struct tcpfsm_stack *st)
{
    uint64_t a = wheel_next_expiry(&st->wheel),
             b = st->tw.n ? wheel_next_expiry(&st->tw_wheel) : UINT64_MAX;
    uint64_t c = st->syn.n ? wheel_next_expiry(&st->syn_wheel) : UINT64_MAX;
    if (c < b) b = c;
    return a < b ? a : b;
}
tcpfsm_time_t tcpfsm_now(const struct tcpfsm_stack *st)
{
    return st->now;
}

/* ---- sockets ---- */

static struct tcb *fd_get(struct tcpfsm_stack *st, int fd)
{
    if (!st || fd < 0 || (uint32_t)fd >= st->fds_cap) return NULL;
    return st->fds[fd];
}

/* The lowest free descriptor, as POSIX does; fd_low is a lower bound of it. The table
 * doubles when full, up to cfg.max_sockets. */
static int fd_alloc(struct tcpfsm_stack *st, struct tcb *t)
{
    uint32_t i = st->fd_low;
    while (i < st->fds_cap && st->fds[i])
        i++;
    if (i == st->fds_cap) {
        if (st->fds_cap >= st->cfg.max_sockets) {
            st->fd_low = st->fds_cap;
            return -EMFILE;
        }
        uint32_t n = st->fds_cap ? st->fds_cap * 2 : TABLE_MIN;
        if (n > st->cfg.max_sockets) n = st->cfg.max_sockets;
        struct tcb **p = realloc(st->fds, n * sizeof *p);
        if (!p) return -ENOMEM;
        memset(p + st->fds_cap, 0, (n - st->fds_cap) * sizeof *p);
        st->fds = p;
        st->fds_cap = n;
    }
    st->fds[i] = t;
    t->fd = (int32_t)i;
    st->fd_low = i + 1;
    return (int)i;
}

int tcpfsm_socket(struct tcpfsm_stack *st)
{
    if (!st) return -EINVAL;
    struct tcb *t = tcb_zalloc(st);
    if (!t) return -ENOMEM;
    t->state = TCP_FSM_INITIAL;
    t->fd = -1;
    rtt_init(&t->rtt, st->cfg.rto_initial_us);
    int fd = fd_alloc(st, t);
    if (fd < 0) tcb_dealloc(st, t);
    return fd;
}

static bool same_local(uint32_t la, uint16_t lp, uint32_t addr, uint16_t port)
{
    return lp == port && (!la || !addr || la == addr);
}

/* A bind's port is taken by a listener, by another descriptor bound to it unless both set
 * TCPFSM_OPT_REUSEADDR, and, unless this socket set it, by any connection still using it: an
 * orphan finishing its close, or a TIME-WAIT record (RFC 9293 3.6.1: the 2 MSL quiet time is
 * the 4-tuple's, so Linux and the BSDs refuse the whole local port with EADDRINUSE; their
 * SO_REUSEADDR, as this option, lets a restarted server bind it again, while a connect() to the
 * very 4-tuple still waiting is refused, tcpfsm_connect). */
static bool port_in_use(struct tcpfsm_stack *st, uint32_t addr, uint16_t port,
                        const struct tcb *self)
{
    if (!(self->flags & TF_REUSEADDR)) {
        for (uint32_t i = 0; i <= st->hash_mask; i++) {
            const struct tcb *c = st->hash[i];
            if (c && c != self && same_local(c->laddr, c->lport, addr, port)) return true;
        }
        for (uint32_t i = 0; i <= st->tw.mask; i++) {
            const struct rec_key *k = st->tw.slot[i];
            if (k && same_local(k->laddr, k->lport, addr, port)) return true;
        }
    }
    for (uint32_t i = 0; i < st->nlisteners; i++) {
        const struct tcb *l = st->listeners[i];
        if (l != self && l->lport == port && (!l->laddr || !addr || l->laddr == addr)) return true;
    }
    for (uint32_t i = 0; i < st->fds_cap; i++) {
        struct tcb *t = st->fds[i];
        if (t && t != self && t->lport == port && (!t->laddr || !addr || t->laddr == addr) &&
            !(t->flags & TF_REUSEADDR && self->flags & TF_REUSEADDR))
            return true;
    }
    return false;
}

int tcpfsm_bind(struct tcpfsm_stack *st, int fd, uint32_t addr, uint16_t port)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (t->state != TCP_FSM_CLOSED || t->lport) return -EINVAL;
    if (addr && addr != st->cfg.addr) return -EADDRNOTAVAIL;
    if (port && port_in_use(st, addr, port, t)) return -EADDRINUSE;
    t->laddr = addr;
    if (!port) {
        uint32_t span = EPHEMERAL_HI - EPHEMERAL_LO + 1,
                 start = (uint32_t)st->cfg.random(st->cfg.random_arg);
        for (uint32_t i = 0; i < span && !port; i++) {
            uint16_t p = (uint16_t)(EPHEMERAL_LO + (start + i) % span);
            if (!port_in_use(st, addr, p, t)) port = p;
        }
        if (!port) return -EADDRINUSE;
    }
    t->lport = port;
    return 0;
}

int tcpfsm_listen(struct tcpfsm_stack *st, int fd, int backlog)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (backlog < 1) backlog = 1;
    if (backlog > 4096) backlog = 4096;
    if (t->state == TCP_FSM_LISTEN) {
        t->u.lst.backlog = (uint16_t)backlog;
        return 0;
    }
    if (t->state != TCP_FSM_CLOSED || !t->lport) return -EINVAL;
    if (listeners_reserve(st)) return -ENOMEM;
    t->u.lst.backlog = (uint16_t)backlog;
    tcb_event(st, t, TCP_FSM_EV_APP_LISTEN, NULL);
    return t->state == TCP_FSM_LISTEN ? 0 : -EINVAL;
}

int tcpfsm_accept(struct tcpfsm_stack *st, int fd, uint32_t *peer_addr, uint16_t *peer_port)
{
    struct tcb *l = fd_get(st, fd);
    if (!l) return -EBADF;
    if (l->state != TCP_FSM_LISTEN) return -EINVAL;
    struct tcb *c = l->u.lst.acc_head; /* the oldest established connection */
    if (!c) return -EAGAIN;
    int nfd = fd_alloc(st, c);
    if (nfd < 0) return nfd;
    child_unlink(c);
    if (peer_addr) *peer_addr = c->raddr;
    if (peer_port) *peer_port = c->rport;
    return nfd;
}

int tcpfsm_connect(struct tcpfsm_stack *st, int fd, uint32_t addr, uint16_t port)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    /* a peer we could never hear from (RFC 1122 3.2.1.3: its replies would be dropped) */
    if (!port || ip_martian_source(addr, st->cfg.addr, st->cfg.prefix_len)) return -EINVAL;
    if (t->state == TCP_FSM_SYN_SENT || t->state == TCP_FSM_SYN_RCVD) return -EALREADY;
    /* CLOSED, or LISTEN: RFC 9293 3.10.2 lets a listening connection become active. */
    if (t->state != TCP_FSM_CLOSED && t->state != TCP_FSM_LISTEN) return -EISCONN;
    if (t->err) return -EINVAL; /* a failed attempt: make a new socket */
    t->laddr = st->cfg.addr;
    if (!t->lport) {
        /* RFC 6056 3.3.1-style: a random start in the dynamic range, then the first port whose
         * 4-tuple is free and that no listener owns (TIME_WAIT holders included). */
        uint32_t span = EPHEMERAL_HI - EPHEMERAL_LO + 1,
                 start = (uint32_t)st->cfg.random(st->cfg.random_arg);
        for (uint32_t i = 0; i < span && !t->lport; i++) {
            uint16_t p = (uint16_t)(EPHEMERAL_LO + (start + i) % span);
            if (!listener_lookup(st, t->laddr, p) && !tcb_lookup(st, t->laddr, p, addr, port) &&
                !tw_lookup(st, t->laddr, p, addr, port) && !syn_lookup(st, t->laddr, p, addr, port))
                t->lport = p;
        }
        if (!t->lport) return -EADDRNOTAVAIL;
    }
    if (tcb_lookup(st, t->laddr, t->lport, addr, port) ||
        tw_lookup(st, t->laddr, t->lport, addr, port) ||
        syn_lookup(st, t->laddr, t->lport, addr, port))
        return -EADDRINUSE;
    if (tcb_hash_reserve(st)) return -ENOMEM;
    t->raddr = addr;
    t->rport = port;
    int e = tcb_alloc_bufs(st, t);
    if (e) {
        t->raddr = 0;
        t->rport = 0;
        return e;
    }
    tcb_event(st, t, TCP_FSM_EV_APP_CONNECT, NULL);
    return -EINPROGRESS;
}

/* Why a connection cannot take bytes from the user (0 if it can): RFC 9293 3.10.2 SEND, by
 * the spec's sets of states (the API reports the state; the spec decides what it is). */
static long send_refusal(const struct tcb *t)
{
    if (t->err) return -(long)t->err;
    if (t->flags & TF_FIN_QUEUED) return -EPIPE;
    if (t->flags & TF_DEAD) return -EPIPE;
    if (tcp_fsm_in_set(TCP_FSM_SET_OPENING, t->state)) return -EAGAIN;
    if (!tcp_fsm_in_set(TCP_FSM_SET_SYNCHRONIZED, t->state) || !t->buf) return -ENOTCONN;
    return 0;
}

/* Queue up to len bytes: as many as the connection's allowance and the stack's memory let the
 * send ring take (mem.c). */
static uint32_t send_queue(struct tcpfsm_stack *st, struct tcb *t, const void *buf, size_t len)
{
    struct tcb_bufs *b = t->buf;
    uint32_t want = mem_allowance(st, t, &b->snd, st->cfg.sndbuf);
    if (len < want) want = (uint32_t)len;
    if (!want) return 0;
    want = ring_make_room(st, &b->snd, want, st->cfg.sndbuf, &b->snd_shift, false);
    return ring_write(&b->snd, buf, want);
}

long tcpfsm_sendv(struct tcpfsm_stack *st, int fd, const struct tcpfsm_iov *iov, int iovcnt)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (iovcnt < 0 || (iovcnt && !iov)) return -EINVAL;
    long e = send_refusal(t);
    if (e) return e;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (!iov[i].base && iov[i].len) return -EFAULT;
        total += iov[i].len;
    }
    uint64_t n = 0;
    for (int i = 0; i < iovcnt && n < UINT32_MAX; i++) {
        size_t len = iov[i].len;
        if (len > UINT32_MAX - n) len = (size_t)(UINT32_MAX - n);
        uint32_t w = send_queue(st, t, iov[i].base, len);
        n += w;
        if (w < len) break;
    }
    if (!n && total) {
        if (t->buf->snd.len) return -EAGAIN;
        st->stats.BufferLimitDrops++; /* nothing queued, and no memory for it */
        return -ENOBUFS;
    }
    tcp_output(st, t); /* once, after all of it is queued */
    return (long)n;
}

long tcpfsm_send(struct tcpfsm_stack *st, int fd, const void *buf, size_t len)
{
    struct tcpfsm_iov one = {buf, len};
    return tcpfsm_sendv(st, fd, &one, 1);
}

long tcpfsm_recv(struct tcpfsm_stack *st, int fd, void *buf, size_t len)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (t->buf && t->buf->rcv.len && len) {
        if (!buf) return -EFAULT;
        uint32_t n = ring_read(&t->buf->rcv, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
        if (!t->buf->rcv.len) ring_release(st, &t->buf->rcv); /* read out: memory back */
        /* RFC 9293 3.8.6.2.2: announce the reopened window once its right edge can move by
         * min(RCV.BUFF/2, Eff.snd.MSS) past the last advertised one, not byte by byte
         * (receiver-side SWS avoidance); many small reads add up. */
        uint32_t thresh = tcp_rcv_sws_thresh(st, t);
        if (!(t->flags & (TF_DEAD | TF_FIN_RCVD)) &&
            seq_diff(t->rcv_nxt + tcp_rcv_window(st, t), t->rcv_adv) >= (int32_t)thresh) {
            t->flags |= TF_ACK_NOW;
            tcp_output(st, t);
        }
        return (long)n;
    }
    if (t->flags & (TF_FIN_RCVD | TF_RD_SHUT)) return 0;
    if (t->err) return -(long)t->err;
    if (!len) return 0;
    if (t->state == TCP_FSM_CLOSED || t->state == TCP_FSM_LISTEN) return -ENOTCONN;
    return -EAGAIN;
}

int tcpfsm_shutdown(struct tcpfsm_stack *st, int fd, int how)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (how < TCPFSM_SHUT_RD || how > TCPFSM_SHUT_RDWR) return -EINVAL;
    if (!tcp_fsm_in_set(TCP_FSM_SET_HAVE_RCVD_SYN, t->state)) return -ENOTCONN;
    if (how != TCPFSM_SHUT_WR) {
        t->flags |= TF_RD_SHUT;
        if (t->buf) {
            ring_drop(&t->buf->rcv, t->buf->rcv.len);
            ring_release(st, &t->buf->rcv);
        }
    }
    if (how != TCPFSM_SHUT_RD && !(t->flags & TF_FIN_QUEUED) && !(t->flags & TF_DEAD)) {
        tcb_event(st, t, TCP_FSM_EV_APP_CLOSE, NULL);
        if (!(t->flags & TF_DEAD))
            tcp_output(st, t);
        else
            tcb_reap(st, t);
    }
    return 0;
}

static void fd_release(struct tcpfsm_stack *st, struct tcb *t)
{
    if (t->fd >= 0) {
        st->fds[t->fd] = NULL;
        if ((uint32_t)t->fd < st->fd_low) st->fd_low = (uint32_t)t->fd;
    }
    t->fd = -1;
}

int tcpfsm_close(struct tcpfsm_stack *st, int fd)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    fd_release(st, t);
    if (t->flags & TF_DEAD) {
        tcb_reap(st, t);
        return 0;
    }
    /* RFC 2525 2.17: closing with unread data aborts the connection (as Linux does); so does
     * closing a socket set to (TCPFSM_OPT_ABORT_ON_CLOSE, SO_LINGER {1, 0}). */
    bool abort = (t->buf && t->buf->rcv.len) || (t->xflags & TX_ABORT_ON_CLOSE);
    tcb_event(st, t, abort ? TCP_FSM_EV_APP_ABORT : TCP_FSM_EV_APP_CLOSE, NULL);
    if (t->flags & TF_DEAD)
        tcb_reap(st, t);
    else if (!tw_settle(st, t))
        tcp_output(st, t);
    return 0;
}

int tcpfsm_abort(struct tcpfsm_stack *st, int fd)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    fd_release(st, t);
    if (!(t->flags & TF_DEAD)) tcb_event(st, t, TCP_FSM_EV_APP_ABORT, NULL);
    if (!(t->flags & TF_DEAD)) {
        /* Not reachable with the shipped spec (APP_ABORT reaches CLOSED everywhere); kept so a
         * spec change cannot leak the TCB. */
        t->flags |= TF_DEAD;
    }
    tcb_reap(st, t);
    return 0;
}

int tcpfsm_poll(struct tcpfsm_stack *st, int fd)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    int m = 0;
    if (t->state == TCP_FSM_LISTEN) return t->u.lst.acc_head ? TCPFSM_POLLIN : 0;
    if ((t->buf && t->buf->rcv.len) || (t->flags & (TF_FIN_RCVD | TF_RD_SHUT))) m |= TCPFSM_POLLIN;
    if (t->err) m |= TCPFSM_POLLERR | TCPFSM_POLLIN;
    if (tcp_fsm_in_set(TCP_FSM_SET_SYNCHRONIZED, t->state) &&
        !(t->flags & (TF_FIN_QUEUED | TF_DEAD)) && t->buf && mem_can_send(st, t))
        m |= TCPFSM_POLLOUT;
    if ((t->flags & TF_DEAD) || ((t->flags & TF_FIN_RCVD) && (t->flags & TF_FIN_ACKED)))
        m |= TCPFSM_POLLHUP;
    return m;
}

int tcpfsm_error(struct tcpfsm_stack *st, int fd)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    return t->err ? -(int)t->err : 0;
}

static int setopt_kept(struct tcb *t, int opt, uint64_t value);

int tcpfsm_setopt(struct tcpfsm_stack *st, int fd, int opt, uint64_t value)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    switch (opt) {
    case TCPFSM_OPT_NODELAY:
        if (value > 1) return -EINVAL;
        t->flags = value ? (uint16_t)(t->flags | TF_NODELAY) : (uint16_t)(t->flags & ~TF_NODELAY);
        if (value) tcp_output(st, t); /* what Nagle held goes now (nothing if unconnected) */
        return 0;
    case TCPFSM_OPT_KEEPALIVE:
        if (value > 65535ull * 1000000u) return -EINVAL;
        t->ka_idle_s = (uint16_t)(!value ? 0 : value < 1000000u ? 1 : value / 1000000u);
        /* not synchronized yet: kept, and armed by the ACK that establishes the connection
         * (tcp_ack_input), or taken by a listener's children */
        if (!tcp_fsm_in_set(TCP_FSM_SET_SYNCHRONIZED, t->state)) return 0;
        t->retries = 0;
        if (value)
            tcb_timer_set(st, t, TMR_KEEPALIVE, (uint64_t)t->ka_idle_s * 1000000u);
        else
            tcb_timer_clear(st, t, TMR_KEEPALIVE);
        return 0;
    case TCPFSM_OPT_CORK:
        if (value > 1) return -EINVAL;
        t->xflags = value ? (uint8_t)(t->xflags | TX_CORK) : (uint8_t)(t->xflags & ~TX_CORK);
        if (!value) tcp_output(st, t); /* flush what was held (nothing if not connected) */
        return 0;
    case TCPFSM_OPT_REUSEADDR:
        if (value > 1) return -EINVAL;
        t->flags =
            value ? (uint16_t)(t->flags | TF_REUSEADDR) : (uint16_t)(t->flags & ~TF_REUSEADDR);
        return 0;
    case TCPFSM_OPT_SNDBUF:
    case TCPFSM_OPT_RCVBUF:
        /* Buffers are sized per stack (tcpfsm_config.sndbuf/rcvbuf) in this version. */
        return -EOPNOTSUPP;
    case TCPFSM_OPT_ABORT_ON_CLOSE:
        if (value > 1) return -EINVAL;
        t->xflags = value ? (uint8_t)(t->xflags | TX_ABORT_ON_CLOSE)
                          : (uint8_t)(t->xflags & ~TX_ABORT_ON_CLOSE);
        return 0;
    default:
        return setopt_kept(t, opt, value);
    }
}

/* The settings kept in struct tcb_sockopts (tcb_opts). */
static int setopt_kept(struct tcb *t, int opt, uint64_t value)
{
    struct tcb_sockopts *o = tcb_opts_mut(t);
    switch (opt) {
    case TCPFSM_OPT_MAXSEG:
        if (value && (value < 88 || value > 65495)) return -EINVAL;
        /* RFC 9293 3.7.1: the MSS is offered in the SYN; after it, it is too late */
        if (t->state != TCP_FSM_CLOSED && t->state != TCP_FSM_LISTEN) return -EISCONN;
        if (!o) return -EINVAL;
        o->mss_clamp = (uint16_t)value;
        return 0;
    case TCPFSM_OPT_KEEPINTVL:
        if (value < 1000000u || value > 32767ull * 1000000u) return -EINVAL;
        if (!o) return -EINVAL;
        o->ka_intvl_s = (uint16_t)(value / 1000000u);
        return 0;
    case TCPFSM_OPT_KEEPCNT:
        if (value < 1 || value > 127) return -EINVAL;
        if (!o) return -EINVAL;
        o->ka_cnt = (uint8_t)value;
        return 0;
    case TCPFSM_OPT_USER_TIMEOUT:
        if (value && (value < 1000u || value > (uint64_t)INT32_MAX * 1000u)) return -EINVAL;
        if (!o) return -EINVAL;
        o->user_timeout_ms = (uint32_t)(value / 1000u);
        return 0;
    default:
        return -EINVAL;
    }
}

int tcpfsm_getopt(struct tcpfsm_stack *st, int fd, int opt, uint64_t *value)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (!value) return -EINVAL;
    const struct tcb_sockopts *o = tcb_opts(t);
    switch (opt) {
    case TCPFSM_OPT_NODELAY:
        *value = (t->flags & TF_NODELAY) != 0;
        return 0;
    case TCPFSM_OPT_KEEPALIVE:
        *value = (uint64_t)t->ka_idle_s * 1000000u;
        return 0;
    case TCPFSM_OPT_SNDBUF:
        *value = st->cfg.sndbuf;
        return 0;
    case TCPFSM_OPT_RCVBUF:
        *value = st->cfg.rcvbuf;
        return 0;
    case TCPFSM_OPT_REUSEADDR:
        *value = (t->flags & TF_REUSEADDR) != 0;
        return 0;
    case TCPFSM_OPT_CORK:
        *value = (t->xflags & TX_CORK) != 0;
        return 0;
    case TCPFSM_OPT_MAXSEG:
        *value = tcp_fsm_in_set(TCP_FSM_SET_SYNCHRONIZED, t->state) && t->u.cc.mss
                     ? t->u.cc.mss
                     : tcb_mss_limit(st, t);
        return 0;
    case TCPFSM_OPT_KEEPINTVL:
        *value = tcb_keepintvl_us(t);
        return 0;
    case TCPFSM_OPT_KEEPCNT:
        *value = tcb_keepcnt(t);
        return 0;
    case TCPFSM_OPT_USER_TIMEOUT:
        *value = o && o->user_timeout_ms ? (uint64_t)o->user_timeout_ms * 1000u
                                         : st->cfg.user_timeout_us;
        return 0;
    case TCPFSM_OPT_ABORT_ON_CLOSE:
        *value = (t->xflags & TX_ABORT_ON_CLOSE) != 0;
        return 0;
    default:
        return -EINVAL;
    }
}

int tcpfsm_getname(struct tcpfsm_stack *st, int fd, uint32_t *laddr, uint16_t *lport,
                   uint32_t *raddr, uint16_t *rport)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (laddr) *laddr = t->laddr;
    if (lport) *lport = t->lport;
    if (raddr) *raddr = t->raddr;
    if (rport) *rport = t->rport;
    return 0;
}

static void fill_info(struct tcpfsm_stack *st, const struct tcb *t, struct tcpfsm_info *i)
{
    (void)st;
    memset(i, 0, sizeof *i);
    i->state = tcb_state_name(t);
    i->laddr = t->laddr;
    i->raddr = t->raddr;
    i->lport = t->lport;
    i->rport = t->rport;
    if (t->state == TCP_FSM_LISTEN) return;
    i->rtt_us = t->rtt.srtt_us;
    i->rttvar_us = t->rtt.rttvar_us;
    i->rto_us = rtt_current_rto(&t->rtt, st->cfg.rto_max_us);
    i->cwnd = t->u.cc.cwnd;
    i->ssthresh = t->u.cc.ssthresh;
    i->mss = t->u.cc.mss;
    i->snd_wscale = t->snd_wscale;
    i->rcv_wscale = t->rcv_wscale;
    i->sack_ok = !!(t->flags & TF_SACK);
    i->ts_ok = !!(t->flags & TF_TS);
    i->snd_wnd = t->snd_wnd;
    i->rcv_wnd = tcp_rcv_window(st, t);
    if (t->buf) {
        i->recv_q = t->buf->rcv.len;
        i->send_q = t->buf->snd.len;
        i->bytes_sent = t->buf->bytes_sent;
        i->bytes_acked = t->buf->bytes_acked;
        i->bytes_received = t->buf->bytes_received;
        i->retransmits = t->buf->retransmits;
    }
}

int tcpfsm_get_info(struct tcpfsm_stack *st, int fd, struct tcpfsm_info *info)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (!info) return -EFAULT;
    fill_info(st, t, info);
    return 0;
}

void tcpfsm_get_stats(const struct tcpfsm_stack *st, struct tcpfsm_stats *out)
{
    *out = st->stats;
    uint64_t est = 0;
    for (uint32_t i = 0; i <= st->hash_mask; i++)
        for (const struct tcb *t = st->hash[i]; t; t = NULL)
            est += tcp_fsm_in_set(TCP_FSM_SET_SENDING, t->state); /* RFC 4022 tcpCurrEstab */
    out->CurrEstab = est;
    out->BufferBytes = st->buffer_bytes;
}

void tcpfsm_sockstat(const struct tcpfsm_stack *st, struct tcpfsm_sockstat *out)
{
    memset(out, 0, sizeof *out);
    uint32_t bufs = 0, fds = 0, nofd = 0;
    for (uint32_t i = 0; i <= st->hash_mask; i++) {
        const struct tcb *t = st->hash[i];
        if (!t) continue;
        out->inuse++;
        /* No descriptor: closed by the application (an orphan), or not accepted yet (in its
         * listener's queue, t->parent), which Linux does not count as an orphan either. */
        if (t->fd < 0) {
            nofd++;
            if (!t->parent) out->orphan++;
        }
        if (t->buf) bufs++;
    }
    for (uint32_t i = 0; i < st->fds_cap; i++) {
        const struct tcb *t = st->fds[i];
        if (!t) continue;
        fds++;
        if (t->buf && (t->state == TCP_FSM_CLOSED || t->state == TCP_FSM_LISTEN)) bufs++;
    }
    out->inuse += st->nlisteners;
    out->alloc = fds + nofd;
    out->tw = st->tw.n;
    out->synrecv = st->syn.n;
    out->mem_bytes = st->buffer_bytes;
    out->mem = (st->buffer_bytes + 4095u) / 4096u;
    out->tcb_bytes =
        (uint64_t)out->alloc * sizeof(struct tcb) + (uint64_t)bufs * sizeof(struct tcb_bufs);
    out->record_bytes =
        (uint64_t)st->tw.n * tw_record_size() + (uint64_t)st->syn.n * syn_record_size();
    out->table_bytes = (uint64_t)st->fds_cap * sizeof *st->fds +
                       ((uint64_t)st->hash_mask + 1) * sizeof *st->hash +
                       ((uint64_t)st->tw.mask + 1 + st->syn.mask + 1) * sizeof(struct rec_key *) +
                       (uint64_t)st->listeners_cap * sizeof *st->listeners;
}

int tcpfsm_sockstat_format(const struct tcpfsm_sockstat *s, char *buf, size_t size)
{
    return snprintf(buf, size,
                    "TCP: inuse %u orphan %u tw %u alloc %u mem %llu\n"
                    "tcpfsm: synrecv %u mem_bytes %llu tcb_bytes %llu record_bytes %llu "
                    "table_bytes %llu\n",
                    s->inuse, s->orphan, s->tw, s->alloc, (unsigned long long)s->mem, s->synrecv,
                    (unsigned long long)s->mem_bytes, (unsigned long long)s->tcb_bytes,
                    (unsigned long long)s->record_bytes, (unsigned long long)s->table_bytes);
}

int ss_format(char *buf, size_t size, size_t off, const char *state, uint32_t la, uint16_t lp,
              uint32_t ra, uint16_t rp, unsigned rq, unsigned sq)
{
    char l[24], r[24];
    snprintf(l, sizeof l, "%u.%u.%u.%u:%u", la >> 24, (la >> 16) & 255, (la >> 8) & 255, la & 255,
             lp);
    if (!ra && !rp) /* a listener's peer, written as Linux's ss writes it */
        snprintf(r, sizeof r, "0.0.0.0:*");
    else
        snprintf(r, sizeof r, "%u.%u.%u.%u:%u", ra >> 24, (ra >> 16) & 255, (ra >> 8) & 255,
                 ra & 255, rp);
    return snprintf(off < size ? buf + off : NULL, off < size ? size - off : 0,
                    "%-11s %6u %6u %-21s %-21s\n", state, rq, sq, l, r);
}

static int ss_line(char *buf, size_t size, size_t off, const struct tcb *t)
{
    unsigned rq = 0, sq = 0;
    if (t->state == TCP_FSM_LISTEN) {
        rq = t->u.lst.nacc;
        sq = t->u.lst.backlog;
    } else if (t->buf) {
        rq = t->buf->rcv.len;
        sq = t->buf->snd.len;
    }
    bool any = t->state == TCP_FSM_LISTEN && !t->raddr;
    return ss_format(buf, size, off, tcb_state_name(t), t->laddr, t->lport, any ? 0 : t->raddr,
                     any ? 0 : t->rport, rq, sq);
}

int tcpfsm_ss(struct tcpfsm_stack *st, char *buf, size_t size)
{
    size_t off = 0;
    int n = snprintf(size ? buf : NULL, size, "%-11s %6s %6s %-21s %-21s\n", "State", "Recv-Q",
                     "Send-Q", "Local Address:Port", "Peer Address:Port");
    off += (size_t)n;
    for (uint32_t i = 0; i < st->nlisteners; i++)
        off += (size_t)ss_line(buf, size, off, st->listeners[i]);
    for (uint32_t i = 0; i <= st->hash_mask; i++)
        if (st->hash[i]) off += (size_t)ss_line(buf, size, off, st->hash[i]);
    off += tw_ss(st, buf, size, off);
    off += syn_ss(st, buf, size, off);
    if (size && off >= size) buf[size - 1] = '\0';
    return (int)off;
}

unsigned tcpfsm_coverage(const struct tcpfsm_stack *st, uint64_t *counts, unsigned n)
{
    for (unsigned i = 0; i < n && i < TCP_FSM_NUM_TRANSITIONS; i++)
        counts[i] = st->coverage[i];
    return TCP_FSM_NUM_TRANSITIONS;
}
