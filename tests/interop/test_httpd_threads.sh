#!/bin/sh
# tcpfsm-httpd --threads 2 (one stack per thread, tcpfsm_shards.h) on a multi-queue TUN device
# against the Linux kernel's TCP: 2,000 concurrent keep-alive clients (bench/http_load.c), 5
# GET / each, all answered 200 with the page; while the clients hold their connections, the
# merged listing (SIGUSR1) shows all 2,000 ESTABLISHED and both shards hold and accepted some
# (each shard accepts the flows that hash to it, whichever queue the kernel chose); once the
# clients closed, nothing but the two listeners is left (one per shard) and the merged counters
# at exit say CurrEstab 0 and BufferBytes 0.
# Usage: test_httpd_threads.sh BINDIR [WORKDIR]
# interop-timeout: 60
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_PROGS=tcpfsm-httpd
INTEROP_TOOLS=curl
INTEROP_MULTI_QUEUE=1
. "$(dirname "$0")/lib.sh"
INTEROP_TIMEOUT=55
interop_enter "$@"

NCLIENTS=2000
REQUESTS=5
HOLD=3
SETTLE=20

load=$(http_load_bin)
[ -x "$load" ] || fail "no load generator (bench/http_load.c)"

timeout $((INTEROP_TIMEOUT - 5)) "$BIN/tcpfsm-httpd" --tun "$DEV" --threads 2 \
    --addr "$SADDR/24" --port 80 -v --ss >"$W/httpd.log" 2>&1 &
tpid=$!
wait_tun

# shard_field LOG SHARD FIELD: FIELD's value on the last "shard N:" line of LOG.
shard_field() {
    grep "tcpfsm-httpd: shard $2:" "$1" | tail -1 |
        awk -v k="$3" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}

curl -sf --max-time 5 -o "$W/page.html" "http://$SADDR/" || fail "curl could not fetch /"
grep -q '</html>' "$W/page.html" || fail "curl's page is not the built-in page"

timeout 40 "$load" "$SADDR" 80 --conns $NCLIENTS --requests $REQUESTS --io-timeout 15 \
    --timeout 35 --body "$W/page.html" --hold $HOLD >"$W/load.out" 2>"$W/load.log" &
lpid=$!
i=0
until grep -q '^http_load:' "$W/load.out" 2>/dev/null; do
    kill -0 $lpid 2>/dev/null || break
    i=$((i + 1))
    [ $i -le 700 ] || fail "http_load printed no summary within 35 s"
    sleep 0.05
done
summary=$(grep '^http_load:' "$W/load.out") || { wait $lpid; fail "http_load printed no summary"; }
say "$summary"
get() { printf '%s\n' "$summary" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
[ "$(get errors)" = 0 ] || fail "$(get errors) failed requests/connections (see load.log)"
[ "$(get requests)" = $((NCLIENTS * REQUESTS)) ] ||
    fail "$(get requests) of $((NCLIENTS * REQUESTS)) requests answered"
say "ok: $NCLIENTS clients, $((NCLIENTS * REQUESTS)) GET / all 200 with the page:" \
    "$(get rate) req/s, p50 $(get p50_us) us, p99 $(get p99_us) us"

stack_listing "$tpid" "$W/httpd.log"
kill -0 $lpid 2>/dev/null || fail "http_load ended before the listing was taken"
est=$(stack_states "$W/httpd.log" | awk '$1 == "ESTABLISHED" { print $2 }')
[ "${est:-0}" = $NCLIENTS ] ||
    fail "the merged listing has ${est:-0} ESTABLISHED, want $NCLIENTS"
e0=$(shard_field "$W/httpd.log" 0 CurrEstab)
e1=$(shard_field "$W/httpd.log" 1 CurrEstab)
[ "${e0:-0}" -gt 0 ] && [ "${e1:-0}" -gt 0 ] ||
    fail "connections per shard: ${e0:-?} and ${e1:-?}; both shards should hold some"
[ $((e0 + e1)) -eq $NCLIENTS ] || fail "shards hold $e0 + $e1, want $NCLIENTS"
say "ok: the merged listing shows $NCLIENTS ESTABLISHED: shard 0 holds $e0, shard 1 $e1;" \
    "$(shard_field "$W/httpd.log" 0 Forwarded) and $(shard_field "$W/httpd.log" 1 Forwarded)" \
    "packets came in on the other shard's queue and were forwarded to their owner"
grep "tcpfsm-httpd: shard" "$W/httpd.log" | tail -2 | sed "s/^/$T: /"

wait $lpid || fail "http_load exited with status $?"
t1=$(date +%s)
while :; do
    stack_listing "$tpid" "$W/httpd.log"
    st=$(stack_states "$W/httpd.log" | tr '\n' ' ')
    [ "$st" != "LISTEN 2 " ] || break
    [ $(($(date +%s) - t1)) -le $SETTLE ] ||
        fail "$SETTLE s after the clients closed, the merged listing holds: $st"
    sleep 0.5
done
say "ok: after the clients closed, only the two listeners (one per shard) are left"

stop "$tpid"
ctr() {
    sed -n '/counters (tcpfsm_get_stats) at exit:/,$p' "$W/httpd.log" |
        awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}
[ -n "$(ctr CurrEstab)" ] || fail "no merged counters at exit (--ss)"
[ "$(ctr CurrEstab)" = 0 ] || fail "CurrEstab is $(ctr CurrEstab) at exit"
[ "$(ctr BufferBytes)" = 0 ] || fail "BufferBytes is $(ctr BufferBytes) at exit"
served=$(grep -c ' GET / -> 200' "$W/httpd.log" || true)
[ "$served" -eq $((NCLIENTS * REQUESTS + 1)) ] ||
    fail "tcpfsm-httpd -v logged $served requests, want $((NCLIENTS * REQUESTS + 1))"
say "ok: $served requests logged by the two threads; merged CurrEstab 0, BufferBytes 0 at exit"
pass
