#!/bin/sh
# Install into a scratch prefix, then use the install the way a user would: build an
# out-of-tree program with pkg-config (static and shared), run it, run fsmc from the prefix,
# compile the public header as C++, and check the shared library exports only tcpfsm_*.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok()  { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

make -C "$top" -s install PREFIX="$tmp/prefix" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; bad "make install"; exit 1; }
ok "make install PREFIX=$tmp/prefix"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
cflags=$(pkg-config --cflags tcpfsm) libs=$(pkg-config --libs tcpfsm)

if cc -std=c11 -Wall -Wextra -Werror $cflags "$top/tests/install/hello.c" -o "$tmp/hello-shared" $libs &&
   LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/hello-shared" >"$tmp/out" && grep -q 'got "world"' "$tmp/out"; then
    ok "out-of-tree program, shared libtcpfsm via pkg-config: $(cat "$tmp/out")"
else bad "out-of-tree program linked against libtcpfsm.so"; fi
if ldd "$tmp/hello-shared" 2>/dev/null | grep -q 'libtcpfsm.so.0 '; then ok "soname libtcpfsm.so.0 recorded"; else bad "soname"; fi

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
if MANPATH="$tmp/prefix/share/man" man -w fsmc >/dev/null 2>&1 && MANPATH="$tmp/prefix/share/man" man -w 3 tcpfsm >/dev/null 2>&1; then
    ok "man pages fsmc(1), tcpfsm(3) installed"
else
    [ -f "$tmp/prefix/share/man/man1/fsmc.1" ] && [ -f "$tmp/prefix/share/man/man3/tcpfsm.3" ] && ok "man pages installed" || bad "man pages"
fi

make -C "$top" -s uninstall PREFIX="$tmp/prefix" >/dev/null 2>&1
left=$(find "$tmp/prefix" -type f | head -5)
if [ -z "$left" ]; then ok "make uninstall removes every installed file"; else bad "uninstall left: $left"; fi

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
