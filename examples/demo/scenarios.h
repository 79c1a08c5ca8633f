/*
 * scenarios.h — tcpfsm-demo --scenario NAME: one lesson of the TCP state machine each, run on
 * the demo's world (world.h) with a fixed seed and the virtual clock, so that the same trace
 * comes out every time (tests/demo/NAME.golden). A scenario asserts what it teaches
 * (dw_check): the transitions, the packets, the counters; the trace shows it.
 */
#ifndef TCPFSM_DEMO_SCENARIOS_H
#define TCPFSM_DEMO_SCENARIOS_H

#include "world.h"

struct dw_scenario {
    const char *name;
    const char *title;       /* one line */
    const char *explanation; /* one paragraph, printed after the trace */
    void (*run)(struct dw *w);
};

extern const struct dw_scenario dw_scenarios[];
extern const unsigned dw_nscenarios;
/* NULL if there is no scenario of that name. */
const struct dw_scenario *dw_scenario_find(const char *name);

#endif /* TCPFSM_DEMO_SCENARIOS_H */
