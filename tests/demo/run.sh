#!/bin/sh
# tests/demo/run.sh BINDIR WORKDIR check|regen — see tests/demo/demo.mk.
set -u
bin=$1 work=$2 mode=$3
here=$(cd "$(dirname "$0")" && pwd)
demo=$bin/tcpfsm-demo
rm -rf "$work" && mkdir -p "$work" || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }

names=$("$demo" --list | awk '{ print $1 }')
[ -n "$names" ] || { echo "FAIL: tcpfsm-demo --list listed nothing"; exit 1; }
for n in $names; do
    out=$work/$n.out
    if ! timeout 60 "$demo" --scenario "$n" --pcap "$work/$n.pcap" --trace-json "$work/$n.json" \
        >"$out" 2>"$work/$n.err"; then
        bad "$n: exit status $? (checks: $(head -3 "$work/$n.err"))"
        continue
    fi
    # the capture's name is the run's, not the golden's
    grep -v '^== capture written to ' "$out" >"$out.trace"
    if [ "$mode" = regen ]; then
        cp "$out.trace" "$here/$n.golden"
        echo "regen-demo: tests/demo/$n.golden"
        continue
    fi
    if [ ! -f "$here/$n.golden" ]; then
        bad "$n: no tests/demo/$n.golden (make regen-demo writes it)"
    elif ! diff -u "$here/$n.golden" "$out.trace" >"$work/$n.diff"; then
        bad "$n: the trace differs from tests/demo/$n.golden:"
        head -30 "$work/$n.diff"
    fi
    python3 "$here/check_json.py" "$work/$n.json" "$work/$n.pcap" || bad "$n: --trace-json"
    # the same run again: the same capture, byte for byte (fixed epoch, virtual clock, seed)
    timeout 60 "$demo" --scenario "$n" --pcap "$work/$n.again.pcap" >/dev/null 2>&1
    cmp -s "$work/$n.pcap" "$work/$n.again.pcap" || bad "$n: the capture differs between two runs"
done
[ "$mode" = regen ] && exit $fail
for g in "$here"/*.golden; do
    n=$(basename "$g" .golden)
    echo "$names" | grep -qx "$n" || bad "tests/demo/$n.golden has no scenario"
done
# an unknown scenario: a message and exit status 2
"$demo" --scenario no-such-lesson >/dev/null 2>"$work/unknown.err"
rc=$?
[ $rc -eq 2 ] || bad "an unknown scenario exits $rc, not 2"
grep -q "no scenario 'no-such-lesson'" "$work/unknown.err" || bad "an unknown scenario says: $(cat "$work/unknown.err")"
# the default run's JSON and capture agree too (a loss rate, so lost frames are in it)
timeout 60 "$demo" --bytes 30000 --loss 0.05 --seed 3 --pcap "$work/default.pcap" \
    --trace-json "$work/default.json" >"$work/default.out" 2>&1 || bad "the default run with loss failed"
python3 "$here/check_json.py" "$work/default.json" "$work/default.pcap" || bad "default run: --trace-json"
if [ $fail -eq 0 ]; then
    echo "test-demo: $(echo "$names" | wc -l) scenarios match their goldens; JSON traces agree with their captures"
fi
exit $fail
