/*
 * pd_preload.c — packetdrill's %{ }% code blocks, when the adapter is also LD_PRELOADed.
 *
 * For a code block packetdrill reads TCP_INFO, TCP_CC_INFO and SO_MEMINFO of the script's
 * socket with its own getsockopt(), not through the table, so on the adapter's descriptors
 * it fails ("can't find getsockopt to get TCP info"). Preloaded as well
 * (LD_PRELOAD=libtcpfsm-packetdrill.so packetdrill --so_filename=libtcpfsm-packetdrill.so,
 * one object: dlopen finds the one already loaded), this getsockopt() comes before libc's and
 * answers for the running adapter's descriptors; any other goes on to libc's. Loaded only by
 * dlopen, nothing binds to it and it does nothing.
 *
 * The running adapter is the one global of the object: an interposed libc function has no
 * other way to find it. packetdrill runs one script, so one adapter, at a time.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include "pd.h"

static _Atomic(struct pd *) pd_running;

void pd_preload_register(struct pd *pd)
{
    atomic_store(&pd_running, pd);
}

void pd_preload_forget(struct pd *pd)
{
    struct pd *expected = pd;
    atomic_compare_exchange_strong(&pd_running, &expected, NULL);
}

typedef int pd_getsockopt_fn(int, int, int, void *, socklen_t *);
static pd_getsockopt_fn *libc_getsockopt;
static pthread_once_t libc_once = PTHREAD_ONCE_INIT;

static void pd_find_libc(void)
{
    void *f = dlsym(RTLD_NEXT, "getsockopt");
    memcpy(&libc_getsockopt, &f, sizeof f); /* POSIX: a function's address as void * */
}

int getsockopt(int fd, int level, int name, void *restrict val, socklen_t *restrict len)
{
    struct pd *pd = atomic_load(&pd_running);
    if (pd && !pd->bad_flags && val && len) {
        /* packetdrill's struct tcp_info is newer than ours: its tail stays zero, and the
         * length it asked for comes back, as a kernel with that struct would answer */
        socklen_t asked = *len;
        if (level == IPPROTO_TCP && name == TCP_INFO) memset(val, 0, asked);
        int r = pd_getsockopt(pd, fd, level, name, val, len);
        if (r != -EBADF && r != -ENOTSOCK) {
            if (r < 0) {
                errno = -r;
                return -1;
            }
            if (level == IPPROTO_TCP && name == TCP_INFO) *len = asked;
            return 0;
        }
    }
    pthread_once(&libc_once, pd_find_libc);
    if (!libc_getsockopt) {
        errno = ENOSYS;
        return -1;
    }
    return libc_getsockopt(fd, level, name, val, len);
}
