/* Mermaid stateDiagram-v2 backend: the full view and the overview (view.h). State sets that
 * form clusters are composite states; self-transitions are description lines of their state
 * (a set rule's: of the "any SET state" inside its composite, see any_id); labels are
 * sanitized (': ; # { }' break Mermaid). */
#include "fsmc.h"
#include "view.h"
#include <string.h>

/* characters Mermaid would read as syntax in a label, and what is drawn instead */
static const char label_from[] = "{}:;#", label_to[] = "()   ";

static const char *clean(struct fsmc *fx, const char *s)
{
    char *r = arena_alloc(fx, strlen(s) + 1), *p = r;
    for (; *s; s++) {
        const char *k = strchr(label_from, *s);
        *p++ = (unsigned char)*s < 0x20 ? ' ' : k ? label_to[k - label_from] : *s;
    }
    return r;
}

static const char *joined(struct fsmc *fx, const struct vec *lines)
{
    const char *t = "";
    for (size_t k = 0; k < lines->n; k++)
        t = arena_printf(fx, "%s%s%s", t, k ? "<br/>" : "", clean(fx, lines->v[k]));
    return t;
}

/* A state with description lines is titled by its first line unless declared with its name
 * as the title. */
static void mm_state(const struct ir *ir, const struct view *v, FILE *f, int s, int indent)
{
    const char *name = ir->states[s].name;
    if (v->kind == VIEW_FULL && v->node_lines[s].n)
        fprintf(f, "%*sstate \"%s\" as %s\n", indent, "", name, name);
    else
        fprintf(f, "%*s%s\n", indent, "", name);
}

/* Does the set drawn as cluster c have rules of its own (lines, or edges from it)? */
static bool cluster_has_rules(const struct view *v, int c)
{
    if (v->clusters[c].lines.n) return true;
    for (int k = 0; k < v->nedges; k++)
        if (v->edges[k].tail_cluster == c) return true;
    return false;
}

/* Mermaid lays out an edge from a composite state badly (the label lands at the middle of the
 * path cut at the border, on whatever is there), and a note floats outside it. A set's own
 * rules are therefore drawn from a state "any SET state" inside its composite: its
 * self-transitions as description lines, its edges from there. */
static const char *any_id(struct fsmc *fx, const struct ir *ir, const struct view *v, int c)
{
    return arena_printf(fx, "%s__any", ir->sets[v->clusters[c].set].name);
}

static void mm_cluster(struct fsmc *fx, const struct ir *ir, const struct view *v, FILE *f, int c,
                       int depth)
{
    const char *name = ir->sets[v->clusters[c].set].name;
    fprintf(f, "%*sstate %s {\n", 4 * (depth + 1), "", name);
    if (cluster_has_rules(v, c)) {
        const char *id = any_id(fx, ir, v, c);
        fprintf(f, "%*sstate \"any %s state\" as %s\n", 4 * (depth + 2), "", name, id);
        for (size_t k = 0; k < v->clusters[c].lines.n; k++)
            fprintf(f, "%*s%s : %s\n", 4 * (depth + 2), "", id,
                    clean(fx, v->clusters[c].lines.v[k]));
    }
    for (int d = 0; d < v->nclusters; d++)
        if (v->clusters[d].parent == c) mm_cluster(fx, ir, v, f, d, depth + 1);
    for (int s = 0; s < ir->nstates; s++)
        if (v->cluster_of[s] == c) mm_state(ir, v, f, s, 4 * (depth + 2));
    fprintf(f, "%*s}\n", 4 * (depth + 1), "");
}

void emit_mermaid_view(struct fsmc *fx, const struct ir *ir, FILE *f, enum view_kind kind)
{
    struct view v;
    view_build(fx, ir, kind, &v);
    /* Edges drawn through dagre's points (monotoneY passes through them; the default basis
     * curve does not, and then Mermaid moves each label to its curve's middle, where the
     * labels of A -> B and B -> A land on each other). */
    fputs("---\nconfig:\n  flowchart:\n    curve: monotoneY\n---\n", f);
    fputs("stateDiagram-v2\n    direction TB\n", f);
    if (ir->nstates) fprintf(f, "    [*] --> %s\n", ir->states[ir->initial].name);
    if (v.again >= 0)
        fprintf(f, "    state \"%s\" as %s\n", ir->states[v.again].name, view_again_id(fx, ir, &v));
    for (int c = 0; c < v.nclusters; c++)
        if (v.clusters[c].parent < 0) mm_cluster(fx, ir, &v, f, c, 0);
    if (kind == VIEW_FULL) {
        for (int s = 0; s < ir->nstates; s++)
            if (v.cluster_of[s] < 0 && v.node_lines[s].n) mm_state(ir, &v, f, s, 4);
        for (int s = 0; s < ir->nstates; s++)
            for (size_t k = 0; k < v.node_lines[s].n; k++)
                fprintf(f, "    %s : %s\n", ir->states[s].name, clean(fx, v.node_lines[s].v[k]));
    }
    for (int k = 0; k < v.nedges; k++) {
        const struct view_edge *e = &v.edges[k];
        const char *tail =
            e->tail >= 0 ? ir->states[e->tail].name : any_id(fx, ir, &v, e->tail_cluster);
        fprintf(f, "    %s --> %s : %s\n", tail,
                e->head_again ? view_again_id(fx, ir, &v) : ir->states[e->head].name,
                joined(fx, &e->lines));
    }
    for (int s = 0; s < ir->nstates; s++)
        if (ir->states[s].attrs & ATTR_FINAL)
            fprintf(f, "    %s --> [*]\n",
                    s == v.again ? view_again_id(fx, ir, &v) : ir->states[s].name);
}
