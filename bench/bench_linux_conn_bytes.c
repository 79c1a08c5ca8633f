/*
 * bench_linux_conn_bytes.c — the Linux reference of bench_conn_bytes.c: what one idle
 * ESTABLISHED TCP socket costs the kernel, for the chapter's "about 1 KB per TCB" (issue 17).
 * Run by bench/run.py inside a network namespace it creates (loopback only, nothing of the
 * host's sockets or ports touched; run.py widens ip_local_port_range there).
 *
 * N connections over loopback (N client sockets + N accepted ones, nothing sent), held by as
 * many child processes as RLIMIT_NOFILE needs (20,000 descriptors here, and no
 * CAP_SYS_RESOURCE to raise it), each with a listener of its own. Before and after, every row of
 * /proc/slabinfo (active objects x object size), /proc/meminfo Slab and /proc/net/sockstat's
 * TCP mem (pages of buffer memory): growth divided by the 2N sockets. The slab is machine-wide,
 * so other activity is noise: median of 3 rounds. The biggest rows (TCP's struct tcp_sock,
 * sock_inode_cache's socket + inode, filp's struct file, dentry, ...) are the breakdown.
 * The TIME_WAIT figure is tw_sock_TCP's object size.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"

#define MAXSLABS 512
#define ROUNDS 3

struct slab {
    char name[64];
    long long active, objsize;
};
struct snap {
    struct slab s[MAXSLABS];
    int n;
    long long slab_kib, tcp_mem_pages;
};

static void die(const char *what)
{
    printf("FAIL\tLinux kernel bytes per idle TCP socket\t%s\n", what);
    perror(what);
    exit(1);
}

static void snapshot(struct snap *sn)
{
    char line[512];
    sn->n = 0;
    FILE *f = fopen("/proc/slabinfo", "r");
    if (!f) die("/proc/slabinfo (needs root)");
    while (fgets(line, sizeof line, f) && sn->n < MAXSLABS) {
        struct slab *s = &sn->s[sn->n];
        long long num;
        if (line[0] != '#' &&
            sscanf(line, "%63s %lld %lld %lld", s->name, &s->active, &num, &s->objsize) == 4)
            sn->n++;
    }
    fclose(f);
    sn->slab_kib = -1;
    f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Slab: %lld kB", &sn->slab_kib) == 1) break;
    if (f) fclose(f);
    sn->tcp_mem_pages = -1;
    f = fopen("/proc/net/sockstat", "r");
    while (f && fgets(line, sizeof line, f)) {
        long long a, b, c, d, m;
        if (sscanf(line, "TCP: inuse %lld orphan %lld tw %lld alloc %lld mem %lld", &a, &b, &c, &d,
                   &m) == 5)
            sn->tcp_mem_pages = m;
    }
    if (f) fclose(f);
}

static const struct slab *find(const struct snap *sn, const char *name)
{
    for (int i = 0; i < sn->n; i++)
        if (!strcmp(sn->s[i].name, name)) return &sn->s[i];
    return NULL;
}

/* Bytes of objects a cache gained from a to b. */
static double grown(const struct snap *a, const struct slab *sb)
{
    const struct slab *sa = find(a, sb->name);
    return (double)(sb->active - (sa ? sa->active : 0)) * (double)sb->objsize;
}

struct round {
    double total, meminfo, mempages; /* per socket */
    struct snap before, after;
};

/* A child's share of the connections: its own listener (port 6001 + idx), `share` connections
 * to it, each accepted; then it says so on `ready` and holds them until `go` is closed. */
static void child_hold(int idx, int share, int ready, int go)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)(6001 + idx)),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) || listen(l, 4096)) _exit(2);
    for (int k = 0; k < share; k++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (struct sockaddr *)&sa, sizeof sa) < 0) _exit(3);
        if (accept(l, NULL, NULL) < 0) _exit(4);
    }
    char b = 'r';
    if (write(ready, &b, 1) != 1) _exit(5);
    while (read(go, &b, 1) > 0) {
    }
    _exit(0); /* the descriptors close with the process */
}

/* n connections held by as many children as RLIMIT_NOFILE (per_proc descriptors) needs. */
static void one_round(int n, int per_proc, struct round *r)
{
    int nproc = (2 * n + per_proc - 1) / per_proc, ready[2], go[2];
    pid_t pids[256];
    if (nproc > 256 || pipe(ready) || pipe(go)) die("pipe");
    snapshot(&r->before);
    fflush(stdout);
    for (int i = 0; i < nproc; i++) {
        int share = n / nproc + (i < n % nproc);
        pids[i] = fork();
        if (pids[i] < 0) die("fork");
        if (pids[i] == 0) {
            close(ready[0]);
            close(go[1]);
            child_hold(i, share, ready[1], go[0]);
        }
    }
    close(ready[1]);
    close(go[0]);
    char b;
    for (int i = 0; i < nproc; i++)
        if (read(ready[0], &b, 1) != 1) die("a child could not open its connections");
    usleep(100000); /* let delayed work (the handshake's ACK, per-cpu slab flushes) settle */
    snapshot(&r->after);
    close(go[1]);
    close(ready[0]);
    for (int i = 0; i < nproc; i++)
        waitpid(pids[i], NULL, 0);
    double sum = 0;
    for (int i = 0; i < r->after.n; i++)
        sum += grown(&r->before, &r->after.s[i]);
    r->total = sum / (2.0 * n);
    r->meminfo = (double)(r->after.slab_kib - r->before.slab_kib) * 1024.0 / (2.0 * n);
    r->mempages = (double)(r->after.tcp_mem_pages - r->before.tcp_mem_pages);
    usleep(300000); /* RCU frees the closed sockets before the next round */
}

static int cmp_round(const void *a, const void *b)
{
    double x = ((const struct round *)a)->total, y = ((const struct round *)b)->total;
    return (x > y) - (x < y);
}

int main(void)
{
    static const int sizes[] = {1000, 10000, 50000};
    int nsizes = bench_quick() ? 1 : 3;
    rlim_t nofile = bench_raise_nofile();
    if (nofile < 1024) die("RLIMIT_NOFILE below 1024");
    int per_proc = nofile > 1000000 ? 1000000 : (int)nofile - 64;
    fprintf(stderr, "RLIMIT_NOFILE %llu: %d sockets per process, %d processes at N=%d\n",
            (unsigned long long)nofile, per_proc, (2 * sizes[nsizes - 1] + per_proc - 1) / per_proc,
            sizes[nsizes - 1]);
    static struct round r[ROUNDS];
    char name[160];
    for (int i = 0; i < nsizes; i++) {
        int n = sizes[i];
        for (int k = 0; k < ROUNDS; k++)
            one_round(n, per_proc, &r[k]);
        qsort(r, ROUNDS, sizeof r[0], cmp_round);
        const struct round *m = &r[ROUNDS / 2];
        snprintf(name, sizeof name,
                 "Linux kernel bytes per idle TCP socket (slab objects, N=%d connections)", n);
        bench_row(name, m->total, "B", "chapter's 1 KB per TCB", 1024);
        fprintf(stderr,
                "N=%d: %.0f B per socket in slab objects, /proc/meminfo Slab %+.0f B, "
                "sockstat TCP mem %+.0f pages for %d sockets\n",
                n, m->total, m->meminfo, m->mempages, 2 * n);
        if (i < nsizes - 1) continue;
        /* The breakdown of the median round: every cache that grew by >= 8 B per socket. */
        double rest = m->total;
        for (int j = 0; j < m->after.n; j++) {
            double b = grown(&m->before, &m->after.s[j]) / (2.0 * n);
            if (b < 8) continue;
            rest -= b;
            snprintf(name, sizeof name, "Linux per idle TCP socket: %s slab, %lld B objects (N=%d)",
                     m->after.s[j].name, m->after.s[j].objsize, n);
            bench_row_noref(name, b, "B");
            fprintf(stderr, "  %-20s objsize %5lld  %+8.1f B per socket\n", m->after.s[j].name,
                    m->after.s[j].objsize, b);
        }
        snprintf(name, sizeof name, "Linux per idle TCP socket: the other slab caches (N=%d)", n);
        bench_row_noref(name, rest, "B");
        snprintf(name, sizeof name, "Linux /proc/meminfo Slab growth per idle TCP socket (N=%d)",
                 n);
        bench_row_noref(name, m->meminfo, "B");
        snprintf(name, sizeof name, "Linux sockstat TCP mem growth, %d idle sockets", 2 * n);
        bench_row_noref(name, m->mempages, "pages");
        const struct slab *tw = find(&m->after, "tw_sock_TCP");
        if (tw)
            bench_row_noref("Linux TIME_WAIT socket (tw_sock_TCP object size)", (double)tw->objsize,
                            "B");
        else
            bench_skip("Linux TIME_WAIT socket", "no tw_sock_TCP row in /proc/slabinfo (merged)");
    }
    return 0;
}
