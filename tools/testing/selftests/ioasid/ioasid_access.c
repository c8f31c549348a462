// SPDX-License-Identifier: GPL-2.0-only
/*
 * The access API of /dev/ioasid, through the mock emulated devices of
 * CONFIG_DEV_IOASID_TEST.  An emulated device is a driver in the kernel
 * that reaches the memory of an IOASID without an IOMMU: it attaches an
 * access to the IOASID, pins the pages behind IOVAs or copies to and from
 * them with ioasid_access_rw(), and unpins from its unmap callback when
 * user space unmaps what it pinned.  IOASID_TEST makes the mock driver do
 * each of these and reads back its books: the callbacks it got, the range
 * of the last one and the pages it holds pinned.
 *
 * Every test checks what the call did, not only its errno: the bytes the
 * access moved, in the process's own memory and as a mock device behind
 * the mock IOMMU sees them through the same IOASID, the callbacks the
 * driver got, and the pin counters of the fd and of the process, which an
 * access must leave alone: its pins are those MAP took and charged.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include "ioasid_utils.h"
#include "../kselftest_harness.h"

#define NPAGES		8	/* pages of the fixture's mapping */
#define IOVA		IOASID_MOCK_APERTURE_START
#define IOVA_B		(IOASID_MOCK_APERTURE_START + SZ_1M)
#define IOVA_C		(IOASID_MOCK_APERTURE_START + 2 * SZ_1M)
#define KEEP		IOASID_MOCK_ACCESS_KEEP_PINS
#define WR		IOASID_MOCK_ACCESS_WRITE
#define MIRROR		IOASID_MOCK_ACCESS_MIRROR
#define RACE_ROUNDS	1000	/* detach and attach rounds of a race */

/* What the mock driver of an emulated device has on its books. */
struct books {
	uint64_t calls;		/* unmap callbacks so far */
	uint64_t first;		/* the range of the last one */
	uint64_t last;
	uint64_t pinned;	/* pages it holds pinned */
};

/*
 * The books of emulated device @acc, whose flags are @flags and stay;
 * every field is UINT64_MAX when they cannot be read.
 */
static struct books books_of(int fd, uint32_t acc, uint32_t flags)
{
	struct books b = { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };
	struct ioasid_test out;

	if (access_config(fd, acc, flags, &out))
		return b;
	b.calls = out.access.out_unmap_calls;
	b.first = out.access.out_unmap_iova;
	b.last = out.access.out_unmap_last;
	b.pinned = out.access.out_pinned_pages;
	return b;
}

static uint64_t unmap_calls(int fd, uint32_t acc, uint32_t flags)
{
	return books_of(fd, acc, flags).calls;
}

static uint64_t pinned_pages(int fd, uint32_t acc, uint32_t flags)
{
	return books_of(fd, acc, flags).pinned;
}

/* Whether @dev reads at @iova exactly the @len bytes of @want. */
static bool dev_sees(int fd, uint32_t dev, uint64_t iova, const void *want,
		     uint64_t len)
{
	return pasid_sees(fd, dev, 0, iova, want, len);
}

/* Whether emulated device @acc reads @want at @iova with access_rw(). */
static bool rw_sees(int fd, uint32_t acc, uint64_t iova, const void *want,
		    uint64_t len)
{
	uint8_t *got = calloc(1, len);
	bool same;

	if (!got)
		return false;
	same = !access_rw(fd, acc, iova, got, len, 0) &&
	       !memcmp(got, want, len);
	free(got);
	return same;
}

/* Whether @acc reads @want at @iova through the pages it holds pinned. */
static bool dma_sees(int fd, uint32_t acc, uint64_t iova, const void *want,
		     uint64_t len)
{
	uint8_t *got = calloc(1, len);
	bool same;

	if (!got)
		return false;
	same = !access_dma(fd, acc, iova, got, len, 0) &&
	       !memcmp(got, want, len);
	free(got);
	return same;
}

/* Whether the pin counters of the fd and of the process are @want's. */
static bool same_pins(int fd, const struct pinned *want)
{
	struct pinned p;

	return !get_pinned(fd, &p) && p.fd_pages == want->fd_pages &&
	       p.user_locked == want->user_locked &&
	       p.mm_locked == want->mm_locked &&
	       p.mm_pinned == want->mm_pinned;
}

/*
 * IOASID id maps buf, NPAGES pages of distinct words, at IOVA; mock
 * device dev and emulated device acc are attached to it.  base holds the
 * pin counters with that done.
 */
FIXTURE(emu) {
	int fd;
	uint32_t id;
	uint32_t dev;
	uint32_t acc;
	uint64_t page;
	uint64_t len;
	uint8_t *buf;
	struct pinned base;
};

FIXTURE_SETUP(emu)
{
	int ret;

	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "/dev/ioasid: %s", strerror(errno));
	ret = get_pinned(self->fd, &self->base);
	if (ret == ENOTTY || ret == EOPNOTSUPP)
		SKIP(return, "no IOASID_TEST: CONFIG_DEV_IOASID_TEST is off");
	ASSERT_EQ(0, ret);

	self->page = sysconf(_SC_PAGESIZE);
	self->len = NPAGES * self->page;
	self->buf = alloc_buf(self->len, 0, true);
	ASSERT_NE(NULL, self->buf);
	fill(self->buf, self->len, 0xacce5500);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &self->id));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, self->buf, self->len,
			       IOVA));
	ASSERT_EQ(0, mock_device(self->fd, &self->dev));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, access_create(self->fd, 0, &self->acc));
	ASSERT_EQ(0, access_attach(self->fd, self->acc, self->id));
	ASSERT_EQ(0, get_pinned(self->fd, &self->base));
	ASSERT_EQ(NPAGES, self->base.fd_pages);
}

FIXTURE_TEARDOWN(emu)
{
	close(self->fd);
}

/* Creation */

TEST_F(emu, create_destroy)
{
	struct books b;
	uint32_t a, k, bad;

	ASSERT_EQ(0, access_create(self->fd, 0, &a));
	ASSERT_EQ(0, access_create(self->fd, KEEP, &k));
	EXPECT_NE(0U, a);
	EXPECT_NE(a, k);
	EXPECT_NE(self->acc, a);
	EXPECT_NE(self->id, a);
	EXPECT_NE(self->dev, a);

	/* Only KEEP_PINS and MIRROR are flags of creation. */
	EXPECT_EQ(EOPNOTSUPP, access_create(self->fd, WR, &bad));
	EXPECT_EQ(EOPNOTSUPP, access_create(self->fd, 0x8, &bad));
	EXPECT_EQ(EOPNOTSUPP, access_create(self->fd, 1U << 31, &bad));
	EXPECT_EQ(EOPNOTSUPP, access_create(self->fd, KEEP | 0x8, &bad));

	/* A new one has empty books. */
	b = books_of(self->fd, a, 0);
	EXPECT_EQ(0, b.calls);
	EXPECT_EQ(0, b.pinned);

	EXPECT_EQ(0, ioasid_destroy(self->fd, a));
	EXPECT_EQ(ENOENT, ioasid_destroy(self->fd, a));
	EXPECT_EQ(ENOENT, access_attach(self->fd, a, self->id));
	EXPECT_EQ(ENOENT, access_config(self->fd, a, 0, NULL));
	EXPECT_EQ(0, access_config(self->fd, k, 0, NULL));
	EXPECT_EQ(0, ioasid_destroy(self->fd, k));

	/* The ids of other objects are no emulated devices. */
	EXPECT_EQ(ENOENT, access_attach(self->fd, self->dev, self->id));
	EXPECT_EQ(ENOENT, access_attach(self->fd, self->id, self->id));
	EXPECT_EQ(ENOENT, access_config(self->fd, self->dev, 0, NULL));
	/* Nor are the emulated devices mock devices. */
	EXPECT_EQ(ENOENT, mock_attach(self->fd, self->acc, self->id));
	EXPECT_TRUE(same_pins(self->fd, &self->base));
}

/* ACCESS_CONFIG takes KEEP_PINS alone and leaves the books alone. */
TEST_F(emu, config_flags)
{
	struct books b;

	EXPECT_EQ(EOPNOTSUPP, access_config(self->fd, self->acc, WR, NULL));
	EXPECT_EQ(EOPNOTSUPP, access_config(self->fd, self->acc, 0x4, NULL));
	EXPECT_EQ(EOPNOTSUPP, access_config(self->fd, self->acc, 1U << 31,
					    NULL));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, self->page, 0));
	b = books_of(self->fd, self->acc, KEEP);
	EXPECT_EQ(0, b.calls);
	EXPECT_EQ(1, b.pinned);
	b = books_of(self->fd, self->acc, 0);
	EXPECT_EQ(0, b.calls);
	EXPECT_EQ(1, b.pinned);
	EXPECT_EQ(0, access_unpin(self->fd, self->acc, IOVA, self->page));
}

/* Attaching, moving, detaching */

TEST_F(emu, attach_enoent)
{
	uint32_t id2;

	EXPECT_EQ(ENOENT, access_attach(self->fd, self->acc, 0));
	EXPECT_EQ(ENOENT, access_attach(self->fd, self->acc, 9999));
	/* Objects of other types are no IOASIDs. */
	EXPECT_EQ(ENOENT, access_attach(self->fd, self->acc, self->dev));
	EXPECT_EQ(ENOENT, access_attach(self->fd, self->acc, self->acc));
	EXPECT_EQ(ENOENT, access_attach(self->fd, 9999, self->id));
	EXPECT_EQ(ENOENT, access_attach(self->fd, 0, self->id));

	/* A destroyed IOASID is gone too. */
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, ioasid_destroy(self->fd, id2));
	EXPECT_EQ(ENOENT, access_attach(self->fd, self->acc, id2));

	/* The failures left it where it was. */
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA, self->buf, self->len));
}

TEST_F(emu, detach)
{
	uint8_t byte;
	uint32_t a;

	ASSERT_EQ(0, access_detach(self->fd, self->acc));
	EXPECT_EQ(ENODEV, access_rw(self->fd, self->acc, IOVA, &byte, 1, 0));
	EXPECT_EQ(ENODEV, access_pin(self->fd, self->acc, IOVA, self->page,
				     0));
	EXPECT_EQ(0, pinned_pages(self->fd, self->acc, 0));
	/* Detaching what is not attached does nothing, and succeeds. */
	EXPECT_EQ(0, access_detach(self->fd, self->acc));

	/* Neither is a new one attached. */
	ASSERT_EQ(0, access_create(self->fd, 0, &a));
	EXPECT_EQ(ENODEV, access_rw(self->fd, a, IOVA, &byte, 1, 0));
	EXPECT_EQ(ENODEV, access_pin(self->fd, a, IOVA, self->page, WR));
	EXPECT_EQ(0, access_detach(self->fd, a));

	/* Attached again, it reaches the memory again. */
	ASSERT_EQ(0, access_attach(self->fd, self->acc, self->id));
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA, self->buf, self->len));
	EXPECT_EQ(0, unmap_calls(self->fd, self->acc, 0));
	EXPECT_TRUE(same_pins(self->fd, &self->base));
}

/* An IOASID an access is attached to cannot be destroyed. */
TEST_F(emu, destroy_attached_ioasid)
{
	uint32_t id2, a;

	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, access_create(self->fd, 0, &a));
	ASSERT_EQ(0, access_attach(self->fd, a, id2));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, id2));
	/* Moved away, it no longer holds it. */
	ASSERT_EQ(0, access_attach(self->fd, a, self->id));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));

	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, access_attach(self->fd, a, id2));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, id2));
	ASSERT_EQ(0, access_detach(self->fd, a));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));

	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, access_attach(self->fd, a, id2));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, id2));
	ASSERT_EQ(0, ioasid_destroy(self->fd, a));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));

	/* The fixture's IOASID holds a device and an access. */
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->id));
	ASSERT_EQ(0, access_detach(self->fd, self->acc));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->id));
}

/* Destroying an emulated device that holds pins lets them go. */
TEST_F(emu, destroy_with_pins)
{
	uint64_t out;

	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, 2 * self->page,
				WR));
	ASSERT_EQ(0, ioasid_destroy(self->fd, self->acc));
	EXPECT_TRUE(same_pins(self->fd, &self->base));
	/* Nothing is left to block the unmap. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA, self->len, &out));
	EXPECT_EQ(self->len, out);
	EXPECT_EQ(0, fd_pages(self->fd));
}

/* Moving an access that holds pins makes its driver unpin everything. */
TEST_F(emu, move_runs_callback)
{
	uint8_t *buf2 = alloc_buf(self->len, 0, true);
	struct books b;
	uint32_t id2;
	uint64_t out;

	ASSERT_NE(NULL, buf2);
	fill(buf2, self->len, 0xb0b0b0b0);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, id2, buf2, self->len, IOVA));

	/* Without pins, a move runs no callback. */
	ASSERT_EQ(0, access_attach(self->fd, self->acc, id2));
	EXPECT_EQ(0, unmap_calls(self->fd, self->acc, 0));
	ASSERT_EQ(0, access_attach(self->fd, self->acc, self->id));
	EXPECT_EQ(0, unmap_calls(self->fd, self->acc, 0));

	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + self->page,
				2 * self->page, WR));
	ASSERT_EQ(0, access_attach(self->fd, self->acc, id2));
	b = books_of(self->fd, self->acc, 0);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(0, b.first);
	EXPECT_EQ(UINT64_MAX, b.last);
	EXPECT_EQ(0, b.pinned);
	EXPECT_EQ(ENXIO, access_unpin(self->fd, self->acc, IOVA + self->page,
				      2 * self->page));
	/* It holds no pin of the mapping it left, which unmaps quietly. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA, self->len, &out));
	EXPECT_EQ(self->len, out);
	EXPECT_EQ(1, unmap_calls(self->fd, self->acc, 0));
	EXPECT_EQ(NPAGES, fd_pages(self->fd));
}

/* Attaching again where it is attached is an attach too: pins go. */
TEST_F(emu, reattach_runs_callback)
{
	struct books b;

	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, self->page, 0));
	ASSERT_EQ(0, access_attach(self->fd, self->acc, self->id));
	b = books_of(self->fd, self->acc, 0);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(0, b.first);
	EXPECT_EQ(UINT64_MAX, b.last);
	EXPECT_EQ(0, b.pinned);
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA, self->buf, self->len));
}

/* After a move, RW and PIN reach the new IOASID's memory alone. */
TEST_F(emu, move_reaches_new_memory)
{
	const uint64_t p = self->page;
	uint8_t *buf2 = alloc_buf(self->len, 0, true);
	uint8_t *ref = alloc_buf(self->len, 0, true), data[64];
	uint32_t id2;

	ASSERT_NE(NULL, buf2);
	ASSERT_NE(NULL, ref);
	fill(buf2, self->len, 0xb0b0b0b0);
	memcpy(ref, self->buf, self->len);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, id2, buf2, self->len, IOVA));

	ASSERT_EQ(0, access_attach(self->fd, self->acc, id2));
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA, buf2, self->len));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + p, p, WR));
	EXPECT_TRUE(dma_sees(self->fd, self->acc, IOVA + p, buf2 + p, p));

	/* Writes land in the new IOASID's memory, not the old one's. */
	memset(data, 0xe7, sizeof(data));
	ASSERT_EQ(0, access_rw(self->fd, self->acc, IOVA + 8, data,
			       sizeof(data), WR));
	ASSERT_EQ(0, access_dma(self->fd, self->acc, IOVA + p + 8, data,
				sizeof(data), WR));
	EXPECT_TRUE(all_bytes(buf2 + 8, sizeof(data), 0xe7));
	EXPECT_TRUE(all_bytes(buf2 + p + 8, sizeof(data), 0xe7));
	EXPECT_EQ(0, memcmp(self->buf, ref, self->len));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, IOVA, ref, self->len));

	/* And an IOVA mapped only in the old one is not reachable. */
	ASSERT_EQ(0, map_fixed(self->fd, self->id, ref, p, IOVA_B));
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->acc, IOVA_B, data, 1, 0));
	EXPECT_EQ(ENOENT, access_pin(self->fd, self->acc, IOVA_B, p, 0));
	EXPECT_EQ(0, access_unpin(self->fd, self->acc, IOVA + p, p));
	munmap(ref, self->len);
}

/*
 * A driver whose callback keeps its pins cannot be moved: the attach
 * fails and leaves it attached where it was, pins and all.
 */
TEST_F(emu, move_keep_pins_ebusy)
{
	const uint64_t p = self->page;
	uint8_t *buf2 = alloc_buf(self->len, 0, true);
	uint8_t data[16];
	struct books b;
	uint32_t id2;

	ASSERT_NE(NULL, buf2);
	fill(buf2, self->len, 0xb0b0b0b0);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, id2, buf2, self->len, IOVA));
	ASSERT_EQ(0, access_config(self->fd, self->acc, KEEP, NULL));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, 2 * p, WR));

	EXPECT_EQ(EBUSY, access_attach(self->fd, self->acc, id2));
	b = books_of(self->fd, self->acc, KEEP);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(0, b.first);
	EXPECT_EQ(UINT64_MAX, b.last);
	EXPECT_EQ(2, b.pinned);
	/* Still attached to the first IOASID, whose memory it reaches. */
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA, self->buf, self->len));
	EXPECT_TRUE(dma_sees(self->fd, self->acc, IOVA, self->buf, 2 * p));
	memset(data, 0x3d, sizeof(data));
	ASSERT_EQ(0, access_dma(self->fd, self->acc, IOVA + p, data,
				sizeof(data), WR));
	EXPECT_TRUE(all_bytes(self->buf + p, sizeof(data), 0x3d));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->id));
	/* id2 has nothing attached. */
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, id2, buf2, self->len, IOVA));

	/* A driver that behaves can move. */
	ASSERT_EQ(0, access_config(self->fd, self->acc, 0, NULL));
	ASSERT_EQ(0, access_attach(self->fd, self->acc, id2));
	b = books_of(self->fd, self->acc, 0);
	EXPECT_EQ(2, b.calls);
	EXPECT_EQ(0, b.pinned);
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA, buf2, self->len));
	EXPECT_EQ(2 * NPAGES, fd_pages(self->fd));
}

TEST_F(emu, detach_runs_callback)
{
	struct books b;
	uint64_t out;

	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, 3 * self->page,
				WR));
	ASSERT_EQ(0, access_detach(self->fd, self->acc));
	b = books_of(self->fd, self->acc, 0);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(0, b.first);
	EXPECT_EQ(UINT64_MAX, b.last);
	EXPECT_EQ(0, b.pinned);
	/* Nothing was left pinned to call it for again. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA, self->len, &out));
	EXPECT_EQ(self->len, out);
	EXPECT_EQ(1, unmap_calls(self->fd, self->acc, 0));
	EXPECT_EQ(0, fd_pages(self->fd));
}

/* A driver must unpin before it detaches: the mock's refusal. */
TEST_F(emu, detach_keep_pins_ebusy)
{
	const uint64_t p = self->page;
	struct books b;

	ASSERT_EQ(0, access_config(self->fd, self->acc, KEEP, NULL));
	/* Without pins there is nothing to keep. */
	ASSERT_EQ(0, access_detach(self->fd, self->acc));
	EXPECT_EQ(0, unmap_calls(self->fd, self->acc, KEEP));
	ASSERT_EQ(0, access_attach(self->fd, self->acc, self->id));

	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + p, p, 0));
	EXPECT_EQ(EBUSY, access_detach(self->fd, self->acc));
	b = books_of(self->fd, self->acc, KEEP);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(0, b.first);
	EXPECT_EQ(UINT64_MAX, b.last);
	EXPECT_EQ(1, b.pinned);
	/* It is still attached, and its pin still works. */
	EXPECT_TRUE(dma_sees(self->fd, self->acc, IOVA + p, self->buf + p, p));
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA, self->buf, self->len));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->id));

	ASSERT_EQ(0, access_unpin(self->fd, self->acc, IOVA + p, p));
	EXPECT_EQ(0, access_detach(self->fd, self->acc));
	EXPECT_EQ(ENODEV, access_pin(self->fd, self->acc, IOVA, p, 0));
	ASSERT_EQ(0, access_config(self->fd, self->acc, 0, NULL));
	EXPECT_TRUE(same_pins(self->fd, &self->base));
}

/* Pinning */

TEST_F(emu, pin_bad_range)
{
	const uint64_t p = self->page;

	EXPECT_EQ(EINVAL, access_pin(self->fd, self->acc, IOVA + 1, p, 0));
	EXPECT_EQ(EINVAL, access_pin(self->fd, self->acc, IOVA + p / 2, p,
				     WR));
	EXPECT_EQ(EINVAL, access_pin(self->fd, self->acc, IOVA, 0, 0));
	EXPECT_EQ(EINVAL, access_pin(self->fd, self->acc, IOVA, p - 1, 0));
	EXPECT_EQ(EINVAL, access_pin(self->fd, self->acc, IOVA, p + 1, 0));
	EXPECT_EQ(EOVERFLOW, access_pin(self->fd, self->acc, -p, 2 * p, 0));
	EXPECT_EQ(EOVERFLOW, access_pin(self->fd, self->acc, IOVA,
					-(IOVA - p), 0));
	EXPECT_EQ(EOPNOTSUPP, access_pin(self->fd, self->acc, IOVA, p, 0x4));
	EXPECT_EQ(0, pinned_pages(self->fd, self->acc, 0));
	EXPECT_EQ(0, unmap_calls(self->fd, self->acc, 0));
	EXPECT_TRUE(same_pins(self->fd, &self->base));
}

/* Every page of the range must be mapped; a failure pins nothing. */
TEST_F(emu, pin_unmapped)
{
	const uint64_t p = self->page;
	uint64_t out;

	EXPECT_EQ(ENOENT, access_pin(self->fd, self->acc, IOVA_B, p, 0));
	/* One page past the end */
	EXPECT_EQ(ENOENT, access_pin(self->fd, self->acc,
				     IOVA + self->len - p, 2 * p, 0));
	/* One page before the start */
	EXPECT_EQ(ENOENT, access_pin(self->fd, self->acc, IOVA - p, 2 * p,
				     WR));
	/* A hole between two mappings */
	ASSERT_EQ(0, map_fixed(self->fd, self->id, self->buf, p,
			       IOVA + self->len + p));
	EXPECT_EQ(ENOENT, access_pin(self->fd, self->acc,
				     IOVA + self->len - p, 3 * p, 0));
	EXPECT_EQ(0, pinned_pages(self->fd, self->acc, 0));
	/* Nothing pinned: unmapping runs no callback. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA, self->len, &out));
	EXPECT_EQ(0, unmap_calls(self->fd, self->acc, 0));
}

/* A pin asks the mapping for the permission the device needs. */
TEST_F(emu, pin_permission)
{
	const uint64_t p = self->page;
	uint8_t *ro = alloc_buf(2 * p, 0x11, true);
	uint8_t *wo = alloc_buf(2 * p, 0x22, true);

	ASSERT_NE(NULL, ro);
	ASSERT_NE(NULL, wo);
	ASSERT_EQ(0, map_fixed_prot(self->fd, self->id, ro, 2 * p, IOVA_B,
				    IOASID_MAP_READ));
	ASSERT_EQ(0, map_fixed_prot(self->fd, self->id, wo, 2 * p, IOVA_C,
				    IOASID_MAP_WRITE));

	EXPECT_EQ(EPERM, access_pin(self->fd, self->acc, IOVA_B, p, WR));
	EXPECT_EQ(EPERM, access_pin(self->fd, self->acc, IOVA_C, p, 0));
	EXPECT_EQ(0, pinned_pages(self->fd, self->acc, 0));
	EXPECT_EQ(0, access_pin(self->fd, self->acc, IOVA_B, 2 * p, 0));
	EXPECT_EQ(0, access_pin(self->fd, self->acc, IOVA_C, 2 * p, WR));
	EXPECT_EQ(4, pinned_pages(self->fd, self->acc, 0));
	EXPECT_TRUE(dma_sees(self->fd, self->acc, IOVA_B, ro, 2 * p));
	EXPECT_EQ(0, access_unpin(self->fd, self->acc, IOVA_B, 2 * p));
	EXPECT_EQ(0, access_unpin(self->fd, self->acc, IOVA_C, 2 * p));
}

/*
 * An access pins what MAP already pinned and charged: no counter of the
 * fd, the user or the mm moves, however much it pins.
 */
TEST_F(emu, pin_charges_nothing)
{
	const uint64_t p = self->page;

	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, 3 * p, WR));
	EXPECT_EQ(3, pinned_pages(self->fd, self->acc, 0));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + 4 * p, 4 * p, 0));
	EXPECT_EQ(7, pinned_pages(self->fd, self->acc, 0));
	EXPECT_TRUE(same_pins(self->fd, &self->base));
	ASSERT_EQ(0, access_unpin(self->fd, self->acc, IOVA, 3 * p));
	EXPECT_EQ(4, pinned_pages(self->fd, self->acc, 0));
	ASSERT_EQ(0, access_unpin(self->fd, self->acc, IOVA + 4 * p, 4 * p));
	EXPECT_EQ(0, pinned_pages(self->fd, self->acc, 0));
	EXPECT_TRUE(same_pins(self->fd, &self->base));
	EXPECT_EQ(0, unmap_calls(self->fd, self->acc, 0));
}

/* A pin may cross from one mapping into the next. */
TEST_F(emu, pin_across_mappings)
{
	const uint64_t p = self->page;
	uint8_t *next = alloc_buf(2 * p, 0, true), *want = malloc(2 * p);
	struct books b;
	uint64_t out;

	ASSERT_NE(NULL, next);
	ASSERT_NE(NULL, want);
	fill(next, 2 * p, 0x0e0e0e0e);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, next, 2 * p,
			       IOVA + self->len));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + self->len - p,
				2 * p, WR));
	EXPECT_EQ(2, pinned_pages(self->fd, self->acc, 0));
	memcpy(want, self->buf + self->len - p, p);
	memcpy(want + p, next, p);
	EXPECT_TRUE(dma_sees(self->fd, self->acc, IOVA + self->len - p, want,
			     2 * p));

	/* Unmapping the second mapping drops the pin that reaches into it. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA + self->len, 2 * p,
				 &out));
	EXPECT_EQ(2 * p, out);
	b = books_of(self->fd, self->acc, 0);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(IOVA + self->len, b.first);
	EXPECT_EQ(IOVA + self->len + 2 * p - 1, b.last);
	EXPECT_EQ(0, b.pinned);
	free(want);
}

TEST_F(emu, unpin_exact_record)
{
	const uint64_t p = self->page;
	uint64_t out;

	EXPECT_EQ(ENXIO, access_unpin(self->fd, self->acc, IOVA, p));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + p, 2 * p, 0));
	/* Part of it, more than it, or overlapping it */
	EXPECT_EQ(ENXIO, access_unpin(self->fd, self->acc, IOVA + p, p));
	EXPECT_EQ(ENXIO, access_unpin(self->fd, self->acc, IOVA + 2 * p, p));
	EXPECT_EQ(ENXIO, access_unpin(self->fd, self->acc, IOVA, 3 * p));
	EXPECT_EQ(ENXIO, access_unpin(self->fd, self->acc, IOVA + p, 3 * p));
	EXPECT_EQ(ENXIO, access_unpin(self->fd, self->acc, IOVA, 2 * p));
	EXPECT_EQ(2, pinned_pages(self->fd, self->acc, 0));
	EXPECT_TRUE(dma_sees(self->fd, self->acc, IOVA + p, self->buf + p,
			     2 * p));

	EXPECT_EQ(0, access_unpin(self->fd, self->acc, IOVA + p, 2 * p));
	EXPECT_EQ(0, pinned_pages(self->fd, self->acc, 0));
	EXPECT_EQ(ENXIO, access_unpin(self->fd, self->acc, IOVA + p, 2 * p));

	/* Two pins side by side are two records. */
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, p, 0));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + p, p, 0));
	EXPECT_EQ(ENXIO, access_unpin(self->fd, self->acc, IOVA, 2 * p));
	EXPECT_EQ(0, access_unpin(self->fd, self->acc, IOVA + p, p));
	EXPECT_EQ(0, access_unpin(self->fd, self->acc, IOVA, p));

	/* Unpinned, the mapping unmaps without a callback. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA, self->len, &out));
	EXPECT_EQ(0, unmap_calls(self->fd, self->acc, 0));
}

/* DMA through pins */

/* The pins are of the process's pages: it sees what the device writes. */
TEST_F(emu, dma_write_user_memory)
{
	const uint64_t p = self->page;
	uint8_t *data = malloc(2 * p), *ref = malloc(self->len);

	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, ref);
	memcpy(ref, self->buf, self->len);
	fill(data, 2 * p, 0xd00dd00d);
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + 2 * p, 2 * p,
				WR));
	/* Unaligned, across the page boundary */
	ASSERT_EQ(0, access_dma(self->fd, self->acc, IOVA + 2 * p + 100,
				data, p + 50, WR));
	memcpy(ref + 2 * p + 100, data, p + 50);
	EXPECT_EQ(0, memcmp(self->buf, ref, self->len));
	/* The mock device sees the same memory through the IOMMU. */
	EXPECT_TRUE(dev_sees(self->fd, self->dev, IOVA, ref, self->len));
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA, ref, self->len));
	ASSERT_EQ(0, access_unpin(self->fd, self->acc, IOVA + 2 * p, 2 * p));
	free(data);
	free(ref);
}

/* And reads what the process writes to its buffer. */
TEST_F(emu, dma_read_user_memory)
{
	const uint64_t p = self->page;
	uint8_t got[32];

	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, NPAGES * p, 0));
	EXPECT_TRUE(dma_sees(self->fd, self->acc, IOVA, self->buf, self->len));
	memset(self->buf + 5 * p - 16, 0x77, sizeof(got));
	memset(got, 0, sizeof(got));
	ASSERT_EQ(0, access_dma(self->fd, self->acc, IOVA + 5 * p - 16, got,
				sizeof(got), 0));
	EXPECT_TRUE(all_bytes(got, sizeof(got), 0x77));
	ASSERT_EQ(0, access_unpin(self->fd, self->acc, IOVA, NPAGES * p));
}

TEST_F(emu, dma_outside_pins)
{
	const uint64_t p = self->page;
	uint8_t *ref = malloc(self->len), data[8] = {};

	ASSERT_NE(NULL, ref);
	memcpy(ref, self->buf, self->len);
	EXPECT_EQ(ENXIO, access_dma(self->fd, self->acc, IOVA, data, 1, 0));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + p, p, WR));
	EXPECT_EQ(ENXIO, access_dma(self->fd, self->acc, IOVA, data, 1, 0));
	EXPECT_EQ(ENXIO, access_dma(self->fd, self->acc, IOVA + p - 1, data,
				    2, 0));
	EXPECT_EQ(ENXIO, access_dma(self->fd, self->acc, IOVA + 2 * p - 1,
				    data, 2, WR));
	EXPECT_EQ(ENXIO, access_dma(self->fd, self->acc, IOVA + 2 * p, data,
				    1, WR));
	/* Mapped and reachable with RW, but not pinned */
	EXPECT_EQ(0, access_rw(self->fd, self->acc, IOVA + 3 * p, data, 1, 0));
	EXPECT_EQ(ENXIO, access_dma(self->fd, self->acc, IOVA + 3 * p, data,
				    1, 0));
	/* The refused writes wrote nothing. */
	EXPECT_EQ(0, memcmp(self->buf, ref, self->len));

	/* Within the pin, at its very edges */
	EXPECT_EQ(0, access_dma(self->fd, self->acc, IOVA + p, data, 1, 0));
	EXPECT_EQ(ref[p], data[0]);
	EXPECT_EQ(0, access_dma(self->fd, self->acc, IOVA + 2 * p - 1, data, 1,
				0));
	EXPECT_EQ(ref[2 * p - 1], data[0]);

	/* Every byte inside a pin: two pins side by side cover the range. */
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + 2 * p, p, 0));
	EXPECT_TRUE(dma_sees(self->fd, self->acc, IOVA + 2 * p - 4,
			     ref + 2 * p - 4, 8));
	free(ref);
}

TEST_F(emu, dma_write_needs_write_pin)
{
	const uint64_t p = self->page;
	uint8_t *ref = malloc(self->len), data[16];

	ASSERT_NE(NULL, ref);
	memcpy(ref, self->buf, self->len);
	memset(data, 0xff, sizeof(data));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, p, 0));
	EXPECT_EQ(EPERM, access_dma(self->fd, self->acc, IOVA, data,
				    sizeof(data), WR));
	EXPECT_EQ(0, memcmp(self->buf, ref, self->len));
	EXPECT_TRUE(dma_sees(self->fd, self->acc, IOVA, ref, p));
	free(ref);
}

/*
 * A page pinned twice, first to read and then to write: the device may
 * write through the second pin, whatever the order the pins were taken.
 */
TEST_F(emu, dma_write_through_later_write_pin)
{
	const uint64_t p = self->page;
	uint8_t data[16];

	memset(data, 0x5c, sizeof(data));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, p, 0));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, p, WR));
	EXPECT_EQ(0, access_dma(self->fd, self->acc, IOVA + 8, data,
				sizeof(data), WR));
	EXPECT_TRUE(all_bytes(self->buf + 8, sizeof(data), 0x5c));
	EXPECT_EQ(0, access_unpin(self->fd, self->acc, IOVA, p));
	EXPECT_EQ(0, access_unpin(self->fd, self->acc, IOVA, p));
}

/* Copies without pins */

TEST_F(emu, rw_read)
{
	const uint64_t p = self->page;
	uint8_t got[3];

	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA, self->buf, self->len));
	/* Byte granular, across pages */
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA + p - 3,
			    self->buf + p - 3, p + 7));
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA + 1, self->buf + 1, 1));
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA + self->len - 1,
			    self->buf + self->len - 1, 1));
	EXPECT_EQ(EINVAL, access_rw(self->fd, self->acc, IOVA, got, 0, 0));
	EXPECT_EQ(EINVAL, access_rw(self->fd, self->acc, IOVA, got, 0, WR));
	EXPECT_EQ(EOPNOTSUPP, access_rw(self->fd, self->acc, IOVA, got, 1,
					0x4));
	/* It sees what the process writes. */
	self->buf[3 * p + 7] ^= 0xff;
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA + 3 * p, self->buf + 3 * p,
			    p));
	EXPECT_EQ(0, pinned_pages(self->fd, self->acc, 0));
}

TEST_F(emu, rw_write)
{
	const uint64_t p = self->page;
	uint8_t *ref = malloc(self->len), data[100];

	ASSERT_NE(NULL, ref);
	memcpy(ref, self->buf, self->len);
	fill(data, sizeof(data), 0x12345678);
	ASSERT_EQ(0, access_rw(self->fd, self->acc, IOVA + 2 * p - 33, data,
			       sizeof(data), WR));
	memcpy(ref + 2 * p - 33, data, sizeof(data));
	/* Those bytes, and no others */
	EXPECT_EQ(0, memcmp(self->buf, ref, self->len));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, IOVA, ref, self->len));
	ASSERT_EQ(0, access_rw(self->fd, self->acc, IOVA + self->len - 1, data,
			       1, WR));
	EXPECT_EQ(data[0], self->buf[self->len - 1]);
	EXPECT_EQ(0, pinned_pages(self->fd, self->acc, 0));
	free(ref);
}

TEST_F(emu, rw_across_mappings)
{
	const uint64_t p = self->page;
	uint8_t *next = alloc_buf(p, 0, true), *want = malloc(p + 1);
	uint8_t data[64];

	ASSERT_NE(NULL, next);
	ASSERT_NE(NULL, want);
	fill(next, p, 0x0f0f0f0f);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, next, p,
			       IOVA + self->len));
	memcpy(want, self->buf + self->len - 32, 32);
	memcpy(want + 32, next, 32);
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA + self->len - 32, want,
			    64));

	memset(data, 0x99, sizeof(data));
	ASSERT_EQ(0, access_rw(self->fd, self->acc, IOVA + self->len - 32,
			       data, sizeof(data), WR));
	EXPECT_TRUE(all_bytes(self->buf + self->len - 32, 32, 0x99));
	EXPECT_TRUE(all_bytes(next, 32, 0x99));
	/* Past the second mapping there is nothing: nothing is copied. */
	memset(want, 0x5a, p + 1);
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->acc, IOVA + self->len,
				    want, p + 1, 0));
	EXPECT_TRUE(all_bytes(want, p + 1, 0x5a));
	free(want);
}

TEST_F(emu, rw_errors)
{
	const uint64_t p = self->page;
	uint8_t *ro = alloc_buf(p, 0x11, true), *wo = alloc_buf(p, 0x22, true);
	uint8_t data[16];
	uint32_t a;

	ASSERT_NE(NULL, ro);
	ASSERT_NE(NULL, wo);
	ASSERT_EQ(0, map_fixed_prot(self->fd, self->id, ro, p, IOVA_B,
				    IOASID_MAP_READ));
	ASSERT_EQ(0, map_fixed_prot(self->fd, self->id, wo, p, IOVA_C,
				    IOASID_MAP_WRITE));
	memset(data, 0xcc, sizeof(data));

	/* Not mapped, or only partly */
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->acc, IOVA_B + p, data, 1,
				    0));
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->acc, IOVA + self->len - 8,
				    data, sizeof(data), 0));
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->acc, IOVA - 8, data,
				    sizeof(data), WR));
	/* Without the permission */
	EXPECT_EQ(EPERM, access_rw(self->fd, self->acc, IOVA_B, data,
				   sizeof(data), WR));
	EXPECT_TRUE(all_bytes(ro, p, 0x11));
	EXPECT_EQ(EPERM, access_rw(self->fd, self->acc, IOVA_C, data,
				   sizeof(data), 0));
	EXPECT_TRUE(all_bytes(data, sizeof(data), 0xcc));
	/* With it */
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA_B, ro, p));
	ASSERT_EQ(0, access_rw(self->fd, self->acc, IOVA_C + 8, data,
			       sizeof(data), WR));
	EXPECT_TRUE(all_bytes(wo + 8, sizeof(data), 0xcc));
	EXPECT_TRUE(all_bytes(wo, 8, 0x22));

	/* Not attached */
	ASSERT_EQ(0, access_create(self->fd, 0, &a));
	EXPECT_EQ(ENODEV, access_rw(self->fd, a, IOVA, data, 1, 0));
	EXPECT_EQ(ENODEV, access_rw(self->fd, a, IOVA, data, 1, WR));
}

/* RW pins nothing: an unmap after it runs no callback. */
TEST_F(emu, rw_pins_nothing)
{
	uint8_t data[64];
	uint64_t out;

	ASSERT_EQ(0, access_rw(self->fd, self->acc, IOVA, data, sizeof(data),
			       0));
	ASSERT_EQ(0, access_rw(self->fd, self->acc, IOVA, data, sizeof(data),
			       WR));
	EXPECT_TRUE(same_pins(self->fd, &self->base));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA, self->len, &out));
	EXPECT_EQ(self->len, out);
	EXPECT_EQ(0, unmap_calls(self->fd, self->acc, 0));
	EXPECT_EQ(0, pinned_pages(self->fd, self->acc, 0));
	EXPECT_EQ(0, fd_pages(self->fd));
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->acc, IOVA, data, 1, 0));
}

/* Unmapping what an access pinned */

TEST_F(emu, unmap_runs_callback)
{
	const uint64_t p = self->page;
	struct books b;
	uint64_t out;

	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + 2 * p, p, WR));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + 5 * p, 2 * p, 0));
	/* A range larger than the mapping: the callback gets the range. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA, SZ_1M, &out));
	EXPECT_EQ(self->len, out);
	b = books_of(self->fd, self->acc, 0);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(IOVA, b.first);
	EXPECT_EQ(IOVA + SZ_1M - 1, b.last);
	EXPECT_EQ(0, b.pinned);
	EXPECT_EQ(0, fd_pages(self->fd));
	EXPECT_EQ(IOVA, read_fault(self->fd, self->dev, IOVA, p));
	EXPECT_EQ(ENXIO, access_dma(self->fd, self->acc, IOVA + 2 * p,
				    self->buf, 1, 0));
}

TEST_F(emu, unmap_all_runs_callback)
{
	struct books b;
	uint64_t out;

	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, self->page, WR));
	ASSERT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(self->len, out);
	b = books_of(self->fd, self->acc, 0);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(0, b.first);
	EXPECT_EQ(UINT64_MAX, b.last);
	EXPECT_EQ(0, b.pinned);
	EXPECT_EQ(0, fd_pages(self->fd));
}

/*
 * The callback runs for a mapping the access holds pins in, and drops
 * the pins the unmapped range reaches, no others.
 */
TEST_F(emu, unmap_other_mapping)
{
	const uint64_t p = self->page;
	uint8_t *other = alloc_buf(2 * p, 0x44, true);
	struct books b;
	uint64_t out;

	ASSERT_NE(NULL, other);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, other, 2 * p, IOVA_B));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + p, p, WR));

	/* No pin in it: no callback. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA_B, 2 * p, &out));
	EXPECT_EQ(2 * p, out);
	EXPECT_EQ(0, unmap_calls(self->fd, self->acc, 0));
	EXPECT_EQ(1, pinned_pages(self->fd, self->acc, 0));
	EXPECT_TRUE(dma_sees(self->fd, self->acc, IOVA + p, self->buf + p, p));

	/* A pin in each: unmapping one drops that one only. */
	ASSERT_EQ(0, map_fixed(self->fd, self->id, other, 2 * p, IOVA_B));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA_B, 2 * p, 0));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA_B, 2 * p, &out));
	b = books_of(self->fd, self->acc, 0);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(IOVA_B, b.first);
	EXPECT_EQ(IOVA_B + 2 * p - 1, b.last);
	EXPECT_EQ(1, b.pinned);
	EXPECT_TRUE(dma_sees(self->fd, self->acc, IOVA + p, self->buf + p, p));
	EXPECT_EQ(0, access_unpin(self->fd, self->acc, IOVA + p, p));
	EXPECT_EQ(ENXIO, access_unpin(self->fd, self->acc, IOVA_B, 2 * p));
}

/*
 * A driver that keeps its pins blocks the unmap, which leaves the mapping
 * whole; once it behaves, the unmap goes through.
 */
TEST_F(emu, unmap_keep_pins_ebusy)
{
	const uint64_t p = self->page;
	uint8_t data[8];
	struct books b;
	uint64_t out;

	ASSERT_EQ(0, access_config(self->fd, self->acc, KEEP, NULL));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA + 3 * p, p, WR));

	EXPECT_EQ(EBUSY, unmap_range(self->fd, self->id, IOVA, self->len,
				     &out));
	b = books_of(self->fd, self->acc, KEEP);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(IOVA, b.first);
	EXPECT_EQ(IOVA + self->len - 1, b.last);
	EXPECT_EQ(1, b.pinned);
	EXPECT_EQ(EBUSY, unmap_all(self->fd, self->id, &out));
	b = books_of(self->fd, self->acc, KEEP);
	EXPECT_EQ(2, b.calls);
	EXPECT_EQ(0, b.first);
	EXPECT_EQ(UINT64_MAX, b.last);

	/* Intact: the device, the access and the pin all still reach it. */
	EXPECT_TRUE(same_pins(self->fd, &self->base));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, IOVA, self->buf, self->len));
	EXPECT_TRUE(rw_sees(self->fd, self->acc, IOVA, self->buf, self->len));
	memset(data, 0x5f, sizeof(data));
	ASSERT_EQ(0, access_dma(self->fd, self->acc, IOVA + 3 * p, data,
				sizeof(data), WR));
	EXPECT_TRUE(all_bytes(self->buf + 3 * p, sizeof(data), 0x5f));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, IOVA, self->buf, self->len));

	ASSERT_EQ(0, access_config(self->fd, self->acc, 0, NULL));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA, self->len, &out));
	EXPECT_EQ(self->len, out);
	b = books_of(self->fd, self->acc, 0);
	EXPECT_EQ(3, b.calls);
	EXPECT_EQ(0, b.pinned);
	EXPECT_EQ(0, fd_pages(self->fd));
	EXPECT_EQ(IOVA, read_fault(self->fd, self->dev, IOVA, p));
}

/* KEEP_PINS given at creation holds from the start. */
TEST_F(emu, keep_pins_at_create)
{
	const uint64_t p = self->page;
	uint64_t out;
	uint32_t a;

	ASSERT_EQ(0, access_create(self->fd, KEEP, &a));
	ASSERT_EQ(0, access_attach(self->fd, a, self->id));
	ASSERT_EQ(0, access_pin(self->fd, a, IOVA, p, 0));
	EXPECT_EQ(EBUSY, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(1, unmap_calls(self->fd, a, KEEP));
	EXPECT_EQ(NPAGES, fd_pages(self->fd));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, IOVA, self->buf, self->len));
	/* The fixture's access holds nothing: its callback did not run. */
	EXPECT_EQ(0, unmap_calls(self->fd, self->acc, 0));
	ASSERT_EQ(0, access_unpin(self->fd, a, IOVA, p));
	EXPECT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(1, unmap_calls(self->fd, a, KEEP));
	ASSERT_EQ(0, access_config(self->fd, a, 0, NULL));
}

/* Each emulated device holding pins in the range gets its callback. */
TEST_F(emu, two_accesses)
{
	const uint64_t p = self->page;
	uint32_t a, idle;
	struct books b;
	uint64_t out;

	ASSERT_EQ(0, access_create(self->fd, 0, &a));
	ASSERT_EQ(0, access_create(self->fd, 0, &idle));
	ASSERT_EQ(0, access_attach(self->fd, a, self->id));
	ASSERT_EQ(0, access_attach(self->fd, idle, self->id));
	ASSERT_EQ(0, access_pin(self->fd, self->acc, IOVA, 2 * p, WR));
	/* The same pages, pinned by another device */
	ASSERT_EQ(0, access_pin(self->fd, a, IOVA + p, 2 * p, 0));
	EXPECT_TRUE(same_pins(self->fd, &self->base));

	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA, self->len, &out));
	EXPECT_EQ(self->len, out);
	b = books_of(self->fd, self->acc, 0);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(IOVA, b.first);
	EXPECT_EQ(IOVA + self->len - 1, b.last);
	EXPECT_EQ(0, b.pinned);
	b = books_of(self->fd, a, 0);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(IOVA, b.first);
	EXPECT_EQ(IOVA + self->len - 1, b.last);
	EXPECT_EQ(0, b.pinned);
	EXPECT_EQ(0, unmap_calls(self->fd, idle, 0));
	EXPECT_EQ(0, fd_pages(self->fd));
}

/* Mirrors: devices that pin every mapping they are told of */

/*
 * A mirror pins what is mapped when it attaches and each mapping made
 * after, for writing where the mapping allows; an unmap takes the pages
 * back before it returns, and a detach all of them.
 */
TEST_F(emu, mirror_follows_mappings)
{
	const uint64_t p = self->page;
	struct ioasid_test out;
	uint8_t *b2, got[64];
	uint64_t unmapped;
	uint32_t m;

	b2 = alloc_buf(2 * p, 0, true);
	ASSERT_NE(NULL, b2);
	fill(b2, 2 * p, 0x3177a000);
	ASSERT_EQ(0, access_create(self->fd, MIRROR, &m));
	EXPECT_EQ(0, pinned_pages(self->fd, m, 0));
	ASSERT_EQ(0, access_attach(self->fd, m, self->id));
	EXPECT_EQ(NPAGES, pinned_pages(self->fd, m, 0));

	ASSERT_EQ(0, map_fixed_prot(self->fd, self->id, b2, 2 * p, IOVA_B,
				    IOASID_MAP_READ));
	EXPECT_EQ(NPAGES + 2, pinned_pages(self->fd, m, 0));
	/* Read-only: pinned to read, so its DMA reads but cannot write */
	ASSERT_EQ(0, access_dma(self->fd, m, IOVA_B + p, got, sizeof(got), 0));
	EXPECT_EQ(0, memcmp(got, b2 + p, sizeof(got)));
	EXPECT_EQ(EPERM, access_dma(self->fd, m, IOVA_B, got, sizeof(got), WR));
	/* The fixture's mapping is writable: so is its pin */
	memset(got, 0x5a, sizeof(got));
	ASSERT_EQ(0, access_dma(self->fd, m, IOVA + p, got, sizeof(got), WR));
	EXPECT_EQ(0, memcmp(got, self->buf + p, sizeof(got)));
	/* The pins charged nothing more */
	EXPECT_EQ(NPAGES + 2, fd_pages(self->fd));

	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA, self->len,
				 &unmapped));
	EXPECT_EQ(self->len, unmapped);
	EXPECT_EQ(2, pinned_pages(self->fd, m, 0));
	EXPECT_EQ(1, unmap_calls(self->fd, m, 0));
	/* Set at creation only, and kept by a config */
	EXPECT_EQ(EOPNOTSUPP, access_config(self->fd, m, MIRROR, &out));
	ASSERT_EQ(0, access_detach(self->fd, m));
	EXPECT_EQ(0, pinned_pages(self->fd, m, 0));
	ASSERT_EQ(0, access_attach(self->fd, m, self->id));
	EXPECT_EQ(2, pinned_pages(self->fd, m, 0));
	ASSERT_EQ(0, ioasid_destroy(self->fd, m));
	EXPECT_EQ(2, fd_pages(self->fd));
}

/* What the mapping thread of a race did. */
struct mirror_race {
	int fd;
	uint32_t id;
	void *buf;
	uint64_t len;
	atomic_bool stop;
	int rounds;
	int map_err;	/* the first error of a map or unmap */
};

/* Maps and unmaps one range until told to stop. */
static void *mirror_race_mapper(void *arg)
{
	struct mirror_race *r = arg;
	uint64_t unmapped;
	int ret;

	while (!r->stop && !r->map_err) {
		ret = map_fixed(r->fd, r->id, r->buf, r->len, IOVA_C);
		if (!ret)
			ret = unmap_range(r->fd, r->id, IOVA_C, r->len,
					  &unmapped);
		r->map_err = ret;
		r->rounds++;
	}
	return NULL;
}

/*
 * A mirror that detaches and attaches while another thread maps and
 * unmaps: its map callback races the unpin of the detach, and the report
 * of every mapping at attach races the unmap.  Neither pins what the
 * other is taking away: every detach leaves nothing pinned, and every
 * call succeeds.
 */
TEST_F_TIMEOUT(emu, mirror_races_map_and_unmap, 120)
{
	struct mirror_race r = {
		.fd = self->fd,
		.id = self->id,
		.len = 4 * self->page,
	};
	int i, attach_err = 0, detach_err = 0, left = 0;
	pthread_t mapper;
	uint32_t m;

	r.buf = alloc_buf(r.len, 0, true);
	ASSERT_NE(NULL, r.buf);
	ASSERT_EQ(0, access_create(self->fd, MIRROR, &m));
	ASSERT_EQ(0, pthread_create(&mapper, NULL, mirror_race_mapper, &r));
	for (i = 0; i < RACE_ROUNDS && !attach_err && !detach_err; i++) {
		attach_err = access_attach(self->fd, m, self->id);
		detach_err = access_detach(self->fd, m);
		if (!detach_err && pinned_pages(self->fd, m, 0))
			left++;
	}
	r.stop = true;
	pthread_join(mapper, NULL);
	TH_LOG("%d attach and detach rounds against %d map and unmap rounds",
	       i, r.rounds);
	EXPECT_EQ(0, attach_err);
	EXPECT_EQ(0, detach_err);
	EXPECT_EQ(0, r.map_err);
	EXPECT_EQ(0, left);
	EXPECT_EQ(0, ioasid_destroy(self->fd, m));
	EXPECT_EQ(NPAGES, fd_pages(self->fd));
}

/* Isolation */

/* An access reaches its own IOASID only, of the same fd or another. */
TEST_F(emu, isolation)
{
	const uint64_t p = self->page;
	uint8_t *other = alloc_buf(p, 0x66, true), data[8];
	uint32_t id2, id3;
	int fd2;

	ASSERT_NE(NULL, other);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, id2, other, p, IOVA_B));
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->acc, IOVA_B, data, 1, 0));
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->acc, IOVA_B, data, 1, WR));
	EXPECT_EQ(ENOENT, access_pin(self->fd, self->acc, IOVA_B, p, 0));

	/* Another fd's IOASID, with the same id as ours if it can */
	fd2 = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ioasid_alloc(fd2, &id3));
	ASSERT_EQ(0, map_fixed(fd2, id3, other, p, IOVA_C));
	EXPECT_EQ(ENOENT, access_rw(self->fd, self->acc, IOVA_C, data, 1, 0));
	EXPECT_EQ(ENOENT, access_pin(self->fd, self->acc, IOVA_C, p, WR));
	/* Nor is our emulated device an object of the other fd. */
	EXPECT_EQ(ENOENT, access_attach(fd2, self->acc, id3));
	EXPECT_EQ(0, pinned_pages(self->fd, self->acc, 0));
	EXPECT_TRUE(all_bytes(other, p, 0x66));
	close(fd2);
}

/* IOASID_COPY */

/*
 * An access of the destination pins the copy, which holds the pages on
 * its own: unmapping the source leaves the pin alone and calls no one.
 */
TEST_F(emu, copy_destination)
{
	const uint64_t p = self->page;
	uint32_t id2, a;
	struct books b;
	uint64_t out;

	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, copy_fixed(self->fd, id2, self->id, IOVA, self->len,
				IOVA_B));
	ASSERT_EQ(0, access_create(self->fd, 0, &a));
	ASSERT_EQ(0, access_attach(self->fd, a, id2));
	ASSERT_EQ(0, access_pin(self->fd, a, IOVA_B + p, 2 * p, WR));
	EXPECT_TRUE(dma_sees(self->fd, a, IOVA_B + p, self->buf + p, 2 * p));

	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA, self->len, &out));
	EXPECT_EQ(self->len, out);
	EXPECT_EQ(0, unmap_calls(self->fd, a, 0));
	EXPECT_EQ(0, unmap_calls(self->fd, self->acc, 0));
	EXPECT_EQ(2, pinned_pages(self->fd, a, 0));
	/* The pin still reaches the process's pages. */
	EXPECT_TRUE(dma_sees(self->fd, a, IOVA_B + p, self->buf + p, 2 * p));
	self->buf[p] ^= 0x80;
	EXPECT_TRUE(dma_sees(self->fd, a, IOVA_B + p, self->buf + p, 2 * p));

	ASSERT_EQ(0, unmap_range(self->fd, id2, IOVA_B, self->len, &out));
	b = books_of(self->fd, a, 0);
	EXPECT_EQ(1, b.calls);
	EXPECT_EQ(IOVA_B, b.first);
	EXPECT_EQ(IOVA_B + self->len - 1, b.last);
	EXPECT_EQ(0, b.pinned);
	EXPECT_EQ(0, fd_pages(self->fd));
}

/* Closing */

/*
 * Closing an fd whose emulated devices are attached and hold pins frees
 * everything: the process's and its user's counters come back.
 */
TEST_F(emu, close_with_pins)
{
	const uint64_t p = self->page;
	uint8_t *buf2 = alloc_buf(4 * p, 0x23, true);
	struct pinned before, after;
	uint32_t id, a, b;
	int fd2;

	ASSERT_NE(NULL, buf2);
	ASSERT_EQ(0, get_pinned(self->fd, &before));
	fd2 = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, ioasid_alloc(fd2, &id));
	ASSERT_EQ(0, map_fixed(fd2, id, buf2, 4 * p, IOVA));
	ASSERT_EQ(0, access_create(fd2, 0, &a));
	ASSERT_EQ(0, access_create(fd2, 0, &b));
	ASSERT_EQ(0, access_attach(fd2, a, id));
	ASSERT_EQ(0, access_attach(fd2, b, id));
	ASSERT_EQ(0, access_pin(fd2, a, IOVA, 4 * p, WR));
	ASSERT_EQ(0, access_pin(fd2, b, IOVA + p, p, 0));
	EXPECT_EQ(4, fd_pages(fd2));
	EXPECT_EQ(5, pinned_pages(fd2, a, 0) + pinned_pages(fd2, b, 0));
	EXPECT_EQ(0, close(fd2));

	ASSERT_EQ(0, get_pinned(self->fd, &after));
	EXPECT_EQ(before.fd_pages, after.fd_pages);
	EXPECT_EQ(before.user_locked, after.user_locked);
	EXPECT_EQ(before.mm_locked, after.mm_locked);
	EXPECT_EQ(before.mm_pinned, after.mm_pinned);
	/* The pages are the process's again: it can unmap them. */
	EXPECT_EQ(0, munmap(buf2, 4 * p));
}

/* The same, in a process that exits with its fd open. */
TEST_F(emu, exit_with_pins)
{
	const uint64_t p = self->page;
	struct pinned before, after;
	int status;
	pid_t pid;

	ASSERT_EQ(0, get_pinned(self->fd, &before));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint8_t *buf = alloc_buf(2 * p, 0x24, true);
		uint32_t id, a;
		int fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);

		if (!buf || fd < 0 || ioasid_alloc(fd, &id) ||
		    map_fixed(fd, id, buf, 2 * p, IOVA) ||
		    access_create(fd, 0, &a) || access_attach(fd, a, id) ||
		    access_pin(fd, a, IOVA, 2 * p, WR))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, get_pinned(self->fd, &after));
	EXPECT_EQ(before.fd_pages, after.fd_pages);
	EXPECT_EQ(before.user_locked, after.user_locked);
}

TEST_HARNESS_MAIN
