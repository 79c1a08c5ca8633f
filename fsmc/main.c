/* fsmc's command line: a thin user of the library (fsmc.h). GNU conventions: getopt_long, so
 * `--opt=VAL` and `--opt VAL`, `--` and `-` for standard input; output to standard output
 * when the command makes exactly one file; exit status 0 ok, 1 spec errors, 2 usage or I/O. */
#include "fsmc.h"
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef FSMC_VERSION /* the build passes the release's version (runtime/tcpfsm.h) */
#define FSMC_VERSION "unknown"
#endif

enum kind { EK_C, EK_DOT, EK_MERMAID, EK_JSON, EK_STUBS, EK_COUNT };
static const struct {
    const char *name, *ext;
} kinds[EK_COUNT] = {
    [EK_C] = {"c", "c"},          [EK_DOT] = {"dot", "dot"},   [EK_MERMAID] = {"mermaid", "mmd"},
    [EK_JSON] = {"json", "json"}, [EK_STUBS] = {"stubs", "c"}, /* STEM_stubs.c */
};
static const char *const styles[] = {"table", "switch"};
static const char *const view_names[] = {[VIEW_FULL] = "full", [VIEW_OVERVIEW] = "overview"};
/* what actions receive: (ctx, payload), or also the row of P_transitions[] that fires */
static const char *const action_args[] = {"plain", "transition"};

static const char usage[] =
    "Usage: fsmc [OPTION]... SPEC.fsm\n"
    "Check a state-machine spec and compile it into C, Graphviz, Mermaid or JSON.\n"
    "SPEC '-' reads standard input. With one output (one --emit kind other than c, one\n"
    "view) and no -o or --output-dir, it goes to standard output.\n\n"
    "  -e, --emit=KIND[,KIND...]  c, dot, mermaid, json, stubs (none: only check);\n"
    "                             stubs: STEM_stubs.c, a skeleton of every guard and\n"
    "                             action, each with the rows that use it\n"
    "      --style=table|switch   C backend style (default table)\n"
    "      --action-args=plain|transition\n"
    "                             with c and stubs: actions take (ctx, payload) (plain,\n"
    "                             the default) or also the firing row of\n"
    "                             PREFIX_transitions[] (const struct PREFIX_transition *)\n"
    "      --view=VIEW[,VIEW]     diagrams (dot, mermaid): full (every row; state sets as\n"
    "                             clusters, self-transitions inside the state) or overview\n"
    "                             (the rows with a @label, worded by it: the textbook\n"
    "                             figure; the rest in tooltips); default full. The\n"
    "                             overview is written to STEM-overview.{dot,mmd}\n"
    "      --prefix=NAME          override the spec's prefix\n"
    "  -o, --output=FILE          the output file, '-' for standard output (one --emit kind\n"
    "                             and one view; for c, the header is FILE with .h)\n"
    "  -d, --output-dir=DIR       write DIR/STEM.{c,h,dot,mmd,json}, DIR/STEM_stubs.c and\n"
    "                             DIR/STEM-overview.*, creating DIR; without -o or -d,\n"
    "                             files go to the current directory unless the one output\n"
    "                             goes to standard output\n"
    "      --no-line              no #line directives\n"
    "      --check                only check (the default without --emit)\n"
    "      --stats                print counts: states, events, transitions, table bytes\n"
    "      --coverage=FILE        with --emit=dot: a heat map, one edge per row, colored\n"
    "                             by the counts in FILE\n"
    "                             (lines 'INDEX COUNT'; repeatable, counts add up)\n"
    "  -W NAME, -Wno-NAME         enable/disable warning NAME\n"
    "  -Werror, -Werror=NAME      treat all warnings (or NAME) as errors\n"
    "      --max-errors=N         stop after N errors (default 20; 0: no limit)\n"
    "      --max-warnings=N       print N warnings of each kind, then count the rest\n"
    "                             (default 10; 0: print all)\n"
    "  -h, --help                 print this help and exit\n"
    "  -V, --version              print the version and exit\n\n"
    "Checks: syntax undefined duplicate initial nondeterminism shadowed unhandled include\n"
    "override (errors);\n"
    "unreachable dead-end unused-event unused-guard unused-action guard-fallthrough (warnings).\n"
    "Exit status: 0 ok, 1 spec errors, 2 usage or I/O errors.\n"
    "Manual: man fsmc; the language: man 5 fsm-language.\n";

static const char version[] =
    "fsmc (tcpfsm) " FSMC_VERSION "\n"; /* no licence notice: the project has not chosen one */

static int usage_error(const char *fmt, const char *arg)
{
    fputs("fsmc: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'fsmc --help' for more information.\n", stderr);
    return 2;
}

/* a comma-separated list of names from `names` (n of them) into want[]; NULL, or the first
 * unknown name (copied into bad) */
static const char *parse_list(const char *list, const char *const *names, int n, bool *want,
                              char bad[64])
{
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int k = 0;
        while (k < n && (strlen(names[k]) != len || strncmp(names[k], p, len)))
            k++;
        if (k == n) {
            snprintf(bad, 64, "%.*s", (int)(len < 60 ? len : 60), p);
            return bad;
        }
        want[k] = true;
        p += len + (p[len] == ',');
    }
    return NULL;
}

/* mkdir -p DIR; false with errno set */
static bool make_dirs(char *dir)
{
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p) continue;
        char c = *p;
        *p = 0;
        int r = mkdir(dir, 0777);
        int e = errno;
        *p = c;
        if (r && e != EEXIST) {
            errno = e;
            return false;
        }
        if (!c) break;
    }
    struct stat st;
    if (stat(dir, &st)) return false;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return false;
    }
    return true;
}

static bool write_file(struct fsmc *fx, const char *path, enum fsmc_backend b, const struct ir *ir,
                       const struct emit_opts *o)
{
    bool to_stdout = !strcmp(path, "-");
    FILE *f = to_stdout ? stdout : fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "fsmc: cannot write '%s': %s\n", path, strerror(errno));
        return false;
    }
    int rc = fsmc_emit(fx, b, ir, f, o);
    if (rc == FSMC_ENOMEM) {
        if (!to_stdout) fclose(f);
        return false;
    }
    bool ok = rc == FSMC_OK;
    int e = ok ? 0 : EIO;
    if (to_stdout ? fflush(f) != 0 : fclose(f) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) fprintf(stderr, "fsmc: error writing '%s': %s\n", path, strerror(e));
    return ok;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

struct options {
    bool want[EK_COUNT], views[2], stats, line;
    int style, action_args; /* index in styles[], action_args[] */
    const char *prefix, *outfile, *spec;
    char *outdir;
    const char **covfiles;
    int ncov;
};

enum {
    O_STYLE = 256,
    O_VIEW,
    O_PREFIX,
    O_NO_LINE,
    O_CHECK,
    O_STATS,
    O_COVERAGE,
    O_MAX_ERRORS,
    O_ACTION_ARGS,
    O_MAX_WARNINGS
};
static const struct option longopts[] = {
    {"emit", required_argument, NULL, 'e'},
    {"style", required_argument, NULL, O_STYLE},
    {"action-args", required_argument, NULL, O_ACTION_ARGS},
    {"view", required_argument, NULL, O_VIEW},
    {"prefix", required_argument, NULL, O_PREFIX},
    {"output", required_argument, NULL, 'o'},
    {"output-dir", required_argument, NULL, 'd'},
    {"no-line", no_argument, NULL, O_NO_LINE},
    {"check", no_argument, NULL, O_CHECK},
    {"stats", no_argument, NULL, O_STATS},
    {"coverage", required_argument, NULL, O_COVERAGE},
    {"max-errors", required_argument, NULL, O_MAX_ERRORS},
    {"max-warnings", required_argument, NULL, O_MAX_WARNINGS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* -W NAME, -Wno-NAME, -Werror, -Werror=NAME */
static int warning_option(struct fsmc *fx, const char *w)
{
    if (!strcmp(w, "error")) {
        diag_set_werror(fx, -1, true);
        return 0;
    }
    bool werror = !strncmp(w, "error=", 6), off = !werror && !strncmp(w, "no-", 3);
    const char *name = w + (werror ? 6 : 0) + (off ? 3 : 0);
    int c = diag_check_by_name(name);
    if (c < 0) return usage_error("unknown warning '%s'", name);
    if (werror)
        diag_set_werror(fx, c, true);
    else
        diag_set_enabled(fx, (enum check)c, !off);
    return 0;
}

/* 0: go on; otherwise the exit status (usage error 2, or 0 after --help/--version) */
static int parse_args(int argc, char **argv, struct fsmc *fx, struct options *op, int *done)
{
    *done = 0;
    op->line = true;
    op->covfiles = calloc((size_t)argc + 1, sizeof *op->covfiles);
    if (!op->covfiles) return usage_error("%s", "out of memory");
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":e:o:d:W:hV", longopts, NULL)) != -1) {
        char buf[64];
        const char *bad;
        switch (c) {
        case 'h':
            fputs(usage, stdout);
            *done = 1;
            return 0;
        case 'V':
            fputs(version, stdout);
            *done = 1;
            return 0;
        case 'e':
            if ((bad = parse_list(optarg,
                                  (const char *const[]){"c", "dot", "mermaid", "json", "stubs"},
                                  EK_COUNT, op->want, buf)))
                return usage_error("unknown --emit kind '%s' (c, dot, mermaid, json, stubs)", bad);
            break;
        case O_STYLE:
            op->style = -1;
            for (int k = 0; k < 2; k++)
                if (!strcmp(styles[k], optarg)) op->style = k;
            if (op->style < 0) return usage_error("unknown --style '%s' (table, switch)", optarg);
            break;
        case O_ACTION_ARGS:
            op->action_args = -1;
            for (int k = 0; k < 2; k++)
                if (!strcmp(action_args[k], optarg)) op->action_args = k;
            if (op->action_args < 0)
                return usage_error("unknown --action-args '%s' (plain, transition)", optarg);
            break;
        case O_VIEW:
            if ((bad = parse_list(optarg, view_names, 2, op->views, buf)))
                return usage_error("unknown --view '%s' (full, overview)", bad);
            break;
        case O_PREFIX:
            op->prefix = optarg;
            break;
        case 'o':
            op->outfile = optarg;
            break;
        case 'd':
            op->outdir = optarg;
            break;
        case O_NO_LINE:
            op->line = false;
            break;
        case O_CHECK:
            break;
        case O_STATS:
            op->stats = true;
            break;
        case O_COVERAGE:
            if (!*optarg) return usage_error("%s", "--coverage needs a FILE");
            op->covfiles[op->ncov++] = optarg;
            break;
        case O_MAX_ERRORS:
        case O_MAX_WARNINGS: {
            char *end;
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (*end || !*optarg || errno || n < 0 || n > 1000000)
                return usage_error(c == O_MAX_ERRORS ? "bad --max-errors '%s' (0 to 1000000)"
                                                     : "bad --max-warnings '%s' (0 to 1000000)",
                                   optarg);
            if (c == O_MAX_ERRORS)
                diag_set_max_errors(fx, (int)n);
            else
                diag_set_max_warnings(fx, (int)n);
            break;
        }
        case 'W':
            if (warning_option(fx, optarg)) return 2;
            break;
        case ':':
            return usage_error("option '%s' needs an argument", argv[optind - 1]);
        default:
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind == argc) return usage_error("%s", "no spec file given");
    if (optind + 1 < argc) return usage_error("more than one spec given ('%s')", argv[optind + 1]);
    op->spec = argv[optind];
    return 0;
}

/* the checks that need the whole command line */
static int check_args(struct options *op)
{
    int nk = 0;
    for (int k = 0; k < EK_COUNT; k++)
        nk += op->want[k];
    if (op->outfile && nk != 1) return usage_error("%s", "-o needs exactly one --emit kind");
    if (op->outfile && op->outdir)
        return usage_error("%s", "-o and --output-dir exclude each other");
    if (op->outfile && op->want[EK_C] && !strcmp(op->outfile, "-"))
        return usage_error("%s", "--emit=c writes a .c and a .h: give -o FILE.c or --output-dir");
    if (op->ncov && !op->want[EK_DOT]) return usage_error("%s", "--coverage needs --emit=dot");
    if (op->action_args && !op->want[EK_C] && !op->want[EK_STUBS])
        return usage_error("%s", "--action-args needs --emit=c or --emit=stubs");
    if (op->ncov && op->views[VIEW_OVERVIEW])
        return usage_error("%s", "--coverage draws every row; it takes no --view=overview");
    if (!op->views[VIEW_FULL] && !op->views[VIEW_OVERVIEW]) op->views[VIEW_FULL] = true;
    int nviews = op->views[VIEW_FULL] + op->views[VIEW_OVERVIEW];
    if (op->outfile && nviews > 1 && (op->want[EK_DOT] || op->want[EK_MERMAID]))
        return usage_error("%s", "-o takes one --view");
    /* one output and nowhere said: standard output */
    if (!op->outfile && !op->outdir && nk == 1 && !op->want[EK_C] &&
        (op->want[EK_JSON] || op->want[EK_STUBS] || nviews == 1))
        op->outfile = "-";
    return 0;
}

/* where output KIND (view VW) goes: -o, DIR/STEM[-overview].ext or STEM[-overview].ext */
static const char *out_path(struct fsmc *fx, const struct options *op, const char *stem, int k,
                            int vw)
{
    if (op->outfile) return op->outfile;
    const char *suffix = vw == VIEW_OVERVIEW ? "-overview" : "";
    if (k == EK_STUBS) suffix = "_stubs";
    return op->outdir ? arena_printf(fx, "%s/%s%s.%s", op->outdir, stem, suffix, kinds[k].ext)
                      : arena_printf(fx, "%s%s.%s", stem, suffix, kinds[k].ext);
}

static bool emit_all(struct fsmc *fx, const struct options *op, const struct ir *ir,
                     const unsigned long long *counts)
{
    /* STEM: the spec's file name without .fsm; the machine's name for standard input */
    const char *stem = !strcmp(op->spec, "-") ? ir->machine : base_name(op->spec);
    size_t sl = strlen(stem);
    if (sl > 4 && !strcmp(stem + sl - 4, ".fsm")) stem = arena_strndup(fx, stem, sl - 4);
    for (int k = 0; k < EK_COUNT; k++) {
        if (!op->want[k]) continue;
        if (k == EK_C) {
            const char *path = out_path(fx, op, stem, k, VIEW_FULL);
            size_t pl = strlen(path);
            const char *hdr = pl > 2 && !strcmp(path + pl - 2, ".c")
                                  ? arena_printf(fx, "%.*s.h", (int)pl - 2, path)
                                  : arena_printf(fx, "%s.h", path);
            struct emit_opts o = {.line = op->line,
                                  .out_path = path,
                                  .hdr_path = hdr,
                                  .hdr_name = base_name(hdr),
                                  .spec_path = op->spec,
                                  .action_transition = op->action_args == 1};
            if (!write_file(fx, hdr, FSMC_EMIT_C_HEADER, ir, &o) ||
                !write_file(fx, path, op->style ? FSMC_EMIT_C_SWITCH : FSMC_EMIT_C_TABLE, ir, &o))
                return false;
        } else if (k == EK_JSON) {
            const char *path = out_path(fx, op, stem, k, VIEW_FULL);
            struct emit_opts o = {.line = op->line, .out_path = path, .spec_path = op->spec};
            if (!write_file(fx, path, FSMC_EMIT_JSON, ir, &o)) return false;
        } else if (k == EK_STUBS) {
            /* the stubs include the header --emit=c writes without -o: STEM.h */
            const char *path = out_path(fx, op, stem, k, VIEW_FULL);
            struct emit_opts o = {.line = op->line,
                                  .out_path = path,
                                  .spec_path = op->spec,
                                  .hdr_name = arena_printf(fx, "%s.h", stem),
                                  .action_transition = op->action_args == 1};
            if (!write_file(fx, path, FSMC_EMIT_C_STUBS, ir, &o)) return false;
        } else {
            for (int vw = 0; vw < 2; vw++) {
                if (!op->views[vw]) continue;
                const char *path = out_path(fx, op, stem, k, op->outfile ? VIEW_FULL : vw);
                struct emit_opts o = {.line = op->line,
                                      .out_path = path,
                                      .spec_path = op->spec,
                                      .counts = k == EK_DOT ? counts : NULL,
                                      .view = (enum view_kind)vw};
                if (!write_file(fx, path, k == EK_DOT ? FSMC_EMIT_DOT : FSMC_EMIT_MERMAID, ir, &o))
                    return false;
            }
        }
    }
    return true;
}

static int run(struct fsmc *fx, struct options *op)
{
    struct ir ir;
    int rc = fsmc_compile(fx, op->spec, op->prefix, &ir);
    if (rc != FSMC_OK) return rc == FSMC_ESPEC ? 1 : 2;
    unsigned long long *counts = NULL;
    if (op->ncov) {
        counts = calloc((size_t)ir.nrows + 1, sizeof *counts);
        if (!counts) return 2;
        for (int i = 0; i < op->ncov && rc == FSMC_OK; i++)
            rc = fsmc_load_coverage(fx, op->covfiles[i], &ir, counts);
        if (rc == FSMC_OK && diag_errors(fx)) rc = FSMC_ESPEC;
        if (rc != FSMC_OK) {
            free(counts);
            return rc == FSMC_ESPEC ? 1 : 2;
        }
    }
    if (op->stats)
        printf("states: %d\nevents: %d\ntransitions: %d\ntable bytes: %zu\n", ir.nstates,
               ir.nevents, ir.nrows, emit_table_bytes(&ir));
    if (op->outdir && !make_dirs(op->outdir)) {
        fprintf(stderr, "fsmc: cannot create directory '%s': %s\n", op->outdir, strerror(errno));
        free(counts);
        return 2;
    }
    bool ok = emit_all(fx, op, &ir, counts);
    free(counts);
    return ok ? 0 : 2;
}

int main(int argc, char **argv)
{
    struct fsmc *fx = fsmc_new(stderr);
    if (!fx) {
        fputs("fsmc: out of memory\n", stderr);
        return 2;
    }
    struct options op = {0};
    int done, rc = parse_args(argc, argv, fx, &op, &done);
    if (!rc && !done) rc = check_args(&op);
    jmp_buf jb; /* out of memory in main's own use of the arena (file names) */
    fx->oom = &jb;
    if (!rc && !done && setjmp(jb)) {
        fputs("fsmc: out of memory\n", stderr);
        rc = 2;
    } else if (!rc && !done)
        rc = run(fx, &op);
    free(op.covfiles);
    fsmc_free(fx);
    return rc;
}
