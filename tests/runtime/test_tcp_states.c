/*
 * test_tcp_states.c — connection states seen from the wire where the drill scripts of
 * tests/drill/states/ found the stack at odds with RFC 9293: one stack, a scripted peer
 * (tests/runtime/lib/scenario.h), virtual time.
 */
#include <errno.h>
#include <stdint.h>

#include "rt_test.h"
#include "scenario.h"
#include "tcpfsm.h"

#define MS 1000u
#define SEC 1000000u

/* The stack's own RTOs (1 s initial and minimum, 60 s maximum: RFC 6298 2.1, 2.4, 2.5) and its
 * default syn_retries. */
static struct sc *new_default_rto(void)
{
    struct sc_opts o = {.rto_us = 1 * SEC};
    return sc_new(&o);
}

/* When each retransmission of a SYN (or SYN-ACK) is due, in seconds after the first: the RTO
 * doubles from 1 s up to 60 s (RFC 6298 5.5, 2.5). */
static const unsigned syn_rtx_at[] = {1, 3, 7, 15, 31, 63, 123};
#define N_RTX (sizeof syn_rtx_at / sizeof syn_rtx_at[0])

/* RFC 9293 3.8.3: "R2 for a SYN segment MUST be set large enough to provide retransmission of
 * the segment for at least 3 minutes (MUST-23)." With the default configuration an active
 * open's SYN is sent again at 1, 3, 7, 15, 31, 63 and 123 s, and the attempt is given up
 * (ETIMEDOUT) at 183 s, not before 180 s. */
START_TEST(rfc9293_3_8_3_must23_syn_sent_retransmits_3_minutes)
{
    struct sc *sc = new_default_rto();
    uint32_t iss = sc_connect(sc);
    tcpfsm_time_t t0 = sc->now;
    for (unsigned i = 0; i < N_RTX; i++) {
        sc_fire_next(sc);
        ck_assert_uint_eq(sc->now - t0, (tcpfsm_time_t)syn_rtx_at[i] * SEC);
        sc_expect(sc, TCP_SYN, iss, 0, 0);
        sc_expect_none(sc);
        sc_expect_state(sc, "SYN_SENT");
    }
    sc_advance_to(sc, t0 + 180 * SEC);
    sc_expect_state(sc, "SYN_SENT"); /* still trying at 3 minutes */
    sc_fire_next(sc);
    ck_assert_uint_eq(sc->now - t0, 183 * SEC);
    sc_expect_none(sc); /* giving up sends nothing */
    sc_expect_state(sc, "CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    sc_expect_fired(sc, "SYN_SENT", "T_RTX", "syn_give_up", "CLOSED");
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.8.3 MUST-23 for a listener's new connection: its SYN-ACK is a SYN segment too.
 * It is sent again at the same times; the embryonic connection is given up at 183 s, and the
 * peer's late ACK then finds only the listener: <SEQ=SEG.ACK><CTL=RST> (3.10.7.2 second). */
START_TEST(rfc9293_3_8_3_must23_syn_rcvd_retransmits_3_minutes)
{
    struct sc *sc = new_default_rto();
    sc_to_syn_rcvd_passive(sc);
    tcpfsm_time_t t0 = sc->now;
    for (unsigned i = 0; i < N_RTX; i++) {
        sc_fire_next(sc);
        ck_assert_uint_eq(sc->now - t0, (tcpfsm_time_t)syn_rtx_at[i] * SEC);
        sc_expect(sc, TCP_SYN | TCP_ACK, sc->iss, sc->irs + 1, 0);
        sc_expect_none(sc);
    }
    sc_advance_to(sc, t0 + 180 * SEC);
    sc_expect_state(sc, "SYN_RCVD");
    sc_fire_next(sc);
    ck_assert_uint_eq(sc->now - t0, 183 * SEC);
    sc_expect_none(sc);
    sc_expect_state(sc, "CLOSED");
    sc_expect_fired(sc, "SYN_RCVD", "T_RTX", "syn_give_up", "CLOSED");
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 1, SC_PEER_WND, NULL, 0);
    sc_expect(sc, TCP_RST, sc->iss + 1, 0, 0);
    sc_expect_none(sc);
    ck_assert_int_eq(tcpfsm_accept(sc->st, sc->lfd, NULL, NULL), -EAGAIN);
    sc_free(sc);
}
END_TEST

/* A configured syn_retries is the application's choice ("The application can close the
 * connection (i.e., give up on the open attempt) sooner, of course"): 2 retransmissions, given
 * up at 7 s. */
START_TEST(rfc9293_3_8_3_syn_retries_configured_lower)
{
    struct sc_opts o = {.rto_us = 1 * SEC, .syn_retries = 2};
    struct sc *sc = sc_new(&o);
    uint32_t iss = sc_connect(sc);
    tcpfsm_time_t t0 = sc->now;
    for (unsigned i = 0; i < 2; i++) {
        sc_fire_next(sc);
        sc_expect(sc, TCP_SYN, iss, 0, 0);
    }
    sc_fire_next(sc);
    ck_assert_uint_eq(sc->now - t0, 7 * SEC);
    sc_expect_none(sc);
    sc_expect_state(sc, "CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    sc_free(sc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_states");
    TCase *tc = tcase_create("syn_r2");
    tcase_add_test(tc, rfc9293_3_8_3_must23_syn_sent_retransmits_3_minutes);
    tcase_add_test(tc, rfc9293_3_8_3_must23_syn_rcvd_retransmits_3_minutes);
    tcase_add_test(tc, rfc9293_3_8_3_syn_retries_configured_lower);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
