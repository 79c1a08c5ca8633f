/* fsmc — shared declarations: the compiler context, arena, diagnostics, AST (parser output),
 * IR (model output), and the library entry points main.c, the fuzz harness and the tests use.
 *
 * Everything a compilation needs lives in one `struct fsmc` (arena, source files, diagnostic
 * settings and counts, the AST, the lexer's position, the C emitter's line count): there is no
 * mutable file-static state, so compilations can run one after another, or side by side, in
 * one process. Library calls return an fsmc_status instead of exiting. */
#ifndef FSMC_H
#define FSMC_H
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct fsmc;

/* ---- arena: every AST/IR object lives as long as its context, so one bump allocator per
 * context avoids leaks; out of memory unwinds to the library call (FSMC_ENOMEM) ---- */
void *arena_alloc(struct fsmc *fx, size_t n);
char *arena_strndup(struct fsmc *fx, const char *s, size_t n);
char *arena_printf(struct fsmc *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* the whole file at PATH, in the arena; NULL with errno set when it cannot be read */
char *fsmc_read_file(struct fsmc *fx, const char *path, size_t *len);

/* a growable array of pointers kept in the arena */
struct vec {
    void **v;
    size_t n, cap;
};
void vec_push(struct fsmc *fx, struct vec *vv, void *p);

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
    CK_DEAD_END,
    CK_UNUSED_EVENT,
    CK_UNUSED_GUARD,
    CK_UNUSED_ACTION,
    CK_FALLTHROUGH,
    CK_COUNT
};
int diag_add_file(struct fsmc *fx, const char *path, const char *text, size_t len);
const char *diag_file_path(const struct fsmc *fx, int file);
int diag_check_by_name(const char *name);
const char *diag_check_name(enum check c);
void diag_set_enabled(struct fsmc *fx, enum check c, bool on);
void diag_set_werror(struct fsmc *fx, int c /* -1 = all */, bool on);
void diag_set_max_errors(struct fsmc *fx, int n);
/* at most n warnings of each kind are printed (0: all); the rest are summed up at the end */
void diag_set_max_warnings(struct fsmc *fx, int n);
/* "and 71,990 more unreachable states [-Wunreachable]": one line per kind that went over */
void diag_summary(struct fsmc *fx);
void diag(struct fsmc *fx, enum check c, struct loc l, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_note(struct fsmc *fx, struct loc l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_error(struct fsmc *fx, struct loc l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int diag_errors(const struct fsmc *fx);
int diag_warnings(const struct fsmc *fx);
/* true once --max-errors errors were reported: every phase winds down, nothing more prints */
bool diag_stopped(const struct fsmc *fx);

/* ---- AST ---- */
struct name {
    const char *s;
    struct loc loc;
};
struct names {
    struct name *v;
    size_t n, cap;
};
void names_push(struct fsmc *fx, struct names *ns, const char *s, struct loc l);
struct annot {
    const char *key, *text;
    struct loc loc; /* of the value */
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
    bool endless; /* `machine NAME endless {`: it never ends, no state is final */
    const char *prefix, *context, *payload;
    struct names cincludes;
    struct vec decls, entries, rules, sets;
};
/* parse PATH into fx's AST; false when the file cannot be read (errno kept) */
bool parse_file(struct fsmc *fx, const char *path);
/* the reentrant flex scanner over PATH (lexer.l); close gives back its buffers */
bool lexer_open(struct fsmc *fx, const char *path);
void lexer_close(struct fsmc *fx);

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
    struct loc machine_loc;
    bool endless; /* `machine NAME endless`: no final state, never ends */
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
/* build IR from fx's AST; reports undefined/duplicate/... ; false on fatal resolve errors */
bool model_build(struct fsmc *fx, struct ir *ir, const char *prefix_override);
void checks_run(struct fsmc *fx, struct ir *ir);
int edit_distance(const char *a, const char *b);

/* ---- coverage counts (--coverage=FILE): "INDEX COUNT" lines, '#' comments; see fsmc(1) ---- */
/* add FILE's counts into counts[0..nrows); false when FILE cannot be read (errors in it go
 * through diag_error and show in diag_errors(fx)) */
bool coverage_load(struct fsmc *fx, const char *path, const char *machine,
                   unsigned long long *counts, int nrows);

/* ---- backends ---- */
/* Diagrams come in two views (view.h): every row, or the textbook overview. */
enum view_kind { VIEW_FULL, VIEW_OVERVIEW };
struct emit_opts {
    bool line;
    const char *out_path, *hdr_path, *hdr_name, *spec_path;
    const unsigned long long *counts; /* DOT only: --coverage counts per row, or NULL */
    enum view_kind view;              /* DOT and Mermaid */
    bool action_transition;           /* C and stubs: actions get the firing row (--action-args) */
};
void emit_c_header(struct fsmc *fx, const struct ir *ir, FILE *f, const struct emit_opts *o);
void emit_c_table(struct fsmc *fx, const struct ir *ir, FILE *f, const struct emit_opts *o);
void emit_c_switch(struct fsmc *fx, const struct ir *ir, FILE *f, const struct emit_opts *o);
/* a C skeleton of every guard and action, with the rows that use each (emit_stubs.c) */
void emit_c_stubs(struct fsmc *fx, const struct ir *ir, FILE *f, const struct emit_opts *o);
void emit_dot_view(struct fsmc *fx, const struct ir *ir, FILE *f, enum view_kind kind);
void emit_mermaid_view(struct fsmc *fx, const struct ir *ir, FILE *f, enum view_kind kind);
/* DOT with each edge colored/weighted by counts[row] (ir->nrows entries); never-taken rows red */
void emit_dot_coverage(struct fsmc *fx, const struct ir *ir, FILE *f,
                       const unsigned long long *counts);
void emit_json(struct fsmc *fx, const struct ir *ir, FILE *f);
size_t emit_table_bytes(const struct ir *ir);

/* ---- the context ---- */
struct srcfile {
    const char *path, *text;
    size_t len;
    size_t *line_start; /* where each line begins, built when a diagnostic first shows one */
    int nlines;
};
struct fsmc_block;
#define FSMC_MAX_INCLUDE_DEPTH 32
struct fsmc {
    struct fsmc_block *arena;
    jmp_buf *oom;  /* where running out of memory unwinds to (set by each library call) */
    void *scratch; /* a malloc'd buffer to free when unwinding (a file being read) */
    bool compiled; /* fsmc_compile ran: a context holds one spec */
    /* diagnostics */
    FILE *err;
    struct srcfile *files;
    int nfiles, capfiles;
    bool enabled[CK_COUNT], as_error[CK_COUNT];
    int max_errors, nerrors, nwarnings;
    int max_warnings;            /* per kind; 0: no limit */
    int shown[CK_COUNT];         /* warnings printed, per kind */
    long long unshown[CK_COUNT]; /* and the ones over max_warnings */
    bool stopped;
    bool suppress_notes; /* the diagnostic these notes belong to was not shown */
    /* front end: the AST and the lexer (a reentrant flex scanner) */
    struct ast ast;
    void *scanner;
    int cur_file, cur_line, cur_col, depth;
    struct {
        void *buf; /* YY_BUFFER_STATE */
        int file, line, col;
    } incl[FSMC_MAX_INCLUDE_DEPTH];
    struct loc comment_start;
    struct fsmc_token {
        int kind;         /* the parser's token number, 0 at the end */
        const char *text; /* a name's, string's, annotation's or bad character's text */
        struct loc loc, end;
    } tok, prev;    /* the lookahead and the token before it, for syntax errors */
    bool lex_error; /* the scanner reported this statement's error (a string, a comment) */
    struct loc machine_brace; /* the machine's '{', for "never closed" */
    /* the C emitter: where it writes and how many lines so far (for #line back-references) */
    FILE *out_f;
    int out_line;
};

/* ---- the library: what a program calls (main.c, tests/fuzz/fuzz_fsmc.c, check_fsmc) ---- */
enum fsmc_status { FSMC_OK = 0, FSMC_ESPEC = 1, FSMC_EIO = 2, FSMC_ENOMEM = 3 };
/* a new context that reports to `diagnostics` (stderr when NULL); NULL when out of memory */
struct fsmc *fsmc_new(FILE *diagnostics);
void fsmc_free(struct fsmc *fx);
/* read, resolve and check the spec at PATH into *ir: FSMC_OK, FSMC_ESPEC (errors were
 * reported), FSMC_EIO (PATH unreadable: reported with its reason) or FSMC_ENOMEM */
int fsmc_compile(struct fsmc *fx, const char *path, const char *prefix, struct ir *ir);
/* add the --coverage counts in PATH to counts[0..ir->nrows) */
int fsmc_load_coverage(struct fsmc *fx, const char *path, const struct ir *ir,
                       unsigned long long *counts);
enum fsmc_backend {
    FSMC_EMIT_C_HEADER,
    FSMC_EMIT_C_TABLE,
    FSMC_EMIT_C_SWITCH,
    FSMC_EMIT_DOT, /* o->view; a heat map when o->counts */
    FSMC_EMIT_MERMAID,
    FSMC_EMIT_JSON,
    FSMC_EMIT_C_STUBS /* o->hdr_name: the header to include */
};
/* write one output to f: FSMC_OK, FSMC_EIO (a write failed) or FSMC_ENOMEM */
int fsmc_emit(struct fsmc *fx, enum fsmc_backend b, const struct ir *ir, FILE *f,
              const struct emit_opts *o);
#endif
