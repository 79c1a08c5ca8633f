/*
 * tun.h — Linux TUN device (layer 3: each read/write is one bare IPv4 datagram).
 */
#ifndef TCPFSM_TUN_H
#define TCPFSM_TUN_H

#include <stddef.h>

/* Open /dev/net/tun with IFF_TUN|IFF_NO_PI (attaches to NAME if it exists, creates it
 * otherwise). Non-blocking fd, or -errno with a message in errbuf (never hangs). */
int tun_open(const char *name, char *errbuf, size_t errlen);
/* The same; tap != 0 opens a TAP device (IFF_TAP|IFF_NO_PI: each read/write is one Ethernet
 * frame, see runtime/link/tap.h). */
int tun_open_mode(const char *name, int tap, char *errbuf, size_t errlen);
int tun_mtu(const char *name); /* current MTU via SIOCGIFMTU, or -errno */
/* Open n queues (1..TUN_MAX_QUEUES) of the multi-queue TUN device NAME (IFF_TUN|IFF_NO_PI|
 * IFF_MULTI_QUEUE; made if absent): fds[0..n-1], each non-blocking. The kernel spreads the
 * flows it sends over the queues, a flow to the queue that last wrote one of its packets.
 * 0, or -errno with a message in errbuf and no fd left open (-EINVAL: bad name or n, or NAME
 * exists without multi_queue). */
#define TUN_MAX_QUEUES 256 /* the kernel's MAX_TAP_QUEUES */
int tun_open_mq(const char *name, int n, int *fds, char *errbuf, size_t errlen);

/* Open the TUN device NAME with virtio-net headers (IFF_TUN|IFF_NO_PI|IFF_VNET_HDR): every
 * read and write starts with a 10-byte struct virtio_net_hdr (tcpfsm_vnet_*). fd or -errno. */
int tun_open_vnet(const char *name, char *errbuf, size_t errlen);
/* Ask the kernel for the offloads in `want` (TCPFSM_VNET_*), falling back: TSO4 with CSUM,
 * then CSUM alone, then none. *got = what it accepted (0 is a valid answer: plain packets
 * with a zero header). 0, or -errno of a failure that is not a refusal (a bad fd). */
int tun_set_offload(int fd, unsigned want, unsigned *got);

/* Open NAME for offloads: with virtio-net headers, asking for `want` (tun_set_offload). If the
 * kernel grants something, the fd carries headers and *got says what; if it grants nothing,
 * the fd is a plain one (tun_open) and *got is 0: fall back cleanly, with no header to pay
 * for. fd or -errno with a message in errbuf. */
int tun_open_offload(const char *name, unsigned want, unsigned *got, char *errbuf, size_t errlen);

#endif /* TCPFSM_TUN_H */
