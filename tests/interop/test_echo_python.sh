#!/bin/sh
# A python3 client (Linux kernel TCP) against tcpfsm-echo over TUN. Data flows both ways and
# each connection ends with a half-close: the client sends everything, shuts down its sending
# side (FIN), and must still receive the whole echo and then the server's FIN. First one 1 MiB
# round trip, then 100 connections that are all established at the same time (a barrier after
# connect) before any of them sends. The client closed first on every connection, so the
# kernel must hold every 4-tuple in TIME-WAIT (ss -tan state time-wait), and tcpfsm-echo's own
# listing (--ss, at exit) must show none of them: the server closed second (LAST_ACK -> CLOSED).
# Usage: test_echo_python.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_PROGS=tcpfsm-echo
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

timeout 25 "$BIN/tcpfsm-echo" --tun "$DEV" --addr "$SADDR/24" --port 7 -v --ss \
    --pcap "$W/echo.pcap" >"$W/echo.log" 2>&1 &
pid=$!
wait_tun

NCONC=100
cat >"$W/client.py" <<'PY'
import hashlib, socket, sys, threading

host, port, nconc, ports_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ports = []

def connect():
    s = socket.create_connection((host, port), timeout=10)
    ports.append(s.getsockname()[1])
    return s

def roundtrip(s, size, seed):
    data = hashlib.shake_256(b"tcpfsm%d" % seed).digest(size)
    got = []
    def reader():
        while True:
            b = s.recv(65536)
            if not b:
                return
            got.append(b)
    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)          # half-close: the echo must still come back
    t.join(15)
    if t.is_alive():
        raise SystemExit("connection %d: no EOF from the server" % seed)
    s.close()
    back = b"".join(got)
    if back != data:
        raise SystemExit("connection %d: %d bytes sent, %d echoed, equal=%s"
                         % (seed, len(data), len(back), back == data))
    return len(back)

n = roundtrip(connect(), 1 << 20, 0)
print("1 MiB round trip with half-close: %d bytes intact" % n)

# nconc connections, all established before any data moves.
barrier = threading.Barrier(nconc, timeout=15)
results, errors = [], []
def one(i):
    try:
        s = connect()
        barrier.wait()
        results.append(roundtrip(s, 20000 + i * 500, i + 1))
    except BaseException as e:
        errors.append("%d: %r" % (i, e))
ts = [threading.Thread(target=one, args=(i,)) for i in range(nconc)]
for t in ts: t.start()
for t in ts: t.join(20)
if errors or len(results) != nconc:
    raise SystemExit("concurrent: %s" % (errors[:5] or "a connection did not finish"))
print("%d concurrent connections (all established at once), each half-closed: %d bytes intact"
      % (nconc, sum(results)))
open(ports_path, "w").write("".join("%d\n" % p for p in ports))
PY
timeout 30 python3 "$W/client.py" "$SADDR" 7 $NCONC "$W/ports.txt" >"$W/client.log" 2>&1 ||
    { cat "$W/client.log"; fail "python3 echo client failed"; }
sed "s/^/$T: ok: /" "$W/client.log"

# The kernel closed first everywhere: it holds TIME-WAIT for every 4-tuple.
sleep 0.3
ss -tan state time-wait >"$W/ss-time-wait.txt"
nports=0
# shellcheck disable=SC2013  # one port number a line
for p in $(cat "$W/ports.txt"); do
    nports=$((nports + 1))
    kernel_time_wait "$KADDR:$p" "$SADDR:7" ||
        fail "client closed first, but ss -tan state time-wait lacks $KADDR:$p $SADDR:7 (kernel: '$(kernel_state "$KADDR:$p" "$SADDR:7")')"
done
[ "$nports" -eq $((NCONC + 1)) ] || fail "expected $((NCONC + 1)) client ports, got $nports"
say "ok: client closed first: ss -tan state time-wait lists all $nports 4-tuples"

stop "$pid"
grep -q 'tcpfsm_ss at exit:' "$W/echo.log" || fail "tcpfsm-echo --ss printed no listing at exit"
# shellcheck disable=SC2013  # one port number a line
for p in $(cat "$W/ports.txt"); do
    us=$(stack_state "$W/echo.log" "$SADDR:7" "$KADDR:$p")
    [ -z "$us" ] || fail "server closed second, yet tcpfsm_ss still lists $SADDR:7 $KADDR:$p in $us"
done
grep -q '^LISTEN .* 0.0.0.0:7 ' "$W/echo.log" || fail "tcpfsm_ss at exit does not show the listener"
say "ok: tcpfsm_ss at exit: only the listener, no TIME_WAIT on the stack's side"
check_pcap "$W/echo.pcap" 7
pass
