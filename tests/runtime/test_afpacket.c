/*
 * test_afpacket.c — the AF_PACKET send queue (runtime/link/tap.c, afpacket_tx_*): frames go
 * out in order, one sendmmsg(2) per batch of AFPACKET_TX_BATCH, and a frame too long for a
 * slot is dropped and counted. Root only: the test process (Check forks one per test) gets a
 * network namespace of its own with a veth pair, sends on one end and reads on the other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_test.h"
#include "tap.h"

#define ETH_TYPE_TEST 0x88b5 /* IEEE 802 local experimental */
#define NFRAMES 200

static int raw_on(const char *ifname)
{
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_TYPE_TEST));
    ck_assert_int_ge(fd, 0);
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_TYPE_TEST),
                              .sll_ifindex = (int)if_nametoindex(ifname)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sll, sizeof sll), 0);
    return fd;
}

START_TEST(frames_go_out_in_order_one_sendmmsg_per_batch)
{
    if (geteuid() != 0) {
        printf("SKIP: frames_go_out_in_order_one_sendmmsg_per_batch needs root (veth)\n");
        return;
    }
    if (unshare(CLONE_NEWNET) != 0) {
        printf("SKIP: frames_go_out_in_order_one_sendmmsg_per_batch: unshare: %s\n",
               strerror(errno));
        return;
    }
    ck_assert_int_eq(system("ip link add vta type veth peer name vtb && ip link set vta up && "
                            "ip link set vtb up"),
                     0);
    uint8_t mac[6];
    ck_assert_int_eq(link_if_mac("vta", mac), 0);
    char eb[128];
    int fd = afpacket_open("vta", mac, eb, sizeof eb);
    ck_assert_msg(fd >= 0, "%s", eb);
    int rx = raw_on("vtb");
    struct afpacket_tx q;
    ck_assert_int_eq(afpacket_tx_init(&q, fd, 1514), 0);
    uint8_t f[1600];
    memset(f, 0xff, 6); /* broadcast: vtb takes it */
    memcpy(f + 6, mac, 6);
    f[12] = ETH_TYPE_TEST >> 8, f[13] = ETH_TYPE_TEST & 0xff;
    for (int i = 0; i < NFRAMES; i++) {
        memset(f + 14, (uint8_t)i, 100);
        f[14] = (uint8_t)(i >> 8), f[15] = (uint8_t)i;
        afpacket_tx_frame(&q, f, 14 + 100 + (size_t)(i % 50));
    }
    afpacket_tx_frame(&q, f, 1515); /* too long for a slot */
    afpacket_tx_flush(&q);
    ck_assert_uint_eq(q.frames, NFRAMES);
    ck_assert_uint_eq(q.drops, 1);
    ck_assert_uint_eq(q.calls, (NFRAMES + AFPACKET_TX_BATCH - 1) / AFPACKET_TX_BATCH);
    int got = 0;
    for (int tries = 0; tries < 200 && got < NFRAMES; tries++) {
        uint8_t b[2048];
        ssize_t r = recv(rx, b, sizeof b, 0);
        if (r < 0) {
            struct pollfd p = {.fd = rx, .events = POLLIN};
            poll(&p, 1, 10);
            continue;
        }
        ck_assert_int_ge(r, 14 + 100);
        int idx = b[14] << 8 | b[15];
        ck_assert_int_eq(idx, got); /* in order, none lost */
        ck_assert_int_eq(r, 14 + 100 + got % 50);
        got++;
    }
    ck_assert_int_eq(got, NFRAMES);
    afpacket_tx_destroy(&q);
    close(fd);
    close(rx);
}
END_TEST

START_TEST(tx_init_refuses_bad_sizes)
{
    struct afpacket_tx q;
    ck_assert_int_eq(afpacket_tx_init(&q, -1, 0), -EINVAL);
    ck_assert_int_eq(afpacket_tx_init(&q, -1, 65536), -EINVAL);
    afpacket_tx_destroy(&q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("afpacket");
    TCase *tc = tcase_create("tx");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, frames_go_out_in_order_one_sendmmsg_per_batch);
    tcase_add_test(tc, tx_init_refuses_bad_sizes);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
