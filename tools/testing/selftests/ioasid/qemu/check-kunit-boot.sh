#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-kunit-boot.sh SRC CONSOLE_LOG RESULT NAME
# The KUnit suites run at boot, before init, when the kernel is given
# kunit.enable=1.  Hands the part of the console log printed before init
# started (the kernel log dumped at the end repeats it) to kunit.py's
# parser and checks its summary as for a UML run.
src=$1
log=$2
result=$3
name=$4
here=$(dirname "$0")
out=${result%.result}.log

tr -d '\r' < "$log" | sed '/^ioasid-init: start/q' |
	python3 "$src/tools/testing/kunit/kunit.py" parse >"$out" 2>&1
echo "kunit-exit: $?" >>"$out"
exec "$here/check-kunit.sh" "$out" "" "$result" "$name"
