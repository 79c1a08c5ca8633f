#!/bin/sh
# Offloads through virtio-net headers (tcpfsm-httpd/-nc --offload, runtime/link/vnet.c) against
# the Linux kernel, and what the wire carries:
#  (a) curl downloads 20 MiB from tcpfsm-httpd --tun --offload, and tcpfsm-nc --offload sends
#      and receives 20 MiB at once to and from a python3 server (sha256 each): the kernel
#      granted csum and tso4 (-v; ethtool -k shows TSO on the device), --ss counts trains both
#      ways (TxTrains, RxTrains > 0: our 64 KB writes, the kernel's 64 KB packets), no bad
#      header, no checksum error; their --pcap captures hold segments, not the device's
#      frames, every checksum good (tcpfsm-nc's passes check_pcap);
#  (b) the proof: 20 MiB downloaded through a Linux router (this namespace) to a client behind
#      a veth pair whose TSO, GSO, GRO and checksum offloads are off, so each packet seen on the
#      veth is one the wire would carry. The capture there (tcpdump, nothing dropped) has every
#      TCP segment of ours at most the client's MSS and every IP and TCP checksum good
#      (tshark), and our segments on it are exactly those the stack sent one by one (its own
#      capture: sequence number, length, flags, IP ID, window, options, checksum), while the
#      stack wrote them as trains (TxTrains grew by the transfer);
#  (c) --offload=none, the fallback (virtio-net headers, no offload: one datagram per frame):
#      the same 20 MiB both ways, no train either way, TSO off on the device;
#  (d) a plain --tun program after an --offload one (the device keeps the offloads a program
#      negotiated): netio switches them off, and 4 MiB arrive intact.
# Needs ethtool (ip(8) cannot turn a veth's offloads off; sh .ci/deps.sh installs it).
# Usage: test_offload_tun.sh BINDIR [WORKDIR]
# interop-timeout: 80
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_TOOLS="curl tcpdump ethtool" INTEROP_PROGS="tcpfsm-httpd tcpfsm-nc"
. "$(dirname "$0")/lib.sh"
INTEROP_TIMEOUT=75 # ~15 s; three times that on a loaded machine
interop_enter "$@"

SIZE=20971520 # 20 MiB
NS=tcpfsm-offload-$$
CADDR=10.78.0.2
RADDR=10.78.0.1
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT

# LOG WHEN NAME: a counter from the last block of the vnet layer's counters labelled WHEN
# ("at exit" or "on SIGUSR1") in LOG.
vctr() {
    awk -v h="link counters (tcpfsm_vnet_get_stats) $2:" -v k="$3" '
        index($0, h) { on = 1; v = ""; next }
        on && !/^  / { on = 0 }
        on { for (i = 1; i < NF; i++) if ($i == k) v = $(i + 1) }
        END { print v == "" ? "-" : v }' "$1"
}
# LOG NAME: a stack counter (tcpfsm_get_stats) at exit.
sctr() {
    sed -n '/counters (tcpfsm_get_stats) at exit:/,$p' "$1" |
        awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}
# DEV FEATURE: on or off, as ethtool -k says.
feature() {
    ethtool -k "$1" 2>/dev/null | awk -v f="$2:" '$1 == f { print $2 }'
}
cnt_ge() { # VALUE MIN WHAT
    case $1 in '' | *[!0-9]*) fail "$3 is '$1', not a number" ;; esac
    [ "$1" -ge "$2" ] || fail "$3 is $1, want at least $2"
}
cnt_eq() { # VALUE WANT WHAT
    [ "$1" = "$2" ] || fail "$3 is '$1', want $2"
}

mkdir -p "$W/www"
head -c $SIZE /dev/urandom >"$W/www/big.bin"
head -c $SIZE /dev/urandom >"$W/up.bin"

# The client's namespace behind a veth pair; this namespace routes. Every offload of both ends
# off: the kernel segments and sums each packet before the veth (so the capture sees what a
# wire would carry) and merges nothing it receives.
ip netns add "$NS" || fail "cannot make the client's namespace"
ip link add vr type veth peer name vc netns "$NS" || fail "cannot make the veth pair"
ip addr add "$RADDR/24" dev vr
ip link set vr up
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip addr add "$CADDR/24" dev vc
ip netns exec "$NS" ip link set vc up
ip netns exec "$NS" ip route add default via "$RADDR"
sysctl -qw net.ipv4.ip_forward=1 || fail "cannot enable forwarding"
ethtool -K vr tx off tso off gso off gro off >"$W/ethtool.log" 2>&1 ||
    fail "ethtool -K vr failed: $(cat "$W/ethtool.log")"
ip netns exec "$NS" ethtool -K vc tx off tso off gso off gro off >>"$W/ethtool.log" 2>&1 ||
    fail "ethtool -K vc failed: $(cat "$W/ethtool.log")"
for f in tx-checksumming tcp-segmentation-offload generic-segmentation-offload \
    generic-receive-offload; do
    [ "$(feature vr $f)" = off ] || fail "vr: $f is '$(feature vr $f)' after ethtool -K, want off"
done
say "ok: veth vr/vc: tx-checksumming, TSO, GSO, GRO off"

# ---- (a), (b): tcpfsm-httpd --offload
timeout 40 "$BIN/tcpfsm-httpd" --tun "$DEV" --addr "$SADDR/24" --port 80 --offload -v --ss \
    --pcap "$W/httpd.pcap" "$W/www" >"$W/httpd.log" 2>&1 &
hpid=$!
wait_tun
grep -q "$DEV: virtio-net headers, offloads: csum tso4\$" "$W/httpd.log" ||
    fail "tcpfsm-httpd -v does not say 'offloads: csum tso4': $(grep offloads "$W/httpd.log")"
tso=$(feature "$DEV" tcp-segmentation-offload) csum=$(feature "$DEV" tx-checksumming)
if [ "$tso" != on ] || [ "$csum" != on ]; then
    fail "$DEV with --offload: tcp-segmentation-offload '$tso', tx-checksumming '$csum' (ethtool -k)"
fi
say "ok: --offload granted csum tso4 (-v); ethtool -k $DEV: tx-checksumming on, TSO on"

t0=$(date +%s.%N)
timeout 15 curl -sS --max-time 15 -o "$W/a.got" "http://$SADDR/big.bin" 2>"$W/curl-a.log" ||
    fail "curl (local kernel) failed: $(cat "$W/curl-a.log")"
ms=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.0f", ($2 - $1) * 1000 }')
same_file "$W/www/big.bin" "$W/a.got" "(a) curl <- tcpfsm-httpd --offload, $ms ms"
stack_listing "$hpid" "$W/httpd.log"
tx_a=$(vctr "$W/httpd.log" "on SIGUSR1" TxTrains)
cnt_ge "$tx_a" 1 "(a) TxTrains after the download"

# --immediate-mode: packets reach the file as they come, none left in a buffer at the end
tcpdump -n -i vr -s 0 -B 65536 --immediate-mode -w "$W/veth.pcap" tcp >"$W/tcpdump.log" 2>&1 &
tdpid=$!
i=0
until grep -q "listening on vr" "$W/tcpdump.log"; do
    i=$((i + 1)); [ $i -le 100 ] || fail "tcpdump did not start: $(cat "$W/tcpdump.log")"
    sleep 0.05
done
t0=$(date +%s.%N)
timeout 15 ip netns exec "$NS" curl -sS --max-time 15 -o "$W/b.got" "http://$SADDR/big.bin" \
    2>"$W/curl-b.log" || fail "curl through the router failed: $(cat "$W/curl-b.log")"
ms=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.0f", ($2 - $1) * 1000 }')
sleep 0.2 # the last ACKs and FINs
kill -INT "$tdpid"
wait "$tdpid" 2>/dev/null || true
same_file "$W/www/big.bin" "$W/b.got" "(b) curl through the router <- tcpfsm-httpd --offload, $ms ms"
stop "$hpid"
tx_b=$(vctr "$W/httpd.log" "at exit" TxTrains)
cnt_ge "$tx_b" $((tx_a + 1)) "(b) TxTrains at exit (was $tx_a before the routed download)"
for k in RxBadHeader TxDrops; do cnt_eq "$(vctr "$W/httpd.log" "at exit" $k)" 0 "tcpfsm-httpd $k"; done
cnt_eq "$(sctr "$W/httpd.log" InCsumErrors)" 0 "tcpfsm-httpd InCsumErrors"
say "ok: tcpfsm-httpd wrote $tx_a trains for the local download, $((tx_b - tx_a)) for the routed one ($(vctr "$W/httpd.log" "at exit" TxSegments) segments in $(vctr "$W/httpd.log" "at exit" TxFrames) frames)"

# (b) the veth: what the router put on the wire
tdn() { sed -n "s/^\([0-9]*\) packets* $1\$/\1/p" "$W/tcpdump.log"; }
cnt_eq "$(tdn 'dropped by kernel')" 0 "packets tcpdump lost on vr"
cnt_eq "$(tdn captured)" "$(tdn 'received by filter')" "packets tcpdump wrote (of those it got)"
# One tshark pass over each capture (20 MiB of text: a pass costs seconds), the same fields
# from both: addresses, lengths, checksum verdicts, the client's MSS, then the segment.
F="-e ip.src -e ip.dst -e ip.len -e tcp.len -e tcp.checksum.status -e ip.checksum.status
   -e tcp.options.mss_val -e tcp.checksum -e tcp.seq_raw -e tcp.ack_raw -e tcp.flags -e ip.id
   -e tcp.window_size_value -e tcp.options"
for c in veth httpd; do
    # shellcheck disable=SC2086
    tshark -n -r "$W/$c.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -T fields \
        -E occurrence=f $F >"$W/$c.txt" 2>"$W/tshark-$c.log" || fail "tshark cannot read $c.pcap"
done
# checks FILE KERNEL: "packets bad ffff mss segs text big iplen" for the segments from $SADDR
# to $CADDR. Linux now and then sums a segment to 0xffff where tshark wants 0x0000 (the same
# value, -0 in one's complement: RFC 1624 3): excused for the segments the kernel summed (from
# KERNEL, as check_pcap does), never for those the stack summed.
checks() {
    awk -F'\t' -v us="$SADDR" -v cl="$CADDR" -v k="$2" '
        { n++ }
        $5 == 0 && ($1 == k || $1 == cl) && $8 == "0xffff" { ffff++; $5 = 1 }
        $5 != 1 || $6 != 1 { bad++ }
        $1 == cl && $7 != "" { mss = $7 }
        $1 == us && $2 == cl { segs++; text += $4; if ($4 > big) big = $4; if ($3 > ipl) ipl = $3 }
        END { printf "%d %d %d %s %d %d %d %d\n", n, bad, ffff, mss == "" ? "-" : mss, segs, text,
              big, ipl }' "$1"
}
# segs FILE: our segments to the client, without what the router changes (TTL, IP checksum).
# A checksum of 0xffff is written as 0x0000 (see the veth's checks below: on vr it is the
# kernel's -0 for 0); the stack's own capture, checked with no such excuse, must then say 0x0000.
segs() {
    awk -F'\t' -v us="$SADDR" -v cl="$CADDR" 'BEGIN { OFS = "\t" }
        $1 == us && $2 == cl { if ($8 == "0xffff") $8 = "0x0000"
                               print $9, $10, $4, $11, $12, $13, $14, $8 }' "$1" | sort
}
# On vr every segment of ours was summed by the kernel too: the router forwards our GSO trains
# with the checksum partial, and the kernel completes it for the veth without offloads
# (skb_checksum_help), which writes a sum of 0 as 0xffff as it does for its own segments. So
# the excuse covers ours here; segs below holds each such segment to the stack's capture,
# where it must be 0x0000 and good.
# shellcheck disable=SC2046  # word splitting wanted
set -- $(checks "$W/veth.txt" "$SADDR")
n=$1 bad=$2 ffff=$3 mss=$4 segs=$5 text=$6 big=$7 iplen=$8
[ "$n" -gt 0 ] || fail "nothing captured on vr"
[ "$mss" != - ] || fail "no SYN with an MSS from the client on vr"
cnt_eq "$bad" 0 "packets on vr whose IP or TCP checksum tshark does not call good"
[ "$big" -le "$mss" ] || fail "a segment of ours on vr carries $big bytes, above the MSS $mss"
[ "$iplen" -le 1500 ] || fail "a datagram of ours on vr has $iplen bytes, above vr's MTU 1500"
cnt_ge "$text" $SIZE "bytes of text of ours on vr"
extra=""
[ "$ffff" -eq 0 ] || extra=" ($ffff with the kernel's 0xffff for 0x0000)"
say "ok: (b) on vr: $n packets, every IP and TCP checksum good$extra; our $segs segments carry $text bytes, none above $big bytes of text (MSS $mss), datagrams <= $iplen bytes"
# ... and they are what the stack sent, segment by segment (the router only lowered the TTL)
segs "$W/veth.txt" >"$W/veth.segs"
segs "$W/httpd.txt" >"$W/stack.segs"
[ -s "$W/stack.segs" ] || fail "no segment to $CADDR in tcpfsm-httpd's capture"
if ! cmp -s "$W/veth.segs" "$W/stack.segs"; then
    diff "$W/stack.segs" "$W/veth.segs" | head -10
    fail "our segments on vr ($(wc -l <"$W/veth.segs")) differ from those the stack sent ($(wc -l <"$W/stack.segs"))"
fi
say "ok: (b) the $(wc -l <"$W/veth.segs") segments on vr are those the stack sent one by one (seq, ack, length, flags, IP ID, window, options, checksum)"
# tcpfsm-httpd's own capture (both downloads): every checksum good, ours computed by netio
# for the capture where the kernel completes them (check_pcap's other checks run on nc.pcap)
# shellcheck disable=SC2046  # word splitting wanted
set -- $(checks "$W/httpd.txt" "$KADDR")
cnt_eq "$2" 0 "packets in httpd.pcap whose IP or TCP checksum tshark does not call good"
say "ok: httpd.pcap: $1 packets (segments, not the device's frames), every checksum good"

# ---- (a), (c), (d): tcpfsm-nc against a python3 server, 20 MiB each way at once
cat >"$W/server.py" <<'PY'
import socket, sys, threading
host, port, send_path, recv_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((host, port))
ls.listen(1)
ls.settimeout(10)
print("listening", flush=True)
c, peer = ls.accept()
c.settimeout(10)
data = open(send_path, "rb").read()
got = []
def reader():
    while True:
        b = c.recv(1 << 20)
        if not b:
            return
        got.append(b)
t = threading.Thread(target=reader)
t.start()
c.sendall(data)
c.shutdown(socket.SHUT_WR)
t.join(15)
if t.is_alive():
    raise SystemExit("no FIN from tcpfsm-nc")
open(recv_path, "wb").write(b"".join(got))
c.close()
print("server: sent %d, received %d bytes" % (len(data), sum(map(len, got))), flush=True)
PY
# nc_run NAME SEND RECEIVE [OPTION...]: tcpfsm-nc OPTIONS sends SEND, the server RECEIVE.
nc_run() {
    name=$1 snd=$2 rcv=$3
    shift 3
    timeout 20 python3 "$W/server.py" "$KADDR" 7000 "$rcv" "$W/$name.srv.got" \
        >"$W/$name.server.log" 2>&1 &
    spid=$!
    i=0
    until grep -q listening "$W/$name.server.log" 2>/dev/null; do
        i=$((i + 1)); [ $i -le 50 ] || fail "$name: python3 server did not start"; sleep 0.1
    done
    t0=$(date +%s.%N)
    timeout 15 "$BIN/tcpfsm-nc" --tun "$DEV" --addr "$SADDR/24" -v --ss "$@" "$KADDR" 7000 \
        <"$snd" >"$W/$name.nc.got" 2>"$W/$name.nc.log" ||
        fail "$name: tcpfsm-nc $* exited with status $?"
    wait "$spid" || fail "$name: python3 server failed: $(cat "$W/$name.server.log")"
    ms=$(echo "$t0 $(date +%s.%N)" | awk '{ printf "%.0f", ($2 - $1) * 1000 }')
    same_file "$rcv" "$W/$name.nc.got" "$name: python3 -> tcpfsm-nc, $ms ms"
    same_file "$snd" "$W/$name.srv.got" "$name: tcpfsm-nc -> python3"
    cnt_eq "$(sctr "$W/$name.nc.log" InCsumErrors)" 0 "$name: InCsumErrors"
}

nc_run nc-offload "$W/up.bin" "$W/www/big.bin" --offload --pcap "$W/nc.pcap"
L=$W/nc-offload.nc.log
grep -q "offloads: csum tso4\$" "$L" || fail "tcpfsm-nc -v does not say 'offloads: csum tso4'"
rx=$(vctr "$L" "at exit" RxTrains) tx=$(vctr "$L" "at exit" TxTrains)
cnt_ge "$rx" 1 "(a) tcpfsm-nc --offload RxTrains (GSO packets from the kernel)"
cnt_ge "$tx" 1 "(a) tcpfsm-nc --offload TxTrains"
cnt_eq "$(vctr "$L" "at exit" RxBadHeader)" 0 "(a) tcpfsm-nc --offload RxBadHeader"
say "ok: (a) tcpfsm-nc --offload: $rx of $(vctr "$L" "at exit" RxFrames) frames read were trains ($(vctr "$L" "at exit" RxSegments) segments), $tx of $(vctr "$L" "at exit" TxFrames) written"
check_pcap "$W/nc.pcap" 7000

# (d) the device still has TSO and checksum offload on; a plain program switches them off
head -c 4194304 "$W/up.bin" >"$W/up4.bin"
head -c 4194304 "$W/www/big.bin" >"$W/down4.bin"
[ "$(feature "$DEV" tcp-segmentation-offload)" = on ] ||
    fail "(d) TSO is already off on $DEV after the --offload run: nothing to check"
nc_run nc-plain "$W/up4.bin" "$W/down4.bin"
[ "$(feature "$DEV" tcp-segmentation-offload)" = off ] ||
    fail "(d) a plain tcpfsm-nc left TSO on on $DEV"
say "ok: (d) plain --tun after --offload: offloads switched off, 4 MiB each way"

# (c) --offload=none: headers, no offload
nc_run nc-none "$W/up.bin" "$W/www/big.bin" --offload=none
L=$W/nc-none.nc.log
grep -q "offloads: none (none asked" "$L" || fail "tcpfsm-nc --offload=none -v does not say 'offloads: none'"
for k in RxTrains TxTrains RxBadHeader; do cnt_eq "$(vctr "$L" "at exit" $k)" 0 "(c) --offload=none $k"; done
cnt_eq "$(vctr "$L" "at exit" TxFrames)" "$(vctr "$L" "at exit" TxSegments)" "(c) TxFrames (= TxSegments)"
cnt_eq "$(vctr "$L" "at exit" RxFrames)" "$(vctr "$L" "at exit" RxSegments)" "(c) RxFrames (= RxSegments)"
[ "$(feature "$DEV" tcp-segmentation-offload)" = off ] || fail "(c) --offload=none left TSO on on $DEV"
say "ok: (c) --offload=none: $(vctr "$L" "at exit" RxFrames) frames in, $(vctr "$L" "at exit" TxFrames) out, one datagram each, no train"
pass
