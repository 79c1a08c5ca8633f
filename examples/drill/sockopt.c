/*
 * sockopt.c — setsockopt and getsockopt in Linux's terms on libtcpfsm's options
 * (tcpfsm_setopt, tcpfsm_getopt), and TCP_INFO on tcpfsm_get_info.
 *
 * Where Linux keeps two settings and the stack one, the drill keeps the other: Linux has
 * SO_KEEPALIVE (on/off) and TCP_KEEPIDLE (seconds) apart, the stack one idle time that is 0
 * when keepalive is off; SO_LINGER's positive times, which only make a blocking close() wait
 * (the stack's close() never does), are remembered for getsockopt only. SO_SNDBUF and
 * SO_RCVBUF are taken and change nothing: the stack's buffers are sized per stack.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "drill.h"

struct opt_ctx {
    struct drill *d;
    const struct syscall_spec *sc;
    int fd; /* the stack's */
    struct sock *k;
};

static int opt_fail(struct opt_ctx *o, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int opt_fail(struct opt_ctx *o, const char *kind, const char *fmt, ...)
{
    struct drill *d = o->d;
    if (d->err_kind) return -1;
    char k[64];
    snprintf(k, sizeof k, "%s", kind);
    struct sb m = {0};
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&m, fmt, ap);
    va_end(ap);
    drill_fail(d, d->ev->line, k, "%s", sb_str(&m));
    sb_free(&m);
    return -1;
}

static int script_error(struct opt_ctx *o, const char *fmt, const char *what)
{
    o->d->err_status = 2;
    return opt_fail(o, "runtime error", fmt, o->sc->name, what);
}

/* The value of [N]. */
static int bracketed(struct opt_ctx *o, const struct expr *e, int64_t *v)
{
    struct sb m = {0};
    int r = -1;
    if (e->kind != E_ARRAY || e->items.n != 1)
        script_error(o, "in %s call: expected %s", "[N]");
    else if (expr_int(e->items.v[0], v, &m))
        script_error(o, "in %s call: %s", sb_str(&m));
    else
        r = 0;
    sb_free(&m);
    return r;
}

static const struct expr *field_of(const struct expr *rec, const char *name)
{
    for (size_t i = 0; i < rec->items.n; i++)
        if (!strcmp(rec->items.v[i]->str, name)) return rec->items.v[i]->value;
    return NULL;
}

static void result(long v, long *ret, int *err)
{
    *ret = v < 0 ? -1 : v;
    *err = v < 0 ? (int)-v : 0;
}

static int setup(struct opt_ctx *o, struct drill *d, const struct syscall_spec *sc, int64_t *level,
                 int64_t *name)
{
    o->d = d;
    o->sc = sc;
    struct sb m = {0};
    int64_t fd;
    if (expr_int(sc->args.v[0], &fd, &m) || expr_int(sc->args.v[1], level, &m) ||
        expr_int(sc->args.v[2], name, &m)) {
        script_error(o, "in %s call: %s", sb_str(&m));
        sb_free(&m);
        return -1;
    }
    sb_free(&m);
    o->k = fd >= 0 && fd <= INT32_MAX ? sock_by_script_fd(d, (int)fd) : NULL;
    o->fd = o->k ? o->k->fd : -1;
    return 0;
}

static bool is(int64_t level, int64_t name, int l, int n)
{
    return level == l && name == n;
}

static int unsupported(struct opt_ctx *o, int64_t level, int64_t name)
{
    o->d->err_status = 2;
    return opt_fail(o, "unsupported",
                    "%s level %lld option %lld: tcpfsm-drill maps SO_REUSEADDR, SO_KEEPALIVE, "
                    "SO_LINGER, SO_SNDBUF, SO_RCVBUF, SO_ERROR, TCP_NODELAY, TCP_CORK, "
                    "TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT and "
                    "TCP_INFO onto libtcpfsm",
                    o->sc->name, (long long)level, (long long)name);
}

/* --------------------------------------------------------------- setsockopt ---- */

int sys_setsockopt(struct drill *d, const struct syscall_spec *sc, long *ret, int *err)
{
    struct opt_ctx o;
    int64_t level, name, len, v = 0;
    if (setup(&o, d, sc, &level, &name)) return -1;
    const struct expr *val = sc->args.v[3];
    struct sb m = {0};
    if (expr_int(sc->args.v[4], &len, &m)) {
        sb_free(&m);
        return script_error(&o, "in %s call: optlen: %s", "an integer");
    }
    sb_free(&m);
    struct tcpfsm_stack *st = d->st;
    if (is(level, name, SOL_SOCKET, SO_LINGER)) {
        const struct expr *on, *secs;
        int64_t onv, secv;
        struct sb e2 = {0};
        if (val->kind != E_RECORD || !(on = field_of(val, "onoff")) ||
            !(secs = field_of(val, "linger")) || expr_int(on, &onv, &e2) ||
            expr_int(secs, &secv, &e2)) {
            sb_free(&e2);
            return script_error(&o, "in %s call: expected %s", "{onoff=N, linger=N}");
        }
        if (len < (int64_t)sizeof(struct linger)) {
            result(-EINVAL, ret, err);
            return 0;
        }
        long r = tcpfsm_setopt(st, o.fd, TCPFSM_OPT_ABORT_ON_CLOSE, onv && !secv);
        if (!r && o.k) {
            o.k->linger_on = onv != 0;
            o.k->linger_s = secv < 0 ? 0 : secv > INT32_MAX ? INT32_MAX : (int32_t)secv;
        }
        result(r, ret, err);
        return 0;
    }
    if (val->kind == E_STRING) return unsupported(&o, level, name);
    if (bracketed(&o, val, &v)) return -1;
    if (len < (int64_t)sizeof(int)) {
        result(-EINVAL, ret, err);
        return 0;
    }
    v = (int32_t)v; /* an int, as the kernel reads it */
    long r;
    if (is(level, name, SOL_SOCKET, SO_REUSEADDR)) {
        r = tcpfsm_setopt(st, o.fd, TCPFSM_OPT_REUSEADDR, v != 0);
    } else if (is(level, name, SOL_SOCKET, SO_KEEPALIVE)) {
        uint64_t idle = v ? (uint64_t)(o.k ? o.k->keepidle_s : 7200) * 1000000u : 0;
        r = tcpfsm_setopt(st, o.fd, TCPFSM_OPT_KEEPALIVE, idle);
        if (!r && o.k) o.k->keepalive = v != 0;
    } else if (is(level, name, SOL_SOCKET, SO_SNDBUF) || is(level, name, SOL_SOCKET, SO_RCVBUF)) {
        /* taken, as Linux takes it, but the stack sizes buffers per stack (the adapter's
         * --so_flags=sndbuf=N): reading gives the stack's size; the socket must exist */
        r = v < 0 ? -EINVAL : tcpfsm_getopt(st, o.fd, TCPFSM_OPT_SNDBUF, &(uint64_t){0});
    } else if (is(level, name, SOL_SOCKET, SO_ERROR) || is(level, name, SOL_TCP, TCP_INFO)) {
        r = -ENOPROTOOPT; /* Linux's answer: they are read-only */
    } else if (is(level, name, SOL_TCP, TCP_NODELAY) || is(level, name, SOL_TCP, TCP_CORK)) {
        int opt = name == TCP_NODELAY ? TCPFSM_OPT_NODELAY : TCPFSM_OPT_CORK;
        r = tcpfsm_setopt(st, o.fd, opt, v != 0);
    } else if (is(level, name, SOL_TCP, TCP_MAXSEG)) {
        r = v < 0 ? -EINVAL : tcpfsm_setopt(st, o.fd, TCPFSM_OPT_MAXSEG, (uint64_t)v);
        if (!r && o.k) o.k->maxseg = (uint32_t)v; /* kept, as the adapter keeps it, if taken */
        r = linux_sock_maxseg_set(r);
    } else if (is(level, name, SOL_TCP, TCP_KEEPIDLE)) {
        /* Linux: 1..MAX_TCP_KEEPIDLE (32767) seconds */
        if (v < 1 || v > 32767)
            r = -EINVAL;
        else if (o.k && o.k->keepalive)
            r = tcpfsm_setopt(st, o.fd, TCPFSM_OPT_KEEPALIVE, (uint64_t)v * 1000000u);
        else
            r = tcpfsm_getopt(st, o.fd, TCPFSM_OPT_KEEPALIVE, &(uint64_t){0});
        if (!r && o.k) o.k->keepidle_s = (uint32_t)v;
    } else if (is(level, name, SOL_TCP, TCP_KEEPINTVL)) {
        r = v < 1 ? -EINVAL : tcpfsm_setopt(st, o.fd, TCPFSM_OPT_KEEPINTVL, (uint64_t)v * 1000000u);
    } else if (is(level, name, SOL_TCP, TCP_KEEPCNT)) {
        r = v < 1 ? -EINVAL : tcpfsm_setopt(st, o.fd, TCPFSM_OPT_KEEPCNT, (uint64_t)v);
    } else if (is(level, name, SOL_TCP, TCP_USER_TIMEOUT)) {
        r = v < 0 ? -EINVAL : tcpfsm_setopt(st, o.fd, TCPFSM_OPT_USER_TIMEOUT, (uint64_t)v * 1000u);
    } else {
        return unsupported(&o, level, name);
    }
    result(r, ret, err);
    return 0;
}

/* --------------------------------------------------------------- getsockopt ---- */

static int getopt_val(struct opt_ctx *o, int opt, uint64_t *v)
{
    return tcpfsm_getopt(o->d->st, o->fd, opt, v);
}

/* The value Linux would give for an int option; 0 or a negative errno. */
static int int_option(struct opt_ctx *o, int64_t level, int64_t name, int64_t *out)
{
    uint64_t v = 0;
    int r = 0;
    if (is(level, name, SOL_SOCKET, SO_REUSEADDR))
        r = getopt_val(o, TCPFSM_OPT_REUSEADDR, &v);
    else if (is(level, name, SOL_SOCKET, SO_KEEPALIVE))
        r = getopt_val(o, TCPFSM_OPT_KEEPALIVE, &v), v = v != 0;
    else if (is(level, name, SOL_SOCKET, SO_SNDBUF))
        r = getopt_val(o, TCPFSM_OPT_SNDBUF, &v);
    else if (is(level, name, SOL_SOCKET, SO_RCVBUF))
        r = getopt_val(o, TCPFSM_OPT_RCVBUF, &v);
    else if (is(level, name, SOL_SOCKET, SO_ERROR)) {
        r = tcpfsm_error(o->d->st, o->fd); /* -EBADF, or Linux's: reported once */
        if (r != -EBADF && o->k) r = linux_sock_so_error(o->d->st, o->fd, &o->k->lx);
        if (r != -EBADF) v = (uint64_t)-r, r = 0;
    } else if (is(level, name, SOL_SOCKET, SO_TYPE)) {
        r = getopt_val(o, TCPFSM_OPT_NODELAY, &v), v = SOCK_STREAM;
    } else if (is(level, name, SOL_TCP, TCP_NODELAY))
        r = getopt_val(o, TCPFSM_OPT_NODELAY, &v);
    else if (is(level, name, SOL_TCP, TCP_CORK))
        r = getopt_val(o, TCPFSM_OPT_CORK, &v);
    else if (is(level, name, SOL_TCP, TCP_MAXSEG)) {
        struct tcpfsm_info i;
        r = tcpfsm_get_info(o->d->st, o->fd, &i);
        if (!r) v = linux_sock_maxseg(&i, o->k ? o->k->maxseg : 0); /* Linux's, as the adapter */
    } else if (is(level, name, SOL_TCP, TCP_KEEPIDLE)) {
        r = getopt_val(o, TCPFSM_OPT_KEEPALIVE, &v);
        v = v ? v / 1000000u : o->k ? o->k->keepidle_s : 7200;
    } else if (is(level, name, SOL_TCP, TCP_KEEPINTVL))
        r = getopt_val(o, TCPFSM_OPT_KEEPINTVL, &v), v /= 1000000u;
    else if (is(level, name, SOL_TCP, TCP_KEEPCNT))
        r = getopt_val(o, TCPFSM_OPT_KEEPCNT, &v);
    else if (is(level, name, SOL_TCP, TCP_USER_TIMEOUT))
        r = getopt_val(o, TCPFSM_OPT_USER_TIMEOUT, &v), v /= 1000u;
    else
        return 1;
    *out = (int64_t)v;
    return r;
}

static int tcp_info_check(struct opt_ctx *o, const struct expr *val, long *ret, int *err)
{
    struct drill *d = o->d;
    if (val->kind != E_RECORD)
        return script_error(o, "in %s call: expected %s", "{tcpi_NAME=VALUE, ...}");
    struct tcpfsm_info info;
    int r = tcpfsm_get_info(d->st, o->fd, &info);
    if (r < 0) {
        result(r, ret, err);
        return 0;
    }
    for (size_t i = 0; i < val->items.n; i++) {
        const struct expr *f = val->items.v[i];
        int64_t want, got;
        struct sb m = {0};
        if (expr_int(f->value, &want, &m) || tcp_info_value(d, o->fd, f->str, &got, &m)) {
            o->d->err_status = 2;
            opt_fail(o, "runtime error", "in getsockopt call: %s", sb_str(&m));
            sb_free(&m);
            return -1;
        }
        sb_free(&m);
        if (want != got)
            return opt_fail(o, "runtime error in getsockopt call",
                            "Bad getsockopt TCP_INFO: %s expected: %lld actual: %lld (state %s)",
                            f->str, (long long)want, (long long)got, info.state);
    }
    result(0, ret, err);
    return 0;
}

int sys_getsockopt(struct drill *d, const struct syscall_spec *sc, long *ret, int *err)
{
    struct opt_ctx o;
    int64_t level, name, len = -1, v;
    if (setup(&o, d, sc, &level, &name)) return -1;
    const struct expr *val = sc->args.v[3], *lenx = sc->args.v[4];
    if (is(level, name, SOL_TCP, TCP_INFO) && lenx->kind == E_ELLIPSIS)
        return tcp_info_check(&o, val, ret, err);
    if (bracketed(&o, lenx, &len)) return -1;
    if (is(level, name, SOL_TCP, TCP_INFO)) return tcp_info_check(&o, val, ret, err);
    if (is(level, name, SOL_SOCKET, SO_LINGER)) {
        uint64_t zero = 0; /* the stack's LINGER: 1 = linger on with a zero time */
        int r = getopt_val(&o, TCPFSM_OPT_ABORT_ON_CLOSE, &zero);
        if (r < 0) {
            result(r, ret, err);
            return 0;
        }
        bool kept = !zero && o.k && o.k->linger_on; /* a positive time, the drill's */
        int64_t on = zero || kept, secs = kept ? o.k->linger_s : 0;
        const struct expr *eon, *esec;
        int64_t won, wsec;
        struct sb m = {0};
        if (val->kind != E_RECORD || !(eon = field_of(val, "onoff")) ||
            !(esec = field_of(val, "linger")) || expr_int(eon, &won, &m) ||
            expr_int(esec, &wsec, &m)) {
            sb_free(&m);
            return script_error(&o, "in %s call: expected %s", "{onoff=N, linger=N}");
        }
        if (len != (int64_t)sizeof(struct linger))
            return opt_fail(&o, "runtime error in getsockopt call",
                            "Bad getsockopt optlen: expected: %lld actual: %zu", (long long)len,
                            sizeof(struct linger));
        if ((won != 0) != (on != 0) || wsec != secs)
            return opt_fail(&o, "runtime error in getsockopt call",
                            "Bad getsockopt optval: expected: {onoff=%lld, linger=%lld} actual: "
                            "{onoff=%d, linger=%lld}",
                            (long long)won, (long long)wsec, on != 0, (long long)secs);
        result(0, ret, err);
        return 0;
    }
    if (val->kind == E_STRING) return unsupported(&o, level, name);
    int r = int_option(&o, level, name, &v);
    if (r > 0) return unsupported(&o, level, name);
    if (r < 0) {
        result(r, ret, err);
        return 0;
    }
    int64_t want;
    if (bracketed(&o, val, &want)) return -1;
    if (len != 4)
        return opt_fail(&o, "runtime error in getsockopt call",
                        "Bad getsockopt optlen: expected: %lld actual: 4", (long long)len);
    if (want != v)
        return opt_fail(&o, "runtime error in getsockopt call",
                        "Bad getsockopt optval: expected: %lld actual: %lld", (long long)want,
                        (long long)v);
    result(0, ret, err);
    return 0;
}

/* ----------------------------------------------------------------- TCP_INFO ---- */

static const struct {
    const char *spec; /* tcpfsm_info.state */
    int linux_state;
} states[] = {
    {"ESTABLISHED", 1}, {"SYN_SENT", 2},  {"SYN_RCVD", 3}, {"FIN_WAIT_1", 4},
    {"FIN_WAIT_2", 5},  {"TIME_WAIT", 6}, {"CLOSED", 7},   {"CLOSE_WAIT", 8},
    {"LAST_ACK", 9},    {"LISTEN", 10},   {"CLOSING", 11},
};

static const char *const tcpi_names =
    "tcpi_state, tcpi_rto, tcpi_rtt, tcpi_rttvar, tcpi_snd_cwnd, tcpi_snd_ssthresh, "
    "tcpi_snd_mss, tcpi_snd_wscale, tcpi_rcv_wscale, tcpi_options, tcpi_total_retrans, "
    "tcpi_bytes_sent, tcpi_bytes_acked, tcpi_bytes_received, tcpi_snd_wnd, tcpi_rcv_wnd";

int tcp_info_value(struct drill *d, int fd, const char *name, int64_t *out, struct sb *err)
{
    struct tcpfsm_info i;
    int r = tcpfsm_get_info(d->st, fd, &i);
    if (r < 0) {
        sb_printf(err, "%s: no connection to ask (%s)", name,
                  errno_name(-r) ? errno_name(-r) : "error");
        return -1;
    }
    uint32_t mss = i.mss ? i.mss : 1;
    if (!strcmp(name, "tcpi_state")) {
        *out = 0;
        for (size_t k = 0; k < sizeof states / sizeof *states; k++)
            if (!strcmp(states[k].spec, i.state)) *out = states[k].linux_state;
    } else if (!strcmp(name, "tcpi_rto"))
        *out = i.rto_us;
    else if (!strcmp(name, "tcpi_rtt"))
        *out = i.rtt_us;
    else if (!strcmp(name, "tcpi_rttvar"))
        *out = i.rttvar_us;
    else if (!strcmp(name, "tcpi_snd_cwnd"))
        *out = i.cwnd / mss; /* Linux counts segments */
    else if (!strcmp(name, "tcpi_snd_ssthresh"))
        *out = i.ssthresh >= 0x7fffffffu ? 0x7fffffff : i.ssthresh / mss;
    else if (!strcmp(name, "tcpi_snd_mss"))
        *out = i.mss;
    else if (!strcmp(name, "tcpi_snd_wscale"))
        *out = i.snd_wscale;
    else if (!strcmp(name, "tcpi_rcv_wscale"))
        *out = i.rcv_wscale;
    else if (!strcmp(name, "tcpi_options"))
        *out = (i.ts_ok ? 1 : 0) | (i.sack_ok ? 2 : 0) | (i.snd_wscale || i.rcv_wscale ? 4 : 0);
    else if (!strcmp(name, "tcpi_total_retrans"))
        *out = i.retransmits;
    else if (!strcmp(name, "tcpi_bytes_sent"))
        *out = (int64_t)i.bytes_sent;
    else if (!strcmp(name, "tcpi_bytes_acked"))
        *out = (int64_t)i.bytes_acked;
    else if (!strcmp(name, "tcpi_bytes_received"))
        *out = (int64_t)i.bytes_received;
    else if (!strcmp(name, "tcpi_snd_wnd"))
        *out = i.snd_wnd;
    else if (!strcmp(name, "tcpi_rcv_wnd"))
        *out = i.rcv_wnd;
    else {
        sb_printf(err, "%s is not a value libtcpfsm's tcpfsm_get_info gives (it gives: %s)", name,
                  tcpi_names);
        return -1;
    }
    return 0;
}

const char *tcp_info_names(void)
{
    return tcpi_names;
}

bool tcp_info_known(const char *name)
{
    size_t n = strlen(name);
    for (const char *p = tcpi_names; (p = strstr(p, name)) != NULL; p += n)
        if ((p == tcpi_names || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0')) return true;
    return false;
}
