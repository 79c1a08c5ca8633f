/*
 * test_tcb_size.c — the TCB's memory budget: sizeof(struct tcb) <= 192 bytes on x86_64,
 * byte buffers and the out-of-order queue excluded (they live behind tcb->buf). The listener
 * fields share a union with the congestion state, so a listener costs no more than that.
 */
#include <stdio.h>

#include "rt_test.h"
#include "tcp_layer.h"

#define TCB_BUDGET 192u

START_TEST(tcb_within_budget)
{
    printf("sizeof(struct tcb) = %zu bytes (budget %u; struct cc %zu, struct rtt_est %zu, "
           "struct wheel_node %zu)\n",
           sizeof(struct tcb), TCB_BUDGET, sizeof(struct cc), sizeof(struct rtt_est),
           sizeof(struct wheel_node));
    fflush(stdout);
    ck_assert_msg(sizeof(struct tcb) <= TCB_BUDGET, "struct tcb is %zu bytes, budget is %u",
                  sizeof(struct tcb), TCB_BUDGET);
}
END_TEST

START_TEST(buffers_outside_tcb)
{
    /* The per-connection byte storage is reached through one pointer, never embedded. */
    ck_assert_uint_eq(sizeof(((struct tcb *)0)->buf), sizeof(void *));
    ck_assert_uint_le(sizeof(((struct tcb *)0)->u), sizeof(struct cc));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tcb_size");
    TCase *tc = tcase_create("size");
    tcase_add_test(tc, tcb_within_budget);
    tcase_add_test(tc, buffers_outside_tcb);
    suite_add_tcase(s, tc);
    return rt_run_suite(s);
}
