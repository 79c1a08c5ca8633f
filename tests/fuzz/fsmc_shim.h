/*
 * fsmc_shim.h — what the fsmc harness needs to run fsmc's front end more than once per
 * process. fsmc is written as a one-shot program: its modules keep file-static state that
 * nothing resets (diag.c: source file table, error counts; model.c: the name hash table, which
 * points into the arena; the lexer: line/column and include depth), and diag() calls exit(1)
 * after --max-errors errors. The fsmc_shim_*.c files compile fsmc's own sources unchanged
 * (#include) and add, in the same translation unit, the reset functions below; exit() in
 * diag.c becomes a longjmp back into the harness. No fsmc file is edited.
 */
#ifndef FSMC_SHIM_H
#define FSMC_SHIM_H

#include <setjmp.h>

/* Where fsmc_shim_exit() jumps to (set by the harness around each compilation), and the
 * status fsmc tried to exit with. NULL: exit() for real. */
extern jmp_buf *fsmc_shim_exit_jmp;
extern int fsmc_shim_exit_status;
_Noreturn void fsmc_shim_exit(int status);

void fsmc_shim_diag_reset(void);  /* forget files, counts; defaults for checks, max errors */
void fsmc_shim_model_reset(void); /* forget the name table */
void fsmc_shim_lexer_reset(void); /* line 1, column 1, no include pending */

#endif /* FSMC_SHIM_H */
