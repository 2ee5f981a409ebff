#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmapdemo_stress_huge: vmapdemo_stress with its store phase in huge mode
# (VD_STORE_HUGE=1): store_huge on, a store of up to two 2 MiB folios, and
# shrinks into the folio the writers share with the resizer's zone while
# they write. Its other variables are vmapdemo_stress's.
VD_STORE_HUGE=1 exec "$(dirname "$0")/vmapdemo_stress" "$@"
