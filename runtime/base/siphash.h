/*
 * siphash.h — SipHash-2-4 (Aumasson & Bernstein, 2012), the keyed hash for connection lookup
 * (hash-flood safe) and for RFC 6528 initial sequence numbers.
 */
#ifndef TCPFSM_SIPHASH_H
#define TCPFSM_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif /* TCPFSM_SIPHASH_H */
