// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_bench: what a fault, a refault, a populate and (later) a store
 * read/write/sync cost on /dev/vmapdemo, side by side with the kernel's own
 * mappings, in ns per 4 KiB page. Run inside the test VM by `make bench`
 * (scripts/bench.sh), once per THP setting.
 *
 * Every figure is the median of REPS repetitions; within a repetition the
 * candidates of a row run one after the other, so slow drift of a shared
 * host hits them alike. Each repetition touches at least 10,000 pages.
 * The ratio column is vmapdemo divided by the best kernel peer of the row:
 * below 1.00 vmapdemo is faster.
 *
 * usage: vmapdemo_bench [-l LABEL] [-r REPS] [-p PAGES] [-s SEQ_PAGES]
 *			 [-S SPARSE_TOUCHED] [-o ROWS]
 *   ROWS: row-name prefixes to run, separated by '+' or ',' (default all;
 *	   use '+' in BENCH_ARGS, whose commas become spaces on the way)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/vmapdemo.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#define DEV		"/dev/" VMAPDEMO_DEV_NAME
#define STORE_DEV	"/dev/" VMAPDEMO_DEV_NAME "-store0"
#define PG		4096UL
#define MAXREPS		64
#define NA		(-1.0)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int reps = 5;
static unsigned long npages = 16384;		/* 64 MiB per repetition */
static unsigned long seq_pages = 65536;		/* 256 MiB */
static unsigned long sparse_touched = 10240;	/* over 64x as many pages */
static const char *label = "?";
static const char *only;
static int have_store;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Is the module's store_huge parameter on (stores with 2 MiB folios)? */
static int store_huge(void)
{
	FILE *f = fopen("/sys/module/vmapdemo/parameters/store_huge", "r");
	int c = f ? fgetc(f) : 'N';

	if (f)
		fclose(f);
	return c == 'Y' || c == '1';
}

static void die(const char *what)
{
	fprintf(stderr, "vmapdemo_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* --- what gets mapped ---------------------------------------------------- */

enum kind { VD, ZERO, ANON, MEMFD, STORE, TMPFS, MEMCPY };

static const char *const kind_name[] = {
	[VD] = "vmapdemo", [ZERO] = "/dev/zero", [ANON] = "anon",
	[MEMFD] = "memfd", [STORE] = "store0", [TMPFS] = "tmpfs",
	[MEMCPY] = "memcpy4K",
};

struct map {
	char *p;
	size_t len;
	int fd;
};

/* A file of @len bytes to map or read/write: memfd, tmpfs or the store. */
static int open_file(enum kind k, size_t len)
{
	int fd;

	switch (k) {
	case MEMFD:
		fd = memfd_create("bench", 0);
		break;
	case TMPFS:
		fd = open("/tmp/vmapdemo-bench", O_RDWR | O_CREAT | O_TRUNC, 0600);
		break;
	case STORE: {
		struct vmapdemo_store_resize rs = { .size = sizeof(rs) };

		fd = open(STORE_DEV, O_RDWR);
		if (fd < 0)
			die(STORE_DEV);
		/* Like a file truncated to 0 and to @len: @len bytes of holes. */
		if (ioctl(fd, VMAPDEMO_STORE_IOC_SET_SIZE, &rs))
			die("VMAPDEMO_STORE_IOC_SET_SIZE 0");
		rs.new_size = len;
		if (ioctl(fd, VMAPDEMO_STORE_IOC_SET_SIZE, &rs))
			die("VMAPDEMO_STORE_IOC_SET_SIZE");
		return fd;
	}
	default:
		abort();
	}
	if (fd < 0)
		die("memfd/tmpfs");
	if (ftruncate(fd, len))
		die("ftruncate");
	return fd;
}

static struct map map_kind(enum kind k, size_t len, int shared, int flags)
{
	struct map m = { .len = len, .fd = -1 };
	int mf = (shared ? MAP_SHARED : MAP_PRIVATE) | flags;

	switch (k) {
	case VD:
		m.fd = open(DEV, O_RDWR);
		break;
	case ZERO:
		m.fd = open("/dev/zero", O_RDWR);
		break;
	case ANON:
		mf |= MAP_ANONYMOUS;
		break;
	default:
		m.fd = open_file(k, len);
	}
	if (k != ANON && m.fd < 0)
		die("open");
	m.p = mmap(NULL, len, PROT_READ | PROT_WRITE, mf, m.fd, 0);
	if (m.p == MAP_FAILED)
		die("mmap");
	return m;
}

/*
 * Write a mapping back: the store's sync ioctl (timed itself, not msync(2)
 * around it), msync(MS_SYNC) for a kernel file. Returns the pages the store
 * wrote, 0 for a kernel file, -1 on error.
 */
static long long sync_map(enum kind k, struct map *m)
{
	struct vmapdemo_store_sync sy = {
		.size = sizeof(sy), .flags = VMAPDEMO_STORE_SYNC_SYNC,
	};

	if (k != STORE)
		return msync(m->p, m->len, MS_SYNC) ? -1 : 0;
	if (ioctl(m->fd, VMAPDEMO_STORE_IOC_SYNC, &sy))
		return -1;
	return sy.pages_written;
}

static void unmap(struct map *m)
{
	munmap(m->p, m->len);
	if (m->fd >= 0)
		close(m->fd);
}

static void touch_write(char *p, unsigned long n, unsigned long step)
{
	for (unsigned long i = 0; i < n; i++)
		((volatile char *)p)[i * step * PG] = 1;
}

static unsigned long touch_read(char *p, unsigned long n)
{
	unsigned long s = 0;

	for (unsigned long i = 0; i < n; i++)
		s += ((volatile char *)p)[i * PG];
	return s;
}

/*
 * Scattered order: page (i * 17) mod n. With n a power of two every page is
 * touched once, and consecutive touches are 68 KiB apart, beyond any
 * fault-around or batching window: this is the cost of one fault.
 */
static void touch_write_scattered(char *p, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		((volatile char *)p)[((i * 17) % n) * PG] = 1;
}

static long long vd_pages_alloc(void)
{
	struct vmapdemo_stats st = { .size = sizeof(st) };
	int fd = open(DEV, O_RDWR);
	int ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, VMAPDEMO_IOC_GET_STATS, &st);
	close(fd);
	return ret ? -1 : (long long)st.pages_alloc;
}

/* --- measurements: one repetition, ns per page -------------------------- */

enum test {
	PRIV_WRITE, PRIV_READ, SHARED_WRITE, REFAULT_READ, REFAULT_WRITE,
	SEQ_WRITE, SPARSE_WRITE, POPULATE_PRIV, POPULATE_SHARED,
	MADV_PW_PRIV, MADV_PW_SHARED,
	STORE_RD4K, STORE_RD1M, STORE_WR4K, STORE_WR1M, STORE_SYNC,
	STORE_WREFAULT_SYNC,
};

/* extra output of a measurement, e.g. pages allocated by a sparse touch */
static long long extra;

static double measure(enum test t, enum kind k, unsigned long arg)
{
	unsigned long n = npages;
	double t0 = 0, t1 = 0;
	struct map m = { .fd = -1 };

	switch (t) {
	case PRIV_WRITE:
	case PRIV_READ:
		m = map_kind(k, n * PG, 0, 0);
		t0 = now_ns();
		if (t == PRIV_WRITE)
			touch_write(m.p, n, 1);
		else
			touch_read(m.p, n);
		t1 = now_ns();
		break;
	case SHARED_WRITE:
		m = map_kind(k, n * PG, 1, 0);
		t0 = now_ns();
		touch_write_scattered(m.p, n);
		t1 = now_ns();
		break;
	case REFAULT_READ:
	case REFAULT_WRITE:
		m = map_kind(k, n * PG, 1, 0);
		touch_write(m.p, n, 1);
		if (madvise(m.p, n * PG, MADV_DONTNEED))
			die("MADV_DONTNEED");
		t0 = now_ns();
		if (t == REFAULT_WRITE)
			touch_write(m.p, n, 1);
		else
			touch_read(m.p, n);
		t1 = now_ns();
		break;
	case SEQ_WRITE:
		n = seq_pages;
		m = map_kind(k, n * PG, 1, 0);
		t0 = now_ns();
		touch_write(m.p, n, 1);
		t1 = now_ns();
		break;
	case SPARSE_WRITE: {
		long long a0 = vd_pages_alloc();
		struct stat st;

		n = sparse_touched;
		/* 2.5 GiB of a 1 GiB guest: not to be charged to overcommit */
		m = map_kind(k, n * 64 * PG, 1, MAP_NORESERVE);
		t0 = now_ns();
		touch_write(m.p, n, 64);
		t1 = now_ns();
		extra = -1;
		if (k == VD)
			extra = vd_pages_alloc() - a0;
		else if (k == MEMFD && !fstat(m.fd, &st))
			extra = st.st_blocks * 512 / PG;
		break;
	}
	case POPULATE_PRIV:
	case POPULATE_SHARED:
		t0 = now_ns();
		m = map_kind(k, n * PG, t == POPULATE_SHARED, MAP_POPULATE);
		t1 = now_ns();
		break;
	case MADV_PW_PRIV:
	case MADV_PW_SHARED:
		m = map_kind(k, n * PG, t == MADV_PW_SHARED, 0);
		t0 = now_ns();
		if (madvise(m.p, n * PG, MADV_POPULATE_WRITE))
			die("MADV_POPULATE_WRITE");
		t1 = now_ns();
		break;
	case STORE_RD4K:
	case STORE_RD1M:
	case STORE_WR4K:
	case STORE_WR1M: {
		size_t bs = (t == STORE_RD4K || t == STORE_WR4K) ? PG : 1 << 20;
		size_t len = n * PG;
		int wr = t == STORE_WR4K || t == STORE_WR1M;
		char *buf = aligned_alloc(PG, bs);
		int fd = open_file(k, len);

		if (!buf)
			die("aligned_alloc");
		memset(buf, 0x5a, bs);
		/* Untimed pass: the file's pages exist before the timed one. */
		for (size_t off = 0; off < len; off += bs)
			if (pwrite(fd, buf, bs, off) != (ssize_t)bs)
				die("pwrite");
		t0 = now_ns();
		for (size_t off = 0; off < len; off += bs) {
			ssize_t r = wr ? pwrite(fd, buf, bs, off) :
					 pread(fd, buf, bs, off);
			if (r != (ssize_t)bs)
				die(wr ? "pwrite" : "pread");
		}
		t1 = now_ns();
		close(fd);
		free(buf);
		return (t1 - t0) / n;
	}
	case STORE_SYNC:
	case STORE_WREFAULT_SYNC: {
		long long written;

		if (k == MEMCPY) {
			/* The in-guest reference: copy 4 KiB pages, cold. */
			char *src = malloc(n * PG), *dst = malloc(n * PG);

			if (!src || !dst)
				die("malloc");
			memset(src, 1, n * PG);
			memset(dst, 2, n * PG);
			t0 = now_ns();
			for (unsigned long i = 0; i < n; i++)
				memcpy(dst + i * PG, src + i * PG, PG);
			t1 = now_ns();
			free(src);
			free(dst);
			return (t1 - t0) / n;
		}
		m = map_kind(k, n * PG, 1, 0);
		touch_write(m.p, n, 1);
		unsigned long dirty = arg ? arg : n;

		if (sync_map(k, &m) < 0)
			die("sync");
		/* @dirty pages spread over the whole store, then sync it all */
		for (unsigned long i = 0; i < dirty; i++)
			m.p[(i * (n / dirty)) * PG] = 2;
		t0 = now_ns();
		written = sync_map(k, &m);
		t1 = now_ns();
		if (written < 0)
			die("sync");
		/*
		 * With store_huge a folio is 2 MiB and has one dirty bit: a
		 * sync writes back all of every dirty folio, so at least the
		 * dirty pages. The ratio is per dirty page all the same.
		 */
		if (k == STORE && (store_huge() ? written < (long long)dirty :
				   written != (long long)dirty)) {
			errno = EIO;
			die("the sync wrote another number of pages than were dirty");
		}
		if (t == STORE_WREFAULT_SYNC) {
			t0 = now_ns();
			touch_write(m.p, n, 1);
			t1 = now_ns();
			unmap(&m);
			return (t1 - t0) / n;
		}
		unmap(&m);
		return (t1 - t0) / dirty;
	}
	}
	unmap(&m);
	return (t1 - t0) / n;
}

/* --- rows ----------------------------------------------------------------- */

struct row {
	const char *name;
	enum test test;
	enum kind cand[4];	/* cand[0] is ours; the rest are kernel peers */
	int ncand;
	unsigned long arg;
	const char *goal;	/* issue 7's (store rows: 14's), THP off */
	int store;		/* needs store nodes */
};

static const struct row rows[] = {
	{ "priv-write-fault", PRIV_WRITE, { VD, ZERO, ANON }, 3, 0, "<=1.05" },
	{ "priv-read-fault", PRIV_READ, { VD, ZERO, ANON }, 3, 0, "<=1.05" },
	{ "shared-first-write", SHARED_WRITE, { VD, ZERO, MEMFD }, 3, 0, "<=1.00" },
	{ "shared-refault-read", REFAULT_READ, { VD, MEMFD }, 2, 0, "<=1.00" },
	{ "shared-refault-write", REFAULT_WRITE, { VD, MEMFD }, 2, 0, "<=1.00" },
	{ "seq-first-touch", SEQ_WRITE, { VD, ZERO, MEMFD }, 3, 0, "<=0.67" },
	{ "sparse-1in64", SPARSE_WRITE, { VD, ZERO, MEMFD }, 3, 0, "" },
	{ "map-populate-priv", POPULATE_PRIV, { VD, ZERO, ANON }, 3, 0, "" },
	{ "map-populate-shared", POPULATE_SHARED, { VD, ZERO, MEMFD }, 3, 0, "" },
	{ "madv-popwrite-priv", MADV_PW_PRIV, { VD, ZERO, ANON }, 3, 0, "" },
	{ "madv-popwrite-shared", MADV_PW_SHARED, { VD, ZERO, MEMFD }, 3, 0, "" },
	{ "store-refault-read", REFAULT_READ, { STORE, MEMFD }, 2, 0, "<=1.00", 1 },
	{ "store-refault-write", REFAULT_WRITE, { STORE, MEMFD }, 2, 0, "<=1.00", 1 },
	{ "store-first-write", SHARED_WRITE, { STORE, MEMFD }, 2, 0, "<=1.00", 1 },
	{ "store-read-4K", STORE_RD4K, { STORE, TMPFS }, 2, 0, "<=1.05", 1 },
	{ "store-read-1M", STORE_RD1M, { STORE, TMPFS }, 2, 0, "<=1.05", 1 },
	{ "store-write-4K", STORE_WR4K, { STORE, TMPFS }, 2, 0, "<=1.05", 1 },
	{ "store-write-1M", STORE_WR1M, { STORE, TMPFS }, 2, 0, "<=1.05", 1 },
	{ "store-sync-1", STORE_SYNC, { STORE, MEMCPY }, 2, 1, "<=3.00", 1 },
	{ "store-sync-16", STORE_SYNC, { STORE, MEMCPY }, 2, 16, "<=3.00", 1 },
	{ "store-sync-512", STORE_SYNC, { STORE, MEMCPY }, 2, 512, "<=3.00", 1 },
	{ "store-sync-all", STORE_SYNC, { STORE, MEMCPY }, 2, 0, "<=3.00", 1 },
	{ "store-wrefault-sync", STORE_WREFAULT_SYNC, { STORE, MEMFD }, 2, 0, "", 1 },
};

static int selected(const char *name)
{
	const char *p = only;

	if (!only)
		return 1;
	while (*p) {
		size_t l = strcspn(p, ",+");

		if (l && !strncmp(name, p, l))
			return 1;
		p += l + !!p[l];
	}
	return 0;
}

static void run_row(const struct row *r)
{
	double v[4][MAXREPS], med[4] = { 0 };
	long long ex = -1, exm = -1;
	char peers[128] = "", exs[64] = "";
	double best = 0;
	int bi = -1;

	/* One printf per row, after measuring: nothing splits a line. */
	if (r->store && !have_store) {
		printf("%-21s n/a (no store nodes in this build)\n", r->name);
		return;
	}
	for (int i = 0; i < reps; i++)
		for (int c = 0; c < r->ncand; c++) {
			v[c][i] = measure(r->test, r->cand[c], r->arg);
			if (c == 0)
				ex = extra;
			else if (r->cand[c] == MEMFD)
				exm = extra;
		}
	for (int c = 0; c < r->ncand; c++)
		med[c] = median(v[c], reps);
	for (int c = 1; c < r->ncand; c++) {
		char s[48];

		snprintf(s, sizeof(s), " %9s %7.0f", kind_name[r->cand[c]],
			 med[c]);
		strcat(peers, s);
		if (bi < 0 || med[c] < best) {
			best = med[c];
			bi = c;
		}
	}
	for (int c = r->ncand; c < 3; c++)
		strcat(peers, "                  ");
	if (r->test == SPARSE_WRITE)
		snprintf(exs, sizeof(exs), "  alloc %lld/%lu (memfd %lld)",
			 ex, sparse_touched, exm);
	printf("%-21s %8.0f %s %6.2fx %-7s%s\n", r->name, med[0], peers,
	       med[0] / best, r->goal, exs);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: vmapdemo_bench [-l LABEL] [-r REPS] [-p PAGES] "
		"[-s SEQ_PAGES] [-S SPARSE_TOUCHED] [-o ROW,...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "l:r:p:s:S:o:")) != -1) {
		switch (opt) {
		case 'l':
			label = optarg;
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'p':
			npages = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seq_pages = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			sparse_touched = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			only = optarg;
			break;
		default:
			usage();
		}
	}
	if (reps < 1 || reps > MAXREPS || npages < 64 ||
	    (npages & (npages - 1)) || seq_pages < 1 || sparse_touched < 1)
		usage();
	if (access(DEV, R_OK | W_OK))
		die(DEV);
	have_store = !access(STORE_DEV, F_OK);

	printf("THP %s: ns per 4 KiB page, median of %d; %lu pages per run "
	       "(seq %lu, sparse %lu touched of %lu)\n", label, reps, npages,
	       seq_pages, sparse_touched, sparse_touched * 64);
	printf("%-21s %8s %17s %17s %7s %-7s\n", "row", "vmapdemo",
	       "peer", "peer", "ratio", "goal");
	for (unsigned int i = 0; i < ARRAY_SIZE(rows); i++)
		if (selected(rows[i].name))
			run_row(&rows[i]);
	{
		/* the in-guest reference for the sync rows */
		double v[MAXREPS];

		if (selected("memcpy-4K")) {
			for (int i = 0; i < reps; i++)
				v[i] = measure(STORE_SYNC, MEMCPY, 0);
			printf("%-21s %8s %9s %7.0f\n", "memcpy-4K", "-",
			       "memcpy4K", median(v, reps));
		}
	}
	return 0;
}
