#!/bin/sh
# Install what tcpfsm needs on Debian 12 (build, tests, diagrams, interop peers, fuzzing).
# As root: installs whatever is missing with apt-get. Otherwise: prints the exact command.
set -eu
PKGS="make gcc clang flex bison check pkg-config graphviz tshark tcpdump iproute2 curl \
python3 netcat-openbsd iperf3 libclang-rt-14-dev"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "deps: all present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing:$missing"
    echo "deps: run as root:  apt-get update && apt-get install -y$missing"
    exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# tshark asks whether non-root users may capture; the default (no) is what we want.
apt-get install -y -qq --no-install-recommends $missing
