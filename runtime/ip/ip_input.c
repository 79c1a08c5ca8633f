/*
 * ip_input.c — a datagram arrives (tcpfsm_input): the IP header check, then TCP (tcp/) or
 * the protocols beside it (ICMP, protocol unreachable: icmp.c).
 */
#include <errno.h>
#include "icmp.h"
#include "tcp_layer.h"

/* A datagram of another protocol than TCP, its IP header valid: for our address from a
 * source a host may answer (the checks TCP's segments pass in tcpfsm_input), then ICMP, or
 * protocol unreachable. Not TCP segments: InSegs and InErrs do not count them. */
static int ip_other_input(struct tcpfsm_stack *st, const uint8_t *ip, const struct ip_hdr *h)
{
    /* not ours: a broadcast too, which RFC 1122 3.2.2 never answers with an error */
    if (h->daddr != st->cfg.addr) return -EINVAL;
    if (ip_martian_source(h->saddr, st->cfg.addr, st->cfg.prefix_len)) {
        st->stats.InMartians++; /* RFC 1122 3.2.1.3, as for TCP below */
        return -EINVAL;
    }
    if (h->proto == IPPROTO_ICMP_NUM) return icmp_input(st, ip, h);
    return icmp_unknown_protocol(st, ip, h);
}

int tcpfsm_input_ex(struct tcpfsm_stack *st, const void *packet, size_t len, unsigned flags)
{
    if (!st || (!packet && len) || (flags & ~(TCPFSM_IN_CSUM_VALID | TCPFSM_IN_MORE)))
        return -EINVAL;
    struct ip_hdr ih;
    /* RFC 791 3.1: an IPv4 datagram is at most 65535 octets; a longer buffer is not one
     * (shorter link padding after the total length is ignored by ip_parse). */
    enum pkt_status ps = len > 65535u ? PKT_ERR_IP_LEN : ip_parse(packet, len, &ih);
    /* The IP layer's dispatch: TCP below, ICMP and the protocols we do not speak in ip/. */
    int r = ps == PKT_OK && ih.proto != IPPROTO_TCP_NUM ? ip_other_input(st, packet, &ih)
                                                        : tcp_input(st, packet, &ih, ps, flags);
    /* a train ends with the call without TCPFSM_IN_MORE, whatever became of that datagram */
    if (!(flags & TCPFSM_IN_MORE) && st->train) tcp_train_end(st); /* most have none open */
    return r;
}

int tcpfsm_input(struct tcpfsm_stack *st, const void *packet, size_t len)
{
    return tcpfsm_input_ex(st, packet, len, 0);
}
