// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_refault: a shared read fault of /dev/vmapdemo maps the resident
 * pages around it too, through the page cache's own fault-around
 * (filemap_map_pages() over the object's shmem folios). Each test runs the
 * same sequence on /dev/zero and on /dev/vmapdemo and checks that what a
 * program sees is the same: data survives MADV_DONTNEED refaults in any
 * pattern, a forked child sees the same pages, mlock locks, and a sparse
 * touch allocates only what it touches; and that a refault of resident
 * pages takes far fewer of the module's faults than pages.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vmapdemo_test.h"

#define NPAGES	100	/* not a multiple of the batch: the end is hit */

FIXTURE(refault) {
	int fd;
	long ps;
	char *p;
	size_t len;
};

FIXTURE_VARIANT(refault) {
	const char *path;
	int is_vmapdemo;
};

FIXTURE_VARIANT_ADD(refault, devzero) {
	.path = "/dev/zero",
	.is_vmapdemo = 0,
};

FIXTURE_VARIANT_ADD(refault, vmapdemo) {
	.path = VMAPDEMO_PATH,
	.is_vmapdemo = 1,
};

FIXTURE_SETUP(refault)
{
	size_t i;

	self->ps = sysconf(_SC_PAGESIZE);
	self->len = NPAGES * self->ps;
	if (variant->is_vmapdemo && !vd_present())
		SKIP(return, VMAPDEMO_PATH " missing: load vmapdemo.ko");
	self->fd = open(variant->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->p = mmap(NULL, self->len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->p);
	for (i = 0; i < NPAGES; i++)
		self->p[i * self->ps] = (char)(i + 1);
}

FIXTURE_TEARDOWN(refault)
{
	if (self->p && self->p != MAP_FAILED)
		munmap(self->p, self->len);
	if (self->fd >= 0)
		close(self->fd);
}

static int check_all(char *p, long ps)
{
	size_t i;

	for (i = 0; i < NPAGES; i++)
		if (p[i * ps] != (char)(i + 1))
			return (int)i + 1;
	return 0;
}

TEST_F(refault, dontneed_all_read_back)
{
	ASSERT_EQ(0, madvise(self->p, self->len, MADV_DONTNEED));
	EXPECT_EQ(0, check_all(self->p, self->ps));
	/* and again, now that the first refault mapped them around */
	ASSERT_EQ(0, madvise(self->p, self->len, MADV_DONTNEED));
	EXPECT_EQ(0, check_all(self->p, self->ps));
}

TEST_F(refault, dontneed_holes_then_write)
{
	size_t i;

	/* Every third page unmapped: batches meet PTEs already present. */
	for (i = 0; i < NPAGES; i += 3)
		ASSERT_EQ(0, madvise(self->p + i * self->ps, self->ps,
				     MADV_DONTNEED));
	for (i = NPAGES; i-- > 0;)	/* backwards, writing */
		self->p[i * self->ps + 1] = 7;
	EXPECT_EQ(0, check_all(self->p, self->ps));
	ASSERT_EQ(0, madvise(self->p, self->len, MADV_DONTNEED));
	for (i = 0; i < NPAGES; i++)
		ASSERT_EQ(7, self->p[i * self->ps + 1]);
}

TEST_F(refault, child_sees_and_writes_same_pages)
{
	pid_t pid;
	int st;

	ASSERT_EQ(0, madvise(self->p, self->len, MADV_DONTNEED));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (check_all(self->p, self->ps))
			_exit(1);
		self->p[(NPAGES - 1) * self->ps + 2] = 42;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(42, self->p[(NPAGES - 1) * self->ps + 2]);
}

TEST_F(refault, mlock_then_read)
{
	unsigned char vec[NPAGES];
	size_t i;

	/* mlock faults every page back in, all resident and locked. */
	ASSERT_EQ(0, madvise(self->p, self->len, MADV_DONTNEED));
	ASSERT_EQ(0, mlock(self->p, self->len));
	ASSERT_EQ(0, mincore(self->p, self->len, vec));
	for (i = 0; i < NPAGES; i++)
		ASSERT_EQ(1, vec[i] & 1) TH_LOG("page %zu", i);
	EXPECT_EQ(0, check_all(self->p, self->ps));
	ASSERT_EQ(0, munlock(self->p, self->len));
}

/*
 * Fault-around: reading back NPAGES resident pages after MADV_DONTNEED
 * calls the module's ->fault once per fault-around window (16 pages by
 * default, fault_around_bytes), not once per page; the other pages are
 * mapped by filemap_map_pages(). Read faults only: a write fault maps one
 * page, as for any shared file mapping.
 */
TEST(refault_is_faulted_around)
{
	struct vmapdemo_stats st0 = { .size = sizeof(st0) };
	struct vmapdemo_stats st1 = { .size = sizeof(st1) };
	long ps = sysconf(_SC_PAGESIZE);
	size_t len = NPAGES * ps, i;
	unsigned long faults;
	struct rusage ru0, ru1;
	long minflt;
	int fd;
	char *p;

	if (!vd_present())
		SKIP(return, VMAPDEMO_PATH " missing");
	fd = open(VMAPDEMO_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < NPAGES; i++)
		p[i * ps] = (char)(i + 1);
	ASSERT_EQ(0, madvise(p, len, MADV_DONTNEED));
	ASSERT_EQ(0, ioctl(fd, VMAPDEMO_IOC_GET_STATS, &st0));
	ASSERT_EQ(0, getrusage(RUSAGE_SELF, &ru0));
	EXPECT_EQ(0, check_all(p, ps));
	ASSERT_EQ(0, getrusage(RUSAGE_SELF, &ru1));
	ASSERT_EQ(0, ioctl(fd, VMAPDEMO_IOC_GET_STATS, &st1));
	faults = st1.faults_read - st0.faults_read;
	minflt = ru1.ru_minflt - ru0.ru_minflt;
	TH_LOG("%d resident pages read back: %ld page faults, %lu ->fault calls",
	       NPAGES, minflt, faults);
	/* A fault whose page fault-around mapped calls no ->fault at all. */
	EXPECT_GE(NPAGES / 4, faults);
	EXPECT_GE(NPAGES / 4, minflt);
	EXPECT_EQ(st0.pages_alloc, st1.pages_alloc);
	munmap(p, len);
	close(fd);
}

TEST(sparse_touch_allocates_what_it_touches)
{
	struct vmapdemo_stats st0 = { .size = sizeof(st0) };
	struct vmapdemo_stats st1 = { .size = sizeof(st1) };
	long ps = sysconf(_SC_PAGESIZE);
	size_t len = 64 * 64 * ps, i;
	int fd;
	char *p;

	if (!vd_present())
		SKIP(return, VMAPDEMO_PATH " missing");
	fd = open(VMAPDEMO_PATH, O_RDWR);
	ASSERT_LE(0, fd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, ioctl(fd, VMAPDEMO_IOC_GET_STATS, &st0));
	for (i = 0; i < 64; i++)
		p[i * 64 * ps] = 1;
	/* a refault of the touched pages allocates nothing either */
	ASSERT_EQ(0, madvise(p, len, MADV_DONTNEED));
	for (i = 0; i < len; i += 8 * ps)
		ASSERT_EQ(i % (64 * ps) ? 0 : 1, p[i]);
	ASSERT_EQ(0, ioctl(fd, VMAPDEMO_IOC_GET_STATS, &st1));
	EXPECT_EQ(64 + (len / (8 * ps) - 64), st1.pages_alloc - st0.pages_alloc);
	munmap(p, len);
	close(fd);
}

TEST_HARNESS_MAIN
