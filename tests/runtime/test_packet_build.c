/*
 * test_packet_build.c — the segment builders agree: pkt_build_plain (the output path's direct
 * build of a segment whose only options are the timestamps) writes, byte for byte, the datagram
 * pkt_build3 writes for the same fields, whatever the fields, the text's split and the checksum
 * mode.
 */
#include <string.h>

#include "packet.h"
#include "rt_test.h"

#define A_ADDR RT_IP(10, 0, 0, 1)
#define B_ADDR RT_IP(10, 0, 0, 2)

/* The struct tcp_seg pkt_build3 is given for the fields of p. */
static struct tcp_seg general_of(const struct tcp_plain_seg *p)
{
    struct tcp_seg s;
    memset(&s, 0, sizeof s);
    s.saddr = p->saddr;
    s.daddr = p->daddr;
    s.sport = p->sport;
    s.dport = p->dport;
    s.seq = p->seq;
    s.ack = p->ack;
    s.flags = p->flags;
    s.wnd = p->wnd;
    s.data = p->data;
    s.len = p->len;
    s.opt.has_ts = p->has_ts;
    s.opt.tsval = p->tsval;
    s.opt.tsecr = p->tsecr;
    return s;
}

/* Both builders into buffers of cap bytes (cap <= 70000), compared whole: neither writes
 * elsewhere than the other. */
static void require_same(const struct tcp_plain_seg *p, uint16_t ip_id, const uint8_t *tail,
                         uint32_t tail_len, bool partial, size_t cap)
{
    static uint8_t a[70000], b[70000];
    memset(a, 0xa5, cap);
    memset(b, 0xa5, cap);
    struct tcp_seg s = general_of(p);
    size_t na = pkt_build3(a, cap, &s, ip_id, tail, tail_len, partial);
    size_t nb = pkt_build_plain(b, cap, p, ip_id, tail, tail_len, partial);
    rt_require(na == nb);
    rt_require(memcmp(a, b, cap) == 0);
}

/* Segments of an established connection (flags without SYN, timestamps or none, any window,
 * text from none to beyond a buffer's end, split into two pieces anywhere, odd or even) come
 * out the same through the direct path as through pkt_build3. */
START_TEST(plain_segments_build_as_the_general_path_does)
{
    static uint8_t text[70000];
    uint64_t seed = 18;
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (uint8_t)rt_rand(&seed);
    static const uint8_t flag_sets[] = {
        TCP_ACK, TCP_ACK | TCP_PSH, TCP_ACK | TCP_FIN,          TCP_ACK | TCP_PSH | TCP_FIN,
        TCP_RST, TCP_RST | TCP_ACK, TCP_ACK | TCP_ECE | TCP_CWR};
    static const uint32_t lens[] = {0, 1, 2, 3, 7, 8, 63, 64, 65, 1448, 1460, 65495, 65536};
    for (int i = 0; i < 3000; i++) {
        struct tcp_plain_seg p = {
            .saddr = i & 1 ? A_ADDR : (uint32_t)rt_rand(&seed),
            .daddr = i & 1 ? B_ADDR : (uint32_t)rt_rand(&seed),
            .sport = (uint16_t)rt_rand(&seed),
            .dport = (uint16_t)rt_rand(&seed),
            .seq = (uint32_t)rt_rand(&seed),
            .ack = (uint32_t)rt_rand(&seed),
            .flags = flag_sets[rt_rand_below(&seed, sizeof flag_sets)],
            .has_ts = rt_rand(&seed) & 1,
            .wnd = (uint16_t)rt_rand(&seed),
            .tsval = (uint32_t)rt_rand(&seed),
            .tsecr = (uint32_t)rt_rand(&seed),
        };
        uint32_t len = i < (int)(sizeof lens / sizeof lens[0])
                           ? lens[i]
                           : (uint32_t)rt_rand_below(&seed, i % 5 ? 200 : 3000);
        uint32_t tail_len = (uint32_t)rt_rand_below(&seed, (uint64_t)len + 1);
        uint32_t at = (uint32_t)rt_rand_below(&seed, 8);
        p.len = len;
        p.data = len > tail_len ? text + at : NULL; /* no first piece: data may be NULL */
        const uint8_t *tail = tail_len ? text + sizeof text - tail_len : NULL;
        bool partial = rt_rand_below(&seed, 4) == 0;
        uint16_t ip_id = (uint16_t)rt_rand(&seed);
        size_t tot = IPV4_HDR_LEN + TCP_HDR_LEN + (p.has_ts ? TCP_OPTLEN_TS : 0) + len;
        require_same(&p, ip_id, tail, tail_len, partial, tot + 16 < 70000 ? tot + 16 : 70000);
        /* and both refuse a buffer one byte short (or a datagram past 65535 bytes) */
        require_same(&p, ip_id, tail, tail_len, partial, tot - 1);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("packet_build");
    TCase *c = tcase_create("builders");
    tcase_set_timeout(c, 60);
    tcase_add_test(c, plain_segments_build_as_the_general_path_does);
    suite_add_tcase(s, c);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
