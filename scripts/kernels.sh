#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Resolve kernel names to installed Debian kernel releases.
#   6.1  -> the release linux-image-amd64 depends on (e.g. 6.1.0-56-amd64)
#   6.12 -> the release linux-image-6.12-amd64 depends on
#   debug -> the debug kernel built by scripts/debug-kernel.sh
#   anything else is taken as a release name as it is.
set -eu

resolve_meta() {
	dpkg-query -W -f='${Depends}' "$1" 2>/dev/null |
		tr ',' '\n' | sed -n 's/^ *linux-image-\([^ ]*\).*/\1/p' | head -n 1
}

for k in "$@"; do
	case $k in
	6.1) r=$(resolve_meta linux-image-amd64) ;;
	6.12) r=$(resolve_meta linux-image-6.12-amd64) ;;
	*) r=$k ;;
	esac
	if [ -z "$r" ]; then
		echo "kernels.sh: cannot resolve kernel '$k' (is its package installed?)" >&2
		exit 1
	fi
	echo "$r"
done
