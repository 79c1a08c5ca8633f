/*
 * rt_test.h — helpers shared by the runtime unit tests (tests/runtime/test_*.c).
 *
 * A seeded PRNG (tests never use rand(): a failure must replay from its seed), a one-call
 * suite runner, a segment builder in the style of lwIP's tcp_helper, and checksum fix-ups for
 * tests that craft malformed headers by hand.
 */
#ifndef RT_TEST_H
#define RT_TEST_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

/* xorshift64* — deterministic, seed != 0 (0 is mapped to a fixed constant). */
uint64_t rt_rand(uint64_t *state);
/* Uniform in [0, n), n > 0. */
uint64_t rt_rand_below(uint64_t *state, uint64_t n);
void rt_fill_random(uint64_t *state, void *buf, size_t len);

/* Run every test of the suite (forking, Check's default), print Check's summary line and
 * return the process exit status. */
int rt_run_suite(Suite *s);

/* Directory for scratch files: $TCPFSM_TEST_TMPDIR (set by test-runtime), else /tmp. */
const char *rt_tmpdir(void);

/* Transition coverage: when $TCPFSM_COVERAGE_DIR is set, append st's per-transition counts
 * (tcpfsm_coverage) to $TCPFSM_COVERAGE_DIR/counts-<pid>.txt in fsmc's --coverage format,
 * one "INDEX COUNT" line per transition that fired; a no-op otherwise. Call it before
 * tcpfsm_stack_free; `make coverage-map` collects the files into build/tcp-coverage.svg. */
struct tcpfsm_stack;
void rt_coverage_save(struct tcpfsm_stack *st);

/* Build a complete IPv4+TCP datagram with no options; returns its length (0 if too big). */
size_t rt_build_tcp(void *buf, size_t cap, uint32_t saddr, uint16_t sport, uint32_t daddr,
                    uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t wnd,
                    const void *data, size_t len);

/* Recompute the IPv4 header checksum in place (header length from IHL). */
void rt_fix_ip_csum(uint8_t *pkt);
/* Recompute the TCP checksum in place, the segment being `tcp_len` bytes after the IP header. */
void rt_fix_tcp_csum(uint8_t *pkt, size_t tcp_len);

/* Check's ck_assert_* records every passing assertion's location through a pipe to the
 * parent (a syscall each); in loops of a million iterations that dominates the run time.
 * rt_require costs nothing until it fails, and then fails the test like ck_assert. */
#define rt_require(expr)                                                                           \
    do {                                                                                           \
        if (!(expr)) ck_abort_msg("%s:%d: requirement failed: %s", __FILE__, __LINE__, #expr);     \
    } while (0)

#define RT_IP(a, b, c, d)                                                                          \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

#endif /* RT_TEST_H */
