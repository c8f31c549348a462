#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-notest.sh KBUILD RESULT
# Shows that a kernel built without CONFIG_DEV_IOASID_TEST carries nothing that
# only the tests use.  KBUILD holds drivers/iommu/ioasid/ built with
# CONFIG_DEV_IOASID_TEST=n (and no KUnit), and the preprocessed source (.i) of
# each of its objects; RESULT gets the counts for summarize.sh.  Five checks, each a pass or a fail:
#
#   objects   the test objects (mock.o, test.o) are not built
#   symbols   no symbol of the objects, defined or used, names a mock or
#             a test (nm)
#   sources   no identifier of our sources and headers, as the compiler
#             sees them, names a mock or a test: no type, field, function
#             or enumerator
#   fields    every member of the structs of ioasid_private.h is used by
#             the code that is built
#   functions every function an object gives the others is called by
#             built code or exported: none is left for tests alone
kbuild=$1
result=$2
here=$(cd "$(dirname "$0")" && pwd)
dir=$kbuild/drivers/iommu/ioasid
WORDS='mock|test|selftest'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

verdict() {
	if [ -s "$tmp/bad" ]; then
		echo "FAIL notest: $1:"
		sed 's/^/    /' "$tmp/bad"
		failed=$((failed + 1))
	else
		echo "ok notest: $1"
		passed=$((passed + 1))
	fi
	: > "$tmp/bad"
}

if ! grep -q '^CONFIG_DEV_IOASID=y' "$kbuild/.config" ||
   grep -q '^CONFIG_DEV_IOASID_TEST=y' "$kbuild/.config" ||
   [ ! -f "$dir/built-in.a" ]; then
	echo "error: $kbuild has no drivers/iommu/ioasid/ built with CONFIG_DEV_IOASID_TEST=n" >&2
	"$here/record-result.sh" "$result" notest 0 1 0 "not built"
	exit 1
fi

# The objects linked into the kernel, as the thin archive lists them,
# relative to KBUILD.
cd "$kbuild" || exit 1
ar t drivers/iommu/ioasid/built-in.a > "$tmp/objs"
sed 's|.*/||' "$tmp/objs" | tr '\n' ' ' > "$tmp/names"
echo "objects: $(cat "$tmp/names")"

: > "$tmp/bad"
grep -E '/(mock|test)\.o$' "$tmp/objs" > "$tmp/bad"
verdict "objects: no test object is built"

# Of lines 'where: name', those whose name names a mock or a test: one of
# its words, between underscores or dots, is one ('latest' is not).
naming() {
	awk -v words="^($WORDS)s?\$" '{
		n = split(tolower($NF), w, /[_.]/)
		for (k = 1; k <= n; k++)
			if (w[k] ~ words) { print; next }
	}'
}

while read -r obj; do
	nm "$obj" | awk -v o="${obj##*/}" '{ print o ": " $NF }'
done < "$tmp/objs" | naming > "$tmp/bad"
verdict "symbols: none names a mock or a test"

# What the compiler saw of our own files: the lines of each .i that its
# line markers attribute to drivers/iommu/ioasid/ or to the ioasid headers.
: > "$tmp/ours"
while read -r obj; do
	i=${obj%.o}.i
	if [ ! -f "$i" ]; then
		echo "${obj##*/}: no preprocessed source ${i##*/}" >> "$tmp/missing"
		continue
	fi
	awk -v o="${obj##*/}" '
		/^# [0-9]+ "/ {
			f = $3; gsub(/"/, "", f)
			ours = f ~ /drivers\/iommu\/ioasid\// ||
			       f ~ /include\/(uapi\/)?linux\/ioasid\.h$/
			n = f; sub(/.*\//, "", n)
			next
		}
		ours && NF { print o ": " n ": " $0 }' "$i" >> "$tmp/ours"
done < "$tmp/objs"
cp "$tmp/missing" "$tmp/bad" 2>/dev/null
# A header's lines are in every object that includes it: report each
# identifier once per file.  The kernel's atomics, bitops and page flags
# use "test" as a verb (refcount_dec_and_test(), test_and_set_bit(),
# folio_test_large()): those name no test.
sed 's/^[^:]*: //' "$tmp/ours" |
	grep -oiE "^[^:]*: |[A-Za-z_][A-Za-z0-9_]*($WORDS)[A-Za-z0-9_]*" |
	awk '/: $/ { where = $0; next } { print where $0 }' | naming |
	grep -vE ': [a-z0-9_]*_and_test$|: _*test_and_[a-z0-9_]+$|: _*test_bit$' |
	grep -vE ': folio_test_[a-z0-9_]+$' |
	sort -u >> "$tmp/bad"
verdict "sources: no identifier in $(wc -l < "$tmp/ours") lines of ours names a mock or a test"

# The members of the structs of ioasid_private.h as built (the members of
# a union are views of one buffer, not fields), and whether any line of
# our code names them after '.' or '->'.
sed -n 's/^main\.o: ioasid_private\.h: //p' "$tmp/ours" > "$tmp/private.h"
ctags -x --_xformat='%N' --c-kinds=u --language-force=C "$tmp/private.h" \
	> "$tmp/unions"
ctags -x --_xformat='%N %s' --c-kinds=m --language-force=C "$tmp/private.h" |
	grep -vwFf "$tmp/unions" | sort -u > "$tmp/members"
sed 's/^[^:]*: [^:]*: //' "$tmp/ours" > "$tmp/code"
: > "$tmp/bad"
while read -r m scope; do
	grep -qE "(\.|->)[[:space:]]*$m\b" "$tmp/code" ||
		echo "struct $scope: $m: used by no code that is built" >> "$tmp/bad"
done < "$tmp/members"
verdict "fields: each of the $(wc -l < "$tmp/members") struct members of ioasid_private.h is used"

# The functions an object defines for the others (nm's T), against the
# names another object calls (U), those exported (__export_symbol_NAME),
# and the lines of our .c files as built that name them besides their
# definition, for calls within an object that the compiler resolved or
# inlined: a function nothing built reaches is there for the tests.
while read -r obj; do
	nm "$obj" | awk -v o="${obj##*/}" '$2 == "T" { print $3 " " o }'
done < "$tmp/objs" | sort > "$tmp/defined"
while read -r obj; do
	nm "$obj" | awk '$1 == "U" { print $2 }
		/ __export_symbol_/ { sub(/^__export_symbol_/, "", $NF); print $NF }'
done < "$tmp/objs" | sort -u > "$tmp/reached"
grep -E '^[^:]*: [^:]*\.c: ' "$tmp/ours" > "$tmp/c-lines"
: > "$tmp/bad"
while read -r fn obj; do
	grep -qxF "$fn" "$tmp/reached" && continue
	[ "$(grep -cw -- "$fn" "$tmp/c-lines")" -gt 1 ] && continue
	echo "$obj: $fn: reached by no built code, and not exported" >> "$tmp/bad"
done < "$tmp/defined"
verdict "functions: each of the $(wc -l < "$tmp/defined") functions shared is reached"

"$here/record-result.sh" "$result" notest "$passed" "$failed" 0 \
	"test-only code in a CONFIG_DEV_IOASID_TEST=n build"
