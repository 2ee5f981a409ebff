// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - creates vmapdemo's tracepoints (vmapdemo_trace.h).
 *
 * define_trace.h includes the header again by TRACE_INCLUDE_PATH, which is
 * relative to the include path: module/Kbuild adds this directory to it for
 * this one file.
 */
#define CREATE_TRACE_POINTS
#include "vmapdemo_trace.h"
