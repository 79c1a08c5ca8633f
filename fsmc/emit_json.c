/* JSON backend: the IR, for tools (and the equivalence test harness generator). */
#include "fsmc.h"

static void js(FILE *f, const char *s)
{
    putc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            putc(c, f);
    }
    putc('"', f);
}
static void loc(struct fsmc *fx, FILE *f, struct loc l)
{
    fputs("\"file\": ", f);
    js(f, diag_file_path(fx, l.file));
    fprintf(f, ", \"line\": %d", l.line);
}

static void actlist(FILE *f, const struct ir *ir, const int *v, int n)
{
    putc('[', f);
    for (int i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        js(f, ir->actions[v[i]].name);
    }
    putc(']', f);
}

void emit_json(struct fsmc *fx, const struct ir *ir, FILE *f)
{
    fputs("{\n  \"machine\": ", f);
    js(f, ir->machine);
    fputs(",\n  \"prefix\": ", f);
    js(f, ir->prefix);
    fputs(",\n  \"context\": ", f);
    js(f, ir->context);
    fputs(",\n  \"payload\": ", f);
    js(f, ir->payload);
    fputs(",\n  \"initial\": ", f);
    js(f, ir->nstates ? ir->states[ir->initial].name : "");
    fputs(",\n  \"states\": [", f);
    for (int s = 0; s < ir->nstates; s++) {
        const struct ir_state *st = &ir->states[s];
        fprintf(f, "%s\n    {\"name\": ", s ? "," : "");
        js(f, st->name);
        fprintf(f, ", \"initial\": %s, \"final\": %s, \"trap\": %s, \"entry\": ",
                s == ir->initial ? "true" : "false", st->attrs & ATTR_FINAL ? "true" : "false",
                st->attrs & ATTR_TRAP ? "true" : "false");
        actlist(f, ir, st->entry, st->nentry);
        fputs(", \"exit\": ", f);
        actlist(f, ir, st->exit, st->nexit);
        fputs(", ", f);
        loc(fx, f, st->loc);
        putc('}', f);
    }
    fputs("\n  ],\n  \"sets\": [", f);
    for (int k = 0; k < ir->nsets; k++) {
        fprintf(f, "%s\n    {\"name\": ", k ? "," : "");
        js(f, ir->sets[k].name);
        fputs(", \"members\": [", f);
        for (int m = 0; m < ir->sets[k].nmembers; m++) {
            fputs(m ? ", " : "", f);
            js(f, ir->states[ir->sets[k].members[m]].name);
        }
        fputs("], ", f);
        loc(fx, f, ir->sets[k].loc);
        putc('}', f);
    }
    fputs("\n  ],\n  \"events\": [", f);
    for (int e = 0; e < ir->nevents; e++) {
        fprintf(f, "%s\n    {\"name\": ", e ? "," : "");
        js(f, ir->events[e].name);
        fprintf(f, ", \"is_timer\": %s}", ir->events[e].is_timer ? "true" : "false");
    }
    fputs("\n  ],\n  \"guards\": [", f);
    for (int g = 0; g < ir->nguards; g++) {
        fputs(g ? ", " : "", f);
        js(f, ir->guards[g].name);
    }
    fputs("],\n  \"actions\": [", f);
    for (int a = 0; a < ir->nactions; a++) {
        fputs(a ? ", " : "", f);
        js(f, ir->actions[a].name);
    }
    fputs("],\n  \"transitions\": [", f);
    for (int i = 0; i < ir->nrows; i++) {
        const struct ir_row *r = &ir->rows[i];
        fprintf(f, "%s\n    {\"id\": %d, \"from\": ", i ? "," : "", i);
        js(f, ir->states[r->from].name);
        fputs(", \"event\": ", f);
        js(f, ir->events[r->event].name);
        fputs(", \"guard\": ", f);
        if (r->guard_text)
            js(f, r->guard_text);
        else
            fputs("null", f);
        fputs(", \"to\": ", f);
        js(f, ir->states[r->to].name);
        fprintf(f,
                ", \"internal\": %s, \"override\": %s, \"via\": ", r->internal ? "true" : "false",
                r->is_override ? "true" : "false");
        if (r->via >= 0)
            js(f, ir->sets[r->via].name);
        else
            fputs(r->via == VIA_WILDCARD ? "\"*\"" : "null", f);
        fprintf(f, ", \"rule\": %d", r->rule);
        fputs(", \"actions\": ", f);
        actlist(f, ir, r->actions, r->nactions);
        fputs(", \"label\": ", f);
        js(f, r->label);
        fputs(", \"annotations\": {", f);
        for (size_t k = 0; k < r->nannots; k++) {
            fputs(k ? ", " : "", f);
            js(f, r->annots[k].key);
            fputs(": ", f);
            js(f, r->annots[k].text);
        }
        fprintf(f, "}, \"line\": %d}", r->loc.line);
    }
    fputs("\n  ],\n  \"ignores\": [", f);
    int n = 0;
    for (int s = 0; s < ir->nstates; s++)
        for (int e = 0; e < ir->nevents; e++)
            if (ir->cells[(size_t)s * (size_t)ir->nevents + (size_t)e].kind == CELL_IGNORE) {
                fprintf(f, "%s\n    {\"state\": ", n++ ? "," : "");
                js(f, ir->states[s].name);
                fputs(", \"event\": ", f);
                js(f, ir->events[e].name);
                putc('}', f);
            }
    fputs("\n  ]\n}\n", f);
}
