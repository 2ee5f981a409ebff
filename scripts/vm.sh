#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one kernel under QEMU with a busybox initramfs holding vmapdemo.ko,
# the static selftests and the demo, and judge the run.
#
# usage: scripts/vm.sh --kernel RELEASE --mode check|demo|bench|shell
#          [--kimage PATH] [--ko PATH] [--tests DIR] [--demo PATH]
#          [--extra DIR] [--append "ARGS"] [--log FILE] [--result FILE]
#          [--timeout SECONDS] [--mem MiB] [--cpu MODEL] [--icount SHIFT]
#          [--skips FILE]
#
# --skips names the expected-skip manifest of the kernel (check mode):
# lines "PROGRAM TEST-NAME", or "PROGRAM *" for a program that skips as a
# whole (1..0 # SKIP); '#' starts a comment line. A skip it does not list
# fails the run, and so does a listed skip of a program that ran whose test
# did not skip. Without --skips skips are counted but not judged.
#
# --cpu passes -cpu MODEL to QEMU (default: QEMU's own default model);
# --icount runs TCG with -icount shift=SHIFT (deterministic, one vCPU thread).
#
# Environment: ACCEL=tcg (default; single-threaded, scripts/accel.sh says
# why), ACCEL=mttcg (a host thread per vCPU) or ACCEL=kvm (opt-in: a guest
# whose init has not started within KVM_WATCHDOG seconds, default 60, is
# killed and rerun under TCG: scripts/boot-watchdog.sh).
#
# In check mode the run fails on: a failed or missing test result, a module
# that does not load or unload, a test program killed by its own time limit
# (guest-init.sh; the programs after it still run), a guest that does not
# finish before the watchdog, a kernel log record matching
# scripts/splat.pattern (the guest reads them from /dev/kmsg and names the
# program that was running; console lines are searched only when the guest
# did not get that far), a new taint bit other than O/E, a kmemleak
# suspect, lockdep switched off, or a skip the --skips manifest does not
# expect (or an expected one that did not happen). It ends with the reliability
# summary: tests run, injections tried, stress operations, fuzz calls, tool
# runs (from the tests' "# NAME: N" KTAP diagnostics) and kernel splats.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kernel= mode=check kimage= ko= tests= demo= extra= append= log= result=
timeout=900 mem=1024 cpu= icount= skips=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift ;;
	--mode) mode=$2; shift ;;
	--kimage) kimage=$2; shift ;;
	--ko) ko=$2; shift ;;
	--tests) tests=$2; shift ;;
	--demo) demo=$2; shift ;;
	--extra) extra=$2; shift ;;
	--append) append=$2; shift ;;
	--log) log=$2; shift ;;
	--result) result=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--mem) mem=$2; shift ;;
	--cpu) cpu=$2; shift ;;
	--icount) icount=$2; shift ;;
	--skips) skips=$2; shift ;;
	*) echo "vm.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$kernel" ] || { echo "vm.sh: --kernel is required" >&2; exit 2; }
if [ -z "$kimage" ]; then
	# A chroot kernel (7.2, 7.3) boots the chroot's image, stock as the
	# others: Debian builds what a QEMU guest with an initramfs console
	# needs into the image, so no module has to be loaded to boot.
	croot=$("$top/scripts/kernels.sh" --chroot "$kernel")
	if [ -n "$croot" ]; then
		kimage=$("$top/scripts/chroot.sh" "$croot")/boot/vmlinuz-$kernel
	else
		kimage=/boot/vmlinuz-$kernel
	fi
fi
[ -r "$kimage" ] || { echo "vm.sh: no kernel image $kimage" >&2; exit 2; }

work=$top/build/vm/$kernel-$mode
log=${log:-$top/build/logs/vm-$kernel-$mode.log}
mkdir -p "$work" "$(dirname "$log")"
root=$work/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,tests,demo,etc}

# --- initramfs ---------------------------------------------------------
cp /bin/busybox "$root/bin/busybox"
cp "$top/scripts/guest-init.sh" "$root/init"
chmod 755 "$root/init"
[ -n "$ko" ] && cp "$ko" "$root/vmapdemo.ko"
if [ -n "$tests" ]; then
	for t in "$tests"/vmapdemo_*; do
		[ -f "$t" ] && [ -x "$t" ] && cp "$t" "$root/tests/"
	done
fi
# Per-program time limits (guest-init.sh's prog_limit) and the splat
# patterns the guest matches kernel log records against.
cp "$top/selftests/settings" "$top/selftests/timeouts" "$root/tests/"
cp "$top/scripts/splat.pattern" "$root/etc/vmapdemo-splat.pattern"
[ -n "$demo" ] && cp "$demo" "$root/demo/vmapdemo_demo"
[ -n "$extra" ] && cp -a "$extra"/. "$root/"
# root first; an --extra directory may add users (the tools' unprivileged one).
for f in passwd group; do
	extra_ids=
	[ -f "$root/etc/$f" ] && extra_ids=$(grep -v '^root:' "$root/etc/$f")
	if [ $f = passwd ]; then
		echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/$f"
	else
		echo "root:x:0:" >"$root/etc/$f"
	fi
	[ -n "$extra_ids" ] && echo "$extra_ids" >>"$root/etc/$f"
done
initrd=$work/initramfs.cpio.gz
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$initrd"

# --- boot ----------------------------------------------------------------
# log_buf_len: room for every record of the run (the default 128 KiB on a
# 2-CPU guest wraps under the tests' messages) until guest-init's /dev/kmsg
# reader starts, and for the dmesg dump at the end.
cmdline="console=ttyS0 loglevel=5 panic=-1 oops=panic nokaslr log_buf_len=16M"
cmdline="$cmdline vmapdemo.mode=$mode vmapdemo.timeout=$((timeout - 60)) $append"

qemu_args() {
	local accel=$1
	echo -accel "$("$top/scripts/accel.sh" "$accel")" -m "$mem" -smp 2 -no-reboot \
		-kernel "$kimage" -initrd "$initrd"
	[ -n "$cpu" ] && echo -cpu "$cpu"
	[ -n "$icount" ] && echo -icount "shift=$icount"
	return 0
}

# Live progress on the terminal, everything in the log.
progress() {
	sed -u 's/\r$//' | tee "$log" | awk -v mode="$mode" '
		/^VMAPDEMO: boot /	{ print "    guest up: " substr($0, 16); fflush(); next }
		/^VMAPDEMO: test-start/	{ print "    running " $3 " (" $4 ")"; fflush(); next }
		/^VMAPDEMO: test-end/	{ print "    " $3 ": " $4 ", " $5; fflush(); next }
		/^VMAPDEMO: dmesg-begin/ { indmesg = 1; next }
		/^VMAPDEMO: dmesg-end/	{ indmesg = 0; next }
		/^VMAPDEMO: /		{ print "    " substr($0, 11); fflush(); next }
		indmesg			{ next }
		mode == "check" && /^(not )?ok [0-9]+ / { print "      " $0; fflush(); next }
		(mode == "demo" || mode == "bench") && !/^\[ *[0-9]+\.[0-9]+\]/ { print; fflush(); next }
	'
}

run_qemu() {
	local accel=$1 limit=$2 rc dog=
	rm -f "$work/qemu.pid"
	if [ "$accel" = kvm ]; then
		"$top/scripts/boot-watchdog.sh" "${KVM_WATCHDOG:-60}" "$log" \
			'^VMAPDEMO: boot ' "$work/qemu.pid" &
		dog=$!
	fi
	# shellcheck disable=SC2046
	timeout -k 5 "$limit" qemu-system-x86_64 $(qemu_args "$accel") \
		-display none -monitor none -serial stdio -pidfile "$work/qemu.pid" \
		-append "$cmdline" </dev/null 2>&1 | progress
	rc=${PIPESTATUS[0]}
	if [ -n "$dog" ]; then
		kill "$dog" 2>/dev/null
		wait "$dog" 2>/dev/null
	fi
	return "$rc"
}

if [ "$mode" = shell ]; then
	echo "vm: booting $kernel with a shell on the console (log: $log)"
	# shellcheck disable=SC2046
	exec qemu-system-x86_64 $(qemu_args "${ACCEL:-tcg}") -nographic \
		-append "$cmdline"
fi

accel=${ACCEL:-tcg}
echo "  vm: booting $kernel under QEMU ($accel), watchdog ${timeout}s"
run_qemu "$accel" "$timeout"
qrc=$?
if [ "$accel" = kvm ] && ! grep -q '^VMAPDEMO: boot ' "$log"; then
	echo "  vm: the KVM guest did not boot; falling back to TCG"
	accel=tcg
	run_qemu tcg "$timeout"
	qrc=$?
fi

# --- judge -----------------------------------------------------------------
# The expected-skip manifest: a named file that is missing is a failure of
# its own (a kernel added to KVERS needs its manifest).
manifest=/dev/null
if [ -n "$skips" ]; then
	if [ -r "$skips" ]; then
		manifest=$skips
	else
		manifest=
	fi
fi
pattern=$(grep -v -e '^#' -e '^$' "$top/scripts/splat.pattern" | paste -sd'|')
summary=$(awk -v qrc="$qrc" -v mode="$mode" -v skips="$skips" -v pat="$pattern" \
	-v manifest="$manifest" '
function fail(msg) { failures[++nf] = msg }
function skipname(line) {
	sub(/^ok [0-9]+ /, "", line); sub(/ *# *[Ss][Kk][Ii][Pp].*$/, "", line)
	return line
}
BEGIN {
	if (mode == "check" && skips != "" && manifest == "")
		fail("no expected-skip manifest " skips " for this kernel: create it with one \"PROGRAM TEST\" line per expected skip (see Documentation/testing.rst)")
	if (manifest != "" && manifest != "/dev/null") {
		while ((getline l < manifest) > 0) {
			if (l ~ /^[ \t]*(#|$)/) continue
			sub(/[ \t]+$/, "", l)
			p = l; sub(/[ \t].*/, "", p); t = l; sub(/^[^ \t]+[ \t]+/, "", t)
			expect[p " " t] = 1
		}
	}
}
{ sub(/\r$/, "") }
/^VMAPDEMO: boot /		{ booted = 1 }
/^VMAPDEMO: insmod failed/	{ fail("module did not load") }
/^VMAPDEMO: rmmod failed/	{ fail("module did not unload") }
/^VMAPDEMO: reload failed/	{ fail("module did not load/unload a second time") }
/^VMAPDEMO: taint /		{ split($5, a, "="); if (a[2] != 0) fail("new taint bits " a[2]) }
/^VMAPDEMO: kmemleak /		{ split($3, a, "="); if (a[2] != 0) fail("kmemleak: " a[2] " unreferenced objects") }
/^VMAPDEMO: page_owner /	{ split($3, a, "="); if (a[2] != 0) fail("page_owner: " a[2] " pages allocated by the module still allocated after its unload (leaked pages)") }
/^VMAPDEMO: lockdep /		{ if ($0 ~ /debug_locks: 0/) fail("lockdep turned itself off (it found a problem)") }
/^VMAPDEMO: end /		{ ended = 1; endstatus = $3 }
/^VMAPDEMO: splat in /		{ l = $0; sub(/^VMAPDEMO: splat in /, "", l); fail("kernel splat during " l); next }
/^VMAPDEMO: splats=/		{ kmsgscan = 1; split($2, a, "="); splats = a[2] + 0; next }
/^VMAPDEMO: test-leftover /	{ l = $0; sub(/^VMAPDEMO: test-leftover /, "", l); fail(l); next }
/^VMAPDEMO: test-timeout /	{ timedout = $4; next }
/^VMAPDEMO: test-start /	{
	cur = $3; ran[cur] = 1; plan = -1; seen = 0; intest = 1; running = ""; lastok = ""
	wholeskip = ""; timedout = ""; next
}
/^VMAPDEMO: test-end /		{
	split($4, a, "="); rc = a[2]
	if (timedout != "") {
		where = running != "" ? "in test " running : (lastok != "" ? "after test \"" lastok "\"" : "before its first test")
		fail(cur ": timed out (" timedout ") " where "; " (plan > 0 ? seen " of " plan " tests reported" : "no plan") "; the programs after it still ran")
		if (plan > seen) failed += plan - seen
		else if (!curfail) failed++
	} else if (plan < 0) {
		fail(cur ": no KTAP plan (rc=" rc ")"); failed++
	} else if (plan == 0 && wholeskip != "") {
		if (rc != 4) fail(cur ": 1..0 # SKIP but exit status " rc " (4 expected)")
		skipped++; skipset[cur " *"] = 1
		if (!((cur " *") in expect))
			fail(cur ": unexpected whole-program skip (" wholeskip "): not in " skips)
	} else if (seen < plan) {
		fail(cur ": " plan - seen " tests missing (crash? rc=" rc ")"); failed += plan - seen
	}
	if (timedout == "" && rc != 0 && rc != 4 && !curfail) fail(cur ": exited " rc " without a failed test")
	intest = 0; curfail = 0; running = ""; next
}
intest && /^# +RUN /		{ running = $3 }
intest && /^# +(OK|FAIL|SKIP) /	{ running = "" }
intest && /^1\.\.0 *# *[Ss][Kk][Ii][Pp]/ { plan = 0; wholeskip = $0; sub(/^1\.\.0 *# *[Ss][Kk][Ii][Pp] */, "", wholeskip); if (wholeskip == "") wholeskip = "no reason given"; next }
intest && /^1\.\.[0-9]+/	{ plan = substr($0, 4) + 0; next }
# Reliability counts each program prints as a KTAP diagnostic.
intest && /^# (injections tried|stress operations|fuzz calls|tool runs): [0-9]+/ {
	split($0, a, ": "); k = substr(a[1], 3); rel[k] += a[2] + 0; next
}
intest && /^ok [0-9]+ /		{
	seen++; n = skipname($0); lastok = n
	if ($0 ~ /# *[Ss][Kk][Ii][Pp]/) {
		skipped++; skipset[cur " " n] = 1
		if (manifest != "/dev/null" && !((cur " " n) in expect)) {
			r = $0; sub(/^.*# *[Ss][Kk][Ii][Pp] */, "", r)
			fail(cur ": unexpected skip of \"" n "\" (" r "): not in " skips)
		}
	} else {
		passed++; status[cur " " n] = "passed"
	}
	next
}
intest && /^not ok [0-9]+ /	{ seen++; failed++; curfail = 1; n = $0; sub(/^not ok [0-9]+ /, "", n); sub(/ *#.*$/, "", n); status[cur " " n] = "failed"; lastok = n; fail(cur ": " $0); next }
# Console lines: only when the guest did not get to its /dev/kmsg scan
# (it panicked or hung), anywhere in a line, after a printk timestamp.
match($0, /\[ *[0-9]+\.[0-9]+\] /) {
	rest = substr($0, RSTART + RLENGTH)
	if (rest ~ pat && rest !~ /^(Kernel )?[Cc]ommand line:/) conssplat[++ncs] = substr($0, RSTART)
}
END {
	if (!kmsgscan) {
		for (i = 1; i <= ncs; i++) fail("kernel splat (console): " conssplat[i])
		splats = ncs
	}
	if (!booted) fail("guest never reached init (qemu rc=" qrc ")")
	else if (!ended) fail("guest did not finish: hung or crashed (watchdog/qemu rc=" qrc ")" (cur != "" && intest ? " during " cur (running != "" ? ", test " running : "") : ""))
	else if (endstatus != "status=ok") fail("guest reported " endstatus)
	else if (!kmsgscan) fail("no /dev/kmsg splat scan result from the guest")
	if (mode == "check" && passed + failed == 0) fail("no test ran")
	if (manifest != "/dev/null" && manifest != "") {
		for (k in expect) {
			p = k; sub(/ .*/, "", p)
			if (!(p in ran) || (k in skipset)) continue
			st = (k in status) ? status[k] : "was not reported"
			fail("stale expected skip \"" k "\" in " skips ": it no longer skips (" st "): remove the line")
		}
	}
	for (i = 1; i <= nf; i++) print "FAIL " failures[i]
	printf "COUNTS %d %d %d %d\n", passed + 0, failed + 0, skipped + 0, nf
	printf "RELIABILITY reliability: tests run %d, injections tried %d, stress operations %d, fuzz calls %d, tool runs %d, splats %d\n", \
		passed + failed, rel["injections tried"], rel["stress operations"], \
		rel["fuzz calls"], rel["tool runs"], splats
}' "$log")

echo "$summary" | grep '^FAIL ' | sed 's/^FAIL /  vm: FAIL: /' | head -40
nfail=$(echo "$summary" | grep -c '^FAIL ')
[ "$nfail" -gt 40 ] && echo "  vm: ... and $((nfail - 40)) more FAIL lines (40 shown)"
set -- $(echo "$summary" | sed -n 's/^COUNTS //p')
passed=$1 failed=$2 skipped=$3 problems=$4
# Line 1: the counts; then each reason the run failed, so that a caller's
# closing summary can say why without the log (CI often shows only the tail).
if [ -n "$result" ]; then
	echo "$passed $failed $skipped $problems" >"$result"
	echo "$summary" | sed -n 's/^FAIL //p' >>"$result"
fi
if [ "$mode" = check ]; then
	echo "  $kernel: $passed passed, $failed failed, $skipped skipped (log: $log)"
	echo "$summary" | sed -n 's/^RELIABILITY /  /p'
fi
[ "$problems" -eq 0 ]
