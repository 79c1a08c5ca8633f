/*
 * test_tcp_transitions.c — one scenario per row of spec/tcp.fsm (tcp_fsm_transitions[]),
 * each named from__event[_guard]__to, citing the row's @rfc, asserting the state reached, the
 * exact segments emitted (or none) and the errno the API reports. Then the spec coverage of
 * the whole suite: every test appends its stack's per-transition counts to a file (Check
 * forks each test), main() sums them, prints `spec coverage: N/119 transitions (P%)`, lists
 * the rows that never fired, and fails unless all fired.
 *
 * Conventions (tests/runtime/lib/scenario.h): our ISS is sc->iss, the peer's sc->irs; no TCP
 * options except MSS on SYNs (SACK, window scale and timestamps are off) so segments compare
 * exactly; RTO 100 ms, MSL 500 ms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_test.h"
#include "scenario.h"
#include "tcb.h"
#include "tcp.h"

#define A   TCP_ACK
#define F   TCP_FIN
#define S   TCP_SYN
#define R   TCP_RST
#define P   TCP_PSH
#define W   SC_PEER_WND

#define FIRED(from, ev, guard, to) sc_expect_fired(sc, from, ev, guard, to)
#define STATE(name)                sc_expect_state(sc, name)
#define NONE()                     sc_expect_none(sc)

static char payload_big[1500];   /* zeros: bulk text where the bytes do not matter */
static const char payload[64] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!";

static struct sc *sc_retries(uint32_t max_retries, uint32_t syn_retries)
{
    struct sc_opts o;
    memset(&o, 0, sizeof o);
    o.max_retries = max_retries;
    o.syn_retries = syn_retries;
    return sc_new(&o);
}

/* Send n bytes from the application; returns what tcpfsm_send returned. */
static long app_send(struct sc *sc, uint32_t n)
{
    return tcpfsm_send(sc->st, sc->fd, payload, n);
}

/* ESTABLISHED with n bytes of ours sent (at iss+1) and acknowledged by a zero window, then m
 * more bytes queued: the persist timer runs (RFC 9293 3.8.6.1). */
static void zero_window_with_queued_data(struct sc *sc, uint32_t rcv_nxt_peer_seq, uint32_t n,
                                         uint32_t m)
{
    ck_assert_int_eq(app_send(sc, n), n);
    sc_expect(sc, P | A, sc->iss + 1, rcv_nxt_peer_seq, n);
    sc_inject(sc, A, rcv_nxt_peer_seq, sc->iss + 1 + n, 0, NULL, 0);
    NONE();
    ck_assert_int_eq(app_send(sc, m), m);
    NONE();   /* the window is closed */
    ck_assert(tcb_timer_armed(sc_tcb(sc), TMR_PERSIST));
}


/* ------------------------------------------------- RFC 5961 7 challenge-ACK rate limit ---- */

static struct sc *sc_limited(void)
{
    struct sc_opts o;
    memset(&o, 0, sizeof o);
    o.challenge_ack_limit = 1;
    o.msl_us = 5000000;   /* TIME_WAIT outlives the one-second wait below */
    return sc_new(&o);
}

static void drv_syn_rcvd_active(struct sc *sc) { sc_to_syn_rcvd_active(sc); }
static void drv_established(struct sc *sc) { sc_establish(sc); }
static void drv_fin_wait_1(struct sc *sc) { sc_to_fin_wait_1(sc, false); }
static void drv_fin_wait_2(struct sc *sc) { sc_to_fin_wait_2(sc, false); }
static void drv_closing(struct sc *sc) { sc_to_closing(sc, false); }
static void drv_time_wait(struct sc *sc) { sc_to_time_wait(sc, false); }
static void drv_close_wait(struct sc *sc) { sc_to_close_wait(sc); }
static void drv_last_ack(struct sc *sc) { sc_to_last_ack(sc, false); }

/* With one challenge ACK allowed per second: an in-window, inexact RST (or an in-window SYN)
 * earns <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (RFC 5961 3.2 / 4.2); a second one in the same
 * second is dropped without reply (RFC 5961 7), and one a second later is answered again.
 * snd/rcv: SND.NXT - ISS and RCV.NXT - IRS in the state under test. */
static void over_limit(void (*drive)(struct sc *), const char *state, uint8_t flags,
                       uint32_t snd, uint32_t rcv)
{
    struct sc *sc = sc_limited();
    drive(sc);
    uint32_t seq = sc->irs + rcv + 5;
    sc_inject(sc, flags, seq, 0, W, NULL, 0);
    sc_expect(sc, A, sc->iss + snd, sc->irs + rcv, 0);
    sc_inject(sc, flags, seq + 1, 0, W, NULL, 0);
    NONE();
    sc_expect_state(sc, state);
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    const char *ev = (flags & R) ? "RCV_RST" : "RCV_SYN";
    sc_expect_fired(sc, state, ev, "challenge_ok", state);
    sc_expect_fired(sc, state, ev, "else", state);
    sc_advance(sc, 1000000);
    sc_expect_state(sc, state);
    sc_drain(sc);   /* a timer of the state may have fired meanwhile */
    sc_inject(sc, flags, seq + 2, 0, W, NULL, 0);
    sc_expect(sc, A, sc->iss + snd, sc->irs + rcv, 0);
    sc_free(sc);
}


/* ------------------------- answers to unacceptable segments, rate limited (oow_ack_ok) ---- */

/* RFC 9293 3.10.7.4 first (unacceptable segment) and fifth (SEG.ACK > SND.NXT): the answer is
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, at most once per 500 ms per connection for a segment
 * without text (Linux's tcp_invalid_ratelimit; an ACK storm cannot start); one with text is
 * always answered. snd/rcv: SND.NXT - ISS and RCV.NXT - IRS in the state under test. */
static void oow_limited(void (*drive)(struct sc *), const char *state, bool bad_ack, uint32_t snd,
                        uint32_t rcv)
{
    struct sc_opts o;
    memset(&o, 0, sizeof o);
    o.msl_us = 5000000;   /* TIME_WAIT outlives the waits below */
    struct sc *sc = sc_new(&o);
    drive(sc);
    const char *ev = bad_ack ? "RCV_BAD_ACK" : "RCV_UNACCEPTABLE";
    uint32_t seq = bad_ack ? sc->irs + rcv : sc->irs + rcv + 70000;   /* right of the window */
    uint32_t ack = bad_ack ? sc->iss + snd + 100 : sc->iss + snd;     /* never sent */
    sc_inject(sc, A, seq, ack, W, NULL, 0);
    sc_expect(sc, A, sc->iss + snd, sc->irs + rcv, 0);
    struct tcpfsm_stats a, b;
    tcpfsm_get_stats(sc->st, &a);
    sc_inject(sc, A, seq, ack, W, NULL, 0);          /* within 500 ms: not answered */
    NONE();
    tcpfsm_get_stats(sc->st, &b);
    ck_assert_uint_eq(b.AckSkipped, a.AckSkipped + 1);
    sc_inject(sc, P | A, seq, ack, W, payload, 10);  /* the same with text: answered */
    sc_expect(sc, A, sc->iss + snd, sc->irs + rcv, 0);
    sc_expect_state(sc, state);
    sc_expect_fired(sc, state, ev, "oow_ack_ok", state);
    sc_expect_fired(sc, state, ev, "else", state);
    sc_advance(sc, 500000);
    sc_drain(sc);   /* a timer of the state may have fired meanwhile */
    sc_inject(sc, A, seq, ack, W, NULL, 0);          /* 500 ms later: answered again */
    sc_expect(sc, A, sc->iss + snd, sc->irs + rcv, 0);
    sc_free(sc);
}

static void drv_syn_rcvd_passive(struct sc *sc) { sc_to_syn_rcvd_passive(sc); }

/* ======================================================================= CLOSED ==== */

START_TEST(closed__app_listen__listen)
{
    /* @rfc 9293 3.10.1: OPEN (passive) */
    struct sc *sc = sc_new(NULL);
    int lfd = sc_listen(sc);
    ck_assert_str_eq(sc_fd_state(sc, lfd), "LISTEN");
    NONE();
    FIRED("CLOSED", "APP_LISTEN", NULL, "LISTEN");
    sc_free(sc);
}
END_TEST

START_TEST(closed__app_connect__syn_sent)
{
    /* @rfc 9293 3.10.1: OPEN (active): <SEQ=ISS><CTL=SYN>, SND.UNA=ISS, SND.NXT=ISS+1 */
    struct sc *sc = sc_new(NULL);
    uint32_t iss = sc_connect(sc);
    const struct tcp_seg *s = &sc->last;
    ck_assert(s->opt.has_mss);
    ck_assert_uint_eq(s->opt.mss, 1460);
    ck_assert(!s->opt.has_ts && !s->opt.has_wscale && !s->opt.sack_ok);
    ck_assert_uint_eq(s->wnd, 65535);
    struct tcb *t = sc_tcb(sc);
    ck_assert_uint_eq(t->snd_una, iss);
    ck_assert_uint_eq(t->snd_nxt, iss + 1);
    NONE();
    ck_assert_int_eq(tcpfsm_poll(sc->st, sc->fd) & (TCPFSM_POLLOUT | TCPFSM_POLLERR), 0);
    FIRED("CLOSED", "APP_CONNECT", NULL, "SYN_SENT");
    sc_free(sc);
}
END_TEST

START_TEST(closed__app_close__closed)
{
    /* @rfc 9293 3.10.4: CLOSE of a connection that does not exist */
    struct sc *sc = sc_new(NULL);
    int fd = tcpfsm_socket(sc->st);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(tcpfsm_close(sc->st, fd), 0);
    NONE();
    ck_assert_int_eq(tcpfsm_poll(sc->st, fd), -EBADF);
    FIRED("CLOSED", "APP_CLOSE", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(closed__app_abort__closed)
{
    /* @rfc 9293 3.10.5: ABORT of a connection that does not exist */
    struct sc *sc = sc_new(NULL);
    int fd = tcpfsm_socket(sc->st);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(tcpfsm_abort(sc->st, fd), 0);
    NONE();
    ck_assert_int_eq(tcpfsm_poll(sc->st, fd), -EBADF);
    FIRED("CLOSED", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

/* ======================================================================= LISTEN ==== */

START_TEST(listen__rcv_rst__listen)
{
    /* @rfc 9293 3.10.7.2 first: an incoming RST is ignored */
    struct sc *sc = sc_new(NULL);
    int lfd = sc_listen(sc);
    ck_assert_int_eq(sc_inject(sc, R, 12345, 0, 0, NULL, 0), 0);
    sc_inject(sc, R | A, 12345, 999, 0, NULL, 0);
    NONE();
    ck_assert_str_eq(sc_fd_state(sc, lfd), "LISTEN");
    FIRED("LISTEN", "RCV_RST", NULL, "LISTEN");
    sc_free(sc);
}
END_TEST

START_TEST(listen__rcv_ack_not_cookie_ok__listen)
{
    /* @rfc 9293 3.10.7.2 second: any other ACK in LISTEN (no valid SYN cookie) is answered
     * <SEQ=SEG.ACK><CTL=RST> */
    struct sc *sc = sc_new(NULL);
    int lfd = sc_listen(sc);
    sc_inject(sc, A, 777, 5555, W, NULL, 0);
    sc_expect(sc, R, 5555, 0, 0);
    sc_inject(sc, P | A, 777, 6666, W, payload, 10);
    sc_expect(sc, R, 6666, 0, 0);
    NONE();
    ck_assert_str_eq(sc_fd_state(sc, lfd), "LISTEN");
    FIRED("LISTEN", "RCV_ACK", "!cookie_ok", "LISTEN");
    sc_free(sc);
}
END_TEST

START_TEST(listen__rcv_syn_is_child__syn_rcvd)
{
    /* @rfc 9293 3.10.7.2 third: RCV.NXT=SEG.SEQ+1, IRS=SEG.SEQ, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_passive(sc);
    const struct tcp_seg *s = &sc->last;
    ck_assert(s->opt.has_mss);
    ck_assert_uint_eq(s->opt.mss, 1460);
    NONE();
    struct tcb *t = sc_tcb(sc);
    ck_assert_uint_eq(t->rcv_nxt, sc->irs + 1);
    ck_assert_uint_eq(t->snd_nxt, sc->iss + 1);
    /* not acceptable before the handshake completes */
    ck_assert_int_eq(tcpfsm_accept(sc->st, sc->lfd, NULL, NULL), -EAGAIN);
    STATE("SYN_RCVD");
    FIRED("LISTEN", "RCV_SYN", "is_child", "SYN_RCVD");
    sc_free(sc);
}
END_TEST

START_TEST(listen__rcv_syn_else__listen)
{
    /* @rfc 9293 3.10.7.2 third: the listener makes a child for the SYN (spawn_child); the
     * child answers <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
    struct sc *sc = sc_new(NULL);
    int lfd = sc_listen(sc);
    sc_inject(sc, S, sc->irs, 0, W, NULL, 0);
    const struct tcp_seg *s = sc_next(sc);
    ck_assert_uint_eq(s->flags, S | A);
    ck_assert_uint_eq(s->ack, sc->irs + 1);
    NONE();
    ck_assert_str_eq(sc_fd_state(sc, lfd), "LISTEN");
    STATE("SYN_RCVD");
    FIRED("LISTEN", "RCV_SYN", "else", "LISTEN");
    FIRED("LISTEN", "RCV_SYN", "is_child", "SYN_RCVD");
    sc_free(sc);
}
END_TEST

START_TEST(listen__rcv_syn_accept_queue_full__listen)
{
    /* @rfc 9293 3.10.7.2 third: no room to queue the connection: the SYN is dropped, the
     * client retries */
    struct sc *sc = sc_new(NULL);
    sc_listen_backlog(sc, 1);
    sc_inject(sc, S, sc->irs, 0, W, NULL, 0);
    sc->iss = sc_next(sc)->seq;
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);   /* established, not accepted */
    NONE();
    STATE("ESTABLISHED");
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.sport = SC_PEER_PORT + 1;
    in.flags = S;
    in.seq = 5000;
    in.wnd = W;
    ck_assert_int_eq(sc_inject_in(sc, &in), 0);
    NONE();
    ck_assert_str_eq(sc_fd_state(sc, sc->lfd), "LISTEN");
    ck_assert_ptr_null(tcb_lookup(sc->st, SC_LOCAL_ADDR, SC_LISTEN_PORT, SC_PEER_ADDR,
                                  SC_PEER_PORT + 1));
    struct tcpfsm_stats stats;
    tcpfsm_get_stats(sc->st, &stats);
    ck_assert_uint_eq(stats.ListenOverflows, 1);
    FIRED("LISTEN", "RCV_SYN", "accept_queue_full", "LISTEN");
    sc_free(sc);
}
END_TEST

/* Backlog 1 with one embryonic connection: the next SYN (from port SC_PEER_PORT+1) is answered
 * with a SYN cookie. Returns the cookie (the SYN-ACK's ISS). */
static uint32_t cookie_syn_ack(struct sc *sc)
{
    sc_listen_backlog(sc, 1);
    sc_inject(sc, S, sc->irs, 0, W, NULL, 0);
    ck_assert_uint_eq(sc_next(sc)->flags, S | A);
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
    ck_assert_uint_eq(s->flags, S | A);
    ck_assert_uint_eq(s->ack, 5001);
    ck_assert_uint_eq(s->dport, SC_PEER_PORT + 1);
    NONE();
    return s->seq;
}

START_TEST(listen__rcv_syn_syn_queue_full__listen)
{
    /* @rfc 4987 3.6: SYN queue full: answer with a SYN cookie and keep no state */
    struct sc *sc = sc_new(NULL);
    cookie_syn_ack(sc);
    ck_assert_str_eq(sc_fd_state(sc, sc->lfd), "LISTEN");
    STATE("CLOSED");   /* nothing kept for SC_PEER_PORT+1 */
    struct tcpfsm_stats stats;
    tcpfsm_get_stats(sc->st, &stats);
    ck_assert_uint_eq(stats.SynCookiesSent, 1);
    FIRED("LISTEN", "RCV_SYN", "syn_queue_full", "LISTEN");
    sc_free(sc);
}
END_TEST

START_TEST(listen__rcv_ack_else__listen)
{
    /* @rfc 4987 3.6: the ACK carries a valid SYN cookie: the listener makes the connection */
    struct sc *sc = sc_new(NULL);
    uint32_t cookie = cookie_syn_ack(sc);
    sc_inject(sc, A, 5001, cookie + 1, W, NULL, 0);
    NONE();
    ck_assert_str_eq(sc_fd_state(sc, sc->lfd), "LISTEN");
    STATE("ESTABLISHED");
    int fd = tcpfsm_accept(sc->st, sc->lfd, NULL, NULL);
    ck_assert_int_ge(fd, 0);
    FIRED("LISTEN", "RCV_ACK", "else", "LISTEN");
    sc_free(sc);
}
END_TEST

START_TEST(listen__rcv_ack_accept_queue_full__listen)
{
    /* @rfc 4987 3.6: a valid cookie but no room in the accept queue: drop it, the client
     * retransmits */
    struct sc *sc = sc_new(NULL);
    uint32_t cookie = cookie_syn_ack(sc);
    /* the first connection completes and fills the accept queue (backlog 1) */
    sc->rport = SC_PEER_PORT;
    sc_inject(sc, A, sc->irs + 1, sc_tcb(sc)->snd_nxt, W, NULL, 0);   /* a SYN-queue record */
    NONE();
    STATE("ESTABLISHED");
    sc->rport = SC_PEER_PORT + 1;
    ck_assert_int_eq(sc_inject(sc, A, 5001, cookie + 1, W, NULL, 0), 0);
    NONE();
    STATE("CLOSED");
    ck_assert_str_eq(sc_fd_state(sc, sc->lfd), "LISTEN");
    struct tcpfsm_stats stats;
    tcpfsm_get_stats(sc->st, &stats);
    ck_assert_uint_eq(stats.ListenDrops, 1);
    FIRED("LISTEN", "RCV_ACK", "accept_queue_full", "LISTEN");
    sc_free(sc);
}
END_TEST

/* The stack's buffer memory is at max_buffer_bytes: the first connection (sc->rport) holds
 * 3000 unread bytes in a 4 KiB ring, all the budget allows (mem.c). */
static void exhaust_memory(struct sc *sc)
{
    sc->st->cfg.max_buffer_bytes = 4096;
    for (uint32_t off = 0; off < 3000; off += 1500)
        sc_inject(sc, P | A, sc->irs + 1 + off, sc_tcb(sc)->snd_nxt, W, payload_big, 1500);
    sc_drain(sc);
    ck_assert_uint_eq(sc->st->buffer_bytes, 4096);
}

START_TEST(listen__rcv_syn_out_of_memory__listen)
{
    /* @rfc 9293 3.10.1: no resources for another connection: refused, the client is told
     * (<SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>: its connect() fails at once, it does not hang) */
    struct sc *sc = sc_new(NULL);
    sc_establish_passive(sc);
    exhaust_memory(sc);
    struct tcpfsm_stats a, b;
    tcpfsm_get_stats(sc->st, &a);
    sc->rport = SC_PEER_PORT + 1;
    sc_inject(sc, S, 7000, 0, W, NULL, 0);
    sc_expect(sc, R | A, 0, 7001, 0);
    NONE();
    tcpfsm_get_stats(sc->st, &b);
    ck_assert_uint_eq(b.BufferLimitDrops, a.BufferLimitDrops + 1);
    ck_assert_str_eq(sc_fd_state(sc, sc->lfd), "LISTEN");
    ck_assert_ptr_null(tcb_lookup(sc->st, SC_LOCAL_ADDR, SC_LISTEN_PORT, SC_PEER_ADDR, sc->rport));
    FIRED("LISTEN", "RCV_SYN", "out_of_memory", "LISTEN");
    /* memory back (the bytes read): the next SYN gets its SYN-ACK */
    char buf[4096];
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 3000);
    sc_drain(sc);
    sc_inject(sc, S, 7000, 0, W, NULL, 0);
    ck_assert_uint_eq(sc_next(sc)->flags, S | A);
    sc_free(sc);
}
END_TEST

START_TEST(listen__rcv_ack_out_of_memory__listen)
{
    /* @rfc 9293 3.10.1: a valid cookie but no resources: refused, the client is told */
    struct sc *sc = sc_new(NULL);
    uint32_t cookie = cookie_syn_ack(sc);
    sc->rport = SC_PEER_PORT;           /* the first connection completes, then fills memory */
    sc_inject(sc, A, sc->irs + 1, sc_tcb(sc)->snd_nxt, W, NULL, 0);
    NONE();
    STATE("ESTABLISHED");
    exhaust_memory(sc);
    sc->rport = SC_PEER_PORT + 1;
    sc_inject(sc, A, 5001, cookie + 1, W, NULL, 0);
    sc_expect(sc, R, cookie + 1, 0, 0);
    NONE();
    STATE("CLOSED");
    ck_assert_str_eq(sc_fd_state(sc, sc->lfd), "LISTEN");
    FIRED("LISTEN", "RCV_ACK", "out_of_memory", "LISTEN");
    sc_free(sc);
}
END_TEST

START_TEST(listen__rcv_ack_is_child__established)
{
    /* @rfc 4987 3.6: a valid cookie stands for the SYN_RCVD state: the child goes from LISTEN
     * straight to ESTABLISHED, and data on that ACK is taken */
    struct sc *sc = sc_new(NULL);
    uint32_t cookie = cookie_syn_ack(sc);
    sc_inject(sc, P | A, 5001, cookie + 1, W, payload, 6);
    NONE();   /* the data's ACK is delayed */
    STATE("ESTABLISHED");
    int fd = tcpfsm_accept(sc->st, sc->lfd, NULL, NULL);
    ck_assert_int_ge(fd, 0);
    sc->fd = fd;
    ck_assert_int_eq(app_send(sc, 3), 3);   /* our data carries the ACK of the peer's */
    sc_expect(sc, P | A, cookie + 1, 5007, 3);
    NONE();
    char buf[16];
    ck_assert_int_eq(tcpfsm_recv(sc->st, fd, buf, sizeof buf), 6);
    ck_assert_int_eq(memcmp(buf, payload, 6), 0);
    struct tcpfsm_info info;
    tcpfsm_get_info(sc->st, fd, &info);
    ck_assert_uint_eq(info.mss, 1460);
    FIRED("LISTEN", "RCV_ACK", "is_child", "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(listen__app_connect__syn_sent)
{
    /* @rfc 9293 3.10.2: SEND in LISTEN turns the connection active: connect() on a listener
     * resets its queued children, leaves the listener table and sends <SEQ=ISS><CTL=SYN>. */
    struct sc *sc = sc_new(NULL);
    int lfd = sc_listen(sc);
    /* a child in the SYN queue is reset when the listener turns active */
    sc_inject(sc, S, sc->irs, 0, W, NULL, 0);
    const struct tcp_seg *synack = sc_next(sc);
    ck_assert_uint_eq(synack->flags, S | A);
    uint32_t child_iss = synack->seq;
    ck_assert_int_eq(tcpfsm_connect(sc->st, lfd, SC_PEER_ADDR, 81), -EINPROGRESS);
    sc_expect(sc, R, child_iss + 1, 0, 0);
    const struct tcp_seg *syn = sc_next(sc);
    ck_assert_uint_eq(syn->flags, S);
    ck_assert_uint_eq(syn->dport, 81);
    NONE();
    ck_assert_str_eq(sc_fd_state(sc, lfd), "SYN_SENT");
    /* no longer a listener: a new SYN to the old port is refused */
    ck_assert_int_eq(sc_inject(sc, S, sc->irs + 500, 0, W, NULL, 0), -ENOENT);
    FIRED("LISTEN", "APP_CONNECT", NULL, "SYN_SENT");
    sc_free(sc);
}
END_TEST

START_TEST(listen__app_close__closed)
{
    /* @rfc 9293 3.10.4: CLOSE in LISTEN: delete the TCB */
    struct sc *sc = sc_new(NULL);
    int lfd = sc_listen(sc);
    ck_assert_int_eq(tcpfsm_close(sc->st, lfd), 0);
    NONE();
    ck_assert_int_eq(tcpfsm_poll(sc->st, lfd), -EBADF);
    /* the port is free: a SYN to it is refused with <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> */
    ck_assert_int_eq(sc_inject(sc, S, sc->irs, 0, W, NULL, 0), -ENOENT);
    sc_expect(sc, R | A, 0, sc->irs + 1, 0);
    FIRED("LISTEN", "APP_CLOSE", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(listen__app_close__closed_with_embryo)
{
    /* @rfc 9293 3.10.4: closing a listener resets the connections in its queue: the embryonic
     * child is aborted (9293 3.10.5 SYN-RECEIVED: <SEQ=SND.NXT><CTL=RST>) */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_passive(sc);
    ck_assert_int_eq(tcpfsm_close(sc->st, sc->lfd), 0);
    sc_expect(sc, R, sc->iss + 1, 0, 0);
    NONE();
    STATE("CLOSED");
    FIRED("LISTEN", "APP_CLOSE", NULL, "CLOSED");
    FIRED("SYN_RCVD", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(listen__app_abort__closed)
{
    /* @rfc 9293 3.10.5: ABORT in LISTEN */
    struct sc *sc = sc_new(NULL);
    int lfd = sc_listen(sc);
    ck_assert_int_eq(tcpfsm_abort(sc->st, lfd), 0);
    NONE();
    ck_assert_int_eq(tcpfsm_poll(sc->st, lfd), -EBADF);
    FIRED("LISTEN", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

/* ===================================================================== SYN_SENT ==== */

START_TEST(syn_sent__rcv_bad_ack__syn_sent)
{
    /* @rfc 9293 3.10.7.3 first: SEG.ACK =< ISS or > SND.NXT: <SEQ=SEG.ACK><CTL=RST> */
    struct sc *sc = sc_new(NULL);
    uint32_t iss = sc_connect(sc);
    sc_inject(sc, S | A, sc->irs, iss + 100, W, NULL, 0);
    sc_expect(sc, R, iss + 100, 0, 0);
    sc_inject(sc, S | A, sc->irs, iss, W, NULL, 0);     /* acks nothing new */
    sc_expect(sc, R, iss, 0, 0);
    NONE();
    STATE("SYN_SENT");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    /* a RST with an unacceptable ACK is dropped without reply */
    sc_inject(sc, R | A, 0, iss + 100, 0, NULL, 0);
    NONE();
    STATE("SYN_SENT");
    FIRED("SYN_SENT", "RCV_BAD_ACK", NULL, "SYN_SENT");
    sc_free(sc);
}
END_TEST

START_TEST(syn_sent__rcv_rst_rst_acks_syn__closed)
{
    /* @rfc 9293 3.10.7.3 second: RST with an acceptable ACK: "error: connection reset"
     * (ECONNREFUSED), enter CLOSED, delete the TCB */
    struct sc *sc = sc_new(NULL);
    uint32_t iss = sc_connect(sc);
    sc_inject(sc, R | A, 0, iss + 1, 0, NULL, 0);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ECONNREFUSED);
    ck_assert(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLERR);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, payload, 1), -ECONNREFUSED);
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), -ECONNREFUSED);
    ck_assert_ptr_null(tcb_lookup(sc->st, SC_LOCAL_ADDR, sc->lport, SC_PEER_ADDR, sc->rport));
    FIRED("SYN_SENT", "RCV_RST", "rst_acks_syn", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(syn_sent__rcv_rst_else__syn_sent)
{
    /* @rfc 9293 3.10.7.3 second: RST without ACK is dropped */
    struct sc *sc = sc_new(NULL);
    sc_connect(sc);
    sc_inject(sc, R, sc->irs, 0, 0, NULL, 0);
    NONE();
    STATE("SYN_SENT");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    FIRED("SYN_SENT", "RCV_RST", "else", "SYN_SENT");
    sc_free(sc);
}
END_TEST

START_TEST(syn_sent__rcv_syn_ack__established)
{
    /* @rfc 9293 3.10.7.3 fourth: SYN with acceptable ACK: ESTABLISHED,
     * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
    struct sc *sc = sc_new(NULL);
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
    ck_assert_int_eq(tcpfsm_get_info(sc->st, sc->fd, &info), 0);
    ck_assert_uint_eq(info.mss, 1000);
    ck_assert_uint_eq(info.snd_wnd, 30000);
    ck_assert(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLOUT);
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    FIRED("SYN_SENT", "RCV_SYN_ACK", NULL, "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(syn_sent__rcv_syn__syn_rcvd)
{
    /* @rfc 9293 3.10.7.3 fourth: simultaneous open: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_active(sc);
    /* the peer's SYN-ACK (its answer to our SYN) completes the open */
    sc_inject(sc, S | A, sc->irs, sc->iss + 1, W, NULL, 0);
    STATE("SYN_RCVD");   /* a SYN in SYN_RCVD of an active open earns a challenge ACK ... */
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);   /* ... and its ACK completes */
    NONE();
    STATE("ESTABLISHED");
    FIRED("SYN_SENT", "RCV_SYN", NULL, "SYN_RCVD");
    sc_free(sc);
}
END_TEST

START_TEST(syn_sent__t_rtx_give_up__closed)
{
    /* @rfc 9293 3.8.3 R2 for SYN: after syn_retries retransmissions, ETIMEDOUT */
    struct sc *sc = sc_retries(0, 2);
    uint32_t iss = sc_connect(sc);
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    sc_expect(sc, S, iss, 0, 0);
    ck_assert_uint_eq(sc_fire_next(sc), 200000);   /* RFC 6298 5.5: backed off */
    sc_expect(sc, S, iss, 0, 0);
    ck_assert_uint_eq(sc_fire_next(sc), 400000);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    ck_assert(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLERR);
    ck_assert(!sc_timer_armed(sc));
    FIRED("SYN_SENT", "T_RTX", "give_up", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(syn_sent__t_rtx_else__syn_sent)
{
    /* @rfc 6298 5.4-5.6: retransmit the SYN, double the RTO */
    struct sc *sc = sc_new(NULL);
    uint32_t iss = sc_connect(sc);
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    const struct tcp_seg *s = sc_expect(sc, S, iss, 0, 0);
    ck_assert(s->opt.has_mss);
    NONE();
    STATE("SYN_SENT");
    FIRED("SYN_SENT", "T_RTX", "else", "SYN_SENT");
    sc_free(sc);
}
END_TEST

START_TEST(syn_sent__app_close__closed)
{
    /* @rfc 9293 3.10.4: CLOSE in SYN-SENT: delete the TCB, nothing is sent */
    struct sc *sc = sc_new(NULL);
    sc_connect(sc);
    ck_assert_int_eq(tcpfsm_close(sc->st, sc->fd), 0);
    sc->fd = -1;
    NONE();
    STATE("CLOSED");
    ck_assert(!sc_timer_armed(sc));
    /* a late SYN-ACK finds no connection: <SEQ=SEG.ACK><CTL=RST> */
    ck_assert_int_eq(sc_inject(sc, S | A, sc->irs, sc->iss + 1, W, NULL, 0), -ENOENT);
    sc_expect(sc, R, sc->iss + 1, 0, 0);
    FIRED("SYN_SENT", "APP_CLOSE", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(syn_sent__app_abort__closed)
{
    /* @rfc 9293 3.10.5: ABORT in SYN-SENT: delete the TCB, no RST */
    struct sc *sc = sc_new(NULL);
    sc_connect(sc);
    ck_assert_int_eq(tcpfsm_abort(sc->st, sc->fd), 0);
    ck_assert_int_eq(tcpfsm_poll(sc->st, sc->fd), -EBADF);
    sc->fd = -1;
    NONE();
    STATE("CLOSED");
    ck_assert(!sc_timer_armed(sc));
    FIRED("SYN_SENT", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

/* ===================================================================== SYN_RCVD ==== */

START_TEST(syn_rcvd__rcv_unacceptable_oow_ack_ok__syn_rcvd)
{
    /* @rfc 9293 3.10.7.4 first: not acceptable: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_passive(sc);
    sc_inject(sc, S, sc->irs, 0, W, NULL, 0);   /* the retransmitted SYN is old */
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    sc_inject(sc, A | P, sc->irs + 1 + 70000, sc->iss + 1, W, payload, 10);   /* text: always */
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    STATE("SYN_RCVD");
    FIRED("SYN_RCVD", "RCV_UNACCEPTABLE", "oow_ack_ok", "SYN_RCVD");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_rst_passive_open__listen)
{
    /* @rfc 9293 3.10.7.4 second: SYN-RECEIVED of a passive open returns to LISTEN */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_passive(sc);
    sc_inject(sc, R, sc->irs + 1, 0, 0, NULL, 0);
    NONE();
    STATE("CLOSED");    /* the embryo is gone ... */
    ck_assert_str_eq(sc_fd_state(sc, sc->lfd), "LISTEN");   /* ... its listener stays */
    ck_assert_int_eq(tcpfsm_accept(sc->st, sc->lfd, NULL, NULL), -EAGAIN);
    ck_assert(!sc_timer_armed(sc));
    /* and the listener takes the next SYN */
    sc_inject(sc, S, sc->irs + 5000, 0, W, NULL, 0);
    ck_assert_uint_eq(sc_next(sc)->flags, S | A);
    FIRED("SYN_RCVD", "RCV_RST", "passive_open", "LISTEN");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_rst_else__closed)
{
    /* @rfc 9293 3.10.7.4 second: SYN-RECEIVED of an active open: connection refused */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_active(sc);
    sc_inject(sc, R, sc->irs + 1, 0, 0, NULL, 0);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ECONNREFUSED);
    ck_assert(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLERR);
    ck_assert(!sc_timer_armed(sc));
    FIRED("SYN_RCVD", "RCV_RST", "else", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_syn_passive_open__listen)
{
    /* @rfc 9293 3.10.7.4 fourth: a SYN in SYN-RECEIVED of a passive open returns to LISTEN
     * ("return this connection to the LISTEN state and return": nothing is sent) */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_passive(sc);
    sc_inject(sc, S, sc->irs + 1000, 0, W, NULL, 0);
    NONE();
    STATE("CLOSED");
    ck_assert_str_eq(sc_fd_state(sc, sc->lfd), "LISTEN");
    ck_assert(!sc_timer_armed(sc));
    FIRED("SYN_RCVD", "RCV_SYN", "passive_open", "LISTEN");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_syn_challenge_ok__syn_rcvd)
{
    /* @rfc 5961 4.2: a SYN in SYN-RECEIVED of an active open: challenge ACK */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_active(sc);
    sc_inject(sc, S, sc->irs + 1000, 0, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    STATE("SYN_RCVD");
    FIRED("SYN_RCVD", "RCV_SYN", "challenge_ok", "SYN_RCVD");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_bad_ack__syn_rcvd)
{
    /* @rfc 9293 3.10.7.4 fifth: SYN-RECEIVED, unacceptable ACK: <SEQ=SEG.ACK><CTL=RST> */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_passive(sc);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 100, W, NULL, 0);
    sc_expect(sc, R, sc->iss + 100, 0, 0);
    NONE();
    STATE("SYN_RCVD");
    FIRED("SYN_RCVD", "RCV_BAD_ACK", NULL, "SYN_RCVD");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_ack_ack_acceptable__established)
{
    /* @rfc 9293 3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT: enter ESTABLISHED */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_passive(sc);
    ck_assert_int_eq(tcpfsm_poll(sc->st, sc->lfd), 0);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    NONE();
    STATE("ESTABLISHED");
    ck_assert(tcpfsm_poll(sc->st, sc->lfd) & TCPFSM_POLLIN);
    uint32_t pa = 0;
    uint16_t pp = 0;
    int fd = tcpfsm_accept(sc->st, sc->lfd, &pa, &pp);
    ck_assert_int_ge(fd, 0);
    ck_assert_uint_eq(pa, SC_PEER_ADDR);
    ck_assert_uint_eq(pp, SC_PEER_PORT);
    ck_assert_str_eq(sc_fd_state(sc, fd), "ESTABLISHED");
    ck_assert(!sc_timer_armed(sc));   /* the SYN-ACK's retransmission timer stopped */
    FIRED("SYN_RCVD", "RCV_ACK", "ack_acceptable", "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__rcv_ack_else__syn_rcvd)
{
    /* @rfc 9293 3.10.7.4 fifth: SEG.ACK =< SND.UNA in SYN-RECEIVED: <SEQ=SEG.ACK><CTL=RST> */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_passive(sc);
    sc_inject(sc, A, sc->irs + 1, sc->iss, W, NULL, 0);
    sc_expect(sc, R, sc->iss, 0, 0);
    NONE();
    STATE("SYN_RCVD");
    FIRED("SYN_RCVD", "RCV_ACK", "else", "SYN_RCVD");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__t_rtx_give_up__closed)
{
    /* @rfc 9293 3.8.3 R2: SYN-ACK retransmissions exhausted: ETIMEDOUT (active side) */
    struct sc *sc = sc_retries(0, 1);
    sc_to_syn_rcvd_active(sc);
    sc_fire_next(sc);
    sc_expect(sc, S | A, sc->iss, sc->irs + 1, 0);
    sc_fire_next(sc);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    ck_assert(!sc_timer_armed(sc));
    FIRED("SYN_RCVD", "T_RTX", "give_up", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__t_rtx_give_up__closed_passive)
{
    /* @rfc 9293 3.8.3 R2: an embryonic passive connection times out and disappears */
    struct sc *sc = sc_retries(0, 1);
    sc_to_syn_rcvd_passive(sc);
    sc_fire_next(sc);
    sc_expect(sc, S | A, sc->iss, sc->irs + 1, 0);
    sc_fire_next(sc);
    NONE();
    STATE("CLOSED");
    ck_assert_str_eq(sc_fd_state(sc, sc->lfd), "LISTEN");
    ck_assert(!sc_timer_armed(sc));
    FIRED("SYN_RCVD", "T_RTX", "give_up", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__t_rtx_else__syn_rcvd)
{
    /* @rfc 6298 5.4-5.6: retransmit the SYN-ACK */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_passive(sc);
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    sc_expect(sc, S | A, sc->iss, sc->irs + 1, 0);
    ck_assert_uint_eq(sc_fire_next(sc), 200000);
    sc_expect(sc, S | A, sc->iss, sc->irs + 1, 0);
    NONE();
    STATE("SYN_RCVD");
    FIRED("SYN_RCVD", "T_RTX", "else", "SYN_RCVD");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__app_close__fin_wait_1)
{
    /* @rfc 9293 3.10.4: CLOSE in SYN-RECEIVED: FIN-WAIT-1; the FIN goes out once the
     * handshake completes ("queue for processing after entering ESTABLISHED state") */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_active(sc);
    ck_assert_int_eq(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    NONE();
    STATE("FIN_WAIT_1");
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, payload, 1), -EPIPE);
    FIRED("SYN_RCVD", "APP_CLOSE", NULL, "FIN_WAIT_1");
    /* the peer's ACK of our SYN completes the handshake: our FIN follows */
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_1");
    sc_inject(sc, A, sc->irs + 1, sc->iss + 2, W, NULL, 0);
    NONE();
    STATE("FIN_WAIT_2");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__app_close__fin_wait_1_retransmits_syn_ack)
{
    /* @rfc 9293 3.10.4 + 6298 5.4 + 9293 3.8.3 R2: closed before the handshake completed, the
     * SYN-ACK is still what is outstanding: the retransmission timer resends it, and gives up
     * after syn_retries (1 here) */
    struct sc *sc = sc_retries(0, 1);
    sc_to_syn_rcvd_active(sc);
    ck_assert_int_eq(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    NONE();
    STATE("FIN_WAIT_1");
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    sc_expect(sc, S | A, sc->iss, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_1");
    ck_assert_uint_eq(sc_fire_next(sc), 200000);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    FIRED("SYN_RCVD", "APP_CLOSE", NULL, "FIN_WAIT_1");
    FIRED("FIN_WAIT_1", "T_RTX", "give_up", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(syn_rcvd__app_abort__closed)
{
    /* @rfc 9293 3.10.5: ABORT in SYN-RECEIVED: <SEQ=SND.NXT><CTL=RST> */
    struct sc *sc = sc_new(NULL);
    sc_to_syn_rcvd_active(sc);
    ck_assert_int_eq(tcpfsm_abort(sc->st, sc->fd), 0);
    sc->fd = -1;
    sc_expect(sc, R, sc->iss + 1, 0, 0);
    NONE();
    STATE("CLOSED");
    ck_assert(!sc_timer_armed(sc));
    FIRED("SYN_RCVD", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

/* ================================================================== ESTABLISHED ==== */

START_TEST(established__rcv_unacceptable_oow_ack_ok__established)
{
    /* @rfc 9293 3.10.7.4 first: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, P | A, sc->irs + 1 + 70000, sc->iss + 1, W, payload, 10);   /* right of window */
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    sc_inject(sc, P | A, sc->irs + 1 - 20, sc->iss + 1, W, payload, 10);      /* old duplicate */
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    sc_inject(sc, R, sc->irs + 1 + 70000, 0, 0, NULL, 0);   /* an unacceptable RST: silence */
    NONE();
    STATE("ESTABLISHED");
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, (char[16]){0}, 16), -EAGAIN);
    FIRED("ESTABLISHED", "RCV_UNACCEPTABLE", "oow_ack_ok", "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(established__rcv_rst_rst_exact__closed)
{
    /* @rfc 9293 3.10.7.4 second, 5961 3.2: SEG.SEQ = RCV.NXT: reset, ECONNRESET */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, R, sc->irs + 1, 0, 0, NULL, 0);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ECONNRESET);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, payload, 1), -ECONNRESET);
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), -ECONNRESET);
    ck_assert(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLERR);
    ck_assert(!sc_timer_armed(sc));
    FIRED("ESTABLISHED", "RCV_RST", "rst_exact", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(established__rcv_rst_challenge_ok__established)
{
    /* @rfc 5961 3.2: an in-window RST that is not exact earns a challenge ACK */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, R, sc->irs + 100, 0, 0, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    STATE("ESTABLISHED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    FIRED("ESTABLISHED", "RCV_RST", "challenge_ok", "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(established__rcv_syn_challenge_ok__established)
{
    /* @rfc 9293 3.10.7.4 fourth, 5961 4.2: SYN in a synchronized state: challenge ACK */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, S, sc->irs + 100, 0, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    sc_advance(sc, 500000);   /* one challenge per 500 ms per connection (oow_ack_ok) */
    sc_inject(sc, S | A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    STATE("ESTABLISHED");
    FIRED("ESTABLISHED", "RCV_SYN", "challenge_ok", "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(established__rcv_bad_ack_oow_ack_ok__established)
{
    /* @rfc 9293 3.10.7.4 fifth: SEG.ACK > SND.NXT: send an ACK, drop the segment */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 100, W, payload, 10);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    STATE("ESTABLISHED");
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, (char[16]){0}, 16), -EAGAIN);   /* dropped */
    FIRED("ESTABLISHED", "RCV_BAD_ACK", "oow_ack_ok", "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(established__rcv_ack__established)
{
    /* @rfc 9293 3.10.7.4 fifth: SND.UNA < SEG.ACK =< SND.NXT: SND.UNA = SEG.ACK */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    ck_assert_int_eq(app_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 1, 10);
    ck_assert(sc_timer_armed(sc));
    sc_inject(sc, A, sc->irs + 1, sc->iss + 11, 20000, NULL, 0);
    NONE();
    STATE("ESTABLISHED");
    struct tcb *t = sc_tcb(sc);
    ck_assert_uint_eq(t->snd_una, sc->iss + 11);
    ck_assert_uint_eq(t->snd_wnd, 20000);
    ck_assert(!sc_timer_armed(sc));   /* RFC 6298 5.2 */
    FIRED("ESTABLISHED", "RCV_ACK", NULL, "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(established__rcv_ack__established_zero_window_update)
{
    /* @rfc 9293 3.10.7.4 fifth: SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK: SND.WND = SEG.WND,
     * also when a repeated ACK closes the window; nothing more may be sent (3.8.6.1) */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, 0, NULL, 0);
    NONE();
    ck_assert_uint_eq(sc_tcb(sc)->snd_wnd, 0);
    ck_assert_int_eq(app_send(sc, 3), 3);
    NONE();
    ck_assert(tcb_timer_armed(sc_tcb(sc), TMR_PERSIST));
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, 100, NULL, 0);   /* reopened */
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 1, 3);
    FIRED("ESTABLISHED", "RCV_ACK", NULL, "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_ack_fin_acked__fin_wait_2_then_fin)
{
    /* @rfc 9293 3.10.7.4 fifth and eighth: one segment ACKs our FIN and carries the peer's:
     * FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_1(sc, true);
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 2, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("TIME_WAIT");
    FIRED("FIN_WAIT_1", "RCV_ACK", "fin_acked", "FIN_WAIT_2");
    FIRED("FIN_WAIT_2", "RCV_FIN", NULL, "TIME_WAIT");
    ck_assert_uint_eq(sc_fire_next(sc), 1000000);
    STATE("CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(established__rcv_data__established)
{
    /* @rfc 9293 3.10.7.4 seventh: in-order text to the user, RCV.NXT advanced, ACK delayed */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, payload, 10);
    NONE();   /* RFC 9293 3.8.6.3: the ACK is delayed */
    STATE("ESTABLISHED");
    char buf[32];
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 10);
    ck_assert_int_eq(memcmp(buf, payload, 10), 0);
    ck_assert_uint_eq(sc_tcb(sc)->rcv_nxt, sc->irs + 11);
    /* a second segment is ACKed at once (RFC 1122 4.2.3.2: every second segment) */
    sc_inject(sc, P | A, sc->irs + 11, sc->iss + 1, W, payload + 10, 5);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 16, 0);
    NONE();
    FIRED("ESTABLISHED", "RCV_DATA", NULL, "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(established__rcv_fin__close_wait)
{
    /* @rfc 9293 3.10.7.4 eighth: advance RCV.NXT over the FIN, ACK it, "connection closing" */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), 0);   /* end of stream */
    ck_assert(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLIN);
    ck_assert(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLOUT);   /* we may still send */
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    FIRED("ESTABLISHED", "RCV_FIN", NULL, "CLOSE_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(established__rcv_fin__close_wait_with_data)
{
    /* @rfc 9293 3.10.7.4 seventh and eighth: text and FIN in one segment, ACKed at once */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, F | P | A, sc->irs + 1, sc->iss + 1, W, payload, 10);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 12, 0);
    NONE();
    STATE("CLOSE_WAIT");
    ck_assert(!tcb_timer_armed(sc_tcb(sc), TMR_DELACK));
    char buf[32];
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 10);
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 0);
    FIRED("ESTABLISHED", "RCV_FIN", NULL, "CLOSE_WAIT");
    sc_free(sc);
}
END_TEST

/* n bytes sent at iss+1 and retransmitted until the connection gives up (max_retries=2). */
static void give_up_on_data(struct sc *sc, uint32_t ack, uint8_t extra_flags)
{
    ck_assert_int_eq(app_send(sc, 10), 10);
    sc_expect(sc, P | A | extra_flags, sc->iss + 1, ack, 10);
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    sc_expect(sc, P | A | extra_flags, sc->iss + 1, ack, 10);
    ck_assert_uint_eq(sc_fire_next(sc), 200000);
    sc_expect(sc, P | A | extra_flags, sc->iss + 1, ack, 10);
    ck_assert_uint_eq(sc_fire_next(sc), 400000);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, payload, 1), -ETIMEDOUT);
    ck_assert(!sc_timer_armed(sc));
}

START_TEST(established__t_rtx_give_up__closed)
{
    /* @rfc 9293 3.8.3 R2: max_retries retransmissions unanswered: ETIMEDOUT */
    struct sc *sc = sc_retries(2, 0);
    sc_establish(sc);
    give_up_on_data(sc, sc->irs + 1, 0);
    FIRED("ESTABLISHED", "T_RTX", "give_up", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(established__t_rtx_else__established)
{
    /* @rfc 6298 5.4-5.6: retransmit the earliest unacknowledged segment, back off */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    ck_assert_int_eq(app_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 1, 10);
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 1, 10);
    NONE();
    STATE("ESTABLISHED");
    ck_assert_uint_eq(sc_fire_next(sc), 200000);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 1, 10);
    FIRED("ESTABLISHED", "T_RTX", "else", "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(established__t_delack__established)
{
    /* @rfc 9293 3.8.6.3: the delayed ACK goes out within the delay (40 ms here) */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, payload, 10);
    NONE();
    ck_assert_uint_eq(sc_fire_next(sc), 40000);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 11, 0);
    NONE();
    STATE("ESTABLISHED");
    ck_assert(!sc_timer_armed(sc));
    FIRED("ESTABLISHED", "T_DELACK", NULL, "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(established__t_persist__established)
{
    /* @rfc 9293 3.8.6.1: a zero window is probed with one octet of new data */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    zero_window_with_queued_data(sc, sc->irs + 1, 10, 5);
    sc_fire_next(sc);
    sc_expect(sc, A, sc->iss + 11, sc->irs + 1, 1);
    NONE();
    STATE("ESTABLISHED");
    ck_assert(sc_timer_armed(sc));   /* the next probe, backed off */
    /* the window opens: the rest goes out */
    sc_inject(sc, A, sc->irs + 1, sc->iss + 12, W, NULL, 0);
    sc_expect(sc, P | A, sc->iss + 12, sc->irs + 1, 4);
    NONE();
    FIRED("ESTABLISHED", "T_PERSIST", NULL, "ESTABLISHED");
    sc_free(sc);
}
END_TEST

/* Keep-alive (1 s idle): probes <SEQ=SND.NXT-1><ACK=RCV.NXT> every second; the 10th expiry
 * without an answer gives up (9 probes). */
static void keepalive_until_dead(struct sc *sc, uint32_t seq, uint32_t ack)
{
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_KEEPALIVE, 1000000), 0);
    for (int i = 0; i < 9; i++) {
        ck_assert_uint_eq(sc_fire_next(sc), 1000000);
        sc_expect(sc, A, seq - 1, ack, 0);
        NONE();
    }
    ck_assert_uint_eq(sc_fire_next(sc), 1000000);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    ck_assert(!sc_timer_armed(sc));
}

START_TEST(established__t_keepalive_keepalive_dead__closed)
{
    /* @rfc 1122 4.2.3.6: the peer answers no keep-alive: ETIMEDOUT */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    keepalive_until_dead(sc, sc->iss + 1, sc->irs + 1);
    FIRED("ESTABLISHED", "T_KEEPALIVE", "keepalive_dead", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(established__t_keepalive_else__established)
{
    /* @rfc 1122 4.2.3.6: <SEQ=SND.NXT-1><ACK=RCV.NXT>; the peer's answer restarts idle time */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_KEEPALIVE, 1000000), 0);
    NONE();
    ck_assert_uint_eq(sc_fire_next(sc), 1000000);
    sc_expect(sc, A, sc->iss, sc->irs + 1, 0);
    NONE();
    STATE("ESTABLISHED");
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1, W, NULL, 0);   /* the peer lives */
    NONE();
    ck_assert_uint_eq(sc_tcb(sc)->retries, 0);
    ck_assert_uint_eq(sc_fire_next(sc), 1000000);
    sc_expect(sc, A, sc->iss, sc->irs + 1, 0);
    FIRED("ESTABLISHED", "T_KEEPALIVE", "else", "ESTABLISHED");
    sc_free(sc);
}
END_TEST

START_TEST(established__app_close__fin_wait_1)
{
    /* @rfc 9293 3.10.4: CLOSE in ESTABLISHED: FIN after the queued data, FIN-WAIT-1 */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_1(sc, true);
    ck_assert(sc_timer_armed(sc));   /* the FIN is retransmitted until ACKed */
    FIRED("ESTABLISHED", "APP_CLOSE", NULL, "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

START_TEST(established__app_close__fin_wait_1_after_data)
{
    /* @rfc 9293 3.10.4: "queue this until all preceding SENDs have been segmentized" */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    ck_assert_int_eq(app_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 1, 10);
    ck_assert_int_eq(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    sc_expect(sc, F | A, sc->iss + 11, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_1");
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, payload, 1), -EPIPE);
    FIRED("ESTABLISHED", "APP_CLOSE", NULL, "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

START_TEST(established__app_abort__closed)
{
    /* @rfc 9293 3.10.5: ABORT in ESTABLISHED: <SEQ=SND.NXT><CTL=RST> */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    ck_assert_int_eq(tcpfsm_abort(sc->st, sc->fd), 0);
    sc->fd = -1;
    sc_expect(sc, R, sc->iss + 1, 0, 0);
    NONE();
    STATE("CLOSED");
    ck_assert(!sc_timer_armed(sc));
    FIRED("ESTABLISHED", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(established__app_abort__closed_close_with_unread_data)
{
    /* @rfc 9293 3.10.5 via RFC 2525 2.17: close() with unread data aborts */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, payload, 10);
    NONE();
    ck_assert_int_eq(tcpfsm_close(sc->st, sc->fd), 0);
    sc->fd = -1;
    sc_expect(sc, R, sc->iss + 1, 0, 0);
    NONE();
    STATE("CLOSED");
    FIRED("ESTABLISHED", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

/* =================================================================== FIN_WAIT_1 ==== */
/* In FIN_WAIT_1 (no data exchanged): SND.NXT = iss+2 (our FIN at iss+1), RCV.NXT = irs+1. */

START_TEST(fin_wait_1__rcv_unacceptable_oow_ack_ok__fin_wait_1)
{
    /* @rfc 9293 3.10.7.4 first */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_1(sc, false);
    sc_inject(sc, A, sc->irs + 1 + 70000, sc->iss + 2, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_1");
    FIRED("FIN_WAIT_1", "RCV_UNACCEPTABLE", "oow_ack_ok", "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_rst_rst_exact__closed)
{
    /* @rfc 9293 3.10.7.4 second, 5961 3.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_1(sc, false);
    sc_inject(sc, R, sc->irs + 1, 0, 0, NULL, 0);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ECONNRESET);
    ck_assert(!sc_timer_armed(sc));
    FIRED("FIN_WAIT_1", "RCV_RST", "rst_exact", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_rst_challenge_ok__fin_wait_1)
{
    /* @rfc 5961 3.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_1(sc, false);
    sc_inject(sc, R, sc->irs + 2, 0, 0, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_1");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    FIRED("FIN_WAIT_1", "RCV_RST", "challenge_ok", "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_syn_challenge_ok__fin_wait_1)
{
    /* @rfc 9293 3.10.7.4 fourth, 5961 4.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_1(sc, false);
    sc_inject(sc, S, sc->irs + 50, 0, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_1");
    FIRED("FIN_WAIT_1", "RCV_SYN", "challenge_ok", "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_bad_ack_oow_ack_ok__fin_wait_1)
{
    /* @rfc 9293 3.10.7.4 fifth */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_1(sc, false);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 3, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_1");
    FIRED("FIN_WAIT_1", "RCV_BAD_ACK", "oow_ack_ok", "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_ack_fin_acked__fin_wait_2)
{
    /* @rfc 9293 3.10.7.4 fifth: our FIN is acknowledged: FIN-WAIT-2 */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_2(sc, false);
    ck_assert(!sc_timer_armed(sc));   /* not orphaned: no FIN_WAIT_2 timeout */
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    FIRED("FIN_WAIT_1", "RCV_ACK", "fin_acked", "FIN_WAIT_2");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_ack_else__fin_wait_1)
{
    /* @rfc 9293 3.10.7.4 fifth: an ACK of our data but not of our FIN */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    ck_assert_int_eq(app_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 1, 10);
    ck_assert_int_eq(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    sc_expect(sc, F | A, sc->iss + 11, sc->irs + 1, 0);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 11, W, NULL, 0);
    NONE();
    STATE("FIN_WAIT_1");
    ck_assert_uint_eq(sc_tcb(sc)->snd_una, sc->iss + 11);
    ck_assert(sc_timer_armed(sc));   /* the FIN is still outstanding */
    FIRED("FIN_WAIT_1", "RCV_ACK", "else", "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_data__fin_wait_1)
{
    /* @rfc 9293 3.10.7.4 seventh: FIN-WAIT-1 still receives */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_1(sc, false);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, payload, 5);
    NONE();
    STATE("FIN_WAIT_1");
    char buf[16];
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 5);
    ck_assert_int_eq(memcmp(buf, payload, 5), 0);
    FIRED("FIN_WAIT_1", "RCV_DATA", NULL, "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__rcv_fin__closing)
{
    /* @rfc 9293 3.10.7.4 eighth: simultaneous close: ACK the FIN, CLOSING */
    struct sc *sc = sc_new(NULL);
    sc_to_closing(sc, false);
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), 0);
    FIRED("FIN_WAIT_1", "RCV_FIN", NULL, "CLOSING");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__t_rtx_give_up__closed)
{
    /* @rfc 9293 3.8.3 R2 */
    struct sc *sc = sc_retries(2, 0);
    sc_to_fin_wait_1(sc, false);
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    ck_assert_uint_eq(sc_fire_next(sc), 200000);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    ck_assert_uint_eq(sc_fire_next(sc), 400000);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    ck_assert(!sc_timer_armed(sc));
    FIRED("FIN_WAIT_1", "T_RTX", "give_up", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__t_rtx_else__fin_wait_1)
{
    /* @rfc 6298 5.4-5.6: the FIN is retransmitted */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_1(sc, true);
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_1");
    FIRED("FIN_WAIT_1", "T_RTX", "else", "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__t_delack__fin_wait_1)
{
    /* @rfc 9293 3.8.6.3 */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_1(sc, false);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, payload, 5);
    NONE();
    ck_assert_uint_eq(sc_fire_next(sc), 40000);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 6, 0);
    NONE();
    STATE("FIN_WAIT_1");
    FIRED("FIN_WAIT_1", "T_DELACK", NULL, "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__t_persist__fin_wait_1)
{
    /* @rfc 9293 3.8.6.1: data and FIN queued behind a zero window: probe */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    zero_window_with_queued_data(sc, sc->irs + 1, 10, 5);
    ck_assert_int_eq(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    NONE();
    STATE("FIN_WAIT_1");
    sc_fire_next(sc);
    sc_expect(sc, A, sc->iss + 11, sc->irs + 1, 1);
    NONE();
    STATE("FIN_WAIT_1");
    /* the window opens: the rest and the FIN */
    sc_inject(sc, A, sc->irs + 1, sc->iss + 12, W, NULL, 0);
    sc_expect(sc, F | P | A, sc->iss + 12, sc->irs + 1, 4);
    NONE();
    FIRED("FIN_WAIT_1", "T_PERSIST", NULL, "FIN_WAIT_1");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_1__app_abort__closed)
{
    /* @rfc 9293 3.10.5: <SEQ=SND.NXT><CTL=RST> */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_1(sc, false);
    ck_assert_int_eq(tcpfsm_abort(sc->st, sc->fd), 0);
    sc->fd = -1;
    sc_expect(sc, R, sc->iss + 2, 0, 0);
    NONE();
    STATE("CLOSED");
    ck_assert(!sc_timer_armed(sc));
    FIRED("FIN_WAIT_1", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

/* =================================================================== FIN_WAIT_2 ==== */
/* In FIN_WAIT_2: SND.NXT = SND.UNA = iss+2, RCV.NXT = irs+1. */

START_TEST(fin_wait_2__rcv_unacceptable_oow_ack_ok__fin_wait_2)
{
    /* @rfc 9293 3.10.7.4 first */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_2(sc, false);
    sc_inject(sc, P | A, sc->irs + 1 - 10, sc->iss + 2, W, payload, 5);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_2");
    FIRED("FIN_WAIT_2", "RCV_UNACCEPTABLE", "oow_ack_ok", "FIN_WAIT_2");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_2__rcv_rst_rst_exact__closed)
{
    /* @rfc 9293 3.10.7.4 second, 5961 3.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_2(sc, false);
    sc_inject(sc, R, sc->irs + 1, 0, 0, NULL, 0);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ECONNRESET);
    FIRED("FIN_WAIT_2", "RCV_RST", "rst_exact", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_2__rcv_rst_challenge_ok__fin_wait_2)
{
    /* @rfc 5961 3.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_2(sc, false);
    sc_inject(sc, R | A, sc->irs + 3, sc->iss + 2, 0, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_2");
    FIRED("FIN_WAIT_2", "RCV_RST", "challenge_ok", "FIN_WAIT_2");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_2__rcv_syn_challenge_ok__fin_wait_2)
{
    /* @rfc 9293 3.10.7.4 fourth, 5961 4.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_2(sc, false);
    sc_inject(sc, S, sc->irs + 7, 0, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_2");
    FIRED("FIN_WAIT_2", "RCV_SYN", "challenge_ok", "FIN_WAIT_2");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_2__rcv_bad_ack_oow_ack_ok__fin_wait_2)
{
    /* @rfc 9293 3.10.7.4 fifth */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_2(sc, false);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 1000, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 1, 0);
    NONE();
    STATE("FIN_WAIT_2");
    FIRED("FIN_WAIT_2", "RCV_BAD_ACK", "oow_ack_ok", "FIN_WAIT_2");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_2__rcv_ack__fin_wait_2)
{
    /* @rfc 9293 3.10.7.4 fifth: a window update */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_2(sc, false);
    sc_inject(sc, A, sc->irs + 1, sc->iss + 2, 1234, NULL, 0);
    NONE();
    STATE("FIN_WAIT_2");
    FIRED("FIN_WAIT_2", "RCV_ACK", NULL, "FIN_WAIT_2");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_2__rcv_data__fin_wait_2)
{
    /* @rfc 9293 3.10.7.4 seventh: the half-closed connection still receives */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_2(sc, false);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 2, W, payload, 7);
    NONE();
    STATE("FIN_WAIT_2");
    char buf[16];
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, buf, sizeof buf), 7);
    ck_assert_int_eq(memcmp(buf, payload, 7), 0);
    FIRED("FIN_WAIT_2", "RCV_DATA", NULL, "FIN_WAIT_2");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_2__rcv_fin__time_wait)
{
    /* @rfc 9293 3.10.7.4 eighth: ACK the FIN, TIME-WAIT, start the 2 MSL timer */
    struct sc *sc = sc_new(NULL);
    sc_to_time_wait(sc, false);
    ck_assert(tcb_timer_armed(sc_tcb(sc), TMR_2MSL));
    ck_assert_int_eq(tcpfsm_recv(sc->st, sc->fd, (char[4]){0}, 4), 0);
    ck_assert(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLHUP);
    FIRED("FIN_WAIT_2", "RCV_FIN", NULL, "TIME_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_2__t_delack__fin_wait_2)
{
    /* @rfc 9293 3.8.6.3 */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_2(sc, false);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 2, W, payload, 7);
    NONE();
    ck_assert_uint_eq(sc_fire_next(sc), 40000);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 8, 0);
    NONE();
    STATE("FIN_WAIT_2");
    FIRED("FIN_WAIT_2", "T_DELACK", NULL, "FIN_WAIT_2");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_2__t_2msl__closed)
{
    /* @rfc 9293 3.10.4: an orphaned FIN_WAIT_2 is not kept forever (2 MSL here) */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_2(sc, true);
    ck_assert_uint_eq(sc_fire_next(sc), 1000000);
    NONE();
    STATE("CLOSED");
    ck_assert(!sc_timer_armed(sc));
    /* the peer's late FIN finds nothing: <SEQ=SEG.ACK><CTL=RST> */
    ck_assert_int_eq(sc_inject(sc, F | A, sc->irs + 1, sc->iss + 2, W, NULL, 0), -ENOENT);
    sc_expect(sc, R, sc->iss + 2, 0, 0);
    FIRED("FIN_WAIT_2", "T_2MSL", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_2__app_abort__closed)
{
    /* @rfc 9293 3.10.5: <SEQ=SND.NXT><CTL=RST> */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_2(sc, false);
    ck_assert_int_eq(tcpfsm_abort(sc->st, sc->fd), 0);
    sc->fd = -1;
    sc_expect(sc, R, sc->iss + 2, 0, 0);
    NONE();
    STATE("CLOSED");
    FIRED("FIN_WAIT_2", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(fin_wait_2__app_close__fin_wait_2)
{
    /* @rfc 9293 3.10.4: closing a half-closed connection orphans it: the FIN_WAIT_2 timeout
     * starts */
    struct sc *sc = sc_new(NULL);
    sc_to_fin_wait_2(sc, false);
    ck_assert(!sc_timer_armed(sc));
    ck_assert_int_eq(tcpfsm_close(sc->st, sc->fd), 0);
    sc->fd = -1;
    NONE();
    STATE("FIN_WAIT_2");
    ck_assert_uint_eq(sc_fire_next(sc), 1000000);
    NONE();
    STATE("CLOSED");
    FIRED("FIN_WAIT_2", "APP_CLOSE", NULL, "FIN_WAIT_2");
    sc_free(sc);
}
END_TEST

/* ====================================================================== CLOSING ==== */
/* In CLOSING: our FIN at iss+1 unacknowledged (SND.NXT = iss+2), RCV.NXT = irs+2. */

START_TEST(closing__rcv_unacceptable_oow_ack_ok__closing)
{
    /* @rfc 9293 3.10.7.4 first */
    struct sc *sc = sc_new(NULL);
    sc_to_closing(sc, false);
    sc_inject(sc, A, sc->irs + 2 + 70000, sc->iss + 2, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("CLOSING");
    FIRED("CLOSING", "RCV_UNACCEPTABLE", "oow_ack_ok", "CLOSING");
    sc_free(sc);
}
END_TEST

START_TEST(closing__rcv_rst_rst_exact__closed)
{
    /* @rfc 9293 3.10.7.4 second: CLOSING: enter CLOSED, delete the TCB (no user error) */
    struct sc *sc = sc_new(NULL);
    sc_to_closing(sc, false);
    sc_inject(sc, R, sc->irs + 2, 0, 0, NULL, 0);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    ck_assert(!sc_timer_armed(sc));
    FIRED("CLOSING", "RCV_RST", "rst_exact", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(closing__rcv_rst_challenge_ok__closing)
{
    /* @rfc 5961 3.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_closing(sc, false);
    sc_inject(sc, R, sc->irs + 9, 0, 0, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("CLOSING");
    FIRED("CLOSING", "RCV_RST", "challenge_ok", "CLOSING");
    sc_free(sc);
}
END_TEST

START_TEST(closing__rcv_syn_challenge_ok__closing)
{
    /* @rfc 9293 3.10.7.4 fourth, 5961 4.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_closing(sc, false);
    sc_inject(sc, S, sc->irs + 9, 0, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("CLOSING");
    FIRED("CLOSING", "RCV_SYN", "challenge_ok", "CLOSING");
    sc_free(sc);
}
END_TEST

START_TEST(closing__rcv_bad_ack_oow_ack_ok__closing)
{
    /* @rfc 9293 3.10.7.4 fifth */
    struct sc *sc = sc_new(NULL);
    sc_to_closing(sc, false);
    sc_inject(sc, A, sc->irs + 2, sc->iss + 3, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("CLOSING");
    FIRED("CLOSING", "RCV_BAD_ACK", "oow_ack_ok", "CLOSING");
    sc_free(sc);
}
END_TEST

START_TEST(closing__rcv_ack_fin_acked__time_wait)
{
    /* @rfc 9293 3.10.7.4 fifth: CLOSING: our FIN ACKed: TIME-WAIT */
    struct sc *sc = sc_new(NULL);
    sc_to_closing(sc, false);
    sc_inject(sc, A, sc->irs + 2, sc->iss + 2, W, NULL, 0);
    NONE();
    STATE("TIME_WAIT");
    ck_assert(tcb_timer_armed(sc_tcb(sc), TMR_2MSL));
    ck_assert_uint_eq(sc_fire_next(sc), 1000000);
    STATE("CLOSED");
    FIRED("CLOSING", "RCV_ACK", "fin_acked", "TIME_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(closing__rcv_ack_else__closing)
{
    /* @rfc 9293 3.10.7.4 fifth: an ACK that does not cover our FIN */
    struct sc *sc = sc_new(NULL);
    sc_to_closing(sc, false);
    sc_inject(sc, A, sc->irs + 2, sc->iss + 1, W, NULL, 0);
    NONE();
    STATE("CLOSING");
    FIRED("CLOSING", "RCV_ACK", "else", "CLOSING");
    sc_free(sc);
}
END_TEST

START_TEST(closing__rcv_fin__closing)
{
    /* @rfc 9293 3.10.7.4 eighth: the peer's FIN retransmitted: ACK it again */
    struct sc *sc = sc_new(NULL);
    sc_to_closing(sc, false);
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("CLOSING");
    FIRED("CLOSING", "RCV_FIN", NULL, "CLOSING");
    sc_free(sc);
}
END_TEST

START_TEST(closing__t_rtx_give_up__closed)
{
    /* @rfc 9293 3.8.3 R2 */
    struct sc *sc = sc_retries(2, 0);
    sc_to_closing(sc, false);
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 2, 0);
    ck_assert_uint_eq(sc_fire_next(sc), 200000);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 2, 0);
    ck_assert_uint_eq(sc_fire_next(sc), 400000);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    FIRED("CLOSING", "T_RTX", "give_up", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(closing__t_rtx_else__closing)
{
    /* @rfc 6298 5.4-5.6 */
    struct sc *sc = sc_new(NULL);
    sc_to_closing(sc, true);
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 2, 0);
    NONE();
    STATE("CLOSING");
    FIRED("CLOSING", "T_RTX", "else", "CLOSING");
    sc_free(sc);
}
END_TEST

START_TEST(closing__app_abort__closed)
{
    /* @rfc 9293 3.10.5: CLOSING: respond "ok", delete the TCB (nothing sent) */
    struct sc *sc = sc_new(NULL);
    sc_to_closing(sc, false);
    ck_assert_int_eq(tcpfsm_abort(sc->st, sc->fd), 0);
    sc->fd = -1;
    NONE();
    STATE("CLOSED");
    ck_assert(!sc_timer_armed(sc));
    FIRED("CLOSING", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

/* ==================================================================== TIME_WAIT ==== */
/* In TIME_WAIT: SND.NXT = iss+2, RCV.NXT = irs+2. */

START_TEST(time_wait__rcv_unacceptable_oow_ack_ok__time_wait)
{
    /* @rfc 9293 3.10.7.4 first */
    struct sc *sc = sc_new(NULL);
    sc_to_time_wait(sc, false);
    sc_inject(sc, P | A, sc->irs + 2 + 70000, sc->iss + 2, W, payload, 3);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("TIME_WAIT");
    FIRED("TIME_WAIT", "RCV_UNACCEPTABLE", "oow_ack_ok", "TIME_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(time_wait__rcv_rst_rst_exact__closed)
{
    /* @rfc 9293 3.10.7.4 second (RFC 1337 hazard accepted: exact RST only) */
    struct sc *sc = sc_new(NULL);
    sc_to_time_wait(sc, false);
    sc_inject(sc, R, sc->irs + 2, 0, 0, NULL, 0);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    ck_assert(!sc_timer_armed(sc));
    FIRED("TIME_WAIT", "RCV_RST", "rst_exact", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(time_wait__rcv_rst_challenge_ok__time_wait)
{
    /* @rfc 5961 3.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_time_wait(sc, false);
    sc_inject(sc, R, sc->irs + 3, 0, 0, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("TIME_WAIT");
    FIRED("TIME_WAIT", "RCV_RST", "challenge_ok", "TIME_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(time_wait__rcv_syn_challenge_ok__time_wait)
{
    /* @rfc 9293 3.10.7.4 fourth, 5961 4.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_time_wait(sc, false);
    sc_inject(sc, S, sc->irs + 100, 0, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("TIME_WAIT");
    FIRED("TIME_WAIT", "RCV_SYN", "challenge_ok", "TIME_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(time_wait__rcv_bad_ack_oow_ack_ok__time_wait)
{
    /* @rfc 9293 3.10.7.4 fifth */
    struct sc *sc = sc_new(NULL);
    sc_to_time_wait(sc, false);
    sc_inject(sc, A, sc->irs + 2, sc->iss + 5, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("TIME_WAIT");
    FIRED("TIME_WAIT", "RCV_BAD_ACK", "oow_ack_ok", "TIME_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(time_wait__rcv_fin__time_wait)
{
    /* @rfc 9293 3.10.7.4 eighth: TIME-WAIT: the FIN retransmitted is ACKed again and the
     * 2 MSL timeout restarts */
    struct sc *sc = sc_new(NULL);
    sc_to_time_wait(sc, false);
    tcpfsm_time_t entered = sc->now;
    sc_advance(sc, 600000);
    STATE("TIME_WAIT");
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 2, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    sc_advance_to(sc, entered + 1000000 + 1000);   /* past the first deadline */
    STATE("TIME_WAIT");
    tcpfsm_time_t before = sc->now;
    ck_assert_uint_eq(before + sc_fire_next(sc), entered + 600000 + 1000000);
    NONE();
    STATE("CLOSED");
    FIRED("TIME_WAIT", "RCV_FIN", NULL, "TIME_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(time_wait__t_2msl__closed)
{
    /* @rfc 9293 3.10.8: time-wait timeout (2 MSL = 1 s here) */
    struct sc *sc = sc_new(NULL);
    sc_to_time_wait(sc, true);
    ck_assert_uint_eq(sc_fire_next(sc), 1000000);
    NONE();
    STATE("CLOSED");
    ck_assert(!sc_timer_armed(sc));
    FIRED("TIME_WAIT", "T_2MSL", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(time_wait__app_abort__closed)
{
    /* @rfc 9293 3.10.5: TIME-WAIT: respond "ok", delete the TCB (nothing sent) */
    struct sc *sc = sc_new(NULL);
    sc_to_time_wait(sc, false);
    ck_assert_int_eq(tcpfsm_abort(sc->st, sc->fd), 0);
    sc->fd = -1;
    NONE();
    STATE("CLOSED");
    ck_assert(!sc_timer_armed(sc));
    FIRED("TIME_WAIT", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

/* =================================================================== CLOSE_WAIT ==== */
/* In CLOSE_WAIT: SND.NXT = iss+1, RCV.NXT = irs+2. */

START_TEST(close_wait__rcv_unacceptable_oow_ack_ok__close_wait)
{
    /* @rfc 9293 3.10.7.4 first */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    sc_inject(sc, P | A, sc->irs + 2 + 70000, sc->iss + 1, W, payload, 3);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 2, 0);
    NONE();
    STATE("CLOSE_WAIT");
    FIRED("CLOSE_WAIT", "RCV_UNACCEPTABLE", "oow_ack_ok", "CLOSE_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__rcv_rst_rst_exact__closed)
{
    /* @rfc 9293 3.10.7.4 second, 5961 3.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    sc_inject(sc, R, sc->irs + 2, 0, 0, NULL, 0);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ECONNRESET);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, payload, 1), -ECONNRESET);
    FIRED("CLOSE_WAIT", "RCV_RST", "rst_exact", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__rcv_rst_challenge_ok__close_wait)
{
    /* @rfc 5961 3.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    sc_inject(sc, R, sc->irs + 20, 0, 0, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 2, 0);
    NONE();
    STATE("CLOSE_WAIT");
    FIRED("CLOSE_WAIT", "RCV_RST", "challenge_ok", "CLOSE_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__rcv_syn_challenge_ok__close_wait)
{
    /* @rfc 9293 3.10.7.4 fourth, 5961 4.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    sc_inject(sc, S, sc->irs + 20, 0, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 2, 0);
    NONE();
    STATE("CLOSE_WAIT");
    FIRED("CLOSE_WAIT", "RCV_SYN", "challenge_ok", "CLOSE_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__rcv_bad_ack_oow_ack_ok__close_wait)
{
    /* @rfc 9293 3.10.7.4 fifth */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    sc_inject(sc, A, sc->irs + 2, sc->iss + 2, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 2, 0);
    NONE();
    STATE("CLOSE_WAIT");
    FIRED("CLOSE_WAIT", "RCV_BAD_ACK", "oow_ack_ok", "CLOSE_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__rcv_ack__close_wait)
{
    /* @rfc 9293 3.10.7.4 fifth: CLOSE-WAIT still sends; its data is ACKed */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    ck_assert_int_eq(app_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 2, 10);
    sc_inject(sc, A, sc->irs + 2, sc->iss + 11, W, NULL, 0);
    NONE();
    STATE("CLOSE_WAIT");
    ck_assert_uint_eq(sc_tcb(sc)->snd_una, sc->iss + 11);
    ck_assert(!sc_timer_armed(sc));
    FIRED("CLOSE_WAIT", "RCV_ACK", NULL, "CLOSE_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__rcv_fin__close_wait)
{
    /* @rfc 9293 3.10.7.4 eighth: CLOSE-WAIT: the FIN retransmitted is ACKed again */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 2, 0);
    NONE();
    STATE("CLOSE_WAIT");
    FIRED("CLOSE_WAIT", "RCV_FIN", NULL, "CLOSE_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__t_rtx_give_up__closed)
{
    /* @rfc 9293 3.8.3 R2 */
    struct sc *sc = sc_retries(2, 0);
    sc_to_close_wait(sc);
    give_up_on_data(sc, sc->irs + 2, 0);
    FIRED("CLOSE_WAIT", "T_RTX", "give_up", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__t_rtx_else__close_wait)
{
    /* @rfc 6298 5.4-5.6 */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    ck_assert_int_eq(app_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 2, 10);
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 2, 10);
    NONE();
    STATE("CLOSE_WAIT");
    FIRED("CLOSE_WAIT", "T_RTX", "else", "CLOSE_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__no_delayed_ack_timer)
{
    /* @rfc 9293 3.8.6.3. The spec ignores T_DELACK in CLOSE_WAIT because the timer cannot be
     * running there: it is armed only by in-order text (tcp_data_input), no text is accepted
     * in CLOSE_WAIT, and the FIN that enters CLOSE_WAIT is ACKed at once, which cancels a
     * pending delayed ACK. Text + FIN: the FIN's ACK covers both, no timer is left. */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    sc_inject(sc, P | A, sc->irs + 1, sc->iss + 1, W, payload, 4);
    NONE();
    ck_assert(tcb_timer_armed(sc_tcb(sc), TMR_DELACK));
    sc_inject(sc, F | A, sc->irs + 5, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 6, 0);
    NONE();
    STATE("CLOSE_WAIT");
    ck_assert(!tcb_timer_armed(sc_tcb(sc), TMR_DELACK));
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__t_persist__close_wait)
{
    /* @rfc 9293 3.8.6.1 */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    zero_window_with_queued_data(sc, sc->irs + 2, 10, 5);
    sc_fire_next(sc);
    sc_expect(sc, A, sc->iss + 11, sc->irs + 2, 1);
    NONE();
    STATE("CLOSE_WAIT");
    FIRED("CLOSE_WAIT", "T_PERSIST", NULL, "CLOSE_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__t_keepalive_keepalive_dead__closed)
{
    /* @rfc 1122 4.2.3.6 */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    keepalive_until_dead(sc, sc->iss + 1, sc->irs + 2);
    FIRED("CLOSE_WAIT", "T_KEEPALIVE", "keepalive_dead", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__t_keepalive_else__close_wait)
{
    /* @rfc 1122 4.2.3.6: keep-alive set in ESTABLISHED keeps running in CLOSE_WAIT */
    struct sc *sc = sc_new(NULL);
    sc_establish(sc);
    ck_assert_int_eq(tcpfsm_setopt(sc->st, sc->fd, TCPFSM_OPT_KEEPALIVE, 1000000), 0);
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 2, 0);
    STATE("CLOSE_WAIT");
    ck_assert_uint_eq(sc_fire_next(sc), 1000000);
    sc_expect(sc, A, sc->iss, sc->irs + 2, 0);
    NONE();
    STATE("CLOSE_WAIT");
    FIRED("CLOSE_WAIT", "T_KEEPALIVE", "else", "CLOSE_WAIT");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__app_close__last_ack)
{
    /* @rfc 9293 3.10.4: CLOSE-WAIT: send FIN, LAST-ACK */
    struct sc *sc = sc_new(NULL);
    sc_to_last_ack(sc, true);
    ck_assert(sc_timer_armed(sc));
    FIRED("CLOSE_WAIT", "APP_CLOSE", NULL, "LAST_ACK");
    sc_free(sc);
}
END_TEST

START_TEST(close_wait__app_abort__closed)
{
    /* @rfc 9293 3.10.5: <SEQ=SND.NXT><CTL=RST> */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    ck_assert_int_eq(tcpfsm_abort(sc->st, sc->fd), 0);
    sc->fd = -1;
    sc_expect(sc, R, sc->iss + 1, 0, 0);
    NONE();
    STATE("CLOSED");
    FIRED("CLOSE_WAIT", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

/* ===================================================================== LAST_ACK ==== */
/* In LAST_ACK: our FIN at iss+1 (SND.NXT = iss+2), RCV.NXT = irs+2. */

START_TEST(last_ack__rcv_unacceptable_oow_ack_ok__last_ack)
{
    /* @rfc 9293 3.10.7.4 first */
    struct sc *sc = sc_new(NULL);
    sc_to_last_ack(sc, false);
    sc_inject(sc, A, sc->irs + 2 + 70000, sc->iss + 2, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("LAST_ACK");
    FIRED("LAST_ACK", "RCV_UNACCEPTABLE", "oow_ack_ok", "LAST_ACK");
    sc_free(sc);
}
END_TEST

START_TEST(last_ack__rcv_rst_rst_exact__closed)
{
    /* @rfc 9293 3.10.7.4 second: LAST-ACK: enter CLOSED, delete the TCB */
    struct sc *sc = sc_new(NULL);
    sc_to_last_ack(sc, false);
    sc_inject(sc, R, sc->irs + 2, 0, 0, NULL, 0);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    ck_assert(!sc_timer_armed(sc));
    FIRED("LAST_ACK", "RCV_RST", "rst_exact", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(last_ack__rcv_rst_challenge_ok__last_ack)
{
    /* @rfc 5961 3.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_last_ack(sc, false);
    sc_inject(sc, R, sc->irs + 4, 0, 0, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("LAST_ACK");
    FIRED("LAST_ACK", "RCV_RST", "challenge_ok", "LAST_ACK");
    sc_free(sc);
}
END_TEST

START_TEST(last_ack__rcv_syn_challenge_ok__last_ack)
{
    /* @rfc 9293 3.10.7.4 fourth, 5961 4.2 */
    struct sc *sc = sc_new(NULL);
    sc_to_last_ack(sc, false);
    sc_inject(sc, S, sc->irs + 4, 0, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("LAST_ACK");
    FIRED("LAST_ACK", "RCV_SYN", "challenge_ok", "LAST_ACK");
    sc_free(sc);
}
END_TEST

START_TEST(last_ack__rcv_bad_ack_oow_ack_ok__last_ack)
{
    /* @rfc 9293 3.10.7.4 fifth */
    struct sc *sc = sc_new(NULL);
    sc_to_last_ack(sc, false);
    sc_inject(sc, A, sc->irs + 2, sc->iss + 3, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("LAST_ACK");
    FIRED("LAST_ACK", "RCV_BAD_ACK", "oow_ack_ok", "LAST_ACK");
    sc_free(sc);
}
END_TEST

START_TEST(last_ack__rcv_ack_fin_acked__closed)
{
    /* @rfc 9293 3.10.7.4 fifth: LAST-ACK: our FIN ACKed: delete the TCB, CLOSED */
    struct sc *sc = sc_new(NULL);
    sc_to_last_ack(sc, false);
    sc_inject(sc, A, sc->irs + 2, sc->iss + 2, W, NULL, 0);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    ck_assert(!sc_timer_armed(sc));
    ck_assert(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLHUP);
    FIRED("LAST_ACK", "RCV_ACK", "fin_acked", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(last_ack__rcv_ack_else__last_ack)
{
    /* @rfc 9293 3.10.7.4 fifth: data ACKed, the FIN after it not yet */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    ck_assert_int_eq(app_send(sc, 10), 10);
    sc_expect(sc, P | A, sc->iss + 1, sc->irs + 2, 10);
    ck_assert_int_eq(tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR), 0);
    sc_expect(sc, F | A, sc->iss + 11, sc->irs + 2, 0);
    STATE("LAST_ACK");
    sc_inject(sc, A, sc->irs + 2, sc->iss + 11, W, NULL, 0);
    NONE();
    STATE("LAST_ACK");
    ck_assert(sc_timer_armed(sc));
    FIRED("LAST_ACK", "RCV_ACK", "else", "LAST_ACK");
    sc_free(sc);
}
END_TEST

START_TEST(last_ack__rcv_fin__last_ack)
{
    /* @rfc 9293 3.10.7.4 eighth: LAST-ACK: the FIN retransmitted is ACKed again */
    struct sc *sc = sc_new(NULL);
    sc_to_last_ack(sc, false);
    sc_inject(sc, F | A, sc->irs + 1, sc->iss + 1, W, NULL, 0);
    sc_expect(sc, A, sc->iss + 2, sc->irs + 2, 0);
    NONE();
    STATE("LAST_ACK");
    FIRED("LAST_ACK", "RCV_FIN", NULL, "LAST_ACK");
    sc_free(sc);
}
END_TEST

START_TEST(last_ack__t_rtx_give_up__closed)
{
    /* @rfc 9293 3.8.3 R2 */
    struct sc *sc = sc_retries(2, 0);
    sc_to_last_ack(sc, false);
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 2, 0);
    ck_assert_uint_eq(sc_fire_next(sc), 200000);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 2, 0);
    ck_assert_uint_eq(sc_fire_next(sc), 400000);
    NONE();
    STATE("CLOSED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    FIRED("LAST_ACK", "T_RTX", "give_up", "CLOSED");
    sc_free(sc);
}
END_TEST

START_TEST(last_ack__t_rtx_else__last_ack)
{
    /* @rfc 6298 5.4-5.6 */
    struct sc *sc = sc_new(NULL);
    sc_to_last_ack(sc, true);
    ck_assert_uint_eq(sc_fire_next(sc), 100000);
    sc_expect(sc, F | A, sc->iss + 1, sc->irs + 2, 0);
    NONE();
    STATE("LAST_ACK");
    FIRED("LAST_ACK", "T_RTX", "else", "LAST_ACK");
    sc_free(sc);
}
END_TEST

START_TEST(last_ack__t_persist__last_ack)
{
    /* @rfc 9293 3.8.6.1: data and FIN queued behind a zero window after CLOSE in CLOSE-WAIT */
    struct sc *sc = sc_new(NULL);
    sc_to_close_wait(sc);
    zero_window_with_queued_data(sc, sc->irs + 2, 10, 5);
    ck_assert_int_eq(tcpfsm_close(sc->st, sc->fd), 0);
    sc->fd = -1;
    NONE();
    STATE("LAST_ACK");
    sc_fire_next(sc);
    sc_expect(sc, A, sc->iss + 11, sc->irs + 2, 1);
    NONE();
    STATE("LAST_ACK");
    sc_inject(sc, A, sc->irs + 2, sc->iss + 12, W, NULL, 0);
    sc_expect(sc, F | P | A, sc->iss + 12, sc->irs + 2, 4);
    sc_inject(sc, A, sc->irs + 2, sc->iss + 17, W, NULL, 0);
    NONE();
    STATE("CLOSED");
    FIRED("LAST_ACK", "T_PERSIST", NULL, "LAST_ACK");
    sc_free(sc);
}
END_TEST

START_TEST(last_ack__app_abort__closed)
{
    /* @rfc 9293 3.10.5: LAST-ACK: respond "ok", delete the TCB (nothing sent) */
    struct sc *sc = sc_new(NULL);
    sc_to_last_ack(sc, false);
    ck_assert_int_eq(tcpfsm_abort(sc->st, sc->fd), 0);
    sc->fd = -1;
    NONE();
    STATE("CLOSED");
    ck_assert(!sc_timer_armed(sc));
    FIRED("LAST_ACK", "APP_ABORT", NULL, "CLOSED");
    sc_free(sc);
}
END_TEST

/* ================================ rate-limited answers to unacceptable segments ==== */

START_TEST(syn_rcvd__rcv_unacceptable_else__syn_rcvd)
{
    /* @rfc 9293 3.10.7.4 first: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_syn_rcvd_passive, "SYN_RCVD", false, 1, 1);
}
END_TEST

START_TEST(established__rcv_unacceptable_else__established)
{
    /* @rfc 9293 3.10.7.4 first: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_established, "ESTABLISHED", false, 1, 1);
}
END_TEST

START_TEST(established__rcv_bad_ack_else__established)
{
    /* @rfc 9293 3.10.7.4 fifth: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_established, "ESTABLISHED", true, 1, 1);
}
END_TEST

START_TEST(fin_wait_1__rcv_unacceptable_else__fin_wait_1)
{
    /* @rfc 9293 3.10.7.4 first: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_fin_wait_1, "FIN_WAIT_1", false, 2, 1);
}
END_TEST

START_TEST(fin_wait_1__rcv_bad_ack_else__fin_wait_1)
{
    /* @rfc 9293 3.10.7.4 fifth: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_fin_wait_1, "FIN_WAIT_1", true, 2, 1);
}
END_TEST

START_TEST(fin_wait_2__rcv_unacceptable_else__fin_wait_2)
{
    /* @rfc 9293 3.10.7.4 first: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_fin_wait_2, "FIN_WAIT_2", false, 2, 1);
}
END_TEST

START_TEST(fin_wait_2__rcv_bad_ack_else__fin_wait_2)
{
    /* @rfc 9293 3.10.7.4 fifth: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_fin_wait_2, "FIN_WAIT_2", true, 2, 1);
}
END_TEST

START_TEST(closing__rcv_unacceptable_else__closing)
{
    /* @rfc 9293 3.10.7.4 first: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_closing, "CLOSING", false, 2, 2);
}
END_TEST

START_TEST(closing__rcv_bad_ack_else__closing)
{
    /* @rfc 9293 3.10.7.4 fifth: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_closing, "CLOSING", true, 2, 2);
}
END_TEST

START_TEST(time_wait__rcv_unacceptable_else__time_wait)
{
    /* @rfc 9293 3.10.7.4 first: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_time_wait, "TIME_WAIT", false, 2, 2);
}
END_TEST

START_TEST(time_wait__rcv_bad_ack_else__time_wait)
{
    /* @rfc 9293 3.10.7.4 fifth: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_time_wait, "TIME_WAIT", true, 2, 2);
}
END_TEST

START_TEST(close_wait__rcv_unacceptable_else__close_wait)
{
    /* @rfc 9293 3.10.7.4 first: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_close_wait, "CLOSE_WAIT", false, 1, 2);
}
END_TEST

START_TEST(close_wait__rcv_bad_ack_else__close_wait)
{
    /* @rfc 9293 3.10.7.4 fifth: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_close_wait, "CLOSE_WAIT", true, 1, 2);
}
END_TEST

START_TEST(last_ack__rcv_unacceptable_else__last_ack)
{
    /* @rfc 9293 3.10.7.4 first: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_last_ack, "LAST_ACK", false, 2, 2);
}
END_TEST

START_TEST(last_ack__rcv_bad_ack_else__last_ack)
{
    /* @rfc 9293 3.10.7.4 fifth: an ACK already answered a segment without text in the last
     * 500 ms */
    oow_limited(drv_last_ack, "LAST_ACK", true, 2, 2);
}
END_TEST

/* ============================================ challenge-ACK rate limit rows ==== */

START_TEST(syn_rcvd__rcv_syn_else__syn_rcvd)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_syn_rcvd_active, "SYN_RCVD", S, 1, 1);
}
END_TEST

START_TEST(established__rcv_rst_else__established)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_established, "ESTABLISHED", R, 1, 1);
}
END_TEST

START_TEST(established__rcv_syn_else__established)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_established, "ESTABLISHED", S, 1, 1);
}
END_TEST

START_TEST(fin_wait_1__rcv_rst_else__fin_wait_1)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_fin_wait_1, "FIN_WAIT_1", R, 2, 1);
}
END_TEST

START_TEST(fin_wait_1__rcv_syn_else__fin_wait_1)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_fin_wait_1, "FIN_WAIT_1", S, 2, 1);
}
END_TEST

START_TEST(fin_wait_2__rcv_rst_else__fin_wait_2)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_fin_wait_2, "FIN_WAIT_2", R, 2, 1);
}
END_TEST

START_TEST(fin_wait_2__rcv_syn_else__fin_wait_2)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_fin_wait_2, "FIN_WAIT_2", S, 2, 1);
}
END_TEST

START_TEST(closing__rcv_rst_else__closing)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_closing, "CLOSING", R, 2, 2);
}
END_TEST

START_TEST(closing__rcv_syn_else__closing)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_closing, "CLOSING", S, 2, 2);
}
END_TEST

START_TEST(time_wait__rcv_rst_else__time_wait)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_time_wait, "TIME_WAIT", R, 2, 2);
}
END_TEST

START_TEST(time_wait__rcv_syn_else__time_wait)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_time_wait, "TIME_WAIT", S, 2, 2);
}
END_TEST

START_TEST(close_wait__rcv_rst_else__close_wait)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_close_wait, "CLOSE_WAIT", R, 1, 2);
}
END_TEST

START_TEST(close_wait__rcv_syn_else__close_wait)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_close_wait, "CLOSE_WAIT", S, 1, 2);
}
END_TEST

START_TEST(last_ack__rcv_rst_else__last_ack)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_last_ack, "LAST_ACK", R, 2, 2);
}
END_TEST

START_TEST(last_ack__rcv_syn_else__last_ack)
{
    /* @rfc 5961 7: over the challenge ACK rate limit, dropped */
    over_limit(drv_last_ack, "LAST_ACK", S, 2, 2);
}
END_TEST

/* ======================================================================== suite ==== */

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_transitions");
    TCase *tc = tcase_create("rows");
    tcase_set_timeout(tc, 30);
    /* CLOSED */
    tcase_add_test(tc, closed__app_listen__listen);
    tcase_add_test(tc, closed__app_connect__syn_sent);
    tcase_add_test(tc, closed__app_close__closed);
    tcase_add_test(tc, closed__app_abort__closed);
    /* LISTEN */
    tcase_add_test(tc, listen__rcv_rst__listen);
    tcase_add_test(tc, listen__rcv_ack_not_cookie_ok__listen);
    tcase_add_test(tc, listen__rcv_syn_is_child__syn_rcvd);
    tcase_add_test(tc, listen__rcv_syn_else__listen);
    tcase_add_test(tc, listen__rcv_syn_accept_queue_full__listen);
    tcase_add_test(tc, listen__rcv_syn_syn_queue_full__listen);
    tcase_add_test(tc, listen__rcv_ack_else__listen);
    tcase_add_test(tc, listen__rcv_ack_accept_queue_full__listen);
    tcase_add_test(tc, listen__rcv_ack_is_child__established);
    tcase_add_test(tc, listen__app_connect__syn_sent);
    tcase_add_test(tc, listen__app_close__closed);
    tcase_add_test(tc, listen__app_close__closed_with_embryo);
    tcase_add_test(tc, listen__app_abort__closed);
    /* SYN_SENT */
    tcase_add_test(tc, syn_sent__rcv_bad_ack__syn_sent);
    tcase_add_test(tc, syn_sent__rcv_rst_rst_acks_syn__closed);
    tcase_add_test(tc, syn_sent__rcv_rst_else__syn_sent);
    tcase_add_test(tc, syn_sent__rcv_syn_ack__established);
    tcase_add_test(tc, syn_sent__rcv_syn__syn_rcvd);
    tcase_add_test(tc, syn_sent__t_rtx_give_up__closed);
    tcase_add_test(tc, syn_sent__t_rtx_else__syn_sent);
    tcase_add_test(tc, syn_sent__app_close__closed);
    tcase_add_test(tc, syn_sent__app_abort__closed);
    /* SYN_RCVD */
    tcase_add_test(tc, syn_rcvd__rcv_unacceptable_oow_ack_ok__syn_rcvd);
    tcase_add_test(tc, syn_rcvd__rcv_rst_passive_open__listen);
    tcase_add_test(tc, syn_rcvd__rcv_rst_else__closed);
    tcase_add_test(tc, syn_rcvd__rcv_syn_passive_open__listen);
    tcase_add_test(tc, syn_rcvd__rcv_syn_challenge_ok__syn_rcvd);
    tcase_add_test(tc, syn_rcvd__rcv_bad_ack__syn_rcvd);
    tcase_add_test(tc, syn_rcvd__rcv_ack_ack_acceptable__established);
    tcase_add_test(tc, syn_rcvd__rcv_ack_else__syn_rcvd);
    tcase_add_test(tc, syn_rcvd__t_rtx_give_up__closed);
    tcase_add_test(tc, syn_rcvd__t_rtx_give_up__closed_passive);
    tcase_add_test(tc, syn_rcvd__t_rtx_else__syn_rcvd);
    tcase_add_test(tc, syn_rcvd__app_close__fin_wait_1);
    tcase_add_test(tc, syn_rcvd__app_close__fin_wait_1_retransmits_syn_ack);
    tcase_add_test(tc, syn_rcvd__app_abort__closed);
    /* ESTABLISHED */
    tcase_add_test(tc, established__rcv_unacceptable_oow_ack_ok__established);
    tcase_add_test(tc, established__rcv_rst_rst_exact__closed);
    tcase_add_test(tc, established__rcv_rst_challenge_ok__established);
    tcase_add_test(tc, established__rcv_syn_challenge_ok__established);
    tcase_add_test(tc, established__rcv_bad_ack_oow_ack_ok__established);
    tcase_add_test(tc, established__rcv_ack__established);
    tcase_add_test(tc, established__rcv_ack__established_zero_window_update);
    tcase_add_test(tc, established__rcv_data__established);
    tcase_add_test(tc, established__rcv_fin__close_wait);
    tcase_add_test(tc, established__rcv_fin__close_wait_with_data);
    tcase_add_test(tc, established__t_rtx_give_up__closed);
    tcase_add_test(tc, established__t_rtx_else__established);
    tcase_add_test(tc, established__t_delack__established);
    tcase_add_test(tc, established__t_persist__established);
    tcase_add_test(tc, established__t_keepalive_keepalive_dead__closed);
    tcase_add_test(tc, established__t_keepalive_else__established);
    tcase_add_test(tc, established__app_close__fin_wait_1);
    tcase_add_test(tc, established__app_close__fin_wait_1_after_data);
    tcase_add_test(tc, established__app_abort__closed);
    tcase_add_test(tc, established__app_abort__closed_close_with_unread_data);
    /* FIN_WAIT_1 */
    tcase_add_test(tc, fin_wait_1__rcv_unacceptable_oow_ack_ok__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__rcv_rst_rst_exact__closed);
    tcase_add_test(tc, fin_wait_1__rcv_rst_challenge_ok__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__rcv_syn_challenge_ok__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__rcv_bad_ack_oow_ack_ok__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__rcv_ack_fin_acked__fin_wait_2);
    tcase_add_test(tc, fin_wait_1__rcv_ack_fin_acked__fin_wait_2_then_fin);
    tcase_add_test(tc, fin_wait_1__rcv_ack_else__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__rcv_data__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__rcv_fin__closing);
    tcase_add_test(tc, fin_wait_1__t_rtx_give_up__closed);
    tcase_add_test(tc, fin_wait_1__t_rtx_else__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__t_delack__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__t_persist__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__app_abort__closed);
    /* FIN_WAIT_2 */
    tcase_add_test(tc, fin_wait_2__rcv_unacceptable_oow_ack_ok__fin_wait_2);
    tcase_add_test(tc, fin_wait_2__rcv_rst_rst_exact__closed);
    tcase_add_test(tc, fin_wait_2__rcv_rst_challenge_ok__fin_wait_2);
    tcase_add_test(tc, fin_wait_2__rcv_syn_challenge_ok__fin_wait_2);
    tcase_add_test(tc, fin_wait_2__rcv_bad_ack_oow_ack_ok__fin_wait_2);
    tcase_add_test(tc, fin_wait_2__rcv_ack__fin_wait_2);
    tcase_add_test(tc, fin_wait_2__rcv_data__fin_wait_2);
    tcase_add_test(tc, fin_wait_2__rcv_fin__time_wait);
    tcase_add_test(tc, fin_wait_2__t_delack__fin_wait_2);
    tcase_add_test(tc, fin_wait_2__t_2msl__closed);
    tcase_add_test(tc, fin_wait_2__app_abort__closed);
    tcase_add_test(tc, fin_wait_2__app_close__fin_wait_2);
    /* CLOSING */
    tcase_add_test(tc, closing__rcv_unacceptable_oow_ack_ok__closing);
    tcase_add_test(tc, closing__rcv_rst_rst_exact__closed);
    tcase_add_test(tc, closing__rcv_rst_challenge_ok__closing);
    tcase_add_test(tc, closing__rcv_syn_challenge_ok__closing);
    tcase_add_test(tc, closing__rcv_bad_ack_oow_ack_ok__closing);
    tcase_add_test(tc, closing__rcv_ack_fin_acked__time_wait);
    tcase_add_test(tc, closing__rcv_ack_else__closing);
    tcase_add_test(tc, closing__rcv_fin__closing);
    tcase_add_test(tc, closing__t_rtx_give_up__closed);
    tcase_add_test(tc, closing__t_rtx_else__closing);
    tcase_add_test(tc, closing__app_abort__closed);
    /* TIME_WAIT */
    tcase_add_test(tc, time_wait__rcv_unacceptable_oow_ack_ok__time_wait);
    tcase_add_test(tc, time_wait__rcv_rst_rst_exact__closed);
    tcase_add_test(tc, time_wait__rcv_rst_challenge_ok__time_wait);
    tcase_add_test(tc, time_wait__rcv_syn_challenge_ok__time_wait);
    tcase_add_test(tc, time_wait__rcv_bad_ack_oow_ack_ok__time_wait);
    tcase_add_test(tc, time_wait__rcv_fin__time_wait);
    tcase_add_test(tc, time_wait__t_2msl__closed);
    tcase_add_test(tc, time_wait__app_abort__closed);
    /* CLOSE_WAIT */
    tcase_add_test(tc, close_wait__rcv_unacceptable_oow_ack_ok__close_wait);
    tcase_add_test(tc, close_wait__rcv_rst_rst_exact__closed);
    tcase_add_test(tc, close_wait__rcv_rst_challenge_ok__close_wait);
    tcase_add_test(tc, close_wait__rcv_syn_challenge_ok__close_wait);
    tcase_add_test(tc, close_wait__rcv_bad_ack_oow_ack_ok__close_wait);
    tcase_add_test(tc, close_wait__rcv_ack__close_wait);
    tcase_add_test(tc, close_wait__rcv_fin__close_wait);
    tcase_add_test(tc, close_wait__t_rtx_give_up__closed);
    tcase_add_test(tc, close_wait__t_rtx_else__close_wait);
    tcase_add_test(tc, close_wait__no_delayed_ack_timer);
    tcase_add_test(tc, close_wait__t_persist__close_wait);
    tcase_add_test(tc, close_wait__t_keepalive_keepalive_dead__closed);
    tcase_add_test(tc, close_wait__t_keepalive_else__close_wait);
    tcase_add_test(tc, close_wait__app_close__last_ack);
    tcase_add_test(tc, close_wait__app_abort__closed);
    /* LAST_ACK */
    tcase_add_test(tc, last_ack__rcv_unacceptable_oow_ack_ok__last_ack);
    tcase_add_test(tc, last_ack__rcv_rst_rst_exact__closed);
    tcase_add_test(tc, last_ack__rcv_rst_challenge_ok__last_ack);
    tcase_add_test(tc, last_ack__rcv_syn_challenge_ok__last_ack);
    tcase_add_test(tc, last_ack__rcv_bad_ack_oow_ack_ok__last_ack);
    tcase_add_test(tc, last_ack__rcv_ack_fin_acked__closed);
    tcase_add_test(tc, last_ack__rcv_ack_else__last_ack);
    tcase_add_test(tc, last_ack__rcv_fin__last_ack);
    tcase_add_test(tc, last_ack__t_rtx_give_up__closed);
    tcase_add_test(tc, last_ack__t_rtx_else__last_ack);
    tcase_add_test(tc, last_ack__t_persist__last_ack);
    tcase_add_test(tc, last_ack__app_abort__closed);
    /* RFC 5961 7 rate limit */
    tcase_add_test(tc, syn_rcvd__rcv_syn_else__syn_rcvd);
    tcase_add_test(tc, established__rcv_rst_else__established);
    tcase_add_test(tc, established__rcv_syn_else__established);
    tcase_add_test(tc, fin_wait_1__rcv_rst_else__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__rcv_syn_else__fin_wait_1);
    tcase_add_test(tc, fin_wait_2__rcv_rst_else__fin_wait_2);
    tcase_add_test(tc, fin_wait_2__rcv_syn_else__fin_wait_2);
    tcase_add_test(tc, closing__rcv_rst_else__closing);
    tcase_add_test(tc, closing__rcv_syn_else__closing);
    tcase_add_test(tc, time_wait__rcv_rst_else__time_wait);
    tcase_add_test(tc, time_wait__rcv_syn_else__time_wait);
    tcase_add_test(tc, close_wait__rcv_rst_else__close_wait);
    tcase_add_test(tc, close_wait__rcv_syn_else__close_wait);
    tcase_add_test(tc, last_ack__rcv_rst_else__last_ack);
    tcase_add_test(tc, last_ack__rcv_syn_else__last_ack);
    tcase_add_test(tc, syn_rcvd__rcv_unacceptable_else__syn_rcvd);
    tcase_add_test(tc, established__rcv_unacceptable_else__established);
    tcase_add_test(tc, established__rcv_bad_ack_else__established);
    tcase_add_test(tc, fin_wait_1__rcv_unacceptable_else__fin_wait_1);
    tcase_add_test(tc, fin_wait_1__rcv_bad_ack_else__fin_wait_1);
    tcase_add_test(tc, fin_wait_2__rcv_unacceptable_else__fin_wait_2);
    tcase_add_test(tc, fin_wait_2__rcv_bad_ack_else__fin_wait_2);
    tcase_add_test(tc, closing__rcv_unacceptable_else__closing);
    tcase_add_test(tc, closing__rcv_bad_ack_else__closing);
    tcase_add_test(tc, time_wait__rcv_unacceptable_else__time_wait);
    tcase_add_test(tc, time_wait__rcv_bad_ack_else__time_wait);
    tcase_add_test(tc, close_wait__rcv_unacceptable_else__close_wait);
    tcase_add_test(tc, close_wait__rcv_bad_ack_else__close_wait);
    tcase_add_test(tc, last_ack__rcv_unacceptable_else__last_ack);
    tcase_add_test(tc, last_ack__rcv_bad_ack_else__last_ack);
    tcase_add_test(tc, listen__rcv_syn_out_of_memory__listen);
    tcase_add_test(tc, listen__rcv_ack_out_of_memory__listen);
    suite_add_tcase(s, tc);
    return s;
}

/* Sum what every test recorded, print the coverage line and the rows never fired. Returns
 * true if every row fired. */
static bool report_coverage(const char *path, bool partial)
{
    uint64_t counts[TCP_FSM_NUM_TRANSITIONS];
    unsigned lines = sc_coverage_read(path, counts, TCP_FSM_NUM_TRANSITIONS);
    unsigned fired = 0;
    for (unsigned i = 0; i < TCP_FSM_NUM_TRANSITIONS; i++) fired += counts[i] != 0;
    printf("spec coverage: %u/%u transitions (%.1f%%) over %u scenarios\n", fired,
           TCP_FSM_NUM_TRANSITIONS, 100.0 * fired / TCP_FSM_NUM_TRANSITIONS, lines);
    for (unsigned i = 0; i < TCP_FSM_NUM_TRANSITIONS; i++) {
        if (counts[i]) continue;
        const struct tcp_fsm_transition *r = &tcp_fsm_transitions[i];
        printf("  never fired: #%u %s on %s%s%s%s -> %s  @rfc \"%s\"\n", i,
               tcp_fsm_state_names[r->from], tcp_fsm_event_names[r->event],
               r->guard ? " [" : "", r->guard ? r->guard : "", r->guard ? "]" : "",
               tcp_fsm_state_names[r->to], r->rfc ? r->rfc : "");
    }
    if (partial && fired < TCP_FSM_NUM_TRANSITIONS)
        printf("  (a subset of the tests ran: coverage not enforced)\n");
    return partial || fired == TCP_FSM_NUM_TRANSITIONS;
}

int main(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/test_tcp_transitions.%ld.cov", rt_tmpdir(), (long)getpid());
    unlink(path);
    sc_coverage_file(path);
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    bool partial = getenv("CK_RUN_CASE") || getenv("CK_RUN_SUITE") ||
                   getenv("CK_INCLUDE_TAGS") || getenv("CK_EXCLUDE_TAGS");
    bool covered = report_coverage(path, partial);
    unlink(path);
    return failed == 0 && covered ? EXIT_SUCCESS : EXIT_FAILURE;
}
