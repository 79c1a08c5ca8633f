/* fsmc_shim_lexer.c — the lexer flex generated from fsmc/lexer.l, as is, plus a reset (see
 * fsmc_shim.h). FSMC_LEXER_C names the generated file (fuzz.mk sets it). */
#include "fsmc_shim.h"

#include FSMC_LEXER_C

void fsmc_shim_lexer_reset(void)
{
    cur_file = 0;
    cur_line = cur_col = 1;
    depth = 0;
}
