/*
 * pcap.h — write classic pcap capture files (magic a1b2c3d4, version 2.4, microsecond
 * timestamps, LINKTYPE_RAW: each record is a bare IPv4 datagram, or LINKTYPE_ETHERNET),
 * openable in Wireshark.
 */
#ifndef TCPFSM_PCAP_H
#define TCPFSM_PCAP_H

#include <stddef.h>
#include <stdint.h>

#define PCAP_LINKTYPE_RAW 101
#define PCAP_LINKTYPE_ETHERNET 1 /* each record is an Ethernet II frame (no FCS) */
#define PCAP_SNAPLEN 65535

struct pcap_writer;
/* LINKTYPE_RAW (101), snaplen 65535, usec. NULL with *err = -errno on failure. */
struct pcap_writer *pcap_open(const char *path, int *err);
/* The same with another link type (PCAP_LINKTYPE_ETHERNET for TAP, AF_PACKET and Ethernet
 * memlinks). */
struct pcap_writer *pcap_open_linktype(const char *path, uint32_t linktype, int *err);
/* One record; packets longer than the snaplen are truncated (orig_len keeps the length).
 * 0 or -errno. */
int pcap_write(struct pcap_writer *w, uint64_t ts_us, const void *pkt, size_t len);
int pcap_close(struct pcap_writer *w); /* flushes; 0 or -errno */

#endif /* TCPFSM_PCAP_H */
