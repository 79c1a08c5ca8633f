/*
 * rtt.h — the RFC 6298 retransmission-timeout estimator (SRTT, RTTVAR, RTO, backoff).
 * Microseconds throughout; 16 bytes, embedded in the TCB.
 */
#ifndef TCPFSM_RTT_H
#define TCPFSM_RTT_H
#include <stdbool.h>
#include <stdint.h>

struct rtt_est {
    uint32_t srtt_us; /* 0 until the first sample */
    uint32_t rttvar_us;
    uint32_t rto_us; /* current RTO without backoff, already clamped to [min, max] */
    uint8_t backoff; /* number of doublings since the last valid sample (RFC 6298 5.5) */
    uint8_t has_sample;
    uint16_t pad_;
};

/* RFC 6298 2.1: before any sample RTO = initial. */
void rtt_init(struct rtt_est *r, uint32_t rto_initial_us);
/* A valid RTT measurement (Karn: never from a retransmitted segment unless timestamps).
 * RFC 6298 2.2 (first) / 2.3 (subsequent), G = 1 ms clock granularity, then 2.4 (min) and
 * 2.5 (max). Resets the backoff. */
void rtt_sample(struct rtt_est *r, uint32_t rtt_us, uint32_t rto_min_us, uint32_t rto_max_us);
/* RFC 6298 5.7: the SYN (or SYN-ACK) was retransmitted: data starts with an RTO of at least
 * 3 s (rto_initial_us if larger, rto_max_us if smaller), not backed off. */
void rtt_syn_timed_out(struct rtt_est *r, uint32_t rto_initial_us, uint32_t rto_max_us);
/* RFC 6298 5.5: double the RTO for the next retransmission (saturating at rto_max). */
void rtt_backoff(struct rtt_est *r);
/* The RTO to arm now: rto_us << backoff, capped at rto_max_us. */
uint32_t rtt_current_rto(const struct rtt_est *r, uint32_t rto_max_us);
#endif /* TCPFSM_RTT_H */
