/* json.h — a small JSON reader (RFC 8259) for tcpfsm-player: the whole text becomes a tree
 * of struct json, with the line of every value for error messages, and JSON string output.
 * It reads what tcpfsm-demo --trace-json and fsmc --emit=json write; nothing streams. */
#ifndef PLAYER_JSON_H
#define PLAYER_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum json_kind {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
};

struct json {
    enum json_kind kind;
    int line;            /* where the value starts, 1-based */
    double num;          /* JSON_NUMBER */
    char *str;           /* JSON_STRING: the decoded text, NUL-terminated (UTF-8) */
    size_t n;            /* JSON_ARRAY, JSON_OBJECT: how many items */
    struct json **items; /* the elements, or the members' values */
    char **keys;         /* JSON_OBJECT: the members' names, in the text's order */
};

/* Parse len bytes of text. NULL on a syntax error (or no memory), with the message in err:
 * "line 3, column 7: expected ':' after a member name". A tree is freed with json_free. */
struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(struct json *j);

/* The value of member key of an object (the last one if the name repeats), or NULL. */
const struct json *json_get(const struct json *obj, const char *key);
/* The member key as a string / an integer, or NULL / false when absent or of another kind. */
const char *json_str(const struct json *obj, const char *key);
bool json_int(const struct json *obj, const char *key, long *out);
const char *json_kind_name(enum json_kind k);

/* s as a JSON string literal, quotes included; '<' is written \u003c so that the literal can
 * sit inside an HTML <script> element whatever it holds ("</script>", "<!--"). */
void json_write_string(FILE *f, const char *s);
#endif
