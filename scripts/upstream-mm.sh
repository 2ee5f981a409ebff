#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the kernel's own mm selftests cow, gup_longterm and map_populate
# from linux-source-6.12 with selftests/upstream/mm-vmapdemo.patch applied
# to a copy of their directory: the patch adds /dev/vmapdemo (private and
# shared) and store-node backings beside their memfd and tmpfile ones.
# Nothing of the kernel tree is kept in the repo; the copy lives in build/.
#
# usage: scripts/upstream-mm.sh     prints the directory holding the binaries
# The binaries are dynamic (they run in the workbench VM, scripts/vm-run.sh,
# with the host's libc).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
ksrc=$("$top/scripts/ksrc.sh")
cache=${VMAPDEMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmapdemo}
patch=$top/selftests/upstream/mm-vmapdemo.patch
out=$top/build/upstream-mm
progs="cow gup_longterm map_populate"

# 6.12's vm_util.c needs 6.12's uapi (PAGEMAP_SCAN): the tree's headers,
# made once into the cache (as scripts/tools-initramfs.sh does).
khdr=$cache/uapi-headers-$(cat "$cache/linux-source-6.12.version" 2>/dev/null || echo unknown)
if [ ! -f "$khdr/usr/include/linux/fs.h" ]; then
	echo "upstream-mm: installing linux-source-6.12's uapi headers into $khdr" >&2
	make -s -C "$ksrc" O="$khdr" ARCH=x86_64 headers >&2
fi

key=$( (cat "$patch" "$ksrc/Makefile" "$0"; echo "$khdr") | sha256sum | cut -c1-16)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$key" ]; then
	echo "$out/bin"
	exit 0
fi
rm -rf "${out:?}/src" "${out:?}/bin"
mkdir -p "$out/src/tools/testing/selftests" "$out/src/mm" "$out/bin"
cp -r "$ksrc/tools/testing/selftests/mm" "$out/src/tools/testing/selftests/"
cp "$ksrc/tools/testing/selftests/kselftest.h" "$out/src/tools/testing/selftests/"
cp "$ksrc/mm/gup_test.h" "$out/src/mm/"
(cd "$out/src" && patch -s -p1 --no-backup-if-mismatch <"$patch") || {
	echo "upstream-mm: $patch does not apply to $ksrc" >&2
	exit 1
}
mm=$out/src/tools/testing/selftests/mm
# check_config.sh would look for liburing; without it the io_uring cases
# are compiled out, as on any host without liburing-dev.
: >"$mm/local_config.h"
# Relative source names: gup_longterm makes its "local tmpfile" from
# __FILE__, which must name the working directory, not the build tree.
for p in $progs; do
	(cd "$mm" && gcc -O2 -Wall -Werror -Wno-return-type \
		-isystem "$khdr/usr/include" -o "$out/bin/$p" \
		"$p.c" vm_util.c thp_settings.c -lpthread) >&2
done
echo "$key" >"$out/stamp"
echo "$out/bin"
