#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# summarize.sh RESULTS_DIR NAME...
# Prints one line per target and the closing 'N passed, N failed' line;
# exits non-zero when any target failed or left no result.
dir=$1
shift
total_pass=0
total_fail=0
total_skip=0
echo
echo "ioasid test summary"
for name in "$@"; do
	line=$(cat "$dir/$name.result" 2>/dev/null)
	if [ -z "$line" ]; then
		printf '  %-14s no result (did not run)\n' "$name:"
		total_fail=$((total_fail + 1))
		continue
	fi
	p=$(echo "$line" | sed -n 's/.*passed=\([0-9]*\).*/\1/p')
	f=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
	s=$(echo "$line" | sed -n 's/.*skipped=\([0-9]*\).*/\1/p')
	note=$(echo "$line" | sed -n 's/.*note=//p')
	status=ok
	[ "$f" -eq 0 ] || status="FAILED ($note)"
	printf '  %-14s%4d passed, %d failed, %d skipped  %s\n' "$name:" "$p" "$f" "$s" "$status"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
done
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
