/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmapdemo.h - types and prototypes shared between the module's files.
 */
#ifndef _VMAPDEMO_H
#define _VMAPDEMO_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/mm_types.h>
#include <linux/xarray.h>

#include "compat.h"

#define VMAPDEMO_VERSION	"0.2.0"

/**
 * struct vd_pages - a sparse array of driver-owned, zero-filled pages
 * @xa: page offset -> struct page; the array holds one reference on each
 *	page. Its xa_lock protects lookups against removal.
 * @nr: pages currently in @xa
 */
struct vd_pages {
	struct xarray xa;
	atomic_long_t nr;
};

void vd_pages_init(struct vd_pages *pa);
struct page *vd_pages_lookup(struct vd_pages *pa, pgoff_t index);
struct page *vd_pages_get(struct vd_pages *pa, pgoff_t index, bool *allocated);
unsigned long vd_pages_remove_range(struct vd_pages *pa, pgoff_t first,
				    pgoff_t last);
unsigned long vd_pages_destroy(struct vd_pages *pa);
struct page *vd_pages_alloc(void);
struct page *vd_pages_insert(struct vd_pages *pa, pgoff_t index,
			     struct page *page);
bool vd_pages_remove_page(struct vd_pages *pa, pgoff_t index,
			  struct page *page);
struct page *vd_pages_find(struct vd_pages *pa, pgoff_t *index, pgoff_t last,
			   xa_mark_t mark);

/**
 * struct vd_stats - counters of /dev/vmapdemo, reported by
 * VMAPDEMO_IOC_GET_STATS
 * @faults_read: ->fault calls for reads, private and shared
 * @faults_write: ->fault calls for writes on shared mappings
 * @faults_cow: ->fault calls for writes on private mappings
 * @faults_sigbus: faults answered with VM_FAULT_SIGBUS
 * @objects_live: shared objects alive
 * @objects_created: shared objects ever created
 *
 * Locking: none. Each is an independent atomic counter; a reader sees each
 * value exactly but not a snapshot of all of them together.
 */
struct vd_stats {
	atomic64_t faults_read;
	atomic64_t faults_write;
	atomic64_t faults_cow;
	atomic64_t faults_sigbus;
	atomic64_t objects_live;
	atomic64_t objects_created;
};

extern struct vd_stats vd_stats;

/* main.c */
int vd_ioctl_arg_in(void *karg, size_t ksize, size_t minsize,
		    void __user *uarg, u32 *usize);
int vd_ioctl_arg_out(void __user *uarg, u32 usize, const void *karg,
		     size_t ksize);

/* pseudofs.c */
int vd_fs_init(void);
void vd_fs_exit(void);
struct inode *vd_fs_new_inode(void);

/* store.c */
int vd_store_init(void);
void vd_store_exit(void);

/* zero.c */
void vd_zero_page_stats(u64 *alloc, u64 *freed);
#ifdef VD_HAVE_MMAP_PREPARE
int vd_zero_mmap_prepare(struct vm_area_desc *desc);
#else
int vd_zero_mmap(struct file *file, struct vm_area_struct *vma);
#endif
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
unsigned long vd_zero_get_unmapped_area(struct file *file, unsigned long addr,
					unsigned long len, unsigned long pgoff,
					unsigned long flags);
#else
/* No huge folios to align for (PREEMPT_RT has no THP): the default. */
#define vd_zero_get_unmapped_area	NULL
#endif

#endif /* _VMAPDEMO_H */
