#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install what vmapdemo's build and test VM need, from Debian's packages.
# Idempotent: only missing packages are installed, and nothing at all is done
# when everything is present.
#
# usage: scripts/deps.sh [base] [lint] [debug] [bench] [tools] [deb]   (default: base)
set -eu

base="make gcc libc6-dev kmod cpio xz-utils busybox-static qemu-system-x86
linux-image-amd64 linux-headers-amd64 linux-image-6.12-amd64
linux-headers-6.12-amd64 linux-source-6.12
linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64 mmdebstrap"
# coccinelle needs ocaml's native compiler for the semantic patches that
# embed OCaml scripts (null/badzero.cocci); --no-install-recommends drops it.
lint="sparse coccinelle ocaml python3-docutils man-db groff-base dkms"
debug="flex bison bc libelf-dev libssl-dev dwarves"
# Third-party tools run in the test VM (scripts/tools-initramfs.sh).
tools="stress-ng trinity binutils"
# make deb and its test (scripts/deb.sh, scripts/deb-check.sh).
deb="debhelper dh-dkms dpkg-dev dkms mmdebstrap"

groups=${*:-base}
want=
for g in $groups; do
	case $g in
	base) want="$want $base" ;;
	lint) want="$want $base $lint" ;;
	debug) want="$want $base $debug" ;;
	bench) want="$want $base" ;;
	tools) want="$want $base $tools" ;;
	deb) want="$want $base $deb" ;;
	*) echo "deps.sh: unknown group '$g'" >&2; exit 2 ;;
	esac
done

missing=
for p in $want; do
	case " $missing " in *" $p "*) continue ;; esac
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing="$missing $p"
done

if [ -z "$missing" ]; then
	echo "deps: all packages present ($groups)"
	exit 0
fi

echo "deps: missing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root; run:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps: apt-get update"
apt-get update -q >/dev/null
echo "deps: apt-get install$missing (this takes a few minutes the first time)"
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
echo "deps: done"
