/*
 * user_calls.c — CLOSE and ABORT once a connection exists (RFC 9293 3.10.4, 3.10.5): ABORT
 * from a table of every state that has one, CLOSE state by state. CLOSE and ABORT in CLOSED
 * and LISTEN are in closed_listen.c, CLOSE in SYN_SENT and SYN_RCVD in opening.c.
 */
#include "tr.h"

/* ================================================================= APP_CLOSE ==== */

START_TEST(established__app_close__fin_wait_1)
{
    /* @rfc 9293 3.10.4: CLOSE in ESTABLISHED: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>,
     * FIN-WAIT-1; the FIN is retransmitted until ACKed */
    struct sc *sc = tr_new(NULL);
    ROW("ESTABLISHED", "APP_CLOSE", NULL, "FIN_WAIT_1");
    sc_to_fin_wait_1(sc, true);
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_RTX));
    tr_end(sc);
}
END_TEST

START_TEST(established__app_close__fin_wait_1_after_data)
{
    /* @rfc 9293 3.10.4: "queue this until all preceding SENDs have been segmentized": the FIN
     * follows the text; the user may send no more */
    struct sc *sc = tr_new(NULL);
    ROW("ESTABLISHED", "APP_CLOSE", NULL, "FIN_WAIT_1");
    sc_establish(sc);
    EXPECT_EQ(tr_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 1, 10);
    EXPECT_EQ(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    sc_expect(sc, F | A, sc->iss + 11, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_1");
    EXPECT_EQ(tcpfsm_send(sc->st, sc->fd, tr_payload, 1), -EPIPE);
    tr_end(sc);
}
END_TEST

START_TEST(close_wait__app_close__last_ack)
{
    /* @rfc 9293 3.10.4: CLOSE in CLOSE-WAIT: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=FIN,ACK>, LAST-ACK;
     * the FIN is retransmitted until ACKed */
    struct sc *sc = tr_new(NULL);
    ROW("CLOSE_WAIT", "APP_CLOSE", NULL, "LAST_ACK");
    sc_to_last_ack(sc, true);
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_RTX));
    tr_end(sc);
}
END_TEST

START_TEST(fin_wait_2__app_close__fin_wait_2)
{
    /* @rfc 9293 3.10.4: closing a half-closed connection orphans it: FIN_WAIT_2 enters itself
     * again, and its entry starts the orphan's timeout (2 MSL here): nothing is sent */
    struct sc *sc = tr_new(NULL);
    ROW("FIN_WAIT_2", "APP_CLOSE", NULL, "FIN_WAIT_2");
    ROW("FIN_WAIT_2", "T_2MSL", NULL, "CLOSED");
    sc_to_fin_wait_2(sc, false);
    EXPECT(!sc_timer_armed(sc));
    EXPECT_EQ(tcpfsm_close(sc->st, sc->fd), 0);
    sc->fd = -1;
    NONE();
    STATE("FIN_WAIT_2");
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_2MSL));
    EXPECT_EQ(sc_fire_next(sc), 1000000);
    NONE();
    STATE("CLOSED");
    tr_end(sc);
}
END_TEST

/* ================================================================= APP_ABORT ==== */

static void drv_syn_sent(struct sc *sc)
{
    sc_connect(sc);
}

static const struct tr_state SYN_SENT = {
    .name = "SYN_SENT",
    .route = "connect(): our SYN sent",
    .drive = drv_syn_sent,
    .una = 0,
    .nxt = 1,
    .rcv = 0,
};

/* RFC 9293 3.10.5: "Send a reset segment: <SEQ=SND.NXT><CTL=RST>" in SYN-RECEIVED and the
 * OPEN states; in SYN-SENT, CLOSING, LAST-ACK and TIME-WAIT the TCB is deleted without a
 * word. */
static const struct {
    const struct tr_state *in;
    bool rst;               /* <SEQ=SND.NXT><CTL=RST> is sent */
    enum tr_counter counts; /* RFC 4022 */
} abort_in[] = {
    {.in = &SYN_SENT, .rst = false, .counts = ATTEMPT_FAILS},
    {.in = &TR_SYN_RCVD_ACTIVE, .rst = true, .counts = ATTEMPT_FAILS},
    {.in = &TR_ESTABLISHED, .rst = true, .counts = ESTAB_RESETS},
    {.in = &TR_FIN_WAIT_1, .rst = true, .counts = COUNTS_NEITHER},
    {.in = &TR_FIN_WAIT_2, .rst = true, .counts = COUNTS_NEITHER},
    {.in = &TR_CLOSE_WAIT, .rst = true, .counts = ESTAB_RESETS},
    {.in = &TR_CLOSING, .rst = false, .counts = COUNTS_NEITHER},
    {.in = &TR_LAST_ACK, .rst = false, .counts = COUNTS_NEITHER},
    {.in = &TR_TIME_WAIT, .rst = false, .counts = COUNTS_NEITHER},
};

START_TEST(app_abort__closed)
{
    /* @rfc 9293 3.10.5: ABORT: the RST if the state sends one, the TCB deleted, no timer
     * left, the descriptor gone */
    const struct tr_state *in = abort_in[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "APP_ABORT", NULL, "CLOSED");
    tr_enter(sc, in);
    struct tcpfsm_stats before = tr_stats(sc);
    int fd = sc->fd;
    EXPECT_EQ(tcpfsm_abort(sc->st, fd), 0);
    sc->fd = -1;
    if (abort_in[_i].rst) sc_expect(sc, R, SND_NXT(in), 0, 0);
    NONE();
    STATE("CLOSED");
    EXPECT(!sc_timer_armed(sc));
    EXPECT_EQ(tcpfsm_poll(sc->st, fd), -EBADF);
    EXPECT_COUNTED(before, abort_in[_i].counts);
    /* whatever the peer sends now finds no connection: <SEQ=SEG.ACK><CTL=RST> */
    EXPECT_EQ(sc_inject(sc, A, RCV_NXT(in), SND_NXT(in), W, NULL, 0), -ENOENT);
    sc_expect(sc, R, SND_NXT(in), 0, 0);
    NONE();
    tr_end(sc);
}
END_TEST

START_TEST(established__app_abort__closed_close_with_unread_data)
{
    /* @rfc 9293 3.10.5 via RFC 2525 2.17: close() with unread data aborts:
     * <SEQ=SND.NXT><CTL=RST> */
    struct sc *sc = tr_new(NULL);
    ROW("ESTABLISHED", "APP_ABORT", NULL, "CLOSED");
    sc_establish(sc);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, tr_payload, 10);
    NONE();
    EXPECT_EQ(tcpfsm_close(sc->st, sc->fd), 0);
    sc->fd = -1;
    sc_expect(sc, R, sc->iss + 1, 0, 0);
    NONE();
    STATE("CLOSED");
    tr_end(sc);
}
END_TEST

START_TEST(user_calls__tables_follow_the_spec)
{
    /* every APP_ABORT row of a state with a connection has an entry in the table (those of
     * CLOSED and LISTEN are tested in closed_listen.c) */
    enum { N = sizeof abort_in / sizeof abort_in[0] };
    const char *from[N + 2] = {"CLOSED", "LISTEN"}, *guard[N + 2] = {NULL};
    for (unsigned i = 0; i < N; i++)
        from[i + 2] = abort_in[i].in->name;
    tr_expect_table_at("abort_in", "APP_ABORT", from, guard, N + 2, __FILE__, __LINE__);
}
END_TEST

TCase *tr_case_user_calls(void)
{
    TCase *tc = tcase_create("user_calls");
    tcase_add_test(tc, user_calls__tables_follow_the_spec);
    tcase_add_test(tc, established__app_close__fin_wait_1);
    tcase_add_test(tc, established__app_close__fin_wait_1_after_data);
    tcase_add_test(tc, close_wait__app_close__last_ack);
    tcase_add_test(tc, fin_wait_2__app_close__fin_wait_2);
    TR_ADD_TABLE_TEST(tc, app_abort__closed, abort_in);
    tcase_add_test(tc, established__app_abort__closed_close_with_unread_data);
    return tc;
}
