/*
 * wire.c — IPv4 and TCP on the wire, written apart from the stack's packet.c on purpose: the
 * drill checks the stack's datagrams with code that did not make them. Options are kept as
 * the bytes they are, in order, since packetdrill compares them so.
 */
#include <string.h>

#include "drill.h"

uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* RFC 1071: the ones' complement sum of 16-bit words, folded; `sum` carries a running total. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += get16(p + i);
    if (n & 1) sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The TCP checksum of segment seg (len bytes) with the IPv4 pseudo-header (RFC 9293 3.1). */
static uint16_t tcp_csum(uint32_t saddr, uint32_t daddr, const uint8_t *seg, size_t len)
{
    uint8_t ph[12];
    put32(ph, saddr);
    put32(ph + 4, daddr);
    ph[8] = 0;
    ph[9] = 6;
    put16(ph + 10, (uint16_t)len);
    return csum_fold(csum_add(csum_add(0, ph, sizeof ph), seg, len));
}

int wire_parse(const uint8_t *b, size_t len, struct wire_pkt *p, struct sb *err)
{
    memset(p, 0, sizeof *p);
    if (len < 20) {
        sb_printf(err, "a %zu-byte datagram is shorter than an IPv4 header", len);
        return -1;
    }
    p->version = b[0] >> 4;
    p->ihl = b[0] & 15;
    p->tos = b[1];
    p->tot_len = get16(b + 2);
    p->id = get16(b + 4);
    p->frag = get16(b + 6);
    p->ttl = b[8];
    p->proto = b[9];
    p->saddr = get32(b + 12);
    p->daddr = get32(b + 16);
    if (p->version != 4) {
        sb_printf(err, "IP version %u, not 4", p->version);
        return -1;
    }
    size_t ihl = (size_t)p->ihl * 4;
    if (ihl < 20 || ihl > len || p->tot_len < ihl || p->tot_len > len) {
        sb_printf(err, "bad IPv4 lengths: header %zu, total %u, datagram %zu", ihl, p->tot_len,
                  len);
        return -1;
    }
    p->ip_csum_ok = csum_fold(csum_add(0, b, ihl)) == 0;
    if (p->proto != 6) {
        sb_printf(err, "IP protocol %u, not TCP", p->proto);
        return -1;
    }
    const uint8_t *t = b + ihl;
    size_t tlen = p->tot_len - ihl;
    if (tlen < 20) {
        sb_printf(err, "a %zu-byte TCP segment is shorter than its header", tlen);
        return -1;
    }
    p->sport = get16(t);
    p->dport = get16(t + 2);
    p->seq = get32(t + 4);
    p->ack = get32(t + 8);
    p->doff = t[12] >> 4;
    p->res = t[12] & 15;
    p->flags = t[13];
    p->win = get16(t + 14);
    p->csum = get16(t + 16);
    p->urg = get16(t + 18);
    size_t doff = (size_t)p->doff * 4;
    if (doff < 20 || doff > tlen) {
        sb_printf(err, "bad TCP data offset %u", p->doff);
        return -1;
    }
    p->optlen = (uint8_t)(doff - 20);
    memcpy(p->opts, t + 20, p->optlen);
    p->payload = t + doff;
    p->len = (uint32_t)(tlen - doff);
    /* over a segment that carries its checksum, the sum folds to 0 */
    p->tcp_csum_ok = tcp_csum(p->saddr, p->daddr, t, tlen) == 0;
    return 0;
}

size_t wire_build(uint8_t *b, size_t cap, const struct wire_pkt *p)
{
    size_t doff = 20 + (size_t)p->optlen, tot = 20 + doff + p->len;
    if (tot > cap || tot > 65535) return 0;
    memset(b, 0, tot);
    b[0] = 0x45;
    b[1] = p->tos;
    put16(b + 2, (uint16_t)tot);
    put16(b + 4, p->id);
    put16(b + 6, p->frag);
    b[8] = p->ttl;
    b[9] = 6;
    put32(b + 12, p->saddr);
    put32(b + 16, p->daddr);
    put16(b + 10, csum_fold(csum_add(0, b, 20)));
    uint8_t *t = b + 20;
    put16(t, p->sport);
    put16(t + 2, p->dport);
    put32(t + 4, p->seq);
    put32(t + 8, p->ack);
    t[12] = (uint8_t)((doff / 4) << 4 | (p->res & 15));
    t[13] = p->flags;
    put16(t + 14, p->win);
    put16(t + 18, p->urg);
    memcpy(t + 20, p->opts, p->optlen);
    if (p->payload && p->len) memcpy(t + doff, p->payload, p->len);
    put16(t + 16, tcp_csum(p->saddr, p->daddr, t, doff + p->len));
    return tot;
}

int wire_opt_next(const uint8_t *o, size_t n, int off, uint8_t *kind, uint8_t *olen)
{
    if (off < 0 || (size_t)off >= n) return -1;
    *kind = o[off];
    if (*kind == 0 || *kind == 1) {
        *olen = 1;
        return off;
    }
    if ((size_t)off + 1 >= n) return -2;
    *olen = o[off + 1];
    if (*olen < 2 || (size_t)off + *olen > n) return -2;
    return off;
}

void wire_opts_str(struct sb *b, const uint8_t *o, size_t n)
{
    int off = 0;
    uint8_t kind, len;
    for (bool first = true;; first = false) {
        int at = wire_opt_next(o, n, off, &kind, &len);
        if (at == -1) break;
        if (!first) sb_printf(b, ",");
        if (at == -2) {
            sb_printf(b, "(malformed option kind %u)", o[off]);
            break;
        }
        const uint8_t *d = o + at + 2;
        if (kind == 0)
            sb_printf(b, "eol");
        else if (kind == 1)
            sb_printf(b, "nop");
        else if (kind == 2 && len == 4)
            sb_printf(b, "mss %u", get16(d));
        else if (kind == 3 && len == 3)
            sb_printf(b, "wscale %u", d[0]);
        else if (kind == 4 && len == 2)
            sb_printf(b, "sackOK");
        else if (kind == 8 && len == 10)
            sb_printf(b, "TS val %u ecr %u", get32(d), get32(d + 4));
        else if (kind == 5 && len >= 10 && (len - 2) % 8 == 0) {
            sb_printf(b, "sack");
            for (int i = 0; i < (len - 2) / 8; i++)
                sb_printf(b, " %u:%u", get32(d + 8 * i), get32(d + 8 * i + 4));
        } else {
            sb_printf(b, "option kind %u length %u", kind, len);
        }
        off = at + len;
    }
}

void wire_seg_str(struct sb *b, uint8_t flags, uint32_t seq, uint32_t len, uint32_t ack,
                  int32_t win, const uint8_t *opts, size_t optlen, bool opts_any)
{
    /* tcpdump's order, as packetdrill prints them */
    static const struct {
        uint8_t bit;
        char c;
    } order[] = {{DF_FIN, 'F'}, {DF_SYN, 'S'}, {DF_RST, 'R'}, {DF_PSH, 'P'},
                 {DF_ACK, '.'}, {DF_URG, 'U'}, {DF_ECE, 'E'}, {DF_CWR, 'W'}};
    char f[9];
    size_t k = 0;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if (flags & order[i].bit) f[k++] = order[i].c;
    f[k] = '\0';
    sb_printf(b, "%s %u:%u(%u)", k ? f : "-", seq, seq + len, len);
    if (flags & DF_ACK) sb_printf(b, " ack %u", ack);
    if (win >= 0) sb_printf(b, " win %d", win);
    if (opts_any) {
        sb_printf(b, " <...>");
    } else if (optlen) {
        sb_printf(b, " <");
        wire_opts_str(b, opts, optlen);
        sb_printf(b, ">");
    }
}
