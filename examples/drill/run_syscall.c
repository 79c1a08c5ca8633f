/*
 * run_syscall.c — system calls on the stack's non-blocking API, and blocking calls emulated.
 *
 * packetdrill runs a call the script marks blocking (`+0...0.2 accept(...)`) in a thread and
 * goes on with the script; the call returns when the kernel lets it. The stack here is
 * single-threaded and never blocks, so a blocking call that cannot finish yet is kept as
 * pending and tried again after every step of the clock and every injected packet; it
 * returns at the virtual time it first succeeds, which is checked against the script's end
 * time. A call the script does not mark blocking but that would block (a blocking socket,
 * nothing ready) holds up the script as it would hold up packetdrill's main thread: only the
 * stack's own timers run until it returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "drill.h"

#define BLOCK_LIMIT_US 3600000000LL /* a call held up longer than an hour is a hang */
/* A descriptor as the script's process would see it: the stack's, after stdin, stdout and
 * stderr (socket() returns 3 first, as packetdrill's scripts expect). */
#define LIVE_FD(fd) ((fd) >= 0 ? (fd) + 3 : (fd))

/* What one attempt of a call did. */
struct result {
    bool blocked; /* it would block: nothing happened */
    long ret;     /* the return value; -1 with err set on failure */
    int err;
};

struct ctx {
    struct drill *d;
    const struct event *ev;
    const struct syscall_spec *sc;
    struct pending *pend; /* the call's pending record (progress of a write) */
};

typedef int (*sys_fn)(struct ctx *c, struct result *r);

enum check_mode { CHECK_EXACT, CHECK_FD };

/* A script error found while running: the script, not the stack, is at fault (status 2). */
static int script_err(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int script_err(struct ctx *c, const char *fmt, ...)
{
    struct drill *d = c->d;
    if (d->err_kind) return -1;
    d->err_status = 2;
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&d->err, fmt, ap);
    va_end(ap);
    d->err_kind = "runtime error";
    d->err_line = c->ev->line;
    return -1;
}

static const struct expr *arg(const struct ctx *c, size_t i)
{
    return i < c->sc->args.n ? c->sc->args.v[i] : NULL;
}

static int arg_int(struct ctx *c, size_t i, int64_t *v)
{
    const struct expr *e = arg(c, i);
    struct sb m = {0};
    if (!e) return script_err(c, "in %s call: argument list too short", c->sc->name);
    int r = expr_int(e, v, &m);
    if (r) script_err(c, "in %s call: argument %zu: %s", c->sc->name, i + 1, sb_str(&m));
    sb_free(&m);
    return r;
}

static bool is_ellipsis(const struct ctx *c, size_t i)
{
    const struct expr *e = arg(c, i);
    return e && e->kind == E_ELLIPSIS;
}

/* A script descriptor: the stack's descriptor it stands for, -1 if it stands for none (a
 * closed or never opened one: the stack answers EBADF, as a kernel would). */
static int arg_fd(struct ctx *c, size_t i, int *fd, struct sock **k)
{
    int64_t v;
    if (arg_int(c, i, &v)) return -1;
    struct sock *s = sock_by_script_fd(c->d, (int)v);
    if (v < 0 || v > INT32_MAX) s = NULL;
    *fd = s ? s->fd : -1;
    if (k) *k = s;
    return 0;
}

/* A buffer argument: ... (the drill provides one) or 0 (NULL). */
static int arg_buf(struct ctx *c, size_t i, bool *is_null)
{
    const struct expr *e = arg(c, i);
    if (e && e->kind == E_ELLIPSIS) {
        *is_null = false;
        return 0;
    }
    if (e && e->kind == E_INT && e->num == 0) {
        *is_null = true;
        return 0;
    }
    return script_err(c, "in %s call: Expected ... or NULL for buffer", c->sc->name);
}

static int arg_count(struct ctx *c, size_t i, size_t *n)
{
    int64_t v;
    if (arg_int(c, i, &v)) return -1;
    if (v < 0 || v > (1 << 24)) /* 16 MiB: the buffer is made for the call */
        return script_err(c, "in %s call: count %lld out of range", c->sc->name, (long long)v);
    *n = (size_t)v;
    return 0;
}

static void set(struct result *r, long v)
{
    r->blocked = false;
    r->ret = v < 0 ? -1 : v;
    r->err = v < 0 ? (int)-v : 0;
}

/* Would the call block? Only on a blocking socket, and never with MSG_DONTWAIT. */
static bool blocks(const struct sock *k, long v, bool dontwait)
{
    return v == -EAGAIN && k && !k->nonblock && !dontwait;
}

/* ------------------------------------------------------------- the calls ---- */

static int sys_socket(struct ctx *c, struct result *r)
{
    int64_t type, proto, dom = AF_INET;
    if ((!is_ellipsis(c, 0) && arg_int(c, 0, &dom)) || arg_int(c, 1, &type) ||
        arg_int(c, 2, &proto))
        return -1;
    if (dom != AF_INET) return script_err(c, "in socket call: only AF_INET (or ...) is supported");
    if ((type & ~(int64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM ||
        (proto != IPPROTO_TCP && proto != 0))
        return script_err(c, "in socket call: only SOCK_STREAM, IPPROTO_TCP is supported");
    int fd = tcpfsm_socket(c->d->st);
    set(r, LIVE_FD(fd));
    if (fd >= 0) {
        struct sock *k = sock_new(c->d);
        if (!k) return -1;
        k->fd = fd;
        k->nonblock = (type & SOCK_NONBLOCK) != 0;
        c->d->sut = k; /* later packets are this socket's */
    }
    return 0;
}

static int sys_bind(struct ctx *c, struct result *r)
{
    int fd;
    if (arg_fd(c, 0, &fd, NULL)) return -1;
    if (!is_ellipsis(c, 1) || !is_ellipsis(c, 2))
        return script_err(c, "in bind call: the address is the drill's (--local_ip, "
                             "--bind_port): write bind(fd, ..., ...)");
    set(r, tcpfsm_bind(c->d->st, fd, c->d->cfg->local_ip, c->d->cfg->bind_port));
    return 0;
}

static int sys_listen(struct ctx *c, struct result *r)
{
    int fd;
    struct sock *k;
    int64_t backlog;
    if (arg_fd(c, 0, &fd, &k) || arg_int(c, 1, &backlog)) return -1;
    if (backlog > INT32_MAX) backlog = INT32_MAX;
    if (backlog < INT32_MIN) backlog = INT32_MIN;
    int v = tcpfsm_listen(c->d->st, fd, (int)backlog);
    set(r, v);
    if (!v && k) k->state = S_PASSIVE_LISTENING;
    return 0;
}

static int sys_accept(struct ctx *c, struct result *r)
{
    int fd;
    struct sock *k;
    if (arg_fd(c, 0, &fd, &k)) return -1;
    if (!is_ellipsis(c, 1) || !is_ellipsis(c, 2))
        return script_err(c, "in accept call: write accept(fd, ..., ...)");
    uint32_t addr = 0;
    uint16_t port = 0;
    int v = tcpfsm_accept(c->d->st, fd, &addr, &port);
    if (blocks(k, v, false)) {
        r->blocked = true;
        return 0;
    }
    set(r, LIVE_FD(v));
    if (v < 0) return 0;
    /* the connection the script's packets made: it gets the descriptor */
    for (struct sock *s = c->d->socks; s; s = s->next) {
        if ((s->state == S_PASSIVE_SYNACK_SENT || s->state == S_PASSIVE_SYNACK_ACKED) &&
            s->fd < 0 && s->raddr == addr && s->rport == port) {
            s->fd = v;
            return 0;
        }
    }
    /* one the script did not watch (its packets were the script's with explicit ports) */
    struct sock *s = sock_new(c->d);
    if (!s) return -1;
    s->fd = v;
    s->raddr = addr;
    s->rport = port;
    return 0;
}

static int sys_connect(struct ctx *c, struct result *r)
{
    int fd;
    struct sock *k;
    if (arg_fd(c, 0, &fd, &k)) return -1;
    if (!is_ellipsis(c, 1) || !is_ellipsis(c, 2))
        return script_err(c, "in connect call: the address is the drill's (--remote_ip, "
                             "--connect_port): write connect(fd, ..., ...)");
    struct drill *d = c->d;
    if (k && k->lx.connecting) { /* a handshake under way: how it went, as Linux says */
        struct tcpfsm_info i = {.state = "CLOSED"};
        if (tcpfsm_get_info(d->st, fd, &i)) i.state = "CLOSED";
        int v = linux_sock_connect_again(d->st, fd, &k->lx, &i);
        if (v == -EALREADY && !k->nonblock) { /* a blocking connect waits for the end */
            c->pend->progress = 1;
            r->blocked = true;
            return 0;
        }
        set(r, v);
        return 0;
    }
    if (k && k->state == S_NEW) {
        k->state = S_ACTIVE_CONNECTING;
        k->raddr = d->cfg->remote_ip;
        k->rport = d->cfg->connect_port;
        d->sut = k;
    }
    int v = tcpfsm_connect(d->st, fd, d->cfg->remote_ip, d->cfg->connect_port);
    if (v == -EINPROGRESS && k) k->lx.connecting = true;
    if (v == -EINPROGRESS && k && !k->nonblock) {
        c->pend->progress = 1;
        r->blocked = true;
        return 0;
    }
    set(r, v);
    return 0;
}

static int do_recv(struct ctx *c, struct result *r, bool dontwait)
{
    int fd;
    struct sock *k;
    bool null;
    size_t n = 0;
    if (arg_fd(c, 0, &fd, &k) || arg_buf(c, 1, &null) || arg_count(c, 2, &n)) return -1;
    void *buf = null ? NULL : malloc(n ? n : 1);
    if (!null && !buf) return script_err(c, "in %s call: out of memory", c->sc->name);
    long v = tcpfsm_recv(c->d->st, fd, buf, n);
    free(buf);
    if (k) v = linux_sock_result(c->d->st, fd, &k->lx, v, 0); /* then end of file */
    if (blocks(k, v, dontwait))
        r->blocked = true;
    else
        set(r, v);
    return 0;
}

static int sys_read(struct ctx *c, struct result *r)
{
    return do_recv(c, r, false);
}

static int msg_flags(struct ctx *c, size_t i, int64_t allowed, bool *dontwait)
{
    int64_t f;
    if (arg_int(c, i, &f)) return -1;
    if (f & ~allowed) {
        struct drill *d = c->d;
        d->err_status = 2;
        return drill_fail(
            d, c->ev->line, "unsupported", "%s flags 0x%llx: tcpfsm-drill takes MSG_DONTWAIT%s",
            c->sc->name, (long long)(f & ~allowed), allowed & MSG_NOSIGNAL ? ", MSG_NOSIGNAL" : "");
    }
    *dontwait = (f & MSG_DONTWAIT) != 0;
    return 0;
}

static int sys_recv(struct ctx *c, struct result *r)
{
    bool dontwait;
    if (msg_flags(c, 3, MSG_DONTWAIT, &dontwait)) return -1;
    return do_recv(c, r, dontwait);
}

static int do_send(struct ctx *c, struct result *r, bool dontwait)
{
    int fd;
    struct sock *k;
    bool null;
    size_t n = 0;
    if (arg_fd(c, 0, &fd, &k) || arg_buf(c, 1, &null) || arg_count(c, 2, &n)) return -1;
    long done = c->pend->progress;
    void *buf = null ? NULL : calloc(1, n - (size_t)done + 1); /* packetdrill sends zeros */
    if (!null && !buf) return script_err(c, "in %s call: out of memory", c->sc->name);
    long v = tcpfsm_send(c->d->st, fd, buf, n - (size_t)done);
    free(buf);
    /* a write that queued some returns that count and leaves the error pending, as Linux's */
    if (k && !done) v = linux_sock_send_result(c->d->st, fd, &k->lx, v);
    bool may_block = k && !k->nonblock && !dontwait;
    if (v >= 0) done += v;
    if (v >= 0 ? (size_t)done < n && may_block : v == -EAGAIN && may_block) {
        c->pend->progress = done; /* a blocking write returns when all of it is queued */
        r->blocked = true;
        return 0;
    }
    set(r, v < 0 && done ? done : v >= 0 ? done : v);
    return 0;
}

static int sys_write(struct ctx *c, struct result *r)
{
    return do_send(c, r, false);
}

static int sys_send(struct ctx *c, struct result *r)
{
    bool dontwait;
    if (msg_flags(c, 3, MSG_DONTWAIT | MSG_NOSIGNAL, &dontwait)) return -1;
    return do_send(c, r, dontwait);
}

static int sys_close(struct ctx *c, struct result *r)
{
    int fd;
    struct sock *k;
    if (arg_fd(c, 0, &fd, &k)) return -1;
    int v = tcpfsm_close(c->d->st, fd);
    set(r, v);
    if (!v && k) { /* the script's packets may still be about this connection */
        k->script_fd = -1;
        k->fd = -1;
    }
    return 0;
}

static int sys_shutdown(struct ctx *c, struct result *r)
{
    int fd;
    int64_t how;
    struct sock *k;
    if (arg_fd(c, 0, &fd, &k) || arg_int(c, 1, &how)) return -1;
    if (how < INT32_MIN || how > INT32_MAX) how = -1;
    int v = tcpfsm_shutdown(c->d->st, fd, (int)how);
    if (!v && k && how != SHUT_RD) k->lx.shut_wr = true; /* a write fails at once: POLLOUT */
    set(r, v);
    return 0;
}

static int sys_fcntl(struct ctx *c, struct result *r)
{
    int fd;
    struct sock *k;
    int64_t cmd, a = 0;
    if (arg_fd(c, 0, &fd, &k) || arg_int(c, 1, &cmd)) return -1;
    if (c->sc->args.n == 3 && arg_int(c, 2, &a)) return -1;
    if (!k || fd < 0) {
        set(r, -EBADF);
        return 0;
    }
    switch (cmd) {
    case F_GETFL:
        set(r, O_RDWR | (k->nonblock ? O_NONBLOCK : 0));
        return 0;
    case F_SETFL:
        k->nonblock = (a & O_NONBLOCK) != 0; /* the drill's own blocking emulation */
        set(r, 0);
        return 0;
    case F_GETFD:
    case F_SETFD:
        set(r, 0);
        return 0;
    default:
        c->d->err_status = 2;
        return drill_fail(c->d, c->ev->line, "unsupported",
                          "fcntl command %lld: tcpfsm-drill knows F_GETFL, F_SETFL (O_NONBLOCK), "
                          "F_GETFD and F_SETFD",
                          (long long)cmd);
    }
}

/* Linux's revents for a script descriptor (linux_sock.h): POLLNVAL for none. */
static int linux_revents(struct drill *d, int script_fd, int64_t events)
{
    struct sock *k = sock_by_script_fd(d, script_fd);
    int m = k && k->fd >= 0 ? tcpfsm_poll(d->st, k->fd) : -EBADF;
    struct tcpfsm_info i;
    if (m < 0 || tcpfsm_get_info(d->st, k->fd, &i)) return POLLNVAL;
    uint32_t ev = linux_sock_poll(&i, m, linux_sock_pending(d->st, k->fd, &k->lx), &k->lx);
    return (int)(ev & (uint32_t)(events | POLLERR | POLLHUP));
}

/* A pollfd of the script: {fd=4, events=POLLIN, revents=POLLIN}. */
static int pollfd_field(struct ctx *c, const struct expr *rec, const char *name, int64_t *v)
{
    for (size_t i = 0; i < rec->items.n; i++) {
        const struct expr *f = rec->items.v[i];
        if (!strcmp(f->str, name)) {
            struct sb m = {0};
            int e = expr_int(f->value, v, &m);
            if (e) script_err(c, "in poll call: %s: %s", name, sb_str(&m));
            sb_free(&m);
            return e;
        }
    }
    return 1;
}

static int sys_poll(struct ctx *c, struct result *r)
{
    const struct expr *fds = arg(c, 0);
    int64_t nfds, timeout;
    if (!fds || fds->kind != E_ARRAY)
        return script_err(c, "in poll call: the first argument must be an array of pollfds");
    if (arg_int(c, 1, &nfds) || arg_int(c, 2, &timeout)) return -1;
    if (nfds != (int64_t)fds->items.n)
        return script_err(c, "in poll call: nfds %lld does not match %zu-element pollfd array",
                          (long long)nfds, fds->items.n);
    long ready = 0;
    for (size_t i = 0; i < fds->items.n; i++) {
        const struct expr *p = fds->items.v[i];
        int64_t fdv, events, want = 0;
        if (p->kind != E_RECORD || pollfd_field(c, p, "fd", &fdv) ||
            pollfd_field(c, p, "events", &events) || pollfd_field(c, p, "revents", &want) < 0)
            return c->d->err_kind ? -1
                                  : script_err(c,
                                               "in poll call: pollfd %zu: write {fd=FD, "
                                               "events=EVENTS, revents=REVENTS}",
                                               i);
        int got = linux_revents(c->d, (int)fdv, events);
        if (got) ready++;
    }
    bool due = c->pend->deadline_us != INT64_MAX && c->d->now >= c->pend->deadline_us;
    if (!ready && timeout != 0 && !due) {
        if (c->pend->deadline_us == INT64_MAX && timeout > 0)
            c->pend->deadline_us = c->d->now + timeout * 1000;
        r->blocked = true;
        return 0;
    }
    set(r, ready);
    /* revents are checked only once the call returns */
    for (size_t i = 0; i < fds->items.n; i++) {
        const struct expr *p = fds->items.v[i];
        int64_t fdv, events, want = 0;
        pollfd_field(c, p, "fd", &fdv);
        pollfd_field(c, p, "events", &events);
        pollfd_field(c, p, "revents", &want);
        int got = linux_revents(c->d, (int)fdv, events);
        if (got != want) {
            struct sb a = {0}, b = {0};
            poll_flags_str(&a, (int)want);
            poll_flags_str(&b, got);
            drill_fail(c->d, c->ev->line, "runtime error in poll call",
                       "Expected revents of %s but got %s for pollfd %zu", sb_str(&a), sb_str(&b),
                       i);
            sb_free(&a);
            sb_free(&b);
            return -1;
        }
    }
    return 0;
}

static int sys_setsockopt_fn(struct ctx *c, struct result *r)
{
    long v;
    int e;
    if (sys_setsockopt(c->d, c->sc, &v, &e)) return -1;
    r->ret = v;
    r->err = e;
    return 0;
}

static int sys_getsockopt_fn(struct ctx *c, struct result *r)
{
    long v;
    int e;
    if (sys_getsockopt(c->d, c->sc, &v, &e)) return -1;
    r->ret = v;
    r->err = e;
    return 0;
}

static const struct {
    const char *name;
    int min_args, max_args;
    sys_fn fn;
    enum check_mode mode;
} calls[] = {
    {"socket", 3, 3, sys_socket, CHECK_FD},
    {"bind", 3, 3, sys_bind, CHECK_EXACT},
    {"listen", 2, 2, sys_listen, CHECK_EXACT},
    {"accept", 3, 3, sys_accept, CHECK_FD},
    {"connect", 3, 3, sys_connect, CHECK_EXACT},
    {"read", 3, 3, sys_read, CHECK_EXACT},
    {"recv", 4, 4, sys_recv, CHECK_EXACT},
    {"write", 3, 3, sys_write, CHECK_EXACT},
    {"send", 4, 4, sys_send, CHECK_EXACT},
    {"close", 1, 1, sys_close, CHECK_EXACT},
    {"shutdown", 2, 2, sys_shutdown, CHECK_EXACT},
    {"fcntl", 2, 3, sys_fcntl, CHECK_EXACT},
    {"poll", 3, 3, sys_poll, CHECK_EXACT},
    {"setsockopt", 5, 5, sys_setsockopt_fn, CHECK_EXACT},
    {"getsockopt", 5, 5, sys_getsockopt_fn, CHECK_EXACT},
};

/* Calls of packetdrill's that this drill does not make. */
static const char *const unsupported_calls[] = {
    "readv",  "writev",      "recvfrom",    "recvmsg",      "sendto",       "sendmsg",
    "open",   "ioctl",       "sendfile",    "epoll_create", "epoll_ctl",    "epoll_wait",
    "pipe",   "splice",      "cap_set",     "psp_rx_assoc", "psp_tx_assoc", "accept4",
    "select", "getsockname", "getpeername",
};

static int call_index(const char *name)
{
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)
        if (!strcmp(calls[i].name, name)) return (int)i;
    return -1;
}

int syscall_check(const struct syscall_spec *sc, struct sb *err)
{
    int i = call_index(sc->name);
    if (i < 0) {
        for (size_t j = 0; j < sizeof unsupported_calls / sizeof *unsupported_calls; j++)
            if (!strcmp(unsupported_calls[j], sc->name)) {
                sb_printf(err,
                          "system call '%s': tcpfsm-drill makes socket, bind, listen, "
                          "accept, connect, read, write, recv, send, close, shutdown, fcntl, "
                          "poll, setsockopt and getsockopt",
                          sc->name);
                return -2;
            }
        sb_printf(err, "Unknown system call: '%s'", sc->name);
        return -1;
    }
    if ((int)sc->args.n < calls[i].min_args || (int)sc->args.n > calls[i].max_args) {
        if (calls[i].min_args == calls[i].max_args)
            sb_printf(err, "%s: Expected %d args but got %zu", sc->name, calls[i].min_args,
                      sc->args.n);
        else
            sb_printf(err, "%s expected %d-%d args but got %zu", sc->name, calls[i].min_args,
                      calls[i].max_args, sc->args.n);
        return -1;
    }
    int64_t v;
    struct sb m = {0};
    if (expr_int(sc->result, &v, &m)) {
        sb_printf(err, "%s: result: %s", sc->name, sb_str(&m));
        sb_free(&m);
        return -1;
    }
    if (sc->err_name && (!symbol_value(sc->err_name, &v) || !errno_name((int)v))) {
        sb_printf(err, "%s: unknown errno name '%s'", sc->name, sc->err_name);
        return -1;
    }
    sb_free(&m);
    return 0;
}

/* ----------------------------------------------------------- calling, returning ---- */

/* packetdrill's end_syscall: the result and the errno against the script's. */
static int check_result(struct drill *d, const struct event *ev, const struct result *r)
{
    const struct syscall_spec *sc = ev->sys;
    int64_t want;
    struct sb m = {0};
    if (expr_int(sc->result, &want, &m)) {
        sb_free(&m);
        return -1; /* refused by syscall_check */
    }
    sb_free(&m);
    enum check_mode mode = calls[call_index(sc->name)].mode;
    char k[64];
    snprintf(k, sizeof k, "runtime error in %s call", sc->name);
    if (mode == CHECK_FD && want >= 0) {
        if (r->ret < 0)
            return drill_fail(d, ev->line, k,
                              "Expected non-negative result but got %ld with errno %d (%s)", r->ret,
                              r->err, strerror(r->err));
    } else if (r->ret != want) {
        if (r->ret < 0)
            return drill_fail(d, ev->line, k, "Expected result %lld but got %ld with errno %d (%s)",
                              (long long)want, r->ret, r->err, strerror(r->err));
        return drill_fail(d, ev->line, k, "Expected result %lld but got %ld", (long long)want,
                          r->ret);
    }
    if (sc->err_name) {
        int64_t e = 0;
        symbol_value(sc->err_name, &e);
        if (e != r->err)
            return drill_fail(d, ev->line, k, "Expected errno %d (%s) but got %d (%s)", (int)e,
                              strerror((int)e), r->err, strerror(r->err));
    }
    return 0;
}

/* After a call returned: the descriptor the script named for socket() and accept(). */
static int bind_script_fd(struct drill *d, const struct event *ev, const struct result *r)
{
    const char *n = ev->sys->name;
    if (r->ret < 0 || (strcmp(n, "socket") && strcmp(n, "accept"))) return 0;
    int64_t want = -1;
    struct sb m = {0};
    expr_int(ev->sys->result, &want, &m);
    sb_free(&m);
    if (want < 0 || want > INT32_MAX) return 0;
    if (sock_by_script_fd(d, (int)want)) {
        d->err_status = 2;
        return drill_fail(d, ev->line, "runtime error", "duplicate fd %lld in script",
                          (long long)want);
    }
    for (struct sock *k = d->socks; k; k = k->next)
        if (LIVE_FD(k->fd) == (int)r->ret && k->script_fd < 0) {
            k->script_fd = (int)want;
            return 0;
        }
    return 0;
}

static int attempt(struct drill *d, const struct event *ev, struct pending *pend, struct result *r)
{
    struct ctx c = {d, ev, ev->sys, pend};
    memset(r, 0, sizeof *r);
    return calls[call_index(ev->sys->name)].fn(&c, r);
}

/* The call returned with *r at the current time: check it (and its return time if the script
 * said the call blocks). */
static int finish(struct drill *d, const struct event *ev, int64_t start, const struct result *r)
{
    if (d->err_kind) return -1;
    drill_log(d, "%s syscall: %9.6f = %ld%s%s", ev->sys->name, (double)d->now / 1e6, r->ret,
              r->err ? " " : "", r->err ? errno_name(r->err) : "");
    if (check_result(d, ev, r) || bind_script_fd(d, ev, r)) return -1;
    if (ev->sys->blocking &&
        drill_verify_time(d, ev, ev->sys->end_us, 0, d->now, start, "system call return"))
        return -1;
    return 0;
}

void pending_retry(struct drill *d)
{
    struct pending *p = &d->pend;
    if (!p->active || d->err_kind || p->busy) return;
    p->busy = true; /* an attempt may inject nothing, but may step the stack: no recursion */
    struct result r;
    if (attempt(d, p->ev, p, &r) == 0 && !r.blocked) {
        p->active = false;
        finish(d, p->ev, p->start_us, &r);
    }
    p->busy = false;
}

static void pending_clear(struct pending *p)
{
    free(p->ev_copy.sys);
    memset(p, 0, sizeof *p);
    p->deadline_us = INT64_MAX;
}

void pending_free(struct drill *d)
{
    pending_clear(&d->pend);
}

int pending_check_end(struct drill *d)
{
    struct pending *p = &d->pend;
    if (!p->active) return 0;
    /* packetdrill waits a second for the call to come back by itself */
    int64_t until = d->now + 1000000;
    while (p->active && !d->err_kind) {
        int64_t due = drill_next_due(d);
        if (due > until) break;
        drill_advance_to(d, due);
    }
    if (d->err_kind) return -1;
    if (!p->active) return 0;
    return drill_fail(d, p->ev->line, "runtime error",
                      "exiting while a blocking system call is in progress");
}

int syscall_event(struct drill *d, const struct event *ev)
{
    if (d->pend.active) {
        if (ev->sys->blocking)
            return drill_fail(d, ev->line, "runtime error",
                              "blocking system call while another blocking system call is "
                              "already in progress (line %d)",
                              d->pend.ev->line);
        return drill_fail(d, ev->line, "runtime error",
                          "%s call while the blocking %s call of line %d is in progress (the "
                          "script runs one system call at a time)",
                          ev->sys->name, d->pend.ev->sys->name, d->pend.ev->line);
    }
    if (ev->t_us > d->now) drill_advance_to(d, ev->t_us);
    if (d->err_kind) return -1;
    if (drill_verify_time(d, ev, ev->t_us, ev->t_end_us, d->now, d->last_ev ? d->last_t_us : -1,
                          "system call start"))
        return -1;
    struct pending *p = &d->pend;
    pending_clear(p);
    /* the pending record keeps its own copy of the event: run.c frees the running one */
    p->ev_copy = *ev;
    p->ev_copy.sys = malloc(sizeof *p->ev_copy.sys);
    if (!p->ev_copy.sys) return drill_fail(d, ev->line, "runtime error", "out of memory");
    *p->ev_copy.sys = *ev->sys;
    p->ev = &p->ev_copy;
    p->start_us = d->now;
    struct result r;
    if (attempt(d, p->ev, p, &r)) return -1;
    if (!r.blocked) {
        int e = finish(d, p->ev, p->start_us, &r);
        pending_clear(p);
        return e;
    }
    p->active = true;
    drill_log(d, "%s syscall: %9.6f blocks", ev->sys->name, (double)d->now / 1e6);
    if (ev->sys->blocking) return 0; /* the script goes on; the call returns by itself */
    /* Not marked blocking: it holds up the script; only the stack's timers run. */
    while (p->active && !d->err_kind) {
        int64_t due = drill_next_due(d);
        if (due == INT64_MAX || due - p->start_us > BLOCK_LIMIT_US) {
            int line = ev->line;
            const char *name = ev->sys->name;
            p->active = false;
            return drill_fail(d, line, "runtime error",
                              "%s() blocks and nothing the stack does by itself lets it return "
                              "(the socket is blocking and the script gives the call no end "
                              "time, so no later line can run meanwhile; expected it to "
                              "return at once)",
                              name);
        }
        drill_advance_to(d, due);
    }
    return d->err_kind ? -1 : 0;
}
