#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: build the module for the stock 6.12 kernel and the static
# benchmark program, boot 6.12 in the test VM with a fixed CPU model and two
# vCPUs, run scripts/bench/vmapdemo_bench.c there with THP as Debian sets it
# and with THP off, and print the tables with what made them.
#
# Environment:
#   BENCH_MODE=wall (default) | icount   icount: -icount shift=0, for
#	deterministic comparisons between commits (guest ns are instructions)
#   BENCH_CPU=max         the QEMU -cpu model (recorded with the results)
#   BENCH_ARGS="..."      arguments for vmapdemo_bench (e.g. "-r 7 -o priv")
#   BENCH_THP="always never"   THP settings to run, in order; "shmem" is
#	always with shmem_enabled=always and store_huge=1 too (the others
#	leave them never and 0)
#   BENCH_KERNEL=6.12     a stock kernel only: never the debug kernel
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mode=${BENCH_MODE:-wall}
cpu=${BENCH_CPU:-max}
smp=2
kernel=${BENCH_KERNEL:-6.12}
args=${BENCH_ARGS:-}
thp=${BENCH_THP:-always never}

case $mode in
wall) icount= ;;
icount) icount=0 ;;
*) echo "bench: BENCH_MODE must be wall or icount" >&2; exit 2 ;;
esac

echo "==> checking dependencies"
"$top/scripts/deps.sh" bench || exit 1
kver=$("$top/scripts/kernels.sh" "$kernel") || exit 1
# Debug kernels (KASAN, lockdep) measure the debugging, not the module.
if [ ! -r "/boot/config-$kver" ] ||
	grep -qE '^CONFIG_(KASAN|PROVE_LOCKING|DEBUG_VM)=y' "/boot/config-$kver"; then
	echo "bench: $kver is not a stock Debian kernel: refusing" >&2
	exit 2
fi
echo "==> building vmapdemo.ko for $kver"
ko=$("$top/scripts/build-module.sh" "$kver" | tail -n 1) || exit 1
echo "==> building the benchmark program"
stage=$top/build/bench/root
rm -rf "$stage"
mkdir -p "$stage/bench"
gcc -static -O2 -Wall -I"$top/uapi" -o "$stage/bench/vmapdemo_bench" \
	"$top/scripts/bench/vmapdemo_bench.c" || exit 1

log=$top/build/logs/bench-$kver-$mode.log
out=$top/build/bench/result-$kver-$mode.txt
qemu=$(qemu-system-x86_64 --version | head -n 1)
date=$(date -u '+%Y-%m-%d %H:%M UTC')
commit=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
qopts="-accel $("$top/scripts/accel.sh" "${ACCEL:-tcg}") -cpu $cpu -smp $smp -m 1024${icount:+ -icount shift=$icount}"
cmd="BENCH_MODE=$mode${BENCH_CPU:+ BENCH_CPU=$cpu}${BENCH_THP:+ BENCH_THP=\"$thp\"}${BENCH_ARGS:+ BENCH_ARGS=\"$args\"} make bench"

echo "==> running the benchmark in the VM ($qopts)"
"$top/scripts/vm.sh" --kernel "$kver" --mode bench --ko "$ko" \
	--extra "$stage" --cpu "$cpu" ${icount:+--icount "$icount"} \
	--append "vmapdemo.bench_args=$(echo "$args" | tr ' ' ,) vmapdemo.bench_thp=$(echo "$thp" | tr ' ' ,)" \
	--log "$log" --timeout "${VM_TIMEOUT:-1500}"
rc=$?

{
	echo "vmapdemo benchmark ($mode clock)"
	echo "  command: $cmd"
	echo "  commit:  $commit"
	echo "  date:    $date"
	echo "  kernel:  $kver ($(sed -n 's/^VMAPDEMO: boot kernel=\([^ ]*\).*/\1/p' "$log" | head -n 1))"
	echo "  qemu:    $qemu"
	echo "  machine: $qopts"
	sed -n 's/^VMAPDEMO: bench \(cpu.*\|clocksource.*\|thp-default.*\)/  \1/p' "$log" | tr -d '\r'
	[ -n "$icount" ] && echo "  (under -icount shift=0 one guest ns is one guest instruction)"
	awk '/^VMAPDEMO: bench-begin/ { on = 1; print ""; next }
	     /^VMAPDEMO: bench-end/ { on = 0; next }
	     on && !/^\[ *[0-9]+\.[0-9]+\]/ { sub(/\r$/, ""); print }' "$log"
} >"$out"
echo
cat "$out"
echo
echo "==> table: $out; guest console log: $log"
exit $rc
