/*
 * fuzz_fsmc.c — libFuzzer harness for fsmc: the input is a spec. It runs through the compiler
 * in-process as main() drives it — lexer (with includes), parser, resolve (model_build), every
 * check, and when the spec has no error every backend (C header, C table, C switch, DOT,
 * Mermaid, JSON) into /dev/null. Any crash, sanitizer report, leak or hang is a finding;
 * diagnostics are not (they go to stderr, which `make fuzz` closes with -close_fd_mask).
 *
 * fsmc keeps file-static state between runs and exit()s after --max-errors errors; the
 * fsmc_shim_*.c files reset the one and turn the other into a longjmp here (fsmc_shim.h).
 *
 * The spec is written to a private scratch directory, since lexer_open() takes a path and
 * includes are resolved relative to it. Inputs mentioning dev/, proc/ or sys/ are skipped:
 * `include "/dev/stdin";` blocks and `include "/dev/zero";` never ends, which says nothing
 * about fsmc.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsmc.h"
#include "fsmc_shim.h"
#include "fuzz.h"

bool lexer_open(const char *path); /* parser.h's, without pulling in bison's header */
void lexer_close(void);

static char scratch[64]; /* private directory holding in.fsm */
static char spec_path[96];
static FILE *devnull;

static void scratch_remove(void)
{
    unlink(spec_path);
    rmdir(scratch);
    if (devnull)
        fclose(devnull);
}

static void scratch_init(void)
{
    if (scratch[0])
        return;
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/fuzz-fsmc-XXXXXX",
             tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(scratch)) {
        perror("fuzz_fsmc: mkdtemp");
        abort();
    }
    snprintf(spec_path, sizeof spec_path, "%s/in.fsm", scratch);
    devnull = fopen("/dev/null", "w");
    if (!devnull)
        abort();
    atexit(scratch_remove);
}

static int mentions(const uint8_t *data, size_t size, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, s, n) == 0)
            return 1;
    return 0;
}

static void emit_all(const struct ir *ir)
{
    struct emit_opts o = {.line = true, .out_path = "out/fz.c", .hdr_path = "out/fz.h",
                          .hdr_name = "fz.h", .spec_path = spec_path};
    emit_c_header(ir, devnull, &o);
    emit_c_table(ir, devnull, &o);
    o.line = false;
    emit_c_switch(ir, devnull, &o);
    emit_dot_view(ir, devnull, VIEW_FULL);
    emit_dot_view(ir, devnull, VIEW_OVERVIEW);
    emit_mermaid_view(ir, devnull, VIEW_FULL);
    emit_mermaid_view(ir, devnull, VIEW_OVERVIEW);
    emit_json(ir, devnull);
    (void)emit_table_bytes(ir);
    fflush(devnull);
}

/* One compilation with fresh fsmc state; `werror`/`max_errors` as on the command line. */
static void compile(bool werror, int max_errors)
{
    jmp_buf jb;
    fsmc_shim_diag_reset();
    fsmc_shim_model_reset();
    fsmc_shim_lexer_reset();
    memset(&g_ast, 0, sizeof g_ast);
    if (werror)
        diag_set_werror(-1, true);
    diag_set_max_errors(max_errors);
    fsmc_shim_exit_jmp = &jb;
    if (setjmp(jb) == 0) {
        if (parse_file(spec_path) && diag_errors() == 0) {
            struct ir ir;
            memset(&ir, 0, sizeof ir);
            if (model_build(&ir, NULL)) {
                checks_run(&ir);
                if (diag_errors() == 0)
                    emit_all(&ir);
            }
        }
    } else {
        lexer_close(); /* exit() while lexing: give back flex's buffers */
    }
    fsmc_shim_exit_jmp = NULL;
    arena_free_all();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (mentions(data, size, "dev/") || mentions(data, size, "proc/") ||
        mentions(data, size, "sys/"))
        return 0;
    scratch_init();
    FILE *f = fopen(spec_path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size))
        abort();
    fclose(f);
    compile(false, 20);
    compile(true, 3); /* -Werror --max-errors=3: the early-exit path */
    return 0;
}
