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
#include <stdlib.h>
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
    /* Frames the kernel sent itself (the other end of a veth, a local bridge) come with their
     * TCP/UDP checksum left for the hardware; the auxiliary data says so (csum_complete). */
    int on = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &on, sizeof on) < 0)
        return fail(errbuf, errlen, fd, errno, "PACKET_AUXDATA on", ifname);
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

/* TP_STATUS_CSUMNOTREADY: an IPv4 TCP or UDP checksum field holds only the pseudo-header
 * sum (Linux's CHECKSUM_PARTIAL), as a NIC would receive it to finish: finish it here, the
 * one's-complement sum of the transport header and data (RFC 1071) complemented in place. */
static void csum_complete(uint8_t *f, size_t len)
{
    if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4) return;
    size_t ihl = (size_t)(f[14] & 15) * 4, tot = (size_t)(f[16] << 8 | f[17]);
    size_t off = f[23] == 6 ? 16 : f[23] == 17 ? 6 : 0; /* TCP, UDP checksum offset */
    if (!off || ihl < 20 || tot < ihl + off + 2 || 14 + tot > len) return;
    const uint8_t *l4 = f + 14 + ihl;
    size_t n = tot - ihl;
    uint64_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(l4[i] << 8 | l4[i + 1]);
    if (n & 1) sum += (uint32_t)l4[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t c = (uint16_t)~sum;
    if (c == 0 && off == 6) c = 0xffff; /* UDP: zero means "no checksum" */
    f[14 + ihl + off] = (uint8_t)(c >> 8);
    f[14 + ihl + off + 1] = (uint8_t)c;
}

long afpacket_recv(int fd, void *buf, size_t len)
{
    unsigned trusted = 0;
    long r = afpacket_recv2(fd, buf, len, &trusted);
    /* a caller that cannot pass the kernel's word on gets a checksum that checks */
    if (r > 0 && (trusted & AFPACKET_CSUM_PARTIAL)) csum_complete(buf, (size_t)r);
    return r;
}

long afpacket_recv2(int fd, void *buf, size_t len, unsigned *csum)
{
    *csum = 0;
    for (;;) {
        struct sockaddr_ll from;
        union {
            struct cmsghdr h;
            char b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
        } ctl;
        struct iovec iov = {.iov_base = buf, .iov_len = len};
        struct msghdr m = {.msg_name = &from,
                           .msg_namelen = sizeof from,
                           .msg_iov = &iov,
                           .msg_iovlen = 1,
                           .msg_control = ctl.b,
                           .msg_controllen = sizeof ctl.b};
        ssize_t r = recvmsg(fd, &m, 0);
        if (r < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
        if (from.sll_pkttype == PACKET_OUTGOING) continue;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            struct tpacket_auxdata aux;
            if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA) continue;
            memcpy(&aux, CMSG_DATA(c), sizeof aux);
            if (aux.tp_status & TP_STATUS_CSUMNOTREADY)
                *csum = AFPACKET_CSUM_PARTIAL | AFPACKET_CSUM_TRUSTED;
            else if (aux.tp_status & TP_STATUS_CSUM_VALID)
                *csum = AFPACKET_CSUM_TRUSTED;
        }
        return r;
    }
}

int afpacket_tx_init(struct afpacket_tx *q, int fd, uint32_t frame_max)
{
    memset(q, 0, sizeof *q);
    q->fd = fd;
    if (!frame_max || frame_max > 65535) return -EINVAL;
    q->frame_max = frame_max;
    q->buf = malloc((size_t)AFPACKET_TX_BATCH * frame_max);
    return q->buf ? 0 : -ENOMEM;
}

void afpacket_tx_destroy(struct afpacket_tx *q)
{
    free(q->buf);
    q->buf = NULL;
    q->n = 0;
}

void afpacket_tx_flush(struct afpacket_tx *q)
{
    struct mmsghdr msg[AFPACKET_TX_BATCH];
    struct iovec iov[AFPACKET_TX_BATCH];
    uint32_t done = 0;
    for (uint32_t i = 0; i < q->n; i++) {
        iov[i] =
            (struct iovec){.iov_base = q->buf + (size_t)i * q->frame_max, .iov_len = q->len[i]};
        msg[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
    }
    while (done < q->n) {
        int r = sendmmsg(q->fd, msg + done, q->n - done, 0);
        q->calls++;
        if (r < 0) {
            if (errno == EINTR) continue;
            /* EAGAIN (the device's queue is full) or a real error: the first frame is lost,
             * as a plain send would lose it; the rest are tried again */
            q->drops++;
            done++;
            continue;
        }
        q->frames += (uint64_t)r;
        done += (uint32_t)r;
    }
    q->n = 0;
}

void afpacket_tx_frame(void *arg, const void *frame, size_t len)
{
    struct afpacket_tx *q = arg;
    if (len > q->frame_max || !q->buf) {
        q->drops++;
        return;
    }
    if (q->n == AFPACKET_TX_BATCH) afpacket_tx_flush(q);
    memcpy(q->buf + (size_t)q->n * q->frame_max, frame, len);
    q->len[q->n++] = len;
}
