/*
 * seq.h — wrap-safe sequence number arithmetic (RFC 9293 3.4).
 *
 * Sequence space is modulo 2^32; a plain `<` breaks at wraparound. Every comparison goes
 * through the signed 32-bit difference, valid while the two numbers are less than 2^31 apart
 * (RFC 1982 serial number arithmetic, which TCP windows never exceed: RFC 7323 2.3 caps the
 * window at 2^30).
 */
#ifndef TCPFSM_SEQ_H
#define TCPFSM_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* (int32_t)(a - b), computed without implementation-defined conversion. */
static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    return d <= INT32_MAX ? (int32_t)d : -(int32_t)(~d) - 1;
}
static inline bool seq_lt(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) < 0;
}
static inline bool seq_leq(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) <= 0;
}
static inline bool seq_gt(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) > 0;
}
static inline bool seq_geq(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) >= 0;
}
/* lo <= x < hi modulo 2^32 (RFC 9293 3.4 style): true iff x is within the half-open range
 * walking forward from lo. An empty range (lo == hi) contains nothing. */
static inline bool seq_between(uint32_t lo, uint32_t x, uint32_t hi)
{
    return (uint32_t)(x - lo) < (uint32_t)(hi - lo);
}
/* x in [start, start + len) — a window of len octets starting at start. */
static inline bool seq_in_window(uint32_t x, uint32_t start, uint32_t len)
{
    return (uint32_t)(x - start) < len;
}
static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
    return seq_gt(a, b) ? a : b;
}
static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
    return seq_lt(a, b) ? a : b;
}

#endif /* TCPFSM_SEQ_H */
