// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_zero_stats: what only /dev/vmapdemo can tell (its counters, read
 * through VMAPDEMO_IOC_GET_STATS) and tables that compare /dev/vmapdemo
 * with /dev/zero at run time: every mmap flag and prot combination, every
 * madvise advice, userfaultfd.
 *
 * The counters are global: these tests assume nobody else uses the device
 * while they run (true in the test VM).
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "vmapdemo_test.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED	24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef PROT_SEM
#define PROT_SEM		0x8
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED	0x4000000
#endif

#define REQUIRE_DEVICE() do {						\
	if (!vd_present())						\
		SKIP(return, VMAPDEMO_PATH " missing: load vmapdemo.ko");	\
} while (0)

#define GET_STATS(st) ASSERT_EQ(0, vd_stats(st))

/*
 * Runs first: the suites that ran before (including memcg OOM kills of
 * processes with shared mappings) left no object, page or mapping behind.
 */
TEST(nothing_left_behind)
{
	struct vmapdemo_stats st;

	REQUIRE_DEVICE();
	GET_STATS(&st);
	EXPECT_EQ(0, st.objects_live);
	EXPECT_EQ(0, vd_live_pages(&st));
	EXPECT_EQ(0, st.mappings_live);
}

/* Demand paging: k pages touched in a 1 GiB shared mapping, k allocated. */
TEST(demand_paging_1g_shared)
{
	const size_t len = 1UL << 30, k = 97;
	struct vmapdemo_stats st0, st1, st2;
	long ps = sysconf(_SC_PAGESIZE);
	volatile char *p;
	int fd;
	size_t i;

	REQUIRE_DEVICE();
	fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	GET_STATS(&st0);
	/*
	 * MAP_NORESERVE: the shmem object behind a shared mapping takes a
	 * commit charge for its whole size otherwise, as /dev/zero's does,
	 * and the heuristic policy refuses one larger than the test VM's RAM.
	 */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	GET_STATS(&st1);
	EXPECT_EQ(vd_live_pages(&st0), vd_live_pages(&st1));
	EXPECT_EQ(st0.objects_live + 1, st1.objects_live);
	EXPECT_EQ(st0.objects_created + 1, st1.objects_created);
	/* Spread over the whole gigabyte; odd ones read, even ones written. */
	for (i = 0; i < k; i++) {
		size_t off = (len / k) * i / ps * ps;

		if (i & 1)
			(void)p[off];
		else
			p[off] = 1;
	}
	/* Touching them again costs nothing more. */
	for (i = 0; i < k; i++)
		(void)p[(len / k) * i / ps * ps];
	GET_STATS(&st2);
	EXPECT_EQ(vd_live_pages(&st0) + (long long)k, vd_live_pages(&st2));
	EXPECT_EQ(st0.pages_alloc + k, st2.pages_alloc);
	EXPECT_LE(st1.faults_read + k / 2, st2.faults_read);
	EXPECT_LE(st1.faults_write + (k + 1) / 2, st2.faults_write);
	ASSERT_EQ(0, munmap((void *)p, len));
	GET_STATS(&st2);
	EXPECT_EQ(vd_live_pages(&st0), vd_live_pages(&st2));
	EXPECT_EQ(st0.pages_freed + k, st2.pages_freed);
	EXPECT_EQ(st0.objects_live, st2.objects_live);
	close(fd);
}

/*
 * MAP_PRIVATE: reads of untouched pages share the module's one zero page
 * (no page allocated), writes get anonymous copies from the core (none of
 * the module's pages either).
 */
TEST(private_reads_share_zero_page)
{
	const size_t len = 1UL << 30;
	struct vmapdemo_stats st0, st1;
	long ps = sysconf(_SC_PAGESIZE);
	volatile char *p;
	int fd, i;

	REQUIRE_DEVICE();
	fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	GET_STATS(&st0);
	for (i = 0; i < 100; i++)
		EXPECT_EQ(0, p[(size_t)i * 1000 * ps]);
	for (i = 0; i < 10; i++)
		p[(size_t)i * 1000 * ps + 17 * ps] = 1;
	GET_STATS(&st1);
	EXPECT_EQ(st0.pages_alloc, st1.pages_alloc);
	EXPECT_EQ(st0.objects_live, st1.objects_live);
	EXPECT_EQ(st0.faults_read + 100, st1.faults_read);
	EXPECT_EQ(st0.faults_cow + 10, st1.faults_cow);
	munmap((void *)p, len);
	close(fd);
}

/* Freeing: back to the baseline when the only process mapping it exits. */
TEST(freed_when_process_exits)
{
	struct vmapdemo_stats st0, st1;
	long ps = sysconf(_SC_PAGESIZE);
	pid_t pid;

	REQUIRE_DEVICE();
	GET_STATS(&st0);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = open(VMAPDEMO_PATH, O_RDWR);
		char *p = mmap(NULL, 256 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (p == MAP_FAILED)
			_exit(1);
		memset(p, 1, 256 * ps);
		_exit(0);	/* no munmap, no close */
	}
	ASSERT_EQ(0, vd_wait(pid));
	GET_STATS(&st1);
	EXPECT_EQ(st0.pages_alloc + 256, st1.pages_alloc);
	EXPECT_EQ(vd_live_pages(&st0), vd_live_pages(&st1));
	EXPECT_EQ(st0.objects_live, st1.objects_live);
	EXPECT_EQ(st0.mappings_live, st1.mappings_live);
}

/*
 * Large objects are freed completely. Freeing walks the page array and
 * yields the CPU now and then; a walk that resumed badly after emptying a
 * node of the array (xas_pause() after the node was freed) skipped up to 63
 * pages, which leaked. Many pages per object make such yields likely.
 */
TEST(large_objects_freed_completely)
{
	/* Big enough for many xarray nodes, small enough for a KASAN kernel. */
	const size_t len = 16UL << 20;
	const int rounds = 8;
	struct vmapdemo_stats st0, st1;
	pid_t burner[2];
	int fd, round, i;

	REQUIRE_DEVICE();
	/*
	 * Runnable competitors on every CPU, so that the freeing must yield.
	 * Forked before the open: a burner holds no reference to the device,
	 * so one still dying after this test (killed by timeout: the burners
	 * die of PR_SET_PDEATHSIG, unwaited) cannot pin the module in the
	 * next test.
	 */
	for (i = 0; i < 2; i++) {
		burner[i] = fork();
		ASSERT_LE(0, burner[i]);
		if (burner[i] == 0) {
			/* Never outlive the test, even one killed by timeout. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				;
		}
	}
	fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	GET_STATS(&st0);
	for (round = 0; round < rounds; round++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		ASSERT_NE(MAP_FAILED, p);
		memset(p, 1, len);
		ASSERT_EQ(0, munmap(p, len));
	}
	for (i = 0; i < 2; i++) {
		kill(burner[i], SIGKILL);
		vd_wait(burner[i]);
	}
	GET_STATS(&st1);
	EXPECT_EQ(st0.pages_alloc + rounds * (len / 4096), st1.pages_alloc);
	EXPECT_EQ(vd_live_pages(&st0), vd_live_pages(&st1));
	EXPECT_EQ(st0.objects_live, st1.objects_live);
	close(fd);
}

/* VMAs of the mapping at @p, from /proc/self/maps. */
static int vmas_of(const void *p, size_t len)
{
	unsigned long lo, hi, a = (unsigned long)p, b = a + len;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo < b && hi > a)
			n++;
	fclose(f);
	return n;
}

/*
 * The object follows its VMAs: it lives while any VMA copied from the
 * first one (split, fork, mremap) maps it, and goes with the last. The
 * VMAs have no ->close, so they merge back after a split exactly as
 * /dev/zero's do: the same sequence on both gives the same VMA counts.
 */
TEST(object_follows_vmas)
{
	const char *paths[] = { "/dev/zero", VMAPDEMO_PATH };
	struct vmapdemo_stats st0, st;
	long ps = sysconf(_SC_PAGESIZE);
	int counts[2][5], i, j;
	struct vd_sync s;
	char *p, *q;
	pid_t pid;
	int fd;

	REQUIRE_DEVICE();
	for (i = 0; i < 2; i++) {
		int vd = i == 1;

		fd = open(paths[i], O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		GET_STATS(&st0);
		p = mmap(NULL, 8 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, close(fd));
		GET_STATS(&st);
		EXPECT_EQ(st0.objects_live + vd, st.objects_live);
		EXPECT_EQ(0, st.mappings_live);
		memset(p, 1, 8 * ps);
		counts[i][0] = vmas_of(p, 8 * ps);

		/* Split in three by mprotect of the middle, then back: one. */
		ASSERT_EQ(0, mprotect(p + 2 * ps, 2 * ps, PROT_READ));
		counts[i][1] = vmas_of(p, 8 * ps);
		ASSERT_EQ(0, mprotect(p + 2 * ps, 2 * ps, PROT_READ | PROT_WRITE));
		counts[i][2] = vmas_of(p, 8 * ps);

		/* A child inherits the mapping and sees the data. */
		ASSERT_EQ(0, vd_sync_init(&s));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			vd_sync_post(s.to_parent[1]);
			vd_sync_wait(s.to_child[0]);
			_exit(p[7 * ps] == 1 ? 0 : 1);
		}
		ASSERT_EQ(0, vd_sync_wait(s.to_parent[0]));
		vd_sync_post(s.to_child[1]);
		ASSERT_EQ(0, vd_wait(pid));
		vd_sync_close(&s);

		/* Keep two pages, move them with mremap: still one VMA. */
		ASSERT_EQ(0, munmap(p + 2 * ps, 6 * ps));
		q = mremap(p, 2 * ps, 2 * ps, MREMAP_MAYMOVE | MREMAP_FIXED, p + 4 * ps);
		ASSERT_NE(MAP_FAILED, q);
		counts[i][3] = vmas_of(q, 2 * ps);
		GET_STATS(&st);
		EXPECT_EQ(st0.objects_live + vd, st.objects_live);
		if (vd)
			EXPECT_EQ(vd_live_pages(&st0) + 8, vd_live_pages(&st));
		EXPECT_TRUE(vd_all(q, 2 * ps, 1));
		ASSERT_EQ(0, munmap(q, 2 * ps));
		GET_STATS(&st);
		EXPECT_EQ(st0.objects_live, st.objects_live);
		EXPECT_EQ(vd_live_pages(&st0), vd_live_pages(&st));

		/* Private: split and restore merges back too. */
		fd = open(paths[i], O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		p = mmap(NULL, 8 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, close(fd));
		p[0] = 1;
		ASSERT_EQ(0, mprotect(p + 2 * ps, 2 * ps, PROT_READ));
		ASSERT_EQ(0, mprotect(p + 2 * ps, 2 * ps, PROT_READ | PROT_WRITE));
		counts[i][4] = vmas_of(p, 8 * ps);
		ASSERT_EQ(0, munmap(p, 8 * ps));
	}
	for (j = 0; j < 5; j++) {
		int z = counts[0][j], v = counts[1][j];

		EXPECT_EQ(z, v) TH_LOG("step %d: /dev/zero %d VMAs, vmapdemo %d", j, z, v);
	}
	EXPECT_EQ(1, counts[1][2]);
	EXPECT_EQ(3, counts[1][1]);
}

/*
 * A failed mmap leaves nothing: no object, no mapping, no page (->close is
 * not called when mmap fails, so ->mmap must not leave state behind, and
 * core checks that fail before ->mmap must not reach it).
 */
TEST(failed_mmap_leaves_nothing)
{
	struct vmapdemo_stats st0, st1;
	long ps = sysconf(_SC_PAGESIZE);
	struct {
		const char *what;
		size_t len;
		int prot, flags, oflag, fixed;
		off_t off;
	} cases[] = {
		{ "zero length", 0, PROT_READ, MAP_SHARED, O_RDWR, 0, 0 },
		{ "O_RDONLY shared writable", ps, PROT_READ | PROT_WRITE, MAP_SHARED, O_RDONLY, 0, 0 },
		{ "O_WRONLY", ps, PROT_READ, MAP_SHARED, O_WRONLY, 0, 0 },
		{ "fixed_noreplace onto a mapping", ps, PROT_READ,
		  MAP_SHARED | MAP_FIXED_NOREPLACE, O_RDWR, 1, 0 },
		{ "unaligned offset", ps, PROT_READ, MAP_SHARED, O_RDWR, 0, 1 },
		{ "negative offset", ps, PROT_READ, MAP_SHARED, O_RDWR, 0, -ps },
		{ "MAP_SYNC", ps, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, O_RDWR, 0, 0 },
		{ "no type", ps, PROT_READ, 0, O_RDWR, 0, 0 },
		{ "huge length", -ps, PROT_READ, MAP_SHARED, O_RDWR, 0, 0 },
	};
	const char *paths[] = { "/dev/zero", VMAPDEMO_PATH };
	unsigned int i;
	char *hint;

	REQUIRE_DEVICE();
	hint = mmap(NULL, 2 * ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hint);
	GET_STATS(&st0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err[2], j;

		for (j = 0; j < 2; j++) {
			int fd = open(paths[j], cases[i].oflag | O_CLOEXEC);
			void *p;

			ASSERT_LE(0, fd);
			p = mmap(cases[i].fixed ? hint : NULL, cases[i].len, cases[i].prot,
				 cases[i].flags, fd, cases[i].off);
			err[j] = p == MAP_FAILED ? errno : 0;
			if (p != MAP_FAILED)
				munmap(p, cases[i].len);
			close(fd);
		}
		EXPECT_NE(0, err[0]) TH_LOG("%s: /dev/zero accepted it", cases[i].what);
		EXPECT_EQ(err[0], err[1]) TH_LOG("%s: /dev/zero %s, vmapdemo %s", cases[i].what,
						 strerror(err[0]), strerror(err[1]));
	}
	GET_STATS(&st1);
	EXPECT_EQ(st0.objects_created, st1.objects_created);
	EXPECT_EQ(st0.objects_live, st1.objects_live);
	EXPECT_EQ(st0.mappings_live, st1.mappings_live);
	EXPECT_EQ(st0.pages_alloc, st1.pages_alloc);
	munmap(hint, 2 * ps);
}

/* A SIGBUS past the end of an object is counted, and is not a refault loop. */
TEST(sigbus_counted)
{
	struct vmapdemo_stats st0, st1;
	long ps = sysconf(_SC_PAGESIZE);
	char *p, *q;
	int fd;

	REQUIRE_DEVICE();
	fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	q = mremap(p, ps, 3 * ps, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, q);
	GET_STATS(&st0);
	EXPECT_EQ(SIGBUS, vd_probe(q + ps, 0, 0));
	EXPECT_EQ(SIGBUS, vd_probe(q + 2 * ps, 1, 1));
	EXPECT_EQ(0, vd_probe(q, 1, 1));
	GET_STATS(&st1);
	EXPECT_EQ(st0.faults_sigbus + 2, st1.faults_sigbus);
	EXPECT_EQ(st0.pages_alloc + 1, st1.pages_alloc);
	munmap(q, 3 * ps);
	close(fd);
}

/*
 * The module cannot be unloaded while a mapping exists, even with every fd
 * closed: the VMA's file pins it. Once the last mapping goes, nothing does.
 */
TEST(mapping_pins_module)
{
	const char *path = "/sys/module/" VMAPDEMO_DEV_NAME "/refcnt";
	static const int types[] = { MAP_PRIVATE, MAP_SHARED };
	long ps = sysconf(_SC_PAGESIZE);
	unsigned int i;

	REQUIRE_DEVICE();
	if (vd_read_ll(path) < 0)
		SKIP(return, "%s unreadable", path);
	/*
	 * What an earlier test started may still be going away (a process
	 * killed by its time limit, a reaped child's last fput): wait for
	 * the module to be unused, bounded, before measuring.
	 */
	ASSERT_EQ(0, vd_wait_ll(path, 0, 30)) TH_LOG("%s stays at %lld", path, vd_read_ll(path));
	for (i = 0; i < 2; i++) {
		int fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
		char *p;

		ASSERT_LE(0, fd);
		p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, types[i], fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, close(fd));
		p[0] = 1;
		EXPECT_LT(0, vd_read_ll(path));
		errno = 0;
		EXPECT_EQ(-1, syscall(SYS_delete_module, VMAPDEMO_DEV_NAME, O_NONBLOCK));
		EXPECT_EQ(EWOULDBLOCK, errno) TH_LOG("delete_module: %s", strerror(errno));
		EXPECT_EQ(1, p[0]);
		ASSERT_EQ(0, munmap(p, 4 * ps));
		EXPECT_EQ(0, vd_read_ll(path));
	}
}

FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

/*
 * Acceptance: 1,000 rounds of (mmap 1 MiB shared, fork, child writes,
 * child exits, munmap) end with no live page, object or mapping. The
 * debug kernel runs 250: there the detectors watching each round are the
 * point, not the count, and 1,000 rounds took 15 minutes of its run
 * beside a CPU hog. The stock kernels run all 1,000.
 */
TEST_F_TIMEOUT(slow, acceptance_1000_rounds, 600)
{
	const int rounds = vd_debug_kernel() ? 250 : 1000;
	const size_t len = 1 << 20;
	struct vmapdemo_stats st0, st1;
	int fd, round;

	REQUIRE_DEVICE();
	fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	TH_LOG("%d rounds", rounds);
	GET_STATS(&st0);
	for (round = 0; round < rounds; round++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		pid_t pid;

		ASSERT_NE(MAP_FAILED, p);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			memset(p, round & 0xff, len);
			_exit(0);
		}
		ASSERT_EQ(0, vd_wait(pid));
		ASSERT_EQ((char)(round & 0xff), p[len - 1]);
		ASSERT_EQ(0, munmap(p, len));
	}
	GET_STATS(&st1);
	EXPECT_EQ(st0.objects_created + rounds, st1.objects_created);
	EXPECT_EQ(st0.pages_alloc + rounds * (len / 4096), st1.pages_alloc);
	EXPECT_EQ(0, st1.objects_live);
	EXPECT_EQ(0, vd_live_pages(&st1));
	EXPECT_EQ(0, st1.mappings_live);
	close(fd);
}

/* --- /dev/zero vs /dev/vmapdemo tables -------------------------------- */

/* mmap(), then touch what prot allows; the result as an errno (0 = ok). */
static int try_mmap(const char *path, int oflag, int prot, int flags, long ps)
{
	int fd = open(path, oflag | O_CLOEXEC), ret = 0;
	char *p;

	if (fd < 0)
		return -1000 - errno;
	p = mmap(NULL, 2 * ps, prot, flags, fd, 0);
	if (p == MAP_FAILED) {
		ret = errno;
	} else {
		if ((prot & PROT_READ) && vd_probe(p + ps, 0, 0))
			ret = -1;
		else if ((prot & PROT_READ) && p[ps] != 0)
			ret = -2;
		else if ((prot & PROT_WRITE) && vd_probe(p, 1, 5))
			ret = -3;
		munmap(p, 2 * ps);
	}
	close(fd);
	return ret;
}

/*
 * Every combination of open mode, prot and flags that /dev/zero's mmap
 * sees is tabulated at run time and must give the same result on
 * /dev/vmapdemo: both accept it (and the mapping works) or both refuse it
 * with the same errno. There is no documented difference here.
 */
TEST(mmap_flags_table_matches_dev_zero)
{
	static const int omodes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	static const int prots[] = {
		PROT_NONE, PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE,
		PROT_EXEC, PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC,
		PROT_READ | PROT_SEM, PROT_READ | PROT_GROWSDOWN,
	};
	static const int types[] = { MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE,
				     0, MAP_SHARED | MAP_PRIVATE };
	static const int extras[] = {
		0, MAP_NORESERVE, MAP_POPULATE, MAP_LOCKED, MAP_NONBLOCK,
		MAP_GROWSDOWN, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_STACK,
		MAP_HUGETLB, MAP_SYNC, MAP_UNINITIALIZED, MAP_32BIT,
		MAP_POPULATE | MAP_LOCKED, 0x40000000,
	};
	long ps = sysconf(_SC_PAGESIZE);
	unsigned int a, b, c, d, n = 0, accepted = 0, diffs = 0;

	REQUIRE_DEVICE();
	for (a = 0; a < sizeof(omodes) / sizeof(omodes[0]); a++)
	for (b = 0; b < sizeof(prots) / sizeof(prots[0]); b++)
	for (c = 0; c < sizeof(types) / sizeof(types[0]); c++)
	for (d = 0; d < sizeof(extras) / sizeof(extras[0]); d++) {
		int flags = types[c] | extras[d];
		int z = try_mmap("/dev/zero", omodes[a], prots[b], flags, ps);
		int v = try_mmap(VMAPDEMO_PATH, omodes[a], prots[b], flags, ps);

		n++;
		accepted += !z;
		if (z != v) {
			diffs++;
			TH_LOG("open %d prot %#x flags %#x: /dev/zero %d (%s), vmapdemo %d (%s)",
			       omodes[a], prots[b], flags, z, z > 0 ? strerror(z) : "-",
			       v, v > 0 ? strerror(v) : "-");
		}
	}
	TH_LOG("%u combinations, %u accepted by /dev/zero, %u differ", n, accepted, diffs);
	EXPECT_EQ(0, diffs);
	EXPECT_LT(0, accepted);
}

/* Private 8 GiB writable: both take a commit charge and refuse it alike. */
TEST(private_commit_charge_matches_dev_zero)
{
	const size_t len = 8UL << 30;
	const char *paths[] = { "/dev/zero", VMAPDEMO_PATH };
	int res[2], i;

	REQUIRE_DEVICE();
	for (i = 0; i < 2; i++) {
		int fd = open(paths[i], O_RDWR | O_CLOEXEC);
		void *p;

		ASSERT_LE(0, fd);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		res[i] = p == MAP_FAILED ? errno : 0;
		if (p != MAP_FAILED)
			munmap(p, len);
		close(fd);
	}
	TH_LOG("8 GiB MAP_PRIVATE: /dev/zero %s, vmapdemo %s",
	       strerror(res[0]), strerror(res[1]));
	EXPECT_EQ(res[0], res[1]);
}

struct madv_case {
	int advice;
	const char *name;
};

#define MADV(x) { x, #x }

/*
 * Documented differences (Documentation/vmapdemo.rst): the result
 * /dev/vmapdemo gives where /dev/zero gives another.
 */
struct madv_diff {
	int advice;
	int shared;
	int ours;
};

static const struct madv_diff madv_diffs[] = {
	/* lazy free exists only for anonymous VMAs */
	{ MADV_FREE, 0, EINVAL },
};

static int madv_try(const char *path, int shared, int advice, long ps)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), ret;
	size_t len = 4 * ps;
	char *p;

	if (fd < 0)
		return -1;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -2;
	memset(p, 0x3c, len);
	ret = madvise(p, len, advice) ? errno : 0;
	/*
	 * Not the errno alone: what the advice did, as 100 * errno + 10 *
	 * (what the second page reads now) + (what a forked child reads
	 * there), each 0 for the data written, 1 for zeros, 2 for SIGSEGV
	 * or SIGBUS (DONTFORK: nothing mapped in the child), 3 otherwise.
	 */
	if (ret >= 0) {
		pid_t pid;
		int st, c;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			c = vd_probe(p + ps, 0, 0) ? 2 : p[ps] == 0x3c ? 0 : p[ps] == 0 ? 1 : 3;
			_exit(c);
		}
		c = waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : 3;
		ret = ret * 100 + c;
		c = vd_probe(p + ps, 0, 0) ? 2 : p[ps] == 0x3c ? 0 : p[ps] == 0 ? 1 : 3;
		ret += 10 * c;
	}
	/* Whatever the advice did, the mapping is still usable. */
	if (vd_probe(p, 1, 1) || vd_probe(p + len - 1, 0, 0))
		ret = -3;
	munmap(p, len);
	return ret;
}

/* "EINVAL, reads data, child reads zeros" for a madv_try() result. */
static const char *madv_str(int r, char *buf, size_t n)
{
	static const char * const what[] = { "data", "zeros", "SIGSEGV/SIGBUS", "other" };

	if (r < 0)
		snprintf(buf, n, "error %d", r);
	else
		snprintf(buf, n, "%s, reads %s, child reads %s", r / 100 ? strerror(r / 100) : "0",
			 what[r / 10 % 10], what[r % 10]);
	return buf;
}

/*
 * Every advice on private and shared mappings of both: the same errno, the
 * same data after the advice and the same data in a child forked after
 * it (DONTFORK, WIPEONFORK, DONTNEED, FREE, PAGEOUT, ...), or a difference
 * documented in madv_diffs[] (errno).
 */
TEST(madvise_table_matches_dev_zero)
{
	static const struct madv_case cases[] = {
		MADV(MADV_NORMAL), MADV(MADV_RANDOM), MADV(MADV_SEQUENTIAL),
		MADV(MADV_WILLNEED), MADV(MADV_DONTNEED), MADV(MADV_FREE),
		MADV(MADV_REMOVE), MADV(MADV_DONTFORK), MADV(MADV_DOFORK),
		MADV(MADV_MERGEABLE), MADV(MADV_UNMERGEABLE), MADV(MADV_HUGEPAGE),
		MADV(MADV_NOHUGEPAGE), MADV(MADV_DONTDUMP), MADV(MADV_DODUMP),
		MADV(MADV_WIPEONFORK), MADV(MADV_KEEPONFORK), MADV(MADV_COLD),
		MADV(MADV_PAGEOUT), MADV(MADV_POPULATE_READ),
		MADV(MADV_POPULATE_WRITE), MADV(MADV_DONTNEED_LOCKED),
		MADV(MADV_COLLAPSE), { 99, "99 (unknown)" },
	};
	long ps = sysconf(_SC_PAGESIZE);
	unsigned int i, j, undocumented = 0;
	int shared;

	REQUIRE_DEVICE();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (shared = 0; shared < 2; shared++) {
			int z = madv_try("/dev/zero", shared, cases[i].advice, ps);
			int v = madv_try(VMAPDEMO_PATH, shared, cases[i].advice, ps);
			const struct madv_diff *doc = NULL;

			for (j = 0; j < sizeof(madv_diffs) / sizeof(madv_diffs[0]); j++)
				if (madv_diffs[j].advice == cases[i].advice &&
				    madv_diffs[j].shared == shared)
					doc = &madv_diffs[j];
			char bz[96], bv[96];

			EXPECT_LE(0, z) TH_LOG("%s: /dev/zero mapping broken", cases[i].name);
			EXPECT_LE(0, v) TH_LOG("%s: vmapdemo mapping broken", cases[i].name);
			if (z == v)
				continue;
			TH_LOG("%-22s %s: /dev/zero %s; vmapdemo %s%s", cases[i].name,
			       shared ? "shared " : "private", madv_str(z, bz, sizeof(bz)),
			       madv_str(v, bv, sizeof(bv)), doc ? " (documented)" : "");
			if (!doc) {
				undocumented++;
				continue;
			}
			EXPECT_EQ(doc->ours, v / 100) TH_LOG("%s", cases[i].name);
		}
	}
	EXPECT_EQ(0, undocumented);
}

/* MADV_REMOVE and MADV_FREE: the documented differences, asserted exactly. */
TEST(madv_remove_and_free_documented)
{
	long ps = sysconf(_SC_PAGESIZE);
	struct vmapdemo_stats st0, st1;
	int fd;
	char *p;

	REQUIRE_DEVICE();
	fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/*
	 * Shared MADV_REMOVE punches a hole in the object's shmem file, as
	 * on /dev/zero: the pages read zero again and the object holds
	 * none of them any more.
	 */
	p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 7, 4 * ps);
	GET_STATS(&st0);
	EXPECT_EQ(0, madvise(p + ps, 2 * ps, MADV_REMOVE)) TH_LOG("%s", strerror(errno));
	GET_STATS(&st1);
	EXPECT_TRUE(vd_all(p, ps, 7));
	EXPECT_TRUE(vd_all(p + ps, 2 * ps, 0));
	EXPECT_TRUE(vd_all(p + 3 * ps, ps, 7));
	EXPECT_EQ(vd_live_pages(&st0) - 2, vd_live_pages(&st1));
	munmap(p, 4 * ps);

	p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 8, 2 * ps);
	errno = 0;
	EXPECT_EQ(-1, madvise(p, 2 * ps, MADV_FREE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(vd_all(p, 2 * ps, 8));
	/* Private MADV_REMOVE: EACCES, as on /dev/zero. */
	errno = 0;
	EXPECT_EQ(-1, madvise(p, 2 * ps, MADV_REMOVE));
	EXPECT_EQ(EACCES, errno);
	munmap(p, 2 * ps);
	close(fd);
}

/*
 * userfaultfd: MISSING-mode registration needs an anonymous, shmem or
 * hugetlb VMA; /dev/zero's mappings are the first two, ours neither
 * (documented difference: EINVAL).
 */
TEST(userfaultfd_documented)
{
	const char *paths[] = { "/dev/zero", VMAPDEMO_PATH };
	long ps = sysconf(_SC_PAGESIZE);
	int uffd, i, shared;

	REQUIRE_DEVICE();
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	{
		struct uffdio_api api = { .api = UFFD_API };

		ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	}
	for (i = 0; i < 2; i++) {
		for (shared = 0; shared < 2; shared++) {
			int fd = open(paths[i], O_RDWR | O_CLOEXEC), ret;
			struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
			char *p;

			ASSERT_LE(0, fd);
			p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
				 shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
			ASSERT_NE(MAP_FAILED, p);
			reg.range.start = (unsigned long)p;
			reg.range.len = 2 * ps;
			ret = ioctl(uffd, UFFDIO_REGISTER, &reg) ? errno : 0;
			TH_LOG("%s %s: UFFDIO_REGISTER %s", paths[i],
			       shared ? "shared" : "private", ret ? strerror(ret) : "0");
			EXPECT_EQ(i ? EINVAL : 0, ret);
			munmap(p, 2 * ps);
			close(fd);
		}
	}
	close(uffd);
}

/* A field (in kB) of /proc/meminfo. */
static long meminfo_kb(const char *field)
{
	char buf[4096], *s;

	if (vd_read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return -1;
	s = strstr(buf, field);
	return s ? strtol(s + strlen(field), NULL, 10) : -1;
}

/*
 * Accounting: reading untouched private pages maps the kernel's zero page
 * on both, which counts in no RSS; shared pages are shmem on both (the
 * Shmem line of /proc/meminfo grows alike); documented difference:
 * private vmapdemo mappings get no transparent huge pages (they are not
 * anonymous VMAs).
 */
TEST(accounting_documented)
{
	const char *paths[] = { "/dev/zero", VMAPDEMO_PATH };
	const size_t len = 4UL << 20;
	long ps = sysconf(_SC_PAGESIZE);
	int i;

	REQUIRE_DEVICE();
	for (i = 0; i < 2; i++) {
		int fd = open(paths[i], O_RDWR | O_CLOEXEC);
		long rss, shmem0, shmem1, thp;
		char *p, *area;
		size_t off;

		ASSERT_LE(0, fd);
		/* Private, read only: zero pages. */
		p = mmap(NULL, 64 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		for (off = 0; off < 64 * (size_t)ps; off += ps)
			(void)*(volatile char *)(p + off);
		rss = vd_smaps_kb(p, "Rss:");
		TH_LOG("%s: 64 private pages read, Rss %ld kB", paths[i], rss);
		EXPECT_EQ(0, rss);
		munmap(p, 64 * ps);

		/* Shared, written: shmem for both. */
		shmem0 = meminfo_kb("Shmem:");
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		memset(p, 1, len);
		shmem1 = meminfo_kb("Shmem:");
		TH_LOG("%s: 4 MiB shared written, Shmem grew by %ld kB", paths[i], shmem1 - shmem0);
		EXPECT_LE((long)(len >> 10) - 256, shmem1 - shmem0);
		munmap(p, len);

		/* Private, written, 2 MiB aligned: THP for anonymous memory only. */
		area = mmap(NULL, 2 * len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, area);
		p = (char *)(((unsigned long)area + (2UL << 20) - 1) & ~((2UL << 20) - 1));
		ASSERT_EQ(p, mmap(p, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0));
		madvise(p, len, MADV_HUGEPAGE);
		memset(p, 1, len);
		thp = vd_smaps_kb(p, "AnonHugePages:");
		TH_LOG("%s: 4 MiB private written, AnonHugePages %ld kB", paths[i], thp);
		if (i)
			EXPECT_EQ(0, thp);
		munmap(area, 2 * len);
		close(fd);
	}
}

/*
 * Private fault-around: a fault maps the kernel's zero page into the
 * untouched pages of its aligned 16-page window, so reads and first writes
 * of those pages call no ->fault, a copy already made is kept, and the
 * window ends at the VMA.
 */
TEST(private_fault_around_window)
{
	const long win = 16;
	struct vmapdemo_stats st0, st1;
	long ps = sysconf(_SC_PAGESIZE);
	unsigned char vec[32];
	char *area, *p;
	int fd, i;

	REQUIRE_DEVICE();
	fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	/* 32 pages starting on a window boundary. */
	area = mmap(NULL, (32 + win) * ps, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	p = (char *)(((unsigned long)area + win * ps - 1) & ~(win * ps - 1));
	ASSERT_EQ(p, mmap(p, 32 * ps, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_FIXED, fd, 0));

	GET_STATS(&st0);
	EXPECT_EQ(0, *(volatile char *)(p + 5 * ps));
	ASSERT_EQ(0, mincore(p, 32 * ps, vec));
	for (i = 0; i < 32; i++)
		EXPECT_EQ(i < win, vec[i] & 1) TH_LOG("page %d", i);
	for (i = 0; i < win; i++)
		EXPECT_EQ(0, *(volatile char *)(p + i * ps));
	for (i = 0; i < win; i++)
		p[i * ps] = 1;
	GET_STATS(&st1);
	EXPECT_EQ(st0.faults_read + 1, st1.faults_read);
	EXPECT_EQ(st0.faults_cow, st1.faults_cow);

	/* A write fault in the next window maps its neighbours too. */
	p[(win + 3) * ps] = 2;
	for (i = win; i < 32; i++)
		EXPECT_EQ(i == win + 3 ? 2 : 0, p[i * ps]);
	GET_STATS(&st0);
	EXPECT_EQ(st1.faults_read, st0.faults_read);
	EXPECT_EQ(st1.faults_cow + 1, st0.faults_cow);
	for (i = 0; i < 32; i++)
		EXPECT_EQ(i < win ? 1 : i == win + 3 ? 2 : 0, p[i * ps]);
	munmap(area, (32 + win) * ps);
	close(fd);
}

/* --- memory the kernel manages: the same limits as /dev/zero ----------- */

static const char *const mem_paths[] = { "/dev/zero", VMAPDEMO_PATH };

/*
 * Strict overcommit (vm.overcommit_memory=2): a shared mapping takes the
 * commit charge /dev/zero's takes, for its whole size, MAP_NORESERVE or
 * not (strict mode ignores it), and one past the limit is refused alike.
 * Run in a child, as an unprivileged user, so that the policy is put back
 * whatever fails.
 */
static int strict_child(long long *delta, int *ok_err, int *big_err,
			int *nores_err)
{
	long long limit = meminfo_kb("CommitLimit:");
	long long used = meminfo_kb("Committed_AS:");
	size_t small = 32UL << 20, big;
	int i;

	if (limit <= 0 || used < 0)
		return -1;
	big = (size_t)(limit > used ? limit - used : 0) * 1024 + (64UL << 20);
	for (i = 0; i < 2; i++) {
		int fd = open(mem_paths[i], O_RDWR | O_CLOEXEC);
		long long before;
		void *p;

		if (fd < 0)
			return -1;
		before = meminfo_kb("Committed_AS:");
		p = mmap(NULL, small, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ok_err[i] = p == MAP_FAILED ? errno : 0;
		delta[i] = meminfo_kb("Committed_AS:") - before;
		if (p != MAP_FAILED)
			munmap(p, small);
		p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		big_err[i] = p == MAP_FAILED ? errno : 0;
		if (p != MAP_FAILED)
			munmap(p, big);
		p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
		nores_err[i] = p == MAP_FAILED ? errno : 0;
		if (p != MAP_FAILED)
			munmap(p, big);
		close(fd);
	}
	return 0;
}

TEST(shared_commit_charge_matches_dev_zero)
{
	struct {
		long long delta[2];
		int ok[2], big[2], nores[2], ret;
	} *r;
	char old[16] = "";
	pid_t pid;
	int i;

	REQUIRE_DEVICE();
	if (vd_read_file("/proc/sys/vm/overcommit_memory", old, sizeof(old)) < 0 ||
	    vd_write_str("/proc/sys/vm/overcommit_memory", "2"))
		SKIP(return, "cannot set vm.overcommit_memory (needs root)");
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	pid = fork();
	if (pid == 0) {
		/* As an unprivileged user: the nodes are 0666. */
		if (setgid(65534) || setuid(65534))
			r->ret = -2;
		else
			r->ret = strict_child(r->delta, r->ok, r->big, r->nores);
		_exit(0);
	}
	EXPECT_EQ(0, vd_wait(pid));
	vd_write_str("/proc/sys/vm/overcommit_memory", old);
	ASSERT_EQ(0, r->ret);
	for (i = 0; i < 2; i++)
		TH_LOG("%s strict: 32 MiB %s (Committed_AS +%lld kB), past the limit %s, with MAP_NORESERVE %s",
		       mem_paths[i], strerror(r->ok[i]), r->delta[i],
		       strerror(r->big[i]), strerror(r->nores[i]));
	EXPECT_EQ(0, r->ok[0]);
	EXPECT_EQ(0, r->ok[1]);
	EXPECT_EQ(ENOMEM, r->big[0]);
	EXPECT_EQ(r->big[0], r->big[1]);
	EXPECT_EQ(r->nores[0], r->nores[1]);
	/* The charge: 32 MiB on both, give or take other activity. */
	EXPECT_LE(32 * 1024 - 1024, r->delta[1]);
	EXPECT_GE(2048, llabs(r->delta[1] - r->delta[0]));
	munmap(r, sizeof(*r));
}

struct fault_thread {
	char *p;
	size_t len;
	int ok;
};

static void *fault_thread_fn(void *arg)
{
	struct fault_thread *t = arg;
	long ps = sysconf(_SC_PAGESIZE);
	size_t off;

	t->ok = 1;
	for (off = 0; off < t->len; off += ps)
		if (t->p[off] != 0)
			t->ok = 0;
	for (off = 0; off < t->len; off += ps)
		t->p[off] = (char)(off / ps) | 1;
	for (off = 0; off < t->len; off += ps)
		if (t->p[off] != ((char)(off / ps) | 1))
			t->ok = 0;
	return NULL;
}

/*
 * Threads faulting private pages at once (the VM has two CPUs): no fault
 * of ours returns a page of the module's for the core to lock, so the
 * threads share nothing but the zero page's PTEs; what they read and write
 * and the anonymous memory they end up with are /dev/zero's.
 */
TEST(private_faults_from_threads_match_dev_zero)
{
	const size_t len = 8UL << 20;
	long anon[2];
	int i, j;

	REQUIRE_DEVICE();
	for (i = 0; i < 2; i++) {
		struct fault_thread t[4];
		pthread_t tid[4];
		int fd = open(mem_paths[i], O_RDWR | O_CLOEXEC);
		char *p;

		ASSERT_LE(0, fd);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		close(fd);
		madvise(p, len, MADV_NOHUGEPAGE);
		for (j = 0; j < 4; j++) {
			t[j].p = p + j * (len / 4);
			t[j].len = len / 4;
			ASSERT_EQ(0, pthread_create(&tid[j], NULL, fault_thread_fn, &t[j]));
		}
		for (j = 0; j < 4; j++) {
			ASSERT_EQ(0, pthread_join(tid[j], NULL));
			EXPECT_TRUE(t[j].ok) TH_LOG("%s thread %d", mem_paths[i], j);
		}
		anon[i] = vd_smaps_kb(p, "Anonymous:");
		TH_LOG("%s: 4 threads wrote 8 MiB privately, Anonymous %ld kB",
		       mem_paths[i], anon[i]);
		munmap(p, len);
	}
	EXPECT_EQ((long)(len >> 10), anon[1]);
	EXPECT_EQ(anon[0], anon[1]);
}

#define SHMEM_ENABLED "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

/* A 2 MiB-aligned shared mapping of @len of @path, or MAP_FAILED. */
static char *map_pmd_aligned(const char *path, size_t len, char **area)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	char *p;

	*area = MAP_FAILED;
	if (fd < 0)
		return MAP_FAILED;
	p = vd_map_pmd_aligned(fd, len, MAP_SHARED, area);
	close(fd);
	return p;
}

/*
 * Huge mappings: with shmem_enabled=always, the shmem folios behind a
 * shared object are PMD-sized, and the module's ->fault returns one that
 * finish_fault() maps with a PMD: a first write to every page of a 2 MiB-
 * aligned 64 MiB mapping takes 32 faults, not 16384, and smaps reports it
 * all ShmemPmdMapped, as for /dev/zero with the same setting.
 */
TEST(shared_thp_pmd_mapped_like_dev_zero)
{
	const size_t len = 64UL << 20;
	long ps = sysconf(_SC_PAGESIZE);
	struct vmapdemo_stats st0, st1;
	char old[64] = "", *area, *p, *sel;
	long pmd_kb[2];
	size_t off;
	int i;

	REQUIRE_DEVICE();
	if (vd_read_file(SHMEM_ENABLED, old, sizeof(old)) < 0)
		SKIP(return, "no transparent huge pages in this kernel (CONFIG_TRANSPARENT_HUGEPAGE)");
	sel = strchr(old, '[');
	if (!sel || vd_write_str(SHMEM_ENABLED, "always"))
		SKIP(return, "cannot set %s (needs root)", SHMEM_ENABLED);
	for (i = 0; i < 2; i++) {
		p = map_pmd_aligned(mem_paths[i], len, &area);
		ASSERT_NE(MAP_FAILED, p);
		GET_STATS(&st0);
		for (off = 0; off < len; off += ps)
			p[off] = 1;
		GET_STATS(&st1);
		pmd_kb[i] = vd_smaps_kb(p, "ShmemPmdMapped:");
		TH_LOG("%s: 64 MiB written, ShmemPmdMapped %ld kB", mem_paths[i], pmd_kb[i]);
		if (i) {
			TH_LOG("vmapdemo: %llu write faults",
			       (unsigned long long)(st1.faults_write - st0.faults_write));
			EXPECT_EQ(len >> 21, st1.faults_write - st0.faults_write);
		}
		EXPECT_TRUE(vd_all(p, 1, 1));
		munmap(area, len + (2UL << 20));
	}
	*strchr(sel, ']') = 0;
	vd_write_str(SHMEM_ENABLED, sel + 1);
	EXPECT_EQ((long)(len >> 10), pmd_kb[0]);
	EXPECT_EQ(pmd_kb[0], pmd_kb[1]);
}

TEST_HARNESS_MAIN
