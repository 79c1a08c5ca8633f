#!/usr/bin/env python3
"""run.py — the `make bench` driver: build each benchmark whose pieces exist, run it, print
one table and write build/bench/results.tsv (name value unit reference ref_value ratio).

A benchmark whose component has not landed (no spec, no runtime file, not root, ...) becomes
a `SKIP: <reason>` row; a benchmark that should work but fails to build or run becomes a
`FAIL` row and the exit status is 1. Nothing here invents a number: every value is printed
by a bench program (or iperf3) in this run.

Environment (set by bench/bench.mk): CC, BENCH_CFLAGS, BENCH_CPPFLAGS, BENCH_DIR (output),
FSMC (fsmc binary), RUNTIME_LIB (libtcpfsm.a), BENCH_QUICK (1 = tiny sizes).
"""
import glob
import json
import os
import shlex
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
CC = os.environ.get("CC", "cc")
CFLAGS = shlex.split(os.environ.get("BENCH_CFLAGS", "-O2 -g"))
CPPFLAGS = shlex.split(os.environ.get("BENCH_CPPFLAGS", "-D_DEFAULT_SOURCE -D_GNU_SOURCE"))
OUT = os.environ.get("BENCH_DIR", "build/bench")
FSMC = os.environ.get("FSMC", "build/bin/fsmc")
RUNTIME_LIB = os.environ.get("RUNTIME_LIB", "build/lib/libtcpfsm.a")
TCP_SPEC = os.environ.get("BENCH_TCP_SPEC", "spec/tcp.fsm")   # override only to test the bench
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
LOGS = os.path.join(OUT, "logs")
ROOMS = ["base", "core", "tcp", "ip", "link", "shard"]  # runtime/runtime.mk RUNTIME_ROOMS
INC = ["-Ibench", "-Iruntime"] + ["-Iruntime/" + r for r in ROOMS] + ["-Igenerated", "-I" + OUT]

rows = []          # (name, value, unit, reference, ref_value) or (name, "SKIP"/"FAIL", reason)
failed = False


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def skip(name, reason):
    rows.append((name, "SKIP", reason))
    log("SKIP %s: %s" % (name, reason))


def fail(name, reason):
    global failed
    failed = True
    rows.append((name, "FAIL", reason))
    log("FAIL %s: %s" % (name, reason))


def have(*paths):
    missing = [p for p in paths if not os.path.exists(p)]
    return (not missing, "not available yet: " + ", ".join(missing) if missing else "")


def build(name, out, srcs, extra=(), libs=()):
    """Compile srcs into OUT/out; returns the path or None (and a FAIL row) on error."""
    exe = os.path.join(OUT, out)
    cmd = [CC] + CFLAGS + CPPFLAGS + INC + list(extra) + list(srcs) + ["-o", exe] + list(libs) + ["-lm"]
    logf = os.path.join(LOGS, out + ".build.log")
    with open(logf, "w") as f:
        f.write(" ".join(cmd) + "\n")
        f.flush()
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        fail(name, "build failed, see " + logf)
        return None
    return exe


def parse_rows(text):
    got = 0
    for line in text.splitlines():
        f = line.split("\t")
        if f[0] == "ROW" and len(f) == 6:
            rows.append((f[1], float(f[2]), f[3], f[4], None if f[5] == "-" else float(f[5])))
            got += 1
        elif f[0] == "SKIP" and len(f) >= 3:
            skip(f[1], f[2])
            got += 1
        elif f[0] == "FAIL" and len(f) >= 3:
            fail(f[1], f[2])
            got += 1
    return got


def run(name, cmd, timeout):
    """Run a bench program, collect its rows; a crash or timeout is a FAIL row."""
    # one log per benchmark, not per program: bench_stack runs once per mode
    tag = "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in name)
    logf = os.path.join(LOGS, "%s-%s.run.log" % (os.path.basename(cmd[0]), tag))
    t0 = time.time()
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired as e:
        with open(logf, "w") as f:
            f.write(e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or ""))
        fail(name, "timed out after %d s" % timeout)
        return
    with open(logf, "w") as f:
        f.write(r.stdout + r.stderr)
    log("%s: %.1f s" % (name, time.time() - t0))
    got = parse_rows(r.stdout)
    if r.returncode != 0:
        fail(name, "exit status %d: %s" % (r.returncode, (r.stderr.strip().splitlines() or [""])[-1][:100]))
    elif not got:
        fail(name, "printed no rows, see " + logf)


# ---------------------------------------------------------------- 1. FSM dispatch
def bench_dispatch():
    name = "fsm dispatch"
    ok, why = have(TCP_SPEC, FSMC)
    if not ok:
        return skip(name, why)
    gen = os.path.join(OUT, "gen")
    os.makedirs(gen, exist_ok=True)
    styles = {}
    for style, prefix in (("table", "bt_tab"), ("switch", "bt_sw")):
        out_c = os.path.join(gen, prefix + ".c")
        logf = os.path.join(LOGS, "fsmc-" + style + ".log")
        with open(logf, "w") as f:
            r = subprocess.run([FSMC, "--emit=c", "--style=" + style, "--prefix=" + prefix,
                                "--no-line", "-o", out_c, TCP_SPEC],
                               stdout=f, stderr=subprocess.STDOUT)
        if r.returncode != 0 or not os.path.exists(out_c):
            styles[style] = "fsmc --style=%s failed (see %s)" % (style, logf)
            continue
        r = subprocess.run([sys.executable, "bench/gen_stubs.py", prefix, out_c[:-2] + ".h",
                            out_c[:-2] + "_bench.c"], stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            styles[style] = "stub generation failed: " + r.stderr.strip()[-100:]
            continue
        styles[style] = None
    if styles["table"]:
        return skip(name, styles["table"])
    srcs = ["bench/bench_dispatch.c", os.path.join(gen, "bt_tab_bench.c")]
    extra = []
    if styles["switch"] is None:
        srcs.append(os.path.join(gen, "bt_sw_bench.c"))
        extra.append("-DHAVE_SWITCH_BACKEND")
    else:
        skip("fsm dispatch switch backend", styles["switch"])
    # The hand-style switch (a plain nested switch, the way one writes it by hand) is written
    # from fsmc's JSON export of the same spec on every run, so it cannot drift from it;
    # bench_dispatch.c still checks it against the table backend before timing it.
    hand_c = os.path.join(gen, "hand_switch.c")
    spec_json = os.path.join(gen, "tcp.json")
    logf = os.path.join(LOGS, "hand_switch.log")
    with open(logf, "w") as f:
        r = subprocess.run([FSMC, "--emit=json", "-o", spec_json, TCP_SPEC], stdout=f, stderr=subprocess.STDOUT)
        if r.returncode == 0:
            r = subprocess.run([sys.executable, "bench/gen_hand_switch.py", "bt_tab", spec_json, hand_c],
                               stdout=f, stderr=subprocess.STDOUT)
    if r.returncode == 0:
        srcs.append(hand_c)
        extra.append("-DHAVE_HAND_SWITCH")
    else:
        skip("fsm dispatch hand-style switch", "fsmc --emit=json or bench/gen_hand_switch.py failed (see %s)" % logf)
    exe = build(name, "bench_dispatch", srcs, ["-I" + gen] + extra)
    if exe:
        run(name, [exe], 120)


# ---------------------------------------------------------------- 2. checksum
def bench_checksum():
    name = "checksum"
    ok, why = have("runtime/base/checksum.h", "runtime/base/checksum.c")
    if not ok:
        return skip(name, why)
    exe = build(name, "bench_checksum", ["bench/bench_checksum.c", "runtime/base/checksum.c"])
    if exe:
        run(name, [exe], 60)


# ---------------------------------------------------------------- 3, 4, 5: the stack on memlink
def stack_ready(name):
    ok, why = have("runtime/link/memlink.h", RUNTIME_LIB)
    if not ok:
        skip(name, why)
    return ok


def bench_stack():
    if not stack_ready("memlink benchmarks (bulk, connection rate, memory)"):
        return
    exe = build("memlink benchmarks", "bench_stack", ["bench/bench_stack.c"], libs=[RUNTIME_LIB])
    if not exe:
        return
    for what, limit in (("bulk", 90), ("connrate", 90), ("memory", 150), ("matrix", 90)):
        run("memlink " + what, [exe, what], limit)


def bench_sizes():
    name = "struct sizes"
    ok, why = have("runtime/core/tcb.h")
    if not ok:
        return skip("sizeof(struct tcb)", why)
    # Find the SYN-queue entry and TIME_WAIT record structs by name, wherever they live.
    found = {}
    for path in sorted(glob.glob("runtime/*.h") + glob.glob("runtime/*/*.h")):
        fn = os.path.basename(path)
        for line in open(path, errors="replace"):
            s = line.strip()
            if not (s.startswith("struct ") and s.endswith("{")):
                continue
            tag = s.split()[1]
            low = tag.lower()
            if "syn" in low and ("q" in low or "cache" in low or "entry" in low or "req" in low):
                found.setdefault("syn", (fn, tag))
            if "tw" in low.split("_")[0:1] or "timewait" in low or "time_wait" in low:
                if tag not in ("wheel_node",):
                    found.setdefault("tw", (fn, tag))
    src = os.path.join(OUT, "bench_sizes.c")
    with open(src, "w") as f:
        f.write('#include <stdio.h>\n#include "tcp_layer.h"\n')
        for k in ("syn", "tw"):
            if k in found:
                f.write('#include "%s"\n' % found[k][0])
        f.write("int main(void);\nint main(void)\n{\n")
        f.write('    printf("ROW\\tsizeof(struct tcb)\\t%zu\\tB\\ttarget\\t192\\n", sizeof(struct tcb));\n')
        if "syn" in found:
            f.write('    printf("ROW\\tsizeof(struct %s) (SYN queue)\\t%%zu\\tB\\tlwIP tcp_pcb_listen (approx.)\\t%d\\n", sizeof(struct %s));\n'
                    % (found["syn"][1], 40, found["syn"][1]))
        else:
            # An embryonic connection becomes a compact record (runtime/tcp/synqueue.c, opaque).
            f.write('    printf("ROW\\tSYN-queue record (runtime/tcp/synqueue.c)\\t%zu\\tB\\tsizeof(struct tcb)\\t%zu\\n", syn_record_size(), sizeof(struct tcb));\n')
        if "tw" in found:
            f.write('    printf("ROW\\tsizeof(struct %s) (TIME_WAIT)\\t%%zu\\tB\\tsizeof(struct tcb)\\t%%zu\\n", sizeof(struct %s), sizeof(struct tcb));\n'
                    % (found["tw"][1], found["tw"][1]))
        else:
            # An orphaned TIME_WAIT becomes a compact record (runtime/tcp/timewait.c, opaque).
            f.write('    printf("ROW\\tTIME_WAIT record (runtime/tcp/timewait.c)\\t%zu\\tB\\tsizeof(struct tcb)\\t%zu\\n", tw_record_size(), sizeof(struct tcb));\n')
        f.write("    return 0;\n}\n")
    exe = build(name, "bench_sizes", [src], libs=[RUNTIME_LIB])
    if exe:
        run(name, [exe], 10)


# ---------------------------------------------------------------- 5b. bytes per connection
def bench_conn_bytes():
    """Issue 17: bytes per idle ESTABLISHED connection in our stack (one stack and a
    synthetic peer, N = 1,000 .. 1,000,000 as memory allows), next to the chapter's 1 KB and
    the Linux kernel's slab per socket measured in the same run (bench_linux_conn_bytes)."""
    name = "bytes per connection"
    ok, why = have("runtime/core/tcb.h", RUNTIME_LIB)
    if not ok:
        return skip(name, why)
    exe = build(name, "bench_conn_bytes", ["bench/bench_conn_bytes.c"], libs=[RUNTIME_LIB])
    if exe:
        run(name, [exe], 300)
    lname = "Linux kernel bytes per idle TCP socket"
    why = root_reason(["ip", "sysctl"])
    if why:
        return skip(lname, why)
    lexe = build(lname, "bench_linux_conn_bytes", ["bench/bench_linux_conn_bytes.c"])
    if not lexe:
        return
    with Netns("connbytes") as ns:
        ns.sh('sysctl -qw net.ipv4.ip_local_port_range="1024 65535"')
        run_ns(ns, lname, [os.path.abspath(lexe)], 180, "bench_linux_conn_bytes.run.log")


def bench_wakeup():
    """Issue 16: the cost of one wakeup with N idle connections and one active, found by
    tcpfsm_epoll_wait and by a tcpfsm_poll scan, next to Linux's epoll over loopback."""
    name = "wakeup cost"
    ok, why = have("runtime/core/ready.c", RUNTIME_LIB)
    if not ok:
        return skip(name, why)
    exe = build(name, "bench_wakeup", ["bench/bench_wakeup.c"], libs=[RUNTIME_LIB])
    if exe:
        run(name, [exe], 600)


def bench_million():
    """Issue 16: 1,000,000 idle connections between two stacks in memory: the time to open
    them and RSS per connection, next to the chapter's 1 KB per connection."""
    name = "1M idle connections"
    ok, why = have("runtime/core/ready.c", RUNTIME_LIB)
    if not ok:
        return skip(name, why)
    exe = build(name, "bench_million", ["bench/bench_million.c"], libs=[RUNTIME_LIB])
    if exe:
        run(name, [exe], 600)


# ---------------------------------------------------------------- 6. timer wheel
def bench_timer():
    name = "timer wheel"
    ok, why = have("runtime/base/timer_wheel.h", "runtime/base/timer_wheel.c")
    if not ok:
        return skip(name, why)
    exe = build(name, "bench_timer", ["bench/bench_timer.c", "runtime/base/timer_wheel.c"])
    if exe:
        run(name, [exe], 120)


# ---------------------------------------------------------------- 7. fsmc compile
def bench_fsmc():
    ok, why = have(FSMC)
    if not ok:
        return skip("fsmc compile", why)
    spawn = build("fsmc compile", "bench_spawn", ["bench/bench_spawn.c"])
    if not spawn:
        return
    tmp = os.path.join(OUT, "fsmc-out")
    os.makedirs(tmp, exist_ok=True)
    if os.path.exists(TCP_SPEC):
        run("fsmc tcp.fsm", [spawn, "fsmc tcp.fsm", "20", "100", "--", FSMC, "--emit=c",
                             "--output-dir=" + tmp, TCP_SPEC], 60)
    else:
        skip("fsmc tcp.fsm", "spec/tcp.fsm not available yet")
    n_states, n_trans = (1000, 5000) if QUICK else (10000, 50000)
    big = os.path.join(OUT, "big.fsm")
    subprocess.run([sys.executable, "bench/gen_spec.py", str(n_states), str(n_trans), big], check=True)
    label = "fsmc %d-state/%d-transition spec" % (n_states, n_trans)
    run("fsmc big spec", [spawn, label, "1000", "100", "--", FSMC, "--emit=c",
                          "--output-dir=" + tmp, big], 120)
    # a ~1 MB spec with a warning for every one of its 72,000 states: warnings are bounded
    # per kind (--max-warnings), so checking it is not printing 45 MB (target: under 1 s)
    n_unreach = 7200 if QUICK else 72000
    unreach = os.path.join(OUT, "unreach.fsm")
    with open(unreach, "w") as f:
        subprocess.run([sys.executable, "tests/fsmc/gen_big_spec.py", "--unreachable",
                        str(n_unreach)], stdout=f, check=True)
    run("fsmc warning spec", [spawn, "fsmc %d unreachable-state spec" % n_unreach, "1000", "100",
                              "--", FSMC, unreach], 120)


# ---------------------------------------------------------------- network namespaces
class Netns:
    """A throw-away network namespace, deleted on exit whatever happens."""

    def __init__(self, tag):
        self.name = "tcpfsm-bench-%s-%d" % (tag, os.getpid())

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.sh("ip link set lo up")
        return self

    def sh(self, cmd, **kw):
        return subprocess.run(["ip", "netns", "exec", self.name, "sh", "-c", cmd], **kw)

    def popen(self, argv, **kw):
        return subprocess.Popen(["ip", "netns", "exec", self.name] + argv, **kw)

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "pids", self.name], stdout=subprocess.DEVNULL)
        subprocess.run(["ip", "netns", "del", self.name])


def run_ns(ns, name, argv, limit, logname):
    """Run argv inside namespace ns, its output to LOGS/logname, and collect its rows; a
    timeout, an exit status other than 0 or no rows at all is a FAIL row."""
    t0 = time.time()
    try:
        r = ns.sh(" ".join(shlex.quote(a) for a in argv), stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return fail(name, "timed out after %d s" % limit)
    with open(os.path.join(LOGS, logname), "w") as f:
        f.write(r.stdout + r.stderr)
    log("%s: %.1f s" % (name, time.time() - t0))
    if not parse_rows(r.stdout) or r.returncode != 0:
        fail(name, "exit %d: %s" % (r.returncode, r.stderr.strip()[-120:]))


def root_reason(tools):
    if os.geteuid() != 0:
        return "not root (network namespaces need CAP_SYS_ADMIN)"
    for t in tools:
        if subprocess.run(["sh", "-c", "command -v " + t], stdout=subprocess.DEVNULL).returncode:
            return t + " not installed"
    return None


# ---------------------------------------------------------------- 3b. Linux loopback iperf3
def bench_iperf3():
    name = "Linux loopback iperf3"
    why = root_reason(["ip", "iperf3"])
    if why:
        return skip(name, why)
    secs, interval = ("1", "0.2") if QUICK else ("3", "0.5")
    with Netns("iperf") as ns:
        srv = ns.popen(["iperf3", "-s", "-1", "-p", "5201"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.3)
            r = ns.sh("iperf3 -c 127.0.0.1 -p 5201 -t %s -i %s -J" % (secs, interval),
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
            js = json.loads(r.stdout)
            rates = [iv["sum"]["bits_per_second"] / 1e9 for iv in js["intervals"]]
            rates = rates[:-1] if len(rates) > 5 else rates   # the last interval may be partial
            rows.append(("%s (%d x %s s intervals, median)" % (name, len(rates), interval),
                         statistics.median(rates), "Gbit/s", "-", None))
        except (subprocess.TimeoutExpired, ValueError, KeyError) as e:
            fail(name, "iperf3 did not produce a result: %s" % e)
        finally:
            srv.kill()
            srv.wait()


# ---------------------------------------------------------------- 4b. Linux connection rate
def bench_linux_connrate():
    name = "Linux loopback connection rate"
    why = root_reason(["ip", "sysctl"])
    if why:
        return skip(name, why)
    exe = build(name, "bench_linux_connrate", ["bench/bench_linux_connrate.c"])
    if not exe:
        return
    with Netns("conn") as ns:
        # Only inside this namespace: wide port range, TIME_WAIT reuse, so 30k connections fit.
        ns.sh('sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1')
        r = ns.sh(shlex.quote(os.path.abspath(exe)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                  text=True, timeout=90)
        if r.returncode != 0 or not parse_rows(r.stdout):
            fail(name, "exit %d: %s" % (r.returncode, r.stderr.strip()[-120:]))


# ---------------------------------------------------------------- 8. over TUN
def bench_tun():
    why = root_reason(["ip"]) or (None if os.path.exists("/dev/net/tun") else "no /dev/net/tun")
    if why:
        return skip("TUN raw write ceiling", why)
    raw = build("TUN raw write ceiling", "bench_tun_raw", ["bench/bench_tun_raw.c"])
    ok, why = have(RUNTIME_LIB)
    stack = None
    if not ok:
        skip("TUN bulk vs Linux peer", why)
    else:
        stack = build("TUN bulk vs Linux peer", "bench_tun_stack",
                      ["bench/bench_tun_stack.c", "bench/bench_tun_vnet.c", "bench/bench_tun_conn.c"],
                      libs=[RUNTIME_LIB])
    with Netns("tun") as ns, Netns("veth") as peer:
        for mtu in (1500, 9000):
            for exe, name, limit in ((raw, "TUN raw write ceiling", 60), (stack, "TUN bulk vs Linux peer", 120)):
                if exe:
                    run_ns(ns, "%s MTU %d" % (name, mtu), [os.path.abspath(exe), str(mtu)], limit,
                           "%s-%d.run.log" % (os.path.basename(exe), mtu))
        if stack:
            # Issue 18: 1 and 4 Linux clients, our loop busy-polling and blocking, interleaved
            # with the same clients against a Linux server over a veth pair into the second
            # namespace (bench/bench_tun_conn.c). The clients close first, so their ports sit
            # in TIME_WAIT: a wider port range, in this namespace only, but above the ports the
            # bench programs bind (5001-5011): a TIME_WAIT on 10.78.0.1:5002 would make the
            # packet mode's Linux listener fail to bind.
            ns.sh('sysctl -qw net.ipv4.ip_local_port_range="10000 65535"')
            run_ns(ns, "TUN connection rate", [os.path.abspath(stack), "connrate", peer.name], 120,
                   "bench_tun_stack-connrate.run.log")
            # The same bulk transfers over a veth pair, the stack behind Ethernet and ARP on an
            # AF_PACKET socket (runtime/link/), next to the TUN rows measured just above.
            run_ns(ns, "AF_PACKET veth bulk MTU 1500", [os.path.abspath(stack), "packet"], 120,
                   "bench_tun_stack-packet.run.log")
            # Issue 18: the same over TUN with virtio-net headers, offloads accepted and refused,
            # interleaved with today's path and with Linux to Linux over a veth pair into the
            # second namespace (bench/bench_tun_vnet.c); the log has the trains and counters.
            run_ns(ns, "TUN bulk with offloads", [os.path.abspath(stack), "vnet", peer.name], 120,
                   "bench_tun_stack-vnet.run.log")


# ---------------------------------------------------------------- 8b. HTTP over TUN
def bench_http():
    """tcpfsm-httpd (examples/, built with the bench flags) on a TUN device, the kernel's TCP
    as 16 clients (bench_http_rate.c): keep-alive request rate against a new connection per
    request, the two measured alternately in the same run."""
    name = "TUN HTTP keep-alive vs new connection per request"
    why = root_reason(["ip"]) or (None if os.path.exists("/dev/net/tun") else "no /dev/net/tun")
    if why:
        return skip(name, why)
    ok, why = have(RUNTIME_LIB, "examples/tcpfsm-httpd.c", "examples/netio.c")
    if not ok:
        return skip(name, why)
    httpd = build(name, "bench_httpd", ["examples/tcpfsm-httpd.c", "examples/netio.c"],
                  ["-Iexamples"], libs=[RUNTIME_LIB])
    client = build(name, "bench_http_rate", ["bench/bench_http_rate.c"])
    if not (httpd and client):
        return
    dev = "tfbench0"
    with Netns("http") as ns:
        # As tests/netns.sh and tests/interop/lib.sh: no IPv6 on the device (nothing but the
        # benchmark's packets reach the stack), a TUN queue long enough that 16 clients'
        # bursts are not dropped on the way to the stack.
        r = ns.sh("ip tuntap add dev {0} mode tun && "
                  "sysctl -qw net.ipv6.conf.{0}.disable_ipv6=1 && "
                  "ip link set dev {0} txqueuelen 4096 && "
                  "ip addr add 10.79.0.1/24 dev {0} && ip link set dev {0} up".format(dev),
                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            return fail(name, "cannot set up %s: %s" % (dev, r.stdout.strip()[-100:]))
        with open(os.path.join(LOGS, "bench_httpd.run.log"), "w") as srv_log:
            srv = ns.popen([os.path.abspath(httpd), "--tun", dev, "--addr", "10.79.0.2/24",
                            "--port", "80"], stdout=srv_log, stderr=subprocess.STDOUT)
            try:
                t0 = time.time()
                r = ns.sh(shlex.quote(os.path.abspath(client)) + " 10.79.0.2 80",
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
                with open(os.path.join(LOGS, "bench_http_rate.run.log"), "w") as f:
                    f.write(r.stdout + r.stderr)
                log("%s: %.1f s" % (name, time.time() - t0))
                if not parse_rows(r.stdout) or r.returncode != 0:
                    fail(name, "exit %d: %s" % (r.returncode, r.stderr.strip()[-120:]))
            except subprocess.TimeoutExpired:
                fail(name, "timed out after 60 s")
            finally:
                srv.terminate()
                try:
                    srv.wait(5)
                except subprocess.TimeoutExpired:
                    srv.kill()
                    srv.wait()
            if srv.returncode not in (0, -15):
                fail(name + " (server)", "tcpfsm-httpd exited with status %d, see %s"
                     % (srv.returncode, srv_log.name))


# ---------------------------------------------------------------- 8c. many HTTP clients
def http_load_summary(text):
    """The key=value pairs of http_load's summary line ("http_load: conns=N ..."), or None."""
    for line in reversed(text.splitlines()):
        if line.startswith("http_load: conns="):
            return dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    return None


def bench_http_clients():
    """Issue 16: 100 and 10,000 concurrent keep-alive HTTP clients (bench/http_load.c: the
    kernel's TCP, one thread, epoll; every connection opened first, then GET / back to back on
    each, one request at a time; a warm-up request each, then a measured time) against
    tcpfsm-httpd over TUN, and as the reference, measured alternately in the same run with the
    same client from the same namespace, against bench/linux_httpd.c (the same response bytes on
    the kernel's sockets, one thread, epoll, the same backlog of 128) over a veth pair to a
    second namespace. What differs is the path: over TUN every packet is copied to or from a
    user process (read/write on the device) and the TCP runs there; over veth both TCPs are the
    kernel's and a packet never leaves it. Rows: request rate, p50 and p99 latency (request
    written to response read) for each number of clients, medians of the runs."""
    title = "HTTP keep-alive clients"
    why = root_reason(["ip", "sysctl"]) or (None if os.path.exists("/dev/net/tun") else "no /dev/net/tun")
    if why:
        return skip(title, why)
    ok, why = have(RUNTIME_LIB, "examples/tcpfsm-httpd.c", "examples/netio.c")
    if not ok:
        return skip(title, why)
    httpd = build(title, "bench_httpd", ["examples/tcpfsm-httpd.c", "examples/netio.c"],
                  ["-Iexamples"], libs=[RUNTIME_LIB])
    linux = build(title, "linux_httpd", ["bench/linux_httpd.c"])
    load = build(title, "http_load", ["bench/http_load.c"])
    if not (httpd and linux and load):
        return
    # (clients, measured seconds per run, runs per server); BENCH_QUICK: tiny, one run each
    sizes = [(10, 0.2, 1), (200, 0.2, 1)] if QUICK else [(100, 1.0, 5), (10000, 2.0, 3)]
    tun, ve0, ve1 = "tfhc0", "vehc0", "vehc1"
    ours, ref = ("10.81.0.2", "10.82.0.2")
    with Netns("hcl") as cl, Netns("hsv") as sv:
        # The clients' namespace: the TUN device to tcpfsm-httpd (as bench_http: no IPv6, a
        # queue of 20,000 packets so a burst of 10,000 requests is not dropped on the way to the
        # stack) and one end of the veth pair whose other end is the Linux server's namespace.
        # The client's port range is wide and TIME-WAIT ports may be reused (connect only):
        # every run leaves its ports in TIME-WAIT at the client, which closes first.
        r = cl.sh("ip tuntap add dev {t} mode tun && sysctl -qw net.ipv6.conf.{t}.disable_ipv6=1 && "
                  "ip link set dev {t} txqueuelen 20000 && ip addr add 10.81.0.1/24 dev {t} && "
                  "ip link set dev {t} up && "
                  "ip link add {a} type veth peer name {b} netns {ns} && "
                  "sysctl -qw net.ipv6.conf.{a}.disable_ipv6=1 && "
                  "ip addr add 10.82.0.1/24 dev {a} && ip link set dev {a} up && "
                  "sysctl -qw net.ipv4.ip_local_port_range='1024 65535' net.ipv4.tcp_tw_reuse=1"
                  .format(t=tun, a=ve0, b=ve1, ns=sv.name),
                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode == 0:
            r = sv.sh("sysctl -qw net.ipv6.conf.{b}.disable_ipv6=1; "
                      "ip addr add 10.82.0.2/24 dev {b} && ip link set dev {b} up".format(b=ve1),
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            return fail(title, "cannot set up the namespaces: %s" % r.stdout.strip()[-100:])
        logs = [open(os.path.join(LOGS, "bench_httpd-clients.run.log"), "w"),
                open(os.path.join(LOGS, "linux_httpd.run.log"), "w")]
        srvs = [cl.popen([os.path.abspath(httpd), "--tun", tun, "--addr", ours + "/24",
                          "--port", "80"], stdout=logs[0], stderr=subprocess.STDOUT),
                sv.popen([os.path.abspath(linux), "--addr", ref, "--port", "80"],
                         stdout=logs[1], stderr=subprocess.STDOUT)]
        loadlog = open(os.path.join(LOGS, "http_load.run.log"), "w")
        try:
            _http_clients_runs(cl, os.path.abspath(load), ours, ref, sizes, loadlog)
        finally:
            for p in srvs:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            for f in logs + [loadlog]:
                f.close()
        for p, what, f in zip(srvs, ("tcpfsm-httpd", "linux_httpd"), logs):
            if p.returncode not in (0, -15):
                fail(title + " (server)", "%s exited with status %d, see %s" % (what, p.returncode, f.name))


def _http_clients_runs(cl, load, ours, ref, sizes, loadlog):
    """bench_http_clients' measurements: for each (clients, seconds, runs) of sizes,
    tcpfsm-httpd and linux_httpd alternately, `runs` times each; appends the rows."""
    def client(addr, args, limit):
        r = cl.sh(" ".join(shlex.quote(a) for a in [load, addr, "80"] + args),
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=limit)
        loadlog.write("$ http_load %s 80 %s\n%s%s\n" % (addr, " ".join(args), r.stderr, r.stdout))
        loadlog.flush()
        return r.returncode, http_load_summary(r.stdout), r.stderr.strip()

    # Both servers answer, and with the same bytes (the reference serves a copy of the page).
    hashes = {}
    for addr in (ours, ref):
        for _ in range(50):
            rc, s, _err = client(addr, ["--conns", "1", "--requests", "1", "--timeout", "2", "-q"], 10)
            if rc == 0:
                hashes[addr] = s["resp_hash"]
                break
            time.sleep(0.1)
        else:
            return fail("HTTP keep-alive clients", "the server at %s did not answer within 5 s" % addr)
    if hashes[ours] != hashes[ref]:
        return fail("HTTP keep-alive clients", "linux_httpd's response differs from tcpfsm-httpd's "
                    "(bench/linux_httpd.c's copy of the built-in page is stale?), see " + loadlog.name)
    for n, secs, runs in sizes:
        got = {ours: [], ref: []}
        name = "HTTP %d keep-alive clients, tcpfsm-httpd over TUN" % n
        err = None
        for _ in range(runs):
            for addr in (ours, ref):
                time.sleep(0.5)  # the previous run's connections end (the client closed them)
                try:
                    rc, s, e = client(addr, ["--conns", str(n), "--duration", str(secs),
                                             "--timeout", "60", "--io-timeout", "20", "-q"], 90)
                except subprocess.TimeoutExpired:
                    rc, s, e = -1, None, "timed out after 90 s"
                if rc != 0 or not s:
                    err = err or "%s, %s: %s" % ("tcpfsm-httpd" if addr == ours else "linux_httpd",
                                                 "exit %d" % rc, (e.splitlines() or ["?"])[-1][:120])
                    continue
                got[addr].append(s)
        if err:
            fail(name, err)
            continue
        def med(addr, k):
            return statistics.median(float(s[k]) for s in got[addr])
        what = "(median of %d runs of %g s)" % (runs, secs)
        linux_ref = "linux_httpd over veth, %d clients" % n
        rows.append(("%s: request rate %s" % (name, what), med(ours, "rate"), "req/s",
                     linux_ref, med(ref, "rate")))
        rows.append(("%s: p50 latency" % name, med(ours, "p50_us"), "us", linux_ref, med(ref, "p50_us")))
        rows.append(("%s: p99 latency" % name, med(ours, "p99_us"), "us", linux_ref, med(ref, "p99_us")))


# ---------------------------------------------------------------- 8d. shards over TUN
def bench_shards():
    """Issue 16: one stack per core (tcpfsm_shards.h) on a multi-queue TUN device against the
    kernel's TCP (bench/bench_shards_tun.c, which makes the device in this namespace): the
    connection rate of 2x32 kernel clients (connect, request, reply, close) and the bulk rate of
    8 kernel streams into a discard service, each with 1 shard and with 2, alternated in the same
    run; the 2-shard row's reference is the 1-shard figure, so its ratio is the scaling."""
    name = "TUN shards"
    why = root_reason(["ip", "sysctl"]) or (None if os.path.exists("/dev/net/tun") else "no /dev/net/tun")
    if why:
        return skip(name, why)
    ok, why = have(RUNTIME_LIB, "runtime/tcpfsm_shards.h")
    if not ok:
        return skip(name, why)
    exe = build(name, "bench_shards_tun", ["bench/bench_shards_tun.c"], ["-pthread"],
                libs=[RUNTIME_LIB])
    if not exe:
        return
    with Netns("shards") as ns:
        run_ns(ns, name, [os.path.abspath(exe)], 120, "bench_shards_tun.run.log")


# ---------------------------------------------------------------- table
def fmt(v):
    if v is None:
        return "-"
    if v >= 1000:
        return "{:,.0f}".format(v)
    if v >= 100:
        return "%.1f" % v
    return "%.3g" % v


def post_process():
    """A row whose reference is another row of this run (Linux loopback iperf3, Linux
    connection rate) takes that row's value as its ref value."""
    measured = {}
    for r in rows:
        if len(r) == 5:
            measured[r[0].split(" (")[0]] = r[1]
            measured[r[0]] = r[1]  # a reference may also name a row in full
    for i, r in enumerate(rows):
        if len(r) == 5 and r[4] is None and r[3] in measured:
            rows[i] = r[:4] + (measured[r[3]],)


def report(flags_line, machine):
    post_process()
    out = []
    for r in rows:
        if len(r) == 3:
            out.append((r[0], r[1], "-", r[2], "-", "-"))
        else:
            name, v, unit, ref, rv = r
            ratio = (v / rv) if (rv not in (None, 0)) else None
            out.append((name, fmt(v), unit, ref, fmt(rv), "%.2f" % ratio if ratio is not None else "-"))
    with open(os.path.join(OUT, "results.tsv"), "w") as f:
        f.write("name\tvalue\tunit\treference\tref_value\tratio\n")
        for r in rows:
            if len(r) == 3:
                f.write("%s\t%s\t-\t%s\t-\t-\n" % (r[0], r[1], r[2].replace("\t", " ")))
            else:
                name, v, unit, ref, rv = r
                ratio = (v / rv) if (rv not in (None, 0)) else None
                f.write("%s\t%.6g\t%s\t%s\t%s\t%s\n" % (name, v, unit, ref,
                        "-" if rv is None else "%.6g" % rv, "-" if ratio is None else "%.4f" % ratio))
    hdr = ("benchmark", "value", "unit", "reference", "ref value", "ratio")
    w = [max(len(str(r[i])) for r in out + [hdr]) for i in range(6)]
    w[3] = min(w[3], 40)
    print(flags_line)
    print(machine)
    line = "  ".join("%-*s" % (w[i], hdr[i]) for i in range(6))
    print(line)
    print("-" * len(line))
    for r in out:
        if r[1] in ("SKIP", "FAIL"):
            print("%-*s  %s: %s" % (w[0], r[0], r[1], r[3]))
        else:
            print("  ".join(("%-*s" if i in (0, 2, 3) else "%*s") % (w[i], str(r[i])[:w[i]]) for i in range(6)))
    print("ratio = value / ref value; results in %s/results.tsv" % OUT)


def machine_line():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "machine: %s, %d cores (nproc), %.0f GiB, kernel %s" % (model, os.cpu_count(), mem,
                                                                     os.uname().release)


def main():
    os.makedirs(LOGS, exist_ok=True)
    t0 = time.time()
    cc_ver = subprocess.run([CC, "--version"], stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]
    flags_line = "flags: %s %s (%s)%s" % (CC, " ".join(CFLAGS), cc_ver, "  [BENCH_QUICK=1: tiny sizes]" if QUICK else "")
    log(flags_line)
    # iperf3 runs right before the memlink benchmarks whose reference it is (bulk, with and
    # without checksum offload), so the two see the machine in the same state.
    for step in (bench_dispatch, bench_checksum, bench_iperf3, bench_stack, bench_sizes, bench_conn_bytes,
                 bench_wakeup, bench_million, bench_timer,
                 bench_fsmc, bench_linux_connrate, bench_tun, bench_http, bench_shards,
                 bench_http_clients):
        try:
            step()
        except Exception as e:          # one broken step must not hide the others' figures
            fail(step.__name__, "%s: %s" % (type(e).__name__, e))
    report(flags_line, machine_line())
    print("total bench time: %.1f s" % (time.time() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
