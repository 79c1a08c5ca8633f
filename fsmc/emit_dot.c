/* Graphviz backend: the full view and the overview (view.h); with --coverage, a heat map
 * of how often each row fired, one edge per expanded row. Timer edges are dashed. */
#include "fsmc.h"
#include "view.h"
#include <string.h>

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

/* the same escaping into a string (a newline becomes DOT's \n), so that DOT escapes (\l)
 * can be added between escaped pieces and the whole written with raw() */
static const char *esc(struct fsmc *fx, const char *s)
{
    char *r = arena_alloc(fx, strlen(s) * 2 + 1), *p = r;
    for (; *s; s++) {
        if (*s == '\n') {
            *p++ = '\\';
            *p++ = 'n';
            continue;
        } /* a line break */
        if (*s == '"' || *s == '\\') *p++ = '\\';
        if ((unsigned char)*s >= 0x20) *p++ = *s;
    }
    return r;
}

static void raw(FILE *f, const char *escaped)
{
    fprintf(f, "\"%s\"", escaped);
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
void emit_dot_coverage(struct fsmc *fx, const struct ir *ir, FILE *f,
                       const unsigned long long *counts)
{
    static const int light[3] = {0x9e, 0xca, 0xe1}, dark[3] = {0x08, 0x30, 0x6b};
    unsigned long long max = 0;
    int taken = 0;
    if (counts)
        for (int i = 0; i < ir->nrows; i++) {
            taken += counts[i] > 0;
            if (counts[i] > max) max = counts[i];
        }
    fputs("digraph ", f);
    q(f, ir->machine);
    fputs(" {\n    rankdir=LR;\n    node [shape=ellipse, fontname=\"Helvetica\"];\n    edge "
          "[fontname=\"Helvetica\", fontsize=10];\n",
          f);
    if (counts)
        fprintf(f,
                "    labelloc=t;\n    fontname=\"Helvetica\";\n    label=\"coverage: %d/%d "
                "transitions\";\n",
                taken, ir->nrows);
    fputs("    __initial [shape=point, label=\"\"];\n", f);
    for (int s = 0; s < ir->nstates; s++) {
        fputs("    ", f);
        q(f, ir->states[s].name);
        if (ir->states[s].attrs & ATTR_FINAL) fputs(" [peripheries=2]", f);
        fputs(";\n", f);
    }
    fputs("    __initial -> ", f);
    q(f, ir->states[ir->initial].name);
    fputs(";\n", f);
    for (int i = 0; i < ir->nrows; i++) {
        const struct ir_row *r = &ir->rows[i];
        bool timer = ir->events[r->event].is_timer;
        fputs("    ", f);
        q(f, ir->states[r->from].name);
        fputs(" -> ", f);
        q(f, ir->states[r->to].name);
        fputs(" [label=", f);
        const char *text = view_row_text(fx, ir, i, false); /* the row, not its @label */
        q(f, counts ? arena_printf(fx, "%s \xc3\x97%llu", text, counts[i]) : text);
        if (r->rfc) {
            fputs(", tooltip=", f);
            q(f, r->rfc);
        }
        if (!counts) {
            if (timer) fputs(", style=dashed", f);
        } else if (counts[i] == 0) {
            fputs(", color=\"red\", fontcolor=\"red\", style=dashed", f);
        } else {
            unsigned top = lg16(max), t = top ? lg16(counts[i]) * 1000 / top : 1000; /* 0..1000 */
            int rgb[3], pw = 10 + (int)(50 * t / 1000);
            for (int k = 0; k < 3; k++)
                rgb[k] = light[k] + (dark[k] - light[k]) * (int)t / 1000;
            fprintf(f, ", color=\"#%02x%02x%02x\", penwidth=%d.%d", rgb[0], rgb[1], rgb[2], pw / 10,
                    pw % 10);
            if (timer) fputs(", style=dashed", f);
        }
        fputs("];\n", f);
    }
    fputs("}\n", f);
}

/* text for an HTML-like label: & < > escaped */
static const char *html(struct fsmc *fx, const char *s)
{
    size_t n = strlen(s);
    char *r = arena_alloc(fx, n * 5 + 1), *p = r;
    for (; *s; s++) {
        if (*s == '&')
            p += sprintf(p, "&amp;");
        else if (*s == '<')
            p += sprintf(p, "&lt;");
        else if (*s == '>')
            p += sprintf(p, "&gt;");
        else if ((unsigned char)*s >= 0x20)
            *p++ = *s;
    }
    return r;
}

/* The ids a player or a test finds in the SVG: a state is "s_NAME" (its second copy
 * "s_NAME__again"), a cluster "c_SET", an edge carries class "tN ..." for every IR row N it
 * draws, and a line listed in a box is the cell "rows_N_M..." of the rows it stands for
 * (Graphviz writes a cell's id into SVG only for a cell with an href: the href names the
 * cell itself, so following it goes nowhere). */
static const char *rows_id(struct fsmc *fx, const struct ivec *rows)
{
    const char *t = "rows";
    for (int k = 0; k < rows->n; k++)
        t = arena_printf(fx, "%s_%d", t, rows->v[k]);
    return t;
}

/* lines as HTML-like table rows, each left-aligned in its own cell (lines of one cell joined
 * by <br/> are packed so tightly at 8 pt that one line's underscores touch the next) */
static const char *html_rows(struct fsmc *fx, const struct vec *lines, const struct vec *line_rows)
{
    const char *t = "";
    for (size_t k = 0; k < lines->n; k++) {
        const char *id = rows_id(fx, line_rows->v[k]);
        t = arena_printf(fx,
                         "%s<tr><td align=\"left\" cellpadding=\"1\" id=\"%s\" href=\"#%s\">"
                         "<font point-size=\"8\">%s</font></td></tr>",
                         t, id, id, html(fx, lines->v[k]));
    }
    return t;
}

/* a state: a box with its name and, in the full view, its self-transitions */
static void dot_node(struct fsmc *fx, const struct ir *ir, const struct view *v, FILE *f, int s,
                     const char *ind)
{
    const struct ir_state *st = &ir->states[s];
    const char *tip = arena_printf(
        fx, "state %s%s", st->name,
        v->kind == VIEW_OVERVIEW && v->node_lines[s].n ? "; its rows not drawn here:" : "");
    for (size_t k = 0; k < v->node_lines[s].n; k++)
        tip = arena_printf(fx, "%s\n%s", tip, (const char *)v->node_lines[s].v[k]);
    tip = esc(fx, tip);
    fprintf(f, "%s", ind);
    q(f, st->name);
    fputs(" [id=", f);
    q(f, arena_printf(fx, "s_%s", st->name));
    if (v->kind == VIEW_OVERVIEW) {
        fputs(", tooltip=", f);
        raw(f, tip);
        fputs(st->attrs & ATTR_FINAL ? ", peripheries=2];\n" : "];\n", f);
        return;
    }
    fprintf(f,
            ", label=<<table border=\"%d\" cellborder=\"0\" cellspacing=\"0\" "
            "cellpadding=\"3\" style=\"rounded\"><tr><td><b>%s</b></td></tr>%s</table>>, "
            "tooltip=",
            st->attrs & ATTR_FINAL ? 2 : 1, html(fx, st->name),
            html_rows(fx, &v->node_lines[s], &v->node_line_rows[s]));
    raw(f, tip);
    fputs("];\n", f);
}

static void dot_cluster(struct fsmc *fx, const struct ir *ir, const struct view *v, FILE *f, int c,
                        int depth)
{
    const struct view_cluster *cl = &v->clusters[c];
    const struct ir_set *set = &ir->sets[cl->set];
    char ind[64];
    snprintf(ind, sizeof ind, "%*s", 4 * (depth + 1), "");
    fprintf(f, "%ssubgraph ", ind);
    q(f, arena_printf(fx, "cluster_%s", set->name));
    fprintf(f,
            " {\n%s    graph [label=<<table border=\"0\" cellspacing=\"0\" cellpadding=\"1\">"
            "<tr><td align=\"left\"><b>%s</b></td></tr>%s</table>>",
            ind, html(fx, set->name), html_rows(fx, &cl->lines, &cl->line_rows));
    fputs(", id=", f);
    q(f, arena_printf(fx, "c_%s", set->name));
    fprintf(f, ", labeljust=l, style=\"rounded,dashed\", color=\"#8c8c8c\", tooltip=");
    const char *tip = arena_printf(fx, "set %s =", set->name);
    for (int m = 0; m < set->nmembers; m++)
        tip = arena_printf(fx, "%s%s %s", tip, m ? "," : "", ir->states[set->members[m]].name);
    q(f, tip);
    fputs("];\n", f);
    char sub[72];
    snprintf(sub, sizeof sub, "%s    ", ind);
    for (int d = 0; d < v->nclusters; d++)
        if (v->clusters[d].parent == c) dot_cluster(fx, ir, v, f, d, depth + 1);
    for (int s = 0; s < ir->nstates; s++)
        if (v->cluster_of[s] == c) dot_node(fx, ir, v, f, s, sub);
    fprintf(f, "%s}\n", ind);
}

/* a member of cluster c to hang a compound edge on */
static int cluster_anchor(const struct ir *ir, const struct view *v, int c)
{
    for (int s = 0; s < ir->nstates; s++)
        for (int k = v->cluster_of[s]; k >= 0; k = v->clusters[k].parent)
            if (k == c) return s;
    return 0;
}

static const char *const style_attrs[] = {
    [STYLE_OTHER] = ", color=\"#595959\"",
    [STYLE_CLIENT] = ", penwidth=2.4, color=\"#1f4e9e\"",
    [STYLE_SERVER] = ", penwidth=2.4, color=\"#a8322d\", style=dashed",
};

void emit_dot_view(struct fsmc *fx, const struct ir *ir, FILE *f, enum view_kind kind)
{
    struct view v;
    view_build(fx, ir, kind, &v);
    bool full = kind == VIEW_FULL;
    fputs("digraph ", f);
    q(f, full ? ir->machine : arena_printf(fx, "%s_overview", ir->machine));
    fputs(" {\n    graph [rankdir=TB, fontname=\"Helvetica\", fontsize=11", f);
    fputs(full ? ", compound=true, nodesep=0.3, ranksep=0.5, tooltip="
               : ", compound=true, nodesep=0.45, ranksep=0.45, labelloc=b, tooltip=",
          f);
    q(f, arena_printf(fx, "%s: %d states, %d transitions (%s view)", ir->machine, ir->nstates,
                      ir->nrows, full ? "full" : "overview"));
    if (!full) {
        bool paths = false;
        for (int k = 0; k < v.nedges; k++)
            paths |= v.edges[k].style != STYLE_OTHER;
        fputs(", label=", f);
        q(f, paths ? "thick blue: the client's usual path; thick dashed red: the server's. "
                     "Hover a state for its rows not drawn here"
                   : "Hover a state for its rows not drawn here");
    }
    fputs("];\n", f);
    fputs(full ? "    node [shape=plain, fontname=\"Helvetica\", fontsize=11];\n"
               : "    node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n",
          f);
    fputs("    edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];\n", f);
    fputs("    __initial [shape=point, width=0.12, label=\"\"];\n", f);
    for (int c = 0; c < v.nclusters; c++)
        if (v.clusters[c].parent < 0) dot_cluster(fx, ir, &v, f, c, 0);
    for (int s = 0; s < ir->nstates; s++)
        if (v.cluster_of[s] < 0) dot_node(fx, ir, &v, f, s, "    ");
    if (v.again >= 0) { /* the second copy of a state that is initial and final */
        const char *name = ir->states[v.again].name;
        fputs("    ", f);
        q(f, view_again_id(fx, ir, &v));
        fputs(" [id=", f);
        q(f, arena_printf(fx, "s_%s", view_again_id(fx, ir, &v)));
        if (full)
            fprintf(f,
                    ", label=<<table border=\"2\" cellborder=\"0\" cellspacing=\"0\" "
                    "cellpadding=\"3\" style=\"rounded\"><tr><td><b>%s</b></td></tr></table>>",
                    html(fx, name));
        else {
            fputs(", peripheries=2, label=", f);
            q(f, name);
        }
        fputs(", tooltip=", f);
        q(f, arena_printf(fx, "state %s, drawn a second time: where runs end", name));
        fputs("];\n", f);
    }
    fputs("    __initial -> ", f);
    q(f, ir->states[ir->initial].name);
    fputs(";\n", f);
    for (int k = 0; k < v.nedges; k++) {
        const struct view_edge *e = &v.edges[k];
        int tail = e->tail >= 0 ? e->tail : cluster_anchor(ir, &v, e->tail_cluster);
        fputs("    ", f);
        q(f, ir->states[tail].name);
        fputs(" -> ", f);
        q(f, e->head_again ? view_again_id(fx, ir, &v) : ir->states[e->head].name);
        fputs(" [label=", f);
        const char *label = "";
        for (size_t l = 0; l < e->lines.n; l++)
            label = full
                        ? arena_printf(fx, "%s%s\\l", label, esc(fx, e->lines.v[l]))
                        : arena_printf(fx, "%s%s%s", label, l ? "\\n" : "", esc(fx, e->lines.v[l]));
        raw(f, label);
        if (e->tail_cluster >= 0) {
            fputs(", ltail=", f);
            q(f, arena_printf(fx, "cluster_%s", ir->sets[v.clusters[e->tail_cluster].set].name));
        }
        const char *cls = "";
        for (int r = 0; r < e->rows.n; r++)
            cls = arena_printf(fx, "%s%st%d", cls, r ? " " : "", e->rows.v[r]);
        fputs(", class=", f);
        q(f, cls);
        fputs(", tooltip=", f);
        raw(f, esc(fx, view_edge_tooltip(fx, ir, e)));
        fputs(style_attrs[e->style], f);
        if (e->timer && e->style == STYLE_OTHER) fputs(", style=dashed", f);
        fputs("];\n", f);
    }
    fputs("}\n", f);
}
