/*
 * test_shards_threads.c — the shards (tcpfsm_shards.h) on real threads: on the caller's link
 * against a peer stack in the test's main thread, and (root) on a multi-queue TUN device in a
 * network namespace of the test's own against the kernel's TCP. test_shards.c has the
 * deterministic tests (stepped mode on memlink).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_test.h"
#include "shard_apps.h"
#include "tcpfsm.h"
#include "tcpfsm_shards.h"

/* ================================================================ real threads */

/* The shards' packets to the test's main thread: a queue under a mutex (test code). */
struct pktq {
    pthread_mutex_t m;
    struct pktq_item {
        size_t len;
        uint8_t data[1500];
    } * items;
    size_t head, count, cap;
    uint64_t drops;
};

struct tworld {
    struct tcpfsm_shards *sh;
    struct tcpfsm_stack *peer;
    struct pktq q;
    uint64_t rng;
    struct echo_app app;
    struct client cli[32];
    unsigned ncli;
    _Atomic unsigned calls_elsewhere, deadlocks_refused, self_calls;
};

static void tq_out(void *arg, unsigned shard, const void *pkt, size_t len)
{
    (void)shard;
    struct tworld *w = arg;
    pthread_mutex_lock(&w->q.m);
    if (w->q.count == w->q.cap || len > sizeof w->q.items[0].data) {
        w->q.drops++;
    } else {
        struct pktq_item *it = &w->q.items[(w->q.head + w->q.count++) % w->q.cap];
        it->len = len;
        memcpy(it->data, pkt, len);
    }
    pthread_mutex_unlock(&w->q.m);
}

static void tpeer_out(void *arg, const void *pkt, size_t len)
{
    struct tworld *w = arg;
    /* the main thread is the one producer of tcpfsm_shards_input */
    tcpfsm_shards_input(w->sh, shard_test_queue(pkt, len, 2), pkt, len);
}

static int whoami(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    (void)sh, (void)st;
    pthread_t *main = arg;
    return pthread_equal(pthread_self(), *main) ? -1 : (int)i + 100;
}

static int tw_init(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    struct tworld *w = arg;
    return echo_init(sh, i, st, &w->app);
}

static int tw_wakeup(struct tcpfsm_shards *sh, unsigned i, struct tcpfsm_stack *st, void *arg)
{
    struct tworld *w = arg;
    /* a shard may call itself; calling another shard from a shard thread is refused */
    if (tcpfsm_shards_call(sh, i, shard_test_noop, NULL) == 0) atomic_fetch_add(&w->self_calls, 1);
    if (tcpfsm_shards_call(sh, (i + 1) % 2, shard_test_noop, NULL) == -EDEADLK)
        atomic_fetch_add(&w->deadlocks_refused, 1);
    return echo_wakeup(sh, i, st, &w->app);
}

START_TEST(threads_serve_the_peer_and_join_cleanly)
{
    static struct tworld w;
    memset(&w, 0, sizeof w);
    pthread_mutex_init(&w.q.m, NULL);
    w.q.cap = 4096;
    w.q.items = calloc(w.q.cap, sizeof *w.q.items);
    w.rng = 99;
    w.app = (struct echo_app){.addr = HOST, .port = PORT, .threaded = 1, .main = pthread_self()};
    struct tcpfsm_config pc = {.addr = PEER,
                               .prefix_len = 24,
                               .output = tpeer_out,
                               .output_arg = &w,
                               .random = shard_test_peer_random,
                               .random_arg = &w.rng,
                               .now = shard_test_now_us()};
    int err;
    w.peer = tcpfsm_stack_new(&pc, &err);
    ck_assert_ptr_nonnull(w.peer);
    struct tcpfsm_shards_config c = {
        .nshards = 2,
        .stack = {.addr = HOST, .prefix_len = 24, .random = shard_test_random},
        .output = tq_out,
        .output_arg = &w,
        .init = tw_init,
        .wakeup = tw_wakeup,
        .arg = &w};
    w.sh = tcpfsm_shards_new(&c, &err);
    ck_assert_ptr_nonnull(w.sh);
    ck_assert_int_eq(tcpfsm_shards_start(w.sh), 0);
    pthread_t me = pthread_self();
    ck_assert_int_eq(tcpfsm_shards_call(w.sh, 0, whoami, &me), 100);
    ck_assert_int_eq(tcpfsm_shards_call(w.sh, 1, whoami, &me), 101);
    w.ncli = 32;
    for (unsigned i = 0; i < w.ncli; i++)
        client_open(w.peer, &w.cli[i], HOST, PORT, &w.rng);
    uint64_t deadline = shard_test_now_us() + 20000000; /* a bound, not a measurement */
    unsigned done = 0;
    while (done < w.ncli && shard_test_now_us() < deadline) {
        struct pktq_item it;
        int got = 0;
        for (;;) {
            pthread_mutex_lock(&w.q.m);
            int have = w.q.count > 0;
            if (have) {
                it = w.q.items[w.q.head];
                w.q.head = (w.q.head + 1) % w.q.cap;
                w.q.count--;
            }
            pthread_mutex_unlock(&w.q.m);
            if (!have) break;
            tcpfsm_advance(w.peer, shard_test_now_us());
            tcpfsm_input(w.peer, it.data, it.len);
            got = 1;
        }
        tcpfsm_advance(w.peer, shard_test_now_us());
        done = 0;
        for (unsigned i = 0; i < w.ncli; i++) {
            client_pump(w.peer, &w.cli[i]);
            done += w.cli[i].done;
        }
        if (!got) usleep(200);
    }
    ck_assert_uint_eq(done, w.ncli);
    struct tcpfsm_stats st;
    ck_assert_int_eq(tcpfsm_shards_get_stats(w.sh, &st), 0); /* through calls, threads running */
    ck_assert_uint_eq(st.PassiveOpens, w.ncli);
    ck_assert_int_eq(tcpfsm_shards_stop(w.sh), 0);
    unsigned accepted = 0;
    for (unsigned i = 0; i < 2; i++) {
        ck_assert_msg(w.app.s[i].accepted > 0, "shard %u accepted nothing", i);
        ck_assert_uint_eq(w.app.s[i].wrong_owner, 0);
        ck_assert_uint_eq(w.app.s[i].not_in_thread, 0);
        ck_assert_uint_eq(w.app.s[i].errors, 0);
        accepted += w.app.s[i].accepted;
    }
    ck_assert_uint_eq(accepted, w.ncli);
    ck_assert_uint_gt(atomic_load(&w.self_calls), 0);
    ck_assert_uint_gt(atomic_load(&w.deadlocks_refused), 0);
    tcpfsm_shards_free(w.sh);
    tcpfsm_stack_free(w.peer);
    free(w.q.items);
    pthread_mutex_destroy(&w.q.m);
}
END_TEST

/* ================================================================ TUN against the kernel */

#define TUN_NAME "tshq0"
#define TUN_KERNEL "10.91.0.1"
#define TUN_STACK RT_IP(10, 91, 0, 2)
#define TUN_CONNS 200
#define TUN_PARALLEL 20

static int sh_cmd(const char *cmd)
{
    int r = system(cmd);
    return r == 0 ? 0 : -1;
}

static int iface_running(const char *name)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    int up = s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_RUNNING);
    if (s >= 0) close(s);
    return up;
}

/* One kernel client: connect, send a line, read it back whole, close. */
struct kclient {
    int fd, state; /* 0 free, 1 connecting, 2 reading */
    char msg[64];
    size_t len, got;
    char back[64];
};

static int kclient_start(struct kclient *k, int id)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(PORT)};
    a.sin_addr.s_addr = htonl(TUN_STACK);
    k->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (k->fd < 0) return -1;
    k->len = (size_t)snprintf(k->msg, sizeof k->msg, "client %d says hello\n", id);
    k->got = 0;
    if (connect(k->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) return -1;
    k->state = 1;
    return 0;
}

START_TEST(tun_kernel_clients_reach_every_shard)
{
    if (geteuid() != 0) {
        printf("SKIP: tun_kernel_clients_reach_every_shard needs root (network namespace, TUN)\n");
        return;
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        printf("SKIP: tun_kernel_clients_reach_every_shard: no /dev/net/tun\n");
        return;
    }
    /* This test process (Check forks one per test) gets a network namespace of its own: the
     * device, its addresses and every packet stay in it and vanish with the process. */
    if (unshare(CLONE_NEWNET) != 0) {
        printf("SKIP: tun_kernel_clients_reach_every_shard: unshare(CLONE_NEWNET): %s\n",
               strerror(errno));
        return;
    }
    ck_assert_int_eq(sh_cmd("ip link set lo up && "
                            "ip tuntap add dev " TUN_NAME " mode tun multi_queue && "
                            "sysctl -qw net.ipv6.conf." TUN_NAME ".disable_ipv6=1 && "
                            "ip addr add " TUN_KERNEL "/24 dev " TUN_NAME " && "
                            "ip link set dev " TUN_NAME " up"),
                     0);
    static struct echo_app app;
    memset(&app, 0, sizeof app);
    app = (struct echo_app){.addr = TUN_STACK, .port = PORT, .threaded = 1, .main = pthread_self()};
    struct tcpfsm_shards_config c = {.nshards = 2,
                                     .stack = {.addr = TUN_STACK, .prefix_len = 24},
                                     .tun = TUN_NAME,
                                     .init = echo_init,
                                     .wakeup = echo_wakeup,
                                     .arg = &app};
    int err;
    struct tcpfsm_shards *sh = tcpfsm_shards_new(&c, &err);
    ck_assert_msg(sh != NULL, "tcpfsm_shards_new on " TUN_NAME ": %d", err);
    ck_assert_int_eq(tcpfsm_shards_start(sh), 0);
    /* the kernel drops what it sends a device until its link watcher says it runs */
    for (int i = 0; i < 300 && !iface_running(TUN_NAME); i++)
        usleep(10000);

    struct kclient k[TUN_PARALLEL];
    memset(k, 0, sizeof k);
    int started = 0, ok = 0, failed = 0;
    uint64_t deadline = shard_test_now_us() + 30000000; /* a bound, not a measurement */
    while (ok + failed < TUN_CONNS && shard_test_now_us() < deadline) {
        struct pollfd p[TUN_PARALLEL];
        for (int i = 0; i < TUN_PARALLEL; i++) {
            if (!k[i].state && started < TUN_CONNS) {
                if (kclient_start(&k[i], started++) < 0) failed++;
            }
            p[i] = (struct pollfd){.fd = k[i].state ? k[i].fd : -1,
                                   .events = k[i].state == 1 ? POLLOUT : POLLIN};
        }
        if (poll(p, TUN_PARALLEL, 100) < 0) break;
        for (int i = 0; i < TUN_PARALLEL; i++) {
            struct kclient *kc = &k[i];
            if (!kc->state || !p[i].revents) continue;
            int bad = 0;
            if (kc->state == 1) {
                int so = 0;
                socklen_t sl = sizeof so;
                getsockopt(kc->fd, SOL_SOCKET, SO_ERROR, &so, &sl);
                bad = so != 0 || write(kc->fd, kc->msg, kc->len) != (ssize_t)kc->len;
                kc->state = 2;
            } else {
                ssize_t r = read(kc->fd, kc->back + kc->got, sizeof kc->back - kc->got);
                if (r > 0) kc->got += (size_t)r;
                bad = r <= 0 || (kc->got <= kc->len && memcmp(kc->back, kc->msg, kc->got));
                if (!bad && kc->got == kc->len) {
                    close(kc->fd);
                    kc->state = 0;
                    ok++;
                    continue;
                }
            }
            if (bad) {
                close(kc->fd);
                kc->state = 0;
                failed++;
            }
        }
    }
    for (int i = 0; i < TUN_PARALLEL; i++)
        if (k[i].state) close(k[i].fd);
    usleep(200000); /* the last FINs */
    struct tcpfsm_shard_stats s0, s1;
    ck_assert_int_eq(tcpfsm_shards_shard_stats(sh, 0, &s0), 0);
    ck_assert_int_eq(tcpfsm_shards_shard_stats(sh, 1, &s1), 0);
    ck_assert_int_eq(tcpfsm_shards_stop(sh), 0);
    printf("tun: %d of %d kernel connections echoed; shard 0 accepted %u, shard 1 %u; "
           "forwarded %llu of %llu packets read\n",
           ok, TUN_CONNS, app.s[0].accepted, app.s[1].accepted,
           (unsigned long long)(s0.Forwarded + s1.Forwarded),
           (unsigned long long)(s0.InPackets + s1.InPackets));
    ck_assert_int_eq(failed, 0);
    ck_assert_int_eq(ok, TUN_CONNS);
    ck_assert_uint_gt(app.s[0].accepted, 0);
    ck_assert_uint_gt(app.s[1].accepted, 0);
    ck_assert_uint_eq(app.s[0].wrong_owner + app.s[1].wrong_owner, 0);
    ck_assert_uint_eq(app.s[0].accepted + app.s[1].accepted, TUN_CONNS);
    tcpfsm_shards_free(sh);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("shards_threads");
    TCase *thr = tcase_create("threads");
    tcase_add_test(thr, threads_serve_the_peer_and_join_cleanly);
    tcase_add_test(thr, tun_kernel_clients_reach_every_shard);
    tcase_set_timeout(thr, 90);
    suite_add_tcase(s, thr);
    return s;
}

int main(void)
{
    return rt_run_suite(suite());
}
