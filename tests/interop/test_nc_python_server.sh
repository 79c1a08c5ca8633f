#!/bin/sh
# us -> Linux: tcpfsm-nc connects over TUN to a python3 server (Linux kernel TCP); 20 MiB go
# each way at the same time (sha256 compared on both sides). tcpfsm-nc half-closes at EOF on
# stdin; the server reads until that FIN, then closes. So our side closed first: tcpfsm-nc's
# listing at exit (--ss) must show the 4-tuple in TIME_WAIT, and the kernel must have nothing
# left for it (no TIME-WAIT in ss -tan). The whole capture (~40000 packets, 45 MB, about a
# second of tshark) is checked.
# Usage: test_nc_python_server.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_PROGS=tcpfsm-nc
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

SIZE=20971520 # 20 MiB each way
head -c $SIZE /dev/urandom >"$W/srv.bin"
head -c $SIZE /dev/urandom >"$W/cli.bin"
cat >"$W/server.py" <<'PY'
import socket, sys, threading
host, port, send_path, recv_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((host, port))
ls.listen(1)
ls.settimeout(10)
print("listening", flush=True)
c, peer = ls.accept()
c.settimeout(10)
data = open(send_path, "rb").read()
got = []
def reader():
    while True:
        b = c.recv(1 << 20)
        if not b:
            return
        got.append(b)
t = threading.Thread(target=reader)
t.start()
c.sendall(data)
t.join(15)
if t.is_alive():
    raise SystemExit("no FIN from tcpfsm-nc")
open(recv_path, "wb").write(b"".join(got))
c.close()                           # after tcpfsm-nc's FIN: we close second
print("server: sent %d, received %d bytes" % (len(data), sum(map(len, got))))
print("peer %s:%d" % peer)
PY
timeout 25 python3 "$W/server.py" "$KADDR" 7000 "$W/srv.bin" "$W/server.got" \
    >"$W/server.log" 2>&1 &
spid=$!
i=0
until grep -q listening "$W/server.log" 2>/dev/null; do
    i=$((i + 1)); [ $i -le 50 ] || fail "python3 server did not start"; sleep 0.1
done
t0=$(date +%s.%N)
timeout 20 "$BIN/tcpfsm-nc" --tun "$DEV" --addr "$SADDR/24" -v --ss --pcap "$W/nc.pcap" \
    "$KADDR" 7000 <"$W/cli.bin" >"$W/nc.got" 2>"$W/nc.log" ||
    fail "tcpfsm-nc exited with status $?"
wait "$spid" || fail "python3 server failed: $(cat "$W/server.log")"
say "ok: 2 x 20 MiB in $(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.0f ms", ($2-$1)*1000 }')"
same_file "$W/srv.bin" "$W/nc.got" "python3 server -> tcpfsm-nc"
same_file "$W/cli.bin" "$W/server.got" "tcpfsm-nc -> python3 server"

# tcpfsm-nc closed first: TIME-WAIT is ours, the kernel went LAST-ACK -> CLOSED.
peer=$(sed -n 's/^peer //p' "$W/server.log")
[ -n "$peer" ] || fail "no peer address in the server log"
wait_kernel_gone "$KADDR:7000" "$peer" ||
    fail "we closed first, yet the kernel still has $KADDR:7000 $peer in '$(kernel_state "$KADDR:7000" "$peer")'"
kernel_time_wait "$KADDR:7000" "$peer" && fail "we closed first, yet the kernel holds TIME-WAIT"
us=$(stack_state "$W/nc.log" "$peer" "$KADDR:7000")
[ "$us" = TIME_WAIT ] || fail "we closed first: tcpfsm-nc's listing at exit has '$us' for $peer $KADDR:7000, not TIME_WAIT"
say "ok: tcpfsm-nc closed first: no kernel socket (no TIME-WAIT) for $KADDR:7000 $peer; tcpfsm_ss at exit shows $peer $KADDR:7000 TIME_WAIT"

check_pcap "$W/nc.pcap" 7000
pass
