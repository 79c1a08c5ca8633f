/*
 * scenario.c — the scripted-peer harness of the TCP core tests (see scenario.h).
 */
#include "scenario.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_test.h"
#include "tcp_layer.h"
#include "tcp.h"

struct sc_pkt {
    size_t len;
    uint8_t data[2048];
};

/* --------------------------------------------------------------- failures ---- */

static char sc_label_buf[512];

void sc_label(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sc_label_buf, sizeof sc_label_buf, fmt, ap);
    va_end(ap);
}

/* Every failure of the harness: the message, then the label if one is set. */
static _Noreturn __attribute__((format(printf, 1, 2))) void sc_abort(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (sc_label_buf[0]) ck_abort_msg("%s [%s]", msg, sc_label_buf);
    ck_abort_msg("%s", msg);
}

void sc_fail_at(const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sc_abort("%s:%d: %s", file, line, msg);
}

/* ------------------------------------------------------------------ stack ---- */

static uint64_t sc_random(void *arg)
{
    return rt_rand((uint64_t *)arg);
}

static void sc_output(void *arg, const void *packet, size_t len)
{
    struct sc *sc = arg;
    if (sc->qhead + sc->qlen == sc->qcap) {
        if (sc->qhead) {
            memmove(sc->q, sc->q + sc->qhead, sc->qlen * sizeof *sc->q);
            sc->qhead = 0;
        } else {
            size_t ncap = sc->qcap ? sc->qcap * 2 : 16;
            struct sc_pkt *nq = realloc(sc->q, ncap * sizeof *nq);
            if (!nq) sc_abort("scenario: out of memory");
            sc->q = nq;
            sc->qcap = ncap;
        }
    }
    struct sc_pkt *p = &sc->q[sc->qhead + sc->qlen++];
    if (len > sizeof p->data) sc_abort("scenario: packet of %zu bytes is too big", len);
    memcpy(p->data, packet, len);
    p->len = len;
}

struct sc *sc_new(const struct sc_opts *o)
{
    static const struct sc_opts defaults;
    if (!o) o = &defaults;
    struct sc *sc = calloc(1, sizeof *sc);
    if (!sc) sc_abort("scenario: out of memory");
    sc_label_buf[0] = '\0';
    sc->rng = o->seed ? o->seed : 1;
    sc->now = SC_T0;
    sc->fd = sc->lfd = -1;
    sc->irs = SC_PEER_ISN;
    struct tcpfsm_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.addr = SC_LOCAL_ADDR;
    cfg.output = sc_output;
    cfg.output_arg = sc;
    cfg.random = sc_random;
    cfg.random_arg = &sc->rng;
    cfg.now = sc->now;
    cfg.max_sockets = 16;
    cfg.rto_initial_us = cfg.rto_min_us = o->rto_us ? o->rto_us : 100000;
    cfg.rto_max_us = o->rto_max_us;
    cfg.msl_us = o->msl_us ? o->msl_us : 500000;
    cfg.max_retries = o->max_retries;
    cfg.syn_retries = o->syn_retries;
    cfg.delack_us = o->delack_us;
    cfg.sndbuf = o->sndbuf;
    cfg.rcvbuf = o->rcvbuf;
    cfg.challenge_ack_limit = o->challenge_ack_limit;
    cfg.flags =
        o->with_options ? o->flags : TCPFSM_F_NO_SACK | TCPFSM_F_NO_WSCALE | TCPFSM_F_NO_TIMESTAMPS;
    sc->opts_flags = cfg.flags;
    int err = 0;
    sc->st = tcpfsm_stack_new(&cfg, &err);
    if (!sc->st) sc_abort("scenario: tcpfsm_stack_new failed: %d", err);
    return sc;
}

static char sc_cov_path[512];

void sc_coverage_file(const char *path)
{
    snprintf(sc_cov_path, sizeof sc_cov_path, "%s", path ? path : "");
}

static void sc_coverage_append(struct sc *sc)
{
    if (!sc_cov_path[0]) return;
    uint64_t counts[TCP_FSM_NUM_TRANSITIONS];
    unsigned n = tcpfsm_coverage(sc->st, counts, TCP_FSM_NUM_TRANSITIONS);
    if (n > TCP_FSM_NUM_TRANSITIONS) n = TCP_FSM_NUM_TRANSITIONS;
    char line[TCP_FSM_NUM_TRANSITIONS * 21 + 2];
    size_t off = 0;
    for (unsigned i = 0; i < n; i++)
        off += (size_t)snprintf(line + off, sizeof line - off, "%s%llu", i ? " " : "",
                                (unsigned long long)counts[i]);
    line[off++] = '\n';
    int f = open(sc_cov_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (f < 0) sc_abort("scenario: cannot open %s", sc_cov_path);
    ssize_t w = write(f, line, off); /* one write: lines of forked tests never interleave */
    close(f);
    if (w != (ssize_t)off) sc_abort("scenario: short write to %s", sc_cov_path);
}

unsigned sc_coverage_read(const char *path, uint64_t *counts, unsigned n)
{
    memset(counts, 0, n * sizeof *counts);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    unsigned lines = 0;
    char *buf = NULL;
    size_t cap = 0;
    while (getline(&buf, &cap, f) > 0) {
        char *p = buf;
        for (unsigned i = 0; i < n; i++) {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);
            if (end == p) break;
            counts[i] += v;
            p = end;
        }
        lines++;
    }
    free(buf);
    fclose(f);
    return lines;
}

void sc_free(struct sc *sc)
{
    if (!sc) return;
    sc_coverage_append(sc);
    rt_coverage_save(sc->st);
    tcpfsm_stack_free(sc->st);
    free(sc->q);
    free(sc);
    sc_label_buf[0] = '\0';
}

/* ------------------------------------------------------------------- time ---- */

void sc_advance_to(struct sc *sc, tcpfsm_time_t abs_us)
{
    if (abs_us < sc->now) abs_us = sc->now;
    sc->now = abs_us;
    tcpfsm_advance(sc->st, abs_us);
}

void sc_advance(struct sc *sc, tcpfsm_time_t delta_us)
{
    sc_advance_to(sc, sc->now + delta_us);
}

static void deadline_of(const struct tcpfsm_stack *st, const struct tcb *t, uint64_t *min)
{
    if (!t) return;
    for (int i = 0; i < 3; i++) {
        if (!t->tmr_at[i]) continue;
        uint64_t at = st->epoch + (uint64_t)t->tmr_at[i] * 1000u; /* ms since the epoch */
        if (at < *min) *min = at;
    }
}

/* The earliest deadline of any TCB (connections, listeners, unconnected descriptors). */
static uint64_t sc_min_deadline(const struct sc *sc)
{
    const struct tcpfsm_stack *st = sc->st;
    uint64_t min = UINT64_MAX;
    for (uint32_t i = 0; i <= st->hash_mask; i++)
        deadline_of(st, st->hash[i], &min);
    for (uint32_t i = 0; i < st->nlisteners; i++)
        deadline_of(st, st->listeners[i], &min);
    for (uint32_t i = 0; i < st->fds_cap; i++)
        deadline_of(st, st->fds[i], &min);
    uint64_t tw = rectab_min_deadline(&st->tw);   /* compact TIME_WAIT records */
    uint64_t syn = rectab_min_deadline(&st->syn); /* compact SYN-queue records */
    if (syn < tw) tw = syn;
    return tw < min ? tw : min;
}

bool sc_timer_armed(const struct sc *sc)
{
    return sc_min_deadline(sc) != UINT64_MAX;
}

tcpfsm_time_t sc_fire_next_at(struct sc *sc, const char *file, int line)
{
    uint64_t at = sc_min_deadline(sc);
    if (at == UINT64_MAX) sc_abort("%s:%d: expected an armed timer, none is", file, line);
    tcpfsm_time_t before = sc->now;
    sc_advance_to(sc, at);
    /* the wheel fires at most one 1 ms tick late */
    for (int i = 0; i < 3 && sc_min_deadline(sc) <= sc->now; i++)
        sc_advance(sc, 1000);
    if (sc_min_deadline(sc) <= sc->now)
        sc_abort("%s:%d: a timer due at %llu did not fire by %llu", file, line,
                 (unsigned long long)at, (unsigned long long)sc->now);
    return at > before ? at - before : 0;
}

/* ------------------------------------------------------------------ input ---- */

int sc_inject_in(struct sc *sc, const struct sc_in *in)
{
    struct tcp_seg s;
    memset(&s, 0, sizeof s);
    s.saddr = in->saddr ? in->saddr : SC_PEER_ADDR;
    s.daddr = SC_LOCAL_ADDR;
    s.sport = in->sport ? in->sport : sc->rport;
    s.dport = in->dport ? in->dport : sc->lport;
    s.seq = in->seq;
    s.ack = in->ack;
    s.flags = in->flags;
    s.wnd = in->wnd;
    s.data = in->data;
    s.len = in->len;
    s.opt = in->opt;
    uint8_t buf[2048];
    size_t n = pkt_build(buf, sizeof buf, &s, 7);
    if (!n) sc_abort("scenario: cannot build the segment");
    return tcpfsm_input(sc->st, buf, n);
}

int sc_inject(struct sc *sc, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
              const void *data, uint32_t len)
{
    struct sc_in in;
    memset(&in, 0, sizeof in);
    in.flags = flags;
    in.seq = seq;
    in.ack = ack;
    in.wnd = wnd;
    in.data = data;
    in.len = len;
    return sc_inject_in(sc, &in);
}

/* ----------------------------------------------------------------- output ---- */

const char *sc_flags_str(uint8_t f)
{
    static char buf[64];
    static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    static const int order[8] = {1, 2, 0, 3, 4, 5, 6, 7}; /* SYN RST FIN PSH ACK ... */
    size_t off = 0;
    buf[0] = '\0';
    for (int k = 0; k < 8; k++) {
        int i = order[k];
        if (f & (1u << i))
            off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s", off ? "|" : "", names[i]);
    }
    if (!off) snprintf(buf, sizeof buf, "none");
    return buf;
}

size_t sc_pending(const struct sc *sc)
{
    return sc->qlen;
}

void sc_drain(struct sc *sc)
{
    sc->qhead = sc->qlen = 0;
}

size_t sc_next_raw(struct sc *sc, void *buf, size_t cap)
{
    if (!sc->qlen) sc_abort("scenario: expected a datagram, nothing was emitted");
    struct sc_pkt *p = &sc->q[sc->qhead];
    if (p->len > cap) sc_abort("scenario: a datagram of %zu bytes does not fit", p->len);
    sc->qhead++;
    sc->qlen--;
    if (!sc->qlen) sc->qhead = 0;
    memcpy(buf, p->data, p->len);
    return p->len;
}

int sc_inject_icmp_error(struct sc *sc, uint32_t from, uint8_t type, uint8_t code, uint32_t rest,
                         uint32_t seq)
{
    /* the quoted datagram: our segment as it left, its IP header and 8 octets of TCP */
    uint8_t quote[IPV4_HDR_LEN + TCP_HDR_LEN];
    struct tcp_seg q;
    memset(&q, 0, sizeof q);
    q.saddr = SC_LOCAL_ADDR;
    q.daddr = SC_PEER_ADDR;
    q.sport = sc->lport;
    q.dport = sc->rport;
    q.seq = seq;
    q.flags = TCP_ACK;
    if (!pkt_build(quote, sizeof quote, &q, 1)) sc_abort("scenario: quote does not fit");
    uint8_t pkt[128];
    size_t n = icmp_build(pkt, sizeof pkt, from ? from : SC_PEER_ADDR, SC_LOCAL_ADDR, type, code,
                          rest, quote, IPV4_HDR_LEN + 8, 7);
    return tcpfsm_input(sc->st, pkt, n);
}

const struct tcp_seg *sc_next_at(struct sc *sc, const char *file, int line)
{
    if (!sc->qlen) sc_abort("%s:%d: expected a segment, nothing was emitted", file, line);
    struct sc_pkt *p = &sc->q[sc->qhead];
    sc->qhead++;
    sc->qlen--;
    if (!sc->qlen) sc->qhead = 0;
    memcpy(sc->lastbuf, p->data, p->len);
    enum pkt_status ps = pkt_parse(sc->lastbuf, p->len, &sc->last);
    if (ps != PKT_OK)
        sc_abort("%s:%d: the stack emitted a malformed packet (%s)", file, line,
                 pkt_status_name(ps));
    return &sc->last;
}

const struct tcp_seg *sc_expect_at(struct sc *sc, uint8_t flags, uint32_t seq, uint32_t ack,
                                   uint32_t len, const char *file, int line)
{
    const struct tcp_seg *s = sc_next_at(sc, file, line);
    char want[64];
    snprintf(want, sizeof want, "%s", sc_flags_str(flags));
    bool ok = s->flags == flags && s->seq == seq && s->len == len &&
              s->ack == ((flags & TCP_ACK) ? ack : 0);
    if (!ok)
        sc_abort("%s:%d: expected <%s seq=%u ack=%u len=%u>, got <%s seq=%u ack=%u len=%u>", file,
                 line, want, seq, (flags & TCP_ACK) ? ack : 0, len, sc_flags_str(s->flags), s->seq,
                 s->ack, s->len);
    if (s->saddr != SC_LOCAL_ADDR || s->daddr != SC_PEER_ADDR ||
        (sc->lport && s->sport != sc->lport) || (sc->rport && s->dport != sc->rport))
        sc_abort("%s:%d: segment %08x:%u -> %08x:%u is not for the connection under test", file,
                 line, s->saddr, s->sport, s->daddr, s->dport);
    return s;
}

void sc_expect_none_at(struct sc *sc, const char *file, int line)
{
    if (!sc->qlen) return;
    const struct tcp_seg *s = sc_next_at(sc, file, line);
    sc_abort("%s:%d: expected no segment, got <%s seq=%u ack=%u len=%u> (%zu more)", file, line,
             sc_flags_str(s->flags), s->seq, s->ack, s->len, sc->qlen);
}

/* ------------------------------------------------------------------ state ---- */

struct tcb *sc_tcb(struct sc *sc)
{
    if (sc->fd >= 0 && sc->st->fds[sc->fd]) return sc->st->fds[sc->fd];
    if (!sc->lport || !sc->rport) return NULL;
    struct tcb *t = tcb_lookup(sc->st, SC_LOCAL_ADDR, sc->lport, SC_PEER_ADDR, sc->rport);
    /* an embryonic passive connection lives on as a compact SYN-queue record
     * (runtime/synqueue.c): the caller gets it back as a TCB, compacted again after its
     * next event */
    if (!t) t = syn_expand(sc->st, SC_LOCAL_ADDR, sc->lport, SC_PEER_ADDR, sc->rport);
    return t;
}

const char *sc_fd_state(struct sc *sc, int fd)
{
    struct tcpfsm_info info;
    if (tcpfsm_get_info(sc->st, fd, &info) != 0) return "EBADF";
    return info.state;
}

const char *sc_state(struct sc *sc)
{
    /* a compact SYN-queue record (runtime/synqueue.c) is a SYN_RCVD connection */
    if (sc->lport && sc->rport && !(sc->fd >= 0 && sc->st->fds[sc->fd]) &&
        syn_lookup(sc->st, SC_LOCAL_ADDR, sc->lport, SC_PEER_ADDR, sc->rport))
        return "SYN_RCVD";
    struct tcb *t = sc_tcb(sc);
    if (t) return tcb_state_name(t);
    /* an orphan in TIME_WAIT lives on as a compact record (runtime/timewait.c) */
    if (sc->lport && sc->rport &&
        tw_lookup(sc->st, SC_LOCAL_ADDR, sc->lport, SC_PEER_ADDR, sc->rport))
        return "TIME_WAIT";
    return "CLOSED";
}

void sc_expect_state_at(struct sc *sc, const char *name, const char *file, int line)
{
    const char *s = sc_state(sc);
    if (strcmp(s, name) != 0)
        sc_abort("%s:%d: expected state %s, connection is in %s", file, line, name, s);
}

/* ------------------------------------------------------------ transitions ---- */

static int name_index(const char *const *names, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return (int)i;
    return -1;
}

unsigned sc_row(const char *from, const char *event, const char *guard, const char *to)
{
    int f = name_index(tcp_fsm_state_names, TCP_FSM_NUM_STATES, from);
    int e = name_index(tcp_fsm_event_names, TCP_FSM_NUM_EVENTS, event);
    int t = name_index(tcp_fsm_state_names, TCP_FSM_NUM_STATES, to);
    for (unsigned i = 0; f >= 0 && e >= 0 && t >= 0 && i < TCP_FSM_NUM_TRANSITIONS; i++) {
        const struct tcp_fsm_transition *r = &tcp_fsm_transitions[i];
        if (r->from != f || r->event != e || r->to != t) continue;
        if (!guard ? r->guard != NULL : (!r->guard || strcmp(r->guard, guard) != 0)) continue;
        return i;
    }
    sc_abort("no spec row %s on %s [%s] -> %s", from, event, guard ? guard : "-", to);
    return 0;
}

uint64_t sc_fired(struct sc *sc, unsigned row)
{
    uint64_t counts[TCP_FSM_NUM_TRANSITIONS];
    tcpfsm_coverage(sc->st, counts, TCP_FSM_NUM_TRANSITIONS);
    return row < TCP_FSM_NUM_TRANSITIONS ? counts[row] : 0;
}

void sc_expect_fired_at(struct sc *sc, const char *from, const char *event, const char *guard,
                        const char *to, const char *file, int line)
{
    unsigned r = sc_row(from, event, guard, to);
    if (!sc_fired(sc, r))
        sc_abort("%s:%d: spec row %u (%s on %s [%s] -> %s) never fired", file, line, r, from, event,
                 guard ? guard : "-", to);
}

/* ---------------------------------------------------------------- drivers ---- */

#define CHK(cond, ...)                                                                             \
    do {                                                                                           \
        if (!(cond)) sc_abort(__VA_ARGS__);                                                        \
    } while (0)

int sc_listen(struct sc *sc)
{
    return sc_listen_backlog(sc, 8);
}

int sc_listen_backlog(struct sc *sc, int backlog)
{
    int fd = tcpfsm_socket(sc->st);
    CHK(fd >= 0, "socket: %d", fd);
    int e = tcpfsm_bind(sc->st, fd, 0, SC_LISTEN_PORT);
    CHK(e == 0, "bind: %d", e);
    e = tcpfsm_listen(sc->st, fd, backlog);
    CHK(e == 0, "listen: %d", e);
    sc->lfd = fd;
    sc->lport = SC_LISTEN_PORT;
    sc->rport = SC_PEER_PORT;
    return fd;
}

uint32_t sc_connect(struct sc *sc)
{
    int fd = tcpfsm_socket(sc->st);
    CHK(fd >= 0, "socket: %d", fd);
    int e = tcpfsm_connect(sc->st, fd, SC_PEER_ADDR, SC_LISTEN_PORT);
    CHK(e == -EINPROGRESS, "connect: %d", e);
    uint16_t lport = 0;
    tcpfsm_getname(sc->st, fd, NULL, &lport, NULL, NULL);
    sc->fd = fd;
    sc->lport = lport;
    sc->rport = SC_LISTEN_PORT;
    const struct tcp_seg *s = sc_next(sc);
    CHK(s->flags == TCP_SYN && s->len == 0 && s->ack == 0, "connect: expected a SYN, got %s",
        sc_flags_str(s->flags));
    CHK(s->sport == lport && s->dport == SC_LISTEN_PORT, "connect: SYN on the wrong ports");
    sc->iss = s->seq;
    sc_expect_state(sc, "SYN_SENT");
    return sc->iss;
}

void sc_to_syn_rcvd_passive(struct sc *sc)
{
    sc_listen(sc);
    sc_inject(sc, TCP_SYN, sc->irs, 0, SC_PEER_WND, NULL, 0);
    const struct tcp_seg *s = sc_next(sc);
    CHK(s->flags == (TCP_SYN | TCP_ACK) && s->ack == sc->irs + 1 && s->len == 0,
        "passive open: expected SYN|ACK ack=%u, got %s ack=%u", sc->irs + 1, sc_flags_str(s->flags),
        s->ack);
    sc->iss = s->seq;
    sc_expect_state(sc, "SYN_RCVD");
}

void sc_to_syn_rcvd_active(struct sc *sc)
{
    sc_connect(sc);
    sc_inject(sc, TCP_SYN, sc->irs, 0, SC_PEER_WND, NULL, 0);
    /* RFC 9293 3.10.7.3 fourth: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
    sc_expect(sc, TCP_SYN | TCP_ACK, sc->iss, sc->irs + 1, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "SYN_RCVD");
}

void sc_establish_passive(struct sc *sc)
{
    sc_to_syn_rcvd_passive(sc);
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 1, SC_PEER_WND, NULL, 0);
    sc_expect_none(sc);
    int fd = tcpfsm_accept(sc->st, sc->lfd, NULL, NULL);
    CHK(fd >= 0, "accept: %d", fd);
    sc->fd = fd;
    sc_expect_state(sc, "ESTABLISHED");
}

void sc_establish_active(struct sc *sc)
{
    sc_connect(sc);
    sc_inject(sc, TCP_SYN | TCP_ACK, sc->irs, sc->iss + 1, SC_PEER_WND, NULL, 0);
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 1, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "ESTABLISHED");
}

void sc_establish(struct sc *sc)
{
    sc_establish_active(sc);
}

static void sc_close_side(struct sc *sc, bool orphan)
{
    int e;
    if (orphan) {
        e = tcpfsm_close(sc->st, sc->fd);
        sc->fd = -1;
    } else {
        e = tcpfsm_shutdown(sc->st, sc->fd, TCPFSM_SHUT_WR);
    }
    CHK(e == 0, "close/shutdown: %d", e);
}

void sc_to_fin_wait_1(struct sc *sc, bool orphan)
{
    sc_establish(sc);
    sc_close_side(sc, orphan);
    sc_expect(sc, TCP_FIN | TCP_ACK, sc->iss + 1, sc->irs + 1, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "FIN_WAIT_1");
}

void sc_to_fin_wait_2(struct sc *sc, bool orphan)
{
    sc_to_fin_wait_1(sc, orphan);
    sc_inject(sc, TCP_ACK, sc->irs + 1, sc->iss + 2, SC_PEER_WND, NULL, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "FIN_WAIT_2");
}

void sc_to_time_wait(struct sc *sc, bool orphan)
{
    sc_to_fin_wait_2(sc, orphan);
    sc_inject(sc, TCP_FIN | TCP_ACK, sc->irs + 1, sc->iss + 2, SC_PEER_WND, NULL, 0);
    sc_expect(sc, TCP_ACK, sc->iss + 2, sc->irs + 2, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "TIME_WAIT");
}

void sc_to_closing(struct sc *sc, bool orphan)
{
    sc_to_fin_wait_1(sc, orphan);
    /* the peer's FIN crossed ours: it acknowledges only our SYN */
    sc_inject(sc, TCP_FIN | TCP_ACK, sc->irs + 1, sc->iss + 1, SC_PEER_WND, NULL, 0);
    sc_expect(sc, TCP_ACK, sc->iss + 2, sc->irs + 2, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "CLOSING");
}

void sc_to_close_wait(struct sc *sc)
{
    sc_establish(sc);
    sc_inject(sc, TCP_FIN | TCP_ACK, sc->irs + 1, sc->iss + 1, SC_PEER_WND, NULL, 0);
    /* the FIN's ACK waits FIN_ACK_DELAY_US for a CLOSE to carry it: it goes when the timer
     * does */
    sc_expect_none(sc);
    sc_expect_state(sc, "CLOSE_WAIT");
    sc_advance(sc, FIN_ACK_DELAY_US);
    sc_expect(sc, TCP_ACK, sc->iss + 1, sc->irs + 2, 0);
    sc_expect_none(sc);
}

void sc_to_last_ack(struct sc *sc, bool orphan)
{
    sc_to_close_wait(sc);
    sc_close_side(sc, orphan);
    sc_expect(sc, TCP_FIN | TCP_ACK, sc->iss + 1, sc->irs + 2, 0);
    sc_expect_none(sc);
    sc_expect_state(sc, "LAST_ACK");
}
