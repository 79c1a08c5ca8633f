#!/bin/sh
# tests/examples/cli_test.sh BIN VERSION PROGRAM... — what a user of the example programs reads about them:
#   --version: "NAME (tcpfsm) VERSION", the library linked in, then the same notice as fsmc's, word for
#   word (fsmc --version: "fsmc (tcpfsm) VERSION", then the notice);
#   --help lists --version, and -h prints the same text;
#   examples/NAME.1 renders without a groff warning, has the sections a page needs, names
#   VERSION in its title line, and its OPTIONS list the options --help lists, no more, no
#   fewer (so the two cannot drift apart).
# The installed copies are checked by tests/install/install_test.sh.
set -u
bin=$1 version=$2
shift 2
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

if ! command -v groff >/dev/null 2>&1; then
    echo "FAIL: groff is missing (Debian: groff-base; sh .ci/deps.sh installs it)"
    exit 1
fi

# The options a --help text lists: on each line that starts (after spaces) with '-', the
# option column, i.e. the text before the first two spaces.
help_opts() {
    sed -n 's/^ \{1,\}\(-[^ ].*\)$/\1/p' "$1" | sed 's/  .*//' |
        grep -o -e '--*[A-Za-z][-A-Za-z_]*' | sort -u
}
# The options a rendered page's OPTIONS section lists: the tags of its .TP paragraphs (7
# spaces in, starting with '-'), up to the first two spaces.
man_opts() {
    sed -n '/^OPTIONS$/,/^[A-Z]/p' "$1" | sed -n 's/^       \(-[^ ].*\)$/\1/p' | sed 's/  .*//' |
        grep -o -e '--*[A-Za-z][-A-Za-z_]*' | sort -u
}

# fsmc prints the version the build gives it (fsmc/fsmc.mk passes the Makefile's VERSION).
"$bin/fsmc" --version >"$tmp/fsmc.v" 2>&1 || bad "fsmc --version exited $?"
v=$(sed -n 1p "$tmp/fsmc.v")
if [ "$v" = "fsmc (tcpfsm) $version" ]; then echo "ok: fsmc --version: $v"
else bad "fsmc --version says '$v', want 'fsmc (tcpfsm) $version'"; fi
sed 1d "$tmp/fsmc.v" >"$tmp/notice"

for p in "$@"; do
    exe=$bin/$p page=$top/examples/$p.1
    # --version
    if "$exe" --version >"$tmp/v" 2>"$tmp/v.err"; then
        first=$(sed -n 1p "$tmp/v") second=$(sed -n 2p "$tmp/v")
        [ "$first" = "$p (tcpfsm) $version" ] || bad "$p --version says '$first', want '$p (tcpfsm) $version'"
        [ "$second" = "libtcpfsm $version" ] || bad "$p --version line 2 says '$second', want 'libtcpfsm $version'"
        [ -s "$tmp/v.err" ] && bad "$p --version wrote to stderr: $(cat "$tmp/v.err")"
        sed 1,2d "$tmp/v" | cmp -s - "$tmp/notice" || bad "$p --version's notice is not fsmc's: $(sed 1,2d "$tmp/v" | head -2)"
    else
        bad "$p --version exited $?"
    fi
    # --help, -h
    "$exe" --help >"$tmp/help" 2>&1 || bad "$p --help exited $?"
    "$exe" -h >"$tmp/h" 2>&1 || bad "$p -h exited $?"
    cmp -s "$tmp/help" "$tmp/h" || bad "$p: -h and --help print different texts"
    help_opts "$tmp/help" >"$tmp/help.opts"
    grep -qx -e '--version' "$tmp/help.opts" || bad "$p --help does not list --version"
    # the page
    if [ ! -f "$page" ]; then bad "$p has no man page ($page)"; continue; fi
    groff -man -ww -z "$page" 2>"$tmp/warn" || bad "$p.1: groff failed"
    [ -s "$tmp/warn" ] && bad "$p.1: groff warns: $(head -5 "$tmp/warn")"
    head -1 "$page" | grep -q "\"tcpfsm $version\"" || bad "$p.1: title line does not say tcpfsm $version: $(head -1 "$page")"
    LC_ALL=C groff -man -Tascii -P-cbu "$page" 2>/dev/null >"$tmp/page.txt"
    for s in NAME SYNOPSIS DESCRIPTION OPTIONS 'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
        grep -qx "$s" "$tmp/page.txt" || bad "$p.1 has no $s section"
    done
    man_opts "$tmp/page.txt" >"$tmp/man.opts"
    missing=$(comm -23 "$tmp/help.opts" "$tmp/man.opts" | tr '\n' ' ')
    extra=$(comm -13 "$tmp/help.opts" "$tmp/man.opts" | tr '\n' ' ')
    [ -z "$missing" ] || bad "$p.1 OPTIONS lacks what --help lists: $missing"
    [ -z "$extra" ] || bad "$p.1 OPTIONS has what --help does not list: $extra"
    [ "$fail" -eq 0 ] && echo "ok: $p --version, --help, $p.1 ($(wc -l <"$tmp/help.opts") options)"
done

# Every page shipped names the same version.
for page in "$top"/fsmc/fsmc.1 "$top"/docs/*.[1-8]; do
    head -1 "$page" | grep -q "\"tcpfsm $version\"" ||
        bad "$(basename "$page"): title line does not say tcpfsm $version: $(head -1 "$page")"
done

[ "$fail" -eq 0 ] && echo "cli: every example program's --version, --help and man page agree"
exit "$fail"
