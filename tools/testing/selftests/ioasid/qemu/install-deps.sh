#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages that building and booting the /dev/ioasid test
# kernels need.  Only what is missing is installed; nothing runs when all of
# it is present.
set -e

packages="linux-source-6.12 build-essential flex bison bc libelf-dev
	libssl-dev cpio rsync ccache python3 kmod patch
	qemu-system-x86 qemu-system-arm gcc-aarch64-linux-gnu
	libc6-dev-arm64-cross sparse universal-ctags python3-ply python3-git git
	dpdk-dev librte-net-e1000-23 librte-mempool-ring23"

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
# The smmuv3 target runs Debian's arm64 build of DPDK, which
# debian-root.sh downloads: dpkg must know the architecture.
foreign=
dpkg --print-foreign-architectures | grep -qx arm64 || foreign=arm64
[ -z "$missing" ] && [ -z "$foreign" ] && exit 0

echo "  DEPS   installing:$missing${foreign:+ (and the $foreign architecture)}"
if [ "$(id -u)" -ne 0 ]; then
	echo "error: run as root, or:${foreign:+ dpkg --add-architecture $foreign;}" \
	     "apt-get update; apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
[ -n "$foreign" ] && dpkg --add-architecture "$foreign"
apt-get update -q >/dev/null
[ -z "$missing" ] && exit 0
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
