/*
 * test_tcp_transitions.c — every row of spec/tcp.fsm (tcp_fsm_transitions[], the rows the
 * spec's rules flatten into) driven by a scripted peer: the state reached, the exact segments
 * emitted (or none), the errno the API reports. The tests are in tests/runtime/transitions/,
 * one file per part of the spec; tests of one shape run from a table of the states the spec's
 * rule covers (tr.h).
 *
 * Then the spec coverage of the whole suite: every scenario appends its stack's per-row counts
 * to a file (Check forks each test), main() sums them, prints
 * `spec coverage: N/TOTAL transitions (P%)`, lists the rows that never fired, and fails unless
 * every row fired (a subset of the tests, chosen with CK_RUN_CASE and the like, is not held to
 * it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "transitions/tr.h"

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_transitions");
    TCase *parts[] = {
        tr_case_closed_listen(), tr_case_opening(), tr_case_checks(),
        tr_case_segments(),      tr_case_timers(),  tr_case_user_calls(),
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        tcase_set_timeout(parts[i], 30);
        suite_add_tcase(s, parts[i]);
    }
    return s;
}

/* Sum what every test recorded, print the coverage line and the rows never fired. Returns
 * true if every row fired. */
static bool report_coverage(const char *path, bool partial)
{
    uint64_t counts[TCP_FSM_NUM_TRANSITIONS];
    unsigned lines = sc_coverage_read(path, counts, TCP_FSM_NUM_TRANSITIONS);
    unsigned fired = 0;
    for (unsigned i = 0; i < TCP_FSM_NUM_TRANSITIONS; i++)
        fired += counts[i] != 0;
    printf("spec coverage: %u/%u transitions (%.1f%%) over %u scenarios\n", fired,
           TCP_FSM_NUM_TRANSITIONS, 100.0 * fired / TCP_FSM_NUM_TRANSITIONS, lines);
    for (unsigned i = 0; i < TCP_FSM_NUM_TRANSITIONS; i++) {
        if (counts[i]) continue;
        const struct tcp_fsm_transition *r = &tcp_fsm_transitions[i];
        printf("  never fired: #%u %s on %s%s%s%s -> %s  @rfc \"%s\"\n", i,
               tcp_fsm_state_names[r->from], tcp_fsm_event_names[r->event], r->guard ? " [" : "",
               r->guard ? r->guard : "", r->guard ? "]" : "", tcp_fsm_state_names[r->to],
               r->rfc ? r->rfc : "");
    }
    if (partial && fired < TCP_FSM_NUM_TRANSITIONS)
        printf("  (a subset of the tests ran: coverage not enforced)\n");
    return partial || fired == TCP_FSM_NUM_TRANSITIONS;
}

int main(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/test_tcp_transitions.%ld.cov", rt_tmpdir(), (long)getpid());
    unlink(path);
    sc_coverage_file(path);
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    bool partial = getenv("CK_RUN_CASE") || getenv("CK_RUN_SUITE") || getenv("CK_INCLUDE_TAGS") ||
                   getenv("CK_EXCLUDE_TAGS");
    bool covered = report_coverage(path, partial);
    unlink(path);
    return failed == 0 && covered ? EXIT_SUCCESS : EXIT_FAILURE;
}
