/*
 * bench_stubs.h — what every guard and action does in the dispatch benchmark: almost
 * nothing, the same nothing for every contender, so the figure is the cost of dispatch.
 */
#ifndef BENCH_STUBS_H
#define BENCH_STUBS_H

#include <stdbool.h>
#include <stdint.h>

extern uint32_t bench_guard_bits; /* guard outcomes for the current event (from the sequence) */
extern uint64_t bench_sink;       /* sum of the ids of the actions run (one add: cheap) */

static inline bool bench_guard(unsigned id)
{
    return (bench_guard_bits >> (id & 31)) & 1u;
}

static inline void bench_action(unsigned id)
{
    bench_sink += id + 1;
}

#endif /* BENCH_STUBS_H */
