// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_zero: /dev/vmapdemo maps like /dev/zero. Each test runs the same
 * sequence on /dev/zero and on /dev/vmapdemo (FIXTURE_VARIANT) and asserts
 * what a program can observe.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vmapdemo_test.h"

FIXTURE(zero) {
	int fd;
	long pagesize;
};

FIXTURE_VARIANT(zero) {
	const char *path;
	int is_vmapdemo;
};

FIXTURE_VARIANT_ADD(zero, devzero) {
	.path = "/dev/zero",
	.is_vmapdemo = 0,
};

FIXTURE_VARIANT_ADD(zero, vmapdemo) {
	.path = VMAPDEMO_PATH,
	.is_vmapdemo = 1,
};

FIXTURE_SETUP(zero)
{
	self->pagesize = sysconf(_SC_PAGESIZE);
	if (variant->is_vmapdemo && !vd_present())
		SKIP(return, VMAPDEMO_PATH " missing: load vmapdemo.ko");
	self->fd = open(variant->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(zero)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(zero, private_zero_then_cow_across_fork)
{
	size_t len = 16 * self->pagesize;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	pid_t pid;
	int st;
	size_t i;

	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < len; i++)
		ASSERT_EQ(0, p[i]);
	memset(p, 0x5a, len / 2);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		memset(p, 0x11, len);
		_exit(p[0] == 0x11 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(0x5a, p[0]);
	EXPECT_EQ(0, p[len - 1]);
	munmap(p, len);
}

TEST_F(zero, shared_visible_across_fork)
{
	size_t len = 8 * self->pagesize;
	volatile int *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	pid_t pid;
	int st;

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, p[0]);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		p[0] = 100;
		p[len / sizeof(int) - 1] = 200;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(100, p[0]);
	EXPECT_EQ(200, p[len / sizeof(int) - 1]);
	munmap((void *)p, len);
}

TEST_F(zero, shared_mmaps_are_distinct)
{
	size_t len = self->pagesize;
	int *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	int *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);

	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	a[0] = 42;
	EXPECT_EQ(0, b[0]);
	munmap(a, len);
	munmap(b, len);
}

TEST(stats_freed_after_unmap)
{
	struct vmapdemo_stats st0 = { .size = sizeof(st0) }, st1 = { .size = sizeof(st1) };
	long ps = sysconf(_SC_PAGESIZE);
	size_t len = 64 * ps, i;
	int fd;
	char *p;

	if (!vd_present())
		SKIP(return, VMAPDEMO_PATH " missing");
	fd = open(VMAPDEMO_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, VMAPDEMO_IOC_GET_STATS, &st0));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < len; i += 4 * ps)
		p[i] = 1;
	ASSERT_EQ(0, ioctl(fd, VMAPDEMO_IOC_GET_STATS, &st1));
	EXPECT_EQ(16, (st1.pages_alloc - st1.pages_freed) - (st0.pages_alloc - st0.pages_freed));
	EXPECT_EQ(st0.objects_live + 1, st1.objects_live);
	munmap(p, len);
	ASSERT_EQ(0, ioctl(fd, VMAPDEMO_IOC_GET_STATS, &st1));
	EXPECT_EQ(st0.pages_alloc - st0.pages_freed, st1.pages_alloc - st1.pages_freed);
	EXPECT_EQ(st0.objects_live, st1.objects_live);
	EXPECT_EQ(st0.mappings_live, st1.mappings_live);
	close(fd);
}

TEST_HARNESS_MAIN
