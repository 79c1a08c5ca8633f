/* Internal helpers shared by the two C backends. */
#ifndef FSMC_EMIT_C_H
#define FSMC_EMIT_C_H
#include "fsmc.h"
void out_begin(FILE *f);
void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *c_str(const char *s);
const char *c_comment(const char *s);
void line_spec(const struct emit_opts *o, struct loc l);
void line_back(const struct emit_opts *o, const char *path);
const char *uint_type(unsigned long max);
const char *rule_text(const struct ir *ir, int i);
void emit_c_prologue(const struct ir *ir, const struct emit_opts *o, const char *style);
void emit_fire(const struct ir *ir, int i, const char *ind);
#endif
