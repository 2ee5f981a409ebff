// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_demo: a narrated walk through what /dev/vmapdemo does, run inside
 * the test VM by `make demo`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
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

int main(int argc, char **argv)
{
	struct stat st;
	int fd;

	if (argc > 1 && !strcmp(argv[1], "store-peer"))
		return demo_store_peer(argc, argv);

	printf("== vmapdemo demo ==\n\n");
	if (stat(DEV, &st)) {
		printf("%s: %s (is the module loaded?)\n", DEV, strerror(errno));
		return 1;
	}
	printf("%s is a character device %u:%u with mode %04o,\n", DEV,
	       major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777);
	printf("like /dev/zero: anyone may open it for reading and writing.\n");

	fd = open(DEV, O_RDWR);
	if (fd < 0) {
		printf("open %s: %s\n", DEV, strerror(errno));
		return 1;
	}
	printf("open(\"%s\", O_RDWR) = %d\n", DEV, fd);
	close(fd);
	printf("\nThe mmap semantics arrive in later versions of the module.\n");
	if (demo_store_sharing())
		return 1;
	return demo_store_msync_crash();
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
	int fd, afd;
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

	printf("\n4. The next sync on a file that was open during the crash\n"
	       "   reports it once, as fsync() reports a writeback error:\n");
	n = fsync(fd);
	afd = errno;
	printf("   first fsync() = %zd (%s), ", n, n ? strerror(afd) : "ok");
	n = fsync(fd);
	printf("second fsync() = %zd\n", n);
	munmap(p, 2 * ps);
	if (age[0])
		write_param(AGE_PARAM, age);
	close(fd);
	return 0;
}
