#!/bin/sh
# libtcpfsm-packetdrill.so under test (make test-packetdrill).
#  1. so_selftest: the adapter driven through its table as packetdrill drives it, with a
#     tcpfsm stack as the network (always; no packetdrill needed).
#  2. Real packetdrill, when PACKETDRILL names its binary: every script of tests/packetdrill/
#     and tests/drill/ (its subdirectories too; must-fail/ is not run, known-bugs/ is expected
#     to fail), one line each (PASS, FAIL, XFAIL, XPASS, SKIP). A script says how it stands
#     with real packetdrill in a comment line:
#         // packetdrill-so: xfail <why>    expected to fail (counted, not an error)
#         // packetdrill-so: skip <why>     not run
#     Any FAIL (or an XPASS: the mark is stale) fails the test. PACKETDRILL_ARGS adds options
#     to every run (say --tolerance_usecs=10000 on a loaded machine); PACKETDRILL_SCRIPTS
#     replaces the list of scripts. --ip_version=ipv4 always: packetdrill would take the
#     family of the host's primary address, and the stack is IPv4 only. The adapter is also
#     preloaded, so that %{ }% code blocks can read tcpi_* (runtime/packetdrill/pd_preload.c).
# usage: packetdrill_so_test.sh LIBTCPFSM-PACKETDRILL.SO SO_SELFTEST
set -u
cd "$(dirname "$0")/../.." || exit 2
so=$1 selftest=$2
echo "== so_selftest"
timeout 60 "$selftest" "$so" || { echo "test-packetdrill: so_selftest FAILED"; exit 1; }

if [ -z "${PACKETDRILL:-}" ]; then
    echo "SKIP: PACKETDRILL not set: real packetdrill not run (docs/packetdrill.md builds it;" \
         "then make test-packetdrill PACKETDRILL=/path/to/packetdrill)"
    exit 0
fi
pd=$(command -v "$PACKETDRILL") || { echo "test-packetdrill: no program $PACKETDRILL"; exit 1; }
case $pd in /*) ;; *) pd=$PWD/$pd ;; esac # each script runs from its own directory

# packetdrill dlopens with RTLD_DEEPBIND, which AddressSanitizer's runtime refuses: a SAN=1
# adapter runs under so_selftest only.
if ldd "$so" 2>/dev/null | grep -q libasan; then
    echo "SKIP: real packetdrill cannot load a sanitizer build (it dlopens with RTLD_DEEPBIND);" \
         "so_selftest ran it"
    exit 0
fi
sopath=$(cd "$(dirname "$so")" && pwd)/$(basename "$so")
out=${TMPDIR:-/tmp}/packetdrill-so.$$
trap 'rm -f "$out"' EXIT

pass=0 fail=0 xfail=0 xpass=0 skip=0
for f in ${PACKETDRILL_SCRIPTS:-tests/packetdrill/*.pkt tests/drill/*.pkt tests/drill/*/*.pkt}; do
    [ -f "$f" ] || continue
    mark=$(sed -n 's,^[[:space:]]*//[[:space:]]*packetdrill-so:[[:space:]]*,,p' "$f" | head -1)
    case $f in
    */must-fail/*) continue ;; # written to fail, for tcpfsm-drill's diagnostics
    */known-bugs/*) mark=${mark:-xfail a known bug of the stack (tests/drill/known-bugs/)} ;;
    esac
    case $mark in
    skip*) echo "SKIP  $f (${mark#skip })"; skip=$((skip + 1)); continue ;;
    esac
    start=$(date +%s)
    # shellcheck disable=SC2086
    (cd "$(dirname "$f")" && LD_PRELOAD=$sopath timeout 300 "$pd" \
        --ip_version=ipv4 --so_filename="$sopath" ${PACKETDRILL_ARGS:-} "$(basename "$f")") \
        >"$out" 2>&1
    rc=$? secs=$(($(date +%s) - start))
    case $mark,$rc in
    xfail*,0) echo "XPASS $f (${secs}s): marked '$mark' but passes"; xpass=$((xpass + 1)) ;;
    xfail*,*) echo "XFAIL $f (${secs}s): ${mark#xfail }"; xfail=$((xfail + 1)) ;;
    *,0) echo "PASS  $f (${secs}s)"; pass=$((pass + 1)) ;;
    *) echo "FAIL  $f (${secs}s, exit $rc):"; sed 's/^/      /' "$out" | head -12
       fail=$((fail + 1)) ;;
    esac
done
echo "test-packetdrill: $pass passed, $fail failed, $xfail expected failures," \
     "$xpass unexpected passes, $skip skipped under $PACKETDRILL"
[ $fail = 0 ] && [ $xpass = 0 ]
