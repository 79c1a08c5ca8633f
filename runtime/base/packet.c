/*
 * packet.c — IPv4 + TCP parsing, validation and building.
 *
 * Validation follows Linux ip_rcv_core + tcp_v4_rcv: IP header sanity (RFC 791 3.1, RFC 1122
 * 3.2.1), then TCP length, data offset, checksum (RFC 9293 3.1), options. Every read is
 * bounds-checked against the length the caller gives; multi-byte fields are assembled from
 * bytes, never loaded through a cast, so alignment and aliasing are never an issue.
 */
#include "packet.h"

#include <string.h>

#include "checksum.h"

static inline uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
/* v in network byte order, as a native word (stored with memcpy: any alignment). */
static inline uint32_t be32(uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return v;
#else
    return __builtin_bswap32(v);
#endif
}
static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void put32(uint8_t *p, uint32_t v)
{
    uint32_t w = be32(v);
    memcpy(p, &w, sizeof w);
}
/* put32, and the 32-bit word as csum_add would load it back from p: a header being built is
 * summed as it is written, never read back (which would stall on store-to-load forwarding). */
static inline uint32_t put32_sum(uint8_t *p, uint32_t v)
{
    uint32_t w = be32(v);
    memcpy(p, &w, sizeof w);
    return w;
}

/* RFC 1071 2(C): the Internet checksum may be summed in 64-bit words, each add's carry out of
 * bit 63 wrapped around (2^64 = 1 mod 0xffff), then folded. The parser's headers of constant
 * length are summed with these, straight-line: an add and its carry per 8 bytes, no loop. */
static inline uint64_t sum_add64(uint64_t acc, const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w);
    acc += w;
    return acc + (acc < w);
}
static inline uint64_t sum_add32(uint64_t acc, const uint8_t *p)
{
    uint32_t w;
    memcpy(&w, p, sizeof w);
    acc += w;
    return acc + (acc < w);
}

static const char *const status_names[PKT_STATUS_COUNT] = {
    [PKT_OK] = "ok",
    [PKT_ERR_IP_SHORT] = "ip-short",
    [PKT_ERR_IP_VERSION] = "ip-version",
    [PKT_ERR_IP_HDRLEN] = "ip-hdrlen",
    [PKT_ERR_IP_LEN] = "ip-len",
    [PKT_ERR_IP_CSUM] = "ip-csum",
    [PKT_ERR_IP_FRAG] = "ip-frag",
    [PKT_ERR_NOT_TCP] = "not-tcp",
    [PKT_ERR_TCP_SHORT] = "tcp-short",
    [PKT_ERR_TCP_DOFF] = "tcp-doff",
    [PKT_ERR_TCP_CSUM] = "tcp-csum",
    [PKT_ERR_TCP_OPT] = "tcp-opt",
    [PKT_ERR_ICMP_SHORT] = "icmp-short",
    [PKT_ERR_ICMP_CSUM] = "icmp-csum",
};

const char *pkt_status_name(enum pkt_status s)
{
    if ((unsigned)s >= PKT_STATUS_COUNT) return "unknown";
    return status_names[s];
}

int tcp_opts_walk(const uint8_t *p, size_t len, struct tcp_opts *o)
{
    size_t i = 0;

    memset(o, 0, sizeof *o);
    while (i < len) {
        uint8_t kind = p[i];
        if (kind == TCPOPT_EOL) /* RFC 9293 3.1: end of the option list */
            break;
        if (kind == TCPOPT_NOP) {
            i++;
            continue;
        }
        /* RFC 9293 3.1: every other option has a length octet counting kind and length;
         * a missing length, a length below 2 (which would loop forever or step backwards)
         * or one running past the header is malformed (RFC 9293 3.1, MUST-64: handle an
         * illegal option length without crashing). */
        if (len - i < 2) return -1;
        size_t olen = p[i + 1];
        if (olen < 2 || olen > len - i) return -1;
        const uint8_t *v = p + i + 2;
        /* A known option with the wrong length is ignored, as Linux does, rather than
         * dropping the segment: the rest of the header is still well-formed. */
        switch (kind) {
        case TCPOPT_MSS: /* RFC 9293 3.7.1 */
            if (olen == 4) {
                o->has_mss = 1;
                o->mss = get16(v);
            }
            break;
        case TCPOPT_WSCALE: /* RFC 7323 2.2 */
            if (olen == 3) {
                o->has_wscale = 1;
                /* RFC 7323 2.3: a shift above 14 is treated as 14 */
                o->wscale = v[0] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : v[0];
            }
            break;
        case TCPOPT_SACK_PERM: /* RFC 2018 2 */
            if (olen == 2) o->sack_ok = 1;
            break;
        case TCPOPT_SACK: /* RFC 2018 3: 2 + 8n bytes */
            if (olen >= 10 && (olen - 2) % 8 == 0) {
                size_t n = (olen - 2) / 8;
                if (n > TCP_MAX_SACK) n = TCP_MAX_SACK;
                for (size_t k = 0; k < n; k++) {
                    o->sack[k].start = get32(v + 8 * k);
                    o->sack[k].end = get32(v + 8 * k + 4);
                }
                o->nsack = (uint8_t)n;
            }
            break;
        case TCPOPT_TS: /* RFC 7323 3.2 */
            if (olen == 10) {
                o->has_ts = 1;
                o->tsval = get32(v);
                o->tsecr = get32(v + 4);
            }
            break;
        default: /* RFC 9293 3.1 (MUST-6): ignore options we do not implement */
            break;
        }
        i += olen;
    }
    return 0;
}

/* RFC 7323 Appendix A's NOP, NOP, timestamps: the options of every segment after the SYN when
 * timestamps are on, read at fixed offsets (inline: tcp_parse2 asks it first, for every
 * segment). False, o untouched, for any other layout. */
static inline bool opts_ts_only(const uint8_t *p, size_t len, struct tcp_opts *o)
{
    static const uint8_t ts_lead[4] = {TCPOPT_NOP, TCPOPT_NOP, TCPOPT_TS, 10};
    if (len != TCP_OPTLEN_TS || memcmp(p, ts_lead, sizeof ts_lead) != 0) return false;
    memset(o, 0, sizeof *o);
    o->has_ts = 1;
    o->tsval = get32(p + 4);
    o->tsecr = get32(p + 8);
    return true;
}

int tcp_opts_parse(const uint8_t *p, size_t len, struct tcp_opts *o)
{
    /* Two layouts are read at fixed offsets, with the result tcp_opts_walk would give
     * (test_packet's option_fast_path_agrees_with_the_walk): the timestamps alone
     * (opts_ts_only), and the SYN's MSS, SACK-permitted, timestamps, NOP, window scale (ours
     * and Linux's, tcp_options_write). */
    static const uint8_t syn_sack_ts[4] = {TCPOPT_SACK_PERM, 2, TCPOPT_TS, 10};
    static const uint8_t syn_ws[3] = {TCPOPT_NOP, TCPOPT_WSCALE, 3};
    if (opts_ts_only(p, len, o)) return 0;
    if (len == 20 && p[0] == TCPOPT_MSS && p[1] == 4 &&
        memcmp(p + 4, syn_sack_ts, sizeof syn_sack_ts) == 0 &&
        memcmp(p + 16, syn_ws, sizeof syn_ws) == 0) {
        memset(o, 0, sizeof *o);
        o->has_mss = 1;
        o->mss = get16(p + 2);
        o->sack_ok = 1;
        o->has_ts = 1;
        o->tsval = get32(p + 8);
        o->tsecr = get32(p + 12);
        o->has_wscale = 1;
        /* RFC 7323 2.3: a shift above 14 is treated as 14 */
        o->wscale = p[19] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : p[19];
        return 0;
    }
    return tcp_opts_walk(p, len, o);
}

enum pkt_status ip_parse(const void *pkt, size_t len, struct ip_hdr *h)
{
    const uint8_t *ip = pkt;

    if (len < IPV4_HDR_LEN) return PKT_ERR_IP_SHORT;
    if (ip[0] >> 4 != 4) return PKT_ERR_IP_VERSION;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    if (ihl < IPV4_HDR_LEN || ihl > len) return PKT_ERR_IP_HDRLEN;
    size_t tot = get16(ip + 2);
    if (tot < ihl || tot > len) return PKT_ERR_IP_LEN;
    /* RFC 791 3.1: the header checksum covers the header (IHL counts 32-bit words). The
     * header without options, nearly every one, is summed at its constant length. */
    uint64_t hs = ihl == IPV4_HDR_LEN ? sum_add32(sum_add64(sum_add64(0, ip), ip + 8), ip + 16)
                                      : csum_add_words(0, ip, ihl);
    if (csum_fold(hs) != 0) return PKT_ERR_IP_CSUM;
    /* More-fragments set or a non-zero offset: a fragment. We do not reassemble (RFC 1122
     * 3.3.2 makes it a MUST for hosts; our peers send DF segments sized to the MSS). */
    if ((get16(ip + 6) & 0x3fff) != 0) return PKT_ERR_IP_FRAG;
    h->saddr = get32(ip + 12);
    h->daddr = get32(ip + 16);
    h->proto = ip[9];
    h->ttl = ip[8];
    h->hdr_len = (uint16_t)ihl;
    h->tot_len = (uint16_t)tot;
    return PKT_OK;
}

enum pkt_status pkt_parse(const void *pkt, size_t len, struct tcp_seg *seg)
{
    struct ip_hdr h;
    enum pkt_status ps = ip_parse(pkt, len, &h);
    if (ps != PKT_OK) return ps;
    if (h.proto != IPPROTO_TCP_NUM) return PKT_ERR_NOT_TCP;
    return tcp_parse(pkt, &h, seg);
}

enum pkt_status tcp_parse(const void *pkt, const struct ip_hdr *hp, struct tcp_seg *seg)
{
    return tcp_parse2(pkt, hp, seg, false);
}

enum pkt_status tcp_parse2(const void *pkt, const struct ip_hdr *hp, struct tcp_seg *seg,
                           bool csum_valid)
{
    const uint8_t *ip = pkt;
    const struct ip_hdr h = *hp;
    size_t ihl = h.hdr_len, tot = h.tot_len;

    const uint8_t *th = ip + ihl;
    size_t tlen = tot - ihl;
    if (tlen < TCP_HDR_LEN) return PKT_ERR_TCP_SHORT;
    size_t doff = (size_t)(th[12] >> 4) * 4;
    if (doff < TCP_HDR_LEN || doff > tlen) return PKT_ERR_TCP_DOFF;
    /* RFC 9293 3.1: the checksum covers the pseudo-header, TCP header and data; tot fits in
     * 16 bits so tlen does too. The pseudo-header's source and destination are the IP
     * header's own octets 12-19 (ip_parse's h came from them), summed as they stand; its zero,
     * protocol and TCP length make one more word. Behind a header without IP options those
     * addresses and the TCP header are one run: with the timestamps alone (every segment
     * after the SYN when they are on) 40 octets, five 64-bit words. */
    if (!csum_valid) {
        const uint8_t ptl[4] = {0, IPPROTO_TCP_NUM, (uint8_t)(tlen >> 8), (uint8_t)tlen};
        uint64_t acc = sum_add32(0, ptl);
        if (ihl == IPV4_HDR_LEN && doff == TCP_HDR_LEN + TCP_OPTLEN_TS) {
            const uint8_t *r = ip + 12; /* written out: gcc -O2 keeps a loop of five */
            acc = sum_add64(sum_add64(sum_add64(acc, r), r + 8), r + 16);
            acc = sum_add64(sum_add64(acc, r + 24), r + 32);
        } else /* doff counts 32-bit words: even, so it chains */
            acc = csum_add_words(csum_add_words(acc, ip + 12, 8), th, doff);
        if (tlen > doff) acc = csum_add(acc, th + doff, tlen - doff);
        if (csum_fold(acc) != 0) return PKT_ERR_TCP_CSUM;
    }
    const uint8_t *opt = th + TCP_HDR_LEN;
    if (!opts_ts_only(opt, doff - TCP_HDR_LEN, &seg->opt) &&
        tcp_opts_parse(opt, doff - TCP_HDR_LEN, &seg->opt) != 0)
        return PKT_ERR_TCP_OPT;

    seg->saddr = h.saddr;
    seg->daddr = h.daddr;
    seg->ttl = h.ttl;
    seg->sport = get16(th);
    seg->dport = get16(th + 2);
    seg->seq = get32(th + 4);
    seg->ack = get32(th + 8);
    seg->flags = th[13];
    seg->wnd = get16(th + 14);
    seg->urp = get16(th + 18);
    seg->hdr_len = (uint16_t)doff;
    seg->len = (uint32_t)(tlen - doff);
    seg->data = th + doff;
    return PKT_OK;
}

/* SACK blocks that fit next to the other options: RFC 2018 3 notes at most 4 blocks alone,
 * 3 with timestamps; with MSS/window scale on a SYN even fewer. */
static size_t sack_fit(const struct tcp_opts *o, size_t base)
{
    size_t n = o->nsack > TCP_MAX_SACK ? TCP_MAX_SACK : o->nsack;
    while (n > 0 && base + 4 + 8 * n > TCP_MAX_OPT_LEN)
        n--;
    return n;
}

/* Bytes of every option but SACK blocks, each padded to 4 as laid out by pkt_build. */
static size_t opts_base_len(const struct tcp_opts *o)
{
    size_t n = 0;
    if (o->has_mss) n += 4;
    if (o->has_ts)
        n += 12; /* SACK-permitted rides in the two NOPs before the timestamps */
    else if (o->sack_ok)
        n += 4;
    if (o->has_wscale) n += 4;
    return n;
}

/* Inline: pkt_build3 asks for every segment before it writes one. */
static inline size_t opts_len(const struct tcp_opts *o)
{
    size_t base = opts_base_len(o);
    size_t n = sack_fit(o, base);
    return base + (n ? 4 + 8 * n : 0);
}

size_t tcp_opts_len(const struct tcp_opts *o)
{
    return opts_len(o);
}

/* Lays out options the way Linux tcp_options_write does, every option 4-aligned, so the
 * hot fields (timestamps) sit at fixed offsets and no trailing padding is ever needed. Returns
 * the sum of the 32-bit words written (put32_sum), for the TCP checksum. */
static uint64_t opts_write(uint8_t *p, const struct tcp_opts *o)
{
    uint8_t *s = p;
    uint64_t sum = 0;
    if (o->has_mss) {
        sum += put32_sum(p, (uint32_t)TCPOPT_MSS << 24 | 4u << 16 | o->mss);
        p += 4;
    }
    if (o->has_ts) {
        uint32_t lead = o->sack_ok ? (uint32_t)TCPOPT_SACK_PERM << 8 | 2u
                                   : (uint32_t)TCPOPT_NOP << 8 | TCPOPT_NOP;
        sum += put32_sum(p, lead << 16 | (uint32_t)TCPOPT_TS << 8 | 10u);
        sum += put32_sum(p + 4, o->tsval);
        sum += put32_sum(p + 8, o->tsecr);
        p += 12;
    } else if (o->sack_ok) {
        sum += put32_sum(p, (uint32_t)TCPOPT_NOP << 24 | (uint32_t)TCPOPT_NOP << 16 |
                                (uint32_t)TCPOPT_SACK_PERM << 8 | 2u);
        p += 4;
    }
    if (o->has_wscale) {
        /* RFC 7323 2.3: never send a shift above 14 */
        uint32_t ws = o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o->wscale;
        sum +=
            put32_sum(p, (uint32_t)TCPOPT_NOP << 24 | (uint32_t)TCPOPT_WSCALE << 16 | 3u << 8 | ws);
        p += 4;
    }
    size_t n = sack_fit(o, (size_t)(p - s));
    if (n > 0) {
        sum += put32_sum(p, (uint32_t)TCPOPT_NOP << 24 | (uint32_t)TCPOPT_NOP << 16 |
                                (uint32_t)TCPOPT_SACK << 8 | (uint32_t)(2 + 8 * n));
        p += 4;
        for (size_t k = 0; k < n; k++) {
            sum += put32_sum(p, o->sack[k].start);
            sum += put32_sum(p + 4, o->sack[k].end);
            p += 8;
        }
    }
    return sum;
}

size_t pkt_build(void *buf, size_t cap, const struct tcp_seg *seg, uint16_t ip_id)
{
    return pkt_build2(buf, cap, seg, ip_id, NULL, 0);
}

size_t pkt_build2(void *buf, size_t cap, const struct tcp_seg *seg, uint16_t ip_id,
                  const void *tail, uint32_t tail_len)
{
    return pkt_build3(buf, cap, seg, ip_id, tail, tail_len, false);
}

/* The fields of the fixed TCP header (host order), for the writer both builders share. */
struct tcp_fixed {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t wnd, urp;
};

/* Everything of a datagram but the TCP options: the IPv4 header, the fixed TCP header, the
 * text (len bytes: len - tail_len at data, tail_len at tail) and both checksums, around thl -
 * 20 option bytes the caller wrote at ip + 40 already (osum: their put32_sum words). Inline:
 * pkt_build3 and pkt_build_plain each keep their own constants. */
__attribute__((always_inline)) static inline size_t
build_around(uint8_t *ip, size_t thl, size_t tot, const struct tcp_fixed *f, uint64_t osum,
             uint16_t ip_id, const uint8_t *data, uint32_t len, const void *tail, uint32_t tail_len,
             bool csum_partial)
{
    uint8_t *th = ip + IPV4_HDR_LEN;
    /* RFC 791 header checksum from the field values (the same 16-bit words inet_checksum
     * would read back, summed by value): reading back the bytes just stored would stall on
     * store-to-load forwarding. */
    uint32_t hs = 0x4500u + (uint32_t)tot + ip_id + 0x4000u + (64u << 8 | IPPROTO_TCP_NUM) +
                  (f->saddr >> 16) + (f->saddr & 0xffffu) + (f->daddr >> 16) + (f->daddr & 0xffffu);
    hs = (hs & 0xffffu) + (hs >> 16);
    hs = (hs & 0xffffu) + (hs >> 16);
    /* version 4, IHL 5, TOS 0; DF: we size segments to the MSS (RFC 1191 path MTU); TTL 64
     * (RFC 1700 / Linux default) */
    put32(ip, 0x45000000u | (uint32_t)tot);
    put32(ip + 4, (uint32_t)ip_id << 16 | 0x4000u);
    put32(ip + 8, 64u << 24 | (uint32_t)IPPROTO_TCP_NUM << 16 | (uint16_t)~hs);
    put32(ip + 12, f->saddr);
    put32(ip + 16, f->daddr);

    /* The TCP header as 32-bit words, each summed as it is stored (the checksum field is 0
     * until the end); at most 15 words, so the 64-bit sum cannot overflow. */
    uint64_t hsum = put32_sum(th, (uint32_t)f->sport << 16 | f->dport);
    hsum += put32_sum(th + 4, f->seq);
    hsum += put32_sum(th + 8, f->ack);
    hsum += put32_sum(th + 12, (uint32_t)(thl / 4) << 28 | (uint32_t)f->flags << 16 | f->wnd);
    hsum += put32_sum(th + 16, f->urp);
    hsum += osum;
    uint64_t acc = csum_pseudo_ipv4(f->saddr, f->daddr, IPPROTO_TCP_NUM, (uint16_t)(thl + len));
    uint32_t head_len = len - tail_len;
    if (csum_partial) {
        /* The link completes it (virtio-net VIRTIO_NET_HDR_F_NEEDS_CSUM: csum_start = the TCP
         * header, csum_offset = 16): the field holds the pseudo-header's folded sum, not
         * inverted, and the rest is summed by whoever sends it on (Linux's CHECKSUM_PARTIAL). */
        if (head_len) memcpy(th + thl, data, head_len); /* no text: data may be NULL */
        if (tail_len) memcpy(th + thl + head_len, tail, tail_len);
        uint16_t p = (uint16_t)~csum_fold(acc);
        memcpy(th + 16, &p, 2);
        return tot;
    }
    acc += hsum; /* the pseudo-header's sum is below 2^16: no carry */
    if (!tail_len || !(head_len & 1u)) {
        /* the payload is summed while it is copied (read once) */
        if (head_len) acc = csum_copy(acc, th + thl, data, head_len);
        if (tail_len) acc = csum_copy(acc, th + thl + head_len, tail, tail_len);
    } else {
        /* an odd first piece: copy both, then sum the payload as one run */
        memcpy(th + thl, data, head_len);
        memcpy(th + thl + head_len, tail, tail_len);
        acc = csum_add(acc, th + thl, len);
    }
    uint16_t c = csum_fold(acc);
    memcpy(th + 16, &c, 2);
    return tot;
}

size_t pkt_build3(void *buf, size_t cap, const struct tcp_seg *seg, uint16_t ip_id,
                  const void *tail, uint32_t tail_len, bool csum_partial)
{
    size_t olen = opts_len(&seg->opt);
    size_t thl = TCP_HDR_LEN + olen;
    size_t tot = IPV4_HDR_LEN + thl + (size_t)seg->len;
    if (tot > cap || tot > 0xffff) return 0;
    uint8_t *ip = buf;
    const struct tcp_fixed f = {seg->saddr, seg->daddr, seg->sport, seg->dport, seg->seq,
                                seg->ack,   seg->flags, seg->wnd,   seg->urp};
    /* olen bytes: same layout rules as opts_len */
    uint64_t osum = opts_write(ip + IPV4_HDR_LEN + TCP_HDR_LEN, &seg->opt);
    return build_around(ip, thl, tot, &f, osum, ip_id, seg->data, seg->len, tail, tail_len,
                        csum_partial);
}

size_t pkt_build_plain(void *buf, size_t cap, const struct tcp_plain_seg *seg, uint16_t ip_id,
                       const void *tail, uint32_t tail_len, bool csum_partial)
{
    size_t thl = TCP_HDR_LEN + (seg->has_ts ? TCP_OPTLEN_TS : 0);
    size_t tot = IPV4_HDR_LEN + thl + (size_t)seg->len;
    if (tot > cap || tot > 0xffff) return 0;
    uint8_t *ip = buf;
    const struct tcp_fixed f = {seg->saddr, seg->daddr, seg->sport, seg->dport, seg->seq,
                                seg->ack,   seg->flags, seg->wnd,   0};
    uint64_t osum = 0;
    if (seg->has_ts) { /* opts_write's layout for the timestamps alone */
        uint8_t *p = ip + IPV4_HDR_LEN + TCP_HDR_LEN;
        osum = put32_sum(p, (uint32_t)TCPOPT_NOP << 24 | (uint32_t)TCPOPT_NOP << 16 |
                                (uint32_t)TCPOPT_TS << 8 | 10u);
        osum += put32_sum(p + 4, seg->tsval);
        osum += put32_sum(p + 8, seg->tsecr);
    }
    return build_around(ip, thl, tot, &f, osum, ip_id, seg->data, seg->len, tail, tail_len,
                        csum_partial);
}

/* ------------------------------------------------------------------- ICMP ---- */

enum pkt_status icmp_parse(const void *p, size_t len, struct icmp_msg *m)
{
    const uint8_t *b = p;
    if (len < ICMP_HDR_LEN) return PKT_ERR_ICMP_SHORT;
    if (inet_checksum(b, len) != 0) return PKT_ERR_ICMP_CSUM; /* RFC 792: whole message */
    m->type = b[0];
    m->code = b[1];
    m->rest = get32(b + 4);
    m->body = b + ICMP_HDR_LEN;
    m->len = len - ICMP_HDR_LEN;
    return PKT_OK;
}

int icmp_quote_tcp(const struct icmp_msg *m, struct tcp_quote *q)
{
    const uint8_t *ip = m->body;
    if (m->len < IPV4_HDR_LEN || ip[0] >> 4 != 4) return -1;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    /* the quoted header's own checksum and total length are not checked: a router may have
     * changed the TTL and a quote is usually cut short */
    if (ihl < IPV4_HDR_LEN || m->len < ihl + 8 || ip[9] != IPPROTO_TCP_NUM) return -1;
    const uint8_t *th = ip + ihl;
    q->saddr = get32(ip + 12);
    q->daddr = get32(ip + 16);
    q->sport = get16(th);
    q->dport = get16(th + 2);
    q->seq = get32(th + 4);
    return 0;
}

size_t icmp_build(void *buf, size_t cap, uint32_t saddr, uint32_t daddr, uint8_t type, uint8_t code,
                  uint32_t rest, const void *body, size_t blen, uint16_t ip_id)
{
    size_t tot = IPV4_HDR_LEN + ICMP_HDR_LEN + blen;
    if (tot > cap || tot > 0xffff) return 0;
    uint8_t *ip = buf, *ic = ip + IPV4_HDR_LEN;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (uint16_t)tot);
    put16(ip + 4, ip_id);
    put16(ip + 6, 0); /* no DF: ICMP is not sized to a path (Linux sends its replies so) */
    ip[8] = 64;
    ip[9] = IPPROTO_ICMP_NUM;
    put16(ip + 10, 0);
    put32(ip + 12, saddr);
    put32(ip + 16, daddr);
    uint16_t hc = inet_checksum(ip, IPV4_HDR_LEN);
    memcpy(ip + 10, &hc, 2);
    ic[0] = type;
    ic[1] = code;
    put16(ic + 2, 0);
    put32(ic + 4, rest);
    if (blen) memmove(ic + ICMP_HDR_LEN, body, blen); /* body may be the request itself */
    uint16_t c = inet_checksum(ic, ICMP_HDR_LEN + blen);
    memcpy(ic + 2, &c, 2);
    return tot;
}
