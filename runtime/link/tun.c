/*
 * tun.c — Linux TUN device (Documentation/networking/tuntap.rst).
 *
 * IFF_TUN: layer 3, each read/write is one IP datagram (IFF_TAP, for runtime/link/: one
 * Ethernet frame). IFF_NO_PI: no 4-byte packet information prefix, so what we read is exactly
 * what pkt_parse (or tcpfsm_eth_input) takes. The fd is
 * non-blocking: the event loop polls it together with the timer wheel and never hangs.
 */
#include "tun.h"

#include "tcpfsm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(char *errbuf, size_t errlen, int err, const char *what, const char *name)
{
    if (errbuf && errlen) {
        const char *hint = "";
        if (err == EPERM || err == EACCES)
            hint = " (needs root or CAP_NET_ADMIN)";
        else if (err == ENOENT || err == ENODEV || err == ENXIO)
            hint = " (no TUN support: modprobe tun, or /dev/net/tun missing in this container)";
        snprintf(errbuf, errlen, "%s %s: %s%s", what, name, strerror(err), hint);
    }
    return -err;
}

int tun_open(const char *name, char *errbuf, size_t errlen)
{
    return tun_open_mode(name, 0, errbuf, errlen);
}

static int bad_name(const char *name, const char *kind, char *errbuf, size_t errlen)
{
    if (name && *name && strlen(name) < IFNAMSIZ) return 0;
    if (errbuf && errlen)
        snprintf(errbuf, errlen, "%s: bad interface name '%s' (1..%d characters)", kind,
                 name ? name : "", IFNAMSIZ - 1);
    return -EINVAL;
}

/* One fd attached to NAME with these TUNSETIFF flags. */
static int tun_attach(const char *name, short flags, char *errbuf, size_t errlen)
{
    /* O_NONBLOCK on open: the open itself never waits either. */
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return fail(errbuf, errlen, errno, "open /dev/net/tun for", name);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = flags;
    memcpy(ifr.ifr_name, name, strlen(name));
    /* TUNSETIFF attaches to an existing device of that name or creates it. */
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        return fail(errbuf, errlen, e, "TUNSETIFF", name);
    }
    /* Offloads an earlier program negotiated on a persistent device outlive it: without a
     * virtio-net header to say so, the kernel would hand us 64 KB packets and partial
     * checksums (every segment failing its checksum). Plain packets need none; a refusal
     * (a kernel without the ioctl) leaves nothing to undo. */
    if (!(flags & IFF_VNET_HDR)) (void)ioctl(fd, TUNSETOFFLOAD, 0UL);
    return fd;
}

int tun_open_mode(const char *name, int tap, char *errbuf, size_t errlen)
{
    int e = bad_name(name, tap ? "tap" : "tun", errbuf, errlen);
    if (e) return e;
    return tun_attach(name, (short)((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI), errbuf, errlen);
}

int tun_open_mq(const char *name, int n, int *fds, char *errbuf, size_t errlen)
{
    int e = bad_name(name, "tun", errbuf, errlen);
    if (e) return e;
    if (n < 1 || n > TUN_MAX_QUEUES || !fds) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "tun %s: bad number of queues %d (1..%d)", name, n,
                     TUN_MAX_QUEUES);
        return -EINVAL;
    }
    /* Every queue is one more TUNSETIFF on the same name: the first makes the device (or
     * attaches to a persistent one, which must have been made multi_queue), the others join. */
    for (int i = 0; i < n; i++) {
        fds[i] = tun_attach(name, IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE, errbuf, errlen);
        if (fds[i] < 0) {
            e = fds[i];
            while (i-- > 0)
                close(fds[i]);
            return e;
        }
    }
    return 0;
}

int tun_mtu(const char *name)
{
    if (!name || !*name || strlen(name) >= IFNAMSIZ) return -EINVAL;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, name, strlen(name));
    int rc = ioctl(s, SIOCGIFMTU, &ifr) < 0 ? -errno : ifr.ifr_mtu;
    close(s);
    return rc;
}

int tun_open_vnet(const char *name, char *errbuf, size_t errlen)
{
    int e = bad_name(name, "tun", errbuf, errlen);
    if (e) return e;
    return tun_attach(name, IFF_TUN | IFF_NO_PI | IFF_VNET_HDR, errbuf, errlen);
}

int tun_set_offload(int fd, unsigned want, unsigned *got)
{
    /* TUN_F_TSO4 only with TUN_F_CSUM (the kernel refuses it alone); each step down is what
     * an older kernel or a device without the feature still takes */
    static const struct {
        unsigned ours, tun;
    } tries[] = {
        {TCPFSM_VNET_CSUM | TCPFSM_VNET_TSO4, TUN_F_CSUM | TUN_F_TSO4},
        {TCPFSM_VNET_CSUM, TUN_F_CSUM},
        {0, 0},
    };
    *got = 0;
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        if ((tries[i].ours & want) != tries[i].ours) continue;
        if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tries[i].tun) == 0) {
            *got = tries[i].ours;
            return 0;
        }
        if (errno == EBADF || errno == ENOTTY) return -errno;
    }
    return 0;
}

int tun_open_offload(const char *name, unsigned want, unsigned *got, char *errbuf, size_t errlen)
{
    *got = 0;
    int fd = tun_open_vnet(name, errbuf, errlen);
    if (fd < 0) return fd;
    int e = tun_set_offload(fd, want, got);
    if (e < 0 || *got) {
        if (e < 0) close(fd);
        return e < 0 ? fail(errbuf, errlen, -e, "TUNSETOFFLOAD", name) : fd;
    }
    /* Nothing granted: a header on every packet would cost and buy nothing (measured: 3-8 %
     * slower than plain packets), so fall back to a plain device. A device this fd made goes
     * with it and is made again; a persistent one stays. */
    close(fd);
    return tun_open(name, errbuf, errlen);
}
