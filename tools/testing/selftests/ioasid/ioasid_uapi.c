// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ioasid uAPI conventions: the fd, IOASID_GET_INFO and the errnos that
 * the extensible-struct rules promise for every ioctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/ioasid.h>

#include "../kselftest_harness.h"

#define IOASID_MAX_NR 256

FIXTURE(ioasid_fd) {
	int fd;
	long page_size;
};

FIXTURE_SETUP(ioasid_fd)
{
	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->page_size = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(ioasid_fd)
{
	close(self->fd);
}

static int get_info(int fd, void *buf)
{
	return ioctl(fd, IOASID_GET_INFO, buf) ? errno : 0;
}

TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat("/dev/ioasid", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 0777);
}

TEST(each_open_is_independent)
{
	struct ioasid_info info = { .size = sizeof(info) };
	int a = open("/dev/ioasid", O_RDWR);
	int b = open("/dev/ioasid", O_RDWR);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_NE(a, b);
	close(a);
	EXPECT_EQ(0, get_info(b, &info));
	close(b);
}

TEST_F(ioasid_fd, info)
{
	struct ioasid_info info;

	memset(&info, 0xa5, sizeof(info));
	info.size = sizeof(info);
	info.flags = 0;
	info.__reserved = 0;
	ASSERT_EQ(0, get_info(self->fd, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(IOASID_API_VERSION, info.api_version);
	EXPECT_EQ(0, info.__reserved);
	EXPECT_NE(0, info.ioctls & (1ULL << IOASID_CMD_GET_INFO));
	EXPECT_EQ(0, info.features);
}

/* An ioctl number is implemented exactly when GET_INFO says so. */
TEST_F(ioasid_fd, info_ioctls_match_behaviour)
{
	struct ioasid_info info = { .size = sizeof(info) };
	unsigned int nr;

	ASSERT_EQ(0, get_info(self->fd, &info));
	for (nr = 0; nr < IOASID_MAX_NR; nr++) {
		/* A zero-size struct is refused by every implemented command. */
		uint32_t zero_size = 0;
		int ret = ioctl(self->fd, _IO(IOASID_TYPE, nr), &zero_size);
		int implemented = nr < 64 && (info.ioctls & (1ULL << nr));

		ASSERT_EQ(-1, ret);
		EXPECT_EQ(implemented ? EINVAL : ENOTTY, errno) {
			TH_LOG("ioctl %u", nr);
		}
	}
}

TEST_F(ioasid_fd, unknown_ioctls)
{
	const unsigned long sized = _IOWR(IOASID_TYPE, IOASID_CMD_GET_INFO,
					  struct ioasid_info);
	struct ioasid_info info = { .size = sizeof(info) };

	/* Our numbers carry no size or direction bits. */
	EXPECT_EQ(-1, ioctl(self->fd, sized, &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO(IOASID_TYPE + 1, IOASID_CMD_GET_INFO),
			    &info));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, FIONREAD, &info));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(ioasid_fd, size_below_first_version)
{
	struct ioasid_info info;
	uint32_t size;

	for (size = 0; size < sizeof(info); size++) {
		memset(&info, 0, sizeof(info));
		info.size = size;
		EXPECT_EQ(EINVAL, get_info(self->fd, &info)) TH_LOG("size %u", size);
	}
}

TEST_F(ioasid_fd, larger_struct_zero_tail)
{
	struct {
		struct ioasid_info info;
		uint64_t newer[4];
	} big;

	memset(&big, 0, sizeof(big));
	big.info.size = sizeof(big);
	ASSERT_EQ(0, get_info(self->fd, &big));
	EXPECT_EQ(IOASID_API_VERSION, big.info.api_version);
	/* The kernel writes nothing it does not know about. */
	EXPECT_EQ(0, big.newer[0] | big.newer[1] | big.newer[2] | big.newer[3]);
	EXPECT_EQ(sizeof(big), big.info.size);
}

TEST_F(ioasid_fd, larger_struct_nonzero_tail)
{
	struct {
		struct ioasid_info info;
		uint8_t newer[16];
	} big;
	unsigned int i;

	for (i = 0; i < sizeof(big.newer); i++) {
		memset(&big, 0, sizeof(big));
		big.info.size = sizeof(big);
		big.newer[i] = 0x80;
		EXPECT_EQ(E2BIG, get_info(self->fd, &big)) TH_LOG("byte %u", i);
		/* A refused call returns nothing. */
		EXPECT_EQ(0, big.info.api_version);
	}
}

TEST_F(ioasid_fd, size_above_page)
{
	uint8_t *buf = calloc(1, 2 * self->page_size);
	struct ioasid_info *info = (void *)buf;

	ASSERT_NE(NULL, buf);
	info->size = self->page_size;
	EXPECT_EQ(0, get_info(self->fd, buf));
	memset(buf, 0, 2 * self->page_size);
	info->size = self->page_size + 1;
	EXPECT_EQ(E2BIG, get_info(self->fd, buf));
	info->size = UINT32_MAX;
	EXPECT_EQ(E2BIG, get_info(self->fd, buf));
	free(buf);
}

TEST_F(ioasid_fd, unknown_flags_and_reserved)
{
	struct ioasid_info info;
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		memset(&info, 0, sizeof(info));
		info.size = sizeof(info);
		info.flags = 1U << bit;
		EXPECT_EQ(EOPNOTSUPP, get_info(self->fd, &info)) TH_LOG("bit %u", bit);
		EXPECT_EQ(0, info.api_version);
	}
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, get_info(self->fd, &info));
}

TEST_F(ioasid_fd, bad_pointers)
{
	size_t len = 2 * self->page_size;
	uint8_t *map = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct ioasid_info *info;

	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(EFAULT, get_info(self->fd, NULL));
	EXPECT_EQ(EFAULT, get_info(self->fd, (void *)-4096L));

	/* The struct straddles into a page that cannot be read. */
	ASSERT_EQ(0, mprotect(map + self->page_size, self->page_size, PROT_NONE));
	info = (void *)(map + self->page_size - sizeof(uint32_t));
	info->size = sizeof(*info);
	EXPECT_EQ(EFAULT, get_info(self->fd, info));

	/* Readable but not writable: the answer cannot be delivered. */
	info = (void *)map;
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	ASSERT_EQ(0, mprotect(map, self->page_size, PROT_READ));
	EXPECT_EQ(EFAULT, get_info(self->fd, info));
	munmap(map, len);
}

TEST_HARNESS_MAIN
