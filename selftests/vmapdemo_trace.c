// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_trace: the module's tracepoints (events/vmapdemo in tracefs).
 *
 * Every test works in a tracefs instance of its own (instances/NAME), so
 * it neither sees nor disturbs the top-level buffer and its settings:
 * setup creates the instance and enables the vmapdemo events in it,
 * teardown disables them and removes it. A test clears the buffer, does
 * something whose events it knows exactly, reads the instance's "trace"
 * file and checks each event and its fields.
 *
 * Stores: /dev/vmapdemo-store0, emptied and resized to STORE_PAGES pages,
 * with background writeback off (writeback_age_ms = 0, restored after),
 * as in vmapdemo_msync. The counters of /dev/vmapdemo are global, so the
 * tests assume nobody else faults on the module meanwhile (true in the
 * test VM).
 *
 * Without tracefs or without events/vmapdemo (a kernel without
 * CONFIG_EVENT_TRACING) every test is skipped.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <time.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "vmapdemo_test.h"

#define STORE0		"/dev/" VMAPDEMO_STORE_NAME_PREFIX "0"
#define AGE_PARAM	"/sys/module/vmapdemo/parameters/writeback_age_ms"
#define INSTANCE	"vmapdemo_selftest"
#define STORE_PAGES	16
#define TRACE_MAX	(1024 * 1024)

static long ps;

static const char * const tracefs_dirs[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

static const char * const events[] = {
	"vmapdemo_fault", "vmapdemo_mkwrite", "vmapdemo_writeback",
	"vmapdemo_crash",
};

FIXTURE(trace) {
	char top[64];		/* the tracefs mount */
	char inst[128];		/* our instance, "" until created */
	char age[32];		/* writeback_age_ms to restore, "" if untouched */
	char reccmd[8];		/* options/record-cmd to restore, "" if untouched */
	int fd;			/* store0, O_RDWR */
	char *buf;		/* the last read of the trace */
};

/* Write @val to the file @rel of our instance. */
static int inst_write(const char *inst, const char *rel, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", inst, rel);
	return vd_write_str(path, val);
}

/* Empty the instance's buffer (opening "trace" with O_TRUNC does it). */
static int trace_clear(const char *inst)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/trace", inst);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* Read the instance's "trace" file into buf (TRACE_MAX bytes). */
static int trace_read(const char *inst, char *buf)
{
	char path[256];
	size_t len = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/trace", inst);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + len, TRACE_MAX - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return n < 0 ? -1 : 0;
}

/*
 * Does the event line @line (its text after "NAME: ") hold every
 * "key=value" of @fields, each as a whole word?
 */
static int fields_match(const char *line, size_t len, const char *fields)
{
	char want[256], *tok, *save;

	snprintf(want, sizeof(want), "%s", fields);
	for (tok = strtok_r(want, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		size_t tl = strlen(tok);
		const char *p = line, *end = line + len;
		int found = 0;

		while (p + tl <= end) {
			const char *q = memmem(p, end - p, tok, tl);

			if (!q)
				break;
			if ((q == line || q[-1] == ' ') &&
			    (q + tl == end || q[tl] == ' ')) {
				found = 1;
				break;
			}
			p = q + 1;
		}
		if (!found)
			return 0;
	}
	return 1;
}

/*
 * The events named @event whose fields match @fields in buf: returns how
 * many, and the line number of the first at or after line @from in *@at
 * (-1 if none; @at may be NULL).
 */
static int trace_find(const char *buf, const char *event, const char *fields,
		      int from, int *at)
{
	char name[64];
	const char *line = buf;
	int n = 0, lineno = 0;

	snprintf(name, sizeof(name), " %s: ", event);
	if (at)
		*at = -1;
	while (*line) {
		const char *eol = strchrnul(line, '\n');
		const char *hit = NULL;

		if (*line != '#') {
			hit = memmem(line, eol - line, name, strlen(name));
			if (hit)
				hit += strlen(name);
		}
		if (hit && fields_match(hit, eol - hit, fields)) {
			n++;
			if (at && *at < 0 && lineno >= from)
				*at = lineno;
		}
		lineno++;
		line = *eol ? eol + 1 : eol;
	}
	return n;
}

/* The number of events @event in buf, whatever their fields. */
static int trace_count(const char *buf, const char *event)
{
	return trace_find(buf, event, "", 0, NULL);
}

/* The trace, as KTAP diagnostics: printed when an expectation fails. */
static void trace_dump(const char *buf)
{
	const char *line = buf;

	while (*line) {
		const char *eol = strchrnul(line, '\n');

		if (*line != '#')
			printf("# trace: %.*s\n", (int)(eol - line), line);
		line = *eol ? eol + 1 : eol;
	}
}

/* Exactly @n events @event with @fields in self->buf, else dump the trace. */
#define EXPECT_EVENTS(n, event, fields) do {				\
	const char *__ev = (event), *__fields = (fields);		\
	int __found = trace_find(self->buf, __ev, __fields, 0, NULL);	\
									\
	EXPECT_EQ(n, __found) {						\
		TH_LOG("%s %s", __ev, __fields);			\
		trace_dump(self->buf);					\
	}								\
} while (0)

#define READ_TRACE()	ASSERT_EQ(0, trace_read(self->inst, self->buf))
#define CLEAR_TRACE()	ASSERT_EQ(0, trace_clear(self->inst))

static int store_sync(int fd, unsigned int flags, unsigned long long off,
		      unsigned long long len, unsigned long long *written)
{
	struct vmapdemo_store_sync sy = {
		.size = sizeof(sy), .flags = flags, .offset = off, .length = len,
	};
	int ret = ioctl(fd, VMAPDEMO_STORE_IOC_SYNC, &sy);

	if (written)
		*written = sy.pages_written;
	return ret;
}

/* Write one byte at page @pg of the store with pwrite(): dirties it. */
static int store_dirty(int fd, int pg)
{
	return pwrite(fd, "d", 1, (off_t)pg * ps) == 1 ? 0 : -1;
}

FIXTURE_SETUP(trace)
{
	char path[256];
	unsigned int i;

	ps = sysconf(_SC_PAGESIZE);
	self->fd = -1;
	self->buf = NULL;
	for (i = 0; i < ARRAY_SIZE(tracefs_dirs); i++) {
		snprintf(path, sizeof(path), "%s/trace", tracefs_dirs[i]);
		if (!access(path, F_OK)) {
			snprintf(self->top, sizeof(self->top), "%s",
				 tracefs_dirs[i]);
			break;
		}
	}
	if (i == ARRAY_SIZE(tracefs_dirs))
		SKIP(return, "no tracefs at /sys/kernel/tracing: kernel without tracing?");
	if (access(STORE0, F_OK) || !vd_present())
		SKIP(return, STORE0 " missing: load vmapdemo.ko");
	snprintf(path, sizeof(path), "%s/events/vmapdemo", self->top);
	if (access(path, F_OK))
		SKIP(return, "no %s: kernel without CONFIG_EVENT_TRACING?", path);

	self->buf = malloc(TRACE_MAX);
	ASSERT_NE(NULL, self->buf);

	/*
	 * Enabling an event with record-cmd on also hooks sched_switch and
	 * sched_wakeup to record comms, which live-patches the scheduler's
	 * hottest code; under QEMU TCG that patching has been seen to oops
	 * (a stale int3 in ttwu_do_activate()). Our events need none of it:
	 * turn it off while we run (an instance inherits it at mkdir) and
	 * restore it after.
	 */
	snprintf(path, sizeof(path), "%s/options/record-cmd", self->top);
	if (vd_read_file(path, self->reccmd, sizeof(self->reccmd)) <= 0)
		self->reccmd[0] = '\0';
	else if (vd_write_str(path, "0"))
		ASSERT_EQ(0, errno) TH_LOG("cannot turn record-cmd off");

	/* A leftover of a run that was killed: remove it, start afresh. */
	snprintf(self->inst, sizeof(self->inst), "%s/instances/" INSTANCE,
		 self->top);
	rmdir(self->inst);
	if (mkdir(self->inst, 0755)) {
		self->inst[0] = '\0';
		ASSERT_EQ(0, errno) TH_LOG("mkdir instances/" INSTANCE);
	}
	ASSERT_EQ(0, inst_write(self->inst, "events/vmapdemo/enable", "1"));

	ASSERT_LT(0, vd_read_file(AGE_PARAM, self->age, sizeof(self->age)));
	/* Runs every store's worker once, so its events come before ours. */
	ASSERT_EQ(0, vd_write_str(AGE_PARAM, "0"));
	self->fd = open(STORE0, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	/* Shrinking to 0 empties the cache and the backing store. */
	ASSERT_EQ(0, vd_store_resize(self->fd, 0));
	ASSERT_EQ(0, vd_store_resize(self->fd, STORE_PAGES * ps));
	CLEAR_TRACE();
}

FIXTURE_TEARDOWN(trace)
{
	if (self->inst[0]) {
		inst_write(self->inst, "events/vmapdemo/enable", "0");
		/* EBUSY only while a file of it is open: none is. */
		EXPECT_EQ(0, rmdir(self->inst));
	}
	if (self->reccmd[0]) {
		char path[128];

		snprintf(path, sizeof(path), "%s/options/record-cmd", self->top);
		EXPECT_EQ(0, vd_write_str(path, self->reccmd));
	}
	if (self->fd >= 0)
		close(self->fd);
	if (self->age[0])
		vd_write_str(AGE_PARAM, self->age);
	free(self->buf);
}

/* The four events exist, with the fields the documentation lists. */
TEST_F(trace, formats)
{
	static const char * const fields[][6] = {
		{ "pgoff", "store", "result", "kind", "shared" },
		{ "pgoff", "store", "result" },
		{ "first", "last", "pages", "store", "err", "reason" },
		{ "crash_gen", "dropped", "store" },
	};
	char path[256], want[64], *fmt = self->buf;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(path, sizeof(path), "%s/events/vmapdemo/%s/format",
			 self->inst, events[i]);
		ASSERT_LT(0, vd_read_file(path, fmt, TRACE_MAX)) TH_LOG("%s", path);
		for (j = 0; j < ARRAY_SIZE(fields[i]) && fields[i][j]; j++) {
			snprintf(want, sizeof(want), " %s;", fields[i][j]);
			EXPECT_NE(NULL, strstr(fmt, want))
				TH_LOG("%s: no field %s", events[i], fields[i][j]);
		}
		/* The enum values reached user space (TRACE_DEFINE_ENUM). */
		EXPECT_EQ(NULL, strstr(fmt, "VD_TRACE_")) TH_LOG("%s", fmt);
		EXPECT_EQ(NULL, strstr(fmt, "VM_FAULT_")) TH_LOG("%s", fmt);
	}
}

/*
 * /dev/vmapdemo: a read and a cow fault of private mappings, a read and a
 * write fault of a shared one, a SIGBUS past the end of a shared object;
 * one event per fault, as many as the device counted. The write is the
 * first touch of its own mapping: a private fault may map the pages
 * around it, and a write there would be copied without a fault of ours.
 */
TEST_F(trace, zero_faults)
{
	struct vmapdemo_stats before, after;
	char *priv_r, *priv_w, *shr, *grown;
	int fd, n;

	fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	priv_r = mmap(NULL, 4 * ps, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, priv_r);
	priv_w = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, priv_w);
	shr = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, shr);
	ASSERT_EQ(0, vd_stats(&before));
	CLEAR_TRACE();

	EXPECT_EQ(0, priv_r[1 * ps]);
	priv_w[2 * ps] = 1;
	EXPECT_EQ(0, shr[0]);
	shr[3 * ps] = 1;
	/* Grown past its object: the new page gets SIGBUS. */
	grown = mremap(shr, 4 * ps, 5 * ps, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, grown);
	EXPECT_EQ(SIGBUS, vd_probe(grown + 4 * ps, 0, 0));

	ASSERT_EQ(0, vd_stats(&after));
	READ_TRACE();
	/*
	 * A private fault maps the zero page itself (NOPAGE), a write too
	 * (the core's write-protect fault then copies); a shared one returns
	 * the shmem folio locked (LOCKED), as filemap_fault() does.
	 */
	EXPECT_EVENTS(1, "vmapdemo_fault", "store=-1 pgoff=0x1 kind=read map=private result=NOPAGE");
	EXPECT_EVENTS(1, "vmapdemo_fault", "store=-1 pgoff=0x2 kind=cow map=private result=NOPAGE");
	EXPECT_EVENTS(1, "vmapdemo_fault", "store=-1 pgoff=0x0 kind=read map=shared result=LOCKED");
	EXPECT_EVENTS(1, "vmapdemo_fault", "store=-1 pgoff=0x3 kind=write map=shared result=LOCKED");
	EXPECT_EVENTS(1, "vmapdemo_fault",
		      "store=-1 pgoff=0x4 kind=read map=shared result=SIGBUS");
	n = trace_count(self->buf, "vmapdemo_fault");
	EXPECT_EQ(5, n) trace_dump(self->buf);
	EXPECT_EQ(n, (after.faults_read - before.faults_read) +
		     (after.faults_write - before.faults_write) +
		     (after.faults_cow - before.faults_cow) +
		     (after.faults_sigbus - before.faults_sigbus));
	EXPECT_EQ(0, trace_count(self->buf, "vmapdemo_mkwrite"));

	munmap(priv_r, 4 * ps);
	munmap(priv_w, 4 * ps);
	munmap(grown, 5 * ps);
	close(fd);
}

/*
 * A store: a read fault, then the first write to that page (->page_mkwrite
 * only), a write fault on an untouched page (->fault, then
 * ->page_mkwrite), a cow fault of a private mapping at an offset, SIGBUS
 * past the end.
 */
TEST_F(trace, store_faults_mkwrite)
{
	struct vmapdemo_store_info base, info;
	char *shr, *priv;
	int fault, mkwrite;

	shr = mmap(NULL, (STORE_PAGES + 1) * ps, PROT_READ | PROT_WRITE,
		   MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, shr);
	priv = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd,
		    4 * ps);
	ASSERT_NE(MAP_FAILED, priv);
	ASSERT_EQ(0, vd_store_info(self->fd, &base));
	CLEAR_TRACE();

	EXPECT_EQ(0, shr[2 * ps]);
	shr[2 * ps] = 'a';
	shr[5 * ps] = 'b';
	priv[0] = 'c';
	EXPECT_EQ(SIGBUS, vd_probe(shr + STORE_PAGES * ps, 0, 0));

	READ_TRACE();
	EXPECT_EVENTS(1, "vmapdemo_fault", "store=0 pgoff=0x2 kind=read map=shared result=LOCKED");
	EXPECT_EVENTS(1, "vmapdemo_mkwrite", "store=0 pgoff=0x2 result=LOCKED");
	EXPECT_EVENTS(1, "vmapdemo_fault", "store=0 pgoff=0x5 kind=write map=shared result=LOCKED");
	EXPECT_EVENTS(1, "vmapdemo_mkwrite", "store=0 pgoff=0x5 result=LOCKED");
	EXPECT_EVENTS(1, "vmapdemo_fault", "store=0 pgoff=0x4 kind=cow map=private result=LOCKED");
	EXPECT_EVENTS(1, "vmapdemo_fault", "store=0 pgoff=0x10 kind=read map=shared result=SIGBUS");
	EXPECT_EQ(4, trace_count(self->buf, "vmapdemo_fault")) trace_dump(self->buf);
	EXPECT_EQ(2, trace_count(self->buf, "vmapdemo_mkwrite")) trace_dump(self->buf);

	/* ->page_mkwrite of a write fault comes after its ->fault. */
	trace_find(self->buf, "vmapdemo_fault", "pgoff=0x5", 0, &fault);
	trace_find(self->buf, "vmapdemo_mkwrite", "pgoff=0x5", 0, &mkwrite);
	EXPECT_LE(0, fault);
	EXPECT_LT(fault, mkwrite);

	/* As many as the store counted. */
	ASSERT_EQ(0, vd_store_info(self->fd, &info));
	EXPECT_EQ(2, info.faults_mkwrite - base.faults_mkwrite);
	EXPECT_EQ(4, (info.faults_read - base.faults_read) +
		     (info.faults_write - base.faults_write) +
		     (info.faults_cow - base.faults_cow) +
		     (info.faults_sigbus - base.faults_sigbus));

	munmap(shr, (STORE_PAGES + 1) * ps);
	munmap(priv, ps);
}

/* The sync ioctl, fsync() and msync(MS_SYNC): who, what range, how many. */
TEST_F(trace, writeback_sync_fsync_msync)
{
	unsigned long long written;
	char want[128];
	char *p;
	int shift = __builtin_ctzl(ps);

	p = mmap(NULL, STORE_PAGES * ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[2 * ps] = 'a';
	p[5 * ps] = 'b';
	CLEAR_TRACE();

	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, &written));
	EXPECT_EQ(2, written);
	/* Nothing dirty: a sync still writes back, zero pages. */
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 4 * ps, 2 * ps,
				&written));
	ASSERT_EQ(0, store_dirty(self->fd, 7));
	ASSERT_EQ(0, fsync(self->fd));
	p[9 * ps] = 'c';
	ASSERT_EQ(0, msync(p + 8 * ps, 4 * ps, MS_SYNC));

	READ_TRACE();
	EXPECT_EVENTS(1, "vmapdemo_writeback",
		      "store=0 reason=sync first=0x0 last=0xf pages=2 err=0");
	EXPECT_EVENTS(1, "vmapdemo_writeback",
		      "store=0 reason=sync first=0x4 last=0x5 pages=0 err=0");
	/* fsync() covers every offset: 0 to LLONG_MAX. */
	snprintf(want, sizeof(want),
		 "store=0 reason=fsync first=0x0 last=%#llx pages=1 err=0",
		 (unsigned long long)LLONG_MAX >> shift);
	EXPECT_EVENTS(1, "vmapdemo_writeback", want);
	EXPECT_EVENTS(1, "vmapdemo_writeback",
		      "store=0 reason=fsync first=0x8 last=0xb pages=1 err=0");
	EXPECT_EQ(4, trace_count(self->buf, "vmapdemo_writeback")) trace_dump(self->buf);

	munmap(p, STORE_PAGES * ps);
}

/* INVALIDATE writes back, and the next fault reads the page back in. */
TEST_F(trace, writeback_invalidate_major)
{
	unsigned long long written;
	char *p;

	ASSERT_EQ(0, store_dirty(self->fd, 8));
	CLEAR_TRACE();
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_INVALIDATE, 8 * ps,
				ps, &written));
	EXPECT_EQ(1, written);
	p = mmap(NULL, ps, PROT_READ, MAP_SHARED, self->fd, 8 * ps);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ('d', p[0]);

	READ_TRACE();
	EXPECT_EVENTS(1, "vmapdemo_writeback",
		      "store=0 reason=invalidate first=0x8 last=0x8 pages=1 err=0");
	EXPECT_EVENTS(1, "vmapdemo_fault",
		      "store=0 pgoff=0x8 kind=read map=shared result=MAJOR|LOCKED");
	munmap(p, ps);
}

/* An ASYNC sync kicks the worker, which writes back in the background. */
TEST_F(trace, writeback_background)
{
	static const char want[] =
		"store=0 reason=background first=0x0 last=0xffffffffffffffff pages=2 err=0";
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	ASSERT_EQ(0, store_dirty(self->fd, 3));
	ASSERT_EQ(0, store_dirty(self->fd, 4));
	CLEAR_TRACE();
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_ASYNC, 0, 0, NULL));
	/* Up to 10 s: the worker runs when the (busy) VM gets to it. */
	for (i = 0; i < 500; i++) {
		READ_TRACE();
		if (trace_find(self->buf, "vmapdemo_writeback", want, 0, NULL))
			break;
		nanosleep(&ts, NULL);
	}
	EXPECT_EVENTS(1, "vmapdemo_writeback", want);
	EXPECT_EQ(1, trace_count(self->buf, "vmapdemo_writeback"))
		trace_dump(self->buf);
}

/* A crash: how many dirty pages it dropped, and the crash generation. */
TEST_F(trace, crash)
{
	struct vmapdemo_store_crash cr = { .size = sizeof(cr) };
	char want[128];
	char *p;

	p = mmap(NULL, STORE_PAGES * ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[1 * ps] = 'a';
	ASSERT_EQ(0, store_sync(self->fd, VMAPDEMO_STORE_SYNC_SYNC, 0, 0, NULL));
	ASSERT_EQ(0, store_dirty(self->fd, 10));
	ASSERT_EQ(0, store_dirty(self->fd, 11));
	p[12 * ps] = 'b';
	CLEAR_TRACE();

	ASSERT_EQ(0, ioctl(self->fd, VMAPDEMO_STORE_IOC_CRASH, &cr));
	EXPECT_EQ(3, cr.pages_dropped);
	/* The crash zapped the mapping: the synced page comes back in. */
	EXPECT_EQ('a', p[1 * ps]);

	READ_TRACE();
	snprintf(want, sizeof(want), "store=0 dropped=3 crash_gen=%llu",
		 (unsigned long long)cr.crash_gen);
	EXPECT_EVENTS(1, "vmapdemo_crash", want);
	EXPECT_EQ(1, trace_count(self->buf, "vmapdemo_crash"));
	EXPECT_EVENTS(1, "vmapdemo_fault",
		      "store=0 pgoff=0x1 kind=read map=shared result=MAJOR|LOCKED");
	munmap(p, STORE_PAGES * ps);
}

/* A filter on a field selects events; disabled events record nothing. */
TEST_F(trace, filter_and_disable)
{
	char *p;

	ASSERT_EQ(0, inst_write(self->inst,
				"events/vmapdemo/vmapdemo_fault/filter",
				"store == 0 && pgoff == 3"));
	p = mmap(NULL, STORE_PAGES * ps, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	CLEAR_TRACE();
	EXPECT_EQ(0, p[2 * ps] + p[3 * ps] + p[4 * ps]);
	READ_TRACE();
	EXPECT_EVENTS(1, "vmapdemo_fault", "store=0 pgoff=0x3 kind=read");
	EXPECT_EQ(1, trace_count(self->buf, "vmapdemo_fault")) trace_dump(self->buf);
	ASSERT_EQ(0, inst_write(self->inst,
				"events/vmapdemo/vmapdemo_fault/filter", "0"));

	ASSERT_EQ(0, inst_write(self->inst, "events/vmapdemo/enable", "0"));
	CLEAR_TRACE();
	EXPECT_EQ(0, p[5 * ps]);
	ASSERT_EQ(0, store_dirty(self->fd, 6));
	ASSERT_EQ(0, fsync(self->fd));
	READ_TRACE();
	EXPECT_EQ(NULL, strstr(self->buf, " vmapdemo_")) trace_dump(self->buf);
	munmap(p, STORE_PAGES * ps);
}

TEST_HARNESS_MAIN
