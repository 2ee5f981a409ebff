// SPDX-License-Identifier: GPL-2.0
/*
 * vmapdemo_dev: the device node itself. It exists with the documented mode
 * and numbers, opens and closes in every access mode, refuses unknown
 * ioctls with ENOTTY, and holds a module reference only while open.
 */
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "vmapdemo_test.h"

#define MISC_MAJOR 10

#define REQUIRE_DEVICE() do {						\
	if (!vd_present())						\
		SKIP(return, VMAPDEMO_PATH " missing: load vmapdemo.ko");	\
} while (0)

TEST(node_mode_and_numbers)
{
	unsigned int maj, min;
	struct stat st;
	char buf[64];

	REQUIRE_DEVICE();
	ASSERT_EQ(0, stat(VMAPDEMO_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	/* Like /dev/zero: everyone may read and write it. */
	EXPECT_EQ(0666, st.st_mode & 07777);
	EXPECT_EQ(MISC_MAJOR, major(st.st_rdev));

	/* The minor is dynamic: it must match what the misc class says. */
	ASSERT_LT(0, vd_read_file("/sys/class/misc/" VMAPDEMO_DEV_NAME "/dev",
				  buf, sizeof(buf)));
	ASSERT_EQ(2, sscanf(buf, "%u:%u", &maj, &min));
	EXPECT_EQ(major(st.st_rdev), maj);
	EXPECT_EQ(minor(st.st_rdev), min);
}

TEST(open_close_modes)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	unsigned int i;

	REQUIRE_DEVICE();
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		int fd = open(VMAPDEMO_PATH, modes[i] | O_CLOEXEC);

		ASSERT_LE(0, fd) TH_LOG("open mode %d: %s", modes[i], strerror(errno));
		EXPECT_EQ(0, close(fd));
	}
}

TEST(many_opens)
{
	int fds[64];
	unsigned int i;

	REQUIRE_DEVICE();
	for (i = 0; i < 64; i++) {
		fds[i] = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, close(fds[i]));
}

TEST(unknown_ioctl_enotty)
{
	/* Commands with our magic but an unused number, and foreign magics. */
	static const unsigned long cmds[] = {
		_IO(VMAPDEMO_IOC_MAGIC, 0xff),
		_IOR(VMAPDEMO_IOC_MAGIC, 0xfe, __u64),
		_IOWR(VMAPDEMO_IOC_MAGIC, 0xfd, __u64),
		_IO('X', 0),
		0,
		~0UL,
	};
	unsigned int i;
	__u64 arg = 0;
	int fd;

	REQUIRE_DEVICE();
	fd = open(VMAPDEMO_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, cmds[i], &arg));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", cmds[i]);
	}
	close(fd);
}

TEST(module_refcount_follows_open)
{
	const char *path = "/sys/module/" VMAPDEMO_DEV_NAME "/refcnt";
	long long before, during, after;
	int fd;

	REQUIRE_DEVICE();
	before = vd_read_ll(path);
	if (before < 0)
		SKIP(return, "%s unreadable (module built in?)", path);

	fd = open(VMAPDEMO_PATH, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	during = vd_read_ll(path);
	EXPECT_EQ(before + 1, during);
	ASSERT_EQ(0, close(fd));
	after = vd_read_ll(path);
	EXPECT_EQ(before, after);
	/* Nobody else uses the device while the suite runs. */
	EXPECT_EQ(0, after);
}

TEST_HARNESS_MAIN
