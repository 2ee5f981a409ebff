// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_store_huge: stores with PMD-size folios (store_huge=1).
 *
 * With the parameter on, a fault, read() or write() that brings a page
 * into the cache brings the PMD-size folio around it where that aligned
 * 2 MiB is inside the store, and the core maps it with one PMD in a
 * mapping at a 2 MiB-aligned address.
 * These tests check that it does (fault counts, smaps, compared with a
 * memfd under shmem_enabled=always) and that the store's semantics hold
 * over such folios: read()/write() coherence, writeback of exactly the
 * synced range, crash, reclaim, shrink into a folio with SIGBUS past the
 * end, private copy-on-write.
 *
 * Every test runs on /dev/vmapdemo-store0, emptied before it, with
 * background writeback off; the parameters and the size are restored
 * afterwards. Without THP (PREEMPT_RT) every test is skipped.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "vmapdemo_test.h"

#define STORE0		"/dev/" VMAPDEMO_STORE_NAME_PREFIX "0"
#define PARAMS		"/sys/module/vmapdemo/parameters/"
#define SHMEM_ENABLED	"/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define PMD_SZ		(2UL << 20)
#define TEST_SIZE	(8UL << 20)

static long ps;

static int store_sync(int fd, unsigned int flags, unsigned long long off,
		      unsigned long long len, unsigned long long *written)
{
	struct vmapdemo_store_sync sy = {
		.size = sizeof(sy), .flags = flags, .offset = off, .length = len,
	};
	int ret = ioctl(fd, VMAPDEMO_STORE_IOC_SYNC, &sy);

	if (!ret && written)
		*written = sy.pages_written;
	return ret;
}

/* The byte page @i of the test pattern @gen starts with. */
static unsigned char pat(long i, int gen)
{
	return (unsigned char)(i * 7 + gen * 13 + 1);
}

/* Write pattern @gen to the first byte of every page in [@from, @to). */
static void fill(char *p, long from, long to, int gen)
{
	long i;

	for (i = from; i < to; i++)
		p[i * ps] = pat(i, gen);
}

/* pread() the first byte of page @i. */
static int byte_at(int fd, long i)
{
	unsigned char c;

	if (pread(fd, &c, 1, i * ps) != 1)
		return -1;
	return c;
}

FIXTURE(huge) {
	int fd;
	char age[32];
	char huge[8];
	char *area, *p;
};

FIXTURE_SETUP(huge)
{
	char thp[64];

	ps = sysconf(_SC_PAGESIZE);
	self->fd = -1;
	self->area = MAP_FAILED;
	if (access(STORE0, F_OK))
		SKIP(return, STORE0 " missing: load vmapdemo.ko");
	if (vd_read_file(SHMEM_ENABLED, thp, sizeof(thp)) < 0)
		SKIP(return, "no THP in this kernel (CONFIG_TRANSPARENT_HUGEPAGE)");
	if (vd_read_file(PARAMS "store_huge", self->huge, sizeof(self->huge)) <= 0)
		SKIP(return, PARAMS "store_huge not readable: module without store_huge");
	if (vd_read_file(PARAMS "writeback_age_ms", self->age, sizeof(self->age)) <= 0)
		SKIP(return, PARAMS "writeback_age_ms not readable");
	self->huge[strcspn(self->huge, "\n")] = 0;
	self->age[strcspn(self->age, "\n")] = 0;
	if (vd_write_str(PARAMS "store_huge", "1"))
		SKIP(return, "cannot set store_huge (needs root)");
	ASSERT_EQ(0, vd_write_str(PARAMS "writeback_age_ms", "0"));
	self->fd = vd_store_open_empty(STORE0, TEST_SIZE);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(huge)
{
	if (self->area != MAP_FAILED)
		munmap(self->area, TEST_SIZE + PMD_SZ);
	if (self->fd >= 0) {
		vd_store_resize(self->fd, 0);
		vd_store_resize(self->fd, 16UL << 20);
		close(self->fd);
	}
	if (self->huge[0])
		vd_write_str(PARAMS "store_huge", self->huge);
	if (self->age[0])
		vd_write_str(PARAMS "writeback_age_ms", self->age);
}

/* A new file: the crash just done is not reported to its first sync. */
static int reopen(int fd)
{
	close(fd);
	return open(STORE0, O_RDWR | O_CLOEXEC);
}

/*
 * Map @len (at most TEST_SIZE) of the store, shared or private, 2 MiB-
 * aligned, into self; the teardown unmaps it.
 */
#define map_store(len, flags)						\
	(self->p = vd_map_pmd_aligned(self->fd, len, flags, &self->area))

static long faults(int fd, int field)
{
	struct vmapdemo_store_info info;

	if (vd_store_info(fd, &info))
		return -1;
	switch (field) {
	case 'w':
		return info.faults_write;
	case 'r':
		return info.faults_read;
	case 'c':
		return info.faults_cow;
	case 'd':
		return info.dirty_pages;
	default:
		return info.pages_reclaimed;
	}
}

/*
 * A first write to every page of a 2 MiB-aligned shared 8 MiB mapping
 * takes 4 faults, and smaps counts all of it PMD-mapped, as a memfd's
 * with shmem_enabled=always. read() sees every write, and the whole
 * store is dirty.
 */
TEST_F(huge, shared_write_is_pmd_mapped_like_memfd)
{
	char old[64] = "", *sel, *area, *m;
	long w0, pmd_kb, shmem_kb = -1;
	long n = TEST_SIZE / ps, i;
	int mfd;

	ASSERT_NE(MAP_FAILED, map_store(TEST_SIZE, MAP_SHARED));
	w0 = faults(self->fd, 'w');
	fill(self->p, 0, n, 1);
	pmd_kb = vd_smaps_kb(self->p, "FilePmdMapped:");
	TH_LOG("store: %ld write faults, FilePmdMapped %ld kB",
	       faults(self->fd, 'w') - w0, pmd_kb);
	EXPECT_EQ((long)(TEST_SIZE / PMD_SZ), faults(self->fd, 'w') - w0);
	EXPECT_EQ((long)(TEST_SIZE >> 10), pmd_kb);
	EXPECT_EQ(n, faults(self->fd, 'd'));
	for (i = 0; i < n; i += 97)
		EXPECT_EQ(pat(i, 1), byte_at(self->fd, i)) TH_LOG("page %ld", i);

	/* The oracle: a memfd of the same size with huge shmem. */
	if (vd_read_file(SHMEM_ENABLED, old, sizeof(old)) < 0)
		SKIP(return, "cannot read %s for the memfd oracle", SHMEM_ENABLED);
	sel = strchr(old, '[');
	if (!sel || vd_write_str(SHMEM_ENABLED, "always"))
		SKIP(return, "cannot set %s for the memfd oracle", SHMEM_ENABLED);
	mfd = memfd_create("huge-oracle", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, TEST_SIZE));
	m = vd_map_pmd_aligned(mfd, TEST_SIZE, MAP_SHARED, &area);
	if (m != MAP_FAILED) {
		fill(m, 0, n, 1);
		shmem_kb = vd_smaps_kb(m, "ShmemPmdMapped:");
	}
	munmap(area, TEST_SIZE + PMD_SZ);
	close(mfd);
	*strchr(sel, ']') = 0;
	vd_write_str(SHMEM_ENABLED, sel + 1);
	TH_LOG("memfd: ShmemPmdMapped %ld kB", shmem_kb);
	EXPECT_EQ(shmem_kb, pmd_kb);
}

/*
 * A whole sync writes back every page of the large folios; a crash then
 * loses nothing, and neither does reclaim of the (clean, unmapped)
 * folios: the next read reads them in from the medium.
 */
TEST_F(huge, sync_crash_and_reclaim_keep_synced_data)
{
	unsigned long long written = 0;
	long n = TEST_SIZE / ps, i, r0;

	ASSERT_NE(MAP_FAILED, map_store(TEST_SIZE, MAP_SHARED));
	fill(self->p, 0, n, 2);
	EXPECT_EQ((long)(TEST_SIZE >> 10), vd_smaps_kb(self->p, "FilePmdMapped:"));
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, &written));
	EXPECT_EQ((unsigned long long)n, written);
	EXPECT_EQ(0, faults(self->fd, 'd'));
	/* The write-protected PMDs fault again and dirty the folio again. */
	self->p[5 * ps + 1] = 'x';
	EXPECT_EQ(PMD_SZ / ps, faults(self->fd, 'd'));
	self->p[5 * ps + 1] = 0;
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, NULL));
	EXPECT_EQ(0, vd_store_crash(self->fd));
	for (i = 0; i < n; i += 61)
		ASSERT_EQ(pat(i, 2), (unsigned char)self->p[i * ps]) TH_LOG("page %ld", i);

	munmap(self->area, TEST_SIZE + PMD_SZ);
	self->area = MAP_FAILED;
	r0 = faults(self->fd, 'x');
	ASSERT_EQ(0, vd_write_str("/proc/sys/vm/drop_caches", "1"));
	TH_LOG("drop_caches reclaimed %ld pages", faults(self->fd, 'x') - r0);
	EXPECT_LT(0, faults(self->fd, 'x') - r0);
	for (i = 0; i < n; i += 61)
		EXPECT_EQ(pat(i, 2), byte_at(self->fd, i)) TH_LOG("page %ld", i);
}

/*
 * A sync of one page of a large folio writes back that page only: the
 * folio's other dirty pages stay dirty and are lost by a crash, as with
 * small folios. Two syncs of a folio's halves write back all of it.
 */
TEST_F(huge, partial_sync_writes_back_exactly_its_range)
{
	unsigned long long written = 0;
	long n = TEST_SIZE / ps;

	ASSERT_NE(MAP_FAILED, map_store(TEST_SIZE, MAP_SHARED));
	fill(self->p, 0, n, 3);
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, NULL));
	ASSERT_EQ((long)(TEST_SIZE >> 10), vd_smaps_kb(self->p, "FilePmdMapped:"));

	self->p[3 * ps] = 'A';
	self->p[7 * ps] = 'B';
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 3 * ps, ps,
				&written));
	EXPECT_EQ(1, written);
	/* The folio is still dirty: page 7 was not written back. */
	EXPECT_EQ(PMD_SZ / ps, faults(self->fd, 'd'));
	EXPECT_EQ(PMD_SZ / ps, vd_store_crash(self->fd));
	self->fd = reopen(self->fd);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ('A', byte_at(self->fd, 3));
	EXPECT_EQ(pat(7, 3), byte_at(self->fd, 7));
	EXPECT_EQ('A', self->p[3 * ps]);
	EXPECT_EQ(pat(7, 3), (unsigned char)self->p[7 * ps]);

	/* Both halves of a folio, synced one after the other. */
	self->p[PMD_SZ + 10 * ps] = 'C';
	self->p[PMD_SZ + 500 * ps] = 'D';
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, PMD_SZ,
				PMD_SZ / 2, &written));
	EXPECT_EQ(PMD_SZ / 2 / ps, written);
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC,
				PMD_SZ + PMD_SZ / 2, PMD_SZ / 2, &written));
	EXPECT_EQ(PMD_SZ / 2 / ps, written);
	/*
	 * One dirty bit per folio: synced in parts, it stays dirty until a
	 * sync covers it whole, though all its pages are in the medium.
	 */
	EXPECT_EQ(PMD_SZ / ps, faults(self->fd, 'd'));
	EXPECT_EQ(PMD_SZ / ps, vd_store_crash(self->fd));
	EXPECT_EQ('C', byte_at(self->fd, PMD_SZ / ps + 10));
	EXPECT_EQ('D', byte_at(self->fd, PMD_SZ / ps + 500));
}

/*
 * Shrinking into a large folio: the pages past the new end raise SIGBUS
 * in the mapping, read() stops at the end, the data before it stays, and
 * growing again reads zeros past the old end, through read() and the
 * mapping.
 */
TEST_F(huge, shrink_into_a_folio_keeps_sigbus_and_zeros)
{
	const long keep = PMD_SZ / 2 + 100;
	char buf[256];
	long i;

	ASSERT_NE(MAP_FAILED, map_store(TEST_SIZE, MAP_SHARED));
	memset(self->p, 0x5a, TEST_SIZE);
	ASSERT_EQ((long)(TEST_SIZE >> 10), vd_smaps_kb(self->p, "FilePmdMapped:"));
	ASSERT_EQ(0, vd_store_resize(self->fd, keep));
	EXPECT_EQ(0, vd_probe(self->p + keep - 1, 0, 0));
	EXPECT_EQ(0x5a, (unsigned char)self->p[keep - 1]);
	EXPECT_EQ(SIGBUS, vd_probe(self->p + PMD_SZ / 2 + ps, 0, 0));
	EXPECT_EQ(SIGBUS, vd_probe(self->p + PMD_SZ - 1, 1, 1));
	EXPECT_EQ(SIGBUS, vd_probe(self->p + PMD_SZ + 5 * ps, 0, 0));
	EXPECT_EQ(100, pread(self->fd, buf, sizeof(buf), PMD_SZ / 2));
	EXPECT_TRUE(vd_all(buf, 100, 0x5a));

	ASSERT_EQ(0, vd_store_resize(self->fd, TEST_SIZE));
	ASSERT_EQ((ssize_t)sizeof(buf), pread(self->fd, buf, sizeof(buf), PMD_SZ / 2));
	EXPECT_TRUE(vd_all(buf, 100, 0x5a));
	EXPECT_TRUE(vd_all(buf + 100, sizeof(buf) - 100, 0));
	EXPECT_TRUE(vd_all(self->p + keep, TEST_SIZE - keep, 0));
	for (i = 0; i < keep; i += 4093)
		ASSERT_EQ(0x5a, (unsigned char)self->p[i]);
}

/*
 * The pages that stay when a shrink falls inside a dirty large folio keep
 * their dirty state: a sync then writes back exactly them, and a crash
 * after it loses nothing. A clean folio there is dropped and read in
 * again from the medium.
 */
TEST_F(huge, shrink_into_a_folio_keeps_dirty_state)
{
	unsigned long long written = 0;
	long n = TEST_SIZE / ps;

	ASSERT_NE(MAP_FAILED, map_store(TEST_SIZE, MAP_SHARED));
	fill(self->p, 0, n, 5);
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, NULL));
	ASSERT_EQ((long)(TEST_SIZE >> 10), vd_smaps_kb(self->p, "FilePmdMapped:"));
	self->p[0] = 'Z';
	self->p[99 * ps] = 'Y';

	/* Into the dirty first folio: 100 pages stay, dirty. */
	ASSERT_EQ(0, vd_store_resize(self->fd, 100 * ps));
	EXPECT_EQ(100, faults(self->fd, 'd'));
	EXPECT_EQ('Z', self->p[0]);
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, &written));
	EXPECT_EQ(100, written);
	EXPECT_EQ(0, vd_store_crash(self->fd));
	self->fd = reopen(self->fd);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ('Z', byte_at(self->fd, 0));
	EXPECT_EQ('Y', byte_at(self->fd, 99));
	EXPECT_EQ(pat(50, 5), (unsigned char)self->p[50 * ps]);

	/* Into a clean folio: it is read in again, page by page. */
	ASSERT_EQ(0, vd_store_resize(self->fd, TEST_SIZE));
	memset(self->p + PMD_SZ, 7, PMD_SZ);
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, NULL));
	ASSERT_EQ(0, vd_store_resize(self->fd, PMD_SZ + 3 * ps));
	EXPECT_EQ(0, faults(self->fd, 'd'));
	EXPECT_EQ(7, self->p[PMD_SZ + 2 * ps + 5]);
	EXPECT_EQ(3 * 7, byte_at(self->fd, PMD_SZ / ps) + byte_at(self->fd, PMD_SZ / ps + 1) +
		  byte_at(self->fd, PMD_SZ / ps + 2));
	EXPECT_EQ(SIGBUS, vd_probe(self->p + PMD_SZ + 3 * ps, 0, 0));
}

/*
 * A private mapping reads the store through PMD-mapped folios; its first
 * write to a page copies that page only (the core splits the PMD), the
 * store is not changed, and the store's later changes show in the pages
 * the private mapping has not written.
 */
TEST_F(huge, private_mapping_copies_on_write)
{
	char *area2, *q;
	long n = TEST_SIZE / ps, c0;

	ASSERT_NE(MAP_FAILED, map_store(TEST_SIZE, MAP_SHARED));
	fill(self->p, 0, n, 4);
	q = vd_map_pmd_aligned(self->fd, TEST_SIZE, MAP_PRIVATE, &area2);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(pat(9, 4), (unsigned char)q[9 * ps]);
	TH_LOG("private: FilePmdMapped %ld kB after one read",
	       vd_smaps_kb(q, "FilePmdMapped:"));
	EXPECT_EQ(2048, vd_smaps_kb(q, "FilePmdMapped:"));
	c0 = faults(self->fd, 'c');
	q[9 * ps] = 'P';
	EXPECT_EQ(1, faults(self->fd, 'c') - c0);
	EXPECT_EQ(pat(9, 4), byte_at(self->fd, 9));
	EXPECT_EQ(pat(9, 4), (unsigned char)self->p[9 * ps]);
	self->p[9 * ps] = 'S';
	self->p[10 * ps] = 'T';
	EXPECT_EQ('P', q[9 * ps]);
	EXPECT_EQ('T', q[10 * ps]);
	EXPECT_EQ(4, vd_smaps_kb(q, "Anonymous:"));
	munmap(area2, TEST_SIZE + PMD_SZ);
}

/*
 * write() and read() bring in PMD-size folios too: one byte written, or a
 * page of the medium read, brings its whole 2 MiB into the cache, and a
 * mapping then maps it with one PMD through fault-around alone.
 */
TEST_F(huge, read_and_write_add_large_folios)
{
	struct vmapdemo_store_info info;
	long r0;
	char c = 'w';

	ASSERT_EQ(1, pwrite(self->fd, &c, 1, 5 * ps + 3));
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(PMD_SZ / ps, info.resident_pages);
	EXPECT_EQ(PMD_SZ / ps, info.dirty_pages);
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, NULL));
	EXPECT_EQ(0, vd_store_crash(self->fd));
	self->fd = reopen(self->fd);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(0, info.resident_pages);

	ASSERT_EQ(1, pread(self->fd, &c, 1, 5 * ps + 3));
	EXPECT_EQ('w', c);
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(PMD_SZ / ps, info.resident_pages);

	ASSERT_NE(MAP_FAILED, map_store(TEST_SIZE, MAP_SHARED));
	r0 = faults(self->fd, 'r');
	EXPECT_EQ('w', self->p[5 * ps + 3]);
	EXPECT_EQ(0, faults(self->fd, 'r') - r0);
	EXPECT_EQ(2048, vd_smaps_kb(self->p, "FilePmdMapped:"));
}

/*
 * No PMD-size folio where one would not fit: past the store's end (a 3 MiB
 * store maps its first 2 MiB with a PMD only), under MADV_NOHUGEPAGE, and
 * with store_huge off.
 */
TEST_F(huge, small_folios_where_a_pmd_does_not_fit)
{
	const size_t len = 3UL << 20;
	char *area2, *q;

	ASSERT_EQ(0, vd_store_resize(self->fd, len));
	ASSERT_NE(MAP_FAILED, map_store(len, MAP_SHARED));
	memset(self->p, 1, len);
	EXPECT_EQ(2048, vd_smaps_kb(self->p, "FilePmdMapped:"));
	EXPECT_EQ((long)(len >> 10), vd_smaps_kb(self->p, "Rss:"));
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, NULL));
	EXPECT_EQ(0, vd_store_crash(self->fd));

	/* Emptied; a mapping that refuses huge pages. */
	ASSERT_EQ(0, vd_store_resize(self->fd, 0));
	ASSERT_EQ(0, vd_store_resize(self->fd, len));
	q = vd_map_pmd_aligned(self->fd, PMD_SZ, MAP_SHARED, &area2);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(0, madvise(q, PMD_SZ, MADV_NOHUGEPAGE));
	memset(q, 2, PMD_SZ);
	EXPECT_EQ(0, vd_smaps_kb(q, "FilePmdMapped:"));
	munmap(area2, PMD_SZ + PMD_SZ);

	ASSERT_EQ(0, vd_store_resize(self->fd, 0));
	ASSERT_EQ(0, vd_store_resize(self->fd, len));
	ASSERT_EQ(0, vd_write_str(PARAMS "store_huge", "0"));
	memset(self->p, 3, PMD_SZ);
	EXPECT_EQ(0, vd_smaps_kb(self->p, "FilePmdMapped:"));
	EXPECT_EQ(3, byte_at(self->fd, 100));
}

TEST_HARNESS_MAIN
