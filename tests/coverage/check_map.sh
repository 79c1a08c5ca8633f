#!/bin/sh
# test-coverage-map: fsmc --coverage on synthetic counts for spec/traffic_light.fsm; checks the
# markings in the DOT, that it renders, that plain --emit=dot is unchanged, and a bad counts file.
# usage: check_map.sh FSMC SCRATCHDIR   (run from the top of the repo)
FSMC=$1; T=$2; mkdir -p "$T"; fail=0
bad() { echo "test-coverage-map: FAIL: $*"; fail=$((fail+1)); }
has() { grep -qF -- "$1" "$T/tl.dot" || bad "DOT lacks: $1"; }
count() { n=$(grep -cF -- "$1" "$T/tl.dot"); [ "$n" = "$2" ] || bad "want $2 lines with '$1', got $n"; }

"$FSMC" --emit=dot --coverage=tests/coverage/traffic_light.counts -o "$T/tl.dot" spec/traffic_light.fsm || bad "fsmc --coverage failed"
has 'label="coverage: 5/23 transitions";'
count ' -> ' 24                                             # 23 rows + the initial arrow
count '×' 23                                                # every row carries its count
count '×0", color="red", fontcolor="red", style=dashed];' 18  # never taken: red, dashed
has '"OFF" -> "RED" [label="POWER_ON ×3", color="#88b3d0", penwidth=1.7];'  # repeats add up; log scale
has '"YELLOW" -> "RED" [label="T_PHASE ×1000", color="#08306b", penwidth=6.0, style=dashed];'
has '"RED" -> "GREEN" [label="T_PHASE [!night_mode] ×40", tooltip="local rule 4.2", color="#'
has '"RED" -> "OFF" [label="POWER_OFF / lamp_off ×0", color="red"'   # row 11: "11 0"
dot -Tsvg "$T/tl.dot" -o "$T/tl.svg" 2>"$T/dot.err" && [ ! -s "$T/dot.err" ] || bad "dot: $(cat "$T/dot.err")"
grep -q 'coverage: 5/23 transitions' "$T/tl.svg" || bad "SVG lacks the coverage label"

# without --coverage the DOT is exactly the committed one
"$FSMC" --emit=dot -o "$T/plain.dot" spec/traffic_light.fsm && cmp -s "$T/plain.dot" generated/traffic_light.dot || bad "plain DOT changed"

# a bad counts file: FILE:LINE:COL: error, exit 1, no output written
printf '0 1\n3 x\n' >"$T/bad.counts"; rm -f "$T/bad.dot"
"$FSMC" --emit=dot --coverage="$T/bad.counts" -o "$T/bad.dot" spec/traffic_light.fsm 2>"$T/err"; rc=$?
[ $rc = 1 ] || bad "bad counts: exit $rc, want 1"
grep -qF "$T/bad.counts:2:3: error: expected a count, found 'x'" "$T/err" || bad "bad counts message: $(head -1 "$T/err")"
[ -e "$T/bad.dot" ] && bad "bad counts: DOT written anyway"

[ $fail = 0 ] && echo "test-coverage-map: heat-map markings, rendering and diagnostics OK"
[ $fail = 0 ]
