#!/bin/sh
# 2,000 concurrent keep-alive clients (python3 asyncio, the Linux kernel's TCP) against
# tcpfsm-httpd in its default configuration, twice in a row. Each wave: every client connects
# (none may be refused or reset), all stay idle a few seconds, then each sends one
# `GET / HTTP/1.1` and must read a complete 200 response (Content-Length body), all stay idle
# again, then close. While they are idle the stack must list every one of them ESTABLISHED.
# The clients close first, so once they are gone the stack's own listing (SIGUSR1) may hold
# only the listener: a CLOSE_WAIT, LAST_ACK or ESTABLISHED left over is a ghost connection,
# and the kernel must hold every 4-tuple in TIME-WAIT (nothing ESTABLISHED). Also prints the
# memory one idle connection costs the server process (VmRSS with 2,000 idle connections
# minus VmRSS with none, per connection; before and after the requests; the second wave's
# figures say whether the first wave's memory is reused) and the stack's counters at exit,
# and requires BufferBytes 0 and CurrEstab 0 then.
# Usage: test_httpd_many_clients.sh BINDIR [WORKDIR]
# interop-timeout: 120
# shellcheck disable=SC2034  # read by lib.sh
INTEROP_PROGS=tcpfsm-httpd
. "$(dirname "$0")/lib.sh"
INTEROP_TIMEOUT=110
interop_enter "$@"

NCLIENTS=2000
IDLE=3 # seconds the connections stay idle, before and after the requests

timeout $((INTEROP_TIMEOUT - 10)) "$BIN/tcpfsm-httpd" --tun "$DEV" --addr "$SADDR/24" --port 80 \
    -v --ss >"$W/httpd.log" 2>&1 &
tpid=$!
wait_tun
# The server itself, not the timeout(1) running it: its VmRSS is what is measured.
pid=$(awk '{ print $1 }' "/proc/$tpid/task/$tpid/children" 2>/dev/null)
if [ -z "$pid" ] || [ ! -r "/proc/$pid/status" ]; then
    fail "cannot find tcpfsm-httpd's pid (child of timeout(1) $tpid)"
fi

# stack_ghosts LOG: how many connections the last listing holds in a state other than LISTEN
# and TIME_WAIT.
stack_ghosts() {
    stack_states "$1" | awk '$1 != "LISTEN" && $1 != "TIME_WAIT" { n += $2 } END { print n + 0 }'
}
# kernel_to_server: the kernel's sockets to the server, "STATE COUNT" lines.
kernel_to_server() {
    ss -tanH | awk -v p="$SADDR:80" '$5 == p { c[$1]++ } END { for (s in c) print s, c[s] }' | sort
}

cat >"$W/clients.py" <<'PY'
import asyncio, os, resource, signal, sys, time

host, port, n, idle = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
pid, log, wave = int(sys.argv[5]), sys.argv[6], sys.argv[7]
REQ = b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: keep-alive\r\n\r\n" % host.encode()

need = n + 256
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < need:
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, max(hard, need)))

def say(msg):
    print("wave %s: %s" % (wave, msg), flush=True)

def die(msg):
    raise SystemExit("wave %s: %s" % (wave, msg))

def rss_kib():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    die("no VmRSS in /proc/%d/status" % pid)

async def stack_listing():
    """SIGUSR1 to the server; its next complete listing: ({(local, peer): state}, counters)."""
    label = b"tcpfsm_ss on SIGUSR1:"
    before = open(log, "rb").read().count(label)
    os.kill(pid, signal.SIGUSR1)
    for _ in range(500):
        data = open(log, "rb").read()
        if data.count(label) > before:
            last = data[data.rindex(label):]
            table, _, counters = last.partition(b"counters (tcpfsm_get_stats)")
            if b"BufferBytes" in counters:
                break
        await asyncio.sleep(0.02)
    else:
        die("no complete tcpfsm_ss listing in %s after SIGUSR1" % log)
    conns = {}
    for line in table.decode().splitlines()[1:]:
        f = line.split()
        if len(f) == 5 and f[3][-1].isdigit() and ":" in f[4]:
            conns[(f[3], f[4])] = f[0]
    ctr = {}
    for line in counters.decode().splitlines()[1:]:
        f = line.split()
        if not f or not line.startswith("  "):
            break
        ctr.update(zip(f[0::2], map(int, f[1::2])))
    return conns, ctr

refused, resets, slow = 0, 0, 0
connect_s = []

async def connect(i):
    global refused, resets, slow
    t0 = time.monotonic()
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
    except ConnectionRefusedError:
        refused += 1
        return None
    except ConnectionResetError:
        resets += 1
        return None
    dt = time.monotonic() - t0
    connect_s.append(dt)
    slow += dt >= 0.9   # the kernel's first SYN retransmission comes after 1 s
    return r, w

async def request(c):
    """One GET on connection c: the response's size, or why there is none."""
    r, w = c
    try:
        w.write(REQ)
        await w.drain()
        head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), 20)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 200 "):
            return "status line %r" % lines[0]
        hdr = dict(l.split(": ", 1) for l in lines[1:] if ": " in l)
        if hdr.get("Connection", "").lower() != "keep-alive":
            return "no Connection: keep-alive in %r" % head
        body = await asyncio.wait_for(r.readexactly(int(hdr["Content-Length"])), 20)
        if b"Hello from tcpfsm" not in body or not body.endswith(b"</html>\n"):
            return "unexpected body %r" % body[:80]
        return len(head) + len(body)
    except (OSError, EOFError, ValueError, KeyError, asyncio.TimeoutError) as e:
        return "%s: %s" % (type(e).__name__, e)

async def check_idle(conns, what):
    """Every client connection is ESTABLISHED in the stack's listing, and still open here."""
    listing, _ = await stack_listing()
    est = missing = 0
    for r, w in conns:
        lp = w.get_extra_info("sockname")
        st = listing.get(("%s:%d" % (host, port), "%s:%d" % lp))
        if st == "ESTABLISHED":
            est += 1
        else:
            missing += 1
            if missing <= 5:
                print("  %s:%d in the stack's listing: %s" % (lp[0], lp[1], st))
        if r.at_eof():
            die("%s: the server closed %s:%d" % (what, lp[0], lp[1]))
    others = sum(1 for s in listing.values() if s not in ("ESTABLISHED", "LISTEN"))
    if missing or others:
        die("%s: %d of %d connections ESTABLISHED in tcpfsm_ss, %d missing, %d in other states"
            % (what, est, len(conns), missing, others))
    say("ok: %s: tcpfsm_ss lists all %d connections ESTABLISHED" % (what, est))

def per_conn(rss0, rss, k):
    return (rss - rss0) * 1024 / k

async def main():
    rss0 = rss_kib()
    t0 = time.monotonic()
    # All at once: more than the listener's backlog (128) of handshakes may be in flight; the
    # stack answers with SYN cookies then, or drops a SYN (the kernel resends it after 1 s).
    got = await asyncio.gather(*(connect(i) for i in range(n)))
    conns = [c for c in got if c]
    t_conn = time.monotonic() - t0
    say("%d of %d clients connected in %.2f s: %d refused (ECONNREFUSED), %d reset, "
        "%d took a SYN retransmission (slowest %.3f s)"
        % (len(conns), n, t_conn, refused, resets, slow, max(connect_s or [0])))
    if refused or resets or len(conns) != n:
        die("%d connections refused, %d reset, %d of %d connected"
            % (refused, resets, len(conns), n))

    await asyncio.sleep(idle)
    rss_idle = rss_kib()
    await check_idle(conns, "idle %g s after connecting" % idle)

    t1 = time.monotonic()
    got = await asyncio.gather(*(request(c) for c in conns))
    sizes = [g for g in got if isinstance(g, int)]
    bad = [g for g in got if not isinstance(g, int)]
    if bad:
        kinds = {}
        for b in bad:
            kinds[b.split(":")[0]] = kinds.get(b.split(":")[0], 0) + 1
        die("%d of %d requests answered; failures: %s; first: %s"
            % (len(sizes), len(conns), kinds, bad[0]))
    say("ok: %d GET / on %d keep-alive connections at once, every response 200 with its "
        "Content-Length body (%d bytes each) in %.2f s"
        % (len(sizes), len(conns), sizes[0], time.monotonic() - t1))

    await asyncio.sleep(idle)
    rss_after = rss_kib()
    await check_idle(conns, "idle %g s after the requests" % idle)

    for r, w in conns:
        w.close()
    await asyncio.gather(*(w.wait_closed() for r, w in conns), return_exceptions=True)
    say("%d clients closed (the clients close first)" % len(conns))

    # Under AddressSanitizer (make SAN=1) freed blocks sit in its quarantine and every block
    # has redzones: the figures are printed but say nothing about the stack.
    asan = b"__asan_init" in open("/proc/%d/exe" % pid, "rb").read()
    for what, rss in (("before the requests", rss_idle), ("after the requests", rss_after)):
        b = per_conn(rss0, rss, n)
        print("RSS per idle connection, wave %s, %s: %.0f bytes (VmRSS %d KiB with 0 "
              "connections, %d KiB with %d idle keep-alive connections)%s"
              % (wave, what, b, rss0, rss, n,
                 " [ASan build (make SAN=1): not checked]" if asan else ""), flush=True)
        if b >= 16384 and not asan:
            die("an idle connection costs %.0f bytes of RSS (sanity bound 16 KiB)" % b)

asyncio.run(main())
PY

# wave N: one wave of clients, then the checks after they closed.
wave() {
    timeout 45 python3 "$W/clients.py" "$SADDR" 80 $NCLIENTS $IDLE "$pid" "$W/httpd.log" "$1" \
        >"$W/clients-$1.log" 2>&1 || { cat "$W/clients-$1.log"; fail "wave $1 failed"; }
    grep '^wave' "$W/clients-$1.log" | sed "s/^/$T: /"
    grep '^RSS' "$W/clients-$1.log" | sed "s/^/$T: /"

    # The clients closed first: within a few seconds the stack may hold nothing but the
    # listener (no TIME_WAIT on its side either), the kernel nothing but TIME-WAIT.
    t0=$(date +%s%N)
    while :; do
        stack_listing "$tpid" "$W/httpd.log"
        ghosts=$(stack_ghosts "$W/httpd.log")
        kbusy=$(kernel_to_server | awk '$1 != "TIME-WAIT" { n += $2 } END { print n + 0 }')
        [ "$ghosts" -ne 0 ] || [ "$kbusy" -ne 0 ] || break
        if [ $(($(date +%s%N) - t0)) -gt 5000000000 ]; then
            say "tcpfsm_ss: $(stack_states "$W/httpd.log" | tr '\n' ' ')"
            say "kernel: $(kernel_to_server | tr '\n' ' ')"
            fail "wave $1: 5 s after the clients closed, the stack still has $ghosts ghost" \
                "connections (not LISTEN or TIME_WAIT), the kernel $kbusy sockets to" \
                "$SADDR:80 not in TIME-WAIT"
        fi
        sleep 0.2
    done
    ms=$((($(date +%s%N) - t0) / 1000000))
    ktw=$(kernel_to_server | awk '$1 == "TIME-WAIT" { print $2 }')
    say "ok: wave $1: all closed $ms ms after the clients:" \
        "tcpfsm_ss: $(stack_states "$W/httpd.log" | tr '\n' ' ')(no ghosts);" \
        "kernel: ${ktw:-0} TIME-WAIT to $SADDR:80, none ESTABLISHED"
    # It only closes after the client's FIN (CLOSE_WAIT -> LAST_ACK -> CLOSED): no TIME_WAIT.
    [ "$(stack_states "$W/httpd.log")" = "LISTEN 1" ] ||
        fail "wave $1: the server closed second, yet its listing holds more than the listener"
}

wave 1
wave 2
say "ok: $DEV: $(link_drops) packets dropped by the kernel on the way to the stack"

stop "$tpid"
grep -q 'counters (tcpfsm_get_stats) at exit:' "$W/httpd.log" ||
    fail "tcpfsm-httpd --ss printed no counters at exit"
say "counters at exit:"
sed -n '/counters (tcpfsm_get_stats) at exit:/,$p' "$W/httpd.log" | grep '^  ' | sed "s/^/$T: /"
ctr() {
    sed -n '/counters (tcpfsm_get_stats) at exit:/,$p' "$W/httpd.log" |
        awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}
[ "$(ctr CurrEstab)" = 0 ] || fail "CurrEstab is $(ctr CurrEstab) after every client closed"
[ "$(ctr BufferBytes)" = 0 ] ||
    fail "BufferBytes is $(ctr BufferBytes) with no connection left (buffer memory not given back)"
[ "$(ctr PassiveOpens)" -ge $((2 * NCLIENTS)) ] ||
    fail "PassiveOpens $(ctr PassiveOpens), want at least $((2 * NCLIENTS))"
served=$(grep -c ' GET / -> 200' "$W/httpd.log" || true)
[ "$served" -eq $((2 * NCLIENTS)) ] ||
    fail "tcpfsm-httpd -v logged $served requests, want $((2 * NCLIENTS))"
say "ok: tcpfsm-httpd served $served requests; CurrEstab 0, BufferBytes 0 at exit"
pass
