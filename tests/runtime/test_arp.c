/*
 * test_arp.c — the link layer (runtime/link/): Ethernet II framing and RFC 826 ARP in front of
 * the stack. Request and reply bytes as RFC 826 lays them out, learning and expiry of the
 * cache, the bounded queue of packets waiting for resolution, retries then giving up, frames
 * for other hosts and malformed frames dropped and counted, and a whole TCP connection between
 * two stacks on an Ethernet memlink with ARP resolving both ways.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memlink.h"
#include "pcap.h"
#include "rt_test.h"
#include "tcpfsm.h"

#define US_ADDR RT_IP(10, 0, 0, 2)
#define PEER_ADDR RT_IP(10, 0, 0, 1)
static const uint8_t US_MAC[6] = {0x02, 0x00, 0x0a, 0x00, 0x00, 0x02};
static const uint8_t PEER_MAC[6] = {0x02, 0x00, 0x0a, 0x00, 0x00, 0x01};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

#define MAX_FRAMES 64
struct rec { /* every frame the layer sent */
    size_t n;
    size_t len[MAX_FRAMES];
    uint8_t f[MAX_FRAMES][1600];
};

static void rec_output(void *arg, const void *frame, size_t len)
{
    struct rec *r = arg;
    rt_require(len <= sizeof r->f[0]);
    if (r->n < MAX_FRAMES) {
        memcpy(r->f[r->n], frame, len);
        r->len[r->n] = len;
    }
    r->n++;
}

static struct tcpfsm_eth *eth_on(struct rec *r, const struct tcpfsm_eth_config *over)
{
    struct tcpfsm_eth_config c = over ? *over : (struct tcpfsm_eth_config){0};
    memcpy(c.mac, US_MAC, 6);
    c.addr = US_ADDR;
    c.prefix_len = 24;
    c.output = rec_output;
    c.output_arg = r;
    int err = 1;
    struct tcpfsm_eth *eth = tcpfsm_eth_new(&c, &err);
    ck_assert_ptr_nonnull(eth);
    ck_assert_int_eq(err, 0);
    return eth;
}

/* A bare IPv4 header to `dst` (the layer only reads version, length and destination). */
static size_t ip_to(uint8_t *p, uint32_t dst, uint8_t tag)
{
    memset(p, 0, 20);
    p[0] = 0x45;
    p[3] = 20;
    p[8] = tag; /* in the TTL byte, to tell packets apart */
    p[12] = 10, p[15] = 2;
    p[16] = (uint8_t)(dst >> 24), p[17] = (uint8_t)(dst >> 16), p[18] = (uint8_t)(dst >> 8);
    p[19] = (uint8_t)dst;
    return 20;
}

struct arp_fields {
    uint16_t op;
    const uint8_t *sha;
    uint32_t spa;
    const uint8_t *tha;
    uint32_t tpa;
};

/* An ARP frame as RFC 826 lays it out for Ethernet/IPv4, padded to 60 bytes. */
static size_t arp_frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], struct arp_fields a)
{
    static const uint8_t zero[6];
    memset(f, 0, 60);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x08, f[13] = 0x06;
    uint8_t *p = f + 14;
    p[1] = 1;                /* ar$hrd: Ethernet */
    p[2] = 0x08;             /* ar$pro: IPv4 */
    p[4] = 6, p[5] = 4;      /* ar$hln, ar$pln */
    p[7] = (uint8_t)a.op;    /* ar$op */
    memcpy(p + 8, a.sha, 6); /* ar$sha */
    for (int i = 0; i < 4; i++) {
        p[14 + i] = (uint8_t)(a.spa >> (24 - 8 * i)); /* ar$spa */
        p[24 + i] = (uint8_t)(a.tpa >> (24 - 8 * i)); /* ar$tpa */
    }
    memcpy(p + 18, a.tha ? a.tha : zero, 6); /* ar$tha */
    return 60;
}

static void expect_frame(const struct rec *r, size_t i, const uint8_t *want, size_t len)
{
    ck_assert_uint_gt(r->n, i);
    ck_assert_uint_eq(r->len[i], len);
    ck_assert_mem_eq(r->f[i], want, len);
}

static struct tcpfsm_eth_stats stats(const struct tcpfsm_eth *eth)
{
    struct tcpfsm_eth_stats s;
    tcpfsm_eth_get_stats(eth, &s);
    return s;
}

START_TEST(request_then_reply_sends_the_queued_packet)
{
    struct rec r = {0};
    struct tcpfsm_eth *eth = eth_on(&r, NULL);
    uint8_t ip[20], want[60];
    tcpfsm_eth_ip_output(eth, ip, ip_to(ip, PEER_ADDR, 7));
    /* RFC 826: "who has 10.0.0.1, tell 10.0.0.2", broadcast, target hardware unknown (zero) */
    arp_frame(want, BCAST, US_MAC,
              (struct arp_fields){.op = 1, .sha = US_MAC, .spa = US_ADDR, .tpa = PEER_ADDR});
    expect_frame(&r, 0, want, 60);
    ck_assert_uint_eq(r.n, 1);
    uint8_t mac[6];
    ck_assert_int_eq(tcpfsm_eth_lookup(eth, PEER_ADDR, mac), -EAGAIN);

    uint8_t reply[60];
    arp_frame(reply, US_MAC, PEER_MAC,
              (struct arp_fields){
                  .op = 2, .sha = PEER_MAC, .spa = PEER_ADDR, .tha = US_MAC, .tpa = US_ADDR});
    ck_assert_int_eq(tcpfsm_eth_input(eth, reply, sizeof reply), 0);
    /* The waiting datagram goes out framed to the MAC just learned, padded to 60 bytes. */
    ck_assert_uint_eq(r.n, 2);
    uint8_t framed[60] = {0};
    memcpy(framed, PEER_MAC, 6);
    memcpy(framed + 6, US_MAC, 6);
    framed[12] = 0x08;
    memcpy(framed + 14, ip, 20);
    expect_frame(&r, 1, framed, 60);
    ck_assert_int_eq(tcpfsm_eth_lookup(eth, PEER_ADDR, mac), 0);
    ck_assert_mem_eq(mac, PEER_MAC, 6);
    /* Resolved: the next one goes at once. */
    tcpfsm_eth_ip_output(eth, ip, 20);
    ck_assert_uint_eq(r.n, 3);
    struct tcpfsm_eth_stats s = stats(eth);
    ck_assert_uint_eq(s.ArpOutRequests, 1);
    ck_assert_uint_eq(s.ArpInReplies, 1);
    ck_assert_uint_eq(s.OutFrames, 3);
    tcpfsm_eth_free(eth);
}
END_TEST

START_TEST(a_request_for_us_is_answered_and_learned)
{
    struct rec r = {0};
    struct tcpfsm_eth *eth = eth_on(&r, NULL);
    uint8_t req[60], want[60], mac[6];
    arp_frame(req, BCAST, PEER_MAC,
              (struct arp_fields){.op = 1, .sha = PEER_MAC, .spa = PEER_ADDR, .tpa = US_ADDR});
    ck_assert_int_eq(tcpfsm_eth_input(eth, req, sizeof req), 0);
    /* RFC 826: swap the sender and target fields, put our address in, opcode reply, unicast. */
    arp_frame(want, PEER_MAC, US_MAC,
              (struct arp_fields){
                  .op = 2, .sha = US_MAC, .spa = US_ADDR, .tha = PEER_MAC, .tpa = PEER_ADDR});
    expect_frame(&r, 0, want, 60);
    ck_assert_int_eq(tcpfsm_eth_lookup(eth, PEER_ADDR, mac), 0); /* learned from the request */
    ck_assert_mem_eq(mac, PEER_MAC, 6);

    /* A request for someone else is not answered and teaches nothing new. */
    arp_frame(req, BCAST, PEER_MAC,
              (struct arp_fields){
                  .op = 1, .sha = PEER_MAC, .spa = RT_IP(10, 0, 0, 9), .tpa = RT_IP(10, 0, 0, 7)});
    ck_assert_int_eq(tcpfsm_eth_input(eth, req, sizeof req), 0);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_int_eq(tcpfsm_eth_lookup(eth, RT_IP(10, 0, 0, 9), mac), -ENOENT);
    struct tcpfsm_eth_stats s = stats(eth);
    ck_assert_uint_eq(s.ArpInRequests, 2);
    ck_assert_uint_eq(s.ArpOutReplies, 1);
    tcpfsm_eth_free(eth);
}
END_TEST

START_TEST(announce_is_a_gratuitous_request)
{
    struct rec r = {0};
    struct tcpfsm_eth *eth = eth_on(&r, NULL);
    uint8_t want[60];
    tcpfsm_eth_announce(eth);
    /* RFC 5227 2.3: sender and target protocol addresses both ours, broadcast. */
    arp_frame(want, BCAST, US_MAC,
              (struct arp_fields){.op = 1, .sha = US_MAC, .spa = US_ADDR, .tpa = US_ADDR});
    expect_frame(&r, 0, want, 60);
    /* Someone else announcing our address is a conflict, never learned or answered. */
    uint8_t claim[60];
    arp_frame(claim, BCAST, PEER_MAC,
              (struct arp_fields){.op = 1, .sha = PEER_MAC, .spa = US_ADDR, .tpa = US_ADDR});
    tcpfsm_eth_input(eth, claim, sizeof claim);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_uint_eq(stats(eth).ArpConflicts, 1);
    tcpfsm_eth_free(eth);
}
END_TEST

START_TEST(an_unused_entry_expires_a_used_one_is_refreshed)
{
    struct rec r = {0};
    struct tcpfsm_eth *eth = eth_on(&r, NULL);
    uint8_t req[60], mac[6], ip[20];
    arp_frame(req, BCAST, PEER_MAC,
              (struct arp_fields){.op = 1, .sha = PEER_MAC, .spa = PEER_ADDR, .tpa = US_ADDR});
    tcpfsm_eth_input(eth, req, sizeof req);
    ck_assert_uint_eq(tcpfsm_eth_next_timeout(eth), TCPFSM_ETH_REACHABLE_US);
    tcpfsm_eth_advance(eth, TCPFSM_ETH_REACHABLE_US - 1);
    ck_assert_int_eq(tcpfsm_eth_lookup(eth, PEER_ADDR, mac), 0);
    tcpfsm_eth_advance(eth, TCPFSM_ETH_REACHABLE_US);
    ck_assert_int_eq(tcpfsm_eth_lookup(eth, PEER_ADDR, mac), -ENOENT);
    ck_assert_uint_eq(stats(eth).ArpExpired, 1);
    ck_assert_uint_eq(tcpfsm_eth_next_timeout(eth), UINT64_MAX);

    /* Learned again at t0 and used: at expiry a unicast request goes to the cached MAC
     * (RFC 1122 2.3.2.1) while packets keep flowing to it. */
    uint64_t t0 = TCPFSM_ETH_REACHABLE_US;
    tcpfsm_eth_input(eth, req, sizeof req);
    size_t before = r.n;
    tcpfsm_eth_ip_output(eth, ip, ip_to(ip, PEER_ADDR, 1));
    tcpfsm_eth_advance(eth, t0 + TCPFSM_ETH_REACHABLE_US);
    ck_assert_uint_eq(r.n, before + 2);
    uint8_t want[60];
    arp_frame(want, PEER_MAC, US_MAC,
              (struct arp_fields){.op = 1, .sha = US_MAC, .spa = US_ADDR, .tpa = PEER_ADDR});
    expect_frame(&r, before + 1, want, 60);
    tcpfsm_eth_ip_output(eth, ip, 20);
    ck_assert_uint_eq(r.n, before + 3);
    ck_assert_mem_eq(r.f[before + 2], PEER_MAC, 6);
    /* No answer after the retries: forgotten. */
    for (uint32_t k = 1; k <= TCPFSM_ETH_RETRIES; k++)
        tcpfsm_eth_advance(eth, t0 + TCPFSM_ETH_REACHABLE_US + k * TCPFSM_ETH_RETRY_US);
    ck_assert_int_eq(tcpfsm_eth_lookup(eth, PEER_ADDR, mac), -ENOENT);
    ck_assert_uint_eq(stats(eth).ArpOutRequests, TCPFSM_ETH_RETRIES);
    tcpfsm_eth_free(eth);
}
END_TEST

START_TEST(the_queue_is_bounded)
{
    struct rec r = {0};
    struct tcpfsm_eth *eth = eth_on(&r, &(struct tcpfsm_eth_config){.queue_packets = 4});
    uint8_t ip[20], reply[60];
    for (uint8_t k = 0; k < 6; k++)
        tcpfsm_eth_ip_output(eth, ip, ip_to(ip, PEER_ADDR, k));
    ck_assert_uint_eq(r.n, 1); /* one request, no second for the same address */
    ck_assert_uint_eq(stats(eth).ArpQueueDrops, 2);
    arp_frame(reply, US_MAC, PEER_MAC,
              (struct arp_fields){
                  .op = 2, .sha = PEER_MAC, .spa = PEER_ADDR, .tha = US_MAC, .tpa = US_ADDR});
    tcpfsm_eth_input(eth, reply, sizeof reply);
    ck_assert_uint_eq(r.n, 5);
    for (uint8_t k = 0; k < 4; k++) /* the first four, in order */
        ck_assert_uint_eq(r.f[1 + k][14 + 8], k);
    tcpfsm_eth_free(eth);
}
END_TEST

START_TEST(retries_then_the_queue_is_dropped)
{
    struct rec r = {0};
    struct tcpfsm_eth *eth = eth_on(&r, NULL);
    uint8_t ip[20], mac[6];
    for (uint8_t k = 0; k < 3; k++)
        tcpfsm_eth_ip_output(eth, ip, ip_to(ip, PEER_ADDR, k));
    for (uint32_t k = 1; k < TCPFSM_ETH_RETRIES; k++) {
        tcpfsm_eth_advance(eth, (uint64_t)k * TCPFSM_ETH_RETRY_US - 1);
        ck_assert_uint_eq(r.n, k);
        tcpfsm_eth_advance(eth, (uint64_t)k * TCPFSM_ETH_RETRY_US);
        ck_assert_uint_eq(r.n, k + 1);
        ck_assert_mem_eq(r.f[k], BCAST, 6);
    }
    tcpfsm_eth_advance(eth, (uint64_t)TCPFSM_ETH_RETRIES * TCPFSM_ETH_RETRY_US);
    ck_assert_uint_eq(r.n, TCPFSM_ETH_RETRIES); /* no more requests */
    struct tcpfsm_eth_stats s = stats(eth);
    ck_assert_uint_eq(s.ArpFailed, 1);
    ck_assert_uint_eq(s.ArpQueueDrops, 3);
    ck_assert_int_eq(tcpfsm_eth_lookup(eth, PEER_ADDR, mac), -ENOENT);
    ck_assert_uint_eq(tcpfsm_eth_next_timeout(eth), UINT64_MAX);
    tcpfsm_eth_free(eth);
}
END_TEST

START_TEST(next_hops_by_prefix_and_gateway)
{
    struct rec r = {0};
    struct tcpfsm_eth *eth = eth_on(&r, NULL);
    uint8_t ip[20];
    tcpfsm_eth_ip_output(eth, ip, ip_to(ip, RT_IP(192, 0, 2, 1), 0)); /* off-link, no gateway */
    ck_assert_uint_eq(r.n, 0);
    ck_assert_uint_eq(stats(eth).OutNoRoute, 1);
    tcpfsm_eth_ip_output(eth, ip, ip_to(ip, RT_IP(10, 0, 0, 255), 0)); /* subnet broadcast */
    ck_assert_uint_eq(r.n, 1);
    ck_assert_mem_eq(r.f[0], BCAST, 6);
    tcpfsm_eth_free(eth);

    struct rec g = {0};
    eth = eth_on(&g, &(struct tcpfsm_eth_config){.gateway = RT_IP(10, 0, 0, 254)});
    tcpfsm_eth_ip_output(eth, ip, ip_to(ip, RT_IP(192, 0, 2, 1), 0));
    ck_assert_uint_eq(g.n, 1); /* asks for the gateway, not the destination */
    ck_assert_uint_eq(g.f[0][14 + 24 + 3], 254);
    tcpfsm_eth_free(eth);

    int err = 0; /* a gateway must be on-link */
    struct tcpfsm_eth_config c = {.mac = {2, 0, 0, 0, 0, 1},
                                  .addr = US_ADDR,
                                  .prefix_len = 24,
                                  .gateway = RT_IP(10, 1, 0, 1),
                                  .output = rec_output};
    ck_assert_ptr_null(tcpfsm_eth_new(&c, &err));
    ck_assert_int_eq(err, -EINVAL);
    c.gateway = 0;
    c.mac[0] = 1; /* a group address is no station's */
    ck_assert_ptr_null(tcpfsm_eth_new(&c, &err));
}
END_TEST

START_TEST(frames_for_others_and_malformed_frames_are_dropped)
{
    struct rec r = {0};
    struct tcpfsm_eth *eth = eth_on(&r, NULL);
    uint8_t req[60];
    static const uint8_t OTHER[6] = {0x02, 0, 0, 0, 0, 0x99};
    arp_frame(req, OTHER, PEER_MAC,
              (struct arp_fields){.op = 1, .sha = PEER_MAC, .spa = PEER_ADDR, .tpa = US_ADDR});
    ck_assert_int_eq(tcpfsm_eth_input(eth, req, sizeof req), -EXDEV);
    arp_frame(req, BCAST, PEER_MAC,
              (struct arp_fields){.op = 1, .sha = PEER_MAC, .spa = PEER_ADDR, .tpa = US_ADDR});
    req[14 + 4] = 8; /* ar$hln */
    ck_assert_int_eq(tcpfsm_eth_input(eth, req, sizeof req), -EINVAL);
    ck_assert_int_eq(tcpfsm_eth_input(eth, req, 13), -EINVAL);
    ck_assert_int_eq(tcpfsm_eth_input(eth, req, 14 + 27), -EINVAL); /* ARP cut short */
    req[14 + 4] = 6;
    req[12] = 0x86, req[13] = 0xdd; /* IPv6 */
    ck_assert_int_eq(tcpfsm_eth_input(eth, req, sizeof req), -EPROTO);
    ck_assert_uint_eq(r.n, 0);
    struct tcpfsm_eth_stats s = stats(eth);
    ck_assert_uint_eq(s.InOtherHost, 1);
    ck_assert_uint_eq(s.InMalformed, 3);
    ck_assert_uint_eq(s.InUnknownType, 1);
    /* Random bytes never crash it (run under SAN=1). */
    uint64_t seed = 42;
    uint8_t junk[128];
    for (int i = 0; i < 20000; i++) {
        size_t len = rt_rand_below(&seed, sizeof junk + 1);
        rt_fill_random(&seed, junk, len);
        if (len >= 14 && (i & 1)) memcpy(junk, (i & 2) ? BCAST : US_MAC, 6);
        if (len >= 14 && (i & 4)) junk[12] = 0x08, junk[13] = (i & 8) ? 0x06 : 0x00;
        if (len >= 22 && (i & 16)) memcpy(junk + 14, req + 14, 8);
        tcpfsm_eth_input(eth, junk, len);
    }
    tcpfsm_eth_free(eth);
}
END_TEST

static void count_rx(void *arg, const void *frame, size_t len)
{
    (void)frame;
    (void)len;
    ++*(int *)arg;
}

/* tcpfsm_eth_input_ex hands its flags to the stack: a TCP checksum the kernel vouched for
 * (AF_PACKET's TP_STATUS_CSUMNOTREADY / CSUM_VALID) is not summed again. */
START_TEST(input_ex_passes_a_vouched_for_checksum_to_the_stack)
{
    struct rec r = {0};
    struct tcpfsm_eth *eth = eth_on(&r, NULL);
    struct tcpfsm_config cfg = {.addr = US_ADDR, .output = tcpfsm_eth_ip_output, .output_arg = eth};
    int err;
    struct tcpfsm_stack *st = tcpfsm_stack_new(&cfg, &err);
    ck_assert_ptr_nonnull(st);
    tcpfsm_eth_attach(eth, st);
    uint8_t f[14 + 40];
    memcpy(f, US_MAC, 6);
    memcpy(f + 6, PEER_MAC, 6);
    f[12] = 0x08, f[13] = 0x00;
    rt_build_tcp(f + 14, 40, PEER_ADDR, 4000, US_ADDR, 80, 1, 0, 0x02, 1000, NULL, 0);
    f[14 + 36] ^= 0x5a; /* the TCP checksum is wrong (as a pseudo-header-only sum would be) */
    ck_assert_int_eq(tcpfsm_eth_input(eth, f, sizeof f), -EBADMSG);
    ck_assert_int_eq(tcpfsm_eth_input_ex(eth, f, sizeof f, TCPFSM_IN_CSUM_VALID), -ENOENT);
    struct tcpfsm_stats ss;
    tcpfsm_get_stats(st, &ss);
    ck_assert_uint_eq(ss.InCsumErrors, 1); /* only the first */
    ck_assert_uint_eq(ss.InNoSocket, 1);   /* the second was taken: no listener, a RST */
    tcpfsm_stack_free(st);
    tcpfsm_eth_free(eth);
}
END_TEST

START_TEST(memlink_routes_frames_by_mac)
{
    struct memlink *l = memlink_new(1, 0);
    int got[3] = {0};
    static const uint8_t M3[6] = {0x02, 0, 0, 0, 0, 3};
    ck_assert_int_eq(memlink_attach_ether(l, PEER_ADDR, PEER_MAC, count_rx, &got[0]), 0);
    ck_assert_int_eq(memlink_attach_ether(l, US_ADDR, US_MAC, count_rx, &got[1]), 1);
    ck_assert_int_eq(memlink_attach_ether(l, RT_IP(10, 0, 0, 3), M3, count_rx, &got[2]), 2);
    ck_assert_int_eq(memlink_attach_ether(l, RT_IP(10, 0, 0, 4), M3, count_rx, &got[2]), -EEXIST);
    ck_assert_int_eq(memlink_attach(l, RT_IP(10, 0, 0, 5), count_rx, &got[2]), -EINVAL);
    uint8_t f[60];
    arp_frame(f, BCAST, PEER_MAC,
              (struct arp_fields){.op = 1, .sha = PEER_MAC, .spa = PEER_ADDR, .tpa = US_ADDR});
    memlink_send(l, PEER_ADDR, f, sizeof f); /* broadcast: everyone but the sender */
    memcpy(f, US_MAC, 6);
    memlink_send(l, PEER_ADDR, f, sizeof f); /* unicast: that MAC only */
    f[5] = 0x77;
    memlink_send(l, PEER_ADDR, f, sizeof f); /* nobody's */
    memlink_send(l, PEER_ADDR, f, 13);       /* no header */
    memlink_advance(l, 1);
    ck_assert_int_eq(got[0], 0);
    ck_assert_int_eq(got[1], 2);
    ck_assert_int_eq(got[2], 1);
    memlink_free(l);
}
END_TEST

START_TEST(pcap_of_frames_is_linktype_ethernet)
{
    char path[512];
    snprintf(path, sizeof path, "%s/test_arp.pcap", rt_tmpdir());
    int err = 1;
    struct pcap_writer *w = pcap_open_linktype(path, PCAP_LINKTYPE_ETHERNET, &err);
    ck_assert_ptr_nonnull(w);
    uint8_t f[60];
    arp_frame(f, BCAST, US_MAC,
              (struct arp_fields){.op = 1, .sha = US_MAC, .spa = US_ADDR, .tpa = US_ADDR});
    ck_assert_int_eq(pcap_write(w, 5, f, sizeof f), 0);
    ck_assert_int_eq(pcap_close(w), 0);
    uint8_t b[24 + 16 + 60];
    FILE *in = fopen(path, "rb");
    ck_assert_ptr_nonnull(in);
    ck_assert_uint_eq(fread(b, 1, sizeof b, in), sizeof b);
    fclose(in);
    uint32_t linktype;
    memcpy(&linktype, b + 20, 4); /* host order, as the magic says */
    ck_assert_uint_eq(linktype, 1);
    ck_assert_mem_eq(b + 40, f, sizeof f);
    remove(path);
}
END_TEST

/* ---- two stacks over an Ethernet memlink ---- */

struct host {
    struct memlink *link;
    uint32_t addr;
    struct tcpfsm_eth *eth;
    struct tcpfsm_stack *st;
    uint64_t rng;
};

static void host_frame_out(void *arg, const void *frame, size_t len)
{
    struct host *h = arg;
    memlink_send(h->link, h->addr, frame, len);
}

static void host_frame_in(void *arg, const void *frame, size_t len)
{
    struct host *h = arg;
    tcpfsm_eth_input(h->eth, frame, len);
}

static uint64_t host_rand(void *arg)
{
    return rt_rand(arg);
}

static void host_init(struct host *h, struct memlink *l, uint32_t addr, const uint8_t mac[6])
{
    h->link = l;
    h->addr = addr;
    h->rng = addr;
    struct tcpfsm_eth_config ec = {
        .addr = addr, .prefix_len = 24, .output = host_frame_out, .output_arg = h};
    memcpy(ec.mac, mac, 6);
    int err;
    h->eth = tcpfsm_eth_new(&ec, &err);
    ck_assert_ptr_nonnull(h->eth);
    struct tcpfsm_config c = {.addr = addr,
                              .prefix_len = 24,
                              .output = tcpfsm_eth_ip_output,
                              .output_arg = h->eth,
                              .random = host_rand,
                              .random_arg = &h->rng};
    h->st = tcpfsm_stack_new(&c, &err);
    ck_assert_ptr_nonnull(h->st);
    tcpfsm_eth_attach(h->eth, h->st);
    ck_assert_int_ge(memlink_attach_ether(l, addr, mac, host_frame_in, h), 0);
}

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t m = a < b ? a : b;
    return m < c ? m : c;
}

START_TEST(tcp_transfer_over_ethernet_memlink)
{
    struct memlink *l = memlink_new(7, 0);
    struct memlink_impair im = {.delay_us = 500};
    struct host a, b;
    host_init(&a, l, PEER_ADDR, PEER_MAC);
    host_init(&b, l, US_ADDR, US_MAC);
    memlink_set_impair(l, a.addr, b.addr, &im);
    memlink_set_impair(l, b.addr, a.addr, &im);
    tcpfsm_eth_announce(a.eth);
    tcpfsm_eth_announce(b.eth);

    int lfd = tcpfsm_socket(b.st);
    ck_assert_int_eq(tcpfsm_bind(b.st, lfd, 0, 80), 0);
    ck_assert_int_eq(tcpfsm_listen(b.st, lfd, 4), 0);
    int cfd = tcpfsm_socket(a.st), sfd = -1;
    ck_assert_int_eq(tcpfsm_connect(a.st, cfd, b.addr, 80), -EINPROGRESS);

    enum { TOTAL = 1 << 20 };
    static uint8_t out[TOTAL], in[TOTAL];
    uint64_t seed = 3;
    rt_fill_random(&seed, out, TOTAL);
    size_t sent = 0, got = 0;
    uint64_t now = 0;
    for (int round = 0; round < 200000 && got < TOTAL; round++) {
        if (sfd < 0) sfd = tcpfsm_accept(b.st, lfd, NULL, NULL);
        while (sent < TOTAL) {
            long w = tcpfsm_send(a.st, cfd, out + sent, TOTAL - sent);
            if (w <= 0) break;
            sent += (size_t)w;
        }
        while (sfd >= 0 && got < TOTAL) {
            long rd = tcpfsm_recv(b.st, sfd, in + got, TOTAL - got);
            if (rd <= 0) break;
            got += (size_t)rd;
        }
        uint64_t next =
            min3(memlink_next_delivery(l), tcpfsm_next_timeout(a.st), tcpfsm_next_timeout(b.st));
        next = min3(next, tcpfsm_eth_next_timeout(a.eth), tcpfsm_eth_next_timeout(b.eth));
        rt_require(next != UINT64_MAX);
        if (next > now) now = next;
        tcpfsm_eth_advance(a.eth, now);
        tcpfsm_eth_advance(b.eth, now);
        tcpfsm_advance(a.st, now);
        tcpfsm_advance(b.st, now);
        memlink_advance(l, now);
    }
    ck_assert_uint_eq(got, TOTAL);
    ck_assert_mem_eq(in, out, TOTAL);
    ck_assert_uint_lt(now, 5000000); /* no ARP stall: well under the first SYN RTO */

    uint8_t mac[6];
    ck_assert_int_eq(tcpfsm_eth_lookup(a.eth, b.addr, mac), 0);
    ck_assert_mem_eq(mac, US_MAC, 6);
    ck_assert_int_eq(tcpfsm_eth_lookup(b.eth, a.addr, mac), 0);
    ck_assert_mem_eq(mac, PEER_MAC, 6);
    struct tcpfsm_eth_stats sa = stats(a.eth), sb = stats(b.eth);
    /* a asked once (plus its announcement); b learned a from that request, asked nothing. */
    ck_assert_uint_eq(sa.ArpOutRequests, 2);
    ck_assert_uint_eq(sb.ArpOutRequests, 1);
    ck_assert_uint_eq(sb.ArpOutReplies, 1);
    ck_assert_uint_eq(sa.ArpQueueDrops + sb.ArpQueueDrops, 0);
    ck_assert_uint_eq(sa.InMalformed + sb.InMalformed + sa.InOtherHost + sb.InOtherHost, 0);
    ck_assert_uint_gt(sb.InIp, 700);
    tcpfsm_stack_free(a.st);
    tcpfsm_stack_free(b.st);
    tcpfsm_eth_free(a.eth);
    tcpfsm_eth_free(b.eth);
    memlink_free(l);
}
END_TEST

static Suite *arp_suite(void)
{
    Suite *s = suite_create("arp");
    TCase *tc = tcase_create("link");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, request_then_reply_sends_the_queued_packet);
    tcase_add_test(tc, a_request_for_us_is_answered_and_learned);
    tcase_add_test(tc, announce_is_a_gratuitous_request);
    tcase_add_test(tc, an_unused_entry_expires_a_used_one_is_refreshed);
    tcase_add_test(tc, the_queue_is_bounded);
    tcase_add_test(tc, retries_then_the_queue_is_dropped);
    tcase_add_test(tc, next_hops_by_prefix_and_gateway);
    tcase_add_test(tc, frames_for_others_and_malformed_frames_are_dropped);
    tcase_add_test(tc, input_ex_passes_a_vouched_for_checksum_to_the_stack);
    tcase_add_test(tc, memlink_routes_frames_by_mac);
    tcase_add_test(tc, pcap_of_frames_is_linktype_ethernet);
    tcase_add_test(tc, tcp_transfer_over_ethernet_memlink);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(arp_suite());
}
