// SPDX-License-Identifier: GPL-2.0
/*
 * store_fault.c - the fault path of a store: ->fault, ->page_mkwrite,
 * fault-around through filemap_map_pages(), the address_space operations
 * of the store's inode, mmap, and the lookup that adds a folio to the
 * cache and fills it from the backing tier. See store.h for the design
 * and the lock order.
 */
#include <linux/highmem.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "store.h"

/*
 * Add a folio of 2^@order pages that covers @index, locked and not
 * uptodate, or return NULL if that cannot be done now: no memory (we ask
 * without retrying, as a THP allocation does), no memcg charge, or a
 * folio already in the range (filemap_add_folio() adds none over
 * another). The caller then falls back to one page.
 */
static struct folio *vd_store_add_large(struct address_space *mapping,
					pgoff_t index, unsigned int order)
{
	gfp_t gfp = mapping_gfp_mask(mapping) | __GFP_NORETRY | __GFP_NOWARN;
	struct folio *folio;

	folio = vd_filemap_alloc_folio(gfp, order);
	if (!folio)
		return NULL;
	if (filemap_add_folio(mapping, folio, round_down(index, 1UL << order),
			      gfp)) {
		folio_put(folio);
		return NULL;
	}
	return folio;
}

/*
 * The order of the folio to add at @index: a PMD-size folio where
 * store_huge asks for one and the aligned 2 MiB range around @index is
 * inside the store (as tmpfs's huge=within_size: a folio past the end
 * could be mapped by a PMD where a touch must raise SIGBUS), else 0.
 * Whether a mapping can map it with a PMD is the core's business
 * (do_set_pmd() checks the VMA's alignment).
 * Context: invalidate_lock held (the size is stable).
 */
static unsigned int vd_store_huge_order(struct vd_store *st, pgoff_t index)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	if (vd_store_huge() &&
	    round_down(index, HPAGE_PMD_NR) + HPAGE_PMD_NR <= vd_store_nr_pages(st))
		return HPAGE_PMD_ORDER;
#endif
	return 0;
}

/*
 * The cache folio that holds @index, locked, uptodate and with a
 * reference. An absent one is added (filemap_add_folio(), which charges
 * it to the caller's memcg and puts it on the LRU: a PMD-size folio if
 * @huge and vd_store_huge_order() says so and it can be had, else one
 * page) and filled, under its lock, page by page from the medium (*@major
 * set if any page was there), with zeros where the medium holds no page.
 * With !@create a hole in both tiers gives NULL and adds nothing (read()
 * of a hole). The folio may be large whatever @huge: callers find their
 * page with folio_file_page().
 *
 * The cache is looked at first: a folio reclaimed after that was clean,
 * so the medium holds its data by then. The medium's pages are stable
 * while we copy them: one is only written under the lock of the cache
 * folio that holds its index, which is ours now, and only removed under
 * invalidate_lock held exclusively.
 * Context: invalidate_lock held shared.
 */
struct folio *vd_store_get_folio(struct vd_store *st, pgoff_t index,
				 bool huge, bool create, bool *major)
{
	struct address_space *mapping = vd_store_mapping(st);
	unsigned int order = huge && create ? vd_store_huge_order(st, index) : 0;
	struct folio *folio = NULL;
	long i, nr, nmajor = 0;

	*major = false;
	/*
	 * A small folio to find or add: one lookup, as FGP_CREAT looks
	 * before it adds (->fault comes here after missing the cache once).
	 */
	folio = vd_filemap_lock_folio(mapping, index, create && !order);
	if (!folio) {
		if (!create) {
			/* read(): a hole in both tiers adds nothing. */
			if (!xa_load(&st->backing.xa, index))
				return NULL;
			order = huge ? vd_store_huge_order(st, index) : 0;
		}
		if (order)
			folio = vd_store_add_large(mapping, index, order);
		if (!folio)
			folio = vd_filemap_lock_folio(mapping, index, true);
	}
	if (IS_ERR(folio) || folio_test_uptodate(folio))
		return folio;

	nr = folio_nr_pages(folio);
	for (i = 0; i < nr; i++) {
		struct page *bpage = vd_pages_lookup(&st->backing,
						     folio->index + i);

		if (bpage) {
			copy_highpage(folio_page(folio, i), bpage);
			put_page(bpage);
			nmajor++;
		} else {
			clear_highpage(folio_page(folio, i));
		}
	}
	if (nmajor) {
		*major = true;
		atomic64_add(nmajor, &st->stats.faults_major);
	}
	flush_dcache_folio(folio);
	folio_mark_uptodate(folio);
	atomic64_add(nr, &st->stats.pages_alloc);
	return folio;
}

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
const struct address_space_operations vd_store_aops = {
	.dirty_folio	= filemap_dirty_folio,
	.migrate_folio	= migrate_folio,
};

static vm_fault_t vd_store_fault(struct vm_fault *vmf)
{
	struct vd_store *st = vmf->vma->vm_private_data;
	struct address_space *mapping = vd_store_mapping(st);
	bool major = false;
	struct folio *folio;

	/*
	 * A folio already in the cache is found as filemap_fault() finds
	 * one: without invalidate_lock. The lookup locks it and checks that
	 * it is still the store's; whatever removes a folio (shrink, crash,
	 * INVALIDATE, reclaim) does so under that lock, so it waits until
	 * the core has installed our PTE and then unmaps it. The size is
	 * read under the folio lock too: a shrink sets it before it
	 * truncates (and vd_store_demote() before it unlocks the large
	 * folio it replaces), so a folio that reaches past it is one a
	 * shrink is taking out, and the slow path waits for that.
	 */
	folio = vd_filemap_lock_folio(mapping, vmf->pgoff, false);
	if (folio && !IS_ERR(folio)) {
		if (likely(folio_test_uptodate(folio) &&
			   folio_next_index(folio) <= vd_store_nr_pages(st)))
			goto found;
		folio_unlock(folio);
		folio_put(folio);
	}

	/* A folio to add, or past the end: under invalidate_lock. */
	filemap_invalidate_lock_shared(mapping);
	if (vmf->pgoff >= vd_store_nr_pages(st)) {
		filemap_invalidate_unlock_shared(mapping);
		atomic64_inc(&st->stats.faults_sigbus);
		return VM_FAULT_SIGBUS;
	}
	folio = vd_store_get_folio(st, vmf->pgoff,
				   !(vmf->vma->vm_flags & VM_NOHUGEPAGE), true,
				   &major);
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

found:
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
 *
 * Under invalidate_lock shared, as ext4's and XFS's ->page_mkwrite: no
 * PTE becomes writable, and no folio dirty, while a shrink, a crash or an
 * INVALIDATE (which hold it exclusively) runs. So a folio INVALIDATE has
 * written back and unmapped stays clean until it drops it, though a fault
 * may map it again read-only meanwhile, and a large folio a shrink is
 * replacing (vd_store_demote()) is never written after its copy: by the
 * time we get the lock it is out of the cache.
 */
static vm_fault_t vd_store_page_mkwrite(struct vm_fault *vmf)
{
	struct vd_store *st = vmf->vma->vm_private_data;
	struct address_space *mapping = vd_store_mapping(st);
	struct folio *folio = page_folio(vmf->page);
	vm_fault_t ret = VM_FAULT_LOCKED;

	filemap_invalidate_lock_shared(mapping);
	folio_lock(folio);
	if (folio->mapping != mapping || vmf->pgoff >= vd_store_nr_pages(st)) {
		/* Truncated since it was mapped: the retry gets SIGBUS. */
		folio_unlock(folio);
		ret = VM_FAULT_NOPAGE;
		goto out;
	}
	/*
	 * A folio already dirty (written through another mapping or by
	 * write(), or refaulted after its dirty PTE was zapped) has nothing
	 * to mark: writeback clears PG_dirty only under the folio lock,
	 * which we hold.
	 */
	if (!folio_test_dirty(folio))
		folio_mark_dirty(folio);
	folio_wait_stable(folio);
	atomic64_inc(&st->stats.faults_mkwrite);
out:
	filemap_invalidate_unlock_shared(mapping);
	return ret;
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
 * there gets SIGBUS, and mremap() may grow it. No VMA flags are changed,
 * so 6.12 does not re-merge the new VMA behind our back.
 *
 * The core lets a char device map any offset; refuse what a regular file
 * refuses (file_mmap_ok()), so that every offset of a mapping is a valid
 * loff_t.
 */
static bool vd_store_mmap_ok(pgoff_t pgoff, unsigned long len)
{
	return pgoff <= (MAX_LFS_FILESIZE - len) >> PAGE_SHIFT;
}

#ifdef VD_HAVE_MMAP_PREPARE
/*
 * ->mmap_prepare on 7.x: it only chooses, so nothing needs undoing if the
 * mapping fails or merges later; the store lives as long as the module,
 * and the device file pins the module for as long as the VMA holds it.
 */
int vd_store_mmap_prepare(struct vm_area_desc *desc)
{
	if (!vd_store_mmap_ok(desc->pgoff, desc->end - desc->start))
		return -EOVERFLOW;
	desc->private_data = vd_store_of(desc->file);
	desc->vm_ops = &vd_store_vm_ops;
	return 0;
}
#else
int vd_store_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (!vd_store_mmap_ok(vma->vm_pgoff, vma->vm_end - vma->vm_start))
		return -EOVERFLOW;
	vma->vm_private_data = vd_store_of(file);
	vma->vm_ops = &vd_store_vm_ops;
	return 0;
}
#endif
