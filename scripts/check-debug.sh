#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-debug`: the selftests on the debug kernels (KASAN, lockdep,
# kmemleak, DEBUG_VM, page table check, ...) that scripts/debug-kernel.sh
# builds from linux-source-6.12 and linux-source-7.3, each booted so that
# any warning is fatal. DEBUG_KVERS selects (default "6.12 7.3"). Prints a
# line per kernel and "N passed, N failed, N skipped" like `make check`.
#
# The stock kernels of `make check` catch wrong results; this catches the
# bugs that only show up as a splat, a leak or a lock-order report.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

# Turn every class of detector report into a guest panic, so the run stops
# at the first one with the report on the console, instead of the suite
# continuing on a kernel that has already gone wrong:
#   panic_on_warn=1     WARN_ON*(), KFENCE reports, DEBUG_LIST and VM_WARN*
#                       (lockdep only prints its reports and switches
#                       itself off: vm.sh catches the splat and the
#                       debug_locks marker at the end of the run)
#   oops=panic          an oops (BUG_ON, bad access) panics instead of
#                       killing the task
#   kasan.fault=panic   KASAN reports
#   softlockup_panic=1, hung_task_panic=1  the lockup detectors
#   page_table_check=on, debug_pagealloc=on  both checkers are compiled in
#                       but off unless asked for on the command line
# vmapdemo.debug=1 tells guest-init.sh it runs on the debug kernel (it waits
# for kmemleak's minimum object age before scanning).
append="vmapdemo.debug=1 panic_on_warn=1 oops=panic softlockup_panic=1"
append="$append hung_task_panic=1 kasan.fault=panic page_table_check=on"
append="$append debug_pagealloc=on page_owner=on"
# VM_APPEND: more for the guest's command line, e.g. kfence.sample_interval=0
# to leave every allocation to KASAN (KFENCE otherwise catches the sampled
# ones first and reports them as "BUG: KFENCE").
append="$append ${VM_APPEND:-}"

step() { echo "==> $*"; }

step "checking dependencies"
"$top/scripts/deps.sh" debug || exit 1
ksrc=$("$top/scripts/ksrc.sh") || exit 1

step "building the selftests (static, against $ksrc)"
mkdir -p "$top/build/selftests"
make -s -C "$top/selftests" KSFT_DIR="$ksrc/tools/testing/selftests" \
	OUTPUT="$top/build/selftests" USERLDFLAGS=-static all || exit 1

step "building the tools for the VM (stress-ng, trinity, gup_test)"
extra=()
if ! tools=$("$top/scripts/tools-initramfs.sh" | tail -n 1); then
	echo "  check-debug: FAIL: cannot build the tools for the VM (scripts/tools-initramfs.sh, see above; it needs root)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
extra=(--extra "$tools")

# debug_run K: build the K debug kernel and the module for it, run the
# suite and the signed-module test there; adds to tp/tf/ts and bad.
tp=0 tf=0 ts=0 bad=0
debug_run() {
	local k=$1 dk kdir kimage kver ko res log sdir sres slog sko signerr b
	local kbad=0 p=0 f=0 sk=0 sp=0 sf=0 ss=0
	step "$k debug kernel"
	if ! dk=$("$top/scripts/debug-kernel.sh" "$k"); then
		echo "  check-debug: FAIL: no $k debug kernel (see above)"
		tf=$((tf + 1)) bad=1
		summary+=("$k debug kernel: not built (1 failed)")
		return
	fi
	kdir=$(echo "$dk" | sed -n 's/^KDIR=//p')
	kimage=$(echo "$dk" | sed -n 's/^BZIMAGE=//p')
	kver=$(echo "$dk" | sed -n 's/^RELEASE=//p')
	echo "  KDIR:    $kdir"
	echo "  bzImage: $kimage"
	echo "  release: $kver"

	step "building vmapdemo.ko for $kver"
	# build-module.sh builds in build/kmod/<release>/, so this does not clobber
	# the objects of the stock kernels' builds.
	if ! ko=$("$top/scripts/build-module.sh" "$kver" "$kdir" | tail -n 1); then
		echo "  check-debug: FAIL: the module does not build for $kver"
		tf=$((tf + 1)) bad=1
		summary+=("$kver: the module does not build (1 failed)")
		return
	fi

	step "testing on $kver"
	res=$top/build/logs/result-$kver
	log=$top/build/logs/vm-$kver-check.log
	rm -f "$res"
	# KASAN inline + kmemleak + lockdep under TCG boot and run several times
	# slower than the stock kernels: the default watchdog is longer. A run
	# beside other guests (load 10 on 2 CPUs) took 1200 s to reach the last
	# test: 2400 leaves room.
	"$top/scripts/vm.sh" --kernel "$kver" --kimage "$kimage" --mode check \
		--ko "$ko" --tests "$top/build/selftests" --result "$res" \
		--log "$log" --append "$append" "${extra[@]}" \
		--skips "$top/selftests/expected-skips/debug-$k" \
		--timeout "${VM_TIMEOUT:-2400}" || kbad=1

	# vm.sh fails on a kmemleak suspect or lockdep turning off, but only if the
	# markers are there: on this kernel their absence means a detector was not
	# working (kmemleak disables itself when it runs out of its object pool),
	# which must not pass silently. A guest that died before the end has no
	# markers either, and vm.sh has already said why.
	if grep -q '^VMAPDEMO: end ' "$log"; then
		if ! grep -q '^VMAPDEMO: kmemleak suspects=' "$log"; then
			echo "  check-debug: FAIL: no kmemleak result (kmemleak not working?)"
			kbad=1
		fi
		if ! grep -q '^VMAPDEMO: page_owner leaked=' "$log"; then
			echo "  check-debug: FAIL: no page_owner result (page leaks unchecked)"
			kbad=1
		fi
		# debug_locks: 0 is vm.sh's to report; here only its absence.
		if ! grep -Eq '^VMAPDEMO: lockdep +debug_locks: ' "$log"; then
			echo "  check-debug: FAIL: no lockdep result (lockdep not built in?)"
			kbad=1
		fi
	fi
	if grep -q 'kmemleak: Kernel memory leak detector disabled' "$log"; then
		echo "  check-debug: FAIL: kmemleak disabled itself during the run"
		kbad=1
	fi

	# The signed-module test (Documentation/testing.rst, "The signed-module
	# test"): the debug kernel has CONFIG_MODULE_SIG (not _FORCE, so the run above
	# loaded the unsigned module, tainting E) and its build key in its builtin
	# keyring. A second, short boot with module.sig_enforce=1 and no module
	# loaded by guest-init runs scripts/guest-signing.sh on four copies of the
	# module: unsigned, `make sign`ed with `make keygen`'s pair, `make sign`ed
	# with the kernel's key (certs/signing_key.pem and .x509 of KDIR), and that
	# one with a byte changed. Only the kernel-signed one may load.
	step "signed-module test: a boot with module.sig_enforce=1"
	sdir=$top/build/signing-$k
	sres=$top/build/logs/result-$kver-signing
	slog=$top/build/logs/vm-$kver-signing.log
	rm -rf "$sdir" "$sres"
	mkdir -p "$sdir/tests" "$sdir/extra/signing"
	sko=$sdir/extra/signing/vmapdemo
	signerr=
	if [ ! -r "$kdir/certs/signing_key.pem" ] || [ ! -r "$kdir/certs/signing_key.x509" ]; then
		signerr="no certs/signing_key.pem and .x509 in $kdir (CONFIG_MODULE_SIG?)"
	elif [ ! -x "$kdir/scripts/sign-file" ]; then
		signerr="no scripts/sign-file in $kdir"
	else
		cp "$ko" "$sko-unsigned.ko"
		cp "$ko" "$sko-kernel.ko"
		cp "$ko" "$sko-mok.ko"
		# make -s: sign.sh's own lines say what was signed with which key.
		msign() {
			make -s -C "$top" sign KVER="$kver" KDIR="$kdir" KO="$1" \
				KEY="$2" CERT="$3" | sed 's/^/  /'
			return "${PIPESTATUS[0]}"
		}
		if ! msign "$sko-kernel.ko" "$kdir/certs/signing_key.pem" \
			"$kdir/certs/signing_key.x509"; then
			signerr="make sign with the kernel's key failed"
		elif ! make -s -C "$top" keygen KEY="$sdir/MOK.priv" CERT="$sdir/MOK.der" |
			sed 's/^/  /'; then
			signerr="make keygen failed"
		elif ! msign "$sko-mok.ko" "$sdir/MOK.priv" "$sdir/MOK.der"; then
			signerr="make sign with make keygen's key failed"
		fi
		# One byte of the signed content (an ELF header's would do as well:
		# the signature is checked before the ELF is parsed).
		cp "$sko-kernel.ko" "$sko-tampered.ko"
		b=$(od -An -tu1 -j 4096 -N 1 "$sko-tampered.ko" | tr -d ' ')
		printf '%b' "\\0$(printf %03o $(((b + 1) % 256)))" |
			dd of="$sko-tampered.ko" bs=1 seek=4096 conv=notrunc 2>/dev/null
		cmp -s "$sko-kernel.ko" "$sko-tampered.ko" && signerr="could not change a byte"
	fi
	if [ -n "$signerr" ]; then
		echo "  check-debug: FAIL: signed-module test: $signerr"
		echo "0 1 0 1" >"$sres"
		kbad=1
	else
		cp "$top/scripts/guest-signing.sh" "$sdir/tests/vmapdemo_signing"
		"$top/scripts/vm.sh" --kernel "$kver" --kimage "$kimage" --mode check \
			--tests "$sdir/tests" --extra "$sdir/extra" --result "$sres" \
			--log "$slog" --append "$append module.sig_enforce=1" \
			--timeout "${VM_TIMEOUT_SIGNING:-900}" || kbad=1
	fi

	if [ -f "$res" ]; then
		read -r p f sk _ <"$res"
	else
		kbad=1
	fi
	if [ -f "$sres" ]; then
		read -r sp sf ss _ <"$sres"
	else
		kbad=1
	fi
	p=$((p + sp)) f=$((f + sf)) sk=$((sk + ss))
	# A run that failed outside a test (splat, hang, leak) counts as one.
	[ "$kbad" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	echo "==> $kver: $p passed, $f failed, $sk skipped (logs: $log, $slog)"
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + sk))
	[ "$kbad" -eq 0 ] || bad=1
	summary+=("$(printf '%-26s %s passed, %s failed, %s skipped' "$kver" "$p" "$f" "$sk")")
	# vm.sh's reasons (line 2 on of each result): the summary says why.
	while IFS= read -r why; do
		summary+=("  why: $why")
	done < <(for r in "$res" "$sres"; do tail -n +2 "$r" 2>/dev/null; done | head -n 8)
}

summary=()
for k in ${DEBUG_KVERS:-6.12 7.3}; do
	debug_run "$k"
done
echo
for l in "${summary[@]}"; do
	echo "  $l"
done
echo "$tp passed, $tf failed, $ts skipped"
[ "$bad" -eq 0 ] && [ "$tf" -eq 0 ]
