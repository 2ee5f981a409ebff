#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make deb`: build the vmapdemo-dkms and vmapdemo-dev packages (dh-dkms,
# debhelper; scripts/deps.sh deb) from the DKMS file list, in build/deb.
# The packaging is packaging/debian; the changelog is made here from
# VMAPDEMO_VERSION, so the version has one source. Prints the two .deb
# paths on its last two lines. scripts/deb-check.sh installs them into a
# Debian 12 chroot.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ver=$(sed -n 's/^#define[[:space:]]*VMAPDEMO_VERSION[[:space:]]*"\([^"]*\)".*/\1/p' module/vmapdemo.h)
[ -n "$ver" ] || { echo "deb.sh: no VMAPDEMO_VERSION" >&2; exit 1; }
out=$top/build/deb
src=$out/vmapdemo-$ver
rm -rf "$out"
mkdir -p "$out"
make -s dkms-src DKMS_SRC="$src"
cp -r packaging/debian "$src/debian"
cp dkms.conf "$src/debian/vmapdemo-dkms.dkms"
# The date of the last commit (reproducible), or now outside git.
date=$(git log -1 --format=%cD 2>/dev/null || date -R)
cat >"$src/debian/changelog" <<EOT
vmapdemo ($ver-1) unstable; urgency=medium

  * vmapdemo $ver (see the git history).

 -- vmapdemo maintainers <vmapdemo@localhost>  $date
EOT
(cd "$src" && dpkg-buildpackage -b -us -uc >"$out/build.log" 2>&1) || {
	tail -n 30 "$out/build.log" >&2
	echo "deb.sh: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
}
ls "$out"/vmapdemo-dkms_"$ver"-1_all.deb "$out"/vmapdemo-dev_"$ver"-1_all.deb
