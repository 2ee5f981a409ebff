#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# vmapdemo_crashcheck_huge: the crash-consistency checker in huge mode
# (vmapdemo_crashcheck -H): a 1024-page store with store_huge=1 and
# mappings placed so that faults add PMD-size folios. Its arguments and
# environment are the checker's (VMAPDEMO_SEED, VMAPDEMO_CRASHCHECK_OPS).
exec "$(dirname "$0")/vmapdemo_crashcheck" -H "$@"
