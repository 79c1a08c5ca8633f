#!/bin/sh
# A python3 client (Linux kernel TCP) against tcpfsm-echo over TUN: a 1 MiB round trip ending
# with a half-close (the echo must finish after our FIN, then the server closes), and 8
# concurrent connections. Usage: test_echo_python.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_PROGS=tcpfsm-echo
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

timeout 25 "$BIN/tcpfsm-echo" --tun "$DEV" --addr "$SADDR/24" --port 7 -v \
    --pcap "$W/echo.pcap" >"$W/echo.log" 2>&1 &
pid=$!
wait_tun

cat >"$W/client.py" <<'PY'
import hashlib, os, socket, sys, threading

host, port = sys.argv[1], int(sys.argv[2])

def roundtrip(size, seed):
    data = hashlib.shake_256(b"tcpfsm%d" % seed).digest(size)
    s = socket.create_connection((host, port), timeout=10)
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

n = roundtrip(1 << 20, 0)
print("1 MiB round trip with half-close: %d bytes intact" % n)

results, errors = [], []
def one(i):
    try:
        results.append(roundtrip(131072 + i * 1000, i + 1))
    except BaseException as e:
        errors.append(str(e))
ts = [threading.Thread(target=one, args=(i,)) for i in range(8)]
for t in ts: t.start()
for t in ts: t.join(20)
if errors or len(results) != 8:
    raise SystemExit("concurrent: %s" % (errors or "a connection did not finish"))
print("8 concurrent connections: %d bytes intact" % sum(results))
PY
timeout 20 python3 "$W/client.py" "$SADDR" 7 >"$W/client.log" 2>&1 ||
    { cat "$W/client.log"; fail "python3 echo client failed"; }
sed "s/^/$T: ok: /" "$W/client.log"
sleep 0.3
stop "$pid"
check_pcap "$W/echo.pcap" 7
say "PASS"
