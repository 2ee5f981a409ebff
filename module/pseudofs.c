// SPDX-License-Identifier: GPL-2.0
/*
 * pseudofs.c - vmapdemo's internal pseudo filesystem.
 *
 * Two things need inodes that are not the device node's:
 *  - every MAP_SHARED mmap of /dev/vmapdemo creates a new object, and gets a
 *    file of its own for it (as shmem_zero_setup() does for /dev/zero), so
 *    that the VMA can never merge with a VMA of another mmap call and
 *    /proc/pid/maps shows "/dev/vmapdemo (deleted)" like "/dev/zero
 *    (deleted)";
 *  - every store has one address_space shared by all its opens, so that
 *    unmap_mapping_range() reaches every mapping of it (the DRM and /dev/mem
 *    pattern).
 *
 * The mount lives from module init to module exit. The filesystem type has
 * no owner on purpose: a superblock pins its type's owner, and with
 * THIS_MODULE here the module could never be unloaded. Nothing can outlive
 * the mount: every file created here pins the module through its fops
 * (vd_fs_new_file()), and the stores' inodes are put before kern_unmount().
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

/**
 * vd_fs_new_file() - a file on @inode, named @name in /proc/pid/maps
 * @inode: the inode; on success the file owns the caller's reference
 * @name: shown as "/@name (deleted)"
 * @flags: O_RDONLY, O_WRONLY or O_RDWR
 * @fops: its file operations; their owner is pinned for the file's life
 * @priv: stored in file->private_data
 *
 * Context: the caller already holds a reference on @fops->owner.
 * Return: the file, or an ERR_PTR() (then the caller still owns @inode).
 */
struct file *vd_fs_new_file(struct inode *inode, const char *name, int flags,
			    const struct file_operations *fops, void *priv)
{
	struct file *file;

	/* __fput() drops this with fops_put() after ->release. */
	__module_get(fops->owner);
	file = alloc_file_pseudo(inode, vd_mnt, name, flags, fops);
	if (IS_ERR(file)) {
		module_put(fops->owner);
		return file;
	}
	file->private_data = priv;
	return file;
}
