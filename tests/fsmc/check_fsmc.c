/* libcheck tests for fsmc's command line: one must-fail/must-warn spec per check (expected
   diagnostic on the spec's first line), exit codes, -W flags, --help, reproducibility.
   Golden files, C compilation, backend equivalence and garbage input are in run_tests.sh.
   usage: check_fsmc FSMC ERRORS_DIR SCRATCH_DIR */
#include <check.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static const char *fsmc, *errdir, *scratch;
static glob_t specs;

/* run a shell command, capture stdout+stderr into buf, return the exit status */
static int run(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int run(char *buf, size_t cap, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    strncat(cmd, " 2>&1", sizeof cmd - strlen(cmd) - 1);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(buf, 1, cap - 1, p);
    buf[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

START_TEST(diagnostic_spec)
{
    const char *path = specs.gl_pathv[_i], *base = strrchr(path, '/') + 1;
    char first[512] = "", second[512] = "", out[65536], want[600];
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(first, sizeof first, f));
    if (!fgets(second, sizeof second, f)) second[0] = 0;
    fclose(f);
    first[strcspn(first, "\n")] = 0;
    ck_assert_msg(strncmp(first, "// expect: ", 11) == 0, "%s: first line must be '// expect: ...'",
                  base);
    snprintf(want, sizeof want, "%s:%s", base, first + 11);
    int rc = run(out, sizeof out, "cd '%s' && '%s' '%s'", errdir, fsmc, base);
    ck_assert_msg(strstr(out, want) != NULL, "%s: expected\n  %s\ngot\n%s", base, want, out);
    if (strstr(want, ": warning: ")) {
        ck_assert_int_eq(rc, 0);
        rc = run(out, sizeof out, "cd '%s' && '%s' -Werror '%s'", errdir, fsmc, base);
        ck_assert_int_eq(rc, 1);
        /* -Werror turns the same diagnostic into an error */
        char *w = strstr(want, ": warning: ");
        char werr[600];
        snprintf(werr, sizeof werr, "%.*s: error: %s", (int)(w - want), want, w + 11);
        ck_assert_msg(strstr(out, werr) != NULL, "%s: -Werror output lacks\n  %s", base, werr);
    } else {
        ck_assert_int_eq(rc, 1);
    }
    /* "// errors: N": one mistake, exactly N errors (no cascade after it) */
    int nerr;
    if (sscanf(second, "// errors: %d", &nerr) == 1) {
        rc = run(out, sizeof out, "cd '%s' && '%s' '%s'", errdir, fsmc, base);
        int n = 0;
        for (const char *p = out; (p = strstr(p, ": error: ")); p++)
            n++;
        ck_assert_msg(n == nerr, "%s: %d errors, want %d:\n%s", base, n, nerr, out);
    }
}
END_TEST

START_TEST(exit_codes)
{
    char out[65536];
    ck_assert_int_eq(run(out, sizeof out, "'%s' --help", fsmc), 0);
    ck_assert_ptr_nonnull(strstr(out, "--emit=KIND"));
    ck_assert_ptr_nonnull(strstr(out, "--max-errors=N"));
    ck_assert_int_eq(run(out, sizeof out, "'%s'", fsmc), 2);
    ck_assert_int_eq(run(out, sizeof out, "'%s' --bogus x.fsm", fsmc), 2);
    ck_assert_int_eq(run(out, sizeof out, "'%s' -Wnot-a-check x.fsm", fsmc), 2);
    ck_assert_int_eq(run(out, sizeof out, "'%s' --emit=pdf x.fsm", fsmc), 2);
    ck_assert_int_eq(run(out, sizeof out, "'%s' /nonexistent/x.fsm", fsmc), 2);
    ck_assert_ptr_nonnull(strstr(out, "cannot read"));
    ck_assert_int_eq(run(out, sizeof out, "'%s' --emit=c,dot -o x.c x.fsm", fsmc), 2);
}
END_TEST

/* GNU conventions: --opt VAL as --opt=VAL, -o -, standard output for one output, --output-dir
   made on demand, '--', '-' for standard input, I/O errors with their reason, --version */
START_TEST(gnu_command_line)
{
    char out[65536], two[65536];
    const char *tl = "../golden/traffic_light.fsm";
    /* --emit json == --emit=json == -e json: all print the one output on standard output */
    ck_assert_int_eq(run(out, sizeof out, "cd '%s' && '%s' --emit=json %s", errdir, fsmc, tl), 0);
    ck_assert_msg(!strncmp(out, "{\n  \"machine\": \"traffic_light\"", 30), "%s", out);
    ck_assert_int_eq(run(two, sizeof two, "cd '%s' && '%s' --emit json %s", errdir, fsmc, tl), 0);
    ck_assert_str_eq(out, two);
    ck_assert_int_eq(run(two, sizeof two, "cd '%s' && '%s' -e json -o - %s", errdir, fsmc, tl), 0);
    ck_assert_str_eq(out, two);
    ck_assert_int_eq(run(two, sizeof two, "cd '%s' && ls *.json 2>/dev/null | wc -l", errdir), 0);
    ck_assert_str_eq(two, "0\n");
    /* '-' reads standard input; its diagnostics say <stdin> */
    ck_assert_int_eq(run(two, sizeof two, "cd '%s' && '%s' -e json - < %s", errdir, fsmc, tl), 0);
    ck_assert_msg(strstr(two, "\"machine\": \"traffic_light\""), "%s", two);
    ck_assert_int_eq(run(out, sizeof out,
                         "printf 'machine m { state A initial final; event E; "
                         "A on E -> B; }' | '%s' -",
                         fsmc),
                     1);
    ck_assert_msg(strstr(out, "<stdin>:1:"), "%s", out);
    /* --output-dir DIR (two words) creates DIR and its parents; two views: two files */
    ck_assert_int_eq(run(out, sizeof out,
                         "cd '%s' && rm -rf gnu && '%s' --emit dot --view "
                         "full,overview --output-dir gnu/a/b '%s/%s' && ls gnu/a/b",
                         scratch, fsmc, errdir, tl),
                     0);
    ck_assert_str_eq(out, "traffic_light-overview.dot\ntraffic_light.dot\n");
    /* '--' ends the options: a spec whose name starts with '-' */
    ck_assert_int_eq(run(out, sizeof out, "cd '%s' && cp '%s/%s' ./-tl.fsm && '%s' -- -tl.fsm",
                         scratch, errdir, tl, fsmc),
                     0);
    /* I/O errors say why */
    ck_assert_int_eq(
        run(out, sizeof out, "'%s' -e dot -o /nonexistent/x.dot '%s/%s'", fsmc, errdir, tl), 2);
    ck_assert_msg(strstr(out, "cannot write '/nonexistent/x.dot': No such file or directory"), "%s",
                  out);
    ck_assert_int_eq(run(out, sizeof out, "'%s' /nonexistent/x.fsm", fsmc), 2);
    ck_assert_msg(strstr(out, "cannot read '/nonexistent/x.fsm': No such file or directory"), "%s",
                  out);
    ck_assert_int_eq(
        run(out, sizeof out, "'%s' -e dot -d /proc/version/x '%s/%s'", fsmc, errdir, tl), 2);
    ck_assert_msg(strstr(out, "cannot create directory '/proc/version/x': "), "%s", out);
    /* usage errors name the problem and point at --help */
    ck_assert_int_eq(run(out, sizeof out, "'%s' --emit", fsmc), 2);
    ck_assert_msg(strstr(out, "option '--emit' needs an argument\nTry 'fsmc --help'"), "%s", out);
    ck_assert_int_eq(run(out, sizeof out, "'%s' -e c -o - x.fsm", fsmc), 2);
    /* --version, GNU form: "PROGRAM (PACKAGE) VERSION" first */
    ck_assert_int_eq(run(out, sizeof out, "'%s' --version", fsmc), 0);
    ck_assert_msg(!strncmp(out, "fsmc (tcpfsm) ", 14) && strchr(out + 14, '.'), "%s", out);
    ck_assert_int_eq(run(two, sizeof two, "'%s' -V", fsmc), 0);
    ck_assert_str_eq(out, two);
}
END_TEST

/* Warnings are bounded per kind and summed up: a 1 MB spec with a warning for each of its
   72,000 states prints 10 and one summary line, and finishes well inside a generous bound (the
   benchmark row measures it). --max-warnings=0 prints them all. */
START_TEST(warnings_are_bounded_and_summed_up)
{
    char out[65536];
    int rc = run(out, sizeof out,
                 "cd '%s' && python3 '%s/../gen_big_spec.py' --unreachable 72000 "
                 ">unreach.fsm && wc -c <unreach.fsm",
                 scratch, errdir);
    ck_assert_int_eq(rc, 0);
    ck_assert_msg(atol(out) > 1000000, "the spec is %s bytes, want over 1 MB", out);
    rc = run(out, sizeof out, "cd '%s' && timeout 20 '%s' unreach.fsm", scratch, fsmc);
    ck_assert_msg(rc == 0, "rc %d (124: over 20 s): %.400s", rc, out);
    int n = 0;
    for (const char *p = out; (p = strstr(p, ": warning: ")); p++)
        n++;
    ck_assert_msg(n == 10, "%d warnings printed, want 10", n);
    ck_assert_msg(strstr(out, "fsmc: note: and 71,989 more unreachable states [-Wunreachable] "
                              "(--max-warnings=0 shows them all)\n"),
                  "%s", out);
    rc = run(out, sizeof out,
             "cd '%s' && '%s' --max-warnings=0 unreach.fsm | true; "
             "'%s' --max-warnings 0 unreach.fsm 2>&1 | grep -c ': warning: '",
             scratch, fsmc, fsmc);
    ck_assert_str_eq(out, "71999\n");
    rc = run(out, sizeof out,
             "cd '%s' && '%s' --max-warnings=3 unreach.fsm 2>&1 | grep -c ': warning: '", scratch,
             fsmc);
    ck_assert_str_eq(out, "3\n");
    /* an endless machine that says so gets no dead-end warning at all */
    rc = run(out, sizeof out,
             "printf 'machine bgp endless {\\n state Idle initial;\\n state Connect;"
             "\\n event Start, Stop;\\n Idle on Start -> Connect;\\n Connect on Stop -> Idle;"
             "\\n Idle ignore Stop;\\n Connect ignore Start;\\n}\\n' | '%s' -",
             fsmc);
    ck_assert_msg(rc == 0 && out[0] == 0, "%s", out);
}
END_TEST

/* A 10,000-state, 50,000-transition spec checks in a fraction of a second and far under
   1.5 GB (a rule's expansion once cost one slot per state of the machine: 4.3 GB, 17 s).
   The address-space cap is left out for a sanitized fsmc, which reserves terabytes. */
START_TEST(big_specs_stay_linear)
{
    char out[65536];
    int rc = run(out, sizeof out,
                 "cd '%s' && python3 '%s/../../../bench/gen_spec.py' 10000 50000 "
                 "big10k.fsm",
                 scratch, errdir);
    ck_assert_msg(rc == 0, "%s", out);
    rc = run(out, sizeof out,
             "cd '%s' && if nm '%s' 2>/dev/null | grep -q __asan_init; then :; "
             "else ulimit -v 1500000; fi; timeout 60 '%s' -Wno-unused-event big10k.fsm",
             scratch, fsmc, fsmc);
    ck_assert_msg(rc == 0, "rc %d (124: over 60 s; memory cap 1.5 GB): %.500s", rc, out);
}
END_TEST

START_TEST(warning_flags)
{
    char out[65536];
    /* unused-guard.fsm warns; -Wno-unused-guard silences it; -Werror=unused-action doesn't touch it
     */
    ck_assert_int_eq(
        run(out, sizeof out, "cd '%s' && '%s' -Wno-unused-guard unused-guard.fsm", errdir, fsmc),
        0);
    ck_assert_ptr_null(strstr(out, "unused-guard"));
    ck_assert_int_eq(run(out, sizeof out, "cd '%s' && '%s' -Werror=unused-action unused-guard.fsm",
                         errdir, fsmc),
                     0);
    ck_assert_int_eq(
        run(out, sizeof out, "cd '%s' && '%s' -Werror=unused-guard unused-guard.fsm", errdir, fsmc),
        1);
    /* errors cannot be switched off */
    ck_assert_int_eq(
        run(out, sizeof out, "cd '%s' && '%s' -Wno-undefined undefined-state.fsm", errdir, fsmc),
        1);
    /* source line and caret follow the diagnostic */
    run(out, sizeof out, "cd '%s' && '%s' undefined-state.fsm", errdir, fsmc);
    ck_assert_ptr_nonnull(strstr(out, "\n   A on E -> B;\n             ^\n"));
}
END_TEST

START_TEST(reproducible)
{
    char out[65536];
    int rc = run(out, sizeof out,
                 "cd '%s' && rm -rf rep && mkdir rep && for i in 1 2; do mkdir rep/o && "
                 "'%s' --emit=c,dot,mermaid,json --output-dir=rep/o "
                 "'%s/../golden/traffic_light.fsm' || exit 3; "
                 "mv rep/o rep/$i; done; diff -r rep/1 rep/2",
                 scratch, fsmc, errdir);
    ck_assert_msg(rc == 0, "%s", out);
}
END_TEST

START_TEST(recovery_and_include)
{
    char out[65536];
    /* two independent mistakes give exactly two errors: recovery resyncs at ';' */
    int rc =
        run(out, sizeof out,
            "cd '%s' && printf 'machine m {\\n state A initial final;\\n A on ) E;\\n event E;\\n"
            " A on E -> A;\\n A on E -> ;\\n}\\n' >rec.fsm && '%s' rec.fsm",
            scratch, fsmc);
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(
        strstr(out, "rec.fsm:3:7: error: unexpected character ')', expecting a name") &&
            strstr(out, "rec.fsm:6:12: error: unexpected ';', expecting 'stay' or a name"),
        "%s", out);
    int n = 0;
    for (const char *p = out; (p = strstr(p, ": error: ")); p++)
        n++;
    ck_assert_int_eq(n, 2);
    /* an include relative to the including file's directory */
    rc = run(out, sizeof out, "'%s' '%s/../inc/main.fsm'", fsmc, errdir);
    ck_assert_msg(rc == 0 && out[0] == 0, "%s", out);
}
END_TEST

int main(int argc, char **argv)
{
    if (argc != 4) {
        fputs("usage: check_fsmc FSMC ERRORS_DIR SCRATCH_DIR\n", stderr);
        return 2;
    }
    fsmc = argv[1];
    errdir = argv[2];
    scratch = argv[3];
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/*.fsm", errdir);
    if (glob(pat, 0, NULL, &specs) != 0 || specs.gl_pathc < 14) {
        fprintf(stderr, "check_fsmc: too few specs in %s\n", errdir);
        return 2;
    }
    Suite *s = suite_create("fsmc");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, diagnostic_spec, 0, (int)specs.gl_pathc);
    tcase_add_test(tc, exit_codes);
    tcase_add_test(tc, gnu_command_line);
    tcase_add_test(tc, warning_flags);
    tcase_add_test(tc, warnings_are_bounded_and_summed_up);
    tcase_add_test(tc, big_specs_stay_linear);
    tcase_add_test(tc, reproducible);
    tcase_add_test(tc, recovery_and_include);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    globfree(&specs);
    return failed ? 1 : 0;
}
