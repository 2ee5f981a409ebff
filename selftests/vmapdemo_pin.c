// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_pin: a store's pages under long-term GUP pins (FOLL_PIN |
 * FOLL_LONGTERM), taken through the kernel's gup_test file
 * (vmapdemo_gup.h; CONFIG_GUP_TEST, so these run on the debug kernel and
 * skip on Debian's):
 *
 * - SYNC with INVALIDATE over a range with a pinned page fails with EBUSY
 *   and does nothing (uapi: "EBUSY: INVALIDATE over a range with a page
 *   that is mlock()ed or pinned (GUP) in some mapping; nothing was
 *   written"); the data is intact in the mapping, through the pin and
 *   through read(); the range without the pinned page invalidates; after
 *   the unpin the whole range does;
 * - a synchronous SYNC with a page pinned writes it back and leaves it
 *   dirty (uapi: "a page pinned (FOLL_PIN) while a sync copies it stays
 *   dirty");
 * - a writable long-term pin of a shared mapping is refused (the store
 *   has page_mkwrite, so the pages need dirty tracking: EFAULT since 6.5,
 *   as io_uring's fixed buffers in vmapdemo_msync) and leaves nothing
 *   pinned.
 *
 * The io_uring test of vmapdemo_msync covers the writable pin on every
 * kernel; no user-space interface takes a read-only long-term pin.
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "vmapdemo_test.h"
#include "vmapdemo_gup.h"

#define STORE0		"/dev/" VMAPDEMO_STORE_NAME_PREFIX "0"
#define NPAGES		4

FIXTURE(pin) {
	int fd;
	int gfd;
	long ps;
	unsigned long long size0;
	char *s;
};

static int store_sync(int fd, unsigned int flags, unsigned long long off,
		      unsigned long long len)
{
	struct vmapdemo_store_sync sy = {
		.size = sizeof(sy), .flags = flags, .offset = off, .length = len,
	};

	return ioctl(fd, VMAPDEMO_STORE_IOC_SYNC, &sy);
}

/* An empty store, NPAGES of it mapped shared and written (dirty). */
FIXTURE_SETUP(pin)
{
	struct vmapdemo_store_info info;
	int i;

	self->fd = -1;
	self->gfd = -1;
	self->s = MAP_FAILED;
	self->ps = sysconf(_SC_PAGESIZE);
	self->gfd = vd_gup_open();
	if (self->gfd == -ENOENT)
		SKIP(return, "needs CONFIG_GUP_TEST (%s) for a long-term pin: not set in Debian's kernels",
		     VD_GUP_TEST_PATH);
	ASSERT_LE(0, self->gfd) TH_LOG("%s: %s", VD_GUP_TEST_PATH, strerror(-self->gfd));
	self->fd = open(STORE0, O_RDWR | O_CLOEXEC);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, STORE0 " missing: load vmapdemo.ko");
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	self->size0 = info.store_size;
	ASSERT_EQ(0, vd_store_resize(self->fd, 0));
	ASSERT_EQ(0, vd_store_resize(self->fd, self->size0));
	self->s = mmap(NULL, NPAGES * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->s);
	for (i = 0; i < NPAGES; i++)
		memset(self->s + i * self->ps, 'a' + i, self->ps);
}

FIXTURE_TEARDOWN(pin)
{
	if (self->gfd >= 0)
		close(self->gfd);	/* unpins */
	if (self->s != MAP_FAILED)
		munmap(self->s, NPAGES * self->ps);
	if (self->fd >= 0)
		close(self->fd);
}

/* Page @i of the store reads @c everywhere: mapping and read(). */
static int page_is(int fd, const char *s, long ps, int i, char c)
{
	char *buf = malloc(ps);
	int ok;

	ok = buf && pread(fd, buf, ps, i * ps) == ps && vd_all(buf, ps, c) &&
	     vd_all(s + i * ps, ps, c);
	free(buf);
	return ok;
}

static void invalidate_pinned(struct __test_metadata *_metadata,
			      FIXTURE_DATA(pin) *self, unsigned int flags)
{
	const unsigned int inval = VMAPDEMO_STORE_SYNC_SYNC | VMAPDEMO_STORE_SYNC_INVALIDATE;
	struct vmapdemo_store_info a, b;
	long ps = self->ps;
	char *got = malloc(ps);
	int i;

	ASSERT_NE(NULL, got);
	ASSERT_EQ(0, vd_pin_longterm(self->gfd, self->s + ps, ps, flags))
		TH_LOG("R/O long-term pin of a shared store mapping refused");
	ASSERT_EQ(0, vd_store_info(self->fd, &a));
	EXPECT_EQ(NPAGES, a.dirty_pages);
	errno = 0;
	EXPECT_EQ(-1, store_sync(self->fd, inval, 0, 0));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, store_sync(self->fd, inval, ps, ps));
	EXPECT_EQ(EBUSY, errno);
	/* Nothing was done: no page written back nor dropped. */
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(a.pages_written, b.pages_written);
	EXPECT_EQ(a.pages_invalidated, b.pages_invalidated);
	EXPECT_EQ(a.syncs, b.syncs);
	EXPECT_EQ(NPAGES, b.dirty_pages);
	EXPECT_EQ(NPAGES, b.resident_pages);
	for (i = 0; i < NPAGES; i++)
		EXPECT_TRUE(page_is(self->fd, self->s, ps, i, 'a' + i)) TH_LOG("page %d", i);
	ASSERT_EQ(0, vd_pin_read(self->gfd, got));
	EXPECT_TRUE(vd_all(got, ps, 'b'));
	/* The pages around it invalidate. */
	EXPECT_EQ(0, store_sync(self->fd, inval, 0, ps));
	EXPECT_EQ(0, store_sync(self->fd, inval, 2 * ps, 2 * ps));
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(3, b.pages_invalidated - a.pages_invalidated);
	/* The pin still sees what the mapping writes, the store too. */
	self->s[ps] = 'B';
	ASSERT_EQ(0, vd_pin_read(self->gfd, got));
	EXPECT_EQ('B', got[0]);
	/* Unpinned, the whole range invalidates and refaults intact. */
	ASSERT_EQ(0, vd_pin_stop(self->gfd));
	EXPECT_EQ(0, store_sync(self->fd, inval, 0, 0));
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(0, b.resident_pages);
	EXPECT_EQ(0, b.dirty_pages);
	EXPECT_EQ('B', self->s[ps]);
	self->s[ps] = 'b';
	for (i = 0; i < NPAGES; i++)
		EXPECT_TRUE(page_is(self->fd, self->s, ps, i, 'a' + i)) TH_LOG("page %d", i);
	free(got);
}

TEST_F(pin, invalidate_ro_longterm_pin_ebusy)
{
	invalidate_pinned(_metadata, self, 0);
}

TEST_F(pin, invalidate_ro_longterm_pin_fast_ebusy)
{
	invalidate_pinned(_metadata, self, VD_PIN_LONGTERM_TEST_FLAG_USE_FAST);
}

/* A sync writes a pinned page back and leaves it dirty; the others clean. */
TEST_F(pin, sync_keeps_pinned_page_dirty)
{
	struct vmapdemo_store_info a, b;
	long ps = self->ps;

	ASSERT_EQ(0, vd_pin_longterm(self->gfd, self->s + 2 * ps, ps, 0));
	ASSERT_EQ(0, vd_store_info(self->fd, &a));
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0));
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(NPAGES, b.pages_written - a.pages_written);
	EXPECT_EQ(1, b.dirty_pages);
	ASSERT_EQ(0, vd_pin_stop(self->gfd));
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0));
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(0, b.dirty_pages);
	EXPECT_TRUE(page_is(self->fd, self->s, ps, 2, 'c'));
}

/* A writable long-term pin needs dirty tracking the store has: refused. */
TEST_F(pin, writable_longterm_pin_refused)
{
	const unsigned int inval = VMAPDEMO_STORE_SYNC_SYNC | VMAPDEMO_STORE_SYNC_INVALIDATE;
	struct vmapdemo_store_info info;
	unsigned int fast;

	for (fast = 0; fast < 2; fast++) {
		EXPECT_EQ(-EFAULT, vd_pin_longterm(self->gfd, self->s, NPAGES * self->ps,
						   VD_PIN_LONGTERM_TEST_FLAG_USE_WRITE |
						   (fast ? VD_PIN_LONGTERM_TEST_FLAG_USE_FAST : 0)))
			TH_LOG("%s GUP", fast ? "fast" : "slow");
		/* Nothing stayed pinned. */
		EXPECT_EQ(0, store_sync(self->fd, inval, 0, 0)) TH_LOG("%s", strerror(errno));
		ASSERT_EQ(0, vd_store_info(self->fd, &info));
		EXPECT_EQ(0, info.resident_pages);
		EXPECT_TRUE(page_is(self->fd, self->s, self->ps, 3, 'd'));
	}
}

TEST_HARNESS_MAIN
