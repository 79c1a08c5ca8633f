/*
 * isn.c — initial sequence numbers.
 */
#include "siphash.h"
#include "tcb.h"

uint32_t isn_generate(struct tcpfsm_stack *st, const struct tcb *t)
{
    if (st->isn_fixed_set) return st->isn_fixed;
    return (uint32_t)(st->now / 4u) +
           (uint32_t)siphash24_tuple(st->isn_key, t->laddr, t->lport, t->raddr, t->rport);
}
