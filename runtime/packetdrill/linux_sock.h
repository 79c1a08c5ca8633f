/*
 * linux_sock.h — what Linux's socket calls say about a TCP connection, worked out from what
 * libtcpfsm says. Both packetdrill runners apply these rules (the adapter in
 * runtime/packetdrill/ and tcpfsm-drill in examples/drill/), so a script means the same thing
 * under either. The stack's own API keeps its meanings: tcpfsm_error() keeps the error and
 * tcpfsm_poll() says no TCPFSM_POLLOUT once writing is over; Linux's differ:
 *
 * - a connection's error (sk_err) is reported once, by whichever call sees it first (SO_ERROR,
 *   connect, read, write: sock_error() clears it); after it a read returns 0 (tcp_recvmsg once
 *   tcp_done shut both directions) and a write fails with EPIPE, as it does on a socket never
 *   connected; SO_ERROR without such an error reports the soft error (an ICMP error a live
 *   connection kept, tcpfsm_soft_error), once too;
 * - tcp_poll() says POLLOUT when a write would not block, which includes a write that fails at
 *   once (SEND_SHUTDOWN: after shutdown(SHUT_WR), our FIN sent, a reset), POLLERR while an
 *   error is pending, POLLIN|POLLRDHUP once the peer's FIN (or a reset) ended the stream, and
 *   POLLHUP once both directions are over or the socket is closed (a fresh one too);
 * - connect() again on a socket whose handshake it started says EALREADY while it runs, then
 *   its outcome once (0 or the error), as inet_stream_connect() does;
 * - TCP_MAXSEG reads the connection's MSS, and before one what was set, else 536; setting it
 *   once the SYN is out succeeds and changes nothing (the stack says EISCONN).
 *
 * Header only: small functions each runner calls with its own socket record and the stack.
 */
#ifndef TCPFSM_LINUX_SOCK_H
#define TCPFSM_LINUX_SOCK_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "tcpfsm.h"

/* What Linux keeps in struct sock and the stack does not. */
struct linux_sock {
    bool err_taken;  /* the connection's error was reported once (sk_err cleared) */
    bool shut_wr;    /* shutdown(SHUT_WR or SHUT_RDWR) succeeded: SEND_SHUTDOWN */
    bool connecting; /* connect() started the handshake (SS_CONNECTING): a later connect()
                      * reports how it went */
};

#define LINUX_SOCK_MSS_DEFAULT 536 /* Linux's TCP_MSS_DEFAULT: TCP_MAXSEG before a connection */

/* The error Linux would still report (sk_err), negative errno or 0; fd < 0: none. */
static inline int linux_sock_pending(struct tcpfsm_stack *st, int fd, const struct linux_sock *ls)
{
    int e = fd >= 0 && !ls->err_taken ? tcpfsm_error(st, fd) : 0;
    return e == -EBADF ? 0 : e;
}

/* sock_error(): SO_ERROR and a connect() that ends report the pending error and clear it. */
static inline int linux_sock_take(struct tcpfsm_stack *st, int fd, struct linux_sock *ls)
{
    int e = linux_sock_pending(st, fd, ls);
    if (e) ls->err_taken = true;
    return e;
}

/* SO_ERROR: the pending error, reported once; without one the soft error (an ICMP error a
 * live connection kept), also reported once (sock_getsockopt: sock_error(), else
 * xchg(&sk->sk_err_soft, 0)). */
static inline int linux_sock_so_error(struct tcpfsm_stack *st, int fd, struct linux_sock *ls)
{
    int e = linux_sock_take(st, fd, ls);
    if (!e && fd >= 0) e = tcpfsm_soft_error(st, fd);
    return e == -EBADF ? 0 : e;
}

/* A read or write's result r from the stack, as Linux's: the connection's error counts as
 * reported; once it was, the call gets `after` instead (a read 0, a write -EPIPE). */
static inline long linux_sock_result(struct tcpfsm_stack *st, int fd, struct linux_sock *ls, long r,
                                     long after)
{
    if (r >= 0 || fd < 0 || r != tcpfsm_error(st, fd)) return r;
    if (ls->err_taken) return after;
    ls->err_taken = true;
    return r;
}

/* A write's result: linux_sock_result, and EPIPE rather than the stack's ENOTCONN for a socket
 * never connected or listening (sk_stream_wait_connect: not SYN_SENT or SYN_RCVD). */
static inline long linux_sock_send_result(struct tcpfsm_stack *st, int fd, struct linux_sock *ls,
                                          long r)
{
    return r == -ENOTCONN ? -EPIPE : linux_sock_result(st, fd, ls, r, -EPIPE);
}

static inline bool linux_sock_state_is(const struct tcpfsm_info *i, const char *name)
{
    return !strcmp(i->state, name);
}

/* tcp_poll()'s POLL* bits from the connection's info (state "CLOSED" for a socket the stack
 * has no descriptor for), tcpfsm_poll()'s bits m and what linux_sock_pending() says. The caller
 * masks them with what was asked for (POLLERR and POLLHUP always). */
static inline uint32_t linux_sock_poll(const struct tcpfsm_info *i, int m, int pending,
                                       const struct linux_sock *ls)
{
    if (m < 0) m = 0;
    if (linux_sock_state_is(i, "LISTEN")) return m & TCPFSM_POLLIN ? POLLIN | POLLRDNORM : 0;
    uint32_t ev = pending ? POLLERR : 0;
    /* during the handshake only an error shows */
    if (linux_sock_state_is(i, "SYN_SENT") || linux_sock_state_is(i, "SYN_RCVD")) return ev;
    bool closed = linux_sock_state_is(i, "CLOSED");
    bool rd_over = (m & TCPFSM_POLLIN) && !i->recv_q; /* the peer's FIN, a reset, SHUT_RD */
    bool wr_over = closed || ls->shut_wr || linux_sock_state_is(i, "FIN_WAIT_1") ||
                   linux_sock_state_is(i, "FIN_WAIT_2") || linux_sock_state_is(i, "CLOSING") ||
                   linux_sock_state_is(i, "TIME_WAIT") || linux_sock_state_is(i, "LAST_ACK");
    if (i->recv_q || rd_over) ev |= POLLIN | POLLRDNORM;
    if (rd_over) ev |= POLLRDHUP;
    if (wr_over || (m & TCPFSM_POLLOUT)) ev |= POLLOUT | POLLWRNORM;
    if (closed || (rd_over && wr_over)) ev |= POLLHUP;
    return ev;
}

/* A connect() on a socket with ls->connecting: -EALREADY while the handshake runs; then, once,
 * its outcome: 0, or the error (-ECONNABORTED if SO_ERROR took it already). */
static inline int linux_sock_connect_again(struct tcpfsm_stack *st, int fd, struct linux_sock *ls,
                                           const struct tcpfsm_info *i)
{
    if (linux_sock_state_is(i, "SYN_SENT") || linux_sock_state_is(i, "SYN_RCVD")) return -EALREADY;
    int e = linux_sock_take(st, fd, ls);
    if (!e && linux_sock_state_is(i, "CLOSED")) e = -ECONNABORTED;
    ls->connecting = false;
    return e;
}

/* TCP_MAXSEG as tcp_getsockopt() reads it: the connection's MSS; on a closed or listening
 * socket, what setsockopt asked (user_mss, 0 if nothing), else 536. */
static inline uint32_t linux_sock_maxseg(const struct tcpfsm_info *i, uint32_t user_mss)
{
    bool unconnected = linux_sock_state_is(i, "CLOSED") || linux_sock_state_is(i, "LISTEN");
    if (!unconnected && i->mss) return i->mss;
    return user_mss ? user_mss : LINUX_SOCK_MSS_DEFAULT;
}

/* setsockopt(TCP_MAXSEG)'s result from the stack's: once the SYN is out the stack refuses
 * (EISCONN, RFC 9293 3.7.1: the MSS is offered in the SYN); Linux records it (user_mss) for a
 * connection the socket will never make and answers 0. */
static inline int linux_sock_maxseg_set(int r)
{
    return r == -EISCONN ? 0 : r;
}

#endif /* TCPFSM_LINUX_SOCK_H */
