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
 * The VMA's file is the shmem file itself, as for /dev/zero, so the core
 * sees a shmem file behind the VMA wherever it looks: the VMA is linked
 * into the shmem mapping's i_mmap tree, so reclaim and swap reach it
 * through rmap, filemap_map_pages() finds the folios, smaps counts its
 * swap, and a process-shared futex keys on the shmem inode. The file's
 * operations are replaced by the module's (replace_fops()): the file then
 * pins the module (its fops owner) and owns the object (private_data) for
 * as long as any VMA holds it, so the VMAs need neither ->open nor ->close
 * and merge back after a split like /dev/zero's. A later mmap() of the
 * device can never merge with this VMA (another file), and
 * /proc/pid/maps shows "/dev/vmapdemo (deleted)".
 * On 7.x the hook is ->mmap_prepare, which hands that file to the core in
 * the mapping's descriptor as shmem_zero_setup_desc() does for /dev/zero;
 * older kernels get ->mmap and vma_set_file().
 *
 * Like the shmem object behind /dev/zero, the object's size is the length of
 * the mapping and its pages are indexed by file offset: a page whose pgoff
 * is at or beyond that size (a mapping grown by mremap(), or one made at a
 * non-zero offset) gets SIGBUS.
 *
 * Sharing is decided on VM_MAYSHARE: for an O_RDONLY fd the core clears
 * VM_SHARED from a MAP_SHARED mapping, which is still a shared mapping.
 *
 * The shmem file is unlinked (i_nlink 0): a core dump writes the mapping
 * out as anonymous shared memory, as it does for /dev/zero. MADV_REMOVE
 * punches a hole through shmem's ->fallocate, as on /dev/zero.
 *
 * Deliberate differences from /dev/zero (Documentation/vmapdemo.rst):
 * MADV_FREE and userfaultfd need an anonymous or shmem VMA (the vm_ops
 * decide) and fail with EINVAL.
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
 * @shm: the shmem file holding its pages, which is also its VMAs' file
 * @nr_pages: size in pages, fixed at mmap time
 * @shmem_fallocate: shmem's ->fallocate, which the file's own calls
 * @node: in vd_zobjs, for the statistics
 *
 * Lifetime: owned by @shm (its private_data), freed by its ->release,
 * which runs after the last VMA holding the file went.
 * Locking: @shm, @nr_pages and @shmem_fallocate are written before the
 * object is published and never change; @node is under vd_zobjs_lock.
 * The pages are the shmem mapping's (its i_pages lock and the folio
 * locks).
 */
struct vd_zobj {
	struct file *shm;
	pgoff_t nr_pages;
	long (*shmem_fallocate)(struct file *file, int mode, loff_t offset,
				loff_t len);
	struct list_head node;
};

/*
 * The statistics' page counts, without a counter in the fault path: the
 * live objects are on vd_zobjs, and shmem counts each one's pages (its
 * inode's alloced: pages allocated to the file, in memory or in swap).
 * vd_zobjs_freed adds up the pages of the objects that went. Both under
 * vd_zobjs_lock, so that an object leaving the list is counted once.
 */
static LIST_HEAD(vd_zobjs);
static DEFINE_SPINLOCK(vd_zobjs_lock);
static u64 vd_zobjs_freed;

static unsigned long vd_zobj_pages(struct vd_zobj *obj)
{
	return READ_ONCE(SHMEM_I(file_inode(obj->shm))->alloced);
}

/**
 * vd_zero_page_stats() - pages of the shared objects, for the statistics
 * @alloc: set to the pages the live objects hold plus *@freed
 * @freed: set to the pages the objects that went held when they went
 */
void vd_zero_page_stats(u64 *alloc, u64 *freed)
{
	struct vd_zobj *obj;
	u64 held = 0;

	spin_lock(&vd_zobjs_lock);
	list_for_each_entry(obj, &vd_zobjs, node)
		held += vd_zobj_pages(obj);
	*freed = vd_zobjs_freed;
	spin_unlock(&vd_zobjs_lock);
	*alloc = held + *freed;
}

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
 * filemap_fault() and shmem_fault() return one: shmem finds the folio in
 * its page cache, reads it back from swap, or allocates it zero-filled
 * (charged to the current task's memcg, the faulting one), and returns it
 * uptodate, locked and still in the mapping (vd_shmem_get_folio()).
 */
static vm_fault_t vd_zero_shared_fault(struct vm_fault *vmf)
{
	struct vd_zobj *obj = vmf->vma->vm_file->private_data;
	struct address_space *mapping = vmf->vma->vm_file->f_mapping;
	struct folio *folio;
	int err;

	/* Checked on every fault: mremap() can grow the VMA past the object. */
	if (vmf->pgoff >= obj->nr_pages) {
		atomic64_inc(&vd_stats.faults_sigbus);
		return VM_FAULT_SIGBUS;
	}
	vd_count_fault(vmf);
	err = vd_shmem_get_folio(mapping, vmf->pgoff, &folio);
	if (err)
		return vmf_error(err);
	/* Our reference becomes the PTE's; the core unlocks the folio. */
	vmf->page = folio_file_page(folio, vmf->pgoff);
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

	spin_lock(&vd_zobjs_lock);
	list_del(&obj->node);
	vd_zobjs_freed += vd_zobj_pages(obj);
	spin_unlock(&vd_zobjs_lock);
	atomic64_dec(&vd_stats.objects_live);
	kfree(obj);
	return 0;
}

/*
 * MADV_REMOVE punches a hole in the object, as in /dev/zero's. shmem has
 * no ->fallocate without CONFIG_TMPFS: then neither does the object.
 */
static long vd_zobj_fallocate(struct file *file, int mode, loff_t offset,
			      loff_t len)
{
	struct vd_zobj *obj = file->private_data;

	if (!obj->shmem_fallocate)
		return -EOPNOTSUPP;
	return obj->shmem_fallocate(file, mode, offset, len);
}

/*
 * The shmem file's operations once it is the object's: shmem's file
 * operations have no ->release, and the file is only ever reached through
 * its VMAs. msync(MS_SYNC) calls ->fsync (a no-op, as for /dev/zero's
 * shmem object), MADV_REMOVE ->fallocate.
 */
static const struct file_operations vd_zobj_fops = {
	.owner		= THIS_MODULE,
	.release	= vd_zobj_release,
	.fsync		= noop_fsync,
	.llseek		= noop_llseek,
	.fallocate	= vd_zobj_fallocate,
};

/*
 * A new shared object of @len bytes, and the file its VMAs will hold.
 * @noreserve: the mapping has VM_NORESERVE.
 *
 * The file is the object's shmem file itself, as shmem_zero_setup()'s is
 * /dev/zero's VMA file: the core then sees a shmem file behind the VMA
 * everywhere it looks (rmap and reclaim through its mapping, smaps'
 * shmem_swap_usage() through its inode, futex keys, core dumps: it is
 * unlinked). Its file operations become the module's (replace_fops(), as
 * a char device's open switches them), so that the file pins the module,
 * which the VMAs' vm_ops belong to, and owns the object.
 *
 * Return: the file (the caller owns its reference), or an ERR_PTR(); on
 * error nothing is left behind.
 */
static struct file *vd_zobj_create(loff_t len, bool noreserve)
{
	struct vd_zobj *obj;
	struct file *shm;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->nr_pages = len >> PAGE_SHIFT;

	/*
	 * As shmem_zero_setup() does: the whole size is charged to
	 * overcommit here unless VM_NORESERVE (MAP_NORESERVE, when the
	 * overcommit policy honours it), and a refusal is -ENOMEM.
	 */
	shm = vd_shmem_file_setup("dev/" VMAPDEMO_DEV_NAME, len,
				  noreserve ? VM_NORESERVE : 0);
	if (IS_ERR(shm)) {
		kfree(obj);
		return shm;
	}
	obj->shm = shm;
	obj->shmem_fallocate = shm->f_op->fallocate;
	/* __fput() drops this with fops_put() after ->release. */
	__module_get(THIS_MODULE);
	replace_fops(shm, &vd_zobj_fops);
	shm->private_data = obj;

	spin_lock(&vd_zobjs_lock);
	list_add(&obj->node, &vd_zobjs);
	spin_unlock(&vd_zobjs_lock);
	atomic64_inc(&vd_stats.objects_live);
	atomic64_inc(&vd_stats.objects_created);
	return shm;
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
	ofile = vd_zobj_create(desc->end - desc->start,
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
	ofile = vd_zobj_create((loff_t)vma_pages(vma) << PAGE_SHIFT,
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
