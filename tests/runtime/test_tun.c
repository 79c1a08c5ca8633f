/*
 * test_tun.c — TUN device open/close and MTU. Needs root (CAP_NET_ADMIN) and /dev/net/tun;
 * otherwise the device tests print "SKIP: ..." and pass, while the error paths (clean -errno
 * and message, never a hang) are checked everywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "rt_test.h"
#include "tcpfsm.h"
#include "tun.h"

START_TEST(bad_names)
{
    char err[256] = "";
    ck_assert_int_eq(tun_open("", err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "bad interface name"));
    ck_assert_int_eq(tun_open("a-name-far-too-long-for-ifnamsiz", err, sizeof err), -EINVAL);
    ck_assert_int_eq(tun_open(NULL, NULL, 0), -EINVAL);
    ck_assert_int_eq(tun_mtu(""), -EINVAL);
    ck_assert_int_lt(tun_mtu("rtnosuchdev0"), 0); /* -ENODEV */
}
END_TEST

START_TEST(open_close_device)
{
    char err[256] = "", name[16];
    snprintf(name, sizeof name, "rtt%ld", (long)getpid() % 100000);
    int fd = tun_open(name, err, sizeof err);
    if (fd < 0) {
        /* Not root or no /dev/net/tun: the failure must be clean and explained. */
        ck_assert(fd == -EPERM || fd == -EACCES || fd == -ENOENT || fd == -ENODEV || fd == -ENXIO ||
                  fd == -EBUSY);
        ck_assert_int_gt(strlen(err), 0);
        printf("SKIP: needs root and /dev/net/tun (%s)\n", err);
        return;
    }
    ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
    ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    /* a fresh TUN device starts with MTU 1500 */
    ck_assert_int_eq(tun_mtu(name), 1500);
    /* non-blocking: nothing to read returns EAGAIN at once instead of hanging */
    char buf[2048];
    ck_assert_int_lt(read(fd, buf, sizeof buf), 0);
    ck_assert(errno == EAGAIN || errno == EIO); /* EIO while the link is down */
    /* attaching to the same name again while held by us fails cleanly (EBUSY) */
    int fd2 = tun_open(name, err, sizeof err);
    if (fd2 >= 0)
        close(fd2);
    else
        ck_assert_int_gt(strlen(err), 0);
    close(fd);
    /* not persistent: the device is gone once closed */
    ck_assert_int_lt(tun_mtu(name), 0);
}
END_TEST

/* The flags the device was attached with (TUNGETIFF). */
static short tun_flags(int fd)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    return ioctl(fd, TUNGETIFF, &ifr) == 0 ? ifr.ifr_flags : -1;
}

/* tun_open_offload: headers and what was granted, or, when nothing is, a plain device (the
 * fallback: a header on every packet with nothing to show for it only costs). A plain open
 * after an offloading one switches the offloads off (they outlive their program). */
START_TEST(offload_open_falls_back_to_a_plain_device_when_nothing_is_granted)
{
    char err[256] = "", name[16];
    snprintf(name, sizeof name, "rto%ld", (long)getpid() % 100000);
    unsigned got = 99;
    int fd = tun_open_offload(name, TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4, &got, err, sizeof err);
    if (fd < 0) {
        printf("SKIP: needs root and /dev/net/tun (%s)\n", err);
        return;
    }
    ck_assert(tun_flags(fd) & IFF_VNET_HDR);
    ck_assert_uint_eq(got, TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4); /* this kernel takes both */
    close(fd);
    fd = tun_open_offload(name, 0, &got, err, sizeof err); /* nothing asked = nothing granted */
    ck_assert_int_ge(fd, 0);
    ck_assert_uint_eq(got, 0);
    ck_assert(!(tun_flags(fd) & IFF_VNET_HDR)); /* plain packets */
    close(fd);
    fd = tun_open_offload(name, TCPFSM_VNET_TSO4, &got, err, sizeof err); /* TSO4 alone: none */
    ck_assert_int_ge(fd, 0);
    ck_assert_uint_eq(got, 0);
    ck_assert(!(tun_flags(fd) & IFF_VNET_HDR));
    close(fd);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tun");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, bad_names);
    tcase_add_test(tc, open_close_device);
    tcase_add_test(tc, offload_open_falls_back_to_a_plain_device_when_nothing_is_granted);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
