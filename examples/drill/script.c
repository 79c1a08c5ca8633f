/*
 * script.c — reading a script: memory, the parser's driver and its diagnostics, the options
 * a script or the command line may give, and the checks made before anything runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill.h"
#include "drill_parser.h"

/* ------------------------------------------------------------------- memory ---- */

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

static void *xalloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) {
        fputs("tcpfsm-drill: out of memory\n", stderr);
        exit(2);
    }
    return p;
}

void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        c = xalloc(sizeof *c + cap);
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void arena_free(struct arena *a)
{
    while (a->head) {
        struct arena_chunk *c = a->head;
        a->head = c->next;
        free(c);
    }
}

void sb_vprintf(struct sb *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 128;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            fputs("tcpfsm-drill: out of memory\n", stderr);
            exit(2);
        }
        b->s = s;
        b->cap = cap;
    }
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    b->len += (size_t)n;
}

void sb_printf(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

void sb_clear(struct sb *b)
{
    b->len = 0;
    if (b->s) b->s[0] = '\0';
}

void sb_free(struct sb *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

const char *sb_str(const struct sb *b)
{
    return b->s ? b->s : "";
}

/* ------------------------------------------------------------------ parsing ---- */

int parse_error(struct parse_ctx *p, int line, const char *kind, const char *fmt, ...)
{
    if (p->err_status) return -1; /* the first error is the one reported */
    p->err_status = 2;
    sb_printf(&p->err, "%s:%d: %s: ", p->script->path, line, kind);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&p->err, fmt, ap);
    va_end(ap);
    return -1;
}

const char *script_line_text(const struct script *s, int line, size_t *len)
{
    const char *p = s->text, *end = s->text + s->len;
    for (int l = 1; l < line && p < end; p++)
        if (*p == '\n') l++;
    const char *e = p;
    while (e < end && *e != '\n')
        e++;
    *len = (size_t)(e - p);
    return p;
}

int script_parse_text(struct arena *a, const char *path, const char *text, size_t len,
                      const struct drill_config *c, struct script *s, struct sb *err)
{
    memset(s, 0, sizeof *s);
    s->path = path;
    s->text = text;
    s->len = len;
    if (memchr(text, '\0', len)) {
        sb_printf(err, "%s: parse error: the script contains a NUL byte", path);
        return 2;
    }
    if (len > (size_t)1 << 30) {
        sb_printf(err, "%s: parse error: the script is larger than 1 GiB", path);
        return 2;
    }
    struct parse_ctx p = {.arena = a, .script = s, .config = c};
    int r = lexer_run(&p, text, len);
    if (!p.err_status && r != 0) parse_error(&p, p.line, "parse error", "cannot parse the script");
    if (!p.err_status) {
        /* options are kept in the order they were written */
        struct script_option *rev = NULL;
        while (s->options) {
            struct script_option *o = s->options;
            s->options = o->next;
            o->next = rev;
            rev = o;
        }
        s->options = rev;
    }
    int status = p.err_status;
    if (status) sb_printf(err, "%s", sb_str(&p.err));
    sb_free(&p.err);
    return status;
}

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            char *b = realloc(buf, cap * 2);
            if (!b) break;
            buf = b;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) break;
            *len = n;
            return buf;
        }
    }
    free(buf);
    return NULL;
}

int script_load(struct arena *a, const char *path, const struct drill_config *c, struct script *s)
{
    bool std = strcmp(path, "-") == 0;
    FILE *f = std ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: parse error opening script file: %s\n", path, strerror(errno));
        return 2;
    }
    size_t len = 0;
    char *buf = read_all(f, &len);
    int e = errno;
    if (!std) fclose(f);
    if (!buf) {
        fprintf(stderr, "%s: parse error reading script file: %s\n", path, strerror(e));
        return 2;
    }
    char *text = arena_strndup(a, buf, len);
    free(buf);
    struct sb err = {0};
    int r = script_parse_text(a, std ? "<stdin>" : path, text, len, c, s, &err);
    if (r) fprintf(stderr, "%s\n", sb_str(&err));
    sb_free(&err);
    return r;
}

/* -------------------------------------------------------------------- options ---- */

void config_defaults(struct drill_config *c)
{
    memset(c, 0, sizeof *c);
    c->tolerance_usecs = 4000;
    c->tolerance_percent = 12.5;
    c->local_ip = 0xc0a80001u;  /* 192.168.0.1 */
    c->remote_ip = 0xc0000201u; /* 192.0.2.1 */
    c->bind_port = 8080;
    c->connect_port = 8080;
    c->mtu = 1500;
    c->seed = 1;
}

int parse_ipv4(const char *s, uint32_t *out)
{
    uint32_t a = 0;
    for (int i = 0; i < 4; i++) {
        if (*s < '0' || *s > '9') return -1;
        unsigned v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (v > 255 || digits > 3) return -1;
        a = a << 8 | v;
        if (i < 3 && *s++ != '.') return -1;
    }
    if (*s) return -1;
    *out = a;
    return 0;
}

static int number_opt(const char *v, long long lo, long long hi, long long *out)
{
    if (!v || !*v) return -1;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (*end || errno || x < lo || x > hi) return -1;
    *out = x;
    return 0;
}

/* Options of packetdrill's that make no sense without a kernel, a TUN device or a wire. */
static const char *const unsupported_options[] = {
    "ip_version=ipv6",  "wire_client",     "wire_server",     "wire_server_ip", "wire_server_at",
    "wire_server_port", "wire_client_dev", "wire_server_dev", "so_filename",    "code_command",
    "code_format",      "code_sockopt",    "init_scripts",    "speed",          "mss",
    "non_fatal",        "is_anyip",        "send_omit_free",  "psp_udp_port",   "debug",
};

/* --so_flags: the words of libtcpfsm-packetdrill.so (docs/packetdrill.md) that this drill
 * takes too, so one script header configures the stack under both runners: mtu=N (real
 * packetdrill's --mtu sets its TUN device's MTU, which the adapter never sees). Words separated
 * by spaces or commas; another word is refused. */
static int so_flags_option(struct drill_config *c, const char *value, struct sb *err)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", value);
    char *save = NULL;
    for (char *w = strtok_r(buf, " ,", &save); w; w = strtok_r(NULL, " ,", &save)) {
        long long n;
        if (!strncmp(w, "mtu=", 4) && !number_opt(w + 4, 68, 65535, &n)) {
            c->mtu = (uint16_t)n;
            continue;
        }
        if (!strncmp(w, "mtu=", 4)) {
            sb_printf(err, "bad --so_flags word: %s", w);
            return -1;
        }
        sb_printf(err,
                  "unsupported: --so_flags word '%s': tcpfsm-drill takes mtu=N (the adapter's "
                  "other words configure what the drill sets otherwise, or not at all)",
                  w);
        return -2;
    }
    return 0;
}

int config_option(struct drill_config *c, const char *name, const char *value, struct sb *err)
{
    long long n;
    bool flag = !value;
#define NEED_VALUE                                                                                 \
    if (flag) {                                                                                    \
        sb_printf(err, "option '%s' requires an argument", name);                                  \
        return -1;                                                                                 \
    }
#define BAD                                                                                        \
    do {                                                                                           \
        sb_printf(err, "bad --%s: %s", name, value);                                               \
        return -1;                                                                                 \
    } while (0)
    if (!strcmp(name, "tolerance_usecs")) {
        NEED_VALUE;
        if (number_opt(value, 1, 3600000000LL, &n)) BAD;
        c->tolerance_usecs = (long)n;
    } else if (!strcmp(name, "tolerance_percent")) {
        NEED_VALUE;
        char *end;
        double p = strtod(value, &end);
        if (*end || !(p >= 0.0 && p <= 100.0)) BAD;
        c->tolerance_percent = p;
    } else if (!strcmp(name, "local_ip") || !strcmp(name, "remote_ip") ||
               !strcmp(name, "gateway_ip") || !strcmp(name, "netmask_ip")) {
        NEED_VALUE;
        uint32_t a;
        if (strchr(value, ':')) {
            sb_printf(err, "unsupported: --%s=%s: tcpfsm is an IPv4 stack", name, value);
            return -2;
        }
        if (parse_ipv4(value, &a)) BAD;
        if (!strcmp(name, "local_ip")) c->local_ip = a;
        if (!strcmp(name, "remote_ip")) c->remote_ip = a;
    } else if (!strcmp(name, "bind_port") || !strcmp(name, "connect_port")) {
        NEED_VALUE;
        if (number_opt(value, 1, 65535, &n)) BAD;
        *(name[0] == 'b' ? &c->bind_port : &c->connect_port) = (uint16_t)n;
    } else if (!strcmp(name, "mtu")) {
        NEED_VALUE;
        if (number_opt(value, 68, 65535, &n)) BAD;
        c->mtu = (uint16_t)n;
    } else if (!strcmp(name, "so_flags")) {
        NEED_VALUE;
        return so_flags_option(c, value, err);
    } else if (!strcmp(name, "tcp_ts_tick_usecs")) {
        NEED_VALUE;
        if (number_opt(value, 0, 1000000, &n)) BAD;
        c->ts_tick_usecs = (int)n;
    } else if (!strcmp(name, "tcp_ts_ecr_scaled") || !strcmp(name, "strict_segments") ||
               !strcmp(name, "verbose") || !strcmp(name, "dry_run") ||
               !strcmp(name, "ignore_leftovers")) {
        if (!flag) {
            sb_printf(err, "option '%s' forbids an argument", name);
            return -1;
        }
        if (name[0] == 't') c->ts_ecr_scaled = true;
        if (name[0] == 'v') c->verbose = true;
        if (name[0] == 'd') c->dry_run = true;
        if (name[0] == 'i') c->ignore_leftovers = true;
        /* strict_segments: tcpfsm-drill never joins segments, so it is always strict */
    } else if (!strcmp(name, "ip_version") && value && !strcmp(value, "ipv4")) {
        /* the only one */
    } else if (!strcmp(name, "seed")) {
        NEED_VALUE;
        char *end;
        errno = 0;
        unsigned long long s = strtoull(value, &end, 0);
        if (*end || errno || !*value) BAD;
        c->seed = s;
    } else {
        char full[128];
        snprintf(full, sizeof full, "%s=%s", name, value ? value : "");
        for (size_t i = 0; i < sizeof unsupported_options / sizeof *unsupported_options; i++) {
            const char *u = unsupported_options[i];
            if (!strcmp(u, name) || !strcmp(u, full) ||
                (!strcmp(name, "ip_version") && strncmp(u, "ip_version", 10) == 0)) {
                sb_printf(err,
                          "unsupported: option '--%s': tcpfsm-drill runs the stack in-process "
                          "on a virtual clock (no kernel, TUN device or wire)",
                          name);
                return -2;
            }
        }
        sb_printf(err, "option '%s' unknown", name);
        return -1;
    }
    return 0;
#undef NEED_VALUE
#undef BAD
}

/* --------------------------------------------------------------- before running ---- */

int script_check(const struct script *s, struct sb *err)
{
    if (s->init_command || s->cleanup_command) {
        sb_printf(err,
                  "%s:%d: unsupported: shell command `%s`: tcpfsm-drill runs no commands (the "
                  "stack is set up by the script's options and socket calls)",
                  s->path, s->init_command ? s->init_line : s->cleanup_line,
                  s->init_command ? s->init_command : s->cleanup_command);
        return 2;
    }
    for (const struct event *e = s->events; e; e = e->next) {
        struct sb m = {0};
        const char *kind = NULL;
        if (e->kind == A_COMMAND) {
            sb_printf(&m, "shell command `%s`: tcpfsm-drill runs no commands", e->text);
            kind = "unsupported";
        } else if (e->kind == A_CODE && code_check(e->text, &m)) {
            kind = "unsupported";
        } else if (e->kind == A_SYSCALL) {
            int r = syscall_check(e->sys, &m);
            if (r) kind = r == -2 ? "unsupported" : "semantic error";
        }
        if (kind) {
            sb_printf(err, "%s:%d: %s: %s", s->path, e->line, kind, sb_str(&m));
            sb_free(&m);
            return 2;
        }
        sb_free(&m);
    }
    return 0;
}
