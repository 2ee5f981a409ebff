// SPDX-License-Identifier: GPL-2.0
/*
 * Private versus shared mappings of /dev/vmapdemo across fork(): a child's
 * write to a MAP_SHARED page is seen by its parent, a write to a
 * MAP_PRIVATE page is copied on write and stays with the child.
 *
 *   cc -Wall -o private_shared private_shared.c && ./private_shared
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	size_t len = 4096;
	char *priv, *shared;
	int fd;

	fd = open("/dev/vmapdemo", O_RDWR);
	if (fd < 0) {
		perror("open /dev/vmapdemo");
		return 1;
	}
	priv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	shared = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (priv == MAP_FAILED || shared == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* Both start as zeros, as /dev/zero's would. */
	printf("before: private=\"%s\" shared=\"%s\"\n", priv, shared);
	strcpy(priv, "parent");
	strcpy(shared, "parent");

	fflush(stdout);		/* or the child prints "before" again */
	if (fork() == 0) {
		/* The child writes both; only the shared write is visible. */
		strcpy(priv, "child");
		strcpy(shared, "child");
		printf("child:  private=\"%s\" shared=\"%s\"\n", priv, shared);
		exit(0);	/* exit(), not _exit(): flushes stdout */
	}
	wait(NULL);
	printf("parent: private=\"%s\" shared=\"%s\"\n", priv, shared);
	return 0;
}
