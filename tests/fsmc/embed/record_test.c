/* With fsmc --action-args=transition every action gets the row of rec_transitions[] being
 * fired. Each action here logs what it was given into the context (no globals: the context
 * is how a real user would carry it), and after each event the log must be exactly the
 * actions that row runs, in firing order (exit, the row's own, entry), every one given that
 * row: its index, from, event and to. Built against the table and the switch style.
 * usage: record_test (exit status 0 when every check holds) */
#include "record.h"
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct rec_input {
    bool more; /* what the guard `more` answers */
};

enum { LOG_MAX = 8 };
struct rec_call {
    const char *action;
    const struct rec_transition *t;
};
struct rec_log {
    struct rec_call calls[LOG_MAX];
    int n;
};

static void log_call(struct rec_log *log, const char *action, const struct rec_transition *t)
{
    if (log->n < LOG_MAX) log->calls[log->n] = (struct rec_call){.action = action, .t = t};
    log->n++;
}

bool rec_guard_more(struct rec_log *ctx, const struct rec_input *payload)
{
    (void)ctx;
    return payload->more;
}
void rec_action_note(struct rec_log *ctx, const struct rec_input *payload,
                     const struct rec_transition *transition)
{
    (void)payload;
    log_call(ctx, "note", transition);
}
void rec_action_leave_idle(struct rec_log *ctx, const struct rec_input *payload,
                           const struct rec_transition *transition)
{
    (void)payload;
    log_call(ctx, "leave_idle", transition);
}
void rec_action_leave_busy(struct rec_log *ctx, const struct rec_input *payload,
                           const struct rec_transition *transition)
{
    (void)payload;
    log_call(ctx, "leave_busy", transition);
}
void rec_action_enter_busy(struct rec_log *ctx, const struct rec_input *payload,
                           const struct rec_transition *transition)
{
    (void)payload;
    log_call(ctx, "enter_busy", transition);
}

/* one event and what it must do: the row that fires (-1: none) and the actions it runs */
struct step {
    enum rec_event event;
    bool more;
    enum rec_result result;
    int row;
    enum rec_state from, to;
    const char *actions[4]; /* in firing order, NULL-terminated */
};

static const struct step steps[] = {
    {.event = REC_EV_START,
     .result = REC_HANDLED,
     .row = 0,
     .from = REC_IDLE,
     .to = REC_BUSY,
     .actions = {"leave_idle", "note", "enter_busy"}},
    {.event = REC_EV_TICK,
     .more = true,
     .result = REC_HANDLED,
     .row = 1,
     .from = REC_BUSY,
     .to = REC_BUSY,
     .actions = {"note"}}, /* stay: no exit or entry */
    {.event = REC_EV_TICK,
     .more = false,
     .result = REC_HANDLED,
     .row = 2,
     .from = REC_BUSY,
     .to = REC_BUSY,
     .actions = {"leave_busy", "note", "enter_busy"}}, /* the else row */
    {.event = REC_EV_START, .result = REC_IGNORED, .row = -1, .from = REC_BUSY, .to = REC_BUSY},
    {.event = REC_EV_STOP,
     .result = REC_HANDLED,
     .row = 4,
     .from = REC_BUSY,
     .to = REC_DONE,
     .actions = {"leave_busy", "note"}}, /* ACTIVE's rule, BUSY's row */
    {.event = REC_EV_RESET,
     .result = REC_HANDLED,
     .row = 5,
     .from = REC_DONE,
     .to = REC_IDLE,
     .actions = {"note"}},
    {.event = REC_EV_STOP,
     .result = REC_HANDLED,
     .row = 3,
     .from = REC_IDLE,
     .to = REC_DONE,
     .actions = {"leave_idle", "note"}}, /* ACTIVE's rule, IDLE's row */
};

static int failures;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "record_test: step %d: ", k);                                          \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

int main(void)
{
    rec_state_t state = REC_INITIAL;
    for (int k = 0; k < (int)(sizeof steps / sizeof *steps); k++) {
        const struct step *s = &steps[k];
        struct rec_log log = {.n = 0};
        struct rec_input in = {.more = s->more};
        CHECK(state == s->from, "in %s, expected %s", rec_state_names[state],
              rec_state_names[s->from]);
        enum rec_result r = rec_dispatch(&state, s->event, &log, &in);
        CHECK(r == s->result, "%s returned %d, expected %d", rec_event_names[s->event], (int)r,
              (int)s->result);
        CHECK(state == s->to, "%s ended in %s, expected %s", rec_event_names[s->event],
              rec_state_names[state], rec_state_names[s->to]);
        int want = 0;
        while (want < 4 && s->actions[want])
            want++;
        CHECK(log.n == want, "%d actions ran, expected %d", log.n, want);
        for (int i = 0; i < log.n && i < want; i++) {
            const struct rec_call *c = &log.calls[i];
            CHECK(!strcmp(c->action, s->actions[i]), "action %d is %s, expected %s", i, c->action,
                  s->actions[i]);
            CHECK(c->t != NULL, "%s got no transition", c->action);
            if (!c->t) continue;
            ptrdiff_t row = c->t - rec_transitions;
            CHECK(row == s->row, "%s got row %td, expected %d", c->action, row, s->row);
            CHECK(c->t->from == s->from && c->t->event == s->event && c->t->to == s->to,
                  "%s got %s on %s -> %s, expected %s on %s -> %s", c->action,
                  rec_state_names[c->t->from], rec_event_names[c->t->event],
                  rec_state_names[c->t->to], rec_state_names[s->from], rec_event_names[s->event],
                  rec_state_names[s->to]);
        }
    }
    if (failures) return 1;
    printf("record_test: %d events, every action saw its transition\n",
           (int)(sizeof steps / sizeof *steps));
    return 0;
}
