/*
 * ready.c — readiness: the stack's interest set and the queue of descriptors with news
 * (tcpfsm_epoll_ctl / tcpfsm_epoll_wait, tcpfsm.h).
 *
 * A wait must not look at every watched descriptor: with a million idle connections that is
 * a million checks to find the one that has data. So the stack queues a watched descriptor
 * when something happens to it, and a wait looks only at the queue. "Something happens" is
 * decided in one place: tcb_event() (tcp_fsm_glue.c) compares what a readiness mask is made
 * of (received and acknowledged byte counts, the end-of-stream flags, the state, the error)
 * before and after every event the machine takes, so no action has to remember to wake
 * anyone. Two happenings are not events of the machine: a listener's child becoming
 * acceptable (`established` wakes the listener) and shutdown(SHUT_RD) (the socket call does).
 *
 * The queue is a FIFO linked through the items by descriptor number (no allocation per
 * wake-up); a closed descriptor's item stays queued with its flags cleared and is skipped.
 * Level-triggered descriptors a wait reported go to the back, so they are looked at again by
 * the next wait, and dropped there when no longer ready (epoll's ready list works the same).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tcp.h"
#include "tcb.h"

#define WANT_BITS (TCPFSM_POLLIN | TCPFSM_POLLOUT | TCPFSM_POLLRDHUP)
#define ALWAYS_BITS (TCPFSM_POLLERR | TCPFSM_POLLHUP)
#define FLAG_BITS (TCPFSM_EPOLLET | TCPFSM_EPOLLONESHOT)

int tcb_poll_mask(const struct tcpfsm_stack *st, const struct tcb *t)
{
    if (t->state == TCP_FSM_LISTEN) return t->u.lst.acc_head ? TCPFSM_POLLIN : 0;
    int m = 0;
    if ((t->buf && t->buf->rcv.len) || (t->flags & (TF_FIN_RCVD | TF_RD_SHUT))) m |= TCPFSM_POLLIN;
    if (t->err) m |= TCPFSM_POLLERR | TCPFSM_POLLIN;
    if (tcp_fsm_in_set(TCP_FSM_SET_SYNCHRONIZED, t->state) &&
        !(t->flags & (TF_FIN_QUEUED | TF_DEAD)) && t->buf && mem_can_send(st, t))
        m |= TCPFSM_POLLOUT;
    /* the peer sends no more: its FIN, or the connection ended (reset, timeout), as Linux's
     * RCV_SHUTDOWN */
    if (t->flags & (TF_FIN_RCVD | TF_DEAD)) m |= TCPFSM_POLLRDHUP | TCPFSM_POLLIN;
    if ((t->flags & TF_DEAD) || ((t->flags & TF_FIN_RCVD) && (t->flags & TF_FIN_ACKED)))
        m |= TCPFSM_POLLHUP;
    return m;
}

void ready_snap_take(const struct tcb *t, struct ready_snap *s)
{
    s->rx = t->buf ? t->buf->bytes_received : 0;
    s->acked = t->buf ? t->buf->bytes_acked : 0;
    s->flags = t->flags & (TF_FIN_RCVD | TF_FIN_ACKED | TF_DEAD | TF_RD_SHUT);
    s->state = t->state;
    s->err = t->err;
}

static void enqueue(struct ready_set *r, uint32_t fd)
{
    struct ready_item *it = &r->items[fd];
    if (it->flags & RI_QUEUED) return;
    it->flags |= RI_QUEUED;
    it->next = 0;
    if (r->tail)
        r->items[r->tail - 1].next = fd + 1;
    else
        r->head = fd + 1;
    r->tail = fd + 1;
    r->n++;
}

void ready_wake(struct tcpfsm_stack *st, const struct tcb *t)
{
    if (ready_watched(st, t)) enqueue(&st->ready, (uint32_t)t->fd);
}

void ready_changed(struct tcpfsm_stack *st, const struct tcb *t, const struct ready_snap *before)
{
    if (!ready_watched(st, t)) return;
    struct ready_snap now;
    ready_snap_take(t, &now);
    if (now.rx != before->rx || now.acked != before->acked || now.flags != before->flags ||
        now.state != before->state || now.err != before->err)
        enqueue(&st->ready, (uint32_t)t->fd);
}

void ready_memwait(struct tcpfsm_stack *st, const struct tcb *t)
{
    struct ready_set *r = &st->ready;
    if (!ready_watched(st, t) || (r->items[t->fd].flags & RI_MEMWAIT)) return;
    if (r->nmemwait == r->memwait_cap) {
        uint32_t n = r->memwait_cap ? r->memwait_cap * 2 : 16;
        uint32_t *p = realloc(r->memwait, n * sizeof *p);
        if (!p) return; /* then it waits for its own ACKs, as without memory pressure */
        r->memwait = p;
        r->memwait_cap = n;
    }
    r->memwait[r->nmemwait++] = (uint32_t)t->fd;
    r->items[t->fd].flags |= RI_MEMWAIT;
}

void ready_forget(struct tcpfsm_stack *st, int fd)
{
    struct ready_set *r = &st->ready;
    if (fd < 0 || (uint32_t)fd >= r->cap) return;
    struct ready_item *it = &r->items[fd];
    it->flags &= RI_QUEUED | RI_MEMWAIT; /* skipped there, and dropped, while not watched */
    it->events = 0;
    it->data = 0;
}

void ready_destroy(struct tcpfsm_stack *st)
{
    free(st->ready.items);
    free(st->ready.memwait);
    memset(&st->ready, 0, sizeof st->ready);
}

static struct tcb *fd_tcb(const struct tcpfsm_stack *st, int fd)
{
    return fd >= 0 && (uint32_t)fd < st->fds_cap ? st->fds[fd] : NULL;
}

/* Items for every descriptor the table can hold now (it grows by doubling). */
static int items_reserve(struct tcpfsm_stack *st, uint32_t fd)
{
    struct ready_set *r = &st->ready;
    if (fd < r->cap) return 0;
    uint32_t n = st->fds_cap > fd ? st->fds_cap : fd + 1;
    struct ready_item *p = realloc(r->items, (size_t)n * sizeof *p);
    if (!p) return -ENOMEM;
    memset(p + r->cap, 0, (size_t)(n - r->cap) * sizeof *p);
    r->items = p;
    r->cap = n;
    return 0;
}

int tcpfsm_epoll_ctl(struct tcpfsm_stack *st, int op, int fd, const struct tcpfsm_event *ev)
{
    if (!st) return -EINVAL;
    if (!fd_tcb(st, fd)) return -EBADF;
    if (op != TCPFSM_EPOLL_CTL_ADD && op != TCPFSM_EPOLL_CTL_DEL && op != TCPFSM_EPOLL_CTL_MOD)
        return -EINVAL;
    if (op != TCPFSM_EPOLL_CTL_DEL &&
        (!ev || (ev->events & ~(WANT_BITS | ALWAYS_BITS | FLAG_BITS))))
        return -EINVAL;
    struct ready_set *r = &st->ready;
    bool watched = (uint32_t)fd < r->cap && (r->items[fd].flags & RI_WATCHED);
    if (op == TCPFSM_EPOLL_CTL_ADD && watched) return -EEXIST;
    if (op != TCPFSM_EPOLL_CTL_ADD && !watched) return -ENOENT;
    if (op == TCPFSM_EPOLL_CTL_DEL) {
        ready_forget(st, fd);
        return 0;
    }
    if (items_reserve(st, (uint32_t)fd)) return -ENOMEM;
    struct ready_item *it = &r->items[fd];
    it->events = ev->events;
    it->data = ev->data;
    it->flags = (uint8_t)((it->flags & (RI_QUEUED | RI_MEMWAIT)) | RI_WATCHED);
    enqueue(r, (uint32_t)fd); /* report what already holds, as epoll_ctl does */
    return 0;
}

/* Descriptors refused for want of buffer memory that can send now go on the queue. */
static void memwait_scan(struct tcpfsm_stack *st)
{
    struct ready_set *r = &st->ready;
    for (uint32_t i = 0; i < r->nmemwait;) {
        uint32_t fd = r->memwait[i];
        struct ready_item *it = &r->items[fd];
        struct tcb *t = fd_tcb(st, (int)fd);
        bool keep = (it->flags & RI_WATCHED) && t && !(tcb_poll_mask(st, t) & TCPFSM_POLLOUT) &&
                    !(t->flags & TF_DEAD) && !t->err;
        if (keep) {
            i++;
            continue;
        }
        if ((it->flags & RI_WATCHED) && t) enqueue(r, fd);
        it->flags &= (uint8_t)~RI_MEMWAIT;
        r->memwait[i] = r->memwait[--r->nmemwait];
    }
}

int tcpfsm_epoll_wait(struct tcpfsm_stack *st, struct tcpfsm_event *events, int maxevents)
{
    if (!st || !events || maxevents < 1) return -EINVAL;
    struct ready_set *r = &st->ready;
    if (r->nmemwait) memwait_scan(st);
    /* Take the queue; reported level-triggered descriptors are queued again behind it. */
    uint32_t cur = r->head, old_tail = r->tail, left = r->n;
    r->head = r->tail = r->n = 0;
    int n = 0;
    while (cur) {
        if (n == maxevents) {
            /* the rest of the old queue goes first next time, ahead of what was re-queued */
            uint32_t again_head = r->head, again_n = r->n;
            r->head = cur;
            r->n = left + again_n;
            if (again_head) {
                r->items[old_tail - 1].next = again_head;
            } else {
                r->tail = old_tail;
            }
            break;
        }
        uint32_t fd = cur - 1;
        struct ready_item *it = &r->items[fd];
        cur = it->next;
        left--;
        it->next = 0;
        it->flags &= (uint8_t)~RI_QUEUED;
        struct tcb *t = fd_tcb(st, (int)fd);
        if (!(it->flags & RI_WATCHED) || (it->flags & RI_DISARMED) || !t) continue;
        uint32_t m = (uint32_t)tcb_poll_mask(st, t) & ((it->events & WANT_BITS) | ALWAYS_BITS);
        if (!m) continue; /* not ready (any more): off the queue until something happens */
        events[n].events = m;
        events[n].data = it->data;
        n++;
        if (it->events & TCPFSM_EPOLLONESHOT)
            it->flags |= RI_DISARMED;
        else if (!(it->events & TCPFSM_EPOLLET))
            enqueue(r, fd);
    }
    return n;
}

unsigned tcpfsm_epoll_pending(const struct tcpfsm_stack *st)
{
    /* Not the sockets waiting for memory: memory comes back only through something a program
     * wakes up for anyway (a packet, a timer, its own call), after which it waits again. */
    return st ? st->ready.n : 0;
}
