#!/bin/sh
# tests/build/build_test.sh MAKE BUILD SAN BIN — the build runs the spec as it is now, and
# never the committed generated/ (which only `make regen` writes and check-regen compares):
#   - an edited spec/tcp.fsm is compiled by fsmc into BUILD/gen, and the library and every
#     example program are rebuilt from it;
#   - an edited generated/tcp.c rebuilds nothing, and no compile line reads generated/;
#   - make demo regenerates generated/ before it builds and before the demo runs.
# Dry runs only (make -n -W FILE pretends FILE was just edited): nothing is written.
set -u
make=$1 build=$2 san=$3 bin=$4
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok()  { echo "PASS: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
m() { "$make" --no-print-directory SAN="$san" "$@"; }

# -o BIN/fsmc: fsmc counts as up to date (a dry run cannot know that remaking it would change
# nothing, and would then show everything built from its output as remade).
dry() { m -n -o "$bin/fsmc" "$@" build-all >"$tmp/out" 2>&1 || bad "make -n $* build-all failed: $(tail -3 "$tmp/out")"; }
dry
if grep -q "runtime/tcp/tcp_fsm_glue\.c" "$tmp/out"; then
    bad "the build is not up to date before the test, cannot tell: $(head -3 "$tmp/out" | cut -c1-160)"
fi
dry -W spec/tcp.fsm
missing=""
grep -q "fsmc --emit=c --output-dir=$build/gen spec/tcp.fsm" "$tmp/out" || missing="$missing fsmc->$build/gen"
grep -q " -c .*runtime/tcp/tcp_fsm_glue\.c" "$tmp/out" || missing="$missing tcp_fsm_glue.o"
grep -q "libtcpfsm\.a " "$tmp/out" || missing="$missing libtcpfsm.a"
for p in tcpfsm-echo tcpfsm-httpd tcpfsm-nc tcpfsm-demo; do
    grep -q -- "-o $bin/$p " "$tmp/out" || missing="$missing $p"
done
if [ -z "$missing" ]; then ok "an edited spec/tcp.fsm is regenerated into $build/gen and rebuilds the library and examples"
else bad "after a spec edit make would not redo:$missing"; fi
m -n -W "$bin/fsmc" build-all >"$tmp/out" 2>&1
if grep -q "fsmc --emit=c --output-dir=$build/gen spec/tcp.fsm" "$tmp/out"; then ok "a new fsmc regenerates $build/gen"
else bad "a new fsmc would not regenerate $build/gen"; fi

dry -W generated/tcp.c -W generated/tcp.h
if grep -q "tcp_fsm_glue" "$tmp/out"; then bad "an edit of generated/tcp.c would rebuild the runtime (the build reads generated/)"
else ok "the build does not depend on the committed generated/"; fi
m -n -B build-all >"$tmp/out" 2>&1
if grep -E -- '-Igenerated|[ /]generated/' "$tmp/out" | grep -q .; then
    bad "a compile line reads generated/: $(grep -E -- '-Igenerated|[ /]generated/' "$tmp/out" | head -1 | cut -c1-200)"
else ok "no compile line of make build-all reads generated/"; fi

# make demo: deps, then regen, then the build, then the run. The $(MAKE) lines run even
# under -n (as dry runs themselves); the order of their command lines is the order of work.
m -n demo >"$tmp/demo" 2>&1
line() { grep -n -e "$1" "$tmp/demo" | head -1 | cut -d: -f1; }
r=$(line "^$make regen\$") b=$(line "^$make -j2 build-all\$") d=$(line "tcpfsm-demo --trace")
if [ -n "$r" ] && [ -n "$b" ] && [ -n "$d" ] && [ "$r" -lt "$b" ] && [ "$b" -lt "$d" ]; then
    ok "make demo regenerates (line $r), then builds (line $b), then runs (line $d)"
else bad "make demo order: regen at '${r:-none}', build-all at '${b:-none}', run at '${d:-none}'"; fi

[ "$fail" -eq 0 ] && echo "test-build: the build follows spec/, never generated/"
exit "$fail"
