/* tcpfsm-player — turn a recorded trace (tcpfsm-demo --trace-json) into one HTML file that
 * plays it on the state diagrams of spec/tcp.fsm: each connection's state lit, the row just
 * taken and the segment that caused it.
 *
 * The page's template (player.html, .css, .js), both diagrams (fsmc's overview and full view,
 * drawn by Graphviz at build time from the spec the library runs) and the spec's transition
 * table (fsmc --emit=json) are built into the program (resources.S); the trace is checked
 * against that table, so a trace of another spec is refused rather than drawn wrong. */
#include "json.h"
#include "netio.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* resources.S: NUL-terminated copies of the files player.mk names */
extern const char player_html[], player_css[], player_js[];
extern const char player_overview_svg[], player_full_svg[], player_table_json[];

static void usage(FILE *f)
{
    fputs("Usage: tcpfsm-player [OPTIONS] TRACE.json\n"
          "Write one self-contained HTML page that plays a tcpfsm trace (tcpfsm-demo\n"
          "--trace-json) on the state diagrams of spec/tcp.fsm: step or scrub through time,\n"
          "each connection's state lit on the diagram, the row just taken with its RFC\n"
          "section, and the segment that caused it. The page works offline from file://.\n"
          "  -o, --output FILE   write the page to FILE (default: standard output)\n"
          "  --view VIEW         the diagram shown first: overview (RFC 9293 Figure 5,\n"
          "                      the default) or full (every row of the spec)\n"
          "  --check             only check the trace, write nothing\n"
          "  -h, --help          this text\n"
          "  --version           print the version and exit\n"
          "TRACE.json - reads standard input. Exit status: 0 success, 1 a bad trace or an\n"
          "error writing, 2 bad options.\n",
          f);
}

/* the whole file, NUL-terminated; "-" is standard input */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) return NULL;
    size_t n = 0, cap = 1 << 16;
    char *s = malloc(cap);
    while (s) {
        n += fread(s + n, 1, cap - n - 1, f);
        if (n < cap - 1) break;
        char *t = realloc(s, cap * 2);
        if (!t) {
            free(s);
            s = NULL;
        }
        s = t;
        cap *= 2;
    }
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (!s || bad) {
        free(s);
        errno = bad ? EIO : ENOMEM;
        return NULL;
    }
    s[n] = '\0';
    *len = n;
    return s;
}

/* A step must name a row of the table, and say of it what the table says. */
static bool check_step(const struct json *step, size_t k, const struct json *rows,
                       const struct json *packets, char *err, size_t errlen)
{
    static const char *const fields[] = {"host", "conn", "from", "event", "to"};
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
        if (!json_str(step, fields[f])) {
            snprintf(err, errlen, "step %zu (line %d): \"%s\" is missing or not a string", k + 1,
                     step->line, fields[f]);
            return false;
        }
    long t, frame;
    if (!json_int(step, "transition", &t) || t < 0 || (size_t)t >= rows->n) {
        snprintf(err, errlen,
                 "step %zu (line %d): \"transition\" is not a row of spec/tcp.fsm (0..%zu)", k + 1,
                 step->line, rows->n - 1);
        return false;
    }
    const struct json *row = rows->items[t];
    const char *rf = json_str(row, "from"), *re = json_str(row, "event"), *rt = json_str(row, "to");
    const char *sf = json_str(step, "from"), *se = json_str(step, "event"),
               *st = json_str(step, "to");
    if (!rf || !re || !rt || strcmp(rf, sf) || strcmp(re, se) || strcmp(rt, st)) {
        snprintf(err, errlen,
                 "step %zu (line %d): transition %ld is %s on %s -> %s in the spec this player "
                 "was built from, the step says %s on %s -> %s",
                 k + 1, step->line, t, rf ? rf : "?", re ? re : "?", rt ? rt : "?", sf, se, st);
        return false;
    }
    const struct json *fr = json_get(step, "frame");
    if (!fr || fr->kind == JSON_NULL) return true;
    if (!json_int(step, "frame", &frame)) {
        snprintf(err, errlen, "step %zu (line %d): \"frame\" is neither null nor a frame number",
                 k + 1, step->line);
        return false;
    }
    for (size_t p = 0; p < packets->n; p++) {
        long pf;
        if (json_int(packets->items[p], "frame", &pf) && pf == frame) return true;
    }
    snprintf(err, errlen, "step %zu (line %d): frame %ld is not among the \"packets\"", k + 1,
             step->line, frame);
    return false;
}

/* The trace's format, version and every step against the spec's table; false with err. */
static bool check_trace(const struct json *tr, const struct json *rows, char *err, size_t errlen)
{
    if (tr->kind != JSON_OBJECT) {
        snprintf(err, errlen, "a trace is a JSON object, this is %s", json_kind_name(tr->kind));
        return false;
    }
    const char *format = json_str(tr, "format");
    if (!format || strcmp(format, "tcpfsm-trace")) {
        snprintf(err, errlen, "not a tcpfsm trace: \"format\" is %s%s%s, want \"tcpfsm-trace\"",
                 format ? "\"" : "", format ? format : "missing", format ? "\"" : "");
        return false;
    }
    long version;
    if (!json_int(tr, "version", &version) || version != 1) {
        if (json_get(tr, "version") && json_int(tr, "version", &version))
            snprintf(err, errlen, "trace version %ld is not supported (this player reads 1)",
                     version);
        else
            snprintf(err, errlen, "\"version\" is missing or not an integer");
        return false;
    }
    const struct json *steps = json_get(tr, "steps"), *packets = json_get(tr, "packets");
    if (!packets || packets->kind != JSON_ARRAY) {
        snprintf(err, errlen, "\"packets\" is missing or not an array");
        return false;
    }
    for (size_t p = 0; p < packets->n; p++) {
        long frame;
        if (!json_int(packets->items[p], "frame", &frame) || frame < 1) {
            snprintf(err, errlen, "packet %zu (line %d): no \"frame\" number", p + 1,
                     packets->items[p]->line);
            return false;
        }
    }
    if (!steps || steps->kind != JSON_ARRAY || steps->n == 0) {
        snprintf(err, errlen, "\"steps\" is missing, not an array or empty: nothing to play");
        return false;
    }
    for (size_t k = 0; k < steps->n; k++) {
        if (steps->items[k]->kind != JSON_OBJECT) {
            snprintf(err, errlen, "step %zu (line %d) is not an object", k + 1,
                     steps->items[k]->line);
            return false;
        }
        if (!check_step(steps->items[k], k, rows, packets, err, errlen)) return false;
    }
    return true;
}

/* The table as the page reads it: per row [from, event, guard, to, stay, actions, rfc],
 * guard "" when none, stay 1 for a row that stays put without re-entering. */
static void write_table(FILE *f, const struct json *rows)
{
    putc('[', f);
    for (size_t k = 0; k < rows->n; k++) {
        const struct json *r = rows->items[k];
        const struct json *acts = json_get(r, "actions"), *annots = json_get(r, "annotations");
        const struct json *internal = json_get(r, "internal");
        const char *guard = json_str(r, "guard"), *rfc = json_str(annots, "rfc");
        fputs(k ? ",\n[" : "[", f);
        json_write_string(f, json_str(r, "from") ? json_str(r, "from") : "");
        putc(',', f);
        json_write_string(f, json_str(r, "event") ? json_str(r, "event") : "");
        putc(',', f);
        json_write_string(f, guard ? guard : "");
        putc(',', f);
        json_write_string(f, json_str(r, "to") ? json_str(r, "to") : "");
        fprintf(f, ",%d,\"", internal && internal->kind == JSON_TRUE);
        for (size_t a = 0; acts && acts->kind == JSON_ARRAY && a < acts->n; a++)
            if (acts->items[a]->kind == JSON_STRING)
                fprintf(f, "%s%s", a ? ", " : "", acts->items[a]->str); /* C identifiers */
        fputs("\",", f);
        json_write_string(f, rfc ? rfc : "");
        putc(']', f);
    }
    putc(']', f);
}

/* text with every '<' as \u003c: the trace is valid JSON, where '<' can only be inside a
 * string, so the JSON means the same and cannot end the <script> element that holds it */
static void write_script_safe(FILE *f, const char *s)
{
    for (; *s; s++)
        if (*s == '<')
            fputs("\\u003c", f);
        else
            putc(*s, f);
}

static void write_html_text(FILE *f, const char *s)
{
    for (; *s; s++)
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else
            putc(*s, f);
}

/* an SVG from its <svg> element on: the XML declaration and DOCTYPE do not belong in HTML */
static const char *svg_element(const char *svg)
{
    const char *p = strstr(svg, "<svg");
    return p ? p : svg;
}

struct page {
    const char *trace_text, *title, *view;
    const struct json *rows;
};

/* player.html with each @@NAME@@ replaced */
static void write_page(FILE *f, const struct page *pg)
{
    const char *p = player_html;
    for (;;) {
        const char *m = strstr(p, "@@");
        const char *e = m ? strstr(m + 2, "@@") : NULL;
        if (!m || !e) {
            fputs(p, f);
            return;
        }
        fwrite(p, 1, (size_t)(m - p), f);
        size_t n = (size_t)(e - m - 2);
        const char *name = m + 2;
#define IS(s) (n == strlen(s) && !memcmp(name, s, n))
        if (IS("CSS"))
            fputs(player_css, f);
        else if (IS("JS"))
            fputs(player_js, f);
        else if (IS("OVERVIEW_SVG"))
            fputs(svg_element(player_overview_svg), f);
        else if (IS("FULL_SVG"))
            fputs(svg_element(player_full_svg), f);
        else if (IS("TRACE"))
            write_script_safe(f, pg->trace_text);
        else if (IS("TABLE"))
            write_table(f, pg->rows);
        else if (IS("TITLE"))
            write_html_text(f, pg->title);
        else if (IS("VIEW"))
            fputs(pg->view, f);
        else if (IS("VERSION"))
            fputs(TCPFSM_VERSION, f);
        else
            fwrite(m, 1, n + 4, f); /* not a marker: as it is */
#undef IS
        p = e + 2;
    }
}

int main(int argc, char **argv)
{
    const char *out = NULL, *in = NULL, *view = "overview";
    bool check_only = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            netio_version(stdout, "tcpfsm-player");
            return 0;
        } else if (!strcmp(a, "--check")) {
            check_only = true;
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output") || !strcmp(a, "--view")) &&
                   i + 1 < argc) {
            *(a[2] == 'v' ? &view : &out) = argv[++i];
        } else if (!strncmp(a, "--output=", 9)) {
            out = a + 9;
        } else if (!strncmp(a, "--view=", 7)) {
            view = a + 7;
        } else if ((a[0] != '-' || !strcmp(a, "-")) && !in) {
            in = a;
        } else {
            fprintf(stderr, "tcpfsm-player: %s '%s'\nTry 'tcpfsm-player --help'.\n",
                    a[0] == '-' && a[1] ? "bad option" : "one trace only, not", a);
            return 2;
        }
    }
    if (!in || (strcmp(view, "overview") && strcmp(view, "full"))) {
        fprintf(stderr, "tcpfsm-player: %s\nTry 'tcpfsm-player --help'.\n",
                in ? "--view is overview or full" : "no trace given");
        return 2;
    }

    char err[512];
    struct json *table = json_parse(player_table_json, strlen(player_table_json), err, sizeof err);
    const struct json *rows = json_get(table, "transitions");
    if (!rows || rows->kind != JSON_ARRAY || rows->n == 0) {
        fprintf(stderr, "tcpfsm-player: error: the built-in transition table is unreadable\n");
        json_free(table);
        return 1;
    }
    size_t len = 0;
    char *text = read_all(in, &len);
    struct json *trace = NULL;
    int status = 1;
    if (!text)
        snprintf(err, sizeof err, "cannot read: %s", strerror(errno));
    else if (strlen(text) != len)
        snprintf(err, sizeof err, "a NUL byte: not a JSON text");
    else if ((trace = json_parse(text, len, err, sizeof err)) &&
             check_trace(trace, rows, err, sizeof err))
        status = 0;
    if (status) {
        fprintf(stderr, "%s: error: %s\n", in, err);
    } else if (!check_only) {
        FILE *f = out ? fopen(out, "w") : stdout;
        const char *title = json_str(trace, "title");
        struct page pg = {
            .trace_text = text, .title = title ? title : in, .view = view, .rows = rows};
        if (f) write_page(f, &pg);
        if (!f || ferror(f) | (f != stdout ? fclose(f) : fflush(f))) {
            fprintf(stderr, "%s: error: cannot write: %s\n", out ? out : "standard output",
                    strerror(errno));
            status = 1;
        }
    }
    json_free(trace);
    json_free(table);
    free(text);
    return status;
}
