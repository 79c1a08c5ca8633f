/* world.c — see world.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "world.h"

static void to_link_c(void *arg, const void *p, size_t n)
{
    memlink_send(((struct world *)arg)->link, CLI, p, n);
}
static void to_link_s(void *arg, const void *p, size_t n)
{
    memlink_send(((struct world *)arg)->link, SRV, p, n);
}
static void from_link(void *arg, const void *p, size_t n)
{
    tcpfsm_input(arg, p, n);
}
static uint64_t rnd(void *arg)
{
    return rt_rand(arg);
}

void world_init(struct world *w, const struct tcpfsm_config *base, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    w->rng_c = seed * 2 + 1;
    w->rng_s = seed * 2 + 2;
    w->link = memlink_new(seed, 0);
    struct memlink_impair im = {.delay_us = 1000};
    struct tcpfsm_config c = base ? *base : (struct tcpfsm_config){0};
    c.rto_min_us = c.rto_initial_us = 200000;
    c.random = rnd;
    c.addr = CLI;
    c.output = to_link_c;
    c.output_arg = w;
    c.random_arg = &w->rng_c;
    w->cli = tcpfsm_stack_new(&c, NULL);
    c.addr = SRV;
    c.output = to_link_s;
    c.output_arg = w;
    c.random_arg = &w->rng_s;
    w->srv = tcpfsm_stack_new(&c, NULL);
    ck_assert_ptr_nonnull(w->cli);
    ck_assert_ptr_nonnull(w->srv);
    memlink_attach(w->link, CLI, from_link, w->cli);
    memlink_attach(w->link, SRV, from_link, w->srv);
    memlink_set_impair(w->link, CLI, SRV, &im);
    memlink_set_impair(w->link, SRV, CLI, &im);
}

void world_free(struct world *w)
{
    rt_coverage_save(w->cli);
    rt_coverage_save(w->srv);
    tcpfsm_stack_free(w->cli);
    tcpfsm_stack_free(w->srv);
    memlink_free(w->link);
}

/* Advance to the next event (timer or delivery); false when nothing is pending. */
bool world_step(struct world *w)
{
    uint64_t t = memlink_next_delivery(w->link);
    uint64_t a = tcpfsm_next_timeout(w->cli), b = tcpfsm_next_timeout(w->srv);
    if (a < t) t = a;
    if (b < t) t = b;
    if (t == UINT64_MAX) return false;
    if (t > w->now) w->now = t;
    tcpfsm_advance(w->cli, w->now);
    tcpfsm_advance(w->srv, w->now);
    memlink_advance(w->link, w->now);
    return true;
}

void world_run_for(struct world *w, uint64_t us)
{
    uint64_t end = w->now + us;
    while (w->now < end) {
        uint64_t t = memlink_next_delivery(w->link);
        uint64_t a = tcpfsm_next_timeout(w->cli), b = tcpfsm_next_timeout(w->srv);
        if (a < t) t = a;
        if (b < t) t = b;
        if (t > end) t = end;
        w->now = t;
        tcpfsm_advance(w->cli, w->now);
        tcpfsm_advance(w->srv, w->now);
        memlink_advance(w->link, w->now);
    }
}

int listen_srv(struct world *w, int backlog)
{
    int l = tcpfsm_socket(w->srv);
    ck_assert_int_ge(l, 0);
    ck_assert_int_eq(tcpfsm_bind(w->srv, l, 0, PORT), 0);
    ck_assert_int_eq(tcpfsm_listen(w->srv, l, backlog), 0);
    return l;
}

/* Connect a client socket and accept it on the server: returns both descriptors. */
void connect_pair(struct world *w, int l, int *c, int *s)
{
    *c = tcpfsm_socket(w->cli);
    ck_assert_int_eq(tcpfsm_connect(w->cli, *c, SRV, PORT), -EINPROGRESS);
    *s = -1;
    for (int i = 0; i < 10000 && *s < 0; i++) {
        rt_require(world_step(w));
        *s = tcpfsm_accept(w->srv, l, NULL, NULL);
    }
    ck_assert_int_ge(*s, 0);
    ck_assert(tcpfsm_poll(w->cli, *c) & TCPFSM_POLLOUT);
}

/* Move `n` bytes client -> server while `inject` (if any) fires once after `at` bytes. */
void transfer(struct world *w, int c, int s, size_t n, size_t at,
              void (*inject)(struct world *, int c, int s), bool expect_ok)
{
    uint8_t *src = malloc(n), *dst = malloc(n);
    uint64_t seed = 77;
    rt_fill_random(&seed, src, n);
    size_t sent = 0, got = 0;
    bool injected = inject == NULL;
    for (int guard = 0; guard < 2000000 && got < n; guard++) {
        if (sent < n) {
            long r = tcpfsm_send(w->cli, c, src + sent, n - sent);
            if (r > 0)
                sent += (size_t)r;
            else if (r != -EAGAIN)
                break;
        }
        long r = tcpfsm_recv(w->srv, s, dst + got, n - got);
        if (r > 0)
            got += (size_t)r;
        else if (r != -EAGAIN)
            break;
        if (!injected && got >= at) {
            inject(w, c, s);
            injected = true;
        }
        if (r <= 0 && !world_step(w)) break;
    }
    if (expect_ok) {
        ck_assert_uint_eq(got, n);
        ck_assert(memcmp(src, dst, n) == 0);
    }
    free(src);
    free(dst);
}
