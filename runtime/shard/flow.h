/*
 * flow.h — which shard owns a received packet: the flow it belongs to, read from its headers
 * without validating them (the owner's stack does that), and the keyed hash of the flow.
 */
#ifndef TCPFSM_SHARD_FLOW_H
#define TCPFSM_SHARD_FLOW_H

#include <stddef.h>
#include <stdint.h>

/* A flow from our side: we are laddr:lport, the peer raddr:rport (host order). */
struct shard_flow {
    uint32_t laddr, raddr;
    uint16_t lport, rport;
};

/* The flow of a received IPv4 datagram: a TCP segment's (its destination is us), or for an
 * ICMP error the flow of the TCP segment it quotes (one we sent: its source is us). 1 when
 * found; 0 for everything else (ICMP queries, fragments, other protocols, too short to
 * tell), which any shard may handle. */
int shard_flow_of(const uint8_t *pkt, size_t len, struct shard_flow *f);

/* SipHash-2-4 of the flow under key, mod n (n >= 1). */
unsigned shard_flow_owner(const uint8_t key[16], unsigned n, const struct shard_flow *f);

#endif /* TCPFSM_SHARD_FLOW_H */
