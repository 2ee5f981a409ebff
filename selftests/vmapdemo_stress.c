// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_stress: several processes, each with several threads, fault,
 * fork, mremap, mprotect, partially munmap and MADV_DONTNEED shared and
 * private mappings of /dev/vmapdemo at once, writing into every page a
 * pattern derived from (object id, page, generation) and verifying it
 * against a model of what /dev/zero semantics promise:
 *  - shared: data survives MADV_DONTNEED, mprotect, shrinking and
 *    re-growing the mapping by mremap, moving it, and is seen by a child
 *    after fork; what the child writes, the parent sees;
 *  - private: MADV_DONTNEED and shrink+regrow give zero pages back; what
 *    a child writes after fork stays in the child.
 * One shared object per process is common to all its threads: each thread
 * owns the pages index % nthreads == its number, while a racer thread keeps
 * MADV_DONTNEED-ing the whole object under them.
 *
 * Bounded in time (VD_STRESS_SECS, default 10) and in operations per
 * thread (VD_STRESS_OPS, default 100000). Prints "# stress operations: N".
 * Asserts: no pattern mismatch, no worker died, nothing leaked (stats).
 *
 * Store nodes: on the first store node, after the phase above, writers
 * (through a shared mapping and by pwrite), a reader (pread), a faulter
 * (reads through a mapping that reaches past the end), a resizer (shrinks
 * and regrows a zone past the writers' pages) and a syncer (SYNC of the
 * whole store or of a range, INVALIDATE, CRASH) run at once for the same
 * time bound, against a model in shared memory. The first word of each
 * page names its page and a generation (one aligned 8-byte store or an
 * 8-byte pwrite(), so that a crash cannot tear it: a crash between two
 * stores of one write legitimately leaves a mix of old and new); for
 * every page the model keeps the last generation written (pub) and the
 * one a completed sync made durable (floor). The oracle: a word read is never older than the floor at the
 * read's start (a crash must not lose synced data, a sync must not miss a
 * write completed before it started) nor newer than the last write, and
 * never names another page; a page regrown past the old end reads as
 * zeros; SIGBUS only where the page was past the end at some time during
 * the access; every ioctl returns 0, but for the one EIO a sync reports
 * after a crash. Asserts also that every kind of operation ran.
 *
 * VD_STORE_HUGE=1 (vmapdemo_stress_huge.sh) runs the store phase with the
 * module's store_huge on, 600 writers' pages and a zone up to 1024 pages,
 * so that the store is two 2 MiB folios when whole: the resizer then often
 * shrinks into the folio the writers' last pages share with the zone, and
 * the shrink replaces it with small folios while they write.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest.h"
#include "vmapdemo_test.h"

#define NPROC		3
#define NTHREADS	2
#define MAX_OBJS	3
#define MAX_PAGES	32
#define COMMON_PAGES	16

struct counters {
	uint64_t ops;
	uint64_t mismatches;
	uint64_t forks;
};

static struct counters *shared_counts;	/* one per process, MAP_SHARED */
static long page;
static time_t deadline;
static uint64_t max_ops;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
/* A fork child of a threaded process must not take locks (stdio's either). */
static __thread int in_child;

/* --- objects and their model ---------------------------------------- */

struct obj {
	char *addr;
	size_t pages;		/* of the mapping now */
	size_t obj_pages;	/* shared: the object's size, fixed at mmap */
	int shared;
	uint64_t id;
	uint32_t gen[MAX_PAGES];	/* 0: reads as zero */
	uint8_t mapped[MAX_PAGES];
	int split;		/* several VMAs: ours have ->close, never merge */
	int used;
};

static uint64_t pattern(uint64_t id, size_t pg, uint32_t gen)
{
	return gen ? (id << 40) ^ ((uint64_t)pg << 24) ^ gen ^ 0x5a5a000000000000ULL : 0;
}

struct rng { uint64_t s; };

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

static int mismatch(struct counters *c, const char *what, uint64_t id, size_t pg,
		    uint64_t want, uint64_t got)
{
	__atomic_add_fetch(&c->mismatches, 1, __ATOMIC_RELAXED);
	if (c->mismatches <= 5 && !in_child) {
		pthread_mutex_lock(&print_lock);
		printf("# mismatch (%s): object %#llx page %zu: want %#llx got %#llx\n",
		       what, (unsigned long long)id, pg, (unsigned long long)want,
		       (unsigned long long)got);
		fflush(stdout);
		pthread_mutex_unlock(&print_lock);
	}
	return 1;
}

/* Pages hold the pattern in their first and last word. */
static void write_page(char *p, uint64_t v)
{
	((volatile uint64_t *)p)[0] = v;
	((volatile uint64_t *)(p + page))[-1] = v;
}

static int check_page(struct counters *c, const char *what, struct obj *o,
		      size_t pg, uint32_t gen)
{
	char *p = o->addr + pg * page;
	uint64_t want = pattern(o->id, pg, gen);
	uint64_t a = ((volatile uint64_t *)p)[0];
	uint64_t b = ((volatile uint64_t *)(p + page))[-1];

	if (a != want)
		return mismatch(c, what, o->id, pg, want, a);
	if (b != want)
		return mismatch(c, what, o->id, pg, want, b);
	return 0;
}

static void verify(struct counters *c, const char *what, struct obj *o)
{
	size_t i;

	for (i = 0; i < o->pages; i++)
		if (o->mapped[i])
			check_page(c, what, o, i, o->gen[i]);
}

static void fill(struct obj *o, struct rng *r)
{
	size_t i;

	for (i = 0; i < o->pages; i++) {
		if (!o->mapped[i] || rnd(r) % 3 == 0)
			continue;
		o->gen[i]++;
		write_page(o->addr + i * page, pattern(o->id, i, o->gen[i]));
	}
}

static int obj_create(struct obj *o, int fd, uint64_t id, struct rng *r)
{
	size_t i;

	memset(o, 0, sizeof(*o));
	o->pages = 1 + rnd(r) % MAX_PAGES;
	o->shared = rnd(r) & 1;
	o->addr = mmap(NULL, o->pages * page, PROT_READ | PROT_WRITE,
		       o->shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
	if (o->addr == MAP_FAILED)
		return -1;
	o->obj_pages = o->pages;
	o->id = id;
	for (i = 0; i < o->pages; i++)
		o->mapped[i] = 1;
	o->used = 1;
	return 0;
}

static void obj_destroy(struct obj *o)
{
	munmap(o->addr, o->pages * page);
	o->used = 0;
}

/* --- a worker's crash report ---------------------------------------------- */

/* What each thread is doing, for the report if it gets a signal. */
static __thread const char *cur_op = "start";
static __thread struct obj *cur_obj;

/* The thread's last operations: (op, object id, address, pages) after each. */
#define TRAIL 16
struct trail { const char *op; uint64_t id; char *addr; size_t pages; int shared; };
static __thread struct trail trail[TRAIL];
static __thread unsigned int trail_n;

static void trail_add(const char *op, struct obj *o)
{
	trail[trail_n++ % TRAIL] = (struct trail){ op, o->id, o->addr, o->pages, o->shared };
}

static void crash_handler(int sig, siginfo_t *si, void *uc)
{
	char buf[512];
	struct obj *o = cur_obj;
	unsigned int i;
	int n, fd;

	for (i = trail_n > TRAIL ? trail_n - TRAIL : 0; i < trail_n; i++) {
		struct trail *t = &trail[i % TRAIL];

		n = snprintf(buf, sizeof(buf), "# trail: %s: object %#llx now at %p, %zu pages, %s\n",
			     t->op, (unsigned long long)t->id, (void *)t->addr, t->pages,
			     t->shared ? "shared" : "private");
		if (write(1, buf, n) < 0)
			break;
	}

	n = snprintf(buf, sizeof(buf),
		     "# worker crashed: signal %d at %p during %s, object %#llx at %p, %zu pages (%zu at mmap), %s\n",
		     sig, si->si_addr, cur_op, o ? (unsigned long long)o->id : 0ULL,
		     o ? (void *)o->addr : NULL, o ? o->pages : 0, o ? o->obj_pages : 0,
		     o ? (o->shared ? "shared" : "private") : "-");
	if (write(1, buf, n) < 0)
		_exit(4);
	/* The mappings of the device, to compare with the object above. */
	fd = open("/proc/self/maps", O_RDONLY);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (write(2, buf, n) < 0)
			break;
	_exit(4);
}

/* --- operations -------------------------------------------------------- */

static void op_dontneed(struct counters *c, struct obj *o, struct rng *r)
{
	size_t first = rnd(r) % o->pages, n = 1 + rnd(r) % (o->pages - first), i;

	madvise(o->addr + first * page, n * page, MADV_DONTNEED);
	if (!o->shared)
		for (i = first; i < first + n; i++)
			o->gen[i] = 0;
	verify(c, "after MADV_DONTNEED", o);
}

/* Page by page: a punched hole would stop a whole-range mprotect() half-way. */
static void protect(struct obj *o, int prot)
{
	size_t i;

	for (i = 0; i < o->pages; i++)
		if (o->mapped[i])
			mprotect(o->addr + i * page, page, prot);
}

static void op_mprotect(struct counters *c, struct obj *o)
{
	o->split = 1;
	protect(o, PROT_READ);
	verify(c, "read-only", o);
	protect(o, PROT_READ | PROT_WRITE);
}

/* Shrink then grow back: shared keeps its pages, private gets zeros. */
static void op_mremap_shrink_grow(struct counters *c, struct obj *o, struct rng *r)
{
	size_t keep = 1 + rnd(r) % o->pages, full = o->pages, i;
	char *p;

	if (keep == full)
		return;
	p = mremap(o->addr, full * page, keep * page, 0);
	if (p == MAP_FAILED)
		return;
	o->pages = keep;
	if (!o->shared)
		for (i = keep; i < full; i++)
			o->gen[i] = 0;
	verify(c, "after mremap shrink", o);
	p = mremap(o->addr, keep * page, full * page, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		return;		/* stays shrunk */
	o->addr = p;
	o->pages = full;
	verify(c, "after mremap grow", o);
}

/*
 * Move the whole mapping onto a reservation of ours. Only a mapping that
 * is one VMA: mremap(MREMAP_FIXED) unmaps the destination before it finds
 * that the source spans several, and another thread may map something
 * there before we could take the reservation down again. For the same
 * reason a failed move leaves the reservation alone.
 */
static void op_mremap_move(struct counters *c, struct obj *o)
{
	size_t len = o->pages * page;
	char *dst, *p;

	if (o->split)
		return;
	dst = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED)
		return;
	p = mremap(o->addr, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (p == MAP_FAILED)
		return;
	o->addr = p;
	verify(c, "after mremap move", o);
}

/*
 * Unmap the tail pages: the VMA splits, the rest stays intact. Not a hole
 * in the middle: another thread's mmap() could land in it, and a later
 * munmap() or mremap() of this object would then take that down too.
 * (mprotect() page by page splits VMAs in the middle.)
 */
static void op_trim(struct counters *c, struct obj *o, struct rng *r)
{
	size_t n = rnd(r) % o->pages;

	if (!n || munmap(o->addr + (o->pages - n) * page, n * page))
		return;
	o->pages -= n;
	verify(c, "after partial munmap", o);
}

/* fork: the child checks and writes; the parent checks what it sees. */
static void op_fork(struct counters *c, struct obj *o)
{
	uint32_t child_gen[MAX_PAGES];
	pid_t pid;
	size_t i;
	int st;

	for (i = 0; i < o->pages; i++)
		child_gen[i] = o->gen[i] + 1000;
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		struct counters cc = { 0 };

		in_child = 1;
		verify(&cc, "in the child after fork", o);
		for (i = 0; i < o->pages; i++)
			if (o->mapped[i])
				write_page(o->addr + i * page,
					   pattern(o->id, i, child_gen[i]));
		_exit(cc.mismatches ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		mismatch(c, "fork child", o->id, 0, 0, (uint64_t)st);
	__atomic_add_fetch(&c->forks, 1, __ATOMIC_RELAXED);
	if (o->shared)
		for (i = 0; i < o->pages; i++)
			if (o->mapped[i])
				o->gen[i] = child_gen[i];
	verify(c, o->shared ? "child's writes, shared" : "private after child wrote", o);
}

/* --- the common object of a process ------------------------------------ */

struct proc {
	int fd;
	int index;
	char *common;
	volatile int stop;
	struct counters *c;
};

struct thread_arg {
	struct proc *p;
	int t;
};

static void common_round(struct proc *p, int t, uint32_t gen)
{
	size_t i;

	for (i = t; i < COMMON_PAGES; i += NTHREADS)
		write_page(p->common + i * page, pattern(0xc0 + p->index, i, gen));
	for (i = t; i < COMMON_PAGES; i += NTHREADS) {
		uint64_t want = pattern(0xc0 + p->index, i, gen);
		uint64_t got = *(volatile uint64_t *)(p->common + i * page);

		if (got != want)
			mismatch(p->c, "common object", 0xc0 + p->index, i, want, got);
	}
}

static void *racer(void *arg)
{
	struct proc *p = arg;

	while (!p->stop) {
		madvise(p->common, COMMON_PAGES * page, MADV_DONTNEED);
		__atomic_add_fetch(&p->c->ops, 1, __ATOMIC_RELAXED);
		sched_yield();
	}
	return NULL;
}

static void *worker(void *arg)
{
	struct thread_arg *ta = arg;
	struct proc *p = ta->p;
	struct counters *c = p->c;
	struct rng r = { 0x9e3779b97f4a7c15ULL * (p->index * 16 + ta->t + 1) };
	struct obj objs[MAX_OBJS];
	uint64_t ops = 0, next_id = ((uint64_t)p->index << 16) | ((uint64_t)ta->t << 12);
	uint32_t common_gen = 0;
	int i;

	memset(objs, 0, sizeof(objs));
	while (time(NULL) < deadline && ops < max_ops) {
		struct obj *o = &objs[rnd(&r) % MAX_OBJS];
		static const char *const names[] = { "write", "MADV_DONTNEED",
			"mprotect", "mremap shrink+grow", "mremap move",
			"partial munmap", "fork", "common object", "verify",
			"munmap" };
		unsigned int which = rnd(&r) % 10;

		ops++;
		cur_obj = o;
		cur_op = o->used ? names[which] : "mmap";
		if (!o->used) {
			if (obj_create(o, p->fd, ++next_id, &r) == 0) {
				trail_add("mmap", o);
				fill(o, &r);
			}
			continue;
		}
		switch (which) {
		case 0: fill(o, &r); verify(c, "after write", o); break;
		case 1: op_dontneed(c, o, &r); break;
		case 2: op_mprotect(c, o); break;
		case 3: op_mremap_shrink_grow(c, o, &r); break;
		case 4: op_mremap_move(c, o); break;
		case 5: op_trim(c, o, &r); break;
		case 6: if (rnd(&r) % 4 == 0) op_fork(c, o); break;
		case 7: common_round(p, ta->t, ++common_gen); break;
		case 8: verify(c, "check", o); break;
		default:
			verify(c, "before munmap", o);
			obj_destroy(o);
			break;
		}
		trail_add(names[which], o);
	}
	for (i = 0; i < MAX_OBJS; i++)
		if (objs[i].used)
			obj_destroy(&objs[i]);
	__atomic_add_fetch(&c->ops, ops, __ATOMIC_RELAXED);
	return NULL;
}

static void process(int index)
{
	struct proc p = { .index = index, .c = &shared_counts[index] };
	struct thread_arg ta[NTHREADS];
	pthread_t th[NTHREADS], rt;
	int i;

	struct sigaction sa = { .sa_sigaction = crash_handler, .sa_flags = SA_SIGINFO };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	p.fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
	if (p.fd < 0)
		_exit(2);
	p.common = mmap(NULL, COMMON_PAGES * page, PROT_READ | PROT_WRITE,
			MAP_SHARED, p.fd, 0);
	if (p.common == MAP_FAILED)
		_exit(3);
	pthread_create(&rt, NULL, racer, &p);
	for (i = 0; i < NTHREADS; i++) {
		ta[i] = (struct thread_arg){ &p, i };
		pthread_create(&th[i], NULL, worker, &ta[i]);
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	p.stop = 1;
	pthread_join(rt, NULL);
	munmap(p.common, COMMON_PAGES * page);
	close(p.fd);
	_exit(0);
}

/* --- store nodes (see the head comment) ------------------------------ */

#define ST_MAX_PAGES	600	/* the most writers' pages (huge mode) */
/* The writers' pages (never past the end) and the resizer's zone past them. */
static size_t st_pages = 32, st_zone = 8;
static int st_huge;		/* VD_STORE_HUGE=1: store_huge on, 2 MiB folios */
static char st_huge_old[8];
#define ST_HUGE_PARAM	"/sys/module/vmapdemo/parameters/store_huge"
#define ST_WRITERS	2
#define ST_MAGIC	0xa5ULL
#define ST_ZMAGIC	0x5aULL

struct st_model {
	uint32_t pub[ST_MAX_PAGES];	/* last generation written */
	uint32_t floor[ST_MAX_PAGES];	/* made durable by a completed sync */
	/*
	 * The generation written when the last crash returned: a crash may
	 * have dropped any generation up to it, so a later sync makes a
	 * generation durable only if it is above it (written since).
	 */
	uint32_t lost[ST_MAX_PAGES];
	/* Writers hold it shared over write + publish, CRASH exclusively. */
	pthread_rwlock_t crash_lock;
	uint64_t cur_pages;		/* never above the store's size */
	uint64_t shrinks;		/* bumped before each shrink */
	uint32_t zgen;			/* the resizer's generation */
	/* results */
	uint64_t ops, mismatches, bad_sigbus, good_sigbus, bad_errno;
	uint64_t syncs, range_syncs, invalidates, crashes, eio, resizes;
	uint64_t mapped_writes, pwrites, preads, faults;
};

static struct st_model *stm;
static const char *st_path;
/*
 * VD_STORE_NO: operations left out ("crash invalidate resize pwrite
 * mapwrite"). VD_STORE_CRASH=0 leaves CRASH out.
 *
 * A crash does not overlap a write in flight (crash_lock): a write the
 * crash may or may not have caught would leave the oracle unable to say
 * which generation is durable. Faults, reads, resizes and syncs still
 * run against it.
 */
static const char *st_no = "";

static int st_off(const char *what)
{
	return strstr(st_no, what) != NULL;
}

static uint64_t st_word(uint64_t magic, size_t pg, uint32_t gen)
{
	return gen ? magic << 56 | (uint64_t)pg << 32 | gen : 0;
}

static uint32_t ld32(uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void st_bad(uint64_t *counter, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED) > 5)
		return;
	va_start(ap, fmt);
	printf("# store: ");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	va_end(ap);
}

/* A word of a writers' page: 0 only if nothing was durable, else in range. */
static void st_check(const char *how, size_t pg, uint64_t w, uint32_t lo, uint32_t hi)
{
	if (w == 0 ? lo == 0 : (w >> 56 == ST_MAGIC && (w >> 32 & 0xffffff) == pg &&
				(uint32_t)w >= lo && (uint32_t)w <= hi))
		return;
	st_bad(&stm->mismatches, "%s page %zu: word %#llx, want generation %u..%u",
	       how, pg, (unsigned long long)w, lo, hi);
}

/* A word of the zone: zeros or something the resizer wrote there. */
static void st_check_zone(const char *how, size_t pg, uint64_t w)
{
	if (w == 0 || (w >> 56 == ST_ZMAGIC && (w >> 32 & 0xffffff) == pg &&
		       (uint32_t)w <= ld32(&stm->zgen)))
		return;
	st_bad(&stm->mismatches, "%s zone page %zu: word %#llx", how, pg,
	       (unsigned long long)w);
}

static int st_open(int flags)
{
	int fd = open(st_path, flags | O_CLOEXEC);

	if (fd < 0)
		_exit(10);
	return fd;
}

static char *st_map(int fd, size_t pages, int prot)
{
	char *p = mmap(NULL, pages * page, prot, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		_exit(11);
	return p;
}

static int st_more(struct rng *r, uint64_t *ops)
{
	(void)r;
	return time(NULL) < deadline && (*ops)++ < max_ops;
}

static void st_writer(int w)
{
	int fd = st_open(O_RDWR);
	char *m = st_map(fd, st_pages, PROT_READ | PROT_WRITE);
	struct rng r = { 0x1234567ULL * (w + 1) };
	uint64_t ops = 0;

	while (st_more(&r, &ops)) {
		size_t pg = (rnd(&r) % (st_pages / ST_WRITERS)) * ST_WRITERS + w;
		uint32_t lo = ld32(&stm->floor[pg]), mine = stm->pub[pg];
		volatile uint64_t *word = (uint64_t *)(m + pg * page);
		uint64_t v = st_word(ST_MAGIC, pg, mine + 1);
		pthread_rwlock_rdlock(&stm->crash_lock);
		lo = ld32(&stm->floor[pg]);
		st_check("writer (mapping)", pg, *word, lo, mine);
		if (st_off("pwrite") || (!st_off("mapwrite") && (rnd(&r) & 1))) {
			*word = v;
			__atomic_add_fetch(&stm->mapped_writes, 1, __ATOMIC_RELAXED);
		} else {
			if (pwrite(fd, &v, 8, pg * page) != 8)
				st_bad(&stm->bad_errno, "pwrite page %zu: %s", pg, strerror(errno));
			__atomic_add_fetch(&stm->pwrites, 1, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&stm->pub[pg], mine + 1, __ATOMIC_RELEASE);
		pthread_rwlock_unlock(&stm->crash_lock);
	}
	__atomic_add_fetch(&stm->ops, ops, __ATOMIC_RELAXED);
	_exit(0);
}

static void st_reader(void)
{
	int fd = st_open(O_RDONLY);
	struct rng r = { 0xabcdefULL };
	uint64_t ops = 0, a;

	while (st_more(&r, &ops)) {
		size_t pg = rnd(&r) % st_pages;
		uint32_t lo = ld32(&stm->floor[pg]), hi;

		if (pread(fd, &a, 8, pg * page) != 8) {
			st_bad(&stm->bad_errno, "pread page %zu: %s", pg, strerror(errno));
			continue;
		}
		hi = ld32(&stm->pub[pg]) + 1;	/* a write may be under way */
		st_check("reader (pread)", pg, a, lo, hi);
		__atomic_add_fetch(&stm->preads, 1, __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&stm->ops, ops, __ATOMIC_RELAXED);
	_exit(0);
}

/* Read *@w into *@v; 0, or the signal (SIGBUS) the read got instead. */
static int st_probe_read(volatile uint64_t *w, uint64_t *v)
{
	struct sigaction sa = { .sa_handler = vd_probe_handler }, obus, osegv;
	int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	sig = sigsetjmp(vd_probe_env, 1);
	if (!sig)
		*v = *w;
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return sig;
}

/* Reads through a mapping of the writers' pages and of the whole zone. */
static void st_faulter(void)
{
	int fd = st_open(O_RDONLY);
	char *m = st_map(fd, st_pages + st_zone, PROT_READ);
	struct rng r = { 0x777ULL };
	uint64_t ops = 0;

	while (st_more(&r, &ops)) {
		size_t pg = rnd(&r) % (st_pages + st_zone);
		volatile uint64_t *w = (uint64_t *)(m + pg * page);
		/* shrinks first: the resizer sets cur_pages before bumping it. */
		uint64_t s0 = __atomic_load_n(&stm->shrinks, __ATOMIC_ACQUIRE), v = 0;
		uint64_t c0 = __atomic_load_n(&stm->cur_pages, __ATOMIC_ACQUIRE);
		uint32_t lo = pg < st_pages ? ld32(&stm->floor[pg]) : 0;
		int sig = st_probe_read(w, &v);

		__atomic_add_fetch(&stm->faults, 1, __ATOMIC_RELAXED);
		if (sig == SIGBUS) {
			/* Allowed if the page was past the end at some time. */
			if (pg < c0 && s0 == __atomic_load_n(&stm->shrinks, __ATOMIC_ACQUIRE))
				st_bad(&stm->bad_sigbus, "SIGBUS on page %zu, store size %llu pages and no shrink since",
				       pg, (unsigned long long)c0);
			else
				__atomic_add_fetch(&stm->good_sigbus, 1, __ATOMIC_RELAXED);
		} else if (sig) {
			st_bad(&stm->bad_sigbus, "signal %d on page %zu", sig, pg);
		} else if (pg < st_pages) {
			st_check("faulter (mapping)", pg, v, lo, ld32(&stm->pub[pg]) + 1);
		} else {
			st_check_zone("faulter (mapping)", pg, v);
		}
	}
	__atomic_add_fetch(&stm->ops, ops, __ATOMIC_RELAXED);
	_exit(0);
}

static int st_set_size(int fd, uint64_t bytes)
{
	struct vmapdemo_store_resize rs = { .size = sizeof(rs), .new_size = bytes };

	return ioctl(fd, VMAPDEMO_STORE_IOC_SET_SIZE, &rs) ? -errno : 0;
}

static void st_resizer(void)
{
	int fd = st_open(O_RDWR);
	struct rng r = { 0x4242ULL };
	uint64_t ops = 0, cur = st_pages + st_zone, a, b;
	size_t pg;

	while (!st_off("resize") && st_more(&r, &ops)) {
		uint64_t k = st_pages + rnd(&r) % (st_zone + 1);

		/*
		 * Huge mode: often the whole 4 MiB, where the folio that the
		 * zone shares with the writers' last pages can be 2 MiB, so
		 * that the next shrink replaces it under the writers.
		 */
		if (st_huge && (rnd(&r) & 1))
			k = st_pages + st_zone;
		uint32_t zg;
		int ret;

		if (k < cur) {
			__atomic_store_n(&stm->cur_pages, k, __ATOMIC_RELEASE);
			__atomic_add_fetch(&stm->shrinks, 1, __ATOMIC_RELEASE);
			ret = st_set_size(fd, k * page);
		} else {
			ret = st_set_size(fd, k * page);
			/* Regrown pages read as zeros: nothing wrote them yet. */
			for (pg = cur; !ret && pg < k; pg++) {
				if (pread(fd, &a, 8, pg * page) != 8 ||
				    pread(fd, &b, 8, (pg + 1) * page - 8) != 8)
					st_bad(&stm->bad_errno, "pread zone page %zu: %s", pg,
					       strerror(errno));
				else if (a || b)
					st_bad(&stm->mismatches, "zone page %zu regrown reads %#llx/%#llx, not zeros",
					       pg, (unsigned long long)a, (unsigned long long)b);
			}
			__atomic_store_n(&stm->cur_pages, k, __ATOMIC_RELEASE);
		}
		if (ret) {
			st_bad(&stm->bad_errno, "SET_SIZE %llu pages: %s",
			       (unsigned long long)k, strerror(-ret));
			continue;
		}
		cur = k;
		__atomic_add_fetch(&stm->resizes, 1, __ATOMIC_RELAXED);
		/* Fill the zone that exists now, then read it back. */
		zg = __atomic_add_fetch(&stm->zgen, 1, __ATOMIC_RELEASE);
		for (pg = st_pages; pg < cur; pg++) {
			uint64_t v = st_word(ST_ZMAGIC, pg, zg);

			if (pwrite(fd, &v, 8, pg * page) != 8)
				st_bad(&stm->bad_errno, "pwrite zone page %zu: %s", pg,
				       strerror(errno));
			if (pread(fd, &a, 8, pg * page) == 8)
				st_check_zone("resizer (pread)", pg, a);
		}
	}
	__atomic_add_fetch(&stm->ops, ops, __ATOMIC_RELAXED);
	_exit(0);
}

/* Sync, invalidate, range sync, crash, sync (the EIO): see st_syncer(). */
static const unsigned char st_first_kinds[] = { 2, 1, 5, 0, 2 };

/* st_more() for the syncer, which runs its first kinds past the deadline. */
static int st_syncer_more(struct rng *r, uint64_t *ops)
{
	if (*ops < sizeof(st_first_kinds)) {
		(*ops)++;
		return 1;
	}
	return st_more(r, ops);
}

static void st_syncer(void)
{
	int fd = st_open(O_RDWR);
	struct rng r = { 0x5151ULL };
	uint32_t snap[ST_MAX_PAGES];
	uint64_t ops = 0;
	int crashed = 0;

	while (st_syncer_more(&r, &ops)) {
		unsigned int what = rnd(&r) % 8;
		size_t first = 0, n = st_pages, i;

		/*
		 * The first operations are one of each kind, so that each runs
		 * however few operations the deadline leaves on a loaded
		 * machine (the sequence is fixed: 43 random ones once held no
		 * INVALIDATE), and they run even past the deadline (on the
		 * debug kernel beside a CPU hog only four fitted in 10 s, and
		 * the sync that reports the crash, EIO, was the fifth). The
		 * sync after the crash reports it (EIO).
		 */
		if (ops <= sizeof(st_first_kinds))
			what = st_first_kinds[ops - 1];

		if ((what == 0 && st_off("crash")) || (what == 1 && st_off("invalidate")))
			what = 2;

		if (what == 0) {
			struct vmapdemo_store_crash c = { .size = sizeof(c) };

			pthread_rwlock_wrlock(&stm->crash_lock);
			if (ioctl(fd, VMAPDEMO_STORE_IOC_CRASH, &c))
				st_bad(&stm->bad_errno, "CRASH: %s", strerror(errno));
			for (i = 0; i < st_pages; i++)
				__atomic_store_n(&stm->lost[i], ld32(&stm->pub[i]),
						 __ATOMIC_RELEASE);
			pthread_rwlock_unlock(&stm->crash_lock);
			crashed = 1;
			__atomic_add_fetch(&stm->crashes, 1, __ATOMIC_RELAXED);
		} else {
			struct vmapdemo_store_sync sy = { .size = sizeof(sy) };

			sy.flags = what == 1 ? VMAPDEMO_STORE_SYNC_INVALIDATE : VMAPDEMO_STORE_SYNC_SYNC;
			if (what >= 5) {	/* a range of the writers' pages */
				first = rnd(&r) % st_pages;
				n = 1 + rnd(&r) % (st_pages - first);
				sy.offset = first * page;
				sy.length = n * page;
			}
			for (i = 0; i < st_pages; i++)
				snap[i] = ld32(&stm->pub[i]);
			if (ioctl(fd, VMAPDEMO_STORE_IOC_SYNC, &sy)) {
				if (errno == EIO && crashed) {
					crashed = 0;
					__atomic_add_fetch(&stm->eio, 1, __ATOMIC_RELAXED);
				} else {
					st_bad(&stm->bad_errno, "SYNC flags %#x: %s%s", sy.flags,
					       strerror(errno), crashed ? "" : " (no crash to report)");
				}
				continue;
			}
			if (crashed)
				st_bad(&stm->bad_errno, "SYNC flags %#x after a CRASH on this file: 0, not EIO",
				       sy.flags);
			crashed = 0;
			/*
			 * Every write completed before the sync is durable now,
			 * if it was made since the last crash (only this thread
			 * crashes, so none came between).
			 */
			for (i = first; i < first + n; i++)
				if (snap[i] > stm->floor[i] && snap[i] > ld32(&stm->lost[i]))
					__atomic_store_n(&stm->floor[i], snap[i], __ATOMIC_RELEASE);
			__atomic_add_fetch(what == 1 ? &stm->invalidates :
					   what >= 5 ? &stm->range_syncs : &stm->syncs,
					   1, __ATOMIC_RELAXED);
		}
		usleep(2000);
	}
	__atomic_add_fetch(&stm->ops, ops, __ATOMIC_RELAXED);
	_exit(0);
}

/* Runs the store phase on @path; prints its four results. */
static void stress_store(const char *path, int secs)
{
	struct vmapdemo_store_info info = { .size = sizeof(info) };
	pid_t pids[ST_WRITERS + 4];
	int fd, i, n = 0, bad = 0;

	st_path = path;
	if (getenv("VD_STORE_CRASH") && !atoi(getenv("VD_STORE_CRASH")))
		st_no = "crash";
	if (getenv("VD_STORE_NO"))
		st_no = getenv("VD_STORE_NO");
	if (st_off("crash"))
		ksft_print_msg("store: CRASH left out (VD_STORE_NO or VD_STORE_CRASH=0)\n");
	if (getenv("VD_STORE_HUGE") && atoi(getenv("VD_STORE_HUGE"))) {
		/* 600 pages and a zone to 1024: two 2 MiB folios. */
		if (vd_read_file(ST_HUGE_PARAM, st_huge_old, sizeof(st_huge_old)) <= 0 ||
		    vd_write_str(ST_HUGE_PARAM, "1")) {
			ksft_print_msg("store: cannot set %s for VD_STORE_HUGE\n", ST_HUGE_PARAM);
			for (i = 0; i < 4; i++)
				ksft_test_result_fail("store: setup\n");
			return;
		}
		st_huge_old[strcspn(st_huge_old, "\n")] = 0;
		st_huge = 1;
		st_pages = ST_MAX_PAGES;
		st_zone = 1024 - ST_MAX_PAGES;
		ksft_print_msg("store: huge mode, %zu pages and a zone of %zu, store_huge=1\n",
			       st_pages, st_zone);
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	stm = mmap(NULL, sizeof(*stm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || stm == MAP_FAILED || ioctl(fd, VMAPDEMO_STORE_IOC_GET_INFO, &info) ||
	    st_set_size(fd, 0) || st_set_size(fd, (st_pages + st_zone) * page)) {
		ksft_print_msg("store setup on %s: %s\n", path, strerror(errno));
		for (i = 0; i < 4; i++)
			ksft_test_result_fail("store: setup\n");
		return;
	}
	memset(stm, 0, sizeof(*stm));
	{
		pthread_rwlockattr_t ra;

		pthread_rwlockattr_init(&ra);
		pthread_rwlockattr_setpshared(&ra, PTHREAD_PROCESS_SHARED);
		/*
		 * The crash (the one writer of the lock) must not wait behind
		 * a stream of writers' read locks, glibc's default. The
		 * writers take it once per operation, never recursively.
		 */
		pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		pthread_rwlock_init(&stm->crash_lock, &ra);
	}
	stm->cur_pages = st_pages + st_zone;
	ksft_print_msg("store %s: %d writers, a reader, a faulter, a resizer, a syncer, %d s\n",
		       path, ST_WRITERS, secs);
	deadline = time(NULL) + secs;
	fflush(stdout);
	for (i = 0; i < ST_WRITERS + 4; i++) {
		pids[n] = fork();
		if (pids[n] < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
		if (pids[n] == 0) {
			if (i < ST_WRITERS)
				st_writer(i);
			else if (i == ST_WRITERS)
				st_reader();
			else if (i == ST_WRITERS + 1)
				st_faulter();
			else if (i == ST_WRITERS + 2)
				st_resizer();
			else
				st_syncer();
		}
		n++;
	}
	for (i = 0; i < n; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) || WEXITSTATUS(st)) {
			ksft_print_msg("store worker %d: %s %d\n", i,
				       WIFSIGNALED(st) ? "killed by signal" : "exit status",
				       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			bad++;
		}
	}
	/* Leave the store empty, at its size from before. */
	if (st_set_size(fd, 0) || st_set_size(fd, info.store_size))
		bad++;
	if (st_huge)
		vd_write_str(ST_HUGE_PARAM, st_huge_old);
	close(fd);
	ksft_print_msg("store: %llu mapped writes, %llu pwrites, %llu preads, %llu faults (%llu SIGBUS past the end), %llu syncs, %llu range syncs, %llu invalidates, %llu crashes, %llu EIO, %llu resizes\n",
		       (unsigned long long)stm->mapped_writes, (unsigned long long)stm->pwrites,
		       (unsigned long long)stm->preads, (unsigned long long)stm->faults,
		       (unsigned long long)stm->good_sigbus, (unsigned long long)stm->syncs,
		       (unsigned long long)stm->range_syncs, (unsigned long long)stm->invalidates,
		       (unsigned long long)stm->crashes, (unsigned long long)stm->eio,
		       (unsigned long long)stm->resizes);
	ksft_test_result(stm->mismatches == 0, "store: every word read matches the model (%llu mismatches)\n",
			 (unsigned long long)stm->mismatches);
	ksft_test_result(stm->bad_sigbus == 0, "store: SIGBUS only past the end (%llu others)\n",
			 (unsigned long long)stm->bad_sigbus);
	ksft_test_result(bad == 0 && stm->bad_errno == 0,
			 "store: every worker exited normally, every call returned as documented (%llu errors)\n",
			 (unsigned long long)stm->bad_errno);
	ksft_test_result(stm->mapped_writes && stm->pwrites && stm->preads && stm->faults &&
			 stm->syncs && stm->range_syncs && stm->invalidates &&
			 ((stm->crashes && stm->eio) || st_off("crash")) && stm->resizes,
			 "store: every kind of operation ran\n");
	shared_counts[0].ops += stm->ops;
}

int main(void)
{
	struct vmapdemo_stats before, after;
	char store[8][VD_PATH_MAX];
	uint64_t ops = 0, mism = 0, forks = 0;
	int secs = 10, bad = 0, i;
	pid_t pids[NPROC];
	const char *s;

	ksft_print_header();
	page = sysconf(_SC_PAGESIZE);
	if ((s = getenv("VD_STRESS_SECS")))
		secs = atoi(s);
	max_ops = 100000;
	if ((s = getenv("VD_STRESS_OPS")))
		max_ops = strtoull(s, NULL, 0);
	if (!vd_present())
		ksft_exit_skip(VMAPDEMO_PATH " missing: load vmapdemo.ko\n");
	ksft_set_plan(7);
	ksft_print_msg("%d processes x %d threads (+1 racer each), %d s, at most %llu ops per thread\n",
		       NPROC, NTHREADS, secs, (unsigned long long)max_ops);
	if (vd_stats(&before))
		ksft_exit_fail_msg("GET_STATS: %s\n", strerror(errno));
	shared_counts = mmap(NULL, NPROC * sizeof(*shared_counts), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared_counts == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	memset(shared_counts, 0, NPROC * sizeof(*shared_counts));
	deadline = time(NULL) + secs;
	fflush(stdout);
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			process(i);
		if (pids[i] < 0)
			ksft_exit_fail_msg("fork: %s\n", strerror(errno));
	}
	for (i = 0; i < NPROC; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			ksft_print_msg("process %d: %s %d\n", i,
				       WIFSIGNALED(st) ? "killed by signal" : "exit status",
				       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			bad++;
		}
		ops += shared_counts[i].ops;
		mism += shared_counts[i].mismatches;
		forks += shared_counts[i].forks;
	}
	ksft_print_msg("%llu forks\n", (unsigned long long)forks);
	ksft_test_result(mism == 0, "every page holds its pattern (%llu mismatches)\n",
			 (unsigned long long)mism);
	ksft_test_result(bad == 0, "every worker exited normally\n");
	ksft_test_result(vd_stats_settled(&before, &after) == 0,
			 "no object, mapping or page leaked\n");
	shared_counts[0].ops = 0;
	if (vd_store_nodes(store, 8)) {
		stress_store(store[0], secs);
	} else {
		for (i = 0; i < 4; i++)
			ksft_test_result_skip("store: no store node: load vmapdemo.ko with nr_stores >= 1\n");
	}
	ops += shared_counts[0].ops;
	ksft_print_msg("stress operations: %llu\n", (unsigned long long)ops);
	ksft_finished();
}
