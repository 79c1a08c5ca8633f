/*
 * tr.h — what the transition tests of spec/tcp.fsm share. The tests live in this directory,
 * one file per part of the spec (see tests/runtime/test_tcp_transitions.c, which runs them
 * and sums their coverage of the flattened rows).
 *
 * Every test names the spec row it pins down with ROW() once its scenario exists: the row is
 * looked up in tcp_fsm_transitions[] (a test of a row the spec no longer has fails at once),
 * every failure message ends with it, e.g.
 *     [#56 ESTABLISHED on RCV_RST [rst_exact] -> CLOSED @rfc "9293 3.10.7.4 second, 5961 3.2"
 *      in ESTABLISHED (active open)]
 * and tr_end() fails unless it fired. Tests that share a shape are Check loop tests over a
 * table of states (struct tr_state): Check reports the loop index, the label names the row.
 *
 * Conventions (tests/runtime/lib/scenario.h): our ISS is sc->iss, the peer's sc->irs; no TCP
 * options except MSS on SYNs (SACK, window scale and timestamps are off) so segments compare
 * exactly; RTO 100 ms, MSL 500 ms (TIME_WAIT and an orphan's FIN_WAIT_2 last 1 s), delayed
 * ACK 40 ms. Every segment the stack sends is expected exactly (sc_expect / NONE).
 */
#ifndef TR_H
#define TR_H

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rt_test.h"
#include "scenario.h"
#include "tcp_layer.h"
#include "tcp.h"

#define A TCP_ACK
#define F TCP_FIN
#define S TCP_SYN
#define R TCP_RST
#define P TCP_PSH
#define W SC_PEER_WND

extern const char tr_payload[64];       /* distinct bytes, to compare what is received */
extern const char tr_payload_big[1500]; /* zeros: bulk text where the bytes do not matter */

/* ---- the spec row a test pins down ---- */

/* A fresh scenario (o may be NULL: the defaults) with no row pinned yet. */
struct sc *tr_new(const struct sc_opts *o);
/* ... giving up after max_retries (data, FIN) / syn_retries (SYN, SYN-ACK) retransmissions. */
struct sc *tr_new_retries(uint32_t max_retries, uint32_t syn_retries);
/* Pin spec row (from, event, guard, to); guard as the table spells it ("!cookie_ok", "else"),
 * NULL for an unguarded row. The first pinned row labels every failure message. */
#define ROW(from, event, guard, to) tr_row_at((from), (event), (guard), (to), __FILE__, __LINE__)
void tr_row_at(const char *from, const char *event, const char *guard, const char *to,
               const char *file, int line);
/* Fail unless every pinned row fired, then free the scenario (recording its coverage). */
#define tr_end(sc) tr_end_at((sc), __FILE__, __LINE__)
void tr_end_at(struct sc *sc, const char *file, int line);

/* ---- checks: free until they fail, then "file:line: ... [pinned row]" ---- */
#define EXPECT(cond) ((cond) ? (void)0 : sc_fail_at(__FILE__, __LINE__, "expected %s", #cond))
#define EXPECT_EQ(got, want)                                                                       \
    tr_expect_eq_at((long long)(got), (long long)(want), #got, #want, __FILE__, __LINE__)
void tr_expect_eq_at(long long got, long long want, const char *got_expr, const char *want_expr,
                     const char *file, int line);
#define STATE(name) sc_expect_state(sc, (name))
#define NONE() sc_expect_none(sc)
/* Descriptor fd (a listener, say) is in state `name` ("EBADF" if it is no descriptor). */
#define FD_STATE(fd, name) tr_expect_fd_state_at(sc, (fd), (name), __FILE__, __LINE__)
void tr_expect_fd_state_at(struct sc *sc, int fd, const char *name, const char *file, int line);

/* ---- the states tables run in ---- */

/* A state of the connection under test and a way into it from a fresh scenario (every segment
 * on the way checked, none left pending, no text exchanged). Sequence numbers there, as
 * offsets from our ISS (una, nxt) and from the peer's (rcv). */
struct tr_state {
    const char *name;  /* the spec's name for it */
    const char *route; /* how it was reached, for failure messages */
    void (*drive)(struct sc *sc);
    uint32_t una, nxt; /* SND.UNA - ISS, SND.NXT - ISS */
    uint32_t rcv;      /* RCV.NXT - IRS */
};
extern const struct tr_state TR_SYN_RCVD_PASSIVE, TR_SYN_RCVD_ACTIVE, TR_ESTABLISHED, TR_FIN_WAIT_1,
    TR_FIN_WAIT_2, TR_CLOSING, TR_TIME_WAIT, TR_TIME_WAIT_ORPHAN, TR_CLOSE_WAIT, TR_LAST_ACK;

/* Drive sc into the state; failure messages say the state and its route from then on. */
void tr_enter(struct sc *sc, const struct tr_state *in);

/* The state's sequence numbers, for the scenario `sc` in scope. */
#define SND_UNA(in) (sc->iss + (in)->una)
#define SND_NXT(in) (sc->iss + (in)->nxt)
#define RCV_NXT(in) (sc->irs + (in)->rcv)

/* Every (state, guard) of a table has a spec row on `event`, and every row the rules of those
 * rows flatten into (one per member of their sets) has an entry: the table follows the spec. */
void tr_expect_table_at(const char *table, const char *event, const char *const *from,
                        const char *const *guard, unsigned n, const char *file, int line);
/* For a table of structs with a `const struct tr_state *in` member; `guard` for every entry. */
#define EXPECT_TABLE_FOLLOWS_SPEC(table, event, guard)                                             \
    do {                                                                                           \
        enum { N_ = sizeof(table) / sizeof(table)[0] };                                            \
        const char *from_[N_], *guard_[N_];                                                        \
        for (unsigned i_ = 0; i_ < N_; i_++) {                                                     \
            from_[i_] = (table)[i_].in->name;                                                      \
            guard_[i_] = (guard);                                                                  \
        }                                                                                          \
        tr_expect_table_at(#table, (event), from_, guard_, N_, __FILE__, __LINE__);                \
    } while (0)

/* The states of a table (a struct with a `const struct tr_state *in` member) are exactly the
 * members of a set of the spec. */
void tr_expect_set_at(const char *table, const char *const *from, unsigned n, enum tcp_fsm_set set,
                      const char *set_name, const char *file, int line);
#define EXPECT_TABLE_IS_SET(table, set)                                                            \
    do {                                                                                           \
        enum { N_ = sizeof(table) / sizeof(table)[0] };                                            \
        const char *from_[N_];                                                                     \
        for (unsigned i_ = 0; i_ < N_; i_++)                                                       \
            from_[i_] = (table)[i_].in->name;                                                      \
        tr_expect_set_at(#table, from_, N_, TCP_FSM_SET_##set, #set, __FILE__, __LINE__);          \
    } while (0)

/* ---- RFC 4022 counters that are defined by transitions (counted in the trace hook) ---- */
enum tr_counter {
    COUNTS_NEITHER,
    ATTEMPT_FAILS, /* tcpAttemptFails: SYN-SENT or SYN-RECEIVED to CLOSED (or to LISTEN) */
    ESTAB_RESETS,  /* tcpEstabResets: ESTABLISHED or CLOSE-WAIT to CLOSED */
};
struct tcpfsm_stats tr_stats(struct sc *sc);
/* Since `before`, the counter `c` went up by one and the other not at all. */
#define EXPECT_COUNTED(before, c) tr_expect_counted_at(sc, &(before), (c), __FILE__, __LINE__)
void tr_expect_counted_at(struct sc *sc, const struct tcpfsm_stats *before, enum tr_counter c,
                          const char *file, int line);

/* ---- small scripts several parts use ---- */

/* The application sends n bytes of tr_payload; returns what tcpfsm_send returned. */
long tr_send(struct sc *sc, uint32_t n);
/* In a state that may send (ESTABLISHED, CLOSE_WAIT, no text sent yet): n bytes go out at
 * iss+1 and are acknowledged with a zero window, then m more are queued behind it: the
 * persist timer runs (RFC 9293 3.8.6.1). rcv: RCV.NXT - IRS. */
void tr_zero_window_with_queued_data(struct sc *sc, uint32_t rcv, uint32_t n, uint32_t m);

/* One iteration of a Check test per entry of a table (a loop test: the entry is table[_i]). */
#define TR_ADD_TABLE_TEST(tc, test, table)                                                         \
    tcase_add_loop_test((tc), (test), 0, (int)(sizeof(table) / sizeof(table)[0]))

/* ---- the parts, each a Check test case (tests/runtime/test_tcp_transitions.c) ---- */
TCase *tr_case_closed_listen(void); /* closed_listen.c: CLOSED, LISTEN, SPAWN_* */
TCase *tr_case_opening(void);       /* opening.c: SYN_SENT, SYN_RCVD */
TCase *tr_case_checks(void);        /* checks.c: 3.10.7.4 first, second, fourth, fifth */
TCase *tr_case_segments(void);      /* segments.c: ACK, text, FIN */
TCase *tr_case_timers(void);        /* timers.c: T_* */
TCase *tr_case_user_calls(void);    /* user_calls.c: APP_CLOSE, APP_ABORT */

#endif /* TR_H */
