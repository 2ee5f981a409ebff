// SPDX-License-Identifier: GPL-2.0
/*
 * zero.c - /dev/zero's mmap semantics through vmapdemo's own fault handlers.
 *
 * MAP_PRIVATE: every page reads as zero and a write gets a private copy.
 * A fault maps the kernel's zero page read-only, as anonymous memory does
 * on a read, so reading an untouched page costs no memory; each fault also
 * maps it into the untouched pages of the 16-page window around it. A write
 * is then a copy-on-write done by the core (wp_page_copy() allocates a
 * zeroed page, nothing is copied), so the copy is an ordinary anonymous
 * page: a write fault on an unmapped page maps the zero page too and has
 * the access retried, which takes that write-protect fault. No page of the
 * module's is ever returned to the core, so no fault takes a page lock
 * that every CPU would share. Private mappings have no end: mremap() may
 * grow them, like /dev/zero's.
 *
 * MAP_SHARED: every mmap() call creates a new object (struct vd_zobj) of
 * the mapping's size, shared only with the VMAs copied from this one (fork,
 * split, mremap). Its memory is a shmem file, as /dev/zero's is
 * (shmem_zero_setup()): the object's pages are shmem folios in that file's
 * page cache, charged to the memory cgroup of the task that faults them,
 * swappable, counted as shared memory in RSS (so the OOM killer sees them)
 * and, unless MAP_NORESERVE, charged to overcommit for the whole size at
 * mmap time, exactly as much as /dev/zero's shmem object is.
 * The fault handler is ours: it gets the folio from the shmem mapping
 * (allocating it zero-filled, or reading it back from swap) and returns it
 * locked. Fault-around is the page cache's own, filemap_map_pages(), which
 * maps the resident folios around a read fault; with huge shmem folios
 * (shmem_enabled), it and finish_fault() PMD-map them where the VMA is
 * aligned, which ->get_unmapped_area (thp_get_unmapped_area()) arranges.
 *
 * On 7.x the hook is ->mmap_prepare, which hands that file to the core in
 * the mapping's descriptor as shmem_zero_setup_desc() does for /dev/zero;
 * older kernels get ->mmap and vma_set_file().
 *
 * The VMA gets a file of its own, on the module's pseudo filesystem, whose
 * f_mapping is the shmem file's mapping (as DRM points its files at a
 * mapping of its own): the VMA is linked into that mapping's i_mmap tree,
 * so reclaim and swap reach it through rmap, filemap_map_pages() finds the
 * folios, and a process-shared futex keys on the shmem inode. The file pins
 * the module (its fops owner) and the object (private_data) for as long as
 * any VMA holds it, so the VMAs need neither ->open nor ->close and merge
 * back after a split like /dev/zero's. A later mmap() of the device can
 * never merge with this VMA (another file), and /proc/pid/maps shows
 * "/dev/vmapdemo (deleted)".
 * Like the shmem object behind /dev/zero, the object's size is the length of
 * the mapping and its pages are indexed by file offset: a page whose pgoff
 * is at or beyond that size (a mapping grown by mremap(), or one made at a
 * non-zero offset) gets SIGBUS.
 *
 * Sharing is decided on VM_MAYSHARE: for an O_RDONLY fd the core clears
 * VM_SHARED from a MAP_SHARED mapping, which is still a shared mapping.
 *
 * The object's inode is unlinked (i_nlink 0) like shmem's: a core dump
 * then writes the mapping out as anonymous shared memory, as it does for
 * /dev/zero.
 *
 * Deliberate differences from /dev/zero (Documentation/vmapdemo.rst):
 * MADV_REMOVE on a shared mapping fails with ENODEV (the VMA's file is the
 * module's, not S_IFREG, so vfs_fallocate() refuses); MADV_FREE and
 * userfaultfd need an anonymous or shmem VMA and fail with EINVAL.
 *
 * Locking: ->fault runs under mmap_lock held for read, or (6.4 on) under
 * the per-VMA lock only. The shared handler takes the folio lock of the
 * folio it returns, as filemap_fault() does; nothing else is shared between
 * faults but the atomic counters. An object's fields are written before it
 * is published to any VMA and never change; the object is freed by the
 * ->release of its file, after the last VMA went.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include <linux/vmapdemo.h>

#include "vmapdemo.h"
#include "vmapdemo_trace.h"

/**
 * struct vd_zobj - the object behind one MAP_SHARED mmap of /dev/vmapdemo
 * @shm: the shmem file holding its pages; its f_mapping is the VMA file's
 * @nr_pages: size in pages, fixed at mmap time
 * @nr_alloc: folio pages this object's faults found absent from its page
 *	cache and brought in (allocated, or read back from swap), for the
 *	statistics: added to pages_freed when the object goes
 *
 * Lifetime: owned by the VMA's file (its private_data), freed by that
 * file's ->release, which runs after the last VMA holding the file went.
 * Locking: @shm and @nr_pages are written before the object is published
 * and never change; @nr_alloc is atomic. The pages are the shmem mapping's
 * (its i_pages lock and the folio locks).
 */
struct vd_zobj {
	struct file *shm;
	pgoff_t nr_pages;
	atomic_long_t nr_alloc;
};

static void vd_count_fault(struct vm_fault *vmf)
{
	if (!(vmf->flags & FAULT_FLAG_WRITE))
		atomic64_inc(&vd_stats.faults_read);
	else if (vmf->vma->vm_flags & VM_MAYSHARE)
		atomic64_inc(&vd_stats.faults_write);
	else
		atomic64_inc(&vd_stats.faults_cow);
}

/* --- MAP_PRIVATE ------------------------------------------------------ */

/*
 * Private fault-around: the aligned window of VD_PRIVATE_AROUND pages
 * (fault_around_bytes' default) around a private fault is mapped to the
 * kernel's zero page too, where nothing is mapped yet. Such a PTE costs no
 * memory and no RSS, as the zero page anonymous memory maps on a read; a
 * read of a neighbour then takes no fault, and a write to it takes the
 * write-protect fault anonymous memory takes after a read (wp_page_copy()
 * allocates a zeroed page, nothing is copied).
 */
#define VD_PRIVATE_AROUND	16

/* The window around the fault, but not the faulting page itself. */
static void vd_zero_private_around(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long win = VD_PRIVATE_AROUND << PAGE_SHIFT;
	unsigned long fault = vmf->address & PAGE_MASK;
	unsigned long addr = max(vmf->address & ~(win - 1), vma->vm_start);
	unsigned long end = min((vmf->address & ~(win - 1)) + win, vma->vm_end);

	/* Leaves present PTEs alone; fails only when out of memory. */
	for (; addr < end; addr += PAGE_SIZE)
		if (addr != fault &&
		    vd_vmf_insert_zero(vma, addr) != VM_FAULT_NOPAGE)
			break;
}

/*
 * Every private fault maps the kernel's zero page read-only, in a special
 * PTE, as do_anonymous_page() does for a read: no page lock, reference or
 * rmap. vm_mixed_ok() allows the zero pfn in any copy-on-write VMA, without
 * VM_MIXEDMAP. For a write, VM_FAULT_NOPAGE has the access retried, and the
 * retry takes the write-protect fault: wp_page_copy() gives the private
 * copy, a zeroed anonymous page, as after a read of anonymous memory.
 * (Returning a page for do_cow_fault() to copy would be one fault less,
 * but the core locks the page ->fault returns, and one page of the
 * module's would be locked by every CPU's first write.)
 */
static vm_fault_t vd_zero_private_fault(struct vm_fault *vmf)
{
	vm_fault_t ret;

	vd_count_fault(vmf);
	ret = vd_vmf_insert_zero(vmf->vma, vmf->address & PAGE_MASK);
	if (ret == VM_FAULT_NOPAGE)
		vd_zero_private_around(vmf);
	return ret;
}

/* ->fault, traced in one place for every outcome of the handler. */
static vm_fault_t vd_zero_private_fault_traced(struct vm_fault *vmf)
{
	vm_fault_t ret = vd_zero_private_fault(vmf);

	trace_vmapdemo_fault(VD_TRACE_ZERO, vmf, ret);
	return ret;
}

/*
 * No ->open or ->close: the VMA's file (the device's) pins the module, and
 * a VMA with ->close never merges with its neighbours.
 * ->map_pages is here so that 6.4 and later run ->fault under the per-VMA
 * lock (vmf_can_call_fault()); private fault-around is done by ->fault.
 */
static vm_fault_t vd_zero_private_map_pages(struct vm_fault *vmf,
					    pgoff_t start_pgoff,
					    pgoff_t end_pgoff)
{
	return 0;
}

static const struct vm_operations_struct vd_zero_private_vm_ops = {
	.fault		= vd_zero_private_fault_traced,
	.map_pages	= vd_zero_private_map_pages,
};

/* --- MAP_SHARED ------------------------------------------------------- */

/*
 * The page at vmf->pgoff of the object's shmem file, locked, as
 * filemap_fault() returns one. shmem_read_mapping_page_gfp() finds the
 * folio in the page cache, reads it back from swap, or allocates it
 * zero-filled (charged to the current task's memcg, the faulting one),
 * and returns it uptodate with a reference but unlocked: once locked, a
 * folio still in the mapping cannot leave it (shmem_writeout() and
 * truncation need the lock), so the check below makes the PTE the core
 * installs one of a page still in the object.
 */
static vm_fault_t vd_zero_shared_fault(struct vm_fault *vmf)
{
	struct vd_zobj *obj = vmf->vma->vm_file->private_data;
	struct address_space *mapping = obj->shm->f_mapping;
	struct folio *folio;
	struct page *page;
	void *entry;

	/* Checked on every fault: mremap() can grow the VMA past the object. */
	if (vmf->pgoff >= obj->nr_pages) {
		atomic64_inc(&vd_stats.faults_sigbus);
		return VM_FAULT_SIGBUS;
	}
	vd_count_fault(vmf);
retry:
	/* For the statistics only: absent, or a swap entry. */
	rcu_read_lock();
	entry = xa_load(&mapping->i_pages, vmf->pgoff);
	rcu_read_unlock();

	page = shmem_read_mapping_page_gfp(mapping, vmf->pgoff,
					   mapping_gfp_mask(mapping));
	if (IS_ERR(page))
		return vmf_error(PTR_ERR(page));
	folio = page_folio(page);
	if (!entry || xa_is_value(entry)) {
		atomic_long_add(folio_nr_pages(folio), &obj->nr_alloc);
		atomic64_add(folio_nr_pages(folio), &vd_stats.pages_alloc);
	}

	folio_lock(folio);
	if (unlikely(folio->mapping != mapping)) {
		folio_unlock(folio);
		folio_put(folio);
		goto retry;
	}
	/* Our reference becomes the PTE's; the core unlocks the folio. */
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

/* ->fault, traced in one place for every outcome of the handler. */
static vm_fault_t vd_zero_shared_fault_traced(struct vm_fault *vmf)
{
	vm_fault_t ret = vd_zero_shared_fault(vmf);

	trace_vmapdemo_fault(VD_TRACE_ZERO, vmf, ret);
	return ret;
}

/*
 * No ->page_mkwrite: like shmem's, the mapping has no writeback to track,
 * and the core marks a folio dirty when a write fault maps it. No ->open or
 * ->close: the file pins the object and the module.
 */
static const struct vm_operations_struct vd_zero_shared_vm_ops = {
	.fault		= vd_zero_shared_fault_traced,
	.map_pages	= filemap_map_pages,
};

static int vd_zobj_release(struct inode *inode, struct file *file)
{
	struct vd_zobj *obj = file->private_data;

	atomic64_add(atomic_long_read(&obj->nr_alloc), &vd_stats.pages_freed);
	atomic64_dec(&vd_stats.objects_live);
	fput(obj->shm);
	kfree(obj);
	return 0;
}

/*
 * The object's file is only ever reached through its VMAs: msync(MS_SYNC)
 * calls ->fsync (a no-op, as for /dev/zero's shmem object).
 */
static const struct file_operations vd_zobj_fops = {
	.owner		= THIS_MODULE,
	.release	= vd_zobj_release,
	.fsync		= noop_fsync,
	.llseek		= noop_llseek,
};

/*
 * A new shared object of @len bytes for a mapping of @file, and the file
 * its VMAs will hold. @noreserve: the mapping has VM_NORESERVE.
 *
 * Return: the object's file (the caller owns its reference), or an
 * ERR_PTR(); on error nothing is left behind.
 */
static struct file *vd_zobj_create(struct file *file, loff_t len,
				   bool noreserve)
{
	struct vd_zobj *obj;
	struct inode *inode;
	struct file *ofile;
	int ret;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->nr_pages = len >> PAGE_SHIFT;
	atomic_long_set(&obj->nr_alloc, 0);

	/*
	 * As shmem_zero_setup() does: the whole size is charged to
	 * overcommit here unless VM_NORESERVE (MAP_NORESERVE, when the
	 * overcommit policy honours it), and a refusal is -ENOMEM.
	 */
	obj->shm = vd_shmem_file_setup("dev/" VMAPDEMO_DEV_NAME, len,
				       noreserve ? VM_NORESERVE : 0);
	if (IS_ERR(obj->shm)) {
		ret = PTR_ERR(obj->shm);
		goto err_free;
	}

	inode = vd_fs_new_inode();
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto err_shm;
	}
	i_size_write(inode, len);
	/*
	 * Unlinked, like shmem_zero_setup()'s file: a core dump writes out a
	 * shared mapping whose inode has no links as anonymous shared memory
	 * (coredump_filter bit 1, on by default), one with links as a shared
	 * file mapping (bit 3, off by default).
	 */
	clear_nlink(inode);

	ofile = vd_fs_new_file(inode, "dev/" VMAPDEMO_DEV_NAME,
			       file->f_flags & O_ACCMODE, &vd_zobj_fops, obj);
	if (IS_ERR(ofile)) {
		ret = PTR_ERR(ofile);
		goto err_iput;
	}
	/*
	 * The VMA is linked into, and its faults look in, the shmem mapping.
	 * Set before the VMA is: the core links it through vm_file->f_mapping
	 * after ->mmap (or ->mmap_prepare) returns.
	 */
	ofile->f_mapping = obj->shm->f_mapping;
	atomic64_inc(&vd_stats.objects_live);
	atomic64_inc(&vd_stats.objects_created);
	return ofile;

err_iput:
	iput(inode);
err_shm:
	fput(obj->shm);
err_free:
	kfree(obj);
	return ERR_PTR(ret);
}

#ifdef VD_HAVE_MMAP_PREPARE
/**
 * vd_zero_mmap_prepare() - ->mmap_prepare of /dev/vmapdemo
 * @desc: the mapping to be made
 *
 * Called before the VMA exists and before any merge. A shared mapping
 * gets its object's file as its vm_file, as shmem_zero_setup_desc() gives
 * /dev/zero's its shmem file: the core then owns that reference, puts it
 * if the mapping fails later (__mmap_region()'s abort path), and never
 * merges the new VMA with another (another file). That file is all the
 * per-mapping state there is, so no vm_ops->mapped is needed. Changes no
 * VMA flags.
 *
 * Return: 0 or a negative errno.
 */
int vd_zero_mmap_prepare(struct vm_area_desc *desc)
{
	struct file *ofile;

	if (!vma_desc_test(desc, VMA_MAYSHARE_BIT)) {
		desc->vm_ops = &vd_zero_private_vm_ops;
		return 0;
	}
	ofile = vd_zobj_create(desc->file, desc->end - desc->start,
			       vma_desc_test(desc, VMA_NORESERVE_BIT));
	if (IS_ERR(ofile))
		return PTR_ERR(ofile);
	desc->vm_file = ofile;
	desc->vm_ops = &vd_zero_shared_vm_ops;
	return 0;
}
#else
/**
 * vd_zero_mmap() - ->mmap of /dev/vmapdemo
 * @file: the device file
 * @vma: the new VMA
 *
 * Changes no vm_flags: after a change 6.12 would try to merge the VMA again
 * after ->mmap.
 *
 * Return: 0 or a negative errno.
 */
int vd_zero_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct file *ofile;

	if (!(vma->vm_flags & VM_MAYSHARE)) {
		vma->vm_ops = &vd_zero_private_vm_ops;
		return 0;
	}
	ofile = vd_zobj_create(file, (loff_t)vma_pages(vma) << PAGE_SHIFT,
			       vma->vm_flags & VM_NORESERVE);
	if (IS_ERR(ofile))
		return PTR_ERR(ofile);
	vma->vm_ops = &vd_zero_shared_vm_ops;
	vma_set_file(vma, ofile);
	fput(ofile);
	return 0;
}
#endif

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
/**
 * vd_zero_get_unmapped_area() - ->get_unmapped_area of /dev/vmapdemo
 * @file: the device file
 * @addr: hint
 * @len: length
 * @pgoff: offset in pages
 * @flags: mmap flags
 *
 * Places a mapping of at least 2 MiB on a PMD boundary where
 * thp_get_unmapped_area() does that for files (6.12 does; 6.1 only for
 * DAX files), so that huge shmem folios of a shared object can be
 * PMD-mapped, as shmem_get_unmapped_area() arranges for /dev/zero.
 *
 * Return: the address, or a negative errno.
 */
unsigned long vd_zero_get_unmapped_area(struct file *file, unsigned long addr,
					unsigned long len, unsigned long pgoff,
					unsigned long flags)
{
	return thp_get_unmapped_area(file, addr, len, pgoff, flags);
}
#endif
