/*
 * test_sockopt.c — socket options (tcpfsm_setopt, tcpfsm_getopt): every option's range as
 * tcpfsm.h states it, the value tcpfsm_getopt gives back, and what each option does to the
 * segments on the wire: TCPFSM_OPT_MAXSEG (RFC 9293 3.7.1), TCPFSM_OPT_KEEPALIVE before the
 * connection exists, TCPFSM_OPT_KEEPINTVL and TCPFSM_OPT_KEEPCNT (RFC 1122 4.2.3.6),
 * TCPFSM_OPT_USER_TIMEOUT (RFC 9293 3.10.8, RFC 5482) and TCPFSM_OPT_ABORT_ON_CLOSE (Linux's
 * SO_LINGER {1, 0}: RFC 9293 3.10.5 ABORT on close). A listener's settings are its children's.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "rt_test.h"
#include "scenario.h"
#include "tcp_layer.h"

#define MS 1000u
#define S 1000000u

/* ------------------------------------------------------------------ ranges ---- */

enum sock_kind { FRESH, LISTENER, CONNECTED };

struct opt_case {
    const char *why;
    enum sock_kind on;
    int opt;
    uint64_t value;
    int ret;      /* what tcpfsm_setopt answers */
    uint64_t get; /* what tcpfsm_getopt then gives (checked when ret == 0) */
};

static const struct opt_case opt_cases[] = {
    {"MAXSEG 0: the link's", FRESH, TCPFSM_OPT_MAXSEG, 0, 0, 1460},
    {"MAXSEG 87: below Linux's TCP_MIN_MSS", FRESH, TCPFSM_OPT_MAXSEG, 87, -EINVAL, 0},
    {"MAXSEG 88", FRESH, TCPFSM_OPT_MAXSEG, 88, 0, 88},
    {"MAXSEG 1460: the link's", FRESH, TCPFSM_OPT_MAXSEG, 1460, 0, 1460},
    {"MAXSEG 9000: never more than the link's", FRESH, TCPFSM_OPT_MAXSEG, 9000, 0, 1460},
    {"MAXSEG 65495", FRESH, TCPFSM_OPT_MAXSEG, 65495, 0, 1460},
    {"MAXSEG 65496", FRESH, TCPFSM_OPT_MAXSEG, 65496, -EINVAL, 0},
    {"MAXSEG on a listener", LISTENER, TCPFSM_OPT_MAXSEG, 600, 0, 600},
    {"MAXSEG after the SYN: too late", CONNECTED, TCPFSM_OPT_MAXSEG, 600, -EISCONN, 0},
    {"KEEPINTVL 0", FRESH, TCPFSM_OPT_KEEPINTVL, 0, -EINVAL, 0},
    {"KEEPINTVL 999999 us", FRESH, TCPFSM_OPT_KEEPINTVL, S - 1, -EINVAL, 0},
    {"KEEPINTVL 1 s", FRESH, TCPFSM_OPT_KEEPINTVL, S, 0, S},
    {"KEEPINTVL 1.5 s: whole seconds", CONNECTED, TCPFSM_OPT_KEEPINTVL, 3 * S / 2, 0, S},
    {"KEEPINTVL 32767 s", LISTENER, TCPFSM_OPT_KEEPINTVL, 32767ull * S, 0, 32767ull * S},
    {"KEEPINTVL 32768 s", FRESH, TCPFSM_OPT_KEEPINTVL, 32768ull * S, -EINVAL, 0},
    {"KEEPCNT 0", FRESH, TCPFSM_OPT_KEEPCNT, 0, -EINVAL, 0},
    {"KEEPCNT 1", CONNECTED, TCPFSM_OPT_KEEPCNT, 1, 0, 1},
    {"KEEPCNT 127", LISTENER, TCPFSM_OPT_KEEPCNT, 127, 0, 127},
    {"KEEPCNT 128", FRESH, TCPFSM_OPT_KEEPCNT, 128, -EINVAL, 0},
    {"USER_TIMEOUT 0: the stack's (off)", CONNECTED, TCPFSM_OPT_USER_TIMEOUT, 0, 0, 0},
    {"USER_TIMEOUT 999 us", FRESH, TCPFSM_OPT_USER_TIMEOUT, 999, -EINVAL, 0},
    {"USER_TIMEOUT 1 ms", FRESH, TCPFSM_OPT_USER_TIMEOUT, MS, 0, MS},
    {"USER_TIMEOUT 1.9999 ms: whole ms", CONNECTED, TCPFSM_OPT_USER_TIMEOUT, 1999, 0, MS},
    {"USER_TIMEOUT 2^31-1 ms", LISTENER, TCPFSM_OPT_USER_TIMEOUT, (uint64_t)INT32_MAX *MS, 0,
     (uint64_t)INT32_MAX *MS},
    {"USER_TIMEOUT 2^31 ms", FRESH, TCPFSM_OPT_USER_TIMEOUT, (uint64_t)INT32_MAX *MS + MS, -EINVAL,
     0},
    {"ABORT_ON_CLOSE 1", CONNECTED, TCPFSM_OPT_ABORT_ON_CLOSE, 1, 0, 1},
    {"ABORT_ON_CLOSE 0", LISTENER, TCPFSM_OPT_ABORT_ON_CLOSE, 0, 0, 0},
    {"ABORT_ON_CLOSE 2", FRESH, TCPFSM_OPT_ABORT_ON_CLOSE, 2, -EINVAL, 0},
    {"KEEPALIVE before connect: kept", FRESH, TCPFSM_OPT_KEEPALIVE, 5 * S, 0, 5 * S},
    {"KEEPALIVE on a listener: kept", LISTENER, TCPFSM_OPT_KEEPALIVE, 7 * S, 0, 7 * S},
    {"KEEPALIVE over 65535 s", FRESH, TCPFSM_OPT_KEEPALIVE, 65536ull * S, -EINVAL, 0},
    {"SNDBUF: per stack", CONNECTED, TCPFSM_OPT_SNDBUF, 4096, -EOPNOTSUPP, 0},
    {"option 0", FRESH, 0, 0, -EINVAL, 0},
    {"option 12", FRESH, 12, 0, -EINVAL, 0},
};

static int sock_of(struct sc *sc, enum sock_kind k)
{
    if (k == FRESH) return tcpfsm_socket(sc->st);
    if (k == LISTENER) return sc_listen(sc);
    sc_establish(sc);
    return sc->fd;
}

START_TEST(every_option_range_edge_is_taken_or_refused)
{
    const struct opt_case *c = &opt_cases[_i];
    sc_label("%s", c->why);
    struct sc *sc = sc_new(NULL);
    int fd = sock_of(sc, c->on);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(tcpfsm_setopt(sc->st, fd, c->opt, c->value) == c->ret,
                  "%s: setopt answered %d, want %d", c->why,
                  tcpfsm_setopt(sc->st, fd, c->opt, c->value), c->ret);
    uint64_t v = 12345;
    if (c->ret == 0) {
        ck_assert_int_eq(tcpfsm_getopt(sc->st, fd, c->opt, &v), 0);
        ck_assert_msg(v == c->get, "%s: getopt gives %llu, want %llu", c->why,
                      (unsigned long long)v, (unsigned long long)c->get);
    }
    sc_free(sc);
}
END_TEST

/* The defaults tcpfsm_getopt reports before anything is set, and its refusals. */
START_TEST(getopt_gives_the_defaults_in_use)
{
    struct sc *sc = sc_new(NULL);
    int fd = tcpfsm_socket(sc->st);
    uint64_t v;
    const struct {
        int opt;
        uint64_t want;
    } defaults[] = {
        {TCPFSM_OPT_NODELAY, 0},      {TCPFSM_OPT_KEEPALIVE, 0},      {TCPFSM_OPT_SNDBUF, 65536},
        {TCPFSM_OPT_RCVBUF, 65536},   {TCPFSM_OPT_REUSEADDR, 0},      {TCPFSM_OPT_CORK, 0},
        {TCPFSM_OPT_MAXSEG, 1460},    {TCPFSM_OPT_KEEPINTVL, S},      {TCPFSM_OPT_KEEPCNT, 9},
        {TCPFSM_OPT_USER_TIMEOUT, 0}, {TCPFSM_OPT_ABORT_ON_CLOSE, 0},
    };
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++) {
        ck_assert_int_eq(tcpfsm_getopt(sc->st, fd, defaults[i].opt, &v), 0);
        ck_assert_msg(v == defaults[i].want, "option %d: %llu, want %llu", defaults[i].opt,
                      (unsigned long long)v, (unsigned long long)defaults[i].want);
    }
    /* the interval follows the idle time: a tenth of it */
    ck_assert_int_eq(tcpfsm_setopt(sc->st, fd, TCPFSM_OPT_KEEPALIVE, 50 * S), 0);
    ck_assert_int_eq(tcpfsm_getopt(sc->st, fd, TCPFSM_OPT_KEEPINTVL, &v), 0);
    ck_assert_uint_eq(v, 5 * S);
    ck_assert_int_eq(tcpfsm_getopt(sc->st, fd, TCPFSM_OPT_NODELAY, NULL), -EINVAL);
    ck_assert_int_eq(tcpfsm_getopt(sc->st, fd + 7, TCPFSM_OPT_NODELAY, &v), -EBADF);
    ck_assert_int_eq(tcpfsm_getopt(sc->st, -1, TCPFSM_OPT_NODELAY, &v), -EBADF);
    sc_free(sc);
}
END_TEST

/* ------------------------------------------------------------- on the wire ---- */

/* An active open from a socket set up by the test before connect(): as sc_connect. */
static uint32_t connect_fd(struct sc *sc, int fd)
{
    ck_assert_int_eq(tcpfsm_connect(sc->st, fd, SC_PEER_ADDR, SC_LISTEN_PORT), -EINPROGRESS);
    uint16_t lport = 0;
    tcpfsm_getname(sc->st, fd, NULL, &lport, NULL, NULL);
    sc->fd = fd;
    sc->lport = lport;
    sc->rport = SC_LISTEN_PORT;
    const struct tcp_seg *s = sc_next(sc);
    ck_assert_uint_eq(s->flags, TCP_SYN);
    sc->iss = s->seq;
    return sc->iss;
}

static int inject_mss(struct sc *sc, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t mss)
{
    struct sc_in in = {.flags = flags, .seq = seq, .ack = ack, .wnd = SC_PEER_WND};
    in.opt.has_mss = 1;
    in.opt.mss = mss;
    return sc_inject_in(sc, &in);
}

/* RFC 9293 3.7.1: the MSS set before connect() is the one the SYN offers, and the largest
 * segment sent whatever larger MSS the peer offers. */
START_TEST(maxseg_is_offered_and_bounds_the_segments_sent)
{
    struct sc *sc = sc_new(NULL);
    int fd = tcpfsm_socket(sc->st);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, fd, TCPFSM_OPT_MAXSEG, 500), 0);
    ck_assert_int_eq(tcpfsm_connect(sc->st, fd, SC_PEER_ADDR, SC_LISTEN_PORT), -EINPROGRESS);
    const struct tcp_seg *syn = sc_next(sc);
    ck_assert(syn->opt.has_mss);
    ck_assert_uint_eq(syn->opt.mss, 500);
    sc->fd = fd;
    sc->lport = syn->sport;
    sc->rport = SC_LISTEN_PORT;
    sc->iss = syn->seq;
    inject_mss(sc, TCP_SYN | TCP_ACK, sc->irs, sc->iss + 1, 1460);
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 0);
    uint64_t v;
    ck_assert_int_eq(tcpfsm_getopt(sc->st, fd, TCPFSM_OPT_MAXSEG, &v), 0);
    ck_assert_uint_eq(v, 500);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, fd, TCPFSM_OPT_MAXSEG, 400), -EISCONN);
    static const uint8_t data[1200];
    ck_assert_int_eq(tcpfsm_send(sc->st, fd, data, sizeof data), 1200);
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 500);
    sc_expect(sc, TCP_ACK, sc->iss + 501, sc->irs + 1, 500);
    sc_free(sc);
}
END_TEST

/* A listener's MSS is its children's: offered in the SYN-ACK, and bounding what they send. */
START_TEST(maxseg_of_a_listener_is_its_childrens)
{
    struct sc *sc = sc_new(NULL);
    int lfd = sc_listen(sc);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, lfd, TCPFSM_OPT_MAXSEG, 600), 0);
    inject_mss(sc, TCP_SYN, sc->irs, 0, 1460);
    const struct tcp_seg *sa = sc_next(sc);
    ck_assert_uint_eq(sa->flags, TCP_SYN | TCP_ACK);
    ck_assert_uint_eq(sa->opt.mss, 600);
    sc->iss = sa->seq;
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 1, SC_PEER_WND, NULL, 0);
    int fd = tcpfsm_accept(sc->st, lfd, NULL, NULL);
    ck_assert_int_ge(fd, 0);
    uint64_t v;
    ck_assert_int_eq(tcpfsm_getopt(sc->st, fd, TCPFSM_OPT_MAXSEG, &v), 0);
    ck_assert_uint_eq(v, 600);
    sc_free(sc);
}
END_TEST

/* RFC 1122 4.2.3.6 with the socket's interval and count: idle 2 s, then probes 3 s apart,
 * and after 2 unanswered the connection is dropped (ETIMEDOUT), at 2 + 3 + 3 s. */
START_TEST(keepintvl_and_keepcnt_time_the_probes)
{
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    const uint32_t us = sc->iss + 1, r = sc->irs + 1;
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_KEEPINTVL, 3 * S), 0);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_KEEPCNT, 2), 0);
    tcpfsm_time_t t0 = sc->now;
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_KEEPALIVE, 2 * S), 0);
    sc_fire_next(sc);
    ck_assert_uint_eq(sc->now - t0, 2 * S);
    sc_expect(sc, TCP_ACK, us - 1, r, 0);
    sc_fire_next(sc);
    ck_assert_uint_eq(sc->now - t0, 5 * S);
    sc_expect(sc, TCP_ACK, us - 1, r, 0);
    sc_expect_state(sc, "ESTABLISHED");
    sc_fire_next(sc);
    ck_assert_uint_eq(sc->now - t0, 8 * S);
    sc_expect_none(sc);
    sc_expect_state(sc, "CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    sc_free(sc);
}
END_TEST

/* Keep-alive set before connect() (as SO_KEEPALIVE may be): it runs once the connection is
 * established, the first probe an idle time after the last segment. */
START_TEST(keepalive_set_before_connect_runs_once_established)
{
    struct sc *sc = sc_new(NULL);
    int fd = tcpfsm_socket(sc->st);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, fd, TCPFSM_OPT_KEEPALIVE, 4 * S), 0);
    connect_fd(sc, fd);
    sc_inject(sc, TCP_SYN | TCP_ACK, sc->irs, sc->iss + 1, SC_PEER_WND, NULL, 0);
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 0);
    tcpfsm_time_t t0 = sc->now;
    sc_fire_next(sc);
    ck_assert_uint_eq(sc->now - t0, 4 * S);
    sc_expect(sc, TCP_ACK, sc->iss, sc->irs + 1, 0);
    sc_free(sc);
}
END_TEST

/* RFC 9293 3.10.8 / RFC 5482: the socket's USER TIMEOUT, 2.5 s: data unacknowledged that long
 * ends the connection (ETIMEDOUT), though R2 (8 retransmissions) is far away; the
 * retransmission timer is cut short to expire then. */
START_TEST(user_timeout_of_the_socket_ends_the_connection)
{
    struct sc *sc = sc_new(NULL); /* RTO 100 ms: 100, 200, 400, 800, 1600 ms ... */
    sc_establish(sc);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_USER_TIMEOUT, 2500 * MS), 0);
    tcpfsm_time_t t0 = sc->now;
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, "x", 1), 1);
    sc_expect(sc, TCP_ACK | TCP_PSH, sc->iss + 1, sc->irs + 1, 1);
    while (strcmp(sc_state(sc), "ESTABLISHED") == 0) {
        sc_fire_next(sc);
        sc_drain(sc);
    }
    ck_assert_str_eq(sc_state(sc), "CLOSED");
    ck_assert_uint_ge(sc->now - t0, 2500 * MS); /* timers have 1 ms ticks */
    ck_assert_uint_le(sc->now - t0, 2501 * MS);
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    sc_free(sc);
}
END_TEST

/* Linux's SO_LINGER {1, 0}: close() resets the connection (RFC 9293 3.10.5 ABORT) instead of
 * sending a FIN; set on a listener, the connections it accepts do the same. */
START_TEST(abort_on_close_resets_instead_of_fin)
{
    struct sc *sc = sc_new(NULL);
    int lfd = sc_listen(sc);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, lfd, TCPFSM_OPT_ABORT_ON_CLOSE, 1), 0);
    sc_inject(sc, TCP_SYN, sc->irs, 0, SC_PEER_WND, NULL, 0);
    sc->iss = sc_next(sc)->seq;
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 1, SC_PEER_WND, NULL, 0);
    sc->fd = tcpfsm_accept(sc->st, lfd, NULL, NULL);
    ck_assert_int_ge(sc->fd, 0);
    uint64_t v;
    ck_assert_int_eq(tcpfsm_getopt(sc->st, sc->fd, TCPFSM_OPT_ABORT_ON_CLOSE, &v), 0);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(tcpfsm_close(sc->st, sc->fd), 0);
    sc->fd = -1;
    sc_expect(sc, TCP_RST, sc->iss + 1, 0, 0); /* RFC 9293 3.10.5: <SEQ=SND.NXT><CTL=RST> */
    sc_expect_none(sc);
    sc_expect_state(sc, "CLOSED");
    sc_free(sc);
}
END_TEST

/* Cleared again, close() is graceful. */
START_TEST(abort_on_close_cleared_closes_with_fin)
{
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_ABORT_ON_CLOSE, 1), 0);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_ABORT_ON_CLOSE, 0), 0);
    ck_assert_int_eq(tcpfsm_close(sc->st, sc->fd), 0);
    sc->fd = -1;
    sc_expect(sc, TCP_FIN | TCP_ACK, sc->iss + 1, sc->irs + 1, 0);
    sc_expect_state(sc, "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sockopt");
    TCase *tc = tcase_create("sockopt");
    tcase_add_loop_test(tc, every_option_range_edge_is_taken_or_refused, 0,
                        (int)(sizeof opt_cases / sizeof *opt_cases));
    tcase_add_test(tc, getopt_gives_the_defaults_in_use);
    tcase_add_test(tc, maxseg_is_offered_and_bounds_the_segments_sent);
    tcase_add_test(tc, maxseg_of_a_listener_is_its_childrens);
    tcase_add_test(tc, keepintvl_and_keepcnt_time_the_probes);
    tcase_add_test(tc, keepalive_set_before_connect_runs_once_established);
    tcase_add_test(tc, user_timeout_of_the_socket_ends_the_connection);
    tcase_add_test(tc, abort_on_close_resets_instead_of_fin);
    tcase_add_test(tc, abort_on_close_cleared_closes_with_fin);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
