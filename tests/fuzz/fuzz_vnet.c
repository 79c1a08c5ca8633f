/*
 * fuzz_vnet.c — libFuzzer harness for the virtio-net offload layer (runtime/link/vnet.c): what
 * a TUN device with IFF_VNET_HDR may hand us, in front of a stack (10.0.0.2/24, checksum
 * offload on, TSO4+CSUM granted) listening on port 80 that echoes what it reads, so trains are
 * also gathered on the way out. The input is a sequence of records [op: 1 byte][len: 2 bytes,
 * little endian][payload] (a truncated last record takes what is left); the low 2 bits of op:
 *
 *   0 FRAME    payload is one read from the device (header + datagram), given to
 *              tcpfsm_vnet_input; fix-ups in op's high bits make the fuzzer's life easier:
 *              0x80 an IPv4/TCP header (version, total length, protocol, our address), 0x40 a
 *              GSO TCPV4 header with NEEDS_CSUM at TCP's checksum, 0x20 the IP header checksum
 *              right, 0x10 the TCP SYN flag alone (a connection to open)
 *   1 APP      accept what is waiting, echo what every connection has to read
 *   2 ADVANCE  time += LE32(payload) ms (capped at one hour)
 *   3 FLUSH    tcpfsm_vnet_flush, stats
 *
 * Every frame the layer writes is checked: the header's fields are the ones the kernel takes
 * (no unknown flag, GSO only TCPV4 with NEEDS_CSUM at TCP's checksum and a size, the datagram's
 * total length the frame's).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tcpfsm.h"

#define OUR_ADDR 0x0a000002u
#define VH 10

static void frame_out(void *arg, const void *frame, size_t len)
{
    (void)arg;
    const uint8_t *f = frame, *ip = f + VH;
    if (len < VH + 20) abort();
    if ((f[0] & ~1u) || (f[1] != 0 && f[1] != 1)) abort(); /* NEEDS_CSUM only; NONE or TCPV4 */
    if ((size_t)(ip[2] << 8 | ip[3]) != len - VH) abort();
    if (f[1] == 1) {
        uint16_t gso, start, off;
        memcpy(&gso, f + 4, 2);
        memcpy(&start, f + 6, 2);
        memcpy(&off, f + 8, 2);
        if (!(f[0] & 1) || !gso || start != 20 || off != 16 || ip[9] != 6) abort();
    }
}

static uint64_t fixed_random(void *arg)
{
    uint64_t *s = arg;
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s;
}

static void ip_csum(uint8_t *ip)
{
    ip[10] = ip[11] = 0;
    uint32_t s = 0;
    for (int i = 0; i < 20; i += 2)
        s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    ip[10] = (uint8_t)(~s >> 8);
    ip[11] = (uint8_t)~s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tcpfsm_vnet_config vc = {.write = frame_out,
                                    .offloads = TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4};
    struct tcpfsm_vnet *vn = tcpfsm_vnet_new(&vc, NULL);
    if (!vn) abort();
    uint64_t rng = 1;
    struct tcpfsm_config c = {.addr = OUR_ADDR,
                              .prefix_len = 24,
                              .output = tcpfsm_vnet_output,
                              .output_arg = vn,
                              .random = fixed_random,
                              .random_arg = &rng,
                              .flags = tcpfsm_vnet_stack_flags(vn),
                              .max_sockets = 16};
    struct tcpfsm_stack *st = tcpfsm_stack_new(&c, NULL);
    if (!st) abort();
    tcpfsm_vnet_attach(vn, st);
    int lfd = tcpfsm_socket(st);
    tcpfsm_bind(st, lfd, 0, 80);
    tcpfsm_listen(st, lfd, 8);
    int fds[16], nfd = 0;
    uint64_t now = 0;
    static uint8_t buf[VH + 65536 + 64];
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
        case 0: {
            uint8_t *ip = buf + VH;
            if ((op & 0x80) && len >= VH + 40) {
                ip[0] = 0x45;
                ip[2] = (uint8_t)((len - VH) >> 8), ip[3] = (uint8_t)(len - VH);
                ip[6] &= 0x40, ip[7] = 0; /* not a fragment */
                ip[9] = 6;
                ip[16] = 10, ip[17] = 0, ip[18] = 0, ip[19] = 2;
                ip[32] = (uint8_t)((ip[32] & 0xf0) < 0x50 ? 0x50 : ip[32] & 0xf0);
                ip[22] = 0, ip[23] = 80; /* to the listener */
            }
            if ((op & 0x40) && len >= VH) {
                uint16_t start = 20, off = 16;
                buf[0] = 1, buf[1] = 1;
                memcpy(buf + 6, &start, 2);
                memcpy(buf + 8, &off, 2);
            }
            if ((op & 0x20) && len >= VH + 20) ip_csum(ip);
            if ((op & 0x10) && len >= VH + 34) ip[33] = 0x02;
            tcpfsm_vnet_input(vn, buf, len);
            break;
        }
        case 1: {
            int fd;
            while (nfd < 16 && (fd = tcpfsm_accept(st, lfd, NULL, NULL)) >= 0)
                fds[nfd++] = fd;
            for (int i = 0; i < nfd; i++) {
                long n = tcpfsm_recv(st, fds[i], buf, 65536);
                if (n > 0) tcpfsm_send(st, fds[i], buf, (size_t)n);
            }
            break;
        }
        case 2: {
            uint32_t ms = 0;
            memcpy(&ms, buf, len < 4 ? len : 4);
            now += (uint64_t)(ms % 3600000u) * 1000u;
            tcpfsm_advance(st, now);
            break;
        }
        default: {
            struct tcpfsm_vnet_stats s;
            tcpfsm_vnet_flush(vn);
            tcpfsm_vnet_get_stats(vn, &s);
            break;
        }
        }
    }
    tcpfsm_vnet_flush(vn);
    tcpfsm_stack_free(st);
    tcpfsm_vnet_free(vn);
    return 0;
}
