#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print the path of an extracted linux-source-6.12 tree, extracting Debian's
# /usr/src/linux-source-6.12.tar.xz into the cache first if needed. The
# kselftest framework (kselftest_harness.h, lib.mk), checkpatch.pl and the
# debug kernel all come from this tree; nothing of it is copied into the repo.
#
# The cache lives outside the work tree: $VMAPDEMO_CACHE, by default
# ${XDG_CACHE_HOME:-$HOME/.cache}/vmapdemo.
set -eu

cache=${VMAPDEMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmapdemo}
tarball=/usr/src/linux-source-6.12.tar.xz
tree=$cache/linux-source-6.12
stamp=$cache/linux-source-6.12.version

if [ ! -f "$tarball" ]; then
	echo "ksrc.sh: $tarball missing: run scripts/deps.sh" >&2
	exit 1
fi
ver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown)
if [ ! -f "$tree/Makefile" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$ver" ]; then
	echo "ksrc: extracting $tarball ($ver) into $cache" >&2
	mkdir -p "$cache"
	rm -rf "$tree"
	tar -C "$cache" -xJf "$tarball"
	echo "$ver" >"$stamp"
fi
echo "$tree"
