/*
 * icmp.h — the ip room's header. ICMP for IPv4 (RFC 792, RFC 1122 3.2.2): the IP layer's second
 * protocol next to TCP. tcpfsm_input (ip_input.c) validates the IP header (ip_parse, packet.c) and
 * hands ICMP messages here; datagrams of a protocol the stack does not speak are answered with
 * protocol unreachable from here too.
 */
#ifndef TCPFSM_IP_ICMP_H
#define TCPFSM_IP_ICMP_H

#include <stdint.h>

#include "packet.h"

struct tcpfsm_stack;

/* Every ICMP message the stack sends (echo replies, protocol unreachable) takes a token from
 * one bucket of ICMP_RATE_BURST tokens refilled at ICMP_RATE_PER_SEC (Linux's
 * icmp_msgs_burst and icmp_msgs_per_sec); none left: not sent, IcmpOutRateLimited counts it
 * (RFC 1122 3.2.2: "the rate of ICMP error messages SHOULD be limited"). */
#define ICMP_RATE_PER_SEC 1000u
#define ICMP_RATE_BURST 50u
/* The smallest path MTU "fragmentation needed" may lower a connection to: Linux's min_pmtu
 * (552, so MSS 512). RFC 791's 68 would let a forged message cut every segment to 28 bytes
 * of text (RFC 5927 7.2 discusses this attack); a smaller next-hop MTU, or 0 from a router
 * that predates RFC 1191, is taken as this floor. */
#define ICMP_PMTU_MIN 552u
/* Bytes of the offending datagram an ICMP error of ours quotes: its IP header and data up
 * to a 576-byte error message (RFC 1812 4.3.2.3; RFC 1122 3.2.2 asks for at least 8). */
#define ICMP_QUOTE_MAX (576u - IPV4_HDR_LEN - ICMP_HDR_LEN)

/* An ICMP message for us (ip: the datagram, h: its validated header). Returns 0 when it was
 * taken (an echo answered, an error given to its connection), else a negative errno as
 * tcpfsm_input's: -EINVAL malformed or refused by RFC 5927's checks, -EBADMSG checksum,
 * -ENOENT no connection for the error. */
int icmp_input(struct tcpfsm_stack *st, const uint8_t *ip, const struct ip_hdr *h);
/* A datagram of a protocol the stack does not speak: RFC 1122 3.2.2.1 protocol unreachable
 * (rate-limited). Always -EPROTONOSUPPORT, for tcpfsm_input to return. */
int icmp_unknown_protocol(struct tcpfsm_stack *st, const uint8_t *ip, const struct ip_hdr *h);

#endif /* TCPFSM_IP_ICMP_H */
