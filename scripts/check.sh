#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: install what is missing, build the module for every kernel in
# KVERS and the selftests once, boot each kernel in the test VM, run the
# suite there, and print a per-kernel and an overall result line.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
# 6.12-rt is PREEMPT_RT (spinlocks sleep); 7.2 and 7.3 live in Debian
# chroots that scripts/chroot.sh makes on first use (a few minutes each).
KVERS=${KVERS:-6.1 6.12 6.12-rt 7.2 7.3}

step() { echo "==> $*"; }

step "checking dependencies"
"$top/scripts/deps.sh" base || exit 1
ksrc=$("$top/scripts/ksrc.sh") || exit 1

# A chroot kernel's chroot takes minutes to create on first use: start
# them all now, side by side and beside the selftests' build. kernels.sh
# then finds them made (or waits on their lock, and reports any failure).
chroot_pids=()
for k in $KVERS; do
	c=$("$top/scripts/kernels.sh" --chroot "$k")
	[ -n "$c" ] || continue
	"$top/scripts/chroot.sh" "$c" >/dev/null &
	chroot_pids+=($!)
done

step "building the selftests (static, against $ksrc)"
mkdir -p "$top/build/selftests"
make -s -C "$top/selftests" KSFT_DIR="$ksrc/tools/testing/selftests" \
	OUTPUT="$top/build/selftests" USERLDFLAGS=-static all || exit 1

step "building the tools for the VM (stress-ng, trinity, gup_test)"
extra=()
tp=0 tf=0 ts=0 bad=0
if tools=$("$top/scripts/tools-initramfs.sh" | tail -n 1); then
	extra=(--extra "$tools")
else
	# Not a skip: a gate that silently loses its tools step proves less.
	echo "  check: FAIL: cannot build the tools for the VM (scripts/tools-initramfs.sh, see above; it needs root)"
	bad=1
fi

for pid in "${chroot_pids[@]}"; do
	wait "$pid"
done

lines=()
for k in $KVERS; do
	if ! kver=$("$top/scripts/kernels.sh" "$k"); then
		lines+=("$(printf '%-8s %s' "$k" "FAILED: cannot resolve the kernel")")
		bad=1; continue
	fi
	step "building vmapdemo.ko for $kver"
	if ! ko=$("$top/scripts/build-module.sh" "$kver" | tail -n 1); then
		echo "  build for $kver failed"
		lines+=("$(printf '%-8s %-26s %s' "$k" "$kver" "FAILED: the module did not build")")
		bad=1; tf=$((tf + 1)); continue
	fi
	step "testing on $kver"
	res=$top/build/logs/result-$kver
	rm -f "$res"
	"$top/scripts/vm.sh" --kernel "$kver" --mode check --ko "$ko" \
		--tests "$top/build/selftests" --result "$res" "${extra[@]}" \
		--skips "$top/selftests/expected-skips/$k" \
		--timeout "${VM_TIMEOUT:-900}"
	rc=$?
	[ $rc -eq 0 ] || bad=1
	if [ -f "$res" ]; then
		read -r p f s _ <"$res"
		tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
		verdict=ok
		[ $rc -eq 0 ] && [ "$f" -eq 0 ] || verdict=FAILED
		lines+=("$(printf '%-8s %-26s %s: %d passed, %d failed, %d skipped' \
			"$k" "$kver" "$verdict" "$p" "$f" "$s")")
		# vm.sh's reasons (line 2 on): the summary says why, not only that.
		while IFS= read -r why; do
			lines+=("         why: $why")
		done < <(tail -n +2 "$res" | head -n 8)
	else
		lines+=("$(printf '%-8s %-26s %s' "$k" "$kver" "FAILED: no result")")
		bad=1
	fi
done

# The workbench VM (host userland over 9p): vm-run itself and the examples.
step "workbench: vm-run and examples/ on ${WORKBENCH_KERNEL:-6.12}"
res=$top/build/logs/result-workbench
rm -f "$res"
"$top/scripts/workbench-check.sh" --kernel "${WORKBENCH_KERNEL:-6.12}" --result "$res" || bad=1
if [ -f "$res" ]; then
	read -r p f s <"$res"
	tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
else
	bad=1
fi

echo
echo "==> guest console logs: $top/build/logs/"
for l in "${lines[@]}"; do
	echo "  $l"
done
if [ "$bad" -ne 0 ] && [ "$tf" -eq 0 ]; then
	# A run that failed outside a test (splat, hang, taint) counts as one.
	tf=1
fi
echo "$tp passed, $tf failed, $ts skipped"
[ "$bad" -eq 0 ] && [ "$tf" -eq 0 ]
