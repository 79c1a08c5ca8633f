#!/bin/sh
# The root-only part of `make demo`: inside a network namespace made for the purpose, the Linux
# kernel's TCP (curl) fetches a page from tcpfsm-httpd running on a TUN device. The server
# serves that one connection and ends by itself once it is over on the wire (--exit-after 1),
# so its trace shows the whole life of both TCBs, the listener's and the connection's, from
# LISTEN to CLOSED; `ss -tan` shows the kernel's end of the same connection, and the capture's
# frame numbers are those the trace lines give.
# Usage: tests/demo_tun.sh BINDIR [CAPTURE]   (CAPTURE: where to keep the TUN capture)
set -eu
bin=${1:-build/bin}
keep=${2:-}
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
    "$0"/tcpfsm-httpd --tun tfdemo0 --addr 10.77.0.2/24 --port 80 --exit-after 1 --trace \
        --pcap "$1/tun.pcap" "$1/index.html" >"$1/httpd.log" 2>&1 &
    pid=$!
    ok=1
    for i in 1 2 3 4 5 6 7 8 9 10; do
        if curl -sS --max-time 5 -o "$1/got.html" http://10.77.0.2/index.html; then ok=0; break; fi
        sleep 0.3
    done
    if [ $ok -ne 0 ]; then
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
        echo "demo-tun: curl could not fetch the page"; cat "$1/httpd.log"; exit 1
    fi
    sleep 0.2 # the last ACK of the close
    ss -tan state all "( sport = :80 or dport = :80 )" >"$1/ss.txt" 2>&1 || true
    # the server exits by itself when its connection is CLOSED (it closed second: no TIME_WAIT)
    gone=1
    for i in $(seq 1 50); do
        if ! kill -0 "$pid" 2>/dev/null; then gone=0; break; fi
        sleep 0.1
    done
    if [ $gone -ne 0 ]; then
        kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
        echo "demo-tun: tcpfsm-httpd did not exit after its connection ended"; cat "$1/httpd.log"; exit 1
    fi
    st=0; wait "$pid" || st=$?
    if [ $st -ne 0 ]; then echo "demo-tun: tcpfsm-httpd exited $st"; cat "$1/httpd.log"; exit 1; fi
    echo "demo-tun: curl (Linux kernel TCP) fetched index.html from tcpfsm-httpd over TUN:"
    cat "$1/got.html"
    echo "demo-tun: the server side, one line per transition (ms since start; the frame is the"
    echo "          packet of the capture that caused it):"
    grep -- "-->" "$1/httpd.log"
    grep "tcpfsm-httpd: " "$1/httpd.log" || true
    echo "demo-tun: the kernel side (curl closed first, so the kernel holds TIME-WAIT), ss -tan:"
    cat "$1/ss.txt"
    if command -v tshark >/dev/null 2>&1; then
        echo "demo-tun: the capture (tshark -r tun.pcap), frame numbers as in the trace:"
        tshark -n -r "$1/tun.pcap" 2>/dev/null | head -20
    fi
    grep -q "LAST_ACK --RCV_ACK.*--> CLOSED" "$1/httpd.log" ||
        { echo "demo-tun: the connection did not end in CLOSED"; exit 1; }
    grep -q "LISTEN --APP_CLOSE.*--> CLOSED" "$1/httpd.log" ||
        { echo "demo-tun: the listener did not end in CLOSED"; exit 1; }
' "$bin" "$work"
if [ -n "$keep" ]; then
    cp "$work/tun.pcap" "$keep" && echo "demo-tun: capture kept in $keep (tshark -r $keep)"
fi
