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
#include <string.h>

/* Add bytes to a one's-complement accumulator (64-bit accumulator, 8 bytes at a time).
 * `acc` chains: all chunks but the last must have even length. */
uint64_t csum_add(uint64_t acc, const void *data, size_t len);
/* Copy len bytes from src to dst and add them to `acc` in the same pass (the data is read
 * once), as csum_add(acc, dst, len) after memcpy(dst, src, len) would. Same chaining rule. */
uint64_t csum_copy(uint64_t acc, void *dst, const void *src, size_t len);
/* csum_add(acc, data, len) for len a multiple of 4, inline: a header (IPv4, TCP: at most 60
 * bytes) is summed on every packet, where csum_add's call and its general tail cost more than
 * the few words themselves. A 64-bit sum of 32-bit words cannot overflow below 2^32 words. */
static inline uint64_t csum_add_words(uint64_t acc, const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t s = 0;
    size_t i = 0;
    uint32_t w, v;
    for (; i + 8 <= len; i += 8) { /* two words a turn: half the loop's own instructions */
        memcpy(&w, p + i, sizeof w);
        memcpy(&v, p + i + 4, sizeof v);
        s += (uint64_t)w + v;
    }
    if (i < len) {
        memcpy(&w, p + i, sizeof w);
        s += w;
    }
    s += acc;
    return s + (s < acc); /* the carry out of bit 63 wraps around (2^64 = 1 mod 0xffff) */
}
/* Fold to 16 bits and complement: the field value (network order bytes as stored by memcpy).
 * Inline, as the per-packet callers of csum_add_words. */
static inline uint16_t csum_fold(uint64_t acc)
{
    /* Each step adds a word's two halves with the end-around carry: the high half of
     * x + (x rotated by half its width) is hi + lo + the carry out of lo + hi. Only 0 folds
     * to 0, so the result is the one value in 1..0xffff congruent to acc mod 0xffff. */
    uint32_t s = (uint32_t)((acc + (acc >> 32 | acc << 32)) >> 32);
    s = (s + (s >> 16 | s << 16)) >> 16;
    return (uint16_t)~s;
}
/* csum_fold(csum_add(0, data, len)) */
uint16_t inet_checksum(const void *data, size_t len);
/* Pseudo-header accumulator for TCP over IPv4 (addresses host order, len = TCP header+data).
 * RFC 9293 3.1: source, destination, zero, protocol, TCP length, summed as 16-bit words by
 * value (RFC 1071 2(B): the sum of the byte-swapped words is the byte-swapped sum), folded,
 * then put in the native order the data sums use. Never 0: the protocol is not. */
static inline uint64_t csum_pseudo_ipv4(uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t len)
{
    uint64_t s = (uint64_t)(saddr >> 16) + (saddr & 0xffffu) + (daddr >> 16) + (daddr & 0xffffu) +
                 proto + len;
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return s;
#else
    return (uint64_t)(uint16_t)((s >> 8) | (s << 8));
#endif
}

#endif /* TCPFSM_CHECKSUM_H */
