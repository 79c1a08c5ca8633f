/*
 * pd_poll.c — readiness as Linux's tcp_poll() reports it, from the stack's TCPFSM_POLL* bits
 * and state; poll() and a level-triggered epoll over it.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include "pd.h"

/* Linux's tcp_poll() (linux_sock.h), for a socket with or without its stack descriptor. */
static uint32_t pd_socket_events(struct pd *pd, struct pd_sock *s)
{
    struct tcpfsm_info i;
    pd_info(pd, s, &i);
    int m = s->tfd >= 0 ? tcpfsm_poll(pd->st, s->tfd) : 0;
    return linux_sock_poll(&i, m, linux_sock_pending(pd->st, s->tfd, &s->lx), &s->lx);
}

/* What an epoll instance's interest list has ready now (EPOLLET/ONESHOT aside). */
static uint32_t pd_item_events(struct pd *pd, const struct pd_epitem *it)
{
    struct pd_sock *s = it->fd < pd->nsocks ? pd->socks[it->fd] : NULL;
    uint32_t want = it->events & ~(uint32_t)(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE);
    return s ? pd_socket_events(pd, s) & (want | POLLERR | POLLHUP) : 0;
}

uint32_t pd_events(struct pd *pd, struct pd_sock *s)
{
    if (s->kind == PD_SOCKET) return pd_socket_events(pd, s);
    for (int i = 0; i < s->nitems; i++) /* an epoll descriptor is readable when one is ready */
        if (!s->items[i].off && pd_item_events(pd, &s->items[i])) return POLLIN | POLLRDNORM;
    return 0;
}

static uint64_t pd_ms_deadline(int timeout_ms)
{
    return timeout_ms < 0 ? PD_NEVER : pd_clock_us() + (uint64_t)timeout_ms * 1000u;
}

int pd_poll(struct pd *pd, struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
    if (nfds > 65536u) return -EINVAL;
    if (nfds && !fds) return -EFAULT;
    pd_lock(pd);
    uint64_t deadline = pd_ms_deadline(timeout_ms);
    int n = 0;
    for (bool last = timeout_ms == 0;;) {
        n = 0;
        for (nfds_t k = 0; k < nfds; k++) {
            int fd = fds[k].fd;
            struct pd_sock *s = fd >= 0 && fd < pd->nsocks ? pd->socks[fd] : NULL;
            uint32_t ev = 0;
            if (fd >= 0)
                ev =
                    s ? pd_events(pd, s) & ((uint16_t)fds[k].events | POLLERR | POLLHUP) : POLLNVAL;
            fds[k].revents = (short)ev;
            n += ev != 0;
        }
        if (n || last) break;
        int w = pd_wait(pd, deadline);
        if (w == -EINTR) {
            n = w;
            break;
        }
        if (w) last = true; /* the deadline: look once more, then give up */
    }
    pd_unlock(pd);
    return n;
}

int pd_epoll_create(struct pd *pd, int size)
{
    if (size <= 0) return -EINVAL;
    pd_lock(pd);
    struct pd_sock *e = NULL;
    int r = pd_sock_new(pd, PD_EPOLL, &e);
    if (!r) r = e->kfd;
    pd_unlock(pd);
    return r;
}

static int pd_item_find(const struct pd_sock *e, int fd)
{
    for (int i = 0; i < e->nitems; i++)
        if (e->items[i].fd == fd) return i;
    return -1;
}

static int pd_item_add(struct pd_sock *e, int fd, const struct epoll_event *ev)
{
    if (e->nitems == e->capitems) {
        int n = e->capitems ? e->capitems * 2 : 8;
        struct pd_epitem *t = realloc(e->items, (size_t)n * sizeof *t);
        if (!t) return -ENOMEM;
        e->items = t;
        e->capitems = n;
    }
    e->items[e->nitems++] =
        (struct pd_epitem){.fd = fd, .events = ev->events, .data = ev->data.u64};
    return 0;
}

/* Sockets only: an epoll instance inside another is not offered (-EINVAL). */
int pd_epoll_ctl(struct pd *pd, int epfd, int op, int fd, const struct epoll_event *ev)
{
    if ((op == EPOLL_CTL_ADD || op == EPOLL_CTL_MOD) && !ev) return -EFAULT;
    pd_lock(pd);
    struct pd_sock *e, *s;
    int r = pd_sock_lookup(pd, epfd, PD_EPOLL, &e);
    if (!r) r = pd_sock_lookup(pd, fd, PD_SOCKET, &s);
    if (r == -ENOTSOCK || (!r && fd == epfd)) r = -EINVAL;
    int at = r ? -1 : pd_item_find(e, fd);
    if (r) {
    } else if (op == EPOLL_CTL_ADD) {
        r = at >= 0 ? -EEXIST : pd_item_add(e, fd, ev);
    } else if (op == EPOLL_CTL_MOD || op == EPOLL_CTL_DEL) {
        if (at < 0)
            r = -ENOENT;
        else if (op == EPOLL_CTL_DEL)
            e->items[at] = e->items[--e->nitems];
        else
            e->items[at] = (struct pd_epitem){.fd = fd, .events = ev->events, .data = ev->data.u64};
    } else {
        r = -EINVAL;
    }
    pd_unlock(pd);
    return r;
}

/* Level-triggered as Linux's. EPOLLONESHOT: an item reports once, then waits for
 * EPOLL_CTL_MOD. EPOLLET is approximated: an item reports when a bit appears that its last
 * report did not carry (Linux also reports again when more data arrives on a readable one). */
static int pd_epoll_collect(struct pd *pd, struct pd_sock *e, struct epoll_event *out, int max)
{
    int n = 0;
    for (int i = 0; i < e->nitems && n < max; i++) {
        struct pd_epitem *it = &e->items[i];
        if (it->off) continue;
        uint32_t ev = pd_item_events(pd, it), fresh = ev & ~it->last;
        it->last &= ev; /* a bit that went away may be reported again when it returns */
        if (!ev || ((it->events & EPOLLET) && !fresh)) continue;
        it->last = ev;
        if (it->events & EPOLLONESHOT) it->off = true;
        out[n].events = ev;
        out[n].data.u64 = it->data;
        n++;
    }
    return n;
}

int pd_epoll_wait(struct pd *pd, int epfd, struct epoll_event *out, int max, int timeout_ms)
{
    if (max <= 0) return -EINVAL;
    if (!out) return -EFAULT;
    pd_lock(pd);
    uint64_t deadline = pd_ms_deadline(timeout_ms);
    struct pd_sock *e;
    int n = pd_sock_lookup(pd, epfd, PD_EPOLL, &e);
    for (bool last = timeout_ms == 0; !n;) {
        n = pd_epoll_collect(pd, e, out, max);
        if (n || last) break;
        int w = pd_wait(pd, deadline);
        if (w == -EINTR) {
            n = w;
            break;
        }
        if (w) last = true;
        if (pd_sock_lookup(pd, epfd, PD_EPOLL, &e)) {
            n = -EBADF;
            break;
        }
    }
    pd_unlock(pd);
    return n;
}
