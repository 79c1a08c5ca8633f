/*
 * rtt.c — the RFC 6298 retransmission-timeout estimator.
 *
 * Integer microseconds. Every intermediate is 64-bit, so no input (up to UINT32_MAX us) can
 * overflow: 7 * SRTT + R < 2^35 and SRTT + K * RTTVAR < 2^35. The gains are applied with
 * truncating division (alpha = 1/8, beta = 1/4 as RFC 6298 2.3 recommends).
 */
#include "rtt.h"

#define RTT_G_US 1000u               /* RFC 6298 2.2/2.3: clock granularity G, 1 ms */
#define RTT_K 4u                     /* RFC 6298 2.2: K = 4 */
#define RTT_SYN_FALLBACK_US 3000000u /* RFC 6298 5.7: the RTO after a SYN timed out, 3 s */
/* Doublings beyond 32 cannot change anything: any RTO >= 1 us shifted by 32 exceeds every
 * uint32 rto_max. Capping keeps the shift in rtt_current_rto below 64 (no UB). */
#define RTT_BACKOFF_CAP 32u

static uint32_t rto_from(const struct rtt_est *r, uint32_t rto_min_us, uint32_t rto_max_us)
{
    /* RFC 6298 2.2/2.3: RTO <- SRTT + max(G, K * RTTVAR). */
    uint64_t var = (uint64_t)RTT_K * r->rttvar_us;
    uint64_t rto = (uint64_t)r->srtt_us + (var > RTT_G_US ? var : RTT_G_US);
    /* RFC 6298 2.4: a minimum (1 s recommended; the caller chooses). */
    if (rto < rto_min_us) rto = rto_min_us;
    /* RFC 6298 2.5: a maximum may be placed on RTO (at least 60 s); it wins over the min. */
    if (rto > rto_max_us) rto = rto_max_us;
    return (uint32_t)rto;
}

void rtt_init(struct rtt_est *r, uint32_t rto_initial_us)
{
    /* RFC 6298 2.1: until a measurement is made, RTO = the initial value (1 s recommended). */
    r->srtt_us = 0;
    r->rttvar_us = 0;
    r->rto_us = rto_initial_us;
    r->backoff = 0;
    r->has_sample = 0;
    r->pad_ = 0;
}

void rtt_sample(struct rtt_est *r, uint32_t rtt_us, uint32_t rto_min_us, uint32_t rto_max_us)
{
    if (!r->has_sample) {
        /* RFC 6298 2.2: first measurement R: SRTT <- R, RTTVAR <- R/2. */
        r->srtt_us = rtt_us;
        r->rttvar_us = rtt_us / 2;
        r->has_sample = 1;
    } else {
        /* RFC 6298 2.3: RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'| first (with the old
         * SRTT), then SRTT <- (1 - alpha) * SRTT + alpha * R'; alpha = 1/8, beta = 1/4. */
        uint32_t dev = r->srtt_us > rtt_us ? r->srtt_us - rtt_us : rtt_us - r->srtt_us;
        r->rttvar_us = (uint32_t)((3 * (uint64_t)r->rttvar_us + dev) / 4);
        r->srtt_us = (uint32_t)((7 * (uint64_t)r->srtt_us + rtt_us) / 8);
    }
    r->rto_us = rto_from(r, rto_min_us, rto_max_us);
    /* RFC 6298 5.5/5.7: a new valid sample ends the backoff; RTO is recomputed from SRTT. */
    r->backoff = 0;
}

void rtt_syn_timed_out(struct rtt_est *r, uint32_t rto_initial_us, uint32_t rto_max_us)
{
    /* RFC 6298 5.7: "If the timer expires awaiting the ACK of a SYN segment and the TCP
     * implementation is using an RTO less than 3 seconds, the RTO MUST be re-initialized to 3
     * seconds when data transmission begins". The SYN's backoff ends with it; a configured
     * initial RTO above 3 s stays; the maximum (2.5) wins. */
    uint32_t rto = rto_initial_us > RTT_SYN_FALLBACK_US ? rto_initial_us : RTT_SYN_FALLBACK_US;
    r->rto_us = rto < rto_max_us ? rto : rto_max_us;
    r->backoff = 0;
}

void rtt_backoff(struct rtt_est *r)
{
    /* RFC 6298 5.5: RTO <- RTO * 2 ("back off the timer"). Kept as a shift count; the
     * saturation at the maximum (RFC 6298 2.5) is applied by rtt_current_rto. */
    if (r->backoff < RTT_BACKOFF_CAP) r->backoff++;
}

uint32_t rtt_current_rto(const struct rtt_est *r, uint32_t rto_max_us)
{
    /* RFC 6298 5.5 + 2.5: rto_us doubled `backoff` times, never above the maximum. */
    unsigned shift = r->backoff < RTT_BACKOFF_CAP ? r->backoff : RTT_BACKOFF_CAP;
    uint64_t rto = (uint64_t)r->rto_us << shift; /* < 2^64: rto_us < 2^32, shift <= 32 */
    return rto > rto_max_us ? rto_max_us : (uint32_t)rto;
}
