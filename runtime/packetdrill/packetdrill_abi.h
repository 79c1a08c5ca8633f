/*
 * packetdrill_abi.h — the table of functions packetdrill's --so_filename mode calls.
 *
 * packetdrill (https://github.com/google/packetdrill, gtests/net/packetdrill/) loads the shared
 * object named by --so_filename with dlopen(), looks up packetdrill_interface_init and calls
 * it once per script with the --so_flags string and a zeroed table to fill. Every socket call
 * of the script, every packet it injects or expects, and its clock then go through the table.
 *
 * This is our own declaration of that binary interface. The order and types of the members
 * follow `struct packetdrill_interface` in packetdrill's packetdrill.h (checked against
 * commit 2c4001c4d6fc04a3bbd01d4b92be62717a37648a); a member must never move, since
 * packetdrill calls through the offsets. The comments are ours and say what packetdrill
 * expects of each.
 */
#ifndef TCPFSM_PACKETDRILL_ABI_H
#define TCPFSM_PACKETDRILL_ABI_H

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

struct packetdrill_interface {
    void *userdata; /* handed back as the first argument of every call */
    void (*free)(void *userdata);
    /* Socket calls: return what the libc call returns (-1 with errno set on failure). */
    int (*socket)(void *userdata, int domain, int type, int protocol);
    int (*bind)(void *userdata, int sockfd, const struct sockaddr *addr, socklen_t addrlen);
    int (*listen)(void *userdata, int sockfd, int backlog);
    int (*accept)(void *userdata, int sockfd, struct sockaddr *addr, socklen_t *addrlen);
    int (*connect)(void *userdata, int sockfd, const struct sockaddr *addr, socklen_t addrlen);
    ssize_t (*read)(void *userdata, int fd, void *buf, size_t count);
    ssize_t (*readv)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
    ssize_t (*recv)(void *userdata, int sockfd, void *buf, size_t len, int flags);
    ssize_t (*recvfrom)(void *userdata, int sockfd, void *buf, size_t len, int flags,
                        struct sockaddr *src_addr, socklen_t *addrlen);
    ssize_t (*recvmsg)(void *userdata, int sockfd, struct msghdr *msg, int flags);
    ssize_t (*write)(void *userdata, int fd, const void *buf, size_t count);
    ssize_t (*writev)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
    ssize_t (*send)(void *userdata, int sockfd, const void *buf, size_t len, int flags);
    ssize_t (*sendto)(void *userdata, int sockfd, const void *buf, size_t len, int flags,
                      const struct sockaddr *dest_addr, socklen_t addrlen);
    ssize_t (*sendmsg)(void *userdata, int sockfd, const struct msghdr *msg, int flags);
    int (*fcntl)(void *userdata, int fd, int cmd, ...);               /* int argument, if any */
    int (*ioctl)(void *userdata, int fd, unsigned long request, ...); /* int *, if any */
    int (*close)(void *userdata, int fd);
    int (*shutdown)(void *userdata, int sockfd, int how);
    int (*getsockopt)(void *userdata, int sockfd, int level, int optname, void *optval,
                      socklen_t *optlen);
    int (*setsockopt)(void *userdata, int sockfd, int level, int optname, const void *optval,
                      socklen_t optlen);
    int (*poll)(void *userdata, struct pollfd *fds, nfds_t nfds, int timeout);
    /* A packet the script injects (an IP datagram): 0, or -1 on error. */
    int (*netdev_send)(void *userdata, const void *buf, size_t count);
    /* The next packet the stack sent, into buf; *count is the room on entry and the length on
     * return (0 = nothing: packetdrill then fails the script), *time_usecs when it left, on the
     * clock gettimeofday below reads. Returns 0, or -1 to be called again. */
    int (*netdev_receive)(void *userdata, void *buf, size_t *count, long long *time_usecs);
    /* The script's clock: packetdrill sleeps and reads the time only through these two. */
    int (*usleep)(void *userdata, useconds_t usec);
    int (*gettimeofday)(void *userdata, struct timeval *tv, struct timezone *tz);
    int (*epoll_create)(void *userdata, int size);
    int (*epoll_ctl)(void *userdata, int epfd, int op, int fd, struct epoll_event *event);
    int (*epoll_wait)(void *userdata, int epfd, struct epoll_event *events, int maxevents,
                      int timeout);
    int (*pipe)(void *userdata, int pipefd[2]);
    int (*splice)(void *userdata, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
                  size_t len, unsigned int flags);
};

/* The one symbol the shared object exports. flags is --so_flags (NULL when not given). */
void packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc);

#endif /* TCPFSM_PACKETDRILL_ABI_H */
