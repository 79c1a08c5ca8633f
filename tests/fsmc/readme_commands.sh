#!/bin/sh
# Every fsmc command README.md shows (a line starting with build/bin/fsmc in a code block) must
# work verbatim on a fresh clone: each runs in an empty directory holding only spec/ and the
# built fsmc, as a newcomer's checkout would after `make`.
# usage: readme_commands.sh FSMC SCRATCHDIR
FSMC=$(realpath "$1"); T=$2
cd "$(dirname "$0")/../.." || exit 2
rm -rf "$T" && mkdir -p "$T" || exit 2
n=0; fail=0
# lines in ``` blocks that start with build/bin/fsmc; a trailing '# comment' is the reader's
cmds=$(awk '/^```/ { inblock = !inblock; next } inblock && /^build\/bin\/fsmc / { print }' README.md |
       sed 's/[[:space:]]\{2,\}#.*$//')
[ -n "$cmds" ] || { echo "readme-commands: FAIL: README.md shows no fsmc command"; exit 1; }
printf '%s\n' "$cmds" > "$T/commands"
while IFS= read -r cmd; do
    n=$((n + 1)); d="$T/$n"
    mkdir -p "$d/build/bin" && cp -R spec "$d/" && ln -s "$FSMC" "$d/build/bin/fsmc"
    if ! out=$(cd "$d" && sh -c "$cmd" 2>&1 </dev/null); then
        echo "readme-commands: FAIL: $cmd"; printf '%s\n' "$out" | head -5; fail=$((fail + 1))
    fi
done < "$T/commands"
[ $fail = 0 ] && echo "readme-commands: the README's $n fsmc commands work verbatim"
exit $((fail > 0))
