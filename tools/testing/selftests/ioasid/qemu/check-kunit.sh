#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-kunit.sh KUNIT_LOG KERNEL_LOG RESULT [NAME]
# Reads kunit.py's summary and, when KERNEL_LOG is not empty, the kernel log
# of the run; any failed case, a missing summary, or a kernel splat fails
# the run, which is reported as NAME (kunit by default).
log=$1
klog=$2
result=$3
name=${4:-kunit}
here=$(dirname "$0")
splats=$(cat "$here/splat-patterns")

summary=$(sed -n 's/.*Testing complete\. Ran \([0-9]*\) tests*: \(.*\)/\1 \2/p' "$log" | tail -n 1)
total=${summary%% *}
passed=$(echo "$summary" | sed -n 's/.*passed: \([0-9]*\).*/\1/p')
failed=$(echo "$summary" | sed -n 's/.*failed: \([0-9]*\).*/\1/p')
skipped=$(echo "$summary" | sed -n 's/.*skipped: \([0-9]*\).*/\1/p')
errors=$(echo "$summary" | sed -n 's/.*errors: \([0-9]*\).*/\1/p')
passed=${passed:-0}
failed=$(( ${failed:-0} + ${errors:-0} ))
skipped=${skipped:-0}

grep -o '\[FAILED\] .*' "$log" | sed "s/^\\[FAILED\\] /FAIL $name: /"
if [ -z "$total" ] || [ "$total" -eq 0 ]; then
	echo "FAIL $name: no KUnit result; see $log"
	failed=$((failed + 1))
fi
if [ -n "$klog" ] && [ -f "$klog" ] && grep -Eq "$splats" "$klog"; then
	grep -E "$splats" "$klog" | head -n 5 | sed "s/^/FAIL $name: kernel: /"
	failed=$((failed + 1))
fi
if ! grep -q '^kunit-exit: 0$' "$log" && [ "$failed" -eq 0 ]; then
	echo "FAIL $name: kunit.py failed; see $log"
	tail -n 20 "$log" | sed 's/^/    /'
	failed=1
fi
exec "$here/record-result.sh" "$result" "$name" "$passed" "$failed" "$skipped" "$log"
