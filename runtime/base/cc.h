/*
 * cc.h — congestion control: RFC 5681 slow start / congestion avoidance / fast retransmit and
 * fast recovery with RFC 6582 NewReno partial ACKs (default), behind a small ops table so a
 * second algorithm (CUBIC, RFC 9438) plugs in. All quantities are bytes; state is embedded in
 * the TCB (keep struct cc <= 40 bytes).
 */
#ifndef TCPFSM_CC_H
#define TCPFSM_CC_H
#include <stdint.h>

enum cc_algo { CC_NEWRENO = 0, CC_CUBIC = 1, CC_ALGO_COUNT };

/* What the TCB must do after feeding an event to cc. */
enum cc_verdict {
    CC_NONE = 0,
    CC_RETRANSMIT_FIRST, /* retransmit the segment at SND.UNA now (fast retransmit, or a
                            NewReno partial ACK: the next hole) */
};

struct cc {
    uint32_t cwnd, ssthresh;
    uint32_t recover;     /* RFC 6582: highest sequence sent when recovery started or at the
                             last timeout (after_rto); else SND.NXT at the first duplicate
                             ACK (cc_on_dupack) */
    uint32_t bytes_acked; /* RFC 5681 3.1 appropriate byte counting in CA */
    uint32_t epoch_start_ms, w_max, k_ms; /* CUBIC (unused by NewReno); epoch 0 = none */
    uint32_t w_est; /* CUBIC: RFC 9438 4.3 Reno-friendly estimate, committed part */
    uint16_t mss;
    uint8_t algo; /* enum cc_algo */
    uint8_t dupacks;
    uint8_t in_recovery;
    uint8_t iw_segs;   /* as given to cc_init (capped at 255), for cc_on_idle */
    uint8_t after_rto; /* recover is RFC 6582 3.2 step 4's, until an ACK covers more */
    uint8_t pad_;
};

/* RFC 6928: IW = min(iw_segs * mss, max(2 * mss, 14600)) when iw_segs == 10; iw_segs 0 = 10;
 * any other value gives IW = iw_segs * mss. mss 0 means the RFC 9293 default, 536. */
void cc_init(struct cc *c, enum cc_algo algo, uint16_t mss, uint32_t iw_segs);
/* A cumulative ACK advanced SND.UNA to `ack` by `acked` bytes. `snd_nxt` is SND.NXT,
 * `flight` the bytes outstanding before this ACK, `now_ms` a clock for CUBIC. */
enum cc_verdict cc_on_ack(struct cc *c, uint32_t ack, uint32_t acked, uint32_t snd_nxt,
                          uint32_t flight, uint32_t now_ms);
/* A duplicate ACK (RFC 5681 2 definition, checked by the caller). The third one starts fast
 * retransmit / fast recovery (RFC 5681 3.2, RFC 6582 3.2 step 2) and returns
 * CC_RETRANSMIT_FIRST, unless SND.UNA does not cover more than what a timeout recorded
 * (RFC 6582 3.2 step 2); later ones inflate cwnd by one MSS. */
enum cc_verdict cc_on_dupack(struct cc *c, uint32_t snd_una, uint32_t snd_nxt, uint32_t flight);
/* The retransmission timer fired: RFC 5681 (4) ssthresh = max(flight/2, 2*MSS), cwnd = 1 MSS
 * (loss window); leaves recovery and records `snd_max`, the highest sequence sent (+1), as
 * recover (RFC 6582 3.2 step 4). CUBIC: RFC 9438 4.8, ssthresh = max(flight * 0.7, 2*MSS). */
void cc_on_rto(struct cc *c, uint32_t flight, uint32_t snd_max);
/* RFC 5681 4.1: restart window after an idle period longer than one RTO. */
void cc_on_idle(struct cc *c);
const char *cc_algo_name(enum cc_algo a);
#endif /* TCPFSM_CC_H */
