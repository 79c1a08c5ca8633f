/*
 * flow.c — a packet's flow and its owner (flow.h).
 */
#include "flow.h"

#include "siphash.h"

#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_MF_OFFSET 0x3fffu /* more-fragments bit and fragment offset */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The IPv4 header's length if it is whole and not a fragment (a fragment's ports are not in
 * every piece: the stack drops fragments, whoever reads them), else 0. */
static size_t ip_header(const uint8_t *p, size_t len, size_t total_cap)
{
    if (len < 20 || p[0] >> 4 != 4) return 0;
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    size_t total = be16(p + 2);
    if (ihl < 20 || ihl > len || total < ihl || total > total_cap) return 0;
    if (be16(p + 6) & IP_MF_OFFSET) return 0;
    return ihl;
}

int shard_flow_of(const uint8_t *p, size_t len, struct shard_flow *f)
{
    size_t ihl = ip_header(p, len, len);
    if (!ihl) return 0;
    const uint8_t *l4 = p + ihl;
    size_t l4len = be16(p + 2) - ihl;
    if (p[9] == IP_PROTO_TCP) {
        if (l4len < 4) return 0;
        *f = (struct shard_flow){
            .laddr = be32(p + 16), .raddr = be32(p + 12), .lport = be16(l4 + 2), .rport = be16(l4)};
        return 1;
    }
    if (p[9] != IP_PROTO_ICMP || l4len < 8) return 0;
    /* RFC 792: destination unreachable (3), source quench (4), time exceeded (11) and
     * parameter problem (12) carry the offending datagram's header and 8 bytes after it
     * (RFC 1812 4.3.2.3 allows more), which for TCP hold both ports. */
    uint8_t type = l4[0];
    if (type != 3 && type != 4 && type != 11 && type != 12) return 0;
    const uint8_t *q = l4 + 8;
    size_t qlen = l4len - 8;
    /* the quoted datagram is cut short: its total length may exceed what is quoted */
    size_t qihl = ip_header(q, qlen, 65535);
    if (!qihl || q[9] != IP_PROTO_TCP || qlen < qihl + 4) return 0;
    *f = (struct shard_flow){.laddr = be32(q + 12),
                             .raddr = be32(q + 16),
                             .lport = be16(q + qihl),
                             .rport = be16(q + qihl + 2)};
    return 1;
}

unsigned shard_flow_owner(const uint8_t key[16], unsigned n, const struct shard_flow *f)
{
    if (n <= 1) return 0;
    uint8_t b[12] = {
        (uint8_t)(f->laddr >> 24), (uint8_t)(f->laddr >> 16), (uint8_t)(f->laddr >> 8),
        (uint8_t)f->laddr,         (uint8_t)(f->raddr >> 24), (uint8_t)(f->raddr >> 16),
        (uint8_t)(f->raddr >> 8),  (uint8_t)f->raddr,         (uint8_t)(f->lport >> 8),
        (uint8_t)f->lport,         (uint8_t)(f->rport >> 8),  (uint8_t)f->rport};
    return (unsigned)(siphash24(key, b, sizeof b) % n);
}
