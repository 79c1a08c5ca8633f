/*
 * test_tcp_syn_loss.c — what a lost SYN or SYN-ACK leaves to the data that follows: the RTO
 * data transmission begins with (RFC 6298 5.7) and the initial congestion window (RFC 6928 2,
 * RFC 5681 3.1). One stack, a scripted peer (tests/runtime/lib/scenario.h), virtual time.
 */
#include <stdbool.h>
#include <stdint.h>

#include "rt_test.h"
#include "scenario.h"
#include "tcp_layer.h"
#include "tcpfsm.h"

#define MS 1000u
#define SEG 536u /* the peer's segments carry no MSS option: RFC 9293 3.7.1's default */

static struct tcpfsm_info info_of(struct sc *sc)
{
    struct tcpfsm_info i;
    ck_assert_int_eq(tcpfsm_get_info(sc->st, sc->fd, &i), 0);
    return i;
}

/* Active open whose SYN times out `lost` times (RTO 100 ms, backed off) before the SYN-ACK. */
static struct sc *active_after_syn_loss(unsigned lost)
{
    struct sc_opts o = {.rto_us = 100 * MS};
    struct sc *sc = sc_new(&o);
    sc_connect(sc);
    for (unsigned k = 0; k < lost; k++) {
        sc_fire_next(sc);
        sc_expect(sc, TCP_SYN, sc->iss, 0, 0);
    }
    sc_advance(sc, 10 * MS);
    sc_inject(sc, TCP_SYN | TCP_ACK, sc->irs, sc->iss + 1, SC_PEER_WND, NULL, 0);
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "ESTABLISHED");
    return sc;
}

/* Passive open whose SYN-ACK times out `lost` times before the peer's ACK. */
static struct sc *passive_after_syn_ack_loss(unsigned lost)
{
    struct sc_opts o = {.rto_us = 100 * MS};
    struct sc *sc = sc_new(&o);
    sc_to_syn_rcvd_passive(sc);
    for (unsigned k = 0; k < lost; k++) {
        sc_fire_next(sc);
        sc_expect(sc, TCP_SYN | TCP_ACK, sc->iss, sc->irs + 1, 0);
    }
    sc_advance(sc, 10 * MS);
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 1, SC_PEER_WND, NULL, 0);
    sc_expect_none(sc);
    sc->fd = tcpfsm_accept(sc->st, sc->lfd, NULL, NULL);
    ck_assert_int_ge(sc->fd, 0);
    sc_expect_state(sc, "ESTABLISHED");
    return sc;
}

/* 100 bytes of data go out; nothing else happens until `rto_us` later, when they go again. */
static void data_retransmitted_after(struct sc *sc, tcpfsm_time_t rto_us)
{
    static const uint8_t data[100];
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, data, sizeof data), (int)sizeof data);
    sc_expect(sc, TCP_ACK | TCP_PSH, sc->iss + 1, sc->irs + 1, sizeof data);
    tcpfsm_time_t sent = sc->now;
    sc_advance(sc, rto_us - 1);
    sc_expect_none(sc);
    sc_advance(sc, 1);
    sc_expect(sc, TCP_ACK | TCP_PSH, sc->iss + 1, sc->irs + 1, sizeof data);
    ck_assert_uint_eq(sc->now - sent, rto_us);
}

/* RFC 6298 5.7: "If the timer expires awaiting the ACK of a SYN segment and the TCP
 * implementation is using an RTO less than 3 seconds, the RTO MUST be re-initialized to 3
 * seconds when data transmission begins". The SYN's backed-off 200 ms and its RTT (no sample:
 * Karn) are forgotten; the data waits 3 s, then 6 s (5.5). */
START_TEST(rfc6298_5_7_rto_3s_after_syn_timeout)
{
    struct sc *sc = active_after_syn_loss(1);
    ck_assert_uint_eq(info_of(sc).rto_us, 3000 * MS);
    data_retransmitted_after(sc, 3000 * MS);
    ck_assert_uint_eq(info_of(sc).rto_us, 6000 * MS);
    sc_free(sc);
}
END_TEST

/* RFC 6298 5.7 for the SYN-ACK of a passive open, which is a SYN segment too. */
START_TEST(rfc6298_5_7_rto_3s_after_syn_ack_timeout)
{
    struct sc *sc = passive_after_syn_ack_loss(2);
    ck_assert_uint_eq(info_of(sc).rto_us, 3000 * MS);
    data_retransmitted_after(sc, 3000 * MS);
    sc_free(sc);
}
END_TEST

/* RFC 6298 5.7 applies only after a timeout: a handshake without one gives an RTT sample
 * (10 ms: RTO = SRTT + 4 RTTVAR = 30 ms, raised to the 100 ms minimum, 2.4). */
START_TEST(rfc6298_5_7_not_without_syn_timeout)
{
    struct sc *sc = active_after_syn_loss(0);
    ck_assert_uint_eq(info_of(sc).rto_us, 100 * MS);
    data_retransmitted_after(sc, 100 * MS);
    sc_free(sc);
}
END_TEST

/* RFC 6298 5.7 says "less than 3 seconds": a configured initial RTO above 3 s stays, and
 * RFC 6298 2.5's maximum wins over the 3 s. */
START_TEST(rfc6298_5_7_bounds)
{
    struct sc_opts o = {.rto_us = 100 * MS};
    struct sc *sc = sc_new(&o);
    sc->st->cfg.rto_initial_us = 4000 * MS; /* before the socket exists (rtt_init) */
    sc_connect(sc);
    sc_fire_next(sc);
    sc_expect(sc, TCP_SYN, sc->iss, 0, 0);
    sc_inject(sc, TCP_SYN | TCP_ACK, sc->irs, sc->iss + 1, SC_PEER_WND, NULL, 0);
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 0);
    ck_assert_uint_eq(info_of(sc).rto_us, 4000 * MS); /* not backed off to 8 s either */
    sc_free(sc);

    o.rto_max_us = 2000 * MS;
    sc = sc_new(&o);
    sc_connect(sc);
    sc_fire_next(sc);
    sc_expect(sc, TCP_SYN, sc->iss, 0, 0);
    sc_inject(sc, TCP_SYN | TCP_ACK, sc->irs, sc->iss + 1, SC_PEER_WND, NULL, 0);
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 0);
    ck_assert_uint_eq(info_of(sc).rto_us, 2000 * MS);
    sc_free(sc);
}
END_TEST

/* RFC 6928 2 (the stack's initial window, 10 segments): "it is RECOMMENDED that
 * implementations refrain from resetting the initial window to 1 segment, unless there have
 * been more than one SYN or SYN/ACK retransmissions or true loss detection has been made"
 * (RFC 5681 3.1 and RFC 3390 say 1 segment after any SYN loss, for their smaller windows). */
START_TEST(rfc6928_2_initial_window_after_syn_loss)
{
    const struct {
        bool passive;
        unsigned lost;
        uint32_t cwnd_segs;
    } cases[] = {{false, 1, 10}, {false, 2, 1}, {false, 3, 1}, {true, 1, 10}, {true, 2, 1}};
    for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        sc_label("%s open, %u retransmissions", cases[k].passive ? "passive" : "active",
                 cases[k].lost);
        struct sc *sc = cases[k].passive ? passive_after_syn_ack_loss(cases[k].lost)
                                         : active_after_syn_loss(cases[k].lost);
        ck_assert_uint_eq(info_of(sc).cwnd, cases[k].cwnd_segs * SEG);
        /* and the window it allows is what goes out: that many segments of 20 */
        static const uint8_t data[20 * SEG];
        ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, data, sizeof data), (int)sizeof data);
        for (uint32_t s = 0; s < cases[k].cwnd_segs; s++)
            ck_assert_uint_eq(sc_next(sc)->len, SEG);
        sc_expect_none(sc);
        sc_free(sc);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_syn_loss");
    TCase *tc = tcase_create("syn_loss");
    tcase_add_test(tc, rfc6298_5_7_rto_3s_after_syn_timeout);
    tcase_add_test(tc, rfc6298_5_7_rto_3s_after_syn_ack_timeout);
    tcase_add_test(tc, rfc6298_5_7_not_without_syn_timeout);
    tcase_add_test(tc, rfc6298_5_7_bounds);
    tcase_add_test(tc, rfc6928_2_initial_window_after_syn_loss);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
