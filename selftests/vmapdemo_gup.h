/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Long-term GUP pins for the vmapdemo selftests, through the kernel's
 * gup_test debugfs file (CONFIG_GUP_TEST, mm/gup_test.c; the debug kernel
 * has it, Debian's kernels do not): PIN_LONGTERM_TEST_START takes a
 * FOLL_PIN | FOLL_LONGTERM pin of a user range, read-only unless asked
 * (no user-space API takes a read-only long-term pin otherwise, and
 * io_uring's writable ones are refused on a store), _READ copies the
 * pinned pages out, _STOP (or closing the file) unpins. The same pin the
 * mm selftests' cow.c takes. The ioctl numbers are those of the 6.12
 * header (mm/gup_test.h, not exported to user space).
 */
#ifndef _VMAPDEMO_GUP_H
#define _VMAPDEMO_GUP_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/types.h>

#define VD_GUP_TEST_PATH	"/sys/kernel/debug/gup_test"

struct vd_pin_longterm_test {
	__u64 addr;
	__u64 size;
	__u32 flags;
};

#define VD_PIN_LONGTERM_TEST_START	_IOW('g', 7, struct vd_pin_longterm_test)
#define VD_PIN_LONGTERM_TEST_STOP	_IO('g', 8)
#define VD_PIN_LONGTERM_TEST_READ	_IOW('g', 9, __u64)
#define VD_PIN_LONGTERM_TEST_FLAG_USE_WRITE	1
#define VD_PIN_LONGTERM_TEST_FLAG_USE_FAST	2

/* The gup_test file, or -errno (-ENOENT: no CONFIG_GUP_TEST or no debugfs). */
static inline int vd_gup_open(void)
{
	int fd = open(VD_GUP_TEST_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Pin [addr, addr + size) long-term (@flags: VD_PIN_LONGTERM_TEST_FLAG_*); 0 or -errno. */
static inline int vd_pin_longterm(int gfd, const void *addr, size_t size, unsigned int flags)
{
	struct vd_pin_longterm_test args = {
		.addr = (__u64)(uintptr_t)addr, .size = size, .flags = flags,
	};

	return ioctl(gfd, VD_PIN_LONGTERM_TEST_START, &args) ? -errno : 0;
}

/* Copy the pinned pages to @buf (as many bytes as were pinned); 0 or -errno. */
static inline int vd_pin_read(int gfd, void *buf)
{
	__u64 a = (__u64)(uintptr_t)buf;

	return ioctl(gfd, VD_PIN_LONGTERM_TEST_READ, &a) ? -errno : 0;
}

static inline int vd_pin_stop(int gfd)
{
	return ioctl(gfd, VD_PIN_LONGTERM_TEST_STOP) ? -errno : 0;
}

#endif /* _VMAPDEMO_GUP_H */
