// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_zero: /dev/vmapdemo maps like /dev/zero. Each test runs the same
 * sequence on /dev/zero and on /dev/vmapdemo (FIXTURE_VARIANT) and asserts
 * what a program can observe; both variants must give the same answers.
 *
 * This file holds the seeds' programs (changed only in the path and in
 * reporting through the harness instead of printf), the fork/COW behaviour
 * (ideas from tools/testing/selftests/mm/cow.c) and the traps of
 * ../shared/reference/mmap-drivers.md section 4.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/sendfile.h>
#include <sys/mman.h>
#include <sys/uio.h>
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
	self->fd = -1;
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

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_TRUE(vd_all(p, len, 0));
	memset(p, 0x5a, len / 2);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (p[0] != 0x5a || p[len - 1] != 0)
			_exit(1);
		memset(p, 0x11, len);
		_exit(p[0] == 0x11 ? 0 : 2);
	}
	ASSERT_EQ(0, vd_wait(pid));
	EXPECT_TRUE(vd_all(p, len / 2, 0x5a));
	EXPECT_TRUE(vd_all(p + len / 2, len / 2, 0));
	munmap(p, len);
}

TEST_F(zero, shared_visible_across_fork)
{
	size_t len = 8 * self->pagesize;
	volatile int *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	pid_t pid;

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, p[0]);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		p[0] = 100;
		p[len / sizeof(int) - 1] = 200;
		_exit(0);
	}
	ASSERT_EQ(0, vd_wait(pid));
	EXPECT_EQ(100, p[0]);
	EXPECT_EQ(200, p[len / sizeof(int) - 1]);
	munmap((void *)p, len);
}

TEST_F(zero, shared_mmaps_are_distinct)
{
	size_t len = self->pagesize;
	int *a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	int *b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	pid_t pid;

	ASSERT_NE(MAP_FAILED, a);
	ASSERT_NE(MAP_FAILED, b);
	a[0] = 42;
	EXPECT_EQ(0, b[0]);
	/* Still distinct in a child that inherited both. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		b[0] = 7;
		_exit(a[0] == 42 ? 0 : 1);
	}
	ASSERT_EQ(0, vd_wait(pid));
	EXPECT_EQ(42, a[0]);
	EXPECT_EQ(7, b[0]);
	munmap(a, len);
	munmap(b, len);
}

/*
 * Seed (TLPI 49, "fork counter"): one shared int, the fd closed right after
 * mmap(), the child increments it, the parent sees 2.
 */
TEST_F(zero, seed_fork_counter)
{
	int *addr, fd;
	pid_t pid;

	fd = open(variant->path, O_RDWR);
	ASSERT_LE(0, fd);
	addr = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, addr);
	ASSERT_EQ(0, close(fd));
	*addr = 1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		(*addr)++;
		_exit(munmap(addr, sizeof(int)) ? 1 : 0);
	}
	ASSERT_EQ(0, vd_wait(pid));
	EXPECT_EQ(2, *addr);
	EXPECT_EQ(0, munmap(addr, sizeof(int)));
}

/* Seed (private_anon.c): a 512 KiB private allocation, as malloc makes. */
TEST_F(zero, seed_private_512k)
{
	const size_t size = 512 * 1024;
	unsigned char *buf;
	int i;

	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, buf);
	EXPECT_EQ(0, buf[0]);
	EXPECT_EQ(0, buf[size - 1]);
	memset(buf, 0xAB, size);
	for (i = 0; i < 10; i++)
		EXPECT_EQ(0xAB, buf[i * 4096]);
	EXPECT_TRUE(vd_all(buf, size, 0xAB));
	EXPECT_EQ(0, munmap(buf, size));
}

/* Seed (shared_anon_ipc.c): the child writes 100 and 200, the parent reads. */
TEST_F(zero, seed_shared_ipc)
{
	const size_t size = 4096;
	int *shared;
	pid_t pid;

	shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, shared);
	shared[0] = 0;
	shared[1] = 0;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		shared[0] = 100;
		shared[1] = 200;
		munmap(shared, size);
		_exit(0);
	}
	ASSERT_EQ(0, vd_wait(pid));
	EXPECT_EQ(100, shared[0]);
	EXPECT_EQ(200, shared[1]);
	EXPECT_EQ(0, munmap(shared, size));
}

/* Seed (shared_mutex.c): a process-shared mutex, 1000 + 1000 increments. */
TEST_F(zero, seed_pshared_mutex_counter)
{
	struct shared_data {
		pthread_mutex_t lock;
		int counter;
	} *sd;
	pthread_mutexattr_t attr;
	pid_t pid;
	int i;

	sd = mmap(NULL, sizeof(*sd), PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, sd);
	pthread_mutexattr_init(&attr);
	ASSERT_EQ(0, pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED));
	ASSERT_EQ(0, pthread_mutex_init(&sd->lock, &attr));
	pthread_mutexattr_destroy(&attr);
	sd->counter = 0;
	pid = fork();
	ASSERT_LE(0, pid);
	for (i = 0; i < 1000; i++) {
		pthread_mutex_lock(&sd->lock);
		sd->counter++;
		pthread_mutex_unlock(&sd->lock);
	}
	if (pid == 0) {
		munmap(sd, sizeof(*sd));
		_exit(0);
	}
	ASSERT_EQ(0, vd_wait(pid));
	EXPECT_EQ(2000, sd->counter);
	pthread_mutex_destroy(&sd->lock);
	EXPECT_EQ(0, munmap(sd, sizeof(*sd)));
}

/*
 * The seed above only contends now and then: a PTHREAD_PROCESS_SHARED
 * mutex sleeps and wakes on a shared futex only when it is contended, and
 * glibc aborts if the kernel cannot key that futex on the page. Check the
 * futex itself, across fork, on every run.
 */
TEST_F(zero, pshared_futex_across_fork)
{
	int *p;

	p = mmap(NULL, self->pagesize, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, vd_futex_across_fork(p));
	EXPECT_EQ(0, munmap(p, self->pagesize));
}

/*
 * Seed ("understanding memory allocations"): a shared mapping far larger
 * than the VM's 1 GiB of RAM succeeds; touching a sparse subset of it
 * costs only what is touched. (The seed then touches every 512th byte of
 * all of it, which on a machine without that much memory ends in the OOM
 * killer: see the memcg OOM test in vmapdemo_zero_mm.)
 */
TEST_F(zero, seed_mapping_larger_than_ram)
{
	const size_t len = 8UL << 30;
	size_t off;
	char *p;

	/*
	 * The shmem object behind a shared mapping, /dev/zero's and
	 * vmapdemo's alike, takes a commit charge for its whole size
	 * (unless MAP_NORESERVE), which the heuristic overcommit mode
	 * refuses when it exceeds RAM + swap; MAP_NORESERVE maps it.
	 */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	if (p == MAP_FAILED) {
		EXPECT_EQ(ENOMEM, errno);
		TH_LOG("8 GiB MAP_SHARED refused (commit charge)");
	} else {
		munmap(p, len);
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("8 GiB shared: %s", strerror(errno));
	for (off = 0; off < len; off += 256UL << 20)
		p[off] = 1;
	for (off = 0; off < len; off += 256UL << 20)
		EXPECT_EQ(1, p[off]);
	EXPECT_EQ(0, p[len - 1]);
	EXPECT_EQ(0, munmap(p, len));

	/* Private and writable: MAP_NORESERVE skips the commit charge. */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[len / 2] = 3;
	EXPECT_EQ(3, p[len / 2]);
	EXPECT_EQ(0, p[len - 1]);
	EXPECT_EQ(0, munmap(p, len));
}

/*
 * cow.c: the parent modifies its memory after fork (optionally after an
 * mprotect() round trip that write-protects the PTEs); a private child
 * must keep seeing the old contents, a shared one sees the new.
 */
static int cow_in_parent(int fd, size_t len, int flags, int do_mprotect,
			 int *child_saw_old)
{
	struct vd_sync s;
	char *p, *old;
	pid_t pid;
	int ret = -1;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	memset(p, 0x5a, len);
	if (vd_sync_init(&s))
		goto out;
	pid = fork();
	if (pid < 0)
		goto out_sync;
	if (pid == 0) {
		old = malloc(len);
		memcpy(old, p, len);
		vd_sync_post(s.to_parent[1]);
		vd_sync_wait(s.to_child[0]);
		_exit(memcmp(old, p, len) ? 1 : 0);
	}
	vd_sync_wait(s.to_parent[0]);
	if (do_mprotect &&
	    (mprotect(p, len, PROT_READ) || mprotect(p, len, PROT_READ | PROT_WRITE)))
		goto out_kill;
	memset(p, 0xff, len);
	vd_sync_post(s.to_child[1]);
	ret = vd_wait(pid);
	if (ret == 0 || ret == 1) {
		*child_saw_old = !ret;
		ret = 0;
	}
	goto out_sync;
out_kill:
	kill(pid, SIGKILL);
	vd_wait(pid);
out_sync:
	vd_sync_close(&s);
out:
	munmap(p, len);
	return ret;
}

TEST_F(zero, cow_after_fork)
{
	size_t len = 4 * self->pagesize;
	int saw_old = -1;

	ASSERT_EQ(0, cow_in_parent(self->fd, len, MAP_PRIVATE, 0, &saw_old));
	EXPECT_EQ(1, saw_old);
	ASSERT_EQ(0, cow_in_parent(self->fd, len, MAP_SHARED, 0, &saw_old));
	EXPECT_EQ(0, saw_old);
}

TEST_F(zero, cow_after_fork_with_mprotect)
{
	size_t len = 4 * self->pagesize;
	int saw_old = -1;

	ASSERT_EQ(0, cow_in_parent(self->fd, len, MAP_PRIVATE, 1, &saw_old));
	EXPECT_EQ(1, saw_old);
	ASSERT_EQ(0, cow_in_parent(self->fd, len, MAP_SHARED, 1, &saw_old));
	EXPECT_EQ(0, saw_old);
}

/*
 * cow.c test_vmsplice_in_child: the child takes a read-only GUP reference
 * (vmsplice) on the pages and unmaps them; the parent then writes. With a
 * private mapping the pipe must still hold the old data (no leak from the
 * parent into the child); with a shared one the pipe holds the same pages.
 * Run on written pages and on pages that were only read (the zero page).
 */
static int vmsplice_in_child(int fd, size_t len, int flags, int prefill,
			     int *pipe_has_old)
{
	struct vd_sync s;
	char *p, *old, *got;
	pid_t pid;
	int ret = -1;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	if (prefill)
		memset(p, 0x5a, len);
	else if (!vd_all(p, len, 0))
		goto out;
	if (vd_sync_init(&s))
		goto out;
	pid = fork();
	if (pid < 0)
		goto out_sync;
	if (pid == 0) {
		struct iovec iov = { .iov_base = p, .iov_len = len };
		ssize_t n, total, cur;
		int fds[2];

		old = malloc(len);
		got = malloc(len);
		memcpy(old, p, len);
		if (pipe(fds))
			_exit(10);
		n = vmsplice(fds[1], &iov, 1, 0);
		if (n <= 0)
			_exit(11);
		if (munmap(p, len))
			_exit(12);
		vd_sync_post(s.to_parent[1]);
		vd_sync_wait(s.to_child[0]);
		for (total = 0; total < n; total += cur) {
			cur = read(fds[0], got + total, n - total);
			if (cur <= 0)
				_exit(13);
		}
		_exit(memcmp(old, got, n) ? 1 : 0);
	}
	vd_sync_wait(s.to_parent[0]);
	memset(p, 0xff, len);
	vd_sync_post(s.to_child[1]);
	ret = vd_wait(pid);
	if (ret == 0 || ret == 1) {
		*pipe_has_old = !ret;
		ret = 0;
	}
out_sync:
	vd_sync_close(&s);
out:
	munmap(p, len);
	return ret;
}

TEST_F(zero, vmsplice_in_child_then_unmap)
{
	size_t len = 4 * self->pagesize;
	int old = -1;

	ASSERT_EQ(0, vmsplice_in_child(self->fd, len, MAP_PRIVATE, 1, &old));
	EXPECT_EQ(1, old);
	ASSERT_EQ(0, vmsplice_in_child(self->fd, len, MAP_PRIVATE, 0, &old));
	EXPECT_EQ(1, old);
	ASSERT_EQ(0, vmsplice_in_child(self->fd, len, MAP_SHARED, 1, &old));
	EXPECT_EQ(0, old);
}

/*
 * Trap (6.12): a MAP_SHARED mmap placed right after an existing VMA of the
 * same file at the next file offset may be merged into it without ->mmap.
 * The new mapping must still be a new, zero-filled object. A was mapped
 * with 4 pages, written, and cut back to 2, so that a wrong merge would
 * show A's old pages 2 and 3 through B.
 */
TEST_F(zero, trap_adjacent_shared_next_offset_is_new_object)
{
	long ps = self->pagesize;
	char *a, *b, *hole;
	pid_t pid;

	/* Reserve room for A (2 pages) followed by B (4 pages). */
	hole = mmap(NULL, 6 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	a = mmap(hole, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 self->fd, 0);
	ASSERT_EQ(hole, a);
	memset(a, 0xa1, 4 * ps);
	ASSERT_EQ(0, munmap(a + 2 * ps, 2 * ps));
	ASSERT_EQ(0, munmap(a + 2 * ps, 4 * ps));

	b = mmap(a + 2 * ps, 4 * ps, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED_NOREPLACE, self->fd, 2 * ps);
	ASSERT_EQ(a + 2 * ps, b) TH_LOG("mmap B: %s", strerror(errno));
	/* B is a 4-page object at file offset 2: pages 2, 3 exist, 4, 5 do not. */
	EXPECT_TRUE(vd_all(b, 2 * ps, 0));
	EXPECT_EQ(SIGBUS, vd_probe(b + 2 * ps, 0, 0));
	EXPECT_EQ(SIGBUS, vd_probe(b + 3 * ps, 1, 1));
	b[0] = 0x0b;
	EXPECT_TRUE(vd_all(a, 2 * ps, 0xa1));
	a[0] = 0x0a;
	EXPECT_EQ(0x0b, b[0]);
	/* Both are inherited, and stay distinct, across fork. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		b[1] = 0x1b;
		_exit(a[0] == 0x0a && a[1] == (char)0xa1 ? 0 : 1);
	}
	ASSERT_EQ(0, vd_wait(pid));
	EXPECT_EQ(0x1b, b[1]);
	EXPECT_EQ((char)0xa1, a[1]);
	munmap(a, 6 * ps);
}

/* The same placement with no hole in the offsets: B at offset 2 after A. */
TEST_F(zero, trap_adjacent_mmaps_stay_distinct)
{
	long ps = self->pagesize;
	int flags[] = { MAP_SHARED, MAP_PRIVATE };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		char *a, *b;

		a = mmap(NULL, 4 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, a);
		ASSERT_EQ(a, mmap(a, 2 * ps, PROT_READ | PROT_WRITE,
				  flags[i] | MAP_FIXED, self->fd, 0));
		memset(a, 0x33, 2 * ps);
		b = mmap(a + 2 * ps, 2 * ps, PROT_READ | PROT_WRITE,
			 flags[i] | MAP_FIXED, self->fd, 2 * ps);
		ASSERT_EQ(a + 2 * ps, b);
		if (flags[i] == MAP_SHARED) {
			/* A 2-page object at offset 2: both pages past its end. */
			EXPECT_EQ(SIGBUS, vd_probe(b, 0, 0));
		} else {
			EXPECT_TRUE(vd_all(b, 2 * ps, 0));
			memset(b, 0x44, 2 * ps);
		}
		EXPECT_TRUE(vd_all(a, 2 * ps, 0x33));
		munmap(a, 4 * ps);
	}
}

/*
 * Trap: O_RDONLY + MAP_SHARED clears VM_SHARED but is still a shared
 * mapping. PROT_WRITE is refused at mmap and mprotect time, and a private
 * writable mapping of an O_RDONLY fd works.
 */
TEST_F(zero, trap_rdonly_fd)
{
	long ps = self->pagesize;
	char line[512];
	char *p;
	int fd;

	fd = open(variant->path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_EQ(EACCES, errno);

	p = mmap(NULL, 2 * ps, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_TRUE(vd_all(p, 2 * ps, 0));
	ASSERT_TRUE(vd_maps_line(p, line, sizeof(line)));
	EXPECT_EQ(0, strncmp(strchr(line, ' ') + 1, "r--s", 4)) TH_LOG("%s", line);
	errno = 0;
	EXPECT_EQ(-1, mprotect(p, ps, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(SIGSEGV, vd_probe(p, 1, 1));
	munmap(p, 2 * ps);

	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 9;
	EXPECT_EQ(9, p[0]);
	munmap(p, ps);
	close(fd);

	fd = open(variant->path, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mmap(NULL, ps, PROT_READ, MAP_PRIVATE, fd, 0));
	EXPECT_EQ(EACCES, errno);
	close(fd);
}

/*
 * A shared object's size is the mmap length and its pages are indexed by
 * file offset: mmap(3 pages, offset 1 page) gives pages 1 and 2, and SIGBUS
 * (not an endless refault) for page 3. Private mappings have no end.
 */
TEST_F(zero, trap_shared_offset_sigbus_not_loop)
{
	long ps = self->pagesize;
	char *p;

	p = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, ps);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, vd_probe(p, 1, 1));
	EXPECT_EQ(0, vd_probe(p + ps, 1, 2));
	EXPECT_EQ(SIGBUS, vd_probe(p + 2 * ps, 0, 0));
	EXPECT_EQ(SIGBUS, vd_probe(p + 2 * ps, 1, 3));
	EXPECT_EQ(1, p[0]);
	EXPECT_EQ(2, p[ps]);
	munmap(p, 3 * ps);

	p = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 1L << 40);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, vd_probe(p + 2 * ps, 0, 0));
	EXPECT_EQ(0, vd_probe(p + 2 * ps, 1, 3));
	munmap(p, 3 * ps);
}

/*
 * read() and write() with the buffer inside the mapping: the kernel copies
 * to and from the mapping's pages (faulting them in from the syscall).
 */
TEST_F(zero, read_write_buffer_inside_mapping)
{
	long ps = self->pagesize;
	int flags[] = { MAP_SHARED, MAP_PRIVATE };
	unsigned int i;

	for (i = 0; i < 2; i++) {
		size_t len = 8 * ps;
		char *p;
		int fds[2];

		p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags[i], self->fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, pipe(fds));
		/* Untouched pages out through write(), back in through read(). */
		ASSERT_EQ(2 * ps, write(fds[1], p, 2 * ps));
		memset(p, 0x77, 2 * ps);
		ASSERT_EQ(2 * ps, read(fds[0], p + 4 * ps, 2 * ps));
		EXPECT_TRUE(vd_all(p + 4 * ps, 2 * ps, 0));
		/* Written pages out, into untouched ones. */
		ASSERT_EQ(2 * ps, write(fds[1], p, 2 * ps));
		ASSERT_EQ(2 * ps, read(fds[0], p + 6 * ps, 2 * ps));
		EXPECT_TRUE(vd_all(p + 6 * ps, 2 * ps, 0x77));
		/* The device's own read() (zeros) into the mapping. */
		ASSERT_EQ(ps, read(self->fd, p, ps));
		EXPECT_TRUE(vd_all(p, ps, 0));
		/* ... and its write() from the mapping discards. */
		EXPECT_EQ(ps, write(self->fd, p + ps, ps));
		EXPECT_TRUE(vd_all(p + ps, ps, 0x77));
		close(fds[0]);
		close(fds[1]);
		munmap(p, len);
	}
}

/* /proc/pid/maps names the device, like /dev/zero's "(deleted)" object. */
TEST_F(zero, maps_names_device)
{
	long ps = self->pagesize;
	char line[512], want[128];
	char *p;

	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_TRUE(vd_maps_line(p, line, sizeof(line)));
	snprintf(want, sizeof(want), " %s", variant->path);
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s", line);
	EXPECT_EQ(NULL, strstr(line, "(deleted)")) TH_LOG("%s", line);
	EXPECT_EQ(0, strncmp(strchr(line, ' ') + 1, "rw-p", 4)) TH_LOG("%s", line);
	munmap(p, ps);

	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_TRUE(vd_maps_line(p, line, sizeof(line)));
	snprintf(want, sizeof(want), " %s (deleted)", variant->path);
	EXPECT_NE(NULL, strstr(line, want)) TH_LOG("%s", line);
	EXPECT_EQ(0, strncmp(strchr(line, ' ') + 1, "rw-s", 4)) TH_LOG("%s", line);
	munmap(p, ps);
}

/*
 * VMA split by partial munmap and mprotect: each piece keeps its data and
 * the object; pieces inherited by a child still share with the parent.
 */
TEST_F(zero, split_vma_keeps_object)
{
	long ps = self->pagesize;
	char *p;
	pid_t pid;

	p = mmap(NULL, 8 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x21, 8 * ps);
	ASSERT_EQ(0, munmap(p + 3 * ps, 2 * ps));
	ASSERT_EQ(0, mprotect(p + 6 * ps, ps, PROT_READ));
	EXPECT_TRUE(vd_all(p, 3 * ps, 0x21));
	EXPECT_TRUE(vd_all(p + 5 * ps, 3 * ps, 0x21));
	EXPECT_EQ(SIGSEGV, vd_probe(p + 3 * ps, 0, 0));
	EXPECT_EQ(SIGSEGV, vd_probe(p + 6 * ps, 1, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		p[0] = 1;
		p[7 * ps] = 7;
		_exit(0);
	}
	ASSERT_EQ(0, vd_wait(pid));
	EXPECT_EQ(1, p[0]);
	EXPECT_EQ(7, p[7 * ps]);
	ASSERT_EQ(0, munmap(p, 3 * ps));
	EXPECT_EQ(7, p[7 * ps]);
	munmap(p + 5 * ps, 3 * ps);
}

/*
 * A fault on a private mapping may map its neighbours too (vmapdemo maps
 * the zero page into the 16-page window around it): a page already copied
 * must never be replaced, every other page must still read zero and copy
 * on its first write, and a child's writes stay its own.
 */
TEST_F(zero, private_neighbours_of_copies_stay_private)
{
	const int n = 64;
	long ps = self->pagesize;
	unsigned char *p;
	pid_t pid;
	int i;

	p = mmap(NULL, n * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[3 * ps] = 'A';
	p[9 * ps] = 'B';
	ASSERT_EQ(0, madvise(p + 4 * ps, ps, MADV_DONTNEED));
	EXPECT_EQ(0, p[4 * ps]);
	EXPECT_EQ('A', p[3 * ps]);
	EXPECT_EQ('B', p[9 * ps]);
	/* Backwards, so that each write lands in a window already mapped. */
	for (i = n - 1; i >= 0; i--)
		p[i * ps + 1] = i;
	for (i = 0; i < n; i++) {
		EXPECT_EQ(i == 3 ? 'A' : i == 9 ? 'B' : 0, p[i * ps]);
		EXPECT_EQ(i, p[i * ps + 1]);
		EXPECT_EQ(0, p[i * ps + 2]);
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		for (i = 0; i < n; i++)
			p[i * ps + 2] = 'C';
		for (i = 0; i < n; i++)
			if (p[i * ps + 1] != i || p[i * ps + 2] != 'C')
				_exit(1);
		_exit(0);
	}
	EXPECT_EQ(0, vd_wait(pid));
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, p[i * ps + 2]);
	munmap(p, n * ps);
}

/*
 * Fault-around stays inside the VMA: a read of a three-page private mapping
 * between two anonymous ones makes none of the anonymous pages resident.
 */
TEST_F(zero, private_fault_around_stays_in_vma)
{
	long ps = self->pagesize;
	unsigned char vec[48];
	char *area, *p;
	int i;

	area = mmap(NULL, 48 * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	p = mmap(area + 21 * ps, 3 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_FIXED, self->fd, 0);
	ASSERT_EQ(area + 21 * ps, p);
	EXPECT_EQ(0, p[ps]);
	p[2 * ps] = 1;
	ASSERT_EQ(0, mincore(area, 48 * ps, vec));
	for (i = 0; i < 48; i++)
		if (i < 21 || i >= 24)
			EXPECT_EQ(0, vec[i] & 1) TH_LOG("anonymous page %d resident", i);
	EXPECT_EQ(1, vec[22] & 1);
	EXPECT_EQ(1, vec[23] & 1);
	EXPECT_EQ(0, p[0]);
	EXPECT_EQ(1, p[2 * ps]);
	munmap(area, 48 * ps);
}

/*
 * splice(), sendfile() and copy_file_range() from and to the device give
 * what they give on /dev/zero: the same return value or errno, and zeros.
 * (Before ->splice_read and ->splice_write, /dev/vmapdemo failed them with
 * EINVAL where 6.12's /dev/zero worked; 6.1's /dev/zero fails them too.)
 */
struct xfer {
	ssize_t ret;
	int err;
	int nonzero;
};

static void xfer_from(const char *path, int how, struct xfer *x)
{
	const size_t len = 65536;
	static char buf[65536];
	int fd = open(path, O_RDWR | O_CLOEXEC), out = -1, p[2] = { -1, -1 };
	loff_t off = 0;
	size_t i;

	memset(x, 0, sizeof(*x));
	errno = 0;
	if (how == 0) {		/* splice into a pipe */
		if (pipe(p))
			goto err;
		fcntl(p[1], F_SETPIPE_SZ, len);
		x->ret = splice(fd, NULL, p[1], NULL, 4096, 0);
		x->err = x->ret < 0 ? errno : 0;
		if (x->ret > 0 && read(p[0], buf, x->ret) != x->ret)
			x->nonzero = -1;
	} else {		/* sendfile or copy_file_range into a memfd */
		out = memfd_create("xfer", MFD_CLOEXEC);
		if (out < 0)
			goto err;
		if (how == 1)
			x->ret = sendfile(out, fd, NULL, len);
		else
			x->ret = copy_file_range(fd, &off, out, NULL, len, 0);
		x->err = x->ret < 0 ? errno : 0;
		if (x->ret > 0 && pread(out, buf, x->ret, 0) != x->ret)
			x->nonzero = -1;
	}
	for (i = 0; x->ret > 0 && i < (size_t)x->ret; i++)
		if (buf[i])
			x->nonzero = 1;
	goto out;
err:
	x->ret = -2;
	x->err = errno;
out:
	close(fd);
	if (out >= 0)
		close(out);
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
}

/* splice from a pipe into the device: consumed and discarded. */
static ssize_t xfer_into(const char *path, int *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), p[2];
	ssize_t ret;

	if (fd < 0 || pipe(p))
		return -2;
	ret = write(p[1], "discard me", 10);
	if (ret == 10) {
		errno = 0;
		ret = splice(p[0], NULL, fd, NULL, 10, 0);
	}
	*err = ret < 0 ? errno : 0;
	close(p[0]);
	close(p[1]);
	close(fd);
	return ret;
}

TEST(splice_sendfile_copy_file_range_as_dev_zero)
{
	static const char * const what[] = { "splice", "sendfile", "copy_file_range" };
	struct xfer z, v;
	int how, ez, ev;

	if (!vd_present())
		SKIP(return, VMAPDEMO_PATH " missing: load vmapdemo.ko");
	for (how = 0; how < 3; how++) {
		xfer_from("/dev/zero", how, &z);
		xfer_from(VMAPDEMO_PATH, how, &v);
		EXPECT_EQ(z.ret, v.ret) TH_LOG("%s: /dev/zero %zd (%s), /dev/vmapdemo %zd (%s)",
					       what[how], z.ret, strerror(z.err), v.ret,
					       strerror(v.err));
		EXPECT_EQ(z.err, v.err) TH_LOG("%s", what[how]);
		EXPECT_EQ(0, v.nonzero) TH_LOG("%s: data not zeros", what[how]);
	}
	/* Into the device: /dev/zero discards (6.7 on) or refuses (EINVAL). */
	EXPECT_EQ(xfer_into("/dev/zero", &ez), xfer_into(VMAPDEMO_PATH, &ev));
	EXPECT_EQ(ez, ev);
}

TEST_HARNESS_MAIN
