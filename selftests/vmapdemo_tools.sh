#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmapdemo_tools: tools nobody here wrote, pointed at /dev/vmapdemo (and at
# the store nodes /dev/vmapdemo-store* when they exist):
#  - stress-ng --dev over each node (open/fstat/lseek/poll/fcntl/mmap/munmap/
#    fsync/ioctl from 5 threads per worker);
#  - stress-ng --zero, in a mount namespace where /dev/zero is a bind mount
#    of /dev/vmapdemo (read/write/lseek/mmap/ioctl of "/dev/zero");
#  - trinity with the nodes as victim files, restricted to the
#    mmap/ioctl/read/write family, as an unprivileged user;
#  - gup_test from the kernel's mm selftests on a private and a shared
#    mapping of /dev/vmapdemo (GUP, PIN, longterm PIN, basic tests); it needs
#    CONFIG_GUP_TEST, which Debian's kernels lack: SKIP there.
# Every run is bounded in time and operations; a run passes if the tool
# exits 0 (or with its "nothing to do" status) and the device still works.
# The host judges the kernel log (splats, taint) after the whole suite.
#
# Needs the tools in the VM (scripts/tools-initramfs.sh); skips without.
# Environment: VD_TOOLS_SECS (per-run time bound, default 10),
# VD_TOOLS_SEED (trinity's seed, default fixed).

DEV=/dev/vmapdemo
SECS=${VD_TOOLS_SECS:-10}
SEED=${VD_TOOLS_SEED:-20261125}
KILL_AFTER=$((SECS + 30))
GUP=/sys/kernel/debug/gup_test
ntests=0
nruns=0
nfail=0

echo "TAP version 13"

if [ ! -c "$DEV" ]; then
	echo "1..0 # SKIP $DEV missing: load vmapdemo.ko"
	exit 4
fi
if ! command -v stress-ng >/dev/null || ! command -v trinity >/dev/null; then
	echo "1..0 # SKIP stress-ng/trinity not installed (scripts/tools-initramfs.sh)"
	exit 4
fi

nodes=$DEV
for n in /dev/vmapdemo-store*; do
	[ -c "$n" ] && nodes="$nodes $n"
done
nnodes=$(echo $nodes | wc -w)
echo "1..$((2 * nnodes + 4))"
echo "# nodes: $nodes; seed $SEED; ${SECS}s per run"

result() {	# result rc name [skip-reason]
	ntests=$((ntests + 1))
	if [ -n "${3:-}" ]; then
		echo "ok $ntests $2 # SKIP $3"
	elif [ "$1" -eq 0 ]; then
		echo "ok $ntests $2"
	else
		nfail=$((nfail + 1))
		echo "not ok $ntests $2 # exit status $1"
	fi
}

# Run a tool under a hard time bound, its output indented as diagnostics.
run() {
	nruns=$((nruns + 1))
	echo "# run: $*"
	timeout -s KILL "$KILL_AFTER" "$@" >/tmp/tool.out 2>&1
	rc=$?
	sed 's/^/#   /' /tmp/tool.out | tail -n 25
	return $rc
}

# The device must still do what it did before the tool ran.
device_ok() {
	[ "$(dd if=$DEV bs=4096 count=1 2>/dev/null | tr -d '\000' | wc -c)" -eq 0 ]
}

# --- stress-ng --dev on each node ----------------------------------------
for n in $nodes; do
	run stress-ng --dev 1 --dev-file "$n" --dev-ops 2000 --timeout "${SECS}s" \
		--temp-path /tmp --metrics-brief
	rc=$?
	device_ok || rc=99
	result $rc "stress-ng --dev --dev-file $n"
done

# --- stress-ng --zero with /dev/zero bound to /dev/vmapdemo ----------------
run unshare -m sh -c "mount --bind $DEV /dev/zero &&
	stat -c '# /dev/zero is now %t:%T' /dev/zero &&
	exec stress-ng --zero 2 --zero-ops 20000 --timeout ${SECS}s \
		--temp-path /tmp --metrics-brief"
rc=$?
device_ok || rc=99
result $rc "stress-ng --zero on /dev/vmapdemo bound over /dev/zero"

# --- trinity --------------------------------------------------------------
# Unprivileged (trinity refuses root), only file descriptors of the victim
# node, only the syscalls that reach the device. trinity takes one victim
# path per run ("Sorry, only one victim path right now"), so each node gets
# its own run.
# No read/readv/pread64: trinity also hands out inotify and similar fds, and
# a read blocking on one of those stalls its children for seconds under TCG.
calls="-c mmap -c munmap -c mremap -c mprotect -c madvise -c msync -c ioctl \
	-c write -c pwrite64 -c writev -c lseek -c fcntl -c mlock -c munlock \
	-c mincore -c remap_file_pages -c fsync"
# Not kill -0: a zombie the shell has not reaped yet still answers it.
alive() { grep -q '^State:[[:space:]]*[^Z]' /proc/$1/status 2>/dev/null; }

run_trinity() {
	local node=$1 mode tpid waited stopped rc

	# The store nodes are 0600: let the fuzz user in for this run only.
	mode=$(stat -c %a "$node")
	chmod 0666 "$node"
	# Bounded by count (-N) and, on slow kernels (KASAN under TCG), by
	# time: after 3 x SECS it gets SIGINT, trinity's own way to stop, and
	# must then exit within 20 s.
	nruns=$((nruns + 1))
	echo "# run: trinity -N 10000 -C 2 -s $SEED -V $node $calls"
	su fuzz -s /bin/sh -c "cd /home/fuzz && exec trinity -q -l off -N 10000 -C 2 \
		-s $SEED -a64 -V $node $calls --stats \
		--disable-fds=sockets,pipes,perf,epoll,eventfd,pseudo,timerfd,testfile,memfd,drm" \
		>/tmp/tool.out 2>&1 &
	tpid=$!
	waited=0 stopped=
	while alive $tpid; do
		if [ $waited -eq $((SECS * 3)) ]; then
			echo "# time bound: SIGINT to trinity after ${waited}s"
			kill -INT $tpid
			stopped=1
		elif [ $waited -eq $((SECS * 3 + 20)) ]; then
			echo "# trinity did not stop on SIGINT: SIGKILL"
			kill -KILL $tpid
			stopped=killed
		fi
		sleep 1
		waited=$((waited + 1))
	done
	wait $tpid
	rc=$?
	chmod "$mode" "$node"
	[ "$stopped" = 1 ] && rc=0
	[ "$stopped" = killed ] && rc=137
	grep -E 'Ran [0-9]+ syscalls|Bailing|exit|Sorry' /tmp/tool.out | sed 's/^/#   /' | head -5
	sed -n '/^64bit:/,$p' /tmp/tool.out | sed 's/^/#   /' | head -40
	device_ok || rc=99
	result $rc "trinity -V $node -N 10000 (seed $SEED)"
}

for n in $nodes; do
	run_trinity "$n"
done

# --- gup_test -------------------------------------------------------------
gup() {	# name modes args...
	name=$1 modes=$2
	shift 2
	if [ ! -e $GUP ]; then
		result 0 "$name" "no $GUP: kernel without CONFIG_GUP_TEST"
		return
	fi
	rc=0
	for mode in $modes; do
		run gup_test -f $DEV "$@" $mode -m 8 -r 2 -n 32 -j 2 || rc=$?
	done
	device_ok || rc=99
	result $rc "$name"
}
# -u GUP fast, -a PIN fast, -L PIN longterm, -U GUP basic, -b PIN basic.
gup "gup_test -f $DEV private" "-u -a -L -U -b"
gup "gup_test -f $DEV -S shared" "-u -a -L -U -b" -S
# -z: GUP faults the pages in (our fault handler under GUP). Only with -u:
# gup_test hands FOLL_TOUCH to the PIN and basic calls, which WARN on
# internal flags (is_valid_gup_args()).
gup "gup_test -f $DEV -S shared, faulted by GUP (-z)" "-u" -S -z

echo "# tool runs: $nruns"
if [ "$nfail" -ne 0 ]; then
	echo "# $nfail of $ntests failed"
	exit 1
fi
exit 0
