/*
 * stack.c — the stack's lifecycle (configuration, new, free) and its clock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "tcp_layer.h"
#include "tcp.h"

#define DEFAULT_MAX_SOCKETS 65536u
#define MAX_SOCKETS (1u << 24)
#define DEFAULT_BUF 65536u
#define MIN_BUF 1024u
#define MAX_BUF (1u << 30) /* RFC 7323 2.3: the window is at most 2^30 */
#define DEFAULT_MAX_BUFFERS (64u << 20)
#define MIN_MAX_BUFFERS 4096u
#define MAX_MAX_BUFFERS ((uint64_t)1 << 48)
#define TABLE_MIN 64u             /* first size of every growing table */
#define RTO_DEFAULT 1000000u      /* RFC 6298 2.1 initial RTO and 2.4 minimum */
#define RTO_MAX_DEFAULT 60000000u /* RFC 6298 2.5 */

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

const char *tcpfsm_version(void)
{
    return TCPFSM_VERSION;
}

static uint64_t default_random(void *arg)
{
    (void)arg;
    uint64_t v = 0;
    while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
    }
    return v;
}

/* ---- stack ---- */

/* Every field of the configuration inside its documented range (tcpfsm.h), 0 meaning the
 * default where there is one. */
static bool config_valid(const struct tcpfsm_config *c)
{
    const uint32_t MS = 1000u;
#define IN(v, lo, hi) (!(v) || ((v) >= (lo) && (v) <= (hi)))
    if (!c->output || !c->addr || ip_addr_class(c->addr) != IP_ADDR_UNICAST) return false;
    if (c->prefix_len > 32) return false;
    if (!IN(c->mtu, 68u, 65535u)) return false; /* RFC 791: every host takes 68 */
    if (!IN(c->max_sockets, 1u, MAX_SOCKETS)) return false;
    if (!IN(c->sndbuf, MIN_BUF, MAX_BUF) || !IN(c->rcvbuf, MIN_BUF, MAX_BUF)) return false;
    if (!IN(c->max_buffer_bytes, MIN_MAX_BUFFERS, MAX_MAX_BUFFERS)) return false;
    if (!IN(c->reasm_bytes, 1u, c->rcvbuf ? c->rcvbuf : DEFAULT_BUF)) return false;
    uint32_t rto_max = c->rto_max_us ? c->rto_max_us : RTO_MAX_DEFAULT;
    uint32_t rto_min = c->rto_min_us ? c->rto_min_us : min_u32(RTO_DEFAULT, rto_max);
    if (!IN(c->rto_max_us, 1 * MS, 3600000u * MS)) return false;
    if (!IN(c->rto_min_us, 1 * MS, rto_max)) return false;
    if (!IN(c->rto_initial_us, rto_min, rto_max)) return false;
    if (!IN(c->max_retries, 1u, 255u) || !IN(c->syn_retries, 1u, 255u)) return false;
    if (!IN(c->msl_us, 1 * MS, 600000u * MS)) return false;
    /* RFC 9293 3.8.6.3 (MUST-40): an ACK is delayed less than 0.5 s; RFC 1122 4.2.3.2 and
     * Linux keep it within 200 ms */
    if (!IN(c->delack_us, 1 * MS, 200u * MS)) return false;
    if (c->flags & ~TCPFSM_F_ALL) return false;
#undef IN
    return true;
}

struct tcpfsm_stack *tcpfsm_stack_new(const struct tcpfsm_config *cfg, int *err)
{
    if (!cfg || !config_valid(cfg)) {
        if (err) *err = -EINVAL;
        return NULL;
    }
    struct tcpfsm_stack *st = calloc(1, sizeof *st);
    if (!st) {
        if (err) *err = -ENOMEM;
        return NULL;
    }
    st->cfg = *cfg;
    struct tcpfsm_config *c = &st->cfg;
    if (!c->random) c->random = default_random;
    if (!c->mtu) c->mtu = 1500;
    if (!c->max_sockets) c->max_sockets = DEFAULT_MAX_SOCKETS;
    if (!c->sndbuf) c->sndbuf = DEFAULT_BUF;
    if (!c->rcvbuf) c->rcvbuf = DEFAULT_BUF;
    if (!c->max_buffer_bytes) c->max_buffer_bytes = DEFAULT_MAX_BUFFERS;
    if (!c->reasm_bytes) c->reasm_bytes = c->rcvbuf;
    if (!c->rto_max_us) c->rto_max_us = RTO_MAX_DEFAULT;                     /* RFC 6298 2.5 */
    if (!c->rto_min_us) c->rto_min_us = min_u32(RTO_DEFAULT, c->rto_max_us); /* RFC 6298 2.4 */
    if (!c->rto_initial_us)                                                  /* RFC 6298 2.1 */
        c->rto_initial_us =
            min_u32(RTO_DEFAULT < c->rto_min_us ? c->rto_min_us : RTO_DEFAULT, c->rto_max_us);
    if (!c->max_retries) c->max_retries = 8;
    /* RFC 9293 3.8.3 MUST-23: "R2 for a SYN segment MUST be set large enough to provide
     * retransmission of the segment for at least 3 minutes". With the default RTOs (1 s,
     * doubling up to 60 s) the 7th retransmission goes at 123 s and the open ends at 183 s. */
    if (!c->syn_retries) c->syn_retries = 7;
    if (!c->msl_us) c->msl_us = 30000000;
    if (!c->delack_us) c->delack_us = 40000;
    if (!c->challenge_ack_limit) c->challenge_ack_limit = 1000; /* Linux's default */
    st->now = st->epoch = c->now;
    wheel_init(&st->wheel, c->now);
    wheel_init(&st->tw_wheel, c->now);
    wheel_init(&st->syn_wheel, c->now);
    st->max_conns = c->max_sockets * 4u; /* orphans in TIME_WAIT etc. count too: <= 2^26 */
    st->hash_mask = TABLE_MIN - 1;
    st->hash = calloc(TABLE_MIN, sizeof *st->hash);
    st->coverage = calloc(TCP_FSM_NUM_TRANSITIONS, sizeof *st->coverage);
    /* as many compact TIME_WAIT records (timewait.c) and SYN-queue records (synqueue.c) */
    int et = rectab_init(&st->tw, st->max_conns, &st->hasher);
    int es = rectab_init(&st->syn, st->max_conns, &st->hasher);
    if (!st->hash || !st->coverage || et || es) {
        free(st->hash);
        free(st->coverage);
        rectab_destroy(&st->tw);
        rectab_destroy(&st->syn);
        free(st);
        if (err) *err = -ENOMEM;
        return NULL;
    }
    for (int i = 0; i < 16; i += 8) {
        uint64_t a = c->random(c->random_arg), b = c->random(c->random_arg);
        memcpy(st->hash_key + i, &a, 8);
        memcpy(st->isn_key + i, &b, 8);
    }
    tuple_hasher_init(&st->hasher, st->hash_key);
    st->ip_id = (uint16_t)c->random(c->random_arg);
    if (err) *err = 0;
    return st;
}

void tcpfsm_stack_free(struct tcpfsm_stack *st)
{
    if (!st) return;
    for (uint32_t i = 0; i <= st->hash_mask; i++)
        if (st->hash[i]) {
            struct tcb *t = st->hash[i];
            if (t->fd >= 0) st->fds[t->fd] = NULL;
            tcb_free(st, t);
        }
    for (uint32_t i = 0; i < st->nlisteners; i++) {
        struct tcb *l = st->listeners[i];
        if (l->fd >= 0) st->fds[l->fd] = NULL;
        tcb_free(st, l);
    }
    for (uint32_t i = 0; i < st->fds_cap; i++)
        if (st->fds[i]) tcb_free(st, st->fds[i]); /* unconnected or closed sockets */
    mem_destroy(st);
    ready_destroy(st);
    while (st->tcb_cache) {
        struct tcb *t = st->tcb_cache;
        st->tcb_cache = t->qnext;
        free(t);
    }
    while (st->bufs_cache) {
        struct tcb_bufs *b = st->bufs_cache;
        st->bufs_cache = (struct tcb_bufs *)(void *)b->ofo;
        free(b);
    }
    rectab_destroy(&st->tw);
    rectab_destroy(&st->syn);
    free(st->hash);
    free(st->fds);
    free(st->listeners);
    free(st->coverage);
    free(st);
}

void tcpfsm_advance(struct tcpfsm_stack *st, tcpfsm_time_t now)
{
    if (now < st->now) return; /* time never goes back */
    tcp_train_end(st);         /* a train left open by its link ends before time moves */
    st->now = now;
    tcp_timers_advance(st, now);
}

tcpfsm_time_t tcpfsm_next_timeout(const struct tcpfsm_stack *st)
{
    uint64_t a = wheel_next_expiry(&st->wheel),
             b = st->tw.n ? wheel_next_expiry(&st->tw_wheel) : UINT64_MAX;
    uint64_t c = st->syn.n ? wheel_next_expiry(&st->syn_wheel) : UINT64_MAX;
    if (c < b) b = c;
    return a < b ? a : b;
}
tcpfsm_time_t tcpfsm_now(const struct tcpfsm_stack *st)
{
    return st->now;
}
