/* hand_switch.h — the hand-style reference dispatcher for spec/tcp.fsm (bench only; the .c is
 * written by bench/gen_hand_switch.py into the bench output directory on every run). */
#ifndef HAND_SWITCH_H
#define HAND_SWITCH_H

#include "bt_tab.h"

enum bt_tab_result hand_dispatch(bt_tab_state_t *state, enum bt_tab_event ev, struct tcp_ctx *ctx,
                                 const struct tcp_seg *payload);

#endif
