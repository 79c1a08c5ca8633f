/* libcheck tests for fsmc as a library (fsmc/fsmc.h): contexts are independent, so specs
   compiled one after another or side by side in one process give the same bytes as separate
   `fsmc` processes; errors and unreadable files come back as a status, never an exit; running
   out of memory is FSMC_ENOMEM.
   usage: check_fsmc_lib FSMC REPO_ROOT SCRATCH_DIR */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsmc.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static const char *fsmc, *root, *scratch;

/* the outputs `fsmc --emit=c,dot,mermaid,json,stubs --view=full,overview --output-dir=DIR SPEC`
 * writes, as (file suffix, backend, view) */
static const struct out {
    const char *suffix;
    enum fsmc_backend b;
    enum view_kind view;
} outs[] = {
    {".h", FSMC_EMIT_C_HEADER, VIEW_FULL},  {".c", FSMC_EMIT_C_TABLE, VIEW_FULL},
    {".dot", FSMC_EMIT_DOT, VIEW_FULL},     {"-overview.dot", FSMC_EMIT_DOT, VIEW_OVERVIEW},
    {".mmd", FSMC_EMIT_MERMAID, VIEW_FULL}, {"-overview.mmd", FSMC_EMIT_MERMAID, VIEW_OVERVIEW},
    {".json", FSMC_EMIT_JSON, VIEW_FULL},   {"_stubs.c", FSMC_EMIT_C_STUBS, VIEW_FULL},
};
#define NOUTS (sizeof outs / sizeof *outs)

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    char *buf = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&buf, &cap);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        fwrite(tmp, 1, n, m);
    fclose(f);
    fclose(m);
    *len = cap;
    return buf;
}

/* one compilation's outputs, in memory */
struct result {
    struct fsmc *fx;
    struct ir ir;
    char *text[NOUTS];
    size_t len[NOUTS];
};

static void compile(struct result *r, const char *spec)
{
    r->fx = fsmc_new(stderr);
    ck_assert_ptr_nonnull(r->fx);
    ck_assert_int_eq(fsmc_compile(r->fx, spec, NULL, &r->ir), FSMC_OK);
}

/* emit everything as main.c would for --output-dir=DIR (the paths are written into the C) */
static void emit(struct result *r, const char *spec, const char *dir, const char *stem)
{
    char *c = NULL, *h = NULL;
    ck_assert_int_ge(asprintf(&c, "%s/%s.c", dir, stem), 0);
    ck_assert_int_ge(asprintf(&h, "%s/%s.h", dir, stem), 0);
    for (size_t k = 0; k < NOUTS; k++) {
        struct emit_opts o = {.line = true,
                              .out_path = c,
                              .hdr_path = h,
                              .hdr_name = strrchr(h, '/') + 1,
                              .spec_path = spec,
                              .view = outs[k].view};
        FILE *m = open_memstream(&r->text[k], &r->len[k]);
        ck_assert_int_eq(fsmc_emit(r->fx, outs[k].b, &r->ir, m, &o), FSMC_OK);
        fclose(m);
    }
    free(c);
    free(h);
}

static void release(struct result *r)
{
    for (size_t k = 0; k < NOUTS; k++)
        free(r->text[k]);
    fsmc_free(r->fx);
}

/* the same files from a separate fsmc process */
static void expect_same_as_process(const struct result *r, const char *spec, const char *dir,
                                   const char *stem)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && rm -rf '%s' && '%s' --emit=c,dot,mermaid,json,stubs --view=full,overview "
             "--output-dir='%s' '%s'",
             root, dir, fsmc, dir, spec);
    ck_assert_int_eq(system(cmd), 0);
    for (size_t k = 0; k < NOUTS; k++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s%s", dir, stem, outs[k].suffix);
        size_t len;
        char *want = slurp(path, &len);
        ck_assert_msg(len == r->len[k] && !memcmp(want, r->text[k], len),
                      "%s%s: the library in one process wrote %zu bytes that differ from "
                      "the fsmc process's %zu",
                      stem, outs[k].suffix, r->len[k], len);
        free(want);
    }
}

START_TEST(two_specs_in_one_process_give_the_bytes_of_two_processes)
{
    /* side by side: both contexts alive, their phases interleaved */
    struct result a = {0}, b = {0};
    char da[4096], db[4096];
    snprintf(da, sizeof da, "%s/lib-a", scratch);
    snprintf(db, sizeof db, "%s/lib-b", scratch);
    ck_assert_int_eq(chdir(root), 0);
    compile(&a, "spec/tcp.fsm");
    compile(&b, "spec/traffic_light.fsm");
    emit(&b, "spec/traffic_light.fsm", db, "traffic_light");
    emit(&a, "spec/tcp.fsm", da, "tcp");
    expect_same_as_process(&a, "spec/tcp.fsm", da, "tcp");
    expect_same_as_process(&b, "spec/traffic_light.fsm", db, "traffic_light");
    release(&a);
    release(&b);
}
END_TEST

START_TEST(the_same_spec_twice_in_one_process_gives_the_same_bytes)
{
    ck_assert_int_eq(chdir(root), 0);
    struct result r[2] = {0};
    for (int i = 0; i < 2; i++) {
        compile(&r[i], "spec/tcp.fsm");
        emit(&r[i], "spec/tcp.fsm", "out", "tcp");
        if (i == 0) fsmc_free(r[0].fx), r[0].fx = NULL; /* the second starts after it ends */
    }
    for (size_t k = 0; k < NOUTS; k++)
        ck_assert_msg(r[0].len[k] == r[1].len[k] &&
                          !memcmp(r[0].text[k], r[1].text[k], r[0].len[k]),
                      "tcp%s differs between two compilations in one process", outs[k].suffix);
    release(&r[0]);
    release(&r[1]);
}
END_TEST

/* diagnostics into a string */
static int compile_text(const char *text, int max_errors, char **diags, size_t *dlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/lib-spec.fsm", scratch);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    FILE *m = open_memstream(diags, dlen);
    struct fsmc *fx = fsmc_new(m);
    diag_set_max_errors(fx, max_errors);
    struct ir ir;
    int rc = fsmc_compile(fx, path, NULL, &ir);
    fsmc_free(fx);
    fclose(m);
    return rc;
}

START_TEST(spec_errors_come_back_as_a_status_not_an_exit)
{
    static const char bad[] = "machine m {\n state A initial final;\n event E;\n"
                              " A on E -> B;\n A on E -> C;\n A on E -> D;\n}\n";
    char *d1, *d2;
    size_t l1, l2;
    /* --max-errors=2 stops after the second error: said once, nothing after it */
    ck_assert_int_eq(compile_text(bad, 2, &d1, &l1), FSMC_ESPEC);
    ck_assert_msg(strstr(d1, "undefined state 'B'") && strstr(d1, "undefined state 'C'") &&
                      !strstr(d1, "'D'") && strstr(d1, "fsmc: too many errors, stopping\n"),
                  "%s", d1);
    /* and the process goes on: the same again, then a good spec */
    ck_assert_int_eq(compile_text(bad, 2, &d2, &l2), FSMC_ESPEC);
    ck_assert_msg(l1 == l2 && !memcmp(d1, d2, l1), "second run said:\n%s", d2);
    free(d1);
    free(d2);
    ck_assert_int_eq(
        compile_text("machine m { state A initial final; event E; A on E -> A; }\n", 20, &d1, &l1),
        FSMC_OK);
    ck_assert_msg(l1 == 0, "%s", d1);
    free(d1);
}
END_TEST

START_TEST(an_unreadable_spec_is_an_io_error_with_its_reason)
{
    char *d = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&d, &len);
    struct fsmc *fx = fsmc_new(m);
    struct ir ir;
    ck_assert_int_eq(fsmc_compile(fx, "/nonexistent/x.fsm", NULL, &ir), FSMC_EIO);
    /* a context compiles one spec: a second is refused, not mixed into the first */
    ck_assert_int_eq(fsmc_compile(fx, "spec/tcp.fsm", NULL, &ir), FSMC_EIO);
    fsmc_free(fx);
    fclose(m);
    ck_assert_msg(strstr(d, "fsmc: cannot read '/nonexistent/x.fsm': No such file or directory"),
                  "%s", d);
    free(d);
}
END_TEST

/* With the address space capped just above what the process uses, a spec of many thousand
 * states runs out of memory: the call must come back with FSMC_ENOMEM (checked in a child, so
 * the cap does not outlive the test; not under AddressSanitizer, which reserves terabytes). */
START_TEST(running_out_of_memory_is_a_status)
{
#ifdef UNDER_ASAN
    puts("SKIP: running_out_of_memory_is_a_status: AddressSanitizer needs more address space");
#else
    char path[4096];
    snprintf(path, sizeof path, "%s/lib-big.fsm", scratch);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("machine big {\n event E, F, G, H;\n state S0 initial final;\n", f);
    for (int i = 1; i < 200000; i++)
        fprintf(f, " state S%d;\n S%d on E -> S%d do a; S%d ignore F, G, H;\n", i, i - 1, i, i);
    fputs(" action a;\n S199999 on E -> S0;\n S0 ignore F, G, H;\n}\n", f);
    fclose(f);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit rl = {64u << 20, 64u << 20}; /* 64 MiB: far below what it needs */
        struct fsmc *fx = fsmc_new(fopen("/dev/null", "w"));
        if (!fx) _exit(3);
        setrlimit(RLIMIT_AS, &rl);
        struct ir ir;
        int rc = fsmc_compile(fx, path, NULL, &ir);
        _exit(rc == FSMC_ENOMEM ? 0 : 10 + rc);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "child: %s %d (want exit 0: FSMC_ENOMEM; 10+status otherwise)",
                  WIFEXITED(st) ? "exit" : "signal",
                  WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
#endif
}
END_TEST

int main(int argc, char **argv)
{
    if (argc != 4) {
        fputs("usage: check_fsmc_lib FSMC REPO_ROOT SCRATCH_DIR\n", stderr);
        return 2;
    }
    fsmc = argv[1];
    root = argv[2];
    scratch = argv[3];
    mkdir(scratch, 0777);
    Suite *s = suite_create("fsmc library");
    TCase *tc = tcase_create("contexts");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, two_specs_in_one_process_give_the_bytes_of_two_processes);
    tcase_add_test(tc, the_same_spec_twice_in_one_process_gives_the_same_bytes);
    tcase_add_test(tc, spec_errors_come_back_as_a_status_not_an_exit);
    tcase_add_test(tc, an_unreadable_spec_is_an_io_error_with_its_reason);
    tcase_add_test(tc, running_out_of_memory_is_a_status);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
