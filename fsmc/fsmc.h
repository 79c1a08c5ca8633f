/* fsmc — shared declarations: arena, diagnostics, AST (parser output), IR (model output). */
#ifndef FSMC_H
#define FSMC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ---- arena: every AST/IR object lives until exit, so one bump allocator avoids leaks ---- */
void *arena_alloc(size_t n);
char *arena_strndup(const char *s, size_t n);
char *arena_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void arena_free_all(void);

/* a growable array of pointers/ints kept in malloc'd memory owned by the arena list */
struct vec {
    void **v;
    size_t n, cap;
};
void vec_push(struct vec *vv, void *p);

/* ---- diagnostics ---- */
struct loc {
    int file, line, col;
};
enum check {
    CK_SYNTAX,
    CK_UNDEFINED,
    CK_DUPLICATE,
    CK_INITIAL,
    CK_NONDET,
    CK_SHADOWED,
    CK_UNHANDLED,
    CK_INCLUDE,
    CK_OVERRIDE,
    CK_UNREACHABLE,
    CK_NO_FINAL,
    CK_UNUSED_EVENT,
    CK_UNUSED_GUARD,
    CK_UNUSED_ACTION,
    CK_FALLTHROUGH,
    CK_COUNT
};
int diag_add_file(const char *path, const char *text, size_t len);
const char *diag_file_path(int file);
int diag_check_by_name(const char *name);
const char *diag_check_name(enum check c);
void diag_set_enabled(enum check c, bool on);
void diag_set_werror(int c /* -1 = all */, bool on);
void diag_set_max_errors(int n);
void diag(enum check c, struct loc l, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_note(struct loc l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_error(struct loc l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int diag_errors(void);
int diag_warnings(void);

/* ---- AST ---- */
struct name {
    const char *s;
    struct loc loc;
};
struct names {
    struct name *v;
    size_t n, cap;
};
void names_push(struct names *ns, const char *s, struct loc l);
struct annot {
    const char *key, *text;
    struct loc loc;   /* of the value */
};
enum decl_kind { D_STATE, D_EVENT, D_TIMER, D_GUARD, D_ACTION };
enum { ATTR_INITIAL = 1, ATTR_FINAL = 2, ATTR_TRAP = 4 };
struct decl {
    enum decl_kind kind;
    struct names ids;
    int attrs;
};
struct entryexit {
    bool is_exit;
    struct name state;
    struct names actions;
};
/* set NAME = members; (states, or sets declared before it) */
struct setdecl {
    struct name name;
    struct names members;
};
struct rule {
    bool is_ignore, wildcard;
    bool is_override; /* replaces what sets and '*' give its states */
    bool stay;        /* target 'stay': an internal transition in each source */
    struct loc loc;
    struct names sources, except; /* states and sets; sources empty when wildcard */
    struct names events;
    struct name guard; /* guard.s NULL when none */
    bool guard_neg, guard_else;
    struct name target;
    struct names actions;
    struct annot *annots;
    size_t nannots;
};
struct ast {
    struct name machine;
    bool have_machine;
    const char *prefix, *context, *payload;
    struct names cincludes;
    struct vec decls, entries, rules, sets;
};
extern struct ast g_ast;
/* parse PATH (already loaded); returns false when the file cannot be read */
bool parse_file(const char *path);

/* ---- IR ---- */
struct ir_state {
    const char *name;
    struct loc loc;
    int attrs;
    int *entry, nentry, *exit, nexit;
};
struct ir_sym {
    const char *name;
    struct loc loc;
    bool is_timer;
    bool used;
};
/* how a row's rule reached its source state */
enum { VIA_NAME = -1, VIA_WILDCARD = -2 }; /* else: the index of the set in ir->sets */
struct ir_set {
    const char *name;
    struct loc loc;
    int *members, nmembers;
};
struct ir_row {
    int rule, from, event, guard, to; /* guard: -1 none */
    int via;                          /* VIA_NAME, VIA_WILDCARD or a set index */
    bool neg, is_else;
    bool internal; /* 'stay': no exit/entry actions */
    bool is_override;
    int *actions, nactions;
    struct annot *annots;
    size_t nannots;
    const char *label, *rfc, *guard_text, *action_text;
    struct loc loc;
};
enum cell_kind { CELL_NONE, CELL_IGNORE, CELL_ROWS };
struct ir_cell {
    unsigned char kind;
    int first, count;
    int rule;
}; /* first: index into ir.group */
struct ir {
    const char *machine, *prefix, *upper, *context, *payload;
    struct names cincludes;
    struct ir_state *states;
    int nstates;
    struct ir_set *sets;
    int nsets;
    struct ir_sym *events;
    int nevents;
    struct ir_sym *guards;
    int nguards;
    struct ir_sym *actions;
    int nactions;
    struct ir_row *rows;
    int nrows;
    struct ir_cell *cells; /* nstates * nevents */
    int *group;            /* row indexes, grouped by cell, rule order inside */
    int initial;
};
/* build IR from g_ast; reports undefined/duplicate/... ; returns false on fatal resolve errors */
bool model_build(struct ir *ir, const char *prefix_override);
void checks_run(struct ir *ir);
int edit_distance(const char *a, const char *b);

/* ---- coverage counts (--coverage=FILE): "INDEX COUNT" lines, '#' comments; see fsmc(1) ---- */
/* add FILE's counts into counts[0..nrows); false when FILE cannot be read (errors in it go
 * through diag_error and show in diag_errors()) */
bool coverage_load(const char *path, const char *machine, unsigned long long *counts, int nrows);

/* ---- backends ---- */
struct emit_opts {
    bool line;
    const char *out_path, *hdr_path, *hdr_name, *spec_path;
    const unsigned long long *counts; /* DOT only: --coverage counts per row, or NULL */
};
void emit_c_header(const struct ir *ir, FILE *f, const struct emit_opts *o);
void emit_c_table(const struct ir *ir, FILE *f, const struct emit_opts *o);
void emit_c_switch(const struct ir *ir, FILE *f, const struct emit_opts *o);
/* Diagrams come in two views (view.h): every row, or the textbook overview. */
enum view_kind { VIEW_FULL, VIEW_OVERVIEW };
void emit_dot(const struct ir *ir, FILE *f);
void emit_dot_view(const struct ir *ir, FILE *f, enum view_kind kind);
void emit_mermaid_view(const struct ir *ir, FILE *f, enum view_kind kind);
/* DOT with each edge colored/weighted by counts[row] (ir->nrows entries); never-taken rows red */
void emit_dot_coverage(const struct ir *ir, FILE *f, const unsigned long long *counts);
void emit_mermaid(const struct ir *ir, FILE *f);
void emit_json(const struct ir *ir, FILE *f);
size_t emit_table_bytes(const struct ir *ir);
#endif
