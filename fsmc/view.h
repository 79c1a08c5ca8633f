/* view.h — what a diagram shows, computed once from the IR for both diagram backends
 * (emit_dot.c, emit_mermaid.c), so that Graphviz and Mermaid draw the same picture.
 *
 * full view: every row. State sets that nest (or do not meet) are drawn as clusters; a rule
 * given for such a set is one edge from the cluster (drawn once, not once per member).
 * Self-transitions are listed inside the state's box (or the cluster's, for a set's rule),
 * never drawn as loops. Edges with the same ends are merged into one, a line per row.
 *
 * overview: the textbook figure. Only rows annotated @label are drawn, worded as the label
 * says; @drawn_from / @drawn_to "STATE" draw a row from / to another state (a listener's new
 * connection is drawn from LISTEN); @path "client" / "server" marks the normal paths. Every
 * other row is folded into its state's tooltip. */
#ifndef FSMC_VIEW_H
#define FSMC_VIEW_H
#include "fsmc.h"

struct ivec {
    int *v;
    int n, cap;
}; /* a growable array of ints, in the arena */
void ivec_push(struct fsmc *fx, struct ivec *iv, int x);
enum edge_style { STYLE_OTHER, STYLE_CLIENT, STYLE_SERVER };

struct view_edge {
    int tail;         /* a state, or -1 when the tail is the cluster tail_cluster */
    int tail_cluster; /* index into view.clusters, or -1 */
    int head;         /* a state */
    struct ivec rows; /* the IR rows drawn by this edge, in source order */
    struct vec lines; /* label lines (const char *), one per distinct row text */
    enum edge_style style;
    bool timer;      /* every row is a timer's */
    bool head_again; /* drawn into the second copy of the head (view.again) */
};

struct view_cluster {
    int set;              /* index into ir->sets */
    int parent;           /* the smallest cluster that contains it, or -1 */
    struct vec lines;     /* the set rules' self-transitions, listed in the cluster */
    struct vec line_rows; /* per line: the struct ivec * of the IR rows it stands for */
};

struct view {
    enum view_kind kind;
    struct view_cluster *clusters;
    int nclusters;
    int *cluster_of; /* per state: its innermost cluster, or -1 */
    struct view_edge *edges;
    int nedges;
    struct vec *node_lines;     /* per state: rows listed in its box (full) or tooltip */
    struct vec *node_line_rows; /* per state, per line: the struct ivec * of its IR rows */
    int again;                  /* a state drawn twice, or -1: see view_build */
};

/* An initial state that is also final (TCP's CLOSED) is drawn twice, as RFC 9293's figure
 * draws it: where connections begin, and again where they end. Edges back into it go to the
 * second copy, except from a state outside every cluster that the first copy leads to in one
 * step (LISTEN -> CLOSED on CLOSE), which would otherwise cross the whole drawing. */
void view_build(struct fsmc *fx, const struct ir *ir, enum view_kind kind, struct view *v);
/* The node id and Mermaid id of the second copy of view.again: "NAME__again". */
const char *view_again_id(struct fsmc *fx, const struct ir *ir, const struct view *v);
/* The row as a diagram line: "EVENT [guard] / actions" ("-> TARGET" added when asked). */
const char *view_row_text(struct fsmc *fx, const struct ir *ir, int row, bool with_target);
/* Every rule behind an edge, for its tooltip: "FROM on EVENT [g] -> TO (RFC ...)" lines. */
const char *view_edge_tooltip(struct fsmc *fx, const struct ir *ir, const struct view_edge *e);
/* The value of annotation `key` of row i, or NULL. */
const char *view_annot(const struct ir *ir, int row, const char *key);
#endif
