#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build vmapdemo.ko for one kernel in its own output tree, so that builds for
# several kernels do not overwrite each other's objects.
#
# usage: scripts/build-module.sh RELEASE [KDIR] [extra make args...]
# prints the path of the built .ko on its last line.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
kver=$1
shift
kdir=${1:-/lib/modules/$kver/build}
[ $# -gt 0 ] && shift
out=$top/build/kmod/$kver
if [ ! -f "$kdir/Makefile" ]; then
	echo "build-module.sh: no kernel build tree at $kdir" >&2
	exit 1
fi
mkdir -p "$out"
# Mirror the sources (only what kbuild needs) into the output tree.
rm -rf "$out/module" "$out/uapi"
cp -r "$top/Kbuild" "$top/module" "$top/uapi" "$out/"
make -s -C "$kdir" M="$out" "$@" modules >&2
echo "$out/module/vmapdemo.ko"
