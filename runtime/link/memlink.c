/*
 * memlink.c — in-memory IPv4 (or Ethernet) link on a virtual clock with seeded impairments.
 *
 * Every packet sent is copied and pushed on one binary heap ordered by (due time, sequence
 * number); the sequence number breaks ties so packets due at the same instant keep their send
 * order (FIFO), as on a real wire. memlink_advance pops and delivers; memlink_send only
 * pushes, so delivery is never re-entrant. All randomness comes from one xoshiro256** stream
 * seeded with splitmix64, and each impairment draws only when enabled, so a run is a pure
 * function of (seed, configuration, sends).
 */
#include "memlink.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tcpfsm.h"

struct ml_pkt {
    uint64_t due, seq;
    uint32_t dir; /* index into l->dirs, for delivery statistics */
    uint32_t ep;  /* destination endpoint */
    size_t len;
    uint32_t cls;   /* size class (pkt_cls_size), or ML_NCLS for an exact-size one */
    bool corrupted; /* the link flipped bits in it: never vouched for by checksum offload */
    struct ml_pkt *next_free;
    uint8_t data[];
};

/* Delivered packets go to a per-class free list instead of back to malloc: a transfer sends
 * and delivers the same few sizes all the time. */
#define ML_NCLS 3
static const size_t pkt_cls_size[ML_NCLS] = {2048, 16384, 65536 + 64};
#if defined(__SANITIZE_ADDRESS__) /* let AddressSanitizer see every use after free */
static const uint32_t ml_free_max[ML_NCLS] = {0, 0, 0};
#else
static const uint32_t ml_free_max[ML_NCLS] = {4096, 256, 128}; /* 8 + 4 + 8 MiB at most */
#endif

struct ml_ep {
    uint32_t addr;
    uint8_t mac[6]; /* Ethernet mode: frames are routed by this destination address */
    void (*deliver)(void *arg, const void *pkt, size_t len);
    void (*deliver_ex)(void *arg, const void *pkt, size_t len, unsigned flags); /* or this */
    void *arg;
};

struct ml_dir {
    uint32_t from, to;
    struct memlink_impair im;
    bool perfect; /* im impairs nothing (impair_none): send_to takes its short path */
    struct memlink_stats st;
    uint64_t busy_until; /* rate limiter: when the last queued packet finishes */
    uint64_t *departs;   /* FIFO ring of departure times of queued packets */
    uint32_t dhead, dcount, dcap;
};

/* IPv4 mode: where packets from `from` to `to` went last (endpoint and direction indexes; an
 * endpoint or a direction, once made, keeps its index for the link's life). */
struct ml_route {
    uint32_t from, to;
    uint32_t ep, dir;
    bool set;
};
#define ML_ROUTES 16 /* a power of two; slot = destination address mod ML_ROUTES */

struct memlink {
    uint64_t rng[4];
    uint64_t now, seq;
    struct ml_ep *eps;
    size_t neps, cap_eps;
    struct ml_dir *dirs;
    size_t ndirs, cap_dirs;
    struct ml_pkt **heap;
    size_t nheap, cap_heap;
    /* Packets sent in (due, seq) order (no delay drawn, or the same delay) go to a FIFO
     * instead of the heap: O(1) each way. A packet due before the FIFO's last one goes to the
     * heap; delivery takes whichever of the two heads is earlier, so the order is the same
     * (due, seq) order as with the heap alone. */
    struct ml_pkt **fifo;
    size_t fhead, fcount, fcap; /* fcap a power of two */
    struct pcap_writer *pcap;
    struct ml_pkt *free_pkts[ML_NCLS];
    uint32_t nfree[ML_NCLS];
    /* Every IPv4 packet needs its endpoint and direction: a cache by destination spares most
     * of them the two linear searches (find_ep, find_dir). */
    struct ml_route routes[ML_ROUTES];
    int ether;         /* endpoints exchange Ethernet frames (memlink_attach_ether) */
    bool csum_offload; /* memlink_set_csum_offload */
};

static struct ml_pkt *pkt_alloc(struct memlink *l, size_t len)
{
    uint32_t c = 0;
    while (c < ML_NCLS && len > pkt_cls_size[c])
        c++;
    struct ml_pkt *p;
    if (c < ML_NCLS && l->free_pkts[c]) {
        p = l->free_pkts[c];
        l->free_pkts[c] = p->next_free;
        l->nfree[c]--;
        return p;
    }
    p = malloc(sizeof *p + (c < ML_NCLS ? pkt_cls_size[c] : len));
    if (p) p->cls = c;
    return p;
}

static void pkt_release(struct memlink *l, struct ml_pkt *p)
{
    uint32_t c = p->cls;
    if (c < ML_NCLS && l->nfree[c] < ml_free_max[c]) {
        p->next_free = l->free_pkts[c];
        l->free_pkts[c] = p;
        l->nfree[c]++;
        return;
    }
    free(p);
}

/* ---- PRNG: splitmix64 seeding, xoshiro256** (Blackman & Vigna) ---- */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct memlink *l)
{
    uint64_t *s = l->rng;
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_unit(struct memlink *l)
{
    return (double)(rng_next(l) >> 11) * 0x1.0p-53;
}

/* True with probability p; draws nothing when the impairment is off. */
static int chance(struct memlink *l, double p)
{
    if (!(p > 0)) return 0;
    return p >= 1 || rng_unit(l) < p;
}

/* Uniform in [0, n) without modulo bias worth mentioning (Lemire's multiply-shift). */
static uint64_t rng_below(struct memlink *l, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(l) * n) >> 64);
}

/* ---- heap of packets ordered by (due, seq) ---- */
static int pkt_before(const struct ml_pkt *a, const struct ml_pkt *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static int heap_push(struct memlink *l, struct ml_pkt *p)
{
    if (l->nheap == l->cap_heap) {
        size_t ncap = l->cap_heap ? l->cap_heap * 2 : 64;
        struct ml_pkt **h = realloc(l->heap, ncap * sizeof *h);
        if (!h) return -ENOMEM;
        l->heap = h;
        l->cap_heap = ncap;
    }
    size_t i = l->nheap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!pkt_before(p, l->heap[parent])) break;
        l->heap[i] = l->heap[parent];
        i = parent;
    }
    l->heap[i] = p;
    return 0;
}

static int fifo_push(struct memlink *l, struct ml_pkt *p)
{
    if (l->fcount == l->fcap) {
        size_t ncap = l->fcap ? l->fcap * 2 : 256;
        struct ml_pkt **f = malloc(ncap * sizeof *f);
        if (!f) return -ENOMEM;
        for (size_t k = 0; k < l->fcount; k++)
            f[k] = l->fifo[(l->fhead + k) & (l->fcap - 1)];
        free(l->fifo);
        l->fifo = f;
        l->fcap = ncap;
        l->fhead = 0;
    }
    l->fifo[(l->fhead + l->fcount++) & (l->fcap - 1)] = p;
    return 0;
}

/* The earliest queued packet (FIFO head or heap top), NULL if none. */
static struct ml_pkt *queue_peek(const struct memlink *l)
{
    struct ml_pkt *f = l->fcount ? l->fifo[l->fhead] : NULL;
    struct ml_pkt *h = l->nheap ? l->heap[0] : NULL;
    if (!f) return h;
    if (!h) return f;
    return pkt_before(h, f) ? h : f;
}

static struct ml_pkt *heap_pop(struct memlink *l);

/* Pop the earliest queued packet if it is due at or before `now`, else NULL: the choice
 * queue_peek makes, made once per delivery rather than once to look and again to pop. */
static struct ml_pkt *queue_pop_due(struct memlink *l, uint64_t now)
{
    struct ml_pkt *f = l->fcount ? l->fifo[l->fhead] : NULL;
    if (l->nheap && (!f || pkt_before(l->heap[0], f)))
        return l->heap[0]->due <= now ? heap_pop(l) : NULL;
    if (!f || f->due > now) return NULL;
    l->fhead = (l->fhead + 1) & (l->fcap - 1);
    l->fcount--;
    return f;
}

static int queue_push(struct memlink *l, struct ml_pkt *p)
{
    if (l->fcount == 0 || !pkt_before(p, l->fifo[(l->fhead + l->fcount - 1) & (l->fcap - 1)])) {
        if (fifo_push(l, p) == 0) return 0;
    }
    return heap_push(l, p);
}

static struct ml_pkt *heap_pop(struct memlink *l)
{
    struct ml_pkt *top = l->heap[0], *last = l->heap[--l->nheap];
    size_t i = 0, n = l->nheap;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && pkt_before(l->heap[c + 1], l->heap[c])) c++;
        if (!pkt_before(l->heap[c], last)) break;
        l->heap[i] = l->heap[c];
        i = c;
    }
    if (n > 0) l->heap[i] = last;
    return top;
}

/* ---- endpoints and directions ---- */
static long find_ep(const struct memlink *l, uint32_t addr)
{
    for (size_t i = 0; i < l->neps; i++)
        if (l->eps[i].addr == addr) return (long)i;
    return -1;
}

static long find_dir(const struct memlink *l, uint32_t from, uint32_t to)
{
    for (size_t i = 0; i < l->ndirs; i++)
        if (l->dirs[i].from == from && l->dirs[i].to == to) return (long)i;
    return -1;
}

static long get_dir(struct memlink *l, uint32_t from, uint32_t to)
{
    long i = find_dir(l, from, to);
    if (i >= 0) return i;
    if (l->ndirs == l->cap_dirs) {
        size_t ncap = l->cap_dirs ? l->cap_dirs * 2 : 4;
        struct ml_dir *d = realloc(l->dirs, ncap * sizeof *d);
        if (!d) return -1;
        l->dirs = d;
        l->cap_dirs = ncap;
    }
    struct ml_dir *d = &l->dirs[l->ndirs];
    memset(d, 0, sizeof *d);
    d->perfect = true;
    d->from = from;
    d->to = to;
    return (long)l->ndirs++;
}

struct memlink *memlink_new(uint64_t seed, uint64_t now_us)
{
    struct memlink *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    for (int i = 0; i < 4; i++)
        l->rng[i] = splitmix64(&seed);
    l->now = now_us;
    return l;
}

void memlink_free(struct memlink *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->nheap; i++)
        free(l->heap[i]);
    for (size_t i = 0; i < l->fcount; i++)
        free(l->fifo[(l->fhead + i) & (l->fcap - 1)]);
    free(l->fifo);
    for (int c = 0; c < ML_NCLS; c++)
        while (l->free_pkts[c]) {
            struct ml_pkt *p = l->free_pkts[c];
            l->free_pkts[c] = p->next_free;
            free(p);
        }
    for (size_t i = 0; i < l->ndirs; i++)
        free(l->dirs[i].departs);
    free(l->heap);
    free(l->dirs);
    free(l->eps);
    free(l);
}

static int attach(struct memlink *l, uint32_t addr, const uint8_t *mac, const struct ml_ep *cb)
{
    if ((!cb->deliver && !cb->deliver_ex) || (l->neps && l->ether != (mac != NULL))) return -EINVAL;
    if (mac && (mac[0] & 1)) return -EINVAL;
    for (size_t i = 0; mac && i < l->neps; i++)
        if (!memcmp(l->eps[i].mac, mac, 6)) return -EEXIST;
    l->ether = mac != NULL;
    if (find_ep(l, addr) >= 0) return -EEXIST;
    if (l->neps == l->cap_eps) {
        size_t ncap = l->cap_eps ? l->cap_eps * 2 : 4;
        struct ml_ep *e = realloc(l->eps, ncap * sizeof *e);
        if (!e) return -ENOMEM;
        l->eps = e;
        l->cap_eps = ncap;
    }
    l->eps[l->neps] = *cb;
    l->eps[l->neps].addr = addr;
    if (mac) memcpy(l->eps[l->neps].mac, mac, 6);
    return (int)l->neps++;
}

int memlink_attach(struct memlink *l, uint32_t addr,
                   void (*deliver)(void *arg, const void *pkt, size_t len), void *arg)
{
    return attach(l, addr, NULL, &(struct ml_ep){.deliver = deliver, .arg = arg});
}

int memlink_attach_ex(struct memlink *l, uint32_t addr,
                      void (*deliver)(void *arg, const void *pkt, size_t len, unsigned flags),
                      void *arg)
{
    return attach(l, addr, NULL, &(struct ml_ep){.deliver_ex = deliver, .arg = arg});
}

void memlink_set_csum_offload(struct memlink *l, int on)
{
    l->csum_offload = on != 0;
}

int memlink_attach_ether(struct memlink *l, uint32_t addr, const uint8_t mac[6],
                         void (*deliver)(void *arg, const void *pkt, size_t len), void *arg)
{
    if (!mac) return -EINVAL;
    return attach(l, addr, mac, &(struct ml_ep){.deliver = deliver, .arg = arg});
}

/* True when the general path of send_to would neither drop, delay, copy nor draw anything for
 * a packet (each test there written the same way: a probability acts only when > 0, a blackout
 * only when from < until). Most scenarios use perfect directions, and their packets need none
 * of that work; reorder_delay_us and queue_limit matter only with reorder and rate_bps. */
static bool impair_none(const struct memlink_impair *im)
{
    return !im->delay_us && !im->jitter_us && !(im->loss > 0) && !(im->reorder > 0) &&
           !(im->duplicate > 0) && !(im->corrupt > 0) && !im->rate_bps &&
           im->blackout_from_us >= im->blackout_until_us;
}

void memlink_set_impair(struct memlink *l, uint32_t from_addr, uint32_t to_addr,
                        const struct memlink_impair *im)
{
    long i = get_dir(l, from_addr, to_addr);
    if (i < 0) return;
    struct ml_dir *d = &l->dirs[i];
    if (im)
        d->im = *im;
    else
        memset(&d->im, 0, sizeof d->im);
    d->perfect = impair_none(&d->im);
}

void memlink_set_pcap(struct memlink *l, struct pcap_writer *w)
{
    l->pcap = w;
}

/* Rate limiter (a token-bucket-free FIFO like a serializing interface): returns the time the
 * packet has left the interface, or UINT64_MAX for a tail drop when the queue is full. */
static uint64_t rate_depart(struct memlink *l, struct ml_dir *d, size_t len)
{
    uint32_t limit = d->im.queue_limit ? d->im.queue_limit : MEMLINK_DEFAULT_QUEUE_LIMIT;
    while (d->dcount > 0 && d->departs[d->dhead] <= l->now) {
        d->dhead = (d->dhead + 1) % d->dcap;
        d->dcount--;
    }
    if (d->dcount >= limit) return UINT64_MAX;
    if (d->dcount == d->dcap) {
        uint32_t ncap = d->dcap ? d->dcap * 2 : 16;
        uint64_t *r = malloc(ncap * sizeof *r);
        if (!r) return UINT64_MAX;
        for (uint32_t k = 0; k < d->dcount; k++)
            r[k] = d->departs[(d->dhead + k) % d->dcap];
        free(d->departs);
        d->departs = r;
        d->dcap = ncap;
        d->dhead = 0;
    }
    uint64_t start = d->busy_until > l->now ? d->busy_until : l->now;
    /* Serialization time, rounded up so a packet never leaves early. */
    uint64_t ser = ((uint64_t)len * 8u * 1000000u + d->im.rate_bps - 1) / d->im.rate_bps;
    d->busy_until = start + ser;
    d->departs[(d->dhead + d->dcount) % d->dcap] = d->busy_until;
    d->dcount++;
    return d->busy_until;
}

static int enqueue(struct memlink *l, uint32_t dir, uint32_t ep, uint64_t due, const void *pkt,
                   size_t len, bool corrupted)
{
    struct ml_pkt *p = pkt_alloc(l, len);
    if (!p) return -ENOMEM;
    p->due = due;
    p->seq = l->seq++;
    p->dir = dir;
    p->ep = ep;
    p->len = len;
    p->corrupted = corrupted;
    memcpy(p->data, pkt, len);
    if (queue_push(l, p) != 0) {
        pkt_release(l, p);
        return -ENOMEM;
    }
    return 0;
}

static void send_on(struct memlink *l, long di, long ep, const void *pkt, size_t len);

static void send_to(struct memlink *l, uint32_t from_addr, long ep, const void *pkt, size_t len)
{
    long di = get_dir(l, from_addr, l->eps[ep].addr);
    if (di >= 0) send_on(l, di, ep, pkt, len);
}

/* Ethernet mode: to the endpoint whose MAC the frame names, or a group address (broadcast,
 * multicast) to every endpoint but the sender, each copy through its own direction. */
static void send_frame(struct memlink *l, uint32_t from_addr, const uint8_t *f, size_t len)
{
    if (len < 14) return;
    for (size_t i = 0; i < l->neps; i++) {
        const struct ml_ep *e = &l->eps[i];
        if (f[0] & 1 ? e->addr != from_addr : !memcmp(e->mac, f, 6))
            send_to(l, from_addr, (long)i, f, len);
    }
}

/* memlink_send's every case (pcap, Ethernet, impairments, a first packet to route); out of
 * line, so that the short path below saves no registers. */
__attribute__((noinline)) static void send_any(struct memlink *l, uint32_t from_addr,
                                               const void *pkt, size_t len)
{
    const uint8_t *b = pkt;
    if (l->pcap) pcap_write(l->pcap, l->now, pkt, len);
    if (l->ether) {
        send_frame(l, from_addr, b, len);
        return;
    }
    if (len < 20) /* no IPv4 destination to route by */
        return;
    uint32_t to = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    struct ml_route *r = &l->routes[to & (ML_ROUTES - 1)];
    if (r->set && r->to == to && r->from == from_addr) {
        send_on(l, r->dir, r->ep, pkt, len);
        return;
    }
    /* No endpoint has that address (e.g. the forged sources of a SYN flood): nothing to
     * deliver, and no per-direction state is created for it (that would grow without bound). */
    long ep = find_ep(l, to);
    if (ep < 0) {
        long known = find_dir(l, from_addr, to); /* counted only where stats were asked for */
        if (known >= 0) {
            l->dirs[known].st.sent++;
            l->dirs[known].st.lost++;
        }
        return;
    }
    long di = get_dir(l, from_addr, to);
    if (di < 0) return;
    *r = (struct ml_route){
        .from = from_addr, .to = to, .ep = (uint32_t)ep, .dir = (uint32_t)di, .set = true};
    send_on(l, di, ep, pkt, len);
}

void memlink_send(struct memlink *l, uint32_t from_addr, const void *pkt, size_t len)
{
    /* The short path: no capture, IPv4, a routed destination, an unimpaired direction; the
     * same steps as send_any takes for it. */
    const uint8_t *b = pkt;
    if (!l->pcap && !l->ether && len >= 20 && len <= MEMLINK_MAX_PKT) {
        uint32_t to = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
        struct ml_route *r = &l->routes[to & (ML_ROUTES - 1)];
        if (r->set && r->to == to && r->from == from_addr && l->dirs[r->dir].perfect) {
            l->dirs[r->dir].st.sent++;
            enqueue(l, r->dir, r->ep, l->now, pkt, len, false);
            return;
        }
    }
    send_any(l, from_addr, pkt, len);
}

/* Send on direction di to endpoint ep, through the direction's impairments. */
static void send_on(struct memlink *l, long di, long ep, const void *pkt, size_t len)
{
    struct ml_dir *d = &l->dirs[di];
    const struct memlink_impair *im = &d->im;
    d->st.sent++;
    if (d->perfect && len <= MEMLINK_MAX_PKT) {
        enqueue(l, (uint32_t)di, (uint32_t)ep, l->now, pkt, len, false);
        return;
    }

    if (len > MEMLINK_MAX_PKT ||
        (l->now >= im->blackout_from_us && l->now < im->blackout_until_us) || chance(l, im->loss)) {
        d->st.lost++;
        return;
    }
    uint64_t due = l->now;
    if (im->rate_bps) {
        due = rate_depart(l, d, len);
        if (due == UINT64_MAX) {
            d->st.queue_drops++;
            return;
        }
    }
    due += im->delay_us;
    if (im->jitter_us) due += rng_below(l, (uint64_t)im->jitter_us + 1);
    if (chance(l, im->reorder)) {
        due += im->reorder_delay_us;
        d->st.reordered++;
    }
    int dup = chance(l, im->duplicate);

    uint8_t *copy = NULL;
    const void *out = pkt;
    if (chance(l, im->corrupt)) {
        copy = malloc(len);
        if (!copy) return;
        memcpy(copy, pkt, len);
        /* 1..3 distinct bits of one 16-bit word: real links corrupt in bursts, and an error
         * confined to one word always changes the one's-complement sum (RFC 1071), so the
         * receiver's checksum is guaranteed to catch it. Flips spread over several words can
         * cancel and slip through, which would make loss tests nondeterministically lossy. */
        size_t w = (size_t)rng_below(l, (len + 1) / 2) * 2;
        unsigned bits = w + 1 < len ? 16 : 8;
        unsigned nflip = 1 + (unsigned)rng_below(l, 3), mask = 0;
        while (__builtin_popcount(mask) < (int)nflip)
            mask |= 1u << rng_below(l, bits);
        copy[w] ^= (uint8_t)mask;
        if (bits == 16) copy[w + 1] ^= (uint8_t)(mask >> 8);
        out = copy;
        d->st.corrupted++;
    }
    if (enqueue(l, (uint32_t)di, (uint32_t)ep, due, out, len, copy != NULL) == 0 && dup &&
        enqueue(l, (uint32_t)di, (uint32_t)ep, due, out, len, copy != NULL) == 0)
        d->st.duplicated++;
    free(copy);
}

uint64_t memlink_next_delivery(const struct memlink *l)
{
    const struct ml_pkt *p = queue_peek(l);
    return p ? p->due : UINT64_MAX;
}

size_t memlink_advance(struct memlink *l, uint64_t now_us)
{
    size_t n = 0;
    for (struct ml_pkt *p; (p = queue_pop_due(l, now_us));) {
        /* The clock reads the delivery instant, so packets sent in response are stamped
         * (and delayed) from when the trigger arrived, not from the end of the step. */
        if (p->due > l->now) l->now = p->due;
        l->dirs[p->dir].st.delivered++;
        struct ml_ep *e = &l->eps[p->ep];
        if (e->deliver_ex)
            e->deliver_ex(e->arg, p->data, p->len,
                          l->csum_offload && !p->corrupted ? TCPFSM_IN_CSUM_VALID : 0);
        else
            e->deliver(e->arg, p->data, p->len);
        pkt_release(l, p);
        n++;
    }
    if (now_us > l->now) l->now = now_us;
    return n;
}

void memlink_get_stats(const struct memlink *l, uint32_t from_addr, uint32_t to_addr,
                       struct memlink_stats *s)
{
    long i = find_dir(l, from_addr, to_addr);
    if (i < 0)
        memset(s, 0, sizeof *s);
    else
        *s = l->dirs[i].st;
}
