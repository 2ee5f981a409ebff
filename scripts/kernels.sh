#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Resolve kernel names to Debian kernel releases.
#   6.1     -> the release linux-image-amd64 depends on (e.g. 6.1.0-56-amd64)
#   6.12    -> the release linux-image-6.12-amd64 depends on
#   6.12-rt -> the release linux-image-6.12-rt-amd64 depends on (PREEMPT_RT)
#   7.2     -> sid's linux-image-amd64, in the chroot scripts/chroot.sh 7.2
#              makes (on first use, so this can take minutes once)
#   7.3     -> trixie-backports' linux-image-amd64, in the 7.3 chroot
#   anything else is taken as a release name as it is.
#
# usage: scripts/kernels.sh NAME...         one release per line
#        scripts/kernels.sh --chroot REL    the chroot name a release (or a
#                                           name) lives in, or nothing for a
#                                           kernel installed on this machine
#
# A chroot kernel's build tree is /lib/modules/REL/build inside the chroot
# (scripts/build-module.sh builds there) and its image is the chroot's
# /boot/vmlinuz-REL (scripts/vm.sh boots it).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

resolve_meta() {
	dpkg-query -W -f='${Depends}' "$1" 2>/dev/null |
		tr ',' '\n' | sed -n 's/^ *linux-image-\([^ ]*\).*/\1/p' | head -n 1
}

# The chroot a kernel name or release belongs to. Only Debian's amd64
# flavour of 7.2 and 7.3 lives in one: a self-built 7.3 (the debug kernel)
# has its own release and stays out of this.
chroot_of() {
	case $1 in
	# The stock kernels (7.3.4+deb13-amd64) and the debug one
	# (7.3.4-vmapdemo-debug, built in the 7.3 chroot).
	7.2 | 7.2.*) echo 7.2 ;;
	7.3 | 7.3.*) echo 7.3 ;;
	esac
}

if [ "${1:-}" = --chroot ]; then
	chroot_of "$2"
	exit 0
fi

for k in "$@"; do
	case $k in
	6.1) r=$(resolve_meta linux-image-amd64) ;;
	6.12) r=$(resolve_meta linux-image-6.12-amd64) ;;
	6.12-rt) r=$(resolve_meta linux-image-6.12-rt-amd64) ;;
	7.2 | 7.3)
		d=$("$top/scripts/chroot.sh" "$k") || exit 1
		r=$(cd "$d/lib/modules" && ls -d "$k".* 2>/dev/null | head -n 1)
		;;
	*) r=$k ;;
	esac
	if [ -z "$r" ]; then
		echo "kernels.sh: cannot resolve kernel '$k' (is its package installed?)" >&2
		exit 1
	fi
	echo "$r"
done
