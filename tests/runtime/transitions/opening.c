/*
 * opening.c — OPENING: SYN_SENT (RFC 9293 3.10.7.3) and SYN_RCVD, reached by a passive open
 * (a listener's new connection) or a simultaneous open. The rows these states share with the
 * synchronized ones are tested with them: the sequence checks and the SYN challenge in
 * checks.c, T_RTX in timers.c, APP_ABORT in user_calls.c.
 */
#include "tr.h"

/* ===================================================================== SYN_SENT ==== */

START_TEST(syn_sent__rcv_bad_ack__syn_sent)
{
    /* @rfc 9293 3.10.7.3 first: SEG.ACK =< ISS or > SND.NXT: <SEQ=SEG.ACK><CTL=RST> */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_SENT", "RCV_BAD_ACK", NULL, "SYN_SENT");
    uint32_t iss = sc_connect(sc);
    sc_inject(sc, S | A, sc->irs, iss + 100, W, NULL, 0);
    sc_expect(sc, R, iss + 100, 0, 0);
    sc_inject(sc, S | A, sc->irs, iss, W, NULL, 0); /* acks nothing new */
    sc_expect(sc, R, iss, 0, 0);
    NONE();
    STATE("SYN_SENT");
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    /* a RST with an unacceptable ACK is dropped without reply */
    sc_inject(sc, R | A, 0, iss + 100, 0, NULL, 0);
    NONE();
    STATE("SYN_SENT");
    tr_end(sc);
}
END_TEST

START_TEST(syn_sent__rcv_rst_rst_acks_syn__closed)
{
    /* @rfc 9293 3.10.7.3 second: RST with an acceptable ACK: "error: connection reset"
     * (ECONNREFUSED), enter CLOSED, delete the TCB */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_SENT", "RCV_RST", "rst_acks_syn", "CLOSED");
    uint32_t iss = sc_connect(sc);
    struct tcpfsm_stats before = tr_stats(sc);
    sc_inject(sc, R | A, 0, iss + 1, 0, NULL, 0);
    NONE();
    STATE("CLOSED");
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), -ECONNREFUSED);
    EXPECT(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLERR);
    EXPECT_EQ(tcpfsm_send(sc->st, sc->fd, tr_payload, 1), -ECONNREFUSED);
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), -ECONNREFUSED);
    EXPECT(!tcb_lookup(sc->st, SC_LOCAL_ADDR, sc->lport, SC_PEER_ADDR, sc->rport));
    EXPECT(!sc_timer_armed(sc));
    EXPECT_COUNTED(before, ATTEMPT_FAILS);
    tr_end(sc);
}
END_TEST

START_TEST(syn_sent__rcv_rst_else__syn_sent)
{
    /* @rfc 9293 3.10.7.3 second: RST without ACK is dropped */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_SENT", "RCV_RST", "else", "SYN_SENT");
    sc_connect(sc);
    sc_inject(sc, R, sc->irs, 0, 0, NULL, 0);
    NONE();
    STATE("SYN_SENT");
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    tr_end(sc);
}
END_TEST

START_TEST(syn_sent__rcv_syn_ack__established)
{
    /* @rfc 9293 3.10.7.3 fourth: SYN with acceptable ACK: ESTABLISHED,
     * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_SENT", "RCV_SYN_ACK", NULL, "ESTABLISHED");
    uint32_t iss = sc_connect(sc);
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.flags = S | A;
    in.seq = sc->irs;
    in.ack = iss + 1;
    in.wnd = 30000;
    in.opt.has_mss = 1;
    in.opt.mss = 1000;
    sc_inject_in(sc, &in);
    sc_expect(sc, A, iss + 1, sc->irs + 1, 0);
    NONE();
    STATE("ESTABLISHED");
    struct tcpfsm_info info;
    EXPECT_EQ(tcpfsm_get_info(sc->st, sc->fd, &info), 0);
    EXPECT_EQ(info.mss, 1000);
    EXPECT_EQ(info.snd_wnd, 30000);
    EXPECT(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLOUT);
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    EXPECT(!sc_timer_armed(sc)); /* the SYN's retransmission timer stopped */
    tr_end(sc);
}
END_TEST

START_TEST(syn_sent__rcv_syn__syn_rcvd)
{
    /* @rfc 9293 3.10.7.3 fourth: simultaneous open: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_SENT", "RCV_SYN", NULL, "SYN_RCVD");
    ROW("SYN_RCVD", "RCV_ACK", "else", "ESTABLISHED");
    sc_to_syn_rcvd_active(sc);
    /* the peer's SYN-ACK (its answer to our SYN) is a SYN in SYN_RCVD of an active open: it
     * earns a challenge ACK ... */
    sc_inject(sc, S | A, sc->irs, sc->iss + 1, W, NULL, 0);
    STATE("SYN_RCVD");
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0); /* ... and its ACK completes */
    NONE();
    STATE("ESTABLISHED");
    EXPECT(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLOUT);
    tr_end(sc);
}
END_TEST

START_TEST(syn_sent__rcv_icmp_unreach__closed)
{
    /* @rfc 1122 4.2.3.9: "Destination Unreachable -- codes 2-4 are 'hard error' conditions":
     * port unreachable for our SYN, its sequence number checked (RFC 5927 4.1), ends the open
     * with ECONNREFUSED; one quoting a sequence number never sent changes nothing */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_SENT", "RCV_ICMP_UNREACH", NULL, "CLOSED");
    uint32_t iss = sc_connect(sc);
    struct tcpfsm_stats before = tr_stats(sc);
    EXPECT_EQ(sc_inject_icmp_error(sc, 0, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, iss + 1000),
              -EINVAL);
    STATE("SYN_SENT");
    EXPECT_EQ(tr_stats(sc).OutOfWindowIcmps, before.OutOfWindowIcmps + 1);
    EXPECT_EQ(sc_inject_icmp_error(sc, 0, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, iss), 0);
    NONE();
    STATE("CLOSED");
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), -ECONNREFUSED);
    EXPECT(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLERR);
    EXPECT(!sc_timer_armed(sc));
    EXPECT_COUNTED(before, ATTEMPT_FAILS);
    tr_end(sc);
}
END_TEST

START_TEST(syn_sent__app_close__closed)
{
    /* @rfc 9293 3.10.4: CLOSE in SYN-SENT: delete the TCB, nothing is sent */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_SENT", "APP_CLOSE", NULL, "CLOSED");
    sc_connect(sc);
    struct tcpfsm_stats before = tr_stats(sc);
    EXPECT_EQ(tcpfsm_close(sc->st, sc->fd), 0);
    sc->fd = -1;
    NONE();
    STATE("CLOSED");
    EXPECT(!sc_timer_armed(sc));
    EXPECT_COUNTED(before, ATTEMPT_FAILS);
    /* a late SYN-ACK finds no connection: <SEQ=SEG.ACK><CTL=RST> */
    EXPECT_EQ(sc_inject(sc, S | A, sc->irs, sc->iss + 1, W, NULL, 0), -ENOENT);
    sc_expect(sc, R, sc->iss + 1, 0, 0);
    NONE();
    tr_end(sc);
}
END_TEST

/* ===================================================================== SYN_RCVD ==== */

START_TEST(syn_rcvd__rcv_unacceptable_oow_ack_ok__syn_rcvd_old_syn)
{
    /* @rfc 9293 3.10.7.4 first: the peer's SYN again (SEG.SEQ = IRS, left of RCV.NXT) is not
     * acceptable: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, which tells a peer whose SYN-ACK was
     * lost where we are */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_RCVD", "RCV_UNACCEPTABLE", "oow_ack_ok", "SYN_RCVD");
    sc_to_syn_rcvd_passive(sc);
    sc_inject(sc, S, sc->irs, 0, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    STATE("SYN_RCVD");
    tr_end(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_rst_passive_open__closed)
{
    /* @rfc 9293 3.10.7.4 second: SYN-RECEIVED of a passive open "returns to LISTEN": the
     * listener goes on, its new connection ends without a word to the user */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_RCVD", "RCV_RST", "passive_open", "CLOSED");
    sc_to_syn_rcvd_passive(sc);
    struct tcpfsm_stats before = tr_stats(sc);
    sc_inject(sc, R, sc->irs + 1, 0, 0, NULL, 0);
    NONE();
    STATE("CLOSED");             /* the embryo is gone ... */
    FD_STATE(sc->lfd, "LISTEN"); /* ... its listener stays */
    EXPECT_EQ(tcpfsm_accept(sc->st, sc->lfd, NULL, NULL), -EAGAIN);
    EXPECT_EQ(tcpfsm_error(sc->st, sc->lfd), 0);
    EXPECT(!sc_timer_armed(sc));
    EXPECT_COUNTED(before, ATTEMPT_FAILS);
    /* and the listener takes the next SYN */
    sc_inject(sc, S, sc->irs + 5000, 0, W, NULL, 0);
    const struct tcp_seg *s = sc_next(sc);
    EXPECT_EQ(s->flags, S | A);
    EXPECT_EQ(s->ack, sc->irs + 5001);
    NONE();
    tr_end(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_rst_else__closed)
{
    /* @rfc 9293 3.10.7.4 second: SYN-RECEIVED of an active open: connection refused */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_RCVD", "RCV_RST", "else", "CLOSED");
    sc_to_syn_rcvd_active(sc);
    struct tcpfsm_stats before = tr_stats(sc);
    sc_inject(sc, R, sc->irs + 1, 0, 0, NULL, 0);
    NONE();
    STATE("CLOSED");
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), -ECONNREFUSED);
    EXPECT(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLERR);
    EXPECT(!sc_timer_armed(sc));
    EXPECT_COUNTED(before, ATTEMPT_FAILS);
    tr_end(sc);
}
END_TEST

/* SYN_RCVD of both opens: RFC 5961 3.2 holds there as in the synchronized states. */
static const struct {
    const struct tr_state *in;
} syn_rcvd[] = {{&TR_SYN_RCVD_PASSIVE}, {&TR_SYN_RCVD_ACTIVE}};

START_TEST(syn_rcvd__rcv_rst_rst_challenge_ok__syn_rcvd)
{
    /* @rfc 5961 3.2, 9293 3.10.7.4 second: in SYN-RECEIVED too ("all states except SYN-SENT"),
     * a RST in the window but not at RCV.NXT earns a challenge ACK
     * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and the handshake goes on */
    const struct tr_state *in = syn_rcvd[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW("SYN_RCVD", "RCV_RST", "rst_challenge_ok", "SYN_RCVD");
    tr_enter(sc, in);
    struct tcpfsm_stats before = tr_stats(sc);
    sc_inject(sc, R, RCV_NXT(in) + 5, 0, 0, NULL, 0);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    NONE();
    STATE("SYN_RCVD");
    EXPECT_EQ(tr_stats(sc).ChallengeAcks, before.ChallengeAcks + 1);
    EXPECT_EQ(tr_stats(sc).AttemptFails, before.AttemptFails);
    sc_inject(sc, A, RCV_NXT(in), SND_NXT(in), W, NULL, 0); /* the handshake completes */
    NONE();
    STATE("ESTABLISHED");
    tr_end(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_rst_not_rst_exact__syn_rcvd)
{
    /* @rfc 5961 7: over the challenge ACK rate limit (one per second here), an in-window RST
     * that is not at RCV.NXT is dropped without reply, and still ends nothing */
    const struct tr_state *in = syn_rcvd[_i].in;
    struct sc_opts o;
    memset(&o, 0, sizeof o);
    o.challenge_ack_limit = 1;
    struct sc *sc = tr_new(&o);
    ROW("SYN_RCVD", "RCV_RST", "rst_challenge_ok", "SYN_RCVD");
    ROW("SYN_RCVD", "RCV_RST", "!rst_exact", "SYN_RCVD");
    tr_enter(sc, in);
    sc_inject(sc, R, RCV_NXT(in) + 5, 0, 0, NULL, 0);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    sc_inject(sc, R, RCV_NXT(in) + 6, 0, 0, NULL, 0);
    NONE();
    STATE("SYN_RCVD");
    sc_inject(sc, R, RCV_NXT(in), 0, 0, NULL, 0); /* the exact one still ends it */
    NONE();
    STATE("CLOSED");
    tr_end(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_syn_passive_open__closed)
{
    /* @rfc 9293 3.10.7.4 fourth: a SYN in SYN-RECEIVED of a passive open "returns this
     * connection to the LISTEN state": nothing is sent, the new connection ends, the listener
     * goes on */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_RCVD", "RCV_SYN", "passive_open", "CLOSED");
    sc_to_syn_rcvd_passive(sc);
    struct tcpfsm_stats before = tr_stats(sc);
    sc_inject(sc, S, sc->irs + 1000, 0, W, NULL, 0);
    NONE();
    STATE("CLOSED");
    FD_STATE(sc->lfd, "LISTEN");
    EXPECT_EQ(tcpfsm_accept(sc->st, sc->lfd, NULL, NULL), -EAGAIN);
    EXPECT(!sc_timer_armed(sc));
    EXPECT_COUNTED(before, ATTEMPT_FAILS);
    tr_end(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_bad_ack__syn_rcvd)
{
    /* @rfc 9293 3.10.7.4 fifth: SYN-RECEIVED, SEG.ACK > SND.NXT: <SEQ=SEG.ACK><CTL=RST> */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_RCVD", "RCV_BAD_ACK", NULL, "SYN_RCVD");
    sc_to_syn_rcvd_passive(sc);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 100, W, NULL, 0);
    sc_expect(sc, R, sc->iss + 100, 0, 0);
    NONE();
    STATE("SYN_RCVD");
    tr_end(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_ack_not_ack_acceptable__syn_rcvd)
{
    /* @rfc 9293 3.10.7.4 fifth: SEG.ACK =< SND.UNA in SYN-RECEIVED (not SND.UNA < SEG.ACK =<
     * SND.NXT): <SEQ=SEG.ACK><CTL=RST> */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_RCVD", "RCV_ACK", "!ack_acceptable", "SYN_RCVD");
    sc_to_syn_rcvd_active(sc);
    sc_inject(sc, A, sc->irs + 1, sc->iss, W, NULL, 0);
    sc_expect(sc, R, sc->iss, 0, 0);
    NONE();
    STATE("SYN_RCVD");
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    tr_end(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_ack_else__established)
{
    /* @rfc 9293 3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT: enter ESTABLISHED; the listener's
     * new connection is ready to accept */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_RCVD", "RCV_ACK", "else", "ESTABLISHED");
    sc_to_syn_rcvd_passive(sc);
    EXPECT_EQ(tcpfsm_poll(sc->st, sc->lfd), 0);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    NONE();
    STATE("ESTABLISHED");
    EXPECT(tcpfsm_poll(sc->st, sc->lfd) & TCPFSM_POLLIN);
    uint32_t pa = 0;
    uint16_t pp = 0;
    int fd = tcpfsm_accept(sc->st, sc->lfd, &pa, &pp);
    EXPECT(fd >= 0);
    EXPECT_EQ(pa, SC_PEER_ADDR);
    EXPECT_EQ(pp, SC_PEER_PORT);
    FD_STATE(fd, "ESTABLISHED");
    EXPECT(!sc_timer_armed(sc)); /* the SYN-ACK's retransmission timer stopped */
    tr_end(sc);
}
END_TEST

START_TEST(syn_rcvd__app_close__fin_wait_1)
{
    /* @rfc 9293 3.10.4: CLOSE in SYN-RECEIVED with nothing sent or pending: "form a FIN segment
     * and send it, and enter FIN-WAIT-1 state": the FIN goes at once, behind our SYN; the user
     * may send no more */
    struct sc *sc = tr_new(NULL);
    ROW("SYN_RCVD", "APP_CLOSE", NULL, "FIN_WAIT_1");
    sc_to_syn_rcvd_active(sc);
    EXPECT_EQ(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_1");
    EXPECT_EQ(tcpfsm_send(sc->st, sc->fd, tr_payload, 1), -EPIPE);
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    tr_end(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_ack_syn_fin_acked__fin_wait_2)
{
    /* @rfc 9293 3.10.7.4 fifth: one ACK covers the SYN and the FIN sent behind it on a CLOSE in
     * SYN-RECEIVED: FIN-WAIT-2, no timer left */
    struct sc *sc = tr_new(NULL);
    ROW("FIN_WAIT_1", "RCV_ACK", "syn_fin_acked", "FIN_WAIT_2");
    sc_to_syn_rcvd_active(sc);
    EXPECT_EQ(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    sc_inject(sc, A, sc->irs + 1, sc->iss + 2, W, NULL, 0);
    NONE();
    STATE("FIN_WAIT_2");
    tr_end(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_ack_syn_acked__fin_wait_1)
{
    /* @rfc 9293 3.10.7.4 fifth: the ACK of our SYN alone, after a CLOSE in SYN-RECEIVED: the
     * connection is synchronized, the FIN still outstanding (retransmitted at the RTO, the
     * timer restarted by this ACK), and its ACK takes FIN-WAIT-1 to FIN-WAIT-2 */
    struct sc *sc = tr_new(NULL);
    ROW("FIN_WAIT_1", "RCV_ACK", "syn_acked", "FIN_WAIT_1");
    ROW("FIN_WAIT_1", "RCV_ACK", "fin_acked", "FIN_WAIT_2");
    sc_to_syn_rcvd_active(sc);
    EXPECT_EQ(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    NONE();
    STATE("FIN_WAIT_1");
    EXPECT(sc_timer_armed(sc));
    sc_fire_next(sc);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    sc_inject(sc, A, sc->irs + 1, sc->iss + 2, W, NULL, 0);
    NONE();
    STATE("FIN_WAIT_2");
    tr_end(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_ack_syn_acked__fin_wait_1_with_text)
{
    /* @rfc 9293 3.10.7.4 fifth and seventh: the ACK of our SYN carries text: FIN-WAIT-1
     * receives it and acknowledges it (the ACK delayed: the FIN went already) */
    struct sc *sc = tr_new(NULL);
    ROW("FIN_WAIT_1", "RCV_ACK", "syn_acked", "FIN_WAIT_1");
    ROW("FIN_WAIT_1", "RCV_DATA", NULL, "FIN_WAIT_1");
    sc_to_syn_rcvd_active(sc);
    EXPECT_EQ(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, tr_payload, 5);
    NONE();
    EXPECT_EQ(sc_fire_next(sc), 40000); /* the delayed ACK */
    sc_expect(sc, A, sc->iss + 2, sc->irs + 6, 0);
    NONE();
    STATE("FIN_WAIT_1");
    char buf[16];
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 5);
    EXPECT(memcmp(buf, tr_payload, 5) == 0);
    tr_end(sc);
}
END_TEST

START_TEST(fin_wait_1__t_rtx_syn_unacked__fin_wait_1_then_gives_up)
{
    /* @rfc 9293 3.10.4 + 6298 5.4 + 9293 3.8.3 R2: closed before the handshake completed, the
     * SYN-ACK is still outstanding: it is retransmitted with the FIN behind it, and the
     * connection gives up after syn_retries (1 here) */
    struct sc *sc = tr_new_retries(0, 1);
    ROW("FIN_WAIT_1", "T_RTX", "syn_unacked", "FIN_WAIT_1");
    ROW("FIN_WAIT_1", "T_RTX", "give_up", "CLOSED");
    sc_to_syn_rcvd_active(sc);
    EXPECT_EQ(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    EXPECT_EQ(sc_fire_next(sc), 100000);
    sc_expect(sc, S | A, sc->iss, sc->irs + 1, 0);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_1");
    EXPECT_EQ(sc_fire_next(sc), 200000);
    NONE();
    STATE("CLOSED");
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    EXPECT(!sc_timer_armed(sc));
    tr_end(sc);
}
END_TEST

TCase *tr_case_opening(void)
{
    TCase *tc = tcase_create("opening");
    tcase_add_test(tc, syn_sent__rcv_bad_ack__syn_sent);
    tcase_add_test(tc, syn_sent__rcv_rst_rst_acks_syn__closed);
    tcase_add_test(tc, syn_sent__rcv_rst_else__syn_sent);
    tcase_add_test(tc, syn_sent__rcv_syn_ack__established);
    tcase_add_test(tc, syn_sent__rcv_syn__syn_rcvd);
    tcase_add_test(tc, syn_sent__rcv_icmp_unreach__closed);
    tcase_add_test(tc, syn_sent__app_close__closed);
    tcase_add_test(tc, syn_rcvd__rcv_unacceptable_oow_ack_ok__syn_rcvd_old_syn);
    tcase_add_test(tc, syn_rcvd__rcv_rst_passive_open__closed);
    tcase_add_test(tc, syn_rcvd__rcv_rst_else__closed);
    TR_ADD_TABLE_TEST(tc, syn_rcvd__rcv_rst_rst_challenge_ok__syn_rcvd, syn_rcvd);
    TR_ADD_TABLE_TEST(tc, syn_rcvd__rcv_rst_not_rst_exact__syn_rcvd, syn_rcvd);
    tcase_add_test(tc, syn_rcvd__rcv_syn_passive_open__closed);
    tcase_add_test(tc, syn_rcvd__rcv_bad_ack__syn_rcvd);
    tcase_add_test(tc, syn_rcvd__rcv_ack_not_ack_acceptable__syn_rcvd);
    tcase_add_test(tc, syn_rcvd__rcv_ack_else__established);
    tcase_add_test(tc, syn_rcvd__app_close__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__rcv_ack_syn_fin_acked__fin_wait_2);
    tcase_add_test(tc, fin_wait_1__rcv_ack_syn_acked__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__rcv_ack_syn_acked__fin_wait_1_with_text);
    tcase_add_test(tc, fin_wait_1__t_rtx_syn_unacked__fin_wait_1_then_gives_up);
    return tc;
}
