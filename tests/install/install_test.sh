#!/bin/sh
# Install into a scratch prefix, then use the install the way a user would: run every
# installed program from it, build an out-of-tree program with pkg-config (static and
# shared), run it, run fsmc from the prefix, read the man pages, compile the public header as
# C++, and check the shared library exports only tcpfsm_*. Nothing runs with LD_LIBRARY_PATH:
# whatever an installed program needs, the loader must find by itself. As root, also install
# into /usr/local inside a private mount namespace and check that a program linked with no
# RUNPATH finds the library there (make install's ldconfig).
set -eu
unset LD_LIBRARY_PATH
top=$(cd "$(dirname "$0")/../.." && pwd)
version=${VERSION:-$(sed -n 's/^.define TCPFSM_VERSION "\([^"]*\)"$/\1/p' "$top/runtime/tcpfsm.h")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

make -C "$top" -s install PREFIX="$tmp/prefix" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; bad "make install"; exit 1; }
ok "make install PREFIX=$tmp/prefix"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
cflags=$(pkg-config --cflags tcpfsm) libs=$(pkg-config --libs tcpfsm) libdir=$(pkg-config --variable=libdir tcpfsm)

# Every installed program runs from the prefix: no libtcpfsm to find (static), or one found
# through a RUNPATH relative to the program ($ORIGIN/../lib), so the prefix can be anywhere.
for exe in "$tmp/prefix/bin/"*; do
    p=$(basename "$exe")
    dyn=$(readelf -d "$exe" 2>/dev/null || true)
    if echo "$dyn" | grep -q 'NEEDED.*libtcpfsm' && ! echo "$dyn" | grep -Eq '(RUNPATH|RPATH).*\$ORIGIN/\.\./lib'; then
        bad "$p needs libtcpfsm but has no RUNPATH \$ORIGIN/../lib"
    fi
    if ldd "$exe" 2>&1 | grep -q 'not found'; then bad "$p: the loader cannot find: $(ldd "$exe" | grep 'not found')"; fi
    if "$exe" --version >"$tmp/v" 2>&1; then
        first=$(sed -n 1p "$tmp/v")
        case "$p:$first" in
        "$p:$p (tcpfsm) $version") ok "installed $p runs with no library path: $first" ;;
        *) bad "installed $p --version says '$first' (version $version)" ;;
        esac
    else bad "installed $p --version: $(head -3 "$tmp/v")"; fi
    [ -f "$tmp/prefix/share/man/man1/$p.1" ] || bad "installed $p has no man page man1/$p.1"
done
if [ -x "$tmp/prefix/bin/tcpfsm-nc" ] && echo hello | "$tmp/prefix/bin/tcpfsm-nc" 10.0.0.1 7 | grep -qx hello; then
    ok "installed tcpfsm-nc carries a connection"
else bad "installed tcpfsm-nc"; fi

# A program of the user's linked against the shared library in a private prefix finds it by
# the RUNPATH it was linked with (README.md), and the loader resolves it to this prefix.
if cc -std=c11 -Wall -Wextra -Werror $cflags "$top/tests/install/hello.c" -o "$tmp/hello-shared" $libs \
      -Wl,-rpath,"$libdir" && "$tmp/hello-shared" >"$tmp/out" && grep -q 'got "world"' "$tmp/out"; then
    ok "out-of-tree program, shared libtcpfsm via pkg-config and -rpath: $(cat "$tmp/out")"
else bad "out-of-tree program linked against libtcpfsm.so"; fi
if ldd "$tmp/hello-shared" 2>/dev/null | grep -q "libtcpfsm.so.0 => $libdir/libtcpfsm.so.0 "; then
    ok "soname libtcpfsm.so.0 recorded, resolved to $libdir"
else bad "soname/resolution: $(ldd "$tmp/hello-shared" 2>&1 | grep tcpfsm)"; fi

if cc -std=c11 -Wall -Wextra -Werror $cflags "$top/tests/install/hello.c" -o "$tmp/hello-static" \
      "$tmp/prefix/lib/libtcpfsm.a" && "$tmp/hello-static" >/dev/null; then
    ok "out-of-tree program, static libtcpfsm.a"
else bad "static link"; fi

if printf '#include <tcpfsm/tcpfsm.h>\nint main(void){return tcpfsm_version()[0]==0;}\n' |
   c++ -x c++ -std=c++11 -Wall -Wextra -Werror $cflags - -o "$tmp/cxx" $libs; then
    ok "public header compiles as C++"
else bad "public header as C++"; fi

other=$(nm -D --defined-only "$tmp/prefix/lib/libtcpfsm.so" | awk '$2 ~ /[TDBR]/ {print $3}' | grep -v '^tcpfsm_' || true)
if [ -z "$other" ]; then ok "libtcpfsm.so exports only tcpfsm_* ($(nm -D --defined-only "$tmp/prefix/lib/libtcpfsm.so" | grep -c ' T tcpfsm_') functions)"
else bad "libtcpfsm.so exports non-tcpfsm symbols: $(echo $other | head -c 300)"; fi

if "$tmp/prefix/bin/fsmc" --check "$top/spec/tcp.fsm" && "$tmp/prefix/bin/fsmc" --emit=dot -o "$tmp/tcp.dot" "$top/spec/tcp.fsm" && [ -s "$tmp/tcp.dot" ]; then
    ok "fsmc from the prefix checks and compiles spec/tcp.fsm"
else bad "fsmc from the prefix"; fi
pages=$(cd "$tmp/prefix/share/man" && ls man*/*.[1-8] | tr '\n' ' ')
if command -v man >/dev/null 2>&1; then
    for page in $pages; do
        n=$(basename "$page") && s=${n##*.} && n=${n%.*}
        MANPATH="$tmp/prefix/share/man" man -w "$s" "$n" >/dev/null 2>&1 || bad "man -w $s $n finds no page"
        MANPATH="$tmp/prefix/share/man" MANWIDTH=80 man --warnings "$s" "$n" 2>"$tmp/man.err" >/dev/null
        [ -s "$tmp/man.err" ] && bad "man $s $n warns: $(head -3 "$tmp/man.err")"
    done
    ok "man pages installed and found by man(1) without warnings: $pages"
else
    [ -f "$tmp/prefix/share/man/man1/fsmc.1" ] && [ -f "$tmp/prefix/share/man/man3/tcpfsm.3" ] && ok "man pages installed: $pages" || bad "man pages"
fi

make -C "$top" -s uninstall PREFIX="$tmp/prefix" >/dev/null 2>&1
left=$(find "$tmp/prefix" -type f | head -5)
if [ -z "$left" ]; then ok "make uninstall removes every installed file"; else bad "uninstall left: $left"; fi

# The default PREFIX, as root: /usr/local/lib is one of the loader's directories, but the
# loader sees a new library there only after ldconfig. Tried in a private mount namespace
# (an empty /usr/local, /etc under an overlay whose writes vanish), so the machine is untouched.
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null 2>&1; then
    echo "SKIP: install into /usr/local needs root and unshare(1)"
else
    mkdir -p "$tmp/etc-up" "$tmp/etc-work"
    cat >"$tmp/sys.sh" <<EOF
set -e
mount --make-rprivate /
mount -t tmpfs tmpfs /usr/local
mount -t overlay overlay -o lowerdir=/etc,upperdir=$tmp/etc-up,workdir=$tmp/etc-work /etc
make -C "$top" -s install >"$tmp/sys-install.log" 2>&1
cc -std=c11 -I/usr/local/include "$top/tests/install/hello.c" -o "$tmp/hello-sys" -L/usr/local/lib -ltcpfsm
readelf -d "$tmp/hello-sys" | grep -Eq 'RUNPATH|RPATH' && { echo "hello-sys has a RUNPATH"; exit 1; }
"$tmp/hello-sys"
ldd "$tmp/hello-sys" | grep 'libtcpfsm.so.0 => /usr/local/lib/libtcpfsm.so.0 '
make -C "$top" -s uninstall >>"$tmp/sys-install.log" 2>&1
if "$tmp/hello-sys" 2>/dev/null; then echo "still runs after make uninstall"; exit 1; fi
EOF
    if unshare -m true 2>/dev/null; then
        if unshare -m sh "$tmp/sys.sh" >"$tmp/sys.out" 2>&1; then
            ok "make install to /usr/local (private namespace): a program with no RUNPATH finds libtcpfsm; uninstall removes it from the loader's view"
        elif grep -q "overlay\|tmpfs\|mount:" "$tmp/sys.out"; then
            echo "SKIP: no private mounts here: $(head -1 "$tmp/sys.out")"
        else bad "install to /usr/local: $(cat "$tmp/sys.out" "$tmp/sys-install.log" 2>/dev/null | tail -5)"; fi
    else echo "SKIP: unshare -m is not permitted here"; fi
fi

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
