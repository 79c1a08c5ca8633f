/* Table-driven C backend: a dense const [state][event] table of the smallest integer type
   selects a row group: a cell holding one unguarded row names that row directly; a cell
   starting with a guarded row names its run of guard slots (rule order). The chosen row
   fires through a switch on its transition id whose cases are straight-line direct calls
   (rows with identical firing code share a case). All data is const. */
#include "emit_c.h"
#include <stdlib.h>
#include <string.h>

/* a row's firing code and its index, sorted by (body, index) */
struct body_ref {
    const char *body;
    int row;
};
static int cmp_body(const void *a, const void *b)
{
    const struct body_ref *x = a, *y = b;
    int c = strcmp(x->body, y->body);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* the rows of a cell that can fire: source order, up to and including the first one
   without a guard (the ones after it can never run) */
static int cell_rows(const struct ir *ir, const struct ir_cell *c)
{
    int n = 0;
    while (n < c->count && ir->rows[ir->group[c->first + n++]].guard >= 0) {
    }
    return n;
}

/* a cell whose first row has no guard is that row; the others go through guard slots */
static bool cell_direct(const struct ir *ir, const struct ir_cell *c)
{
    return ir->rows[ir->group[c->first]].guard < 0;
}

static int table_slots(const struct ir *ir)
{
    int n = 0;
    size_t ncells = (size_t)ir->nstates * (size_t)ir->nevents;
    for (size_t c = 0; c < ncells; c++)
        if (ir->cells[c].kind == CELL_ROWS && !cell_direct(ir, &ir->cells[c]))
            n += cell_rows(ir, &ir->cells[c]);
    return n;
}

size_t emit_table_bytes(const struct ir *ir)
{
    int nslots = table_slots(ir);
    size_t ncells = (size_t)ir->nstates * (size_t)ir->nevents;
    unsigned long maxc = (unsigned long)ir->nrows + (unsigned long)nslots + 1;
    size_t cw = uint_bytes(maxc);
    size_t gw = uint_bytes((unsigned long)ir->nguards * 2);
    size_t tw = uint_bytes((unsigned long)ir->nrows);
    size_t sw = gw + 1 + tw; /* guard, last, tid */
    sw = (sw + tw - 1) / tw * tw;
    return ncells * cw + ((size_t)nslots + 1) * sw;
}

/* an action called from the shared firing code: the row is the dispatch's `tid` */
static const char *tid_call(struct fsmc *fx, const struct ir *ir, const struct emit_opts *o, int a)
{
    return c_action_call(fx, ir, o, a, "tid");
}

void emit_c_table(struct fsmc *fx, const struct ir *ir, FILE *f, const struct emit_opts *o)
{
    const char *P = ir->prefix, *U = ir->upper;
    out_begin(fx, f);
    emit_c_prologue(fx, ir, o, "table");
    size_t ncells = (size_t)ir->nstates * (size_t)ir->nevents;
    int nslots = table_slots(ir);
    const char *ct = uint_type((unsigned long)ir->nrows + (unsigned long)nslots + 1);
    const char *it = uint_type((unsigned long)ir->nrows);
    const char *gt = uint_type((unsigned long)ir->nguards * 2);

    /* guard slots: the rows of each cell that starts with a guarded row, contiguous, in
       rule order. guard code: 0 none/else, 2g+1 guard g, 2g+2 !guard g; last: no further
       row in this cell; tid: the row (its firing in the switch below) */
    out(fx, "struct %s_slot { %s guard; uint8_t last; %s tid; };\n", P, gt, it);
    out(fx, "static const struct %s_slot %s_slots[%d] = {\n", P, P, nslots + 1);
    for (size_t c = 0; c < ncells; c++) {
        if (ir->cells[c].kind != CELL_ROWS || cell_direct(ir, &ir->cells[c])) continue;
        int n = cell_rows(ir, &ir->cells[c]);
        for (int k = 0; k < n; k++) {
            int i = ir->group[ir->cells[c].first + k];
            const struct ir_row *r = &ir->rows[i];
            out(fx, "    { %d, %d, %d }, /* %s */\n", r->guard < 0 ? 0 : 2 * r->guard + 1 + r->neg,
                k == n - 1, i, c_comment(fx, rule_text(fx, ir, i)));
        }
    }
    out(fx, "    { 0, 1, 0 }\n};\n");
    /* the cell table: 0 = unexpected, 1 = ignored, 2 + tid = row tid (no guard),
       2 + NUM_TRANSITIONS + k = the cell's guarded rows start at slot k */
    out(fx, "static const %s %s_cells[%s_NUM_STATES * %s_NUM_EVENTS] = {\n", ct, P, U, U);
    int slot = 0;
    out(fx, "    /* events: ");
    for (int e = 0; e < ir->nevents; e++)
        out(fx, "%s%s", e ? ", " : "", ir->events[e].name);
    out(fx, " */\n");
    for (int s = 0; s < ir->nstates; s++) {
        out(fx, "    /* %s */", ir->states[s].name);
        for (int e = 0; e < ir->nevents; e++) {
            const struct ir_cell *c = &ir->cells[(size_t)s * (size_t)ir->nevents + (size_t)e];
            int v = c->kind == CELL_IGNORE ? 1 : 0;
            if (c->kind == CELL_ROWS && cell_direct(ir, c))
                v = 2 + ir->group[c->first];
            else if (c->kind == CELL_ROWS) {
                v = 2 + ir->nrows + slot;
                slot += cell_rows(ir, c);
            }
            out(fx, " %d,", v);
        }
        out(fx, "\n");
    }
    out(fx, "};\n\n");

    out(fx,
        "static inline bool %s_guard(unsigned code, %s *ctx, %s *payload)\n{\n    switch (code) "
        "{\n",
        P, ir->context, ir->payload);
    for (int k = 0; k < ir->nguards; k++) {
        out(fx, "    case %d: return %s_guard_%s(ctx, payload);\n", 2 * k + 1, P,
            ir->guards[k].name);
        out(fx, "    case %d: return !%s_guard_%s(ctx, payload);\n", 2 * k + 2, P,
            ir->guards[k].name);
    }
    out(fx, "    default: (void)ctx; (void)payload; return true;\n    }\n}\n\n");
    out(fx,
        "enum %s_result %s_dispatch(%s_state_t *state, enum %s_event event,\n    %s *ctx, %s "
        "*payload)\n{\n",
        P, P, P, P, ir->context, ir->payload);
    out(fx, "    unsigned s = *state, e = (unsigned)event;\n");
    out(fx, "    if (s >= %s_NUM_STATES || e >= %s_NUM_EVENTS)\n        return %s_UNEXPECTED;\n", U,
        U, U);
    out(fx, "    unsigned c = %s_cells[s * %s_NUM_EVENTS + e];\n", P, U);
    out(fx, "    if (c < 2)\n        return c ? %s_IGNORED : %s_UNEXPECTED;\n", U, U);
    out(fx, "    if (c >= 2 + %s_NUM_TRANSITIONS) {\n", U);
    out(fx, "        const struct %s_slot *r = &%s_slots[c - (2 + %s_NUM_TRANSITIONS)];\n", P, P,
        U);
    out(fx, "        while (!%s_guard(r->guard, ctx, payload)) {\n", P);
    out(fx,
        "            if (r->last)\n                return %s_UNEXPECTED;\n            r++;\n       "
        " }\n",
        U);
    out(fx, "        c = 2 + (unsigned)r->tid;\n    }\n");
    out(fx, "    unsigned tid = c - 2;\n");
    out(fx, "    %s_TRACE(ctx, s, e, %s_transitions[tid].to, tid);\n", U, P);
    /* the firing of each row as straight-line direct calls: exit actions (not for 'stay'),
       the new state, the rule's actions, entry actions (not for 'stay'); rows whose firing
       is the same code share one case */
    const char **body = arena_alloc(fx, ((size_t)ir->nrows + 1) * sizeof *body);
    for (int i = 0; i < ir->nrows; i++) {
        const struct ir_row *r = &ir->rows[i];
        const struct ir_state *from = &ir->states[r->from], *to = &ir->states[r->to];
        bool change = !r->internal; /* 'stay' runs no exit or entry actions */
        const char *b = "";
        for (int j = 0; change && j < from->nexit; j++)
            b = arena_printf(fx, "%s        %s;\n", b, tid_call(fx, ir, o, from->exit[j]));
        b = arena_printf(fx, "%s        *state = %s_%s;\n", b, U, to->name);
        for (int j = 0; j < r->nactions; j++)
            b = arena_printf(fx, "%s        %s;\n", b, tid_call(fx, ir, o, r->actions[j]));
        for (int j = 0; change && j < to->nentry; j++)
            b = arena_printf(fx, "%s        %s;\n", b, tid_call(fx, ir, o, to->entry[j]));
        body[i] = b;
    }
    /* Group rows with equal bodies in O(n log n): sort row indices by (body, index); each
       group is printed at its lowest index with its members in ascending order. */
    int n = ir->nrows;
    struct body_ref *ord = arena_alloc(fx, ((size_t)n + 1) * sizeof *ord);
    int *next = arena_alloc(fx, ((size_t)n + 1) * sizeof *next);
    bool *leader = arena_alloc(fx, ((size_t)n + 1) * sizeof *leader);
    for (int i = 0; i < n; i++) {
        ord[i] = (struct body_ref){body[i], i};
        next[i] = -1;
        leader[i] = false;
    }
    qsort(ord, (size_t)n, sizeof *ord, cmp_body);
    for (int k = 0; k < n; k++) {
        bool first = k == 0 || strcmp(ord[k - 1].body, ord[k].body) != 0;
        if (first)
            leader[ord[k].row] = true;
        else
            next[ord[k - 1].row] = ord[k].row;
    }
    /* each case names its rule; the body's #line points at the first of them in the spec */
    out(fx, "    switch (tid) {\n");
    for (int i = 0; i < n; i++) {
        if (!leader[i]) continue;
        for (int j = i; j >= 0; j = next[j])
            out(fx, "    case %d: /* %s */\n", j, c_comment(fx, rule_text(fx, ir, j)));
        line_spec(fx, o, ir->rows[i].loc);
        out(fx, "%s        break;\n", body[i]);
        line_back(fx, o, o->out_path);
    }
    out(fx, "    default:\n        (void)ctx;\n        (void)payload;\n        break;\n    }\n");
    out(fx, "    return %s_HANDLED;\n}\n", U);
}
