/*
 * timers.c — the timers (RFC 9293 3.8, RFC 6298, 3.8.6.1 persist, 3.8.6.3 delayed ACK, RFC
 * 1122 4.2.3.6 keep-alive, 3.10.8 time-wait), from tables of the states the spec gives each
 * timer a row in. RTO 100 ms (doubling: 100, 200, 400 ms), delayed ACK 40 ms, 2 MSL 1 s.
 */
#include "tr.h"

/* ====================================================== T_RTX: retransmission, R2 ==== */

static void drv_syn_sent(struct sc *sc)
{
    sc_connect(sc);
}

static void drv_established_text(struct sc *sc)
{
    sc_establish(sc);
    EXPECT_EQ(tr_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 1, 10);
    NONE();
}

static void drv_close_wait_text(struct sc *sc)
{
    sc_to_close_wait(sc);
    EXPECT_EQ(tr_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 2, 10);
    NONE();
}

static void drv_fin_wait_1_orphan(struct sc *sc)
{
    sc_to_fin_wait_1(sc, true);
}

static const struct tr_state SYN_SENT = {
    .name = "SYN_SENT",
    .route = "connect(): our SYN sent",
    .drive = drv_syn_sent,
    .una = 0,
    .nxt = 1,
    .rcv = 0,
};
static const struct tr_state ESTABLISHED_TEXT = {
    .name = "ESTABLISHED",
    .route = "10 bytes sent, unacknowledged",
    .drive = drv_established_text,
    .una = 1,
    .nxt = 11,
    .rcv = 1,
};
static const struct tr_state CLOSE_WAIT_TEXT = {
    .name = "CLOSE_WAIT",
    .route = "10 bytes sent after the peer's FIN, unacknowledged",
    .drive = drv_close_wait_text,
    .una = 1,
    .nxt = 11,
    .rcv = 2,
};
static const struct tr_state FIN_WAIT_1_ORPHAN = {
    .name = "FIN_WAIT_1",
    .route = "close() in ESTABLISHED: our FIN at iss+1, no descriptor",
    .drive = drv_fin_wait_1_orphan,
    .una = 1,
    .nxt = 2,
    .rcv = 1,
};

/* What is outstanding in each state the spec retransmits in (OPENING, RETRANSMITTING). */
static const struct {
    const struct tr_state *in;
    const char *give_up;    /* the guard of its R2 row */
    uint8_t flags;          /* the segment retransmitted: flags, */
    uint32_t seq, len;      /* sequence number - ISS and text; it ACKs RCV.NXT */
    enum tr_counter counts; /* RFC 4022, when it gives up */
} rtx[] = {
    {.in = &SYN_SENT,
     .give_up = "syn_give_up",
     .flags = S,
     .seq = 0,
     .len = 0,
     .counts = ATTEMPT_FAILS},
    {.in = &TR_SYN_RCVD_ACTIVE,
     .give_up = "syn_give_up",
     .flags = S | A,
     .seq = 0,
     .len = 0,
     .counts = ATTEMPT_FAILS},
    {.in = &TR_SYN_RCVD_PASSIVE,
     .give_up = "syn_give_up",
     .flags = S | A,
     .seq = 0,
     .len = 0,
     .counts = ATTEMPT_FAILS},
    {.in = &ESTABLISHED_TEXT,
     .give_up = "give_up",
     .flags = P | A,
     .seq = 1,
     .len = 10,
     .counts = ESTAB_RESETS},
    {.in = &CLOSE_WAIT_TEXT,
     .give_up = "give_up",
     .flags = P | A,
     .seq = 1,
     .len = 10,
     .counts = ESTAB_RESETS},
    {.in = &TR_FIN_WAIT_1,
     .give_up = "give_up",
     .flags = F | A,
     .seq = 1,
     .len = 0,
     .counts = COUNTS_NEITHER},
    {.in = &FIN_WAIT_1_ORPHAN,
     .give_up = "give_up",
     .flags = F | A,
     .seq = 1,
     .len = 0,
     .counts = COUNTS_NEITHER},
    {.in = &TR_CLOSING,
     .give_up = "give_up",
     .flags = F | A,
     .seq = 1,
     .len = 0,
     .counts = COUNTS_NEITHER},
    {.in = &TR_LAST_ACK,
     .give_up = "give_up",
     .flags = F | A,
     .seq = 1,
     .len = 0,
     .counts = COUNTS_NEITHER},
};

/* The retransmission of rtx[i]: the same segment, a SYN with its MSS option again. */
static void expect_retransmission(struct sc *sc, unsigned i)
{
    const struct tr_state *in = rtx[i].in;
    const struct tcp_seg *s =
        sc_expect(sc, rtx[i].flags, sc->iss + rtx[i].seq, RCV_NXT(in), rtx[i].len);
    if (rtx[i].flags & S) EXPECT(s->opt.has_mss && s->opt.mss == 1460);
    if (rtx[i].len) EXPECT(memcmp(s->data, tr_payload, rtx[i].len) == 0);
}

START_TEST(t_rtx_else__stay)
{
    /* @rfc 6298 5.4-5.6: the earliest unacknowledged segment (SYN, SYN-ACK, text or FIN) is
     * retransmitted when the RTO expires, and the RTO doubles; the state stays */
    const struct tr_state *in = rtx[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "T_RTX", "else", in->name);
    tr_enter(sc, in);
    EXPECT_EQ(sc_fire_next(sc), 100000);
    expect_retransmission(sc, _i);
    NONE();
    STATE(in->name);
    EXPECT_EQ(sc_fire_next(sc), 200000);
    expect_retransmission(sc, _i);
    NONE();
    STATE(in->name);
    EXPECT(sc_timer_armed(sc));
    tr_end(sc);
}
END_TEST

START_TEST(t_rtx_give_up__closed)
{
    /* @rfc 9293 3.8.3 R2: after max_retries (data, FIN) or syn_retries (SYN, SYN-ACK)
     * retransmissions (2 here) the next expiry gives up: nothing is sent, the connection is
     * closed and reports ETIMEDOUT */
    const struct tr_state *in = rtx[_i].in;
    struct sc *sc = tr_new_retries(2, 2);
    ROW(in->name, "T_RTX", rtx[_i].give_up, "CLOSED");
    tr_enter(sc, in);
    struct tcpfsm_stats before = tr_stats(sc);
    EXPECT_EQ(sc_fire_next(sc), 100000);
    expect_retransmission(sc, _i);
    EXPECT_EQ(sc_fire_next(sc), 200000);
    expect_retransmission(sc, _i);
    NONE();
    EXPECT_EQ(sc_fire_next(sc), 400000);
    NONE();
    STATE("CLOSED");
    EXPECT(!sc_timer_armed(sc));
    EXPECT_COUNTED(before, rtx[_i].counts);
    if (sc->fd >= 0) {
        EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
        EXPECT(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLERR);
        EXPECT_EQ(tcpfsm_send(sc->st, sc->fd, tr_payload, 1), -ETIMEDOUT);
    }
    if (sc->lfd >= 0) FD_STATE(sc->lfd, "LISTEN");
    tr_end(sc);
}
END_TEST

/* =============================================================== T_DELACK ==== */

/* The peer's FIN arrived in ESTABLISHED: its ACK waits for the delayed-ACK timer. */
static void drv_close_wait_ack_owed(struct sc *sc)
{
    sc_establish(sc);
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    NONE();
}

/* The same, at a zero window with text queued, then closed: our FIN waits behind the text,
 * so nothing of ours carries the ACK that is owed. */
static void drv_last_ack_ack_owed(struct sc *sc)
{
    sc_establish(sc);
    tr_zero_window_with_queued_data(sc, 1, 10, 5);
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 11, 0, NULL, 0);
    NONE();
    EXPECT_EQ(tcpfsm_close(sc->st, sc->fd), 0);
    sc->fd = -1;
    NONE();
}

static const struct tr_state CLOSE_WAIT_ACK_OWED = {
    .name = "CLOSE_WAIT",
    .route = "the peer's FIN, its ACK delayed",
    .drive = drv_close_wait_ack_owed,
    .una = 1,
    .nxt = 1,
    .rcv = 2,
};
static const struct tr_state LAST_ACK_ACK_OWED = {
    .name = "LAST_ACK",
    .route = "10 bytes ACKed with a zero window, 5 queued, the peer's FIN, closed",
    .drive = drv_last_ack_ack_owed,
    .una = 11,
    .nxt = 11,
    .rcv = 2,
};

/* States where a delayed ACK can be owed: for text (7 bytes injected by the test), or for the
 * FIN the route received; and whether a timer other than the delayed ACK is left running
 * (a FIN of ours outstanding, or the persist timer). */
static const struct {
    const struct tr_state *in;
    bool text;
    bool other_timer;
} ack_owed[] = {
    {&TR_ESTABLISHED, true, false},    {&TR_FIN_WAIT_1, true, true},
    {&TR_FIN_WAIT_2, true, false},     {&CLOSE_WAIT_ACK_OWED, false, false},
    {&LAST_ACK_ACK_OWED, false, true},
};
/* the delay: the delayed-ACK timeout for text (40 ms here), FIN_ACK_DELAY_US for a FIN */

START_TEST(ack_owed__t_delack__stay)
{
    /* @rfc 9293 3.8.6.3: the ACK of in-order text, or of the FIN, is delayed and sent when
     * the delay (40 ms for text here, 2 ms for a FIN) expires: <SEQ=SND.NXT><ACK=RCV.NXT>
     * <CTL=ACK> */
    const struct tr_state *in = ack_owed[_i].in;
    uint32_t text = ack_owed[_i].text ? 7 : 0;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "T_DELACK", NULL, in->name);
    tr_enter(sc, in);
    if (text) sc_inject(sc, P | A, RCV_NXT(in), SND_UNA(in), W, tr_payload, text);
    NONE();
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_DELACK));
    EXPECT_EQ(sc_fire_next(sc), text ? 40000 : FIN_ACK_DELAY_US);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in) + text, 0);
    NONE();
    STATE(in->name);
    EXPECT(!tcb_timer_armed(sc_tcb(sc), TMR_DELACK));
    EXPECT_EQ(sc_timer_armed(sc), ack_owed[_i].other_timer);
    tr_end(sc);
}
END_TEST

/* ============================================================== T_PERSIST ==== */

/* 10 bytes sent at iss+1 and acknowledged with a zero window, 5 more queued behind it. */
static void drv_established_zero_window(struct sc *sc)
{
    sc_establish(sc);
    tr_zero_window_with_queued_data(sc, 1, 10, 5);
}

static void drv_close_wait_zero_window(struct sc *sc)
{
    sc_to_close_wait(sc);
    tr_zero_window_with_queued_data(sc, 2, 10, 5);
}

static void drv_fin_wait_1_zero_window(struct sc *sc)
{
    drv_established_zero_window(sc);
    EXPECT_EQ(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    NONE(); /* the FIN waits behind the queued text */
}

static void drv_last_ack_zero_window(struct sc *sc)
{
    drv_close_wait_zero_window(sc);
    EXPECT_EQ(tcpfsm_close(sc->st, sc->fd), 0);
    sc->fd = -1;
    NONE();
}

static const struct tr_state ESTABLISHED_ZERO_WINDOW = {
    .name = "ESTABLISHED",
    .route = "10 bytes ACKed with a zero window, 5 queued",
    .drive = drv_established_zero_window,
    .una = 11,
    .nxt = 11,
    .rcv = 1,
};
static const struct tr_state CLOSE_WAIT_ZERO_WINDOW = {
    .name = "CLOSE_WAIT",
    .route = "10 bytes ACKed with a zero window, 5 queued",
    .drive = drv_close_wait_zero_window,
    .una = 11,
    .nxt = 11,
    .rcv = 2,
};
static const struct tr_state FIN_WAIT_1_ZERO_WINDOW = {
    .name = "FIN_WAIT_1",
    .route = "10 bytes ACKed with a zero window, 5 and our FIN queued",
    .drive = drv_fin_wait_1_zero_window,
    .una = 11,
    .nxt = 11,
    .rcv = 1,
};
static const struct tr_state LAST_ACK_ZERO_WINDOW = {
    .name = "LAST_ACK",
    .route = "CLOSE_WAIT, zero window, 5 bytes and our FIN queued, closed",
    .drive = drv_last_ack_zero_window,
    .una = 11,
    .nxt = 11,
    .rcv = 2,
};

static const struct {
    const struct tr_state *in;
    uint8_t rest;          /* the flags of the rest, once the window opens */
    const char *all_acked; /* the state once all of it is acknowledged */
} persist[] = {
    {.in = &ESTABLISHED_ZERO_WINDOW, .rest = P | A, .all_acked = "ESTABLISHED"},
    {.in = &CLOSE_WAIT_ZERO_WINDOW, .rest = P | A, .all_acked = "CLOSE_WAIT"},
    {.in = &FIN_WAIT_1_ZERO_WINDOW, .rest = F | P | A, .all_acked = "FIN_WAIT_2"},
    {.in = &LAST_ACK_ZERO_WINDOW, .rest = F | P | A, .all_acked = "CLOSED"},
};

START_TEST(t_persist__stay)
{
    /* @rfc 9293 3.8.6.1: a zero window is probed with one octet of new data, again and again
     * (backed off) while it stays closed; when it opens the rest (and the FIN) goes out */
    const struct tr_state *in = persist[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "T_PERSIST", NULL, in->name);
    tr_enter(sc, in);
    sc_fire_next(sc);
    sc_expect(sc, A, sc->iss + 11, RCV_NXT(in), 1);
    NONE();
    STATE(in->name);
    EXPECT(tcb_timer_armed(sc_tcb(sc), TMR_PERSIST));        /* the next probe, backed off */
    sc_inject(sc, A, RCV_NXT(in), sc->iss + 12, W, NULL, 0); /* the window opens */
    sc_expect(sc, persist[_i].rest, sc->iss + 12, RCV_NXT(in), 4);
    NONE();
    bool fin = persist[_i].rest & F;
    sc_inject(sc, A, RCV_NXT(in), sc->iss + 16 + fin, W, NULL, 0);
    NONE();
    STATE(persist[_i].all_acked);
    tr_end(sc);
}
END_TEST

/* ============================================================ T_KEEPALIVE ==== */

static void keepalive_on(struct sc *sc)
{
    EXPECT_EQ(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_KEEPALIVE, 1000000), 0);
    NONE();
}

static void drv_established_keepalive(struct sc *sc)
{
    sc_establish(sc);
    keepalive_on(sc);
}

static void drv_close_wait_keepalive(struct sc *sc)
{
    sc_to_close_wait(sc);
    keepalive_on(sc);
}

static void drv_close_wait_keepalive_since_established(struct sc *sc)
{
    drv_established_keepalive(sc);
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    NONE(); /* the FIN's ACK waits FIN_ACK_DELAY_US */
    EXPECT_EQ(sc_fire_next(sc), FIN_ACK_DELAY_US);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 2, 0);
    NONE();
}

static const struct tr_state ESTABLISHED_KEEPALIVE = {
    .name = "ESTABLISHED",
    .route = "keep-alive on, 1 s idle",
    .drive = drv_established_keepalive,
    .una = 1,
    .nxt = 1,
    .rcv = 1,
};
static const struct tr_state CLOSE_WAIT_KEEPALIVE = {
    .name = "CLOSE_WAIT",
    .route = "keep-alive turned on in CLOSE_WAIT, 1 s idle",
    .drive = drv_close_wait_keepalive,
    .una = 1,
    .nxt = 1,
    .rcv = 2,
};
static const struct tr_state CLOSE_WAIT_KEEPALIVE_SINCE_ESTABLISHED = {
    .name = "CLOSE_WAIT",
    .route = "keep-alive turned on in ESTABLISHED, the peer's FIN and its delayed ACK",
    .drive = drv_close_wait_keepalive_since_established,
    .una = 1,
    .nxt = 1,
    .rcv = 2,
};

static const struct {
    const struct tr_state *in;
} keepalive_dead[] = {
    {&ESTABLISHED_KEEPALIVE},
    {&CLOSE_WAIT_KEEPALIVE},
};
/* first_us: the first probe's wait from the route's end (the idle time runs from the peer's
 * last segment: its FIN came FIN_ACK_DELAY_US before the route's end, when its ACK went) */
static const struct {
    const struct tr_state *in;
    uint32_t first_us;
} keepalive_alive[] = {
    {&ESTABLISHED_KEEPALIVE, 1000000},
    {&CLOSE_WAIT_KEEPALIVE_SINCE_ESTABLISHED, 1000000 - FIN_ACK_DELAY_US},
};

START_TEST(sending__t_keepalive_keepalive_dead__closed)
{
    /* @rfc 1122 4.2.3.6: probes <SEQ=SND.NXT-1><ACK=RCV.NXT> every idle interval; the peer
     * answers none of 9: the connection is dead (ETIMEDOUT) */
    const struct tr_state *in = keepalive_dead[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "T_KEEPALIVE", "keepalive_dead", "CLOSED");
    ROW(in->name, "T_KEEPALIVE", "else", in->name);
    tr_enter(sc, in);
    struct tcpfsm_stats before = tr_stats(sc);
    for (int i = 0; i < 9; i++) {
        EXPECT_EQ(sc_fire_next(sc), 1000000);
        sc_expect(sc, A, SND_NXT(in) - 1, RCV_NXT(in), 0);
        NONE();
        STATE(in->name);
    }
    EXPECT_EQ(sc_fire_next(sc), 1000000);
    NONE();
    STATE("CLOSED");
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    EXPECT(!sc_timer_armed(sc));
    EXPECT_COUNTED(before, ESTAB_RESETS);
    tr_end(sc);
}
END_TEST

START_TEST(sending__t_keepalive_else__stay)
{
    /* @rfc 1122 4.2.3.6: after the idle time a probe <SEQ=SND.NXT-1><ACK=RCV.NXT>; the peer's
     * answer shows it alive: the count starts again, the next probe after a full idle time */
    const struct tr_state *in = keepalive_alive[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "T_KEEPALIVE", "else", in->name);
    tr_enter(sc, in);
    EXPECT_EQ(sc_fire_next(sc), keepalive_alive[_i].first_us);
    sc_expect(sc, A, SND_NXT(in) - 1, RCV_NXT(in), 0);
    NONE();
    STATE(in->name);
    sc_inject(sc, A, RCV_NXT(in), SND_NXT(in), W, NULL, 0); /* the peer lives */
    NONE();
    EXPECT_EQ(sc_tcb(sc)->retries, 0);
    EXPECT_EQ(sc_fire_next(sc), 1000000);
    sc_expect(sc, A, SND_NXT(in) - 1, RCV_NXT(in), 0);
    NONE();
    STATE(in->name);
    tr_end(sc);
}
END_TEST

/* ================================================================= T_2MSL ==== */

START_TEST(fin_wait_2__t_2msl__closed)
{
    /* @rfc 9293 3.10.4: an orphaned FIN_WAIT_2 is not kept forever (2 MSL here) */
    struct sc *sc = tr_new(NULL);
    ROW("FIN_WAIT_2", "T_2MSL", NULL, "CLOSED");
    sc_to_fin_wait_2(sc, true);
    EXPECT_EQ(sc_fire_next(sc), 1000000);
    NONE();
    STATE("CLOSED");
    EXPECT(!sc_timer_armed(sc));
    /* the peer's late FIN finds nothing: <SEQ=SEG.ACK><CTL=RST> */
    EXPECT_EQ(sc_inject(sc, F | A, sc->irs + 1, sc->iss + 2, W, NULL, 0), -ENOENT);
    sc_expect(sc, R, sc->iss + 2, 0, 0);
    NONE();
    tr_end(sc);
}
END_TEST

START_TEST(time_wait__t_2msl__closed)
{
    /* @rfc 9293 3.10.8: the time-wait timeout (2 MSL = 1 s here) deletes the TCB (here an
     * orphan's compact record) */
    struct sc *sc = tr_new(NULL);
    ROW("TIME_WAIT", "T_2MSL", NULL, "CLOSED");
    sc_to_time_wait(sc, true);
    EXPECT_EQ(sc_fire_next(sc), 1000000);
    NONE();
    STATE("CLOSED");
    EXPECT(!sc_timer_armed(sc));
    tr_end(sc);
}
END_TEST

START_TEST(time_wait__t_2msl__closed_with_descriptor)
{
    /* @rfc 9293 3.10.8: the time-wait timeout of a connection whose descriptor is still open:
     * CLOSED, the user sees the end of the stream and no error */
    struct sc *sc = tr_new(NULL);
    ROW("TIME_WAIT", "T_2MSL", NULL, "CLOSED");
    sc_to_time_wait(sc, false);
    EXPECT_EQ(sc_fire_next(sc), 1000000);
    NONE();
    STATE("CLOSED");
    EXPECT(!sc_timer_armed(sc));
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), 0);
    tr_end(sc);
}
END_TEST

START_TEST(timers__tables_follow_the_spec)
{
    /* every row of the spec's timer rules tested here by table has an entry, and every entry
     * a row */
    enum { N = sizeof rtx / sizeof rtx[0] };
    const char *from[N], *give_up[N], *otherwise[N];
    for (unsigned i = 0; i < N; i++) {
        from[i] = rtx[i].in->name;
        give_up[i] = rtx[i].give_up;
        otherwise[i] = "else";
    }
    tr_expect_table_at("rtx", "T_RTX", from, give_up, N, __FILE__, __LINE__);
    tr_expect_table_at("rtx", "T_RTX", from, otherwise, N, __FILE__, __LINE__);
    EXPECT_TABLE_FOLLOWS_SPEC(ack_owed, "T_DELACK", NULL);
    EXPECT_TABLE_FOLLOWS_SPEC(persist, "T_PERSIST", NULL);
    EXPECT_TABLE_FOLLOWS_SPEC(keepalive_dead, "T_KEEPALIVE", "keepalive_dead");
    EXPECT_TABLE_FOLLOWS_SPEC(keepalive_alive, "T_KEEPALIVE", "else");
    EXPECT_TABLE_IS_SET(keepalive_dead, SENDING);
}
END_TEST

TCase *tr_case_timers(void)
{
    TCase *tc = tcase_create("timers");
    tcase_add_test(tc, timers__tables_follow_the_spec);
    TR_ADD_TABLE_TEST(tc, t_rtx_else__stay, rtx);
    TR_ADD_TABLE_TEST(tc, t_rtx_give_up__closed, rtx);
    TR_ADD_TABLE_TEST(tc, ack_owed__t_delack__stay, ack_owed);
    TR_ADD_TABLE_TEST(tc, t_persist__stay, persist);
    TR_ADD_TABLE_TEST(tc, sending__t_keepalive_keepalive_dead__closed, keepalive_dead);
    TR_ADD_TABLE_TEST(tc, sending__t_keepalive_else__stay, keepalive_alive);
    tcase_add_test(tc, fin_wait_2__t_2msl__closed);
    tcase_add_test(tc, time_wait__t_2msl__closed);
    tcase_add_test(tc, time_wait__t_2msl__closed_with_descriptor);
    return tc;
}
