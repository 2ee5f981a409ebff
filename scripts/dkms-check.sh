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
# A chroot kernel (7.2, 7.3: scripts/chroot.sh) goes through the same life
# cycle inside its chroot, with that suite's dkms and compiler, in trees
# of its own under the work tree's build/ (bound into the chroot).
#
# usage: scripts/dkms-check.sh   (env: KVERS="6.1 6.12 6.12-rt 7.2 7.3")
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
KVERS=${KVERS:-6.1 6.12 6.12-rt 7.2 7.3}

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

# Under build/, not /tmp: a chroot sees the work tree, not the host's /tmp.
mkdir -p "$top/build"
tmp=$(mktemp -d "$top/build/dkms.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
make -s dkms-src DKMS_SRC="$tmp/src/vmapdemo-$ver"

# run KVER ARGS...: dkms ARGS with that kernel's throwaway trees, inside
# its chroot if it has one. The signing variables are read from the
# environment when /etc/dkms/framework.conf leaves them unset (Debian's
# default); the key is a throwaway one. dkms 3.2 (the chroots') looks for
# sign-file under --installtree, which is throwaway: it is told where.
run() {
	local k=$1 t
	shift
	t=$tmp/$k
	echo "+ dkms $*" | sed "s|$tmp|\$tmp|g"
	$inside env mok_signing_key="$t/mok.key" mok_certificate="$t/mok.pub" \
		${inside:+sign_file=/lib/modules/$k/build/scripts/sign-file} \
		dkms "$@" --sourcetree "$tmp/src" --dkmstree "$t/dkms" \
		--installtree "$t/lib" >"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
}

bad=0
for k in $KVERS; do
	kver=$("$top/scripts/kernels.sh" "$k")
	croot=$("$top/scripts/kernels.sh" --chroot "$kver")
	inside=
	[ -n "$croot" ] && inside="$top/scripts/chroot.sh $croot run"
	t=$tmp/$kver
	mkdir -p "$t/dkms" "$t/lib/$kver"
	kopt=(-k "$kver" --kernelsourcedir "/lib/modules/$kver/build")
	run "$kver" add "vmapdemo/$ver"
	run "$kver" build "vmapdemo/$ver" "${kopt[@]}"
	run "$kver" install "vmapdemo/$ver" "${kopt[@]}" --no-depmod --no-initrd
	ko=$(find "$t/lib/$kver/updates/dkms" -name 'vmapdemo.ko*' 2>/dev/null | head -n 1)
	if [ -z "$ko" ]; then
		echo "dkms-check: $kver: nothing installed under updates/dkms" >&2
		bad=1
		continue
	fi
	vm=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
	mv=$(modinfo -F version "$ko")
	signer=$(modinfo -F signer "$ko")
	echo "  $kver${croot:+ (chroot $croot)}: ${ko#"$t/lib/"} version=$mv vermagic=$vm signer='$signer'"
	if [ "$vm" != "$kver" ] || [ "$mv" != "$ver" ]; then
		echo "dkms-check: $kver: unexpected vermagic or version" >&2
		bad=1
	fi
	run "$kver" remove "vmapdemo/$ver" --all --no-depmod --no-initrd
	if [ -n "$(find "$t/lib" -name 'vmapdemo.ko*')" ] || [ -d "$t/dkms/vmapdemo" ]; then
		echo "dkms-check: $kver: dkms remove left files behind" >&2
		bad=1
	fi
done
[ "$bad" -eq 0 ] && echo "dkms-check: ok, vmapdemo/$ver built and installed for: $KVERS"
exit "$bad"
