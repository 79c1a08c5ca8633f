/* The library's entry points: each runs one phase for a program (main.c, the fuzz harness,
 * the tests) and turns running out of memory into FSMC_ENOMEM instead of an exit. */
#include "fsmc.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Out of memory anywhere below a library call unwinds here: give back what is not in the
 * arena (flex's buffers, a file half read) and say so. */
static int out_of_memory(struct fsmc *fx, jmp_buf *outer)
{
    lexer_close(fx);
    free(fx->scratch);
    fx->scratch = NULL;
    fx->oom = outer;
    fputs("fsmc: out of memory\n", fx->err);
    return FSMC_ENOMEM;
}

/* Each call unwinds to its own jmp_buf and then puts back the caller's (a program may set
 * fx->oom around its own use of the arena). */
#define GUARD(fx)                                                                                  \
    jmp_buf jb, *const outer = (fx)->oom;                                                          \
    (fx)->oom = &jb;                                                                               \
    if (setjmp(jb)) return out_of_memory(fx, outer)

int fsmc_compile(struct fsmc *fx, const char *path, const char *prefix, struct ir *ir)
{
    memset(ir, 0, sizeof *ir);
    if (fx->compiled) { /* the AST and the files are the context's: one spec each */
        fprintf(fx->err, "fsmc: a context compiles one spec ('%s' was not read)\n", path);
        return FSMC_EIO;
    }
    fx->compiled = true;
    GUARD(fx);
    if (!parse_file(fx, path)) {
        fprintf(fx->err, "fsmc: cannot read '%s': %s\n", path, strerror(errno));
        fx->oom = outer;
        return FSMC_EIO;
    }
    if (diag_errors(fx) == 0 && model_build(fx, ir, prefix)) checks_run(fx, ir);
    diag_summary(fx);
    fx->oom = outer;
    return diag_errors(fx) ? FSMC_ESPEC : FSMC_OK;
}

int fsmc_load_coverage(struct fsmc *fx, const char *path, const struct ir *ir,
                       unsigned long long *counts)
{
    GUARD(fx);
    int before = diag_errors(fx);
    if (!coverage_load(fx, path, ir->machine, counts, ir->nrows)) {
        fprintf(fx->err, "fsmc: cannot read '%s': %s\n", path, strerror(errno));
        fx->oom = outer;
        return FSMC_EIO;
    }
    fx->oom = outer;
    return diag_errors(fx) > before ? FSMC_ESPEC : FSMC_OK;
}

int fsmc_emit(struct fsmc *fx, enum fsmc_backend b, const struct ir *ir, FILE *f,
              const struct emit_opts *o)
{
    GUARD(fx);
    switch (b) {
    case FSMC_EMIT_C_HEADER:
        emit_c_header(fx, ir, f, o);
        break;
    case FSMC_EMIT_C_TABLE:
        emit_c_table(fx, ir, f, o);
        break;
    case FSMC_EMIT_C_SWITCH:
        emit_c_switch(fx, ir, f, o);
        break;
    case FSMC_EMIT_DOT:
        if (o->counts)
            emit_dot_coverage(fx, ir, f, o->counts);
        else
            emit_dot_view(fx, ir, f, o->view);
        break;
    case FSMC_EMIT_MERMAID:
        emit_mermaid_view(fx, ir, f, o->view);
        break;
    case FSMC_EMIT_JSON:
        emit_json(fx, ir, f);
        break;
    case FSMC_EMIT_C_STUBS:
        emit_c_stubs(fx, ir, f, o);
        break;
    }
    fx->oom = outer;
    return ferror(f) ? FSMC_EIO : FSMC_OK;
}
