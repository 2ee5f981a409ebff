#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: install what is missing, build the module for every kernel in
# KVERS and the selftests once, boot each kernel in the test VM, run the
# suite there, and print a per-kernel and an overall result line.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
KVERS=${KVERS:-6.1 6.12}

step() { echo "==> $*"; }

step "checking dependencies"
"$top/scripts/deps.sh" base || exit 1
ksrc=$("$top/scripts/ksrc.sh") || exit 1

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

for k in $KVERS; do
	kver=$("$top/scripts/kernels.sh" "$k") || { bad=1; continue; }
	step "building vmapdemo.ko for $kver"
	if ! ko=$("$top/scripts/build-module.sh" "$kver" | tail -n 1); then
		echo "  build for $kver failed"
		bad=1; tf=$((tf + 1)); continue
	fi
	step "testing on $kver"
	res=$top/build/logs/result-$kver
	rm -f "$res"
	"$top/scripts/vm.sh" --kernel "$kver" --mode check --ko "$ko" \
		--tests "$top/build/selftests" --result "$res" "${extra[@]}" \
		--skips "$top/selftests/expected-skips/$k" \
		--timeout "${VM_TIMEOUT:-900}" || bad=1
	if [ -f "$res" ]; then
		read -r p f s _ <"$res"
		tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
	else
		bad=1
	fi
done

echo
echo "==> guest console logs: $top/build/logs/"
if [ "$bad" -ne 0 ] && [ "$tf" -eq 0 ]; then
	# A run that failed outside a test (splat, hang, taint) counts as one.
	tf=1
fi
echo "$tp passed, $tf failed, $ts skipped"
[ "$bad" -eq 0 ] && [ "$tf" -eq 0 ]
