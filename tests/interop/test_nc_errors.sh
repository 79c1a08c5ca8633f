#!/bin/sh
# us -> Linux, the error paths of tcpfsm-nc against the kernel's TCP:
#   1. connect to a closed port: the kernel answers the SYN with RST; tcpfsm-nc must fail at
#      once (no SYN retransmission) with status 1 and "Connection refused (ECONNREFUSED)";
#   2. the Linux side aborts an idle connection (python3: SO_LINGER {1,0}, then close: RST)
#      after a small exchange; tcpfsm-nc must print "Connection reset by peer (ECONNRESET)" and
#      exit 1, having written what arrived before the reset;
#   3. the same abort in the middle of a 20 MiB upload (the server stops reading after 1 MiB).
# After each abort neither side may keep anything for the 4-tuple (ss -tan, tcpfsm-nc --ss).
# Usage: test_nc_errors.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_PROGS=tcpfsm-nc
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

NC="$BIN/tcpfsm-nc --tun $DEV --addr $SADDR/24 --ss"
PCAP_ALLOW=tcp.connection.rst # the resets are what this test is about

# expect_fail NAME STATUS LOG MESSAGE
expect_fail() {
    [ "$2" -eq 1 ] || fail "$1: tcpfsm-nc exited with status $2, want 1 ($(cat "$3"))"
    grep -q "$4" "$3" || fail "$1: no '$4' in: $(grep -v '^[A-Z_]* *[0-9]' "$3")"
}

# 1. Nobody listens on port 6999.
t0=$(date +%s%N)
st=0
# shellcheck disable=SC2086
timeout 10 $NC --pcap "$W/refused.pcap" "$KADDR" 6999 </dev/null >/dev/null 2>"$W/refused.log" || st=$?
ms=$((($(date +%s%N) - t0) / 1000000))
expect_fail "closed port" $st "$W/refused.log" "Connection refused (ECONNREFUSED)"
[ $ms -lt 900 ] || fail "closed port: tcpfsm-nc took $ms ms (a SYN retransmitted?)"
nsyn=$(timeout 30 tshark -n -r "$W/refused.pcap" -Y 'tcp.flags.syn == 1' 2>/dev/null | wc -l)
nrst=$(timeout 30 tshark -n -r "$W/refused.pcap" -Y 'tcp.flags.reset == 1 && ip.src == '"$KADDR" 2>/dev/null | wc -l)
if [ "$nsyn" -ne 1 ] || [ "$nrst" -ne 1 ]; then
    fail "closed port: capture has $nsyn SYNs, $nrst RSTs (want 1, 1)"
fi
say "ok: closed port: status 1 after $ms ms, '$(grep refused "$W/refused.log")'; capture: 1 SYN, 1 RST"
check_pcap "$W/refused.pcap"

# The abort server: accept, optionally send a greeting, read, then RST (SO_LINGER {1, 0}).
cat >"$W/abort.py" <<'PY'
import socket, struct, sys
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((host, port))
ls.listen(1)
ls.settimeout(10)
print("listening", flush=True)
c, peer = ls.accept()
c.settimeout(10)
got = 0
if mode == "idle":
    c.sendall(b"hello from linux\n")
    buf = b""
    while b"ping\n" not in buf:
        b = c.recv(100)
        if not b:
            raise SystemExit("EOF before ping")
        buf += b
    got = len(buf)
else:                               # mid-transfer: stop after 1 MiB, unread data queued
    while got < (1 << 20):
        b = c.recv(65536)
        if not b:
            raise SystemExit("EOF after %d bytes" % got)
        got += len(b)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()                           # abortive close: RST
print("aborted after receiving %d bytes" % got)
print("peer %s:%d" % peer)
PY
start_abort_server() { # PORT MODE LOG
    timeout 15 python3 "$W/abort.py" "$KADDR" "$1" "$2" >"$3" 2>&1 &
    apid=$!
    i=0
    until grep -q listening "$3" 2>/dev/null; do
        i=$((i + 1)); [ $i -le 50 ] || fail "python3 abort server did not start"; sleep 0.1
    done
}
# nothing_left NAME SERVERLOG NCLOG PORT: neither side keeps the aborted 4-tuple.
nothing_left() {
    peer=$(sed -n 's/^peer //p' "$2")
    [ -n "$peer" ] || fail "$1: no peer address in $2"
    ks=$(kernel_state "$KADDR:$4" "$peer")
    [ -z "$ks" ] || fail "$1: after the RST the kernel still has $KADDR:$4 $peer in $ks"
    grep -q 'tcpfsm_ss at exit:' "$3" || fail "$1: tcpfsm-nc --ss printed no listing"
    us=$(stack_state "$3" "$peer" "$KADDR:$4")
    [ -z "$us" ] || fail "$1: after the RST tcpfsm_ss still lists $peer $KADDR:$4 in $us"
}

# 2. An idle connection is reset. stdin is a FIFO we keep open: no EOF, no FIN from us. The
# "ping" that makes the server abort goes in only once the greeting is out on stdout, so the
# greeting and the RST never arrive together (data queued when a RST comes is discarded,
# RFC 9293 3.10.7.4).
mkfifo "$W/stdin"
exec 3<>"$W/stdin"
start_abort_server 7001 idle "$W/abort-idle.log"
# shellcheck disable=SC2086
timeout 10 $NC --pcap "$W/reset-idle.pcap" "$KADDR" 7001 <"$W/stdin" >"$W/idle.got" \
    2>"$W/reset-idle.log" &
npid=$!
wait_size "$W/idle.got" 17
echo ping >&3
st=0
wait "$npid" || st=$?
exec 3>&-
wait "$apid" || fail "idle abort: python3 server failed: $(cat "$W/abort-idle.log")"
expect_fail "idle reset" $st "$W/reset-idle.log" "Connection reset by peer (ECONNRESET)"
[ "$(cat "$W/idle.got")" = "hello from linux" ] || fail "idle reset: got '$(cat "$W/idle.got")' before the reset"
nrst=$(timeout 30 tshark -n -r "$W/reset-idle.pcap" -Y 'tcp.flags.reset == 1 && ip.src == '"$KADDR" 2>/dev/null | wc -l)
[ "$nrst" -ge 1 ] || fail "idle reset: no RST from the kernel in the capture"
nothing_left "idle reset" "$W/abort-idle.log" "$W/reset-idle.log" 7001
say "ok: idle connection reset by Linux: status 1, '$(grep reset "$W/reset-idle.log")', greeting kept, no state left"
check_pcap "$W/reset-idle.pcap" 7001

# 3. Reset in the middle of a 20 MiB upload.
head -c 20971520 /dev/urandom >"$W/up.bin"
start_abort_server 7002 bulk "$W/abort-bulk.log"
st=0
# shellcheck disable=SC2086
timeout 10 $NC --pcap "$W/reset-bulk.pcap" "$KADDR" 7002 <"$W/up.bin" >/dev/null \
    2>"$W/reset-bulk.log" || st=$?
wait "$apid" || fail "bulk abort: python3 server failed: $(cat "$W/abort-bulk.log")"
expect_fail "reset mid-transfer" $st "$W/reset-bulk.log" "Connection reset by peer (ECONNRESET)"
nothing_left "reset mid-transfer" "$W/abort-bulk.log" "$W/reset-bulk.log" 7002
say "ok: reset in the middle of an upload: status 1, '$(grep reset "$W/reset-bulk.log")', no state left"
check_pcap "$W/reset-bulk.pcap" 7002
pass
