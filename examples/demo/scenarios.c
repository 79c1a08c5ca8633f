/*
 * scenarios.c — the lessons of tcpfsm-demo --scenario (see scenarios.h). Each one sets up its
 * hosts, makes the socket calls a program would make, runs the virtual clock, takes the `ss`
 * listings that matter, and checks that what it teaches did happen. A lesson that waits for a
 * connection or for data waits as a program does: the socket is in its stack's interest set
 * while it waits, and accept() or recv() is called when the set reports it; one-off checks of
 * a state use tcpfsm_poll().
 */
#include "scenarios.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CLI_ADDR 0x0a000001u  /* 10.0.0.1 */
#define SRV_ADDR 0x0a000002u  /* 10.0.0.2 */
#define EVIL_ADDR 0x0a000042u /* 10.0.0.66 */
#define CPORT 40000
#define SPORT 80
#define MS 1000u
#define SEC 1000000u

/* ---------------------------------------------------------------- helpers */

struct pair {
    int cli, srv;      /* host indexes */
    int lfd, cfd, sfd; /* listener, client's and server's connected descriptors */
};

static struct tcpfsm_stack *st_of(struct dw *w, int host)
{
    return w->h[host].st;
}

/* client 10.0.0.1 first, then server 10.0.0.2; scfg (may be NULL) configures the server */
static bool two_hosts(struct dw *w, struct pair *p, const char *cname, const char *sname,
                      const struct tcpfsm_config *scfg)
{
    p->cli = dw_add_host(w, cname, CLI_ADDR, NULL, false);
    p->srv = dw_add_host(w, sname, SRV_ADDR, scfg, false);
    p->lfd = p->cfd = p->sfd = -1;
    return dw_check(w, p->cli >= 0 && p->srv >= 0, "cannot create the hosts");
}

struct wait_step {
    int host;
    const char *from, *event, *to;
    int n;
};

static bool step_seen(struct dw *w, void *arg)
{
    const struct wait_step *s = arg;
    return dw_count(w, s->host, s->from, s->event, s->to) >= s->n;
}

/* Run until host has made n transitions that match (NULL matches any), at most us. */
static bool wait_n(struct dw *w, int host, const char *from, const char *event, const char *to,
                   int n, uint64_t us)
{
    struct wait_step s = {host, from, event, to, n};
    return dw_check(w, dw_run_until(w, step_seen, &s, us), "%s: no %s --%s--> %s within %llu ms",
                    w->h[host].name, from ? from : "*", event ? event : "*", to ? to : "*",
                    (unsigned long long)(us / MS));
}

/* Run until host makes one more transition that matches, at most us. */
static bool wait_for(struct dw *w, int host, const char *from, const char *event, const char *to,
                     uint64_t us)
{
    return wait_n(w, host, from, event, to, dw_count(w, host, from, event, to) + 1, us);
}

/* fd in st's interest set (level-triggered) for as long as a lesson waits on it */
static bool watch(struct dw *w, int host, int fd, uint32_t events)
{
    struct tcpfsm_event ev = {.events = events, .data = (uint64_t)fd};
    int r = tcpfsm_epoll_ctl(st_of(w, host), TCPFSM_EPOLL_CTL_ADD, fd, &ev);
    return dw_check(w, r == 0, "%s: epoll_ctl(ADD, %d) = %d", w->h[host].name, fd, r);
}

static void unwatch(struct tcpfsm_stack *st, int fd)
{
    tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_DEL, fd, NULL);
}

/* Whether the interest set (one descriptor in it) reports news. */
static bool news(struct tcpfsm_stack *st)
{
    struct tcpfsm_event ev;
    return tcpfsm_epoll_wait(st, &ev, 1) > 0;
}

struct acc {
    struct tcpfsm_stack *st;
    int lfd, fd;
};

static bool accepted(struct dw *w, void *arg)
{
    (void)w;
    struct acc *a = arg;
    if (a->fd < 0 && news(a->st)) a->fd = tcpfsm_accept(a->st, a->lfd, NULL, NULL);
    return a->fd >= 0;
}

static int accept_one(struct dw *w, int host, int lfd)
{
    struct acc a = {st_of(w, host), lfd, -1};
    if (!watch(w, host, lfd, TCPFSM_POLLIN)) return -1;
    bool ok = dw_run_until(w, accepted, &a, 5 * SEC);
    unwatch(a.st, lfd);
    if (!dw_check(w, ok, "%s: nothing to accept", w->h[host].name)) return -1;
    uint32_t ra;
    uint16_t rp;
    char s[16];
    tcpfsm_getname(a.st, a.fd, NULL, NULL, &ra, &rp);
    dw_note(w, "%s: accept() = a new descriptor for %s:%u", w->h[host].name, dw_ntoa(ra, s), rp);
    return a.fd;
}

struct rd {
    struct tcpfsm_stack *st;
    int fd;
    char *buf;
    size_t cap, got, want;
    bool eof;
    long err;
};

static bool read_done(struct dw *w, void *arg)
{
    (void)w;
    struct rd *r = arg;
    bool told = news(r->st);
    while (told && !r->eof && !r->err && r->got < r->cap) {
        long n = tcpfsm_recv(r->st, r->fd, r->buf + r->got, r->cap - r->got);
        if (n == -EAGAIN) break;
        if (n < 0)
            r->err = n;
        else if (n == 0)
            r->eof = true;
        else
            r->got += (size_t)n;
    }
    return r->eof || r->err || (r->want && r->got >= r->want);
}

/* Read until `want` bytes (0: until EOF) or an error; the text is noted in the trace. Returns
 * the bytes read; *eof says whether the peer's FIN was reached. */
static size_t read_text(struct dw *w, int host, int fd, char *buf, size_t cap, size_t want,
                        bool *eof)
{
    struct rd r = {st_of(w, host), fd, buf, cap - 1, 0, want, false, 0};
    if (watch(w, host, fd, TCPFSM_POLLIN | TCPFSM_POLLRDHUP)) {
        dw_run_until(w, read_done, &r, 120 * SEC);
        unwatch(r.st, fd);
    }
    buf[r.got] = '\0';
    char shown[160];
    size_t k = 0;
    for (size_t i = 0; i < r.got && k + 3 < sizeof shown; i++) {
        if (buf[i] == '\n') {
            shown[k++] = '\\';
            shown[k++] = 'n';
        } else if (buf[i] == '\r') {
            shown[k++] = '\\';
            shown[k++] = 'r';
        } else {
            shown[k++] = buf[i];
        }
    }
    shown[k] = '\0';
    if (r.got)
        dw_note(w, "%s: recv() = %zu bytes \"%s\"%s", w->h[host].name, r.got, shown,
                r.eof ? ", then 0 (end of stream: the peer's FIN)" : "");
    else if (r.eof)
        dw_note(w, "%s: recv() = 0 (end of stream: the peer's FIN)", w->h[host].name);
    if (eof) *eof = r.eof;
    return r.got;
}

static void send_text(struct dw *w, int host, int fd, const char *text)
{
    long n = tcpfsm_send(st_of(w, host), fd, text, strlen(text));
    dw_check(w, n == (long)strlen(text), "%s: send() = %ld", w->h[host].name, n);
}

/* listen on 80, connect from 40000, accept: the handshake every scenario starts with */
static bool connect_pair(struct dw *w, struct pair *p, uint16_t cport, bool quiet)
{
    if (p->lfd < 0) p->lfd = dw_listen_on(w, p->srv, SPORT, 8, false);
    if (!dw_check(w, p->lfd >= 0, "listen failed")) return false;
    if (!quiet) dw_listing(w, p->srv, "the server listens", false);
    p->cfd = dw_connect(w, p->cli, cport, SRV_ADDR, SPORT);
    if (!dw_check(w, p->cfd >= 0, "connect failed")) return false;
    p->sfd = accept_one(w, p->srv, p->lfd);
    return p->sfd >= 0 && dw_check(w, tcpfsm_poll(st_of(w, p->cli), p->cfd) & TCPFSM_POLLOUT,
                                   "the client's connect did not complete");
}

static bool expect(struct dw *w, int host, const char *from, const char *event, const char *to)
{
    return dw_check(w, dw_count(w, host, from, event, to) > 0, "%s never went %s --%s--> %s",
                    w->h[host].name, from, event ? event : "*", to);
}

static void census_note(struct dw *w, int host)
{
    struct tcpfsm_sockstat s;
    tcpfsm_sockstat(st_of(w, host), &s);
    dw_note(w, "%s: census: inuse %u orphan %u tw %u alloc %u synrecv %u", w->h[host].name, s.inuse,
            s.orphan, s.tw, s.alloc, s.synrecv);
}

/* ---------------------------------------------------------------- handshake */

static void run_handshake(struct dw *w)
{
    struct pair p;
    if (!two_hosts(w, &p, "client", "server", NULL)) return;
    if (!connect_pair(w, &p, CPORT, false)) return;
    dw_listing(w, p.cli, "after the handshake: the call is connected", false);
    dw_listing(w, p.srv, "after the handshake: the listener and the new connection", true);
    char buf[256];
    send_text(w, p.cli, p.cfd, "Hello, is this the server?\n");
    read_text(w, p.srv, p.sfd, buf, sizeof buf, 27, NULL);
    send_text(w, p.srv, p.sfd, "Yes, speaking.\n");
    read_text(w, p.cli, p.cfd, buf, sizeof buf, 15, NULL);
    dw_run_for(w, 100 * MS);
    dw_note(w, "client hangs up first");
    dw_close(w, p.cli, p.cfd);
    bool eof = false;
    read_text(w, p.srv, p.sfd, buf, sizeof buf, 0, &eof);
    dw_check(w, eof, "the server did not see the client's FIN");
    wait_for(w, p.cli, "FIN_WAIT_1", "RCV_ACK", "FIN_WAIT_2", 1 * SEC);
    dw_listing(w, p.cli, "the caller said goodbye and heard it acknowledged", false);
    dw_listing(w, p.srv, "the server has not said goodbye yet", false);
    dw_run_for(w, 100 * MS);
    dw_note(w, "server says goodbye too");
    dw_close(w, p.srv, p.sfd);
    wait_for(w, p.srv, "LAST_ACK", NULL, "CLOSED", 1 * SEC);
    dw_listing(w, p.cli, "the side that closed first waits in TIME_WAIT for 2 MSL", true);
    dw_listing(w, p.srv, "the side that closed second is gone", true);
    wait_for(w, p.cli, "TIME_WAIT", "T_2MSL", "CLOSED", 61 * SEC);
    dw_listing(w, p.cli, "2 MSL (60 s) later", true);
    expect(w, p.cli, "CLOSED", "APP_CONNECT", "SYN_SENT");
    expect(w, p.srv, "LISTEN", "RCV_SYN", "LISTEN");
    expect(w, p.srv, "CLOSED", "SPAWN_SYN", "SYN_RCVD");
    expect(w, p.cli, "SYN_SENT", "RCV_SYN_ACK", "ESTABLISHED");
    expect(w, p.srv, "SYN_RCVD", "RCV_ACK", "ESTABLISHED");
    expect(w, p.cli, "ESTABLISHED", "APP_CLOSE", "FIN_WAIT_1");
    expect(w, p.srv, "ESTABLISHED", "RCV_FIN", "CLOSE_WAIT");
    expect(w, p.srv, "CLOSE_WAIT", "APP_CLOSE", "LAST_ACK");
    expect(w, p.cli, "FIN_WAIT_2", "RCV_FIN", "TIME_WAIT");
}

/* ---------------------------------------------------------------- simultaneous open */

static void run_simultaneous_open(struct dw *w)
{
    struct pair p;
    if (!two_hosts(w, &p, "alice", "bob", NULL)) return;
    dw_note(w, "both call each other at the same instant, each from the port the other calls");
    int a = dw_connect(w, p.cli, CPORT, SRV_ADDR, CPORT + 1);
    int b = dw_connect(w, p.srv, CPORT + 1, CLI_ADDR, CPORT);
    if (!dw_check(w, a >= 0 && b >= 0, "connect failed")) return;
    wait_n(w, p.cli, "SYN_RCVD", NULL, "ESTABLISHED", 1, 5 * SEC);
    wait_n(w, p.srv, "SYN_RCVD", NULL, "ESTABLISHED", 1, 5 * SEC);
    dw_listing(w, p.cli, "one connection, no listener, no server", false);
    dw_listing(w, p.srv, "the same connection from the other end", false);
    for (int h = 0; h < 2; h++) {
        expect(w, h, "CLOSED", "APP_CONNECT", "SYN_SENT");
        expect(w, h, "SYN_SENT", "RCV_SYN", "SYN_RCVD");
        expect(w, h, "SYN_RCVD", NULL, "ESTABLISHED");
        dw_check(w, dw_count(w, h, "LISTEN", NULL, NULL) == 0, "a LISTEN state appeared");
    }
    dw_check(w,
             (tcpfsm_poll(st_of(w, p.cli), a) & TCPFSM_POLLOUT) &&
                 (tcpfsm_poll(st_of(w, p.srv), b) & TCPFSM_POLLOUT),
             "the connects did not complete");
}

/* ---------------------------------------------------------------- simultaneous close */

static void run_simultaneous_close(struct dw *w)
{
    struct pair p;
    if (!two_hosts(w, &p, "client", "server", NULL)) return;
    if (!connect_pair(w, &p, CPORT, true)) return;
    dw_run_for(w, 100 * MS);
    dw_note(w, "both hang up at the same instant: the FINs cross");
    dw_close(w, p.cli, p.cfd);
    dw_close(w, p.srv, p.sfd);
    wait_n(w, p.cli, "CLOSING", NULL, "TIME_WAIT", 1, 1 * SEC);
    wait_n(w, p.srv, "CLOSING", NULL, "TIME_WAIT", 1, 1 * SEC);
    dw_listing(w, p.cli, "both ends closed first: both wait", true);
    dw_listing(w, p.srv, "both ends closed first: both wait", true);
    for (int h = 0; h < 2; h++) {
        expect(w, h, "ESTABLISHED", "APP_CLOSE", "FIN_WAIT_1");
        expect(w, h, "FIN_WAIT_1", "RCV_FIN", "CLOSING");
        expect(w, h, "CLOSING", "RCV_ACK", "TIME_WAIT");
        struct tcpfsm_sockstat s;
        tcpfsm_sockstat(st_of(w, h), &s);
        dw_check(w, s.tw == 1, "%s: tw %u, want 1", w->h[h].name, s.tw);
    }
}

/* ---------------------------------------------------------------- RST on a closed port */

static void run_rst(struct dw *w)
{
    struct pair p;
    if (!two_hosts(w, &p, "client", "server", NULL)) return;
    p.lfd = dw_listen_on(w, p.srv, SPORT, 8, false);
    dw_listing(w, p.srv, "port 80 listens, port 81 does not", false);
    int c = dw_connect(w, p.cli, CPORT, SRV_ADDR, 81);
    if (!dw_check(w, c >= 0, "connect failed")) return;
    wait_for(w, p.cli, "SYN_SENT", "RCV_RST", "CLOSED", 5 * SEC);
    int e = tcpfsm_error(st_of(w, p.cli), c);
    dw_note(w, "client: the connect() fails: SO_ERROR = %s",
            e == -ECONNREFUSED ? "ECONNREFUSED (Connection refused)" : "something else");
    dw_check(w, e == -ECONNREFUSED, "the error is %d, not -ECONNREFUSED", e);
    struct tcpfsm_stats s;
    tcpfsm_get_stats(st_of(w, p.srv), &s);
    dw_note(w,
            "server: InNoSocket %llu OutRsts %llu (no TCB, so no transition: the RST is "
            "the answer of CLOSED itself)",
            (unsigned long long)s.InNoSocket, (unsigned long long)s.OutRsts);
    dw_check(w, s.InNoSocket == 1 && s.OutRsts == 1,
             "server counters: InNoSocket %llu OutRsts %llu", (unsigned long long)s.InNoSocket,
             (unsigned long long)s.OutRsts);
    dw_check(w, dw_count(w, p.srv, NULL, NULL, NULL) == 1, "the server made a transition");
    const struct dw_pkt *rst = w->npkts >= 2 ? &w->pkts[1] : NULL;
    dw_check(w, rst && (rst->flags & TCPFSM_TH_RST) && rst->rack == 1,
             "frame #2 is not a RST acknowledging the SYN");
    tcpfsm_close(st_of(w, p.cli), c);
}

/* ---------------------------------------------------------------- half-close */

static void run_half_close(struct dw *w)
{
    struct pair p;
    if (!two_hosts(w, &p, "client", "server", NULL)) return;
    if (!connect_pair(w, &p, CPORT, true)) return;
    char buf[256];
    send_text(w, p.cli, p.cfd, "send me three lines\n");
    dw_note(w, "client: done sending, but still listening");
    dw_shutdown_wr(w, p.cli, p.cfd);
    bool eof = false;
    read_text(w, p.srv, p.sfd, buf, sizeof buf, 0, &eof);
    dw_check(w, eof, "the server did not see the client's FIN");
    wait_for(w, p.cli, "FIN_WAIT_1", "RCV_ACK", "FIN_WAIT_2", 1 * SEC);
    uint64_t half = w->now;
    static const char *const lines[] = {"one\n", "two\n", "three\n"};
    for (int i = 0; i < 3; i++) {
        send_text(w, p.srv, p.sfd, lines[i]);
        dw_run_for(w, 50 * MS);
        if (i == 0) {
            dw_listing(w, p.cli, "half-closed: FIN sent, data still coming in", false);
            dw_listing(w, p.srv, "half-closed: FIN received, still sending", false);
        }
    }
    dw_close(w, p.srv, p.sfd);
    size_t n = read_text(w, p.cli, p.cfd, buf, sizeof buf, 0, &eof);
    dw_check(w, eof && n == 14 && !strcmp(buf, "one\ntwo\nthree\n"),
             "the client did not read the three lines and the FIN");
    const struct dw_step *last_data = NULL;
    for (size_t i = 0; i < w->nsteps; i++)
        if (w->steps[i].host == p.cli && !strcmp(w->steps[i].event, "RCV_DATA"))
            last_data = &w->steps[i];
    dw_check(w, last_data && last_data->t_us > half && !strcmp(last_data->from, "FIN_WAIT_2"),
             "no data arrived in FIN_WAIT_2");
    dw_close(w, p.cli, p.cfd);
    wait_for(w, p.srv, "LAST_ACK", NULL, "CLOSED", 1 * SEC);
    expect(w, p.cli, "ESTABLISHED", "APP_CLOSE", "FIN_WAIT_1");
    expect(w, p.cli, "FIN_WAIT_2", "RCV_DATA", "FIN_WAIT_2");
    expect(w, p.srv, "ESTABLISHED", "RCV_FIN", "CLOSE_WAIT");
    expect(w, p.cli, "FIN_WAIT_2", "RCV_FIN", "TIME_WAIT");
}

/* ---------------------------------------------------------------- TIME_WAIT on the server */

/* An HTTP/1.0 exchange in which the server closes first, so its end of the connection waits
 * in TIME_WAIT. */
static bool server_closes_first(struct dw *w, struct pair *p)
{
    if (!connect_pair(w, p, CPORT, true)) return false;
    char buf[256];
    bool eof = false;
    send_text(w, p->cli, p->cfd, "GET / HTTP/1.0\r\n\r\n");
    read_text(w, p->srv, p->sfd, buf, sizeof buf, 18, NULL);
    send_text(w, p->srv, p->sfd, "HTTP/1.0 200 OK\r\n\r\nhello\n");
    dw_note(w, "server: HTTP/1.0, so the server closes first");
    dw_close(w, p->srv, p->sfd);
    read_text(w, p->cli, p->cfd, buf, sizeof buf, 0, &eof);
    dw_close(w, p->cli, p->cfd);
    return wait_for(w, p->srv, "FIN_WAIT_2", "RCV_FIN", "TIME_WAIT", 1 * SEC) &&
           wait_for(w, p->cli, "LAST_ACK", NULL, "CLOSED", 1 * SEC);
}

static void run_time_wait(struct dw *w)
{
    struct pair p;
    if (!two_hosts(w, &p, "client", "server", NULL)) return;
    if (!server_closes_first(w, &p)) return;
    dw_note(w, "the server program exits (its listener closes) and is started again");
    dw_close(w, p.srv, p.lfd);
    dw_listing(w, p.srv, "no listener, but the old connection still holds port 80", true);
    int l = dw_listen_on(w, p.srv, SPORT, 8, false);
    dw_check(w, l == -EADDRINUSE, "bind during TIME_WAIT gave %d, not -EADDRINUSE", l);
    wait_for(w, p.srv, "TIME_WAIT", "T_2MSL", "CLOSED", 61 * SEC);
    dw_listing(w, p.srv, "2 MSL later the port is free", true);
    l = dw_listen_on(w, p.srv, SPORT, 8, false);
    dw_check(w, l >= 0, "bind after TIME_WAIT gave %d", l);
    expect(w, p.srv, "ESTABLISHED", "APP_CLOSE", "FIN_WAIT_1");
    expect(w, p.srv, "FIN_WAIT_2", "RCV_FIN", "TIME_WAIT");
}

static void run_reuseaddr(struct dw *w)
{
    struct pair p;
    if (!two_hosts(w, &p, "client", "server", NULL)) return;
    if (!server_closes_first(w, &p)) return;
    dw_note(w, "the server program exits and is started again, with SO_REUSEADDR this time");
    dw_close(w, p.srv, p.lfd);
    p.lfd = dw_listen_on(w, p.srv, SPORT, 8, true);
    if (!dw_check(w, p.lfd >= 0, "bind with SO_REUSEADDR during TIME_WAIT gave %d", p.lfd)) return;
    dw_note(w, "a new call comes in (from another port) while the old one is in TIME_WAIT");
    if (!connect_pair(w, &p, CPORT + 1, true)) return;
    dw_listing(w, p.srv, "serving again, the old connection still in TIME_WAIT", true);
    struct tcpfsm_sockstat s;
    tcpfsm_sockstat(st_of(w, p.srv), &s);
    dw_check(w, s.tw == 1, "tw %u, want 1", s.tw);
    expect(w, p.srv, "CLOSED", "SPAWN_SYN", "SYN_RCVD");
}

/* ---------------------------------------------------------------- RFC 6191 */

static void run_time_wait_reuse(struct dw *w)
{
    struct pair p;
    if (!two_hosts(w, &p, "client", "server", NULL)) return;
    if (!server_closes_first(w, &p)) return;
    dw_run_for(w, 1 * SEC);
    dw_listing(w, p.srv, "the old connection in TIME_WAIT", true);
    dw_note(w, "the client calls again from the same port 40000: the same 4-tuple");
    if (!connect_pair(w, &p, CPORT, true)) return;
    dw_listing(w, p.srv, "a new connection on the old 4-tuple, TIME_WAIT gone", true);
    expect(w, p.srv, "TIME_WAIT", NULL, "CLOSED");
    const struct dw_step *re = dw_find(w, p.srv, "TIME_WAIT", NULL, "CLOSED");
    dw_check(w, re && re->frame && (re->flags & TCPFSM_TH_SYN), "TIME_WAIT did not end on a SYN");
    /* the absolute numbers the relative ones hide: the new ISS is past the old SND.NXT */
    const struct dw_pkt *old_fin = NULL, *new_synack = NULL;
    for (size_t k = 0; k < w->npkts; k++) {
        const struct dw_pkt *q = &w->pkts[k];
        if (q->saddr != SRV_ADDR) continue;
        if ((q->flags & TCPFSM_TH_FIN) && !new_synack) old_fin = q;
        if ((q->flags & TCPFSM_TH_SYN) && old_fin) new_synack = q;
    }
    if (dw_check(w, old_fin && new_synack, "no FIN or no second SYN-ACK from the server")) {
        uint32_t old_nxt = old_fin->seq + 1;
        dw_note(w, "server: the old connection ended at SND.NXT %u; the new ISS is %u = %u + 65537",
                old_nxt, new_synack->seq, old_nxt);
        dw_check(w, new_synack->seq == old_nxt + 65537u, "the new ISS is not SND.NXT + 2^16 + 1");
    }
    struct tcpfsm_stats s;
    tcpfsm_get_stats(st_of(w, p.srv), &s);
    dw_note(w, "server: TimeWaitRecycled %llu", (unsigned long long)s.TimeWaitRecycled);
    dw_check(w, s.TimeWaitRecycled == 1, "TimeWaitRecycled %llu",
             (unsigned long long)s.TimeWaitRecycled);
    dw_check(w, dw_count(w, p.srv, "CLOSED", "SPAWN_SYN", "SYN_RCVD") == 2,
             "the listener did not take the second SYN");
}

/* ---------------------------------------------------------------- retransmission */

struct lose_rule {
    int syn_left, data_left; /* client SYNs and data segments still to lose */
};

static bool lose_some(void *arg, const struct dw_pkt *p)
{
    struct lose_rule *r = arg;
    if (p->saddr != CLI_ADDR || !p->tcp) return false;
    if ((p->flags & TCPFSM_TH_SYN) && r->syn_left > 0) return r->syn_left--, true;
    if (p->len > 0 && r->data_left > 0) return r->data_left--, true;
    return false;
}

static void run_retransmit(struct dw *w)
{
    struct pair p;
    struct lose_rule rule = {1, 2};
    w->lose = lose_some;
    w->lose_arg = &rule;
    if (!two_hosts(w, &p, "client", "server", NULL)) return;
    dw_note(w, "the link will lose the client's first SYN, and its first data segment twice");
    if (!connect_pair(w, &p, CPORT, true)) return;
    struct tcpfsm_info i;
    tcpfsm_get_info(st_of(w, p.cli), p.cfd, &i);
    dw_note(w,
            "client: connected; RTO %.0f ms: no RTT sample from a SYN sent twice (Karn), and "
            "RFC 6298 5.7 makes it 3 s after a lost SYN",
            i.rto_us / 1000.0);
    char buf[64];
    send_text(w, p.cli, p.cfd, "are you there?\n");
    read_text(w, p.srv, p.sfd, buf, sizeof buf, 15, NULL);
    uint64_t t[3];
    int n = 0;
    for (size_t k = 0; k < w->npkts && n < 3; k++)
        if (w->pkts[k].saddr == CLI_ADDR && w->pkts[k].len > 0) t[n++] = w->pkts[k].t_us;
    if (!dw_check(w, n == 3, "%d copies of the data segment, want 3", n)) return;
    dw_note(w,
            "the data went at %.0f ms, again %.0f ms later, again %.0f ms later: the RTO "
            "doubles (RFC 6298 5.5)",
            t[0] / 1000.0, (t[1] - t[0]) / 1000.0, (t[2] - t[1]) / 1000.0);
    dw_check(w, t[2] - t[1] == 2 * (t[1] - t[0]), "the RTO did not double");
    const struct dw_step *syn_rtx = dw_find(w, p.cli, "SYN_SENT", "T_RTX", "SYN_SENT");
    dw_check(w, syn_rtx && syn_rtx->t_us == 1 * SEC, "the SYN was not sent again after 1 s");
    dw_check(w, dw_count(w, p.cli, "ESTABLISHED", "T_RTX", "ESTABLISHED") == 2,
             "two retransmission timeouts expected in ESTABLISHED");
    struct tcpfsm_stats s;
    tcpfsm_get_stats(st_of(w, p.cli), &s);
    dw_note(w, "client: RetransSegs %llu", (unsigned long long)s.RetransSegs);
    dw_check(w, s.RetransSegs == 3, "RetransSegs %llu, want 3", (unsigned long long)s.RetransSegs);
}

/* ---------------------------------------------------------------- SYN flood */

static void run_syn_flood(struct dw *w)
{
    struct pair p;
    if (!two_hosts(w, &p, "client", "server", NULL)) return;
    int evil = dw_add_host(w, "attacker", EVIL_ADDR, NULL, true);
    if (!dw_check(w, evil >= 0, "cannot create the attacker")) return;
    p.lfd = dw_listen_on(w, p.srv, SPORT, 2, false);
    dw_note(w, "the listener's backlog is 2; the attacker sends 4 SYNs and never answers");
    for (uint16_t k = 0; k < 4; k++)
        dw_raw_send(w, evil, (uint16_t)(1001 + k), SRV_ADDR, SPORT, 1000000u * (k + 1u), 0,
                    TCPFSM_TH_SYN, 1024);
    dw_run_for(w, 20 * MS);
    dw_listing(w, p.srv, "the SYN queue is full of half-open connections", true);
    census_note(w, p.srv);
    dw_note(w, "a real client calls now");
    if (!connect_pair(w, &p, CPORT, true)) return;
    send_text(w, p.cli, p.cfd, "hi\n");
    char buf[16];
    read_text(w, p.srv, p.sfd, buf, sizeof buf, 3, NULL);
    dw_listing(w, p.srv, "the client got through on a SYN cookie", true);
    struct tcpfsm_stats s;
    tcpfsm_get_stats(st_of(w, p.srv), &s);
    dw_note(w, "server: SynCookiesSent %llu SynCookiesRecv %llu",
            (unsigned long long)s.SynCookiesSent, (unsigned long long)s.SynCookiesRecv);
    dw_check(w, s.SynCookiesSent == 3 && s.SynCookiesRecv == 1,
             "SynCookiesSent %llu SynCookiesRecv %llu", (unsigned long long)s.SynCookiesSent,
             (unsigned long long)s.SynCookiesRecv);
    expect(w, p.srv, "CLOSED", "SPAWN_COOKIE", "ESTABLISHED");
    dw_check(w, dw_count(w, p.srv, "CLOSED", "SPAWN_SYN", "SYN_RCVD") == 2,
             "two half-open connections expected");
}

/* ---------------------------------------------------------------- zero window */

static void run_zero_window(struct dw *w)
{
    struct pair p;
    struct tcpfsm_config scfg = {.rcvbuf = 4096, .flags = TCPFSM_F_NO_WSCALE};
    if (!two_hosts(w, &p, "client", "server", &scfg)) return;
    if (!connect_pair(w, &p, CPORT, true)) return;
    enum { TOTAL = 10000 };
    static char data[TOTAL];
    for (size_t k = 0; k < TOTAL; k++)
        data[k] = (char)('a' + k % 26);
    long sent = tcpfsm_send(st_of(w, p.cli), p.cfd, data, TOTAL);
    dw_note(w,
            "client: send(%d bytes) = %ld; the server's buffer holds 4096 and it does not "
            "read for 8 s",
            TOTAL, sent);
    dw_run_for(w, 8 * SEC);
    dw_listing(w, p.cli, "the client has bytes to send and a zero window", false);
    dw_listing(w, p.srv, "the server's receive queue is full", false);
    dw_note(w, "server: reads now");
    static char got[TOTAL + 1];
    size_t n = 0;
    while (n < (size_t)sent) {
        size_t k = read_text(w, p.srv, p.sfd, got + n, sizeof got - n, 1, NULL);
        if (!dw_check(w, k > 0, "the server read nothing")) return;
        n += k;
        if (n < (size_t)sent) dw_run_for(w, 1 * MS);
    }
    dw_check(w, n == (size_t)sent && !memcmp(got, data, n), "the bytes did not arrive intact");
    int zero = 0;
    for (size_t k = 0; k < w->npkts; k++)
        if (w->pkts[k].saddr == SRV_ADDR && w->pkts[k].wnd == 0) zero++;
    dw_check(w, zero > 0, "the server never advertised a zero window");
    int probes = dw_count(w, p.cli, "ESTABLISHED", "T_PERSIST", "ESTABLISHED");
    dw_note(w, "client: %d zero-window probes", probes);
    dw_check(w, probes >= 2, "%d probes, want at least 2", probes);
}

/* ---------------------------------------------------------------- the table */

const struct dw_scenario dw_scenarios[] = {
    {"handshake", "the phone call: three-way handshake, a question and an answer, four-way close",
     "The client dials (SYN), the server picks up and says so while asking back (SYN-ACK), the "
     "client confirms (ACK): three segments, and both ends are ESTABLISHED. The server's "
     "listener does not take the call itself: for the SYN it makes a new TCB, born CLOSED, that "
     "goes to SYN_RCVD (SPAWN_SYN), while LISTEN stays for the next caller; accept() hands that "
     "connection to the program. Each side then says goodbye on its own (FIN) and hears it "
     "acknowledged: the client, who hangs up first, passes FIN_WAIT_1 and FIN_WAIT_2, the "
     "server CLOSE_WAIT (it has read the end of the stream but not closed yet) and LAST_ACK. The "
     "side that closed first stays in TIME_WAIT for 2 MSL (60 s here), so that a late duplicate "
     "of this call cannot be taken for part of the next one, and so that it can answer the "
     "peer's FIN again if its last ACK was lost (RFC 9293 3.6.1). The census line is "
     "/proc/net/sockstat's: tw counts TIME_WAIT, which is not inuse.",
     run_handshake},
    {"simultaneous-open", "simultaneous open: both ends call at once, no one listens",
     "Both ends connect() to each other at the same instant, each from the port the other calls. "
     "The SYNs cross on the link: each end, in SYN_SENT, receives a SYN without an ACK, goes to "
     "SYN_RCVD and answers with a SYN-ACK (RFC 9293 3.10.7.3 fourth). The SYN-ACKs cross too. "
     "RFC 9293's Figure 7 lets each complete the other's handshake; the text of 3.10.7.4 first "
     "checks the sequence number, and a SYN-ACK whose SYN was already taken (its sequence "
     "number is before RCV.NXT) is unacceptable: it is answered with an ACK (SYN_RCVD on "
     "RCV_UNACCEPTABLE, send_ack), and those ACKs take both ends to ESTABLISHED. Six segments "
     "instead of three, one connection, and no LISTEN anywhere.",
     run_simultaneous_open},
    {"simultaneous-close", "simultaneous close: both FINs cross, both ends pass CLOSING",
     "Both ends close() at the same instant. Each is in FIN_WAIT_1 (its FIN not yet "
     "acknowledged) when the other's FIN arrives, so it goes to CLOSING and acknowledges it; when "
     "the acknowledgment of its own FIN arrives it enters TIME_WAIT (RFC 9293 3.6, Figure 13). "
     "Both closed first, so both wait out 2 MSL: the census counts one tw on each.",
     run_simultaneous_close},
    {"rst", "a call to a port where no one listens: RST, ECONNREFUSED",
     "The server listens on port 80; the client calls port 81. No TCB exists for that port, so "
     "the server's stack answers from the CLOSED state itself (RFC 9293 3.10.7.1): a RST that "
     "acknowledges the SYN (seq 0, ack = the SYN's seq + 1). The client's SYN_SENT accepts a RST "
     "that acknowledges its SYN and goes to CLOSED; connect() reports ECONNREFUSED. The server "
     "made no transition: it counts the segment in InNoSocket and the answer in OutRsts.",
     run_rst},
    {"half-close", "half-close: the client stops sending but keeps listening",
     "The client sends its request and then shutdown(SHUT_WR): a FIN that closes only its "
     "direction. It sits in FIN_WAIT_2 while the server, in CLOSE_WAIT (it has read the end of "
     "the request), still sends three lines, 50 ms apart, each one taken by the client's "
     "FIN_WAIT_2 (RCV_DATA). TCP's two directions close separately (RFC 9293 3.6: "
     "'CLOSE ... means I have no more to send'); the connection ends when the server closes "
     "too.",
     run_half_close},
    {"time-wait", "TIME_WAIT on the server, and 'Address already in use' when it restarts",
     "With HTTP/1.0 the server closes first, so its end of the connection, 10.0.0.2:80 to "
     "10.0.0.1:40000, waits in TIME_WAIT for 2 MSL. The server program then exits and starts "
     "again: its new socket's bind() to port 80 fails with EADDRINUSE, because a connection "
     "still uses the port, though nothing listens on it. After 2 MSL (60 s here; Linux waits a "
     "fixed 60 s) the record is gone and bind() succeeds. The next scenario, reuseaddr, shows "
     "the usual fix.",
     run_time_wait},
    {"reuseaddr", "the same restart with SO_REUSEADDR: bind succeeds during TIME_WAIT",
     "The same exchange as time-wait, but the restarted server sets SO_REUSEADDR "
     "(TCPFSM_OPT_REUSEADDR) before bind(): the bind succeeds although the old connection is "
     "still in TIME_WAIT, and a new call from another port is served at once. The old 4-tuple "
     "itself stays reserved until its 2 MSL are over; only the port is shared. This is why "
     "servers set SO_REUSEADDR.",
     run_reuseaddr},
    {"time-wait-reuse", "RFC 6191: a newer SYN on the same 4-tuple ends TIME_WAIT early",
     "The server closed first and holds 10.0.0.2:80 to 10.0.0.1:40000 in TIME_WAIT. One second "
     "later the client calls again from the same port. Its SYN is newer than anything of the "
     "old connection (its timestamp is larger: RFC 6191 2; without timestamps, its sequence "
     "number past the old RCV.NXT, RFC 1122 4.2.2.13), so TIME_WAIT gives way (syn_reopens, "
     "release, reopen) and the listener takes the SYN as a new connection. Here the SYN's "
     "sequence number falls outside the old receive window, so it arrives as RCV_UNACCEPTABLE; "
     "one row takes it and RCV_SYN alike. The server's new ISS is the old SND.NXT + 2^16 + 1, "
     "past every number the old connection used, so no old duplicate can pass for new data. "
     "Counted in TimeWaitRecycled.",
     run_time_wait_reuse},
    {"retransmit", "lost segments: the SYN and a data segment retransmitted, the RTO doubling",
     "The link loses the client's first SYN: after the initial RTO of 1 s (RFC 6298 2.1) the "
     "retransmission timer fires (SYN_SENT on T_RTX) and the SYN goes again. Because the "
     "handshake needed a retransmission, the RTO is 3 s once connected (RFC 6298 5.7). The "
     "first data segment is lost twice: the timer fires after 3 s and the segment goes again, "
     "and is lost; the RTO doubles (5.5), 6 s later it goes a third time and arrives. No state "
     "changes: every T_RTX is a row that stays in its state, retransmits and backs off.",
     run_retransmit},
    {"syn-flood", "a SYN flood answered by SYN cookies",
     "The listener's backlog is 2. An attacker at 10.0.0.66 sends four SYNs and never "
     "completes a handshake: the first two fill the SYN queue (two half-open connections, "
     "SYN_RCVD, kept as compact records: ss shows them, synrecv counts them); for the other two "
     "the listener keeps nothing and answers with a SYN cookie (RFC 4987 3.6): a SYN-ACK whose "
     "sequence number encodes the connection. The real client's SYN gets a cookie too; its ACK "
     "returns the cookie, the listener checks it and makes the connection at once, "
     "ESTABLISHED (SPAWN_COOKIE), without any SYN_RCVD in between.",
     run_syn_flood},
    {"zero-window", "a zero window and the probes that keep asking",
     "The server's receive buffer holds 4096 bytes and the program does not read: the window "
     "it advertises shrinks to 0. The client, with data left to send, arms the persist timer "
     "and sends zero-window probes (ESTABLISHED on T_PERSIST, send_probe: RFC 9293 3.8.6.1, "
     "RFC 1122 4.2.2.17), one octet each, at intervals that double; the server answers each with "
     "an ACK that still says win 0. When the server reads, its window opens and the rest of the "
     "data flows.",
     run_zero_window},
};
const unsigned dw_nscenarios = sizeof dw_scenarios / sizeof dw_scenarios[0];

const struct dw_scenario *dw_scenario_find(const char *name)
{
    for (unsigned i = 0; i < dw_nscenarios; i++)
        if (!strcmp(dw_scenarios[i].name, name)) return &dw_scenarios[i];
    return NULL;
}
