#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check's workbench step: test scripts/vm-run.sh itself and run, in the
# workbench VM, what needs the host's userland (the examples, built there
# with the host's gcc). Prints KTAP-like lines and a count line, and writes
# "PASSED FAILED SKIPPED" to --result FILE.
#
# usage: scripts/workbench-check.sh [--kernel NAME] [--result FILE]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kname=6.12 result=
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kname=$2; shift ;;
	--result) result=$2; shift ;;
	*) echo "workbench-check.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
kver=$("$top/scripts/kernels.sh" "$kname") || exit 1
logs=$top/build/logs
mkdir -p "$logs"
pass=0 fail=0 skip=0 append=''
ok() { pass=$((pass + 1)); echo "      ok $*"; }
notok() { fail=$((fail + 1)); echo "      not ok $*"; }

# A splat in the guest's kernel log fails the run it belongs to.
splats() {
	sed -n '/^VMRUN: dmesg-begin/,/^VMRUN: dmesg-end/p' "$1" | grep -E \
		'BUG:|WARNING:|Oops|general protection fault|KASAN|UBSAN|possible circular locking|inconsistent lock state|sleeping function called from invalid context|Bad page|Bad rss-counter|kernel BUG|soft lockup|Kernel panic'
}

ko=$("$top/scripts/build-module.sh" "$kver" 2>/dev/null | tail -n 1) || {
	notok "workbench: vmapdemo.ko does not build for $kver"; ko=; }
run() {	# run LOGNAME USER CMD: stdout to $out, status to $rc
	local name=$1 user=$2
	shift 2
	out=$logs/workbench-$kver-$name.out
	"$top/scripts/vm-run.sh" --kernel "$kver" --ko "$ko" --user "$user" \
		${append:+--append "$append"} \
		--timeout "${VM_TIMEOUT:-900}" --log "$logs/workbench-$kver-$name.log" \
		-- "$*" >"$out" 2>&1
	rc=$?
	if s=$(splats "$logs/workbench-$kver-$name.log"); then
		notok "workbench $name: kernel splat: $(echo "$s" | head -n 1)"
	fi
}

# The kernel's own mm selftests, patched for the device (upstream-mm.sh).
upbin=
if [ -n "$ko" ] && ! upbin=$("$top/scripts/upstream-mm.sh" 2>"$logs/upstream-mm-build.log"); then
	notok "upstream mm selftests do not build (see $logs/upstream-mm-build.log)"
	upbin=
fi
upout=$top/build/upstream-mm/out
rm -rf "$upout"
upcmd=
[ -n "$upbin" ] && upcmd="scripts/upstream-mm-run.sh $upbin $upout;"

# Judge one upstream run against selftests/upstream/expected-results.
judge_upstream() {
	local name=$1 f=$upout/$1.out
	if [ ! -f "$f" ]; then
		notok "upstream $name: did not run"
		return
	fi
	awk -v name="$name" -v expf="$top/selftests/upstream/expected-results" '
	BEGIN {
		while ((getline l < expf) > 0) {
			if (l !~ /^xfail /) continue
			split(l, a, " "); if (a[2] != name) continue
			re = l; sub(/^xfail [^ ]+ /, "", re); sub(/ -- .*/, "", re)
			xf[++nx] = re
		}
	}
	/^# \[RUN\]/ { run = $0; next }
	/^(not )?ok [0-9]+/ {
		key = run " | " $0; x = 0
		for (i = 1; i <= nx; i++) if (key ~ xf[i]) x = 1
		if ($0 ~ /# *SKIP/) { s++; next }
		if ($0 ~ /^ok/ && !x) p++
		else if ($0 ~ /^not ok/ && x) { p++; print "      ok (xfail) " name ": " key }
		else { f++; print "      not ok " name ": " key (x ? " (expected to fail)" : "") }
	}
	/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0 }
	/^# Totals/ { totals = 1 }
	END {
		if (!plan || !totals) { f++; print "      not ok " name ": no KTAP plan or totals (crashed?)" }
		printf "COUNTS %d %d %d\n", p, f, s
	}' "$f" >"$f.judged"
	grep -v '^COUNTS ' "$f.judged"
	# shellcheck disable=SC2046
	set -- $(sed -n 's/^COUNTS //p' "$f.judged")
	pass=$((pass + $1)); fail=$((fail + $2)); skip=$((skip + $3))
	echo "      upstream $name: $1 passed, $2 failed, $3 skipped (rc=$(cat "$upout/$name.rc" 2>/dev/null))"
}

if [ -n "$ko" ]; then
	# 1. As root in the project tree: the examples, the upstream mm
	# selftests, and the shares.
	stamp=build/workbench-stamp.$$
	stresscmd=
	[ "${WORKBENCH_STRESS:-1}" = 1 ] &&
		stresscmd="scripts/stress-check.sh >build/logs/workbench-stress.out 2>&1;"
	rm -f "$top/build/logs/workbench-stress.out"
	run root root "scripts/examples-check.sh; echo examples-rc=\$?; $upcmd $stresscmd" \
		"touch /usr/vmapdemo-ro 2>/dev/null && echo usr-writable;" \
		"echo from-guest >$stamp; exit 7"
	grep -E '^(not )?ok [0-9]+ ' "$out" | while read -r line; do echo "      $line"; done
	pass=$((pass + $(grep -cE '^ok [0-9]+ ' "$out")))
	fail=$((fail + $(grep -cE '^not ok [0-9]+ ' "$out")))
	grep -q '^1\.\.[1-9]' "$out" || notok "examples: no KTAP plan (see $out)"
	if [ -n "$upbin" ]; then
		for u in map_populate-tmpfile map_populate-store map_populate-vmapdemo gup_longterm cow; do
			judge_upstream "$u"
		done
	fi
	st=$top/build/logs/workbench-stress.out
	if [ -n "$stresscmd" ] && [ ! -f "$st" ]; then
		notok "stress-ng: did not run"
	elif [ -n "$stresscmd" ]; then
		grep -E '^(not )?ok [0-9]+ ' "$st" | while read -r line; do echo "      $line"; done
		pass=$((pass + $(grep -cE '^ok [0-9]+ ' "$st")))
		fail=$((fail + $(grep -cE '^not ok [0-9]+ ' "$st")))
		grep -q '^1\.\.[1-9]' "$st" || notok "stress-ng: no KTAP plan (see $st)"
	fi
	[ "$rc" = 7 ] && ok "vm-run: exits with the command's status (7)" ||
		notok "vm-run: exit status $rc, not 7 (see $out)"
	[ "$(cat "$top/$stamp" 2>/dev/null)" = from-guest ] &&
		ok "vm-run: the project tree is writable from the guest" ||
		notok "vm-run: $stamp not written by the guest"
	rm -f "$top/$stamp"
	grep -q usr-writable "$out" && notok "vm-run: /usr is writable in the guest" ||
		ok "vm-run: the host's /usr is read-only in the guest"
	# 2. As an unprivileged user from a directory outside the tree.
	dir=$(mktemp -d) && chmod 755 "$dir"
	pushd "$dir" >/dev/null || exit 1
	run nobody nobody 'id -un; pwd; echo $((6 * 7)) >/tmp/x && cat /tmp/x; exit 0'
	popd >/dev/null || exit 1
	expect="nobody
$dir
42"
	[ "$rc" = 0 ] && [ "$(cat "$out")" = "$expect" ] &&
		ok "vm-run: VM_USER=nobody runs unprivileged in the caller's directory" ||
		notok "vm-run: unprivileged run printed '$(head -c 300 "$out")'"
	rmdir "$dir"

	# 3. Signing (make keygen, make sign): the signature verifies against
	# the certificate with openssl and a changed byte breaks it; booted
	# with module.sig_enforce=1, the stock kernel loads its own signed
	# 9p modules and refuses vmapdemo unsigned ("unsigned module") and
	# signed by a key it was not given ("unavailable key": it parsed our
	# signature). Loading it needs the key enrolled (MOK, via shim) or
	# built in: Debian's kernels have neither; the debug kernel has its
	# build key built in, and make check-debug tests the load
	# (scripts/guest-signing.sh).
	sdir=build/sign
	rm -rf "${top:?}/$sdir" && mkdir -p "$top/$sdir"
	cp "$ko" "$top/$sdir/vmapdemo-unsigned.ko"
	cp "$ko" "$top/$sdir/vmapdemo-signed.ko"
	if "$top/scripts/sign.sh" keygen "$top/$sdir/MOK.priv" "$top/$sdir/MOK.der" >/dev/null &&
	   "$top/scripts/sign.sh" sign "$top/$sdir/MOK.priv" "$top/$sdir/MOK.der" \
		"$top/$sdir/vmapdemo-signed.ko" "$kver" >/dev/null &&
	   "$top/scripts/sign.sh" verify "$top/$sdir/MOK.der" "$top/$sdir/vmapdemo-signed.ko" >/dev/null; then
		ok "sign: sign-file's signature verifies against the MOK certificate"
	else
		notok "sign: keygen/sign/verify failed"
	fi
	cp "$top/$sdir/vmapdemo-signed.ko" "$top/$sdir/tampered.ko"
	printf X | dd of="$top/$sdir/tampered.ko" bs=1 seek=4096 conv=notrunc 2>/dev/null
	if "$top/scripts/sign.sh" verify "$top/$sdir/MOK.der" "$top/$sdir/tampered.ko" >/dev/null 2>&1; then
		notok "sign: a changed byte still verifies"
	else
		ok "sign: a changed byte breaks the signature"
	fi
	ko_saved=$ko ko=none append=module.sig_enforce=1
	run sigenforce root "for m in unsigned signed; do insmod $sdir/vmapdemo-\$m.ko; echo \$m rc=\$?; done;" \
		"dmesg | grep -o 'Loading of .* is rejected'; lsmod | grep -c '^9p '"
	ko=$ko_saved append=''
	grep -q '^unsigned rc=[1-9]' "$out" &&
		grep -q 'Loading of unsigned module is rejected' "$out" &&
		ok "sign: sig_enforce=1 refuses the unsigned module" ||
		notok "sign: unsigned module under sig_enforce=1: $(tr '\n' ' ' <"$out" | head -c 300)"
	grep -q '^signed rc=[1-9]' "$out" &&
		grep -q 'Key was rejected by service' "$out" &&
		grep -q 'Loading of module with unavailable key is rejected' "$out" &&
		ok "sign: sig_enforce=1 refuses the signed module as signed by an unknown key" ||
		notok "sign: signed module under sig_enforce=1: $(tr '\n' ' ' <"$out" | head -c 300)"
	[ "$(tail -n 1 "$out")" = 1 ] &&
		ok "sign: sig_enforce=1 is on and loads Debian's signed 9p module" ||
		notok "sign: 9p not loaded under sig_enforce=1"
fi
echo "  workbench ($kver): $pass passed, $fail failed, $skip skipped"
[ -n "$result" ] && echo "$pass $fail $skip" >"$result"
[ "$fail" -eq 0 ]
