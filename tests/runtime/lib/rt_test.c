/*
 * rt_test.c — shared helpers of the runtime unit tests (see rt_test.h).
 */
#include "rt_test.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checksum.h"
#include "packet.h"
#include "tcpfsm.h"

uint64_t rt_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545f4914f6cdd1dULL;
}

uint64_t rt_rand_below(uint64_t *state, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rt_rand(state) * n) >> 64);
}

void rt_fill_random(uint64_t *state, void *buf, size_t len)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(rt_rand(state) >> 56);
}

int rt_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

const char *rt_tmpdir(void)
{
    const char *d = getenv("TCPFSM_TEST_TMPDIR");
    return d && *d ? d : "/tmp";
}

void rt_coverage_save(struct tcpfsm_stack *st)
{
    const char *dir = getenv("TCPFSM_COVERAGE_DIR");
    if (!st || !dir || !*dir) return;
    unsigned n = tcpfsm_coverage(st, NULL, 0);
    uint64_t *counts = calloc(n ? n : 1, sizeof *counts);
    if (!counts) return;
    tcpfsm_coverage(st, counts, n);
    /* Check forks a child per test: the pid keeps concurrent writers in separate files */
    char path[4096];
    snprintf(path, sizeof path, "%s/counts-%ld.txt", dir, (long)getpid());
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        fprintf(stderr, "rt_coverage_save: mkdir %s: %s\n", dir, strerror(errno));
    FILE *f = fopen(path, "a");
    if (!f) {
        fprintf(stderr, "rt_coverage_save: %s: %s\n", path, strerror(errno));
        free(counts);
        return;
    }
    fprintf(f, "# tcpfsm transition coverage: INDEX COUNT (tcp_fsm_transitions[], %u rows)\n", n);
    for (unsigned i = 0; i < n; i++)
        if (counts[i]) fprintf(f, "%u %" PRIu64 "\n", i, counts[i]);
    if (fclose(f) != 0) fprintf(stderr, "rt_coverage_save: %s: write error\n", path);
    free(counts);
}

size_t rt_build_tcp(void *buf, size_t cap, uint32_t saddr, uint16_t sport, uint32_t daddr,
                    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
                    const void *data, size_t len)
{
    struct tcp_seg s;
    memset(&s, 0, sizeof s);
    s.saddr = saddr;
    s.daddr = daddr;
    s.sport = sport;
    s.dport = dport;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.wnd = wnd;
    s.data = data;
    s.len = (uint32_t)len;
    return pkt_build(buf, cap, &s, 1);
}

void rt_fix_ip_csum(uint8_t *pkt)
{
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    pkt[10] = pkt[11] = 0;
    uint16_t c = inet_checksum(pkt, ihl);
    memcpy(pkt + 10, &c, 2);
}

void rt_fix_tcp_csum(uint8_t *pkt, size_t tcp_len)
{
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    uint8_t *th = pkt + ihl;
    uint32_t sa =
        (uint32_t)pkt[12] << 24 | (uint32_t)pkt[13] << 16 | (uint32_t)pkt[14] << 8 | pkt[15];
    uint32_t da =
        (uint32_t)pkt[16] << 24 | (uint32_t)pkt[17] << 16 | (uint32_t)pkt[18] << 8 | pkt[19];
    th[16] = th[17] = 0;
    uint16_t c = csum_fold(csum_add(csum_pseudo_ipv4(sa, da, 6, (uint16_t)tcp_len), th, tcp_len));
    memcpy(th + 16, &c, 2);
}
