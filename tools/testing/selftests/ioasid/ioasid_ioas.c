// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOASID objects: allocation, destruction, ids scoped to the fd, and the
 * allowed and usable IOVA ranges of an IOASID.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ioasid.h>

#include "ioasid_utils.h"
#include "../kselftest_harness.h"

#define MAX_ALLOWED_RANGES 4096

FIXTURE(ioas) {
	int fd;
	uint32_t id;
	uint64_t page;
};

FIXTURE_SETUP(ioas)
{
	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &self->id));
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(ioas)
{
	close(self->fd);
}

TEST_F(ioas, ids_are_distinct_and_nonzero)
{
	uint32_t ids[64];
	unsigned int i, j;

	EXPECT_NE(0, self->id);
	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0, ioasid_alloc(self->fd, &ids[i]));
		EXPECT_NE(0, ids[i]);
		EXPECT_NE(self->id, ids[i]);
		for (j = 0; j < i; j++)
			EXPECT_NE(ids[j], ids[i]);
	}
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, ioasid_destroy(self->fd, ids[i]));
}

TEST_F(ioas, destroy)
{
	uint32_t num = 0;

	EXPECT_EQ(0, ioasid_destroy(self->fd, self->id));
	EXPECT_EQ(ENOENT, ioasid_destroy(self->fd, self->id));
	EXPECT_EQ(ENOENT, get_ranges(self->fd, self->id, NULL, &num, NULL));
	EXPECT_EQ(ENOENT, ioasid_destroy(self->fd, 0));
	EXPECT_EQ(ENOENT, ioasid_destroy(self->fd, UINT32_MAX));
	EXPECT_EQ(ENOENT, ioasid_destroy(self->fd, self->id + 1000));
}

TEST_F(ioas, alloc_rejects_unknown_input)
{
	struct ioasid_alloc cmd = { .size = sizeof(cmd), .flags = 1U << 31 };

	EXPECT_EQ(-1, ioctl(self->fd, IOASID_ALLOC, &cmd));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, cmd.out_ioasid);
	cmd.flags = 0;
	cmd.__reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_ALLOC, &cmd));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, cmd.out_ioasid);
}

/* An id is meaningful only with the fd that created it. */
TEST_F(ioas, ids_are_scoped_to_the_fd)
{
	int other = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	uint32_t num = 0, other_id;

	ASSERT_LE(0, other);
	EXPECT_EQ(ENOENT, get_ranges(other, self->id, NULL, &num, NULL));
	EXPECT_EQ(ENOENT, ioasid_destroy(other, self->id));
	ASSERT_EQ(0, ioasid_alloc(other, &other_id));
	close(other);
	/* The other fd's objects went with it; ours are untouched. */
	num = 0;
	EXPECT_EQ(EMSGSIZE, get_ranges(self->fd, self->id, NULL, &num, NULL));
}

TEST(close_with_live_objects)
{
	int fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	uint32_t id;
	int i;

	ASSERT_LE(0, fd);
	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, ioasid_alloc(fd, &id));
	EXPECT_EQ(0, close(fd));
}

TEST_F(ioas, default_ranges_cover_everything)
{
	struct ioasid_iova_range ranges[4];
	uint64_t alignment = 0;
	uint32_t num = 4;

	ASSERT_EQ(0, get_ranges(self->fd, self->id, ranges, &num, &alignment));
	ASSERT_EQ(1, num);
	EXPECT_EQ(0, ranges[0].start);
	EXPECT_EQ(UINT64_MAX, ranges[0].last);
	EXPECT_EQ(self->page, alignment);
}

TEST_F(ioas, ranges_report_the_count_when_short)
{
	static const struct ioasid_iova_range in[] = {
		{ 0x100000, 0x1fffff }, { 0x400000, 0x4fffff },
		{ 0x800000, 0x8fffff },
	};
	struct ioasid_iova_range out[3];
	uint32_t num = 0;

	ASSERT_EQ(0, set_allowed(self->fd, self->id, in, 3));
	EXPECT_EQ(EMSGSIZE, get_ranges(self->fd, self->id, NULL, &num, NULL));
	EXPECT_EQ(3, num);

	memset(out, 0, sizeof(out));
	num = 2;
	EXPECT_EQ(EMSGSIZE, get_ranges(self->fd, self->id, out, &num, NULL));
	EXPECT_EQ(3, num);
	EXPECT_EQ(in[1].start, out[1].start);
	EXPECT_EQ(0, out[2].start);	/* past the capacity: untouched */

	EXPECT_EQ(0, get_ranges(self->fd, self->id, out, &num, NULL));
	EXPECT_EQ(in[2].last, out[2].last);
}

TEST_F(ioas, allowed_ranges_merge)
{
	const uint64_t p = self->page;
	const struct ioasid_iova_range in[] = {
		{ 40 * p, 50 * p - 1 }, { 0, 2 * p - 1 }, { 2 * p, 4 * p - 1 },
		{ 45 * p, 60 * p - 1 }, { 100 * p, UINT64_MAX },
		{ 1 * p, 3 * p - 1 },
	};
	const struct ioasid_iova_range want[] = {
		{ 0, 4 * p - 1 }, { 40 * p, 60 * p - 1 }, { 100 * p, UINT64_MAX },
	};
	struct ioasid_iova_range out[8];
	uint32_t num = 8, i;

	ASSERT_EQ(0, set_allowed(self->fd, self->id, in, 6));
	ASSERT_EQ(0, get_ranges(self->fd, self->id, out, &num, NULL));
	ASSERT_EQ(3, num);
	for (i = 0; i < num; i++) {
		EXPECT_EQ(want[i].start, out[i].start);
		EXPECT_EQ(want[i].last, out[i].last);
	}
}

TEST_F(ioas, no_allowed_ranges_means_nothing_usable)
{
	uint32_t num = 4;
	struct ioasid_iova_range out[4];

	ASSERT_EQ(0, set_allowed(self->fd, self->id, NULL, 0));
	EXPECT_EQ(0, get_ranges(self->fd, self->id, out, &num, NULL));
	EXPECT_EQ(0, num);
}

/* A refused update leaves the previous allowed ranges in place. */
TEST_F(ioas, bad_allowed_ranges_change_nothing)
{
	const uint64_t p = self->page;
	const struct ioasid_iova_range good[] = { { p, 2 * p - 1 } };
	const struct ioasid_iova_range inverted[] = { { 4 * p, 4 * p - 1 } };
	const struct ioasid_iova_range unaligned_start[] = { { p + 1, 2 * p - 1 } };
	const struct ioasid_iova_range unaligned_end[] = { { p, 2 * p - 2 } };
	struct ioasid_iova_range out[2];
	struct ioasid_set_allowed_ranges cmd = {
		.size = sizeof(cmd), .ioasid = self->id, .flags = 1,
	};
	uint32_t num = 2;

	ASSERT_EQ(0, set_allowed(self->fd, self->id, good, 1));
	EXPECT_EQ(EINVAL, set_allowed(self->fd, self->id, inverted, 1));
	EXPECT_EQ(EINVAL, set_allowed(self->fd, self->id, unaligned_start, 1));
	EXPECT_EQ(EINVAL, set_allowed(self->fd, self->id, unaligned_end, 1));
	EXPECT_EQ(EINVAL, set_allowed(self->fd, self->id, good,
				      MAX_ALLOWED_RANGES + 1));
	EXPECT_EQ(EFAULT, set_allowed(self->fd, self->id, NULL, 1));
	EXPECT_EQ(ENOENT, set_allowed(self->fd, self->id + 1, good, 1));
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_SET_ALLOWED_RANGES, &cmd));
	EXPECT_EQ(EOPNOTSUPP, errno);

	ASSERT_EQ(0, get_ranges(self->fd, self->id, out, &num, NULL));
	ASSERT_EQ(1, num);
	EXPECT_EQ(good[0].start, out[0].start);
	EXPECT_EQ(good[0].last, out[0].last);
}

TEST_F(ioas, most_allowed_ranges)
{
	struct ioasid_iova_range *in = calloc(MAX_ALLOWED_RANGES, sizeof(*in));
	uint32_t num = 0, i;

	ASSERT_NE(NULL, in);
	/* Every other page, so that nothing merges. */
	for (i = 0; i < MAX_ALLOWED_RANGES; i++) {
		in[i].start = 2 * i * self->page;
		in[i].last = in[i].start + self->page - 1;
	}
	EXPECT_EQ(0, set_allowed(self->fd, self->id, in, MAX_ALLOWED_RANGES));
	EXPECT_EQ(EMSGSIZE, get_ranges(self->fd, self->id, NULL, &num, NULL));
	EXPECT_EQ(MAX_ALLOWED_RANGES, num);
	free(in);
}

TEST_F(ioas, ranges_bad_input)
{
	struct ioasid_iova_ranges cmd = {
		.size = sizeof(cmd), .ioasid = self->id, .flags = 1,
	};
	uint32_t num = 4;

	EXPECT_EQ(-1, ioctl(self->fd, IOASID_IOVA_RANGES, &cmd));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(EFAULT, get_ranges(self->fd, self->id,
				     (void *)(uintptr_t)-4096, &num, NULL));
	num = 0;
	EXPECT_EQ(ENOENT, get_ranges(self->fd, 0, NULL, &num, NULL));
}

TEST_HARNESS_MAIN
