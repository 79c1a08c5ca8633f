/* hand_switch.h — the hand-written reference dispatcher for spec/tcp.fsm (bench only). */
#ifndef HAND_SWITCH_H
#define HAND_SWITCH_H

#include "bt_tab.h"

enum bt_tab_result hand_dispatch(bt_tab_state_t *state, enum bt_tab_event ev, struct tcb *ctx,
                                 const struct tcp_seg *payload);

#endif
