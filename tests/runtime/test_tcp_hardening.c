/*
 * test_tcp_hardening.c — a hostile network: blind RST/SYN/data injection (RFC 5961), a SYN
 * flood answered with SYN cookies (RFC 4987), configured limits, and RFC 6528 ISNs.
 *
 * World: a client stack and a server stack on one memlink (1 ms each way), plus an attacker
 * that writes raw packets straight into a stack's tcpfsm_input with forged source addresses.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memlink.h"
#include "rt_test.h"
#include "seq.h"
#include "tcp_layer.h"
#include "tcpfsm.h"
#include "world.h"

/* A forged segment of connection t, arriving at stack `to`: from t's peer, at t's RCV.NXT +
 * seq_off, acknowledging t's SND.UNA + ack_off. On a connection that uses timestamps it
 * carries one (TS.Recent: a blind attacker sees the peer's clock in any of its segments), so
 * that RFC 7323 3.2 (no timestamp: dropped) is not what stops it. */
static size_t forge(uint8_t *pkt, size_t cap, const struct tcb *t, uint8_t flags, int32_t seq_off,
                    int32_t ack_off, const char *data)
{
    struct tcp_seg g;
    memset(&g, 0, sizeof g);
    g.saddr = t->raddr;
    g.sport = t->rport;
    g.daddr = t->laddr;
    g.dport = t->lport;
    g.seq = t->rcv_nxt + (uint32_t)seq_off;
    g.ack = t->snd_una + (uint32_t)ack_off;
    g.flags = flags;
    g.wnd = 65535;
    g.data = (const uint8_t *)data;
    g.len = data ? (uint32_t)strlen(data) : 0;
    g.opt.has_ts = (t->flags & TF_TS) != 0;
    g.opt.tsval = t->ts_recent;
    return pkt_build(pkt, cap, &g, 1);
}

/* A forged segment "from the client" straight into the server stack. */
static void forge_to_server(struct world *w, int s, uint8_t flags, int32_t seq_off, int32_t ack_off,
                            const char *data)
{
    uint8_t pkt[200];
    size_t len = forge(pkt, sizeof pkt, w->srv->fds[s], flags, seq_off, ack_off, data);
    tcpfsm_input(w->srv, pkt, len);
}

static struct tcpfsm_stats srv_stats(struct world *w)
{
    struct tcpfsm_stats st;
    tcpfsm_get_stats(w->srv, &st);
    return st;
}

static void inject_blind_rst(struct world *w, int c, int s)
{
    (void)c;
    struct tcpfsm_stats b = srv_stats(w);
    forge_to_server(w, s, TCP_RST, 1000, 0, NULL); /* in window, not RCV.NXT */
    forge_to_server(w, s, TCP_RST | TCP_ACK, 7, 0, NULL);
    /* one challenge ACK per 500 ms per connection: the second RST goes unanswered */
    ck_assert_uint_eq(srv_stats(w).ChallengeAcks, b.ChallengeAcks + 1);
    ck_assert_uint_eq(srv_stats(w).AckSkipped, b.AckSkipped + 1);
    ck_assert_str_eq(w->srv->fds[s] ? tcb_state_name(w->srv->fds[s]) : "?", "ESTABLISHED");
}

/* RFC 5961 3.2: an in-window RST that does not start at RCV.NXT earns a challenge ACK; the
 * connection survives and the transfer finishes intact. */
START_TEST(rfc5961_3_2_blind_rst_in_window_gets_challenge_ack_and_transfer_survives)
{
    struct world w;
    world_init(&w, NULL, 1);
    int l = listen_srv(&w, 8), c, s;
    connect_pair(&w, l, &c, &s);
    transfer(&w, c, s, 300000, 100000, inject_blind_rst, true);
    ck_assert_int_eq(tcpfsm_error(w.srv, s), 0);
    world_free(&w);
}
END_TEST

static void inject_exact_rst(struct world *w, int c, int s)
{
    (void)c;
    forge_to_server(w, s, TCP_RST, 0, 0, NULL);
}

/* RFC 5961 3.2 / RFC 9293 3.10.7.4: a RST exactly at RCV.NXT does reset the connection. */
START_TEST(rfc5961_3_2_exact_rst_resets_connection)
{
    struct world w;
    world_init(&w, NULL, 2);
    int l = listen_srv(&w, 8), c, s;
    connect_pair(&w, l, &c, &s);
    transfer(&w, c, s, 50000, 1, inject_exact_rst, false);
    ck_assert_int_eq(tcpfsm_error(w.srv, s), -ECONNRESET);
    char buf[16];
    ck_assert_int_eq(tcpfsm_recv(w.srv, s, buf, sizeof buf), -ECONNRESET);
    world_free(&w);
}
END_TEST

static void inject_blind_syn(struct world *w, int c, int s)
{
    (void)c;
    struct tcpfsm_stats b = srv_stats(w);
    forge_to_server(w, s, TCP_SYN, 500, 0, NULL);
    ck_assert_uint_eq(srv_stats(w).ChallengeAcks, b.ChallengeAcks + 1);
    /* Out of the window the sequence test answers first, with the same <ACK> segment. */
    forge_to_server(w, s, TCP_SYN, -100000, 0, NULL);
    ck_assert_uint_eq(srv_stats(w).OutOfWindowDrops, b.OutOfWindowDrops + 1);
    ck_assert_str_eq(tcb_state_name(w->srv->fds[s]), "ESTABLISHED");
}

/* RFC 5961 4.2 / RFC 9293 3.10.7.4 fourth: a SYN in a synchronized state gets a challenge ACK
 * whatever its sequence number; the connection survives. */
START_TEST(rfc5961_4_2_blind_syn_gets_challenge_ack_and_transfer_survives)
{
    struct world w;
    world_init(&w, NULL, 3);
    int l = listen_srv(&w, 8), c, s;
    connect_pair(&w, l, &c, &s);
    transfer(&w, c, s, 300000, 50000, inject_blind_syn, true);
    world_free(&w);
}
END_TEST

static void inject_blind_data(struct world *w, int c, int s)
{
    (void)c;
    struct tcb *t = w->srv->fds[s];
    uint32_t rcv_nxt = t->rcv_nxt;
    struct tcpfsm_stats b = srv_stats(w);
    /* ACK far ahead of anything the server sent, and far behind: both are refused. */
    forge_to_server(w, s, TCP_ACK | TCP_PSH, 0, 0x10000000, "EVIL");
    forge_to_server(w, s, TCP_ACK | TCP_PSH, 0, -0x20000000, "EVIL");
    ck_assert_uint_eq(t->rcv_nxt, rcv_nxt);
    ck_assert_uint_eq(srv_stats(w).TsMissingDrops, b.TsMissingDrops); /* refused for its ACK */
}

/* RFC 5961 5.2: data whose ACK is outside [SND.UNA - MAX.SND.WND, SND.NXT] is not accepted,
 * so blind injection cannot corrupt the stream (the transfer is compared byte for byte). */
START_TEST(rfc5961_5_2_blind_data_with_unacceptable_ack_is_dropped)
{
    struct world w;
    world_init(&w, NULL, 4);
    int l = listen_srv(&w, 8), c, s;
    connect_pair(&w, l, &c, &s);
    transfer(&w, c, s, 200000, 60000, inject_blind_data, true);
    world_free(&w);
}
END_TEST

/* RFC 5961 7: challenge ACKs are rate limited per stack (challenge_ack_limit a second) and,
 * like every answer to an unacceptable segment without text, per connection (one per
 * 500 ms, Linux's tcp_invalid_ratelimit). */
START_TEST(rfc5961_7_challenge_acks_are_rate_limited)
{
    struct tcpfsm_config base = {.challenge_ack_limit = 10};
    struct world w;
    world_init(&w, &base, 5);
    enum { N = 20 };
    int l = listen_srv(&w, N), c[N], s[N];
    for (int i = 0; i < N; i++)
        connect_pair(&w, l, &c[i], &s[i]);
    struct tcpfsm_stats b = srv_stats(&w);
    for (int i = 0; i < 100; i++)
        forge_to_server(&w, s[0], TCP_RST, 100 + i, 0, NULL);
    ck_assert_uint_eq(srv_stats(&w).ChallengeAcks - b.ChallengeAcks, 1); /* per connection */
    ck_assert_uint_eq(srv_stats(&w).AckSkipped - b.AckSkipped, 99);
    for (int i = 1; i < N; i++)
        forge_to_server(&w, s[i], TCP_RST, 100, 0, NULL);
    ck_assert_uint_eq(srv_stats(&w).ChallengeAcks - b.ChallengeAcks, 10); /* per stack */
    for (int i = 0; i < N; i++)
        ck_assert_str_eq(tcb_state_name(w.srv->fds[s[i]]), "ESTABLISHED");
    world_run_for(&w, 1100000); /* next second: allowed again */
    forge_to_server(&w, s[0], TCP_RST, 100, 0, NULL);
    ck_assert_uint_eq(srv_stats(&w).ChallengeAcks - b.ChallengeAcks, 11);
    world_free(&w);
}
END_TEST

/* RFC 4987 3.6: 100,000 SYNs from forged sources while 100 real clients connect. The SYN queue
 * stays at the backlog, the rest is answered with cookies, every real client gets in. */
START_TEST(rfc4987_syn_flood_cookies_let_every_real_client_in)
{
    struct world w;
    world_init(&w, NULL, 6);
    const int backlog = 64, clients = 100, flood = 100000;
    int l = listen_srv(&w, backlog);
    uint64_t rng = 99;
    int fds[100], accepted = 0, started = 0;
    uint8_t pkt[100];
    uint32_t max_conns = 0, max_rec = 0;
    for (int i = 0; i < flood; i++) {
        uint32_t src = RT_IP(172, 16, 0, 0) | (uint32_t)rt_rand_below(&rng, 1u << 20);
        size_t n = rt_build_tcp(pkt, sizeof pkt, src, (uint16_t)(1024 + rt_rand_below(&rng, 60000)),
                                SRV, PORT, (uint32_t)rt_rand(&rng), 0, TCP_SYN, 65535, NULL, 0);
        tcpfsm_input(w.srv, pkt, n);
        if (i % 1000 == 0 && started < clients) {
            fds[started] = tcpfsm_socket(w.cli);
            rt_require(fds[started] >= 0);
            rt_require(tcpfsm_connect(w.cli, fds[started], SRV, PORT) == -EINPROGRESS);
            started++;
        }
        if (i % 100 == 0) {
            world_step(&w);
            while (tcpfsm_accept(w.srv, l, NULL, NULL) >= 0)
                accepted++;
        }
        if (w.srv->nconns > max_conns) max_conns = w.srv->nconns;
        if (w.srv->syn.n > max_rec) max_rec = w.srv->syn.n;
    }
    for (int i = 0; i < 200000 && accepted < clients; i++) {
        if (!world_step(&w)) break;
        int fd;
        while ((fd = tcpfsm_accept(w.srv, l, NULL, NULL)) >= 0)
            accepted++;
    }
    ck_assert_int_eq(started, clients);
    ck_assert_int_eq(accepted, clients);
    for (int i = 0; i < clients; i++)
        ck_assert(tcpfsm_poll(w.cli, fds[i]) & TCPFSM_POLLOUT);
    struct tcpfsm_stats st = srv_stats(&w);
    /* Most forged SYNs found the SYN queue full; the rest replaced embryos that gave up. */
    ck_assert_uint_gt(st.SynCookiesSent, (uint64_t)flood * 9 / 10);
    ck_assert_uint_ge(st.SynCookiesRecv, 1);
    /* Memory bound: embryonic connections never exceed the backlog; the flood holds no
     * buffers (they are allocated at ESTABLISHED). */
    ck_assert_uint_le(max_conns, (uint32_t)(backlog + clients));
    ck_assert_uint_le(max_rec, (uint32_t)backlog); /* the SYN queue: records only */
    /* The figure for the record: what the listener side held at its peak under the flood. */
    fprintf(stderr,
            "syn flood: %d forged SYNs, %d/%d clients accepted, %llu cookies sent, "
            "%llu validated; peak %u TCBs + %u SYN-queue records (%zu B each), ring bytes %llu\n",
            flood, accepted, clients, (unsigned long long)st.SynCookiesSent,
            (unsigned long long)st.SynCookiesRecv, max_conns, max_rec, syn_record_size(),
            (unsigned long long)w.srv->buffer_bytes);
    ck_assert_uint_eq(w.srv->buffer_bytes, 0); /* idle connections hold no rings */
    world_free(&w);
}
END_TEST

/* Limits (tcpfsm_config): descriptors and buffer memory refuse cleanly. An idle connection
 * holds no buffer memory, queued bytes hold a ring until they are acknowledged (or read), and
 * at max_buffer_bytes send() says -ENOBUFS (no POLLOUT) until memory comes back; the stack's
 * own accounting returns to zero once every connection is gone. */
START_TEST(limits_refuse_cleanly_and_memory_returns_to_baseline)
{
    static uint8_t big[16384];
    struct tcpfsm_config base = {.max_sockets = 8,
                                 .sndbuf = 16384,
                                 .rcvbuf = 16384,
                                 .max_buffer_bytes = 32768 + 512,
                                 .msl_us = 100000};
    struct world w;
    world_init(&w, &base, 7);
    int fds[8];
    for (int i = 0; i < 8; i++)
        fds[i] = tcpfsm_socket(w.cli);
    ck_assert_int_eq(tcpfsm_socket(w.cli), -EMFILE);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(tcpfsm_close(w.cli, fds[i]), 0);

    int l = listen_srv(&w, 4), c1, s1, c2, s2, c3, s3;
    connect_pair(&w, l, &c1, &s1);
    connect_pair(&w, l, &c2, &s2);
    connect_pair(&w, l, &c3, &s3);
    ck_assert_uint_eq(w.cli->buffer_bytes + w.srv->buffer_bytes, 0); /* idle: nothing */
    /* On c3, whose window then stays an octet short (receiver SWS avoidance, RFC 9293
     * 3.8.6.2.2: reading one octet does not move the right edge), so c1 and c2 below can
     * each deliver a whole rcvbuf. */
    ck_assert_int_eq(tcpfsm_send(w.cli, c3, "x", 1), 1); /* one byte: the smallest ring */
    ck_assert_uint_eq(w.cli->buffer_bytes, MEM_RING_MIN);
    world_run_for(&w, 100000); /* acknowledged: given back */
    ck_assert_uint_eq(w.cli->buffer_bytes, 0);
    ck_assert_uint_eq(w.srv->buffer_bytes, MEM_RING_MIN); /* unread on the server */
    char b[4];
    ck_assert_int_eq(tcpfsm_recv(w.srv, s3, b, sizeof b), 1);
    ck_assert_uint_eq(w.srv->buffer_bytes, 0); /* read: given back */

    ck_assert_int_eq(tcpfsm_send(w.cli, c1, big, sizeof big), (long)sizeof big);
    ck_assert_int_eq(tcpfsm_send(w.cli, c2, big, sizeof big), (long)sizeof big);
    ck_assert_uint_eq(w.cli->buffer_bytes, 2 * sizeof big);
    ck_assert_int_eq(tcpfsm_send(w.cli, c1, big, 1), -EAGAIN); /* its own limit */
    uint64_t drops = w.cli->stats.BufferLimitDrops;
    ck_assert_int_eq(tcpfsm_send(w.cli, c3, big, 1), -ENOBUFS); /* the stack's limit */
    ck_assert_uint_gt(w.cli->stats.BufferLimitDrops, drops);
    ck_assert(!(tcpfsm_poll(w.cli, c3) & TCPFSM_POLLOUT));
    ck_assert_uint_ge(w.cli->stats.MemoryPressures, 1);
    world_run_for(&w, 200000); /* delivered, acknowledged */
    ck_assert_uint_eq(w.cli->buffer_bytes, 0);
    ck_assert(tcpfsm_poll(w.cli, c3) & TCPFSM_POLLOUT);
    ck_assert_int_eq(tcpfsm_send(w.cli, c3, "z", 1), 1);
    for (int i = 0; i < 2; i++) { /* the server reads it all */
        static uint8_t got[16384];
        ck_assert_int_eq(tcpfsm_recv(w.srv, i ? s2 : s1, got, sizeof got), (long)sizeof got);
        ck_assert(memcmp(got, big, sizeof big) == 0);
    }
    world_run_for(&w, 100000);
    ck_assert_int_eq(tcpfsm_recv(w.srv, s3, b, sizeof b), 1);
    tcpfsm_close(w.cli, c1);
    tcpfsm_close(w.cli, c2);
    tcpfsm_close(w.cli, c3);
    tcpfsm_close(w.srv, s1);
    tcpfsm_close(w.srv, s2);
    tcpfsm_close(w.srv, s3);
    world_run_for(&w, 2000000); /* past TIME_WAIT (2 MSL) */
    ck_assert_uint_eq(w.cli->buffer_bytes + w.srv->buffer_bytes, 0);
    ck_assert_uint_eq(w.cli->nconns + w.srv->nconns, 0);
    world_free(&w);
}
END_TEST

/* RFC 6528 3: ISNs of different 4-tuples look unrelated, and for one 4-tuple they grow with
 * the clock (M, a 4 us timer) so an old incarnation's segments fall behind. */
START_TEST(rfc6528_isn_unpredictable_across_tuples_monotonic_per_tuple)
{
    struct world w;
    world_init(&w, NULL, 8);
    struct tcb t;
    memset(&t, 0, sizeof t);
    t.laddr = CLI;
    t.raddr = SRV;
    t.rport = 80;
    uint32_t prev = 0, deltas_equal = 0, prev_delta = 0;
    for (uint16_t p = 40000; p < 41000; p++) {
        t.lport = p;
        uint32_t isn = isn_generate(w.cli, &t);
        uint32_t d = isn - prev;
        deltas_equal += p > 40001 && d == prev_delta;
        prev_delta = d;
        prev = isn;
    }
    ck_assert_uint_eq(deltas_equal, 0); /* no linear pattern between neighbours */
    t.lport = 40000;
    uint32_t last = isn_generate(w.cli, &t);
    for (int i = 0; i < 100; i++) {
        world_run_for(&w, 10000); /* 10 ms later: +2500 from M */
        uint32_t isn = isn_generate(w.cli, &t);
        ck_assert(seq_gt(isn, last));
        ck_assert_uint_eq(isn - last, 2500);
        last = isn;
    }
    /* A different secret (another stack) gives a different ISN for the same tuple. */
    struct world w2;
    world_init(&w2, NULL, 9);
    w2.now = w.now;
    tcpfsm_advance(w2.cli, w.now);
    ck_assert_uint_ne(isn_generate(w2.cli, &t), isn_generate(w.cli, &t));
    world_free(&w2);
    world_free(&w);
}
END_TEST

/* Drop everything the client sends from now on (true) or deliver it again (false). */
static void client_blackhole(struct world *w, bool on)
{
    struct memlink_impair im = {.delay_us = 1000, .loss = on ? 1.0 : 0.0};
    memlink_set_impair(w->link, CLI, SRV, &im);
}

static void close_pair_client_first(struct world *w, int c, int s)
{
    tcpfsm_close(w->cli, c);
    world_run_for(w, 10000);
    tcpfsm_close(w->srv, s);
}

/* RFC 9293 3.6.1 / 3.10.7.4: an orphaned TIME_WAIT is kept as a compact record (<= 64 bytes,
 * not a TCB). It still answers a retransmitted FIN (ACK, 2 MSL restarted), lists in ss,
 * blocks its 4-tuple, and disappears at 2 MSL; the records are bounded in number. */
START_TEST(time_wait_record_is_compact_answers_fin_and_expires)
{
    struct tcpfsm_config base = {.msl_us = 1000000}; /* 2 MSL = 2 s */
    struct world w;
    world_init(&w, &base, 10);
    ck_assert_uint_le(tw_record_size(), 64);
    int l = listen_srv(&w, 4), c, s;
    connect_pair(&w, l, &c, &s);
    uint16_t cport;
    tcpfsm_getname(w.cli, c, NULL, &cport, NULL, NULL);
    close_pair_client_first(&w, c, s);
    client_blackhole(&w, true); /* our last ACK is lost: the FIN comes again */
    world_run_for(&w, 5000);
    ck_assert_uint_eq(w.cli->tw.n, 1); /* a record, no TCB */
    ck_assert_uint_eq(w.cli->nconns, 0);
    char buf[512];
    tcpfsm_ss(w.cli, buf, sizeof buf);
    ck_assert_ptr_nonnull(strstr(buf, "TIME_WAIT"));
    int again = tcpfsm_socket(w.cli);                                   /* the 4-tuple is taken */
    ck_assert_int_eq(tcpfsm_bind(w.cli, again, 0, cport), -EADDRINUSE); /* the port too */
    ck_assert_int_eq(tcpfsm_setopt(w.cli, again, TCPFSM_OPT_REUSEADDR, 1), 0);
    ck_assert_int_eq(tcpfsm_bind(w.cli, again, 0, cport), 0);
    ck_assert_int_eq(tcpfsm_connect(w.cli, again, SRV, PORT), -EADDRINUSE);
    tcpfsm_close(w.cli, again);
    struct tcpfsm_stats before;
    tcpfsm_get_stats(w.cli, &before);
    /* The server resends its FIN at RTO 0.2, 0.6, 1.4 s (each answered by the record, each
     * ACK lost), then at 3.0 s when the link works again; every FIN restarts 2 MSL. */
    world_run_for(&w, 1500000);
    client_blackhole(&w, false);
    struct tcpfsm_stats after;
    tcpfsm_get_stats(w.cli, &after);
    ck_assert_uint_ge(after.OutSegs, before.OutSegs + 3); /* the record ACKed each FIN */
    world_run_for(&w, 1000000); /* 2.5 s: past the first deadline (2.0 s) */
    ck_assert_uint_eq(w.cli->tw.n, 1);
    world_run_for(&w, 2700000); /* 5.2 s: 2 MSL after the last FIN (3.0 s) */
    ck_assert_uint_eq(w.cli->tw.n, 0);
    ck_assert_uint_eq(w.cli->nconns, 0);

    /* Bound: with room for one record, a second orphaned TIME_WAIT stays a full TCB. */
    w.cli->tw.max = 1;
    int c1, s1, c2, s2;
    connect_pair(&w, l, &c1, &s1);
    connect_pair(&w, l, &c2, &s2);
    close_pair_client_first(&w, c1, s1);
    close_pair_client_first(&w, c2, s2);
    world_run_for(&w, 20000);
    ck_assert_uint_eq(w.cli->tw.n, 1);
    ck_assert_uint_eq(w.cli->nconns, 1);
    world_run_for(&w, 3000000);
    ck_assert_uint_eq(w.cli->tw.n + w.cli->nconns, 0);
    world_free(&w);
}
END_TEST

/* The output of a bare server stack for syn_queue_entries_are_compact_records. */
struct capture {
    struct tcp_seg seg[64];
    int n;
};

static void capture_output(void *arg, const void *packet, size_t len)
{
    struct capture *c = arg;
    struct tcp_seg s;
    if (c->n < 64 && pkt_parse(packet, len, &s) == PKT_OK) {
        s.data = NULL;
        c->seg[c->n++] = s;
    }
}

/* RFC 9293 3.10.7.2 / RFC 4987 3.1: a listener's embryonic connections are compact records
 * (<= 64 bytes, not TCBs), still counted in its SYN queue. One completes its handshake and is
 * accepted; the others' SYN-ACKs are retransmitted at the RTO from the records; closing the
 * listener resets the rest. */
START_TEST(syn_queue_entries_are_compact_records)
{
    ck_assert_uint_le(syn_record_size(), 64);
    struct capture cap = {.n = 0};
    uint64_t now = 1000000;
    struct tcpfsm_config cfg = {
        .addr = SRV,
        .output = capture_output,
        .output_arg = &cap,
        .now = now,
        .rto_initial_us = 200000,
        .rto_min_us = 200000,
    };
    struct tcpfsm_stack *st = tcpfsm_stack_new(&cfg, NULL);
    ck_assert_ptr_nonnull(st);
    int l = tcpfsm_socket(st);
    ck_assert_int_eq(tcpfsm_bind(st, l, 0, PORT), 0);
    ck_assert_int_eq(tcpfsm_listen(st, l, 16), 0);
    enum { N = 8 };
    uint8_t pkt[200];
    uint32_t iss[N];
    for (int i = 0; i < N; i++) {
        size_t n = rt_build_tcp(pkt, sizeof pkt, CLI, (uint16_t)(30000 + i), SRV, PORT,
                                1000u * (uint32_t)i, 0, TCP_SYN, 65535, NULL, 0);
        ck_assert_int_eq(tcpfsm_input(st, pkt, n), 0);
        ck_assert_int_eq(cap.n, i + 1);
        ck_assert_uint_eq(cap.seg[i].flags, TCP_SYN | TCP_ACK);
        ck_assert_uint_eq(cap.seg[i].ack, 1000u * (uint32_t)i + 1);
        iss[i] = cap.seg[i].seq;
    }
    ck_assert_uint_eq(st->syn.n, N);  /* N records ... */
    ck_assert_uint_eq(st->nconns, 0); /* ... and no TCBs */
    ck_assert_ptr_null(st->fds[l]->qnext);
    ck_assert_uint_eq(st->fds[l]->u.lst.nsyn, N); /* all in the listener's SYN queue */
    char buf[2048];
    tcpfsm_ss(st, buf, sizeof buf);
    ck_assert_ptr_nonnull(strstr(buf, "SYN_RCVD"));
    ck_assert_ptr_nonnull(strstr(buf, "10.9.0.1:30003"));
    ck_assert_int_eq(tcpfsm_accept(st, l, NULL, NULL), -EAGAIN);

    /* The handshake of port 30000 completes: a TCB again, in the accept queue. */
    size_t n = rt_build_tcp(pkt, sizeof pkt, CLI, 30000, SRV, PORT, 1, iss[0] + 1, TCP_ACK, 65535,
                            NULL, 0);
    ck_assert_int_eq(tcpfsm_input(st, pkt, n), 0);
    ck_assert_uint_eq(st->syn.n, N - 1);
    ck_assert_uint_eq(st->nconns, 1);
    ck_assert_uint_eq(st->fds[l]->u.lst.nsyn, N - 1);
    ck_assert_uint_eq(st->fds[l]->u.lst.nacc, 1);
    uint16_t pport = 0;
    int a = tcpfsm_accept(st, l, NULL, &pport);
    ck_assert_int_ge(a, 0);
    ck_assert_uint_eq(pport, 30000);
    struct tcpfsm_info info;
    ck_assert_int_eq(tcpfsm_get_info(st, a, &info), 0);
    ck_assert_str_eq(info.state, "ESTABLISHED");

    /* A bad ACK to a record is answered (RST) and the record stays. */
    cap.n = 0;
    n = rt_build_tcp(pkt, sizeof pkt, CLI, 30001, SRV, PORT, 1001, iss[1] + 7, TCP_ACK, 65535, NULL,
                     0);
    ck_assert_int_eq(tcpfsm_input(st, pkt, n), 0);
    ck_assert_int_eq(cap.n, 1);
    ck_assert_uint_eq(cap.seg[0].flags, TCP_RST);
    ck_assert_uint_eq(st->syn.n, N - 1);
    ck_assert_uint_eq(st->nconns, 1);

    /* At the RTO (200 ms) every record retransmits its SYN-ACK and stays a record. */
    cap.n = 0;
    ck_assert_uint_le(tcpfsm_next_timeout(st), now + 200000);
    tcpfsm_advance(st, now + 199000);
    ck_assert_int_eq(cap.n, 0);
    tcpfsm_advance(st, now + 200000);
    ck_assert_int_eq(cap.n, N - 1);
    for (int i = 0; i < cap.n; i++) {
        int k = cap.seg[i].dport - 30000;
        ck_assert_int_gt(k, 0);
        ck_assert_uint_eq(cap.seg[i].flags, TCP_SYN | TCP_ACK);
        ck_assert_uint_eq(cap.seg[i].seq, iss[k]);
    }
    ck_assert_uint_eq(st->syn.n, N - 1);
    ck_assert_uint_eq(st->nconns, 1);
    struct tcpfsm_stats stats;
    tcpfsm_get_stats(st, &stats);
    ck_assert_uint_eq(stats.RetransSegs, N - 1);
    /* backed off (RFC 6298 5.5): the next one 400 ms later, again from the records */
    cap.n = 0;
    tcpfsm_advance(st, now + 599000);
    ck_assert_int_eq(cap.n, 0);
    tcpfsm_advance(st, now + 600000);
    ck_assert_int_eq(cap.n, N - 1);
    ck_assert_uint_eq(st->syn.n, N - 1);
    ck_assert_uint_eq(st->nconns, 1);

    /* Closing the listener resets the embryos; the accepted connection stays. */
    cap.n = 0;
    ck_assert_int_eq(tcpfsm_close(st, l), 0);
    ck_assert_int_eq(cap.n, N - 1);
    for (int i = 0; i < cap.n; i++)
        ck_assert_uint_eq(cap.seg[i].flags & TCP_RST, TCP_RST);
    ck_assert_uint_eq(st->syn.n, 0);
    ck_assert_uint_eq(st->nconns, 1);
    tcpfsm_stack_free(st);
}
END_TEST

/* A link that hands every packet a stack sends straight back to it. */
struct loopback {
    struct tcpfsm_stack *st;
    uint8_t q[64][1600];
    size_t len[64];
    int n;
    uint64_t sent;
};

static void loopback_output(void *arg, const void *pkt, size_t len)
{
    struct loopback *lb = arg;
    lb->sent++;
    if (lb->n < 64 && len <= sizeof lb->q[0]) {
        memcpy(lb->q[lb->n], pkt, len);
        lb->len[lb->n++] = len;
    }
}

static uint64_t loopback_random(void *arg)
{
    return rt_rand(arg);
}

/* The "land" attack: one SYN from the stack's own address and port to that same address and
 * port. Answered, it would loop: the SYN-ACK comes back as a segment for the embryo itself
 * (the issue counted 5,000,000 packets in 1 ms of virtual time). RFC 1122 3.2.1.3 makes our
 * own address a martian source: the SYN is dropped and counted, and nothing is sent, even on
 * a link that hands every packet back, for 70 s (past every SYN-ACK retransmission). */
START_TEST(land_attack_syn_from_own_address_is_dropped_unanswered)
{
    static struct loopback lb;
    uint64_t rng = 9;
    struct tcpfsm_config c = {.addr = SRV,
                              .prefix_len = 24,
                              .output = loopback_output,
                              .output_arg = &lb,
                              .random = loopback_random,
                              .random_arg = &rng};
    lb.st = tcpfsm_stack_new(&c, NULL);
    ck_assert_ptr_nonnull(lb.st);
    int l = tcpfsm_socket(lb.st);
    ck_assert_int_eq(tcpfsm_bind(lb.st, l, 0, PORT), 0);
    ck_assert_int_eq(tcpfsm_listen(lb.st, l, 8), 0);
    uint8_t pkt[64];
    size_t len =
        rt_build_tcp(pkt, sizeof pkt, SRV, PORT, SRV, PORT, 1000, 0, TCP_SYN, 65535, NULL, 0);
    ck_assert_int_eq(tcpfsm_input(lb.st, pkt, len), -EINVAL);
    for (uint64_t now = 0; now <= 70000000; now += 1000) { /* 70 s, 1 ms at a time */
        tcpfsm_advance(lb.st, now);
        int n = lb.n;
        lb.n = 0;
        for (int i = 0; i < n; i++)
            tcpfsm_input(lb.st, lb.q[i], lb.len[i]);
    }
    struct tcpfsm_stats st;
    tcpfsm_get_stats(lb.st, &st);
    printf("land attack: %llu packets sent in 70 s (InMartians %llu)\n",
           (unsigned long long)lb.sent, (unsigned long long)st.InMartians);
    ck_assert_uint_eq(lb.sent, 0);
    ck_assert_uint_eq(st.InMartians, 1);
    ck_assert_uint_eq(lb.st->nconns + lb.st->syn.n, 0);
    tcpfsm_stack_free(lb.st);
}
END_TEST

/* An ACK storm (the desynchronized state of a hijacked connection, Joncheray 1995; the loop
 * the land attack starts): one forged in-window segment makes the client accept 10 bytes the
 * server never sent. From then on each end finds the other's ACKs unacceptable (RFC 9293
 * 3.10.7.4 first: the client sees an old sequence number; fifth: the server sees an ACK of
 * data it never sent) and must answer each with an ACK. Answers to segments without text go
 * out at most once per 500 ms per connection (oow_ack_ok, Linux's tcp_invalid_ratelimit):
 * the first answer that falls inside the 500 ms is not sent, and with it the loop ends; in
 * 10 s the ends exchange a handful of segments, not one per link round trip (5,000 here). */
START_TEST(ack_storm_between_desynchronized_ends_is_rate_limited)
{
    struct world w;
    world_init(&w, NULL, 17);
    int l = listen_srv(&w, 8), c, s;
    connect_pair(&w, l, &c, &s);
    world_run_for(&w, 1000000);
    struct tcb *ct = w.cli->fds[c];
    uint8_t pkt[200];
    size_t len = forge(pkt, sizeof pkt, ct, TCP_ACK | TCP_PSH, 0,
                       (int32_t)(ct->snd_nxt - ct->snd_una), "0123456789");
    uint32_t rcv_nxt = ct->rcv_nxt;
    ck_assert_int_eq(tcpfsm_input(w.cli, pkt, len), 0);
    ck_assert_uint_eq(ct->rcv_nxt, rcv_nxt + 10); /* taken: 10 bytes ahead now */
    struct tcpfsm_stats c0, s0, c1, s1;
    tcpfsm_get_stats(w.cli, &c0);
    tcpfsm_get_stats(w.srv, &s0);
    world_run_for(&w, 10000000);
    tcpfsm_get_stats(w.cli, &c1);
    tcpfsm_get_stats(w.srv, &s1);
    uint64_t acks = (c1.OutSegs - c0.OutSegs) + (s1.OutSegs - s0.OutSegs);
    uint64_t skipped = c1.AckSkipped - c0.AckSkipped + s1.AckSkipped - s0.AckSkipped;
    printf("ACK storm: %llu segments in 10 s between desynchronized ends, %llu ACKs skipped\n",
           (unsigned long long)acks, (unsigned long long)skipped);
    ck_assert_uint_ge(acks, 2);    /* the storm did start: ACK, answered by an ACK */
    ck_assert_uint_ge(skipped, 1); /* and ended at the first answer within 500 ms */
    ck_assert_uint_le(acks, 2 * (10000 / OOW_ACK_INTERVAL_MS + 2));
    world_free(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_hardening");
    TCase *tc = tcase_create("hardening");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, rfc5961_3_2_blind_rst_in_window_gets_challenge_ack_and_transfer_survives);
    tcase_add_test(tc, rfc5961_3_2_exact_rst_resets_connection);
    tcase_add_test(tc, rfc5961_4_2_blind_syn_gets_challenge_ack_and_transfer_survives);
    tcase_add_test(tc, rfc5961_5_2_blind_data_with_unacceptable_ack_is_dropped);
    tcase_add_test(tc, rfc5961_7_challenge_acks_are_rate_limited);
    tcase_add_test(tc, rfc4987_syn_flood_cookies_let_every_real_client_in);
    tcase_add_test(tc, limits_refuse_cleanly_and_memory_returns_to_baseline);
    tcase_add_test(tc, rfc6528_isn_unpredictable_across_tuples_monotonic_per_tuple);
    tcase_add_test(tc, time_wait_record_is_compact_answers_fin_and_expires);
    tcase_add_test(tc, syn_queue_entries_are_compact_records);
    tcase_add_test(tc, land_attack_syn_from_own_address_is_dropped_unanswered);
    tcase_add_test(tc, ack_storm_between_desynchronized_ends_is_rate_limited);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
