/*
 * segments.c — an acceptable segment in a synchronized state, after the checks of checks.c:
 * RFC 9293 3.10.7.4 fifth (its ACK), seventh (its text) and eighth (its FIN), state by state.
 */
#include "tr.h"

/* ===================================================================== fifth: ACK ==== */

START_TEST(established__rcv_ack__established)
{
    /* @rfc 9293 3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT: SND.UNA = SEG.ACK, the window
     * is updated, the retransmission timer stops (RFC 6298 5.2) */
    struct sc *sc = tr_new(NULL);
    ROW("ESTABLISHED", "RCV_ACK", NULL, "ESTABLISHED");
    sc_establish(sc);
    EXPECT_EQ(tr_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 1, 10);
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_RTX));
    sc_inject(sc, A, sc->irs + 1, sc->iss + 11, 20000, NULL, 0);
    NONE();
    STATE("ESTABLISHED");
    struct tcb *t = sc_tcb(sc);
    EXPECT_EQ(t->snd_una, sc->iss + 11);
    EXPECT_EQ(t->snd_wnd, 20000);
    EXPECT(!sc_timer_armed(sc));
    tr_end(sc);
}
END_TEST

START_TEST(established__rcv_ack__established_zero_window_update)
{
    /* @rfc 9293 3.10.7.4 fifth: SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK: SND.WND = SEG.WND,
     * also when a repeated ACK closes the window; nothing more may be sent (3.8.6.1) */
    struct sc *sc = tr_new(NULL);
    ROW("ESTABLISHED", "RCV_ACK", NULL, "ESTABLISHED");
    sc_establish(sc);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, 0, NULL, 0);
    NONE();
    EXPECT_EQ(sc_tcb(sc)->snd_wnd, 0);
    EXPECT_EQ(tr_send(sc, 3), 3);
    NONE();
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_PERSIST));
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, 100, NULL, 0); /* reopened */
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 1, 3);
    NONE();
    tr_end(sc);
}
END_TEST

START_TEST(close_wait__rcv_ack__close_wait)
{
    /* @rfc 9293 3.10.7.4 fifth: CLOSE-WAIT still sends; its data is ACKed */
    struct sc *sc = tr_new(NULL);
    ROW("CLOSE_WAIT", "RCV_ACK", NULL, "CLOSE_WAIT");
    sc_to_close_wait(sc);
    EXPECT_EQ(tr_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 2, 10);
    sc_inject(sc, A, sc->irs + 2, sc->iss + 11, W, NULL, 0);
    NONE();
    STATE("CLOSE_WAIT");
    EXPECT_EQ(sc_tcb(sc)->snd_una, sc->iss + 11);
    EXPECT(!sc_timer_armed(sc));
    tr_end(sc);
}
END_TEST

START_TEST(fin_wait_2__rcv_ack__fin_wait_2)
{
    /* @rfc 9293 3.10.7.4 fifth: in FIN-WAIT-2 an ACK still updates the window (a repeated
     * ACK may close it, or open it) */
    struct sc *sc = tr_new(NULL);
    ROW("FIN_WAIT_2", "RCV_ACK", NULL, "FIN_WAIT_2");
    sc_to_fin_wait_2(sc, false);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 2, 0, NULL, 0);
    NONE();
    EXPECT_EQ(sc_tcb(sc)->snd_wnd, 0);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 2, 1234, NULL, 0);
    NONE();
    STATE("FIN_WAIT_2");
    EXPECT_EQ(sc_tcb(sc)->snd_wnd, 1234);
    tr_end(sc);
}
END_TEST

/* FIN_SENT states with 10 bytes of text and then our FIN outstanding: the text at iss+1, the
 * FIN at iss+11, SND.NXT = iss+12. */
static void drv_fin_wait_1_after_text(struct sc *sc)
{
    sc_establish(sc);
    EXPECT_EQ(tr_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 1, 10);
    EXPECT_EQ(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    sc_expect(sc, F | A, sc->iss + 11, sc->irs + 1, 0);
    NONE();
}

static void drv_closing_after_text(struct sc *sc)
{
    drv_fin_wait_1_after_text(sc);
    /* the peer's FIN crossed ours and our text: it acknowledges only our SYN */
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 12, sc->irs + 2, 0);
    NONE();
}

static void drv_last_ack_after_text(struct sc *sc)
{
    sc_to_close_wait(sc);
    EXPECT_EQ(tr_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 2, 10);
    EXPECT_EQ(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    sc_expect(sc, F | A, sc->iss + 11, sc->irs + 2, 0);
    NONE();
}

static const struct tr_state FIN_WAIT_1_AFTER_TEXT = {
    .name = "FIN_WAIT_1",
    .route = "10 bytes sent, then our FIN, none acknowledged",
    .drive = drv_fin_wait_1_after_text,
    .una = 1,
    .nxt = 12,
    .rcv = 1,
};
static const struct tr_state CLOSING_AFTER_TEXT = {
    .name = "CLOSING",
    .route = "10 bytes and our FIN sent, the peer's FIN crossed them",
    .drive = drv_closing_after_text,
    .una = 1,
    .nxt = 12,
    .rcv = 2,
};
static const struct tr_state LAST_ACK_AFTER_TEXT = {
    .name = "LAST_ACK",
    .route = "CLOSE_WAIT, 10 bytes sent, then our FIN",
    .drive = drv_last_ack_after_text,
    .una = 1,
    .nxt = 12,
    .rcv = 2,
};

static const struct {
    const struct tr_state *in;
    const char *fin_acked; /* where the ACK of our FIN then takes the connection */
} fin_sent[] = {
    {.in = &FIN_WAIT_1_AFTER_TEXT, .fin_acked = "FIN_WAIT_2"},
    {.in = &CLOSING_AFTER_TEXT, .fin_acked = "TIME_WAIT"},
    {.in = &LAST_ACK_AFTER_TEXT, .fin_acked = "CLOSED"},
};

START_TEST(fin_sent__rcv_ack_else__stay)
{
    /* @rfc 9293 3.10.7.4 fifth: an ACK of our text but not of the FIN after it: SND.UNA
     * advances, the FIN is still outstanding (its retransmission timer runs); the ACK of the
     * FIN then ends the state */
    const struct tr_state *in = fin_sent[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "RCV_ACK", "else", in->name);
    ROW(in->name, "RCV_ACK", "fin_acked", fin_sent[_i].fin_acked);
    tr_enter(sc, in);
    sc_inject(sc, A, RCV_NXT(in), sc->iss + 11, W, NULL, 0);
    NONE();
    STATE(in->name);
    EXPECT_EQ(sc_tcb(sc)->snd_una, sc->iss + 11);
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_RTX));
    sc_inject(sc, A, RCV_NXT(in), sc->iss + 12, W, NULL, 0);
    NONE();
    STATE(fin_sent[_i].fin_acked);
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    tr_end(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_ack_fin_acked__fin_wait_2)
{
    /* @rfc 9293 3.10.7.4 fifth: our FIN is acknowledged: FIN-WAIT-2; a connection the user
     * only shut down for writing has no timer there (it may stay half-open) */
    struct sc *sc = tr_new(NULL);
    ROW("FIN_WAIT_1", "RCV_ACK", "fin_acked", "FIN_WAIT_2");
    sc_to_fin_wait_2(sc, false);
    EXPECT(!sc_timer_armed(sc));
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    tr_end(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_ack_fin_acked__fin_wait_2_then_fin)
{
    /* @rfc 9293 3.10.7.4 fifth and eighth: one segment ACKs our FIN and carries the peer's:
     * FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT, which lasts 2 MSL */
    struct sc *sc = tr_new(NULL);
    ROW("FIN_WAIT_1", "RCV_ACK", "fin_acked", "FIN_WAIT_2");
    ROW("FIN_WAIT_2", "RCV_FIN", NULL, "TIME_WAIT");
    sc_to_fin_wait_1(sc, true);
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 2, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("TIME_WAIT");
    EXPECT_EQ(sc_fire_next(sc), 1000000);
    NONE();
    STATE("CLOSED");
    tr_end(sc);
}
END_TEST

START_TEST(closing__rcv_ack_fin_acked__time_wait)
{
    /* @rfc 9293 3.10.7.4 fifth: CLOSING: our FIN ACKed: TIME-WAIT, for 2 MSL */
    struct sc *sc = tr_new(NULL);
    ROW("CLOSING", "RCV_ACK", "fin_acked", "TIME_WAIT");
    sc_to_closing(sc, false);
    sc_inject(sc, A, sc->irs + 2, sc->iss + 2, W, NULL, 0);
    NONE();
    STATE("TIME_WAIT");
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_2MSL));
    EXPECT_EQ(sc_fire_next(sc), 1000000);
    NONE();
    STATE("CLOSED");
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    tr_end(sc);
}
END_TEST

START_TEST(last_ack__rcv_ack_fin_acked__closed)
{
    /* @rfc 9293 3.10.7.4 fifth: LAST-ACK: our FIN ACKed: delete the TCB, CLOSED */
    struct sc *sc = tr_new(NULL);
    ROW("LAST_ACK", "RCV_ACK", "fin_acked", "CLOSED");
    sc_to_last_ack(sc, false);
    struct tcpfsm_stats before = tr_stats(sc);
    sc_inject(sc, A, sc->irs + 2, sc->iss + 2, W, NULL, 0);
    NONE();
    STATE("CLOSED");
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    EXPECT(!sc_timer_armed(sc));
    EXPECT(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLHUP);
    EXPECT_COUNTED(before, COUNTS_NEITHER); /* a close, not a reset */
    tr_end(sc);
}
END_TEST

/* ================================================================= seventh: text ==== */

static const struct {
    const struct tr_state *in;
} receiving[] = {
    {&TR_ESTABLISHED},
    {&TR_FIN_WAIT_1},
    {&TR_FIN_WAIT_2},
};

START_TEST(receiving__rcv_data__stay)
{
    /* @rfc 9293 3.10.7.4 seventh: in-order text goes to the user and advances RCV.NXT; its ACK
     * is delayed (3.8.6.3), and a second segment is ACKed at once (RFC 1122 4.2.3.2) */
    const struct tr_state *in = receiving[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "RCV_DATA", NULL, in->name);
    tr_enter(sc, in);
    sc_inject(sc, P | A, RCV_NXT(in), SND_UNA(in), W, tr_payload, 10);
    NONE();
    STATE(in->name);
    char buf[32];
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 10);
    EXPECT(memcmp(buf, tr_payload, 10) == 0);
    EXPECT_EQ(sc_tcb(sc)->rcv_nxt, RCV_NXT(in) + 10);
    NONE();
    sc_inject(sc, P | A, RCV_NXT(in) + 10, SND_UNA(in), W, tr_payload + 10, 5);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in) + 15, 0);
    NONE();
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 5);
    EXPECT(memcmp(buf, tr_payload + 10, 5) == 0);
    STATE(in->name);
    tr_end(sc);
}
END_TEST

/* ================================================================== eighth: FIN ==== */

START_TEST(established__rcv_fin__close_wait)
{
    /* @rfc 9293 3.10.7.4 eighth: advance RCV.NXT over the FIN, ACK it, "connection closing":
     * the user reads the end of the stream and may still send. The ACK waits
     * FIN_ACK_DELAY_US (3.8.6.3): sc_to_close_wait sees none at once and the bare ACK then */
    struct sc *sc = tr_new(NULL);
    ROW("ESTABLISHED", "RCV_FIN", NULL, "CLOSE_WAIT");
    sc_to_close_wait(sc);
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), 0); /* end of stream */
    EXPECT(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLIN);
    EXPECT(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLOUT);
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    tr_end(sc);
}
END_TEST

START_TEST(established__rcv_fin__close_in_time_sends_the_ack_with_our_fin)
{
    /* @rfc 9293 3.10.7.4 eighth, 3.8.6.3: a server that closes when it reads the end of the
     * stream, within FIN_ACK_DELAY_US, ACKs the peer's FIN with its own: FIN,ACK and no bare
     * ACK before or after it (three segments close the connection, not four) */
    struct sc *sc = tr_new(NULL);
    ROW("ESTABLISHED", "RCV_FIN", NULL, "CLOSE_WAIT");
    sc_establish(sc);
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    NONE();
    STATE("CLOSE_WAIT");
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_DELACK));
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), 0);
    EXPECT_EQ(tcpfsm_close(sc->st, sc->fd), 0);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 2, 0);
    NONE();
    STATE("LAST_ACK");
    EXPECT(!tcb_timer_armed(sc_tcb(sc), TMR_DELACK)); /* our FIN carried the ACK */
    sc_advance(sc, FIN_ACK_DELAY_US);
    NONE();
    tr_end(sc);
}
END_TEST

START_TEST(established__rcv_fin__close_wait_with_data)
{
    /* @rfc 9293 3.10.7.4 seventh and eighth, 3.8.6.3: text and FIN in one segment, both
     * ACKed by one ACK, FIN_ACK_DELAY_US later (not the 40 ms text alone would wait) */
    struct sc *sc = tr_new(NULL);
    ROW("ESTABLISHED", "RCV_FIN", NULL, "CLOSE_WAIT");
    sc_establish(sc);
    sc_inject(sc, F | P | A, sc->irs + 1, sc->iss + 1, W, tr_payload, 10);
    NONE();
    STATE("CLOSE_WAIT");
    EXPECT_EQ(sc_fire_next(sc), FIN_ACK_DELAY_US);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 12, 0);
    NONE();
    EXPECT(!tcb_timer_armed(sc_tcb(sc), TMR_DELACK));
    char buf[32];
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 10);
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 0);
    tr_end(sc);
}
END_TEST

START_TEST(established__rcv_fin__keeps_an_earlier_delayed_ack)
{
    /* @rfc 9293 3.8.6.3, RFC 1122 4.2.3.2: text armed the delayed ACK 39 ms ago; the FIN
     * after it does not put that ACK off: the one ACK, 1 ms later, covers both */
    struct sc *sc = tr_new(NULL);
    ROW("ESTABLISHED", "RCV_FIN", NULL, "CLOSE_WAIT");
    sc_establish(sc);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, tr_payload, 4);
    NONE();
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_DELACK));
    sc_advance(sc, 39000);
    sc_inject(sc, F | A, sc->irs + 5, sc->iss + 1, W, NULL, 0);
    NONE();
    STATE("CLOSE_WAIT");
    EXPECT_EQ(sc_fire_next(sc), 1000);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 6, 0);
    NONE();
    EXPECT(!tcb_timer_armed(sc_tcb(sc), TMR_DELACK));
    tr_end(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_fin__closing)
{
    /* @rfc 9293 3.10.7.4 eighth: simultaneous close: ACK the FIN, CLOSING */
    struct sc *sc = tr_new(NULL);
    ROW("FIN_WAIT_1", "RCV_FIN", NULL, "CLOSING");
    sc_to_closing(sc, false);
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), 0);
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_RTX)); /* our FIN is still outstanding */
    tr_end(sc);
}
END_TEST

START_TEST(fin_wait_2__rcv_fin__time_wait)
{
    /* @rfc 9293 3.10.7.4 eighth: ACK the FIN, TIME-WAIT, start the 2 MSL timer */
    struct sc *sc = tr_new(NULL);
    ROW("FIN_WAIT_2", "RCV_FIN", NULL, "TIME_WAIT");
    sc_to_time_wait(sc, false);
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_2MSL));
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), 0);
    EXPECT(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLHUP);
    tr_end(sc);
}
END_TEST

/* The peer's FIN has been taken: it comes again when our ACK of it was lost. */
static const struct {
    const struct tr_state *in;
} peer_closed[] = {
    {&TR_CLOSE_WAIT}, {&TR_CLOSING}, {&TR_LAST_ACK}, {&TR_TIME_WAIT}, {&TR_TIME_WAIT_ORPHAN},
};

START_TEST(peer_closed__rcv_fin__ack_again)
{
    /* @rfc 9293 3.10.7.4 eighth: the FIN retransmitted (our ACK of it was lost) is ACKed again,
     * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the state stays */
    const struct tr_state *in = peer_closed[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "RCV_FIN", NULL, in->name);
    tr_enter(sc, in);
    sc_inject(sc, F | A, RCV_NXT(in) - 1, SND_UNA(in), W, NULL, 0);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    NONE();
    STATE(in->name);
    sc_inject(sc, F | A, RCV_NXT(in) - 1, SND_UNA(in), W, NULL, 0); /* and again */
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    NONE();
    STATE(in->name);
    tr_end(sc);
}
END_TEST

static const struct {
    const struct tr_state *in;
} time_wait[] = {
    {&TR_TIME_WAIT},
    {&TR_TIME_WAIT_ORPHAN},
};

START_TEST(time_wait__rcv_fin__time_wait_restarts_2msl)
{
    /* @rfc 9293 3.10.7.4 eighth: TIME-WAIT: the FIN retransmitted is ACKed again and "restart
     * the 2 MSL time-wait timeout" (TIME_WAIT enters itself again: its entry arms 2 MSL) */
    const struct tr_state *in = time_wait[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW("TIME_WAIT", "RCV_FIN", NULL, "TIME_WAIT");
    ROW("TIME_WAIT", "T_2MSL", NULL, "CLOSED");
    tr_enter(sc, in);
    tcpfsm_time_t entered = sc->now;
    sc_advance(sc, 600000);
    STATE("TIME_WAIT");
    sc_inject(sc, F | A, RCV_NXT(in) - 1, SND_UNA(in), W, NULL, 0);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    NONE();
    sc_advance_to(sc, entered + 1000000 + 1000); /* past the first deadline */
    STATE("TIME_WAIT");
    tcpfsm_time_t before = sc->now;
    EXPECT_EQ(before + sc_fire_next(sc), entered + 600000 + 1000000);
    NONE();
    STATE("CLOSED");
    tr_end(sc);
}
END_TEST

START_TEST(segments__tables_follow_the_spec)
{
    /* every row of the spec's rules tested here by table has an entry, and every entry a row */
    EXPECT_TABLE_FOLLOWS_SPEC(fin_sent, "RCV_ACK", "else");
    EXPECT_TABLE_FOLLOWS_SPEC(fin_sent, "RCV_ACK", "fin_acked");
    EXPECT_TABLE_IS_SET(fin_sent, FIN_SENT);
    EXPECT_TABLE_FOLLOWS_SPEC(receiving, "RCV_DATA", NULL);
    EXPECT_TABLE_IS_SET(receiving, RECEIVING);
    EXPECT_TABLE_IS_SET(peer_closed, PEER_CLOSED);
}
END_TEST

TCase *tr_case_segments(void)
{
    TCase *tc = tcase_create("segments");
    tcase_add_test(tc, segments__tables_follow_the_spec);
    tcase_add_test(tc, established__rcv_ack__established);
    tcase_add_test(tc, established__rcv_ack__established_zero_window_update);
    tcase_add_test(tc, close_wait__rcv_ack__close_wait);
    tcase_add_test(tc, fin_wait_2__rcv_ack__fin_wait_2);
    TR_ADD_TABLE_TEST(tc, fin_sent__rcv_ack_else__stay, fin_sent);
    tcase_add_test(tc, fin_wait_1__rcv_ack_fin_acked__fin_wait_2);
    tcase_add_test(tc, fin_wait_1__rcv_ack_fin_acked__fin_wait_2_then_fin);
    tcase_add_test(tc, closing__rcv_ack_fin_acked__time_wait);
    tcase_add_test(tc, last_ack__rcv_ack_fin_acked__closed);
    TR_ADD_TABLE_TEST(tc, receiving__rcv_data__stay, receiving);
    tcase_add_test(tc, established__rcv_fin__close_wait);
    tcase_add_test(tc, established__rcv_fin__close_wait_with_data);
    tcase_add_test(tc, established__rcv_fin__close_in_time_sends_the_ack_with_our_fin);
    tcase_add_test(tc, established__rcv_fin__keeps_an_earlier_delayed_ack);
    tcase_add_test(tc, fin_wait_1__rcv_fin__closing);
    tcase_add_test(tc, fin_wait_2__rcv_fin__time_wait);
    TR_ADD_TABLE_TEST(tc, peer_closed__rcv_fin__ack_again, peer_closed);
    TR_ADD_TABLE_TEST(tc, time_wait__rcv_fin__time_wait_restarts_2msl, time_wait);
    return tc;
}
