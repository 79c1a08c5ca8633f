/*
 * run.c — playing one script: a fresh stack on a virtual clock, the events in order, and
 * packetdrill's timing rules.
 *
 * packetdrill runs a script in real time and lets the kernel's timers fire by themselves; here
 * the clock moves only when the script waits, and it stops at every timer of the stack on the
 * way (tcpfsm_next_timeout), so a retransmission goes out at exactly the time the stack chose
 * and is checked against the script like any other packet. A relative time (+0.1) counts from
 * the moment the previous event finished, except that an inbound packet after an inbound
 * packet counts from that packet's scripted time, as in packetdrill.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill.h"

static double secs(int64_t us)
{
    return (double)us / 1e6;
}

int drill_fail(struct drill *d, int line, const char *kind, const char *fmt, ...)
{
    if (d->err_kind) return -1; /* the first failure is the one reported */
    snprintf(d->err_kind_buf, sizeof d->err_kind_buf, "%s", kind);
    d->err_kind = d->err_kind_buf;
    d->err_line = line;
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&d->err, fmt, ap);
    va_end(ap);
    return -1;
}

void drill_log(struct drill *d, const char *fmt, ...)
{
    if (!d->cfg->verbose) return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* ---------------------------------------------------------------------- time ---- */

int64_t drill_next_due(const struct drill *d)
{
    tcpfsm_time_t t = tcpfsm_next_timeout(d->st);
    int64_t due = INT64_MAX;
    if (t != UINT64_MAX) due = t < DRILL_EPOCH_US ? 0 : (int64_t)(t - DRILL_EPOCH_US);
    if (d->pend.active && d->pend.deadline_us < due) due = d->pend.deadline_us;
    return due;
}

/* Set the stack's clock to t (never back), run what is due, and let a blocked call retry. */
static void step_to(struct drill *d, int64_t t)
{
    if (t > d->now) d->now = t;
    tcpfsm_advance(d->st, DRILL_EPOCH_US + (tcpfsm_time_t)d->now);
    pending_retry(d);
}

void drill_advance_to(struct drill *d, int64_t t)
{
    /* Each step fires a timer or moves the timer wheel on; the bound only guards against a
     * stack whose timers stop making progress. */
    for (long guard = 0; guard < 10000000; guard++) {
        int64_t due = drill_next_due(d);
        if (due > t || d->err_kind) break;
        int64_t before = d->now;
        step_to(d, due);
        if (due <= before && drill_next_due(d) <= before) {
            /* due now and not fired by advancing to now: let the clock move by one
             * microsecond rather than ask again forever */
            step_to(d, before + 1);
        }
    }
    if (!d->err_kind) step_to(d, t);
}

long drill_tolerance(const struct drill *d, int64_t t, int64_t last)
{
    long tol = d->cfg->tolerance_usecs;
    if (last >= 0 && t > last) {
        double dyn = d->cfg->tolerance_percent / 100.0 * (double)(t - last);
        if (dyn > (double)tol) tol = (long)dyn;
    }
    return tol;
}

int drill_verify_time(struct drill *d, const struct event *ev, int64_t t, int64_t t_end, int64_t at,
                      int64_t last, const char *what)
{
    if (ev->tk == T_ANY) return 0;
    long tol = drill_tolerance(d, t, last);
    if (ev->tk == T_ABS_RANGE || ev->tk == T_REL_RANGE) {
        if (at >= t - tol && at <= t_end + tol) return 0;
        if (ev->tk == T_ABS_RANGE)
            return drill_fail(d, ev->line, "timing error",
                              "expected %s in time range %.6f~%.6f sec but happened at %.6f sec",
                              what, secs(t), secs(t_end), secs(at));
        int64_t o = ev->offset_us;
        return drill_fail(d, ev->line, "timing error",
                          "expected %s in relative time range +%.6f~+%.6f sec but happened at "
                          "%+.6f sec",
                          what, secs(t - o), secs(t_end - o), secs(at - o));
    }
    if (at >= t - tol && at <= t + tol) return 0;
    return drill_fail(d, ev->line, "timing error",
                      "expected %s at %.6f sec but happened at %.6f sec; tolerance %.6f sec", what,
                      secs(t), secs(at), secs(tol));
}

/* ---------------------------------------------------------------- the stack ---- */

static void on_output(void *arg, const void *packet, size_t len)
{
    outq_push(arg, packet, len);
}

/* splitmix64: the stack's randomness (ISN secret, ephemeral ports, IP ids) from --seed, so
 * every run of a script is the same run. */
static uint64_t on_random(void *arg)
{
    uint64_t *s = arg;
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static bool anchored(const struct event *e)
{
    return e->kind == A_PACKET && !e->pkt->outbound;
}

/* packetdrill's adjust_relative_event_times: a relative time gets its base. */
static void adjust_times(struct drill *d, struct event *e)
{
    if (e->tk != T_ANY && e->tk != T_REL && e->tk != T_REL_RANGE) return;
    int64_t base = d->last_ev && anchored(d->last_ev) && anchored(e) ? d->last_t_us : d->now;
    e->offset_us = base;
    e->t_us += base;
    if (e->tk == T_REL_RANGE) e->t_end_us += base;
    if (e->tk == T_REL && e->kind == A_SYSCALL && e->sys->blocking) {
        struct syscall_spec *sc = e->sys; /* the copy's: see run_events */
        sc->end_us += base;
    }
}

static int run_events(struct drill *d)
{
    int64_t last_abs = -1;
    for (const struct event *src = d->script->events; src; src = src->next) {
        /* the event as it runs, with its times made absolute (the script stays as read) */
        struct event *e = malloc(sizeof *e);
        struct syscall_spec *sc = src->sys ? malloc(sizeof *sc) : NULL;
        if (!e || (src->sys && !sc)) {
            free(e);
            return drill_fail(d, src->line, "runtime error", "out of memory");
        }
        *e = *src;
        if (sc) {
            *sc = *src->sys;
            e->sys = sc;
        }
        int r = 0;
        if (!d->last_ev && e->t_us != 0 && e->tk != T_ANY)
            r = drill_fail(d, e->line, "runtime error", "first event should be at time 0");
        else if ((e->tk == T_ABS || e->tk == T_ABS_RANGE) && e->t_us < last_abs)
            r = drill_fail(d, e->line, "runtime error",
                           "time goes backward in script from %" PRId64 " usec to %" PRId64 " usec",
                           last_abs, e->t_us);
        if (!r) {
            if (e->tk == T_ABS || e->tk == T_ABS_RANGE) last_abs = e->t_us;
            adjust_times(d, e);
            d->ev = e;
            switch (e->kind) {
            case A_PACKET:
                r = packet_event(d, e);
                break;
            case A_SYSCALL:
                r = syscall_event(d, e);
                break;
            case A_CODE:
                r = code_event(d, e);
                break;
            case A_COMMAND: /* refused by script_check */
                r = drill_fail(d, e->line, "unsupported", "shell command");
                break;
            }
        }
        if (d->last_ev) {
            free(d->last_ev->sys);
            free(d->last_ev);
        }
        d->last_ev = e;
        d->last_t_us = e->t_us;
        if (r || d->err_kind) return -1;
    }
    if (pending_check_end(d)) return -1;
    return outq_check_end(d);
}

int drill_run(const struct drill_config *cfg, const struct script *s)
{
    struct drill d = {.cfg = cfg, .script = s, .rng = cfg->seed, .next_eph = 40000};
    d.pend.deadline_us = INT64_MAX;
    struct tcpfsm_config c = {
        .addr = cfg->local_ip,
        .mtu = cfg->mtu,
        .output = on_output,
        .output_arg = &d,
        .random = on_random,
        .random_arg = &d.rng,
        .now = DRILL_EPOCH_US,
    };
    int e = 0;
    d.st = tcpfsm_stack_new(&c, &e);
    if (!d.st) {
        if (cfg->quiet) return 2;
        fprintf(stderr, "%s: cannot create the stack: %s\n", s->path,
                e == -22 ? "a configuration value is out of range (--local_ip? --mtu?)"
                         : "out of memory");
        return 2;
    }
    drill_log(&d, "%s: stack at %u.%u.%u.%u, peer %u.%u.%u.%u, seed %" PRIu64, s->path,
              cfg->local_ip >> 24, cfg->local_ip >> 16 & 255, cfg->local_ip >> 8 & 255,
              cfg->local_ip & 255, cfg->remote_ip >> 24, cfg->remote_ip >> 16 & 255,
              cfg->remote_ip >> 8 & 255, cfg->remote_ip & 255, cfg->seed);
    int status = run_events(&d) ? (d.err_status ? d.err_status : 1) : 0;
    if (status && !cfg->quiet) {
        fprintf(stderr, "%s:%d: %s: %s\n", s->path, d.err_line, d.err_kind ? d.err_kind : "error",
                sb_str(&d.err));
    }
    if (d.last_ev) {
        free(d.last_ev->sys);
        free(d.last_ev);
    }
    pending_free(&d);
    tcpfsm_stack_free(d.st);
    outq_free(&d);
    while (d.socks) {
        struct sock *k = d.socks;
        d.socks = k->next;
        free(k);
    }
    sb_free(&d.err);
    return status;
}
