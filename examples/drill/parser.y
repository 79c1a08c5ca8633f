%{
/* tcpfsm-drill's grammar for packetdrill's script language (its syntax.md is the reference):
   options, an optional init command, timed events (packets, system calls, commands, code),
   an optional cleanup command. A pure parser: the AST goes into the parse context's script,
   allocated in its arena. The first error stops the parse, as in packetdrill. */
#include "drill.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>
%}
%code requires {
#include "drill.h"
typedef struct DRILL_YYLTYPE {
    int first_line, first_column, last_line, last_column;
} DRILL_YYLTYPE;
#define DRILL_YYLTYPE_IS_DECLARED 1
#define DRILL_YYLTYPE_IS_TRIVIAL 1
struct opt_bytes {
    uint8_t b[WIRE_MAX_OPT + 12];
    int n;
};
}
%code provides {
int drill_yylex(DRILL_YYSTYPE *lval, DRILL_YYLTYPE *lloc, void *scanner);
int lexer_run(struct parse_ctx *p, const char *text, size_t len);
}
%define api.prefix {drill_yy}
%define api.pure full
%param {void *scanner}
%parse-param {struct parse_ctx *px}
%define parse.error custom
%locations
%expect 0
%union {
    struct { int64_t v; const char *text; } num;
    struct { int64_t us; double d; const char *text; } fl;
    const char *str;
    struct { const char *s; size_t n; } text;
    struct event *ev;
    struct pkt_spec *pkt;
    struct syscall_spec *sys;
    struct expr *expr;
    struct expr_list list;
    struct { enum time_kind tk; int64_t t, t_end; int line; } time;
    struct opt_bytes opts;
    int64_t us;
    int flags;
    bool dir;
    struct { bool has; uint16_t s, d; } ports;
    struct { int64_t start, len; } seq;
}
%token <num> INTEGER "number"
%token <fl> FLOAT "decimal number"
%token <str> WORD "word" COMMAND "command" CODE "code block" OPTION "option"
%token <str> IPV4_ADDR "IPv4 address" IPV6_ADDR "IPv6 address" BADCHAR "character"
%token <text> STRING "string"
%token ELLIPSIS "'...'"
%token <str> ACK "'ack'" WIN "'win'" URG "'urg'" MSS "'mss'" WSCALE "'wscale'"
%token <str> SACKOK "'sackOK'" SACK "'sack'" TS "'TS'" VAL "'val'" ECR "'ecr'" NOP "'nop'"
%token <str> EOL "'eol'" MD5 "'md5'" FO "'FO'" FOEXP "'FOEXP'"
%token <str> NOSUCH_OPT "option name" NOSUCH_LAYER "protocol name"
%type <str> optval note_word opt_hex
%type <time> time
%type <us> number
%type <ev> event action
%type <pkt> packet packet_body
%type <dir> direction
%type <flags> flags
%type <sys> syscall
%type <us> opt_end opt_ack opt_win opt_urg
%type <ports> opt_ports
%type <seq> seq
%type <expr> expr result field
%type <list> exprs opt_args fields
%type <str> opt_errno
%type <opts> opt_tcp_options tcp_opts tcp_opt sack_blocks
%left '|'
%{
static struct script *S(struct parse_ctx *px)
{
    return px->script;
}
static struct expr *new_expr(struct parse_ctx *px, enum expr_kind k, int line)
{
    struct expr *e = arena_alloc(px->arena, sizeof *e);
    e->kind = k;
    e->line = line;
    return e;
}
static void list_push(struct parse_ctx *px, struct expr_list *l, struct expr *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        struct expr **v = arena_alloc(px->arena, cap * sizeof *v);
        if (l->n) memcpy(v, l->v, l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = e;
}
static void yyerror(DRILL_YYLTYPE *l, void *scanner, struct parse_ctx *px, const char *msg)
{
    (void)scanner; /* only "memory exhausted": yyreport_syntax_error reports the rest */
    parse_error(px, l->first_line, "parse error", "%s", msg);
}
/* A semantic error at line: reported, and the parse stops. */
#define SEMANTIC(line, ...)                                                                 \
    do {                                                                                    \
        parse_error(px, (line), "semantic error", __VA_ARGS__);                             \
        YYABORT;                                                                            \
    } while (0)
#define UNSUPPORTED(line, ...)                                                              \
    do {                                                                                    \
        parse_error(px, (line), "unsupported", __VA_ARGS__);                                \
        YYABORT;                                                                            \
    } while (0)
static bool u32_ok(int64_t v)
{
    return v >= 0 && v <= UINT32_MAX;
}
static bool u16_ok(int64_t v)
{
    return v >= 0 && v <= UINT16_MAX;
}
/* Append one option's bytes; false if the options no longer fit a TCP header. */
static bool opt_add(struct opt_bytes *o, const uint8_t *b, int n)
{
    if (o->n + n > (int)sizeof o->b) return false;
    memcpy(o->b + o->n, b, (size_t)n);
    o->n += n;
    return true;
}
/* An option the stack does not implement, from packetdrill's names for it: kind, the bytes
 * that follow the length (FOEXP's magic), then the hex digits of a cookie or digest (at most
 * max bytes). Scripts send them to check that they are ignored (RFC 9293 3.1, MUST-6). NULL,
 * or what is wrong. */
static const char *opt_hex(struct opt_bytes *o, uint8_t kind, const uint8_t *pre, int npre,
                           const char *hex, int max)
{
    size_t digits = strlen(hex);
    if (digits % 2) return "has an odd number of hex digits";
    if ((int)digits / 2 > max) return "is too long";
    o->n = 2 + npre + (int)digits / 2;
    o->b[0] = kind;
    o->b[1] = (uint8_t)o->n;
    if (npre) memcpy(o->b + 2, pre, (size_t)npre); /* FO, md5: no prefix, pre NULL */
    for (size_t i = 0; i < digits; i += 2) {
        unsigned v;
        char two[3] = {hex[i], hex[i + 1], 0};
        if (!isxdigit((unsigned char)two[0]) || !isxdigit((unsigned char)two[1]) ||
            sscanf(two, "%2x", &v) != 1)
            return "is not a hex string";
        o->b[2 + npre + i / 2] = (uint8_t)v;
    }
    return NULL;
}
static int flags_of(const char *w, char *bad)
{
    static const char letters[] = "FSRP.UEW";
    int f = 0;
    for (const char *c = w; *c; c++) {
        const char *at = strchr(letters, *c);
        if (!at) {
            *bad = *c;
            return -1;
        }
        f |= 1 << (at - letters);
    }
    return f;
}
%}
%%
script  : options opt_init events opt_cleanup
        ;
options : %empty
        | options OPTION {
            struct script_option *o = arena_alloc(px->arena, sizeof *o);
            o->name = $2; o->line = @2.first_line;
            o->next = S(px)->options; S(px)->options = o;
          }
        | options OPTION '=' optval {
            struct script_option *o = arena_alloc(px->arena, sizeof *o);
            o->name = $2; o->value = $4; o->line = @2.first_line;
            o->next = S(px)->options; S(px)->options = o;
          }
        ;
optval  : INTEGER                   { $$ = $1.text; }
        | FLOAT                     { $$ = $1.text; }
        | WORD                      { $$ = $1; }
        | STRING                    { $$ = $1.s; }
        | IPV4_ADDR                 { $$ = $1; }
        | IPV6_ADDR                 { UNSUPPORTED(@1.first_line, "IPv6 address %s: tcpfsm is "
                                                  "an IPv4 stack", $1); }
        ;
opt_init: %empty
        | COMMAND                   { S(px)->init_command = $1;
                                      S(px)->init_line = @1.first_line; }
        ;
opt_cleanup: %empty
        | COMMAND                   { S(px)->cleanup_command = $1;
                                      S(px)->cleanup_line = @1.first_line; }
        ;
events  : event
        | events event
        ;
event   : time action {
            struct event *e = $2;
            e->line = $1.line; e->tk = $1.tk; e->t_us = $1.t; e->t_end_us = $1.t_end;
            bool out_pkt = e->kind == A_PACKET && e->pkt->outbound;
            if (e->tk == T_ANY && !out_pkt)
                SEMANTIC(e->line, "event time <star> can only be used with outbound packets");
            if ((e->tk == T_ABS_RANGE || e->tk == T_REL_RANGE) && !out_pkt)
                SEMANTIC(e->line, "event time range can only be used with outbound packets");
            if (S(px)->events_tail) S(px)->events_tail->next = e; else S(px)->events = e;
            S(px)->events_tail = e;
            $$ = e;
          }
        ;
time    : number                    { $$.tk = T_ABS; $$.t = $1; $$.t_end = -1;
                                      $$.line = @1.first_line; }
        | '+' number                { $$.tk = T_REL; $$.t = $2; $$.t_end = -1;
                                      $$.line = @1.first_line; }
        | '*'                       { $$.tk = T_ANY; $$.t = 0; $$.t_end = -1;
                                      $$.line = @1.first_line; }
        | number '~' number {
            if ($3 < $1) SEMANTIC(@1.first_line, "time range is backwards");
            $$.tk = T_ABS_RANGE; $$.t = $1; $$.t_end = $3; $$.line = @1.first_line;
          }
        | '+' number '~' '+' number {
            if ($5 < $2) SEMANTIC(@1.first_line, "time range is backwards");
            $$.tk = T_REL_RANGE; $$.t = $2; $$.t_end = $5; $$.line = @1.first_line;
          }
        ;
number  : INTEGER {
            if ($1.v < 0) SEMANTIC(@1.first_line, "negative time");
            if ($1.v > INT64_MAX / 1000000 / 4) SEMANTIC(@1.first_line, "time out of range");
            $$ = $1.v * 1000000;
          }
        | FLOAT {
            if ($1.us < 0) SEMANTIC(@1.first_line, "negative time");
            if ($1.us > INT64_MAX / 4) SEMANTIC(@1.first_line, "time out of range");
            $$ = $1.us;
          }
        ;
action  : packet                    { $$ = arena_alloc(px->arena, sizeof *$$);
                                      $$->kind = A_PACKET; $$->pkt = $1; }
        | syscall                   { $$ = arena_alloc(px->arena, sizeof *$$);
                                      $$->kind = A_SYSCALL; $$->sys = $1; }
        | COMMAND                   { $$ = arena_alloc(px->arena, sizeof *$$);
                                      $$->kind = A_COMMAND; $$->text = $1; }
        | CODE                      { $$ = arena_alloc(px->arena, sizeof *$$);
                                      $$->kind = A_CODE; $$->text = $1; }
        ;

/* ---- packets: < or >, then what tcpdump would print ---- */
packet  : direction packet_body {
            $$ = $2; $$->outbound = $1;
            if ($$->win < 0 && !$1)
                SEMANTIC(@1.first_line, "window must be specified for inbound packets");
            if ($$->opts_any && !$1)
                SEMANTIC(@1.first_line, "<...> for TCP options can only be used with "
                                        "outbound packets");
          }
        ;
direction: '<'                      { $$ = false; }
        | '>'                       { $$ = true; }
        ;
packet_body
        : opt_ports flags seq opt_ack opt_win opt_urg opt_tcp_options {
            struct pkt_spec *p = arena_alloc(px->arena, sizeof *p);
            p->has_ports = $1.has; p->sport = $1.s; p->dport = $1.d;
            p->flags = (uint8_t)$2;
            p->seq = (uint32_t)$3.start; p->len = (uint32_t)$3.len;
            p->ack = (uint32_t)$4; p->win = (int32_t)$5; p->urg = (uint16_t)$6;
            if ($7.n < 0) {
                p->opts_any = true;
            } else {
                if ($7.n & 3)
                    SEMANTIC(@7.first_line, "TCP options are not padded correctly to ensure "
                             "TCP header is a multiple of 4 bytes: %d excess bytes", $7.n & 3);
                if ($7.n > WIRE_MAX_OPT) SEMANTIC(@7.first_line, "TCP header too large");
                memcpy(p->opts, $7.b, (size_t)$7.n);
                p->optlen = (uint8_t)$7.n;
            }
            $$ = p;
          }
        | NOSUCH_LAYER {
            UNSUPPORTED(@1.first_line, "'%s' packets: tcpfsm-drill speaks TCP over IPv4 only",
                        $1);
          }
        | '(' {
            UNSUPPORTED(@1.first_line, "IP header fields (tos, ecn, ttl, flowlabel) in "
                                       "packets");
          }
        | '[' {
            UNSUPPORTED(@1.first_line, "IP header fields (tos, ecn, ttl, flowlabel) in "
                                       "packets");
          }
        ;
opt_ports
        : %empty                    { $$.has = false; $$.s = $$.d = 0; }
        | INTEGER '>' INTEGER {
            if (!u16_ok($1.v)) SEMANTIC(@1.first_line, "src port out of range");
            if (!u16_ok($3.v)) SEMANTIC(@3.first_line, "dst port out of range");
            $$.has = true; $$.s = (uint16_t)$1.v; $$.d = (uint16_t)$3.v;
          }
        ;
seq     : INTEGER ':' INTEGER '(' INTEGER ')' {
            if (!u32_ok($1.v)) SEMANTIC(@1.first_line, "TCP start sequence number out of range");
            if (!u32_ok($3.v)) SEMANTIC(@3.first_line, "TCP end sequence number out of range");
            if (!u16_ok($5.v)) SEMANTIC(@5.first_line, "TCP payload size out of range");
            if ($3.v != (($1.v + $5.v) & 0xffffffff))
                SEMANTIC(@1.first_line, "inconsistent TCP sequence numbers and payload size");
            $$.start = $1.v; $$.len = $5.v;
          }
        ;
opt_ack : %empty                    { $$ = 0; }
        | ACK INTEGER {
            if (!u32_ok($2.v)) SEMANTIC(@2.first_line, "TCP ack sequence number out of range");
            $$ = $2.v;
          }
        ;
opt_win : %empty                    { $$ = -1; }
        | WIN INTEGER {
            if (!u16_ok($2.v)) SEMANTIC(@2.first_line, "TCP window value out of range");
            $$ = $2.v;
          }
        ;
opt_urg : %empty                    { $$ = 0; }
        | URG INTEGER {
            if (!u16_ok($2.v)) SEMANTIC(@2.first_line, "urg_ptr value out of range");
            $$ = $2.v;
          }
        ;
flags   : WORD {
            char bad = 0;
            $$ = flags_of($1, &bad);
            if ($$ < 0) SEMANTIC(@1.first_line, "Invalid TCP flag: '%c'", bad);
          }
        | WORD '.' {
            char bad = 0;
            $$ = flags_of($1, &bad);
            if ($$ < 0) SEMANTIC(@1.first_line, "Invalid TCP flag: '%c'", bad);
            $$ |= DF_ACK;
          }
        | '.'                       { $$ = DF_ACK; }
        | '-'                       { $$ = 0; }
        ;
opt_tcp_options
        : %empty                    { $$.n = 0; }
        | '<' ELLIPSIS '>'          { $$.n = -1; }
        | '<' tcp_opts '>'          { $$ = $2; }
        ;
tcp_opts: tcp_opt                   { $$ = $1; }
        | tcp_opts ',' tcp_opt {
            $$ = $1;
            if (!opt_add(&$$, $3.b, $3.n))
                SEMANTIC(@3.first_line, "TCP option list too long");
          }
        ;
tcp_opt : NOP                       { $$.n = 1; $$.b[0] = 1; }
        | EOL                       { $$.n = 1; $$.b[0] = 0; }
        | MSS INTEGER {
            if (!u16_ok($2.v)) SEMANTIC(@2.first_line, "mss value out of range");
            $$.n = 4; $$.b[0] = 2; $$.b[1] = 4; put16($$.b + 2, (uint16_t)$2.v);
          }
        | WSCALE INTEGER {
            if ($2.v < 0 || $2.v > 255)
                SEMANTIC(@2.first_line, "window scale shift count out of range");
            $$.n = 3; $$.b[0] = 3; $$.b[1] = 3; $$.b[2] = (uint8_t)$2.v;
          }
        | SACKOK                    { $$.n = 2; $$.b[0] = 4; $$.b[1] = 2; }
        | SACK sack_blocks          { $$ = $2; }
        | TS VAL INTEGER ECR INTEGER {
            if (!u32_ok($3.v)) SEMANTIC(@3.first_line, "ts val out of range");
            if (!u32_ok($5.v)) SEMANTIC(@5.first_line, "ecr val out of range");
            $$.n = 10; $$.b[0] = 8; $$.b[1] = 10;
            put32($$.b + 2, (uint32_t)$3.v); put32($$.b + 6, (uint32_t)$5.v);
          }
        | FO opt_hex {
            const char *e = opt_hex(&$$, 34, NULL, 0, $2, 16); /* RFC 7413 4.1.1 */
            if (e) SEMANTIC(@1.first_line, "TCP fast open cookie '%s' %s", $2, e);
          }
        | FOEXP opt_hex {
            static const uint8_t magic[] = {0xf9, 0x89}; /* RFC 6994 */
            const char *e = opt_hex(&$$, 254, magic, 2, $2, 16);
            if (e) SEMANTIC(@1.first_line, "TCP fast open cookie '%s' %s", $2, e);
          }
        | MD5 opt_hex {
            const char *e = opt_hex(&$$, 19, NULL, 0, $2, 16); /* RFC 2385 */
            if (e) SEMANTIC(@1.first_line, "TCP MD5 digest '%s' %s", $2, e);
          }
        | NOSUCH_OPT {
            UNSUPPORTED(@1.first_line, "TCP option '%s': tcpfsm-drill writes MSS, window "
                                       "scale, SACK, timestamps, FO, FOEXP and md5", $1);
          }
        ;
opt_hex : %empty                    { $$ = ""; }
        | WORD                      { $$ = $1; }
        | INTEGER                   { $$ = $1.text; }
        ;
sack_blocks
        : INTEGER ':' INTEGER {
            if (!u32_ok($1.v) || !u32_ok($3.v))
                SEMANTIC(@1.first_line, "TCP SACK sequence number out of range");
            $$.n = 10; $$.b[0] = 5; $$.b[1] = 10;
            put32($$.b + 2, (uint32_t)$1.v); put32($$.b + 6, (uint32_t)$3.v);
          }
        | sack_blocks INTEGER ':' INTEGER {
            if (!u32_ok($2.v) || !u32_ok($4.v))
                SEMANTIC(@2.first_line, "TCP SACK sequence number out of range");
            $$ = $1;
            uint8_t blk[8];
            put32(blk, (uint32_t)$2.v); put32(blk + 4, (uint32_t)$4.v);
            if (!opt_add(&$$, blk, 8) || $$.b[1] + 8 > 255)
                SEMANTIC(@2.first_line, "TCP option list too long");
            $$.b[1] = (uint8_t)($$.b[1] + 8);
          }
        ;

/* ---- system calls: [...END] name(args) = result [ERRNO] [(note)] ---- */
syscall : opt_end WORD '(' opt_args ')' '=' result opt_errno opt_note {
            $$ = arena_alloc(px->arena, sizeof *$$);
            $$->blocking = $1 >= 0; $$->end_us = $1;
            $$->name = $2; $$->name_line = @2.first_line;
            $$->args = $4; $$->result = $7; $$->err_name = $8;
          }
        ;
opt_end : %empty                    { $$ = -1; }
        | ELLIPSIS number           { $$ = $2; }
        ;
opt_args: %empty                    { memset(&$$, 0, sizeof $$); }
        | exprs                     { $$ = $1; }
        ;
exprs   : expr                      { memset(&$$, 0, sizeof $$); list_push(px, &$$, $1); }
        | exprs ',' expr            { $$ = $1; list_push(px, &$$, $3); }
        ;
expr    : INTEGER                   { $$ = new_expr(px, E_INT, @1.first_line); $$->num = $1.v; }
        | ELLIPSIS                  { $$ = new_expr(px, E_ELLIPSIS, @1.first_line); }
        | WORD                      { $$ = new_expr(px, E_WORD, @1.first_line); $$->str = $1; }
        | STRING                    { $$ = new_expr(px, E_STRING, @1.first_line);
                                      $$->str = $1.s; $$->len = $1.n; }
        | STRING ELLIPSIS           { $$ = new_expr(px, E_STRING, @1.first_line);
                                      $$->str = $1.s; $$->len = $1.n; }
        | expr '|' expr             { $$ = new_expr(px, E_OR, @2.first_line);
                                      $$->lhs = $1; $$->rhs = $3; }
        | '[' ']'                   { $$ = new_expr(px, E_ARRAY, @1.first_line); }
        | '[' exprs ']'             { $$ = new_expr(px, E_ARRAY, @1.first_line);
                                      $$->items = $2; }
        | '{' fields '}'            { $$ = new_expr(px, E_RECORD, @1.first_line);
                                      $$->items = $2; }
        | '{' exprs '}'             { $$ = new_expr(px, E_LIST, @1.first_line);
                                      $$->items = $2; }
        | WORD '(' opt_args ')'     { $$ = new_expr(px, E_CALL, @1.first_line);
                                      $$->str = $1; $$->items = $3; }
        ;
fields  : field                     { memset(&$$, 0, sizeof $$); list_push(px, &$$, $1); }
        | fields ',' field          { $$ = $1; list_push(px, &$$, $3); }
        ;
field   : WORD '=' expr             { $$ = new_expr(px, E_WORD, @1.first_line);
                                      $$->str = $1; $$->value = $3; }
        | WORD '(' opt_args ')' '=' expr {  /* sendmsg's msg_iov(1)=[...] */
            $$ = new_expr(px, E_WORD, @1.first_line);
            $$->str = $1; $$->value = $6; (void)$3;
          }
        ;
result  : INTEGER                   { $$ = new_expr(px, E_INT, @1.first_line); $$->num = $1.v; }
        | WORD                      { $$ = new_expr(px, E_WORD, @1.first_line); $$->str = $1; }
        | result '|' result         { $$ = new_expr(px, E_OR, @2.first_line);
                                      $$->lhs = $1; $$->rhs = $3; }
        ;
opt_errno: %empty                   { $$ = NULL; }
        | WORD                      { $$ = $1; }
        ;
opt_note: %empty
        | '(' note_words ')'
        ;
note_words: %empty
        | note_words note_word      { (void)$2; }
        ;
note_word: WORD | ACK | WIN | URG | MSS | WSCALE | SACKOK | SACK | TS | VAL | ECR | NOP | EOL
        | MD5 | FO | FOEXP | NOSUCH_OPT | NOSUCH_LAYER
        | INTEGER                   { $$ = $1.text; }
        | '|'                       { $$ = "|"; }
        | ','                       { $$ = ","; }
        | '.'                       { $$ = "."; }
        | '-'                       { $$ = "-"; }
        ;
%%
/* ---- syntax errors, worded for a person ---- */

static const char *sym_name(yysymbol_kind_t k)
{
    switch (k) {
    case YYSYMBOL_YYEOF: return "end of file";
    default: return yysymbol_name(k);
    }
}

static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner, struct parse_ctx *px)
{
    (void)scanner;
    if (px->err_status) return 0; /* the scanner reported this one */
    yysymbol_kind_t la = yypcontext_token(ctx), exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(ctx, exp, YYNTOKENS);
    if (n < 0) n = 0;
    struct sb m = {0};
    const char *text = px->tok.text ? px->tok.text : "";
    if (la == YYSYMBOL_YYEOF) sb_printf(&m, "unexpected end of file");
    else sb_printf(&m, "unexpected %s", sym_name(la));
    for (int i = 0; i < n && i < 8; i++) {
        const char *sep = i == 0 ? ", expecting " : (i == n - 1 || i == 7) ? " or " : ", ";
        sb_printf(&m, "%s%s", sep, sym_name(exp[i]));
    }
    if (n > 8) sb_printf(&m, " (or %d more)", n - 8);
    int line = la == YYSYMBOL_YYEOF && px->prev.line ? px->prev.line : px->tok.line;
    if (la == YYSYMBOL_YYEOF) {
        parse_error(px, line, "parse error", "%s", sb_str(&m));
    } else {
        /* packetdrill's form: "parse error at 'TOKEN': ..." */
        struct sb kind = {0};
        sb_printf(&kind, "parse error at '%s'", text);
        parse_error(px, line, sb_str(&kind), "%s", sb_str(&m));
        sb_free(&kind);
    }
    sb_free(&m);
    return 0;
}
