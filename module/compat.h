/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the one place where vmapdemo looks at the kernel version.
 *
 * vmapdemo builds against Debian's 6.1 and 6.12 kernels. Every difference
 * between the two that the module hits is papered over here, keyed on
 * LINUX_VERSION_CODE, so that the rest of the module reads like 6.12 code.
 */
#ifndef _VMAPDEMO_COMPAT_H
#define _VMAPDEMO_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>

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

#endif /* _VMAPDEMO_COMPAT_H */
