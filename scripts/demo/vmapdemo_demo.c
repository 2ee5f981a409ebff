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
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <linux/vmapdemo.h>

#define DEV "/dev/" VMAPDEMO_DEV_NAME

int main(void)
{
	struct stat st;
	int fd;

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
	return 0;
}
