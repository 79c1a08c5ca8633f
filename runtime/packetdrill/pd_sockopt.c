/*
 * pd_sockopt.c — setsockopt/getsockopt in Linux's names and units, onto tcpfsm_setopt and
 * tcpfsm_getopt and tcpfsm_get_info. An option the stack does not offer fails with
 * ENOPROTOOPT, as on a kernel without it. docs/packetdrill.md has the table.
 */
#include <errno.h>
#include <linux/sock_diag.h> /* SK_MEMINFO_* */
#include <linux/tcp.h>       /* Linux's struct tcp_info, TCP_* and TCPI_OPT_* */
#include <netinet/in.h>
#include <string.h>
#include <sys/time.h>
#include "pd.h"

#define PD_BUF_DEFAULT 65536 /* tcpfsm_config.sndbuf/rcvbuf when 0 (tcpfsm.h) */

/* The stack's state names in Linux's numbering (tcpi_state, include/net/tcp_states.h). */
static const struct {
    const char *name;
    uint8_t linux_state;
} pd_states[] = {
    {"ESTABLISHED", 1}, {"SYN_SENT", 2},  {"SYN_RCVD", 3}, {"FIN_WAIT_1", 4},
    {"FIN_WAIT_2", 5},  {"TIME_WAIT", 6}, {"CLOSED", 7},   {"CLOSE_WAIT", 8},
    {"LAST_ACK", 9},    {"LISTEN", 10},   {"CLOSING", 11},
};

static uint8_t pd_linux_state(const char *name)
{
    for (size_t i = 0; i < sizeof pd_states / sizeof pd_states[0]; i++)
        if (!strcmp(pd_states[i].name, name)) return pd_states[i].linux_state;
    return 7; /* TCP_CLOSE */
}

static const char *pd_cc_name(const struct pd *pd)
{
    return pd->cfg.flags & TCPFSM_F_CUBIC ? "cubic" : "reno";
}

/* tcpfsm_setopt when the socket has its stack descriptor; remembered either way. */
static int pd_setopt(struct pd *pd, struct pd_sock *s, int opt, uint64_t value)
{
    return s->tfd >= 0 ? tcpfsm_setopt(pd->st, s->tfd, opt, value) : 0;
}

int pd_push_options(struct pd *pd, struct pd_sock *s)
{
    int r = 0;
    if (s->nodelay) r |= pd_setopt(pd, s, TCPFSM_OPT_NODELAY, 1);
    if (s->cork) r |= pd_setopt(pd, s, TCPFSM_OPT_CORK, 1);
    if (s->reuseaddr) r |= pd_setopt(pd, s, TCPFSM_OPT_REUSEADDR, 1);
    if (s->user_timeout_ms)
        r |= pd_setopt(pd, s, TCPFSM_OPT_USER_TIMEOUT, (uint64_t)s->user_timeout_ms * 1000u);
    if (s->maxseg) r |= pd_setopt(pd, s, TCPFSM_OPT_MAXSEG, s->maxseg);
    if (s->keepintvl_s)
        r |= pd_setopt(pd, s, TCPFSM_OPT_KEEPINTVL, (uint64_t)s->keepintvl_s * 1000000u);
    if (s->keepcnt) r |= pd_setopt(pd, s, TCPFSM_OPT_KEEPCNT, s->keepcnt);
    s->ka_synced = false; /* pd_sock_sync pushes keepalive when the connection can take it */
    return r ? -EINVAL : 0;
}

/* An option the stack checks: remembered only once it took it. */
static int pd_set_checked(struct pd *pd, struct pd_sock *s, int opt, uint64_t value,
                          uint32_t *store, int v)
{
    int r = pd_setopt(pd, s, opt, value);
    if (!r) *store = (uint32_t)v;
    return r;
}

static int pd_set_int(struct pd *pd, struct pd_sock *s, int level, int name, int v)
{
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR:
            s->reuseaddr = v != 0;
            return pd_setopt(pd, s, TCPFSM_OPT_REUSEADDR, s->reuseaddr);
        case SO_KEEPALIVE:
            s->keepalive = v != 0;
            s->ka_synced = false;
            if (!v && s->tfd >= 0) tcpfsm_setopt(pd->st, s->tfd, TCPFSM_OPT_KEEPALIVE, 0);
            return 0;
        case SO_SNDBUF: /* taken, but buffers are per stack: --so_flags=sndbuf=N,rcvbuf=N */
            s->sndbuf = v;
            return 0;
        case SO_RCVBUF:
            s->rcvbuf = v;
            return 0;
        }
        return -ENOPROTOOPT;
    }
    switch (name) {
    case TCP_NODELAY:
        s->nodelay = v != 0;
        return pd_setopt(pd, s, TCPFSM_OPT_NODELAY, s->nodelay);
    case TCP_CORK:
        s->cork = v != 0;
        return pd_setopt(pd, s, TCPFSM_OPT_CORK, s->cork);
    case TCP_KEEPIDLE: /* Linux's range: 1..MAX_TCP_KEEPIDLE (32767 s) */
        if (v < 1 || v > 32767) return -EINVAL;
        s->keepidle_s = (uint32_t)v;
        s->ka_synced = false;
        return 0;
    case TCP_KEEPINTVL: /* Linux's ranges, the stack's too */
        if (v < 1 || v > 32767) return -EINVAL;
        return pd_set_checked(pd, s, TCPFSM_OPT_KEEPINTVL, (uint64_t)v * 1000000u, &s->keepintvl_s,
                              v);
    case TCP_KEEPCNT:
        if (v < 1 || v > 127) return -EINVAL;
        return pd_set_checked(pd, s, TCPFSM_OPT_KEEPCNT, (uint64_t)v, &s->keepcnt, v);
    case TCP_USER_TIMEOUT:
        if (v < 0) return -EINVAL;
        return pd_set_checked(pd, s, TCPFSM_OPT_USER_TIMEOUT, (uint64_t)v * 1000u,
                              &s->user_timeout_ms, v);
    case TCP_MAXSEG:
        if (v < 0) return -EINVAL;
        return linux_sock_maxseg_set(
            pd_set_checked(pd, s, TCPFSM_OPT_MAXSEG, (uint64_t)v, &s->maxseg, v));
    }
    return -ENOPROTOOPT;
}

static int pd_set(struct pd *pd, struct pd_sock *s, int level, int name, const void *val,
                  socklen_t len)
{
    if (level != SOL_SOCKET && level != IPPROTO_TCP) return -ENOPROTOOPT;
    if (!val && len) return -EFAULT;
    if (level == SOL_SOCKET && name == SO_LINGER) {
        struct linger l;
        if (len < sizeof l) return -EINVAL;
        memcpy(&l, val, sizeof l);
        s->linger_on = l.l_onoff != 0;
        s->linger_s = l.l_linger < 0 ? 0 : l.l_linger;
        return 0;
    }
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        struct timeval tv;
        if (len < sizeof tv) return -EINVAL;
        memcpy(&tv, val, sizeof tv);
        if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return -EDOM;
        uint64_t us = tv.tv_sec < 0 ? 0 : (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
        *(name == SO_RCVTIMEO ? &s->rcvtimeo_us : &s->sndtimeo_us) = us;
        return 0;
    }
    if (level == IPPROTO_TCP && name == TCP_CONGESTION) { /* one algorithm per stack */
        const char *cc = pd_cc_name(pd);
        size_t n = strnlen(val, len);
        return n == strlen(cc) && !memcmp(val, cc, n) ? 0 : -ENOENT;
    }
    if (len < sizeof(int)) return -EINVAL;
    int v;
    memcpy(&v, val, sizeof v);
    return pd_set_int(pd, s, level, name, v);
}

int pd_setsockopt(struct pd *pd, int fd, int level, int name, const void *val, socklen_t len)
{
    pd_lock(pd);
    struct pd_sock *s;
    int r = pd_sock_lookup(pd, fd, PD_SOCKET, &s);
    if (!r) r = pd_set(pd, s, level, name, val, len);
    pd_unlock(pd);
    return r;
}

static void pd_tcp_info(struct pd *pd, const struct tcpfsm_info *i, struct tcp_info *ti)
{
    memset(ti, 0, sizeof *ti);
    ti->tcpi_state = pd_linux_state(i->state);
    ti->tcpi_options =
        (uint8_t)((i->ts_ok ? TCPI_OPT_TIMESTAMPS : 0) | (i->sack_ok ? TCPI_OPT_SACK : 0) |
                  (i->snd_wscale || i->rcv_wscale ? TCPI_OPT_WSCALE : 0));
    ti->tcpi_snd_wscale = i->snd_wscale & 15u;
    ti->tcpi_rcv_wscale = i->rcv_wscale & 15u;
    ti->tcpi_rto = i->rto_us;
    ti->tcpi_snd_mss = i->mss;
    ti->tcpi_rcv_mss = i->mss;
    ti->tcpi_rtt = i->rtt_us;
    ti->tcpi_rttvar = i->rttvar_us;
    uint32_t mss = i->mss ? i->mss : LINUX_SOCK_MSS_DEFAULT;
    uint64_t flight = i->bytes_sent - i->bytes_acked;
    ti->tcpi_unacked = (uint32_t)((flight + mss - 1) / mss);
    ti->tcpi_snd_cwnd = i->cwnd / mss;
    /* ours is bytes with UINT32_MAX/2 for "none yet"; Linux's is segments, 0x7fffffff */
    ti->tcpi_snd_ssthresh = i->ssthresh >= UINT32_MAX / 2 ? 0x7fffffffu : i->ssthresh / mss;
    ti->tcpi_pmtu = pd->cfg.mtu ? pd->cfg.mtu : 1500u;
    ti->tcpi_advmss = ti->tcpi_pmtu - 40u;
    ti->tcpi_total_retrans = i->retransmits;
    ti->tcpi_bytes_acked = i->bytes_acked;
    ti->tcpi_bytes_received = i->bytes_received;
    ti->tcpi_bytes_sent = i->bytes_sent; /* first transmissions only */
    ti->tcpi_notsent_bytes = i->send_q > flight ? (uint32_t)(i->send_q - flight) : 0;
    ti->tcpi_snd_wnd = i->snd_wnd;
}

/* The stack's value of an option in the given unit, or `fallback` without a descriptor. */
static int pd_getopt_int(struct pd *pd, const struct pd_sock *s, int opt, uint64_t unit,
                         int fallback)
{
    uint64_t v;
    if (s->tfd < 0 || tcpfsm_getopt(pd->st, s->tfd, opt, &v)) return fallback;
    return v / unit > INT32_MAX ? INT32_MAX : (int)(v / unit);
}

/* Linux copies min(len, size) bytes of an option and says how many. */
static int pd_put(void *val, socklen_t *len, const void *v, size_t size)
{
    if (*len > (socklen_t)size) *len = (socklen_t)size;
    memcpy(val, v, *len);
    return 0;
}

static int pd_get(struct pd *pd, struct pd_sock *s, int level, int name, void *val, socklen_t *len)
{
    struct tcpfsm_info i;
    pd_info(pd, s, &i);
    int v;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_ERROR:
            v = -linux_sock_so_error(pd->st, s->tfd, &s->lx);
            break;
        case SO_TYPE:
            v = SOCK_STREAM;
            break;
        case SO_DOMAIN:
            v = AF_INET;
            break;
        case SO_PROTOCOL:
            v = IPPROTO_TCP;
            break;
        case SO_ACCEPTCONN:
            v = !strcmp(i.state, "LISTEN");
            break;
        case SO_REUSEADDR:
            v = s->reuseaddr;
            break;
        case SO_KEEPALIVE:
            v = s->keepalive;
            break;
        case SO_SNDBUF:
            v = pd->cfg.sndbuf ? (int)pd->cfg.sndbuf : PD_BUF_DEFAULT;
            break;
        case SO_RCVBUF:
            v = pd->cfg.rcvbuf ? (int)pd->cfg.rcvbuf : PD_BUF_DEFAULT;
            break;
        case SO_LINGER: {
            struct linger l = {.l_onoff = s->linger_on, .l_linger = s->linger_s};
            return pd_put(val, len, &l, sizeof l);
        }
        case SO_MEMINFO: { /* what packetdrill's code blocks read besides TCP_INFO */
            uint32_t m[SK_MEMINFO_VARS] = {
                [SK_MEMINFO_RMEM_ALLOC] = i.recv_q,
                [SK_MEMINFO_RCVBUF] = pd->cfg.rcvbuf ? pd->cfg.rcvbuf : PD_BUF_DEFAULT,
                [SK_MEMINFO_SNDBUF] = pd->cfg.sndbuf ? pd->cfg.sndbuf : PD_BUF_DEFAULT,
                [SK_MEMINFO_WMEM_QUEUED] = i.send_q,
            };
            return pd_put(val, len, m, sizeof m);
        }
        case SO_RCVTIMEO:
        case SO_SNDTIMEO: {
            uint64_t us = name == SO_RCVTIMEO ? s->rcvtimeo_us : s->sndtimeo_us;
            struct timeval tv = {.tv_sec = (time_t)(us / 1000000u),
                                 .tv_usec = (suseconds_t)(us % 1000000u)};
            return pd_put(val, len, &tv, sizeof tv);
        }
        default:
            return -ENOPROTOOPT;
        }
        return pd_put(val, len, &v, sizeof v);
    }
    if (level != IPPROTO_TCP) return -ENOPROTOOPT;
    switch (name) {
    case TCP_NODELAY:
        v = s->nodelay;
        break;
    case TCP_CORK:
        v = s->cork;
        break;
    case TCP_KEEPIDLE:
        v = (int)s->keepidle_s;
        break;
    case TCP_KEEPINTVL: /* what the stack uses: unless set, a tenth of the idle time, >= 1 s */
        v = (int)(s->keepintvl_s ? s->keepintvl_s : s->keepidle_s / 10u);
        v = pd_getopt_int(pd, s, TCPFSM_OPT_KEEPINTVL, 1000000u, v > 1 ? v : 1);
        break;
    case TCP_KEEPCNT: /* unless set, 9 (the stack's default, and Linux's) */
        v = pd_getopt_int(pd, s, TCPFSM_OPT_KEEPCNT, 1, s->keepcnt ? (int)s->keepcnt : 9);
        break;
    case TCP_USER_TIMEOUT:
        v = (int)s->user_timeout_ms;
        break;
    case TCP_MAXSEG: /* the connection's MSS; before one, what was asked, else Linux's 536 */
        v = (int)linux_sock_maxseg(&i, s->maxseg);
        break;
    case TCP_INFO: {
        struct tcp_info ti;
        pd_tcp_info(pd, &i, &ti);
        return pd_put(val, len, &ti, sizeof ti);
    }
    case TCP_CC_INFO: /* NewReno and CUBIC have none: Linux answers with 0 bytes */
        *len = 0;
        return 0;
    case TCP_CONGESTION: {
        char name16[16] = {0}; /* TCP_CA_NAME_MAX */
        strcpy(name16, pd_cc_name(pd));
        return pd_put(val, len, name16, sizeof name16);
    }
    default:
        return -ENOPROTOOPT;
    }
    return pd_put(val, len, &v, sizeof v);
}

int pd_getsockopt(struct pd *pd, int fd, int level, int name, void *val, socklen_t *len)
{
    if (!len || (!val && *len)) return -EFAULT;
    if ((int)*len < 0) return -EINVAL;
    pd_lock(pd);
    struct pd_sock *s;
    int r = pd_sock_lookup(pd, fd, PD_SOCKET, &s);
    if (!r) r = pd_get(pd, s, level, name, val, len);
    pd_unlock(pd);
    return r;
}
