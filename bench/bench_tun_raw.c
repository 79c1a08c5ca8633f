/*
 * bench_tun_raw.c MTU — the raw TUN ceiling: how many MTU-sized IPv4 packets per second one
 * thread can write() into a TUN device, with no TCP at all. Whatever our stack sends over
 * TUN can never beat this, so it is the reference for the TUN bulk figures.
 *
 * Run inside a throw-away network namespace (bench/run.py makes one): it creates tunbench0,
 * gives it 10.77.0.1/24 and writes UDP datagrams 10.77.0.2 -> 10.77.0.1:9 (discard; nobody
 * listens, the kernel drops them after IP/UDP input, which is the cost we want to include).
 * The device's own outgoing queue (ICMP errors, rate-limited) is drained between bursts.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench_util.h"

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

int main(int argc, char **argv)
{
    int mtu = argc > 1 ? atoi(argv[1]) : 1500;
    double secs = bench_quick() ? 0.05 : 0.4;
    static uint8_t pkt[65536], junk[65536];
    struct ifreq ifr;
    char cmd[256], name[64];
    double pps[BENCH_RUNS];
    int fd = open("/dev/net/tun", O_RDWR);

    if (fd < 0 || mtu < 68 || mtu > 65535) {
        perror("bench_tun_raw: /dev/net/tun");
        return 1;
    }
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "tunbench0");
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        perror("bench_tun_raw: TUNSETIFF");
        return 1;
    }
    snprintf(cmd, sizeof cmd,
             "ip link set tunbench0 mtu %d up && ip addr add 10.77.0.1/24 dev tunbench0", mtu);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_tun_raw: '%s' failed\n", cmd);
        return 1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

    /* IPv4 + UDP, total length = MTU, UDP checksum 0 (allowed for IPv4, RFC 768). */
    memset(pkt, 0, (size_t)mtu);
    pkt[0] = 0x45;
    pkt[2] = (uint8_t)(mtu >> 8), pkt[3] = (uint8_t)mtu;
    pkt[6] = 0x40; /* DF */
    pkt[8] = 64, pkt[9] = 17;
    pkt[12] = 10, pkt[13] = 77, pkt[14] = 0, pkt[15] = 2;
    pkt[16] = 10, pkt[17] = 77, pkt[18] = 0, pkt[19] = 1;
    uint16_t c = ip_csum(pkt, 20);
    pkt[10] = (uint8_t)(c >> 8), pkt[11] = (uint8_t)c;
    pkt[20] = 0x30, pkt[21] = 0x39; /* sport 12345 */
    pkt[23] = 9;                    /* dport 9 */
    pkt[24] = (uint8_t)((mtu - 20) >> 8), pkt[25] = (uint8_t)(mtu - 20);

    for (int r = 0; r < BENCH_RUNS; r++) {
        uint64_t n = 0, t0 = bench_now_ns(), deadline = t0 + (uint64_t)(secs * 1e9), t = t0;
        while (t < deadline) {
            for (int i = 0; i < 256; i++) {
                if (write(fd, pkt, (size_t)mtu) == mtu)
                    n++;
                else if (errno != EAGAIN && errno != ENOBUFS) {
                    perror("bench_tun_raw: write");
                    return 1;
                }
            }
            while (read(fd, junk, sizeof junk) > 0) /* ICMP replies: keep the queue empty */
                ;
            t = bench_now_ns();
        }
        pps[r] = (double)n / ((double)(t - t0) / 1e9);
    }
    double m = bench_median(pps, BENCH_RUNS);
    snprintf(name, sizeof name, "TUN raw write ceiling MTU %d (%.0f kpps)", mtu, m / 1e3);
    bench_row_noref(name, m * mtu * 8 / 1e9, "Gbit/s");
    return 0;
}
