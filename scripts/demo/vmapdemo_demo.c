// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_demo: a narrated walk through what /dev/vmapdemo does, run inside
 * the test VM by `make demo`.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <linux/vmapdemo.h>

#define DEV "/dev/" VMAPDEMO_DEV_NAME

static int demo_store_sharing(void);
static int demo_store_peer(int argc, char **argv);
static int demo_store_msync_crash(void);

/*
 * Every conclusion the demo narrates is checked here: a claim that does
 * not hold is printed as such and makes the demo exit 1 (make demo fails).
 */
static int claims_failed, claims_checked;

static void claim(int holds, const char *what)
{
	claims_checked++;
	if (holds) {
		printf("   [checked: %s]\n", what);
		return;
	}
	claims_failed++;
	printf("   CLAIM DOES NOT HOLD: %s\n", what);
}

static int get_stats(int fd, struct vmapdemo_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(fd, VMAPDEMO_IOC_GET_STATS, st)) {
		printf("VMAPDEMO_IOC_GET_STATS: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void show_stats(int fd, const char *when)
{
	struct vmapdemo_stats st;

	if (get_stats(fd, &st))
		return;
	printf("   %-34s pages held %5llu   objects %llu   faults r/w/cow %llu/%llu/%llu\n",
	       when, (unsigned long long)(st.pages_alloc - st.pages_freed),
	       (unsigned long long)st.objects_live,
	       (unsigned long long)st.faults_read, (unsigned long long)st.faults_write,
	       (unsigned long long)st.faults_cow);
}

/* The /proc/self/maps line of the mapping at p, without the address. */
static void show_maps(const void *p)
{
	unsigned long a = (unsigned long)p, start, end;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 && a >= start && a < end) {
			printf("   /proc/self/maps: %s", line);
			break;
		}
	}
	fclose(f);
}

static int section_node(void)
{
	struct stat st;
	int fd;

	printf("== 1. The device ==\n\n");
	if (stat(DEV, &st)) {
		printf("%s: %s (is the module loaded?)\n", DEV, strerror(errno));
		return -1;
	}
	printf("%s is a character device %u:%u with mode %04o,\n", DEV,
	       major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777);
	printf("like /dev/zero: anyone may open it for reading and writing.\n");
	claim(S_ISCHR(st.st_mode) && (st.st_mode & 07777) == 0666, "a character device, mode 0666");
	fd = open(DEV, O_RDWR);
	if (fd < 0) {
		printf("open %s: %s\n", DEV, strerror(errno));
		return -1;
	}
	printf("open(\"%s\", O_RDWR) = %d\n\n", DEV, fd);
	return fd;
}

/*
 * Private vs shared across fork: the parent writes into both mappings, the
 * child overwrites both, and the parent looks again.
 */
static int section_fork(int fd)
{
	char *priv, *shared;
	pid_t pid;

	printf("== 2. MAP_PRIVATE vs MAP_SHARED across fork() ==\n\n");
	printf("A program maps the device twice, exactly as it would map /dev/zero:\n");
	printf("   priv   = mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE, fd, 0);\n");
	printf("   shared = mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED,  fd, 0);\n");
	priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (priv == MAP_FAILED || shared == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return -1;
	}
	show_maps(priv);
	show_maps(shared);
	printf("Both start zero-filled: priv[0] = %d, shared[0] = %d.\n", priv[0], shared[0]);
	claim(!priv[0] && !shared[0] && !priv[4095] && !shared[4095], "both start zero-filled");
	printf("\n");

	strcpy(priv, "parent");
	strcpy(shared, "parent");
	printf("The parent writes \"parent\" into both, then forks.\n");
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		printf("   child:  sees priv = \"%s\", shared = \"%s\" (inherited)\n", priv, shared);
		strcpy(priv, "child");
		strcpy(shared, "child");
		printf("   child:  writes \"child\" into both and exits\n");
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	printf("   parent: after the child exited, priv = \"%s\", shared = \"%s\"\n", priv, shared);
	claim(!strcmp(priv, "parent"), "the parent's private page still reads \"parent\"");
	claim(!strcmp(shared, "child"), "the parent's shared page reads the child's \"child\"");
	printf("\n");
	printf("The private mapping is copy-on-write: the child's write went to its\n");
	printf("own copy of the page, so the parent still reads \"parent\". The shared\n");
	printf("mapping is one object that parent and child both map: the parent reads\n");
	printf("the child's \"child\". That is how related processes share memory\n");
	printf("through /dev/zero, and /dev/vmapdemo does it with its own fault handler.\n\n");
	munmap(priv, 4096);
	munmap(shared, 4096);
	return 0;
}

/* --- a process-shared mutex counter -------------------------------------- */

#define PS_CHILDREN	4
#define PS_LOOPS	100000

/* The seeds' SharedData: a counter and the mutex that guards it. */
struct counter_page {
	pthread_mutex_t lock;
	int counter;
};

static struct counter_page *counter_page_map(int fd, int flags)
{
	struct counter_page *cp;
	pthread_mutexattr_t attr;

	cp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (cp == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return NULL;
	}
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&cp->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	cp->counter = 0;
	return cp;
}

/*
 * Fork PS_CHILDREN children that each add 1 to @cp's counter PS_LOOPS
 * times under its mutex; child i then stores the count it sees in seen[i].
 * Return: 0 if every child was forked and exited with status 0.
 */
static int counter_children(struct counter_page *cp, int *seen)
{
	pid_t pids[PS_CHILDREN];
	int i, j, n, status, ret = 0;

	fflush(stdout);
	for (n = 0; n < PS_CHILDREN; n++) {
		pids[n] = fork();
		if (pids[n] < 0) {
			printf("fork: %s\n", strerror(errno));
			ret = -1;
			break;
		}
		if (pids[n] == 0) {
			for (j = 0; j < PS_LOOPS; j++) {
				pthread_mutex_lock(&cp->lock);
				cp->counter++;
				pthread_mutex_unlock(&cp->lock);
			}
			seen[n] = cp->counter;
			_exit(0);
		}
	}
	for (i = 0; i < n; i++) {
		if (waitpid(pids[i], &status, 0) < 0) {
			printf("waitpid: %s\n", strerror(errno));
			ret = -1;
		} else if (WIFSIGNALED(status)) {
			printf("   child %d was killed by signal %d (%s)\n", i + 1,
			       WTERMSIG(status), strsignal(WTERMSIG(status)));
			ret = -1;
		} else if (WEXITSTATUS(status)) {
			printf("   child %d exited with status %d\n", i + 1,
			       WEXITSTATUS(status));
			ret = -1;
		}
	}
	return ret;
}

/*
 * The seeds' shared_mutex.c on /dev/vmapdemo: several processes increment
 * a counter under a PTHREAD_PROCESS_SHARED mutex in a MAP_SHARED mapping,
 * then the same with MAP_PRIVATE, where each child counts in its own copy.
 * Every number printed is the same on every run.
 */
static int section_pshared_mutex(int fd)
{
	struct counter_page *cp;
	int *seen, i;

	printf("== 3. A process-shared mutex in a MAP_SHARED mapping ==\n\n");
	printf("The seeds keep a counter and the pthread mutex that guards it in a\n");
	printf("MAP_SHARED|MAP_ANONYMOUS mapping. A shared mapping of the device does\n");
	printf("the same job:\n");
	printf("   struct counter_page { pthread_mutex_t lock; int counter; } *cp;\n");
	printf("   cp = mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0);\n");
	printf("   pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);\n");
	printf("   pthread_mutex_init(&cp->lock, &attr);\n");
	printf("PTHREAD_PROCESS_SHARED lets processes that share the memory the mutex\n");
	printf("lives in use it; without it, only the threads of the process that made\n");
	printf("it may. A process that finds the mutex taken sleeps in the kernel\n");
	printf("(futex(2)) until the holder wakes it; for a process-shared mutex the\n");
	printf("kernel finds the sleepers by the page's object and offset, the same in\n");
	printf("every process that maps it.\n\n");

	/* Where the children report what they saw: never a printed race. */
	seen = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (seen == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return -1;
	}
	cp = counter_page_map(fd, MAP_SHARED);
	if (!cp)
		return -1;
	printf("The parent forks %d children. Each adds 1 to the counter %d times,\n",
	       PS_CHILDREN, PS_LOOPS);
	printf("holding the mutex around every increment:\n");
	printf("   pthread_mutex_lock(&cp->lock);\n");
	printf("   cp->counter++;\n");
	printf("   pthread_mutex_unlock(&cp->lock);\n");
	if (counter_children(cp, seen))
		return -1;
	printf("   parent: all %d children exited, counter = %d (%d x %d = %d)\n\n",
	       PS_CHILDREN, cp->counter, PS_CHILDREN, PS_LOOPS,
	       PS_CHILDREN * PS_LOOPS);
	claim(cp->counter == PS_CHILDREN * PS_LOOPS, "no increment was lost");
	printf("No increment was lost: the children all wrote to the one page of the\n");
	printf("one object, and the mutex let only one of them at a time load the\n");
	printf("counter, add 1 and store it back. Without the mutex two children can\n");
	printf("load the same value and both store it plus one, and an increment is\n");
	printf("lost: the total may then be less than %d, by an amount that changes\n",
	       PS_CHILDREN * PS_LOOPS);
	printf("from run to run (a run that comes out right proves nothing).\n\n");
	pthread_mutex_destroy(&cp->lock);
	munmap(cp, 4096);

	cp = counter_page_map(fd, MAP_PRIVATE);
	if (!cp)
		return -1;
	printf("The same with MAP_PRIVATE: each child's first write gets it its own\n");
	printf("copy of the page (copy-on-write, as in section 2), mutex and counter\n");
	printf("included. The children report the count they see through a second,\n");
	printf("shared mapping:\n");
	if (counter_children(cp, seen))
		return -1;
	for (i = 0; i < PS_CHILDREN; i++)
		printf("   child %d: counter = %d in its own copy\n", i + 1, seen[i]);
	printf("   parent:  counter = %d in the parent's page\n", cp->counter);
	for (i = 0; i < PS_CHILDREN && seen[i] == PS_LOOPS; i++)
		;
	claim(i == PS_CHILDREN, "each child counted alone, in its own copy");
	claim(cp->counter == 0, "the parent's private page was not touched");
	printf("\n");
	printf("Each child counted alone, under a mutex nobody else could see: a\n");
	printf("counter, and the mutex that guards it, must be in a shared mapping to\n");
	printf("be shared.\n\n");
	pthread_mutex_destroy(&cp->lock);
	munmap(cp, 4096);
	munmap(seen, 4096);
	return 0;
}

/* Demand paging: a 1 GiB mapping costs nothing until pages are touched. */
static int section_demand_paging(int fd)
{
	const size_t len = 1UL << 30;
	long ps = sysconf(_SC_PAGESIZE);
	struct vmapdemo_stats s0, s1, s2;
	char *p;
	size_t i;

	printf("== 4. Demand paging, counted by the module ==\n\n");
	printf("The module counts what it does; VMAPDEMO_IOC_GET_STATS reads the\n");
	printf("counters. \"pages held\" is the number of pages its shared objects own;\n");
	printf("\"faults r/w/cow\" counts its fault handler's calls for reads, for writes\n");
	printf("to shared mappings and for writes to private ones (copy-on-write).\n\n");
	show_stats(fd, "before:");
	if (get_stats(fd, &s0))
		return -1;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED) {
		printf("mmap 1 GiB without MAP_NORESERVE succeeded: the commit charge fit\n");
		munmap(p, len);
	} else {
		printf("   mmap(1 GiB, MAP_SHARED): %s\n", strerror(errno));
		printf("   -> the object behind a shared mapping is a shmem file, as for /dev/zero,\n");
		printf("      and takes a commit charge for its whole size: the kernel's overcommit\n");
		printf("      heuristics refuse one larger than RAM + swap (the VM has 1 GiB).\n");
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		printf("mmap 1 GiB: %s\n", strerror(errno));
		return -1;
	}
	show_stats(fd, "after mmap(1 GiB, MAP_SHARED|MAP_NORESERVE):");
	printf("   -> one new object, but no page yet: mmap() only reserved\n");
	printf("      1 GiB of address space, with no commit charge.\n");
	if (get_stats(fd, &s1))
		return -1;
	claim(s1.objects_live == s0.objects_live + 1 &&
	      s1.pages_alloc == s0.pages_alloc, "one new object, no page");
	printf("\n");

	for (i = 0; i < 10; i++)
		p[i * 100 * ps] = 1;
	show_stats(fd, "after writing 10 pages:");
	for (i = 0; i < 10; i++)
		(void)*(volatile char *)(p + (i * 100 + 50) * ps);
	show_stats(fd, "after reading 10 other pages:");
	if (get_stats(fd, &s2))
		return -1;
	for (i = 0; i < 10; i++)
		p[i * 100 * ps] = 2;
	show_stats(fd, "after writing the first 10 again:");
	printf("   -> each first touch is one page fault and one page; touching a page\n");
	printf("      that is already there costs no fault at all.\n");
	if (get_stats(fd, &s1))
		return -1;
	claim(s2.pages_alloc == s0.pages_alloc + 20 &&
	      s2.faults_write == s0.faults_write + 10 && s2.faults_read == s0.faults_read + 10,
	      "20 first touches: 20 faults, 20 pages");
	claim(s1.faults_read == s2.faults_read && s1.faults_write == s2.faults_write &&
	      s1.pages_alloc == s2.pages_alloc, "touching them again: no fault, no page");
	printf("\n");

	for (i = 0; i < 1000; i++)
		p[((len / 1000) * i / ps + 7) * ps] = 3;
	show_stats(fd, "after touching 1000 more pages:");
	munmap(p, len);
	show_stats(fd, "after munmap():");
	printf("   -> the last mapping went, so the object and all its pages went too.\n");
	if (get_stats(fd, &s1))
		return -1;
	claim(s1.objects_live == s0.objects_live &&
	      s1.pages_alloc - s1.pages_freed == s0.pages_alloc - s0.pages_freed,
	      "the object and its pages are gone");
	printf("\n");

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED) {
		printf("mmap private: %s\n", strerror(errno));
		return -1;
	}
	show_stats(fd, "after mmap(1 GiB, MAP_PRIVATE):");
	if (get_stats(fd, &s0))
		return -1;
	for (i = 0; i < 100; i++)
		(void)*(volatile char *)(p + i * 1000 * ps);
	show_stats(fd, "after reading 100 private pages:");
	for (i = 0; i < 10; i++)
		p[i * 1000 * ps] = 1;
	show_stats(fd, "after writing 10 of them:");
	printf("   -> private reads map the kernel's zero page, as anonymous memory\n"
	       "      does, and use no memory (each fault also maps it into the\n"
	       "      untouched pages around it, 16 at a time). A write to such a page\n"
	       "      takes no fault of ours: the kernel replaces the zero page with an\n"
	       "      anonymous copy by itself. The module holds no page for a private\n"
	       "      mapping.\n");
	if (get_stats(fd, &s1))
		return -1;
	claim(s1.pages_alloc == s0.pages_alloc, "private reads and writes: no page of the module's");
	claim(s1.faults_read == s0.faults_read + 100, "one read fault per 1000-page-apart read");
	claim(s1.faults_cow == s0.faults_cow, "writes to zero-page-mapped private pages: no fault of ours");
	munmap(p, len);
	show_stats(fd, "after munmap():");
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	int fd;

	/* Run again as an unrelated process by the store section. */
	if (argc > 1 && !strcmp(argv[1], "store-peer"))
		return demo_store_peer(argc, argv);

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("== vmapdemo demo ==\n\n");
	fd = section_node();
	if (fd < 0)
		return 1;
	if (section_fork(fd) || section_pshared_mutex(fd) ||
	    section_demand_paging(fd))
		return 1;
	close(fd);
	if (demo_store_sharing() || demo_store_msync_crash())
		return 1;
	printf("\nThe end. See Documentation/vmapdemo.rst for how it works and where\n");
	printf("/dev/vmapdemo and the store nodes differ from /dev/zero and files.\n");
	printf("%d claims checked, %d did not hold\n", claims_checked, claims_failed);
	return claims_failed ? 1 : 0;
}

/* --- store nodes: file-style sharing between unrelated processes ---------- */

#define STORE "/dev/" VMAPDEMO_STORE_NAME_PREFIX "0"

static void store_info_print(int fd, const char *when)
{
	struct vmapdemo_store_info info = { .size = sizeof(info) };

	if (ioctl(fd, VMAPDEMO_STORE_IOC_GET_INFO, &info))
		return;
	printf("   [%s: size %llu bytes, %llu pages resident]\n", when,
	       (unsigned long long)info.store_size,
	       (unsigned long long)info.resident_pages);
}

/* Run as "vmapdemo_demo store-peer": an unrelated process, found by path. */
static int demo_store_peer(int argc, char **argv)
{
	int fd = open(STORE, O_RDWR);
	char *p;

	(void)argc;
	(void)argv;
	if (fd < 0)
		return 1;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	printf("   peer (pid %d, a new program): the store says \"%s\"\n",
	       getpid(), p);
	snprintf(p + 2048, 64, "hello back from pid %d", getpid());
	printf("   peer: wrote its reply through its own mapping and exits\n");
	return 0;
}

static int demo_store_sharing(void)
{
	char buf[64] = "";
	struct stat st;
	char *p;
	pid_t pid;
	int fd, status;

	printf("\n== store nodes: a device that maps like a file ==\n\n");
	if (stat(STORE, &st)) {
		printf("%s: %s\n", STORE, strerror(errno));
		return 1;
	}
	printf("%s is a character device with mode %04o: a store is shared\n"
	       "by everyone who can open it, so by default only root can.\n",
	       STORE, st.st_mode & 07777);
	fd = open(STORE, O_RDWR);
	if (fd < 0)
		return 1;
	store_info_print(fd, "now");

	printf("\n1. We map it MAP_SHARED and write a greeting into the mapping.\n");
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	snprintf(p, 64, "greetings from pid %d", getpid());
	if (pread(fd, buf, sizeof(buf) - 1, 0) > 0)
		printf("   read() sees it at once: \"%s\"\n", buf);
	store_info_print(fd, "after the write");

	printf("\n2. We exec a separate program (no fork-shared mapping): it\n"
	       "   opens %s by name, maps it and answers.\n", STORE);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "vmapdemo_demo", "store-peer", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	printf("   our mapping now reads: \"%s\"\n", p + 2048);
	claim(!strncmp(p + 2048, "hello back from pid ", 20),
	      "an unrelated program's write is seen through our mapping");

	printf("\n3. munmap and close everything, then open again: the data is\n"
	       "   still there, as in a file.\n");
	munmap(p, 4096);
	close(fd);
	fd = open(STORE, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	if (fd >= 0 && pread(fd, buf, sizeof(buf) - 1, 2048) > 0)
		printf("   after reopening: \"%s\"\n", buf);

	printf("\n4. A private mapping is copy-on-write: its writes stay private.\n");
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p != MAP_FAILED) {
		p[0] = 'G';
		memset(buf, 0, sizeof(buf));
		if (pread(fd, buf, 8, 0) > 0)
			printf("   private copy starts \"%.8s\", the store still \"%.8s\"\n",
			       p, buf);
		munmap(p, 4096);
	}
	close(fd);
	return 0;
}

/* --- store nodes: msync and a simulated crash ----------------------------- */

#define AGE_PARAM "/sys/module/" VMAPDEMO_DEV_NAME "/parameters/writeback_age_ms"

static void write_param(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, val, strlen(val)) < 0)
		printf("   (cannot set %s: %s)\n", path, strerror(errno));
	close(fd);
}

static void show_line(int fd, const char *label, off_t off)
{
	char buf[32] = "";

	if (pread(fd, buf, sizeof(buf) - 1, off) < 0)
		strcpy(buf, "?");
	printf("   %-28s \"%s\"\n", label, buf[0] ? buf : "(zeros)");
}

static void show_dirty(int fd)
{
	struct vmapdemo_store_info info = { .size = sizeof(info) };

	if (ioctl(fd, VMAPDEMO_STORE_IOC_GET_INFO, &info))
		return;
	printf("   [dirty pages %llu, pages in the backing store %llu, written back so far %llu]\n",
	       (unsigned long long)info.dirty_pages,
	       (unsigned long long)info.backing_pages,
	       (unsigned long long)info.pages_written);
}

static int demo_store_msync_crash(void)
{
	struct vmapdemo_store_resize rs = { .size = sizeof(rs) };
	struct vmapdemo_store_crash cr = { .size = sizeof(cr) };
	char age[32] = "", *p;
	long ps = sysconf(_SC_PAGESIZE);
	int fd, afd, first;
	ssize_t n;

	printf("\n== store nodes: msync and a simulated crash ==\n\n");
	fd = open(STORE, O_RDWR);
	if (fd < 0)
		return 1;
	/* An empty store, and no background writeback during the demo. */
	rs.new_size = 0;
	ioctl(fd, VMAPDEMO_STORE_IOC_SET_SIZE, &rs);
	rs.new_size = 16 * ps;
	ioctl(fd, VMAPDEMO_STORE_IOC_SET_SIZE, &rs);
	afd = open(AGE_PARAM, O_RDONLY);
	if (afd >= 0) {
		n = read(afd, age, sizeof(age) - 1);
		age[n > 0 ? n : 0] = '\0';
		close(afd);
	}
	write_param(AGE_PARAM, "0");
	printf("A store's pages are a cache over a backing store (the \"disk\").\n"
	       "Only a sync (msync, fsync, the sync ioctl) or background writeback\n"
	       "(writeback_age_ms, turned off for this demo) copies them there,\n"
	       "and a simulated crash throws away whatever was not copied.\n");

	p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	printf("\n1. Write \"version 1\" through a shared mapping, then msync(MS_SYNC).\n");
	strcpy(p, "version 1");
	show_dirty(fd);
	msync(p, ps, MS_SYNC);
	printf("   msync(MS_SYNC) done:\n");
	show_dirty(fd);

	printf("\n2. Write \"version 2\" over it and \"scratch\" on page 2; no msync.\n");
	strcpy(p, "version 2");
	strcpy(p + ps, "scratch");
	show_dirty(fd);
	show_line(fd, "read() before the crash:", 0);

	printf("\n3. Crash the store (VMAPDEMO_STORE_IOC_CRASH).\n");
	if (ioctl(fd, VMAPDEMO_STORE_IOC_CRASH, &cr) == 0)
		printf("   %llu dirty pages were thrown away\n",
		       (unsigned long long)cr.pages_dropped);
	show_line(fd, "read() after the crash:", 0);
	printf("   %-28s \"%s\"\n", "our mapping after the crash:", p);
	show_line(fd, "page 2 after the crash:", ps);
	printf("   The synced version survived; the unsynced one did not.\n");
	{
		char b1[16] = "", b2[16] = "x";

		claim(pread(fd, b1, 10, 0) == 10 && !strcmp(b1, "version 1") &&
		      !strcmp(p, "version 1"), "the synced version survived the crash");
		claim(pread(fd, b2, 8, ps) == 8 && !memcmp(b2, "\0\0\0\0\0\0\0\0", 8),
		      "the unsynced page reads as zeros");
	}

	printf("\n4. The next sync on a file that was open during the crash\n"
	       "   reports it once, as fsync() reports a writeback error:\n");
	n = fsync(fd);
	afd = errno;
	printf("   first fsync() = %zd (%s), ", n, n ? strerror(afd) : "ok");
	first = n == -1 && afd == EIO;
	n = fsync(fd);
	printf("second fsync() = %zd\n", n);
	claim(first, "the first fsync() after the crash reports EIO");
	claim(n == 0, "the second fsync() succeeds");
	munmap(p, 2 * ps);
	if (age[0])
		write_param(AGE_PARAM, age);
	close(fd);
	return 0;
}
