/*
 * pd_core.c — the adapter's clock, its lock, the driver thread that fires the stack's timers,
 * the stack itself (made on first need) and packetdrill's network device: the packets a
 * script injects go into tcpfsm_input, the ones the stack sends wait in a queue for
 * netdev_receive.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pd.h"

#define PD_IDLE_US 2000000u /* a stack idle this long sends nothing more (pd_idle) */

/* packetdrill reads its clock through us (gettimeofday) and stamps every packet we hand it
 * with the same clock, so any clock does; a monotonic one never jumps under a running test. */
uint64_t pd_clock_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t pd_deadline(uint64_t timeout_us)
{
    return timeout_us ? pd_clock_us() + timeout_us : PD_NEVER;
}

static struct timespec pd_timespec(uint64_t us)
{
    struct timespec ts = {.tv_sec = (time_t)(us / 1000000u),
                          .tv_nsec = (long)(us % 1000000u) * 1000};
    return ts;
}

static void pd_advance(struct pd *pd)
{
    if (pd->st) tcpfsm_advance(pd->st, pd_clock_us());
}

void pd_lock(struct pd *pd)
{
    pthread_mutex_lock(&pd->mu);
    pd->busy++;
    pd_advance(pd);
}

static void pd_sync_all(struct pd *pd)
{
    for (int i = 0; i < pd->nsocks; i++)
        if (pd->socks[i]) pd_sock_sync(pd, pd->socks[i]);
}

void pd_unlock(struct pd *pd)
{
    pd->busy--;
    pd->last_change = pd_clock_us();
    pd_sync_all(pd);
    pthread_cond_broadcast(&pd->changed);
    pthread_cond_signal(&pd->tick); /* a call may have armed an earlier timer */
    pthread_mutex_unlock(&pd->mu);
}

/* A waiter does not broadcast `changed` before it sleeps: two waiters would wake each other
 * for ever. What it did that others wait for is announced where it happens: packets by
 * pd_output, timers by the driver. */
int pd_wait(struct pd *pd, uint64_t deadline)
{
    if (pd->stopping) return -EINTR;
    pd_sync_all(pd);
    pthread_cond_signal(&pd->tick);
    pd->busy--;
    if (deadline == PD_NEVER) {
        pthread_cond_wait(&pd->changed, &pd->mu);
    } else {
        struct timespec ts = pd_timespec(deadline);
        pthread_cond_timedwait(&pd->changed, &pd->mu, &ts);
    }
    pd->busy++;
    if (pd->stopping) return -EINTR;
    pd_advance(pd);
    return deadline != PD_NEVER && pd_clock_us() >= deadline ? -ETIMEDOUT : 0;
}

/* Fires the stack's timers on time while no call comes in: sleeps until the earliest one
 * (or until a call may have armed an earlier one), runs the stack to the present, and wakes
 * every waiter, since a timer may have ended what they wait for (also when a caller's own
 * tcpfsm_advance fired it a moment earlier). */
static void *pd_driver(void *arg)
{
    struct pd *pd = arg;
    pthread_mutex_lock(&pd->mu);
    while (!pd->stopping) {
        uint64_t next = pd->st ? tcpfsm_next_timeout(pd->st) : PD_NEVER;
        if (next <= pd_clock_us()) {
            pd_advance(pd);
            pd->last_change = pd_clock_us();
            pd_sync_all(pd);
            pthread_cond_broadcast(&pd->changed);
            continue;
        }
        if (next == PD_NEVER) {
            pthread_cond_wait(&pd->tick, &pd->mu);
        } else {
            struct timespec ts = pd_timespec(next);
            if (pthread_cond_timedwait(&pd->tick, &pd->mu, &ts) == ETIMEDOUT)
                pthread_cond_broadcast(&pd->changed);
        }
    }
    pthread_mutex_unlock(&pd->mu);
    return NULL;
}

/* The stack's output callback (always under the lock): queue the datagram for
 * netdev_receive with the time it left. A script that never reads them would grow the queue
 * without end; past 65536 packets the oldest go, as a full device queue would drop. */
static void pd_output(void *arg, const void *packet, size_t len)
{
    struct pd *pd = arg;
    struct pd_packet *p = malloc(sizeof *p + len);
    if (!p) {
        pd->q_drops++;
        return;
    }
    p->next = NULL;
    p->at = pd_clock_us();
    p->len = len;
    memcpy(p->data, packet, len);
    *pd->q_tail = p;
    pd->q_tail = &p->next;
    if (++pd->q_len > 65536u) {
        struct pd_packet *old = pd->q_head;
        pd->q_head = old->next;
        free(old);
        pd->q_len--;
        pd->q_drops++;
    }
    pthread_cond_broadcast(&pd->changed);
}

static void pd_trace(void *arg, const struct tcpfsm_trace_event *ev)
{
    (void)arg;
    char la[INET_ADDRSTRLEN], ra[INET_ADDRSTRLEN];
    struct in_addr l = {htonl(ev->laddr)}, r = {htonl(ev->raddr)};
    inet_ntop(AF_INET, &l, la, sizeof la);
    inet_ntop(AF_INET, &r, ra, sizeof ra);
    fprintf(stderr, "tcpfsm: %s:%u>%s:%u %s --%s%s%s--> %s\n", la, ev->lport, ra, ev->rport,
            ev->from, ev->event, *ev->actions ? "/" : "", ev->actions, ev->to);
}

struct tcpfsm_stack *pd_stack(struct pd *pd, uint32_t addr)
{
    if (pd->st) return pd->st;
    struct tcpfsm_config c = pd->cfg;
    c.addr = addr ? addr : c.addr ? c.addr : pd->default_addr;
    c.now = pd_clock_us();
    c.output = pd_output;
    c.output_arg = pd;
    if (pd->trace) c.trace = pd_trace;
    int err = 0;
    pd->st = tcpfsm_stack_new(&c, &err);
    if (!pd->st) {
        fprintf(stderr, "tcpfsm-packetdrill: cannot make the stack: %s\n", strerror(-err));
        return NULL;
    }
    /* sockets made before the stack existed get their descriptors now */
    for (int i = 0; i < pd->nsocks; i++) {
        struct pd_sock *s = pd->socks[i];
        if (s && s->kind == PD_SOCKET && s->tfd < 0) pd_sock_attach(pd, s);
    }
    return pd->st;
}

/* An injected datagram. The first one tells a stack not yet made its address: packetdrill
 * picks a random local address unless told one, and only the packets know it. */
int pd_netdev_send(struct pd *pd, const void *buf, size_t count)
{
    const unsigned char *b = buf;
    uint32_t dst = 0;
    if (count >= 20 && b[0] >> 4 == 4)
        dst = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    pd_lock(pd);
    int r = 0;
    if (pd_stack(pd, dst))
        tcpfsm_input(pd->st, buf, count); /* the stack counts what it drops */
    else
        r = -ENOMEM;
    pd_unlock(pd);
    return r;
}

/* Whether waiting longer for a packet is pointless: no timer is armed and, for a while, no
 * call has been inside the adapter besides this one, so nothing can make the stack send. */
static bool pd_idle(struct pd *pd)
{
    uint64_t next = pd->st ? tcpfsm_next_timeout(pd->st) : PD_NEVER;
    return next == PD_NEVER && pd->busy == 1 && pd_clock_us() - pd->last_change > PD_IDLE_US;
}

/* The oldest packet the stack sent, waiting for one as long as one may still come:
 * packetdrill ignores its own timeout in this mode and fails the script on an empty packet,
 * so that is what an idle stack, or one silent for receive_timeout_s, hands it. */
int pd_netdev_receive(struct pd *pd, void *buf, size_t *count, long long *time_usecs)
{
    pd_lock(pd);
    uint64_t deadline = pd_deadline(pd->recv_timeout_us);
    const char *why = NULL;
    while (!pd->q_head && !pd->stopping && !why) {
        uint64_t now = pd_clock_us(), until = now + PD_IDLE_US / 4;
        if (pd_idle(pd))
            why = "is idle: no packet, no timer armed and no call in progress";
        else if (now >= deadline)
            why = "sent no packet within receive_timeout_s";
        else
            pd_wait(pd, until < deadline ? until : deadline);
    }
    struct pd_packet *p = pd->q_head;
    if (p) {
        pd->q_head = p->next;
        if (!pd->q_head) pd->q_tail = &pd->q_head;
        pd->q_len--;
        size_t n = p->len < *count ? p->len : *count;
        memcpy(buf, p->data, n);
        *count = n;
        *time_usecs = (long long)p->at;
        free(p);
    } else {
        if (why) fprintf(stderr, "tcpfsm-packetdrill: the stack %s\n", why);
        *count = 0;
        *time_usecs = (long long)pd_clock_us();
    }
    pd_unlock(pd);
    return 0;
}

/* ---- life ---- */

void pd_free(struct pd *pd)
{
    if (!pd) return;
    pthread_mutex_lock(&pd->mu);
    pd->stopping = true;
    pthread_cond_broadcast(&pd->changed);
    pthread_cond_signal(&pd->tick);
    pthread_mutex_unlock(&pd->mu);
    if (pd->driver_started) pthread_join(pd->driver, NULL);
    for (int i = 0; i < pd->nsocks; i++)
        if (pd->socks[i]) pd_sock_free(pd, pd->socks[i]);
    free(pd->socks);
    while (pd->q_head) {
        struct pd_packet *p = pd->q_head;
        pd->q_head = p->next;
        free(p);
    }
    tcpfsm_stack_free(pd->st);
    pthread_cond_destroy(&pd->changed);
    pthread_cond_destroy(&pd->tick);
    pthread_mutex_destroy(&pd->mu);
    free(pd);
}

struct pd *pd_new(const char *flags)
{
    struct pd *pd = calloc(1, sizeof *pd);
    if (!pd) return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines are pd_clock_us() times */
    pthread_mutex_init(&pd->mu, NULL);
    pthread_cond_init(&pd->changed, &ca);
    pthread_cond_init(&pd->tick, &ca);
    pthread_condattr_destroy(&ca);
    pd->q_tail = &pd->q_head;
    pd->last_change = pd_clock_us();
    pd->default_addr = 0xc0a80002u;   /* 192.168.0.2: packetdrill's local range, 192.168/16 */
    pd->recv_timeout_us = 120000000u; /* RTO backoff reaches 64 s after six retransmissions */
    if (pd_parse_flags(pd, flags) == 0) pd_check_config(pd);
    /* a small stack: packetdrill mlockall()s the process, and RLIMIT_MEMLOCK is often 8 MiB */
    pthread_attr_t ta;
    pthread_attr_init(&ta);
    pthread_attr_setstacksize(&ta, 512u * 1024u);
    if (pthread_create(&pd->driver, &ta, pd_driver, pd) == 0)
        pd->driver_started = true;
    else
        fprintf(stderr, "tcpfsm-packetdrill: no driver thread: timers fire only during calls\n");
    pthread_attr_destroy(&ta);
    return pd;
}
