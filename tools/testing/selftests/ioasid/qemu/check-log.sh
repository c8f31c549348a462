#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-log.sh TARGET LOG RESULT
# Reads the console log of one boot: the TAP printed by each program the
# guest init ran, the exit status of each, and the kernel log dump.  Any
# failed test, missing result, abnormal exit, kernel splat or unfinished boot
# fails the target.  Writes the counts to RESULT and names every failure.
target=$1
log=$2
result=$3
here=$(dirname "$0")

# Lines that mean the kernel complained, wherever they appear in the log.
splats=$(cat "$here/splat-patterns")

tr -d '\r' < "$log" | awk -v target="$target" -v splats="$splats" '
function fail(why) { failed++; printf "FAIL %s: %s\n", target, why }
/^ioasid-init: run / { prog = $3; planned = -1; seen = 0; next }
/^ioasid-init: exit / {
	if (planned >= 0 && seen < planned)
		fail(prog ": " planned - seen " of " planned " tests did not report")
	code = $4
	if (code != "0" && code != "4" && !prog_failed[prog])
		fail(prog ": exited with " $4 " " $5)
	if (code == "4" && seen == 0)
		skipped++
	nran++; prog = ""; next
}
/^ioasid-init: done/ { done = 1 }
prog != "" && /^1\.\.[0-9]+$/ { planned = substr($0, 4) + 0; next }
prog != "" && /^(not )?ok [0-9]+ / {
	seen++
	if ($0 ~ /# SKIP/) { skipped++; next }
	if ($1 == "ok") { passed++; next }
	prog_failed[prog] = 1
	name = $0; sub(/^not ok [0-9]+ /, "", name)
	fail(prog ": " name)
	next
}
$0 ~ splats { fail("kernel: " $0) }
END {
	if (!done)
		fail("guest did not finish (timeout or crash); see the log")
	if (nran == 0)
		fail("no test program ran")
	printf "%d %d %d\n", passed, failed, skipped > "/dev/stderr"
}' 2> "$result.counts"
status=$?
read -r passed failed skipped < "$result.counts"
rm -f "$result.counts"
[ "$status" -eq 0 ] || failed=$((failed + 1))
exec "$here/record-result.sh" "$result" "$target" "$passed" "$failed" "$skipped" "$log"
