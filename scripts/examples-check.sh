#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build every examples/*.c with -Wall -Werror, run it and compare its output
# with examples/NAME.expected; KTAP on stdout. Runs wherever the module is
# loaded: in the workbench VM by scripts/workbench-check.sh (make check), or
# by hand: make vm-run CMD=scripts/examples-check.sh
top=$(cd "$(dirname "$0")/.." && pwd)
out=${TMPDIR:-/tmp}/vmapdemo-examples
mkdir -p "$out"
set -- "$top"/examples/*.c
echo "TAP version 13"
echo "1..$#"
n=0 bad=0
for src; do
	n=$((n + 1))
	name=$(basename "$src" .c)
	if ! cc -Wall -Wextra -Werror -O2 -o "$out/$name" "$src" 2>"$out/$name.cc"; then
		sed 's/^/# /' "$out/$name.cc"
		echo "not ok $n examples/$name # does not build with -Wall -Werror"
		bad=1; continue
	fi
	(cd "$out" && ./"$name") >"$out/$name.out" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		sed 's/^/# /' "$out/$name.out"
		echo "not ok $n examples/$name # exited $rc"
		bad=1
	elif ! diff -u "$top/examples/$name.expected" "$out/$name.out" >"$out/$name.diff"; then
		sed 's/^/# /' "$out/$name.diff"
		echo "not ok $n examples/$name # output differs from $name.expected"
		bad=1
	else
		echo "ok $n examples/$name"
	fi
done
exit $bad
