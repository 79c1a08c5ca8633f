#!/bin/sh
# run_fuzz.sh BUILD_FUZZ_DIR SECONDS HARNESS... — run each libFuzzer harness for SECONDS on a
# scratch copy of its committed seeds + regressions (tests/fuzz/{corpus,regressions}/NAME), so
# the committed corpus never changes during a run; new inputs land in DIR/corpus-NAME, crashes
# in DIR/NAME-{crash,leak,timeout,oom}-*. Prints one summary line per harness; exits 1 if any harness crashed.
set -u
dir=$1
secs=$2
shift 2
here=$(dirname "$0")
status=0
summary=""
for h in "$@"; do
    work="$dir/corpus-$h"
    log="$dir/fuzz-$h.log"
    rm -rf "$work"
    rm -f "$dir/$h"-crash-* "$dir/$h"-leak-* "$dir/$h"-timeout-* "$dir/$h"-oom-*
    mkdir -p "$work"
    for src in "$here/corpus/$h" "$here/regressions/$h"; do
        [ -d "$src" ] && find "$src" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$work/" \;
    done
    # the real specs are the best fsmc seeds; they are not copied into the corpus to stay in sync
    [ "$h" = fsmc ] && for f in "$here"/../../spec/*.fsm; do cp "$f" "$work/spec-$(basename "$f")"; done
    opts="-max_total_time=$secs -print_final_stats=1 -timeout=10 -rss_limit_mb=2048"
    opts="$opts -artifact_prefix=$dir/$h-"
    [ -f "$here/$h.dict" ] && opts="$opts -dict=$here/$h.dict"
    [ -f "$here/$h.options" ] && opts="$opts $(cat "$here/$h.options")"
    echo "fuzz: $h for ${secs}s on $work (log: $log)"
    start=$(date +%s)
    # shellcheck disable=SC2086
    "$dir/fuzz-$h" $opts "$work" >"$log" 2>&1
    rc=$?
    end=$(date +%s)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1)
    corp=$(ls "$work" | wc -l)
    line="fuzz: $h: ${execs:-?} execs in $((end - start))s (${rate:-?} exec/s), ${cov:-cov: ?}, ${ft:-ft: ?}, corpus $corp files"
    if [ $rc -ne 0 ]; then
        status=1
        line="$line, FAILED (exit $rc): $(ls "$dir/$h"-crash-* "$dir/$h"-leak-* "$dir/$h"-timeout-* "$dir/$h"-oom-* 2>/dev/null | head -3 | tr '\n' ' ')"
        grep -m1 -E 'ERROR: |SUMMARY: ' "$log" >&2
    fi
    echo "$line"
    summary="$summary$line
"
done
printf '%s' "$summary" >"$dir/summary.txt"
if [ $status -ne 0 ]; then
    echo "fuzz: a harness failed; minimize with: $dir/fuzz-NAME -minimize_crash=1 -runs=10000 CRASH," \
         "then add it to tests/fuzz/regressions/NAME/"
fi
exit $status
