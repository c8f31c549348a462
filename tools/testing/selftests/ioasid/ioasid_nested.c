// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nested IOASIDs: a stage-1 table in this process's memory, which the
 * mock IOMMU walks through the mappings of the parent IOASID, caches
 * until IOASID_INVALIDATE, and faults in at either stage.  QEMU 7.2's
 * IOMMUs expose no nesting, so every device here is a mock device, and
 * the table is in the mock's format (ioasid_test.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include "ioasid_utils.h"
#include "ioasid_views.h"
#include "../kselftest_harness.h"

#define S1_PAGE		4096ULL
/* Where the parent maps the stage-1 table, and the pages it points at. */
#define TABLE_IOVA	(8 * SZ_2M)
#define DATA_IOVA	(16 * SZ_2M)
#define DATA_PAGES	8
#define TABLE_ENTRIES	512
#define S1_RW		(IOASID_MOCK_S1_PRESENT | IOASID_MOCK_S1_READ | \
			 IOASID_MOCK_S1_WRITE)

/* IOASID_ALLOC of a nested IOASID with @flags, and fault queue @queue. */
static int alloc_nested_as(int fd, uint32_t flags, uint32_t parent,
			   uint32_t dev_id, uint32_t format, const void *data,
			   uint32_t len, uint32_t queue, uint32_t *id)
{
	struct ioasid_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.parent = parent,
		.dev_id = dev_id,
		.format = format,
		.data_len = len,
		.data = (uintptr_t)data,
		.fault_queue = queue,
	};
	int ret = ioctl(fd, IOASID_ALLOC, &cmd) ? errno : 0;

	*id = ret ? 0 : cmd.out_ioasid;
	return ret;
}

static int alloc_nested(int fd, uint32_t parent, uint32_t dev_id,
			uint32_t format, const void *data, uint32_t len,
			uint32_t *id)
{
	return alloc_nested_as(fd, IOASID_ALLOC_NESTED, parent, dev_id, format,
			       data, len, 0, id);
}

static int alloc_mock_nested(int fd, uint32_t parent, uint32_t dev_id,
			     uint64_t table, uint32_t entries, uint32_t *id)
{
	struct ioasid_mock_s1 s1 = { .table = table, .entries = entries };

	return alloc_nested(fd, parent, dev_id, IOASID_NEST_FORMAT_MOCK, &s1,
			    sizeof(s1), id);
}

/* IOASID_INVALIDATE of @num entries of @len bytes; *@done, entries done. */
static int invalidate(int fd, uint32_t id, const void *entries, uint32_t len,
		      uint32_t num, uint32_t *done)
{
	struct ioasid_invalidate cmd = {
		.size = sizeof(cmd),
		.ioasid = id,
		.entry_len = len,
		.entry_num = num,
		.entries = (uintptr_t)entries,
	};
	int ret = ioctl(fd, IOASID_INVALIDATE, &cmd) ? errno : 0;

	if (done)
		*done = cmd.entry_num;
	return ret;
}

static int invalidate_page(int fd, uint32_t id, uint64_t iova)
{
	struct ioasid_mock_s1_invalidate inv = { .iova = iova, .npages = 1 };
	uint32_t done;
	int ret = invalidate(fd, id, &inv, sizeof(inv), 1, &done);

	return ret ?: (done == 1 ? 0 : EPROTO);
}

/* A mock device with @flags and @pasid_bits; *@dev_id is its binding's. */
static int nest_device(int fd, uint32_t flags, uint32_t pasid_bits,
		       uint32_t *id, uint32_t *dev_id)
{
	struct ioasid_test cmd = {
		.mock_device.flags = flags,
		.mock_device.pasid_bits = pasid_bits,
	};
	int ret = do_mock_device(fd, &cmd, id);

	*dev_id = ret ? 0 : cmd.mock_device.out_dev_id;
	return ret;
}

/*
 * Maps at TABLE_IOVA of @parent a stage-1 table, in *@table, and at
 * DATA_IOVA DATA_PAGES pages of data, in *@data, each filled with its
 * number; entry N of the table points at data page N, but for entry @hole
 * (-1 for none), which is not present.
 */
static int map_nest_tables(int fd, uint32_t parent, int hole,
			   uint64_t **table, uint8_t **data)
{
	int i, ret;

	*table = alloc_buf(S1_PAGE, 0, true);
	*data = alloc_buf(DATA_PAGES * S1_PAGE, 0, true);
	if (!*table || !*data)
		return ENOMEM;
	for (i = 0; i < DATA_PAGES; i++) {
		memset(*data + i * S1_PAGE, i, S1_PAGE);
		if (i != hole)
			(*table)[i] = (DATA_IOVA + i * S1_PAGE) | S1_RW;
	}
	ret = map_fixed(fd, parent, *table, S1_PAGE, TABLE_IOVA);
	return ret ?: map_fixed(fd, parent, *data, DATA_PAGES * S1_PAGE,
				DATA_IOVA);
}

FIXTURE(nested) {
	int fd;
	long page;
	uint32_t parent;
	uint32_t dev;
	uint32_t dev_id;
	uint32_t nested;
	uint64_t *table;
	uint8_t *data;
};

/*
 * A parent IOASID that maps a stage-1 table and DATA_PAGES pages of
 * data, each filled with its number, and a nested IOASID on it whose
 * entry N points at data page N; no device attached yet.
 */
FIXTURE_SETUP(nested)
{
	self->page = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(S1_PAGE, self->page);
	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &self->parent));
	ASSERT_EQ(0, nest_device(self->fd, 0, IOASID_MOCK_PASID_BITS,
				 &self->dev, &self->dev_id));
	ASSERT_EQ(0, map_nest_tables(self->fd, self->parent, -1, &self->table,
				     &self->data));
	ASSERT_EQ(0, alloc_mock_nested(self->fd, self->parent, self->dev_id,
				       TABLE_IOVA, TABLE_ENTRIES,
				       &self->nested));
}

FIXTURE_TEARDOWN(nested)
{
	close(self->fd);
	munmap(self->table, self->page);
	munmap(self->data, DATA_PAGES * self->page);
}

/* The byte the device reads at stage-1 @iova, or -errno. */
static int read_byte(FIXTURE_DATA(nested) *self, uint32_t pasid,
		     uint64_t iova)
{
	uint32_t stage;
	uint8_t byte;
	int ret = do_dma_stage(self->fd, self->dev, pasid, iova, &byte, 1, 0,
			       NULL, &stage);

	return ret ? -ret : byte;
}

TEST_F(nested, device_info_names_the_format)
{
	struct ioasid_device_info info = { .size = sizeof(info) };
	struct ioasid_device_info hw = { .size = sizeof(hw) };
	uint32_t other, other_dev_id;
	uint64_t report[2];

	ASSERT_EQ(0, device_info(self->fd, self->dev_id, &info));
	EXPECT_EQ(1ULL << IOASID_NEST_FORMAT_MOCK, info.out_nest_formats);
	/* The IOMMU's report of itself, read into a larger buffer... */
	memset(report, 0xa5, sizeof(report));
	hw.dev_id = self->dev_id;
	hw.hw_info_len = sizeof(report);
	hw.hw_info = (uintptr_t)report;
	ASSERT_EQ(0, ioctl(self->fd, IOASID_DEVICE_INFO, &hw));
	EXPECT_EQ((uint32_t)IOASID_HW_INFO_MOCK, hw.out_hw_info_type);
	EXPECT_EQ(sizeof(struct ioasid_mock_hw_info), hw.hw_info_len);
	EXPECT_EQ(1ULL << IOASID_NEST_FORMAT_MOCK, report[0]);
	EXPECT_EQ(0ULL, report[1]);
	/* ...a smaller one, none, one too large, one not there. */
	memset(report, 0xa5, sizeof(report));
	hw.hw_info_len = 4;
	ASSERT_EQ(0, ioctl(self->fd, IOASID_DEVICE_INFO, &hw));
	EXPECT_EQ(sizeof(struct ioasid_mock_hw_info), hw.hw_info_len);
	EXPECT_EQ(0xa5a5a5a500000000ULL |
		  (uint32_t)(1ULL << IOASID_NEST_FORMAT_MOCK), report[0]);
	hw.hw_info_len = 0;
	hw.hw_info = 0;
	ASSERT_EQ(0, ioctl(self->fd, IOASID_DEVICE_INFO, &hw));
	EXPECT_EQ(sizeof(struct ioasid_mock_hw_info), hw.hw_info_len);
	hw.hw_info_len = self->page + 1;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_DEVICE_INFO, &hw));
	EXPECT_EQ(E2BIG, errno);
	hw.hw_info_len = 8;
	hw.hw_info = 8;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_DEVICE_INFO, &hw));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, nest_device(self->fd, IOASID_MOCK_NO_NEST, 0, &other,
				 &other_dev_id));
	ASSERT_EQ(0, device_info(self->fd, other_dev_id, &info));
	EXPECT_EQ(0ULL, info.out_nest_formats);
}

TEST_F(nested, translates_through_both_stages)
{
	struct ioasid_device_info info = { .size = sizeof(info) };
	uint8_t buf[64];
	uint32_t stage;
	int i;

	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
	for (i = 0; i < DATA_PAGES; i++)
		EXPECT_EQ(i, read_byte(self, 0, i * S1_PAGE + 100));
	/* Stage 1 maps page 1 at page 5 as well. */
	self->table[5] = (DATA_IOVA + S1_PAGE) | S1_RW;
	ASSERT_EQ(0, invalidate_page(self->fd, self->nested, 5 * S1_PAGE));
	EXPECT_EQ(1, read_byte(self, 0, 5 * S1_PAGE));
	/* A write lands in the page both stages point at. */
	memset(buf, 0xab, sizeof(buf));
	ASSERT_EQ(0, do_dma_stage(self->fd, self->dev, 0, 5 * S1_PAGE + 8, buf,
				  sizeof(buf), 1, NULL, &stage));
	EXPECT_EQ(0xab, self->data[self->page + 8]);
	EXPECT_EQ(1, self->data[self->page + 7]);
	/* DEVICE_INFO names the nested IOASID as the one attached. */
	ASSERT_EQ(0, device_info(self->fd, self->dev_id, &info));
	EXPECT_EQ(self->nested, info.out_ioasid);
}

TEST_F(nested, stale_entries_until_invalidated)
{
	struct ioasid_mock_s1_invalidate all = {
		.flags = IOASID_MOCK_S1_INV_ALL,
	};
	uint32_t done;

	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
	EXPECT_EQ(2, read_byte(self, 0, 2 * S1_PAGE));
	EXPECT_EQ(3, read_byte(self, 0, 3 * S1_PAGE));
	self->table[2] = (DATA_IOVA + 6 * S1_PAGE) | S1_RW;
	self->table[3] = (DATA_IOVA + 7 * S1_PAGE) | S1_RW;
	/* The IOMMU goes on using what it cached. */
	EXPECT_EQ(2, read_byte(self, 0, 2 * S1_PAGE));
	EXPECT_EQ(3, read_byte(self, 0, 3 * S1_PAGE));
	/* Invalidating entry 2 leaves 3 cached. */
	ASSERT_EQ(0, invalidate_page(self->fd, self->nested, 2 * S1_PAGE));
	EXPECT_EQ(6, read_byte(self, 0, 2 * S1_PAGE));
	EXPECT_EQ(3, read_byte(self, 0, 3 * S1_PAGE));
	ASSERT_EQ(0, invalidate(self->fd, self->nested, &all, sizeof(all), 1,
				&done));
	EXPECT_EQ(1U, done);
	EXPECT_EQ(7, read_byte(self, 0, 3 * S1_PAGE));
	/* A removed entry stays usable until invalidated, then faults. */
	self->table[3] = 0;
	EXPECT_EQ(7, read_byte(self, 0, 3 * S1_PAGE));
	ASSERT_EQ(0, invalidate_page(self->fd, self->nested, 3 * S1_PAGE));
	EXPECT_EQ(-EIO, read_byte(self, 0, 3 * S1_PAGE));
}

TEST_F(nested, faults_at_each_stage)
{
	uint64_t fault;
	uint32_t stage;
	uint8_t byte = 0;

	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
	/* Not present in stage 1, and past the table's end. */
	EXPECT_EQ(EIO, do_dma_stage(self->fd, self->dev, 0, 9 * S1_PAGE, &byte,
				    1, 0, &fault, &stage));
	EXPECT_EQ(1U, stage);
	EXPECT_EQ(9 * S1_PAGE, fault);
	EXPECT_EQ(EIO, do_dma_stage(self->fd, self->dev, 0,
				    TABLE_ENTRIES * S1_PAGE, &byte, 1, 0, NULL,
				    &stage));
	EXPECT_EQ(1U, stage);
	/* Stage 1 points where the parent maps nothing. */
	self->table[9] = (DATA_IOVA + DATA_PAGES * S1_PAGE) | S1_RW;
	EXPECT_EQ(EIO, do_dma_stage(self->fd, self->dev, 0, 9 * S1_PAGE, &byte,
				    1, 0, NULL, &stage));
	EXPECT_EQ(2U, stage);
	/* A write through a read-only stage-1 entry. */
	self->table[10] = DATA_IOVA | IOASID_MOCK_S1_PRESENT |
			  IOASID_MOCK_S1_READ;
	EXPECT_EQ(0, read_byte(self, 0, 10 * S1_PAGE));
	EXPECT_EQ(EIO, do_dma_stage(self->fd, self->dev, 0, 10 * S1_PAGE, &byte,
				    1, 1, NULL, &stage));
	EXPECT_EQ(1U, stage);
	/* A write through a read-only mapping of the parent. */
	ASSERT_EQ(0, unmap_range(self->fd, self->parent, DATA_IOVA,
				 DATA_PAGES * S1_PAGE, NULL));
	ASSERT_EQ(0, map_fixed_prot(self->fd, self->parent, self->data,
				    S1_PAGE, DATA_IOVA, IOASID_MAP_READ));
	EXPECT_EQ(EIO, do_dma_stage(self->fd, self->dev, 0, 0, &byte, 1, 1,
				    NULL, &stage));
	EXPECT_EQ(2U, stage);
	EXPECT_EQ(0, self->data[0]);
	/* The table itself unmapped from the parent: its walk faults. */
	ASSERT_EQ(0, unmap_range(self->fd, self->parent, TABLE_IOVA,
				 self->page, NULL));
	EXPECT_EQ(EIO, do_dma_stage(self->fd, self->dev, 0, 11 * S1_PAGE, &byte,
				    1, 0, NULL, &stage));
	EXPECT_EQ(2U, stage);
	/* What was cached before still translates, and reads page 0. */
	EXPECT_EQ(0, read_byte(self, 0, S1_PAGE - 1));
}

TEST_F(nested, refuses_bad_formats)
{
	struct ioasid_nest_vtd_s1 vtd = { .addr_width = 48 };
	struct ioasid_mock_s1 s1 = { .table = TABLE_IOVA, .entries = 1 };
	struct {
		struct ioasid_mock_s1 s1;
		uint64_t tail;
	} longer = { .s1 = s1, .tail = 1 };
	struct ioasid_alloc cmd = { .size = sizeof(cmd), .parent = 1 };
	uint32_t id, other, other_dev_id;

	EXPECT_EQ(EOPNOTSUPP, alloc_nested(self->fd, self->parent,
					   self->dev_id, 5, &s1, sizeof(s1),
					   &id));
	EXPECT_EQ(EOPNOTSUPP, alloc_nested(self->fd, self->parent,
					   self->dev_id,
					   IOASID_NEST_FORMAT_VTD_S1, &vtd,
					   sizeof(vtd), &id));
	ASSERT_EQ(0, nest_device(self->fd, IOASID_MOCK_NO_NEST, 0, &other,
				 &other_dev_id));
	EXPECT_EQ(EOPNOTSUPP, alloc_mock_nested(self->fd, self->parent,
						other_dev_id, TABLE_IOVA, 1,
						&id));
	EXPECT_EQ(EINVAL, alloc_mock_nested(self->fd, self->parent,
					    self->dev_id, TABLE_IOVA + 8, 1,
					    &id));
	EXPECT_EQ(EINVAL, alloc_mock_nested(self->fd, self->parent,
					    self->dev_id, TABLE_IOVA, 0, &id));
	EXPECT_EQ(EINVAL, alloc_mock_nested(self->fd, self->parent,
					    self->dev_id, TABLE_IOVA,
					    IOASID_MOCK_S1_MAX_ENTRIES + 1,
					    &id));
	s1.flags = 1;
	EXPECT_EQ(EOPNOTSUPP, alloc_nested(self->fd, self->parent,
					   self->dev_id,
					   IOASID_NEST_FORMAT_MOCK, &s1,
					   sizeof(s1), &id));
	s1.flags = 0;
	EXPECT_EQ(EINVAL, alloc_nested(self->fd, self->parent, self->dev_id,
				       IOASID_NEST_FORMAT_MOCK, &s1, 8, &id));
	EXPECT_EQ(E2BIG, alloc_nested(self->fd, self->parent, self->dev_id,
				      IOASID_NEST_FORMAT_MOCK, &longer,
				      sizeof(longer), &id));
	EXPECT_EQ(EFAULT, alloc_nested(self->fd, self->parent, self->dev_id,
				       IOASID_NEST_FORMAT_MOCK, (void *)8,
				       sizeof(s1), &id));
	/* A longer struct with a zero tail is the same struct. */
	longer.tail = 0;
	EXPECT_EQ(0, alloc_nested(self->fd, self->parent, self->dev_id,
				  IOASID_NEST_FORMAT_MOCK, &longer,
				  sizeof(longer), &id));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id));
	/* No nesting on a nested IOASID, nor for unknown ids. */
	EXPECT_EQ(ENOENT, alloc_mock_nested(self->fd, self->nested,
					    self->dev_id, TABLE_IOVA, 1, &id));
	EXPECT_EQ(ENOENT, alloc_mock_nested(self->fd, self->parent + 100,
					    self->dev_id, TABLE_IOVA, 1, &id));
	EXPECT_EQ(ENOENT, alloc_mock_nested(self->fd, self->parent,
					    self->dev_id + 100, TABLE_IOVA, 1,
					    &id));
	/* The mock device's object id is not its binding's. */
	EXPECT_EQ(ENOENT, alloc_mock_nested(self->fd, self->parent, self->dev,
					    TABLE_IOVA, 1, &id));
	/* Nesting fields without the flag, and unknown flags. */
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_ALLOC, &cmd));
	EXPECT_EQ(EINVAL, errno);
	cmd.parent = 0;
	cmd.flags = 1U << 31;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_ALLOC, &cmd));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

TEST_F(nested, lifetimes)
{
	struct ioasid_map map = {
		.size = sizeof(map),
		.flags = IOASID_MAP_FIXED_IOVA | MAP_RW,
		.ioasid = self->nested,
		.user_va = (uintptr_t)self->data,
		.length = self->page,
		.iova = 64 * SZ_2M,
	};
	uint32_t second;

	/* A nested IOASID has no mappings of its own. */
	EXPECT_EQ(ENOENT, do_map(self->fd, &map));
	EXPECT_EQ(ENOENT, unmap_all(self->fd, self->nested, NULL));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->parent));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->nested));
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->parent));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->nested));
	EXPECT_EQ(ENOENT, mock_attach(self->fd, self->dev, self->nested));
	/* A second nested IOASID reuses the parent's nesting table. */
	ASSERT_EQ(0, alloc_mock_nested(self->fd, self->parent, self->dev_id,
				       TABLE_IOVA, TABLE_ENTRIES, &second));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, second));
	EXPECT_EQ(4, read_byte(self, 0, 4 * S1_PAGE));
	/* The fd closes with the device attached: teardown frees it all. */
}

TEST_F(nested, moves_between_nested_and_plain)
{
	struct ioasid_device_info info = { .size = sizeof(info) };
	uint32_t second;
	uint64_t *table2 = alloc_buf(self->page, 0, true);

	ASSERT_NE(NULL, table2);
	table2[0] = (DATA_IOVA + 3 * S1_PAGE) | S1_RW;
	ASSERT_EQ(0, map_fixed(self->fd, self->parent, table2, self->page,
			       TABLE_IOVA + SZ_2M));
	ASSERT_EQ(0, alloc_mock_nested(self->fd, self->parent, self->dev_id,
				       TABLE_IOVA + SZ_2M, 1, &second));

	/* Plain: the device reaches the parent's IOVAs directly. */
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->parent));
	EXPECT_EQ(2, read_byte(self, 0, DATA_IOVA + 2 * S1_PAGE));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
	EXPECT_EQ(2, read_byte(self, 0, 2 * S1_PAGE));
	EXPECT_EQ(-EIO, read_byte(self, 0, DATA_IOVA + 2 * S1_PAGE));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, second));
	EXPECT_EQ(3, read_byte(self, 0, 0));
	EXPECT_EQ(-EIO, read_byte(self, 0, 2 * S1_PAGE));
	ASSERT_EQ(0, device_info(self->fd, self->dev_id, &info));
	EXPECT_EQ(second, info.out_ioasid);
	/* The one it left can go; the one it is on cannot. */
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->nested));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, second));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->parent));
	EXPECT_EQ(5, read_byte(self, 0, DATA_IOVA + 5 * S1_PAGE));
	EXPECT_EQ(0, ioasid_destroy(self->fd, second));
	munmap(table2, self->page);
}

TEST_F(nested, pasid_attaches_to_nested)
{
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->parent));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 7, self->nested));
	EXPECT_EQ(6, read_byte(self, 7, 6 * S1_PAGE));
	EXPECT_EQ(6, read_byte(self, 0, DATA_IOVA + 6 * S1_PAGE));
	EXPECT_EQ(-EIO, read_byte(self, 0, 6 * S1_PAGE));
	/* The PASID moves to the parent itself and back. */
	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 7, self->parent));
	EXPECT_EQ(6, read_byte(self, 7, DATA_IOVA + 6 * S1_PAGE));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 7, self->nested));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->nested));
	ASSERT_EQ(0, mock_detach_pasid(self->fd, self->dev, 7));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->nested));
}

TEST_F(nested, other_iommus_refused)
{
	uint32_t small, nonest, nonest_dev_id;

	/* Other page sizes need a table of their own: not this one. */
	ASSERT_EQ(0, mock_device_small_pages(self->fd, self->page, &small));
	EXPECT_EQ(EINVAL, mock_attach(self->fd, small, self->nested));
	EXPECT_EQ(0, mock_attach(self->fd, small, self->parent));
	ASSERT_EQ(0, nest_device(self->fd, IOASID_MOCK_NO_NEST, 0, &nonest,
				 &nonest_dev_id));
	EXPECT_EQ(EINVAL, mock_attach(self->fd, nonest, self->nested));
	/* The nested IOASID still works for its own device. */
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
	EXPECT_EQ(1, read_byte(self, 0, S1_PAGE));
}

/*
 * A device whose IOMMU cannot reach the parent's table that the first
 * nested IOASID nests on gets one of its own to nest on, and uses it.
 */
TEST_F(nested, other_page_sizes_nest_on_their_own_table)
{
	struct ioasid_test cmd = { .mock_device.pgsize_bitmap = S1_PAGE };
	struct view_fdinfo fi = {};
	uint32_t small, id;
	uint8_t byte = 0;
	uint32_t stage;

	ASSERT_EQ(0, do_mock_device(self->fd, &cmd, &small));
	ASSERT_EQ(0, alloc_mock_nested(self->fd, self->parent,
				       cmd.mock_device.out_dev_id, TABLE_IOVA,
				       TABLE_ENTRIES, &id));
	ASSERT_EQ(0, mock_attach(self->fd, small, id));
	ASSERT_EQ(0, do_dma_stage(self->fd, small, 0, 3 * S1_PAGE, &byte, 1,
				  0, NULL, &stage));
	EXPECT_EQ(3, byte);
	/* Each nested IOASID is on a table its device's IOMMU reaches. */
	EXPECT_EQ(EINVAL, mock_attach(self->fd, self->dev, id));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
	ASSERT_EQ(0, fdinfo_read(getpid(), self->fd, &fi));
	ASSERT_EQ(0, fdinfo_check(&fi)) TH_LOG("%s", fi.error);
	ASSERT_EQ(2U, fi.nr_nested);
	EXPECT_NE(fi.nested[0].table, fi.nested[1].table);
	ASSERT_NE(NULL, fdinfo_ioas(&fi, self->parent));
	EXPECT_EQ(2ULL, fdinfo_ioas(&fi, self->parent)->tables);
	fdinfo_free(&fi);
}

TEST_F(nested, parent_mappings_follow)
{
	uint8_t *more = alloc_buf(self->page, 0x5a, true);

	ASSERT_NE(NULL, more);
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
	self->table[20] = (32 * SZ_2M) | S1_RW;
	EXPECT_EQ(-EIO, read_byte(self, 0, 20 * S1_PAGE));
	/* A mapping the parent gains is in the table stage 1 nests on. */
	ASSERT_EQ(0, map_fixed(self->fd, self->parent, more, self->page,
			       32 * SZ_2M));
	EXPECT_EQ(0x5a, read_byte(self, 0, 20 * S1_PAGE));
	ASSERT_EQ(0, unmap_range(self->fd, self->parent, 32 * SZ_2M,
				 self->page, NULL));
	EXPECT_EQ(-EIO, read_byte(self, 0, 20 * S1_PAGE));
	munmap(more, self->page);
}

TEST_F(nested, writes_mark_the_parent_dirty)
{
	struct ioasid_option on = {
		.size = sizeof(on),
		.op = IOASID_OPTION_SET,
		.option = IOASID_OPTION_DIRTY_TRACKING,
		.object_id = self->parent,
		.value = 1,
	};
	uint64_t bitmap[1] = {};
	struct ioasid_dirty_read read = {
		.size = sizeof(read),
		.ioasid = self->parent,
		.iova = DATA_IOVA,
		.length = DATA_PAGES * S1_PAGE,
		.page_size = S1_PAGE,
		.bitmap = (uintptr_t)bitmap,
	};
	uint8_t byte = 1;
	uint32_t stage;

	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
	ASSERT_EQ(0, do_option(self->fd, &on));
	/* Stage-1 page 2 is the parent's page 2; page 5 points at 4. */
	self->table[5] = (DATA_IOVA + 4 * S1_PAGE) | S1_RW;
	ASSERT_EQ(0, invalidate_page(self->fd, self->nested, 5 * S1_PAGE));
	ASSERT_EQ(0, do_dma_stage(self->fd, self->dev, 0, 2 * S1_PAGE, &byte, 1,
				  1, NULL, &stage));
	ASSERT_EQ(0, do_dma_stage(self->fd, self->dev, 0, 5 * S1_PAGE, &byte, 1,
				  1, NULL, &stage));
	ASSERT_EQ(0, ioctl(self->fd, IOASID_DIRTY_READ, &read));
	EXPECT_EQ((1ULL << 2) | (1ULL << 4), bitmap[0]);
}

TEST_F(nested, fdinfo_shows_nesting)
{
	const struct view_device *dev;
	const struct view_table *table;
	struct view_fdinfo fi = {};

	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
	ASSERT_EQ(0, fdinfo_read(getpid(), self->fd, &fi));
	ASSERT_EQ(0, fdinfo_check(&fi)) TH_LOG("%s", fi.error);
	ASSERT_EQ(1U, fi.nr_nested);
	EXPECT_EQ(self->nested, fi.nested[0].id);
	EXPECT_EQ(self->parent, fi.nested[0].parent);
	EXPECT_EQ((uint32_t)IOASID_NEST_FORMAT_MOCK, fi.nested[0].format);
	/* The device names the nested IOASID, on the table it nests on. */
	ASSERT_EQ(1U, fi.nr_devices);
	dev = &fi.devices[0];
	EXPECT_EQ(self->dev_id, dev->id);
	EXPECT_EQ(self->nested, dev->ioas);
	EXPECT_EQ(fi.nested[0].table, dev->table);
	table = fdinfo_table(&fi, dev->table);
	ASSERT_NE(NULL, table);
	EXPECT_EQ(self->parent, table->ioas);
	EXPECT_EQ(1ULL, table->devices);
	fdinfo_free(&fi);
}

TEST_F(nested, invalidate_errors)
{
	struct ioasid_mock_s1_invalidate inv[3] = {
		{ .iova = 0, .npages = 1 },
		{ .iova = S1_PAGE, .npages = 1, .flags = 1U << 7 },
		{ .iova = 2 * S1_PAGE, .npages = 1 },
	};
	struct ioasid_invalidate cmd = {
		.size = sizeof(cmd),
		.ioasid = self->nested,
		.entry_len = sizeof(inv[0]),
		.entry_num = 1,
		.entries = (uintptr_t)inv,
	};
	uint32_t done;

	/* The second entry fails: the first was done, the third was not. */
	EXPECT_EQ(EOPNOTSUPP, invalidate(self->fd, self->nested, inv,
					 sizeof(inv[0]), 3, &done));
	EXPECT_EQ(1U, done);
	inv[1].flags = 0;
	inv[1].iova = S1_PAGE + 8;
	EXPECT_EQ(EINVAL, invalidate(self->fd, self->nested, inv,
				     sizeof(inv[0]), 3, &done));
	EXPECT_EQ(1U, done);
	inv[1].iova = S1_PAGE;
	inv[1].npages = 0;
	EXPECT_EQ(EINVAL, invalidate(self->fd, self->nested, inv,
				     sizeof(inv[0]), 3, &done));
	EXPECT_EQ(1U, done);
	inv[1].npages = 1;
	EXPECT_EQ(0, invalidate(self->fd, self->nested, inv, sizeof(inv[0]),
				3, &done));
	EXPECT_EQ(3U, done);
	/* Entries shorter than the format's first version, or longer. */
	EXPECT_EQ(EINVAL, invalidate(self->fd, self->nested, inv, 8, 1,
				     &done));
	EXPECT_EQ(0U, done);
	EXPECT_EQ(EINVAL, invalidate(self->fd, self->nested, inv,
				     sizeof(inv[0]) + 8, 1, &done));
	EXPECT_EQ(0U, done);
	EXPECT_EQ(EFAULT, invalidate(self->fd, self->nested, (void *)8,
				     sizeof(inv[0]), 1, &done));
	EXPECT_EQ(0U, done);
	EXPECT_EQ(0, invalidate(self->fd, self->nested, NULL, 0, 0, &done));
	EXPECT_EQ(0U, done);
	/* The call's own fields. */
	EXPECT_EQ(EINVAL, invalidate(self->fd, self->nested, inv,
				     sizeof(inv[0]), 4097, &done));
	EXPECT_EQ(E2BIG, invalidate(self->fd, self->nested, inv,
				    self->page + 1, 1, &done));
	EXPECT_EQ(ENOENT, invalidate(self->fd, self->parent, inv,
				     sizeof(inv[0]), 1, &done));
	EXPECT_EQ(ENOENT, invalidate(self->fd, self->nested + 100, inv,
				     sizeof(inv[0]), 1, &done));
	cmd.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_INVALIDATE, &cmd));
	EXPECT_EQ(EOPNOTSUPP, errno);
	cmd.flags = 0;
	cmd.__reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_INVALIDATE, &cmd));
	EXPECT_EQ(EOPNOTSUPP, errno);
}

/* Page requests through a nested IOASID, to a fault queue. */

#define HOLE		3	/* the stage-1 entry the table lacks at first */
#define WAIT_MS		5000
#define DEPTH		4

static int fault_queue_alloc(int fd, uint32_t depth, uint32_t record_len,
			     uint32_t *id, int *qfd)
{
	struct ioasid_fault_queue_alloc cmd = {
		.size = sizeof(cmd),
		.depth = depth,
		.record_len = record_len,
	};
	int ret = ioctl(fd, IOASID_FAULT_QUEUE_ALLOC, &cmd) ? errno : 0;

	*id = ret ? 0 : cmd.out_id;
	*qfd = ret ? -1 : cmd.out_fd;
	return ret;
}

static int alloc_faulting(int fd, uint32_t parent, uint32_t dev_id,
			  uint32_t queue, uint32_t *id)
{
	struct ioasid_mock_s1 s1 = {
		.table = TABLE_IOVA,
		.entries = TABLE_ENTRIES,
	};

	return alloc_nested_as(fd, IOASID_ALLOC_NESTED |
			       IOASID_ALLOC_FAULT_QUEUE, parent, dev_id,
			       IOASID_NEST_FORMAT_MOCK, &s1, sizeof(s1), queue,
			       id);
}

/* Whether @qfd has records to read within @ms. */
static bool readable(int qfd, int ms)
{
	struct pollfd pfd = { .fd = qfd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && pfd.revents & POLLIN;
}

/* Reads one record, or returns the errno. */
static int read_record(int qfd, struct ioasid_fault *rec)
{
	ssize_t n = read(qfd, rec, sizeof(*rec));

	if (n < 0)
		return errno;
	return n == sizeof(*rec) ? 0 : EPROTO;
}

static int respond(int qfd, uint32_t cookie, uint32_t code)
{
	struct ioasid_fault_response resp = { .cookie = cookie, .code = code };
	ssize_t n = write(qfd, &resp, sizeof(resp));

	if (n < 0)
		return errno;
	return n == sizeof(resp) ? 0 : EPROTO;
}

/* A DMA of one byte that may request its page, run by its own thread. */
struct dma_job {
	int fd;
	uint32_t dev;
	uint32_t pasid;
	uint64_t iova;
	uint32_t wait_ms;
	uint8_t byte;
	int ret;
	struct ioasid_test cmd;
	pthread_t thread;
};

static void *dma_job_run(void *arg)
{
	struct dma_job *job = arg;

	job->cmd = (struct ioasid_test){
		.op = IOASID_TEST_DMA,
		.id = job->dev,
		.dma.iova = job->iova,
		.dma.length = 1,
		.dma.uptr = (uintptr_t)&job->byte,
		.dma.pasid = job->pasid,
		.dma.wait_ms = job->wait_ms,
	};
	job->ret = do_test(job->fd, &job->cmd);
	return NULL;
}

static int dma_job_start(struct dma_job *job, int fd, uint32_t dev,
			 uint32_t pasid, uint64_t iova)
{
	*job = (struct dma_job){
		.fd = fd, .dev = dev, .pasid = pasid, .iova = iova,
		.wait_ms = WAIT_MS,
	};
	return pthread_create(&job->thread, NULL, dma_job_run, job);
}

static int dma_job_end(struct dma_job *job)
{
	pthread_join(job->thread, NULL);
	return job->ret;
}

FIXTURE(fault) {
	int fd;
	long page;
	uint32_t parent;
	uint32_t dev;
	uint32_t dev_id;
	uint32_t queue;
	int qfd;
	uint32_t nested;
	uint64_t *table;
	uint8_t *data;
};

/*
 * The nested fixture's tables, but stage 1 lacks entry HOLE, and the
 * nested IOASID sends page requests to a queue of DEPTH groups; the
 * device is attached to it.
 */
FIXTURE_SETUP(fault)
{
	self->page = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(S1_PAGE, self->page);
	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &self->parent));
	ASSERT_EQ(0, nest_device(self->fd, 0, IOASID_MOCK_PASID_BITS,
				 &self->dev, &self->dev_id));
	ASSERT_EQ(0, map_nest_tables(self->fd, self->parent, HOLE,
				     &self->table, &self->data));
	ASSERT_EQ(0, fault_queue_alloc(self->fd, DEPTH,
				       sizeof(struct ioasid_fault),
				       &self->queue, &self->qfd));
	ASSERT_EQ(0, alloc_faulting(self->fd, self->parent, self->dev_id,
				    self->queue, &self->nested));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
}

FIXTURE_TEARDOWN(fault)
{
	if (self->qfd >= 0)
		close(self->qfd);
	close(self->fd);
	munmap(self->table, self->page);
	munmap(self->data, DATA_PAGES * self->page);
}

/* Makes entry HOLE present, as the user's answer to a request would. */
static int fill_hole(FIXTURE_DATA(fault) *self)
{
	self->table[HOLE] = (DATA_IOVA + HOLE * S1_PAGE) | S1_RW;
	return invalidate_page(self->fd, self->nested, HOLE * S1_PAGE);
}

TEST_F(fault, request_answered_dma_completes)
{
	struct ioasid_fault rec;
	struct dma_job job;

	uint32_t stage;
	uint8_t byte;

	/* A DMA that does not request pages faults as before. */
	EXPECT_EQ(EIO, do_dma_stage(self->fd, self->dev, 0, HOLE * S1_PAGE,
				    &byte, 1, 0, NULL, &stage));
	EXPECT_EQ(1U, stage);
	EXPECT_FALSE(readable(self->qfd, 0));

	ASSERT_EQ(0, dma_job_start(&job, self->fd, self->dev, 0,
				   HOLE * S1_PAGE + 5));
	ASSERT_TRUE(readable(self->qfd, WAIT_MS));
	ASSERT_EQ(0, read_record(self->qfd, &rec));
	EXPECT_EQ((uint32_t)IOASID_FAULT_LAST, rec.flags);
	EXPECT_EQ(self->dev_id, rec.dev_id);
	EXPECT_EQ((uint32_t)IOASID_FAULT_PERM_READ, rec.perm);
	EXPECT_EQ(HOLE * S1_PAGE, rec.addr);
	EXPECT_EQ(self->nested, rec.ioasid);
	EXPECT_NE(0U, rec.cookie);
	EXPECT_FALSE(readable(self->qfd, 0));
	/* The group is answered once, and only once read. */
	ASSERT_EQ(0, fill_hole(self));
	ASSERT_EQ(0, respond(self->qfd, rec.cookie,
			     IOASID_FAULT_RESPONSE_SUCCESS));
	EXPECT_EQ(ENOENT, respond(self->qfd, rec.cookie,
				  IOASID_FAULT_RESPONSE_SUCCESS));
	ASSERT_EQ(0, dma_job_end(&job));
	EXPECT_EQ(HOLE, job.byte);
	EXPECT_EQ(1U, job.cmd.dma.out_page_requests);
	EXPECT_EQ((uint32_t)IOASID_FAULT_RESPONSE_SUCCESS,
		  job.cmd.dma.out_response);
}

TEST_F(fault, request_refused_dma_fails)
{
	struct ioasid_fault rec;
	struct dma_job job;
	int i;

	for (i = IOASID_FAULT_RESPONSE_INVALID;
	     i <= IOASID_FAULT_RESPONSE_FAILURE; i++) {
		ASSERT_EQ(0, dma_job_start(&job, self->fd, self->dev, 0,
					   HOLE * S1_PAGE));
		ASSERT_TRUE(readable(self->qfd, WAIT_MS));
		ASSERT_EQ(0, read_record(self->qfd, &rec));
		ASSERT_EQ(0, respond(self->qfd, rec.cookie, i));
		EXPECT_EQ(EIO, dma_job_end(&job));
		EXPECT_EQ(1U, job.cmd.dma.out_fault_stage);
		EXPECT_EQ(HOLE * S1_PAGE, job.cmd.dma.out_fault_iova);
		EXPECT_EQ(1U, job.cmd.dma.out_page_requests);
		EXPECT_EQ((uint32_t)i, job.cmd.dma.out_response);
	}
	/* Success without making the page present: it requests once. */
	ASSERT_EQ(0, dma_job_start(&job, self->fd, self->dev, 0,
				   HOLE * S1_PAGE));
	ASSERT_TRUE(readable(self->qfd, WAIT_MS));
	ASSERT_EQ(0, read_record(self->qfd, &rec));
	ASSERT_EQ(0, respond(self->qfd, rec.cookie,
			     IOASID_FAULT_RESPONSE_SUCCESS));
	EXPECT_EQ(EIO, dma_job_end(&job));
	EXPECT_EQ(1U, job.cmd.dma.out_page_requests);
	EXPECT_FALSE(readable(self->qfd, 0));
}

TEST_F(fault, pasid_requests_name_the_pasid)
{
	struct ioasid_fault rec;
	struct dma_job job;

	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 9, self->nested));
	ASSERT_EQ(0, dma_job_start(&job, self->fd, self->dev, 9,
				   HOLE * S1_PAGE));
	ASSERT_TRUE(readable(self->qfd, WAIT_MS));
	ASSERT_EQ(0, read_record(self->qfd, &rec));
	EXPECT_EQ((uint32_t)(IOASID_FAULT_LAST | IOASID_FAULT_PASID_VALID),
		  rec.flags);
	EXPECT_EQ(9U, rec.pasid);
	EXPECT_EQ(self->dev_id, rec.dev_id);
	ASSERT_EQ(0, fill_hole(self));
	ASSERT_EQ(0, respond(self->qfd, rec.cookie,
			     IOASID_FAULT_RESPONSE_SUCCESS));
	ASSERT_EQ(0, dma_job_end(&job));
	EXPECT_EQ(HOLE, job.byte);
}

TEST_F(fault, writes_request_write_access)
{
	struct ioasid_fault rec;
	uint8_t byte = 0x5a;
	struct ioasid_test cmd = {
		.op = IOASID_TEST_DMA,
		.id = self->dev,
		.dma.iova = HOLE * S1_PAGE,
		.dma.length = 1,
		.dma.uptr = (uintptr_t)&byte,
		.dma.to_iova = 1,
		.dma.wait_ms = 100,
	};

	/* Unanswered, the device gives up; the group stays queued. */
	EXPECT_EQ(ETIMEDOUT, do_test(self->fd, &cmd));
	ASSERT_TRUE(readable(self->qfd, 0));
	ASSERT_EQ(0, read_record(self->qfd, &rec));
	EXPECT_EQ((uint32_t)IOASID_FAULT_PERM_WRITE, rec.perm);
	/* The late answer is taken, and reaches no one. */
	EXPECT_EQ(0, respond(self->qfd, rec.cookie,
			     IOASID_FAULT_RESPONSE_SUCCESS));
}

TEST_F(fault, detach_answers_pending_requests)
{
	struct ioasid_fault rec;
	struct dma_job job;

	/* Read but not answered. */
	ASSERT_EQ(0, dma_job_start(&job, self->fd, self->dev, 0,
				   HOLE * S1_PAGE));
	ASSERT_TRUE(readable(self->qfd, WAIT_MS));
	ASSERT_EQ(0, read_record(self->qfd, &rec));
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_EQ(EIO, dma_job_end(&job));
	EXPECT_EQ((uint32_t)IOASID_FAULT_RESPONSE_INVALID,
		  job.cmd.dma.out_response);
	EXPECT_EQ(ENOENT, respond(self->qfd, rec.cookie,
				  IOASID_FAULT_RESPONSE_SUCCESS));

	/* Not read yet: a move to the parent answers it, and it goes. */
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
	ASSERT_EQ(0, dma_job_start(&job, self->fd, self->dev, 0,
				   HOLE * S1_PAGE));
	ASSERT_TRUE(readable(self->qfd, WAIT_MS));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->parent));
	EXPECT_EQ(EIO, dma_job_end(&job));
	EXPECT_EQ((uint32_t)IOASID_FAULT_RESPONSE_INVALID,
		  job.cmd.dma.out_response);
	EXPECT_FALSE(readable(self->qfd, 0));
	ASSERT_EQ(0, fcntl(self->qfd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(EAGAIN, read_record(self->qfd, &rec));
	/* The nested IOASID can go once nothing is attached. */
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->nested));
}

TEST_F(fault, full_queue_answers_and_says_so)
{
	struct dma_job jobs[DEPTH], late;
	struct ioasid_fault rec;
	uint32_t cookies[DEPTH];
	int i;

	/* DEPTH PASIDs each wait on a request, unread. */
	for (i = 0; i < DEPTH; i++) {
		ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 20 + i,
					       self->nested));
		ASSERT_EQ(0, dma_job_start(&jobs[i], self->fd, self->dev,
					   20 + i, HOLE * S1_PAGE));
		ASSERT_TRUE(readable(self->qfd, WAIT_MS));
		ASSERT_EQ(0, read_record(self->qfd, &rec));
		cookies[i] = rec.cookie;
		EXPECT_EQ(20U + i, rec.pasid);
		EXPECT_FALSE(rec.flags & IOASID_FAULT_LOST);
	}
	/* The next is answered at once. */
	ASSERT_EQ(0, dma_job_start(&late, self->fd, self->dev, 0,
				   HOLE * S1_PAGE));
	EXPECT_EQ(EIO, dma_job_end(&late));
	EXPECT_EQ((uint32_t)IOASID_FAULT_RESPONSE_INVALID,
		  late.cmd.dma.out_response);
	ASSERT_EQ(0, fill_hole(self));
	for (i = 0; i < DEPTH; i++) {
		ASSERT_EQ(0, respond(self->qfd, cookies[i],
				     IOASID_FAULT_RESPONSE_SUCCESS));
		ASSERT_EQ(0, dma_job_end(&jobs[i]));
		EXPECT_EQ(HOLE, jobs[i].byte);
	}
	/* The first group queued after the loss says so, once. */
	self->table[HOLE] = 0;
	ASSERT_EQ(0, invalidate_page(self->fd, self->nested, HOLE * S1_PAGE));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, dma_job_start(&late, self->fd, self->dev, 0,
					   HOLE * S1_PAGE));
		ASSERT_TRUE(readable(self->qfd, WAIT_MS));
		ASSERT_EQ(0, read_record(self->qfd, &rec));
		EXPECT_EQ(i ? 0U : (uint32_t)IOASID_FAULT_LOST,
			  rec.flags & IOASID_FAULT_LOST);
		ASSERT_EQ(0, respond(self->qfd, rec.cookie,
				     IOASID_FAULT_RESPONSE_INVALID));
		EXPECT_EQ(EIO, dma_job_end(&late));
	}
}

TEST_F(fault, closing_the_queue_answers_everything)
{
	struct dma_job job;

	ASSERT_EQ(0, dma_job_start(&job, self->fd, self->dev, 0,
				   HOLE * S1_PAGE));
	ASSERT_TRUE(readable(self->qfd, WAIT_MS));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->queue));
	ASSERT_EQ(0, close(self->qfd));
	self->qfd = -1;
	EXPECT_EQ(EIO, dma_job_end(&job));
	EXPECT_EQ((uint32_t)IOASID_FAULT_RESPONSE_INVALID,
		  job.cmd.dma.out_response);
	/* Later requests are answered at once. */
	ASSERT_EQ(0, dma_job_start(&job, self->fd, self->dev, 0,
				   HOLE * S1_PAGE));
	EXPECT_EQ(EIO, dma_job_end(&job));
	EXPECT_EQ(1U, job.cmd.dma.out_page_requests);
	/* The queue goes after the nested IOASID that names it. */
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->queue));
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	ASSERT_EQ(0, ioasid_destroy(self->fd, self->nested));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->queue));
}

TEST_F(fault, queue_fd_outlives_the_ioasid_fd)
{
	struct ioasid_fault rec;
	struct dma_job job;

	ASSERT_EQ(0, dma_job_start(&job, self->fd, self->dev, 0,
				   HOLE * S1_PAGE));
	ASSERT_TRUE(readable(self->qfd, WAIT_MS));
	ASSERT_EQ(0, read_record(self->qfd, &rec));
	ASSERT_EQ(0, fill_hole(self));
	ASSERT_EQ(0, respond(self->qfd, rec.cookie,
			     IOASID_FAULT_RESPONSE_SUCCESS));
	ASSERT_EQ(0, dma_job_end(&job));
	ASSERT_EQ(0, close(self->fd));
	/* The context lives on with the queue's fd: it can still be read. */
	self->fd = open("/dev/null", O_RDONLY);
	ASSERT_EQ(0, fcntl(self->qfd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(EAGAIN, read_record(self->qfd, &rec));
}

TEST_F(fault, epoll_wakes_on_a_request)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct ioasid_fault rec;
	struct dma_job job;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	ASSERT_LE(0, ep);
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->qfd, &ev));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, dma_job_start(&job, self->fd, self->dev, 0,
				   HOLE * S1_PAGE));
	ASSERT_EQ(1, epoll_wait(ep, &out, 1, WAIT_MS));
	EXPECT_TRUE(out.events & EPOLLIN);
	ASSERT_EQ(0, read_record(self->qfd, &rec));
	EXPECT_EQ(0, epoll_wait(ep, &out, 1, 0));
	ASSERT_EQ(0, respond(self->qfd, rec.cookie,
			     IOASID_FAULT_RESPONSE_INVALID));
	EXPECT_EQ(EIO, dma_job_end(&job));
	close(ep);
}

TEST_F(fault, reads_and_writes_checked)
{
	struct ioasid_fault_response resp[2] = {};
	uint8_t big[64], small[8];
	struct ioasid_fault *rec = (void *)big;
	uint32_t queue2;
	struct dma_job job;
	int qfd2;

	ASSERT_EQ(0, fcntl(self->qfd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->qfd, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(self->qfd, big, sizeof(big)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, write(self->qfd, resp, 5));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(self->qfd, resp, sizeof(resp)));
	EXPECT_EQ(ENOENT, errno);

	/* Records of a longer length are padded with zeroes. */
	ASSERT_EQ(0, fault_queue_alloc(self->fd, 1, sizeof(big), &queue2,
				       &qfd2));
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	ASSERT_EQ(0, ioasid_destroy(self->fd, self->nested));
	ASSERT_EQ(0, alloc_faulting(self->fd, self->parent, self->dev_id,
				    queue2, &self->nested));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->nested));
	ASSERT_EQ(0, dma_job_start(&job, self->fd, self->dev, 0,
				   HOLE * S1_PAGE));
	ASSERT_TRUE(readable(qfd2, WAIT_MS));
	/* A response before the group was read is refused. */
	EXPECT_EQ(ENOENT, respond(qfd2, 1, IOASID_FAULT_RESPONSE_INVALID));
	memset(big, 0xa5, sizeof(big));
	EXPECT_EQ(-1, read(qfd2, big, sizeof(big) - 1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ((ssize_t)sizeof(big), read(qfd2, big, sizeof(big)));
	EXPECT_EQ(HOLE * S1_PAGE, rec->addr);
	EXPECT_TRUE(all_bytes(big + sizeof(*rec), sizeof(big) - sizeof(*rec),
			      0));
	/* An unknown code; then two responses, the second unknown. */
	EXPECT_EQ(EINVAL, respond(qfd2, rec->cookie, 3));
	resp[0] = (struct ioasid_fault_response){ .cookie = rec->cookie,
		.code = IOASID_FAULT_RESPONSE_INVALID };
	resp[1] = (struct ioasid_fault_response){ .cookie = rec->cookie,
		.code = IOASID_FAULT_RESPONSE_INVALID };
	EXPECT_EQ((ssize_t)sizeof(resp[0]), write(qfd2, resp, sizeof(resp)));
	EXPECT_EQ(EIO, dma_job_end(&job));
	close(qfd2);
}

TEST_F(fault, alloc_errors)
{
	struct ioasid_fault_queue_alloc cmd = {
		.size = sizeof(cmd),
		.depth = 1,
		.record_len = sizeof(struct ioasid_fault),
	};
	struct ioasid_alloc plain = {
		.size = sizeof(plain),
		.flags = IOASID_ALLOC_FAULT_QUEUE,
		.fault_queue = self->queue,
	};
	uint32_t id, other, other_dev_id;
	int qfd;

	EXPECT_EQ(EINVAL, fault_queue_alloc(self->fd, 0, 32, &id, &qfd));
	EXPECT_EQ(EINVAL, fault_queue_alloc(self->fd, 4097, 32, &id, &qfd));
	EXPECT_EQ(EINVAL, fault_queue_alloc(self->fd, 1, 31, &id, &qfd));
	EXPECT_EQ(E2BIG, fault_queue_alloc(self->fd, 1, self->page + 1, &id,
					   &qfd));
	cmd.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_FAULT_QUEUE_ALLOC, &cmd));
	EXPECT_EQ(EOPNOTSUPP, errno);
	/* Only nested IOASIDs take page requests. */
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_ALLOC, &plain));
	EXPECT_EQ(EOPNOTSUPP, errno);
	plain.flags = 0;
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_ALLOC, &plain));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(ENOENT, alloc_faulting(self->fd, self->parent, self->dev_id,
					 self->parent, &id));
	EXPECT_EQ(ENOENT, alloc_faulting(self->fd, self->parent, self->dev_id,
					 0, &id));
	/* A device that cannot request pages cannot attach to one. */
	ASSERT_EQ(0, nest_device(self->fd, IOASID_MOCK_NO_PRI, 0, &other,
				 &other_dev_id));
	EXPECT_EQ(EOPNOTSUPP, mock_attach(self->fd, other, self->nested));
	EXPECT_EQ(0, mock_attach(self->fd, other, self->parent));
}

/* Reads the fdinfo of this process's @fd into @text, of @len bytes. */
static int read_own_fdinfo(int fd, char *text, size_t len)
{
	char path[64];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return errno;
	n = read(f, text, len - 1);
	close(f);
	if (n < 0)
		return errno;
	text[n] = 0;
	return 0;
}

TEST_F(fault, fdinfo_counts_requests)
{
	struct ioasid_fault rec;
	char text[512], want[128];
	struct dma_job job;

	ASSERT_EQ(0, dma_job_start(&job, self->fd, self->dev, 0,
				   HOLE * S1_PAGE));
	ASSERT_TRUE(readable(self->qfd, WAIT_MS));
	ASSERT_EQ(0, read_own_fdinfo(self->qfd, text, sizeof(text)));
	snprintf(want, sizeof(want),
		 "ioasid-fault-queue:\t%u depth=4 held=1 unread=1 lost=0\n",
		 self->queue);
	EXPECT_NE(NULL, strstr(text, want)) TH_LOG("%s", text);
	ASSERT_EQ(0, read_record(self->qfd, &rec));
	ASSERT_EQ(0, read_own_fdinfo(self->qfd, text, sizeof(text)));
	EXPECT_NE(NULL, strstr(text, "held=1 unread=0")) TH_LOG("%s", text);
	ASSERT_EQ(0, respond(self->qfd, rec.cookie,
			     IOASID_FAULT_RESPONSE_INVALID));
	EXPECT_EQ(EIO, dma_job_end(&job));
	ASSERT_EQ(0, read_own_fdinfo(self->qfd, text, sizeof(text)));
	EXPECT_NE(NULL, strstr(text, "held=0 unread=0")) TH_LOG("%s", text);
}

TEST_HARNESS_MAIN
