#!/bin/sh
# The stack on one end of a veth pair through an AF_PACKET socket (tcpfsm-httpd --packet),
# Linux on the other: the kernel resolves us by ARP (ip neigh shows our MAC), curl and a
# python3 socket client each download 8 MiB (sha256 compared); then tcpfsm-nc --packet, with
# an empty cache, resolves the kernel and receives 8 MiB from a python3 server (the kernel's
# frames arrive with their checksums left to the hardware and GSO-sized: afpacket_recv
# completes them). The stack's end has no address, so the kernel never answers for it; both
# ends live in the namespace the test made.
# Usage: test_eth_afpacket.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_TOOLS=curl INTEROP_PROGS="tcpfsm-httpd tcpfsm-nc"
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

US=ve0 LX=ve1 LK=10.79.0.1 LS=10.79.0.2 LMAC=02:00:0a:4f:00:02
ip link add $US type veth peer name $LX || fail "cannot create veth pair"
for d in $US $LX; do
    sysctl -qw net.ipv6.conf.$d.disable_ipv6=1 >/dev/null 2>&1 || true
done
ip addr add $LK/24 dev $LX || fail "cannot address $LX"
ip link set dev $US up && ip link set dev $LX up || fail "cannot set the veth pair up"

mkdir -p "$W/www"
SIZE=8388608
head -c $SIZE /dev/urandom >"$W/www/big.bin"
timeout 25 "$BIN/tcpfsm-httpd" --packet $US --addr $LS/24 --port 80 --ss -v \
    --pcap "$W/httpd.pcap" "$W/www" >"$W/httpd.log" 2>&1 &
pid=$!
i=0
until grep -q "listening" "$W/httpd.log" 2>/dev/null; do
    i=$((i + 1)); [ $i -le 100 ] || fail "tcpfsm-httpd did not start"; sleep 0.05
done
t0=$(date +%s.%N)
timeout 15 curl -sS --max-time 10 -o "$W/big.got" "http://$LS/big.bin" ||
    fail "curl over the veth pair failed"
say "ok: curl: $(echo "$t0 $(date +%s.%N)" | awk -v b=$SIZE '{ printf "%.0f ms, %.0f MB/s", ($2-$1)*1000, b/($2-$1)/1e6 }')"
same_file "$W/www/big.bin" "$W/big.got" "GET /big.bin over AF_PACKET"
neigh=$(ip neigh show $LS dev $LX)
echo "$neigh" | grep -q "lladdr $LMAC" || fail "ip neigh has no $LMAC for $LS: '$neigh'"
say "ok: kernel resolved us on $LX: $neigh"

cat >"$W/client.py" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], 80), timeout=10)
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
buf = []
while True:
    b = s.recv(1 << 20)
    if not b:
        break
    buf.append(b)
data = b"".join(buf)
body = data[data.index(b"\r\n\r\n") + 4:]
open(sys.argv[2], "wb").write(body)
PY
timeout 15 python3 "$W/client.py" $LS "$W/py.got" >"$W/client.log" 2>&1 ||
    fail "python3 client failed: $(tail -3 "$W/client.log")"
same_file "$W/www/big.bin" "$W/py.got" "python3 socket download over AF_PACKET"
stop $pid
grep -q "ArpOutReplies *[1-9]" "$W/httpd.log" || fail "tcpfsm-httpd answered no ARP request"

head -c $SIZE /dev/urandom >"$W/srv.bin"
cat >"$W/server.py" <<'PY'
import socket, sys
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], 7000))
ls.listen(1)
ls.settimeout(10)
print("listening", flush=True)
c, peer = ls.accept()
c.settimeout(10)
c.sendall(open(sys.argv[2], "rb").read())
c.shutdown(socket.SHUT_WR)
while c.recv(1 << 16):
    pass
c.close()
PY
timeout 20 python3 "$W/server.py" $LK "$W/srv.bin" >"$W/server.log" 2>&1 &
spid=$!
i=0
until grep -q listening "$W/server.log" 2>/dev/null; do
    i=$((i + 1)); [ $i -le 50 ] || fail "python3 server did not start"; sleep 0.1
done
t0=$(date +%s.%N)
timeout 15 "$BIN/tcpfsm-nc" --packet $US --addr $LS/24 --ss $LK 7000 </dev/null \
    >"$W/nc.got" 2>"$W/nc.log" || fail "tcpfsm-nc over AF_PACKET exited with status $?"
say "ok: tcpfsm-nc received: $(echo "$t0 $(date +%s.%N)" | awk -v b=$SIZE '{ printf "%.0f ms, %.0f MB/s", ($2-$1)*1000, b/($2-$1)/1e6 }')"
wait $spid || fail "python3 server failed: $(cat "$W/server.log")"
same_file "$W/srv.bin" "$W/nc.got" "python3 server -> tcpfsm-nc over AF_PACKET"
grep -q "ArpInReplies *[1-9]" "$W/nc.log" || fail "tcpfsm-nc got no ARP reply from the kernel"
grep -q "InCsumErrors *0 " "$W/nc.log" || fail "tcpfsm-nc counted checksum errors"
pass
