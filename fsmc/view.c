/* view.c — see view.h. */
#include "view.h"
#include <string.h>

void ivec_push(struct fsmc *fx, struct ivec *iv, int x)
{
    if (iv->n == iv->cap) {
        int cap = iv->cap ? iv->cap * 2 : 8;
        int *nv = arena_alloc(fx, (size_t)cap * sizeof *nv);
        if (iv->n) memcpy(nv, iv->v, (size_t)iv->n * sizeof *nv);
        iv->v = nv;
        iv->cap = cap;
    }
    iv->v[iv->n++] = x;
}

const char *view_annot(const struct ir *ir, int row, const char *key)
{
    const struct ir_row *r = &ir->rows[row];
    for (size_t k = 0; k < r->nannots; k++)
        if (!strcmp(r->annots[k].key, key)) return r->annots[k].text;
    return NULL;
}

const char *view_row_text(struct fsmc *fx, const struct ir *ir, int row, bool with_target)
{
    const struct ir_row *r = &ir->rows[row];
    const char *g = "", *to = "";
    if (r->is_else)
        g = " else";
    else if (r->guard_text)
        g = arena_printf(fx, " [%s]", r->guard_text);
    if (with_target && r->internal)
        to = " -> stay";
    else if (with_target)
        to = arena_printf(fx, " -> %s", ir->states[r->to].name);
    const char *acts = r->nactions ? arena_printf(fx, " / %s", r->action_text) : "";
    return arena_printf(fx, "%s%s%s%s", ir->events[r->event].name, g, to, acts);
}

const char *view_edge_tooltip(struct fsmc *fx, const struct ir *ir, const struct view_edge *e)
{
    const char *t = "";
    int last_rule = -1;
    for (int k = 0; k < e->rows.n; k++) {
        const struct ir_row *r = &ir->rows[e->rows.v[k]];
        if (r->rule == last_rule && e->tail < 0) continue; /* a set's rule: once */
        last_rule = r->rule;
        const char *from =
            e->tail < 0 && r->via >= 0 ? ir->sets[r->via].name : ir->states[r->from].name;
        const char *rfc = r->rfc ? arena_printf(fx, " (RFC %s)", r->rfc) : "";
        t = arena_printf(fx, "%s%s%s on %s", t, *t ? "\n" : "", from,
                         view_row_text(fx, ir, e->rows.v[k], true));
        t = arena_printf(fx, "%s%s", t, rfc);
    }
    return t;
}

/* Two sets nest or do not meet. */
static bool laminar(const struct ir *ir, const char *in_a, int b)
{
    int inside = 0, outside = 0, na = 0;
    for (int s = 0; s < ir->nstates; s++)
        na += in_a[s];
    for (int m = 0; m < ir->sets[b].nmembers; m++) {
        if (in_a[ir->sets[b].members[m]])
            inside++;
        else
            outside++;
    }
    return inside == 0 || outside == 0 || inside == na;
}

/* Clusters: Graphviz clusters and Mermaid composite states must form a tree, so only sets
 * that nest in or stay apart from every set chosen before become clusters. The sets that
 * rules are written for come first, most rules first (a cluster draws such a rule once
 * instead of once per member), then the others in declaration order; never a set of one
 * state, nor one of every state. */
static void choose_clusters(struct fsmc *fx, const struct ir *ir, struct view *v,
                            bool labelled_only)
{
    char **in = arena_alloc(fx, ((size_t)ir->nsets + 1) * sizeof *in);
    int *nrules = arena_alloc(fx, ((size_t)ir->nsets + 1) * sizeof *nrules);
    int *order = arena_alloc(fx, ((size_t)ir->nsets + 1) * sizeof *order);
    v->clusters = arena_alloc(fx, ((size_t)ir->nsets + 1) * sizeof *v->clusters);
    for (int k = 0; k < ir->nsets; k++) {
        in[k] = arena_alloc(fx, (size_t)ir->nstates + 1);
        for (int m = 0; m < ir->sets[k].nmembers; m++)
            in[k][ir->sets[k].members[m]] = 1;
    }
    int *last = arena_alloc(fx, ((size_t)ir->nsets + 1) * sizeof *last);
    for (int k = 0; k < ir->nsets; k++)
        last[k] = -1;
    for (int i = 0; i < ir->nrows; i++) {
        const struct ir_row *r = &ir->rows[i];
        if (r->via < 0 || last[r->via] == r->rule) continue;
        if (labelled_only && !view_annot(ir, i, "label")) continue;
        last[r->via] = r->rule;
        nrules[r->via]++;
    }
    for (int k = 0; k < ir->nsets; k++) { /* insertion sort: stable, by rules, descending */
        int j = k;
        while (j > 0 && nrules[order[j - 1]] < nrules[k]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = k;
    }
    for (int o = 0; o < ir->nsets; o++) {
        int k = order[o];
        const struct ir_set *set = &ir->sets[k];
        if (set->nmembers < 2 || set->nmembers == ir->nstates) continue;
        if (labelled_only && !nrules[k]) continue;
        bool ok = true;
        for (int c = 0; c < v->nclusters && ok; c++)
            ok = laminar(ir, in[v->clusters[c].set], k);
        if (ok) v->clusters[v->nclusters++] = (struct view_cluster){.set = k, .parent = -1};
    }
    for (int c = 1; c < v->nclusters; c++) /* back to declaration order */
        for (int d = c; d > 0 && v->clusters[d - 1].set > v->clusters[d].set; d--) {
            struct view_cluster t = v->clusters[d];
            v->clusters[d] = v->clusters[d - 1];
            v->clusters[d - 1] = t;
        }
    /* parent: the smallest cluster that holds all of it */
    for (int c = 0; c < v->nclusters; c++) {
        int best = -1, size = ir->sets[v->clusters[c].set].nmembers;
        for (int d = 0; d < v->nclusters; d++) {
            const struct ir_set *sd = &ir->sets[v->clusters[d].set];
            if (d == c || sd->nmembers <= size) continue;
            bool holds = true;
            const struct ir_set *sc = &ir->sets[v->clusters[c].set];
            for (int m = 0; m < sc->nmembers && holds; m++)
                holds = in[v->clusters[d].set][sc->members[m]];
            if (holds && (best < 0 || sd->nmembers < ir->sets[v->clusters[best].set].nmembers))
                best = d;
        }
        v->clusters[c].parent = best;
    }
    for (int s = 0; s < ir->nstates; s++) {
        v->cluster_of[s] = -1;
        for (int c = 0; c < v->nclusters; c++)
            if (in[v->clusters[c].set][s] &&
                (v->cluster_of[s] < 0 || ir->sets[v->clusters[c].set].nmembers <
                                             ir->sets[v->clusters[v->cluster_of[s]].set].nmembers))
                v->cluster_of[s] = c;
    }
}

static int cluster_of_set(const struct view *v, int set)
{
    for (int c = 0; c < v->nclusters; c++)
        if (v->clusters[c].set == set) return c;
    return -1;
}

/* Is state s inside cluster c (or one of its sub-clusters)? */
static bool in_cluster(const struct view *v, int s, int c)
{
    for (int k = v->cluster_of[s]; k >= 0; k = v->clusters[k].parent)
        if (k == c) return true;
    return false;
}

static bool has_line(const struct vec *lines, const char *text)
{
    for (size_t k = 0; k < lines->n; k++)
        if (!strcmp(lines->v[k], text)) return true;
    return false;
}

static void add_line(struct fsmc *fx, struct vec *lines, const char *text)
{
    if (!has_line(lines, text)) vec_push(fx, lines, (void *)text);
}

/* A line listed in a box, remembering every row it stands for (a set's rule is one line for
 * the rows of all its members), so that a diagram can name the rows behind each line. */
static void add_row_line(struct fsmc *fx, struct vec *lines, struct vec *line_rows,
                         const char *text, int row)
{
    size_t k = 0;
    while (k < lines->n && strcmp(lines->v[k], text))
        k++;
    if (k == lines->n) {
        vec_push(fx, lines, (void *)text);
        vec_push(fx, line_rows, arena_alloc(fx, sizeof(struct ivec)));
    }
    ivec_push(fx, line_rows->v[k], row);
}

static struct view_edge *edge_for(struct view *v, int tail, int tail_cluster, int head,
                                  enum edge_style style)
{
    for (int k = 0; k < v->nedges; k++) {
        struct view_edge *e = &v->edges[k];
        if (e->tail == tail && e->tail_cluster == tail_cluster && e->head == head) return e;
    }
    struct view_edge *e = &v->edges[v->nedges++];
    *e = (struct view_edge){
        .tail = tail, .tail_cluster = tail_cluster, .head = head, .style = style, .timer = true};
    return e;
}

static int state_named(const struct ir *ir, const char *name, int fallback)
{
    for (int s = 0; name && s < ir->nstates; s++)
        if (!strcmp(ir->states[s].name, name)) return s;
    return fallback;
}

static enum edge_style style_of(const char *path)
{
    if (path && !strcmp(path, "client")) return STYLE_CLIENT;
    if (path && !strcmp(path, "server")) return STYLE_SERVER;
    return STYLE_OTHER;
}

static void build_full(struct fsmc *fx, const struct ir *ir, struct view *v)
{
    choose_clusters(fx, ir, v, false);
    for (int i = 0; i < ir->nrows; i++) {
        const struct ir_row *r = &ir->rows[i];
        int c = r->via >= 0 ? cluster_of_set(v, r->via) : -1;
        const char *text = view_row_text(fx, ir, i, false);
        if (r->internal || r->to == r->from) {
            /* a self-transition: a line in the box, marked when it re-enters the state */
            const char *line = r->internal ? text : arena_printf(fx, "%s (re-enter)", text);
            if (c >= 0)
                add_row_line(fx, &v->clusters[c].lines, &v->clusters[c].line_rows, line, i);
            else
                add_row_line(fx, &v->node_lines[r->from], &v->node_line_rows[r->from], line, i);
            continue;
        }
        if (c >= 0 && in_cluster(v, r->to, c)) c = -1; /* into its own cluster: per member */
        struct view_edge *e = edge_for(v, c >= 0 ? -1 : r->from, c, r->to, STYLE_OTHER);
        ivec_push(fx, &e->rows, i);
        add_line(fx, &e->lines, text);
        e->timer &= ir->events[r->event].is_timer;
    }
}

/* The overview's clusters are the sets that a labelled rule is written for: such a rule is
 * one edge from the cluster, not one per member. */
static void build_overview(struct fsmc *fx, const struct ir *ir, struct view *v)
{
    choose_clusters(fx, ir, v, true);
    for (int i = 0; i < ir->nrows; i++) {
        const struct ir_row *r = &ir->rows[i];
        const char *label = view_annot(ir, i, "label");
        int tail = state_named(ir, view_annot(ir, i, "drawn_from"), r->from);
        int head = state_named(ir, view_annot(ir, i, "drawn_to"), r->to);
        if (!label || tail == head) {
            add_row_line(fx, &v->node_lines[r->from], &v->node_line_rows[r->from],
                         view_row_text(fx, ir, i, true), i);
            continue;
        }
        int c = r->via >= 0 ? cluster_of_set(v, r->via) : -1;
        if (c >= 0 && in_cluster(v, head, c)) c = -1;
        enum edge_style st = style_of(view_annot(ir, i, "path"));
        struct view_edge *e = edge_for(v, c >= 0 ? -1 : tail, c, head, st);
        ivec_push(fx, &e->rows, i);
        add_line(fx, &e->lines, label);
        if (st != STYLE_OTHER) e->style = st;
        e->timer &= ir->events[r->event].is_timer;
    }
}

const char *view_again_id(struct fsmc *fx, const struct ir *ir, const struct view *v)
{
    return arena_printf(fx, "%s__again", ir->states[v->again].name);
}

static void choose_again(struct fsmc *fx, const struct ir *ir, struct view *v)
{
    v->again = -1;
    int s = ir->initial;
    if (!ir->nstates || !(ir->states[s].attrs & ATTR_FINAL)) return;
    const char *id = arena_printf(fx, "%s__again", ir->states[s].name);
    for (int k = 0; k < ir->nstates; k++)
        if (!strcmp(ir->states[k].name, id)) return; /* the name is taken: draw it once */
    bool out = false, in = false;
    for (int k = 0; k < v->nedges; k++) {
        out |= v->edges[k].tail == s;
        in |= v->edges[k].head == s;
    }
    if (!out || !in) return;
    v->again = s;
    for (int k = 0; k < v->nedges; k++) {
        struct view_edge *e = &v->edges[k];
        if (e->head != s) continue;
        bool near = false;
        if (e->tail >= 0 && v->cluster_of[e->tail] < 0)
            for (int j = 0; j < v->nedges; j++)
                near |= v->edges[j].tail == s && v->edges[j].head == e->tail;
        e->head_again = !near;
    }
}

void view_build(struct fsmc *fx, const struct ir *ir, enum view_kind kind, struct view *v)
{
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->cluster_of = arena_alloc(fx, ((size_t)ir->nstates + 1) * sizeof *v->cluster_of);
    v->node_lines = arena_alloc(fx, ((size_t)ir->nstates + 1) * sizeof *v->node_lines);
    v->node_line_rows = arena_alloc(fx, ((size_t)ir->nstates + 1) * sizeof *v->node_line_rows);
    v->edges = arena_alloc(fx, ((size_t)ir->nrows + 1) * sizeof *v->edges);
    if (kind == VIEW_OVERVIEW)
        build_overview(fx, ir, v);
    else
        build_full(fx, ir, v);
    choose_again(fx, ir, v);
}
