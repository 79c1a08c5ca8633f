/* Arena and GNU-format diagnostics (FILE:LINE:COL: error: TEXT [-Wname], source line, caret). */
#include "fsmc.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena: chained blocks; objects are never freed one by one ---- */
struct block { struct block *next; size_t used, size; _Alignas(16) unsigned char data[]; };
static struct block *arena_head;
static struct vec *vec_list[1];

void *arena_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!arena_head || arena_head->used + n > arena_head->size) {
        size_t sz = n > 65536 ? n : 65536;
        struct block *b = malloc(sizeof *b + sz);
        if (!b) { fputs("fsmc: out of memory\n", stderr); exit(2); }
        b->next = arena_head; b->used = 0; b->size = sz;
        arena_head = b;
    }
    void *p = arena_head->data + arena_head->used;
    arena_head->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(const char *s, size_t n)
{
    char *p = arena_alloc(n + 1);
    memcpy(p, s, n);
    return p;
}

char *arena_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = arena_alloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* vectors grow by copying into the arena; the old copy is simply abandoned (bounded 2x waste) */
void vec_push(struct vec *vv, void *p)
{
    if (vv->n == vv->cap) {
        size_t cap = vv->cap ? vv->cap * 2 : 8;
        void **nv = arena_alloc(cap * sizeof *nv);
        if (vv->n) memcpy(nv, vv->v, vv->n * sizeof *nv);
        vv->v = nv; vv->cap = cap;
    }
    vv->v[vv->n++] = p;
}

void names_push(struct names *ns, const char *s, struct loc l)
{
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 4;
        struct name *nv = arena_alloc(cap * sizeof *nv);
        if (ns->n) memcpy(nv, ns->v, ns->n * sizeof *nv);
        ns->v = nv; ns->cap = cap;
    }
    ns->v[ns->n].s = s; ns->v[ns->n].loc = l; ns->n++;
}

void arena_free_all(void)
{
    (void)vec_list;
    while (arena_head) { struct block *n = arena_head->next; free(arena_head); arena_head = n; }
}

/* ---- source files, kept for printing the offending line ---- */
struct srcfile { const char *path, *text; size_t len; };
static struct srcfile *files;
static int nfiles, capfiles;

int diag_add_file(const char *path, const char *text, size_t len)
{
    if (nfiles == capfiles) {
        int cap = capfiles ? capfiles * 2 : 8;
        struct srcfile *nf = arena_alloc((size_t)cap * sizeof *nf);
        if (nfiles) memcpy(nf, files, (size_t)nfiles * sizeof *nf);
        files = nf; capfiles = cap;
    }
    files[nfiles].path = path; files[nfiles].text = text; files[nfiles].len = len;
    return nfiles++;
}

const char *diag_file_path(int file) { return file >= 0 && file < nfiles ? files[file].path : "fsmc"; }

static const char *const check_names[CK_COUNT] = {
    "syntax", "undefined", "duplicate", "initial", "nondeterminism", "shadowed", "unhandled",
    "include", "override", "unreachable", "no-final", "unused-event", "unused-guard", "unused-action",
    "guard-fallthrough",
};
static bool enabled[CK_COUNT] = { [0 ... CK_COUNT - 1] = true };
static bool as_error[CK_COUNT] = { [CK_SYNTAX] = true, [CK_UNDEFINED] = true, [CK_DUPLICATE] = true,
    [CK_INITIAL] = true, [CK_NONDET] = true, [CK_SHADOWED] = true, [CK_UNHANDLED] = true,
    [CK_INCLUDE] = true, [CK_OVERRIDE] = true };
static bool is_warning_kind(enum check c) { return c >= CK_UNREACHABLE; }
static int max_errors = 20, nerrors, nwarnings;

const char *diag_check_name(enum check c) { return check_names[c]; }
int diag_check_by_name(const char *name)
{
    for (int i = 0; i < CK_COUNT; i++)
        if (strcmp(check_names[i], name) == 0) return i;
    return -1;
}
/* errors cannot be disabled: a spec with an error has no meaningful output */
void diag_set_enabled(enum check c, bool on) { if (is_warning_kind(c)) enabled[c] = on; }
void diag_set_werror(int c, bool on)
{
    for (int i = 0; i < CK_COUNT; i++)
        if ((c < 0 || c == i) && is_warning_kind((enum check)i)) as_error[i] = on;
}
void diag_set_max_errors(int n) { max_errors = n; }
int diag_errors(void) { return nerrors; }
int diag_warnings(void) { return nwarnings; }

/* print the source line and a caret under COL; tabs are kept so the caret lines up */
static void show_line(struct loc l)
{
    if (l.file < 0 || l.file >= nfiles || l.line <= 0) return;
    const char *t = files[l.file].text, *end = t + files[l.file].len;
    int line = 1;
    while (t < end && line < l.line) { if (*t++ == '\n') line++; }
    if (line != l.line) return;
    const char *e = t;
    while (e < end && *e != '\n') e++;
    if (e - t > 400) e = t + 400;   /* keep output readable for huge one-line files */
    putc(' ', stderr);
    for (const char *p = t; p < e; p++)
        putc((*p == '\t' || (unsigned char)*p >= 0x20) && *p != 0x7f ? *p : '?', stderr);
    fputs("\n ", stderr);
    for (int i = 1; i < l.col && t + i - 1 < e; i++) putc(t[i - 1] == '\t' ? '\t' : ' ', stderr);
    fputs("^\n", stderr);
}

static void vreport(const char *sev, struct loc l, const char *fmt, va_list ap, const char *tag)
{
    if (l.line > 0) fprintf(stderr, "%s:%d:%d: %s: ", diag_file_path(l.file), l.line, l.col, sev);
    else fprintf(stderr, "%s: %s: ", diag_file_path(l.file), sev);
    vfprintf(stderr, fmt, ap);
    if (tag) fprintf(stderr, " [-W%s]", tag);
    putc('\n', stderr);
    show_line(l);
}

void diag(enum check c, struct loc l, const char *fmt, ...)
{
    if (!enabled[c]) return;
    bool err = as_error[c];
    va_list ap;
    va_start(ap, fmt);
    vreport(err ? "error" : "warning", l, fmt, ap, check_names[c]);
    va_end(ap);
    if (!err) { nwarnings++; return; }
    if (++nerrors >= max_errors && max_errors > 0) {
        fputs("fsmc: too many errors, stopping\n", stderr);
        fflush(stderr);
        exit(1);   /* everything allocated is still reachable from globals: no leak report */
    }
}

/* an error in an input that is not a spec (a --coverage counts file): no -W name, cannot be
 * disabled, counts toward --max-errors like any other error */
void diag_error(struct loc l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("error", l, fmt, ap, NULL);
    va_end(ap);
    if (++nerrors >= max_errors && max_errors > 0) {
        fputs("fsmc: too many errors, stopping\n", stderr);
        fflush(stderr);
        exit(1);
    }
}

void diag_note(struct loc l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("note", l, fmt, ap, NULL);
    va_end(ap);
}
