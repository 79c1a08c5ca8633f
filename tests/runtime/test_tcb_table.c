/*
 * test_tcb_table.c — the 4-tuple tables: the connection table (tcb_table.c) and the record
 * tables (rectab.c) place, find and remove entries by hashes they keep or are handed instead
 * of hashing the tuple again; these tests pin those shortcuts against tuple_hash itself.
 */
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "rectab.h"
#include "siphash.h"
#include "tcb.h"

static uint64_t fixed_random(void *arg)
{
    return rt_rand(arg);
}

static void no_output(void *arg, const void *p, size_t n)
{
    (void)arg;
    (void)p;
    (void)n;
}

static struct tcpfsm_stack *new_stack(uint64_t *rng)
{
    struct tcpfsm_config cfg = {.addr = 0x0a000001u, .output = no_output};
    cfg.random = fixed_random;
    cfg.random_arg = rng;
    int err = 0;
    struct tcpfsm_stack *st = tcpfsm_stack_new(&cfg, &err);
    ck_assert_ptr_nonnull(st);
    return st;
}

/* Distinct tuples, few addresses and ports so that hashes share home slots and probe runs
 * form (the backward shift then moves entries by their kept hashes). */
static void make_tuple(uint64_t *rng, int i, uint32_t *la, uint16_t *lp, uint32_t *ra, uint16_t *rp)
{
    *la = 0x0a000001u;
    *ra = 0x0a000100u + (uint32_t)rt_rand_below(rng, 4);
    *lp = (uint16_t)(1024 + i); /* distinct */
    *rp = (uint16_t)(80 + rt_rand_below(rng, 3));
}

/* Every TCB in the table keeps tuple_hash of its tuple; removing TCBs (which finds their slots
 * and shifts later entries by the kept hashes, never hashing) in any order leaves every other
 * one where a lookup, which hashes the tuple, finds it, across the table's growth. */
START_TEST(removal_by_kept_hash_leaves_every_other_connection_findable)
{
    uint64_t rng = 11;
    struct tcpfsm_stack *st = new_stack(&rng);
    enum { N = 3000 };
    struct tcb *t = calloc(N, sizeof *t);
    ck_assert_ptr_nonnull(t);
    for (int i = 0; i < N; i++) {
        make_tuple(&rng, i, &t[i].laddr, &t[i].lport, &t[i].raddr, &t[i].rport);
        ck_assert_int_eq(tcb_hash_reserve(st), 0);
        tcb_hash_insert(st, &t[i]);
    }
    struct tuple_hasher ref;
    tuple_hasher_init(&ref, st->hash_key);
    for (int i = 0; i < N; i++)
        rt_require(t[i].hash ==
                   tuple_hash_new(&ref, t[i].laddr, t[i].lport, t[i].raddr, t[i].rport));
    bool *gone = calloc(N, sizeof *gone);
    ck_assert_ptr_nonnull(gone);
    for (int round = 0; round < 2; round++) {
        for (int n = 0; n < N / 3; n++) {
            int i = (int)rt_rand_below(&rng, N);
            if (gone[i]) continue;
            tcb_hash_remove(st, &t[i]);
            gone[i] = true;
        }
        for (int i = 0; i < N; i++) {
            st->last_lookup = NULL; /* the table itself, not the one-entry cache */
            struct tcb *f = tcb_lookup(st, t[i].laddr, t[i].lport, t[i].raddr, t[i].rport);
            rt_require(f == (gone[i] ? NULL : &t[i]));
        }
        for (int i = 0; i < N; i++) /* back in (the same hash again) */
            if (gone[i] && (i & 1)) {
                tcb_hash_insert(st, &t[i]);
                gone[i] = false;
            }
    }
    for (int i = 0; i < N; i++)
        if (!gone[i]) tcb_hash_remove(st, &t[i]);
    ck_assert_uint_eq(st->nconns, 0);
    free(gone);
    free(t);
    tcpfsm_stack_free(st);
}
END_TEST

/* rectab_insert_hashed with the tuple's hash places a record exactly where rectab_insert
 * would: mixed in one table, every record is found by rectab_lookup (which hashes) and removed
 * by rectab_remove, and the table's slots are the same as when every record went in by
 * rectab_insert. */
START_TEST(insert_with_a_known_hash_places_records_as_insert_does)
{
    uint64_t rng = 12;
    uint8_t key[16];
    rt_fill_random(&rng, key, sizeof key);
    struct tuple_hasher h1, h2, ref;
    tuple_hasher_init(&h1, key);
    tuple_hasher_init(&h2, key);
    tuple_hasher_init(&ref, key);
    struct rec_table a, b;
    ck_assert_int_eq(rectab_init(&a, 100000, &h1), 0);
    ck_assert_int_eq(rectab_init(&b, 100000, &h2), 0);
    enum { N = 2000 };
    struct rec_key **ra = calloc(N, sizeof *ra), **rb = calloc(N, sizeof *rb);
    ck_assert_ptr_nonnull(ra);
    ck_assert_ptr_nonnull(rb);
    for (int i = 0; i < N; i++) {
        ra[i] = calloc(1, sizeof **ra);
        rb[i] = calloc(1, sizeof **rb);
        ck_assert_ptr_nonnull(ra[i]);
        ck_assert_ptr_nonnull(rb[i]);
        make_tuple(&rng, i, &ra[i]->laddr, &ra[i]->lport, &ra[i]->raddr, &ra[i]->rport);
        *rb[i] = *ra[i];
        ck_assert_int_eq(rectab_reserve(&a), 0);
        ck_assert_int_eq(rectab_reserve(&b), 0);
        rectab_insert(&a, ra[i]);
        if (i % 3)
            rectab_insert_hashed(
                &b, rb[i],
                tuple_hash_new(&ref, rb[i]->laddr, rb[i]->lport, rb[i]->raddr, rb[i]->rport));
        else
            rectab_insert(&b, rb[i]);
    }
    ck_assert_uint_eq(a.mask, b.mask);
    for (uint32_t s = 0; s <= a.mask; s++) {
        rt_require(!a.slot[s] == !b.slot[s]);
        if (a.slot[s]) rt_require(a.slot[s]->lport == b.slot[s]->lport);
    }
    for (int i = 0; i < N; i++)
        rt_require(rectab_lookup(&b, rb[i]->laddr, rb[i]->lport, rb[i]->raddr, rb[i]->rport) ==
                   rb[i]);
    for (int i = 0; i < N; i += 2) {
        rectab_remove(&b, rb[i]);
        free(rb[i]);
        rb[i] = NULL;
    }
    for (int i = 0; i < N; i++) {
        const struct rec_key *k = ra[i];
        rt_require(rectab_lookup(&b, k->laddr, k->lport, k->raddr, k->rport) == rb[i]);
    }
    rectab_destroy(&a); /* frees the records still held */
    rectab_destroy(&b);
    free(ra);
    free(rb);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcb_table");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, removal_by_kept_hash_leaves_every_other_connection_findable);
    tcase_add_test(tc, insert_with_a_known_hash_places_records_as_insert_does);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
