#!/bin/sh
# A server that closes first: tcpfsm-echo --daytime (RFC 867: on accept, one line, then close)
# over TUN, netcat-openbsd reading the line. Our FIN goes first, so the kernel passes through
# CLOSE-WAIT and LAST-ACK and keeps nothing, while we hold the 4-tuple in TIME-WAIT (the
# listing on SIGUSR1). A second nc from the same source port at once finds it there: Linux's
# SYN carries a newer timestamp, so RFC 6191 2 lets it open a new connection from TIME-WAIT
# (TimeWaitRecycled 1 in our counters at exit) instead of earning a challenge ACK, and the
# second line arrives as the first did. Linux's segments all carry timestamps (RFC 7323 3.2):
# TsMissingDrops stays 0.
# Usage: test_daytime_kernel.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_TOOLS=nc INTEROP_PROGS=tcpfsm-echo
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

# one line of RFC 867's suggested form, CR LF
daytime_line() {
    [ "$(wc -l <"$1")" -eq 1 ] || fail "$2: want one line, got $(wc -l <"$1"): $(cat "$1")"
    cr=$(printf '\r')
    re='^[A-Z][a-z]+day, [A-Z][a-z]+ [0-9]{2}, [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}-UTC'
    grep -qE "$re$cr\$" "$1" || fail "$2: not a daytime line: $(cat "$1")"
    say "ok: $2: $(tr -d '\r' <"$1")"
}

timeout 20 "$BIN/tcpfsm-echo" --daytime --tun "$DEV" --addr "$SADDR/24" -v --ss \
    --pcap "$W/daytime.pcap" 2>"$W/daytime.log" &
pid=$!
wait_tun

# 1. The first connection: we close first, the kernel keeps nothing, we hold TIME-WAIT.
timeout 5 nc -d -p 40013 "$SADDR" 13 >"$W/line1.txt" 2>"$W/nc1.log" ||
    fail "kernel nc (first) failed: $(cat "$W/nc1.log")"
daytime_line "$W/line1.txt" "first connection"
wait_kernel_gone "$KADDR:40013" "$SADDR:13" ||
    fail "the kernel still has $KADDR:40013 in $(kernel_state "$KADDR:40013" "$SADDR:13")"
stack_listing "$pid" "$W/daytime.log"
us=$(stack_state "$W/daytime.log" "$SADDR:13" "$KADDR:40013")
[ "$us" = TIME_WAIT ] ||
    fail "we closed first, want TIME_WAIT for $SADDR:13 $KADDR:40013 in our listing, got '$us'"
say "ok: server closed first: TIME_WAIT is ours ($us), the kernel has nothing"

# 2. The same 4-tuple again at once: RFC 6191 reopens it from TIME-WAIT.
timeout 5 nc -d -p 40013 "$SADDR" 13 >"$W/line2.txt" 2>"$W/nc2.log" ||
    fail "kernel nc (second, same port) failed: $(cat "$W/nc2.log")"
daytime_line "$W/line2.txt" "second connection from the same port"
stop "$pid"
# counter NAME: its value in the counters tcpfsm-echo --ss printed at exit
counter() {
    awk -v n="$1" '{ for (i = 1; i < NF; i++) if ($i == n) v = $(i + 1) } END { print v }' \
        "$W/daytime.log"
}
[ "$(counter TimeWaitRecycled)" = 1 ] ||
    fail "want TimeWaitRecycled 1 (RFC 6191), counters say '$(counter TimeWaitRecycled)'"
[ "$(counter ChallengeAcks)" = 0 ] || fail "the reopening SYN earned a challenge ACK"
[ "$(counter TsMissingDrops)" = 0 ] ||
    fail "TsMissingDrops $(counter TsMissingDrops): Linux sent a segment without a timestamp"
say "ok: the second SYN reopened TIME-WAIT (TimeWaitRecycled 1, no challenge ACK)"
check_pcap "$W/daytime.pcap" 13
pass
