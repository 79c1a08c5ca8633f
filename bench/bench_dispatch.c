/*
 * bench_dispatch.c — ns per event of the TCP machine (spec/tcp.fsm): fsmc's table backend,
 * fsmc's switch backend and a hand-style switch (written by bench/gen_hand_switch.py), replaying
 * the same two event sequences: random     uniformly random (state, event, guard outcomes); state
 * reloaded per event; lifecycle  whole connections (active and passive open, ~30 data/ACK events in
 *              ESTABLISHED, close, TIME_WAIT) with the state carried from event to event.
 * Before timing, every contender must produce the same final state, results and action hash
 * as the table backend on both sequences; one that does not is reported instead of timed.
 * Generated with --prefix=bt_tab (table) and --prefix=bt_sw (switch) so both link here.
 */
#include "bench_util.h"
#include "bench_stubs.h"
#include "bt_tab.h"
#ifdef HAVE_SWITCH_BACKEND
#include "bt_sw.h"
#endif
#ifdef HAVE_HAND_SWITCH
#include "hand_switch.h"
#endif

uint32_t bench_guard_bits;
uint64_t bench_sink;

struct step {
    uint8_t state, event; /* state is used by the random sequence only */
    uint32_t guards;      /* bench_guard_bits for this event */
};

#define SEQ_LEN (1u << 16) /* 512 KiB: stays in L2, so we time dispatch, not DRAM */

static struct step rnd[SEQ_LEN], trace[SEQ_LEN];
static size_t trace_len;

static int find_state(const char *name)
{
    for (int i = 0; i < BT_TAB_NUM_STATES; i++)
        if (strcmp(bt_tab_state_names[i], name) == 0) return i;
    return -1;
}

static int find_event(const char *name)
{
    for (int i = 0; i < BT_TAB_NUM_EVENTS; i++)
        if (strcmp(bt_tab_event_names[i], name) == 0) return i;
    return -1;
}

/* Find (event in evs, guard word) taking `from` to `to` with HANDLED; -1 if none. */
static int reach(int from, int to, const int *evs, int nev, uint64_t *seed, struct step *out)
{
    for (int k = 0; k < nev; k++) {
        int e = evs[k];
        if (e < 0) continue;
        for (int g = 0; g < 64; g++) {
            uint32_t bits = g == 0 ? 0xffffffffu : g == 1 ? 0 : (uint32_t)bench_rand(seed);
            bt_tab_state_t s = (bt_tab_state_t)from;
            bench_guard_bits = bits;
            if (bt_tab_dispatch(&s, (enum bt_tab_event)e, NULL, NULL) == BT_TAB_HANDLED &&
                s == to) {
                out->state = (uint8_t)from;
                out->event = (uint8_t)e;
                out->guards = bits;
                return 0;
            }
        }
    }
    return -1;
}

/*
 * The lifecycle trace, by state and event names of RFC 9293. Event names are tried in
 * order; if the spec names things differently the trace degrades to a walk that prefers
 * self-loops of ESTABLISHED (still "mostly ESTABLISHED"), and says so on stderr.
 */
static void make_trace(uint64_t *seed)
{
    static const char *const active[] = {"CLOSED",     "SYN_SENT",  "ESTABLISHED", "FIN_WAIT_1",
                                         "FIN_WAIT_2", "TIME_WAIT", "CLOSED"};
    static const char *const passive[] = {"CLOSED",     "LISTEN",   "SYN_RCVD", "ESTABLISHED",
                                          "CLOSE_WAIT", "LAST_ACK", "CLOSED"};
    static const char *const evnames[] = {
        "OPEN_ACTIVE", "OPEN_PASSIVE", "CONNECT",     "LISTEN", "RCV_SYN",  "RCV_SYN_ACK",
        "SYN",         "SYN_ACK",      "RCV_ACK",     "ACK",    "RCV_DATA", "DATA",
        "RCV_FIN",     "FIN",          "RCV_FIN_ACK", "CLOSE",  "T_2MSL",   "TIMER_2MSL",
        "T_TIMEWAIT",  "SEND",         "RCV_SEGMENT", "SEGMENT"};
    enum { NEV = sizeof evnames / sizeof evnames[0] };
    static const char *const data_names[] = {"RCV_DATA", "RCV_ACK",     "SEND",   "DATA",
                                             "ACK",      "RCV_SEGMENT", "SEGMENT"};
    int evs[BT_TAB_NUM_EVENTS], nev = 0, data[8], ndata = 0, est = find_state("ESTABLISHED");

    for (int i = 0; i < (int)NEV; i++)
        if (find_event(evnames[i]) >= 0) evs[nev++] = find_event(evnames[i]);
    for (int e = 0; e < BT_TAB_NUM_EVENTS; e++) { /* then every other event, as a last resort */
        int dup = 0;
        for (int k = 0; k < nev; k++)
            dup |= evs[k] == e;
        if (!dup) evs[nev++] = e;
    }
    for (size_t i = 0; i < sizeof data_names / sizeof data_names[0] && ndata < 8; i++) {
        int e = find_event(data_names[i]);
        struct step st;
        if (e >= 0 && est >= 0 && reach(est, est, &e, 1, seed, &st) == 0) data[ndata++] = e;
    }
    trace_len = 0;
    int degraded = 0;
    while (trace_len < SEQ_LEN - 64) {
        const char *const *path = (bench_rand(seed) & 1) ? active : passive;
        struct step buf[64];
        size_t n = 0;
        int ok = 1;
        for (int k = 0; k + 1 < 7 && ok; k++) {
            int from = find_state(path[k]), to = find_state(path[k + 1]);
            if (from < 0 || to < 0 || reach(from, to, evs, nev, seed, &buf[n]) != 0) {
                ok = 0;
                break;
            }
            n++;
            if (to == est) /* the bulk of a connection: data and ACKs in ESTABLISHED */
                for (int d = 0; d < 30 && ndata; d++)
                    if (reach(est, est, &data[bench_rand(seed) % (unsigned)ndata], 1, seed,
                              &buf[n]) == 0)
                        n++;
        }
        if (!ok) { /* spec names differ: one long handled-event walk from the initial state */
            degraded = 1;
            int s = BT_TAB_INITIAL, misses = 0;
            trace_len = 0;
            while (trace_len < SEQ_LEN) {
                if (++misses > 10000) /* a state with no handled event: start over */
                    s = BT_TAB_INITIAL, misses = 0;
                int e = (int)(bench_rand(seed) % BT_TAB_NUM_EVENTS);
                bt_tab_state_t x = (bt_tab_state_t)s;
                uint32_t bits = (uint32_t)bench_rand(seed);
                bench_guard_bits = bits;
                if (bt_tab_dispatch(&x, (enum bt_tab_event)e, NULL, NULL) != BT_TAB_HANDLED)
                    continue;
                trace[trace_len].state = (uint8_t)s;
                trace[trace_len].event = (uint8_t)e;
                trace[trace_len].guards = bits;
                trace_len++;
                s = x;
                misses = 0;
            }
            break;
        }
        memcpy(&trace[trace_len], buf, n * sizeof buf[0]);
        trace_len += n;
    }
    if (degraded)
        fprintf(stderr, "bench_dispatch: spec state/event names differ from RFC 9293's; "
                        "lifecycle trace is a random handled walk\n");
}

#define DEFINE_RUNNERS(tag, call)                                                                  \
    static uint64_t run_random_##tag(long passes)                                                  \
    {                                                                                              \
        uint64_t acc = 0;                                                                          \
        for (long p = 0; p < passes; p++)                                                          \
            for (size_t i = 0; i < SEQ_LEN; i++) {                                                 \
                bt_tab_state_t s = rnd[i].state;                                                   \
                bench_guard_bits = rnd[i].guards;                                                  \
                acc += (uint64_t)call(&s, rnd[i].event) * 16 + s;                                  \
            }                                                                                      \
        return acc;                                                                                \
    }                                                                                              \
    static uint64_t run_trace_##tag(long passes)                                                   \
    {                                                                                              \
        uint64_t acc = 0;                                                                          \
        for (long p = 0; p < passes; p++) {                                                        \
            bt_tab_state_t s = trace[0].state;                                                     \
            for (size_t i = 0; i < trace_len; i++) {                                               \
                bench_guard_bits = trace[i].guards;                                                \
                acc += (uint64_t)call(&s, trace[i].event);                                         \
            }                                                                                      \
            acc += s;                                                                              \
        }                                                                                          \
        return acc;                                                                                \
    }

#define CALL_TAB(s, e) bt_tab_dispatch((s), (enum bt_tab_event)(e), NULL, NULL)
DEFINE_RUNNERS(tab, CALL_TAB)
#ifdef HAVE_SWITCH_BACKEND
#define CALL_SW(s, e) bt_sw_dispatch((bt_sw_state_t *)(s), (enum bt_sw_event)(e), NULL, NULL)
DEFINE_RUNNERS(sw, CALL_SW)
#endif
#ifdef HAVE_HAND_SWITCH
#define CALL_HAND(s, e) hand_dispatch((s), (enum bt_tab_event)(e), NULL, NULL)
DEFINE_RUNNERS(hand, CALL_HAND)
#endif

struct contender {
    const char *name;
    uint64_t (*random)(long);
    uint64_t (*trace)(long);
    int ok;
    double ns[2][BENCH_RUNS];
};

int main(void)
{
    uint64_t seed = 12345;
    long events = bench_quick() ? 200000 : 20000000; /* per measurement */
    struct contender c[3];
    int nc = 0;

    c[nc++] = (struct contender){"table backend", run_random_tab, run_trace_tab, 1, {{0}}};
#ifdef HAVE_SWITCH_BACKEND
    c[nc++] = (struct contender){"switch backend", run_random_sw, run_trace_sw, 1, {{0}}};
#endif
#ifdef HAVE_HAND_SWITCH
    c[nc++] = (struct contender){"hand-style switch", run_random_hand, run_trace_hand, 1, {{0}}};
#endif
    for (size_t i = 0; i < SEQ_LEN; i++) {
        rnd[i].state = (uint8_t)(bench_rand(&seed) % BT_TAB_NUM_STATES);
        rnd[i].event = (uint8_t)(bench_rand(&seed) % BT_TAB_NUM_EVENTS);
        rnd[i].guards = (uint32_t)bench_rand(&seed);
    }
    make_trace(&seed);
    fprintf(stderr, "bench_dispatch: %d states, %d events, lifecycle trace of %zu events\n",
            BT_TAB_NUM_STATES, BT_TAB_NUM_EVENTS, trace_len);

    /* Same behaviour first: result, state and action hash must match the table backend. */
    uint64_t want[2], want_sink[2];
    for (int k = 0; k < nc; k++) {
        uint64_t got[2], sink[2];
        bench_sink = 0;
        got[0] = c[k].random(1);
        sink[0] = bench_sink;
        bench_sink = 0;
        got[1] = c[k].trace(1);
        sink[1] = bench_sink;
        if (k == 0) {
            memcpy(want, got, sizeof want);
            memcpy(want_sink, sink, sizeof want_sink);
        } else if (memcmp(want, got, sizeof got) || memcmp(want_sink, sink, sizeof sink)) {
            char why[160];
            c[k].ok = 0;
            snprintf(why, sizeof why,
                     "behaves differently from the table backend on the same "
                     "events (%s)",
                     k == 1 && strcmp(c[k].name, "switch backend") == 0
                         ? "fsmc bug?"
                         : "hand switch out of date with spec/tcp.fsm?");
            printf("%s\tfsm dispatch %s\t%s\n",
                   strcmp(c[k].name, "switch backend") == 0 ? "FAIL" : "SKIP", c[k].name, why);
        }
    }
    long rp = events / SEQ_LEN + 1, tp = events / (long)trace_len + 1;
    for (int r = 0; r < BENCH_RUNS; r++)
        for (int k = 0; k < nc; k++) { /* interleaved, so drift hits everyone alike */
            if (!c[k].ok) continue;
            uint64_t t0 = bench_now_ns();
            BENCH_USE(c[k].random(rp));
            uint64_t t1 = bench_now_ns();
            BENCH_USE(c[k].trace(tp));
            uint64_t t2 = bench_now_ns();
            c[k].ns[0][r] = (double)(t1 - t0) / ((double)rp * SEQ_LEN);
            c[k].ns[1][r] = (double)(t2 - t1) / ((double)tp * (double)trace_len);
        }
    BENCH_USE(bench_sink);
    /* Reference: the hand-style switch if it is valid, else the table backend. */
    int ref = nc - 1;
    while (ref > 0 && !c[ref].ok)
        ref--;
    for (int w = 0; w < 2; w++)
        for (int k = 0; k < nc; k++) {
            char name[96];
            if (!c[k].ok || (k == ref && ref != 0)) continue;
            snprintf(name, sizeof name, "fsm dispatch %s, %s", c[k].name,
                     w ? "lifecycle" : "random");
            if (k == ref) /* no valid reference to compare with: the figure alone */
                bench_row_noref(name, bench_median(c[k].ns[w], BENCH_RUNS), "ns/event");
            else
                bench_row(name, bench_median(c[k].ns[w], BENCH_RUNS), "ns/event", c[ref].name,
                          bench_median(c[ref].ns[w], BENCH_RUNS));
        }
    return 0;
}
