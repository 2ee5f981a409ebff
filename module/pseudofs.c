// SPDX-License-Identifier: GPL-2.0
/*
 * pseudofs.c - vmapdemo's internal pseudo filesystem.
 *
 * Every store has one address_space shared by all its opens (its page
 * cache, written back to the store's backing tier), so that
 * unmap_mapping_range() and the rmap reach every mapping of it (the DRM
 * and /dev/mem pattern): its inode lives here. (/dev/vmapdemo's shared
 * objects are shmem files, as /dev/zero's are: see zero.c.)
 *
 * The mount lives from module init to module exit. The filesystem type has
 * no owner on purpose: a superblock pins its type's owner, and with
 * THIS_MODULE here the module could never be unloaded. Nothing can outlive
 * the mount: the stores' inodes are put before kern_unmount().
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mount.h>
#include <linux/module.h>
#include <linux/pseudo_fs.h>

#include "vmapdemo.h"

#define VMAPDEMO_FS_MAGIC	0x766d6170	/* "vmap" */

static struct vfsmount *vd_mnt;

static int vd_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, VMAPDEMO_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type vd_fs_type = {
	.name			= "vmapdemo",
	.init_fs_context	= vd_fs_init_fs_context,
	.kill_sb		= kill_anon_super,
};

int vd_fs_init(void)
{
	vd_mnt = kern_mount(&vd_fs_type);
	return PTR_ERR_OR_ZERO(vd_mnt);
}

void vd_fs_exit(void)
{
	kern_unmount(vd_mnt);
}

/**
 * vd_fs_new_inode() - a new inode with an address_space of its own
 *
 * alloc_anon_inode() gives the mapping aops whose ->dirty_folio is
 * noop_dirty_folio(), so the core never calls a NULL aop on it.
 *
 * Return: the inode, or an ERR_PTR().
 */
struct inode *vd_fs_new_inode(void)
{
	return alloc_anon_inode(vd_mnt->mnt_sb);
}
