// SPDX-License-Identifier: GPL-2.0
/*
 * store.c - /dev/vmapdemo-storeN: byte arrays that map, read and write like
 * a file.
 *
 * A store is a sparse array of driver-owned pages (struct vd_pages, the
 * "cache") and a size. Every open of the store gets the same address_space,
 * that of an anon inode on the module's pseudo fs (the DRM and /dev/mem
 * pattern): VMAs are linked into the i_mmap tree of file->f_mapping, so
 * unmap_mapping_range() on that one mapping reaches every mapping of the
 * store in every process.
 *
 * Mappings: ->fault returns the store's page (allocating it, zero-filled,
 * on first touch), locked. MAP_SHARED mappings are write-notify mappings
 * (we have ->page_mkwrite), so a shared page is first mapped read-only and
 * its first write goes through ->page_mkwrite. MAP_PRIVATE needs nothing:
 * read faults map the store page read-only, write faults are copied by the
 * core (do_cow_fault()/wp_page_copy()). A private mapping therefore sees
 * later changes of the store on every page it has not written, and its own
 * copy of a page from its first write on, as with a regular file on Linux.
 * Sharing is never decided here: the core chooses between do_shared_fault()
 * and do_cow_fault() on VM_SHARED, and a MAP_SHARED mapping of an O_RDONLY
 * fd (VM_MAYSHARE without VM_SHARED) cannot be written, so mapping the
 * store's pages read-only into it keeps it coherent.
 *
 * Two tiers: the cache above is what mappings, read() and write() use; a
 * second page array, the backing store, is the simulated medium that only
 * writeback writes (sync ioctl, ->fsync, the background worker) and a
 * simulated crash falls back to. See "Store msync and crash" in the uapi
 * header.
 *
 * Locking, outermost first:
 *
 *   st->lock (mutex)                write(), resize: size changes
 *   st->wb_lock (mutex)             writebacks (sync, fsync, worker);
 *                                   never taken under mmap_lock (msync
 *                                   drops it before ->fsync)
 *     mmap_lock                     (a user copy in write() may fault)
 *       invalidate_lock             shared: ->fault, ->page_mkwrite, page
 *                                   lookup in read()/write(), the crash
 *                                   check of a sync;
 *                                   exclusive: shrink, crash, INVALIDATE,
 *                                   reclaim (they remove pages; reclaim
 *                                   only with a trylock)
 *         page lock                 ->fault until the PTE is installed
 *                                   (VM_FAULT_LOCKED), ->page_mkwrite until
 *                                   the PTE is writable, write() around its
 *                                   atomic copy and dirty mark, writeback
 *                                   around mark-clear/write-protect/copy,
 *                                   removal of a page
 *           i_mmap_rwsem            unmap_mapping_range(),
 *                                   folio_mkclean()
 *             xa_lock               struct vd_pages; also taken under a
 *                                   page table lock, by ->dirty_folio
 *                                   from a zap of a dirty PTE
 *
 * This is the order of mm/rmap.c (i_rwsem -> mmap_lock -> invalidate_lock
 * -> folio lock -> i_mmap_rwsem) with st->lock in place of i_rwsem.
 * st->lock is never taken in a fault path, so write() may hold it across a
 * user copy. Nothing holds invalidate_lock or a page lock across a user
 * copy that may fault: read() copies with only a page reference; write()
 * faults the source in first and copies with page faults disabled under the
 * page lock, retrying if the copy comes up short. So write(fd, p, n) with p
 * mapping the same page of the store cannot deadlock.
 *
 * Shrinking: with invalidate_lock held exclusively no fault can look up a
 * page; the pages past the end are unmapped (private copies too), then
 * each is removed from the array under its page lock, which waits for a
 * fault that already returned it to finish installing its PTE, and the
 * range is unmapped again to catch those. A page still mapped or pinned
 * (GUP) by then keeps the references of its users and is freed by the last
 * one: the array only drops its own.
 *
 * Reclaim: a cache page that is clean (the backing store holds the same
 * bytes, or holds no page and the cache page is all zeros: a page read or
 * faulted in but never written), that no page table maps and that nobody
 * else holds a reference on (no pin, no pipe buffer, no read() copying it)
 * is only a copy of the medium, so under memory pressure the module's
 * shrinker drops it, and the next fault or read() reads it in again (a
 * major fault). The shrinker runs in reclaim, which can be entered from an
 * allocation of our own fault, read(), write() or writeback path with
 * invalidate_lock or a page lock held: it only trylocks them, in the order
 * above, and passes over a store or page it cannot lock. With
 * invalidate_lock held exclusively no lookup can take a new reference or
 * map the page, and under the page lock its dirty mark cannot be set (nor
 * a writeback be copying it), so the checks made there hold until the page
 * is removed.
 *
 * 6.12 runs ->fault and ->page_mkwrite under the per-VMA lock alone when
 * the VMA has ->map_pages (vmf_can_call_fault()); ours maps nothing. That
 * is safe here: the handlers use only the VMA's own fields, the store
 * (which lives as long as the module, pinned by vm_file) and the locks
 * above, never mmap_lock nor another VMA.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/highmem.h>
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
	atomic64_t pages_freed;
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
	atomic64_t pages_reclaimed;
};

/**
 * struct vd_store - one /dev/vmapdemo-storeN
 * @misc: the device node
 * @name: its name
 * @index: N
 * @inode: anon inode whose i_mapping is every open's f_mapping; its
 *	i_size follows @size
 * @lock: serializes changes of @size (write() and resize); see the lock
 *	order at the top of this file
 * @size: size in bytes. Written under @lock and, when shrinking, under the
 *	mapping's invalidate_lock held exclusively; read with READ_ONCE().
 *	A fault checks it under invalidate_lock shared, so it never maps a
 *	page past a shrink that has started.
 * @cache: the pages mappings, read() and write() use. %VD_PAGE_DIRTY
 *	marks a page the backing store has not seen; it is set (after the
 *	data is in the page) and cleared (before the page is copied) only
 *	under the page lock.
 * @backing: the simulated medium: a page here is only written under the
 *	page lock of the cache page at the same index, and only read to
 *	fill a cache page that is absent (under invalidate_lock)
 * @wb_lock: serializes writebacks (sync, fsync, background), so that a
 *	sync that finds a page already being written back waits for it;
 *	taken outside invalidate_lock, never under mmap_lock
 * @wb_work: background writeback, and the writeback an ASYNC sync starts
 * @sync_gen: completed synchronous syncs
 * @crash_gen: crashes; a file whose @crash_seen differs gets EIO once
 * @opens: open files, for the dirty_at_last_close counter
 * @reclaim_next: where the shrinker's next scan of @cache starts, so that
 *	successive scans go round the store instead of finding the same
 *	mapped or dirty pages first; under invalidate_lock held exclusively
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
	struct vd_pages cache;
	struct vd_pages backing;
	struct mutex wb_lock;	/* writebacks; order: top of file */
	struct delayed_work wb_work;
	atomic64_t sync_gen;
	atomic64_t crash_gen;
	atomic_t opens;
	pgoff_t reclaim_next;
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
/* Gives clean, unmapped cache pages back under memory pressure. */
static struct shrinker *vd_store_shrinker;
/* The store the shrinker's next scan starts with (a hint, not locked). */
static unsigned int vd_store_reclaim_first;

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

/*
 * The cache page at @index with a reference. If absent, it is read in from
 * the backing store (*@major set), or allocated zero-filled if @create is
 * set; NULL for a hole when !@create.
 * Context: invalidate_lock held (shared or exclusive): nothing removes
 * cache pages meanwhile, so the backing page cannot be written while we
 * copy it unless another filler won the race, and then our copy is dropped.
 */
static struct page *vd_store_find_page(struct vd_store *st, pgoff_t index,
				       bool create, bool *major)
{
	struct page *page, *bpage;

	*major = false;
	page = vd_pages_lookup(&st->cache, index);
	if (page)
		return page;
	bpage = vd_pages_lookup(&st->backing, index);
	if (!bpage && !create)
		return NULL;
	page = vd_pages_alloc();
	if (!page) {
		if (bpage)
			put_page(bpage);
		return ERR_PTR(-ENOMEM);
	}
	if (bpage) {
		copy_highpage(page, bpage);
		put_page(bpage);
		*major = true;
	}
	page = vd_pages_insert(&st->cache, index, page);
	if (!IS_ERR(page)) {
		atomic64_inc(&st->stats.pages_alloc);
		if (*major)
			atomic64_inc(&st->stats.faults_major);
	}
	return page;
}

/* --- mappings ------------------------------------------------------------ */

/*
 * folio_mark_dirty() on a page of the cache: the core reports a write that
 * reached the page without going through ->page_mkwrite or write(): a
 * zap of a dirty PTE, a GUP user done writing (unpin_user_pages_dirty_lock()
 * from process_vm_writev() and O_DIRECT, folio_mark_dirty_lock() from
 * /proc/pid/mem and ptrace). The data is in the page already, so marking
 * it now makes the next writeback copy it. PG_dirty is not used: the
 * store's dirty state is the xarray mark alone.
 * Context: may be called under a page table lock; the page lock is held
 * by the GUP users, not by a zap, which holds the PTE instead, so the
 * page is still at its index (removal unmaps it first) and the store,
 * which lives as long as the module, is pinned by the VMA's file.
 */
static bool vd_store_dirty_folio(struct address_space *mapping,
				 struct folio *folio)
{
	struct vd_store *st = mapping->host->i_private;

	return vd_pages_mark_dirty_page(&st->cache, folio->index,
					folio_page(folio, 0));
}

static const struct address_space_operations vd_store_aops = {
	.dirty_folio	= vd_store_dirty_folio,
};

/* See the top of the file for why mapping nothing here is safe and useful. */
static vm_fault_t vd_store_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff,
				     pgoff_t end_pgoff)
{
	return 0;
}

static vm_fault_t vd_store_fault(struct vm_fault *vmf)
{
	struct vd_store *st = vmf->vma->vm_private_data;
	struct address_space *mapping = vd_store_mapping(st);
	struct page *page;
	bool major;

	filemap_invalidate_lock_shared(mapping);
	if (vmf->pgoff >= vd_store_nr_pages(st)) {
		filemap_invalidate_unlock_shared(mapping);
		atomic64_inc(&st->stats.faults_sigbus);
		return VM_FAULT_SIGBUS;
	}
	page = vd_store_find_page(st, vmf->pgoff, true, &major);
	if (IS_ERR(page)) {
		filemap_invalidate_unlock_shared(mapping);
		return vmf_error(PTR_ERR(page));
	}
	lock_page(page);
	/* Nothing removes pages under invalidate_lock shared: belt and braces. */
	if (unlikely(xa_load(&st->cache.xa, vmf->pgoff) != page)) {
		unlock_page(page);
		put_page(page);
		filemap_invalidate_unlock_shared(mapping);
		return VM_FAULT_NOPAGE;	/* retry */
	}
	filemap_invalidate_unlock_shared(mapping);

	if (!(vmf->flags & FAULT_FLAG_WRITE))
		atomic64_inc(&st->stats.faults_read);
	else if (vmf->vma->vm_flags & VM_SHARED)
		atomic64_inc(&st->stats.faults_write);
	else
		atomic64_inc(&st->stats.faults_cow);

	/*
	 * Locked until the core has installed the PTE, so a shrink that
	 * removes the page after we dropped invalidate_lock waits for the
	 * PTE and then unmaps it.
	 */
	vmf->page = page;
	return VM_FAULT_LOCKED | (major ? VM_FAULT_MAJOR : 0);
}

/*
 * The first write to a page of a shared mapping since it was mapped or
 * written back. We lock the page and say so (do_page_mkwrite()): it stays
 * locked until the PTE is writable, so a writeback, which holds the page
 * lock while it write-protects and copies the page, either sees this write
 * or makes the writer fault again and mark the page dirty again.
 */
static vm_fault_t vd_store_page_mkwrite(struct vm_fault *vmf)
{
	struct vd_store *st = vmf->vma->vm_private_data;
	struct address_space *mapping = vd_store_mapping(st);
	struct page *page = vmf->page;

	filemap_invalidate_lock_shared(mapping);
	lock_page(page);
	if (vmf->pgoff >= vd_store_nr_pages(st) ||
	    xa_load(&st->cache.xa, vmf->pgoff) != page) {
		/* Shrunk away since it was mapped: the retry gets SIGBUS. */
		unlock_page(page);
		filemap_invalidate_unlock_shared(mapping);
		return VM_FAULT_NOPAGE;
	}
	filemap_invalidate_unlock_shared(mapping);
	vd_pages_mark_dirty(&st->cache, vmf->pgoff);
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

static const struct vm_operations_struct vd_store_vm_ops = {
	.fault		= vd_store_fault_traced,
	.map_pages	= vd_store_map_pages,
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
		struct page *page;
		size_t copied;
		bool major;
		loff_t size;

		filemap_invalidate_lock_shared(mapping);
		page = vd_store_find_page(st, index, false, &major);
		/* After the lookup, as filemap_read(): no data past a shrink. */
		size = vd_store_size(st);
		filemap_invalidate_unlock_shared(mapping);
		if (IS_ERR(page)) {
			if (!done)
				return PTR_ERR(page);
			break;
		}
		if (pos >= size) {
			if (page)
				put_page(page);
			break;
		}
		n = min_t(loff_t, n, size - pos);
		/* No lock held: the copy may fault on a mapping of this store. */
		if (page) {
			copied = copy_page_to_iter(page, offset, n, to);
			put_page(page);
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
	struct page *page;
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
	page = vd_store_find_page(st, index, true, &major);
	filemap_invalidate_unlock_shared(mapping);
	if (IS_ERR(page))
		return PTR_ERR(page);

	lock_page(page);
	if (xa_load(&st->cache.xa, index) != page) {
		/* Removed (shrink) since the lookup: look it up again. */
		copied = 0;
		goto out;
	}
	/*
	 * Under the page lock (so that a writeback copies all or nothing of
	 * it) but with page faults disabled: a fault here would have to take
	 * this page lock. A short copy means the source went away again;
	 * the caller faults it in and retries.
	 */
	pagefault_disable();
	copied = vd_copy_page_from_iter_atomic(page, offset, n, from);
	pagefault_enable();
	flush_dcache_page(page);
	if (copied) {
		loff_t end = ((loff_t)index << PAGE_SHIFT) + offset + copied;

		vd_pages_mark_dirty(&st->cache, index);
		/*
		 * Under the page lock, as a filesystem's ->write_end: a
		 * writeback of this page sees the data and the size that
		 * covers it together (it zeroes its copy past the end).
		 */
		if (end > st->size)
			vd_store_set_size(st, end);
	}
out:
	unlock_page(page);
	put_page(page);
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

/* Is there data (a page in the cache or the backing store) at @index? */
static bool vd_store_has_page(struct vd_store *st, pgoff_t index)
{
	return xa_load(&st->cache.xa, index) || xa_load(&st->backing.xa, index);
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
		page = vd_pages_find(&st->cache, &i, last, XA_PRESENT);
		if (page) {
			put_page(page);
			found = i;
		}
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
 * Remove the pages in [@first, @last] from the cache, each under its page
 * lock so that a fault that returned it has installed its PTE by then, and
 * so that a writeback copying it finishes first. With @clean_only, dirty
 * pages stay. Return: the number of dirty pages removed.
 * Context: invalidate_lock held exclusively.
 */
static unsigned long vd_store_drop_range(struct vd_store *st, pgoff_t first,
					 pgoff_t last, bool clean_only)
{
	unsigned long dirty = 0;
	pgoff_t index = first;
	struct page *page;
	bool was_dirty;

	while ((page = vd_pages_find(&st->cache, &index, last, XA_PRESENT))) {
		lock_page(page);
		if ((!clean_only ||
		     !xa_get_mark(&st->cache.xa, index, VD_PAGE_DIRTY)) &&
		    vd_pages_remove_page(&st->cache, index, page, &was_dirty)) {
			atomic64_inc(&st->stats.pages_freed);
			dirty += was_dirty;
			if (clean_only)
				atomic64_inc(&st->stats.pages_invalidated);
		}
		unlock_page(page);
		put_page(page);
		if (index == last)
			break;
		index++;
		cond_resched();
	}
	return dirty;
}

/*
 * Zero the part of the page at @index from byte @offset on, in the cache
 * and in the backing store, under the cache page's lock if there is one
 * (a writeback copies to the backing store under that lock).
 */
static void vd_store_zero_tail(struct vd_store *st, pgoff_t index,
			       size_t offset)
{
	struct page *page = vd_pages_lookup(&st->cache, index);
	struct page *bpage;

	if (page) {
		lock_page(page);
		zero_user_segment(page, offset, PAGE_SIZE);
	}
	bpage = vd_pages_lookup(&st->backing, index);
	if (bpage) {
		zero_user_segment(bpage, offset, PAGE_SIZE);
		put_page(bpage);
	}
	if (page) {
		unlock_page(page);
		put_page(page);
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
	/* Against reclaim and crash, which remove pages. */
	filemap_invalidate_lock_shared(mapping);
	vd_store_zero_tail(st, st->size >> PAGE_SHIFT,
			   offset_in_page(st->size));
	filemap_invalidate_unlock_shared(mapping);
}

static int vd_store_resize(struct vd_store *st, loff_t new_size)
{
	struct address_space *mapping = vd_store_mapping(st);
	loff_t holebegin = round_up(new_size, PAGE_SIZE);

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
	/* As truncate_pagecache(): private copies past the end go too. */
	unmap_mapping_range(mapping, holebegin, 0, 1);
	vd_store_drop_range(st, holebegin >> PAGE_SHIFT, ULONG_MAX, false);
	/* After the cache pages: no writeback can copy there now. */
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

/* Pages written back together. */
#define VD_WB_BATCH	32

/*
 * Copy the cache page at @index to its backing page @bpage, up to the end
 * of the store: what a shared mapping wrote past the end within the last
 * page is not part of the store and never reaches the medium, as a
 * filesystem's writeback zeroes the part of the page past i_size. The
 * size is read under the page lock, which write() holds when it grows the
 * store over this page.
 * Context: the cache page's lock held.
 */
static void vd_store_copy_to_medium(struct vd_store *st, struct page *bpage,
				    struct page *page, pgoff_t index)
{
	loff_t size = vd_store_size(st);

	copy_highpage(bpage, page);
	if (size >> PAGE_SHIFT == index && offset_in_page(size))
		zero_user_segment(bpage, offset_in_page(size), PAGE_SIZE);
}

/*
 * Write back a batch of cache pages found carrying a dirty mark, @nr of
 * them at ascending @idx (reference section 6.1): under their page locks,
 * clear their dirty marks, write-protect each page in every shared
 * writable mapping of it (folio_mkclean(): an rmap walk of the store's
 * i_mmap tree at the page's offset, which visits every VMA there and
 * skips only those that cannot write it: private mappings, whose writes
 * go to copies, and MAP_SHARED mappings of O_RDONLY files), then copy
 * each to the backing store. A store through a PTE that was writable
 * before the write-protect is in the page before the copy; a later one
 * faults, blocks in ->page_mkwrite on the page lock and marks the page
 * dirty again after we are done; write() copies and marks under the page
 * lock. A write that reaches the page without a PTE (through a GUP pin:
 * process_vm_writev(), /proc/pid/mem, O_DIRECT) is reported by
 * folio_mark_dirty() once it is in the page (vd_store_dirty_folio()), and
 * a page pinned (FOLL_PIN) while we copy it stays dirty, since its pinner
 * may write it at any time without either. So no write is lost, and the
 * backing page receives whole page images only.
 *
 * Only the first page lock is waited for; the batch ends before the first
 * page whose lock is contended (the caller comes back for it), so holding
 * several page locks can never wait on another holder of several.
 * Consumes the references on @pages.
 * Return: pages copied, or -ENOMEM (the pages not copied are dirty again);
 * *@done is how many of @pages were dealt with.
 * Context: wb_lock held.
 */
static long vd_store_writeback_batch(struct vd_store *st, struct page **pages,
				     pgoff_t *idx, unsigned int nr,
				     unsigned int *done)
{
	unsigned int i, n = 0, locked;
	struct page *bpage;
	bool allocated;
	long written = 0;

	lock_page(pages[0]);
	for (locked = 1; locked < nr; locked++)
		if (!trylock_page(pages[locked]))
			break;
	for (i = locked; i < nr; i++)
		put_page(pages[i]);
	*done = locked;

	/* Keep the pages still in the store and dirty, in order. */
	for (i = 0; i < locked; i++) {
		if (xa_load(&st->cache.xa, idx[i]) == pages[i] &&
		    vd_pages_clear_dirty(&st->cache, idx[i])) {
			pages[n] = pages[i];
			idx[n++] = idx[i];
		} else {
			unlock_page(pages[i]);
			put_page(pages[i]);
		}
	}
	/*
	 * folio_mkclean() returns at once for a page nothing maps: a fault
	 * maps a page only under its lock, which we hold.
	 */
	for (i = 0; i < n; i++)
		folio_mkclean(page_folio(pages[i]));

	for (i = 0; i < n; i++) {
		bpage = written < 0 ? NULL :
			vd_pages_get(&st->backing, idx[i], &allocated);
		if (IS_ERR_OR_NULL(bpage)) {
			if (written >= 0)
				written = PTR_ERR(bpage);
			vd_pages_mark_dirty(&st->cache, idx[i]);
		} else {
			vd_store_copy_to_medium(st, bpage, pages[i], idx[i]);
			put_page(bpage);
			atomic64_inc(&st->stats.pages_written);
			written++;
			/* Its pinner may write it after our copy, unseen. */
			if (folio_maybe_dma_pinned(page_folio(pages[i])))
				vd_pages_mark_dirty(&st->cache, idx[i]);
		}
		unlock_page(pages[i]);
		put_page(pages[i]);
	}
	return written;
}

/*
 * Write back the pages in [@first, @last] that carry @mark (%VD_PAGE_DIRTY,
 * or %VD_PAGE_AGED for background writeback).
 * Return: pages written, or a negative errno.
 * Context: wb_lock held.
 */
static long vd_store_writeback_range(struct vd_store *st, pgoff_t first,
				     pgoff_t last, xa_mark_t mark)
{
	struct page *pages[VD_WB_BATCH];
	pgoff_t idx[VD_WB_BATCH];
	pgoff_t index = first;
	unsigned int nr, done;
	long written = 0, ret;

	while ((nr = vd_pages_find_batch(&st->cache, &index, last, mark,
					 pages, idx, VD_WB_BATCH))) {
		ret = vd_store_writeback_batch(st, pages, idx, nr, &done);
		if (ret < 0)
			return ret;
		written += ret;
		/* Resume at the first page the batch left (contended). */
		if (done < nr)
			index = idx[done];
		else if (nr < VD_WB_BATCH || idx[nr - 1] == last)
			break;	/* the walk ended; index may have wrapped */
		cond_resched();
	}
	return written;
}

/*
 * Report a crash since this file last synced, once, as fsync() reports a
 * writeback error (errseq) once per open file. Called after the copies.
 * invalidate_lock waits for a crash in progress: a crash that began before
 * this point is complete when we report it (so a sync that starts after
 * the report cannot overlap it), and one that begins after it found every
 * page we copied already in the backing store.
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
 * A synchronous sync of [@first, @last]: every page dirty when it starts
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
	n = vd_store_writeback_range(st, first, last, VD_PAGE_DIRTY);
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
 * the pages marked aged, then, if background writeback is on, mark the
 * pages dirty now as aged and come back after writeback_age_ms. A page
 * dirty for longer than the age is thus written back within another age.
 */
static void vd_store_wb_work(struct work_struct *work)
{
	struct vd_store *st = container_of(to_delayed_work(work),
					   struct vd_store, wb_work);
	unsigned int age = READ_ONCE(writeback_age_ms);
	long n;

	mutex_lock(&st->wb_lock);
	n = vd_store_writeback_range(st, 0, ULONG_MAX, VD_PAGE_AGED);
	trace_vmapdemo_writeback(st->index, VD_TRACE_WB_BACKGROUND, 0,
				 ULONG_MAX, n);
	if (age)
		vd_pages_age_dirty(&st->cache, 0, ULONG_MAX);
	mutex_unlock(&st->wb_lock);
	if (age)
		queue_delayed_work(system_unbound_wq, &st->wb_work,
				   msecs_to_jiffies(age));
}

/*
 * Does a page in [@first, @last] pass @test (mlocked, or pinned)?
 * Context: invalidate_lock held exclusively.
 */
static bool vd_store_range_any(struct vd_store *st, pgoff_t first,
			       pgoff_t last, bool (*test)(struct folio *folio))
{
	pgoff_t index = first;
	struct page *page;
	bool busy = false;

	while ((page = vd_pages_find(&st->cache, &index, last, XA_PRESENT))) {
		busy = test(page_folio(page));
		put_page(page);
		if (busy || index == last)
			break;
		index++;
		cond_resched();
	}
	return busy;
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
 * INVALIDATE: write back, then drop the range's cached pages, so that every
 * mapping and read() sees the backing store. invalidate_lock (exclusive)
 * keeps faults, read() and write() from the range meanwhile, so no page
 * can be dirtied again between the writeback and the drop.
 *
 * A page that someone pinned (GUP with FOLL_PIN) must not leave the cache:
 * its pinner's later writes would go to a page the store no longer has.
 * Pins are taken through page tables, so the range is unmapped first
 * (faults wait for invalidate_lock, and the TLB flush of the unmap waits
 * out a lockless GUP-fast that saw a PTE), and only then checked: no new
 * pin can appear after that. An mlocked page is refused too, before the
 * unmap that would munlock it: dropping it would not lose data, but mlock
 * promises it stays resident.
 */
static int vd_store_invalidate(struct vd_store *st, struct vd_store_file *sf,
			       pgoff_t first, pgoff_t last, u64 *written)
{
	struct address_space *mapping = vd_store_mapping(st);
	loff_t start = (loff_t)first << PAGE_SHIFT;
	loff_t len = (loff_t)(last - first + 1) << PAGE_SHIFT;
	long n;
	int ret;

	if (mutex_lock_killable(&st->wb_lock))
		return -EINTR;
	filemap_invalidate_lock(mapping);
	if (vd_store_range_any(st, first, last, vd_folio_mlocked)) {
		ret = -EBUSY;
		goto out;
	}
	unmap_mapping_range(mapping, start, len, 0);
	if (vd_store_range_any(st, first, last, vd_folio_pinned)) {
		ret = -EBUSY;
		goto out;
	}
	n = vd_store_writeback_range(st, first, last, VD_PAGE_DIRTY);
	trace_vmapdemo_writeback(st->index, VD_TRACE_WB_INVALIDATE, first,
				 last, n);
	if (n < 0) {
		ret = n;
		goto out;
	}
	*written += n;
	vd_store_drop_range(st, first, last, true);
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
 * A simulated crash of the medium: everything the backing store has not
 * seen is lost. invalidate_lock (exclusive) stops faults and lookups; the
 * first unmap zaps every PTE of the store's pages (private copies stay:
 * they belong to their process); each page is removed under its page lock,
 * so a writeback copying it finishes first (each backing page is old or
 * new) and a fault that found it has installed its PTE, which the second
 * unmap zaps. Not under wb_lock: a crash does not wait for a sync.
 * Return: dirty pages dropped.
 */
static unsigned long vd_store_crash(struct vd_store *st)
{
	struct address_space *mapping = vd_store_mapping(st);
	unsigned long dropped;

	filemap_invalidate_lock(mapping);
	/* Before any page goes: a sync that then completes reports it. */
	atomic64_inc(&st->crash_gen);
	unmap_mapping_range(mapping, 0, 0, 0);
	dropped = vd_store_drop_range(st, 0, ULONG_MAX, false);
	unmap_mapping_range(mapping, 0, 0, 0);
	trace_vmapdemo_crash(st->index, dropped, atomic64_read(&st->crash_gen));
	filemap_invalidate_unlock(mapping);
	atomic64_inc(&st->stats.crashes);
	atomic64_add(dropped, &st->stats.crash_dropped);
	return dropped;
}

/* --- reclaim ------------------------------------------------------------- */

/*
 * Drop the cache page @page at @index if it is reclaimable (see the top of
 * the file): clean, unmapped, and referenced only by the array and by our
 * caller. Not a page under writeback or being installed by a fault: both
 * hold its page lock.
 * Return: true if the page was removed from the cache.
 * Context: invalidate_lock held exclusively; the caller holds a reference.
 */
static bool vd_store_reclaim_page(struct vd_store *st, pgoff_t index,
				  struct page *page)
{
	bool removed = false;

	if (xa_get_mark(&st->cache.xa, index, VD_PAGE_DIRTY) ||
	    !trylock_page(page))
		return false;
	/* Under the page lock: the dirty mark is only set under it. */
	if (!xa_get_mark(&st->cache.xa, index, VD_PAGE_DIRTY) &&
	    !folio_mapped(page_folio(page)) && page_ref_count(page) == 2)
		removed = vd_pages_remove_page(&st->cache, index, page, NULL);
	unlock_page(page);
	if (removed) {
		atomic64_inc(&st->stats.pages_freed);
		atomic64_inc(&st->stats.pages_reclaimed);
	}
	return removed;
}

/*
 * Look at up to @nr - *@scanned cache pages of @st, from where its last
 * scan stopped, going round once, and drop the reclaimable ones. Adds the
 * pages looked at to *@scanned.
 * Return: pages dropped.
 */
static unsigned long vd_store_reclaim(struct vd_store *st, unsigned long nr,
				      unsigned long *scanned)
{
	struct address_space *mapping = vd_store_mapping(st);
	pgoff_t start, index, last = ULONG_MAX;
	unsigned long freed = 0;
	struct page *page;

	/* Held by a fault or write() whose allocation brought us here? */
	if (!down_write_trylock(&mapping->invalidate_lock))
		return 0;
	start = st->reclaim_next;
	index = start;
	while (*scanned < nr) {
		page = vd_pages_find(&st->cache, &index, last, XA_PRESENT);
		if (!page) {
			if (last != ULONG_MAX || !start)
				break;
			/* Once round: from the start up to where we began. */
			index = 0;
			last = start - 1;
			continue;
		}
		(*scanned)++;
		freed += vd_store_reclaim_page(st, index, page);
		put_page(page);
		/* No wrap: an index is below store_max_size >> PAGE_SHIFT. */
		index++;
	}
	st->reclaim_next = index;
	up_write(&mapping->invalidate_lock);
	return freed;
}

/*
 * Cheap and approximate, as a shrinker count should be: the clean pages,
 * mapped ones included.
 */
static unsigned long vd_store_shrink_count(struct shrinker *shrinker,
					   struct shrink_control *sc)
{
	unsigned long count = 0;
	unsigned int i;

	for (i = 0; i < vd_nr_stores; i++) {
		struct vd_pages *cache = &vd_stores[i].cache;
		long clean = atomic_long_read(&cache->nr) -
			     atomic_long_read(&cache->nr_dirty);

		if (clean > 0)
			count += clean;
	}
	return count ? count : SHRINK_EMPTY;
}

/*
 * Scan up to sc->nr_to_scan cache pages, starting with a different store
 * each time. Pages dropped are reported to reclaim as progress.
 */
static unsigned long vd_store_shrink_scan(struct shrinker *shrinker,
					  struct shrink_control *sc)
{
	unsigned int first = READ_ONCE(vd_store_reclaim_first), i;
	unsigned long freed = 0, scanned = 0;

	if (!vd_nr_stores)
		return SHRINK_STOP;
	first %= vd_nr_stores;
	WRITE_ONCE(vd_store_reclaim_first, first + 1);
	for (i = 0; i < vd_nr_stores && scanned < sc->nr_to_scan; i++)
		freed += vd_store_reclaim(&vd_stores[(first + i) % vd_nr_stores],
					  sc->nr_to_scan, &scanned);
	sc->nr_scanned = scanned;
	mm_account_reclaimed_pages(freed);
	/* Every store walked (or locked) and nothing to drop: stop asking. */
	if (!freed && scanned < sc->nr_to_scan)
		return SHRINK_STOP;
	return freed;
}

/* --- ioctls -------------------------------------------------------------- */

static long vd_store_ioc_get_info(struct vd_store *st, void __user *uarg)
{
	struct vmapdemo_store_info info = {};
	struct vd_store_stats *s = &st->stats;
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
	info.resident_pages = atomic_long_read(&st->cache.nr);
	info.index = st->index;
	info.pages_alloc = atomic64_read(&s->pages_alloc);
	info.pages_freed = atomic64_read(&s->pages_freed);
	info.faults_read = atomic64_read(&s->faults_read);
	info.faults_write = atomic64_read(&s->faults_write);
	info.faults_cow = atomic64_read(&s->faults_cow);
	info.faults_mkwrite = atomic64_read(&s->faults_mkwrite);
	info.faults_sigbus = atomic64_read(&s->faults_sigbus);
	info.reads = atomic64_read(&s->reads);
	info.writes = atomic64_read(&s->writes);
	info.resizes = atomic64_read(&s->resizes);
	info.backing_pages = atomic_long_read(&st->backing.nr);
	info.dirty_pages = atomic_long_read(&st->cache.nr_dirty);
	info.pages_written = atomic64_read(&s->pages_written);
	info.syncs = atomic64_read(&s->syncs);
	info.sync_gen = atomic64_read(&st->sync_gen);
	info.crashes = atomic64_read(&s->crashes);
	info.crash_gen = atomic64_read(&st->crash_gen);
	info.crash_dropped = atomic64_read(&s->crash_dropped);
	info.dirty_at_last_close = atomic64_read(&s->dirty_at_last_close);
	info.faults_major = atomic64_read(&s->faults_major);
	info.pages_invalidated = atomic64_read(&s->pages_invalidated);
	info.pages_reclaimed = atomic64_read(&s->pages_reclaimed);
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
			vd_pages_age_dirty(&st->cache, first, last);
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
			     atomic_long_read(&st->cache.nr_dirty));
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
	/* No file is open (the module is going), so nothing is mapped. */
	atomic64_add(vd_pages_destroy(&st->cache), &st->stats.pages_freed);
	vd_pages_destroy(&st->backing);
	iput(st->inode);
}

static int vd_store_create(struct vd_store *st, unsigned int index)
{
	int ret;

	st->index = index;
	mutex_init(&st->lock);
	mutex_init(&st->wb_lock);
	INIT_DELAYED_WORK(&st->wb_work, vd_store_wb_work);
	vd_pages_init(&st->cache);
	vd_pages_init(&st->backing);
	st->inode = vd_fs_new_inode();
	if (IS_ERR(st->inode))
		return PTR_ERR(st->inode);
	/* The cache's page->mapping (pages.c); backing pages are never mapped. */
	st->inode->i_private = st;
	st->inode->i_mapping->a_ops = &vd_store_aops;
	st->cache.mapping = st->inode->i_mapping;
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
	/* Registered last: its callbacks walk vd_stores[0..vd_nr_stores). */
	vd_store_shrinker = vd_shrinker_create("vmapdemo-store",
					       vd_store_shrink_count,
					       vd_store_shrink_scan);
	if (!vd_store_shrinker) {
		vd_nr_stores = 0;
		mutex_unlock(&vd_stores_lock);
		ret = -ENOMEM;
		goto err_destroy;
	}
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
	/* Waits for a scan in progress: none runs on a store going away. */
	vd_shrinker_destroy(vd_store_shrinker);
	vd_store_shrinker = NULL;
	for (i = 0; i < vd_nr_stores; i++)
		vd_store_destroy(&vd_stores[i]);
	kfree(vd_stores);
	vd_stores = NULL;
	vd_nr_stores = 0;
}
