/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the one place where vmapdemo looks at the kernel version.
 *
 * vmapdemo builds against Debian's 6.1, 6.12, 7.2 and 7.3 kernels. Every
 * difference between them that the module hits is papered over here, keyed
 * on LINUX_VERSION_CODE, so that the rest of the module reads like 6.12
 * code. Where a helper that works on every one of them exists (the folio
 * calls), the wrapper uses it unconditionally and says which kernel lost
 * the old call.
 */
#ifndef _VMAPDEMO_COMPAT_H
#define _VMAPDEMO_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/uio.h>
/*
 * struct folio_batch is in <linux/pagevec.h> on 6.1 and 6.12, in
 * <linux/folio_batch.h> on 7.2 and 7.3 (the header was renamed once
 * struct pagevec was gone; the release is not pinned here, only the
 * kernels of the matrix are).
 */
#if KERNEL_VERSION(7, 0, 0) > LINUX_VERSION_CODE
#include <linux/pagevec.h>
#else
#include <linux/folio_batch.h>
#endif
#if KERNEL_VERSION(6, 17, 0) > LINUX_VERSION_CODE
#include <linux/pfn_t.h>
#endif

#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
/* 6.3 made vma->vm_flags const and added these helpers (bc292ab00f6c). */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * The folio at @index of @mapping, locked, with a reference; with @create
 * one is added (not uptodate) if absent. NULL if absent and !@create,
 * else an ERR_PTR() on failure. 6.4 made __filemap_get_folio() return
 * ERR_PTR(-ENOENT) instead of NULL (66dabbb65d67, "mm: return an ERR_PTR
 * from __filemap_get_folio"), and -ENOMEM where it could not add one.
 */
static inline struct folio *vd_filemap_lock_folio(struct address_space *mapping,
						  pgoff_t index, bool create)
{
	struct folio *folio;

	folio = __filemap_get_folio(mapping, index,
				    create ? FGP_LOCK | FGP_CREAT : FGP_LOCK,
				    mapping_gfp_mask(mapping));
#if KERNEL_VERSION(6, 4, 0) > LINUX_VERSION_CODE
	if (!folio && create)
		return ERR_PTR(-ENOMEM);
#else
	if (IS_ERR(folio) && PTR_ERR(folio) == -ENOENT && !create)
		return NULL;
#endif
	return folio;
}

/*
 * A folio of 2^@order pages for the page cache, unlocked and not yet added.
 * 6.19 gave filemap_alloc_folio() a NUMA mempolicy (7f3779a3ac3e, for
 * guest_memfd); NULL is the task's, as before.
 */
static inline struct folio *vd_filemap_alloc_folio(gfp_t gfp,
						   unsigned int order)
{
#if KERNEL_VERSION(6, 19, 0) > LINUX_VERSION_CODE
	return filemap_alloc_folio(gfp, order);
#else
	return filemap_alloc_folio(gfp, order, NULL);
#endif
}

/*
 * Map the kernel's zero page at @addr of @vma: a copy-on-write VMA, which
 * vm_mixed_ok() allows the zero pfn in without VM_MIXEDMAP.
 * 6.17 dropped pfn_t ("mm: remove callers of pfn_t functionality", and
 * <linux/pfn_t.h> with it): vmf_insert_mixed() takes a plain pfn. 7.x also
 * renamed my_zero_pfn() to zero_pfn(); ZERO_PAGE() is the same page on all.
 */
static inline vm_fault_t vd_vmf_insert_zero(struct vm_area_struct *vma,
					    unsigned long addr)
{
#if KERNEL_VERSION(6, 17, 0) > LINUX_VERSION_CODE
	return vmf_insert_mixed(vma, addr, __pfn_to_pfn_t(my_zero_pfn(addr), 0));
#else
	return vmf_insert_mixed(vma, addr, page_to_pfn(ZERO_PAGE(addr)));
#endif
}

/*
 * copy_page_from_iter_atomic() is gone in 7.2 and 7.3, replaced by
 * copy_folio_from_iter_atomic(); 6.1 has only the page call. @offset is
 * within @page, which need not be the folio's first page.
 */
static inline size_t vd_copy_page_from_iter_atomic(struct page *page,
						   size_t offset, size_t bytes,
						   struct iov_iter *i)
{
#if KERNEL_VERSION(7, 0, 0) > LINUX_VERSION_CODE
	return copy_page_from_iter_atomic(page, offset, bytes, i);
#else
	struct folio *folio = page_folio(page);

	return copy_folio_from_iter_atomic(folio, offset +
					   folio_page_idx(folio, page) * PAGE_SIZE,
					   bytes, i);
#endif
}

/*
 * splice(), sendfile() and copy_file_range() as /dev/zero answers them:
 * 6.7 gave /dev/zero copy_splice_read() and a ->splice_write that discards
 * (iter_file_splice_write() through our ->write_iter does the same); before
 * it, /dev/zero had neither and they fail with EINVAL.
 */
#if KERNEL_VERSION(6, 7, 0) > LINUX_VERSION_CODE
#define vd_zero_splice_read	NULL
#define vd_zero_splice_write	NULL
#else
#define vd_zero_splice_read	copy_splice_read
#define vd_zero_splice_write	iter_file_splice_write
#endif

/*
 * A store's ->splice_read, as the kernel gives one to a file that reads
 * through ->read_iter and has no page cache splice of its own: 6.5 removed
 * generic_file_splice_read() (which ran ->read_iter into an ITER_PIPE) and
 * exported copy_splice_read() in its place (David Howells' splice series:
 * "splice: Rename direct_splice_read() to copy_splice_read()" and "splice:
 * Remove generic_file_splice_read()"); it runs ->read_iter into pages of
 * its own and splices those. ->splice_write is iter_file_splice_write()
 * on every kernel of the matrix.
 */
#if KERNEL_VERSION(6, 5, 0) > LINUX_VERSION_CODE
#define vd_store_splice_read	generic_file_splice_read
#else
#define vd_store_splice_read	copy_splice_read
#endif

/*
 * shmem_file_setup() takes a vma_flags_t (a bitmap) instead of vm_flags_t
 * in the 7.x series ("mm: convert shmem file setup to vma_flags_t", part of
 * the vma_flags_t conversion that began in 6.19); 6.12 has vm_flags_t and
 * 7.2 and 7.3 the bitmap, the kernels between are not in the matrix, so
 * the cut is placed at 7.0. legacy_to_vma_flags() converts.
 */
static inline struct file *vd_shmem_file_setup(const char *name, loff_t size,
					       vm_flags_t flags)
{
#if KERNEL_VERSION(7, 0, 0) > LINUX_VERSION_CODE
	return shmem_file_setup(name, size, flags);
#else
	return shmem_file_setup(name, size, legacy_to_vma_flags(flags));
#endif
}

/*
 * ->mmap_prepare(struct vm_area_desc *) came in 6.16 ("mm: introduce new
 * .mmap_prepare() file callback") and 7.1 deprecates ->mmap
 * (Documentation/filesystems/mmap_prepare.rst). The descriptor's flags
 * became a vma_flags_t (vma_desc_test()) in the 7.x series; the module
 * uses the hook from 7.0 on, where the matrix's 7.2 and 7.3 have both, and
 * ->mmap below.
 */
#if KERNEL_VERSION(7, 0, 0) <= LINUX_VERSION_CODE
#define VD_HAVE_MMAP_PREPARE
#endif

/*
 * The shmem folio at @index of @mapping, locked, with a reference:
 * allocated zero-filled or read back from swap if absent. 6.12 and later
 * export shmem_get_folio() (SGP_CACHE; the write_end argument came in
 * 6.10), which returns it locked as shmem_fault() gets it; 6.1 exports
 * only shmem_read_mapping_page_gfp(), whose page comes unlocked, so it is
 * locked here and checked to be still in @mapping.
 */
static inline int vd_shmem_get_folio(struct address_space *mapping,
				     pgoff_t index, struct folio **foliop)
{
#if KERNEL_VERSION(6, 12, 0) <= LINUX_VERSION_CODE
	return shmem_get_folio(mapping->host, index, 0, foliop, SGP_CACHE);
#else
	struct folio *folio;
	struct page *page;

	for (;;) {
		page = shmem_read_mapping_page_gfp(mapping, index,
						   mapping_gfp_mask(mapping));
		if (IS_ERR(page))
			return PTR_ERR(page);
		folio = page_folio(page);
		folio_lock(folio);
		if (likely(folio->mapping == mapping))
			break;
		folio_unlock(folio);
		folio_put(folio);
	}
	*foliop = folio;
	return 0;
#endif
}

#endif /* _VMAPDEMO_COMPAT_H */
