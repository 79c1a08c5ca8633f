/*
 * siphash.c — SipHash-2-4: 2 compression rounds per 8-byte word, 4 finalization rounds
 * (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012). Key and message words are
 * little-endian whatever the host, assembled from bytes so any alignment works.
 */
#include "siphash.h"

#include <string.h>

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

static inline uint64_t le64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
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

/* The last message word b (its 2 compression rounds) and the 4 finalization rounds. */
static inline uint64_t sip_last(uint64_t v0, uint64_t v1, uint64_t v2, uint64_t v3, uint64_t b)
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

uint32_t tuple_hash_new(struct tuple_hasher *th, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    /* siphash24 for exactly 12 bytes: one message word m (laddr, raddr), then the last word
     * b (lport, rport and the length) */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* the bytes as they lie in memory, read little-endian, are the values themselves */
    uint64_t m = (uint64_t)ra << 32 | la;
    uint64_t b = (uint64_t)12 << 56 | (uint64_t)rp << 16 | lp;
#else
    uint8_t k[12];
    memcpy(k, &la, 4);
    memcpy(k + 4, &ra, 4);
    memcpy(k + 8, &lp, 2);
    memcpy(k + 10, &rp, 2);
    uint64_t m = le64(k);
    uint64_t b = (uint64_t)12 << 56 | (uint64_t)k[8] | (uint64_t)k[9] << 8 | (uint64_t)k[10] << 16 |
                 (uint64_t)k[11] << 24;
#endif
    uint64_t v0 = th->k0 ^ 0x736f6d6570736575ULL, v1 = th->k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = th->k0 ^ 0x6c7967656e657261ULL, v3 = th->k1 ^ 0x7465646279746573ULL;
    v3 ^= m;
    SIPROUND;
    SIPROUND;
    v0 ^= m;
    th->addrs = (uint64_t)ra << 32 | la;
    th->ports = (uint32_t)rp << 16 | lp;
    th->h = (uint32_t)sip_last(v0, v1, v2, v3, b);
    return th->h;
}

void tuple_hasher_init(struct tuple_hasher *th, const uint8_t key[16])
{
    th->k0 = le64(key);
    th->k1 = le64(key + 8);
    (void)tuple_hash_new(th, 0, 0, 0, 0); /* something true to remember */
}
