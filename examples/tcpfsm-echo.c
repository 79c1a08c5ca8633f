/*
 * tcpfsm-echo — RFC 862 echo server on libtcpfsm, or with --daytime an RFC 867 daytime server.
 *
 * Serves many connections at once; every byte received is sent back. When the peer
 * half-closes (FIN), what remains is echoed and then the connection is closed.
 * --daytime: on accept, the date and time go out as one line and the server closes first
 * (so the server, not the client, holds the connection in TIME-WAIT afterwards).
 *
 * Memory mode (default): a built-in peer opens --clients connections, sends --bytes each,
 * half-closes, and checks that exactly those bytes come back (--daytime: reads one line, up
 * to the server's FIN); exit 0 only if they all did. With --tun the server runs until
 * SIGINT/SIGTERM.
 *
 * Both sides learn which connections have work from their stack's interest set
 * (tcpfsm_epoll_wait), so a wakeup costs the connections it concerns, not all of them. The
 * server's connections are edge-triggered: an echo relays until a call says -EAGAIN anyway,
 * so it needs hearing only of what is new. Its listener is level-triggered, so a connection
 * an accept could not take (no descriptor left) is offered again. The built-in clients are
 * level-triggered and say after each step what they wait for (POLLOUT only while they have
 * bytes to send), the way a poll(2) program does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netio.h"

#define ECHO_BUF 65536
#define ECHO_EVENTS 64 /* reports taken per step; netio steps again while more are queued */

struct conn {
    int fd;
    size_t slot; /* index in server.c */
    unsigned char buf[ECHO_BUF];
    size_t off, len; /* pending echo bytes: buf[off, off+len) */
    int rd_eof;
    uint32_t raddr;
    uint16_t rport;
    uint64_t bytes;
};

struct server {
    const char *prog;
    int verbose;
    int daytime; /* RFC 867 instead of RFC 862 */
    int lfd;
    struct conn **c;
    size_t n, cap;
    uint64_t served;
};

static void conn_free(struct server *s, struct conn *c, int abort_it)
{
    if (s->verbose) {
        char a[16];
        fprintf(stderr, "%s: %s %s:%u after %llu bytes\n", s->prog, abort_it ? "aborted" : "closed",
                netio_ntoa(c->raddr, a), c->rport, (unsigned long long)c->bytes);
    }
    s->c[c->slot] = s->c[--s->n];
    s->c[c->slot]->slot = c->slot;
    free(c);
    s->served++;
}

/* RFC 867 leaves the syntax free and suggests "Weekday, Month Day, Year Time-Zone". The
 * time is the wall clock's, or on the in-memory link the virtual clock's (it starts at the
 * Unix epoch), so that runs there repeat exactly. */
static size_t daytime_line(struct netio *nio, char *buf, size_t size)
{
    time_t now = netio_is_mem(nio) ? (time_t)(netio_now(nio) / 1000000u) : time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm)) return 0;
    return strftime(buf, size, "%A, %B %d, %Y %H:%M:%S-UTC\r\n", &tm);
}

/* RFC 867: "Once a connection is established the current date and time is sent out the
 * connection as a ascii character string (and any data received is thrown away). The service
 * closes the connection after sending the quote." Whatever arrived is read first: a close
 * with unread data would reset the connection (tcpfsm_close, RFC 2525 2.17). */
static void serve_daytime(struct server *s, struct netio *nio, int fd, uint32_t pa, uint16_t pp)
{
    struct tcpfsm_stack *st = netio_stack(nio);
    char line[128];
    while (tcpfsm_recv(st, fd, line, sizeof line) > 0)
        ;
    size_t n = daytime_line(nio, line, sizeof line);
    long w = n ? tcpfsm_send(st, fd, line, n) : -EINVAL;
    if (w == (long)n)
        tcpfsm_close(st, fd); /* FIN after the line: the server closes first */
    else
        tcpfsm_abort(st, fd);
    if (s->verbose) {
        char a[16];
        fprintf(stderr, "%s: %s:%u got the time, closed\n", s->prog, netio_ntoa(pa, a), pp);
    }
    s->served++;
}

/* Relay what c has: flush first, then read into the room left, until a call says -EAGAIN
 * (or the buffer is full and the send blocked: an ACK making room reports c again). */
static void echo_conn(struct server *s, struct tcpfsm_stack *st, struct conn *c)
{
    int dead = 0;
    for (;;) {
        while (c->len) {
            long w = tcpfsm_send(st, c->fd, c->buf + c->off, c->len);
            if (w == -EAGAIN) break;
            if (w < 0) {
                dead = 1;
                break;
            }
            c->off += (size_t)w;
            c->len -= (size_t)w;
            c->bytes += (uint64_t)w;
        }
        if (dead) break;
        if (c->len == 0) c->off = 0;
        if (c->rd_eof || c->off + c->len >= ECHO_BUF) break;
        long r = tcpfsm_recv(st, c->fd, c->buf + c->off + c->len, ECHO_BUF - c->off - c->len);
        if (r == -EAGAIN) break;
        if (r < 0) {
            dead = 1;
            break;
        }
        if (r == 0) {
            c->rd_eof = 1;
            continue; /* flush what remains */
        }
        c->len += (size_t)r;
    }
    if (dead) {
        tcpfsm_abort(st, c->fd);
        conn_free(s, c, 1);
    } else if (c->rd_eof && c->len == 0) {
        tcpfsm_close(st, c->fd); /* FIN after the queued echo */
        conn_free(s, c, 0);
    }
}

static void accept_all(struct server *s, struct netio *nio, struct tcpfsm_stack *st)
{
    for (;;) {
        uint32_t pa;
        uint16_t pp;
        int fd = tcpfsm_accept(st, s->lfd, &pa, &pp);
        if (fd == -EAGAIN) break;
        if (fd < 0) {
            fprintf(stderr, "%s: accept: %s\n", s->prog, strerror(-fd));
            break;
        }
        if (s->daytime) {
            serve_daytime(s, nio, fd, pa, pp);
            continue;
        }
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 16;
            struct conn **p = realloc(s->c, nc * sizeof *p);
            if (!p) {
                tcpfsm_abort(st, fd);
                continue;
            }
            s->c = p;
            s->cap = nc;
        }
        struct conn *c = calloc(1, sizeof *c);
        struct tcpfsm_event want = {.events = TCPFSM_POLLIN | TCPFSM_POLLOUT | TCPFSM_POLLRDHUP |
                                              TCPFSM_EPOLLET,
                                    .data = (uintptr_t)c};
        if (!c || tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, fd, &want) < 0) {
            free(c);
            tcpfsm_abort(st, fd);
            continue;
        }
        c->fd = fd;
        c->raddr = pa;
        c->rport = pp;
        c->slot = s->n;
        s->c[s->n++] = c;
        if (s->verbose) {
            char a[16];
            fprintf(stderr, "%s: accepted %s:%u\n", s->prog, netio_ntoa(pa, a), pp);
        }
        /* what came with the handshake is echoed now, not a round later */
        echo_conn(s, st, c);
    }
}

static int server_step(struct netio *nio, void *arg)
{
    struct server *s = arg;
    struct tcpfsm_stack *st = netio_stack(nio);
    struct tcpfsm_event ev[ECHO_EVENTS];
    int n = tcpfsm_epoll_wait(st, ev, ECHO_EVENTS);
    for (int i = 0; i < n; i++) {
        struct conn *c = (struct conn *)(uintptr_t)ev[i].data;
        if (c)
            echo_conn(s, st, c);
        else
            accept_all(s, nio, st); /* the listener's data is 0 */
    }
    return NETIO_CONTINUE;
}

/* ---- the built-in peer (memory mode): clients that check the echo ---- */

#define DAYTIME_WINDOW 64 /* built-in daytime clients unfinished at once (backlog: 128) */

struct client {
    int fd;
    uint32_t watch; /* its interest, as netio_watch keeps it */
    int connected, shut, done;
    size_t sent, got;
    char line[128]; /* --daytime: what the server sent */
};

struct peer {
    const char *prog;
    struct tcpfsm_stack *st;
    uint16_t port;
    int nclients;
    int daytime;
    size_t bytes;
    struct client *cl;
    int finished, failed;
    int started; /* clients started so far */
    int window;  /* ... of which at most this many unfinished at once */
};

static unsigned char pattern(int client, size_t i)
{
    uint32_t x = (uint32_t)i * 2654435761u + (uint32_t)client * 40503u;
    return (unsigned char)(x >> 13);
}

/* A daytime client: read to the server's FIN, expect one line, then close. */
static void daytime_client(struct peer *p, int k, struct client *c)
{
    struct tcpfsm_stack *st = p->st;
    for (;;) {
        long r = tcpfsm_recv(st, c->fd, c->line + c->got, sizeof c->line - 1 - c->got);
        if (r == -EAGAIN) return;
        if (r > 0 && c->got + (size_t)r < sizeof c->line - 1) {
            c->got += (size_t)r;
            continue;
        }
        c->line[c->got] = '\0';
        char *eol = strstr(c->line, "\r\n");
        if (r != 0 || !eol || eol[2] || !strstr(c->line, "-UTC")) {
            fprintf(stderr, "%s: client %d: not one daytime line: %s '%s'\n", p->prog, k,
                    r < 0 ? strerror((int)-r)
                    : r   ? "too long"
                          : "got",
                    c->line);
            p->failed = 1;
        }
        tcpfsm_close(st, c->fd);
        c->done = 1;
        return;
    }
}

/* What a client waits for: the connection's completion and room to send while it has bytes
 * to send, the echo (or the daytime line) always. */
static uint32_t client_wants(const struct peer *p, const struct client *c)
{
    int sending = !c->connected || (!p->daytime && c->sent < p->bytes);
    return TCPFSM_POLLIN | (sending ? TCPFSM_POLLOUT : 0);
}

/* One client's turn, with the events its report says hold. */
static void client_io(struct peer *p, int k, struct client *c, uint32_t ev)
{
    struct tcpfsm_stack *st = p->st;
    if (ev & TCPFSM_POLLERR) {
        int e = tcpfsm_error(st, c->fd);
        fprintf(stderr, "%s: client %d: %s\n", p->prog, k, strerror(e ? -e : EIO));
        tcpfsm_close(st, c->fd);
        c->done = 1;
        p->failed = 1;
        p->finished++;
        return;
    }
    if (!c->connected && (ev & TCPFSM_POLLOUT)) c->connected = 1;
    if (!c->connected) return;
    if (p->daytime) {
        daytime_client(p, k, c);
        if (c->done) p->finished++;
        return;
    }
    unsigned char buf[16384];
    while (c->sent < p->bytes) {
        size_t chunk = p->bytes - c->sent;
        if (chunk > sizeof buf) chunk = sizeof buf;
        for (size_t i = 0; i < chunk; i++)
            buf[i] = pattern(k, c->sent + i);
        long w = tcpfsm_send(st, c->fd, buf, chunk);
        if (w <= 0) break;
        c->sent += (size_t)w;
    }
    if (c->sent == p->bytes && !c->shut) {
        tcpfsm_shutdown(st, c->fd, TCPFSM_SHUT_WR);
        c->shut = 1;
    }
    for (;;) {
        long r = tcpfsm_recv(st, c->fd, buf, sizeof buf);
        if (r == -EAGAIN) break;
        if (r < 0) {
            fprintf(stderr, "%s: client %d recv: %s\n", p->prog, k, strerror((int)-r));
            p->failed = 1;
            c->done = 1;
            break;
        }
        if (r == 0) {
            if (c->got != p->bytes) {
                fprintf(stderr, "%s: client %d: EOF after %zu of %zu bytes\n", p->prog, k, c->got,
                        p->bytes);
                p->failed = 1;
            }
            c->done = 1;
            break;
        }
        for (long i = 0; i < r; i++)
            if (c->got + (size_t)i >= p->bytes || buf[i] != pattern(k, c->got + (size_t)i)) {
                fprintf(stderr, "%s: client %d: wrong byte at offset %zu\n", p->prog, k,
                        c->got + (size_t)i);
                p->failed = 1;
                c->done = 1;
                break;
            }
        c->got += (size_t)r;
        if (c->done) break;
    }
    if (c->done) {
        tcpfsm_close(st, c->fd);
        p->finished++;
    }
}

/* Daytime clients start in a window of DAYTIME_WINDOW unfinished at once, as a load generator
 * paces its handshakes: a burst of every client's SYN overflows the listener's queues, and a
 * client whose SYN cookie's ACK the full accept queue dropped (RFC 4987 3.6, the spec's
 * listen_drop) is, on its side, connected; a daytime client then waits for a line that never
 * comes, since it has nothing to send that would carry the ACK again. Echo clients all start
 * at once: their data carries the ACK again, so the overflow (SYN cookies) is what they test. */
static int start_clients(struct peer *p, struct netio *nio)
{
    struct tcpfsm_stack *st = p->st;
    while (p->started < p->nclients && p->started - p->finished < p->window) {
        int k = p->started++;
        struct client *c = &p->cl[k];
        int fd = tcpfsm_socket(st);
        if (fd < 0) {
            fprintf(stderr, "%s: peer socket: %s\n", p->prog, strerror(-fd));
            return NETIO_FAIL;
        }
        c->fd = fd;
        int r = tcpfsm_connect(st, fd, netio_addr(nio), p->port);
        if (r == -EINPROGRESS || r == 0)
            r = netio_watch(st, fd, &c->watch, client_wants(p, c), (uint64_t)k);
        if (r < 0) {
            fprintf(stderr, "%s: peer connect: %s\n", p->prog, strerror(-r));
            return NETIO_FAIL;
        }
    }
    return NETIO_CONTINUE;
}

static int peer_step(struct netio *nio, void *arg)
{
    struct peer *p = arg;
    p->st = netio_peer(nio);
    struct tcpfsm_stack *st = p->st;
    if (start_clients(p, nio) != NETIO_CONTINUE) return NETIO_FAIL;
    struct tcpfsm_event ev[ECHO_EVENTS];
    int n = tcpfsm_epoll_wait(st, ev, ECHO_EVENTS);
    for (int i = 0; i < n; i++) {
        int k = (int)ev[i].data;
        struct client *c = &p->cl[k];
        if (c->done) continue;
        client_io(p, k, c, ev[i].events);
        if (!c->done && netio_watch(st, c->fd, &c->watch, client_wants(p, c), (uint64_t)k) < 0) {
            fprintf(stderr, "%s: client %d: cannot watch its socket\n", p->prog, k);
            return NETIO_FAIL;
        }
    }
    if (p->finished == p->nclients) return p->failed ? NETIO_FAIL : NETIO_DONE;
    return start_clients(p, nio); /* in the room the finished ones left */
}

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [--daytime] [--port N] [--clients N] [--bytes N] [link options]\n"
            "Echo server (RFC 862) on the userspace TCP stack libtcpfsm: echoes every byte,\n"
            "many connections at once; on the peer's half-close echoes what remains, then\n"
            "closes.\n"
            "  --daytime     daytime server (RFC 867) instead: on accept, send the date and\n"
            "                time as one line, then close first (default port 13)\n"
            "  -p, --port N  port to listen on (default 7)\n"
            "  --clients N   memory mode: built-in clients to run, 1..1000 (default 3)\n"
            "  --bytes N     memory mode: bytes each client sends (default 100000; not with\n"
            "                --daytime, where each client reads one line)\n"
            "Memory mode (default) exits 0 once every built-in client got its bytes back\n"
            "(--daytime: its line); with --tun the server runs until SIGINT/SIGTERM.\n"
            "Example (root, in a namespace made by tests/netns.sh):\n"
            "  %s --tun tf0 --addr 10.77.0.2/24 --port 7\n\n",
            prog, prog);
    netio_usage(f);
}

int main(int argc, char **argv)
{
    const char *prog = "tcpfsm-echo";
    struct netio_opts o;
    netio_opts_init(&o, prog);
    long port = -1, clients = 3;
    long long bytes = 100000;
    int daytime = 0;
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
        } else if (!strcmp(a, "--daytime")) {
            daytime = 1;
        } else if ((!strcmp(a, "--port") || !strcmp(a, "-p")) && i + 1 < argc) {
            port = strtol(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--clients") && i + 1 < argc) {
            clients = strtol(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--bytes") && i + 1 < argc) {
            bytes = strtoll(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "%s: unknown or incomplete option '%s' (try --help)\n", prog, a);
            return 1;
        }
    }
    if (port == -1) port = daytime ? 13 : 7;
    if (port < 1 || port > 65535 || clients < 1 || clients > 1000 || bytes < 0) {
        fprintf(stderr, "%s: bad --port, --clients or --bytes\n", prog);
        return 1;
    }
    struct netio *nio = netio_open(&o, NULL);
    if (!nio) return 1;
    struct tcpfsm_stack *st = netio_stack(nio);
    struct server s = {.prog = prog, .verbose = o.verbose, .daytime = daytime};
    s.lfd = tcpfsm_socket(st);
    int r = s.lfd < 0 ? s.lfd : tcpfsm_bind(st, s.lfd, 0, (uint16_t)port);
    if (r == 0) r = tcpfsm_listen(st, s.lfd, 128);
    struct tcpfsm_event lev = {.events = TCPFSM_POLLIN, .data = 0}; /* data 0: the listener */
    if (r == 0) r = tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, s.lfd, &lev);
    if (r < 0) {
        fprintf(stderr, "%s: listen on port %ld: %s\n", prog, port, strerror(-r));
        netio_close(nio);
        return 1;
    }
    int rc;
    if (netio_is_mem(nio)) {
        struct peer p = {.prog = prog,
                         .port = (uint16_t)port,
                         .nclients = (int)clients,
                         .daytime = daytime,
                         .window = daytime ? DAYTIME_WINDOW : (int)clients,
                         .bytes = (size_t)bytes};
        p.cl = calloc((size_t)clients, sizeof *p.cl);
        if (!p.cl) {
            netio_close(nio);
            return 1;
        }
        rc = netio_run(nio, server_step, &s, peer_step, &p);
        if (rc == NETIO_DONE) /* let the last FIN/ACKs cross before reporting */
            netio_run_for(nio, 1000000, server_step, &s, NULL, NULL);
        if (rc == NETIO_DONE && daytime)
            printf("%s: %ld clients each read one daytime line: %.*s\n", prog, clients,
                   (int)strcspn(p.cl[0].line, "\r"), p.cl[0].line);
        else if (rc == NETIO_DONE)
            printf("%s: %ld clients echoed %lld bytes each, intact\n", prog, clients, bytes);
        free(p.cl);
    } else {
        rc = netio_run(nio, server_step, &s, NULL, NULL);
        if (rc == NETIO_SIGNAL) rc = NETIO_DONE;
    }
    for (size_t i = 0; i < s.n; i++)
        free(s.c[i]);
    free(s.c);
    netio_close(nio);
    return rc == NETIO_DONE ? 0 : 1;
}
