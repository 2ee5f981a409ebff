// SPDX-License-Identifier: GPL-2.0
/*
 * pages.c - a store's backing tier: a sparse array of driver-owned pages,
 * indexed by page offset.
 *
 * This is the simulated medium behind a store (the store's cache is the
 * store inode's page cache, see store.h): an xarray from pgoff to an
 * order-0 page on which the array holds one reference. A page is allocated
 * on first use, zero-filled and charged to the memory cgroup of the task
 * that caused the allocation. The pages are never mapped, never in a page
 * cache nor on an LRU, and no field of their struct page is set here.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/xarray.h>

#include "vmapdemo.h"

/*
 * GFP_HIGHUSER, not _MOVABLE: nothing can migrate these pages (no mapping,
 * no aops). __GFP_ZERO costs nothing extra where init_on_alloc is on
 * (Debian's default): the page is zeroed once either way.
 */
#define VD_PAGES_GFP	(GFP_HIGHUSER | __GFP_ZERO | __GFP_ACCOUNT)

void vd_pages_init(struct vd_pages *pa)
{
	xa_init(&pa->xa);
	atomic_long_set(&pa->nr, 0);
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

/**
 * vd_pages_remove_range() - drop the array's pages in [@first, @last]
 * @pa: the array
 * @first: first page offset
 * @last: last page offset (inclusive)
 *
 * A page still mapped or pinned elsewhere lives on until its last reference
 * goes; the array forgets it now.
 *
 * Context: may sleep.
 * Return: the number of pages removed.
 */
unsigned long vd_pages_remove_range(struct vd_pages *pa, pgoff_t first,
				    pgoff_t last)
{
	XA_STATE(xas, &pa->xa, first);
	unsigned long n = 0;
	struct page *page;

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

	xa_lock(&pa->xa);
	old = __xa_cmpxchg(&pa->xa, index, NULL, page, GFP_KERNEL_ACCOUNT);
	if (unlikely(old)) {
		if (!xa_is_err(old))
			get_page(old);
		xa_unlock(&pa->xa);
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
