#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# debian-root.sh DIR [ARCH]
# Copies the Debian programs the tests run unmodified into DIR, each at the
# path it has on a Debian system, with every shared library they load, so
# that DIR can be merged into an initramfs:
#
# - dpdk-testpmd (package dpdk-dev), for ioasid_dpdk, with the poll-mode
#   drivers it uses (e1000's, for QEMU's e1000, and the ring mempool) in
#   DPDK's plugin directory, which the EAL loads whole, alone there, and
#   coreutils' libstdbuf.so, for the test to line-buffer what testpmd
#   prints into a file, as stdbuf(1) would;
# - on x86_64 only, qemu-system-x86_64 (package qemu-system-x86), for
#   ioasid_qemu, with its TCG accelerator, a module in Debian's build, the
#   BIOS image of the q35 machine and the option ROM of its APIC.
#
# ARCH is x86_64, the host's, by default: the programs are the host's own.
# For arm64 they are Debian's arm64 builds of the same packages, which
# apt-get downloads (the arm64 architecture must be added to dpkg, as
# install-deps.sh does) and dpkg -x unpacks, once per version of the
# host's dpdk-dev, under $DEBIAN_CACHE (DIR.debs by default).  The
# libraries are found by following the DT_NEEDED entries of the unpacked
# files, each from the arm64 build of the package that has the host's copy
# of it.
set -e
dir=$1
arch=${2:-x86_64}

rm -rf "$dir"
# The EAL's runtime directory goes under /var/run, even --in-memory.
mkdir -p "$dir/var/run"

host_root() {
	testpmd=/usr/bin/dpdk-testpmd
	qemu=/usr/bin/qemu-system-x86_64
	for program in $testpmd $qemu; do
		if [ ! -x "$program" ]; then
			echo "error: no $program: run install-deps.sh" >&2
			exit 1
		fi
	done
	pmds=$(ls -d /usr/lib/*/dpdk/pmds-* | head -1)
	# The EAL loads the files of its plugin directory named *.so or
	# *.so.<ABI>.
	drivers="$pmds/librte_net_e1000.so $pmds/librte_mempool_ring.so"
	stdbuf=/usr/libexec/coreutils/libstdbuf.so
	tcg=$(ls /usr/lib/*/qemu/accel-tcg-x86_64.so | head -1)
	bios="/usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin"

	# A file at its own path, symlinks resolved: the loader wants the
	# names.
	copy() {
		mkdir -p "$dir$(dirname "$1")"
		cp -L "$1" "$dir$1"
	}
	for file in $testpmd $drivers $stdbuf $qemu $tcg $bios; do
		copy "$file"
	done
	ldd $testpmd $drivers $stdbuf $qemu |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 }
		     $1 ~ /^\/.*[^:]$/ { print $1 }' |
		sort -u | while read -r lib; do
			copy "$lib"
		done
}

# Downloads the arm64 builds of packages $@ into $debs, in one call, and
# unpacks them into $debs/root, once each.
fetch_arm64() {
	new=
	for package in "$@"; do
		[ -e "$debs/.$package" ] || new="$new $package:arm64"
	done
	[ -z "$new" ] && return
	# shellcheck disable=SC2086
	(cd "$debs" && apt-get download -q $new >/dev/null 2>&1) || {
		echo "error: apt-get download$new failed: run install-deps.sh" >&2
		exit 1
	}
	for package in $new; do
		package=${package%:arm64}
		dpkg -x "$debs/${package}_"*_arm64.deb "$debs/root"
		touch "$debs/.$package"
	done
}

# The unpacked library named $1, or nothing.
arm64_lib() {
	for libdir in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
		if [ -e "$debs/root/$libdir/$1" ]; then
			echo "$libdir/$1"
			return
		fi
	done
}

arm64_root() {
	version=$(dpkg-query -W -f='${Version}' dpdk-dev 2>/dev/null) || {
		echo "error: no dpdk-dev on the host: run install-deps.sh" >&2
		exit 1
	}
	debs=${DEBIAN_CACHE:-$dir.debs}/arm64-$version
	mkdir -p "$debs/root"
	fetch_arm64 dpdk-dev librte-net-e1000-23 librte-mempool-ring23 \
		coreutils libc6
	pmds=$(cd "$debs/root" && ls -d usr/lib/aarch64-linux-gnu/dpdk/pmds-* | head -1)
	# One space between two names, for the case below.
	files="usr/bin/dpdk-testpmd $pmds/librte_net_e1000.so.23"
	files="$files $pmds/librte_mempool_ring.so.23"
	files="$files usr/libexec/coreutils/libstdbuf.so"
	# Follow DT_NEEDED until every library is unpacked and listed.
	while :; do
		needed=$(cd "$debs/root" && for file in $files; do
				readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
			 done | sort -u)
		missing=
		for soname in $needed; do
			lib=$(arm64_lib "$soname")
			if [ -z "$lib" ]; then
				missing="$missing $soname"
			else
				case " $files " in
				*" $lib "*) ;;
				*) files="$files $lib"; added=1 ;;
				esac
			fi
		done
		if [ -n "$missing" ]; then
			# shellcheck disable=SC2046,SC2086
			packages=$(dpkg -S $(printf '*/x86_64-linux-gnu/%s ' $missing) \
					2>/dev/null | sed 's/[:,].*//' | sort -u)
			if [ -z "$packages" ]; then
				echo "error: no package has$missing" >&2
				exit 1
			fi
			# shellcheck disable=SC2086
			fetch_arm64 $packages
			for soname in $missing; do
				if [ -z "$(arm64_lib "$soname")" ]; then
					echo "error: the arm64 packages $packages have no $soname" >&2
					exit 1
				fi
			done
		elif [ -z "$added" ]; then
			break
		fi
		added=
	done

	for file in $files; do
		case $file in
		# The EAL loads the files of its plugin directory named *.so
		# or *.so.<ABI>, and the ABI link is the one unpacked.
		"$pmds"/*) dest=${file%.so.*}.so ;;
		*) dest=$file ;;
		esac
		mkdir -p "$dir/$(dirname "$dest")"
		cp -L "$debs/root/$file" "$dir/$dest"
	done
	interp=$(readelf -l "$debs/root/usr/bin/dpdk-testpmd" |
		 sed -n 's/.*interpreter: \(.*\)\]/\1/p')
	mkdir -p "$dir$(dirname "$interp")"
	cp -L "$debs/root/$(arm64_lib "$(basename "$interp")")" "$dir$interp"
}

case $arch in
x86_64) host_root ;;
arm64) arm64_root ;;
*) echo "error: no Debian root for $arch" >&2; exit 1 ;;
esac
