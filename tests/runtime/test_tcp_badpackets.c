/*
 * test_tcp_badpackets.c — what tcpfsm_input does with packets it must not accept: every kind
 * of malformed IPv4/TCP datagram is dropped with the right return code and counter, sends
 * nothing, and leaves a live connection on the same stack working; segments for no socket
 * are answered with a RST built by the exact rules of RFC 9293 3.10.7.1 (and a RST is never
 * answered); a reordered old ACK carrying a stale SACK block is harmless; 10k mutated
 * segments from a seeded PRNG crash nothing (run under ASan with `make SAN=1`).
 *
 * The test plays the peer by hand: it builds the segments itself (rt_build_tcp / pkt_build)
 * and reads the stack's output from a capture buffer.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "rt_test.h"
#include "seq.h"
#include "tcp_layer.h"
#include "tcpfsm.h"

#define S_ADDR RT_IP(10, 0, 0, 2) /* the stack under test */
#define P_ADDR RT_IP(10, 0, 0, 1) /* the peer this test plays */
#define S_PORT 80
#define MAXOUT 64
#define PKTMAX 2048

struct rig {
    struct tcpfsm_stack *st;
    uint64_t rng;
    int lfd, fd;         /* listener, and the live connection's descriptor */
    uint16_t pport;      /* the peer's port of the live connection */
    uint32_t pseq, pack; /* peer: next sequence number to send, next byte expected */
    int nout;            /* captured output packets */
    size_t outlen[MAXOUT];
    uint8_t out[MAXOUT][PKTMAX];
    uint64_t outs_total;
};

static uint64_t rig_random(void *arg)
{
    return rt_rand(arg);
}

static void rig_output(void *arg, const void *pkt, size_t len)
{
    struct rig *r = arg;
    struct tcp_seg s;
    struct ip_hdr h;
    /* The stack never emits a datagram it would refuse itself. Garbage with another protocol
     * number is answered with protocol unreachable (RFC 1122 3.2.2.1; test_icmp.c): well
     * formed, not kept. */
    rt_require(ip_parse(pkt, len, &h) == PKT_OK);
    if (h.proto == IPPROTO_ICMP_NUM) {
        struct icmp_msg m;
        rt_require(icmp_parse((const uint8_t *)pkt + h.hdr_len, h.tot_len - h.hdr_len, &m) ==
                   PKT_OK);
        rt_require(h.saddr == S_ADDR);
        return;
    }
    rt_require(pkt_parse(pkt, len, &s) == PKT_OK);
    rt_require(s.saddr == S_ADDR);
    r->outs_total++;
    if (r->nout < MAXOUT && len <= PKTMAX) {
        memcpy(r->out[r->nout], pkt, len);
        r->outlen[r->nout++] = len;
    }
}

static struct tcp_seg out_seg(struct rig *r, int i)
{
    struct tcp_seg s;
    ck_assert_int_lt(i, r->nout);
    ck_assert_int_eq(pkt_parse(r->out[i], r->outlen[i], &s), PKT_OK);
    return s;
}

/* A segment from the peer with options (NULL: none). */
static size_t mkseg(uint8_t *buf, size_t cap, uint16_t sport, uint16_t dport, uint32_t seq,
                    uint32_t ack, uint8_t flags, const struct tcp_opts *o, const void *data,
                    size_t len)
{
    struct tcp_seg s;
    memset(&s, 0, sizeof s);
    s.saddr = P_ADDR;
    s.daddr = S_ADDR;
    s.sport = sport;
    s.dport = dport;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.wnd = 65535;
    if (o) s.opt = *o;
    s.data = data;
    s.len = (uint32_t)len;
    size_t n = pkt_build(buf, cap, &s, 7);
    ck_assert_uint_gt(n, 0);
    return n;
}

static struct rig *rig_new(uint32_t flags)
{
    struct rig *r = calloc(1, sizeof *r);
    ck_assert_ptr_nonnull(r);
    r->rng = 0x5eed;
    struct tcpfsm_config c;
    memset(&c, 0, sizeof c);
    c.addr = S_ADDR;
    c.output = rig_output;
    c.output_arg = r;
    c.random = rig_random;
    c.random_arg = &r->rng;
    c.flags = flags;
    c.prefix_len = 24;
    int err;
    r->st = tcpfsm_stack_new(&c, &err);
    ck_assert_ptr_nonnull(r->st);
    r->lfd = tcpfsm_socket(r->st);
    ck_assert_int_eq(tcpfsm_bind(r->st, r->lfd, 0, S_PORT), 0);
    ck_assert_int_eq(tcpfsm_listen(r->st, r->lfd, 16), 0);
    r->fd = -1;
    return r;
}

static void rig_free(struct rig *r)
{
    rt_coverage_save(r->st);
    tcpfsm_stack_free(r->st);
    free(r);
}

/* Handshake from the peer's port `pport` (RFC 9293 3.5); the connection becomes the live one. */
static void rig_connect(struct rig *r, uint16_t pport, const struct tcp_opts *synopt)
{
    uint8_t b[PKTMAX];
    uint32_t isn = 1000u + pport;
    r->nout = 0;
    ck_assert_int_eq(
        tcpfsm_input(r->st, b, mkseg(b, sizeof b, pport, S_PORT, isn, 0, TCP_SYN, synopt, NULL, 0)),
        0);
    ck_assert_int_eq(r->nout, 1);
    struct tcp_seg sa = out_seg(r, 0);
    ck_assert_uint_eq(sa.flags, TCP_SYN | TCP_ACK);
    ck_assert_uint_eq(sa.ack, isn + 1);
    r->pport = pport;
    r->pseq = isn + 1;
    r->pack = sa.seq + 1;
    r->nout = 0;
    ck_assert_int_eq(
        tcpfsm_input(r->st, b,
                     mkseg(b, sizeof b, pport, S_PORT, r->pseq, r->pack, TCP_ACK, NULL, NULL, 0)),
        0);
    r->fd = tcpfsm_accept(r->st, r->lfd, NULL, NULL);
    ck_assert_int_ge(r->fd, 0);
    struct tcpfsm_info info;
    ck_assert_int_eq(tcpfsm_get_info(r->st, r->fd, &info), 0);
    ck_assert_str_eq(info.state, "ESTABLISHED");
}

/* The live connection still works both ways: 8 bytes in at exactly RCV.NXT are readable,
 * and 4 bytes out leave at exactly the sequence number the peer expects. */
static void live_check(struct rig *r)
{
    static unsigned counter;
    uint8_t b[PKTMAX], msg[9], got[64];
    snprintf((char *)msg, sizeof msg, "live%04u", counter++ % 10000);
    r->nout = 0;
    size_t n =
        mkseg(b, sizeof b, r->pport, S_PORT, r->pseq, r->pack, TCP_ACK | TCP_PSH, NULL, msg, 8);
    ck_assert_int_eq(tcpfsm_input(r->st, b, n), 0);
    r->pseq += 8;
    ck_assert_int_eq(tcpfsm_recv(r->st, r->fd, got, sizeof got), 8);
    ck_assert(memcmp(got, msg, 8) == 0);
    r->nout = 0;
    ck_assert_int_eq(tcpfsm_send(r->st, r->fd, "pong", 4), 4);
    bool found = false;
    for (int i = 0; i < r->nout; i++) {
        struct tcp_seg s = out_seg(r, i);
        if (s.len == 4 && s.seq == r->pack && memcmp(s.data, "pong", 4) == 0) found = true;
    }
    ck_assert_msg(found, "the live connection did not send its data");
    r->pack += 4;
    r->nout = 0;
}

enum drop_kind { DROP_MALFORMED, DROP_CSUM, DROP_NOT_OURS, DROP_MARTIAN, DROP_BAD_FLAGS };

/* Feed one bad datagram: it must be refused with `want`, counted once in the right field,
 * answered with nothing, and deliver nothing. Then the live connection must still work. */
static void expect_drop(struct rig *r, const void *pkt, size_t len, enum drop_kind kind,
                        const char *what)
{
    struct tcpfsm_stats a, b;
    tcpfsm_get_stats(r->st, &a);
    r->nout = 0;
    int ret = tcpfsm_input(r->st, pkt, len);
    int want = kind == DROP_CSUM ? -EBADMSG : -EINVAL;
    ck_assert_msg(ret == want, "%s: tcpfsm_input returned %d, want %d", what, ret, want);
    tcpfsm_get_stats(r->st, &b);
    ck_assert_msg(b.InSegs == a.InSegs + 1, "%s: InSegs", what);
    bool err = kind == DROP_MALFORMED || kind == DROP_CSUM || kind == DROP_NOT_OURS;
    ck_assert_msg(b.InErrs == a.InErrs + err, "%s: InErrs %llu -> %llu", what,
                  (unsigned long long)a.InErrs, (unsigned long long)b.InErrs);
    ck_assert_msg(b.InMartians == a.InMartians + (kind == DROP_MARTIAN), "%s: InMartians", what);
    ck_assert_msg(b.InBadFlags == a.InBadFlags + (kind == DROP_BAD_FLAGS), "%s: InBadFlags", what);
    ck_assert_msg(b.InMalformed == a.InMalformed + (kind == DROP_MALFORMED), "%s: InMalformed",
                  what);
    ck_assert_msg(b.InCsumErrors == a.InCsumErrors + (kind == DROP_CSUM), "%s: InCsumErrors", what);
    ck_assert_msg(b.OutSegs == a.OutSegs && r->nout == 0, "%s: something was sent", what);
    ck_assert_msg(b.InNoSocket == a.InNoSocket, "%s: reached the lookup", what);
    uint8_t c[16];
    ck_assert_msg(tcpfsm_recv(r->st, r->fd, c, sizeof c) == -EAGAIN, "%s: data delivered", what);
    live_check(r);
}

/* A valid data segment on the live connection: were it not broken it would be delivered. */
static size_t base_pkt(struct rig *r, uint8_t *b)
{
    return mkseg(b, PKTMAX, r->pport, S_PORT, r->pseq, r->pack, TCP_ACK | TCP_PSH, NULL, "BAD!", 4);
}

static void set16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void set32(uint8_t *p, uint32_t v)
{
    set16(p, (uint16_t)(v >> 16));
    set16(p + 2, (uint16_t)v);
}
static void fix_all(uint8_t *b, size_t tot)
{
    rt_fix_ip_csum(b);
    rt_fix_tcp_csum(b, tot - (size_t)(b[0] & 15) * 4);
}

/* ---------------------------------------------------------------- malformed ---- */

/* RFC 791 3.1 / RFC 1122 3.2.1.1-3.2.1.2: the IP header must be complete and consistent. */
START_TEST(bad_ip_headers_dropped)
{
    struct rig *r = rig_new(0);
    rig_connect(r, 5555, NULL);
    live_check(r);
    uint8_t b[PKTMAX];
    size_t n = base_pkt(r, b);

    expect_drop(r, b, 0, DROP_MALFORMED, "zero length");
    expect_drop(r, b, 1, DROP_MALFORMED, "one byte");
    expect_drop(r, b, 19, DROP_MALFORMED, "truncated IP header (19 bytes)");
    ck_assert_int_eq(tcpfsm_input(r->st, NULL, 0), -EINVAL);
    ck_assert_int_eq(tcpfsm_input(r->st, NULL, 40), -EINVAL);

    n = base_pkt(r, b);
    b[0] = 0x65;
    rt_fix_ip_csum(b);
    expect_drop(r, b, n, DROP_MALFORMED, "IP version 6");
    n = base_pkt(r, b);
    b[0] = 0x44;
    expect_drop(r, b, n, DROP_MALFORMED, "IHL 4");
    n = base_pkt(r, b);
    b[0] = 0x4f;
    expect_drop(r, b, n, DROP_MALFORMED, "IHL 15 beyond a 44-byte packet");
    n = base_pkt(r, b);
    set16(b + 2, 1000);
    rt_fix_ip_csum(b);
    expect_drop(r, b, n, DROP_MALFORMED, "IP total length beyond the packet");
    n = base_pkt(r, b);
    expect_drop(r, b, n - 1, DROP_MALFORMED, "packet one byte shorter than its total length");
    n = base_pkt(r, b);
    set16(b + 2, 19);
    rt_fix_ip_csum(b);
    expect_drop(r, b, n, DROP_MALFORMED, "IP total length below the header length");

    n = base_pkt(r, b);
    b[10] ^= 0x5a;
    expect_drop(r, b, n, DROP_CSUM, "bad IP header checksum");
    n = base_pkt(r, b);
    b[8] ^= 0x01; /* TTL changed, checksum not */
    expect_drop(r, b, n, DROP_CSUM, "IP header corrupted");

    /* RFC 1122 3.3.2 allows not reassembling; we drop every fragment. */
    n = base_pkt(r, b);
    b[6] |= 0x20;
    rt_fix_ip_csum(b);
    expect_drop(r, b, n, DROP_MALFORMED, "IP fragment: more fragments");
    n = base_pkt(r, b);
    b[6] = 0;
    b[7] = 0x10;
    rt_fix_ip_csum(b);
    expect_drop(r, b, n, DROP_MALFORMED, "IP fragment: non-zero offset");
    n = base_pkt(r, b);
    b[6] = 0x20;
    b[7] = 0;
    rt_fix_ip_csum(b); /* MF without DF */
    expect_drop(r, b, n, DROP_MALFORMED, "IP first fragment");

    /* Other protocols are no TCP segments: ICMP, and protocol unreachable for the rest, are
     * test_icmp.c's. */
    rig_free(r);
}
END_TEST

/* RFC 9293 3.1: the TCP header must fit, its data offset must be 5..the segment, the checksum
 * (with the pseudo-header) must verify and the options must be well formed (MUST-64). */
START_TEST(bad_tcp_headers_dropped)
{
    struct rig *r = rig_new(0);
    rig_connect(r, 5556, NULL);
    uint8_t b[PKTMAX];
    size_t n;

    /* Truncated TCP header: total length 20 + 12. */
    n = base_pkt(r, b);
    set16(b + 2, 32);
    rt_fix_ip_csum(b);
    expect_drop(r, b, 32, DROP_MALFORMED, "truncated TCP header (12 bytes)");
    n = base_pkt(r, b);
    set16(b + 2, 20);
    rt_fix_ip_csum(b);
    expect_drop(r, b, 20, DROP_MALFORMED, "no TCP header at all");

    for (int doff = 0; doff < 5; doff++) {
        n = base_pkt(r, b);
        b[32] = (uint8_t)(doff << 4);
        fix_all(b, n);
        expect_drop(r, b, n, DROP_MALFORMED, "data offset < 5");
    }
    n = base_pkt(r, b);
    b[32] = 15 << 4;
    fix_all(b, n); /* 60 > 24 bytes of segment */
    expect_drop(r, b, n, DROP_MALFORMED, "data offset beyond the segment");
    n = base_pkt(r, b);
    b[32] = 7 << 4;
    fix_all(b, n); /* 28 > 24 */
    expect_drop(r, b, n, DROP_MALFORMED, "data offset just beyond the segment");

    n = base_pkt(r, b);
    b[36] ^= 0x80; /* the checksum field itself */
    expect_drop(r, b, n, DROP_CSUM, "bad TCP checksum");
    n = base_pkt(r, b);
    b[n - 1] ^= 0x04; /* a payload bit */
    expect_drop(r, b, n, DROP_CSUM, "payload bit flip");
    n = base_pkt(r, b);
    b[24] ^= 0x10; /* a sequence number bit */
    expect_drop(r, b, n, DROP_CSUM, "sequence number bit flip");
    n = base_pkt(r, b);
    b[15] ^= 0x01;
    rt_fix_ip_csum(b); /* source address: pseudo-header */
    expect_drop(r, b, n, DROP_CSUM, "pseudo-header (source address) mismatch");

    /* Options that run past the header: 4 option bytes (doff 6) holding ... */
    static const uint8_t bad_opts[][4] = {
        {TCPOPT_MSS, 8, 0, 0},                           /* a length past the header */
        {TCPOPT_NOP, TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TS}, /* a kind with no length byte */
        {TCPOPT_TS, 1, 0, 0},                            /* a length below 2 */
        {99, 0, 0, 0},                                   /* an unknown kind with length 0 */
        {TCPOPT_SACK_PERM, 2, 77, 3}, /* fine, then an unknown kind with length 3 > 2 left */
    };
    for (size_t i = 0; i < sizeof bad_opts / sizeof bad_opts[0]; i++) {
        n = base_pkt(r, b); /* 20 IP + 20 TCP + 4 data */
        memmove(b + 44, b + 40, 4);
        memcpy(b + 40, bad_opts[i], 4);
        n += 4;
        set16(b + 2, (uint16_t)n);
        b[32] = 6 << 4;
        fix_all(b, n);
        expect_drop(r, b, n, DROP_MALFORMED, "option running past the header");
    }
    rig_free(r);
}
END_TEST

/* RFC 1122 3.2.1.3 (MUST: "silently discard an incoming datagram containing an IP source
 * address that is invalid"), RFC 1812 5.3.7: nothing from a broadcast (limited or this
 * subnet's), multicast, 0/8, loopback, class E or our own address is processed or answered,
 * not even with a RST; a datagram for another host (or a broadcast/multicast group) is not
 * ours (RFC 9293 3.10.7.1 via Linux tcp_v4_rcv). */
START_TEST(martian_sources_dropped_rfc1122_3_2_1_3)
{
    struct rig *r = rig_new(0);
    rig_connect(r, 5557, NULL);
    uint8_t b[PKTMAX];
    size_t n;
    static const uint32_t bad_src[] = {
        0xffffffffu,
        RT_IP(224, 0, 0, 1),
        RT_IP(239, 255, 255, 250),
        0,
        RT_IP(0, 1, 2, 3),
        RT_IP(127, 0, 0, 1),
        RT_IP(127, 9, 9, 9),
        RT_IP(240, 0, 0, 1),
        S_ADDR,
        (S_ADDR & 0xffffff00u) | 0xffu, /* the /24's directed broadcast */
    };
    for (size_t i = 0; i < sizeof bad_src / sizeof bad_src[0]; i++) {
        n = base_pkt(r, b);
        set32(b + 12, bad_src[i]);
        fix_all(b, n);
        expect_drop(r, b, n, DROP_MARTIAN, "martian source");
        /* Also to a closed port, where a good source would earn a RST. */
        n = base_pkt(r, b);
        set16(b + 22, 81);
        set32(b + 12, bad_src[i]);
        fix_all(b, n);
        expect_drop(r, b, n, DROP_MARTIAN, "martian source, closed port");
    }
    n = base_pkt(r, b);
    set32(b + 16, 0xffffffffu);
    fix_all(b, n);
    expect_drop(r, b, n, DROP_NOT_OURS, "broadcast destination");
    n = base_pkt(r, b);
    set32(b + 16, RT_IP(224, 0, 0, 251));
    fix_all(b, n);
    expect_drop(r, b, n, DROP_NOT_OURS, "multicast destination");
    n = base_pkt(r, b);
    set32(b + 16, RT_IP(10, 0, 0, 9));
    fix_all(b, n);
    expect_drop(r, b, n, DROP_NOT_OURS, "another host's datagram");
    rig_free(r);
}
END_TEST

/* SYN+FIN and SYN+RST have no meaning in RFC 9293 (Linux and FreeBSD drop them): dropped at
 * input, counted in InBadFlags, never answered, whether for the listener, the live
 * connection or a closed port. */
START_TEST(syn_with_fin_or_rst_dropped_unanswered)
{
    struct rig *r = rig_new(0);
    rig_connect(r, 5558, NULL);
    uint8_t b[PKTMAX];
    static const uint8_t bad[] = {
        TCP_SYN | TCP_FIN,
        TCP_SYN | TCP_RST,
        TCP_SYN | TCP_FIN | TCP_ACK,
        TCP_SYN | TCP_RST | TCP_ACK,
        TCP_SYN | TCP_FIN | TCP_RST | TCP_PSH,
    };
    static const uint16_t ports[] = {S_PORT, 81};
    for (size_t i = 0; i < sizeof bad; i++) {
        size_t n = base_pkt(r, b);
        b[IPV4_HDR_LEN + 13] = bad[i];
        fix_all(b, n);
        expect_drop(r, b, n, DROP_BAD_FLAGS, "SYN with FIN/RST on the connection");
        for (size_t k = 0; k < 2; k++) { /* a new 4-tuple: the listener, a closed port */
            n = mkseg(b, PKTMAX, 6000, ports[k], 1000, 0, bad[i], NULL, NULL, 0);
            expect_drop(r, b, n, DROP_BAD_FLAGS, "SYN with FIN/RST, new 4-tuple");
        }
    }
    struct tcpfsm_stats s;
    tcpfsm_get_stats(r->st, &s);
    ck_assert_uint_eq(s.InBadFlags, 3 * sizeof bad);
    rig_free(r);
}
END_TEST

/* RFC 791 3.1: an IPv4 datagram is at most 65535 octets. A longer buffer is refused; link
 * padding after the IP total length (Ethernet pads to 60 bytes) is ignored, never delivered. */
START_TEST(oversized_and_padded)
{
    struct rig *r = rig_new(0);
    rig_connect(r, 5558, NULL);
    static uint8_t big[70000];
    size_t n = base_pkt(r, big);
    memset(big + n, 0xee, sizeof big - n);
    expect_drop(r, big, sizeof big, DROP_MALFORMED, "70000-byte buffer");
    n = base_pkt(r, big);
    expect_drop(r, big, 65536, DROP_MALFORMED, "65536-byte buffer");

    /* A full-size 65535-byte datagram is fine (it just does not fit the window here). */
    /* Padding: 30 bytes of 0xee after a valid segment: the 4 bytes are delivered, nothing else. */
    uint8_t b[PKTMAX], got[64];
    n = base_pkt(r, b);
    memcpy(b + n - 4, "PAD!", 4);
    fix_all(b, n);
    memset(b + n, 0xee, 30);
    r->nout = 0;
    ck_assert_int_eq(tcpfsm_input(r->st, b, n + 30), 0);
    r->pseq += 4;
    ck_assert_int_eq(tcpfsm_recv(r->st, r->fd, got, sizeof got), 4);
    ck_assert(memcmp(got, "PAD!", 4) == 0);
    live_check(r);
    rig_free(r);
}
END_TEST

/* --------------------------------------------------------------- no socket ---- */

static struct tcp_seg only_output(struct rig *r)
{
    ck_assert_int_eq(r->nout, 1);
    return out_seg(r, 0);
}

/* RFC 9293 3.10.7.1: CLOSED (no TCB): "If the ACK bit is off, sequence number zero is used,
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; if the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>",
 * SEG.LEN counting SYN and FIN; "an incoming segment containing a RST is discarded". */
START_TEST(no_socket_rst_rules)
{
    struct rig *r = rig_new(0);
    rig_connect(r, 5559, NULL);
    uint8_t b[PKTMAX];
    struct tcpfsm_stats a, z;
    static const uint8_t data[100];

    struct {
        uint8_t flags;
        uint32_t seq, ack;
        size_t len;
    } cases[] = {
        {TCP_SYN, 123456, 0, 0},       /* ack = seq + 1 */
        {TCP_SYN, 0xffffffffu, 0, 0},  /* wraps to 0 */
        {TCP_SYN | TCP_PSH, 7, 0, 10}, /* seq + 10 + 1 (SYN+FIN: dropped) */
        {TCP_PSH, 1000, 0, 100},       /* seq + 100 */
        {TCP_FIN, 0xfffffff0u, 0, 20}, /* wraps: seq + 21 */
        {0, 5, 0, 0},                  /* no flags at all: seq + 0 */
        {TCP_ACK, 1, 0xdeadbeefu, 0},  /* <SEQ=SEG.ACK> */
        {TCP_ACK | TCP_PSH, 99, 0x80000000u, 100},
        {TCP_SYN | TCP_ACK, 3, 424242, 0},
        {TCP_FIN | TCP_ACK, 3, 0, 0}, /* SEG.ACK 0 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tcpfsm_get_stats(r->st, &a);
        r->nout = 0;
        size_t n = mkseg(b, sizeof b, 4000, 81, cases[i].seq, cases[i].ack, cases[i].flags, NULL,
                         data, cases[i].len);
        ck_assert_int_eq(tcpfsm_input(r->st, b, n), -ENOENT);
        struct tcp_seg s = only_output(r);
        ck_assert_uint_eq(s.saddr, S_ADDR);
        ck_assert_uint_eq(s.daddr, P_ADDR);
        ck_assert_uint_eq(s.sport, 81);
        ck_assert_uint_eq(s.dport, 4000);
        ck_assert_uint_eq(s.len, 0);
        if (cases[i].flags & TCP_ACK) {
            ck_assert_uint_eq(s.flags, TCP_RST);
            ck_assert_uint_eq(s.seq, cases[i].ack);
        } else {
            uint32_t seglen = (uint32_t)cases[i].len + !!(cases[i].flags & TCP_SYN) +
                              !!(cases[i].flags & TCP_FIN);
            ck_assert_uint_eq(s.flags, TCP_RST | TCP_ACK);
            ck_assert_uint_eq(s.seq, 0);
            ck_assert_uint_eq(s.ack, (uint32_t)(cases[i].seq + seglen));
        }
        tcpfsm_get_stats(r->st, &z);
        ck_assert_uint_eq(z.InNoSocket, a.InNoSocket + 1);
        ck_assert_uint_eq(z.OutRsts, a.OutRsts + 1);
        ck_assert_uint_eq(z.InErrs, a.InErrs);
    }

    /* A RST for no socket gets nothing, with or without ACK, with or without data. */
    static const uint8_t rst_flags[] = {TCP_RST, TCP_RST | TCP_ACK, TCP_RST | TCP_PSH,
                                        TCP_RST | TCP_FIN | TCP_ACK};
    for (size_t i = 0; i < sizeof rst_flags; i++) {
        tcpfsm_get_stats(r->st, &a);
        r->nout = 0;
        size_t n = mkseg(b, sizeof b, 4001, 81, 77, 88, rst_flags[i], NULL, data, i * 10);
        ck_assert_int_eq(tcpfsm_input(r->st, b, n), -ENOENT);
        ck_assert_int_eq(r->nout, 0);
        tcpfsm_get_stats(r->st, &z);
        ck_assert_uint_eq(z.OutRsts, a.OutRsts);
        ck_assert_uint_eq(z.OutSegs, a.OutSegs);
    }

    /* The 4-tuple differs from the live connection only in the peer port: still no socket. */
    r->nout = 0;
    size_t n = mkseg(b, sizeof b, (uint16_t)(r->pport + 1), S_PORT, r->pseq, r->pack, TCP_ACK, NULL,
                     data, 10);
    int ret = tcpfsm_input(r->st, b, n); /* reaches the listener: RFC 9293 3.10.7.2 second */
    ck_assert(ret == 0 || ret == -ENOENT);
    struct tcp_seg s = only_output(r);
    ck_assert_uint_eq(s.flags, TCP_RST);
    ck_assert_uint_eq(s.seq, r->pack);
    live_check(r);
    rig_free(r);
}
END_TEST

/* RFC 2018 / RFC 6675: a reordered old ACK (below SND.UNA) carrying a SACK block must not
 * leave a scoreboard entry below SND.UNA; the following fast retransmit must resend exactly
 * the segment at SND.UNA. (Regression: the block used to be clipped to the old SEG.ACK only,
 * and tcp_resend_una then computed a negative length and copied ~4 GB.) */
START_TEST(old_ack_with_stale_sack_block)
{
    struct rig *r = rig_new(0);
    struct tcp_opts o;
    memset(&o, 0, sizeof o);
    o.has_mss = 1;
    o.mss = 1000;
    o.sack_ok = 1;
    rig_connect(r, 5560, &o);
    struct tcb *t = r->st->fds[r->fd];
    ck_assert(t->flags & TF_SACK);
    static uint8_t data[8000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 13);
    r->nout = 0;
    ck_assert_int_eq(tcpfsm_send(r->st, r->fd, data, sizeof data), (long)sizeof data);
    ck_assert_int_ge(r->nout, 5); /* initial window: several 1000-byte segments */
    uint32_t base = r->pack;
    uint8_t b[PKTMAX];
    size_t n;
    /* ACK the first 2000 bytes. */
    n = mkseg(b, sizeof b, r->pport, S_PORT, r->pseq, base + 2000, TCP_ACK, NULL, NULL, 0);
    ck_assert_int_eq(tcpfsm_input(r->st, b, n), 0);
    ck_assert_uint_eq(t->snd_una, base + 2000);
    /* An old, reordered ACK (1000) whose SACK block [500, 1500) starts below its own ACK
     * (RFC 2883 D-SACK style) and lies wholly below the current SND.UNA. */
    struct tcp_opts so;
    memset(&so, 0, sizeof so);
    so.nsack = 1;
    so.sack[0].start = base + 500;
    so.sack[0].end = base + 1500;
    n = mkseg(b, sizeof b, r->pport, S_PORT, r->pseq, base + 1000, TCP_ACK, &so, NULL, 0);
    ck_assert_int_eq(tcpfsm_input(r->st, b, n), 0);
    for (int k = 0; k < t->buf->nsacked; k++)
        ck_assert(!seq_lt(t->buf->sacked[k].start, t->snd_una));
    /* Three duplicate ACKs of 2000 with a SACK of [4000, 5000): fast retransmit. */
    memset(&so, 0, sizeof so);
    so.nsack = 1;
    so.sack[0].start = base + 4000;
    so.sack[0].end = base + 5000;
    r->nout = 0;
    for (int k = 0; k < 3; k++) {
        n = mkseg(b, sizeof b, r->pport, S_PORT, r->pseq, base + 2000, TCP_ACK, &so, NULL, 0);
        ck_assert_int_eq(tcpfsm_input(r->st, b, n), 0);
    }
    bool resent = false;
    for (int i = 0; i < r->nout; i++) {
        struct tcp_seg s = out_seg(r, i);
        ck_assert_uint_le(s.len, 1000);
        if (s.seq == base + 2000 && s.len > 0) {
            resent = true;
            ck_assert(memcmp(s.data, data + 2000, s.len) == 0);
        }
    }
    ck_assert(resent);
    rig_free(r);
}
END_TEST

/* ------------------------------------------------------------------ garbage ---- */

/* Templates the mutations start from: segments a stack can meet, with and without options. */
static size_t template_pkt(struct rig *r, uint64_t *rng, uint8_t *b)
{
    static const uint8_t payload[1200];
    struct tcp_opts o;
    memset(&o, 0, sizeof o);
    unsigned k = (unsigned)rt_rand_below(rng, 8);
    if (rt_rand_below(rng, 2)) {
        o.has_ts = 1;
        o.tsval = (uint32_t)rt_rand(rng);
        o.tsecr = (uint32_t)rt_rand(rng);
    }
    if (rt_rand_below(rng, 3) == 0) {
        o.nsack = (uint8_t)(1 + rt_rand_below(rng, 3));
        for (int i = 0; i < o.nsack; i++) {
            o.sack[i].start = r->pack + (uint32_t)rt_rand_below(rng, 3000) - 1000;
            o.sack[i].end = o.sack[i].start + (uint32_t)rt_rand_below(rng, 3000);
        }
    }
    size_t len =
        rt_rand_below(rng, 4) ? rt_rand_below(rng, 100) : rt_rand_below(rng, sizeof payload);
    uint32_t jitter = (uint32_t)rt_rand_below(rng, 5) == 0
                          ? (uint32_t)rt_rand(rng)
                          : (uint32_t)rt_rand_below(rng, 200) - 100;
    switch (k) {
    case 0:
    case 1:
    case 2: /* the live connection: data, ACKs, FIN, RST, SYN */
    {
        static const uint8_t fl[] = {TCP_ACK, TCP_ACK | TCP_PSH, TCP_ACK | TCP_FIN, TCP_RST,
                                     TCP_SYN, TCP_RST | TCP_ACK, TCP_SYN | TCP_ACK, 0};
        uint8_t f = fl[rt_rand_below(rng, sizeof fl)];
        return mkseg(b, PKTMAX, r->pport, S_PORT, r->pseq + (k == 2 ? jitter : 0),
                     r->pack + (k == 1 ? jitter : 0), f, &o, payload, len);
    }
    case 3:
    case 4: /* the listener: SYNs with options, stray ACKs */
        o.has_mss = 1;
        o.mss = (uint16_t)rt_rand(rng);
        o.has_wscale = 1;
        o.wscale = (uint8_t)rt_rand_below(rng, 20);
        o.sack_ok = 1;
        return mkseg(b, PKTMAX, (uint16_t)(1024 + rt_rand_below(rng, 200)), S_PORT,
                     (uint32_t)rt_rand(rng), (uint32_t)rt_rand(rng), k == 3 ? TCP_SYN : TCP_ACK, &o,
                     payload, k == 3 ? 0 : len);
    case 5: /* the listener's children, whatever state they reached */
        return mkseg(b, PKTMAX, (uint16_t)(1024 + rt_rand_below(rng, 200)), S_PORT,
                     (uint32_t)rt_rand(rng), (uint32_t)rt_rand(rng), (uint8_t)rt_rand(rng), &o,
                     payload, len);
    default: /* closed ports */
        return mkseg(b, PKTMAX, (uint16_t)rt_rand(rng), (uint16_t)rt_rand(rng),
                     (uint32_t)rt_rand(rng), (uint32_t)rt_rand(rng), (uint8_t)rt_rand(rng), &o,
                     payload, len);
    }
}

/* RFC 9293 3.1 MUST-64 ("be prepared to handle an illegal option length without crashing")
 * and the robustness principle in general: 10k mutated segments, no crash (ASan/UBSan under
 * `make SAN=1`), no malformed output, and the stack still accepts a new connection. */
START_TEST(random_garbage_no_crash)
{
    struct rig *r = rig_new(0);
    rig_connect(r, 5561, NULL);
    uint64_t rng = 0xbadc0ffee0ddf00dULL;
    static uint8_t b[PKTMAX + 64];
    tcpfsm_time_t now = 0;
    int accepted = 0;
    for (int it = 0; it < 10000; it++) {
        size_t n = template_pkt(r, &rng, b);
        unsigned how = (unsigned)rt_rand_below(&rng, 6);
        size_t nflip = 1 + rt_rand_below(&rng, 8);
        switch (how) {
        case 0: /* random bit flips anywhere, checksums left wrong */
            for (size_t i = 0; i < nflip; i++)
                b[rt_rand_below(&rng, n)] ^= (uint8_t)(1u << rt_rand_below(&rng, 8));
            break;
        case 1: /* random bytes in the TCP header and options, checksums fixed */
        case 2:
            for (size_t i = 0; i < nflip; i++)
                b[20 + rt_rand_below(&rng, n - 20 < 60 ? n - 20 : 60)] = (uint8_t)rt_rand(&rng);
            fix_all(b, n);
            break;
        case 3: /* truncated or extended, lengths and checksums made consistent */
        {
            size_t m = rt_rand_below(&rng, PKTMAX);
            if (m > n) rt_fill_random(&rng, b + n, m - n);
            n = m;
            if (n >= 20) {
                set16(b + 2, (uint16_t)n);
                b[0] = 0x45;
                if (n >= 40)
                    fix_all(b, n);
                else
                    rt_fix_ip_csum(b);
            }
            break;
        }
        case 4: /* random IP header fields (checksum fixed) */
            for (size_t i = 0; i < nflip; i++)
                b[rt_rand_below(&rng, 20)] = (uint8_t)rt_rand(&rng);
            if ((b[0] & 15) >= 5 && (size_t)(b[0] & 15) * 4 <= n) rt_fix_ip_csum(b);
            break;
        default: /* pure noise */
            n = rt_rand_below(&rng, 200);
            rt_fill_random(&rng, b, n);
            break;
        }
        (void)tcpfsm_input(r->st, b, n);
        r->nout = 0;
        if (rt_rand_below(&rng, 50) == 0) { /* let timers fire now and then */
            now += rt_rand_below(&rng, 3000000);
            tcpfsm_advance(r->st, now);
            r->nout = 0;
        }
        if (rt_rand_below(&rng, 100) == 0) { /* the application drains the listener */
            int fd;
            while ((fd = tcpfsm_accept(r->st, r->lfd, NULL, NULL)) >= 0) {
                accepted++;
                uint8_t c[256];
                (void)tcpfsm_recv(r->st, fd, c, sizeof c);
                (void)tcpfsm_send(r->st, fd, "x", 1);
                ck_assert_int_eq(
                    rt_rand_below(&rng, 2) ? tcpfsm_close(r->st, fd) : tcpfsm_abort(r->st, fd), 0);
            }
            r->nout = 0;
        }
        /* The live descriptor is always usable (it may have been reset by a lucky RST). */
        rt_require(tcpfsm_poll(r->st, r->fd) >= 0);
        uint8_t c[2048];
        (void)tcpfsm_recv(r->st, r->fd, c, sizeof c);
    }
    struct tcpfsm_stats s;
    tcpfsm_get_stats(r->st, &s);
    /* every datagram is counted at most once: as a TCP segment, an ICMP message or another
     * protocol's (one of another protocol not for us, or from a martian, is counted nowhere
     * but InMartians) */
    ck_assert_uint_le(s.InSegs + s.IcmpInMsgs + s.IpInUnknownProtos, 10000 + 2);
    ck_assert_uint_gt(s.InSegs, 9000);
    ck_assert_uint_gt(s.InMalformed, 0);
    ck_assert_uint_gt(s.InCsumErrors, 0);
    printf("random_garbage_no_crash: %llu malformed, %llu checksum errors, %llu no-socket, "
           "%d accepted, %llu packets sent\n",
           (unsigned long long)s.InMalformed, (unsigned long long)s.InCsumErrors,
           (unsigned long long)s.InNoSocket, accepted, (unsigned long long)r->outs_total);
    fflush(stdout);

    /* The stack still works: drain the accept queue, then a fresh handshake on a new port. */
    int fd;
    while ((fd = tcpfsm_accept(r->st, r->lfd, NULL, NULL)) >= 0)
        tcpfsm_abort(r->st, fd);
    tcpfsm_close(r->st, r->fd);
    rig_connect(r, 60001, NULL);
    live_check(r);
    rig_free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_badpackets");
    TCase *tc = tcase_create("badpackets");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bad_ip_headers_dropped);
    tcase_add_test(tc, bad_tcp_headers_dropped);
    tcase_add_test(tc, martian_sources_dropped_rfc1122_3_2_1_3);
    tcase_add_test(tc, syn_with_fin_or_rst_dropped_unanswered);
    tcase_add_test(tc, oversized_and_padded);
    tcase_add_test(tc, no_socket_rst_rules);
    tcase_add_test(tc, old_ack_with_stale_sack_block);
    tcase_add_test(tc, random_garbage_no_crash);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
