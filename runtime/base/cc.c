/*
 * cc.c — congestion control: NewReno (RFC 5681 + RFC 6582, the default) and CUBIC (RFC 9438).
 *
 * Both algorithms share slow start (RFC 5681 3.1 with RFC 3465 byte counting, L = 1 SMSS) and
 * the RFC 6582 NewReno fast retransmit / fast recovery; they differ in the ssthresh chosen on a
 * loss and in the congestion-avoidance growth, which is what the ops table carries.
 *
 * Everything is bytes and integer math (no libm, no floating point). Additions saturate, so
 * the "infinite" initial ssthresh (UINT32_MAX / 2) and large windows cannot overflow.
 *
 * `recover` holds SND.NXT at the start of recovery (as Linux's high_seq and FreeBSD's
 * snd_recover do), i.e. one more than RFC 6582's "highest sequence number transmitted"; an
 * ACK therefore covers recover in the RFC's sense exactly when seq_geq(ack, recover), and
 * covers more than recover when seq_gt(ack, recover).
 *
 * RFC 6582 3.2 step 2's test ("does the ACK cover more than recover") matters only after a
 * timeout (step 4 records recover then: `after_rto`): a completed recovery's recover is
 * always covered by the ACK that completed it, so outside recovery and without a timeout
 * since, the test is true and is not made (a stale recover could only give wrong answers
 * after 2^31 bytes).
 *
 * Not implemented, because the API does not carry what it needs:
 *  - RFC 9438 4.2 evaluates W_cubic at t + RTT; cc_on_ack has no RTT, so t is used.
 */
#include "cc.h"

#include <stddef.h>

#include "seq.h"

_Static_assert(sizeof(struct cc) <= 40, "struct cc is embedded in the TCB: keep it <= 40 bytes");

#define CC_SSTHRESH_INF (UINT32_MAX / 2)
#define CC_DEFAULT_MSS 536u /* RFC 9293 3.7.1: the default send MSS */

static inline uint32_t add_sat(uint32_t a, uint32_t b)
{
    return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}
static inline uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

static uint32_t initial_window(uint32_t mss, uint32_t iw_segs)
{
    if (iw_segs == 0 || iw_segs == 10) {
        /* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)). */
        return min_u32(10 * mss, max_u32(2 * mss, 14600));
    }
    /* A configured IW of iw_segs full-sized segments (iw_segs <= 255, mss <= 65535). */
    return iw_segs * mss;
}

/* ---- the per-algorithm parts ---- */

struct cc_ops {
    const char *name;
    /* ssthresh after a loss detected by three duplicate ACKs (fast retransmit). */
    uint32_t (*ssthresh_on_loss)(struct cc *c, uint32_t flight);
    /* ssthresh after a retransmission timeout. */
    uint32_t (*ssthresh_on_rto)(struct cc *c, uint32_t flight);
    /* Congestion-avoidance growth for a cumulative ACK of `acked` new bytes (not in recovery,
     * cwnd >= ssthresh). */
    void (*ca_on_ack)(struct cc *c, uint32_t acked, uint32_t now_ms);
    /* Idle restart (after cwnd was reduced). */
    void (*on_idle)(struct cc *c);
};

/* NewReno */

static uint32_t reno_ssthresh(struct cc *c, uint32_t flight)
{
    /* RFC 5681 3.1 (4) / 3.2 (2): ssthresh = max(FlightSize / 2, 2*SMSS). */
    return max_u32(flight / 2, 2u * c->mss);
}

static void reno_ca_on_ack(struct cc *c, uint32_t acked, uint32_t now_ms)
{
    (void)now_ms;
    /* RFC 5681 3.1 / RFC 3465 2.1: appropriate byte counting in congestion avoidance:
     * bytes_acked += acked; once bytes_acked >= cwnd, bytes_acked -= cwnd and cwnd += SMSS. */
    c->bytes_acked = add_sat(c->bytes_acked, acked);
    if (c->bytes_acked >= c->cwnd) {
        c->bytes_acked -= c->cwnd;
        c->cwnd = add_sat(c->cwnd, c->mss);
    }
}

static void reno_on_idle(struct cc *c)
{
    (void)c;
}

/* CUBIC (RFC 9438). Constants: C = 0.4 segments / s^3, beta_cubic = 0.7,
 * alpha_cubic = 3 * (1 - beta) / (1 + beta) = 9/17. Time in ms, windows in bytes. */

/* floor(cbrt(x)), the digit-by-digit method (Hacker's Delight 11-2, widened to 64 bits). */
static uint32_t icbrt64(uint64_t x)
{
    uint64_t y = 0;
    for (int s = 63; s >= 0; s -= 3) {
        y <<= 1;
        uint64_t b = 3 * y * (y + 1) + 1; /* y < 2^21: no overflow */
        if ((x >> s) >= b) {
            x -= b << s;
            y++;
        }
    }
    return (uint32_t)y;
}

static uint32_t cubic_ssthresh(struct cc *c, uint32_t flight)
{
    /* RFC 9438 4.7 (fast convergence): a window below the last W_max means other flows are
     * taking bandwidth: W_max = cwnd * (1 + beta_cubic) / 2, else W_max = cwnd. */
    if (c->cwnd < c->w_max)
        c->w_max = (uint32_t)((uint64_t)c->cwnd * 17 / 20);
    else
        c->w_max = c->cwnd;
    /* RFC 9438 4.6: a new congestion avoidance epoch starts after the reduction. */
    c->epoch_start_ms = 0;
    /* RFC 9438 4.6: ssthresh = flight_size * beta_cubic, at least 2 segments (RFC 5681 (4)). */
    return max_u32((uint32_t)((uint64_t)flight * 7 / 10), 2u * c->mss);
}

static uint32_t cubic_ssthresh_rto(struct cc *c, uint32_t flight)
{
    /* RFC 9438 4.8: after a timeout ssthresh uses beta_cubic as in 4.6, and the next epoch
     * starts with K = 0 and W_max = cwnd at its start (w_max 0 makes cubic_epoch_start do
     * that). */
    c->w_max = 0;
    c->epoch_start_ms = 0;
    return max_u32((uint32_t)((uint64_t)flight * 7 / 10), 2u * c->mss);
}

static void cubic_epoch_start(struct cc *c, uint32_t now_ms)
{
    /* RFC 9438 4.2: t counts from the start of this congestion avoidance stage; 0 is the
     * "no epoch" marker, so a clock reading of 0 starts the epoch 1 ms late. */
    c->epoch_start_ms = now_ms ? now_ms : 1;
    c->bytes_acked = 0;
    /* RFC 9438 4.3: W_est starts at cwnd_epoch, the window at the start of the stage. */
    c->w_est = c->cwnd;
    if (c->w_max <= c->cwnd) {
        /* RFC 9438 4.8 / no loss yet: the origin is the current window, K = 0. */
        c->w_max = c->cwnd;
        c->k_ms = 0;
    } else {
        /* RFC 9438 4.2 (Figure 2): K = cbrt((W_max - cwnd_epoch) / C), in segments and seconds;
         * in ms: cbrt((W_max - cwnd_epoch) / mss * 1e9 / 0.4). (2^32 - 1) * 2.5e9 < 2^64. */
        uint64_t x = (uint64_t)(c->w_max - c->cwnd) * 2500000000u / c->mss;
        c->k_ms = icbrt64(x);
    }
}

/* RFC 9438 4.2 (Figure 1): W_cubic(t) = C * (t - K)^3 + W_max, in bytes, kept in uint32. */
static uint32_t cubic_w(const struct cc *c, uint32_t t_ms)
{
    int64_t d = (int64_t)t_ms - (int64_t)c->k_ms;
    uint64_t ad = (uint64_t)(d < 0 ? -d : d);
    if (ad > (1u << 20)) /* > 17 min from K: the result saturates anyway; keeps cube < 2^60 */
        ad = 1u << 20;
    /* 0.4 * d^3 / 1e9 segments = 4 * d^3 / 1e7 thousandths of a segment (< 2^62). */
    uint64_t milli_segs = ad * ad * ad * 4 / 10000000u;
    uint64_t off = milli_segs * c->mss / 1000; /* < 2^39 * 2^16 */
    if (d < 0) return off >= c->w_max ? 0 : c->w_max - (uint32_t)off;
    uint64_t w = c->w_max + off;
    return w > UINT32_MAX ? UINT32_MAX : (uint32_t)w;
}

static void cubic_ca_on_ack(struct cc *c, uint32_t acked, uint32_t now_ms)
{
    if (c->epoch_start_ms == 0) cubic_epoch_start(c, now_ms);
    uint32_t t = now_ms - c->epoch_start_ms; /* wrap-safe elapsed time */
    c->bytes_acked = add_sat(c->bytes_acked, acked);

    /* RFC 9438 4.3: W_est += alpha_cubic * segments_acked / cwnd (segments), i.e. in bytes
     * alpha * bytes_acked * SMSS / cwnd; alpha_cubic = 9/17 until W_est reaches W_max, then
     * 1 (Reno). cwnd is constant since bytes_acked was last cleared, so the growth since then
     * is computed in one step and committed to w_est whenever cwnd changes. */
    uint64_t num = c->w_est >= c->w_max ? 17 : 9;
    uint64_t grow = num * c->bytes_acked * c->mss / (17 * (uint64_t)c->cwnd);
    uint64_t west = (uint64_t)c->w_est + grow;
    if (west > UINT32_MAX) west = UINT32_MAX;

    uint32_t w_cubic = cubic_w(c, t);
    uint32_t next = c->cwnd;
    /* RFC 9438 4.2: target = W_cubic(t) clamped to [cwnd, 1.5 * cwnd]. */
    uint64_t target = w_cubic;
    uint64_t hi = (uint64_t)c->cwnd + c->cwnd / 2;
    if (target > hi) target = hi;
    if (target > c->cwnd) {
        /* RFC 9438 4.4/4.5 (concave and convex regions): cwnd += (target - cwnd) / cwnd per
         * acked segment, applied one SMSS at a time: after mss * cwnd / (target - cwnd) bytes. */
        uint64_t need = (uint64_t)c->mss * c->cwnd / (target - c->cwnd);
        if (c->bytes_acked >= need) next = add_sat(c->cwnd, c->mss);
    }
    /* RFC 9438 4.3: if W_cubic(t) < W_est, CUBIC is in the Reno-friendly region and cwnd is set
     * to W_est (here whenever W_est is at least one SMSS above cwnd, so that W_est keeps its
     * precision by accumulating over many ACKs). */
    if (w_cubic < west && west >= (uint64_t)c->cwnd + c->mss && west > next) next = (uint32_t)west;

    if (next != c->cwnd) {
        c->w_est = (uint32_t)west;
        c->bytes_acked = 0;
        c->cwnd = next;
    }
}

static void cubic_on_idle(struct cc *c)
{
    /* RFC 9438 5.8 (application-limited flows): idle time must not count as growth time;
     * the next congestion avoidance ACK starts a new epoch. */
    c->epoch_start_ms = 0;
}

static const struct cc_ops cc_ops_table[CC_ALGO_COUNT] = {
    [CC_NEWRENO] = {"newreno", reno_ssthresh, reno_ssthresh, reno_ca_on_ack, reno_on_idle},
    [CC_CUBIC] = {"cubic", cubic_ssthresh, cubic_ssthresh_rto, cubic_ca_on_ack, cubic_on_idle},
};

static const struct cc_ops *ops(const struct cc *c)
{
    return &cc_ops_table[c->algo < CC_ALGO_COUNT ? c->algo : CC_NEWRENO];
}

/* ---- the shared machinery ---- */

void cc_init(struct cc *c, enum cc_algo algo, uint16_t mss, uint32_t iw_segs)
{
    *c = (struct cc){0};
    c->algo = (unsigned)algo < CC_ALGO_COUNT ? (uint8_t)algo : CC_NEWRENO;
    c->mss = mss ? mss : CC_DEFAULT_MSS;
    c->iw_segs = (uint8_t)min_u32(iw_segs, 255);
    /* RFC 6928 2 / RFC 5681 3.1: the initial window. */
    c->cwnd = initial_window(c->mss, c->iw_segs);
    /* RFC 5681 3.1: the initial ssthresh SHOULD be arbitrarily high; UINT32_MAX / 2 leaves
     * room for additions without overflow. */
    c->ssthresh = CC_SSTHRESH_INF;
}

enum cc_verdict cc_on_ack(struct cc *c, uint32_t ack, uint32_t acked, uint32_t snd_nxt,
                          uint32_t flight, uint32_t now_ms)
{
    (void)snd_nxt;
    if (acked == 0) return CC_NONE;
    /* RFC 5681 2 (definition of a duplicate ACK): an ACK of new data ends the run. */
    c->dupacks = 0;
    /* RFC 6582 3.2 step 2: past the timeout's recover, duplicate ACKs may count again. */
    if (c->after_rto && seq_gt(ack, c->recover)) c->after_rto = 0;
    uint32_t outstanding = flight > acked ? flight - acked : 0;

    if (c->in_recovery) {
        if (seq_geq(ack, c->recover)) {
            /* RFC 6582 3.2 (3) full acknowledgment, option (1):
             * cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS), FlightSize being what is
             * outstanding now; exit fast recovery. */
            c->cwnd = min_u32(c->ssthresh, add_sat(max_u32(outstanding, c->mss), c->mss));
            c->in_recovery = 0;
            c->bytes_acked = 0;
            return CC_NONE;
        }
        /* RFC 6582 3.2 (3) partial acknowledgment: retransmit the first unacknowledged
         * segment, deflate cwnd by the newly acknowledged bytes, add back one SMSS if at least
         * one SMSS was acknowledged; stay in fast recovery. (Kept at >= 1 SMSS.) */
        c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
        if (acked >= c->mss) c->cwnd = add_sat(c->cwnd, c->mss);
        c->cwnd = max_u32(c->cwnd, c->mss);
        return CC_RETRANSMIT_FIRST;
    }

    if (c->cwnd < c->ssthresh) {
        /* RFC 5681 3.1 (2) slow start, with RFC 3465 2.2 byte counting at L = 1 SMSS:
         * cwnd += min(N, SMSS). */
        c->cwnd = add_sat(c->cwnd, min_u32(acked, c->mss));
        return CC_NONE;
    }
    /* RFC 5681 3.1: congestion avoidance when cwnd >= ssthresh. */
    ops(c)->ca_on_ack(c, acked, now_ms);
    return CC_NONE;
}

enum cc_verdict cc_on_dupack(struct cc *c, uint32_t snd_una, uint32_t snd_nxt, uint32_t flight)
{
    if (c->in_recovery) {
        /* RFC 5681 3.2 (4): each further duplicate ACK inflates cwnd by SMSS. */
        if (c->dupacks < UINT8_MAX) c->dupacks++;
        c->cwnd = add_sat(c->cwnd, c->mss);
        return CC_NONE;
    }
    if (c->dupacks < UINT8_MAX) c->dupacks++;
    /* RFC 6582 3.2 step 2 (and section 4): after a timeout, "If [the Cumulative
     * Acknowledgment field covers more than recover] ... The TCP then enters fast retransmit
     * ... If not, the TCP does not enter fast retransmit and does not reset ssthresh": such
     * duplicates most likely answer the timeout's go-back-N copies of what the peer held. */
    if (c->after_rto && seq_gt(snd_una, c->recover)) c->after_rto = 0;
    if (c->after_rto) return CC_NONE;
    /* Until recovery starts, `recover` marks SND.NXT at the first duplicate ACK: the end of
     * what was in flight before limited transmit sent anything. */
    if (c->dupacks == 1) c->recover = snd_nxt;
    if (c->dupacks != 3)
        return CC_NONE; /* RFC 5681 3.2 (1): the first two only (RFC 3042 limited transmit) */
    /* RFC 5681 3.2 (2): ssthresh = max(FlightSize / 2, 2*SMSS) (CUBIC: RFC 9438 4.6); "When
     * [RFC3042] is in use, additional data sent in limited transmit MUST NOT be included in
     * this calculation." */
    uint32_t before_lt = c->recover - snd_una;
    if (before_lt < flight) flight = before_lt;
    c->ssthresh = ops(c)->ssthresh_on_loss(c, flight);
    /* RFC 6582 3.2 (2): recover = the highest sequence number transmitted (kept as SND.NXT). */
    c->recover = snd_nxt;
    /* RFC 5681 3.2 (3): retransmit the lost segment, cwnd = ssthresh + 3*SMSS. */
    c->cwnd = add_sat(c->ssthresh, 3u * c->mss);
    c->in_recovery = 1;
    c->bytes_acked = 0;
    return CC_RETRANSMIT_FIRST;
}

void cc_on_rto(struct cc *c, uint32_t flight, uint32_t snd_max)
{
    /* RFC 5681 3.1 (4): ssthresh = max(FlightSize / 2, 2*SMSS) (CUBIC: RFC 9438 4.8). */
    c->ssthresh = ops(c)->ssthresh_on_rto(c, flight);
    /* RFC 5681 3.1: cwnd = the loss window, one full-sized segment. */
    c->cwnd = c->mss;
    /* RFC 6582 3.2 (4): "After a retransmit timeout, record the highest sequence number
     * transmitted in the variable recover, and exit the fast recovery procedure if
     * applicable."; RFC 3465 2.1: restart the byte count. */
    c->recover = snd_max;
    c->after_rto = 1;
    c->in_recovery = 0;
    c->dupacks = 0;
    c->bytes_acked = 0;
}

void cc_on_idle(struct cc *c)
{
    /* RFC 5681 4.1: cwnd = min(RW, cwnd) with the restart window RW = min(IW, cwnd). */
    c->cwnd = min_u32(c->cwnd, initial_window(c->mss, c->iw_segs));
    ops(c)->on_idle(c);
}

const char *cc_algo_name(enum cc_algo a)
{
    return (unsigned)a < CC_ALGO_COUNT ? cc_ops_table[a].name : "unknown";
}
