#!/usr/bin/env python3
"""Write a large synthetic spec for measuring fsmc.

  gen_big_spec.py [STATES]               default 10,000 states, 5 events, 50,000 transitions
  gen_big_spec.py --unreachable STATES   a ~1 MB spec whose states, all but the initial one,
                                         are unreachable: one warning per state"""
import sys

if len(sys.argv) > 2 and sys.argv[1] == "--unreachable":
    n = int(sys.argv[2])
    out = ["machine unreach {", "  event E;", "  state S0 initial final;"]
    out += ["  state S%d;" % i for i in range(1, n)]
    out += ["  S0 on E -> S0;", "  * except S0 ignore E;", "}"]
    print("\n".join(out))
    sys.exit(0)

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
ev = ["E%d" % i for i in range(5)]
out = ["machine big {", "  state S0 initial final;"]
out += ["  state S%d;" % i for i in range(1, n)]
out.append("  event %s;" % ", ".join(ev))
for i in range(n):
    for k, e in enumerate(ev):
        out.append("  S%d on %s -> S%d;" % (i, e, (i * 7 + k * 13 + 1) % n))
out.append("}")
print("\n".join(out))
