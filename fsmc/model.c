/* Resolve AST names into the IR: states, events (incl. timers), guards, actions, and one
   expanded row per (source state, rule), grouped per (state, event) cell. */
#include "fsmc.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* open-addressing hash: name -> index; kind tags keep the shared state/event namespace */
struct hent {
    const char *name;
    int kind, idx;
};
struct htab {
    struct hent *v;
    size_t cap, n;
};
enum { K_STATE, K_EVENT, K_GUARD, K_ACTION, K_SET };

static size_t hash_str(const char *s, int salt)
{
    size_t h = 1469598103934665603u ^ (size_t)salt;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211u;
    return h;
}
/* guards and actions each have their own namespace: salt their keys; states, sets and events
   share one */
static int ns_of(int kind)
{
    return kind <= K_EVENT || kind == K_SET ? 0 : kind;
}
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
static void hput(struct fsmc *fx, struct htab *t, const char *name, int kind, int idx)
{
    if ((t->n + 1) * 2 > t->cap) {
        struct htab nt = {arena_alloc(fx, (t->cap ? t->cap * 2 : 64) * sizeof(struct hent)),
                          t->cap ? t->cap * 2 : 64, 0};
        for (size_t i = 0; i < t->cap; i++)
            if (t->v[i].name) hput(fx, &nt, t->v[i].name, t->v[i].kind, t->v[i].idx);
        *t = nt;
    }
    size_t i = hash_str(name, ns_of(kind)) & (t->cap - 1);
    while (t->v[i].name)
        i = (i + 1) & (t->cap - 1);
    t->v[i].name = name;
    t->v[i].kind = kind;
    t->v[i].idx = idx;
    t->n++;
}

/* what resolving one spec needs: the context, the name table, the IR being built */
struct model {
    struct fsmc *fx;
    struct htab names;
    struct ir *cur;
};

int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 99;
    int d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int c = d[i - 1][j - 1] +
                    (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            if (d[i - 1][j] + 1 < c) c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c) c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

static const char *const kind_words[] = {
    [K_STATE] = "state",   [K_EVENT] = "event", [K_GUARD] = "guard",
    [K_ACTION] = "action", [K_SET] = "set",
};
static const char *kind_word(int k)
{
    return kind_words[k];
}

static const char *name_of(struct model *m, int kind, int i)
{
    switch (kind) {
    case K_STATE:
        return m->cur->states[i].name;
    case K_EVENT:
        return m->cur->events[i].name;
    case K_GUARD:
        return m->cur->guards[i].name;
    case K_ACTION:
        return m->cur->actions[i].name;
    default:
        return m->cur->sets[i].name;
    }
}

static int count_of(struct model *m, int kind)
{
    switch (kind) {
    case K_STATE:
        return m->cur->nstates;
    case K_EVENT:
        return m->cur->nevents;
    case K_GUARD:
        return m->cur->nguards;
    case K_ACTION:
        return m->cur->nactions;
    default:
        return m->cur->nsets;
    }
}

static struct loc loc_of(struct model *m, int kind, int i)
{
    switch (kind) {
    case K_STATE:
        return m->cur->states[i].loc;
    case K_EVENT:
        return m->cur->events[i].loc;
    case K_GUARD:
        return m->cur->guards[i].loc;
    case K_ACTION:
        return m->cur->actions[i].loc;
    default:
        return m->cur->sets[i].loc;
    }
}

/* did-you-mean: closest declared name of the wanted kind (only computed on the error path) */
static const char *suggest(struct model *m, const char *name, int kind)
{
    const char *best = NULL;
    int bestd = 3;
    int n = count_of(m, kind);
    for (int i = 0; i < n; i++) {
        const char *c = name_of(m, kind, i);
        int d = edit_distance(name, c);
        if (d < bestd || (d == bestd && best && strcmp(c, best) < 0)) {
            bestd = d;
            best = c;
        }
    }
    int len = (int)strlen(name);
    return best && bestd <= (len < 4 ? 1 : 2) ? best : NULL;
}

static int lookup(struct model *m, const struct name *n, int kind)
{
    struct hent *h = hfind(&m->names, n->s, kind);
    if (h && h->kind == kind) return h->idx;
    if (h) {
        diag(m->fx, CK_UNDEFINED, n->loc, "'%s' is a %s, not a %s", n->s, kind_word(h->kind),
             kind_word(kind));
        return -1;
    }
    const char *s = suggest(m, n->s, kind);
    if (s)
        diag(m->fx, CK_UNDEFINED, n->loc, "undefined %s '%s'; did you mean '%s'?", kind_word(kind),
             n->s, s);
    else
        diag(m->fx, CK_UNDEFINED, n->loc, "undefined %s '%s'", kind_word(kind), n->s);
    return -1;
}

static void declare(struct model *m, const struct name *n, int kind, int idx)
{
    struct hent *h = hfind(&m->names, n->s, kind);
    if (h) {
        struct loc prev = loc_of(m, h->kind, h->idx);
        diag(m->fx, CK_DUPLICATE, n->loc, "duplicate %s '%s'", kind_word(kind), n->s);
        diag_note(m->fx, prev, "previous declaration of '%s' is here", n->s);
        return;
    }
    hput(m->fx, &m->names, n->s, kind, idx);
}

/* resolve a list of action names into an arena array of ids (unknown ones dropped) */
static int *resolve_actions(struct model *m, const struct names *ns, int *count)
{
    int *v = arena_alloc(m->fx, (ns->n + 1) * sizeof *v), k = 0;
    for (size_t i = 0; i < ns->n; i++) {
        int a = lookup(m, &ns->v[i], K_ACTION);
        if (a >= 0) {
            v[k++] = a;
            m->cur->actions[a].used = true;
        }
    }
    *count = k;
    return v;
}

static char *upper(struct fsmc *fx, const char *s)
{
    char *u = arena_strndup(fx, s, strlen(s));
    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u;
}

static const char *annot(const struct rule *r, const char *key)
{
    for (size_t i = 0; i < r->nannots; i++)
        if (!strcmp(r->annots[i].key, key)) return r->annots[i].text;
    return NULL;
}

/* The annotations the diagram backends read (view.c) must say something they can draw. */
static void check_diagram_annots(struct model *m, const struct rule *r)
{
    for (size_t i = 0; i < r->nannots; i++) {
        const struct annot *an = &r->annots[i];
        if (!strcmp(an->key, "drawn_from") || !strcmp(an->key, "drawn_to")) {
            struct name n = {.s = an->text, .loc = an->loc};
            lookup(m, &n, K_STATE);
        } else if (!strcmp(an->key, "path") && strcmp(an->text, "client") &&
                   strcmp(an->text, "server"))
            diag(m->fx, CK_UNDEFINED, an->loc, "@path is \"client\" or \"server\", not \"%s\"",
                 an->text);
        else if (!strcmp(an->key, "label") && !an->text[0])
            diag(m->fx, CK_SYNTAX, an->loc, "an empty @label draws an edge without words");
    }
}

/* Add state st to the list v (n entries, mark[] says who is in it). False if it already is. */
static bool add_member(int *v, int *n, char *mark, int st)
{
    if (mark[st]) return false;
    mark[st] = 1;
    v[(*n)++] = st;
    return true;
}

/* `set NAME = members;`: members are states or sets declared before (their members join) */
static void resolve_sets(struct model *m, struct ir *ir, const struct ast *a)
{
    ir->sets = arena_alloc(m->fx, (a->sets.n + 1) * sizeof *ir->sets);
    char *mark = arena_alloc(m->fx, (size_t)ir->nstates + 1);
    for (size_t i = 0; i < a->sets.n; i++) {
        const struct setdecl *d = a->sets.v[i];
        int *v = arena_alloc(m->fx, ((size_t)ir->nstates + 1) * sizeof *v), n = 0;
        memset(mark, 0, (size_t)ir->nstates);
        for (size_t j = 0; j < d->members.n; j++) {
            const struct name *mem = &d->members.v[j];
            struct hent *h = hfind(&m->names, mem->s, K_STATE);
            if (h && h->kind == K_SET) {
                const struct ir_set *sub = &ir->sets[h->idx];
                for (int k = 0; k < sub->nmembers; k++)
                    if (!add_member(v, &n, mark, sub->members[k]))
                        diag(m->fx, CK_DUPLICATE, mem->loc,
                             "state '%s' of set '%s' is already a member of '%s'",
                             ir->states[sub->members[k]].name, sub->name, d->name.s);
                continue;
            }
            int st = lookup(m, mem, K_STATE);
            if (st >= 0 && !add_member(v, &n, mark, st))
                diag(m->fx, CK_DUPLICATE, mem->loc, "state '%s' is listed twice in set '%s'",
                     mem->s, d->name.s);
        }
        if (hfind(&m->names, d->name.s, K_SET)) {
            declare(m, &d->name, K_SET, 0);
            continue;
        }
        declare(m, &d->name, K_SET, ir->nsets);
        struct ir_set *set = &ir->sets[ir->nsets++];
        set->name = d->name.s;
        set->loc = d->name.loc;
        set->members = v;
        set->nmembers = n;
    }
}

/* One rule, resolved: the states it covers (and how: by name, a set or '*'), its events. */
struct expanded {
    int *src, *via, nsrc;
    int *ev, nev;
    int guard, to, *acts, nacts;
};

/* The states a rule covers, and how. mark[] is all zero on entry and on return; the arrays
 * are as long as the rule's own sources (a rule naming one state costs one slot, not one per
 * state of the machine: 50,000 rules of a 10,000-state machine stay linear). */
static void expand_sources(struct model *m, const struct rule *r, struct expanded *x, char *mark)
{
    int n = m->cur->nstates;
    if (r->wildcard) {
        int *ex = arena_alloc(m->fx, ((size_t)n + 1) * sizeof *ex), nex = 0;
        for (size_t j = 0; j < r->except.n; j++) {
            struct hent *h = hfind(&m->names, r->except.v[j].s, K_STATE);
            const struct ir_set *set = h && h->kind == K_SET ? &m->cur->sets[h->idx] : NULL;
            int one = set ? -1 : lookup(m, &r->except.v[j], K_STATE);
            int cnt = set ? set->nmembers : one >= 0;
            for (int k = 0; k < cnt; k++) {
                int st = set ? set->members[k] : one;
                if (!mark[st]) ex[nex++] = st;
                mark[st] = 1;
            }
        }
        x->src = arena_alloc(m->fx, ((size_t)n + 1) * sizeof *x->src);
        x->via = arena_alloc(m->fx, ((size_t)n + 1) * sizeof *x->via);
        for (int st = 0; st < n; st++)
            if (!mark[st]) {
                x->src[x->nsrc] = st;
                x->via[x->nsrc++] = VIA_WILDCARD;
            }
        for (int k = 0; k < nex; k++)
            mark[ex[k]] = 0;
        return;
    }
    size_t most = 1;
    for (size_t j = 0; j < r->sources.n; j++) {
        struct hent *h = hfind(&m->names, r->sources.v[j].s, K_STATE);
        most += h && h->kind == K_SET ? (size_t)m->cur->sets[h->idx].nmembers : 1;
    }
    x->src = arena_alloc(m->fx, most * sizeof *x->src);
    x->via = arena_alloc(m->fx, most * sizeof *x->via);
    for (size_t j = 0; j < r->sources.n; j++) {
        const struct name *mem = &r->sources.v[j];
        struct hent *h = hfind(&m->names, mem->s, K_STATE);
        int set = h && h->kind == K_SET ? h->idx : -1;
        int one = set < 0 ? lookup(m, mem, K_STATE) : -1;
        int cnt = set >= 0 ? m->cur->sets[set].nmembers : one >= 0;
        for (int k = 0; k < cnt; k++) {
            int st = set >= 0 ? m->cur->sets[set].members[k] : one;
            if (mark[st]) {
                diag(m->fx, CK_DUPLICATE, mem->loc, "state '%s' is a source of this rule twice",
                     m->cur->states[st].name);
                continue;
            }
            mark[st] = 1;
            x->src[x->nsrc] = st;
            x->via[x->nsrc++] = set >= 0 ? set : VIA_NAME;
        }
    }
    for (int k = 0; k < x->nsrc; k++)
        mark[x->src[k]] = 0;
}

/* A row's texts: its guard as written ("!g", "else" or none), its actions ("a, b"), and its
 * label (the @label, else "EVENT [guard] / actions"). */
static void describe_row(struct model *m, const struct rule *r, const struct expanded *x,
                         struct ir_row *row)
{
    const struct ir *ir = m->cur;
    row->guard_text = NULL;
    if (x->guard >= 0 && r->guard_neg)
        row->guard_text = arena_printf(m->fx, "!%s", ir->guards[x->guard].name);
    else if (x->guard >= 0)
        row->guard_text = ir->guards[x->guard].name;
    else if (r->guard_else)
        row->guard_text = "else";
    const char *acts = "";
    for (int i = 0; i < x->nacts; i++)
        acts = arena_printf(m->fx, "%s%s%s", acts, i ? ", " : "", ir->actions[x->acts[i]].name);
    row->action_text = acts;
    row->label = annot(r, "label");
    if (!row->label) {
        const char *g = row->guard_text ? arena_printf(m->fx, " [%s]", row->guard_text) : "";
        row->label = arena_printf(m->fx, "%s%s%s%s", ir->events[row->event].name, g,
                                  x->nacts ? " / " : "", acts);
    }
}

/* How rule x reached state st. */
static int via_of(const struct expanded *x, int st)
{
    for (int k = 0; k < x->nsrc; k++)
        if (x->src[k] == st) return x->via[k];
    return VIA_NAME;
}

/* Where a rule's row for state `st` reached it: the rule's position, or its set's. */
static const char *origin(struct model *m, int via)
{
    if (via == VIA_WILDCARD) return " (through '*')";
    if (via >= 0) return arena_printf(m->fx, " (through set '%s')", m->cur->sets[via].name);
    return "";
}

/* provenance of the rules covering a cell (first pass), see the override rule in model_build */
enum { PROV_GENERAL = 1, PROV_NAMED = 2, PROV_OVERRIDE = 4 };

static int prov_of(const struct rule *r, int via)
{
    if (r->is_override) return PROV_OVERRIDE;
    return via == VIA_NAME ? PROV_NAMED : PROV_GENERAL;
}

bool model_build(struct fsmc *fx, struct ir *ir, const char *prefix_override)
{
    struct model mm = {.fx = fx, .cur = ir}, *m = &mm;
    const struct ast *a = &fx->ast;
    ir->machine = a->machine.s ? a->machine.s : "fsm";
    ir->machine_loc = a->machine.loc;
    ir->endless = a->endless;
    ir->prefix = ir->machine;
    if (a->prefix) ir->prefix = a->prefix;
    if (prefix_override) ir->prefix = prefix_override;
    ir->upper = upper(fx, ir->prefix);
    ir->context = a->context ? a->context : "void";
    ir->payload = a->payload ? a->payload : "const void";
    ir->cincludes = a->cincludes;
    ir->initial = -1;

    /* count, then fill in declaration order; events before timers in the enum */
    size_t cnt[5] = {0};
    for (size_t i = 0; i < a->decls.n; i++) {
        struct decl *d = a->decls.v[i];
        cnt[d->kind] += d->ids.n;
    }
    ir->states = arena_alloc(m->fx, (cnt[D_STATE] + 1) * sizeof *ir->states);
    ir->events = arena_alloc(m->fx, (cnt[D_EVENT] + cnt[D_TIMER] + 1) * sizeof *ir->events);
    ir->guards = arena_alloc(m->fx, (cnt[D_GUARD] + 1) * sizeof *ir->guards);
    ir->actions = arena_alloc(m->fx, (cnt[D_ACTION] + 1) * sizeof *ir->actions);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < a->decls.n; i++) {
            struct decl *d = a->decls.v[i];
            if ((pass == 1) != (d->kind == D_TIMER)) continue;
            for (size_t j = 0; j < d->ids.n; j++) {
                const struct name *n = &d->ids.v[j];
                switch (d->kind) {
                case D_STATE:
                    if (hfind(&m->names, n->s, K_STATE)) {
                        declare(m, n, K_STATE, 0);
                        break;
                    }
                    declare(m, n, K_STATE, ir->nstates);
                    ir->states[ir->nstates].name = n->s;
                    ir->states[ir->nstates].loc = n->loc;
                    ir->states[ir->nstates++].attrs = d->attrs;
                    break;
                case D_EVENT:
                case D_TIMER:
                    if (hfind(&m->names, n->s, K_EVENT)) {
                        declare(m, n, K_EVENT, 0);
                        break;
                    }
                    declare(m, n, K_EVENT, ir->nevents);
                    ir->events[ir->nevents].name = n->s;
                    ir->events[ir->nevents].loc = n->loc;
                    ir->events[ir->nevents++].is_timer = d->kind == D_TIMER;
                    break;
                case D_GUARD:
                    if (hfind(&m->names, n->s, K_GUARD)) {
                        declare(m, n, K_GUARD, 0);
                        break;
                    }
                    declare(m, n, K_GUARD, ir->nguards);
                    ir->guards[ir->nguards].name = n->s;
                    ir->guards[ir->nguards++].loc = n->loc;
                    break;
                case D_ACTION:
                    if (hfind(&m->names, n->s, K_ACTION)) {
                        declare(m, n, K_ACTION, 0);
                        break;
                    }
                    declare(m, n, K_ACTION, ir->nactions);
                    ir->actions[ir->nactions].name = n->s;
                    ir->actions[ir->nactions++].loc = n->loc;
                    break;
                }
            }
        }
    resolve_sets(m, ir, a);
    for (int s = 0; s < ir->nstates; s++)
        if (ir->endless && (ir->states[s].attrs & ATTR_FINAL))
            diag(m->fx, CK_INITIAL, ir->states[s].loc,
                 "state '%s' is final, but machine '%s' is endless: it never ends",
                 ir->states[s].name, ir->machine);
    for (int s = 0; s < ir->nstates; s++) {
        if (!(ir->states[s].attrs & ATTR_INITIAL)) continue;
        if (ir->initial < 0) {
            ir->initial = s;
            continue;
        }
        diag(m->fx, CK_INITIAL, ir->states[s].loc, "several initial states: '%s' and '%s'",
             ir->states[ir->initial].name, ir->states[s].name);
    }
    if (ir->initial < 0) {
        if (a->have_machine)
            diag(m->fx, CK_INITIAL, a->machine.loc,
                 "machine '%s' has no initial state (mark one state 'initial')", ir->machine);
        ir->initial = 0;
    }
    /* an empty enum or zero-length array would make the generated C invalid */
    if (a->have_machine && ir->nevents == 0)
        diag(m->fx, CK_SYNTAX, a->machine.loc, "machine '%s' declares no events", ir->machine);
    for (int s = 0; s < ir->nstates; s++) {
        ir->states[s].entry = ir->states[s].exit = NULL;
    }
    for (size_t i = 0; i < a->entries.n; i++) {
        struct entryexit *e = a->entries.v[i];
        int s = lookup(m, &e->state, K_STATE), n;
        int *acts = resolve_actions(m, &e->actions, &n);
        if (s < 0) continue;
        struct ir_state *st = &ir->states[s];
        int **list = e->is_exit ? &st->exit : &st->entry,
            *cntp = e->is_exit ? &st->nexit : &st->nentry;
        int *nv = arena_alloc(m->fx, (size_t)(*cntp + n + 1) * sizeof *nv);
        if (*cntp) memcpy(nv, *list, (size_t)*cntp * sizeof *nv);
        memcpy(nv + *cntp, acts, (size_t)n * sizeof *nv);
        *list = nv;
        *cntp += n;
    }

    /* Expand rules into rows. A state gets a rule's rows by name, through a set, or through
       '*'. When a cell (state, event) is covered both through a set or '*' and by a rule that
       names the state, the naming rule must say 'override': its rows (with those of every
       rule naming the state) replace what the sets and '*' give that state for the event.
       A first pass records each cell's provenance; the second builds the rows in rule order,
       per event, per source. cells[].first holds a general rule of the cell meanwhile. */
    size_t ncells = (size_t)ir->nstates * (size_t)ir->nevents;
    ir->cells = arena_alloc(m->fx, (ncells + 1) * sizeof *ir->cells);
    unsigned char *prov = arena_alloc(m->fx, ncells + 1);
    for (size_t c = 0; c < ncells; c++) {
        ir->cells[c].rule = -1;
        ir->cells[c].first = -1;
    }
    struct expanded *xs = arena_alloc(m->fx, (a->rules.n + 1) * sizeof *xs);
    char *mark = arena_alloc(m->fx, (size_t)ir->nstates + 1);
    for (size_t ri = 0; ri < a->rules.n; ri++) {
        const struct rule *r = a->rules.v[ri];
        struct expanded *x = &xs[ri];
        expand_sources(m, r, x, mark);
        x->guard = x->to = -1;
        if (!r->is_ignore) {
            if (r->guard.s) {
                x->guard = lookup(m, &r->guard, K_GUARD);
                if (x->guard >= 0) ir->guards[x->guard].used = true;
            }
            x->to = r->stay ? -2 : lookup(m, &r->target, K_STATE);
            x->acts = resolve_actions(m, &r->actions, &x->nacts);
        }
        check_diagram_annots(m, r);
        x->ev = arena_alloc(m->fx, (r->events.n + 1) * sizeof *x->ev);
        for (size_t ei = 0; ei < r->events.n; ei++) {
            int ev = lookup(m, &r->events.v[ei], K_EVENT);
            if (ev < 0) continue;
            if (!r->is_ignore)
                ir->events[ev].used = true; /* only ignoring an event is not using it */
            x->ev[x->nev++] = ev;
        }
        for (int ei = 0; ei < x->nev; ei++)
            for (int k = 0; k < x->nsrc; k++) {
                size_t c = (size_t)x->src[k] * (size_t)ir->nevents + (size_t)x->ev[ei];
                int p = prov_of(r, x->via[k]);
                prov[c] |= (unsigned char)p;
                if (p == PROV_GENERAL && ir->cells[c].first < 0) ir->cells[c].first = (int)ri;
            }
    }
    struct vec rows = {0};
    for (size_t ri = 0; ri < a->rules.n; ri++) {
        const struct rule *r = a->rules.v[ri];
        const struct expanded *x = &xs[ri];
        bool replaced = false;
        for (int ei = 0; ei < x->nev; ei++) {
            int ev = x->ev[ei];
            for (int k = 0; k < x->nsrc; k++) {
                int s = x->src[k], p = prov_of(r, x->via[k]);
                size_t ci = (size_t)s * (size_t)ir->nevents + (size_t)ev;
                struct ir_cell *c = &ir->cells[ci];
                struct loc where =
                    r->wildcard || x->via[k] >= 0 ? r->events.v[0].loc : r->sources.v[0].loc;
                if (p == PROV_GENERAL && (prov[ci] & PROV_OVERRIDE)) continue; /* replaced */
                if (p == PROV_OVERRIDE && (prov[ci] & PROV_GENERAL)) replaced = true;
                if (p == PROV_NAMED && (prov[ci] & PROV_GENERAL) && !(prov[ci] & PROV_OVERRIDE)) {
                    int gi = ir->cells[ci].first;
                    diag(m->fx, CK_OVERRIDE, where,
                         "'%s' on '%s' is given by this rule and by another rule%s: "
                         "mark this one 'override' to replace that rule's rows for '%s'",
                         ir->states[s].name, ir->events[ev].name, origin(m, via_of(&xs[gi], s)),
                         ir->states[s].name);
                    diag_note(m->fx, ((const struct rule *)a->rules.v[gi])->loc,
                              "the other rule is here");
                    continue;
                }
                if (c->kind != CELL_NONE && (c->kind == CELL_IGNORE || r->is_ignore)) {
                    const struct rule *prev = a->rules.v[c->rule];
                    diag(m->fx, CK_NONDET, where,
                         "'%s' on '%s' is both ignored and handled (or ignored twice)%s",
                         ir->states[s].name, ir->events[ev].name, origin(m, x->via[k]));
                    diag_note(m->fx, prev->loc, "the other rule is here");
                    continue;
                }
                if (r->is_ignore) {
                    c->kind = CELL_IGNORE;
                    c->rule = (int)ri;
                    continue;
                }
                if (x->to == -1) continue;
                c->kind = CELL_ROWS;
                c->rule = c->rule < 0 ? (int)ri : c->rule;
                c->count++;
                struct ir_row *row = arena_alloc(m->fx, sizeof *row);
                row->rule = (int)ri;
                row->from = s;
                row->event = ev;
                row->guard = x->guard;
                row->to = x->to == -2 ? s : x->to;
                row->via = x->via[k];
                row->internal = r->stay;
                row->is_override = r->is_override;
                row->neg = r->guard_neg;
                row->is_else = r->guard_else;
                row->actions = x->acts;
                row->nactions = x->nacts;
                row->annots = r->annots;
                row->nannots = r->nannots;
                row->loc = r->loc;
                row->rfc = annot(r, "rfc");
                describe_row(m, r, x, row);
                vec_push(m->fx, &rows, row);
            }
        }
        if (r->is_override && !replaced && x->nev && x->nsrc)
            diag(m->fx, CK_OVERRIDE, r->loc,
                 "this 'override' rule replaces nothing: no set or '*' rule covers "
                 "'%s' on '%s'",
                 ir->states[x->src[0]].name, ir->events[x->ev[0]].name);
    }
    for (size_t c = 0; c < ncells; c++)
        ir->cells[c].first = 0;
    ir->nrows = (int)rows.n;
    ir->rows = arena_alloc(m->fx, (rows.n + 1) * sizeof *ir->rows);
    for (size_t i = 0; i < rows.n; i++)
        ir->rows[i] = *(struct ir_row *)rows.v[i];
    /* group rows per cell (counting sort by cell keeps rule order within a group) */
    ir->group = arena_alloc(m->fx, (rows.n + 1) * sizeof *ir->group);
    int pos = 0;
    for (size_t c = 0; c < ncells; c++) {
        ir->cells[c].first = pos;
        pos += ir->cells[c].kind == CELL_ROWS ? ir->cells[c].count : 0;
        ir->cells[c].count = 0;
    }
    for (int i = 0; i < ir->nrows; i++) {
        struct ir_cell *c =
            &ir->cells[(size_t)ir->rows[i].from * (size_t)ir->nevents + (size_t)ir->rows[i].event];
        ir->group[c->first + c->count++] = i;
    }
    return diag_errors(m->fx) == 0;
}
