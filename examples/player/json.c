/* json.c — see json.h. A recursive-descent reader, nesting bounded so that no input can
 * exhaust the stack. */
#include "json.h"
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_DEPTH = 64 };

struct reader {
    const char *p, *end;
    const char *line_start;
    int line;
    char *err;
    size_t errlen;
    bool failed;
};

static void fail(struct reader *r, const char *fmt, ...)
{
    if (r->failed) return;
    r->failed = true;
    int n = snprintf(r->err, r->errlen, "line %d, column %d: ", r->line,
                     (int)(r->p - r->line_start) + 1);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < r->errlen) vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static void skip_space(struct reader *r)
{
    for (; r->p < r->end; r->p++) {
        if (*r->p == '\n') {
            r->line++;
            r->line_start = r->p + 1;
        } else if (*r->p != ' ' && *r->p != '\t' && *r->p != '\r')
            return;
    }
}

static struct json *node(struct reader *r, enum json_kind kind)
{
    struct json *j = calloc(1, sizeof *j);
    if (!j) {
        fail(r, "out of memory");
        return NULL;
    }
    j->kind = kind;
    j->line = r->line;
    return j;
}

/* grow a char buffer by one byte */
struct buf {
    char *s;
    size_t n, cap;
};

static bool put(struct reader *r, struct buf *b, char c)
{
    if (b->n + 1 >= b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        char *s = realloc(b->s, cap);
        if (!s) {
            fail(r, "out of memory");
            return false;
        }
        b->s = s;
        b->cap = cap;
    }
    b->s[b->n++] = c;
    b->s[b->n] = '\0';
    return true;
}

static bool put_utf8(struct reader *r, struct buf *b, uint32_t cp)
{
    if (cp < 0x80) return put(r, b, (char)cp);
    if (cp < 0x800)
        return put(r, b, (char)(0xc0 | cp >> 6)) && put(r, b, (char)(0x80 | (cp & 0x3f)));
    if (cp < 0x10000)
        return put(r, b, (char)(0xe0 | cp >> 12)) && put(r, b, (char)(0x80 | (cp >> 6 & 0x3f))) &&
               put(r, b, (char)(0x80 | (cp & 0x3f)));
    return put(r, b, (char)(0xf0 | cp >> 18)) && put(r, b, (char)(0x80 | (cp >> 12 & 0x3f))) &&
           put(r, b, (char)(0x80 | (cp >> 6 & 0x3f))) && put(r, b, (char)(0x80 | (cp & 0x3f)));
}

static int hex4(struct reader *r)
{
    if (r->end - r->p < 4) return -1;
    int v = 0;
    for (int k = 0; k < 4; k++) {
        char c = r->p[k];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    r->p += 4;
    return v;
}

/* after the opening quote; returns the decoded text (malloc'd) or NULL */
static char *string_body(struct reader *r)
{
    struct buf b = {0};
    if (!put(r, &b, 'x')) return NULL; /* allocate, so that "" is a string too */
    b.n = 0;
    b.s[0] = '\0';
    while (!r->failed) {
        if (r->p >= r->end) {
            fail(r, "a string is not closed");
            break;
        }
        unsigned char c = (unsigned char)*r->p++;
        if (c == '"') return b.s;
        if (c < 0x20) {
            r->p--;
            fail(r, "a control character (0x%02x) inside a string", c);
            break;
        }
        if (c != '\\') {
            put(r, &b, (char)c);
            continue;
        }
        if (r->p >= r->end) {
            fail(r, "a string is not closed");
            break;
        }
        char e = *r->p++;
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *k = e ? strchr(from, e) : NULL;
        if (k) {
            put(r, &b, to[k - from]);
            continue;
        }
        if (e != 'u') {
            r->p--;
            fail(r, "a bad escape '\\%c' in a string", e);
            break;
        }
        int cp = hex4(r);
        if (cp >= 0xd800 && cp < 0xdc00 && r->end - r->p >= 6 && r->p[0] == '\\' &&
            r->p[1] == 'u') {
            r->p += 2;
            int lo = hex4(r);
            if (lo >= 0xdc00 && lo < 0xe000)
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            else
                cp = -1;
        }
        if (cp < 0 || (cp >= 0xd800 && cp < 0xe000)) {
            fail(r, "a bad \\u escape in a string");
            break;
        }
        put_utf8(r, &b, (uint32_t)cp);
    }
    free(b.s);
    return NULL;
}

static bool literal(struct reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n)) return false;
    r->p += n;
    return true;
}

static bool digits(struct reader *r)
{
    const char *s = r->p;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        r->p++;
    return r->p > s;
}

static struct json *number(struct reader *r)
{
    const char *s = r->p;
    if (r->p < r->end && *r->p == '-') r->p++;
    bool ok = r->p < r->end && *r->p == '0' ? (r->p++, true) : digits(r);
    if (ok && r->p < r->end && *r->p == '.') {
        r->p++;
        ok = digits(r);
    }
    if (ok && r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
        ok = digits(r);
    }
    if (!ok || r->p - s > 63) {
        r->p = s;
        fail(r, ok ? "a number of more than 63 characters" : "a malformed number");
        return NULL;
    }
    char tmp[64];
    memcpy(tmp, s, (size_t)(r->p - s));
    tmp[r->p - s] = '\0';
    struct json *j = node(r, JSON_NUMBER);
    if (j) j->num = strtod(tmp, NULL);
    return j;
}

static struct json *value(struct reader *r, int depth);

/* one more item for an array or object; false when out of memory */
static bool add_item(struct reader *r, struct json *j, struct json *item, char *key)
{
    struct json **items = realloc(j->items, (j->n + 1) * sizeof *items);
    if (items) j->items = items;
    if (items && j->kind == JSON_OBJECT) {
        char **keys = realloc(j->keys, (j->n + 1) * sizeof *keys);
        if (!keys)
            items = NULL;
        else
            j->keys = keys;
    }
    if (!items) {
        fail(r, "out of memory");
        json_free(item);
        free(key);
        return false;
    }
    j->items[j->n] = item;
    if (j->kind == JSON_OBJECT) j->keys[j->n] = key;
    j->n++;
    return true;
}

static struct json *container(struct reader *r, int depth, bool object)
{
    char close = object ? '}' : ']';
    struct json *j = node(r, object ? JSON_OBJECT : JSON_ARRAY);
    if (!j) return NULL;
    r->p++;
    skip_space(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return j;
    }
    while (!r->failed) {
        char *key = NULL;
        if (object) {
            skip_space(r);
            if (r->p >= r->end || *r->p != '"') {
                fail(r, "expected a member name (a string)");
                break;
            }
            r->p++;
            if (!(key = string_body(r))) break;
            skip_space(r);
            if (r->p >= r->end || *r->p != ':') {
                free(key);
                fail(r, "expected ':' after a member name");
                break;
            }
            r->p++;
        }
        struct json *item = value(r, depth + 1);
        if (!item) {
            free(key);
            break;
        }
        if (!add_item(r, j, item, key)) break;
        skip_space(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return j;
        }
        fail(r, "expected ',' or '%c'", close);
    }
    json_free(j);
    return NULL;
}

static struct json *value(struct reader *r, int depth)
{
    skip_space(r);
    if (depth > MAX_DEPTH) {
        fail(r, "nested more than %d deep", MAX_DEPTH);
        return NULL;
    }
    if (r->p >= r->end) {
        fail(r, "expected a value, found the end of the text");
        return NULL;
    }
    char c = *r->p;
    if (c == '{' || c == '[') return container(r, depth, c == '{');
    if (c == '"') {
        struct json *j = node(r, JSON_STRING);
        r->p++;
        if (j && !(j->str = string_body(r))) {
            free(j);
            j = NULL;
        }
        return j;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number(r);
    static const struct {
        const char *word;
        enum json_kind kind;
    } words[] = {{"null", JSON_NULL}, {"true", JSON_TRUE}, {"false", JSON_FALSE}};
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        if (literal(r, words[k].word)) return node(r, words[k].kind);
    fail(r, "expected a value");
    return NULL;
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct reader r = {
        .p = text, .end = text + len, .line_start = text, .line = 1, .err = err, .errlen = errlen};
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) r.p += 3; /* a byte order mark */
    struct json *j = value(&r, 0);
    if (j) {
        skip_space(&r);
        if (r.p < r.end) {
            fail(&r, "text after the end of the JSON value");
            json_free(j);
            j = NULL;
        }
    }
    return j;
}

void json_free(struct json *j)
{
    if (!j) return;
    for (size_t k = 0; k < j->n; k++) {
        json_free(j->items[k]);
        if (j->keys) free(j->keys[k]);
    }
    free(j->items);
    free(j->keys);
    free(j->str);
    free(j);
}

const struct json *json_get(const struct json *obj, const char *key)
{
    const struct json *found = NULL;
    if (obj && obj->kind == JSON_OBJECT)
        for (size_t k = 0; k < obj->n; k++)
            if (!strcmp(obj->keys[k], key)) found = obj->items[k];
    return found;
}

const char *json_str(const struct json *obj, const char *key)
{
    const struct json *v = json_get(obj, key);
    return v && v->kind == JSON_STRING ? v->str : NULL;
}

bool json_int(const struct json *obj, const char *key, long *out)
{
    const struct json *v = json_get(obj, key);
    /* within +-1e15 (false for NaN) a double holds every integer exactly */
    if (!v || v->kind != JSON_NUMBER || !(v->num >= -1e15 && v->num <= 1e15) ||
        (double)(long)v->num != v->num)
        return false;
    *out = (long)v->num;
    return true;
}

const char *json_kind_name(enum json_kind k)
{
    static const char *const names[] = {
        [JSON_NULL] = "null",       [JSON_FALSE] = "false",     [JSON_TRUE] = "true",
        [JSON_NUMBER] = "a number", [JSON_STRING] = "a string", [JSON_ARRAY] = "an array",
        [JSON_OBJECT] = "an object"};
    return names[k];
}

void json_write_string(FILE *f, const char *s)
{
    putc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20 || c == '<')
            fprintf(f, "\\u%04x", c);
        else
            putc(c, f);
    }
    putc('"', f);
}
