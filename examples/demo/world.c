/*
 * world.c — tcpfsm-demo's hosts, link, clock and record. See world.h.
 */
#include "world.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "memlink.h"
#include "packet.h"
#include "pcap.h"

/* ---------------------------------------------------------------- small helpers */

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return p;
    size_t c = *cap ? *cap * 2 : 64;
    void *q = realloc(p, c * size);
    if (!q) {
        fprintf(stderr, "tcpfsm-demo: out of memory\n");
        exit(1); /* a demo's record is all it has: nothing sensible to go on with */
    }
    *cap = c;
    return q;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) {
        fprintf(stderr, "tcpfsm-demo: out of memory\n");
        exit(1);
    }
    return d;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t host_random(void *arg)
{
    return splitmix64(arg);
}

const char *dw_ntoa(uint32_t a, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255u, (a >> 8) & 255u, a & 255u);
    return buf;
}

const char *dw_flags(uint8_t f, char buf[8])
{
    char *p = buf;
    if (f & TCP_SYN) *p++ = 'S';
    if (f & TCP_FIN) *p++ = 'F';
    if (f & TCP_RST) *p++ = 'R';
    if (f & TCP_PSH) *p++ = 'P';
    if (f & TCP_URG) *p++ = 'U';
    if (f & TCP_ACK) *p++ = '.';
    if (p == buf) *p++ = 'n'; /* tcpdump's "none" */
    *p = '\0';
    return buf;
}

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

const char *dw_endpoint(uint32_t a, uint16_t p, char buf[24])
{
    char s[16];
    if (!a && !p)
        snprintf(buf, 24, "0.0.0.0:*");
    else
        snprintf(buf, 24, "%s:%u", dw_ntoa(a, s), p);
    return buf;
}

/* ---------------------------------------------------------------- ISNs, relative numbers */

/* Wireshark's relative sequence numbers: each direction of a 4-tuple counts from the sequence
 * number of the last SYN it sent (a newer SYN, RFC 6191's reuse of a TIME-WAIT 4-tuple,
 * starts a new count). A direction without a SYN counts from 0, i.e. shows absolute numbers
 * (a RST for a closed port). */
struct dw_isn {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint32_t isn;
};
static struct dw_isn *isn_find(const struct dw *w, uint32_t sa, uint16_t sp, uint32_t da,
                               uint16_t dp)
{
    for (size_t i = 0; i < w->nisns; i++) {
        struct dw_isn *e = &w->isns[i];
        if (e->saddr == sa && e->sport == sp && e->daddr == da && e->dport == dp) return e;
    }
    return NULL;
}

static void isn_note(struct dw *w, uint32_t sa, uint16_t sp, uint32_t da, uint16_t dp, uint32_t seq)
{
    struct dw_isn *e = isn_find(w, sa, sp, da, dp);
    if (!e) {
        w->isns = grow(w->isns, &w->cap_isns, w->nisns, sizeof *w->isns);
        e = &w->isns[w->nisns++];
        *e = (struct dw_isn){sa, da, sp, dp, 0};
    }
    e->isn = seq;
}

static uint32_t isn_of(const struct dw *w, uint32_t sa, uint16_t sp, uint32_t da, uint16_t dp)
{
    const struct dw_isn *e = isn_find(w, sa, sp, da, dp);
    return e ? e->isn : 0;
}

/* ---------------------------------------------------------------- packets */

/* The options in the order they came, as tcpdump writes them. */
static void opts_text(const uint8_t *o, size_t n, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
#define PUT(...)                                                                                   \
    do {                                                                                           \
        int k_ = snprintf(out + off, off < cap ? cap - off : 0, __VA_ARGS__);                      \
        if (k_ > 0) off += (size_t)k_;                                                             \
        if (off >= cap) off = cap - 1;                                                             \
    } while (0)
    for (size_t i = 0; i < n;) {
        const char *sep = off ? "," : "";
        uint8_t kind = o[i];
        if (kind == TCPOPT_EOL) {
            PUT("%seol", sep);
            break;
        }
        if (kind == TCPOPT_NOP) {
            PUT("%snop", sep);
            i++;
            continue;
        }
        if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n) {
            PUT("%sbad opt", sep);
            break;
        }
        uint8_t len = o[i + 1];
        const uint8_t *v = o + i + 2;
        if (kind == TCPOPT_MSS && len == 4)
            PUT("%smss %u", sep, (unsigned)v[0] << 8 | v[1]);
        else if (kind == TCPOPT_WSCALE && len == 3)
            PUT("%swscale %u", sep, v[0]);
        else if (kind == TCPOPT_SACK_PERM && len == 2)
            PUT("%ssackOK", sep);
        else if (kind == TCPOPT_TS && len == 10)
            PUT("%sTS val %u ecr %u", sep,
                (unsigned)((uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 |
                           v[3]),
                (unsigned)((uint32_t)v[4] << 24 | (uint32_t)v[5] << 16 | (uint32_t)v[6] << 8 |
                           v[7]));
        else if (kind == TCPOPT_SACK)
            PUT("%ssack %u", sep, (unsigned)(len - 2) / 8);
        else
            PUT("%sopt-%u", sep, kind);
        i += len;
    }
#undef PUT
}

static void pkt_decode(struct dw *w, struct dw_pkt *p, const uint8_t *b, size_t len)
{
    if (len >= 20) {
        p->saddr = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
        p->daddr = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    }
    struct tcp_seg s;
    if (pkt_parse(b, len, &s) != PKT_OK) return;
    p->tcp = true;
    p->sport = s.sport;
    p->dport = s.dport;
    p->seq = s.seq;
    p->ack = s.ack;
    p->len = s.len;
    p->wnd = s.wnd;
    p->flags = s.flags;
    size_t ihl = (size_t)(b[0] & 15) * 4;
    opts_text(b + ihl + TCP_HDR_LEN, s.hdr_len - TCP_HDR_LEN, p->opts, sizeof p->opts);
    if (s.flags & TCP_SYN) isn_note(w, s.saddr, s.sport, s.daddr, s.dport, s.seq);
    p->rseq = s.seq - isn_of(w, s.saddr, s.sport, s.daddr, s.dport);
    p->rack = (s.flags & TCP_ACK) ? s.ack - isn_of(w, s.daddr, s.dport, s.saddr, s.sport) : 0;
}

static int host_by_addr(const struct dw *w, uint32_t a)
{
    for (int i = 0; i < w->nh; i++)
        if (w->h[i].addr == a) return i;
    return -1;
}

static void print_pkt(const struct dw *w, const struct dw_pkt *p)
{
    if (!w->o.out || !w->o.print_packets) return;
    char f[8], a[24], b[24];
    const char *to = p->to >= 0 ? w->h[p->to].name : "?";
    fprintf(w->o.out, "%10.3f ms  #%-3u %s > %s  %s > %s", ms(p->t_us), p->frame,
            w->h[p->from].name, to, dw_endpoint(p->saddr, p->sport, a),
            dw_endpoint(p->daddr, p->dport, b));
    if (p->tcp) {
        fprintf(w->o.out, "  [%s] seq %u", dw_flags(p->flags, f), p->rseq);
        if (p->flags & TCP_ACK) fprintf(w->o.out, " ack %u", p->rack);
        fprintf(w->o.out, " win %u len %u", p->wnd, p->len);
        if (p->opts[0]) fprintf(w->o.out, " <%s>", p->opts);
    }
    if (p->lost) fputs("  ** lost on the link **", w->o.out);
    if (p->to < 0) fputs("  (no such host)", w->o.out);
    fputc('\n', w->o.out);
}

/* Every packet any host sends comes here: numbered, captured, lost or handed to the link. */
static void host_output(struct dw_host *h, const void *pkt, size_t len)
{
    struct dw *w = h->w;
    w->pkts = grow(w->pkts, &w->cap_pkts, w->npkts, sizeof *w->pkts);
    struct dw_pkt *p = &w->pkts[w->npkts];
    memset(p, 0, sizeof *p);
    p->frame = (uint32_t)w->npkts + 1;
    p->t_us = w->now;
    p->from = (int)(h - w->h);
    pkt_decode(w, p, pkt, len);
    p->to = host_by_addr(w, p->daddr);
    p->bytes = malloc(len ? len : 1);
    if (!p->bytes) {
        fprintf(stderr, "%s: out of memory\n", w->o.prog);
        exit(1);
    }
    memcpy(p->bytes, pkt, len);
    p->nbytes = len;
    w->npkts++;
    if (w->pcap) pcap_write(w->pcap, w->o.epoch_us + w->now, pkt, len);
    /* a seeded rate first (drawn for every packet, so a rule does not shift the draws), then
     * the scenario's rule */
    double u = (double)(splitmix64(&w->loss_rng) >> 11) / 9007199254740992.0;
    p->lost = (w->o.loss > 0 && u < w->o.loss) || (w->lose && w->lose(w->lose_arg, p));
    print_pkt(w, p);
    if (!p->lost && p->to >= 0) memlink_send(w->link, h->addr, pkt, len);
}

static void output_cb(void *arg, const void *pkt, size_t len)
{
    host_output(arg, pkt, len);
}

/* memlink delivers in send order (one delay for all): the oldest frame not yet delivered
 * that the link was given is this one. */
static void deliver_cb(void *arg, const void *pkt, size_t len)
{
    struct dw_host *h = arg;
    struct dw *w = h->w;
    struct dw_pkt *p = NULL;
    while (w->next_delivery < w->npkts) {
        struct dw_pkt *q = &w->pkts[w->next_delivery++];
        if (!q->lost && q->to >= 0) {
            p = q;
            break;
        }
    }
    if (!dw_check(w,
                  p && p->nbytes == len && !memcmp(p->bytes, pkt, len) && p->to == (int)(h - w->h),
                  "a delivered packet is not the frame sent first"))
        return;
    p->delivered = true;
    if (!h->st) return; /* a raw host ignores what it gets */
    tcpfsm_advance(h->st, w->now);
    w->in_frame = p->frame;
    tcpfsm_input(h->st, pkt, len);
    w->in_frame = 0;
}

/* ---------------------------------------------------------------- transitions */

static void print_step(const struct dw *w, const struct dw_step *s)
{
    if (!w->o.out || !w->o.print_steps) return;
    char a[24], b[24], f[8];
    fprintf(w->o.out, "%10.3f ms  %s  %s>%s %s --%s%s%s--> %s", ms(s->t_us), w->h[s->host].name,
            dw_endpoint(s->laddr, s->lport, a), dw_endpoint(s->raddr, s->rport, b), s->from,
            s->event, *s->actions ? "/" : "", s->actions, s->to);
    if (s->cause == TCPFSM_CAUSE_SEGMENT) {
        fprintf(w->o.out, "  [#%u %s seq %u", s->frame, dw_flags(s->flags, f), s->rseq);
        if (s->flags & TCP_ACK) fprintf(w->o.out, " ack %u", s->rack);
        fprintf(w->o.out, " win %u len %u", s->wnd, s->len);
        if (s->taken != s->len) fprintf(w->o.out, ", %u in the window", s->taken);
        fputc(']', w->o.out);
    } else if (s->cause == TCPFSM_CAUSE_TIMER) {
        fputs("  [timer]", w->o.out);
    } else {
        fprintf(w->o.out, "  [%s]", s->call[0] ? s->call : "app");
    }
    fputc('\n', w->o.out);
    /* The line that puzzles: a listener's new connection is a TCB of its own, born CLOSED. */
    if (!strncmp(s->event, "SPAWN_", 6) && dw_count(w, s->host, NULL, s->event, NULL) == 1)
        fprintf(w->o.out,
                "             -- a new TCB for this connection, born CLOSED, takes the %s of #%u; "
                "the listener stays in LISTEN\n",
                strcmp(s->event, "SPAWN_COOKIE") ? "SYN" : "ACK carrying the SYN cookie", s->frame);
}

static void trace_cb(void *arg, const struct tcpfsm_trace_event *ev)
{
    struct dw_host *h = arg;
    struct dw *w = h->w;
    w->steps = grow(w->steps, &w->cap_steps, w->nsteps, sizeof *w->steps);
    struct dw_step *s = &w->steps[w->nsteps++];
    memset(s, 0, sizeof *s);
    s->t_us = w->now;
    s->host = (int)(h - w->h);
    s->laddr = ev->laddr;
    s->raddr = ev->raddr;
    s->lport = ev->lport;
    s->rport = ev->rport;
    s->from = ev->from;
    s->event = ev->event;
    s->to = ev->to;
    s->actions = ev->actions ? ev->actions : "";
    s->rfc = ev->rfc;
    s->transition = ev->transition;
    s->cause = ev->cause;
    if (ev->cause == TCPFSM_CAUSE_APP && w->call) snprintf(s->call, sizeof s->call, "%s", w->call);
    if (ev->cause == TCPFSM_CAUSE_SEGMENT) {
        s->frame = w->in_frame;
        const struct dw_pkt *p = s->frame ? &w->pkts[s->frame - 1] : NULL;
        /* The event has the segment as the machine was given it: text trimmed to the window
         * (RFC 9293 3.10.7.4 first) shows as a later SEG.SEQ or a shorter SEG.LEN. The rest
         * must be the frame's. */
        dw_check(w,
                 p && p->ack == ev->seg_ack && p->wnd == ev->seg_wnd &&
                     (ev->seg_flags & ~p->flags) == 0 && ev->seg_seq - p->seq <= p->len &&
                     ev->seg_len <= p->len,
                 "%s: %s --%s--> %s: the segment in the trace event is not frame #%u", h->name,
                 ev->from, ev->event, ev->to, s->frame);
        if (p) {
            s->flags = p->flags;
            s->wnd = p->wnd;
            s->len = p->len;
            s->rseq = p->rseq;
            s->rack = p->rack;
            s->taken = ev->seg_len;
        }
    }
    print_step(w, s);
}

/* ---------------------------------------------------------------- world */

int dw_init(struct dw *w, const struct dw_opts *o)
{
    memset(w, 0, sizeof *w);
    w->o = *o;
    w->loss_rng = o->seed ^ 0x6c6f7373u; /* "loss" */
    w->link = memlink_new(o->seed, 0);
    if (!w->link) {
        fprintf(stderr, "%s: out of memory\n", o->prog);
        return -1;
    }
    if (o->pcap) {
        int err = 0;
        w->pcap = pcap_open(o->pcap, &err);
        if (!w->pcap) {
            fprintf(stderr, "%s: --pcap %s: %s\n", o->prog, o->pcap, strerror(-err));
            memlink_free(w->link);
            w->link = NULL;
            return -1;
        }
    }
    return 0;
}

int dw_free(struct dw *w)
{
    int rc = 0;
    for (int i = 0; i < w->nh; i++)
        if (w->h[i].st) tcpfsm_stack_free(w->h[i].st);
    if (w->link) memlink_free(w->link);
    if (w->pcap) {
        int e = pcap_close(w->pcap);
        if (e < 0) {
            fprintf(stderr, "%s: --pcap %s: %s\n", w->o.prog, w->o.pcap, strerror(-e));
            rc = -1;
        }
    }
    for (size_t i = 0; i < w->npkts; i++)
        free(w->pkts[i].bytes);
    free(w->pkts);
    free(w->steps);
    for (size_t i = 0; i < w->nlistings; i++) {
        free(w->listings[i].title);
        free(w->listings[i].ss);
        free(w->listings[i].sockstat);
    }
    free(w->listings);
    for (size_t i = 0; i < w->nnotes; i++)
        free(w->notes[i].text);
    free(w->notes);
    free(w->isns);
    memset(w, 0, sizeof *w);
    return rc;
}

int dw_add_host(struct dw *w, const char *name, uint32_t addr, const struct tcpfsm_config *tmpl,
                bool raw)
{
    if (w->nh == DW_MAX_HOSTS) return -1;
    int i = w->nh;
    struct dw_host *h = &w->h[i];
    memset(h, 0, sizeof *h);
    h->w = w;
    h->name = name;
    h->addr = addr;
    h->rng = w->o.seed * 8 + (uint64_t)i + 1;
    if (memlink_attach(w->link, addr, deliver_cb, h) < 0) {
        fprintf(stderr, "%s: memlink_attach failed\n", w->o.prog);
        return -1;
    }
    struct memlink_impair im = {.delay_us = w->o.delay_us};
    for (int j = 0; j < w->nh; j++) {
        memlink_set_impair(w->link, addr, w->h[j].addr, &im);
        memlink_set_impair(w->link, w->h[j].addr, addr, &im);
    }
    w->nh++;
    if (raw) return i;
    struct tcpfsm_config cfg = tmpl ? *tmpl : (struct tcpfsm_config){0};
    cfg.addr = addr;
    cfg.prefix_len = 24;
    cfg.output = output_cb;
    cfg.output_arg = h;
    cfg.random = host_random;
    cfg.random_arg = &h->rng;
    cfg.trace = trace_cb;
    cfg.trace_arg = h;
    cfg.now = w->now;
    int err = 0;
    h->st = tcpfsm_stack_new(&cfg, &err);
    if (!h->st) {
        fprintf(stderr, "%s: tcpfsm_stack_new: %s\n", w->o.prog, strerror(-err));
        return -1;
    }
    return i;
}

void dw_raw_send(struct dw *w, int host, uint16_t sport, uint32_t daddr, uint16_t dport,
                 uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd)
{
    struct tcp_seg s;
    memset(&s, 0, sizeof s);
    s.saddr = w->h[host].addr;
    s.daddr = daddr;
    s.sport = sport;
    s.dport = dport;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.wnd = wnd;
    if (flags & TCP_SYN) {
        s.opt.has_mss = 1;
        s.opt.mss = 1460;
    }
    uint8_t buf[128];
    size_t n = pkt_build(buf, sizeof buf, &s, 0);
    if (n) host_output(&w->h[host], buf, n);
}

/* ---------------------------------------------------------------- the clock */

static uint64_t next_event(const struct dw *w)
{
    uint64_t t = memlink_next_delivery(w->link);
    for (int i = 0; i < w->nh; i++)
        if (w->h[i].st) {
            uint64_t d = tcpfsm_next_timeout(w->h[i].st);
            if (d < t) t = d;
        }
    return t;
}

bool dw_step(struct dw *w, uint64_t until)
{
    uint64_t t = next_event(w);
    if (t == UINT64_MAX || t > until) {
        if (until != UINT64_MAX && until > w->now) {
            w->now = until;
            memlink_advance(w->link, w->now);
            for (int i = 0; i < w->nh; i++)
                if (w->h[i].st) tcpfsm_advance(w->h[i].st, w->now);
        }
        return false;
    }
    if (t > w->now) w->now = t;
    /* deliveries first (each advances its stack to now), so that whatever the timers send
     * leaves at the time memlink now reads */
    memlink_advance(w->link, w->now);
    for (int i = 0; i < w->nh; i++)
        if (w->h[i].st) tcpfsm_advance(w->h[i].st, w->now);
    return true;
}

void dw_run_for(struct dw *w, uint64_t us)
{
    uint64_t end = w->now + us;
    while (dw_step(w, end))
        ;
}

bool dw_run_until(struct dw *w, bool (*cond)(struct dw *w, void *arg), void *arg, uint64_t us)
{
    uint64_t end = w->now + us;
    while (!cond(w, arg))
        if (!dw_step(w, end)) return cond(w, arg);
    return true;
}

/* ---------------------------------------------------------------- socket calls */

void dw_call(struct dw *w, const char *what)
{
    w->call = what;
}

static const char *errname(int e)
{
    switch (e < 0 ? -e : e) {
    case 0:
        return "0";
    case EADDRINUSE:
        return "-EADDRINUSE (Address already in use)";
    case EINPROGRESS:
        return "-EINPROGRESS";
    case ECONNREFUSED:
        return "-ECONNREFUSED (Connection refused)";
    case ECONNRESET:
        return "-ECONNRESET";
    case ETIMEDOUT:
        return "-ETIMEDOUT";
    case EAGAIN:
        return "-EAGAIN";
    default:
        return "an error";
    }
}

int dw_listen_on(struct dw *w, int host, uint16_t port, int backlog, bool reuse)
{
    struct tcpfsm_stack *st = w->h[host].st;
    int fd = tcpfsm_socket(st);
    if (fd < 0) return fd;
    if (reuse) {
        tcpfsm_setopt(st, fd, TCPFSM_OPT_REUSEADDR, 1);
        dw_note(w, "%s: setsockopt(SO_REUSEADDR, 1)", w->h[host].name);
    }
    int r = tcpfsm_bind(st, fd, 0, port);
    dw_note(w, "%s: bind(0.0.0.0:%u) = %s", w->h[host].name, port, errname(r));
    if (r < 0) {
        dw_close(w, host, fd);
        return r;
    }
    dw_call(w, "listen()");
    r = tcpfsm_listen(st, fd, backlog);
    dw_call(w, NULL);
    if (r < 0) {
        dw_close(w, host, fd);
        return r;
    }
    return fd;
}

int dw_connect(struct dw *w, int host, uint16_t lport, uint32_t daddr, uint16_t dport)
{
    struct tcpfsm_stack *st = w->h[host].st;
    int fd = tcpfsm_socket(st);
    if (fd < 0) return fd;
    int r = lport ? tcpfsm_bind(st, fd, 0, lport) : 0;
    if (r == -EADDRINUSE) {
        tcpfsm_setopt(st, fd, TCPFSM_OPT_REUSEADDR, 1);
        r = tcpfsm_bind(st, fd, 0, lport);
    }
    char call[64], a[16];
    snprintf(call, sizeof call, "connect(%s:%u)", dw_ntoa(daddr, a), dport);
    if (r == 0) {
        dw_call(w, call);
        r = tcpfsm_connect(st, fd, daddr, dport);
        dw_call(w, NULL);
    }
    if (r != -EINPROGRESS) {
        dw_note(w, "%s: %s = %s", w->h[host].name, call, errname(r));
        dw_close(w, host, fd);
        return r < 0 ? r : -EIO;
    }
    return fd;
}

int dw_close(struct dw *w, int host, int fd)
{
    dw_call(w, "close()");
    int r = tcpfsm_close(w->h[host].st, fd);
    dw_call(w, NULL);
    return r;
}

int dw_shutdown_wr(struct dw *w, int host, int fd)
{
    dw_call(w, "shutdown(SHUT_WR)");
    int r = tcpfsm_shutdown(w->h[host].st, fd, TCPFSM_SHUT_WR);
    dw_call(w, NULL);
    return r;
}

/* ---------------------------------------------------------------- notes, listings, checks */

void dw_note(struct dw *w, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    w->notes = grow(w->notes, &w->cap_notes, w->nnotes, sizeof *w->notes);
    w->notes[w->nnotes++] = (struct dw_note){w->now, xstrdup(buf)};
    if (w->o.out && w->o.print_steps) fprintf(w->o.out, "%10.3f ms  -- %s\n", ms(w->now), buf);
}

void dw_listing(struct dw *w, int host, const char *title, bool census)
{
    struct tcpfsm_stack *st = w->h[host].st;
    int need = tcpfsm_ss(st, NULL, 0);
    char *ss = malloc((size_t)need + 1);
    if (!ss) exit(1);
    tcpfsm_ss(st, ss, (size_t)need + 1);
    char cs[512] = "";
    if (census) {
        struct tcpfsm_sockstat s;
        tcpfsm_sockstat(st, &s);
        tcpfsm_sockstat_format(&s, cs, sizeof cs);
    }
    w->listings = grow(w->listings, &w->cap_listings, w->nlistings, sizeof *w->listings);
    struct dw_listing *l = &w->listings[w->nlistings++];
    l->t_us = w->now;
    l->host = host;
    l->title = xstrdup(title);
    l->ss = ss;
    l->sockstat = xstrdup(cs);
    if (!w->o.out) return;
    char a[16];
    fprintf(w->o.out, "%10.3f ms  == ss -tan on %s (%s): %s\n", ms(w->now), w->h[host].name,
            dw_ntoa(w->h[host].addr, a), title);
    fputs(ss, w->o.out);
    /* the /proc/net/sockstat line only: the second line's byte counts follow the TCB's size,
     * which is the library's business, not the lesson's (the JSON has both) */
    const char *nl = strchr(cs, '\n');
    if (census) fprintf(w->o.out, "%.*s\n", nl ? (int)(nl - cs) : (int)strlen(cs), cs);
}

int dw_count(const struct dw *w, int host, const char *from, const char *event, const char *to)
{
    int n = 0;
    for (size_t i = 0; i < w->nsteps; i++) {
        const struct dw_step *s = &w->steps[i];
        if ((host < 0 || s->host == host) && (!from || !strcmp(s->from, from)) &&
            (!event || !strcmp(s->event, event)) && (!to || !strcmp(s->to, to)))
            n++;
    }
    return n;
}

const struct dw_step *dw_find(const struct dw *w, int host, const char *from, const char *event,
                              const char *to)
{
    for (size_t i = 0; i < w->nsteps; i++) {
        const struct dw_step *s = &w->steps[i];
        if ((host < 0 || s->host == host) && (!from || !strcmp(s->from, from)) &&
            (!event || !strcmp(s->event, event)) && (!to || !strcmp(s->to, to)))
            return s;
    }
    return NULL;
}

bool dw_check(struct dw *w, bool ok, const char *fmt, ...)
{
    if (ok) return true;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: CHECK FAILED: ", w->o.prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    w->failed++;
    return false;
}
