/*
 * so_selftest.c — libtcpfsm-packetdrill.so driven the way packetdrill drives it, without
 * packetdrill: dlopen, packetdrill_interface_init, then an application thread making blocking
 * socket calls through the table while the main thread plays the network. The far end is a
 * second tcpfsm stack (10.0.0.1) whose packets go in through netdev_send; a receiver thread
 * sits in netdev_receive, as packetdrill's main thread does, and hands what the adapter sends
 * to the peer. Real time, a few hundred milliseconds.
 *
 * What it checks: a listener bound to INADDR_ANY before the stack exists (the peer's first
 * packet tells the adapter its address and makes the stack), blocking accept, read with
 * MSG_WAITALL across segments, O_NONBLOCK (EAGAIN), SO_RCVTIMEO, poll and epoll, a blocking
 * write larger than the send buffer, shutdown and end of stream, SO_ERROR, TCP_INFO and
 * TCP_NODELAY, a blocking connect, ECONNREFUSED from a RST, errors for bad descriptors, and
 * the getsockopt() it exports for a preload.
 *
 * usage: so_selftest path/to/libtcpfsm-packetdrill.so
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "packetdrill_abi.h"
#include "tcpfsm.h"

#define PEER_ADDR 0x0a000001u /* 10.0.0.1, the tcpfsm stack playing the network */
#define OUR_ADDR 0x0a000002u  /* 10.0.0.2, the adapter's, learnt from the first packet */
#define BULK 20000            /* bytes each way, five times the adapter's send buffer */

static struct packetdrill_interface ifc;
static void *so; /* the adapter's handle */
static struct tcpfsm_stack *peer;
static atomic_bool app_listening, app_done, stop_receiver;
static atomic_int failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "so_selftest:%d: %s failed (errno %d: %s)\n", __LINE__, #cond, errno,  \
                    strerror(errno));                                                              \
            atomic_fetch_add(&failures, 1);                                                        \
        }                                                                                          \
    } while (0)

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the network: adapter -> receiver thread -> queue -> peer; peer -> netdev_send ---- */

struct pkt {
    struct pkt *next;
    size_t len;
    unsigned char data[];
};
static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pkt *q_head, **q_tail = &q_head;

static void *receiver(void *arg)
{
    (void)arg;
    static unsigned char buf[65536];
    while (!atomic_load(&stop_receiver)) {
        size_t n = sizeof buf;
        long long at = 0;
        if (ifc.netdev_receive(ifc.userdata, buf, &n, &at) != 0 || !n) continue;
        struct pkt *p = malloc(sizeof *p + n);
        if (!p) abort();
        p->next = NULL;
        p->len = n;
        memcpy(p->data, buf, n);
        pthread_mutex_lock(&q_mu);
        *q_tail = p;
        q_tail = &p->next;
        pthread_mutex_unlock(&q_mu);
    }
    return NULL;
}

static void peer_output(void *arg, const void *packet, size_t len)
{
    (void)arg;
    CHECK(ifc.netdev_send(ifc.userdata, packet, len) == 0);
}

/* Hand what the adapter sent to the peer (to nobody when peer is NULL: the end). */
static void peer_deliver(void)
{
    pthread_mutex_lock(&q_mu);
    struct pkt *p = q_head;
    q_head = NULL;
    q_tail = &q_head;
    pthread_mutex_unlock(&q_mu);
    while (p) {
        struct pkt *next = p->next;
        if (peer) tcpfsm_input(peer, p->data, p->len);
        free(p);
        p = next;
    }
}

/* ---- the peer's part: a client of the adapter's server, and an echo server on port 7 ---- */

struct peer_state {
    int cfd, lfd, efd; /* client, echo listener, accepted echo connection */
    size_t sent, got;  /* client: bytes sent, echoed bytes received */
    unsigned char back[BULK];
    bool client_closed;
};

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i * 7u + i / 251u);
}

static void peer_step(struct peer_state *p)
{
    if (p->cfd < 0 && atomic_load(&app_listening)) {
        p->cfd = tcpfsm_socket(peer);
        CHECK(tcpfsm_connect(peer, p->cfd, OUR_ADDR, 80) == -EINPROGRESS);
    }
    if (p->cfd >= 0 && !p->client_closed) {
        unsigned char chunk[1400];
        while (p->sent < BULK) {
            size_t n = BULK - p->sent < sizeof chunk ? BULK - p->sent : sizeof chunk;
            for (size_t i = 0; i < n; i++)
                chunk[i] = pattern(p->sent + i);
            long w = tcpfsm_send(peer, p->cfd, chunk, n);
            if (w <= 0) break;
            p->sent += (size_t)w;
        }
        long r;
        while (p->got < BULK &&
               (r = tcpfsm_recv(peer, p->cfd, p->back + p->got, BULK - p->got)) > 0)
            p->got += (size_t)r;
        if (p->got == BULK && tcpfsm_recv(peer, p->cfd, p->back, 1) == 0) { /* app shut down */
            tcpfsm_close(peer, p->cfd);
            p->client_closed = true;
        }
    }
    if (p->efd < 0) p->efd = tcpfsm_accept(peer, p->lfd, NULL, NULL);
    if (p->efd >= 0) {
        unsigned char b[512];
        long r = tcpfsm_recv(peer, p->efd, b, sizeof b);
        if (r > 0) tcpfsm_send(peer, p->efd, b, (size_t)r);
        if (r == 0) {
            tcpfsm_close(peer, p->efd);
            p->efd = -2; /* served its one connection */
        }
    }
}

/* ---- the application: blocking calls through the adapter, as a script's would ---- */

static struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
    return (struct sockaddr_in){
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(addr)};
}

#define U ifc.userdata
#define SA(x) ((const struct sockaddr *)&(x))

/* The getsockopt() the adapter exports for a preload (%{ }% code blocks): the adapter's
 * descriptors answered with the whole length asked (packetdrill's struct tcp_info is newer
 * than ours), TCP_CC_INFO empty; a kernel socket's question passed on to libc. */
static void check_preload_getsockopt(int c)
{
    int (*gso)(int, int, int, void *, socklen_t *) = NULL;
    *(void **)&gso = dlsym(so, "getsockopt");
    CHECK(gso != NULL);
    if (!gso) return;
    unsigned char big[512];
    socklen_t len = sizeof big;
    CHECK(gso(c, IPPROTO_TCP, TCP_INFO, big, &len) == 0 && len == sizeof big && big[0] == 1);
    CHECK(gso(c, IPPROTO_TCP, TCP_CC_INFO, big, &len) == 0 && len == 0);
    int k = socket(AF_INET, SOCK_STREAM, 0), type = 0;
    len = sizeof type;
    CHECK(k >= 0 && gso(k, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM);
    close(k);
}

static void app_server(void)
{
    int one = 1;
    struct sockaddr_in me = sin_of(INADDR_ANY, 80), from;
    socklen_t fromlen = sizeof from;
    int l = ifc.socket(U, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    CHECK(l >= 0);
    CHECK(ifc.setsockopt(U, l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    CHECK(ifc.bind(U, l, SA(me), sizeof me) == 0);
    CHECK(ifc.listen(U, l, 4) == 0);
    atomic_store(&app_listening, true);

    struct pollfd pfd = {.fd = l, .events = POLLIN};
    CHECK(ifc.poll(U, &pfd, 1, 5000) == 1 && pfd.revents == POLLIN);
    int c = ifc.accept(U, l, (struct sockaddr *)&from, &fromlen);
    CHECK(c >= 0);
    CHECK(fromlen == sizeof from && ntohl(from.sin_addr.s_addr) == PEER_ADDR);
    CHECK(ifc.setsockopt(U, c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);

    static unsigned char buf[BULK];
    CHECK(ifc.recv(U, c, buf, BULK, MSG_WAITALL) == BULK);
    struct tcp_info ti;
    socklen_t tilen = sizeof ti;
    CHECK(ifc.getsockopt(U, c, IPPROTO_TCP, TCP_INFO, &ti, &tilen) == 0 && tilen == sizeof ti);
    CHECK(ti.tcpi_state == 1 /* TCP_ESTABLISHED */ && ti.tcpi_snd_mss == 1460);
    CHECK(ti.tcpi_bytes_received == BULK);
    check_preload_getsockopt(c);
    for (size_t i = 0; i < BULK; i++)
        if (buf[i] != pattern(i)) {
            CHECK(!"the bytes read are the bytes sent");
            break;
        }
    CHECK(ifc.fcntl(U, c, F_SETFL, O_RDWR | O_NONBLOCK) == 0);
    CHECK(ifc.fcntl(U, c, F_GETFL) == (O_RDWR | O_NONBLOCK));
    CHECK(ifc.read(U, c, buf, 10) == -1 && errno == EAGAIN);
    CHECK(ifc.fcntl(U, c, F_SETFL, O_RDWR) == 0);
    struct timeval tv = {.tv_usec = 100000};
    CHECK(ifc.setsockopt(U, c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
    uint64_t t0 = now_us();
    CHECK(ifc.read(U, c, buf, 10) == -1 && errno == EAGAIN);
    CHECK(now_us() - t0 >= 90000);

    int ep = ifc.epoll_create(U, 1);
    struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = 42}, out[2];
    CHECK(ep >= 0 && ifc.epoll_ctl(U, ep, EPOLL_CTL_ADD, c, &ev) == 0);
    CHECK(ifc.epoll_wait(U, ep, out, 2, 1000) == 1 && out[0].data.u64 == 42);
    CHECK(ifc.close(U, ep) == 0);

    /* five send buffers' worth: the call returns when all of it is queued */
    for (size_t i = 0; i < BULK; i++)
        buf[i] = pattern(i);
    CHECK(ifc.write(U, c, buf, BULK) == BULK);
    CHECK(ifc.shutdown(U, c, SHUT_WR) == 0);
    CHECK(ifc.read(U, c, buf, 10) == 0); /* the peer closes once it has everything */

    CHECK(ifc.getsockopt(U, c, IPPROTO_TCP, TCP_INFO, &ti, &tilen) == 0);
    CHECK(ti.tcpi_state == 6 /* TCP_TIME_WAIT */ || ti.tcpi_state == 5 /* TCP_FIN_WAIT2 */);
    int err = -1, v = 0;
    socklen_t len = sizeof err;
    CHECK(ifc.getsockopt(U, c, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0);
    len = sizeof v;
    CHECK(ifc.getsockopt(U, c, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v == 1);
    CHECK(ifc.getsockopt(U, c, SOL_SOCKET, SO_BINDTODEVICE, &v, &len) == -1 &&
          errno == ENOPROTOOPT);
    CHECK(ifc.close(U, c) == 0 && ifc.close(U, l) == 0);
    CHECK(ifc.close(U, c) == -1 && errno == EBADF);
}

static void app_client(void)
{
    struct sockaddr_in echo = sin_of(PEER_ADDR, 7), closed = sin_of(PEER_ADDR, 9);
    int s = ifc.socket(U, AF_INET, SOCK_STREAM, 0);
    CHECK(ifc.connect(U, s, SA(echo), sizeof echo) == 0);
    CHECK(ifc.write(U, s, "hello", 5) == 5);
    char b[8] = {0};
    CHECK(ifc.read(U, s, b, sizeof b) == 5 && !memcmp(b, "hello", 5));
    CHECK(ifc.close(U, s) == 0);

    s = ifc.socket(U, AF_INET, SOCK_STREAM, 0);
    CHECK(ifc.connect(U, s, SA(closed), sizeof closed) == -1 && errno == ECONNREFUSED);
    CHECK(ifc.write(U, s, "x", 1) == -1 && errno == EPIPE);
    CHECK(ifc.close(U, s) == 0);
    CHECK(ifc.socket(U, AF_INET6, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT);
}

static void *app(void *arg)
{
    (void)arg;
    app_server();
    app_client();
    atomic_store(&app_done, true);
    return NULL;
}

static uint64_t rnd(void *arg)
{
    uint64_t *s = arg;
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: so_selftest LIBTCPFSM-PACKETDRILL.SO\n");
        return 2;
    }
    so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    void (*init)(const char *, struct packetdrill_interface *) = NULL;
    if (so) *(void **)&init = dlsym(so, "packetdrill_interface_init");
    if (!init) {
        fprintf(stderr, "so_selftest: %s\n", dlerror());
        return 1;
    }
    init("sndbuf=4096 rto_min_ms=200", &ifc);
    struct timeval tv0, tv1;
    ifc.gettimeofday(U, &tv0, NULL);
    ifc.usleep(U, 2000);
    ifc.gettimeofday(U, &tv1, NULL);
    CHECK((tv1.tv_sec - tv0.tv_sec) * 1000000 + (tv1.tv_usec - tv0.tv_usec) >= 2000);

    uint64_t seed = 0x9e3779b97f4a7c15u;
    struct tcpfsm_config pc = {.addr = PEER_ADDR,
                               .output = peer_output,
                               .random = rnd,
                               .random_arg = &seed,
                               .now = now_us()};
    peer = tcpfsm_stack_new(&pc, NULL);
    struct peer_state ps = {.cfd = -1, .efd = -1};
    ps.lfd = tcpfsm_socket(peer);
    CHECK(tcpfsm_bind(peer, ps.lfd, PEER_ADDR, 7) == 0 && tcpfsm_listen(peer, ps.lfd, 4) == 0);

    pthread_t rt, at;
    pthread_create(&rt, NULL, receiver, NULL);
    pthread_create(&at, NULL, app, NULL);
    uint64_t start = now_us();
    while (!atomic_load(&app_done) || !ps.client_closed) {
        peer_deliver();
        tcpfsm_advance(peer, now_us());
        peer_step(&ps);
        if (now_us() - start > 20000000u) {
            fprintf(stderr, "so_selftest: no end after 20 s\n");
            return 1;
        }
        struct timespec ms = {.tv_nsec = 500000};
        nanosleep(&ms, NULL);
    }
    pthread_join(at, NULL);
    /* netdev_receive returns with a packet: a SYN to a closed port brings the adapter's RST */
    atomic_store(&stop_receiver, true);
    int k = tcpfsm_socket(peer);
    tcpfsm_connect(peer, k, OUR_ADDR, 9);
    pthread_join(rt, NULL);
    ifc.free(U);
    tcpfsm_stack_free(peer);
    peer = NULL;
    peer_deliver();
    dlclose(so);
    if (atomic_load(&failures)) return 1;
    printf("so_selftest: the adapter passed (blocking calls, time, errno, options, poll, epoll)\n");
    return 0;
}
