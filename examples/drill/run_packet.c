/*
 * run_packet.c — '<' and '>' lines: the sockets the packets of a script talk about, the
 * mapping between the script's numbers and the live ones, injecting inbound packets and
 * matching outbound ones field by field.
 *
 * Numbers as packetdrill (and tcpdump) read them: in a segment with SYN set, seq and ack are
 * absolute; otherwise both are relative to the ISNs, so our ISN and the script's each count
 * as 0 whatever the stack picked. The remote ISN is the script's own (the seq of the peer's
 * SYN or SYN-ACK is injected as written); the local one is learned from our SYN or SYN-ACK.
 * A script's TS val in an outbound packet is remembered against the live value, so that a
 * later inbound ecr naming it is replaced by what the stack really sent.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "drill.h"

#define SNIFF_SLACK_US 2000000 /* packetdrill waits 2 s past a packet's time for it */

struct sock *sock_new(struct drill *d)
{
    struct sock *k = calloc(1, sizeof *k);
    if (!k) {
        drill_fail(d, d->ev ? d->ev->line : 0, "runtime error", "out of memory");
        return NULL;
    }
    k->script_fd = -1;
    k->fd = -1;
    k->keepidle_s = 7200; /* Linux's tcp_keepalive_time */
    k->next = d->socks;
    d->socks = k;
    return k;
}

struct sock *sock_by_script_fd(struct drill *d, int script_fd)
{
    for (struct sock *k = d->socks; k; k = k->next)
        if (k->script_fd == script_fd && script_fd >= 0) return k;
    return NULL;
}

/* -------------------------------------------------------------- the queue ---- */

void outq_push(struct drill *d, const void *pkt, size_t len)
{
    if (d->qhead + d->qlen == d->qcap) {
        if (d->qhead) {
            memmove(d->q, d->q + d->qhead, d->qlen * sizeof *d->q);
            d->qhead = 0;
        } else {
            size_t cap = d->qcap ? d->qcap * 2 : 64;
            struct out_pkt *q = realloc(d->q, cap * sizeof *q);
            if (!q) return; /* lost like on a wire; the script will say what it missed */
            d->q = q;
            d->qcap = cap;
        }
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return;
    memcpy(copy, pkt, len);
    d->q[d->qhead + d->qlen++] = (struct out_pkt){copy, len, d->now};
}

static void outq_pop(struct drill *d)
{
    free(d->q[d->qhead].data);
    d->qhead++;
    if (!--d->qlen) d->qhead = 0;
}

void outq_free(struct drill *d)
{
    while (d->qlen)
        outq_pop(d);
    free(d->q);
    d->q = NULL;
    d->qcap = 0;
}

/* --------------------------------------------------------- sequence numbers ---- */

static uint32_t remote_offset(const struct sock *k, bool syn)
{
    return syn ? 0 : k->remote_isn;
}

static uint32_t local_offset(const struct sock *k, bool syn)
{
    return syn ? k->live_local_isn - k->script_local_isn : k->live_local_isn;
}

/* Add `off` to every SACK block edge in the options. */
static void sack_shift(uint8_t *o, size_t n, uint32_t off)
{
    uint8_t kind, len;
    for (int at = 0; (at = wire_opt_next(o, n, at, &kind, &len)) >= 0; at += len) {
        if (kind != 5) continue;
        for (int i = 2; i + 8 <= len; i += 8) {
            put32(o + at + i, get32(o + at + i) + off);
            put32(o + at + i + 4, get32(o + at + i + 4) + off);
        }
    }
}

/* The offset of the timestamp option's val (ecr follows) in the options, or -1. */
static int ts_at(const uint8_t *o, size_t n)
{
    uint8_t kind, len;
    for (int at = 0; (at = wire_opt_next(o, n, at, &kind, &len)) >= 0; at += len)
        if (kind == 8 && len == 10) return at + 2;
    return -1;
}

static void ts_remember(struct sock *k, uint32_t script_val, uint32_t live_val)
{
    unsigned i = k->ts_next++ % DRILL_TS_MAP;
    k->ts_script[i] = script_val;
    k->ts_live[i] = live_val;
    if (k->nts < DRILL_TS_MAP) k->nts++;
}

static bool ts_lookup(const struct sock *k, uint32_t script_val, uint32_t *live_val)
{
    for (unsigned j = 0; j < k->nts; j++) {
        unsigned i = (k->ts_next - 1 - j) % DRILL_TS_MAP; /* the newest first */
        if (k->ts_script[i] == script_val) {
            *live_val = k->ts_live[i];
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ sockets ---- */

/* packetdrill's find_or_create_socket_for_script_packet: one socket under test at a time. */
static struct sock *socket_for(struct drill *d, const struct pkt_spec *p)
{
    struct sock *k = d->sut;
    if (!p->outbound && (!k || k->state == S_PASSIVE_LISTENING)) {
        /* a packet for a listener: the connection it starts is the socket under test now */
        struct sock *c = sock_new(d);
        if (!c) return NULL;
        c->state = S_PASSIVE_PACKET_RECEIVED;
        c->remote_isn = p->seq;
        c->raddr = d->cfg->remote_ip;
        c->rport = d->next_eph++;
        c->laddr = d->cfg->local_ip;
        c->lport = d->cfg->bind_port;
        return d->sut = c;
    }
    if (p->outbound && (p->flags & DF_SYN) && !(p->flags & DF_ACK) && k &&
        k->state == S_ACTIVE_CONNECTING) {
        k->state = S_ACTIVE_SYN_SENT;
        k->script_local_isn = p->seq;
    }
    return k;
}

/* ---------------------------------------------------------------- printing ---- */

static void dump(struct sb *b, const char *what, int64_t t, const char *seg)
{
    sb_printf(b, "\n%s packet: %9.6f %s", what, (double)t / 1e6, seg);
}

static void script_str(struct sb *b, const struct pkt_spec *p)
{
    wire_seg_str(b, p->flags, p->seq, p->len, p->ack, p->win, p->opts, p->optlen, p->opts_any);
}

/* ------------------------------------------------------------------ inbound ---- */

static int inbound(struct drill *d, const struct event *ev, struct sock *k)
{
    const struct pkt_spec *p = ev->pkt;
    bool syn = p->flags & DF_SYN;
    if (k->state == S_PASSIVE_SYNACK_SENT && (p->flags & DF_ACK)) {
        k->state = S_PASSIVE_SYNACK_ACKED;
    } else if (k->state == S_ACTIVE_SYN_SENT && syn && (p->flags & DF_ACK)) {
        k->state = S_ACTIVE_SYN_ACKED;
        k->remote_isn = p->seq;
    }
    struct wire_pkt w = {
        .ttl = 64,
        .id = d->ip_id++,
        .saddr = k->raddr ? k->raddr : d->cfg->remote_ip,
        .daddr = k->laddr ? k->laddr : d->cfg->local_ip,
        .sport = p->has_ports ? p->sport : k->rport,
        .dport = p->has_ports ? p->dport : k->lport,
        .seq = p->seq + remote_offset(k, syn),
        .ack = p->ack,
        .flags = p->flags,
        .win = (uint16_t)p->win,
        .urg = p->urg,
        .optlen = p->optlen,
        .len = p->len,
    };
    memcpy(w.opts, p->opts, p->optlen);
    uint32_t ack_off = local_offset(k, syn);
    if (p->flags & DF_ACK) w.ack += ack_off;
    sack_shift(w.opts, w.optlen, ack_off);
    int ts = ts_at(w.opts, w.optlen);
    if ((p->flags & DF_ACK) && ts >= 0) {
        uint32_t ecr = get32(w.opts + ts + 4), live;
        if (ts_lookup(k, ecr, &live)) {
            put32(w.opts + ts + 4, live); /* an exact outbound TS val */
        } else if (d->cfg->ts_ecr_scaled && k->ts_first_found) {
            put32(w.opts + ts + 4, ecr - k->ts_first_script + k->ts_first_live);
        } else {
            return drill_fail(d, ev->line, "error handling packet",
                              "unable to infer live TS ecr for script TS ecr %u;  no matching "
                              "or preceding outbound TS val",
                              ecr);
        }
    }
    uint8_t buf[65536];
    size_t n = wire_build(buf, sizeof buf, &w);
    if (!n) return drill_fail(d, ev->line, "error handling packet", "TCP segment too large");
    if (d->cfg->verbose) {
        struct sb s = {0};
        script_str(&s, p);
        drill_log(d, "inbound injected packet: %9.6f %s", (double)d->now / 1e6, sb_str(&s));
        sb_free(&s);
    }
    int r = tcpfsm_input(d->st, buf, n);
    if (r && d->cfg->verbose)
        drill_log(d, "    (tcpfsm_input: %s: %s)", errno_name(-r) ? errno_name(-r) : "?",
                  r == -ENOENT    ? "no socket"
                  : r == -EBADMSG ? "bad checksum"
                                  : "dropped");
    pending_retry(d);
    return 0;
}

/* ----------------------------------------------------------------- outbound ---- */

static bool mine(const struct sock *k, const struct wire_pkt *w)
{
    return w->saddr == k->laddr && w->sport == k->lport && w->daddr == k->raddr &&
           w->dport == k->rport;
}

/* The next datagram the stack sent for socket k (others are dropped, as packetdrill's
 * sniffer drops what is not for the socket under test); the clock moves on from timer to
 * timer until one comes or `deadline` passes. Returns 0 with *w parsed and *t its time,
 * 1 if none came, -1 on a failure already reported. */
static int sniff(struct drill *d, const struct event *ev, struct sock *k, int64_t deadline,
                 struct wire_pkt *w, uint8_t *buf, int64_t *t)
{
    for (;;) {
        while (d->qlen) {
            struct out_pkt *o = &d->q[d->qhead];
            struct sb err = {0};
            size_t len = o->len < 65536 ? o->len : 65536;
            memcpy(buf, o->data, len);
            *t = o->t_us;
            outq_pop(d);
            if (wire_parse(buf, len, w, &err)) {
                drill_fail(d, ev->line, "error handling packet",
                           "the stack sent a malformed datagram: %s", sb_str(&err));
                sb_free(&err);
                return -1;
            }
            if (mine(k, w)) return 0;
            if (k->state == S_ACTIVE_SYN_SENT && (w->flags & (DF_SYN | DF_ACK)) == DF_SYN &&
                w->daddr == k->raddr && w->dport == k->rport) {
                /* the SYN of the socket connect() was called on: its live side is learned */
                k->laddr = w->saddr;
                k->lport = w->sport;
                k->live_local_isn = w->seq;
                return 0;
            }
            drill_log(d, "    (%.6f: not for the socket under test: %u -> %u)", (double)*t / 1e6,
                      w->sport, w->dport);
        }
        int64_t due = drill_next_due(d);
        if (due > deadline || due == INT64_MAX || d->err_kind) return d->err_kind ? -1 : 1;
        drill_advance_to(d, due);
    }
}

static int check_field(struct sb *e, const char *name, uint32_t want, uint32_t got)
{
    if (want == got) return 0;
    sb_printf(e, "live packet field %s: expected: %u (0x%x) vs actual: %u (0x%x)", name, want, want,
              got, got);
    return -1;
}

/* packetdrill's verify_outbound_live_tcp_options, with the echo checked too: inbound TS vals
 * are injected as written, so the ecr the stack returns must be exactly the script's. */
static int check_options(struct drill *d, const struct event *ev, const struct pkt_spec *p,
                         const struct wire_pkt *a, struct sb *e)
{
    int so = 0, ao = 0;
    uint8_t sk, sl, ak, al;
    for (;;) {
        int s_at = wire_opt_next(p->opts, p->optlen, so, &sk, &sl);
        int a_at = wire_opt_next(a->opts, a->optlen, ao, &ak, &al);
        if (s_at == -1 && a_at == -1) return 0;
        if (a_at == -2) {
            sb_printf(e, "bad outbound TCP options: malformed option at byte %d", ao);
            return -1;
        }
        if (s_at < 0 || a_at < 0 || sk != ak) {
            sb_printf(e, "bad outbound TCP options");
            return -1;
        }
        const uint8_t *sd = p->opts + s_at + 2, *ad = a->opts + a_at + 2;
        if (sk == 8 && al == 10) {
            uint32_t sval = get32(sd), aval = get32(ad);
            long tol = drill_tolerance(d, ev->t_us, 0);
            int64_t dv = (int32_t)(aval - sval);
            if (dv < 0) dv = -dv;
            if (d->cfg->ts_tick_usecs && dv * d->cfg->ts_tick_usecs > tol) {
                sb_printf(e,
                          "bad outbound TCP timestamp value: expected: val %u actual: val %u "
                          "(tolerance %ld us, %d us a tick)",
                          sval, aval, tol, d->cfg->ts_tick_usecs);
                return -1;
            }
            if (get32(sd + 4) != get32(ad + 4)) {
                sb_printf(e,
                          "bad outbound TCP timestamp echo reply: expected: ecr %u actual: "
                          "ecr %u",
                          get32(sd + 4), get32(ad + 4));
                return -1;
            }
        } else if (sk > 1 && (sl != al || memcmp(sd, ad, (size_t)sl - 2) != 0)) {
            struct sb so_s = {0}, ao_s = {0};
            wire_opts_str(&so_s, p->opts + s_at, sl);
            wire_opts_str(&ao_s, a->opts + a_at, al);
            sb_printf(e, "%s in outbound TCP option (kind=%u): expected: %s actual: %s",
                      sl != al ? "bad length" : "bad value", sk, sb_str(&so_s), sb_str(&ao_s));
            sb_free(&so_s);
            sb_free(&ao_s);
            return -1;
        }
        so = s_at + sl;
        ao = a_at + al;
    }
}

/* The checks of packetdrill's verify_outbound_live_packet, in its order. */
static int verify(struct drill *d, const struct event *ev, const struct pkt_spec *p,
                  const struct wire_pkt *a, const struct wire_pkt *live, int64_t t, struct sb *e)
{
    if (!live->ip_csum_ok) return sb_printf(e, "bad outbound IP checksum"), -1;
    if (!live->tcp_csum_ok) return sb_printf(e, "bad outbound TCP checksum"), -1;
    if (p->len != a->len) {
        sb_printf(e, "live packet payload: expected %u bytes vs actual %u bytes", p->len, a->len);
        return -1;
    }
    unsigned optlen = p->opts_any ? a->optlen : p->optlen;
    if (check_field(e, "ipv4_version", 4, a->version) ||
        check_field(e, "ipv4_protocol", 6, a->proto) ||
        check_field(e, "ipv4_header_length", 5, a->ihl) ||
        check_field(e, "ipv4_total_length", 40 + optlen + p->len, a->tot_len) ||
        check_field(e, "tcp_data_offset", 5 + optlen / 4, a->doff))
        return -1;
    static const struct {
        const char *name;
        uint8_t bit;
    } flags[] = {{"tcp_fin", DF_FIN}, {"tcp_syn", DF_SYN}, {"tcp_rst", DF_RST},
                 {"tcp_psh", DF_PSH}, {"tcp_ack", DF_ACK}, {"tcp_urg", DF_URG},
                 {"tcp_ece", DF_ECE}, {"tcp_cwr", DF_CWR}};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        if (check_field(e, flags[i].name, !!(p->flags & flags[i].bit), !!(a->flags & flags[i].bit)))
            return -1;
    if (check_field(e, "tcp_ae", 0, a->res & 1) ||
        check_field(e, "tcp_reserved_bits", 0, a->res >> 1) ||
        check_field(e, "tcp_seq", p->seq, a->seq) ||
        check_field(e, "tcp_ack_seq", p->ack, a->ack) ||
        (p->win >= 0 && check_field(e, "tcp_window", (uint32_t)p->win, a->win)) ||
        check_field(e, "tcp_urg_ptr", p->urg, a->urg))
        return -1;
    if (!p->opts_any && check_options(d, ev, p, a, e)) return -1;
    for (uint32_t i = 0; i < a->len; i++)
        if (a->payload[i]) return sb_printf(e, "incorrect outbound data payload"), -1;
    if (drill_verify_time(d, ev, ev->t_us, ev->t_end_us, t, d->last_ev ? d->last_t_us : -1,
                          "outbound packet")) {
        /* the message goes with the packets: take it back from the failure record */
        sb_printf(e, "timing error: %s", sb_str(&d->err));
        sb_clear(&d->err);
        d->err_kind = NULL;
        return -1;
    }
    return 0;
}

static int outbound(struct drill *d, const struct event *ev, struct sock *k)
{
    const struct pkt_spec *p = ev->pkt;
    bool synack = (p->flags & (DF_SYN | DF_ACK)) == (DF_SYN | DF_ACK);
    if (k->state == S_PASSIVE_PACKET_RECEIVED && synack) k->script_local_isn = p->seq;
    int64_t deadline = INT64_MAX;
    if (ev->tk != T_ANY) {
        int64_t end = ev->t_end_us > ev->t_us ? ev->t_end_us : ev->t_us;
        deadline = (end > d->now ? end : d->now) + SNIFF_SLACK_US;
    }
    uint8_t buf[65536];
    struct wire_pkt live;
    int64_t t = 0;
    int r = sniff(d, ev, k, deadline, &live, buf, &t);
    if (r < 0) return -1;
    struct sb e = {0}, s = {0};
    script_str(&s, p);
    if (r > 0) {
        sb_printf(&e, "Timed out waiting for packet: the stack sent nothing by %.6f sec",
                  deadline == INT64_MAX ? (double)d->now / 1e6 : (double)deadline / 1e6);
        dump(&e, "script", ev->t_us, sb_str(&s));
        drill_fail(d, ev->line, "error handling packet", "%s", sb_str(&e));
        sb_free(&e);
        sb_free(&s);
        return -1;
    }
    if (k->state == S_PASSIVE_PACKET_RECEIVED && synack) {
        k->state = S_PASSIVE_SYNACK_SENT;
        k->live_local_isn = live.seq;
    }
    /* the live packet in the script's numbers */
    struct wire_pkt a = live;
    bool syn = live.flags & DF_SYN;
    a.seq = live.seq - local_offset(k, syn);
    if (live.flags & DF_ACK) a.ack = live.ack - remote_offset(k, syn);
    sack_shift(a.opts, a.optlen, -remote_offset(k, syn));
    int sts = p->opts_any ? -1 : ts_at(p->opts, p->optlen), ats = ts_at(a.opts, a.optlen);
    if (sts >= 0 && ats >= 0) {
        uint32_t sval = get32(p->opts + sts), aval = get32(a.opts + ats);
        ts_remember(k, sval, aval);
        if (!k->ts_first_found) {
            k->ts_first_found = true;
            k->ts_first_script = sval;
            k->ts_first_live = aval;
        }
        put32(a.opts + ats, k->ts_first_script + (aval - k->ts_first_live));
    }
    struct sb as = {0};
    wire_seg_str(&as, a.flags, a.seq, a.len, a.ack, a.win, a.opts, a.optlen, false);
    drill_log(d, "outbound sniffed packet: %9.6f %s", (double)t / 1e6, sb_str(&as));
    if (verify(d, ev, p, &a, &live, t, &e)) {
        dump(&e, "script", ev->t_us, sb_str(&s));
        dump(&e, "actual", t, sb_str(&as));
        drill_fail(d, ev->line, "error handling packet", "%s", sb_str(&e));
        r = -1;
    }
    sb_free(&e);
    sb_free(&s);
    sb_free(&as);
    return r;
}

int outq_check_end(struct drill *d)
{
    if (!d->qlen || d->cfg->ignore_leftovers) return 0;
    struct sb e = {0};
    size_t n = d->qlen;
    sb_printf(&e,
              "%zu outbound packet%s sent that no line of the script expects (the script "
              "ends here; --ignore_leftovers lets them be, as packetdrill does)",
              n, n == 1 ? "" : "s");
    struct sock *k = d->sut;
    for (size_t i = 0; i < n && i < 8; i++) {
        const struct out_pkt *o = &d->q[d->qhead + i];
        struct wire_pkt w;
        struct sb err = {0}, ps = {0};
        if (wire_parse(o->data, o->len, &w, &err)) {
            dump(&e, "actual", o->t_us, sb_str(&err));
        } else if (k && mine(k, &w)) {
            bool syn = w.flags & DF_SYN;
            uint32_t ack = w.flags & DF_ACK ? w.ack - remote_offset(k, syn) : w.ack;
            sack_shift(w.opts, w.optlen, -remote_offset(k, syn));
            wire_seg_str(&ps, w.flags, w.seq - local_offset(k, syn), w.len, ack, w.win, w.opts,
                         w.optlen, false);
            dump(&e, "actual", o->t_us, sb_str(&ps));
        } else {
            sb_printf(&ps, "%u > %u (not the socket under test's, numbers as sent) ", w.sport,
                      w.dport);
            wire_seg_str(&ps, w.flags, w.seq, w.len, w.ack, w.win, w.opts, w.optlen, false);
            dump(&e, "actual", o->t_us, sb_str(&ps));
        }
        sb_free(&err);
        sb_free(&ps);
    }
    if (n > 8) sb_printf(&e, "\n(and %zu more)", n - 8);
    drill_fail(d, d->last_ev ? d->last_ev->line : 0, "error handling packet", "%s", sb_str(&e));
    sb_free(&e);
    return -1;
}

int packet_event(struct drill *d, const struct event *ev)
{
    struct sock *k = socket_for(d, ev->pkt);
    if (!k)
        return d->err_kind ? -1
                           : drill_fail(d, ev->line, "error handling packet",
                                        "no matching socket for script packet");
    if (ev->pkt->outbound) return outbound(d, ev, k);
    if (ev->t_us > d->now) drill_advance_to(d, ev->t_us);
    if (d->err_kind) return -1;
    if (drill_verify_time(d, ev, ev->t_us, ev->t_end_us, d->now, d->last_ev ? d->last_t_us : -1,
                          "inbound packet"))
        return -1;
    return inbound(d, ev, k);
}
