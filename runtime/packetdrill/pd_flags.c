/*
 * pd_flags.c — --so_flags: "key=value" words, separated by spaces or commas, that set the
 * stack's configuration (struct tcpfsm_config) and the adapter's own knobs. docs/packetdrill.md
 * lists them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "pd.h"

enum pd_flag_kind { FK_ADDR, FK_U32, FK_MS, FK_SECONDS, FK_OFF_BIT, FK_BOOL, FK_CC };

struct pd_flag {
    const char *name;
    enum pd_flag_kind kind;
    size_t off; /* into struct tcpfsm_config (FK_SECONDS, FK_BOOL: into struct pd) */
    uint32_t bit;
};

#define CFG(f) offsetof(struct tcpfsm_config, f)
static const struct pd_flag pd_flags[] = {
    {"local_ip", FK_ADDR, CFG(addr), 0},
    {"mtu", FK_U32, CFG(mtu), 0},
    {"sndbuf", FK_U32, CFG(sndbuf), 0},
    {"rcvbuf", FK_U32, CFG(rcvbuf), 0},
    {"syn_retries", FK_U32, CFG(syn_retries), 0},
    {"max_retries", FK_U32, CFG(max_retries), 0},
    {"rto_min_ms", FK_MS, CFG(rto_min_us), 0},
    {"rto_initial_ms", FK_MS, CFG(rto_initial_us), 0},
    {"rto_max_ms", FK_MS, CFG(rto_max_us), 0},
    {"delack_ms", FK_MS, CFG(delack_us), 0},
    {"msl_ms", FK_MS, CFG(msl_us), 0},
    {"user_timeout_ms", FK_MS, CFG(user_timeout_us), 0},
    {"sack", FK_OFF_BIT, CFG(flags), TCPFSM_F_NO_SACK},
    {"wscale", FK_OFF_BIT, CFG(flags), TCPFSM_F_NO_WSCALE},
    {"timestamps", FK_OFF_BIT, CFG(flags), TCPFSM_F_NO_TIMESTAMPS},
    {"syncookies", FK_OFF_BIT, CFG(flags), TCPFSM_F_NO_SYNCOOKIES},
    {"cc", FK_CC, CFG(flags), TCPFSM_F_CUBIC},
    {"receive_timeout_s", FK_SECONDS, offsetof(struct pd, recv_timeout_us), 0},
    {"trace", FK_BOOL, offsetof(struct pd, trace), 0},
};
#undef CFG

static int pd_flag_bad(struct pd *pd, const char *what, const char *word, size_t n)
{
    if (n)
        snprintf(pd->bad_flag_text, sizeof pd->bad_flag_text, "%s '%.*s'", what, (int)n, word);
    else
        snprintf(pd->bad_flag_text, sizeof pd->bad_flag_text, "%s", what);
    pd->bad_flags = pd->bad_flag_text;
    return -EINVAL;
}

static bool pd_number(const char *v, size_t n, uint64_t max, uint64_t *out)
{
    if (!n || n > 20) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9' || x > (max - (uint64_t)(v[i] - '0')) / 10u) return false;
        x = x * 10u + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return true;
}

static int pd_flag_set(struct pd *pd, const struct pd_flag *f, const char *v, size_t n)
{
    unsigned char *cfg = (unsigned char *)&pd->cfg, *self = (unsigned char *)pd;
    uint64_t x = 0;
    char text[32];
    uint32_t u;
    switch (f->kind) {
    case FK_ADDR: {
        struct in_addr a;
        if (n >= sizeof text) return -EINVAL;
        memcpy(text, v, n);
        text[n] = '\0';
        if (inet_pton(AF_INET, text, &a) != 1) return -EINVAL;
        u = ntohl(a.s_addr);
        memcpy(cfg + f->off, &u, sizeof u);
        return 0;
    }
    case FK_U32:
    case FK_MS:
        if (!pd_number(v, n, f->kind == FK_MS ? UINT32_MAX / 1000u : UINT32_MAX, &x))
            return -EINVAL;
        if (f->off == offsetof(struct tcpfsm_config, mtu)) {
            if (x > UINT16_MAX) return -EINVAL;
            pd->cfg.mtu = (uint16_t)x;
            return 0;
        }
        u = (uint32_t)(f->kind == FK_MS ? x * 1000u : x);
        memcpy(cfg + f->off, &u, sizeof u);
        return 0;
    case FK_SECONDS:
        if (!pd_number(v, n, 86400u, &x) || !x) return -EINVAL;
        pd->recv_timeout_us = x * 1000000u;
        return 0;
    case FK_BOOL:
        if (n != 1 || (*v != '0' && *v != '1')) return -EINVAL;
        self[f->off] = *v == '1';
        return 0;
    case FK_OFF_BIT: /* sack=0 sets TCPFSM_F_NO_SACK */
        if (n != 1 || (*v != '0' && *v != '1')) return -EINVAL;
        if (*v == '0')
            pd->cfg.flags |= f->bit;
        else
            pd->cfg.flags &= ~f->bit;
        return 0;
    case FK_CC:
        if (n == 4 && !memcmp(v, "reno", 4))
            pd->cfg.flags &= ~f->bit;
        else if (n == 5 && !memcmp(v, "cubic", 5))
            pd->cfg.flags |= f->bit;
        else
            return -EINVAL;
        return 0;
    }
    return -EINVAL;
}

/* "linux": the defaults of a Linux host where they are knobs of ours (RTO floor 200 ms,
 * tcp_syn_retries 6, tcp_retries2 15, CUBIC); the words after it still apply. */
static void pd_flags_linux(struct pd *pd)
{
    pd->cfg.rto_min_us = 200000;
    pd->cfg.syn_retries = 6;
    pd->cfg.max_retries = 15;
    pd->cfg.flags |= TCPFSM_F_CUBIC;
}

int pd_parse_flags(struct pd *pd, const char *flags)
{
    for (const char *p = flags ? flags : ""; *p;) {
        size_t n = strcspn(p, " \t,");
        if (!n) {
            p++;
            continue;
        }
        const char *eq = memchr(p, '=', n);
        size_t klen = eq ? (size_t)(eq - p) : n;
        const struct pd_flag *f = NULL;
        for (size_t i = 0; i < sizeof pd_flags / sizeof pd_flags[0]; i++)
            if (strlen(pd_flags[i].name) == klen && !memcmp(pd_flags[i].name, p, klen))
                f = &pd_flags[i];
        if (!eq && klen == 5 && !memcmp(p, "linux", 5))
            pd_flags_linux(pd);
        else if (!f)
            return pd_flag_bad(pd, "unknown --so_flags word", p, n);
        else if (!eq || pd_flag_set(pd, f, eq + 1, n - klen - 1))
            return pd_flag_bad(pd, "bad --so_flags value", p, n);
        p += n;
    }
    return 0;
}

static void pd_discard(void *arg, const void *packet, size_t len)
{
    (void)arg, (void)packet, (void)len;
}

/* The configuration is checked now, by making a stack and dropping it, so that a value out
 * of range shows at the script's first line rather than when the stack is needed. */
int pd_check_config(struct pd *pd)
{
    struct tcpfsm_config c = pd->cfg;
    if (!c.addr) c.addr = pd->default_addr;
    c.output = pd_discard;
    int err = 0;
    struct tcpfsm_stack *st = tcpfsm_stack_new(&c, &err);
    if (!st) return pd_flag_bad(pd, "a --so_flags value out of range (see tcpfsm.h)", "", 0);
    tcpfsm_stack_free(st);
    return 0;
}
