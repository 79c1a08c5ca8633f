#!/bin/sh
# curl (the Linux kernel's TCP) fetches files from tcpfsm-httpd over TUN: a 20 MiB binary
# (sha256 compared), 100 files over 100 concurrent connections (curl --parallel), two files
# on one keep-alive connection, HEAD, 404, pipelining, HTTP/1.0. Who holds TIME-WAIT: when curl
# closes first the kernel does (ss -tan state time-wait); when the server closes first (the
# HTTP/1.0 request) the kernel has nothing left for that 4-tuple and tcpfsm-httpd's own
# listing (SIGUSR1) shows TIME_WAIT. The stack's capture is checked with tshark.
# Usage: test_httpd_curl.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_TOOLS=curl INTEROP_PROGS=tcpfsm-httpd
. "$(dirname "$0")/lib.sh"
INTEROP_TIMEOUT=35
interop_enter "$@"

mkdir -p "$W/www"
BIG=20971520 # 20 MiB
head -c $BIG /dev/urandom >"$W/www/big.bin"
printf '<html><body>tcpfsm interop</body></html>\n' >"$W/www/index.html"
head -c 70000 /dev/urandom >"$W/www/mid.bin"
NPAR=100
mkdir -p "$W/www/par" "$W/par"
i=1
while [ $i -le $NPAR ]; do
    head -c $((40000 + i * 700)) /dev/urandom >"$W/www/par/f$i.bin"
    i=$((i + 1))
done

timeout 30 "$BIN/tcpfsm-httpd" --tun "$DEV" --addr "$SADDR/24" --port 80 --trace \
    --pcap "$W/httpd.pcap" "$W/www" >"$W/httpd.log" 2>&1 &
pid=$!
wait_tun

url=http://$SADDR
t0=$(date +%s.%N)
lport=$(timeout 20 curl -sS --max-time 20 -w '%{local_port}' -o "$W/big.got" "$url/big.bin") ||
    fail "curl GET /big.bin failed"
say "ok: GET /big.bin: $(echo "$t0 $(date +%s.%N)" | awk -v b=$BIG '{ printf "%.0f ms, %.0f MB/s", ($2-$1)*1000, b/($2-$1)/1e6 }')"
same_file "$W/www/big.bin" "$W/big.got" "GET /big.bin"
# curl closed its connection first (at exit): the kernel's side goes to TIME-WAIT
wait_kernel_time_wait "$KADDR:$lport" "$SADDR:80" ||
    fail "curl closed first, but ss -tan state time-wait has no $KADDR:$lport -> $SADDR:80 (kernel: '$(kernel_state "$KADDR:$lport" "$SADDR:80")')"
say "ok: curl closed first: ss -tan state time-wait shows $KADDR:$lport $SADDR:80"

# 100 files, each on a connection of its own, all at once.
timeout 20 curl -sS --max-time 15 --parallel --parallel-immediate --parallel-max $NPAR \
    -w '%{http_code} %{local_port}\n' -o "$W/par/#1.bin" "$url/par/f[1-$NPAR].bin" \
    >"$W/parallel.txt" 2>"$W/curl-parallel.log" || fail "curl --parallel failed: $(head -5 "$W/curl-parallel.log")"
n200=$(grep -c '^200 ' "$W/parallel.txt" || true)
nports=$(awk '{ print $2 }' "$W/parallel.txt" | sort -u | wc -l)
[ "$n200" -eq $NPAR ] || fail "curl --parallel: $n200 of $NPAR responses were 200"
[ "$nports" -eq $NPAR ] || fail "curl --parallel: $nports connections for $NPAR transfers"
i=1
while [ $i -le $NPAR ]; do
    cmp -s "$W/www/par/f$i.bin" "$W/par/$i.bin" || fail "curl --parallel: par/f$i.bin differs"
    i=$((i + 1))
done
say "ok: curl --parallel --parallel-max $NPAR: $NPAR files, $nports connections, all 200 and intact"

timeout 15 curl -sS -v --max-time 10 -o "$W/index.got" -o "$W/mid.got" "$url/" "$url/mid.bin" \
    >"$W/curl-keepalive.log" 2>&1 || fail "curl keep-alive pair failed"
same_file "$W/www/index.html" "$W/index.got" "GET / (index.html)"
same_file "$W/www/mid.bin" "$W/mid.got" "GET /mid.bin on the same connection"
grep -qi "re-using existing connection" "$W/curl-keepalive.log" ||
    fail "curl did not reuse the connection (keep-alive)"
say "ok: keep-alive: two requests on one connection"

timeout 15 curl -sS -I --max-time 10 "$url/big.bin" >"$W/head.txt" || fail "curl HEAD failed"
grep -q '^HTTP/1.1 200' "$W/head.txt" || fail "HEAD: no 200"
grep -qi "^Content-Length: $BIG" "$W/head.txt" || fail "HEAD: wrong Content-Length"
say "ok: HEAD /big.bin: 200, Content-Length $BIG"

code=$(timeout 15 curl -sS --max-time 10 -o "$W/404.got" -w '%{http_code}' "$url/no-such-file") ||
    fail "curl 404 request failed"
[ "$code" = 404 ] || fail "expected 404, got $code"
say "ok: GET /no-such-file: 404"

# Two pipelined requests in one segment, then an HTTP/1.0 request (closes after the response).
cat >"$W/pipeline.py" <<'PY'
import socket, sys
host, size = sys.argv[1], int(sys.argv[2])
def read_all(s):
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            return out
        out += b
s = socket.create_connection((host, 80), timeout=10)
s.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"
          b"HEAD /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
r = read_all(s)
assert r.count(b"HTTP/1.1 200 OK") == 2, r[:300]
assert (b"Content-Length: %d" % size) in r, r[:300]
assert r.endswith(b"\r\n\r\n"), "HEAD response carried a body"
s.close()
s = socket.create_connection((host, 80), timeout=10)
s.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
r = read_all(s)                     # the server must close after an HTTP/1.0 response
assert r.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in r, r[:300]
port = s.getsockname()[1]
s.close()
print("pipelined GET+HEAD on one connection, HTTP/1.0 request closed by the server")
print(port)
PY
timeout 10 python3 "$W/pipeline.py" "$SADDR" $BIG >"$W/pipeline.log" 2>&1 ||
    { cat "$W/pipeline.log"; fail "pipelining / HTTP/1.0 check failed"; }
say "ok: $(head -1 "$W/pipeline.log")"

# The server closed the HTTP/1.0 connection first: TIME-WAIT is ours, not the kernel's.
p10=$(tail -1 "$W/pipeline.log")
wait_kernel_gone "$KADDR:$p10" "$SADDR:80" ||
    fail "server closed first, yet the kernel still has $KADDR:$p10 -> $SADDR:80 in '$(kernel_state "$KADDR:$p10" "$SADDR:80")'"
stack_listing "$pid" "$W/httpd.log"
us=$(stack_state "$W/httpd.log" "$SADDR:80" "$KADDR:$p10")
[ "$us" = TIME_WAIT ] ||
    fail "server closed first: tcpfsm-httpd's listing has '$us' for $SADDR:80 $KADDR:$p10, not TIME_WAIT"
say "ok: server closed first: no kernel socket for $KADDR:$p10, tcpfsm_ss shows $SADDR:80 $KADDR:$p10 TIME_WAIT"

sleep 0.3 # let the last FIN/ACK exchanges finish before stopping the server
say "ok: $DEV: $(link_drops) packets dropped by the kernel on the way to the stack"
stop "$pid"
grep -q -- "-->" "$W/httpd.log" || fail "no --trace lines in the server log"
check_pcap "$W/httpd.pcap"
# How many connections were open at once (SYN .. first FIN), for the record: curl opens all
# 100 immediately, but does not promise it (test_echo_python's barrier does).
maxopen=$(timeout 30 tshark -n -r "$W/httpd.pcap" -Y '(tcp.flags.syn == 1 && tcp.flags.ack == 0) || tcp.flags.fin == 1' \
    -T fields -e tcp.stream -e tcp.flags.syn 2>/dev/null |
    awk '$2 == 1 { c++; if (c > m) m = c; next } !($1 in fin) { fin[$1] = 1; c-- } END { print m + 0 }')
say "ok: capture: up to $maxopen connections open at the same time"
pass
