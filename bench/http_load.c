/*
 * http_load.c — many concurrent keep-alive HTTP/1.1 clients on the Linux kernel's TCP, one
 * thread, non-blocking sockets and epoll (edge-triggered, each socket registered once).
 *
 * Every connection is opened first (at most --connect-window handshakes in flight at once, so
 * that 10,000 SYNs do not land on a listener's backlog together), then each one does
 * `GET PATH` one request at a time, reading the whole response by its Content-Length before
 * writing the next request:
 *   --requests K   each connection does K requests; the run ends when all have (default 1);
 *   --duration S   one warm-up request each, then requests back to back for S seconds; the
 *                  requests in flight then finish (not counted) and the run ends.
 * All connections stay open until the run ends (and --hold seconds more), then the client
 * closes them (it closes first, as a browser does with an idle keep-alive connection).
 *
 * Every response must be a 200 with a Content-Length body, byte-identical to the first one
 * received (and its body to --body FILE if given). Errors are counted by kind, never retried:
 *   refused           the handshake was answered by a reset (ECONNREFUSED)
 *   reset             ECONNRESET/EPIPE on an established connection
 *   connect_timeout   no handshake within --io-timeout (or the kernel gave up, ETIMEDOUT)
 *   response_timeout  no complete response within --io-timeout of the request
 *   closed            the server closed a connection (EOF) before the run ended
 *   bad_status        a status line other than "HTTP/1.1 200 ..."
 *   bad_body          no usable Content-Length, a response larger than --max-response, bytes
 *                     after the response, or bytes differing from the first response/--body
 *   other             any other failure (socket, connect: EADDRNOTAVAIL, EMFILE, ...)
 * Latency is measured from the request's first write to the response's last byte, kept in a
 * log-linear histogram (64 steps per power of two: within 1.6%), reported as p50/p90/p99/max.
 *
 * The last line on stdout is the summary, key=value pairs after "http_load:":
 *   http_load: conns=N connected=N requests=N secs=S rate=R p50_us=.. p90_us=.. p99_us=..
 *   max_us=.. connect_secs=S slow_connects=N errors=N refused=N reset=N ... resp_bytes=N
 *   resp_hash=HEX
 * rate is requests per second over the measured time (--duration: the requests completed in
 * it; --requests: all of them, from the first request to the last response); slow_connects
 * counts handshakes that took 0.9 s or more (the kernel resends a SYN after 1 s: a dropped SYN);
 * resp_hash is FNV-1a-64 of the reference response (bench/run.py compares two servers' with it).
 * Exit status: 0 when every request succeeded, 1 otherwise, 2 on bad usage.
 * The whole run is bounded by --timeout (default 60 s). RLIMIT_NOFILE is raised to fit.
 *
 * Used by tests/interop/test_httpd_10k_clients.sh (built by tests/interop/interop.mk) and by
 * bench/run.py (bench_http_clients) against tcpfsm-httpd over TUN and bench/linux_httpd.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNS_MAX 1000000u    /* --conns limit: a million descriptors is Linux's nr_open default */
#define RESP_LIMIT (1u << 20) /* --max-response limit */
#define BODY_FILE_MAX (1u << 20)
#define EVENTS 1024
#define SLOW_CONNECT_NS 900000000ull /* the kernel's first SYN retransmission comes after 1 s */
#define SCAN_NS 50000000ull          /* how often deadlines are looked at */

/* Latency histogram: values below 64 ns have a bucket each, then 64 buckets per power of two
 * up to 2^47 ns (~39 hours: more than any run lasts). */
#define SUB_BITS 6
#define SUB (1u << SUB_BITS)
#define EXP_MAX 47
#define NBUCKETS (SUB + (EXP_MAX - SUB_BITS + 1) * SUB)

enum cstate {
    UNOPENED,   /* not connected yet (waiting for a place in the connect window) */
    CONNECTING, /* handshake in flight */
    READY,      /* connected, no request outstanding */
    SENDING,    /* request partly written */
    READING,    /* request written, response not complete */
    FINISHED,   /* did its share of requests; stays open until the run ends */
    FAILED      /* an error ended it (counted), descriptor closed */
};

enum err {
    E_REFUSED,
    E_RESET,
    E_CONNECT_TIMEOUT,
    E_RESPONSE_TIMEOUT,
    E_CLOSED,
    E_BAD_STATUS,
    E_BAD_BODY,
    E_OTHER,
    E_KINDS
};
static const char *const err_name[E_KINDS] = {
    "refused", "reset",      "connect_timeout", "response_timeout",
    "closed",  "bad_status", "bad_body",        "other",
};

struct conn {
    int fd;
    enum cstate st;
    uint32_t done;      /* requests completed */
    uint32_t sent;      /* bytes of the current request written */
    uint32_t len;       /* bytes of the current response received */
    uint32_t hlen;      /* header length once the header is complete */
    uint32_t need;      /* header + body length once the header is complete, else 0 */
    uint64_t t_req;     /* when the current request (or the handshake) started, ns */
    unsigned char *buf; /* max_response bytes, allocated on the first response */
};

static struct {
    const char *addr_s;
    struct sockaddr_in srv;
    uint32_t conns;
    uint32_t requests; /* per connection (requests mode) */
    double duration;   /* > 0: duration mode */
    uint32_t window;
    double timeout, io_timeout;
    uint32_t max_response;
    const char *body_file;
    const char *host;
    double hold;
    int quiet;
} opt = {.conns = 100,
         .requests = 1,
         .window = 128,
         .timeout = 60,
         .io_timeout = 10,
         .max_response = 65536};

static struct conn *cs;
static int epfd = -1;
static char req[512];
static uint32_t req_len;
static unsigned char *expect_body;
static size_t expect_body_len;
static unsigned char *ref; /* the first complete response, the reference for all others */
static uint32_t ref_len;

static uint64_t errs[E_KINDS];
static char first_err[200];
static uint64_t hist[NBUCKETS];
static uint64_t measured, completed, connected, slow_connects, in_handshake;
static uint64_t outstanding;          /* connections with a request in flight (SENDING, READING) */
static uint64_t cold;                 /* connections alive that have had no response yet */
static uint64_t t_window0, t_window1; /* measured time */
static int measuring, stopping;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static unsigned bucket_of(uint64_t v)
{
    if (v < SUB) return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* >= SUB_BITS */
    if (e > EXP_MAX) return NBUCKETS - 1;
    return SUB + (e - SUB_BITS) * SUB + (unsigned)((v >> (e - SUB_BITS)) & (SUB - 1));
}

/* The middle of a bucket's range. */
static double bucket_value(unsigned b)
{
    if (b < SUB) return b;
    unsigned e = (b - SUB) / SUB + SUB_BITS, sub = (b - SUB) % SUB;
    double lo = (double)((uint64_t)(SUB + sub) << (e - SUB_BITS));
    return lo + (double)(1ull << (e - SUB_BITS)) / 2;
}

/* The p-th quantile (0 < p <= 1) of the measured latencies, ns; 0 with none. */
static double quantile(double p)
{
    if (!measured) return 0;
    uint64_t rank = (uint64_t)(p * (double)measured + 0.999999), seen = 0;
    if (rank < 1) rank = 1;
    for (unsigned b = 0; b < NBUCKETS; b++) {
        seen += hist[b];
        if (seen >= rank) return bucket_value(b);
    }
    return bucket_value(NBUCKETS - 1);
}

static double max_latency(void)
{
    for (unsigned b = NBUCKETS; b-- > 0;)
        if (hist[b]) return bucket_value(b);
    return 0;
}

/* A connection ends with an error of kind k: counted, closed, never reopened. */
static void conn_fail(struct conn *c, enum err k, const char *what, int e)
{
    if (c->st == CONNECTING) in_handshake--;
    if (c->st == SENDING || c->st == READING) outstanding--;
    if (!c->done) cold--;
    errs[k]++;
    if (!first_err[0])
        snprintf(first_err, sizeof first_err, "connection %ld: %s: %s%s%s", (long)(c - cs),
                 err_name[k], what, e ? ": " : "", e ? strerror(e) : "");
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->st = FAILED;
    free(c->buf);
    c->buf = NULL;
}

/* The kind of error an errno ends connection c with. */
static enum err kind_of_errno(const struct conn *c, int e)
{
    switch (e) {
    case ECONNREFUSED:
        return E_REFUSED;
    case ECONNRESET:
    case EPIPE:
        return E_RESET;
    case ETIMEDOUT: /* the kernel gave up retransmitting */
        return c->st == CONNECTING ? E_CONNECT_TIMEOUT : E_RESPONSE_TIMEOUT;
    default:
        return E_OTHER;
    }
}

/* Start c's handshake. */
static void conn_open(struct conn *c)
{
    c->t_req = now_ns();
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        conn_fail(c, E_OTHER, "socket", errno);
        return;
    }
    c->st = CONNECTING;
    in_handshake++;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                             .data.u32 = (uint32_t)(c - cs)};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        conn_fail(c, E_OTHER, "epoll_ctl", errno);
        return;
    }
    if (connect(c->fd, (struct sockaddr *)&opt.srv, sizeof opt.srv) < 0 && errno != EINPROGRESS)
        conn_fail(c, kind_of_errno(c, errno), "connect", errno);
}

/* Is the response in c->buf complete? 1 yes, 0 not yet, -1 failed (counted). */
static int response_check(struct conn *c)
{
    if (!c->need) {
        const unsigned char *end = NULL;
        for (uint32_t i = 0; i + 3 < c->len; i++)
            if (!memcmp(c->buf + i, "\r\n\r\n", 4)) {
                end = c->buf + i + 4;
                break;
            }
        if (!end) {
            if (c->len == opt.max_response)
                return conn_fail(c, E_BAD_BODY, "header larger than --max-response", 0), -1;
            return 0;
        }
        if (c->len < 13 || memcmp(c->buf, "HTTP/1.1 200 ", 13) != 0) {
            char line[64];
            size_t n = 0;
            while (n + 1 < sizeof line && n < c->len && c->buf[n] != '\r' && c->buf[n] != '\n')
                line[n] = (char)c->buf[n], n++;
            line[n] = '\0';
            return conn_fail(c, E_BAD_STATUS, line, 0), -1;
        }
        const char *cl = NULL;
        for (const unsigned char *p = c->buf; p + 17 < end; p++)
            if (!strncasecmp((const char *)p, "\r\nContent-Length:", 17)) {
                cl = (const char *)p + 17;
                break;
            }
        char *stop;
        unsigned long long blen = cl ? strtoull(cl, &stop, 10) : 0;
        if (!cl || stop == cl)
            return conn_fail(c, E_BAD_BODY, "no Content-Length in the response", 0), -1;
        uint64_t total = (uint64_t)(end - c->buf) + blen;
        if (total > opt.max_response)
            return conn_fail(c, E_BAD_BODY, "response larger than --max-response", 0), -1;
        c->need = (uint32_t)total;
        c->hlen = (uint32_t)(end - c->buf);
    }
    if (c->len > c->need) return conn_fail(c, E_BAD_BODY, "bytes after the response", 0), -1;
    if (c->len < c->need) return 0;
    if (!ref) {
        /* The first response: with --body, its body must be exactly the file. */
        if (expect_body && (c->len - c->hlen != expect_body_len ||
                            memcmp(c->buf + c->hlen, expect_body, expect_body_len) != 0))
            return conn_fail(c, E_BAD_BODY, "body differs from --body", 0), -1;
        if (!(ref = malloc(c->len))) return conn_fail(c, E_OTHER, "out of memory", ENOMEM), -1;
        memcpy(ref, c->buf, c->len);
        ref_len = c->len;
    } else if (c->len != ref_len || memcmp(c->buf, ref, ref_len) != 0) {
        return conn_fail(c, E_BAD_BODY, "response differs from the first response", 0), -1;
    }
    return 1;
}

/* Drive c as far as it goes without waiting: write its request, read its response, and the
 * next request when there is one to do. */
static void conn_progress(struct conn *c)
{
    for (;;) {
        if (c->st == READY) {
            if (stopping || (!opt.duration && c->done >= opt.requests)) {
                c->st = FINISHED;
                continue;
            }
            c->st = SENDING;
            c->sent = 0;
            c->t_req = now_ns();
            outstanding++;
        }
        if (c->st == SENDING) {
            ssize_t w = send(c->fd, req + c->sent, req_len - c->sent, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno != EAGAIN) conn_fail(c, kind_of_errno(c, errno), "send", errno);
                return;
            }
            c->sent += (uint32_t)w;
            if (c->sent < req_len) return;
            c->st = READING;
            c->len = c->need = 0;
            if (!c->buf && !(c->buf = malloc(opt.max_response))) {
                conn_fail(c, E_OTHER, "out of memory", ENOMEM);
                return;
            }
        }
        /* READING, or an idle state in which any byte or EOF from the server is an error */
        unsigned char scratch[256];
        unsigned char *dst = c->st == READING ? c->buf + c->len : scratch;
        size_t room = c->st == READING ? opt.max_response - c->len : sizeof scratch;
        if (c->st == READING && !room) {
            conn_fail(c, E_BAD_BODY, "response larger than --max-response", 0);
            return;
        }
        ssize_t r = recv(c->fd, dst, room, 0);
        if (r < 0) {
            if (errno != EAGAIN) conn_fail(c, kind_of_errno(c, errno), "recv", errno);
            return;
        }
        if (r == 0) {
            conn_fail(c, E_CLOSED,
                      c->st == READING ? "the server closed before the whole response"
                                       : "the server closed an idle connection",
                      0);
            return;
        }
        if (c->st != READING) {
            conn_fail(c, E_BAD_BODY, "bytes from the server with no request outstanding", 0);
            return;
        }
        c->len += (uint32_t)r;
        int k = response_check(c);
        if (k < 0) return;
        if (k == 0) continue;
        uint64_t t = now_ns();
        if (!c->done++) cold--;
        completed++;
        outstanding--;
        if (measuring && !stopping) {
            hist[bucket_of(t - c->t_req)]++;
            measured++;
        }
        c->st = READY;
    }
}

static void on_connected(struct conn *c)
{
    in_handshake--;
    connected++;
    if (now_ns() - c->t_req >= SLOW_CONNECT_NS) slow_connects++;
    c->st = READY;
}

static void on_event(struct conn *c, uint32_t ev)
{
    if (c->st == FAILED || c->st == UNOPENED) return;
    if (c->st == CONNECTING) {
        if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        int e = 0;
        socklen_t el = sizeof e;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0) e = errno;
        if (e) {
            conn_fail(c, kind_of_errno(c, e), "connect", e);
            return;
        }
        on_connected(c);
        /* The requests wait until every connection is up: nothing to do now, but an early
         * EOF or stray byte must not go unseen (edge-triggered: this is the only event). */
        if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))) return;
        c->st = FINISHED; /* idle: conn_progress reads and calls anything an error */
        conn_progress(c);
        if (c->st == FINISHED) c->st = READY;
        return;
    }
    if (ev & EPOLLERR) {
        int e = 0;
        socklen_t el = sizeof e;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el);
        if (e) {
            conn_fail(c, kind_of_errno(c, e), "socket error", e);
            return;
        }
    }
    /* READY: still in the connect phase, idle; only errors matter, no request starts here */
    enum cstate was = c->st;
    if (was == READY) c->st = FINISHED; /* read only: a READY connection is not started here */
    conn_progress(c);
    if (was == READY && c->st == FINISHED) c->st = READY;
}

/* Connections past their deadline fail: a handshake or a response that took too long. */
static void scan_deadlines(void)
{
    uint64_t lim = (uint64_t)(opt.io_timeout * 1e9), now = now_ns();
    for (uint32_t i = 0; i < opt.conns; i++) {
        struct conn *c = &cs[i];
        if (c->st == CONNECTING && now - c->t_req > lim)
            conn_fail(c, E_CONNECT_TIMEOUT, "no handshake within --io-timeout", 0);
        else if ((c->st == SENDING || c->st == READING) && now - c->t_req > lim)
            conn_fail(c, E_RESPONSE_TIMEOUT, "no complete response within --io-timeout", 0);
    }
}

static uint64_t total_errors(void)
{
    uint64_t n = 0;
    for (int k = 0; k < E_KINDS; k++)
        n += errs[k];
    return n;
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* RLIMIT_NOFILE to fit n descriptors (as root the hard limit rises too, up to nr_open). */
static int raise_nofile(uint64_t n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return -1;
    if (rl.rlim_cur >= n) return 0;
    struct rlimit want = {n, rl.rlim_max > n ? rl.rlim_max : n};
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) return 0;
    /* no CAP_SYS_RESOURCE (a container): as far as the hard limit goes */
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur >= n ? 0 : -1;
}

static void usage(FILE *f)
{
    fputs("Usage: http_load ADDR PORT [options]\n"
          "Concurrent keep-alive HTTP/1.1 clients (GET, one request at a time per connection)\n"
          "on the kernel's TCP; prints a summary line 'http_load: key=value ...'.\n"
          "  --conns N            concurrent connections, 1..1000000 (default 100)\n"
          "  --requests K         requests per connection, 1..1000000 (default 1)\n"
          "  --duration SEC       instead: requests back to back for SEC s after one warm-up\n"
          "                       request per connection (0.01..3600)\n"
          "  --connect-window W   handshakes in flight at once, 1..65535 (default 128)\n"
          "  --path PATH          request target (default /)\n"
          "  --host NAME          Host header (default ADDR)\n"
          "  --body FILE          the body every response must carry, byte for byte\n"
          "  --max-response N     largest response accepted, 64..1048576 bytes (default 65536)\n"
          "  --io-timeout SEC     bound of each handshake and each response (default 10)\n"
          "  --timeout SEC        bound of the whole run (default 60)\n"
          "  --hold SEC           keep the connections open SEC s after the summary line, then\n"
          "                       close them (so that the server's table can be looked at)\n"
          "  -q, --quiet          only the summary line (no progress on stderr)\n"
          "Exit status: 0 every request succeeded, 1 otherwise, 2 bad usage.\n",
          f);
}

static int num_arg(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi)) return -1;
    *out = v;
    return 0;
}

static int load_body(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    expect_body = malloc(BODY_FILE_MAX);
    size_t n = expect_body ? fread(expect_body, 1, BODY_FILE_MAX, f) : 0;
    int bad = !expect_body || ferror(f) || !feof(f);
    fclose(f);
    expect_body_len = n;
    return bad ? -1 : 0;
}

static int parse_args(int argc, char **argv)
{
    const char *path = "/";
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        double v;
        int has = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            opt.quiet = 1;
        } else if (!strcmp(a, "--conns") && has && !num_arg(argv[++i], 1, CONNS_MAX, &v)) {
            opt.conns = (uint32_t)v;
        } else if (!strcmp(a, "--requests") && has && !num_arg(argv[++i], 1, 1e6, &v)) {
            opt.requests = (uint32_t)v;
        } else if (!strcmp(a, "--duration") && has && !num_arg(argv[++i], 0.01, 3600, &v)) {
            opt.duration = v;
        } else if (!strcmp(a, "--connect-window") && has && !num_arg(argv[++i], 1, 65535, &v)) {
            opt.window = (uint32_t)v;
        } else if (!strcmp(a, "--io-timeout") && has && !num_arg(argv[++i], 0.01, 3600, &v)) {
            opt.io_timeout = v;
        } else if (!strcmp(a, "--timeout") && has && !num_arg(argv[++i], 0.01, 86400, &v)) {
            opt.timeout = v;
        } else if (!strcmp(a, "--max-response") && has && !num_arg(argv[++i], 64, RESP_LIMIT, &v)) {
            opt.max_response = (uint32_t)v;
        } else if (!strcmp(a, "--hold") && has && !num_arg(argv[++i], 0, 3600, &v)) {
            opt.hold = v;
        } else if (!strcmp(a, "--path") && has) {
            path = argv[++i];
        } else if (!strcmp(a, "--host") && has) {
            opt.host = argv[++i];
        } else if (!strcmp(a, "--body") && has) {
            opt.body_file = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "http_load: bad or incomplete option '%s' (try --help)\n", a);
            return -1;
        } else if (pos == 0) {
            opt.addr_s = a;
            pos++;
            if (inet_pton(AF_INET, a, &opt.srv.sin_addr) != 1) {
                fprintf(stderr, "http_load: bad address '%s'\n", a);
                return -1;
            }
        } else if (pos == 1 && !num_arg(a, 1, 65535, &v)) {
            opt.srv.sin_port = htons((uint16_t)v);
            pos++;
        } else {
            fprintf(stderr, "http_load: unexpected argument '%s' (try --help)\n", a);
            return -1;
        }
    }
    if (pos != 2) {
        usage(stderr);
        return -1;
    }
    opt.srv.sin_family = AF_INET;
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path,
                     opt.host ? opt.host : opt.addr_s);
    if (n < 0 || (size_t)n >= sizeof req || strpbrk(path, " \r\n") ||
        (opt.host && strpbrk(opt.host, " \r\n"))) {
        fprintf(stderr, "http_load: --path or --host too long or not one token\n");
        return -1;
    }
    req_len = (uint32_t)n;
    if (opt.body_file && load_body(opt.body_file) < 0) {
        fprintf(stderr, "http_load: cannot read --body %s (at most %u bytes)\n", opt.body_file,
                BODY_FILE_MAX);
        return -1;
    }
    return 0;
}

static void say(const char *fmt, double t, uint64_t a, uint64_t b)
{
    if (!opt.quiet) {
        fprintf(stderr, fmt, t, (unsigned long long)a, (unsigned long long)b);
        fputc('\n', stderr);
    }
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) < 0) return 2;
    signal(SIGPIPE, SIG_IGN);
    if (raise_nofile((uint64_t)opt.conns + 64) < 0) {
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        fprintf(stderr,
                "http_load: --conns %u needs %u descriptors, RLIMIT_NOFILE allows %llu (hard "
                "limit %llu)\n",
                opt.conns, opt.conns + 64, (unsigned long long)rl.rlim_cur,
                (unsigned long long)rl.rlim_max);
        return 1;
    }
    cs = calloc(opt.conns, sizeof *cs);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!cs || epfd < 0) {
        fprintf(stderr, "http_load: %s\n", cs ? strerror(errno) : "out of memory");
        return 1;
    }
    for (uint32_t i = 0; i < opt.conns; i++)
        cs[i].fd = -1;
    cold = opt.conns;

    const uint64_t t_start = now_ns();
    const uint64_t t_limit = t_start + (uint64_t)(opt.timeout * 1e9);
    uint64_t t_connected = 0, t_requests = 0, t_last = 0, next_scan = t_start + SCAN_NS;
    uint32_t next_open = 0;
    int timed_out = 0;
    struct epoll_event evs[EVENTS];
    for (;;) {
        uint64_t now = now_ns();
        /* phase 1: open the connections, at most --connect-window handshakes at once */
        while (next_open < opt.conns && in_handshake < opt.window)
            conn_open(&cs[next_open++]);
        if (!t_connected && next_open == opt.conns && !in_handshake) {
            t_connected = now;
            say("http_load: %.3f s: %llu connections up, %llu failed",
                (double)(now - t_start) / 1e9, connected, total_errors());
            /* phase 2: every connection starts its requests (requests mode: all measured) */
            t_requests = now_ns();
            measuring = !opt.duration;
            for (uint32_t i = 0; i < opt.conns; i++)
                if (cs[i].st == READY) conn_progress(&cs[i]);
        }
        if (t_connected) {
            /* duration mode: the measured time starts once every connection has had its
             * warm-up response; then it lasts --duration */
            if (opt.duration && !measuring && !stopping && !cold) {
                measuring = 1;
                t_window0 = now;
                say("http_load: %.3f s: warm-up done (%llu requests), measuring; %llu errors",
                    (double)(now - t_start) / 1e9, completed, total_errors());
            }
            if (opt.duration && measuring && !stopping &&
                now - t_window0 >= (uint64_t)(opt.duration * 1e9)) {
                stopping = 1;
                t_window1 = now;
            }
            if ((!opt.duration || stopping) && !outstanding) {
                t_last = now;
                break;
            }
        }
        if (now >= t_limit) {
            timed_out = 1;
            break;
        }
        if (now >= next_scan) {
            scan_deadlines();
            next_scan = now + SCAN_NS;
        }
        int ms = (int)((next_scan - now) / 1000000) + 1;
        if (opt.duration && measuring && !stopping) {
            uint64_t end = t_window0 + (uint64_t)(opt.duration * 1e9);
            int ms2 = end > now ? (int)((end - now) / 1000000) + 1 : 0;
            if (ms2 < ms) ms = ms2;
        }
        int n = epoll_wait(epfd, evs, EVENTS, ms);
        if (n < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "http_load: epoll_wait: %s\n", strerror(errno));
            return 1;
        }
        for (int i = 0; i < n; i++)
            on_event(&cs[evs[i].data.u32], evs[i].events);
    }
    if (timed_out) {
        /* Whatever is still outstanding when the run's bound expires fails. */
        for (uint32_t i = 0; i < opt.conns; i++) {
            struct conn *c = &cs[i];
            if (c->st == UNOPENED || c->st == CONNECTING)
                conn_fail(c, E_CONNECT_TIMEOUT, "--timeout expired before the handshake", 0);
            else if (c->st == SENDING || c->st == READING ||
                     (c->st == READY && !opt.duration && c->done < opt.requests))
                conn_fail(c, E_RESPONSE_TIMEOUT, "--timeout expired before the last response", 0);
        }
        t_last = now_ns();
        if (opt.duration && measuring && !stopping) t_window1 = t_last;
    }
    /* A last look for errors that arrived with the final events (an EOF after the last
     * response is still an error: the run was not over). */
    for (uint32_t i = 0; i < opt.conns; i++)
        if (cs[i].st == FINISHED || cs[i].st == READY) {
            enum cstate was = cs[i].st;
            cs[i].st = FINISHED;
            conn_progress(&cs[i]);
            if (cs[i].st == FINISHED) cs[i].st = was;
        }
    uint64_t open_at_end = 0;
    for (uint32_t i = 0; i < opt.conns; i++)
        open_at_end += cs[i].fd >= 0;

    double secs;
    uint64_t counted;
    if (opt.duration) {
        secs = t_window1 > t_window0 ? (double)(t_window1 - t_window0) / 1e9 : 0;
        counted = measured;
    } else {
        secs = t_requests && t_last > t_requests ? (double)(t_last - t_requests) / 1e9 : 0;
        counted = completed;
    }
    uint64_t nerr = total_errors();
    printf("http_load: conns=%u connected=%llu open_at_end=%llu requests=%llu secs=%.3f "
           "rate=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f connect_secs=%.3f "
           "slow_connects=%llu errors=%llu",
           opt.conns, (unsigned long long)connected, (unsigned long long)open_at_end,
           (unsigned long long)counted, secs, secs > 0 ? (double)counted / secs : 0.0,
           quantile(0.50) / 1e3, quantile(0.90) / 1e3, quantile(0.99) / 1e3, max_latency() / 1e3,
           t_connected ? (double)(t_connected - t_start) / 1e9 : -1.0,
           (unsigned long long)slow_connects, (unsigned long long)nerr);
    for (int k = 0; k < E_KINDS; k++)
        printf(" %s=%llu", err_name[k], (unsigned long long)errs[k]);
    printf(" resp_bytes=%u resp_hash=%016" PRIx64 "\n", ref_len, ref ? fnv1a(ref, ref_len) : 0);
    fflush(stdout);
    if (nerr) fprintf(stderr, "http_load: first error: %s\n", first_err);
    if (timed_out) fprintf(stderr, "http_load: --timeout %g s expired\n", opt.timeout);
    if (opt.hold > 0) {
        struct timespec ts = {(time_t)opt.hold,
                              (long)((opt.hold - (double)(time_t)opt.hold) * 1e9)};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        }
    }
    for (uint32_t i = 0; i < opt.conns; i++) {
        if (cs[i].fd >= 0) close(cs[i].fd);
        free(cs[i].buf);
    }
    int ok = !nerr && !timed_out && counted > 0 &&
             (opt.duration || completed == (uint64_t)opt.conns * opt.requests);
    free(ref);
    free(expect_body);
    free(cs);
    close(epfd);
    return ok ? 0 : 1;
}
