#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Test `make deb`: install vmapdemo-dkms (and vmapdemo-dev) into a
# throwaway Debian 12 chroot holding the headers of each kernel of the
# matrix, and check that DKMS built and installed the module for each
# (dkms status, the .ko under /lib/modules/KVER/updates/dkms, its vermagic)
# and that the header compiles. Nothing is loaded; the host's /usr/src,
# /var/lib/dkms and /lib/modules are not touched.
#
# usage: scripts/deb-check.sh [--chroot-only]
#
# The chroot (bookworm + dkms + the header packages) is made once with
# mmdebstrap into $VMAPDEMO_CACHE/deb-chroot-KEY (KEY: a hash of the
# package list, the apt sources and CHROOT_REV), under a flock, renamed
# only when complete; each test runs in a copy of it.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VMAPDEMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmapdemo}
mirror=${DEB_MIRROR:-http://deb.debian.org/debian}
secmirror=${DEB_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Each kernel of the matrix, by the meta package naming its headers.
hdrs="linux-headers-amd64 linux-headers-6.12-amd64"
# libc6-dev (linux-libc-dev): what vmapdemo-dev depends on and its test compiles with.
pkgs="dkms libc6-dev $hdrs"
srcs=("deb $mirror bookworm main" "deb $mirror bookworm-updates main"
	"deb $secmirror bookworm-security main")

say() { echo "deb-check: $*"; }
die() { echo "deb-check: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (chroot, dpkg)"

# Bump when the way the chroot is made changes.
CHROOT_REV=1
key=$( (echo "$pkgs rev $CHROOT_REV"; printf '%s\n' "${srcs[@]}") | sha256sum | cut -c1-16)
base=$cache/deb-chroot-$key
mkdir -p "$cache"
if [ ! -d "$base" ]; then
	exec 8>"$base.lock"
	flock 8
	if [ ! -d "$base" ]; then
		command -v mmdebstrap >/dev/null || die "mmdebstrap missing: run scripts/deps.sh deb"
		rm -rf --one-file-system "$base.tmp"
		say "creating the Debian 12 chroot with $pkgs (a few minutes; cached in $base)"
		t0=$(date +%s)
		mmdebstrap --variant=minbase --mode=root --quiet \
			--aptopt='APT::Install-Recommends "false"' \
			--include="${pkgs// /,}" \
			bookworm "$base.tmp" "${srcs[@]}" >"$base.log" 2>&1 ||
			die "mmdebstrap failed, see $base.log"
		mv "$base.tmp" "$base"
		say "chroot made in $(($(date +%s) - t0))s"
	fi
	exec 8>&-
fi
[ "${1:-}" = --chroot-only ] && exit 0

debs=$(cd "$top" && scripts/deb.sh | tail -n 2)
[ -n "$debs" ] || die "make deb produced nothing"

work=$(mktemp -d /tmp/vmapdemo-deb.XXXXXX)
root=$work/root
cleanup() {
	for m in proc sys dev; do umount -l "$root/$m" 2>/dev/null || true; done
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
cp -a "$base" "$root"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mkdir -p "$root/tmp/debs"
# shellcheck disable=SC2086
cp $debs "$root/tmp/debs/"

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "      ok $*"; }
notok() { fail=$((fail + 1)); echo "      not ok $*"; }

kvers=$(ls "$root/lib/modules")
say "installing $(cd "$root/tmp/debs" && echo *) for $(echo $kvers)"
# DKMS signs with a throwaway key it makes in the chroot; the postinst
# builds for every kernel with headers (the host's kernel is not there).
if chroot "$root" sh -c 'dpkg -i /tmp/debs/*.deb' >"$work/install.log" 2>&1; then
	ok "deb: dpkg -i vmapdemo-dkms vmapdemo-dev"
else
	sed 's/^/      # /' "$work/install.log" | tail -n 30
	notok "deb: dpkg -i failed"
fi
ver=$(chroot "$root" dpkg-query -W -f='${Version}' vmapdemo-dkms 2>/dev/null || true)
for k in $kvers; do
	st=$(chroot "$root" dkms status -m vmapdemo -k "$k" 2>/dev/null || true)
	ko=$(find "$root/lib/modules/$k/updates/dkms" -name 'vmapdemo.ko*' 2>/dev/null | head -n 1)
	vm=
	[ -n "$ko" ] && vm=$(chroot "$root" modinfo -F vermagic "${ko#"$root"}" 2>/dev/null | cut -d' ' -f1)
	if echo "$st" | grep -q ': installed' && [ "$vm" = "$k" ]; then
		ok "deb: DKMS built and installed vmapdemo $ver for $k"
	else
		notok "deb: no vmapdemo for $k (dkms status: '$st', module: '${ko:-none}', vermagic '$vm')"
	fi
done
printf '#include <linux/vmapdemo.h>\nint main(void){return VMAPDEMO_STORE_IOC_SYNC == 0;}\n' >"$root/tmp/h.c"
if chroot "$root" gcc -Wall -Werror -o /tmp/h /tmp/h.c 2>"$work/h.log"; then
	ok "deb: vmapdemo-dev's <linux/vmapdemo.h> compiles"
else
	sed 's/^/      # /' "$work/h.log"
	notok "deb: <linux/vmapdemo.h> does not compile from vmapdemo-dev"
fi
if chroot "$root" sh -c 'dpkg -r vmapdemo-dkms' >"$work/remove.log" 2>&1 &&
   [ -z "$(find "$root"/lib/modules/*/updates/dkms -name 'vmapdemo.ko*' 2>/dev/null)" ]; then
	ok "deb: dpkg -r removes the built modules"
else
	sed 's/^/      # /' "$work/remove.log" | tail -n 10
	notok "deb: dpkg -r left modules behind"
fi
echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" -eq 0 ]
