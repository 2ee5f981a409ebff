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
# Every kernel log record, streamed from /dev/kmsg into tmpfs from here on:
# splats are searched for in these records, whole and from their start,
# whatever the console made of them (a record printed while a test wrote to
# the console starts mid-line there). The command line's log_buf_len= keeps
# the early ones until this reader starts.
cat /dev/kmsg >/tmp/kmsg 2>/dev/null &
kmsg_pid=$!
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

# The patterns of kernel log records that fail a run (scripts/splat.pattern,
# one extended regular expression per line).
SPLATS=/etc/vmapdemo-splat.pattern
# scan NAME: print the records logged since the last scan that match a
# pattern, as "VMAPDEMO: splat in NAME: <record>" (at most 10 per scan),
# and add their count to $nsplat. NAME is the test program that was
# running, or the phase (boot, end).
scanned=0
nsplat=0
scan() {
	local now n
	[ -s "$SPLATS" ] || { say "splat in $1: no pattern file $SPLATS"; nsplat=$((nsplat + 1)); return; }
	# Give the reader a moment to catch up with the last records.
	sleep 1
	now=$(wc -l </tmp/kmsg)
	[ "$now" -gt "$scanned" ] || return 0
	# The command line names the detectors' options (hung_task_panic=1,
	# softlockup_panic=1, oops=panic): not a report.
	head -n "$now" /tmp/kmsg | tail -n +$((scanned + 1)) | cut -d';' -f2- |
		grep -v -E '^(Kernel )?[Cc]ommand line:' |
		grep -E -f "$SPLATS" >/tmp/splats
	scanned=$now
	n=$(wc -l </tmp/splats)
	head -n 10 /tmp/splats | while IFS= read -r rec; do
		say "splat in $1: $rec"
	done
	nsplat=$((nsplat + n))
}

# Per-program time limits: /tests/timeouts ("PROGRAM SECONDS" lines), else
# /tests/settings' timeout=, else 300 s; four times that on the debug
# kernel (KASAN, lockdep and kmemleak under TCG), never more than the
# vmapdemo.timeout= cap.
prog_limit() {
	lim=$(awk -v p="$1" '$1 == p { print $2; exit }' /tests/timeouts 2>/dev/null)
	[ -n "$lim" ] || lim=$(sed -n 's/^timeout=//p' /tests/settings 2>/dev/null)
	[ -n "$lim" ] || lim=300
	[ "$debug" = 1 ] && lim=$((lim * 4))
	[ "$lim" -gt "$test_timeout" ] && lim=$test_timeout
	echo "$lim"
}

# run_prog PATH NAME LIMIT: run one test program in its own session (so the
# processes it forks can be found and killed) under its own time limit.
# On expiry it gets SIGTERM, then SIGKILL 10 s later; either way every
# process left in its session is killed and reaped before the next program
# starts, so the module is no longer in use by it. Sets $rc, $timedout.
run_prog() {
	rm -f /tmp/timedout
	setsid "$1" &
	pid=$!
	setsid sh -c "sleep $3; touch /tmp/timedout; kill -TERM -$pid; sleep 10; kill -KILL -$pid" \
		>/dev/null 2>&1 &
	wdog=$!
	wait $pid
	rc=$?
	# The watchdog by its pid as well as its session: a program that
	# exits at once (a whole-program skip) can end before the watchdog's
	# child has called setsid(), when there is no process group $wdog
	# yet; the group kill alone then missed it, and it ran out its sleep
	# and reported a timeout. setsid(1) here does not fork (a background
	# child is no group leader), so $wdog is the sh that would touch
	# /tmp/timedout, before and after its exec.
	kill -KILL -$wdog 2>/dev/null
	kill -KILL $wdog 2>/dev/null
	wait $wdog 2>/dev/null
	timedout=0
	[ -e /tmp/timedout ] && timedout=1
	# Whatever the program left behind in its session (a harness child
	# still in a test, a forked helper) goes too, and must be gone.
	kill -KILL -$pid 2>/dev/null
	n=0
	while kill -0 -$pid 2>/dev/null && [ $n -lt 30 ]; do
		sleep 1
		n=$((n + 1))
	done
	if kill -0 -$pid 2>/dev/null; then
		say "test-leftover $2: processes of its session did not exit after SIGKILL"
	fi
}
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
		# the module's objects in it are freed; kmemleak covers those),
		# and so are the stack depot's pools: kmemleak and page_owner
		# store allocation stacks there, a pool page is taken by
		# whatever allocation needs one next (a shmem xarray node under
		# the module's ->fault, say) and is never freed, by design.
		# Read in 4 KiB blocks: page_owner returns ENOMEM to a read
		# whose buffer it cannot kmalloc, as awk's would be.
		dd if=/sys/kernel/debug/page_owner bs=4096 2>/dev/null |
		awk 'BEGIN { RS = ""; n = 0 }
		     /\n 0x[0-9a-f]+(\n|$)/ && !/(new_slab|allocate_slab|stack_depot_save)/ {
			n++; if (n <= 5) print "page_owner: " $0
		     }
		     END { print "VMAPDEMO: page_owner leaked=" n }'
	fi
	if [ -r /proc/lockdep_stats ]; then
		say "lockdep $(grep 'debug_locks:' /proc/lockdep_stats | tr -s ' ')"
	fi
	# The whole run's records (the per-program scans have named their
	# splats already; this also covers module load, unload and the end).
	scan end
	if kill -0 $kmsg_pid 2>/dev/null; then
		kill $kmsg_pid
	else
		# cat stops on EPIPE: the buffer wrapped under it.
		say "splat in end: the /dev/kmsg reader exited early: records lost"
		nsplat=$((nsplat + 1))
	fi
	say "splats=$nsplat"
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
	scan boot
	for t in /tests/vmapdemo_*; do
		[ -x "$t" ] || continue
		name=${t##*/}
		lim=$(prog_limit "$name")
		t0=$(cut -d' ' -f1 /proc/uptime)
		say "test-start $name limit=${lim}s"
		run_prog "$t" "$name" "$lim"
		t1=$(cut -d' ' -f1 /proc/uptime)
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", b - a + 0.5 }')
		[ "$timedout" = 1 ] && say "test-timeout $name limit=${lim}s"
		scan "$name"
		say "test-end $name rc=$rc secs=$secs"
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
	# "shmem" is THP always for shmem too (memfd, /dev/zero shared and
	# vmapdemo's shared objects follow shmem_enabled) and for stores (the
	# store_huge parameter); the other settings leave shmem_enabled as
	# the kernel booted (Debian: never) and store_huge at 0.
	shmem=/sys/kernel/mm/transparent_hugepage/shmem_enabled
	sthuge=/sys/module/vmapdemo/parameters/store_huge
	cur() { sed 's/.*\[\(.*\)\].*/\1/' "$1"; }	# the [selected] value
	shmem_def=$(cur $shmem)
	for t in $(echo "$bench_thp" | tr , ' '); do
		case $t in
		shmem) echo always >$thp && echo always >$shmem &&
			echo 1 >$sthuge ;;
		*) echo "$t" >$thp && echo "$shmem_def" >$shmem &&
			echo 0 >$sthuge ;;
		esac || status=bench-failed
		say "bench thp $(cat $thp) shmem $(cat $shmem) store_huge $(cat $sthuge)"
		say "bench-begin"
		# shellcheck disable=SC2086
		/bench/vmapdemo_bench -l "$(cur $thp), shmem $(cur $shmem), store_huge $(cat $sthuge)" \
			$bench_args || status=bench-failed
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
