#!/bin/sh
# 10,000 concurrent keep-alive HTTP clients (the Linux kernel's TCP, bench/http_load.c: one
# thread, epoll) against tcpfsm-httpd over TUN. The clients open their 10,000 connections (at
# most 128 handshakes in flight, the listener's backlog), then each does REQUESTS `GET /` one
# at a time on its connection while all 10,000 stay open; every response must be a 200 whose
# bytes are those of the first one and whose body is the page curl got first: zero refused,
# reset, timed-out, closed or bad responses. While the clients hold their connections open
# afterwards, the stack's own listing (SIGUSR1) must show all 10,000 ESTABLISHED; once the
# clients have closed (they close first), within SETTLE seconds it may hold nothing but the
# listener (no CLOSE_WAIT/LAST_ACK left behind, and it has no TIME_WAIT: it closed second), and
# the kernel nothing to the server but TIME-WAIT. At exit tcpfsm-httpd's counters must say
# CurrEstab 0, BufferBytes 0, and -v must have logged every request.
#
# Limits: tcpfsm-httpd's defaults fit and are what is tested (max_sockets 65,536 descriptors;
# buffer memory 64 MiB, charged as used: an idle connection holds no buffer and a response
# in flight ~330 bytes, so 10,000 at once need ~4 MiB). The kernel -> TUN queue is set to
# 20,000 packets, so that a burst of 10,000 requests is not dropped on the way to the stack
# (drops would only cost retransmissions, but they are not what is tested here). The client
# raises its own RLIMIT_NOFILE (10,064 descriptors).
#
# The load generator: $HTTP_LOAD (tests/interop/interop.mk builds it from bench/http_load.c
# with the project's flags), else it is compiled here with cc.
# Usage: test_httpd_10k_clients.sh BINDIR [WORKDIR]
# interop-timeout: 100
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_PROGS=tcpfsm-httpd
INTEROP_TOOLS=curl
. "$(dirname "$0")/lib.sh"
INTEROP_TIMEOUT=90
interop_enter "$@"

NCLIENTS=10000
REQUESTS=5
WINDOW=128  # handshakes in flight at once: tcpfsm-httpd's listen backlog
HOLD=3      # seconds the clients keep their connections open after the last response
SETTLE=40   # seconds the stack may take to end every connection after the clients closed

ip link set dev "$DEV" txqueuelen 20000 || fail "cannot set txqueuelen of $DEV"

load=$(http_load_bin)
[ -x "$load" ] || fail "no load generator (bench/http_load.c)"

timeout $((INTEROP_TIMEOUT - 5)) "$BIN/tcpfsm-httpd" --tun "$DEV" --addr "$SADDR/24" --port 80 \
    -v --ss >"$W/httpd.log" 2>&1 &
tpid=$!
wait_tun

# kernel_to_server: the kernel's sockets to the server, "STATE COUNT" lines.
kernel_to_server() {
    ss -tanH | awk -v p="$SADDR:80" '$5 == p { c[$1]++ } END { for (s in c) print s, c[s] }' | sort
}

# The page as curl sees it: the body every one of the 50,000 responses must carry.
curl -sf --max-time 5 -o "$W/page.html" "http://$SADDR/" || fail "curl could not fetch /"
grep -q '</html>' "$W/page.html" || fail "curl's page is not the built-in page"

t0=$(date +%s%N)
timeout 60 "$load" "$SADDR" 80 --conns $NCLIENTS --requests $REQUESTS --connect-window $WINDOW \
    --io-timeout 20 --timeout 45 --body "$W/page.html" --hold $HOLD \
    >"$W/load.out" 2>"$W/load.log" &
lpid=$!
# The summary line comes before the hold: the connections are all open while it lasts.
i=0
until grep -q '^http_load:' "$W/load.out" 2>/dev/null; do
    kill -0 $lpid 2>/dev/null || break
    i=$((i + 1))
    [ $i -le 1000 ] || fail "http_load printed no summary within 50 s"
    sleep 0.05
done
sed "s/^/$T: /" "$W/load.log"
summary=$(grep '^http_load:' "$W/load.out") || { wait $lpid; fail "http_load printed no summary"; }
say "$summary"
get() { printf '%s\n' "$summary" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
[ "$(get errors)" = 0 ] || fail "$(get errors) failed requests/connections (kinds above)"
[ "$(get connected)" = $NCLIENTS ] || fail "$(get connected) of $NCLIENTS clients connected"
[ "$(get requests)" = $((NCLIENTS * REQUESTS)) ] ||
    fail "$(get requests) of $((NCLIENTS * REQUESTS)) requests answered"
[ "$(get open_at_end)" = $NCLIENTS ] || fail "$(get open_at_end) connections open at the end"
say "ok: $NCLIENTS clients connected in $(get connect_secs) s ($(get slow_connects) waited for" \
    "a SYN retransmission), then $((NCLIENTS * REQUESTS)) GET / all 200 with the page" \
    "($(get resp_bytes) bytes each) in $(get secs) s: $(get rate) req/s, latency p50" \
    "$(get p50_us) us, p99 $(get p99_us) us"

stack_listing "$tpid" "$W/httpd.log"
est=$(stack_states "$W/httpd.log" | awk '$1 == "ESTABLISHED" { print $2 }')
kill -0 $lpid 2>/dev/null ||
    fail "http_load ended before the listing was taken: its --hold $HOLD was too short"
[ "${est:-0}" = $NCLIENTS ] ||
    fail "tcpfsm_ss lists ${est:-0} ESTABLISHED, want $NCLIENTS:" \
        "$(stack_states "$W/httpd.log" | tr '\n' ' ')"
say "ok: while the clients hold them, tcpfsm_ss lists all $NCLIENTS connections ESTABLISHED"

wait $lpid || fail "http_load exited with status $? (see $W/load.log)"
t1=$(date +%s%N)

# The clients closed first: within SETTLE seconds the stack may hold nothing but the listener,
# the kernel nothing but TIME-WAIT.
while :; do
    stack_listing "$tpid" "$W/httpd.log"
    st=$(stack_states "$W/httpd.log" | tr '\n' ' ')
    kbusy=$(kernel_to_server | awk '$1 != "TIME-WAIT" { n += $2 } END { print n + 0 }')
    [ "$st" != "LISTEN 1 " ] || [ "$kbusy" -ne 0 ] || break
    if [ $(($(date +%s%N) - t1)) -gt $((SETTLE * 1000000000)) ]; then
        fail "$SETTLE s after the clients closed, tcpfsm_ss: $st; kernel: $(kernel_to_server |
            tr '\n' ' ')"
    fi
    sleep 0.5
done
ktw=$(kernel_to_server | awk '$1 == "TIME-WAIT" { print $2 }')
say "ok: $(($(($(date +%s%N) - t1)) / 1000000)) ms after the clients closed, tcpfsm_ss holds" \
    "only the listener; the kernel ${ktw:-0} TIME-WAIT to $SADDR:80, nothing else"
say "ok: $DEV: $(link_drops) packets dropped by the kernel on the way to the stack"

stop "$tpid"
grep -q 'counters (tcpfsm_get_stats) at exit:' "$W/httpd.log" ||
    fail "tcpfsm-httpd --ss printed no counters at exit"
ctr() {
    sed -n '/counters (tcpfsm_get_stats) at exit:/,$p' "$W/httpd.log" |
        awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}
[ "$(ctr CurrEstab)" = 0 ] || fail "CurrEstab is $(ctr CurrEstab) after every client closed"
[ "$(ctr BufferBytes)" = 0 ] ||
    fail "BufferBytes is $(ctr BufferBytes) with no connection left (buffer memory not given back)"
[ "$(ctr PassiveOpens)" -ge $((NCLIENTS + 1)) ] ||
    fail "PassiveOpens $(ctr PassiveOpens), want at least $((NCLIENTS + 1)) (the clients', curl's)"
served=$(grep -c ' GET / -> 200' "$W/httpd.log" || true)
[ "$served" -eq $((NCLIENTS * REQUESTS + 1)) ] ||
    fail "tcpfsm-httpd -v logged $served requests, want $((NCLIENTS * REQUESTS + 1))"
say "ok: tcpfsm-httpd served $served requests; CurrEstab 0, BufferBytes 0 at exit;" \
    "ListenDrops $(ctr ListenDrops), SynCookiesSent $(ctr SynCookiesSent)," \
    "RetransSegs $(ctr RetransSegs); whole run $((($(date +%s%N) - t0) / 1000000)) ms"
pass
