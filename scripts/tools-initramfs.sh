#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs extra directory with the third-party tools the
# reliability tests run in the VM (selftests/vmapdemo_tools.sh):
#  - stress-ng and trinity, Debian's binaries, with every shared library
#    ldd names and the dynamic loader;
#  - gup_test from linux-source-6.12's tools/testing/selftests/mm, built
#    static against the tree's own uapi headers;
#  - an unprivileged user (trinity will not run as root).
#
# usage: scripts/tools-initramfs.sh [OUTDIR]     (default build/tools-root)
# Prints OUTDIR on its last line. Rebuilds only when a tool is newer than
# the stamp; the uapi headers are cached next to the extracted source tree.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/tools-root}
tools="/usr/bin/stress-ng /usr/bin/trinity"

"$top/scripts/deps.sh" tools >&2
ksrc=$("$top/scripts/ksrc.sh")
cache=$(dirname "$ksrc")
mm=$ksrc/tools/testing/selftests/mm
stamp=$out/.stamp

uptodate() {
	[ -f "$stamp" ] || return 1
	for f in $tools "$mm/gup_test.c" "$mm/vm_util.c" "$0" "$ksrc/Makefile"; do
		[ "$f" -nt "$stamp" ] && return 1
	done
	return 0
}
if uptodate; then
	echo "$out"
	exit 0
fi

echo "tools-initramfs: building $out" >&2
rm -rf "$out"
mkdir -p "$out/usr/bin" "$out/etc" "$out/home/fuzz"

# --- stress-ng, trinity and their libraries ------------------------------
copy_lib() {
	local f=$1
	[ -e "$out$f" ] && return 0
	mkdir -p "$out$(dirname "$f")"
	cp -L "$f" "$out$f"
}
for t in $tools; do
	cp "$t" "$out/usr/bin/"
	ldd "$t" | awk '/=> \//{ print $3 } /^\s*\/lib/{ print $1 }' |
	while read -r lib; do
		copy_lib "$lib"
	done
done
# The loader at its ELF interpreter path, and the usual multiarch link.
interp=$(readelf -l /usr/bin/trinity | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
copy_lib "$interp"

# --- gup_test, static ----------------------------------------------------
# The tree's own uapi headers (vm_util.c needs 6.12's PAGEMAP_SCAN), made
# once with `make headers` into the cache (headers_install needs rsync).
khdr=$cache/uapi-headers-$(cat "$cache/linux-source-6.12.version" 2>/dev/null || echo unknown)
if [ ! -f "$khdr/usr/include/linux/fs.h" ]; then
	echo "tools-initramfs: installing linux-source-6.12's uapi headers into $khdr" >&2
	make -s -C "$ksrc" O="$khdr" ARCH=x86_64 headers >&2
fi
gcc -static -O2 -Wall -Wno-return-type -U_FORTIFY_SOURCE \
	-isystem "$khdr/usr/include" -I"$ksrc" -I"$ksrc/tools/testing/selftests" -I"$mm" \
	"$mm/gup_test.c" "$mm/vm_util.c" -lpthread -o "$out/usr/bin/gup_test"

# --- an unprivileged user for trinity ----------------------------------
# vm.sh writes root's entries and appends these.
echo "fuzz:x:1000:1000:fuzz:/home/fuzz:/bin/sh" >"$out/etc/passwd"
echo "fuzz:x:1000:" >"$out/etc/group"
chown 1000:1000 "$out/home/fuzz"

touch "$stamp"
echo "$out"
