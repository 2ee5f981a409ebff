// SPDX-License-Identifier: GPL-2.0
/*
 * zero.c - /dev/zero's mmap semantics through vmapdemo's own fault handlers.
 *
 * MAP_PRIVATE: every page reads as zero and a write gets a private copy.
 * A read fault maps the kernel's zero page read-only, as anonymous memory
 * does, so reading an untouched page costs no memory; each fault also maps
 * it into the untouched pages of the 16-page window around it. A write is a
 * copy-on-write done by the core, so the copy is an ordinary anonymous
 * page: wp_page_copy() for a page mapped to the zero page, do_cow_fault()
 * (copying a module-owned zero page) for a write fault on an unmapped one.
 * Private mappings have no end: mremap() may grow them, like /dev/zero's.
 *
 * MAP_SHARED: every mmap() call creates a new object (struct vd_zobj), sized
 * to the mapping and shared only with the VMAs copied from this one (fork,
 * split, mremap). Its pages are allocated on first touch and freed when the
 * object goes. As shmem_zero_setup() does for /dev/zero, the VMA gets a file
 * of its own for the object: a later mmap() of the device can then never be
 * merged into this VMA (6.12 merges an adjacent VMA of the same file without
 * calling ->mmap), and /proc/pid/maps shows "/dev/vmapdemo (deleted)".
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
 * MADV_REMOVE on a shared mapping fails with ENODEV (the object's inode is
 * not S_IFREG, so vfs_fallocate() refuses before any ->fallocate; making it
 * S_IFREG would expose it to regular-file paths never meant for it, and
 * a punch-hole would need the invalidate lock and page locks in ->fault);
 * MADV_FREE and userfaultfd need an anonymous VMA and fail with EINVAL;
 * a shared object takes no overcommit charge (security_vm_enough_memory_mm()
 * is not exported), so a mapping larger than RAM succeeds without
 * MAP_NORESERVE.
 *
 * Locking: ->fault runs under mmap_lock held for read, or (on 6.12) under
 * the per-VMA lock only: ->map_pages exists for that (see
 * vd_zero_map_pages()). ->open and ->close run with mmap_lock held (fork,
 * split, mremap, munmap, exit). No handler touches anything but its own
 * object, whose page array has its own lock (struct vd_pages), and the
 * atomic counters.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>

#include <linux/vmapdemo.h>

#include "vmapdemo.h"
#include "vmapdemo_trace.h"

/**
 * struct vd_zobj - the object behind one MAP_SHARED mmap of /dev/vmapdemo
 * @ref: one reference for the object's file and one per VMA mapping it
 * @pages: its pages, allocated on first touch
 * @nr_pages: size in pages, fixed at mmap time
 * @fault_ahead: pages a fault maps at once, the module parameter's value at
 *	mmap time (a VMA's VM_MIXEDMAP is decided then and cannot change)
 *
 * Locking: @ref is a kref (->mmap and ->open get, ->close and the file's
 * ->release put; the last put frees). @nr_pages and @fault_ahead are
 * written before the
 * object is published to any VMA and never changes. @pages has its own
 * lock (the xarray's). No other lock: faults may run concurrently, under
 * mmap_lock held for read or, on 6.12, under the per-VMA lock only.
 */
struct vd_zobj {
	struct kref ref;
	struct vd_pages pages;
	pgoff_t nr_pages;
	unsigned int fault_ahead;
};

/*
 * With fault_ahead > 1, a shared fault also maps up to fault_ahead - 1
 * following pages that are resident but not mapped (a refault after
 * MADV_DONTNEED), in one vm_insert_pages() call. ->map_pages cannot do it
 * for driver-owned pages (no exported helper maps a page that is not in the
 * page cache without sleeping), so the batch is done in ->fault;
 * vm_insert_pages() needs VM_MIXEDMAP, set at mmap time. That makes the VMA
 * VM_SPECIAL: mlock() and MAP_LOCKED leave it unlocked (they still
 * succeed), it never merges, and fork() copies its PTEs instead of letting
 * the child fault. Those are differences from /dev/zero, so the default is
 * 0 (one page per fault, a plain VMA) and batching is an opt-in for users
 * who measure refaults. Read at mmap time.
 */
#define VD_FAULT_AHEAD_MAX	16
static unsigned int fault_ahead;
module_param(fault_ahead, uint, 0644);
MODULE_PARM_DESC(fault_ahead,
		 "pages a shared fault maps at once (0/1 = one, default 0, max 16; >1 sets VM_MIXEDMAP: mlock then does not lock)");

/*
 * The page a private write fault returns for do_cow_fault() to copy. Set at
 * init, put at exit, never written and never mapped, so it needs no lock.
 * (The kernel's zero page cannot take its place: the core locks the page
 * ->fault returns, and every CPU would contend for that one lock.)
 */
static struct page *vd_zero_page;

static void vd_zobj_free(struct kref *ref)
{
	struct vd_zobj *obj = container_of(ref, struct vd_zobj, ref);

	atomic64_add(vd_pages_destroy(&obj->pages), &vd_stats.pages_freed);
	atomic64_dec(&vd_stats.objects_live);
	kfree(obj);
}

static void vd_zobj_put(struct vd_zobj *obj)
{
	kref_put(&obj->ref, vd_zobj_free);
}

/*
 * ->map_pages: fault-around. Driver-owned pages cannot be mapped from here
 * with exported helpers (it runs under RCU and must not sleep), so it maps
 * nothing and the fault goes on to ->fault. Its presence is what lets 6.12
 * run ->fault under the per-VMA lock instead of retrying under mmap_lock
 * (vmf_can_call_fault()); our handlers need nothing of mmap_lock.
 */
static vm_fault_t vd_zero_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff,
				    pgoff_t end_pgoff)
{
	return 0;
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
 * allocates a zeroed page, nothing is copied) instead of do_cow_fault(),
 * which copies the page ->fault returns into a page already zeroed.
 */
#define VD_PRIVATE_AROUND	16

static vm_fault_t vd_zero_insert_zero(struct vm_area_struct *vma,
				      unsigned long addr)
{
	return vd_vmf_insert_zero(vma, addr);
}

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
		    vd_zero_insert_zero(vma, addr) != VM_FAULT_NOPAGE)
			break;
}

static vm_fault_t vd_zero_private_fault(struct vm_fault *vmf)
{
	vm_fault_t ret;

	vd_count_fault(vmf);
	/*
	 * A read maps the kernel's zero page read-only, in a special PTE, as
	 * do_anonymous_page() does: no page lock, reference or rmap.
	 * vm_mixed_ok() allows the zero pfn in any copy-on-write VMA,
	 * without VM_MIXEDMAP. Its neighbours get it too (above).
	 */
	if (!(vmf->flags & FAULT_FLAG_WRITE)) {
		ret = vd_zero_insert_zero(vmf->vma, vmf->address & PAGE_MASK);
		if (ret == VM_FAULT_NOPAGE)
			vd_zero_private_around(vmf);
		return ret;
	}
	/*
	 * A write: do_cow_fault() has allocated the private copy and copies
	 * the page we return into it (finish_fault() is not exported, so
	 * the copy cannot be skipped). Give the neighbours the zero page so
	 * that their first writes do not come here.
	 */
	vd_zero_private_around(vmf);
	get_page(vd_zero_page);
	vmf->page = vd_zero_page;
	return 0;
}

static void vd_zero_private_open(struct vm_area_struct *vma)
{
	atomic64_inc(&vd_stats.mappings_live);
}

static void vd_zero_private_close(struct vm_area_struct *vma)
{
	atomic64_dec(&vd_stats.mappings_live);
}

/* ->fault, traced in one place for every outcome of the handler. */
static vm_fault_t vd_zero_private_fault_traced(struct vm_fault *vmf)
{
	vm_fault_t ret = vd_zero_private_fault(vmf);

	trace_vmapdemo_fault(VD_TRACE_ZERO, vmf, ret);
	return ret;
}

static const struct vm_operations_struct vd_zero_private_vm_ops = {
	.open		= vd_zero_private_open,
	.close		= vd_zero_private_close,
	.fault		= vd_zero_private_fault_traced,
	.map_pages	= vd_zero_map_pages,
};

/* --- MAP_SHARED ------------------------------------------------------- */

/*
 * Map @page at the fault address and the resident pages after it, up to
 * obj->fault_ahead in all, stopping at the first page not resident (so a
 * sparse touch allocates only what it touches), at the end of the VMA or
 * of the object, and at the first PTE already present. Consumes the
 * reference on @page.
 */
static vm_fault_t vd_zero_map_ahead(struct vm_fault *vmf, struct vd_zobj *obj,
				    struct page *page)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr = vmf->address & PAGE_MASK;
	struct page *pages[VD_FAULT_AHEAD_MAX];
	unsigned long n, max, left, nr;
	int err;

	max = min3((unsigned long)obj->fault_ahead,
		   (vma->vm_end - addr) >> PAGE_SHIFT,
		   obj->nr_pages - vmf->pgoff);
	pages[0] = page;
	n = 1 + vd_pages_lookup_run(&obj->pages, vmf->pgoff + 1, pages + 1,
				    max - 1);
	nr = n;
	left = n;
	err = vm_insert_pages(vma, addr, pages, &left);
	while (n)
		put_page(pages[--n]);
	/*
	 * Mapped, or someone else mapped it first (-EBUSY): either way the
	 * access can be retried. Otherwise no page table could be had.
	 */
	if (left == nr && err != -EBUSY)
		return VM_FAULT_OOM;
	return VM_FAULT_NOPAGE;
}

static vm_fault_t vd_zero_shared_fault(struct vm_fault *vmf)
{
	struct vd_zobj *obj = vmf->vma->vm_private_data;
	struct page *page;
	bool allocated;

	/* Checked on every fault: mremap() can grow the VMA past the object. */
	if (vmf->pgoff >= obj->nr_pages) {
		atomic64_inc(&vd_stats.faults_sigbus);
		return VM_FAULT_SIGBUS;
	}
	vd_count_fault(vmf);
	page = vd_pages_get(&obj->pages, vmf->pgoff, &allocated);
	if (IS_ERR(page))
		return vmf_error(PTR_ERR(page));
	if (allocated)
		atomic64_inc(&vd_stats.pages_alloc);
	/*
	 * A page just allocated has, as a rule, nothing resident after it:
	 * the core's one-page path is cheaper for it than a batch of one.
	 */
	if (!allocated && obj->fault_ahead > 1)
		return vd_zero_map_ahead(vmf, obj, page);
	/* Our reference becomes the PTE's; the core locks the page. */
	vmf->page = page;
	return 0;
}

static void vd_zero_shared_open(struct vm_area_struct *vma)
{
	struct vd_zobj *obj = vma->vm_private_data;

	kref_get(&obj->ref);
	atomic64_inc(&vd_stats.mappings_live);
}

static void vd_zero_shared_close(struct vm_area_struct *vma)
{
	atomic64_dec(&vd_stats.mappings_live);
	vd_zobj_put(vma->vm_private_data);
}

/* ->fault, traced in one place for every outcome of the handler. */
static vm_fault_t vd_zero_shared_fault_traced(struct vm_fault *vmf)
{
	vm_fault_t ret = vd_zero_shared_fault(vmf);

	trace_vmapdemo_fault(VD_TRACE_ZERO, vmf, ret);
	return ret;
}

static const struct vm_operations_struct vd_zero_shared_vm_ops = {
	.open		= vd_zero_shared_open,
	.close		= vd_zero_shared_close,
	.fault		= vd_zero_shared_fault_traced,
	.map_pages	= vd_zero_map_pages,
};

static int vd_zobj_release(struct inode *inode, struct file *file)
{
	vd_zobj_put(file->private_data);
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

static int vd_zero_mmap_shared(struct file *file, struct vm_area_struct *vma)
{
	struct vd_zobj *obj;
	struct inode *inode;
	struct file *ofile;
	int ret;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL_ACCOUNT);
	if (!obj)
		return -ENOMEM;
	kref_init(&obj->ref);
	vd_pages_init(&obj->pages);
	obj->nr_pages = vma_pages(vma);
	obj->fault_ahead = min_t(unsigned int, READ_ONCE(fault_ahead),
				 VD_FAULT_AHEAD_MAX);

	inode = vd_fs_new_inode();
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto err_free;
	}
	i_size_write(inode, (loff_t)obj->nr_pages << PAGE_SHIFT);
	/* The pages' page->mapping: process-shared futexes key on it. */
	obj->pages.mapping = inode->i_mapping;
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
	atomic64_inc(&vd_stats.objects_live);
	atomic64_inc(&vd_stats.objects_created);

	/* The file now owns the initial reference; the VMA takes another. */
	kref_get(&obj->ref);
	vma->vm_private_data = obj;
	vma->vm_ops = &vd_zero_shared_vm_ops;
	/* VM_SPECIAL: the merge retried after ->mmap does not happen. */
	if (obj->fault_ahead > 1)
		vm_flags_set(vma, VM_MIXEDMAP);
	vma_set_file(vma, ofile);
	fput(ofile);
	atomic64_inc(&vd_stats.mappings_live);
	return 0;

err_iput:
	iput(inode);
err_free:
	kfree(obj);
	return ret;
}

/**
 * vd_zero_mmap() - ->mmap of /dev/vmapdemo
 * @file: the device file
 * @vma: the new VMA
 *
 * Changes no vm_flags but VM_MIXEDMAP (see fault_ahead): after another
 * change 6.12 would try to merge the VMA again after ->mmap and could free
 * it without ->close; VM_SPECIAL flags are never merged.
 *
 * Return: 0 or a negative errno.
 */
int vd_zero_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_MAYSHARE)
		return vd_zero_mmap_shared(file, vma);

	vma->vm_ops = &vd_zero_private_vm_ops;
	atomic64_inc(&vd_stats.mappings_live);
	return 0;
}

int vd_zero_init(void)
{
	vd_zero_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	return vd_zero_page ? 0 : -ENOMEM;
}

void vd_zero_exit(void)
{
	/* do_cow_fault() drops its references before returning. */
	put_page(vd_zero_page);
}
