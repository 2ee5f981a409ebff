#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# usage: scripts/accel.sh [ACCEL]: the value of QEMU's -accel option for
# the test VM's accelerator (the ACCEL variable; default tcg).
#
#   tcg    single-threaded TCG: both vCPUs take turns on one host thread.
#   mttcg  multi-threaded TCG: a host thread per vCPU (QEMU's own default).
#   kvm    KVM (opt-in; vm.sh and vm-run.sh fall back to tcg when the
#          guest does not boot: scripts/boot-watchdog.sh).
#
# Why tcg is single-threaded: under multi-threaded TCG, QEMU 7.2 (Debian
# 12's) now and then lets a vCPU run code another vCPU has just patched
# back from the int3 of text_poke_bp() (static keys, alternatives): the
# guest takes "Oops: int3" in kernel text it never broke into, with
# oops=panic a dead guest.  Seen during boot, before vmapdemo is loaded, in
# 2 of 228 boots of 6.12 beside two other guests, 0 of 195 with one thread
# (too rare to prove much: the reason is that with one thread no vCPU runs
# while another patches code); a 6.12 check run took 82 s with either.
case ${1:-tcg} in
tcg) echo tcg,thread=single ;;
mttcg) echo tcg,thread=multi ;;
*) echo "$1" ;;
esac
