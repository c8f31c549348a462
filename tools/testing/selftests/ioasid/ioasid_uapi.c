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

/*
 * What the documentation promises where a reader could guess either way;
 * each test pins one answer of include/uapi/linux/ioasid.h.
 */
static int doc_alloc(int fd, uint32_t *id)
{
	struct ioasid_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(fd, IOASID_ALLOC, &cmd))
		return errno;
	*id = cmd.out_ioasid;
	return 0;
}

static int doc_map(int fd, uint32_t id, uint32_t flags, void *va,
		   uint64_t len, uint64_t iova, uint64_t alignment)
{
	struct ioasid_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioasid = id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
		.alignment = alignment,
	};

	return ioctl(fd, IOASID_MAP, &cmd) ? errno : 0;
}

static int doc_destroy(int fd, uint32_t id)
{
	struct ioasid_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOASID_DESTROY, &cmd) ? errno : 0;
}

/* The PFN /proc/self/pagemap shows at @va, or 0 when none is present. */
static uint64_t doc_pfn(const void *va, long page_size)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent),
		  (uintptr_t)va / page_size * sizeof(ent)) != sizeof(ent))
		ent = 0;
	close(fd);
	return ent & (1ULL << 63) ? ent & ((1ULL << 55) - 1) : 0;
}

/*
 * IOASID_IOVA_RANGES with num_ranges 0 and no array asks for the count:
 * EMSGSIZE when there is any range, with the count and the alignment
 * written all the same; with no usable range it succeeds.
 */
TEST_F(ioasid_fd, doc_iova_ranges_count_only)
{
	struct ioasid_set_allowed_ranges none = { .size = sizeof(none) };
	struct ioasid_iova_ranges cmd = { .size = sizeof(cmd) };
	uint32_t id = 0;

	ASSERT_EQ(0, doc_alloc(self->fd, &id));
	cmd.ioasid = id;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_IOVA_RANGES, &cmd));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(1, cmd.num_ranges);
	EXPECT_EQ(self->page_size, cmd.out_iova_alignment);

	none.ioasid = id;
	ASSERT_EQ(0, ioctl(self->fd, IOASID_SET_ALLOWED_RANGES, &none));
	cmd.num_ranges = 0;
	cmd.out_iova_alignment = 0;
	EXPECT_EQ(0, ioctl(self->fd, IOASID_IOVA_RANGES, &cmd));
	EXPECT_EQ(0, cmd.num_ranges);
	EXPECT_EQ(self->page_size, cmd.out_iova_alignment);
}

/* Mappings do not make an IOASID busy: DESTROY unmaps them. */
TEST_F(ioasid_fd, doc_destroy_with_mappings)
{
	uint8_t *buf = mmap(NULL, self->page_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t id = 0;

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, doc_alloc(self->fd, &id));
	ASSERT_EQ(0, doc_map(self->fd, id, IOASID_MAP_READ | IOASID_MAP_WRITE,
			     buf, self->page_size, 0, 0));
	EXPECT_EQ(0, doc_destroy(self->fd, id));
	EXPECT_EQ(ENOENT, doc_destroy(self->fd, id));
	munmap(buf, self->page_size);
}

/*
 * MAP's EINVAL cases for placement: an alignment with a fixed IOVA, an
 * alignment that is not a power of two; 0 means the IOVA alignment.
 */
TEST_F(ioasid_fd, doc_map_alignment_rules)
{
	const uint32_t rw = IOASID_MAP_READ | IOASID_MAP_WRITE;
	uint8_t *buf = mmap(NULL, self->page_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t id = 0;

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, doc_alloc(self->fd, &id));
	EXPECT_EQ(EINVAL, doc_map(self->fd, id, rw | IOASID_MAP_FIXED_IOVA,
				  buf, self->page_size, 0, self->page_size));
	EXPECT_EQ(EINVAL, doc_map(self->fd, id, rw, buf, self->page_size, 0,
				  3 * self->page_size));
	EXPECT_EQ(0, doc_map(self->fd, id, rw, buf, self->page_size, 0, 0));
	EXPECT_EQ(0, doc_destroy(self->fd, id));
	munmap(buf, self->page_size);
}

/*
 * Memory the caller never touched is pinned as it would be after a
 * fault: no EFAULT.  Mapped READ-only, a private anonymous page is not
 * the shared zero page but a page of its own, so what the CPU writes
 * later is what devices read; memory that cannot be pinned, here
 * PROT_NONE, is EFAULT.
 */
TEST_F(ioasid_fd, doc_map_untouched_memory)
{
	uint8_t *buf = mmap(NULL, 3 * self->page_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t zero_pfn, pfn;
	uint32_t id = 0;

	ASSERT_NE(MAP_FAILED, buf);
	if (geteuid())
		SKIP(return, "reading PFNs from pagemap needs root");
	/* A read fault of a private anonymous page maps the zero page. */
	ASSERT_EQ(0, buf[self->page_size]);
	zero_pfn = doc_pfn(buf + self->page_size, self->page_size);
	ASSERT_NE(0, zero_pfn);
	ASSERT_EQ(0, mprotect(buf + 2 * self->page_size, self->page_size,
			      PROT_NONE));

	ASSERT_EQ(0, doc_alloc(self->fd, &id));
	ASSERT_EQ(0, doc_map(self->fd, id, IOASID_MAP_READ, buf,
			     self->page_size, 0, 0));
	pfn = doc_pfn(buf, self->page_size);
	EXPECT_NE(0, pfn);
	EXPECT_NE(zero_pfn, pfn);
	buf[0] = 0xa5;	/* no copy on write: the pinned page is written */
	EXPECT_EQ(pfn, doc_pfn(buf, self->page_size));

	EXPECT_EQ(EFAULT, doc_map(self->fd, id, IOASID_MAP_READ,
				  buf + 2 * self->page_size, self->page_size,
				  0, 0));
	EXPECT_EQ(0, doc_destroy(self->fd, id));
	munmap(buf, 3 * self->page_size);
}

TEST_HARNESS_MAIN
