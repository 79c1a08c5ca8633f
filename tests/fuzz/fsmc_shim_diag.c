/* fsmc_shim_diag.c — fsmc/diag.c as is, plus a reset, and exit() turned into a longjmp
 * (see fsmc_shim.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsmc_shim.h"

jmp_buf *fsmc_shim_exit_jmp;
int fsmc_shim_exit_status;

/* fsmc exits with 1 after --max-errors errors (expected) and with 2 when malloc fails, which on
 * an input of a few KiB means a wild size: that is a finding, also in builds without ASan. */
_Noreturn void fsmc_shim_exit(int status)
{
    fsmc_shim_exit_status = status;
    if (status != 1) {
        fprintf(stderr, "fuzz_fsmc: fsmc called exit(%d) (out of memory)\n", status);
        abort();
    }
    if (fsmc_shim_exit_jmp)
        longjmp(*fsmc_shim_exit_jmp, 1);
    exit(status);
}

#define exit fsmc_shim_exit
#include "../../fsmc/diag.c"
#undef exit

void fsmc_shim_diag_reset(void)
{
    files = NULL; /* lived in the arena, which the harness frees */
    nfiles = capfiles = 0;
    nerrors = nwarnings = 0;
    max_errors = 20;
    for (int i = 0; i < CK_COUNT; i++) {
        enabled[i] = true;
        as_error[i] = !is_warning_kind((enum check)i);
    }
}
