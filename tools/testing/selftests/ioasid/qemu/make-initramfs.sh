#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make-initramfs.sh OUT.cpio INIT DIR [NAME...]
# Pack INIT as /init and every executable file of DIR, or only the NAMEs
# of DIR when given, into /run.d, the directory the guest init runs in name
# order.  The files INITRAMFS_BIN lists go to /bin, for the programs to
# run: tools that are not tests of their own.  The tree of the directory
# INITRAMFS_ROOT names, when set, is copied into the root as it is: a
# program of the host's with its libraries, at their own paths.
set -e
out=$1
init=$2
dir=$3
shift 3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/run.d" "$root/bin" "$root/dev" "$root/proc" "$root/sys" \
	"$root/tmp"
# As on any system, so that tests that drop privileges can reach /dev.
chmod 755 "$root"
cp "$init" "$root/init"
for file in $INITRAMFS_BIN; do
	cp "$file" "$root/bin/"
done
if [ -n "$INITRAMFS_ROOT" ]; then
	cp -a "$INITRAMFS_ROOT/." "$root/"
fi
if [ $# -eq 0 ]; then
	find "$dir" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/run.d/" \;
else
	for name in "$@"; do
		cp "$dir/$name" "$root/run.d/"
	done
fi
(cd "$root" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
