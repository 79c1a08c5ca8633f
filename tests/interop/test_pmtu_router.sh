#!/bin/sh
# Path MTU discovery (RFC 1191, RFC 8201) through a Linux router. The kernel of the test's
# namespace routes between the stack (TUN, 10.77.0.2) and a client in a namespace of its own
# (10.78.0.2, behind a veth pair). The router's end of the pair has MTU 1000, the client's
# 1500, so the client announces MSS 1460 and our first full-sized segments (DF set) cannot
# leave the router: it answers "fragmentation needed", next-hop MTU 1000 (ICMP type 3 code
# 4). runtime/ip/icmp.c checks the quote (RFC 5927) and lowers the connection's MSS to 960;
# what was in flight goes again at that size and the download completes. The capture shows
# the ICMP message and no segment above 1000 bytes of IP after it.
# Usage: test_pmtu_router.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_TOOLS=curl INTEROP_PROGS=tcpfsm-httpd
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

NS=tcpfsm-pmtu-$$
CADDR=10.78.0.2
RADDR=10.78.0.1
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$NS" || fail "cannot make the client's namespace"
ip link add vr type veth peer name vc netns "$NS" || fail "cannot make the veth pair"
ip addr add "$RADDR/24" dev vr
ip link set vr mtu 1000 up
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip addr add "$CADDR/24" dev vc
ip netns exec "$NS" ip link set vc mtu 1500 up
ip netns exec "$NS" ip route add default via "$RADDR"
sysctl -qw net.ipv4.ip_forward=1 || fail "cannot enable forwarding"

mkdir -p "$W/www"
head -c 300000 /dev/urandom >"$W/www/big.bin"
timeout 20 "$BIN/tcpfsm-httpd" --tun "$DEV" --addr "$SADDR/24" --port 80 \
    --pcap "$W/httpd.pcap" "$W/www" >"$W/httpd.log" 2>&1 &
pid=$!
wait_tun

timeout 10 ip netns exec "$NS" curl -s -o "$W/got.bin" "http://$SADDR/big.bin" 2>"$W/curl.log" ||
    fail "curl through the router failed: $(cat "$W/curl.log")"
same_file "$W/www/big.bin" "$W/got.bin" "big.bin through the MTU-1000 router"
stop "$pid"

tshark -r "$W/httpd.pcap" -Y 'icmp.type == 3 && icmp.code == 4' -T fields -e frame.number \
    -e ip.src -e icmp.mtu >"$W/icmp.txt" 2>"$W/tshark.log" || fail "tshark failed"
[ -s "$W/icmp.txt" ] || fail "no fragmentation needed from the router in the capture"
first=$(head -1 "$W/icmp.txt" | cut -f1)
mtu=$(head -1 "$W/icmp.txt" | cut -f3)
[ "$mtu" = 1000 ] || fail "the router said next-hop MTU '$mtu', want 1000"
after="frame.number > $first && tcp && !icmp && ip.src == $SADDR && ip.len > 1000"
big=$(tshark -r "$W/httpd.pcap" -Y "$after" 2>>"$W/tshark.log" | wc -l)
[ "$big" -eq 0 ] || fail "$big datagrams above 1000 bytes sent after the ICMP message"
n=$(wc -l <"$W/icmp.txt")
say "ok: $n fragmentation needed (MTU 1000, first in frame $first), every datagram after it fits"
pass
