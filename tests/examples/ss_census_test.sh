#!/bin/sh
# tests/examples/ss_census_test.sh BIN — what --ss prints (examples/netio.c): each block is the
# tcpfsm_ss listing, the socket census (tcpfsm_sockstat, /proc/net/sockstat's "TCP: inuse N
# orphan N tw N alloc N mem N" and a "tcpfsm:" line) and the counters, for the program's stack
# and its built-in peer. The census must agree with the listing printed with it:
#   inuse + tw + synrecv = rows of the listing (listeners, connections, TIME_WAIT and SYN-queue
#   records each have one row), tw <= its TIME_WAIT rows, alloc >= its non-LISTEN rows that are
#   not records, mem = mem_bytes in 4096-byte pages = BufferBytes of the counters,
#   tcb_bytes >= alloc x 192 (sizeof(struct tcb)), record_bytes <= 64 per record; the
#   counters include ICMP's (IcmpInMsgs ... IcmpSoftErrors) before BufferBytes, the last.
# Blocks come from a SIGUSR1 in the middle of a transfer (connections established, bytes in
# the rings) and from the exit, where the figures are known exactly: tcpfsm-echo keeps its
# listener, its built-in peer's clients closed first and hold one TIME_WAIT record each.
set -u
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# check LOG: every block's census against its listing; prints one line per block checked.
check() {
    awk '
    function fin() {
        if (!inblk) return
        nblk++
        rows = nrows; recs = tw + syn
        if (inuse + tw + syn != rows)
            err("inuse " inuse " + tw " tw " + synrecv " syn " != " rows " listed rows")
        if (tw > twrows) err("tw " tw " > " twrows " TIME_WAIT rows")
        if (alloc < rows - lrows - twrows - synrows)
            err("alloc " alloc " < " rows - lrows - twrows - synrows " listed connections")
        if (mem != int((mbytes + 4095) / 4096)) err("mem " mem " pages for " mbytes " bytes")
        if (mbytes != bufbytes) err("mem_bytes " mbytes " != BufferBytes " bufbytes)
        if (tcbb < alloc * 192) err("tcb_bytes " tcbb " < alloc " alloc " x 192")
        if (recb > 64 * recs) err("record_bytes " recb " > 64 x " recs " records")
        if (!sawtcp || !sawown) err("no census lines")
        if (sawicmp != 2) err("no ICMP counters (IcmpInMsgs ... IcmpSoftErrors) before BufferBytes")
        printf "ok: %s %d rows; %s\n", label, rows, tcpline
        inblk = 0
    }
    function err(m) { printf "FAIL: %s: %s\n", label, m; bad = 1 }
    / tcpfsm_ss (of the built-in peer )?(at exit|on SIGUSR1):$/ {
        fin(); inblk = 1; part = "ss"; label = $0
        nrows = lrows = twrows = synrows = 0; sawtcp = sawown = sawicmp = 0; bufbytes = -1
        next
    }
    !inblk { next }
    / sockets \(tcpfsm_sockstat\)/ { part = "census"; next }
    / counters \(tcpfsm_get_stats\)/ { part = "counters"; next }
    part == "ss" && $1 != "State" {
        nrows++
        if ($1 == "LISTEN") lrows++
        if ($1 == "TIME_WAIT") twrows++
        if ($1 == "SYN_RCVD") synrows++
    }
    part == "census" && $1 == "TCP:" {
        sawtcp = 1; tcpline = $0
        inuse = $3; orphan = $5; tw = $7; alloc = $9; mem = $11
    }
    part == "census" && $1 == "tcpfsm:" {
        sawown = 1
        for (i = 2; i < NF; i += 2) v[$i] = $(i + 1)
        syn = v["synrecv"]; mbytes = v["mem_bytes"]; tcbb = v["tcb_bytes"]; recb = v["record_bytes"]
    }
    part == "counters" {
        for (i = 1; i < NF; i++) if ($i == "IcmpInMsgs" || $i == "IcmpSoftErrors") sawicmp++
        for (i = 1; i < NF; i++) if ($i == "BufferBytes") { bufbytes = $(i + 1); fin() }
    }
    END { fin(); if (!nblk) { print "FAIL: no --ss block"; bad = 1 } exit bad }
    ' "$1"
}

# A transfer long enough to be caught in the middle by SIGUSR1 (in whatever phase it is: the
# checks hold in every one), then the blocks at exit.
"$bin/tcpfsm-echo" --clients 5 --bytes 20000000 --ss 2>"$tmp/echo.log" >/dev/null &
pid=$!
# SIGUSR1 once the program catches it (SigCgt bit 10), a little into the transfer
i=0
while [ $i -lt 100 ]; do
    cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
    [ -n "$cgt" ] && [ $((0x$cgt & 0x200)) -ne 0 ] && break
    i=$((i + 1))
    sleep 0.02
done
sleep 0.1
kill -USR1 "$pid" 2>/dev/null
wait "$pid" || bad "tcpfsm-echo --ss exited $?"
check "$tmp/echo.log" || bad "tcpfsm-echo --ss: census and listing disagree ($tmp/echo.log above)"
grep -q '^TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0$' "$tmp/echo.log" ||
    bad "tcpfsm-echo --ss at exit: want 'TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 0' (the listener)"
grep -q '^TCP: inuse 0 orphan 0 tw 5 alloc 0 mem 0$' "$tmp/echo.log" ||
    bad "tcpfsm-echo --ss at exit: want 'TCP: inuse 0 orphan 0 tw 5 alloc 0 mem 0' (the peer)"

for cmd in "tcpfsm-httpd --ss" "tcpfsm-nc --ss -l 5000"; do
    set -- $cmd
    p=$1
    head -c 100000 /dev/urandom | timeout 60 "$bin/$@" >/dev/null 2>"$tmp/$p.log" ||
        bad "$cmd exited $?"
    check "$tmp/$p.log" || bad "$cmd: census and listing disagree"
done
[ "$fail" -eq 0 ] && echo "ss census: every --ss census agrees with its listing"
exit "$fail"
