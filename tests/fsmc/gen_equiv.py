#!/usr/bin/env python3
"""Emit a C program that replays N seeded random events through two generated backends
(prefixes A and B) and asserts identical (result, state, action trace) after every event.
Guards answer from a hash of (step, guard index), so both backends see the same answers.
usage: gen_equiv.py SPEC.json PREFIX_A HDR_A PREFIX_B HDR_B > harness.c"""
import json, sys

ir = json.load(open(sys.argv[1]))
pa, ha, pb, hb = sys.argv[2:6]
ctx, pay = ir["context"], ir["payload"]
o = []
o.append('#include <stdio.h>\n#include <stdlib.h>\n#include "%s"\n#include "%s"\n' % (ha, hb))
o.append('static unsigned long long step_no, trace[2];\n')
o.append('static unsigned long long mix(unsigned long long x) { x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; return x; }\n')
for side, p in ((0, pa), (1, pb)):
    for i, g in enumerate(ir["guards"]):
        o.append('bool %s_guard_%s(%s *ctx, %s *payload) { (void)ctx; (void)payload; return mix(step_no * 131 + %d) & 1; }\n' % (p, g, ctx, pay, i))
    for i, a in enumerate(ir["actions"]):
        o.append('void %s_action_%s(%s *ctx, %s *payload) { (void)ctx; (void)payload; trace[%d] = mix(trace[%d] ^ %d); }\n' % (p, a, ctx, pay, side, side, i + 1))
n = len(ir["states"]); e = len(ir["events"])
o.append('''int main(int argc, char **argv)
{
    long steps = argc > 1 ? atol(argv[1]) : 1000000;
    %(pa)s_state_t sa = %(PA)s_INITIAL;
    %(pb)s_state_t sb = %(PB)s_INITIAL;
    unsigned long long rng = 0x9e3779b97f4a7c15ULL;
    for (long i = 0; i < steps; i++) {
        rng = mix(rng + (unsigned long long)i);
        /* mostly valid events, sometimes out of range to exercise the UNEXPECTED path */
        unsigned ev = (unsigned)(rng %% (%(e)d + 1));
        if (rng %% 5000 == 0) { sa = (%(pa)s_state_t)(rng >> 20) %% %(n)d; sb = (%(pb)s_state_t)sa; }
        step_no = (unsigned long long)i;
        int ra = (int)%(pa)s_dispatch(&sa, (enum %(pa)s_event)ev, NULL, NULL);
        int rb = (int)%(pb)s_dispatch(&sb, (enum %(pb)s_event)ev, NULL, NULL);
        if (ra != rb || sa != sb || trace[0] != trace[1]) {
            fprintf(stderr, "divergence at step %%ld: event %%u result %%d/%%d state %%d/%%d\\n", i, ev, ra, rb, (int)sa, (int)sb);
            return 1;
        }
    }
    printf("equivalent over %%ld events (trace %%016llx)\\n", steps, trace[0]);
    return 0;
}
''' % dict(pa=pa, pb=pb, PA=pa.upper(), PB=pb.upper(), e=e, n=n))
sys.stdout.write("".join(o))
