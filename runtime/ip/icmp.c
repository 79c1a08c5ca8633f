/*
 * icmp.c — ICMP (RFC 792, RFC 1122 3.2.2): the echo server, protocol unreachable, and ICMP
 * errors given to the TCP connection whose segment they quote, once RFC 5927's checks pass.
 * What an error does to the connection's state is spec/tcp.fsm's choice (RCV_ICMP_UNREACH);
 * here it is classified, and its data-path effects (the soft error kept for the timeout,
 * the MSS a smaller path MTU allows) are applied.
 */
#include "icmp.h"

#include <errno.h>

#include "seq.h"
#include "tcp_layer.h"
#include "tcp.h"

/* ---------------------------------------------------------------- output ---- */

/* Take a token from the ICMP output bucket (ICMP_RATE_PER_SEC, burst ICMP_RATE_BURST). */
static bool icmp_rate_ok(struct tcpfsm_stack *st)
{
    if (!st->icmp_bucket_set) {
        st->icmp_tokens = ICMP_RATE_BURST;
        st->icmp_refill_at = st->now;
        st->icmp_bucket_set = true;
    }
    uint64_t add = (st->now - st->icmp_refill_at) * ICMP_RATE_PER_SEC / 1000000u;
    if (add) {
        if (st->icmp_tokens + add >= ICMP_RATE_BURST) {
            st->icmp_tokens = ICMP_RATE_BURST;
            st->icmp_refill_at = st->now;
        } else { /* keep the fraction of a token already earned */
            st->icmp_tokens += (uint32_t)add;
            st->icmp_refill_at += add * 1000000u / ICMP_RATE_PER_SEC;
        }
    }
    if (!st->icmp_tokens) {
        st->stats.IcmpOutRateLimited++;
        return false;
    }
    st->icmp_tokens--;
    return true;
}

static bool icmp_send(struct tcpfsm_stack *st, uint32_t daddr, uint8_t type, uint8_t code,
                      uint32_t rest, const void *body, size_t blen)
{
    if (!icmp_rate_ok(st)) return false;
    size_t n = icmp_build(st->out, sizeof st->out, st->cfg.addr, daddr, type, code, rest, body,
                          blen, st->ip_id++);
    if (!n) return false;
    st->stats.IcmpOutMsgs++;
    st->cfg.output(st->cfg.output_arg, st->out, n);
    return true;
}

int icmp_unknown_protocol(struct tcpfsm_stack *st, const uint8_t *ip, const struct ip_hdr *h)
{
    st->stats.IpInUnknownProtos++;
    /* RFC 1122 3.2.2.1: "A host SHOULD generate Destination Unreachable messages with code: 2
     * (Protocol Unreachable), when the designated transport protocol is not supported". RFC
     * 1122 3.2.2 forbids an error about an ICMP error, a broadcast or multicast destination,
     * a non-initial fragment or a source that is no single host: tcpfsm_input passes only
     * datagrams to our own unicast address from a unicast source (ip_martian_source), whole
     * (ip_parse drops fragments), and ICMP never comes here. */
    size_t q = h->tot_len < ICMP_QUOTE_MAX ? h->tot_len : ICMP_QUOTE_MAX;
    if (icmp_send(st, h->saddr, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0, ip, q))
        st->stats.IcmpOutDestUnreachs++;
    return -EPROTONOSUPPORT;
}

/* ----------------------------------------------------------------- errors ---- */

/* What an ICMP error means to a TCP user, as Linux reports it (icmp_err_convert, tcp_v4_err):
 * the errno, and whether RFC 1122 4.2.3.9 calls it hard ("Destination Unreachable -- codes
 * 2-4 are 'hard error' conditions"; code 4 is path MTU discovery's since RFC 1191). */
static const uint8_t unreach_errno[ICMP_UNREACH_CODES] = {
    [ICMP_NET_UNREACH] = ENETUNREACH,
    [ICMP_HOST_UNREACH] = EHOSTUNREACH,
    [ICMP_PROT_UNREACH] = ENOPROTOOPT,
    [ICMP_PORT_UNREACH] = ECONNREFUSED,
    [ICMP_FRAG_NEEDED] = EMSGSIZE,
    [5] = EOPNOTSUPP,    /* source route failed */
    [6] = ENETUNREACH,   /* destination network unknown */
    [7] = EHOSTDOWN,     /* destination host unknown */
    [8] = ENONET,        /* source host isolated */
    [9] = ENETUNREACH,   /* network administratively prohibited */
    [10] = EHOSTUNREACH, /* host administratively prohibited */
    [11] = ENETUNREACH,  /* network unreachable for TOS */
    [12] = EHOSTUNREACH, /* host unreachable for TOS */
    [13] = EHOSTUNREACH, /* communication administratively prohibited (RFC 1812) */
    [14] = EHOSTUNREACH, /* host precedence violation */
    [15] = EHOSTUNREACH, /* precedence cutoff in effect */
};

/* RFC 1191 3 / RFC 8201: "fragmentation needed" for a segment of this connection: its MSS
 * comes down to the next-hop MTU less the fixed IP and TCP headers (the segment's options come
 * off that in tcp_payload_room), never below ICMP_PMTU_MIN's, never up ("MUST NOT increase
 * its estimate of the Path MTU in response to the contents of a Datagram Too Big message").
 * What was in flight is sent again in segments of the new size, at once and without
 * touching the congestion window (Linux's tcp_simple_retransmit): those segments were
 * dropped by the router, not by congestion. */
static void pmtu_reduce(struct tcpfsm_stack *st, struct tcb *t, uint32_t next_hop_mtu)
{
    uint32_t mtu = next_hop_mtu < ICMP_PMTU_MIN ? ICMP_PMTU_MIN : next_hop_mtu;
    uint32_t mss = mtu - IPV4_HDR_LEN - TCP_HDR_LEN;
    if (!t->u.cc.mss || mss >= t->u.cc.mss) return;
    t->u.cc.mss = (uint16_t)mss;
    st->stats.IcmpPmtuUpdates++;
    if (!t->buf || !t->buf->snd.len || t->snd_una == t->snd_max) return; /* no text in flight */
    t->snd_nxt = t->snd_una;
    t->buf->high_rxt = t->snd_una;
    t->flags &= (uint16_t)~TF_RTT_TIMING; /* Karn: no sample from what is sent again */
    t->flags |= TF_RETRANSMIT;
    tcp_output(st, t);
}

/* An error (destination unreachable, time exceeded, parameter problem) quoting a datagram
 * we sent. */
static int icmp_error_input(struct tcpfsm_stack *st, const struct icmp_msg *m)
{
    struct tcp_quote q;
    if (icmp_quote_tcp(m, &q) != 0) {
        /* RFC 1122 3.2.2: the quote must hold the IP header and 8 octets; another
         * protocol's quote (our own echo reply's, say) is no TCP connection's business */
        bool tcp = m->len >= IPV4_HDR_LEN && m->body[9] == IPPROTO_TCP_NUM;
        if (tcp) st->stats.IcmpInErrors++;
        return tcp ? -EINVAL : -ENOENT;
    }
    /* RFC 5927 4.1 / 5.1: the quoted segment must be one of a connection of ours: its
     * 4-tuple (sent from our address) names one ... */
    struct tcb *t =
        q.saddr == st->cfg.addr ? tcb_lookup(st, q.saddr, q.sport, q.daddr, q.dport) : NULL;
    if (!t) {
        st->stats.IcmpInErrors++;
        return -ENOENT;
    }
    /* ... and its sequence number lies in what is sent and unacknowledged, SND.UNA ..
     * SND.NXT (RFC 5927 4.1: a blind attacker must guess it; Linux's tcp_v4_err). SND.MAX,
     * the highest sent: a timeout may have pulled SND.NXT back. */
    if (!seq_geq(q.seq, t->snd_una) || !seq_leq(q.seq, t->snd_max)) {
        st->stats.OutOfWindowIcmps++;
        return -EINVAL;
    }
    if (m->type == ICMP_DEST_UNREACH && m->code == ICMP_FRAG_NEEDED) {
        pmtu_reduce(st, t, m->rest & 0xffffu);
        return 0;
    }
    int err = m->type == ICMP_PARAM_PROB      ? EPROTO
              : m->type == ICMP_TIME_EXCEEDED ? EHOSTUNREACH
              : m->code < ICMP_UNREACH_CODES  ? unreach_errno[m->code]
                                              : EHOSTUNREACH;
    /* RFC 1122 4.2.3.9: soft errors "MUST" be reported to the application, which "SHOULD
     * NOT abort the connection"; kept as Linux keeps sk_err_soft: a connection that then times
     * out reports it instead of ETIMEDOUT (tcp_write_err), an ACK of new data forgets it
     * (tcp_ack_input). */
    /* RFC 1122 4.2.3.9: protocol and port unreachable are hard errors. Whether one ends the
     * connection is the spec's to say (RCV_ICMP_UNREACH): an opening one, yes; a synchronized
     * one treats it as soft (RFC 5927 5.2). */
    bool hard = m->type == ICMP_DEST_UNREACH &&
                (m->code == ICMP_PROT_UNREACH || m->code == ICMP_PORT_UNREACH);
    if (hard) {
        struct tcp_seg seg = {
            .saddr = q.daddr, .daddr = q.saddr, .sport = q.dport, .dport = q.sport, .seq = q.seq};
        tcb_event(st, t, TCP_FSM_EV_RCV_ICMP_UNREACH, &seg);
        if (t->flags & TF_DEAD) { /* it ended the connection: nothing to keep */
            tcb_reap(st, t);
            return 0;
        }
    }
    if (t->buf) { /* the connection goes on: kept as its soft error */
        t->buf->soft_err = (uint8_t)err;
        st->stats.IcmpSoftErrors++;
    }
    return 0;
}

/* ------------------------------------------------------------------ input ---- */

int icmp_input(struct tcpfsm_stack *st, const uint8_t *ip, const struct ip_hdr *h)
{
    struct icmp_msg m;
    st->stats.IcmpInMsgs++;
    enum pkt_status ps = icmp_parse(ip + h->hdr_len, (size_t)h->tot_len - h->hdr_len, &m);
    if (ps != PKT_OK) {
        st->stats.IcmpInErrors++;
        if (ps == PKT_ERR_ICMP_CSUM) {
            st->stats.IcmpInCsumErrors++;
            return -EBADMSG;
        }
        return -EINVAL;
    }
    switch (m.type) {
    case ICMP_ECHO:
        st->stats.IcmpInEchos++;
        /* RFC 1122 3.2.2.6: "Every host MUST implement an ICMP Echo server function that
         * receives Echo Requests and sends corresponding Echo Replies"; the reply's source is
         * the request's destination (our address: tcpfsm_input took no other), its
         * identifier, sequence number and data are the request's, "entirely". */
        if (icmp_send(st, h->saddr, ICMP_ECHO_REPLY, 0, m.rest, m.body, m.len))
            st->stats.IcmpOutEchoReps++;
        return 0;
    case ICMP_DEST_UNREACH:
        st->stats.IcmpInDestUnreachs++;
        return icmp_error_input(st, &m);
    case ICMP_TIME_EXCEEDED:
        st->stats.IcmpInTimeExcds++;
        return icmp_error_input(st, &m);
    case ICMP_PARAM_PROB:
        return icmp_error_input(st, &m);
    default:
        /* RFC 1122 3.2.2: "If an ICMP message of unknown type is received, it MUST be
         * silently discarded"; RFC 6633 2: source quench, too. Echo replies: we ask nothing. */
        return 0;
    }
}
