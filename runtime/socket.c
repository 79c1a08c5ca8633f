/*
 * socket.c — the socket API: descriptors, bind/listen/accept/connect, send/recv, shutdown,
 * close, options, and what the stack reports (info, stats, ss).
 *
 * Every user call that changes a connection's state does so by dispatching an APP_* event
 * into the generated machine (tcb_event); this file only checks arguments and limits first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seq.h"
#include "tcp_layer.h"
#include "tcp.h"

#define DEFAULT_MAX_SOCKETS 65536u
#define EPHEMERAL_LO 49152u /* RFC 6335 6 dynamic ports */
#define EPHEMERAL_HI 65535u
#define TABLE_MIN 64u /* first size of every growing table */

/* ---- sockets ---- */

static struct tcb *fd_get(struct tcpfsm_stack *st, int fd)
{
    if (!st || fd < 0 || (uint32_t)fd >= st->fds_cap) return NULL;
    return st->fds[fd];
}

/* The lowest free descriptor, as POSIX does; fd_low is a lower bound of it. The table
 * doubles when full, up to cfg.max_sockets. */
static int fd_alloc(struct tcpfsm_stack *st, struct tcb *t)
{
    uint32_t i = st->fd_low;
    while (i < st->fds_cap && st->fds[i])
        i++;
    if (i == st->fds_cap) {
        if (st->fds_cap >= st->cfg.max_sockets) {
            st->fd_low = st->fds_cap;
            return -EMFILE;
        }
        uint32_t n = st->fds_cap ? st->fds_cap * 2 : TABLE_MIN;
        if (n > st->cfg.max_sockets) n = st->cfg.max_sockets;
        struct tcb **p = realloc(st->fds, n * sizeof *p);
        if (!p) return -ENOMEM;
        memset(p + st->fds_cap, 0, (n - st->fds_cap) * sizeof *p);
        st->fds = p;
        st->fds_cap = n;
    }
    st->fds[i] = t;
    t->fd = (int32_t)i;
    st->fd_low = i + 1;
    return (int)i;
}

int tcpfsm_socket(struct tcpfsm_stack *st)
{
    if (!st) return -EINVAL;
    struct tcb *t = tcb_zalloc(st);
    if (!t) return -ENOMEM;
    t->state = TCP_FSM_INITIAL;
    t->fd = -1;
    rtt_init(&t->rtt, st->cfg.rto_initial_us);
    int fd = fd_alloc(st, t);
    if (fd < 0) tcb_dealloc(st, t);
    return fd;
}

static bool same_local(uint32_t la, uint16_t lp, uint32_t addr, uint16_t port)
{
    return lp == port && (!la || !addr || la == addr);
}

/* A bind's port is taken by a listener, by another descriptor bound to it unless both set
 * TCPFSM_OPT_REUSEADDR, and, unless this socket set it, by any connection still using it: an
 * orphan finishing its close, or a TIME-WAIT record (RFC 9293 3.6.1: the 2 MSL quiet time is
 * the 4-tuple's, so Linux and the BSDs refuse the whole local port with EADDRINUSE; their
 * SO_REUSEADDR, as this option, lets a restarted server bind it again, while a connect() to the
 * very 4-tuple still waiting is refused, tcpfsm_connect). */
static bool port_in_use(struct tcpfsm_stack *st, uint32_t addr, uint16_t port,
                        const struct tcb *self)
{
    if (!(self->flags & TF_REUSEADDR)) {
        for (uint32_t i = 0; i <= st->hash_mask; i++) {
            const struct tcb *c = st->hash[i];
            if (c && c != self && same_local(c->laddr, c->lport, addr, port)) return true;
        }
        for (uint32_t i = 0; i <= st->tw.mask; i++) {
            const struct rec_key *k = st->tw.slot[i];
            if (k && same_local(k->laddr, k->lport, addr, port)) return true;
        }
    }
    for (uint32_t i = 0; i < st->nlisteners; i++) {
        const struct tcb *l = st->listeners[i];
        if (l != self && l->lport == port && (!l->laddr || !addr || l->laddr == addr)) return true;
    }
    for (uint32_t i = 0; i < st->fds_cap; i++) {
        struct tcb *t = st->fds[i];
        if (t && t != self && t->lport == port && (!t->laddr || !addr || t->laddr == addr) &&
            !(t->flags & TF_REUSEADDR && self->flags & TF_REUSEADDR))
            return true;
    }
    return false;
}

int tcpfsm_bind(struct tcpfsm_stack *st, int fd, uint32_t addr, uint16_t port)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (t->state != TCP_FSM_CLOSED || t->lport) return -EINVAL;
    if (addr && addr != st->cfg.addr) return -EADDRNOTAVAIL;
    if (port && port_in_use(st, addr, port, t)) return -EADDRINUSE;
    t->laddr = addr;
    if (!port) {
        uint32_t span = EPHEMERAL_HI - EPHEMERAL_LO + 1,
                 start = (uint32_t)st->cfg.random(st->cfg.random_arg);
        for (uint32_t i = 0; i < span && !port; i++) {
            uint16_t p = (uint16_t)(EPHEMERAL_LO + (start + i) % span);
            if (!port_in_use(st, addr, p, t)) port = p;
        }
        if (!port) return -EADDRINUSE;
    }
    t->lport = port;
    return 0;
}

int tcpfsm_listen(struct tcpfsm_stack *st, int fd, int backlog)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (backlog < 1) backlog = 1;
    if (backlog > 4096) backlog = 4096;
    if (t->state == TCP_FSM_LISTEN) {
        t->u.lst.backlog = (uint16_t)backlog;
        return 0;
    }
    if (t->state != TCP_FSM_CLOSED || !t->lport) return -EINVAL;
    if (listeners_reserve(st)) return -ENOMEM;
    t->u.lst.backlog = (uint16_t)backlog;
    tcb_event(st, t, TCP_FSM_EV_APP_LISTEN, NULL);
    return t->state == TCP_FSM_LISTEN ? 0 : -EINVAL;
}

int tcpfsm_accept(struct tcpfsm_stack *st, int fd, uint32_t *peer_addr, uint16_t *peer_port)
{
    struct tcb *l = fd_get(st, fd);
    if (!l) return -EBADF;
    if (l->state != TCP_FSM_LISTEN) return -EINVAL;
    struct tcb *c = l->u.lst.acc_head; /* the oldest established connection */
    if (!c) return -EAGAIN;
    int nfd = fd_alloc(st, c);
    if (nfd < 0) return nfd;
    child_unlink(c);
    if (peer_addr) *peer_addr = c->raddr;
    if (peer_port) *peer_port = c->rport;
    return nfd;
}

/* Whether an active open may use local port lport towards (raddr, rport): cfg.port_ok. */
static bool port_allowed(const struct tcpfsm_stack *st, uint32_t laddr, uint16_t lport,
                         uint32_t raddr, uint16_t rport)
{
    return !st->cfg.port_ok || st->cfg.port_ok(st->cfg.port_ok_arg, laddr, lport, raddr, rport);
}

int tcpfsm_connect(struct tcpfsm_stack *st, int fd, uint32_t addr, uint16_t port)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    /* a peer we could never hear from (RFC 1122 3.2.1.3: its replies would be dropped) */
    if (!port || ip_martian_source(addr, st->cfg.addr, st->cfg.prefix_len)) return -EINVAL;
    if (t->state == TCP_FSM_SYN_SENT || t->state == TCP_FSM_SYN_RCVD) return -EALREADY;
    /* CLOSED, or LISTEN: RFC 9293 3.10.2 lets a listening connection become active. */
    if (t->state != TCP_FSM_CLOSED && t->state != TCP_FSM_LISTEN) return -EISCONN;
    if (t->err) return -EINVAL; /* a failed attempt: make a new socket */
    t->laddr = st->cfg.addr;
    if (!t->lport) {
        /* RFC 6056 3.3.1-style: a random start in the dynamic range, then the first port whose
         * 4-tuple is free and that no listener owns (TIME_WAIT holders included). */
        uint32_t span = EPHEMERAL_HI - EPHEMERAL_LO + 1,
                 start = (uint32_t)st->cfg.random(st->cfg.random_arg);
        for (uint32_t i = 0; i < span && !t->lport; i++) {
            uint16_t p = (uint16_t)(EPHEMERAL_LO + (start + i) % span);
            if (port_allowed(st, t->laddr, p, addr, port) && !listener_lookup(st, t->laddr, p) &&
                !tcb_lookup(st, t->laddr, p, addr, port) &&
                !tw_lookup(st, t->laddr, p, addr, port) && !syn_lookup(st, t->laddr, p, addr, port))
                t->lport = p;
        }
        if (!t->lport) return -EADDRNOTAVAIL;
        /* its 4-tuple was found free by the very lookups below: not asked twice */
    } else if (!port_allowed(st, t->laddr, t->lport, addr, port)) {
        return -EADDRNOTAVAIL; /* the flow would not come back to this stack (cfg.port_ok) */
    } else if (tcb_lookup(st, t->laddr, t->lport, addr, port) ||
               tw_lookup(st, t->laddr, t->lport, addr, port) ||
               syn_lookup(st, t->laddr, t->lport, addr, port)) {
        return -EADDRINUSE; /* a port bound before: its 4-tuple may be taken */
    }
    if (tcb_hash_reserve(st)) return -ENOMEM;
    t->raddr = addr;
    t->rport = port;
    int e = tcb_alloc_bufs(st, t);
    if (e) {
        t->raddr = 0;
        t->rport = 0;
        return e;
    }
    tcb_event(st, t, TCP_FSM_EV_APP_CONNECT, NULL);
    return -EINPROGRESS;
}

/* Why a connection cannot take bytes from the user (0 if it can): RFC 9293 3.10.2 SEND, by
 * the spec's sets of states (the API reports the state; the spec decides what it is). */
static long send_refusal(const struct tcb *t)
{
    if (t->err) return -(long)t->err;
    if (t->flags & TF_FIN_QUEUED) return -EPIPE;
    if (t->flags & TF_DEAD) return -EPIPE;
    if (tcp_fsm_in_set(TCP_FSM_SET_OPENING, t->state)) return -EAGAIN;
    if (!tcp_fsm_in_set(TCP_FSM_SET_SYNCHRONIZED, t->state) || !t->buf) return -ENOTCONN;
    return 0;
}

/* Queue up to len bytes: as many as the connection's allowance and the stack's memory let the
 * send ring take (mem.c). */
static uint32_t send_queue(struct tcpfsm_stack *st, struct tcb *t, const void *buf, size_t len)
{
    struct tcb_bufs *b = t->buf;
    uint32_t want = mem_allowance(st, t, &b->snd, st->cfg.sndbuf);
    if (len < want) want = (uint32_t)len;
    if (!want) return 0;
    want = ring_make_room(st, &b->snd, want, st->cfg.sndbuf, &b->snd_shift, false);
    return ring_write(&b->snd, buf, want);
}

long tcpfsm_sendv(struct tcpfsm_stack *st, int fd, const struct tcpfsm_iov *iov, int iovcnt)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (iovcnt < 0 || (iovcnt && !iov)) return -EINVAL;
    long e = send_refusal(t);
    if (e) return e;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (!iov[i].base && iov[i].len) return -EFAULT;
        total += iov[i].len;
    }
    uint64_t n = 0;
    for (int i = 0; i < iovcnt && n < UINT32_MAX; i++) {
        size_t len = iov[i].len;
        if (len > UINT32_MAX - n) len = (size_t)(UINT32_MAX - n);
        uint32_t w = send_queue(st, t, iov[i].base, len);
        n += w;
        if (w < len) break;
    }
    if (!n && total) {
        /* Memory freed by other connections wakes no one: have the waits look again. */
        if (!t->buf->snd.len || st->mem_pressure) ready_memwait(st, t);
        if (t->buf->snd.len) return -EAGAIN;
        st->stats.BufferLimitDrops++; /* nothing queued, and no memory for it */
        return -ENOBUFS;
    }
    tcp_output(st, t); /* once, after all of it is queued */
    return (long)n;
}

long tcpfsm_send(struct tcpfsm_stack *st, int fd, const void *buf, size_t len)
{
    struct tcpfsm_iov one = {buf, len};
    return tcpfsm_sendv(st, fd, &one, 1);
}

long tcpfsm_recv(struct tcpfsm_stack *st, int fd, void *buf, size_t len)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (t->buf && t->buf->rcv.len && len) {
        if (!buf) return -EFAULT;
        uint32_t n = ring_read(&t->buf->rcv, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
        if (!t->buf->rcv.len) ring_release(st, &t->buf->rcv); /* read out: memory back */
        /* RFC 9293 3.8.6.2.2: announce the reopened window once its right edge can move by
         * min(RCV.BUFF/2, Eff.snd.MSS) past the last advertised one, not byte by byte
         * (receiver-side SWS avoidance); many small reads add up. */
        uint32_t thresh = tcp_rcv_sws_thresh(st, t);
        if (!(t->flags & (TF_DEAD | TF_FIN_RCVD)) &&
            seq_diff(t->rcv_nxt + tcp_rcv_window(st, t), t->rcv_adv) >= (int32_t)thresh) {
            t->flags |= TF_ACK_NOW;
            tcp_output(st, t);
        }
        return (long)n;
    }
    if (t->flags & (TF_FIN_RCVD | TF_RD_SHUT)) return 0;
    if (t->err) return -(long)t->err;
    if (!len) return 0;
    if (t->state == TCP_FSM_CLOSED || t->state == TCP_FSM_LISTEN) return -ENOTCONN;
    return -EAGAIN;
}

int tcpfsm_shutdown(struct tcpfsm_stack *st, int fd, int how)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (how < TCPFSM_SHUT_RD || how > TCPFSM_SHUT_RDWR) return -EINVAL;
    if (!tcp_fsm_in_set(TCP_FSM_SET_HAVE_RCVD_SYN, t->state)) return -ENOTCONN;
    if (how != TCPFSM_SHUT_WR) {
        t->flags |= TF_RD_SHUT;
        if (t->buf) {
            ring_drop(&t->buf->rcv, t->buf->rcv.len);
            ring_release(st, &t->buf->rcv);
        }
        ready_wake(st, t); /* reading now ends at once: POLLIN */
    }
    if (how != TCPFSM_SHUT_RD && !(t->flags & TF_FIN_QUEUED) && !(t->flags & TF_DEAD)) {
        tcb_event(st, t, TCP_FSM_EV_APP_CLOSE, NULL);
        if (!(t->flags & TF_DEAD))
            tcp_output(st, t);
        else
            tcb_reap(st, t);
    }
    return 0;
}

static void fd_release(struct tcpfsm_stack *st, struct tcb *t)
{
    if (t->fd >= 0) {
        ready_forget(st, t->fd);
        st->fds[t->fd] = NULL;
        if ((uint32_t)t->fd < st->fd_low) st->fd_low = (uint32_t)t->fd;
    }
    t->fd = -1;
}

int tcpfsm_close(struct tcpfsm_stack *st, int fd)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    fd_release(st, t);
    if (t->flags & TF_DEAD) {
        tcb_reap(st, t);
        return 0;
    }
    /* RFC 2525 2.17: closing with unread data aborts the connection (as Linux does); so does
     * closing a socket set to (TCPFSM_OPT_ABORT_ON_CLOSE, SO_LINGER {1, 0}). */
    bool abort = (t->buf && t->buf->rcv.len) || (t->xflags & TX_ABORT_ON_CLOSE);
    tcb_event(st, t, abort ? TCP_FSM_EV_APP_ABORT : TCP_FSM_EV_APP_CLOSE, NULL);
    if (t->flags & TF_DEAD)
        tcb_reap(st, t);
    else if (!tw_settle(st, t))
        tcp_output(st, t);
    return 0;
}

int tcpfsm_abort(struct tcpfsm_stack *st, int fd)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    fd_release(st, t);
    if (!(t->flags & TF_DEAD)) tcb_event(st, t, TCP_FSM_EV_APP_ABORT, NULL);
    if (!(t->flags & TF_DEAD)) {
        /* Not reachable with the shipped spec (APP_ABORT reaches CLOSED everywhere); kept so a
         * spec change cannot leak the TCB. */
        t->flags |= TF_DEAD;
    }
    tcb_reap(st, t);
    return 0;
}

int tcpfsm_poll(struct tcpfsm_stack *st, int fd)
{
    struct tcb *t = fd_get(st, fd);
    return t ? tcb_poll_mask(st, t) : -EBADF;
}

int tcpfsm_error(struct tcpfsm_stack *st, int fd)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    return t->err ? -(int)t->err : 0;
}

int tcpfsm_soft_error(struct tcpfsm_stack *st, int fd)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (!t->buf) return 0;
    int e = -(int)t->buf->soft_err; /* RFC 1122 4.2.3.9, reported once (Linux's sk_err_soft) */
    t->buf->soft_err = 0;
    return e;
}

static int setopt_kept(struct tcb *t, int opt, uint64_t value);

int tcpfsm_setopt(struct tcpfsm_stack *st, int fd, int opt, uint64_t value)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    switch (opt) {
    case TCPFSM_OPT_NODELAY:
        if (value > 1) return -EINVAL;
        t->flags = value ? (uint16_t)(t->flags | TF_NODELAY) : (uint16_t)(t->flags & ~TF_NODELAY);
        if (value) tcp_output(st, t); /* what Nagle held goes now (nothing if unconnected) */
        return 0;
    case TCPFSM_OPT_KEEPALIVE:
        if (value > 65535ull * 1000000u) return -EINVAL;
        t->ka_idle_s = (uint16_t)(!value ? 0 : value < 1000000u ? 1 : value / 1000000u);
        /* not synchronized yet: kept, and armed by the ACK that establishes the connection
         * (tcp_ack_input), or taken by a listener's children */
        if (!tcp_fsm_in_set(TCP_FSM_SET_SYNCHRONIZED, t->state)) return 0;
        t->retries = 0;
        if (value)
            tcb_timer_set(st, t, TMR_KEEPALIVE, (uint64_t)t->ka_idle_s * 1000000u);
        else
            tcb_timer_clear(st, t, TMR_KEEPALIVE);
        return 0;
    case TCPFSM_OPT_CORK:
        if (value > 1) return -EINVAL;
        t->xflags = value ? (uint8_t)(t->xflags | TX_CORK) : (uint8_t)(t->xflags & ~TX_CORK);
        if (!value) tcp_output(st, t); /* flush what was held (nothing if not connected) */
        return 0;
    case TCPFSM_OPT_REUSEADDR:
        if (value > 1) return -EINVAL;
        t->flags =
            value ? (uint16_t)(t->flags | TF_REUSEADDR) : (uint16_t)(t->flags & ~TF_REUSEADDR);
        return 0;
    case TCPFSM_OPT_SNDBUF:
    case TCPFSM_OPT_RCVBUF:
        /* Buffers are sized per stack (tcpfsm_config.sndbuf/rcvbuf) in this version. */
        return -EOPNOTSUPP;
    case TCPFSM_OPT_ABORT_ON_CLOSE:
        if (value > 1) return -EINVAL;
        t->xflags = value ? (uint8_t)(t->xflags | TX_ABORT_ON_CLOSE)
                          : (uint8_t)(t->xflags & ~TX_ABORT_ON_CLOSE);
        return 0;
    default:
        return setopt_kept(t, opt, value);
    }
}

/* The settings kept in struct tcb_sockopts (tcb_opts). */
static int setopt_kept(struct tcb *t, int opt, uint64_t value)
{
    struct tcb_sockopts *o = tcb_opts_mut(t);
    switch (opt) {
    case TCPFSM_OPT_MAXSEG:
        if (value && (value < 88 || value > 65495)) return -EINVAL;
        /* RFC 9293 3.7.1: the MSS is offered in the SYN; after it, it is too late */
        if (t->state != TCP_FSM_CLOSED && t->state != TCP_FSM_LISTEN) return -EISCONN;
        if (!o) return -EINVAL;
        o->mss_clamp = (uint16_t)value;
        return 0;
    case TCPFSM_OPT_KEEPINTVL:
        if (value < 1000000u || value > 32767ull * 1000000u) return -EINVAL;
        if (!o) return -EINVAL;
        o->ka_intvl_s = (uint16_t)(value / 1000000u);
        return 0;
    case TCPFSM_OPT_KEEPCNT:
        if (value < 1 || value > 127) return -EINVAL;
        if (!o) return -EINVAL;
        o->ka_cnt = (uint8_t)value;
        return 0;
    case TCPFSM_OPT_USER_TIMEOUT:
        if (value && (value < 1000u || value > (uint64_t)INT32_MAX * 1000u)) return -EINVAL;
        if (!o) return -EINVAL;
        o->user_timeout_ms = (uint32_t)(value / 1000u);
        return 0;
    default:
        return -EINVAL;
    }
}

int tcpfsm_getopt(struct tcpfsm_stack *st, int fd, int opt, uint64_t *value)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (!value) return -EINVAL;
    const struct tcb_sockopts *o = tcb_opts(t);
    switch (opt) {
    case TCPFSM_OPT_NODELAY:
        *value = (t->flags & TF_NODELAY) != 0;
        return 0;
    case TCPFSM_OPT_KEEPALIVE:
        *value = (uint64_t)t->ka_idle_s * 1000000u;
        return 0;
    case TCPFSM_OPT_SNDBUF:
        *value = st->cfg.sndbuf;
        return 0;
    case TCPFSM_OPT_RCVBUF:
        *value = st->cfg.rcvbuf;
        return 0;
    case TCPFSM_OPT_REUSEADDR:
        *value = (t->flags & TF_REUSEADDR) != 0;
        return 0;
    case TCPFSM_OPT_CORK:
        *value = (t->xflags & TX_CORK) != 0;
        return 0;
    case TCPFSM_OPT_MAXSEG:
        *value = tcp_fsm_in_set(TCP_FSM_SET_SYNCHRONIZED, t->state) && t->u.cc.mss
                     ? t->u.cc.mss
                     : tcb_mss_limit(st, t);
        return 0;
    case TCPFSM_OPT_KEEPINTVL:
        *value = tcb_keepintvl_us(t);
        return 0;
    case TCPFSM_OPT_KEEPCNT:
        *value = tcb_keepcnt(t);
        return 0;
    case TCPFSM_OPT_USER_TIMEOUT:
        *value = o && o->user_timeout_ms ? (uint64_t)o->user_timeout_ms * 1000u
                                         : st->cfg.user_timeout_us;
        return 0;
    case TCPFSM_OPT_ABORT_ON_CLOSE:
        *value = (t->xflags & TX_ABORT_ON_CLOSE) != 0;
        return 0;
    default:
        return -EINVAL;
    }
}

int tcpfsm_getname(struct tcpfsm_stack *st, int fd, uint32_t *laddr, uint16_t *lport,
                   uint32_t *raddr, uint16_t *rport)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (laddr) *laddr = t->laddr;
    if (lport) *lport = t->lport;
    if (raddr) *raddr = t->raddr;
    if (rport) *rport = t->rport;
    return 0;
}

static void fill_info(struct tcpfsm_stack *st, const struct tcb *t, struct tcpfsm_info *i)
{
    (void)st;
    memset(i, 0, sizeof *i);
    i->state = tcb_state_name(t);
    i->laddr = t->laddr;
    i->raddr = t->raddr;
    i->lport = t->lport;
    i->rport = t->rport;
    if (t->state == TCP_FSM_LISTEN) return;
    i->rtt_us = t->rtt.srtt_us;
    i->rttvar_us = t->rtt.rttvar_us;
    i->rto_us = rtt_current_rto(&t->rtt, st->cfg.rto_max_us);
    i->cwnd = t->u.cc.cwnd;
    i->ssthresh = t->u.cc.ssthresh;
    i->mss = t->u.cc.mss;
    i->snd_wscale = t->snd_wscale;
    i->rcv_wscale = t->rcv_wscale;
    i->sack_ok = !!(t->flags & TF_SACK);
    i->ts_ok = !!(t->flags & TF_TS);
    i->snd_wnd = t->snd_wnd;
    i->rcv_wnd = tcp_rcv_window(st, t);
    if (t->buf) {
        i->recv_q = t->buf->rcv.len;
        i->send_q = t->buf->snd.len;
        i->bytes_sent = t->buf->bytes_sent;
        i->bytes_acked = t->buf->bytes_acked;
        i->bytes_received = t->buf->bytes_received;
        i->retransmits = t->buf->retransmits;
        i->soft_err = -(int)t->buf->soft_err;
    }
}

int tcpfsm_get_info(struct tcpfsm_stack *st, int fd, struct tcpfsm_info *info)
{
    struct tcb *t = fd_get(st, fd);
    if (!t) return -EBADF;
    if (!info) return -EFAULT;
    fill_info(st, t, info);
    return 0;
}

void tcpfsm_get_stats(const struct tcpfsm_stack *st, struct tcpfsm_stats *out)
{
    *out = st->stats;
    uint64_t est = 0;
    for (uint32_t i = 0; i <= st->hash_mask; i++)
        for (const struct tcb *t = st->hash[i]; t; t = NULL)
            est += tcp_fsm_in_set(TCP_FSM_SET_SENDING, t->state); /* RFC 4022 tcpCurrEstab */
    out->CurrEstab = est;
    out->BufferBytes = st->buffer_bytes;
}

void tcpfsm_sockstat(const struct tcpfsm_stack *st, struct tcpfsm_sockstat *out)
{
    memset(out, 0, sizeof *out);
    uint32_t bufs = 0, fds = 0, nofd = 0;
    for (uint32_t i = 0; i <= st->hash_mask; i++) {
        const struct tcb *t = st->hash[i];
        if (!t) continue;
        out->inuse++;
        /* No descriptor: closed by the application (an orphan), or not accepted yet (in its
         * listener's queue, t->parent), which Linux does not count as an orphan either. */
        if (t->fd < 0) {
            nofd++;
            if (!t->parent) out->orphan++;
        }
        if (t->buf) bufs++;
    }
    for (uint32_t i = 0; i < st->fds_cap; i++) {
        const struct tcb *t = st->fds[i];
        if (!t) continue;
        fds++;
        if (t->buf && (t->state == TCP_FSM_CLOSED || t->state == TCP_FSM_LISTEN)) bufs++;
    }
    out->inuse += st->nlisteners;
    out->alloc = fds + nofd;
    out->tw = st->tw.n;
    out->synrecv = st->syn.n;
    out->mem_bytes = st->buffer_bytes;
    out->mem = (st->buffer_bytes + 4095u) / 4096u;
    out->tcb_bytes =
        (uint64_t)out->alloc * sizeof(struct tcb) + (uint64_t)bufs * sizeof(struct tcb_bufs);
    out->record_bytes =
        (uint64_t)st->tw.n * tw_record_size() + (uint64_t)st->syn.n * syn_record_size();
    out->table_bytes = (uint64_t)st->fds_cap * sizeof *st->fds +
                       ((uint64_t)st->hash_mask + 1) * sizeof *st->hash +
                       ((uint64_t)st->tw.mask + 1 + st->syn.mask + 1) * sizeof(struct rec_key *) +
                       (uint64_t)st->listeners_cap * sizeof *st->listeners;
}

int tcpfsm_sockstat_format(const struct tcpfsm_sockstat *s, char *buf, size_t size)
{
    return snprintf(buf, size,
                    "TCP: inuse %u orphan %u tw %u alloc %u mem %llu\n"
                    "tcpfsm: synrecv %u mem_bytes %llu tcb_bytes %llu record_bytes %llu "
                    "table_bytes %llu\n",
                    s->inuse, s->orphan, s->tw, s->alloc, (unsigned long long)s->mem, s->synrecv,
                    (unsigned long long)s->mem_bytes, (unsigned long long)s->tcb_bytes,
                    (unsigned long long)s->record_bytes, (unsigned long long)s->table_bytes);
}

static int ss_line(char *buf, size_t size, size_t off, const struct tcb *t)
{
    unsigned rq = 0, sq = 0;
    if (t->state == TCP_FSM_LISTEN) {
        rq = t->u.lst.nacc;
        sq = t->u.lst.backlog;
    } else if (t->buf) {
        rq = t->buf->rcv.len;
        sq = t->buf->snd.len;
    }
    bool any = t->state == TCP_FSM_LISTEN && !t->raddr;
    return ss_format(buf, size, off, tcb_state_name(t), t->laddr, t->lport, any ? 0 : t->raddr,
                     any ? 0 : t->rport, rq, sq);
}

int tcpfsm_ss(struct tcpfsm_stack *st, char *buf, size_t size)
{
    size_t off = 0;
    int n = snprintf(size ? buf : NULL, size, "%-11s %6s %6s %-21s %-21s\n", "State", "Recv-Q",
                     "Send-Q", "Local Address:Port", "Peer Address:Port");
    off += (size_t)n;
    for (uint32_t i = 0; i < st->nlisteners; i++)
        off += (size_t)ss_line(buf, size, off, st->listeners[i]);
    for (uint32_t i = 0; i <= st->hash_mask; i++)
        if (st->hash[i]) off += (size_t)ss_line(buf, size, off, st->hash[i]);
    off += tw_ss(st, buf, size, off);
    off += syn_ss(st, buf, size, off);
    if (size && off >= size) buf[size - 1] = '\0';
    return (int)off;
}

unsigned tcpfsm_coverage(const struct tcpfsm_stack *st, uint64_t *counts, unsigned n)
{
    for (unsigned i = 0; i < n && i < TCP_FSM_NUM_TRANSITIONS; i++)
        counts[i] = st->coverage[i];
    return TCP_FSM_NUM_TRANSITIONS;
}
