/* Resolve AST names into the IR: states, events (incl. timers), guards, actions, and one
   expanded row per (source state, rule), grouped per (state, event) cell. */
#include "fsmc.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* open-addressing hash: name -> index; kind tags keep the shared state/event namespace */
struct hent { const char *name; int kind, idx; };
struct htab { struct hent *v; size_t cap, n; };
enum { K_STATE, K_EVENT, K_GUARD, K_ACTION };

static size_t hash_str(const char *s, int salt)
{
    size_t h = 1469598103934665603u ^ (size_t)salt;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211u;
    return h;
}
/* guards and actions each have their own namespace: salt their keys, states/events share one */
static int ns_of(int kind) { return kind <= K_EVENT ? 0 : kind; }
static struct hent *hfind(struct htab *t, const char *name, int kind)
{
    if (!t->cap) return NULL;
    size_t i = hash_str(name, ns_of(kind)) & (t->cap - 1);
    while (t->v[i].name) {
        if (ns_of(t->v[i].kind) == ns_of(kind) && strcmp(t->v[i].name, name) == 0) return &t->v[i];
        i = (i + 1) & (t->cap - 1);
    }
    return NULL;
}
static void hput(struct htab *t, const char *name, int kind, int idx)
{
    if ((t->n + 1) * 2 > t->cap) {
        struct htab nt = { arena_alloc((t->cap ? t->cap * 2 : 64) * sizeof(struct hent)), t->cap ? t->cap * 2 : 64, 0 };
        for (size_t i = 0; i < t->cap; i++) if (t->v[i].name) hput(&nt, t->v[i].name, t->v[i].kind, t->v[i].idx);
        *t = nt;
    }
    size_t i = hash_str(name, ns_of(kind)) & (t->cap - 1);
    while (t->v[i].name) i = (i + 1) & (t->cap - 1);
    t->v[i].name = name; t->v[i].kind = kind; t->v[i].idx = idx; t->n++;
}

static struct htab names;
static struct ir *cur;

int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 99;
    int d[65][65];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

static const char *kind_word(int k) { return k == K_STATE ? "state" : k == K_EVENT ? "event" : k == K_GUARD ? "guard" : "action"; }

/* did-you-mean: closest declared name of the wanted kind (only computed on the error path) */
static const char *suggest(const char *name, int kind)
{
    const char *best = NULL;
    int bestd = 3;
    int n = kind == K_STATE ? cur->nstates : kind == K_EVENT ? cur->nevents : kind == K_GUARD ? cur->nguards : cur->nactions;
    for (int i = 0; i < n; i++) {
        const char *c = kind == K_STATE ? cur->states[i].name : kind == K_EVENT ? cur->events[i].name
                      : kind == K_GUARD ? cur->guards[i].name : cur->actions[i].name;
        int d = edit_distance(name, c);
        if (d < bestd || (d == bestd && best && strcmp(c, best) < 0)) { bestd = d; best = c; }
    }
    int len = (int)strlen(name);
    return best && bestd <= (len < 4 ? 1 : 2) ? best : NULL;
}

static int lookup(const struct name *n, int kind)
{
    struct hent *h = hfind(&names, n->s, kind);
    if (h && h->kind == kind) return h->idx;
    if (h) {
        diag(CK_UNDEFINED, n->loc, "'%s' is a %s, not a %s", n->s, kind_word(h->kind), kind_word(kind));
        return -1;
    }
    const char *s = suggest(n->s, kind);
    if (s) diag(CK_UNDEFINED, n->loc, "undefined %s '%s'; did you mean '%s'?", kind_word(kind), n->s, s);
    else diag(CK_UNDEFINED, n->loc, "undefined %s '%s'", kind_word(kind), n->s);
    return -1;
}

static void declare(const struct name *n, int kind, int idx)
{
    struct hent *h = hfind(&names, n->s, kind);
    if (h) {
        struct loc prev = h->kind == K_STATE ? cur->states[h->idx].loc : h->kind == K_EVENT ? cur->events[h->idx].loc
                        : h->kind == K_GUARD ? cur->guards[h->idx].loc : cur->actions[h->idx].loc;
        diag(CK_DUPLICATE, n->loc, "duplicate %s '%s'", kind_word(kind), n->s);
        diag_note(prev, "previous declaration of '%s' is here", n->s);
        return;
    }
    hput(&names, n->s, kind, idx);
}

/* resolve a list of action names into an arena array of ids (unknown ones dropped) */
static int *resolve_actions(const struct names *ns, int *count)
{
    int *v = arena_alloc((ns->n + 1) * sizeof *v), k = 0;
    for (size_t i = 0; i < ns->n; i++) {
        int a = lookup(&ns->v[i], K_ACTION);
        if (a >= 0) { v[k++] = a; cur->actions[a].used = true; }
    }
    *count = k;
    return v;
}

static char *upper(const char *s)
{
    char *u = arena_strndup(s, strlen(s));
    for (char *p = u; *p; p++) *p = (char)toupper((unsigned char)*p);
    return u;
}

static const char *annot(const struct rule *r, const char *key)
{
    for (size_t i = 0; i < r->nannots; i++) if (!strcmp(r->annots[i].key, key)) return r->annots[i].text;
    return NULL;
}

bool model_build(struct ir *ir, const char *prefix_override)
{
    const struct ast *a = &g_ast;
    cur = ir;
    ir->machine = a->machine.s ? a->machine.s : "fsm";
    ir->prefix = prefix_override ? prefix_override : a->prefix ? a->prefix : ir->machine;
    ir->upper = upper(ir->prefix);
    ir->context = a->context ? a->context : "void";
    ir->payload = a->payload ? a->payload : "const void";
    ir->cincludes = a->cincludes;
    ir->initial = -1;

    /* count, then fill in declaration order; events before timers in the enum */
    size_t cnt[5] = { 0 };
    for (size_t i = 0; i < a->decls.n; i++) { struct decl *d = a->decls.v[i]; cnt[d->kind] += d->ids.n; }
    ir->states = arena_alloc((cnt[D_STATE] + 1) * sizeof *ir->states);
    ir->events = arena_alloc((cnt[D_EVENT] + cnt[D_TIMER] + 1) * sizeof *ir->events);
    ir->guards = arena_alloc((cnt[D_GUARD] + 1) * sizeof *ir->guards);
    ir->actions = arena_alloc((cnt[D_ACTION] + 1) * sizeof *ir->actions);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < a->decls.n; i++) {
            struct decl *d = a->decls.v[i];
            if ((pass == 1) != (d->kind == D_TIMER)) continue;
            for (size_t j = 0; j < d->ids.n; j++) {
                const struct name *n = &d->ids.v[j];
                switch (d->kind) {
                case D_STATE:
                    if (hfind(&names, n->s, K_STATE)) { declare(n, K_STATE, 0); break; }
                    declare(n, K_STATE, ir->nstates);
                    ir->states[ir->nstates].name = n->s; ir->states[ir->nstates].loc = n->loc;
                    ir->states[ir->nstates++].attrs = d->attrs;
                    break;
                case D_EVENT: case D_TIMER:
                    if (hfind(&names, n->s, K_EVENT)) { declare(n, K_EVENT, 0); break; }
                    declare(n, K_EVENT, ir->nevents);
                    ir->events[ir->nevents].name = n->s; ir->events[ir->nevents].loc = n->loc;
                    ir->events[ir->nevents++].is_timer = d->kind == D_TIMER;
                    break;
                case D_GUARD:
                    if (hfind(&names, n->s, K_GUARD)) { declare(n, K_GUARD, 0); break; }
                    declare(n, K_GUARD, ir->nguards);
                    ir->guards[ir->nguards].name = n->s; ir->guards[ir->nguards++].loc = n->loc;
                    break;
                case D_ACTION:
                    if (hfind(&names, n->s, K_ACTION)) { declare(n, K_ACTION, 0); break; }
                    declare(n, K_ACTION, ir->nactions);
                    ir->actions[ir->nactions].name = n->s; ir->actions[ir->nactions++].loc = n->loc;
                    break;
                }
            }
        }
    for (int s = 0; s < ir->nstates; s++) {
        if (!(ir->states[s].attrs & ATTR_INITIAL)) continue;
        if (ir->initial < 0) { ir->initial = s; continue; }
        diag(CK_INITIAL, ir->states[s].loc, "several initial states: '%s' and '%s'", ir->states[ir->initial].name, ir->states[s].name);
    }
    if (ir->initial < 0) {
        if (a->have_machine) diag(CK_INITIAL, a->machine.loc, "machine '%s' has no initial state (mark one state 'initial')", ir->machine);
        ir->initial = 0;
    }
    /* an empty enum or zero-length array would make the generated C invalid */
    if (a->have_machine && ir->nevents == 0)
        diag(CK_SYNTAX, a->machine.loc, "machine '%s' declares no events", ir->machine);
    for (int s = 0; s < ir->nstates; s++) { ir->states[s].entry = ir->states[s].exit = NULL; }
    for (size_t i = 0; i < a->entries.n; i++) {
        struct entryexit *e = a->entries.v[i];
        int s = lookup(&e->state, K_STATE), n;
        int *acts = resolve_actions(&e->actions, &n);
        if (s < 0) continue;
        struct ir_state *st = &ir->states[s];
        int **list = e->is_exit ? &st->exit : &st->entry, *cntp = e->is_exit ? &st->nexit : &st->nentry;
        int *nv = arena_alloc((size_t)(*cntp + n + 1) * sizeof *nv);
        if (*cntp) memcpy(nv, *list, (size_t)*cntp * sizeof *nv);
        memcpy(nv + *cntp, acts, (size_t)n * sizeof *nv);
        *list = nv; *cntp += n;
    }

    /* expand rules into rows; cells remember which rule first covered them for conflict checks */
    size_t ncells = (size_t)ir->nstates * (size_t)ir->nevents;
    ir->cells = arena_alloc((ncells + 1) * sizeof *ir->cells);
    for (size_t c = 0; c < ncells; c++) ir->cells[c].rule = -1;
    struct vec rows = { 0 };
    char *mark = arena_alloc((size_t)ir->nstates + 1);
    int *srcs = arena_alloc(((size_t)ir->nstates + 1) * sizeof *srcs);
    for (size_t ri = 0; ri < a->rules.n; ri++) {
        const struct rule *r = a->rules.v[ri];
        int nsrc = 0;
        if (r->wildcard) {
            memset(mark, 0, (size_t)ir->nstates);
            for (size_t j = 0; j < r->except.n; j++) { int s = lookup(&r->except.v[j], K_STATE); if (s >= 0) mark[s] = 1; }
            for (int s = 0; s < ir->nstates; s++) if (!mark[s]) srcs[nsrc++] = s;
        } else {
            for (size_t j = 0; j < r->sources.n; j++) {
                int s = lookup(&r->sources.v[j], K_STATE);
                if (s < 0) continue;
                bool dup = false;
                for (int k = 0; k < nsrc; k++) dup |= srcs[k] == s;
                if (dup) { diag(CK_DUPLICATE, r->sources.v[j].loc, "state '%s' listed twice as a source", r->sources.v[j].s); continue; }
                srcs[nsrc++] = s;
            }
        }
        int g = -1, to = -1, na = 0, *acts = NULL;
        if (!r->is_ignore) {
            if (r->guard.s) { g = lookup(&r->guard, K_GUARD); if (g >= 0) ir->guards[g].used = true; }
            to = lookup(&r->target, K_STATE);
            acts = resolve_actions(&r->actions, &na);
        }
        for (size_t ei = 0; ei < r->events.n; ei++) {
            int ev = lookup(&r->events.v[ei], K_EVENT);
            if (ev < 0) continue;
            if (!r->is_ignore) ir->events[ev].used = true;   /* only ignoring an event is not using it */
            for (int k = 0; k < nsrc; k++) {
                int s = srcs[k];
                struct ir_cell *c = &ir->cells[(size_t)s * (size_t)ir->nevents + (size_t)ev];
                struct loc where = r->wildcard ? r->events.v[ei].loc : r->sources.v[0].loc;
                if (c->kind != CELL_NONE) {
                    const struct rule *prev = a->rules.v[c->rule];
                    if (c->kind == CELL_IGNORE || r->is_ignore) {
                        diag(CK_NONDET, where, "'%s' on '%s' is both ignored and handled (or ignored twice)", ir->states[s].name, ir->events[ev].name);
                        diag_note(prev->loc, "the other rule is here");
                        continue;
                    }
                    if (prev->wildcard || r->wildcard) {
                        if ((size_t)c->rule != ri) {
                            diag(CK_NONDET, where, "'%s' on '%s' is covered by a wildcard rule and another rule; their order is undefined", ir->states[s].name, ir->events[ev].name);
                            diag_note(prev->loc, "the other rule is here");
                        }
                        continue;
                    }
                }
                if (r->is_ignore) { c->kind = CELL_IGNORE; c->rule = (int)ri; continue; }
                if (to < 0) continue;
                c->kind = CELL_ROWS; c->rule = c->rule < 0 ? (int)ri : c->rule; c->count++;
                struct ir_row *row = arena_alloc(sizeof *row);
                row->rule = (int)ri; row->from = s; row->event = ev; row->guard = g; row->to = to;
                row->neg = r->guard_neg; row->is_else = r->guard_else;
                row->actions = acts; row->nactions = na;
                row->annots = r->annots; row->nannots = r->nannots;
                row->loc = r->loc;
                row->rfc = annot(r, "rfc");
                row->guard_text = g >= 0 ? (r->guard_neg ? arena_printf("!%s", ir->guards[g].name) : ir->guards[g].name)
                                : r->guard_else ? "else" : NULL;
                size_t len = 1;
                for (int i = 0; i < na; i++) len += strlen(ir->actions[acts[i]].name) + 2;
                char *at = arena_alloc(len), *p = at;
                for (int i = 0; i < na; i++) p += sprintf(p, "%s%s", i ? ", " : "", ir->actions[acts[i]].name);
                row->action_text = at;
                const char *lbl = annot(r, "label");
                if (!lbl) lbl = arena_printf("%s%s%s%s%s%s", ir->events[ev].name, row->guard_text ? " [" : "",
                        row->guard_text ? row->guard_text : "", row->guard_text ? "]" : "", na ? " / " : "", at);
                row->label = lbl;
                vec_push(&rows, row);
            }
        }
    }
    ir->nrows = (int)rows.n;
    ir->rows = arena_alloc((rows.n + 1) * sizeof *ir->rows);
    for (size_t i = 0; i < rows.n; i++) ir->rows[i] = *(struct ir_row *)rows.v[i];
    /* group rows per cell (counting sort by cell keeps rule order within a group) */
    ir->group = arena_alloc((rows.n + 1) * sizeof *ir->group);
    int pos = 0;
    for (size_t c = 0; c < ncells; c++) { ir->cells[c].first = pos; pos += ir->cells[c].kind == CELL_ROWS ? ir->cells[c].count : 0; ir->cells[c].count = 0; }
    for (int i = 0; i < ir->nrows; i++) {
        struct ir_cell *c = &ir->cells[(size_t)ir->rows[i].from * (size_t)ir->nevents + (size_t)ir->rows[i].event];
        ir->group[c->first + c->count++] = i;
    }
    return diag_errors() == 0;
}
