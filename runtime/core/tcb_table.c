/*
 * tcb_table.c — the connection table: lookup by 4-tuple (SipHash, open addressing) and the
 * listeners.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "siphash.h"
#include "tcb.h"

#define TABLE_MIN 64u /* first size of every growing table */

/* The same 4-tuple is often hashed several times in a row (a lookup that misses, then the
 * insert; connect's port check, then the insert; the connection, SYN-queue and TIME_WAIT
 * tables for one segment): the hasher remembers the last one. */
static uint32_t tuple_slot(struct tcpfsm_stack *st, uint32_t la, uint16_t lp, uint32_t ra,
                           uint16_t rp)
{
    return tuple_hash(&st->hasher, la, lp, ra, rp) & st->hash_mask;
}

/* The home slot of a TCB in the table: its hash was kept when it went in. */
static uint32_t tcb_home(const struct tcpfsm_stack *st, const struct tcb *t)
{
    return t->hash & st->hash_mask;
}

struct tcb *tcb_lookup(struct tcpfsm_stack *st, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    /* Segments come in trains for one connection: try the last one found first (it is in
     * the table: tcb_hash_remove forgets it). */
    struct tcb *c = st->last_lookup;
    if (c && c->lport == lp && c->rport == rp && c->laddr == la && c->raddr == ra) return c;
    for (uint32_t i = tuple_slot(st, la, lp, ra, rp);; i = (i + 1) & st->hash_mask) {
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
    t->hash = tuple_hash(&st->hasher, t->laddr, t->lport, t->raddr, t->rport);
    uint32_t i = tcb_home(st, t);
    while (st->hash[i])
        i = (i + 1) & st->hash_mask;
    st->hash[i] = t;
    t->linked = TCB_IN_HASH;
    st->nconns++;
}

int listeners_reserve(struct tcpfsm_stack *st)
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
