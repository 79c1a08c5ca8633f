/*
 * test_tcp_zero_window.c — a peer's zero window that closes while data is in flight: the
 * retransmission timer probes it (RFC 9293 3.8.6.1), and a peer that answers the probes keeps
 * the connection open however long (MUST-36, RFC 1122 4.2.2.17). One stack, a scripted peer
 * (tests/runtime/lib/scenario.h), virtual time.
 */
#include <errno.h>
#include <stdint.h>

#include "rt_test.h"
#include "scenario.h"
#include "tcpfsm.h"

#define MS 1000u
#define SEG 536u /* the peer's SYN-ACK carries no MSS option: RFC 9293 3.7.1's default */

/* Established, three segments sent; the peer ACKs the first and closes its window. */
static struct sc *window_closed_in_flight(uint32_t max_retries)
{
    struct sc_opts o = {.rto_us = 100 * MS, .max_retries = max_retries};
    struct sc *sc = sc_new(&o);
    sc_establish(sc);
    static const uint8_t data[3 * SEG];
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, data, sizeof data), (int)sizeof data);
    for (uint32_t k = 0; k < 3; k++)
        ck_assert_uint_eq(sc_next(sc)->seq, sc->iss + 1 + k * SEG);
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 1 + SEG, 0, NULL, 0);
    sc_expect_none(sc);
    return sc;
}

/* RFC 9293 3.8.6.1: "As long as the receiving TCP peer continues to send acknowledgments in
 * response to the probe segments, the sending TCP peer MUST allow the connection to stay open
 * (MUST-36)." Twelve expiries of the retransmission timer, each sending a one-octet probe the
 * peer answers with its zero window: more than R2 (max_retries 4), and the connection stays;
 * the probes back off (RFC 6298 5.5). When the window opens, the data goes at once. */
START_TEST(rfc9293_3_8_6_1_answered_probes_keep_connection_open)
{
    struct sc *sc = window_closed_in_flight(4);
    uint32_t una = sc->iss + 1 + SEG;
    tcpfsm_time_t gap = 100 * MS, last = sc->now;
    for (int k = 0; k < 12; k++) {
        sc_fire_next(sc);
        sc_expect(sc, TCP_ACK, una, sc->irs + 1, 1);
        ck_assert_uint_eq(sc->now - last, gap < 60000 * MS ? gap : 60000 * MS);
        last = sc->now;
        gap *= 2;
        sc_inject(sc, TCP_ACK, sc->irs + 1, una, 0, NULL, 0);
        sc_expect_none(sc);
        sc_expect_state(sc, "ESTABLISHED");
    }
    /* the window opens: a full segment goes at once (the loss window, RFC 5681 3.1, holds
     * one); the probe octet is not counted in flight, it would leave a runt. Its ACK lets
     * the last one go. */
    sc_inject(sc, TCP_ACK, sc->irs + 1, una, SC_PEER_WND, NULL, 0);
    ck_assert_uint_eq(sc_expect(sc, TCP_ACK, una, sc->irs + 1, SEG)->seq, una);
    sc_expect_none(sc);
    sc_inject(sc, TCP_ACK, sc->irs + 1, una + SEG, SC_PEER_WND, NULL, 0);
    sc_expect(sc, TCP_ACK | TCP_PSH, una + SEG, sc->irs + 1, SEG);
    sc_expect_state(sc, "ESTABLISHED");
    sc_free(sc);
}
END_TEST

/* The other side of MUST-36: probes nobody answers count as retransmissions, and after R2 of
 * them (max_retries 4) the connection is given up (RFC 9293 3.8.3), ETIMEDOUT. */
START_TEST(rfc9293_3_8_3_unanswered_probes_give_up)
{
    struct sc *sc = window_closed_in_flight(4);
    for (int k = 0; k < 4; k++) {
        sc_fire_next(sc);
        sc_expect(sc, TCP_ACK, sc->iss + 1 + SEG, sc->irs + 1, 1);
    }
    sc_fire_next(sc);
    sc_expect_none(sc);
    sc_expect_state(sc, "CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    sc_free(sc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_zero_window");
    TCase *tc = tcase_create("zero_window");
    tcase_add_test(tc, rfc9293_3_8_6_1_answered_probes_keep_connection_open);
    tcase_add_test(tc, rfc9293_3_8_3_unanswered_probes_give_up);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
