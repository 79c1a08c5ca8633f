/*
 * siphash.c — SipHash-2-4: 2 compression rounds per 8-byte word, 4 finalization rounds
 * (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012), and the tables' SipHash-1-3
 * of a 4-tuple. Key and message words are little-endian whatever the host, and any alignment
 * works.
 */
#include "siphash.h"

#include <string.h>

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_LE 1 /* a word's bytes in memory, read little-endian, are its value */
#else
#define HOST_LE 0
#endif

static inline uint64_t le64(const uint8_t *p)
{
#if HOST_LE
    uint64_t v; /* one load (the compilers do not see it in the shifts) */
    memcpy(&v, p, sizeof v);
    return v;
#else
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
#endif
}

#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = rotl64(v1, 13);                                                                       \
        v1 ^= v0;                                                                                  \
        v0 = rotl64(v0, 32);                                                                       \
        v2 += v3;                                                                                  \
        v3 = rotl64(v3, 16);                                                                       \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = rotl64(v3, 21);                                                                       \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = rotl64(v1, 17);                                                                       \
        v1 ^= v2;                                                                                  \
        v2 = rotl64(v2, 32);                                                                       \
    } while (0)

/* The last message word b (its 2 compression rounds) and the 4 finalization rounds. Always
 * inlined: GCC keeps it a call otherwise, which costs a 12-byte hash about a tenth more. */
__attribute__((always_inline)) static inline uint64_t sip_last(uint64_t v0, uint64_t v1,
                                                               uint64_t v2, uint64_t v3, uint64_t b)
{
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t k0 = le64(key), k1 = le64(key + 8);
    /* The paper's initialization constants: "somepseudorandomlygeneratedbytes". */
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
    uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
    uint64_t v3 = k1 ^ 0x7465646279746573ULL;
    size_t left = len;

    for (; left >= 8; left -= 8, p += 8) {
        uint64_t m = le64(p);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    /* Last word: remaining bytes, and the message length mod 256 in the top byte. */
    uint64_t b = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < left; i++)
        b |= (uint64_t)p[i] << (8 * i);
    return sip_last(v0, v1, v2, v3, b);
}

/* The message words of a 4-tuple's 12 bytes (laddr, raddr, lport, rport as they lie in
 * memory): m, the addresses, then b, the ports and the length. On a little-endian host the
 * bytes read little-endian are the values themselves. */
static inline uint64_t tuple_m(uint32_t la, uint32_t ra)
{
#if HOST_LE
    return (uint64_t)ra << 32 | la;
#else
    uint8_t k[8];
    memcpy(k, &la, 4);
    memcpy(k + 4, &ra, 4);
    return le64(k);
#endif
}

static inline uint64_t tuple_b(uint16_t lp, uint16_t rp)
{
#if HOST_LE
    return (uint64_t)12 << 56 | (uint64_t)rp << 16 | lp;
#else
    uint8_t k[4];
    memcpy(k, &lp, 2);
    memcpy(k + 2, &rp, 2);
    return (uint64_t)12 << 56 | (uint64_t)k[0] | (uint64_t)k[1] << 8 | (uint64_t)k[2] << 16 |
           (uint64_t)k[3] << 24;
#endif
}

/* siphash24 of a 4-tuple's 12 bytes under the key words k0, k1. */
__attribute__((always_inline)) static inline uint64_t
sip24_tuple(uint64_t k0, uint64_t k1, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    uint64_t m = tuple_m(la, ra), b = tuple_b(lp, rp);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    v3 ^= m;
    SIPROUND;
    SIPROUND;
    v0 ^= m;
    return sip_last(v0, v1, v2, v3, b);
}

uint64_t siphash24_tuple(const uint8_t key[16], uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    return sip24_tuple(le64(key), le64(key + 8), la, lp, ra, rp);
}

/* The tables' hash is SipHash-1-3 (1 compression round per word, 3 finalization rounds), not
 * the paper's 2-4. What a table needs from its hash is that nobody without the key can choose
 * tuples that collide (hash flooding: long probe runs on every segment), and a keyed
 * SipHash-1-3 is what Python's str/bytes hash and Rust's HashMap rely on for exactly that;
 * the key stays the stack's secret hash_key. Its values only place entries and are never sent.
 * The RFC 6528 ISN, which is sent and must not be guessable (section 3: F a PRF), keeps the
 * full SipHash-2-4 (siphash24_tuple), under its own key. 5 rounds instead of 8 per tuple: with
 * 1,000 connections in flight most segments hash their tuple. */
uint32_t tuple_hash_new(struct tuple_hasher *th, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    uint64_t m = tuple_m(la, ra), b = tuple_b(lp, rp);
    uint64_t v0 = th->k0 ^ 0x736f6d6570736575ULL, v1 = th->k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = th->k0 ^ 0x6c7967656e657261ULL, v3 = th->k1 ^ 0x7465646279746573ULL;
    v3 ^= m;
    SIPROUND;
    v0 ^= m;
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    th->addrs = (uint64_t)ra << 32 | la;
    th->ports = (uint32_t)rp << 16 | lp;
    th->h = (uint32_t)(v0 ^ v1 ^ v2 ^ v3);
    return th->h;
}

void tuple_hasher_init(struct tuple_hasher *th, const uint8_t key[16])
{
    th->k0 = le64(key);
    th->k1 = le64(key + 8);
    (void)tuple_hash_new(th, 0, 0, 0, 0); /* something true to remember */
}
