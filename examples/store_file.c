// SPDX-License-Identifier: GPL-2.0
/*
 * A store node used as a file by two unrelated processes: the first
 * writes a note with write() and a second through a shared mapping; a
 * second program (here this one run again with "reader", by exec: no
 * memory inherited) opens the node and finds both, by read() and by mmap().
 * Store nodes are mode 0600: run as root.
 *
 *   cc -Wall -o store_file store_file.c && ./store_file
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define NODE	"/dev/vmapdemo-store0"

static int reader(void)
{
	char buf[64] = "";
	char *map;
	int fd = open(NODE, O_RDONLY);

	if (fd < 0 || pread(fd, buf, sizeof(buf) - 1, 0) < 0)
		return perror("reader"), 1;
	map = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return perror("reader mmap"), 1;
	printf("reader: read() at 0:    \"%s\"\n", buf);
	printf("reader: mapping at 4096: \"%s\"\n", map + 4096);
	return 0;
}

int main(int argc, char **argv)
{
	static const char note[] = "written by write()";
	char *map;
	int fd;

	if (argc > 1 && !strcmp(argv[1], "reader"))
		return reader();

	fd = open(NODE, O_RDWR);
	if (fd < 0)
		return perror(NODE), 1;
	/* A store keeps its data while the module is loaded, like a file. */
	if (pwrite(fd, note, sizeof(note), 0) != sizeof(note))
		return perror("pwrite"), 1;
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return perror("mmap"), 1;
	strcpy(map + 4096, "written through a mapping");
	munmap(map, 8192);
	close(fd);
	printf("writer: done, exiting\n");
	fflush(stdout);

	if (fork() == 0) {
		execl("/proc/self/exe", argv[0], "reader", (char *)NULL);
		_exit(127);
	}
	wait(NULL);
	return 0;
}
