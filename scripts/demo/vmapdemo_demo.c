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
	return demo_store_sharing();
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
