// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo - a mappable character device.
 *
 * /dev/vmapdemo maps like /dev/zero, but through the module's own
 * vm_operations_struct and fault handler.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>

#include <linux/vmapdemo.h>

#include "vmapdemo.h"

static int vmapdemo_open(struct inode *inode, struct file *file)
{
	return 0;
}

static int vmapdemo_release(struct inode *inode, struct file *file)
{
	return 0;
}

static int vmapdemo_mmap(struct file *file, struct vm_area_struct *vma)
{
	return -ENODEV;
}

static long vmapdemo_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	return -ENOTTY;
}

static const struct file_operations vmapdemo_fops = {
	.owner		= THIS_MODULE,
	.open		= vmapdemo_open,
	.release	= vmapdemo_release,
	.mmap		= vmapdemo_mmap,
	.unlocked_ioctl	= vmapdemo_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice vmapdemo_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= VMAPDEMO_DEV_NAME,
	.fops	= &vmapdemo_fops,
	.mode	= 0666,
};

static int __init vmapdemo_init(void)
{
	int ret;

	ret = misc_register(&vmapdemo_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", VMAPDEMO_DEV_NAME, ret);
		return ret;
	}
	pr_info("version %s loaded, /dev/%s is 10:%d\n", VMAPDEMO_VERSION,
		VMAPDEMO_DEV_NAME, vmapdemo_misc.minor);
	return 0;
}

static void __exit vmapdemo_exit(void)
{
	misc_deregister(&vmapdemo_misc);
	pr_info("unloaded\n");
}

module_init(vmapdemo_init);
module_exit(vmapdemo_exit);

MODULE_AUTHOR("The vmapdemo developers");
MODULE_DESCRIPTION("Mappable character device with /dev/zero and file-style mmap semantics");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMAPDEMO_VERSION);
