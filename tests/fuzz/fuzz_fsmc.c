/*
 * fuzz_fsmc.c — libFuzzer harness for fsmc: the input is a spec. It runs through the compiler
 * library in-process as main() drives it — lexer (with includes), parser, resolve, every
 * check, and when the spec has no error every backend (C header, table, switch and stubs,
 * with plain and transition action arguments, both diagram views in DOT and Mermaid, JSON)
 * into /dev/null. Any crash, sanitizer report, leak
 * or hang is a finding; diagnostics are not (they go to /dev/null).
 *
 * Each compilation gets its own context (fsmc_new ... fsmc_free): the library keeps no state
 * between them and returns instead of exiting, so no reset or longjmp is needed here.
 *
 * The spec is written to a private scratch directory, since fsmc_compile() takes a path and
 * includes are resolved relative to it. Inputs mentioning dev/, proc/ or sys/ are skipped:
 * `include "/dev/stdin";` blocks and `include "/dev/zero";` never ends, which says nothing
 * about fsmc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsmc.h"
#include "fuzz.h"

static char scratch[64]; /* private directory holding in.fsm */
static char spec_path[96];
static FILE *devnull;

static void scratch_remove(void)
{
    unlink(spec_path);
    rmdir(scratch);
    if (devnull) fclose(devnull);
}

static void scratch_init(void)
{
    if (scratch[0]) return;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/fuzz-fsmc-XXXXXX",
             tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
        perror("fuzz_fsmc: mkdtemp");
        abort();
    }
    snprintf(spec_path, sizeof spec_path, "%s/in.fsm", scratch);
    devnull = fopen("/dev/null", "w");
    if (!devnull) abort();
    atexit(scratch_remove);
}

static int mentions(const uint8_t *data, size_t size, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, s, n) == 0) return 1;
    return 0;
}

static void emit_all(struct fsmc *fx, const struct ir *ir)
{
    struct emit_opts o = {.line = true,
                          .out_path = "out/fz.c",
                          .hdr_path = "out/fz.h",
                          .hdr_name = "fz.h",
                          .spec_path = spec_path};
    static const enum fsmc_backend c[] = {FSMC_EMIT_C_HEADER, FSMC_EMIT_C_TABLE, FSMC_EMIT_C_SWITCH,
                                          FSMC_EMIT_C_STUBS, FSMC_EMIT_JSON};
    for (int transition = 0; transition < 2; transition++) /* --action-args=plain|transition */
        for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
            o.line = i != 2;
            o.action_transition = transition;
            if (fsmc_emit(fx, c[i], ir, devnull, &o) == FSMC_ENOMEM) abort();
        }
    for (int v = VIEW_FULL; v <= VIEW_OVERVIEW; v++) {
        o.view = (enum view_kind)v;
        if (fsmc_emit(fx, FSMC_EMIT_DOT, ir, devnull, &o) == FSMC_ENOMEM ||
            fsmc_emit(fx, FSMC_EMIT_MERMAID, ir, devnull, &o) == FSMC_ENOMEM)
            abort();
    }
    (void)emit_table_bytes(ir);
    fflush(devnull);
}

/* One compilation in a fresh context; `werror`/`max_errors` as on the command line. Out of
 * memory on an input of a few KiB means a wild size: a finding. */
static void compile(bool werror, int max_errors)
{
    struct fsmc *fx = fsmc_new(devnull);
    if (!fx) abort();
    if (werror) diag_set_werror(fx, -1, true);
    diag_set_max_errors(fx, max_errors);
    struct ir ir;
    int rc = fsmc_compile(fx, spec_path, NULL, &ir);
    if (rc == FSMC_ENOMEM) abort();
    if (rc == FSMC_OK) emit_all(fx, &ir);
    fsmc_free(fx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (mentions(data, size, "dev/") || mentions(data, size, "proc/") ||
        mentions(data, size, "sys/"))
        return 0;
    scratch_init();
    FILE *f = fopen(spec_path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size)) abort();
    fclose(f);
    compile(false, 20);
    compile(true, 3); /* -Werror --max-errors=3: the early-exit path */
    return 0;
}
