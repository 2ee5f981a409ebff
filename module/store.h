/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store.h - what the files of a store (/dev/vmapdemo-storeN) share: its
 * structures, the design they implement and the lock order.
 *
 * A store is a byte array that maps, reads and writes like a file. Its
 * code is split by concern:
 *
 *   store.c            node lifecycle (init, exit, open, release) and the
 *                      file operations: read, write, lseek, size, ioctls
 *   store_fault.c      the fault path: ->fault, ->page_mkwrite, the
 *                      address_space operations, mmap
 *   store_writeback.c  writeback, sync, fsync, INVALIDATE, the background
 *                      worker and the simulated crash
 *   pages.c            the backing tier (struct vd_pages; also behind the
 *                      /dev/vmapdemo shared objects)
 *
 * A store has two tiers: a cache, which mappings, read() and write() use,
 * and a backing store (struct vd_pages, pages.c), the simulated medium
 * that only writeback writes (sync ioctl, ->fsync, the background worker)
 * and that a simulated crash falls back to. See "Store msync and crash" in
 * the uapi header.
 *
 * The cache is the page cache of the store's own inode: every open of the
 * store gets the same address_space, that of an inode on the module's
 * pseudo fs (the DRM and /dev/mem pattern), whose i_pages holds the
 * cache's folios. So the kernel manages them as any file's page cache:
 * charged to the memcg of the task that brought them in, on the LRU,
 * reclaimed when clean (there is no ->writepage nor ->writepages, so
 * reclaim never writes a dirty folio: it keeps it), dirty state in
 * PG_dirty and the mapping's dirty tag, write-protection for writeback by
 * folio_mkclean(), truncation by truncate_inode_pages(), fault-around by
 * filemap_map_pages(). VMAs are linked into the i_mmap tree of that one
 * mapping, so unmap_mapping_range() reaches every mapping of the store in
 * every process, and a process-shared futex keys on a real page-cache
 * folio. Why the store's own mapping and not a shmem file behind it (the
 * drm_gem_shmem model): the store writes its dirty pages back to its own
 * medium and reads them in from it, and a shmem mapping's pages belong to
 * shmem, which writes them to swap; only a mapping whose address_space
 * operations are the store's lets it decide how a page is filled and what
 * is clean.
 *
 * Mappings: ->fault finds the folio in the mapping or adds one
 * (filling it from the medium, or with zeros where the medium has no
 * page) and returns it locked; ->map_pages is filemap_map_pages(), which
 * maps the neighbours already in the cache without calling ->fault.
 * MAP_SHARED mappings are write-notify mappings (we have ->page_mkwrite),
 * so a shared page is first mapped read-only and its first write goes
 * through ->page_mkwrite, which marks the folio dirty. MAP_PRIVATE needs
 * nothing: read faults map the store page read-only, write faults are
 * copied by the core (do_cow_fault()/wp_page_copy()). A private mapping
 * therefore sees later changes of the store on every page it has not
 * written, and its own copy of a page from its first write on, as with a
 * regular file on Linux. Sharing is never decided here: the core chooses
 * between do_shared_fault() and do_cow_fault() on VM_SHARED, and a
 * MAP_SHARED mapping of an O_RDONLY fd (VM_MAYSHARE without VM_SHARED)
 * cannot be written, so mapping the store's pages read-only into it keeps
 * it coherent.
 *
 * Large folios (the store_huge parameter): ->fault, read() and write()
 * add a PMD-size folio where the aligned 2 MiB around the page is inside
 * the store (vd_store_huge_order(); not for a fault in a MADV_NOHUGEPAGE
 * VMA), and the core maps it with one PMD where the VMA is aligned to
 * match. A large folio has one
 * dirty bit: a sync copies exactly its range's pages of it and cleans it
 * only when it covers the folio (vd_store_writeback_folio()). No large
 * folio ever reaches past the end of the store: a shrink into one replaces
 * it by small folios first (vd_store_demote(), which says why).
 *
 * Every folio in the mapping is uptodate once unlocked: only this file
 * adds folios (there is no ->read_folio, so readahead adds none), and it
 * fills a folio under the folio lock before anyone else can lock it.
 *
 * Locking, outermost first:
 *
 *   st->lock (mutex)                write(), resize: size changes
 *   st->wb_lock (mutex)             writebacks (sync, fsync, worker,
 *                                   INVALIDATE), shrink; never taken under
 *                                   mmap_lock (msync drops it before
 *                                   ->fsync)
 *     mmap_lock                     (a user copy in write() may fault)
 *       invalidate_lock             shared: ->fault when it adds a folio
 *                                   or the page is past the end,
 *                                   ->page_mkwrite, folio lookup in
 *                                   read() and write(), the crash check
 *                                   of a sync; exclusive: shrink, crash,
 *                                   INVALIDATE (they remove folios)
 *         folio lock                ->fault until the PTE is installed
 *                                   (VM_FAULT_LOCKED), ->page_mkwrite until
 *                                   the PTE is writable, write() around its
 *                                   atomic copy and dirty mark, writeback
 *                                   around clear-dirty/write-protect/copy,
 *                                   removal of a folio (truncation,
 *                                   reclaim)
 *           i_mmap_rwsem            unmap_mapping_range(),
 *                                   folio_mkclean()
 *             i_pages lock          the page cache's own
 *
 * This is the order of mm/filemap.c (i_rwsem -> mmap_lock ->
 * invalidate_lock -> folio lock -> i_mmap_rwsem -> i_pages lock) with
 * st->lock in place of i_rwsem. st->lock is never taken in a fault path,
 * so write() may hold it across a user copy. Nothing holds
 * invalidate_lock or a folio lock across a user copy that may fault:
 * read() copies with only a folio reference; write() faults the source in
 * first and copies with page faults disabled under the folio lock, so
 * write(fd, p, n) with p mapping the same page of the store cannot
 * deadlock.
 *
 * ->fault finds a folio already in the cache as filemap_fault() does,
 * under the folio lock alone: the lookup checks folio->mapping under it,
 * and every removal (truncation, crash, INVALIDATE, reclaim) takes that
 * lock, so it waits for the fault to install its PTE and then unmaps it.
 * It takes invalidate_lock only to add a folio (filling it from the
 * medium) or to return SIGBUS, and for a folio that reaches past the
 * size, which a shrink is taking out.
 *
 * Shrinking: with invalidate_lock held exclusively no ->fault can add a
 * folio; the size is set first (->fault, filemap_map_pages() and
 * ->page_mkwrite check it, under the folio lock), then
 * truncate_pagecache()'s steps: unmap past the end (private copies too),
 * truncate_inode_pages(), which removes each folio under its lock
 * (waiting for a fault that returned it to install its PTE, and for a
 * writeback copying it), unmap again. A folio still pinned (GUP) by then
 * keeps its pinner's reference and is freed by the last one: the page
 * cache only drops its own.
 *
 * Reclaim: a clean folio (the medium holds the same bytes, or holds no
 * page and the folio is all zeros: read or faulted in but never written)
 * is only a copy of the medium, so the kernel's LRU reclaims it like any
 * clean page cache (unmapping it first if it is mapped), and the next
 * fault or read() reads it in again (a major fault). A dirty folio is
 * never reclaimed: vmscan's pageout() activates a dirty folio of a
 * mapping without ->writepage (6.1, 6.12) and writes back only shmem and
 * swap folios on 7.x. Nothing in the store waits for reclaim nor takes a
 * lock under it: the private shrinker and its trylocks are gone.
 *
 * The store's inode is on the noop backing_dev_info of the pseudo fs, so
 * mapping_can_writeback() is false: the kernel's flusher never sees the
 * store (its writeback is the store's own, below), the folios are not
 * counted in NR_FILE_DIRTY nor throttled by balance_dirty_pages(), and
 * folio_clear_dirty_for_io() only clears PG_dirty: the writeback calls
 * folio_mkclean() itself.
 *
 * 6.12 runs ->fault and ->page_mkwrite under the per-VMA lock alone when
 * the VMA has ->map_pages (vmf_can_call_fault()). That is safe here: the
 * handlers use only the VMA's own fields, the store (which lives as long
 * as the module, pinned by vm_file) and the locks above, never mmap_lock
 * nor another VMA.
 */
#ifndef _VMAPDEMO_STORE_H
#define _VMAPDEMO_STORE_H

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/workqueue.h>

#include "vmapdemo.h"
#include "vmapdemo_trace.h"

/*
 * Counters of one store, reported in struct vmapdemo_store_info (same
 * names). Independent atomics, read without a snapshot.
 */
struct vd_store_stats {
	atomic64_t pages_alloc;
	atomic64_t faults_read;
	atomic64_t faults_write;
	atomic64_t faults_cow;
	atomic64_t faults_mkwrite;
	atomic64_t faults_sigbus;
	atomic64_t reads;
	atomic64_t writes;
	atomic64_t resizes;
	atomic64_t pages_written;
	atomic64_t syncs;
	atomic64_t crashes;
	atomic64_t crash_dropped;
	atomic64_t dirty_at_last_close;
	atomic64_t faults_major;
	atomic64_t pages_invalidated;
	atomic64_t pages_removed;
};

/**
 * struct vd_store - one /dev/vmapdemo-storeN
 * @misc: the device node
 * @name: its name
 * @index: N
 * @inode: inode on the pseudo fs whose i_mapping is every open's
 *	f_mapping and holds the cache (see the top of the file); its i_size
 *	follows @size
 * @lock: serializes changes of @size (write() and resize); see the lock
 *	order at the top of this file
 * @size: size in bytes. Written under @lock and, when shrinking, under the
 *	mapping's invalidate_lock held exclusively; read with READ_ONCE().
 *	A fault checks it under the folio lock (and under invalidate_lock
 *	shared when it adds a folio): a shrink sets it before it truncates,
 *	so a page past the new end that a fault maps meanwhile is unmapped
 *	by the truncation, as for a regular file.
 * @backing: the simulated medium: a page here is only written under the
 *	folio lock of the cache folio at the same index, and only read to
 *	fill a cache folio just added, under its lock
 * @wb_lock: serializes writebacks (sync, fsync, background, INVALIDATE),
 *	so that a sync that finds a folio already being written back waits
 *	for it, and keeps them out of a shrink, which may replace a large
 *	folio; taken outside invalidate_lock, never under mmap_lock
 * @wb_work: background writeback, and the writeback an ASYNC sync starts
 * @sync_gen: completed synchronous syncs
 * @crash_gen: crashes; a file whose @crash_seen differs gets EIO once
 * @opens: open files, for the dirty_at_last_close counter
 * @stats: counters
 *
 * A store lives from module init to module exit; open files pin the module
 * (fops owner) and every VMA pins its file, so no reference count is needed.
 */
struct vd_store {
	struct miscdevice misc;
	char name[32];
	unsigned int index;
	struct inode *inode;
	struct mutex lock;	/* size changes; order: top of file */
	loff_t size;
	struct vd_pages backing;
	struct mutex wb_lock;	/* writebacks; order: top of file */
	struct delayed_work wb_work;
	atomic64_t sync_gen;
	atomic64_t crash_gen;
	atomic_t opens;
	struct vd_store_stats stats;
};

/**
 * struct vd_store_file - one open file of a store
 * @st: the store
 * @crash_seen: the store's crash_gen when this file last synced or was
 *	opened (like file->f_wb_err for writeback errors)
 */
struct vd_store_file {
	struct vd_store *st;
	u64 crash_seen;
};

static inline struct vd_store *vd_store_of(struct file *file)
{
	struct vd_store_file *sf = file->private_data;

	return sf->st;
}

static inline struct address_space *vd_store_mapping(struct vd_store *st)
{
	return st->inode->i_mapping;
}

static inline loff_t vd_store_size(struct vd_store *st)
{
	return READ_ONCE(st->size);
}

static inline pgoff_t vd_store_nr_pages(struct vd_store *st)
{
	return DIV_ROUND_UP_ULL(vd_store_size(st), PAGE_SIZE);
}

static inline void vd_store_set_size(struct vd_store *st, loff_t size)
{
	WRITE_ONCE(st->size, size);
	i_size_write(st->inode, size);
}

/* Pages in the cache (nrpages counts the pages of large folios too). */
static inline unsigned long vd_store_nr_cached(struct vd_store *st)
{
	return READ_ONCE(vd_store_mapping(st)->nrpages);
}

/* store.c */
unsigned long vd_store_note_removed(struct vd_store *st, unsigned long before);
unsigned int vd_store_writeback_age(void);
bool vd_store_huge(void);

/* store_fault.c */
extern const struct address_space_operations vd_store_aops;
struct folio *vd_store_get_folio(struct vd_store *st, pgoff_t index,
				 bool huge, bool create, bool *major);
#ifdef VD_HAVE_MMAP_PREPARE
int vd_store_mmap_prepare(struct vm_area_desc *desc);
#else
int vd_store_mmap(struct file *file, struct vm_area_struct *vma);
#endif

/* store_writeback.c */
int vd_store_sync(struct vd_store *st, struct vd_store_file *sf,
		  pgoff_t first, pgoff_t last, u64 *written,
		  enum vd_trace_wb_reason reason);
int vd_store_invalidate(struct vd_store *st, struct vd_store_file *sf,
			pgoff_t first, pgoff_t last, u64 *written);
unsigned long vd_store_crash(struct vd_store *st);
void vd_store_wb_work(struct work_struct *work);

#endif /* _VMAPDEMO_STORE_H */
