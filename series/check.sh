#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh OUT QEMU_DIR MAINTAINERS_ENTRY
# Builds every patch of the series in OUT/git (base..series) for x86_64
# and arm64, with the configuration the QEMU targets use less the debug
# options, checks each patch with checkpatch --strict and each new file
# against MAINTAINERS, and prints how long each part took.  The kernels
# build incrementally in OUT/kernel-<arch>, from a worktree at OUT/tree.
set -eu
# checkpatch's spdxcheck.py needs Debian's python3, python3-ply and python3-git.
export PATH=/usr/bin:$PATH
out=$1 qemu=$2
maintainer=$(sed -n 's/^M:\t.*<\(.*\)>$/\1/p' "$3")
git=$out/git tree=$out/tree
jobs=$(nproc)
exec > >(tee "$out/check.log") 2>&1
commits=$(git -C "$git" rev-list --reverse series-base..series)
total=$(echo "$commits" | wc -l)

[ -d "$tree" ] || git -C "$git" worktree add -q --detach "$tree" series-base

# tinyconfig plus the targets' fragments; symbols a step does not have yet
# drop out, and the result is rewritten only when it changes, so that
# kbuild rebuilds only what a patch touched.
configure() {
	local arch=$1 kb=$2 cc=$3
	make -s -C "$tree" O="$kb.new" ARCH="$arch" CROSS_COMPILE="$cc" tinyconfig
	(cd "$kb.new" && "$tree"/scripts/kconfig/merge_config.sh -m -O "$kb.new" \
		"$kb.new/.config" "$qemu/kernel.config" "$qemu/arch/$arch.config" \
		>/dev/null)
	make -s -C "$tree" O="$kb.new" ARCH="$arch" CROSS_COMPILE="$cc" olddefconfig
	mkdir -p "$kb"
	cmp -s "$kb.new/.config" "$kb/.config" || cp "$kb.new/.config" "$kb/.config"
	rm -rf "$kb.new"
}

build_arch() {
	local arch=$1 cc=$2 n=0 kb=$out/kernel-$1 t0 c prev=
	for c in $commits; do
		n=$((n + 1))
		git -C "$tree" checkout -q --detach "$c"
		t0=$(date +%s)
		if [ -z "$prev" ] || [ ! -f "$kb/.config" ] ||
		   git -C "$tree" diff --name-only "$prev" "$c" | grep -q Kconfig; then
			configure "$arch" "$kb" "$cc"
		fi
		prev=$c
		if ! make -s -C "$tree" O="$kb" ARCH="$arch" CROSS_COMPILE="$cc" \
			CC="ccache ${cc}gcc" HOSTCC="ccache gcc" -j"$jobs" \
			vmlinux headers >"$out/build-$arch-$n.log" 2>&1; then
			tail -20 "$out/build-$arch-$n.log"
			echo "FAIL series: patch $n/$total does not build for $arch"
			exit 1
		fi
		# A step that has our Kconfig must have built our code.
		if [ -f "$tree/drivers/iommu/ioasid/Kconfig" ] &&
		   ! grep -q '^CONFIG_DEV_IOASID=y' "$kb/.config"; then
			echo "FAIL series: patch $n/$total has CONFIG_DEV_IOASID off for $arch"
			exit 1
		fi
		if grep -q '^config DEV_IOASID_TEST' "$tree/drivers/iommu/ioasid/Kconfig" 2>/dev/null &&
		   ! grep -q '^CONFIG_DEV_IOASID_TEST=y' "$kb/.config"; then
			echo "FAIL series: patch $n/$total has CONFIG_DEV_IOASID_TEST off for $arch"
			exit 1
		fi
		# The tools and selftests build with the headers of their step.
		# Default goals, and the benchmark, which is built on request.
		for d in tools/testing/selftests/ioasid: tools/ioasid: \
			 tools/ioasid:bench; do
			[ -f "$tree/${d%:*}/Makefile" ] || continue
			make -s -C "$tree/${d%:*}" OUTPUT="$kb/user/${d%:*}" \
				CC="${cc}gcc" KHDR_INCLUDES="-isystem $kb/usr/include" \
				${d#*:} >>"$out/build-$arch-$n.log" 2>&1 || {
				tail -20 "$out/build-$arch-$n.log"
				echo "FAIL series: $d of patch $n/$total for $arch"
				exit 1
			}
		done
		printf '  SERIES  %-7s %2d/%d built in %4ds  %s\n' "$arch" "$n" "$total" \
			$(($(date +%s) - t0)) "$(git -C "$tree" log -1 --format=%s)"
	done
}

# checkpatch --strict, less two findings it cannot get right: a new file
# under an existing F: line (FILE_PATH_CHANGES; get_maintainer.pl decides
# instead, at the same commit), and the kselftest harness's
# "FIXTURE_DATA(name) *self" parameters, which it reads as a product.
checkpatch() {
	local p=$1 l n
	(cd "$tree" && ./scripts/checkpatch.pl --strict --terse --no-summary \
		--ignore FILE_PATH_CHANGES "$p") | while IFS= read -r l; do
		n=${l#"$p":}
		n=${n%%:*}
		case $l in *"spaces preferred around that '*' (ctx:WxV)")
			sed -n "${n}p" "$p" | grep -q 'FIXTURE_DATA(' && continue ;;
		esac
		echo "$l"
	done
}

check_patches() {
	local p n=0 f bad=0 found
	for p in "$out"/patches/0*.patch; do
		case $p in */0000-cover-letter.patch) continue ;; esac
		n=$((n + 1))
		git -C "$tree" checkout -q --detach "$(echo "$commits" | sed -n "${n}p")"
		found=$(checkpatch "$p")
		if [ -n "$found" ]; then
			echo "$found"
			echo "FAIL series: checkpatch: $(basename "$p")"
			bad=1
		fi
		for f in $(git -C "$tree" diff --name-only --diff-filter=A HEAD~1 HEAD); do
			(cd "$tree" && ./scripts/get_maintainer.pl --no-git --no-rolestats \
				-f "$f" 2>/dev/null) | grep -qF "<$maintainer>" || {
				echo "FAIL series: $f, new in $(basename "$p")," \
					"is not ours in MAINTAINERS"
				bad=1
			}
		done
	done
	return $bad
}

start=$(date +%s)
check_patches
echo "  SERIES  checkpatch --strict and MAINTAINERS: $total patches clean" \
	"in $(($(date +%s) - start))s"
for a in x86_64: arm64:aarch64-linux-gnu-; do
	t=$(date +%s)
	build_arch "${a%%:*}" "${a#*:}"
	echo "  SERIES  ${a%%:*}: $total patches built in $(($(date +%s) - t))s"
done
echo "  SERIES  series-check passed in $(($(date +%s) - start))s"
