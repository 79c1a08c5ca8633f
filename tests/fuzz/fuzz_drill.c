/*
 * fuzz_drill.c — libFuzzer harness for tcpfsm-drill (examples/drill/): the input is a
 * packetdrill script. It goes through the drill as main() takes it — the flex scanner and
 * bison parser, the checks made before running, the script's options — and, when all that
 * accepts it, is run against a fresh stack on the virtual clock, reports silenced. Any crash,
 * sanitizer report, leak or hang is a finding; a script that fails or is refused is not.
 * Running it fuzzes the stack too, through the calls and packets a script can make.
 */
#include <string.h>

#include "drill.h"
#include "fuzz.h"

#define MAX_INPUT 65536 /* longer scripts only take longer to say the same */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT) return 0;
    struct arena a = {0};
    struct script s;
    struct sb err = {0};
    struct drill_config c;
    config_defaults(&c);
    char *text = arena_strndup(&a, (const char *)data, size);
    int r = script_parse_text(&a, "fuzz.pkt", text, size, &c, &s, &err);
    if (!r) r = script_check(&s, &err);
    for (const struct script_option *o = s.options; !r && o; o = o->next)
        r = config_option(&c, o->name, o->value, &err) ? 2 : 0;
    c.quiet = true;
    c.verbose = false;
    if (!r && !c.dry_run) drill_run(&c, &s);
    sb_free(&err);
    arena_free(&a);
    return 0;
}
