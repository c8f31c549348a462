// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mappings of an IOASID: IOASID_MAP, IOASID_UNMAP, IOASID_COPY and the
 * accounting IOASID_OPTION selects.  No device is attached, so what is
 * observed is the errno of each call, its out fields, IOASID_IOVA_RANGES
 * and the pin counters of /proc/self/status: VmPin for the default
 * accounting, VmLck for IOASID_ACCOUNT_PROCESS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ioasid.h>

#include "ioasid_utils.h"
#include "../kselftest_harness.h"

#define MEMLOCK_LIMIT	(64 * 1024)
#define NOBODY		65534

static uint64_t kb(uint64_t bytes)
{
	return bytes / 1024;
}

FIXTURE(map) {
	int fd;
	uint32_t id;
	uint64_t page;
};

FIXTURE_SETUP(map)
{
	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &self->id));
	self->page = sysconf(_SC_PAGESIZE);
	/* The pin counters are what most of these tests observe. */
	ASSERT_NE(UINT64_MAX, vm_kb("VmPin"));
	ASSERT_NE(UINT64_MAX, vm_kb("VmLck"));
}

FIXTURE_TEARDOWN(map)
{
	close(self->fd);
}

TEST_F(map, fixed_iova)
{
	const uint64_t len = 4 * self->page, iova = 16 * self->page;
	uint64_t pin = vm_kb("VmPin"), out = 0;
	uint8_t *buf = alloc_buf(len, 0xa5, false);
	struct ioasid_map cmd = {
		.flags = MAP_RW | IOASID_MAP_FIXED_IOVA,
		.ioasid = self->id,
		.length = len,
		.iova = iova,
	};

	ASSERT_NE(NULL, buf);
	cmd.user_va = (uintptr_t)buf;
	ASSERT_EQ(0, do_map(self->fd, &cmd));
	EXPECT_EQ(iova, cmd.iova);
	EXPECT_EQ(pin + kb(len), vm_kb("VmPin"));

	EXPECT_EQ(0, unmap_range(self->fd, self->id, iova, len, &out));
	EXPECT_EQ(len, out);
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(ENOENT, unmap_range(self->fd, self->id, iova, len, &out));
	/* The IOVA range is free again. */
	EXPECT_EQ(0, map_fixed(self->fd, self->id, buf, len, iova));
	munmap(buf, len);
}

TEST_F(map, kernel_iova_is_lowest_free)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), a, b, iova;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, false);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &a));
	EXPECT_EQ(0ULL, a);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 4 * p, 0, &b));
	EXPECT_EQ(2 * p, b);
	EXPECT_EQ(pin + kb(6 * p), vm_kb("VmPin"));

	/* A two-page hole at 0: too small for four pages, fine for one. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, a, 2 * p, NULL));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 4 * p, 0, &iova));
	EXPECT_EQ(6 * p, iova);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, p, 0, &iova));
	EXPECT_EQ(0ULL, iova);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, p, 0, &iova));
	EXPECT_EQ(p, iova);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, p, 0, &iova));
	EXPECT_EQ(10 * p, iova);
	munmap(buf, 4 * p);
}

TEST_F(map, kernel_iova_alignment)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);
	uint64_t iova;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, p, 0, &iova));
	EXPECT_EQ(0ULL, iova);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, p, SZ_2M, &iova));
	EXPECT_EQ(SZ_2M, iova);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, SZ_2M, &iova));
	EXPECT_EQ(2 * SZ_2M, iova);
	/* The holes the aligned mappings skipped are still used. */
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, p, p, &iova));
	EXPECT_EQ(p, iova);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, p, 0, &iova));
	EXPECT_EQ(2 * p, iova);
	munmap(buf, 2 * p);
}

TEST_F(map, bad_alignment)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), out = 1, iova;
	uint8_t *buf = alloc_buf(p, 0xa5, false);
	struct ioasid_map cmd = {
		.flags = MAP_RW | IOASID_MAP_FIXED_IOVA,
		.ioasid = self->id,
		.length = p,
		.alignment = p,
	};

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(EINVAL, map_any(self->fd, self->id, buf, p, 3 * p, &iova));
	EXPECT_EQ(EINVAL, map_any(self->fd, self->id, buf, p, SZ_2M + p,
				  &iova));
	EXPECT_EQ(EINVAL, map_any(self->fd, self->id, buf, p, 3, &iova));
	/* A fixed IOVA leaves nothing to align. */
	cmd.user_va = (uintptr_t)buf;
	EXPECT_EQ(EINVAL, do_map(self->fd, &cmd));

	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(0ULL, out);
	munmap(buf, p);
}

TEST_F(map, flags)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), out = 0;
	uint8_t *buf = alloc_buf(p, 0xa5, false);
	struct ioasid_map cmd = { .ioasid = self->id, .length = p };
	unsigned int bit;

	ASSERT_NE(NULL, buf);
	cmd.user_va = (uintptr_t)buf;
	cmd.flags = 0;
	EXPECT_EQ(EINVAL, do_map(self->fd, &cmd));
	cmd.flags = IOASID_MAP_FIXED_IOVA;
	EXPECT_EQ(EINVAL, do_map(self->fd, &cmd));
	for (bit = 3; bit < 32; bit++) {
		cmd.flags = MAP_RW | 1U << bit;
		EXPECT_EQ(EOPNOTSUPP, do_map(self->fd, &cmd))
			TH_LOG("bit %u", bit);
	}
	cmd.flags = MAP_RW;
	cmd.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, do_map(self->fd, &cmd));
	/* Unknown flags are found before the id is looked up. */
	cmd.__reserved = 0;
	cmd.ioasid = self->id + 100;
	cmd.flags = MAP_RW | 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, do_map(self->fd, &cmd));
	cmd.ioasid = self->id;
	EXPECT_EQ(pin, vm_kb("VmPin"));

	/* Either permission alone is a mapping. */
	cmd.__reserved = 0;
	cmd.flags = IOASID_MAP_READ;
	EXPECT_EQ(0, do_map(self->fd, &cmd));
	cmd.flags = IOASID_MAP_WRITE;
	EXPECT_EQ(0, do_map(self->fd, &cmd));
	EXPECT_EQ(pin + kb(2 * p), vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(2 * p, out);
	munmap(buf, p);
}

TEST_F(map, bad_lengths_and_addresses)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), out = 1, iova;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(EINVAL, map_fixed(self->fd, self->id, buf, 0, 0));
	EXPECT_EQ(EINVAL, map_any(self->fd, self->id, buf, 0, 0, &iova));
	EXPECT_EQ(EINVAL, map_any(self->fd, self->id, buf + 1, p, 0, &iova));
	EXPECT_EQ(EINVAL, map_any(self->fd, self->id, buf + p / 2, p, 0,
				  &iova));
	EXPECT_EQ(EINVAL, map_any(self->fd, self->id, buf, p + 1, 0, &iova));
	EXPECT_EQ(EINVAL, map_any(self->fd, self->id, buf, p - 1, 0, &iova));
	EXPECT_EQ(EINVAL, map_fixed(self->fd, self->id, buf, p, p + 1));
	EXPECT_EQ(EINVAL, map_fixed(self->fd, self->id, buf, p, p / 2));

	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(0ULL, out);
	munmap(buf, 2 * p);
}

TEST_F(map, wrapping_ranges)
{
	const uint64_t p = self->page, top = UINT64_MAX - p + 1;
	uint64_t pin = vm_kb("VmPin"), iova;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(EOVERFLOW, map_fixed(self->fd, self->id, buf, 2 * p, top));
	EXPECT_EQ(EOVERFLOW, map_any(self->fd, self->id, (void *)top, 2 * p, 0,
				     &iova));
	EXPECT_EQ(EOVERFLOW, map_any(self->fd, self->id, buf, top, 0, &iova));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	munmap(buf, 2 * p);
}

/* The last page of the IOVA space ends at 2^64, which is not a wrap. */
TEST_F(map, top_of_iova_space)
{
	const uint64_t p = self->page, top = UINT64_MAX - p + 1;
	const struct ioasid_iova_range last_page[] = { { top, UINT64_MAX } };
	uint64_t pin = vm_kb("VmPin"), out = 0, iova = 0;
	uint8_t *buf = alloc_buf(p, 0xa5, false);
	uint32_t id2;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, top));
	EXPECT_EQ(pin + kb(p), vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_range(self->fd, self->id, top, p, &out));
	EXPECT_EQ(p, out);

	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, set_allowed(self->fd, id2, last_page, 1));
	ASSERT_EQ(0, map_any(self->fd, id2, buf, p, 0, &iova));
	EXPECT_EQ(top, iova);
	EXPECT_EQ(ENOSPC, map_any(self->fd, id2, buf, p, 0, &iova));
	EXPECT_EQ(pin + kb(p), vm_kb("VmPin"));
	munmap(buf, p);
}

TEST_F(map, fixed_overlap)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), out = 0;
	uint8_t *buf = alloc_buf(12 * p, 0xa5, false);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 4 * p, 4 * p));
	EXPECT_EQ(EADDRINUSE, map_fixed(self->fd, self->id, buf, 4 * p, 4 * p));
	EXPECT_EQ(EADDRINUSE, map_fixed(self->fd, self->id, buf, 3 * p, 2 * p));
	EXPECT_EQ(EADDRINUSE, map_fixed(self->fd, self->id, buf, 2 * p, 7 * p));
	EXPECT_EQ(EADDRINUSE, map_fixed(self->fd, self->id, buf, p, 5 * p));
	EXPECT_EQ(EADDRINUSE, map_fixed(self->fd, self->id, buf, 12 * p, 0));
	EXPECT_EQ(pin + kb(4 * p), vm_kb("VmPin"));

	/* Adjacent on either side is not overlapping. */
	EXPECT_EQ(0, map_fixed(self->fd, self->id, buf + 4 * p, 4 * p, 0));
	EXPECT_EQ(0, map_fixed(self->fd, self->id, buf + 8 * p, 4 * p, 8 * p));
	EXPECT_EQ(pin + kb(12 * p), vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(12 * p, out);
	munmap(buf, 12 * p);
}

TEST_F(map, fixed_outside_allowed)
{
	const uint64_t p = self->page;
	const struct ioasid_iova_range allowed[] = { { SZ_1M, SZ_2M - 1 } };
	uint64_t pin = vm_kb("VmPin"), iova;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, set_allowed(self->fd, self->id, NULL, 0));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p, 0));
	EXPECT_EQ(ENOSPC, map_any(self->fd, self->id, buf, p, 0, &iova));

	ASSERT_EQ(0, set_allowed(self->fd, self->id, allowed, 1));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p, 0));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, 2 * p,
					   SZ_1M - p));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, 2 * p,
					   SZ_2M - p));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p, SZ_2M));
	EXPECT_EQ(pin, vm_kb("VmPin"));

	EXPECT_EQ(0, map_fixed(self->fd, self->id, buf, p, SZ_1M));
	EXPECT_EQ(0, map_fixed(self->fd, self->id, buf, p, SZ_2M - p));
	EXPECT_EQ(pin + kb(2 * p), vm_kb("VmPin"));
	munmap(buf, 2 * p);
}

TEST_F(map, kernel_iova_within_allowed)
{
	const uint64_t p = self->page;
	const struct ioasid_iova_range four_pages[] = {
		{ SZ_1M, SZ_1M + 4 * p - 1 },
	};
	const struct ioasid_iova_range below_2m[] = { { p, SZ_2M - 1 } };
	const struct ioasid_iova_range below_4m[] = { { p, 2 * SZ_2M - 1 } };
	uint64_t pin = vm_kb("VmPin"), iova;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);
	uint32_t id2;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, set_allowed(self->fd, self->id, four_pages, 1));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &iova));
	EXPECT_EQ(SZ_1M, iova);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &iova));
	EXPECT_EQ(SZ_1M + 2 * p, iova);
	EXPECT_EQ(ENOSPC, map_any(self->fd, self->id, buf, 2 * p, 0, &iova));
	EXPECT_EQ(ENOSPC, map_any(self->fd, self->id, buf, p, 0, &iova));
	EXPECT_EQ(pin + kb(4 * p), vm_kb("VmPin"));

	/* An alignment no allowed IOVA has leaves no room either. */
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, set_allowed(self->fd, id2, below_2m, 1));
	EXPECT_EQ(ENOSPC, map_any(self->fd, id2, buf, p, SZ_2M, &iova));
	ASSERT_EQ(0, map_any(self->fd, id2, buf, p, 0, &iova));
	EXPECT_EQ(p, iova);
	ASSERT_EQ(0, set_allowed(self->fd, id2, below_4m, 1));
	ASSERT_EQ(0, map_any(self->fd, id2, buf, p, SZ_2M, &iova));
	EXPECT_EQ(SZ_2M, iova);
	EXPECT_EQ(pin + kb(6 * p), vm_kb("VmPin"));
	munmap(buf, 2 * p);
}

/* A map that fails part way unpins what it had pinned. */
TEST_F(map, memory_not_mapped)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), out = 0, iova;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, false);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, munmap(buf + 3 * p, p));
	EXPECT_EQ(EFAULT, map_any(self->fd, self->id, buf, 4 * p, 0, &iova));
	EXPECT_EQ(EFAULT, map_any(self->fd, self->id, buf + 3 * p, p, 0,
				  &iova));
	EXPECT_EQ(pin, vm_kb("VmPin"));

	ASSERT_EQ(0, mprotect(buf + p, p, PROT_NONE));
	EXPECT_EQ(EFAULT, map_any(self->fd, self->id, buf, 3 * p, 0, &iova));
	EXPECT_EQ(EFAULT, map_fixed(self->fd, self->id, buf, 2 * p, 0));
	EXPECT_EQ(pin, vm_kb("VmPin"));

	/* The failures left no mapping and no IOVA behind. */
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, p, 0, &iova));
	EXPECT_EQ(0ULL, iova);
	EXPECT_EQ(pin + kb(p), vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(p, out);
	munmap(buf, 3 * p);
}

TEST_F(map, read_only_memory)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), out = 0;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);
	struct ioasid_map cmd = { .ioasid = self->id, .length = 2 * p };

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mprotect(buf, 2 * p, PROT_READ));
	cmd.user_va = (uintptr_t)buf;
	cmd.flags = IOASID_MAP_WRITE;
	EXPECT_EQ(EFAULT, do_map(self->fd, &cmd));
	cmd.flags = MAP_RW;
	EXPECT_EQ(EFAULT, do_map(self->fd, &cmd));
	EXPECT_EQ(pin, vm_kb("VmPin"));

	cmd.flags = IOASID_MAP_READ;
	ASSERT_EQ(0, do_map(self->fd, &cmd));
	EXPECT_EQ(pin + kb(2 * p), vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_range(self->fd, self->id, cmd.iova, 2 * p, &out));
	EXPECT_EQ(2 * p, out);
	EXPECT_EQ(pin, vm_kb("VmPin"));
	munmap(buf, 2 * p);
}

TEST_F(map, no_such_ioasid)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), iova;
	uint8_t *buf = alloc_buf(p, 0xa5, false);
	uint32_t gone;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &gone));
	ASSERT_EQ(0, ioasid_destroy(self->fd, gone));
	EXPECT_EQ(ENOENT, map_any(self->fd, 0, buf, p, 0, &iova));
	EXPECT_EQ(ENOENT, map_any(self->fd, gone, buf, p, 0, &iova));
	EXPECT_EQ(ENOENT, map_fixed(self->fd, gone + 1, buf, p, 0));
	EXPECT_EQ(ENOENT, map_fixed(self->fd, UINT32_MAX, buf, p, 0));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	munmap(buf, p);
}

/* Each IOASID_MAP charges its pages, even pages another map pinned. */
TEST_F(map, each_map_charges)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), a, b;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &a));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &b));
	EXPECT_EQ(pin + kb(4 * p), vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_range(self->fd, self->id, a, 2 * p, NULL));
	EXPECT_EQ(pin + kb(2 * p), vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_range(self->fd, self->id, b, 2 * p, NULL));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	munmap(buf, 2 * p);
}

/*
 * A pin is charged to the process that makes it, also through an fd it
 * inherited: a child's map charges the child's mm, the parent's next map
 * the parent's again, and each unmap releases the mm it charged, even
 * once that process is gone.
 */
TEST_F(map, pins_charge_the_pinning_process)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), a, b, theirs = 0;
	uint8_t *buf = alloc_buf(8 * p, 0xa5, false);
	int pipefd[2], status;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, p, 0, &a));
	ASSERT_EQ(pin + kb(p), vm_kb("VmPin"));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint64_t mine = vm_kb("VmPin"), iova = 0;

		if (map_any(self->fd, self->id, buf + p, 2 * p, 0, &iova) ||
		    vm_kb("VmPin") != mine + kb(2 * p))
			iova = 0;
		_exit(write(pipefd[1], &iova, sizeof(iova)) != sizeof(iova));
	}
	close(pipefd[1]);
	ASSERT_EQ(sizeof(theirs), read(pipefd[0], &theirs, sizeof(theirs)));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	ASSERT_NE(0ULL, theirs) TH_LOG("the child's map did not charge it");
	EXPECT_EQ(pin + kb(p), vm_kb("VmPin"));

	ASSERT_EQ(0, map_any(self->fd, self->id, buf + 4 * p, 4 * p, 0, &b));
	EXPECT_EQ(pin + kb(5 * p), vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_range(self->fd, self->id, theirs, 2 * p, NULL));
	EXPECT_EQ(pin + kb(5 * p), vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_range(self->fd, self->id, a, p, NULL));
	EXPECT_EQ(0, unmap_range(self->fd, self->id, b, 4 * p, NULL));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	munmap(buf, 8 * p);
}

TEST_F(map, size_below_first_version)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), out = 1;
	uint8_t *buf = alloc_buf(p, 0xa5, false);
	struct ioasid_map cmd;
	uint32_t size;

	ASSERT_NE(NULL, buf);
	for (size = 0; size < sizeof(cmd); size++) {
		cmd = (struct ioasid_map) {
			.size = size,
			.flags = MAP_RW,
			.ioasid = self->id,
			.user_va = (uintptr_t)buf,
			.length = p,
		};
		EXPECT_EQ(-1, ioctl(self->fd, IOASID_MAP, &cmd));
		EXPECT_EQ(EINVAL, errno) TH_LOG("size %u", size);
	}
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(0ULL, out);
	munmap(buf, p);
}

TEST_F(map, unmap_spans_mappings_and_holes)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), out = 0;
	uint8_t *buf = alloc_buf(8 * p, 0xa5, false);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, 0));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf + 2 * p, p, 4 * p));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf + 3 * p, 3 * p, 8 * p));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf + 6 * p, 2 * p, 16 * p));
	EXPECT_EQ(pin + kb(8 * p), vm_kb("VmPin"));

	/* From a hole to a hole: the two mappings in between. */
	EXPECT_EQ(0, unmap_range(self->fd, self->id, 3 * p, 9 * p, &out));
	EXPECT_EQ(4 * p, out);
	EXPECT_EQ(pin + kb(4 * p), vm_kb("VmPin"));
	/* The range reaching where they were counts only what is left. */
	EXPECT_EQ(0, unmap_range(self->fd, self->id, 0, 16 * p, &out));
	EXPECT_EQ(2 * p, out);
	EXPECT_EQ(pin + kb(2 * p), vm_kb("VmPin"));
	/* The mapping beyond the range was not touched. */
	EXPECT_EQ(0, unmap_range(self->fd, self->id, 16 * p, 2 * p, &out));
	EXPECT_EQ(2 * p, out);
	EXPECT_EQ(pin, vm_kb("VmPin"));
	munmap(buf, 8 * p);
}

TEST_F(map, unmap_part_of_mapping)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), out = 0;
	uint8_t *buf = alloc_buf(6 * p, 0xa5, false);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, 0));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf + 2 * p, 4 * p, 4 * p));

	EXPECT_EQ(ERANGE, unmap_range(self->fd, self->id, 4 * p, 2 * p, &out));
	EXPECT_EQ(ERANGE, unmap_range(self->fd, self->id, 6 * p, 4 * p, &out));
	EXPECT_EQ(ERANGE, unmap_range(self->fd, self->id, 5 * p, p, &out));
	EXPECT_EQ(ERANGE, unmap_range(self->fd, self->id, p, 2 * p, &out));
	/* The first mapping is whole in the range, but is not unmapped. */
	EXPECT_EQ(ERANGE, unmap_range(self->fd, self->id, 0, 6 * p, &out));
	EXPECT_EQ(pin + kb(6 * p), vm_kb("VmPin"));

	EXPECT_EQ(0, unmap_range(self->fd, self->id, 0, 2 * p, &out));
	EXPECT_EQ(2 * p, out);
	EXPECT_EQ(0, unmap_range(self->fd, self->id, 4 * p, 4 * p, &out));
	EXPECT_EQ(4 * p, out);
	EXPECT_EQ(pin, vm_kb("VmPin"));
	munmap(buf, 6 * p);
}

TEST_F(map, unmap_nothing_mapped)
{
	const uint64_t p = self->page, top = UINT64_MAX - p + 1;
	uint64_t pin = vm_kb("VmPin"), out = 0;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(ENOENT, unmap_range(self->fd, self->id, 0, p, &out));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, 4 * p));
	EXPECT_EQ(ENOENT, unmap_range(self->fd, self->id, 0, 4 * p, &out));
	EXPECT_EQ(ENOENT, unmap_range(self->fd, self->id, 6 * p, 4 * p, &out));
	EXPECT_EQ(ENOENT, unmap_range(self->fd, self->id, top, p, &out));
	EXPECT_EQ(ENOENT, unmap_range(self->fd, 0, 4 * p, 2 * p, &out));
	EXPECT_EQ(pin + kb(2 * p), vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_range(self->fd, self->id, 4 * p, 2 * p, &out));
	EXPECT_EQ(2 * p, out);
	munmap(buf, 2 * p);
}

/*
 * IOASID_UNMAP writes its answer back once, after the work, as every
 * ioctl does.  Into a struct the caller can read but not write, the
 * call unmaps and unpins, then fails with EFAULT; an error found before
 * any work is reported as itself, with nothing written.
 */
TEST_F(map, unmap_answers_after_the_work)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), out = 0;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, false);
	struct ioasid_unmap *cmd;

	ASSERT_NE(NULL, buf);
	cmd = mmap(NULL, p, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cmd);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, 4 * p));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf + 2 * p, 2 * p,
			       8 * p));
	EXPECT_EQ(pin + kb(4 * p), vm_kb("VmPin"));

	*cmd = (struct ioasid_unmap){
		.size = sizeof(*cmd),
		.ioasid = self->id,
		.iova = 4 * p,
		.length = 2 * p,
		.out_length = 7,
	};
	ASSERT_EQ(0, mprotect(cmd, p, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_UNMAP, cmd));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(7U, cmd->out_length);
	/* Gone all the same: unpinned, and nothing left to unmap. */
	EXPECT_EQ(pin + kb(2 * p), vm_kb("VmPin"));
	EXPECT_EQ(ENOENT, unmap_range(self->fd, self->id, 4 * p, 2 * p, &out));

	/* A range that splits a mapping: ERANGE, not EFAULT. */
	ASSERT_EQ(0, mprotect(cmd, p, PROT_READ | PROT_WRITE));
	cmd->iova = 8 * p;
	cmd->length = p;
	ASSERT_EQ(0, mprotect(cmd, p, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_UNMAP, cmd));
	EXPECT_EQ(ERANGE, errno);
	EXPECT_EQ(pin + kb(2 * p), vm_kb("VmPin"));

	EXPECT_EQ(0, unmap_range(self->fd, self->id, 8 * p, 2 * p, &out));
	EXPECT_EQ(2 * p, out);
	EXPECT_EQ(pin, vm_kb("VmPin"));
	munmap(cmd, p);
	munmap(buf, 4 * p);
}

TEST_F(map, unmap_all)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), out = 1, iova;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, false);
	struct ioasid_unmap cmd = {
		.ioasid = self->id,
		.flags = IOASID_UNMAP_ALL,
	};

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(0ULL, out);

	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, 0));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf + p, 2 * p, SZ_2M, &iova));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf + 3 * p, p,
			       UINT64_MAX - p + 1));

	/* UNMAP_ALL takes no range. */
	cmd.iova = p;
	EXPECT_EQ(EINVAL, do_unmap(self->fd, &cmd, &out));
	cmd.iova = 0;
	cmd.length = p;
	EXPECT_EQ(EINVAL, do_unmap(self->fd, &cmd, &out));
	EXPECT_EQ(pin + kb(4 * p), vm_kb("VmPin"));

	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(4 * p, out);
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(0ULL, out);
	munmap(buf, 4 * p);
}

/* UNMAP with its struct on a page the kernel cannot write to. */
static int unmap_read_only(int fd, uint32_t id, uint64_t iova, uint64_t len)
{
	long p = sysconf(_SC_PAGESIZE);
	struct ioasid_unmap *cmd;
	int ret;

	cmd = mmap(NULL, p, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cmd == MAP_FAILED)
		return errno;
	*cmd = (struct ioasid_unmap){
		.size = sizeof(*cmd), .ioasid = id, .iova = iova, .length = len,
	};
	ret = mprotect(cmd, p, PROT_READ) ? errno : 0;
	if (!ret)
		ret = ioctl(fd, IOASID_UNMAP, cmd) ? errno : 0;
	munmap(cmd, p);
	return ret;
}

TEST_F(map, unmap_bad_input)
{
	const uint64_t p = self->page, top = UINT64_MAX - p + 1;
	uint64_t pin = vm_kb("VmPin"), out = 0;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);
	struct ioasid_unmap cmd = { .ioasid = self->id, .length = 2 * p };
	unsigned int bit;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, 0));
	EXPECT_EQ(EINVAL, unmap_range(self->fd, self->id, 0, 0, &out));
	EXPECT_EQ(EINVAL, unmap_range(self->fd, self->id, 1, 2 * p, &out));
	EXPECT_EQ(EINVAL, unmap_range(self->fd, self->id, 0, 2 * p + 1, &out));
	EXPECT_EQ(EINVAL, unmap_range(self->fd, self->id, 0, p / 2, &out));
	EXPECT_EQ(EOVERFLOW, unmap_range(self->fd, self->id, top, 2 * p, &out));
	for (bit = 0; bit < 32; bit++) {
		cmd.flags = 1U << bit;
		if (cmd.flags & (IOASID_UNMAP_ALL | IOASID_UNMAP_DIRTY))
			continue;
		EXPECT_EQ(EOPNOTSUPP, do_unmap(self->fd, &cmd, &out))
			TH_LOG("bit %u", bit);
	}
	cmd.flags = 0;
	cmd.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, do_unmap(self->fd, &cmd, &out));
	EXPECT_EQ(pin + kb(2 * p), vm_kb("VmPin"));

	/* The answer cannot be written, but it comes after the unmap. */
	EXPECT_EQ(EFAULT, unmap_read_only(self->fd, self->id, 0, 2 * p));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(ENOENT, unmap_range(self->fd, self->id, 0, 2 * p, &out));
	munmap(buf, 2 * p);
}

static void expect_one_range(struct __test_metadata *_metadata, int fd,
			     uint32_t id, uint64_t start, uint64_t last)
{
	struct ioasid_iova_range out[2];
	uint32_t num = 2;

	ASSERT_EQ(0, get_ranges(fd, id, out, &num, NULL));
	ASSERT_EQ(1U, num);
	EXPECT_EQ(start, out[0].start);
	EXPECT_EQ(last, out[0].last);
}

/* The allowed ranges cannot shrink away from a mapping. */
TEST_F(map, allowed_ranges_keep_mappings)
{
	const uint64_t p = self->page, at = 4 * SZ_2M;
	const struct ioasid_iova_range below[] = { { 0, SZ_2M - 1 } };
	const struct ioasid_iova_range part[] = { { at + p, 2 * at - 1 } };
	const struct ioasid_iova_range both[] = {
		{ 0, SZ_2M - 1 }, { at, at + 2 * p - 1 },
	};
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, at));
	EXPECT_EQ(EADDRINUSE, set_allowed(self->fd, self->id, below, 1));
	EXPECT_EQ(EADDRINUSE, set_allowed(self->fd, self->id, part, 1));
	EXPECT_EQ(EADDRINUSE, set_allowed(self->fd, self->id, NULL, 0));
	expect_one_range(_metadata, self->fd, self->id, 0, UINT64_MAX);

	EXPECT_EQ(0, set_allowed(self->fd, self->id, both, 2));
	EXPECT_EQ(EADDRINUSE, set_allowed(self->fd, self->id, below, 1));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, at, 2 * p, NULL));
	EXPECT_EQ(0, set_allowed(self->fd, self->id, below, 1));
	expect_one_range(_metadata, self->fd, self->id, 0, SZ_2M - 1);
	munmap(buf, 2 * p);
}

TEST_F(map, copy_whole_mapping)
{
	const uint64_t p = self->page;
	uint64_t pin, out = 0, iova;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, false);
	uint32_t id2;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 4 * p, 0));
	pin = vm_kb("VmPin");

	/* The kernel-chosen IOVA comes back, and nothing is charged again. */
	ASSERT_EQ(0, copy_any(self->fd, id2, self->id, 0, 4 * p, &iova));
	EXPECT_EQ(0ULL, iova);
	ASSERT_EQ(0, copy_any(self->fd, self->id, self->id, 0, 4 * p, &iova));
	EXPECT_EQ(4 * p, iova);
	EXPECT_EQ(pin, vm_kb("VmPin"));

	EXPECT_EQ(0, unmap_all(self->fd, id2, &out));
	EXPECT_EQ(4 * p, out);
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(8 * p, out);
	EXPECT_EQ(pin - kb(4 * p), vm_kb("VmPin"));
	munmap(buf, 4 * p);
}

TEST_F(map, copy_part_of_mapping)
{
	const uint64_t p = self->page;
	uint64_t pin, out = 0, iova;
	uint8_t *buf = alloc_buf(8 * p, 0xa5, false);
	uint32_t id2;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 8 * p, 0));
	pin = vm_kb("VmPin");

	ASSERT_EQ(0, copy_fixed(self->fd, id2, self->id, 2 * p, 3 * p, 32 * p));
	ASSERT_EQ(0, copy_any(self->fd, id2, self->id, 7 * p, p, &iova));
	EXPECT_EQ(0ULL, iova);
	ASSERT_EQ(0, copy_any(self->fd, self->id, self->id, p, p, &iova));
	EXPECT_EQ(8 * p, iova);
	EXPECT_EQ(pin, vm_kb("VmPin"));

	/* Each copy is a mapping of its own, of just the part copied. */
	EXPECT_EQ(ERANGE, unmap_range(self->fd, id2, 32 * p, p, &out));
	EXPECT_EQ(0, unmap_range(self->fd, id2, 32 * p, 3 * p, &out));
	EXPECT_EQ(3 * p, out);
	EXPECT_EQ(0, unmap_range(self->fd, self->id, 8 * p, p, &out));
	EXPECT_EQ(p, out);
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(8 * p, out);
	EXPECT_EQ(0, unmap_all(self->fd, id2, &out));
	EXPECT_EQ(p, out);
	EXPECT_EQ(pin - kb(8 * p), vm_kb("VmPin"));
	munmap(buf, 8 * p);
}

TEST_F(map, copy_outlives_source)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), out = 0;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, false);
	uint32_t id2, id3;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 4 * p, 0));
	ASSERT_EQ(0, copy_fixed(self->fd, id2, self->id, 0, 4 * p, 0));
	EXPECT_EQ(0, unmap_range(self->fd, self->id, 0, 4 * p, &out));
	EXPECT_EQ(4 * p, out);
	EXPECT_EQ(pin + kb(4 * p), vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_range(self->fd, id2, 0, 4 * p, &out));
	EXPECT_EQ(4 * p, out);
	EXPECT_EQ(pin, vm_kb("VmPin"));

	/* The same when the source goes with its IOASID. */
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id3));
	ASSERT_EQ(0, map_fixed(self->fd, id3, buf, 4 * p, 0));
	ASSERT_EQ(0, copy_fixed(self->fd, id2, id3, 0, 4 * p, 0));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id3));
	EXPECT_EQ(pin + kb(4 * p), vm_kb("VmPin"));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	munmap(buf, 4 * p);
}

TEST_F(map, copy_source_not_one_mapping)
{
	const uint64_t p = self->page;
	uint64_t pin, out = 1, iova;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, false);
	uint32_t id2;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, 0));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf + 2 * p, 2 * p, 2 * p));
	pin = vm_kb("VmPin");

	/* Two adjacent mappings are still two mappings. */
	EXPECT_EQ(ENOENT, copy_any(self->fd, id2, self->id, p, 2 * p, &iova));
	EXPECT_EQ(ENOENT, copy_any(self->fd, id2, self->id, 0, 4 * p, &iova));
	/* Running off the end, or nothing mapped at all. */
	EXPECT_EQ(ENOENT, copy_any(self->fd, id2, self->id, 3 * p, 2 * p,
				   &iova));
	EXPECT_EQ(ENOENT, copy_any(self->fd, id2, self->id, 4 * p, p, &iova));
	EXPECT_EQ(ENOENT, copy_any(self->fd, self->id, id2, 0, p, &iova));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_all(self->fd, id2, &out));
	EXPECT_EQ(0ULL, out);
	munmap(buf, 4 * p);
}

TEST_F(map, copy_write_of_read_only)
{
	const uint64_t p = self->page;
	uint64_t pin, out = 0;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);
	struct ioasid_map map = {
		.flags = IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA,
		.ioasid = self->id,
		.length = 2 * p,
	};
	struct ioasid_copy cmd = {
		.dst_ioasid = self->id,
		.src_ioasid = self->id,
		.length = 2 * p,
	};

	ASSERT_NE(NULL, buf);
	map.user_va = (uintptr_t)buf;
	ASSERT_EQ(0, do_map(self->fd, &map));
	pin = vm_kb("VmPin");

	cmd.flags = IOASID_MAP_WRITE;
	EXPECT_EQ(EPERM, do_copy(self->fd, &cmd));
	cmd.flags = MAP_RW;
	EXPECT_EQ(EPERM, do_copy(self->fd, &cmd));
	cmd.flags = IOASID_MAP_READ;
	ASSERT_EQ(0, do_copy(self->fd, &cmd));
	EXPECT_EQ(2 * p, cmd.dst_iova);
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(4 * p, out);
	munmap(buf, 2 * p);
}

TEST_F(map, copy_placement)
{
	const uint64_t p = self->page;
	const struct ioasid_iova_range allowed[] = { { 0, 16 * p - 1 } };
	uint64_t pin, iova;
	uint8_t *buf = alloc_buf(6 * p, 0xa5, false);
	uint32_t id2;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 4 * p, 0));
	ASSERT_EQ(0, map_fixed(self->fd, id2, buf + 4 * p, 2 * p, 8 * p));
	pin = vm_kb("VmPin");

	EXPECT_EQ(EADDRINUSE, copy_fixed(self->fd, id2, self->id, 0, 4 * p,
					 6 * p));
	EXPECT_EQ(EADDRINUSE, copy_fixed(self->fd, id2, self->id, 0, 4 * p,
					 9 * p));
	EXPECT_EQ(EADDRINUSE, copy_fixed(self->fd, self->id, self->id, 0,
					 4 * p, 2 * p));
	/* The holes below the mapping at 8 pages fill first. */
	ASSERT_EQ(0, copy_any(self->fd, id2, self->id, 0, 4 * p, &iova));
	EXPECT_EQ(0ULL, iova);
	ASSERT_EQ(0, copy_any(self->fd, id2, self->id, 0, 4 * p, &iova));
	EXPECT_EQ(4 * p, iova);
	ASSERT_EQ(0, copy_any(self->fd, id2, self->id, 0, 4 * p, &iova));
	EXPECT_EQ(10 * p, iova);

	ASSERT_EQ(0, set_allowed(self->fd, id2, allowed, 1));
	EXPECT_EQ(EADDRNOTAVAIL, copy_fixed(self->fd, id2, self->id, 0,
					    4 * p, 14 * p));
	EXPECT_EQ(ENOSPC, copy_any(self->fd, id2, self->id, 0, 4 * p, &iova));
	ASSERT_EQ(0, copy_fixed(self->fd, id2, self->id, 0, 2 * p, 14 * p));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	munmap(buf, 6 * p);
}

TEST_F(map, copy_alignment)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(p, 0xa5, false);
	struct ioasid_copy cmd = {
		.flags = MAP_RW,
		.dst_ioasid = self->id,
		.src_ioasid = self->id,
		.length = p,
		.alignment = SZ_2M,
	};

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, 0));
	ASSERT_EQ(0, do_copy(self->fd, &cmd));
	EXPECT_EQ(SZ_2M, cmd.dst_iova);
	ASSERT_EQ(0, do_copy(self->fd, &cmd));
	EXPECT_EQ(2 * SZ_2M, cmd.dst_iova);

	cmd.alignment = 3 * p;
	EXPECT_EQ(EINVAL, do_copy(self->fd, &cmd));
	cmd.alignment = p;
	cmd.flags = MAP_RW | IOASID_MAP_FIXED_IOVA;
	cmd.dst_iova = 8 * p;
	EXPECT_EQ(EINVAL, do_copy(self->fd, &cmd));
	munmap(buf, p);
}

TEST_F(map, copy_bad_input)
{
	const uint64_t p = self->page, top = UINT64_MAX - p + 1;
	uint64_t pin, out = 0;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);
	struct ioasid_copy cmd = {
		.flags = MAP_RW | IOASID_MAP_FIXED_IOVA,
		.dst_ioasid = self->id,
		.src_ioasid = self->id,
		.length = p,
		.dst_iova = 8 * p,
	};
	unsigned int bit;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, 0));
	pin = vm_kb("VmPin");

	cmd.flags = IOASID_MAP_FIXED_IOVA;
	EXPECT_EQ(EINVAL, do_copy(self->fd, &cmd));
	for (bit = 3; bit < 32; bit++) {
		cmd.flags = MAP_RW | IOASID_MAP_FIXED_IOVA | 1U << bit;
		EXPECT_EQ(EOPNOTSUPP, do_copy(self->fd, &cmd))
			TH_LOG("bit %u", bit);
	}
	/* Before the ids are looked up. */
	cmd.dst_ioasid = self->id + 100;
	cmd.src_ioasid = self->id + 100;
	EXPECT_EQ(EOPNOTSUPP, do_copy(self->fd, &cmd));
	cmd.dst_ioasid = self->id;
	cmd.src_ioasid = self->id;
	EXPECT_EQ(EINVAL, copy_fixed(self->fd, self->id, self->id, 0, 0,
				     8 * p));
	EXPECT_EQ(EINVAL, copy_fixed(self->fd, self->id, self->id, 1, p,
				     8 * p));
	EXPECT_EQ(EINVAL, copy_fixed(self->fd, self->id, self->id, 0, p + 1,
				     8 * p));
	EXPECT_EQ(EINVAL, copy_fixed(self->fd, self->id, self->id, 0, p,
				     8 * p + 1));
	EXPECT_EQ(EOVERFLOW, copy_fixed(self->fd, self->id, self->id, 0,
					2 * p, top));
	EXPECT_EQ(ENOENT, copy_fixed(self->fd, 0, self->id, 0, p, 8 * p));
	EXPECT_EQ(ENOENT, copy_fixed(self->fd, self->id + 1, self->id, 0, p,
				     8 * p));

	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(2 * p, out);
	munmap(buf, 2 * p);
}

TEST_F(map, destroy_with_mappings)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), iova;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, false);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, SZ_1M));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf + 2 * p, 2 * p, 0, &iova));
	EXPECT_EQ(pin + kb(4 * p), vm_kb("VmPin"));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->id));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(ENOENT, unmap_range(self->fd, self->id, SZ_1M, 2 * p, NULL));
	munmap(buf, 4 * p);
}

TEST_F(map, close_with_mappings)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), lck = vm_kb("VmLck"), iova;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, false);
	uint32_t a, b;
	int fd;

	ASSERT_NE(NULL, buf);
	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioasid_alloc(fd, &a));
	ASSERT_EQ(0, ioasid_alloc(fd, &b));
	ASSERT_EQ(0, map_any(fd, a, buf, 4 * p, 0, &iova));
	ASSERT_EQ(0, copy_any(fd, b, a, iova, 4 * p, &iova));
	ASSERT_EQ(0, map_any(fd, b, buf, 2 * p, 0, &iova));
	EXPECT_EQ(pin + kb(6 * p), vm_kb("VmPin"));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(pin, vm_kb("VmPin"));

	/* The other charge is returned on close as well. */
	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_accounting(fd, IOASID_ACCOUNT_PROCESS));
	ASSERT_EQ(0, ioasid_alloc(fd, &a));
	ASSERT_EQ(0, map_any(fd, a, buf, 4 * p, 0, &iova));
	EXPECT_EQ(lck + kb(4 * p), vm_kb("VmLck"));
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(lck, vm_kb("VmLck"));
	EXPECT_EQ(pin, vm_kb("VmPin"));
	munmap(buf, 4 * p);
}

TEST_F(map, option_accounting)
{
	const uint64_t p = self->page;
	uint64_t pin = vm_kb("VmPin"), lck = vm_kb("VmLck"), mode = 99, iova;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, false);
	int other;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, get_accounting(self->fd, &mode));
	EXPECT_EQ((uint64_t)IOASID_ACCOUNT_USER, mode);
	ASSERT_EQ(0, set_accounting(self->fd, IOASID_ACCOUNT_PROCESS));
	ASSERT_EQ(0, get_accounting(self->fd, &mode));
	EXPECT_EQ((uint64_t)IOASID_ACCOUNT_PROCESS, mode);

	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 4 * p, 0, &iova));
	EXPECT_EQ(lck + kb(4 * p), vm_kb("VmLck"));
	EXPECT_EQ(pin, vm_kb("VmPin"));

	/* The option is the file's: a new one starts with the default. */
	other = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, get_accounting(other, &mode));
	EXPECT_EQ((uint64_t)IOASID_ACCOUNT_USER, mode);
	close(other);

	EXPECT_EQ(0, unmap_range(self->fd, self->id, iova, 4 * p, NULL));
	EXPECT_EQ(lck, vm_kb("VmLck"));

	/* And back, now that nothing is pinned. */
	ASSERT_EQ(0, set_accounting(self->fd, IOASID_ACCOUNT_USER));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 4 * p, 0, &iova));
	EXPECT_EQ(pin + kb(4 * p), vm_kb("VmPin"));
	EXPECT_EQ(lck, vm_kb("VmLck"));
	munmap(buf, 4 * p);
}

/* The mode cannot change while anything the file pinned is still pinned. */
TEST_F(map, option_busy_while_pinned)
{
	const uint64_t p = self->page;
	uint64_t mode = 99, iova;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, false);
	uint32_t id2;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, 0));
	EXPECT_EQ(EBUSY, set_accounting(self->fd, IOASID_ACCOUNT_PROCESS));
	ASSERT_EQ(0, get_accounting(self->fd, &mode));
	EXPECT_EQ((uint64_t)IOASID_ACCOUNT_USER, mode);
	/* Setting the mode it already has is no change. */
	EXPECT_EQ(0, set_accounting(self->fd, IOASID_ACCOUNT_USER));

	/* A copy keeps the pages pinned after the source is gone. */
	ASSERT_EQ(0, copy_any(self->fd, id2, self->id, 0, 2 * p, &iova));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, 0, 2 * p, NULL));
	EXPECT_EQ(EBUSY, set_accounting(self->fd, IOASID_ACCOUNT_PROCESS));
	ASSERT_EQ(0, unmap_range(self->fd, id2, iova, 2 * p, NULL));
	EXPECT_EQ(0, set_accounting(self->fd, IOASID_ACCOUNT_PROCESS));

	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, 0));
	EXPECT_EQ(EBUSY, set_accounting(self->fd, IOASID_ACCOUNT_USER));
	ASSERT_EQ(0, get_accounting(self->fd, &mode));
	EXPECT_EQ((uint64_t)IOASID_ACCOUNT_PROCESS, mode);
	munmap(buf, 2 * p);
}

TEST_F(map, option_bad_input)
{
	struct ioasid_option cmd = {
		.op = IOASID_OPTION_GET,
		.option = IOASID_OPTION_ACCOUNTING,
	};
	uint64_t mode = 99;

	cmd.op = 2;
	EXPECT_EQ(EOPNOTSUPP, do_option(self->fd, &cmd));
	cmd.op = UINT32_MAX;
	EXPECT_EQ(EOPNOTSUPP, do_option(self->fd, &cmd));
	cmd.op = IOASID_OPTION_GET;
	cmd.option = 0;
	EXPECT_EQ(EOPNOTSUPP, do_option(self->fd, &cmd));
	cmd.option = IOASID_OPTION_DIRTY_TRACKING + 1;
	EXPECT_EQ(EOPNOTSUPP, do_option(self->fd, &cmd));

	/* Accounting is an option of the file, not of an object. */
	cmd.option = IOASID_OPTION_ACCOUNTING;
	cmd.object_id = self->id;
	EXPECT_EQ(EINVAL, do_option(self->fd, &cmd));
	cmd.op = IOASID_OPTION_SET;
	cmd.value = IOASID_ACCOUNT_PROCESS;
	EXPECT_EQ(EINVAL, do_option(self->fd, &cmd));

	EXPECT_EQ(EINVAL, set_accounting(self->fd, IOASID_ACCOUNT_PROCESS + 1));
	EXPECT_EQ(EINVAL, set_accounting(self->fd, UINT64_MAX));
	ASSERT_EQ(0, get_accounting(self->fd, &mode));
	EXPECT_EQ((uint64_t)IOASID_ACCOUNT_USER, mode);
}

static int child_fail(const char *what, int err)
{
	fprintf(stderr, "# child: %s%s%s\n", what, err ? ": " : "",
		err ? strerror(err) : "");
	return 1;
}

/*
 * Runs as nobody, without CAP_IPC_LOCK, so RLIMIT_MEMLOCK applies.  The
 * file is opened after the switch so that it belongs to nobody.
 */
static int memlock_child(uint64_t accounting, const char *counter)
{
	const struct rlimit limit = { MEMLOCK_LIMIT, MEMLOCK_LIMIT };
	const uint64_t half = MEMLOCK_LIMIT / 2;
	uint8_t *buf = alloc_buf(2 * MEMLOCK_LIMIT, 0xa5, false);
	uint64_t start, iova;
	uint32_t id;
	int fd, ret;

	if (!buf)
		return child_fail("allocating", errno);
	/* The group first: setgid() needs the capabilities setuid() drops. */
	if (setrlimit(RLIMIT_MEMLOCK, &limit) || setgid(NOBODY) ||
	    setuid(NOBODY))
		return child_fail("becoming nobody", errno);
	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return child_fail("opening /dev/ioasid", errno);
	ret = set_accounting(fd, accounting);
	if (!ret)
		ret = ioasid_alloc(fd, &id);
	if (ret)
		return child_fail("setting up", ret);

	start = vm_kb(counter);
	ret = map_any(fd, id, buf, half, 0, &iova);
	if (ret)
		return child_fail("mapping half the limit", ret);
	ret = map_any(fd, id, buf + half, MEMLOCK_LIMIT, 0, &iova);
	if (ret != ENOMEM)
		return child_fail("mapping past the limit, expected ENOMEM",
				  ret);
	if (vm_kb(counter) != start + kb(half))
		return child_fail("the refused map changed the charge", 0);
	/* Reaching the limit is not exceeding it. */
	ret = map_any(fd, id, buf + half, half, 0, &iova);
	if (ret)
		return child_fail("mapping up to the limit", ret);
	if (vm_kb(counter) != start + kb(MEMLOCK_LIMIT))
		return child_fail("the charge is not the whole limit", 0);
	close(fd);
	munmap(buf, 2 * MEMLOCK_LIMIT);
	return 0;
}

/* The child's exit status: 0 when every step went as expected. */
static int run_memlock_child(uint64_t accounting, const char *counter)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid)
		_exit(memlock_child(accounting, counter));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(map, memlock_limit_user)
{
	EXPECT_EQ(0, run_memlock_child(IOASID_ACCOUNT_USER, "VmPin"));
}

TEST_F(map, memlock_limit_process)
{
	EXPECT_EQ(0, run_memlock_child(IOASID_ACCOUNT_PROCESS, "VmLck"));
}

TEST_HARNESS_MAIN
