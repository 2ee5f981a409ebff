#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the patched upstream mm selftests (scripts/upstream-mm.sh) where the
# module is loaded: in the workbench VM by scripts/workbench-check.sh, or
# by hand: make vm-run CMD='scripts/upstream-mm-run.sh build/upstream-mm/bin'
# Each run's KTAP goes to OUTDIR/NAME.out (default: next to the binaries),
# its exit status to OUTDIR/NAME.rc; a summary to stdout.
bin=$(cd "${1:?usage: upstream-mm-run.sh BINDIR [OUTDIR]}" && pwd)
outdir=${2:-$bin/../out}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
# gup_longterm's "local tmpfile" lands in the working directory: a tmpfs,
# as on a usual host (9p has no fallocate()).
cd /tmp || exit 1
run() {	# run NAME PROG [ARGS]
	name=$1
	shift
	prog=$1
	shift
	"$bin/$prog" "$@" >"$outdir/$name.out" 2>&1
	echo $? >"$outdir/$name.rc"
	echo "$name: $(grep '^# Totals' "$outdir/$name.out" || echo no totals), rc=$(cat "$outdir/$name.rc")"
}
for b in tmpfile store vmapdemo; do
	run "map_populate-$b" map_populate $b
done
run gup_longterm gup_longterm
run cow cow
