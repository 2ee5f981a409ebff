// SPDX-License-Identifier: GPL-2.0
/*
 * store_writeback.c - a store's writeback to its backing tier: sync
 * (ioctl, fsync, O_SYNC writes), INVALIDATE, the background worker, and
 * the simulated crash that drops what was not written back. See store.h
 * for the design and the lock order.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/writeback.h>

#include "store.h"

/*
 * Copy the page at @index of the cache folio to its backing page @bpage,
 * up to the end of the store: what a shared mapping wrote past the end
 * within the last page is not part of the store and never reaches the
 * medium, as a filesystem's writeback zeroes the part of the page past
 * i_size. @size was read under the folio lock, which write() holds when
 * it grows the store over this page.
 * Context: the cache folio's lock held.
 */
static void vd_store_copy_to_medium(struct page *bpage, struct folio *folio,
				    pgoff_t index, loff_t size)
{
	copy_highpage(bpage, folio_file_page(folio, index));
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
	XA_STATE(xas, &mapping->i_pages, folio->index);
	unsigned long flags;

	/* One walk down the tree for both marks, as there. */
	xas_lock_irqsave(&xas, flags);
	xas_load(&xas);
	if (!folio_test_dirty(folio))
		xas_clear_mark(&xas, PAGECACHE_TAG_DIRTY);
	xas_clear_mark(&xas, PAGECACHE_TAG_TOWRITE);
	xas_unlock_irqrestore(&xas, flags);
}

/*
 * Write back a large folio (store_huge): its pages in [@first, @last] that
 * are inside the store, as vd_store_writeback_folio() does for one page.
 * It has one dirty bit for all its pages. One that the range covers only
 * in part is copied only in the range, and stays dirty: its other pages
 * may hold writes nobody synced, and a sync writes back exactly what it
 * was asked to (the crash checker's model). No large folio reaches past
 * the end of the store (vd_store_demote()), but the size may have shrunk
 * to inside one since the caller found it: pages past the end are not
 * the store's and are never copied.
 * Return: pages copied, 0 if there was nothing to do, or -ENOMEM.
 * Context: wb_lock and the folio lock held; the folio is dirty.
 */
static long vd_store_writeback_large(struct vd_store *st, struct folio *folio,
				     pgoff_t first, pgoff_t last)
{
	struct address_space *mapping = vd_store_mapping(st);
	loff_t size = vd_store_size(st);
	pgoff_t end = DIV_ROUND_UP_ULL(size, PAGE_SIZE);
	pgoff_t lo = max(first, folio->index);
	pgoff_t hi = min3(last, folio_next_index(folio) - 1, end - 1);
	struct page *bpage;
	bool whole, allocated;
	pgoff_t index;

	if (end <= lo)
		return 0;
	whole = lo == folio->index && hi + 1 >= min(folio_next_index(folio), end);
	/* Every backing page first: a failure leaves the folio as it was. */
	for (index = lo; index <= hi; index++) {
		bpage = vd_pages_get(&st->backing, index, &allocated);
		if (IS_ERR(bpage))
			return PTR_ERR(bpage);
		put_page(bpage);
	}
	folio_mkclean(folio);
	if (whole) {
		if (!folio_clear_dirty_for_io(folio))
			return 0;
		vd_store_clear_tags(mapping, folio);
	}
	for (index = lo; index <= hi; index++) {
		/* Still there: removed only past a shrink's end. */
		bpage = vd_pages_lookup(&st->backing, index);
		if (WARN_ON_ONCE(!bpage))
			continue;
		vd_store_copy_to_medium(bpage, folio, index, size);
		put_page(bpage);
	}
	atomic64_add(hi - lo + 1, &st->stats.pages_written);
	if (whole && folio_maybe_dma_pinned(folio))
		folio_mark_dirty(folio);
	return hi - lo + 1;
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
 * the folio lock. A large folio, which only @first and @last concern, is
 * vd_store_writeback_large()'s.
 *
 * A store through a PTE (or PMD) that was writable before the
 * write-protect is in the folio before the copy; a later one faults,
 * blocks in ->page_mkwrite on the folio lock and marks the folio dirty
 * again after we are done; write() copies and marks under the folio lock.
 * A write that reaches the folio without a PTE (through a GUP pin:
 * process_vm_writev(), /proc/pid/mem, O_DIRECT) is reported by
 * folio_mark_dirty() once it is in the folio, and a folio pinned
 * (FOLL_PIN) while we copy it stays dirty, since its pinner may write it
 * at any time without either. So no write is lost, and the backing page
 * receives whole page images only.
 *
 * Return: pages copied, 0 if there was nothing to do, or -ENOMEM.
 * Context: wb_lock and the folio lock held.
 */
static long vd_store_writeback_folio(struct vd_store *st, struct folio *folio,
				     pgoff_t first, pgoff_t last)
{
	struct address_space *mapping = vd_store_mapping(st);
	pgoff_t index = folio->index;
	struct page *bpage;
	bool allocated;

	if (folio->mapping != mapping || !folio_test_dirty(folio))
		return 0;
	if (unlikely(folio_test_large(folio)))
		return vd_store_writeback_large(st, folio, first, last);
	bpage = vd_pages_get(&st->backing, index, &allocated);
	if (IS_ERR(bpage))
		return PTR_ERR(bpage);
	folio_mkclean(folio);
	if (!folio_clear_dirty_for_io(folio)) {
		put_page(bpage);
		return 0;
	}
	vd_store_clear_tags(mapping, folio);
	vd_store_copy_to_medium(bpage, folio, index, vd_store_size(st));
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
 *
 * filemap_get_folios_tag() returns before the end of the range only with
 * a full batch, so a batch with room left was the last one: no second
 * walk of the tree to learn that nothing follows. The references are
 * dropped with folio_put(), not folio_batch_release(), whose
 * lru_add_drain() (empty the per-CPU LRU batches, for callers that free
 * folios) was a tenth of the cost of a one-page sync: our folios stay in
 * the page cache, so each folio_put() only drops a count.
 * Return: pages written, or a negative errno.
 * Context: wb_lock held.
 */
static long vd_store_writeback_range(struct vd_store *st, pgoff_t first,
				     pgoff_t last, xa_mark_t tag)
{
	struct address_space *mapping = vd_store_mapping(st);
	struct folio_batch fbatch;
	pgoff_t index = first;
	bool more = true;
	long written = 0;
	unsigned int i;
	long ret = 0;

	folio_batch_init(&fbatch);
	while (!ret && more && filemap_get_folios_tag(mapping, &index, last,
						      tag, &fbatch)) {
		more = folio_batch_count(&fbatch) == ARRAY_SIZE(fbatch.folios);
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			folio_lock(folio);
			ret = vd_store_writeback_folio(st, folio, first, last);
			folio_unlock(folio);
			if (ret < 0)
				break;
			written += ret;
			ret = 0;
		}
		for (i = 0; i < folio_batch_count(&fbatch); i++)
			folio_put(fbatch.folios[i]);
		folio_batch_init(&fbatch);
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
 * The end of a sync that copied what it had to: report a crash that
 * overlapped the copies (vd_store_check_crash()), else count the sync.
 */
static int vd_store_sync_done(struct vd_store *st, struct vd_store_file *sf)
{
	int ret = vd_store_check_crash(st, sf);

	if (ret)
		return ret;
	atomic64_inc(&st->stats.syncs);
	atomic64_inc(&st->sync_gen);
	return 0;
}

/*
 * A synchronous sync of [@first, @last]: every folio dirty when it starts
 * is in the backing store when it returns 0. Pages written are added to
 * *@written. @reason is for the tracepoint.
 */
int vd_store_sync(struct vd_store *st, struct vd_store_file *sf,
		  pgoff_t first, pgoff_t last, u64 *written,
		  enum vd_trace_wb_reason reason)
{
	long n;

	if (mutex_lock_killable(&st->wb_lock))
		return -EINTR;
	n = vd_store_writeback_range(st, first, last, PAGECACHE_TAG_DIRTY);
	trace_vmapdemo_writeback(st->index, reason, first, last, n);
	mutex_unlock(&st->wb_lock);
	if (n < 0)
		return n;
	*written += n;
	/* After the copies: a crash that overlapped them is reported. */
	return vd_store_sync_done(st, sf);
}

/*
 * Background writeback, and the writeback an ASYNC sync starts: write back
 * the folios tagged towrite, then, if background writeback is on, tag the
 * folios dirty now towrite (tag_pages_for_writeback()) and come back after
 * writeback_age_ms. A folio dirty for longer than the age is thus written
 * back within another age. Writing a folio back clears its towrite tag.
 */
void vd_store_wb_work(struct work_struct *work)
{
	struct vd_store *st = container_of(to_delayed_work(work),
					   struct vd_store, wb_work);
	unsigned int age = vd_store_writeback_age();
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
 * (exclusive) keeps ->fault from adding folios, read() and write() from
 * the range and ->page_mkwrite from making a PTE writable meanwhile, and
 * the range is unmapped, so no folio is dirtied again between the
 * writeback and the drop but by a pinner (below).
 * invalidate_inode_pages2_range() unmaps each folio under its lock and
 * drops it if it is clean: also one that a fault mapped again read-only
 * meanwhile (fault-around, or ->fault finding it cached) or that a pipe
 * still holds (the pipe keeps its reference).
 *
 * A folio that someone pinned (GUP with FOLL_PIN) must not leave the cache:
 * its pinner's later writes would go to a folio the store no longer has.
 * Pins are taken through page tables, so the range is unmapped first (the
 * TLB flush of the unmap waits out a lockless GUP-fast that saw a PTE),
 * and only then checked. A write pin after the check needs a writable
 * PTE: only one that a fault made writable just before we took
 * invalidate_lock and installed after the unmap. Its folio is dirty
 * (->page_mkwrite), and a pinned folio stays dirty through writeback
 * (vd_store_writeback_folio()), so the drop refuses it: EBUSY, with the
 * range written back. A read-only pin holds a page whose bytes are the
 * medium's. An mlocked folio is refused too, before the unmap that would
 * munlock it: dropping it would not lose data, but mlock promises it
 * stays resident.
 */
int vd_store_invalidate(struct vd_store *st, struct vd_store_file *sf,
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
	/*
	 * -EBUSY only for a folio dirty again, or a large one the range
	 * covers in part and whose other pages are dirty: it stays, and the
	 * range's pages in it equal the medium's now.
	 */
	invalidate_inode_pages2_range(mapping, first, last);
	atomic64_add(vd_store_note_removed(st, before),
		     &st->stats.pages_invalidated);
	ret = 0;
out:
	filemap_invalidate_unlock(mapping);
	mutex_unlock(&st->wb_lock);
	if (ret)
		return ret;
	return vd_store_sync_done(st, sf);
}

/*
 * Count and cancel the dirty state of every cache folio, each under its
 * folio lock, so that the count is exact: a writeback copying a folio
 * finishes first (then the folio is clean and its data safe), and one
 * that comes after finds it clean and leaves it.
 * Return: the pages of the folios that were dirty.
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
				dirty += folio_nr_pages(folio);
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
 * seen is lost. invalidate_lock (exclusive) stops ->fault from adding
 * folios and the lookups of read() and write(); the unmap zaps every PTE
 * of the store's folios (private copies stay: they belong to their
 * process), which also reports the dirty PTEs to the folios; the dirty
 * folios are counted, then truncate_inode_pages() removes every folio
 * under its lock (so a writeback copying it finishes first and each
 * backing page is old or new, and a fault that found it has installed
 * its PTE, which truncation unmaps). Not under wb_lock: a crash does not
 * wait for a sync.
 * Return: dirty folios dropped.
 */
unsigned long vd_store_crash(struct vd_store *st)
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
