/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmapdemo.h - types and prototypes shared between the module's files.
 */
#ifndef _VMAPDEMO_H
#define _VMAPDEMO_H

#include <linux/fs.h>
#include <linux/miscdevice.h>

#include "compat.h"

#define VMAPDEMO_VERSION	"0.1.0"

#endif /* _VMAPDEMO_H */
