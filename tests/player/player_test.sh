#!/bin/sh
# tests/player/player_test.sh PLAYER OUTDIR [DEMO] — make test-player (tests/player/player.mk).
#   1. every trace in tests/player/must-fail/ is refused: exit 1 and "FILE: error: WHAT" as
#      expected.txt says; bad options exit 2;
#   2. the page of fixtures/handshake.json: one file, no URL but its own, a title that tries
#      to end the <script> element stays text;
#   3. in headless Chromium (player_test.mjs): the page shows, step by step and in both views,
#      what the trace says; a doctored expectation must fail (the checks can fail);
#   4. once DEMO writes traces (tcpfsm-demo --trace-json), the same on its handshake scenario.
# Steps 3 and 4 need node, Chromium and tests/diagrams/node_modules (sh .ci/deps.sh): without
# them they print SKIP, unless CI is set.
set -u
player=$1 out=$2 demo=${3:-}
cd "$(dirname "$0")/../.." || exit 2
T=tests/player
fail=0
bad() { echo "test-player: FAIL: $*"; fail=1; }
rm -rf "$out" && mkdir -p "$out"

# 1. must-fail
n=0
while IFS='|' read -r f want; do
    case $f in '#'* | '') continue ;; esac
    n=$((n + 1))
    "$player" --check "$T/must-fail/$f" >"$out/mf.out" 2>"$out/mf.err"
    rc=$?
    [ "$rc" = 1 ] || bad "must-fail/$f: exit $rc, want 1"
    grep -qF -- "$T/must-fail/$f: error: $want" "$out/mf.err" ||
        bad "must-fail/$f: said '$(head -1 "$out/mf.err")', want '$T/must-fail/$f: error: $want'"
    [ -s "$out/mf.out" ] && bad "must-fail/$f: wrote to standard output"
done <"$T/must-fail/expected.txt"
[ "$n" -eq "$(ls "$T"/must-fail/*.json | wc -l)" ] || bad "must-fail/expected.txt does not list every *.json"
for opts in "--bogus $T/fixtures/handshake.json" "--view sideways $T/fixtures/handshake.json" "" \
    "$T/fixtures/handshake.json $T/fixtures/handshake.json"; do
    # shellcheck disable=SC2086
    "$player" $opts >/dev/null 2>&1
    rc=$?
    [ "$rc" = 2 ] || bad "tcpfsm-player $opts: exit $rc, want 2"
done
"$player" --check "$T/fixtures/handshake.json" >"$out/check.out" || bad "--check refused the fixture"
[ -s "$out/check.out" ] && bad "--check wrote something"
[ "$fail" = 0 ] && echo "test-player: $n must-fail traces refused with their messages, bad options exit 2"

# 2. the fixture's page
page=$out/handshake.html
"$player" -o "$page" "$T/fixtures/handshake.json" || bad "tcpfsm-player failed on fixtures/handshake.json"
"$player" "$T/fixtures/handshake.json" | cmp -s - "$page" || bad "standard output and -o differ"
"$player" --view full - <"$T/fixtures/handshake.json" | grep -q 'data-initial-view="full"' ||
    bad "--view full (trace on standard input) does not open on the full view"
if grep -Eq '(src|href)="(https?:)?//' "$page"; then bad "the page names a URL: $(grep -Eo '(src|href)="[^"]*"' "$page" | head -1)"; fi
[ "$(grep -c '<svg' "$page")" = 2 ] || bad "the page does not hold both diagrams"
sed 's|"title": "[^"]*"|"title": "</script><script>document.title=\\"owned\\"</script><!-- \& <b>"|' \
    "$T/fixtures/handshake.json" >"$out/script-title.json"
"$player" -o "$out/script-title.html" "$out/script-title.json" || bad "a title with </script> was refused"
[ "$(grep -ci '</script' "$out/script-title.html")" = "$(grep -ci '</script' "$page")" ] ||
    bad "a </script> in the trace reached the page as markup"
echo "test-player: page of fixtures/handshake.json: $(wc -c <"$page") bytes"

# 3. and 4. in the browser
if ! command -v node >/dev/null 2>&1 || [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
    [ ! -d tests/diagrams/node_modules/playwright-core ]; then
    if [ -n "${CI:-}" ]; then bad "no node, Chromium or tests/diagrams/node_modules (sh .ci/deps.sh)"; exit 1; fi
    echo "SKIP: test-player in the browser: no node, Chromium or tests/diagrams/node_modules (sh .ci/deps.sh)"
    exit "$fail"
fi
node "$T/player_test.mjs" "$page" "$T/fixtures/handshake.json" "$out" handshake || fail=1
node "$T/player_test.mjs" "$out/script-title.html" "$out/script-title.json" "$out" script-title || fail=1
sed 's/"transition": 21,/"transition": 22,/' "$T/fixtures/handshake.json" >"$out/doctored.json"
node "$T/player_test.mjs" "$page" "$out/doctored.json" "$out/doctored" doctored --expect-fail || fail=1

if [ -n "$demo" ] && [ -x "$demo" ] && "$demo" --help 2>&1 | grep -q -- --trace-json; then
    if "$demo" --scenario handshake --trace-json "$out/demo-handshake.json" >"$out/demo.out" 2>&1; then
        if "$player" -o "$out/demo-handshake.html" "$out/demo-handshake.json"; then
            node "$T/player_test.mjs" "$out/demo-handshake.html" "$out/demo-handshake.json" "$out" demo-handshake || fail=1
        else bad "tcpfsm-player refused tcpfsm-demo's trace"; fi
    else bad "tcpfsm-demo --scenario handshake --trace-json failed: $(tail -2 "$out/demo.out")"; fi
else
    echo "test-player: tcpfsm-demo has no --trace-json yet: played the fixture only"
fi
[ "$fail" = 0 ] && echo "test-player: the player shows every step of its traces; screenshots in $out"
exit "$fail"
