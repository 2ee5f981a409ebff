// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_reclaim: a store's cache is page cache, and the kernel treats
 * it as any file's: drop_caches drops the clean folios that nothing maps
 * nor holds (invalidate_mapping_pages()), memory pressure reclaims clean
 * ones through the LRU, and nothing is lost: what is read back, faulted
 * in or mapped privately afterwards is byte for byte what was there;
 * dirty pages are never given back.
 *
 * Every test runs on /dev/vmapdemo-store1, emptied (cache and backing
 * store) before and after it, with background writeback off
 * (writeback_age_ms = 0, restored afterwards), so that which pages are
 * clean is decided by the test alone.
 *
 * Run as "vmapdemo_reclaim hog CMDFD REPLYFD CHUNK_MIB" the binary is the
 * other program of the pressure test: it knows nothing of vmapdemo, and
 * allocates and touches CHUNK_MIB of anonymous memory each time it reads
 * 'a' from CMDFD, answering on REPLYFD, until it reads anything else.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "vmapdemo_test.h"

#define STORE1		"/dev/" VMAPDEMO_STORE_NAME_PREFIX "1"
#define AGE_PARAM	"/sys/module/vmapdemo/parameters/writeback_age_ms"
#define DROP_CACHES	"/proc/sys/vm/drop_caches"
#define MIB		(1UL << 20)

static long ps;

/* --- helpers ------------------------------------------------------------- */

static int store_sync(int fd, unsigned long long off, unsigned long long len)
{
	struct vmapdemo_store_sync sy = {
		.size = sizeof(sy), .flags = VMAPDEMO_STORE_SYNC_SYNC,
		.offset = off, .length = len,
	};

	return ioctl(fd, VMAPDEMO_STORE_IOC_SYNC, &sy);
}

static long long store_crash(int fd)
{
	struct vmapdemo_store_crash cr = { .size = sizeof(cr) };

	if (ioctl(fd, VMAPDEMO_STORE_IOC_CRASH, &cr))
		return -1;
	return cr.pages_dropped;
}

#define COMPACT_MEMORY	"/proc/sys/vm/compact_memory"

/*
 * drop_caches 1: every clean, unmapped, unreferenced page-cache folio of
 * every file goes, the store's too. Compacting first drains the per-CPU
 * LRU batches (lru_add_drain_all(), which 6.1's drop_caches does not do),
 * whose references would keep the last folios added; it also migrates
 * some of the store's folios, which must not change them either.
 */
static int drop_pagecache(void)
{
	if (!access(COMPACT_MEMORY, W_OK))
		vd_write_str(COMPACT_MEMORY, "1");
	return vd_write_str(DROP_CACHES, "1");
}

/* A field of /proc/meminfo in KiB, or -1. */
static long long meminfo_kib(const char *field)
{
	size_t len = strlen(field);
	long long val = -1;
	char line[256];
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, len) && line[len] == ':') {
			val = strtoll(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* The content of page @index for @seed: no two pages alike, never zero. */
static void fill_page(unsigned char *p, unsigned long index, unsigned int seed)
{
	uint64_t *w = (uint64_t *)p;
	uint64_t x = (index + 1) * 0x9e3779b97f4a7c15ULL ^ seed;
	size_t i;

	for (i = 0; i < ps / sizeof(*w); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x | 1;
	}
}

/* pwrite() pages [first, first + n) with their content for @seed. */
static int write_pages(int fd, unsigned long first, unsigned long n,
		       unsigned int seed)
{
	size_t per = MIB / ps, i, j, k;
	unsigned char *buf = malloc(MIB);
	int ret = 0;

	if (!buf)
		return -1;
	for (i = 0; i < n && !ret; i += k) {
		k = n - i < per ? n - i : per;
		for (j = 0; j < k; j++)
			fill_page(buf + j * ps, first + i + j, seed);
		if (pwrite(fd, buf, k * ps, (first + i) * ps) != (ssize_t)(k * ps))
			ret = -1;
	}
	free(buf);
	return ret;
}

/*
 * Compare pages [first, first + n) as read() returns them with their
 * content for @seed (or zeros if @seed is 0).
 * Return: the number of pages that differ, or -1 if a read failed.
 */
static long check_pages(int fd, unsigned long first, unsigned long n,
			unsigned int seed)
{
	size_t per = MIB / ps, i, j, k;
	unsigned char *buf = malloc(MIB), *want = malloc(ps);
	long bad = 0;

	if (!buf || !want) {
		bad = -1;
		goto out;
	}
	for (i = 0; i < n; i += k) {
		k = n - i < per ? n - i : per;
		if (pread(fd, buf, k * ps, (first + i) * ps) != (ssize_t)(k * ps)) {
			bad = -1;
			goto out;
		}
		for (j = 0; j < k; j++) {
			if (seed)
				fill_page(want, first + i + j, seed);
			else
				memset(want, 0, ps);
			bad += !!memcmp(buf + j * ps, want, ps);
		}
	}
out:
	free(buf);
	free(want);
	return bad;
}

/* The same through a mapping. */
static long check_mapped(const unsigned char *p, unsigned long first,
			 unsigned long n, unsigned int seed)
{
	unsigned char *want = malloc(ps);
	unsigned long i;
	long bad = 0;

	if (!want)
		return -1;
	for (i = 0; i < n; i++) {
		fill_page(want, first + i, seed);
		bad += !!memcmp(p + i * ps, want, ps);
	}
	free(want);
	return bad;
}

/* --- fixture --------------------------------------------------------------- */

FIXTURE(reclaim) {
	int fd;
	char age[32];
	long long size;		/* the store's size before the test */
	struct vmapdemo_store_info base;
	char wsf[32];		/* vm.watermark_scale_factor to restore */
};

#define WSF_PATH	"/proc/sys/vm/watermark_scale_factor"

FIXTURE_SETUP(reclaim)
{
	struct vmapdemo_store_info info;

	ps = sysconf(_SC_PAGESIZE);
	self->fd = -1;
	self->age[0] = '\0';
	self->wsf[0] = '\0';
	if (access(STORE1, F_OK))
		SKIP(return, STORE1 " missing: load vmapdemo.ko with nr_stores >= 2");
	if (vd_read_file(AGE_PARAM, self->age, sizeof(self->age)) <= 0)
		SKIP(return, AGE_PARAM " not readable");
	self->fd = open(STORE1, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vd_write_str(AGE_PARAM, "0"));
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	self->size = info.store_size;
	/* Shrinking to 0 empties the cache and the backing store. */
	ASSERT_EQ(0, vd_store_resize(self->fd, 0));
	ASSERT_EQ(0, vd_store_info(self->fd, &self->base));
}

FIXTURE_TEARDOWN(reclaim)
{
	if (self->fd >= 0) {
		/* Give the memory back, and the store its size. */
		vd_store_resize(self->fd, 0);
		vd_store_resize(self->fd, self->size);
		close(self->fd);
	}
	if (self->age[0])
		vd_write_str(AGE_PARAM, self->age);
	if (self->wsf[0])
		vd_write_str(WSF_PATH, self->wsf);
}

/*
 * drop_caches: the clean pages nothing maps go (written and synced ones,
 * and zero pages only read in), the rest stay: dirty pages, pages mapped
 * shared or private, pages a pipe holds (vmsplice). Then every byte comes
 * back the same through read(), a shared and a private mapping, and a
 * crash still loses exactly the dirty pages.
 */
TEST_F(reclaim, drop_caches_clean_pages)
{
	const unsigned long nclean = 512, nzero = 16, ndirty = 32;
	const unsigned long zero0 = 1024, dirty0 = 1536;
	const unsigned long nmap = 16, npriv = 8, npipe = 4;
	const unsigned long priv0 = 16, pipe0 = 32;
	unsigned long kept, gone, i;
	struct vmapdemo_store_info a, b;
	unsigned char *shared, *priv, *z, *v;
	struct iovec iov;
	int pfd[2];
	volatile unsigned char c;

	if (access(DROP_CACHES, W_OK))
		SKIP(return, DROP_CACHES " not writable (needs root)");
	ASSERT_EQ(0, vd_store_resize(self->fd, 2048 * ps));

	/* Clean: written and synced; zero pages read in by a fault. */
	ASSERT_EQ(0, write_pages(self->fd, 0, nclean, 1));
	ASSERT_EQ(0, store_sync(self->fd, 0, 0));
	z = mmap(NULL, nzero * ps, PROT_READ, MAP_SHARED, self->fd, zero0 * ps);
	ASSERT_NE(MAP_FAILED, z);
	for (i = 0, c = 0; i < nzero; i++)
		c |= z[i * ps];
	ASSERT_EQ(0, c);
	ASSERT_EQ(0, munmap(z, nzero * ps));
	/* Dirty: written, not synced. */
	ASSERT_EQ(0, write_pages(self->fd, dirty0, ndirty, 2));

	/* Mapped: shared (read), private (read, so the store's page). */
	shared = mmap(NULL, nmap * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, shared);
	for (i = 0; i < nmap; i++)
		c |= shared[i * ps];
	priv = mmap(NULL, npriv * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		    self->fd, priv0 * ps);
	ASSERT_NE(MAP_FAILED, priv);
	for (i = 0; i < npriv; i++)
		c |= priv[i * ps];
	/* Referenced: spliced into a pipe, then unmapped. */
	v = mmap(NULL, npipe * ps, PROT_READ, MAP_SHARED, self->fd, pipe0 * ps);
	ASSERT_NE(MAP_FAILED, v);
	ASSERT_EQ(0, pipe(pfd));
	iov.iov_base = v;
	iov.iov_len = npipe * ps;
	ASSERT_EQ((ssize_t)(npipe * ps), vmsplice(pfd[1], &iov, 1, 0));
	ASSERT_EQ(0, munmap(v, npipe * ps));

	ASSERT_EQ(0, vd_store_info(self->fd, &a));
	ASSERT_EQ(nclean + nzero + ndirty, a.resident_pages);
	ASSERT_EQ(ndirty, a.dirty_pages);
	ASSERT_EQ(0, drop_pagecache());
	ASSERT_EQ(0, vd_store_info(self->fd, &b));

	kept = ndirty + nmap + npriv + npipe;
	gone = nclean + nzero + ndirty - kept;
	EXPECT_EQ(kept, b.resident_pages);
	EXPECT_EQ(gone, b.pages_reclaimed - a.pages_reclaimed);
	EXPECT_EQ(gone, b.pages_freed - a.pages_freed);
	EXPECT_EQ(ndirty, b.dirty_pages);
	EXPECT_EQ(a.backing_pages, b.backing_pages);
	ksft_print_msg("drop_caches: resident %llu -> %llu, reclaimed %llu\n",
		       (unsigned long long)a.resident_pages,
		       (unsigned long long)b.resident_pages,
		       (unsigned long long)(b.pages_reclaimed - a.pages_reclaimed));
	/* A zero page read in and given back is a hole again. */
	EXPECT_EQ((off_t)(dirty0 * ps), lseek(self->fd, zero0 * ps, SEEK_DATA));

	/* The pipe's pages are the store's, unchanged. */
	for (i = 0; i < npipe; i++) {
		unsigned char *want = malloc(ps), *got = malloc(ps);

		ASSERT_TRUE(want && got);
		fill_page(want, pipe0 + i, 1);
		ASSERT_EQ(ps, read(pfd[0], got, ps));
		EXPECT_EQ(0, memcmp(got, want, ps));
		free(want);
		free(got);
	}
	close(pfd[0]);
	close(pfd[1]);

	/* read(): every byte back, the clean ones from the backing store. */
	EXPECT_EQ(0, check_pages(self->fd, 0, nclean, 1));
	EXPECT_EQ(0, check_pages(self->fd, zero0, nzero, 0));
	EXPECT_EQ(0, check_pages(self->fd, dirty0, ndirty, 2));
	EXPECT_EQ(0, check_mapped(shared, 0, nmap, 1));
	EXPECT_EQ(0, check_mapped(priv, priv0, npriv, 1));
	ASSERT_EQ(0, vd_store_info(self->fd, &a));
	/* Not mapped, not in the pipe: read in again (major faults). */
	EXPECT_EQ(nclean - nmap - npriv - npipe, a.faults_major - b.faults_major);

	/* Once more, then through new mappings, shared and private. */
	ASSERT_EQ(0, munmap(shared, nmap * ps));
	ASSERT_EQ(0, munmap(priv, npriv * ps));
	ASSERT_EQ(0, drop_pagecache());
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(ndirty, b.resident_pages);
	shared = mmap(NULL, nclean * ps, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, shared);
	EXPECT_EQ(0, check_mapped(shared, 0, nclean, 1));
	ASSERT_EQ(0, munmap(shared, nclean * ps));
	ASSERT_EQ(0, drop_pagecache());
	priv = mmap(NULL, nclean * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, priv);
	EXPECT_EQ(0, check_mapped(priv, 0, nclean, 1));
	/* The private copy of a page is its own; the store is unchanged. */
	memset(priv, 0, ps);
	ASSERT_EQ(0, munmap(priv, nclean * ps));
	ASSERT_EQ(0, drop_pagecache());

	/* A crash after reclaim: exactly the dirty pages are lost. */
	EXPECT_EQ((long long)ndirty, store_crash(self->fd));
	EXPECT_EQ(0, check_pages(self->fd, 0, nclean, 1));
	EXPECT_EQ(0, check_pages(self->fd, dirty0, ndirty, 0));
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(b.pages_alloc - self->base.pages_alloc,
		  b.pages_freed - self->base.pages_freed + b.resident_pages);
}

/*
 * A dirty page is never given back, however often asked: it stays until a
 * sync makes it clean, and only then goes.
 */
TEST_F(reclaim, dirty_pages_stay)
{
	const unsigned long n = 256;
	struct vmapdemo_store_info a, b;
	unsigned long i;
	char *p;

	if (access(DROP_CACHES, W_OK))
		SKIP(return, DROP_CACHES " not writable (needs root)");
	ASSERT_EQ(0, vd_store_resize(self->fd, 2 * n * ps));
	/* Dirty by write() and through a shared mapping (->page_mkwrite). */
	ASSERT_EQ(0, write_pages(self->fd, 0, n, 3));
	p = mmap(NULL, n * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, n * ps);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < n; i++)
		fill_page((unsigned char *)p + i * ps, n + i, 3);
	ASSERT_EQ(0, munmap(p, n * ps));
	ASSERT_EQ(0, vd_store_info(self->fd, &a));
	ASSERT_EQ(2 * n, a.dirty_pages);
	ASSERT_EQ(0, drop_pagecache());
	ASSERT_EQ(0, drop_pagecache());
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(2 * n, b.resident_pages);
	EXPECT_EQ(2 * n, b.dirty_pages);
	EXPECT_EQ(0, b.pages_reclaimed - a.pages_reclaimed);
	EXPECT_EQ(0, check_pages(self->fd, 0, 2 * n, 3));

	ASSERT_EQ(0, store_sync(self->fd, 0, 0));
	ASSERT_EQ(0, drop_pagecache());
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(0, b.resident_pages);
	EXPECT_EQ(2 * n, b.pages_reclaimed - a.pages_reclaimed);
	EXPECT_EQ(0, check_pages(self->fd, 0, 2 * n, 3));
}

/*
 * Another program fills memory. The store holds clean data (written,
 * synced, nothing maps it), some pages mapped and touched, and dirty data.
 * The other program allocates and touches anonymous memory a chunk at a
 * time, each time we say so, until the store has given back half of its
 * clean pages, or memory is nearly exhausted without the store giving
 * anything back (then the test fails before the OOM killer acts). It must
 * not be OOM-killed. Then: the clean data reads back intact, the dirty
 * data stayed and is intact, the mapped pages stayed mapped.
 */
#define HOG_CHUNK_MIB	4
#define HOG_STALLS	4	/* chunks nearly exhausted, nothing given back */

/* The sum of the zones' min watermarks in KiB, or -1. */
static long long min_watermarks_kib(void)
{
	long long sum = 0, v;
	char line[256];
	FILE *f;

	f = fopen("/proc/zoneinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " min %lld", &v) == 1)
			sum += v;
	fclose(f);
	return sum * (ps / 1024);
}

TEST_F_TIMEOUT(reclaim, pressure_from_another_program, 300)
{
	unsigned long nclean, ndirty = 2048, nmap = 256, target, chunks = 0;
	struct vmapdemo_store_info before, after, end;
	long long avail, total, wmark, stalls = 0, prev, majors, free_kib = 0;
	int cmd[2], reply[2], status;
	char arg[3][16], *argv[6];
	unsigned char *map;
	volatile unsigned char t;
	unsigned long i;
	char c = 0;
	ssize_t n;
	pid_t pid;

	total = meminfo_kib("MemTotal");
	avail = meminfo_kib("MemAvailable");
	wmark = min_watermarks_kib();
	if (total < 0 || avail < 0 || wmark <= 0)
		SKIP(return, "no MemTotal/MemAvailable or no zone watermarks in /proc");
	if (meminfo_kib("SwapTotal") > 0)
		SKIP(return, "swap is on: the other program's memory would be swapped out first");
	if (total > 4LL << 20)
		SKIP(return, "%lld MiB of RAM: too long to fill (the test VM has 1024)",
		     total >> 10);
	/* Clean data in the cache and the medium: a quarter of what is free. */
	nclean = (avail << 10) / 8 / ps;
	if (nclean > (128 * MIB) / ps)
		nclean = (128 * MIB) / ps;
	if (nclean < (16 * MIB) / ps)
		SKIP(return, "only %lld MiB available", avail >> 10);

	ASSERT_EQ(0, vd_store_resize(self->fd, (nclean + ndirty) * ps));
	ASSERT_EQ(0, write_pages(self->fd, 0, nclean, 4));
	ASSERT_EQ(0, store_sync(self->fd, 0, 0));
	ASSERT_EQ(0, write_pages(self->fd, nclean, ndirty, 5));
	map = mmap(NULL, nmap * ps, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < nmap; i++)
		t = map[i * ps];
	(void)t;
	ASSERT_EQ(0, vd_store_info(self->fd, &before));
	ASSERT_EQ(nclean + ndirty, before.resident_pages);
	ASSERT_EQ(ndirty, before.dirty_pages);
	target = before.resident_pages - nclean / 2;

	/*
	 * A 1 GiB guest's watermarks are a few MiB apart, less than a chunk:
	 * one chunk can take free memory from above the low watermark (where
	 * kswapd starts reclaiming) to below the min one. Spread them (low
	 * and high 5% of memory above min) so that reclaim runs for many
	 * chunks before the stop rule below is near; restored on teardown.
	 */
	if (vd_read_file(WSF_PATH, self->wsf, sizeof(self->wsf)) > 0)
		vd_write_str(WSF_PATH, "500");
	ASSERT_EQ(0, pipe2(cmd, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(reply, O_CLOEXEC));
	/* A killed program must fail the checks below, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Only the two pipe ends cross the exec. */
		if (fcntl(cmd[0], F_SETFD, 0) || fcntl(reply[1], F_SETFD, 0))
			_exit(98);
		snprintf(arg[0], sizeof(arg[0]), "%d", cmd[0]);
		snprintf(arg[1], sizeof(arg[1]), "%d", reply[1]);
		snprintf(arg[2], sizeof(arg[2]), "%d", HOG_CHUNK_MIB);
		argv[0] = "vmapdemo_reclaim";
		argv[1] = "hog";
		argv[2] = arg[0];
		argv[3] = arg[1];
		argv[4] = arg[2];
		argv[5] = NULL;
		execv("/proc/self/exe", argv);
		_exit(99);
	}
	close(cmd[0]);
	close(reply[1]);

	/* Bounded: never more chunks than there is RAM. */
	prev = before.resident_pages;
	while (chunks < (unsigned long)(total >> 10) / HOG_CHUNK_MIB) {
		if (write(cmd[1], "a", 1) != 1 || read(reply[0], &c, 1) != 1 || c != 'k')
			break;	/* the program is gone, or could not map */
		chunks++;
		ASSERT_EQ(0, vd_store_info(self->fd, &after));
		if (after.resident_pages <= target)
			break;
		/*
		 * Nearly exhausted: close enough to the min watermark (below
		 * it allocations reclaim directly, then the OOM killer acts)
		 * that HOG_STALLS more chunks would leave only two above it.
		 * Reclaim gives our pages back in bursts, so only several
		 * chunks there in a row with none given back stop us, and
		 * they must not reach the watermark themselves: 7.3 killed
		 * the other program when this margin was two chunks. kswapd
		 * has been reclaiming since the low watermark, well above.
		 */
		free_kib = meminfo_kib("MemFree");
		if (free_kib < wmark + (HOG_STALLS + 2) * HOG_CHUNK_MIB * 1024 &&
		    (long long)after.resident_pages >= prev) {
			if (++stalls >= HOG_STALLS)
				break;
		} else {
			stalls = 0;
		}
		prev = after.resident_pages;
	}
	n = write(cmd[1], "q", 1);
	close(cmd[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(reply[0]);
	ASSERT_EQ(0, vd_store_info(self->fd, &after));
	ksft_print_msg("pressure: MemAvailable %lld MiB, store: %lu clean, %lu dirty, %lu mapped pages\n",
		       avail >> 10, nclean, ndirty, nmap);
	ksft_print_msg("pressure: the other program allocated %lu MiB; resident %llu -> %llu pages, pages_reclaimed +%llu\n",
		       chunks * HOG_CHUNK_MIB,
		       (unsigned long long)before.resident_pages,
		       (unsigned long long)after.resident_pages,
		       (unsigned long long)(after.pages_reclaimed - before.pages_reclaimed));
	ksft_print_msg("pressure: MemFree %lld MiB at the last chunk, min watermarks %lld MiB\n",
		       free_kib >> 10, wmark >> 10);
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("the other program was killed by signal %d (OOM killer?)",
		       WTERMSIG(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(1, n);
	EXPECT_EQ('k', c) TH_LOG("the other program could not map more memory");
	EXPECT_LT(stalls, HOG_STALLS)
		TH_LOG("memory nearly exhausted and the store gave nothing back");
	EXPECT_LE(after.resident_pages, target);
	/*
	 * Dirty pages stayed. Mapped clean pages are reclaimable like any
	 * file's (the LRU unmaps them): they may have gone, and read in again
	 * they are intact.
	 */
	EXPECT_EQ(ndirty, after.dirty_pages);
	EXPECT_LE(ndirty, after.resident_pages);
	EXPECT_EQ(0, check_mapped(map, 0, nmap, 4));
	EXPECT_EQ(0, check_pages(self->fd, 0, nmap, 4));
	ASSERT_EQ(0, munmap(map, nmap * ps));

	/* Every byte back, the pages given back read in from the medium. */
	EXPECT_EQ(0, check_pages(self->fd, 0, nclean, 4));
	EXPECT_EQ(0, check_pages(self->fd, nclean, ndirty, 5));
	ASSERT_EQ(0, vd_store_info(self->fd, &end));
	EXPECT_EQ(ndirty, end.dirty_pages);
	/*
	 * kswapd may still finish a batch after the other program exited:
	 * bounds, not equalities. Every page gone at the snapshot was read
	 * in again, and nothing was read in that was not given back.
	 */
	majors = end.faults_major - after.faults_major;
	EXPECT_GE(end.pages_reclaimed - before.pages_reclaimed,
		  before.resident_pages - after.resident_pages);
	EXPECT_GE(majors, (long long)(before.resident_pages - after.resident_pages));
	EXPECT_LE(majors, (long long)(end.pages_reclaimed - before.pages_reclaimed));
}

/* --- the other program ------------------------------------------------------- */

static int hog_main(int argc, char **argv)
{
	int cmdfd, replyfd;
	size_t chunk;
	char c;

	if (argc < 5)
		return 2;
	cmdfd = atoi(argv[2]);
	replyfd = atoi(argv[3]);
	chunk = strtoul(argv[4], NULL, 0) * MIB;
	/* If anything is killed for memory, it is this program. */
	vd_write_str("/proc/self/oom_score_adj", "1000");
	while (read(cmdfd, &c, 1) == 1 && c == 'a') {
		char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			c = 'f';
		} else {
			/* Order-0 pages, as a fragmented program would get. */
			madvise(p, chunk, MADV_NOHUGEPAGE);
			memset(p, 0xa5, chunk);
			c = 'k';
		}
		if (write(replyfd, &c, 1) != 1)
			return 3;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "hog"))
		return hog_main(argc, argv);
	return test_harness_run(argc, argv);
}
