#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# record-result.sh FILE NAME PASSED FAILED SKIPPED NOTE
# Writes one target's counts in the form summarize.sh reads, prints the
# target's line, and exits non-zero when anything failed.
mkdir -p "$(dirname "$1")"
printf 'passed=%d failed=%d skipped=%d note=%s\n' "$3" "$4" "$5" "$6" > "$1"
printf '  %-14s%d passed, %d failed, %d skipped\n' "$2:" "$3" "$4" "$5"
[ "$4" -eq 0 ]
