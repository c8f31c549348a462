#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-log-test.sh RESULT SRC
# Feeds check-log.sh, check-kunit-boot.sh (with the kernel tree SRC's
# kunit.py) and summarize.sh made-up console logs and results, so that a
# harness which stopped noticing failures would fail here first.
here=$(dirname "$0")
result=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# judge NAME WANT_STATUS WANT_LINE COMMAND...: runs a checker on $tmp/log
# and compares its status and output with what it should give.  Not run
# in a pipeline, so that the counts it keeps survive.
judge() {
	name=$1
	want_status=$2
	want_line=$3
	shift 3
	out=$("$@" 2>&1)
	if [ $? -eq 0 ]; then got=pass; else got=fail; fi
	if [ "$got" = "$want_status" ] && echo "$out" | grep -qF -- "$want_line"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL harness: $name: wanted $want_status and '$want_line', got $got:"
		echo "$out" | sed 's/^/    /'
	fi
}

# The guest init copies its own lines and the TAP plan and result lines to
# the verdict channel; a case that does not write $tmp/verdict itself gets
# that copy of its console log.
expect() {
	[ -e "$tmp/verdict" ] ||
		grep -E '^(ioasid-init: (start|run |exit |done)|1\.\.|(not )?ok )' \
			"$tmp/log" > "$tmp/verdict"
	judge "$1" "$2" "$3" "$here/check-log.sh" t "$tmp/log" "$tmp/result" \
		"$tmp/verdict"
	rm -f "$tmp/verdict"
}

boot() {
	printf '[    0.100000] Linux version 6.12\nioasid-init: start\n'
}

done_line() {
	printf 'ioasid-init: dmesg begin\n<6>[    0.1] boot\n'
	printf 'ioasid-init: dmesg end\nioasid-init: done\n'
}

{ boot; printf 'ioasid-init: run a\n1..2\nok 1 x.one\nok 2 x.two # SKIP no hw\n'
  printf 'ioasid-init: exit a 0\n'; done_line; } > "$tmp/log"
expect clean pass "1 passed, 0 failed, 1 skipped"

{ boot; printf 'ioasid-init: run a\n1..2\nok 1 x.one\nnot ok 2 x.two\n'
  printf 'ioasid-init: exit a 1\n'; done_line; } > "$tmp/log"
expect failed-test fail "FAIL t: a: x.two"

{ boot; printf 'ioasid-init: run a\n1..1\nok 1 x.one\nioasid-init: exit a 0\n'
  printf 'ioasid-init: dmesg begin\n<4>[    1.0] WARNING: CPU: 0 PID: 1 at x.c:1 f\n'
  printf 'ioasid-init: dmesg end\nioasid-init: done\n'; } > "$tmp/log"
expect splat fail "FAIL t: kernel: <4>[    1.0] WARNING: CPU: 0"

{ boot; printf '[    0.0] rcu: \tRCU lockdep checking is enabled.\n'
  printf 'ioasid-init: run a\n1..1\nok 1 x.one\nioasid-init: exit a 0\n'
  printf 'ioasid-init: dmesg begin\n<4>[    0.0] Lock dependency validator: Copyright\n'
  printf 'ioasid-init: dmesg end\nioasid-init: done\n'; } > "$tmp/log"
expect debug-banners pass "1 passed, 0 failed"

{ boot; printf 'ioasid-init: run a\n1..1\nok 1 x.one\nioasid-init: exit a 0\n'
  printf 'ioasid-init: dmesg begin\n<4>[    2.0] WARNING: %s\n' \
	'possible circular locking dependency detected'
  printf 'ioasid-init: dmesg end\nioasid-init: done\n'; } > "$tmp/log"
expect lockdep-report fail "possible circular locking"

{ boot; printf 'ioasid-init: run a\n1..1\nok 1 x.one\nioasid-init: exit a 0\n'
  printf 'unreferenced object 0xffff888003a1c000 (size 64):\n'; done_line; } > "$tmp/log"
expect kmemleak-report fail "FAIL t: kernel: unreferenced object"

{ boot; printf 'ioasid-init: run a\n1..3\nok 1 x.one\n'; } > "$tmp/log"
expect unfinished fail "guest did not finish"

{ boot; printf 'ioasid-init: run a\n1..3\nok 1 x.one\nok 2 x.two\n'
  printf 'ioasid-init: exit a signal 11\n'; done_line; } > "$tmp/log"
expect crashed-program fail "1 of 3 tests did not report"

{ boot; printf 'ioasid-init: run a\n1..1\nok 1 x.one\nioasid-init: exit a 2\n'
  done_line; } > "$tmp/log"
expect bad-exit fail "a: exited with 2"

{ boot; done_line; } > "$tmp/log"
expect nothing-ran fail "no test program ran"

# The counts come from the verdict channel: printk may tear a TAP line on
# the loud console, and a line on the console alone counts for nothing.
{ boot; printf 'ioasid-init: run a\n1..2\nok 1 x.o[    3.0] vfio-pci 0000:00:02.0: reset\nne\n'
  printf 'not ok 2 x.two\nioasid-init: exit a 0\n'; done_line; } > "$tmp/log"
printf 'ioasid-init: start\nioasid-init: run a\n1..2\nok 1 x.one\nok 2 x.two\n' > "$tmp/verdict"
printf 'ioasid-init: exit a 0\nioasid-init: done\n' >> "$tmp/verdict"
expect torn-console pass "2 passed, 0 failed"

{ boot; printf 'ioasid-init: run a\n1..1\nok 1 x.one\nioasid-init: exit a 1\n'
  done_line; } > "$tmp/log"
printf 'ioasid-init: start\nioasid-init: run a\n1..1\nnot ok 1 x.one\n' > "$tmp/verdict"
printf 'ioasid-init: exit a 1\nioasid-init: done\n' >> "$tmp/verdict"
expect verdict-decides fail "FAIL t: a: x.one"

# A guest whose verdict channel stayed empty fails, however good the
# console looks.
{ boot; printf 'ioasid-init: run a\n1..1\nok 1 x.one\nioasid-init: exit a 0\n'
  done_line; } > "$tmp/log"
: > "$tmp/verdict"
expect empty-verdict fail "FAIL t: no verdict: the verdict channel"

# A splat printed live on the console and again in the dump counts once.
{ boot; printf 'ioasid-init: run a\n1..1\n[    1.0] WARNING: CPU: 0 PID: 1 at x.c:1 f\n'
  printf 'ok 1 x.one\nioasid-init: exit a 0\n'
  printf 'ioasid-init: dmesg begin\n<4>[    1.0] WARNING: CPU: 0 PID: 1 at x.c:1 f\n'
  printf 'ioasid-init: dmesg end\nioasid-init: done\n'; } > "$tmp/log"
expect splat-once fail "t:            1 passed, 1 failed"

# KUnit at boot: KTAP in the console before init, with printk's prefix;
# the dump of the kernel log at the end repeats it and is not counted.
kunit_boot() {
	printf '[    0.1] boot\n[    0.2] KTAP version 1\n[    0.2] 1..1\n'
	printf '[    0.3]     KTAP version 1\n[    0.3]     # Subtest: s\n'
	printf '[    0.3]     1..2\n[    0.4]     ok 1 c_one\n'
	printf '[    0.4]     %s 2 c_two\n[    0.5] %s 1 s\n' "$1" "$1"
	printf 'ioasid-init: start\n[    9.0] KTAP version 1\n'
}

expect_kunit() {
	judge "$1" "$2" "$3" "$here/check-kunit-boot.sh" "$src" "$tmp/log" \
		"$tmp/k.result" k
}

kunit_boot ok > "$tmp/log"
expect_kunit kunit-clean pass "2 passed, 0 failed"
kunit_boot "not ok" > "$tmp/log"
expect_kunit kunit-failed fail "FAIL k: c_two"
printf '[    0.1] boot\nioasid-init: start\n' > "$tmp/log"
expect_kunit kunit-missing fail "FAIL k: no KUnit result"

# check-config.sh: an option a later fragment sets again is asked for as
# that fragment sets it (the type1 kernel's fragment turns off what the
# test kernels' turns on), and an option not as asked fails.
printf 'CONFIG_A=y\nCONFIG_B=y\n' > "$tmp/first.config"
printf 'CONFIG_A=n\n' > "$tmp/later.config"
printf 'CONFIG_B=y\n# CONFIG_A is not set\n' > "$tmp/.config"
judge config-override pass "" \
	"$here/check-config.sh" "$tmp/.config" "$tmp/first.config" "$tmp/later.config"
judge config-unmet fail "CONFIG_A=y" \
	"$here/check-config.sh" "$tmp/.config" "$tmp/later.config" "$tmp/first.config"

# The summary fails on a missing target, and on any failed count.
"$here/record-result.sh" "$tmp/a.result" a 3 0 1 ok >/dev/null
if "$here/summarize.sh" "$tmp" a >"$tmp/out" 2>&1 &&
   grep -qx '3 passed, 0 failed, 1 skipped' "$tmp/out"; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	echo "FAIL harness: summary of a passing target"
fi
if "$here/summarize.sh" "$tmp" a missing >"$tmp/out" 2>&1; then
	failed=$((failed + 1))
	echo "FAIL harness: summary with a missing target passed"
else
	passed=$((passed + 1))
fi

exec "$here/record-result.sh" "$result" harness "$passed" "$failed" 0 "harness self-test"
