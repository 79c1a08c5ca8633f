/* fsmc_shim_model.c — fsmc/model.c as is, plus a reset (see fsmc_shim.h). */
#include <string.h>

#include "fsmc_shim.h"

#include "../../fsmc/model.c"

void fsmc_shim_model_reset(void)
{
    memset(&names, 0, sizeof names); /* its slots lived in the arena */
    cur = NULL;
}
