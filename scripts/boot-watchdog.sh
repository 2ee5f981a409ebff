#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: scripts/boot-watchdog.sh SECONDS LOG PATTERN PIDFILE
#
# The boot watchdog of an ACCEL=kvm run (vm.sh, vm-run.sh start it in the
# background beside QEMU): unless a line of LOG matches PATTERN (the guest
# init's first line) within SECONDS, it kills the QEMU whose pid QEMU wrote
# to PIDFILE, and the caller boots again under TCG. A KVM guest on this
# machine hangs before its kernel prints anything; a booting one reaches
# its init in a few seconds.
secs=$1 log=$2 pattern=$3 pidfile=$4
for _ in $(seq "$secs"); do
	sleep 1
	grep -q -- "$pattern" "$log" 2>/dev/null && exit 0
done
[ -r "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
echo "  vm: no '$pattern' in ${secs}s: the guest is stopped" >&2
exit 1
