/*
 * test_conn_bytes.c — what an idle connection costs, in the stack's own census
 * (tcpfsm_sockstat), against the budget docs/performance.md "Bytes per connection" states:
 * an idle ESTABLISHED connection holds its TCB (192 bytes, test_tcb_size.c) and its data-path
 * block (struct tcb_bufs: ring heads, SACK scoreboard, counters; at most 208 bytes), no ring
 * memory (rings take memory on their first byte) and no record; the descriptor and 4-tuple
 * tables grow by doubling and stay at most half full, so they add at most 48 bytes (16 for the
 * descriptor slot, 32 for the hash slot) per connection. The figures of the bench
 * (bench/bench_conn_bytes.c) are measurements; this is the pass/fail side of them.
 * And the census's orphan count: a connection waiting in a listener's accept queue has no
 * descriptor yet but is no orphan (Linux counts neither there).
 */
#include <errno.h>
#include <stdio.h>

#include "rt_test.h"
#include "tcp_layer.h"
#include "world.h"

#define IDLE_CONN_TCB_BUDGET (192u + 208u) /* census tcb_bytes per idle connection */
#define IDLE_CONN_TABLE_BUDGET 48u         /* census table_bytes per connection */
#define NCONN 300

static void census(struct tcpfsm_stack *st, struct tcpfsm_sockstat *s)
{
    tcpfsm_sockstat(st, s);
}

START_TEST(idle_established_connection_census_within_budget)
{
    struct tcpfsm_config base = {.max_sockets = 4 * NCONN};
    struct world w;
    world_init(&w, &base, 31);
    int l = listen_srv(&w, 64);
    struct tcpfsm_sockstat cli0, srv0, cli1, srv1;
    census(w.cli, &cli0);
    census(w.srv, &srv0);
    for (int i = 0; i < NCONN; i++) {
        int c, s;
        connect_pair(&w, l, &c, &s);
    }
    world_run_for(&w, 1000000); /* delayed ACKs and the like settle: idle */
    census(w.cli, &cli1);
    census(w.srv, &srv1);
    const struct {
        const char *side;
        struct tcpfsm_sockstat *before, *after;
    } sides[] = {{"client", &cli0, &cli1}, {"server", &srv0, &srv1}};
    for (size_t i = 0; i < 2; i++) {
        const struct tcpfsm_sockstat *a = sides[i].before, *b = sides[i].after;
        uint64_t tcb = (b->tcb_bytes - a->tcb_bytes) / NCONN;
        uint64_t tab = (b->table_bytes - a->table_bytes) / NCONN;
        printf("%s: %d idle connections: %llu tcb bytes, %llu table bytes each; ", sides[i].side,
               NCONN, (unsigned long long)tcb, (unsigned long long)tab);
        fflush(stdout);
        ck_assert_uint_eq(b->alloc - a->alloc, NCONN);
        ck_assert_uint_eq(b->inuse - a->inuse, NCONN);
        ck_assert_uint_eq(b->orphan + b->tw + b->synrecv, 0);
        ck_assert_uint_eq(b->mem + b->mem_bytes + b->record_bytes, 0); /* no ring, no record */
        ck_assert_msg(tcb <= IDLE_CONN_TCB_BUDGET, "%s: %llu tcb bytes per idle connection > %u",
                      sides[i].side, (unsigned long long)tcb, IDLE_CONN_TCB_BUDGET);
        ck_assert_msg(tab <= IDLE_CONN_TABLE_BUDGET, "%s: %llu table bytes per connection > %u",
                      sides[i].side, (unsigned long long)tab, IDLE_CONN_TABLE_BUDGET);
        printf("within %u and %u\n", IDLE_CONN_TCB_BUDGET, IDLE_CONN_TABLE_BUDGET);
    }
    /* The budget's parts, so a growing data-path block is seen here and not only in a sum. */
    ck_assert_uint_le(sizeof(struct tcb), 192);
    ck_assert_uint_le(sizeof(struct tcb_bufs), IDLE_CONN_TCB_BUDGET - 192);
    world_free(&w);
}
END_TEST

/* Three connections complete their handshake and wait in the accept queue: in use and
 * allocated (TCBs), not orphans; accepting one changes nothing but the descriptor count. */
START_TEST(accept_queue_connections_are_in_use_not_orphans)
{
    struct world w;
    world_init(&w, NULL, 32);
    int l = listen_srv(&w, 8);
    for (int i = 0; i < 3; i++) {
        int c = tcpfsm_socket(w.cli);
        ck_assert_int_eq(tcpfsm_connect(w.cli, c, SRV, PORT), -EINPROGRESS);
    }
    world_run_for(&w, 100000);
    struct tcpfsm_sockstat s;
    census(w.srv, &s);
    ck_assert_uint_eq(s.inuse, 4); /* the listener and the three */
    ck_assert_uint_eq(s.orphan, 0);
    ck_assert_uint_eq(s.alloc, 4);
    ck_assert_uint_eq(s.synrecv, 0);
    ck_assert_int_ge(tcpfsm_accept(w.srv, l, NULL, NULL), 0);
    census(w.srv, &s);
    ck_assert_uint_eq(s.inuse, 4);
    ck_assert_uint_eq(s.orphan, 0);
    ck_assert_uint_eq(s.alloc, 4);
    world_free(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conn_bytes");
    TCase *tc = tcase_create("census");
    tcase_add_test(tc, idle_established_connection_census_within_budget);
    tcase_add_test(tc, accept_queue_connections_are_in_use_not_orphans);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
