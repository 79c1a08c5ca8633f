#!/bin/sh
# Ethernet and ARP over a TAP device (runtime/link/): curl (Linux) downloads 4 MiB from
# tcpfsm-httpd --tap, the kernel resolving our address by ARP (ip neigh shows our default MAC,
# 02:00 + the address); then tcpfsm-nc --tap, a fresh stack with an empty cache, connects to a
# python3 server on the kernel's side and sends 2 MiB: our stack resolves the kernel (an ARP
# reply in its counters) and both streams arrive intact; ping is answered over TAP; and with
# --gateway the kernel is the next hop to an address off the prefix. Everything happens on tp0
# inside the namespace the test made.
# Usage: test_eth_tap.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_TOOLS=curl INTEROP_PROGS="tcpfsm-httpd tcpfsm-nc"
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

TAP=tp0 TK=10.78.0.1 TS=10.78.0.2 TMAC=02:00:0a:4e:00:02
ip tuntap add dev $TAP mode tap || fail "cannot create TAP device $TAP"
sysctl -qw net.ipv6.conf.$TAP.disable_ipv6=1 >/dev/null 2>&1 || true
ip addr add $TK/24 dev $TAP || fail "cannot address $TAP"
ip link set dev $TAP up || fail "cannot set $TAP up"
wait_tap() { # until a program is attached (carrier) and the kernel transmits (operstate up)
    i=0
    while [ "$(cat /sys/class/net/$TAP/operstate 2>/dev/null)" != up ]; do
        i=$((i + 1)); [ $i -le 100 ] || fail "$TAP not up within 5 s"; sleep 0.05
    done
    sleep 0.1
}

mkdir -p "$W/www"
SIZE=4194304
head -c $SIZE /dev/urandom >"$W/www/big.bin"
timeout 20 "$BIN/tcpfsm-httpd" --tap $TAP --addr $TS/24 --port 80 --ss -v \
    --pcap "$W/httpd.pcap" "$W/www" >"$W/httpd.log" 2>&1 &
pid=$!
wait_tap
timeout 15 curl -sS --max-time 10 -o "$W/big.got" "http://$TS/big.bin" || fail "curl over TAP failed"
same_file "$W/www/big.bin" "$W/big.got" "GET /big.bin over TAP"
neigh=$(ip neigh show $TS dev $TAP)
echo "$neigh" | grep -q "lladdr $TMAC" || fail "ip neigh has no $TMAC for $TS: '$neigh'"
say "ok: curl 4 MiB over TAP; kernel resolved us: $neigh"
if command -v ping >/dev/null 2>&1; then
    timeout 10 ping -c 2 -W 2 $TS >"$W/ping.log" 2>&1 || fail "ping over TAP: $(tail -2 "$W/ping.log")"
    say "ok: ping over TAP: $(grep -c 'bytes from' "$W/ping.log") replies"
fi
stop $pid
grep -q "ArpOutReplies *[1-9]" "$W/httpd.log" || fail "tcpfsm-httpd answered no ARP request"
n=$(tshark -r "$W/httpd.pcap" -Y 'arp.opcode == 2' 2>/dev/null | wc -l)
[ "$n" -ge 1 ] || fail "the capture (LINKTYPE_ETHERNET) shows no ARP reply"

# us -> Linux: a new stack must ask for the kernel's MAC.
head -c 2097152 /dev/urandom >"$W/cli.bin"
cat >"$W/server.py" <<'PY'
import socket, sys
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], int(sys.argv[2])))
ls.listen(1)
ls.settimeout(10)
print("listening", flush=True)
c, peer = ls.accept()
c.settimeout(10)
got = []
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    got.append(b)
open(sys.argv[3], "wb").write(b"".join(got))
c.close()
PY
timeout 20 python3 "$W/server.py" $TK 7000 "$W/server.got" >"$W/server.log" 2>&1 &
spid=$!
i=0
until grep -q listening "$W/server.log" 2>/dev/null; do
    i=$((i + 1)); [ $i -le 50 ] || fail "python3 server did not start"; sleep 0.1
done
timeout 15 "$BIN/tcpfsm-nc" --tap $TAP --addr $TS/24 --ss $TK 7000 <"$W/cli.bin" \
    >/dev/null 2>"$W/nc.log" || fail "tcpfsm-nc over TAP exited with status $?"
wait $spid || fail "python3 server failed: $(cat "$W/server.log")"
same_file "$W/cli.bin" "$W/server.got" "tcpfsm-nc -> python3 over TAP"
grep -q "ArpInReplies *[1-9]" "$W/nc.log" || fail "tcpfsm-nc got no ARP reply from the kernel"
say "ok: tcpfsm-nc resolved the kernel by ARP and sent 2 MiB over TAP"

# Off the prefix: without --gateway nothing leaves; with it the frames go to the kernel's MAC.
OFF=10.80.0.1
ip addr add $OFF/32 dev lo || fail "cannot add $OFF to lo"
timeout 20 python3 "$W/server.py" $OFF 7001 "$W/server-off.got" >"$W/server-off.log" 2>&1 &
spid=$!
i=0
until grep -q listening "$W/server-off.log" 2>/dev/null; do
    i=$((i + 1)); [ $i -le 50 ] || fail "python3 server did not start"; sleep 0.1
done
timeout 15 "$BIN/tcpfsm-nc" --tap $TAP --addr $TS/24 --gateway $TK --ss $OFF 7001 \
    <"$W/cli.bin" >/dev/null 2>"$W/nc-gw.log" || fail "tcpfsm-nc --gateway exited with status $?"
wait $spid || fail "python3 server failed: $(cat "$W/server-off.log")"
same_file "$W/cli.bin" "$W/server-off.got" "tcpfsm-nc --gateway $TK -> $OFF"
grep -q "OutNoRoute *0 " "$W/nc-gw.log" || fail "tcpfsm-nc --gateway counted OutNoRoute"
say "ok: tcpfsm-nc reached off-link $OFF through --gateway $TK"
pass
