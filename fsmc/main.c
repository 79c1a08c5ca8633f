/* fsmc command line: parse, check, emit. Option names map to enums through tables. */
#include "fsmc.h"
#include <stdlib.h>
#include <string.h>

#define FSMC_VERSION "0.1.0"
enum kind { EK_C, EK_DOT, EK_MERMAID, EK_JSON, EK_COUNT };
static const struct { const char *name, *ext; } kinds[EK_COUNT] = {
    [EK_C] = { "c", "c" }, [EK_DOT] = { "dot", "dot" }, [EK_MERMAID] = { "mermaid", "mmd" }, [EK_JSON] = { "json", "json" },
};
static const char *const styles[] = { "table", "switch" };

static const char usage[] =
    "Usage: fsmc [OPTIONS] SPEC.fsm\n"
    "Compile a state-machine spec into C, Graphviz, Mermaid or JSON.\n\n"
    "  --emit=KIND[,KIND...]   c, dot, mermaid, json (default: none = --check)\n"
    "  --style=table|switch    C backend style (default table)\n"
    "  --view=VIEW[,VIEW]      diagrams (dot, mermaid): full (every row; state sets as\n"
    "                          clusters, self-transitions inside the state) or overview\n"
    "                          (the rows with a @label, worded by it: the textbook\n"
    "                          figure; the rest in tooltips); default full. The overview\n"
    "                          is written to STEM-overview.{dot,mmd}\n"
    "  --prefix=NAME           override the spec's prefix\n"
    "  -o FILE                 output file (one KIND only; for c, the .h is FILE with .h)\n"
    "  --output-dir=DIR        write DIR/STEM.{c,h,dot,mmd,json} (and STEM-overview.*)\n"
    "  --no-line               no #line directives\n"
    "  --check                 only check\n"
    "  --stats                 print counts: states, events, transitions, table bytes\n"
    "  --coverage=FILE         with --emit=dot: a heat map, one edge per row, colored\n"
    "                          by the counts in FILE\n"
    "                          (lines 'INDEX COUNT'; repeatable, counts add up)\n"
    "  -Wname, -Wno-name       enable/disable warning NAME\n"
    "  -Werror, -Werror=name   treat all warnings (or NAME) as errors\n"
    "  --max-errors=N          stop after N errors (default 20)\n"
    "  --help, --version\n\n"
    "Checks: syntax undefined duplicate initial nondeterminism shadowed unhandled include\n"
    "override (errors);\n"
    "unreachable no-final unused-event unused-guard unused-action guard-fallthrough (warnings).\n"
    "Exit status: 0 ok, 1 spec errors, 2 usage or I/O errors.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fputs("fsmc: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'fsmc --help'.\n", stderr);
    return 2;
}

static bool write_file(const char *path, void (*fn)(const struct ir *, FILE *, const struct emit_opts *),
                       const struct ir *ir, const struct emit_opts *o)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
    if (!f) { fprintf(stderr, "fsmc: cannot write '%s'\n", path); return false; }
    fn(ir, f, o);
    bool ok = !ferror(f);
    if (f != stdout) ok &= fclose(f) == 0; else fflush(f);
    if (!ok) fprintf(stderr, "fsmc: error writing '%s'\n", path);
    return ok;
}
static enum view_kind cur_view;   /* the view being written by w_dot / w_mmd */
static void w_dot(const struct ir *ir, FILE *f, const struct emit_opts *o)
{
    if (o->counts) emit_dot_coverage(ir, f, o->counts);
    else emit_dot_view(ir, f, cur_view);
}
static void w_mmd(const struct ir *ir, FILE *f, const struct emit_opts *o)
{
    (void)o;
    emit_mermaid_view(ir, f, cur_view);
}
static const char *const view_names[] = { [VIEW_FULL] = "full", [VIEW_OVERVIEW] = "overview" };
static void w_json(const struct ir *ir, FILE *f, const struct emit_opts *o) { (void)o; emit_json(ir, f); }

static const char *base_name(const char *p) { const char *s = strrchr(p, '/'); return s ? s + 1 : p; }

int main(int argc, char **argv)
{
    bool want[EK_COUNT] = { false }, stats = false, line = true, views[2] = { false, false };
    int style = 0;
    const char *prefix = NULL, *outfile = NULL, *outdir = NULL, *spec = NULL;
    struct vec covfiles = { 0 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help")) { fputs(usage, stdout); return 0; }
        else if (!strcmp(a, "--version")) { puts("fsmc " FSMC_VERSION); return 0; }
        else if (!strncmp(a, "--emit=", 7)) {
            char *list = arena_strndup(a + 7, strlen(a + 7)), *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int k = 0;
                while (k < EK_COUNT && strcmp(kinds[k].name, t)) k++;
                if (k == EK_COUNT) return usage_error("unknown --emit kind '%s' (c, dot, mermaid, json)", t);
                want[k] = true;
            }
        } else if (!strncmp(a, "--style=", 8)) {
            style = -1;
            for (int k = 0; k < 2; k++) if (!strcmp(styles[k], a + 8)) style = k;
            if (style < 0) return usage_error("unknown --style '%s' (table, switch)", a + 8);
        } else if (!strncmp(a, "--view=", 7)) {
            char *list = arena_strndup(a + 7, strlen(a + 7)), *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int k = 0;
                while (k < 2 && strcmp(view_names[k], t)) k++;
                if (k == 2) return usage_error("unknown --view '%s' (full, overview)", t);
                views[k] = true;
            }
        } else if (!strncmp(a, "--prefix=", 9)) prefix = a + 9;
        else if (!strcmp(a, "-o")) { if (++i == argc) return usage_error("%s needs a FILE", "-o"); outfile = argv[i]; }
        else if (!strncmp(a, "--output-dir=", 13)) outdir = a + 13;
        else if (!strcmp(a, "--no-line")) line = false;
        else if (!strcmp(a, "--check")) ;
        else if (!strcmp(a, "--stats")) stats = true;
        else if (!strncmp(a, "--coverage=", 11)) {
            if (!a[11]) return usage_error("%s needs a FILE", "--coverage=");
            vec_push(&covfiles, (void *)(a + 11));
        }
        else if (!strncmp(a, "--max-errors=", 13)) {
            char *end;
            long n = strtol(a + 13, &end, 10);
            if (*end || n < 0 || n > 1000000) return usage_error("bad --max-errors '%s'", a + 13);
            diag_set_max_errors((int)n);
        } else if (!strcmp(a, "-Werror")) diag_set_werror(-1, true);
        else if (!strncmp(a, "-Werror=", 8)) {
            int c = diag_check_by_name(a + 8);
            if (c < 0) return usage_error("unknown warning '%s'", a + 8);
            diag_set_werror(c, true);
        } else if (!strncmp(a, "-Wno-", 5)) {
            int c = diag_check_by_name(a + 5);
            if (c < 0) return usage_error("unknown warning '%s'", a + 5);
            diag_set_enabled((enum check)c, false);
        } else if (!strncmp(a, "-W", 2)) {
            int c = diag_check_by_name(a + 2);
            if (c < 0) return usage_error("unknown warning '%s'", a + 2);
            diag_set_enabled((enum check)c, true);
        } else if (a[0] == '-' && a[1]) return usage_error("unknown option '%s'", a);
        else if (spec) return usage_error("more than one spec given ('%s')", a);
        else spec = a;
    }
    if (!spec) return usage_error("%s", "no spec file given");
    int nk = 0;
    for (int k = 0; k < EK_COUNT; k++) nk += want[k];
    if (outfile && nk != 1) return usage_error("%s", "-o needs exactly one --emit kind");
    if (outfile && outdir) return usage_error("%s", "-o and --output-dir exclude each other");
    if (covfiles.n && !want[EK_DOT]) return usage_error("%s", "--coverage needs --emit=dot");
    if (covfiles.n && views[VIEW_OVERVIEW])
        return usage_error("%s", "--coverage draws every row; it takes no --view=overview");
    if (!views[VIEW_FULL] && !views[VIEW_OVERVIEW]) views[VIEW_FULL] = true;
    int nviews = views[VIEW_FULL] + views[VIEW_OVERVIEW];
    if (outfile && nviews > 1 && (want[EK_DOT] || want[EK_MERMAID]))
        return usage_error("%s", "-o takes one --view");

    if (!parse_file(spec)) { fprintf(stderr, "fsmc: cannot read '%s'\n", spec); arena_free_all(); return 2; }
    struct ir ir = { 0 };
    if (diag_errors() == 0 && model_build(&ir, prefix)) checks_run(&ir);
    if (diag_errors()) { arena_free_all(); return 1; }
    unsigned long long *counts = NULL;
    if (covfiles.n) {
        counts = arena_alloc(((size_t)ir.nrows + 1) * sizeof *counts);
        for (size_t i = 0; i < covfiles.n; i++)
            if (!coverage_load(covfiles.v[i], ir.machine, counts, ir.nrows)) {
                fprintf(stderr, "fsmc: cannot read '%s'\n", (const char *)covfiles.v[i]);
                arena_free_all();
                return 2;
            }
        if (diag_errors()) { arena_free_all(); return 1; }
    }
    if (stats)
        printf("states: %d\nevents: %d\ntransitions: %d\ntable bytes: %zu\n", ir.nstates, ir.nevents, ir.nrows, emit_table_bytes(&ir));

    /* output paths: -o FILE, DIR/STEM.ext, or STEM.ext in the current directory */
    const char *stem = base_name(spec);
    size_t sl = strlen(stem);
    if (sl > 4 && !strcmp(stem + sl - 4, ".fsm")) sl -= 4;
    bool ok = true;
    for (int k = 0; k < EK_COUNT && ok; k++) {
        if (!want[k]) continue;
        const char *path = outfile ? outfile
            : outdir ? arena_printf("%s/%.*s.%s", outdir, (int)sl, stem, kinds[k].ext)
                     : arena_printf("%.*s.%s", (int)sl, stem, kinds[k].ext);
        if (k == EK_C) {
            size_t pl = strlen(path);
            const char *hdr = pl > 2 && !strcmp(path + pl - 2, ".c") ? arena_printf("%.*s.h", (int)pl - 2, path) : arena_printf("%s.h", path);
            struct emit_opts o = { line, path, hdr, base_name(hdr), spec, NULL };
            ok = write_file(hdr, emit_c_header, &ir, &o) && write_file(path, style ? emit_c_switch : emit_c_table, &ir, &o);
        } else if (k == EK_JSON) {
            struct emit_opts o = { line, path, NULL, NULL, spec, NULL };
            ok = write_file(path, w_json, &ir, &o);
        } else {
            for (int vw = 0; vw < 2 && ok; vw++) {
                if (!views[vw]) continue;
                cur_view = (enum view_kind)vw;
                const char *vpath = outfile || vw == VIEW_FULL ? path
                    : outdir ? arena_printf("%s/%.*s-overview.%s", outdir, (int)sl, stem, kinds[k].ext)
                             : arena_printf("%.*s-overview.%s", (int)sl, stem, kinds[k].ext);
                struct emit_opts o = { line, vpath, NULL, NULL, spec, k == EK_DOT ? counts : NULL };
                ok = write_file(vpath, k == EK_DOT ? w_dot : w_mmd, &ir, &o);
            }
        }
    }
    arena_free_all();
    return ok ? 0 : 2;
}
