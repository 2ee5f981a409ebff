// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_modparams: the module loaded with other parameters than the
 * defaults, and unloaded while it is in use. Each test unloads the module
 * (delete_module()), loads it again from its file (finit_module()) with
 * the parameters under test, checks what the nodes do, and leaves the
 * module loaded with its defaults for the programs after this one.
 *
 * - nr_stores=0: no store node, /dev/vmapdemo maps and counts as usual;
 * - nr_stores=16 (VMAPDEMO_STORE_MAX_NR): 16 nodes, each its own store
 *   (data, size, crash and mappings of one leave the others alone);
 * - nr_stores=17, store_max_size above VMAPDEMO_STORE_MAX_SIZE, store_size
 *   above store_max_size: the load fails with EINVAL and nothing stays;
 *   store_size equal to store_max_size loads;
 * - unload while a store or /dev/vmapdemo is open or mapped (the fd
 *   closed): delete_module() fails with EAGAIN (EWOULDBLOCK: the module's
 *   refcount is held by the mapping's file), the mapping keeps working,
 *   and the unload succeeds after munmap.
 *
 * Needs root and the module file: $VMAPDEMO_KO, else /vmapdemo.ko (where
 * the test VM puts it); SKIP otherwise (on a host, give VMAPDEMO_KO).
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "vmapdemo_test.h"

#define MODNAME		"vmapdemo"
#define MODSYS		"/sys/module/" MODNAME
#define STORE(i)	store_path(i)

static const char *ko_path(void)
{
	const char *env = getenv("VMAPDEMO_KO");

	return env && *env ? env : "/vmapdemo.ko";
}

static const char *store_path(int i)
{
	static char buf[4][VD_PATH_MAX];
	static int slot;
	char *p = buf[slot++ & 3];

	snprintf(p, VD_PATH_MAX, "/dev/%s%d", VMAPDEMO_STORE_NAME_PREFIX, i);
	return p;
}

/* 0, or -errno of finit_module(). */
static int mod_load(const char *params)
{
	int fd = open(ko_path(), O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (syscall(__NR_finit_module, fd, params, 0))
		ret = -errno;
	close(fd);
	return ret;
}

/* 0, or -errno of delete_module() (no waiting: O_NONBLOCK). */
static int mod_unload(void)
{
	return syscall(__NR_delete_module, MODNAME, O_NONBLOCK) ? -errno : 0;
}

static int mod_loaded(void)
{
	return access(MODSYS, F_OK) == 0;
}

static long long param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), MODSYS "/parameters/%s", name);
	return vd_read_ll(path);
}

/* Back to the module with its defaults, whatever state it is in. */
static int mod_restore(void)
{
	if (mod_loaded() && param("nr_stores") == 2 &&
	    param("store_size") == 16LL << 20)
		return 0;
	if (mod_loaded() && mod_unload())
		return -1;
	return mod_load("");
}

static int store_crash(int fd)
{
	struct vmapdemo_store_crash cr = { .size = sizeof(cr) };

	return ioctl(fd, VMAPDEMO_STORE_IOC_CRASH, &cr);
}

/* Skips unless the module can be reloaded here; then unloads it. */
#define NEED_RELOAD() do {							\
	if (geteuid())								\
		SKIP(return, "needs root (delete_module, finit_module)");	\
	if (access(ko_path(), R_OK))						\
		SKIP(return, "no module file %s (set VMAPDEMO_KO)", ko_path());	\
	if (!mod_loaded())	/* an earlier test failed half-way */	\
		ASSERT_EQ(0, mod_load(""));					\
	ASSERT_EQ(0, mod_unload()) TH_LOG("something still uses the module");	\
} while (0)

TEST(nr_stores_0_dev_still_works)
{
	long ps = sysconf(_SC_PAGESIZE);
	struct vmapdemo_stats st;
	char *s, *p;
	int fd;

	NEED_RELOAD();
	ASSERT_EQ(0, mod_load("nr_stores=0"));
	EXPECT_EQ(0, param("nr_stores"));
	EXPECT_NE(0, access(STORE(0), F_OK)) TH_LOG("a store node with nr_stores=0");
	ASSERT_TRUE(vd_present());
	fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	s = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, s);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, s[ps]);
	s[0] = 'z';
	EXPECT_EQ('z', s[0]);
	EXPECT_EQ(0, p[0]);
	p[ps] = 'q';
	EXPECT_EQ('q', p[ps]);
	EXPECT_EQ(0, vd_stats(&st));
	EXPECT_EQ(1, st.objects_live);
	EXPECT_EQ(1, st.objects_created);	/* counted from this load on */
	munmap(s, 2 * ps);
	munmap(p, 2 * ps);
	close(fd);
	EXPECT_EQ(0, mod_unload());
	EXPECT_EQ(0, mod_restore());
	EXPECT_EQ(0, access(STORE(0), F_OK));
}

TEST(nr_stores_16_independent)
{
	long ps = sysconf(_SC_PAGESIZE);
	struct vmapdemo_store_info info;
	int fd[VMAPDEMO_STORE_MAX_NR];
	char *m15;
	int i, j;

	NEED_RELOAD();
	/* No background writeback: the crash below must find store 7 dirty. */
	ASSERT_EQ(0, mod_load("nr_stores=16 writeback_age_ms=0"));
	EXPECT_EQ(16, param("nr_stores"));
	EXPECT_NE(0, access(STORE(16), F_OK)) TH_LOG("a 17th store node");
	for (i = 0; i < VMAPDEMO_STORE_MAX_NR; i++) {
		unsigned char b = 0x10 + i;

		fd[i] = open(STORE(i), O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd[i]) TH_LOG("%s: %s", STORE(i), strerror(errno));
		ASSERT_EQ(0, vd_store_info(fd[i], &info));
		EXPECT_EQ(i, info.index);
		EXPECT_EQ(16ULL << 20, info.store_size);
		EXPECT_EQ(0, info.resident_pages) TH_LOG("store %d not empty at load", i);
		/* Page i of store i gets the byte 0x10 + i. */
		ASSERT_EQ(1, pwrite(fd[i], &b, 1, i * ps));
	}
	/* Each store holds its own byte, and only that page. */
	for (i = 0; i < VMAPDEMO_STORE_MAX_NR; i++) {
		ASSERT_EQ(0, vd_store_info(fd[i], &info));
		EXPECT_EQ(1, info.resident_pages) TH_LOG("store %d", i);
		EXPECT_EQ(1, info.dirty_pages) TH_LOG("store %d", i);
		EXPECT_EQ(1, info.writes) TH_LOG("store %d", i);
		for (j = 0; j < VMAPDEMO_STORE_MAX_NR; j++) {
			unsigned char b = 0xff;

			ASSERT_EQ(1, pread(fd[i], &b, 1, j * ps));
			EXPECT_EQ(i == j ? 0x10 + i : 0, b)
				TH_LOG("store %d page %d", i, j);
		}
	}
	/* A resize, a crash and a mapping of one store touch no other. */
	ASSERT_EQ(0, vd_store_resize(fd[5], ps));
	ASSERT_EQ(0, store_crash(fd[7]));
	m15 = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd[15], 0);
	ASSERT_NE(MAP_FAILED, m15);
	m15[1] = 'm';
	for (i = 0; i < VMAPDEMO_STORE_MAX_NR; i++) {
		unsigned char b = 0xff;

		ASSERT_EQ(0, vd_store_info(fd[i], &info));
		EXPECT_EQ(i == 5 ? (unsigned long long)ps : 16ULL << 20, info.store_size)
			TH_LOG("store %d", i);
		EXPECT_EQ(i == 7, info.crashes) TH_LOG("store %d", i);
		EXPECT_EQ(i == 7 ? 1 : 0, info.crash_dropped) TH_LOG("store %d", i);
		if (i != 5) {
			ASSERT_EQ(1, pread(fd[i], &b, 1, i * ps));
			/* Store 7's byte was never written back: the crash dropped it. */
			EXPECT_EQ(i == 7 ? 0 : 0x10 + i, b) TH_LOG("store %d", i);
		}
		ASSERT_EQ(1, pread(fd[i], &b, 1, 1));
		EXPECT_EQ(i == 15 ? 'm' : 0, b) TH_LOG("store %d", i);
	}
	munmap(m15, ps);
	for (i = 0; i < VMAPDEMO_STORE_MAX_NR; i++)
		close(fd[i]);
	EXPECT_EQ(0, mod_unload());
	EXPECT_EQ(0, mod_restore());
}

/* Out-of-range values: init fails with EINVAL, nothing of the module stays. */
TEST(bad_parameters_refused)
{
	static const char * const bad[] = {
		"nr_stores=17",
		"store_max_size=1099511627777",		/* 1 TiB + 1 */
		"store_size=2097152 store_max_size=1048576",
		"store_size=68719476737",		/* default max + 1 */
	};
	unsigned int i;

	NEED_RELOAD();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, mod_load(bad[i])) TH_LOG("%s", bad[i]);
		EXPECT_FALSE(mod_loaded()) TH_LOG("%s", bad[i]);
		EXPECT_FALSE(vd_present()) TH_LOG("%s", bad[i]);
		EXPECT_NE(0, access(STORE(0), F_OK)) TH_LOG("%s", bad[i]);
	}
	EXPECT_EQ(0, mod_restore());
}

/* The limits themselves load: store_size = store_max_size, both small. */
TEST(store_size_equal_to_max)
{
	struct vmapdemo_store_info info;
	int fd;

	NEED_RELOAD();
	ASSERT_EQ(0, mod_load("nr_stores=1 store_size=1048576 store_max_size=1048576"));
	EXPECT_NE(0, access(STORE(1), F_OK));
	fd = open(STORE(0), O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vd_store_info(fd, &info));
	EXPECT_EQ(1048576, info.store_size);
	EXPECT_EQ(1048576, info.max_size);
	errno = 0;
	EXPECT_EQ(-1, vd_store_resize(fd, 1048577));
	EXPECT_EQ(EFBIG, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, "x", 1, 1048576));
	EXPECT_EQ(EFBIG, errno);
	close(fd);
	EXPECT_EQ(0, mod_unload());
	EXPECT_EQ(0, mod_restore());
}

/*
 * Unload while @path is open, then while it is only mapped (fd closed):
 * EAGAIN both times, the mapping keeps its data and works; after munmap
 * the unload succeeds.
 */
static void unload_while_mapped(struct __test_metadata *_metadata,
				const char *path, int flags)
{
	long ps = sysconf(_SC_PAGESIZE);
	char *m;
	int fd;

	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	m = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, flags, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	memset(m, 'a', 2 * ps);
	EXPECT_EQ(-EAGAIN, mod_unload()) TH_LOG("%s open", path);
	close(fd);
	EXPECT_LE(1, vd_read_ll(MODSYS "/refcnt"));
	EXPECT_EQ(-EAGAIN, mod_unload()) TH_LOG("%s mapped", path);
	ASSERT_TRUE(mod_loaded());
	/* The mapping still works: old data, new writes, a new page. */
	EXPECT_TRUE(vd_all(m, ps, 'a'));
	m[ps] = 'b';
	EXPECT_EQ('b', m[ps]);
	if (flags == MAP_SHARED && strcmp(path, VMAPDEMO_PATH)) {
		char b = 0;

		fd = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_LE(0, fd);
		EXPECT_EQ(1, pread(fd, &b, 1, ps));
		EXPECT_EQ('b', b);
		close(fd);
	}
	EXPECT_EQ(-EAGAIN, mod_unload());
	ASSERT_EQ(0, munmap(m, 2 * ps));
	EXPECT_EQ(0, mod_unload()) TH_LOG("%s: unload after munmap", path);
	EXPECT_FALSE(mod_loaded());
	EXPECT_FALSE(vd_present());
	EXPECT_EQ(0, mod_load(""));
}

TEST(unload_refused_while_store_mapped)
{
	NEED_RELOAD();
	ASSERT_EQ(0, mod_load(""));
	unload_while_mapped(_metadata, STORE(0), MAP_SHARED);
	unload_while_mapped(_metadata, STORE(1), MAP_PRIVATE);
	EXPECT_EQ(0, mod_restore());
}

TEST(unload_refused_while_dev_mapped)
{
	NEED_RELOAD();
	ASSERT_EQ(0, mod_load(""));
	unload_while_mapped(_metadata, VMAPDEMO_PATH, MAP_SHARED);
	unload_while_mapped(_metadata, VMAPDEMO_PATH, MAP_PRIVATE);
	EXPECT_EQ(0, mod_restore());
}

/* Whatever happened above, the programs after this one get the defaults. */
TEST(defaults_restored)
{
	if (geteuid() || access(ko_path(), R_OK))
		SKIP(return, "nothing was reloaded");
	ASSERT_EQ(0, mod_restore());
	EXPECT_EQ(2, param("nr_stores"));
	EXPECT_EQ(16LL << 20, param("store_size"));
	EXPECT_EQ(64LL << 30, param("store_max_size"));
	EXPECT_EQ(0, access(STORE(0), F_OK));
	EXPECT_EQ(0, access(STORE(1), F_OK));
	EXPECT_NE(0, access(STORE(2), F_OK));
}

TEST_HARNESS_MAIN
