/*
 * bench_wire.h — two stacks in one process joined by a wire that hands every packet to the
 * other stack as soon as the pump runs (no delay, no loss, no clock): for benchmarks that
 * measure the stacks' own work (bench_wakeup.c, bench_million.c).
 */
#ifndef BENCH_WIRE_H
#define BENCH_WIRE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "tcpfsm.h"

#define CLI_ADDR 0x0a000001u /* 10.0.0.1 */
#define SRV_ADDR 0x0a000002u /* 10.0.0.2 */

struct wire { /* packets one stack sent, waiting for the other: 2-byte length, then bytes */
    uint8_t *buf;
    size_t len, cap;
};
static struct wire to_srv, to_cli;
static uint64_t seed_c = 1, seed_s = 2;

static void wire_out(void *arg, const void *pkt, size_t len)
{
    struct wire *w = arg;
    if (w->len + len + 2 > w->cap) {
        size_t n = w->cap ? w->cap * 2 : 1 << 16;
        while (n < w->len + len + 2)
            n *= 2;
        w->buf = realloc(w->buf, n);
        if (!w->buf) abort();
        w->cap = n;
    }
    w->buf[w->len] = (uint8_t)(len >> 8);
    w->buf[w->len + 1] = (uint8_t)len;
    memcpy(w->buf + w->len + 2, pkt, len);
    w->len += len + 2;
}

/* Deliver what is on the wire now (what `to` sends meanwhile waits for the next call). */
static int wire_deliver(struct wire *w, struct tcpfsm_stack *to)
{
    static uint8_t pkt[65536];
    int n = 0;
    size_t off = 0, end = w->len;
    while (off < end) {
        size_t len = (size_t)w->buf[off] << 8 | w->buf[off + 1];
        memcpy(pkt, w->buf + off + 2, len); /* `to` may send: w->buf may move */
        off += len + 2;
        tcpfsm_input(to, pkt, len);
        n++;
    }
    memmove(w->buf, w->buf + end, w->len - end);
    w->len -= end;
    return n;
}

/* Until both directions are quiet. */
static void wire_pump(struct tcpfsm_stack *c, struct tcpfsm_stack *s)
{
    while (wire_deliver(&to_srv, s) + wire_deliver(&to_cli, c)) {
    }
}

static uint64_t wire_rnd(void *arg)
{
    return bench_rand(arg);
}

static struct tcpfsm_stack *wire_stack(uint32_t addr, struct wire *out, uint64_t *seed,
                                       uint32_t max_sockets)
{
    struct tcpfsm_config cfg = {.addr = addr,
                                .prefix_len = 24,
                                .output = wire_out,
                                .output_arg = out,
                                .random = wire_rnd,
                                .random_arg = seed,
                                .max_sockets = max_sockets};
    int err;
    struct tcpfsm_stack *st = tcpfsm_stack_new(&cfg, &err);
    if (!st) {
        fprintf(stderr, "tcpfsm_stack_new: %d\n", err);
        exit(1);
    }
    return st;
}

#endif /* BENCH_WIRE_H */
