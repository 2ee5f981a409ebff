#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build vmapdemo.ko for one kernel in its own output tree, so that builds for
# several kernels do not overwrite each other's objects.
#
# usage: scripts/build-module.sh RELEASE [KDIR] [extra make args...]
# prints the path of the built .ko on its last line.
#
# A kernel that lives in a chroot (7.2, 7.3: scripts/kernels.sh --chroot) is
# built inside it, with its suite's compiler, against its /lib/modules/REL/build,
# or against a KDIR given outside the chroot that the chroot sees at the same
# path (the 7.3 debug kernel's, in the cache: scripts/chroot.sh binds it).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
kver=$1
shift
kdir=${1:-/lib/modules/$kver/build}
[ $# -gt 0 ] && shift
out=$top/build/kmod/$kver
croot=$("$top/scripts/kernels.sh" --chroot "$kver")
run= rootdir=
if [ -n "$croot" ]; then
	run="$top/scripts/chroot.sh $croot run"
	rootdir=$("$top/scripts/chroot.sh" "$croot")
fi
if [ -n "$rootdir" ] && [ -f "$kdir/Makefile" ] &&
	[ ! -f "$rootdir$kdir/Makefile" ]; then
	rootdir=
fi
if [ ! -f "$rootdir$kdir/Makefile" ]; then
	echo "build-module.sh: no kernel build tree at $rootdir$kdir" >&2
	exit 1
fi
mkdir -p "$out"
# Mirror the sources (only what kbuild needs) into the output tree.
rm -rf "$out/module" "$out/uapi"
cp -r "$top/Kbuild" "$top/module" "$top/uapi" "$out/"
$run make -s -C "$kdir" M="$out" "$@" modules >&2
echo "$out/module/vmapdemo.ko"
