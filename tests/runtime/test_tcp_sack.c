/*
 * test_tcp_sack.c — the data sender's use of SACK blocks in loss recovery, at the segment
 * level: one stack, a scripted peer (tests/runtime/lib/scenario.h), every emitted segment
 * checked, time virtual.
 *
 *   - RFC 2018 5 / RFC 6675 5 (NextSeg rule 1.a): during recovery each hole goes once,
 *     above HighRxt; a partial ACK up to a hole retransmitted already sends it no second
 *     time (RFC 6582 3.2's partial-ACK rule would), one up to a hole not yet retransmitted
 *     sends that hole.
 *
 * (Fast retransmit, the scoreboard and SACK generation: test_tcp_reliable.c.)
 */
#include <stdint.h>
#include <string.h>

#include "rt_test.h"
#include "scenario.h"
#include "tcp_layer.h"
#include "tcp.h"
#include "tcpfsm.h"

#define A TCP_ACK
#define SEG 1000u /* the peer's MSS: one segment */

static uint8_t text[16 * SEG];

/* Our byte k of the stream, as a sequence number. */
static uint32_t us(const struct sc *sc, uint32_t k)
{
    return sc->iss + 1 + k;
}

/* An ACK from the peer acknowledging our byte `ack` with SACK blocks of our bytes (start, end
 * pairs). */
static void peer_ack(struct sc *sc, uint32_t ack, int n, const uint32_t *blocks)
{
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.flags = A;
    in.seq = sc->irs + 1;
    in.ack = us(sc, ack);
    in.wnd = SC_PEER_WND;
    in.opt.nsack = (uint8_t)n;
    for (int i = 0; i < n; i++) {
        in.opt.sack[i].start = us(sc, blocks[2 * i]);
        in.opt.sack[i].end = us(sc, blocks[2 * i + 1]);
    }
    sc_inject_in(sc, &in);
}

/* A data segment of ours: byte k, one SEG (PSH is the sender's choice). */
static void expect_seg(struct sc *sc, uint32_t k)
{
    const struct tcp_seg *s = sc_next(sc);
    ck_assert_uint_eq(s->flags & (uint8_t)~TCP_PSH, A);
    ck_assert_uint_eq(s->seq, us(sc, k));
    ck_assert_uint_eq(s->len, SEG);
}

/* SACK on both SYNs (nothing else), the peer's MSS SEG; ten segments sent. */
static struct sc *ten_segments_out(void)
{
    struct sc_opts o = {.rto_us = 1000000,
                        .with_options = true,
                        .flags = TCPFSM_F_NO_WSCALE | TCPFSM_F_NO_TIMESTAMPS};
    struct sc *sc = sc_new(&o);
    sc_connect(sc);
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.flags = TCP_SYN | A;
    in.seq = sc->irs;
    in.ack = sc->iss + 1;
    in.wnd = SC_PEER_WND;
    in.opt.sack_ok = 1;
    in.opt.has_mss = 1;
    in.opt.mss = SEG;
    sc_inject_in(sc, &in);
    sc_expect(sc, A, sc->iss + 1, sc->irs + 1, 0);
    ck_assert(sc_tcb(sc)->flags & TF_SACK);
    ck_assert_int_eq(tcpfsm_send(sc->st, sc->fd, text, 10 * SEG), 10 * SEG);
    for (uint32_t k = 0; k < 10; k++)
        expect_seg(sc, k * SEG);
    sc_expect_none(sc);
    return sc;
}

/* RFC 6675 5 NextSeg (1.a): "S2 is greater than HighRxt". Segments 0 and 3 are lost: the
 * third duplicate ACK retransmits segment 0, the fourth segment 3; the partial ACK of 3 SEG
 * (segment 0's retransmission arrived) leaves SND.UNA at segment 3, retransmitted already:
 * nothing is sent, and no SACKed segment ever is. */
START_TEST(rfc6675_5_partial_ack_does_not_repeat_a_retransmitted_hole)
{
    struct sc *sc = ten_segments_out();
    peer_ack(sc, 0, 1, (const uint32_t[]){1 * SEG, 2 * SEG});
    peer_ack(sc, 0, 1, (const uint32_t[]){1 * SEG, 3 * SEG});
    sc_expect_none(sc);
    peer_ack(sc, 0, 2, (const uint32_t[]){4 * SEG, 5 * SEG, 1 * SEG, 3 * SEG});
    expect_seg(sc, 0);
    sc_expect_none(sc);
    peer_ack(sc, 0, 2, (const uint32_t[]){4 * SEG, 6 * SEG, 1 * SEG, 3 * SEG});
    expect_seg(sc, 3 * SEG);
    sc_expect_none(sc);
    peer_ack(sc, 3 * SEG, 1, (const uint32_t[]){4 * SEG, 8 * SEG});
    sc_expect_none(sc);
    ck_assert(sc_tcb(sc)->u.cc.in_recovery);
    peer_ack(sc, 10 * SEG, 0, NULL);
    sc_expect_none(sc);
    ck_assert(!sc_tcb(sc)->u.cc.in_recovery);
    sc_free(sc);
}
END_TEST

/* The partial-ACK rule itself still holds (RFC 6582 3.2 step 4, NextSeg rule 1 alike): when
 * the ACK moves SND.UNA up to a hole not retransmitted yet, that hole goes at once. Segments
 * 0 and 3 lost; only segment 0 was retransmitted (three duplicate ACKs) when the partial ACK
 * of 3 SEG comes: segment 3 is sent, once. */
START_TEST(rfc6675_5_partial_ack_up_to_a_new_hole_retransmits_it)
{
    struct sc *sc = ten_segments_out();
    peer_ack(sc, 0, 1, (const uint32_t[]){1 * SEG, 2 * SEG});
    peer_ack(sc, 0, 1, (const uint32_t[]){1 * SEG, 3 * SEG});
    peer_ack(sc, 0, 2, (const uint32_t[]){4 * SEG, 5 * SEG, 1 * SEG, 3 * SEG});
    expect_seg(sc, 0);
    sc_expect_none(sc);
    peer_ack(sc, 3 * SEG, 1, (const uint32_t[]){4 * SEG, 6 * SEG});
    expect_seg(sc, 3 * SEG);
    sc_expect_none(sc);
    peer_ack(sc, 3 * SEG, 1, (const uint32_t[]){4 * SEG, 7 * SEG});
    sc_expect_none(sc);
    sc_free(sc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcp_sack");
    TCase *rec = tcase_create("rfc6675_recovery");
    tcase_add_test(rec, rfc6675_5_partial_ack_does_not_repeat_a_retransmitted_hole);
    tcase_add_test(rec, rfc6675_5_partial_ack_up_to_a_new_hole_retransmits_it);
    suite_add_tcase(s, rec);
    return rt_run_suite(s);
}
