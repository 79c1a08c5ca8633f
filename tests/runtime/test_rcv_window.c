/*
 * test_rcv_window.c — the receive window the output path offers (tcp_rcv_window), which
 * answers mem_allowance's no-pressure case itself, checked against mem_allowance (mem.c) with
 * and without memory pressure, for many receive-ring fills, promised edges and scales.
 */
#include <stdint.h>
#include <string.h>

#include "rt_test.h"
#include "seq.h"
#include "tcb.h"
#include "tcp_layer.h"
#include "tcpfsm.h"

static void no_output(void *arg, const void *pkt, size_t len)
{
    (void)arg, (void)pkt, (void)len;
}

/* RFC 9293 3.8.6 (SHLD-14) as tcp_output.c writes it, from mem_allowance: the free space,
 * never less than the window already promised, at most what the scale can say. */
static uint32_t window_from_mem_allowance(const struct tcpfsm_stack *st, const struct tcb *t)
{
    uint32_t w = mem_allowance(st, t, t->buf ? &t->buf->rcv : NULL, st->cfg.rcvbuf);
    if (seq_gt(t->rcv_adv, t->rcv_nxt) && t->rcv_adv - t->rcv_nxt > w) w = t->rcv_adv - t->rcv_nxt;
    uint32_t maxw = 65535u << t->rcv_wscale;
    return w > maxw ? maxw : w;
}

START_TEST(receive_window_agrees_with_mem_allowance)
{
    struct tcpfsm_config cfg = {
        .addr = 0x0a000001,
        .output = no_output,
        .sndbuf = 1u << 20,
        .rcvbuf = 1u << 20,
        .max_buffer_bytes = 1u << 22,
    };
    struct tcpfsm_stack *st = tcpfsm_stack_new(&cfg, NULL);
    ck_assert_ptr_nonnull(st);
    static struct tcb t;
    static struct tcb_bufs b;
    uint64_t seed = 3;
    for (int i = 0; i < 20000; i++) {
        memset(&t, 0, sizeof t);
        memset(&b, 0, sizeof b);
        t.buf = i % 7 ? &b : NULL; /* before ESTABLISHED a TCB has no buffers */
        b.rcv.len = (uint32_t)rt_rand_below(&seed, (1u << 20) + 4096);
        t.rcv_nxt = (uint32_t)rt_rand(&seed);
        t.rcv_adv = t.rcv_nxt + (uint32_t)rt_rand_below(&seed, 1u << 21) - (1u << 20);
        t.rcv_wscale = (uint8_t)rt_rand_below(&seed, TCP_MAX_WSCALE + 1);
        t.u.cc.mss = (uint16_t)rt_rand_below(&seed, 9000);
        st->mem_pressure = i & 1;
        st->nconns = (uint32_t)rt_rand_below(&seed, 5000);
        rt_require(tcp_rcv_window(st, &t) == window_from_mem_allowance(st, &t));
    }
    st->mem_pressure = false;
    tcpfsm_stack_free(st);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("rcv_window");
    TCase *c = tcase_create("window");
    tcase_add_test(c, receive_window_agrees_with_mem_allowance);
    suite_add_tcase(s, c);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
