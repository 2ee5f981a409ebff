// SPDX-License-Identifier: GPL-2.0
/*
 * What survives a crash: a store has a cache (what mappings see) and a
 * backing store (the simulated medium). Page 0 is written and msync()ed,
 * page 1 only written; VMAPDEMO_STORE_IOC_CRASH then throws away what was
 * not written back, and the mapping shows the medium. Run as root.
 *
 *   cc -Wall -o msync_crash msync_crash.c && ./msync_crash
 * (with the installed header: #include <linux/vmapdemo.h>)
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../uapi/linux/vmapdemo.h"

#define NODE	"/dev/vmapdemo-store1"

int main(void)
{
	struct vmapdemo_store_crash crash = { .size = sizeof(crash) };
	struct vmapdemo_store_info info = { .size = sizeof(info) };
	long pg = sysconf(_SC_PAGESIZE);
	char *map;
	int fd;

	fd = open(NODE, O_RDWR);
	if (fd < 0)
		return perror(NODE), 1;
	map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return perror("mmap"), 1;

	strcpy(map, "page 0: synced");
	if (msync(map, pg, MS_SYNC))	/* waits until page 0 is on the medium */
		return perror("msync"), 1;
	strcpy(map + pg, "page 1: never synced");
	printf("before: \"%s\" \"%s\"\n", map, map + pg);

	if (ioctl(fd, VMAPDEMO_STORE_IOC_CRASH, &crash))
		return perror("VMAPDEMO_STORE_IOC_CRASH"), 1;
	printf("crash dropped %llu dirty page(s)\n",
	       (unsigned long long)crash.pages_dropped);

	/* The same mapping now faults in what the medium holds. */
	printf("after:  \"%s\" \"%s\"\n", map, map + pg);
	if (ioctl(fd, VMAPDEMO_STORE_IOC_GET_INFO, &info))
		return perror("VMAPDEMO_STORE_IOC_GET_INFO"), 1;
	printf("dirty pages now %llu\n", (unsigned long long)info.dirty_pages);
	return 0;
}
