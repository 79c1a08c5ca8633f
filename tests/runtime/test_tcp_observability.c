/*
 * test_tcp_observability.c — what a user can see of the stack: TCP_INFO-like per-connection
 * fields (tcpfsm_get_info), the `ss -tan`-style listing (tcpfsm_ss) and the RFC 4022 / Linux
 * MIB counters (tcpfsm_get_stats).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rt_test.h"
#include "tcp_layer.h"
#include "world.h"

/* RFC 6298 2.2-2.3 seen through tcpfsm_get_info: with 1 ms each way the RTT is 2 ms; the first
 * sample gives SRTT = 2 ms, RTTVAR = 1 ms, RTO = SRTT + 4 RTTVAR = 6 ms (minimum lowered to
 * 1 ms), and the counters follow the bytes. */
START_TEST(info_reports_rtt_rto_mss_and_byte_counters_after_a_known_rtt)
{
    struct tcpfsm_config base = {.flags = TCPFSM_F_NO_TIMESTAMPS, .delack_us = 1000};
    struct world w;
    world_init(&w, &base, 21);
    w.cli->cfg.rto_min_us = 1000;
    w.srv->cfg.rto_min_us = 1000;
    int l = listen_srv(&w, 4), c, s;
    connect_pair(&w, l, &c, &s);
    struct tcpfsm_info i;
    ck_assert_int_eq(tcpfsm_get_info(w.cli, c, &i), 0);
    ck_assert_str_eq(i.state, "ESTABLISHED");
    ck_assert_uint_eq(i.rtt_us, 2000); /* SYN -> SYN-ACK: one sample */
    ck_assert_uint_eq(i.rttvar_us, 1000);
    ck_assert_uint_eq(i.rto_us, 6000);
    ck_assert_uint_eq(i.mss, 1460);
    ck_assert_uint_eq(i.sack_ok, 1);
    ck_assert_uint_eq(i.ts_ok, 0);
    ck_assert_uint_eq(i.laddr, CLI);
    ck_assert_uint_eq(i.raddr, SRV);
    ck_assert_uint_eq(i.rport, PORT);
    transfer(&w, c, s, 100000, 0, NULL, true);
    world_run_for(&w, 100000);
    ck_assert_int_eq(tcpfsm_get_info(w.cli, c, &i), 0);
    ck_assert_uint_eq(i.bytes_sent, 100000);
    ck_assert_uint_eq(i.bytes_acked, 100000);
    ck_assert_uint_eq(i.retransmits, 0);
    ck_assert_uint_eq(i.send_q, 0);
    ck_assert_uint_eq(i.rtt_us, 2000);    /* every sample was 2 ms */
    ck_assert_uint_ge(i.cwnd, 10 * 1460); /* RFC 6928 IW, grown by slow start */
    ck_assert_int_eq(tcpfsm_get_info(w.srv, s, &i), 0);
    ck_assert_uint_eq(i.bytes_received, 100000);
    ck_assert_uint_eq(i.recv_q, 0);
    world_free(&w);
}
END_TEST

/* Loss shows in the per-connection retransmit counter and in RetransSegs alike. */
START_TEST(info_retransmits_match_the_mib_counter_after_loss)
{
    struct world w;
    world_init(&w, NULL, 22);
    struct memlink_impair im = {.delay_us = 1000, .loss = 0.05};
    int l = listen_srv(&w, 4), c, s;
    connect_pair(&w, l, &c, &s);
    memlink_set_impair(w.link, CLI, SRV, &im);
    transfer(&w, c, s, 300000, 0, NULL, true);
    struct tcpfsm_info i;
    struct tcpfsm_stats st;
    ck_assert_int_eq(tcpfsm_get_info(w.cli, c, &i), 0);
    tcpfsm_get_stats(w.cli, &st);
    ck_assert_uint_gt(i.retransmits, 0);
    ck_assert_uint_eq(i.retransmits, st.RetransSegs);
    world_free(&w);
}
END_TEST

/* The listing has the columns and states of `ss -tan` (golden text). */
START_TEST(ss_listing_matches_golden_text)
{
    struct world w;
    world_init(&w, NULL, 23);
    w.cli->isn_fixed_set = true;
    int l = listen_srv(&w, 16), c, s;
    connect_pair(&w, l, &c, &s);
    ck_assert_int_eq(tcpfsm_send(w.cli, c, "hello", 5), 5);
    world_run_for(&w, 10000);
    int c2 = tcpfsm_socket(w.cli);
    ck_assert_int_eq(tcpfsm_bind(w.cli, c2, 0, 50001), 0);
    ck_assert_int_eq(tcpfsm_connect(w.cli, c2, SRV, 9), -EINPROGRESS); /* SYN_SENT for now */
    uint16_t cport;
    tcpfsm_getname(w.cli, c, NULL, &cport, NULL, NULL);
    char got[1024], want[1024];
    tcpfsm_ss(w.srv, got, sizeof got);
    snprintf(want, sizeof want,
             "State       Recv-Q Send-Q Local Address:Port    Peer Address:Port    \n"
             "LISTEN           0     16 0.0.0.0:8080          0.0.0.0:*            \n"
             "ESTABLISHED      5      0 10.9.0.2:8080         10.9.0.1:%-5u       \n",
             cport);
    ck_assert_str_eq(got, want);
    tcpfsm_ss(w.cli, got, sizeof got);
    ck_assert_ptr_nonnull(
        strstr(got, "SYN_SENT         0      0 10.9.0.1:50001        10.9.0.2:9"));
    /* "hello" is still unacknowledged (the server delays its ACK up to 40 ms): Send-Q 5 */
    if (!strstr(got, "ESTABLISHED      0      5 10.9.0.1:")) ck_abort_msg("%s", got);
    /* snprintf semantics: the return value is the length needed; a short buffer truncates. */
    int need = tcpfsm_ss(w.cli, got, 10);
    ck_assert_int_gt(need, 10);
    ck_assert_uint_eq(strlen(got), 9);
    world_free(&w);
}
END_TEST

/* The trace event names its cause, and for a segment the header that arrived (tcpfsm(3)): the
 * listener's RCV_SYN and the child's SPAWN_SYN carry the client's SYN, the client's
 * RCV_SYN_ACK acknowledges that SYN, the server's RCV_ACK acknowledges the SYN-ACK, the
 * APP_CONNECT is a user call with no segment, and T_2MSL is a timer. */
#define TRACE_MAX 64
struct trace_log {
    struct tcpfsm_trace_event ev[TRACE_MAX];
    int n;
};
static void log_trace(void *arg, const struct tcpfsm_trace_event *ev)
{
    struct trace_log *l = arg;
    if (l->n < TRACE_MAX) l->ev[l->n++] = *ev;
}
static const struct tcpfsm_trace_event *find_ev(const struct trace_log *l, const char *from,
                                                const char *event)
{
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->ev[i].from, from) && !strcmp(l->ev[i].event, event)) return &l->ev[i];
    ck_abort_msg("no %s --%s--> in the trace", from, event);
    return NULL;
}

START_TEST(trace_event_names_its_cause_and_the_segment_that_arrived)
{
    static struct trace_log cl, sl;
    memset(&cl, 0, sizeof cl);
    memset(&sl, 0, sizeof sl);
    struct world w;
    world_init(&w, NULL, 25);
    w.cli->cfg.trace = log_trace;
    w.cli->cfg.trace_arg = &cl;
    w.srv->cfg.trace = log_trace;
    w.srv->cfg.trace_arg = &sl;
    int l = listen_srv(&w, 4), c, s;
    connect_pair(&w, l, &c, &s);
    const struct tcpfsm_trace_event *conn = find_ev(&cl, "CLOSED", "APP_CONNECT");
    ck_assert_uint_eq(conn->cause, TCPFSM_CAUSE_APP);
    ck_assert_uint_eq(conn->seg_flags | conn->seg_seq | conn->seg_ack | conn->seg_len, 0);
    const struct tcpfsm_trace_event *syn = find_ev(&sl, "LISTEN", "RCV_SYN");
    ck_assert_uint_eq(syn->cause, TCPFSM_CAUSE_SEGMENT);
    ck_assert_uint_eq(syn->seg_flags, TCPFSM_TH_SYN);
    ck_assert_uint_eq(syn->seg_len, 0);
    ck_assert_uint_gt(syn->seg_wnd, 0);
    const struct tcpfsm_trace_event *spawn = find_ev(&sl, "CLOSED", "SPAWN_SYN");
    ck_assert_uint_eq(spawn->cause, TCPFSM_CAUSE_SEGMENT);
    ck_assert_uint_eq(spawn->seg_seq, syn->seg_seq);
    const struct tcpfsm_trace_event *sa = find_ev(&cl, "SYN_SENT", "RCV_SYN_ACK");
    ck_assert_uint_eq(sa->cause, TCPFSM_CAUSE_SEGMENT);
    ck_assert_uint_eq(sa->seg_flags, TCPFSM_TH_SYN | TCPFSM_TH_ACK);
    ck_assert_uint_eq(sa->seg_ack, syn->seg_seq + 1); /* RFC 9293 3.5: the SYN takes one */
    const struct tcpfsm_trace_event *ack = find_ev(&sl, "SYN_RCVD", "RCV_ACK");
    ck_assert_uint_eq(ack->seg_flags & TCPFSM_TH_ACK, TCPFSM_TH_ACK);
    ck_assert_uint_eq(ack->seg_seq, syn->seg_seq + 1);
    ck_assert_uint_eq(ack->seg_ack, sa->seg_seq + 1);
    tcpfsm_close(w.srv, s); /* the server closes first and holds TIME_WAIT */
    world_run_for(&w, 100000);
    tcpfsm_close(w.cli, c);
    world_run_for(&w, 61000000); /* 2 MSL of 30 s */
    const struct tcpfsm_trace_event *tw = find_ev(&sl, "TIME_WAIT", "T_2MSL");
    ck_assert_uint_eq(tw->cause, TCPFSM_CAUSE_TIMER);
    ck_assert_uint_eq(tw->seg_flags, 0);
    world_free(&w);
}
END_TEST

/* RFC 4022 counters on the refusal path: RST for a closed port (RFC 9293 3.10.7.1). */
START_TEST(mib_counters_on_refused_connection)
{
    struct world w;
    world_init(&w, NULL, 24);
    int c = tcpfsm_socket(w.cli);
    ck_assert_int_eq(tcpfsm_connect(w.cli, c, SRV, 9), -EINPROGRESS);
    world_run_for(&w, 10000);
    ck_assert_int_eq(tcpfsm_error(w.cli, c), -ECONNREFUSED);
    struct tcpfsm_stats cs, ss;
    tcpfsm_get_stats(w.cli, &cs);
    tcpfsm_get_stats(w.srv, &ss);
    ck_assert_uint_eq(cs.ActiveOpens, 1);
    ck_assert_uint_eq(cs.AttemptFails, 1);
    ck_assert_uint_eq(cs.OutSegs, 1);
    ck_assert_uint_eq(cs.InSegs, 1);
    ck_assert_uint_eq(ss.InNoSocket, 1);
    ck_assert_uint_eq(ss.OutRsts, 1);
    ck_assert_uint_eq(ss.PassiveOpens, 0);
    ck_assert_uint_eq(cs.CurrEstab + ss.CurrEstab, 0);
    world_free(&w);
}
END_TEST

/* The /proc/net/sockstat census (tcpfsm_sockstat) as a connection's life moves it: a listener
 * and two connections are in use, an unbound socket is allocated but not in use, an
 * application's close makes an orphan until the peer's FIN, then a TIME_WAIT record that is no
 * TCB; buffer memory is counted in pages while bytes wait. */
START_TEST(sockstat_counts_inuse_orphan_tw_alloc_like_proc_net_sockstat)
{
    struct world w;
    world_init(&w, NULL, 25);
    int l = listen_srv(&w, 16), c1, s1, c2, s2;
    connect_pair(&w, l, &c1, &s1);
    connect_pair(&w, l, &c2, &s2);
    int u = tcpfsm_socket(w.srv);
    struct tcpfsm_sockstat ss;
    tcpfsm_sockstat(w.srv, &ss);
    ck_assert_uint_eq(ss.inuse, 3); /* LISTEN + 2 ESTABLISHED */
    ck_assert_uint_eq(ss.alloc, 4); /* + the unbound socket */
    ck_assert_uint_eq(ss.orphan + ss.tw + ss.synrecv, 0);
    ck_assert_uint_eq(ss.mem + ss.mem_bytes, 0); /* idle: no rings */
    ck_assert_uint_eq(ss.tcb_bytes, 4 * sizeof(struct tcb) + 2 * sizeof(struct tcb_bufs));
    ck_assert_uint_gt(ss.table_bytes, 0);

    ck_assert_int_eq(tcpfsm_send(w.cli, c1, "hello", 5), 5);
    world_run_for(&w, 100000); /* unread on the server: one ring, one page */
    tcpfsm_sockstat(w.srv, &ss);
    ck_assert_uint_eq(ss.mem, 1);
    ck_assert_uint_eq(ss.mem_bytes, MEM_RING_MIN);

    /* The server closes s2 with the peer silent: an orphan in FIN_WAIT_2. */
    ck_assert_int_eq(tcpfsm_close(w.srv, s2), 0);
    world_run_for(&w, 100000);
    tcpfsm_sockstat(w.srv, &ss);
    ck_assert_uint_eq(ss.orphan, 1);
    ck_assert_uint_eq(ss.inuse, 3);
    ck_assert_uint_eq(ss.alloc, 4); /* the descriptor went, the TCB did not */
    /* The client closes too: the server's side becomes TIME_WAIT, a record, not a TCB. */
    ck_assert_int_eq(tcpfsm_close(w.cli, c2), 0);
    world_run_for(&w, 100000);
    tcpfsm_sockstat(w.srv, &ss);
    ck_assert_uint_eq(ss.orphan, 0);
    ck_assert_uint_eq(ss.tw, 1);
    ck_assert_uint_eq(ss.inuse, 2);
    ck_assert_uint_eq(ss.alloc, 3);
    ck_assert_uint_gt(ss.record_bytes, 0);

    char line[256];
    int n = tcpfsm_sockstat_format(&ss, line, sizeof line);
    ck_assert_int_eq(n, (int)strlen(line));
    ck_assert_ptr_nonnull(strstr(line, "TCP: inuse 2 orphan 0 tw 1 alloc 3 mem 1\n"));
    ck_assert_ptr_nonnull(strstr(line, "\ntcpfsm: synrecv 0 mem_bytes "));
    tcpfsm_close(w.srv, u);
    world_free(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_observability");
    TCase *tc = tcase_create("observability");
    tcase_add_test(tc, info_reports_rtt_rto_mss_and_byte_counters_after_a_known_rtt);
    tcase_add_test(tc, info_retransmits_match_the_mib_counter_after_loss);
    tcase_add_test(tc, ss_listing_matches_golden_text);
    tcase_add_test(tc, trace_event_names_its_cause_and_the_segment_that_arrived);
    tcase_add_test(tc, mib_counters_on_refused_connection);
    tcase_add_test(tc, sockstat_counts_inuse_orphan_tw_alloc_like_proc_net_sockstat);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
