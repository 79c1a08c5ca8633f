#!/bin/sh
# House style (make format-check, part of make test): every C file of ours is exactly what
# clang-format makes of it with the repo's .clang-format, and no line of ours (C, flex, bison)
# is over 100 columns. Generated code (generated/, fsmc's golden files), fuzz inputs and
# third-party trees are not ours to format. clang-format output changes between major
# versions: the check runs with 14, Debian 12's (`make deps` installs it); with another, or
# none, it says SKIP, unless CI is set.
# usage: format_check.sh [--fix]
cd "$(dirname "$0")/../.." || exit 2
CF=$(command -v clang-format-14 || command -v clang-format)
skip() {
    if [ -n "$CI" ]; then echo "format-check: FAIL: $1"; exit 1; fi
    echo "SKIP: format-check: $1"; exit 0
}
[ -n "$CF" ] || skip "no clang-format (sh .ci/deps.sh installs clang-format 14)"
major=$("$CF" --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
[ "$major" = 14 ] || skip "clang-format $major, the house style is clang-format 14's"
files() {   # ours: tracked files when this is a git checkout, else the tree
    if git rev-parse --git-dir >/dev/null 2>&1; then git ls-files "$@"
    else for p in "$@"; do find . -path ./build -prune -o -name "$p" -type f -print; done | sed 's,^\./,,'; fi |
        grep -v -e '^generated/' -e '^tests/fsmc/golden/' -e '^tests/fuzz/corpus/' \
                -e '^tests/fuzz/regressions/' -e 'node_modules/' -e '^build/'
}
cfiles=$(files '*.c' '*.h')
if [ "$1" = --fix ]; then
    "$CF" -i $cfiles && echo "format: $(echo "$cfiles" | wc -l) files formatted"
    exit $?
fi
bad=0
for f in $cfiles; do
    if ! "$CF" --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "format-check: $f is not formatted (make format)"; bad=$((bad + 1))
    fi
done
long=$(for f in $cfiles $(files '*.l' '*.y'); do
           awk -v f="$f" 'length($0) > 100 { printf "%s:%d: %d columns\n", f, FNR, length($0) }' "$f"
       done)
if [ -n "$long" ]; then
    printf '%s\n' "$long" | head -20
    echo "format-check: $(printf '%s\n' "$long" | wc -l) lines over 100 columns"; bad=$((bad + 1))
fi
[ $bad = 0 ] || { echo "format-check: FAIL ($bad problems)"; exit 1; }
echo "format-check: $(echo "$cfiles" | wc -l) C files in the house style, every line within 100 columns"
