/*
 * memlink.h — an in-memory IPv4 (or Ethernet) link between stacks on a virtual clock, with
 * seeded, reproducible impairments per direction (delay, jitter, loss, reordering, duplication,
 * corruption, rate limit with a bounded queue, blackout), and a checksum offload switch that
 * trusts checksums as Linux's loopback does (memlink_set_csum_offload).
 *
 * memlink_send only queues (never delivers re-entrantly), so a stack's output callback never
 * recurses into another stack's input. Deterministic: same seed + same sends → same
 * deliveries.
 */
#ifndef TCPFSM_MEMLINK_H
#define TCPFSM_MEMLINK_H

#include <stddef.h>
#include <stdint.h>

#include "pcap.h"

/* Packets are copied; longer ones are dropped (counted as lost). Larger than the IPv4
 * maximum on purpose, so tests can push oversized datagrams at a receiver. */
#define MEMLINK_MAX_PKT (128u * 1024u)
#define MEMLINK_DEFAULT_QUEUE_LIMIT 1000u

struct memlink;
struct memlink_impair {           /* per direction; all zero = perfect link */
    uint32_t delay_us, jitter_us; /* one-way delay, + uniform [0, jitter] */
    double loss;                  /* probability a packet is dropped */
    double reorder; /* probability a packet is held back by an extra delay (reorder_delay_us) */
    uint32_t reorder_delay_us;
    double duplicate;     /* probability a packet is delivered twice */
    double corrupt;       /* probability 1..3 random bit flips in the packet */
    uint64_t rate_bps;    /* 0 = unlimited; else serialization delay len*8/rate */
    uint32_t queue_limit; /* packets queued for the rate limiter before tail drop (0 = 1000) */
    uint64_t blackout_from_us, blackout_until_us; /* drop everything in [from, until) */
};
struct memlink_stats {
    uint64_t sent, delivered, lost, duplicated, corrupted, reordered, queue_drops;
};

struct memlink *memlink_new(uint64_t seed, uint64_t now_us);
void memlink_free(struct memlink *l);
/* An endpoint is an IPv4 address; packets are routed by destination address. */
int memlink_attach(struct memlink *l, uint32_t addr,
                   void (*deliver)(void *arg, const void *pkt, size_t len),
                   void *arg); /* returns endpoint id >= 0 */
void memlink_set_impair(struct memlink *l, uint32_t from_addr, uint32_t to_addr,
                        const struct memlink_impair *im);
/* Ethernet mode: the endpoint (still named by its IPv4 address for impairments and stats)
 * exchanges Ethernet frames, routed by destination MAC; a group destination (broadcast,
 * multicast) reaches every other endpoint. A link is in one mode: mixing attach calls is
 * -EINVAL; a MAC attached twice is -EEXIST. Returns the endpoint id >= 0. */
int memlink_attach_ether(struct memlink *l, uint32_t addr, const uint8_t mac[6],
                         void (*deliver)(void *arg, const void *pkt, size_t len), void *arg);
/* The same as memlink_attach, the delivery callback taking the flags of tcpfsm_input_ex: 0, or
 * TCPFSM_IN_CSUM_VALID while the link's checksum offload is on (memlink_set_csum_offload).
 * IPv4 mode only (-EINVAL on an Ethernet link). */
int memlink_attach_ex(struct memlink *l, uint32_t addr,
                      void (*deliver)(void *arg, const void *pkt, size_t len, unsigned flags),
                      void *arg);
/* Checksum offload as Linux's loopback does it (off by default: every checksum is computed
 * and checked, as tests want). On, a packet delivered to an endpoint attached with
 * memlink_attach_ex carries TCPFSM_IN_CSUM_VALID: its TCP checksum is not summed again, so
 * senders may leave it to the link (TCPFSM_F_CSUM_OFFLOAD: the field holds only the
 * pseudo-header's sum, and so does a pcap of the link). A packet the link corrupted is
 * delivered without the flag (a device that checks checksums would not vouch for it), so the
 * receiver sums it and drops it. Endpoints attached with memlink_attach are never told. */
void memlink_set_csum_offload(struct memlink *l, int on);
/* Queue a packet sent by `from_addr` (typically called from a stack's output callback). */
void memlink_send(struct memlink *l, uint32_t from_addr, const void *pkt, size_t len);
uint64_t memlink_next_delivery(const struct memlink *l); /* UINT64_MAX if nothing queued */
/* Deliver, in time order, every packet due at or before now (deliveries may send more). */
size_t memlink_advance(struct memlink *l, uint64_t now_us);
void memlink_set_pcap(struct memlink *l,
                      struct pcap_writer *w); /* record every packet sent (as sent) */
void memlink_get_stats(const struct memlink *l, uint32_t from_addr, uint32_t to_addr,
                       struct memlink_stats *s);

#endif /* TCPFSM_MEMLINK_H */
