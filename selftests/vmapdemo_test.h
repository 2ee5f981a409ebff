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
#include <sys/stat.h>

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

/* Is the module loaded (its device node present)? */
static inline int vd_present(void)
{
	return access(VMAPDEMO_PATH, F_OK) == 0;
}

#endif /* _VMAPDEMO_TEST_H */
