/*
 * rectab.h — a table of compact connection records (TIME_WAIT, SYN queue) by 4-tuple:
 * open addressing with linear probing and backward-shift deletion, keyed by SipHash-1-3 of
 * the 4-tuple under the stack's secret (tuple_hash). Every record begins with a struct
 * rec_key; the table stores pointers and never allocates records itself.
 */
#ifndef TCPFSM_RECTAB_H
#define TCPFSM_RECTAB_H
#include <stdbool.h>
#include <stdint.h>
#include "siphash.h"
#include "timer_wheel.h"

struct rec_key {             /* the first member of every record */
    struct wheel_node timer; /* the record's deadline, on its own wheel */
    uint32_t laddr, raddr;
    uint16_t lport, rport;
    uint32_t seq; /* a sequence number of the record's choice (no padding) */
};

struct rec_table {
    struct rec_key **slot;
    uint32_t mask;               /* slots - 1; grows (doubling) to stay at most half full */
    uint32_t n, max;             /* records held, and the bound on them */
    struct tuple_hasher *hasher; /* the stack's (its key, and the tuple hashed last) */
};

/* 0, or -ENOMEM. */
int rectab_init(struct rec_table *t, uint32_t max, struct tuple_hasher *hasher);
/* Frees every record still held, then the table. */
void rectab_destroy(struct rec_table *t);
struct rec_key *rectab_lookup(const struct rec_table *t, uint32_t la, uint16_t lp, uint32_t ra,
                              uint16_t rp);
/* Room for one more record: 0, -ENOSPC at `max`, -ENOMEM if the table cannot grow. Call it
 * before every rectab_insert. */
int rectab_reserve(struct rec_table *t);
void rectab_insert(struct rec_table *t, struct rec_key *r);
/* rectab_insert for a record whose hash is known already: `hash` is tuple_hash of its 4-tuple
 * (the TCB the record replaces kept it), so the table need not hash it again. */
void rectab_insert_hashed(struct rec_table *t, struct rec_key *r, uint32_t hash);
void rectab_remove(struct rec_table *t, struct rec_key *r);
/* The earliest armed deadline of any record, UINT64_MAX if none (a scan). */
uint64_t rectab_min_deadline(const struct rec_table *t);
#endif /* TCPFSM_RECTAB_H */
