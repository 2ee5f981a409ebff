#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) a vmapdemo debug kernel: a kernel source package
# configured as `make tinyconfig` + scripts/debug.config, with KASAN,
# lockdep, kmemleak, DEBUG_VM, page table check, fault injection and friends.
#
# usage: scripts/debug-kernel.sh [6.12|7.3]     (default 6.12)
#
#   6.12  Debian 12's linux-source-6.12 (scripts/ksrc.sh), built on this
#         machine with its gcc 12
#   7.3   linux-source-7.3 of trixie-backports, the source of the 7.3 stock
#         kernel of `make check`, built inside the 7.3 chroot
#         (scripts/chroot.sh 7.3, which holds the package and the build
#         dependencies) with that suite's gcc 14, as that kernel was
#
# On success the last three lines of stdout are
#   KDIR=<build dir>      an O= tree external modules can build against; with
#                         certs/signing_key.pem and .x509, the module
#                         signing pair the build made and the kernel trusts
#   BZIMAGE=<bzImage>
#   RELEASE=<kernelrelease>
# Progress goes to stderr; the full build output to <cache>/build.log.
#
# Cache: ${VMAPDEMO_CACHE:-~/.cache/vmapdemo}/debug-kernel/<key>/ where key
# hashes the kernel, its linux-source package version, the compiler,
# debug.config and SCRIPT_VERSION below. A finished build is reused as it is; an interrupted
# one is resumed (make is incremental in the O= tree). Old keys are never
# garbage collected: rm -rf the directory to reclaim the space (~1.5 GB).
set -euo pipefail

# Bump when a change to this script changes the kernel it produces, so that
# every user rebuilds instead of reusing a kernel built the old way.
SCRIPT_VERSION=1

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${VMAPDEMO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmapdemo}
frag=$top/scripts/debug.config
jobs=${VMAPDEMO_JOBS:-2}

say() { echo "$*" >&2; }
die() { say "debug-kernel.sh: $*"; exit 1; }

kernel=${1:-6.12}
case $kernel in
6.12)
	# Everything runs here, with the host's compiler.
	run=
	ksrc=$("$top/scripts/ksrc.sh") || die "no kernel source tree"
	srcver=$(cat "$cache/linux-source-6.12.version" 2>/dev/null || echo unknown)
	;;
7.3)
	# Every make runs in the chroot (scripts/chroot.sh binds this tree and
	# the cache at their own paths, so the paths are the same there).
	root=$("$top/scripts/chroot.sh" 7.3) || die "no 7.3 chroot"
	run="$top/scripts/chroot.sh 7.3 run"
	tarball=$root/usr/src/linux-source-7.3.tar.xz
	[ -f "$tarball" ] || die "no $tarball in the 7.3 chroot"
	srcver=$($run dpkg-query -W -f='${Version}' linux-source-7.3)
	ksrc=$cache/linux-source-7.3
	# Under a lock: two runs (CI's background build and check-debug)
	# must not extract into one directory at the same time.
	exec 7>"$ksrc.lock"
	flock 7
	if [ ! -f "$ksrc/Makefile" ] ||
		[ "$(cat "$ksrc.version" 2>/dev/null)" != "$srcver" ]; then
		say "==> extracting linux-source-7.3 ($srcver) into $cache"
		rm -rf "$ksrc" "$ksrc.version"
		tar -C "$cache" -xJf "$tarball"
		echo "$srcver" >"$ksrc.version"
	fi
	exec 7>&-
	;;
*) die "unknown debug kernel '$kernel' (known: 6.12, 7.3)" ;;
esac
# The fragment for this kernel: debug.config with the options that a later
# kernel renamed given their new names, so that one file serves both.
#   7.x  PROC_SYSCTL is gone: /proc/sys comes with SYSCTL itself (its
#        prompt moved to fs/proc/Kconfig, default y)
renames=
[ "$kernel" = 7.3 ] && renames="PROC_SYSCTL:SYSCTL"
kfrag=$(mktemp)
trap 'rm -f "$kfrag"' EXIT
cp "$frag" "$kfrag"
for r in $renames; do
	sed -i "s/\bCONFIG_${r%%:*}\b/CONFIG_${r#*:}/" "$kfrag"
done
ccver=$($run ${CC:-gcc} --version | head -n 1)
key=$({
	echo "script $SCRIPT_VERSION"
	# 6.12's key predates the second kernel: it stays as it was.
	[ "$kernel" = 6.12 ] || echo "kernel $kernel"
	echo "source $srcver $(sed -n "s/^SUBLEVEL = //p" "$ksrc/Makefile")"
	echo "cc $ccver"
	# Only the settings: editing a comment must not cost a rebuild.
	grep -E '^(CONFIG_|# CONFIG_[A-Za-z0-9_]+ is not set$)' "$kfrag"
} | sha256sum | cut -c 1-16)

dir=$cache/debug-kernel/$key
out=$dir/build
log=$dir/build.log
done_stamp=$dir/done
bzimage=$out/arch/x86/boot/bzImage
mkdir -p "$out"
# In the cache, where the chroot sees it too.
frag=$dir/debug.config
cp "$kfrag" "$frag"

# Two checkouts (or two engineers) asking for the same kernel must not run
# two make processes in one O= tree; the second waits and then reuses.
exec 9>"$dir/lock"
if ! flock -n 9; then
	say "==> another debug kernel build holds $dir/lock; waiting"
	flock 9
fi

# Every "CONFIG_X=v" line of the fragment must appear as it is in .config,
# and every "# CONFIG_X is not set" must not be enabled. tinyconfig starts
# from nothing, so an option whose dependency is missing is silently dropped
# by olddefconfig: this is where that becomes a loud failure.
verify_config() {
	local cfg=$out/.config bad=0 line opt
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$cfg" && continue
			opt=${line%%=*}
			say "  MISSING: $line (got: $(grep -E "^(# )?${opt}[= ]" "$cfg" || echo "$opt undefined"))"
			bad=1
			;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }
			opt=${opt%% *}
			grep -qE "^$opt=[ym]" "$cfg" || continue
			say "  UNWANTED: $(grep -E "^$opt=" "$cfg") (debug.config wants it off)"
			bad=1
			;;
		esac
	done <"$frag"
	return "$bad"
}

print_paths() {
	echo "KDIR=$out"
	echo "BZIMAGE=$bzimage"
	echo "RELEASE=$($run make -s -C "$out" kernelrelease)"
}

if [ -f "$done_stamp" ] && [ -f "$bzimage" ] && [ -f "$out/Module.symvers" ]; then
	say "==> $kernel debug kernel $key is cached ($dir)"
	verify_config || die "cached .config no longer matches debug.config?"
	print_paths
	exit 0
fi

say "==> building the $kernel debug kernel (10 to 20 minutes with -j2; log: $log)"
start=$(date +%s)
: >"$log"
kmake() { $run make -C "$ksrc" O="$out" "$@" >>"$log" 2>&1; }
fail() {
	say "debug-kernel.sh: $1 failed; last lines of $log:"
	tail -n 25 "$log" >&2
	exit 1
}

say "  configuring: tinyconfig + $frag"
kmake tinyconfig || fail "make tinyconfig"
# -m: only merge into .config, then olddefconfig resolves what the fragment
# implies (its own default: y options, selects) without prompting.
$run sh -c 'cd "$1" && "$2/scripts/kconfig/merge_config.sh" -m -O "$1" \
	"$1/.config" "$3"' sh "$out" "$ksrc" "$frag" >>"$log" 2>&1 ||
	fail "merge_config.sh"
kmake olddefconfig || fail "make olddefconfig"
# Check before spending twenty minutes compiling the wrong kernel.
if ! verify_config; then
	die "options of debug.config did not stick (see above; their Kconfig
dependencies are missing): add the dependencies to scripts/debug.config"
fi

say "  compiling bzImage and modules (make -j$jobs)"
# "modules" as well as modules_prepare: it writes Module.symvers, without
# which modpost cannot check the external module's symbol references.
kmake -j"$jobs" bzImage modules modules_prepare || fail "kernel build"
[ -f "$bzimage" ] || die "no $bzimage after the build"
[ -f "$out/Module.symvers" ] || die "no Module.symvers after the build"
# CONFIG_MODULE_SIG: the build generated the key pair the kernel trusts
# (check-debug.sh's signed-module test signs with it) and built sign-file.
if grep -qx 'CONFIG_MODULE_SIG=y' "$out/.config"; then
	for f in certs/signing_key.pem certs/signing_key.x509 scripts/sign-file; do
		[ -f "$out/$f" ] || die "no $f after the build (CONFIG_MODULE_SIG=y)"
	done
fi
verify_config || die "options dropped during the build (see above)"
touch "$done_stamp"
say "==> $kernel debug kernel built in $(( $(date +%s) - start ))s"
print_paths
