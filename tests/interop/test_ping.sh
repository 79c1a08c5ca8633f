#!/bin/sh
# ICMP over TUN (runtime/ip/icmp.c): the kernel's ping against tcpfsm-echo. RFC 1122 3.2.2.6:
# every echo request gets an echo reply with its identifier, sequence number and data
# (ping -c 3 with a pattern, 3 of 3 answered; the capture shows each reply from our address
# matching its request), the round-trip times ping measured in the log. A burst of 100
# requests at once (ping -l 100) meets the rate limit (a bucket of 50, 1000 per second):
# some are not answered, most are. RFC 1122 3.2.2.1: a UDP datagram, a protocol we do not
# speak, is answered with protocol unreachable, which Linux reports to the UDP socket as
# ENOPROTOOPT.
# Usage: test_ping.sh BINDIR [WORKDIR]
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_TOOLS=ping INTEROP_PROGS=tcpfsm-echo
. "$(dirname "$0")/lib.sh"
interop_enter "$@"

timeout 20 "$BIN/tcpfsm-echo" --tun "$DEV" --addr "$SADDR/24" --port 7 \
    --pcap "$W/ping.pcap" 2>"$W/echo.log" &
pid=$!
wait_tun

# 1. ping -c 3: three requests, three replies, the payload pattern echoed (ping checks it).
timeout 10 ping -c 3 -i 0.2 -W 2 -p 5a17 -s 100 "$SADDR" >"$W/ping.txt" 2>&1 ||
    fail "ping failed: $(cat "$W/ping.txt")"
grep -q "3 packets transmitted, 3 received" "$W/ping.txt" || fail "not 3 of 3: $(cat "$W/ping.txt")"
grep -q "wrong data" "$W/ping.txt" && fail "an echo reply's data differed: $(cat "$W/ping.txt")"
say "ok: ping -c 3: $(grep -E 'rtt|round-trip' "$W/ping.txt")"

# 2. a burst over the rate limit: at least the bucket's 50 answered, not all of 100
timeout 15 ping -c 100 -l 100 -i 0.2 -W 2 -q "$SADDR" >"$W/burst.txt" 2>&1 || true
got=$(sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' "$W/burst.txt")
[ -n "$got" ] || fail "no ping summary: $(cat "$W/burst.txt")"
[ "$got" -ge 50 ] && [ "$got" -lt 100 ] ||
    fail "burst of 100: want 50..99 answered (bucket 50, 1000/s), got $got"
say "ok: burst of 100 echo requests: $got answered, the rest over the rate limit"

# 3. UDP: protocol unreachable, ENOPROTOOPT at the kernel's socket
sleep 0.1 # a token back in the bucket
timeout 5 python3 - "$SADDR" >"$W/udp.txt" 2>&1 <<'PY' || fail "UDP: $(cat "$W/udp.txt")"
import errno, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], 9))
s.send(b"anyone?")
try:
    s.recv(100)
    sys.exit("UDP: an answer, want protocol unreachable")
except OSError as e:
    if e.errno != errno.ENOPROTOOPT:
        sys.exit("UDP: %s, want ENOPROTOOPT (protocol unreachable)" % e)
print("ENOPROTOOPT")
PY
say "ok: UDP datagram answered with protocol unreachable (ENOPROTOOPT)"
stop "$pid"

# The capture: each reply from us carries its request's identifier and sequence number.
tshark -r "$W/ping.pcap" -Y 'icmp.type == 0' -T fields -e ip.src -e icmp.ident -e icmp.seq \
    >"$W/replies.txt" 2>"$W/tshark.log" || fail "tshark failed"
tshark -r "$W/ping.pcap" -Y 'icmp.type == 8' -T fields -e ip.src -e icmp.ident -e icmp.seq \
    >"$W/requests.txt" 2>>"$W/tshark.log" || fail "tshark failed"
awk -v s="$SADDR" '$1 != s { bad = 1 } END { exit bad }' "$W/replies.txt" ||
    fail "an echo reply not from $SADDR"
cut -f2,3 "$W/requests.txt" | head -3 >"$W/req3.txt"
cut -f2,3 "$W/replies.txt" | head -3 >"$W/rep3.txt"
cmp -s "$W/req3.txt" "$W/rep3.txt" || fail "the first 3 replies do not match their requests"
tshark -r "$W/ping.pcap" -Y 'icmp.type == 3 && icmp.code == 2' 2>>"$W/tshark.log" | grep -q . ||
    fail "no protocol unreachable in the capture"
say "ok: the capture: replies from $SADDR with their requests' id/seq, a protocol unreachable"
pass
