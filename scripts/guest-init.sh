#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the vmapdemo test VM (a busybox initramfs). It mounts what the
# tests need, loads the module, runs the selftests (mode=check), the demo
# (mode=demo), the benchmark (mode=bench, once per THP setting) or a shell
# (mode=shell), unloads the module, dumps dmesg between markers for the host
# to scan, and powers off.
#
# Everything the host parses starts with "VMAPDEMO:".

/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mkdir -p /proc /sys /dev /tmp /run /usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /dev/shm /dev/pts
mount -t tmpfs tmpfs /dev/shm
# kselftest's runner.sh only enforces timeouts through this exact path.
ln -sf /bin/busybox /usr/bin/timeout
hostname vmapdemo-vm

mode=check
test_timeout=600
debug=0
unloaded=0
bench_args=
bench_thp=always,never
for arg in $(cat /proc/cmdline); do
	case $arg in
	vmapdemo.mode=*) mode=${arg#vmapdemo.mode=} ;;
	vmapdemo.timeout=*) test_timeout=${arg#vmapdemo.timeout=} ;;
	vmapdemo.debug=*) debug=${arg#vmapdemo.debug=} ;;
	# comma-separated, as the kernel command line splits on spaces
	vmapdemo.bench_args=*) bench_args=$(echo "${arg#*=}" | tr , ' ') ;;
	vmapdemo.bench_thp=*) bench_thp=$(echo "${arg#*=}" | tr , ' ') ;;
	esac
done

say() { echo "VMAPDEMO: $*"; }
finish() {
	taint1=$(cat /proc/sys/kernel/tainted)
	# O (4096, out-of-tree) and E (8192, unsigned) are expected.
	newtaint=$(( taint1 & ~taint0 & ~(4096 | 8192) ))
	say "taint before=$taint0 after=$taint1 new=$newtaint"
	if [ -r /sys/kernel/debug/kmemleak ]; then
		# kmemleak ignores objects younger than 5 s (MSECS_MIN_AGE), so
		# a leak from the last test or from the module's exit would
		# slip through an immediate scan. Only the debug kernel
		# (make check-debug) has kmemleak and pays for the wait.
		[ "$debug" = 1 ] && sleep 6
		echo scan >/sys/kernel/debug/kmemleak
		echo scan >/sys/kernel/debug/kmemleak
		leaks=$(grep -c 'unreferenced object' /sys/kernel/debug/kmemleak)
		say "kmemleak suspects=$leaks"
		cat /sys/kernel/debug/kmemleak
	fi
	if [ -r /sys/kernel/debug/page_owner ] && [ "$unloaded" = 1 ]; then
		# The module is gone, so a frame of its code in the allocation
		# stack of a page still allocated prints as a bare address
		# (%pS finds no symbol): a page the module allocated and never
		# freed. Slab pages are left out (a slab keeps its page after
		# the module's objects in it are freed; kmemleak covers those).
		# Read in 4 KiB blocks: page_owner returns ENOMEM to a read
		# whose buffer it cannot kmalloc, as awk's would be.
		dd if=/sys/kernel/debug/page_owner bs=4096 2>/dev/null |
		awk 'BEGIN { RS = ""; n = 0 }
		     /\n 0x[0-9a-f]+(\n|$)/ && !/(new_slab|allocate_slab)/ {
			n++; if (n <= 5) print "page_owner: " $0
		     }
		     END { print "VMAPDEMO: page_owner leaked=" n }'
	fi
	if [ -r /proc/lockdep_stats ]; then
		say "lockdep $(grep 'debug_locks:' /proc/lockdep_stats | tr -s ' ')"
	fi
	say "dmesg-begin"
	dmesg
	say "dmesg-end"
	say "end status=$1"
	sync
	poweroff -f
	sleep 10
}

taint0=$(cat /proc/sys/kernel/tainted)
say "boot kernel=$(uname -r) mode=$mode"

if [ -f /vmapdemo.ko ]; then
	if insmod /vmapdemo.ko; then
		say "insmod ok"
	else
		say "insmod failed"
		finish insmod-failed
	fi
fi

status=ok
case $mode in
check)
	for t in /tests/vmapdemo_*; do
		[ -x "$t" ] || continue
		name=${t##*/}
		say "test-start $name"
		timeout "$test_timeout" "$t"
		rc=$?
		say "test-end $name rc=$rc"
	done
	;;
demo)
	/demo/vmapdemo_demo || status=demo-failed
	;;
bench)
	thp=/sys/kernel/mm/transparent_hugepage/enabled
	# Keep kernel warnings off the console (and out of the table);
	# they are still in the dmesg dump at the end.
	dmesg -n 1
	say "bench cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
	say "bench cpu-flags $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
		grep -xE 'erms|fsrm|avx2|avx512f|la57' | tr '\n' ' ')"
	say "bench clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	say "bench thp-default $(cat $thp)"
	for t in $(echo "$bench_thp" | tr , ' '); do
		echo "$t" >$thp || status=bench-failed
		say "bench thp $(cat $thp)"
		say "bench-begin"
		# shellcheck disable=SC2086
		/bench/vmapdemo_bench -l "$t" $bench_args || status=bench-failed
		say "bench-end"
	done
	;;
shell)
	echo "vmapdemo test VM: the module is loaded, tests are in /tests."
	echo "Type 'poweroff -f' (or exit) to leave."
	setsid cttyhack sh
	;;
esac

if [ -f /vmapdemo.ko ]; then
	if rmmod vmapdemo; then
		say "rmmod ok"
		unloaded=1
		# A second load/unload cycle exercises init and exit again.
		if insmod /vmapdemo.ko && rmmod vmapdemo; then
			say "reload ok"
		else
			say "reload failed"
			status=reload-failed
		fi
	else
		say "rmmod failed"
		status=rmmod-failed
	fi
fi
finish $status
