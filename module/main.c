// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo - a mappable character device.
 *
 * /dev/vmapdemo maps like /dev/zero, but through the module's own
 * vm_operations_struct and fault handlers (zero.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include <linux/vmapdemo.h>

#include "vmapdemo.h"

struct vd_stats vd_stats;

/**
 * vd_ioctl_arg_in() - copy in an extensible ioctl argument
 * @karg: kernel copy, @ksize bytes
 * @ksize: the kernel's size of the struct
 * @minsize: the size of the struct's first version
 * @uarg: user pointer; its first __u32 is the user's size of the struct
 * @usize: set to the user's size
 *
 * Return: 0, -EFAULT, -EINVAL (size too small) or -E2BIG (the user's struct
 * is larger and the bytes the kernel does not know are not zero).
 */
int vd_ioctl_arg_in(void *karg, size_t ksize, size_t minsize,
		    void __user *uarg, u32 *usize)
{
	u32 size;
	int ret;

	if (get_user(size, (u32 __user *)uarg))
		return -EFAULT;
	if (size < minsize)
		return -EINVAL;
	if (size > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(karg, ksize, uarg, size);
	if (ret)
		return ret;
	*usize = size;
	return 0;
}

/**
 * vd_ioctl_arg_out() - copy out an extensible ioctl argument
 * @uarg: user pointer
 * @usize: the user's size of the struct, from vd_ioctl_arg_in()
 * @karg: kernel copy
 * @ksize: the kernel's size of the struct
 *
 * Writes the smaller of the two sizes, and that size into the struct's
 * leading u32 size field, so the caller learns how much the kernel filled.
 * Bytes past @ksize were checked to be zero on the way in and stay so.
 *
 * Return: 0 or -EFAULT.
 */
int vd_ioctl_arg_out(void __user *uarg, u32 usize, const void *karg,
		     size_t ksize)
{
	u32 size = min_t(size_t, usize, ksize);

	if (copy_to_user(uarg, karg, size) ||
	    put_user(size, (u32 __user *)uarg))
		return -EFAULT;
	return 0;
}

static long vd_ioctl_get_stats(void __user *uarg)
{
	struct vmapdemo_stats st = {};
	u32 usize;
	int ret;

	ret = vd_ioctl_arg_in(&st, sizeof(st), offsetofend(typeof(st), mappings_live),
			      uarg, &usize);
	if (ret)
		return ret;
	if (st.flags)
		return -EINVAL;

	st.faults_read = atomic64_read(&vd_stats.faults_read);
	st.faults_write = atomic64_read(&vd_stats.faults_write);
	st.faults_cow = atomic64_read(&vd_stats.faults_cow);
	st.faults_sigbus = atomic64_read(&vd_stats.faults_sigbus);
	vd_zero_page_stats(&st.pages_alloc, &st.pages_freed);
	st.objects_live = atomic64_read(&vd_stats.objects_live);
	st.objects_created = atomic64_read(&vd_stats.objects_created);
	/* mappings_live is no longer counted: see the uapi header. */
	return vd_ioctl_arg_out(uarg, usize, &st, sizeof(st));
}

static long vmapdemo_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VMAPDEMO_IOC_GET_STATS:
		return vd_ioctl_get_stats(uarg);
	default:
		return -ENOTTY;
	}
}

/*
 * Like /dev/zero: reads return zeros and writes are discarded, so that a
 * program written for /dev/zero keeps working; lseek always succeeds.
 */
static ssize_t vmapdemo_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	size_t written = 0;

	while (iov_iter_count(to)) {
		size_t chunk = min_t(size_t, iov_iter_count(to), PAGE_SIZE);
		size_t n = iov_iter_zero(chunk, to);

		written += n;
		if (n != chunk)
			return written ? written : -EFAULT;
		if (signal_pending(current))
			return written ? written : -ERESTARTSYS;
		cond_resched();
	}
	return written;
}

static ssize_t vmapdemo_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	size_t count = iov_iter_count(from);

	iov_iter_advance(from, count);
	return count;
}

static loff_t vmapdemo_llseek(struct file *file, loff_t offset, int whence)
{
	return file->f_pos = 0;
}

static const struct file_operations vmapdemo_fops = {
	.owner		= THIS_MODULE,
#ifdef VD_HAVE_MMAP_PREPARE
	.mmap_prepare	= vd_zero_mmap_prepare,
#else
	.mmap		= vd_zero_mmap,
#endif
	.get_unmapped_area = vd_zero_get_unmapped_area,
	.read_iter	= vmapdemo_read_iter,
	.write_iter	= vmapdemo_write_iter,
	/* splice(), sendfile() and copy_file_range() as on /dev/zero */
	.splice_read	= vd_zero_splice_read,
	.splice_write	= vd_zero_splice_write,
	.llseek		= vmapdemo_llseek,
	.unlocked_ioctl	= vmapdemo_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
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

	ret = vd_fs_init();
	if (ret)
		return ret;
	ret = vd_store_init();
	if (ret)
		goto err_fs;
	ret = misc_register(&vmapdemo_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", VMAPDEMO_DEV_NAME, ret);
		goto err_store;
	}
	pr_info("version %s loaded, /dev/%s is 10:%d\n", VMAPDEMO_VERSION,
		VMAPDEMO_DEV_NAME, vmapdemo_misc.minor);
	return 0;

err_store:
	vd_store_exit();
err_fs:
	vd_fs_exit();
	return ret;
}

static void __exit vmapdemo_exit(void)
{
	misc_deregister(&vmapdemo_misc);
	vd_store_exit();
	vd_fs_exit();
	pr_info("unloaded\n");
}

module_init(vmapdemo_init);
module_exit(vmapdemo_exit);

MODULE_AUTHOR("The vmapdemo developers");
MODULE_DESCRIPTION("Mappable character device with /dev/zero and file-style mmap semantics");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMAPDEMO_VERSION);
