/*
 * tcpfsm-nc — netcat on libtcpfsm.
 *
 *   tcpfsm-nc [options] -l PORT      accept one connection on PORT
 *   tcpfsm-nc [options] HOST PORT    connect to HOST:PORT
 *
 * stdin goes to the connection, the connection to stdout. At EOF on stdin the sending side is
 * shut down (FIN: a half-close); the program keeps reading until the peer's FIN, then closes
 * and exits 0. A reset, refusal or timeout exits 1 after printing strerror and the errno
 * name, e.g. "tcpfsm-nc: connection: Connection reset by peer (ECONNRESET)".
 *
 * Memory mode (default) has a built-in peer that echoes: `echo hi | tcpfsm-nc 10.0.0.1 7`
 * prints "hi"; with -l the built-in peer connects to PORT and echoes.
 *
 * Both ends hear of their connection from their stack's interest set, level-triggered, and
 * say after each step what they wait for, as a poll(2) loop does: the completion of the
 * connection, data while they can take it, room to send while they have bytes to send.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netio.h"

#define NC_BUF 65536
#define NC_LISTENER 0 /* the data of the listener's reports; the connection's is 1 */
#define NC_CONN 1

struct nc {
    const char *prog;
    int listen_mode;
    int lfd, fd;
    uint32_t watch; /* fd's interest, as netio_watch keeps it */
    int connected;
    int in_eof, shut, net_eof, closing, finished;
    int err;
    unsigned char buf[NC_BUF];
    size_t off, len;
    uint64_t linger_until;
    uint64_t tx, rx;
    int verbose;
};

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd pf = {.fd = fd, .events = POLLOUT};
                poll(&pf, 1, 1000);
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int linger_done(struct tcpfsm_stack *st, int fd)
{
    struct tcpfsm_info info;
    if (tcpfsm_get_info(st, fd, &info) < 0 || !info.state) return 1;
    /* our FIN is acknowledged and theirs received: nothing left to say */
    return !strcmp(info.state, "TIME_WAIT") || !strcmp(info.state, "CLOSED");
}

/* What the connection waits for: its completion, then data until the peer's FIN, and room
 * while bytes from stdin wait to be sent. */
static uint32_t nc_wants(const struct nc *c)
{
    if (!c->connected) return TCPFSM_POLLOUT;
    return (c->net_eof ? 0 : TCPFSM_POLLIN | TCPFSM_POLLRDHUP) | (c->len ? TCPFSM_POLLOUT : 0);
}

static int nc_io(struct netio *nio, struct nc *c, struct tcpfsm_stack *st, uint32_t ev);

static int nc_step(struct netio *nio, void *arg)
{
    struct nc *c = arg;
    struct tcpfsm_stack *st = netio_stack(nio);
    struct tcpfsm_event rep[2];
    int n = tcpfsm_epoll_wait(st, rep, 2);
    uint32_t ev = 0;
    for (int i = 0; i < n; i++) {
        if (rep[i].data == NC_CONN) {
            ev |= rep[i].events;
            continue;
        }
        if (c->fd >= 0) continue;
        int fd = tcpfsm_accept(st, c->lfd, NULL, NULL);
        if (fd == -EAGAIN) continue;
        if (fd < 0) {
            fprintf(stderr, "%s: accept: %s\n", c->prog, strerror(-fd));
            return NETIO_FAIL;
        }
        c->fd = fd;
        tcpfsm_close(st, c->lfd); /* one connection, like nc -l */
        c->lfd = -1;
        if (c->verbose) {
            uint32_t ra;
            uint16_t rp;
            char a[16];
            tcpfsm_getname(st, fd, NULL, NULL, &ra, &rp);
            fprintf(stderr, "%s: connection from %s:%u\n", c->prog, netio_ntoa(ra, a), rp);
        }
        ev = (uint32_t)tcpfsm_poll(st, fd); /* one-off: what holds already, on its first turn */
    }
    /* stdin is read whatever the set says: netio wakes the step for it (netio_want_fd) */
    if (c->fd < 0) return NETIO_CONTINUE;
    int r = nc_io(nio, c, st, ev);
    if (r == NETIO_CONTINUE && netio_watch(st, c->fd, &c->watch, nc_wants(c), NC_CONN) < 0) {
        fprintf(stderr, "%s: cannot watch the connection\n", c->prog);
        return NETIO_FAIL;
    }
    return r;
}

/* The connection's turn: ev holds what the interest set reported (0 if nothing). */
static int nc_io(struct netio *nio, struct nc *c, struct tcpfsm_stack *st, uint32_t ev)
{
    if (ev & TCPFSM_POLLERR) {
        int e = tcpfsm_error(st, c->fd);
        if (c->closing && e == 0) return NETIO_DONE;
        e = e ? -e : EIO;
        fprintf(stderr, "%s: %s: %s (%s)\n", c->prog, c->connected ? "connection" : "connect",
                strerror(e), netio_errname(e));
        return NETIO_FAIL;
    }
    if (!c->connected) {
        if (!(ev & TCPFSM_POLLOUT)) return NETIO_CONTINUE;
        c->connected = 1;
        if (c->verbose && !c->listen_mode) fprintf(stderr, "%s: connected\n", c->prog);
    }
    /* network -> stdout */
    unsigned char rb[16384];
    while (!c->net_eof && (ev & TCPFSM_POLLIN)) {
        long r = tcpfsm_recv(st, c->fd, rb, sizeof rb);
        if (r == -EAGAIN) break;
        if (r < 0) {
            fprintf(stderr, "%s: recv: %s (%s)\n", c->prog, strerror((int)-r),
                    netio_errname((int)-r));
            return NETIO_FAIL;
        }
        if (r == 0) {
            c->net_eof = 1;
            break;
        }
        if (write_all(STDOUT_FILENO, rb, (size_t)r) < 0) {
            fprintf(stderr, "%s: stdout: %s\n", c->prog, strerror(errno));
            return NETIO_FAIL;
        }
        c->rx += (uint64_t)r;
    }
    /* stdin -> network */
    for (;;) {
        while (c->len) {
            long w = tcpfsm_send(st, c->fd, c->buf + c->off, c->len);
            if (w == -EAGAIN) break;
            if (w < 0) {
                fprintf(stderr, "%s: send: %s (%s)\n", c->prog, strerror((int)-w),
                        netio_errname((int)-w));
                return NETIO_FAIL;
            }
            c->off += (size_t)w;
            c->len -= (size_t)w;
            c->tx += (uint64_t)w;
        }
        if (c->len || c->in_eof) break;
        c->off = 0;
        struct pollfd pf = {.fd = STDIN_FILENO, .events = POLLIN};
        if (poll(&pf, 1, 0) <= 0) {
            netio_want_fd(nio, STDIN_FILENO, POLLIN);
            break;
        }
        ssize_t r = read(STDIN_FILENO, c->buf, sizeof c->buf);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            fprintf(stderr, "%s: stdin: %s\n", c->prog, strerror(errno));
            c->in_eof = 1;
        } else if (r == 0) {
            c->in_eof = 1;
        } else {
            c->len = (size_t)r;
        }
    }
    if (c->in_eof && !c->len && !c->shut) {
        tcpfsm_shutdown(st, c->fd, TCPFSM_SHUT_WR); /* half-close: FIN */
        c->shut = 1;
    }
    if (c->shut && c->net_eof) {
        /* Both directions done: linger until our FIN is acknowledged (bounded). */
        if (!c->closing) {
            c->closing = 1;
            c->linger_until = netio_now(nio) + 3000000;
        }
        if (linger_done(st, c->fd) || netio_now(nio) >= c->linger_until) {
            tcpfsm_close(st, c->fd);
            c->fd = -1;
            return NETIO_DONE;
        }
    }
    return NETIO_CONTINUE;
}

/* ---- built-in peer (memory mode): echoes one connection ---- */

struct echo_peer {
    uint16_t listen_port; /* connect here when the program listens (-l) */
    int lfd, fd;          /* fd: -1 before the connection, -2 once it is closed */
    uint32_t watch;
    unsigned char buf[NC_BUF];
    size_t len;
    int eof;
};

/* Echo what came, as far as the buffer and the send buffer allow. */
static void peer_io(struct echo_peer *p, struct tcpfsm_stack *st)
{
    for (;;) {
        while (p->len) {
            long w = tcpfsm_send(st, p->fd, p->buf, p->len);
            if (w <= 0) break;
            memmove(p->buf, p->buf + w, p->len - (size_t)w);
            p->len -= (size_t)w;
        }
        if (p->eof || p->len == sizeof p->buf) break;
        long r = tcpfsm_recv(st, p->fd, p->buf + p->len, sizeof p->buf - p->len);
        if (r == 0) p->eof = 1;
        if (r <= 0) break;
        p->len += (size_t)r;
    }
    if (p->eof && !p->len) {
        tcpfsm_close(st, p->fd);
        p->fd = -2; /* done */
    }
}

static int peer_step(struct netio *nio, void *arg)
{
    struct echo_peer *p = arg;
    struct tcpfsm_stack *st = netio_peer(nio);
    if (p->fd == -1 && p->listen_port) {
        p->fd = tcpfsm_socket(st);
        if (p->fd < 0) return NETIO_FAIL;
        tcpfsm_connect(st, p->fd, netio_addr(nio), p->listen_port);
    }
    struct tcpfsm_event rep[2];
    int n = tcpfsm_epoll_wait(st, rep, 2), io = 0;
    for (int i = 0; i < n; i++) {
        if (rep[i].data == NC_CONN) {
            io = p->fd >= 0;
        } else if (p->fd == -1) {
            p->fd = tcpfsm_accept(st, p->lfd, NULL, NULL);
            io = p->fd >= 0; /* what came with the handshake is echoed now */
            if (p->fd < 0) p->fd = -1;
        }
    }
    if (io) peer_io(p, st);
    if (p->fd < 0) return NETIO_CONTINUE;
    /* data while there is room for it, room to send while there is something to send */
    uint32_t want =
        (p->eof || p->len == sizeof p->buf ? 0 : TCPFSM_POLLIN) | (p->len ? TCPFSM_POLLOUT : 0);
    return netio_watch(st, p->fd, &p->watch, want, NC_CONN) < 0 ? NETIO_FAIL : NETIO_CONTINUE;
}

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [options] -l PORT\n"
            "       %s [options] HOST PORT\n"
            "netcat on the userspace TCP stack libtcpfsm: stdin to the connection, the\n"
            "connection to stdout. EOF on stdin sends FIN (half-close); the program exits\n"
            "after the peer's FIN (status 0), or on reset/refusal/timeout (status 1, the\n"
            "error printed as e.g. 'Connection reset by peer (ECONNRESET)').\n"
            "  -l PORT       listen on PORT and accept one connection\n"
            "  -p PORT       local port for HOST PORT (default: ephemeral)\n"
            "Memory mode (default): the built-in peer (at HOST, default 10.0.0.1) echoes,\n"
            "  echo hello | %s 10.0.0.1 7\n"
            "TUN (root, in a namespace made by tests/netns.sh):\n"
            "  %s --tun tf0 --addr 10.77.0.2/24 10.77.0.1 5000 <file\n\n",
            prog, prog, prog, prog);
    netio_usage(f);
}

int main(int argc, char **argv)
{
    const char *prog = "tcpfsm-nc";
    struct netio_opts o;
    netio_opts_init(&o, prog);
    long lport = -1, sport = 0;
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
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
        } else if (!strcmp(a, "-l") && i + 1 < argc) {
            lport = strtol(argv[++i], NULL, 10);
        } else if (!strcmp(a, "-p") && i + 1 < argc) {
            sport = strtol(argv[++i], NULL, 10);
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "%s: unknown or incomplete option '%s' (try --help)\n", prog, a);
            return 1;
        } else if (npos < 2) {
            pos[npos++] = a;
        } else {
            fprintf(stderr, "%s: too many arguments (try --help)\n", prog);
            return 1;
        }
    }
    uint32_t host = 0;
    long port = 0;
    if (lport >= 0) {
        if (npos || lport < 1 || lport > 65535) {
            fprintf(stderr, "%s: -l takes a PORT (1-65535) and no HOST (try --help)\n", prog);
            return 1;
        }
    } else {
        if (npos != 2 || netio_parse_addr(pos[0], &host, NULL) < 0 ||
            (port = strtol(pos[1], NULL, 10)) < 1 || port > 65535) {
            fprintf(stderr, "%s: want -l PORT or HOST PORT (IPv4 address, 1-65535)\n", prog);
            return 1;
        }
        if (!o.tun && !o.tap && !o.packet) o.peer_addr = host; /* the built-in peer: HOST */
    }
    if (sport < 0 || sport > 65535) {
        fprintf(stderr, "%s: bad -p\n", prog);
        return 1;
    }
    struct netio *nio = netio_open(&o, NULL);
    if (!nio) return 1;
    struct tcpfsm_stack *st = netio_stack(nio);
    static struct nc c;
    c.prog = prog;
    c.verbose = o.verbose;
    c.lfd = c.fd = -1;
    c.listen_mode = lport >= 0;
    int r;
    int sfd = tcpfsm_socket(st);
    if (sfd < 0) {
        fprintf(stderr, "%s: socket: %s\n", prog, strerror(-sfd));
        netio_close(nio);
        return 1;
    }
    if (c.listen_mode) {
        c.lfd = sfd;
        r = tcpfsm_bind(st, sfd, 0, (uint16_t)lport);
        if (r == 0) r = tcpfsm_listen(st, sfd, 1);
        struct tcpfsm_event lev = {.events = TCPFSM_POLLIN, .data = NC_LISTENER};
        if (r == 0) r = tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, sfd, &lev);
        if (r < 0) fprintf(stderr, "%s: listen on %ld: %s\n", prog, lport, strerror(-r));
    } else {
        c.fd = sfd;
        r = sport ? tcpfsm_bind(st, sfd, 0, (uint16_t)sport) : 0;
        if (r == 0) r = tcpfsm_connect(st, sfd, host, (uint16_t)port);
        if (r == -EINPROGRESS) r = netio_watch(st, sfd, &c.watch, nc_wants(&c), NC_CONN);
        if (r < 0)
            fprintf(stderr, "%s: connect to %s %ld: %s (%s)\n", prog, pos[0], port, strerror(-r),
                    netio_errname(-r));
    }
    if (r < 0) {
        netio_close(nio);
        return 1;
    }
    int rc;
    if (netio_is_mem(nio)) {
        static struct echo_peer p;
        p.fd = -1;
        p.listen_port = c.listen_mode ? (uint16_t)lport : 0;
        if (!c.listen_mode) {
            struct tcpfsm_stack *pst = netio_peer(nio);
            struct tcpfsm_event lev = {.events = TCPFSM_POLLIN, .data = NC_LISTENER};
            p.lfd = tcpfsm_socket(pst);
            tcpfsm_bind(pst, p.lfd, 0, (uint16_t)port);
            tcpfsm_listen(pst, p.lfd, 1);
            tcpfsm_epoll_ctl(pst, TCPFSM_EPOLL_CTL_ADD, p.lfd, &lev);
        }
        rc = netio_run(nio, nc_step, &c, peer_step, &p);
    } else {
        rc = netio_run(nio, nc_step, &c, NULL, NULL);
    }
    if (o.verbose)
        fprintf(stderr, "%s: sent %llu, received %llu bytes\n", prog, (unsigned long long)c.tx,
                (unsigned long long)c.rx);
    netio_close(nio);
    return rc == NETIO_DONE ? 0 : 1;
}
