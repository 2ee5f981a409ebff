// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_store_memcg: a store's cache pages and memory cgroups.
 *
 * A store's cache is page cache (filemap_add_folio()): charged to the
 * memory cgroup of the task that faults a page in, on the LRU, so that a
 * cgroup's limit reclaims the clean pages (the medium holds their data)
 * and keeps the dirty ones. Each test runs a child in a cgroup of its own
 * and, where a kernel peer applies, runs the same sequence on a memfd in
 * a sibling cgroup and compares.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "vmapdemo_test.h"

#define STORE0		"/dev/" VMAPDEMO_STORE_NAME_PREFIX "0"
#define AGE_PARAM	"/sys/module/vmapdemo/parameters/writeback_age_ms"

static long ps;

/* What a child in a cgroup saw. */
struct outcome {
	int status;		/* exit code, or 128 + signal */
	int done;		/* the child finished its sequence */
	long long before;	/* memory.current before the faults */
	long long after;	/* ... and after them, in the child */
	long long bad;		/* pages that read back wrong */
	long long kills;	/* memory.events oom_kill, after */
	long long current;	/* memory.current, after the child exited */
	double secs;		/* how long the child took */
};

enum op { OP_READ, OP_WRITE };

/* For the logs only: how long each step took (nothing is timed). */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char pat(long long page)
{
	return (char)(page * 37 + 11) ?: 1;
}

/*
 * Fork a child into cgroup @cg that maps @len bytes of @fd shared and
 * touches every page: reads it (and checks it holds pat(page) if @check)
 * or writes pat(page) to it. It reports memory.current around that.
 */
static int run_in_cg(const char *cg, int fd, size_t len, enum op op, int check,
		     struct outcome *o)
{
	struct outcome c = { 0 };
	double t0 = now_s();
	int p[2];
	pid_t pid;

	memset(o, 0, sizeof(*o));
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		volatile char *m;
		size_t off;

		close(p[0]);
		if (vd_cg_write(cg, "cgroup.procs", "0"))
			_exit(2);
		m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			_exit(3);
		c.before = vd_cg_read(cg, "memory.current", NULL);
		for (off = 0; off < len; off += ps) {
			if (op == OP_WRITE)
				m[off] = pat(off / ps);
			else if (m[off] != pat(off / ps) && check)
				c.bad++;
		}
		c.after = vd_cg_read(cg, "memory.current", NULL);
		c.done = 1;
		if (write(p[1], &c, sizeof(c)) != sizeof(c))
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, sizeof(c)) != sizeof(c))
		c.done = 0;
	close(p[0]);
	*o = c;
	o->status = vd_wait(pid);
	o->kills = vd_cg_read(cg, "memory.events", "oom_kill ");
	o->current = vd_cg_read(cg, "memory.current", NULL);
	o->secs = now_s() - t0;
	return 0;
}

/* The store emptied, @size bytes long; no background writeback. */
static int store_open(size_t size)
{
	int fd = open(STORE0, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (vd_store_resize(fd, 0) || vd_store_resize(fd, size)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int store_sync(int fd, unsigned int flags)
{
	struct vmapdemo_store_sync sy = { .size = sizeof(sy), .flags = flags };

	return ioctl(fd, VMAPDEMO_STORE_IOC_SYNC, &sy);
}

FIXTURE(memcg) {
	char age[32];
	char cg[2][32];
	int fd;
};

FIXTURE_SETUP(memcg)
{
	const char *why = NULL;
	int i;

	ps = sysconf(_SC_PAGESIZE);
	self->fd = -1;
	if (access(STORE0, F_OK))
		SKIP(return, STORE0 " missing: load vmapdemo.ko");
	for (i = 0; i < 2; i++) {
		snprintf(self->cg[i], sizeof(self->cg[i]), "vd-store-%s",
			 i ? "memfd" : "store");
		if (vd_cg_setup(self->cg[i], &why))
			SKIP(return, "%s: %s", why, strerror(errno));
	}
	/* Only the sync ioctl writes back: dirty stays dirty. */
	if (vd_read_file(AGE_PARAM, self->age, sizeof(self->age)) <= 0)
		SKIP(return, AGE_PARAM " not readable");
	ASSERT_EQ(0, vd_write_str(AGE_PARAM, "0"));
}

FIXTURE_TEARDOWN(memcg)
{
	char path[64];
	int i, fd;

	/* Truncating the cache uncharges it before the cgroups go. */
	fd = open(STORE0, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		vd_store_resize(fd, 0);
		close(fd);
	}
	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < 2; i++) {
		if (!self->cg[i][0])
			continue;
		snprintf(path, sizeof(path), VD_CG_ROOT "/%s", self->cg[i]);
		rmdir(path);
	}
	if (self->age[0])
		vd_write_str(AGE_PARAM, self->age);
}

/*
 * Faulted store pages are charged to the faulting task's cgroup, as a
 * memfd's are: a child reads 8 MiB of a fresh store through a shared
 * mapping (each read fault adds a zero-filled folio: a store maps no zero
 * page in a shared mapping, nor does shmem), then writes 8 MiB more; the
 * same on a memfd in a sibling cgroup. memory.current grows by about the
 * faulted size on both, and by the same amount within per-CPU charge
 * batching.
 */
TEST_F(memcg, charged_to_faulting_task)
{
	const size_t half = 8 << 20;
	struct outcome s[2], m[2];
	int mfd, i;

	self->fd = store_open(2 * half);
	ASSERT_LE(0, self->fd);
	mfd = memfd_create("vd-memcg", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, 2 * half));

	ASSERT_EQ(0, run_in_cg(self->cg[0], self->fd, half, OP_READ, 0, &s[0]));
	ASSERT_EQ(0, run_in_cg(self->cg[1], mfd, half, OP_READ, 0, &m[0]));
	/* The second half: map it all, write it all (the first half refaults). */
	ASSERT_EQ(0, run_in_cg(self->cg[0], self->fd, 2 * half, OP_WRITE, 0, &s[1]));
	ASSERT_EQ(0, run_in_cg(self->cg[1], mfd, 2 * half, OP_WRITE, 0, &m[1]));
	for (i = 0; i < 2; i++) {
		long long sd = s[i].after - s[i].before, md = m[i].after - m[i].before;

		TH_LOG("%s %zu KiB: store +%lld KiB, memfd +%lld KiB; after exit %lld / %lld KiB (%.1f / %.1f s)",
		       i ? "write" : "read", (i + 1) * half >> 10, sd >> 10, md >> 10,
		       s[i].current >> 10, m[i].current >> 10, s[i].secs, m[i].secs);
		EXPECT_EQ(0, s[i].status);
		EXPECT_EQ(0, m[i].status);
		/* Charges are batched per CPU: allow a few hundred KiB either way. */
		EXPECT_LE((long long)half - (512 << 10), sd);
		EXPECT_GE((long long)half + (4 << 20), sd);
		EXPECT_LE((long long)half - (512 << 10), md);
		EXPECT_GE((long long)half + (4 << 20), md);
		/* The pages stay charged once the child is gone: page cache. */
		EXPECT_LE((long long)(i + 1) * half - (512 << 10), s[i].current);
		EXPECT_LE(s[i].current - (1 << 20), m[i].current);
		EXPECT_GE(s[i].current + (1 << 20), m[i].current);
	}
	close(mfd);
}

/*
 * Clean pages are reclaimed under the cgroup's limit: 32 MiB written,
 * synced and dropped from the cache (INVALIDATE), then read back by a
 * child through a shared mapping in a cgroup limited to 8 MiB (no swap).
 * Each fault reads a page from the medium; the limit reclaims the clean
 * pages behind it. The child survives with the right data, memory.current
 * stays within memory.max, no OOM kill, and the store counts the pages the
 * kernel took (pages_reclaimed). (No memfd peer: without swap a memfd has
 * no clean page to give back.)
 */
TEST_F(memcg, clean_pages_reclaimed_under_limit)
{
	const size_t len = 32 << 20, max = 8 << 20;
	struct vmapdemo_store_info a, b;
	static char page[65536];
	struct outcome o;
	size_t off;

	self->fd = store_open(len);
	ASSERT_LE(0, self->fd);
	for (off = 0; off < len; off += ps) {
		memset(page, pat(off / ps), ps);
		ASSERT_EQ(ps, pwrite(self->fd, page, ps, off));
	}
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_INVALIDATE));
	ASSERT_EQ(0, vd_store_info(self->fd, &a));
	ASSERT_EQ(0, a.resident_pages);
	ASSERT_EQ(len / ps, a.backing_pages);
	ASSERT_EQ(0, vd_cg_write(self->cg[0], "memory.max", "8M"));
	vd_cg_write(self->cg[0], "memory.swap.max", "0");

	ASSERT_EQ(0, run_in_cg(self->cg[0], self->fd, len, OP_READ, 1, &o));
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	TH_LOG("read %zu MiB under %zu MiB: status %d, +%lld KiB in the child, %lld KiB after, %lld oom kills, %llu pages reclaimed, %llu major faults (%.1f s)",
	       len >> 20, max >> 20, o.status, (o.after - o.before) >> 10,
	       o.current >> 10, o.kills,
	       (unsigned long long)(b.pages_reclaimed - a.pages_reclaimed),
	       (unsigned long long)(b.faults_major - a.faults_major), o.secs);
	EXPECT_EQ(0, o.status);
	EXPECT_TRUE(o.done);
	EXPECT_EQ(0, o.bad);
	EXPECT_EQ(0, o.kills);
	EXPECT_GE((long long)max, o.after);
	EXPECT_GE((long long)max, o.current);
	/* At least what did not fit was reclaimed, and all came from the medium. */
	EXPECT_LE((len - max) / ps, b.pages_reclaimed - a.pages_reclaimed);
	EXPECT_LE(len / ps, b.faults_major - a.faults_major);
	EXPECT_GE((unsigned long long)max / ps, b.resident_pages);
}

/*
 * Dirty pages are not reclaimed (nothing writes them back but a sync;
 * without swap a memfd's are not either): a child in a cgroup limited to
 * 2 MiB (no swap) that writes 8 MiB through a shared mapping meets the
 * limit with nothing to reclaim, on the store as on a memfd. The outcome
 * must be the same: here the memcg OOM killer kills the child, once at
 * least, on both. The store keeps what was written before the kill.
 *
 * Not the same: how long reclaim tries first. The memfd's pages are
 * swap-backed and there is no swap, so reclaim does not scan them and the
 * OOM comes at once; the store's dirty pages are file pages, scanned (and
 * unmapped) on every pass before each is put back. With an 8 MiB limit:
 * 0.4 s against 0.1 s on the stock kernels, but 288 s against 2 s under
 * the debug kernel's KASAN, page_owner and debug_pagealloc; with this
 * 2 MiB one, 84 s against 0.6 s there. Hence the small limit and the
 * longer time limit.
 */
TEST_F_TIMEOUT(memcg, dirty_pages_beyond_limit_as_memfd, 300)
{
	const size_t len = 8 << 20, max = 2 << 20;
	struct vmapdemo_store_info info;
	struct outcome s, m;
	int mfd, i;

	self->fd = store_open(len);
	ASSERT_LE(0, self->fd);
	mfd = memfd_create("vd-memcg", MFD_CLOEXEC);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, len));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, vd_cg_write(self->cg[i], "memory.max", "2M"));
		vd_cg_write(self->cg[i], "memory.swap.max", "0");
	}
	ASSERT_EQ(0, run_in_cg(self->cg[0], self->fd, len, OP_WRITE, 0, &s));
	ASSERT_EQ(0, run_in_cg(self->cg[1], mfd, len, OP_WRITE, 0, &m));
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	TH_LOG("write %zu MiB under %zu MiB: store status %d, %lld oom kills, %lld KiB; memfd status %d, %lld oom kills, %lld KiB; store dirty %llu pages (%.1f / %.1f s)",
	       len >> 20, max >> 20, s.status, s.kills, s.current >> 10,
	       m.status, m.kills, m.current >> 10,
	       (unsigned long long)info.dirty_pages, s.secs, m.secs);
	EXPECT_EQ(m.status, s.status);
	EXPECT_EQ(m.done, s.done);
	EXPECT_EQ(m.kills > 0, s.kills > 0);
	EXPECT_EQ(128 + SIGKILL, s.status);
	EXPECT_GE((long long)max, s.current);
	/* What was written stays, dirty: none was dropped to make room. */
	EXPECT_LE((max - (512 << 10)) / ps, info.dirty_pages);
	EXPECT_EQ(info.resident_pages, info.dirty_pages);
	close(mfd);
}

TEST_HARNESS_MAIN
