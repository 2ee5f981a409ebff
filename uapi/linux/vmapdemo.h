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

/**
 * DOC: ioctl conventions
 *
 * Every vmapdemo ioctl takes a pointer to a struct whose first member is
 * ``__u32 size``, the size of the struct as the caller knows it, and whose
 * second is ``__u32 flags``. The command number does not encode the size
 * (``_IO()``), so a struct can grow at its end without a new command, as in
 * iommufd:
 *
 * - ``size`` smaller than the first version of the struct: ``EINVAL``;
 * - ``size`` larger than the kernel's struct: accepted if every byte the
 *   kernel does not know is zero, else ``E2BIG``; output is written up to
 *   the smaller of the two sizes;
 * - a flag the kernel does not know: ``EINVAL``; a reserved field that is
 *   not zero: ``EINVAL``;
 * - an unknown command: ``ENOTTY``; a bad pointer: ``EFAULT``.
 *
 * Command numbers: 0x00-0x0f for /dev/vmapdemo, 0x10-0x1f for store nodes,
 * 0x20-0x2f for msync and crash on store nodes.
 */

/**
 * struct vmapdemo_stats - counters of /dev/vmapdemo since the module loaded
 * @size: (in) sizeof(struct vmapdemo_stats) as the caller knows it
 * @flags: (in) must be 0
 * @faults_read: read faults served, private and shared
 * @faults_write: write faults on shared mappings (a page's first touch by
 *	a write; a write to a page already mapped for reading is completed
 *	by the core without a fault of ours)
 * @faults_cow: write faults on private mappings (the core copies the zero
 *	page; a write to a page already mapped for reading is copied by the
 *	core without a fault of ours)
 * @faults_sigbus: faults refused with SIGBUS (past the end of an object)
 * @pages_alloc: pages allocated for shared objects
 * @pages_freed: pages released by shared objects; @pages_alloc minus
 *	@pages_freed is the number of pages the shared objects hold now
 * @objects_live: shared objects alive (one per MAP_SHARED mmap call,
 *	until its last mapping goes)
 * @objects_created: shared objects ever created
 * @mappings_live: VMAs of /dev/vmapdemo alive, private and shared
 *
 * Private mappings allocate no pages of the module's: a read maps the
 * module's single zero page, a write gets an anonymous copy from the core.
 */
struct vmapdemo_stats {
	__u32 size;
	__u32 flags;
	__u64 faults_read;
	__u64 faults_write;
	__u64 faults_cow;
	__u64 faults_sigbus;
	__u64 pages_alloc;
	__u64 pages_freed;
	__u64 objects_live;
	__u64 objects_created;
	__u64 mappings_live;
};

/**
 * VMAPDEMO_IOC_GET_STATS - read the counters of /dev/vmapdemo
 *
 * On any fd of /dev/vmapdemo. Takes a struct vmapdemo_stats; fills it.
 */
#define VMAPDEMO_IOC_GET_STATS	_IO(VMAPDEMO_IOC_MAGIC, 0x00)

#endif /* _UAPI_LINUX_VMAPDEMO_H */
