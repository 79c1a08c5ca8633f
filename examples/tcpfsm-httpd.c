/*
 * tcpfsm-httpd — a small HTTP/1.1 static file server on libtcpfsm.
 *
 * GET and HEAD, Content-Length, persistent connections (HTTP/1.1 default, HTTP/1.0 with
 * "Connection: keep-alive"), pipelined requests answered in order, 404, 400, 501.
 * Serves the files named on the command line as /BASENAME, and everything below the
 * directories named on the command line ("/" maps to index.html); with no argument, a
 * built-in page at / and /index.html.
 *
 * Memory mode (default): a built-in client fetches every served file (up to 8) on one
 * keep-alive connection, plus a HEAD and a 404, checks every byte, exits 0 if all matched.
 *
 * Many connections cost only their memory while idle: each step asks the stack's interest
 * set which connections have news (tcpfsm_epoll_wait) and serves those, and nothing in the
 * server visits every connection (no idle sweep: a vanished client is found by TCP
 * keep-alive, a timer of its own connection). Connections are edge-triggered, since serve()
 * works until a call says -EAGAIN, and want POLLOUT only while a response waits for room, so
 * the ACKs of an idle connection wake no one. The listener is level-triggered, so a connection
 * an accept could not take is offered again. The built-in client is one-shot: it re-arms its
 * one socket with what it waits for after each turn.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netio.h"
#include "tcpfsm_shards.h"

#define REQ_MAX 16384
#define CHUNK 16384
#define HDR_MAX 1024
#define KEEPALIVE_IDLE_US (60ull * 1000000u) /* TCP keep-alive after 60 s of silence */
#define MAX_ROOTS 64
#define HTTPD_EVENTS 256 /* reports taken per step; netio steps again while more are queued */
/* A connection's interest: a request (or the client's FIN) always, room to send only while a
 * response is waiting for it. */
#define WANT_REQUEST (TCPFSM_POLLIN | TCPFSM_POLLRDHUP | TCPFSM_EPOLLET)
#define WANT_ROOM (WANT_REQUEST | TCPFSM_POLLOUT)

static const char builtin_page[] =
    "<!DOCTYPE html>\n<html><head><title>tcpfsm-httpd</title></head>\n"
    "<body><h1>Hello from tcpfsm</h1>\n"
    "<p>Served by a userspace TCP whose every state decision comes from spec/tcp.fsm.</p>\n"
    "</body></html>\n";
static const char body_404[] = "404 Not Found\n";
static const char body_400[] = "400 Bad Request\n";
static const char body_501[] = "501 Not Implemented\n";
static const char body_505[] = "505 HTTP Version Not Supported\n";

struct root {
    const char *path; /* file or directory on disk */
    const char *url;  /* for a file: "/basename" */
    int is_dir;
};

/* One connection. Its buffers exist only while they hold something (a partial request, a
 * response being sent): an idle keep-alive connection costs this struct and the stack's TCB. */
struct conn {
    int fd;
    size_t slot;    /* index in server.c */
    uint32_t watch; /* its interest in the stack's set: WANT_REQUEST or WANT_ROOM */
    uint32_t raddr;
    uint16_t rport;
    char *in; /* REQ_MAX bytes while a request is being received, else NULL */
    size_t inlen;
    size_t discard; /* request body bytes still to skip */
    int rd_eof;
    /* the response being sent */
    int active;
    char *hdr; /* HDR_MAX bytes while a response is being sent, else NULL */
    size_t hdr_off, hdr_len;
    const char *mem; /* body from memory */
    int file;        /* or from a file (-1) */
    uint64_t body_left, file_off;
    char *chunk; /* CHUNK bytes while a file body is being sent, else NULL */
    size_t ch_off, ch_len;
    int close_after;
    unsigned requests;
};

struct server {
    const char *prog;
    int verbose;
    int lfd;         /* -1 once closed (--exit-after) */
    long exit_after; /* --exit-after N: 0 = serve until a signal */
    long served;     /* connections accepted and closed */
    struct root roots[MAX_ROOTS];
    int nroots;
    struct conn **c;
    size_t n, cap;
};

static const char *mime(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot) return "application/octet-stream";
    static const char *const map[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"},
        {".md", "text/plain; charset=utf-8"},
        {".c", "text/plain; charset=utf-8"},
        {".h", "text/plain; charset=utf-8"},
        {".fsm", "text/plain; charset=utf-8"},
        {".css", "text/css"},
        {".js", "text/javascript"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".pcap", "application/vnd.tcpdump.pcap"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(dot, map[i][0])) return map[i][1];
    return "application/octet-stream";
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode %XX, drop the query; reject NUL, "..", and anything not starting with '/'. */
static int clean_path(const char *target, char *out, size_t cap)
{
    if (target[0] != '/') return -1;
    size_t o = 0;
    for (const char *p = target; *p && *p != '?' && *p != '#'; p++) {
        int ch = (unsigned char)*p;
        if (ch == '%') {
            int h = hexval(p[1]), l = h < 0 ? -1 : hexval(p[2]);
            if (l < 0) return -1;
            ch = h * 16 + l;
            p += 2;
        }
        if (ch == 0 || o + 1 >= cap) return -1;
        out[o++] = (char)ch;
    }
    out[o] = '\0';
    for (const char *p = out; (p = strstr(p, "..")); p += 2)
        if ((p == out || p[-1] == '/') && (p[2] == '/' || p[2] == '\0')) return -1;
    return 0;
}

/* Open what `path` names: fd >= 0 with *size, -2 for the built-in page, -1 if none. */
static int lookup(const struct server *s, const char *path, uint64_t *size, const char **type)
{
    if (s->nroots == 0) {
        if (!strcmp(path, "/") || !strcmp(path, "/index.html")) {
            *size = sizeof builtin_page - 1;
            *type = "text/html; charset=utf-8";
            return -2;
        }
        return -1;
    }
    for (int i = 0; i < s->nroots; i++) {
        const struct root *r = &s->roots[i];
        char full[4096];
        if (r->is_dir) {
            const char *rel = path;
            if (!strcmp(rel, "/")) rel = "/index.html";
            if ((size_t)snprintf(full, sizeof full, "%s%s", r->path, rel) >= sizeof full) continue;
        } else {
            if (strcmp(path, r->url) != 0 && !(s->nroots == 1 && !strcmp(path, "/"))) continue;
            snprintf(full, sizeof full, "%s", r->path);
        }
        int fd = open(full, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat sb;
        if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
            close(fd);
            continue;
        }
        *size = (uint64_t)sb.st_size;
        *type = mime(full);
        return fd;
    }
    return -1;
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

/* The header buffer of a response that could not get its own (it stays empty: the
 * connection is closed). */
static char hdr_no_memory[1];

static void respond(struct conn *c, int code, const char *reason, const char *type, uint64_t len,
                    int head, int close_after, const char *extra)
{
    c->active = 1;
    c->close_after = close_after;
    c->hdr_off = 0;
    if (!c->hdr && !(c->hdr = malloc(HDR_MAX))) {
        c->hdr = hdr_no_memory;
        c->close_after = 1;
    }
    int n = c->hdr == hdr_no_memory
                ? -1
                : snprintf(c->hdr, HDR_MAX,
                           "HTTP/1.1 %d %s\r\nServer: tcpfsm-httpd\r\nContent-Type: %s\r\n"
                           "Content-Length: %llu\r\n%sConnection: %s\r\n\r\n",
                           code, reason, type, (unsigned long long)len, extra ? extra : "",
                           close_after ? "close" : "keep-alive");
    c->hdr_len = n < 0 ? 0 : (size_t)n < HDR_MAX ? (size_t)n : HDR_MAX - 1;
    c->body_left = head ? 0 : len;
    c->ch_off = c->ch_len = 0;
    c->file_off = 0;
}

/* Parse one complete request from c->in if there is one. 1 = a response was set up,
 * 0 = need more bytes, -1 = the buffer is full without a complete request. */
static int parse_request(struct server *s, struct conn *c)
{
    if (!c->inlen) return 0;
    if (c->discard) {
        size_t d = c->discard < c->inlen ? c->discard : c->inlen;
        memmove(c->in, c->in + d, c->inlen - d);
        c->inlen -= d;
        c->discard -= d;
    }
    /* tolerate blank lines before a request (RFC 9112 2.2) */
    size_t skip = 0;
    while (skip < c->inlen && (c->in[skip] == '\r' || c->in[skip] == '\n'))
        skip++;
    if (skip) {
        memmove(c->in, c->in + skip, c->inlen - skip);
        c->inlen -= skip;
    }
    char *end = NULL;
    size_t hlen = 0;
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
    if (!end) return c->inlen >= REQ_MAX ? -1 : 0;
    hlen = (size_t)(end - c->in);

    char method[16], target[2048], version[16];
    const char *eol = memchr(c->in, '\n', hlen);
    size_t ll = (size_t)(eol - c->in);
    char line[2100];
    if (ll >= sizeof line) {
        respond(c, 400, "Bad Request", "text/plain", sizeof body_400 - 1, 0, 1, NULL);
        c->mem = body_400;
        c->file = -1;
        return 1;
    }
    memcpy(line, c->in, ll);
    line[ll] = '\0';
    if (ll && line[ll - 1] == '\r') line[ll - 1] = '\0';
    const char *hdrs = eol + 1;
    int ok = sscanf(line, "%15s %2047s %15s", method, target, version) == 3;
    size_t vlen = 0;
    const char *conn = ok ? find_header(hdrs, end, "Connection", &vlen) : NULL;
    int http10 = ok && !strcmp(version, "HTTP/1.0");
    int close_after = http10 ? !(conn && has_token(conn, vlen, "keep-alive"))
                             : (conn && has_token(conn, vlen, "close"));
    const char *cl = ok ? find_header(hdrs, end, "Content-Length", &vlen) : NULL;
    uint64_t body = cl ? strtoull(cl, NULL, 10) : 0;
    int head = ok && !strcmp(method, "HEAD");
    char path[2048];

    memmove(c->in, end, c->inlen - hlen);
    c->inlen -= hlen;
    c->discard = body;
    c->file = -1;
    c->mem = NULL;
    c->requests++;

    if (!ok || strncmp(version, "HTTP/1.", 7) != 0) {
        if (ok && !strncmp(version, "HTTP/", 5)) {
            respond(c, 505, "HTTP Version Not Supported", "text/plain", sizeof body_505 - 1, 0, 1,
                    NULL);
            c->mem = body_505;
        } else {
            respond(c, 400, "Bad Request", "text/plain", sizeof body_400 - 1, 0, 1, NULL);
            c->mem = body_400;
        }
        return 1;
    }
    if (strcmp(method, "GET") != 0 && !head) {
        respond(c, 501, "Not Implemented", "text/plain", sizeof body_501 - 1, 0, 1,
                "Allow: GET, HEAD\r\n");
        c->mem = body_501;
        return 1;
    }
    if (clean_path(target, path, sizeof path) < 0) {
        respond(c, 400, "Bad Request", "text/plain", sizeof body_400 - 1, head, close_after, NULL);
        c->mem = body_400;
        return 1;
    }
    uint64_t size = 0;
    const char *type = NULL;
    int fd = lookup(s, path, &size, &type);
    if (s->verbose) {
        char a[16];
        fprintf(stderr, "%s: %s:%u %s %s -> %d\n", s->prog, netio_ntoa(c->raddr, a), c->rport,
                method, path, fd == -1 ? 404 : 200);
    }
    if (fd == -1) {
        respond(c, 404, "Not Found", "text/plain", sizeof body_404 - 1, head, close_after, NULL);
        c->mem = body_404;
        return 1;
    }
    respond(c, 200, "OK", type, size, head, close_after, NULL);
    if (fd == -2)
        c->mem = builtin_page;
    else if (head)
        close(fd);
    else
        c->file = fd;
    return 1;
}

static void end_response(struct conn *c)
{
    if (c->file >= 0) close(c->file);
    c->file = -1;
    c->mem = NULL;
    c->active = 0;
    c->hdr_len = c->hdr_off = 0;
    if (c->hdr != hdr_no_memory) free(c->hdr);
    c->hdr = NULL;
    free(c->chunk);
    c->chunk = NULL;
    c->ch_off = c->ch_len = 0;
}

/* The next piece of the body to send: from memory directly, from a file through c->chunk.
 * 0 if there is none now; -1 on error. */
static int body_piece(struct conn *c, struct tcpfsm_iov *iov)
{
    if (c->mem) {
        if (!c->body_left) return 0;
        *iov = (struct tcpfsm_iov){c->mem + c->file_off, (size_t)c->body_left};
        return 1;
    }
    if (!c->ch_len && c->body_left) {
        if (!c->chunk && !(c->chunk = malloc(CHUNK))) return -1;
        size_t want = c->body_left < CHUNK ? (size_t)c->body_left : CHUNK;
        ssize_t r = pread(c->file, c->chunk, want, (off_t)c->file_off);
        if (r <= 0) return -1; /* file shrank: the promised length cannot be kept */
        c->file_off += (size_t)r;
        c->body_left -= (size_t)r;
        c->ch_off = 0;
        c->ch_len = (size_t)r;
    }
    if (!c->ch_len) return 0;
    *iov = (struct tcpfsm_iov){c->chunk + c->ch_off, c->ch_len};
    return 1;
}

/* Push the current response out, the header and the body together (tcpfsm_sendv: a small
 * response leaves in one segment, with no Nagle wait between header and body).
 * 1 = finished, 0 = blocked, -1 = error. */
static int send_response(struct tcpfsm_stack *st, struct conn *c)
{
    for (;;) {
        struct tcpfsm_iov iov[2];
        int n = 0;
        if (c->hdr_off < c->hdr_len)
            iov[n++] = (struct tcpfsm_iov){c->hdr + c->hdr_off, c->hdr_len - c->hdr_off};
        int b = body_piece(c, &iov[n]);
        if (b < 0) return -1;
        n += b;
        if (!n) return 1;
        long w = tcpfsm_sendv(st, c->fd, iov, n);
        if (w == -EAGAIN) return 0;
        if (w < 0) return -1;
        size_t left = (size_t)w, h = c->hdr_len - c->hdr_off;
        size_t dh = left < h ? left : h;
        c->hdr_off += dh;
        left -= dh;
        if (c->mem) {
            c->file_off += left;
            c->body_left -= left;
        } else {
            c->ch_off += left;
            c->ch_len -= left;
        }
    }
}

static void conn_drop(struct server *s, struct tcpfsm_stack *st, struct conn *c, int abort_it)
{
    end_response(c);
    free(c->in);
    if (abort_it)
        tcpfsm_abort(st, c->fd);
    else
        tcpfsm_close(st, c->fd);
    if (s->verbose) {
        char a[16];
        fprintf(stderr, "%s: %s %s:%u after %u requests\n", s->prog,
                abort_it ? "aborted" : "closed", netio_ntoa(c->raddr, a), c->rport, c->requests);
    }
    s->c[c->slot] = s->c[--s->n];
    s->c[c->slot]->slot = c->slot;
    free(c);
    s->served++;
}

/* Between requests the input buffer goes back: idle connections hold none. */
static void release_input(struct conn *c)
{
    if (c->in && !c->inlen) {
        free(c->in);
        c->in = NULL;
    }
}

enum serve_result {
    SERVE_IDLE,    /* waiting for the (rest of the) next request */
    SERVE_BLOCKED, /* a response waits for room to send */
    SERVE_MORE,    /* work left after the rounds one turn may take (pipelined requests) */
    SERVE_CLOSE,   /* close gracefully */
    SERVE_ABORT,
};

static enum serve_result serve(struct server *s, struct tcpfsm_stack *st, struct conn *c)
{
    for (int rounds = 0; rounds < 64; rounds++) {
        if (!c->active) {
            int r = parse_request(s, c);
            if (r < 0) {
                respond(c, 400, "Bad Request", "text/plain", sizeof body_400 - 1, 0, 1, NULL);
                c->mem = body_400;
                c->file = -1;
                c->inlen = 0;
            }
        }
        if (c->active) {
            int r = send_response(st, c);
            if (r < 0) return SERVE_ABORT;
            if (r == 0) return SERVE_BLOCKED;
            int cl = c->close_after;
            end_response(c);
            if (cl) return SERVE_CLOSE;
            continue; /* maybe a pipelined request */
        }
        if (c->rd_eof) return SERVE_CLOSE; /* peer is done and nothing is pending */
        if (c->inlen >= REQ_MAX) return SERVE_IDLE;
        if (!c->in) {
            /* a one-off check, so that an idle connection holds no buffer */
            if (!(tcpfsm_poll(st, c->fd) & TCPFSM_POLLIN)) return SERVE_IDLE;
            if (!(c->in = malloc(REQ_MAX))) return SERVE_ABORT;
        }
        long r = tcpfsm_recv(st, c->fd, c->in + c->inlen, REQ_MAX - c->inlen);
        if (r == -EAGAIN) {
            release_input(c);
            return SERVE_IDLE;
        }
        if (r < 0) return SERVE_ABORT;
        if (r == 0)
            c->rd_eof = 1;
        else
            c->inlen += (size_t)r;
    }
    return SERVE_MORE;
}

/* Serve c, then tell the interest set what c waits for. Edge-triggered, c is reported again
 * only when something new happens: after SERVE_IDLE a request's bytes, after SERVE_BLOCKED an
 * ACK making room. SERVE_MORE has nothing new to wait for, so c is modified anyway: a
 * modification queues it, and the next wait reports it while room to send holds. */
static void conn_serve(struct server *s, struct tcpfsm_stack *st, struct conn *c)
{
    enum serve_result r = serve(s, st, c);
    if (r == SERVE_CLOSE || r == SERVE_ABORT) {
        conn_drop(s, st, c, r == SERVE_ABORT);
        return;
    }
    uint32_t want = r == SERVE_IDLE ? WANT_REQUEST : WANT_ROOM;
    if (want == c->watch && r != SERVE_MORE) return;
    struct tcpfsm_event ev = {.events = want, .data = (uintptr_t)c};
    if (tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_MOD, c->fd, &ev) < 0) {
        conn_drop(s, st, c, 1); /* it could not be heard of again */
        return;
    }
    c->watch = want;
}

/* --exit-after N: after N connections the listener closes (no new one is taken) and the
 * program ends once every connection has ended on the wire too, TIME_WAIT included, so that
 * a trace shows each one's whole life down to CLOSED. */
static int exit_when_done(struct server *s, struct tcpfsm_stack *st)
{
    if (!s->exit_after || s->served < s->exit_after) return NETIO_CONTINUE;
    if (s->lfd >= 0) {
        fprintf(stderr,
                "%s: %ld connection%s served: closing the listener, exiting when "
                "every connection has ended\n",
                s->prog, s->served, s->served == 1 ? "" : "s");
        tcpfsm_close(st, s->lfd);
        s->lfd = -1;
    }
    if (s->n) return NETIO_CONTINUE; /* before the census: it visits the stack's tables */
    struct tcpfsm_sockstat ss;
    tcpfsm_sockstat(st, &ss);
    if (ss.inuse || ss.tw || ss.synrecv || ss.alloc) return NETIO_CONTINUE;
    fprintf(stderr, "%s: every connection has ended: exiting\n", s->prog);
    return NETIO_DONE;
}

static void accept_all(struct server *s, struct tcpfsm_stack *st)
{
    while (s->lfd >= 0) {
        uint32_t pa;
        uint16_t pp;
        int fd = tcpfsm_accept(st, s->lfd, &pa, &pp);
        if (fd < 0) break;
        struct conn *c = NULL;
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 16;
            struct conn **p = realloc(s->c, nc * sizeof *p);
            if (p) {
                s->c = p;
                s->cap = nc;
            }
        }
        if (s->n < s->cap) c = calloc(1, sizeof *c);
        struct tcpfsm_event ev = {.events = WANT_REQUEST, .data = (uintptr_t)c};
        if (!c || tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, fd, &ev) < 0) {
            free(c);
            tcpfsm_abort(st, fd);
            continue;
        }
        c->fd = fd;
        c->watch = WANT_REQUEST;
        c->file = -1;
        /* RFC 1122 4.2.3.6: a keep-alive connection whose client vanished (rebooted,
         * unplugged) is found out and ends, instead of being held forever */
        tcpfsm_setopt(st, fd, TCPFSM_OPT_KEEPALIVE, KEEPALIVE_IDLE_US);
        c->raddr = pa;
        c->rport = pp;
        c->slot = s->n;
        s->c[s->n++] = c;
        if (s->verbose) {
            char a[16];
            fprintf(stderr, "%s: accepted %s:%u\n", s->prog, netio_ntoa(pa, a), pp);
        }
        conn_serve(s, st, c); /* a request that came with the handshake is served now */
    }
}

/* One step: the connections (and the listener) the interest set reports, nothing else. */
static int server_poll(struct server *s, struct tcpfsm_stack *st)
{
    struct tcpfsm_event ev[HTTPD_EVENTS];
    int n = tcpfsm_epoll_wait(st, ev, HTTPD_EVENTS);
    for (int i = 0; i < n; i++) {
        struct conn *c = (struct conn *)(uintptr_t)ev[i].data;
        if (c)
            conn_serve(s, st, c);
        else
            accept_all(s, st); /* the listener's data is 0 */
    }
    return exit_when_done(s, st);
}

static int server_step(struct netio *nio, void *arg)
{
    return server_poll(arg, netio_stack(nio));
}

/* The listener: socket, bind, listen, and into the interest set (data 0 marks it). */
static int server_listen(struct server *s, struct tcpfsm_stack *st, uint16_t port)
{
    s->lfd = tcpfsm_socket(st);
    int r = s->lfd < 0 ? s->lfd : tcpfsm_bind(st, s->lfd, 0, port);
    if (r == 0) r = tcpfsm_listen(st, s->lfd, 128);
    struct tcpfsm_event lev = {.events = TCPFSM_POLLIN, .data = 0};
    if (r == 0) r = tcpfsm_epoll_ctl(st, TCPFSM_EPOLL_CTL_ADD, s->lfd, &lev);
    return r;
}

static void server_free(struct server *s)
{
    for (size_t i = 0; i < s->n; i++) {
        end_response(s->c[i]);
        free(s->c[i]->in);
        free(s->c[i]);
    }
    free(s->c);
    s->c = NULL;
    s->n = s->cap = 0;
}

/* ---- --threads N: one stack per thread (tcpfsm_shards.h) ----
 * Each shard has its own server (listener and connections), touched only by the shard's
 * thread: the same server_poll as with one stack, called after every batch. The main thread
 * only waits for signals and prints the merged listing and counters. */

struct threaded {
    struct server *srv; /* one per shard */
    uint16_t port;
};

static int shard_init(struct tcpfsm_shards *sh, unsigned shard, struct tcpfsm_stack *st, void *arg)
{
    (void)sh;
    struct threaded *t = arg;
    return server_listen(&t->srv[shard], st, t->port);
}

static int shard_wakeup(struct tcpfsm_shards *sh, unsigned shard, struct tcpfsm_stack *st,
                        void *arg)
{
    (void)sh;
    struct threaded *t = arg;
    server_poll(&t->srv[shard], st);
    return tcpfsm_epoll_pending(st) != 0; /* reports left: come back without sleeping */
}

static int shard_counters(struct tcpfsm_shards *sh, unsigned shard, struct tcpfsm_stack *st,
                          void *arg)
{
    (void)sh;
    (void)shard;
    tcpfsm_get_stats(st, arg);
    return 0;
}

/* The listing, census and counters of every shard merged, labelled as netio labels one
 * stack's (--ss, SIGUSR1), then what the layer counted per shard. */
static void print_merged(struct tcpfsm_shards *sh, const char *prog, const char *when)
{
    FILE *f = stderr;
    fprintf(f, "%s: tcpfsm_ss %s:\n", prog, when);
    int need = tcpfsm_shards_ss(sh, NULL, 0);
    char *buf = need >= 0 ? malloc((size_t)need + 1) : NULL;
    if (buf && tcpfsm_shards_ss(sh, buf, (size_t)need + 1) >= 0) fputs(buf, f);
    free(buf);
    struct tcpfsm_sockstat ss;
    char line[256];
    fprintf(f, "%s: sockets (tcpfsm_sockstat) %s:\n", prog, when);
    if (tcpfsm_shards_sockstat(sh, &ss) == 0) {
        tcpfsm_sockstat_format(&ss, line, sizeof line);
        fputs(line, f);
    }
    for (unsigned i = 0; i < tcpfsm_shards_count(sh); i++) {
        struct tcpfsm_shard_stats s;
        struct tcpfsm_stats own;
        if (tcpfsm_shards_shard_stats(sh, i, &s) || tcpfsm_shards_call(sh, i, shard_counters, &own))
            continue;
        fprintf(f,
                "%s: shard %u: PassiveOpens %llu CurrEstab %llu InPackets %llu Forwarded %llu "
                "FromShards %llu OutPackets %llu\n",
                prog, i, (unsigned long long)own.PassiveOpens, (unsigned long long)own.CurrEstab,
                (unsigned long long)s.InPackets, (unsigned long long)s.Forwarded,
                (unsigned long long)s.FromShards, (unsigned long long)s.OutPackets);
    }
    fprintf(f, "%s: counters (tcpfsm_get_stats) %s:\n", prog, when);
    struct tcpfsm_stats st;
    if (tcpfsm_shards_get_stats(sh, &st) == 0) netio_print_counters(&st, f);
    fflush(f);
}

static int run_threads(const struct netio_opts *o, const struct server *proto, long n,
                       uint16_t port)
{
    const char *prog = o->prog;
    if (!o->tun || o->tap || o->packet) {
        fprintf(stderr, "%s: --threads needs --tun (a multi-queue TUN device)\n", prog);
        return 1;
    }
    if (o->trace || o->pcap || o->offload || proto->exit_after) {
        fprintf(stderr,
                "%s: --threads does not go with --trace, --pcap, --offload or --exit-after\n",
                prog);
        return 1;
    }
    struct threaded t = {.srv = calloc((size_t)n, sizeof *t.srv), .port = port};
    if (!t.srv) return 1;
    for (long i = 0; i < n; i++) {
        t.srv[i] = *proto;
        t.srv[i].lfd = -1;
    }
    /* Signals go to this thread (the shards block them all): block them before any thread
     * exists, then wait for them here. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    struct tcpfsm_shards_config sc = {
        .nshards = (unsigned)n,
        .stack = {.addr = o->addr, .prefix_len = (uint8_t)o->prefix},
        .tun = o->tun,
        .init = shard_init,
        .wakeup = shard_wakeup,
        .arg = &t,
    };
    int err = 0, rc = 1;
    struct tcpfsm_shards *sh = tcpfsm_shards_new(&sc, &err);
    if (!sh) {
        fprintf(stderr, "%s: %s: %ld queues: %s\n", prog, o->tun, n, strerror(-err));
        free(t.srv);
        return 1;
    }
    if (netio_setup_device(o, o->tun) < 0) goto out;
    err = tcpfsm_shards_start(sh);
    if (err < 0) {
        fprintf(stderr, "%s: listen on port %u: %s\n", prog, port, strerror(-err));
        goto out;
    }
    if (o->verbose) {
        char a[16];
        fprintf(stderr, "%s: listening on %s:%u, %ld threads\n", prog, netio_ntoa(o->addr, a), port,
                n);
    }
    for (;;) {
        int sig;
        if (sigwait(&sigs, &sig)) break;
        if (sig != SIGUSR1) break;
        print_merged(sh, prog, "on SIGUSR1");
    }
    tcpfsm_shards_stop(sh); /* the stacks are ours again: nothing runs in the shards */
    if (o->ss) print_merged(sh, prog, "at exit");
    rc = 0;
out:
    for (long i = 0; i < n; i++)
        server_free(&t.srv[i]);
    tcpfsm_shards_free(sh);
    free(t.srv);
    return rc;
}

/* ---- the built-in client (memory mode) ---- */

struct req {
    char path[512];
    int head;
    int expect;          /* status */
    unsigned char *body; /* expected (NULL for 404/HEAD: only the length is checked) */
    size_t len;
};

struct client {
    const char *prog;
    uint16_t port;
    struct req reqs[12];
    int nreq, cur;
    int fd, connected, sent_cur;
    int want_room; /* a request waits for room to send */
    char *buf;     /* response accumulator */
    size_t blen, bcap;
    int failed, done, ok;
};

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 65536, n = 0;
    unsigned char *b = malloc(cap);
    for (size_t r; b && (r = fread(b + n, 1, cap - n, f)) > 0;) {
        n += r;
        if (n == cap) {
            unsigned char *nb = cap > (64u << 20) ? NULL : realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    *len = n;
    return b;
}

static void add_req(struct client *c, const char *path, const char *disk, int head, int expect)
{
    if (c->nreq >= (int)(sizeof c->reqs / sizeof c->reqs[0])) return;
    struct req *r = &c->reqs[c->nreq];
    snprintf(r->path, sizeof r->path, "%s", path);
    r->head = head;
    r->expect = expect;
    if (disk) {
        r->body = slurp(disk, &r->len);
        if (!r->body) return;
    } else if (expect == 200) {
        r->body = malloc(sizeof builtin_page);
        if (!r->body) return;
        memcpy(r->body, builtin_page, sizeof builtin_page);
        r->len = sizeof builtin_page - 1;
    }
    c->nreq++;
}

static void plan_requests(struct client *c, const struct server *s)
{
    if (s->nroots == 0) {
        add_req(c, "/", NULL, 0, 200);
        add_req(c, "/index.html", NULL, 1, 200);
    }
    for (int i = 0; i < s->nroots && c->nreq < 8; i++) {
        const struct root *r = &s->roots[i];
        if (!r->is_dir) {
            add_req(c, r->url, r->path, 0, 200);
            continue;
        }
        DIR *d = opendir(r->path);
        if (!d) continue;
        for (struct dirent *e; c->nreq < 8 && (e = readdir(d));) {
            char full[4096], url[600];
            if (e->d_name[0] == '.' || strlen(e->d_name) > 500) continue;
            snprintf(full, sizeof full, "%s/%s", r->path, e->d_name);
            struct stat sb;
            if (stat(full, &sb) < 0 || !S_ISREG(sb.st_mode)) continue;
            snprintf(url, sizeof url, "/%s", e->d_name);
            uint64_t sz;
            const char *type;
            int fd = lookup(s, url, &sz, &type); /* the file an earlier root shadows */
            if (fd >= 0) close(fd);
            if (fd >= 0 && sz == (uint64_t)sb.st_size) add_req(c, url, full, 0, 200);
        }
        closedir(d);
    }
    if (c->nreq > 0 && c->reqs[0].expect == 200 && s->nroots > 0) {
        struct req *f = &c->reqs[0];
        add_req(c, f->path, NULL, 1, 200);
        c->reqs[c->nreq - 1].len = f->len;
    }
    add_req(c, "/no/such/file", NULL, 0, 404);
}

static int client_fail(struct client *c, const char *what)
{
    fprintf(stderr, "%s: client: request %d (%s %s): %s\n", c->prog, c->cur,
            c->reqs[c->cur].head ? "HEAD" : "GET", c->reqs[c->cur].path, what);
    c->failed = 1;
    return NETIO_FAIL;
}

/* Check a complete response in c->buf; 1 done, 0 need more, -1 bad. */
static int check_response(struct client *c)
{
    const struct req *r = &c->reqs[c->cur];
    char *end = NULL;
    for (size_t i = 0; i + 3 < c->blen; i++)
        if (!memcmp(c->buf + i, "\r\n\r\n", 4)) {
            end = c->buf + i + 4;
            break;
        }
    if (!end) return 0;
    int code = 0;
    if (sscanf(c->buf, "HTTP/1.1 %d", &code) != 1 || code != r->expect)
        return client_fail(c, "unexpected status line"), -1;
    size_t vlen;
    const char *cl = find_header(c->buf, end, "Content-Length", &vlen);
    if (!cl) return client_fail(c, "no Content-Length"), -1;
    size_t len = (size_t)strtoull(cl, NULL, 10);
    if (r->expect == 200 && len != r->len) return client_fail(c, "wrong Content-Length"), -1;
    size_t hl = (size_t)(end - c->buf), blen = r->head ? 0 : len;
    if (c->blen < hl + blen) return 0;
    if (c->blen > hl + blen) return client_fail(c, "extra bytes after the body"), -1;
    if (!r->head && r->expect == 200 && memcmp(end, r->body, len) != 0)
        return client_fail(c, "body differs from the file"), -1;
    return 1;
}

/* The client's turn, with the events its report says hold. */
static int client_io(struct client *c, struct tcpfsm_stack *st, uint32_t ev)
{
    if (ev & TCPFSM_POLLERR) {
        int e = tcpfsm_error(st, c->fd);
        fprintf(stderr, "%s: client: %s\n", c->prog, strerror(e ? -e : EIO));
        return NETIO_FAIL;
    }
    if (!c->connected) {
        if (!(ev & TCPFSM_POLLOUT)) return NETIO_CONTINUE;
        c->connected = 1;
    }
    c->want_room = 0;
    for (;;) {
        if (c->cur < c->nreq && !c->sent_cur) {
            const struct req *r = &c->reqs[c->cur];
            char q[700];
            int n = snprintf(q, sizeof q, "%s %s HTTP/1.1\r\nHost: tcpfsm\r\n%s\r\n",
                             r->head ? "HEAD" : "GET", r->path,
                             c->cur == c->nreq - 1 ? "Connection: close\r\n" : "");
            long w = tcpfsm_send(st, c->fd, q, (size_t)n);
            if (w == -EAGAIN) {
                c->want_room = 1;
                return NETIO_CONTINUE;
            }
            if (w != n) return client_fail(c, "send failed");
            c->sent_cur = 1;
            c->blen = 0;
        }
        if (c->blen == c->bcap) {
            size_t nc = c->bcap ? c->bcap * 2 : 65536;
            char *nb = realloc(c->buf, nc);
            if (!nb) return NETIO_FAIL;
            c->buf = nb;
            c->bcap = nc;
        }
        long r = tcpfsm_recv(st, c->fd, c->buf + c->blen, c->bcap - c->blen);
        if (r == -EAGAIN) return NETIO_CONTINUE;
        if (r < 0) return client_fail(c, strerror((int)-r));
        if (r == 0) {
            if (c->cur < c->nreq) return client_fail(c, "connection closed before the response");
            tcpfsm_close(st, c->fd);
            c->done = 1;
            return NETIO_DONE;
        }
        if (c->cur >= c->nreq) return client_fail(c, "bytes after the last response");
        c->blen += (size_t)r;
        int k = check_response(c);
        if (k < 0) return NETIO_FAIL;
        if (k > 0) {
            c->ok++;
            c->cur++;
            c->sent_cur = 0;
        }
    }
}

/* One-shot: each report disarms the socket, and the turn re-arms it with what it waits for
 * now (the connection's completion or room for a request: POLLOUT; a response: POLLIN). */
static int client_arm(struct client *c, struct tcpfsm_stack *st, int op)
{
    int out = !c->connected || c->want_room;
    struct tcpfsm_event ev = {.events = (out ? TCPFSM_POLLOUT : TCPFSM_POLLIN) | TCPFSM_POLLRDHUP |
                                        TCPFSM_EPOLLONESHOT};
    int r = tcpfsm_epoll_ctl(st, op, c->fd, &ev);
    if (r < 0) fprintf(stderr, "%s: client: epoll_ctl: %s\n", c->prog, strerror(-r));
    return r;
}

static int client_step(struct netio *nio, void *arg)
{
    struct client *c = arg;
    struct tcpfsm_stack *st = netio_peer(nio);
    if (c->fd < 0) {
        c->fd = tcpfsm_socket(st);
        if (c->fd < 0) return NETIO_FAIL;
        int r = tcpfsm_connect(st, c->fd, netio_addr(nio), c->port);
        if (r < 0 && r != -EINPROGRESS) {
            fprintf(stderr, "%s: client connect: %s\n", c->prog, strerror(-r));
            return NETIO_FAIL;
        }
        if (client_arm(c, st, TCPFSM_EPOLL_CTL_ADD) < 0) return NETIO_FAIL;
    }
    struct tcpfsm_event ev;
    if (tcpfsm_epoll_wait(st, &ev, 1) < 1) return NETIO_CONTINUE;
    int r = client_io(c, st, ev.events);
    if (r == NETIO_CONTINUE && client_arm(c, st, TCPFSM_EPOLL_CTL_MOD) < 0) return NETIO_FAIL;
    return r;
}

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [--port N] [FILE|DIR]... [link options]\n"
            "HTTP/1.1 static file server on the userspace TCP stack libtcpfsm: GET and HEAD,\n"
            "Content-Length, keep-alive and pipelining, 404.\n"
            "  FILE          served as /BASENAME (a single FILE is also served at /)\n"
            "  DIR           everything below DIR, / being DIR/index.html\n"
            "                (no argument: a built-in page at / and /index.html)\n"
            "  -p, --port N  port to listen on (default 80)\n"
            "  --exit-after N  after N connections, stop listening and exit once every\n"
            "                connection has ended (TIME_WAIT included)\n"
            "  --threads N   one stack per thread, N of them (1..64), on a multi-queue TUN\n"
            "                device (--tun NAME: made multi-queue if absent); each listens\n"
            "                on the port and serves the connections its flows hash to.\n"
            "                With --tun only; not with --trace, --pcap, --offload or\n"
            "                --exit-after\n"
            "Memory mode (default): a built-in client fetches the files on one keep-alive\n"
            "connection, plus a HEAD and a 404, and checks every byte (exit 0 if all did).\n"
            "With --tun the server runs until SIGINT/SIGTERM, or --exit-after.\n"
            "Example (root, in a namespace made by tests/netns.sh):\n"
            "  %s --tun tf0 --addr 10.77.0.2/24 --port 80 README.md &\n"
            "  curl http://10.77.0.2/README.md\n\n",
            prog, prog);
    netio_usage(f);
}

int main(int argc, char **argv)
{
    const char *prog = "tcpfsm-httpd";
    struct netio_opts o;
    netio_opts_init(&o, prog);
    long port = 80, threads = 0;
    static struct server s;
    s.prog = prog;
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
        } else if ((!strcmp(a, "--port") || !strcmp(a, "-p")) && i + 1 < argc) {
            port = strtol(argv[++i], NULL, 10);
        } else if (!strcmp(a, "--threads") && i + 1 < argc) {
            char *end;
            threads = strtol(argv[++i], &end, 10);
            if (end == argv[i] || *end || threads < 1 || threads > (long)TCPFSM_SHARDS_MAX) {
                fprintf(stderr, "%s: bad --threads '%s' (1..%u)\n", prog, argv[i],
                        TCPFSM_SHARDS_MAX);
                return 1;
            }
        } else if (!strcmp(a, "--exit-after") && i + 1 < argc) {
            char *end;
            s.exit_after = strtol(argv[++i], &end, 10);
            if (end == argv[i] || *end || s.exit_after < 1 || s.exit_after > 1000000000) {
                fprintf(stderr, "%s: bad --exit-after '%s' (1 or more)\n", prog, argv[i]);
                return 1;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "%s: unknown or incomplete option '%s' (try --help)\n", prog, a);
            return 1;
        } else {
            struct stat sb;
            if (stat(a, &sb) < 0 || !(S_ISREG(sb.st_mode) || S_ISDIR(sb.st_mode))) {
                fprintf(stderr, "%s: %s: not a file or directory\n", prog, a);
                return 1;
            }
            if (s.nroots == MAX_ROOTS) {
                fprintf(stderr, "%s: at most %d files/directories\n", prog, MAX_ROOTS);
                return 1;
            }
            struct root *rt = &s.roots[s.nroots++];
            rt->is_dir = S_ISDIR(sb.st_mode);
            /* strip trailing slashes from directories */
            char *p = strdup(a);
            if (!p) return 1;
            for (size_t l = strlen(p); rt->is_dir && l > 1 && p[l - 1] == '/'; l--)
                p[l - 1] = '\0';
            rt->path = p;
            if (!rt->is_dir) {
                const char *base = strrchr(p, '/');
                base = base ? base + 1 : p;
                char *u = malloc(strlen(base) + 2);
                if (!u) return 1;
                sprintf(u, "/%s", base);
                rt->url = u;
            }
        }
    }
    if (port < 1 || port > 65535) {
        fprintf(stderr, "%s: bad --port\n", prog);
        return 1;
    }
    s.verbose = o.verbose;
    if (threads) return run_threads(&o, &s, threads, (uint16_t)port);
    struct netio *nio = netio_open(&o, NULL);
    if (!nio) return 1;
    struct tcpfsm_stack *st = netio_stack(nio);
    int r = server_listen(&s, st, (uint16_t)port);
    if (r < 0) {
        fprintf(stderr, "%s: listen on port %ld: %s\n", prog, port, strerror(-r));
        netio_close(nio);
        return 1;
    }
    int rc;
    if (netio_is_mem(nio)) {
        static struct client c;
        c.prog = prog;
        c.port = (uint16_t)port;
        c.fd = -1;
        plan_requests(&c, &s);
        rc = netio_run(nio, server_step, &s, client_step, &c);
        if (rc == NETIO_DONE) {
            netio_run_for(nio, 1000000, server_step, &s, NULL, NULL);
            printf("%s: built-in client: %d of %d responses correct\n", prog, c.ok, c.nreq);
        }
        for (int i = 0; i < c.nreq; i++)
            free(c.reqs[i].body);
        free(c.buf);
    } else {
        if (o.verbose) {
            char a[16];
            fprintf(stderr, "%s: listening on %s:%ld\n", prog, netio_ntoa(o.addr, a), port);
        }
        rc = netio_run(nio, server_step, &s, NULL, NULL);
        if (rc == NETIO_SIGNAL) rc = NETIO_DONE;
    }
    server_free(&s);
    netio_close(nio);
    return rc == NETIO_DONE ? 0 : 1;
}
