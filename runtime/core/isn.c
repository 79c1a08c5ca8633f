/*
 * isn.c — initial sequence numbers.
 */
#include <string.h>
#include "siphash.h"
#include "tcb.h"

uint32_t isn_generate(struct tcpfsm_stack *st, const struct tcb *t)
{
    if (st->isn_fixed_set) return st->isn_fixed;
    uint8_t k[12];
    memcpy(k, &t->laddr, 4);
    memcpy(k + 4, &t->raddr, 4);
    memcpy(k + 8, &t->lport, 2);
    memcpy(k + 10, &t->rport, 2);
    return (uint32_t)(st->now / 4u) + (uint32_t)siphash24(st->isn_key, k, sizeof k);
}
