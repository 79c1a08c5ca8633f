/* The context: its arena, and GNU-format diagnostics (FILE:LINE:COL: error: TEXT [-Wname],
 * the source line, a caret). */
#include "fsmc.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena: chained blocks; objects are never freed one by one ---- */
struct fsmc_block {
    struct fsmc_block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

void *arena_alloc(struct fsmc *fx, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct fsmc_block *h = fx->arena;
    if (!h || h->used + n > h->size) {
        size_t sz = n > 65536 ? n : 65536;
        struct fsmc_block *b = malloc(sizeof *b + sz);
        if (!b) {
            if (fx->oom) longjmp(*fx->oom, 1);
            abort(); /* only library calls allocate, and each sets fx->oom */
        }
        b->next = h;
        b->used = 0;
        b->size = sz;
        fx->arena = h = b;
    }
    void *p = h->data + h->used;
    h->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(struct fsmc *fx, const char *s, size_t n)
{
    char *p = arena_alloc(fx, n + 1);
    memcpy(p, s, n);
    return p;
}

char *arena_printf(struct fsmc *fx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = arena_alloc(fx, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* vectors grow by copying into the arena; the old copy is simply abandoned (bounded 2x waste) */
void vec_push(struct fsmc *fx, struct vec *vv, void *p)
{
    if (vv->n == vv->cap) {
        size_t cap = vv->cap ? vv->cap * 2 : 8;
        void **nv = arena_alloc(fx, cap * sizeof *nv);
        if (vv->n) memcpy(nv, vv->v, vv->n * sizeof *nv);
        vv->v = nv;
        vv->cap = cap;
    }
    vv->v[vv->n++] = p;
}

void names_push(struct fsmc *fx, struct names *ns, const char *s, struct loc l)
{
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 4;
        struct name *nv = arena_alloc(fx, cap * sizeof *nv);
        if (ns->n) memcpy(nv, ns->v, ns->n * sizeof *nv);
        ns->v = nv;
        ns->cap = cap;
    }
    ns->v[ns->n].s = s;
    ns->v[ns->n].loc = l;
    ns->n++;
}

/* ---- checks: their names, and which are errors by default ---- */
static const char *const check_names[CK_COUNT] = {
    "syntax",   "undefined",    "duplicate",    "initial",       "nondeterminism",
    "shadowed", "unhandled",    "include",      "override",      "unreachable",
    "dead-end", "unused-event", "unused-guard", "unused-action", "guard-fallthrough",
};
/* what a warning of each kind is about, for the summary of the ones not shown */
static const char *const warning_nouns[CK_COUNT] = {
    [CK_UNREACHABLE] = "unreachable states", [CK_DEAD_END] = "states that cannot end",
    [CK_UNUSED_EVENT] = "unused events",     [CK_UNUSED_GUARD] = "unused guards",
    [CK_UNUSED_ACTION] = "unused actions",   [CK_FALLTHROUGH] = "groups that can fall through",
};
static bool is_warning_kind(enum check c)
{
    return c >= CK_UNREACHABLE;
}

/* ---- the context ---- */
struct fsmc *fsmc_new(FILE *diagnostics)
{
    struct fsmc *fx = calloc(1, sizeof *fx);
    if (!fx) return NULL;
    fx->err = diagnostics ? diagnostics : stderr;
    fx->max_errors = 20;
    fx->max_warnings = 10;
    for (int i = 0; i < CK_COUNT; i++) {
        fx->enabled[i] = true;
        fx->as_error[i] = !is_warning_kind((enum check)i);
    }
    fx->cur_line = fx->cur_col = 1;
    return fx;
}

void fsmc_free(struct fsmc *fx)
{
    if (!fx) return;
    while (fx->arena) {
        struct fsmc_block *n = fx->arena->next;
        free(fx->arena);
        fx->arena = n;
    }
    free(fx->scratch);
    free(fx);
}

/* ---- reading inputs ---- */
/* The whole file at PATH ("-": standard input) in the arena (NUL-terminated); NULL with
 * errno set when it cannot be read. The read buffer is parked in fx->scratch so that running out of
 * memory halfway through does not leak it. */
char *fsmc_read_file(struct fsmc *fx, const char *path, size_t *len)
{
    bool in = !strcmp(path, "-");
    FILE *f = in ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 65536, n = 0, r;
    char *buf = malloc(cap);
    fx->scratch = buf;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            fx->scratch = buf = nb;
        }
    }
    int saved = ferror(f) ? errno : buf ? 0 : ENOMEM;
    if (!in) fclose(f);
    if (saved) {
        free(buf);
        fx->scratch = NULL;
        errno = saved;
        return NULL;
    }
    char *out = arena_strndup(fx, buf, n);
    free(buf);
    fx->scratch = NULL;
    *len = n;
    return out;
}

/* ---- source files, kept for printing the offending line ---- */
int diag_add_file(struct fsmc *fx, const char *path, const char *text, size_t len)
{
    if (fx->nfiles == fx->capfiles) {
        int cap = fx->capfiles ? fx->capfiles * 2 : 8;
        struct srcfile *nf = arena_alloc(fx, (size_t)cap * sizeof *nf);
        if (fx->nfiles) memcpy(nf, fx->files, (size_t)fx->nfiles * sizeof *nf);
        fx->files = nf;
        fx->capfiles = cap;
    }
    fx->files[fx->nfiles] = (struct srcfile){.path = path, .text = text, .len = len};
    return fx->nfiles++;
}

const char *diag_file_path(const struct fsmc *fx, int file)
{
    return file >= 0 && file < fx->nfiles ? fx->files[file].path : "fsmc";
}

const char *diag_check_name(enum check c)
{
    return check_names[c];
}

int diag_check_by_name(const char *name)
{
    for (int i = 0; i < CK_COUNT; i++)
        if (strcmp(check_names[i], name) == 0) return i;
    return -1;
}

/* errors cannot be disabled: a spec with an error has no meaningful output */
void diag_set_enabled(struct fsmc *fx, enum check c, bool on)
{
    if (is_warning_kind(c)) fx->enabled[c] = on;
}

void diag_set_werror(struct fsmc *fx, int c, bool on)
{
    for (int i = 0; i < CK_COUNT; i++)
        if ((c < 0 || c == i) && is_warning_kind((enum check)i)) fx->as_error[i] = on;
}

void diag_set_max_errors(struct fsmc *fx, int n)
{
    fx->max_errors = n;
}

void diag_set_max_warnings(struct fsmc *fx, int n)
{
    fx->max_warnings = n;
}

/* 71990 -> "71,990" */
static const char *thousands(char buf[32], long long n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%lld", n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}

void diag_summary(struct fsmc *fx)
{
    if (fx->stopped) return;
    for (int c = 0; c < CK_COUNT; c++) {
        if (!fx->unshown[c]) continue;
        char n[32];
        fprintf(fx->err, "fsmc: note: and %s more %s [-W%s] (--max-warnings=0 shows them all)\n",
                thousands(n, fx->unshown[c]), warning_nouns[c] ? warning_nouns[c] : "warnings",
                check_names[c]);
    }
}

int diag_errors(const struct fsmc *fx)
{
    return fx->nerrors;
}

int diag_warnings(const struct fsmc *fx)
{
    return fx->nwarnings;
}

bool diag_stopped(const struct fsmc *fx)
{
    return fx->stopped;
}

/* the offsets where each line of a file begins, built once (so showing many lines of a big
 * file stays linear) */
static void index_lines(struct fsmc *fx, struct srcfile *f)
{
    int n = 1;
    for (size_t i = 0; i < f->len; i++)
        n += f->text[i] == '\n';
    f->line_start = arena_alloc(fx, ((size_t)n + 1) * sizeof *f->line_start);
    f->line_start[0] = 0;
    int k = 1;
    for (size_t i = 0; i < f->len; i++)
        if (f->text[i] == '\n') f->line_start[k++] = i + 1;
    f->nlines = n;
}

/* print the source line and a caret under COL; tabs are kept so the caret lines up */
static void show_line(struct fsmc *fx, struct loc l)
{
    if (l.file < 0 || l.file >= fx->nfiles || l.line <= 0) return;
    struct srcfile *sf = &fx->files[l.file];
    if (!sf->line_start) index_lines(fx, sf);
    if (l.line > sf->nlines) return;
    const char *t = sf->text + sf->line_start[l.line - 1], *end = sf->text + sf->len;
    const char *e = t;
    while (e < end && *e != '\n')
        e++;
    if (e - t > 400) e = t + 400; /* keep output readable for huge one-line files */
    FILE *o = fx->err;
    putc(' ', o);
    for (const char *p = t; p < e; p++)
        putc((*p == '\t' || (unsigned char)*p >= 0x20) && *p != 0x7f ? *p : '?', o);
    fputs("\n ", o);
    for (int i = 1; i < l.col && t + i - 1 < e; i++)
        putc(t[i - 1] == '\t' ? '\t' : ' ', o);
    fputs("^\n", o);
}

static void vreport(struct fsmc *fx, const char *sev, struct loc l, const char *fmt, va_list ap,
                    const char *tag)
{
    FILE *o = fx->err;
    if (l.line > 0)
        fprintf(o, "%s:%d:%d: %s: ", diag_file_path(fx, l.file), l.line, l.col, sev);
    else
        fprintf(o, "%s: %s: ", diag_file_path(fx, l.file), sev);
    vfprintf(o, fmt, ap);
    if (tag) fprintf(o, " [-W%s]", tag);
    putc('\n', o);
    show_line(fx, l);
}

/* one more error: after --max-errors of them, say so once and print nothing more */
static void count_error(struct fsmc *fx)
{
    if (++fx->nerrors >= fx->max_errors && fx->max_errors > 0) {
        fputs("fsmc: too many errors, stopping\n", fx->err);
        fx->stopped = true;
    }
}

void diag(struct fsmc *fx, enum check c, struct loc l, const char *fmt, ...)
{
    if (!fx->enabled[c] || fx->stopped) {
        fx->suppress_notes = true;
        return;
    }
    bool err = fx->as_error[c];
    if (!err && fx->max_warnings > 0 && fx->shown[c] >= fx->max_warnings) {
        fx->unshown[c]++; /* counted, summed up by diag_summary */
        fx->nwarnings++;
        fx->suppress_notes = true;
        return;
    }
    fx->suppress_notes = false;
    if (!err) fx->shown[c]++;
    va_list ap;
    va_start(ap, fmt);
    vreport(fx, err ? "error" : "warning", l, fmt, ap, check_names[c]);
    va_end(ap);
    if (err)
        count_error(fx);
    else
        fx->nwarnings++;
}

/* an error in an input that is not a spec (a --coverage counts file): no -W name, cannot be
 * disabled, counts toward --max-errors like any other error */
void diag_error(struct fsmc *fx, struct loc l, const char *fmt, ...)
{
    if (fx->stopped) return;
    va_list ap;
    va_start(ap, fmt);
    vreport(fx, "error", l, fmt, ap, NULL);
    va_end(ap);
    count_error(fx);
}

void diag_note(struct fsmc *fx, struct loc l, const char *fmt, ...)
{
    if (fx->stopped || fx->suppress_notes) return; /* a note belongs to the diagnostic before */
    va_list ap;
    va_start(ap, fmt);
    vreport(fx, "note", l, fmt, ap, NULL);
    va_end(ap);
}
