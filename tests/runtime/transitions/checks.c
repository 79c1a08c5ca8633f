/*
 * checks.c — the checks RFC 9293 3.10.7.4 makes of a segment in every state that has received
 * a SYN (HAVE_RCVD_SYN: SYN_RCVD and SYNCHRONIZED), written in the spec once per set and
 * tested here once per member, from tables: first the sequence test (RCV_UNACCEPTABLE),
 * second RST (exact: reset; in the window: RFC 5961 challenge ACK), fourth SYN (challenge
 * ACK; in TIME-WAIT a newer SYN may open a new connection instead, RFC 6191), fifth an ACK of
 * something never sent (RCV_BAD_ACK). The answers without text are
 * rate limited: one per 500 ms per connection ([oow_ack_ok], and inside [challenge_ok]) and
 * challenge ACKs per stack per second (RFC 5961 7).
 */
#include "tr.h"

/* In-window, inexact: SEG.SEQ = RCV.NXT + 5 (RFC 5961 3.2, 4.2). */
#define IN_WINDOW 5
/* Right of any window this stack offers (RCV.WND <= 65535 without window scaling). */
#define RIGHT_OF_WINDOW 70000

/* HAVE_RCVD_SYN: a passive SYN_RCVD stands for both ways in (the sequence test does not ask). */
static const struct {
    const struct tr_state *in;
} have_rcvd_syn[] = {
    {&TR_SYN_RCVD_PASSIVE}, {&TR_ESTABLISHED}, {&TR_FIN_WAIT_1}, {&TR_FIN_WAIT_2},
    {&TR_CLOSE_WAIT},       {&TR_CLOSING},     {&TR_LAST_ACK},   {&TR_TIME_WAIT},
};

static const struct {
    const struct tr_state *in;
} synchronized[] = {
    {&TR_ESTABLISHED}, {&TR_FIN_WAIT_1}, {&TR_FIN_WAIT_2}, {&TR_CLOSE_WAIT},
    {&TR_CLOSING},     {&TR_LAST_ACK},   {&TR_TIME_WAIT},
};

/* Where a SYN earns a challenge ACK: the synchronized states, an orphan's TIME_WAIT record, and
 * SYN_RCVD of an active open (a passive one ends: opening.c). */
static const struct {
    const struct tr_state *in;
} syn_challenged[] = {
    {&TR_SYN_RCVD_ACTIVE}, {&TR_ESTABLISHED}, {&TR_FIN_WAIT_1},
    {&TR_FIN_WAIT_2},      {&TR_CLOSE_WAIT},  {&TR_CLOSING},
    {&TR_LAST_ACK},        {&TR_TIME_WAIT},   {&TR_TIME_WAIT_ORPHAN},
};

/* ============================================ first: the sequence test ==== */

START_TEST(have_rcvd_syn__rcv_unacceptable_oow_ack_ok__stay)
{
    /* @rfc 9293 3.10.7.4 first: a segment that is not acceptable is answered
     * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and dropped: with text (right of the window, or an
     * old duplicate) always, without text the first time; an unacceptable RST gets no reply */
    const struct tr_state *in = have_rcvd_syn[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "RCV_UNACCEPTABLE", "oow_ack_ok", in->name);
    tr_enter(sc, in);
    sc_inject(sc, P | A, RCV_NXT(in) + RIGHT_OF_WINDOW, SND_NXT(in), W, tr_payload, 10);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    sc_inject(sc, P | A, RCV_NXT(in) - 20, SND_NXT(in), W, tr_payload, 10);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    sc_inject(sc, A, RCV_NXT(in) + RIGHT_OF_WINDOW, SND_NXT(in), W, NULL, 0);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    sc_inject(sc, R, RCV_NXT(in) + RIGHT_OF_WINDOW, 0, 0, NULL, 0);
    NONE();
    STATE(in->name);
    EXPECT_EQ(sc_tcb(sc)->rcv_nxt, RCV_NXT(in)); /* no text taken */
    tr_end(sc);
}
END_TEST

/* RFC 9293 3.10.7.4 first (unacceptable segment) and fifth (SEG.ACK > SND.NXT): the answer is
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, at most once per 500 ms per connection for a segment
 * without text (Linux's tcp_invalid_ratelimit: no ACK storm can start); one with text is
 * always answered. */
static void answers_rate_limited(const struct tr_state *in, const char *event)
{
    struct sc_opts o;
    memset(&o, 0, sizeof o);
    o.msl_us = 5000000; /* TIME_WAIT outlives the waits below */
    struct sc *sc = tr_new(&o);
    ROW(in->name, event, "else", in->name);
    ROW(in->name, event, "oow_ack_ok", in->name);
    tr_enter(sc, in);
    bool bad_ack = strcmp(event, "RCV_BAD_ACK") == 0;
    uint32_t seq = bad_ack ? RCV_NXT(in) : RCV_NXT(in) + RIGHT_OF_WINDOW;
    uint32_t ack = bad_ack ? SND_NXT(in) + 100 : SND_NXT(in); /* never sent / acceptable */
    sc_inject(sc, A, seq, ack, W, NULL, 0);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    struct tcpfsm_stats before = tr_stats(sc);
    sc_inject(sc, A, seq, ack, W, NULL, 0); /* within 500 ms: not answered */
    NONE();
    EXPECT_EQ(tr_stats(sc).AckSkipped, before.AckSkipped + 1);
    sc_inject(sc, P | A, seq, ack, W, tr_payload, 10); /* the same with text: answered */
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    STATE(in->name);
    sc_advance(sc, 500000);
    sc_drain(sc); /* what the state's own timers sent meanwhile is tested in timers.c */
    sc_inject(sc, A, seq, ack, W, NULL, 0); /* 500 ms later: answered again */
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    NONE();
    STATE(in->name);
    tr_end(sc);
}

START_TEST(have_rcvd_syn__rcv_unacceptable_else__stay)
{
    /* @rfc 9293 3.10.7.4 first: an ACK already answered a segment without text in the last
     * 500 ms: this one is dropped without reply */
    answers_rate_limited(have_rcvd_syn[_i].in, "RCV_UNACCEPTABLE");
}
END_TEST

/* ================================================================ second: RST ==== */

/* What the user sees after a reset (RFC 9293 3.10.7.4 second): OPEN states report "connection
 * reset"; ENDING states had nothing more to deliver or send ("enter CLOSED, delete the TCB,
 * return"). */
static const struct {
    const struct tr_state *in;
    int error, send, recv;  /* tcpfsm_error, tcpfsm_send and tcpfsm_recv after it */
    enum tr_counter counts; /* RFC 4022 */
} rst_exact[] = {
    {.in = &TR_ESTABLISHED,
     .error = -ECONNRESET,
     .send = -ECONNRESET,
     .recv = -ECONNRESET,
     .counts = ESTAB_RESETS},
    {.in = &TR_FIN_WAIT_1,
     .error = -ECONNRESET,
     .send = -ECONNRESET,
     .recv = -ECONNRESET,
     .counts = COUNTS_NEITHER},
    {.in = &TR_FIN_WAIT_2,
     .error = -ECONNRESET,
     .send = -ECONNRESET,
     .recv = -ECONNRESET,
     .counts = COUNTS_NEITHER},
    {.in = &TR_CLOSE_WAIT,
     .error = -ECONNRESET,
     .send = -ECONNRESET,
     .recv = 0 /* EOF */,
     .counts = ESTAB_RESETS},
    {.in = &TR_CLOSING, .error = 0, .send = -EPIPE, .recv = 0, .counts = COUNTS_NEITHER},
    {.in = &TR_LAST_ACK, .error = 0, .send = -EPIPE, .recv = 0, .counts = COUNTS_NEITHER},
    {.in = &TR_TIME_WAIT, .error = 0, .send = -EPIPE, .recv = 0, .counts = COUNTS_NEITHER},
};

START_TEST(synchronized__rcv_rst_rst_exact__closed)
{
    /* @rfc 9293 3.10.7.4 second, 5961 3.2: a RST exactly at RCV.NXT resets the connection:
     * nothing is sent, the TCB is deleted, no timer is left */
    const struct tr_state *in = rst_exact[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "RCV_RST", "rst_exact", "CLOSED");
    tr_enter(sc, in);
    struct tcpfsm_stats before = tr_stats(sc);
    sc_inject(sc, R, RCV_NXT(in), 0, 0, NULL, 0);
    NONE();
    STATE("CLOSED");
    EXPECT(!sc_timer_armed(sc));
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), rst_exact[_i].error);
    EXPECT_EQ(!!(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLERR), rst_exact[_i].error != 0);
    EXPECT_EQ(tcpfsm_send(sc->st, sc->fd, tr_payload, 1), rst_exact[_i].send);
    EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), rst_exact[_i].recv);
    EXPECT_COUNTED(before, rst_exact[_i].counts);
    NONE();
    tr_end(sc);
}
END_TEST

START_TEST(synchronized__rcv_rst_challenge_ok__stay)
{
    /* @rfc 5961 3.2: a RST in the window but not at RCV.NXT earns a challenge ACK
     * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the connection goes on */
    const struct tr_state *in = synchronized[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "RCV_RST", "challenge_ok", in->name);
    tr_enter(sc, in);
    struct tcpfsm_stats before = tr_stats(sc);
    sc_inject(sc, R, RCV_NXT(in) + IN_WINDOW, 0, 0, NULL, 0);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    NONE();
    STATE(in->name);
    EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    EXPECT_EQ(tr_stats(sc).ChallengeAcks, before.ChallengeAcks + 1);
    tr_end(sc);
}
END_TEST

/* With one challenge ACK allowed per second: an in-window, inexact RST (or an in-window SYN)
 * earns <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC 5961 3.2 / 4.2); a second one in the same
 * second is dropped without reply (RFC 5961 7), and one a second later is answered again. */
static void challenges_rate_limited(const struct tr_state *in, const char *event, uint8_t flags)
{
    struct sc_opts o;
    memset(&o, 0, sizeof o);
    o.challenge_ack_limit = 1;
    o.msl_us = 5000000; /* TIME_WAIT outlives the one-second wait below */
    struct sc *sc = tr_new(&o);
    ROW(in->name, event, "else", in->name);
    ROW(in->name, event, "challenge_ok", in->name);
    tr_enter(sc, in);
    uint32_t seq = RCV_NXT(in) + IN_WINDOW;
    sc_inject(sc, flags, seq, 0, W, NULL, 0);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    sc_inject(sc, flags, seq + 1, 0, W, NULL, 0);
    NONE();
    STATE(in->name);
    if (sc->fd >= 0) EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    sc_advance(sc, 1000000);
    STATE(in->name);
    sc_drain(sc); /* what the state's own timers sent meanwhile is tested in timers.c */
    sc_inject(sc, flags, seq + 2, 0, W, NULL, 0);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    NONE();
    tr_end(sc);
}

START_TEST(synchronized__rcv_rst_else__stay)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, an in-window RST is dropped */
    challenges_rate_limited(synchronized[_i].in, "RCV_RST", R);
}
END_TEST

/* ================================================================ fourth: SYN ==== */

START_TEST(rcv_syn_challenge_ok__stay)
{
    /* @rfc 9293 3.10.7.4 fourth, 5961 4.2: a SYN once the peer's SYN was taken earns a
     * challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the connection goes on */
    const struct tr_state *in = syn_challenged[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "RCV_SYN", "challenge_ok", in->name);
    tr_enter(sc, in);
    struct tcpfsm_stats before = tr_stats(sc);
    sc_inject(sc, S, RCV_NXT(in) + IN_WINDOW, 0, W, NULL, 0);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    NONE();
    STATE(in->name);
    if (sc->fd >= 0) EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
    EXPECT_EQ(tr_stats(sc).ChallengeAcks, before.ChallengeAcks + 1);
    tr_end(sc);
}
END_TEST

START_TEST(established__rcv_syn_challenge_ok__established_syn_ack)
{
    /* @rfc 9293 3.10.7.4 fourth, 5961 4.2: a SYN-ACK at RCV.NXT (the peer's SYN-ACK again, or a
     * forged one) is a SYN like any other: a challenge ACK, no ACK processing */
    struct sc *sc = tr_new(NULL);
    ROW("ESTABLISHED", "RCV_SYN", "challenge_ok", "ESTABLISHED");
    sc_establish(sc);
    sc_inject(sc, S | A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    STATE("ESTABLISHED");
    tr_end(sc);
}
END_TEST

START_TEST(rcv_syn_else__stay)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, a SYN is dropped */
    challenges_rate_limited(syn_challenged[_i].in, "RCV_SYN", S);
}
END_TEST

/* A server that closed first: passive open, our FIN acknowledged, then the peer's FIN. The
 * listener is still there to take a new connection of the same 4-tuple. */
static void drv_time_wait_server(struct sc *sc, bool orphan)
{
    sc_establish_passive(sc);
    EXPECT_EQ(
        orphan ? tcpfsm_close(sc->st, sc->fd) : tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    if (orphan) sc->fd = -1;
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 2, W, NULL, 0);
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 2, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
}
static void drv_time_wait_server_fd(struct sc *sc)
{
    drv_time_wait_server(sc, false);
}
static void drv_time_wait_server_orphan(struct sc *sc)
{
    drv_time_wait_server(sc, true);
}
static const struct tr_state TIME_WAIT_SERVER = {
    .name = "TIME_WAIT",
    .route = "a server that closed first (shutdown), its listener still listening",
    .drive = drv_time_wait_server_fd,
    .una = 2,
    .nxt = 2,
    .rcv = 2,
};
static const struct tr_state TIME_WAIT_SERVER_ORPHAN = {
    .name = "TIME_WAIT",
    .route = "a server that closed first (close): a compact record, its listener listening",
    .drive = drv_time_wait_server_orphan,
    .una = 2,
    .nxt = 2,
    .rcv = 2,
};

/* Where the new connection's SYN lies: right of the window (unacceptable) or in it. */
static const struct {
    const struct tr_state *in;
    const char *event;
    uint32_t ahead; /* SEG.SEQ - RCV.NXT of the new SYN */
} reopening[] = {
    {.in = &TIME_WAIT_SERVER, .event = "RCV_UNACCEPTABLE", .ahead = RIGHT_OF_WINDOW},
    {.in = &TIME_WAIT_SERVER, .event = "RCV_SYN", .ahead = IN_WINDOW},
    {.in = &TIME_WAIT_SERVER_ORPHAN, .event = "RCV_UNACCEPTABLE", .ahead = RIGHT_OF_WINDOW},
    {.in = &TIME_WAIT_SERVER_ORPHAN, .event = "RCV_SYN", .ahead = IN_WINDOW},
};

START_TEST(time_wait__syn_reopens__closed)
{
    /* @rfc 6191 2, 1122 4.2.2.13: in TIME-WAIT a SYN of the same 4-tuple whose sequence
     * number is beyond the old connection's (no timestamps here) ends TIME-WAIT early: the
     * listener takes it as a new connection, whose ISS lies past every sequence number the
     * old one used (SND.NXT + 2^16 + 1); the handshake completes as any other */
    const struct tr_state *in = reopening[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW("TIME_WAIT", reopening[_i].event, "syn_reopens", "CLOSED");
    ROW("CLOSED", "SPAWN_SYN", NULL, "SYN_RCVD");
    tr_enter(sc, in);
    uint32_t old_snd_nxt = SND_NXT(in), syn = RCV_NXT(in) + reopening[_i].ahead;
    struct tcpfsm_stats before = tr_stats(sc);
    sc_inject(sc, S, syn, 0, W, NULL, 0);
    sc_expect(sc, S | A, old_snd_nxt + 65537u, syn + 1, 0);
    NONE();
    if (sc->fd >= 0) { /* the old connection's descriptor: ended, nothing more to read */
        FD_STATE(sc->fd, "CLOSED");
        EXPECT_EQ(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), 0);
        EXPECT_EQ(tcpfsm_error(sc->st, sc->fd), 0);
        EXPECT_EQ(tcpfsm_close(sc->st, sc->fd), 0);
        sc->fd = -1; /* from here on: the new connection, found by its 4-tuple */
        NONE();
    }
    STATE("SYN_RCVD");
    EXPECT_EQ(tr_stats(sc).TimeWaitRecycled, before.TimeWaitRecycled + 1);
    EXPECT_EQ(tr_stats(sc).ChallengeAcks, before.ChallengeAcks);
    sc->iss = old_snd_nxt + 65537u;
    sc->irs = syn;
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    NONE();
    STATE("ESTABLISHED");
    int fd = tcpfsm_accept(sc->st, sc->lfd, NULL, NULL);
    EXPECT(fd >= 0);
    EXPECT(fd != sc->fd);
    tr_end(sc);
}
END_TEST

/* ================================================== fifth: ACK of what was never sent ==== */

START_TEST(synchronized__rcv_bad_ack_oow_ack_ok__stay)
{
    /* @rfc 9293 3.10.7.4 fifth: "If the ACK acks something not yet sent (SEG.ACK > SND.NXT)
     * then send an ACK, drop the segment, and return": its text is not taken */
    const struct tr_state *in = synchronized[_i].in;
    struct sc *sc = tr_new(NULL);
    ROW(in->name, "RCV_BAD_ACK", "oow_ack_ok", in->name);
    tr_enter(sc, in);
    sc_inject(sc, P | A, RCV_NXT(in), SND_NXT(in) + 100, W, tr_payload, 10);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    sc_inject(sc, A, RCV_NXT(in), SND_NXT(in) + 1, W, NULL, 0);
    sc_expect(sc, A, SND_NXT(in), RCV_NXT(in), 0);
    NONE();
    STATE(in->name);
    EXPECT_EQ(sc_tcb(sc)->rcv_nxt, RCV_NXT(in)); /* the text was dropped */
    EXPECT_EQ(sc_tcb(sc)->snd_una, SND_UNA(in));
    tr_end(sc);
}
END_TEST

START_TEST(synchronized__rcv_bad_ack_else__stay)
{
    /* @rfc 9293 3.10.7.4 fifth: an ACK already answered a segment without text in the last
     * 500 ms: this one is dropped without reply */
    answers_rate_limited(synchronized[_i].in, "RCV_BAD_ACK");
}
END_TEST

START_TEST(checks__tables_follow_the_spec)
{
    /* every row of the spec's rules tested here has an entry in its table, and every entry a
     * row */
    EXPECT_TABLE_IS_SET(have_rcvd_syn, HAVE_RCVD_SYN);
    EXPECT_TABLE_IS_SET(synchronized, SYNCHRONIZED);
    EXPECT_TABLE_IS_SET(rst_exact, SYNCHRONIZED);
    EXPECT_TABLE_FOLLOWS_SPEC(have_rcvd_syn, "RCV_UNACCEPTABLE", "oow_ack_ok");
    EXPECT_TABLE_FOLLOWS_SPEC(have_rcvd_syn, "RCV_UNACCEPTABLE", "else");
    EXPECT_TABLE_FOLLOWS_SPEC(rst_exact, "RCV_RST", "rst_exact");
    EXPECT_TABLE_FOLLOWS_SPEC(synchronized, "RCV_RST", "challenge_ok");
    EXPECT_TABLE_FOLLOWS_SPEC(synchronized, "RCV_RST", "else");
    EXPECT_TABLE_FOLLOWS_SPEC(syn_challenged, "RCV_SYN", "challenge_ok");
    EXPECT_TABLE_FOLLOWS_SPEC(syn_challenged, "RCV_SYN", "else");
    EXPECT_TABLE_FOLLOWS_SPEC(synchronized, "RCV_BAD_ACK", "oow_ack_ok");
    EXPECT_TABLE_FOLLOWS_SPEC(synchronized, "RCV_BAD_ACK", "else");
    EXPECT_TABLE_FOLLOWS_SPEC(reopening, "RCV_SYN", "syn_reopens");
    EXPECT_TABLE_FOLLOWS_SPEC(reopening, "RCV_UNACCEPTABLE", "syn_reopens");
}
END_TEST

TCase *tr_case_checks(void)
{
    TCase *tc = tcase_create("checks");
    tcase_add_test(tc, checks__tables_follow_the_spec);
    TR_ADD_TABLE_TEST(tc, have_rcvd_syn__rcv_unacceptable_oow_ack_ok__stay, have_rcvd_syn);
    TR_ADD_TABLE_TEST(tc, have_rcvd_syn__rcv_unacceptable_else__stay, have_rcvd_syn);
    TR_ADD_TABLE_TEST(tc, synchronized__rcv_rst_rst_exact__closed, rst_exact);
    TR_ADD_TABLE_TEST(tc, synchronized__rcv_rst_challenge_ok__stay, synchronized);
    TR_ADD_TABLE_TEST(tc, synchronized__rcv_rst_else__stay, synchronized);
    TR_ADD_TABLE_TEST(tc, rcv_syn_challenge_ok__stay, syn_challenged);
    tcase_add_test(tc, established__rcv_syn_challenge_ok__established_syn_ack);
    TR_ADD_TABLE_TEST(tc, rcv_syn_else__stay, syn_challenged);
    TR_ADD_TABLE_TEST(tc, time_wait__syn_reopens__closed, reopening);
    TR_ADD_TABLE_TEST(tc, synchronized__rcv_bad_ack_oow_ack_ok__stay, synchronized);
    TR_ADD_TABLE_TEST(tc, synchronized__rcv_bad_ack_else__stay, synchronized);
    return tc;
}
