/* Semantic checks on the IR. All are linear in rows + cells (no pairwise scans), so a
   10,000-state spec checks quickly. */
#include "fsmc.h"
#include <string.h>

static void check_groups(struct fsmc *fx, struct ir *ir)
{
    size_t ncells = (size_t)ir->nstates * (size_t)ir->nevents;
    for (size_t c = 0; c < ncells; c++) {
        const struct ir_cell *cell = &ir->cells[c];
        if (cell->kind != CELL_ROWS) continue;
        int closed = -1; /* index of the unguarded/else row that ends the group */
        bool guarded = false;
        for (int k = 0; k < cell->count; k++) {
            const struct ir_row *r = &ir->rows[ir->group[cell->first + k]];
            bool unguarded = r->guard < 0;
            if (closed >= 0) {
                const struct ir_row *prev = &ir->rows[ir->group[cell->first + closed]];
                if (unguarded && !r->is_else && !prev->is_else)
                    diag(fx, CK_NONDET, r->loc, "'%s' on '%s' has two unguarded transitions",
                         ir->states[r->from].name, ir->events[r->event].name);
                else
                    diag(fx, CK_SHADOWED, r->loc,
                         "transition '%s' on '%s' can never fire: an earlier %s transition of this "
                         "group always does",
                         ir->states[r->from].name, ir->events[r->event].name,
                         prev->is_else ? "'else'" : "unguarded");
                diag_note(fx, prev->loc, "the earlier transition is here");
                break;
            }
            if (r->is_else && k == 0)
                guarded = true; /* a lone else behaves as unguarded; not a fall-through */
            if (unguarded)
                closed = k;
            else
                guarded = true;
        }
        if (closed < 0 && guarded) {
            const struct ir_row *r = &ir->rows[ir->group[cell->first]];
            diag(fx, CK_FALLTHROUGH, r->loc,
                 "no guard of '%s' on '%s' may hold; the event is then UNEXPECTED (add an 'else' "
                 "row)",
                 ir->states[r->from].name, ir->events[r->event].name);
        }
    }
}

/* one diagnostic per state listing every unhandled event, so a new event doesn't flood output */
static void check_unhandled(struct fsmc *fx, struct ir *ir)
{
    for (int s = 0; s < ir->nstates; s++) {
        size_t len = 0;
        int n = 0;
        for (int e = 0; e < ir->nevents; e++)
            if (ir->cells[(size_t)s * (size_t)ir->nevents + (size_t)e].kind == CELL_NONE) {
                len += strlen(ir->events[e].name) + 2;
                n++;
            }
        if (!n) continue;
        char *buf = arena_alloc(fx, len + 1), *p = buf;
        int shown = 0;
        for (int e = 0; e < ir->nevents && shown < 8; e++)
            if (ir->cells[(size_t)s * (size_t)ir->nevents + (size_t)e].kind == CELL_NONE)
                p += sprintf(p, "%s%s", shown++ ? ", " : "", ir->events[e].name);
        diag(fx, CK_UNHANDLED, ir->states[s].loc, "state '%s' neither handles nor ignores %s %s%s",
             ir->states[s].name, n == 1 ? "event" : "events", buf,
             n > shown ? arena_printf(fx, " (and %d more)", n - shown) : "");
    }
}

/* BFS over edges (forward, or backward from final states); adjacency built once in CSR form */
static void reach(struct fsmc *fx, const struct ir *ir, bool backward, char *seen, const int *start,
                  int nstart)
{
    int n = ir->nstates;
    int *off = arena_alloc(fx, ((size_t)n + 2) * sizeof *off);
    int *adj = arena_alloc(fx, ((size_t)ir->nrows + 1) * sizeof *adj);
    int *queue = arena_alloc(fx, ((size_t)n + 1) * sizeof *queue);
    for (int i = 0; i < ir->nrows; i++)
        off[(backward ? ir->rows[i].to : ir->rows[i].from) + 1]++;
    for (int i = 0; i < n; i++)
        off[i + 1] += off[i];
    int *fill = arena_alloc(fx, ((size_t)n + 1) * sizeof *fill);
    for (int i = 0; i < ir->nrows; i++) {
        int a = backward ? ir->rows[i].to : ir->rows[i].from,
            b = backward ? ir->rows[i].from : ir->rows[i].to;
        adj[off[a] + fill[a]++] = b;
    }
    int qh = 0, qt = 0;
    for (int i = 0; i < nstart; i++)
        if (!seen[start[i]]) {
            seen[start[i]] = 1;
            queue[qt++] = start[i];
        }
    while (qh < qt) {
        int s = queue[qh++];
        for (int k = off[s]; k < off[s + 1]; k++)
            if (!seen[adj[k]]) {
                seen[adj[k]] = 1;
                queue[qt++] = adj[k];
            }
    }
}

/* Every state reachable from the initial one, and (unless the machine is endless) able to
 * reach a final one. A machine that declares no final state gets one warning, not one per
 * state. */
static void check_reach(struct fsmc *fx, struct ir *ir)
{
    if (!ir->nstates) return;
    char *fwd = arena_alloc(fx, (size_t)ir->nstates), *bwd = arena_alloc(fx, (size_t)ir->nstates);
    reach(fx, ir, false, fwd, &ir->initial, 1);
    int *finals = arena_alloc(fx, ((size_t)ir->nstates + 1) * sizeof *finals), nf = 0;
    for (int s = 0; s < ir->nstates; s++)
        if (ir->states[s].attrs & ATTR_FINAL) finals[nf++] = s;
    bool ends = !ir->endless && nf > 0;
    if (ends)
        reach(fx, ir, true, bwd, finals, nf);
    else if (!ir->endless)
        diag(fx, CK_DEAD_END, ir->machine_loc,
             "machine '%s' has no final state, so nothing can end it (write 'machine %s endless {' "
             "if it runs forever, or mark its final states 'final')",
             ir->machine, ir->machine);
    for (int s = 0; s < ir->nstates && !diag_stopped(fx); s++) {
        if (!fwd[s])
            diag(fx, CK_UNREACHABLE, ir->states[s].loc,
                 "state '%s' is not reachable from the initial state '%s'", ir->states[s].name,
                 ir->states[ir->initial].name);
        else if (ends && !bwd[s] && !(ir->states[s].attrs & ATTR_TRAP))
            diag(fx, CK_DEAD_END, ir->states[s].loc,
                 "no final state is reachable from state '%s' (mark it 'trap' if intended)",
                 ir->states[s].name);
    }
}

static void check_unused(struct fsmc *fx, struct ir *ir)
{
    for (int i = 0; i < ir->nevents; i++)
        if (!ir->events[i].used)
            diag(fx, CK_UNUSED_EVENT, ir->events[i].loc, "%s '%s' is declared but never used",
                 ir->events[i].is_timer ? "timer" : "event", ir->events[i].name);
    for (int i = 0; i < ir->nguards; i++)
        if (!ir->guards[i].used)
            diag(fx, CK_UNUSED_GUARD, ir->guards[i].loc, "guard '%s' is declared but never used",
                 ir->guards[i].name);
    for (int i = 0; i < ir->nactions; i++)
        if (!ir->actions[i].used)
            diag(fx, CK_UNUSED_ACTION, ir->actions[i].loc, "action '%s' is declared but never used",
                 ir->actions[i].name);
}

void checks_run(struct fsmc *fx, struct ir *ir)
{
    void (*const checks[])(struct fsmc *, struct ir *) = {
        check_groups,
        check_unhandled,
        check_reach,
        check_unused,
    };
    for (size_t i = 0; i < sizeof checks / sizeof *checks && !diag_stopped(fx); i++)
        checks[i](fx, ir);
}
