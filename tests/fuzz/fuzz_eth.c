/*
 * fuzz_eth.c — libFuzzer harness for the link layer (runtime/link/): Ethernet II and ARP in
 * front of a stack listening on port 80 (10.0.0.2/24, MAC 02:00:0a:00:00:02), with a small
 * neighbour cache (4 entries) and queue (3 packets) so eviction and queue drops are reached.
 * The input is a sequence of records [op: 1 byte][len: 2 bytes, little endian][payload]
 * (a truncated last record takes what is left); the low 2 bits of op choose:
 *
 *   0 FRAME    payload is a received frame (tcpfsm_eth_input); fix-ups in op's high bits:
 *              0x80 destination = our MAC (0x40 with it: broadcast), 0x20 type ARP with a
 *              valid Ethernet/IPv4 ARP header (hrd, pro, hln, pln), 0x10 the ARP target
 *              protocol address = ours
 *   1 IP       payload is a datagram the stack sends (tcpfsm_eth_ip_output); 0x80 makes it a
 *              20-byte IPv4 header to 10.0.0.(payload[0]) (or off-link with 0x40)
 *   2 ADVANCE  time += LE32(payload) ms (capped at one hour), link and stack advanced
 *   3 OBSERVE  announce, lookup of 10.0.0.(payload[0]), stats, next timeout
 *
 * Every frame the layer sends is checked: at least 60 bytes, our MAC as source.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tcpfsm.h"

#define OUR_ADDR 0x0a000002u
static const uint8_t OUR_MAC[6] = {0x02, 0x00, 0x0a, 0x00, 0x00, 0x02};

static void frame_out(void *arg, const void *frame, size_t len)
{
    (void)arg;
    if (len < 60 || memcmp((const uint8_t *)frame + 6, OUR_MAC, 6)) abort();
}

static uint64_t fixed_random(void *arg)
{
    uint64_t *s = arg;
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tcpfsm_eth_config ec = {.addr = OUR_ADDR,
                                   .prefix_len = 24,
                                   .gateway = 0x0a0000feu,
                                   .output = frame_out,
                                   .neighbours = 4,
                                   .queue_packets = 3};
    memcpy(ec.mac, OUR_MAC, 6);
    struct tcpfsm_eth *eth = tcpfsm_eth_new(&ec, NULL);
    if (!eth) abort();
    uint64_t rng = 1;
    struct tcpfsm_config c = {.addr = OUR_ADDR,
                              .prefix_len = 24,
                              .output = tcpfsm_eth_ip_output,
                              .output_arg = eth,
                              .random = fixed_random,
                              .random_arg = &rng};
    struct tcpfsm_stack *st = tcpfsm_stack_new(&c, NULL);
    if (!st) abort();
    tcpfsm_eth_attach(eth, st);
    int lfd = tcpfsm_socket(st);
    tcpfsm_bind(st, lfd, 0, 80);
    tcpfsm_listen(st, lfd, 8);
    uint64_t now = 0;
    static uint8_t buf[65536 + 64];
    while (size >= 3) {
        uint8_t op = data[0];
        size_t len = (size_t)(data[1] | data[2] << 8);
        data += 3;
        size -= 3;
        if (len > size) len = size;
        const uint8_t *p = data;
        data += len;
        size -= len;
        memcpy(buf, p, len);
        switch (op & 3) {
        case 0:
            if ((op & 0x80) && len >= 6)
                memcpy(buf, (op & 0x40) ? "\xff\xff\xff\xff\xff\xff" : (const char *)OUR_MAC, 6);
            if ((op & 0x20) && len >= 14 + 6) {
                buf[12] = 0x08, buf[13] = 0x06;
                memcpy(buf + 14, "\x00\x01\x08\x00\x06\x04", 6);
            }
            if ((op & 0x10) && len >= 14 + 28) {
                buf[14 + 24] = 10, buf[14 + 25] = 0, buf[14 + 26] = 0, buf[14 + 27] = 2;
            }
            tcpfsm_eth_input(eth, buf, len);
            break;
        case 1:
            if (op & 0x80) {
                memset(buf, 0, 20);
                buf[0] = 0x45;
                buf[3] = 20;
                buf[16] = (op & 0x40) ? 192 : 10;
                buf[19] = len ? p[0] : 1;
                len = 20;
            }
            tcpfsm_eth_ip_output(eth, buf, len);
            break;
        case 2: {
            uint32_t ms = 0;
            memcpy(&ms, buf, len < 4 ? len : 4);
            now += (uint64_t)(ms % 3600000u) * 1000u;
            tcpfsm_eth_advance(eth, now);
            tcpfsm_advance(st, now);
            break;
        }
        default: {
            uint8_t mac[6];
            struct tcpfsm_eth_stats s;
            tcpfsm_eth_announce(eth);
            (void)tcpfsm_eth_lookup(eth, 0x0a000000u | (len ? p[0] : 1), mac);
            tcpfsm_eth_get_stats(eth, &s);
            (void)tcpfsm_eth_next_timeout(eth);
            break;
        }
        }
    }
    tcpfsm_stack_free(st);
    tcpfsm_eth_free(eth);
    return 0;
}
