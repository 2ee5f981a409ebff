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
 * Locking, outermost first:
 *
 *   st->lock (mutex)                write(), resize: size changes
 *     mmap_lock                     (a user copy in write() may fault)
 *       invalidate_lock             shared: ->fault, ->page_mkwrite, page
 *                                   lookup in read()/write();
 *                                   exclusive: shrink (removes pages)
 *         page lock                 ->fault until the PTE is installed
 *                                   (VM_FAULT_LOCKED), ->page_mkwrite until
 *                                   the PTE is writable, write() around its
 *                                   atomic copy, removal of a page
 *           i_mmap_rwsem            unmap_mapping_range()
 *             xa_lock               struct vd_pages
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
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include <linux/vmapdemo.h>

#include "vmapdemo.h"

static unsigned int nr_stores = 2;
module_param(nr_stores, uint, 0444);
MODULE_PARM_DESC(nr_stores, "number of /dev/vmapdemo-storeN nodes (0-16, default 2)");

static unsigned long long store_size = 16ULL << 20;
module_param(store_size, ullong, 0444);
MODULE_PARM_DESC(store_size, "initial size of each store in bytes (default 16 MiB)");

static unsigned long long store_max_size = 64ULL << 30;
module_param(store_max_size, ullong, 0444);
MODULE_PARM_DESC(store_max_size, "largest size a store can take, in bytes (default 64 GiB, at most 1 TiB)");

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
 * @cache: the pages
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
	struct vd_store_stats stats;
};

static struct vd_store *vd_stores;
static unsigned int vd_nr_stores;

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
 * The page at @index with a reference, allocated zero-filled if absent and
 * @create is set; NULL for a hole when !@create.
 * Context: invalidate_lock held (shared or exclusive).
 */
static struct page *vd_store_find_page(struct vd_store *st, pgoff_t index,
				       bool create)
{
	struct page *page;

	page = vd_pages_lookup(&st->cache, index);
	if (page || !create)
		return page;
	page = vd_pages_alloc();
	if (!page)
		return ERR_PTR(-ENOMEM);
	page = vd_pages_insert(&st->cache, index, page);
	if (!IS_ERR(page))
		atomic64_inc(&st->stats.pages_alloc);
	return page;
}

/* --- mappings ------------------------------------------------------------ */

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

	filemap_invalidate_lock_shared(mapping);
	if (vmf->pgoff >= vd_store_nr_pages(st)) {
		filemap_invalidate_unlock_shared(mapping);
		atomic64_inc(&st->stats.faults_sigbus);
		return VM_FAULT_SIGBUS;
	}
	page = vd_store_find_page(st, vmf->pgoff, true);
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
	return VM_FAULT_LOCKED;
}

/*
 * The first write to a page of a shared mapping. The page has no ->mapping,
 * so the core would refuse it unless we lock it and say so (do_page_mkwrite()):
 * it stays locked until the PTE is writable.
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
	atomic64_inc(&st->stats.faults_mkwrite);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct vd_store_vm_ops = {
	.fault		= vd_store_fault,
	.map_pages	= vd_store_map_pages,
	.page_mkwrite	= vd_store_page_mkwrite,
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
	vma->vm_private_data = file->private_data;
	vma->vm_ops = &vd_store_vm_ops;
	return 0;
}

/* --- read, write, lseek ------------------------------------------------ */

static ssize_t vd_store_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct vd_store *st = iocb->ki_filp->private_data;
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
		loff_t size;

		filemap_invalidate_lock_shared(mapping);
		page = vd_store_find_page(st, index, false);
		/* After the lookup, as filemap_read(): no data past a shrink. */
		size = vd_store_size(st);
		filemap_invalidate_unlock_shared(mapping);
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

	/*
	 * Fault the source in before taking any lock: it may be a mapping of
	 * this very page. Fail early, with nothing allocated, if none of it
	 * is readable.
	 */
	if (fault_in_iov_iter_readable(from, n) == n)
		return -EFAULT;

	filemap_invalidate_lock_shared(mapping);
	page = vd_store_find_page(st, index, true);
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
	copied = copy_page_from_iter_atomic(page, offset, n, from);
	pagefault_enable();
	flush_dcache_page(page);
out:
	unlock_page(page);
	put_page(page);
	return copied;
}

static ssize_t vd_store_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct vd_store *st = iocb->ki_filp->private_data;
	loff_t pos = iocb->ki_pos, max = READ_ONCE(store_max_size);
	size_t count = iov_iter_count(from);
	ssize_t done = 0, ret = 0;

	atomic64_inc(&st->stats.writes);
	if (pos < 0 || count > LLONG_MAX - pos)
		return -EINVAL;
	if (!count)
		return 0;
	if (pos >= max)
		return -EFBIG;
	/* A write that crosses the maximum is short, as at s_maxbytes. */
	iov_iter_truncate(from, max - pos);

	if (mutex_lock_interruptible(&st->lock))
		return -ERESTARTSYS;
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
	if (done && pos > st->size)
		vd_store_set_size(st, pos);
	mutex_unlock(&st->lock);

	if (!done)
		return ret;
	iocb->ki_pos = pos;
	return done;
}

/* Is there data (a page in memory) at @index? */
static bool vd_store_has_page(struct vd_store *st, pgoff_t index)
{
	return !!xa_load(&st->cache.xa, index);
}

/*
 * SEEK_DATA/SEEK_HOLE at page granularity, like tmpfs: data is every page
 * the store holds, a hole every page it does not, and the end of the store
 * is a hole.
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
		pgoff_t found = index;
		struct page *page = vd_pages_find(&st->cache, &found, last,
						  XA_PRESENT);

		if (!page)
			return -ENXIO;
		put_page(page);
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
	struct vd_store *st = file->private_data;
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
 * lock so that a fault that returned it has installed its PTE by then.
 * Context: st->lock and invalidate_lock (exclusive) held.
 */
static void vd_store_drop_range(struct vd_store *st, pgoff_t first,
				pgoff_t last)
{
	pgoff_t index = first;
	struct page *page;

	while ((page = vd_pages_find(&st->cache, &index, last, XA_PRESENT))) {
		lock_page(page);
		if (vd_pages_remove_page(&st->cache, index, page, NULL))
			atomic64_inc(&st->stats.pages_freed);
		unlock_page(page);
		put_page(page);
		if (index == last)
			break;
		index++;
		cond_resched();
	}
}

/* Zero the part of the page at @index from byte @offset on. */
static void vd_store_zero_tail(struct vd_store *st, pgoff_t index,
			       size_t offset)
{
	struct page *page = vd_pages_lookup(&st->cache, index);

	if (!page)
		return;
	lock_page(page);
	zero_user_segment(page, offset, PAGE_SIZE);
	unlock_page(page);
	put_page(page);
}

static int vd_store_resize(struct vd_store *st, loff_t new_size)
{
	struct address_space *mapping = vd_store_mapping(st);
	loff_t holebegin = round_up(new_size, PAGE_SIZE);

	if (mutex_lock_interruptible(&st->lock))
		return -EINTR;
	filemap_invalidate_lock(mapping);
	if (new_size < st->size) {
		vd_store_set_size(st, new_size);
		/* As truncate_pagecache(): private copies past the end go too. */
		unmap_mapping_range(mapping, holebegin, 0, 1);
		vd_store_drop_range(st, holebegin >> PAGE_SHIFT, ULONG_MAX);
		if (offset_in_page(new_size))
			vd_store_zero_tail(st, new_size >> PAGE_SHIFT,
					   offset_in_page(new_size));
		unmap_mapping_range(mapping, holebegin, 0, 1);
	} else {
		/* Nothing lies past the old end: growing adds zeros. */
		vd_store_set_size(st, new_size);
	}
	filemap_invalidate_unlock(mapping);
	mutex_unlock(&st->lock);
	atomic64_inc(&st->stats.resizes);
	return 0;
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
	info.size = min_t(u32, usize, sizeof(info));
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

static long vd_store_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct vd_store *st = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VMAPDEMO_STORE_IOC_GET_INFO:
		return vd_store_ioc_get_info(st, uarg);
	case VMAPDEMO_STORE_IOC_SET_SIZE:
		return vd_store_ioc_set_size(st, file, uarg);
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

	file->private_data = st;
	/* Before any mmap, never changed later: see the top of the file. */
	file->f_mapping = vd_store_mapping(st);
	return 0;
}

static int vd_store_release(struct inode *inode, struct file *file)
{
	return 0;
}

/* Every write is in the store already: nothing to do until msync exists. */
static int vd_store_fsync(struct file *file, loff_t start, loff_t end,
			  int datasync)
{
	return 0;
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

/* --- init and exit ------------------------------------------------------- */

static void vd_store_destroy(struct vd_store *st)
{
	misc_deregister(&st->misc);
	/* No file is open (the module is going), so nothing is mapped. */
	atomic64_add(vd_pages_destroy(&st->cache), &st->stats.pages_freed);
	iput(st->inode);
}

static int vd_store_create(struct vd_store *st, unsigned int index)
{
	int ret;

	st->index = index;
	mutex_init(&st->lock);
	vd_pages_init(&st->cache);
	st->inode = vd_fs_new_inode();
	if (IS_ERR(st->inode))
		return PTR_ERR(st->inode);
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
	vd_nr_stores = nr_stores;
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

	for (i = 0; i < vd_nr_stores; i++)
		vd_store_destroy(&vd_stores[i]);
	kfree(vd_stores);
	vd_stores = NULL;
	vd_nr_stores = 0;
}
