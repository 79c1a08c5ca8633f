/* Table-driven C backend: a dense const [state][event] table of the smallest integer type
   selects a row group; rows are evaluated in source order; all data is const. */
#include "emit_c.h"

size_t emit_table_bytes(const struct ir *ir)
{
    int ngroups = 0;
    size_t ncells = (size_t)ir->nstates * (size_t)ir->nevents;
    for (size_t c = 0; c < ncells; c++) ngroups += ir->cells[c].kind == CELL_ROWS;
    unsigned long maxc = (unsigned long)ngroups + 1;
    size_t cw = maxc <= 0xff ? 1 : maxc <= 0xffff ? 2 : 4;
    return ncells * cw + (size_t)ngroups * 8 + (size_t)ir->nrows * 8;
}

void emit_c_table(const struct ir *ir, FILE *f, const struct emit_opts *o)
{
    const char *P = ir->prefix, *U = ir->upper;
    out_begin(f);
    emit_c_prologue(ir, o, "table");
    size_t ncells = (size_t)ir->nstates * (size_t)ir->nevents;
    int ngroups = 0, nacts = 0;
    for (size_t c = 0; c < ncells; c++) ngroups += ir->cells[c].kind == CELL_ROWS;
    for (int i = 0; i < ir->nrows; i++) nacts += ir->rows[i].nactions;
    for (int s = 0; s < ir->nstates; s++) nacts += ir->states[s].nentry + ir->states[s].nexit;
    const char *ct = uint_type((unsigned long)ngroups + 1);
    const char *it = uint_type((unsigned long)(ir->nrows > nacts ? ir->nrows : nacts) + 1);
    const char *gt = uint_type((unsigned long)ir->nguards * 2 + 1);

    /* action functions by id; every list below indexes this array */
    out("typedef void %s_action_fn(%s *ctx, %s *payload);\n", P, ir->context, ir->payload);
    out("static %s_action_fn *const %s_action_fns[%d] = {\n", P, P, ir->nactions + 1);
    for (int a = 0; a < ir->nactions; a++) out("    %s_action_%s,\n", P, ir->actions[a].name);
    out("    NULL\n};\n");
    /* flat action list: per row, then exit and entry lists per state */
    out("static const %s %s_act[%d] = {", uint_type((unsigned long)ir->nactions), P, nacts + 1);
    int pos = 0;
    int *row_act = arena_alloc(((size_t)ir->nrows + 1) * sizeof *row_act);
    int *ex = arena_alloc(((size_t)ir->nstates + 1) * sizeof *ex), *en = arena_alloc(((size_t)ir->nstates + 1) * sizeof *en);
    for (int i = 0; i < ir->nrows; i++) {
        row_act[i] = pos;
        for (int k = 0; k < ir->rows[i].nactions; k++, pos++) out("%s%d,", pos % 16 ? " " : "\n    ", ir->rows[i].actions[k]);
    }
    for (int s = 0; s < ir->nstates; s++) {
        ex[s] = pos;
        for (int k = 0; k < ir->states[s].nexit; k++, pos++) out("%s%d,", pos % 16 ? " " : "\n    ", ir->states[s].exit[k]);
        en[s] = pos;
        for (int k = 0; k < ir->states[s].nentry; k++, pos++) out("%s%d,", pos % 16 ? " " : "\n    ", ir->states[s].entry[k]);
    }
    out("%s0\n};\n", pos % 16 ? " " : "\n    ");
    out("struct %s_list { %s first, count; };\n", P, it);
    out("static const struct %s_list %s_exit[%s_NUM_STATES] = {\n", P, P, U);
    for (int s = 0; s < ir->nstates; s++) out("    { %d, %d },\n", ex[s], ir->states[s].nexit);
    out("};\nstatic const struct %s_list %s_entry[%s_NUM_STATES] = {\n", P, P, U);
    for (int s = 0; s < ir->nstates; s++) out("    { %d, %d },\n", en[s], ir->states[s].nentry);
    out("};\n\n");

    /* rows in transition-id order; guard code: 0 none/else, 2g+1 guard g, 2g+2 !guard g */
    out("struct %s_row { %s_state_t to; %s guard; %s act, nact; };\n", P, P, gt, it);
    out("static const struct %s_row %s_rows[%d] = {\n", P, P, ir->nrows + 1);
    for (int i = 0; i < ir->nrows; i++) {
        const struct ir_row *r = &ir->rows[i];
        out("    { %s_%s, %d, %d, %d }, /* %d: %s */\n", U, ir->states[r->to].name, r->guard < 0 ? 0 : 2 * r->guard + 1 + r->neg,
            row_act[i], r->nactions, i, c_comment(r->label));
    }
    out("    { 0, 0, 0, 0 }\n};\n");
    /* groups: tids of one cell in source order */
    out("static const %s %s_group_rows[%d] = {", it, P, ir->nrows + 1);
    for (int i = 0; i < ir->nrows; i++) out("%s%d,", i % 16 ? " " : "\n    ", ir->group[i]);
    out("%s0\n};\n", ir->nrows % 16 ? " " : "\n    ");
    out("static const struct %s_list %s_groups[%d] = {\n", P, P, ngroups + 1);
    for (size_t c = 0; c < ncells; c++)
        if (ir->cells[c].kind == CELL_ROWS) out("    { %d, %d },\n", ir->cells[c].first, ir->cells[c].count);
    out("    { 0, 0 }\n};\n");
    /* the cell table: 0 = unexpected, 1 = ignored, g + 2 = group g */
    out("static const %s %s_cells[%s_NUM_STATES * %s_NUM_EVENTS] = {\n", ct, P, U, U);
    int g = 0;
    for (int s = 0; s < ir->nstates; s++) {
        out("    /* %s */", ir->states[s].name);
        for (int e = 0; e < ir->nevents; e++) {
            const struct ir_cell *c = &ir->cells[(size_t)s * (size_t)ir->nevents + (size_t)e];
            out("%s%d,", e % 16 ? " " : "\n    ", c->kind == CELL_ROWS ? 2 + g++ : c->kind == CELL_IGNORE ? 1 : 0);
        }
        out("\n");
    }
    out("};\n\n");

    out("static bool %s_guard(unsigned code, %s *ctx, %s *payload)\n{\n    switch (code) {\n", P, ir->context, ir->payload);
    for (int k = 0; k < ir->nguards; k++) {
        out("    case %d: return %s_guard_%s(ctx, payload);\n", 2 * k + 1, P, ir->guards[k].name);
        out("    case %d: return !%s_guard_%s(ctx, payload);\n", 2 * k + 2, P, ir->guards[k].name);
    }
    out("    default: (void)ctx; (void)payload; return true;\n    }\n}\n\n");
    out("static void %s_run(const struct %s_list *l, %s *ctx, %s *payload)\n{\n", P, P, ir->context, ir->payload);
    out("    for (unsigned k = l->first; k < (unsigned)l->first + l->count; k++) %s_action_fns[%s_act[k]](ctx, payload);\n}\n\n", P, P);
    out("enum %s_result %s_dispatch(%s_state_t *state, enum %s_event event,\n    %s *ctx, %s *payload)\n{\n",
        P, P, P, P, ir->context, ir->payload);
    out("    unsigned s = *state, e = (unsigned)event;\n");
    out("    if (s >= %s_NUM_STATES || e >= %s_NUM_EVENTS)\n        return %s_UNEXPECTED;\n", U, U, U);
    out("    unsigned c = %s_cells[s * %s_NUM_EVENTS + e];\n", P, U);
    out("    if (c < 2)\n        return c ? %s_IGNORED : %s_UNEXPECTED;\n", U, U);
    out("    const struct %s_list *g = &%s_groups[c - 2];\n", P, P);
    out("    for (unsigned k = g->first; k < (unsigned)g->first + g->count; k++) {\n");
    out("        unsigned tid = %s_group_rows[k];\n        const struct %s_row *r = &%s_rows[tid];\n", P, P, P);
    out("        if (r->guard && !%s_guard(r->guard, ctx, payload))\n            continue;\n", P);
    out("        %s_TRACE(ctx, s, e, r->to, tid);\n", U);
    out("        if (r->to != s)\n            %s_run(&%s_exit[s], ctx, payload);\n", P, P);
    out("        *state = r->to;\n");
    out("        for (unsigned a = r->act; a < (unsigned)r->act + r->nact; a++)\n            %s_action_fns[%s_act[a]](ctx, payload);\n", P, P);
    out("        if (r->to != s)\n            %s_run(&%s_entry[r->to], ctx, payload);\n", P, P);
    out("        return %s_HANDLED;\n    }\n    return %s_UNEXPECTED;\n}\n", U, U);
    (void)o;
}
