/*
 * pd_socket.c — descriptors and the socket calls, with the blocking and the errno of Linux's
 * TCP sockets over the stack's non-blocking ones.
 *
 * A call that would block waits on pd->changed (pd_wait) and tries again; O_NONBLOCK,
 * MSG_DONTWAIT and SO_RCVTIMEO/SO_SNDTIMEO bound the wait as they do on Linux. After a wait
 * the descriptor is looked up again: another thread may have closed it meanwhile.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "pd.h"

/* ---- descriptors ---- */

int pd_sock_lookup(struct pd *pd, int fd, enum pd_kind kind, struct pd_sock **out)
{
    struct pd_sock *s = fd >= 0 && fd < pd->nsocks ? pd->socks[fd] : NULL;
    *out = s && s->kind == kind ? s : NULL;
    if (!s) return -EBADF;
    if (s->kind != kind) return kind == PD_SOCKET ? -ENOTSOCK : -EINVAL;
    return 0;
}

int pd_sock_new(struct pd *pd, enum pd_kind kind, struct pd_sock **out)
{
    struct pd_sock *s = calloc(1, sizeof *s);
    if (!s) return -ENOMEM;
    s->kfd = memfd_create("tcpfsm-packetdrill", MFD_CLOEXEC);
    struct stat sb;
    if (s->kfd < 0 || fstat(s->kfd, &sb) < 0) {
        int e = errno;
        if (s->kfd >= 0) close(s->kfd);
        free(s);
        return -e;
    }
    if (s->kfd >= pd->nsocks) {
        int n = pd->nsocks ? pd->nsocks : 64;
        while (n <= s->kfd)
            n *= 2;
        struct pd_sock **t = realloc(pd->socks, (size_t)n * sizeof *t);
        if (!t) {
            close(s->kfd);
            free(s);
            return -ENOMEM;
        }
        memset(t + pd->nsocks, 0, (size_t)(n - pd->nsocks) * sizeof *t);
        pd->socks = t;
        pd->nsocks = n;
    }
    s->dev = sb.st_dev;
    s->ino = sb.st_ino;
    s->kind = kind;
    s->tfd = -1;
    s->keepidle_s = 7200; /* Linux's tcp_keepalive_time */
    pd->socks[s->kfd] = s;
    *out = s;
    return 0;
}

/* At teardown packetdrill may have closed the number already, with close(2), and the number
 * may have been given to something else since: close it only if it is still our memfd. */
void pd_sock_free(struct pd *pd, struct pd_sock *s)
{
    struct stat sb;
    pd->socks[s->kfd] = NULL;
    if (fstat(s->kfd, &sb) == 0 && sb.st_dev == s->dev && sb.st_ino == s->ino) close(s->kfd);
    free(s->items);
    free(s);
}

/* A socket made before the stack existed: its descriptor, options, bind and listen now. */
int pd_sock_attach(struct pd *pd, struct pd_sock *s)
{
    int fd = tcpfsm_socket(pd->st);
    if (fd < 0) return fd;
    s->tfd = fd;
    pd_push_options(pd, s);
    int r = 0;
    if (s->bound) r = tcpfsm_bind(pd->st, fd, s->bind_addr, s->bind_port);
    if (!r && s->listening) r = tcpfsm_listen(pd->st, fd, s->backlog);
    return r;
}

/* Keepalive only reaches a synchronized connection: pushed from here once it is one. */
void pd_sock_sync(struct pd *pd, struct pd_sock *s)
{
    if (s->kind != PD_SOCKET || s->tfd < 0 || !s->keepalive || s->ka_synced) return;
    int r = tcpfsm_setopt(pd->st, s->tfd, TCPFSM_OPT_KEEPALIVE, (uint64_t)s->keepidle_s * 1000000u);
    if (r != -ENOTCONN) s->ka_synced = true;
}

void pd_info(struct pd *pd, const struct pd_sock *s, struct tcpfsm_info *i)
{
    if (s->tfd < 0 || tcpfsm_get_info(pd->st, s->tfd, i))
        *i = (struct tcpfsm_info){.state = s->listening ? "LISTEN" : "CLOSED"};
}

static bool pd_blocks(const struct pd_sock *s, int flags)
{
    return !s->nonblock && !(flags & MSG_DONTWAIT);
}

/* pd_wait for a call on fd, and fd again afterwards (NULL with *r set if it went away). */
static struct pd_sock *pd_wait_for(struct pd *pd, int fd, uint64_t deadline, long *r)
{
    int w = pd_wait(pd, deadline);
    struct pd_sock *s = NULL;
    if (w) {
        *r = w == -ETIMEDOUT ? -EAGAIN : w;
        return NULL;
    }
    int e = pd_sock_lookup(pd, fd, PD_SOCKET, &s);
    if (e) *r = e;
    return s;
}

static int pd_sockaddr_in(const struct sockaddr *a, socklen_t len, uint32_t *ip, uint16_t *port)
{
    struct sockaddr_in sin;
    if (!a || len < (socklen_t)sizeof sin) return -EINVAL;
    memcpy(&sin, a, sizeof sin);
    if (sin.sin_family != AF_INET) return -EAFNOSUPPORT;
    *ip = ntohl(sin.sin_addr.s_addr);
    *port = ntohs(sin.sin_port);
    return 0;
}

/* ---- calls ---- */

int pd_socket(struct pd *pd, int domain, int type, int protocol)
{
    if (domain != AF_INET) return -EAFNOSUPPORT;
    if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM) return -ESOCKTNOSUPPORT;
    if (protocol != 0 && protocol != IPPROTO_TCP) return -EPROTONOSUPPORT;
    pd_lock(pd);
    struct pd_sock *s = NULL;
    int r = pd_sock_new(pd, PD_SOCKET, &s);
    if (!r) {
        s->nonblock = type & SOCK_NONBLOCK;
        if (pd->st) r = pd_sock_attach(pd, s);
        if (r)
            pd_sock_free(pd, s);
        else
            r = s->kfd;
    }
    pd_unlock(pd);
    return r;
}

int pd_bind(struct pd *pd, int fd, const struct sockaddr *addr, socklen_t len)
{
    uint32_t ip;
    uint16_t port;
    int r = pd_sockaddr_in(addr, len, &ip, &port);
    if (r) return r;
    pd_lock(pd);
    struct pd_sock *s;
    r = pd_sock_lookup(pd, fd, PD_SOCKET, &s);
    if (!r && s->tfd < 0 && !ip && port) {
        /* INADDR_ANY on a port: the stack can wait for a packet to tell it its address */
        if (s->bound) {
            r = -EINVAL;
        } else {
            s->bound = true;
            s->bind_addr = ip;
            s->bind_port = port;
        }
    } else if (!r) {
        r = pd_stack(pd, ip) ? tcpfsm_bind(pd->st, s->tfd, ip, port) : -ENOMEM;
    }
    pd_unlock(pd);
    return r;
}

int pd_listen(struct pd *pd, int fd, int backlog)
{
    pd_lock(pd);
    struct pd_sock *s;
    int r = pd_sock_lookup(pd, fd, PD_SOCKET, &s);
    if (!r && s->tfd < 0 && s->bound) {
        s->listening = true;
        s->backlog = backlog;
    } else if (!r && !pd_stack(pd, 0)) {
        r = -ENOMEM;
    } else if (!r) {
        uint16_t lport = 0;
        tcpfsm_getname(pd->st, s->tfd, NULL, &lport, NULL, NULL);
        /* Linux binds an unbound socket to an ephemeral port when it listens */
        if (!lport) r = tcpfsm_bind(pd->st, s->tfd, 0, 0);
        if (!r) r = tcpfsm_listen(pd->st, s->tfd, backlog);
    }
    pd_unlock(pd);
    return r;
}

/* The accepted socket inherits the listener's options, not O_NONBLOCK (as on Linux). */
static void pd_inherit(struct pd_sock *c, const struct pd_sock *l)
{
    c->nodelay = l->nodelay;
    c->cork = l->cork;
    c->reuseaddr = l->reuseaddr;
    c->keepalive = l->keepalive;
    c->keepidle_s = l->keepidle_s;
    c->keepintvl_s = l->keepintvl_s;
    c->keepcnt = l->keepcnt;
    c->user_timeout_ms = l->user_timeout_ms;
    c->maxseg = l->maxseg;
    c->linger_on = l->linger_on;
    c->linger_s = l->linger_s;
    c->sndbuf = l->sndbuf;
    c->rcvbuf = l->rcvbuf;
    c->rcvtimeo_us = l->rcvtimeo_us;
    c->sndtimeo_us = l->sndtimeo_us;
}

int pd_accept(struct pd *pd, int fd, struct sockaddr *addr, socklen_t *len)
{
    if (addr && !len) return -EFAULT;
    pd_lock(pd);
    struct pd_sock *s;
    long r = pd_sock_lookup(pd, fd, PD_SOCKET, &s);
    uint32_t ip = 0;
    uint16_t port = 0;
    uint64_t deadline = s ? pd_deadline(s->rcvtimeo_us) : PD_NEVER;
    while (s) {
        if (s->tfd >= 0)
            r = tcpfsm_accept(pd->st, s->tfd, &ip, &port);
        else
            r = s->listening ? -EAGAIN : -EINVAL; /* waits for the packet that makes the stack */
        if (r != -EAGAIN || !pd_blocks(s, 0)) break;
        s = pd_wait_for(pd, fd, deadline, &r);
    }
    if (r >= 0) {
        struct pd_sock *c = NULL;
        int e = pd_sock_new(pd, PD_SOCKET, &c);
        if (e) {
            tcpfsm_abort(pd->st, (int)r);
            r = e;
        } else {
            c->tfd = (int)r;
            pd_inherit(c, s);
            pd_push_options(pd, c);
            r = c->kfd;
            if (addr) {
                struct sockaddr_in sin = {
                    .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(ip)};
                memcpy(addr, &sin, *len < sizeof sin ? *len : sizeof sin);
                *len = sizeof sin;
            }
        }
    }
    pd_unlock(pd);
    return (int)r;
}

/* Where an attempt in progress stands, as a second connect() answers on Linux. */
static long pd_connect_outcome(struct pd *pd, struct pd_sock *s)
{
    struct tcpfsm_info i;
    pd_info(pd, s, &i);
    return linux_sock_connect_again(pd->st, s->tfd, &s->lx, &i);
}

int pd_connect(struct pd *pd, int fd, const struct sockaddr *addr, socklen_t len)
{
    uint32_t ip;
    uint16_t port;
    int e = pd_sockaddr_in(addr, len, &ip, &port);
    if (e) return e;
    pd_lock(pd);
    struct pd_sock *s;
    long r = pd_sock_lookup(pd, fd, PD_SOCKET, &s);
    if (!r && !pd_stack(pd, 0)) r = -ENOMEM;
    if (!r && s->lx.connecting) {
        r = pd_connect_outcome(pd, s);
    } else if (!r) {
        r = tcpfsm_connect(pd->st, s->tfd, ip, port);
        if (r == -EINPROGRESS) s->lx.connecting = true;
    }
    /* blocking: until the handshake ends; SO_SNDTIMEO stops the wait with EINPROGRESS */
    uint64_t deadline = s ? pd_deadline(s->sndtimeo_us) : PD_NEVER;
    while (s && (r == -EINPROGRESS || r == -EALREADY) && pd_blocks(s, 0)) {
        s = pd_wait_for(pd, fd, deadline, &r);
        if (s)
            r = pd_connect_outcome(pd, s);
        else if (r == -EAGAIN)
            r = -EINPROGRESS;
    }
    pd_unlock(pd);
    return (int)r;
}

/* ---- data ---- */

struct pd_cursor { /* a position in an iovec array */
    const struct iovec *iov;
    int n, i;
    size_t off;
};

static void pd_cursor_skip(struct pd_cursor *c, size_t k)
{
    while (c->i < c->n && (k || c->iov[c->i].iov_len == c->off)) {
        size_t left = c->iov[c->i].iov_len - c->off, step = k < left ? k : left;
        c->off += step;
        k -= step;
        if (c->off == c->iov[c->i].iov_len) c->i++, c->off = 0;
    }
}

static int pd_iov_total(const struct iovec *iov, int n, size_t *total)
{
    if (n < 0 || (n && !iov)) return -EINVAL;
    *total = 0;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len > SSIZE_MAX - *total) return -EINVAL;
        *total += iov[i].iov_len;
    }
    return 0;
}

/* One pass: what the receive buffer holds, into the cursor's buffers. */
static long pd_recv_some(struct pd *pd, struct pd_sock *s, struct pd_cursor *c)
{
    long got = 0;
    while (c->i < c->n) {
        size_t want = c->iov[c->i].iov_len - c->off;
        long n = tcpfsm_recv(pd->st, s->tfd, (char *)c->iov[c->i].iov_base + c->off, want);
        if (n <= 0) return got ? got : n;
        got += n;
        pd_cursor_skip(c, (size_t)n);
        if ((size_t)n < want) break;
    }
    return got;
}

long pd_recv(struct pd *pd, int fd, const struct iovec *iov, int iovcnt, int flags)
{
    if (flags & MSG_OOB) return -EINVAL;      /* no urgent data, ever */
    if (flags & MSG_PEEK) return -EOPNOTSUPP; /* the stack has no peek */
    size_t total;
    long r = pd_iov_total(iov, iovcnt, &total);
    if (r) return r;
    pd_lock(pd);
    struct pd_sock *s;
    r = pd_sock_lookup(pd, fd, PD_SOCKET, &s);
    if (!r && s->tfd < 0) r = -ENOTCONN;
    struct pd_cursor c = {iov, iovcnt, 0, 0};
    pd_cursor_skip(&c, 0);
    size_t done = 0;
    uint64_t deadline = s ? pd_deadline(s->rcvtimeo_us) : PD_NEVER;
    while (!r && total) {
        long n = pd_recv_some(pd, s, &c);
        if (n > 0) {
            done += (size_t)n;
            if (done == total || !(flags & MSG_WAITALL) || !pd_blocks(s, flags)) break;
            n = -EAGAIN;
        }
        if (n == 0) break; /* end of stream */
        if (n != -EAGAIN) {
            r = done ? n : linux_sock_result(pd->st, s->tfd, &s->lx, n, 0); /* as for a send */
            break;
        }
        if (!pd_blocks(s, flags)) {
            r = n;
            break;
        }
        s = pd_wait_for(pd, fd, deadline, &r);
    }
    pd_unlock(pd);
    return done ? (long)done : r;
}

long pd_send(struct pd *pd, int fd, const struct iovec *iov, int iovcnt, int flags)
{
    size_t total;
    long r = pd_iov_total(iov, iovcnt, &total);
    if (r) return r;
    pd_lock(pd);
    struct pd_sock *s;
    r = pd_sock_lookup(pd, fd, PD_SOCKET, &s);
    if (!r && s->tfd < 0) r = -EPIPE; /* Linux: a socket never connected */
    struct pd_cursor c = {iov, iovcnt, 0, 0};
    pd_cursor_skip(&c, 0);
    size_t done = 0;
    uint64_t deadline = s ? pd_deadline(s->sndtimeo_us) : PD_NEVER;
    while (!r) {
        struct tcpfsm_iov v[16];
        int k = 0;
        for (int i = c.i; i < c.n && k < 16; i++, k++) {
            size_t off = i == c.i ? c.off : 0;
            v[k] = (struct tcpfsm_iov){(const char *)iov[i].iov_base + off, iov[i].iov_len - off};
        }
        long n = tcpfsm_sendv(pd->st, s->tfd, v, k);
        if (n > 0) {
            done += (size_t)n;
            pd_cursor_skip(&c, (size_t)n);
            if (done == total) break;
            continue;
        }
        if (n == 0 && done == total) break; /* nothing to send */
        if (n == -EAGAIN || n == -ENOBUFS || n == 0) {
            /* blocking: Linux's send() returns when all of it is queued */
            if (!pd_blocks(s, flags)) {
                r = n ? n : -EAGAIN;
                break;
            }
            s = pd_wait_for(pd, fd, deadline, &r);
            continue;
        }
        /* having queued some, it returns that count and leaves the error pending */
        r = done ? n : linux_sock_send_result(pd->st, s->tfd, &s->lx, n);
    }
    pd_unlock(pd);
    return done ? (long)done : r;
}

/* ---- the rest ---- */

static void pd_forget(struct pd *pd, int fd) /* leave every epoll interest list */
{
    for (int i = 0; i < pd->nsocks; i++) {
        struct pd_sock *e = pd->socks[i];
        if (!e || e->kind != PD_EPOLL) continue;
        for (int j = 0; j < e->nitems; j++)
            if (e->items[j].fd == fd) e->items[j--] = e->items[--e->nitems];
    }
}

int pd_close(struct pd *pd, int fd)
{
    pd_lock(pd);
    struct pd_sock *s = fd >= 0 && fd < pd->nsocks ? pd->socks[fd] : NULL;
    int r = s ? 0 : -EBADF;
    if (s && s->kind == PD_SOCKET && s->tfd >= 0) {
        /* SO_LINGER with a zero timeout: Linux aborts with a RST */
        if (s->linger_on && !s->linger_s)
            tcpfsm_abort(pd->st, s->tfd);
        else
            tcpfsm_close(pd->st, s->tfd);
    }
    if (s) {
        pd_forget(pd, fd);
        pd_sock_free(pd, s);
    }
    pd_unlock(pd);
    return r;
}

int pd_shutdown(struct pd *pd, int fd, int how)
{
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return -EINVAL;
    pd_lock(pd);
    struct pd_sock *s;
    int r = pd_sock_lookup(pd, fd, PD_SOCKET, &s);
    if (!r) r = s->tfd < 0 ? -ENOTCONN : tcpfsm_shutdown(pd->st, s->tfd, how);
    if (!r && how != SHUT_RD) s->lx.shut_wr = true;
    pd_unlock(pd);
    return r;
}

int pd_fcntl(struct pd *pd, int fd, int cmd, int arg, bool has_arg)
{
    pd_lock(pd);
    struct pd_sock *s = fd >= 0 && fd < pd->nsocks ? pd->socks[fd] : NULL;
    int r = s ? -EINVAL : -EBADF;
    if (s && cmd == F_GETFL) r = O_RDWR | (s->nonblock ? O_NONBLOCK : 0);
    if (s && cmd == F_SETFL && has_arg) {
        s->nonblock = arg & O_NONBLOCK;
        r = 0;
    }
    if (s && cmd == F_GETFD) r = 0;
    if (s && cmd == F_SETFD) r = 0;
    pd_unlock(pd);
    return r;
}

int pd_ioctl(struct pd *pd, int fd, unsigned long request, int *arg)
{
    pd_lock(pd);
    struct pd_sock *s;
    int r = pd_sock_lookup(pd, fd, PD_SOCKET, &s);
    struct tcpfsm_info i = {.state = "CLOSED"};
    if (!r) pd_info(pd, s, &i);
    if (r) {
    } else if (request == FIONBIO) {
        s->nonblock = *arg != 0;
    } else if (request == SIOCINQ) {
        if (!strcmp(i.state, "LISTEN"))
            r = -EINVAL;
        else
            *arg = (int)i.recv_q;
    } else if (request == SIOCOUTQ) {
        if (!strcmp(i.state, "LISTEN"))
            r = -EINVAL;
        else
            *arg = (int)i.send_q;
    } else {
        r = -ENOTTY;
    }
    pd_unlock(pd);
    return r;
}
