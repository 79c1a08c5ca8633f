/* Mermaid stateDiagram-v2 backend. Labels are sanitized: ':' ';' '#' '{' '}' break mermaid. */
#include "fsmc.h"

static void label(FILE *f, const char *s)
{
    for (; *s; s++) {
        char c = *s;
        if (c == ':' || c == ';' || c == '#' || c == '{' || c == '}' || (unsigned char)c < 0x20) c = c == '{' ? '(' : c == '}' ? ')' : ' ';
        putc(c, f);
    }
}

void emit_mermaid(const struct ir *ir, FILE *f)
{
    fputs("stateDiagram-v2\n", f);
    if (ir->nstates) fprintf(f, "    [*] --> %s\n", ir->states[ir->initial].name);
    for (int i = 0; i < ir->nrows; i++) {
        const struct ir_row *r = &ir->rows[i];
        fprintf(f, "    %s --> %s: ", ir->states[r->from].name, ir->states[r->to].name);
        label(f, r->label);
        putc('\n', f);
    }
    for (int s = 0; s < ir->nstates; s++)
        if (ir->states[s].attrs & ATTR_FINAL) fprintf(f, "    %s --> [*]\n", ir->states[s].name);
}
