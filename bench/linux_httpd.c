/*
 * linux_httpd.c — the Linux reference for the HTTP benchmarks: a small HTTP/1.1 server on the
 * kernel's sockets, one thread, non-blocking, epoll (edge-triggered), keep-alive and pipelined
 * requests answered in order. It serves what tcpfsm-httpd serves with no file argument, byte
 * for byte: the same built-in page at / and /index.html (GET and HEAD) with the same header
 * lines in the same order (Server: tcpfsm-httpd included, so the two responses are the same
 * bytes on the wire), 404 for any other path, 400/501/505 as it does. bench/run.py checks the
 * two responses are identical in every run (http_load's resp_hash), so a change to the page in
 * examples/tcpfsm-httpd.c shows up there as a FAIL row until this copy follows.
 *
 * Like tcpfsm-httpd: a connection's input buffer exists only while it holds part of a
 * request; a response is formatted (snprintf) into the connection's output buffer and written
 * in one call (header and body together: one segment for the built-in page); idle keep-alive
 * connections get TCP keep-alive after 60 s; the listen backlog is 128 unless --backlog.
 *
 * Usage: linux_httpd [--addr A.B.C.D] [--port N] [--backlog N] [--max-conns N] [-v]
 * Runs until SIGINT/SIGTERM, then prints its counters on stderr and exits 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define REQ_MAX 16384 /* as tcpfsm-httpd: a request header larger than this is a 400 */
#define HDR_MAX 1024
#define CONNS_LIMIT 1000000
#define EVENTS 1024
#define KEEPALIVE_IDLE_S 60

/* examples/tcpfsm-httpd.c's built-in page, byte for byte (see the comment at the top). */
static const char builtin_page[] =
    "<!DOCTYPE html>\n<html><head><title>tcpfsm-httpd</title></head>\n"
    "<body><h1>Hello from tcpfsm</h1>\n"
    "<p>Served by a userspace TCP whose every state decision comes from spec/tcp.fsm.</p>\n"
    "</body></html>\n";
static const char body_404[] = "404 Not Found\n";
static const char body_400[] = "400 Bad Request\n";
static const char body_501[] = "501 Not Implemented\n";
static const char body_505[] = "505 HTTP Version Not Supported\n";

struct conn {
    int fd;
    char *in; /* REQ_MAX bytes while part of a request is held, else NULL */
    size_t inlen;
    size_t discard; /* request body bytes still to skip */
    char out[HDR_MAX + sizeof builtin_page];
    size_t out_off, out_len;
    int close_after; /* close once the response in out[] is written */
    int rd_eof;
};

static volatile sig_atomic_t stop;
static int verbose;
static uint64_t n_accepted, n_requests, n_closed, n_aborted, n_open, n_open_max, n_refused;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static const char *find_header(const char *hdrs, const char *end, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    for (const char *p = hdrs; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        if ((size_t)(eol - p) > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

static int has_token(const char *v, size_t len, const char *tok)
{
    size_t tl = strlen(tok);
    for (size_t i = 0; i + tl <= len; i++)
        if (!strncasecmp(v + i, tok, tl)) return 1;
    return 0;
}

/* Format a response into c->out, as tcpfsm-httpd's respond() formats its header. */
static void respond(struct conn *c, int code, const char *reason, const char *type,
                    const char *body, size_t blen, int head, int close_after, const char *extra)
{
    int n = snprintf(c->out, HDR_MAX,
                     "HTTP/1.1 %d %s\r\nServer: tcpfsm-httpd\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\n%sConnection: %s\r\n\r\n",
                     code, reason, type, blen, extra ? extra : "",
                     close_after ? "close" : "keep-alive");
    size_t h = n < 0 ? 0 : (size_t)n < HDR_MAX ? (size_t)n : HDR_MAX - 1;
    if (!head) {
        memcpy(c->out + h, body, blen);
        h += blen;
    }
    c->out_off = 0;
    c->out_len = h;
    c->close_after = close_after;
    n_requests++;
}

/* Parse one request from c->in: 1 a response is in c->out, 0 more bytes needed. */
static int parse_request(struct conn *c)
{
    if (c->discard) {
        size_t d = c->discard < c->inlen ? c->discard : c->inlen;
        memmove(c->in, c->in + d, c->inlen - d);
        c->inlen -= d;
        c->discard -= d;
    }
    size_t skip = 0; /* blank lines before a request are tolerated (RFC 9112 2.2) */
    while (skip < c->inlen && (c->in[skip] == '\r' || c->in[skip] == '\n'))
        skip++;
    if (skip) {
        memmove(c->in, c->in + skip, c->inlen - skip);
        c->inlen -= skip;
    }
    char *end = NULL;
    for (size_t i = 0; i + 1 < c->inlen; i++) {
        if (c->in[i] == '\n' && c->in[i + 1] == '\n') {
            end = c->in + i + 2;
            break;
        }
        if (i + 3 < c->inlen && !memcmp(c->in + i, "\r\n\r\n", 4)) {
            end = c->in + i + 4;
            break;
        }
    }
    if (!end) {
        if (c->inlen < REQ_MAX) return 0;
        respond(c, 400, "Bad Request", "text/plain", body_400, sizeof body_400 - 1, 0, 1, NULL);
        c->inlen = 0;
        return 1;
    }
    size_t hlen = (size_t)(end - c->in);
    const char *eol = memchr(c->in, '\n', hlen);
    size_t ll = (size_t)(eol - c->in);
    char line[2100], method[16], target[2048], version[16];
    if (ll >= sizeof line) {
        respond(c, 400, "Bad Request", "text/plain", body_400, sizeof body_400 - 1, 0, 1, NULL);
        c->inlen = 0;
        return 1;
    }
    memcpy(line, c->in, ll);
    line[ll] = '\0';
    int ok = sscanf(line, "%15s %2047s %15s", method, target, version) == 3;
    size_t vlen = 0;
    const char *conn = ok ? find_header(eol + 1, end, "Connection", &vlen) : NULL;
    int http10 = ok && !strcmp(version, "HTTP/1.0");
    int close_after = http10 ? !(conn && has_token(conn, vlen, "keep-alive"))
                             : (conn && has_token(conn, vlen, "close"));
    const char *cl = ok ? find_header(eol + 1, end, "Content-Length", &vlen) : NULL;
    c->discard = cl ? strtoull(cl, NULL, 10) : 0;
    int head = ok && !strcmp(method, "HEAD");
    /* the target as tcpfsm-httpd's clean_path sees it for the built-in page: no query */
    if (ok) target[strcspn(target, "?#")] = '\0';
    memmove(c->in, end, c->inlen - hlen);
    c->inlen -= hlen;

    if (!ok || strncmp(version, "HTTP/1.", 7) != 0) {
        if (ok && !strncmp(version, "HTTP/", 5))
            respond(c, 505, "HTTP Version Not Supported", "text/plain", body_505,
                    sizeof body_505 - 1, 0, 1, NULL);
        else
            respond(c, 400, "Bad Request", "text/plain", body_400, sizeof body_400 - 1, 0, 1, NULL);
    } else if (strcmp(method, "GET") != 0 && !head) {
        respond(c, 501, "Not Implemented", "text/plain", body_501, sizeof body_501 - 1, 0, 1,
                "Allow: GET, HEAD\r\n");
    } else if (target[0] != '/') {
        respond(c, 400, "Bad Request", "text/plain", body_400, sizeof body_400 - 1, head,
                close_after, NULL);
    } else if (!strcmp(target, "/") || !strcmp(target, "/index.html")) {
        respond(c, 200, "OK", "text/html; charset=utf-8", builtin_page, sizeof builtin_page - 1,
                head, close_after, NULL);
    } else {
        respond(c, 404, "Not Found", "text/plain", body_404, sizeof body_404 - 1, head, close_after,
                NULL);
    }
    return 1;
}

static void conn_end(struct conn *c, int abort_it)
{
    if (abort_it) {
        struct linger lg = {1, 0}; /* a reset, as tcpfsm_abort sends */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        n_aborted++;
    } else {
        n_closed++;
    }
    close(c->fd);
    free(c->in);
    free(c);
    n_open--;
}

/* Serve c as far as it goes without waiting: 0 keep it, 1 close gracefully, -1 abort. */
static int serve(struct conn *c)
{
    for (;;) {
        while (c->out_off < c->out_len) {
            ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
            if (w < 0) return errno == EAGAIN ? 0 : -1;
            c->out_off += (size_t)w;
        }
        if (c->out_len) {
            c->out_len = c->out_off = 0;
            if (c->close_after) return 1;
        }
        if (c->in && c->inlen && parse_request(c)) continue; /* maybe a pipelined request */
        if (c->rd_eof) return 1;
        if (!c->in && !(c->in = malloc(REQ_MAX))) return -1;
        ssize_t r = recv(c->fd, c->in + c->inlen, REQ_MAX - c->inlen, 0);
        if (r < 0) {
            if (errno != EAGAIN) return -1;
            if (!c->inlen) { /* idle: the buffer goes back */
                free(c->in);
                c->in = NULL;
            }
            return 0;
        }
        if (r == 0)
            c->rd_eof = 1; /* what is held is answered first, then the close */
        else
            c->inlen += (size_t)r;
    }
}

static void usage(FILE *f)
{
    fputs("Usage: linux_httpd [--addr A.B.C.D] [--port N] [--backlog N] [--max-conns N] [-v]\n"
          "tcpfsm-httpd's built-in page served by the Linux kernel's TCP (epoll, keep-alive).\n"
          "  --addr A.B.C.D   address to listen on (default 0.0.0.0)\n"
          "  --port N         port (default 80)\n"
          "  --backlog N      listen backlog, 1..65535 (default 128, tcpfsm-httpd's)\n"
          "  --max-conns N    connections at once, 1..1000000 (default 65536, or what\n"
          "                   RLIMIT_NOFILE allows); beyond, a new connection is closed at once\n"
          "  -v               log connections\n",
          f);
}

static long num(const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno || end == s || *end || v < lo || v > hi ? -1 : v;
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(80)};
    long backlog = 128, max_conns = 65536;
    int max_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        long v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "-v")) {
            verbose = 1;
        } else if (!strcmp(a, "--addr") && has && inet_pton(AF_INET, argv[++i], &sa.sin_addr)) {
        } else if (!strcmp(a, "--port") && has && (v = num(argv[++i], 1, 65535)) > 0) {
            sa.sin_port = htons((uint16_t)v);
        } else if (!strcmp(a, "--backlog") && has && (v = num(argv[++i], 1, 65535)) > 0) {
            backlog = v;
        } else if (!strcmp(a, "--max-conns") && has && (v = num(argv[++i], 1, CONNS_LIMIT)) > 0) {
            max_conns = v;
            max_given = 1;
        } else {
            fprintf(stderr, "linux_httpd: bad or incomplete argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    /* Descriptors for max_conns connections: the hard limit rises too where allowed (root
     * with CAP_SYS_RESOURCE); else max_conns shrinks to what the hard limit allows. */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t need = (rlim_t)max_conns + 64;
    if (rl.rlim_cur < need) {
        struct rlimit want = {need, rl.rlim_max > need ? rl.rlim_max : need};
        if (setrlimit(RLIMIT_NOFILE, &want) < 0) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
            getrlimit(RLIMIT_NOFILE, &rl);
            if (rl.rlim_cur < 128) {
                fprintf(stderr, "linux_httpd: RLIMIT_NOFILE %llu is too small\n",
                        (unsigned long long)rl.rlim_cur);
                return 1;
            }
            if (max_given) {
                fprintf(stderr,
                        "linux_httpd: --max-conns %ld needs %llu descriptors, "
                        "RLIMIT_NOFILE allows %llu\n",
                        max_conns, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
                return 1;
            }
            max_conns = (long)rl.rlim_cur - 64;
        }
    }
    struct sigaction sg = {.sa_handler = on_signal}; /* no SA_RESTART: epoll_wait ends */
    sigaction(SIGINT, &sg, NULL);
    sigaction(SIGTERM, &sg, NULL);
    signal(SIGPIPE, SIG_IGN);

    int one = 1;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, (int)backlog) < 0) {
        fprintf(stderr, "linux_httpd: listen: %s\n", strerror(errno));
        return 1;
    }
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) {
        fprintf(stderr, "linux_httpd: epoll: %s\n", strerror(errno));
        return 1;
    }
    if (verbose)
        fprintf(stderr, "linux_httpd: listening, backlog %ld, at most %ld connections\n", backlog,
                max_conns);
    struct epoll_event evs[EVENTS];
    while (!stop) {
        int n = epoll_wait(ep, evs, EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "linux_httpd: epoll_wait: %s\n", strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c) {
                int r = serve(c);
                if (r) conn_end(c, r < 0);
                continue;
            }
            for (;;) {
                int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) break; /* EAGAIN, or an aborted handshake: the next event */
                c = n_open < (uint64_t)max_conns ? calloc(1, sizeof *c) : NULL;
                if (!c) {
                    n_refused++;
                    close(fd);
                    continue;
                }
                c->fd = fd;
                int idle = KEEPALIVE_IDLE_S;
                setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
                setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                         .data.ptr = c};
                if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
                    n_refused++;
                    close(fd);
                    free(c);
                    continue;
                }
                n_accepted++;
                if (++n_open > n_open_max) n_open_max = n_open;
                /* data may have come with the handshake's last ACK: serve it now (edge) */
                int r = serve(c);
                if (r) conn_end(c, r < 0);
            }
        }
    }
    fprintf(stderr,
            "linux_httpd: accepted %llu, requests %llu, closed %llu, aborted %llu, refused %llu, "
            "open %llu (at most %llu at once)\n",
            (unsigned long long)n_accepted, (unsigned long long)n_requests,
            (unsigned long long)n_closed, (unsigned long long)n_aborted,
            (unsigned long long)n_refused, (unsigned long long)n_open,
            (unsigned long long)n_open_max);
    return 0;
}
