#!/bin/sh
# Runs the whole test suite: unit, engine and scenario tests against real peers on 127.0.0.1.
#   sh tests/run.sh                  the normal build, in build/
#   sh tests/run.sh DIR --sanitize   an ASan+UBSan build in DIR
#   sh tests/run.sh DIR --fuzz       the libFuzzer smoke (clang, 10 s a target) in DIR
# Ends with "N passed, N failed[, N skipped]"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
dir=${1:-build}
if [ ! -d "$dir" ]; then
	if [ "${2:-}" = "--sanitize" ]; then
		meson setup "$dir" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug >/dev/null || exit 1
	elif [ "${2:-}" = "--fuzz" ]; then
		CC=clang meson setup "$dir" -Dfuzzing=true -Db_sanitize=address,undefined \
			-Db_lundef=false -Dbuildtype=debug >/dev/null || exit 1
	else
		meson setup "$dir" >/dev/null || exit 1
	fi
fi
# Suites whose point is agreement with other programs may leave the sanitizer run out.
[ "${2:-}" = "--sanitize" ] && export TLSSCOPE_SANITIZED=1
meson compile -C "$dir" >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

# The sanitizers' options (exit statuses of their own) are in tests/meson.build's test setup.
log=$(mktemp)
suite=""
[ "${2:-}" = "--fuzz" ] && suite="--suite fuzz"
# shellcheck disable=SC2086
meson test -C "$dir" --print-errorlogs --no-rebuild $suite >"$log" 2>&1
rc=$?
grep -vE '^\s*$' "$log" | grep -E '^ *[0-9]+/[0-9]+ |FAIL|^stderr|^>>>' | sed 's/^/  /'
ok=$(awk '/^Ok:/ {print $2}' "$log")
fail=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $NF} END {print s + 0}' "$log")
skip=$(awk '/^Skipped:/ {print $2}' "$log")
rm -f "$log"
[ -n "$ok" ] || { echo "0 passed, 1 failed"; exit 1; }
echo "${ok} passed, ${fail} failed, ${skip:-0} skipped"
[ "$rc" = 0 ] && [ "$fail" = 0 ]
