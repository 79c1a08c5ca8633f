/* memnet.c — see memnet.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memnet.h"
#include "packet.h"

static void node_output(void *arg, const void *pkt, size_t len)
{
    struct node *nd = arg;
    struct tcp_seg s;
    rt_require(pkt_parse(pkt, len, &s) == PKT_OK);
    nd->fins += !!(s.flags & TCP_FIN);
    nd->rsts += !!(s.flags & TCP_RST);
    if (len > nd->max_pkt) nd->max_pkt = len;
    nd->sack_data_segs += s.len && s.opt.nsack;
    memlink_send(nd->net->l, nd->addr, pkt, len);
}

static void node_deliver(void *arg, const void *pkt, size_t len)
{
    struct node *nd = arg;
    (void)tcpfsm_input(nd->st, pkt, len);
}

static uint64_t node_random(void *arg)
{
    return rt_rand(arg);
}

static void node_trace(void *arg, const struct tcpfsm_trace_event *ev)
{
    struct node *nd = arg;
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("TCPFSM_TEST_TRACE") != NULL;
    if (verbose)
        fprintf(stderr, "%10llu %s %u>%u %s --%s/%s--> %s\n", (unsigned long long)ev->now,
                nd->addr == CLI_ADDR ? "cli" : "srv", ev->lport, ev->rport, ev->from, ev->event,
                ev->actions, ev->to);
    if (!ev->raddr) return; /* the listener itself */
    struct conn_path *p = NULL;
    for (int i = 0; i < nd->npaths; i++)
        if (nd->paths[i].lport == ev->lport && nd->paths[i].rport == ev->rport) p = &nd->paths[i];
    /* A connection that reached CLOSED and starts again on the same ports gets a new path. */
    if (p && strcmp(ev->from, "CLOSED") == 0 && strcmp(ev->to, "CLOSED") != 0) p = NULL;
    if (!p) {
        if (nd->npaths == MAX_CONN_PATHS) return;
        p = &nd->paths[nd->npaths++];
        p->lport = ev->lport;
        p->rport = ev->rport;
        snprintf(p->path, sizeof p->path, "%s", ev->from);
    }
    if (strcmp(ev->from, ev->to) != 0) {
        size_t n = strlen(p->path);
        snprintf(p->path + n, sizeof p->path - n, " %s", ev->to);
        if (strcmp(ev->to, "TIME_WAIT") == 0) nd->tw_enter = ev->now;
        if (strcmp(ev->from, "TIME_WAIT") == 0) nd->tw_exit = ev->now;
    }
}

/* The path of the connection with local port lport (the first one if lport is 0). */
const char *node_path(const struct node *nd, uint16_t lport)
{
    for (int i = 0; i < nd->npaths; i++)
        if (!lport || nd->paths[i].lport == lport) return nd->paths[i].path;
    return "";
}

/* cfg (may be NULL) supplies limits and protocol parameters for both stacks. */
void net_init(struct net *net, const struct tcpfsm_config *cfg, uint64_t seed)
{
    memset(net, 0, sizeof *net);
    net->l = memlink_new(seed, 0);
    ck_assert_ptr_nonnull(net->l);
    for (int i = 0; i < 2; i++) {
        struct node *nd = &net->n[i];
        nd->net = net;
        nd->addr = i == 0 ? CLI_ADDR : SRV_ADDR;
        nd->rng = seed * 2 + (uint64_t)i + 1;
        struct tcpfsm_config c;
        if (cfg)
            c = *cfg;
        else
            memset(&c, 0, sizeof c);
        c.addr = nd->addr;
        c.output = node_output;
        c.output_arg = nd;
        c.random = node_random;
        c.random_arg = &nd->rng;
        c.trace = node_trace;
        c.trace_arg = nd;
        c.now = 0;
        int err = 1;
        nd->st = tcpfsm_stack_new(&c, &err);
        ck_assert_ptr_nonnull(nd->st);
        ck_assert_int_eq(err, 0);
        ck_assert_int_ge(memlink_attach(net->l, nd->addr, node_deliver, nd), 0);
    }
    struct memlink_impair im = {.delay_us = LINK_DELAY_US};
    memlink_set_impair(net->l, CLI_ADDR, SRV_ADDR, &im);
    memlink_set_impair(net->l, SRV_ADDR, CLI_ADDR, &im);
}

void net_free(struct net *net)
{
    rt_coverage_save(net->n[0].st);
    rt_coverage_save(net->n[1].st);
    tcpfsm_stack_free(net->n[0].st);
    tcpfsm_stack_free(net->n[1].st);
    memlink_free(net->l);
}

void net_impair(struct net *net, const struct memlink_impair *im)
{
    net_impair_dirs(net, im, im);
}

void net_impair_dirs(struct net *net, const struct memlink_impair *c2s,
                     const struct memlink_impair *s2c)
{
    memlink_set_impair(net->l, CLI_ADDR, SRV_ADDR, c2s);
    memlink_set_impair(net->l, SRV_ADDR, CLI_ADDR, s2c);
}

uint64_t net_next(const struct net *net)
{
    uint64_t a = tcpfsm_next_timeout(net->n[0].st), b = tcpfsm_next_timeout(net->n[1].st);
    uint64_t c = memlink_next_delivery(net->l);
    uint64_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Move everything to time t (>= now): the link's clock first (nothing is due before t, so
 * this only stamps what timers send now with the right time), then the stacks' timers, then
 * the deliveries due at t. */
void net_set_time(struct net *net, uint64_t t)
{
    if (t > 0) memlink_advance(net->l, t - 1);
    tcpfsm_advance(net->n[0].st, t);
    tcpfsm_advance(net->n[1].st, t);
    memlink_advance(net->l, t);
    net->now = t;
    net->steps++;
}

/* One step to the earliest pending event; false when nothing is pending at all. */
bool net_step(struct net *net)
{
    uint64_t t = net_next(net);
    if (t == UINT64_MAX) return false;
    /* An overdue wheel entry fires on the next 1 ms tick at the latest: always move on. */
    net_set_time(net, t > net->now ? t : net->now + 1);
    return true;
}

/* Process every event due at or before t, then set the clock to t. */
void net_advance_to(struct net *net, uint64_t t)
{
    for (;;) {
        uint64_t nx = net_next(net);
        if (nx > t || nx == UINT64_MAX) break;
        net_set_time(net, nx > net->now ? nx : net->now + 1);
        if (net->now >= t) return;
    }
    if (t > net->now) net_set_time(net, t);
}

/* Alternate the application pump with steps until the pump reports done (true), nothing is
 * pending any more, or the virtual clock passes `limit_us` (false). */
bool net_run(struct net *net, pump_fn pump, void *arg, uint64_t limit_us)
{
    for (;;) {
        enum pump_result r = pump ? pump(net, arg) : PUMP_IDLE;
        if (r == PUMP_DONE) return true;
        if (r == PUMP_PROGRESS) continue;
        if (net->now > limit_us) return false;
        if (!net_step(net)) return pump ? pump(net, arg) == PUMP_DONE : true;
    }
}

/* Run until nothing at all is pending (every timer idle, the link empty) or limit_us. */
void net_drain(struct net *net, uint64_t limit_us)
{
    while (net->now <= limit_us && net_step(net)) {
    }
}

/* ---- connection setup ---- */

enum pump_result pump_accept(struct net *net, void *arg)
{
    struct accept_wait *w = arg;
    if (w->sfd < 0) {
        int fd = tcpfsm_accept(net->n[1].st, w->lfd, NULL, NULL);
        if (fd >= 0) {
            w->sfd = fd;
            return PUMP_PROGRESS;
        }
        rt_require(fd == -EAGAIN);
    }
    int pc = tcpfsm_poll(net->n[0].st, w->cfd);
    rt_require(!(pc & TCPFSM_POLLERR));
    return w->sfd >= 0 && (pc & TCPFSM_POLLOUT) ? PUMP_DONE : PUMP_IDLE;
}

int listen_on(struct tcpfsm_stack *st, uint16_t port, int backlog)
{
    int lfd = tcpfsm_socket(st);
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(tcpfsm_bind(st, lfd, 0, port), 0);
    ck_assert_int_eq(tcpfsm_listen(st, lfd, backlog), 0);
    return lfd;
}

/* A listener on the server's port 80 and one established connection to it. */
void net_connect(struct net *net, int *lfd, int *cfd, int *sfd)
{
    struct accept_wait w = {.lfd = listen_on(net->n[1].st, 80, 8), .sfd = -1};
    w.cfd = tcpfsm_socket(net->n[0].st);
    ck_assert_int_ge(w.cfd, 0);
    ck_assert_int_eq(tcpfsm_connect(net->n[0].st, w.cfd, SRV_ADDR, 80), -EINPROGRESS);
    ck_assert(net_run(net, pump_accept, &w, net->now + 60000000)); /* lossy links: 60 s */
    *lfd = w.lfd;
    *cfd = w.cfd;
    *sfd = w.sfd;
}

const char *fd_state(struct tcpfsm_stack *st, int fd)
{
    struct tcpfsm_info info;
    if (tcpfsm_get_info(st, fd, &info) != 0) return "(none)";
    return info.state;
}

/* Number of ss lines (connections and listeners) of a stack, without the header. */
int ss_count(struct tcpfsm_stack *st, const char *state)
{
    static char buf[16384];
    tcpfsm_ss(st, buf, sizeof buf);
    int n = 0;
    char *line = strchr(buf, '\n');
    while (line && line[1]) {
        line++;
        if (!state || strncmp(line, state, strlen(state)) == 0) n++;
        line = strchr(line, '\n');
    }
    return n;
}

/* ---- streams: one endpoint's sending and receiving side ---- */

bool end_pump(struct stream_end *e)
{
    bool progress = false;
    if (e->closed) return false;
    if (e->tx && e->sent < e->txlen) {
        long r = tcpfsm_send(e->st, e->fd, e->tx + e->sent, e->txlen - e->sent);
        if (r > 0) {
            e->sent += (size_t)r;
            progress = true;
        } else if (r != -EAGAIN && !e->err)
            e->err = r;
    }
    if (e->sent == e->txlen && !e->shut && e->close_after_send != CLOSE_NONE) {
        e->shut = true;
        progress = true;
        if (e->close_after_send == CLOSE_SHUT_WR) {
            rt_require(tcpfsm_shutdown(e->st, e->fd, TCPFSM_SHUT_WR) == 0);
        } else {
            rt_require(tcpfsm_close(e->st, e->fd) == 0);
            e->closed = true;
            return true;
        }
    }
    while (!e->eof) {
        uint8_t scratch[4096];
        uint8_t *dst = e->rx ? e->rx + e->got : scratch;
        size_t room = e->rx ? e->rxcap - e->got : sizeof scratch;
        if (!room) {
            dst = scratch;
            room = sizeof scratch;
        } /* overflow: counted, checked */
        long r = tcpfsm_recv(e->st, e->fd, dst, room);
        if (r > 0) {
            e->got += (size_t)r;
            progress = true;
            continue;
        }
        if (r == 0) {
            e->eof = true;
            progress = true;
        } else if (r != -EAGAIN && !e->err)
            e->err = r;
        break;
    }
    if (e->eof && e->close_on_eof && !e->closed && e->sent == e->txlen) {
        rt_require(tcpfsm_close(e->st, e->fd) == 0);
        e->closed = true;
        progress = true;
    }
    return progress;
}

bool end_done(const struct stream_end *e, bool want_eof)
{
    return e->sent == e->txlen && (!want_eof || e->eof || e->closed);
}

uint8_t *random_bytes(uint64_t seed, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    rt_fill_random(&seed, p, n);
    return p;
}

void get_stats(struct net *net, int i, struct tcpfsm_stats *s)
{
    tcpfsm_get_stats(net->n[i].st, s);
}
