#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make dkms-check`: run the DKMS life cycle (add, build, install, remove)
# for every kernel in KVERS, entirely in throwaway trees: --sourcetree,
# --dkmstree and --installtree point into a temporary directory, depmod and
# the initramfs are skipped, and the MOK key DKMS signs with is a throwaway
# one. Nothing under /usr/src, /var/lib/dkms or /lib/modules is touched and
# nothing is loaded. Needs root (dkms insists) and the dkms package.
#
# usage: scripts/dkms-check.sh        (env: KVERS="6.1 6.12")
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
KVERS=${KVERS:-6.1 6.12}

if [ "$(id -u)" != 0 ]; then
	echo "dkms-check: dkms needs root, even for throwaway trees" >&2
	exit 1
fi
if ! command -v dkms >/dev/null; then
	echo "dkms-check: dkms is not installed: run scripts/deps.sh lint" >&2
	exit 1
fi
ver=$(sed -n 's/^#define[[:space:]]*VMAPDEMO_VERSION[[:space:]]*"\([^"]*\)".*/\1/p' \
	module/vmapdemo.h)
cver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
if [ "$ver" != "$cver" ]; then
	echo "dkms-check: dkms.conf says $cver, module/vmapdemo.h says $ver" >&2
	exit 1
fi

tmp=$(mktemp -d /tmp/vmapdemo-dkms.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
make -s dkms-src DKMS_SRC="$tmp/src/vmapdemo-$ver"

# The signing variables are read from the environment when
# /etc/dkms/framework.conf leaves them unset (Debian's default).
export mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
trees=(--sourcetree "$tmp/src" --dkmstree "$tmp/dkms" --installtree "$tmp/lib")
mkdir -p "$tmp/dkms" "$tmp/lib"

run() {
	echo "+ dkms $*" | sed "s|$tmp|\$tmp|g"
	dkms "$@" "${trees[@]}" >"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
}

run add "vmapdemo/$ver"
bad=0
for k in $KVERS; do
	kver=$("$top/scripts/kernels.sh" "$k")
	mkdir -p "$tmp/lib/$kver"
	kopt=(-k "$kver" --kernelsourcedir "/lib/modules/$kver/build")
	run build "vmapdemo/$ver" "${kopt[@]}"
	run install "vmapdemo/$ver" "${kopt[@]}" --no-depmod --no-initrd
	ko=$(find "$tmp/lib/$kver/updates/dkms" -name 'vmapdemo.ko*' 2>/dev/null | head -n 1)
	if [ -z "$ko" ]; then
		echo "dkms-check: $kver: nothing installed under updates/dkms" >&2
		bad=1
		continue
	fi
	vm=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
	mv=$(modinfo -F version "$ko")
	signer=$(modinfo -F signer "$ko")
	echo "  $kver: ${ko#"$tmp/lib/"} version=$mv vermagic=$vm signer='$signer'"
	if [ "$vm" != "$kver" ] || [ "$mv" != "$ver" ]; then
		echo "dkms-check: $kver: unexpected vermagic or version" >&2
		bad=1
	fi
done
run remove "vmapdemo/$ver" --all --no-depmod --no-initrd
if [ -n "$(find "$tmp/lib" -name 'vmapdemo.ko*')" ] || [ -d "$tmp/dkms/vmapdemo" ]; then
	echo "dkms-check: dkms remove left files behind" >&2
	bad=1
fi
[ "$bad" -eq 0 ] && echo "dkms-check: ok, vmapdemo/$ver built and installed for: $KVERS"
exit "$bad"
