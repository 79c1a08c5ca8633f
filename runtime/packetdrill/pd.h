/*
 * pd.h — libtcpfsm-packetdrill.so inside: one libtcpfsm stack behind a lock, for packetdrill's
 * threads.
 *
 * packetdrill calls in from two threads: its main thread (packets in and out, the clock,
 * every call the script does not mark as blocking) and its system-call thread (calls with a
 * `...` end time, which are meant to block). The stack is single-threaded by design, so every
 * call takes pd->mu, runs the stack up to the present (tcpfsm_advance on CLOCK_MONOTONIC)
 * and does its work; a call that must wait sleeps on pd->changed, which is broadcast whenever
 * the stack may have moved: a packet in, a timer fired, another call. A driver thread fires
 * the stack's timers on time while nobody calls in (retransmissions, delayed ACKs,
 * TIME_WAIT), and the stack's output callback queues each packet it sends, with its time, for
 * netdev_receive.
 *
 * Descriptors: packetdrill closes the sockets a script leaves open with the real close(2) at
 * the end, so each socket's number is a real descriptor the adapter holds (a memfd); the
 * table maps it to the stack's own descriptor.
 *
 * Internal functions return 0, a count, or a negative errno; the entry points in pd_api.c turn
 * that into -1 and errno.
 */
#ifndef TCPFSM_PD_H
#define TCPFSM_PD_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include "linux_sock.h"
#include "tcpfsm.h"

#define PD_NEVER UINT64_MAX /* a deadline that never comes */

/* A packet the stack sent, waiting for netdev_receive. */
struct pd_packet {
    struct pd_packet *next;
    uint64_t at; /* when it was sent, on the adapter's clock (us) */
    size_t len;
    unsigned char data[];
};

struct pd_epitem { /* one descriptor in an epoll instance's interest list */
    int fd;
    uint32_t events; /* EPOLL* asked for, flags included */
    uint32_t last;   /* EPOLLET: what the last report carried (see pd_poll.c) */
    uint64_t data;   /* epoll_data, handed back as is */
    bool off;        /* an EPOLLONESHOT item that has reported, until EPOLL_CTL_MOD */
};

enum pd_kind { PD_SOCKET, PD_EPOLL };

/* One descriptor handed to packetdrill. Socket options live here as well as in the stack:
 * getsockopt answers from here, and what the stack cannot take yet (no stack, not connected)
 * is pushed to it later by pd_sock_sync(). */
struct pd_sock {
    int kfd;   /* the number packetdrill sees: a memfd we hold open */
    dev_t dev; /* the memfd's identity, to recognise it at teardown */
    ino_t ino;
    enum pd_kind kind;
    int tfd;              /* the stack's descriptor, -1 while the stack does not exist yet */
    bool nonblock;        /* O_NONBLOCK */
    struct linux_sock lx; /* Linux's reported error and SEND_SHUTDOWN (linux_sock.h) */
    /* what a socket without a stack was asked to do, replayed when the stack is made */
    bool bound, listening;
    uint32_t bind_addr;
    uint16_t bind_port;
    int backlog;
    /* options */
    bool nodelay, cork, reuseaddr, keepalive;
    bool ka_synced;      /* keepalive pushed to a synchronized connection */
    uint32_t keepidle_s; /* Linux's 7200 s unless set */
    uint32_t keepintvl_s, keepcnt, user_timeout_ms, maxseg; /* 0: not set */
    int linger_on, linger_s;
    int sndbuf, rcvbuf;                /* what setsockopt was given (buffers are per stack) */
    uint64_t rcvtimeo_us, sndtimeo_us; /* SO_RCVTIMEO / SO_SNDTIMEO, 0 = wait for ever */
    /* PD_EPOLL: the interest list */
    struct pd_epitem *items;
    int nitems, capitems;
};

struct pd {
    pthread_mutex_t mu;
    pthread_cond_t changed; /* broadcast whenever the stack may have moved */
    pthread_cond_t tick;    /* wakes the driver thread: the next timer may be earlier */
    pthread_t driver;
    bool driver_started, stopping;
    const char *bad_flags; /* --so_flags could not be read: every call fails (EINVAL) */
    char bad_flag_text[128];

    struct tcpfsm_stack *st; /* made on first need, see pd_stack() */
    struct tcpfsm_config cfg;
    uint32_t default_addr;    /* the address used when nothing told us ours */
    uint64_t recv_timeout_us; /* the longest netdev_receive waits for a packet */
    int busy;                 /* calls inside the adapter and not waiting */
    uint64_t last_change;     /* when a call, a packet or a timer last moved the stack */
    bool trace;

    struct pd_packet *q_head, **q_tail; /* the stack's output, oldest first */
    size_t q_len;
    uint64_t q_drops;

    struct pd_sock **socks; /* indexed by descriptor number */
    int nsocks;             /* size of socks */
};

/* pd_core.c: the clock, the lock and the stack */
uint64_t pd_clock_us(void);
void pd_lock(struct pd *pd);   /* take the lock and bring the stack to the present */
void pd_unlock(struct pd *pd); /* push pending options, wake waiters and the driver, unlock */
/* Sleep on pd->changed until woken or until `deadline` (PD_NEVER: no limit); then bring the
 * stack to the present. 0 when woken, -ETIMEDOUT at the deadline, -EINTR when stopping. */
int pd_wait(struct pd *pd, uint64_t deadline);
uint64_t pd_deadline(uint64_t timeout_us); /* now + timeout, PD_NEVER for 0 */
/* The stack, made now if it does not exist yet: with addr (host order) if not 0, else the
 * address --so_flags gave, else the default. NULL if it cannot be made. */
struct tcpfsm_stack *pd_stack(struct pd *pd, uint32_t addr);
int pd_netdev_send(struct pd *pd, const void *buf, size_t count);
int pd_netdev_receive(struct pd *pd, void *buf, size_t *count, long long *time_usecs);
struct pd *pd_new(const char *flags); /* NULL if out of memory */
void pd_free(struct pd *pd);

/* pd_flags.c: --so_flags. On a bad word, both set pd->bad_flags and return -EINVAL. */
int pd_parse_flags(struct pd *pd, const char *flags);
int pd_check_config(struct pd *pd); /* the values within the stack's ranges */

/* pd_socket.c: descriptors and the socket calls */
/* fd's entry if it is of that kind: 0, else -EBADF (none), -ENOTSOCK (not a socket) or
 * -EINVAL (not an epoll instance); *out is NULL unless 0. */
int pd_sock_lookup(struct pd *pd, int fd, enum pd_kind kind, struct pd_sock **out);
int pd_sock_new(struct pd *pd, enum pd_kind kind, struct pd_sock **out);
void pd_sock_free(struct pd *pd, struct pd_sock *s);
int pd_sock_attach(struct pd *pd, struct pd_sock *s); /* give a stackless socket its tfd */
void pd_sock_sync(struct pd *pd, struct pd_sock *s);  /* push what could not be pushed yet */
/* tcpfsm_get_info, or what a socket without its stack descriptor is (CLOSED, or LISTEN) */
void pd_info(struct pd *pd, const struct pd_sock *s, struct tcpfsm_info *i);
int pd_socket(struct pd *pd, int domain, int type, int protocol);
int pd_bind(struct pd *pd, int fd, const struct sockaddr *addr, socklen_t len);
int pd_listen(struct pd *pd, int fd, int backlog);
int pd_accept(struct pd *pd, int fd, struct sockaddr *addr, socklen_t *len);
int pd_connect(struct pd *pd, int fd, const struct sockaddr *addr, socklen_t len);
long pd_recv(struct pd *pd, int fd, const struct iovec *iov, int iovcnt, int flags);
long pd_send(struct pd *pd, int fd, const struct iovec *iov, int iovcnt, int flags);
int pd_close(struct pd *pd, int fd);
int pd_shutdown(struct pd *pd, int fd, int how);
int pd_fcntl(struct pd *pd, int fd, int cmd, int arg, bool has_arg);
int pd_ioctl(struct pd *pd, int fd, unsigned long request, int *arg);

/* pd_sockopt.c */
int pd_setsockopt(struct pd *pd, int fd, int level, int name, const void *val, socklen_t len);
int pd_getsockopt(struct pd *pd, int fd, int level, int name, void *val, socklen_t *len);
int pd_push_options(struct pd *pd, struct pd_sock *s); /* all of s's options to the stack */

/* pd_preload.c: the adapter packetdrill runs, for the interposed getsockopt() */
void pd_preload_register(struct pd *pd);
void pd_preload_forget(struct pd *pd);

/* pd_poll.c: readiness in Linux's terms */
uint32_t pd_events(struct pd *pd, struct pd_sock *s); /* POLL* bits, under the lock */
int pd_poll(struct pd *pd, struct pollfd *fds, nfds_t nfds, int timeout_ms);
int pd_epoll_create(struct pd *pd, int size);
int pd_epoll_ctl(struct pd *pd, int epfd, int op, int fd, const struct epoll_event *ev);
int pd_epoll_wait(struct pd *pd, int epfd, struct epoll_event *out, int max, int timeout_ms);

#endif /* TCPFSM_PD_H */
