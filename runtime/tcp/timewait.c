/*
 * timewait.c — compact TIME-WAIT records (RFC 9293 3.6.1: 2 MSL of quiet after the close).
 *
 * An orphaned connection that reaches TIME_WAIT has nothing left to send or receive: it only
 * needs the 4-tuple, the next sequence numbers, TS.Recent (for PAWS and for the ACKs it may
 * still send) and its 2 MSL deadline. tw_settle() turns such a TCB into a 56-byte record in a
 * table of its own with a timing wheel of its own. When a segment or the deadline arrives, the
 * record is expanded into a TCB on the C stack for that one event, so the segment still
 * travels through the same RFC 9293 3.10.7 event series and the same TIME_WAIT rows of
 * spec/tcp.fsm (RCV_FIN -> ACK and restart 2 MSL, RST, SYN -> challenge ACK, or a newer SYN
 * -> CLOSED and a new connection from the listener, RFC 6191: the record keeps what that
 * needs, RCV.NXT, TS.Recent and whether timestamps were in use; T_2MSL -> CLOSED), then
 * folded back into the record (or freed when the machine released it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "rectab.h"
#include "seq.h"
#include "tcp_layer.h"
#include "tcp.h"

struct tw_rec {
    struct rec_key k; /* 4-tuple and deadline (rectab.h); k.seq: SND.NXT */
    uint32_t rcv_nxt;
    uint32_t ts_recent;
    uint16_t flags;      /* TF_TS / TF_SACK / TF_WSCALE and the FIN flags */
    uint16_t oow_ack_ms; /* the TCB's (oow_ack_ok's rate limit); TIME_WAIT sends no text,
                          * so no MSS is kept */
    uint8_t state;       /* the TCB's state byte, kept verbatim (TIME_WAIT) */
    uint8_t snd_wscale, rcv_wscale;
};

_Static_assert(sizeof(struct tw_rec) <= 64, "a TIME_WAIT record must stay within 64 bytes");

size_t tw_record_size(void)
{
    return sizeof(struct tw_rec);
}

struct tw_rec *tw_lookup(struct tcpfsm_stack *st, uint32_t la, uint16_t lp, uint32_t ra,
                         uint16_t rp)
{
    return (struct tw_rec *)(void *)rectab_lookup(&st->tw, la, lp, ra, rp); /* k is first */
}

static uint64_t slot_to_us(const struct tcpfsm_stack *st, uint32_t at_ms)
{
    int32_t d = seq_diff(at_ms, stack_ms(st));
    return st->now + (d > 0 ? (uint64_t)d * 1000u : 0);
}

/* After an event: a TIME_WAIT TCB that nobody holds becomes a record. Returns true if t was
 * consumed (freed); false leaves it as it is (held by a descriptor, other state, or the
 * record table is at its bound: then the full TCB serves out its 2 MSL). */
bool tw_settle(struct tcpfsm_stack *st, struct tcb *t)
{
    if (t->state != TCP_FSM_TIME_WAIT || t->fd >= 0 || t->parent || (t->flags & TF_DEAD) ||
        !tcb_timer_armed(t, TMR_2MSL) || rectab_reserve(&st->tw))
        return false;
    if (t->buf && t->buf->rcv.len) return false;
    struct tw_rec *r = rec_get(&st->tw_cache, sizeof *r);
    if (!r) return false;
    *r = (struct tw_rec){
        /* every field in one assignment, as in syn_settle (no calloc) */
        .k = {.laddr = t->laddr,
              .raddr = t->raddr,
              .lport = t->lport,
              .rport = t->rport,
              .seq = t->snd_max},
        .rcv_nxt = t->rcv_nxt,
        .ts_recent = t->ts_recent,
        .flags =
            t->flags & (TF_TS | TF_SACK | TF_WSCALE | TF_FIN_SENT | TF_FIN_ACKED | TF_FIN_RCVD),
        .oow_ack_ms = t->oow_ack_ms,
        .state = t->state,
        .snd_wscale = t->snd_wscale,
        .rcv_wscale = t->rcv_wscale,
    };
    wheel_arm(&st->tw_wheel, &r->k.timer, slot_to_us(st, t->tmr_at[0]));
    /* the tuple's hash, kept by the TCB in the table: the record goes in without hashing it */
    uint32_t hash = t->linked == TCB_IN_HASH
                        ? t->hash
                        : tuple_hash(&st->hasher, t->laddr, t->lport, t->raddr, t->rport);
    t->flags |= TF_DEAD;
    tcb_reap(st, t); /* unhashes and frees it (no descriptor holds it) */
    rectab_insert_hashed(&st->tw, &r->k, hash);
    return true;
}

/* The record as a TCB for one event: in the connection table in the record's place. */
void tw_expand(struct tcpfsm_stack *st, struct tw_rec *r, struct tcb *t)
{
    memset(t, 0, sizeof *t);
    t->laddr = r->k.laddr;
    t->raddr = r->k.raddr;
    t->lport = r->k.lport;
    t->rport = r->k.rport;
    t->state = r->state;
    t->fd = -1;
    t->snd_una = t->snd_nxt = t->snd_max = r->k.seq;
    t->rcv_nxt = t->rcv_adv = r->rcv_nxt;
    t->ts_recent = r->ts_recent;
    t->flags = r->flags;
    t->snd_wscale = r->snd_wscale;
    t->rcv_wscale = r->rcv_wscale;
    t->oow_ack_ms = r->oow_ack_ms;
    t->tmr_kind0 = TMR_2MSL;
    uint64_t due = r->k.timer.expires > st->now ? r->k.timer.expires - st->now : 0;
    t->tmr_at[0] = stack_ms(st) + (uint32_t)((due + 999u) / 1000u);
    if (!t->tmr_at[0]) t->tmr_at[0] = 1;
    wheel_cancel(&st->tw_wheel, &r->k.timer);
    rectab_remove(&st->tw, &r->k);
    tcb_hash_insert(st, t);
}

/* Fold the TCB back into the record, or free the record if the machine released it. */
void tw_fold(struct tcpfsm_stack *st, struct tw_rec *r, struct tcb *t)
{
    wheel_cancel(&st->wheel, &t->timer);
    if ((t->flags & TF_DEAD) || t->state != TCP_FSM_TIME_WAIT || !t->tmr_at[0]) {
        if (t->linked) tcb_hash_remove(st, t);
        rec_put(&st->tw_cache, r);
        return;
    }
    tcb_hash_remove(st, t);
    r->rcv_nxt = t->rcv_nxt;
    r->ts_recent = t->ts_recent;
    r->oow_ack_ms = t->oow_ack_ms;
    wheel_arm(&st->tw_wheel, &r->k.timer, slot_to_us(st, t->tmr_at[0]));
    rectab_insert(&st->tw, &r->k);
}

/* The record a TIME_WAIT wheel node belongs to; dropping a record (2 MSL is over and there is
 * no room to expand it). */
struct tw_rec *tw_of_timer(struct wheel_node *n)
{
    return (struct tw_rec *)(void *)((char *)n - offsetof(struct tw_rec, k.timer));
}

void tw_drop(struct tcpfsm_stack *st, struct tw_rec *r)
{
    rectab_remove(&st->tw, &r->k);
    rec_put(&st->tw_cache, r);
}

/* `ss` lines for the records: state, empty queues, the addresses. */
size_t tw_ss(const struct tcpfsm_stack *st, char *buf, size_t size, size_t off)
{
    size_t n = 0;
    for (uint32_t i = 0; st->tw.slot && i <= st->tw.mask; i++) {
        const struct tw_rec *r = (const struct tw_rec *)(const void *)st->tw.slot[i];
        if (r)
            n += (size_t)ss_format(buf, size, off + n, tcp_fsm_state_names[r->state], r->k.laddr,
                                   r->k.lport, r->k.raddr, r->k.rport, 0, 0);
    }
    return n;
}
