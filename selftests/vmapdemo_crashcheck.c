// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_crashcheck: a crash-consistency checker for the store nodes.
 *
 * A model of the store holds, for every byte, what the cache must read now
 * (cur) and what the backing store must read after a crash (dur). Random
 * operations run against the store from this process and from worker
 * processes, each with its own files and mappings: mmap (MAP_PRIVATE,
 * MAP_SHARED of an O_RDONLY file, MAP_SHARED writable; at random, often
 * overlapping offsets and in random order), munmap, writes through the
 * mappings, write()/pwrite() (plain, O_APPEND, O_DSYNC, RWF_DSYNC,
 * RWF_SYNC), writes into another process's mapping (process_vm_writev(),
 * /proc/pid/mem), writes through a mapping past the end of the store,
 * fsync(), fdatasync(), msync(MS_SYNC), the sync ioctl, INVALIDATE, resize,
 * drop_caches (reclaim of clean pages) and the simulated crash. Every
 * acknowledged sync makes the model's dur equal to cur for the pages it
 * covers; a crash makes cur equal to dur. After every crash and every
 * reclaim, and every few operations, every byte of the store is compared
 * with the model through pread() and through every mapping of every
 * process (private mappings against their own copy-on-write model).
 *
 * Background writeback is switched off for the run (writeback_age_ms = 0),
 * so that the model is exact: a page reaches the backing store only when a
 * sync the model knows of writes it.
 *
 * With -H (huge mode, vmapdemo_crashcheck_huge.sh) the store grows to
 * 1024 pages, the module's store_huge parameter is on for the run (and
 * restored), and half of the mappings are 2 MiB multiples at 2 MiB-aligned
 * offsets, placed at addresses congruent to their offset modulo 2 MiB, so
 * that faults add PMD-size folios: syncs of parts of a folio, shrinks
 * into one, crashes and reclaim then meet large folios, and the model is
 * the same.
 *
 * Usage: vmapdemo_crashcheck [-H] [-s SEED] [-n OPS]
 *   VMAPDEMO_SEED and VMAPDEMO_CRASHCHECK_OPS do the same. The seed is
 *   printed first; a failure prints it again with the operation that
 *   found the difference and the ones before it, so the run can be
 *   replayed. The run goes on until it has done OPS operations (default
 *   2500; 3000 on the debug kernel; 600 in huge mode) and at least 50
 *   crashes and 50 reclaims (20 and 20 in huge mode).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "vmapdemo_test.h"

#define AGE_PARAM	"/sys/module/vmapdemo/parameters/writeback_age_ms"
#define MAXP_SMALL	32		/* store size: 0 to maxp pages */
#define MAXP_HUGE	1024		/* the same in huge mode: 2 PMDs */
#define PMD_SZ		(2L << 20)
#define NWORKERS	3
#define MAPS_PER_W	6
#define NMAPS		((NWORKERS + 1) * MAPS_PER_W)	/* slots per process */
#define LOG_OPS		24

enum { M_PRIV, M_SHRO, M_SHRW };
static const char *const mtype_name[] = { "private", "shared-ro", "shared-rw" };

/* Files every process opens on the store. */
enum { F_RW, F_RO, F_DSYNC, F_APPEND, NFDS };

enum cmd_op {
	C_MMAP, C_MUNMAP, C_WRITE, C_PWRITE, C_PWRITEV2, C_APPEND, C_FSYNC,
	C_FDATASYNC, C_MSYNC, C_READMAP, C_PMDKB, C_EXIT,
};

struct cmd {
	int op;
	int fd;		/* F_* */
	int type;	/* M_* for C_MMAP */
	int flags;	/* RWF_* for C_PWRITEV2 */
	unsigned long addr;
	long off;	/* file offset, or offset in the mapping */
	long len;
	unsigned char val;
};

struct reply {
	long ret;
	int err;
	int sig;
	unsigned long addr;
};

struct worker {
	pid_t pid;
	int to[2], from[2];
};

/* One mapping, in the process that made it, and its private model. */
struct vmap {
	int used;
	int w;			/* worker, or -1 for this process */
	int type;
	long pgoff, npages;
	unsigned long addr;
	unsigned char *cowed;	/* per page: has its private copy */
	long *known;		/* per page: bytes of data[] that are known */
	unsigned char *data;	/* the private copies */
};

static long ps;
static long maxb;
static const char *node;
static unsigned char *cur, *dur, *buf;
static unsigned char *scratch;	/* shared with the workers: C_READMAP, maxp + 4 pages */
static long maxp = MAXP_SMALL;
static long npmd;	/* mappings found PMD-mapped by a verification */
static long min_crashes = 50, min_reclaims = 50;
static int huge;
static char huge_old[8];
#define HUGE_PARAM	"/sys/module/vmapdemo/parameters/store_huge"
static long size;
static struct worker wk[NWORKERS];
static struct vmap maps[NMAPS];
static int fds[NFDS];
static unsigned long seed;
static unsigned long long rnd_state;
static long nops, ncrash, nreclaim, nsync, ninval, nresize, nverify, nmapw,
	    npw, ngup, ntail, nmmap;
static char oplog[LOG_OPS][160];
static long oplog_n;

static unsigned long long rnd(void)
{
	/* xorshift64* */
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 2685821657736338717ULL;
}

static long rnd_below(long n)
{
	return n > 0 ? (long)(rnd() % (unsigned long long)n) : 0;
}

static void logop(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(oplog[oplog_n % LOG_OPS], sizeof(oplog[0]), fmt, ap);
	va_end(ap);
	oplog_n++;
}

static char age[32];

static void die(const char *fmt, ...)
{
	va_list ap;
	long i;

	if (age[0])
		vd_write_str(AGE_PARAM, age);
	if (huge_old[0])
		vd_write_str(HUGE_PARAM, huge_old);
	printf("# FAILED at operation %ld: ", nops);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n# last operations, oldest first:\n");
	for (i = oplog_n > LOG_OPS ? oplog_n - LOG_OPS : 0; i < oplog_n; i++)
		printf("#   %s\n", oplog[i % LOG_OPS]);
	printf("# replay: VMAPDEMO_SEED=%lu vmapdemo_crashcheck\n", seed);
	ksft_test_result_fail(huge ? "crash_consistency_huge\n" : "crash_consistency\n");
	ksft_finished();
}

static int open_fds(int *f)
{
	f[F_RW] = open(node, O_RDWR | O_CLOEXEC);
	f[F_RO] = open(node, O_RDONLY | O_CLOEXEC);
	f[F_DSYNC] = open(node, O_RDWR | O_DSYNC | O_CLOEXEC);
	f[F_APPEND] = open(node, O_WRONLY | O_APPEND | O_CLOEXEC);
	return f[F_RW] < 0 || f[F_RO] < 0 || f[F_DSYNC] < 0 || f[F_APPEND] < 0;
}

/* --- the worker side: runs a command in the process that owns it -------- */

static sigjmp_buf wenv;

/*
 * In huge mode: map at an address congruent to @off modulo 2 MiB, so that
 * every 2 MiB-aligned range of the store that the mapping covers is at a
 * 2 MiB-aligned address (do_set_pmd() needs that), whatever the kernel's
 * get_unmapped_area does.
 */
static void *map_at(size_t len, int prot, int flags, int fd, off_t off)
{
	char *area, *p;

	if (!huge)
		return mmap(NULL, len, prot, flags, fd, off);
	area = mmap(NULL, len + 2 * PMD_SZ, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return area;
	p = (char *)(((unsigned long)area + PMD_SZ - 1) & ~(PMD_SZ - 1)) +
	    (off & (PMD_SZ - 1));
	if (mmap(p, len, prot, flags | MAP_FIXED, fd, off) == MAP_FAILED) {
		munmap(area, len + 2 * PMD_SZ);
		return MAP_FAILED;
	}
	if (p > area)
		munmap(area, p - area);
	munmap(p + len, area + len + 2 * PMD_SZ - (p + len));
	return p;
}

static void wsig(int sig)
{
	siglongjmp(wenv, sig);
}

static void run_cmd(const struct cmd *c, struct reply *r, int *f)
{
	struct iovec iov;
	void *p;

	memset(r, 0, sizeof(*r));
	errno = 0;
	switch (c->op) {
	case C_MMAP:
		p = map_at(c->len, c->type == M_SHRW ? PROT_READ | PROT_WRITE :
			   c->type == M_PRIV ? PROT_READ | PROT_WRITE : PROT_READ,
			   c->type == M_PRIV ? MAP_PRIVATE : MAP_SHARED,
			   f[c->type == M_SHRO ? F_RO : F_RW], c->off);
		r->ret = p == MAP_FAILED ? -1 : 0;
		r->addr = (unsigned long)p;
		break;
	case C_MUNMAP:
		r->ret = munmap((void *)c->addr, c->len);
		break;
	case C_WRITE:
	case C_READMAP:
		r->sig = sigsetjmp(wenv, 1);
		if (!r->sig) {
			if (c->op == C_WRITE)
				memset((char *)c->addr + c->off, c->val, c->len);
			else
				memcpy(scratch, (char *)c->addr + c->off, c->len);
		}
		break;
	case C_PWRITE:
		memset(buf, c->val, c->len);
		r->ret = pwrite(f[c->fd], buf, c->len, c->off);
		break;
	case C_PWRITEV2:
		memset(buf, c->val, c->len);
		iov.iov_base = buf;
		iov.iov_len = c->len;
		r->ret = pwritev2(f[c->fd], &iov, 1, c->off, c->flags);
		break;
	case C_APPEND:
		memset(buf, c->val, c->len);
		r->ret = write(f[F_APPEND], buf, c->len);
		break;
	case C_FSYNC:
		r->ret = fsync(f[c->fd]);
		break;
	case C_FDATASYNC:
		r->ret = fdatasync(f[c->fd]);
		break;
	case C_MSYNC:
		r->ret = msync((void *)c->addr, c->len, MS_SYNC);
		break;
	case C_PMDKB:
		r->ret = vd_smaps_kb((void *)c->addr, "FilePmdMapped:");
		break;
	}
	r->err = errno;
}

static void worker_main(int in, int out)
{
	struct sigaction sa = { .sa_handler = wsig };
	struct reply r;
	struct cmd c;
	int f[NFDS];

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	if (open_fds(f))
		_exit(2);
	/* Ready: our files are open, so they see every crash from now on. */
	memset(&r, 0, sizeof(r));
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(3);
	while (read(in, &c, sizeof(c)) == sizeof(c) && c.op != C_EXIT) {
		run_cmd(&c, &r, f);
		if (write(out, &r, sizeof(r)) != sizeof(r))
			_exit(3);
	}
	_exit(0);
}

/* Run @c in worker @w (-1: here). */
static struct reply call(int w, struct cmd c)
{
	static int sig_set;
	struct reply r;

	if (w < 0) {
		if (!sig_set) {
			struct sigaction sa = { .sa_handler = wsig };

			sigemptyset(&sa.sa_mask);
			sigaction(SIGBUS, &sa, NULL);
			sigaction(SIGSEGV, &sa, NULL);
			sig_set = 1;
		}
		run_cmd(&c, &r, fds);
		return r;
	}
	if (write(wk[w].to[1], &c, sizeof(c)) != sizeof(c) ||
	    read(wk[w].from[0], &r, sizeof(r)) != sizeof(r))
		die("worker %d is gone", w);
	return r;
}

/* --- the store ----------------------------------------------------------- */

static long nr_pages(long bytes)
{
	return (bytes + ps - 1) / ps;
}

static void store_ioctl(unsigned long req, void *arg, const char *what)
{
	if (ioctl(fds[F_RW], req, arg))
		die("%s: %s", what, strerror(errno));
}

static void resize(long n)
{
	struct vmapdemo_store_resize rs = { .size = sizeof(rs), .new_size = n };

	store_ioctl(VMAPDEMO_STORE_IOC_SET_SIZE, &rs, "SET_SIZE");
}

/* The pages [first, last] reached the backing store. */
static void made_durable(long first, long last)
{
	long end = (last + 1) * ps;

	if (end > maxb)
		end = maxb;
	if (first * ps < end)
		memcpy(dur + first * ps, cur + first * ps, end - first * ps);
}

/* --- verification -------------------------------------------------------- */

static void verify_map(struct vmap *m)
{
	long p, i, lim, first_diff, n = nr_pages(size) - m->pgoff;
	const unsigned char *got;
	struct reply r;
	unsigned char want;

	if (n > m->npages)
		n = m->npages;
	if (n <= 0)
		return;		/* all past the end: SIGBUS */
	/* One copy of the pages inside the store, through the mapping. */
	r = call(m->w, (struct cmd){ .op = C_READMAP, .addr = m->addr,
				     .off = 0, .len = n * ps });
	if (r.sig)
		die("%s mapping of worker %d (pgoff %ld): signal %d reading %ld pages",
		    mtype_name[m->type], m->w, m->pgoff, r.sig, n);
	for (p = 0; p < n; p++) {
		long fstart = (m->pgoff + p) * ps;

		got = scratch + p * ps;
		lim = size - fstart < ps ? size - fstart : ps;
		if (m->type == M_PRIV && m->cowed[p] && m->known[p] < lim)
			lim = m->known[p];
		first_diff = -1;
		for (i = 0; i < lim; i++) {
			want = m->type == M_PRIV && m->cowed[p] ?
			       m->data[p * ps + i] : cur[fstart + i];
			if (got[i] != want) {
				first_diff = i;
				break;
			}
		}
		if (first_diff >= 0)
			die("%s mapping of worker %d (pgoff %ld, %ld pages%s): byte %ld of the store reads %#x, the model says %#x",
			    mtype_name[m->type], m->w, m->pgoff, m->npages,
			    m->type == M_PRIV && m->cowed[p] ? ", private copy" : "",
			    fstart + first_diff, got[first_diff],
			    m->type == M_PRIV && m->cowed[p] ?
			    m->data[p * ps + first_diff] : cur[fstart + first_diff]);
	}
}

static void verify(const char *why)
{
	struct cmd c = { .op = C_PMDKB };
	off_t end;
	long i, n;

	nverify++;
	end = lseek(fds[F_RO], 0, SEEK_END);
	if (end != size)
		die("after %s: the store's size is %lld, the model's %ld", why,
		    (long long)end, size);
	memset(buf, 0xa5, maxb);
	n = pread(fds[F_RO], buf, maxb, 0);
	if (n != size)
		die("after %s: pread of the whole store returned %ld, size %ld (%s)",
		    why, n, size, n < 0 ? strerror(errno) : "short");
	for (i = 0; i < size; i++)
		if (buf[i] != cur[i])
			die("after %s: byte %ld reads %#x, the model says %#x (backing model %#x)",
			    why, i, buf[i], cur[i], dur[i]);
	for (i = 0; i < NMAPS; i++) {
		if (!maps[i].used)
			continue;
		verify_map(&maps[i]);
		if (!huge)
			continue;
		/* PMDs in the mapping's process: proof that huge mode is huge. */
		c.addr = maps[i].addr;
		if (call(maps[i].w, c).ret > 0)
			npmd++;
	}
}

/* --- operations ---------------------------------------------------------- */

static void drain_crash_reports(void)
{
	struct reply r;
	int w, f;

	/* Each file open at a crash reports it once (fsync: EIO), then 0. */
	for (w = -1; w < NWORKERS; w++) {
		for (f = 0; f < NFDS; f++) {
			r = call(w, (struct cmd){ .op = C_FSYNC, .fd = f });
			if (r.ret != -1 || r.err != EIO)
				die("first fsync after a crash (worker %d, file %d) returned %ld errno %d, not EIO",
				    w, f, r.ret, r.err);
			r = call(w, (struct cmd){ .op = C_FSYNC, .fd = f });
			if (r.ret)
				die("second fsync after a crash (worker %d, file %d) failed: %s",
				    w, f, strerror(r.err));
		}
	}
}

static void op_crash(void)
{
	struct vmapdemo_store_crash cr = { .size = sizeof(cr) };

	logop("crash");
	store_ioctl(VMAPDEMO_STORE_IOC_CRASH, &cr, "CRASH");
	memcpy(cur, dur, maxb);
	ncrash++;
	drain_crash_reports();
	verify("crash");
}

static void op_reclaim(void)
{
	logop("drop_caches");
	if (vd_write_str("/proc/sys/vm/drop_caches", "3"))
		die("cannot write /proc/sys/vm/drop_caches: %s", strerror(errno));
	nreclaim++;
	verify("drop_caches");
}

static int free_map_slot(int w)
{
	int i;

	for (i = (w + 1) * MAPS_PER_W; i < (w + 2) * MAPS_PER_W; i++)
		if (!maps[i].used)
			return i;
	return -1;
}

static void op_munmap(struct vmap *m)
{
	struct reply r;

	logop("munmap %s pgoff %ld pages %ld (worker %d)", mtype_name[m->type],
	      m->pgoff, m->npages, m->w);
	r = call(m->w, (struct cmd){ .op = C_MUNMAP, .addr = m->addr,
				     .len = m->npages * ps });
	if (r.ret)
		die("munmap: %s", strerror(r.err));
	free(m->cowed);
	free(m->known);
	free(m->data);
	memset(m, 0, sizeof(*m));
}

/* A random used mapping of one of the types in @mask, or NULL. */
static struct vmap *pick_map(int mask)
{
	int i, start = (int)rnd_below(NMAPS);

	for (i = 0; i < NMAPS; i++) {
		struct vmap *m = &maps[(start + i) % NMAPS];

		if (m->used && (mask & (1 << m->type)))
			return m;
	}
	return NULL;
}

static void op_munmap_any(void)
{
	struct vmap *m = pick_map(1 << M_PRIV | 1 << M_SHRO | 1 << M_SHRW);

	if (m)
		op_munmap(m);
}

static void op_mmap(void)
{
	int w = (int)rnd_below(NWORKERS + 1) - 1;	/* -1: this process */
	int slot = free_map_slot(w);
	struct vmap *m;
	struct reply r;

	if (slot < 0) {
		/* Full: unmap one of that process's mappings first. */
		slot = (w + 1) * MAPS_PER_W + (int)rnd_below(MAPS_PER_W);
		op_munmap(&maps[slot]);
	}
	m = &maps[slot];
	m->w = w;
	m->type = (int)rnd_below(3);
	if (huge && rnd_below(2)) {
		/* Whole PMDs of the store, maybe a little past its maximum. */
		long pmd_pages = PMD_SZ / ps, nr = maxp / pmd_pages;

		m->pgoff = rnd_below(nr) * pmd_pages;
		m->npages = (1 + rnd_below(nr - m->pgoff / pmd_pages)) * pmd_pages +
			    rnd_below(5);
	} else {
		m->pgoff = rnd_below(maxp);
		m->npages = 1 + rnd_below(maxp + 4 - m->pgoff);
	}
	r = call(w, (struct cmd){ .op = C_MMAP, .type = m->type,
				  .off = m->pgoff * ps, .len = m->npages * ps });
	if (r.ret)
		die("mmap %s pgoff %ld: %s", mtype_name[m->type], m->pgoff,
		    strerror(r.err));
	m->used = 1;
	m->addr = r.addr;
	m->cowed = calloc(m->npages, 1);
	m->known = calloc(m->npages, sizeof(long));
	m->data = calloc(m->npages, ps);
	if (!m->cowed || !m->known || !m->data)
		die("out of memory");
	nmmap++;
	logop("mmap %s pgoff %ld pages %ld (worker %d)", mtype_name[m->type],
	      m->pgoff, m->npages, w);
}

/* A random byte range [*off, *off + *len) of the mapping inside the store. */
static int pick_range(struct vmap *m, long *off, long *len)
{
	long lo = m->pgoff * ps, hi = (m->pgoff + m->npages) * ps;

	if (hi > size)
		hi = size;
	if (hi <= lo)
		return -1;
	*off = lo + rnd_below(hi - lo);
	*len = 1 + rnd_below(rnd_below(4) ? 600 : 2 * ps);
	if (*off + *len > hi)
		*len = hi - *off;
	return 0;
}

/* Private copies made by a write to [off, off + len) of a private mapping. */
static void cow(struct vmap *m, long off, long len)
{
	long fp, p, lim;

	for (fp = off / ps; fp <= (off + len - 1) / ps; fp++) {
		p = fp - m->pgoff;
		if (m->cowed[p])
			continue;
		/* The copy is of the store's page as it is now. */
		lim = size - fp * ps < ps ? size - fp * ps : ps;
		memcpy(m->data + p * ps, cur + fp * ps, lim);
		m->known[p] = lim;
		m->cowed[p] = 1;
	}
}

static void op_mapwrite(void)
{
	struct vmap *m = pick_map(1 << M_SHRW | 1 << M_PRIV);
	unsigned char val = (unsigned char)rnd();
	long off, len;
	struct reply r;

	if (!m || pick_range(m, &off, &len))
		return;
	logop("write %#x to [%ld, +%ld) through %s pgoff %ld (worker %d)", val,
	      off, len, mtype_name[m->type], m->pgoff, m->w);
	r = call(m->w, (struct cmd){ .op = C_WRITE, .addr = m->addr,
				     .off = off - m->pgoff * ps, .len = len,
				     .val = val });
	if (r.sig)
		die("signal %d writing through a %s mapping", r.sig,
		    mtype_name[m->type]);
	if (m->type == M_SHRW) {
		memset(cur + off, val, len);
	} else {
		cow(m, off, len);
		memset(m->data + off - m->pgoff * ps, val, len);
	}
	nmapw++;
}

/* Write through a shared mapping past the end, in the store's last page. */
static void op_tailwrite(void)
{
	struct vmap *m = pick_map(1 << M_SHRW);
	long last = size / ps;
	struct reply r;

	if (!m || !(size % ps) || last < m->pgoff || last >= m->pgoff + m->npages)
		return;
	logop("write past the end: [%ld, %ld) through shared-rw pgoff %ld",
	      size, (last + 1) * ps, m->pgoff);
	r = call(m->w, (struct cmd){ .op = C_WRITE, .addr = m->addr,
				     .off = size - m->pgoff * ps,
				     .len = (last + 1) * ps - size,
				     .val = 0xee });
	if (r.sig)
		die("signal %d writing past the end within the last page", r.sig);
	ntail++;
}

/* Another process writes into a worker's shared mapping through GUP. */
static void op_gupwrite(void)
{
	struct vmap *m = pick_map(1 << M_SHRW);
	unsigned char val = (unsigned char)rnd();
	struct iovec local, remote;
	char path[64];
	long off, len;
	ssize_t n;
	int fd;

	if (!m || m->w < 0 || pick_range(m, &off, &len))
		return;
	memset(buf, val, len);
	remote.iov_base = (void *)(m->addr + off - m->pgoff * ps);
	remote.iov_len = len;
	if (rnd_below(2)) {
		logop("process_vm_writev %#x to [%ld, +%ld) of worker %d", val,
		      off, len, m->w);
		local.iov_base = buf;
		local.iov_len = len;
		n = process_vm_writev(wk[m->w].pid, &local, 1, &remote, 1, 0);
	} else {
		logop("/proc/%d/mem write %#x to [%ld, +%ld)", m->w, val, off, len);
		snprintf(path, sizeof(path), "/proc/%d/mem", wk[m->w].pid);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			die("open %s: %s", path, strerror(errno));
		n = pwrite(fd, buf, len, (off_t)(unsigned long)remote.iov_base);
		close(fd);
	}
	if (n != len)
		die("GUP write of %ld bytes returned %ld (%s)", len, (long)n,
		    n < 0 ? strerror(errno) : "short");
	memset(cur + off, val, len);
	ngup++;
}

/* The model of a write() of @len bytes of @val at @off that returned. */
static void wrote(long off, long len, unsigned char val)
{
	/* Past the end: what lies between reads as zeros (it does already). */
	memset(cur + off, val, len);
	if (off + len > size)
		size = off + len;
}

static void op_pwrite(void)
{
	int w = (int)rnd_below(NWORKERS + 1) - 1, kind = (int)rnd_below(6);
	static const char *const kname[] = {
		"pwrite", "pwrite O_DSYNC", "pwritev2 RWF_DSYNC",
		"pwritev2 RWF_SYNC", "write O_APPEND", "pwritev2 RWF_APPEND",
	};
	unsigned char val = (unsigned char)rnd();
	long off = rnd_below(maxb), len = 1 + rnd_below(rnd_below(3) ? 300 : 3 * ps);
	struct cmd c = { .val = val };
	struct reply r;
	int sync = kind >= 1 && kind <= 3;

	if (kind >= 4) {
		off = size;	/* appends land at the end */
		if (off >= maxb)
			return;
	}
	if (off + len > maxb)
		len = maxb - off;
	c.off = off;
	c.len = len;
	switch (kind) {
	case 0: c.op = C_PWRITE; c.fd = F_RW; break;
	case 1: c.op = C_PWRITE; c.fd = F_DSYNC; break;
	case 2: c.op = C_PWRITEV2; c.fd = F_RW; c.flags = RWF_DSYNC; break;
	case 3: c.op = C_PWRITEV2; c.fd = F_RW; c.flags = RWF_SYNC; break;
	case 4: c.op = C_APPEND; break;
	case 5: c.op = C_PWRITEV2; c.fd = F_RW; c.flags = RWF_APPEND; c.off = 0; break;
	}
	logop("%s %#x at %ld (+%ld), size %ld (worker %d)", kname[kind], val,
	      off, len, size, w);
	r = call(w, c);
	if (r.ret != len)
		die("%s of %ld bytes at %ld returned %ld (%s)", kname[kind], len,
		    off, r.ret, r.ret < 0 ? strerror(r.err) : "short");
	wrote(off, len, val);
	if (sync)
		made_durable(off / ps, (off + len - 1) / ps);
	npw++;
}

static void op_sync(void)
{
	int w = (int)rnd_below(NWORKERS + 1) - 1, kind = (int)rnd_below(4);
	struct vmapdemo_store_sync sy = { .size = sizeof(sy),
					  .flags = VMAPDEMO_STORE_SYNC_SYNC };
	long first, n, np = nr_pages(size);
	struct vmap *m;
	struct reply r;

	switch (kind) {
	case 0:
		logop("fsync (worker %d)", w);
		r = call(w, (struct cmd){ .op = C_FSYNC, .fd = (int)rnd_below(NFDS) });
		if (r.ret)
			die("fsync: %s", strerror(r.err));
		made_durable(0, maxp);
		break;
	case 1:
		logop("fdatasync (worker %d)", w);
		r = call(w, (struct cmd){ .op = C_FDATASYNC, .fd = F_RW });
		if (r.ret)
			die("fdatasync: %s", strerror(r.err));
		made_durable(0, maxp);
		break;
	case 2:
		m = pick_map(1 << M_SHRW);
		if (!m)
			return;
		first = rnd_below(m->npages);
		n = 1 + rnd_below(m->npages - first);
		logop("msync MS_SYNC pages [%ld, +%ld) of shared-rw pgoff %ld (worker %d)",
		      m->pgoff + first, n, m->pgoff, m->w);
		r = call(m->w, (struct cmd){ .op = C_MSYNC,
					     .addr = m->addr + first * ps,
					     .len = n * ps });
		if (r.ret)
			die("msync: %s", strerror(r.err));
		made_durable(m->pgoff + first, m->pgoff + first + n - 1);
		break;
	case 3:
		if (!np)
			return;
		first = rnd_below(np);
		n = rnd_below(np - first + 1);	/* 0: to the end */
		logop("SYNC ioctl pages [%ld, +%ld)", first, n);
		sy.offset = first * ps;
		sy.length = n * ps;
		store_ioctl(VMAPDEMO_STORE_IOC_SYNC, &sy, "SYNC");
		made_durable(first, n ? first + n - 1 : maxp);
		break;
	}
	nsync++;
}

static void op_invalidate(void)
{
	struct vmapdemo_store_sync sy = {
		.size = sizeof(sy),
		.flags = VMAPDEMO_STORE_SYNC_SYNC | VMAPDEMO_STORE_SYNC_INVALIDATE,
	};
	long np = nr_pages(size), first, n;

	if (!np)
		return;
	first = rnd_below(np);
	n = rnd_below(np - first + 1);
	logop("INVALIDATE pages [%ld, +%ld)", first, n);
	sy.offset = first * ps;
	sy.length = n * ps;
	store_ioctl(VMAPDEMO_STORE_IOC_SYNC, &sy, "INVALIDATE");
	made_durable(first, n ? first + n - 1 : maxp);
	ninval++;
	if (rnd_below(2))
		verify("INVALIDATE");
}

static void op_resize(void)
{
	long n = rnd_below(4) ? rnd_below(maxb + 1) : rnd_below(maxp + 1) * ps;
	long hole, i, p;

	/* Huge mode: often whole PMDs, where large folios fit. */
	if (huge && rnd_below(2))
		n = (1 + rnd_below(maxb / PMD_SZ)) * PMD_SZ;
	hole = nr_pages(n);

	logop("resize %ld -> %ld", size, n);
	resize(n);
	if (n < size) {
		memset(cur + n, 0, maxb - n);
		memset(dur + n, 0, maxb - n);
		/* Private copies of pages wholly past the end go too. */
		for (i = 0; i < NMAPS; i++) {
			if (!maps[i].used || maps[i].type != M_PRIV)
				continue;
			for (p = 0; p < maps[i].npages; p++)
				if (maps[i].pgoff + p >= hole)
					maps[i].cowed[p] = 0;
		}
	}
	size = n;
	nresize++;
}

static void run(long want_ops)
{
	long r;

	while (nops < want_ops || ncrash < min_crashes || nreclaim < min_reclaims) {
		if (nops > 4 * want_ops)
			die("did not reach %ld crashes and %ld reclaims in %ld operations",
			    min_crashes, min_reclaims, nops);
		nops++;
		r = rnd_below(100);
		if (r < 8)
			op_mmap();
		else if (r < 12)
			op_munmap_any();
		else if (r < 36)
			op_mapwrite();
		else if (r < 48)
			op_pwrite();
		else if (r < 52)
			op_tailwrite();
		else if (r < 57)
			op_gupwrite();
		else if (r < 69)
			op_sync();
		else if (r < 73)
			op_invalidate();
		else if (r < 79)
			op_resize();
		else if (r < 83)
			op_crash();
		else if (r < 87)
			op_reclaim();
		else if (r < 90)
			verify("a check");
	}
	verify("the last operation");
	/* Finally: sync everything, crash, and every byte must survive. */
	if (fsync(fds[F_RW]))
		die("final fsync: %s", strerror(errno));
	made_durable(0, maxp);
	op_crash();
}

static int is_debug_kernel(void)
{
	char cmdline[4096];

	return vd_read_file("/proc/cmdline", cmdline, sizeof(cmdline)) > 0 &&
	       strstr(cmdline, "vmapdemo.debug=1");
}

int main(int argc, char **argv)
{
	char paths[2][VD_PATH_MAX];
	struct vmapdemo_store_info info = { .size = sizeof(info) };
	long want_ops = is_debug_kernel() ? 3000 : 2500;
	const char *env;
	int opt, n, i;

	ps = sysconf(_SC_PAGESIZE);
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-H"))
			huge = 1;
	if (huge) {
		maxp = MAXP_HUGE;
		want_ops = 600;
		min_crashes = 20;
		min_reclaims = 20;
	}
	maxb = maxp * ps;
	seed = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
	env = getenv("VMAPDEMO_SEED");
	if (env)
		seed = strtoul(env, NULL, 0);
	env = getenv("VMAPDEMO_CRASHCHECK_OPS");
	if (env)
		want_ops = strtol(env, NULL, 0);
	while ((opt = getopt(argc, argv, "Hs:n:")) != -1) {
		if (opt == 's')
			seed = strtoul(optarg, NULL, 0);
		else if (opt == 'n')
			want_ops = strtol(optarg, NULL, 0);
	}
	rnd_state = seed * 0x9e3779b97f4a7c15ULL + 1;

	ksft_print_header();
	if (huge && access("/sys/kernel/mm/transparent_hugepage", F_OK))
		ksft_exit_skip("huge mode: no THP in this kernel (CONFIG_TRANSPARENT_HUGEPAGE)\n");
	ksft_set_plan(1);
	printf("# seed: %lu (replay: VMAPDEMO_SEED=%lu vmapdemo_crashcheck)\n",
	       seed, seed);
	n = vd_store_nodes(paths, 2);
	if (!n)
		ksft_exit_skip("no store node: load vmapdemo.ko with nr_stores > 0\n");
	if (geteuid())
		ksft_exit_skip("needs root (drop_caches, writeback_age_ms)\n");
	node = paths[n - 1];
	if (huge && vd_read_file(HUGE_PARAM, huge_old, sizeof(huge_old)) <= 0)
		ksft_exit_fail_msg("huge mode: cannot read %s\n", HUGE_PARAM);
	huge_old[strcspn(huge_old, "\n")] = 0;
	if (huge && vd_write_str(HUGE_PARAM, "1"))
		ksft_exit_fail_msg("huge mode: cannot set %s\n", HUGE_PARAM);
	if (vd_read_file(AGE_PARAM, age, sizeof(age)) <= 0 ||
	    vd_write_str(AGE_PARAM, "0"))
		ksft_exit_fail_msg("cannot switch background writeback off through %s\n",
				   AGE_PARAM);
	cur = calloc(1, maxb);
	dur = calloc(1, maxb);
	buf = malloc(maxb + ps);
	scratch = mmap(NULL, (maxp + 4) * ps, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!cur || !dur || !buf || scratch == MAP_FAILED)
		ksft_exit_fail_msg("out of memory\n");
	if (open_fds(fds))
		ksft_exit_fail_msg("open %s: %s\n", node, strerror(errno));
	if (ioctl(fds[F_RW], VMAPDEMO_STORE_IOC_GET_INFO, &info))
		ksft_exit_fail_msg("GET_INFO: %s\n", strerror(errno));
	/* An empty store: shrinking to 0 empties both tiers. */
	resize(0);
	for (i = 0; i < NWORKERS; i++) {
		if (pipe(wk[i].to) || pipe(wk[i].from))
			ksft_exit_fail_msg("pipe: %s\n", strerror(errno));
		wk[i].pid = fork();
		if (wk[i].pid < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (!wk[i].pid)
			worker_main(wk[i].to[0], wk[i].from[1]);
	}
	for (i = 0; i < NWORKERS; i++) {
		struct reply r;

		if (read(wk[i].from[0], &r, sizeof(r)) != sizeof(r))
			ksft_exit_fail_msg("worker %d did not start\n", i);
	}
	printf("# %s, %d worker processes, store of up to %ld pages%s, %ld operations at least\n",
	       node, NWORKERS, maxp, huge ? " with PMD-size folios (store_huge=1)" : "",
	       want_ops);
	run(want_ops);

	printf("# operations: %ld\n# crashes: %ld\n# reclaims: %ld\n", nops, ncrash,
	       nreclaim);
	printf("# syncs: %ld, invalidates: %ld, resizes: %ld, mmaps: %ld\n", nsync,
	       ninval, nresize, nmmap);
	printf("# writes: %ld through mappings, %ld write()/pwrite(), %ld by GUP, %ld past the end\n",
	       nmapw, npw, ngup, ntail);
	printf("# verifications: %ld (every byte, through read() and every mapping)\n",
	       nverify);
	if (huge) {
		printf("# mappings found PMD-mapped by a verification: %ld\n", npmd);
		if (!npmd)
			die("huge mode never mapped a PMD-size folio");
	}
	printf("# lost bytes: 0\n");

	for (i = 0; i < NWORKERS; i++) {
		struct cmd c = { .op = C_EXIT };

		if (write(wk[i].to[1], &c, sizeof(c)) != sizeof(c))
			kill(wk[i].pid, SIGKILL);
		waitpid(wk[i].pid, NULL, 0);
	}
	for (i = 0; i < NMAPS; i++)
		if (maps[i].used && maps[i].w < 0)
			munmap((void *)maps[i].addr, maps[i].npages * ps);
	resize(0);
	resize(info.store_size);
	for (i = 0; i < NFDS; i++)
		close(fds[i]);
	vd_write_str(AGE_PARAM, age);
	if (huge_old[0])
		vd_write_str(HUGE_PARAM, huge_old);
	ksft_test_result_pass(huge ? "crash_consistency_huge\n" : "crash_consistency\n");
	ksft_finished();
}
