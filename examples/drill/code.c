/*
 * code.c — the part of packetdrill's inline Python (`%{ ... }%`) that scripts use to check a
 * connection's state: assert statements over tcpi_* values, such as
 *
 *     +0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%
 *     +0 %{ assert tcpi_state == TCP_ESTABLISHED and tcpi_rto >= 1000000 }%
 *
 * packetdrill records TCP_INFO at the line and runs Python after the script; here the
 * expression is evaluated at the line, on tcpfsm_get_info of the socket under test, and a
 * failing assert fails at its line. What is understood: statements separated by ';' or new
 * lines, `assert EXPR[, MESSAGE]` and `print(...)` (ignored); in EXPR integers, tcpi_* names,
 * symbols (TCP_ESTABLISHED, TCPI_OPT_SACK ...), True/False, + - * / // %, & | ^, comparisons
 * (chained as Python does), not, and, or, parentheses. Anything else is Python tcpfsm-drill
 * does not run: an "unsupported" error before the script starts.
 */
#include <ctype.h>
#include <inttypes.h>
#include <string.h>

#include "drill.h"

struct cx {
    const char *p;   /* the next character */
    struct drill *d; /* NULL when only checking */
    int fd;
    struct sb *err;
    struct sb *seen; /* "tcpi_x = 7, ..." for the failure message */
    bool failed;
};

static void skip_ws(struct cx *c)
{
    while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\\')
        c->p++;
}

static bool eat(struct cx *c, const char *tok)
{
    skip_ws(c);
    size_t n = strlen(tok);
    if (strncmp(c->p, tok, n) != 0) return false;
    if (isalpha((unsigned char)tok[0]) && (isalnum((unsigned char)c->p[n]) || c->p[n] == '_'))
        return false; /* `and` is not the start of `android` */
    c->p += n;
    return true;
}

static int fail(struct cx *c, const char *fmt, const char *what)
{
    if (!c->failed) sb_printf(c->err, fmt, what);
    c->failed = true;
    return -1;
}

static int expr(struct cx *c, int64_t *v);

static int atom(struct cx *c, int64_t *v)
{
    skip_ws(c);
    if (eat(c, "(")) {
        if (expr(c, v)) return -1;
        if (!eat(c, ")")) return fail(c, "inline python: missing ')'%s", "");
        return 0;
    }
    if (isdigit((unsigned char)*c->p)) {
        int base = c->p[0] == '0' && (c->p[1] == 'x' || c->p[1] == 'X') ? 16 : 10;
        if (base == 16) c->p += 2;
        int64_t x = 0;
        while (isxdigit((unsigned char)*c->p) && (base == 16 || isdigit((unsigned char)*c->p))) {
            int dgt = isdigit((unsigned char)*c->p) ? *c->p - '0'
                                                    : (tolower((unsigned char)*c->p) - 'a' + 10);
            if (x > (INT64_MAX - dgt) / base)
                return fail(c, "inline python: number too large%s", "");
            x = x * base + dgt;
            c->p++;
        }
        *v = x;
        return 0;
    }
    if (isalpha((unsigned char)*c->p) || *c->p == '_') {
        const char *s = c->p;
        while (isalnum((unsigned char)*c->p) || *c->p == '_')
            c->p++;
        char name[64];
        size_t n = (size_t)(c->p - s);
        if (n >= sizeof name) return fail(c, "inline python: name too long%s", "");
        memcpy(name, s, n);
        name[n] = '\0';
        if (!strcmp(name, "True") || !strcmp(name, "False")) {
            *v = name[0] == 'T';
            return 0;
        }
        if (!strncmp(name, "tcpi_", 5)) {
            if (!c->d) {
                *v = 0;
                if (tcp_info_known(name)) return 0;
                if (!c->failed)
                    sb_printf(c->err,
                              "%s is not a value libtcpfsm's tcpfsm_get_info gives (it gives: "
                              "%s)",
                              name, tcp_info_names());
                c->failed = true;
                return -1;
            }
            if (tcp_info_value(c->d, c->fd, name, v, c->err)) {
                c->failed = true;
                return -1;
            }
            if (!strstr(sb_str(c->seen), name))
                sb_printf(c->seen, "%s%s = %" PRId64, c->seen->len ? ", " : "", name, *v);
            return 0;
        }
        if (symbol_value(name, v)) return 0;
        return fail(c,
                    "inline python: '%s' (tcpfsm-drill knows tcpi_* values, symbols, "
                    "numbers, arithmetic and comparisons)",
                    name);
    }
    if (!*c->p || *c->p == ';' || *c->p == '\n' || *c->p == ',')
        return fail(c, "inline python: an expression is missing%s", "");
    char bad[2] = {*c->p, 0};
    return fail(c, "inline python: '%s' is beyond what tcpfsm-drill evaluates", bad);
}

static int unary(struct cx *c, int64_t *v)
{
    if (eat(c, "-")) {
        if (unary(c, v)) return -1;
        *v = (int64_t)(0 - (uint64_t)*v);
        return 0;
    }
    if (eat(c, "+")) return unary(c, v);
    return atom(c, v);
}

static int term(struct cx *c, int64_t *v)
{
    if (unary(c, v)) return -1;
    for (;;) {
        int op = eat(c, "//") ? '/' : eat(c, "*") ? '*' : eat(c, "/") ? '/' : eat(c, "%") ? '%' : 0;
        if (!op) return 0;
        int64_t r;
        if (unary(c, &r)) return -1;
        if ((op == '/' || op == '%') && r == 0) {
            if (!c->d) continue; /* only checking: values are 0 */
            return fail(c, "inline python: division by zero%s", "");
        }
        if (op == '*')
            *v = (int64_t)((uint64_t)*v * (uint64_t)r);
        else if (r == -1)
            *v = op == '/' ? (int64_t)(0 - (uint64_t)*v) : 0;
        else if (op == '/')
            *v = *v / r - ((*v % r != 0) && ((*v < 0) != (r < 0))); /* floor */
        else
            *v = *v % r + ((*v % r != 0) && ((*v < 0) != (r < 0)) ? r : 0);
    }
}

static int sum(struct cx *c, int64_t *v)
{
    if (term(c, v)) return -1;
    for (;;) {
        int op = eat(c, "+") ? '+' : eat(c, "-") ? '-' : 0;
        if (!op) return 0;
        int64_t r;
        if (term(c, &r)) return -1;
        *v = (int64_t)(op == '+' ? (uint64_t)*v + (uint64_t)r : (uint64_t)*v - (uint64_t)r);
    }
}

static int bits(struct cx *c, int64_t *v)
{
    if (sum(c, v)) return -1;
    for (;;) {
        skip_ws(c);
        int op = eat(c, "&") ? '&' : eat(c, "^") ? '^' : (c->p[0] == '|' && eat(c, "|")) ? '|' : 0;
        if (!op) return 0;
        int64_t r;
        if (sum(c, &r)) return -1;
        *v = op == '&' ? *v & r : op == '^' ? *v ^ r : *v | r;
    }
}

/* a < b <= c: Python's chained comparisons */
static int compare(struct cx *c, int64_t *v)
{
    int64_t l;
    if (bits(c, &l)) return -1;
    bool result = true, any = false;
    for (;;) {
        static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">"};
        int op = -1;
        for (int i = 0; i < 6 && op < 0; i++)
            if (eat(c, ops[i])) op = i;
        if (op < 0) break;
        int64_t r;
        if (bits(c, &r)) return -1;
        bool t = op == 0   ? l == r
                 : op == 1 ? l != r
                 : op == 2 ? l <= r
                 : op == 3 ? l >= r
                 : op == 4 ? l < r
                           : l > r;
        result = result && t;
        any = true;
        l = r;
    }
    *v = any ? result : l;
    return 0;
}

static int negation(struct cx *c, int64_t *v)
{
    if (eat(c, "not")) {
        if (negation(c, v)) return -1;
        *v = !*v;
        return 0;
    }
    return compare(c, v);
}

static int conjunction(struct cx *c, int64_t *v)
{
    if (negation(c, v)) return -1;
    while (eat(c, "and")) {
        int64_t r;
        if (negation(c, &r)) return -1;
        *v = *v && r;
    }
    return 0;
}

static int expr(struct cx *c, int64_t *v)
{
    if (conjunction(c, v)) return -1;
    while (eat(c, "or")) {
        int64_t r;
        if (conjunction(c, &r)) return -1;
        *v = *v || r;
    }
    return 0;
}

/* Skip to the end of the statement: a message after the assert, print's arguments. */
static void skip_statement(struct cx *c)
{
    int depth = 0;
    char quote = 0;
    for (; *c->p && (quote || depth || (*c->p != ';' && *c->p != '\n')); c->p++) {
        if (quote) {
            if (*c->p == '\\' && c->p[1])
                c->p++;
            else if (*c->p == quote)
                quote = 0;
        } else if (*c->p == '"' || *c->p == '\'') {
            quote = *c->p;
        } else if (*c->p == '(' || *c->p == '[') {
            depth++;
        } else if ((*c->p == ')' || *c->p == ']') && depth) {
            depth--;
        }
    }
}

/* print(EXPR) under --verbose: the value, when EXPR is one tcpfsm-drill evaluates (anything
 * else is Python's business: nothing is printed, and it is no error). */
static void print_value(const struct cx *c)
{
    if (!c->d || !c->d->cfg->verbose) return;
    struct sb err = {0}, seen = {0};
    struct cx p = {.p = c->p + 1, .d = c->d, .fd = c->fd, .err = &err, .seen = &seen};
    int64_t v;
    const char *start = p.p;
    if (expr(&p, &v) == 0 && eat(&p, ")"))
        drill_log(c->d, "    print(%.*s): %" PRId64, (int)(p.p - 1 - start), start, v);
    sb_free(&err);
    sb_free(&seen);
}

/* Run (or, with c->d NULL, only check) every statement. A failed assert is reported in
 * c->err with *assert_failed set. */
static int run(struct cx *c, const char *text, bool *assert_failed)
{
    c->p = text;
    for (;;) {
        skip_ws(c);
        while (*c->p == ';' || *c->p == '\n') {
            c->p++;
            skip_ws(c);
        }
        if (!*c->p) return 0;
        if (*c->p == '#') { /* a comment */
            while (*c->p && *c->p != '\n')
                c->p++;
            continue;
        }
        const char *stmt = c->p;
        if (eat(c, "print")) {
            skip_ws(c);
            if (*c->p != '(') return fail(c, "inline python: print without '('%s", "");
            print_value(c);
            skip_statement(c);
            continue;
        }
        if (!eat(c, "assert")) {
            char word[24];
            size_t n = 0;
            while (n + 1 < sizeof word && stmt[n] && stmt[n] != ' ' && stmt[n] != '\n')
                word[n] = stmt[n], n++;
            word[n] = '\0';
            return fail(c,
                        "inline python: only 'assert EXPR' and 'print(...)' statements are "
                        "evaluated, not '%s'",
                        word);
        }
        int64_t v;
        const char *e = c->p;
        if (expr(c, &v)) return -1;
        const char *e_end = c->p;
        skip_ws(c);
        if (*c->p == ',') skip_statement(c);
        skip_ws(c);
        if (*c->p && *c->p != ';' && *c->p != '\n') {
            char bad[2] = {*c->p, 0};
            return fail(c, "inline python: unexpected '%s' after the expression", bad);
        }
        if (c->d && !v) {
            while (e < e_end && (*e == ' ' || *e == '\t'))
                e++;
            while (e_end > e && (e_end[-1] == ' ' || e_end[-1] == '\t'))
                e_end--;
            sb_printf(c->err, "%.*s", (int)(e_end - e), e);
            if (c->seen->len) sb_printf(c->err, " is false: %s", sb_str(c->seen));
            *assert_failed = true;
            return -1;
        }
    }
}

int code_check(const char *text, struct sb *err)
{
    struct sb seen = {0};
    struct cx c = {.err = err, .seen = &seen, .fd = -1};
    bool af = false;
    int r = run(&c, text, &af);
    sb_free(&seen);
    return r;
}

int code_event(struct drill *d, const struct event *ev)
{
    if (ev->t_us > d->now) drill_advance_to(d, ev->t_us);
    if (d->err_kind) return -1;
    if (drill_verify_time(d, ev, ev->t_us, ev->t_end_us, d->now, d->last_ev ? d->last_t_us : -1,
                          "data collection for code"))
        return -1;
    if (!d->sut || d->sut->fd < 0)
        return drill_fail(d, ev->line, "runtime error in code",
                          "no socket to use for code (the socket under test has no "
                          "descriptor%s)",
                          d->sut ? ": accept() it first" : "");
    drill_log(d, "code: %9.6f %%{ %s }%%", (double)d->now / 1e6, ev->text);
    struct sb err = {0}, seen = {0};
    struct cx c = {.d = d, .fd = d->sut->fd, .err = &err, .seen = &seen};
    bool af = false;
    int r = run(&c, ev->text, &af);
    if (r)
        drill_fail(d, ev->line, af ? "assertion failed" : "runtime error in code", "%s",
                   sb_str(&err));
    sb_free(&err);
    sb_free(&seen);
    return r;
}
