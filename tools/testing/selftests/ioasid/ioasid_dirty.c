// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty tracking of an IOASID: IOASID_OPTION_DIRTY_TRACKING turns it on and
 * off, IOASID_DIRTY_READ reports the pages devices wrote.  QEMU 7.2's
 * IOMMUs record no dirty pages, so the devices here are mock devices,
 * whose IOMMU marks an IOPTE dirty when the test ioctl's DMA writes
 * through it; the tests check the bitmap against the pages written and
 * against the IOPTEs read back.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include "ioasid_utils.h"
#include "../kselftest_harness.h"

#define NPAGES		64
#define BASE_IOVA	(16 * SZ_2M)
/* Where the racing thread maps and unmaps, past the fixture's mapping. */
#define RACE_IOVA	(BASE_IOVA + SZ_1M)
#define RACE_ROUNDS	2000

static int dirty_option(int fd, uint32_t id, uint32_t op, uint64_t *value)
{
	struct ioasid_option cmd = {
		.op = op,
		.option = IOASID_OPTION_DIRTY_TRACKING,
		.object_id = id,
		.value = *value,
	};
	int ret = do_option(fd, &cmd);

	if (!ret)
		*value = cmd.value;
	return ret;
}

static int dirty_set(int fd, uint32_t id, uint64_t on)
{
	return dirty_option(fd, id, IOASID_OPTION_SET, &on);
}

/* 0 or 1, or UINT64_MAX when the call failed. */
static uint64_t dirty_get(int fd, uint32_t id)
{
	uint64_t value = 0;

	return dirty_option(fd, id, IOASID_OPTION_GET, &value) ? UINT64_MAX :
								  value;
}

static int dirty_read(int fd, uint32_t id, uint64_t iova, uint64_t length,
		      uint64_t page_size, void *bitmap, uint32_t flags)
{
	struct ioasid_dirty_read cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioasid = id,
		.iova = iova,
		.length = length,
		.page_size = page_size,
		.bitmap = (uintptr_t)bitmap,
	};

	return ioctl(fd, IOASID_DIRTY_READ, &cmd) ? errno : 0;
}

/* IOASID_UNMAP of [@iova, @iova + @length) with its dirty pages. */
static int unmap_dirty(int fd, uint32_t id, uint64_t iova, uint64_t length,
		       uint64_t page_size, void *bitmap, uint32_t flags,
		       uint64_t *out)
{
	struct ioasid_unmap cmd = {
		.size = sizeof(cmd),
		.flags = IOASID_UNMAP_DIRTY | flags,
		.ioasid = id,
		.iova = iova,
		.length = length,
		.dirty_page_size = page_size,
		.dirty_bitmap = (uintptr_t)bitmap,
	};
	int ret = ioctl(fd, IOASID_UNMAP, &cmd) ? errno : 0;

	if (out)
		*out = ret ? 0 : cmd.out_length;
	return ret;
}

static bool bit_set(const uint64_t *bitmap, uint64_t n)
{
	return bitmap[n / 64] & (1ULL << (n % 64));
}

static uint64_t bits_set(const uint64_t *bitmap, uint64_t nbits)
{
	uint64_t n = 0, i;

	for (i = 0; i < nbits; i++)
		n += bit_set(bitmap, i);
	return n;
}

static int mock_device_flags(int fd, uint32_t flags, uint32_t *id)
{
	struct ioasid_test cmd = { .mock_device.flags = flags };

	return do_mock_device(fd, &cmd, id);
}

/* The device writes one byte at @iova. */
static int poke(int fd, uint32_t dev, uint64_t iova)
{
	uint8_t byte = 0xd1;

	return do_dma(fd, dev, 0, iova, &byte, 1, 1, NULL);
}

static bool iopte_dirty(int fd, uint32_t dev, uint64_t iova)
{
	struct iopte pte;

	return !read_iopte(fd, dev, 0, iova, &pte) &&
	       (pte.flags & IOASID_MOCK_PTE_DIRTY);
}

FIXTURE(dirty) {
	int fd;
	uint32_t id;
	uint32_t dev;
	uint64_t page;
	uint8_t *buf;
	uint64_t bitmap[NPAGES / 64 + 2];
};

/* NPAGES of small pages mapped at BASE_IOVA, with a device attached. */
FIXTURE_SETUP(dirty)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &self->id));
	ASSERT_EQ(0, mock_device(self->fd, &self->dev));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	self->buf = alloc_buf(NPAGES * self->page, 0, true);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, self->buf,
			       NPAGES * self->page, BASE_IOVA));
	memset(self->bitmap, 0, sizeof(self->bitmap));
}

/* The device still reads the whole mapping. */
static bool dev_sees_buf(FIXTURE_DATA(dirty) *self)
{
	return pasid_sees(self->fd, self->dev, 0, BASE_IOVA, self->buf,
			  NPAGES * self->page);
}

FIXTURE_TEARDOWN(dirty)
{
	close(self->fd);
	munmap(self->buf, NPAGES * self->page);
}

TEST_F(dirty, option_on_off)
{
	EXPECT_EQ(0ULL, dirty_get(self->fd, self->id));
	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	EXPECT_EQ(1ULL, dirty_get(self->fd, self->id));
	/* Turning it on twice is turning it on. */
	EXPECT_EQ(0, dirty_set(self->fd, self->id, 1));
	EXPECT_EQ(0, dirty_set(self->fd, self->id, 0));
	EXPECT_EQ(0ULL, dirty_get(self->fd, self->id));
	EXPECT_EQ(EINVAL, dirty_set(self->fd, self->id, 2));
	EXPECT_EQ(ENOENT, dirty_set(self->fd, self->id + 100, 1));
	EXPECT_EQ(ENOENT, dirty_set(self->fd, 0, 1));
	EXPECT_EQ(0ULL, dirty_get(self->fd, self->id));
}

TEST_F(dirty, read_needs_tracking)
{
	EXPECT_EQ(EINVAL, dirty_read(self->fd, self->id, BASE_IOVA,
				     NPAGES * self->page, self->page,
				     self->bitmap, 0));
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA));
	/* Writes while tracking is off are not recorded. */
	EXPECT_FALSE(iopte_dirty(self->fd, self->dev, BASE_IOVA));
	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	ASSERT_EQ(0, dirty_read(self->fd, self->id, BASE_IOVA,
				NPAGES * self->page, self->page, self->bitmap,
				0));
	EXPECT_EQ(0ULL, bits_set(self->bitmap, NPAGES));
}

TEST_F(dirty, writes_are_reported_once)
{
	const uint64_t written[] = { 0, 3, 10, 63 };
	unsigned int i;

	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	for (i = 0; i < ARRAY_SIZE(written); i++)
		ASSERT_EQ(0, poke(self->fd, self->dev,
				  BASE_IOVA + written[i] * self->page));
	/* A read reports no more than a write. */
	ASSERT_EQ(0, do_dma(self->fd, self->dev, 0, BASE_IOVA + 20 * self->page,
			    self->bitmap, 8, 0, NULL));
	memset(self->bitmap, 0, sizeof(self->bitmap));
	EXPECT_TRUE(iopte_dirty(self->fd, self->dev, BASE_IOVA + 3 * self->page));

	ASSERT_EQ(0, dirty_read(self->fd, self->id, BASE_IOVA,
				NPAGES * self->page, self->page, self->bitmap,
				0));
	EXPECT_EQ(ARRAY_SIZE(written), bits_set(self->bitmap, NPAGES));
	for (i = 0; i < ARRAY_SIZE(written); i++)
		EXPECT_TRUE(bit_set(self->bitmap, written[i]));
	EXPECT_FALSE(iopte_dirty(self->fd, self->dev,
				 BASE_IOVA + 3 * self->page));

	/* Cleared by that read: the next one reports nothing. */
	memset(self->bitmap, 0, sizeof(self->bitmap));
	ASSERT_EQ(0, dirty_read(self->fd, self->id, BASE_IOVA,
				NPAGES * self->page, self->page, self->bitmap,
				0));
	EXPECT_EQ(0ULL, bits_set(self->bitmap, NPAGES));
}

TEST_F(dirty, no_clear_reports_again)
{
	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA + 5 * self->page));
	ASSERT_EQ(0, dirty_read(self->fd, self->id, BASE_IOVA,
				NPAGES * self->page, self->page, self->bitmap,
				IOASID_DIRTY_READ_NO_CLEAR));
	EXPECT_EQ(1ULL, bits_set(self->bitmap, NPAGES));
	EXPECT_TRUE(iopte_dirty(self->fd, self->dev, BASE_IOVA + 5 * self->page));
	memset(self->bitmap, 0, sizeof(self->bitmap));
	ASSERT_EQ(0, dirty_read(self->fd, self->id, BASE_IOVA,
				NPAGES * self->page, self->page, self->bitmap,
				0));
	EXPECT_TRUE(bit_set(self->bitmap, 5));
	EXPECT_EQ(1ULL, bits_set(self->bitmap, NPAGES));
	EXPECT_FALSE(iopte_dirty(self->fd, self->dev,
				 BASE_IOVA + 5 * self->page));
}

/* A bit per 4 pages, and a range that starts inside the mapping. */
TEST_F(dirty, coarser_page_size)
{
	const uint64_t ps = 4 * self->page;

	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA + 9 * self->page));
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA + 10 * self->page));
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA + 40 * self->page));
	ASSERT_EQ(0, dirty_read(self->fd, self->id, BASE_IOVA + ps,
				NPAGES * self->page - ps, ps, self->bitmap, 0));
	/* Pages 9 and 10 are in the second unit from BASE_IOVA + ps. */
	EXPECT_TRUE(bit_set(self->bitmap, 1));
	EXPECT_TRUE(bit_set(self->bitmap, 9));
	EXPECT_EQ(2ULL, bits_set(self->bitmap, NPAGES / 4));
}

/* Unmapped IOVAs in the range report nothing and leave their bits. */
TEST_F(dirty, range_over_holes)
{
	const uint64_t before = 8, nbits = NPAGES + 2 * before;

	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA + self->page));
	self->bitmap[0] = 1;	/* a bit for a hole, set by the caller */
	ASSERT_EQ(0, dirty_read(self->fd, self->id,
				BASE_IOVA - before * self->page,
				nbits * self->page, self->page, self->bitmap,
				0));
	EXPECT_TRUE(bit_set(self->bitmap, 0));
	EXPECT_TRUE(bit_set(self->bitmap, before + 1));
	EXPECT_EQ(2ULL, bits_set(self->bitmap, nbits));
}

TEST_F(dirty, bad_reads)
{
	const uint64_t p = self->page, len = NPAGES * p;
	uint64_t *ro;

	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	EXPECT_EQ(EINVAL, dirty_read(self->fd, self->id, BASE_IOVA, len, 3 * p,
				     self->bitmap, 0));
	EXPECT_EQ(EINVAL, dirty_read(self->fd, self->id, BASE_IOVA, len, p / 2,
				     self->bitmap, 0));
	EXPECT_EQ(EINVAL, dirty_read(self->fd, self->id, BASE_IOVA, len, 0,
				     self->bitmap, 0));
	EXPECT_EQ(EINVAL, dirty_read(self->fd, self->id, BASE_IOVA + 1, len, p,
				     self->bitmap, 0));
	EXPECT_EQ(EINVAL, dirty_read(self->fd, self->id, BASE_IOVA, len - 1, p,
				     self->bitmap, 0));
	EXPECT_EQ(EINVAL, dirty_read(self->fd, self->id, BASE_IOVA, 0, p,
				     self->bitmap, 0));
	/* The bitmap's words are 8-byte aligned. */
	EXPECT_EQ(EINVAL, dirty_read(self->fd, self->id, BASE_IOVA, len, p,
				     (uint8_t *)self->bitmap + 4, 0));
	EXPECT_EQ(EOVERFLOW, dirty_read(self->fd, self->id, -2 * p, 4 * p, p,
					self->bitmap, 0));
	EXPECT_EQ(EOPNOTSUPP, dirty_read(self->fd, self->id, BASE_IOVA, len, p,
					 self->bitmap, 1U << 7));
	EXPECT_EQ(ENOENT, dirty_read(self->fd, self->id + 100, BASE_IOVA, len,
				     p, self->bitmap, 0));
	EXPECT_EQ(EFAULT, dirty_read(self->fd, self->id, BASE_IOVA, len, p,
				     NULL, 0));

	/* Nothing reported and nothing cleared when the bitmap is read-only. */
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA));
	ro = mmap(NULL, p, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(EFAULT, dirty_read(self->fd, self->id, BASE_IOVA, len, p, ro,
				     0));
	EXPECT_TRUE(iopte_dirty(self->fd, self->dev, BASE_IOVA));
	munmap(ro, p);
}

/* One write to a 2 MiB IOPTE makes all its pages dirty. */
TEST_F(dirty, large_iopte_reports_all_its_pages)
{
	const uint64_t p = self->page, n = SZ_2M / p, iova = 8 * SZ_2M;
	uint64_t *bitmap;
	uint8_t *huge;
	void *base;
	struct iopte pte;

	huge = alloc_huge(&base);
	ASSERT_NE(NULL, huge);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, huge, SZ_2M, iova));
	if (read_iopte(self->fd, self->dev, 0, iova, &pte) ||
	    pte.pgsize != SZ_2M)
		SKIP(goto out, "the buffer did not get a 2 MiB IOPTE");
	bitmap = calloc(n / 64, sizeof(*bitmap));
	ASSERT_NE(NULL, bitmap);

	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	ASSERT_EQ(0, poke(self->fd, self->dev, iova + 77 * p));
	ASSERT_EQ(0, dirty_read(self->fd, self->id, iova, SZ_2M, p, bitmap,
				0));
	EXPECT_EQ(n, bits_set(bitmap, n));

	/*
	 * Every page of the IOPTE reports its one bit; a read of part of it
	 * reports that part, and clearing clears the IOPTE's bit, so the
	 * rest of it is clean too.
	 */
	ASSERT_EQ(0, poke(self->fd, self->dev, iova + 77 * p));
	EXPECT_TRUE(iopte_dirty(self->fd, self->dev, iova + 300 * p));
	memset(bitmap, 0, n / 8);
	ASSERT_EQ(0, dirty_read(self->fd, self->id, iova + 128 * p, 64 * p, p,
				bitmap, IOASID_DIRTY_READ_NO_CLEAR));
	EXPECT_EQ(64, bits_set(bitmap, n));
	memset(bitmap, 0, n / 8);
	ASSERT_EQ(0, dirty_read(self->fd, self->id, iova + 128 * p, 64 * p, p,
				bitmap, 0));
	EXPECT_EQ(64, bits_set(bitmap, n));
	EXPECT_FALSE(iopte_dirty(self->fd, self->dev, iova));
	memset(bitmap, 0, n / 8);
	ASSERT_EQ(0, dirty_read(self->fd, self->id, iova, SZ_2M, p, bitmap,
				0));
	EXPECT_EQ(0, bits_set(bitmap, n));
	free(bitmap);
out:
	munmap(base, 2 * SZ_2M);
}

/* A device whose IOMMU cannot track neither blocks nor joins tracking. */
TEST_F(dirty, incapable_device)
{
	uint32_t plain;

	ASSERT_EQ(0, mock_device_flags(self->fd, IOASID_MOCK_NO_DIRTY,
				       &plain));
	ASSERT_EQ(0, mock_attach(self->fd, plain, self->id));
	EXPECT_EQ(EOPNOTSUPP, dirty_set(self->fd, self->id, 1));
	EXPECT_EQ(0ULL, dirty_get(self->fd, self->id));
	/* Refused whole: the capable device's table does not track either. */
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA));
	EXPECT_FALSE(iopte_dirty(self->fd, self->dev, BASE_IOVA));

	ASSERT_EQ(0, mock_detach(self->fd, plain));
	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	EXPECT_EQ(EOPNOTSUPP, mock_attach(self->fd, plain, self->id));
	EXPECT_EQ(ENODEV, read_iopte(self->fd, plain, 0, BASE_IOVA,
				     &(struct iopte){}));
	EXPECT_EQ(1ULL, dirty_get(self->fd, self->id));
}

/* Two tables: a page written through either is dirty. */
TEST_F(dirty, every_table_is_read)
{
	uint32_t small;

	ASSERT_EQ(0, mock_device_small_pages(self->fd, self->page, &small));
	ASSERT_EQ(0, mock_attach(self->fd, small, self->id));
	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA + 2 * self->page));
	ASSERT_EQ(0, poke(self->fd, small, BASE_IOVA + 7 * self->page));
	ASSERT_EQ(0, dirty_read(self->fd, self->id, BASE_IOVA,
				NPAGES * self->page, self->page, self->bitmap,
				0));
	EXPECT_TRUE(bit_set(self->bitmap, 2));
	EXPECT_TRUE(bit_set(self->bitmap, 7));
	EXPECT_EQ(2ULL, bits_set(self->bitmap, NPAGES));
	EXPECT_FALSE(iopte_dirty(self->fd, small, BASE_IOVA + 7 * self->page));
}

/* A table made while the IOASID tracks records from its first write. */
TEST_F(dirty, new_table_tracks)
{
	uint32_t small;

	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	ASSERT_EQ(0, mock_device_small_pages(self->fd, self->page, &small));
	ASSERT_EQ(0, mock_attach(self->fd, small, self->id));
	ASSERT_EQ(0, poke(self->fd, small, BASE_IOVA + 11 * self->page));
	ASSERT_EQ(0, dirty_read(self->fd, self->id, BASE_IOVA,
				NPAGES * self->page, self->page, self->bitmap,
				0));
	EXPECT_TRUE(bit_set(self->bitmap, 11));
	EXPECT_EQ(1ULL, bits_set(self->bitmap, NPAGES));
}

/* The last dirty pages of a mapping come with its unmap. */
TEST_F(dirty, unmap_reports_dirty_pages)
{
	const uint64_t len = NPAGES * self->page;
	struct iopte pte;
	uint64_t out;

	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA + self->page));
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA + 20 * self->page));
	ASSERT_EQ(0, unmap_dirty(self->fd, self->id, BASE_IOVA, len,
				 self->page, self->bitmap, 0, &out));
	EXPECT_EQ(len, out);
	EXPECT_TRUE(bit_set(self->bitmap, 1));
	EXPECT_TRUE(bit_set(self->bitmap, 20));
	EXPECT_EQ(2ULL, bits_set(self->bitmap, NPAGES));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, BASE_IOVA, &pte));
	EXPECT_EQ(0ULL, fd_pages(self->fd));
}

/* A failing unmap with dirty pages unmaps nothing and clears nothing. */
TEST_F(dirty, unmap_dirty_errors)
{
	const uint64_t p = self->page, len = NPAGES * p;
	uint64_t *ro;

	EXPECT_EQ(EINVAL, unmap_dirty(self->fd, self->id, BASE_IOVA, len, p,
				      self->bitmap, 0, NULL));
	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA + 2 * p));
	EXPECT_EQ(EINVAL, unmap_dirty(self->fd, self->id, 0, 0, p,
				      self->bitmap, IOASID_UNMAP_ALL, NULL));
	EXPECT_EQ(EINVAL, unmap_dirty(self->fd, self->id, BASE_IOVA, len,
				      3 * p, self->bitmap, 0, NULL));
	EXPECT_EQ(EINVAL, unmap_dirty(self->fd, self->id, BASE_IOVA, len, p,
				      (uint8_t *)self->bitmap + 4, 0, NULL));
	EXPECT_EQ(EOPNOTSUPP, unmap_dirty(self->fd, self->id, BASE_IOVA, len,
					  p, self->bitmap, 1U << 9, NULL));
	/* A range that cuts the mapping. */
	EXPECT_EQ(ERANGE, unmap_dirty(self->fd, self->id, BASE_IOVA, p, p,
				      self->bitmap, 0, NULL));
	ro = mmap(NULL, p, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(EFAULT, unmap_dirty(self->fd, self->id, BASE_IOVA, len, p,
				      ro, 0, NULL));
	munmap(ro, p);

	EXPECT_EQ(0ULL, bits_set(self->bitmap, NPAGES));
	EXPECT_TRUE(iopte_dirty(self->fd, self->dev, BASE_IOVA + 2 * p));
	EXPECT_TRUE(dev_sees_buf(self));
}

/**
 * struct racer - a thread that changes an IOASID while it is read
 * @fd: the /dev/ioasid fd
 * @id: the IOASID
 * @dev: the device that writes
 * @page: the CPU page size
 * @buf: NPAGES pages the racer maps at RACE_IOVA and unmaps
 * @stop: set when the readers are done
 * @err: the first unexpected errno, or 0
 */
struct racer {
	int fd;
	uint32_t id;
	uint32_t dev;
	uint64_t page;
	uint8_t *buf;
	atomic_bool stop;
	atomic_int err;
};

static void *race_map_unmap(void *arg)
{
	struct racer *r = arg;
	int ret;

	while (!r->stop && !r->err) {
		ret = map_fixed(r->fd, r->id, r->buf, NPAGES * r->page,
				RACE_IOVA);
		if (!ret)
			ret = poke(r->fd, r->dev, RACE_IOVA + 3 * r->page);
		if (!ret)
			ret = unmap_range(r->fd, r->id, RACE_IOVA,
					  NPAGES * r->page, NULL);
		r->err = ret;
	}
	return NULL;
}

static void *race_dma(void *arg)
{
	struct racer *r = arg;
	unsigned int i = 0;

	while (!r->stop && !r->err)
		r->err = poke(r->fd, r->dev,
			      BASE_IOVA + (i++ % NPAGES) * r->page);
	return NULL;
}

/*
 * Reads, clearing or not, while another thread maps, writes and unmaps
 * next to the range and a third writes in it: every read succeeds, and
 * once the others stop a read reports exactly what is written next.
 */
TEST_F(dirty, reads_race_map_unmap_dma)
{
	const uint64_t span = RACE_IOVA + NPAGES * self->page - BASE_IOVA;
	struct racer r = {
		.fd = self->fd, .id = self->id, .dev = self->dev,
		.page = self->page,
	};
	uint64_t *bitmap = calloc(span / self->page / 64 + 1, sizeof(*bitmap));
	pthread_t mapper, writer;
	unsigned int i;

	ASSERT_NE(NULL, bitmap);
	r.buf = alloc_buf(NPAGES * self->page, 0, true);
	ASSERT_NE(NULL, r.buf);
	ASSERT_EQ(0, dirty_set(self->fd, self->id, 1));
	ASSERT_EQ(0, pthread_create(&mapper, NULL, race_map_unmap, &r));
	ASSERT_EQ(0, pthread_create(&writer, NULL, race_dma, &r));
	for (i = 0; i < RACE_ROUNDS && !r.err; i++) {
		ASSERT_EQ(0, dirty_read(self->fd, self->id, BASE_IOVA, span,
					self->page, bitmap,
					i % 3 ? 0 : IOASID_DIRTY_READ_NO_CLEAR));
	}
	r.stop = true;
	pthread_join(mapper, NULL);
	pthread_join(writer, NULL);
	EXPECT_EQ(0, atomic_load(&r.err));

	ASSERT_EQ(0, dirty_read(self->fd, self->id, BASE_IOVA, span,
				self->page, bitmap, 0));
	memset(bitmap, 0, (span / self->page / 64 + 1) * sizeof(*bitmap));
	ASSERT_EQ(0, poke(self->fd, self->dev, BASE_IOVA + 7 * self->page));
	ASSERT_EQ(0, dirty_read(self->fd, self->id, BASE_IOVA, span,
				self->page, bitmap, 0));
	EXPECT_TRUE(bit_set(bitmap, 7));
	EXPECT_EQ(1ULL, bits_set(bitmap, span / self->page));
	free(bitmap);
	munmap(r.buf, NPAGES * self->page);
}

TEST_HARNESS_MAIN
