/*
 * test_vnet.c — segmentation and checksum offload through virtio-net headers
 * (runtime/link/vnet.c, the tcpfsm_vnet_* calls) and the stack's side of it
 * (TCPFSM_F_CSUM_OFFLOAD, tcpfsm_input_ex's TCPFSM_IN_CSUM_VALID and TCPFSM_IN_MORE).
 *
 * Two stacks joined by a wire in this process. The kernel's part is played by code of this
 * file written from the kernel's rules (tcp_gso_segment, inet_gso_segment): it cuts a GSO
 * frame into segments and completes their checksums, independently of vnet.c's own cutter.
 *   - what a sender's segments look like after gathering and the kernel's cutting is, byte
 *     for byte, what they were without offload (with the stack summing checksums or not);
 *   - a GSO packet received is one train: every segment processed, one ACK for it;
 *   - every malformed header is dropped and counted; offloads refused fall back to one
 *     segment per frame.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "rt_test.h"
#include "tcpfsm.h"

#define A_ADDR RT_IP(10, 0, 0, 1)
#define B_ADDR RT_IP(10, 0, 0, 2)
#define VH 10 /* virtio_net_hdr */
#define MAXPKTS 20000

/* ------------------------------------------------------------------ the wire ---- */

struct pkt {
    size_t len;
    uint8_t *data;
};
struct plist { /* packets in order */
    struct pkt *p;
    size_t n;
};

static void plist_add(struct plist *l, const void *data, size_t len)
{
    rt_require(l->n < MAXPKTS);
    if (!l->p) l->p = calloc(MAXPKTS, sizeof *l->p);
    l->p[l->n].data = malloc(len);
    memcpy(l->p[l->n].data, data, len);
    l->p[l->n++].len = len;
}

static void plist_free(struct plist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->p[i].data);
    free(l->p);
    memset(l, 0, sizeof *l);
}

enum mode {
    DIRECT,     /* A's datagrams go to B as they are */
    KERNEL_GSO, /* A -> vnet (gathering) -> the kernel's cutting (below) -> B */
    VNET_BOTH,  /* A -> vnet -> frames -> B's vnet (cutting, trains) -> B */
};

struct end {
    struct tcpfsm_stack *st;
    struct tcpfsm_vnet *vn;
    uint64_t rng;
    struct plist q; /* sent, not yet delivered */
};

struct world {
    enum mode mode;
    struct end a, b;
    struct plist seen;   /* every datagram that reached B, in order (checksums complete) */
    uint64_t b_acks;     /* B's pure ACKs */
    struct plist frames; /* VNET_BOTH: A's frames waiting for B's vnet */
    tcpfsm_time_t now;
};

static uint64_t rnd(void *arg)
{
    return rt_rand(arg);
}

/* ---- the kernel's segmentation of a GSO frame (tcp_gso_segment, inet_gso_segment) ---- */

static uint16_t g16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static uint32_t g32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void p16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static void p32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Complete checksums as a device would: IP header, and TCP over its whole length. */
static void complete_csums(uint8_t *ip, size_t len)
{
    p16(ip + 10, 0);
    uint16_t c = inet_checksum(ip, 20);
    memcpy(ip + 10, &c, 2);
    if (ip[9] != 6) return;
    p16(ip + 36, 0);
    uint64_t acc = csum_pseudo_ipv4(g32(ip + 12), g32(ip + 16), 6, (uint16_t)(len - 20));
    c = csum_fold(csum_add(acc, ip + 20, len - 20));
    memcpy(ip + 36, &c, 2);
}

/* Cut one frame as Linux would and hand every piece to out(). */
static void kernel_cut(const uint8_t *f, size_t flen,
                       void (*out)(struct world *, uint8_t *, size_t), struct world *w)
{
    uint8_t flags = f[0], gso = f[1];
    uint16_t gso_size;
    memcpy(&gso_size, f + 4, 2);
    const uint8_t *ip = f + VH;
    size_t len = flen - VH;
    static uint8_t seg[65536];
    if (gso == 0) {
        memcpy(seg, ip, len);
        if (flags & 1) complete_csums(seg, len);
        out(w, seg, len);
        return;
    }
    ck_assert_uint_eq(gso, 1);   /* TCPV4 */
    ck_assert_uint_eq(flags, 1); /* NEEDS_CSUM: GSO needs it */
    size_t hl = 20 + (size_t)(ip[32] >> 4) * 4, text = len - hl;
    for (size_t off = 0; off < text; off += gso_size) {
        size_t n = text - off < gso_size ? text - off : gso_size;
        bool last = off + n == text;
        memcpy(seg, ip, hl);
        memcpy(seg + hl, ip + hl + off, n);
        p16(seg + 2, (uint32_t)(hl + n));
        p16(seg + 4, g16(ip + 4) + (uint32_t)(off / gso_size));
        p32(seg + 24, g32(ip + 24) + (uint32_t)off);
        if (!last) seg[33] &= (uint8_t) ~(0x08 | 0x01); /* PSH, FIN on the last piece only */
        if (off) seg[33] &= (uint8_t)~0x80;             /* CWR on the first only */
        complete_csums(seg, hl + n);
        out(w, seg, hl + n);
    }
}

/* ---- delivery ---- */

static void to_b(struct world *w, uint8_t *pkt, size_t len)
{
    plist_add(&w->seen, pkt, len);
    tcpfsm_input(w->b.st, pkt, len);
}

static void a_output(void *arg, const void *pkt, size_t len)
{
    struct world *w = arg;
    plist_add(&w->a.q, pkt, len);
}

static void a_frame(void *arg, const void *frame, size_t len)
{
    struct world *w = arg;
    plist_add(&w->frames, frame, len);
}

static void b_output(void *arg, const void *pkt, size_t len)
{
    struct world *w = arg;
    const uint8_t *ip = pkt;
    if (ip[9] == 6 && len == 20u + (size_t)(ip[32] >> 4) * 4 && ip[33] == 0x10) w->b_acks++;
    plist_add(&w->b.q, pkt, len);
}

/* Everything queued goes across, until both sides are quiet. */
static void pump(struct world *w)
{
    for (int rounds = 0; rounds < 100000; rounds++) {
        if (w->mode != DIRECT) tcpfsm_vnet_flush(w->a.vn);
        bool moved = false;
        struct plist aq = w->a.q, bq = w->b.q, fr = w->frames;
        memset(&w->a.q, 0, sizeof w->a.q);
        memset(&w->b.q, 0, sizeof w->b.q);
        memset(&w->frames, 0, sizeof w->frames);
        for (size_t i = 0; i < aq.n; i++, moved = true)
            to_b(w, aq.p[i].data, aq.p[i].len);
        for (size_t i = 0; i < fr.n; i++, moved = true) {
            if (w->mode == KERNEL_GSO)
                kernel_cut(fr.p[i].data, fr.p[i].len, to_b, w);
            else
                tcpfsm_vnet_input(w->b.vn, fr.p[i].data, fr.p[i].len);
        }
        for (size_t i = 0; i < bq.n; i++, moved = true)
            tcpfsm_input(w->a.st, bq.p[i].data, bq.p[i].len);
        plist_free(&aq);
        plist_free(&bq);
        plist_free(&fr);
        if (!moved) return;
    }
    ck_abort_msg("the wire never went quiet");
}

static void advance(struct world *w, tcpfsm_time_t us)
{
    w->now += us;
    tcpfsm_advance(w->a.st, w->now);
    tcpfsm_advance(w->b.st, w->now);
    pump(w);
}

static void world_init(struct world *w, enum mode mode, unsigned a_flags, unsigned offloads)
{
    memset(w, 0, sizeof *w);
    w->mode = mode;
    w->a.rng = 11;
    w->b.rng = 22;
    struct tcpfsm_config ca = {.addr = A_ADDR,
                               .prefix_len = 24,
                               .random = rnd,
                               .random_arg = &w->a.rng,
                               .flags = a_flags,
                               .sndbuf = 1u << 20,
                               .rcvbuf = 1u << 20};
    struct tcpfsm_config cb = ca;
    cb.addr = B_ADDR;
    cb.random_arg = &w->b.rng;
    cb.flags = 0;
    cb.output = b_output;
    cb.output_arg = w;
    if (mode == DIRECT) {
        ca.output = a_output;
        ca.output_arg = w;
    } else {
        struct tcpfsm_vnet_config vc = {.write = a_frame, .write_arg = w, .offloads = offloads};
        int err;
        w->a.vn = tcpfsm_vnet_new(&vc, &err);
        ck_assert_ptr_nonnull(w->a.vn);
        ca.output = tcpfsm_vnet_output;
        ca.output_arg = w->a.vn;
    }
    int err;
    w->a.st = tcpfsm_stack_new(&ca, &err);
    w->b.st = tcpfsm_stack_new(&cb, &err);
    ck_assert_ptr_nonnull(w->a.st);
    ck_assert_ptr_nonnull(w->b.st);
    if (w->a.vn) tcpfsm_vnet_attach(w->a.vn, w->a.st);
    if (mode == VNET_BOTH) {
        /* B reads A's frames through a vnet of its own (B writes plain datagrams back) */
        struct tcpfsm_vnet_config vb = {.write = a_frame, .write_arg = w, .offloads = offloads};
        w->b.vn = tcpfsm_vnet_new(&vb, &err);
        ck_assert_ptr_nonnull(w->b.vn);
        tcpfsm_vnet_attach(w->b.vn, w->b.st);
    }
}

static void world_free(struct world *w)
{
    tcpfsm_stack_free(w->a.st);
    tcpfsm_stack_free(w->b.st);
    tcpfsm_vnet_free(w->a.vn);
    tcpfsm_vnet_free(w->b.vn);
    plist_free(&w->seen);
    plist_free(&w->a.q);
    plist_free(&w->b.q);
    plist_free(&w->frames);
}

#define XFER (300u * 1024u)
static uint8_t pattern[XFER];

/* A sends XFER bytes to B in writes of 64 KB, then closes; B reads it all. Returns what B
 * read. */
static size_t transfer(struct world *w)
{
    for (size_t i = 0; i < XFER; i++)
        pattern[i] = (uint8_t)(i * 13 + (i >> 9));
    int lfd = tcpfsm_socket(w->b.st);
    ck_assert_int_eq(tcpfsm_bind(w->b.st, lfd, 0, 80), 0);
    ck_assert_int_eq(tcpfsm_listen(w->b.st, lfd, 4), 0);
    int cfd = tcpfsm_socket(w->a.st);
    ck_assert_int_eq(tcpfsm_connect(w->a.st, cfd, B_ADDR, 80), -EINPROGRESS);
    pump(w);
    int sfd = tcpfsm_accept(w->b.st, lfd, NULL, NULL);
    ck_assert_int_ge(sfd, 0);
    size_t sent = 0, got = 0;
    static uint8_t rx[XFER];
    for (int round = 0; round < 20000 && got < XFER; round++) {
        if (sent < XFER) {
            size_t n = XFER - sent < 65536 ? XFER - sent : 65536;
            long r = tcpfsm_send(w->a.st, cfd, pattern + sent, n);
            if (r > 0) sent += (size_t)r;
            if (sent == XFER) tcpfsm_close(w->a.st, cfd);
        }
        pump(w);
        long r;
        while ((r = tcpfsm_recv(w->b.st, sfd, rx + got, XFER - got)) > 0)
            got += (size_t)r;
        advance(w, 50000); /* delayed ACKs, Nagle's tail */
    }
    ck_assert_uint_eq(got, XFER);
    ck_assert(!memcmp(rx, pattern, XFER));
    return got;
}

/* --------------------------------------------------------------------- tests ---- */

static void same_datagrams(const struct plist *x, const struct plist *y)
{
    ck_assert_uint_eq(x->n, y->n);
    for (size_t i = 0; i < x->n; i++) {
        if (x->p[i].len != y->p[i].len || memcmp(x->p[i].data, y->p[i].data, x->p[i].len))
            ck_abort_msg("datagram %zu of %zu differs (%zu vs %zu bytes)", i, x->n, x->p[i].len,
                         y->p[i].len);
    }
}

static void gathered_equals_direct(unsigned a_flags)
{
    struct world d, g;
    world_init(&d, DIRECT, 0, 0);
    transfer(&d);
    world_init(&g, KERNEL_GSO, a_flags, TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4);
    transfer(&g);
    same_datagrams(&d.seen, &g.seen);
    struct tcpfsm_vnet_stats vs;
    tcpfsm_vnet_get_stats(g.a.vn, &vs);
    ck_assert_uint_gt(vs.TxTrains, 0);                 /* it did gather */
    ck_assert_uint_lt(vs.TxFrames * 3, vs.TxSegments); /* ... and many per frame */
    world_free(&d);
    world_free(&g);
}

START_TEST(gathered_trains_cut_by_the_kernel_are_the_segments_sent_one_by_one)
{
    gathered_equals_direct(0);
}
END_TEST

START_TEST(csum_offload_stack_gives_the_same_segments_once_completed)
{
    gathered_equals_direct(TCPFSM_F_CSUM_OFFLOAD);
}
END_TEST

/* The receiving end: B takes A's GSO frames through its own vnet: all the data arrives, each
 * segment is processed (InSegs), and B acknowledges a train once, not every second segment. */
START_TEST(gso_packet_in_is_one_train_answered_by_one_ack)
{
    struct world d, v;
    world_init(&d, DIRECT, 0, 0);
    transfer(&d);
    world_init(&v, VNET_BOTH, TCPFSM_F_CSUM_OFFLOAD, TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4);
    transfer(&v);
    struct tcpfsm_vnet_stats bs;
    tcpfsm_vnet_get_stats(v.b.vn, &bs);
    struct tcpfsm_stats sb;
    tcpfsm_get_stats(v.b.st, &sb);
    ck_assert_uint_gt(bs.RxTrains, 0);
    ck_assert_uint_eq(sb.InSegs, bs.RxSegments); /* every piece seen as a segment */
    ck_assert_uint_eq(sb.InCsumErrors, 0);
    ck_assert_uint_lt(v.b_acks, d.b_acks);        /* fewer ACKs than one per 2 segments */
    ck_assert_uint_le(v.b_acks, bs.RxFrames + 8); /* about one per frame */
    world_free(&d);
    world_free(&v);
}
END_TEST

/* Offloads refused: every frame has a zero header and one datagram. */
START_TEST(no_offloads_one_plain_datagram_per_frame)
{
    struct world w;
    world_init(&w, KERNEL_GSO, 0, 0);
    transfer(&w);
    struct tcpfsm_vnet_stats vs;
    tcpfsm_vnet_get_stats(w.a.vn, &vs);
    ck_assert_uint_eq(vs.TxTrains, 0);
    ck_assert_uint_eq(vs.TxFrames, vs.TxSegments);
    struct tcpfsm_vnet_config bad = {.write = a_frame, .offloads = TCPFSM_VNET_TSO4};
    int err = 0;
    ck_assert_ptr_null(tcpfsm_vnet_new(&bad, &err)); /* TSO4 needs CSUM */
    ck_assert_int_eq(err, -EINVAL);
    bad.offloads = 0x80;
    ck_assert_ptr_null(tcpfsm_vnet_new(&bad, &err));
    world_free(&w);
}
END_TEST

/* A frame with header h and a TCP segment to B (valid checksums unless partial). */
static size_t frame_tcp(uint8_t *f, const uint8_t h[VH], size_t text, bool partial)
{
    memcpy(f, h, VH);
    uint8_t *ip = f + VH;
    static uint8_t data[4096];
    size_t n = rt_build_tcp(ip, 65536, A_ADDR, 4000, B_ADDR, 80, 1000, 0, 0x02, 65535, data, text);
    if (partial) {
        uint64_t acc = csum_pseudo_ipv4(A_ADDR, B_ADDR, 6, (uint16_t)(n - 20));
        uint16_t p = (uint16_t)~csum_fold(acc);
        memcpy(ip + 36, &p, 2);
    }
    return VH + n;
}

START_TEST(malformed_headers_are_dropped_and_counted)
{
    struct world w;
    world_init(&w, VNET_BOTH, 0, TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4);
    struct tcpfsm_vnet *vn = w.b.vn;
    static uint8_t f[70000];
    struct {
        uint8_t h[VH];
        size_t text;
        bool partial;
    } cases[] = {
        {{0x04}, 0, false},                               /* unknown flag */
        {{0, 3}, 0, false},                               /* GSO UDP */
        {{0, 4}, 0, false},                               /* GSO TCPV6 */
        {{0, 0x80}, 0, false},                            /* ECN without GSO */
        {{1, 0, 0, 0, 0, 0, 20, 0, 6, 0}, 0, true},       /* NEEDS_CSUM not at TCP's checksum */
        {{1, 0, 0, 0, 0, 0, 24, 0, 16, 0}, 0, true},      /* ... nor at its header */
        {{1, 1, 40, 0, 10, 0, 20, 0, 16, 0}, 100, true},  /* GSO size 10 */
        {{0, 1, 40, 0, 0, 2, 20, 0, 16, 0}, 1200, false}, /* GSO without checksum offload */
    };
    struct tcpfsm_stats s0, s1;
    tcpfsm_get_stats(w.b.st, &s0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = frame_tcp(f, cases[i].h, cases[i].text, cases[i].partial);
        ck_assert_msg(tcpfsm_vnet_input(vn, f, n) == -EINVAL, "case %zu taken", i);
    }
    ck_assert_int_eq(tcpfsm_vnet_input(vn, f, 9), -EINVAL); /* shorter than the header */
    /* GSO on what is not TCP: an ICMP echo request */
    memset(f, 0, VH);
    f[1] = 1;
    f[4] = 100;
    uint8_t *ip = f + VH;
    memset(ip, 0, 48);
    ip[0] = 0x45;
    p16(ip + 2, 48);
    ip[8] = 64;
    ip[9] = 1;
    p32(ip + 12, A_ADDR);
    p32(ip + 16, B_ADDR);
    ip[20] = 8;
    complete_csums(ip, 48);
    uint16_t c = inet_checksum(ip + 20, 28);
    memcpy(ip + 22, &c, 2);
    ck_assert_int_eq(tcpfsm_vnet_input(vn, f, VH + 48), -EINVAL);
    struct tcpfsm_vnet_stats vs;
    tcpfsm_vnet_get_stats(vn, &vs);
    ck_assert_uint_eq(vs.RxBadHeader, sizeof cases / sizeof cases[0] + 2);
    tcpfsm_get_stats(w.b.st, &s1);
    ck_assert_uint_eq(s1.InSegs, s0.InSegs); /* the stack saw none of them */
    ck_assert_uint_eq(s1.IcmpInMsgs, s0.IcmpInMsgs);
    /* the same echo request with its checksum left to complete (NEEDS_CSUM at ICMP's) is
     * completed and answered */
    f[1] = 0;
    f[4] = 0;
    f[0] = 1;
    p16(ip + 22, 0);
    uint16_t start = 20, off = 2;
    memcpy(f + 6, &start, 2);
    memcpy(f + 8, &off, 2);
    ck_assert_int_eq(tcpfsm_vnet_input(vn, f, VH + 48), 0);
    tcpfsm_get_stats(w.b.st, &s1);
    ck_assert_uint_eq(s1.IcmpInEchos, s0.IcmpInEchos + 1);
    ck_assert_uint_eq(s1.IcmpInCsumErrors, 0);
    world_free(&w);
}
END_TEST

/* The stack's side: TCPFSM_F_CSUM_OFFLOAD leaves the pseudo-header sum; TCPFSM_IN_CSUM_VALID
 * takes a segment whose checksum is not complete; unknown input flags are refused. */
START_TEST(stack_partial_checksums_and_trusted_input)
{
    struct world w;
    world_init(&w, DIRECT, TCPFSM_F_CSUM_OFFLOAD, 0);
    int cfd = tcpfsm_socket(w.a.st);
    ck_assert_int_eq(tcpfsm_connect(w.a.st, cfd, B_ADDR, 80), -EINPROGRESS);
    ck_assert_uint_eq(w.a.q.n, 1); /* the SYN, with a partial checksum */
    uint8_t *syn = w.a.q.p[0].data;
    size_t len = w.a.q.p[0].len;
    uint64_t acc = csum_pseudo_ipv4(A_ADDR, B_ADDR, 6, (uint16_t)(len - 20));
    uint16_t want = (uint16_t)~csum_fold(acc), got;
    memcpy(&got, syn + 36, 2);
    ck_assert_uint_eq(got, want);
    ck_assert_uint_eq(inet_checksum(syn, 20), 0); /* the IP header's is complete */
    struct tcpfsm_stats s0, s1;
    tcpfsm_get_stats(w.b.st, &s0);
    ck_assert_int_eq(tcpfsm_input(w.b.st, syn, len), -EBADMSG); /* as a checksum error */
    ck_assert_int_eq(tcpfsm_input_ex(w.b.st, syn, len, TCPFSM_IN_CSUM_VALID), -ENOENT);
    tcpfsm_get_stats(w.b.st, &s1);
    ck_assert_uint_eq(s1.InCsumErrors, s0.InCsumErrors + 1);
    ck_assert_uint_eq(s1.InNoSocket, s0.InNoSocket + 1); /* taken: answered (no listener) */
    ck_assert_int_eq(tcpfsm_input_ex(w.b.st, syn, len, 0x4), -EINVAL);
    world_free(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("vnet");
    TCase *tc = tcase_create("offload");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, gathered_trains_cut_by_the_kernel_are_the_segments_sent_one_by_one);
    tcase_add_test(tc, csum_offload_stack_gives_the_same_segments_once_completed);
    tcase_add_test(tc, gso_packet_in_is_one_train_answered_by_one_ack);
    tcase_add_test(tc, no_offloads_one_plain_datagram_per_frame);
    tcase_add_test(tc, malformed_headers_are_dropped_and_counted);
    tcase_add_test(tc, stack_partial_checksums_and_trusted_input);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
