/*
 * fuzz_packet.c — libFuzzer harness for the packet input path (after lwIP's fuzz3).
 *
 * Every input starts from the same world: a server stack (10.0.0.1) listening on port 80 and
 * a client stack (10.0.0.2) with one connection established to it through the public API,
 * the packets carried by this harness. The input is then a sequence of records
 *
 *     [op: 1 byte][len: 2 bytes, little endian][payload: len bytes]
 *
 * (a truncated last record takes what is left). The low 4 bits of op choose what to do:
 *
 *   0 PKT_SERVER   payload is an IPv4 datagram given to the server's tcpfsm_input
 *   1 PKT_CLIENT   ... to the client's
 *   2 ADVANCE      time += LE32(payload) ms (capped at one hour), both stacks advanced
 *   3 DELIVER      deliver up to payload[0] queued packets each way (0 = until quiet)
 *   4 DROP         drop the queued packets of direction payload[0] & 1 (0 = to server)
 *   5 SEND         send(payload[1..]) on fd SEL (empty = 3000 bytes of pattern)
 *   6 RECV         recv up to LE16(payload[1..2]) bytes (0 = 64 KiB) on fd SEL
 *   7 CLOSE        close fd SEL
 *   8 SHUTDOWN     shutdown(fd SEL, payload[1] % 3)
 *   9 ABORT        abort fd SEL
 *  10 ACCEPT       accept on fd SEL, the new fd gets the next free slot
 *  11 CONNECT      new socket on stack SEL connecting to the peer, port LE16(payload[1..2])
 *                  (0 = 80); the fd gets the next free slot
 *  12 SETOPT       setopt(fd SEL, payload[1] % 8, LE32(payload[2..5]))
 *  13 OBSERVE      poll, error, getname, get_info on every slot; ss, stats, coverage
 *  14 LISTEN       new socket on stack SEL: bind to port LE16(payload[1..2]), listen
 *  15 (reserved)   ignored
 *
 * SEL = payload[0]: bit 7 chooses the stack (0 server, 1 client), bits 0-2 a slot of that
 * stack's descriptor table (server: 0 listener, 1 accepted connection; client: 0 the
 * connection). An empty slot passes the slot number itself as fd, to reach -EBADF paths.
 *
 * For packet ops the high bits of op are fix-ups applied to a copy of the payload, so the
 * fuzzer can reach the state machine instead of dying in validation:
 *
 *   0x80 FIX_IP    version 4, IHL 5 if invalid, total length = len, protocol TCP, no fragment
 *   0x60 ADDR      1: addresses/ports of the established connection (as sent by the peer)
 *                  2: addresses of the peer, destination port 80 (the listener); sport kept
 *                  3: as 1, and seq/ack are offsets from what the target stack expects
 *                     (seq += its RCV.NXT, ack += its SND.NXT, learnt from its output)
 *   0x10 FIX_CSUM  IPv4 header and TCP checksums recomputed
 *
 * An ICMP payload (protocol 1; not with FIX_IP, which makes it TCP) takes ADDR and FIX_CSUM
 * too: ADDR sets its addresses and, for an error quoting an IP header and 8 octets, makes the
 * quote a segment of the established connection sent by the target stack (mode 3: its
 * sequence number an offset from the target's SND.NXT); FIX_CSUM recomputes the ICMP
 * checksum.
 *
 * Time, randomness and the link are all here, so an input replays exactly.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tcpfsm.h"

#define SERVER_ADDR 0x0a000001u /* 10.0.0.1 */
#define CLIENT_ADDR 0x0a000002u /* 10.0.0.2 */
#define SERVER_PORT 80
#define SLOTS 8
#define QUEUE_MAX 256   /* packets held per direction; more are dropped like a full NIC */
#define DELIVER_MAX 512 /* deliveries per DELIVER op, so ACK ping-pong cannot loop forever */
#define PKT_MAX 65535

enum op {
    OP_PKT_SERVER,
    OP_PKT_CLIENT,
    OP_ADVANCE,
    OP_DELIVER,
    OP_DROP,
    OP_SEND,
    OP_RECV,
    OP_CLOSE,
    OP_SHUTDOWN,
    OP_ABORT,
    OP_ACCEPT,
    OP_CONNECT,
    OP_SETOPT,
    OP_OBSERVE,
    OP_LISTEN,
};

#define OPF_FIX_IP 0x80u
#define OPF_FIX_CSUM 0x10u
#define OPF_ADDR(op) (((op) >> 5) & 3u)

struct qpkt {
    struct qpkt *next;
    size_t len;
    uint8_t data[];
};

/* One side of the world: a stack, its descriptor slots, what it sent but nobody received yet,
 * and the sequence space of the established connection as seen in its own output. */
struct side {
    struct tcpfsm_stack *st;
    struct world *w;
    uint32_t addr;
    int fd[SLOTS];
    struct qpkt *head, *tail; /* sent by this stack, waiting for delivery to the other */
    unsigned queued;
    bool seen;        /* sent at least one segment on the main connection */
    uint32_t snd_nxt; /* highest seq + seg.len (SYN and FIN count) it sent */
    uint32_t rcv_nxt; /* last ack field it sent */
};

struct world {
    struct side srv, cli;
    uint16_t cport; /* client port of the main connection */
    tcpfsm_time_t now;
    uint64_t rng;
};

/* splitmix64: the stacks' random source, reseeded for every input so runs replay exactly. */
static uint64_t world_random(void *arg)
{
    struct world *w = arg;
    uint64_t z = (w->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}
static uint32_t le(const uint8_t *p, size_t len, size_t off, size_t n)
{
    uint32_t v = 0;
    for (size_t i = 0; i < n && off + i < len; i++)
        v |= (uint32_t)p[off + i] << (8 * i);
    return v;
}

/* The harness's own checksum, so it does not trust the code under test to fix its inputs. */
static uint32_t csum_acc(uint32_t acc, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        acc += get16(p + i);
    if (len & 1) acc += (uint32_t)p[len - 1] << 8;
    return acc;
}
static uint16_t csum_fold16(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

/* The TCP header of an IPv4 datagram, or NULL when there is not a whole one. */
static uint8_t *tcp_header(uint8_t *p, size_t len, size_t *ihl)
{
    if (len < 20 || p[0] >> 4 != 4) return NULL;
    *ihl = (size_t)(p[0] & 15) * 4;
    if (*ihl < 20 || *ihl + 20 > len || p[9] != 6) return NULL;
    return p + *ihl;
}

/* Oracle: whatever the input, every datagram the stack emits must be well formed. */
static void check_output(const struct side *s, const uint8_t *p, size_t len)
{
    const char *why = NULL;
    size_t ihl = len >= 20 ? (size_t)(p[0] & 15) * 4 : 0;
    size_t min = len >= 20 && p[9] == 1 ? 8 : 20; /* ICMP's header, or TCP's */
    if (len < 20 || p[0] >> 4 != 4 || ihl < 20 || ihl + min > len)
        why = "short datagram or bad IP header length";
    else if (get16(p + 2) != len)
        why = "IP total length differs from the datagram's length";
    else if (p[9] == 1 && get32(p + 12) != s->addr)
        why = "ICMP source address is not the stack's";
    else if (p[9] == 1 && csum_fold16(csum_acc(0, p, ihl)) != 0)
        why = "bad IP header checksum";
    else if (p[9] == 1 && csum_fold16(csum_acc(0, p + ihl, len - ihl)) != 0)
        why = "bad ICMP checksum";
    else if (p[9] == 1)
        why = NULL; /* an echo reply or protocol unreachable */
    else if (p[9] != 6)
        why = "protocol is neither TCP nor ICMP";
    else if (get32(p + 12) != s->addr)
        why = "source address is not the stack's";
    else if (csum_fold16(csum_acc(0, p, ihl)) != 0)
        why = "bad IP header checksum";
    else if ((size_t)(p[ihl + 12] >> 4) * 4 < 20 || ihl + (size_t)(p[ihl + 12] >> 4) * 4 > len)
        why = "bad TCP data offset";
    else if (csum_fold16(csum_acc(csum_acc(0, p + 12, 8) + 6 + (uint32_t)(len - ihl), p + ihl,
                                  len - ihl)) != 0)
        why = "bad TCP checksum";
    if (why) {
        fprintf(stderr, "fuzz_packet: stack %08x emitted a malformed datagram (%zu bytes): %s\n",
                (unsigned)s->addr, len, why);
        abort();
    }
}

static void side_output(void *arg, const void *packet, size_t len)
{
    struct side *s = arg;
    struct world *w = s->w;
    check_output(s, packet, len);
    if (s->queued >= QUEUE_MAX || len > PKT_MAX) return;
    struct qpkt *q = malloc(sizeof *q + len);
    if (!q) return;
    q->next = NULL;
    q->len = len;
    memcpy(q->data, packet, len);
    if (s->tail)
        s->tail->next = q;
    else
        s->head = q;
    s->tail = q;
    s->queued++;

    /* Learn the main connection's sequence space for ADDR mode 3. */
    size_t ihl;
    uint8_t *t = tcp_header(q->data, len, &ihl);
    if (!t || ((size_t)(t[12] >> 4) * 4) < 20) return;
    struct side *peer = s == &w->srv ? &w->cli : &w->srv;
    uint16_t lport = s == &w->srv ? SERVER_PORT : w->cport;
    uint16_t rport = s == &w->srv ? w->cport : SERVER_PORT;
    if (get32(q->data + 12) != s->addr || get32(q->data + 16) != peer->addr || get16(t) != lport ||
        get16(t + 2) != rport)
        return;
    size_t tot = get16(q->data + 2) <= len ? get16(q->data + 2) : len;
    size_t doff = (size_t)(t[12] >> 4) * 4;
    uint32_t dlen = tot > ihl + doff ? (uint32_t)(tot - ihl - doff) : 0;
    uint8_t flags = t[13];
    uint32_t end = get32(t + 4) + dlen + !!(flags & 0x02) + !!(flags & 0x01);
    if (!s->seen || (int32_t)(end - s->snd_nxt) > 0) s->snd_nxt = end;
    if (flags & 0x10) s->rcv_nxt = get32(t + 8);
    s->seen = true;
}

/* Hand at most `max` queued packets of s to the other stack; returns how many. */
static unsigned side_deliver(struct side *s, unsigned max)
{
    struct world *w = s->w;
    struct side *peer = s == &w->srv ? &w->cli : &w->srv;
    unsigned n = 0;
    while (s->head && n < max) {
        struct qpkt *q = s->head;
        s->head = q->next;
        if (!s->head) s->tail = NULL;
        s->queued--;
        tcpfsm_input(peer->st, q->data, q->len);
        free(q);
        n++;
    }
    return n;
}

static void side_drop(struct side *s)
{
    while (s->head) {
        struct qpkt *q = s->head;
        s->head = q->next;
        free(q);
    }
    s->tail = NULL;
    s->queued = 0;
}

/* Alternate directions until both queues are empty or the budget is spent. */
static void world_pump(struct world *w, unsigned budget)
{
    while (budget > 0 && (w->srv.head || w->cli.head)) {
        unsigned n = side_deliver(&w->cli, 1);
        n += side_deliver(&w->srv, 1);
        budget = n >= budget ? 0 : budget - n;
    }
}

static void world_advance(struct world *w, tcpfsm_time_t delta)
{
    w->now += delta;
    tcpfsm_advance(w->srv.st, w->now);
    tcpfsm_advance(w->cli.st, w->now);
}

static int side_slot_add(struct side *s, int fd)
{
    if (fd < 0) return -1;
    for (int i = 0; i < SLOTS; i++)
        if (s->fd[i] < 0) {
            s->fd[i] = fd;
            return i;
        }
    return -1; /* full: the fd stays open and is freed with the stack */
}

static struct tcpfsm_stack *side_new(struct world *w, struct side *s, uint32_t addr)
{
    s->w = w;
    s->addr = addr;
    for (int i = 0; i < SLOTS; i++)
        s->fd[i] = -1;
    struct tcpfsm_config cfg = {
        .addr = addr,
        .output = side_output,
        .output_arg = s,
        .random = world_random,
        .random_arg = w,
        .now = w->now,
        /* Small limits, so a short input can fill buffers and run out of sockets. */
        .max_sockets = 16,
        .sndbuf = 16384,
        .rcvbuf = 16384,
        .max_buffer_bytes = 256 * 1024,
    };
    int err = 0;
    s->st = tcpfsm_stack_new(&cfg, &err);
    return s->st;
}

/* Server listening on 80, client connected to it, the handshake carried by the pump. */
static bool world_init(struct world *w)
{
    memset(w, 0, sizeof *w);
    w->now = 1000000000ull; /* not zero: a clock that starts at 0 hides underflow bugs */
    w->rng = 0x7463706673ull;
    if (!side_new(w, &w->srv, SERVER_ADDR) || !side_new(w, &w->cli, CLIENT_ADDR)) return false;

    int lfd = tcpfsm_socket(w->srv.st);
    if (lfd >= 0) {
        tcpfsm_bind(w->srv.st, lfd, SERVER_ADDR, SERVER_PORT);
        tcpfsm_listen(w->srv.st, lfd, 8);
    }
    w->srv.fd[0] = lfd;
    int cfd = tcpfsm_socket(w->cli.st);
    if (cfd >= 0) tcpfsm_connect(w->cli.st, cfd, SERVER_ADDR, SERVER_PORT);
    w->cli.fd[0] = cfd;
    uint32_t la, ra;
    uint16_t lp = 0, rp;
    if (cfd >= 0 && tcpfsm_getname(w->cli.st, cfd, &la, &lp, &ra, &rp) == 0) w->cport = lp;
    /* getname may not know the port before the SYN left; the SYN itself tells. */
    if (w->cport == 0 && w->cli.head) {
        size_t ihl;
        uint8_t *t = tcp_header(w->cli.head->data, w->cli.head->len, &ihl);
        if (t) w->cport = get16(t);
    }
    world_pump(w, 64);
    w->srv.fd[1] = lfd >= 0 ? tcpfsm_accept(w->srv.st, lfd, NULL, NULL) : -1;
    if (w->srv.fd[1] < 0) w->srv.fd[1] = -1;
    return true;
}

static void world_free(struct world *w)
{
    side_drop(&w->srv);
    side_drop(&w->cli);
    if (w->srv.st) tcpfsm_stack_free(w->srv.st);
    if (w->cli.st) tcpfsm_stack_free(w->cli.st);
}

/* The ICMP part of fix_packet (p[9] == 1, IP header length ihl valid). */
static void fix_icmp(struct world *w, struct side *to, unsigned op, uint8_t *p, size_t len,
                     size_t ihl)
{
    struct side *from = to == &w->srv ? &w->cli : &w->srv;
    uint8_t *ic = p + ihl, *q = ic + 8; /* the message, the datagram an error quotes */
    size_t qhl = len >= ihl + 8 + 20 ? (size_t)(q[0] & 15) * 4 : 0;
    if (OPF_ADDR(op) != 0) {
        put32(p + 12, from->addr);
        put32(p + 16, to->addr);
        if (qhl >= 20 && len >= ihl + 8 + qhl + 8) { /* a segment `to` sent to `from` */
            put32(q + 12, to->addr);
            put32(q + 16, from->addr);
            q[9] = 6;
            put16(q + qhl, to == &w->srv ? SERVER_PORT : w->cport);
            put16(q + qhl + 2, to == &w->srv ? w->cport : SERVER_PORT);
            if (OPF_ADDR(op) == 3 && to->seen) put32(q + qhl + 4, get32(q + qhl + 4) + to->snd_nxt);
        }
    }
    if ((op & OPF_FIX_CSUM) && len >= ihl + 8) {
        size_t tot = get16(p + 2);
        if (tot < ihl + 8 || tot > len) tot = len;
        put16(p + 10, 0);
        put16(p + 10, csum_fold16(csum_acc(0, p, ihl)));
        put16(ic + 2, 0);
        put16(ic + 2, csum_fold16(csum_acc(0, ic, tot - ihl)));
    }
}

/* Apply the op's fix-ups to pkt (a private copy) before it goes to stack `to`. */
static void fix_packet(struct world *w, struct side *to, unsigned op, uint8_t *p, size_t len)
{
    if (!(op & OPF_FIX_IP) && len >= 20 && p[0] >> 4 == 4 && p[9] == 1 &&
        (size_t)(p[0] & 15) * 4 >= 20 && (size_t)(p[0] & 15) * 4 <= len) {
        fix_icmp(w, to, op, p, len, (size_t)(p[0] & 15) * 4);
        return;
    }
    if ((op & OPF_FIX_IP) && len >= 20) {
        unsigned ihl = p[0] & 15;
        if (ihl < 5 || ihl * 4 > len) ihl = 5;
        p[0] = (uint8_t)(0x40 | ihl);
        put16(p + 2, (uint16_t)len);
        put16(p + 6, get16(p + 6) & 0x4000); /* keep DF, clear MF and the offset */
        p[9] = 6;
    }
    size_t ihl;
    uint8_t *t = tcp_header(p, len, &ihl);
    struct side *from = to == &w->srv ? &w->cli : &w->srv;
    if (t && OPF_ADDR(op) != 0) {
        put32(p + 12, from->addr);
        put32(p + 16, to->addr);
        if (OPF_ADDR(op) == 2) {
            put16(t + 2, SERVER_PORT);
        } else {
            put16(t, to == &w->srv ? w->cport : SERVER_PORT);
            put16(t + 2, to == &w->srv ? SERVER_PORT : w->cport);
        }
        if (OPF_ADDR(op) == 3 && to->seen) {
            put32(t + 4, get32(t + 4) + to->rcv_nxt);
            put32(t + 8, get32(t + 8) + to->snd_nxt);
        }
    }
    if (op & OPF_FIX_CSUM) {
        if (len >= 20 && p[0] >> 4 == 4) {
            size_t hl = (size_t)(p[0] & 15) * 4;
            if (hl >= 20 && hl <= len) {
                put16(p + 10, 0);
                put16(p + 10, csum_fold16(csum_acc(0, p, hl)));
            }
        }
        if (t) {
            size_t tot = get16(p + 2);
            if (tot < ihl + 20 || tot > len) tot = len;
            size_t tlen = tot - ihl;
            uint32_t acc = csum_acc(0, p + 12, 8) + 6 + (uint32_t)tlen;
            put16(t + 16, 0);
            put16(t + 16, csum_fold16(csum_acc(acc, t, tlen)));
        }
    }
}

static int side_fd(const struct side *s, uint8_t sel)
{
    int slot = sel & (SLOTS - 1);
    return s->fd[slot] >= 0 ? s->fd[slot] : slot;
}

static void slot_forget(struct side *s, uint8_t sel)
{
    s->fd[sel & (SLOTS - 1)] = -1;
}

static void observe(struct side *s)
{
    for (int i = 0; i < SLOTS; i++) {
        int fd = s->fd[i] >= 0 ? s->fd[i] : i;
        struct tcpfsm_info info;
        uint32_t la, ra;
        uint16_t lp, rp;
        tcpfsm_poll(s->st, fd);
        tcpfsm_error(s->st, fd);
        tcpfsm_getname(s->st, fd, &la, &lp, &ra, &rp);
        if (tcpfsm_get_info(s->st, fd, &info) == 0 && info.state) (void)strlen(info.state);
    }
    char small[64];
    static char big[16384];
    int need = tcpfsm_ss(s->st, small, sizeof small);
    if (need >= 0 && (size_t)need >= sizeof small) tcpfsm_ss(s->st, big, sizeof big);
    tcpfsm_ss(s->st, NULL, 0);
    struct tcpfsm_stats stats;
    tcpfsm_get_stats(s->st, &stats);
    uint64_t counts[512];
    tcpfsm_coverage(s->st, counts, 512);
    tcpfsm_next_timeout(s->st);
}

static void run_op(struct world *w, unsigned op, const uint8_t *p, size_t len)
{
    static uint8_t buf[PKT_MAX];
    uint8_t sel = len > 0 ? p[0] : 0;
    struct side *s = (sel & 0x80) ? &w->cli : &w->srv;
    struct side *peer = s == &w->srv ? &w->cli : &w->srv;

    switch (op & 15) {
    case OP_PKT_SERVER:
    case OP_PKT_CLIENT: {
        struct side *to = (op & 15) == OP_PKT_SERVER ? &w->srv : &w->cli;
        uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */
        if (!copy) return;
        memcpy(copy, p, len);
        fix_packet(w, to, op, copy, len);
        tcpfsm_input(to->st, copy, len);
        free(copy);
        break;
    }
    case OP_ADVANCE: {
        uint32_t ms = le(p, len, 0, 4);
        if (ms > 3600u * 1000u) ms = 3600u * 1000u;
        world_advance(w, (tcpfsm_time_t)ms * 1000u);
        break;
    }
    case OP_DELIVER: {
        unsigned max = len > 0 && p[0] ? p[0] : DELIVER_MAX;
        world_pump(w, max);
        break;
    }
    case OP_DROP:
        side_drop(sel & 1 ? &w->srv : &w->cli);
        break;
    case OP_SEND:
        if (len > 1) {
            tcpfsm_send(s->st, side_fd(s, sel), p + 1, len - 1);
        } else {
            for (size_t i = 0; i < 3000; i++)
                buf[i] = (uint8_t)(i * 7);
            tcpfsm_send(s->st, side_fd(s, sel), buf, 3000);
        }
        break;
    case OP_RECV: {
        size_t max = le(p, len, 1, 2);
        tcpfsm_recv(s->st, side_fd(s, sel), buf, max ? max : sizeof buf);
        break;
    }
    case OP_CLOSE:
        if (tcpfsm_close(s->st, side_fd(s, sel)) == 0) slot_forget(s, sel);
        break;
    case OP_SHUTDOWN:
        tcpfsm_shutdown(s->st, side_fd(s, sel), (int)(le(p, len, 1, 1) % 3));
        break;
    case OP_ABORT:
        if (tcpfsm_abort(s->st, side_fd(s, sel)) == 0) slot_forget(s, sel);
        break;
    case OP_ACCEPT: {
        uint32_t a;
        uint16_t port;
        side_slot_add(s, tcpfsm_accept(s->st, side_fd(s, sel), &a, &port));
        break;
    }
    case OP_CONNECT: {
        uint16_t port = (uint16_t)le(p, len, 1, 2);
        int fd = tcpfsm_socket(s->st);
        if (fd < 0) break;
        tcpfsm_connect(s->st, fd, peer->addr, port ? port : SERVER_PORT);
        if (side_slot_add(s, fd) < 0) tcpfsm_abort(s->st, fd);
        break;
    }
    case OP_SETOPT:
        tcpfsm_setopt(s->st, side_fd(s, sel), (int)(le(p, len, 1, 1) % 8), le(p, len, 2, 4));
        break;
    case OP_OBSERVE:
        observe(&w->srv);
        observe(&w->cli);
        break;
    case OP_LISTEN: {
        int fd = tcpfsm_socket(s->st);
        if (fd < 0) break;
        uint16_t port = (uint16_t)le(p, len, 1, 2);
        tcpfsm_bind(s->st, fd, s->addr, port);
        tcpfsm_listen(s->st, fd, (int)(sel & 0x70) >> 4);
        if (side_slot_add(s, fd) < 0) tcpfsm_close(s->st, fd);
        break;
    }
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct world *w = calloc(1, sizeof *w);
    if (!w) return 0;
    if (world_init(w)) {
        size_t pos = 0;
        while (pos < size) {
            unsigned op = data[pos++];
            size_t len = le(data, size, pos, 2);
            pos += 2;
            if (pos > size) pos = size;
            if (len > size - pos) len = size - pos;
            run_op(w, op, data + pos, len);
            pos += len;
        }
    }
    world_free(w);
    free(w);
    return 0;
}
