#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-config.sh CONFIG FRAGMENT...
# Kconfig silently drops a requested option whose dependencies are not met;
# fail loudly instead, naming every option that did not end up as asked.
config=$1
shift
bad=0
for frag in "$@"; do
	grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while IFS= read -r want; do
		opt=${want%%=*}
		val=${want#*=}
		if [ "$val" = n ]; then
			grep -q "^$opt=" "$config" && echo "$want"
		else
			grep -qxF "$want" "$config" || echo "$want"
		fi
	done
done > "$config.unmet"
if [ -s "$config.unmet" ]; then
	echo "error: options not set as requested in $config:" >&2
	sed 's/^/    /' "$config.unmet" >&2
	bad=1
fi
rm -f "$config.unmet"
exit $bad
