# tests/interop/lib.sh — shared by the interop tests (sourced, POSIX sh).
#
# A test script starts with:   . "$(dirname "$0")/lib.sh"; interop_enter "$@"
# interop_enter re-runs the script inside a fresh network namespace made by tests/netns.sh
# (TUN device tf0, kernel side 10.77.0.1/24, the tcpfsm stack answers as 10.77.0.2), or prints
# "SKIP: <reason>" and exits 0 when that is not possible (not root, no /dev/net/tun, a tool
# missing). Everything after it runs inside the namespace, where only loopback and tf0 exist.
#
# Variables: BIN (example programs), W (this test's scratch dir, kept for post-mortem:
# captures, logs), DEV, KADDR, SADDR. A test that sets INTEROP_MULTI_QUEUE=1 before
# interop_enter gets DEV as a multi-queue TUN device (tcpfsm-httpd --threads).
set -eu
INTEROP_LIB_DIR=$(cd "$(dirname "$0")" && pwd)
DEV=tf0
KADDR=10.77.0.1
SADDR=10.77.0.2
T=$(basename "$0" .sh)

say() { echo "$T: $*"; }
fail() {
    echo "$T: FAIL: $*"
    if [ -n "${W:-}" ]; then
        for f in "$W"/*.log; do
            [ -f "$f" ] || continue
            echo "---- $f (last 25 lines)"; tail -25 "$f"
        done
    fi
    exit 1
}

# interop_enter BIN [WORKDIR] [TOOL...]
interop_enter() {
    BIN=$(cd "${1:?usage: $0 BINDIR [WORKDIR]}" && pwd)
    W=${2:-}
    if [ "${TCPFSM_IN_NETNS:-}" = 1 ]; then
        # The kernel -> TUN queue holds txqueuelen (500) packets; a burst of ACKs from 100
        # connections overflows it and the losses show up as RTO retransmissions and D-SACKs.
        # A longer queue keeps the captures free of loss not caused by the stacks.
        ip link set dev "$DEV" txqueuelen 4096 || fail "cannot set txqueuelen of $DEV"
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP: $T needs root (network namespace, TUN)"
        exit 0
    fi
    for tool in ip ss timeout tshark sha256sum python3 ${INTEROP_TOOLS:-}; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "SKIP: $T needs $tool (sh .ci/deps.sh installs it)"
            exit 0
        fi
    done
    for p in ${INTEROP_PROGS:-}; do
        [ -x "$BIN/$p" ] || { echo "$T: FAIL: $BIN/$p not built"; exit 1; }
    done
    if [ -z "$W" ]; then
        W=$(mktemp -d)
    fi
    if [ -d "$W" ] && [ ! -f "$W/.tcpfsm-interop" ] && [ -n "$(ls -A "$W")" ]; then
        echo "$T: FAIL: $W is not empty and not an interop scratch dir; refusing to clear it"
        exit 1
    fi
    rm -rf "$W"
    mkdir -p "$W"
    : >"$W/.tcpfsm-interop"
    W=$(cd "$W" && pwd)
    # timeout(1) bounds the whole namespace session: nothing can hang.
    export TCPFSM_IN_NETNS=1
    exec timeout -k 5 "${INTEROP_TIMEOUT:-30}" \
        sh "$INTEROP_LIB_DIR/../netns.sh" --tun "$DEV" --kernel-addr "$KADDR/24" \
        --addr-stack "$SADDR" ${INTEROP_MULTI_QUEUE:+--multi-queue} -- sh "$0" "$BIN" "$W"
}

# Wait until a program has attached to the TUN device (carrier, then operstate up), then a
# moment for it to reach listen().
wait_tun() {
    i=0
    while [ "$(cat /sys/class/net/$DEV/carrier 2>/dev/null || echo 0)" != 1 ]; do
        i=$((i + 1))
        [ $i -le 100 ] || fail "nothing attached to $DEV within 5 s"
        sleep 0.05
    done
    # carrier comes at attach; the kernel transmits only once the link watcher has run
    while [ "$(cat /sys/class/net/$DEV/operstate 2>/dev/null)" != up ]; do
        i=$((i + 1))
        [ $i -le 100 ] || fail "$DEV not operationally up within 5 s"
        sleep 0.05
    done
    sleep 0.1
}

# pass: the test's end. The example programs' logs must hold no sanitizer report (make SAN=1:
# ASan/UBSan/LSan write to stderr, which every test keeps in $W/*.log), then PASS.
pass() {
    for f in "$W"/*.log; do
        [ -f "$f" ] || continue
        if grep -q 'Sanitizer\|runtime error:' "$f"; then
            grep -m 5 'Sanitizer\|runtime error:' "$f"
            fail "sanitizer report in $(basename "$f")"
        fi
    done
    say "PASS"
}

# link_drops: packets the kernel dropped on the way to the stack (TUN queue full), or "?".
link_drops() {
    ip -s -j link show dev "$DEV" 2>/dev/null |
        timeout 5 python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])' 2>/dev/null ||
        echo "?"
}

# stop PID: SIGTERM (the examples flush their capture and exit 0), bounded wait.
stop() {
    kill -TERM "$1" 2>/dev/null || true
    i=0
    while kill -0 "$1" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 50 ]; then kill -KILL "$1" 2>/dev/null || true; break; fi
        sleep 0.1
    done
    wait "$1" 2>/dev/null || true
}

# wait_size FILE N: until FILE has at least N bytes (at most 10 s).
wait_size() {
    i=0
    while [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -lt "$2" ] && [ $i -lt 500 ]; do
        i=$((i + 1))
        sleep 0.02
    done
}

same_file() { # same_file EXPECTED GOT WHAT
    [ -f "$2" ] || fail "$3: no output"
    a=$(sha256sum <"$1" | cut -d' ' -f1)
    b=$(sha256sum <"$2" | cut -d' ' -f1)
    if [ "$a" != "$b" ]; then
        fail "$3: sha256 differs ($(wc -c <"$1") bytes expected, $(wc -c <"$2") got)"
    fi
    say "ok: $3 ($(wc -c <"$1") bytes, sha256 ${a%"${a#????????????}"}...)"
}

# Connection states as each side sees them. Addresses are "A.B.C.D:PORT".
# kernel_state LOCAL PEER: the Linux kernel's state(s) for that 4-tuple from `ss -tan`
# (e.g. TIME-WAIT), empty if it has no socket for it.
kernel_state() {
    ss -tanH | awk -v l="$1" -v p="$2" '$4 == l && $5 == p { print $1 }'
}
# kernel_time_wait LOCAL PEER: true if `ss -tan state time-wait` lists that 4-tuple.
kernel_time_wait() {
    ss -tanH state time-wait | awk -v l="$1" -v p="$2" '$3 == l && $4 == p { f = 1 } END { exit !f }'
}
# wait_kernel_time_wait LOCAL PEER: until the kernel has it in TIME-WAIT (at most 3 s).
wait_kernel_time_wait() {
    i=0
    until kernel_time_wait "$1" "$2"; do
        i=$((i + 1))
        [ $i -le 60 ] || return 1
        sleep 0.05
    done
}
# wait_kernel_gone LOCAL PEER: until the kernel has no socket for that 4-tuple (at most 2 s;
# LAST-ACK lasts until the stack's ACK arrives). False if it is still there.
wait_kernel_gone() {
    i=0
    while [ -n "$(kernel_state "$1" "$2")" ]; do
        i=$((i + 1))
        [ $i -le 40 ] || return 1
        sleep 0.05
    done
}
# stack_state LOG LOCAL PEER: the state of that 4-tuple in the LAST tcpfsm_ss listing that a
# program run with --ss (at exit) or sent SIGUSR1 wrote to LOG; empty if not listed.
stack_state() {
    awk -v l="$2" -v p="$3" '/tcpfsm_ss (at exit|on SIGUSR1):/ { s = "" }
        $4 == l && $5 == p { s = $1 } END { if (s != "") print s }' "$1"
}
# stack_listing PID LOG: SIGUSR1 to a running example program, wait for its listing (and the
# counters that follow it) in LOG.
# PID may be that of the timeout(1) running it (which would die of SIGUSR1): its child gets it.
stack_listing() {
    sp=$1
    if [ "$(cat "/proc/$sp/comm" 2>/dev/null)" = timeout ]; then
        sp=$(awk '{ print $1 }' "/proc/$sp/task/$sp/children" 2>/dev/null)
        [ -n "$sp" ] || fail "stack_listing: timeout(1) $1 has no child"
    fi
    before=$(grep -c 'tcpfsm_ss on SIGUSR1:' "$2" || true)
    kill -USR1 "$sp"
    i=0
    while [ "$(grep -c 'tcpfsm_ss on SIGUSR1:' "$2" || true)" -le "$before" ]; do
        i=$((i + 1))
        [ $i -le 100 ] || fail "no tcpfsm_ss listing in $2 after SIGUSR1"
        sleep 0.02
    done
    # The rest of the listing: it is complete once the counters after it are, BufferBytes
    # being their last row.
    until awk '/tcpfsm_ss on SIGUSR1:/ { d = 0 } /^  .*BufferBytes/ { d = 1 }
               END { exit !d }' "$2"; do
        i=$((i + 1))
        [ $i -le 200 ] || fail "tcpfsm_ss listing in $2 incomplete (no counters after it)"
        sleep 0.02
    done
}

# check_pcap FILE [PORT...]: every packet well-formed, IP and TCP checksums right, and no expert
# warning or error except flow-control conditions that are legitimate TCP (zero window and
# its probes, window full), and whatever the display filter in $PCAP_ALLOW matches (e.g.
# tcp.connection.rst where a reset is the point of the test).
check_pcap() {
    f=$1
    shift
    [ -s "$f" ] || fail "capture $f is missing or empty"
    # Payloads on these ports are raw bytes: decode them as data, so that no application
    # dissector (Gryphon on 7000, ...) calls random test bytes malformed.
    dec=""
    for p in "$@"; do dec="$dec -d tcp.port==$p,data"; done
    n=$(timeout 30 tshark -n -r "$f" 2>/dev/null | wc -l)
    [ "$n" -gt 0 ] || fail "tshark cannot read $f"
    csum="-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE$dec"
    # Linux now and then sends a segment whose checksum is 0xffff where a full computation
    # gives 0x0000 (the same value, -0 in one's complement: RFC 1624 3); tshark calls it bad.
    # Excused for the kernel's packets only (the stack must accept them), never for ours.
    ffff="(tcp.checksum.ffff && ip.src == $KADDR)"
    # shellcheck disable=SC2086
    bad=$(timeout 30 tshark -n -r "$f" $csum -Y '_ws.malformed || ip.checksum.status == 0 ||
        (tcp.checksum.status == 0 && !'"$ffff"') ||
        (_ws.expert.severity >= "Warning" && !(tcp.analysis.zero_window ||
         tcp.analysis.zero_window_probe || tcp.analysis.zero_window_probe_ack ||
         tcp.analysis.window_full || '"$ffff${PCAP_ALLOW:+ || $PCAP_ALLOW}"'))' 2>/dev/null | head -20)
    # shellcheck disable=SC2086
    timeout 30 tshark -n -r "$f" $csum -q -z expert >"$f.expert.txt" 2>/dev/null || true
    if [ -n "$bad" ]; then
        echo "$bad"
        sed -n '1,40p' "$f.expert.txt"
        fail "capture $(basename "$f"): malformed packets, bad checksums or expert warnings"
    fi
    # shellcheck disable=SC2086
    notes=$(timeout 30 tshark -n -r "$f" $csum -Y 'tcp.analysis.retransmission || tcp.analysis.duplicate_ack ||
        tcp.analysis.zero_window' 2>/dev/null | wc -l)
    # shellcheck disable=SC2086
    nffff=$(timeout 30 tshark -n -r "$f" $csum -Y "$ffff" 2>/dev/null | wc -l)
    extra=""
    [ "$nffff" -eq 0 ] || extra=", $nffff kernel segments with checksum 0xffff"
    say "ok: capture $(basename "$f"): $n packets, well-formed, checksums good, no expert warnings${PCAP_ALLOW:+ but $PCAP_ALLOW} ($notes retransmissions/dup-acks/zero-windows noted$extra)"
}

# stack_states LOG: "STATE COUNT" for every state in the last tcpfsm_ss listing in LOG (--ss
# at exit or SIGUSR1; with tcpfsm-httpd --threads the merged listing of every shard).
stack_states() {
    awk '/tcpfsm_ss (at exit|on SIGUSR1):/ { for (s in c) delete c[s]; on = 1; next }
         /counters \(tcpfsm_get_stats\)/ { on = 0 }
         on && $4 ~ /:[0-9]+$/ && $5 ~ /:([0-9]+|\*)$/ { c[$1]++ }
         END { for (s in c) print s, c[s] }' "$1" | sort
}

# http_load_bin: the path of bench/http_load.c's load generator: $HTTP_LOAD (tests/interop/
# interop.mk builds it with the project's flags), else compiled into $W with cc.
http_load_bin() {
    if [ -n "${HTTP_LOAD:-}" ] && [ -x "$HTTP_LOAD" ]; then
        echo "$HTTP_LOAD"
        return 0
    fi
    command -v "${CC:-cc}" >/dev/null 2>&1 || fail "no \$HTTP_LOAD and no ${CC:-cc} to build it"
    ${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -o "$W/http_load" \
        "$INTEROP_LIB_DIR/../../bench/http_load.c" >&2 || fail "cannot build bench/http_load.c"
    echo "$W/http_load"
}
