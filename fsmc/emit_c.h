/* Internal helpers shared by the C backends (both styles, the header and the stubs). */
#ifndef FSMC_EMIT_C_H
#define FSMC_EMIT_C_H
#include "fsmc.h"
void out_begin(struct fsmc *fx, FILE *f);
void out(struct fsmc *fx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *c_str(struct fsmc *fx, const char *s);
const char *c_comment(struct fsmc *fx, const char *s);
void line_spec(struct fsmc *fx, const struct emit_opts *o, struct loc l);
void line_back(struct fsmc *fx, const struct emit_opts *o, const char *path);
const char *uint_type(unsigned long max);
size_t uint_bytes(unsigned long max);
const char *rule_text(struct fsmc *fx, const struct ir *ir, int i);
void emit_c_prologue(struct fsmc *fx, const struct ir *ir, const struct emit_opts *o,
                     const char *style);
void emit_fire(struct fsmc *fx, const struct ir *ir, const struct emit_opts *o, int i,
               const char *ind);
const char *c_guard_proto(struct fsmc *fx, const struct ir *ir, int g);
const char *c_action_proto(struct fsmc *fx, const struct ir *ir, const struct emit_opts *o, int a);
const char *c_action_call(struct fsmc *fx, const struct ir *ir, const struct emit_opts *o, int a,
                          const char *row);
#endif
