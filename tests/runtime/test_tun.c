/*
 * test_tun.c — TUN device open/close and MTU. Needs root (CAP_NET_ADMIN) and /dev/net/tun;
 * otherwise the device tests print "SKIP: ..." and pass, while the error paths (clean -errno
 * and message, never a hang) are checked everywhere.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rt_test.h"
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

static Suite *suite(void)
{
    Suite *s = suite_create("tun");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, bad_names);
    tcase_add_test(tc, open_close_device);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
