/*
 * closed_listen.c — CLOSED (RFC 9293 3.10.1, 3.10.4, 3.10.5), a listener (3.10.7.2) and the
 * connections it makes: a new TCB born CLOSED takes SPAWN_SYN (-> SYN_RCVD) or, for a valid
 * SYN cookie, SPAWN_COOKIE (-> ESTABLISHED).
 */
#include "tr.h"

/* ======================================================================= CLOSED ==== */

START_TEST(closed__app_listen__listen)
{
    /* @rfc 9293 3.10.1: OPEN (passive) */
    struct sc *sc = tr_new(NULL);
    ROW("CLOSED", "APP_LISTEN", NULL, "LISTEN");
    int lfd = sc_listen(sc);
    FD_STATE(lfd, "LISTEN");
    NONE();
    tr_end(sc);
}
END_TEST

START_TEST(closed__app_connect__syn_sent)
{
    /* @rfc 9293 3.10.1: OPEN (active): <SEQ=ISS><CTL=SYN>, SND.UNA=ISS, SND.NXT=ISS+1 */
    struct sc *sc = tr_new(NULL);
    ROW("CLOSED", "APP_CONNECT", NULL, "SYN_SENT");
    struct tcpfsm_stats before = tr_stats(sc);
    uint32_t iss = sc_connect(sc);
    const struct tcp_seg *s = &sc->last;
    EXPECT(s->opt.has_mss);
    EXPECT_EQ(s->opt.mss, 1460);
    EXPECT(!s->opt.has_ts && !s->opt.has_wscale && !s->opt.sack_ok);
    EXPECT_EQ(s->wnd, 65535);
    struct tcb *t = sc_tcb(sc);
    EXPECT_EQ(t->snd_una, iss);
    EXPECT_EQ(t->snd_nxt, iss + 1);
    NONE();
    EXPECT_EQ(tcpfsm_poll(sc->st, sc->fd) & (TCPFSM_POLLOUT | TCPFSM_POLLERR), 0);
    EXPECT_EQ(tr_stats(sc).ActiveOpens, before.ActiveOpens + 1); /* RFC 4022 */
    tr_end(sc);
}
END_TEST

START_TEST(closed__app_close__closed)
{
    /* @rfc 9293 3.10.4: CLOSE of a connection that does not exist */
    struct sc *sc = tr_new(NULL);
    ROW("CLOSED", "APP_CLOSE", NULL, "CLOSED");
    int fd = tcpfsm_socket(sc->st);
    EXPECT(fd >= 0);
    EXPECT_EQ(tcpfsm_close(sc->st, fd), 0);
    NONE();
    EXPECT_EQ(tcpfsm_poll(sc->st, fd), -EBADF);
    tr_end(sc);
}
END_TEST

START_TEST(closed__app_abort__closed)
{
    /* @rfc 9293 3.10.5: ABORT of a connection that does not exist */
    struct sc *sc = tr_new(NULL);
    ROW("CLOSED", "APP_ABORT", NULL, "CLOSED");
    int fd = tcpfsm_socket(sc->st);
    EXPECT(fd >= 0);
    EXPECT_EQ(tcpfsm_abort(sc->st, fd), 0);
    NONE();
    EXPECT_EQ(tcpfsm_poll(sc->st, fd), -EBADF);
    tr_end(sc);
}
END_TEST

START_TEST(closed__spawn_syn__syn_rcvd)
{
    /* @rfc 9293 3.10.7.2 third: the listener's new connection takes the SYN: RCV.NXT=SEG.SEQ+1,
     * IRS=SEG.SEQ, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
    struct sc *sc = tr_new(NULL);
    ROW("CLOSED", "SPAWN_SYN", NULL, "SYN_RCVD");
    struct tcpfsm_stats before = tr_stats(sc);
    sc_to_syn_rcvd_passive(sc);
    const struct tcp_seg *s = &sc->last;
    EXPECT(s->opt.has_mss);
    EXPECT_EQ(s->opt.mss, 1460);
    NONE();
    struct tcb *t = sc_tcb(sc);
    EXPECT_EQ(t->rcv_nxt, sc->irs + 1);
    EXPECT_EQ(t->snd_nxt, sc->iss + 1);
    /* not acceptable before the handshake completes */
    EXPECT_EQ(tcpfsm_accept(sc->st, sc->lfd, NULL, NULL), -EAGAIN);
    STATE("SYN_RCVD");
    EXPECT_EQ(tr_stats(sc).PassiveOpens, before.PassiveOpens + 1); /* RFC 4022 */
    tr_end(sc);
}
END_TEST

/* Backlog 1 with one embryonic connection: the next SYN (from port SC_PEER_PORT+1) is answered
 * with a SYN cookie, and the connection under test becomes that one. Returns the cookie (the
 * SYN-ACK's ISS). */
static uint32_t cookie_syn_ack(struct sc *sc)
{
    sc_listen_backlog(sc, 1);
    sc_inject(sc, S, sc->irs, 0, W, NULL, 0);
    EXPECT_EQ(sc_next(sc)->flags, S | A);
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.sport = SC_PEER_PORT + 1;
    in.flags = S;
    in.seq = 5000;
    in.wnd = W;
    in.opt.has_mss = 1;
    in.opt.mss = 1460;
    sc_inject_in(sc, &in);
    sc->rport = SC_PEER_PORT + 1;
    const struct tcp_seg *s = sc_next(sc);
    EXPECT_EQ(s->flags, S | A);
    EXPECT_EQ(s->ack, 5001);
    EXPECT_EQ(s->dport, SC_PEER_PORT + 1);
    NONE();
    return s->seq;
}

START_TEST(closed__spawn_cookie__established)
{
    /* @rfc 4987 3.6: a valid cookie stands for the SYN_RCVD state: the listener's new connection
     * goes from CLOSED straight to ESTABLISHED, and text on that ACK is taken */
    struct sc *sc = tr_new(NULL);
    ROW("CLOSED", "SPAWN_COOKIE", NULL, "ESTABLISHED");
    uint32_t cookie = cookie_syn_ack(sc);
    sc_inject(sc, P | A, 5001, cookie + 1, W, tr_payload, 6);
    NONE(); /* the data's ACK is delayed */
    STATE("ESTABLISHED");
    int fd = tcpfsm_accept(sc->st, sc->lfd, NULL, NULL);
    EXPECT(fd >= 0);
    sc->fd = fd;
    EXPECT_EQ(tr_send(sc, 3), 3); /* our data carries the ACK of the peer's */
    sc_expect(sc, P | A, cookie + 1, 5007, 3);
    NONE();
    char buf[16];
    EXPECT_EQ(tcpfsm_recv(sc->st, fd, buf, sizeof buf), 6);
    EXPECT(memcmp(buf, tr_payload, 6) == 0);
    struct tcpfsm_info info;
    EXPECT_EQ(tcpfsm_get_info(sc->st, fd, &info), 0);
    EXPECT_EQ(info.mss, 1460);
    EXPECT_EQ(tr_stats(sc).SynCookiesRecv, 1);
    tr_end(sc);
}
END_TEST

/* ======================================================================= LISTEN ==== */

START_TEST(listen__rcv_rst__listen)
{
    /* @rfc 9293 3.10.7.2 first: an incoming RST is ignored */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "RCV_RST", NULL, "LISTEN");
    int lfd = sc_listen(sc);
    EXPECT_EQ(sc_inject(sc, R, 12345, 0, 0, NULL, 0), 0);
    sc_inject(sc, R | A, 12345, 999, 0, NULL, 0);
    NONE();
    FD_STATE(lfd, "LISTEN");
    tr_end(sc);
}
END_TEST

START_TEST(listen__rcv_ack_not_cookie_ok__listen)
{
    /* @rfc 9293 3.10.7.2 second: any other ACK in LISTEN (no valid SYN cookie) is answered
     * <SEQ=SEG.ACK><CTL=RST> */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "RCV_ACK", "!cookie_ok", "LISTEN");
    int lfd = sc_listen(sc);
    sc_inject(sc, A, 777, 5555, W, NULL, 0);
    sc_expect(sc, R, 5555, 0, 0);
    sc_inject(sc, P | A, 777, 6666, W, tr_payload, 10);
    sc_expect(sc, R, 6666, 0, 0);
    NONE();
    FD_STATE(lfd, "LISTEN");
    tr_end(sc);
}
END_TEST

START_TEST(listen__rcv_syn_else__listen)
{
    /* @rfc 9293 3.10.7.2 third: the listener stays in LISTEN and makes a new connection for the
     * SYN (spawn_child), which answers <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "RCV_SYN", "else", "LISTEN");
    ROW("CLOSED", "SPAWN_SYN", NULL, "SYN_RCVD");
    int lfd = sc_listen(sc);
    sc_inject(sc, S, sc->irs, 0, W, NULL, 0);
    const struct tcp_seg *s = sc_next(sc);
    EXPECT_EQ(s->flags, S | A);
    EXPECT_EQ(s->ack, sc->irs + 1);
    NONE();
    FD_STATE(lfd, "LISTEN");
    STATE("SYN_RCVD");
    tr_end(sc);
}
END_TEST

START_TEST(listen__rcv_syn_accept_queue_full__listen)
{
    /* @rfc 9293 3.10.7.2 third: no room to queue the connection: the SYN is dropped, the
     * client retries */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "RCV_SYN", "accept_queue_full", "LISTEN");
    sc_listen_backlog(sc, 1);
    sc_inject(sc, S, sc->irs, 0, W, NULL, 0);
    sc->iss = sc_next(sc)->seq;
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0); /* established, not accepted */
    NONE();
    STATE("ESTABLISHED");
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.sport = SC_PEER_PORT + 1;
    in.flags = S;
    in.seq = 5000;
    in.wnd = W;
    EXPECT_EQ(sc_inject_in(sc, &in), 0);
    NONE();
    FD_STATE(sc->lfd, "LISTEN");
    EXPECT(!tcb_lookup(sc->st, SC_LOCAL_ADDR, SC_LISTEN_PORT, SC_PEER_ADDR, SC_PEER_PORT + 1));
    EXPECT_EQ(tr_stats(sc).ListenOverflows, 1);
    tr_end(sc);
}
END_TEST

START_TEST(listen__rcv_syn_syn_queue_full__listen)
{
    /* @rfc 4987 3.6: SYN queue full: answer with a SYN cookie and keep no state */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "RCV_SYN", "syn_queue_full", "LISTEN");
    cookie_syn_ack(sc);
    FD_STATE(sc->lfd, "LISTEN");
    STATE("CLOSED"); /* nothing kept for SC_PEER_PORT+1 */
    EXPECT_EQ(tr_stats(sc).SynCookiesSent, 1);
    tr_end(sc);
}
END_TEST

START_TEST(listen__rcv_ack_else__listen)
{
    /* @rfc 4987 3.6: the ACK carries a valid SYN cookie: the listener stays in LISTEN and makes
     * the connection (spawn_child), already established and ready to accept */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "RCV_ACK", "else", "LISTEN");
    ROW("CLOSED", "SPAWN_COOKIE", NULL, "ESTABLISHED");
    uint32_t cookie = cookie_syn_ack(sc);
    sc_inject(sc, A, 5001, cookie + 1, W, NULL, 0);
    NONE();
    FD_STATE(sc->lfd, "LISTEN");
    STATE("ESTABLISHED");
    EXPECT(tcpfsm_accept(sc->st, sc->lfd, NULL, NULL) >= 0);
    tr_end(sc);
}
END_TEST

START_TEST(listen__rcv_ack_accept_queue_full__listen)
{
    /* @rfc 4987 3.6: a valid cookie but no room in the accept queue: drop it, the client
     * retransmits */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "RCV_ACK", "accept_queue_full", "LISTEN");
    uint32_t cookie = cookie_syn_ack(sc);
    /* the first connection completes and fills the accept queue (backlog 1) */
    sc->rport = SC_PEER_PORT;
    sc_inject(sc, A, sc->irs + 1, sc_tcb(sc)->snd_nxt, W, NULL, 0); /* a SYN-queue record */
    NONE();
    STATE("ESTABLISHED");
    sc->rport = SC_PEER_PORT + 1;
    EXPECT_EQ(sc_inject(sc, A, 5001, cookie + 1, W, NULL, 0), 0);
    NONE();
    STATE("CLOSED");
    FD_STATE(sc->lfd, "LISTEN");
    EXPECT_EQ(tr_stats(sc).ListenDrops, 1);
    tr_end(sc);
}
END_TEST

/* The stack's buffer memory is at max_buffer_bytes: the first connection (sc->rport) holds
 * 3000 unread bytes in a 4 KiB ring, all the budget allows (mem.c). */
static void exhaust_memory(struct sc *sc)
{
    sc->st->cfg.max_buffer_bytes = 4096;
    for (uint32_t off = 0; off < 3000; off += 1500)
        sc_inject(sc, P | A, sc->irs + 1 + off, sc_tcb(sc)->snd_nxt, W, tr_payload_big, 1500);
    sc_drain(sc); /* the ACKs of that text are not what this is about */
    EXPECT_EQ(sc->st->buffer_bytes, 4096);
}

START_TEST(listen__rcv_syn_out_of_memory__listen)
{
    /* @rfc 9293 3.10.1: no resources for another connection: refused, the client is told
     * (<SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>: its connect() fails at once, it does not hang) */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "RCV_SYN", "out_of_memory", "LISTEN");
    sc_establish_passive(sc);
    exhaust_memory(sc);
    struct tcpfsm_stats before = tr_stats(sc);
    sc->rport = SC_PEER_PORT + 1;
    sc_inject(sc, S, 7000, 0, W, NULL, 0);
    sc_expect(sc, R | A, 0, 7001, 0);
    NONE();
    EXPECT_EQ(tr_stats(sc).BufferLimitDrops, before.BufferLimitDrops + 1);
    FD_STATE(sc->lfd, "LISTEN");
    EXPECT(!tcb_lookup(sc->st, SC_LOCAL_ADDR, SC_LISTEN_PORT, SC_PEER_ADDR, sc->rport));
    /* memory back (the bytes read): the next SYN gets its SYN-ACK */
    char buf[4096];
    sc->rport = SC_PEER_PORT;
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 3000);
    sc_drain(sc); /* the window update, if any */
    sc->rport = SC_PEER_PORT + 1;
    sc_inject(sc, S, 7000, 0, W, NULL, 0);
    const struct tcp_seg *s = sc_next(sc);
    EXPECT_EQ(s->flags, S | A);
    EXPECT_EQ(s->ack, 7001);
    NONE();
    tr_end(sc);
}
END_TEST

START_TEST(listen__rcv_ack_out_of_memory__listen)
{
    /* @rfc 9293 3.10.1: a valid cookie but no resources: refused, the client is told */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "RCV_ACK", "out_of_memory", "LISTEN");
    uint32_t cookie = cookie_syn_ack(sc);
    sc->rport = SC_PEER_PORT; /* the first connection completes, then fills memory */
    sc_inject(sc, A, sc->irs + 1, sc_tcb(sc)->snd_nxt, W, NULL, 0);
    NONE();
    STATE("ESTABLISHED");
    exhaust_memory(sc);
    sc->rport = SC_PEER_PORT + 1;
    sc_inject(sc, A, 5001, cookie + 1, W, NULL, 0);
    sc_expect(sc, R, cookie + 1, 0, 0);
    NONE();
    STATE("CLOSED");
    FD_STATE(sc->lfd, "LISTEN");
    tr_end(sc);
}
END_TEST

START_TEST(listen__app_connect__syn_sent)
{
    /* @rfc 9293 3.10.2: SEND in LISTEN turns the connection active: connect() on a listener
     * resets its queued connections, leaves the listener table and sends <SEQ=ISS><CTL=SYN> */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "APP_CONNECT", NULL, "SYN_SENT");
    int lfd = sc_listen(sc);
    /* a new connection in the SYN queue is reset when the listener turns active */
    sc_inject(sc, S, sc->irs, 0, W, NULL, 0);
    const struct tcp_seg *synack = sc_next(sc);
    EXPECT_EQ(synack->flags, S | A);
    uint32_t child_iss = synack->seq;
    EXPECT_EQ(tcpfsm_connect(sc->st, lfd, SC_PEER_ADDR, 81), -EINPROGRESS);
    sc_expect(sc, R, child_iss + 1, 0, 0);
    const struct tcp_seg *syn = sc_next(sc);
    EXPECT_EQ(syn->flags, S);
    EXPECT_EQ(syn->dport, 81);
    NONE();
    FD_STATE(lfd, "SYN_SENT");
    /* no longer a listener: a new SYN to the old port is refused */
    EXPECT_EQ(sc_inject(sc, S, sc->irs + 500, 0, W, NULL, 0), -ENOENT);
    sc_expect(sc, R | A, 0, sc->irs + 501, 0);
    NONE();
    tr_end(sc);
}
END_TEST

START_TEST(listen__app_close__closed)
{
    /* @rfc 9293 3.10.4: CLOSE in LISTEN: delete the TCB */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "APP_CLOSE", NULL, "CLOSED");
    int lfd = sc_listen(sc);
    EXPECT_EQ(tcpfsm_close(sc->st, lfd), 0);
    NONE();
    EXPECT_EQ(tcpfsm_poll(sc->st, lfd), -EBADF);
    /* the port is free: a SYN to it is refused with <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> */
    EXPECT_EQ(sc_inject(sc, S, sc->irs, 0, W, NULL, 0), -ENOENT);
    sc_expect(sc, R | A, 0, sc->irs + 1, 0);
    NONE();
    tr_end(sc);
}
END_TEST

START_TEST(listen__app_close__closed_with_embryo)
{
    /* @rfc 9293 3.10.4: closing a listener resets the connections in its queue: the embryonic
     * one is aborted (9293 3.10.5 SYN-RECEIVED: <SEQ=SND.NXT><CTL=RST>) */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "APP_CLOSE", NULL, "CLOSED");
    ROW("SYN_RCVD", "APP_ABORT", NULL, "CLOSED");
    sc_to_syn_rcvd_passive(sc);
    struct tcpfsm_stats before = tr_stats(sc);
    EXPECT_EQ(tcpfsm_close(sc->st, sc->lfd), 0);
    sc_expect(sc, R, sc->iss + 1, 0, 0);
    NONE();
    STATE("CLOSED");
    EXPECT_COUNTED(before, ATTEMPT_FAILS);
    tr_end(sc);
}
END_TEST

START_TEST(listen__app_abort__closed)
{
    /* @rfc 9293 3.10.5: ABORT in LISTEN */
    struct sc *sc = tr_new(NULL);
    ROW("LISTEN", "APP_ABORT", NULL, "CLOSED");
    int lfd = sc_listen(sc);
    EXPECT_EQ(tcpfsm_abort(sc->st, lfd), 0);
    NONE();
    EXPECT_EQ(tcpfsm_poll(sc->st, lfd), -EBADF);
    tr_end(sc);
}
END_TEST

TCase *tr_case_closed_listen(void)
{
    TCase *tc = tcase_create("closed_listen");
    tcase_add_test(tc, closed__app_listen__listen);
    tcase_add_test(tc, closed__app_connect__syn_sent);
    tcase_add_test(tc, closed__app_close__closed);
    tcase_add_test(tc, closed__app_abort__closed);
    tcase_add_test(tc, closed__spawn_syn__syn_rcvd);
    tcase_add_test(tc, closed__spawn_cookie__established);
    tcase_add_test(tc, listen__rcv_rst__listen);
    tcase_add_test(tc, listen__rcv_syn_out_of_memory__listen);
    tcase_add_test(tc, listen__rcv_syn_accept_queue_full__listen);
    tcase_add_test(tc, listen__rcv_syn_syn_queue_full__listen);
    tcase_add_test(tc, listen__rcv_syn_else__listen);
    tcase_add_test(tc, listen__rcv_ack_not_cookie_ok__listen);
    tcase_add_test(tc, listen__rcv_ack_out_of_memory__listen);
    tcase_add_test(tc, listen__rcv_ack_accept_queue_full__listen);
    tcase_add_test(tc, listen__rcv_ack_else__listen);
    tcase_add_test(tc, listen__app_connect__syn_sent);
    tcase_add_test(tc, listen__app_close__closed);
    tcase_add_test(tc, listen__app_close__closed_with_embryo);
    tcase_add_test(tc, listen__app_abort__closed);
    return tc;
}
