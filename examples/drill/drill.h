/*
 * drill.h — tcpfsm-drill: packetdrill scripts against libtcpfsm on a virtual clock.
 *
 * The program reads a script in packetdrill's language (lexer.l, parser.y: one AST per
 * script, kept in an arena), checks what it can before running (script.c), then plays it
 * against one fresh stack (run.c: the clock and the events; run_packet.c: '<' and '>' lines;
 * run_syscall.c and sockopt.c: system calls; code.c: the `%{ assert ... }%` subset). Packets
 * are built and read by wire.c, independently of the stack's own packet code, so the stack's
 * bytes are checked by code that did not make them.
 *
 * Times are microseconds. Script time 0 is the first event; the stack's clock is the script
 * time plus DRILL_EPOCH_US.
 */
#ifndef DRILL_H
#define DRILL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packetdrill/linux_sock.h" /* Linux's meanings, shared with the adapter */
#include "tcpfsm.h"

#define DRILL_EPOCH_US 1000000u /* the stack's clock at script time 0 */

/* ------------------------------------------------------------------ memory, text ---- */

struct arena_chunk;
struct arena {
    struct arena_chunk *head;
};
void *arena_alloc(struct arena *a, size_t n); /* zeroed; exits on out of memory */
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_free(struct arena *a);

/* A growing string (malloc'd); never fails (exits on out of memory). */
struct sb {
    char *s;
    size_t len, cap;
};
void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct sb *b, const char *fmt, va_list ap);
void sb_clear(struct sb *b);
void sb_free(struct sb *b);
const char *sb_str(const struct sb *b); /* "" when empty */

/* ------------------------------------------------------------------ the script ---- */

enum time_kind {
    T_ABS,       /* 0.100 */
    T_REL,       /* +0.100 */
    T_ANY,       /* * (outbound packets only) */
    T_ABS_RANGE, /* 0.1~0.2 (outbound packets only) */
    T_REL_RANGE, /* +0.1~+0.2 (outbound packets only) */
};

enum expr_kind {
    E_INT,      /* 42, 0x2a, a symbol resolved at load time (num, and str = the name) */
    E_ELLIPSIS, /* ... : the stack fills it */
    E_WORD,     /* a symbol: SOCK_STREAM, POLLIN (resolved by symbols.c when used) */
    E_STRING,   /* "text" */
    E_OR,       /* a | b */
    E_ARRAY,    /* [1], [] */
    E_RECORD,   /* {fd=4, events=POLLIN}, {onoff=1, linger=0}, {tcpi_state=TCP_CLOSE} */
    E_LIST,     /* {a, b}: a brace list without names */
    E_CALL,     /* htons(8080), inet_addr("192.0.2.1") */
};

struct expr;
struct expr_list {
    struct expr **v;
    size_t n, cap;
};
struct expr {
    enum expr_kind kind;
    int line;
    int64_t num;            /* E_INT */
    const char *str;        /* E_WORD, E_STRING, E_CALL: the name; record field: the name */
    size_t len;             /* E_STRING */
    struct expr *lhs, *rhs; /* E_OR */
    struct expr_list items; /* E_ARRAY, E_LIST, E_CALL arguments, E_RECORD fields */
    struct expr *value;     /* a record field's value (the field itself is E_WORD + value) */
};

/* TCP flags as the script writes them: F S R P . U E W */
#define DF_FIN 0x01
#define DF_SYN 0x02
#define DF_RST 0x04
#define DF_PSH 0x08
#define DF_ACK 0x10
#define DF_URG 0x20
#define DF_ECE 0x40
#define DF_CWR 0x80

#define WIRE_MAX_OPT 40 /* TCP option bytes: data offset 15 words less the 20-byte header */

struct pkt_spec {
    bool outbound;
    bool has_ports; /* `< 40000>8080 S ...`: the ports are the script's, not the socket's */
    uint16_t sport, dport;
    uint8_t flags; /* DF_* */
    uint32_t seq, len, ack;
    int32_t win; /* -1: not checked (outbound only) */
    uint16_t urg;
    bool opts_any; /* <...>: options not checked (outbound only) */
    uint8_t opts[WIRE_MAX_OPT];
    uint8_t optlen;
};

struct syscall_spec {
    const char *name;
    int name_line;
    struct expr_list args;
    struct expr *result;
    const char *err_name; /* EAGAIN in `= -1 EAGAIN (...)`, or NULL */
    bool blocking;        /* `...T`: the call returns at T */
    int64_t end_us;       /* T as written (absolute or relative to the event's base) */
};

enum action_kind { A_PACKET, A_SYSCALL, A_COMMAND, A_CODE };

struct event {
    int line;
    enum time_kind tk;
    int64_t t_us, t_end_us; /* as written; adjusted (script time) when the event runs */
    int64_t offset_us;      /* the base a relative time was added to */
    enum action_kind kind;
    struct pkt_spec *pkt;
    struct syscall_spec *sys;
    const char *text; /* A_COMMAND, A_CODE */
    struct event *next;
};

struct script_option {
    const char *name, *value; /* value NULL for a bare --flag */
    int line;
    struct script_option *next;
};

struct script {
    const char *path;
    const char *text;
    size_t len;
    struct script_option *options;
    struct event *events, *events_tail;
    const char *init_command, *cleanup_command;
    int init_line, cleanup_line;
};

/* -------------------------------------------------------------- configuration ---- */

struct define {
    const char *name, *value;
    struct define *next;
};

struct drill_config {
    long tolerance_usecs;             /* packetdrill's default: 4000 */
    double tolerance_percent;         /* of the time since the previous event: 12.5 */
    uint32_t local_ip;                /* host order; default 192.168.0.1 */
    uint32_t remote_ip;               /* default 192.0.2.1 (RFC 5737 TEST-NET-1) */
    uint16_t bind_port, connect_port; /* 8080 */
    uint16_t mtu;                     /* 1500 */
    int ts_tick_usecs;                /* 0: outbound TS val not checked (packetdrill's default) */
    bool ts_ecr_scaled;
    bool verbose;
    bool dry_run;
    bool ignore_leftovers; /* packetdrill's way: packets no '>' line took are not an error */
    bool quiet;            /* no report of a failure on stderr (the fuzz harness) */
    uint64_t seed;
    struct define *defines;
};
void config_defaults(struct drill_config *c);
/* One --name[=value] option, from the command line or the script; where says which. Returns
 * 0, or -1 with a message in *err. `script` is true for options written in a script. */
int config_option(struct drill_config *c, const char *name, const char *value, struct sb *err);
int parse_ipv4(const char *s, uint32_t *out);

/* ------------------------------------------------------------- parsing a script ---- */

/* Everything one run of the parser needs; the lexer and the parser reach it as extra data. */
struct parse_ctx {
    struct arena *arena;
    struct script *script;
    const struct drill_config *config; /* for --define substitutions */
    int line, col;                     /* the scanner's position */
    struct sb err;                     /* the first error, formatted */
    int err_status;                    /* 0, or the exit status the error asks for (2) */
    void *scanner;
    /* the last two tokens read, which the syntax errors quote */
    struct {
        int kind, line, col;
        const char *text;
    } tok, prev;
};

/* Read and parse the file at path (or standard input for "-") into *s. Returns 0, or 2 with
 * the error printed on stderr as "path:LINE: ...". */
int script_load(struct arena *a, const char *path, const struct drill_config *c, struct script *s);
/* The same from memory (the fuzz harness). The diagnostic goes into *err instead. */
int script_parse_text(struct arena *a, const char *path, const char *text, size_t len,
                      const struct drill_config *c, struct script *s, struct sb *err);
/* What the parser calls: an error at a line, "path:LINE: kind: text". Returns -1. */
int parse_error(struct parse_ctx *p, int line, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Check what can be checked before the script runs: system call names and arguments,
 * options, unsupported constructs. Returns 0 or 2 with the message in *err. */
int script_check(const struct script *s, struct sb *err);
/* The text of line `line` of the script (without its newline). */
const char *script_line_text(const struct script *s, int line, size_t *len);

/* ------------------------------------------------------------------ symbols ---- */

/* A symbol's value (Linux's numbering: scripts are written for Linux): SOCK_STREAM, SOL_TCP,
 * EAGAIN, POLLIN, TCP_ESTABLISHED... Returns false if the name is unknown. */
bool symbol_value(const char *name, int64_t *out);
const char *errno_name(int e);                  /* "EAGAIN", or NULL */
void poll_flags_str(struct sb *b, int revents); /* "POLLIN|POLLOUT", or "0" */
/* The value of an integer expression (E_INT, a known E_WORD, E_OR of those). */
int expr_int(const struct expr *e, int64_t *out, struct sb *err);
const char *expr_kind_name(enum expr_kind k);

/* ------------------------------------------------------------------- packets ---- */

/* A parsed IPv4+TCP datagram (host byte order). */
struct wire_pkt {
    uint8_t version, ihl, tos, ttl, proto;
    uint16_t tot_len, id, frag;
    uint32_t saddr, daddr;
    bool ip_csum_ok, tcp_csum_ok;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t doff, flags, res; /* res: the 4 reserved bits (the AE bit among them) */
    uint16_t win, csum, urg;
    uint8_t opts[WIRE_MAX_OPT];
    uint8_t optlen;
    const uint8_t *payload;
    uint32_t len;
};
/* Parse an IPv4 datagram carrying TCP. Returns 0, or -1 with the reason in *err. */
int wire_parse(const uint8_t *buf, size_t len, struct wire_pkt *p, struct sb *err);
/* Build p as a datagram into buf (the payload: p->len zero bytes), with correct IP and TCP
 * checksums. Returns its length, or 0 if it does not fit. */
size_t wire_build(uint8_t *buf, size_t cap, const struct wire_pkt *p);
/* Walk TCP options: returns the offset of the next option after `off`, or -1 at the end, or
 * -2 if malformed (kind and length at *kind, *olen). */
int wire_opt_next(const uint8_t *opts, size_t optlen, int off, uint8_t *kind, uint8_t *olen);
/* The options in packetdrill's notation: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7". */
void wire_opts_str(struct sb *b, const uint8_t *opts, size_t optlen);
/* A TCP segment in packetdrill's notation: "S. 0:0(0) ack 1 win 65535 <mss 1460>". win < 0
 * leaves the window out; opts_any prints <...>. */
void wire_seg_str(struct sb *b, uint8_t flags, uint32_t seq, uint32_t len, uint32_t ack,
                  int32_t win, const uint8_t *opts, size_t optlen, bool opts_any);
uint32_t get32(const uint8_t *p);
void put32(uint8_t *p, uint32_t v);
uint16_t get16(const uint8_t *p);
void put16(uint8_t *p, uint16_t v);

/* ---------------------------------------------------------------- running one ---- */

/* What packetdrill calls a socket: a descriptor of the script (once it has one) and the
 * connection the packets of the script talk about, with its two sets of addresses and
 * sequence numbers: the script's and the live ones. */
enum sock_state {
    S_NEW,
    S_ACTIVE_CONNECTING, /* connect() called */
    S_ACTIVE_SYN_SENT,   /* the script's '> S' seen */
    S_ACTIVE_SYN_ACKED,  /* the peer's SYN-ACK injected */
    S_PASSIVE_LISTENING,
    S_PASSIVE_PACKET_RECEIVED, /* a packet injected for a listener: a new child */
    S_PASSIVE_SYNACK_SENT,
    S_PASSIVE_SYNACK_ACKED,
};

#define DRILL_TS_MAP 64

struct sock {
    int script_fd; /* -1 until socket()/accept() give it one, and after close() */
    int fd;        /* the stack's descriptor, -1 if none */
    enum sock_state state;
    bool nonblock;         /* O_NONBLOCK */
    struct linux_sock lx;  /* Linux's reported error and SEND_SHUTDOWN (linux_sock.h) */
    uint32_t laddr, raddr; /* live addresses and ports */
    uint16_t lport, rport;
    uint32_t script_local_isn, live_local_isn, remote_isn;
    /* outbound TS val: script value -> live value, and the first pair (packetdrill's map) */
    uint32_t ts_script[DRILL_TS_MAP], ts_live[DRILL_TS_MAP];
    unsigned nts, ts_next;
    bool ts_first_found;
    uint32_t ts_first_script, ts_first_live;
    /* what Linux keeps per socket and libtcpfsm keeps as one setting */
    bool keepalive;
    uint32_t keepidle_s;
    uint32_t maxseg; /* TCP_MAXSEG as set (Linux's user_mss), 0 if never */
    bool linger_on;  /* SO_LINGER as the script set it (the stack keeps only "zero time") */
    int32_t linger_s;
    struct sock *next;
};

struct out_pkt { /* a datagram the stack sent, and when */
    uint8_t *data;
    size_t len;
    int64_t t_us;
};

/* A blocking call in progress (packetdrill's system call thread, emulated). */
struct pending {
    bool active, busy;
    const struct event *ev; /* &ev_copy */
    struct event ev_copy;
    int64_t start_us, end_us; /* when it started; when the script says it returns */
    int64_t deadline_us;      /* poll's timeout; INT64_MAX if none */
    long progress;            /* write: bytes queued so far */
};

struct drill {
    const struct drill_config *cfg;
    const struct script *script;
    struct tcpfsm_stack *st;
    uint64_t rng;
    int64_t now;              /* the script time the stack is at */
    int64_t last_t_us;        /* the previous event's (adjusted) time */
    const struct event *ev;   /* the event running (its times made absolute) */
    struct event *last_ev;    /* the one before it (a copy, freed by run.c) */
    struct sock *socks, *sut; /* every socket; the socket under test */
    uint16_t next_eph;        /* the next remote port of a passive connection */
    struct out_pkt *q;        /* outbound datagrams not yet matched */
    size_t qhead, qlen, qcap;
    struct pending pend;
    uint16_t ip_id;
    struct sb err;        /* the message of the failure being reported */
    const char *err_kind; /* "error handling packet", "runtime error in read call", ... */
    char err_kind_buf[64];
    int err_line;
    int err_status; /* 0 = 1 (the stack failed the script); 2 = the script is wrong */
};

/* Run a loaded script: 0 pass, 1 fail (message printed), 2 script error. */
int drill_run(const struct drill_config *cfg, const struct script *s);

/* run.c: the clock */
/* Move the stack forward to script time t, firing every timer on the way at its own time
 * (and retrying a pending blocking call after each step). */
void drill_advance_to(struct drill *d, int64_t t);
/* The next time something may happen by itself: a timer, a poll() timeout. INT64_MAX if
 * nothing is due. */
int64_t drill_next_due(const struct drill *d);
/* The tolerance for an event at t whose previous event was at last (packetdrill's rule). */
long drill_tolerance(const struct drill *d, int64_t t, int64_t last);
/* Check that something expected at [t, t_end] happened at `at`. Returns 0 or -1 (message). */
int drill_verify_time(struct drill *d, const struct event *ev, int64_t t, int64_t t_end, int64_t at,
                      int64_t last, const char *what);
/* Record a failure: kind ("error handling packet"), line, message. Returns -1. */
int drill_fail(struct drill *d, int line, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void drill_log(struct drill *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* run_packet.c */
int packet_event(struct drill *d, const struct event *ev);
struct sock *sock_new(struct drill *d);
struct sock *sock_by_script_fd(struct drill *d, int script_fd);
/* The datagram at the head of the queue, if any (after dropping those of other sockets). */
void outq_push(struct drill *d, const void *pkt, size_t len);
void outq_free(struct drill *d);
/* At the end of the script: packets the stack sent that no line took are an error (unless
 * --ignore_leftovers). Returns 0 or -1. */
int outq_check_end(struct drill *d);

/* run_syscall.c */
int syscall_event(struct drill *d, const struct event *ev);
/* Retry the pending blocking call: it may complete now. */
void pending_retry(struct drill *d);
int pending_check_end(struct drill *d); /* at the end of the script */
void pending_free(struct drill *d);

/* Check a system call before running: name, arguments. Returns 0, -1 (semantic error) or -2
 * (unsupported), with the message in *err. */
int syscall_check(const struct syscall_spec *sc, struct sb *err);

/* sockopt.c */
int sys_setsockopt(struct drill *d, const struct syscall_spec *sc, long *ret, int *err);
int sys_getsockopt(struct drill *d, const struct syscall_spec *sc, long *ret, int *err);
/* A tcpi_* value of the connection on stack descriptor fd. Returns 0, or -1 if the name is
 * not one the stack can answer (message in *err). */
int tcp_info_value(struct drill *d, int fd, const char *name, int64_t *out, struct sb *err);
bool tcp_info_known(const char *name);
const char *tcp_info_names(void); /* "tcpi_state, tcpi_rto, ..." */

/* code.c: `%{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%` */
/* Check that the code is in the subset tcpfsm-drill evaluates. Returns 0 or -1 (message). */
int code_check(const char *text, struct sb *err);
int code_event(struct drill *d, const struct event *ev);

#endif /* DRILL_H */
