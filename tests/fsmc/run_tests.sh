#!/bin/sh
# fsmc tests: diagnostics per check, golden outputs, generated C under gcc+clang, --coverage heat map,
# embedding (stubs, C++, --action-args), bad input.
# usage: run_tests.sh FSMC SCRATCHDIR [--refresh-golden]
FSMC=$(realpath "$1"); T=$2; mkdir -p "$T"; fail=0; n=0
ok() { n=$((n+1)); }
bad() { echo "FAIL: $*"; fail=$((fail+1)); }
cd "$(dirname "$0")"
# 1. one must-fail (or must-warn) spec per check; the first line holds the expected diagnostic
for f in errors/*.fsm; do
    exp=$(head -1 "$f" | sed 's,^// expect: ,,'); b=$(basename "$f")
    out=$(cd errors && "$FSMC" "$b" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -qF "$b:$exp" || bad "$f: expected '$exp', got: $(printf '%s' "$out" | head -1)"
    case "$exp" in *": warning: "*)
        [ $rc = 0 ] || bad "$f: warning must exit 0 (got $rc)"
        (cd errors && "$FSMC" -Werror "$b" >/dev/null 2>&1); [ $? = 1 ] || bad "$f: -Werror must exit 1"
        w=$(printf '%s' "$exp" | sed 's/.*\[-W\(.*\)\]/\1/')
        (cd errors && "$FSMC" -Wno-$w "$b" 2>&1 | grep -q "\[-W$w\]") && bad "$f: -Wno-$w did not silence";;
    *) [ $rc = 1 ] || bad "$f: error must exit 1 (got $rc)";;
    esac; ok
done
# 2. golden outputs, byte for byte (run from golden/ so paths in output are stable)
for f in golden/*.fsm; do
    s=$(basename "$f" .fsm)
    for st in table switch; do
        sfx=; [ $st = switch ] && sfx=_switch
        (cd golden && "$FSMC" --emit=c --style=$st -o "$T/$s$sfx.c" "$s.fsm" && "$FSMC" --emit=dot,mermaid,json --view=full,overview --output-dir="$T" "$s.fsm") || bad "$f: fsmc failed"
        sed -i "s,$T/,,g" "$T/$s$sfx.c" "$T/$s$sfx.h"
        outs="$s$sfx.c $s$sfx.h $s.dot $s.mmd $s.json $s-overview.dot $s-overview.mmd"
        if [ "$3" = --refresh-golden ]; then for x in $outs; do cp "$T/$x" golden/; done; fi
        for x in $outs; do cmp -s "$T/$x" "golden/$x" || bad "golden/$x differs"; done
        ok
    done
    # the stubs skeleton, and the table style with actions given their transition
    (cd golden && "$FSMC" --emit=stubs -o "$T/${s}_stubs.c" "$s.fsm" &&
        "$FSMC" --emit=c --action-args=transition -o "$T/${s}_transition.c" "$s.fsm") || bad "$f: fsmc failed (stubs, --action-args)"
    sed -i "s,$T/,,g" "$T/${s}_transition.c" "$T/${s}_transition.h"
    for x in "${s}_stubs.c" "${s}_transition.c" "${s}_transition.h"; do
        [ "$3" = --refresh-golden ] && cp "$T/$x" golden/
        cmp -s "$T/$x" "golden/$x" || bad "golden/$x differs"
    done; ok
    for v in "$s" "$s-overview"; do
        dot -Tsvg "$T/$v.dot" -o "$T/$v.svg" 2>"$T/dot.err"; [ -s "$T/dot.err" ] && bad "$f: dot warnings ($v): $(cat "$T/dot.err")"
    done
done
# 2b. --view: the full view is the default, the overview alone goes to STEM-overview.EXT, a
# rule for a set is one edge from its cluster, and the diagram annotations are checked
mkdir -p "$T/v1" "$T/v2"
(cd golden && "$FSMC" --emit=dot --output-dir="$T/v1" traffic_light.fsm && "$FSMC" --emit=dot,mermaid --view=overview --output-dir="$T/v2" traffic_light.fsm) || bad "--view: fsmc failed"
cmp -s "$T/v1/traffic_light.dot" golden/traffic_light.dot || bad "--view: the default is not the full view"
[ -e "$T/v2/traffic_light-overview.dot" ] && [ -e "$T/v2/traffic_light-overview.mmd" ] && [ ! -e "$T/v2/traffic_light.dot" ] || bad "--view=overview: wrong file names"
[ "$(grep -c 'ltail="cluster_LIT"' golden/traffic_light.dot)" = 1 ] || bad "full view: LIT's rule to OFF is not one edge from the cluster"
grep -q '"RED" \[id="s_RED", label=<.*T_PHASE else / arm_timer' golden/traffic_light.dot || bad "full view: RED's internal row is not listed in its box"
# the ids a trace player lights (examples/player): states, every row on an edge or a line
grep -q -e '-> "OFF" \[.*ltail="cluster_LIT", class="t[0-9]* t[0-9]*' golden/traffic_light.dot || bad "full view: the cluster edge does not name its rows"
grep -q 'id="rows_[0-9]*" href="#rows_' golden/traffic_light.dot || bad "full view: a line in a box does not name its row"
grep -q '"RED" -> "RED"' golden/traffic_light.dot && bad "full view: a self-loop was drawn"
"$FSMC" --emit=dot --view=sideways golden/traffic_light.fsm >/dev/null 2>&1; [ $? = 2 ] || bad "--view=sideways is not a usage error"
ok

# 3. every spec's generated C compiles warning-free with gcc and clang (glob: specs may appear later)
for f in ../../spec/*.fsm golden/*.fsm; do
    [ -e "$f" ] || continue; s=$(basename "$f" .fsm)
    for st in table switch; do
        "$FSMC" --emit=c --style=$st -o "$T/cc_$s.c" "$f" || { bad "$f: fsmc failed"; continue; }
        for cc in gcc clang; do
            command -v $cc >/dev/null || continue
            $cc -std=c11 -Wall -Wextra -Werror -pedantic -Wmissing-prototypes -Wstrict-prototypes -Wshadow -I"$T" -I"$(dirname "$f")/../runtime/base" -I"$(dirname "$f")/../runtime/core" -I"$(dirname "$f")/../runtime" -c "$T/cc_$s.c" -o "$T/cc_$s.o" || bad "$f ($st, $cc) does not compile"
        done; ok
    done
    # reproducibility: two runs into the same place must be byte-identical
    rm -rf "$T/r1" "$T/r2"; mkdir -p "$T/r1"
    "$FSMC" --emit=c,dot,mermaid,json --output-dir="$T/r1" "$f" && mv "$T/r1" "$T/r2" && mkdir -p "$T/r1" &&
    "$FSMC" --emit=c,dot,mermaid,json --output-dir="$T/r1" "$f" && diff -r "$T/r1" "$T/r2" >/dev/null || bad "$f: output not reproducible"; ok
done
# 3b. table and switch backends behave identically over 1,000,000 seeded random events
for f in ../../spec/*.fsm golden/*.fsm; do
    [ -e "$f" ] || continue; s=$(basename "$f" .fsm); d="$T/eq_$s"; rm -rf "$d"; mkdir -p "$d"
    "$FSMC" --emit=json -o "$d/m.json" "$f" &&
    "$FSMC" --emit=c --style=table --prefix=eqa -o "$d/a.c" "$f" &&
    "$FSMC" --emit=c --style=switch --prefix=eqb -o "$d/b.c" "$f" || { bad "$f: fsmc failed"; continue; }
    # cinclude'd headers belong to the spec's user; empty stand-ins are enough here
    for h in $(grep -h '^#include "' "$d/a.h" | sed 's/#include "\(.*\)"/\1/'); do mkdir -p "$d/$(dirname "$h")"; : >"$d/$h"; done
    python3 gen_equiv.py "$d/m.json" eqa a.h eqb b.h >"$d/h.c" &&
    ${CC:-cc} -std=c11 -O2 -Wall -Wextra -Werror -I"$d" "$d/a.c" "$d/b.c" "$d/h.c" -o "$d/eq" && "$d/eq" 1000000 >"$d/out" || bad "$f: backends differ: $(cat "$d/out")"
    # every "#line N <the .c itself>" must name the line that follows it
    for c in a b; do
        awk -v f="$d/$c.c" '$1 == "#line" && $3 == "\""f"\"" { want = $2; getline; if (NR != want) { print "bad #line at " NR; exit 1 } }' "$d/$c.c" || bad "$f: wrong #line back-reference in $c.c"
    done
    ok
done
# 3c. --coverage heat map: golden DOT from two synthetic counts files (their counts add up);
#     one must-fail counts file per kind of bad line (first line: the expected diagnostic)
(cd coverage && "$FSMC" --emit=dot --coverage=traffic_light.counts --coverage=traffic_light-more.counts \
    -o "$T/traffic_light_coverage.dot" ../golden/traffic_light.fsm) || bad "coverage: fsmc failed"
[ "$3" = --refresh-golden ] && cp "$T/traffic_light_coverage.dot" coverage/
cmp -s "$T/traffic_light_coverage.dot" coverage/traffic_light_coverage.dot || bad "coverage/traffic_light_coverage.dot differs"
dot -Tsvg "$T/traffic_light_coverage.dot" -o "$T/traffic_light_coverage.svg" 2>"$T/dot.err"; [ -s "$T/dot.err" ] && bad "coverage: dot warnings: $(cat "$T/dot.err")"
ok
for f in coverage/bad-*.counts; do
    exp=$(head -1 "$f" | sed 's,^# expect: ,,'); b=$(basename "$f")
    out=$(cd coverage && "$FSMC" --emit=dot --coverage="$b" -o "$T/bad.dot" ../golden/traffic_light.fsm 2>&1); rc=$?
    printf '%s\n' "$out" | grep -qF "$b:$exp" || bad "$f: expected '$exp', got: $(printf '%s' "$out" | head -1)"
    [ $rc = 1 ] || bad "$f: error must exit 1 (got $rc)"; ok
done
# 3d. embedding: for every spec, the generated C and its --emit=stubs skeleton compile
#     warning-free together with a tiny main (embed/drive.c), link and run, with gcc and clang,
#     in both styles and with both --action-args; the header compiles as C++ (g++ and clang++,
#     -pedantic, C++11 and C++20) and a C++ main (embed/drive.cpp) links against the C objects
EMB_CFLAGS="-std=c11 -Wall -Wextra -Werror -pedantic -Wmissing-prototypes -Wstrict-prototypes -Wshadow"
EMB_CXXFLAGS="-Wall -Wextra -Werror -pedantic"
for cxx in g++ clang++; do command -v $cxx >/dev/null || bad "$cxx not found (.ci/deps.sh installs it)"; done
for f in ../../spec/*.fsm golden/*.fsm; do
    [ -e "$f" ] || continue; s=$(basename "$f" .fsm); inc="$(dirname "$f")/../runtime"
    incs="-I$inc/base -I$inc/core -I$inc" # the rooms tcb.h and what it includes live in
    for v in table,plain switch,plain table,transition switch,transition; do
        st=${v%,*}; aa=${v#*,}; d="$T/emb_${s}_${st}_$aa"; rm -rf "$d"; mkdir -p "$d/cxx"
        "$FSMC" --emit=c,stubs --style=$st --action-args=$aa --prefix=emb --output-dir="$d" "$f" || { bad "$f: fsmc --emit=c,stubs ($v) failed"; continue; }
        for cc in gcc clang; do
            command -v $cc >/dev/null || continue
            $cc $EMB_CFLAGS -I"$d" $incs -DEMB_HEADER="\"$s.h\"" "$d/$s.c" "$d/${s}_stubs.c" embed/drive.c -o "$d/drive_$cc" &&
                "$d/drive_$cc" >"$d/out" || bad "$f ($v, $cc): the C and its stubs do not compile, link or run"
        done
        # the spec's cinclude'd headers are its user's (runtime/tcb.h is C, not C++): the C++
        # side sees empty stand-ins, the C objects the real ones
        for h in $(sed -n 's/^#include "\(.*\)"$/\1/p' "$d/$s.h"); do mkdir -p "$d/cxx/$(dirname "$h")"; : >"$d/cxx/$h"; done
        gcc $EMB_CFLAGS -I"$d" $incs -c "$d/$s.c" -o "$d/m.o" && gcc $EMB_CFLAGS -I"$d" $incs -c "$d/${s}_stubs.c" -o "$d/stubs.o" || { bad "$f ($v): C objects for C++"; continue; }
        for cxx in g++ clang++; do
            for std in c++11 c++20; do
                command -v $cxx >/dev/null || continue
                $cxx -std=$std $EMB_CXXFLAGS -I"$d/cxx" -I"$d" -DEMB_HEADER="\"$s.h\"" embed/drive.cpp "$d/m.o" "$d/stubs.o" -o "$d/drive_$cxx$std" &&
                    "$d/drive_$cxx$std" >"$d/out" || bad "$f ($v, $cxx -std=$std): the header does not compile as C++, or C++ does not link to it"
            done
        done; ok
    done
done
# 3e. --action-args=transition: each action is given the row it runs in, whether it runs as an
#     exit, transition or entry action (embed/record_test.c), in both styles; plain is the default
for st in table switch; do
    d="$T/record_$st"; rm -rf "$d"; mkdir -p "$d"
    "$FSMC" --emit=c --style=$st --action-args=transition -o "$d/record.c" embed/record.fsm &&
        ${CC:-cc} $EMB_CFLAGS -I"$d" "$d/record.c" embed/record_test.c -o "$d/record_test" &&
        "$d/record_test" >"$d/out" || bad "--action-args=transition ($st): an action did not get its transition"
    "$FSMC" --emit=c --style=$st --action-args=plain -o "$d/plain.c" golden/traffic_light.fsm &&
        "$FSMC" --emit=c --style=$st -o "$d/default.c" golden/traffic_light.fsm &&
        sed -i "s,plain\.,default.,g" "$d/plain.c" "$d/plain.h" && cmp -s "$d/plain.c" "$d/default.c" &&
        cmp -s "$d/plain.h" "$d/default.h" || bad "--action-args=plain ($st) is not the default output"
    ok
done
# 3f. --emit=stubs follows the output rules: alone to standard output, -o, --output-dir,
#     STEM_stubs.c next to other outputs; it includes STEM.h (the machine's name for stdin)
d="$T/stubs_out"; rm -rf "$d"; mkdir -p "$d/cwd"
(cd golden && "$FSMC" --emit=stubs traffic_light.fsm) >"$d/stdout.c" && cmp -s "$d/stdout.c" golden/traffic_light_stubs.c || bad "--emit=stubs alone does not write the stubs to standard output"
(cd golden && "$FSMC" --emit=stubs -o "$d/o.c" traffic_light.fsm) && cmp -s "$d/o.c" golden/traffic_light_stubs.c || bad "--emit=stubs -o FILE"
"$FSMC" --emit=stubs,c --output-dir="$d/dir" golden/traffic_light.fsm && [ -e "$d/dir/traffic_light_stubs.c" ] && [ -e "$d/dir/traffic_light.h" ] || bad "--emit=stubs,c --output-dir: no DIR/STEM_stubs.c"
G=$(pwd)/golden
(cd "$d/cwd" && "$FSMC" --emit=stubs,json "$G/traffic_light.fsm" && [ -e traffic_light_stubs.c ] && [ -e traffic_light.json ]) || bad "--emit=stubs,json: no STEM_stubs.c in the current directory"
"$FSMC" --emit=stubs - <golden/traffic_light.fsm | grep -q '^#include "traffic_light.h"$' || bad "--emit=stubs from standard input does not include the machine's header"

# 4. bad input: clear error, exit 1 (2 when unreadable), never a crash
expect_rc() { want=$1; shift; "$FSMC" "$@" >"$T/out" 2>&1; rc=$?; [ $rc = $want ] || bad "fsmc $* exited $rc, want $want: $(head -3 "$T/out")"; ok; }
head -c 4096 /dev/urandom >"$T/bin.fsm"; printf 'machine m {\0\1\2 }' >>"$T/bin.fsm"; expect_rc 1 "$T/bin.fsm"
python3 -c "print('state A;' * 1300000)" >"$T/big.fsm"; expect_rc 1 "$T/big.fsm"
printf 'machine m { /* never closed' >"$T/c.fsm"; expect_rc 1 "$T/c.fsm"; grep -q "unterminated comment: '/\*' has no '\*/' \[-Wsyntax\]" "$T/out" || bad "unterminated comment message"
printf 'machine m { cinclude "abc\n}' >"$T/s.fsm"; expect_rc 1 "$T/s.fsm"; grep -q 'unterminated string' "$T/out" || bad "unterminated string message"
python3 -c "print('{' * 10000 + '}' * 10000)" >"$T/br.fsm"; expect_rc 1 "$T/br.fsm"
: >"$T/empty.fsm"; expect_rc 1 "$T/empty.fsm"
printf "machine m { state A initial final; }" >"$T/noev.fsm"; expect_rc 1 "$T/noev.fsm"; grep -q "declares no events" "$T/out" || bad "no-events message"
python3 -c "print('machine m {' + ' '.join('state S%d initial; S%d on X -> Y;' % (i, i) for i in range(1000)) + '}')" >"$T/many.fsm"
expect_rc 1 "$T/many.fsm"; grep -q 'too many errors, stopping' "$T/out" || bad "max errors not applied"
expect_rc 2 "$T/does-not-exist.fsm"; expect_rc 2 --bogus x.fsm; expect_rc 2; expect_rc 2 -Wnonsense x.fsm
expect_rc 0 --help; grep -q -- '--emit=KIND' "$T/out" || bad "--help lacks --emit"
expect_rc 2 --emit=c --coverage=coverage/traffic_light.counts golden/traffic_light.fsm
grep -q -- '--coverage needs --emit=dot' "$T/out" || bad "--coverage without dot message"
expect_rc 2 --emit=dot -o "$T/x.dot" --coverage="$T/does-not-exist.counts" golden/traffic_light.fsm
expect_rc 2 --emit=dot --coverage= golden/traffic_light.fsm
head -c 4096 /dev/urandom >"$T/bin.counts"; expect_rc 1 --emit=dot -o "$T/x.dot" --coverage="$T/bin.counts" golden/traffic_light.fsm
expect_rc 0 --help; grep -q -- '--coverage=FILE' "$T/out" || bad "--help lacks --coverage"
expect_rc 2 --emit=c --action-args=row golden/traffic_light.fsm; grep -q "unknown --action-args 'row'" "$T/out" || bad "--action-args=row message"
expect_rc 2 --emit=dot --action-args=transition golden/traffic_light.fsm; grep -q -- '--action-args needs --emit=c or --emit=stubs' "$T/out" || bad "--action-args without c message"
expect_rc 0 --help; grep -q -- '--action-args=plain|transition' "$T/out" && grep -q 'stubs' "$T/out" || bad "--help lacks --action-args or stubs"
echo "fsmc tests: $n groups, $fail failures"
[ $fail = 0 ]
