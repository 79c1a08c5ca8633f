/*
 * test_reuseaddr.c — "Address already in use": a server that closed first keeps its side of
 * the connection in TIME-WAIT for 2 MSL (RFC 9293 3.6.1), and while it lasts a new socket
 * cannot bind the port (-EADDRINUSE) unless it set TCPFSM_OPT_REUSEADDR (SO_REUSEADDR), as on
 * Linux; after 2 MSL the port is free again. The connection's 4-tuple itself stays taken.
 */
#include <errno.h>
#include <string.h>

#include "rt_test.h"
#include "world.h"

/* The server closes first and its listener too: only the TIME-WAIT record holds the port. */
static void server_in_time_wait(struct world *w)
{
    int l = listen_srv(w, 4), c, s;
    connect_pair(w, l, &c, &s);
    ck_assert_int_eq(tcpfsm_close(w->srv, s), 0);
    ck_assert_int_eq(tcpfsm_close(w->srv, l), 0);
    world_run_for(w, 100000);
    ck_assert_int_eq(tcpfsm_close(w->cli, c), 0);
    world_run_for(w, 100000);
    struct tcpfsm_sockstat ss;
    tcpfsm_sockstat(w->srv, &ss);
    ck_assert_uint_eq(ss.tw, 1);
    ck_assert_uint_eq(ss.inuse, 0);
}

START_TEST(bind_refused_while_time_wait_holds_the_port)
{
    struct world w;
    world_init(&w, NULL, 31);
    server_in_time_wait(&w);
    int fd = tcpfsm_socket(w.srv);
    ck_assert_int_eq(tcpfsm_bind(w.srv, fd, 0, PORT), -EADDRINUSE);
    ck_assert_int_eq(tcpfsm_bind(w.srv, fd, SRV, PORT), -EADDRINUSE);
    ck_assert_int_eq(tcpfsm_bind(w.srv, fd, 0, PORT + 1), 0); /* another port is free */
    /* after 2 MSL (2 x 30 s) the record is gone and the port with it */
    int fd2 = tcpfsm_socket(w.srv);
    world_run_for(&w, 61000000);
    ck_assert_int_eq(tcpfsm_bind(w.srv, fd2, 0, PORT), 0);
    world_free(&w);
}
END_TEST

START_TEST(reuseaddr_binds_and_listens_during_time_wait)
{
    struct world w;
    world_init(&w, NULL, 32);
    server_in_time_wait(&w);
    int fd = tcpfsm_socket(w.srv);
    uint64_t v = 0;
    ck_assert_int_eq(tcpfsm_getopt(w.srv, fd, TCPFSM_OPT_REUSEADDR, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(tcpfsm_setopt(w.srv, fd, TCPFSM_OPT_REUSEADDR, 1), 0);
    ck_assert_int_eq(tcpfsm_bind(w.srv, fd, 0, PORT), 0);
    ck_assert_int_eq(tcpfsm_listen(w.srv, fd, 4), 0);
    /* a new client connection (another port) is accepted by the restarted server */
    int c, s;
    connect_pair(&w, fd, &c, &s);
    struct tcpfsm_sockstat ss;
    tcpfsm_sockstat(w.srv, &ss);
    ck_assert_uint_eq(ss.tw, 1); /* the old connection still serves out its 2 MSL */
    world_free(&w);
}
END_TEST

/* An orphan still closing (FIN-WAIT) holds the port too. */
START_TEST(bind_refused_while_an_orphan_holds_the_port)
{
    struct world w;
    world_init(&w, NULL, 33);
    int l = listen_srv(&w, 4), c, s;
    connect_pair(&w, l, &c, &s);
    ck_assert_int_eq(tcpfsm_close(w.srv, s), 0); /* FIN_WAIT_1, then FIN_WAIT_2: an orphan */
    ck_assert_int_eq(tcpfsm_close(w.srv, l), 0);
    world_run_for(&w, 100000);
    struct tcpfsm_sockstat ss;
    tcpfsm_sockstat(w.srv, &ss);
    ck_assert_uint_eq(ss.orphan, 1);
    int fd = tcpfsm_socket(w.srv);
    ck_assert_int_eq(tcpfsm_bind(w.srv, fd, 0, PORT), -EADDRINUSE);
    ck_assert_int_eq(tcpfsm_setopt(w.srv, fd, TCPFSM_OPT_REUSEADDR, 1), 0);
    ck_assert_int_eq(tcpfsm_bind(w.srv, fd, 0, PORT), 0);
    world_free(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reuseaddr");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, bind_refused_while_time_wait_holds_the_port);
    tcase_add_test(tc, reuseaddr_binds_and_listens_during_time_wait);
    tcase_add_test(tc, bind_refused_while_an_orphan_holds_the_port);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
