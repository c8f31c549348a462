#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-log.sh TARGET LOG RESULT [VERDICT]
# Reads what one boot left: VERDICT (LOG with .verdict for .log when not
# given), the guest init's verdict channel, which holds the start, run, exit
# and done lines of init and the TAP plan and result lines of each program,
# untorn; and LOG, the console, loud with kernel messages and the programs'
# output, with the kernel log dumped at the end.  The counts come from
# VERDICT only; the console is scanned for kernel splats.  Any failed test,
# missing result, abnormal exit, kernel splat, unfinished boot or empty
# verdict channel fails the target.  Writes the counts to RESULT and names
# every failure.
target=$1
log=$2
result=$3
verdict=${4:-${log%.log}.verdict}
here=$(dirname "$0")

# Lines that mean the kernel complained, wherever they appear in the log.
splats=$(cat "$here/splat-patterns")

if [ -s "$verdict" ]; then
	verdicts=$verdict
else
	verdicts=/dev/null
fi

awk -v target="$target" -v splats="$splats" -v verdict="$verdict" \
    -v console="$log" '
function fail(why) { failed++; printf "FAIL %s: %s\n", target, why }
{ gsub(/\r/, "") }
part == "verdict" { nverdict++ }
part == "verdict" && /^ioasid-init: run / { prog = $3; planned = -1; seen = 0; next }
part == "verdict" && /^ioasid-init: exit / {
	if (planned >= 0 && seen < planned)
		fail(prog ": " planned - seen " of " planned " tests did not report")
	code = $4
	if (code != "0" && code != "4" && !prog_failed[prog])
		fail(prog ": exited with " $4 " " $5)
	if (code == "4" && seen == 0)
		skipped++
	nran++; prog = ""; next
}
part == "verdict" && /^ioasid-init: done/ { done = 1; next }
part == "verdict" && prog != "" && /^1\.\.[0-9]+$/ { planned = substr($0, 4) + 0; next }
part == "verdict" && prog != "" && /^(not )?ok [0-9]+ / {
	seen++
	if ($0 ~ /# SKIP/) { skipped++; next }
	if ($1 == "ok") { passed++; next }
	prog_failed[prog] = 1
	name = $0; sub(/^not ok [0-9]+ /, "", name)
	fail(prog ": " name)
	next
}
# A splat shows twice, live on the console and in the dump of the kernel
# log (with its <level> prefix): name it once.
part == "console" && $0 ~ splats {
	key = $0; sub(/^<[0-9]+>/, "", key)
	if (!(key in splat_seen))
		fail("kernel: " $0)
	splat_seen[key] = 1
}
END {
	if (nverdict == 0)
		fail("no verdict: the verdict channel " verdict " is empty " \
		     "(the guest crashed before its init wrote, or the " \
		     "channel is broken); see " console)
	if (nverdict && !done)
		fail("guest did not finish (timeout or crash); see the log")
	if (nverdict && nran == 0)
		fail("no test program ran")
	printf "%d %d %d\n", passed, failed, skipped > "/dev/stderr"
}' part=verdict "$verdicts" part=console "$log" 2> "$result.counts"
status=$?
read -r passed failed skipped < "$result.counts"
rm -f "$result.counts"
[ "$status" -eq 0 ] || failed=$((failed + 1))
exec "$here/record-result.sh" "$result" "$target" "$passed" "$failed" "$skipped" "$log"
