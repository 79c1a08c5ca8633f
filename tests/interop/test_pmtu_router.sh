#!/bin/sh
# Path MTU discovery (RFC 1191, RFC 8201) through a Linux router. The kernel of the test's
# namespace routes between the stack (TUN, 10.77.0.2) and a client in a namespace of its own
# (10.78.0.2, behind a veth pair). The router's end of the pair has MTU 1000, the client's
# 1500, so the client announces MSS 1460 and our first full-sized segments (DF set) cannot
# leave the router: it answers "fragmentation needed", next-hop MTU 1000 (ICMP type 3 code
# 4). runtime/ip/icmp.c checks the quote (RFC 5927) and lowers the connection's MSS to 960;
# what was in flight goes again at that size and the 20 MiB download completes (sha256
# checked). The capture shows the client's MSS 1460, our segments of 1448 bytes of text (with
# timestamps) before the ICMP message, and none above 1000 bytes of IP after it.
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
head -c 20971520 /dev/urandom >"$W/www/big.bin"
timeout 20 "$BIN/tcpfsm-httpd" --tun "$DEV" --addr "$SADDR/24" --port 80 --ss \
    --pcap "$W/httpd.pcap" "$W/www" >"$W/httpd.log" 2>&1 &
pid=$!
wait_tun

t0=$(date +%s%N)
timeout 15 ip netns exec "$NS" curl -s -o "$W/got.bin" "http://$SADDR/big.bin" 2>"$W/curl.log" ||
    fail "curl through the router failed: $(cat "$W/curl.log")"
ms=$((($(date +%s%N) - t0) / 1000000))
same_file "$W/www/big.bin" "$W/got.bin" "big.bin through the MTU-1000 router"
stop "$pid"

# One pass over the capture (20 MiB of text: each tshark pass costs seconds), outer headers only.
tshark -r "$W/httpd.pcap" -T fields -E occurrence=f -e frame.number -e ip.src -e ip.proto \
    -e ip.len -e tcp.len -e tcp.options.mss_val -e icmp.type -e icmp.code -e icmp.mtu \
    >"$W/frames.txt" 2>"$W/tshark.log" || fail "tshark failed"
# shellcheck disable=SC2046  # word splitting wanted
# first ICMP frame, its MTU, ICMP count, the client's and our SYN MSS, our largest text before
# and after the first ICMP, our datagrams above 1000 bytes after it
set -- $(awk -F'\t' -v us="$SADDR" -v cl="$CADDR" '
    $3 == 1 && $7 == 3 && $8 == 4 { n++; if (!first) { first = $1; mtu = $9 } next }
    $3 != 6 { next }
    $2 == cl && $6 != "" { cmss = $6 }
    $2 == us && $6 != "" { smss = $6 }
    $2 == us && !first && $5 > before { before = $5 }
    $2 == us && first && $5 > after { after = $5 }
    $2 == us && first && $4 > 1000 { big++ }
    END { printf "%d %s %d %s %s %d %d %d\n", first, mtu == "" ? "-" : mtu, n,
          cmss == "" ? "-" : cmss, smss == "" ? "-" : smss, before, after, big }' "$W/frames.txt")
first=$1 mtu=$2 n=$3 cmss=$4 smss=$5 before=$6 after=$7 big=$8
[ "$first" -gt 0 ] || fail "no fragmentation needed from the router in the capture"
[ "$mtu" = 1000 ] || fail "the router said next-hop MTU '$mtu', want 1000"
[ "$cmss" = 1460 ] || fail "the client's SYN announced MSS '$cmss', want 1460"
[ "$before" -gt 948 ] || fail "no segment above 948 bytes of text before the ICMP message"
[ "$big" -eq 0 ] || fail "$big datagrams above 1000 bytes sent after the ICMP message"
[ "$after" -gt 0 ] || fail "no text sent after the ICMP message"
say "ok: $n fragmentation needed (MTU 1000, first in frame $first), every datagram after it fits"
say "ok: MSS 1460 (client's SYN; ours $smss) -> 960: largest segment text $before bytes before, $after after (12 bytes of timestamps)"
say "ok: 20 MiB in $ms ms through the router"
# tcpfsm-httpd --ss: the stack counted what the capture shows
ctr() {
    sed -n '/counters (tcpfsm_get_stats) at exit:/,$p' "$W/httpd.log" |
        awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}
grep -q 'counters (tcpfsm_get_stats) at exit:' "$W/httpd.log" || fail "no --ss counters at exit"
[ "$(ctr IcmpInDestUnreachs)" = "$n" ] ||
    fail "IcmpInDestUnreachs is '$(ctr IcmpInDestUnreachs)', the capture has $n"
[ "$(ctr IcmpInMsgs)" = "$n" ] || fail "IcmpInMsgs is '$(ctr IcmpInMsgs)', the capture has $n"
[ "$(ctr IcmpPmtuUpdates)" -ge 1 ] || fail "IcmpPmtuUpdates is '$(ctr IcmpPmtuUpdates)'"
[ "$(ctr IcmpInErrors)" = 0 ] || fail "IcmpInErrors is '$(ctr IcmpInErrors)'"
say "ok: --ss counters: IcmpInMsgs $n, IcmpInDestUnreachs $n, IcmpPmtuUpdates $(ctr IcmpPmtuUpdates), OutOfWindowIcmps $(ctr OutOfWindowIcmps)"
pass
