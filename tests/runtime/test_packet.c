/*
 * test_packet.c — IPv4/TCP parsing, validation order, options and building.
 *
 * Malformed packets are crafted from a valid one, re-fixing checksums where the test wants
 * a later check to be the one that fails. Every parse of a crafted packet runs on a heap copy
 * of exactly `len` bytes, so AddressSanitizer (make SAN=1) catches any read past the end.
 */
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "packet.h"
#include "rt_test.h"

#define A_ADDR RT_IP(10, 0, 0, 1)
#define B_ADDR RT_IP(10, 0, 0, 2)

/* Parse a copy of exactly len bytes (never a larger buffer: overreads must be visible). */
static enum pkt_status parse_exact(const void *pkt, size_t len, struct tcp_seg *seg)
{
    void *copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(copy);
    if (len) memcpy(copy, pkt, len);
    struct tcp_seg tmp;
    enum pkt_status st = pkt_parse(copy, len, seg ? seg : &tmp);
    free(copy);
    return st;
}

/* A valid data segment A:1234 -> B:80 with 10 payload bytes: 50 bytes total. */
static size_t base_pkt(uint8_t *buf)
{
    return rt_build_tcp(buf, 1500, A_ADDR, 1234, B_ADDR, 80, 1000, 2000, TCP_ACK | TCP_PSH, 4096,
                        "0123456789", 10);
}

static void set16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

START_TEST(valid_segment)
{
    uint8_t b[1500];
    size_t n = base_pkt(b);
    ck_assert_uint_eq(n, 50);
    struct tcp_seg s;
    ck_assert_int_eq(parse_exact(b, n, &s), PKT_OK);
    /* data points into the caller's buffer: parse the original to check that */
    ck_assert_int_eq(pkt_parse(b, n, &s), PKT_OK);
    ck_assert_uint_eq(s.saddr, A_ADDR);
    ck_assert_uint_eq(s.daddr, B_ADDR);
    ck_assert_uint_eq(s.sport, 1234);
    ck_assert_uint_eq(s.dport, 80);
    ck_assert_uint_eq(s.seq, 1000);
    ck_assert_uint_eq(s.ack, 2000);
    ck_assert_uint_eq(s.flags, TCP_ACK | TCP_PSH);
    ck_assert_uint_eq(s.wnd, 4096);
    ck_assert_uint_eq(s.ttl, 64);
    ck_assert_uint_eq(s.hdr_len, 20);
    ck_assert_uint_eq(s.len, 10);
    ck_assert_ptr_eq(s.data, b + 40);
    ck_assert_int_eq(memcmp(s.data, "0123456789", 10), 0);
    /* IP header: DF set, no fragment offset, TCP */
    ck_assert_uint_eq(b[6], 0x40);
    ck_assert_uint_eq(b[9], 6);
    /* Link padding after the IP total length is ignored. */
    memset(b + n, 0xee, 20);
    ck_assert_int_eq(parse_exact(b, n + 20, &s), PKT_OK);
    ck_assert_uint_eq(s.len, 10);
}
END_TEST

START_TEST(ip_short_and_zero_length)
{
    uint8_t b[1500];
    size_t n = base_pkt(b);
    (void)n;
    ck_assert_int_eq(pkt_parse(NULL, 0, &(struct tcp_seg){0}), PKT_ERR_IP_SHORT);
    for (size_t len = 0; len < 20; len++)
        ck_assert_int_eq(parse_exact(b, len, NULL), PKT_ERR_IP_SHORT);
}
END_TEST

START_TEST(ip_version)
{
    uint8_t b[1500];
    size_t n = base_pkt(b);
    b[0] = 0x65; /* IPv6 version nibble */
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_IP_VERSION);
    b[0] = 0x05;
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_IP_VERSION);
}
END_TEST

START_TEST(ip_hdrlen)
{
    uint8_t b[1500];
    size_t n = base_pkt(b);
    for (int ihl = 0; ihl < 5; ihl++) {
        b[0] = (uint8_t)(0x40 | ihl);
        ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_IP_HDRLEN);
    }
    b[0] = 0x4f; /* 60 bytes of header in a 50-byte packet */
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_IP_HDRLEN);
    b[0] = 0x46; /* 24 bytes, fits in 24..49 byte packet */
    ck_assert_int_eq(parse_exact(b, 23, NULL), PKT_ERR_IP_HDRLEN);
}
END_TEST

START_TEST(ip_len_lies)
{
    uint8_t b[1500];
    size_t n = base_pkt(b);
    /* Total length beyond the bytes we have: a truncated datagram. */
    ck_assert_int_eq(parse_exact(b, n - 1, NULL), PKT_ERR_IP_LEN);
    set16(b + 2, 1500);
    rt_fix_ip_csum(b);
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_IP_LEN);
    /* Total length below the header length. */
    set16(b + 2, 19);
    rt_fix_ip_csum(b);
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_IP_LEN);
    set16(b + 2, 0);
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_IP_LEN);
}
END_TEST

START_TEST(ip_csum)
{
    uint8_t b[1500];
    size_t n = base_pkt(b);
    b[8] = 63; /* TTL changed without fixing the checksum */
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_IP_CSUM);
    /* Order: a bad IP checksum is reported before "not TCP". */
    b[9] = 17;
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_IP_CSUM);
}
END_TEST

START_TEST(ip_frag)
{
    uint8_t b[1500];
    size_t n = base_pkt(b);
    set16(b + 6, 0x2000); /* MF */
    rt_fix_ip_csum(b);
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_IP_FRAG);
    set16(b + 6, 0x4000 | 185); /* DF with an offset: still a (bogus) fragment */
    rt_fix_ip_csum(b);
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_IP_FRAG);
    set16(b + 6, 0x0000); /* DF clear, not a fragment: fine */
    rt_fix_ip_csum(b);
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_OK);
}
END_TEST

START_TEST(not_tcp)
{
    uint8_t b[1500];
    size_t n = base_pkt(b);
    b[9] = 17;
    rt_fix_ip_csum(b);
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_NOT_TCP);
}
END_TEST

START_TEST(ip_options_skipped)
{
    /* IHL 6: a 4-byte IP option (NOP x3 + EOL) before the TCP header. */
    uint8_t b[1500], c[1500];
    size_t n = base_pkt(b);
    memcpy(c, b, 20);
    memset(c + 20, 1, 3);
    c[23] = 0;
    memcpy(c + 24, b + 20, n - 20);
    c[0] = 0x46;
    set16(c + 2, (uint16_t)(n + 4));
    rt_fix_ip_csum(c);
    struct tcp_seg s;
    ck_assert_int_eq(parse_exact(c, n + 4, &s), PKT_OK);
    ck_assert_uint_eq(s.len, 10);
    ck_assert_uint_eq(s.sport, 1234);
}
END_TEST

START_TEST(tcp_short)
{
    uint8_t b[1500];
    size_t n = base_pkt(b);
    (void)n;
    for (uint16_t tot = 20; tot < 40; tot++) {
        set16(b + 2, tot);
        rt_fix_ip_csum(b);
        ck_assert_int_eq(parse_exact(b, tot, NULL), PKT_ERR_TCP_SHORT);
    }
}
END_TEST

START_TEST(tcp_doff)
{
    uint8_t b[1500];
    size_t n = base_pkt(b);
    for (int doff = 0; doff < 5; doff++) {
        b[32] = (uint8_t)(doff << 4);
        rt_fix_tcp_csum(b, n - 20);
        ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_TCP_DOFF);
    }
    /* doff 8 = 32 bytes fits in the 30-byte segment? no: beyond the segment */
    b[32] = 8 << 4;
    rt_fix_tcp_csum(b, n - 20);
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_TCP_DOFF);
    b[32] = 15 << 4;
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_TCP_DOFF);
    /* doff 7 (28 bytes) fits: the first 8 payload bytes become options "01234567", which
     * parse as unknown kinds 0x30.. with lengths — here malformed, so TCP_OPT, not DOFF. */
    b[32] = 7 << 4;
    rt_fix_tcp_csum(b, n - 20);
    ck_assert_int_ne(parse_exact(b, n, NULL), PKT_ERR_TCP_DOFF);
}
END_TEST

START_TEST(tcp_csum)
{
    uint8_t b[1500];
    size_t n = base_pkt(b);
    b[n - 1] ^= 0x01;
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_TCP_CSUM);
    b[n - 1] ^= 0x01;
    /* the pseudo-header is covered: a different destination address breaks it */
    b[19] ^= 0x04;
    rt_fix_ip_csum(b);
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_ERR_TCP_CSUM);
}
END_TEST

/* RFC 1071's sum the slow way, 16 bits at a time with the carry folded in at once: the
 * reference for the parser's sums, which take its headers in 64-bit words at fixed offsets. */
static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 2) {
        acc += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0u);
        acc = (acc & 0xffffu) + (acc >> 16);
    }
    return acc;
}
static bool sum16_verifies(uint32_t acc)
{
    return acc == 0xffffu || acc == 0; /* one's complement: both zeros */
}
static void set_sum16(uint8_t *field, uint32_t acc_without_field)
{
    set16(field, (uint16_t)~acc_without_field);
}
/* The pseudo-header (RFC 9293 3.1) and the segment of a datagram with an IHL*4 header. */
static uint32_t tcp_sum16(const uint8_t *b, size_t ihl, size_t tot)
{
    const uint8_t ptl[4] = {0, IPPROTO_TCP_NUM, (uint8_t)((tot - ihl) >> 8), (uint8_t)(tot - ihl)};
    return sum16(sum16(sum16(0, b + 12, 8), ptl, 4), b + ihl, tot - ihl);
}

/* ip_parse and tcp_parse2 sum the usual headers (IP without options; TCP with the timestamps
 * alone) as 64-bit words at fixed offsets and every other layout word by word: over random
 * datagrams of each layout, with all-ones fields (carries at every step) and one octet
 * changed or none, their verdict is that of a plain 16-bit sum (RFC 1071, RFC 791 3.1, RFC
 * 9293 3.1). */
START_TEST(checksums_agree_with_a_16_bit_sum_for_every_header_layout)
{
    uint64_t seed = 18;
    size_t seen[PKT_STATUS_COUNT] = {0};
    for (int round = 0; round < 100000; round++) {
        struct tcp_seg s;
        uint8_t fill = rt_rand_below(&seed, 3) == 0 ? 0xff : 0;
        memset(&s, fill, sizeof s);
        if (!fill) rt_fill_random(&seed, &s, sizeof s);
        memset(&s.opt, 0, sizeof s.opt);
        uint8_t data[24];
        s.len = (uint32_t)rt_rand_below(&seed, sizeof data + 1);
        if (fill)
            memset(data, fill, sizeof data);
        else
            rt_fill_random(&seed, data, sizeof data);
        s.data = data;
        s.opt.tsval = s.opt.tsecr = fill ? 0xffffffffu : (uint32_t)rt_rand_below(&seed, 1u << 31);
        switch (rt_rand_below(&seed, 3)) {
        case 0: /* NOP, NOP, timestamps: 32 octets of TCP header */
            s.opt.has_ts = 1;
            break;
        case 1: /* a SYN's MSS, SACK-permitted, timestamps, window scale: 40 */
            s.opt.has_ts = s.opt.has_mss = s.opt.sack_ok = s.opt.has_wscale = 1;
            s.opt.mss = 1460;
            s.opt.wscale = 7;
            break;
        default: /* none: 20 */
            break;
        }
        uint8_t b[128];
        size_t tot = pkt_build(b, sizeof b, &s, (uint16_t)rt_rand_below(&seed, 65536));
        ck_assert_uint_gt(tot, 0);
        size_t ihl = IPV4_HDR_LEN;
        if (rt_rand_below(&seed, 4) == 0) { /* four octets of IP options: IHL 6 */
            memmove(b + 24, b + 20, tot - 20);
            rt_fill_random(&seed, b + 20, 4);
            ihl = 24;
            tot += 4;
            b[0] = 0x46;
            set16(b + 2, (uint16_t)tot);
            set16(b + 10, 0);
            set_sum16(b + 10, sum16(0, b, ihl));
        }
        set16(b + ihl + 16, 0);
        set_sum16(b + ihl + 16, tcp_sum16(b, ihl, tot));
        if (rt_rand_below(&seed, 2)) { /* one octet changed, not one checked before the sums */
            size_t at;
            do
                at = (size_t)rt_rand_below(&seed, tot);
            while (at == 0 || at == 2 || at == 3 || at == ihl + 12);
            b[at] = (uint8_t)rt_rand_below(&seed, 256);
        }
        enum pkt_status want = !sum16_verifies(sum16(0, b, ihl))         ? PKT_ERR_IP_CSUM
                               : !sum16_verifies(tcp_sum16(b, ihl, tot)) ? PKT_ERR_TCP_CSUM
                                                                         : PKT_OK;
        enum pkt_status got = parse_exact(b, tot, NULL);
        rt_require(got == want);
        seen[got]++;
    }
    rt_require(seen[PKT_OK] > 0 && seen[PKT_ERR_IP_CSUM] > 0 && seen[PKT_ERR_TCP_CSUM] > 0);
}
END_TEST

/* A segment with a raw option area (len multiple of 4), checksum fixed. */
static size_t with_opts(uint8_t *b, const uint8_t *opt, size_t olen)
{
    struct tcp_seg s;
    memset(&s, 0, sizeof s);
    s.saddr = A_ADDR;
    s.daddr = B_ADDR;
    s.sport = 1;
    s.dport = 2;
    s.flags = TCP_SYN;
    size_t n = pkt_build(b, 1500, &s, 0);
    memmove(b + 40 + olen, b + 40, n - 40);
    memcpy(b + 40, opt, olen);
    b[32] = (uint8_t)(((20 + olen) / 4) << 4);
    set16(b + 2, (uint16_t)(n + olen));
    rt_fix_ip_csum(b);
    rt_fix_tcp_csum(b, n + olen - 20);
    return n + olen;
}

START_TEST(tcp_opt_malformed)
{
    static const struct {
        uint8_t o[8];
        const char *why;
    } bad[] = {
        {{1, 1, 1, 1, 2, 8, 0, 0}, "MSS length runs past the header"},
        {{1, 1, 1, 1, 1, 1, 5, 0}, "length 0"},
        {{1, 1, 1, 1, 1, 1, 8, 1}, "length 1"},
        {{1, 1, 1, 1, 1, 1, 1, 2}, "kind in the last byte, no length"},
        {{8, 10, 0, 0, 0, 0, 0, 0}, "timestamps cut short"},
        {{30, 200, 0, 0, 0, 0, 0, 0}, "unknown kind, huge length"},
    };
    uint8_t b[1500];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = with_opts(b, bad[i].o, 8);
        ck_assert_msg(parse_exact(b, n, NULL) == PKT_ERR_TCP_OPT, "%s", bad[i].why);
        struct tcp_opts o;
        ck_assert_int_eq(tcp_opts_parse(bad[i].o, 8, &o), -1);
    }
}
END_TEST

START_TEST(tcp_opt_nop_eol_unknown)
{
    struct tcp_opts o;
    /* NOP, MSS, EOL, then garbage that must not be read as options (RFC 9293 3.1). */
    const uint8_t a[12] = {1, 2, 4, 0x05, 0xb4, 0, 2, 0, 0xff, 0xff, 0xff, 0xff};
    ck_assert_int_eq(tcp_opts_parse(a, sizeof a, &o), 0);
    ck_assert(o.has_mss && o.mss == 1460 && !o.has_ts && !o.sack_ok);
    const uint8_t eol[4] = {0, 2, 4, 1};
    ck_assert_int_eq(tcp_opts_parse(eol, 4, &o), 0);
    ck_assert(!o.has_mss);
    /* Unknown kind 30 of length 4 is skipped; the window scale after it is read. */
    const uint8_t unk[8] = {30, 4, 9, 9, 1, 3, 3, 7};
    ck_assert_int_eq(tcp_opts_parse(unk, 8, &o), 0);
    ck_assert(o.has_wscale && o.wscale == 7);
    /* A known option with the wrong length is ignored, not fatal (as Linux does). */
    const uint8_t wrong[8] = {2, 3, 5, 1, 1, 1, 1, 1};
    ck_assert_int_eq(tcp_opts_parse(wrong, 8, &o), 0);
    ck_assert(!o.has_mss);
    /* RFC 7323 2.3: a shift count above 14 is used as 14. */
    const uint8_t big[4] = {1, 3, 3, 15};
    ck_assert_int_eq(tcp_opts_parse(big, 4, &o), 0);
    ck_assert_uint_eq(o.wscale, 14);
    /* Zero-length option area. */
    ck_assert_int_eq(tcp_opts_parse(a, 0, &o), 0);
    /* Through pkt_parse: a full 40-byte option area of NOPs is fine. */
    uint8_t nops[40], b[1500];
    memset(nops, 1, sizeof nops);
    size_t n = with_opts(b, nops, sizeof nops);
    struct tcp_seg s;
    ck_assert_int_eq(parse_exact(b, n, &s), PKT_OK);
    ck_assert_uint_eq(s.hdr_len, 60);
}
END_TEST

/* tcp_opts_parse reads the layouts nearly every segment has at fixed offsets and walks the
 * rest: over option areas near those layouts (each byte of them perturbed, cut short, run
 * long) and random ones, malformed too, it gives what the walk gives, result and options. */
START_TEST(option_fast_path_agrees_with_the_walk)
{
    static const uint8_t layouts[][20] = {
        {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8},                            /* NOP, NOP, TS */
        {2, 4, 5, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7}, /* a SYN's */
        {1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2},                            /* NOP, NOP, SACK */
    };
    uint64_t seed = 99;
    for (int round = 0; round < 200000; round++) {
        uint8_t area[TCP_MAX_OPT_LEN];
        size_t len;
        if (round % 4 == 3) { /* random bytes, any length */
            len = (size_t)rt_rand_below(&seed, TCP_MAX_OPT_LEN + 1);
            rt_fill_random(&seed, area, len);
        } else {
            size_t k = (size_t)rt_rand_below(&seed, sizeof layouts / sizeof layouts[0]);
            memcpy(area, layouts[k], sizeof layouts[k]);
            rt_fill_random(&seed, area + (k == 1 ? 8 : 4), 8); /* timestamps, SACK edges */
            len = k == 1 ? 20 : 12;
            if (k == 1) area[19] = (uint8_t)rt_rand_below(&seed, 20); /* shifts above 14 too */
            if (rt_rand_below(&seed, 2))                              /* one byte changed */
                area[rt_rand_below(&seed, len)] = (uint8_t)rt_rand_below(&seed, 12);
            if (rt_rand_below(&seed, 4) == 0) { /* cut short or run long */
                size_t to = (size_t)rt_rand_below(&seed, TCP_MAX_OPT_LEN + 1);
                if (to > len) rt_fill_random(&seed, area + len, to - len);
                len = to;
            }
        }
        /* exactly len bytes on the heap: a read past them shows under make SAN=1 */
        uint8_t *p = malloc(len ? len : 1);
        ck_assert_ptr_nonnull(p);
        memcpy(p, area, len);
        struct tcp_opts fast, walk;
        memset(&fast, 0xa5, sizeof fast);
        memset(&walk, 0x5a, sizeof walk);
        int rf = tcp_opts_parse(p, len, &fast), rw = tcp_opts_walk(p, len, &walk);
        free(p);
        rt_require(rf == rw);
        if (rf == 0) rt_require(memcmp(&fast, &walk, sizeof fast) == 0);
    }
}
END_TEST

/* RFC 1122 3.2.1.3, RFC 1812 5.3.7: which source addresses a host never accepts. */
START_TEST(martian_source_addresses_rfc1122_3_2_1_3)
{
    const uint32_t local = RT_IP(10, 77, 0, 2);
    static const struct {
        uint32_t a;
        enum ip_addr_class c;
    } cls[] = {
        {RT_IP(0, 0, 0, 0), IP_ADDR_THIS_NET},
        {RT_IP(0, 1, 2, 3), IP_ADDR_THIS_NET},
        {RT_IP(127, 0, 0, 1), IP_ADDR_LOOPBACK},
        {RT_IP(224, 0, 0, 1), IP_ADDR_MULTICAST},
        {RT_IP(239, 255, 255, 250), IP_ADDR_MULTICAST},
        {RT_IP(240, 0, 0, 1), IP_ADDR_RESERVED},
        {RT_IP(255, 255, 255, 255), IP_ADDR_RESERVED},
        {RT_IP(10, 77, 0, 1), IP_ADDR_UNICAST},
        {RT_IP(1, 0, 0, 0), IP_ADDR_UNICAST},
        {RT_IP(223, 255, 255, 255), IP_ADDR_UNICAST},
    };
    for (size_t i = 0; i < sizeof cls / sizeof cls[0]; i++) {
        ck_assert_int_eq(ip_addr_class(cls[i].a), cls[i].c);
        ck_assert_int_eq(ip_martian_source(cls[i].a, local, 24), cls[i].c != IP_ADDR_UNICAST);
    }
    ck_assert(ip_martian_source(local, local, 24));                  /* our own: the land attack */
    ck_assert(ip_martian_source(RT_IP(10, 77, 0, 255), local, 24));  /* the subnet's broadcast */
    ck_assert(!ip_martian_source(RT_IP(10, 77, 0, 255), local, 16)); /* a host of a /16 */
    ck_assert(ip_martian_source(RT_IP(10, 77, 255, 255), local, 16));
    ck_assert(!ip_martian_source(RT_IP(10, 77, 0, 255), local, 0));  /* prefix unknown */
    ck_assert(!ip_martian_source(RT_IP(10, 77, 0, 3), local, 31));   /* /31: none (RFC 3021) */
    ck_assert(!ip_martian_source(RT_IP(10, 78, 0, 255), local, 24)); /* another subnet's .255 */
}
END_TEST

START_TEST(every_truncation_is_rejected)
{
    /* Each prefix of a valid packet with options and data is rejected, never overread. */
    struct tcp_seg s;
    memset(&s, 0, sizeof s);
    s.saddr = A_ADDR;
    s.daddr = B_ADDR;
    s.flags = TCP_ACK;
    s.opt.has_ts = 1;
    s.opt.nsack = 2;
    s.data = (const uint8_t *)"payload!";
    s.len = 8;
    uint8_t b[1500];
    size_t n = pkt_build(b, sizeof b, &s, 9);
    ck_assert_uint_gt(n, 0);
    ck_assert_int_eq(parse_exact(b, n, NULL), PKT_OK);
    for (size_t len = 0; len < n; len++)
        ck_assert_int_ne(parse_exact(b, len, NULL), PKT_OK);
}
END_TEST

START_TEST(random_garbage_never_crashes)
{
    uint64_t seed = 99;
    uint8_t b[200];
    size_t counts[PKT_STATUS_COUNT] = {0};
    for (int i = 0; i < 200000; i++) {
        size_t len = (size_t)rt_rand_below(&seed, sizeof b + 1);
        rt_fill_random(&seed, b, len);
        if (len >= 20 && (i & 1)) { /* make half of them get past the first checks */
            b[0] = 0x45;
            set16(b + 2, (uint16_t)len);
            set16(b + 6, 0);
            b[9] = 6;
            rt_fix_ip_csum(b);
        }
        struct tcp_seg s;
        enum pkt_status st = pkt_parse(b, len, &s);
        rt_require((st) < (PKT_STATUS_COUNT));
        counts[st]++;
    }
    rt_require((counts[PKT_ERR_TCP_CSUM]) > (0));
}
END_TEST

START_TEST(options_round_trip_syn)
{
    struct tcp_seg s, p;
    memset(&s, 0, sizeof s);
    s.saddr = A_ADDR;
    s.daddr = B_ADDR;
    s.sport = 40000;
    s.dport = 80;
    s.seq = 0xfffffc18u;
    s.flags = TCP_SYN;
    s.wnd = 65535;
    s.opt.has_mss = 1;
    s.opt.mss = 1460;
    s.opt.sack_ok = 1;
    s.opt.has_ts = 1;
    s.opt.tsval = 0x01020304;
    s.opt.tsecr = 0;
    s.opt.has_wscale = 1;
    s.opt.wscale = 7;
    ck_assert_uint_eq(tcp_opts_len(&s.opt), 20);
    uint8_t b[1500];
    size_t n = pkt_build(b, sizeof b, &s, 77);
    ck_assert_uint_eq(n, 60);
    /* Layout as Linux sends it: MSS, SACK-permitted + TS, NOP + wscale. */
    static const uint8_t want[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2,
                                     3, 4, 0,    0,    0, 0, 1, 3,  3, 7};
    ck_assert_int_eq(memcmp(b + 40, want, 20), 0);
    ck_assert_uint_eq((unsigned)b[4] << 8 | b[5], 77); /* IP id */
    ck_assert_int_eq(parse_exact(b, n, &p), PKT_OK);
    ck_assert_uint_eq(p.hdr_len, 40);
    ck_assert(p.opt.has_mss && p.opt.mss == 1460);
    ck_assert(p.opt.sack_ok && p.opt.has_ts && p.opt.has_wscale);
    ck_assert_uint_eq(p.opt.tsval, 0x01020304);
    ck_assert_uint_eq(p.opt.wscale, 7);
    ck_assert_uint_eq(p.seq, 0xfffffc18u);
    ck_assert_uint_eq(p.len, 0);

    /* Each option alone. */
    struct tcp_opts o;
    memset(&o, 0, sizeof o);
    o.sack_ok = 1;
    ck_assert_uint_eq(tcp_opts_len(&o), 4);
    memset(&o, 0, sizeof o);
    o.has_wscale = 1;
    o.wscale = 20; /* RFC 7323 2.3: sent as 14 */
    s.opt = o;
    n = pkt_build(b, sizeof b, &s, 0);
    ck_assert_int_eq(parse_exact(b, n, &p), PKT_OK);
    ck_assert_uint_eq(p.opt.wscale, 14);
    ck_assert(!p.opt.has_mss && !p.opt.sack_ok && !p.opt.has_ts);
}
END_TEST

START_TEST(sack_blocks_trimmed)
{
    struct tcp_seg s, p;
    uint8_t b[1500];
    memset(&s, 0, sizeof s);
    s.saddr = A_ADDR;
    s.daddr = B_ADDR;
    s.flags = TCP_ACK;
    for (int i = 0; i < TCP_MAX_SACK; i++) {
        s.opt.sack[i].start = 1000u * (unsigned)i + 0xfffff000u;
        s.opt.sack[i].end = 1000u * (unsigned)i + 0xfffff000u + 500;
    }
    /* Without timestamps: up to 4 blocks (RFC 2018 3). */
    for (uint8_t k = 1; k <= 4; k++) {
        s.opt.nsack = k;
        s.opt.has_ts = 0;
        ck_assert_uint_eq(tcp_opts_len(&s.opt), 4u + 8u * k);
        size_t n = pkt_build(b, sizeof b, &s, 0);
        ck_assert_int_eq(parse_exact(b, n, &p), PKT_OK);
        ck_assert_uint_eq(p.opt.nsack, k);
        for (int i = 0; i < k; i++) {
            ck_assert_uint_eq(p.opt.sack[i].start, s.opt.sack[i].start);
            ck_assert_uint_eq(p.opt.sack[i].end, s.opt.sack[i].end);
        }
        /* With timestamps: at most 3 fit in 40 bytes; the first (most recent) are kept. */
        s.opt.has_ts = 1;
        s.opt.tsval = 5;
        s.opt.tsecr = 6;
        uint8_t want = k > 3 ? 3 : k;
        ck_assert_uint_eq(tcp_opts_len(&s.opt), 12u + 4u + 8u * want);
        n = pkt_build(b, sizeof b, &s, 0);
        ck_assert_int_eq(parse_exact(b, n, &p), PKT_OK);
        ck_assert_uint_eq(p.opt.nsack, want);
        ck_assert(p.opt.has_ts && p.opt.tsval == 5 && p.opt.tsecr == 6);
        ck_assert_uint_eq(p.opt.sack[0].start, s.opt.sack[0].start);
        ck_assert_uint_le(p.hdr_len, 60);
    }
    /* MSS + TS + wscale leave room for 2 blocks only. */
    s.opt.nsack = 4;
    s.opt.has_mss = 1;
    s.opt.mss = 536;
    s.opt.has_wscale = 1;
    ck_assert_uint_eq(tcp_opts_len(&s.opt), 40);
    size_t n = pkt_build(b, sizeof b, &s, 0);
    ck_assert_int_eq(parse_exact(b, n, &p), PKT_OK);
    ck_assert_uint_eq(p.opt.nsack, 2);
    /* nsack above TCP_MAX_SACK is clamped, not overread. */
    s.opt.nsack = 200;
    ck_assert_uint_le(tcp_opts_len(&s.opt), 40);
    /* A SACK option with 5 blocks (42 bytes) cannot be in a header; 4 are read from 36. */
    uint8_t raw[40] = {1, 1, 5, 34};
    struct tcp_opts o;
    ck_assert_int_eq(tcp_opts_parse(raw, 36, &o), 0);
    ck_assert_uint_eq(o.nsack, 4);
}
END_TEST

START_TEST(build_parse_round_trip)
{
    uint64_t seed = 2024;
    static uint8_t payload[65535], b[65536];
    rt_fill_random(&seed, payload, sizeof payload);
    for (int i = 0; i < 3000; i++) {
        struct tcp_seg s, p;
        memset(&s, 0, sizeof s);
        s.saddr = RT_IP(10, 0, 0, 1 + (unsigned)rt_rand_below(&seed, 200));
        s.daddr = RT_IP(192, 168, 1, 1 + (unsigned)rt_rand_below(&seed, 200));
        s.sport = (uint16_t)rt_rand(&seed);
        s.dport = (uint16_t)rt_rand(&seed);
        s.seq = (uint32_t)rt_rand(&seed);
        s.ack = (uint32_t)rt_rand(&seed);
        s.flags = (uint8_t)rt_rand(&seed);
        s.wnd = (uint16_t)rt_rand(&seed);
        s.urp = (uint16_t)rt_rand(&seed);
        s.opt.has_ts = rt_rand(&seed) & 1;
        s.opt.tsval = (uint32_t)rt_rand(&seed);
        s.opt.tsecr = (uint32_t)rt_rand(&seed);
        s.opt.nsack = (uint8_t)rt_rand_below(&seed, 5);
        for (int k = 0; k < 4; k++) {
            s.opt.sack[k].start = (uint32_t)rt_rand(&seed);
            s.opt.sack[k].end = (uint32_t)rt_rand(&seed);
        }
        size_t maxlen = 65535 - 40 - tcp_opts_len(&s.opt);
        s.len = (uint32_t)(i < 10 ? maxlen - (size_t)i : rt_rand_below(&seed, 3000));
        s.data = payload + rt_rand_below(&seed, 8);
        size_t n = pkt_build(b, sizeof b, &s, (uint16_t)i);
        rt_require((n) == (40 + tcp_opts_len(&s.opt) + s.len));
        rt_require((pkt_parse(b, n, &p)) == (PKT_OK));
        rt_require((p.saddr) == (s.saddr));
        rt_require((p.daddr) == (s.daddr));
        rt_require((p.sport) == (s.sport));
        rt_require((p.dport) == (s.dport));
        rt_require((p.seq) == (s.seq));
        rt_require((p.ack) == (s.ack));
        rt_require((p.flags) == (s.flags));
        rt_require((p.wnd) == (s.wnd));
        rt_require((p.urp) == (s.urp));
        rt_require((p.len) == (s.len));
        rt_require((memcmp(p.data, s.data, s.len)) == (0));
        rt_require((p.opt.has_ts) == (s.opt.has_ts));
        if (s.opt.has_ts) rt_require(p.opt.tsval == s.opt.tsval && p.opt.tsecr == s.opt.tsecr);
        rt_require((p.opt.nsack) <= (s.opt.nsack));
        for (int k = 0; k < p.opt.nsack; k++)
            rt_require(p.opt.sack[k].start == s.opt.sack[k].start &&
                       p.opt.sack[k].end == s.opt.sack[k].end);
    }
}
END_TEST

/* TCP_OPTLEN_TS (what the sender budgets for the timestamps on every segment) is what
 * tcp_opts_len says, and what pkt_build lays out, for the timestamps alone. */
START_TEST(timestamps_alone_take_tcp_optlen_ts)
{
    const struct tcp_opts ts = {.has_ts = 1, .tsval = 7, .tsecr = 9}, none = {0};
    ck_assert_uint_eq(tcp_opts_len(&ts), TCP_OPTLEN_TS);
    ck_assert_uint_eq(tcp_opts_len(&none), 0);
    struct tcp_seg s = {
        .saddr = A_ADDR, .daddr = B_ADDR, .sport = 1, .dport = 2, .flags = TCP_ACK, .opt = ts};
    uint8_t b[128];
    ck_assert_uint_eq(pkt_build(b, sizeof b, &s, 1), IPV4_HDR_LEN + TCP_HDR_LEN + TCP_OPTLEN_TS);
}
END_TEST

START_TEST(build_does_not_fit)
{
    struct tcp_seg s;
    uint8_t b[100];
    static uint8_t big[70000];
    memset(&s, 0, sizeof s);
    s.saddr = A_ADDR;
    s.daddr = B_ADDR;
    s.data = big;
    s.len = 61;
    ck_assert_uint_eq(pkt_build(b, sizeof b, &s, 0), 0); /* 101 > 100 */
    s.len = 60;
    ck_assert_uint_eq(pkt_build(b, sizeof b, &s, 0), 100);
    /* Oversized: more than an IPv4 datagram can carry, whatever the buffer. */
    static uint8_t huge[70100];
    s.len = 65535 - 40 + 1;
    ck_assert_uint_eq(pkt_build(huge, sizeof huge, &s, 0), 0);
    s.len = 65535 - 40;
    ck_assert_uint_eq(pkt_build(huge, sizeof huge, &s, 0), 65535);
    ck_assert_int_eq(pkt_parse(huge, sizeof huge, &s), PKT_OK);
}
END_TEST

START_TEST(status_names)
{
    for (int i = 0; i < PKT_STATUS_COUNT; i++) {
        ck_assert_ptr_nonnull(pkt_status_name((enum pkt_status)i));
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(pkt_status_name((enum pkt_status)i),
                             pkt_status_name((enum pkt_status)j));
    }
    ck_assert_str_eq(pkt_status_name(PKT_OK), "ok");
    ck_assert_str_eq(pkt_status_name(PKT_STATUS_COUNT), "unknown");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("packet");
    TCase *v = tcase_create("validate");
    tcase_set_timeout(v, 60);
    tcase_add_test(v, valid_segment);
    tcase_add_test(v, ip_short_and_zero_length);
    tcase_add_test(v, ip_version);
    tcase_add_test(v, ip_hdrlen);
    tcase_add_test(v, ip_len_lies);
    tcase_add_test(v, ip_csum);
    tcase_add_test(v, ip_frag);
    tcase_add_test(v, not_tcp);
    tcase_add_test(v, ip_options_skipped);
    tcase_add_test(v, tcp_short);
    tcase_add_test(v, tcp_doff);
    tcase_add_test(v, tcp_csum);
    tcase_add_test(v, checksums_agree_with_a_16_bit_sum_for_every_header_layout);
    tcase_add_test(v, tcp_opt_malformed);
    tcase_add_test(v, martian_source_addresses_rfc1122_3_2_1_3);
    tcase_add_test(v, every_truncation_is_rejected);
    tcase_add_test(v, random_garbage_never_crashes);
    tcase_add_test(v, status_names);
    suite_add_tcase(s, v);
    TCase *o = tcase_create("options+build");
    tcase_set_timeout(o, 60);
    tcase_add_test(o, tcp_opt_nop_eol_unknown);
    tcase_add_test(o, option_fast_path_agrees_with_the_walk);
    tcase_add_test(o, options_round_trip_syn);
    tcase_add_test(o, sack_blocks_trimmed);
    tcase_add_test(o, build_parse_round_trip);
    tcase_add_test(o, build_does_not_fit);
    tcase_add_test(o, timestamps_alone_take_tcp_optlen_ts);
    suite_add_tcase(s, o);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
