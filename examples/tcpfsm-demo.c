/*
 * tcpfsm-demo — the `make demo` session: two libtcpfsm stacks in one process, joined by the
 * in-memory link (runtime/memlink.h) on a virtual clock. A client (10.0.0.1) fetches
 * --bytes from an HTTP-like server (10.0.0.2:80) (or, with --echo, sends them to an echo
 * server and reads them back), both close, and the program prints the connection table
 * (tcpfsm_ss) right after the transfer and again after TIME_WAIT, then every counter.
 *
 * Exit status 0 only if the data arrived intact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memlink.h"
#include "netio.h"

struct demo {
    const char *prog;
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

static int server_step(struct netio *nio, void *arg)
{
    struct demo *d = arg;
    struct tcpfsm_stack *st = netio_stack(nio);
    if (d->sfd < 0) {
        int fd = tcpfsm_accept(st, d->lfd, NULL, NULL);
        if (fd < 0) return NETIO_CONTINUE;
        d->sfd = fd;
    }
    if (d->sfd == -2) return NETIO_CONTINUE; /* closed */
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

static int client_step(struct netio *nio, void *arg)
{
    struct demo *d = arg;
    struct tcpfsm_stack *st = netio_peer(nio);
    if (d->done) return NETIO_DONE;
    int ev = tcpfsm_poll(st, d->cfd);
    if (ev < 0 || (ev & TCPFSM_POLLERR)) {
        int e = tcpfsm_error(st, d->cfd);
        fprintf(stderr, "%s: client: %s\n", d->prog, strerror(e ? -e : EIO));
        return NETIO_FAIL;
    }
    if (!d->connected) {
        if (!(ev & TCPFSM_POLLOUT)) return NETIO_CONTINUE;
        d->connected = 1;
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

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [--bytes N] [--echo] [--delay-ms D] [--loss P] [OPTIONS]\n"
            "Two libtcpfsm stacks in one process on an in-memory link with a virtual clock:\n"
            "a client (10.0.0.1) fetches N bytes over HTTP from a server (10.0.0.2:80), both\n"
            "close, and the connection table and counters of both stacks are printed.\n"
            "  --bytes N      bytes to transfer (default 20000)\n"
            "  --echo         send the bytes to an echo server (port 7) and read them back\n"
            "  --delay-ms D   one-way link delay in milliseconds, 0..10000 (default 5)\n"
            "  --loss P       loss probability per packet and direction, 0..0.5 (default 0)\n"
            "  --trace        print every state-machine transition (on stdout)\n"
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
            "Exit status 0 only if the data arrived intact.\n",
            prog);
}

int main(int argc, char **argv)
{
    const char *prog = "tcpfsm-demo";
    struct netio_opts o;
    netio_opts_init(&o, prog);
    o.trace_out = stdout;
    static struct demo d;
    d.prog = prog;
    d.bytes = 20000;
    double delay_ms = 5, loss = 0;
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
        } else if (!strcmp(a, "--bytes") && i + 1 < argc) {
            d.bytes = (size_t)strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--echo")) {
            d.echo = 1;
        } else if (!strcmp(a, "--delay-ms") && i + 1 < argc) {
            delay_ms = strtod(argv[++i], NULL);
        } else if (!strcmp(a, "--loss") && i + 1 < argc) {
            loss = strtod(argv[++i], NULL);
        } else {
            fprintf(stderr, "%s: unknown or incomplete option '%s' (try --help)\n", prog, a);
            return 1;
        }
    }
    if (o.tun || o.kernel_prefix) {
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
    struct netio *nio = netio_open(&o, NULL);
    if (!nio) return 1;
    struct tcpfsm_stack *srv = netio_stack(nio), *cli = netio_peer(nio);
    uint32_t sa = netio_addr(nio), ca = netio_peer_addr(nio);
    struct memlink_impair im;
    memset(&im, 0, sizeof im);
    im.delay_us = (uint32_t)(delay_ms * 1000);
    im.loss = loss;
    memlink_set_impair(netio_link(nio), sa, ca, &im);
    memlink_set_impair(netio_link(nio), ca, sa, &im);

    d.port = d.echo ? 7 : 80;
    char a1[16], a2[16];
    printf("== tcpfsm demo: client %s -> %s server %s:%u, %zu bytes, in-memory link "
           "(delay %g ms each way, loss %g), virtual clock\n",
           netio_ntoa(ca, a1), d.echo ? "echo" : "HTTP", netio_ntoa(sa, a2), d.port, d.bytes,
           delay_ms, loss);
    d.sfd = -1;
    d.lfd = tcpfsm_socket(srv);
    int r = d.lfd < 0 ? d.lfd : tcpfsm_bind(srv, d.lfd, 0, d.port);
    if (r == 0) r = tcpfsm_listen(srv, d.lfd, 8);
    d.cfd = r < 0 ? r : tcpfsm_socket(cli);
    if (d.cfd >= 0) {
        r = tcpfsm_connect(cli, d.cfd, sa, d.port);
        if (r == -EINPROGRESS) r = 0;
    } else {
        r = d.cfd;
    }
    if (r < 0) {
        fprintf(stderr, "%s: setup: %s\n", prog, strerror(-r));
        netio_close(nio);
        return 1;
    }
    int rc = netio_run(nio, server_step, &d, client_step, &d);
    uint64_t t_done = netio_now(nio);
    if (rc == NETIO_DONE)
        /* let the last ACKs cross, then show the table while the server is in TIME_WAIT */
        rc = netio_run_for(nio, 500000, server_step, &d, NULL, NULL) == NETIO_CONTINUE ? NETIO_DONE
                                                                                       : NETIO_FAIL;
    int intact = rc == NETIO_DONE && !d.bad && d.got == d.bytes;
    printf("== transfer %s: %zu of %zu bytes intact after %.3f s (virtual)\n",
           intact ? "complete" : "FAILED", d.got, d.bytes, (double)t_done / 1e6);
    printf("== connections, server %s:\n", a2);
    netio_print_ss(srv, stdout);
    printf("== connections, client %s:\n", a1);
    netio_print_ss(cli, stdout);
    if (rc == NETIO_DONE) {
        netio_run_for(nio, 121000000, server_step, &d, NULL, NULL);
        printf("== after 2*MSL (%.0f s virtual), server %s:\n", (double)netio_now(nio) / 1e6, a2);
        netio_print_ss(srv, stdout);
    }
    printf("== counters, server %s:\n", a2);
    netio_print_stats(srv, stdout);
    printf("== counters, client %s:\n", a1);
    netio_print_stats(cli, stdout);
    struct memlink_stats ls;
    memlink_get_stats(netio_link(nio), ca, sa, &ls);
    printf("== link %s->%s: sent %llu delivered %llu lost %llu\n", a1, a2,
           (unsigned long long)ls.sent, (unsigned long long)ls.delivered,
           (unsigned long long)ls.lost);
    memlink_get_stats(netio_link(nio), sa, ca, &ls);
    printf("== link %s->%s: sent %llu delivered %llu lost %llu\n", a2, a1,
           (unsigned long long)ls.sent, (unsigned long long)ls.delivered,
           (unsigned long long)ls.lost);
    netio_close(nio);
    if (o.pcap) printf("== capture written to %s\n", o.pcap);
    return intact ? 0 : 1;
}
