/*
 * tap.h — the Ethernet devices a tcpfsm_eth can sit on: a Linux TAP device (IFF_TAP, the
 * kernel's side is an Ethernet interface of its own) and an AF_PACKET socket bound to an
 * existing interface (one end of a veth, a bridge port, a NIC).
 */
#ifndef TCPFSM_LINK_TAP_H
#define TCPFSM_LINK_TAP_H

#include <stddef.h>
#include <stdint.h>

/* Open /dev/net/tun with IFF_TAP|IFF_NO_PI (attached if NAME exists, created otherwise): each
 * read/write is one Ethernet frame. Non-blocking fd, or -errno with a message in errbuf. */
int tap_open(const char *name, char *errbuf, size_t errlen);

/* A raw AF_PACKET socket (SOCK_RAW, ETH_P_ALL) bound to interface IFNAME, non-blocking, that
 * does not see the frames it sends (PACKET_IGNORE_OUTGOING, else afpacket_recv skips them).
 * When `mac` is not the interface's own address the interface is put in promiscuous mode
 * for as long as the socket is open (PACKET_MR_PROMISC), so frames for `mac` arrive. */
int afpacket_open(const char *ifname, const uint8_t mac[6], char *errbuf, size_t errlen);
/* One received frame (not one we sent): its length, 0 for none now, or -errno. A frame the
 * kernel sent itself with its TCP/UDP checksum left to the hardware (TP_STATUS_CSUMNOTREADY:
 * the pseudo-header sum only) gets it completed here. */
long afpacket_recv(int fd, void *buf, size_t len);
/* The same, but the checksum is left as the kernel gave it and *csum says what the kernel
 * vouched for: AFPACKET_CSUM_TRUSTED (its own frame, or one it verified:
 * TP_STATUS_CSUM_VALID), with AFPACKET_CSUM_PARTIAL when the field is only the pseudo-header
 * sum. A trusted frame can go to tcpfsm_eth_input_ex with TCPFSM_IN_CSUM_VALID: neither
 * completed nor verified. */
#define AFPACKET_CSUM_TRUSTED 0x1u
#define AFPACKET_CSUM_PARTIAL 0x2u
long afpacket_recv2(int fd, void *buf, size_t len, unsigned *csum);
/* Frames to send on an AF_PACKET socket, queued and sent with one sendmmsg(2) per batch
 * instead of one send per frame. afpacket_tx_frame has the signature of
 * tcpfsm_eth_config.output (arg = the queue); call afpacket_tx_flush after every batch
 * (before sleeping). A frame longer than frame_max is dropped and counted; a frame the kernel
 * does not take (its queue full) is counted in drops, as a send that failed would be. */
#define AFPACKET_TX_BATCH 64u
struct afpacket_tx {
    int fd;
    uint32_t frame_max, n; /* bytes per slot; frames queued */
    uint8_t *buf;          /* AFPACKET_TX_BATCH slots of frame_max bytes */
    size_t len[AFPACKET_TX_BATCH];
    uint64_t frames, drops, calls; /* sent, dropped, sendmmsg calls */
};
/* 0, -EINVAL (frame_max 0 or above 65535), -ENOMEM. */
int afpacket_tx_init(struct afpacket_tx *q, int fd, uint32_t frame_max);
void afpacket_tx_destroy(struct afpacket_tx *q); /* drops what is queued */
void afpacket_tx_frame(void *q, const void *frame, size_t len);
void afpacket_tx_flush(struct afpacket_tx *q);
/* The hardware address of interface IFNAME (SIOCGIFHWADDR): 0 or -errno. */
int link_if_mac(const char *ifname, uint8_t mac[6]);

#endif /* TCPFSM_LINK_TAP_H */
