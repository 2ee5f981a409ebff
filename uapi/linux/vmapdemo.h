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
 *   the smaller of the two sizes; ``size`` larger than the page size:
 *   ``E2BIG`` whatever the bytes;
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
 * @faults_cow: write faults on private mappings that found no page mapped
 *	(each maps the kernel's zero page and has the write retried; the
 *	core's write-protect fault then gives the private copy, as it does
 *	for a write to a page already mapped to the zero page, after a read
 *	or by fault-around, which takes no fault of ours)
 * @faults_sigbus: faults refused with SIGBUS (past the end of an object)
 * @pages_alloc: pages the shared objects' faults found absent from their
 *	shmem page cache and brought in (allocated zero-filled, or read back
 *	from swap); a huge folio counts all its pages
 * @pages_freed: @pages_alloc of the shared objects that went; @pages_alloc
 *	minus @pages_freed bounds what the live shared objects hold (less if
 *	some were swapped out)
 * @objects_live: shared objects alive (one per MAP_SHARED mmap call,
 *	until its last mapping goes)
 * @objects_created: shared objects ever created
 * @mappings_live: always 0 now. It counted VMAs through
 *	vm_ops->open and ->close; a VMA with ->close never merges with its
 *	neighbours, so the handlers went and /proc/pid/maps is where VMAs
 *	are counted. The field stays so that the struct's size does not
 *	change.
 *
 * Private mappings allocate no pages of the module's: a fault maps the
 * kernel's zero page (into the 16-page window around the fault), a write
 * gets an anonymous copy from the core. A shared object's pages are a
 * shmem file's, as /dev/zero's are.
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
#define VMAPDEMO_STORE_MAX_SIZE		0x10000000000ULL

/**
 * struct vmapdemo_store_info - what a store is and what it has done
 * @size: (in) sizeof(struct vmapdemo_store_info) as the caller knows it
 * @flags: (in) must be 0
 * @store_size: current size in bytes (like st_size of a file)
 * @max_size: the size this store cannot grow past (``store_max_size``)
 * @resident_pages: pages of the store held in memory now; a page never
 *	written (nor faulted) and every page past the end holds none, and
 *	memory reclaim may take clean pages (see @pages_reclaimed)
 * @index: N of ``/dev/vmapdemo-storeN``
 * @__reserved: always 0
 * @pages_alloc: pages added to the cache since the module loaded
 * @pages_freed: pages that left the cache (@pages_alloc minus
 *	@resident_pages): by shrinking, by a crash, by invalidation or by
 *	reclaim; a page still mapped or pinned somewhere is freed when its
 *	last user goes
 * @faults_read: read faults served by ->fault (shared and private
 *	mappings; fault-around maps cached neighbours without one)
 * @faults_write: write faults on shared mappings that found no page mapped
 * @faults_cow: write faults on private mappings (the core copies the page)
 * @faults_mkwrite: first writes to a page mapped read-only by a shared
 *	mapping (->page_mkwrite)
 * @faults_sigbus: faults refused with SIGBUS (at or past the end)
 * @reads: read(), pread() and readv() calls
 * @writes: write(), pwrite() and writev() calls
 * @resizes: successful %VMAPDEMO_STORE_IOC_SET_SIZE calls
 *
 * The fields below were added with msync and crash (see "Store msync and
 * crash"); a caller that knows only the fields above passes the smaller
 * size and gets those.
 *
 * @backing_pages: pages the backing store (the simulated medium) holds
 * @dirty_pages: resident pages whose content the backing store has not
 *	seen yet
 * @pages_written: pages copied to the backing store (by syncs, fsync,
 *	background writeback and %VMAPDEMO_STORE_SYNC_ASYNC)
 * @syncs: completed synchronous syncs (%VMAPDEMO_STORE_IOC_SYNC with
 *	%VMAPDEMO_STORE_SYNC_SYNC or %VMAPDEMO_STORE_SYNC_INVALIDATE,
 *	fsync(), fdatasync(), msync(MS_SYNC))
 * @sync_gen: rises by one with every completed synchronous sync
 * @crashes: %VMAPDEMO_STORE_IOC_CRASH calls
 * @crash_gen: rises by one with every crash
 * @crash_dropped: dirty pages thrown away by crashes
 * @dirty_at_last_close: pages dirtied and not written back when the
 *	store's last open file was closed (a last close does not write back)
 * @faults_major: pages read in from the backing store (by a fault or a
 *	read()/write()) after a crash, an invalidation or reclaim dropped
 *	them
 * @pages_invalidated: clean pages dropped by %VMAPDEMO_STORE_SYNC_INVALIDATE
 *
 * Added with reclaim; a caller that passes the size without it gets the
 * fields above.
 *
 * @pages_reclaimed: clean pages the kernel took from the store's cache
 *	(page cache: LRU reclaim under memory pressure, drop_caches), that
 *	is @pages_freed less those the store removed itself; their content
 *	is in the backing store (or was zeros) and is read in again on the
 *	next access
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
	__u64 backing_pages;
	__u64 dirty_pages;
	__u64 pages_written;
	__u64 syncs;
	__u64 sync_gen;
	__u64 crashes;
	__u64 crash_gen;
	__u64 crash_dropped;
	__u64 dirty_at_last_close;
	__u64 faults_major;
	__u64 pages_invalidated;
	__u64 pages_reclaimed;
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
 * ``LLONG_MAX``); ``EINTR`` if a signal arrived while waiting for a write(),
 * a sync (shrinking only) or another resize in progress (the size is
 * unchanged, and the call is not restarted, even for a handler installed
 * with SA_RESTART); ``EBUSY`` (only with the ``store_huge`` parameter) if
 * the new end falls inside a 2 MiB folio that is pinned (GUP) in some
 * mapping (the size is unchanged).
 */
#define VMAPDEMO_STORE_IOC_SET_SIZE	_IO(VMAPDEMO_IOC_MAGIC, 0x11)

/**
 * DOC: Store msync and crash
 *
 * A store has two tiers: the pages that mappings, read() and write() use
 * (the cache) and a backing store (the simulated medium). A page becomes
 * dirty on its first write through a shared mapping or by write(), and is
 * copied to the backing store only by a sync (%VMAPDEMO_STORE_IOC_SYNC,
 * fsync(), fdatasync(), msync(MS_SYNC)) or by background writeback (module
 * parameter ``writeback_age_ms``, default 30000, 0 = off: a page dirty for
 * longer than that is written back within about as long again). Closing
 * the last file does not write back. %VMAPDEMO_STORE_IOC_CRASH throws away
 * every page not written back; the store then reads as the backing store.
 *
 * Persistence properties: a page is written back atomically (a crash
 * leaves each page of the backing store as it was before or after a given
 * writeback, never a mix); a sync returns only when every page of its
 * range that was dirty when it started is in the backing store; a crash
 * during a sync leaves each page old or new, and that sync (and the next
 * synchronous sync on every other file open at the time of the crash)
 * fails with ``EIO``, as fsync() reports a writeback error once per open
 * file.
 * Every path that writes a page makes it dirty: a write through a shared
 * mapping, write() and friends, and writes through GUP (process_vm_writev(),
 * /proc/pid/mem, ptrace, O_DIRECT), which the kernel reports with
 * folio_mark_dirty() when they are done. A page pinned (FOLL_PIN) while a
 * sync copies it stays dirty, so a write through a pin is durable once a
 * sync that started after it has returned. write() with O_SYNC, O_DSYNC,
 * RWF_SYNC or RWF_DSYNC writes its range back before it returns; O_APPEND
 * and RWF_APPEND write at the end. What a shared mapping writes past the
 * end of the store within its last page never reaches the backing store,
 * and reads as zeros once the store grows over it.
 *
 * The cache is page cache: under memory pressure the kernel reclaims its
 * clean pages as any file's; the next access reads them in again from the
 * backing store (``pages_reclaimed`` in struct vmapdemo_store_info).
 * Dirty pages are never reclaimed.
 */

/* Wait until the range is in the backing store (msync MS_SYNC). */
#define VMAPDEMO_STORE_SYNC_SYNC	0x1U
/* Start writeback of the range and return (msync MS_ASYNC). */
#define VMAPDEMO_STORE_SYNC_ASYNC	0x2U
/* Write back, then drop the cached pages of the range (MS_INVALIDATE). */
#define VMAPDEMO_STORE_SYNC_INVALIDATE	0x4U

/**
 * struct vmapdemo_store_sync - write back (part of) a store, like msync()
 * @size: (in) sizeof(struct vmapdemo_store_sync) as the caller knows it
 * @flags: (in) %VMAPDEMO_STORE_SYNC_SYNC or %VMAPDEMO_STORE_SYNC_ASYNC (not
 *	both; neither acts as ASYNC, as msync() with flags 0 does on
 *	Linux), optionally with %VMAPDEMO_STORE_SYNC_INVALIDATE, which always
 *	writes back synchronously and then drops the range's clean cached
 *	pages, so that every mapping and read() sees the backing store
 * @offset: (in) first byte of the range; a multiple of the page size
 * @length: (in) length of the range in bytes; 0 = to the end of the store
 * @pages_written: (out) pages this call copied to the backing store (0 for
 *	ASYNC, whose writeback runs after the call returns)
 * @sync_gen: (out) the store's sync generation after the call
 */
struct vmapdemo_store_sync {
	__u32 size;
	__u32 flags;
	__u64 offset;
	__u64 length;
	__u64 pages_written;
	__u64 sync_gen;
};

/**
 * VMAPDEMO_STORE_IOC_SYNC - msync() for a store byte range
 *
 * On any fd of a store node. Takes a struct vmapdemo_store_sync. Errors,
 * in the order they can happen; the first three before anything is done,
 * the others only from a synchronous sync (SYNC or INVALIDATE):
 *
 * - ``EINVAL``: an unknown flag, SYNC together with ASYNC, an offset that
 *   is not page aligned;
 * - ``EOVERFLOW``: @offset + @length overflows or exceeds ``LLONG_MAX``;
 * - ``ENXIO``: the range goes past the end of the store (rounded up to a
 *   page), or @offset is past the end;
 * - ``EINTR``: a fatal signal arrived while waiting for the store's
 *   writeback lock (another sync or background writeback held it); nothing
 *   was written, and the process dies before it can see the error;
 * - ``EBUSY``: INVALIDATE over a range with a page that is mlock()ed or
 *   pinned (GUP) in some mapping; nothing was written, unless the pin was
 *   taken while INVALIDATE ran: then the range was written back and the
 *   pinned page stays cached, dirty;
 * - ``ENOMEM``: the backing store could not get a page, partway through:
 *   the pages copied before it stay in the backing store, the rest stay
 *   dirty and INVALIDATE drops nothing; @pages_written and @sync_gen are
 *   not filled in, and a crash is left for the next sync to report;
 * - ``EIO``: the store crashed since this file was opened or last reported
 *   a crash. Reported once, after the writeback was done (the range is in
 *   the backing store, and INVALIDATE dropped its cached pages);
 *   @pages_written and @sync_gen are not filled in. The next sync succeeds
 *   unless the store crashes again.
 */
#define VMAPDEMO_STORE_IOC_SYNC		_IO(VMAPDEMO_IOC_MAGIC, 0x20)

/**
 * struct vmapdemo_store_crash - simulate a crash of a store's medium
 * @size: (in) sizeof(struct vmapdemo_store_crash) as the caller knows it
 * @flags: (in) must be 0
 * @pages_dropped: (out) dirty pages thrown away
 * @crash_gen: (out) the store's crash generation after the crash
 */
struct vmapdemo_store_crash {
	__u32 size;
	__u32 flags;
	__u64 pages_dropped;
	__u64 crash_gen;
};

/**
 * VMAPDEMO_STORE_IOC_CRASH - throw away everything not written back
 *
 * On a store fd opened for writing (``EBADF`` otherwise; the node's mode
 * decides who may open it so, by default only root). Every page not
 * written back is dropped, every cached page is dropped, every shared
 * mapping of the store (and the pages of private mappings not yet copied)
 * is zapped, and the next read or fault sees the backing store. Private
 * copies already made stay with their process. The size is not part of
 * the medium and stays. Takes a struct vmapdemo_store_crash.
 */
#define VMAPDEMO_STORE_IOC_CRASH	_IO(VMAPDEMO_IOC_MAGIC, 0x21)

#endif /* _UAPI_LINUX_VMAPDEMO_H */
