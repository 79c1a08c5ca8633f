/*
 * syncookie.c — SYN cookies (RFC 4987 3.6): when a listener's SYN queue is full, the SYN-ACK's
 * ISS encodes what the connection needs, so no state is kept until the ACK returns.
 *
 * ISS = H1(4-tuple) + SEG.SEQ(SYN) + (count << 24) + ((H2(4-tuple, count) + data) mod 2^24)
 * where count is a one-minute counter and H1/H2 are SipHash-2-4 under the stack's secret. The
 * 8-bit `data` carries the MSS class, the peer's window scale and SACK/timestamp permission.
 * A cookie is valid for two counter values (1-2 minutes); the 16 bits above `data` must come
 * back zero, so a blind guess passes with probability 2^-16 per counter value tried.
 */
#include <string.h>
#include "siphash.h"
#include "tcp_layer.h"

#define COOKIE_BITS 24
#define COOKIE_MASK ((1u << COOKIE_BITS) - 1)
#define COOKIE_MAX_AGE 1u /* counter values back in time a cookie is still accepted */

/* MSS classes (what Linux's msstab covers): the peer gets the largest not above its offer. */
static const uint16_t mss_class[4] = {536, 1300, 1440, 1460};

static uint32_t h(const struct tcpfsm_stack *st, const struct tcp_seg *s, bool with_count,
                  uint32_t count)
{
    uint8_t k[17];
    memcpy(k, &s->saddr, 4);
    memcpy(k + 4, &s->daddr, 4);
    memcpy(k + 8, &s->sport, 2);
    memcpy(k + 10, &s->dport, 2);
    memcpy(k + 12, &count, 4);
    k[16] = with_count;
    return (uint32_t)siphash24(st->isn_key, k, with_count ? 17 : 12);
}

static uint32_t minute(const struct tcpfsm_stack *st)
{
    return (uint32_t)(st->now / 60000000u);
}

uint16_t syncookie_mss(uint8_t data)
{
    return mss_class[data & 3];
}

uint8_t syncookie_data(const struct tcp_seg *syn, uint16_t our_mss, uint32_t flags)
{
    uint16_t peer = syn->opt.has_mss ? syn->opt.mss : 536;
    if (peer > our_mss) peer = our_mss;
    uint8_t idx = 0;
    for (uint8_t i = 0; i < 4; i++)
        if (mss_class[i] <= peer) idx = i;
    uint8_t ws = syn->opt.has_wscale && !(flags & TCPFSM_F_NO_WSCALE) ? syn->opt.wscale : 15;
    return (uint8_t)(idx | (ws << 2) | ((syn->opt.sack_ok && !(flags & TCPFSM_F_NO_SACK)) << 6) |
                     ((syn->opt.has_ts && !(flags & TCPFSM_F_NO_TIMESTAMPS)) << 7));
}

uint32_t syncookie_make(const struct tcpfsm_stack *st, const struct tcp_seg *syn, uint8_t data)
{
    uint32_t c = minute(st);
    return h(st, syn, false, 0) + syn->seq + (c << COOKIE_BITS) +
           ((h(st, syn, true, c) + data) & COOKIE_MASK);
}

/* The ACK of a cookie SYN-ACK: SEG.ACK - 1 is the cookie, SEG.SEQ - 1 the client's ISN. */
bool syncookie_check(const struct tcpfsm_stack *st, const struct tcp_seg *ack, uint8_t *data)
{
    if ((ack->flags & (TCP_SYN | TCP_RST | TCP_ACK)) != TCP_ACK) return false;
    uint32_t c = ack->ack - 1 - h(st, ack, false, 0) - (ack->seq - 1);
    uint32_t now = minute(st);
    uint32_t age = (now - (c >> COOKIE_BITS)) & (0xffffffffu >> COOKIE_BITS);
    if (age > COOKIE_MAX_AGE) return false;
    uint32_t d = (c - h(st, ack, true, now - age)) & COOKIE_MASK;
    if (d > 0xffu) return false;
    if (((d >> 2) & 15) > TCP_MAX_WSCALE && ((d >> 2) & 15) != 15) return false;
    *data = (uint8_t)d;
    return true;
}
