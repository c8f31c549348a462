#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# debian-root.sh DIR
# Copies the Debian programs the x86 tests run unmodified into DIR, each
# at the path it has on the host, with every shared library they load,
# so that DIR can be merged into an initramfs:
#
# - dpdk-testpmd (package dpdk-dev), for ioasid_dpdk, with the poll-mode
#   drivers it uses (e1000's, for QEMU's e1000, and the ring mempool) in
#   DPDK's plugin directory, which the EAL loads whole, alone there, and
#   coreutils' libstdbuf.so, for the test to line-buffer what testpmd
#   prints into a file, as stdbuf(1) would;
# - qemu-system-x86_64 (package qemu-system-x86), for ioasid_qemu, with
#   its TCG accelerator, a module in Debian's build, the BIOS image of the
#   q35 machine and the option ROM of its APIC.
set -e
dir=$1
testpmd=/usr/bin/dpdk-testpmd
qemu=/usr/bin/qemu-system-x86_64
for program in $testpmd $qemu; do
	if [ ! -x "$program" ]; then
		echo "error: no $program: run install-deps.sh" >&2
		exit 1
	fi
done
pmds=$(ls -d /usr/lib/*/dpdk/pmds-* | head -1)
# The EAL loads the files of its plugin directory named *.so or *.so.<ABI>.
drivers="$pmds/librte_net_e1000.so $pmds/librte_mempool_ring.so"
stdbuf=/usr/libexec/coreutils/libstdbuf.so
tcg=$(ls /usr/lib/*/qemu/accel-tcg-x86_64.so | head -1)
bios="/usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin"

rm -rf "$dir"
# The EAL's runtime directory goes under /var/run, even --in-memory.
mkdir -p "$dir/var/run"
# A file at its own path, symlinks resolved: the loader wants the names.
copy() {
	mkdir -p "$dir$(dirname "$1")"
	cp -L "$1" "$dir$1"
}
for file in $testpmd $drivers $stdbuf $qemu $tcg $bios; do
	copy "$file"
done
ldd $testpmd $drivers $stdbuf $qemu |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*[^:]$/ { print $1 }' |
	sort -u | while read -r lib; do
		copy "$lib"
	done
