/*
 * tcb.c — TCBs: allocation (with object caches), data-path blocks, a socket's settings,
 * a listener's queues, reaping; the ss line format.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tcb.h"
#include "tcp.h"

#define OBJ_CACHE_MAX 4096u

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

struct tcb_sockopts *tcb_opts_mut(struct tcb *t)
{
    return (struct tcb_sockopts *)tcb_opts(t);
}

uint16_t tcb_mss_limit(const struct tcpfsm_stack *st, const struct tcb *t)
{
    uint16_t mss = stack_mss_for_mtu(st);
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

struct tcb *tcb_zalloc(struct tcpfsm_stack *st)
{
    struct tcb *t = st->tcb_cache;
    if (!t) return calloc(1, sizeof *t);
    st->tcb_cache = t->qnext;
    st->tcb_cache_n--;
    memset(t, 0, sizeof *t);
    return t;
}

void tcb_dealloc(struct tcpfsm_stack *st, struct tcb *t)
{
    if (st->train == t) st->train = NULL; /* a train's output is moot once it is gone */
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
void child_unlink(struct tcb *t)
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
