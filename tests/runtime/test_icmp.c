/*
 * test_icmp.c — ICMP (runtime/ip/icmp.c): the echo server and its rate limit, protocol
 * unreachable, malformed messages, and ICMP errors given to a connection after RFC 5927's
 * checks: a hard error ends an open (the spec row is pinned in transitions/opening.c), a
 * synchronized connection keeps it as its soft error, "fragmentation needed" lowers its MSS.
 * Each test names the RFC section it checks.
 */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "ip/icmp.h"
#include "packet.h"
#include "rt_test.h"
#include "scenario.h"
#include "tcp_layer.h"

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static struct tcpfsm_stats stats(struct sc *sc)
{
    struct tcpfsm_stats s;
    tcpfsm_get_stats(sc->st, &s);
    return s;
}

/* An echo request from the peer: identifier id, sequence number seq, n bytes of payload. */
static int inject_echo(struct sc *sc, uint16_t id, uint16_t seq, const void *data, size_t n)
{
    uint8_t pkt[1600];
    size_t len = icmp_build(pkt, sizeof pkt, SC_PEER_ADDR, SC_LOCAL_ADDR, ICMP_ECHO, 0,
                            (uint32_t)id << 16 | seq, data, n, 99);
    ck_assert_uint_gt(len, 0);
    return tcpfsm_input(sc->st, pkt, len);
}

/* The next datagram the stack sent: an ICMP message from us to the peer, well formed. */
static size_t next_icmp(struct sc *sc, uint8_t *buf, size_t cap, struct icmp_msg *m)
{
    size_t n = sc_next_raw(sc, buf, cap);
    struct ip_hdr h;
    ck_assert_int_eq(ip_parse(buf, n, &h), PKT_OK); /* the IP header checksum verifies */
    ck_assert_uint_eq(h.proto, IPPROTO_ICMP_NUM);
    ck_assert_uint_eq(h.saddr, SC_LOCAL_ADDR);
    ck_assert_uint_eq(h.daddr, SC_PEER_ADDR);
    ck_assert_uint_eq(h.tot_len, n);
    ck_assert_int_eq(icmp_parse(buf + h.hdr_len, n - h.hdr_len, m), PKT_OK); /* checksum */
    return n;
}

/* An active open whose SYN-ACK announces MSS `mss`. */
static void establish_mss(struct sc *sc, uint16_t mss)
{
    uint32_t iss = sc_connect(sc);
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.flags = TCP_SYN | TCP_ACK;
    in.seq = sc->irs;
    in.ack = iss + 1;
    in.wnd = SC_PEER_WND;
    in.opt.has_mss = 1;
    in.opt.mss = mss;
    sc_inject_in(sc, &in);
    sc_expect(sc, TCP_ACK, iss + 1, sc->irs + 1, 0);
    sc_expect_none(sc);
}

static uint32_t info_mss(struct sc *sc)
{
    struct tcpfsm_info info;
    ck_assert_int_eq(tcpfsm_get_info(sc->st, sc->fd, &info), 0);
    return info.mss;
}

/* ---------------------------------------------------------------- echo ---- */

/* RFC 1122 3.2.2.6: "Every host MUST implement an ICMP Echo server function"; the reply's
 * source is the request's destination, and "Data received in an ICMP Echo Request MUST be
 * entirely included in the resulting Echo Reply"; identifier and sequence number echoed. */
START_TEST(echo_reply_echoes_id_seq_and_payload)
{
    struct sc *sc = sc_new(NULL);
    uint8_t payload[37]; /* odd: the checksum's last byte is padded */
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7 + 1);
    ck_assert_int_eq(inject_echo(sc, 0x1234, 7, payload, sizeof payload), 0);
    uint8_t buf[2048];
    struct icmp_msg m;
    size_t n = next_icmp(sc, buf, sizeof buf, &m);
    ck_assert_uint_eq(n, IPV4_HDR_LEN + ICMP_HDR_LEN + sizeof payload);
    ck_assert_uint_eq(m.type, ICMP_ECHO_REPLY);
    ck_assert_uint_eq(m.code, 0);
    ck_assert_uint_eq(get16(buf + 24), 0x1234);
    ck_assert_uint_eq(get16(buf + 26), 7);
    ck_assert_uint_eq(m.len, sizeof payload);
    ck_assert_mem_eq(m.body, payload, sizeof payload);
    sc_expect_none(sc);
    struct tcpfsm_stats s = stats(sc);
    ck_assert_uint_eq(s.IcmpInMsgs, 1);
    ck_assert_uint_eq(s.IcmpInEchos, 1);
    ck_assert_uint_eq(s.IcmpOutMsgs, 1);
    ck_assert_uint_eq(s.IcmpOutEchoReps, 1);
    ck_assert_uint_eq(s.InSegs, 0); /* not a TCP segment */
    sc_free(sc);
}
END_TEST

/* RFC 1122 3.2.2: the rate of ICMP messages is limited: a bucket of ICMP_RATE_BURST tokens
 * refilled at ICMP_RATE_PER_SEC; a request over the limit is not answered and counted. */
START_TEST(echo_replies_are_rate_limited)
{
    struct sc *sc = sc_new(NULL);
    for (unsigned i = 0; i < ICMP_RATE_BURST + 10; i++)
        inject_echo(sc, 1, (uint16_t)i, "x", 1);
    ck_assert_uint_eq(sc_pending(sc), ICMP_RATE_BURST);
    ck_assert_uint_eq(stats(sc).IcmpOutRateLimited, 10);
    sc_drain(sc);
    sc_advance(sc, 10000); /* 10 ms: 10 tokens at 1000 per second */
    for (unsigned i = 0; i < 20; i++)
        inject_echo(sc, 1, (uint16_t)i, "x", 1);
    ck_assert_uint_eq(sc_pending(sc), 10);
    ck_assert_uint_eq(stats(sc).IcmpOutRateLimited, 20);
    ck_assert_uint_eq(stats(sc).IcmpOutEchoReps, ICMP_RATE_BURST + 10);
    sc_free(sc);
}
END_TEST

/* RFC 792: the checksum covers the whole ICMP message; RFC 1122 3.2.2: a message shorter
 * than its 8-byte header is no message. Both dropped without reply and counted. */
START_TEST(malformed_icmp_is_dropped_and_counted)
{
    struct sc *sc = sc_new(NULL);
    uint8_t pkt[64];
    size_t n =
        icmp_build(pkt, sizeof pkt, SC_PEER_ADDR, SC_LOCAL_ADDR, ICMP_ECHO, 0, 5, "abcd", 4, 1);
    pkt[30] ^= 0x40; /* a payload bit: the ICMP checksum fails */
    ck_assert_int_eq(tcpfsm_input(sc->st, pkt, n), -EBADMSG);
    /* 7 bytes of ICMP: too short (IP total length and checksum made consistent) */
    n = icmp_build(pkt, sizeof pkt, SC_PEER_ADDR, SC_LOCAL_ADDR, ICMP_ECHO, 0, 5, NULL, 0, 1);
    pkt[3] = (uint8_t)(n - 1);
    pkt[10] = pkt[11] = 0;
    rt_fix_ip_csum(pkt);
    ck_assert_int_eq(tcpfsm_input(sc->st, pkt, n - 1), -EINVAL);
    sc_expect_none(sc);
    struct tcpfsm_stats s = stats(sc);
    ck_assert_uint_eq(s.IcmpInMsgs, 2);
    ck_assert_uint_eq(s.IcmpInErrors, 2);
    ck_assert_uint_eq(s.IcmpInCsumErrors, 1);
    ck_assert_uint_eq(s.IcmpInEchos, 0);
    /* RFC 1122 3.2.2: "If an ICMP message of unknown type is received, it MUST be silently
     * discarded" */
    n = icmp_build(pkt, sizeof pkt, SC_PEER_ADDR, SC_LOCAL_ADDR, 42, 0, 0, NULL, 0, 1);
    ck_assert_int_eq(tcpfsm_input(sc->st, pkt, n), 0);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* RFC 1122 3.2.2.6: a request to a broadcast address MAY be discarded (ours is), and RFC 1122
 * 3.2.1.3: nothing answers a source no host may have. */
START_TEST(echo_to_broadcast_or_from_martian_is_not_answered)
{
    struct sc *sc = sc_new(NULL);
    uint8_t pkt[64];
    size_t n = icmp_build(pkt, sizeof pkt, SC_PEER_ADDR, 0xffffffffu, ICMP_ECHO, 0, 1, NULL, 0, 1);
    ck_assert_int_eq(tcpfsm_input(sc->st, pkt, n), -EINVAL);
    n = icmp_build(pkt, sizeof pkt, RT_IP(224, 0, 0, 1), SC_LOCAL_ADDR, ICMP_ECHO, 0, 1, NULL, 0,
                   1);
    ck_assert_int_eq(tcpfsm_input(sc->st, pkt, n), -EINVAL);
    sc_expect_none(sc);
    ck_assert_uint_eq(stats(sc).InMartians, 1);
    sc_free(sc);
}
END_TEST

/* --------------------------------------------------- protocol unreachable ---- */

/* RFC 1122 3.2.2.1: a host SHOULD answer a datagram for a transport protocol it does not
 * support with Destination Unreachable code 2, quoting the IP header and at least 8 octets
 * (RFC 792; we quote up to a 576-byte message). */
START_TEST(unknown_protocol_gets_protocol_unreachable)
{
    struct sc *sc = sc_new(NULL);
    uint8_t dg[IPV4_HDR_LEN + 16];
    memset(dg, 0, sizeof dg);
    dg[0] = 0x45;
    dg[3] = sizeof dg;
    dg[8] = 64;
    dg[9] = 17; /* UDP */
    dg[12] = 10, dg[15] = 1;
    dg[16] = 10, dg[19] = 2;
    memcpy(dg + 20, "\x9c\x40\x00\x35\x00\x10\x00\x00udp body", 16);
    rt_fix_ip_csum(dg);
    ck_assert_int_eq(tcpfsm_input(sc->st, dg, sizeof dg), -EPROTONOSUPPORT);
    uint8_t buf[2048];
    struct icmp_msg m;
    next_icmp(sc, buf, sizeof buf, &m);
    ck_assert_uint_eq(m.type, ICMP_DEST_UNREACH);
    ck_assert_uint_eq(m.code, ICMP_PROT_UNREACH);
    ck_assert_uint_eq(m.rest, 0);
    ck_assert_uint_eq(m.len, sizeof dg);
    ck_assert_mem_eq(m.body, dg, sizeof dg);
    struct tcpfsm_stats s = stats(sc);
    ck_assert_uint_eq(s.IpInUnknownProtos, 1);
    ck_assert_uint_eq(s.IcmpOutDestUnreachs, 1);
    ck_assert_uint_eq(s.InSegs, 0);
    /* the quote of a large datagram stops at a 576-byte message (RFC 1812 4.3.2.3) */
    uint8_t big[1000];
    memset(big, 0xab, sizeof big);
    memcpy(big, dg, IPV4_HDR_LEN);
    big[2] = sizeof big >> 8;
    big[3] = sizeof big & 0xff;
    big[10] = big[11] = 0;
    rt_fix_ip_csum(big);
    ck_assert_int_eq(tcpfsm_input(sc->st, big, sizeof big), -EPROTONOSUPPORT);
    ck_assert_uint_eq(next_icmp(sc, buf, sizeof buf, &m), 576);
    /* never in answer to a broadcast (RFC 1122 3.2.2): not for our address, not answered */
    dg[16] = 255, dg[17] = 255, dg[18] = 255, dg[19] = 255;
    dg[10] = dg[11] = 0;
    rt_fix_ip_csum(dg);
    ck_assert_int_eq(tcpfsm_input(sc->st, dg, sizeof dg), -EINVAL);
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

/* ----------------------------------------------------- errors to a connection ---- */

/* RFC 5927 4.1 / 5.1: an ICMP error counts only if the segment it quotes is one of ours: its
 * 4-tuple names a connection and its sequence number lies in SND.UNA..SND.NXT. Otherwise it
 * is dropped and counted, and the connection does not notice. */
START_TEST(error_validation_rfc5927)
{
    struct sc *sc = sc_new(NULL);
    establish_mss(sc, 1460);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, "hello", 5), 5);
    sc_expect(sc, TCP_ACK | TCP_PSH, sc->iss + 1, sc->irs + 1, 5);
    /* unknown 4-tuple: another port */
    uint16_t lport = sc->lport;
    sc->lport = (uint16_t)(lport + 1);
    ck_assert_int_eq(
        sc_inject_icmp_error(sc, 0, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, sc->iss + 1), -ENOENT);
    sc->lport = lport;
    ck_assert_uint_eq(stats(sc).IcmpInErrors, 1);
    /* sequence numbers outside SND.UNA..SND.NXT: before, and beyond what was sent */
    ck_assert_int_eq(sc_inject_icmp_error(sc, 0, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, sc->iss),
                     -EINVAL);
    ck_assert_int_eq(
        sc_inject_icmp_error(sc, 0, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, sc->iss + 7), -EINVAL);
    ck_assert_uint_eq(stats(sc).OutOfWindowIcmps, 2);
    ck_assert_uint_eq(stats(sc).IcmpSoftErrors, 0);
    ck_assert_ptr_nonnull(sc_tcb(sc)->buf);
    ck_assert_uint_eq(sc_tcb(sc)->buf->soft_err, 0);
    /* in the range: taken, as a soft error */
    ck_assert_int_eq(sc_inject_icmp_error(sc, RT_IP(10, 9, 9, 9), ICMP_DEST_UNREACH,
                                          ICMP_HOST_UNREACH, 0, sc->iss + 1),
                     0);
    ck_assert_uint_eq(sc_tcb(sc)->buf->soft_err, EHOSTUNREACH);
    ck_assert_uint_eq(stats(sc).IcmpInDestUnreachs, 4);
    sc_expect_none(sc);
    sc_expect_state(sc, "ESTABLISHED");
    sc_free(sc);
}
END_TEST

/* RFC 1122 4.2.3.9: in a synchronized state even a hard error (port unreachable) "SHOULD NOT
 * abort the connection" (RFC 5927 5.2); it is kept and reported if the connection then times
 * out, as Linux reports sk_err_soft (tcp_write_err): EHOSTUNREACH rather than ETIMEDOUT. */
START_TEST(soft_error_in_established_reported_at_timeout)
{
    struct sc_opts o = {.max_retries = 2};
    struct sc *sc = sc_new(&o);
    establish_mss(sc, 1460);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, "hello", 5), 5);
    sc_expect(sc, TCP_ACK | TCP_PSH, sc->iss + 1, sc->irs + 1, 5);
    ck_assert_int_eq(
        sc_inject_icmp_error(sc, 0, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, sc->iss + 1), 0);
    sc_expect_state(sc, "ESTABLISHED");
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    ck_assert_int_eq(tcpfsm_poll(sc->st, sc->fd) & TCPFSM_POLLERR, 0);
    /* a router's time exceeded: the last soft error is the one kept */
    ck_assert_int_eq(
        sc_inject_icmp_error(sc, RT_IP(10, 9, 9, 9), ICMP_TIME_EXCEEDED, 0, 0, sc->iss + 1), 0);
    ck_assert_uint_eq(stats(sc).IcmpInTimeExcds, 1);
    ck_assert_uint_eq(stats(sc).IcmpSoftErrors, 2);
    while (strcmp(sc_state(sc), "CLOSED") != 0) {
        sc_fire_next(sc);
        sc_drain(sc);
    }
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -EHOSTUNREACH);
    sc_free(sc);
}
END_TEST

/* RFC 1122 4.2.3.9: soft errors "MUST" be reported to the application: while the connection
 * lives, tcpfsm_info.soft_err shows the one kept and tcpfsm_soft_error() reports it once and
 * forgets it (Linux's SO_ERROR: sk_err_soft when no hard error is pending); tcpfsm_error(), the
 * connection's own error, stays 0, and the connection goes on. */
START_TEST(soft_error_reported_once_to_the_application)
{
    struct sc *sc = sc_new(NULL);
    establish_mss(sc, 1460);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, "hello", 5), 5);
    sc_expect(sc, TCP_ACK | TCP_PSH, sc->iss + 1, sc->irs + 1, 5);
    ck_assert_int_eq(tcpfsm_soft_error(sc->st, sc->fd), 0); /* none yet */
    ck_assert_int_eq(
        sc_inject_icmp_error(sc, 0, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, sc->iss + 1), 0);
    struct tcpfsm_info i;
    ck_assert_int_eq(tcpfsm_get_info(sc->st, sc->fd, &i), 0);
    ck_assert_int_eq(i.soft_err, -EHOSTUNREACH);
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), 0);
    ck_assert_int_eq(tcpfsm_soft_error(sc->st, sc->fd), -EHOSTUNREACH);
    ck_assert_int_eq(tcpfsm_soft_error(sc->st, sc->fd), 0); /* reported once */
    ck_assert_int_eq(tcpfsm_get_info(sc->st, sc->fd, &i), 0);
    ck_assert_int_eq(i.soft_err, 0);
    ck_assert_int_eq(tcpfsm_soft_error(sc->st, 12345), -EBADF);
    sc_expect_state(sc, "ESTABLISHED");
    sc_free(sc);
}
END_TEST

/* ... and an ACK of new data forgets it (Linux's tcp_ack clears sk_err_soft): a later timeout
 * is ETIMEDOUT again. */
START_TEST(soft_error_forgotten_when_data_is_acked)
{
    struct sc_opts o = {.max_retries = 2};
    struct sc *sc = sc_new(&o);
    establish_mss(sc, 1460);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, "hello", 5), 5);
    sc_expect(sc, TCP_ACK | TCP_PSH, sc->iss + 1, sc->irs + 1, 5);
    sc_inject_icmp_error(sc, 0, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0, sc->iss + 1);
    ck_assert_uint_eq(sc_tcb(sc)->buf->soft_err, ENETUNREACH);
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 6, SC_PEER_WND, NULL, 0);
    ck_assert_uint_eq(sc_tcb(sc)->buf->soft_err, 0);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, "again", 5), 5);
    sc_drain(sc);
    while (strcmp(sc_state(sc), "CLOSED") != 0) {
        sc_fire_next(sc);
        sc_drain(sc);
    }
    ck_assert_int_eq(tcpfsm_error(sc->st, sc->fd), -ETIMEDOUT);
    sc_free(sc);
}
END_TEST

/* --------------------------------------------------------------- path MTU ---- */

/* RFC 1191 3 / RFC 8201: "fragmentation needed" with the next-hop MTU lowers the connection's
 * MSS to MTU - 40 and what was in flight goes again in segments that fit, at once (Linux's
 * tcp_simple_retransmit); the next new segment fits too. Our segments carry DF (RFC 1191 3:
 * path MTU discovery sets it on every datagram). */
START_TEST(frag_needed_shrinks_mss_and_resends)
{
    struct sc *sc = sc_new(NULL);
    establish_mss(sc, 1460);
    ck_assert_uint_eq(info_mss(sc), 1460);
    static const char big[4000];
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, big, 2920), 2920);
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 1460);
    ck_assert_uint_eq(sc->lastbuf[6] & 0x40, 0x40); /* DF */
    sc_expect(sc, TCP_ACK | TCP_PSH, sc->iss + 1461, sc->irs + 1, 1460);
    sc_expect_none(sc);
    uint64_t rtx = stats(sc).RetransSegs;
    ck_assert_int_eq(sc_inject_icmp_error(sc, RT_IP(10, 9, 9, 9), ICMP_DEST_UNREACH,
                                          ICMP_FRAG_NEEDED, 1000, sc->iss + 1461),
                     0);
    ck_assert_uint_eq(info_mss(sc), 960);
    ck_assert_uint_eq(stats(sc).IcmpPmtuUpdates, 1);
    /* everything in flight, again, 960 bytes at most (the initial window allows 2920) */
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 960);
    sc_expect(sc, TCP_ACK, sc->iss + 961, sc->irs + 1, 960);
    sc_expect(sc, TCP_ACK, sc->iss + 1921, sc->irs + 1, 960);
    sc_expect(sc, TCP_ACK | TCP_PSH, sc->iss + 2881, sc->irs + 1, 40);
    sc_expect_none(sc);
    ck_assert_uint_eq(stats(sc).RetransSegs, rtx + 4);
    ck_assert_uint_eq(sc_tcb(sc)->buf->soft_err, 0); /* no error for the user */
    /* the next new segment fits the new MSS */
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 2921, SC_PEER_WND, NULL, 0);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, big, 2000), 2000);
    sc_expect(sc, TCP_ACK, sc->iss + 2921, sc->irs + 1, 960);
    sc_free(sc);
}
END_TEST

/* RFC 1191 3: the estimate never goes up, and (RFC 5927 7.2, Linux's min_pmtu) never below
 * ICMP_PMTU_MIN: a next-hop MTU of 68, or 0 from a router that predates RFC 1191, gives MSS
 * 512; a forged message (its sequence number outside SND.UNA..SND.NXT) changes nothing. */
START_TEST(frag_needed_floor_no_increase_and_forgery)
{
    struct sc *sc = sc_new(NULL);
    establish_mss(sc, 1460);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, "x", 1), 1);
    sc_drain(sc);
    /* forged: a sequence number never sent */
    ck_assert_int_eq(sc_inject_icmp_error(sc, RT_IP(10, 9, 9, 9), ICMP_DEST_UNREACH,
                                          ICMP_FRAG_NEEDED, 576, sc->iss + 100000),
                     -EINVAL);
    ck_assert_uint_eq(info_mss(sc), 1460);
    /* larger than now: ignored */
    sc_inject_icmp_error(sc, RT_IP(10, 9, 9, 9), ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 9000,
                         sc->iss + 1);
    ck_assert_uint_eq(info_mss(sc), 1460);
    ck_assert_uint_eq(stats(sc).IcmpPmtuUpdates, 0);
    /* below the floor */
    sc_inject_icmp_error(sc, RT_IP(10, 9, 9, 9), ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 68,
                         sc->iss + 1);
    ck_assert_uint_eq(info_mss(sc), ICMP_PMTU_MIN - 40);
    sc_inject_icmp_error(sc, RT_IP(10, 9, 9, 9), ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 0,
                         sc->iss + 1);
    ck_assert_uint_eq(info_mss(sc), 512);
    ck_assert_uint_eq(stats(sc).IcmpPmtuUpdates, 1);
    sc_free(sc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("icmp");
    TCase *tc = tcase_create("icmp");
    tcase_add_test(tc, echo_reply_echoes_id_seq_and_payload);
    tcase_add_test(tc, echo_replies_are_rate_limited);
    tcase_add_test(tc, malformed_icmp_is_dropped_and_counted);
    tcase_add_test(tc, echo_to_broadcast_or_from_martian_is_not_answered);
    tcase_add_test(tc, unknown_protocol_gets_protocol_unreachable);
    tcase_add_test(tc, error_validation_rfc5927);
    tcase_add_test(tc, soft_error_in_established_reported_at_timeout);
    tcase_add_test(tc, soft_error_forgotten_when_data_is_acked);
    tcase_add_test(tc, soft_error_reported_once_to_the_application);
    tcase_add_test(tc, frag_needed_shrinks_mss_and_resends);
    tcase_add_test(tc, frag_needed_floor_no_increase_and_forgery);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
