// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_failnth: systematic fault injection into every operation of the
 * device that allocates, with /proc/thread-self/fail-nth
 * (Documentation/fault-injection/fault-injection.rst): for N = 1, 2, ...
 * arm the N-th fault-injection point of this thread, run the operation,
 * read fail-nth back (0: the failure was injected), until the operation
 * runs with N left unconsumed, i.e. succeeded uninjected.
 *
 * Operations: open; mmap private; mmap shared (object, inode, file);
 * first read fault private (zero page) and shared (page allocation);
 * first write fault shared; COW write fault private; GET_STATS; read;
 * munmap and mprotect splitting a shared VMA, mremap moving it and fork
 * copying it (the core allocates the VMA and calls our ->open); and,
 * when store nodes exist, open, mmap shared, first write fault,
 * write() and every ioctl (GET_INFO; SYNC synchronous, asynchronous and
 * invalidating; CRASH; SET_SIZE shrinking and growing) on the first of
 * them. Faults run in a child, which may die of
 * SIGBUS (VM_FAULT_OOM is retried by the kernel, see
 * pagefault_out_of_memory()).
 *
 * Asserted per operation: an injected failure gives a clean errno
 * (ENOMEM, EAGAIN, ENFILE, EINTR; ENOSPC from shmem), SIGBUS (faults)
 * or success; a follow-up of the operation uninjected works and the data it finds is intact (for the
 * store ioctls: in the cache and, after a crash, in the backing store);
 * after each operation's sweep and at the end, the module's stats show
 * nothing leaked, and a store emptied (crash, truncation to 0) holds no
 * page. Prints "# injections tried: N".
 *
 * Needs CONFIG_FAULT_INJECTION (SKIP without: Debian's kernels). As root
 * it sets failslab's and fail_page_alloc's debugfs knobs so that sleeping,
 * highmem and order-0 allocations may be failed too (their defaults spare
 * them), and restores them afterwards.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "vmapdemo_test.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define MAX_NTH		4000
#define NPAGES		4

static long page;
static int nth_fd = -1;
static unsigned long injections;
static char store_path[VD_PATH_MAX];

/* --- fail-nth ------------------------------------------------------------ */

static void nth_arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, len, 0) != len)
		ksft_exit_fail_msg("write %s: %s\n", FAIL_NTH, strerror(errno));
}

/* 1 if the armed failure was injected; disarms it otherwise. */
static int nth_fired(void)
{
	char buf[16] = "";

	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		ksft_exit_fail_msg("read %s: %s\n", FAIL_NTH, strerror(errno));
	if (atoi(buf) == 0)
		return 1;
	nth_arm(0);
	return 0;
}

/* --- debugfs knobs ------------------------------------------------------- */

struct knob {
	const char *path;
	const char *value;
	char saved[32];
	int set;
};

static struct knob knobs[] = {
	{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/failslab/verbose", "0" },
	{ "/sys/kernel/debug/failslab/task-filter", "N" },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
	{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
	{ "/sys/kernel/debug/fail_page_alloc/task-filter", "N" },
};

static void knobs_set(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		struct knob *k = &knobs[i];

		if (vd_read_file(k->path, k->saved, sizeof(k->saved)) < 0) {
			ksft_print_msg("%s: %s (not set)\n", k->path, strerror(errno));
			continue;
		}
		k->saved[strcspn(k->saved, "\n")] = '\0';
		if (vd_write_str(k->path, k->value))
			ksft_print_msg("cannot set %s: %s\n", k->path, strerror(errno));
		else
			k->set = 1;
	}
}

static void knobs_restore(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
		if (knobs[i].set)
			vd_write_str(knobs[i].path, knobs[i].saved);
}

/* --- operations ----------------------------------------------------------- */

/*
 * An operation runs once armed (@inject) and returns 0, or -errno, or
 * (faults) the child's wait status encoded as 1000 + signal. @fired says
 * whether the injection happened. Then it runs its follow-up uninjected and
 * returns through @followup 0 if everything works and the data is intact.
 */
struct op {
	const char *name;
	int (*run)(int inject, int *fired, int *followup);
	int store;
};

/*
 * ENOSPC: a shared mapping's object is a shmem file, and shmem gives
 * ENOSPC when it cannot allocate the file's inode (__shmem_get_inode()),
 * as /dev/zero's MAP_SHARED mmap() does under the same injection.
 */
static const int clean_errnos[] = { ENOMEM, EAGAIN, ENFILE, EINTR, ENOSPC, 0 };

static int is_clean(int ret)
{
	const int *e;

	if (ret == 0 || ret == 1000 + SIGBUS)
		return 1;
	for (e = clean_errnos; *e; e++)
		if (ret == -*e)
			return 1;
	return 0;
}

static int op_open_path(const char *path, int inject, int *fired, int *followup)
{
	int fd, ret;

	nth_arm(inject);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ret = fd < 0 ? -errno : 0;
	*fired = nth_fired();
	if (fd >= 0)
		close(fd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	*followup = fd < 0;
	if (fd >= 0)
		close(fd);
	return ret;
}

static int op_open(int inject, int *fired, int *followup)
{
	return op_open_path(VMAPDEMO_PATH, inject, fired, followup);
}

static int op_store_open(int inject, int *fired, int *followup)
{
	return op_open_path(store_path, inject, fired, followup);
}

/* Write a pattern into a mapping and read it back: 0 if intact. */
static int exercise(char *p, size_t len, int shared_check)
{
	size_t i;

	for (i = 0; i < len; i += page)
		if (p[i] != 0 && shared_check)
			return 1;
	for (i = 0; i < len; i += page)
		p[i] = (char)(i / page + 1);
	for (i = 0; i < len; i += page)
		if (p[i] != (char)(i / page + 1))
			return 1;
	return 0;
}

/*
 * @fresh: the mapping must start out zero-filled (a new /dev/vmapdemo
 * object); a store keeps what an earlier round wrote.
 */
static int op_mmap_path(const char *path, int flags, int fresh, int inject,
			int *fired, int *followup)
{
	size_t len = NPAGES * page;
	int fd = open(path, O_RDWR | O_CLOEXEC), ret;
	char *p;

	if (fd < 0)
		ksft_exit_fail_msg("open %s: %s\n", path, strerror(errno));
	nth_arm(inject);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	ret = p == MAP_FAILED ? -errno : 0;
	*fired = nth_fired();
	if (p != MAP_FAILED) {
		/* A mapping made despite an injection must work fully. */
		*followup = exercise(p, len, fresh);
		munmap(p, len);
		if (*followup)
			goto out;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	*followup = p == MAP_FAILED || exercise(p, len, fresh);
	if (p != MAP_FAILED)
		munmap(p, len);
out:
	close(fd);
	return ret;
}

static int op_mmap_private(int inject, int *fired, int *followup)
{
	return op_mmap_path(VMAPDEMO_PATH, MAP_PRIVATE, 1, inject, fired, followup);
}

static int op_mmap_shared(int inject, int *fired, int *followup)
{
	return op_mmap_path(VMAPDEMO_PATH, MAP_SHARED, 1, inject, fired, followup);
}

static int op_store_mmap(int inject, int *fired, int *followup)
{
	return op_mmap_path(store_path, MAP_SHARED, 0, inject, fired, followup);
}

/*
 * A first fault in a child: the mapping and its other pages exist before
 * arming; the child arms, touches page 1, reports whether the injection
 * fired (exit 0) or not (exit 10). A SIGBUS kills it. Then, in this
 * process: page 1 works (refault) and the pages written before it are
 * intact (shared: also what the child wrote, if its touch went through).
 */
static int fault_op(const char *path, int flags, int write, int cow, int inject,
		    int *fired, int *followup)
{
	size_t len = NPAGES * page;
	int fd = open(path, O_RDWR | O_CLOEXEC), st, ret;
	volatile char *p;
	pid_t pid;

	if (fd < 0)
		ksft_exit_fail_msg("open %s: %s\n", path, strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		ksft_exit_fail_msg("mmap %s: %s\n", path, strerror(errno));
	p[0] = 0x11;		/* another page, faulted uninjected */
	if (cow)
		(void)p[page];	/* read first: the write below copies */
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	if (pid == 0) {
		/* /proc/thread-self named the parent when it was opened. */
		close(nth_fd);
		nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
		if (nth_fd < 0)
			_exit(20);
		nth_arm(inject);
		if (write)
			p[page] = 0x22;
		else
			(void)p[page];
		_exit(nth_fired() ? 0 : 10);
	}
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st)) {
		ret = 1000 + WTERMSIG(st);
		*fired = 1;	/* only an injection makes it die */
	} else {
		ret = WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 10 ? 0 : -EIO;
		*fired = WEXITSTATUS(st) == 0;
	}
	/* Follow-up: the other page is intact, the faulted one works. */
	*followup = p[0] != 0x11;
	if (flags & MAP_SHARED && write && WIFEXITED(st) && p[page] != 0x22)
		*followup = 1;
	if (!(flags & MAP_SHARED) && p[page] != 0)
		*followup = 1;	/* the child's private write stays its own */
	p[page] = 0x33;
	if (p[page] != 0x33)
		*followup = 1;
	munmap((void *)p, len);
	return ret;
}

static int op_fault_read_private(int inject, int *fired, int *followup)
{
	return fault_op(VMAPDEMO_PATH, MAP_PRIVATE, 0, 0, inject, fired, followup);
}

static int op_fault_read_shared(int inject, int *fired, int *followup)
{
	return fault_op(VMAPDEMO_PATH, MAP_SHARED, 0, 0, inject, fired, followup);
}

static int op_fault_write_shared(int inject, int *fired, int *followup)
{
	return fault_op(VMAPDEMO_PATH, MAP_SHARED, 1, 0, inject, fired, followup);
}

static int op_fault_cow_private(int inject, int *fired, int *followup)
{
	return fault_op(VMAPDEMO_PATH, MAP_PRIVATE, 1, 1, inject, fired, followup);
}

static int op_store_fault_write(int inject, int *fired, int *followup)
{
	return fault_op(store_path, MAP_SHARED, 1, 0, inject, fired, followup);
}

static int op_get_stats(int inject, int *fired, int *followup)
{
	struct vmapdemo_stats st = { .size = sizeof(st) };
	int fd = open(VMAPDEMO_PATH, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		ksft_exit_fail_msg("open: %s\n", strerror(errno));
	nth_arm(inject);
	ret = ioctl(fd, VMAPDEMO_IOC_GET_STATS, &st) ? -errno : 0;
	*fired = nth_fired();
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	*followup = ioctl(fd, VMAPDEMO_IOC_GET_STATS, &st) || st.size != sizeof(st);
	close(fd);
	return ret;
}

static int op_rw_path(const char *path, int do_write, int inject, int *fired,
		      int *followup)
{
	static char buf[65536];
	int fd = open(path, O_RDWR | O_CLOEXEC);
	ssize_t n;
	int ret;

	if (fd < 0)
		ksft_exit_fail_msg("open %s: %s\n", path, strerror(errno));
	memset(buf, do_write ? 0x5a : 0x7f, sizeof(buf));
	nth_arm(inject);
	n = do_write ? pwrite(fd, buf, sizeof(buf), 0) : pread(fd, buf, sizeof(buf), 0);
	ret = n < 0 ? -errno : 0;
	*fired = nth_fired();
	if (do_write) {
		n = pwrite(fd, buf, sizeof(buf), 0);
		*followup = n != (ssize_t)sizeof(buf);
		if (!*followup && store_path[0] && !strcmp(path, store_path)) {
			memset(buf, 0, sizeof(buf));
			*followup = pread(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
				    buf[0] != 0x5a || buf[sizeof(buf) - 1] != 0x5a;
		}
	} else {
		n = pread(fd, buf, sizeof(buf), 0);
		*followup = n != (ssize_t)sizeof(buf) || buf[0] != 0 ||
			    buf[sizeof(buf) - 1] != 0;
	}
	close(fd);
	return ret;
}

static int op_read(int inject, int *fired, int *followup)
{
	return op_rw_path(VMAPDEMO_PATH, 0, inject, fired, followup);
}

static int op_store_write(int inject, int *fired, int *followup)
{
	return op_rw_path(store_path, 1, inject, fired, followup);
}

/*
 * The store ioctls. Each run opens its own fd (a crash makes the next
 * synchronous sync of every file open at the time fail once with EIO) and
 * writes NPAGES pages of a byte that changes from run to run, so that the
 * data checked after the follow-up cannot be an earlier run's.
 */
static unsigned char store_round;
static int store_ioc_info(int fd, struct vmapdemo_store_info *info);
static int store_ioc_resize(int fd, unsigned long long size);

/*
 * Open the store, empty it (a truncation to 0 drops the cache and the
 * backing store: every allocation of the operation happens again in each
 * run, the N-th injection point of the sweep is a new one) and write
 * @len bytes of a new value at 0.
 */
static int store_open_fill(unsigned char *buf, size_t len)
{
	int fd = open(store_path, O_RDWR | O_CLOEXEC);
	struct vmapdemo_store_info info;

	if (fd < 0)
		ksft_exit_fail_msg("open %s: %s\n", store_path, strerror(errno));
	if (store_ioc_info(fd, &info) || store_ioc_resize(fd, 0) ||
	    store_ioc_resize(fd, info.store_size))
		ksft_exit_fail_msg("emptying %s: %s\n", store_path, strerror(errno));
	if (++store_round == 0)
		store_round = 1;
	memset(buf, store_round, len);
	if (pwrite(fd, buf, len, 0) != (ssize_t)len)
		ksft_exit_fail_msg("pwrite %s: %s\n", store_path, strerror(errno));
	return fd;
}

static int store_ioc_info(int fd, struct vmapdemo_store_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, VMAPDEMO_STORE_IOC_GET_INFO, info) ? -errno : 0;
}

static int store_ioc_sync(int fd, unsigned int flags, size_t len)
{
	struct vmapdemo_store_sync sy = {
		.size = sizeof(sy), .flags = flags, .length = len,
	};

	return ioctl(fd, VMAPDEMO_STORE_IOC_SYNC, &sy) ? -errno : 0;
}

static int store_ioc_crash(int fd)
{
	struct vmapdemo_store_crash cr = { .size = sizeof(cr) };

	return ioctl(fd, VMAPDEMO_STORE_IOC_CRASH, &cr) ? -errno : 0;
}

static int store_ioc_resize(int fd, unsigned long long size)
{
	struct vmapdemo_store_resize rs = { .size = sizeof(rs), .new_size = size };

	return ioctl(fd, VMAPDEMO_STORE_IOC_SET_SIZE, &rs) ? -errno : 0;
}

/* The store reads @want over [0, len): 0 if so. */
static int store_data_bad(int fd, const unsigned char *want, size_t len)
{
	static unsigned char got[NPAGES * 65536];

	return pread(fd, got, len, 0) != (ssize_t)len || memcmp(got, want, len);
}

static int op_store_info(int inject, int *fired, int *followup)
{
	struct vmapdemo_store_info info;
	int fd = open(store_path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		ksft_exit_fail_msg("open %s: %s\n", store_path, strerror(errno));
	nth_arm(inject);
	ret = store_ioc_info(fd, &info);
	*fired = nth_fired();
	*followup = store_ioc_info(fd, &info) || info.size != sizeof(info) ||
		    !info.store_size;
	close(fd);
	return ret;
}

/*
 * SYNC with @flags over freshly written pages. Follow-up: a synchronous
 * sync of the range succeeds, the cache reads the data, and so does the
 * backing store once a crash has dropped the cache (the data is durable).
 */
static int store_sync_op(unsigned int flags, int inject, int *fired, int *followup)
{
	static unsigned char buf[NPAGES * 65536];
	size_t len = NPAGES * page;
	int fd = store_open_fill(buf, len), ret;

	nth_arm(inject);
	ret = store_ioc_sync(fd, flags, len);
	*fired = nth_fired();
	*followup = store_data_bad(fd, buf, len) ||
		    store_ioc_sync(fd, VMAPDEMO_STORE_SYNC_SYNC, len) ||
		    store_data_bad(fd, buf, len) || store_ioc_crash(fd) ||
		    store_data_bad(fd, buf, len);
	close(fd);
	return ret;
}

static int op_store_sync(int inject, int *fired, int *followup)
{
	return store_sync_op(VMAPDEMO_STORE_SYNC_SYNC, inject, fired, followup);
}

static int op_store_sync_async(int inject, int *fired, int *followup)
{
	return store_sync_op(VMAPDEMO_STORE_SYNC_ASYNC, inject, fired, followup);
}

static int op_store_invalidate(int inject, int *fired, int *followup)
{
	return store_sync_op(VMAPDEMO_STORE_SYNC_SYNC | VMAPDEMO_STORE_SYNC_INVALIDATE,
			     inject, fired, followup);
}

/*
 * CRASH over pages written back (old) and then rewritten (new, dirty).
 * After it each page is old (crash done) or new (crash failed before it
 * dropped the page); a second crash uninjected leaves all of them old.
 */
static int op_store_crash(int inject, int *fired, int *followup)
{
	static unsigned char old[NPAGES * 65536], cur[NPAGES * 65536];
	size_t len = NPAGES * page, i;
	int fd = store_open_fill(old, len), ret;

	if (store_ioc_sync(fd, VMAPDEMO_STORE_SYNC_SYNC, len))
		ksft_exit_fail_msg("sync %s: %s\n", store_path, strerror(errno));
	memset(cur, old[0] ^ 0xff, len);
	if (pwrite(fd, cur, len, 0) != (ssize_t)len)
		ksft_exit_fail_msg("pwrite %s: %s\n", store_path, strerror(errno));
	nth_arm(inject);
	ret = store_ioc_crash(fd);
	*fired = nth_fired();
	*followup = pread(fd, cur, len, 0) != (ssize_t)len;
	for (i = 0; i < NPAGES && !*followup; i++) {
		unsigned char c = cur[i * page];

		if ((c != old[0] && (ret == 0 || c != (old[0] ^ 0xff))) ||
		    !vd_all(cur + i * page, page, c))
			*followup = 1;
	}
	*followup |= store_ioc_crash(fd) || store_data_bad(fd, old, len);
	close(fd);
	return ret;
}

/*
 * SET_SIZE shrinking to the middle of page 2 (@grow 0), or growing by a
 * page (@grow 1). Follow-up: the size is the new one if the call succeeded,
 * else the old one; the data below the smaller size is intact; a shrink
 * zeroed the rest of its last page; the size goes back uninjected.
 */
static int store_resize_op(int grow, int inject, int *fired, int *followup)
{
	static unsigned char buf[NPAGES * 65536];
	size_t len = NPAGES * page, keep = 2 * page + 100;
	int fd = store_open_fill(buf, len), ret;
	struct vmapdemo_store_info info;
	unsigned long long size0, size1;

	if (store_ioc_info(fd, &info))
		ksft_exit_fail_msg("GET_INFO: %s\n", strerror(errno));
	size0 = info.store_size;
	size1 = grow ? size0 + page : keep;
	nth_arm(inject);
	ret = store_ioc_resize(fd, size1);
	*fired = nth_fired();
	*followup = store_ioc_info(fd, &info) ||
		    info.store_size != (ret ? size0 : size1) ||
		    store_data_bad(fd, buf, grow ? len : keep);
	if (!grow && !ret && !*followup) {
		unsigned char tail[65536];

		*followup = pread(fd, tail, page - 100, keep) != 0;	/* at the end */
		*followup |= store_ioc_resize(fd, size0) ||
			     pread(fd, tail, page - 100, keep) != (ssize_t)(page - 100) ||
			     !vd_all(tail, page - 100, 0);
	}
	*followup |= store_ioc_resize(fd, size0);
	close(fd);
	return ret;
}

static int op_store_shrink(int inject, int *fired, int *followup)
{
	return store_resize_op(0, inject, fired, followup);
}

static int op_store_grow(int inject, int *fired, int *followup)
{
	return store_resize_op(1, inject, fired, followup);
}

/*
 * After a store operation's sweep: no page stuck anywhere. A crash and a
 * truncation to 0 must leave the store holding nothing, in the cache or
 * the backing store; then its size is restored. 0 if so.
 */
static int store_settled(void)
{
	struct vmapdemo_store_info info;
	int fd = open(store_path, O_RDWR | O_CLOEXEC), bad;
	unsigned long long size;

	if (fd < 0)
		return 1;
	bad = store_ioc_info(fd, &info);
	size = info.store_size;
	bad |= store_ioc_crash(fd) || store_ioc_resize(fd, 0) || store_ioc_info(fd, &info);
	if (!bad && (info.resident_pages || info.backing_pages || info.dirty_pages)) {
		ksft_print_msg("store emptied still holds %llu cached, %llu backing, %llu dirty page(s)\n",
			       (unsigned long long)info.resident_pages,
			       (unsigned long long)info.backing_pages,
			       (unsigned long long)info.dirty_pages);
		bad = 1;
	}
	bad |= store_ioc_resize(fd, size);
	close(fd);
	return bad;
}

/*
 * VMA copies and splits: the core allocates a VMA and calls our ->open
 * (or not, on failure). A shared mapping with data in pages 0..3 first.
 */
static char *shared_with_data(void)
{
	size_t len = NPAGES * page, i;
	int fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
	char *p;

	if (fd < 0)
		ksft_exit_fail_msg("open: %s\n", strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	for (i = 0; i < NPAGES; i++)
		p[i * page] = (char)(0x40 + i);
	return p;
}

/* Pages [first, last) of @p hold their data. */
static int data_bad(const char *p, size_t first, size_t last, size_t shift)
{
	size_t i;

	for (i = first; i < last; i++)
		if (p[(i - shift) * page] != (char)(0x40 + i))
			return 1;
	return 0;
}

static int op_split(int inject, int *fired, int *followup)
{
	char *p = shared_with_data();
	int ret;

	nth_arm(inject);
	ret = munmap(p + page, page) ? -errno : 0;	/* splits the VMA */
	*fired = nth_fired();
	if (ret)
		ret = munmap(p + page, page) ? -errno : ret;
	*followup = data_bad(p, 0, 1, 0) || data_bad(p, 2, NPAGES, 0);
	munmap(p, NPAGES * page);
	return ret;
}

static int op_mprotect_split(int inject, int *fired, int *followup)
{
	char *p = shared_with_data();
	int ret;

	nth_arm(inject);
	ret = mprotect(p + page, page, PROT_READ) ? -errno : 0;
	*fired = nth_fired();
	*followup = data_bad(p, 0, NPAGES, 0);
	p[0] = 0x40;		/* page 0 stays writable */
	munmap(p, NPAGES * page);
	return ret;
}

static int op_mremap_move(int inject, int *fired, int *followup)
{
	size_t len = NPAGES * page;
	char *p = shared_with_data(), *q;
	char *dst = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret;

	if (dst == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	nth_arm(inject);
	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ret = q == MAP_FAILED ? -errno : 0;
	*fired = nth_fired();
	if (q == MAP_FAILED) {
		/* The old mapping must be untouched. */
		*followup = data_bad(p, 0, NPAGES, 0);
		munmap(dst, len);
		munmap(p, len);
	} else {
		*followup = data_bad(q, 0, NPAGES, 0);
		munmap(q, len);
	}
	return ret;
}

/* fork() copies every VMA: a failure half-way must drop what it took. */
static int op_fork(int inject, int *fired, int *followup)
{
	char *p = shared_with_data();
	pid_t pid;
	int ret, st;

	fflush(stdout);
	nth_arm(inject);
	pid = fork();
	if (pid == 0)
		_exit(data_bad(p, 0, NPAGES, 0));
	ret = pid < 0 ? -errno : 0;
	*fired = nth_fired();
	*followup = 0;
	if (pid > 0 && (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
			WEXITSTATUS(st)))
		*followup = 1;
	*followup |= data_bad(p, 0, NPAGES, 0);
	munmap(p, NPAGES * page);
	return ret;
}

static const struct op ops[] = {
	{ "open", op_open },
	{ "mmap private", op_mmap_private },
	{ "mmap shared", op_mmap_shared },
	{ "first read fault, private", op_fault_read_private },
	{ "first read fault, shared", op_fault_read_shared },
	{ "first write fault, shared", op_fault_write_shared },
	{ "COW write fault, private", op_fault_cow_private },
	{ "ioctl GET_STATS", op_get_stats },
	{ "read", op_read },
	{ "munmap splitting a shared VMA", op_split },
	{ "mprotect splitting a shared VMA", op_mprotect_split },
	{ "mremap moving a shared VMA", op_mremap_move },
	{ "fork with a shared mapping", op_fork },
	{ "store: open", op_store_open, 1 },
	{ "store: mmap shared", op_store_mmap, 1 },
	{ "store: first write fault", op_store_fault_write, 1 },
	{ "store: write", op_store_write, 1 },
	{ "store: ioctl GET_INFO", op_store_info, 1 },
	{ "store: ioctl SYNC (sync)", op_store_sync, 1 },
	{ "store: ioctl SYNC (async)", op_store_sync_async, 1 },
	{ "store: ioctl SYNC (invalidate)", op_store_invalidate, 1 },
	{ "store: ioctl CRASH", op_store_crash, 1 },
	{ "store: ioctl SET_SIZE shrinking", op_store_shrink, 1 },
	{ "store: ioctl SET_SIZE growing", op_store_grow, 1 },
};

#define NR_OPS (sizeof(ops) / sizeof(ops[0]))

int main(void)
{
	struct vmapdemo_stats before, after;
	char store[1][VD_PATH_MAX];
	unsigned int i, n;

	ksft_print_header();
	page = sysconf(_SC_PAGESIZE);
	if (!vd_present())
		ksft_exit_skip(VMAPDEMO_PATH " missing: load vmapdemo.ko\n");
	nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	if (nth_fd < 0)
		ksft_exit_skip("no %s: kernel without CONFIG_FAULT_INJECTION\n", FAIL_NTH);
	if (vd_store_nodes(store, 1))
		memcpy(store_path, store[0], VD_PATH_MAX);
	ksft_set_plan(NR_OPS + 1);
	if (geteuid() == 0)
		knobs_set();
	else
		ksft_print_msg("not root: failslab/fail_page_alloc keep their defaults\n");
	if (vd_stats(&before))
		ksft_exit_fail_msg("GET_STATS: %s\n", strerror(errno));

	for (i = 0; i < NR_OPS; i++) {
		const struct op *op = &ops[i];
		unsigned long fired_here = 0, unclean = 0, broken = 0;
		unsigned long n_ok = 0, n_err = 0, n_sigbus = 0;
		struct vmapdemo_stats st0, st1;
		int done = 0;

		if (op->store && !store_path[0]) {
			ksft_test_result_skip("%s: no store node\n", op->name);
			continue;
		}
		if (vd_stats(&st0))
			ksft_exit_fail_msg("GET_STATS: %s\n", strerror(errno));
		for (n = 1; n <= MAX_NTH && !done; n++) {
			int fired = 0, followup = 0, ret;

			ret = op->run(n, &fired, &followup);
			if (!fired) {
				done = 1;	/* ran uninjected to the end */
				if (ret || followup) {
					ksft_print_msg("%s: fails uninjected: %d\n", op->name, ret);
					unclean++;
				}
				break;
			}
			fired_here++;
			if (ret == 0)
				n_ok++;
			else if (ret == 1000 + SIGBUS)
				n_sigbus++;
			else
				n_err++;
			if (!is_clean(ret)) {
				unclean++;
				ksft_print_msg("%s, fail-nth %u: unclean result %d\n",
					       op->name, n, ret);
			}
			if (followup) {
				broken++;
				ksft_print_msg("%s, fail-nth %u (result %d): follow-up failed or data not intact\n",
					       op->name, n, ret);
			}
		}
		injections += fired_here;
		ksft_print_msg("%s: %lu injection point(s): %lu succeeded anyway, %lu errno, %lu SIGBUS\n",
			       op->name, fired_here, n_ok, n_err, n_sigbus);
		if (vd_stats_settled(&st0, &st1))
			broken++;
		if (op->store && store_settled())
			broken++;
		ksft_test_result(done && !unclean && !broken,
				 "%s: every injected failure is clean\n", op->name);
	}
	knobs_restore();
	ksft_print_msg("injections tried: %lu\n", injections);
	ksft_test_result(vd_stats_settled(&before, &after) == 0,
			 "no object, mapping or page leaked\n");
	ksft_finished();
}
