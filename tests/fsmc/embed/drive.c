/* A program around a machine and its fsmc --emit=stubs skeleton, as a user starts one: it
 * must compile warning-free, link (every guard and action defined, with the header's
 * prototypes) and run. Every (state, event) is dispatched once; the stubs touch neither
 * context nor payload, so both are NULL. fsmc ran with --prefix=emb; EMB_HEADER names its
 * header. */
#include EMB_HEADER
#include <stddef.h>
#include <stdio.h>

int main(void)
{
    unsigned handled = 0;
    for (unsigned s = 0; s < EMB_NUM_STATES; s++) {
        for (unsigned e = 0; e < EMB_NUM_EVENTS; e++) {
            emb_state_t state = (emb_state_t)s;
            enum emb_result r = emb_dispatch(&state, (enum emb_event)e, NULL, NULL);
            if (r > EMB_UNEXPECTED || state >= EMB_NUM_STATES) {
                fprintf(stderr, "drive: %s on %s: result %d, state %u\n", emb_state_names[s],
                        emb_event_names[e], (int)r, (unsigned)state);
                return 1;
            }
            handled += r == EMB_HANDLED;
        }
    }
    printf("drive: %u of %u (state, event) pairs fired a row\n", handled,
           EMB_NUM_STATES * EMB_NUM_EVENTS);
    return 0;
}
