/*
 * tr.c — helpers of the transition tests (see tr.h).
 */
#include "tr.h"

#include <stdio.h>

const char tr_payload[64] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!";
const char tr_payload_big[1500];

/* ------------------------------------------------------------- pinned rows ---- */

#define TR_MAX_PINNED 8

static unsigned pinned[TR_MAX_PINNED], npinned;
static char row_label[320];            /* the first pinned row */
static const struct tr_state *entered; /* the state tr_enter drove into */

static void relabel(void)
{
    if (entered)
        sc_label("%s in %s (%s)", row_label, entered->name, entered->route);
    else
        sc_label("%s", row_label);
}

struct sc *tr_new(const struct sc_opts *o)
{
    struct sc *sc = sc_new(o);
    npinned = 0;
    row_label[0] = '\0';
    entered = NULL;
    return sc;
}

struct sc *tr_new_retries(uint32_t max_retries, uint32_t syn_retries)
{
    struct sc_opts o;
    memset(&o, 0, sizeof o);
    o.max_retries = max_retries;
    o.syn_retries = syn_retries;
    return tr_new(&o);
}

void tr_row_at(const char *from, const char *event, const char *guard, const char *to,
               const char *file, int line)
{
    unsigned r = sc_row(from, event, guard, to); /* aborts if the spec has no such row */
    if (npinned == TR_MAX_PINNED) sc_fail_at(file, line, "too many rows pinned");
    pinned[npinned++] = r;
    if (npinned > 1) return;
    const struct tcp_fsm_transition *t = &tcp_fsm_transitions[r];
    snprintf(row_label, sizeof row_label, "#%u %s on %s%s%s%s -> %s @rfc \"%s\"", r,
             tcp_fsm_state_names[t->from], tcp_fsm_event_names[t->event], t->guard ? " [" : "",
             t->guard ? t->guard : "", t->guard ? "]" : "", tcp_fsm_state_names[t->to],
             t->rfc ? t->rfc : "");
    relabel();
}

void tr_end_at(struct sc *sc, const char *file, int line)
{
    if (!npinned) sc_fail_at(file, line, "the test pinned no spec row (ROW)");
    for (unsigned i = 0; i < npinned; i++) {
        unsigned r = pinned[i];
        if (sc_fired(sc, r)) continue;
        const struct tcp_fsm_transition *t = &tcp_fsm_transitions[r];
        sc_fail_at(file, line, "spec row #%u %s on %s [%s] -> %s never fired", r,
                   tcp_fsm_state_names[t->from], tcp_fsm_event_names[t->event],
                   t->guard ? t->guard : "-", tcp_fsm_state_names[t->to]);
    }
    npinned = 0;
    sc_free(sc);
}

/* ------------------------------------------------------------------ checks ---- */

void tr_expect_eq_at(long long got, long long want, const char *got_expr, const char *want_expr,
                     const char *file, int line)
{
    if (got != want)
        sc_fail_at(file, line, "%s is %lld, expected %s (%lld)", got_expr, got, want_expr, want);
}

void tr_expect_fd_state_at(struct sc *sc, int fd, const char *name, const char *file, int line)
{
    const char *s = sc_fd_state(sc, fd);
    if (strcmp(s, name) != 0)
        sc_fail_at(file, line, "expected descriptor %d in %s, it is in %s", fd, name, s);
}

/* ------------------------------------------------------------------ states ---- */

static void drv_syn_rcvd_passive(struct sc *sc)
{
    sc_to_syn_rcvd_passive(sc);
}
static void drv_syn_rcvd_active(struct sc *sc)
{
    sc_to_syn_rcvd_active(sc);
}
static void drv_established(struct sc *sc)
{
    sc_establish(sc);
}
static void drv_fin_wait_1(struct sc *sc)
{
    sc_to_fin_wait_1(sc, false);
}
static void drv_fin_wait_2(struct sc *sc)
{
    sc_to_fin_wait_2(sc, false);
}
static void drv_closing(struct sc *sc)
{
    sc_to_closing(sc, false);
}
static void drv_time_wait(struct sc *sc)
{
    sc_to_time_wait(sc, false);
}
static void drv_time_wait_orphan(struct sc *sc)
{
    sc_to_time_wait(sc, true);
}
static void drv_close_wait(struct sc *sc)
{
    sc_to_close_wait(sc);
}
static void drv_last_ack(struct sc *sc)
{
    sc_to_last_ack(sc, false);
}

const struct tr_state TR_SYN_RCVD_PASSIVE = {
    .name = "SYN_RCVD",
    .route = "passive open: the listener's new connection took a SYN",
    .drive = drv_syn_rcvd_passive,
    .una = 0,
    .nxt = 1,
    .rcv = 1,
};
const struct tr_state TR_SYN_RCVD_ACTIVE = {
    .name = "SYN_RCVD",
    .route = "simultaneous open: a SYN crossed ours",
    .drive = drv_syn_rcvd_active,
    .una = 0,
    .nxt = 1,
    .rcv = 1,
};
const struct tr_state TR_ESTABLISHED = {
    .name = "ESTABLISHED",
    .route = "active open",
    .drive = drv_established,
    .una = 1,
    .nxt = 1,
    .rcv = 1,
};
const struct tr_state TR_FIN_WAIT_1 = {
    .name = "FIN_WAIT_1",
    .route = "shutdown(SHUT_WR) in ESTABLISHED: our FIN at iss+1",
    .drive = drv_fin_wait_1,
    .una = 1,
    .nxt = 2,
    .rcv = 1,
};
const struct tr_state TR_FIN_WAIT_2 = {
    .name = "FIN_WAIT_2",
    .route = "FIN_WAIT_1 and our FIN acknowledged",
    .drive = drv_fin_wait_2,
    .una = 2,
    .nxt = 2,
    .rcv = 1,
};
const struct tr_state TR_CLOSING = {
    .name = "CLOSING",
    .route = "FIN_WAIT_1 and the peer's FIN crossed ours",
    .drive = drv_closing,
    .una = 1,
    .nxt = 2,
    .rcv = 2,
};
const struct tr_state TR_TIME_WAIT = {
    .name = "TIME_WAIT",
    .route = "FIN_WAIT_2 and the peer's FIN, descriptor kept",
    .drive = drv_time_wait,
    .una = 2,
    .nxt = 2,
    .rcv = 2,
};
const struct tr_state TR_TIME_WAIT_ORPHAN = {
    .name = "TIME_WAIT",
    .route = "closed: kept as a compact TIME_WAIT record",
    .drive = drv_time_wait_orphan,
    .una = 2,
    .nxt = 2,
    .rcv = 2,
};
const struct tr_state TR_CLOSE_WAIT = {
    .name = "CLOSE_WAIT",
    .route = "the peer's FIN in ESTABLISHED",
    .drive = drv_close_wait,
    .una = 1,
    .nxt = 1,
    .rcv = 2,
};
const struct tr_state TR_LAST_ACK = {
    .name = "LAST_ACK",
    .route = "shutdown(SHUT_WR) in CLOSE_WAIT: our FIN at iss+1",
    .drive = drv_last_ack,
    .una = 1,
    .nxt = 2,
    .rcv = 2,
};

void tr_enter(struct sc *sc, const struct tr_state *in)
{
    entered = in;
    relabel();
    in->drive(sc);
    sc_expect_state(sc, in->name);
}

/* The row of `event` for state `from` and `guard` (NULL: unguarded), or -1. */
static int row_of(int event, const char *from, const char *guard)
{
    for (unsigned r = 0; r < TCP_FSM_NUM_TRANSITIONS; r++) {
        const struct tcp_fsm_transition *t = &tcp_fsm_transitions[r];
        if (t->event == event && strcmp(tcp_fsm_state_names[t->from], from) == 0 &&
            (guard ? t->guard && strcmp(t->guard, guard) == 0 : !t->guard))
            return (int)r;
    }
    return -1;
}

void tr_expect_table_at(const char *table, const char *event, const char *const *from,
                        const char *const *guard, unsigned n, const char *file, int line)
{
    int ev = -1;
    for (unsigned e = 0; e < TCP_FSM_NUM_EVENTS; e++)
        if (strcmp(tcp_fsm_event_names[e], event) == 0) ev = (int)e;
    if (ev < 0) sc_fail_at(file, line, "%s: the spec has no event %s", table, event);
    /* each entry is a row of the spec; the rules they come from are the spec lines */
    uint32_t rules[64];
    unsigned nrules = 0;
    for (unsigned i = 0; i < n; i++) {
        int r = row_of(ev, from[i], guard[i]);
        if (r < 0)
            sc_fail_at(file, line, "%s: entry %u: the spec has no row %s on %s [%s]", table, i,
                       from[i], event, guard[i] ? guard[i] : "-");
        bool known = false;
        for (unsigned k = 0; k < nrules; k++)
            known |= rules[k] == tcp_fsm_transitions[r].line;
        if (!known && nrules < sizeof rules / sizeof rules[0])
            rules[nrules++] = tcp_fsm_transitions[r].line;
    }
    /* each row those rules flatten into (one per state of their sets) has an entry */
    for (unsigned r = 0; r < TCP_FSM_NUM_TRANSITIONS; r++) {
        const struct tcp_fsm_transition *t = &tcp_fsm_transitions[r];
        bool of_rules = false, entry = false;
        for (unsigned k = 0; k < nrules; k++)
            of_rules |= t->event == ev && t->line == rules[k];
        for (unsigned i = 0; i < n && of_rules; i++)
            entry |= row_of(ev, from[i], guard[i]) == (int)r;
        if (of_rules && !entry)
            sc_fail_at(file, line, "%s: no entry for spec row #%u %s on %s [%s] -> %s (line %u)",
                       table, r, tcp_fsm_state_names[t->from], event, t->guard ? t->guard : "-",
                       tcp_fsm_state_names[t->to], t->line);
    }
}

void tr_expect_set_at(const char *table, const char *const *from, unsigned n, enum tcp_fsm_set set,
                      const char *set_name, const char *file, int line)
{
    for (unsigned st = 0; st < TCP_FSM_NUM_STATES; st++) {
        bool listed = false;
        for (unsigned i = 0; i < n; i++)
            listed |= strcmp(from[i], tcp_fsm_state_names[st]) == 0;
        if (listed != tcp_fsm_in_set(set, st))
            sc_fail_at(file, line, "%s: %s is %s the table but %s the spec's set %s", table,
                       tcp_fsm_state_names[st], listed ? "in" : "not in", listed ? "not in" : "in",
                       set_name);
    }
}

/* ---------------------------------------------------------------- counters ---- */

struct tcpfsm_stats tr_stats(struct sc *sc)
{
    struct tcpfsm_stats s;
    tcpfsm_get_stats(sc->st, &s);
    return s;
}

void tr_expect_counted_at(struct sc *sc, const struct tcpfsm_stats *before, enum tr_counter c,
                          const char *file, int line)
{
    struct tcpfsm_stats now = tr_stats(sc);
    uint64_t fails = now.AttemptFails - before->AttemptFails;
    uint64_t resets = now.EstabResets - before->EstabResets;
    if (fails != (c == ATTEMPT_FAILS) || resets != (c == ESTAB_RESETS))
        sc_fail_at(file, line,
                   "RFC 4022 counters: AttemptFails +%llu, EstabResets +%llu; "
                   "expected +%d, +%d",
                   (unsigned long long)fails, (unsigned long long)resets, c == ATTEMPT_FAILS,
                   c == ESTAB_RESETS);
}

/* ----------------------------------------------------------------- scripts ---- */

long tr_send(struct sc *sc, uint32_t n)
{
    return tcpfsm_send(sc->st, sc->fd, tr_payload, n);
}

void tr_zero_window_with_queued_data(struct sc *sc, uint32_t rcv, uint32_t n, uint32_t m)
{
    EXPECT_EQ(tr_send(sc, n), n);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + rcv, n);
    sc_inject(sc, A, sc->irs + rcv, sc->iss + 1 + n, 0, NULL, 0);
    NONE();
    EXPECT_EQ(tr_send(sc, m), m);
    NONE(); /* the window is closed */
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_PERSIST));
}
