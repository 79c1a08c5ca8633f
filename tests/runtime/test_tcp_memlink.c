/*
 * test_tcp_memlink.c — two stacks talking over the in-memory link on a virtual clock:
 * handshake, bulk transfer both ways, graceful, simultaneous and half close, simultaneous
 * open, refusal, abort, TIME_WAIT duration, listen backlog overflow, sequence wraparound, and
 * a bulk transfer through loss, reordering, duplication and corruption.
 *
 * The driver (struct net, tests/runtime/lib/memnet.c) owns one memlink and two stacks and
 * records every connection's path through the spec's states, so the tests can compare it
 * with the RFC 9293 figures (TCPFSM_TEST_TRACE=1 prints every transition).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memlink.h"
#include "memnet.h"
#include "packet.h"
#include "rt_test.h"
#include "tcp_layer.h"
#include "tcpfsm.h"

/* ---- both ends of a stream at once ---- */

struct duplex {
    struct stream_end e[2];
    bool want_eof[2];
};

static enum pump_result pump_duplex(struct net *net, void *arg)
{
    (void)net;
    struct duplex *d = arg;
    bool p0 = end_pump(&d->e[0]), p1 = end_pump(&d->e[1]);
    if (d->e[0].err || d->e[1].err) return PUMP_DONE; /* the test reports it */
    if (end_done(&d->e[0], d->want_eof[0]) && end_done(&d->e[1], d->want_eof[1])) return PUMP_DONE;
    return p0 || p1 ? PUMP_PROGRESS : PUMP_IDLE;
}

/* ------------------------------------------------------------------- tests ---- */

/* RFC 9293 3.5, figure 6: the three-way handshake: SYN, SYN-ACK, ACK, and nothing else. */
START_TEST(handshake_three_way)
{
    struct net net;
    net_init(&net, NULL, 1);
    int lfd = listen_on(net.n[1].st, 80, 4);
    int cfd = tcpfsm_socket(net.n[0].st);
    ck_assert_int_eq(tcpfsm_connect(net.n[0].st, cfd, SRV_ADDR, 80), -EINPROGRESS);
    ck_assert_str_eq(fd_state(net.n[0].st, cfd), "SYN_SENT");
    ck_assert_int_eq(tcpfsm_poll(net.n[0].st, cfd) & (TCPFSM_POLLOUT | TCPFSM_POLLERR), 0);
    ck_assert_int_eq(tcpfsm_send(net.n[0].st, cfd, "x", 1), -EAGAIN);
    ck_assert_int_eq(tcpfsm_accept(net.n[1].st, lfd, NULL, NULL), -EAGAIN);

    net_drain(&net, 10000000);
    ck_assert_uint_eq(net.now, 3 * LINK_DELAY_US); /* SYN, SYN-ACK, ACK: 1.5 round trips */
    ck_assert(tcpfsm_poll(net.n[0].st, cfd) & TCPFSM_POLLOUT);
    ck_assert(tcpfsm_poll(net.n[1].st, lfd) & TCPFSM_POLLIN);
    uint32_t paddr = 0;
    uint16_t pport = 0, cport = 0;
    int sfd = tcpfsm_accept(net.n[1].st, lfd, &paddr, &pport);
    ck_assert_int_ge(sfd, 0);
    ck_assert_int_eq(tcpfsm_getname(net.n[0].st, cfd, NULL, &cport, NULL, NULL), 0);
    ck_assert_uint_eq(paddr, CLI_ADDR);
    ck_assert_uint_eq(pport, cport);
    ck_assert_uint_ge(cport, 49152); /* RFC 6335 ephemeral range */
    ck_assert_str_eq(fd_state(net.n[0].st, cfd), "ESTABLISHED");
    ck_assert_str_eq(fd_state(net.n[1].st, sfd), "ESTABLISHED");
    ck_assert_str_eq(node_path(&net.n[0], 0), "CLOSED SYN_SENT ESTABLISHED");
    ck_assert_str_eq(node_path(&net.n[1], 0), "CLOSED SYN_RCVD ESTABLISHED");

    struct memlink_stats ab, ba;
    memlink_get_stats(net.l, CLI_ADDR, SRV_ADDR, &ab);
    memlink_get_stats(net.l, SRV_ADDR, CLI_ADDR, &ba);
    ck_assert_uint_eq(ab.sent, 2); /* SYN, ACK */
    ck_assert_uint_eq(ba.sent, 1); /* SYN-ACK */
    struct tcpfsm_stats sc, ss;
    get_stats(&net, 0, &sc);
    get_stats(&net, 1, &ss);
    ck_assert_uint_eq(sc.ActiveOpens, 1);
    ck_assert_uint_eq(ss.PassiveOpens, 1);
    ck_assert_uint_eq(sc.CurrEstab, 1);
    ck_assert_uint_eq(ss.CurrEstab, 1);
    ck_assert_uint_eq(sc.RetransSegs + ss.RetransSegs, 0);

    /* Options negotiated on the SYNs (RFC 7323, RFC 2018), MSS from the 1500 MTU. */
    struct tcpfsm_info info;
    ck_assert_int_eq(tcpfsm_get_info(net.n[0].st, cfd, &info), 0);
    ck_assert_uint_eq(info.mss, 1460);
    ck_assert_uint_eq(info.sack_ok, 1);
    ck_assert_uint_eq(info.ts_ok, 1);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.8 / 3.10.7.4 seventh: 1 MB in each direction at the same time, byte for byte. */
START_TEST(bulk_1mb_each_way_simultaneously)
{
    const size_t N = 1u << 20;
    struct net net;
    net_init(&net, NULL, 2);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    uint8_t *a = random_bytes(11, N), *b = random_bytes(12, N);
    uint8_t *ra = malloc(N), *rb = malloc(N);
    struct duplex d = {
        .e = {{.st = net.n[0].st,
               .fd = cfd,
               .tx = a,
               .txlen = N,
               .rx = rb,
               .rxcap = N,
               .close_after_send = CLOSE_SHUT_WR},
              {.st = net.n[1].st,
               .fd = sfd,
               .tx = b,
               .txlen = N,
               .rx = ra,
               .rxcap = N,
               .close_after_send = CLOSE_SHUT_WR}},
        .want_eof = {true, true},
    };
    ck_assert(net_run(&net, pump_duplex, &d, 600000000));
    ck_assert_int_eq(d.e[0].err, 0);
    ck_assert_int_eq(d.e[1].err, 0);
    ck_assert_uint_eq(d.e[1].got, N);
    ck_assert_uint_eq(d.e[0].got, N);
    ck_assert(memcmp(ra, a, N) == 0);
    ck_assert(memcmp(rb, b, N) == 0);
    net_drain(&net, net.now + 1000000); /* the last ACKs */
    struct tcpfsm_info ic, is;
    ck_assert_int_eq(tcpfsm_get_info(net.n[0].st, cfd, &ic), 0);
    ck_assert_int_eq(tcpfsm_get_info(net.n[1].st, sfd, &is), 0);
    ck_assert_uint_eq(ic.send_q, 0);
    ck_assert_uint_eq(is.send_q, 0);
    struct tcpfsm_stats sc, ss;
    get_stats(&net, 0, &sc);
    get_stats(&net, 1, &ss);
    ck_assert_uint_eq(sc.RetransSegs + ss.RetransSegs, 0); /* a perfect link */
    ck_assert_uint_eq(sc.InErrs + ss.InErrs, 0);
    free(a);
    free(b);
    free(ra);
    free(rb);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.6 figure 12 (normal close): the client closes first and ends in TIME_WAIT;
 * the server reads EOF, closes, and goes through LAST_ACK to CLOSED. */
START_TEST(graceful_close_from_client)
{
    struct net net;
    net_init(&net, NULL, 3);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    uint16_t cport;
    tcpfsm_getname(net.n[0].st, cfd, NULL, &cport, NULL, NULL);
    uint8_t *msg = random_bytes(3, 5000), rx[6000];
    struct duplex d = {
        .e = {{.st = net.n[0].st,
               .fd = cfd,
               .tx = msg,
               .txlen = 5000,
               .close_after_send = CLOSE_FULL},
              {.st = net.n[1].st, .fd = sfd, .rx = rx, .rxcap = sizeof rx, .close_on_eof = true}},
        .want_eof = {false, true},
    };
    ck_assert(net_run(&net, pump_duplex, &d, 60000000));
    ck_assert_int_eq(d.e[1].err, 0);
    ck_assert_uint_eq(d.e[1].got, 5000);
    ck_assert(memcmp(rx, msg, 5000) == 0);
    net_drain(&net, 600000000);
    ck_assert_str_eq(node_path(&net.n[0], cport),
                     "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    ck_assert_str_eq(node_path(&net.n[1], 80),
                     "CLOSED SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    ck_assert_int_eq(ss_count(net.n[0].st, NULL), 0);
    ck_assert_int_eq(ss_count(net.n[1].st, NULL), 1); /* the listener */
    /* One FIN each way on a perfect link (regression: a second FIN used to follow the ACK
     * of the first, one sequence number later), and no RST. */
    ck_assert_uint_eq(net.n[0].fins, 1);
    ck_assert_uint_eq(net.n[1].fins, 1);
    ck_assert_uint_eq(net.n[0].rsts + net.n[1].rsts, 0);
    free(msg);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.6 figure 12 with the roles swapped: the server (passive opener) closes first. */
START_TEST(graceful_close_from_server)
{
    struct net net;
    net_init(&net, NULL, 4);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    uint16_t cport;
    tcpfsm_getname(net.n[0].st, cfd, NULL, &cport, NULL, NULL);
    uint8_t *msg = random_bytes(4, 7000), rx[8000];
    struct duplex d = {
        .e = {{.st = net.n[0].st, .fd = cfd, .rx = rx, .rxcap = sizeof rx, .close_on_eof = true},
              {.st = net.n[1].st,
               .fd = sfd,
               .tx = msg,
               .txlen = 7000,
               .close_after_send = CLOSE_FULL}},
        .want_eof = {true, false},
    };
    ck_assert(net_run(&net, pump_duplex, &d, 60000000));
    ck_assert_int_eq(d.e[0].err, 0);
    ck_assert_uint_eq(d.e[0].got, 7000);
    ck_assert(memcmp(rx, msg, 7000) == 0);
    net_drain(&net, 600000000);
    ck_assert_str_eq(node_path(&net.n[1], 80),
                     "CLOSED SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    ck_assert_str_eq(node_path(&net.n[0], cport),
                     "CLOSED SYN_SENT ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    ck_assert_int_eq(ss_count(net.n[0].st, NULL), 0);
    ck_assert_int_eq(ss_count(net.n[1].st, NULL), 1);
    free(msg);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.6 figure 13: both sides close at once; the FINs cross, both go FIN_WAIT_1 ->
 * CLOSING -> TIME_WAIT -> CLOSED. */
START_TEST(simultaneous_close_through_closing)
{
    struct net net;
    net_init(&net, NULL, 5);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    uint16_t cport;
    tcpfsm_getname(net.n[0].st, cfd, NULL, &cport, NULL, NULL);
    net_drain(&net, 10000000); /* quiet: no delayed ACK pending */
    ck_assert_int_eq(tcpfsm_shutdown(net.n[0].st, cfd, TCPFSM_SHUT_WR), 0);
    ck_assert_int_eq(tcpfsm_shutdown(net.n[1].st, sfd, TCPFSM_SHUT_WR), 0);
    ck_assert_str_eq(fd_state(net.n[0].st, cfd), "FIN_WAIT_1");
    ck_assert_str_eq(fd_state(net.n[1].st, sfd), "FIN_WAIT_1");
    net_advance_to(&net, net.now + LINK_DELAY_US); /* the FINs cross */
    ck_assert_str_eq(fd_state(net.n[0].st, cfd), "CLOSING");
    ck_assert_str_eq(fd_state(net.n[1].st, sfd), "CLOSING");
    net_advance_to(&net, net.now + LINK_DELAY_US); /* the ACKs of the FINs */
    ck_assert_str_eq(fd_state(net.n[0].st, cfd), "TIME_WAIT");
    ck_assert_str_eq(fd_state(net.n[1].st, sfd), "TIME_WAIT");
    uint8_t c;
    ck_assert_int_eq(tcpfsm_recv(net.n[0].st, cfd, &c, 1), 0);
    ck_assert_int_eq(tcpfsm_recv(net.n[1].st, sfd, &c, 1), 0);
    ck_assert_int_eq(tcpfsm_close(net.n[0].st, cfd), 0);
    ck_assert_int_eq(tcpfsm_close(net.n[1].st, sfd), 0);
    net_drain(&net, 600000000);
    ck_assert_str_eq(node_path(&net.n[0], cport),
                     "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED");
    ck_assert_str_eq(node_path(&net.n[1], 80),
                     "CLOSED SYN_RCVD ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED");
    ck_assert_uint_eq(net.n[0].fins, 1);
    ck_assert_uint_eq(net.n[1].fins, 1);
    ck_assert_int_eq(ss_count(net.n[0].st, NULL), 0);
    ck_assert_int_eq(ss_count(net.n[1].st, NULL), 1);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.5 figure 8: simultaneous open. Both sides connect to each other's bound port;
 * the SYNs cross: SYN_SENT -> SYN_RCVD -> ESTABLISHED on both, then data flows. */
START_TEST(simultaneous_open)
{
    struct net net;
    net_init(&net, NULL, 6);
    int a = tcpfsm_socket(net.n[0].st), b = tcpfsm_socket(net.n[1].st);
    ck_assert_int_eq(tcpfsm_bind(net.n[0].st, a, 0, 1111), 0);
    ck_assert_int_eq(tcpfsm_bind(net.n[1].st, b, 0, 2222), 0);
    ck_assert_int_eq(tcpfsm_connect(net.n[0].st, a, SRV_ADDR, 2222), -EINPROGRESS);
    ck_assert_int_eq(tcpfsm_connect(net.n[1].st, b, CLI_ADDR, 1111), -EINPROGRESS);
    net_advance_to(&net, LINK_DELAY_US);
    ck_assert_str_eq(fd_state(net.n[0].st, a), "SYN_RCVD");
    ck_assert_str_eq(fd_state(net.n[1].st, b), "SYN_RCVD");
    net_drain(&net, 10000000);
    ck_assert_str_eq(fd_state(net.n[0].st, a), "ESTABLISHED");
    ck_assert_str_eq(fd_state(net.n[1].st, b), "ESTABLISHED");
    ck_assert_str_eq(node_path(&net.n[0], 1111), "CLOSED SYN_SENT SYN_RCVD ESTABLISHED");
    ck_assert_str_eq(node_path(&net.n[1], 2222), "CLOSED SYN_SENT SYN_RCVD ESTABLISHED");
    ck_assert(tcpfsm_poll(net.n[0].st, a) & TCPFSM_POLLOUT);
    ck_assert(tcpfsm_poll(net.n[1].st, b) & TCPFSM_POLLOUT);
    struct tcpfsm_stats s0, s1;
    get_stats(&net, 0, &s0);
    get_stats(&net, 1, &s1);
    ck_assert_uint_eq(s0.ActiveOpens, 1);
    ck_assert_uint_eq(s1.ActiveOpens, 1);
    ck_assert_uint_eq(s0.RetransSegs + s1.RetransSegs, 0); /* no timeout was needed */

    uint8_t *x = random_bytes(61, 20000), *y = random_bytes(62, 20000), rx[20000], ry[20000];
    struct duplex d = {
        .e = {{.st = net.n[0].st,
               .fd = a,
               .tx = x,
               .txlen = 20000,
               .rx = ry,
               .rxcap = 20000,
               .close_after_send = CLOSE_SHUT_WR},
              {.st = net.n[1].st,
               .fd = b,
               .tx = y,
               .txlen = 20000,
               .rx = rx,
               .rxcap = 20000,
               .close_after_send = CLOSE_SHUT_WR}},
        .want_eof = {true, true},
    };
    ck_assert(net_run(&net, pump_duplex, &d, 60000000));
    ck_assert_uint_eq(d.e[0].got, 20000);
    ck_assert_uint_eq(d.e[1].got, 20000);
    ck_assert(memcmp(rx, x, 20000) == 0 && memcmp(ry, y, 20000) == 0);
    free(x);
    free(y);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.10.7.1 (the closed port answers the SYN with <SEQ=0><ACK=ISS+1><CTL=RST,ACK>)
 * and 3.10.7.3 second (SYN-SENT: a RST acknowledging the SYN means "connection refused"). */
START_TEST(connect_to_closed_port_is_refused)
{
    struct net net;
    net_init(&net, NULL, 7);
    int cfd = tcpfsm_socket(net.n[0].st);
    ck_assert_int_eq(tcpfsm_connect(net.n[0].st, cfd, SRV_ADDR, 9), -EINPROGRESS);
    ck_assert_int_eq(tcpfsm_error(net.n[0].st, cfd), 0);
    net_drain(&net, 10000000);
    ck_assert_uint_eq(net.now, 2 * LINK_DELAY_US); /* refused after one round trip */
    int m = tcpfsm_poll(net.n[0].st, cfd);
    ck_assert(m & TCPFSM_POLLERR);
    ck_assert(!(m & TCPFSM_POLLOUT));
    ck_assert_int_eq(tcpfsm_error(net.n[0].st, cfd), -ECONNREFUSED);
    ck_assert_int_eq(tcpfsm_error(net.n[0].st, cfd), -ECONNREFUSED); /* not cleared */
    ck_assert_int_eq(tcpfsm_send(net.n[0].st, cfd, "x", 1), -ECONNREFUSED);
    uint8_t c;
    ck_assert_int_eq(tcpfsm_recv(net.n[0].st, cfd, &c, 1), -ECONNREFUSED);
    ck_assert_str_eq(fd_state(net.n[0].st, cfd), "CLOSED");
    ck_assert_str_eq(node_path(&net.n[0], 0), "CLOSED SYN_SENT CLOSED");
    struct tcpfsm_stats sc, ss;
    get_stats(&net, 0, &sc);
    get_stats(&net, 1, &ss);
    ck_assert_uint_eq(sc.AttemptFails, 1);
    ck_assert_uint_eq(ss.InNoSocket, 1);
    ck_assert_uint_eq(ss.OutRsts, 1);
    ck_assert_int_eq(ss_count(net.n[0].st, NULL), 0);
    ck_assert_int_eq(tcpfsm_close(net.n[0].st, cfd), 0);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.10.5 (ABORT sends <SEQ=SND.NXT><CTL=RST>) and 3.10.7.4 second (the peer's RST
 * resets the connection: "connection reset" for every later RECEIVE and SEND). */
START_TEST(abort_resets_peer)
{
    struct net net;
    net_init(&net, NULL, 8);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    ck_assert_int_eq(tcpfsm_send(net.n[0].st, cfd, "hello", 5), 5);
    net_drain(&net, 10000000);
    ck_assert_int_eq(tcpfsm_abort(net.n[0].st, cfd), 0);
    ck_assert_int_eq(tcpfsm_poll(net.n[0].st, cfd), -EBADF); /* the descriptor is gone */
    ck_assert_int_eq(ss_count(net.n[0].st, NULL), 0);
    net_drain(&net, 10000000);
    int m = tcpfsm_poll(net.n[1].st, sfd);
    ck_assert(m & TCPFSM_POLLERR);
    ck_assert(m & TCPFSM_POLLHUP);
    ck_assert_int_eq(tcpfsm_error(net.n[1].st, sfd), -ECONNRESET);
    uint8_t buf[16];
    /* RFC 9293 3.10.7.4 second: queues are flushed; the unread "hello" is gone too. */
    ck_assert_int_eq(tcpfsm_recv(net.n[1].st, sfd, buf, sizeof buf), -ECONNRESET);
    ck_assert_int_eq(tcpfsm_send(net.n[1].st, sfd, "x", 1), -ECONNRESET);
    ck_assert_str_eq(node_path(&net.n[1], 80), "CLOSED SYN_RCVD ESTABLISHED CLOSED");
    struct tcpfsm_stats sc, ss;
    get_stats(&net, 0, &sc);
    get_stats(&net, 1, &ss);
    ck_assert_uint_eq(sc.OutRsts, 1);
    ck_assert_uint_eq(ss.EstabResets, 1);
    ck_assert_uint_eq(ss.OutRsts, 0);                 /* a RST is never answered */
    ck_assert_int_eq(ss_count(net.n[1].st, NULL), 1); /* only the listener is left */
    ck_assert_int_eq(tcpfsm_close(net.n[1].st, sfd), 0);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.6.1 / 3.10.7.4 eighth: TIME_WAIT lasts exactly 2*MSL; meanwhile the 4-tuple is
 * taken (a new connect gets -EADDRINUSE), afterwards the TCB is freed and the same 4-tuple
 * connects again. */
START_TEST(time_wait_lasts_two_msl)
{
    const uint32_t msl = 10000; /* 10 ms */
    struct tcpfsm_config cfg = {.msl_us = msl};
    struct net net;
    net_init(&net, &cfg, 9);
    int lfd = listen_on(net.n[1].st, 80, 4);
    struct accept_wait w = {.lfd = lfd, .sfd = -1};
    w.cfd = tcpfsm_socket(net.n[0].st);
    ck_assert_int_eq(tcpfsm_bind(net.n[0].st, w.cfd, 0, 40000), 0);
    ck_assert_int_eq(tcpfsm_connect(net.n[0].st, w.cfd, SRV_ADDR, 80), -EINPROGRESS);
    ck_assert(net_run(&net, pump_accept, &w, 10000000));
    struct duplex d = {
        .e = {{.st = net.n[0].st, .fd = w.cfd, .close_after_send = CLOSE_FULL},
              {.st = net.n[1].st, .fd = w.sfd, .close_on_eof = true}},
        .want_eof = {false, true},
    };
    ck_assert(net_run(&net, pump_duplex, &d, 10000000));
    while (!net.n[0].tw_enter)
        ck_assert(net_step(&net));
    tcpfsm_time_t enter = net.n[0].tw_enter;
    ck_assert_int_eq(ss_count(net.n[0].st, "TIME_WAIT"), 1);

    /* The 4-tuple is in use while TIME_WAIT lasts. */
    int again = tcpfsm_socket(net.n[0].st);
    ck_assert_int_eq(tcpfsm_setopt(net.n[0].st, again, TCPFSM_OPT_REUSEADDR, 1), 0);
    ck_assert_int_eq(tcpfsm_bind(net.n[0].st, again, 0, 40000), 0);
    ck_assert_int_eq(tcpfsm_connect(net.n[0].st, again, SRV_ADDR, 80), -EADDRINUSE);

    net_advance_to(&net, enter + 2u * msl - 1);
    ck_assert_uint_eq(net.n[0].tw_exit, 0);
    ck_assert_int_eq(ss_count(net.n[0].st, NULL), 1);
    net_advance_to(&net, enter + 2u * msl);
    ck_assert_uint_eq(net.n[0].tw_exit, enter + 2u * msl);
    ck_assert_int_eq(ss_count(net.n[0].st, NULL), 0);
    ck_assert_str_eq(node_path(&net.n[0], 40000),
                     "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");

    /* The same 4-tuple again. */
    struct accept_wait w2 = {.lfd = lfd, .cfd = again, .sfd = -1};
    ck_assert_int_eq(tcpfsm_connect(net.n[0].st, again, SRV_ADDR, 80), -EINPROGRESS);
    ck_assert(net_run(&net, pump_accept, &w2, net.now + 10000000));
    ck_assert_str_eq(fd_state(net.n[0].st, again), "ESTABLISHED");
    uint16_t p;
    tcpfsm_getname(net.n[0].st, again, NULL, &p, NULL, NULL);
    ck_assert_uint_eq(p, 40000);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.10.7.2 leaves queue limits to the implementation; as Linux, a SYN that finds the
 * listener's queues full is dropped (ListenOverflows) and the client's retransmitted SYN
 * (RFC 6298 5.5) gets in once accept() has made room. */
struct backlog_run {
    int lfd, cfd[5], sfd[5];
    int accepted;
    bool accepting;
    bool send_early; /* clients send 3 bytes as soon as they are connected */
    bool sent[5];
};

static enum pump_result pump_backlog(struct net *net, void *arg)
{
    struct backlog_run *b = arg;
    if (b->accepting && b->accepted < 5) {
        int fd = tcpfsm_accept(net->n[1].st, b->lfd, NULL, NULL);
        if (fd >= 0) {
            b->sfd[b->accepted++] = fd;
            return PUMP_PROGRESS;
        }
    }
    int up = 0;
    for (int i = 0; i < 5; i++) {
        int m = tcpfsm_poll(net->n[0].st, b->cfd[i]);
        rt_require(!(m & TCPFSM_POLLERR));
        up += !!(m & TCPFSM_POLLOUT);
        if (b->send_early && (m & TCPFSM_POLLOUT) && !b->sent[i]) {
            rt_require(tcpfsm_send(net->n[0].st, b->cfd[i], "abc", 3) == 3);
            b->sent[i] = true;
        }
    }
    return up == 5 && b->accepted == 5 ? PUMP_DONE : PUMP_IDLE;
}

START_TEST(listen_backlog_full_drops_syn_then_retry)
{
    struct tcpfsm_config cfg = {.flags = TCPFSM_F_NO_SYNCOOKIES}; /* drop, as asked */
    struct net net;
    net_init(&net, &cfg, 10);
    struct backlog_run b = {.lfd = listen_on(net.n[1].st, 80, 2)};
    for (int i = 0; i < 5; i++) {
        b.cfd[i] = tcpfsm_socket(net.n[0].st);
        ck_assert_int_eq(tcpfsm_connect(net.n[0].st, b.cfd[i], SRV_ADDR, 80), -EINPROGRESS);
    }
    net_advance_to(&net, 500000); /* before the first SYN retransmission (RTO 1 s) */
    struct tcpfsm_stats ss;
    get_stats(&net, 1, &ss);
    ck_assert_uint_eq(ss.ListenOverflows, 3);
    ck_assert_uint_eq(ss.PassiveOpens, 2);
    int up = 0;
    for (int i = 0; i < 5; i++)
        up += !!(tcpfsm_poll(net.n[0].st, b.cfd[i]) & TCPFSM_POLLOUT);
    ck_assert_int_eq(up, 2);
    ck_assert_int_eq(ss_count(net.n[1].st, "ESTAB"), 2);

    b.accepting = true;
    ck_assert(net_run(&net, pump_backlog, &b, 120000000));
    ck_assert_int_eq(b.accepted, 5);
    get_stats(&net, 1, &ss);
    ck_assert_uint_ge(ss.ListenOverflows, 3);
    ck_assert_uint_eq(ss.PassiveOpens, 5);
    struct tcpfsm_stats sc;
    get_stats(&net, 0, &sc);
    ck_assert_uint_ge(sc.RetransSegs, 3); /* the dropped clients sent their SYN again */
    ck_assert_uint_eq(sc.AttemptFails, 0);
    /* Every accepted connection works. */
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(tcpfsm_send(net.n[0].st, b.cfd[i], "abc", 3), 3);
    }
    net_drain(&net, net.now + 1000000);
    for (int i = 0; i < 5; i++) {
        char buf[8];
        ck_assert_int_eq(tcpfsm_recv(net.n[1].st, b.sfd[i], buf, sizeof buf), 3);
    }
    net_free(&net);
}
END_TEST

/* The same with SYN cookies on (the default, RFC 4987 3.6): the SYNs that find the SYN queue
 * full are answered with cookies instead. A cookie client is established at once; its ACK (or
 * first data) that finds the accept queue full is dropped, not reset, and its retransmitted
 * data carries the cookie again once accept() has made room. As with Linux, a client that
 * never sends would not be seen: the clients here send first. None is reset. */
START_TEST(listen_backlog_full_with_syn_cookies)
{
    struct net net;
    net_init(&net, NULL, 14);
    struct backlog_run b = {.lfd = listen_on(net.n[1].st, 80, 2)};
    for (int i = 0; i < 5; i++) {
        b.cfd[i] = tcpfsm_socket(net.n[0].st);
        ck_assert_int_eq(tcpfsm_connect(net.n[0].st, b.cfd[i], SRV_ADDR, 80), -EINPROGRESS);
    }
    net_advance_to(&net, 500000);
    struct tcpfsm_stats ss;
    get_stats(&net, 1, &ss);
    ck_assert_uint_eq(ss.SynCookiesSent, 3);
    b.accepting = true;
    b.send_early = true;
    ck_assert(net_run(&net, pump_backlog, &b, 120000000));
    ck_assert_int_eq(b.accepted, 5);
    struct tcpfsm_stats sc;
    get_stats(&net, 0, &sc);
    ck_assert_uint_eq(sc.AttemptFails + sc.EstabResets, 0);
    get_stats(&net, 1, &ss);
    ck_assert_uint_eq(ss.SynCookiesRecv, 3);
    net_drain(&net, net.now + 1000000);
    for (int i = 0; i < 5; i++) { /* each client's early bytes arrived exactly once */
        char buf[8];
        ck_assert_int_eq(tcpfsm_recv(net.n[1].st, b.sfd[i], buf, sizeof buf), 3);
        ck_assert(memcmp(buf, "abc", 3) == 0);
    }
    net_free(&net);
}
END_TEST

/* RFC 9293 3.6 / 3.10.4: CLOSE means "I have no more to send"; after the client's
 * shutdown(SHUT_WR) the server still sends 100 KB, which the client reads in full before EOF. */
START_TEST(half_close_server_keeps_sending)
{
    const size_t N = 100 * 1024;
    struct net net;
    net_init(&net, NULL, 11);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    uint16_t cport;
    tcpfsm_getname(net.n[0].st, cfd, NULL, &cport, NULL, NULL);
    ck_assert_int_eq(tcpfsm_shutdown(net.n[0].st, cfd, TCPFSM_SHUT_WR), 0);
    ck_assert_int_eq(tcpfsm_send(net.n[0].st, cfd, "x", 1), -EPIPE);
    ck_assert(!(tcpfsm_poll(net.n[0].st, cfd) & TCPFSM_POLLOUT));
    net_drain(&net, 10000000);
    ck_assert_str_eq(fd_state(net.n[0].st, cfd), "FIN_WAIT_2");
    ck_assert_str_eq(fd_state(net.n[1].st, sfd), "CLOSE_WAIT");
    uint8_t c;
    ck_assert_int_eq(tcpfsm_recv(net.n[1].st, sfd, &c, 1), 0); /* the server sees EOF */
    ck_assert(tcpfsm_poll(net.n[1].st, sfd) & TCPFSM_POLLOUT); /* and may still send */

    uint8_t *data = random_bytes(111, N), *rx = malloc(N);
    struct duplex d = {
        .e = {{.st = net.n[0].st, .fd = cfd, .rx = rx, .rxcap = N},
              {.st = net.n[1].st,
               .fd = sfd,
               .tx = data,
               .txlen = N,
               .close_after_send = CLOSE_FULL}},
        .want_eof = {true, false},
    };
    ck_assert(net_run(&net, pump_duplex, &d, 60000000));
    ck_assert_int_eq(d.e[0].err, 0);
    ck_assert_uint_eq(d.e[0].got, N);
    ck_assert(memcmp(rx, data, N) == 0);
    ck_assert(d.e[0].eof);
    ck_assert_int_eq(tcpfsm_recv(net.n[0].st, cfd, &c, 1), 0); /* EOF stays EOF */
    net_drain(&net, 600000000);
    ck_assert_int_eq(tcpfsm_close(net.n[0].st, cfd), 0);
    ck_assert_str_eq(node_path(&net.n[0], cport),
                     "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
    ck_assert_str_eq(node_path(&net.n[1], 80),
                     "CLOSED SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
    free(data);
    free(rx);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.4: sequence numbers are modulo 2^32 and every comparison is made in that
 * arithmetic. With both ISNs at 2^32 - 1000 the SYNs, the data and the FINs cross zero. */
START_TEST(sequence_wraparound)
{
    const size_t N = 300 * 1000;
    const uint32_t isn = (uint32_t)(UINT64_C(4294967296) - 1000);
    struct net net;
    net_init(&net, NULL, 12);
    for (int i = 0; i < 2; i++) {
        net.n[i].st->isn_fixed_set = true;
        net.n[i].st->isn_fixed = isn;
    }
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    struct tcb *tc = net.n[0].st->fds[cfd], *ts = net.n[1].st->fds[sfd];
    ck_assert_uint_eq(tc->snd_una, isn + 1);
    ck_assert_uint_eq(ts->rcv_nxt, isn + 1);
    uint8_t *a = random_bytes(121, N), *b = random_bytes(122, N);
    uint8_t *ra = malloc(N), *rb = malloc(N);
    struct duplex d = {
        .e = {{.st = net.n[0].st,
               .fd = cfd,
               .tx = a,
               .txlen = N,
               .rx = rb,
               .rxcap = N,
               .close_after_send = CLOSE_SHUT_WR},
              {.st = net.n[1].st,
               .fd = sfd,
               .tx = b,
               .txlen = N,
               .rx = ra,
               .rxcap = N,
               .close_after_send = CLOSE_SHUT_WR}},
        .want_eof = {true, true},
    };
    ck_assert(net_run(&net, pump_duplex, &d, 60000000));
    ck_assert_uint_eq(d.e[0].got, N);
    ck_assert_uint_eq(d.e[1].got, N);
    ck_assert(memcmp(ra, a, N) == 0);
    ck_assert(memcmp(rb, b, N) == 0);
    net_drain(&net, net.now + 1000000);
    /* Both sides went past zero: SND.UNA = ISN + 1 (SYN) + N + 1 (FIN), mod 2^32. */
    ck_assert_uint_eq(tc->snd_una, (uint32_t)(isn + 2 + N));
    ck_assert_uint_eq(tc->rcv_nxt, (uint32_t)(isn + 2 + N));
    ck_assert_uint_lt(tc->snd_una, isn);
    ck_assert_uint_eq(ts->snd_una, (uint32_t)(isn + 2 + N));
    struct tcpfsm_stats sc, ss;
    get_stats(&net, 0, &sc);
    get_stats(&net, 1, &ss);
    ck_assert_uint_eq(sc.RetransSegs + ss.RetransSegs, 0);
    ck_assert_uint_eq(sc.OutOfWindowDrops + ss.OutOfWindowDrops, 0);
    ck_assert_uint_eq(sc.PawsDrops + ss.PawsDrops, 0);
    free(a);
    free(b);
    free(ra);
    free(rb);
    net_free(&net);
}
END_TEST

/* RFC 9293 3.1 (the checksum catches corruption), 3.4/3.10.7.4 (duplicates are recognised
 * by sequence number and dropped, out-of-order data is held and reassembled), RFC 6298 and
 * RFC 5681 (loss is repaired by retransmission): 1 MB arrives intact through 5% loss,
 * reordering, duplication and bit flips. */
START_TEST(bulk_through_loss_reorder_dup_corrupt)
{
    const size_t N = 1u << 20;
    struct tcpfsm_config cfg = {.rto_min_us = 200000, .rto_initial_us = 200000};
    struct net net;
    net_init(&net, &cfg, 13);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    struct memlink_impair im = {
        .delay_us = 5000,
        .jitter_us = 500,
        .loss = 0.05,
        .reorder = 0.05,
        .reorder_delay_us = 3000,
        .duplicate = 0.02,
        .corrupt = 0.03,
    };
    net_impair(&net, &im);
    uint8_t *a = random_bytes(131, N), *rb = malloc(N);
    struct duplex d = {
        .e =
            {{.st = net.n[0].st, .fd = cfd, .tx = a, .txlen = N, .close_after_send = CLOSE_SHUT_WR},
             {.st = net.n[1].st, .fd = sfd, .rx = rb, .rxcap = N, .close_after_send = CLOSE_NONE}},
        .want_eof = {false, true},
    };
    ck_assert(net_run(&net, pump_duplex, &d, 3600000000ull));
    ck_assert_int_eq(d.e[0].err, 0);
    ck_assert_int_eq(d.e[1].err, 0);
    ck_assert_uint_eq(d.e[1].got, N);
    ck_assert(memcmp(rb, a, N) == 0);
    struct memlink_stats ab, ba;
    memlink_get_stats(net.l, CLI_ADDR, SRV_ADDR, &ab);
    memlink_get_stats(net.l, SRV_ADDR, CLI_ADDR, &ba);
    ck_assert_uint_gt(ab.lost, 0);
    ck_assert_uint_gt(ab.reordered, 0);
    ck_assert_uint_gt(ab.duplicated, 0);
    ck_assert_uint_gt(ab.corrupted, 0);
    struct tcpfsm_stats sc, ss;
    get_stats(&net, 0, &sc);
    get_stats(&net, 1, &ss);
    /* Every corrupted packet was caught (the memlink flips bits inside one 16-bit word, which
     * the Internet checksum always detects), as a checksum error or a malformed header. */
    net_drain(&net, net.now + 600000000); /* every corrupted packet has arrived */
    get_stats(&net, 0, &sc);
    get_stats(&net, 1, &ss);
    ck_assert_uint_gt(sc.InCsumErrors + ss.InCsumErrors, 0);
    /* A duplicated corrupted packet arrives twice. */
    ck_assert_uint_ge(ss.InCsumErrors + ss.InMalformed, ab.corrupted);
    ck_assert_uint_le(ss.InCsumErrors + ss.InMalformed, ab.corrupted + ab.duplicated);
    ck_assert_uint_ge(sc.InCsumErrors + sc.InMalformed, ba.corrupted);
    ck_assert_uint_le(sc.InCsumErrors + sc.InMalformed, ba.corrupted + ba.duplicated);
    ck_assert_uint_eq(ss.InErrs, ss.InCsumErrors + ss.InMalformed);
    ck_assert_uint_gt(sc.RetransSegs, 0);
    free(a);
    free(rb);
    net_free(&net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_memlink");
    TCase *tc = tcase_create("memlink");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, handshake_three_way);
    tcase_add_test(tc, bulk_1mb_each_way_simultaneously);
    tcase_add_test(tc, graceful_close_from_client);
    tcase_add_test(tc, graceful_close_from_server);
    tcase_add_test(tc, simultaneous_close_through_closing);
    tcase_add_test(tc, simultaneous_open);
    tcase_add_test(tc, connect_to_closed_port_is_refused);
    tcase_add_test(tc, abort_resets_peer);
    tcase_add_test(tc, time_wait_lasts_two_msl);
    tcase_add_test(tc, listen_backlog_full_drops_syn_then_retry);
    tcase_add_test(tc, listen_backlog_full_with_syn_cookies);
    tcase_add_test(tc, half_close_server_keeps_sending);
    tcase_add_test(tc, sequence_wraparound);
    tcase_add_test(tc, bulk_through_loss_reorder_dup_corrupt);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
