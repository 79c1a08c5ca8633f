/*
 * tcpfsm-demo — the `make demo` session and the lessons of the TCP state machine.
 *
 * Without --scenario: two libtcpfsm stacks in one process, joined by the in-memory link
 * (runtime/memlink.h) on a virtual clock. A client (10.0.0.1) fetches --bytes from an
 * HTTP-like server (10.0.0.2:80) (or, with --echo, sends them to an echo server and reads them
 * back), both close, and the program prints the connection tables (tcpfsm_ss) of both while
 * connected, right after the transfer and the server's again after TIME_WAIT, then every
 * counter. Exit status 0 only if the data arrived intact.
 *
 * With --scenario NAME: one lesson (examples/demo/scenarios.c), its trace, listings and
 * explanation; exit status 0 only if what it teaches happened.
 *
 * Both run on examples/demo/world.c, which numbers every packet as its capture frame and
 * ties every transition to the frame that caused it (--trace, --trace-json).
 *
 * The default session's two programs wait as servers do: each asks its stack's interest set
 * which of its sockets have news (tcpfsm_epoll_wait) after every event of the world, and
 * touches only those. The listener is level-triggered; the connections are edge-triggered
 * (each turn sends and reads until a call says -EAGAIN, so only what is new needs telling).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo/scenarios.h"
#include "demo/world.h"
#include "netio.h"

/* Scenarios' captures start at this fixed, documented instant, 2026-01-01T00:00:00Z, so that
 * two runs write the same bytes (the default run's start at the wall clock's now). */
#define DEMO_SCENARIO_EPOCH 1767225600u

struct demo {
    const char *prog;
    struct dw w;
    int srv, cli; /* host indexes */
    int echo;
    uint16_t port;
    size_t bytes;
    /* server */
    int lfd, sfd;
    char req[2048];
    size_t reqlen;
    int responding, srv_eof;
    char hdr[256];
    size_t hdr_len, hdr_off;
    size_t body_off;
    unsigned char ebuf[65536];
    size_t elen;
    /* client */
    int cfd, connected, sent_req, shut;
    size_t csent;
    char chdr[1024];
    size_t chdr_len;
    int hdr_done;
    size_t got;
    int bad, done;
};

static unsigned char pattern(size_t i)
{
    uint32_t x = (uint32_t)i * 2654435761u;
    return (unsigned char)((x >> 16) ^ (i & 0xff));
}

#define DEMO_CONN_EVENTS (TCPFSM_POLLIN | TCPFSM_POLLOUT | TCPFSM_POLLRDHUP | TCPFSM_EPOLLET)

/* The reports of st's interest set: whether one came for descriptor fd, and its events. */
static uint32_t reported(struct tcpfsm_stack *st, int fd, bool *got)
{
    struct tcpfsm_event ev[4];
    uint32_t m = 0;
    int n = tcpfsm_epoll_wait(st, ev, 4);
    *got = false;
    for (int i = 0; i < n; i++)
        if (ev[i].data == (uint64_t)fd) {
            *got = true;
            m |= ev[i].events;
        }
    return m;
}

static int server_step(struct demo *d)
{
    struct tcpfsm_stack *st = d->w.h[d->srv].st;
    bool news;
    if (d->sfd == -2) return NETIO_CONTINUE; /* closed */
    if (d->sfd < 0) {
        reported(st, d->lfd, &news);
        if (!news) return NETIO_CONTINUE;
        int fd = tcpfsm_accept(st, d->lfd, NULL, NULL);
        if (fd < 0) return NETIO_CONTINUE;
        d->sfd = fd;
        struct tcpfsm_event want = {.events = DEMO_CONN_EVENTS, .data = (uint64_t)fd};
        tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, fd, &want);
        dw_listing(&d->w, d->srv, "connected (accept() returned the connection)", false);
        /* on to the connection: what came with the handshake is taken now */
    } else {
        reported(st, d->sfd, &news);
        if (!news) return NETIO_CONTINUE;
    }
    if (d->echo) {
        for (;;) {
            while (d->elen) {
                long w = tcpfsm_send(st, d->sfd, d->ebuf, d->elen);
                if (w <= 0) break;
                memmove(d->ebuf, d->ebuf + w, d->elen - (size_t)w);
                d->elen -= (size_t)w;
            }
            if (d->srv_eof || d->elen == sizeof d->ebuf) break;
            long r = tcpfsm_recv(st, d->sfd, d->ebuf + d->elen, sizeof d->ebuf - d->elen);
            if (r == 0) d->srv_eof = 1;
            if (r <= 0) break;
            d->elen += (size_t)r;
        }
        if (d->srv_eof && !d->elen) {
            tcpfsm_close(st, d->sfd);
            d->sfd = -2;
        }
        return NETIO_CONTINUE;
    }
    while (!d->responding) {
        long r = tcpfsm_recv(st, d->sfd, d->req + d->reqlen, sizeof d->req - 1 - d->reqlen);
        if (r <= 0) {
            if (r == 0 || (r != -EAGAIN)) {
                tcpfsm_close(st, d->sfd);
                d->sfd = -2;
            }
            return NETIO_CONTINUE;
        }
        d->reqlen += (size_t)r;
        d->req[d->reqlen] = '\0';
        if (strstr(d->req, "\r\n\r\n")) {
            d->responding = 1;
            int n = snprintf(d->hdr, sizeof d->hdr,
                             "HTTP/1.1 200 OK\r\nServer: tcpfsm-demo\r\n"
                             "Content-Type: application/octet-stream\r\n"
                             "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                             d->bytes);
            d->hdr_len = (size_t)n;
        }
    }
    while (d->hdr_off < d->hdr_len) {
        long w = tcpfsm_send(st, d->sfd, d->hdr + d->hdr_off, d->hdr_len - d->hdr_off);
        if (w <= 0) return NETIO_CONTINUE;
        d->hdr_off += (size_t)w;
    }
    unsigned char buf[8192];
    while (d->body_off < d->bytes) {
        size_t n = d->bytes - d->body_off;
        if (n > sizeof buf) n = sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(d->body_off + i);
        long w = tcpfsm_send(st, d->sfd, buf, n);
        if (w <= 0) return NETIO_CONTINUE;
        d->body_off += (size_t)w;
    }
    /* everything queued: the server closes first (so it is the one in TIME_WAIT) */
    tcpfsm_close(st, d->sfd);
    d->sfd = -2;
    return NETIO_CONTINUE;
}

static int check_bytes(struct demo *d, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d->got + i >= d->bytes || p[i] != pattern(d->got + i)) {
            fprintf(stderr, "%s: byte %zu differs\n", d->prog, d->got + i);
            d->bad = 1;
            return -1;
        }
    d->got += n;
    return 0;
}

static int client_step(struct demo *d)
{
    struct tcpfsm_stack *st = d->w.h[d->cli].st;
    if (d->done) return NETIO_DONE;
    bool news;
    uint32_t ev = reported(st, d->cfd, &news);
    if (!news) return NETIO_CONTINUE;
    if (ev & TCPFSM_POLLERR) {
        int e = tcpfsm_error(st, d->cfd);
        fprintf(stderr, "%s: client: %s\n", d->prog, strerror(e ? -e : EIO));
        return NETIO_FAIL;
    }
    if (!d->connected) {
        if (!(ev & TCPFSM_POLLOUT)) return NETIO_CONTINUE;
        d->connected = 1;
        /* both ends while the connection is up: the listing the client side is for */
        dw_listing(&d->w, d->cli, "connected", false);
    }
    unsigned char buf[16384];
    if (d->echo) {
        while (d->csent < d->bytes) {
            size_t n = d->bytes - d->csent;
            if (n > sizeof buf) n = sizeof buf;
            for (size_t i = 0; i < n; i++)
                buf[i] = pattern(d->csent + i);
            long w = tcpfsm_send(st, d->cfd, buf, n);
            if (w <= 0) break;
            d->csent += (size_t)w;
        }
        if (d->csent == d->bytes && !d->shut) {
            tcpfsm_shutdown(st, d->cfd, TCPFSM_SHUT_WR);
            d->shut = 1;
        }
    } else if (!d->sent_req) {
        static const char q[] = "GET /data HTTP/1.1\r\nHost: 10.0.0.2\r\nConnection: close\r\n\r\n";
        if (tcpfsm_send(st, d->cfd, q, sizeof q - 1) != (long)(sizeof q - 1)) {
            fprintf(stderr, "%s: client: could not queue the request\n", d->prog);
            return NETIO_FAIL;
        }
        d->sent_req = 1;
    }
    for (;;) {
        long r = tcpfsm_recv(st, d->cfd, buf, sizeof buf);
        if (r == -EAGAIN) return NETIO_CONTINUE;
        if (r < 0) {
            fprintf(stderr, "%s: client recv: %s\n", d->prog, strerror((int)-r));
            return NETIO_FAIL;
        }
        if (r == 0) break;
        size_t off = 0;
        if (!d->echo && !d->hdr_done) {
            while (off < (size_t)r && !d->hdr_done) {
                if (d->chdr_len + 1 >= sizeof d->chdr) {
                    fprintf(stderr, "%s: client: response header too long\n", d->prog);
                    return NETIO_FAIL;
                }
                d->chdr[d->chdr_len++] = (char)buf[off++];
                d->chdr[d->chdr_len] = '\0';
                if (d->chdr_len >= 4 && !memcmp(d->chdr + d->chdr_len - 4, "\r\n\r\n", 4))
                    d->hdr_done = 1;
            }
            if (d->hdr_done && strncmp(d->chdr, "HTTP/1.1 200 ", 13) != 0) {
                fprintf(stderr, "%s: client: unexpected response\n", d->prog);
                return NETIO_FAIL;
            }
        }
        if (check_bytes(d, buf + off, (size_t)r - off) < 0) return NETIO_FAIL;
    }
    /* EOF: the server closed */
    tcpfsm_close(st, d->cfd);
    d->done = 1;
    if (d->got != d->bytes) {
        fprintf(stderr, "%s: client: EOF after %zu of %zu bytes\n", d->prog, d->got, d->bytes);
        d->bad = 1;
        return NETIO_FAIL;
    }
    return NETIO_DONE;
}

/* Steps after every event until the client is done, fails, or the clock reaches `until`
 * (NETIO_CONTINUE then; NETIO_STALLED if nothing can happen any more). */
static int run_steps(struct demo *d, uint64_t until, int with_client)
{
    for (;;) {
        server_step(d);
        if (with_client) {
            int r = client_step(d);
            if (r != NETIO_CONTINUE) return r;
        }
        if (!dw_step(&d->w, until)) return until == UINT64_MAX ? NETIO_STALLED : NETIO_CONTINUE;
    }
}

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [--bytes N] [--echo] [--delay-ms D] [--loss P] [OPTIONS]\n"
            "       %s --scenario NAME [--pcap FILE] [--trace-json FILE]\n"
            "       %s --list\n"
            "Two libtcpfsm stacks in one process on an in-memory link with a virtual clock:\n"
            "a client (10.0.0.1) fetches N bytes over HTTP from a server (10.0.0.2:80), both\n"
            "close, and the connection table and counters of both stacks are printed.\n"
            "With --scenario, one lesson of the TCP state machine instead (--list names them).\n"
            "  --scenario NAME  run one lesson: its time-stamped trace of packets and\n"
            "                 transitions, ss listings, census lines and explanation\n"
            "  --list         list the scenarios with a one-line title each\n"
            "  --trace-json FILE  write the packets, transitions and listings as JSON\n"
            "                 (format tcpfsm-trace, version 1; see tcpfsm-demo(1))\n"
            "  --epoch SEC    the capture's timestamp of virtual time 0, in seconds since\n"
            "                 1970 (default: now; scenarios 1767225600, 2026-01-01 UTC)\n"
            "  --bytes N      bytes to transfer (default 20000)\n"
            "  --echo         send the bytes to an echo server (port 7) and read them back\n"
            "  --delay-ms D   one-way link delay in milliseconds, 0..10000 (default 5)\n"
            "  --loss P       loss probability per packet and direction, 0..0.5 (default 0)\n"
            "  --trace        print every packet (#frame as in the capture, seq/ack relative\n"
            "                 to the ISNs) and every transition (with the frame that caused it)\n"
            "                 on stdout, each with its virtual time; scenarios always do\n"
            "  --pcap FILE    write the packets to FILE (open with Wireshark or tshark -r)\n"
            "  --seed N       PRNG seed (ISNs, ports, loss); runs replay exactly\n"
            "  --timeout SEC  give up after SEC seconds of virtual time\n"
            "  --addr A.B.C.D/NN  the server's address (default 10.0.0.2/24)\n"
            "  --ss           also print the server's and the client's connection tables and\n"
            "                 counters on stderr at exit\n"
            "  --mem          the in-memory link: the default and the only one (--tun, --setup\n"
            "                 and --kernel-addr are refused)\n"
            "  -v, --verbose  accepted as by the other tcpfsm programs; the demo prints the\n"
            "                 same either way\n"
            "  -h, --help     this text\n"
            "  --version      print the version and exit\n"
            "Exit status 0 only if the data arrived intact (a scenario: if what it teaches\n"
            "happened); 1 otherwise; 2 for an unknown scenario.\n",
            prog, prog, prog);
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The paragraph, wrapped at 92 columns. */
static void print_wrapped(FILE *f, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t n = strlen(p);
        if (n > 92) {
            n = 92;
            while (n > 0 && p[n] != ' ')
                n--;
            if (n == 0) n = strcspn(p, " ");
        }
        fprintf(f, "   %.*s\n", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
}

static void print_tables(struct dw *w, FILE *f)
{
    for (int i = 0; i < w->nh; i++) {
        if (!w->h[i].st) continue;
        char a[16];
        fprintf(f, "== connections, %s %s:\n", w->h[i].name, dw_ntoa(w->h[i].addr, a));
        netio_print_ss(w->h[i].st, f);
        fprintf(f, "== counters, %s %s:\n", w->h[i].name, a);
        netio_print_stats(w->h[i].st, f);
    }
}

static int run_scenario(const struct dw_scenario *sc, const struct dw_opts *wo, const char *json,
                        int ss)
{
    struct dw w;
    if (dw_init(&w, wo) < 0) return 1;
    printf("== scenario %s: %s\n", sc->name, sc->title);
    printf("   (virtual time; #N = frame N of the capture; seq/ack relative to each side's "
           "ISN; win = the window field as sent)\n");
    sc->run(&w);
    printf("== what happened:\n");
    print_wrapped(stdout, sc->explanation);
    int rc = w.failed ? 1 : 0;
    if (json && dw_write_json(&w, json, sc->name, sc->title, sc->explanation) < 0) rc = 1;
    if (ss) print_tables(&w, stderr);
    if (w.failed) printf("== %d check(s) FAILED (see stderr)\n", w.failed);
    if (dw_free(&w) < 0) rc = 1;
    if (wo->pcap && !rc) printf("== capture written to %s\n", wo->pcap);
    return rc;
}

static void link_stats(const struct dw *w, int from, int to, uint64_t *sent, uint64_t *deliv,
                       uint64_t *lost)
{
    *sent = *deliv = *lost = 0;
    for (size_t i = 0; i < w->npkts; i++) {
        const struct dw_pkt *p = &w->pkts[i];
        if (p->from != from || p->to != to) continue;
        (*sent)++;
        *deliv += p->delivered;
        *lost += p->lost;
    }
}

int main(int argc, char **argv)
{
    const char *prog = "tcpfsm-demo";
    struct netio_opts o;
    netio_opts_init(&o, prog);
    static struct demo d;
    d.prog = prog;
    d.bytes = 20000;
    double delay_ms = 5, loss = 0;
    const char *scenario = NULL, *json = NULL;
    int list = 0, epoch_set = 0, only_default = 0;
    uint64_t epoch_s = 0;
    for (int i = 1; i < argc; i++) {
        int r = netio_parse_opt(&o, argc, argv, &i);
        if (r < 0) return 1;
        if (r > 0) continue;
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout, prog);
            return 0;
        } else if (!strcmp(a, "--version")) {
            netio_version(stdout, prog);
            return 0;
        } else if (!strcmp(a, "--list")) {
            list = 1;
        } else if (!strcmp(a, "--scenario") && i + 1 < argc) {
            scenario = argv[++i];
        } else if (!strcmp(a, "--trace-json") && i + 1 < argc) {
            json = argv[++i];
        } else if (!strcmp(a, "--epoch") && i + 1 < argc) {
            char *end;
            epoch_s = strtoull(argv[++i], &end, 10);
            if (end == argv[i] || *end || epoch_s > 4000000000u) {
                fprintf(stderr, "%s: bad --epoch '%s' (seconds since 1970)\n", prog, argv[i]);
                return 1;
            }
            epoch_set = 1;
        } else if (!strcmp(a, "--bytes") && i + 1 < argc) {
            d.bytes = (size_t)strtoull(argv[++i], NULL, 10);
            only_default = 1;
        } else if (!strcmp(a, "--echo")) {
            d.echo = 1;
            only_default = 1;
        } else if (!strcmp(a, "--delay-ms") && i + 1 < argc) {
            delay_ms = strtod(argv[++i], NULL);
        } else if (!strcmp(a, "--loss") && i + 1 < argc) {
            loss = strtod(argv[++i], NULL);
            only_default = 1;
        } else {
            fprintf(stderr, "%s: unknown or incomplete option '%s' (try --help)\n", prog, a);
            return 1;
        }
    }
    if (list) {
        for (unsigned k = 0; k < dw_nscenarios; k++)
            printf("%-18s %s\n", dw_scenarios[k].name, dw_scenarios[k].title);
        return 0;
    }
    if (o.tun || o.tap || o.packet || o.kernel_prefix || o.setup || o.offload) {
        fprintf(stderr,
                "%s: the demo runs on the in-memory link only (try tcpfsm-httpd "
                "--tun)\n",
                prog);
        return 1;
    }
    if (delay_ms < 0 || delay_ms > 10000 || loss < 0 || loss > 0.5) {
        fprintf(stderr, "%s: bad --delay-ms or --loss\n", prog);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct dw_opts wo = {
        .seed = o.seed,
        .delay_us = (uint32_t)(delay_ms * 1000),
        .loss = loss,
        .pcap = o.pcap,
        .out = stdout,
        .print_packets = o.trace,
        .print_steps = o.trace,
        .prog = prog,
    };
    if (scenario) {
        const struct dw_scenario *sc = dw_scenario_find(scenario);
        if (!sc) {
            fprintf(stderr, "%s: no scenario '%s' (--list names them)\n", prog, scenario);
            return 2;
        }
        if (only_default) {
            fprintf(stderr, "%s: --bytes, --echo and --loss are not for --scenario\n", prog);
            return 1;
        }
        wo.epoch_us = (epoch_set ? epoch_s : DEMO_SCENARIO_EPOCH) * 1000000u;
        wo.print_packets = wo.print_steps = true;
        return run_scenario(sc, &wo, json, o.ss);
    }
    wo.epoch_us = epoch_set ? epoch_s * 1000000u : wall_us();
    if (dw_init(&d.w, &wo) < 0) return 1;
    uint32_t sa = o.addr, ca = o.peer_addr;
    d.cli = dw_add_host(&d.w, "client", ca, NULL, false);
    d.srv = d.cli < 0 ? -1 : dw_add_host(&d.w, "server", sa, NULL, false);
    if (d.srv < 0) {
        dw_free(&d.w);
        return 1;
    }
    struct tcpfsm_stack *srv = d.w.h[d.srv].st;
    d.port = d.echo ? 7 : 80;
    char a1[16], a2[16];
    printf("== tcpfsm demo: client %s -> %s server %s:%u, %zu bytes, in-memory link "
           "(delay %g ms each way, loss %g), virtual clock\n",
           dw_ntoa(ca, a1), d.echo ? "echo" : "HTTP", dw_ntoa(sa, a2), d.port, d.bytes, delay_ms,
           loss);
    if (o.trace)
        printf("   (virtual time; #N = frame N of the capture; seq/ack relative to each side's "
               "ISN; win = the window field as sent)\n");
    d.sfd = -1;
    d.lfd = dw_listen_on(&d.w, d.srv, d.port, 8, false);
    d.cfd = d.lfd < 0 ? d.lfd : dw_connect(&d.w, d.cli, 0, sa, d.port);
    struct tcpfsm_event lwant = {.events = TCPFSM_POLLIN, .data = (uint64_t)d.lfd};
    struct tcpfsm_event cwant = {.events = DEMO_CONN_EVENTS, .data = (uint64_t)d.cfd};
    int r = d.cfd < 0 ? d.cfd : tcpfsm_epoll_ctl(srv, TCPFSM_EPOLL_CTL_ADD, d.lfd, &lwant);
    if (r == 0) r = tcpfsm_epoll_ctl(d.w.h[d.cli].st, TCPFSM_EPOLL_CTL_ADD, d.cfd, &cwant);
    if (r < 0) {
        fprintf(stderr, "%s: setup: %s\n", prog, strerror(-r));
        dw_free(&d.w);
        return 1;
    }
    uint64_t give_up = o.timeout_s > 0 ? (uint64_t)(o.timeout_s * 1e6) : UINT64_MAX;
    int rc = run_steps(&d, give_up, 1);
    if (rc == NETIO_CONTINUE) {
        fprintf(stderr, "%s: --timeout %g s expired\n", prog, o.timeout_s);
        rc = NETIO_TIMEOUT;
    } else if (rc == NETIO_STALLED) {
        fprintf(stderr, "%s: stalled: no packet in flight, no timer armed\n", prog);
    }
    uint64_t t_done = d.w.now;
    if (rc == NETIO_DONE) /* let the last ACKs cross: the server is then in TIME_WAIT */
        run_steps(&d, d.w.now + 500000, 0);
    int intact = rc == NETIO_DONE && !d.bad && d.got == d.bytes && !d.w.failed;
    printf("== transfer %s: %zu of %zu bytes intact after %.3f s (virtual)\n",
           intact ? "complete" : "FAILED", d.got, d.bytes, (double)t_done / 1e6);
    dw_listing(&d.w, d.srv, "after the transfer: the server closed first, so it holds TIME_WAIT",
               true);
    dw_listing(&d.w, d.cli,
               "after the transfer: nothing left (the client closed second: LAST_ACK ended in "
               "CLOSED)",
               true);
    if (rc == NETIO_DONE) {
        run_steps(&d, d.w.now + 121000000, 0);
        dw_listing(&d.w, d.srv, "after 2*MSL: TIME_WAIT is over", true);
    }
    printf("== counters, server %s:\n", a2);
    netio_print_stats(srv, stdout);
    printf("== counters, client %s:\n", a1);
    netio_print_stats(d.w.h[d.cli].st, stdout);
    uint64_t sent, deliv, lost;
    link_stats(&d.w, d.cli, d.srv, &sent, &deliv, &lost);
    printf("== link %s->%s: sent %llu delivered %llu lost %llu\n", a1, a2, (unsigned long long)sent,
           (unsigned long long)deliv, (unsigned long long)lost);
    link_stats(&d.w, d.srv, d.cli, &sent, &deliv, &lost);
    printf("== link %s->%s: sent %llu delivered %llu lost %llu\n", a2, a1, (unsigned long long)sent,
           (unsigned long long)deliv, (unsigned long long)lost);
    if (json && dw_write_json(&d.w, json, "default",
                              d.echo ? "the demo session: echo over the in-memory link"
                                     : "the demo session: an HTTP fetch over the in-memory link",
                              "tcpfsm-demo without --scenario: a client fetches bytes from a "
                              "server, both close, the server (which closed first) waits in "
                              "TIME_WAIT.") < 0)
        intact = 0;
    if (o.ss) print_tables(&d.w, stderr);
    if (dw_free(&d.w) < 0) intact = 0;
    if (o.pcap) printf("== capture written to %s\n", o.pcap);
    return intact ? 0 : 1;
}
