#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A Debian chroot per newer kernel, for building and booting kernels that
# Debian 12 does not ship: the module is built there with that suite's own
# compiler against that suite's headers, and the VM boots its vmlinuz.
#
#   7.3  Debian 13 (trixie) + trixie-backports: linux-image-amd64 and
#        linux-headers-amd64 from backports, gcc 14; also linux-source-7.3
#        and what building a kernel takes, for the 7.3 debug kernel
#        (scripts/debug-kernel.sh 7.3)
#   7.2  Debian sid: linux-image-amd64 and linux-headers-amd64, gcc 16
#
# usage: scripts/chroot.sh NAME               create on first use, print its path
#        scripts/chroot.sh NAME run CMD...    run CMD inside it (as root, in a
#                                             private mount namespace with /dev,
#                                             /proc and the work tree bound in)
#
# Cache: ${VMAPDEMO_CACHE:-~/.cache/vmapdemo}/chroot-NAME-KEY, where KEY hashes
# the suite, the package list and SCRIPT_VERSION. It is made with mmdebstrap
# (scripts/deps.sh base) into a temporary directory that is renamed only when
# complete, under a flock, so an interrupted run leaves nothing to reuse and
# two runs do not build it twice. Old keys are never collected: rm -rf them.
#
# The mirror is the Debian archive of this machine's own apt sources. The
# archive may serve Release files past their Valid-Until date for sid and the
# backports, so apt runs with Acquire::Check-Valid-Until=false, in the chroot
# too.
set -euo pipefail

# Bump when a change here changes what a chroot holds.
SCRIPT_VERSION=1

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VMAPDEMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmapdemo}

say() { echo "$*" >&2; }
die() { say "chroot.sh: $*"; exit 1; }

[ $# -ge 1 ] || die "usage: chroot.sh NAME [run CMD...]"
name=$1
shift

# What every chroot holds: the build tools and the kernel's headers and
# image. sparse and dkms (openssl: to sign) are for `make lint` and
# `make dkms-check`.
pkgs="gcc make libc6-dev kmod sparse dkms openssl xz-utils"
kpkgs="linux-image-amd64 linux-headers-amd64"
# The 7.3 debug kernel is built in the 7.3 chroot from the source package of
# the same backports, with the same gcc: its build dependencies and source.
dpkgs=
case $name in
7.3)
	suite=trixie extra=trixie-backports
	dpkgs="bc bison flex libelf-dev libssl-dev perl linux-source-7.3"
	;;
7.2) suite=sid extra= ;;
*) die "unknown chroot '$name' (known: 7.3, 7.2)" ;;
esac

# The Debian archive this machine's apt uses: the URI of the first source
# that serves the host's own release (deb822 .sources or one-line .list).
host_mirror() {
	local codename f
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v c="$codename" '
			/^[ \t]*$/ { if (ok && uri != "") { print uri; exit } ok = 0; uri = ""; next }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == c) ok = 1 }
			END { if (ok && uri != "") print uri }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v c="$codename" '$1 == "deb" {
			i = 2; if ($i ~ /^\[/) while ($i !~ /\]$/) i++
			if ($i ~ /^\[/ || $i ~ /\]$/) i++
			if ($(i + 1) == c) print $i }' "$f"
	done
}

key=$({
	echo "script $SCRIPT_VERSION"
	echo "suite $suite $extra"
	echo "pkgs $pkgs $kpkgs"
	# Only when there are some, so that the other chroots keep their key.
	[ -z "$dpkgs" ] || echo "debug $dpkgs"
} | sha256sum | cut -c 1-16)
dir=$cache/chroot-$name-$key

create() {
	local mirror tmp t0 srcs
	mirror=$(host_mirror | head -n 1)
	[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources*"
	command -v mmdebstrap >/dev/null || die "mmdebstrap missing: run scripts/deps.sh base"
	tmp=$dir.tmp
	# --one-file-system: never into a mount a killed mmdebstrap left behind.
	rm -rf --one-file-system "$tmp"
	srcs=("deb $mirror $suite main")
	[ -n "$extra" ] && srcs+=("deb $mirror $extra main")
	say "==> creating the $name chroot ($suite${extra:+ + $extra} from $mirror); takes a few minutes"
	t0=$(date +%s)
	# The kernel packages come from the backports when there are some.
	mmdebstrap --variant=minbase --mode=root --quiet \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--aptopt='APT::Install-Recommends "false"' \
		--include="${pkgs// /,}" \
		--customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${extra:+-t $extra} $kpkgs $dpkgs" \
		"$suite" "$tmp" "${srcs[@]}" >"$cache/chroot-$name.log" 2>&1 ||
		die "mmdebstrap failed, see $cache/chroot-$name.log"
	mv "$tmp" "$dir"
	say "==> $name chroot created in $(($(date +%s) - t0))s: $dir"
}

mkdir -p "$cache"
if [ ! -d "$dir" ]; then
	exec 8>"$cache/chroot-$name-$key.lock"
	if ! flock -n 8; then
		say "==> another run creates the $name chroot; waiting"
		flock 8
	fi
	[ -d "$dir" ] || create
	exec 8>&-
fi

if [ $# -eq 0 ]; then
	echo "$dir"
	exit 0
fi
[ "$1" = run ] || die "unknown command '$1'"
shift
# The work tree and the cache are bound at their own paths, so that paths
# given to and printed by the command mean the same inside and outside.
exec unshare --mount --propagation private -- /bin/sh -c '
	set -e
	d=$1 top=$2 cache=$3
	shift 3
	mount --rbind /dev "$d/dev"
	mount -t proc proc "$d/proc"
	mount -t tmpfs tmpfs "$d/tmp"
	for p in "$top" "$cache"; do
		mkdir -p "$d$p"
		mount --bind "$p" "$d$p"
	done
	exec chroot "$d" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LANG=C.UTF-8 "$@"' sh "$dir" "$top" "$cache" "$@"
