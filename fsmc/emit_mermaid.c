/* Mermaid stateDiagram-v2 backend: the full view and the overview (view.h). State sets that
 * form clusters are composite states; self-transitions are description lines of their state
 * (a set rule's: a note on the composite); labels are sanitized (': ; # { }' break Mermaid). */
#include "fsmc.h"
#include "view.h"
#include <string.h>

static const char *clean(const char *s)
{
    char *r = arena_alloc(strlen(s) + 1), *p = r;
    for (; *s; s++) {
        char c = *s;
        if (c == '{') c = '(';
        else if (c == '}') c = ')';
        else if (c == ':' || c == ';' || c == '#' || (unsigned char)c < 0x20) c = ' ';
        *p++ = c;
    }
    return r;
}

static const char *joined(const struct vec *lines)
{
    const char *t = "";
    for (size_t k = 0; k < lines->n; k++)
        t = arena_printf("%s%s%s", t, k ? "<br/>" : "", clean(lines->v[k]));
    return t;
}

static void mm_cluster(const struct ir *ir, const struct view *v, FILE *f, int c, int depth)
{
    const char *name = ir->sets[v->clusters[c].set].name;
    fprintf(f, "%*sstate %s {\n", 4 * (depth + 1), "", name);
    for (int d = 0; d < v->nclusters; d++)
        if (v->clusters[d].parent == c) mm_cluster(ir, v, f, d, depth + 1);
    for (int s = 0; s < ir->nstates; s++)
        if (v->cluster_of[s] == c) fprintf(f, "%*s%s\n", 4 * (depth + 2), "", ir->states[s].name);
    fprintf(f, "%*s}\n", 4 * (depth + 1), "");
}

void emit_mermaid_view(const struct ir *ir, FILE *f, enum view_kind kind)
{
    struct view v;
    view_build(ir, kind, &v);
    fputs("stateDiagram-v2\n    direction TB\n", f);
    if (ir->nstates) fprintf(f, "    [*] --> %s\n", ir->states[ir->initial].name);
    if (v.again >= 0)
        fprintf(f, "    state \"%s\" as %s\n", ir->states[v.again].name, view_again_id(ir, &v));
    for (int c = 0; c < v.nclusters; c++)
        if (v.clusters[c].parent < 0) mm_cluster(ir, &v, f, c, 0);
    if (kind == VIEW_FULL) {
        for (int s = 0; s < ir->nstates; s++)
            for (size_t k = 0; k < v.node_lines[s].n; k++)
                fprintf(f, "    %s : %s\n", ir->states[s].name, clean(v.node_lines[s].v[k]));
        for (int c = 0; c < v.nclusters; c++)
            if (v.clusters[c].lines.n)
                fprintf(f, "    note left of %s : %s\n", ir->sets[v.clusters[c].set].name,
                        joined(&v.clusters[c].lines));
    }
    for (int k = 0; k < v.nedges; k++) {
        const struct view_edge *e = &v.edges[k];
        const char *tail = e->tail >= 0 ? ir->states[e->tail].name
                                         : ir->sets[v.clusters[e->tail_cluster].set].name;
        fprintf(f, "    %s --> %s : %s\n", tail,
                e->head_again ? view_again_id(ir, &v) : ir->states[e->head].name,
                joined(&e->lines));
    }
    for (int s = 0; s < ir->nstates; s++)
        if (ir->states[s].attrs & ATTR_FINAL)
            fprintf(f, "    %s --> [*]\n", s == v.again ? view_again_id(ir, &v) : ir->states[s].name);
}

void emit_mermaid(const struct ir *ir, FILE *f) { emit_mermaid_view(ir, f, VIEW_FULL); }
