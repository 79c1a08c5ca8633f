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

#endif /* TCPFSM_TUN_H */
