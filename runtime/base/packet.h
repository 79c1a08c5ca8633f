/*
 * packet.h — IPv4 + TCP header parsing, validation and building.
 *
 * Host byte order everywhere in these structs. pkt_parse never reads past the length it is
 * given and validates in the order of Linux's tcp_v4_rcv, so every drop has one reason.
 */
#ifndef TCPFSM_PACKET_H
#define TCPFSM_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80
#define TCP_MAX_SACK 4

#define IPV4_HDR_LEN 20    /* without IP options */
#define TCP_HDR_LEN 20     /* without TCP options */
#define TCP_MAX_OPT_LEN 40 /* data offset is 4 bits of 32-bit words: 60 - 20 */
#define IPPROTO_TCP_NUM 6
#define IPPROTO_ICMP_NUM 1

/* Option kinds (RFC 9293 3.1, RFC 7323, RFC 2018). */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8
#define TCP_MAX_WSCALE 14 /* RFC 7323 2.3 */
#define TCP_OPTLEN_TS 12  /* NOP, NOP, timestamps: pkt_build's bytes for them alone */

struct tcp_sack_block {
    uint32_t start, end;
};
struct tcp_opts {
    uint16_t mss;   /* valid if has_mss */
    uint8_t wscale; /* valid if has_wscale (clamped to 14 per RFC 7323 2.3) */
    uint8_t has_mss : 1, has_wscale : 1, sack_ok : 1, has_ts : 1;
    uint8_t nsack; /* number of SACK blocks */
    uint32_t tsval, tsecr;
    struct tcp_sack_block sack[TCP_MAX_SACK];
};
/* A parsed segment: the event payload the generated machine passes to guards/actions. */
struct tcp_seg {
    uint32_t saddr, daddr; /* IPv4 host order */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags; /* TCP_* */
    uint8_t ttl;
    uint16_t wnd; /* raw (unscaled) window field */
    uint16_t urp;
    uint16_t hdr_len;    /* TCP header length in bytes */
    uint32_t len;        /* payload bytes */
    const uint8_t *data; /* payload (points into the packet) */
    struct tcp_opts opt;
};
enum pkt_status { /* why a packet was dropped, in validation order */
                  PKT_OK = 0,
                  PKT_ERR_IP_SHORT,   /* < 20 bytes */
                  PKT_ERR_IP_VERSION, /* not IPv4 */
                  PKT_ERR_IP_HDRLEN,  /* IHL < 5 or beyond the packet */
                  PKT_ERR_IP_LEN,     /* total length < IHL*4 or > packet */
                  PKT_ERR_IP_CSUM,    /* header checksum */
                  PKT_ERR_IP_FRAG,    /* fragments are not reassembled: dropped */
                  PKT_ERR_NOT_TCP,    /* protocol != 6 */
                  PKT_ERR_TCP_SHORT,  /* < 20 bytes of TCP */
                  PKT_ERR_TCP_DOFF,   /* data offset < 5 or beyond the segment */
                  PKT_ERR_TCP_CSUM,   /* checksum with pseudo-header */
                  PKT_ERR_TCP_OPT,    /* an option runs past the header / bad length */
                  PKT_ERR_ICMP_SHORT, /* < 8 bytes of ICMP */
                  PKT_ERR_ICMP_CSUM,  /* ICMP checksum (RFC 792: over the whole message) */
                  PKT_STATUS_COUNT
};
const char *pkt_status_name(enum pkt_status s);
/* The IPv4 header of a datagram, as ip_parse validated it. */
struct ip_hdr {
    uint32_t saddr, daddr; /* host order */
    uint8_t proto, ttl;
    uint16_t hdr_len; /* IHL * 4: where the payload starts */
    uint16_t tot_len; /* total length: the datagram without link padding */
};
/* The IP layer's checks, shared by every protocol (Linux ip_rcv_core): length, version, IHL,
 * total length, header checksum (RFC 791 3.1, RFC 1122 3.2.1.1-3.2.1.2), and no fragment
 * (not reassembled: PKT_ERR_IP_FRAG). Never reads past len. */
enum pkt_status ip_parse(const void *pkt, size_t len, struct ip_hdr *h);
/* Validate in the order of Linux tcp_v4_rcv: IP length/version/hdr, then TCP length, doff,
 * checksum, then options. On PKT_OK fills *seg (data points into pkt). Never reads past len.
 * Bytes after the IP total length (link padding) are ignored. */
enum pkt_status pkt_parse(const void *pkt, size_t len, struct tcp_seg *seg);
/* pkt_parse's TCP part, for a datagram ip_parse accepted with protocol 6 (h its header). */
enum pkt_status tcp_parse(const void *pkt, const struct ip_hdr *h, struct tcp_seg *seg);
/* The same; csum_valid: the link verified the TCP checksum already (not summed again). */
enum pkt_status tcp_parse2(const void *pkt, const struct ip_hdr *h, struct tcp_seg *seg,
                           bool csum_valid);
/* Parse TCP options (used by pkt_parse; exposed for tests). Returns 0 or -1 if malformed. */
int tcp_opts_parse(const uint8_t *p, size_t len, struct tcp_opts *o);
/* The same, option by option, for any layout: tcp_opts_parse reads the common layouts at fixed
 * offsets and walks the rest with this (exposed so a test holds the two to the same results). */
int tcp_opts_walk(const uint8_t *p, size_t len, struct tcp_opts *o);

/* What kind of IPv4 address a is (RFC 1122 3.2.1.3, RFC 1812 5.3.7, RFC 5735/6890). */
enum ip_addr_class {
    IP_ADDR_UNICAST = 0,
    IP_ADDR_THIS_NET,  /* 0.0.0.0/8: "this host on this network" */
    IP_ADDR_LOOPBACK,  /* 127.0.0.0/8 */
    IP_ADDR_MULTICAST, /* 224.0.0.0/4 (RFC 1112) */
    IP_ADDR_RESERVED,  /* 240.0.0.0/4 (class E), incl. 255.255.255.255 */
};
/* Inline, as ip_martian_source, which every arriving datagram passes. */
static inline enum ip_addr_class ip_addr_class(uint32_t a)
{
    switch (a >> 24) {
    case 0:
        return IP_ADDR_THIS_NET;
    case 127:
        return IP_ADDR_LOOPBACK;
    default:
        break;
    }
    if ((a >> 28) == 0xe) return IP_ADDR_MULTICAST;
    if ((a >> 28) == 0xf) return IP_ADDR_RESERVED;
    return IP_ADDR_UNICAST;
}
/* RFC 1122 3.2.1.3: a source address that no datagram arriving at a host (whose address is
 * `local`, on a prefix of `prefix_len` bits, 0 = unknown) may carry: anything not unicast,
 * the directed broadcast of the local subnet, or the host's own address. Inline: every
 * arriving datagram is asked. */
static inline int ip_martian_source(uint32_t src, uint32_t local, unsigned prefix_len)
{
    /* (a) {0, *} only while a host learns its address; (c) 255.255.255.255 and (d) {Net, -1}
     * broadcasts, (e) {127, *} loopback, which MUST NOT appear outside a host, and class D/E:
     * never a source (RFC 1122 3.2.1.3, RFC 1812 5.3.7). A datagram from our own address
     * arriving from the link is forged (the "land" attack). */
    if (ip_addr_class(src) != IP_ADDR_UNICAST || src == local) return 1;
    if (prefix_len >= 1 && prefix_len <= 30) { /* /31 and /32 have no broadcast (RFC 3021) */
        uint32_t host = 0xffffffffu >> prefix_len;
        if ((src & ~host) == (local & ~host) && (src & host) == host) return 1;
    }
    return 0;
}

/* Build a complete IPv4+TCP datagram into buf (cap bytes). Fills IP header (id from ip_id,
 * DF set, TTL 64), TCP header, options (MSS, SACK-permitted, timestamps, window scale, SACK
 * blocks, as present in seg->opt, NOP-padded to a 4-byte boundary, at most 40 bytes: SACK
 * blocks are trimmed to fit), payload (seg->data, seg->len), both checksums.
 * Returns the total length, or 0 if it does not fit in cap. */
size_t pkt_build(void *buf, size_t cap, const struct tcp_seg *seg, uint16_t ip_id);
/* The same with the payload in two pieces: seg->len - tail_len bytes at seg->data, then
 * tail_len bytes at tail (a wrapped ring's two halves, copied straight into buf). */
size_t pkt_build2(void *buf, size_t cap, const struct tcp_seg *seg, uint16_t ip_id,
                  const void *tail, uint32_t tail_len);
/* The same; csum_partial: the TCP checksum field gets the pseudo-header's folded sum only, for
 * a link that completes the checksum (TCPFSM_F_CSUM_OFFLOAD). */
size_t pkt_build3(void *buf, size_t cap, const struct tcp_seg *seg, uint16_t ip_id,
                  const void *tail, uint32_t tail_len, bool csum_partial);
/* A segment whose only options are the timestamps, or none (every segment but a SYN or one
 * with SACK blocks): the fields pkt_build3 would read, without the rest of struct tcp_opts. */
struct tcp_plain_seg {
    uint32_t saddr, daddr; /* IPv4 host order */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;         /* TCP_*, not TCP_SYN */
    bool has_ts;           /* carries NOP, NOP, timestamps (TCP_OPTLEN_TS bytes) */
    uint16_t wnd;          /* raw (unscaled) window field */
    uint32_t tsval, tsecr; /* valid if has_ts */
    uint32_t len;          /* payload bytes */
    const uint8_t *data;   /* the first len - tail_len of them */
};
/* pkt_build3 for such a segment (urgent pointer 0): the same bytes, without laying out
 * options it does not carry (test_packet holds the two to the same datagrams). */
size_t pkt_build_plain(void *buf, size_t cap, const struct tcp_plain_seg *seg, uint16_t ip_id,
                       const void *tail, uint32_t tail_len, bool csum_partial);
/* ---- ICMP (RFC 792) ---- */
#define ICMP_HDR_LEN 8 /* type, code, checksum, 4 bytes that depend on the type */
#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROB 12
/* Destination unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1) */
#define ICMP_NET_UNREACH 0
#define ICMP_HOST_UNREACH 1
#define ICMP_PROT_UNREACH 2
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMP_UNREACH_CODES 16 /* 0..15 are defined */

/* A parsed ICMP message (host order). */
struct icmp_msg {
    uint8_t type, code;
    uint32_t rest;       /* the 4 octets after the checksum: an echo's identifier and
                          * sequence number, "fragmentation needed"'s next-hop MTU (low 16) */
    const uint8_t *body; /* what follows the 8-byte header (points into the packet) */
    size_t len;          /* its length */
};
/* Check an ICMP message of len bytes (the IP payload): at least 8 bytes, and its checksum
 * (RFC 792: the one's complement sum of the whole message) verifies. */
enum pkt_status icmp_parse(const void *p, size_t len, struct icmp_msg *m);
/* The TCP segment an ICMP error quotes (RFC 792: the IP header and the first 64 bits of the
 * datagram's data; RFC 1122 3.2.2: at least that much): its addresses, ports and sequence
 * number. -1 unless the quote is an IPv4 header and 8 octets of TCP. */
struct tcp_quote {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint32_t seq;
};
int icmp_quote_tcp(const struct icmp_msg *m, struct tcp_quote *q);
/* Build an IPv4 datagram carrying an ICMP message (IP header as pkt_build's, protocol 1):
 * type, code, the 4 octets `rest`, then blen bytes of body, checksummed. Returns the total
 * length, or 0 if it does not fit in cap. */
size_t icmp_build(void *buf, size_t cap, uint32_t saddr, uint32_t daddr, uint8_t type, uint8_t code,
                  uint32_t rest, const void *body, size_t blen, uint16_t ip_id);

/* Option bytes pkt_build would emit for these options (for MSS/window budgeting). */
size_t tcp_opts_len(const struct tcp_opts *o);

#endif /* TCPFSM_PACKET_H */
