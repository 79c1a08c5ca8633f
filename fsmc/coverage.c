/* --coverage=FILE: read transition counts for the DOT heat map.
 *
 * Format (documented in fsmc(1) and docs/fsm-language.md): one "INDEX COUNT" pair per line,
 * both unsigned decimal, separated by blanks. INDEX is the row's position in the generated
 * PREFIX_transitions[] table (the order fsmc numbers expanded rows, as --emit=json lists them);
 * COUNT is how often it fired. '#' starts a comment (whole line or after the pair); blank
 * lines are ignored; the same INDEX may appear any number of times, in one or several files,
 * and its counts add up. Anything else is an error at FILE:LINE:COL. */
#include "fsmc.h"
#include <string.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "'x'" for a printable byte, "byte 0xNN" otherwise (the caret shows where) */
static const char *show_char(struct fsmc *fx, char c)
{
    unsigned char u = (unsigned char)c;
    return u >= 0x21 && u < 0x7f ? arena_printf(fx, "'%c'", c) : arena_printf(fx, "byte 0x%02x", u);
}

/* unsigned decimal at *p (< end); false when it does not fit in 64 bits (*p still advances) */
static bool parse_u64(const char **p, const char *end, unsigned long long *out)
{
    unsigned long long v = 0;
    bool ok = true;
    for (; *p < end && is_digit(**p); (*p)++) {
        unsigned d = (unsigned)(**p - '0');
        if (v > (~0ULL - d) / 10)
            ok = false;
        else
            v = v * 10 + d;
    }
    *out = v;
    return ok;
}

/* one line [p, eol): blank, a comment, or "INDEX COUNT [# comment]" */
static void parse_line(struct fsmc *fx, int file, int line, const char *p, const char *eol,
                       const char *machine, unsigned long long *counts, int nrows)
{
    const char *bol = p;
#define AT(q) ((struct loc){file, line, (int)((q)-bol) + 1})
    while (p < eol && is_blank(*p))
        p++;
    if (p == eol || *p == '#') return;
    if (!is_digit(*p)) {
        diag_error(fx, AT(p), "expected a transition index, found %s", show_char(fx, *p));
        return;
    }
    const char *ip = p;
    unsigned long long idx, n;
    if (!parse_u64(&p, eol, &idx) || idx >= (unsigned long long)nrows) {
        diag_error(fx, AT(ip),
                   "transition index %.*s out of range: '%s' has %d transitions (0..%d)",
                   (int)(p - ip), ip, machine, nrows, nrows - 1);
        return;
    }
    if (p < eol && !is_blank(*p) && *p != '#') {
        diag_error(fx, AT(p), "unexpected %s after the transition index", show_char(fx, *p));
        return;
    }
    while (p < eol && is_blank(*p))
        p++;
    if (p == eol || *p == '#') {
        diag_error(fx, AT(p), "missing count after transition index %llu", idx);
        return;
    }
    if (!is_digit(*p)) {
        diag_error(fx, AT(p), "expected a count, found %s", show_char(fx, *p));
        return;
    }
    const char *cp = p;
    if (!parse_u64(&p, eol, &n)) {
        diag_error(fx, AT(cp), "count %.*s does not fit in 64 bits", (int)(p - cp), cp);
        return;
    }
    while (p < eol && is_blank(*p))
        p++;
    if (p < eol && *p != '#') {
        diag_error(fx, AT(p), "unexpected %s after the count (one 'INDEX COUNT' pair per line)",
                   show_char(fx, *p));
        return;
    }
    if (counts[idx] > ~0ULL - n) {
        diag_error(fx, AT(cp), "total count of transition %llu overflows 64 bits", idx);
        return;
    }
    counts[idx] += n;
#undef AT
}

bool coverage_load(struct fsmc *fx, const char *path, const char *machine,
                   unsigned long long *counts, int nrows)
{
    size_t len;
    const char *text = fsmc_read_file(fx, path, &len);
    if (!text) return false;
    int file = diag_add_file(fx, path, text, len);
    const char *p = text, *end = text + len;
    for (int line = 1; p < end; line++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        parse_line(fx, file, line, p, eol, machine, counts, nrows);
        p = eol < end ? eol + 1 : end;
    }
    return true;
}
