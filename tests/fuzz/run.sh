#!/bin/sh
# Runs one libFuzzer target for SECONDS over its seed corpus, without writing into the
# repository (new inputs go to a temporary directory). A crash fails the test and leaves the
# crashing input next to the build, to be added to the corpus.
set -u
exe=$1 corpus=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$exe" "$work" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="$(dirname "$exe")/crash-" -print_final_stats=1 \
	-error_exitcode=1 -timeout_exitcode=1 >"$work/log" 2>&1
rc=$?
grep -E "stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|Done" "$work/log" | head -20
[ $rc = 0 ] || tail -n 40 "$work/log"
exit $rc
