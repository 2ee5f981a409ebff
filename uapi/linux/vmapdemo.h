/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmapdemo: a mappable character device with /dev/zero-style and
 * file-style mmap semantics, served by its own fault handler.
 *
 * This header is the module's whole userspace contract. It includes only
 * <linux/types.h> and <linux/ioctl.h> and compiles as C90 and C++.
 */
#ifndef _UAPI_LINUX_VMAPDEMO_H
#define _UAPI_LINUX_VMAPDEMO_H

#include <linux/types.h>
#include <linux/ioctl.h>

/**
 * DOC: Device nodes
 *
 * ``/dev/vmapdemo`` (mode 0666, a misc device with a dynamic minor) maps
 * like ``/dev/zero``.
 */
#define VMAPDEMO_DEV_NAME	"vmapdemo"

/*
 * ioctl magic 0xB9: unused in
 * Documentation/userspace-api/ioctl/ioctl-number.rst as of Linux 6.12.
 */
#define VMAPDEMO_IOC_MAGIC	0xB9

#endif /* _UAPI_LINUX_VMAPDEMO_H */
