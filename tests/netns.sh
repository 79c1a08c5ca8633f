#!/bin/sh
# tests/netns.sh — run a command inside a throwaway network namespace that has a TUN device
# for a tcpfsm stack, so nothing outside the namespace is ever touched.
#
# Usage: tests/netns.sh [--ns NAME] [--tun DEV] [--kernel-addr A.B.C.D/NN] [--addr-stack A.B.C.D]
#                       [--multi-queue] -- CMD [ARG]...
#   --ns NAME          namespace name (default tcpfsm-<pid>; must not exist yet)
#   --tun DEV          TUN device created inside it (default tf0)
#   --kernel-addr A/NN the kernel side's address on DEV (default 10.77.0.1/24);
#                      --addr-kernel is the same option
#   --addr-stack A     the stack's address: a host route to it via DEV is added when it is
#                      outside the kernel address's prefix
#   --multi-queue      DEV is a multi-queue TUN device (one queue per tcpfsm shard)
#
# As root: creates the namespace, brings lo up, creates DEV (ip tuntap add mode tun), gives
# the kernel side its address, sets DEV up, runs CMD inside (ip netns exec) and returns its
# status. The namespace, DEV and every process left inside are removed on exit, whatever
# happens. Without root, /dev/net/tun or ip(8): prints "SKIP: <reason>" and exits 0.
set -u
ns="tcpfsm-$$"
dev=tf0
kaddr=10.77.0.1/24
saddr=
mq=
while [ $# -gt 0 ]; do
    case "$1" in
    --ns) ns=$2; shift 2 ;;
    --tun) dev=$2; shift 2 ;;
    --kernel-addr | --addr-kernel) kaddr=$2; shift 2 ;;
    --addr-stack) saddr=${2%/*}; shift 2 ;;
    --multi-queue) mq=multi_queue; shift ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    *) echo "netns.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
done
if [ $# -eq 0 ]; then
    echo "netns.sh: no command given (usage: netns.sh [options] -- CMD...)" >&2
    exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: network namespaces and TUN need root"
    exit 0
fi
if [ ! -c /dev/net/tun ]; then
    echo "SKIP: no /dev/net/tun (modprobe tun, or run the container with --device /dev/net/tun)"
    exit 0
fi
if ! command -v ip >/dev/null 2>&1; then
    echo "SKIP: ip(8) not installed (apt-get install iproute2)"
    exit 0
fi
if ip netns list 2>/dev/null | grep -q "^$ns\( \|\$\)"; then
    echo "netns.sh: namespace $ns already exists" >&2
    exit 2
fi

cleanup() {
    # Only processes inside our own namespace: whatever CMD left behind.
    pids=$(ip netns pids "$ns" 2>/dev/null)
    if [ -n "$pids" ]; then
        kill $pids 2>/dev/null
        sleep 0.2
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [ -n "$pids" ] && kill -9 $pids 2>/dev/null
    fi
    ip netns del "$ns" 2>/dev/null
}
if ! ip netns add "$ns" 2>/dev/null; then
    echo "SKIP: cannot create a network namespace here (ip netns add failed)"
    exit 0
fi
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "netns.sh: $*" >&2
    exit 1
}
ip -n "$ns" link set lo up || fail "cannot set lo up"
# shellcheck disable=SC2086  # $mq: empty or one word
ip -n "$ns" tuntap add dev "$dev" mode tun $mq || fail "cannot create TUN device $dev"
# No IPv6 on the device: keeps router solicitations etc. out of the captures.
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" >/dev/null 2>&1 || true
ip -n "$ns" addr add "$kaddr" dev "$dev" || fail "cannot add $kaddr to $dev"
ip -n "$ns" link set dev "$dev" up || fail "cannot set $dev up"
if [ -n "$saddr" ]; then
    # A host route unless the kernel address's prefix already leads to DEV.
    if ! ip -n "$ns" route get "$saddr" 2>/dev/null | grep -q "dev $dev"; then
        ip -n "$ns" route add "$saddr/32" dev "$dev" || fail "cannot route $saddr via $dev"
    fi
fi

ip netns exec "$ns" "$@"
rc=$?
exit $rc
