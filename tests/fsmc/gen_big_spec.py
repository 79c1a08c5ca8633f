#!/usr/bin/env python3
"""Write a large synthetic spec (default 10,000 states, 5 events, 50,000 transitions) for
measuring fsmc's compile time and memory: python3 gen_big_spec.py [STATES] > big.fsm"""
import sys
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
