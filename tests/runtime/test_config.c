/*
 * test_config.c — every field of struct tcpfsm_config has a documented range (the comments in
 * runtime/tcpfsm.h); tcpfsm_stack_new() refuses a value outside it with -EINVAL and NULL,
 * never wrapping or clamping it, and takes every value inside it exactly as given (0 selecting
 * the documented default where there is one). The limits then hold after creation: the
 * descriptor limit answers -EMFILE, and a large limit costs nothing until it is used.
 *
 * The ranges are one table, one row per case: the fields a row sets (on top of a valid base
 * configuration) and whether the stack must take them. For every field the table has the
 * lowest and the highest value accepted and the first value refused on each side.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "rt_test.h"
#include "tcp_layer.h"
#include "tcpfsm.h"

#define MS 1000u
#define S 1000000u
#define BASE_ADDR RT_IP(10, 0, 0, 2)
#define PEER_ADDR RT_IP(192, 0, 2, 1) /* RFC 5737 TEST-NET-1: outside every prefix used */

/* ------------------------------------------------------------------ helpers ---- */

/* What the callbacks of a stack under test saw. */
struct calls {
    unsigned outputs, randoms;
    uint64_t rng;
};

static void count_output(void *arg, const void *packet, size_t len)
{
    (void)packet;
    (void)len;
    ((struct calls *)arg)->outputs++;
}

static uint64_t count_random(void *arg)
{
    struct calls *c = arg;
    c->randoms++;
    return rt_rand(&c->rng);
}

/* Heap bytes in use (glibc >= 2.33), to measure what creating a stack costs; 0 where that
 * cannot be known, e.g. under AddressSanitizer, whose allocator glibc does not see. */
static size_t heap_in_use(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
#else
    return 0;
#endif
}

/* A valid configuration: only the required fields set, everything else default. */
static struct tcpfsm_config base_config(struct calls *c)
{
    *c = (struct calls){.rng = 42};
    return (struct tcpfsm_config){
        .addr = BASE_ADDR,
        .output = count_output,
        .output_arg = c,
        .random = count_random,
        .random_arg = c,
        .now = 1 * S,
    };
}

/* One field of struct tcpfsm_config, named, located and sized, with the value to give it. */
struct field_set {
    const char *name;
    size_t off, size;
    uint64_t value;
};

#define FIELD_SIZE(f) sizeof(((struct tcpfsm_config *)0)->f)
#define SET(f, v)                                                                                  \
    {                                                                                              \
        .name = #f, .off = offsetof(struct tcpfsm_config, f), .size = FIELD_SIZE(f),               \
        .value = (uint64_t)(v)                                                                     \
    }

/* Store v into the field, refusing (as a broken table row) a value the field cannot hold:
 * the test itself must never wrap what it means to ask for. */
static void field_store(struct tcpfsm_config *c, const struct field_set *f)
{
    unsigned char *p = (unsigned char *)c + f->off;
    if (f->size < 8 && f->value >> (8 * f->size))
        ck_abort_msg("table row: %llu does not fit the %zu-byte field %s",
                     (unsigned long long)f->value, f->size, f->name);
    switch (f->size) {
    case 1: {
        uint8_t v = (uint8_t)f->value;
        memcpy(p, &v, 1);
        break;
    }
    case 2: {
        uint16_t v = (uint16_t)f->value;
        memcpy(p, &v, 2);
        break;
    }
    case 4: {
        uint32_t v = (uint32_t)f->value;
        memcpy(p, &v, 4);
        break;
    }
    case 8:
        memcpy(p, &f->value, 8);
        break;
    default:
        ck_abort_msg("table row: field %s has size %zu", f->name, f->size);
    }
}

static uint64_t field_load(const struct tcpfsm_config *c, const struct field_set *f)
{
    const unsigned char *p = (const unsigned char *)c + f->off;
    switch (f->size) {
    case 1: {
        uint8_t v;
        memcpy(&v, p, 1);
        return v;
    }
    case 2: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

#define MAX_SETS 3

struct config_case {
    const char *why;                /* what the row pins down */
    struct field_set set[MAX_SETS]; /* fields changed from base_config (name NULL: none) */
    bool no_output;                 /* output = NULL */
    bool ok;                        /* accepted (else -EINVAL) */
};

#define ACCEPT(why_, ...)                                                                          \
    {                                                                                              \
        .why = why_, .set = {__VA_ARGS__}, .ok = true                                              \
    }
#define REFUSE(why_, ...)                                                                          \
    {                                                                                              \
        .why = why_, .set = {__VA_ARGS__}, .ok = false                                             \
    }

static const struct config_case config_cases[] = {
    /* addr: required, unicast, not 0/8, 127/8, 224/4 or 240/4 */
    REFUSE("addr 0 (required)", SET(addr, 0)),
    REFUSE("addr 0.255.255.255 is in 0/8", SET(addr, RT_IP(0, 255, 255, 255))),
    ACCEPT("addr 1.0.0.0, first after 0/8", SET(addr, RT_IP(1, 0, 0, 0))),
    ACCEPT("addr 126.255.255.255, last before 127/8", SET(addr, RT_IP(126, 255, 255, 255))),
    REFUSE("addr 127.0.0.1 (loopback)", SET(addr, RT_IP(127, 0, 0, 1))),
    REFUSE("addr 127.255.255.255 (loopback)", SET(addr, RT_IP(127, 255, 255, 255))),
    ACCEPT("addr 128.0.0.0, first after 127/8", SET(addr, RT_IP(128, 0, 0, 0))),
    ACCEPT("addr 223.255.255.255, last before 224/4", SET(addr, RT_IP(223, 255, 255, 255))),
    REFUSE("addr 224.0.0.1 (multicast)", SET(addr, RT_IP(224, 0, 0, 1))),
    REFUSE("addr 239.255.255.255 (multicast)", SET(addr, RT_IP(239, 255, 255, 255))),
    REFUSE("addr 240.0.0.1 (class E)", SET(addr, RT_IP(240, 0, 0, 1))),
    REFUSE("addr 255.255.255.255 (broadcast)", SET(addr, RT_IP(255, 255, 255, 255))),
    ACCEPT("addr 192.168.1.20, an ordinary unicast", SET(addr, RT_IP(192, 168, 1, 20))),
    /* output: required */
    {.why = "output NULL (required)", .no_output = true, .ok = false},
    /* prefix_len: 0..32 */
    ACCEPT("prefix_len 0 (unknown)", SET(prefix_len, 0)),
    ACCEPT("prefix_len 24", SET(prefix_len, 24)),
    ACCEPT("prefix_len 32", SET(prefix_len, 32)),
    REFUSE("prefix_len 33", SET(prefix_len, 33)),
    REFUSE("prefix_len 255", SET(prefix_len, 255)),
    /* mtu: 0 or 68..65535 */
    ACCEPT("mtu 0 (default 1500)", SET(mtu, 0)),
    REFUSE("mtu 1", SET(mtu, 1)),
    REFUSE("mtu 67", SET(mtu, 67)),
    ACCEPT("mtu 68 (RFC 791 minimum)", SET(mtu, 68)),
    ACCEPT("mtu 65535", SET(mtu, 65535)),
    /* max_sockets: 1..2^24 */
    ACCEPT("max_sockets 0 (default)", SET(max_sockets, 0)),
    ACCEPT("max_sockets 1", SET(max_sockets, 1)),
    ACCEPT("max_sockets 2^24", SET(max_sockets, 1u << 24)),
    REFUSE("max_sockets 2^24+1", SET(max_sockets, (1u << 24) + 1)),
    REFUSE("max_sockets 2^30 (4x wrapped to 0 once)", SET(max_sockets, 1u << 30)),
    REFUSE("max_sockets 2^30+1 (4x wrapped to 4 once)", SET(max_sockets, (1u << 30) + 1)),
    REFUSE("max_sockets 2^32-1", SET(max_sockets, UINT32_MAX)),
    /* sndbuf, rcvbuf: 1024..2^30 */
    ACCEPT("sndbuf 0 (default)", SET(sndbuf, 0)),
    REFUSE("sndbuf 1", SET(sndbuf, 1)),
    REFUSE("sndbuf 1023", SET(sndbuf, 1023)),
    ACCEPT("sndbuf 1024", SET(sndbuf, 1024)),
    ACCEPT("sndbuf 2^30", SET(sndbuf, 1u << 30)),
    REFUSE("sndbuf 2^30+1", SET(sndbuf, (1u << 30) + 1)),
    REFUSE("sndbuf 2^32-1", SET(sndbuf, UINT32_MAX)),
    ACCEPT("rcvbuf 0 (default)", SET(rcvbuf, 0)),
    REFUSE("rcvbuf 1", SET(rcvbuf, 1)),
    REFUSE("rcvbuf 1023", SET(rcvbuf, 1023)),
    ACCEPT("rcvbuf 1024", SET(rcvbuf, 1024)),
    ACCEPT("rcvbuf 2^30 (RFC 7323 largest window)", SET(rcvbuf, 1u << 30)),
    REFUSE("rcvbuf 2^30+1", SET(rcvbuf, (1u << 30) + 1)),
    REFUSE("rcvbuf 2^32-1", SET(rcvbuf, UINT32_MAX)),
    /* max_buffer_bytes: 4096..2^48 */
    ACCEPT("max_buffer_bytes 0 (default)", SET(max_buffer_bytes, 0)),
    REFUSE("max_buffer_bytes 1", SET(max_buffer_bytes, 1)),
    REFUSE("max_buffer_bytes 4095", SET(max_buffer_bytes, 4095)),
    ACCEPT("max_buffer_bytes 4096", SET(max_buffer_bytes, 4096)),
    ACCEPT("max_buffer_bytes 2^48", SET(max_buffer_bytes, (uint64_t)1 << 48)),
    REFUSE("max_buffer_bytes 2^48+1", SET(max_buffer_bytes, ((uint64_t)1 << 48) + 1)),
    REFUSE("max_buffer_bytes 2^64-1", SET(max_buffer_bytes, UINT64_MAX)),
    /* reasm_bytes: 1..rcvbuf (default = rcvbuf) */
    ACCEPT("reasm_bytes 0 (= rcvbuf)", SET(reasm_bytes, 0)),
    ACCEPT("reasm_bytes 1", SET(reasm_bytes, 1)),
    ACCEPT("reasm_bytes = default rcvbuf 65536", SET(reasm_bytes, 65536)),
    REFUSE("reasm_bytes default rcvbuf+1", SET(reasm_bytes, 65537)),
    ACCEPT("reasm_bytes = rcvbuf 4096", SET(rcvbuf, 4096), SET(reasm_bytes, 4096)),
    REFUSE("reasm_bytes rcvbuf 4096 + 1", SET(rcvbuf, 4096), SET(reasm_bytes, 4097)),
    ACCEPT("reasm_bytes = rcvbuf 2^30", SET(rcvbuf, 1u << 30), SET(reasm_bytes, 1u << 30)),
    REFUSE("reasm_bytes 2^30+1 > rcvbuf 2^30", SET(rcvbuf, 1u << 30),
           SET(reasm_bytes, (1u << 30) + 1)),
    REFUSE("reasm_bytes 2^32-1", SET(reasm_bytes, UINT32_MAX)),
    /* rto_max_us: 1 ms..3600 s */
    ACCEPT("rto_max_us 0 (default 60 s)", SET(rto_max_us, 0)),
    REFUSE("rto_max_us 999 us", SET(rto_max_us, 999)),
    ACCEPT("rto_max_us 1 ms (the minimum follows it down)", SET(rto_max_us, 1 * MS)),
    ACCEPT("rto_max_us 3600 s", SET(rto_max_us, 3600u * S)),
    REFUSE("rto_max_us 3600 s + 1 us", SET(rto_max_us, 3600u * S + 1)),
    REFUSE("rto_max_us 2^32-1 us", SET(rto_max_us, UINT32_MAX)),
    /* rto_min_us: 1 ms..rto_max */
    ACCEPT("rto_min_us 0 (default 1 s)", SET(rto_min_us, 0)),
    REFUSE("rto_min_us 999 us", SET(rto_min_us, 999)),
    ACCEPT("rto_min_us 1 ms", SET(rto_min_us, 1 * MS)),
    ACCEPT("rto_min_us = default rto_max 60 s", SET(rto_min_us, 60u * S)),
    REFUSE("rto_min_us > default rto_max 60 s", SET(rto_min_us, 60u * S + 1)),
    ACCEPT("rto_min_us = rto_max 10 ms", SET(rto_max_us, 10 * MS), SET(rto_min_us, 10 * MS)),
    REFUSE("rto_min_us > rto_max 10 ms", SET(rto_max_us, 10 * MS), SET(rto_min_us, 10 * MS + 1)),
    /* rto_initial_us: rto_min..rto_max */
    ACCEPT("rto_initial_us 0 (default 1 s)", SET(rto_initial_us, 0)),
    REFUSE("rto_initial_us below default rto_min 1 s", SET(rto_initial_us, 1u * S - 1)),
    ACCEPT("rto_initial_us = default rto_min 1 s", SET(rto_initial_us, 1u * S)),
    ACCEPT("rto_initial_us = default rto_max 60 s", SET(rto_initial_us, 60u * S)),
    REFUSE("rto_initial_us > default rto_max 60 s", SET(rto_initial_us, 60u * S + 1)),
    REFUSE("rto_initial_us 999 us < rto_min 1 ms", SET(rto_min_us, 1 * MS),
           SET(rto_initial_us, 999)),
    ACCEPT("rto_initial_us = rto_min 1 ms", SET(rto_min_us, 1 * MS), SET(rto_initial_us, 1 * MS)),
    REFUSE("rto_initial_us < rto_min 200 ms", SET(rto_min_us, 200 * MS),
           SET(rto_initial_us, 200 * MS - 1)),
    ACCEPT("rto_initial_us = rto_max 500 ms", SET(rto_max_us, 500 * MS),
           SET(rto_initial_us, 500 * MS)),
    REFUSE("rto_initial_us > rto_max 500 ms", SET(rto_max_us, 500 * MS),
           SET(rto_initial_us, 500 * MS + 1)),
    REFUSE("rto_initial_us < the default minimum min(1 s, rto_max 500 ms)",
           SET(rto_max_us, 500 * MS), SET(rto_initial_us, 500 * MS - 1)),
    ACCEPT("rto_min = rto_initial = rto_max = 3600 s", SET(rto_min_us, 3600u * S),
           SET(rto_initial_us, 3600u * S), SET(rto_max_us, 3600u * S)),
    REFUSE("rto_min above rto_initial", SET(rto_min_us, 2u * S), SET(rto_initial_us, 1u * S)),
    /* max_retries, syn_retries: 1..255 */
    ACCEPT("max_retries 0 (default 8)", SET(max_retries, 0)),
    ACCEPT("max_retries 1", SET(max_retries, 1)),
    ACCEPT("max_retries 255", SET(max_retries, 255)),
    REFUSE("max_retries 256", SET(max_retries, 256)),
    REFUSE("max_retries 2^32-1", SET(max_retries, UINT32_MAX)),
    ACCEPT("syn_retries 0 (default 7)", SET(syn_retries, 0)),
    ACCEPT("syn_retries 1", SET(syn_retries, 1)),
    ACCEPT("syn_retries 255", SET(syn_retries, 255)),
    REFUSE("syn_retries 256", SET(syn_retries, 256)),
    REFUSE("syn_retries 2^32-1", SET(syn_retries, UINT32_MAX)),
    /* msl_us: 1 ms..600 s */
    ACCEPT("msl_us 0 (default 30 s)", SET(msl_us, 0)),
    REFUSE("msl_us 999 us", SET(msl_us, 999)),
    ACCEPT("msl_us 1 ms", SET(msl_us, 1 * MS)),
    ACCEPT("msl_us 600 s", SET(msl_us, 600u * S)),
    REFUSE("msl_us 600 s + 1 us", SET(msl_us, 600u * S + 1)),
    REFUSE("msl_us 2^32-1 us", SET(msl_us, UINT32_MAX)),
    /* delack_us: 1 ms..200 ms */
    ACCEPT("delack_us 0 (default 40 ms)", SET(delack_us, 0)),
    REFUSE("delack_us 999 us", SET(delack_us, 999)),
    ACCEPT("delack_us 1 ms", SET(delack_us, 1 * MS)),
    ACCEPT("delack_us 200 ms", SET(delack_us, 200 * MS)),
    REFUSE("delack_us 200 ms + 1 us", SET(delack_us, 200 * MS + 1)),
    REFUSE("delack_us 201 ms", SET(delack_us, 201 * MS)),
    REFUSE("delack_us 500 ms (RFC 9293 MUST-40 bound)", SET(delack_us, 500 * MS)),
    /* flags: TCPFSM_F_* only */
    ACCEPT("flags 0", SET(flags, 0)),
    ACCEPT("flags TCPFSM_F_ALL", SET(flags, TCPFSM_F_ALL)),
    REFUSE("flags first unknown bit", SET(flags, TCPFSM_F_ALL + 1)),
    REFUSE("flags known bits plus an unknown one", SET(flags, TCPFSM_F_CUBIC | 0x100)),
    REFUSE("flags top bit", SET(flags, 0x80000000u)),
    /* user_timeout_us, challenge_ack_limit, now: any value */
    ACCEPT("user_timeout_us 1 us", SET(user_timeout_us, 1)),
    ACCEPT("user_timeout_us 2^32-1 us", SET(user_timeout_us, UINT32_MAX)),
    ACCEPT("challenge_ack_limit 1", SET(challenge_ack_limit, 1)),
    ACCEPT("challenge_ack_limit 2^32-1", SET(challenge_ack_limit, UINT32_MAX)),
    ACCEPT("now 0", SET(now, 0)),
    ACCEPT("now 2^60 us", SET(now, (uint64_t)1 << 60)),
};

#define NCASES (sizeof config_cases / sizeof config_cases[0])

static struct tcpfsm_config case_config(const struct config_case *c, struct calls *calls)
{
    struct tcpfsm_config cfg = base_config(calls);
    for (int i = 0; i < MAX_SETS && c->set[i].name; i++)
        field_store(&cfg, &c->set[i]);
    if (c->no_output) cfg.output = NULL;
    return cfg;
}

/* An accepted stack works: a socket connects (its SYN goes out through `output`, a
 * retransmission timer is armed) and the stack is freed with everything in it. */
static void exercise(struct tcpfsm_stack *st, const struct calls *calls, const char *why)
{
    int fd = tcpfsm_socket(st);
    if (fd < 0) ck_abort_msg("%s: tcpfsm_socket -> %d", why, fd);
    unsigned before = calls->outputs;
    int e = tcpfsm_connect(st, fd, PEER_ADDR, 80);
    if (e != -EINPROGRESS) ck_abort_msg("%s: tcpfsm_connect -> %d", why, e);
    if (calls->outputs != before + 1) ck_abort_msg("%s: no SYN sent", why);
    if (tcpfsm_next_timeout(st) == UINT64_MAX) ck_abort_msg("%s: no timer armed", why);
    struct tcpfsm_info info;
    if (tcpfsm_get_info(st, fd, &info) || strcmp(info.state, "SYN_SENT") != 0)
        ck_abort_msg("%s: not in SYN_SENT", why);
}

/* ------------------------------------------------------------------- ranges ---- */

/* Each row alone: an out-of-range value gives NULL and -EINVAL and calls nothing back; an
 * in-range one gives a working stack that holds the value exactly as given. */
START_TEST(every_field_range_edge_is_accepted_or_refused_with_einval)
{
    const struct config_case *c = &config_cases[_i];
    struct calls calls;
    struct tcpfsm_config cfg = case_config(c, &calls);
    int err = 12345;
    struct tcpfsm_stack *st = tcpfsm_stack_new(&cfg, &err);
    if (!c->ok) {
        if (st) tcpfsm_stack_free(st);
        ck_assert_msg(st == NULL, "row %d (%s): accepted, should be refused", _i, c->why);
        ck_assert_msg(err == -EINVAL, "row %d (%s): err %d, want -EINVAL", _i, c->why, err);
        ck_assert_msg(calls.outputs == 0 && calls.randoms == 0,
                      "row %d (%s): a refused config called back", _i, c->why);
        /* err is optional */
        ck_assert_ptr_null(tcpfsm_stack_new(&cfg, NULL));
        return;
    }
    ck_assert_msg(st != NULL, "row %d (%s): refused (err %d), should be accepted", _i, c->why, err);
    ck_assert_msg(err == 0, "row %d (%s): err %d on success", _i, c->why, err);
    for (int i = 0; i < MAX_SETS && c->set[i].name; i++) {
        const struct field_set *f = &c->set[i];
        uint64_t kept = field_load(&st->cfg, f);
        ck_assert_msg(!f->value || kept == f->value,
                      "row %d (%s): %s = %llu kept as %llu (clamped or wrapped)", _i, c->why,
                      f->name, (unsigned long long)f->value, (unsigned long long)kept);
    }
    exercise(st, &calls, c->why);
    tcpfsm_stack_free(st);
}
END_TEST

START_TEST(null_config_is_refused_with_einval)
{
    int err = 0;
    ck_assert_ptr_null(tcpfsm_stack_new(NULL, &err));
    ck_assert_int_eq(err, -EINVAL);
    ck_assert_ptr_null(tcpfsm_stack_new(NULL, NULL));
}
END_TEST

/* 0 selects the default the header documents, for every field that has one. */
START_TEST(zero_fields_select_the_documented_defaults)
{
    struct calls calls;
    struct tcpfsm_config cfg = base_config(&calls);
    struct tcpfsm_stack *st = tcpfsm_stack_new(&cfg, NULL);
    ck_assert_ptr_nonnull(st);
    const struct tcpfsm_config *c = &st->cfg;
    ck_assert_uint_eq(c->mtu, 1500);
    ck_assert_uint_eq(c->max_sockets, 65536);
    ck_assert_uint_eq(c->sndbuf, 65536);
    ck_assert_uint_eq(c->rcvbuf, 65536);
    ck_assert_uint_eq(c->max_buffer_bytes, 64u << 20);
    ck_assert_uint_eq(c->reasm_bytes, c->rcvbuf);
    ck_assert_uint_eq(c->rto_min_us, 1 * S);
    ck_assert_uint_eq(c->rto_initial_us, 1 * S);
    ck_assert_uint_eq(c->rto_max_us, 60 * S);
    ck_assert_uint_eq(c->max_retries, 8);
    ck_assert_uint_eq(c->syn_retries, 7);
    ck_assert_uint_eq(c->msl_us, 30 * S);
    ck_assert_uint_eq(c->delack_us, 40 * MS);
    ck_assert_uint_eq(c->user_timeout_us, 0);
    ck_assert_uint_eq(c->challenge_ack_limit, 1000);
    tcpfsm_stack_free(st);

    /* defaults that depend on another field: reasm_bytes follows rcvbuf; the RTO minimum
     * and initial value follow an rto_max below 1 s down */
    cfg = base_config(&calls);
    cfg.rcvbuf = 4096;
    cfg.rto_max_us = 300 * MS;
    st = tcpfsm_stack_new(&cfg, NULL);
    ck_assert_ptr_nonnull(st);
    ck_assert_uint_eq(st->cfg.reasm_bytes, 4096);
    ck_assert_uint_eq(st->cfg.rto_min_us, 300 * MS);
    ck_assert_uint_eq(st->cfg.rto_initial_us, 300 * MS);
    tcpfsm_stack_free(st);

    /* an rto_min above 1 s raises the default initial RTO with it (RFC 6298 2.1 vs 2.4) */
    cfg = base_config(&calls);
    cfg.rto_min_us = 3 * S;
    st = tcpfsm_stack_new(&cfg, NULL);
    ck_assert_ptr_nonnull(st);
    ck_assert_uint_eq(st->cfg.rto_initial_us, 3 * S);
    tcpfsm_stack_free(st);
}
END_TEST

/* ----------------------------------------------------- limits after creation ---- */

/* max_sockets = 3: the 4th descriptor is -EMFILE (listeners count too, and a failed call
 * leaks nothing); closing one lets exactly one new one in, with the lowest free number. */
START_TEST(max_sockets_limit_gives_emfile_and_close_frees_a_slot)
{
    struct calls calls;
    struct tcpfsm_config cfg = base_config(&calls);
    cfg.max_sockets = 3;
    struct tcpfsm_stack *st = tcpfsm_stack_new(&cfg, NULL);
    ck_assert_ptr_nonnull(st);
    int l = tcpfsm_socket(st);
    ck_assert_int_eq(l, 0);
    ck_assert_int_eq(tcpfsm_bind(st, l, 0, 80), 0);
    ck_assert_int_eq(tcpfsm_listen(st, l, 8), 0);
    int a = tcpfsm_socket(st), b = tcpfsm_socket(st);
    ck_assert_int_eq(a, 1);
    ck_assert_int_eq(b, 2);
    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(tcpfsm_socket(st), -EMFILE);
    ck_assert_uint_le(st->fds_cap, 3);
    ck_assert_int_eq(tcpfsm_connect(st, a, PEER_ADDR, 80), -EINPROGRESS);
    ck_assert_int_eq(tcpfsm_close(st, a), 0);
    ck_assert_int_eq(tcpfsm_socket(st), 1); /* the freed number */
    ck_assert_int_eq(tcpfsm_socket(st), -EMFILE);
    ck_assert_int_eq(tcpfsm_close(st, l), 0);
    ck_assert_int_eq(tcpfsm_socket(st), 0);
    ck_assert_int_eq(tcpfsm_socket(st), -EMFILE);
    tcpfsm_stack_free(st);
}
END_TEST

/* What one life of a stack with max_sockets = 2^24 showed (huge_stack_life). */
struct huge_life {
    size_t created; /* heap bytes tcpfsm_stack_new took */
    uint32_t max_conns, tw_max, syn_max;
    bool fds_at_creation;                /* a descriptor table existed before any socket */
    uint32_t tables_at_creation;         /* the largest of the connection and record tables */
    unsigned outputs;                    /* SYNs sent by the 1,000 connecting sockets */
    uint32_t fds_cap, nconns, hash_size; /* with 1,000 sockets */
    uint32_t nconns_after_close, fds_cap_at_end; /* after closing and reopening half */
};

/* Create a stack allowed 2^24 descriptors, open 1,000 sockets that each connect, close every
 * second one and open as many again, free the stack. No ck_assert inside (Check allocates
 * for each): rt_require, and the figures in *l for the caller to check. */
static void huge_stack_life(struct huge_life *l)
{
    enum { N = 1000 };
    struct calls calls;
    struct tcpfsm_config cfg = base_config(&calls);
    cfg.max_sockets = 1u << 24;
    size_t heap0 = heap_in_use();
    struct tcpfsm_stack *st = tcpfsm_stack_new(&cfg, NULL);
    rt_require(st != NULL);
    l->created = heap_in_use() - heap0;
    rt_require(st->cfg.max_sockets == 1u << 24);
    l->max_conns = st->max_conns;
    l->tw_max = st->tw.max;
    l->syn_max = st->syn.max;
    l->fds_at_creation = st->fds != NULL || st->fds_cap != 0;
    l->tables_at_creation = st->hash_mask + 1;
    if (st->tw.mask + 1 > l->tables_at_creation) l->tables_at_creation = st->tw.mask + 1;
    if (st->syn.mask + 1 > l->tables_at_creation) l->tables_at_creation = st->syn.mask + 1;
    for (int i = 0; i < N; i++) {
        rt_require(tcpfsm_socket(st) == i);
        rt_require(tcpfsm_connect(st, i, PEER_ADDR, 80) == -EINPROGRESS);
    }
    l->outputs = calls.outputs;
    l->fds_cap = st->fds_cap;
    l->nconns = st->nconns;
    l->hash_size = st->hash_mask + 1;
    for (int i = 0; i < N; i += 2)
        rt_require(tcpfsm_close(st, i) == 0);
    l->nconns_after_close = st->nconns;
    for (int i = 0; i < N; i += 2)
        rt_require(tcpfsm_socket(st) == i); /* the freed numbers */
    rt_require(tcpfsm_socket(st) == N);
    l->fds_cap_at_end = st->fds_cap;
    tcpfsm_stack_free(st);
}

/* max_sockets = 2^24 (the largest) costs little at creation: no descriptor table, the
 * connection and record tables at their first size (64 entries), under 256 KiB of heap in
 * all where tables sized for 2^26 connections would take 512 MiB; the connection bound is
 * 4 * 2^24 = 2^26 exactly (not wrapped). The tables grow with use: 1,000 connecting sockets
 * take a 1024-entry descriptor table and a connection table at most half full; closing half
 * of them gives their numbers back. tcpfsm_stack_free gives back every byte: under
 * `make SAN=1` LeakSanitizer fails this test if anything is left (the stack is only ever
 * referenced from huge_stack_life's frame, so nothing keeps a leak reachable). */
START_TEST(huge_max_sockets_costs_little_and_tables_grow_with_use)
{
    struct huge_life life;
    huge_stack_life(&life);
    const struct huge_life *l = &life;
    ck_assert_uint_le(l->created, 256 * 1024);
    ck_assert_uint_eq(l->max_conns, 1u << 26);
    ck_assert_uint_eq(l->tw_max, 1u << 26);
    ck_assert_uint_eq(l->syn_max, 1u << 26);
    ck_assert(!l->fds_at_creation);
    ck_assert_uint_le(l->tables_at_creation, 64);
    ck_assert_uint_eq(l->outputs, 1000); /* one SYN each */
    ck_assert_uint_eq(l->fds_cap, 1024);
    ck_assert_uint_eq(l->nconns, 1000);
    ck_assert_uint_ge(l->hash_size, 2 * 1000);
    ck_assert_uint_le(l->hash_size, 4 * 1000);
    ck_assert_uint_eq(l->nconns_after_close, 500);
    ck_assert_uint_eq(l->fds_cap_at_end, 1024);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("ranges");
    tcase_add_loop_test(tc, every_field_range_edge_is_accepted_or_refused_with_einval, 0,
                        (int)NCASES);
    tcase_add_test(tc, null_config_is_refused_with_einval);
    tcase_add_test(tc, zero_fields_select_the_documented_defaults);
    suite_add_tcase(s, tc);
    TCase *lim = tcase_create("limits");
    tcase_set_timeout(lim, 30);
    tcase_add_test(lim, max_sockets_limit_gives_emfile_and_close_frees_a_slot);
    tcase_add_test(lim, huge_max_sockets_costs_little_and_tables_grow_with_use);
    suite_add_tcase(s, lim);
    return rt_run_suite(s);
}
