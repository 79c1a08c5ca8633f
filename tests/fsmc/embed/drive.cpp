// A C++ program calling a machine fsmc generated in C: the header must compile as C++
// (-pedantic, C++11 on) and its declarations must have C linkage, or this does not link
// against the C translation units. fsmc ran with --prefix=emb; EMB_HEADER names its header.
#include EMB_HEADER
#include <cstdio>

int main()
{
    unsigned handled = 0;
    for (unsigned s = 0; s < EMB_NUM_STATES; s++) {
        for (unsigned e = 0; e < EMB_NUM_EVENTS; e++) {
            emb_state_t state = static_cast<emb_state_t>(s);
            emb_result r = emb_dispatch(&state, static_cast<emb_event>(e), nullptr, nullptr);
            if (r > EMB_UNEXPECTED || state >= EMB_NUM_STATES) {
                std::fprintf(stderr, "drive.cpp: %s on %s: result %d\n", emb_state_names[s],
                             emb_event_names[e], static_cast<int>(r));
                return 1;
            }
            handled += r == EMB_HANDLED;
        }
    }
#ifdef EMB_NUM_SETS
    if (emb_in_set(static_cast<emb_set>(0), EMB_NUM_STATES)) return 1; // no such state
#endif
    // the metadata is C data too
    const emb_transition &first = emb_transitions[0];
    std::printf("drive.cpp: %u pairs fired a row; row 0 is %s on %s\n", handled,
                emb_state_names[first.from], emb_event_names[first.event]);
    return 0;
}
