/*
 * trace_json.c — tcpfsm-demo --trace-json: the world's record (world.h) as one JSON object,
 * format "tcpfsm-trace" version 1, the format the trace player reads (tcpfsm-demo(1), JSON).
 * Fields may be added; none may be renamed or removed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "world.h"

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static void jstr(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static const char *cause_name(unsigned c)
{
    return c == TCPFSM_CAUSE_SEGMENT ? "segment" : c == TCPFSM_CAUSE_TIMER ? "timer" : "app";
}

int dw_write_json(const struct dw *w, const char *path, const char *scenario, const char *title,
                  const char *explanation)
{
    FILE *f = fopen(path, "we");
    if (!f) {
        fprintf(stderr, "%s: --trace-json %s: %s\n", w->o.prog, path, strerror(errno));
        return -1;
    }
    char a[24], b[24], fl[8];
    fputs("{\"format\": \"tcpfsm-trace\", \"version\": 1,\n \"scenario\": ", f);
    jstr(f, scenario);
    fputs(", \"title\": ", f);
    jstr(f, title);
    fputs(",\n \"explanation\": ", f);
    jstr(f, explanation);
    fprintf(f, ",\n \"relative\": true, \"delay_ms\": %.3f, \"capture_epoch_us\": %llu,\n",
            ms(w->o.delay_us), (unsigned long long)w->o.epoch_us);
    fputs(" \"hosts\": [", f);
    for (int i = 0; i < w->nh; i++) {
        fputs(i ? ", {\"name\": " : "{\"name\": ", f);
        jstr(f, w->h[i].name);
        fprintf(f, ", \"addr\": \"%s\"}", dw_ntoa(w->h[i].addr, a));
    }
    fputs("],\n \"packets\": [", f);
    for (size_t i = 0; i < w->npkts; i++) {
        const struct dw_pkt *p = &w->pkts[i];
        fprintf(f, "%s\n  {\"frame\": %u, \"t_ms\": %.3f, \"from\": ", i ? "," : "", p->frame,
                ms(p->t_us));
        jstr(f, w->h[p->from].name);
        fputs(", \"to\": ", f);
        if (p->to >= 0)
            jstr(f, w->h[p->to].name);
        else
            fputs("null", f);
        fprintf(f, ", \"src\": \"%s\", \"dst\": \"%s\"", dw_endpoint(p->saddr, p->sport, a),
                dw_endpoint(p->daddr, p->dport, b));
        if (p->tcp) {
            fprintf(f,
                    ", \"flags\": \"%s\", \"seq\": %u, \"ack\": %u, \"win\": %u, \"len\": %u, "
                    "\"seq_abs\": %u, \"ack_abs\": %u, \"options\": ",
                    dw_flags(p->flags, fl), p->rseq, p->rack, p->wnd, p->len, p->seq, p->ack);
            jstr(f, p->opts);
        }
        fprintf(f, ", \"dropped\": %s, \"delivered\": %s}", p->lost ? "true" : "false",
                p->delivered ? "true" : "false");
    }
    fputs("],\n \"steps\": [", f);
    for (size_t i = 0; i < w->nsteps; i++) {
        const struct dw_step *s = &w->steps[i];
        fprintf(f, "%s\n  {\"t_ms\": %.3f, \"host\": ", i ? "," : "", ms(s->t_us));
        jstr(f, w->h[s->host].name);
        fprintf(f, ", \"conn\": \"%s %s\", \"from\": ", dw_endpoint(s->laddr, s->lport, a),
                dw_endpoint(s->raddr, s->rport, b));
        jstr(f, s->from);
        fputs(", \"event\": ", f);
        jstr(f, s->event);
        fputs(", \"to\": ", f);
        jstr(f, s->to);
        fputs(", \"actions\": [", f);
        const char *p = s->actions;
        for (int n = 0; *p; n++) { /* "send_ack, arm_rtx" -> ["send_ack", "arm_rtx"] */
            size_t k = strcspn(p, ",");
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)k, p);
            fputs(n ? ", " : "", f);
            jstr(f, name);
            p += k;
            while (*p == ',' || *p == ' ')
                p++;
        }
        fputs("], \"rfc\": ", f);
        if (s->rfc) {
            char r[128];
            snprintf(r, sizeof r, "RFC %s", s->rfc);
            jstr(f, r);
        } else {
            fputs("null", f);
        }
        fprintf(f, ", \"transition\": %u, \"cause\": \"%s\", \"frame\": ", s->transition,
                cause_name(s->cause));
        if (s->frame) {
            fprintf(f, "%u, \"flags\": \"%s\", \"seq\": %u, \"ack\": %u, \"win\": %u, \"len\": %u",
                    s->frame, dw_flags(s->flags, fl), s->rseq, s->rack, s->wnd, s->len);
            if (s->taken != s->len) fprintf(f, ", \"len_in_window\": %u", s->taken);
        } else {
            fputs("null", f);
        }
        if (s->call[0]) {
            fputs(", \"call\": ", f);
            jstr(f, s->call);
        }
        fputc('}', f);
    }
    fputs("],\n \"listings\": [", f);
    for (size_t i = 0; i < w->nlistings; i++) {
        const struct dw_listing *l = &w->listings[i];
        fprintf(f, "%s\n  {\"t_ms\": %.3f, \"host\": ", i ? "," : "", ms(l->t_us));
        jstr(f, w->h[l->host].name);
        fputs(", \"title\": ", f);
        jstr(f, l->title);
        fputs(", \"ss\": ", f);
        jstr(f, l->ss);
        fputs(", \"sockstat\": ", f);
        jstr(f, l->sockstat);
        fputc('}', f);
    }
    fputs("],\n \"notes\": [", f);
    for (size_t i = 0; i < w->nnotes; i++) {
        fprintf(f, "%s\n  {\"t_ms\": %.3f, \"text\": ", i ? "," : "", ms(w->notes[i].t_us));
        jstr(f, w->notes[i].text);
        fputc('}', f);
    }
    fputs("]}\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "%s: --trace-json %s: write error\n", w->o.prog, path);
        return -1;
    }
    return 0;
}
