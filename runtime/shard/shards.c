/*
 * shards.c — one stack per core (tcpfsm_shards.h): the shards' life, their loop, forwarding
 * between them, calls into them and the merged views.
 *
 * Who writes what. A shard's stack, its stats and its read buffer belong to its thread (or to
 * the one thread that steps, or to whoever holds the shards while no thread runs). Ring (to,
 * from) has one producer, shard `from` (or, for from == n, the thread calling
 * tcpfsm_shards_input), and one consumer, shard `to`. A call request is handed over under the
 * shard's mutex; the per-packet path takes no lock. Wake-ups go through each shard's eventfd:
 * a producer writes it once per round for every shard it forwarded to, after the packets are
 * in the ring, and the sleeping shard reads it before it drains its rings, so no packet waits
 * for a timer.
 */
#include "tcpfsm_shards.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "flow.h"
#include "spsc.h"
#include "tun.h"

#define SHARD_READ_BYTES 65536 /* a TUN read: any IPv4 datagram */
#define SHARD_MAX_SLEEP_MS 60000
#define STEP_EXTRA_PASSES 4 /* stepped mode: rounds again for a wakeup that asked for more */

struct shard {
    alignas(SPSC_LINE) struct tcpfsm_shards *sh;
    unsigned id;
    struct tcpfsm_stack *st;
    int qfd;       /* this shard's TUN queue, -1 on the caller's link */
    int qdead;     /* the queue failed (the device went away): no more reads */
    int efd;       /* eventfd: forwarded packets, a call, stop */
    uint8_t *rbuf; /* one datagram read from the queue */
    uint64_t wake; /* shards this round forwarded to (bit i: shard i) */
    struct tcpfsm_shard_stats stats;
    int (*port_ok)(void *arg, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport);
    void *port_ok_arg; /* the application's port_ok, asked after ours */
    pthread_t thread;
    int thread_made;
    /* tcpfsm_shards_call: callers queue on call_lock, hand over under m. */
    pthread_mutex_t call_lock, m;
    pthread_cond_t cv;
    atomic_int call_pending;
    tcpfsm_shard_fn call_fn;
    void *call_arg;
    int call_result, call_done;
    int running; /* (under m) the thread runs and serves calls */
};

struct tcpfsm_shards {
    struct tcpfsm_shards_config cfg;
    char tun[16];
    unsigned n;
    uint8_t key[16];        /* the ownership hash's, shared by every shard */
    uint32_t slot_bytes;    /* a ring slot: the MTU */
    struct shard *shard;    /* n, each on its own cache lines */
    struct spsc_ring *ring; /* n x (n + 1): see ring() */
    pthread_key_t self;     /* in a shard thread: its struct shard */
    int started, stepped, inited, init_err;
    atomic_int live; /* shard threads exist (they write eventfds only then) */
    atomic_int stop;
    tcpfsm_time_t last_now; /* stepped mode */
    /* start(): how many threads finished init, and the first error */
    pthread_mutex_t start_m;
    pthread_cond_t start_cv;
    unsigned start_done;
    int start_err;
};

/* The ring from shard `from` (or from == n: tcpfsm_shards_input) to shard `to`. */
static struct spsc_ring *ring(const struct tcpfsm_shards *sh, unsigned to, unsigned from)
{
    return &sh->ring[(size_t)to * (sh->n + 1) + from];
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void wake(struct shard *s)
{
    uint64_t one = 1;
    /* EAGAIN only if the counter were about to overflow: it is readable then anyway */
    if (write(s->efd, &one, sizeof one) < 0) return;
}

/* ---------------------------------------------------------------- the stacks' hooks */

static void shard_output(void *arg, const void *pkt, size_t len)
{
    struct shard *s = arg;
    s->stats.OutPackets++;
    if (!s->sh->cfg.tun) {
        s->sh->cfg.output(s->sh->cfg.output_arg, s->id, pkt, len);
        return;
    }
    if (write(s->qfd, pkt, len) != (ssize_t)len) s->stats.OutDrops++;
}

/* An active open keeps a local port only if its flow hashes back to this shard. */
static int shard_port_ok(void *arg, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    struct shard *s = arg;
    struct shard_flow f = {.laddr = laddr, .raddr = raddr, .lport = lport, .rport = rport};
    if (shard_flow_owner(s->sh->key, s->sh->n, &f) != s->id) return 0;
    return !s->port_ok || s->port_ok(s->port_ok_arg, laddr, lport, raddr, rport);
}

/* ---------------------------------------------------------------- one round of a shard */

/* A packet read from this shard's queue: processed here if this shard owns it, else pushed to
 * the owner's ring. */
static void take(struct shard *s, const uint8_t *pkt, size_t len)
{
    struct tcpfsm_shards *sh = s->sh;
    struct shard_flow f;
    unsigned owner = shard_flow_of(pkt, len, &f) ? shard_flow_owner(sh->key, sh->n, &f) : s->id;
    s->stats.InPackets++;
    if (owner == s->id) {
        tcpfsm_input(s->st, pkt, len);
        return;
    }
    s->stats.Forwarded++;
    if (spsc_push(ring(sh, owner, s->id), pkt, len) == 0)
        s->wake |= 1ull << owner;
    else
        s->stats.RingDrops++;
}

static void serve_call(struct shard *s)
{
    if (!atomic_load_explicit(&s->call_pending, memory_order_acquire)) return;
    pthread_mutex_lock(&s->m);
    if (s->call_fn) {
        s->stats.Calls++;
        s->call_result = s->call_fn(s->sh, s->id, s->st, s->call_arg);
        s->call_fn = NULL;
        s->call_done = 1;
        atomic_store_explicit(&s->call_pending, 0, memory_order_relaxed);
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->m);
}

/* Input from the queue, then what other shards forwarded, a pending call, the application.
 * Adds the packets taken in to *got; returns non-zero if work was left for another round. */
static int shard_round(struct shard *s, tcpfsm_time_t now, long *got)
{
    struct tcpfsm_shards *sh = s->sh;
    unsigned batch = sh->cfg.batch;
    int more = 0;
    tcpfsm_advance(s->st, now);
    if (sh->cfg.tun && !s->qdead) {
        unsigned i = 0;
        for (; i < batch; i++) {
            ssize_t r = read(s->qfd, s->rbuf, SHARD_READ_BYTES);
            if (r <= 0) break;
            take(s, s->rbuf, (size_t)r);
        }
        *got += i;
        more |= i == batch;
    } else if (!sh->cfg.tun) {
        struct spsc_ring *in = ring(sh, s->id, sh->n);
        unsigned i = 0;
        const uint8_t *p;
        size_t len;
        for (; i < batch && (p = spsc_peek(in, &len)); i++) {
            take(s, p, len);
            spsc_pop(in);
        }
        *got += i;
        more |= i == batch && !spsc_empty(in);
    }
    for (unsigned from = 0; from < sh->n; from++) {
        if (from == s->id) continue;
        struct spsc_ring *r = ring(sh, s->id, from);
        unsigned i = 0;
        const uint8_t *p;
        size_t len;
        for (; i < batch && (p = spsc_peek(r, &len)); i++) {
            tcpfsm_input(s->st, p, len);
            spsc_pop(r);
        }
        s->stats.FromShards += i;
        *got += i;
        more |= i == batch && !spsc_empty(r);
    }
    serve_call(s);
    s->stats.Rounds++;
    if (sh->cfg.wakeup && sh->cfg.wakeup(sh, s->id, s->st, sh->cfg.arg)) more = 1;
    if (s->wake && atomic_load_explicit(&sh->live, memory_order_relaxed)) {
        for (unsigned i = 0; i < sh->n; i++)
            if (s->wake >> i & 1) wake(&sh->shard[i]);
    }
    s->wake = 0;
    return more;
}

/* Sleep until the queue or the eventfd has something, or the stack's next timer. */
static void shard_sleep(struct shard *s)
{
    struct pollfd p[2] = {{.fd = s->efd, .events = POLLIN}, {.fd = s->qfd, .events = POLLIN}};
    nfds_t np = s->qfd >= 0 && !s->qdead ? 2 : 1;
    tcpfsm_time_t next = tcpfsm_next_timeout(s->st), now = mono_us();
    int ms = -1;
    if (next != UINT64_MAX) {
        uint64_t d = next > now ? (next - now + 999) / 1000 : 0;
        ms = d > SHARD_MAX_SLEEP_MS ? SHARD_MAX_SLEEP_MS : (int)d;
    }
    if (poll(p, np, ms) <= 0) return;
    if (p[0].revents & POLLIN) {
        uint64_t v;
        if (read(s->efd, &v, sizeof v) < 0) return;
    }
    /* a device that went away: stop reading it (writes fail and count as OutDrops) rather
     * than spin on its error */
    if (np == 2 && p[1].revents & (POLLERR | POLLHUP | POLLNVAL)) s->qdead = 1;
}

static void start_report(struct tcpfsm_shards *sh, int err)
{
    pthread_mutex_lock(&sh->start_m);
    sh->start_done++;
    if (err && !sh->start_err) sh->start_err = err;
    pthread_cond_broadcast(&sh->start_cv);
    pthread_mutex_unlock(&sh->start_m);
}

static void *shard_main(void *arg)
{
    struct shard *s = arg;
    struct tcpfsm_shards *sh = s->sh;
    pthread_setspecific(sh->self, s);
    int e = sh->cfg.init ? sh->cfg.init(sh, s->id, s->st, sh->cfg.arg) : 0;
    start_report(sh, e);
    for (int more = 1; !e && !atomic_load_explicit(&sh->stop, memory_order_acquire);) {
        if (!more) shard_sleep(s);
        long got = 0;
        more = shard_round(s, mono_us(), &got);
    }
    /* a call handed over before `running` goes to 0 is still served */
    pthread_mutex_lock(&s->m);
    s->running = 0;
    pthread_mutex_unlock(&s->m);
    serve_call(s);
    return NULL;
}

/* ---------------------------------------------------------------- life */

static int check_config(const struct tcpfsm_shards_config *c)
{
    if (!c || c->nshards < 1 || c->nshards > TCPFSM_SHARDS_MAX) return -EINVAL;
    if (!c->tun == !c->output) return -EINVAL; /* one link */
    if (c->tun && (!*c->tun || strlen(c->tun) > 15)) return -EINVAL;
    uint32_t rs = c->ring_slots;
    if (rs && (rs < 16 || rs > TCPFSM_SHARDS_RING_SLOTS_MAX || (rs & (rs - 1)))) return -EINVAL;
    if (c->batch > TCPFSM_SHARDS_BATCH_MAX) return -EINVAL;
    return 0;
}

static int make_key(struct tcpfsm_shards *sh)
{
    const struct tcpfsm_config *c = &sh->cfg.stack;
    if (c->random) {
        for (int i = 0; i < 2; i++) {
            uint64_t v = c->random(c->random_arg);
            memcpy(sh->key + 8 * i, &v, sizeof v);
        }
        return 0;
    }
    size_t got = 0;
    while (got < sizeof sh->key) {
        ssize_t r = getrandom(sh->key + got, sizeof sh->key - got, 0);
        if (r < 0 && errno != EINTR) return -errno;
        if (r > 0) got += (size_t)r;
    }
    return 0;
}

/* The link: TUN queues (and the MTU they carry) or nothing to open. */
static int open_link(struct tcpfsm_shards *sh)
{
    uint32_t mtu = sh->cfg.stack.mtu ? sh->cfg.stack.mtu : 1500;
    if (sh->cfg.tun) {
        int fds[TCPFSM_SHARDS_MAX];
        int e = tun_open_mq(sh->tun, (int)sh->n, fds, NULL, 0);
        if (e) return e;
        for (unsigned i = 0; i < sh->n; i++)
            sh->shard[i].qfd = fds[i];
        int dm = tun_mtu(sh->tun);
        if (!sh->cfg.stack.mtu && dm >= 68 && dm <= 65535) mtu = (uint32_t)dm;
        for (unsigned i = 0; i < sh->n; i++)
            if (!(sh->shard[i].rbuf = malloc(SHARD_READ_BYTES))) return -ENOMEM;
    }
    sh->cfg.stack.mtu = (uint16_t)mtu;
    sh->slot_bytes = mtu;
    return 0;
}

static int make_stacks(struct tcpfsm_shards *sh)
{
    for (unsigned i = 0; i < sh->n; i++) {
        struct shard *s = &sh->shard[i];
        struct tcpfsm_config c = sh->cfg.stack;
        if (sh->cfg.setup) sh->cfg.setup(sh->cfg.arg, i, &c);
        s->port_ok = c.port_ok;
        s->port_ok_arg = c.port_ok_arg;
        c.mtu = sh->cfg.stack.mtu; /* the rings' slots are this big */
        c.output = shard_output;
        c.output_arg = s;
        c.port_ok = shard_port_ok;
        c.port_ok_arg = s;
        int e = 0;
        if (!(s->st = tcpfsm_stack_new(&c, &e))) return e ? e : -ENOMEM;
    }
    return 0;
}

struct tcpfsm_shards *tcpfsm_shards_new(const struct tcpfsm_shards_config *cfg, int *err)
{
    int e = check_config(cfg), dummy;
    if (!err) err = &dummy;
    if (e) {
        *err = e;
        return NULL;
    }
    struct tcpfsm_shards *sh = calloc(1, sizeof *sh);
    if (!sh) {
        *err = -ENOMEM;
        return NULL;
    }
    sh->cfg = *cfg;
    sh->n = cfg->nshards;
    if (cfg->tun) {
        memcpy(sh->tun, cfg->tun, strlen(cfg->tun) + 1);
        sh->cfg.tun = sh->tun;
    }
    if (!sh->cfg.ring_slots) sh->cfg.ring_slots = TCPFSM_SHARDS_RING_SLOTS;
    if (!sh->cfg.batch) sh->cfg.batch = TCPFSM_SHARDS_BATCH;
    atomic_init(&sh->live, 0);
    atomic_init(&sh->stop, 0);
    pthread_mutex_init(&sh->start_m, NULL);
    pthread_cond_init(&sh->start_cv, NULL);
    if ((e = -pthread_key_create(&sh->self, NULL))) {
        free(sh);
        *err = e;
        return NULL;
    }
    size_t ssize = (size_t)sh->n * sizeof *sh->shard;
    sh->shard = aligned_alloc(SPSC_LINE, ssize);
    if (!sh->shard) {
        pthread_key_delete(sh->self);
        free(sh);
        *err = -ENOMEM;
        return NULL;
    }
    memset(sh->shard, 0, ssize);
    for (unsigned i = 0; i < sh->n; i++) {
        struct shard *s = &sh->shard[i];
        s->sh = sh;
        s->id = i;
        s->qfd = s->efd = -1;
        pthread_mutex_init(&s->call_lock, NULL);
        pthread_mutex_init(&s->m, NULL);
        pthread_cond_init(&s->cv, NULL);
        atomic_init(&s->call_pending, 0);
    }
    for (unsigned i = 0; i < sh->n && !e; i++)
        if ((sh->shard[i].efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) e = -errno;
    if (!e) e = make_key(sh);
    if (!e) e = open_link(sh);
    if (!e) {
        size_t nr = (size_t)sh->n * (sh->n + 1);
        sh->ring = aligned_alloc(SPSC_LINE, nr * sizeof *sh->ring);
        if (!sh->ring) e = -ENOMEM;
        for (size_t i = 0; !e && i < nr; i++)
            spsc_init(&sh->ring[i], sh->cfg.ring_slots, sh->slot_bytes);
    }
    if (!e) e = make_stacks(sh);
    if (e) {
        tcpfsm_shards_free(sh);
        *err = e;
        return NULL;
    }
    *err = 0;
    return sh;
}

int tcpfsm_shards_stop(struct tcpfsm_shards *sh)
{
    if (!sh) return -EINVAL;
    if (pthread_getspecific(sh->self)) return -EDEADLK;
    atomic_store_explicit(&sh->stop, 1, memory_order_release);
    for (unsigned i = 0; i < sh->n; i++)
        if (sh->shard[i].thread_made) wake(&sh->shard[i]);
    for (unsigned i = 0; i < sh->n; i++) {
        if (!sh->shard[i].thread_made) continue;
        pthread_join(sh->shard[i].thread, NULL);
        sh->shard[i].thread_made = 0;
    }
    atomic_store_explicit(&sh->live, 0, memory_order_relaxed);
    return 0;
}

void tcpfsm_shards_free(struct tcpfsm_shards *sh)
{
    /* from a shard's own thread the threads cannot be joined: refuse rather than free what
     * they use */
    if (!sh || pthread_getspecific(sh->self)) return;
    if (sh->shard) {
        tcpfsm_shards_stop(sh);
        for (unsigned i = 0; i < sh->n; i++) {
            struct shard *s = &sh->shard[i];
            tcpfsm_stack_free(s->st);
            if (s->qfd >= 0) close(s->qfd);
            if (s->efd >= 0) close(s->efd);
            free(s->rbuf);
            pthread_mutex_destroy(&s->call_lock);
            pthread_mutex_destroy(&s->m);
            pthread_cond_destroy(&s->cv);
        }
    }
    if (sh->ring)
        for (size_t i = 0; i < (size_t)sh->n * (sh->n + 1); i++)
            spsc_destroy(&sh->ring[i]);
    free(sh->ring);
    free(sh->shard);
    pthread_key_delete(sh->self);
    pthread_mutex_destroy(&sh->start_m);
    pthread_cond_destroy(&sh->start_cv);
    free(sh);
}

int tcpfsm_shards_start(struct tcpfsm_shards *sh)
{
    if (!sh) return -EINVAL;
    if (pthread_getspecific(sh->self)) return -EDEADLK;
    if (sh->started || sh->stepped) return -EALREADY;
    sh->started = sh->inited = 1; /* init runs in the threads */
    atomic_store_explicit(&sh->live, 1, memory_order_relaxed);
    /* The threads inherit a mask that blocks every signal: the process's signals go to the
     * application's own threads, never interrupt a shard mid-packet. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = 0;
    unsigned made = 0;
    for (; made < sh->n; made++) {
        struct shard *s = &sh->shard[made];
        pthread_mutex_lock(&s->m);
        s->running = 1;
        pthread_mutex_unlock(&s->m);
        int rc = pthread_create(&s->thread, NULL, shard_main, s);
        if (rc) {
            s->running = 0;
            e = -rc;
            break;
        }
        s->thread_made = 1;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_mutex_lock(&sh->start_m);
    while (sh->start_done < made)
        pthread_cond_wait(&sh->start_cv, &sh->start_m);
    if (!e) e = sh->start_err;
    pthread_mutex_unlock(&sh->start_m);
    if (e) tcpfsm_shards_stop(sh);
    return e;
}

/* ---------------------------------------------------------------- stepped mode */

static int rings_busy(const struct tcpfsm_shards *sh)
{
    for (size_t i = 0; i < (size_t)sh->n * (sh->n + 1); i++)
        if (!spsc_empty(&sh->ring[i])) return 1;
    return 0;
}

long tcpfsm_shards_step(struct tcpfsm_shards *sh, tcpfsm_time_t now)
{
    if (!sh) return -EINVAL;
    if (atomic_load_explicit(&sh->live, memory_order_relaxed)) return -EBUSY;
    sh->stepped = 1;
    if (!sh->inited) {
        sh->inited = 1;
        for (unsigned i = 0; i < sh->n && sh->cfg.init && !sh->init_err; i++)
            sh->init_err = sh->cfg.init(sh, i, sh->shard[i].st, sh->cfg.arg);
    }
    if (sh->init_err) return sh->init_err;
    if (now < sh->last_now) now = sh->last_now;
    sh->last_now = now;
    long got = 0;
    /* Forwarded packets never move again and output leaves by the caller's link, so the rings
     * run dry; only a wakeup that keeps asking for more is cut off. */
    for (int extra = 0;;) {
        int more = 0;
        for (unsigned i = 0; i < sh->n; i++)
            more |= shard_round(&sh->shard[i], now, &got);
        if (rings_busy(sh)) continue;
        if (!more || ++extra > STEP_EXTRA_PASSES) break;
    }
    return got;
}

tcpfsm_time_t tcpfsm_shards_next_timeout(const struct tcpfsm_shards *sh)
{
    if (!sh) return UINT64_MAX;
    if (rings_busy(sh)) return sh->last_now;
    tcpfsm_time_t next = UINT64_MAX;
    for (unsigned i = 0; i < sh->n; i++) {
        tcpfsm_time_t t = tcpfsm_next_timeout(sh->shard[i].st);
        if (t < next) next = t;
    }
    return next;
}

int tcpfsm_shards_input(struct tcpfsm_shards *sh, unsigned queue, const void *packet, size_t len)
{
    if (!sh || !packet || queue >= sh->n || sh->cfg.tun) return -EINVAL;
    int e = spsc_push(ring(sh, queue, sh->n), packet, len);
    if (e == -ENOMEM) e = -ENOBUFS;
    if (!e && atomic_load_explicit(&sh->live, memory_order_relaxed)) wake(&sh->shard[queue]);
    return e;
}

/* ---------------------------------------------------------------- reaching a shard */

unsigned tcpfsm_shards_count(const struct tcpfsm_shards *sh)
{
    return sh ? sh->n : 0;
}

unsigned tcpfsm_shards_owner(const struct tcpfsm_shards *sh, uint32_t laddr, uint16_t lport,
                             uint32_t raddr, uint16_t rport)
{
    struct shard_flow f = {.laddr = laddr, .raddr = raddr, .lport = lport, .rport = rport};
    return sh ? shard_flow_owner(sh->key, sh->n, &f) : 0;
}

struct tcpfsm_stack *tcpfsm_shards_stack(struct tcpfsm_shards *sh, unsigned i)
{
    return sh && i < sh->n ? sh->shard[i].st : NULL;
}

int tcpfsm_shards_call(struct tcpfsm_shards *sh, unsigned i, tcpfsm_shard_fn fn, void *arg)
{
    if (!sh || i >= sh->n || !fn) return -EINVAL;
    struct shard *s = &sh->shard[i], *me = pthread_getspecific(sh->self);
    if (me == s) {
        s->stats.Calls++;
        return fn(sh, i, s->st, arg);
    }
    if (me) return -EDEADLK;
    int r;
    pthread_mutex_lock(&s->call_lock);
    pthread_mutex_lock(&s->m);
    if (!s->running) { /* no thread: the caller holds the stack */
        pthread_mutex_unlock(&s->m);
        s->stats.Calls++;
        r = fn(sh, i, s->st, arg);
    } else {
        s->call_fn = fn;
        s->call_arg = arg;
        s->call_done = 0;
        atomic_store_explicit(&s->call_pending, 1, memory_order_release);
        pthread_mutex_unlock(&s->m);
        wake(s);
        pthread_mutex_lock(&s->m);
        while (!s->call_done)
            pthread_cond_wait(&s->cv, &s->m);
        r = s->call_result;
        pthread_mutex_unlock(&s->m);
    }
    pthread_mutex_unlock(&s->call_lock);
    return r;
}

/* ---------------------------------------------------------------- merged views */

static int read_shard_stats(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st,
                            void *arg)
{
    (void)st;
    struct tcpfsm_shard_stats *out = arg;
    *out = sh->shard[i].stats;
    return 0;
}

int tcpfsm_shards_shard_stats(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_shard_stats *out)
{
    if (!sh || i >= sh->n || !out) return -EINVAL;
    int e = tcpfsm_shards_call(sh, i, read_shard_stats, out);
    if (!e) out->InputDrops = spsc_drops(ring(sh, i, sh->n));
    return e;
}

static int read_stats(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    (void)sh;
    (void)i;
    tcpfsm_get_stats(st, arg);
    return 0;
}

/* Every field is a uint64_t counter, so the struct sums as an array of them. */
_Static_assert(sizeof(struct tcpfsm_stats) % sizeof(uint64_t) == 0, "tcpfsm_stats: uint64_t only");
#define STATS_WORDS (sizeof(struct tcpfsm_stats) / sizeof(uint64_t))

int tcpfsm_shards_get_stats(struct tcpfsm_shards *sh, struct tcpfsm_stats *out)
{
    if (!sh || !out) return -EINVAL;
    uint64_t sum[STATS_WORDS] = {0};
    for (unsigned i = 0; i < sh->n; i++) {
        struct tcpfsm_stats one;
        uint64_t w[STATS_WORDS];
        int e = tcpfsm_shards_call(sh, i, read_stats, &one);
        if (e) return e;
        memcpy(w, &one, sizeof w);
        for (size_t k = 0; k < STATS_WORDS; k++)
            sum[k] += w[k];
    }
    memcpy(out, sum, sizeof *out);
    return 0;
}

static int read_sockstat(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    (void)sh;
    (void)i;
    tcpfsm_sockstat(st, arg);
    return 0;
}

int tcpfsm_shards_sockstat(struct tcpfsm_shards *sh, struct tcpfsm_sockstat *out)
{
    if (!sh || !out) return -EINVAL;
    struct tcpfsm_sockstat sum = {0};
    for (unsigned i = 0; i < sh->n; i++) {
        struct tcpfsm_sockstat s;
        int e = tcpfsm_shards_call(sh, i, read_sockstat, &s);
        if (e) return e;
        sum.inuse += s.inuse;
        sum.orphan += s.orphan;
        sum.tw += s.tw;
        sum.alloc += s.alloc;
        sum.mem += s.mem;
        sum.mem_bytes += s.mem_bytes;
        sum.synrecv += s.synrecv;
        sum.tcb_bytes += s.tcb_bytes;
        sum.record_bytes += s.record_bytes;
        sum.table_bytes += s.table_bytes;
    }
    *out = sum;
    return 0;
}

struct ss_text {
    char *text;
    int len;
};

static int read_ss(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    (void)sh;
    (void)i;
    struct ss_text *t = arg;
    int need = tcpfsm_ss(st, NULL, 0);
    if (need < 0) return need;
    if (!(t->text = malloc((size_t)need + 1))) return -ENOMEM;
    t->len = tcpfsm_ss(st, t->text, (size_t)need + 1);
    return 0;
}

int tcpfsm_shards_ss(struct tcpfsm_shards *sh, char *buf, size_t size)
{
    if (!sh || (!buf && size)) return -EINVAL;
    size_t off = 0;
    if (size) buf[0] = '\0';
    for (unsigned i = 0; i < sh->n; i++) {
        struct ss_text t = {0};
        int e = tcpfsm_shards_call(sh, i, read_ss, &t);
        if (e) return e;
        const char *p = t.text;
        size_t len = (size_t)t.len;
        if (i > 0) { /* the header line once, from the first shard */
            const char *nl = memchr(p, '\n', len);
            size_t skip = nl ? (size_t)(nl - p) + 1 : len;
            p += skip;
            len -= skip;
        }
        if (off + 1 < size) {
            size_t room = size - 1 - off, c = len < room ? len : room;
            memcpy(buf + off, p, c);
            buf[off + c] = '\0';
        }
        off += len;
        free(t.text);
    }
    return off > INT32_MAX ? -EOVERFLOW : (int)off;
}
