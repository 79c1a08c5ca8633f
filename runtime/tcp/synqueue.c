/*
 * synqueue.c — compact SYN-queue entries (RFC 9293 3.10.7.2: a listener's embryonic
 * SYN-RECEIVED connections; RFC 4987 3.1: keep the per-SYN state small).
 *
 * A passive child in SYN_RCVD that nobody holds yet has sent its SYN-ACK and waits for the
 * ACK: it only needs the 4-tuple, ISS and IRS, what the peer's SYN negotiated (window, MSS,
 * window scales, TS.Recent, option flags), its retransmission count and its SYN-ACK
 * retransmission deadline. syn_settle() turns such a TCB into a 64-byte record in a table of
 * its own with a timing wheel of its own; the record stays counted in its listener's SYN
 * queue (u.lst.nsyn), and has no pointer to it: listener_lookup() finds the listener again.
 *
 * When a segment or the deadline arrives, the record is rehydrated into a real heap TCB
 * (linked back into the listener's queue and the connection table), and the event then takes
 * the ordinary path: tcp_conn_input and the SYN_RCVD rows of spec/tcp.fsm for a segment,
 * the same slot processing as every TCB timer (T_RTX: retransmit or give_up) for the
 * deadline. Afterwards, a connection that is still embryonic is compacted again.
 */
#include <errno.h>
#include <stdlib.h>
#include "rectab.h"
#include "seq.h"
#include "tcp_layer.h"
#include "tcp.h"

struct syn_rec {
    struct rec_key k;   /* 4-tuple and deadline (rectab.h); k.seq: ISS */
    uint32_t irs;       /* RCV.NXT = IRS + 1 (k.seq = ISS: SND.UNA, SND.NXT - 1) */
    uint32_t ts_recent; /* RFC 7323 TS.Recent (from the SYN) */
    uint32_t rtt_ts;    /* when the first SYN-ACK went out (Karn timing, TF_RTT_TIMING) */
    uint16_t snd_wnd;   /* the window of the peer's SYN (never scaled, RFC 7323 2.2) */
    uint16_t mss;
    uint16_t flags; /* TF_PASSIVE, TF_TS / TF_SACK / TF_WSCALE, RTT and user flags */
    uint8_t state;  /* the TCB's state byte, kept verbatim (SYN_RCVD) */
    uint8_t snd_wscale, rcv_wscale;
    uint8_t retries; /* SYN-ACK retransmissions so far (RFC 9293 3.8.3 R2) */
    uint8_t backoff; /* RFC 6298 5.5 doublings of the RTO */
    uint8_t xflags;  /* TX_* (TX_CORK inherited from the listener) */
};

_Static_assert(sizeof(struct syn_rec) <= 64, "a SYN-queue record must stay within 64 bytes");

size_t syn_record_size(void)
{
    return sizeof(struct syn_rec);
}

/* Flags a record may carry; a TCB with any other flag set stays a TCB. */
#define SYN_REC_FLAGS                                                                              \
    (TF_PASSIVE | TF_TS | TF_SACK | TF_WSCALE | TF_RTT_TIMING | TF_RETRANSMIT | TF_NODELAY |       \
     TF_REUSEADDR)

struct syn_rec *syn_lookup(struct tcpfsm_stack *st, uint32_t la, uint16_t lp, uint32_t ra,
                           uint16_t rp)
{
    return (struct syn_rec *)(void *)rectab_lookup(&st->syn, la, lp, ra, rp); /* k is first */
}

/* The window edge a SYN-ACK of t advertised (emit: the SYN's window field, unscaled). */
static uint32_t syn_ack_edge(const struct tcpfsm_stack *st, const struct tcb *t)
{
    uint32_t w = tcp_rcv_window(st, t);
    return t->rcv_nxt + (w > 65535u ? 65535u : w);
}

/* After an event: a passive SYN_RCVD child that nobody holds, with no buffers and only its
 * SYN-ACK retransmission timer armed, becomes a record. Returns true if t was consumed
 * (freed); false leaves it a TCB (anything the record cannot hold, or the table is at its
 * bound). */
bool syn_settle(struct tcpfsm_stack *st, struct tcb *t)
{
    if (t->state != TCP_FSM_SYN_RCVD || !(t->flags & TF_PASSIVE) || !t->parent || t->fd >= 0 ||
        t->buf || (t->flags & ~SYN_REC_FLAGS) || t->err || t->linked != TCB_IN_HASH ||
        rectab_reserve(&st->syn))
        return false;
    if (!tcb_timer_armed(t, TMR_RTX) || t->tmr_at[1] || t->tmr_at[2]) return false;
    /* an ACK answered an unacceptable segment lately (oow_ack_ok): the TCB keeps the time
     * until the 500 ms have passed; the record has no room for it */
    if (oow_ack_recent(t->oow_ack_ms, stack_ms(st))) return false;
    /* everything else must be what the record rebuilds */
    struct rtt_est fresh;
    rtt_init(&fresh, st->cfg.rto_initial_us);
    if (t->snd_nxt != t->snd_una + 1 || t->snd_max != t->snd_nxt || t->rcv_nxt != t->snd_wl1 + 1 ||
        t->rcv_adv != syn_ack_edge(st, t) || t->snd_wnd > 65535u || t->una_since_ms ||
        t->ka_idle_s != t->parent->ka_idle_s || t->rtt.has_sample || t->rtt.srtt_us ||
        t->rtt.rto_us != fresh.rto_us || t->rtt.rttvar_us != fresh.rttvar_us ||
        ((t->flags & TF_RTT_TIMING) && t->rtt_seq != t->snd_nxt))
        return false;
    /* every field in one assignment, the wheel node unlinked: a memset first made gcc turn
     * malloc + memset into calloc, ~100 instructions dearer than malloc here (callgrind) */
    struct syn_rec *r = rec_get(&st->syn_cache, sizeof *r);
    if (!r) return false;
    *r = (struct syn_rec){
        .k = {.laddr = t->laddr,
              .raddr = t->raddr,
              .lport = t->lport,
              .rport = t->rport,
              .seq = t->snd_una},
        .irs = t->snd_wl1,
        .ts_recent = t->ts_recent,
        .rtt_ts = (t->flags & TF_RTT_TIMING) ? t->rtt_ts : 0,
        .snd_wnd = (uint16_t)t->snd_wnd,
        .mss = t->u.cc.mss,
        .flags = t->flags,
        .state = t->state,
        .snd_wscale = t->snd_wscale,
        .rcv_wscale = t->rcv_wscale,
        .retries = t->retries,
        .backoff = t->rtt.backoff,
        .xflags = t->xflags,
    };
    /* the deadline exactly as the TCB's slot holds it: ms since the stack's epoch */
    int64_t ms = (int64_t)((st->now - st->epoch) / 1000u) + seq_diff(t->tmr_at[0], stack_ms(st));
    wheel_arm(&st->syn_wheel, &r->k.timer, st->epoch + (uint64_t)(ms > 0 ? ms : 0) * 1000u);
    /* Out of the listener's queue list, but still counted in its nsyn: the record is. */
    struct tcb *l = t->parent;
    for (struct tcb **pp = &l->qnext; *pp; pp = &(*pp)->qnext)
        if (*pp == t) {
            *pp = t->qnext;
            break;
        }
    t->parent = NULL;
    t->qnext = NULL;
    uint32_t hash = t->hash; /* kept by the TCB in the table: the record need not hash it */
    tcb_hash_remove(st, t);
    tcb_free(st, t);
    rectab_insert_hashed(&st->syn, &r->k, hash);
    return true;
}

/* The record as a heap TCB again: in the connection table and in its listener's queue (the
 * listener still counts it in nsyn), its SYN-ACK timer on the TCB wheel. The state byte is
 * copied verbatim from the record (SYN_RCVD, as the machine left it): like timewait.c this is
 * a restore of the TCB the machine wrote, not a transition. The record is freed. Returns NULL
 * (and drops the record) if its listener is gone, which abort_listener does not allow. */
static struct tcb *rehydrate(struct tcpfsm_stack *st, struct syn_rec *r, struct tcb *l)
{
    wheel_cancel(&st->syn_wheel, &r->k.timer);
    rectab_remove(&st->syn, &r->k);
    struct tcb *t = l ? tcb_new_unbounded(st) : NULL;
    if (!t) {
        if (l && l->u.lst.nsyn) l->u.lst.nsyn--;
        st->stats.ListenDrops++;
        rec_put(&st->syn_cache, r);
        return NULL;
    }
    t->laddr = r->k.laddr;
    t->raddr = r->k.raddr;
    t->lport = r->k.lport;
    t->rport = r->k.rport;
    t->state = r->state;
    t->flags = r->flags;
    t->snd_una = r->k.seq;
    t->snd_nxt = t->snd_max = r->k.seq + 1;
    t->rcv_nxt = r->irs + 1;
    t->snd_wl1 = r->irs;
    t->snd_wnd = r->snd_wnd;
    t->ts_recent = r->ts_recent;
    t->snd_wscale = r->snd_wscale;
    t->rcv_wscale = r->rcv_wscale;
    t->u.cc.mss = r->mss;
    t->retries = r->retries;
    t->rtt.backoff = r->backoff;
    t->xflags = r->xflags;
    if (t->flags & TF_RTT_TIMING) {
        t->rtt_seq = t->snd_nxt;
        t->rtt_ts = r->rtt_ts;
    }
    t->rcv_adv = syn_ack_edge(st, t);
    t->ka_idle_s = l->ka_idle_s;
    t->parent = l;
    t->qnext = l->qnext; /* nsyn already counts it */
    l->qnext = t;
    tcb_hash_insert(st, t);
    uint32_t at = (uint32_t)((r->k.timer.expires - st->epoch) / 1000u);
    tcb_timer_restore(st, t, TMR_RTX, at ? at : 1);
    rec_put(&st->syn_cache, r);
    return t;
}

static struct tcb *owner(struct tcpfsm_stack *st, const struct syn_rec *r)
{
    return listener_lookup(st, r->k.laddr, r->k.lport);
}

/* The record as a TCB again, under its listener (NULL if that is gone); the record a SYN-queue
 * wheel node belongs to. */
struct tcb *syn_rehydrate(struct tcpfsm_stack *st, struct syn_rec *r)
{
    return rehydrate(st, r, owner(st, r));
}

struct syn_rec *syn_of_timer(struct wheel_node *n)
{
    return (struct syn_rec *)(void *)((char *)n - offsetof(struct syn_rec, k.timer));
}

/* Before a listener resets its queues (abort_listener): its records become TCBs again. */
void syn_rehydrate_listener(struct tcpfsm_stack *st, struct tcb *l)
{
    for (uint32_t i = 0; st->syn.n && st->syn.slot && i <= st->syn.mask;) {
        struct syn_rec *r = (struct syn_rec *)(void *)st->syn.slot[i];
        struct tcb *o;
        if (r && r->k.lport == l->lport && (!l->laddr || l->laddr == r->k.laddr) &&
            ((o = owner(st, r)) == l || !o)) {
            rehydrate(st, r, l); /* backward-shift deletion may move another into slot i */
            continue;
        }
        i++;
    }
}

/* The record of this 4-tuple as a TCB (tests and diagnostics); NULL if there is none. */
struct tcb *syn_expand(struct tcpfsm_stack *st, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    struct syn_rec *r = syn_lookup(st, la, lp, ra, rp);
    return r ? rehydrate(st, r, owner(st, r)) : NULL;
}

/* `ss` lines for the records: state, empty queues, the addresses. */
size_t syn_ss(const struct tcpfsm_stack *st, char *buf, size_t size, size_t off)
{
    size_t n = 0;
    for (uint32_t i = 0; st->syn.slot && i <= st->syn.mask; i++) {
        const struct syn_rec *r = (const struct syn_rec *)(const void *)st->syn.slot[i];
        if (r)
            n += (size_t)ss_format(buf, size, off + n, tcp_fsm_state_names[r->state], r->k.laddr,
                                   r->k.lport, r->k.raddr, r->k.rport, 0, 0);
    }
    return n;
}
