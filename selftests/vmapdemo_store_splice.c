// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_store_splice: splice(), sendfile() and copy_file_range() on a
 * store, against a tmpfs file as the oracle.
 *
 * Each differential test runs one sequence of calls twice, once on a store
 * and once on a tmpfs file of the same size and content, and records every
 * return value, errno, file position and size and every byte that came
 * out; the two records must be equal, call for call and byte for byte.
 * The differences a store has (it is a character device, it has a maximum
 * size) are asserted as such, in their own tests.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "kselftest_harness.h"
#include "vmapdemo_test.h"

#define STORE0		"/dev/" VMAPDEMO_STORE_NAME_PREFIX "0"
#define STORE1		"/dev/" VMAPDEMO_STORE_NAME_PREFIX "1"
#define AGE_PARAM	"/sys/module/vmapdemo/parameters/writeback_age_ms"
#define SIZE		(256 << 10)
#define MAXREC		128
#define LOGSZ		(4 << 20)

static long ps;

/* --- the record of a sequence ---------------------------------------------- */

struct rec {
	int n;
	struct {
		long long ret;
		int err;
		int line;
	} r[MAXREC];
	size_t len;		/* bytes in data[] */
	unsigned char *data;	/* every byte that came out, in order */
};

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->data = malloc(LOGSZ);
}

static void rec_add(struct rec *r, long long ret, int err, int line)
{
	if (r->n < MAXREC) {
		r->r[r->n].ret = ret;
		r->r[r->n].err = ret < 0 ? err : 0;
		r->r[r->n].line = line;
	}
	r->n++;
}

/* Record a call's result (and errno when it failed). */
#define REC(R, expr) do {				\
	long long _v;					\
	errno = 0;					\
	_v = (long long)(expr);				\
	rec_add(R, _v, errno, __LINE__);		\
} while (0)

/* Record a failure to set up, and give up the sequence. */
#define REC_FAIL(R) do {				\
	rec_add(R, -1, errno ? errno : EIO, __LINE__);	\
	return;						\
} while (0)

static void rec_bytes(struct rec *r, const void *p, size_t n)
{
	if (r->data && r->len + n <= LOGSZ) {
		memcpy(r->data + r->len, p, n);
		r->len += n;
	}
}

/* Read exactly @n bytes from a pipe or socket into the record. */
static void rec_drain(struct rec *r, int fd, long long n)
{
	char buf[65536];

	while (n > 0) {
		ssize_t k = read(fd, buf, n < (long long)sizeof(buf) ? n : sizeof(buf));

		rec_add(r, k, errno, __LINE__);
		if (k <= 0)
			return;
		rec_bytes(r, buf, k);
		n -= k;
	}
}

/* Record the size and then every byte of the store or file. */
static void rec_content(struct rec *r, int fd, int is_store)
{
	long long size = vd_size(fd, is_store), off = 0;
	char buf[65536];

	rec_add(r, size, errno, __LINE__);
	while (off < size) {
		ssize_t k = pread(fd, buf, sizeof(buf), off);

		if (k <= 0) {
			rec_add(r, k, errno, __LINE__);
			return;
		}
		rec_bytes(r, buf, k);
		off += k;
	}
}

/*
 * The two records are equal: every call gave the same result, and the
 * same bytes came out. Report the first difference.
 */
static int rec_same(struct __test_metadata *_metadata, const struct rec *s,
		    const struct rec *t)
{
	int i;
	size_t j;

	if (!s->data || !t->data) {
		TH_LOG("out of memory");
		return 0;
	}
	if (s->n != t->n) {
		TH_LOG("store made %d calls, tmpfs %d", s->n, t->n);
		return 0;
	}
	for (i = 0; i < s->n && i < MAXREC; i++) {
		if (s->r[i].ret != t->r[i].ret || s->r[i].err != t->r[i].err) {
			TH_LOG("line %d: store %lld (%s), tmpfs %lld (%s)",
			       s->r[i].line, s->r[i].ret, strerror(s->r[i].err),
			       t->r[i].ret, strerror(t->r[i].err));
			return 0;
		}
	}
	if (s->len != t->len) {
		TH_LOG("store gave %zu bytes, tmpfs %zu", s->len, t->len);
		return 0;
	}
	for (j = 0; j < s->len; j++) {
		if (s->data[j] != t->data[j]) {
			TH_LOG("byte %zu differs: store 0x%02x, tmpfs 0x%02x",
			       j, s->data[j], t->data[j]);
			return 0;
		}
	}
	return 1;
}

static void rec_free(struct rec *r)
{
	free(r->data);
	r->data = NULL;
}

/* --- the two files ------------------------------------------------------- */

/* A pattern that differs from page to page and from the other pattern. */
static unsigned char pat(int which, long long i)
{
	return (unsigned char)(i * (which ? 13 : 131) + (i >> 12) * 7 + which * 29 + 1);
}

static int fill(int fd, int which, size_t size)
{
	static unsigned char buf[SIZE];
	size_t i;

	for (i = 0; i < size && i < sizeof(buf); i++)
		buf[i] = pat(which, i);
	return pwrite(fd, buf, size, 0) == (ssize_t)size ? 0 : -1;
}

/* An unlinked tmpfs file of @size bytes holding pattern @which. */
static int tmpfs_file(int which, size_t size)
{
	char path[] = "/tmp/vmapdemo_splice_XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);

	if (fd < 0)
		return -1;
	unlink(path);
	if (ftruncate(fd, size) || fill(fd, which, size)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A store emptied and refilled: @size bytes of pattern @which. */
static int store_file(const char *path, int which, size_t size)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (vd_store_resize(fd, 0) || vd_store_resize(fd, size) ||
	    fill(fd, which, size)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A file just like @fd (a store or a tmpfs file), for O_APPEND and such. */
static int reopen(int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, flags | O_CLOEXEC);
}

/* On 6.5 or later (copy_splice_read(), shmem_file_splice_read())? */
static int kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return 0;
	return ma > major || (ma == major && mi >= minor);
}

/*
 * sendfile() or splice() out of a file until @count bytes went, the end of
 * the file, or an error: a splice may be short (copy_splice_read() gets
 * its pages from the bulk allocator, which hands out one at a time with
 * page_owner on, as on the debug kernel), and what is compared is what a
 * program that loops gets. The total, or -1 with errno if the first call
 * failed.
 */
static long long sendfile_all(int out, int in, off_t *off, size_t count)
{
	long long total = 0, n;

	while ((size_t)total < count) {
		errno = 0;
		n = sendfile(out, in, off, count - total);
		if (n <= 0)
			return total ? total : n;
		total += n;
	}
	return total;
}

static long long splice_all(int in, loff_t *off, int out, size_t count)
{
	long long total = 0, n;

	while ((size_t)total < count) {
		errno = 0;
		n = splice(in, off, out, NULL, count - total, 0);
		if (n <= 0)
			return total ? total : n;
		total += n;
	}
	return total;
}

#define NEED_STORES(n) do {						\
	ps = sysconf(_SC_PAGESIZE);					\
	if (access(STORE0, F_OK) || ((n) > 1 && access(STORE1, F_OK)))	\
		SKIP(return, "%s missing: load vmapdemo.ko with nr_stores >= %d", \
		     (n) > 1 ? STORE1 : STORE0, (n));			\
} while (0)

/*
 * Run @seq on a store and on a tmpfs file, each holding SIZE bytes of
 * pattern 0, and compare every result it recorded on the two.
 */
static void on_store_and_tmpfs(struct __test_metadata *_metadata,
			       void (*seq)(struct rec *r, int fd, int is_store))
{
	struct rec s, t;
	int sfd, tfd;

	sfd = store_file(STORE0, 0, SIZE);
	ASSERT_LE(0, sfd);
	tfd = tmpfs_file(0, SIZE);
	ASSERT_LE(0, tfd);
	rec_init(&s);
	rec_init(&t);
	seq(&s, sfd, 1);
	seq(&t, tfd, 0);
	EXPECT_TRUE(rec_same(_metadata, &s, &t));
	TH_LOG("%d calls, %zu bytes compared", s.n, s.len);
	rec_free(&s);
	rec_free(&t);
	close(sfd);
	close(tfd);
}

/* --- sendfile out of the file -------------------------------------------- */

/* The same sequence on both files: @is_store is not needed. */
static void seq_sendfile_from(struct rec *r, int fd, int is_store)
{
	static const long long offs[][2] = {
		{ 0, 4096 }, { 4093, 10000 }, { SIZE - 100, 4096 },
		{ SIZE, 4096 }, { SIZE + 4096, 10 }, { 3, 0 },
	};
	int p[2], sv[2], out, afd;
	unsigned int i;
	off_t off;
	long long n;

	/* Into a pipe, with an offset (the file position stays). */
	if (pipe(p))
		REC_FAIL(r);
	REC(r, lseek(fd, 7, SEEK_SET));
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		off = offs[i][0];
		n = sendfile_all(p[1], fd, &off, offs[i][1]);
		rec_add(r, n, errno, __LINE__);
		rec_add(r, off, 0, __LINE__);
		if (n > 0)
			rec_drain(r, p[0], n);
	}
	REC(r, lseek(fd, 0, SEEK_CUR));
	/* Without an offset: from the file position, which moves. */
	REC(r, lseek(fd, ps + 5, SEEK_SET));
	n = sendfile_all(p[1], fd, NULL, 3000);
	rec_add(r, n, errno, __LINE__);
	if (n > 0)
		rec_drain(r, p[0], n);
	REC(r, lseek(fd, 0, SEEK_CUR));
	/* A negative offset. */
	off = -1;
	REC(r, sendfile(p[1], fd, &off, 10));
	close(p[0]);
	close(p[1]);

	/* Into a socket (none without CONFIG_NET: the same errno on both). */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		rec_add(r, -1, errno, __LINE__);
		sv[0] = sv[1] = -1;
	}
	for (i = 0; sv[0] >= 0 && i < sizeof(offs) / sizeof(offs[0]); i++) {
		off = offs[i][0];
		n = sendfile_all(sv[0], fd, &off, offs[i][1]);
		rec_add(r, n, errno, __LINE__);
		rec_add(r, off, 0, __LINE__);
		if (n > 0)
			rec_drain(r, sv[1], n);
	}
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}

	/* Into a tmpfs file, at its file position, which moves. */
	out = tmpfs_file(1, 0);
	if (out < 0)
		REC_FAIL(r);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		off = offs[i][0];
		REC(r, sendfile(out, fd, &off, offs[i][1]));
		rec_add(r, off, 0, __LINE__);
		REC(r, lseek(out, 0, SEEK_CUR));
	}
	rec_content(r, out, 0);
	/* Whole: as cp would, in one call past the end. */
	REC(r, lseek(out, 0, SEEK_SET));
	REC(r, sendfile(out, fd, NULL, 2 * SIZE));
	rec_content(r, out, 0);
	/* Into an O_APPEND file: refused. */
	afd = reopen(out, O_WRONLY | O_APPEND);
	off = 0;
	REC(r, sendfile(afd, fd, &off, 100));
	close(afd);
	close(out);
}

TEST(sendfile_from_store_to_pipe_socket_file)
{
	NEED_STORES(1);
	on_store_and_tmpfs(_metadata, seq_sendfile_from);
}

/* --- sendfile into the file ---------------------------------------------- */

static void seq_sendfile_into(struct rec *r, int fd, int is_store)
{
	static const long long pos[][3] = {	/* out position, in offset, count */
		{ 0, 0, 4096 }, { 4103, 17, 10000 }, { SIZE - 10, 100, 5000 },
		{ SIZE + 3 * 4096 + 1, 5, 3000 }, { 50, SIZE - 20, 4096 },
		{ 9, 3, 0 },
	};
	int src = tmpfs_file(1, SIZE);
	unsigned int i;
	off_t off;

	if (src < 0)
		REC_FAIL(r);
	for (i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		REC(r, lseek(fd, pos[i][0], SEEK_SET));
		off = pos[i][1];
		REC(r, sendfile(fd, src, &off, pos[i][2]));
		rec_add(r, off, 0, __LINE__);
		REC(r, lseek(fd, 0, SEEK_CUR));
	}
	/* From the source's file position. */
	REC(r, lseek(src, 1000, SEEK_SET));
	REC(r, lseek(fd, 2 * 4096, SEEK_SET));
	REC(r, sendfile(fd, src, NULL, 4096 + 1));
	REC(r, lseek(src, 0, SEEK_CUR));
	REC(r, lseek(fd, 0, SEEK_CUR));
	rec_content(r, fd, is_store);
	close(src);
}

TEST(sendfile_from_tmpfs_into_store)
{
	NEED_STORES(1);
	on_store_and_tmpfs(_metadata, seq_sendfile_into);
}

/* --- splice to and from a pipe at offsets -------------------------------- */

static void seq_splice(struct rec *r, int fd, int is_store)
{
	static const long long rd[][2] = {	/* offset, count */
		{ 0, 4096 }, { 4095, 5000 }, { SIZE - 1, 10 }, { SIZE, 10 },
		{ SIZE + 10 * 4096, 10 }, { 100, 0 },
	};
	static const long long wr[][2] = {
		{ 0, 100 }, { 5, 4096 }, { 4095, 3 }, { SIZE - 10, 5000 },
		{ SIZE + 3 * 4096 + 7, 2000 }, { 2 * 4096, 3 * 4096 },
	};
	static unsigned char buf[4 * 4096];
	int p[2], afd, rfd;
	unsigned int i;
	loff_t off;
	long long n;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = pat(1, i + 77);
	if (pipe(p))
		REC_FAIL(r);

	/* File to pipe, at offsets. */
	REC(r, lseek(fd, 11, SEEK_SET));
	for (i = 0; i < sizeof(rd) / sizeof(rd[0]); i++) {
		off = rd[i][0];
		n = splice_all(fd, &off, p[1], rd[i][1]);
		rec_add(r, n, errno, __LINE__);
		rec_add(r, off, 0, __LINE__);
		if (n > 0)
			rec_drain(r, p[0], n);
	}
	/* ... and from the file position. */
	n = splice_all(fd, NULL, p[1], 6000);
	rec_add(r, n, errno, __LINE__);
	if (n > 0)
		rec_drain(r, p[0], n);
	REC(r, lseek(fd, 0, SEEK_CUR));
	off = -5;
	REC(r, splice(fd, &off, p[1], NULL, 10, 0));

	/* Pipe to file, at offsets, past the end included. */
	for (i = 0; i < sizeof(wr) / sizeof(wr[0]); i++) {
		REC(r, write(p[1], buf, wr[i][1]));
		off = wr[i][0];
		REC(r, splice(p[0], NULL, fd, &off, wr[i][1], 0));
		rec_add(r, off, 0, __LINE__);
		REC(r, vd_size(fd, is_store));
	}
	/* ... and at the file position. */
	REC(r, lseek(fd, 3 * 4096 + 1, SEEK_SET));
	REC(r, write(p[1], buf, 4096));
	REC(r, splice(p[0], NULL, fd, NULL, 4096, 0));
	REC(r, lseek(fd, 0, SEEK_CUR));
	/* An empty pipe, nonblocking: EAGAIN. */
	off = 0;
	REC(r, splice(p[0], NULL, fd, &off, 10, SPLICE_F_NONBLOCK));
	/* A negative offset, and an O_APPEND file: EINVAL. */
	REC(r, write(p[1], buf, 10));
	off = -1;
	REC(r, splice(p[0], NULL, fd, &off, 10, 0));
	afd = reopen(fd, O_WRONLY | O_APPEND);
	REC(r, splice(p[0], NULL, afd, NULL, 10, 0));
	close(afd);
	/* A read-only file: EBADF. */
	rfd = reopen(fd, O_RDONLY);
	REC(r, splice(p[0], NULL, rfd, NULL, 10, 0));
	close(rfd);
	rec_drain(r, p[0], 10);
	close(p[0]);
	close(p[1]);
	rec_content(r, fd, is_store);
}

/*
 * Past the end a splice into a store grows it as it grows a tmpfs file,
 * the gap reading as zeros: a store's size is not fixed, write() and so
 * splice extend it up to store_max_size (see max_size_differs below).
 */
TEST(splice_store_pipe_at_offsets)
{
	NEED_STORES(1);
	on_store_and_tmpfs(_metadata, seq_splice);
}

/*
 * The one difference at the end: a store stops at store_max_size (EFBIG
 * at it, a short write across it, as a filesystem stops at s_maxbytes),
 * where tmpfs goes on (its limit is MAX_LFS_FILESIZE).
 */
TEST(splice_max_size_differs)
{
	struct vmapdemo_store_info info;
	long long max;
	int sfd, tfd, p[2];
	loff_t off;

	NEED_STORES(1);
	sfd = store_file(STORE0, 0, SIZE);
	ASSERT_LE(0, sfd);
	tfd = tmpfs_file(0, SIZE);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, vd_store_info(sfd, &info));
	max = info.max_size;
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(100, write(p[1], "0123456789abcdefghij0123456789abcdefghij0123456789"
				   "0123456789abcdefghij0123456789abcdefghij0123456789", 100));
	off = max;
	errno = 0;
	EXPECT_EQ(-1, splice(p[0], NULL, sfd, &off, 100, 0));
	EXPECT_EQ(EFBIG, errno);
	off = max - 10;
	EXPECT_EQ(10, splice(p[0], NULL, sfd, &off, 100, 0));
	EXPECT_EQ(max, off);
	EXPECT_EQ(max, vd_size(sfd, 1));
	/* tmpfs takes all 90 left, at the same offset. */
	off = max - 10;
	EXPECT_EQ(90, splice(p[0], NULL, tfd, &off, 100, 0));
	EXPECT_EQ(max + 80, vd_size(tfd, 0));
	close(p[0]);
	close(p[1]);
	ASSERT_EQ(0, vd_store_resize(sfd, 0));
	close(sfd);
	close(tfd);
}

/* --- copy_file_range ----------------------------------------------------- */

/*
 * copy_file_range() takes regular files only (generic_file_rw_checks():
 * EINVAL for anything else, before any filesystem's ->copy_file_range and
 * before the splice fallback between filesystems), and a store is a
 * character device: it fails with EINVAL on every kernel, from and to a
 * store, as it does for /dev/zero, where tmpfs copies. cp and other
 * callers fall back to sendfile() or read()/write() on EINVAL; that
 * fallback gives what tmpfs's copy_file_range() gives, checked here.
 */
TEST(copy_file_range_einval_and_sendfile_fallback)
{
	int s0, s1, t0, t1, zfd;
	loff_t in, out;
	static unsigned char a[SIZE], b[SIZE];

	NEED_STORES(2);
	s0 = store_file(STORE0, 0, SIZE);
	ASSERT_LE(0, s0);
	s1 = store_file(STORE1, 1, SIZE);
	ASSERT_LE(0, s1);
	t0 = tmpfs_file(0, SIZE);
	ASSERT_LE(0, t0);
	t1 = tmpfs_file(1, SIZE);
	ASSERT_LE(0, t1);
	zfd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, zfd);

	/* store -> tmpfs, tmpfs -> store, store -> store, store -> itself. */
	in = 0, out = 0;
	errno = 0;
	EXPECT_EQ(-1, copy_file_range(s0, &in, t1, &out, 4096, 0));
	EXPECT_EQ(EINVAL, errno);
	in = 0, out = 0;
	errno = 0;
	EXPECT_EQ(-1, copy_file_range(t1, &in, s0, &out, 4096, 0));
	EXPECT_EQ(EINVAL, errno);
	in = 0, out = 0;
	errno = 0;
	EXPECT_EQ(-1, copy_file_range(s0, &in, s1, &out, 4096, 0));
	EXPECT_EQ(EINVAL, errno);
	in = 0, out = 8192;
	errno = 0;
	EXPECT_EQ(-1, copy_file_range(s0, &in, s0, &out, 4096, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, in);
	EXPECT_EQ(8192, out);
	/* As for /dev/zero, the kernel's own character device. */
	in = 0, out = 0;
	errno = 0;
	EXPECT_EQ(-1, copy_file_range(zfd, &in, t1, &out, 4096, 0));
	EXPECT_EQ(EINVAL, errno);

	/* tmpfs: copies, but not within one file's overlapping range. */
	in = 0, out = 0;
	EXPECT_EQ(3 * 4096 + 5, copy_file_range(t0, &in, t1, &out, 3 * 4096 + 5, 0));
	in = 0, out = 4096;
	errno = 0;
	EXPECT_EQ(-1, copy_file_range(t0, &in, t0, &out, 3 * 4096, 0));
	EXPECT_EQ(EINVAL, errno);
	/* The store's fallback, sendfile, gives the store what t1 got. */
	in = 0;
	ASSERT_EQ(0, lseek(s1, 0, SEEK_SET));
	EXPECT_EQ(3 * 4096 + 5, sendfile(s1, s0, &in, 3 * 4096 + 5));
	ASSERT_EQ(SIZE, pread(s1, a, SIZE, 0));
	ASSERT_EQ(SIZE, pread(t1, b, SIZE, 0));
	EXPECT_EQ(0, memcmp(a, b, SIZE));
	close(zfd);
	close(s0);
	close(s1);
	close(t0);
	close(t1);
}

/*
 * sendfile() within one file, the ranges overlapping (copy_file_range()
 * refuses that on tmpfs and refuses a store altogether). The kernel copies
 * through a pipe of 16 pages (do_splice_direct()): it reads that much,
 * then writes it, then reads on. A store reads with copy_splice_read()
 * (6.5 on) into pages of its own, so the pipe holds a copy. tmpfs splices
 * its own page cache pages into the pipe (shmem_file_splice_read(), 6.5
 * on), so a write that lands on a page the pipe still holds changes what
 * is written after it. Before 6.5 both read through ->read_iter into an
 * ITER_PIPE, which takes page cache pages by reference for the store as
 * for tmpfs.
 *
 * Pinned: a copy backwards (to < from) and a non-overlapping one give
 * memmove()'s result on both; a copy forwards by at least the pipe's 16
 * pages gives the same on both; forwards by less, the store gives what
 * copying 16 pages at a time gives on 6.5 and later (one page at a time
 * where the bulk allocator gives one page per call: page_owner on, the
 * debug kernel), the same as tmpfs before.
 */
static void copy_within(int fd, long long from, long long to, long long len,
			unsigned char *res)
{
	off_t in = from;

	if (lseek(fd, to, SEEK_SET) != to ||
	    sendfile(fd, fd, &in, len) != len || in != from + len ||
	    pread(fd, res, SIZE, 0) != SIZE)
		memset(res, 0xee, SIZE);
}

/* What reading @chunk bytes, then writing them, and so on gives. */
static void chunked_move(unsigned char *m, long long from, long long to,
			 long long len, long long chunk)
{
	long long done, n;

	for (done = 0; done < len; done += n) {
		n = len - done < chunk ? len - done : chunk;
		memmove(m + to + done, m + from + done, n);
	}
}

TEST(sendfile_within_one_file_overlapping)
{
	static unsigned char s[SIZE], t[SIZE], m[SIZE], c[SIZE], c1[SIZE];
	static const long long cases[][3] = {	/* from, to, length */
		{ 40 * 4096, 0, 8192 },		/* not overlapping */
		{ 3 * 4096, 4096, 40 * 4096 },	/* backwards */
		{ 4096, 24 * 4096, 30 * 4096 },	/* forwards by 23 pages */
		{ 4096 + 5, 3 * 4096, 40 * 4096 }, /* forwards by 2 pages - 5 */
	};
	int sfd, tfd, i;

	NEED_STORES(1);
	sfd = store_file(STORE0, 0, SIZE);
	ASSERT_LE(0, sfd);
	tfd = tmpfs_file(0, SIZE);
	ASSERT_LE(0, tfd);
	for (i = 0; i < 4; i++) {
		long long from = cases[i][0], to = cases[i][1], len = cases[i][2];

		ASSERT_EQ(0, fill(sfd, 0, SIZE));
		ASSERT_EQ(0, fill(tfd, 0, SIZE));
		ASSERT_EQ(SIZE, pread(tfd, m, SIZE, 0));
		memcpy(c, m, SIZE);
		memcpy(c1, m, SIZE);
		memmove(m + to, m + from, len);
		chunked_move(c, from, to, len, 16 * 4096);
		copy_within(sfd, from, to, len, s);
		copy_within(tfd, from, to, len, t);
		TH_LOG("case %d: store %s tmpfs, store %s memmove, store %s 16-page chunks, tmpfs %s memmove",
		       i, memcmp(s, t, SIZE) ? "!=" : "==",
		       memcmp(s, m, SIZE) ? "!=" : "==",
		       memcmp(s, c, SIZE) ? "!=" : "==",
		       memcmp(t, m, SIZE) ? "!=" : "==");
		if (i < 2) {
			EXPECT_EQ(0, memcmp(s, m, SIZE));
			EXPECT_EQ(0, memcmp(t, m, SIZE));
		} else if (i == 2 || !kernel_at_least(6, 5)) {
			EXPECT_EQ(0, memcmp(s, t, SIZE));
		} else {
			/* One page at a time with page_owner on (see splice_all()). */
			chunked_move(c1, from, to, len, 4096);
			EXPECT_TRUE(!memcmp(s, c, SIZE) || !memcmp(s, c1, SIZE));
		}
	}
	close(sfd);
	close(tfd);
}

/* --- coherence with a mapping, durability -------------------------------- */

static int store_sync_all(int fd)
{
	struct vmapdemo_store_sync sy = {
		.size = sizeof(sy), .flags = VMAPDEMO_STORE_SYNC_SYNC,
	};

	return ioctl(fd, VMAPDEMO_STORE_IOC_SYNC, &sy);
}

static int store_crash(int fd)
{
	struct vmapdemo_store_crash cr = { .size = sizeof(cr) };

	return ioctl(fd, VMAPDEMO_STORE_IOC_CRASH, &cr);
}

/*
 * What splice and sendfile write is what a MAP_SHARED mapping of the file
 * sees at once, and what they read includes what the mapping wrote: the
 * same sequence on a store and on tmpfs leaves the same bytes in the
 * mapping. Then, on the store, the sync ioctl writes the spliced data back
 * (it survives a crash) and what was spliced after the sync does not.
 */
static void seq_coherent(struct rec *r, int fd, int is_store, int src)
{
	static char buf[5000];
	unsigned char *p;
	int pfd[2];
	loff_t off;
	off_t in;
	char c;
	long i;

	for (i = 0; i < (long)sizeof(buf); i++)
		buf[i] = (char)pat(1, i + 5);
	p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || pipe(pfd))
		REC_FAIL(r);
	/* Every page mapped (read faults), one written through the map. */
	for (i = 0, c = 0; i < SIZE; i += ps)
		c ^= p[i];
	rec_bytes(r, &c, 1);
	p[2 * ps + 3] = 'M';
	/* pipe -> file: the mapping sees it. */
	REC(r, write(pfd[1], buf, sizeof(buf)));
	off = 3 * ps + 1;
	REC(r, splice(pfd[0], NULL, fd, &off, sizeof(buf), 0));
	rec_add(r, !memcmp(p + 3 * ps + 1, buf, sizeof(buf)), 0, __LINE__);
	/* file -> pipe: the mapping's write is in it. */
	off = 2 * ps + 3;
	REC(r, splice(fd, &off, pfd[1], NULL, 1, 0));
	rec_drain(r, pfd[0], 1);
	/* sendfile from tmpfs: the mapping sees it. */
	REC(r, lseek(fd, 6 * ps - 2, SEEK_SET));
	in = 100;
	REC(r, sendfile(fd, src, &in, 2 * ps));
	rec_add(r, (long long)p[6 * ps - 2] << 8 | p[7 * ps], 0, __LINE__);
	rec_bytes(r, p, SIZE);
	close(pfd[0]);
	close(pfd[1]);
	munmap(p, SIZE);
	rec_content(r, fd, is_store);
}

TEST(splice_coherent_with_mapping_and_synced)
{
	static unsigned char before[SIZE], after[SIZE];
	int sfd, tfd, src, pfd[2], age_fd = -1;
	struct rec s, t;
	char age[32] = "";
	loff_t off;

	NEED_STORES(1);
	/* No background writeback: only the sync ioctl writes back. */
	if (vd_read_file(AGE_PARAM, age, sizeof(age)) > 0)
		age_fd = vd_write_str(AGE_PARAM, "0");
	sfd = store_file(STORE0, 0, SIZE);
	ASSERT_LE(0, sfd);
	tfd = tmpfs_file(0, SIZE);
	ASSERT_LE(0, tfd);
	src = tmpfs_file(1, SIZE);
	ASSERT_LE(0, src);
	/* The initial content is on the medium. */
	ASSERT_EQ(0, store_sync_all(sfd));
	rec_init(&s);
	rec_init(&t);
	seq_coherent(&s, sfd, 1, src);
	seq_coherent(&t, tfd, 0, src);
	EXPECT_TRUE(rec_same(_metadata, &s, &t));

	/* Synced, then one more splice that is not: the crash drops it. */
	ASSERT_EQ(SIZE, pread(sfd, before, SIZE, 0));
	ASSERT_EQ(0, store_sync_all(sfd));
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(16, write(pfd[1], "lost after crash", 16));
	off = 9 * ps;
	ASSERT_EQ(16, splice(pfd[0], NULL, sfd, &off, 16, 0));
	close(pfd[0]);
	close(pfd[1]);
	ASSERT_EQ(0, store_crash(sfd));
	close(sfd);
	sfd = open(STORE0, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(SIZE, pread(sfd, after, SIZE, 0));
	EXPECT_EQ(0, memcmp(before, after, SIZE));
	/* The synced splice and sendfile data, and the mapping's write. */
	EXPECT_EQ('M', after[2 * ps + 3]);
	EXPECT_EQ(pat(1, 5), after[3 * ps + 1]);
	EXPECT_EQ(pat(1, 100), after[6 * ps - 2]);
	rec_free(&s);
	rec_free(&t);
	ASSERT_EQ(0, vd_store_resize(sfd, 0));
	close(sfd);
	close(tfd);
	close(src);
	if (!age_fd)
		vd_write_str(AGE_PARAM, age);
}

TEST_HARNESS_MAIN
