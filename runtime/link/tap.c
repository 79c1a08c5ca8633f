/*
 * tap.c — TAP devices and AF_PACKET sockets (see tap.h). Plain read/recv and write/send, one
 * frame per call; PACKET_MMAP rings are left for when the per-frame system calls show up as
 * the cost.
 */
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tun.h"

int tap_open(const char *name, char *errbuf, size_t errlen)
{
    return tun_open_mode(name, 1, errbuf, errlen);
}

int link_if_mac(const char *ifname, uint8_t mac[6])
{
    if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ) return -EINVAL;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, ifname, strlen(ifname));
    int rc = ioctl(s, SIOCGIFHWADDR, &ifr) < 0 ? -errno : 0;
    close(s);
    if (rc == 0) memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return rc;
}

static int fail(char *errbuf, size_t errlen, int fd, int err, const char *what, const char *name)
{
    if (fd >= 0) close(fd);
    if (errbuf && errlen)
        snprintf(errbuf, errlen, "%s %s: %s%s", what, name, strerror(err),
                 err == EPERM || err == EACCES ? " (needs root or CAP_NET_RAW)" : "");
    return -err;
}

int afpacket_open(const char *ifname, const uint8_t mac[6], char *errbuf, size_t errlen)
{
    unsigned idx = ifname && strlen(ifname) < IFNAMSIZ ? if_nametoindex(ifname) : 0;
    if (!idx) return fail(errbuf, errlen, -1, ENODEV, "no interface", ifname ? ifname : "");
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) return fail(errbuf, errlen, -1, errno, "AF_PACKET socket for", ifname);
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)idx;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0)
        return fail(errbuf, errlen, fd, errno, "bind AF_PACKET to", ifname);
#ifdef PACKET_IGNORE_OUTGOING
    int one = 1;
    (void)setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
#endif
    uint8_t own[6];
    if (link_if_mac(ifname, own) == 0 && memcmp(own, mac, 6)) {
        struct packet_mreq mr;
        memset(&mr, 0, sizeof mr);
        mr.mr_ifindex = (int)idx;
        mr.mr_type = PACKET_MR_PROMISC;
        if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0)
            return fail(errbuf, errlen, fd, errno, "promiscuous mode on", ifname);
    }
    return fd;
}

long afpacket_recv(int fd, void *buf, size_t len)
{
    for (;;) {
        struct sockaddr_ll from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(fd, buf, len, 0, (struct sockaddr *)&from, &fl);
        if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        if (from.sll_pkttype != PACKET_OUTGOING) return r;
    }
}
