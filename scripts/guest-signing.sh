#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The signed-module test, run in the debug kernel's guest as
# /tests/vmapdemo_signing by scripts/check-debug.sh, which boots that kernel
# with module.sig_enforce=1 and without loading vmapdemo itself. The host
# put four copies of vmapdemo.ko in /signing (see check-debug.sh):
#
#   vmapdemo-unsigned.ko   as built
#   vmapdemo-mok.ko        make sign with make keygen's pair (a key the
#                          kernel was not given)
#   vmapdemo-tampered.ko   vmapdemo-kernel.ko with one byte changed
#   vmapdemo-kernel.ko     make sign with the kernel's own build key
#                          (certs/signing_key.pem), in its builtin keyring
#
# The first three must be refused with EKEYREJECTED, which busybox's insmod
# prints as strerror's "Key was rejected by service" (kernel/module/
# signing.c: an unsigned module and one signed by an unknown key are
# refused only because sig_enforce is on, and the kernel says which of the
# two it was; a signature that does not match the content is refused
# whatever sig_enforce says), and the last must load without the E
# (unsigned module) taint. KTAP on stdout.

dir=/signing
rejected='Key was rejected by service'
n=0
fails=0

ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $*"; }
diag() { sed 's/^/# /'; }
# The number of kernel log records matching $1 so far.
klog() { dmesg | grep -c -F -- "$1"; }

# refused NAME KO KMSG: insmod KO fails with EKEYREJECTED, the module is not
# loaded, and (if KMSG is not empty) the kernel logged KMSG once more.
refused() {
	name=$1 ko=$2 kmsg=$3
	if [ ! -f "$ko" ]; then
		notok "$name: no $ko in the guest"
		return
	fi
	before=$([ -n "$kmsg" ] && klog "$kmsg")
	out=$(insmod "$ko" 2>&1)
	rc=$?
	echo "insmod $ko: rc=$rc: $out" | diag
	after=$([ -n "$kmsg" ] && klog "$kmsg")
	if [ "$rc" = 0 ]; then
		notok "$name: insmod succeeded"
		rmmod vmapdemo
	elif [ -d /sys/module/vmapdemo ]; then
		notok "$name: insmod failed but vmapdemo is loaded"
	elif ! echo "$out" | grep -q -F "$rejected"; then
		notok "$name: insmod failed, but not with EKEYREJECTED ($rejected)"
	elif [ -n "$kmsg" ] && [ "$after" -le "$before" ]; then
		notok "$name: EKEYREJECTED, but the kernel did not log \"$kmsg\""
	else
		ok "$name"
	fi
}

echo "TAP version 13"
echo "1..5"

enforce=$(cat /sys/module/module/parameters/sig_enforce 2>/dev/null)
if [ "$enforce" = Y ]; then
	ok "sig_enforce is on"
else
	notok "sig_enforce is on: /sys/module/module/parameters/sig_enforce is '$enforce'"
fi

refused "unsigned module is refused (unsigned module)" \
	"$dir/vmapdemo-unsigned.ko" "Loading of unsigned module is rejected"
refused "module signed by an untrusted key is refused (unavailable key)" \
	"$dir/vmapdemo-mok.ko" "Loading of module with unavailable key is rejected"
# No "Loading of ... is rejected": a bad signature is refused before the
# enforcement check, so there is no message of that kind to look for.
refused "module signed by the kernel key with a changed byte is refused" \
	"$dir/vmapdemo-tampered.ko" ""

name="module signed by the kernel key loads, without the E taint"
taint0=$(cat /proc/sys/kernel/tainted)
out=$(insmod "$dir/vmapdemo-kernel.ko" 2>&1)
rc=$?
echo "insmod $dir/vmapdemo-kernel.ko: rc=$rc${out:+: $out}" | diag
if [ "$rc" != 0 ]; then
	notok "$name: insmod failed"
else
	mtaint=$(cat /sys/module/vmapdemo/taint 2>/dev/null)
	taint1=$(cat /proc/sys/kernel/tainted)
	echo "module taint '$mtaint', kernel taint $taint0 -> $taint1" | diag
	dev=0
	[ -c /dev/vmapdemo ] && dev=1
	out=$(rmmod vmapdemo 2>&1)
	rc=$?
	if [ "$dev" = 0 ]; then
		notok "$name: loaded, but no /dev/vmapdemo"
	elif echo "$mtaint" | grep -q E || [ $((taint1 & ~taint0 & 8192)) != 0 ]; then
		notok "$name: loaded, but tainted E (unsigned module)"
	elif [ "$rc" != 0 ]; then
		notok "$name: loaded, but rmmod failed: $out"
	else
		ok "$name"
	fi
fi

[ "$fails" = 0 ]
