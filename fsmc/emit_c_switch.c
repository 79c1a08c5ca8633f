/* Switch C backend: nested switch (state, then event); each row's code carries a #line
   to its spec rule so compile errors and debuggers point at the .fsm. */
#include "emit_c.h"

void emit_c_switch(struct fsmc *fx, const struct ir *ir, FILE *f, const struct emit_opts *o)
{
    const char *P = ir->prefix, *U = ir->upper;
    out_begin(fx, f);
    emit_c_prologue(fx, ir, o, "switch");
    out(fx,
        "enum %s_result %s_dispatch(%s_state_t *state, enum %s_event event,\n    %s *ctx, %s "
        "*payload)\n{\n",
        P, P, P, P, ir->context, ir->payload);
    out(fx, "    switch (*state) {\n");
    for (int s = 0; s < ir->nstates; s++) {
        out(fx, "    case %s_%s:\n        switch ((unsigned)event) {\n", U, ir->states[s].name);
        for (int e = 0; e < ir->nevents; e++) {
            const struct ir_cell *c = &ir->cells[(size_t)s * (size_t)ir->nevents + (size_t)e];
            if (c->kind == CELL_NONE) continue;
            out(fx, "        case %s_EV_%s:\n", U, ir->events[e].name);
            if (c->kind == CELL_IGNORE) {
                out(fx, "            return %s_IGNORED;\n", U);
                continue;
            }
            bool closed = false;
            for (int k = 0; k < c->count && !closed; k++) {
                int i = ir->group[c->first + k];
                const struct ir_row *r = &ir->rows[i];
                line_spec(fx, o, r->loc);
                if (r->guard >= 0) {
                    out(fx, "            if (%s%s_guard_%s(ctx, payload)) {\n", r->neg ? "!" : "",
                        P, ir->guards[r->guard].name);
                    emit_fire(fx, ir, o, i, "                ");
                    out(fx, "            }\n");
                } else {
                    out(fx, "            {\n");
                    emit_fire(fx, ir, o, i, "                ");
                    out(fx, "            }\n");
                    closed = true;
                }
                line_back(fx, o, o->out_path);
            }
            if (!closed) out(fx, "            return %s_UNEXPECTED;\n", U);
        }
        out(fx, "        default:\n            return %s_UNEXPECTED;\n        }\n", U);
    }
    out(fx,
        "    default:\n        (void)ctx;\n        (void)payload;\n        return %s_UNEXPECTED;\n "
        "   }\n}\n",
        U);
}
