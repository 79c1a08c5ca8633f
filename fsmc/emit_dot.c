/* Graphviz backend: one edge per expanded row; timer edges dashed; initial via a point node.
 * With --coverage, the same graph as a heat map of how often each row fired. */
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

/* log2(c) in 1/16 steps (leading bit plus the next four): integer-only, so output is exact */
static unsigned lg16(unsigned long long c)
{
    if (c == 0) return 0;
    unsigned bl = 64 - (unsigned)__builtin_clzll(c);
    unsigned long long frac = bl >= 5 ? c >> (bl - 5) : c << (5 - bl);
    return 16 * (bl - 1) + (unsigned)(frac & 15);
}

/* counts == NULL: the plain diagram. Otherwise a heat map: the color ramps from light to dark
 * blue and penwidth from 1 to 6 with log(count) relative to the busiest row; rows never taken
 * are red and dashed; every label ends in "×COUNT"; the graph label says how many rows fired. */
void emit_dot_coverage(const struct ir *ir, FILE *f, const unsigned long long *counts)
{
    static const int light[3] = { 0x9e, 0xca, 0xe1 }, dark[3] = { 0x08, 0x30, 0x6b };
    unsigned long long max = 0;
    int taken = 0;
    if (counts)
        for (int i = 0; i < ir->nrows; i++) { taken += counts[i] > 0; if (counts[i] > max) max = counts[i]; }
    fputs("digraph ", f); q(f, ir->machine);
    fputs(" {\n    rankdir=LR;\n    node [shape=ellipse, fontname=\"Helvetica\"];\n    edge [fontname=\"Helvetica\", fontsize=10];\n", f);
    if (counts) fprintf(f, "    labelloc=t;\n    fontname=\"Helvetica\";\n    label=\"coverage: %d/%d transitions\";\n", taken, ir->nrows);
    fputs("    __initial [shape=point, label=\"\"];\n", f);
    for (int s = 0; s < ir->nstates; s++) {
        fputs("    ", f); q(f, ir->states[s].name);
        if (ir->states[s].attrs & ATTR_FINAL) fputs(" [peripheries=2]", f);
        fputs(";\n", f);
    }
    fputs("    __initial -> ", f); q(f, ir->states[ir->initial].name); fputs(";\n", f);
    for (int i = 0; i < ir->nrows; i++) {
        const struct ir_row *r = &ir->rows[i];
        bool timer = ir->events[r->event].is_timer;
        fputs("    ", f); q(f, ir->states[r->from].name); fputs(" -> ", f); q(f, ir->states[r->to].name);
        fputs(" [label=", f);
        q(f, counts ? arena_printf("%s \xc3\x97%llu", r->label, counts[i]) : r->label);
        if (r->rfc) { fputs(", tooltip=", f); q(f, r->rfc); }
        if (!counts) {
            if (timer) fputs(", style=dashed", f);
        } else if (counts[i] == 0) {
            fputs(", color=\"red\", fontcolor=\"red\", style=dashed", f);
        } else {
            unsigned top = lg16(max), t = top ? lg16(counts[i]) * 1000 / top : 1000;   /* 0..1000 */
            int rgb[3], pw = 10 + (int)(50 * t / 1000);
            for (int k = 0; k < 3; k++) rgb[k] = light[k] + (dark[k] - light[k]) * (int)t / 1000;
            fprintf(f, ", color=\"#%02x%02x%02x\", penwidth=%d.%d", rgb[0], rgb[1], rgb[2], pw / 10, pw % 10);
            if (timer) fputs(", style=dashed", f);
        }
        fputs("];\n", f);
    }
    fputs("}\n", f);
}

void emit_dot(const struct ir *ir, FILE *f) { emit_dot_coverage(ir, f, NULL); }
