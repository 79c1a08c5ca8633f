/* The guards and actions of traffic_light.fsm, as stubs written by fsmc --emit=stubs: copy this
 * file into your sources and fill in every TODO. Rows are numbered as in
 * tl_transitions[]; [do] marks a row that names the action, [exit S] and
 * [entry S] one that runs it on leaving or entering S. */
#include "traffic_light.h"

/* Guard pedestrian_waiting (traffic_light.fsm:14), tested by:
 *   row 2: RED on T_PHASE [pedestrian_waiting] -> WALK (traffic_light.fsm:27)
 *       @label "phase over, button pressed"
 */
bool tl_guard_pedestrian_waiting(struct tl_ctx *ctx, const void *payload)
{
    (void)ctx;
    (void)payload;
    return false; /* TODO: when does pedestrian_waiting hold? */
}

/* Guard night_mode (traffic_light.fsm:14), tested by:
 *   row 3: RED on T_PHASE [!night_mode] -> GREEN (traffic_light.fsm:28)
 *       @rfc "local rule 4.2"
 *       @label "phase over"
 */
bool tl_guard_night_mode(struct tl_ctx *ctx, const void *payload)
{
    (void)ctx;
    (void)payload;
    return false; /* TODO: when does night_mode hold? */
}

/* Action lamp_red (traffic_light.fsm:15), run by:
 *   row 0: OFF on POWER_ON -> RED [entry RED] (traffic_light.fsm:23)
 *       @label "power on"
 *   row 5: WALK on T_PHASE -> RED [entry RED] (traffic_light.fsm:30)
 *       @label "phase over"
 *   row 6: YELLOW on T_PHASE -> RED [entry RED] (traffic_light.fsm:30)
 *       @label "phase over"
 *   row 9: GREEN on BUTTON -> RED [entry RED] (traffic_light.fsm:36)
 *       @label "button"
 *   row 10: YELLOW on BUTTON -> RED [entry RED] (traffic_light.fsm:36)
 *       @label "button"
 */
void tl_action_lamp_red(struct tl_ctx *ctx, const void *payload)
{
    (void)ctx;
    (void)payload;
    /* TODO: what lamp_red does */
}

/* Action lamp_green (traffic_light.fsm:15), run by:
 *   row 3: RED on T_PHASE [!night_mode] -> GREEN [entry GREEN] (traffic_light.fsm:28)
 *       @rfc "local rule 4.2"
 *       @label "phase over"
 */
void tl_action_lamp_green(struct tl_ctx *ctx, const void *payload)
{
    (void)ctx;
    (void)payload;
    /* TODO: what lamp_green does */
}

/* Action lamp_yellow (traffic_light.fsm:15), run by:
 *   row 7: GREEN on T_PHASE -> YELLOW [entry YELLOW] (traffic_light.fsm:31)
 *       @label "phase over"
 */
void tl_action_lamp_yellow(struct tl_ctx *ctx, const void *payload)
{
    (void)ctx;
    (void)payload;
    /* TODO: what lamp_yellow does */
}

/* Action lamp_walk (traffic_light.fsm:15), run by:
 *   row 2: RED on T_PHASE [pedestrian_waiting] -> WALK [entry WALK] (traffic_light.fsm:27)
 *       @label "phase over, button pressed"
 */
void tl_action_lamp_walk(struct tl_ctx *ctx, const void *payload)
{
    (void)ctx;
    (void)payload;
    /* TODO: what lamp_walk does */
}

/* Action lamp_off (traffic_light.fsm:15), run by:
 *   row 11: RED on POWER_OFF -> OFF [do] (traffic_light.fsm:38)
 *       @label "power off"
 *   row 12: GREEN on POWER_OFF -> OFF [do] (traffic_light.fsm:38)
 *       @label "power off"
 *   row 13: YELLOW on POWER_OFF -> OFF [do] (traffic_light.fsm:38)
 *       @label "power off"
 *   row 14: WALK on POWER_OFF -> OFF [do] (traffic_light.fsm:38)
 *       @label "power off"
 *   row 15: RED on FAULT -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 16: GREEN on FAULT -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 17: YELLOW on FAULT -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 18: WALK on FAULT -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 19: RED on EMERGENCY -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 20: GREEN on EMERGENCY -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 21: YELLOW on EMERGENCY -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 22: WALK on EMERGENCY -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 */
void tl_action_lamp_off(struct tl_ctx *ctx, const void *payload)
{
    (void)ctx;
    (void)payload;
    /* TODO: what lamp_off does */
}

/* Action arm_timer (traffic_light.fsm:15), run by:
 *   row 0: OFF on POWER_ON -> RED [exit OFF, entry RED] (traffic_light.fsm:23)
 *       @label "power on"
 *   row 1: OFF on RETIRE -> DECOMMISSIONED [exit OFF] (traffic_light.fsm:25)
 *       @label "retire"
 *   row 2: RED on T_PHASE [pedestrian_waiting] -> WALK [entry WALK] (traffic_light.fsm:27)
 *       @label "phase over, button pressed"
 *   row 3: RED on T_PHASE [!night_mode] -> GREEN [entry GREEN] (traffic_light.fsm:28)
 *       @rfc "local rule 4.2"
 *       @label "phase over"
 *   row 4: RED on T_PHASE else -> stay [do] (traffic_light.fsm:29)
 *   row 5: WALK on T_PHASE -> RED [entry RED] (traffic_light.fsm:30)
 *       @label "phase over"
 *   row 6: YELLOW on T_PHASE -> RED [entry RED] (traffic_light.fsm:30)
 *       @label "phase over"
 *   row 7: GREEN on T_PHASE -> YELLOW [entry YELLOW] (traffic_light.fsm:31)
 *       @label "phase over"
 *   row 9: GREEN on BUTTON -> RED [entry RED] (traffic_light.fsm:36)
 *       @label "button"
 *   row 10: YELLOW on BUTTON -> RED [entry RED] (traffic_light.fsm:36)
 *       @label "button"
 */
void tl_action_arm_timer(struct tl_ctx *ctx, const void *payload)
{
    (void)ctx;
    (void)payload;
    /* TODO: what arm_timer does */
}

/* Action log_fault (traffic_light.fsm:15), run by:
 *   row 15: RED on FAULT -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 16: GREEN on FAULT -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 17: YELLOW on FAULT -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 18: WALK on FAULT -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 19: RED on EMERGENCY -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 20: GREEN on EMERGENCY -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 21: YELLOW on EMERGENCY -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 *   row 22: WALK on EMERGENCY -> OFF [do] (traffic_light.fsm:39)
 *       @label "fault: lamps off"
 */
void tl_action_log_fault(struct tl_ctx *ctx, const void *payload)
{
    (void)ctx;
    (void)payload;
    /* TODO: what log_fault does */
}

/* Action remember_button (traffic_light.fsm:15), run by:
 *   row 8: RED on BUTTON -> stay [do] (traffic_light.fsm:33)
 *   row 9: GREEN on BUTTON -> RED [do] (traffic_light.fsm:36)
 *       @label "button"
 *   row 10: YELLOW on BUTTON -> RED [do] (traffic_light.fsm:36)
 *       @label "button"
 */
void tl_action_remember_button(struct tl_ctx *ctx, const void *payload)
{
    (void)ctx;
    (void)payload;
    /* TODO: what remember_button does */
}
