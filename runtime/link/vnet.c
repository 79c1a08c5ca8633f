/*
 * vnet.c — a TUN device with virtio-net headers (IFF_VNET_HDR) around the stack: segmentation
 * and checksum offload (the public tcpfsm_vnet_* calls, tcpfsm.h).
 *
 * Out: the stack sends MSS-sized segments one by one. Consecutive segments of one connection
 * that Linux's TCP segmentation (tcp_gso_segment, inet_gso_segment) would make again from one
 * large packet are gathered here into that packet, written once with gso_type TCPV4 and
 * gso_size = their size: same header bytes but for the sequence number (consecutive), the IP
 * ID (consecutive), the lengths and checksums, and PSH/FIN, which only the last may carry
 * (the kernel leaves them on the last piece only). Every segment but the last has gso_size
 * bytes; the last may be shorter. So what reaches the kernel's TCP is, byte for byte, what
 * the segments would have been. Anything else (pure ACKs, SYNs, RSTs, ICMP) is written as it
 * is, after the train it interrupts.
 *
 * In: a read is one header and one packet. A GSO packet (the kernel's TSO to a device that
 * said it takes TSO4) is cut back into its segments in place, each segment's headers written
 * just before its text over the text already handed to the stack, and given to the stack as
 * one train (TCPFSM_IN_MORE): one ACK answers it, as Linux answers a GRO packet. Checksums the
 * kernel left to us to complete (NEEDS_CSUM) or vouched for (DATA_VALID) are not summed again.
 * A header this code cannot honour (another GSO type, a checksum position that is not the TCP
 * checksum, a GSO packet that is not IPv4/TCP or whose lengths disagree) drops the packet
 * and is counted: the stack never sees a packet it would misread.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "link.h"

/* struct virtio_net_hdr (linux/virtio_net.h), native byte order as TUN uses it by default */
#define VNET_HDR_LEN 10
#define VNET_F_NEEDS_CSUM 1u
#define VNET_F_DATA_VALID 2u
#define VNET_GSO_NONE 0u
#define VNET_GSO_TCPV4 1u
#define VNET_GSO_ECN 0x80u
#define IP_HDR 20u
#define TCP_CSUM_OFF 16u
#define TH_FIN 0x01u
#define TH_PSH 0x08u
#define TH_ACK 0x10u
#define TH_CWR 0x80u
#define MIN_GSO_SIZE 28u /* RFC 791: 68-byte datagrams, minus 40 bytes of headers */
#define TRAIN_MAX 65535u /* an IPv4 datagram's largest total length */

struct vnet_hdr {
    uint8_t flags, gso_type;
    uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

struct tcpfsm_vnet {
    struct tcpfsm_vnet_config cfg;
    struct tcpfsm_stack *st;
    struct tcpfsm_vnet_stats stats;
    /* the train being gathered: frame = header + datagram */
    uint8_t *frame;     /* VNET_HDR_LEN + TRAIN_MAX */
    uint32_t nseg;      /* segments in it, 0 = none */
    uint32_t hl;        /* IP + TCP header length of its segments */
    uint32_t size;      /* text of its first segment: the gso_size */
    uint32_t len;       /* datagram bytes so far */
    uint32_t next_seq;  /* the sequence number a next segment must have */
    uint16_t last_id;   /* the IP ID of its last segment */
    uint8_t last_flags; /* the TCP flags of its last segment */
    bool closed;        /* its last segment was short or had PSH/FIN: nothing may follow */
};

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void hdr_put(uint8_t *f, const struct vnet_hdr *h)
{
    f[0] = h->flags;
    f[1] = h->gso_type;
    memcpy(f + 2, &h->hdr_len, 2); /* native order (no TUNSETVNETLE/BE) */
    memcpy(f + 4, &h->gso_size, 2);
    memcpy(f + 6, &h->csum_start, 2);
    memcpy(f + 8, &h->csum_offset, 2);
}

static void hdr_get(const uint8_t *f, struct vnet_hdr *h)
{
    h->flags = f[0];
    h->gso_type = f[1];
    memcpy(&h->hdr_len, f + 2, 2);
    memcpy(&h->gso_size, f + 4, 2);
    memcpy(&h->csum_start, f + 6, 2);
    memcpy(&h->csum_offset, f + 8, 2);
}

static void ip_csum_set(uint8_t *ip)
{
    wr16(ip + 10, 0);
    uint16_t c = inet_checksum(ip, IP_HDR);
    memcpy(ip + 10, &c, 2);
}

/* The TCP checksum field a device completes: the pseudo-header's folded sum for tcp_len. */
static void tcp_csum_partial(uint8_t *ip, uint32_t tcp_len)
{
    uint64_t acc = csum_pseudo_ipv4(rd32(ip + 12), rd32(ip + 16), 6, (uint16_t)tcp_len);
    uint16_t p = (uint16_t)~csum_fold(acc);
    memcpy(ip + IP_HDR + TCP_CSUM_OFF, &p, 2);
}

struct tcpfsm_vnet *tcpfsm_vnet_new(const struct tcpfsm_vnet_config *cfg, int *err)
{
    if (!cfg || !cfg->write || (cfg->offloads & ~(TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4)) ||
        ((cfg->offloads & TCPFSM_VNET_TSO4) && !(cfg->offloads & TCPFSM_VNET_CSUM))) {
        if (err) *err = -EINVAL;
        return NULL;
    }
    struct tcpfsm_vnet *vn = calloc(1, sizeof *vn);
    if (vn) vn->frame = malloc(VNET_HDR_LEN + TRAIN_MAX);
    if (!vn || !vn->frame) {
        if (vn) free(vn);
        if (err) *err = -ENOMEM;
        return NULL;
    }
    vn->cfg = *cfg;
    if (err) *err = 0;
    return vn;
}

void tcpfsm_vnet_free(struct tcpfsm_vnet *vn)
{
    if (!vn) return;
    free(vn->frame);
    free(vn);
}

void tcpfsm_vnet_attach(struct tcpfsm_vnet *vn, struct tcpfsm_stack *st)
{
    vn->st = st;
}

unsigned tcpfsm_vnet_stack_flags(const struct tcpfsm_vnet *vn)
{
    return (vn->cfg.offloads & TCPFSM_VNET_CSUM) ? TCPFSM_F_CSUM_OFFLOAD : 0;
}

/* A TCP segment as the stack builds them: no IP options, not a fragment. 0 if not one. */
static uint32_t tcp_hdr_len(const uint8_t *ip, size_t len)
{
    if (len < IP_HDR + 20 || ip[0] != 0x45 || ip[9] != 6 || rd16(ip + 2) != len ||
        (rd16(ip + 6) & 0x3fffu))
        return 0;
    uint32_t hl = IP_HDR + (uint32_t)(ip[IP_HDR + 12] >> 4) * 4u;
    return hl >= IP_HDR + 20 && hl <= len ? hl : 0;
}

void tcpfsm_vnet_flush(struct tcpfsm_vnet *vn)
{
    if (!vn->nseg) return;
    uint8_t *f = vn->frame, *ip = f + VNET_HDR_LEN;
    struct vnet_hdr h = {0};
    bool partial = vn->cfg.offloads & TCPFSM_VNET_CSUM;
    if (vn->nseg > 1) {
        wr16(ip + 2, (uint16_t)vn->len);
        ip_csum_set(ip);
        ip[IP_HDR + 13] |= vn->last_flags & (TH_PSH | TH_FIN); /* the kernel keeps them last */
        h.gso_type = VNET_GSO_TCPV4;
        h.gso_size = (uint16_t)vn->size;
        h.hdr_len = (uint16_t)vn->hl;
        vn->stats.TxTrains++;
    }
    if (partial && vn->hl) {
        /* The device completes TCP checksums: the field gets the pseudo-header's sum (the
         * stack's, with TCPFSM_F_CSUM_OFFLOAD, or in place of a complete one, and for a
         * train the sum for its whole length). Other protocols' checksums are complete. */
        tcp_csum_partial(ip, vn->len - IP_HDR);
        h.flags = VNET_F_NEEDS_CSUM;
        h.csum_start = IP_HDR;
        h.csum_offset = TCP_CSUM_OFF;
    }
    hdr_put(f, &h);
    vn->stats.TxFrames++;
    vn->stats.TxSegments += vn->nseg;
    vn->cfg.write(vn->cfg.write_arg, f, VNET_HDR_LEN + vn->len);
    vn->nseg = 0;
}

/* Whether segment (ip, hl, text) continues the train as the kernel's GSO would rebuild it. */
static bool continues(const struct tcpfsm_vnet *vn, const uint8_t *ip, uint32_t hl, uint32_t text)
{
    const uint8_t *t0 = vn->frame + VNET_HDR_LEN, *th = ip + IP_HDR;
    uint8_t fl = th[13];
    return vn->nseg && !vn->closed && hl == vn->hl && text <= vn->size &&
           vn->len + text <= TRAIN_MAX && (fl & ~(TH_PSH | TH_FIN)) == TH_ACK &&
           rd32(th + 4) == vn->next_seq && rd16(ip + 4) == (uint16_t)(vn->last_id + 1) &&
           !memcmp(ip, t0, 2) && !memcmp(ip + 6, t0 + 6, 4) &&   /* ver, tos; DF, ttl, proto */
           !memcmp(ip + 12, t0 + 12, 8) &&                       /* addresses */
           !memcmp(th, t0 + IP_HDR, 4) &&                        /* ports */
           !memcmp(th + 8, t0 + IP_HDR + 8, 5) &&                /* ack, data offset */
           !memcmp(th + 14, t0 + IP_HDR + 14, 2) &&              /* window */
           !memcmp(th + 18, t0 + IP_HDR + 18, hl - IP_HDR - 18); /* urgent ptr, options */
}

void tcpfsm_vnet_output(void *arg, const void *packet, size_t len)
{
    struct tcpfsm_vnet *vn = arg;
    const uint8_t *ip = packet;
    if (len > TRAIN_MAX || len < IP_HDR) {
        vn->stats.TxDrops++;
        return;
    }
    uint32_t hl = tcp_hdr_len(ip, len), text = hl ? (uint32_t)len - hl : 0;
    if (hl && text && continues(vn, ip, hl, text)) {
        memcpy(vn->frame + VNET_HDR_LEN + vn->len, ip + hl, text);
        vn->len += text;
        vn->nseg++;
    } else {
        tcpfsm_vnet_flush(vn);
        memcpy(vn->frame + VNET_HDR_LEN, ip, len);
        vn->nseg = 1;
        vn->hl = hl;
        vn->size = text;
        vn->len = (uint32_t)len;
        vn->closed = false;
        /* a train starts with text, only ACK set, on a device that takes TSO */
        if (!hl || !text || ip[IP_HDR + 13] != TH_ACK || !(vn->cfg.offloads & TCPFSM_VNET_TSO4)) {
            tcpfsm_vnet_flush(vn); /* nothing can join it: out now, in order */
            return;
        }
    }
    vn->next_seq = rd32(ip + IP_HDR + 4) + text;
    vn->last_id = rd16(ip + 4);
    vn->last_flags = ip[IP_HDR + 13];
    if (text < vn->size || (vn->last_flags & (TH_PSH | TH_FIN))) vn->closed = true;
}

/* A datagram whose checksum the sender left to be completed (NEEDS_CSUM) and that is not TCP
 * (whose checksum the stack is told to trust): complete it, as a device would. */
static bool csum_complete(uint8_t *p, size_t len, const struct vnet_hdr *h)
{
    if ((size_t)h->csum_start + h->csum_offset + 2 > len || h->csum_start >= len) return false;
    /* the field holds the partial sum: it is summed with the rest */
    uint16_t c = inet_checksum(p + h->csum_start, len - h->csum_start);
    memcpy(p + h->csum_start + h->csum_offset, &c, 2);
    return true;
}

static int bad(struct tcpfsm_vnet *vn)
{
    vn->stats.RxBadHeader++;
    return -EINVAL;
}

int tcpfsm_vnet_input(struct tcpfsm_vnet *vn, void *frame, size_t len)
{
    if (!vn || (!frame && len)) return -EINVAL;
    vn->stats.RxFrames++;
    if (len < VNET_HDR_LEN) return bad(vn);
    struct vnet_hdr h;
    hdr_get(frame, &h);
    uint8_t *ip = (uint8_t *)frame + VNET_HDR_LEN;
    size_t plen = len - VNET_HDR_LEN;
    uint8_t gso = h.gso_type & (uint8_t)~VNET_GSO_ECN;
    if ((h.flags & ~(VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID)) ||
        (gso != VNET_GSO_NONE && gso != VNET_GSO_TCPV4) ||
        ((h.gso_type & VNET_GSO_ECN) && gso == VNET_GSO_NONE))
        return bad(vn);
    uint32_t hl = tcp_hdr_len(ip, plen);
    bool tcp = plen >= IP_HDR && ip[0] == 0x45 && ip[9] == 6;
    if (h.flags & VNET_F_NEEDS_CSUM) {
        if (tcp) {
            /* RFC 9293 3.1's checksum at its place, and nothing else to complete */
            if (!hl || h.csum_start != IP_HDR || h.csum_offset != TCP_CSUM_OFF) return bad(vn);
        } else if (!csum_complete(ip, plen, &h)) {
            return bad(vn);
        }
    }
    unsigned in = (h.flags && tcp) ? TCPFSM_IN_CSUM_VALID : 0;
    if (!vn->st) return -ENOENT;
    if (gso == VNET_GSO_NONE || (hl && plen - hl <= h.gso_size)) {
        vn->stats.RxSegments++;
        return tcpfsm_input_ex(vn->st, ip, plen, in);
    }
    /* A GSO packet: IPv4/TCP (tcp_hdr_len checked the lengths), its checksum left to us or
     * vouched for (a GSO packet's own checksum could not be checked piece by piece), pieces
     * of a size a datagram can carry. */
    if (!hl || !h.flags || h.gso_size < MIN_GSO_SIZE || h.gso_size > TRAIN_MAX - hl) return bad(vn);
    uint8_t hdr[IP_HDR + 60];
    memcpy(hdr, ip, hl);
    uint32_t text = (uint32_t)plen - hl, g = h.gso_size, seq = rd32(hdr + IP_HDR + 4);
    uint16_t id = rd16(hdr + 4);
    uint8_t fl = hdr[IP_HDR + 13];
    uint32_t n = (text + g - 1) / g;
    vn->stats.RxTrains++;
    int r = 0;
    for (uint32_t k = 0; k < n; k++) {
        /* segment k: its text stays where it is, its headers go just before it (over text
         * the stack has taken already) */
        uint32_t off = k * g, seg = k + 1 < n ? g : text - off;
        uint8_t *p = ip + off;
        memcpy(p, hdr, hl);
        wr16(p + 2, (uint16_t)(hl + seg));
        wr16(p + 4, (uint16_t)(id + k));
        ip_csum_set(p);
        wr32(p + IP_HDR + 4, seq + off);
        uint8_t f = fl;
        if (k + 1 < n) f &= (uint8_t) ~(TH_PSH | TH_FIN); /* the last piece keeps them */
        if (k > 0) f &= (uint8_t)~TH_CWR;                 /* the first piece keeps it */
        p[IP_HDR + 13] = f;
        vn->stats.RxSegments++;
        int e = tcpfsm_input_ex(vn->st, p, hl + seg, in | (k + 1 < n ? TCPFSM_IN_MORE : 0));
        if (e && !r) r = e;
    }
    return r;
}

void tcpfsm_vnet_get_stats(const struct tcpfsm_vnet *vn, struct tcpfsm_vnet_stats *out)
{
    *out = vn->stats;
}
