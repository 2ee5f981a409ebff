#!/vmrun/busybox sh
# shellcheck shell=dash disable=SC1091
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the workbench VM (scripts/vm-run.sh). It loads the 9p modules and
# vmapdemo.ko, mounts the host's /usr and /etc read-only and the project
# tree (and the caller's directory) writable over virtio-9p, then runs the
# command as the chosen user with its output on ttyS1, or a shell on the
# console. Lines for the host start with "VMRUN:" (on the console, ttyS0).
B=/vmrun/busybox
say() { echo "VMRUN: $*"; }
die() {
	say "$*"
	say "exit 125"
	$B poweroff -f
}

$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev
$B mkdir -p /dev/pts /dev/shm
$B mount -t devpts devpts /dev/pts
$B mount -t tmpfs tmpfs /dev/shm
$B mount -t tmpfs -o mode=1777 tmpfs /tmp
$B mount -t tmpfs tmpfs /run
$B mount -t tmpfs -o mode=700 tmpfs /root
. /vmrun/env
say "boot kernel=$($B uname -r) mode=$VMRUN_MODE"

while read -r m; do
	$B insmod "/vmrun/modules/$m" || die "insmod $m failed"
done </vmrun/modules.order

p9="trans=virtio,version=9p2000.L,msize=262144"
# Read-only and unchanging while the VM runs: let the guest cache freely.
$B mount -t 9p -o "$p9,ro,cache=loose" usr /usr || die "mount /usr failed"
$B mount -t 9p -o "$p9,ro,cache=loose" etc /etc || die "mount /etc failed"
$B mkdir -p "$VMRUN_TOP"
$B mount -t 9p -o "$p9" top "$VMRUN_TOP" || die "mount $VMRUN_TOP failed"
if [ "$VMRUN_CWD_SHARE" = 1 ]; then
	$B mkdir -p "$VMRUN_CWD"
	$B mount -t 9p -o "$p9" cwd "$VMRUN_CWD" || die "mount $VMRUN_CWD failed"
fi

# From here on the host's userland is in place.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
$B hostname vmapdemo-vm
if [ -f /vmrun/vmapdemo.ko ]; then
	$B insmod /vmrun/vmapdemo.ko || die "insmod vmapdemo.ko failed"
	say "insmod ok"
fi

if [ "$VMRUN_MODE" = shell ]; then
	echo "vmapdemo workbench VM: $(uname -r), vmapdemo loaded, host /usr and /etc"
	echo "read-only, $VMRUN_TOP writable. 'exit' powers off."
	cd "$VMRUN_CWD" || cd /
	HOME=/root TERM=$VMRUN_TERM $B setsid $B cttyhack /bin/bash -l
	rc=$?
else
	out=/dev/ttyS1
	$B stty -F $out raw -echo 2>/dev/null
	home=/root
	[ "$VMRUN_UID" = 0 ] || home=/tmp
	cd "$VMRUN_CWD" || die "no directory $VMRUN_CWD"
	# setpriv (util-linux) comes from the host's /usr.
	/usr/bin/env -i PATH="$PATH" HOME=$home USER="$VMRUN_USER" LOGNAME="$VMRUN_USER" \
		TERM=dumb LANG=C.UTF-8 \
		/usr/bin/setpriv --reuid="$VMRUN_UID" --regid="$VMRUN_GID" --init-groups \
		/bin/sh -c "$VMRUN_CMD" </dev/null >"$out" 2>&1
	rc=$?
fi

say "exit $rc"
[ -f /vmrun/vmapdemo.ko ] && { $B rmmod vmapdemo || say "rmmod failed"; }
say "dmesg-begin"
$B dmesg
say "dmesg-end"
$B sync
$B poweroff -f
