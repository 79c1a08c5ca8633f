#!/bin/sh
# Install what tcpfsm needs on Debian 12 (build, tests, diagrams, interop peers, fuzzing).
# As root: installs whatever is missing with apt-get. Otherwise: prints the exact command.
# Then the diagram tests' npm packages (tests/diagrams/package-lock.json), with `npm ci`.
# Fast when everything is there: dpkg-query, and a copy of the lock file kept in node_modules.
set -eu
cd "$(dirname "$0")/.."
# chromium: Debian's, driven by playwright-core in tests/diagrams (never a browser from npm).
# g++ (and clang's clang++): fsmc's generated headers are compiled and linked as C++ too.
# nftables: test_nc_refused makes Linux answer a closed port with ICMP port unreachable
# (a reject rule inside its own namespace) to check ECONNREFUSED by the ICMP row.
# ethtool: test_offload_tun turns a veth's TSO, GSO, GRO and checksum offload off (ip(8) cannot)
# so that its capture sees what a wire carries, and reads what TUNSETOFFLOAD gave the device.
PKGS="make gcc g++ clang flex bison check pkg-config graphviz tshark tcpdump iproute2 curl \
python3 netcat-openbsd iputils-ping iperf3 libclang-rt-14-dev chromium groff-base clang-format-14 \
nftables ethtool"
# Node.js: the machine's own node when there is one (NodeSource's nodejs bundles npm, and
# Debian's npm package conflicts with it); Debian's nodejs and npm only when node is missing.
# playwright-core 1.64 wants node >= 20 (Debian 12's nodejs is 18: it warns, and may not run).
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
status=0
if [ -z "$missing" ]; then
    echo "deps: all present"
elif [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing:$missing"
    echo "deps: run as root:  apt-get update && apt-get install -y$missing"
    status=1
else
    echo "deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # tshark asks whether non-root users may capture; the default (no) is what we want.
    apt-get install -y -qq --no-install-recommends $missing
fi

# npm packages of the diagram tests, exactly as locked, into tests/diagrams/node_modules
# (git-ignored). No root needed. --ignore-scripts: none of them has an install script, and
# none may fetch anything (a browser above all) beyond the locked tarballs.
D=tests/diagrams
if [ -f "$D/package-lock.json" ] && command -v npm >/dev/null 2>&1; then
    if cmp -s "$D/package-lock.json" "$D/node_modules/.deps-lock.json" 2>/dev/null; then
        echo "deps: $D/node_modules up to date"
    else
        echo "deps: npm ci in $D"
        (cd "$D" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) &&
            cp "$D/package-lock.json" "$D/node_modules/.deps-lock.json" || status=1
    fi
elif [ -f "$D/package-lock.json" ]; then
    echo "deps: no npm: cannot install $D/node_modules (Debian: apt-get install -y nodejs npm)"
    status=1
fi
exit $status
