/*
 * siphash.h — SipHash (Aumasson & Bernstein, 2012): SipHash-2-4 for RFC 6528 initial
 * sequence numbers, SYN cookies and flow steering; the lighter SipHash-1-3 for the connection
 * tables (keyed, so still hash-flood safe; siphash.c says why).
 */
#ifndef TCPFSM_SIPHASH_H
#define TCPFSM_SIPHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);
/* siphash24 of a 4-tuple's 12 bytes (laddr, raddr, lport, rport as they lie in memory), with
 * the message words built from the values: the RFC 6528 ISN's F (isn.c). */
uint64_t siphash24_tuple(const uint8_t key[16], uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp);

/* The hash of every connection table: SipHash-1-3 of a 4-tuple's 12 bytes (laddr, raddr,
 * lport, rport as they lie in memory) under the stack's hash_key, computed with the key's
 * words loaded once. The stack's tables share one hasher, which remembers the tuple
 * hashed last: a segment's lookups in the connection, SYN-queue and TIME_WAIT tables (and a
 * miss followed by an insert) hash it once. The check for that repeat is inline (most calls
 * are repeats); the hasher always holds a tuple and its hash (init hashes the zero tuple), so
 * the check needs no validity flag. */
struct tuple_hasher {
    uint64_t k0, k1;
    uint64_t addrs; /* the tuple hashed last: raddr << 32 | laddr ... */
    uint32_t ports; /* ... rport << 16 | lport ... */
    uint32_t h;     /* ... and its hash */
};
void tuple_hasher_init(struct tuple_hasher *th, const uint8_t key[16]);
/* Hash a tuple other than the one remembered, and remember it. */
uint32_t tuple_hash_new(struct tuple_hasher *th, uint32_t la, uint16_t lp, uint32_t ra,
                        uint16_t rp);
static inline uint32_t tuple_hash(struct tuple_hasher *th, uint32_t la, uint16_t lp, uint32_t ra,
                                  uint16_t rp)
{
    if (th->addrs == ((uint64_t)ra << 32 | la) && th->ports == ((uint32_t)rp << 16 | lp))
        return th->h;
    return tuple_hash_new(th, la, lp, ra, rp);
}

#endif /* TCPFSM_SIPHASH_H */
