/*
 * symbols.c — the names a script may use for numbers: Linux's socket, fcntl, poll and errno
 * constants (packetdrill scripts are written against Linux), and the tcpi_state values.
 * The numbers are this machine's (a Linux build), so they are Linux's.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "drill.h"

struct sym {
    const char *name;
    int64_t value;
};

#define S(x)                                                                                       \
    {                                                                                              \
#x, x                                                                                      \
    }
static const struct sym syms[] = {
    S(AF_INET),
    S(AF_INET6),
    S(AF_UNSPEC),
    S(PF_INET),
    S(PF_INET6),
    S(SOCK_STREAM),
    S(SOCK_DGRAM),
    S(SOCK_RAW),
    S(SOCK_NONBLOCK),
    S(SOCK_CLOEXEC),
    S(IPPROTO_IP),
    S(IPPROTO_TCP),
    S(IPPROTO_UDP),
    S(IPPROTO_IPV6),
    S(IPPROTO_ICMP),
    S(SOL_SOCKET),
    S(SOL_TCP),
    S(SOL_IP),
    S(SOL_IPV6),
    S(SO_DEBUG),
    S(SO_REUSEADDR),
    S(SO_TYPE),
    S(SO_ERROR),
    S(SO_DONTROUTE),
    S(SO_BROADCAST),
    S(SO_SNDBUF),
    S(SO_RCVBUF),
    S(SO_SNDBUFFORCE),
    S(SO_RCVBUFFORCE),
    S(SO_KEEPALIVE),
    S(SO_OOBINLINE),
    S(SO_LINGER),
    S(SO_REUSEPORT),
    S(SO_RCVLOWAT),
    S(SO_SNDLOWAT),
    S(SO_RCVTIMEO),
    S(SO_SNDTIMEO),
    S(SO_ACCEPTCONN),
    S(SO_PROTOCOL),
    S(SO_DOMAIN),
    S(SO_MARK),
    S(SO_PRIORITY),
    S(SO_TIMESTAMP),
    S(SO_ZEROCOPY),
    S(TCP_NODELAY),
    S(TCP_MAXSEG),
    S(TCP_CORK),
    S(TCP_KEEPIDLE),
    S(TCP_KEEPINTVL),
    S(TCP_KEEPCNT),
    S(TCP_SYNCNT),
    S(TCP_LINGER2),
    S(TCP_DEFER_ACCEPT),
    S(TCP_WINDOW_CLAMP),
    S(TCP_INFO),
    S(TCP_QUICKACK),
    S(TCP_CONGESTION),
    S(TCP_MD5SIG),
    S(TCP_THIN_LINEAR_TIMEOUTS),
    S(TCP_USER_TIMEOUT),
    S(TCP_REPAIR),
    S(TCP_FASTOPEN),
    S(TCP_TIMESTAMP),
    S(TCP_NOTSENT_LOWAT),
    S(TCP_SAVE_SYN),
    S(TCP_SAVED_SYN),
    S(F_DUPFD),
    S(F_GETFD),
    S(F_SETFD),
    S(F_GETFL),
    S(F_SETFL),
    S(FD_CLOEXEC),
    S(O_RDONLY),
    S(O_WRONLY),
    S(O_RDWR),
    S(O_NONBLOCK),
    S(O_NDELAY),
    S(O_CLOEXEC),
    S(POLLIN),
    S(POLLPRI),
    S(POLLOUT),
    S(POLLERR),
    S(POLLHUP),
    S(POLLNVAL),
    S(POLLRDNORM),
    S(POLLRDBAND),
    S(POLLWRNORM),
    S(POLLWRBAND),
    S(POLLRDHUP),
    S(SHUT_RD),
    S(SHUT_WR),
    S(SHUT_RDWR),
    S(MSG_OOB),
    S(MSG_PEEK),
    S(MSG_DONTROUTE),
    S(MSG_TRUNC),
    S(MSG_DONTWAIT),
    S(MSG_EOR),
    S(MSG_WAITALL),
    S(MSG_NOSIGNAL),
    S(MSG_MORE),
    S(MSG_ERRQUEUE),
    S(MSG_FASTOPEN),
    S(MSG_ZEROCOPY),
    /* tcpi_state (Linux's enum in include/net/tcp_states.h) */
    {"TCP_ESTABLISHED", 1},
    {"TCP_SYN_SENT", 2},
    {"TCP_SYN_RECV", 3},
    {"TCP_FIN_WAIT1", 4},
    {"TCP_FIN_WAIT2", 5},
    {"TCP_TIME_WAIT", 6},
    {"TCP_CLOSE", 7},
    {"TCP_CLOSE_WAIT", 8},
    {"TCP_LAST_ACK", 9},
    {"TCP_LISTEN", 10},
    {"TCP_CLOSING", 11},
    /* tcpi_options */
    {"TCPI_OPT_TIMESTAMPS", 1},
    {"TCPI_OPT_SACK", 2},
    {"TCPI_OPT_WSCALE", 4},
    {"TCPI_OPT_ECN", 8},
    {"NULL", 0},
};

#define E(x)                                                                                       \
    {                                                                                              \
#x, x                                                                                      \
    }
static const struct sym errnos[] = {
    E(EPERM),
    E(ENOENT),
    E(ESRCH),
    E(EINTR),
    E(EIO),
    E(ENXIO),
    E(E2BIG),
    E(ENOEXEC),
    E(EBADF),
    E(ECHILD),
    E(EAGAIN),
    E(ENOMEM),
    E(EACCES),
    E(EFAULT),
    E(EBUSY),
    E(EEXIST),
    E(EXDEV),
    E(ENODEV),
    E(ENOTDIR),
    E(EISDIR),
    E(EINVAL),
    E(ENFILE),
    E(EMFILE),
    E(ENOTTY),
    E(EFBIG),
    E(ENOSPC),
    E(ESPIPE),
    E(EROFS),
    E(EMLINK),
    E(EPIPE),
    E(EDOM),
    E(ERANGE),
    E(EDEADLK),
    E(ENAMETOOLONG),
    E(ENOLCK),
    E(ENOSYS),
    E(ENOTEMPTY),
    E(ELOOP),
    E(ENOMSG),
    E(EIDRM),
    E(ENODATA),
    E(ETIME),
    E(ENOSR),
    E(EOVERFLOW),
    E(EBADMSG),
    E(EPROTO),
    E(EILSEQ),
    E(ENOTSOCK),
    E(EDESTADDRREQ),
    E(EMSGSIZE),
    E(EPROTOTYPE),
    E(ENOPROTOOPT),
    E(EPROTONOSUPPORT),
    E(ESOCKTNOSUPPORT),
    E(EOPNOTSUPP),
    E(EPFNOSUPPORT),
    E(EAFNOSUPPORT),
    E(EADDRINUSE),
    E(EADDRNOTAVAIL),
    E(ENETDOWN),
    E(ENETUNREACH),
    E(ENETRESET),
    E(ECONNABORTED),
    E(ECONNRESET),
    E(ENOBUFS),
    E(EISCONN),
    E(ENOTCONN),
    E(ESHUTDOWN),
    E(ETOOMANYREFS),
    E(ETIMEDOUT),
    E(ECONNREFUSED),
    E(EHOSTDOWN),
    E(EHOSTUNREACH),
    E(EALREADY),
    E(EINPROGRESS),
    E(ESTALE),
    E(EDQUOT),
    E(ECANCELED),
    {"EWOULDBLOCK", EWOULDBLOCK},
    {"ENOTSUP", ENOTSUP},
};

bool symbol_value(const char *name, int64_t *out)
{
    for (size_t i = 0; i < sizeof syms / sizeof *syms; i++)
        if (!strcmp(syms[i].name, name)) {
            *out = syms[i].value;
            return true;
        }
    for (size_t i = 0; i < sizeof errnos / sizeof *errnos; i++)
        if (!strcmp(errnos[i].name, name)) {
            *out = errnos[i].value;
            return true;
        }
    return false;
}

const char *errno_name(int e)
{
    for (size_t i = 0; i < sizeof errnos / sizeof *errnos; i++)
        if (errnos[i].value == e) return errnos[i].name;
    return NULL;
}

void poll_flags_str(struct sb *b, int revents)
{
    static const struct sym bits[] = {
        S(POLLIN),     S(POLLPRI),    S(POLLOUT),    S(POLLERR),    S(POLLHUP),   S(POLLNVAL),
        S(POLLRDNORM), S(POLLRDBAND), S(POLLWRNORM), S(POLLWRBAND), S(POLLRDHUP),
    };
    if (!revents) {
        sb_printf(b, "0");
        return;
    }
    bool first = true;
    for (size_t i = 0; i < sizeof bits / sizeof *bits; i++)
        if (revents & bits[i].value) {
            sb_printf(b, "%s%s", first ? "" : "|", bits[i].name);
            revents &= ~(int)bits[i].value;
            first = false;
        }
    if (revents) sb_printf(b, "%s0x%x", first ? "" : "|", (unsigned)revents);
}

const char *expr_kind_name(enum expr_kind k)
{
    static const char *const names[] = {
        [E_INT] = "integer",
        [E_ELLIPSIS] = "ellipsis",
        [E_WORD] = "word",
        [E_STRING] = "string",
        [E_OR] = "binary expression",
        [E_ARRAY] = "array",
        [E_RECORD] = "record",
        [E_LIST] = "list",
        [E_CALL] = "function call",
    };
    return names[k];
}

int expr_int(const struct expr *e, int64_t *out, struct sb *err)
{
    int64_t a, b;
    switch (e->kind) {
    case E_INT:
        *out = e->num;
        return 0;
    case E_WORD:
        if (symbol_value(e->str, out)) return 0;
        sb_printf(err, "unknown symbol '%s'", e->str);
        return -1;
    case E_OR:
        if (expr_int(e->lhs, &a, err) || expr_int(e->rhs, &b, err)) return -1;
        *out = a | b;
        return 0;
    default:
        sb_printf(err, "Bad type; actual: %s expected: integer", expr_kind_name(e->kind));
        return -1;
    }
}
