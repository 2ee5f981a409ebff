// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_zero_mm: everything a program does with memory works on
 * /dev/vmapdemo mappings as on /dev/zero's. Each test runs the same
 * sequence on both devices (FIXTURE_VARIANT) and asserts the same results:
 * mremap, madvise, mlock, MAP_POPULATE, mprotect, msync, process_vm_readv,
 * /proc/pid/mem, ptrace, core dumps and memory cgroup charging and OOM.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

#include "kselftest_harness.h"
#include "vmapdemo_test.h"
#include "vmapdemo_gup.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#define MADV_POPULATE_WRITE	23
#endif

FIXTURE(mm) {
	int fd;
	long pagesize;
};

FIXTURE_VARIANT(mm) {
	const char *path;
	int is_vmapdemo;
};

FIXTURE_VARIANT_ADD(mm, devzero) {
	.path = "/dev/zero",
	.is_vmapdemo = 0,
};

FIXTURE_VARIANT_ADD(mm, vmapdemo) {
	.path = VMAPDEMO_PATH,
	.is_vmapdemo = 1,
};

FIXTURE_SETUP(mm)
{
	self->fd = -1;
	self->pagesize = sysconf(_SC_PAGESIZE);
	if (variant->is_vmapdemo && !vd_present())
		SKIP(return, VMAPDEMO_PATH " missing: load vmapdemo.ko");
	self->fd = open(variant->path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(mm)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * mremap growth: a shared object keeps the size it was created with, so
 * the grown part gets SIGBUS (as with /dev/zero's shmem object); a private
 * mapping grows with zero pages. A moved shared mapping keeps its object.
 */
TEST_F(mm, mremap_grow_and_move)
{
	long ps = self->pagesize;
	char *p, *q;
	pid_t pid;

	p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x31, 2 * ps);
	q = mremap(p, 2 * ps, 6 * ps, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_TRUE(vd_all(q, 2 * ps, 0x31));
	EXPECT_EQ(SIGBUS, vd_probe(q + 2 * ps, 0, 0));
	EXPECT_EQ(SIGBUS, vd_probe(q + 5 * ps, 1, 1));
	/* Shrink back and move: still the same object, shared with a child. */
	q = mremap(q, 6 * ps, 2 * ps, 0);
	ASSERT_NE(MAP_FAILED, q);
	p = mmap(NULL, 16 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	p = mremap(q, 2 * ps, 2 * ps, MREMAP_MAYMOVE | MREMAP_FIXED, p + 8 * ps);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_TRUE(vd_all(p, 2 * ps, 0x31));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		p[ps] = 0x32;
		_exit(0);
	}
	ASSERT_EQ(0, vd_wait(pid));
	EXPECT_EQ(0x32, p[ps]);
	munmap(p - 8 * ps, 16 * ps);

	p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x41, 2 * ps);
	q = mremap(p, 2 * ps, 64 * ps, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_TRUE(vd_all(q, 2 * ps, 0x41));
	EXPECT_TRUE(vd_all(q + 2 * ps, 62 * ps, 0));
	memset(q + 2 * ps, 0x42, 62 * ps);
	EXPECT_TRUE(vd_all(q + 2 * ps, 62 * ps, 0x42));
	munmap(q, 64 * ps);
}

/* MADV_DONTNEED: private reads zero again, shared keeps its data. */
TEST_F(mm, madvise_dontneed)
{
	long ps = self->pagesize;
	size_t len = 8 * ps;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x51, len);
	ASSERT_EQ(0, madvise(p, len, MADV_DONTNEED));
	EXPECT_TRUE(vd_all(p, len, 0));
	munmap(p, len);

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x52, len);
	ASSERT_EQ(0, madvise(p, len, MADV_DONTNEED));
	EXPECT_TRUE(vd_all(p, len, 0x52));
	munmap(p, len);
}

/* Pages of [p, p + len) that mincore() reports resident; -1 on error. */
static long resident_pages(char *p, size_t len, long ps)
{
	unsigned char vec[256];
	size_t i, n = len / ps;
	long r = 0;

	if (n > sizeof(vec) || mincore(p, len, vec))
		return -1;
	for (i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

/* VmLck of this process, in kB; -1 if not found. */
static long vmlck_kb(void)
{
	char buf[4096], *l;

	if (vd_read_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return -1;
	l = strstr(buf, "VmLck:");
	return l ? strtol(l + 6, NULL, 10) : -1;
}

/*
 * Is the VMA at p VM_MIXEDMAP ("mm" in smaps' VmFlags)? mlock() leaves
 * such a VMA alone (VM_SPECIAL): it succeeds and locks nothing.
 */
static int vma_mixedmap(char *p)
{
	static char buf[1 << 16];
	char key[32], *v, *e;
	int fd = open("/proc/self/smaps", O_RDONLY);
	ssize_t n = 0, r;

	if (fd < 0)
		return -1;
	while (n < (ssize_t)sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	snprintf(key, sizeof(key), "%lx-", (unsigned long)p);
	v = strstr(buf, key);
	if (!v || !(v = strstr(v, "VmFlags:")))
		return -1;
	e = strchr(v, '\n');
	if (e)
		*e = 0;
	return strstr(v, " mm") != NULL;
}

/*
 * MAP_POPULATE, MAP_LOCKED, mlock, munlock and MADV_POPULATE_READ/WRITE on
 * private and shared, writable and read-only mappings: the calls succeed,
 * MAP_POPULATE and MAP_LOCKED leave every page resident (mincore), and
 * mlock()/MAP_LOCKED count the mapping in VmLck, but for a VM_MIXEDMAP
 * VMA, which mlock() skips.
 */
TEST_F(mm, populate_and_mlock)
{
	static const int prots[] = { PROT_READ, PROT_READ | PROT_WRITE };
	static const int types[] = { MAP_PRIVATE, MAP_SHARED };
	long ps = self->pagesize;
	size_t len = 16 * ps;
	unsigned int i, j;

	for (i = 0; i < 2; i++) {
		for (j = 0; j < 2; j++) {
			int w = prots[j] & PROT_WRITE;
			char *p;

			long lck0 = vmlck_kb(), mixed;

			p = mmap(NULL, len, prots[j], types[i] | MAP_POPULATE, self->fd, 0);
			ASSERT_NE(MAP_FAILED, p);
			EXPECT_EQ((long)(len / ps), resident_pages(p, len, ps))
				TH_LOG("MAP_POPULATE: type %d prot %d", types[i], prots[j]);
			EXPECT_TRUE(vd_all(p, len, 0));
			mixed = vma_mixedmap(p);
			ASSERT_LE(0, mixed);
			ASSERT_LE(0, lck0);
			EXPECT_EQ(0, mlock(p, len)) TH_LOG("mlock: %s", strerror(errno));
			EXPECT_EQ(lck0 + (mixed ? 0 : (long)(len / 1024)), vmlck_kb())
				TH_LOG("mlock: type %d prot %d mixedmap %ld", types[i], prots[j], mixed);
			EXPECT_TRUE(vd_all(p, len, 0));
			if (w)
				memset(p, 0x61, len);
			EXPECT_EQ(0, madvise(p, len, MADV_POPULATE_READ));
			errno = 0;
			EXPECT_EQ(w ? 0 : -1, madvise(p, len, MADV_POPULATE_WRITE));
			if (!w)
				EXPECT_EQ(EINVAL, errno);
			EXPECT_EQ(0, munlock(p, len));
			EXPECT_EQ(lck0, vmlck_kb());
			EXPECT_TRUE(vd_all(p, len, w ? 0x61 : 0));
			EXPECT_EQ(0, munmap(p, len));

			p = mmap(NULL, len, prots[j], types[i] | MAP_LOCKED, self->fd, 0);
			ASSERT_NE(MAP_FAILED, p);
			EXPECT_EQ((long)(len / ps), resident_pages(p, len, ps))
				TH_LOG("MAP_LOCKED: type %d prot %d", types[i], prots[j]);
			EXPECT_EQ(lck0 + (vma_mixedmap(p) ? 0 : (long)(len / 1024)), vmlck_kb())
				TH_LOG("MAP_LOCKED: type %d prot %d", types[i], prots[j]);
			EXPECT_TRUE(vd_all(p, len, 0));
			if (w) {
				memset(p, 0x62, len);
				EXPECT_TRUE(vd_all(p, len, 0x62));
			}
			EXPECT_EQ(0, munmap(p, len));
		}
	}
}

/*
 * MAP_FIXED over part of a mapping: the pages replaced read as the new
 * mapping's (a new anonymous page, or a new object of the device: zeros),
 * the others keep their data; as on /dev/zero.
 */
TEST_F(mm, map_fixed_over_part)
{
	static const int types[] = { MAP_PRIVATE, MAP_SHARED };
	long ps = self->pagesize;
	size_t len = 4 * ps;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, types[i], self->fd, 0), *q;

		ASSERT_NE(MAP_FAILED, p);
		memset(p, 0x71, len);
		q = mmap(p + ps, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0);
		ASSERT_EQ(p + ps, q);
		q = mmap(p + 2 * ps, ps, PROT_READ | PROT_WRITE, types[i] | MAP_FIXED, self->fd, 0);
		ASSERT_EQ(p + 2 * ps, q);
		EXPECT_TRUE(vd_all(p, ps, 0x71));
		EXPECT_TRUE(vd_all(p + ps, ps, 0));
		EXPECT_TRUE(vd_all(p + 2 * ps, ps, 0)) TH_LOG("type %d: the new mapping is new", types[i]);
		EXPECT_TRUE(vd_all(p + 3 * ps, ps, 0x71));
		/* The new piece is independent of what is left of the old. */
		p[2 * ps] = 0x72;
		EXPECT_EQ(0x71, p[3 * ps]);
		EXPECT_EQ(0, munmap(p, len));
	}
}

/*
 * mremap(MREMAP_DONTUNMAP) moves the pages and leaves the old range mapped:
 * a private mapping's old range then reads zeros (its pages moved), a
 * shared one's still reads the object's data; as on /dev/zero.
 */
TEST_F(mm, mremap_dontunmap)
{
	static const int types[] = { MAP_PRIVATE, MAP_SHARED };
	long ps = self->pagesize;
	size_t len = 4 * ps;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, types[i], self->fd, 0), *q;

		ASSERT_NE(MAP_FAILED, p);
		memset(p, 0x73, len);
		q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
		ASSERT_NE(MAP_FAILED, q) TH_LOG("type %d: %s", types[i], strerror(errno));
		EXPECT_NE(p, q);
		EXPECT_TRUE(vd_all(q, len, 0x73));
		EXPECT_TRUE(vd_all(p, len, types[i] == MAP_SHARED ? 0x73 : 0))
			TH_LOG("type %d: the old range", types[i]);
		if (types[i] == MAP_SHARED) {
			q[0] = 0x74;
			EXPECT_EQ(0x74, p[0]);
		}
		EXPECT_EQ(0, munmap(p, len));
		EXPECT_EQ(0, munmap(q, len));
	}
}

/*
 * mlock2(MLOCK_ONFAULT): the range counts in VmLck at once, but no page is
 * brought in until it is touched (mincore); as on /dev/zero.
 */
TEST_F(mm, mlock2_onfault)
{
	static const int types[] = { MAP_PRIVATE, MAP_SHARED };
	long ps = self->pagesize;
	size_t len = 16 * ps;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, types[i], self->fd, 0);
		long lck0 = vmlck_kb();

		ASSERT_NE(MAP_FAILED, p);
		ASSERT_LE(0, lck0);
		/* mlock skips VM_MIXEDMAP VMAs: the module sets it nowhere. */
		EXPECT_EQ(0, vma_mixedmap(p));
		ASSERT_EQ(0, syscall(__NR_mlock2, p, len, 1 /* MLOCK_ONFAULT */))
			TH_LOG("mlock2: %s", strerror(errno));
		EXPECT_EQ(lck0 + (long)(len / 1024), vmlck_kb());
		EXPECT_EQ(0, resident_pages(p, len, ps)) TH_LOG("type %d", types[i]);
		p[5 * ps] = 1;
		EXPECT_EQ(1, resident_pages(p + 5 * ps, ps, ps));
		EXPECT_EQ(0, munlock(p, len));
		EXPECT_EQ(lck0, vmlck_kb());
		EXPECT_EQ(0, munmap(p, len));
	}
}

/* mprotect round trips keep the data; denied accesses get SIGSEGV. */
TEST_F(mm, mprotect)
{
	static const int types[] = { MAP_PRIVATE, MAP_SHARED };
	long ps = self->pagesize;
	size_t len = 4 * ps;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, types[i], self->fd, 0);

		ASSERT_NE(MAP_FAILED, p);
		memset(p, 0x71, 2 * ps);
		ASSERT_EQ(0, mprotect(p, len, PROT_READ));
		EXPECT_EQ(SIGSEGV, vd_probe(p, 1, 0));
		EXPECT_EQ(SIGSEGV, vd_probe(p + 3 * ps, 1, 0));
		EXPECT_EQ(0x71, p[0]);
		ASSERT_EQ(0, mprotect(p, len, PROT_NONE));
		EXPECT_EQ(SIGSEGV, vd_probe(p, 0, 0));
		ASSERT_EQ(0, mprotect(p, len, PROT_READ | PROT_WRITE));
		EXPECT_TRUE(vd_all(p, 2 * ps, 0x71));
		EXPECT_TRUE(vd_all(p + 2 * ps, 2 * ps, 0));
		p[3 * ps] = 0x72;
		EXPECT_EQ(0x72, p[3 * ps]);
		ASSERT_EQ(0, mprotect(p, len, PROT_READ | PROT_WRITE | PROT_EXEC));
		EXPECT_EQ(0x72, p[3 * ps]);
		munmap(p, len);
	}
}

/*
 * msync: /dev/zero answers through shmem's noop fsync; /dev/vmapdemo's
 * shared object has ->fsync = noop_fsync so MS_SYNC is not EINVAL (the
 * trap: without ->fsync the core answers EINVAL).
 */
TEST_F(mm, msync)
{
	static const int types[] = { MAP_PRIVATE, MAP_SHARED };
	long ps = self->pagesize;
	size_t len = 4 * ps;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, types[i], self->fd, 0);

		ASSERT_NE(MAP_FAILED, p);
		memset(p, 0x81, len);
		EXPECT_EQ(0, msync(p, len, MS_SYNC)) TH_LOG("%s", strerror(errno));
		EXPECT_EQ(0, msync(p, len, MS_ASYNC));
		EXPECT_EQ(0, msync(p, len, MS_INVALIDATE));
		EXPECT_EQ(0, msync(p + ps, ps, MS_SYNC | MS_INVALIDATE));
		errno = 0;
		EXPECT_EQ(-1, msync(p, len, MS_SYNC | MS_ASYNC));
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		EXPECT_EQ(-1, msync(p + 1, len - ps, MS_SYNC));
		EXPECT_EQ(EINVAL, errno);
		errno = 0;
		EXPECT_EQ(-1, msync(p, len, 0x100));
		EXPECT_EQ(EINVAL, errno);
		ASSERT_EQ(0, mlock(p, len));
		errno = 0;
		EXPECT_EQ(-1, msync(p, len, MS_INVALIDATE));
		EXPECT_EQ(EBUSY, errno);
		EXPECT_TRUE(vd_all(p, len, 0x81));
		munmap(p, len);
	}
}

/* process_vm_readv/writev reach the mapping's pages through GUP. */
TEST_F(mm, process_vm_readv_writev)
{
	static const int types[] = { MAP_PRIVATE, MAP_SHARED };
	long ps = self->pagesize;
	size_t len = 4 * ps;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, types[i], self->fd, 0);
		unsigned char *buf = malloc(len);
		struct iovec local = { .iov_base = buf, .iov_len = len };
		struct iovec remote = { .iov_base = p, .iov_len = len };

		ASSERT_NE(MAP_FAILED, p);
		memset(buf, 0xee, len);
		/* Untouched pages read as zero. */
		ASSERT_EQ((ssize_t)len, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
		EXPECT_TRUE(vd_all(buf, len, 0));
		memset(buf, 0x91, len);
		ASSERT_EQ((ssize_t)len, process_vm_writev(getpid(), &local, 1, &remote, 1, 0));
		EXPECT_TRUE(vd_all(p, len, 0x91));
		p[0] = 0x92;
		ASSERT_EQ((ssize_t)len, process_vm_readv(getpid(), &local, 1, &remote, 1, 0));
		EXPECT_EQ(0x92, buf[0]);
		free(buf);
		munmap(p, len);
	}
}

/*
 * Whether /proc/self/mem forces a write into a read-only mapping here, as
 * anonymous memory shows. proc_mem.force_override (6.11) decides; Debian's
 * 6.12 defaults to always (CONFIG_PROC_MEM_ALWAYS_FORCE), its 7.2 and 7.3
 * to ptrace only (CONFIG_PROC_MEM_FORCE_PTRACE), which refuses with EIO.
 */
static bool proc_mem_forces(int mfd, long ps)
{
	char *a = mmap(NULL, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char c = 1;
	bool forced;

	if (a == MAP_FAILED)
		return true;
	forced = pwrite(mfd, &c, 1, (off_t)(unsigned long)a) == 1;
	munmap(a, ps);
	return forced;
}

/*
 * /proc/pid/mem: reads and writes through the mapping; a write into a
 * read-only private mapping is forced (a COW copy) where the kernel forces
 * such writes for anonymous memory, and refused with EIO as anonymous
 * memory's is where it does not; one into a read-only shared mapping is
 * refused.
 */
TEST_F(mm, proc_pid_mem)
{
	static const int types[] = { MAP_PRIVATE, MAP_SHARED };
	long ps = self->pagesize;
	size_t len = 2 * ps;
	unsigned int i;
	bool force;
	int mfd;

	mfd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mfd);
	force = proc_mem_forces(mfd, ps);
	if (!force)
		ksft_print_msg("proc_mem.force_override: no forced writes without ptrace here; expecting EIO as for anonymous memory\n");
	for (i = 0; i < 2; i++) {
		char buf[64];
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, types[i], self->fd, 0);

		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(sizeof(buf), pread(mfd, buf, sizeof(buf), (off_t)(unsigned long)p));
		EXPECT_TRUE(vd_all(buf, sizeof(buf), 0));
		memset(buf, 0xa1, sizeof(buf));
		ASSERT_EQ(sizeof(buf), pwrite(mfd, buf, sizeof(buf), (off_t)(unsigned long)(p + ps)));
		EXPECT_TRUE(vd_all(p + ps, sizeof(buf), 0xa1));
		p[0] = 0x55;
		ASSERT_EQ(1, pread(mfd, buf, 1, (off_t)(unsigned long)p));
		EXPECT_EQ(0x55, buf[0]);

		ASSERT_EQ(0, mprotect(p, len, PROT_READ));
		memset(buf, 0xa2, sizeof(buf));
		errno = 0;
		if (types[i] == MAP_PRIVATE && force) {
			EXPECT_EQ(sizeof(buf), pwrite(mfd, buf, sizeof(buf), (off_t)(unsigned long)p));
			EXPECT_TRUE(vd_all(p, sizeof(buf), 0xa2));
		} else {
			EXPECT_EQ(-1, pwrite(mfd, buf, sizeof(buf), (off_t)(unsigned long)p));
			EXPECT_EQ(EIO, errno);
			EXPECT_EQ(0x55, p[0]);
		}
		munmap(p, len);
	}
	close(mfd);
}

/*
 * ptrace PEEKDATA/POKEDATA into a stopped child: a poke into the child's
 * shared mapping is seen by the parent, one into its private mapping is
 * the child's alone.
 */
TEST_F(mm, ptrace_peek_poke)
{
	long ps = self->pagesize;
	long *sh, *pr, word;
	pid_t pid;
	int st;

	sh = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	pr = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, sh);
	ASSERT_NE(MAP_FAILED, pr);
	sh[0] = 11;
	pr[0] = 22;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(20);
		raise(SIGSTOP);
		_exit(sh[1] == 33 && pr[1] == 44 && pr[0] == 22 ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFSTOPPED(st));
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, pid, sh, NULL);
	EXPECT_EQ(0, errno);
	EXPECT_EQ(11, word);
	word = ptrace(PTRACE_PEEKDATA, pid, pr, NULL);
	EXPECT_EQ(0, errno);
	EXPECT_EQ(22, word);
	/* Untouched: zero. */
	word = ptrace(PTRACE_PEEKDATA, pid, &sh[2], NULL);
	EXPECT_EQ(0, errno);
	EXPECT_EQ(0, word);
	EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, pid, &sh[1], (void *)33));
	EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, pid, &pr[1], (void *)44));
	EXPECT_EQ(0, ptrace(PTRACE_CONT, pid, NULL, NULL));
	EXPECT_EQ(0, vd_wait(pid));
	EXPECT_EQ(33, sh[1]);
	EXPECT_EQ(0, pr[1]);
	munmap(sh, ps);
	munmap(pr, ps);
}

/* --- long-term GUP pins (io_uring fixed buffers) ------------------- */

struct vd_uring {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq_ring, *cq_ring;
	size_t sq_len, cq_len, sqes_len;
};

static int vd_uring_init(struct vd_uring *r)
{
	struct io_uring_params p = { 0 };

	memset(r, 0, sizeof(*r));
	r->fd = syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -errno;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq_ring = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			  r->fd, IORING_OFF_SQ_RING);
	r->cq_ring = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			  r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       r->fd, IORING_OFF_SQES);
	if (r->sq_ring == MAP_FAILED || r->cq_ring == MAP_FAILED || r->sqes == MAP_FAILED)
		return -ENOMEM;
	r->sq_tail = r->sq_ring + p.sq_off.tail;
	r->sq_mask = r->sq_ring + p.sq_off.ring_mask;
	r->sq_array = r->sq_ring + p.sq_off.array;
	r->cq_head = r->cq_ring + p.cq_off.head;
	r->cq_tail = r->cq_ring + p.cq_off.tail;
	r->cq_mask = r->cq_ring + p.cq_off.ring_mask;
	r->cqes = r->cq_ring + p.cq_off.cqes;
	return 0;
}

static void vd_uring_exit(struct vd_uring *r)
{
	munmap(r->sq_ring, r->sq_len);
	munmap(r->cq_ring, r->cq_len);
	munmap(r->sqes, r->sqes_len);
	close(r->fd);
}

/* One IORING_OP_WRITE_FIXED of fixed buffer 0 to fd; its result. */
static int vd_uring_write_fixed(struct vd_uring *r, int fd, void *buf, unsigned int len)
{
	unsigned int tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	struct io_uring_sqe *sqe = &r->sqes[idx];
	int res;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_WRITE_FIXED;
	sqe->fd = fd;
	sqe->addr = (unsigned long)buf;
	sqe->len = len;
	sqe->off = 0;
	sqe->buf_index = 0;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/*
 * cow.c test_iouring: a writable long-term pin (io_uring fixed buffer) on
 * the mapping, then fork(), then the parent modifies its memory. What the
 * device reads through the pin must be what the parent now sees: fork must
 * not leave the parent's pinned private pages shared (and later COWed away
 * from the pin). Shared mappings are pinned object pages and stay so.
 */
TEST_F(mm, longterm_pin_across_fork)
{
	static const int types[] = { MAP_PRIVATE, MAP_SHARED };
	long ps = self->pagesize;
	size_t len = 4 * ps;
	struct vd_uring r;
	unsigned int i;
	int ret;

	ret = vd_uring_init(&r);
	if (ret)
		SKIP(return, "io_uring unavailable: %s", strerror(-ret));
	for (i = 0; i < 2; i++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, types[i], self->fd, 0);
		struct iovec iov = { .iov_base = p, .iov_len = len };
		char *got = malloc(len);
		int mfd = memfd_create("vd-pin", MFD_CLOEXEC);
		pid_t pid;

		ASSERT_NE(MAP_FAILED, p);
		ASSERT_LE(0, mfd);
		memset(p, 0x11, len);
		ret = syscall(__NR_io_uring_register, r.fd, IORING_REGISTER_BUFFERS, &iov, 1);
		if (ret && errno == EOPNOTSUPP) {
			/* Both devices alike: 6.1's io_pin_pages() refuses any VMA with a vm_file. */
			close(mfd);
			munmap(p, len);
			vd_uring_exit(&r);
			SKIP(return, "io_uring refuses fixed buffers in file-backed VMAs (6.1), /dev/zero's included");
		}
		ASSERT_EQ(0, ret) TH_LOG("register buffers: %s", strerror(errno));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			/* The child writes its inherited copy (or the shared pages). */
			memset(p, types[i] == MAP_SHARED ? 0x22 : 0x33, len / 2);
			_exit(0);
		}
		ASSERT_EQ(0, vd_wait(pid));
		memset(p + len / 2, 0x44, len / 2);
		ASSERT_EQ((int)len, vd_uring_write_fixed(&r, mfd, p, len));
		ASSERT_EQ((ssize_t)len, pread(mfd, got, len, 0));
		EXPECT_EQ(0, memcmp(got, p, len)) TH_LOG("%s: the pin no longer sees the mapping",
						       types[i] == MAP_SHARED ? "shared" : "private");
		EXPECT_EQ(types[i] == MAP_SHARED ? 0x22 : 0x11, p[0]);
		ASSERT_EQ(0, syscall(__NR_io_uring_register, r.fd, IORING_UNREGISTER_BUFFERS,
				     NULL, 0));
		close(mfd);
		free(got);
		munmap(p, len);
	}
	vd_uring_exit(&r);
}

/*
 * cow.c's RO_PIN_TEST_SHARED: pages shared with a child by fork(), then a
 * read-only long-term pin (gup_test, vmapdemo_gup.h: no user-space API
 * takes one otherwise), then the parent writes. The pin must see the
 * parent's writes: a private page is unshared when pinned (not left
 * shared with the child, to be COWed away from the pin by the write); a
 * shared mapping pins the object's pages. The child still sees its own
 * copy (private) or the write (shared). Slow and fast GUP both.
 */
TEST_F(mm, ro_longterm_pin_across_fork)
{
	static const int types[] = { MAP_PRIVATE, MAP_SHARED };
	long ps = self->pagesize;
	size_t len = 4 * ps;
	unsigned int i, fast;
	int gfd = vd_gup_open();

	if (gfd == -ENOENT)
		SKIP(return, "needs CONFIG_GUP_TEST (%s): not set in Debian's kernels",
		     VD_GUP_TEST_PATH);
	ASSERT_LE(0, gfd) TH_LOG("%s: %s", VD_GUP_TEST_PATH, strerror(-gfd));
	for (i = 0; i < 4; i++) {
		int type = types[i & 1];
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, type, self->fd, 0);
		char *got = malloc(len);
		int go[2], ready[2];
		char c;
		pid_t pid;

		fast = i >> 1;
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_NE(NULL, got);
		memset(p, 0x11, len);
		ASSERT_EQ(0, pipe(go));
		ASSERT_EQ(0, pipe(ready));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			/* Keep the pages shared until the parent is done. */
			close(go[1]);
			if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
				_exit(2);
			_exit(!vd_all(p, len, type == MAP_SHARED ? 0xff : 0x11));
		}
		close(go[0]);
		close(ready[1]);
		ASSERT_EQ(1, read(ready[0], &c, 1));
		ASSERT_EQ(0, vd_pin_longterm(gfd, p, len,
					     fast ? VD_PIN_LONGTERM_TEST_FLAG_USE_FAST : 0))
			TH_LOG("%s %s: R/O long-term pin refused",
			       type == MAP_SHARED ? "shared" : "private", fast ? "fast" : "slow");
		memset(p, 0xff, len);
		ASSERT_EQ(0, vd_pin_read(gfd, got));
		EXPECT_EQ(0, memcmp(got, p, len))
			TH_LOG("%s %s: the R/O pin does not see the parent's write",
			       type == MAP_SHARED ? "shared" : "private", fast ? "fast" : "slow");
		EXPECT_EQ(0, vd_pin_stop(gfd));
		ASSERT_EQ(1, write(go[1], "g", 1));
		EXPECT_EQ(0, vd_wait(pid)) TH_LOG("%s: the child saw the wrong data",
						  type == MAP_SHARED ? "shared" : "private");
		close(go[1]);
		close(ready[0]);
		free(got);
		munmap(p, len);
	}
	close(gfd);
}

/* --- core dumps ------------------------------------------------------- */

/*
 * Find the PT_LOAD of a core file that covers addr and check that the
 * dump holds len bytes of c there. Returns 1, 0 (different or absent), or
 * -1 on an unreadable core.
 */
static int core_has(const char *core, unsigned long addr, size_t len, unsigned char c)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i, ret = 0;

	fd = open(core, O_RDONLY);
	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		close(fd);
		return -1;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		char *buf;

		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) != sizeof(ph))
			break;
		if (ph.p_type != PT_LOAD || addr < ph.p_vaddr || addr >= ph.p_vaddr + ph.p_memsz)
			continue;
		if (ph.p_filesz < addr - ph.p_vaddr + len)
			break;
		buf = malloc(len);
		if (pread(fd, buf, len, ph.p_offset + addr - ph.p_vaddr) == (ssize_t)len)
			ret = vd_all(buf, len, c);
		free(buf);
		break;
	}
	close(fd);
	return ret;
}

/*
 * A process that dumps core writes both its private (written) and shared
 * mappings of the device into the core: the default coredump_filter (0x33)
 * dumps written private pages and shared memory whose file is unlinked,
 * which /dev/zero's shmem object and vmapdemo's object both are.
 */
TEST_F(mm, core_dump)
{
	const char *pat = "/tmp/vd-core.%p", *pat_file = "/proc/sys/kernel/core_pattern";
	long ps = self->pagesize;
	char old[256], core[64];
	char *sh, *pr;
	pid_t pid;
	int fd, st;

	if (vd_read_file(pat_file, old, sizeof(old)) < 0)
		SKIP(return, "cannot read %s", pat_file);
	fd = open(pat_file, O_WRONLY);
	if (fd < 0 || write(fd, pat, strlen(pat)) != (ssize_t)strlen(pat))
		SKIP(return, "cannot set %s (not root?)", pat_file);
	close(fd);

	sh = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	pr = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, sh);
	ASSERT_NE(MAP_FAILED, pr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

		setrlimit(RLIMIT_CORE, &rl);
		memset(sh, 0xc5, 2 * ps);
		memset(pr, 0xc6, 2 * ps);
		abort();
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	fd = open(pat_file, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, old, strlen(old)) < 0)
			TH_LOG("cannot restore core_pattern");
		close(fd);
	}
	ASSERT_TRUE(WIFSIGNALED(st));
	ASSERT_TRUE(WCOREDUMP(st)) TH_LOG("no core dumped");
	snprintf(core, sizeof(core), "/tmp/vd-core.%d", pid);
	EXPECT_EQ(1, core_has(core, (unsigned long)sh, 2 * ps, 0xc5));
	EXPECT_EQ(1, core_has(core, (unsigned long)(sh + 2 * ps), 2 * ps, 0));
	EXPECT_EQ(1, core_has(core, (unsigned long)pr, 2 * ps, 0xc6));
	/* The parent's view is untouched by the child's private writes. */
	EXPECT_TRUE(vd_all(sh, 2 * ps, 0xc5));
	EXPECT_TRUE(vd_all(pr, 2 * ps, 0));
	unlink(core);
	munmap(sh, 4 * ps);
	munmap(pr, 4 * ps);
}

/* --- memory cgroup ---------------------------------------------------- */

/*
 * Pages of a shared mapping are charged to the memory cgroup of the task
 * that touched them (both are shmem pages: the object behind a shared
 * mapping is a shmem file on both).
 * The child moves itself into a fresh cgroup, touches 8 MiB and reports
 * how much memory.current grew.
 */
TEST_F(mm, memcg_charges_shared_pages)
{
	const size_t len = 8 << 20;
	const char *why = NULL;
	char cg[32];
	long long delta = -1;
	int fds[2];
	pid_t pid;

	snprintf(cg, sizeof(cg), "vd-charge-%d", variant->is_vmapdemo);
	if (vd_cg_setup(cg, &why))
		SKIP(return, "%s: %s", why, strerror(errno));
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		long long before, after;
		char *p;

		if (vd_cg_write(cg, "cgroup.procs", "0"))
			_exit(2);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
		if (p == MAP_FAILED)
			_exit(3);
		before = vd_cg_read(cg, "memory.current", NULL);
		memset(p, 1, len);
		after = vd_cg_read(cg, "memory.current", NULL);
		delta = after - before;
		if (write(fds[1], &delta, sizeof(delta)) != sizeof(delta))
			_exit(4);
		_exit(0);
	}
	close(fds[1]);
	ASSERT_EQ(sizeof(delta), read(fds[0], &delta, sizeof(delta)));
	close(fds[0]);
	ASSERT_EQ(0, vd_wait(pid));
	TH_LOG("%s: memory.current grew by %lld KiB for %zu KiB touched",
	       variant->path, delta >> 10, len >> 10);
	/* Charges are batched per CPU: allow a few hundred KiB either way. */
	EXPECT_LE((long long)len - (512 << 10), delta);
	EXPECT_GE((long long)len + (4 << 20), delta);
	rmdir(VD_CG_ROOT "/vd-charge-0");
	rmdir(VD_CG_ROOT "/vd-charge-1");
}

/*
 * Running out of memory behaves as for anonymous memory: a child confined
 * to a 16 MiB cgroup that touches 64 MiB of a shared mapping is killed by
 * the memcg OOM killer (SIGKILL, oom_kill counted); nothing oopses, the
 * test runner survives, and (checked in vmapdemo_zero_stats) no page leaks.
 */
TEST_F(mm, memcg_oom_kills_like_anon)
{
	const size_t len = 64 << 20;
	const char *why = NULL;
	char cg[32];
	long long kills;
	pid_t pid;
	int ret;

	snprintf(cg, sizeof(cg), "vd-oom-%d", variant->is_vmapdemo);
	if (vd_cg_setup(cg, &why))
		SKIP(return, "%s: %s", why, strerror(errno));
	ASSERT_EQ(0, vd_cg_write(cg, "memory.max", "16M"));
	vd_cg_write(cg, "memory.swap.max", "0");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char *p;
		size_t off;

		if (vd_cg_write(cg, "cgroup.procs", "0"))
			_exit(2);
		/*
		 * An unprivileged user, as the node is 0666: it gets no more
		 * through the device than through /dev/zero.
		 */
		if (getuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(4);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (off = 0; off < len; off += 4096)
			p[off] = 1;
		_exit(0);
	}
	ret = vd_wait(pid);
	EXPECT_EQ(128 + SIGKILL, ret);
	kills = vd_cg_read(cg, "memory.events", "oom_kill ");
	EXPECT_LE(1, kills);
	snprintf(cg, sizeof(cg), VD_CG_ROOT "/vd-oom-%d", variant->is_vmapdemo);
	EXPECT_EQ(0, rmdir(cg));
}

TEST_HARNESS_MAIN
