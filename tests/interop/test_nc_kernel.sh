#!/bin/sh
# netcat-openbsd (Linux kernel TCP) and tcpfsm-nc over TUN, both directions at once, both
# roles: tcpfsm-nc -l with the kernel's nc connecting, then the kernel's nc -l with tcpfsm-nc
# connecting. Each side half-closes at EOF on its stdin. The kernel's nc stops sending once it
# has the peer's FIN, so tcpfsm-nc's stdin stays open until everything from nc has arrived,
# and its last 300000 bytes go out only after nc's FIN: data sent in CLOSE_WAIT, nc reading
# on after its own half-close. In both roles the kernel's nc sends its FIN first, so the kernel
# must hold the 4-tuple in TIME-WAIT (ss -tan state time-wait) while tcpfsm-nc's listing at
# exit (--ss) has nothing left for it (it closed second: LAST_ACK -> CLOSED).
# (The refused/reset error paths are in test_nc_errors.sh.)
# Usage: test_nc_kernel.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_TOOLS=nc INTEROP_PROGS=tcpfsm-nc
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

head -c 600000 /dev/urandom >"$W/a.bin"   # what tcpfsm-nc sends
head -c 400000 /dev/urandom >"$W/b.bin"   # what the kernel's nc sends
# feed_a OUTFILE: a.bin in two parts, the second once OUTFILE holds all of b.bin
feed_a() {
    head -c 300000 "$W/a.bin"
    wait_size "$1" 400000
    tail -c +300001 "$W/a.bin"
}

# 1. tcpfsm-nc listens, the kernel connects.
feed_a "$W/listen.got" | timeout 15 "$BIN/tcpfsm-nc" --tun "$DEV" --addr "$SADDR/24" -v \
    --ss --pcap "$W/nc-listen.pcap" -l 5000 >"$W/listen.got" 2>"$W/nc-listen.log" &
pid=$!
wait_tun
timeout 10 nc -N "$SADDR" 5000 <"$W/b.bin" >"$W/kernel1.got" 2>"$W/kernel-nc1.log" ||
    fail "kernel nc (connecting) failed: $(cat "$W/kernel-nc1.log")"
wait "$pid" || fail "tcpfsm-nc -l exited with status $?"
same_file "$W/b.bin" "$W/listen.got" "kernel nc -> tcpfsm-nc -l"
same_file "$W/a.bin" "$W/kernel1.got" "tcpfsm-nc -l -> kernel nc"
# the kernel's side closed first: TIME-WAIT is the kernel's
# kernel_only_time_wait NAME LOCALPORT PEERPORT NCLOG: the kernel has exactly one TIME-WAIT
# with that local/peer port (the other port is the ephemeral one) and tcpfsm-nc nothing.
kernel_only_time_wait() {
    tw=$(ss -tanH state time-wait | awk -v l="$2" -v p="$3" \
        '(l == "" || $3 == l) && (p == "" || $4 == p) { print $3 " " $4 }')
    [ "$(echo "$tw" | grep -c .)" -eq 1 ] ||
        fail "$1: the kernel closed first, want one TIME-WAIT in ss -tan, got '$tw'"
    grep -q 'tcpfsm_ss at exit:' "$4" || fail "$1: tcpfsm-nc --ss printed no listing"
    us=$(stack_state "$4" "${tw#* }" "${tw% *}")
    [ -z "$us" ] || fail "$1: tcpfsm-nc closed second, yet its listing has ${tw#* } ${tw% *} in $us"
    say "ok: $1: kernel closed first: ss -tan state time-wait shows $tw; tcpfsm_ss at exit: nothing for it"
}
kernel_only_time_wait "tcpfsm-nc -l" "" "$SADDR:5000" "$W/nc-listen.log"
check_pcap "$W/nc-listen.pcap" 5000

# 2. The kernel listens, tcpfsm-nc connects.
timeout 15 nc -l -N "$KADDR" 6000 <"$W/b.bin" >"$W/kernel2.got" 2>"$W/kernel-nc2.log" &
kpid=$!
sleep 0.2
feed_a "$W/connect.got" | timeout 10 "$BIN/tcpfsm-nc" --tun "$DEV" --addr "$SADDR/24" -v \
    --ss --pcap "$W/nc-connect.pcap" "$KADDR" 6000 >"$W/connect.got" 2>"$W/nc-connect.log" ||
    fail "tcpfsm-nc (connecting) exited with status $?"
wait "$kpid" || fail "kernel nc -l exited with status $?"
same_file "$W/b.bin" "$W/connect.got" "kernel nc -l -> tcpfsm-nc"
same_file "$W/a.bin" "$W/kernel2.got" "tcpfsm-nc -> kernel nc -l"
kernel_only_time_wait "tcpfsm-nc connecting" "$KADDR:6000" "" "$W/nc-connect.log"
check_pcap "$W/nc-connect.pcap" 6000
pass

