// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_fuzz: a seeded, reproducible fuzzer of the calls that reach the
 * module: open, mmap, munmap, mremap, mprotect, madvise, msync, mlock,
 * mincore, read, write, pread, pwrite, readv, lseek, ioctl and page touches,
 * on /dev/vmapdemo and on every /dev/vmapdemo-store* node found at run time.
 * Arguments come from boundary values (0, 1, page-1, page, 2^31, 2^32,
 * 2^63, ~0, unaligned, overflowing offset+length), bad pointers, unknown
 * flags, unknown commands, random 0xB9 ioctls with struct sizes
 * 0..PAGE_SIZE+8, and the store commands (GET_INFO, SET_SIZE, SYNC, CRASH)
 * a third of the time (the stores' sizes are restored at the end).
 *
 * A child process fuzzes; the parent checks that it exits normally, or by
 * SIGBUS/SIGSEGV while touching a mapping (then the fuzz goes on in a new
 * child), or by its own alarm (a hang: failure). Asserted:
 *  1. every errno is one of the documented set for the call (the
 *     GET_STATS ioctl on /dev/vmapdemo and GET_INFO on a store are checked
 *     against an exact model of the uapi header's conventions), and a
 *     SIGBUS on a touch happens only where the page is past the end
 *     (never in a private /dev/vmapdemo mapping; in a store's, only at or
 *     past its size);
 *  2. no child died of anything but an expected signal;
 *  3. once every child exited, the module's stats show no leaked object,
 *     mapping or page.
 *
 * usage: vmapdemo_fuzz [SEED [CALLS]]; or VD_FUZZ_SEED, VD_FUZZ_CALLS,
 * VD_FUZZ_SECS (time bound, default 15), VD_FUZZ_VERBOSE=1 (log each call).
 * The default seed is fixed, so CI runs are reproducible; a run prints its
 * seed, and rerunning with it replays the same calls.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdarg.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "vmapdemo_test.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#define MADV_POPULATE_WRITE	23
#endif

#define DEFAULT_SEED	0x766d617064656d6fULL	/* "vmapdemo" */
#define DEFAULT_CALLS	20000
#define DEFAULT_SECS	15
#define MAX_NODES	9
#define MAX_FDS		16
#define MAX_MAPS	32
#define ARENA_PAGES	1024		/* MAP_FIXED only lands in here */
#define SCRATCH_PAGES	16		/* I/O buffer, a guard page after */
#define BIG_TOUCH	(1UL << 20)	/* larger populating ops stay below */
#define CHILD_ALARM	60

/* --- what parent and children share --------------------------------- */

struct fuzz_shared {
	uint64_t calls;		/* done, over all children */
	uint64_t violations;
	int touching;		/* a child is touching mapped memory */
	uintptr_t touch_addr;	/* where */
	uint64_t store_ioctls;	/* store commands issued on store fds */
	char last[256];		/* the call in progress */
	char report[4096];	/* first violations, for the parent to print */
	size_t report_len;
};

static struct fuzz_shared *sh;
static uint64_t target_calls;
static time_t deadline;
static int verbose;

/* --- PRNG: splitmix64, reproducible from the seed -------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(int percent)
{
	return (int)rnd_below(100) < percent;
}

/* --- the world of one child ---------------------------------------- */

struct node {
	char path[VD_PATH_MAX];
	int is_zero;		/* /dev/vmapdemo, whose contract is exact */
};

struct map {
	char *addr;
	size_t len;
	int node;
	int shared;
	int used;
};

static struct node nodes[MAX_NODES];
static int nr_nodes;
static int fds[MAX_FDS], fd_node[MAX_FDS];
static struct map maps[MAX_MAPS];
static char *arena, *scratch;
static long page;

static uint64_t boundary(void)
{
	const uint64_t v[] = {
		0, 1, page - 1, page, page + 1, 2 * page, 16 * page,
		1ULL << 31, (1ULL << 31) - page, 1ULL << 32, (1ULL << 32) + 1,
		1ULL << 63, (1ULL << 63) - page, ~0ULL, ~0ULL - page + 1,
		(uint64_t)-page, 0x7fffffffffffULL, 3 * page / 2,
	};

	if (chance(20))
		return rnd();
	if (chance(20))
		return rnd_below(64) * page;
	return v[rnd_below(sizeof(v) / sizeof(v[0]))];
}

static void *bad_pointer(void)
{
	const uintptr_t v[] = {
		0, 1, 4095, 0xffff800000000000ULL, 0xffffffffff600000ULL,
		0x00007ffffffff000ULL, ~(uintptr_t)0,
	};

	return (void *)v[rnd_below(sizeof(v) / sizeof(v[0]))];
}

/* A user buffer: mostly the scratch area (a guard page follows it). */
static void *buffer(size_t *len, int *in_map)
{
	int m = (int)rnd_below(MAX_MAPS);

	*in_map = 0;
	if (chance(10))
		return bad_pointer();
	if (chance(15) && maps[m].used && maps[m].len >= (size_t)page) {
		/* Inside a mapping of a node: the copy faults on its pages. */
		size_t pages = maps[m].len / page, off = rnd_below(pages) * page;

		*in_map = 1;
		if (*len > pages * page - off)
			*len = pages * page - off;
		return maps[m].addr + off;
	}
	return scratch + (chance(70) ? 0 : rnd_below(SCRATCH_PAGES * page));
}

/* --- errno sets, per call ------------------------------------------- */

/*
 * The documented set for each call on /dev/vmapdemo: what its uapi header
 * says (ioctl) and what the man pages list for a mapping of a device whose
 * mmap, read, write and lseek behave like /dev/zero's.
 */
static const int set_open[] = { ENOMEM, EMFILE, ENFILE, 0 };
static const int set_mmap[] = { EINVAL, ENOMEM, EACCES, EPERM, EOVERFLOW,
	EEXIST, EOPNOTSUPP, EAGAIN, EBADF, ENFILE, ENODEV, 0 };
static const int set_munmap[] = { EINVAL, ENOMEM, 0 };
static const int set_mremap[] = { EINVAL, ENOMEM, EFAULT, EAGAIN, 0 };
static const int set_mprotect[] = { EINVAL, EACCES, ENOMEM, 0 };
/* MADV_REMOVE: ENODEV/EOPNOTSUPP from vfs_fallocate() on a file without it. */
static const int set_madvise[] = { EINVAL, ENOMEM, EAGAIN, EBADF, EPERM,
	EACCES, EIO, EFAULT, EBUSY, ENODEV, EOPNOTSUPP, 0 };
static const int set_msync[] = { EINVAL, ENOMEM, EBUSY, 0 };
static const int set_mlock[] = { EINVAL, ENOMEM, EAGAIN, EPERM, 0 };
static const int set_mincore[] = { EINVAL, ENOMEM, EFAULT, EAGAIN, 0 };
static const int set_read[] = { EFAULT, EBADF, EINVAL, 0 };
static const int set_write[] = { EFAULT, EBADF, EINVAL, 0 };
static const int set_lseek[] = { EINVAL, EBADF, 0 };
static const int set_ioctl[] = { ENOTTY, EINVAL, E2BIG, EFAULT, 0 };
static const int set_badfd[] = { EBADF, 0 };
/*
 * Store nodes: what the uapi header and vmapdemo(4) add for each call on a
 * file of bounded size. read/write: EFBIG at store_max_size, EINTR while
 * a resize waits; a synchronous write (O_SYNC, O_DSYNC) also what its
 * writeback reports: EIO once after a crash, ENOMEM; lseek: ENXIO (SEEK_DATA/SEEK_HOLE at or past the end);
 * msync: EIO once after a crash; ioctl: the store commands' own errors
 * (SET_SIZE: EFBIG, EBADF on a read-only fd, EINTR, EBUSY; SYNC: EOVERFLOW,
 * ENXIO, EBUSY, ENOMEM, EIO, EINTR; CRASH: EBADF).
 */
static const int set_store_rw[] = { EFBIG, EINTR, 0 };
static const int set_store_write[] = { EFBIG, EINTR, EIO, ENOMEM, 0 };
static const int set_store_lseek[] = { ENXIO, 0 };
static const int set_store_msync[] = { EIO, 0 };
static const int set_store_ioctl[] = { EFBIG, EBADF, EINTR, EOVERFLOW, ENXIO,
	EBUSY, ENOMEM, EIO, 0 };
static const int set_none[] = { 0 };

static int in_set(const int *set, int e)
{
	for (; *set; set++)
		if (*set == e)
			return 1;
	return 0;
}

static void report(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sh->report_len >= sizeof(sh->report) - 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sh->report + sh->report_len,
		      sizeof(sh->report) - sh->report_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		sh->report_len += (size_t)n;
	if (sh->report_len >= sizeof(sh->report))
		sh->report_len = sizeof(sh->report) - 1;
}

static void describe(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sh->last, sizeof(sh->last), fmt, ap);
	va_end(ap);
	if (verbose) {
		char line[300];
		int n = snprintf(line, sizeof(line), "# [%llu] %s\n",
				 (unsigned long long)sh->calls, sh->last);

		if (write(1, line, n) < 0)
			verbose = 0;
	}
}

/* Judge one result: ret < 0 with errno e must be in the call's set. */
static void check(long ret, int e, const int *set, int node)
{
	sh->calls++;
	if (ret >= 0 || ret != -1)
		return;
	if (in_set(set, e))
		return;
	if (node >= 0 && !nodes[node].is_zero &&
	    in_set(set == set_read ? set_store_rw :
		   set == set_write ? set_store_write :
		   set == set_lseek ? set_store_lseek :
		   set == set_msync ? set_store_msync :
		   set == set_ioctl ? set_store_ioctl : set_none, e))
		return;
	sh->violations++;
	report("# errno %d (%s) not documented for: %s\n", e, strerror(e), sh->last);
}

/* errno is read after the call: argument evaluation order is unspecified. */
#define CHECK(expr, set, node) do {					\
	long __ret = (long)(expr);					\
	check(__ret, errno, set, node);					\
} while (0)

/* --- the calls ---------------------------------------------------------- */

static int pick_fd(int *node)
{
	int i = (int)rnd_below(MAX_FDS);

	if (chance(3)) {
		*node = -1;
		return chance(50) ? -1 : 1000;	/* EBADF */
	}
	if (fds[i] < 0) {
		int j;

		for (j = 0; j < MAX_FDS; j++)
			if (fds[(i + j) % MAX_FDS] >= 0)
				break;
		if (j == MAX_FDS) {
			*node = -1;
			return -1;
		}
		i = (i + j) % MAX_FDS;
	}
	*node = fd_node[i];
	return fds[i];
}

static void op_open(void)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR };
	int i = (int)rnd_below(MAX_FDS), n = (int)rnd_below(nr_nodes);
	int flags = modes[rnd_below(4)] | O_CLOEXEC;
	int fd;

	if (chance(20))
		flags |= O_NONBLOCK;
	if (chance(10))
		flags |= O_APPEND;
	if (chance(10))
		flags |= O_SYNC;
	if (fds[i] >= 0) {
		describe("close(%s)", nodes[fd_node[i]].path);
		CHECK(close(fds[i]), set_open, fd_node[i]);
		fds[i] = -1;
	}
	describe("open(%s, %#x)", nodes[n].path, flags);
	fd = open(nodes[n].path, flags);
	CHECK(fd, set_open, n);
	if (fd >= 0) {
		fds[i] = fd;
		fd_node[i] = n;
	}
}

static void op_mmap(void)
{
	static const int extra[] = { MAP_POPULATE, MAP_NORESERVE, MAP_LOCKED,
		MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_HUGETLB, MAP_32BIT,
		MAP_STACK, MAP_DENYWRITE, MAP_EXECUTABLE, 0x08 /* DROPPABLE */,
		0x80000 /* MAP_SYNC */, 0x4000000, 0x40000000 };
	int node, fd = pick_fd(&node), m = (int)rnd_below(MAX_MAPS);
	int prot = (int)rnd_below(8), flags;
	uint64_t len = boundary(), off = boundary();
	void *addr = NULL;
	char *p;

	flags = chance(50) ? MAP_SHARED : MAP_PRIVATE;
	if (chance(10))
		flags = MAP_SHARED_VALIDATE;
	if (chance(3))
		flags = 0;	/* neither: EINVAL */
	if (chance(30))
		flags |= extra[rnd_below(sizeof(extra) / sizeof(extra[0]))];
	if (chance(5))
		prot |= chance(50) ? PROT_GROWSDOWN : 0x100;
	if (chance(60))
		len = chance(50) ? rnd_below(64) * page : rnd_below(16 * page);
	if (chance(60))
		off = chance(70) ? rnd_below(64) * page : rnd_below(1 << 20);
	if (chance(25)) {
		/* MAP_FIXED, only over our arena */
		uint64_t start = rnd_below(ARENA_PAGES) * page;

		if (len > ARENA_PAGES * page - start)
			len = ARENA_PAGES * page - start;
		addr = arena + start;
		flags |= MAP_FIXED;
	} else if (chance(20)) {
		addr = arena + rnd_below(ARENA_PAGES * page);	/* a hint */
	}
	/* Root may map page 0 (CAP_SYS_RAWIO): keep bad pointers bad. */
	if (!addr)
		flags &= ~MAP_FIXED_NOREPLACE;
	/* Populating a huge mapping would only test the OOM killer. */
	if (len > BIG_TOUCH)
		flags &= ~(MAP_POPULATE | MAP_LOCKED);
	describe("mmap(%p, %#llx, %#x, %#x, %s, %#llx)", addr,
		 (unsigned long long)len, prot, flags,
		 node >= 0 ? nodes[node].path : "badfd", (unsigned long long)off);
	p = mmap(addr, len, prot, flags, fd, (off_t)off);
	CHECK(p == MAP_FAILED ? -1 : 0, set_mmap, node);
	if (p == MAP_FAILED)
		return;
	if (maps[m].used && chance(50))
		munmap(maps[m].addr, maps[m].len);
	maps[m] = (struct map){ p, len, node, !!(flags & MAP_SHARED), 1 };
}

/* A range to operate on: a recorded mapping, part of one, or the arena. */
static void pick_range(char **addr, size_t *len)
{
	int m = (int)rnd_below(MAX_MAPS);

	if (maps[m].used && chance(80)) {
		/*
		 * Never past the mapping's last page: what lies after it may be
		 * the fuzzer's own memory.
		 */
		size_t pages = (maps[m].len + page - 1) / page;
		size_t first = chance(50) ? 0 : rnd_below(pages + 1);

		*addr = maps[m].addr + first * page;
		*len = chance(50) ? (pages - first) * page :
				    rnd_below(pages - first + 1) * page;
		if (chance(10) && *len) {
			*addr += rnd_below(page);	/* unaligned */
			*len -= page;
		}
		return;
	}
	*addr = arena + rnd_below(ARENA_PAGES) * page;
	*len = rnd_below(32) * page;
	if (chance(10))
		*len = boundary();
	if (*addr + *len < *addr || *addr + *len > arena + ARENA_PAGES * page)
		*len = arena + ARENA_PAGES * page - *addr;
}

static void op_munmap(void)
{
	char *a;
	size_t l;

	pick_range(&a, &l);
	describe("munmap(%p, %#zx)", a, l);
	CHECK(munmap(a, l), set_munmap, -1);
}

static void op_mremap(void)
{
	int m = (int)rnd_below(MAX_MAPS);
	size_t newlen = chance(50) ? rnd_below(64) * page : boundary();
	int flags = 0;
	char *a, *p, *na = NULL;
	size_t l;

	if (!maps[m].used)
		return;
	a = maps[m].addr;
	l = chance(80) ? maps[m].len : boundary();
	/*
	 * A shrink unmaps [addr + new_len, addr + old_len) (6.1 before it
	 * even looks at the VMA): never past the mapping, our memory is there.
	 */
	if (l > maps[m].len && newlen < l)
		l = maps[m].len;
	if (chance(60))
		flags |= MREMAP_MAYMOVE;
	if (chance(15) && (flags & MREMAP_MAYMOVE)) {
		size_t start = rnd_below(ARENA_PAGES) * page;

		flags |= MREMAP_FIXED;
		if (newlen > ARENA_PAGES * page - start)
			newlen = ARENA_PAGES * page - start;
		na = arena + start;
	}
	if (chance(5))
		flags |= MREMAP_DONTUNMAP;
	if (chance(3))
		flags |= 0x80;	/* unknown */
	if (chance(5))
		a += 1;
	describe("mremap(%p, %#zx, %#zx, %#x, %p) [%s %s]", a, l, newlen, flags, na,
		 maps[m].node >= 0 ? nodes[maps[m].node].path : "?",
		 maps[m].shared ? "shared" : "private");
	p = mremap(a, l, newlen, flags, na);
	CHECK(p == MAP_FAILED ? -1 : 0, set_mremap, maps[m].node);
	if (p != MAP_FAILED && !(flags & MREMAP_DONTUNMAP)) {
		maps[m].addr = p;
		maps[m].len = newlen;
	}
}

static void op_mprotect(void)
{
	int prot = (int)rnd_below(8);
	char *a;
	size_t l;

	if (chance(5))
		prot |= chance(50) ? PROT_GROWSDOWN : 0x1000;
	pick_range(&a, &l);
	describe("mprotect(%p, %#zx, %#x)", a, l, prot);
	CHECK(mprotect(a, l, prot), set_mprotect, -1);
}

static void op_madvise(void)
{
	static const int advice[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL,
		MADV_WILLNEED, MADV_DONTNEED, MADV_FREE, MADV_REMOVE,
		MADV_DONTFORK, MADV_DOFORK, MADV_MERGEABLE, MADV_UNMERGEABLE,
		MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP,
		MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT,
		MADV_POPULATE_READ, MADV_POPULATE_WRITE, 24 /* DONTNEED_LOCKED */,
		25 /* COLLAPSE */, 5, 6, 7, 26, 27, 99, 102, 1000, -1 };
	/* Never MADV_HWPOISON (100) nor MADV_SOFT_OFFLINE (101): root here. */
	int adv = advice[rnd_below(sizeof(advice) / sizeof(advice[0]))];
	char *a;
	size_t l;

	pick_range(&a, &l);
	if ((adv == MADV_POPULATE_READ || adv == MADV_POPULATE_WRITE ||
	     adv == MADV_WILLNEED) && l > BIG_TOUCH)
		l = BIG_TOUCH;
	describe("madvise(%p, %#zx, %d)", a, l, adv);
	CHECK(madvise(a, l, adv), set_madvise, -1);
}

/* Does [a, a + l) overlap a mapping of a store node (/proc/self/maps)? */
static int range_has_store(char *a, size_t l)
{
	static char buf[1 << 16];
	unsigned long long start, end;
	char path[128], *line, *nl;
	int fd = open("/proc/self/maps", O_RDONLY);
	ssize_t n = 0, r;

	if (fd < 0)
		return 0;
	while (n < (ssize_t)sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = 0;
		path[0] = 0;
		if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %127s", &start, &end, path) == 3 &&
		    start < (uintptr_t)a + l && end > (uintptr_t)a &&
		    !strncmp(path, "/dev/" VMAPDEMO_STORE_NAME_PREFIX, 19))
			return 1;
	}
	return 0;
}

static void op_msync(void)
{
	int flags = (int)rnd_below(8), ret, err;
	char *a;
	size_t l;

	pick_range(&a, &l);
	describe("msync(%p, %#zx, %#x)", a, l, flags);
	ret = msync(a, l, flags);
	err = errno;
	/* A store reports a crash once to the next sync, msync() included. */
	if (ret == -1 && err == EIO && range_has_store(a, l)) {
		sh->calls++;
		return;
	}
	check(ret, err, set_msync, -1);
}

static void op_mlock(void)
{
	char *a;
	size_t l;

	pick_range(&a, &l);
	if (l > BIG_TOUCH)
		l = BIG_TOUCH;
	describe("mlock(%p, %#zx)", a, l);
	CHECK(mlock(a, l), set_mlock, -1);
	describe("munlock(%p, %#zx)", a, l);
	CHECK(munlock(a, l), set_mlock, -1);
}

static void op_mincore(void)
{
	static unsigned char vec[ARENA_PAGES + 64];
	char *a;
	size_t l;

	pick_range(&a, &l);
	if (l > (sizeof(vec) - 1) * page)
		l = (sizeof(vec) - 1) * page;
	a = (char *)((uintptr_t)a & ~(uintptr_t)(page - 1));
	describe("mincore(%p, %#zx)", a, l);
	CHECK(mincore(a, l, chance(5) ? bad_pointer() : vec), set_mincore, -1);
}

/* Read or write a byte of a mapping: SIGBUS/SIGSEGV are expected here. */
static void op_touch(void)
{
	int m = (int)rnd_below(MAX_MAPS), w = chance(50);
	volatile char *p;

	if (!maps[m].used || !maps[m].len)
		return;
	/* Inside the mapping's pages: past them may be our own memory. */
	p = maps[m].addr + rnd_below((maps[m].len + page - 1) / page) * page +
	    rnd_below(page);
	describe("touch(%p, %s) [%s %s, len %#zx]", p, w ? "write" : "read",
		 maps[m].node >= 0 ? nodes[maps[m].node].path : "?",
		 maps[m].shared ? "shared" : "private", maps[m].len);
	sh->touch_addr = (uintptr_t)p;
	sh->touching = 1;
	if (w)
		*p = (char)sh->calls;
	else
		(void)*p;
	sh->touching = 0;
	sh->calls++;
}

static void op_rw(void)
{
	int node, fd = pick_fd(&node), in_map, kind = (int)rnd_below(6);
	size_t len = chance(50) ? rnd_below(4 * page) : boundary();
	int64_t off = (int64_t)boundary();
	void *buf = buffer(&len, &in_map);
	const char *p = node >= 0 ? nodes[node].path : "badfd";
	struct iovec iov[2] = { { buf, len / 2 }, { scratch, len - len / 2 } };
	long ret;

	switch (kind) {
	case 0:
		describe("read(%s, %p, %#zx)", p, buf, len);
		ret = read(fd, buf, len);
		CHECK(ret, set_read, node);
		break;
	case 1:
		describe("write(%s, %p, %#zx)", p, buf, len);
		ret = write(fd, buf, len);
		CHECK(ret, set_write, node);
		break;
	case 2:
		describe("pread(%s, %p, %#zx, %#llx)", p, buf, len, (long long)off);
		ret = pread(fd, buf, len, off);
		CHECK(ret, set_read, node);
		break;
	case 3:
		describe("pwrite(%s, %p, %#zx, %#llx)", p, buf, len, (long long)off);
		ret = pwrite(fd, buf, len, off);
		CHECK(ret, set_write, node);
		break;
	case 4:
		describe("readv(%s, %p+%p, %#zx)", p, buf, (void *)scratch, len);
		ret = readv(fd, iov, 2);
		CHECK(ret, set_read, node);
		break;
	default: {
		int whence = (int)rnd_below(7);

		describe("lseek(%s, %#llx, %d)", p, (long long)off, whence);
		ret = lseek(fd, off, whence);
		CHECK(ret, set_lseek, node);
		break;
	}
	}
}

/*
 * Expected result of GET_STATS on /dev/vmapdemo, from the uapi header's
 * conventions, in the order the kernel checks them: the struct's @end
 * bytes are readable, the rest faults.
 */
static int stats_expect(const unsigned char *arg, size_t end)
{
	const struct vmapdemo_stats *st = (const void *)arg;
	size_t i;

	if (end < sizeof(st->size))
		return EFAULT;
	if (st->size < sizeof(*st))
		return EINVAL;
	if (st->size > page)
		return E2BIG;
	for (i = sizeof(*st); i < st->size; i++) {
		if (i >= end)
			return EFAULT;
		if (arg[i])
			return E2BIG;
	}
	if (st->size > end)
		return EFAULT;
	if (st->flags)
		return EINVAL;
	return 0;
}

/*
 * The exact answer of GET_INFO on a store for @arg (see stats_expect()):
 * the first version of struct vmapdemo_store_info is 120 bytes, and its
 * __reserved field must be 0.
 */
static int info_expect(const unsigned char *arg, size_t end)
{
	const struct vmapdemo_store_info *in = (const void *)arg;
	size_t i;

	if (end < sizeof(in->size))
		return EFAULT;
	if (in->size < 120)
		return EINVAL;
	if (in->size > page)
		return E2BIG;
	for (i = sizeof(*in); i < in->size; i++) {
		if (i >= end)
			return EFAULT;
		if (arg[i])
			return E2BIG;
	}
	if (in->size > end)
		return EFAULT;
	if (in->flags || in->__reserved)
		return EINVAL;
	return 0;
}

static void op_ioctl(void)
{
	int node, fd = pick_fd(&node), model = 0, expect = 0;
	unsigned long cmd;
	unsigned char *arg = (unsigned char *)scratch;
	uint32_t size;
	long ret;

	/* The argument: a struct of size 0..PAGE_SIZE+8, sometimes dirty. */
	size = chance(50) ? (uint32_t)rnd_below(page + 9) :
			    (chance(50) ? sizeof(struct vmapdemo_stats) :
					  (uint32_t)boundary());
	memset(arg, 0, page + 16);
	((uint32_t *)arg)[0] = size;
	if (chance(20))
		((uint32_t *)arg)[1] = 1U << rnd_below(32);	/* flags */
	if (chance(20))
		arg[8 + rnd_below(page)] = (unsigned char)rnd();
	if (chance(20)) {
		/* A struct running into the guard page after scratch. */
		arg = (unsigned char *)scratch + SCRATCH_PAGES * page - rnd_below(96) - 4;
		memset(arg, 0, scratch + SCRATCH_PAGES * page - (char *)arg);
		((uint32_t *)arg)[0] = size;
	}

	switch (rnd_below(6)) {
	case 0:
	case 1:
		cmd = VMAPDEMO_IOC_GET_STATS;
		model = node >= 0 && nodes[node].is_zero;
		break;
	case 4:
	case 5:
		/* Fields past the first only if the struct has room for them. */
		if (scratch + SCRATCH_PAGES * page - (char *)arg < 16)
			arg = (unsigned char *)scratch;
		/*
		 * The store commands, at a real rate (a random command number
		 * with random direction and size bits reaches them about once
		 * in a million calls): GET_INFO against an exact model, the
		 * others against their documented errors.
		 */
		switch (rnd_below(4)) {
		case 0:
			cmd = VMAPDEMO_STORE_IOC_GET_INFO;
			model = node >= 0 && !nodes[node].is_zero ? 2 : 0;
			if (chance(50))
				((uint32_t *)arg)[0] = size = chance(50) ? 120 :
					(chance(50) ? 208 : sizeof(struct vmapdemo_store_info));
			break;
		case 1:
			cmd = VMAPDEMO_STORE_IOC_SET_SIZE;
			if (chance(50))
				((uint32_t *)arg)[0] = size = sizeof(struct vmapdemo_store_resize);
			/* Mostly sizes that keep the store small. */
			if (chance(70))
				((uint64_t *)arg)[1] = rnd_below(64) * page + rnd_below(2) * rnd_below(page);
			break;
		case 2:
			cmd = VMAPDEMO_STORE_IOC_SYNC;
			if (chance(50))
				((uint32_t *)arg)[0] = size = sizeof(struct vmapdemo_store_sync);
			if (chance(50))
				((uint32_t *)arg)[1] = 1U << rnd_below(4);
			break;
		default:
			cmd = VMAPDEMO_STORE_IOC_CRASH;
			if (chance(50))
				((uint32_t *)arg)[0] = size = sizeof(struct vmapdemo_store_crash);
			break;
		}
		break;
	case 2:	/* our magic, any number, direction and size */
		cmd = _IOC(rnd_below(4), VMAPDEMO_IOC_MAGIC, rnd_below(256),
			   rnd_below(page + 9) & _IOC_SIZEMASK);
		break;
	default:
		/*
		 * Another driver's commands. Not random types: the VFS
		 * handles some itself (FIFREEZE on devtmpfs, as root...).
		 */
		cmd = chance(50) ? (unsigned long)TCGETS :
				   _IOC(rnd_below(4), 0xB8, rnd_below(256), rnd_below(64));
		break;
	}
	if (chance(8)) {
		arg = bad_pointer();
		expect = EFAULT;
	} else if (model == 1) {
		expect = stats_expect(arg, scratch + SCRATCH_PAGES * page - (char *)arg);
	} else if (model == 2) {
		expect = info_expect(arg, scratch + SCRATCH_PAGES * page - (char *)arg);
	}
	describe("ioctl(%s, %#lx, %p [size %u])", node >= 0 ? nodes[node].path : "badfd",
		 cmd, (void *)arg, size);
	ret = ioctl(fd, cmd, arg);
	if (node >= 0 && !nodes[node].is_zero && _IOC_NR(cmd) >= 0x10 && _IOC_NR(cmd) < 0x30 &&
	    _IOC_TYPE(cmd) == VMAPDEMO_IOC_MAGIC && !_IOC_DIR(cmd) && !_IOC_SIZE(cmd))
		sh->store_ioctls++;
	if (model && fd >= 0) {
		int got = ret < 0 ? errno : 0;

		sh->calls++;
		if (got != expect) {
			sh->violations++;
			report("# %s: got %d (%s), the uapi says %d (%s): %s\n",
			       model == 1 ? "GET_STATS" : "GET_INFO",
			       got, strerror(got), expect, strerror(expect), sh->last);
		}
		return;
	}
	CHECK(ret, node < 0 ? set_badfd : set_ioctl, node);
}

/* A grandchild touches the mappings it inherited and exits. */
static void op_fork(void)
{
	pid_t pid;
	int st;

	describe("fork and touch");
	pid = fork();
	if (pid == 0) {
		int i;

		for (i = 0; i < 8; i++)
			op_touch();
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	sh->touching = 0;	/* the grandchild may have died touching */
	sh->calls++;
}

/*
 * A signal on a touch ends the child quietly (the kernel would log every
 * segfault, hundreds per run); anywhere else it kills the child as usual,
 * logged, and the parent reports it.
 */
#define EXIT_TOUCH_SIGNAL	100

/*
 * May a touch of @a get SIGBUS? Only where the page is past the end of
 * what is mapped: never in a private mapping of /dev/vmapdemo (its pages
 * are the zero page or anonymous copies); in a store's mapping only at or
 * past the store's size; in a shared /dev/vmapdemo mapping past the end of
 * its object (mremap can grow a mapping past it; not modelled: allowed).
 * Found from /proc/self/maps, as the fuzz maps, unmaps and remaps freely.
 * Called from the signal handler of a child that exits right after.
 */
static int sigbus_legit(uintptr_t a)
{
	static char buf[1 << 16];
	struct vmapdemo_store_info info = { .size = sizeof(info) };
	unsigned long long start, end, off;
	char perms[8], path[128];
	ssize_t n = 0, r;
	char *line, *nl;
	int fd = open("/proc/self/maps", O_RDONLY), sfd, ok;

	if (fd < 0)
		return 1;
	while (n < (ssize_t)sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	for (line = buf; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = 0;
		path[0] = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %127s", &start, &end, perms, &off, path) < 4 ||
		    a < start || a >= end)
			continue;
		if (!strcmp(path, VMAPDEMO_PATH))
			return perms[3] == 's';
		if (strncmp(path, "/dev/" VMAPDEMO_STORE_NAME_PREFIX, 19))
			return 0;	/* anonymous memory, the arena, ... */
		sfd = open(path, O_RDONLY);
		ok = sfd >= 0 && !ioctl(sfd, VMAPDEMO_STORE_IOC_GET_INFO, &info) &&
		     off + ((a - start) & ~(uintptr_t)(page - 1)) >= info.store_size;
		if (sfd >= 0)
			close(sfd);
		return ok;
	}
	return 0;	/* not mapped at all: SIGSEGV, not SIGBUS */
}

static void touch_signal(int sig)
{
	if (sh->touching) {
		if (sig == SIGBUS && !sigbus_legit(sh->touch_addr)) {
			sh->violations++;
			report("# SIGBUS where nothing is past the end: %s\n", sh->last);
		}
		_exit(EXIT_TOUCH_SIGNAL + sig);
	}
	signal(sig, SIG_DFL);	/* returns, faults again, dies */
}

static void child(uint64_t seed)
{
	int i;

	signal(SIGSEGV, touch_signal);
	signal(SIGBUS, touch_signal);
	rng_state = seed;
	alarm(CHILD_ALARM);
	for (i = 0; i < MAX_FDS; i++)
		fds[i] = -1;
	memset(maps, 0, sizeof(maps));
	arena = mmap(NULL, ARENA_PAGES * page, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	scratch = mmap(NULL, (SCRATCH_PAGES + 1) * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED || scratch == MAP_FAILED)
		_exit(3);
	mprotect(scratch + SCRATCH_PAGES * page, page, PROT_NONE);
	for (i = 0; i < 4; i++)
		op_open();

	while (sh->calls < target_calls && time(NULL) < deadline) {
		switch (rnd_below(20)) {
		case 0:		op_open(); break;
		case 1: case 2: case 3: op_mmap(); break;
		case 4:		op_munmap(); break;
		case 5:		op_mremap(); break;
		case 6:		op_mprotect(); break;
		case 7:		op_madvise(); break;
		case 8:		op_msync(); break;
		case 9:		op_mlock(); break;
		case 10:	op_mincore(); break;
		case 11: case 12: case 13: op_touch(); break;
		case 14: case 15: op_rw(); break;
		case 16: case 17: op_ioctl(); break;
		case 18:	if (chance(10)) op_fork(); else op_touch(); break;
		default:
			/* Now and then end the process with everything mapped. */
			if (chance(2))
				_exit(0);
			op_touch();
			break;
		}
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *s;
	uint64_t seed = DEFAULT_SEED, gen;
	struct vmapdemo_stats before, after;
	char store[MAX_NODES - 1][VD_PATH_MAX];
	unsigned long long store_size[MAX_NODES - 1];
	int secs = DEFAULT_SECS, bad_exits = 0, children = 0, signals = 0, i, n;

	ksft_print_header();
	page = sysconf(_SC_PAGESIZE);
	if ((s = getenv("VD_FUZZ_SEED")))
		seed = strtoull(s, NULL, 0);
	if (argc > 1)
		seed = strtoull(argv[1], NULL, 0);
	target_calls = DEFAULT_CALLS;
	if ((s = getenv("VD_FUZZ_CALLS")))
		target_calls = strtoull(s, NULL, 0);
	if (argc > 2)
		target_calls = strtoull(argv[2], NULL, 0);
	if ((s = getenv("VD_FUZZ_SECS")))
		secs = atoi(s);
	verbose = getenv("VD_FUZZ_VERBOSE") != NULL;

	if (!vd_present())
		ksft_exit_skip(VMAPDEMO_PATH " missing: load vmapdemo.ko\n");
	ksft_set_plan(3);

	snprintf(nodes[0].path, VD_PATH_MAX, "%s", VMAPDEMO_PATH);
	nodes[0].is_zero = 1;
	n = vd_store_nodes(store, MAX_NODES - 1);
	for (i = 0; i < n; i++)
		memcpy(nodes[1 + i].path, store[i], VD_PATH_MAX);
	nr_nodes = 1 + n;
	/* The store ioctls resize and crash: give each store its size back. */
	for (i = 0; i < n; i++) {
		struct vmapdemo_store_info info = { .size = sizeof(info) };
		int sfd = open(store[i], O_RDONLY);

		if (sfd < 0 || ioctl(sfd, VMAPDEMO_STORE_IOC_GET_INFO, &info))
			ksft_exit_fail_msg("%s: GET_INFO: %s\n", store[i], strerror(errno));
		store_size[i] = info.store_size;
		close(sfd);
	}
	ksft_print_msg("seed %#llx, %llu calls, %d s bound, %d node(s)%s (rerun: VD_FUZZ_SEED=%#llx)\n",
		       (unsigned long long)seed, (unsigned long long)target_calls,
		       secs, nr_nodes, n ? " with store nodes" : "",
		       (unsigned long long)seed);

	if (vd_stats(&before))
		ksft_exit_fail_msg("GET_STATS: %s\n", strerror(errno));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	deadline = time(NULL) + secs;

	for (gen = 0; sh->calls < target_calls && time(NULL) < deadline; gen++) {
		pid_t pid;
		int st;

		fflush(stdout);
		pid = fork();
		if (pid < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (pid == 0)
			child(seed ^ (gen * 0xd1342543de82ef95ULL));
		children++;
		if (waitpid(pid, &st, 0) != pid)
			ksft_exit_fail_msg("waitpid: %s\n", strerror(errno));
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			continue;
		if (WIFEXITED(st) && sh->touching &&
		    (WEXITSTATUS(st) == EXIT_TOUCH_SIGNAL + SIGBUS ||
		     WEXITSTATUS(st) == EXIT_TOUCH_SIGNAL + SIGSEGV)) {
			signals++;
			sh->touching = 0;
			continue;
		}
		bad_exits++;
		ksft_print_msg("child %llu: %s %d during: %s\n",
			       (unsigned long long)gen,
			       WIFSIGNALED(st) ? "signal" : "exit status",
			       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st),
			       sh->last);
		if (bad_exits > 5)
			break;
	}
	ksft_print_msg("%d children, %d ended by an expected SIGBUS/SIGSEGV\n",
		       children, signals);
	for (i = 0; i < n; i++) {
		struct vmapdemo_store_resize rs = { .size = sizeof(rs), .new_size = 0 };
		int sfd = open(store[i], O_RDWR);

		/* Empty (crashes left old data in the medium), then the size. */
		if (sfd < 0 || ioctl(sfd, VMAPDEMO_STORE_IOC_SET_SIZE, &rs) ||
		    (rs.new_size = store_size[i], ioctl(sfd, VMAPDEMO_STORE_IOC_SET_SIZE, &rs)))
			ksft_print_msg("%s: cannot restore its size: %s\n", store[i], strerror(errno));
		close(sfd);
	}
	ksft_print_msg("fuzz calls: %llu\n", (unsigned long long)sh->calls);
	ksft_print_msg("store ioctls: %llu\n", (unsigned long long)sh->store_ioctls);

	if (sh->violations)
		printf("%s\n# (%llu violations in all)\n", sh->report,
		       (unsigned long long)sh->violations);
	ksft_test_result(sh->violations == 0, "every errno is documented for its call (%llu violations)\n",
			 (unsigned long long)sh->violations);
	ksft_test_result(bad_exits == 0, "children exit normally or by SIGBUS/SIGSEGV on a touch\n");
	ksft_test_result(vd_stats_settled(&before, &after) == 0,
			 "no object, mapping or page leaked\n");
	ksft_finished();
}
