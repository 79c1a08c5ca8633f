#!/bin/sh
# tests/drill/run.sh DRILL [DIR] — run the packetdrill scripts of DIR (default: this script's
# directory) with tcpfsm-drill, one fresh stack each, one line per script, then the summary
# "drill: N passed, M failed". Exit status 1 if any script did not do what it must:
#   DIR/*.pkt, DIR/AREA/*.pkt   must pass (exit status 0); AREA is a subdirectory per RFC
#                         area (handshake, rfc5961, rfc7323...), counted apart in the summary;
#   DIR/must-fail/*.pkt   must fail as they say: the exit status of their "// status: N" line
#                         (default 1), and every "// error: TEXT" line's TEXT in what
#                         tcpfsm-drill prints (the checks of the drill's own diagnostics);
#   DIR/known-bugs/*.pkt  scripts that found a stack bug not fixed yet: they must still fail
#                         (with status 1). One that passes is reported: the bug is fixed, move
#                         the script to DIR.
set -u
drill=$1
dir=${2:-$(dirname "$0")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 known=0
start=$(date +%s.%N)

run() { # script -> $status, output in $tmp/out
    timeout 60 "$drill" "$1" >"$tmp/out" 2>&1
    status=$?
}

: >"$tmp/areas"
for f in "$dir"/*.pkt "$dir"/*/*.pkt; do
    [ -e "$f" ] || continue
    case "$f" in "$dir"/must-fail/* | "$dir"/known-bugs/*) continue ;; esac
    area=$(basename "$(dirname "$f")"); [ "$f" = "$dir/$(basename "$f")" ] && area=basics
    run "$f"
    if [ "$status" -eq 0 ]; then
        echo "PASS $f"; pass=$((pass + 1)); echo "$area pass" >>"$tmp/areas"
    else
        echo "FAIL $f (status $status)"; sed 's/^/    /' "$tmp/out"; fail=$((fail + 1))
        echo "$area fail" >>"$tmp/areas"
    fi
done

for f in "$dir"/must-fail/*.pkt; do
    [ -e "$f" ] || continue
    want=$(sed -n 's,^// status: *\([0-9]*\).*,\1,p' "$f" | head -1)
    run "$f"
    why=""
    [ "$status" -eq "${want:-1}" ] || why="exit status $status, want ${want:-1}"
    sed -n 's,^// error: *,,p' "$f" >"$tmp/errors"
    [ -s "$tmp/errors" ] || why="${why:+$why; }no '// error:' line says what it must print"
    while IFS= read -r text; do
        grep -qF -e "$text" "$tmp/out" || why="${why:+$why; }does not print: $text"
    done <"$tmp/errors"
    if [ -z "$why" ]; then
        echo "PASS $f (fails as it must)"; pass=$((pass + 1))
    else
        echo "FAIL $f: $why"; sed 's/^/    /' "$tmp/out"; fail=$((fail + 1))
    fi
done

for f in "$dir"/known-bugs/*.pkt; do
    [ -e "$f" ] || continue
    run "$f"
    if [ "$status" -eq 1 ]; then
        echo "KNOWN $f: a stack bug, still failing: $(sed -n 's/^[^:]*:\([0-9]*\): /line \1: /p' \
            "$tmp/out" | head -1 | cut -c1-90)"
        known=$((known + 1))
    else
        echo "FAIL $f: exit status $status, no longer the known failure (fixed? move it to $dir)"
        sed 's/^/    /' "$tmp/out"; fail=$((fail + 1))
    fi
done

# per area: "drill: rfc7323 12/12"
sort "$tmp/areas" | awk '{ n[$1]++; if ($2 == "pass") p[$1]++ }
    END { for (a in n) printf "drill: %-12s %d/%d passed\n", a, p[a], n[a] }' | sort
secs=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
echo "drill: $pass passed, $fail failed ($known known stack bugs still failing, in" \
     "$dir/known-bugs; ${secs} s)"
[ "$fail" -eq 0 ]
