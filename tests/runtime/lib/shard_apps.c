/*
 * shard_apps.c — the shards tests' echo service and clients (shard_apps.h).
 */
#include "shard_apps.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "flow.h"

uint64_t shard_test_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static _Atomic uint64_t shared_rng = 0x5eed;

void shard_test_reseed(uint64_t seed)
{
    atomic_store(&shared_rng, seed);
}

uint64_t shard_test_random(void *arg)
{
    (void)arg;
    uint64_t z = atomic_fetch_add(&shared_rng, 0x9e3779b97f4a7c15ULL) + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t shard_test_peer_random(void *arg)
{
    return rt_rand(arg);
}

/* ================================================================ the echo service
 * Runs in every shard: a listener on PORT made by init, connections served through the stack's
 * interest set by wakeup. Counts what the test checks afterwards. */

int echo_init(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    (void)sh;
    struct echo_app *app = arg;
    int lfd = tcpfsm_socket(st);
    if (lfd < 0) return lfd;
    int e = tcpfsm_bind(st, lfd, app->addr, app->port);
    if (!e) e = tcpfsm_listen(st, lfd, 256);
    struct tcpfsm_event ev = {.events = TCPFSM_POLLIN, .data = (uint64_t)lfd};
    if (!e) e = tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, lfd, &ev);
    app->s[i].lfd = lfd;
    return e;
}

static void echo_serve(struct echo_shard *es, struct tcpfsm_stack *st, int fd)
{
    uint8_t buf[4096];
    for (;;) {
        long n = tcpfsm_recv(st, fd, buf, sizeof buf);
        if (n == -EAGAIN) return;
        if (n <= 0) {
            if (n < 0) es->errors++;
            tcpfsm_close(st, fd);
            es->closed++;
            return;
        }
        /* every message of these tests fits the send buffer at once */
        if (tcpfsm_send(st, fd, buf, (size_t)n) != n) es->errors++;
        es->bytes += (uint64_t)n;
    }
}

int echo_wakeup(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    struct echo_app *app = arg;
    struct echo_shard *es = &app->s[i];
    if (app->threaded && pthread_equal(pthread_self(), app->main)) es->not_in_thread++;
    struct tcpfsm_event ev[32];
    int n = tcpfsm_epoll_wait(st, ev, 32);
    for (int k = 0; k < n; k++) {
        int fd = (int)ev[k].data;
        if (fd != es->lfd) {
            echo_serve(es, st, fd);
            continue;
        }
        uint32_t raddr;
        uint16_t rport;
        for (int c; (c = tcpfsm_accept(st, es->lfd, &raddr, &rport)) >= 0;) {
            es->accepted++;
            if (tcpfsm_shards_owner(sh, app->addr, app->port, raddr, rport) != i) es->wrong_owner++;
            struct tcpfsm_event cev = {.events = TCPFSM_POLLIN, .data = (uint64_t)c};
            if (tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, c, &cev)) es->errors++;
            echo_serve(es, st, c);
        }
    }
    return n == 32;
}

/* ================================================================ clients on a plain stack */

void client_open(struct tcpfsm_stack *st, struct client *c, uint32_t addr, uint16_t port,
                 uint64_t *rng)
{
    memset(c, 0, sizeof *c);
    c->len = 1 + rt_rand_below(rng, sizeof c->msg);
    rt_fill_random(rng, c->msg, c->len);
    c->fd = tcpfsm_socket(st);
    ck_assert_int_ge(c->fd, 0);
    ck_assert_int_eq(tcpfsm_connect(st, c->fd, addr, port), -EINPROGRESS);
}

/* Send the message, read it back, compare, close. Returns 1 when something moved. */
int client_pump(struct tcpfsm_stack *st, struct client *c)
{
    if (c->done || c->failed) return 0;
    int ev = tcpfsm_poll(st, c->fd), moved = 0;
    if (ev & TCPFSM_POLLERR) {
        c->failed = 1;
        return 1;
    }
    if (c->sent < c->len && (ev & TCPFSM_POLLOUT)) {
        long n = tcpfsm_send(st, c->fd, c->msg + c->sent, c->len - c->sent);
        if (n > 0) c->sent += (size_t)n, moved = 1;
    }
    uint8_t buf[2048];
    long n;
    while (c->got < c->len && (n = tcpfsm_recv(st, c->fd, buf, sizeof buf)) > 0) {
        if (c->got + (size_t)n > c->len || memcmp(buf, c->msg + c->got, (size_t)n)) c->failed = 1;
        c->got += (size_t)n;
        moved = 1;
    }
    if (c->got == c->len && !c->failed) {
        tcpfsm_close(st, c->fd);
        c->done = 1;
        moved = 1;
    }
    return moved;
}

unsigned shard_test_queue(const void *pkt, size_t len, unsigned n)
{
    struct shard_flow f;
    if (!shard_flow_of(pkt, len, &f)) return 0;
    return (unsigned)(f.lport ^ f.rport) % n;
}

int shard_test_noop(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    (void)sh, (void)i, (void)st, (void)arg;
    return 0;
}
