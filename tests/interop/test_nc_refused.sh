#!/bin/sh
# us -> Linux, connection refused by a host behind a Linux router, two ways (RFC 9293 3.10.7.3,
# RFC 1122 4.2.3.9), tcpfsm-nc probing a closed port with nothing to send (nc -z):
#   1. ICMP-less: the far host answers our SYN with RST; tcpfsm-nc fails at once with
#      "Connection refused (ECONNREFUSED)", status 1; the capture has 1 SYN, 1 RST, no ICMP and
#      --ss counts AttemptFails 1, IcmpInMsgs 0;
#   2. the far host's firewall rejects the SYN with ICMP port unreachable (type 3 code 3; nft or
#      iptables in the far host's own namespace): the spec's SYN_SENT row on RCV_ICMP_UNREACH
#      (conn_refused) gives the same ECONNREFUSED, at once; the capture has 1 SYN, the ICMP
#      message and no RST; --ss counts IcmpInMsgs 1, IcmpInDestUnreachs 1 (the quote passed
#      RFC 5927's checks: IcmpInErrors 0, OutOfWindowIcmps 0).
#      Without nft and iptables this case prints "SKIP:" and the test passes on case 1.
# The far host (10.78.0.2) is a namespace of its own behind a veth pair; the test's namespace
# routes between it and the stack (TUN, 10.77.0.2), as in test_pmtu_router.
# Usage: test_nc_refused.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_PROGS=tcpfsm-nc
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

NS=tcpfsm-refused-$$
FADDR=10.78.0.2
RADDR=10.78.0.1
PORT=7998
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$NS" || fail "cannot make the far host's namespace"
ip link add vr type veth peer name vfar netns "$NS" || fail "cannot make the veth pair"
ip addr add "$RADDR/24" dev vr
ip link set vr up
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip addr add "$FADDR/24" dev vfar
ip netns exec "$NS" ip link set vfar up
ip netns exec "$NS" ip route add default via "$RADDR"
sysctl -qw net.ipv4.ip_forward=1 || fail "cannot enable forwarding"
# the far host is reachable (and nothing listens on $PORT there)
ip netns exec "$NS" ping -c 1 -W 2 "$RADDR" >/dev/null 2>&1 || fail "the far host cannot reach the router"

PCAP_ALLOW=tcp.connection.rst # case 1's reset is the point

# ctr LOG NAME: a counter of tcpfsm-nc --ss at exit
ctr() {
    sed -n '/counters (tcpfsm_get_stats) at exit:/,$p' "$1" |
        awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}
# count PCAP FILTER: packets in PCAP that FILTER matches
count() { timeout 30 tshark -n -r "$1" -Y "$2" 2>/dev/null | wc -l; }

# probe NAME: tcpfsm-nc to $FADDR:$PORT with nothing to send; must be refused at once.
probe() {
    t0=$(date +%s%N)
    st=0
    timeout 10 "$BIN/tcpfsm-nc" --tun "$DEV" --addr "$SADDR/24" --ss --pcap "$W/$1.pcap" \
        "$FADDR" "$PORT" </dev/null >/dev/null 2>"$W/$1.log" || st=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$st" -eq 1 ] || fail "$1: tcpfsm-nc exited with status $st, want 1"
    grep -q 'Connection refused (ECONNREFUSED)' "$W/$1.log" ||
        fail "$1: no 'Connection refused (ECONNREFUSED)' in: $(grep -v '^ ' "$W/$1.log")"
    [ $ms -lt 900 ] || fail "$1: tcpfsm-nc took $ms ms (a SYN retransmitted?)"
    [ "$(ctr "$W/$1.log" AttemptFails)" = 1 ] ||
        fail "$1: AttemptFails is '$(ctr "$W/$1.log" AttemptFails)', want 1"
    nsyn=$(count "$W/$1.pcap" "tcp.flags.syn == 1 && !icmp && ip.src == $SADDR")
    [ "$nsyn" -eq 1 ] || fail "$1: $nsyn SYNs in the capture, want 1"
}

# 1. RST, no ICMP.
probe rst
nrst=$(count "$W/rst.pcap" "tcp.flags.reset == 1 && !icmp && ip.src == $FADDR")
nicmp=$(count "$W/rst.pcap" icmp)
if [ "$nrst" -ne 1 ] || [ "$nicmp" -ne 0 ]; then
    fail "rst: capture has $nrst RSTs and $nicmp ICMP messages, want 1 and 0"
fi
[ "$(ctr "$W/rst.log" IcmpInMsgs)" = 0 ] || fail "rst: IcmpInMsgs is '$(ctr "$W/rst.log" IcmpInMsgs)'"
say "ok: closed port, RST: status 1 after $ms ms, '$(grep refused "$W/rst.log")'; capture: 1 SYN, 1 RST, no ICMP; AttemptFails 1, IcmpInMsgs 0"
check_pcap "$W/rst.pcap"

# 2. ICMP port unreachable instead of RST: a reject rule in the far host's namespace only.
if command -v nft >/dev/null 2>&1; then
    how=nft
    ip netns exec "$NS" nft -f - <<EOF || fail "nft: cannot add the reject rule"
table ip tcpfsm_refused {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport $PORT reject with icmp type port-unreachable
    }
}
EOF
elif command -v iptables >/dev/null 2>&1; then
    how=iptables
    ip netns exec "$NS" iptables -A INPUT -p tcp --dport "$PORT" \
        -j REJECT --reject-with icmp-port-unreachable || fail "iptables: cannot add the reject rule"
else
    echo "SKIP: $T: ICMP port unreachable case: neither nft nor iptables on this machine"
    pass
    exit 0
fi
PCAP_ALLOW=
probe icmp
nunr=$(count "$W/icmp.pcap" "icmp.type == 3 && icmp.code == 3 && ip.src == $FADDR")
nrst=$(count "$W/icmp.pcap" "tcp.flags.reset == 1 && !icmp")
if [ "$nunr" -ne 1 ] || [ "$nrst" -ne 0 ]; then
    fail "icmp: capture has $nunr port unreachable and $nrst RSTs, want 1 and 0"
fi
for c in IcmpInMsgs:1 IcmpInDestUnreachs:1 IcmpInErrors:0 OutOfWindowIcmps:0; do
    v=$(ctr "$W/icmp.log" "${c%:*}")
    [ "$v" = "${c#*:}" ] || fail "icmp: ${c%:*} is '$v', want ${c#*:}"
done
say "ok: closed port, ICMP port unreachable ($how reject): status 1 after $ms ms, '$(grep refused "$W/icmp.log")'; capture: 1 SYN, 1 ICMP 3/3, no RST; IcmpInMsgs 1, IcmpInDestUnreachs 1, OutOfWindowIcmps 0"
check_pcap "$W/icmp.pcap"
pass
