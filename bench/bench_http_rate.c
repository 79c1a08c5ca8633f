/*
 * bench_http_rate.c — HTTP request rate of tcpfsm-httpd over TUN, the Linux kernel's TCP as
 * the client. NCLIENTS concurrent clients (one thread, poll(2), non-blocking kernel sockets)
 * do `GET /` for a fixed time:
 *   keep-alive  one persistent connection each, one request at a time (the next request is
 *               written as soon as the whole response, Content-Length body, is in);
 *   close       a new connection per request ("Connection: close"): connect, request, the
 *               whole response, the server's FIN (it closes first, as HTTP/1.1 says), close.
 * Each response must be a 200 with its full body; a refused/reset connection or a bad
 * response is counted and turns the row into a FAIL (a rate with errors hidden would lie).
 * The two modes alternate, BENCH_RUNS runs each, and the medians form one row: keep-alive
 * req/s with new-connection-per-request req/s as the reference.
 *
 * Run by bench/run.py inside a throw-away network namespace in which tcpfsm-httpd (built
 * from examples/ with the bench flags) serves its built-in page on a TUN device.
 * Usage: bench_http_rate ADDR PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_util.h"

#define NCLIENTS 16
#define RESP_MAX 4096 /* the built-in page's response is ~320 bytes */

enum mode { KEEPALIVE, CLOSE };
enum cstate { CONNECTING, SENDING, READING, IDLE /* the run is over: no next request */ };

struct client {
    int fd;
    enum cstate st;
    size_t sent;
    char buf[RESP_MAX];
    size_t len;
    size_t need;   /* header + body once the header is complete, else 0 */
    uint64_t done; /* requests completed (all of them, warm-up included) */
};

static struct sockaddr_in srv;
static const char req_keep[] = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n";
static const char req_close[] = "GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";
static uint64_t errors;
static char first_error[160];
static int stopping; /* the measured time is over: finish what is in flight, start nothing */
/* The next client port. Every connection of the whole program gets a port no earlier one
 * had (bind before connect): in close mode tcpfsm-httpd closes first and holds each 4-tuple
 * in TIME_WAIT for 2 MSL, and the stack answers a new SYN on such a 4-tuple with an ACK
 * instead of reopening it (no RFC 6191): the kernel resets, resends its SYN ~10 ms later, and
 * the rate would measure that rather than a connection. The kernel's own choice of port comes
 * back to used ports within seconds (it steps through its range in random strides). Each run
 * may use its share of the 64,512 ports; a close-mode run ends early when it has. */
#define PORT_FIRST 1024u
#define PORT_LAST 65535u
#define PORTS_PER_RUN ((PORT_LAST - PORT_FIRST + 1) / BENCH_RUNS - 4 * NCLIENTS)
static uint32_t next_port = PORT_FIRST;

static void error_at(const char *what, int err)
{
    if (!errors++)
        snprintf(first_error, sizeof first_error, "%s%s%s", what, err ? ": " : "",
                 err ? strerror(err) : "");
}

/* Bind fd to a client port never used before in this program. 0 or -1 (counted). */
static int bind_fresh_port(int fd)
{
    while (next_port <= PORT_LAST) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)next_port++)};
        if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0) return 0;
        if (errno != EADDRINUSE) { /* in use: skip it */
            error_at("bind", errno);
            return -1;
        }
    }
    error_at("all client ports used", 0);
    return -1;
}

/* A new non-blocking connection for c: 0, or -1 (counted) if it cannot even be started. */
static int start(struct client *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        error_at("socket", errno);
        return -1;
    }
    if (bind_fresh_port(c->fd) < 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    c->st = CONNECTING;
    c->sent = c->len = c->need = 0;
    if (connect(c->fd, (struct sockaddr *)&srv, sizeof srv) == 0)
        c->st = SENDING;
    else if (errno != EINPROGRESS) {
        error_at("connect", errno);
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

/* The end of a connection that failed: counted, then a fresh one so the load stays. */
static void restart(struct client *c, const char *what, int err)
{
    error_at(what, err);
    close(c->fd);
    start(c);
}

/* Is a complete response in c->buf? 1 yes, 0 not yet, -1 malformed (*why says how). */
static int response_complete(struct client *c, const char **why)
{
    if (!c->need) {
        char *end = NULL;
        for (size_t i = 0; i + 3 < c->len; i++)
            if (!memcmp(c->buf + i, "\r\n\r\n", 4)) {
                end = c->buf + i + 4;
                break;
            }
        if (!end) return c->len == sizeof c->buf ? (*why = "response header too long", -1) : 0;
        if (c->len < 13 || memcmp(c->buf, "HTTP/1.1 200 ", 13) != 0)
            return *why = "status is not 200", -1;
        const char *cl = NULL;
        for (const char *p = c->buf; p < end - 16; p++)
            if (!strncasecmp(p, "\r\nContent-Length:", 17)) {
                cl = p + 17;
                break;
            }
        if (!cl) return *why = "no Content-Length", -1;
        c->need = (size_t)(end - c->buf) + strtoul(cl, NULL, 10);
        if (c->need > sizeof c->buf) return *why = "response larger than the client's buffer", -1;
    }
    if (c->len > c->need) return *why = "bytes after the response", -1;
    return c->len == c->need;
}

/* Advance c on the events poll reported, as far as it goes without waiting. */
static void step(struct client *c, enum mode m, short rev)
{
    const char *req = m == KEEPALIVE ? req_keep : req_close;
    size_t rlen = m == KEEPALIVE ? sizeof req_keep - 1 : sizeof req_close - 1;
    if (c->st == IDLE) return;
    if (c->fd < 0) {
        start(c);
        return;
    }
    if (c->st == CONNECTING) {
        if (!(rev & (POLLOUT | POLLERR | POLLHUP))) return;
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) {
            restart(c, "connect", err);
            return;
        }
        c->st = SENDING;
    }
    for (;;) {
        if (c->st == SENDING) {
            ssize_t w = write(c->fd, req + c->sent, rlen - c->sent);
            if (w < 0) {
                if (errno != EAGAIN) restart(c, "write", errno);
                return;
            }
            c->sent += (size_t)w;
            if (c->sent < rlen) return;
            c->st = READING;
            c->len = c->need = 0;
        }
        ssize_t r = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
        if (r < 0) {
            if (errno != EAGAIN) restart(c, "read", errno);
            return;
        }
        if (r == 0) {
            /* close mode: the server's FIN after the whole response ends the request */
            if (m == CLOSE && c->need && c->len == c->need) {
                c->done++;
                close(c->fd);
                c->fd = -1;
                if (stopping)
                    c->st = IDLE;
                else
                    start(c);
            } else {
                restart(c, "connection closed before the whole response", 0);
            }
            return;
        }
        c->len += (size_t)r;
        const char *why = NULL;
        int k = response_complete(c, &why);
        if (k < 0) {
            restart(c, why, 0);
            return;
        }
        if (k > 0 && m == KEEPALIVE) {
            /* the next request at once, on the same connection */
            c->done++;
            c->st = stopping ? IDLE : SENDING;
            c->sent = 0;
            if (stopping) return;
        }
    }
}

/* One run of `secs` seconds (or until its share of client ports is used) in mode m:
 * requests per second, or -1 on failure. */
static double run(enum mode m, double secs)
{
    static struct client cl[NCLIENTS];
    struct pollfd p[NCLIENTS];
    uint64_t before = errors;
    uint32_t port_end = next_port + PORTS_PER_RUN;
    stopping = 0;
    for (int i = 0; i < NCLIENTS; i++) {
        memset(&cl[i], 0, sizeof cl[i]);
        start(&cl[i]);
    }
    /* Warm-up until every client has finished one request (keep-alive: its connection is up),
     * then the measured time, then the requests in flight finish (not counted) so that no
     * connection is cut in the middle of an exchange. */
    uint64_t t0 = 0, t1 = 0, t_end = 0, base = 0, total = 0;
    uint64_t limit = bench_now_ns() + 5000000000ull;
    for (;;) {
        uint64_t now = bench_now_ns();
        if (!t0) {
            int ready = 1;
            for (int i = 0; i < NCLIENTS; i++)
                ready &= cl[i].done > 0;
            if (ready) {
                t0 = now;
                t_end = t0 + (uint64_t)(secs * 1e9);
                for (int i = 0; i < NCLIENTS; i++)
                    base += cl[i].done;
            } else if (now > limit) {
                error_at("warm-up: not every client got a response within 5 s", 0);
                break;
            }
        }
        if (t0 && !stopping && (now >= t_end || next_port + NCLIENTS >= port_end)) {
            t1 = now;
            for (int i = 0; i < NCLIENTS; i++)
                total += cl[i].done;
            stopping = 1;
            limit = now + 2000000000ull;
        }
        if (stopping) {
            int idle = 1;
            for (int i = 0; i < NCLIENTS; i++)
                idle &= cl[i].st == IDLE || cl[i].fd < 0;
            if (idle) break;
            if (now > limit) {
                error_at("a request in flight at the end of the run got no answer in 2 s", 0);
                break;
            }
        }
        for (int i = 0; i < NCLIENTS; i++) {
            short ev = cl[i].st == READING ? POLLIN : cl[i].st == IDLE ? 0 : POLLOUT;
            p[i] = (struct pollfd){.fd = cl[i].fd, .events = ev};
        }
        int ms = t0 && !stopping ? (int)((t_end - now) / 1000000) + 1 : 100;
        if (poll(p, NCLIENTS, ms) < 0 && errno != EINTR) {
            error_at("poll", errno);
            break;
        }
        for (int i = 0; i < NCLIENTS; i++)
            if (p[i].revents || (cl[i].fd < 0 && !stopping)) step(&cl[i], m, p[i].revents);
    }
    for (int i = 0; i < NCLIENTS; i++)
        if (cl[i].fd >= 0) close(cl[i].fd); /* keep-alive: the client closes first, the usual way */
    if (!t1 || errors != before) return -1;
    double rate = (double)(total - base) / ((double)(t1 - t0) / 1e9);
    fprintf(stderr,
            "bench_http_rate: %-10s %8.0f req/s, %6.0f us per request per client "
            "(%llu requests in %.3f s)\n",
            m == KEEPALIVE ? "keep-alive" : "close", rate, NCLIENTS / rate * 1e6,
            (unsigned long long)(total - base), (double)(t1 - t0) / 1e9);
    return rate;
}

/* Wait until the server accepts connections (it attaches to the TUN device after starting):
 * 0 once one connection succeeded, -1 after 5 s. */
static int wait_server(void)
{
    for (int i = 0; i < 50; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0) return -1;
        int r = connect(fd, (struct sockaddr *)&srv, sizeof srv);
        if (r < 0 && errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int err = 0;
            socklen_t el = sizeof err;
            if (poll(&p, 1, 100) == 1 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) && !err)
                r = 0;
        }
        close(fd);
        if (r == 0) return 0;
        usleep(100000);
    }
    return -1;
}

int main(int argc, char **argv)
{
    const char *name = "TUN HTTP keep-alive GET / (16 Linux clients -> tcpfsm-httpd)";
    const char *ref = "new connection per GET (16 clients)";
    if (argc != 3) {
        fprintf(stderr, "usage: bench_http_rate ADDR PORT\n");
        return 2;
    }
    srv.sin_family = AF_INET;
    srv.sin_port = htons((uint16_t)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &srv.sin_addr) != 1) {
        fprintf(stderr, "bench_http_rate: bad address '%s'\n", argv[1]);
        return 2;
    }
    if (wait_server() < 0) {
        printf("FAIL\t%s\ttcpfsm-httpd at %s:%s did not accept a connection within 5 s\n", name,
               argv[1], argv[2]);
        return 0; /* the FAIL row says it */
    }
    double secs = bench_quick() ? 0.15 : 0.5;
    double ka[BENCH_RUNS], nc[BENCH_RUNS];
    for (int r = 0; r < BENCH_RUNS; r++) {
        ka[r] = run(KEEPALIVE, secs);
        nc[r] = run(CLOSE, secs);
        if (ka[r] < 0 || nc[r] < 0) {
            printf("FAIL\t%s\t%llu failed requests in run %d, first: %s\n", name,
                   (unsigned long long)errors, r, first_error);
            return 0;
        }
    }
    bench_row(name, bench_median(ka, BENCH_RUNS), "req/s", ref, bench_median(nc, BENCH_RUNS));
    return 0;
}
