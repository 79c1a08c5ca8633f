/*
 * checksum.h — the Internet checksum (RFC 1071) with a 64-bit accumulator.
 *
 * The one's-complement sum does not depend on byte order (RFC 1071 2(B)), so data is summed
 * in native order and the folded result is already the field value to store with memcpy.
 */
#ifndef TCPFSM_CHECKSUM_H
#define TCPFSM_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add bytes to a one's-complement accumulator (64-bit accumulator, 8 bytes at a time).
 * `acc` chains: all chunks but the last must have even length. */
uint64_t csum_add(uint64_t acc, const void *data, size_t len);
/* Copy len bytes from src to dst and add them to `acc` in the same pass (the data is read
 * once), as csum_add(acc, dst, len) after memcpy(dst, src, len) would. Same chaining rule. */
uint64_t csum_copy(uint64_t acc, void *dst, const void *src, size_t len);
/* Fold to 16 bits and complement: the field value (network order bytes as stored by memcpy). */
uint16_t csum_fold(uint64_t acc);
/* csum_fold(csum_add(0, data, len)) */
uint16_t inet_checksum(const void *data, size_t len);
/* Pseudo-header accumulator for TCP over IPv4 (addresses host order, len = TCP header+data).
 * RFC 9293 3.1: source, destination, zero, protocol, TCP length. */
uint64_t csum_pseudo_ipv4(uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t len);

#endif /* TCPFSM_CHECKSUM_H */
