/* --emit=stubs: a C skeleton of every guard and action the spec declares, a starting point for
   the code a machine's user writes. Each function has the header's own prototype (the text
   comes from the same helpers), so the skeleton compiles against its header as it is; a
   comment above it lists the rows that use it, with their line, @rfc and @label, so the
   person filling it in sees where it runs. Guards answer false and actions do nothing: both
   say TODO, and neither touches ctx or payload, so their types may stay incomplete. */
#include "emit_c.h"
#include <string.h>

/* "row 3: RED on T_PHASE [!night_mode] -> GREEN (file.fsm:28)" and its @rfc/@label */
static void stub_row(struct fsmc *fx, const struct ir *ir, int i, const char *how)
{
    const struct ir_row *r = &ir->rows[i];
    out(fx, " *   row %d: %s%s (%s:%d)\n", i, c_comment(fx, rule_text(fx, ir, i)), how,
        c_comment(fx, diag_file_path(fx, r->loc.file)), r->loc.line);
    for (size_t k = 0; k < r->nannots; k++) {
        const struct annot *a = &r->annots[k];
        if (strcmp(a->key, "rfc") && strcmp(a->key, "label")) continue;
        out(fx, " *       @%s \"%s\"\n", a->key, c_comment(fx, a->text));
    }
}

static bool has_action(const int *v, int n, int a)
{
    for (int k = 0; k < n; k++)
        if (v[k] == a) return true;
    return false;
}

/* how row R runs action A: "" (not at all), or " [do]", " [exit OFF, entry RED]"... */
static const char *action_use(struct fsmc *fx, const struct ir *ir, const struct ir_row *r, int a)
{
    const struct ir_state *from = &ir->states[r->from], *to = &ir->states[r->to];
    const char *how = "";
    if (!r->internal && has_action(from->exit, from->nexit, a))
        how = arena_printf(fx, "exit %s", from->name);
    if (has_action(r->actions, r->nactions, a))
        how = arena_printf(fx, "%s%sdo", how, *how ? ", " : "");
    if (!r->internal && has_action(to->entry, to->nentry, a))
        how = arena_printf(fx, "%s%sentry %s", how, *how ? ", " : "", to->name);
    return *how ? arena_printf(fx, " [%s]", how) : "";
}

static void stub_guard(struct fsmc *fx, const struct ir *ir, int g)
{
    const struct ir_sym *s = &ir->guards[g];
    out(fx, "\n/* Guard %s (%s:%d)", s->name, c_comment(fx, diag_file_path(fx, s->loc.file)),
        s->loc.line);
    int n = 0;
    for (int i = 0; i < ir->nrows; i++) {
        if (ir->rows[i].guard != g) continue;
        if (!n++) out(fx, ", tested by:\n");
        stub_row(fx, ir, i, "");
    }
    out(fx, n ? " */\n" : ": no row tests it. */\n");
    out(fx, "%s\n{\n    (void)ctx;\n    (void)payload;\n", c_guard_proto(fx, ir, g));
    out(fx, "    return false; /* TODO: when does %s hold? */\n}\n", s->name);
}

static void stub_action(struct fsmc *fx, const struct ir *ir, const struct emit_opts *o, int a)
{
    const struct ir_sym *s = &ir->actions[a];
    out(fx, "\n/* Action %s (%s:%d)", s->name, c_comment(fx, diag_file_path(fx, s->loc.file)),
        s->loc.line);
    int n = 0;
    for (int i = 0; i < ir->nrows; i++) {
        const char *how = action_use(fx, ir, &ir->rows[i], a);
        if (!*how) continue;
        if (!n++) out(fx, ", run by:\n");
        stub_row(fx, ir, i, how);
    }
    out(fx, n ? " */\n" : ": no row runs it. */\n");
    out(fx, "%s\n{\n    (void)ctx;\n    (void)payload;\n", c_action_proto(fx, ir, o, a));
    if (o->action_transition) out(fx, "    (void)transition;\n");
    out(fx, "    /* TODO: what %s does */\n}\n", s->name);
}

void emit_c_stubs(struct fsmc *fx, const struct ir *ir, FILE *f, const struct emit_opts *o)
{
    out_begin(fx, f);
    out(fx,
        "/* The guards and actions of %s, as stubs written by fsmc --emit=stubs: copy this\n"
        " * file into your sources and fill in every TODO. Rows are numbered as in\n"
        " * %s_transitions[]; [do] marks a row that names the action, [exit S] and\n"
        " * [entry S] one that runs it on leaving or entering S. */\n",
        c_comment(fx, o->spec_path), ir->prefix);
    out(fx, "#include \"%s\"\n", c_str(fx, o->hdr_name));
    for (int g = 0; g < ir->nguards; g++)
        stub_guard(fx, ir, g);
    for (int a = 0; a < ir->nactions; a++)
        stub_action(fx, ir, o, a);
}
