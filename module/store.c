// SPDX-License-Identifier: GPL-2.0
/*
 * store.c - /dev/vmapdemo-storeN: the nodes' lifecycle (module init and
 * exit, open, release) and their file operations (read, write, lseek,
 * resize, the ioctls). The design, the lock order and the map of the
 * other store files are in store.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <linux/writeback.h>

#include <linux/vmapdemo.h>

#include "store.h"

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

static bool store_huge;
module_param(store_huge, bool, 0644);
MODULE_PARM_DESC(store_huge, "1: add PMD-size folios where the aligned 2 MiB is inside the store, as tmpfs huge=within_size (default 0)");

bool vd_store_huge(void)
{
	return READ_ONCE(store_huge);
}

static struct vd_store *vd_stores;
static unsigned int vd_nr_stores;
/* Protects vd_stores_live, so that a parameter write never kicks a gone store. */
static DEFINE_MUTEX(vd_stores_lock);
static bool vd_stores_live;

/* Pages of the folios carrying the dirty tag: a walk, for the statistics. */
static unsigned long vd_store_nr_dirty(struct vd_store *st)
{
	XA_STATE(xas, &vd_store_mapping(st)->i_pages, 0);
	unsigned long n = 0;
	void *entry;

	rcu_read_lock();
	xas_for_each_marked(&xas, entry, ULONG_MAX, PAGECACHE_TAG_DIRTY) {
		if (xas_retry(&xas, entry) || xa_is_value(entry))
			continue;
		n += folio_nr_pages(entry);
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
unsigned long vd_store_note_removed(struct vd_store *st, unsigned long before)
{
	unsigned long after = vd_store_nr_cached(st);
	unsigned long n = before > after ? before - after : 0;

	atomic64_add(n, &st->stats.pages_removed);
	return n;
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
		folio = vd_store_get_folio(st, index, true, false, &major);
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
			copied = copy_page_to_iter(folio_file_page(folio, index),
						   offset, n, to);
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
	folio = vd_store_get_folio(st, index, true, true, &major);
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
	copied = vd_copy_page_from_iter_atomic(folio_file_page(folio, index),
					       offset, n, from);
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
		/* A large folio's entry is found at its first index. */
		return found <= index ? offset : (loff_t)found << PAGE_SHIFT;
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
		size_t start = offset_in_folio(folio,
					       ((loff_t)index << PAGE_SHIFT) + offset);

		folio_zero_segment(folio, start, start + PAGE_SIZE - offset);
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

/*
 * Before a shrink to @new_size: a large folio (store_huge) that the new end
 * falls inside is replaced by small folios with the same bytes and dirty
 * state for the pages that stay, or dropped whole if it is clean (the
 * medium holds its bytes). Truncation would split it instead, and the
 * core's split drops the tails past the end with
 * folio_account_cleaned(tail, inode_to_wb(inode)) if they are dirty: a
 * NULL dereference for an inode without writeback, as ours is on the noop
 * bdi (6.1 to 7.3). Splitting ourselves is not possible either: the split
 * is not exported.
 *
 * The folio is unmapped first, under its lock (no fault maps it again
 * before we unlock it), and checked for pins then, as INVALIDATE does: a
 * pinner's later writes to the pages that stay would go to a folio the
 * store no longer has, so a pinned folio refuses the shrink. Its bytes
 * are copied under its lock, and the new size is set before it is
 * unlocked for truncation: in that window fault-around may map it
 * read-only again, but ->fault takes a folio that reaches past the end
 * to its slow path and ->page_mkwrite waits, both for invalidate_lock,
 * so nothing writes it after the copy. wb_lock keeps every
 * writeback out, so a sync never finds the dirty data between the two
 * folios. The small folios (at most 511 pages, replacing a folio that
 * held them) are allocated and added with __GFP_NOFAIL: once the large
 * folio is gone they hold the only copy of dirty data, so neither their
 * allocation nor their memcg charge may fail.
 *
 * Return: 0 (nothing to do, or the folio was replaced and the size is
 * now @new_size) or -EBUSY (pinned; nothing changed).
 * Context: st->lock, wb_lock and invalidate_lock (exclusive) held.
 */
static int vd_store_demote(struct vd_store *st, loff_t new_size)
{
	struct address_space *mapping = vd_store_mapping(st);
	gfp_t gfp = mapping_gfp_mask(mapping);
	pgoff_t index = DIV_ROUND_UP_ULL(new_size, PAGE_SIZE);
	struct folio *folio, **small = NULL;
	pgoff_t start, i, n = 0;
	loff_t fstart, flen;
	int ret = 0;

	folio = vd_filemap_lock_folio(mapping, index, false);
	if (IS_ERR_OR_NULL(folio))
		return 0;
	start = folio->index;
	if (!folio_test_large(folio) || start == index)
		goto out_unlock;
	fstart = (loff_t)start << PAGE_SHIFT;
	flen = folio_size(folio);
	unmap_mapping_range(mapping, fstart, flen, 0);
	if (folio_maybe_dma_pinned(folio)) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (folio_test_dirty(folio)) {
		n = index - start;
		small = kmalloc_array(n, sizeof(*small),
				      GFP_KERNEL | __GFP_NOFAIL);
		for (i = 0; i < n; i++) {
			small[i] = vd_filemap_alloc_folio(gfp | __GFP_NOFAIL, 0);
			copy_highpage(folio_page(small[i], 0), folio_page(folio, i));
		}
	}
	vd_store_set_size(st, new_size);
	folio_unlock(folio);
	truncate_inode_pages_range(mapping, fstart, fstart + flen - 1);
	folio_put(folio);
	atomic64_add(n, &st->stats.pages_alloc);
	for (i = 0; i < n; i++) {
		folio = small[i];
		/* Nobody else adds a folio under invalidate_lock. */
		WARN_ON_ONCE(filemap_add_folio(mapping, folio, start + i,
					       gfp | __GFP_NOFAIL));
		flush_dcache_folio(folio);
		folio_mark_uptodate(folio);
		folio_mark_dirty(folio);
		folio_unlock(folio);
		folio_put(folio);
	}
	kfree(small);
	return 0;

out_unlock:
	folio_unlock(folio);
	folio_put(folio);
	return ret;
}

static int vd_store_resize(struct vd_store *st, loff_t new_size)
{
	struct address_space *mapping = vd_store_mapping(st);
	loff_t holebegin = round_up(new_size, PAGE_SIZE);
	unsigned long before;
	int ret = 0;

	if (mutex_lock_interruptible(&st->lock))
		return -EINTR;
	if (new_size >= st->size) {
		/* Growing adds zeros, also where a mapping wrote past the end. */
		if (new_size > st->size)
			vd_store_zero_eof(st);
		vd_store_set_size(st, new_size);
		goto out;
	}
	/* No writeback while a large folio may be replaced (demote). */
	if (mutex_lock_interruptible(&st->wb_lock)) {
		ret = -EINTR;
		goto out;
	}
	filemap_invalidate_lock(mapping);
	before = vd_store_nr_cached(st);
	ret = vd_store_demote(st, new_size);
	if (ret) {
		filemap_invalidate_unlock(mapping);
		mutex_unlock(&st->wb_lock);
		goto out;
	}
	vd_store_set_size(st, new_size);
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
	mutex_unlock(&st->wb_lock);
out:
	mutex_unlock(&st->lock);
	if (ret)
		return ret;
	atomic64_inc(&st->stats.resizes);
	return 0;
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
	/* splice(), sendfile(): through ->read_iter and ->write_iter. */
	.splice_read	= vd_store_splice_read,
	.splice_write	= iter_file_splice_write,
#ifdef VD_HAVE_MMAP_PREPARE
	.mmap_prepare	= vd_store_mmap_prepare,
#else
	.mmap		= vd_store_mmap,
#endif
	/*
	 * Mappings of 2 MiB or more start on a PMD boundary where the
	 * kernel aligns file mappings (6.12 on; NULL without THP), so that
	 * store_huge folios can be PMD-mapped.
	 */
	.get_unmapped_area = thp_get_unmapped_area,
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
/* The background writeback's age, for store_writeback.c. */
unsigned int vd_store_writeback_age(void)
{
	return READ_ONCE(writeback_age_ms);
}

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
	/* Faults may add PMD-size folios (store_huge). */
	mapping_set_large_folios(st->inode->i_mapping);
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

