%{
/* fsmc grammar, a pure parser: builds the AST in the context's ast; names are resolved later
   by model.c. */
#include "fsmc.h"
#include <string.h>
%}
%code requires {
#include "fsmc.h"
/* locations carry the file index so diagnostics in included files point at the right file */
typedef struct FSMC_YYLTYPE {
    int file, first_line, first_column, last_line, last_column;
} FSMC_YYLTYPE;
#define FSMC_YYLTYPE_IS_DECLARED 1
#define FSMC_YYLTYPE_IS_TRIVIAL 1
#define YYLLOC_DEFAULT(Cur, Rhs, N) do { \
    if (N) { \
        (Cur).file = YYRHSLOC(Rhs, 1).file; \
        (Cur).first_line = YYRHSLOC(Rhs, 1).first_line; \
        (Cur).first_column = YYRHSLOC(Rhs, 1).first_column; \
        (Cur).last_line = YYRHSLOC(Rhs, N).last_line; \
        (Cur).last_column = YYRHSLOC(Rhs, N).last_column; \
    } else { \
        (Cur) = YYRHSLOC(Rhs, 0); \
        (Cur).first_line = (Cur).last_line; \
        (Cur).first_column = (Cur).last_column; \
    } \
} while (0)
}
%code provides {
int fsmc_yylex(FSMC_YYSTYPE *lval, FSMC_YYLTYPE *lloc, void *scanner);
}
%define api.prefix {fsmc_yy}
%define api.pure full
%param {void *scanner}
%parse-param {struct fsmc *fx}
%define parse.error custom
%locations
%union {
    const char *str;
    struct names names;
    struct rule *rule;
    int attrs;
    struct { struct annot *v; size_t n; } annots;
}
%token MACHINE PREFIX CONTEXT PAYLOAD CINCLUDE STATE EVENT TIMER GUARD ACTION ENTRY EXIT
%token ON "on" DO "do" ELSE "else" EXCEPT "except" IGNORE "ignore" INCLUDE "include"
%token ARROW "->" BADCHAR "character"
%token SET "set" OVERRIDE "override" STAY "stay"
%token <str> ID "identifier" STRING "string" ANNOT "annotation"
%type <names> idlist doopt
%type <str> ctype
%type <attrs> attrs mattrs
%type <rule> sources head guardopt
%type <annots> annots
%{
static struct loc L(FSMC_YYLTYPE l)
{
    struct loc r = { l.file, l.first_line, l.first_column };
    return r;
}
static void yyerror(FSMC_YYLTYPE *l, void *scanner, struct fsmc *fx, const char *msg)
{
    (void)scanner;
    /* only "memory exhausted": yyreport_syntax_error reports syntax errors */
    diag(fx, CK_SYNTAX, L(*l), "%s", msg);
}
static struct rule *new_rule(struct fsmc *fx, FSMC_YYLTYPE l)
{
    struct rule *r = arena_alloc(fx, sizeof *r);
    r->loc = L(l);
    return r;
}
static struct name N(const char *s, FSMC_YYLTYPE l)
{
    struct name n = { s, L(l) };
    return n;
}
static void add_decl(struct fsmc *fx, enum decl_kind k, struct names ids, int attrs)
{
    struct decl *d = arena_alloc(fx, sizeof *d);
    d->kind = k; d->ids = ids; d->attrs = attrs;
    vec_push(fx, &fx->ast.decls, d);
}
static void add_set(struct fsmc *fx, const char *s, FSMC_YYLTYPE l, struct names members)
{
    struct setdecl *d = arena_alloc(fx, sizeof *d);
    d->name.s = s; d->name.loc = L(l); d->members = members;
    vec_push(fx, &fx->ast.sets, d);
}
static void add_ee(struct fsmc *fx, bool is_exit, const char *s, FSMC_YYLTYPE l, struct names acts)
{
    struct entryexit *e = arena_alloc(fx, sizeof *e);
    e->is_exit = is_exit; e->state.s = s; e->state.loc = L(l); e->actions = acts;
    vec_push(fx, &fx->ast.entries, e);
}
%}
%%
file    : %empty
        | file machine
        | file error '}'
        ;
machine : MACHINE ID mattrs '{'  {
            if (fx->ast.have_machine) diag(fx, CK_SYNTAX, L(@1), "only one machine per spec");
            fx->ast.have_machine = true; fx->ast.machine.s = $2; fx->ast.machine.loc = L(@2);
            fx->ast.endless = $3;
            fx->machine_brace = L(@4);
          } items '}'
        ;
mattrs  : %empty                      { $$ = false; }
        | ID {
            $$ = !strcmp($1, "endless");
            if (!$$)
                diag(fx, CK_SYNTAX, L(@1),
                     "unknown machine attribute '%s' (expected 'endless' or '{')", $1);
          }
        ;
items   : %empty | items item ;
item    : PREFIX ID ';'               { fx->ast.prefix = $2; }
        | CONTEXT ctype ';'           { fx->ast.context = $2; }
        | PAYLOAD ctype ';'           { fx->ast.payload = $2; }
        | CINCLUDE STRING ';'         { names_push(fx, &fx->ast.cincludes, $2, L(@2)); }
        | STATE idlist attrs ';'      { add_decl(fx, D_STATE, $2, $3); }
        | EVENT idlist ';'            { add_decl(fx, D_EVENT, $2, 0); }
        | TIMER idlist ';'            { add_decl(fx, D_TIMER, $2, 0); }
        | GUARD idlist ';'            { add_decl(fx, D_GUARD, $2, 0); }
        | ACTION idlist ';'           { add_decl(fx, D_ACTION, $2, 0); }
        | ENTRY ID DO idlist ';'      { add_ee(fx, false, $2, @2, $4); }
        | EXIT ID DO idlist ';'       { add_ee(fx, true, $2, @2, $4); }
        | SET ID '=' idlist ';'       { add_set(fx, $2, @2, $4); }
        | head ON idlist guardopt ARROW ID doopt annots ';' {
            struct rule *r = $1;
            r->events = $3;
            r->guard = $4->guard; r->guard_neg = $4->guard_neg; r->guard_else = $4->guard_else;
            r->target.s = $6; r->target.loc = L(@6);
            r->actions = $7; r->annots = $8.v; r->nannots = $8.n;
            vec_push(fx, &fx->ast.rules, r);
          }
        | head ON idlist guardopt ARROW STAY doopt annots ';' {
            struct rule *r = $1;
            r->events = $3;
            r->guard = $4->guard; r->guard_neg = $4->guard_neg; r->guard_else = $4->guard_else;
            r->stay = true; r->target.loc = L(@6);
            r->actions = $7; r->annots = $8.v; r->nannots = $8.n;
            vec_push(fx, &fx->ast.rules, r);
          }
        | head IGNORE idlist annots ';' {
            struct rule *r = $1;
            r->is_ignore = true; r->events = $3; r->annots = $4.v; r->nannots = $4.n;
            vec_push(fx, &fx->ast.rules, r);
          }
        | error ';'
        ;
ctype   : ID                          { $$ = $1; }
        | ctype ID                    { $$ = arena_printf(fx, "%s %s", $1, $2); }
        | ctype '*'                   { $$ = arena_printf(fx, "%s *", $1); }
        ;
idlist  : ID                          { memset(&$$, 0, sizeof $$); names_push(fx, &$$, $1, L(@1)); }
        | idlist ',' ID               { $$ = $1; names_push(fx, &$$, $3, L(@3)); }
        ;
attrs   : %empty                      { $$ = 0; }
        | attrs ID {
            $$ = $1;
            if (!strcmp($2, "initial")) $$ |= ATTR_INITIAL;
            else if (!strcmp($2, "final")) $$ |= ATTR_FINAL;
            else if (!strcmp($2, "trap")) $$ |= ATTR_TRAP;
            else
                diag(fx, CK_SYNTAX, L(@2),
                     "unknown state attribute '%s' (expected initial, final or trap)", $2);
          }
        ;
head    : sources                     { $$ = $1; }
        | OVERRIDE sources            { $$ = $2; $$->is_override = true; $$->loc = L(@1); }
        ;
sources : idlist                      { $$ = new_rule(fx, @1); $$->sources = $1; }
        | '*'                         { $$ = new_rule(fx, @1); $$->wildcard = true; }
        | '*' EXCEPT idlist           { $$ = new_rule(fx, @1); $$->wildcard = true;
                                        $$->except = $3; }
        ;
guardopt: %empty                      { $$ = arena_alloc(fx, sizeof *$$); }
        | '[' ID ']'                  { $$ = arena_alloc(fx, sizeof *$$); $$->guard = N($2, @2); }
        | '[' '!' ID ']'              { $$ = arena_alloc(fx, sizeof *$$); $$->guard = N($3, @3);
                                        $$->guard_neg = true; }
        | ELSE                        { $$ = arena_alloc(fx, sizeof *$$); $$->guard_else = true; }
        ;
doopt   : %empty                      { memset(&$$, 0, sizeof $$); }
        | DO idlist                   { $$ = $2; }
        ;
annots  : %empty                      { $$.v = NULL; $$.n = 0; }
        | annots ANNOT STRING {
            struct annot *v = arena_alloc(fx, ($1.n + 1) * sizeof *v);
            if ($1.n) memcpy(v, $1.v, $1.n * sizeof *v);
            v[$1.n].key = $2; v[$1.n].text = $3; v[$1.n].loc = L(@3);
            $$.v = v; $$.n = $1.n + 1;
          }
        ;
%%
/* ---- syntax errors, worded for a person ---- */

/* a token kind as the user would write it: 'event', ';', '->', a name, end of file */
static const char *tok_kind_name(struct fsmc *fx, yysymbol_kind_t k)
{
    switch (k) {
    case YYSYMBOL_YYEOF: return "end of file";
    case YYSYMBOL_ID: return "a name";
    case YYSYMBOL_STRING: return "a string";
    case YYSYMBOL_ANNOT: return "an annotation (@name)";
    case YYSYMBOL_BADCHAR: return "a character";
    default: break;
    }
    const char *n = yysymbol_name(k);
    if (n[0] == '\'') return n;                      /* '{' */
    size_t len = strlen(n);
    if (n[0] == '"') return arena_printf(fx, "'%.*s'", (int)len - 2, n + 1); /* "on" */
    char *w = arena_printf(fx, "'%s'", n);           /* MACHINE: the keyword machine */
    for (char *p = w; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    return w;
}

/* a token that was read: with its text when it has one */
static const char *tok_name(struct fsmc *fx, yysymbol_kind_t k, const struct fsmc_token *t)
{
    if (t->text && k == YYSYMBOL_ID) return arena_printf(fx, "name '%s'", t->text);
    if (t->text && k == YYSYMBOL_ANNOT) return arena_printf(fx, "annotation '@%s'", t->text);
    if (t->text && k == YYSYMBOL_BADCHAR)
        return (unsigned char)t->text[0] >= 0x21 && (unsigned char)t->text[0] < 0x7f
                   ? arena_printf(fx, "character '%s'", t->text)
                   : arena_printf(fx, "byte 0x%02x", (unsigned char)t->text[0]);
    return tok_kind_name(fx, k);
}

/* words that start an item inside a machine */
static const char *const item_keywords[] = {
    "prefix", "context", "payload", "cinclude", "state", "event", "timer", "guard", "action",
    "entry", "exit", "set", "override", "include",
};

/* the keyword among `words` a misspelled word is closest to, if it is close */
static const char *near_keyword(const char *word, const char *const *words, size_t n)
{
    const char *best = NULL;
    int bestd = 3, len = (int)strlen(word);
    for (size_t i = 0; i < n; i++) {
        int d = edit_distance(word, words[i]);
        if (d < bestd) { bestd = d; best = words[i]; }
    }
    return best && bestd <= (len < 4 ? 1 : 2) && bestd > 0 ? best : NULL;
}

static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner, struct fsmc *fx)
{
    (void)scanner;
    if (fx->lex_error) { /* the scanner already reported this statement's mistake */
        fx->lex_error = false;
        return 0;
    }
    yysymbol_kind_t la = yypcontext_token(ctx), exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
    if (n < 0) n = 0;
    bool want_semi = false, want_close = false, want_on = false;
    const char *want_kw[YYNTOKENS];
    size_t nkw = 0;
    for (int i = 0; i < n; i++) {
        const char *name = tok_kind_name(fx, exp[i]);
        want_semi |= !strcmp(name, "';'");
        want_close |= !strcmp(name, "'}'");
        want_on |= exp[i] == YYSYMBOL_ON;
        if (name[0] == '\'' && name[1] >= 'a' && name[1] <= 'z') /* a keyword: 'on' */
            want_kw[nkw++] = arena_strndup(fx, name + 1, strlen(name) - 2);
    }
    const struct fsmc_token *tok = &fx->tok, *prev = &fx->prev;
    /* the spec ends inside the machine: point at the brace that is never closed */
    if (la == YYSYMBOL_YYEOF && want_close && fx->machine_brace.line > 0) {
        diag(fx, CK_SYNTAX, fx->machine_brace, "this '{' of machine '%s' is never closed",
             fx->ast.machine.s ? fx->ast.machine.s : "?");
        diag_note(fx, tok->loc, "the spec ends here, expecting '}'");
        return 0;
    }
    /* `evnet GO;`: a misspelled keyword, read as a state, then a second name */
    if (want_on && prev->kind == ID && prev->text && la == YYSYMBOL_ID) {
        const char *kw = near_keyword(prev->text, item_keywords,
                                      sizeof item_keywords / sizeof *item_keywords);
        if (kw) {
            diag(fx, CK_SYNTAX, prev->loc, "unknown keyword '%s'; did you mean '%s'?",
                 prev->text, kw);
            return 0;
        }
    }
    /* a name where a keyword belongs: `A onn E -> B;` */
    if (la == YYSYMBOL_ID && tok->text && nkw) {
        const char *kw = near_keyword(tok->text, want_kw, nkw);
        if (kw) {
            diag(fx, CK_SYNTAX, tok->loc, "unexpected name '%s'; did you mean '%s'?", tok->text,
                 kw);
            return 0;
        }
    }
    /* the statement ended without its ';' (the next token is on a later line) */
    if (want_semi && la != YYSYMBOL_YYEOF && prev->kind && tok->loc.line > prev->end.line) {
        struct loc at = prev->end;
        at.col = at.col > 1 ? at.col : 1;
        yysymbol_kind_t pk = YYTRANSLATE(prev->kind);
        diag(fx, CK_SYNTAX, at, "missing ';' after %s",
             pk == YYSYMBOL_ID && prev->text ? arena_printf(fx, "'%s'", prev->text)
                                             : tok_name(fx, pk, prev));
        return 0;
    }
    /* otherwise: what came, and what could have */
    const char *msg = arena_printf(fx, "unexpected %s", tok_name(fx, la, tok));
    for (int i = 0; i < n && i < 8; i++) {
        const char *sep = ", ";
        if (i == 0) sep = ", expecting ";
        else if (i == n - 1 || i == 7) sep = " or ";
        msg = arena_printf(fx, "%s%s%s", msg, sep, tok_kind_name(fx, exp[i]));
    }
    if (n > 8) msg = arena_printf(fx, "%s (or %d more)", msg, n - 8);
    diag(fx, CK_SYNTAX, tok->loc, "%s", msg);
    return 0;
}

bool parse_file(struct fsmc *fx, const char *path)
{
    if (!lexer_open(fx, path)) return false;
    fsmc_yyparse(fx->scanner, fx);
    lexer_close(fx);
    if (!fx->ast.have_machine && diag_errors(fx) == 0) {
        struct loc l = { 0, 0, 0 };
        diag(fx, CK_SYNTAX, l, "no 'machine NAME { ... }' in spec");
    }
    return true;
}
