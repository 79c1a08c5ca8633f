/*
 * link.h — inside the link layer (runtime/link/): the Ethernet context shared by eth.c
 * (framing, the stack's side) and arp.c (RFC 826 resolution, the neighbour cache).
 * The public face is the link section of tcpfsm.h.
 */
#ifndef TCPFSM_LINK_H
#define TCPFSM_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "tcpfsm.h"

#define ETH_HDR_LEN 14
#define ETH_MIN_FRAME 60 /* without the FCS: shorter frames are padded (IEEE 802.3 3.2.8) */
#define ETH_TYPE_IPV4 0x0800u
#define ETH_TYPE_ARP 0x0806u
#define ARP_PKT_LEN 28 /* RFC 826 for Ethernet/IPv4: hrd, pro, hln, pln, op, sha, spa, tha, tpa */
#define ARP_OP_REQUEST 1u
#define ARP_OP_REPLY 2u

extern const uint8_t eth_broadcast[6];

/* A packet waiting for its next hop's address. */
struct arp_pending {
    struct arp_pending *next;
    size_t len;
    uint8_t data[];
};

enum arp_state {
    ARP_FREE,       /* unused slot */
    ARP_INCOMPLETE, /* requests going out, packets queued */
    ARP_REACHABLE,  /* confirmed less than reachable_us ago */
    ARP_REFRESH,    /* expired while in use: still used, requests going out */
};

struct arp_entry {
    uint32_t addr;                   /* IPv4 next hop, host order */
    uint8_t mac[6];                  /* valid in REACHABLE and REFRESH */
    uint8_t state;                   /* enum arp_state */
    uint8_t used;                    /* a packet went out through it since it was confirmed */
    uint32_t tries;                  /* requests sent in this resolution */
    uint32_t nqueued;                /* packets in the queue */
    tcpfsm_time_t due;               /* next request (INCOMPLETE, REFRESH) or expiry */
    tcpfsm_time_t confirmed;         /* last confirmation (creation while INCOMPLETE) */
    struct arp_pending *head, *tail; /* waiting packets, oldest first */
};

struct tcpfsm_eth {
    struct tcpfsm_eth_config cfg; /* defaults filled in */
    struct tcpfsm_stack *st;
    struct arp_entry *cache;
    uint32_t last_hit; /* index of the entry the last lookup found */
    tcpfsm_time_t now, next_due;
    struct tcpfsm_eth_stats stats;
    uint8_t *frame; /* scratch for one outgoing frame: mtu + header, at least 60 bytes */
};

/* eth.c: frame `len` bytes of `payload` to `dst` and hand it to cfg.output. */
void eth_send(struct tcpfsm_eth *eth, const uint8_t dst[6], uint16_t type, const void *payload,
              size_t len);
int eth_on_link(const struct tcpfsm_eth *eth, uint32_t addr);

/* arp.c */
void arp_input(struct tcpfsm_eth *eth, const uint8_t *pkt, size_t len);
/* Send an IPv4 datagram to on-link next hop `hop`, resolving it first if need be. */
void arp_output(struct tcpfsm_eth *eth, uint32_t hop, const void *pkt, size_t len);
/* ARP request for `target`, broadcast, or unicast to `dst` when not NULL; our own address as
 * target with sender = target is the RFC 5227 announcement. */
void arp_request(struct tcpfsm_eth *eth, uint32_t target, const uint8_t *dst);
void arp_advance(struct tcpfsm_eth *eth);
struct arp_entry *arp_find(const struct tcpfsm_eth *eth, uint32_t addr);
void arp_free_all(struct tcpfsm_eth *eth);

#endif /* TCPFSM_LINK_H */
