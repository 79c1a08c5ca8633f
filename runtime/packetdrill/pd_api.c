/*
 * pd_api.c — packetdrill_interface_init, the one exported symbol: reads --so_flags, makes the
 * adapter and fills packetdrill's table with thin entry points that turn the adapter's
 * negative errno returns into -1 and errno, as the libc calls they stand for would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <linux/sockios.h>
#include "packetdrill_abi.h"
#include "pd.h"

/* ---- the table ---- */

static int pd_fail(int e)
{
    errno = e;
    return -1;
}

static long pd_ret(long r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

/* A call packetdrill makes before it can see the flags were wrong fails, so that the script
 * stops at its first line with the reason on stderr. */
static struct pd *pd_of(void *u)
{
    struct pd *pd = u;
    if (pd && pd->bad_flags) {
        fprintf(stderr, "tcpfsm-packetdrill: %s\n", pd->bad_flags);
        return NULL;
    }
    return pd;
}
#define PD_OR_FAIL(u)                                                                              \
    struct pd *pd = pd_of(u);                                                                      \
    if (!pd) return pd_fail(EINVAL)

static int api_socket(void *u, int domain, int type, int protocol)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_socket(pd, domain, type, protocol));
}

static int api_bind(void *u, int fd, const struct sockaddr *addr, socklen_t len)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_bind(pd, fd, addr, len));
}

static int api_listen(void *u, int fd, int backlog)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_listen(pd, fd, backlog));
}

static int api_accept(void *u, int fd, struct sockaddr *addr, socklen_t *len)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_accept(pd, fd, addr, len));
}

static int api_connect(void *u, int fd, const struct sockaddr *addr, socklen_t len)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_connect(pd, fd, addr, len));
}

static ssize_t api_readv(void *u, int fd, const struct iovec *iov, int iovcnt)
{
    PD_OR_FAIL(u);
    return pd_ret(pd_recv(pd, fd, iov, iovcnt, 0));
}

static ssize_t api_recv(void *u, int fd, void *buf, size_t len, int flags)
{
    PD_OR_FAIL(u);
    struct iovec one = {buf, len};
    return pd_ret(pd_recv(pd, fd, &one, 1, flags));
}

static ssize_t api_read(void *u, int fd, void *buf, size_t count)
{
    return api_recv(u, fd, buf, count, 0);
}

/* TCP names no source: like Linux, the address length comes back 0. */
static ssize_t api_recvfrom(void *u, int fd, void *buf, size_t len, int flags, struct sockaddr *src,
                            socklen_t *srclen)
{
    (void)src;
    ssize_t r = api_recv(u, fd, buf, len, flags);
    if (r >= 0 && srclen) *srclen = 0;
    return r;
}

static ssize_t api_recvmsg(void *u, int fd, struct msghdr *msg, int flags)
{
    PD_OR_FAIL(u);
    if (!msg || msg->msg_iovlen > IOV_MAX) return pd_fail(msg ? EMSGSIZE : EFAULT);
    ssize_t r = pd_ret(pd_recv(pd, fd, msg->msg_iov, (int)msg->msg_iovlen, flags));
    if (r >= 0) {
        msg->msg_namelen = 0;
        msg->msg_controllen = 0;
        msg->msg_flags = 0;
    }
    return r;
}

static ssize_t api_writev(void *u, int fd, const struct iovec *iov, int iovcnt)
{
    PD_OR_FAIL(u);
    return pd_ret(pd_send(pd, fd, iov, iovcnt, 0));
}

static ssize_t api_send(void *u, int fd, const void *buf, size_t len, int flags)
{
    PD_OR_FAIL(u);
    struct iovec one = {(void *)(uintptr_t)buf, len};
    return pd_ret(pd_send(pd, fd, &one, 1, flags));
}

static ssize_t api_write(void *u, int fd, const void *buf, size_t count)
{
    return api_send(u, fd, buf, count, 0);
}

/* On a connected TCP socket Linux ignores the destination. */
static ssize_t api_sendto(void *u, int fd, const void *buf, size_t len, int flags,
                          const struct sockaddr *dst, socklen_t dstlen)
{
    (void)dst, (void)dstlen;
    return api_send(u, fd, buf, len, flags);
}

static ssize_t api_sendmsg(void *u, int fd, const struct msghdr *msg, int flags)
{
    PD_OR_FAIL(u);
    if (!msg || msg->msg_iovlen > IOV_MAX) return pd_fail(msg ? EMSGSIZE : EFAULT);
    return pd_ret(pd_send(pd, fd, msg->msg_iov, (int)msg->msg_iovlen, flags));
}

/* Only the commands known to take an int read one: va_arg past the arguments given is
 * undefined, and packetdrill passes two or three. */
static int api_fcntl(void *u, int fd, int cmd, ...)
{
    PD_OR_FAIL(u);
    int arg = 0;
    bool has_arg = cmd == F_SETFL || cmd == F_SETFD;
    if (has_arg) {
        va_list ap;
        va_start(ap, cmd);
        arg = va_arg(ap, int);
        va_end(ap);
    }
    return (int)pd_ret(pd_fcntl(pd, fd, cmd, arg, has_arg));
}

static int api_ioctl(void *u, int fd, unsigned long request, ...)
{
    PD_OR_FAIL(u);
    int *arg = NULL;
    if (request == FIONBIO || request == SIOCINQ || request == SIOCOUTQ) {
        va_list ap;
        va_start(ap, request);
        arg = va_arg(ap, int *);
        va_end(ap);
        if (!arg) return pd_fail(EFAULT);
    }
    return (int)pd_ret(pd_ioctl(pd, fd, request, arg));
}

static int api_close(void *u, int fd)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_close(pd, fd));
}

static int api_shutdown(void *u, int fd, int how)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_shutdown(pd, fd, how));
}

static int api_getsockopt(void *u, int fd, int level, int name, void *val, socklen_t *len)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_getsockopt(pd, fd, level, name, val, len));
}

static int api_setsockopt(void *u, int fd, int level, int name, const void *val, socklen_t len)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_setsockopt(pd, fd, level, name, val, len));
}

static int api_poll(void *u, struct pollfd *fds, nfds_t nfds, int timeout)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_poll(pd, fds, nfds, timeout));
}

static int api_netdev_send(void *u, const void *buf, size_t count)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_netdev_send(pd, buf, count));
}

static int api_netdev_receive(void *u, void *buf, size_t *count, long long *time_usecs)
{
    struct pd *pd = pd_of(u);
    if (!pd) { /* an empty packet ends the script instead of a loop */
        *count = 0;
        *time_usecs = (long long)pd_clock_us();
        return 0;
    }
    return pd_netdev_receive(pd, buf, count, time_usecs);
}

static int api_usleep(void *u, useconds_t usec)
{
    (void)u;
    struct timespec ts = {.tv_sec = usec / 1000000u, .tv_nsec = (long)(usec % 1000000u) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
    }
    return 0;
}

static int api_gettimeofday(void *u, struct timeval *tv, struct timezone *tz)
{
    (void)u;
    uint64_t now = pd_clock_us();
    if (tv) {
        tv->tv_sec = (time_t)(now / 1000000u);
        tv->tv_usec = (suseconds_t)(now % 1000000u);
    }
    if (tz) memset(tz, 0, sizeof *tz);
    return 0;
}

static int api_epoll_create(void *u, int size)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_epoll_create(pd, size));
}

static int api_epoll_ctl(void *u, int epfd, int op, int fd, struct epoll_event *ev)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_epoll_ctl(pd, epfd, op, fd, ev));
}

static int api_epoll_wait(void *u, int epfd, struct epoll_event *ev, int max, int timeout)
{
    PD_OR_FAIL(u);
    return (int)pd_ret(pd_epoll_wait(pd, epfd, ev, max, timeout));
}

/* Pipes and splice() would need descriptors that are not the stack's: not offered. */
static int api_pipe(void *u, int pipefd[2])
{
    (void)u, (void)pipefd;
    return pd_fail(ENOSYS);
}

static int api_splice(void *u, int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
                      unsigned int flags)
{
    (void)u, (void)in, (void)off_in, (void)out, (void)off_out, (void)len, (void)flags;
    return pd_fail(ENOSYS);
}

static void api_free(void *u)
{
    pd_preload_forget(u);
    pd_free(u);
}

void packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc)
{
    struct pd *pd = pd_new(flags);
    if (pd) pd_preload_register(pd);
    *ifc = (struct packetdrill_interface){
        .userdata = pd,
        .free = api_free,
        .socket = api_socket,
        .bind = api_bind,
        .listen = api_listen,
        .accept = api_accept,
        .connect = api_connect,
        .read = api_read,
        .readv = api_readv,
        .recv = api_recv,
        .recvfrom = api_recvfrom,
        .recvmsg = api_recvmsg,
        .write = api_write,
        .writev = api_writev,
        .send = api_send,
        .sendto = api_sendto,
        .sendmsg = api_sendmsg,
        .fcntl = api_fcntl,
        .ioctl = api_ioctl,
        .close = api_close,
        .shutdown = api_shutdown,
        .getsockopt = api_getsockopt,
        .setsockopt = api_setsockopt,
        .poll = api_poll,
        .netdev_send = api_netdev_send,
        .netdev_receive = api_netdev_receive,
        .usleep = api_usleep,
        .gettimeofday = api_gettimeofday,
        .epoll_create = api_epoll_create,
        .epoll_ctl = api_epoll_ctl,
        .epoll_wait = api_epoll_wait,
        .pipe = api_pipe,
        .splice = api_splice,
    };
}
