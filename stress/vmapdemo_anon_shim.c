// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim: every anonymous mmap() the program makes itself becomes
 * a mapping of /dev/vmapdemo with the same flags (MAP_PRIVATE stays
 * private, MAP_SHARED shared), so that a program like stress-ng exercises
 * the device instead of anonymous memory. glibc's malloc and the dynamic
 * loader call mmap internally and are not redirected. MAP_HUGETLB
 * mappings stay anonymous, as do those made when the device cannot be
 * opened.
 *
 * At exit it prints "vmapdemo-shim: N of M anonymous mmaps redirected" to
 * stderr (or to the file $VMAPDEMO_SHIM_LOG, appended), so a run can check
 * that the device was really used.
 *
 *   cc -shared -fPIC -O2 -o vmapdemo_anon_shim.so vmapdemo_anon_shim.c
 *   LD_PRELOAD=./vmapdemo_anon_shim.so stress-ng --mmap 1 --mmap-ops 100
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int dev_fd = -1;
static unsigned long nr_anon, nr_redirected;

static void report(void)
{
	const char *log = getenv("VMAPDEMO_SHIM_LOG");
	FILE *f = log ? fopen(log, "a") : stderr;

	if (!f)
		return;
	fprintf(f, "vmapdemo-shim: pid %d: %lu of %lu anonymous mmaps redirected\n",
		getpid(), __atomic_load_n(&nr_redirected, __ATOMIC_RELAXED),
		__atomic_load_n(&nr_anon, __ATOMIC_RELAXED));
	if (f != stderr)
		fclose(f);
}

__attribute__((constructor)) static void shim_init(void)
{
	dev_fd = open("/dev/vmapdemo", O_RDWR | O_CLOEXEC);
	atexit(report);
}

static void *raw_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (!(flags & MAP_ANONYMOUS))
		return raw_mmap(addr, len, prot, flags, fd, off);
	__atomic_add_fetch(&nr_anon, 1, __ATOMIC_RELAXED);
	if (dev_fd < 0 || (flags & MAP_HUGETLB))
		return raw_mmap(addr, len, prot, flags, fd, off);
	__atomic_add_fetch(&nr_redirected, 1, __ATOMIC_RELAXED);
	return raw_mmap(addr, len, prot, flags & ~MAP_ANONYMOUS, dev_fd, 0);
}

/* stress-ng's workers leave by _exit(), which skips atexit(): report first. */
void _exit(int status)
{
	report();
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));
