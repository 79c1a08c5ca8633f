/* Graphviz backend: one edge per expanded row; timer edges dashed; initial via a point node. */
#include "fsmc.h"

/* DOT double-quoted string: escape quotes and backslashes, drop control bytes */
static void q(FILE *f, const char *s)
{
    putc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') putc('\\', f);
        if ((unsigned char)*s >= 0x20) putc(*s, f);
    }
    putc('"', f);
}

void emit_dot(const struct ir *ir, FILE *f)
{
    fputs("digraph ", f); q(f, ir->machine);
    fputs(" {\n    rankdir=LR;\n    node [shape=ellipse, fontname=\"Helvetica\"];\n    edge [fontname=\"Helvetica\", fontsize=10];\n", f);
    fputs("    __initial [shape=point, label=\"\"];\n", f);
    for (int s = 0; s < ir->nstates; s++) {
        fputs("    ", f); q(f, ir->states[s].name);
        if (ir->states[s].attrs & ATTR_FINAL) fputs(" [peripheries=2]", f);
        fputs(";\n", f);
    }
    fputs("    __initial -> ", f); q(f, ir->states[ir->initial].name); fputs(";\n", f);
    for (int i = 0; i < ir->nrows; i++) {
        const struct ir_row *r = &ir->rows[i];
        fputs("    ", f); q(f, ir->states[r->from].name); fputs(" -> ", f); q(f, ir->states[r->to].name);
        fputs(" [label=", f); q(f, r->label);
        if (r->rfc) { fputs(", tooltip=", f); q(f, r->rfc); }
        if (ir->events[r->event].is_timer) fputs(", style=dashed", f);
        fputs("];\n", f);
    }
    fputs("}\n", f);
}
