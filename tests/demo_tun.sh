#!/bin/sh
# The root-only part of `make demo`: inside a network namespace made for the purpose, the Linux
# kernel's TCP (curl) fetches a page from tcpfsm-httpd running on a TUN device.
# Usage: tests/demo_tun.sh BINDIR
set -eu
bin=${1:-build/bin}
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: the TUN demo needs root (ip netns, /dev/net/tun)"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '<html><body><h1>Hello from tcpfsm</h1><p>Served by a userspace TCP whose every state decision comes from spec/tcp.fsm.</p></body></html>\n' >"$work/index.html"

# Inside the namespace: the kernel side is 10.77.0.1, our stack answers as 10.77.0.2.
# shellcheck disable=SC2016
sh "$here/netns.sh" --tun tfdemo0 --addr-kernel 10.77.0.1/24 --addr-stack 10.77.0.2 -- sh -c '
    "$0"/tcpfsm-httpd --tun tfdemo0 --addr 10.77.0.2/24 --port 80 --trace "$1" >"$1/httpd.log" 2>&1 &
    pid=$!
    ok=1
    for i in 1 2 3 4 5 6 7 8 9 10; do
        if curl -sS --max-time 5 -o "$1/got.html" http://10.77.0.2/index.html; then ok=0; break; fi
        sleep 0.3
    done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    if [ $ok -ne 0 ]; then echo "demo-tun: curl could not fetch the page"; cat "$1/httpd.log"; exit 1; fi
    echo "demo-tun: curl (Linux kernel TCP) fetched index.html from tcpfsm-httpd over TUN:"
    cat "$1/got.html"
    echo "demo-tun: the server side of that exchange, one line per transition:"
    grep -- "-->" "$1/httpd.log" | head -20
' "$bin" "$work"
