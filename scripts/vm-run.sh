#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The test VM as a workbench: boot a Debian kernel under QEMU with vmapdemo
# loaded and the host's userland shared in over virtio-9p, then run one
# command (or a shell) there.
#
# usage: scripts/vm-run.sh [--kernel NAME] [--user USER] [--ko PATH|none]
#          [--append ARGS] [--log FILE] [--timeout SECONDS] [--mem MiB]
#          (--shell | -- CMD)
#
# --ko none boots without loading vmapdemo; --append adds kernel arguments.
#
# The guest sees the host's /usr and /etc read-only (so gcc, python3, gdb,
# strace, stress-ng... are whatever the host has installed), the project
# tree and the caller's working directory writable at the same paths as on
# the host, and a tmpfs on /tmp, /run and /root. CMD runs with sh -c in the
# caller's working directory as USER (root by default; any user in the
# host's /etc/passwd, e.g. nobody), its output streams live to stdout, and
# the script exits with CMD's exit status (125 if the VM itself failed).
#
# The command's output travels on a second serial port (ttyS1, raw), so the
# kernel's console (ttyS0) stays out of it and goes to the log file.
#
# Debian's kernels build 9p, 9pnet_virtio, netfs and (6.1) virtio_pci as
# modules: they are copied with their dependencies (modules.dep) from the
# host's /lib/modules/RELEASE into the initramfs and loaded by its init.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kname=${VM_KERNEL:-6.12} user=${VM_USER:-root} ko='' log='' timeout=${VM_TIMEOUT:-0}
mem=${VM_MEM:-1024} shell=0 cmd='' append=''
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kname=$2; shift ;;
	--user) user=$2; shift ;;
	--ko) ko=$2; shift ;;
	--append) append=$2; shift ;;
	--log) log=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--mem) mem=$2; shift ;;
	--shell) shell=1 ;;
	--) shift; cmd="$*"; break ;;
	*) echo "vm-run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ "$shell" = 1 ] || [ -n "$cmd" ] || { echo "vm-run.sh: nothing to run (-- CMD or --shell)" >&2; exit 2; }

kver=$("$top/scripts/kernels.sh" "$kname") || exit 125
# 7.2 and 7.3 live in a Debian chroot (scripts/chroot.sh): their image and
# modules are the chroot's; the guest's userland is still this host's.
croot=
c=$("$top/scripts/kernels.sh" --chroot "$kver")
if [ -n "$c" ]; then
	croot=$("$top/scripts/chroot.sh" "$c") || exit 125
fi
kimage=$croot/boot/vmlinuz-$kver
[ -r "$kimage" ] || { echo "vm-run.sh: no kernel image $kimage" >&2; exit 125; }
mods=$croot/lib/modules/$kver
[ -r "$mods/modules.dep" ] || { echo "vm-run.sh: no $mods/modules.dep" >&2; exit 125; }
if ! getent passwd "$user" >/dev/null; then
	echo "vm-run.sh: no user '$user' in the host's passwd (shared with the guest)" >&2
	exit 125
fi
if [ -z "$ko" ]; then
	ko=$("$top/scripts/build-module.sh" "$kver" | tail -n 1) || exit 125
fi

cwd=$(pwd -P)
# The caller's directory, unless it is in a share already or is one of the
# guest's own directories (/, /tmp, /run, /root: it then starts there).
cwd_share=1
case $cwd/ in
"$top"/* | /usr/* | /etc/* | / | /tmp/ | /run/ | /root/) cwd_share=0 ;;
esac
work=$top/build/vm/$kver-run.$$
log=${log:-$top/build/logs/vm-run-$kver.log}
mkdir -p "$work" "$(dirname "$log")"
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/vmrun/modules "$root"/{usr,etc,proc,sys,dev,tmp,run,root}

# --- initramfs: busybox, the 9p modules, vmapdemo.ko, the init -----------
cp /bin/busybox "$root/vmrun/busybox"
cp "$top/scripts/guest-run-init.sh" "$root/init"
chmod 755 "$root/init"
[ "$ko" = none ] || cp "$ko" "$root/vmrun/vmapdemo.ko"
# Debian 12 is merged-/usr: these are symlinks on the host too.
for d in bin sbin lib lib64; do
	[ -L "/$d" ] && ln -s "$(readlink "/$d")" "$root/$d"
done

# The modules to load, dependencies first, each once (modules.dep lists a
# module's dependencies; the built-in ones are simply absent from it).
declare -A seen
order=()
add_mod() {
	local m=$1 deps d
	[ -n "${seen[$m]:-}" ] && return
	seen[$m]=1
	deps=$(sed -n "s|^$m: *||p" "$mods/modules.dep")
	for d in $deps; do add_mod "$d"; done
	order+=("$m")
}
for name in virtio_pci 9pnet_virtio 9p; do
	path=$(grep -E "^[^:]*/$name\.ko(\.[a-z]+)?:" "$mods/modules.dep" | cut -d: -f1)
	[ -n "$path" ] && add_mod "$path"	# absent: built in
done
for m in "${order[@]}"; do
	base=$(basename "$m")
	case $m in
	*.ko.xz) xz -dc "$mods/$m" >"$root/vmrun/modules/${base%.xz}" ;;
	*.ko.zst) zstd -qdc "$mods/$m" >"$root/vmrun/modules/${base%.zst}" ;;
	*.ko.gz) gzip -dc "$mods/$m" >"$root/vmrun/modules/${base%.gz}" ;;
	*) cp "$mods/$m" "$root/vmrun/modules/$base" ;;
	esac
	base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
	echo "$base" >>"$root/vmrun/modules.order"
done
touch "$root/vmrun/modules.order"

# What the init needs to know, as a file (the kernel command line mangles
# quotes and spaces).
uid=$(id -u "$user") gid=$(id -g "$user")
{
	printf 'VMRUN_MODE=%q\n' "$([ "$shell" = 1 ] && echo shell || echo run)"
	printf 'VMRUN_TOP=%q\n' "$top"
	printf 'VMRUN_CWD=%q\nVMRUN_CWD_SHARE=%q\n' "$cwd" "$cwd_share"
	printf 'VMRUN_USER=%q\nVMRUN_UID=%q\nVMRUN_GID=%q\n' "$user" "$uid" "$gid"
	printf 'VMRUN_CMD=%q\n' "$cmd"
	printf 'VMRUN_TERM=%q\n' "${TERM:-vt100}"
} >"$root/vmrun/env"

initrd=$work/initramfs.cpio.gz
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$initrd"

# --- boot -------------------------------------------------------------------
share_args=(
	-virtfs "local,path=/usr,mount_tag=usr,security_model=none,readonly=on"
	-virtfs "local,path=/etc,mount_tag=etc,security_model=none,readonly=on"
	-virtfs "local,path=$top,mount_tag=top,security_model=passthrough"
)
[ "$cwd_share" = 1 ] &&
	share_args+=(-virtfs "local,path=$cwd,mount_tag=cwd,security_model=passthrough")

accel=${ACCEL:-tcg}
qemu_cmd() {	# the QEMU command line for accelerator $accel
	qemu=(qemu-system-x86_64 -accel "$("$top/scripts/accel.sh" "$accel")"
		-m "$mem" -smp 2 -no-reboot -kernel "$kimage" -initrd "$initrd"
		-display none -monitor none -pidfile "$work/qemu.pid"
		"${share_args[@]}")
}
qemu_cmd
cmdline="panic=-1 oops=panic nokaslr $append"

if [ "$shell" = 1 ]; then
	echo "vm: booting $kver with the host's userland (Ctrl-A X quits; log: $log)"
	"${qemu[@]}" -serial mon:stdio -serial null \
		-append "console=ttyS0 loglevel=4 $cmdline"
	exit $?
fi

# Run: console to the log, the command's output (ttyS1) to our stdout.
limit=()
[ "$timeout" -gt 0 ] && limit=(timeout -k 5 "$timeout")
# In the background, so that a signal to us stops QEMU too (timeout(1)
# puts it in a process group of its own).
boot() {
	local dog=
	rm -f "$work/qemu.pid"
	if [ "$accel" = kvm ]; then
		"$top/scripts/boot-watchdog.sh" "${KVM_WATCHDOG:-60}" "$log" \
			'^VMRUN: boot ' "$work/qemu.pid" &
		dog=$!
	fi
	"${limit[@]}" "${qemu[@]}" -serial "file:$log" -serial stdio \
		-append "console=ttyS0 loglevel=5 $cmdline" </dev/null &
	qpid=$!
	trap 'kill $qpid $dog 2>/dev/null; wait $qpid; rm -rf "$work"; exit 130' INT TERM
	wait $qpid
	qrc=$?
	trap - INT TERM
	if [ -n "$dog" ]; then
		kill "$dog" 2>/dev/null
		wait "$dog" 2>/dev/null
	fi
}
boot
# A KVM guest that never reached its init boots again under TCG.
if [ "$accel" = kvm ] && ! grep -q '^VMRUN: boot ' "$log"; then
	echo "vm-run.sh: the KVM guest did not boot; falling back to TCG" >&2
	accel=tcg
	qemu_cmd
	boot
fi
rc=$(sed -n 's/\r$//; s/^VMRUN: exit \([0-9][0-9]*\)$/\1/p' "$log" | tail -n 1)
if [ -z "$rc" ]; then
	echo "vm-run.sh: the guest did not report an exit status (qemu rc=$qrc; log: $log)" >&2
	tail -n 20 "$log" >&2
	exit 125
fi
exit "$rc"
