// SPDX-License-Identifier: GPL-2.0
/*
 * pages.c - a sparse array of driver-owned pages, indexed by page offset.
 *
 * This is the memory behind a /dev/vmapdemo shared object and behind a
 * store's backing tier (the simulated medium, never mapped; the store's
 * cache is page cache, see store.h): an xarray from pgoff to an order-0
 * page on which the array holds one reference. A page is allocated on
 * first use, zero-filled and charged to the memory cgroup of the task that
 * caused the allocation; it is never put in a page cache nor on an LRU.
 *
 * Only a /dev/vmapdemo shared object sets @mapping (the store's backing
 * tier does not). While a page is in an array whose @mapping is set,
 * page->mapping points
 * to that address_space and page->index is the page's offset, as for a
 * page cache page (and as fb_defio does for its pages), although the
 * address_space's own i_pages never holds it. The core needs that to key
 * a process-shared futex on the page: get_futex_key() keys a non-anonymous
 * page on mapping->host and the offset, and fails with EFAULT on a page
 * without a mapping, which makes glibc abort a contended
 * PTHREAD_PROCESS_SHARED mutex. page->mapping is cleared when the page
 * leaves the array, before the array's reference is put, so a page freed
 * later (still pinned then) carries no stale mapping. The inodes are
 * alloc_anon_inode()'s, whose ->dirty_folio is noop_dirty_folio(), as
 * folio_mark_dirty() (zap of a dirty PTE, unpin with dirty) then calls it.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/xarray.h>

#include "vmapdemo.h"

/*
 * GFP_HIGHUSER, not _MOVABLE: these pages are mapped from a driver and cannot
 * be migrated. __GFP_ZERO costs nothing extra where init_on_alloc is on
 * (Debian's default): the page is zeroed once either way.
 */
#define VD_PAGES_GFP	(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT)

void vd_pages_init(struct vd_pages *pa)
{
	xa_init(&pa->xa);
	atomic_long_set(&pa->nr, 0);
	pa->mapping = NULL;
}

/**
 * vd_pages_lookup() - the page at @index, with a reference, or NULL
 * @pa: the array
 * @index: page offset
 *
 * Return: the page with a reference for the caller, or NULL if absent.
 */
struct page *vd_pages_lookup(struct vd_pages *pa, pgoff_t index)
{
	struct page *page;

	xa_lock(&pa->xa);
	page = xa_load(&pa->xa, index);
	if (page)
		get_page(page);
	xa_unlock(&pa->xa);
	return page;
}

/**
 * vd_pages_lookup_run() - the resident pages from @index on, with references
 * @pa: the array
 * @index: first page offset
 * @pages: filled with up to @max pages, each with a reference
 * @max: most pages wanted
 *
 * One walk of the array under one lock, stopping at the first hole.
 *
 * Return: the number of pages in @pages, from @index on without a gap.
 */
unsigned int vd_pages_lookup_run(struct vd_pages *pa, pgoff_t index,
				 struct page **pages, unsigned int max)
{
	XA_STATE(xas, &pa->xa, index);
	unsigned int n = 0;
	struct page *page;

	if (!max)
		return 0;
	xas_lock(&xas);
	xas_for_each(&xas, page, index + max - 1) {
		if (xas.xa_index != index + n)
			break;
		get_page(page);
		pages[n++] = page;
	}
	xas_unlock(&xas);
	return n;
}

/**
 * vd_pages_get() - the page at @index, allocated zero-filled if absent
 * @pa: the array
 * @index: page offset
 * @allocated: set to true if this call allocated the page
 *
 * Context: may sleep.
 * Return: the page with a reference for the caller, or ERR_PTR(-ENOMEM).
 */
struct page *vd_pages_get(struct vd_pages *pa, pgoff_t index, bool *allocated)
{
	struct page *page, *found;

	*allocated = false;
	page = vd_pages_lookup(pa, index);
	if (page)
		return page;

	page = vd_pages_alloc();
	if (!page)
		return ERR_PTR(-ENOMEM);
	/* Loses a race with another fault (then our page is freed) or fails. */
	found = vd_pages_insert(pa, index, page);
	*allocated = found == page;
	return found;
}

/*
 * vd_pages_remove_range() for an array whose pages carry page->mapping:
 * each page leaves under its page lock, which is what the rmap walk and
 * folio_mark_dirty() (set_page_dirty_lock(), an unpin with dirty) hold
 * while they follow page->mapping into the inode's aops; a page pinned
 * past the array's end then finds no mapping instead of a stale one.
 */
static unsigned long vd_pages_remove_range_locked(struct vd_pages *pa,
						  pgoff_t first, pgoff_t last)
{
	unsigned long n = 0;
	pgoff_t index = first;
	struct page *page;

	while ((page = vd_pages_find(pa, &index, last, XA_PRESENT))) {
		lock_page(page);
		n += vd_pages_remove_page(pa, index, page);
		unlock_page(page);
		put_page(page);
		if (index == last)
			break;
		index++;
		cond_resched();
	}
	return n;
}

/**
 * vd_pages_remove_range() - drop the array's pages in [@first, @last]
 * @pa: the array
 * @first: first page offset
 * @last: last page offset (inclusive)
 *
 * A page still mapped or pinned elsewhere lives on until its last reference
 * goes; the array forgets it now.
 *
 * Context: may sleep (on page locks, for an array with a @mapping).
 * Return: the number of pages removed.
 */
unsigned long vd_pages_remove_range(struct vd_pages *pa, pgoff_t first,
				    pgoff_t last)
{
	XA_STATE(xas, &pa->xa, first);
	unsigned long n = 0;
	struct page *page;

	if (pa->mapping)
		return vd_pages_remove_range_locked(pa, first, last);
	xas_lock(&xas);
	xas_for_each(&xas, page, last) {
		xas_store(&xas, NULL);
		put_page(page);
		n++;
		if (need_resched() && xas.xa_index < last) {
			/*
			 * Not xas_pause(): when the store above freed the
			 * node, xas_pause() (6.1, 6.12) steps from the parent
			 * node without masking the index and skips up to 63
			 * entries, which then leak. Restart at the next index.
			 */
			pgoff_t next = xas.xa_index + 1;

			xas_unlock(&xas);
			cond_resched();
			xas_lock(&xas);
			xas_set(&xas, next);
		}
	}
	xas_unlock(&xas);
	atomic_long_sub(n, &pa->nr);
	return n;
}

/**
 * vd_pages_destroy() - drop every page and free the array's nodes
 * @pa: the array
 *
 * Return: the number of pages removed.
 */
unsigned long vd_pages_destroy(struct vd_pages *pa)
{
	unsigned long n = vd_pages_remove_range(pa, 0, ULONG_MAX);

	xa_destroy(&pa->xa);
	return n;
}

/**
 * vd_pages_alloc() - a new zero-filled page for a &struct vd_pages
 *
 * Return: the page (one reference), or NULL.
 */
struct page *vd_pages_alloc(void)
{
	return alloc_page(VD_PAGES_GFP);
}

/**
 * vd_pages_insert() - add @page at @index unless a page is already there
 * @pa: the array
 * @index: page offset
 * @page: a page from vd_pages_alloc(); the caller's reference is consumed
 *
 * Context: may sleep.
 * Return: the page now at @index with a reference for the caller (@page, or
 * the page that won a race, @page then being freed), or ERR_PTR(-ENOMEM).
 */
struct page *vd_pages_insert(struct vd_pages *pa, pgoff_t index,
			     struct page *page)
{
	struct page *old;

	/* Before anyone can find the page: see the top of the file. */
	vd_page_set_index(page, index);
	WRITE_ONCE(page->mapping, pa->mapping);
	xa_lock(&pa->xa);
	old = __xa_cmpxchg(&pa->xa, index, NULL, page, GFP_KERNEL_ACCOUNT);
	if (unlikely(old)) {
		if (!xa_is_err(old))
			get_page(old);
		xa_unlock(&pa->xa);
		WRITE_ONCE(page->mapping, NULL);
		put_page(page);
		return xa_is_err(old) ? ERR_PTR(xa_err(old)) : old;
	}
	get_page(page);
	atomic_long_inc(&pa->nr);
	xa_unlock(&pa->xa);
	return page;
}

/**
 * vd_pages_remove_page() - drop @page from @index if it is still there
 * @pa: the array
 * @index: page offset
 * @page: the page the caller expects at @index
 *
 * The array's reference is put; the caller keeps its own.
 *
 * Return: true if the page was removed.
 */
bool vd_pages_remove_page(struct vd_pages *pa, pgoff_t index,
			  struct page *page)
{
	XA_STATE(xas, &pa->xa, index);
	bool removed = false;

	xas_lock(&xas);
	if (xas_load(&xas) == page) {
		xas_store(&xas, NULL);
		removed = true;
	}
	xas_unlock(&xas);
	if (removed) {
		atomic_long_dec(&pa->nr);
		WRITE_ONCE(page->mapping, NULL);
		put_page(page);
	}
	return removed;
}

/**
 * vd_pages_find() - the first page at or after *@index, up to @last
 * @pa: the array
 * @index: in: where to start; out: the index of the page found
 * @last: last index to look at (inclusive)
 * @mark: %XA_PRESENT for any page, or a mark the page must carry
 *
 * Return: the page with a reference for the caller, or NULL.
 */
struct page *vd_pages_find(struct vd_pages *pa, pgoff_t *index, pgoff_t last,
			   xa_mark_t mark)
{
	struct page *page;

	if (*index > last)
		return NULL;
	xa_lock(&pa->xa);
	page = xa_find(&pa->xa, index, last, mark);
	if (page)
		get_page(page);
	xa_unlock(&pa->xa);
	return page;
}
