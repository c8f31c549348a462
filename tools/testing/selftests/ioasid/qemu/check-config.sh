#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-config.sh CONFIG FRAGMENT...
# Kconfig silently drops a requested option whose dependencies are not met;
# fail loudly instead, naming every option that did not end up as asked.
# An option a later fragment sets again is asked for as that one sets it.
config=$1
shift
bad=0
grep -hE '^CONFIG_[A-Z0-9_]+=' "$@" |
	awk -F= '{ last[$1] = $0; order[NR] = $1 }
		 END { for (i = 1; i <= NR; i++)
			 if (order[i] in last) { print last[order[i]]; delete last[order[i]] } }' |
	while IFS= read -r want; do
		opt=${want%%=*}
		val=${want#*=}
		if [ "$val" = n ]; then
			grep -q "^$opt=" "$config" && echo "$want"
		else
			grep -qxF "$want" "$config" || echo "$want"
		fi
	done > "$config.unmet"
if [ -s "$config.unmet" ]; then
	echo "error: options not set as requested in $config:" >&2
	sed 's/^/    /' "$config.unmet" >&2
	bad=1
fi
rm -f "$config.unmet"
exit $bad
