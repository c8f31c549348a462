#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# record-result.sh FILE PASSED FAILED SKIPPED NOTE
# Writes one target's counts in the form summarize.sh reads.
mkdir -p "$(dirname "$1")"
printf 'passed=%d failed=%d skipped=%d note=%s\n' "$2" "$3" "$4" "$5" > "$1"
