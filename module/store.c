// SPDX-License-Identifier: GPL-2.0
/*
 * store.c - /dev/vmapdemo-storeN: byte arrays that map, read and write like
 * a file.
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
 * Every folio in the mapping is uptodate once unlocked: only this file
 * adds folios (there is no ->read_folio, so readahead adds none), and it
 * fills a folio under the folio lock before anyone else can lock it.
 *
 * Locking, outermost first:
 *
 *   st->lock (mutex)                write(), resize: size changes
 *   st->wb_lock (mutex)             writebacks (sync, fsync, worker,
 *                                   INVALIDATE); never taken under
 *                                   mmap_lock (msync drops it before
 *                                   ->fsync)
 *     mmap_lock                     (a user copy in write() may fault)
 *       invalidate_lock             shared: ->fault, folio lookup in read()
 *                                   and write(), the crash check of a sync;
 *                                   exclusive: shrink, crash, INVALIDATE
 *                                   (they remove folios)
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
 * Shrinking: with invalidate_lock held exclusively no ->fault can add a
 * folio; the size is set first (filemap_map_pages() and ->page_mkwrite
 * check it, under the folio lock), then truncate_pagecache()'s steps:
 * unmap past the end (private copies too), truncate_inode_pages(), which
 * removes each folio under its lock (waiting for a fault that returned
 * it to install its PTE, and for a writeback copying it), unmap again. A
 * folio still pinned (GUP) by then keeps its pinner's reference and is
 * freed by the last one: the page cache only drops its own.
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
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/migrate.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <linux/writeback.h>

#include <linux/vmapdemo.h>

#include "vmapdemo.h"
#include "vmapdemo_trace.h"

static unsigned int nr_stores = 2;
module_param(nr_stores, uint, 0444);
MODULE_PARM_DESC(nr_stores, "number of /dev/vmapdemo-storeN nodes (0-16, default 2)");

static unsigned long long store_size = 16ULL << 20;
module_param(store_size, ullong, 0444);
MODULE_PARM_DESC(store_size, "initial size of each store in bytes (default 16 MiB)");

static unsigned long long store_max_size = 64ULL << 30;
module_param(store_max_size, ullong, 0444);
MODULE_PARM_DESC(store_max_size, "largest size a store can take, in bytes (default 64 GiB, at most 1 TiB)");

static int vd_store_age_set(const char *val, const struct kernel_param *kp);

static const struct kernel_param_ops vd_store_age_ops = {
	.set	= vd_store_age_set,
	.get	= param_get_uint,
};

static unsigned int writeback_age_ms = 30000;
module_param_cb(writeback_age_ms, &vd_store_age_ops, &writeback_age_ms, 0644);
MODULE_PARM_DESC(writeback_age_ms, "write back store pages dirty for longer than this (ms, default 30000, 0 = no background writeback)");

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
 *	A fault checks it under invalidate_lock shared, so it never maps a
 *	page past a shrink that has started.
 * @backing: the simulated medium: a page here is only written under the
 *	folio lock of the cache folio at the same index, and only read to
 *	fill a cache folio just added, under its lock
 * @wb_lock: serializes writebacks (sync, fsync, background, INVALIDATE),
 *	so that a sync that finds a folio already being written back waits
 *	for it; taken outside invalidate_lock, never under mmap_lock
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

static struct vd_store *vd_stores;
static unsigned int vd_nr_stores;
/* Protects vd_stores_live, so that a parameter write never kicks a gone store. */
static DEFINE_MUTEX(vd_stores_lock);
static bool vd_stores_live;

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

static void vd_store_set_size(struct vd_store *st, loff_t size)
{
	WRITE_ONCE(st->size, size);
	i_size_write(st->inode, size);
}

/* Folios in the cache (all order 0: the mapping has no large folios). */
static unsigned long vd_store_nr_cached(struct vd_store *st)
{
	return READ_ONCE(vd_store_mapping(st)->nrpages);
}

/* Folios carrying the mapping's dirty tag: a walk, for the statistics. */
static unsigned long vd_store_nr_dirty(struct vd_store *st)
{
	XA_STATE(xas, &vd_store_mapping(st)->i_pages, 0);
	unsigned long n = 0;
	void *entry;

	rcu_read_lock();
	xas_for_each_marked(&xas, entry, ULONG_MAX, PAGECACHE_TAG_DIRTY) {
		if (xas_retry(&xas, entry))
			continue;
		n++;
		if (need_resched()) {
			xas_pause(&xas);
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
	return n;
}

/*
 * Folios that left the cache: every folio that entered it was counted in
 * pages_alloc. Racy against a fault adding one (nrpages first), hence the
 * clamp.
 */
static u64 vd_store_pages_freed(struct vd_store *st)
{
	u64 alloc = atomic64_read(&st->stats.pages_alloc);
	u64 cached = vd_store_nr_cached(st);

	return alloc > cached ? alloc - cached : 0;
}

/*
 * Take note of the folios the store itself removed (shrink, crash,
 * INVALIDATE) from @before, the cache's size before it began; the others
 * that leave the cache are the kernel's reclaim (pages_reclaimed).
 * Context: invalidate_lock held exclusively, so no fault added any.
 */
static unsigned long vd_store_note_removed(struct vd_store *st,
					   unsigned long before)
{
	unsigned long after = vd_store_nr_cached(st);
	unsigned long n = before > after ? before - after : 0;

	atomic64_add(n, &st->stats.pages_removed);
	return n;
}

/*
 * The cache folio at @index, locked, uptodate and with a reference. An
 * absent one is added (__filemap_get_folio() with FGP_CREAT:
 * filemap_add_folio(), which charges it to the caller's memcg and puts
 * it on the LRU) and filled, under its lock, from the medium (*@major
 * set), or with zeros where the medium holds no page. With !@create a
 * hole in both tiers gives NULL and adds nothing (read() of a hole).
 *
 * The cache is looked at first: a folio reclaimed after that was clean,
 * so the medium holds its data by then. The medium's page is stable
 * while we copy it: it is only written under the lock of the cache folio
 * at the same index, which is ours now, and only removed under
 * invalidate_lock held exclusively.
 * Context: invalidate_lock held shared.
 */
static struct folio *vd_store_get_folio(struct vd_store *st, pgoff_t index,
					bool create, bool *major)
{
	struct address_space *mapping = vd_store_mapping(st);
	struct folio *folio;
	struct page *bpage;

	*major = false;
	folio = vd_filemap_lock_folio(mapping, index, false);
	if (!folio) {
		if (!create && !xa_load(&st->backing.xa, index))
			return NULL;
		folio = vd_filemap_lock_folio(mapping, index, true);
	}
	if (IS_ERR(folio) || folio_test_uptodate(folio))
		return folio;

	bpage = vd_pages_lookup(&st->backing, index);
	if (bpage) {
		copy_highpage(folio_page(folio, 0), bpage);
		put_page(bpage);
		*major = true;
		atomic64_inc(&st->stats.faults_major);
	} else {
		clear_highpage(folio_page(folio, 0));
	}
	flush_dcache_folio(folio);
	folio_mark_uptodate(folio);
	atomic64_inc(&st->stats.pages_alloc);
	return folio;
}

/*
 * Call @fn on each cache folio in [@first, @last] (with a reference, not
 * locked) until it returns true.
 * Return: true if @fn did.
 */
static bool vd_store_any_folio(struct vd_store *st, pgoff_t first,
			       pgoff_t last, bool (*fn)(struct folio *folio))
{
	struct folio_batch fbatch;
	pgoff_t index = first;
	bool found = false;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (!found && filemap_get_folios(vd_store_mapping(st), &index, last,
					    &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch) && !found; i++)
			found = fn(fbatch.folios[i]);
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return found;
}

/* --- mappings ------------------------------------------------------------ */

/*
 * ->dirty_folio is filemap_dirty_folio(): PG_dirty and the mapping's
 * dirty tag, set by ->page_mkwrite and write() under the folio lock, and
 * by the core for a write that reached the folio without either: a zap
 * of a dirty PTE, a GUP user done writing (unpin_user_pages_dirty_lock()
 * from process_vm_writev() and O_DIRECT, folio_mark_dirty_lock() from
 * /proc/pid/mem and ptrace). No ->read_folio: nothing but this file adds
 * folios. No ->writepage nor ->writepages: writeback is the store's own
 * (below), and reclaim keeps dirty folios.
 */
static const struct address_space_operations vd_store_aops = {
	.dirty_folio	= filemap_dirty_folio,
	.migrate_folio	= migrate_folio,
};

static vm_fault_t vd_store_fault(struct vm_fault *vmf)
{
	struct vd_store *st = vmf->vma->vm_private_data;
	struct address_space *mapping = vd_store_mapping(st);
	struct folio *folio;
	bool major;

	filemap_invalidate_lock_shared(mapping);
	if (vmf->pgoff >= vd_store_nr_pages(st)) {
		filemap_invalidate_unlock_shared(mapping);
		atomic64_inc(&st->stats.faults_sigbus);
		return VM_FAULT_SIGBUS;
	}
	folio = vd_store_get_folio(st, vmf->pgoff, true, &major);
	filemap_invalidate_unlock_shared(mapping);
	if (IS_ERR(folio))
		return vmf_error(PTR_ERR(folio));
	/*
	 * Nothing truncates under invalidate_lock shared, and we have held
	 * the folio lock since: belt and braces, as filemap_fault() checks.
	 */
	if (unlikely(folio->mapping != mapping)) {
		folio_unlock(folio);
		folio_put(folio);
		return VM_FAULT_NOPAGE;	/* retry */
	}

	if (!(vmf->flags & FAULT_FLAG_WRITE))
		atomic64_inc(&st->stats.faults_read);
	else if (vmf->vma->vm_flags & VM_SHARED)
		atomic64_inc(&st->stats.faults_write);
	else
		atomic64_inc(&st->stats.faults_cow);

	/*
	 * Locked until the core has installed the PTE, so a shrink that
	 * removes the folio after we dropped invalidate_lock waits for the
	 * PTE and then unmaps it.
	 */
	vmf->page = folio_file_page(folio, vmf->pgoff);
	return VM_FAULT_LOCKED | (major ? VM_FAULT_MAJOR : 0);
}

/*
 * The first write to a page of a shared mapping since it was mapped or
 * written back, as filemap_page_mkwrite(): lock the folio, check that it
 * is still the store's and inside it, mark it dirty, and return it locked
 * (do_page_mkwrite()): it stays locked until the PTE is writable, so a
 * writeback, which holds the folio lock while it write-protects and
 * copies the folio, either sees this write or makes the writer fault
 * again and mark the folio dirty again.
 */
static vm_fault_t vd_store_page_mkwrite(struct vm_fault *vmf)
{
	struct vd_store *st = vmf->vma->vm_private_data;
	struct folio *folio = page_folio(vmf->page);

	folio_lock(folio);
	if (folio->mapping != vd_store_mapping(st) ||
	    vmf->pgoff >= vd_store_nr_pages(st)) {
		/* Truncated since it was mapped: the retry gets SIGBUS. */
		folio_unlock(folio);
		return VM_FAULT_NOPAGE;
	}
	folio_mark_dirty(folio);
	folio_wait_stable(folio);
	atomic64_inc(&st->stats.faults_mkwrite);
	return VM_FAULT_LOCKED;
}

/*
 * ->fault and ->page_mkwrite, traced in one place for every outcome. The
 * store is looked up only while the event is enabled.
 */
static vm_fault_t vd_store_fault_traced(struct vm_fault *vmf)
{
	vm_fault_t ret = vd_store_fault(vmf);
	struct vd_store *st;

	if (trace_vmapdemo_fault_enabled()) {
		st = vmf->vma->vm_private_data;
		trace_vmapdemo_fault(st->index, vmf, ret);
	}
	return ret;
}

static vm_fault_t vd_store_page_mkwrite_traced(struct vm_fault *vmf)
{
	vm_fault_t ret = vd_store_page_mkwrite(vmf);
	struct vd_store *st;

	if (trace_vmapdemo_mkwrite_enabled()) {
		st = vmf->vma->vm_private_data;
		trace_vmapdemo_mkwrite(st->index, vmf, ret);
	}
	return ret;
}

/*
 * ->map_pages is the page cache's own: it maps the uptodate folios
 * already in the cache around a read fault (fault-around), read-only,
 * without calling ->fault, up to i_size, each under a trylock of its
 * folio and after checking folio->mapping.
 */
static const struct vm_operations_struct vd_store_vm_ops = {
	.fault		= vd_store_fault_traced,
	.map_pages	= filemap_map_pages,
	.page_mkwrite	= vd_store_page_mkwrite_traced,
};

/*
 * Like a regular file: any offset and length a regular file accepts, a
 * mapping may extend past the end and touching
 * there gets SIGBUS, and mremap() may grow it. No vm_flags are changed,
 * so 6.12 does not re-merge the new VMA behind our back.
 */
static int vd_store_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;

	/*
	 * The core lets a char device map any offset; refuse what a regular
	 * file refuses (file_mmap_ok()), so that every offset of a mapping is
	 * a valid loff_t.
	 */
	if (vma->vm_pgoff > (MAX_LFS_FILESIZE - len) >> PAGE_SHIFT)
		return -EOVERFLOW;
	vma->vm_private_data = vd_store_of(file);
	vma->vm_ops = &vd_store_vm_ops;
	return 0;
}

/* --- read, write, lseek ------------------------------------------------ */

static void vd_store_zero_eof(struct vd_store *st);

static ssize_t vd_store_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct vd_store *st = vd_store_of(iocb->ki_filp);
	struct address_space *mapping = vd_store_mapping(st);
	loff_t pos = iocb->ki_pos;
	ssize_t done = 0;

	atomic64_inc(&st->stats.reads);
	if (pos < 0)
		return -EINVAL;
	while (iov_iter_count(to)) {
		pgoff_t index = pos >> PAGE_SHIFT;
		size_t offset = offset_in_page(pos);
		size_t n = min_t(size_t, PAGE_SIZE - offset, iov_iter_count(to));
		struct folio *folio;
		size_t copied;
		bool major;
		loff_t size;

		filemap_invalidate_lock_shared(mapping);
		folio = vd_store_get_folio(st, index, false, &major);
		/* After the lookup, as filemap_read(): no data past a shrink. */
		size = vd_store_size(st);
		filemap_invalidate_unlock_shared(mapping);
		if (IS_ERR(folio)) {
			if (!done)
				return PTR_ERR(folio);
			break;
		}
		if (folio)
			folio_unlock(folio);
		if (pos >= size) {
			if (folio)
				folio_put(folio);
			break;
		}
		n = min_t(loff_t, n, size - pos);
		/* No lock held: the copy may fault on a mapping of this store. */
		if (folio) {
			copied = copy_page_to_iter(folio_page(folio, 0), offset,
						   n, to);
			folio_mark_accessed(folio);
			folio_put(folio);
		} else {
			copied = iov_iter_zero(n, to);
		}
		pos += copied;
		done += copied;
		if (copied != n) {
			if (!done)
				return -EFAULT;
			break;
		}
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	}
	iocb->ki_pos = pos;
	return done;
}

/*
 * Copy up to @n bytes at @offset of the page at @index from @from.
 * Return: bytes copied (0 means retry), or a negative errno.
 * Context: st->lock held.
 */
static ssize_t vd_store_write_page(struct vd_store *st, pgoff_t index,
				   size_t offset, size_t n,
				   struct iov_iter *from)
{
	struct address_space *mapping = vd_store_mapping(st);
	struct folio *folio;
	size_t copied;
	bool major;

	/*
	 * Fault the source in before taking any lock: it may be a mapping of
	 * this very page. Fail early, with nothing allocated, if none of it
	 * is readable.
	 */
	if (fault_in_iov_iter_readable(from, n) == n)
		return -EFAULT;

	filemap_invalidate_lock_shared(mapping);
	folio = vd_store_get_folio(st, index, true, &major);
	filemap_invalidate_unlock_shared(mapping);
	if (IS_ERR(folio))
		return PTR_ERR(folio);

	/*
	 * Under the folio lock, held since the lookup (so no truncation
	 * removed it, and a writeback copies all or nothing of this write),
	 * but with page faults disabled: a fault here would have to take
	 * this folio lock. A short copy means the source went away again;
	 * the caller faults it in and retries.
	 */
	pagefault_disable();
	copied = vd_copy_page_from_iter_atomic(folio_page(folio, 0), offset, n,
					       from);
	pagefault_enable();
	flush_dcache_folio(folio);
	if (copied) {
		loff_t end = ((loff_t)index << PAGE_SHIFT) + offset + copied;

		folio_mark_dirty(folio);
		/*
		 * Under the folio lock, as a filesystem's ->write_end: a
		 * writeback of this folio sees the data and the size that
		 * covers it together (it zeroes its copy past the end).
		 */
		if (end > st->size)
			vd_store_set_size(st, end);
	}
	folio_unlock(folio);
	folio_put(folio);
	return copied;
}

/*
 * write(), pwrite() and friends, with a regular file's rules: O_APPEND and
 * RWF_APPEND write at the end of the store as it is under st->lock; the
 * file position is updated under f_pos_lock (FMODE_ATOMIC_POS, set at
 * open); a write that starts past the end first zeroes what a mapping may
 * have left past the old end in its last page; O_SYNC, O_DSYNC, RWF_SYNC
 * and RWF_DSYNC write the range back before returning, through ->fsync
 * (generic_write_sync()), so the data survives a crash once the call
 * returns.
 */
static ssize_t vd_store_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct vd_store *st = vd_store_of(iocb->ki_filp);
	loff_t pos, max = READ_ONCE(store_max_size);
	size_t count = iov_iter_count(from);
	ssize_t done = 0, ret = 0;

	atomic64_inc(&st->stats.writes);
	if (!count)
		return 0;
	if (mutex_lock_interruptible(&st->lock))
		return -ERESTARTSYS;
	if (iocb->ki_flags & IOCB_APPEND)
		iocb->ki_pos = st->size;
	pos = iocb->ki_pos;
	if (pos < 0 || count > LLONG_MAX - pos) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (pos >= max) {
		ret = -EFBIG;
		goto out_unlock;
	}
	/* A write that crosses the maximum is short, as at s_maxbytes. */
	iov_iter_truncate(from, max - pos);
	if (pos > st->size)
		vd_store_zero_eof(st);

	while (iov_iter_count(from)) {
		size_t offset = offset_in_page(pos);
		size_t n = min_t(size_t, PAGE_SIZE - offset, iov_iter_count(from));

		ret = vd_store_write_page(st, pos >> PAGE_SHIFT, offset, n, from);
		if (ret < 0)
			break;
		pos += ret;
		done += ret;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
out_unlock:
	mutex_unlock(&st->lock);

	if (!done)
		return ret;
	iocb->ki_pos = pos;
	return generic_write_sync(iocb, done);
}

/* Is there data (a folio in the cache or a page in the medium) at @index? */
static bool vd_store_has_page(struct vd_store *st, pgoff_t index)
{
	void *entry = xa_load(&vd_store_mapping(st)->i_pages, index);

	return (entry && !xa_is_value(entry)) ||
	       xa_load(&st->backing.xa, index);
}

/*
 * SEEK_DATA/SEEK_HOLE at page granularity, like tmpfs: data is every page
 * the store holds (in the cache or the backing store), a hole every page
 * it does not, and the end of the store is a hole.
 */
static loff_t vd_store_seek_data_hole(struct vd_store *st, loff_t offset,
				      int whence)
{
	loff_t size = vd_store_size(st);
	pgoff_t index, last;

	if (offset < 0 || offset >= size)
		return -ENXIO;
	index = offset >> PAGE_SHIFT;
	last = (size - 1) >> PAGE_SHIFT;
	if (whence == SEEK_DATA) {
		pgoff_t found = ULONG_MAX, i;
		struct page *page;

		i = index;
		if (xa_find(&vd_store_mapping(st)->i_pages, &i, last,
			    XA_PRESENT))
			found = i;
		i = index;
		page = vd_pages_find(&st->backing, &i, last, XA_PRESENT);
		if (page) {
			put_page(page);
			found = min(found, i);
		}
		if (found == ULONG_MAX)
			return -ENXIO;
		return found == index ? offset : (loff_t)found << PAGE_SHIFT;
	}
	while (index <= last && vd_store_has_page(st, index)) {
		index++;
		cond_resched();
	}
	if (index > last)
		return size;
	return max_t(loff_t, offset, (loff_t)index << PAGE_SHIFT);
}

static loff_t vd_store_llseek(struct file *file, loff_t offset, int whence)
{
	struct vd_store *st = vd_store_of(file);
	loff_t ret;

	switch (whence) {
	case SEEK_SET:
	case SEEK_CUR:
	case SEEK_END:
		return generic_file_llseek_size(file, offset, whence,
						READ_ONCE(store_max_size),
						vd_store_size(st));
	case SEEK_DATA:
	case SEEK_HOLE:
		ret = vd_store_seek_data_hole(st, offset, whence);
		if (ret < 0)
			return ret;
		return vfs_setpos(file, ret, READ_ONCE(store_max_size));
	default:
		return -EINVAL;
	}
}

/* --- size ---------------------------------------------------------------- */

/*
 * Zero the part of the page at @index from byte @offset on, in the cache
 * and in the backing store, under the cache folio's lock if there is one
 * (a writeback copies to the backing store under that lock).
 */
static void vd_store_zero_tail(struct vd_store *st, pgoff_t index,
			       size_t offset)
{
	struct folio *folio = vd_filemap_lock_folio(vd_store_mapping(st),
						    index, false);
	struct page *bpage;

	if (IS_ERR(folio))	/* not without FGP_CREAT; for the checkers */
		folio = NULL;
	if (folio) {
		folio_zero_segment(folio, offset, PAGE_SIZE);
		flush_dcache_folio(folio);
	}
	bpage = vd_pages_lookup(&st->backing, index);
	if (bpage) {
		zero_user_segment(bpage, offset, PAGE_SIZE);
		put_page(bpage);
	}
	if (folio) {
		folio_unlock(folio);
		folio_put(folio);
	}
}

/*
 * Zero the part of the last page past the end of the store, before the
 * store grows over it: a shared mapping may have written there (stores
 * past the end of a file within its last page are not part of the file),
 * and a regular file reads zeros where it grows.
 * Context: st->lock held.
 */
static void vd_store_zero_eof(struct vd_store *st)
{
	struct address_space *mapping = vd_store_mapping(st);

	if (!offset_in_page(st->size))
		return;
	/* Against crash, which removes folios and backing pages. */
	filemap_invalidate_lock_shared(mapping);
	vd_store_zero_tail(st, st->size >> PAGE_SHIFT,
			   offset_in_page(st->size));
	filemap_invalidate_unlock_shared(mapping);
}

static int vd_store_resize(struct vd_store *st, loff_t new_size)
{
	struct address_space *mapping = vd_store_mapping(st);
	loff_t holebegin = round_up(new_size, PAGE_SIZE);
	unsigned long before;

	if (mutex_lock_interruptible(&st->lock))
		return -EINTR;
	if (new_size >= st->size) {
		/* Growing adds zeros, also where a mapping wrote past the end. */
		if (new_size > st->size)
			vd_store_zero_eof(st);
		vd_store_set_size(st, new_size);
		goto out;
	}
	filemap_invalidate_lock(mapping);
	vd_store_set_size(st, new_size);
	before = vd_store_nr_cached(st);
	/* truncate_pagecache(), with the medium's pages after the cache's. */
	unmap_mapping_range(mapping, holebegin, 0, 1);
	truncate_inode_pages(mapping, holebegin);
	vd_store_note_removed(st, before);
	/* After the cache folios: no writeback can copy there now. */
	vd_pages_remove_range(&st->backing, holebegin >> PAGE_SHIFT, ULONG_MAX);
	if (offset_in_page(new_size))
		vd_store_zero_tail(st, new_size >> PAGE_SHIFT,
				   offset_in_page(new_size));
	unmap_mapping_range(mapping, holebegin, 0, 1);
	filemap_invalidate_unlock(mapping);
out:
	mutex_unlock(&st->lock);
	atomic64_inc(&st->stats.resizes);
	return 0;
}

/* --- writeback, sync, crash ------------------------------------------- */

/*
 * Copy the cache folio at @index to its backing page @bpage, up to the end
 * of the store: what a shared mapping wrote past the end within the last
 * page is not part of the store and never reaches the medium, as a
 * filesystem's writeback zeroes the part of the page past i_size. The
 * size is read under the folio lock, which write() holds when it grows the
 * store over this page.
 * Context: the cache folio's lock held.
 */
static void vd_store_copy_to_medium(struct vd_store *st, struct page *bpage,
				    struct folio *folio, pgoff_t index)
{
	loff_t size = vd_store_size(st);

	copy_highpage(bpage, folio_page(folio, 0));
	if (size >> PAGE_SHIFT == index && offset_in_page(size))
		zero_user_segment(bpage, offset_in_page(size), PAGE_SIZE);
}

/*
 * Clear the dirty tag (unless the folio is dirty again) and the towrite
 * tag of a folio whose PG_dirty writeback just cleared: what
 * __folio_start_writeback() does to the tags, without PG_writeback. The
 * store's copy is synchronous, under the folio lock, so nobody could ever
 * see PG_writeback set; and since 6.18 (167f21a81a9c, "mm: remove
 * BDI_CAP_WRITEBACK_ACCT") __folio_start_writeback() also accounts the
 * folio to inode_to_wb(), which an inode on the noop bdi does not have
 * (a NULL dereference on 7.3). f2fs clears the dirty tag the same way
 * (f2fs_clear_page_cache_dirty_tag()). A folio_mark_dirty() racing with
 * us sets PG_dirty before it takes the lock to set the tag, so the tag
 * is never lost.
 * Context: the folio lock held.
 */
static void vd_store_clear_tags(struct address_space *mapping,
				struct folio *folio)
{
	unsigned long flags;

	xa_lock_irqsave(&mapping->i_pages, flags);
	if (!folio_test_dirty(folio))
		__xa_clear_mark(&mapping->i_pages, folio->index,
				PAGECACHE_TAG_DIRTY);
	__xa_clear_mark(&mapping->i_pages, folio->index, PAGECACHE_TAG_TOWRITE);
	xa_unlock_irqrestore(&mapping->i_pages, flags);
}

/*
 * Write back one cache folio if it is still the store's and dirty (section
 * 6.1 of the reference notes): get its backing page (before anything
 * changes, so that a failure leaves the folio dirty), write-protect it in
 * every shared writable mapping (folio_mkclean(): an rmap walk of the
 * store's i_mmap tree at its offset, which skips only the mappings that
 * cannot write it: private ones, whose writes go to copies, and MAP_SHARED
 * mappings of O_RDONLY files), clear PG_dirty (folio_clear_dirty_for_io();
 * on our noop bdi it does not write-protect, hence the explicit
 * folio_mkclean() first) and the tags, and copy to the medium, all under
 * the folio lock.
 *
 * A store through a PTE that was writable before the write-protect is in
 * the folio before the copy; a later one faults, blocks in ->page_mkwrite
 * on the folio lock and marks the folio dirty again after we are done;
 * write() copies and marks under the folio lock. A write that reaches the
 * folio without a PTE (through a GUP pin: process_vm_writev(),
 * /proc/pid/mem, O_DIRECT) is reported by folio_mark_dirty() once it is in
 * the folio, and a folio pinned (FOLL_PIN) while we copy it stays dirty,
 * since its pinner may write it at any time without either. So no write
 * is lost, and the backing page receives whole page images only.
 *
 * Return: 1 if copied, 0 if there was nothing to do, or -ENOMEM.
 * Context: wb_lock and the folio lock held.
 */
static int vd_store_writeback_folio(struct vd_store *st, struct folio *folio)
{
	struct address_space *mapping = vd_store_mapping(st);
	pgoff_t index = folio->index;
	struct page *bpage;
	bool allocated;

	if (folio->mapping != mapping || !folio_test_dirty(folio))
		return 0;
	bpage = vd_pages_get(&st->backing, index, &allocated);
	if (IS_ERR(bpage))
		return PTR_ERR(bpage);
	folio_mkclean(folio);
	if (!folio_clear_dirty_for_io(folio)) {
		put_page(bpage);
		return 0;
	}
	vd_store_clear_tags(mapping, folio);
	vd_store_copy_to_medium(st, bpage, folio, index);
	put_page(bpage);
	atomic64_inc(&st->stats.pages_written);
	/* Its pinner may write it after our copy, unseen. */
	if (folio_maybe_dma_pinned(folio))
		folio_mark_dirty(folio);
	return 1;
}

/*
 * Write back the cache folios in [@first, @last] that carry @tag
 * (PAGECACHE_TAG_DIRTY, or PAGECACHE_TAG_TOWRITE for background
 * writeback), one folio lock at a time.
 * Return: folios written, or a negative errno.
 * Context: wb_lock held.
 */
static long vd_store_writeback_range(struct vd_store *st, pgoff_t first,
				     pgoff_t last, xa_mark_t tag)
{
	struct address_space *mapping = vd_store_mapping(st);
	struct folio_batch fbatch;
	pgoff_t index = first;
	long written = 0;
	unsigned int i;
	int ret = 0;

	folio_batch_init(&fbatch);
	while (!ret && filemap_get_folios_tag(mapping, &index, last, tag,
					      &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			folio_lock(folio);
			ret = vd_store_writeback_folio(st, folio);
			folio_unlock(folio);
			if (ret < 0)
				break;
			written += ret;
			ret = 0;
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return ret < 0 ? ret : written;
}

/*
 * Report a crash since this file last synced, once, as fsync() reports a
 * writeback error (errseq) once per open file. Called after the copies.
 * invalidate_lock waits for a crash in progress: a crash that began before
 * this point is complete when we report it (so a sync that starts after
 * the report cannot overlap it), and one that begins after it found every
 * folio we copied already in the backing store.
 */
static int vd_store_check_crash(struct vd_store *st, struct vd_store_file *sf)
{
	struct address_space *mapping = vd_store_mapping(st);
	u64 gen;

	filemap_invalidate_lock_shared(mapping);
	gen = atomic64_read(&st->crash_gen);
	filemap_invalidate_unlock_shared(mapping);

	if (READ_ONCE(sf->crash_seen) == gen)
		return 0;
	WRITE_ONCE(sf->crash_seen, gen);
	return -EIO;
}

/*
 * A synchronous sync of [@first, @last]: every folio dirty when it starts
 * is in the backing store when it returns 0. Pages written are added to
 * *@written. @reason is for the tracepoint.
 */
static int vd_store_sync(struct vd_store *st, struct vd_store_file *sf,
			 pgoff_t first, pgoff_t last, u64 *written,
			 enum vd_trace_wb_reason reason)
{
	long n;
	int ret;

	if (mutex_lock_killable(&st->wb_lock))
		return -EINTR;
	n = vd_store_writeback_range(st, first, last, PAGECACHE_TAG_DIRTY);
	trace_vmapdemo_writeback(st->index, reason, first, last, n);
	mutex_unlock(&st->wb_lock);
	if (n < 0)
		return n;
	*written += n;
	/* After the copies: a crash that overlapped them is reported. */
	ret = vd_store_check_crash(st, sf);
	if (ret)
		return ret;
	atomic64_inc(&st->stats.syncs);
	atomic64_inc(&st->sync_gen);
	return 0;
}

/*
 * Background writeback, and the writeback an ASYNC sync starts: write back
 * the folios tagged towrite, then, if background writeback is on, tag the
 * folios dirty now towrite (tag_pages_for_writeback()) and come back after
 * writeback_age_ms. A folio dirty for longer than the age is thus written
 * back within another age. Writing a folio back clears its towrite tag.
 */
static void vd_store_wb_work(struct work_struct *work)
{
	struct vd_store *st = container_of(to_delayed_work(work),
					   struct vd_store, wb_work);
	unsigned int age = READ_ONCE(writeback_age_ms);
	long n;

	mutex_lock(&st->wb_lock);
	n = vd_store_writeback_range(st, 0, ULONG_MAX, PAGECACHE_TAG_TOWRITE);
	trace_vmapdemo_writeback(st->index, VD_TRACE_WB_BACKGROUND, 0,
				 ULONG_MAX, n);
	if (age)
		tag_pages_for_writeback(vd_store_mapping(st), 0, ULONG_MAX);
	mutex_unlock(&st->wb_lock);
	if (age)
		queue_delayed_work(system_unbound_wq, &st->wb_work,
				   msecs_to_jiffies(age));
}

static bool vd_folio_mlocked(struct folio *folio)
{
	return folio_test_mlocked(folio);
}

static bool vd_folio_pinned(struct folio *folio)
{
	return folio_maybe_dma_pinned(folio);
}

/*
 * INVALIDATE: write back, then drop the range's cached folios, so that
 * every mapping and read() sees the backing store. invalidate_lock
 * (exclusive) keeps ->fault, read() and write() from the range meanwhile,
 * and the range is unmapped, so no folio can be dirtied again between the
 * writeback and the drop but by a pinner, and pins are refused (below).
 * invalidate_inode_pages2_range() drops every clean folio, also one that
 * filemap_map_pages() mapped again meanwhile (it unmaps it) or that a pipe
 * still holds (the pipe keeps its reference).
 *
 * A folio that someone pinned (GUP with FOLL_PIN) must not leave the cache:
 * its pinner's later writes would go to a folio the store no longer has.
 * Pins are taken through page tables, so the range is unmapped first
 * (faults wait for invalidate_lock, and the TLB flush of the unmap waits
 * out a lockless GUP-fast that saw a PTE), and only then checked: no new
 * pin can appear after that. An mlocked folio is refused too, before the
 * unmap that would munlock it: dropping it would not lose data, but mlock
 * promises it stays resident.
 */
static int vd_store_invalidate(struct vd_store *st, struct vd_store_file *sf,
			       pgoff_t first, pgoff_t last, u64 *written)
{
	struct address_space *mapping = vd_store_mapping(st);
	loff_t start = (loff_t)first << PAGE_SHIFT;
	loff_t len = (loff_t)(last - first + 1) << PAGE_SHIFT;
	unsigned long before;
	long n;
	int ret;

	if (mutex_lock_killable(&st->wb_lock))
		return -EINTR;
	filemap_invalidate_lock(mapping);
	if (vd_store_any_folio(st, first, last, vd_folio_mlocked)) {
		ret = -EBUSY;
		goto out;
	}
	unmap_mapping_range(mapping, start, len, 0);
	if (vd_store_any_folio(st, first, last, vd_folio_pinned)) {
		ret = -EBUSY;
		goto out;
	}
	n = vd_store_writeback_range(st, first, last, PAGECACHE_TAG_DIRTY);
	trace_vmapdemo_writeback(st->index, VD_TRACE_WB_INVALIDATE, first,
				 last, n);
	if (n < 0) {
		ret = n;
		goto out;
	}
	*written += n;
	before = vd_store_nr_cached(st);
	/* -EBUSY only for a folio dirty again, which then stays. */
	invalidate_inode_pages2_range(mapping, first, last);
	atomic64_add(vd_store_note_removed(st, before),
		     &st->stats.pages_invalidated);
	ret = 0;
out:
	filemap_invalidate_unlock(mapping);
	mutex_unlock(&st->wb_lock);
	if (ret)
		return ret;
	ret = vd_store_check_crash(st, sf);
	if (ret)
		return ret;
	atomic64_inc(&st->stats.syncs);
	atomic64_inc(&st->sync_gen);
	return 0;
}

/*
 * Count and cancel the dirty state of every cache folio, each under its
 * folio lock, so that the count is exact: a writeback copying a folio
 * finishes first (then the folio is clean and its data safe), and one
 * that comes after finds it clean and leaves it.
 * Return: the folios that were dirty.
 * Context: invalidate_lock held exclusively, the store unmapped.
 */
static unsigned long vd_store_cancel_dirty(struct vd_store *st)
{
	struct address_space *mapping = vd_store_mapping(st);
	struct folio_batch fbatch;
	unsigned long dirty = 0;
	pgoff_t index = 0;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, ULONG_MAX, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			folio_lock(folio);
			if (folio->mapping == mapping &&
			    folio_test_dirty(folio)) {
				folio_cancel_dirty(folio);
				dirty++;
			}
			folio_unlock(folio);
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}
	return dirty;
}

/*
 * A simulated crash of the medium: everything the backing store has not
 * seen is lost. invalidate_lock (exclusive) stops ->fault and lookups; the
 * unmap zaps every PTE of the store's folios (private copies stay: they
 * belong to their process), which also reports the dirty PTEs to the
 * folios; the dirty folios are counted, then truncate_inode_pages()
 * removes every folio under its lock (so a writeback copying it finishes
 * first and each backing page is old or new, and a fault that found it
 * has installed its PTE, which truncation unmaps). Not under wb_lock: a
 * crash does not wait for a sync.
 * Return: dirty folios dropped.
 */
static unsigned long vd_store_crash(struct vd_store *st)
{
	struct address_space *mapping = vd_store_mapping(st);
	unsigned long dropped, before;

	filemap_invalidate_lock(mapping);
	/* Before any folio goes: a sync that then completes reports it. */
	atomic64_inc(&st->crash_gen);
	unmap_mapping_range(mapping, 0, 0, 0);
	dropped = vd_store_cancel_dirty(st);
	before = vd_store_nr_cached(st);
	truncate_inode_pages(mapping, 0);
	vd_store_note_removed(st, before);
	trace_vmapdemo_crash(st->index, dropped, atomic64_read(&st->crash_gen));
	filemap_invalidate_unlock(mapping);
	atomic64_inc(&st->stats.crashes);
	atomic64_add(dropped, &st->stats.crash_dropped);
	return dropped;
}

/* --- ioctls -------------------------------------------------------------- */

static long vd_store_ioc_get_info(struct vd_store *st, void __user *uarg)
{
	struct vmapdemo_store_info info = {};
	struct vd_store_stats *s = &st->stats;
	u64 freed, removed;
	u32 usize;
	int ret;

	ret = vd_ioctl_arg_in(&info, sizeof(info),
			      offsetofend(typeof(info), resizes), uarg, &usize);
	if (ret)
		return ret;
	if (info.flags || info.__reserved)
		return -EINVAL;

	info.store_size = vd_store_size(st);
	info.max_size = READ_ONCE(store_max_size);
	info.resident_pages = vd_store_nr_cached(st);
	info.index = st->index;
	info.pages_alloc = atomic64_read(&s->pages_alloc);
	freed = vd_store_pages_freed(st);
	info.pages_freed = freed;
	info.faults_read = atomic64_read(&s->faults_read);
	info.faults_write = atomic64_read(&s->faults_write);
	info.faults_cow = atomic64_read(&s->faults_cow);
	info.faults_mkwrite = atomic64_read(&s->faults_mkwrite);
	info.faults_sigbus = atomic64_read(&s->faults_sigbus);
	info.reads = atomic64_read(&s->reads);
	info.writes = atomic64_read(&s->writes);
	info.resizes = atomic64_read(&s->resizes);
	info.backing_pages = atomic_long_read(&st->backing.nr);
	info.dirty_pages = vd_store_nr_dirty(st);
	info.pages_written = atomic64_read(&s->pages_written);
	info.syncs = atomic64_read(&s->syncs);
	info.sync_gen = atomic64_read(&st->sync_gen);
	info.crashes = atomic64_read(&s->crashes);
	info.crash_gen = atomic64_read(&st->crash_gen);
	info.crash_dropped = atomic64_read(&s->crash_dropped);
	info.dirty_at_last_close = atomic64_read(&s->dirty_at_last_close);
	info.faults_major = atomic64_read(&s->faults_major);
	info.pages_invalidated = atomic64_read(&s->pages_invalidated);
	/* What left the cache that the store did not remove: the kernel's. */
	removed = atomic64_read(&s->pages_removed);
	info.pages_reclaimed = freed > removed ? freed - removed : 0;
	return vd_ioctl_arg_out(uarg, usize, &info, sizeof(info));
}

static long vd_store_ioc_set_size(struct vd_store *st, struct file *file,
				  void __user *uarg)
{
	struct vmapdemo_store_resize rs = {};
	u32 usize;
	int ret;

	ret = vd_ioctl_arg_in(&rs, sizeof(rs),
			      offsetofend(typeof(rs), new_size), uarg, &usize);
	if (ret)
		return ret;
	if (rs.flags)
		return -EINVAL;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (rs.new_size > LLONG_MAX)
		return -EINVAL;
	if (rs.new_size > READ_ONCE(store_max_size))
		return -EFBIG;
	return vd_store_resize(st, rs.new_size);
}

#define VD_SYNC_FLAGS	(VMAPDEMO_STORE_SYNC_SYNC | VMAPDEMO_STORE_SYNC_ASYNC | \
			 VMAPDEMO_STORE_SYNC_INVALIDATE)

static long vd_store_ioc_sync(struct vd_store_file *sf, void __user *uarg)
{
	struct vmapdemo_store_sync sy = {};
	struct vd_store *st = sf->st;
	u64 end, written = 0;
	pgoff_t first, last;
	loff_t size;
	u32 usize;
	int ret;

	ret = vd_ioctl_arg_in(&sy, sizeof(sy),
			      offsetofend(typeof(sy), sync_gen), uarg, &usize);
	if (ret)
		return ret;
	if (sy.flags & ~VD_SYNC_FLAGS)
		return -EINVAL;
	if ((sy.flags & VMAPDEMO_STORE_SYNC_SYNC) &&
	    (sy.flags & VMAPDEMO_STORE_SYNC_ASYNC))
		return -EINVAL;
	if (offset_in_page(sy.offset))
		return -EINVAL;
	if (check_add_overflow(sy.offset, sy.length, &end) || end > LLONG_MAX)
		return -EOVERFLOW;
	size = round_up(vd_store_size(st), PAGE_SIZE);
	if (sy.offset > size || (sy.length && end > size))
		return -ENXIO;
	if (!sy.length)
		end = size;

	if (end > sy.offset) {
		first = sy.offset >> PAGE_SHIFT;
		last = (end - 1) >> PAGE_SHIFT;
		if (sy.flags & VMAPDEMO_STORE_SYNC_INVALIDATE) {
			ret = vd_store_invalidate(st, sf, first, last, &written);
		} else if (sy.flags & VMAPDEMO_STORE_SYNC_SYNC) {
			ret = vd_store_sync(st, sf, first, last, &written,
					    VD_TRACE_WB_SYNC);
		} else {
			/* ASYNC (or no flag, as msync() allows): start it. */
			tag_pages_for_writeback(vd_store_mapping(st), first,
						last);
			mod_delayed_work(system_unbound_wq, &st->wb_work, 0);
		}
		if (ret)
			return ret;
	}
	sy.pages_written = written;
	sy.sync_gen = atomic64_read(&st->sync_gen);
	return vd_ioctl_arg_out(uarg, usize, &sy, sizeof(sy));
}

static long vd_store_ioc_crash(struct vd_store *st, struct file *file,
			       void __user *uarg)
{
	struct vmapdemo_store_crash cr = {};
	u32 usize;
	int ret;

	ret = vd_ioctl_arg_in(&cr, sizeof(cr),
			      offsetofend(typeof(cr), crash_gen), uarg, &usize);
	if (ret)
		return ret;
	if (cr.flags)
		return -EINVAL;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	cr.pages_dropped = vd_store_crash(st);
	cr.crash_gen = atomic64_read(&st->crash_gen);
	return vd_ioctl_arg_out(uarg, usize, &cr, sizeof(cr));
}

static long vd_store_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct vd_store_file *sf = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VMAPDEMO_STORE_IOC_GET_INFO:
		return vd_store_ioc_get_info(sf->st, uarg);
	case VMAPDEMO_STORE_IOC_SET_SIZE:
		return vd_store_ioc_set_size(sf->st, file, uarg);
	case VMAPDEMO_STORE_IOC_SYNC:
		return vd_store_ioc_sync(sf, uarg);
	case VMAPDEMO_STORE_IOC_CRASH:
		return vd_store_ioc_crash(sf->st, file, uarg);
	default:
		return -ENOTTY;
	}
}

/* --- open, release, fsync ------------------------------------------------ */

static int vd_store_open(struct inode *inode, struct file *file)
{
	/* misc_open() left our miscdevice in private_data. */
	struct vd_store *st = container_of(file->private_data, struct vd_store,
					   misc);
	struct vd_store_file *sf;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	sf->st = st;
	sf->crash_seen = atomic64_read(&st->crash_gen);
	file->private_data = sf;
	/* As for a regular file: read(), write() and lseek() serialize f_pos. */
	file->f_mode |= FMODE_ATOMIC_POS;
	/* Before any mmap, never changed later: see the top of the file. */
	file->f_mapping = vd_store_mapping(st);
	atomic_inc(&st->opens);
	return 0;
}

static int vd_store_release(struct inode *inode, struct file *file)
{
	struct vd_store_file *sf = file->private_data;
	struct vd_store *st = sf->st;

	/* A last close does not write back (nor does munmap): count it. */
	if (atomic_dec_and_test(&st->opens))
		atomic64_set(&st->stats.dirty_at_last_close,
			     vd_store_nr_dirty(st));
	kfree(sf);
	return 0;
}

/* fsync(), fdatasync() and msync(MS_SYNC) (through vfs_fsync_range()). */
static int vd_store_fsync(struct file *file, loff_t start, loff_t end,
			  int datasync)
{
	struct vd_store_file *sf = file->private_data;
	u64 written = 0;

	if (start < 0 || end < start)
		return -EINVAL;
	return vd_store_sync(sf->st, sf, start >> PAGE_SHIFT,
			     end >> PAGE_SHIFT, &written, VD_TRACE_WB_FSYNC);
}

static const struct file_operations vd_store_fops = {
	.owner		= THIS_MODULE,
	.open		= vd_store_open,
	.release	= vd_store_release,
	.read_iter	= vd_store_read_iter,
	.write_iter	= vd_store_write_iter,
	.llseek		= vd_store_llseek,
	.mmap		= vd_store_mmap,
	.fsync		= vd_store_fsync,
	.unlocked_ioctl	= vd_store_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/* --- init, exit and the writeback_age_ms parameter ------------------------ */

/*
 * A new age takes effect now: every store's worker runs once more with it
 * (writing back what is aged, re-arming only if the age is not 0) before
 * the write to the parameter returns. So after writing 0, no background
 * writeback happens until the next sync ASYNC or a new age.
 */
static int vd_store_age_set(const char *val, const struct kernel_param *kp)
{
	unsigned int i;
	int ret;

	ret = param_set_uint(val, kp);
	if (ret)
		return ret;
	mutex_lock(&vd_stores_lock);
	for (i = 0; vd_stores_live && i < vd_nr_stores; i++) {
		mod_delayed_work(system_unbound_wq, &vd_stores[i].wb_work, 0);
		flush_delayed_work(&vd_stores[i].wb_work);
	}
	mutex_unlock(&vd_stores_lock);
	return 0;
}

static void vd_store_destroy(struct vd_store *st)
{
	misc_deregister(&st->misc);
	/* Handles the work re-arming itself. */
	cancel_delayed_work_sync(&st->wb_work);
	/* No file is open (the module is going): eviction truncates the cache. */
	iput(st->inode);
	vd_pages_destroy(&st->backing);
}

static int vd_store_create(struct vd_store *st, unsigned int index)
{
	int ret;

	st->index = index;
	mutex_init(&st->lock);
	mutex_init(&st->wb_lock);
	INIT_DELAYED_WORK(&st->wb_work, vd_store_wb_work);
	vd_pages_init(&st->backing);
	st->inode = vd_fs_new_inode();
	if (IS_ERR(st->inode))
		return PTR_ERR(st->inode);
	st->inode->i_private = st;
	/* The cache; backing pages are never mapped nor in a page cache. */
	st->inode->i_mapping->a_ops = &vd_store_aops;
	/*
	 * On the superblock's inode list, as a filesystem's inodes are, so
	 * that drop_caches (drop_pagecache_sb()) reaches the cache as it
	 * reaches any file's: alloc_anon_inode() leaves it off. Eviction
	 * takes it off again.
	 */
	inode_sb_list_add(st->inode);
	vd_store_set_size(st, store_size);

	snprintf(st->name, sizeof(st->name), VMAPDEMO_STORE_NAME_PREFIX "%u",
		 index);
	st->misc.minor = MISC_DYNAMIC_MINOR;
	st->misc.name = st->name;
	st->misc.fops = &vd_store_fops;
	st->misc.mode = 0600;
	ret = misc_register(&st->misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", st->name, ret);
		goto err_iput;
	}
	return 0;

err_iput:
	iput(st->inode);
	return ret;
}

int vd_store_init(void)
{
	unsigned int i;
	int ret;

	if (nr_stores > VMAPDEMO_STORE_MAX_NR ||
	    store_max_size > VMAPDEMO_STORE_MAX_SIZE ||
	    store_size > store_max_size) {
		pr_err("bad parameters: nr_stores=%u (max %u), store_size=%llu, store_max_size=%llu (max %llu)\n",
		       nr_stores, VMAPDEMO_STORE_MAX_NR, store_size,
		       store_max_size, VMAPDEMO_STORE_MAX_SIZE);
		return -EINVAL;
	}
	if (!nr_stores)
		return 0;
	vd_stores = kcalloc(nr_stores, sizeof(*vd_stores), GFP_KERNEL);
	if (!vd_stores)
		return -ENOMEM;
	for (i = 0; i < nr_stores; i++) {
		ret = vd_store_create(&vd_stores[i], i);
		if (ret)
			goto err_destroy;
	}
	mutex_lock(&vd_stores_lock);
	vd_nr_stores = nr_stores;
	vd_stores_live = true;
	for (i = 0; i < vd_nr_stores; i++)
		if (READ_ONCE(writeback_age_ms))
			queue_delayed_work(system_unbound_wq,
					   &vd_stores[i].wb_work,
					   msecs_to_jiffies(writeback_age_ms));
	mutex_unlock(&vd_stores_lock);
	return 0;

err_destroy:
	while (i--)
		vd_store_destroy(&vd_stores[i]);
	kfree(vd_stores);
	vd_stores = NULL;
	return ret;
}

void vd_store_exit(void)
{
	unsigned int i;

	/* From here on a parameter write kicks nothing. */
	mutex_lock(&vd_stores_lock);
	vd_stores_live = false;
	mutex_unlock(&vd_stores_lock);
	for (i = 0; i < vd_nr_stores; i++)
		vd_store_destroy(&vd_stores[i]);
	kfree(vd_stores);
	vd_stores = NULL;
	vd_nr_stores = 0;
}
