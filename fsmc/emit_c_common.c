/* Generated C shared by both styles: the header and the metadata tables in the .c. */
#include "emit_c.h"
#include <stdarg.h>
#include <string.h>

/* fx->out_line counts the lines written so far to fx->out_f, for #line back-references */
void out_begin(struct fsmc *fx, FILE *f)
{
    fx->out_f = f;
    fx->out_line = 1;
}
void out(struct fsmc *fx, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    const char *s = small;
    char *big = NULL;
    if ((size_t)n >= sizeof small) {
        big = arena_alloc(fx, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        s = big;
    }
    for (const char *p = s; *p; p++)
        fx->out_line += *p == '\n';
    fwrite(s, 1, (size_t)n, fx->out_f);
}
/* C string literal body: spec text may contain quotes or backslashes */
const char *c_str(struct fsmc *fx, const char *s)
{
    size_t n = strlen(s);
    char *r = arena_alloc(fx, n * 4 + 1), *p = r;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20 || c >= 0x7f)
            p += sprintf(p, "\\%03o", c);
        else
            *p++ = (char)c;
    }
    return r;
}
/* text safe inside a C block comment */
const char *c_comment(struct fsmc *fx, const char *s)
{
    size_t n = strlen(s);
    char *r = arena_alloc(fx, n * 2 + 1), *p = r;
    for (; *s; s++) {
        if (*s == '/' && p > r && p[-1] == '*') *p++ = ' ';
        if ((unsigned char)*s < 0x20) {
            *p++ = ' ';
            continue;
        }
        *p++ = *s;
    }
    return r;
}
void line_spec(struct fsmc *fx, const struct emit_opts *o, struct loc l)
{
    if (o->line && l.line > 0)
        out(fx, "#line %d \"%s\"\n", l.line, c_str(fx, diag_file_path(fx, l.file)));
}
void line_back(struct fsmc *fx, const struct emit_opts *o, const char *path)
{
    if (o->line) out(fx, "#line %d \"%s\"\n", fx->out_line + 1, c_str(fx, path));
}

/* "FROM on EVENT [guard] -> TO" ("-> stay" for an internal transition): a row as written */
const char *rule_text(struct fsmc *fx, const struct ir *ir, int i)
{
    const struct ir_row *r = &ir->rows[i];
    const char *g = !r->guard_text ? ""
                    : r->is_else   ? " else"
                                   : arena_printf(fx, " [%s]", r->guard_text);
    return arena_printf(fx, "%s on %s%s -> %s", ir->states[r->from].name, ir->events[r->event].name,
                        g, r->internal ? "stay" : ir->states[r->to].name);
}

/* the smallest unsigned type that holds max, and its size */
static const struct {
    unsigned long max;
    const char *type;
    size_t bytes;
} uint_types[] = {
    {0xff, "uint8_t", 1},
    {0xffff, "uint16_t", 2},
    {0xffffffff, "uint32_t", 4},
};

static size_t uint_index(unsigned long max)
{
    size_t i = 0;
    while (i + 1 < sizeof uint_types / sizeof *uint_types && max > uint_types[i].max)
        i++;
    return i;
}

const char *uint_type(unsigned long max)
{
    return uint_types[uint_index(max)].type;
}

size_t uint_bytes(unsigned long max)
{
    return uint_types[uint_index(max)].bytes;
}

/* "struct tcb" needs a forward declaration; "const struct tcp_seg *" too */
static void forward_decl(struct fsmc *fx, const char *type, const char **done)
{
    const char *p = strstr(type, "struct ");
    if (!p) p = strstr(type, "union ");
    if (!p) return;
    const char *q = strchr(p, ' ') + 1;
    size_t n = 0;
    while (q[n] && q[n] != ' ' && q[n] != '*')
        n++;
    char *d = arena_printf(fx, "%.*s %.*s;", (int)(q - p - 1), p, (int)n, q);
    if (*done && !strcmp(*done, d)) return;
    out(fx, "%s\n", d);
    *done = d;
}

/* The user's functions as the header declares them: the stubs define them with the same
 * text, so a skeleton always matches its header. */
const char *c_guard_proto(struct fsmc *fx, const struct ir *ir, int g)
{
    return arena_printf(fx, "bool %s_guard_%s(%s *ctx, %s *payload)", ir->prefix,
                        ir->guards[g].name, ir->context, ir->payload);
}
const char *c_action_proto(struct fsmc *fx, const struct ir *ir, const struct emit_opts *o, int a)
{
    const char *extra =
        o->action_transition
            ? arena_printf(fx, ",\n    const struct %s_transition *transition", ir->prefix)
            : "";
    return arena_printf(fx, "void %s_action_%s(%s *ctx, %s *payload%s)", ir->prefix,
                        ir->actions[a].name, ir->context, ir->payload, extra);
}
/* a call of action A from the row whose index is the C expression ROW */
const char *c_action_call(struct fsmc *fx, const struct ir *ir, const struct emit_opts *o, int a,
                          const char *row)
{
    if (!o->action_transition)
        return arena_printf(fx, "%s_action_%s(ctx, payload)", ir->prefix, ir->actions[a].name);
    return arena_printf(fx, "%s_action_%s(ctx, payload, &%s_transitions[%s])", ir->prefix,
                        ir->actions[a].name, ir->prefix, row);
}

void emit_c_header(struct fsmc *fx, const struct ir *ir, FILE *f, const struct emit_opts *o)
{
    const char *P = ir->prefix, *U = ir->upper;
    out_begin(fx, f);
    out(fx, "/* Generated by fsmc from %s. Do not edit. */\n", c_comment(fx, o->spec_path));
    out(fx, "#ifndef %s_H\n#define %s_H\n#include <stdbool.h>\n#include <stdint.h>\n", U, U);
    for (size_t i = 0; i < ir->cincludes.n; i++)
        out(fx, "#include \"%s\"\n", c_str(fx, ir->cincludes.v[i].s));
    const char *done = NULL;
    forward_decl(fx, ir->context, &done);
    forward_decl(fx, ir->payload, &done);
    /* C++ callers link against the C definitions (the spec's own headers, above, are theirs) */
    out(fx, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n");
    out(fx, "\nenum %s_state {\n", P);
    for (int s = 0; s < ir->nstates; s++)
        out(fx, "    %s_%s = %d,\n", U, ir->states[s].name, s);
    out(fx, "};\n\nenum %s_event {\n", P);
    for (int e = 0; e < ir->nevents; e++)
        out(fx, "    %s_EV_%s = %d,%s\n", U, ir->events[e].name, e,
            ir->events[e].is_timer ? " /* timer */" : "");
    out(fx, "};\n\nenum %s_result { %s_HANDLED = 0, %s_IGNORED = 1, %s_UNEXPECTED = 2 };\n\n", P, U,
        U, U);
    out(fx,
        "#define %s_NUM_STATES %d\n#define %s_NUM_EVENTS %d\n#define %s_NUM_TRANSITIONS "
        "%d\n#define %s_INITIAL %s_%s\n",
        U, ir->nstates, U, ir->nevents, U, ir->nrows, U, U, ir->states[ir->initial].name);
    out(fx, "typedef %s %s_state_t;\n\n",
        uint_type((unsigned long)(ir->nstates ? ir->nstates - 1 : 0)), P);
    if (ir->nsets) {
        /* the spec's state sets, for code that must ask what the spec calls a state */
        out(fx, "enum %s_set {\n", P);
        for (int k = 0; k < ir->nsets; k++)
            out(fx, "    %s_SET_%s = %d,\n", U, ir->sets[k].name, k);
        out(fx, "};\n#define %s_NUM_SETS %d\n", U, ir->nsets);
        out(fx, "extern const bool %s_set_members[%s_NUM_SETS][%s_NUM_STATES];\n", P, U, U);
        out(fx, "static inline bool %s_in_set(enum %s_set set, unsigned state)\n{\n", P, P);
        out(fx, "    return state < %s_NUM_STATES && %s_set_members[set][state];\n}\n\n", U, P);
    }
    out(fx, "extern const char *const %s_state_names[%s_NUM_STATES];\n", P, U);
    out(fx, "extern const char *const %s_event_names[%s_NUM_EVENTS];\n", P, U);
    out(fx, "extern const bool %s_state_is_final[%s_NUM_STATES];\n", P, U);
    out(fx,
        "struct %s_transition {\n    uint16_t from, event, to;\n    const char *guard;\n    const "
        "char *actions;\n"
        "    const char *label;\n    const char *rfc;\n    uint32_t line;\n};\n",
        P);
    out(fx, "extern const struct %s_transition %s_transitions[%s_NUM_TRANSITIONS];\n\n", P, P, U);
    out(fx, "/* Implemented by the user of the machine: */\n");
    for (int g = 0; g < ir->nguards; g++) {
        line_spec(fx, o, ir->guards[g].loc);
        out(fx, "%s;\n", c_guard_proto(fx, ir, g));
    }
    for (int a = 0; a < ir->nactions; a++) {
        line_spec(fx, o, ir->actions[a].loc);
        out(fx, "%s;\n", c_action_proto(fx, ir, o, a));
    }
    if (ir->nguards + ir->nactions) line_back(fx, o, o->hdr_path);
    out(fx, "\n/* Run one event. *state is read and written (the caller owns the storage). */\n");
    out(fx,
        "enum %s_result %s_dispatch(%s_state_t *state, enum %s_event event,\n    %s *ctx, %s "
        "*payload);\n\n#ifdef __cplusplus\n}\n#endif\n#endif\n",
        P, P, P, P, ir->context, ir->payload);
}

/* the parts of the .c common to both styles: includes, trace hook, metadata tables */
void emit_c_prologue(struct fsmc *fx, const struct ir *ir, const struct emit_opts *o,
                     const char *style)
{
    const char *P = ir->prefix, *U = ir->upper;
    out(fx, "/* Generated by fsmc (%s style) from %s. Do not edit. */\n", style,
        c_comment(fx, o->spec_path));
    out(fx, "#include \"%s\"\n#include <stddef.h>\n\n", c_str(fx, o->hdr_name));
    out(fx, "#ifndef %s_TRACE\n#define %s_TRACE(ctx, from, event, to, tid) ((void)0)\n#endif\n\n",
        U, U);
    out(fx, "const char *const %s_state_names[%s_NUM_STATES] = {\n", P, U);
    for (int s = 0; s < ir->nstates; s++)
        out(fx, "    \"%s\",\n", ir->states[s].name);
    out(fx, "};\nconst char *const %s_event_names[%s_NUM_EVENTS] = {\n", P, U);
    for (int e = 0; e < ir->nevents; e++)
        out(fx, "    \"%s\",\n", ir->events[e].name);
    out(fx, "};\nconst bool %s_state_is_final[%s_NUM_STATES] = {\n", P, U);
    for (int s = 0; s < ir->nstates; s++)
        out(fx, "    %s,\n", ir->states[s].attrs & ATTR_FINAL ? "true" : "false");
    out(fx, "};\n");
    if (ir->nsets) {
        out(fx, "const bool %s_set_members[%s_NUM_SETS][%s_NUM_STATES] = {\n", P, U, U);
        for (int k = 0; k < ir->nsets; k++) {
            char *mark = arena_alloc(fx, (size_t)ir->nstates + 1);
            for (int m = 0; m < ir->sets[k].nmembers; m++)
                mark[ir->sets[k].members[m]] = 1;
            out(fx, "    [%s_SET_%s] = {", U, ir->sets[k].name);
            for (int s = 0; s < ir->nstates; s++)
                if (mark[s]) out(fx, " [%s_%s] = true,", U, ir->states[s].name);
            out(fx, " },\n");
        }
        out(fx, "};\n");
    }
    out(fx, "\nconst struct %s_transition %s_transitions[%s_NUM_TRANSITIONS] = {\n", P, P, U);
    for (int i = 0; i < ir->nrows; i++) {
        const struct ir_row *r = &ir->rows[i];
        for (size_t k = 0; k < r->nannots; k++)
            out(fx, "    /* @%s \"%s\" */\n", r->annots[k].key, c_comment(fx, r->annots[k].text));
        out(fx, "    { %s_%s, %s_EV_%s, %s_%s, ", U, ir->states[r->from].name, U,
            ir->events[r->event].name, U, ir->states[r->to].name);
        if (r->guard_text)
            out(fx, "\"%s\", ", r->guard_text);
        else
            out(fx, "NULL, ");
        out(fx, "\"%s\", \"%s\", ", r->action_text, c_str(fx, r->label));
        if (r->rfc)
            out(fx, "\"%s\", ", c_str(fx, r->rfc));
        else
            out(fx, "NULL, ");
        out(fx, "%d },\n", r->loc.line);
    }
    out(fx, "};\n\n");
}

/* the body run when row I fires; used by both styles so behaviour cannot diverge */
void emit_fire(struct fsmc *fx, const struct ir *ir, const struct emit_opts *o, int i,
               const char *ind)
{
    const char *U = ir->upper;
    const char *row = arena_printf(fx, "%d", i);
    const struct ir_row *r = &ir->rows[i];
    out(fx, "%s%s_TRACE(ctx, %s_%s, %s_EV_%s, %s_%s, %d);\n", ind, U, U, ir->states[r->from].name,
        U, ir->events[r->event].name, U, ir->states[r->to].name, i);
    if (!r->internal)
        for (int k = 0; k < ir->states[r->from].nexit; k++)
            out(fx, "%s%s;\n", ind, c_action_call(fx, ir, o, ir->states[r->from].exit[k], row));
    out(fx, "%s*state = %s_%s;\n", ind, U, ir->states[r->to].name);
    for (int k = 0; k < r->nactions; k++)
        out(fx, "%s%s;\n", ind, c_action_call(fx, ir, o, r->actions[k], row));
    if (!r->internal)
        for (int k = 0; k < ir->states[r->to].nentry; k++)
            out(fx, "%s%s;\n", ind, c_action_call(fx, ir, o, ir->states[r->to].entry[k], row));
    out(fx, "%sreturn %s_HANDLED;\n", ind, U);
}
