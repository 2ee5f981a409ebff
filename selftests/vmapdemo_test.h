/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the vmapdemo selftests.
 */
#ifndef _VMAPDEMO_TEST_H
#define _VMAPDEMO_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <signal.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/futex.h>
#include <linux/vmapdemo.h>

#define VMAPDEMO_PATH	"/dev/" VMAPDEMO_DEV_NAME

/* Read a small sysfs/procfs file into buf; returns bytes read or -errno. */
static inline int vd_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

/* Write @val to the file @path (sysfs, procfs, tracefs); 0 or -1. */
static inline int vd_write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* Read a file holding one integer; returns it, or -1 with errno set. */
static inline long long vd_read_ll(const char *path)
{
	char buf[64];
	int n = vd_read_file(path, buf, sizeof(buf));

	if (n < 0) {
		errno = -n;
		return -1;
	}
	return strtoll(buf, NULL, 0);
}

/* Wait for a child and return its exit status, or 128 + its signal. */
static inline int vd_wait(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/*
 * Poll the integer file @path until it reads @want, for at most @secs
 * seconds (times 4 on the debug kernel); 0 when it did, -1 otherwise.
 */
static inline int vd_debug_kernel(void);
static inline int vd_wait_ll(const char *path, long long want, int secs)
{
	int i, n = secs * 10 * (vd_debug_kernel() ? 4 : 1);

	for (i = 0; i <= n; i++) {
		if (vd_read_ll(path) == want)
			return 0;
		usleep(100 * 1000);
	}
	return -1;
}

/* Is the module loaded (its device node present)? */
static inline int vd_present(void)
{
	return access(VMAPDEMO_PATH, F_OK) == 0;
}

/* Read the module's counters through any fd of the device; -errno on error. */
static inline int vd_stats(struct vmapdemo_stats *st)
{
	int fd = open(VMAPDEMO_PATH, O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(fd, VMAPDEMO_IOC_GET_STATS, st))
		ret = -errno;
	close(fd);
	return ret;
}

/* Pages the shared objects hold now. */
static inline long long vd_live_pages(const struct vmapdemo_stats *st)
{
	return (long long)(st->pages_alloc - st->pages_freed);
}

/*
 * Touch one byte and report what happened: 0, SIGBUS or SIGSEGV. A fault
 * handler that loops (VM_FAULT_NOPAGE without a PTE) hangs here, which the
 * harness's watchdog turns into a failure.
 */
static sigjmp_buf vd_probe_env;

static inline void vd_probe_handler(int sig)
{
	siglongjmp(vd_probe_env, sig);
}

static inline int vd_probe(volatile char *addr, int write, char val)
{
	struct sigaction sa = { .sa_handler = vd_probe_handler }, obus, osegv;
	int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	sig = sigsetjmp(vd_probe_env, 1);
	if (!sig) {
		if (write)
			*addr = val;
		else
			(void)*addr;
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return sig;
}

/* Does [p, p + len) hold only the byte c? */
static inline int vd_all(const void *p, size_t len, unsigned char c)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != c)
			return 0;
	return 1;
}

/* The /proc/self/maps line of the mapping that contains addr. */
static inline int vd_maps_line(const void *addr, char *line, size_t len)
{
	unsigned long a = (unsigned long)addr, start, end;
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, len, f)) {
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    a >= start && a < end) {
			line[strcspn(line, "\n")] = '\0';
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

/* A field (in kB) of the /proc/self/smaps entry of the VMA containing addr. */
static inline long vd_smaps_kb(const void *addr, const char *field)
{
	unsigned long a = (unsigned long)addr, start, end;
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0;
	long val = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (in)
				break;
			in = a >= start && a < end;
			continue;
		}
		if (in && !strncmp(line, field, strlen(field))) {
			val = strtol(line + strlen(field), NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/*
 * Map @len bytes of @fd from offset 0 (@flags: MAP_SHARED or MAP_PRIVATE)
 * at a 2 MiB-aligned address, inside a PROT_NONE reservation of
 * @len + 2 MiB returned in *@area, which the caller unmaps; MAP_FAILED on
 * error. Aligned whatever the kernel's get_unmapped_area does (6.1 aligns
 * only DAX files).
 */
static inline char *vd_map_pmd_aligned(int fd, size_t len, int flags,
				       char **area)
{
	const size_t pmd = 2UL << 20;
	char *p;

	*area = mmap(NULL, len + pmd, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	if (*area == MAP_FAILED)
		return MAP_FAILED;
	p = (char *)(((unsigned long)*area + pmd - 1) & ~(pmd - 1));
	return mmap(p, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0);
}

/* Two pipes to hand control back and forth between parent and child. */
struct vd_sync {
	int to_parent[2];
	int to_child[2];
};

static inline int vd_sync_init(struct vd_sync *s)
{
	if (pipe(s->to_parent))
		return -1;
	if (pipe(s->to_child)) {
		close(s->to_parent[0]);
		close(s->to_parent[1]);
		return -1;
	}
	return 0;
}

static inline void vd_sync_close(struct vd_sync *s)
{
	close(s->to_parent[0]);
	close(s->to_parent[1]);
	close(s->to_child[0]);
	close(s->to_child[1]);
}

static inline int vd_sync_post(int fd)
{
	return write(fd, "x", 1) == 1 ? 0 : -1;
}

static inline int vd_sync_wait(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

/*
 * A process-shared futex on @word, in a MAP_SHARED mapping: a forked child
 * waits on it, the parent wakes it. The kernel keys such a futex on the
 * page's object and offset (get_futex_key()), so the wake finds the child
 * only if both see the page as the same object, and a page it cannot key
 * fails with EFAULT. glibc's PTHREAD_PROCESS_SHARED mutexes, condition
 * variables and semaphores sleep and wake so, and abort on that EFAULT.
 * Return: 0; -errno of a failing FUTEX_WAKE; 1 if no wake found the child
 * within 10 s; 2 if the child's FUTEX_WAIT did not return 0.
 */
static inline int vd_futex_across_fork(int *word)
{
	struct timespec ts = { .tv_sec = 10 };
	long woken = 0;
	int i, st;
	pid_t pid;

	*word = 0;
	if (syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(syscall(SYS_futex, word, FUTEX_WAIT, 0, &ts, NULL, 0) ? 1 : 0);
	/* Until the child is queued on the same key as our wake. */
	for (i = 0; i < 10000 && !woken; i++) {
		woken = syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
		if (woken < 0) {
			woken = -errno;
			break;
		}
		if (!woken)
			usleep(1000);
	}
	if (woken <= 0)
		kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) != pid)
		return -errno;
	if (woken < 0)
		return woken;
	if (!woken)
		return 1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 2;
}

/*
 * Compare what the module holds now with a baseline taken before a test:
 * objects and pages must be back where they were once every
 * process of the test has exited (or below: something an earlier test
 * held may have gone meanwhile). Prints a KTAP diagnostic per counter
 * that grew and returns how many grew (0: nothing leaked).
 */
static inline int vd_stats_leaks(const struct vmapdemo_stats *before,
				 const struct vmapdemo_stats *after)
{
	int bad = 0;

	if (after->objects_live > before->objects_live) {
		printf("# leak: objects_live %llu -> %llu\n",
		       (unsigned long long)before->objects_live,
		       (unsigned long long)after->objects_live);
		bad++;
	}
	if (vd_live_pages(after) > vd_live_pages(before)) {
		printf("# leak: pages held %lld -> %lld\n",
		       vd_live_pages(before), vd_live_pages(after));
		bad++;
	}
	return bad;
}

/*
 * vd_stats_leaks() once the module has settled: the last reference to a
 * shared object can be dropped after the process that held it has been
 * reaped (a deferred fput(), or an mm another task still held), so poll
 * for up to 5 s while it differs, and say so if it had to. @after gets the
 * last reading. Returns what vd_stats_leaks() returns for it.
 */
static inline int vd_stats_settled(const struct vmapdemo_stats *before,
				   struct vmapdemo_stats *after)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (vd_stats(after))
			return -1;
		if (after->objects_live <= before->objects_live &&
		    vd_live_pages(after) <= vd_live_pages(before))
			break;
		usleep(100 * 1000);
	}
	if (i)
		printf("# stats reached the baseline only after %d ms%s\n", i * 100,
		       i == 50 ? ": gave up" : " (deferred teardown)");
	return vd_stats_leaks(before, after);
}

/* VMAPDEMO_STORE_IOC_GET_INFO with the current struct size. */
static inline int vd_store_info(int fd, struct vmapdemo_store_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, VMAPDEMO_STORE_IOC_GET_INFO, info);
}

/* VMAPDEMO_STORE_IOC_SET_SIZE to @size bytes. */
static inline int vd_store_resize(int fd, unsigned long long size)
{
	struct vmapdemo_store_resize rs = { .size = sizeof(rs), .new_size = size };

	return ioctl(fd, VMAPDEMO_STORE_IOC_SET_SIZE, &rs);
}

/*
 * A new read-write file of the store at @path, emptied (shrinking to 0
 * empties the cache and the backing store) and grown to @size bytes. New,
 * so that a crash an earlier test made is not reported to this file's
 * first sync. The fd, or -1 with errno set.
 */
static inline int vd_store_open_empty(const char *path, unsigned long long size)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (vd_store_resize(fd, 0) || vd_store_resize(fd, size)) {
		close(fd);
		return -1;
	}
	close(fd);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* VMAPDEMO_STORE_IOC_CRASH: the pages it dropped, or -1 (errno set). */
static inline long long vd_store_crash(int fd)
{
	struct vmapdemo_store_crash cr = { .size = sizeof(cr) };

	if (ioctl(fd, VMAPDEMO_STORE_IOC_CRASH, &cr))
		return -1;
	return cr.pages_dropped;
}

/*
 * The size of a store (GET_INFO) or, for the kernel's file a test
 * compares it with, of that file (fstat); -1 on error.
 */
static inline long long vd_size(int fd, int is_store)
{
	struct vmapdemo_store_info info;
	struct stat st;

	if (is_store)
		return vd_store_info(fd, &info) ? -1 : (long long)info.store_size;
	return fstat(fd, &st) ? -1 : st.st_size;
}

/*
 * The store nodes (/dev/vmapdemo-store0, ...), if the module has them:
 * fills paths[] (each VD_PATH_MAX bytes) and returns how many.
 */
#define VD_PATH_MAX	64
static inline int vd_store_nodes(char (*paths)[VD_PATH_MAX], int max)
{
	int i, n = 0;

	for (i = 0; i < 64 && n < max; i++) {
		snprintf(paths[n], VD_PATH_MAX, "/dev/%s-store%d", VMAPDEMO_DEV_NAME, i);
		if (access(paths[n], F_OK) == 0)
			n++;
	}
	return n;
}

/* --- memory cgroups (v2) --------------------------------------------------- */

#define VD_CG_ROOT	"/sys/fs/cgroup"

/*
 * Make a cgroup v2 child with the memory controller, mounting cgroup2 if
 * needed. Returns 0, or a negative errno with *why set for a SKIP.
 */
static inline int vd_cg_setup(const char *name, const char **why)
{
	char path[128];
	int fd;

	if (access(VD_CG_ROOT "/cgroup.controllers", F_OK)) {
		mkdir(VD_CG_ROOT, 0755);
		if (mount("none", VD_CG_ROOT, "cgroup2", 0, NULL) && errno != EBUSY) {
			*why = "cannot mount cgroup2";
			return -errno;
		}
	}
	fd = open(VD_CG_ROOT "/cgroup.subtree_control", O_WRONLY);
	if (fd < 0 || write(fd, "+memory", 7) != 7) {
		*why = "cannot enable the memory controller";
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	snprintf(path, sizeof(path), VD_CG_ROOT "/%s", name);
	if (mkdir(path, 0755) && errno != EEXIST) {
		*why = "cannot create a cgroup";
		return -errno;
	}
	return 0;
}

static inline int vd_cg_write(const char *name, const char *file, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), VD_CG_ROOT "/%s/%s", name, file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

static inline long long vd_cg_read(const char *name, const char *file, const char *key)
{
	char path[128], buf[4096], *s;

	snprintf(path, sizeof(path), VD_CG_ROOT "/%s/%s", name, file);
	if (vd_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	if (!key)
		return strtoll(buf, NULL, 0);
	s = strstr(buf, key);
	return s ? strtoll(s + strlen(key), NULL, 0) : -1;
}

/* On the debug kernel (vmapdemo.debug=1 on the command line)? */
static inline int vd_debug_kernel(void)
{
	char buf[4096];

	return vd_read_file("/proc/cmdline", buf, sizeof(buf)) > 0 &&
	       strstr(buf, "vmapdemo.debug=1") != NULL;
}

#ifdef TEST_TIMEOUT_DEFAULT
/*
 * Per-test time limits. The harness's 30 s default is exceeded by a test
 * that writes 128 MiB under KASAN and QEMU TCG with other guests running
 * beside it, and a test killed by its limit fails by itself (the harness
 * waits for the killed child, which holds the test's mappings, before the
 * next test starts). So: 120 s by default, every limit (TEST_F_TIMEOUT's
 * too) times VD_TIMEOUT_SCALE from the environment if set, else times 4 on
 * the debug kernel. guest-init.sh's per-program limits (selftests/timeouts)
 * are scaled the same way and are above the sum of these.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	120

static inline void vd_scale_timeouts(void)
{
	const char *env = getenv("VD_TIMEOUT_SCALE");
	int scale = env ? atoi(env) : (vd_debug_kernel() ? 4 : 1);
	struct __fixture_metadata *f;
	struct __test_metadata *t;

	if (scale <= 1)
		return;
	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t; t = t->next)
			t->timeout *= scale;
}

#undef TEST_HARNESS_MAIN
#define TEST_HARNESS_MAIN \
	int main(int argc, char **argv) \
	{ \
		vd_scale_timeouts(); \
		return test_harness_run(argc, argv); \
	}
#endif

#endif /* _VMAPDEMO_TEST_H */
