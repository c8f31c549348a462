// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where the kernel keeps the frames of a mapping: memory scattered in
 * 4 KiB pages is remembered only by the IOMMU page tables while the IOASID
 * has one, and memory in large folios as runs.  The mock IOMMU shows what
 * a device reaches after every change that reads the frames back: a new
 * table, a copy, an unmap; the last table going keeps them where they
 * are.  The pin counters, and the pins the pages themselves hold, show
 * that nothing stays pinned.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include "ioasid_utils.h"
#include "../kselftest_harness.h"

/* Pages of the buffer most tests map, alternating between two frames. */
#define NPAGES		600

/* Contiguous pieces that frames.c unmaps and unpins in one batch, at most. */
#define UNPIN_BATCH_PIECES	4096

/*
 * Whether @dev reads @n pages at @iova alternating between @a and @b, and
 * its table maps them to two frames in turn.
 */
static bool dev_sees_alternating(int fd, uint32_t dev, uint64_t iova,
				 size_t n, size_t page, uint8_t a, uint8_t b)
{
	uint8_t *want = malloc(n * page);
	struct iopte first[2], pte;
	bool ok = !!want;
	size_t i;

	for (i = 0; ok && i < n; i++)
		memset(want + i * page, i % 2 ? b : a, page);
	ok = ok && pasid_sees(fd, dev, 0, iova, want, n * page);
	free(want);
	for (i = 0; ok && i < n; i++) {
		ok = !read_iopte(fd, dev, 0, iova + i * page, &pte);
		if (i < 2)
			first[i] = pte;
		ok = ok && pte.pfn == first[i % 2].pfn;
	}
	return ok && first[0].pfn != first[1].pfn;
}

/* The fd's books and the system's pins, to compare with later. */
struct held {
	struct pinned books;
	int64_t pins;
};

static int get_held(int fd, struct held *h)
{
	h->pins = pins_held();
	return h->pins < 0 ? -1 : get_pinned(fd, &h->books);
}

FIXTURE(frames) {
	int fd;
	uint32_t id;
	uint32_t dev;
	size_t page;
	uint8_t *buf;
	struct held start;
};

FIXTURE_SETUP(frames)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &self->id));
	ASSERT_EQ(0, mock_device(self->fd, &self->dev));
	self->buf = alternating_buf(NPAGES, self->page, 0x1a, 0x2b);
	ASSERT_NE(NULL, self->buf);
	ASSERT_EQ(0, get_held(self->fd, &self->start));
}

FIXTURE_TEARDOWN(frames)
{
	close(self->fd);
	munmap(self->buf, NPAGES * self->page);
}

/*
 * Nothing this fd pinned stays pinned or charged: its books say none, and
 * the pages' own pin counts are back where they were.
 */
static bool nothing_pinned(int fd, const struct held *start)
{
	struct pinned now;

	return !get_pinned(fd, &now) && !now.fd_pages && !now.table_pages &&
	       now.mm_pinned == start->books.mm_pinned &&
	       now.user_locked == start->books.user_locked &&
	       pins_held() == start->pins;
}

/*
 * One mapping through a device's table and back, per kind of memory:
 * scattered 4 KiB pages are kept in the table, large folios (a THP, a
 * hugetlbfs page) as runs.
 */
enum backing { SCATTERED, THP, HUGETLB };

FIXTURE(memory) {
	int fd;
	uint32_t id;
	uint32_t dev;
	size_t page;
	uint8_t *buf;
	size_t len;		/* of the mapping */
	void *base;		/* what to munmap(), of base_len bytes */
	size_t base_len;
	struct held start;
};

FIXTURE_VARIANT(memory) {
	enum backing backing;
};

FIXTURE_VARIANT_ADD(memory, scattered) {
	.backing = SCATTERED,
};

FIXTURE_VARIANT_ADD(memory, thp) {
	.backing = THP,
};

FIXTURE_VARIANT_ADD(memory, hugetlb) {
	.backing = HUGETLB,
};

FIXTURE_SETUP(memory)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &self->id));
	ASSERT_EQ(0, mock_device(self->fd, &self->dev));
	ASSERT_EQ(0, get_held(self->fd, &self->start));

	switch (variant->backing) {
	case SCATTERED:
		self->len = NPAGES * self->page;
		self->buf = alternating_buf(NPAGES, self->page, 0x1a, 0x2b);
		ASSERT_NE(NULL, self->buf);
		self->base = self->buf;
		self->base_len = self->len;
		break;
	case THP:
		self->len = SZ_2M;
		self->base_len = 2 * SZ_2M;
		self->buf = alloc_huge(&self->base);
		ASSERT_NE(NULL, self->buf);
		if (anon_huge_kb(self->buf) < SZ_2M / 1024) {
			munmap(self->base, self->base_len);
			SKIP(return, "no THP for the buffer");
		}
		break;
	case HUGETLB:
		self->len = SZ_2M;
		self->base_len = SZ_2M;
		self->base = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
				  -1, 0);
		if (self->base == MAP_FAILED)
			SKIP(return, "no 2 MiB hugetlbfs page: %s",
			     strerror(errno));
		self->buf = self->base;
		fill(self->buf, SZ_2M, 0x4a6e);
		break;
	}
}

FIXTURE_TEARDOWN(memory)
{
	close(self->fd);
	munmap(self->base, self->base_len);
}

TEST_F(memory, map_unmap)
{
	const bool scattered = variant->backing == SCATTERED;
	const uint64_t npages = self->len / self->page;
	uint64_t iova;

	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, self->buf, self->len, 0,
			     &iova));
	EXPECT_EQ(scattered ? npages : 0, table_pages(self->fd));
	EXPECT_EQ(npages, fd_pages(self->fd));
	/* The harness's EXPECT_*() are not single statements. */
	if (scattered) {
		EXPECT_TRUE(dev_sees_alternating(self->fd, self->dev, iova,
						 NPAGES, self->page, 0x1a,
						 0x2b));
	} else {
		EXPECT_TRUE(pasid_sees(self->fd, self->dev, 0, iova,
				       self->buf, self->len));
	}

	/* Unmapped (scattered: in pieces that share no IOPTE) and unpinned. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, iova, self->len, NULL));
	EXPECT_EQ(iova, read_fault(self->fd, self->dev, iova, self->page));
	EXPECT_TRUE(nothing_pinned(self->fd, &self->start));
}

TEST_F(frames, mapped_before_attach)
{
	const uint64_t iova = IOASID_MOCK_APERTURE_START;
	const size_t len = NPAGES * self->page;

	/* No table yet: the runs stay until the first one is filled. */
	ASSERT_EQ(0, map_fixed(self->fd, self->id, self->buf, len, iova));
	EXPECT_EQ(0, table_pages(self->fd));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_EQ(NPAGES, table_pages(self->fd));
	EXPECT_TRUE(dev_sees_alternating(self->fd, self->dev, iova, NPAGES,
					 self->page, 0x1a, 0x2b));

	/*
	 * The last table goes, but is kept for the frames: detaching reads
	 * nothing back and allocates nothing.  A new table is filled from it.
	 */
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_EQ(NPAGES, table_pages(self->fd));
	EXPECT_EQ(NPAGES, fd_pages(self->fd));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_EQ(NPAGES, table_pages(self->fd));
	EXPECT_TRUE(dev_sees_alternating(self->fd, self->dev, iova, NPAGES,
					 self->page, 0x1a, 0x2b));

	/* Unmapped with the frames in the kept table only: all unpinned. */
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_EQ(NPAGES, table_pages(self->fd));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, iova, len, NULL));
	EXPECT_TRUE(nothing_pinned(self->fd, &self->start));
}

TEST_F(frames, kept_table_fills_other_iommu_and_copies)
{
	const size_t len = NPAGES * self->page;
	uint32_t small, id2, dev2;
	uint64_t iova, copy;

	ASSERT_EQ(0, mock_device_small_pages(self->fd, self->page, &small));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, mock_device(self->fd, &dev2));
	ASSERT_EQ(0, mock_attach(self->fd, dev2, id2));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, self->buf, len, 0, &iova));
	ASSERT_EQ(NPAGES, table_pages(self->fd));

	/*
	 * Only the kept table has the frames: an incompatible IOMMU's new
	 * one is filled from it, and takes its place.
	 */
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	ASSERT_EQ(0, mock_attach(self->fd, small, self->id));
	EXPECT_EQ(NPAGES, table_pages(self->fd));
	EXPECT_TRUE(dev_sees_alternating(self->fd, small, iova, NPAGES,
					 self->page, 0x1a, 0x2b));

	/* Kept again; a copy reads the frames back from it. */
	ASSERT_EQ(0, mock_detach(self->fd, small));
	ASSERT_EQ(0, copy_any(self->fd, id2, self->id, iova, len, &copy));
	EXPECT_EQ(0, table_pages(self->fd));
	EXPECT_TRUE(dev_sees_alternating(self->fd, dev2, copy, NPAGES,
					 self->page, 0x1a, 0x2b));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, iova, len, NULL));
	EXPECT_EQ(NPAGES, fd_pages(self->fd));
	ASSERT_EQ(0, unmap_range(self->fd, id2, copy, len, NULL));
	EXPECT_TRUE(nothing_pinned(self->fd, &self->start));
}

TEST_F(frames, new_table_filled_from_old)
{
	const size_t len = NPAGES * self->page;
	uint32_t small;
	uint64_t iova;

	ASSERT_EQ(0, mock_device_small_pages(self->fd, self->page, &small));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, self->buf, len, 0, &iova));
	ASSERT_EQ(NPAGES, table_pages(self->fd));

	/* An incompatible IOMMU gets a table of its own, read from the first. */
	ASSERT_EQ(0, mock_attach(self->fd, small, self->id));
	EXPECT_TRUE(dev_sees_alternating(self->fd, small, iova, NPAGES,
					 self->page, 0x1a, 0x2b));

	/* The first table goes; the second one holds the frames. */
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_EQ(NPAGES, table_pages(self->fd));
	EXPECT_TRUE(dev_sees_alternating(self->fd, small, iova, NPAGES,
					 self->page, 0x1a, 0x2b));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, iova, len, NULL));
	EXPECT_EQ(iova, read_fault(self->fd, small, iova, self->page));
	EXPECT_TRUE(nothing_pinned(self->fd, &self->start));
}

TEST_F(frames, copy_reads_frames_back)
{
	const size_t len = NPAGES * self->page;
	uint64_t iova, copy;
	uint32_t id2, dev2;

	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, mock_device(self->fd, &dev2));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, mock_attach(self->fd, dev2, id2));
	ASSERT_EQ(0, map_any(self->fd, self->id, self->buf, len, 0, &iova));
	ASSERT_EQ(NPAGES, table_pages(self->fd));

	/* Shared pages keep runs: the copy maps the same frames. */
	ASSERT_EQ(0, copy_any(self->fd, id2, self->id, iova + self->page,
			      len - self->page, &copy));
	EXPECT_EQ(0, table_pages(self->fd));
	EXPECT_EQ(NPAGES, fd_pages(self->fd));
	EXPECT_TRUE(dev_sees_alternating(self->fd, dev2, copy, NPAGES - 1,
					 self->page, 0x2b, 0x1a));

	/* The source goes; the copy keeps the pages pinned, by runs. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, iova, len, NULL));
	EXPECT_EQ(NPAGES, fd_pages(self->fd));
	EXPECT_TRUE(dev_sees_alternating(self->fd, dev2, copy, NPAGES - 1,
					 self->page, 0x2b, 0x1a));

	/* Showing part of its pages only, the copy never leaves its runs. */
	ASSERT_EQ(0, mock_detach(self->fd, dev2));
	ASSERT_EQ(0, mock_attach(self->fd, dev2, id2));
	EXPECT_EQ(0, table_pages(self->fd));
	ASSERT_EQ(0, unmap_range(self->fd, id2, copy, len - self->page, NULL));
	EXPECT_TRUE(nothing_pinned(self->fd, &self->start));
}

/*
 * A mapping of one page holds it itself: new tables are filled from it,
 * a COPY shares it, and the copy keeps it, writable, once the source is
 * gone.  Nothing of it is kept in a table.
 */
TEST_F(frames, one_page_mapping)
{
	const size_t p = self->page;
	uint8_t *src = malloc(p);
	struct iopte a, b;
	uint64_t iova, later, copy;
	uint32_t id2, dev2;

	ASSERT_NE(NULL, src);
	memset(src, 0x3c, p);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, mock_device(self->fd, &dev2));
	ASSERT_EQ(0, mock_attach(self->fd, dev2, id2));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, self->buf + p, p, 0, &iova));
	EXPECT_EQ(1ULL, fd_pages(self->fd));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 0, iova, self->buf + p, p));

	/* The table goes; a new one is filled from the areas. */
	ASSERT_EQ(0, map_any(self->fd, self->id, self->buf, p, 0, &later));
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_EQ(2ULL, fd_pages(self->fd));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 0, iova, self->buf + p, p));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 0, later, self->buf, p));
	EXPECT_EQ(2ULL, fd_pages(self->fd));
	EXPECT_EQ(0, table_pages(self->fd));

	ASSERT_EQ(0, copy_any(self->fd, id2, self->id, iova, p, &copy));
	EXPECT_EQ(2ULL, fd_pages(self->fd));
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, iova, &a));
	ASSERT_EQ(0, read_iopte(self->fd, dev2, 0, copy, &b));
	EXPECT_EQ(a.pfn, b.pfn);

	ASSERT_EQ(0, unmap_range(self->fd, self->id, iova, p, NULL));
	EXPECT_EQ(iova, read_fault(self->fd, self->dev, iova, p));
	EXPECT_EQ(2ULL, fd_pages(self->fd));
	ASSERT_EQ(0, do_dma(self->fd, dev2, 0, copy, src, p, 1, NULL));
	EXPECT_EQ(0, memcmp(self->buf + p, src, p));
	ASSERT_EQ(0, unmap_range(self->fd, id2, copy, p, NULL));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, later, p, NULL));
	EXPECT_TRUE(nothing_pinned(self->fd, &self->start));
	free(src);
}

TEST_F(frames, close_with_frames_in_table)
{
	const size_t len = NPAGES * self->page;
	struct pinned now;
	uint64_t iova;
	int fd;

	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioasid_alloc(fd, &self->id));
	ASSERT_EQ(0, mock_device(fd, &self->dev));
	ASSERT_EQ(0, mock_attach(fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(fd, self->id, self->buf, len, 0, &iova));
	ASSERT_EQ(NPAGES, table_pages(fd));
	ASSERT_EQ(0, close(fd));

	/* The other fd sees the caller's counters back where they were. */
	ASSERT_EQ(0, get_pinned(self->fd, &now));
	EXPECT_EQ(self->start.books.mm_pinned, now.mm_pinned);
	EXPECT_EQ(self->start.books.user_locked, now.user_locked);
}

/* Scattered pages before the huge page, more than a batch of pins. */
#define BEFORE_HUGE	1000

/*
 * Scattered memory is mapped into every table as it is pinned, a batch at
 * a time; a contiguous piece that two batches share is still mapped
 * whole, by a huge IOPTE where the IOMMU has them.
 */
TEST_F(frames, pinned_into_tables_as_it_goes)
{
	const size_t p = self->page, before = BEFORE_HUGE * p;
	const size_t len = before + SZ_2M;
	const uint64_t iova = 0x10000000ULL + SZ_2M - before;
	uint8_t *base, *va, *huge;
	struct iopte pte;
	uint32_t small;
	size_t off;

	base = mmap(NULL, 4 * SZ_2M, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, base);
	huge = (uint8_t *)(((uintptr_t)base + before + SZ_2M - 1) &
			   ~(uintptr_t)(SZ_2M - 1));
	va = huge - before;
	ASSERT_TRUE(alternate_at(va, BEFORE_HUGE, p, 0x1a, 0x2b));
	ASSERT_EQ(huge, mmap(huge, SZ_2M, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	madvise(huge, SZ_2M, MADV_HUGEPAGE);
	fill(huge, SZ_2M, 0x5eed);
	if (anon_huge_kb(huge) < SZ_2M / 1024) {
		munmap(base, 4 * SZ_2M);
		SKIP(return, "no THP for the buffer");
	}

	ASSERT_EQ(0, mock_device_small_pages(self->fd, p, &small));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, mock_attach(self->fd, small, self->id));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, va, len, iova));
	EXPECT_EQ(len / p, table_pages(self->fd));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 0, iova, va, len));
	EXPECT_TRUE(pasid_sees(self->fd, small, 0, iova, va, len));
	for (off = before; off < len; off += SZ_2M / 4) {
		ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, iova + off,
					&pte));
		EXPECT_EQ(SZ_2M, pte.pgsize);
		ASSERT_EQ(0, read_iopte(self->fd, small, 0, iova + off, &pte));
		EXPECT_EQ(p, pte.pgsize);
	}

	ASSERT_EQ(0, unmap_range(self->fd, self->id, iova, len, NULL));
	EXPECT_EQ(iova, read_fault(self->fd, self->dev, iova, p));
	EXPECT_EQ(iova + before,
		  read_fault(self->fd, small, iova + before, p));
	EXPECT_TRUE(nothing_pinned(self->fd, &self->start));
	munmap(base, 4 * SZ_2M);
}

/* @n anonymous 4 KiB pages faulted in a shuffled order, or NULL. */
static uint8_t *shuffled_buf(size_t n, size_t page)
{
	uint8_t *buf = mmap(NULL, n * page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED)
		return NULL;
	madvise(buf, n * page, MADV_NOHUGEPAGE);
	if (touch_shuffled(buf, n, page, 1)) {
		munmap(buf, n * page);
		return NULL;
	}
	return buf;
}

/* The contiguous pieces @dev's table maps @n pages at @iova with, or 0. */
static size_t table_pieces(int fd, uint32_t dev, uint64_t iova, size_t n,
			   size_t page)
{
	struct iopte pte, prev = {};
	size_t i, pieces = 0;

	for (i = 0; i < n; i++) {
		if (read_iopte(fd, dev, 0, iova + i * page, &pte))
			return 0;
		pieces += !i || pte.pfn != prev.pfn + 1;
		prev = pte;
	}
	return pieces;
}

/*
 * An UNMAP of more contiguous pieces than frames.c unmaps and unpins in
 * one batch, with their frames in the table alone: every page leaves the
 * table, and every pin is given back to the pages themselves.
 */
TEST_F(frames, unmap_in_batches)
{
	const size_t p = self->page, n = UNPIN_BATCH_PIECES + 1024;
	const uint64_t iova = 0x10000000ULL;
	uint8_t *buf = shuffled_buf(n, p);
	size_t i, mapped = 0;
	struct iopte pte;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, n * p, iova));
	EXPECT_EQ(n, table_pages(self->fd));
	ASSERT_LT(UNPIN_BATCH_PIECES, table_pieces(self->fd, self->dev, iova,
						   n, p));

	ASSERT_EQ(0, unmap_range(self->fd, self->id, iova, n * p, NULL));
	for (i = 0; i < n; i++)
		mapped += read_iopte(self->fd, self->dev, 0, iova + i * p,
				     &pte) != ENOENT;
	EXPECT_EQ(0, mapped);
	EXPECT_TRUE(nothing_pinned(self->fd, &self->start));
	munmap(buf, n * p);
}

/*
 * A MAP that fails after batches of scattered pages went into the tables
 * takes them out and unpins them: the range is free and nothing is left.
 */
TEST_F(frames, map_fails_after_batches_in_tables)
{
	const size_t p = self->page, n = 1600, hole = 1300;
	const uint64_t iova = 0x10000000ULL;
	uint8_t *buf = alternating_buf(n, p, 0x1a, 0x2b);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, munmap(buf + hole * p, p));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_EQ(EFAULT, map_fixed(self->fd, self->id, buf, n * p, iova));
	EXPECT_EQ(0, table_pages(self->fd));
	EXPECT_TRUE(nothing_pinned(self->fd, &self->start));
	EXPECT_EQ(iova, read_fault(self->fd, self->dev, iova, p));
	EXPECT_EQ(iova + (hole - 1) * p,
		  read_fault(self->fd, self->dev, iova + (hole - 1) * p, p));

	/* What is there maps where the failed MAP would have. */
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, hole * p, iova));
	EXPECT_EQ(hole, table_pages(self->fd));
	EXPECT_TRUE(dev_sees_alternating(self->fd, self->dev, iova, hole, p,
					 0x1a, 0x2b));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, iova, hole * p, NULL));
	EXPECT_TRUE(nothing_pinned(self->fd, &self->start));
	munmap(buf, hole * p);
	munmap(buf + (hole + 1) * p, (n - hole - 1) * p);
}

TEST_HARNESS_MAIN
