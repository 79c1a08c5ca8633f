#!/bin/sh
# tcpfsm-nc connects over TUN to a python3 server (Linux kernel TCP) that sends 1 MiB while
# reading what tcpfsm-nc sends until its FIN, then closes. Usage: test_nc_python_server.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_PROGS=tcpfsm-nc
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

head -c 1048576 /dev/urandom >"$W/srv.bin"
head -c 300000 /dev/urandom >"$W/cli.bin"
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
        b = c.recv(65536)
        if not b:
            return
        got.append(b)
t = threading.Thread(target=reader)
t.start()
c.sendall(data)
t.join(10)
if t.is_alive():
    raise SystemExit("no FIN from tcpfsm-nc")
open(recv_path, "wb").write(b"".join(got))
c.close()
print("server: sent %d, received %d bytes from %s:%d" % (len(data), sum(map(len, got)), *peer))
PY
timeout 15 python3 "$W/server.py" "$KADDR" 7000 "$W/srv.bin" "$W/server.got" \
    >"$W/server.log" 2>&1 &
spid=$!
i=0
until grep -q listening "$W/server.log" 2>/dev/null; do
    i=$((i + 1)); [ $i -le 50 ] || fail "python3 server did not start"; sleep 0.1
done
timeout 10 "$BIN/tcpfsm-nc" --tun "$DEV" --addr "$SADDR/24" -v --pcap "$W/nc.pcap" \
    "$KADDR" 7000 <"$W/cli.bin" >"$W/nc.got" 2>"$W/nc.log" ||
    fail "tcpfsm-nc exited with status $?"
wait "$spid" || fail "python3 server failed: $(cat "$W/server.log")"
same_file "$W/srv.bin" "$W/nc.got" "python3 server -> tcpfsm-nc"
same_file "$W/cli.bin" "$W/server.got" "tcpfsm-nc -> python3 server"
check_pcap "$W/nc.pcap" 7000
say "PASS"
