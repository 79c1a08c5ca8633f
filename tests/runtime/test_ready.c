/*
 * test_ready.c — the readiness interest set (tcpfsm_epoll_ctl / tcpfsm_epoll_wait,
 * runtime/core/ready.c) on two stacks over a memlink: level- and edge-triggered reports and
 * one-shot, each kind of happening (data, the peer's FIN, room made by an ACK, a connection
 * completed, refused or reset, a connection to accept, shutdown), closing a watched socket,
 * argument errors, fairness under a small maxevents, and thousands of watched sockets of which
 * a wait looks only at those with news.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "memnet.h"
#include "rt_test.h"
#include "tcpfsm.h"

#define CLI(net) ((net)->n[0].st)
#define SRV(net) ((net)->n[1].st)
#define IN TCPFSM_POLLIN
#define OUT TCPFSM_POLLOUT
#define ERR TCPFSM_POLLERR
#define HUP TCPFSM_POLLHUP
#define RDHUP TCPFSM_POLLRDHUP

static int watch(struct tcpfsm_stack *st, int fd, uint32_t events)
{
    struct tcpfsm_event ev = {.events = events, .data = 1000u + (uint64_t)fd};
    return tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, fd, &ev);
}

/* One wait of up to 64 reports; returns the events reported for fd (0 if none) and checks
 * that no descriptor is reported twice by one wait. */
static uint32_t wait_for(struct tcpfsm_stack *st, int fd, int *count)
{
    struct tcpfsm_event evs[64];
    int n = tcpfsm_epoll_wait(st, evs, 64);
    ck_assert_int_ge(n, 0);
    uint32_t got = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(evs[i].data, evs[j].data);
        if (evs[i].data == 1000u + (uint64_t)fd) got = evs[i].events;
    }
    if (count) *count = n;
    return got;
}

static void send_all(struct tcpfsm_stack *st, int fd, const char *s)
{
    ck_assert_int_eq(tcpfsm_send(st, fd, s, strlen(s)), (long)strlen(s));
}

/* --------------------------------------------------------------------------------- */

START_TEST(level_triggered_reports_data_on_every_wait_until_read)
{
    struct net net;
    net_init(&net, NULL, 1);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    ck_assert_int_eq(watch(SRV(&net), sfd, IN), 0);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), 0); /* nothing to read yet */
    send_all(CLI(&net), cfd, "hello");
    net_drain(&net, net.now + 1000000);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), IN);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), IN); /* still unread: again */
    char buf[16];
    ck_assert_int_eq(tcpfsm_recv(SRV(&net), sfd, buf, sizeof buf), 5);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), 0);
    ck_assert_uint_eq(tcpfsm_epoll_pending(SRV(&net)), 0); /* ... and off the queue */
    net_free(&net);
}
END_TEST

START_TEST(edge_triggered_reports_once_per_arrival)
{
    struct net net;
    net_init(&net, NULL, 2);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    ck_assert_int_eq(watch(SRV(&net), sfd, IN | TCPFSM_EPOLLET), 0);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), 0);
    send_all(CLI(&net), cfd, "one");
    net_drain(&net, net.now + 1000000);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), IN);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), 0); /* unread, but no news */
    send_all(CLI(&net), cfd, "two");                      /* news: reported although unread */
    net_drain(&net, net.now + 1000000);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), IN);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), 0);
    char buf[16];
    ck_assert_int_eq(tcpfsm_recv(SRV(&net), sfd, buf, sizeof buf), 6);
    net_free(&net);
}
END_TEST

START_TEST(oneshot_is_silent_after_one_report_until_rearmed)
{
    struct net net;
    net_init(&net, NULL, 3);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    ck_assert_int_eq(watch(SRV(&net), sfd, IN | TCPFSM_EPOLLONESHOT), 0);
    send_all(CLI(&net), cfd, "a");
    net_drain(&net, net.now + 1000000);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), IN);
    send_all(CLI(&net), cfd, "b");
    net_drain(&net, net.now + 1000000);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), 0); /* disarmed */
    struct tcpfsm_event ev = {.events = IN | TCPFSM_EPOLLONESHOT, .data = 1000u + (uint64_t)sfd};
    ck_assert_int_eq(tcpfsm_epoll_ctl(SRV(&net), TCPFSM_EPOLL_CTL_MOD, sfd, &ev), 0);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), IN); /* rearmed: what holds is reported */
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), 0);
    net_free(&net);
}
END_TEST

START_TEST(listener_reports_in_when_a_connection_can_be_accepted)
{
    struct net net;
    net_init(&net, NULL, 4);
    int lfd = listen_on(SRV(&net), 80, 8);
    ck_assert_int_eq(watch(SRV(&net), lfd, IN), 0);
    ck_assert_uint_eq(wait_for(SRV(&net), lfd, NULL), 0);
    int cfd = tcpfsm_socket(CLI(&net));
    ck_assert_int_eq(watch(CLI(&net), cfd, OUT), 0);
    ck_assert_uint_eq(wait_for(CLI(&net), cfd, NULL), 0); /* not connected: no room yet */
    ck_assert_int_eq(tcpfsm_connect(CLI(&net), cfd, SRV_ADDR, 80), -EINPROGRESS);
    net_drain(&net, net.now + 1000000);
    ck_assert_uint_eq(wait_for(SRV(&net), lfd, NULL), IN);
    ck_assert_uint_eq(wait_for(CLI(&net), cfd, NULL), OUT); /* connect() completed */
    int sfd = tcpfsm_accept(SRV(&net), lfd, NULL, NULL);
    ck_assert_int_ge(sfd, 0);
    ck_assert_uint_eq(wait_for(SRV(&net), lfd, NULL), 0); /* accept queue empty */
    net_free(&net);
}
END_TEST

START_TEST(refused_connect_reports_err_and_hup)
{
    struct net net;
    net_init(&net, NULL, 5);
    int cfd = tcpfsm_socket(CLI(&net));
    ck_assert_int_eq(watch(CLI(&net), cfd, OUT | RDHUP), 0);
    ck_assert_int_eq(tcpfsm_connect(CLI(&net), cfd, SRV_ADDR, 81), -EINPROGRESS);
    net_drain(&net, net.now + 1000000);
    ck_assert_uint_eq(wait_for(CLI(&net), cfd, NULL), ERR | HUP | RDHUP);
    ck_assert_int_eq(tcpfsm_error(CLI(&net), cfd), -ECONNREFUSED);
    net_free(&net);
}
END_TEST

START_TEST(peer_fin_reports_in_and_rdhup)
{
    struct net net;
    net_init(&net, NULL, 6);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    ck_assert_int_eq(watch(SRV(&net), sfd, IN | RDHUP | TCPFSM_EPOLLET), 0);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), 0);
    ck_assert_int_eq(tcpfsm_shutdown(CLI(&net), cfd, TCPFSM_SHUT_WR), 0);
    net_drain(&net, net.now + 1000000);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), IN | RDHUP);
    char b;
    ck_assert_int_eq(tcpfsm_recv(SRV(&net), sfd, &b, 1), 0); /* end of stream */
    net_free(&net);
}
END_TEST

START_TEST(reset_reports_err_hup_in_and_rdhup)
{
    struct net net;
    net_init(&net, NULL, 7);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    ck_assert_int_eq(watch(SRV(&net), sfd, IN | OUT | RDHUP | TCPFSM_EPOLLET), 0);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), OUT); /* ADD reports what holds */
    ck_assert_int_eq(tcpfsm_abort(CLI(&net), cfd), 0);
    net_drain(&net, net.now + 1000000);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), IN | ERR | HUP | RDHUP);
    ck_assert_int_eq(tcpfsm_error(SRV(&net), sfd), -ECONNRESET);
    net_free(&net);
}
END_TEST

START_TEST(shutdown_rd_reports_in)
{
    struct net net;
    net_init(&net, NULL, 8);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    ck_assert_int_eq(watch(SRV(&net), sfd, IN | TCPFSM_EPOLLET), 0);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), 0);
    ck_assert_int_eq(tcpfsm_shutdown(SRV(&net), sfd, TCPFSM_SHUT_RD), 0);
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, NULL), IN);
    net_free(&net);
}
END_TEST

/* A sender that filled its send buffer hears, edge-triggered, when ACKs make room. */
START_TEST(ack_making_room_reports_out)
{
    struct tcpfsm_config cfg = {.sndbuf = 4096, .rcvbuf = 65536};
    struct net net;
    net_init(&net, &cfg, 9);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    ck_assert_int_eq(watch(CLI(&net), cfd, OUT | TCPFSM_EPOLLET), 0);
    ck_assert_uint_eq(wait_for(CLI(&net), cfd, NULL), OUT);
    static uint8_t blob[8192];
    long n, total = 0;
    while ((n = tcpfsm_send(CLI(&net), cfd, blob, sizeof blob)) > 0)
        total += n;
    ck_assert_int_eq(n, -EAGAIN);
    ck_assert_int_ge(total, 4096);
    ck_assert_uint_eq(wait_for(CLI(&net), cfd, NULL), 0); /* full: no room */
    net_drain(&net, net.now + 1000000);                   /* the server's ACKs come back */
    ck_assert_uint_eq(wait_for(CLI(&net), cfd, NULL), OUT);
    ck_assert_int_gt(tcpfsm_send(CLI(&net), cfd, blob, sizeof blob), 0);
    net_free(&net);
}
END_TEST

START_TEST(closing_a_watched_socket_takes_it_out_of_the_set)
{
    struct net net;
    net_init(&net, NULL, 10);
    int lfd, cfd, sfd;
    net_connect(&net, &lfd, &cfd, &sfd);
    ck_assert_int_eq(watch(SRV(&net), sfd, IN), 0);
    send_all(CLI(&net), cfd, "data");
    net_drain(&net, net.now + 1000000);
    ck_assert_uint_gt(tcpfsm_epoll_pending(SRV(&net)), 0); /* queued ... */
    ck_assert_int_eq(tcpfsm_close(SRV(&net), sfd), 0);     /* ... then closed */
    int count = -1;
    ck_assert_uint_eq(wait_for(SRV(&net), sfd, &count), 0);
    ck_assert_int_eq(count, 0);
    int again = tcpfsm_socket(SRV(&net)); /* the lowest free number: the same one */
    ck_assert_int_eq(again, sfd);
    struct tcpfsm_event ev = {.events = IN};
    ck_assert_int_eq(tcpfsm_epoll_ctl(SRV(&net), TCPFSM_EPOLL_CTL_MOD, again, &ev), -ENOENT);
    ck_assert_int_eq(tcpfsm_epoll_ctl(SRV(&net), TCPFSM_EPOLL_CTL_DEL, again, NULL), -ENOENT);
    net_free(&net);
}
END_TEST

START_TEST(ctl_and_wait_refuse_bad_arguments)
{
    struct net net;
    net_init(&net, NULL, 11);
    struct tcpfsm_stack *st = SRV(&net);
    int fd = tcpfsm_socket(st);
    struct tcpfsm_event ev = {.events = IN}, out[1];
    ck_assert_int_eq(tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, 999, &ev), -EBADF);
    ck_assert_int_eq(tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, -1, &ev), -EBADF);
    ck_assert_int_eq(tcpfsm_epoll_ctl(st, 0, fd, &ev), -EINVAL);
    ck_assert_int_eq(tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, fd, NULL), -EINVAL);
    struct tcpfsm_event bad = {.events = 0x100u};
    ck_assert_int_eq(tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, fd, &bad), -EINVAL);
    ck_assert_int_eq(tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_MOD, fd, &ev), -ENOENT);
    ck_assert_int_eq(tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, fd, &ev), 0);
    ck_assert_int_eq(tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, fd, &ev), -EEXIST);
    ck_assert_int_eq(tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_DEL, fd, NULL), 0);
    ck_assert_int_eq(tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_DEL, fd, NULL), -ENOENT);
    ck_assert_int_eq(tcpfsm_epoll_wait(st, out, 0), -EINVAL);
    ck_assert_int_eq(tcpfsm_epoll_wait(st, NULL, 1), -EINVAL);
    /* an unconnected socket is not ready, a fresh one reports nothing */
    ck_assert_int_eq(tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, fd, &ev), 0);
    ck_assert_int_eq(tcpfsm_epoll_wait(st, out, 1), 0);
    net_free(&net);
}
END_TEST

/* Many ready level-triggered sockets and a small maxevents: every one is served in turn. */
START_TEST(small_maxevents_serves_every_ready_socket_in_turn)
{
    enum { N = 10 };
    struct net net;
    net_init(&net, NULL, 12);
    int lfd = listen_on(SRV(&net), 80, N);
    int cfd[N], sfd[N];
    for (int i = 0; i < N; i++) {
        cfd[i] = tcpfsm_socket(CLI(&net));
        ck_assert_int_eq(tcpfsm_connect(CLI(&net), cfd[i], SRV_ADDR, 80), -EINPROGRESS);
    }
    net_drain(&net, net.now + 1000000);
    for (int i = 0; i < N; i++) {
        sfd[i] = tcpfsm_accept(SRV(&net), lfd, NULL, NULL);
        ck_assert_int_ge(sfd[i], 0);
        ck_assert_int_eq(watch(SRV(&net), sfd[i], IN), 0);
        send_all(CLI(&net), cfd[i], "x");
    }
    net_drain(&net, net.now + 1000000);
    /* level-triggered reports go to the back: the first 10 reports name 10 sockets */
    uint64_t order[12];
    for (int round = 0; round < 4; round++) {
        struct tcpfsm_event evs[3];
        ck_assert_int_eq(tcpfsm_epoll_wait(SRV(&net), evs, 3), 3);
        for (int k = 0; k < 3; k++)
            order[round * 3 + k] = evs[k].data;
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(order[i], order[j]);
    net_free(&net);
}
END_TEST

/* 4,000 watched connections, 3 of them with data: a wait reports exactly those 3, and the
 * queue it looked at held only them (the cost of a wait follows the news, not the set). */
START_TEST(thousands_watched_only_those_with_news_are_queued)
{
    enum { N = 4000 };
    struct tcpfsm_config cfg = {.max_sockets = 2 * N};
    struct net net;
    net_init(&net, &cfg, 13);
    int lfd = listen_on(SRV(&net), 80, N);
    int *cfd = calloc(N, sizeof *cfd), *sfd = calloc(N, sizeof *sfd);
    for (int i = 0; i < N; i++) {
        cfd[i] = tcpfsm_socket(CLI(&net));
        rt_require(tcpfsm_connect(CLI(&net), cfd[i], SRV_ADDR, 80) == -EINPROGRESS);
    }
    net_drain(&net, net.now + 1000000);
    for (int i = 0; i < N; i++) {
        sfd[i] = tcpfsm_accept(SRV(&net), lfd, NULL, NULL);
        rt_require(sfd[i] >= 0);
        rt_require(watch(SRV(&net), sfd[i], IN | TCPFSM_EPOLLET) == 0);
    }
    int count;
    (void)wait_for(SRV(&net), -1, &count); /* CTL_ADD queued each: nothing holds yet */
    ck_assert_int_eq(count, 0);
    ck_assert_uint_eq(tcpfsm_epoll_pending(SRV(&net)), 0);
    const int busy[3] = {7, 1999, 3998};
    for (int k = 0; k < 3; k++)
        send_all(CLI(&net), cfd[busy[k]], "ping");
    net_drain(&net, net.now + 1000000);
    ck_assert_uint_eq(tcpfsm_epoll_pending(SRV(&net)), 3);
    struct tcpfsm_event evs[64];
    int n = tcpfsm_epoll_wait(SRV(&net), evs, 64);
    ck_assert_int_eq(n, 3);
    for (int k = 0; k < 3; k++) {
        bool found = false;
        for (int i = 0; i < n; i++)
            found |= evs[i].data == 1000u + (uint64_t)sfd[busy[k]] && evs[i].events == IN;
        ck_assert(found);
    }
    free(cfd);
    free(sfd);
    net_free(&net);
}
END_TEST

/* A socket refused -ENOBUFS by the stack's buffer memory reports OUT once another
 * connection's memory is freed, though nothing happened to the socket itself. */
START_TEST(socket_refused_for_memory_reports_out_when_memory_is_freed)
{
    struct tcpfsm_config cfg = {.max_buffer_bytes = 8192, .sndbuf = 65536};
    struct net net;
    net_init(&net, &cfg, 14);
    int lfd = listen_on(SRV(&net), 80, 4);
    int a = tcpfsm_socket(CLI(&net)), b = tcpfsm_socket(CLI(&net));
    ck_assert_int_eq(tcpfsm_connect(CLI(&net), a, SRV_ADDR, 80), -EINPROGRESS);
    ck_assert_int_eq(tcpfsm_connect(CLI(&net), b, SRV_ADDR, 80), -EINPROGRESS);
    net_drain(&net, net.now + 1000000);
    int sa = tcpfsm_accept(SRV(&net), lfd, NULL, NULL);
    ck_assert_int_ge(sa, 0);
    /* the server reads nothing from a: fill the client's memory with a's data */
    static uint8_t blob[65536];
    long n;
    int rounds = 0;
    do {
        n = tcpfsm_send(CLI(&net), a, blob, sizeof blob);
        net_drain(&net, net.now + 100000);
    } while (n > 0 && ++rounds < 100);
    long nb = tcpfsm_send(CLI(&net), b, blob, sizeof blob);
    ck_assert_int_eq(nb, -ENOBUFS);
    ck_assert_int_eq(watch(CLI(&net), b, OUT | TCPFSM_EPOLLET), 0);
    ck_assert_uint_eq(wait_for(CLI(&net), b, NULL), 0);
    ck_assert_int_eq(tcpfsm_send(CLI(&net), b, blob, 1), -ENOBUFS); /* now it is waiting */
    ck_assert_uint_eq(wait_for(CLI(&net), b, NULL), 0);
    ck_assert_int_eq(tcpfsm_abort(CLI(&net), a), 0); /* a's memory goes back */
    ck_assert_uint_eq(wait_for(CLI(&net), b, NULL), OUT);
    ck_assert_int_gt(tcpfsm_send(CLI(&net), b, blob, 1), 0);
    net_free(&net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ready");
    TCase *tc = tcase_create("epoll");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, level_triggered_reports_data_on_every_wait_until_read);
    tcase_add_test(tc, edge_triggered_reports_once_per_arrival);
    tcase_add_test(tc, oneshot_is_silent_after_one_report_until_rearmed);
    tcase_add_test(tc, listener_reports_in_when_a_connection_can_be_accepted);
    tcase_add_test(tc, refused_connect_reports_err_and_hup);
    tcase_add_test(tc, peer_fin_reports_in_and_rdhup);
    tcase_add_test(tc, reset_reports_err_hup_in_and_rdhup);
    tcase_add_test(tc, shutdown_rd_reports_in);
    tcase_add_test(tc, ack_making_room_reports_out);
    tcase_add_test(tc, closing_a_watched_socket_takes_it_out_of_the_set);
    tcase_add_test(tc, ctl_and_wait_refuse_bad_arguments);
    tcase_add_test(tc, small_maxevents_serves_every_ready_socket_in_turn);
    tcase_add_test(tc, thousands_watched_only_those_with_news_are_queued);
    tcase_add_test(tc, socket_refused_for_memory_reports_out_when_memory_is_freed);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
