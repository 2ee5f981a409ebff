// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_msync: dirty tracking, msync, fsync, background writeback and
 * the simulated crash of store nodes.
 *
 * Every test runs on /dev/vmapdemo-store0, emptied (cache and backing
 * store) before it, with background writeback off (writeback_age_ms = 0)
 * unless the test turns it on; the parameter is restored afterwards.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/io_uring.h>

#include "kselftest_harness.h"
#include "vmapdemo_test.h"

#define STORE0		"/dev/" VMAPDEMO_STORE_NAME_PREFIX "0"
#define AGE_PARAM	"/sys/module/vmapdemo/parameters/writeback_age_ms"
#define TEST_SIZE	(1 << 20)

static long ps;

static int store_sync(int fd, unsigned int flags, unsigned long long off,
		      unsigned long long len, struct vmapdemo_store_sync *out)
{
	struct vmapdemo_store_sync sy = {
		.size = sizeof(sy), .flags = flags, .offset = off, .length = len,
	};
	int ret = ioctl(fd, VMAPDEMO_STORE_IOC_SYNC, &sy);

	if (out)
		*out = sy;
	return ret;
}

static int set_age(const char *val)
{
	int fd = open(AGE_PARAM, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

static unsigned long long content_sum(int fd, size_t len)
{
	unsigned long long sum = 1469598103934665603ULL;
	static char buf[65536];
	size_t off = 0, i;

	while (off < len) {
		ssize_t n = pread(fd, buf, sizeof(buf) < len - off ? sizeof(buf) : len - off, off);

		if (n <= 0)
			break;
		for (i = 0; i < (size_t)n; i++)
			sum = (sum ^ (unsigned char)buf[i]) * 1099511628211ULL;
		off += n;
	}
	return sum ^ off;
}

static char page_byte(int fd, off_t off)
{
	char c = 0x7f;

	if (pread(fd, &c, 1, off) != 1)
		return 0x7e;
	return c;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

FIXTURE(msync) {
	int fd;
	char age[32];
	struct vmapdemo_store_info base;	/* counters are cumulative */
};

FIXTURE_SETUP(msync)
{
	ps = sysconf(_SC_PAGESIZE);
	self->fd = -1;
	if (access(STORE0, F_OK))
		SKIP(return, STORE0 " missing: load vmapdemo.ko");
	if (vd_read_file(AGE_PARAM, self->age, sizeof(self->age)) <= 0)
		SKIP(return, AGE_PARAM " not readable");
	ASSERT_EQ(0, set_age("0"));
	self->fd = vd_store_open_empty(STORE0, TEST_SIZE);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vd_store_info(self->fd, &self->base));
}

/* A counter's growth since the test started. */
#define DELTA(info, field)	((info).field - self->base.field)

FIXTURE_TEARDOWN(msync)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->age[0])
		set_age(self->age);
}

/* write -> crash -> the old data (here: zeros). */
TEST_F(msync, write_crash_old)
{
	struct vmapdemo_store_info info;

	ASSERT_EQ(3, pwrite(self->fd, "new", 3, ps + 1));
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(1, info.dirty_pages);
	EXPECT_EQ(0, info.backing_pages);
	EXPECT_EQ(1, vd_store_crash(self->fd));
	EXPECT_EQ(0, page_byte(self->fd, ps + 1));
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(0, info.dirty_pages);
	EXPECT_EQ(1, DELTA(info, crash_dropped));
	EXPECT_EQ(1, DELTA(info, crashes));
	EXPECT_EQ(1, DELTA(info, crash_gen));
	EXPECT_EQ(TEST_SIZE, info.store_size);	/* the size is not on the medium */
}

/* write -> sync -> crash -> the new data. */
TEST_F(msync, write_sync_crash_new)
{
	struct vmapdemo_store_sync sy;
	struct vmapdemo_store_info info;
	char rd[3];

	ASSERT_EQ(3, pwrite(self->fd, "new", 3, ps + 1));
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, &sy));
	EXPECT_EQ(1, sy.pages_written);
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(0, info.dirty_pages);
	EXPECT_EQ(1, info.backing_pages);
	EXPECT_EQ(info.sync_gen, sy.sync_gen);
	EXPECT_EQ(0, vd_store_crash(self->fd));
	ASSERT_EQ(3, pread(self->fd, rd, 3, ps + 1));
	EXPECT_EQ(0, memcmp(rd, "new", 3));
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(1, DELTA(info, faults_major));	/* read in from the medium */
}

/* sync A, write B, crash -> A; through a shared mapping. */
TEST_F(msync, syncA_writeB_crash_A)
{
	char *p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);

	ASSERT_NE(MAP_FAILED, p);
	p[0] = 'A';
	p[ps] = 'a';
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, NULL));
	p[0] = 'B';
	p[ps] = 'b';
	EXPECT_EQ(2, vd_store_crash(self->fd));
	/* The mapping was zapped: it refaults from the backing store. */
	EXPECT_EQ('A', p[0]);
	EXPECT_EQ('a', p[ps]);
	EXPECT_EQ('A', page_byte(self->fd, 0));
	munmap(p, 2 * ps);
}

/*
 * The write-protect after a writeback reaches every writable shared
 * mapping of the page, in any mix and order of private, read-only shared
 * and writable shared mappings (they sit in one i_mmap tree, ordered by
 * offset): write A, sync, write B, sync, then crash, munmap + reclaim, or
 * INVALIDATE: B must survive each.
 */
enum { MIX_PRIV, MIX_RO, MIX_RW };
static const struct {
	const char *name;
	int n;
	int kind[4];
	long pgoff[4];	/* each maps 2 pages from here; page 1 is the target */
} mixes[] = {
	{ "rw", 1, { MIX_RW }, { 0 } },
	{ "priv,rw", 2, { MIX_PRIV, MIX_RW }, { 0, 0 } },
	{ "priv-below,rw", 2, { MIX_PRIV, MIX_RW }, { 0, 1 } },
	{ "ro,rw", 2, { MIX_RO, MIX_RW }, { 0, 0 } },
	{ "ro-below,rw", 2, { MIX_RO, MIX_RW }, { 0, 1 } },
	{ "rw,priv,ro,rw2", 4, { MIX_RW, MIX_PRIV, MIX_RO, MIX_RW }, { 1, 0, 0, 1 } },
	{ "priv,ro,rw-below", 3, { MIX_PRIV, MIX_RO, MIX_RW }, { 1, 1, 0 } },
};

TEST_F(msync, write_protect_every_mapping)
{
	unsigned int m, k, end;
	char *maps[4], *w;
	int rofd;

	rofd = open(STORE0, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, rofd);
	for (m = 0; m < sizeof(mixes) / sizeof(mixes[0]); m++) {
		for (end = 0; end < 3; end++) {
			w = NULL;
			for (k = 0; k < (unsigned int)mixes[m].n; k++) {
				int kind = mixes[m].kind[k];

				maps[k] = mmap(NULL, 2 * ps, kind == MIX_RO ? PROT_READ :
					       PROT_READ | PROT_WRITE,
					       kind == MIX_PRIV ? MAP_PRIVATE : MAP_SHARED,
					       kind == MIX_RO ? rofd : self->fd,
					       mixes[m].pgoff[k] * ps);
				ASSERT_NE(MAP_FAILED, maps[k]);
				/* Map the target page in each (reads only). */
				(void)*(volatile char *)(maps[k] + (1 - mixes[m].pgoff[k]) * ps);
				if (kind == MIX_RW)
					w = maps[k] + (1 - mixes[m].pgoff[k]) * ps;
			}
			ASSERT_NE(NULL, w);
			w[0] = 'A';
			ASSERT_EQ(0, fsync(self->fd));
			w[0] = 'B';
			ASSERT_EQ(0, fsync(self->fd));
			if (end == 0) {
				ASSERT_EQ(0, vd_store_crash(self->fd));
				ASSERT_EQ(0, fsync(self->fd) ? errno - EIO : 0);
			}
			for (k = 0; k < (unsigned int)mixes[m].n; k++)
				munmap(maps[k], 2 * ps);
			if (end == 1) {
				ASSERT_EQ(0, vd_write_str("/proc/sys/vm/drop_caches", "3"));
			} else if (end == 2) {
				ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_INVALIDATE,
							0, 0, NULL));
			}
			EXPECT_EQ('B', page_byte(self->fd, ps))
				TH_LOG("mappings %s, then %s", mixes[m].name,
				       end == 0 ? "crash" : end == 1 ? "drop_caches" :
				       "INVALIDATE");
			if (end == 1) {
				/* And a crash after the reclaim finds it too. */
				ASSERT_EQ(0, vd_store_crash(self->fd));
				ASSERT_EQ(0, fsync(self->fd) ? errno - EIO : 0);
				EXPECT_EQ('B', page_byte(self->fd, ps));
			}
		}
	}
	close(rofd);
}

/*
 * O_SYNC, O_DSYNC, RWF_SYNC and RWF_DSYNC writes are in the backing store
 * when the call returns: a crash right after keeps them. A plain write
 * does not survive.
 */
TEST_F(msync, synchronous_writes_survive_crash)
{
	struct iovec iov;
	int sfd, dfd;

	sfd = open(STORE0, O_RDWR | O_SYNC | O_CLOEXEC);
	dfd = open(STORE0, O_RDWR | O_DSYNC | O_CLOEXEC);
	ASSERT_LE(0, sfd);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(1, pwrite(sfd, "s", 1, 0));
	ASSERT_EQ(1, pwrite(dfd, "d", 1, ps));
	iov.iov_base = "r";
	iov.iov_len = 1;
	ASSERT_EQ(1, pwritev2(self->fd, &iov, 1, 2 * ps, RWF_DSYNC));
	iov.iov_base = "y";
	ASSERT_EQ(1, pwritev2(self->fd, &iov, 1, 3 * ps, RWF_SYNC));
	ASSERT_EQ(1, pwrite(self->fd, "p", 1, 4 * ps));	/* not synchronous */
	EXPECT_EQ(1, vd_store_crash(self->fd));
	EXPECT_EQ('s', page_byte(self->fd, 0));
	EXPECT_EQ('d', page_byte(self->fd, ps));
	EXPECT_EQ('r', page_byte(self->fd, 2 * ps));
	EXPECT_EQ('y', page_byte(self->fd, 3 * ps));
	EXPECT_EQ(0, page_byte(self->fd, 4 * ps));
	/* After a crash, a synchronous write reports it (EIO) once. */
	EXPECT_EQ(-1, pwrite(dfd, "e", 1, 5 * ps));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(1, pwrite(dfd, "f", 1, 5 * ps));
	close(sfd);
	close(dfd);
}

/*
 * Writes that reach a page through GUP rather than a write fault of the
 * writer's own mapping: process_vm_writev(), /proc/pid/mem and
 * PTRACE_POKEDATA into a child's MAP_SHARED mapping, after the page was
 * written back (clean, write-protected). Each must be written back by the
 * next fsync() and survive a crash.
 */
TEST_F(msync, gup_writes_survive_crash)
{
	struct vd_sync sy;
	char *p, path[64];
	struct iovec l, r;
	long word;
	int how, st, mfd;
	pid_t pid;

	for (how = 0; how < 3; how++) {
		p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		memset(p, 'o', 64);
		ASSERT_EQ(0, fsync(self->fd));
		ASSERT_EQ(0, vd_sync_init(&sy));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			/* Hold the mapping until the parent is done with it. */
			vd_sync_post(sy.to_parent[1]);
			vd_sync_wait(sy.to_child[0]);
			_exit(0);
		}
		ASSERT_EQ(0, vd_sync_wait(sy.to_parent[0]));
		memcpy(&word, "gupgupgu", sizeof(word));
		if (how == 0) {
			l.iov_base = &word;
			l.iov_len = sizeof(word);
			r.iov_base = p;
			r.iov_len = sizeof(word);
			EXPECT_EQ((ssize_t)sizeof(word), process_vm_writev(pid, &l, 1, &r, 1, 0));
		} else if (how == 1) {
			snprintf(path, sizeof(path), "/proc/%d/mem", pid);
			mfd = open(path, O_RDWR | O_CLOEXEC);
			ASSERT_LE(0, mfd);
			EXPECT_EQ((ssize_t)sizeof(word),
				  pwrite(mfd, &word, sizeof(word), (off_t)(unsigned long)p));
			close(mfd);
		} else {
			ASSERT_EQ(0, ptrace(PTRACE_ATTACH, pid, NULL, NULL));
			ASSERT_EQ(pid, waitpid(pid, &st, 0));
			EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, pid, p, (void *)word));
			ASSERT_EQ(0, ptrace(PTRACE_DETACH, pid, NULL, NULL));
		}
		vd_sync_post(sy.to_child[1]);
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		vd_sync_close(&sy);
		EXPECT_EQ(0, memcmp(p, "gupgupgu", 8)) TH_LOG("path %d", how);
		ASSERT_EQ(0, fsync(self->fd));
		munmap(p, ps);
		EXPECT_EQ(0, vd_store_crash(self->fd));
		ASSERT_EQ(0, fsync(self->fd) ? errno - EIO : 0);
		EXPECT_EQ('g', page_byte(self->fd, 0)) TH_LOG("%s",
			how == 0 ? "process_vm_writev" : how == 1 ? "/proc/pid/mem" :
			"PTRACE_POKEDATA");
		EXPECT_EQ('u', page_byte(self->fd, 1));
	}
}

/*
 * process_vm_writev() into our own shared mapping pins the page, copies,
 * and reports the write with folio_mark_dirty() when it unpins. A sync
 * that runs between the pin and the copy clears the page's dirty mark
 * and write-protects it, but cannot stop the copy through the pin: only
 * that report (or the pin itself) tells the next sync to copy the page
 * again. Race the two, then check that the last value survives a crash.
 */
struct gup_race {
	char *p;
	int fd;
	volatile int stop;
	unsigned long last;
	int err;
};

static void *gup_race_syncer(void *arg)
{
	struct gup_race *g = arg;

	while (!g->stop)
		if (fsync(g->fd))
			g->err = errno;
	return NULL;
}

TEST_F(msync, gup_write_races_sync)
{
	struct gup_race g = { .fd = self->fd };
	unsigned long v, got;
	struct iovec l, r;
	pthread_t t;
	int i;

	g.p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, g.p);
	g.p[0] = 1;
	ASSERT_EQ(0, pthread_create(&t, NULL, gup_race_syncer, &g));
	for (i = 0; i < 3000; i++) {
		v = 0x1000 + i;
		l.iov_base = &v;
		l.iov_len = sizeof(v);
		r.iov_base = g.p + 64;
		r.iov_len = sizeof(v);
		ASSERT_EQ((ssize_t)sizeof(v), process_vm_writev(getpid(), &l, 1, &r, 1, 0));
		g.last = v;
	}
	g.stop = 1;
	pthread_join(t, NULL);
	EXPECT_EQ(0, g.err);
	ASSERT_EQ(0, fsync(self->fd));
	munmap(g.p, ps);
	EXPECT_EQ(0, vd_store_crash(self->fd));
	ASSERT_EQ(0, fsync(self->fd) ? errno - EIO : 0);
	ASSERT_EQ((ssize_t)sizeof(got), pread(self->fd, &got, sizeof(got), 64));
	EXPECT_EQ(g.last, got);
}

/*
 * INVALIDATE of the first page, again and again, beside a writer: until
 * @stop, or @max times (then it sets @stop itself). Only INVALIDATE writes
 * back in these tests (no background writeback), so an EBUSY with
 * pages_written grown came after the writeback (the page dirty again or
 * pinned by then), and any other from the pin check.
 */
struct inval_race {
	int fd;
	int stop;			/* __atomic */
	unsigned long max, runs, busy, busy_written;
	int err;
};

static void *inval_race_thread(void *arg)
{
	struct vmapdemo_store_info a, b;
	struct inval_race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) &&
	       (!r->max || r->runs < r->max)) {
		if (vd_store_info(r->fd, &a)) {
			r->err = errno;
			break;
		}
		if (store_sync(r->fd, VMAPDEMO_STORE_SYNC_INVALIDATE, 0, ps, NULL)) {
			if (errno != EBUSY)
				r->err = errno;
			else if (!vd_store_info(r->fd, &b))
				b.pages_written > a.pages_written ? r->busy_written++ : r->busy++;
		}
		r->runs++;
	}
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * The same write racing INVALIDATE, which unmaps the range, refuses a
 * pinned page, writes back and drops the cache. Each round reads the page
 * first, so that a fault maps it again while INVALIDATE runs (fault-around,
 * or ->fault finding it cached), then pins it for writing: a pin that
 * INVALIDATE missed would let the drop take the pinned folio out of the
 * cache, and the write would land in a page the store no longer has.
 * Every write must be read back by pread(), whatever INVALIDATE did
 * (EBUSY, with the range written back, if a pin came while it ran).
 */
TEST_F(msync, gup_write_races_invalidate)
{
	struct inval_race r = { .fd = self->fd };
	unsigned long v, got, lost = 0;
	struct iovec l, iov;
	pthread_t t;
	char *p;
	int i;

	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, pthread_create(&t, NULL, inval_race_thread, &r));
	for (i = 0; i < 20000; i++) {
		v = 0x2000 + i;
		(void)__atomic_load_n(p, __ATOMIC_RELAXED);
		l.iov_base = &v;
		l.iov_len = sizeof(v);
		iov.iov_base = p + 64;
		iov.iov_len = sizeof(v);
		ASSERT_EQ((ssize_t)sizeof(v), process_vm_writev(getpid(), &l, 1, &iov, 1, 0));
		ASSERT_EQ((ssize_t)sizeof(got), pread(self->fd, &got, sizeof(got), 64));
		if (got != v && !lost++)
			TH_LOG("write %lu lost: read %lu", v, got);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	TH_LOG("%lu INVALIDATEs, EBUSY: %lu at the pin check, %lu after writing back",
	       r.runs, r.busy, r.busy_written);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, lost);
	munmap(p, ps);
}

/*
 * INVALIDATE racing plain stores through a shared mapping, with no pin
 * and no mlock anywhere: it must never fail. A store after its unmap
 * faults the page in again (fault-around maps it read-only on the read
 * that comes first), and the write that follows must wait in
 * ->page_mkwrite until INVALIDATE is done: were the page dirtied between
 * the writeback and the drop, the drop would refuse it (EBUSY, after
 * writing back). The last value stored must be what pread() returns.
 */
TEST_F(msync, invalidate_races_mapping_writes)
{
	struct inval_race r = { .fd = self->fd, .max = 5000 };
	unsigned long v = 0, got, *p;
	pthread_t t;

	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[8] = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, inval_race_thread, &r));
	while (!__atomic_load_n(&r.stop, __ATOMIC_ACQUIRE)) {
		(void)__atomic_load_n(&p[0], __ATOMIC_RELAXED);
		__atomic_store_n(&p[8], ++v, __ATOMIC_RELAXED);
	}
	pthread_join(t, NULL);
	TH_LOG("%lu INVALIDATEs, %lu stores", r.runs, v);
	EXPECT_EQ(0, r.err);
	EXPECT_EQ(0, r.busy + r.busy_written);
	ASSERT_EQ((ssize_t)sizeof(got), pread(self->fd, &got, sizeof(got), 64));
	EXPECT_EQ(v, got);
	munmap(p, ps);
}

/*
 * What a shared mapping writes past the end of the store within its last
 * page never reaches the backing store: after a sync, an append and a
 * crash, the appended range (not synced) reads zeros, not that write.
 */
TEST_F(msync, past_eof_never_reaches_medium)
{
	char *p, rd[16], zero[16] = { 0 };
	int afd;

	ASSERT_EQ(0, vd_store_resize(self->fd, ps + 100));
	p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 'a';
	memset(p + ps + 100, 'x', ps - 100);
	ASSERT_EQ(0, fsync(self->fd));
	afd = open(STORE0, O_WRONLY | O_APPEND | O_CLOEXEC);
	ASSERT_LE(0, afd);
	ASSERT_EQ(4, write(afd, "tail", 4));
	close(afd);
	munmap(p, 2 * ps);
	EXPECT_EQ(1, vd_store_crash(self->fd));
	EXPECT_EQ('a', page_byte(self->fd, 0));
	ASSERT_EQ(4, pread(self->fd, rd, 4, ps + 100));
	EXPECT_EQ(0, memcmp(rd, zero, 4));
	ASSERT_EQ(0, vd_store_resize(self->fd, 2 * ps));
	ASSERT_EQ(16, pread(self->fd, rd, 16, ps + 100));
	EXPECT_EQ(0, memcmp(rd, zero, 16));
}

/* msync(MS_SYNC) on the mapping reaches the same writeback. */
TEST_F(msync, msync_ms_sync_writes_back)
{
	char *p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	struct vmapdemo_store_info a, b;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, vd_store_info(self->fd, &a));
	p[0] = 1;
	p[2 * ps] = 2;
	p[3 * ps] = 3;
	/* Only the first three pages: page 3 stays dirty. */
	ASSERT_EQ(0, msync(p, 3 * ps, MS_SYNC));
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(2, b.pages_written - a.pages_written);
	EXPECT_EQ(1, b.syncs - a.syncs);
	EXPECT_EQ(1, b.dirty_pages);
	EXPECT_EQ(1, vd_store_crash(self->fd));
	EXPECT_EQ(1, p[0]);
	EXPECT_EQ(2, p[2 * ps]);
	EXPECT_EQ(0, p[3 * ps]);
	munmap(p, 4 * ps);
}

/* fsync() and fdatasync() write back too. */
TEST_F(msync, fsync_fdatasync_write_back)
{
	struct vmapdemo_store_info info;

	ASSERT_EQ(1, pwrite(self->fd, "f", 1, 0));
	ASSERT_EQ(0, fsync(self->fd));
	ASSERT_EQ(1, pwrite(self->fd, "d", 1, 5 * ps));
	ASSERT_EQ(0, fdatasync(self->fd));
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(0, info.dirty_pages);
	EXPECT_EQ(2, DELTA(info, pages_written));
	EXPECT_EQ(2, DELTA(info, syncs));
	EXPECT_EQ(0, vd_store_crash(self->fd));
	EXPECT_EQ('f', page_byte(self->fd, 0));
	EXPECT_EQ('d', page_byte(self->fd, 5 * ps));
}

/*
 * A written-back page is clean and write-protected: the next write through
 * the mapping goes through ->page_mkwrite and dirties it again.
 */
TEST_F(msync, writeback_rearms_write_tracking)
{
	char *p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	struct vmapdemo_store_info a, b;

	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, NULL));
	ASSERT_EQ(0, vd_store_info(self->fd, &a));
	EXPECT_EQ(0, a.dirty_pages);
	p[1] = 2;
	p[2] = 3;	/* writable now: no second fault */
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(1, b.faults_mkwrite - a.faults_mkwrite);
	EXPECT_EQ(1, b.dirty_pages);
	EXPECT_EQ(0, b.faults_read - a.faults_read);	/* still mapped */
	EXPECT_EQ(1, vd_store_crash(self->fd));
	EXPECT_EQ(1, p[0]);
	EXPECT_EQ(0, p[1]);
	munmap(p, ps);
}

/* Only the range is written back. */
TEST_F(msync, sync_range)
{
	struct vmapdemo_store_sync sy;
	char c;
	int i;

	for (i = 0; i < 10; i++) {
		c = 'a' + i;
		ASSERT_EQ(1, pwrite(self->fd, &c, 1, i * ps));
	}
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 2 * ps, 3 * ps, &sy));
	EXPECT_EQ(3, sy.pages_written);
	/* offset == size, length 0: an empty range. */
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, TEST_SIZE, 0, &sy));
	EXPECT_EQ(0, sy.pages_written);
	EXPECT_EQ(7, vd_store_crash(self->fd));
	for (i = 0; i < 10; i++)
		EXPECT_EQ(i >= 2 && i < 5 ? 'a' + i : 0, page_byte(self->fd, i * ps));
}

/* sync_gen rises with every completed synchronous sync, not with ASYNC. */
TEST_F(msync, sync_gen)
{
	struct vmapdemo_store_sync a, b, c;

	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, &a));
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, ps, &b));
	EXPECT_EQ(a.sync_gen + 1, b.sync_gen);
	ASSERT_EQ(0, fsync(self->fd));
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_ASYNC, 0, 0, &c));
	EXPECT_EQ(b.sync_gen + 1, c.sync_gen);
	EXPECT_EQ(0, c.pages_written);
}

/*
 * Poll for up to 30 s until writeback has written a page since
 * @base; *@info gets the last reading. 0, or -1 if GET_INFO failed.
 */
static int wait_written(int fd, const struct vmapdemo_store_info *base,
			struct vmapdemo_store_info *info)
{
	double t0 = now_s();

	do {
		if (vd_store_info(fd, info))
			return -1;
		if (info->pages_written - base->pages_written >= 1)
			break;
		usleep(10000);
	} while (now_s() - t0 < 30);
	return 0;
}

/* ASYNC starts writeback and returns; it completes without us. */
TEST_F(msync, async_completes)
{
	struct vmapdemo_store_info info;

	ASSERT_EQ(1, pwrite(self->fd, "x", 1, 0));
	ASSERT_EQ(1, pwrite(self->fd, "y", 1, 7 * ps));
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_ASYNC, 0, ps, NULL));
	/*
	 * Bounded wait, not a timing assertion. pages_written counts a page
	 * after its copy (dirty_pages drops before it), so wait for that.
	 */
	ASSERT_EQ(0, wait_written(self->fd, &self->base, &info));
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(1, info.dirty_pages);		/* page 7 was not in the range */
	EXPECT_EQ(1, DELTA(info, pages_written));
	EXPECT_EQ(1, vd_store_crash(self->fd));
	EXPECT_EQ('x', page_byte(self->fd, 0));
	EXPECT_EQ(0, page_byte(self->fd, 7 * ps));
}

/* Background writeback writes back pages older than writeback_age_ms. */
TEST_F(msync, background_writeback)
{
	struct vmapdemo_store_info info;
	char *p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);

	ASSERT_NE(MAP_FAILED, p);
	p[0] = 'w';
	ASSERT_EQ(0, set_age("50"));
	ASSERT_EQ(0, wait_written(self->fd, &self->base, &info));
	/* Runs the worker a last time and waits for it. */
	ASSERT_EQ(0, set_age("0"));
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(0, info.dirty_pages);
	EXPECT_EQ(1, DELTA(info, pages_written));
	EXPECT_EQ(0, DELTA(info, syncs));	/* no sync did it */
	EXPECT_EQ(0, vd_store_crash(self->fd));
	EXPECT_EQ('w', p[0]);
	munmap(p, ps);
}

/* With writeback_age_ms = 0 nothing is written back behind our back. */
TEST_F(msync, no_background_when_off)
{
	struct vmapdemo_store_info info;
	char age[32];

	/* Off for sure, not merely long (the default is 30 s). */
	ASSERT_EQ(0, set_age("0"));
	ASSERT_LT(0, vd_read_file(AGE_PARAM, age, sizeof(age)));
	ASSERT_EQ(0, atoi(age));
	ASSERT_EQ(1, pwrite(self->fd, "z", 1, 0));
	/* 20 times the 50 ms age at which background_writeback gets one. */
	usleep(1000000);
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(1, info.dirty_pages);
	EXPECT_EQ(0, DELTA(info, pages_written));
	/* Then on: the same dirty page is written back (the path works). */
	ASSERT_EQ(0, set_age("50"));
	ASSERT_EQ(0, wait_written(self->fd, &self->base, &info));
	ASSERT_EQ(0, set_age("0"));
	EXPECT_EQ(1, DELTA(info, pages_written));
}

/* INVALIDATE drops the cached pages; every mapping then sees the medium. */
TEST_F(msync, invalidate_refaults_from_medium)
{
	char *s = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	char *p = mmap(NULL, 4 * ps, PROT_READ, MAP_PRIVATE, self->fd, 0);
	struct vmapdemo_store_info a, b;
	struct vmapdemo_store_sync sy;

	ASSERT_NE(MAP_FAILED, s);
	ASSERT_NE(MAP_FAILED, p);
	s[0] = 'i';
	EXPECT_EQ('i', p[0]);
	ASSERT_EQ(1, pwrite(self->fd, "j", 1, ps));	/* a store change */
	ASSERT_EQ(0, vd_store_info(self->fd, &a));
	EXPECT_EQ(2, a.resident_pages);
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_INVALIDATE, 0, 0, &sy));
	EXPECT_EQ(2, sy.pages_written);
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(0, b.resident_pages);
	EXPECT_EQ(2, b.pages_invalidated - a.pages_invalidated);
	/* Both mappings refault from the backing store and see the change. */
	EXPECT_EQ('j', p[ps]);
	EXPECT_EQ('j', s[ps]);
	EXPECT_EQ('i', s[0]);
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(2, b.faults_major - a.faults_major);
	munmap(s, 4 * ps);
	munmap(p, 4 * ps);
}

/* INVALIDATE over mlock()ed pages: EBUSY, nothing done. */
TEST_F(msync, invalidate_mlocked_ebusy)
{
	char *s = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	struct vmapdemo_store_info info;

	ASSERT_NE(MAP_FAILED, s);
	s[0] = 1;
	s[ps] = 2;
	if (mlock(s, ps))
		SKIP(return, "mlock: %s", strerror(errno));
	errno = 0;
	EXPECT_EQ(-1, store_sync(self->fd, VMAPDEMO_STORE_SYNC_INVALIDATE, 0, 0, NULL));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(2, info.dirty_pages);			/* nothing written back */
	/* The other page alone is fine. */
	EXPECT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_INVALIDATE, ps, ps, NULL));
	ASSERT_EQ(0, munlock(s, ps));
	EXPECT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_INVALIDATE, 0, 0, NULL));
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(0, info.resident_pages);
	EXPECT_EQ(1, s[0]);
	EXPECT_EQ(2, s[ps]);
	munmap(s, 2 * ps);
}

/* Every errno of the sync ioctl, with nothing written back after each. */
TEST_F(msync, sync_bad_args)
{
	struct { unsigned int flags; unsigned long long off, len; int err; } c[] = {
		{ 1U << 3, 0, 0, EINVAL },
		{ 1U << 31, 0, 0, EINVAL },
		{ ~0U, 0, 0, EINVAL },
		{ VMAPDEMO_STORE_SYNC_SYNC | VMAPDEMO_STORE_SYNC_ASYNC, 0, 0, EINVAL },
		{ VMAPDEMO_STORE_SYNC_SYNC | VMAPDEMO_STORE_SYNC_ASYNC |
		  VMAPDEMO_STORE_SYNC_INVALIDATE, 0, 0, EINVAL },
		{ VMAPDEMO_STORE_SYNC_SYNC, 1, 0, EINVAL },
		{ VMAPDEMO_STORE_SYNC_SYNC, 4095, 4096, EINVAL },
		{ VMAPDEMO_STORE_SYNC_SYNC, (1ULL << 32) + 1, 0, EINVAL },
		{ VMAPDEMO_STORE_SYNC_SYNC, ~0ULL, 0, EINVAL },
		{ VMAPDEMO_STORE_SYNC_SYNC, 1ULL << 63, 0, EOVERFLOW },
		{ VMAPDEMO_STORE_SYNC_SYNC, 4096, ~0ULL, EOVERFLOW },
		{ VMAPDEMO_STORE_SYNC_SYNC, 1ULL << 62, 1ULL << 62, EOVERFLOW },
		{ VMAPDEMO_STORE_SYNC_SYNC, ~0ULL & ~4095ULL, 4096, EOVERFLOW },
		{ VMAPDEMO_STORE_SYNC_SYNC, TEST_SIZE + 4096, 0, ENXIO },
		{ VMAPDEMO_STORE_SYNC_SYNC, 0, TEST_SIZE + 1, ENXIO },
		{ VMAPDEMO_STORE_SYNC_SYNC, TEST_SIZE - 4096, 8192, ENXIO },
		{ VMAPDEMO_STORE_SYNC_SYNC, 1ULL << 32, 4096, ENXIO },
		{ VMAPDEMO_STORE_SYNC_ASYNC, 1ULL << 32, 0, ENXIO },
	};
	struct vmapdemo_store_sync sy;
	struct vmapdemo_store_info a, b;
	unsigned long long before;
	unsigned int i;
	char *p;

	ASSERT_EQ(4, pwrite(self->fd, "dirt", 4, 0));
	ASSERT_EQ(4, pwrite(self->fd, "dirt", 4, TEST_SIZE - 4));
	before = content_sum(self->fd, TEST_SIZE);
	ASSERT_EQ(0, vd_store_info(self->fd, &a));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, store_sync(self->fd, c[i].flags, c[i].off, c[i].len, NULL))
			TH_LOG("case %u", i);
		EXPECT_EQ(c[i].err, errno) TH_LOG("case %u", i);
	}
	/* The struct itself: too small, too big with garbage, bad pointers. */
	memset(&sy, 0, sizeof(sy));
	sy.size = 16;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMAPDEMO_STORE_IOC_SYNC, &sy));
	EXPECT_EQ(EINVAL, errno);
	sy.size = 0;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMAPDEMO_STORE_IOC_SYNC, &sy));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMAPDEMO_STORE_IOC_SYNC, NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMAPDEMO_STORE_IOC_SYNC, (void *)-4096L));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, _IO(VMAPDEMO_IOC_MAGIC, 0x2f), &sy));
	EXPECT_EQ(ENOTTY, errno);
	/* msync(2) itself: its own checks, before reaching the store. */
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	errno = 0;
	EXPECT_EQ(-1, msync(p, ps, MS_SYNC | MS_ASYNC));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, msync(p + 1, ps, MS_SYNC));
	EXPECT_EQ(EINVAL, errno);
	munmap(p, ps);
	ASSERT_EQ(0, vd_store_info(self->fd, &b));
	EXPECT_EQ(a.pages_written, b.pages_written);
	EXPECT_EQ(2, b.dirty_pages);
	EXPECT_EQ(a.syncs, b.syncs);
	EXPECT_EQ(before, content_sum(self->fd, TEST_SIZE));
}

/* The crash ioctl: flags, fd mode, pointers. Nothing is dropped on error. */
TEST_F(msync, crash_bad_args)
{
	struct vmapdemo_store_crash cr;
	struct vmapdemo_store_info info;
	int fd;

	ASSERT_EQ(4, pwrite(self->fd, "keep", 4, 0));
	memset(&cr, 0, sizeof(cr));
	cr.size = sizeof(cr);
	cr.flags = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMAPDEMO_STORE_IOC_CRASH, &cr));
	EXPECT_EQ(EINVAL, errno);
	cr.flags = 0;
	cr.size = 8;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMAPDEMO_STORE_IOC_CRASH, &cr));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, VMAPDEMO_STORE_IOC_CRASH, NULL));
	EXPECT_EQ(EFAULT, errno);
	fd = open(STORE0, O_RDONLY);
	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(-1, vd_store_crash(fd));
	EXPECT_EQ(EBADF, errno);
	close(fd);
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(0, DELTA(info, crashes));
	EXPECT_EQ(1, info.dirty_pages);
	EXPECT_EQ('k', page_byte(self->fd, 0));
}

/*
 * A crash is reported once to the next sync of every file open at the
 * time, as fsync() reports writeback errors; files opened later see none.
 */
TEST_F(msync, crash_reported_once_per_file)
{
	char *p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	int other = open(STORE0, O_RDWR), later;

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_LE(0, other);
	p[0] = 1;
	EXPECT_EQ(1, vd_store_crash(other));
	errno = 0;
	EXPECT_EQ(-1, msync(p, ps, MS_SYNC));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(0, msync(p, ps, MS_SYNC));
	errno = 0;
	EXPECT_EQ(-1, fsync(other));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(0, store_sync(other, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, NULL));
	later = open(STORE0, O_RDWR);
	ASSERT_LE(0, later);
	EXPECT_EQ(0, fsync(later));
	close(later);
	close(other);
	munmap(p, ps);
}

/* Crash: shared mappings are zapped, private copies stay with their owner. */
TEST_F(msync, crash_zaps_mappings)
{
	char *s = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	char *p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);

	ASSERT_NE(MAP_FAILED, s);
	ASSERT_NE(MAP_FAILED, p);
	s[0] = 's';
	s[ps] = 't';
	EXPECT_EQ('t', p[ps]);		/* maps the store's page */
	p[0] = 'p';			/* a private copy */
	EXPECT_EQ(2, vd_store_crash(self->fd));
	EXPECT_EQ(0, s[0]);
	EXPECT_EQ(0, s[ps]);
	EXPECT_EQ(0, p[ps]);
	EXPECT_EQ('p', p[0]);
	munmap(s, 2 * ps);
	munmap(p, 2 * ps);
}

/* dirty_at_last_close: the last close does not write back; it is counted. */
TEST_F(msync, last_close_counts_dirty)
{
	struct vmapdemo_store_info info;
	char *p = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	int fd;

	ASSERT_NE(MAP_FAILED, p);
	p[0] = p[ps] = p[2 * ps] = 1;
	munmap(p, 3 * ps);
	close(self->fd);
	self->fd = -1;
	fd = open(STORE0, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vd_store_info(fd, &info));
	EXPECT_EQ(3, info.dirty_at_last_close);
	EXPECT_EQ(3, info.dirty_pages);
	EXPECT_EQ(0, DELTA(info, pages_written));
	EXPECT_EQ(3, vd_store_crash(fd));
	close(fd);
}

/* A shrink drops the backing pages too; the tail of a partial page is zero. */
TEST_F(msync, shrink_reaches_medium)
{
	char buf[2 * 4096];

	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ((ssize_t)sizeof(buf), pwrite(self->fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, fsync(self->fd));
	ASSERT_EQ(0, vd_store_resize(self->fd, 100));
	ASSERT_EQ(0, vd_store_resize(self->fd, TEST_SIZE));
	EXPECT_EQ(0, vd_store_crash(self->fd));
	EXPECT_EQ(0x5a, page_byte(self->fd, 99));
	EXPECT_EQ(0, page_byte(self->fd, 100));
	EXPECT_EQ(0, page_byte(self->fd, ps));
	/* SEEK_DATA sees the backing store's page while nothing is cached. */
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_DATA));
}

/*
 * Since 6.5 a writable long-term pin (io_uring fixed buffers) of a mapping
 * with page_mkwrite fails with EFAULT; 6.1's io_uring refuses file-backed
 * buffers with EOPNOTSUPP. Either way it fails cleanly.
 */
TEST_F(msync, io_uring_fixed_buffer_refused)
{
	struct io_uring_params params;
	struct vmapdemo_store_info info;
	struct iovec iov;
	char *s, *anon;
	int ring;

	memset(&params, 0, sizeof(params));
	ring = syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0)
		SKIP(return, "io_uring_setup: %s", strerror(errno));
	anon = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	iov.iov_base = anon;
	iov.iov_len = ps;
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1)) {
		close(ring);
		SKIP(return, "cannot register even anonymous buffers: %s", strerror(errno));
	}
	ASSERT_EQ(0, syscall(__NR_io_uring_register, ring, IORING_UNREGISTER_BUFFERS, NULL, 0));

	s = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, s);
	s[0] = 'u';
	iov.iov_base = s;
	errno = 0;
	EXPECT_EQ(-1, syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS, &iov, 1));
	EXPECT_TRUE(errno == EFAULT || errno == EOPNOTSUPP) TH_LOG("errno %d", errno);
	/* Nothing stayed pinned: the page can be invalidated. */
	EXPECT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_INVALIDATE, 0, 0, NULL));
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(0, info.resident_pages);
	EXPECT_EQ('u', s[0]);
	close(ring);
	munmap(s, ps);
	munmap(anon, ps);
}

/*
 * Sync cost follows the number of dirty pages, not the store size: 64 and
 * 256 dirty pages spread over a 16 MiB and over a 64 GiB store, synced
 * once to populate the backing store and timed on the second round.
 * Printed, not asserted (no timing assertions).
 */
TEST_F(msync, sync_cost_figure)
{
	unsigned long long sizes[] = { 16ULL << 20, 64ULL << 30 };
	unsigned int counts[] = { 64, 256 };
	struct vmapdemo_store_sync sy;
	unsigned int i, j, k, round;
	double t0, t = 0;
	char c = 1;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < 2; k++) {
			ASSERT_EQ(0, vd_store_resize(self->fd, 0));
			ASSERT_EQ(0, vd_store_resize(self->fd, sizes[i]));
			for (round = 0; round < 2; round++) {
				for (j = 0; j < counts[k]; j++)
					ASSERT_EQ(1, pwrite(self->fd, &c, 1,
						(off_t)j * (sizes[i] / counts[k])));
				t0 = now_s();
				ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, &sy));
				t = now_s() - t0;
				EXPECT_EQ(counts[k], sy.pages_written);
			}
			/* And a sync with nothing dirty, over the whole store. */
			t0 = now_s();
			ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, &sy));
			TH_LOG("store %6llu MiB, %3u dirty pages: sync %6.0f us (%.1f us/page); nothing dirty: %.0f us",
			       sizes[i] >> 20, counts[k], t * 1e6, t * 1e6 / counts[k],
			       (now_s() - t0) * 1e6);
		}
	}
	ASSERT_EQ(0, vd_store_resize(self->fd, 0));
	ASSERT_EQ(0, vd_store_resize(self->fd, TEST_SIZE));
}

/*
 * The race: writer threads stamp rising sequence numbers into their pages
 * (one through a shared mapping, one with pwrite() of whole pages), a
 * thread syncs in a loop (ioctl and fsync on its own fd), and another
 * crashes the store at random. After each crash every page holds a value
 * no older than the last sync that covered it and completed (returned 0),
 * and every pwrite() page is whole (never torn).
 *
 * The model: a value written before a crash completed may be lost by it,
 * so after each crash the checker (writers parked) resets last[] to what
 * the store holds; a sync counts if it returned 0 and its snapshot of
 * last[] was taken with no crash in progress. A crash that begins during
 * the sync is fine either way: the sync fails with EIO, or it returned 0
 * because every copy was done before the crash began.
 * Bounded: 40 crashes or 20 seconds.
 */
#define RACE_PAGES	32
#define RACE_WRITERS	2

struct race {
	int fd;
	uint64_t *map;
	volatile int stop, pause;
	int paused;
	uint64_t last[RACE_PAGES];		/* last value written */
	uint64_t guaranteed[RACE_PAGES];	/* by a completed sync */
	unsigned long crash_started, crash_done;	/* under lock */
	pthread_mutex_t lock;
	unsigned long syncs, eio, crashes, failures;
};

static void race_pause_point(struct race *r)
{
	if (!r->pause)
		return;
	__atomic_add_fetch(&r->paused, 1, __ATOMIC_SEQ_CST);
	while (r->pause && !r->stop)
		usleep(100);
	__atomic_sub_fetch(&r->paused, 1, __ATOMIC_SEQ_CST);
}

static void *race_writer(void *arg)
{
	struct race *r = ((struct race **)arg)[0];
	long t = (long)((void **)arg)[1];
	uint64_t seq = 0, buf[4096 / 8];
	size_t words = ps / 8;
	int i, k;

	while (!r->stop) {
		race_pause_point(r);
		for (i = t; i < RACE_PAGES; i += RACE_WRITERS) {
			seq++;
			if (t == 0) {
				/* Through the shared mapping. */
				__atomic_store_n(&r->map[i * words], seq, __ATOMIC_RELAXED);
			} else {
				for (k = 0; k < 512; k++)
					buf[k] = seq;
				if (pwrite(r->fd, buf, ps, (off_t)i * ps) != ps)
					__atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
			}
			__atomic_store_n(&r->last[i], seq, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

static void *race_syncer(void *arg)
{
	struct race *r = arg;
	uint64_t snap[RACE_PAGES];
	int fd = open(STORE0, O_RDWR), i, ret;

	if (fd < 0) {
		/* No syncer: the test would pass without racing anything. */
		r->failures++;
		return NULL;
	}
	while (!r->stop) {
		pthread_mutex_lock(&r->lock);
		if (r->crash_started != r->crash_done) {
			pthread_mutex_unlock(&r->lock);
			usleep(100);
			continue;
		}
		/* Written before the sync starts: it must be kept. */
		for (i = 0; i < RACE_PAGES; i++)
			snap[i] = __atomic_load_n(&r->last[i], __ATOMIC_ACQUIRE);
		pthread_mutex_unlock(&r->lock);
		if (r->syncs & 1)
			ret = fsync(fd);
		else
			ret = store_sync(fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, NULL);
		if (ret) {
			if (errno == EIO)
				r->eio++;
			else
				r->failures++;
			continue;
		}
		pthread_mutex_lock(&r->lock);
		for (i = 0; i < RACE_PAGES; i++)
			if (snap[i] > r->guaranteed[i])
				r->guaranteed[i] = snap[i];
		pthread_mutex_unlock(&r->lock);
		r->syncs++;
	}
	close(fd);
	return NULL;
}

/* Context: writers parked, r->lock held. */
static int race_check(struct race *r, int all_equal_last)
{
	uint64_t page[4096 / 8];
	size_t words = ps / 8, k;
	int i, bad = 0;

	for (i = 0; i < RACE_PAGES; i++) {
		if (pread(r->fd, page, ps, (off_t)i * ps) != ps)
			return -1;
		if (page[0] < r->guaranteed[i]) {
			fprintf(stderr, "# page %d: %llu older than synced %llu\n", i,
				(unsigned long long)page[0],
				(unsigned long long)r->guaranteed[i]);
			bad++;
		}
		if (all_equal_last && page[0] != r->last[i])
			bad++;
		if (i % RACE_WRITERS == 1)
			for (k = 1; k < words; k++)
				if (page[k] != page[0]) {
					fprintf(stderr, "# page %d torn at word %zu\n", i, k);
					bad++;
					break;
				}
		/* What survived is what the page holds from now on. */
		r->last[i] = page[0];
	}
	return bad;
}

TEST_F(msync, race_sync_crash)
{
	struct race r = { .fd = self->fd };
	void *wargs[RACE_WRITERS][2];
	pthread_t w[RACE_WRITERS], s;
	unsigned int seed = 42;
	double t0 = now_s();
	long i;

	pthread_mutex_init(&r.lock, NULL);
	r.map = mmap(NULL, RACE_PAGES * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, r.map);
	for (i = 0; i < RACE_WRITERS; i++) {
		wargs[i][0] = &r;
		wargs[i][1] = (void *)i;
		ASSERT_EQ(0, pthread_create(&w[i], NULL, race_writer, wargs[i]));
	}
	ASSERT_EQ(0, pthread_create(&s, NULL, race_syncer, &r));
	while (r.crashes < 40 && now_s() - t0 < 20) {
		usleep(rand_r(&seed) % 5000);
		pthread_mutex_lock(&r.lock);
		r.crash_started++;
		pthread_mutex_unlock(&r.lock);
		ASSERT_LE(0, vd_store_crash(self->fd));
		r.crashes++;
		/* Check with the writers parked (the syncer keeps going). */
		r.pause = 1;
		while (__atomic_load_n(&r.paused, __ATOMIC_SEQ_CST) < RACE_WRITERS)
			usleep(100);
		pthread_mutex_lock(&r.lock);
		EXPECT_EQ(0, race_check(&r, 0)) TH_LOG("after crash %lu", r.crashes);
		r.crash_done++;
		pthread_mutex_unlock(&r.lock);
		r.pause = 0;
	}
	r.stop = 1;
	for (i = 0; i < RACE_WRITERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(s, NULL);
	/* Finally: sync, crash, and every page holds its last value. */
	if (fsync(self->fd))	/* our fd saw the crashes: reported once */
		ASSERT_EQ(EIO, errno);
	ASSERT_EQ(0, fsync(self->fd));
	for (i = 0; i < RACE_PAGES; i++)
		r.guaranteed[i] = r.last[i];
	ASSERT_LE(0, vd_store_crash(self->fd));
	EXPECT_EQ(0, race_check(&r, 1));
	EXPECT_EQ(0, r.failures);
	EXPECT_LT(0, r.crashes);
	/* It raced: syncs completed between crashes and some reported one. */
	EXPECT_LT(0, r.syncs);
	EXPECT_LT(0, r.eio);
	TH_LOG("%lu crashes, %lu syncs completed, %lu reported a crash (EIO)",
	       r.crashes, r.syncs, r.eio);
	munmap(r.map, RACE_PAGES * ps);
}

TEST_HARNESS_MAIN
