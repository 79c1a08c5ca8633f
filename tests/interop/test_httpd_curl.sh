#!/bin/sh
# curl (the Linux kernel's TCP) fetches files from tcpfsm-httpd over TUN: a 1 MiB binary
# (sha256 compared), two files on one keep-alive connection, HEAD, 404, pipelining, HTTP/1.0. The stack's capture
# is checked with tshark. Usage: test_httpd_curl.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_TOOLS=curl INTEROP_PROGS=tcpfsm-httpd
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

mkdir -p "$W/www"
head -c 1048576 /dev/urandom >"$W/www/big.bin"
printf '<html><body>tcpfsm interop</body></html>\n' >"$W/www/index.html"
head -c 70000 /dev/urandom >"$W/www/mid.bin"

timeout 25 "$BIN/tcpfsm-httpd" --tun "$DEV" --addr "$SADDR/24" --port 80 --trace \
    --pcap "$W/httpd.pcap" "$W/www" >"$W/httpd.log" 2>&1 &
pid=$!
wait_tun

url=http://$SADDR
curl -sS --max-time 10 -o "$W/big.got" "$url/big.bin" || fail "curl GET /big.bin failed"
same_file "$W/www/big.bin" "$W/big.got" "GET /big.bin"

curl -sS -v --max-time 10 -o "$W/index.got" -o "$W/mid.got" "$url/" "$url/mid.bin" \
    >"$W/curl-keepalive.log" 2>&1 || fail "curl keep-alive pair failed"
same_file "$W/www/index.html" "$W/index.got" "GET / (index.html)"
same_file "$W/www/mid.bin" "$W/mid.got" "GET /mid.bin on the same connection"
grep -qi "re-using existing connection" "$W/curl-keepalive.log" ||
    fail "curl did not reuse the connection (keep-alive)"
say "ok: keep-alive: two requests on one connection"

curl -sS -I --max-time 10 "$url/big.bin" >"$W/head.txt" || fail "curl HEAD failed"
grep -q '^HTTP/1.1 200' "$W/head.txt" || fail "HEAD: no 200"
grep -qi '^Content-Length: 1048576' "$W/head.txt" || fail "HEAD: wrong Content-Length"
say "ok: HEAD /big.bin: 200, Content-Length 1048576"

code=$(curl -sS --max-time 10 -o "$W/404.got" -w '%{http_code}' "$url/no-such-file") ||
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
s = socket.create_connection((host, 80), timeout=10)
s.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
r = read_all(s)                     # the server must close after an HTTP/1.0 response
assert r.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in r, r[:300]
print("pipelined GET+HEAD on one connection, HTTP/1.0 request closed by the server")
PY
timeout 10 python3 "$W/pipeline.py" "$SADDR" 1048576 >"$W/pipeline.log" 2>&1 ||
    { cat "$W/pipeline.log"; fail "pipelining / HTTP/1.0 check failed"; }
say "ok: $(cat "$W/pipeline.log")"

sleep 0.3 # let the last FIN/ACK exchanges finish before stopping the server
stop "$pid"
grep -q -- "-->" "$W/httpd.log" || fail "no --trace lines in the server log"
check_pcap "$W/httpd.pcap"
say "PASS"
