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
 * @faults_write: write faults on shared mappings
 * @faults_cow: write faults on private mappings (the core copies the page)
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

/**
 * DOC: Store nodes
 *
 * ``/dev/vmapdemo-store0`` to ``/dev/vmapdemo-store<N-1>`` (N = module
 * parameter ``nr_stores``, default 2, at most %VMAPDEMO_STORE_MAX_NR) are
 * byte arrays that read, write and map like a regular file and live while
 * the module is loaded. A store is sparse: a page never written costs no
 * memory and reads as zeros. Its initial size is the module parameter
 * ``store_size`` (default 16 MiB); it can be grown or shrunk with
 * %VMAPDEMO_STORE_IOC_SET_SIZE up to ``store_max_size`` (default 64 GiB, at
 * most %VMAPDEMO_STORE_MAX_SIZE). The nodes have mode 0600: a store is
 * shared by every process that can open it, so by default only root.
 *
 * Errors of read/write/lseek: a negative or overflowing offset gives
 * ``EINVAL``; a write at or past ``store_max_size`` gives ``EFBIG`` (a write
 * that crosses it is short); ``lseek()`` past ``store_max_size`` gives
 * ``EINVAL``; ``SEEK_DATA``/``SEEK_HOLE`` at or past the end give ``ENXIO``.
 * A failed call leaves the store as it was.
 */
#define VMAPDEMO_STORE_NAME_PREFIX	"vmapdemo-store"
/* Most store nodes the module creates. */
#define VMAPDEMO_STORE_MAX_NR		16
/* Largest store_max_size the module accepts: 1 TiB. */
#define VMAPDEMO_STORE_MAX_SIZE		(1ULL << 40)

/**
 * struct vmapdemo_store_info - what a store is and what it has done
 * @size: (in) sizeof(struct vmapdemo_store_info) as the caller knows it
 * @flags: (in) must be 0
 * @store_size: current size in bytes (like st_size of a file)
 * @max_size: the size this store cannot grow past (``store_max_size``)
 * @resident_pages: pages of the store held in memory now; a page never
 *	written (nor faulted) and every page past the end holds none
 * @index: N of ``/dev/vmapdemo-storeN``
 * @__reserved: always 0
 * @pages_alloc: pages allocated since the module loaded
 * @pages_freed: pages dropped by shrinking (or, later, by crash and
 *	invalidation); a page still mapped or pinned somewhere is freed
 *	when its last user goes
 * @faults_read: read faults served (shared and private mappings)
 * @faults_write: write faults on shared mappings that found no page mapped
 * @faults_cow: write faults on private mappings (the core copies the page)
 * @faults_mkwrite: first writes to a page mapped read-only by a shared
 *	mapping (->page_mkwrite)
 * @faults_sigbus: faults refused with SIGBUS (at or past the end)
 * @reads: read(), pread() and readv() calls
 * @writes: write(), pwrite() and writev() calls
 * @resizes: successful %VMAPDEMO_STORE_IOC_SET_SIZE calls
 */
struct vmapdemo_store_info {
	__u32 size;
	__u32 flags;
	__u64 store_size;
	__u64 max_size;
	__u64 resident_pages;
	__u32 index;
	__u32 __reserved;
	__u64 pages_alloc;
	__u64 pages_freed;
	__u64 faults_read;
	__u64 faults_write;
	__u64 faults_cow;
	__u64 faults_mkwrite;
	__u64 faults_sigbus;
	__u64 reads;
	__u64 writes;
	__u64 resizes;
};

/**
 * VMAPDEMO_STORE_IOC_GET_INFO - read a store's size and counters
 *
 * On any fd of a store node. Takes a struct vmapdemo_store_info; fills it.
 */
#define VMAPDEMO_STORE_IOC_GET_INFO	_IO(VMAPDEMO_IOC_MAGIC, 0x10)

/**
 * struct vmapdemo_store_resize - set a store's size, like ftruncate()
 * @size: (in) sizeof(struct vmapdemo_store_resize) as the caller knows it
 * @flags: (in) must be 0
 * @new_size: (in) the new size in bytes, any value from 0 to the store's
 *	@max_size; need not be page aligned
 */
struct vmapdemo_store_resize {
	__u32 size;
	__u32 flags;
	__u64 new_size;
};

/**
 * VMAPDEMO_STORE_IOC_SET_SIZE - grow or shrink a store
 *
 * On a store fd opened for writing (else ``EBADF``). Takes a struct
 * vmapdemo_store_resize. Shrinking removes the pages past the new end from
 * every mapping of the store in every process, private copies of them
 * included (a later access there gets SIGBUS), frees them (a page still
 * pinned, e.g. by O_DIRECT, is freed when unpinned) and zeroes the rest of
 * a partial last page; growing adds zeros. ``EFBIG`` if @new_size is
 * larger than the store's maximum (``EINVAL`` if it is larger than
 * ``LLONG_MAX``); ``EINTR`` if a signal arrived while waiting for a write.
 */
#define VMAPDEMO_STORE_IOC_SET_SIZE	_IO(VMAPDEMO_IOC_MAGIC, 0x11)

#endif /* _UAPI_LINUX_VMAPDEMO_H */
