#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench-compat.sh TARGET TYPE1.log CONTAINER.log
# The "type1 on /dev/ioasid" rows of the benchmark: ioasid-bench's type1
# path timed on VFIO's own type1 container (TYPE1.log, a boot of the
# kernel built with CONTAINER=type1) beside the same path on the container
# /dev/ioasid serves (CONTAINER.log, a boot of the kernel built without),
# workload by workload, from the machine-readable bench-data lines.  One
# kernel has one of the two containers, so they cannot take turns in one
# boot as the other paths do; each boot also timed the ours path, whose
# ratio between the boots, the drift, the last column divides out of
# the times.
#
# Ratios are the container's median over type1's: below 1 is faster for
# times.
set -e
target=$1
type1_log=$2
container_log=$3
for log in "$type1_log" "$container_log"; do
	if [ ! -s "$log" ]; then
		echo "error: no $log: run the bench boots first" >&2
		exit 1
	fi
done

data() {
	tr -d '\r' < "$1" | sed -n 's/^bench-data: //p'
}

{ data "$type1_log" | sed 's/^/A /'; data "$container_log" | sed 's/^/B /'; } |
awk -v target="$target" '
function ratio(a, b) {
	return (a == "" || b == "" || a == "n/a" || b == "n/a" || a <= 0 || b <= 0) ? "n/a" : a / b
}
function cell(v) {
	return v == "n/a" ? "n/a" : sprintf(v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.3g", v)
}
{
	boot = $1; name = $2; path = $3; med = $4; unit = $7
	key = name
	if (!(key in units)) {
		order[n++] = key
		units[key] = unit
	}
	val[boot, path, key] = med
}
END {
	printf "bench:\nbench: type1 on /dev/ioasid, %s: edu through the type1 path, medians\n", target
	printf "bench: %-26s %-6s %-12s %-12s %-9s %s\n", "workload", "unit",
	       "type1", "on-ioasid", "ratio", "ratio/drift"
	for (i = 0; i < n; i++) {
		key = order[i]
		t = val["A", "type1", key]
		c = val["B", "type1", key]
		if (t == "" && c == "")
			continue
		r = ratio(c, t)
		# Only times drift; memory figures are what they are.
		drift = units[key] ~ /^(s|ms|us|ns)$/ ? \
			ratio(val["B", "ours", key], val["A", "ours", key]) : "n/a"
		rd = (r == "n/a" || drift == "n/a") ? "n/a" : sprintf("%.2f", r / drift)
		printf "bench: %-26s %-6s %-12s %-12s %-9s %s\n", key, units[key],
		       cell(t == "" ? "n/a" : t), cell(c == "" ? "n/a" : c),
		       r == "n/a" ? r : sprintf("%.2f", r), rd
	}
	printf "bench: note: type1 from one boot, on-ioasid from another; ratio/drift divides a time'"'"'s ratio by the ours path'"'"'s between them\n"
}'
