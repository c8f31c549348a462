// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mediated devices through their VFIO cdevs, bound to /dev/ioasid as a
 * VMM binds them.  The children come from the mdma sample parent driver
 * (samples/vfio-mdev/mdma.c, see mdma_vfio.h), whose parent is a mock-IOMMU
 * device with PASIDs: a SIOV child DMAs through a PASID of the parent that
 * its driver lends to the /dev/ioasid fd on BIND_IOASID and attaches to
 * the IOASID the VMM names; an emulated child reaches IOASID memory
 * through an access, as a vGPU does, and may keep pages pinned until an
 * unmap or a move makes it let go; an own-rid child's driver tries to
 * bind the mdev's own struct device, which no IOMMU translates and the
 * kAPI refuses.
 *
 * Each child has a small DMA engine behind 64-bit registers: a copy from
 * one IOVA to another of the IOASID it is attached to, done when the write
 * of the command returns, and a status register with the errno of the
 * last command.  Every test checks the bytes that moved, or that did not,
 * as well as the errno of each call; and every fixture, once its fds are
 * closed and its children removed, that the process's pin counters are
 * back where they started.  Without a parent offering the mdma types,
 * the kernel lacks CONFIG_SAMPLE_VFIO_MDEV_MDMA and every test skips.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include <linux/vfio.h>

#include "edu_vfio.h"
#include "ioasid_utils.h"
#include "mdma_vfio.h"
#include "../kselftest_harness.h"

#define NPAGES		2	/* pages of the source and of the destination */
#define CHILDREN	2
/* The mock IOMMU's aperture, which the SIOV children translate through. */
#define IOVA_SRC	IOASID_MOCK_APERTURE_START
#define IOVA_DST	(IOASID_MOCK_APERTURE_START + SZ_1M)
#define IOVA_RO		(IOASID_MOCK_APERTURE_START + 2 * SZ_1M)
#define IOVA_OTHER	(IOASID_MOCK_APERTURE_START + 3 * SZ_1M)
#define IOVA_PINS	(IOASID_MOCK_APERTURE_START + 4 * SZ_1M)
#define PIN_PAGES	(MDMA_MAX_PINS + 1)
/* How long an unbind of the parent is seen to wait for a device fd. */
#define UNBIND_WAIT_US	300000
#define REGION_RW	((uint32_t)(VFIO_REGION_INFO_FLAG_READ | \
				    VFIO_REGION_INFO_FLAG_WRITE))

/* Whether the process's pin counters, read through @fd, are @want's. */
static bool same_process_pins(int fd, const struct pinned *want)
{
	struct pinned p;

	return !get_pinned(fd, &p) && p.user_locked == want->user_locked &&
	       p.mm_locked == want->mm_locked &&
	       p.mm_pinned == want->mm_pinned;
}

/* Distinct words with no zero byte: a byte a copy missed stays 0. */
static void pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	size_t i;

	fill(buf, len, seed);
	for (i = 0; i < len; i++)
		if (!buf[i])
			buf[i] = 0xa5;
}

/* A new IOASID of @fd with @src at IOVA_SRC and @dst at IOVA_DST. */
static int map_pair(int fd, uint32_t *id, void *src, void *dst, uint64_t len)
{
	int ret = ioasid_alloc(fd, id);

	if (!ret)
		ret = map_fixed(fd, *id, src, len, IOVA_SRC);
	if (!ret)
		ret = map_fixed(fd, *id, dst, len, IOVA_DST);
	return ret;
}

static int vfio_attach_pasid(int dev_fd, uint32_t pasid, uint32_t id)
{
	struct vfio_device_attach_ioasid_pasid cmd = {
		.argsz = sizeof(cmd),
		.pasid = pasid,
		.ioasid = id,
	};

	return ioctl(dev_fd, VFIO_DEVICE_ATTACH_IOASID_PASID, &cmd) ? errno : 0;
}

static int vfio_detach_pasid(int dev_fd, uint32_t pasid)
{
	struct vfio_device_detach_ioasid_pasid cmd = {
		.argsz = sizeof(cmd),
		.pasid = pasid,
	};

	return ioctl(dev_fd, VFIO_DEVICE_DETACH_IOASID_PASID, &cmd) ? errno : 0;
}

static int get_info(int dev_fd, struct vfio_device_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return ioctl(dev_fd, VFIO_DEVICE_GET_INFO, info) ? errno : 0;
}

/* The available_instances of @type of @parent, or -1. */
static long available(const char *parent, const char *type)
{
	char path[PATH_MAX];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path),
		 MDEV_BUS "/%s/mdev_supported_types/%s/available_instances",
		 parent, type);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/*
 * What every fixture has: fd[0], a /dev/ioasid fd whose IOASID id maps src
 * at IOVA_SRC and dst at IOVA_DST, NPAGES pages each; child 0, of the
 * fixture's type, created and its cdev opened, unbound.  Tests add child 1
 * and fd[1].  base holds the process's pin counters before anything was
 * mapped; probe reads them.
 */
struct mctx {
	char parent[NAME_MAX + 1];
	const char *type;
	int probe;
	struct pinned base;
	int fd[2];
	uint32_t id;
	uint64_t page;
	uint64_t len;
	uint8_t *src;
	uint8_t *dst;
	uint32_t seq;		/* of the patterns fresh() writes */
	char uuid[CHILDREN][MDMA_UUID_LEN];	/* "" for none */
	char cdev[CHILDREN][64];
	int dev_fd[CHILDREN];
	struct mdma m[CHILDREN];
	pid_t unbinder;		/* unbinding the parent, or 0 */
};

static int open_child(struct mctx *c, int i)
{
	int ret = mdma_cdev(c->uuid[i], c->cdev[i], sizeof(c->cdev[i]));

	if (ret)
		return ret;
	c->dev_fd[i] = open(c->cdev[i], O_RDWR | O_CLOEXEC);
	return c->dev_fd[i] < 0 ? errno : 0;
}

/* Creates child @i of @type and opens its cdev; removes it on failure. */
static int new_child(struct mctx *c, int i, const char *type)
{
	int ret = mdma_create(c->parent, type, c->uuid[i], sizeof(c->uuid[i]));

	if (!ret)
		ret = open_child(c, i);
	if (ret && c->uuid[i][0] && !mdma_remove(c->uuid[i]))
		c->uuid[i][0] = 0;
	return ret;
}

static int close_child(struct mctx *c, int i)
{
	int ret = close(c->dev_fd[i]) ? errno : 0;

	c->dev_fd[i] = -1;
	return ret;
}

static int bind_child(struct mctx *c, int i, int fd)
{
	int ret = vfio_bind(c->dev_fd[i], fd);

	return ret ? ret : mdma_init(&c->m[i], c->dev_fd[i]);
}

static int bind_attach(struct mctx *c, int i, int fd, uint32_t id)
{
	int ret = bind_child(c, i, fd);

	return ret ? ret : vfio_attach(c->dev_fd[i], id);
}

/* A new pattern in src, zeroes in dst. */
static void fresh(struct mctx *c)
{
	pattern(c->src, c->len, getpid() * 2654435761U + ++c->seq);
	memset(c->dst, 0, c->len);
}

/* Child @i copies MDMA_MAX_LEN bytes from IOVA_SRC to IOVA_DST. */
static int copy_page(struct mctx *c, int i)
{
	return mdma_copy(&c->m[i], IOVA_SRC, IOVA_DST, MDMA_MAX_LEN);
}

/* Whether dst starts with what src does, and nothing else was written. */
static bool copied(struct mctx *c)
{
	return !memcmp(c->dst, c->src, MDMA_MAX_LEN) &&
	       all_bytes(c->dst + MDMA_MAX_LEN, c->len - MDMA_MAX_LEN, 0);
}

/* Whether PINNED and UNMAPS of child @i are @pinned and @unmaps. */
static bool books_are(struct mctx *c, int i, uint64_t pinned,
		      uint64_t unmaps)
{
	return mdma_reg(&c->m[i], MDMA_REG_PINNED) == pinned &&
	       mdma_reg(&c->m[i], MDMA_REG_UNMAPS) == unmaps;
}

/* Child @i keeps the page at @iova pinned: as mdma_cmd() returns. */
static int pin(struct mctx *c, int i, uint64_t iova)
{
	int ret = mdma_write(&c->m[i], MDMA_REG_DST, iova);

	return ret ? -ret : mdma_cmd(&c->m[i], MDMA_CMD_PIN);
}

/* A new fd[0] and IOASID id mapping src and dst, and child 0 reopened. */
static int start_over(struct mctx *c)
{
	int ret;

	c->fd[0] = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (c->fd[0] < 0)
		return errno;
	ret = map_pair(c->fd[0], &c->id, c->src, c->dst, c->len);
	return ret ? ret : open_child(c, 0);
}

static void mctx_setup(struct __test_metadata *_metadata, struct mctx *c,
		       const char *type)
{
	const char *why;
	int i, ret;

	c->probe = -1;
	c->unbinder = 0;
	for (i = 0; i < CHILDREN; i++) {
		c->dev_fd[i] = -1;
		c->uuid[i][0] = 0;
	}
	c->fd[0] = -1;
	c->fd[1] = -1;
	if (geteuid())
		SKIP(return, "creating mediated devices needs root");
	if (mdma_find_parent(c->parent, sizeof(c->parent)))
		SKIP(return,
		     "no mdev parent offers " MDMA_SIOV
		     ": the kernel lacks CONFIG_SAMPLE_VFIO_MDEV_MDMA");
	c->probe = open_test_ioasid(&why);
	if (c->probe < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, get_pinned(c->probe, &c->base));
	c->type = type;
	c->page = sysconf(_SC_PAGESIZE);
	c->len = NPAGES * c->page;
	c->src = alloc_buf(c->len, 0, true);
	c->dst = alloc_buf(c->len, 0, true);
	ASSERT_NE(NULL, c->src);
	ASSERT_NE(NULL, c->dst);
	fresh(c);
	c->fd[0] = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->fd[0]);
	ASSERT_EQ(0, map_pair(c->fd[0], &c->id, c->src, c->dst, c->len));

	/* Last, as teardown only runs when setup finished. */
	ret = new_child(c, 0, type);
	ASSERT_EQ(0, ret) TH_LOG("creating a %s child of %s: %s", type,
				 c->parent, strerror(ret));
}

static void mctx_teardown(struct __test_metadata *_metadata, struct mctx *c)
{
	int i, ret;

	for (i = 0; i < CHILDREN; i++)
		if (c->dev_fd[i] >= 0)
			close_child(c, i);
	for (i = 0; i < 2; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	/* With the device fds closed, an unbind of the parent completes. */
	if (c->unbinder > 0)
		waitpid(c->unbinder, NULL, 0);
	for (i = 0; i < CHILDREN; i++) {
		if (!c->uuid[i][0])
			continue;
		ret = mdma_remove(c->uuid[i]);
		EXPECT_TRUE(!ret || ret == ENOENT)
			TH_LOG("removing %s: %s", c->uuid[i], strerror(ret));
		EXPECT_FALSE(mdma_exists(c->uuid[i]));
	}
	if (!mdma_has_type(c->parent, MDMA_SIOV)) {
		EXPECT_EQ(0, write_attr(MDMA_DRIVER "/bind", c->parent))
			TH_LOG("binding %s to mdma again", c->parent);
	}
	EXPECT_TRUE(same_process_pins(c->probe, &c->base))
		TH_LOG("pages still charged with every fd closed");
	close(c->probe);
	munmap(c->src, c->len);
	munmap(c->dst, c->len);
}

FIXTURE(mdev) {
	struct mctx c;
};

/* The two kinds of child that DMA: their mdev type and ID mode. */
FIXTURE_VARIANT(mdev) {
	const char *type;
	uint32_t mode;
};

FIXTURE_VARIANT_ADD(mdev, siov) {
	.type = MDMA_SIOV,
	.mode = MDMA_MODE_SIOV,
};

FIXTURE_VARIANT_ADD(mdev, emulated) {
	.type = MDMA_EMULATED,
	.mode = MDMA_MODE_EMULATED,
};

FIXTURE_SETUP(mdev)
{
	mctx_setup(_metadata, &self->c, variant->type);
}

FIXTURE_TEARDOWN(mdev)
{
	mctx_teardown(_metadata, &self->c);
}

/*
 * The parent offers the three types; a child takes one of its type's
 * instances, which its removal gives back, and sysfs names its type.
 */
TEST_F(mdev, instances)
{
	struct mctx *c = &self->c;
	char path[PATH_MAX], link[PATH_MAX];
	const char *type;
	long before;

	EXPECT_TRUE(mdma_has_type(c->parent, MDMA_SIOV));
	EXPECT_TRUE(mdma_has_type(c->parent, MDMA_EMULATED));
	EXPECT_TRUE(mdma_has_type(c->parent, MDMA_OWN_RID));
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/mdev_type", c->uuid[0]);
	type = link_base(path, link, sizeof(link));
	ASSERT_NE(NULL, type);
	EXPECT_EQ(0, strcmp(type, c->type)) TH_LOG("mdev_type is %s", type);

	before = available(c->parent, c->type);
	ASSERT_LE(1, before);
	ASSERT_EQ(0, new_child(c, 1, c->type));
	EXPECT_EQ(before - 1, available(c->parent, c->type));
	ASSERT_EQ(0, close_child(c, 1));
	ASSERT_EQ(0, mdma_remove(c->uuid[1]));
	EXPECT_FALSE(mdma_exists(c->uuid[1]));
	c->uuid[1][0] = 0;
	EXPECT_EQ(before, available(c->parent, c->type));
}

/*
 * A bound child is a platform-style VFIO device with one region of
 * registers and no interrupts; its ID says what kind of child it is, and
 * only a SIOV child has a PASID, one of the parent's 8-bit PASIDs.
 */
TEST_F(mdev, device_info)
{
	struct mctx *c = &self->c;
	struct vfio_device_info info;
	struct vfio_region_info region;
	uint64_t id, pasid;

	ASSERT_EQ(0, bind_child(c, 0, c->fd[0]));
	ASSERT_EQ(0, get_info(c->dev_fd[0], &info));
	EXPECT_TRUE(!!(info.flags & VFIO_DEVICE_FLAGS_PLATFORM))
		TH_LOG("flags %#x", info.flags);
	EXPECT_EQ(1U, info.num_regions);
	EXPECT_EQ(0U, info.num_irqs);
	ASSERT_EQ(0, region_info(c->dev_fd[0], 0, &region));
	EXPECT_EQ(MDMA_REGION_SIZE, region.size);
	EXPECT_EQ(REGION_RW, region.flags &
			     (REGION_RW | VFIO_REGION_INFO_FLAG_MMAP));

	id = mdma_reg(&c->m[0], MDMA_REG_ID);
	EXPECT_EQ(MDMA_MAGIC, (uint32_t)id) TH_LOG("ID %#llx",
						   (unsigned long long)id);
	EXPECT_EQ(variant->mode, MDMA_ID_MODE(id));
	pasid = mdma_reg(&c->m[0], MDMA_REG_PASID);
	if (variant->mode == MDMA_MODE_SIOV) {
		EXPECT_NE(0ULL, pasid);
		EXPECT_GT(256ULL, pasid);
	} else {
		EXPECT_EQ(0ULL, pasid);
	}
	EXPECT_TRUE(books_are(c, 0, 0, 0));

	/* The address registers read back what was written. */
	ASSERT_EQ(0, mdma_write(&c->m[0], MDMA_REG_SRC, IOVA_SRC + 8));
	ASSERT_EQ(0, mdma_write(&c->m[0], MDMA_REG_DST, IOVA_DST + 16));
	ASSERT_EQ(0, mdma_write(&c->m[0], MDMA_REG_LEN, 24));
	EXPECT_EQ(IOVA_SRC + 8, mdma_reg(&c->m[0], MDMA_REG_SRC));
	EXPECT_EQ(IOVA_DST + 16, mdma_reg(&c->m[0], MDMA_REG_DST));
	EXPECT_EQ(24ULL, mdma_reg(&c->m[0], MDMA_REG_LEN));
}

/*
 * Bound and attached, the child copies between IOVAs of its IOASID: a
 * whole MDMA_MAX_LEN, a run across page boundaries at odd offsets on both
 * sides, and one byte; nothing around what it copied is touched.
 */
TEST_F(mdev, dma_copy)
{
	struct mctx *c = &self->c;
	const uint64_t s = c->page - 100, d = c->page - 61, n = 257;

	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	fresh(c);
	ASSERT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
	EXPECT_EQ(0ULL, mdma_reg(&c->m[0], MDMA_REG_STATUS));

	fresh(c);
	ASSERT_EQ(0, mdma_copy(&c->m[0], IOVA_SRC + s, IOVA_DST + d, n));
	EXPECT_EQ(0, memcmp(c->dst + d, c->src + s, n));
	EXPECT_TRUE(all_bytes(c->dst, d, 0));
	EXPECT_TRUE(all_bytes(c->dst + d + n, c->len - d - n, 0));

	fresh(c);
	ASSERT_EQ(0, mdma_copy(&c->m[0], IOVA_SRC + 7, IOVA_DST + 3, 1));
	EXPECT_EQ(c->src[7], c->dst[3]);
	EXPECT_TRUE(all_bytes(c->dst, 3, 0));
	EXPECT_TRUE(all_bytes(c->dst + 4, c->len - 4, 0));
}

/* Bound but not attached, the child's DMA is blocked. */
TEST_F(mdev, dma_before_attach)
{
	struct mctx *c = &self->c;

	ASSERT_EQ(0, bind_child(c, 0, c->fd[0]));
	fresh(c);
	EXPECT_EQ(ENXIO, copy_page(c, 0));
	EXPECT_EQ((uint64_t)ENXIO, mdma_reg(&c->m[0], MDMA_REG_STATUS));
	EXPECT_TRUE(all_bytes(c->dst, c->len, 0));

	ASSERT_EQ(0, vfio_attach(c->dev_fd[0], c->id));
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
}

/*
 * An unmapped IOVA on either side fails the copy: the SIOV child's PASID
 * table no longer has it, the emulated child's access finds nothing.
 * Mapped again, the IOVA works again.
 */
TEST_F(mdev, dma_unmapped)
{
	struct mctx *c = &self->c;
	uint64_t out;

	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	ASSERT_EQ(0, unmap_range(c->fd[0], c->id, IOVA_SRC, c->len, &out));
	EXPECT_EQ(c->len, out);
	fresh(c);
	EXPECT_EQ(ENOENT, copy_page(c, 0));
	/* Into the unmapped range, from the destination. */
	EXPECT_EQ(ENOENT, mdma_copy(&c->m[0], IOVA_DST, IOVA_SRC,
				    MDMA_MAX_LEN));

	ASSERT_EQ(0, map_fixed(c->fd[0], c->id, c->src, c->len, IOVA_SRC));
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
}

/*
 * A mapping without IOASID_MAP_WRITE, made while the child is attached,
 * can be read but not written: the refused copy leaves it as it was.
 */
TEST_F(mdev, dma_readonly_dst)
{
	struct mctx *c = &self->c;
	uint8_t *ro = alloc_buf(c->page, 0, true), *ref = malloc(c->page);

	ASSERT_NE(NULL, ro);
	ASSERT_NE(NULL, ref);
	pattern(ro, c->page, 0x0a0e0000);
	memcpy(ref, ro, c->page);
	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	ASSERT_EQ(0, map_fixed_prot(c->fd[0], c->id, ro, c->page, IOVA_RO,
				    IOASID_MAP_READ));

	fresh(c);
	EXPECT_EQ(EPERM, mdma_copy(&c->m[0], IOVA_SRC, IOVA_RO, MDMA_MAX_LEN));
	EXPECT_EQ(0, memcmp(ro, ref, c->page));
	EXPECT_EQ(0, mdma_copy(&c->m[0], IOVA_RO, IOVA_DST, MDMA_MAX_LEN));
	EXPECT_EQ(0, memcmp(c->dst, ro, MDMA_MAX_LEN));
	free(ref);
	munmap(ro, c->page);
}

/*
 * Attached to id, the child moves to id2, which maps other memory at the
 * same IOVAs: its DMA now reaches id2's memory only, and id, which could
 * not be destroyed while the child was attached to it, can.
 */
TEST_F(mdev, move_to_second_ioasid)
{
	struct mctx *c = &self->c;
	uint8_t *src2 = alloc_buf(c->len, 0, true);
	uint8_t *dst2 = alloc_buf(c->len, 0, true);
	uint32_t id2;

	ASSERT_NE(NULL, src2);
	ASSERT_NE(NULL, dst2);
	pattern(src2, c->len, 0x5ec0d000);
	ASSERT_EQ(0, map_pair(c->fd[0], &id2, src2, dst2, c->len));
	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	fresh(c);
	ASSERT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
	EXPECT_EQ(EBUSY, ioasid_destroy(c->fd[0], c->id));

	ASSERT_EQ(0, vfio_attach(c->dev_fd[0], id2));
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_EQ(0, memcmp(dst2, src2, MDMA_MAX_LEN));
	EXPECT_TRUE(all_bytes(c->dst, c->len, 0));
	EXPECT_EQ(EBUSY, ioasid_destroy(c->fd[0], id2));
	EXPECT_EQ(0, ioasid_destroy(c->fd[0], c->id));

	memset(dst2, 0, c->len);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_EQ(0, memcmp(dst2, src2, MDMA_MAX_LEN));
	munmap(src2, c->len);
	munmap(dst2, c->len);
}

/*
 * Detached, the child's DMA is blocked again, and detaching it again
 * changes nothing; attached again, it works; detached, its IOASID is free.
 */
TEST_F(mdev, detach_blocks_dma)
{
	struct mctx *c = &self->c;

	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	fresh(c);
	ASSERT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));

	ASSERT_EQ(0, vfio_detach(c->dev_fd[0]));
	fresh(c);
	EXPECT_EQ(ENXIO, copy_page(c, 0));
	EXPECT_TRUE(all_bytes(c->dst, c->len, 0));
	EXPECT_EQ(0, vfio_detach(c->dev_fd[0]));
	EXPECT_EQ(ENXIO, copy_page(c, 0));

	ASSERT_EQ(0, vfio_attach(c->dev_fd[0], c->id));
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
	ASSERT_EQ(0, vfio_detach(c->dev_fd[0]));
	EXPECT_EQ(0, ioasid_destroy(c->fd[0], c->id));
}

/*
 * PIN and UNPIN: an emulated child keeps a page pinned until UNPIN, and
 * the page it holds still takes its DMA; the pin charges nothing more
 * than the map did.  A SIOV child, whose DMA goes through the IOMMU, pins
 * nothing and refuses both.
 */
TEST_F(mdev, pin_unpin)
{
	struct mctx *c = &self->c;
	struct pinned mapped;

	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	ASSERT_EQ(0, get_pinned(c->probe, &mapped));
	if (variant->mode == MDMA_MODE_SIOV) {
		EXPECT_EQ(EOPNOTSUPP, pin(c, 0, IOVA_DST));
		EXPECT_EQ(EOPNOTSUPP, mdma_cmd(&c->m[0], MDMA_CMD_UNPIN));
		EXPECT_TRUE(books_are(c, 0, 0, 0));
		fresh(c);
		EXPECT_EQ(0, copy_page(c, 0));
		EXPECT_TRUE(copied(c));
		return;
	}

	EXPECT_EQ(0, pin(c, 0, IOVA_DST));
	EXPECT_TRUE(books_are(c, 0, 1, 0));
	EXPECT_TRUE(same_process_pins(c->probe, &mapped));
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
	EXPECT_EQ(0, mdma_cmd(&c->m[0], MDMA_CMD_UNPIN));
	EXPECT_TRUE(books_are(c, 0, 0, 0));
	/* Nothing kept: nothing to let go of. */
	EXPECT_EQ(0, mdma_cmd(&c->m[0], MDMA_CMD_UNPIN));
	EXPECT_TRUE(same_process_pins(c->probe, &mapped));
}

/*
 * Until bound, the child's fd refuses everything but BIND_IOASID with
 * EINVAL: attach, detach, GET_INFO and its registers.
 */
TEST_F(mdev, unbound_fd_refuses)
{
	struct mctx *c = &self->c;
	struct vfio_device_info info;
	uint64_t val = 0;

	EXPECT_EQ(EINVAL, vfio_attach(c->dev_fd[0], c->id));
	EXPECT_EQ(EINVAL, vfio_detach(c->dev_fd[0]));
	EXPECT_EQ(EINVAL, get_info(c->dev_fd[0], &info));
	EXPECT_EQ(EINVAL, region_read(c->dev_fd[0], 0, &val, sizeof(val)));
	EXPECT_EQ(EINVAL, region_write(c->dev_fd[0], 0, &val, sizeof(val)));

	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
}

/*
 * A bound fd cannot bind again; an id that names no IOASID is refused and
 * leaves an attached child where it was; and a mediated child has no
 * PASIDs of its own to attach, attached or not.
 */
TEST_F(mdev, bind_attach_errors)
{
	struct mctx *c = &self->c;
	uint32_t pasids[2] = { 1, 0 };
	unsigned int i, n = 1;

	ASSERT_EQ(0, bind_child(c, 0, c->fd[0]));
	if (variant->mode == MDMA_MODE_SIOV)
		pasids[n++] = mdma_reg(&c->m[0], MDMA_REG_PASID);
	EXPECT_EQ(EBUSY, vfio_bind(c->dev_fd[0], c->fd[0]));
	EXPECT_EQ(ENOENT, vfio_attach(c->dev_fd[0], c->id + 1000));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(EOPNOTSUPP, vfio_attach_pasid(c->dev_fd[0], pasids[i],
							c->id));
		EXPECT_EQ(EOPNOTSUPP, vfio_detach_pasid(c->dev_fd[0],
							pasids[i]));
	}
	/* Nothing of that attached the child, nor holds the IOASID. */
	EXPECT_EQ(ENXIO, copy_page(c, 0));

	ASSERT_EQ(0, vfio_attach(c->dev_fd[0], c->id));
	EXPECT_EQ(EBUSY, vfio_bind(c->dev_fd[0], c->fd[0]));
	EXPECT_EQ(ENOENT, vfio_attach(c->dev_fd[0], c->id + 1000));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(EOPNOTSUPP, vfio_attach_pasid(c->dev_fd[0], pasids[i],
							c->id));
		EXPECT_EQ(EOPNOTSUPP, vfio_detach_pasid(c->dev_fd[0],
							pasids[i]));
	}
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
	EXPECT_EQ(EBUSY, ioasid_destroy(c->fd[0], c->id));
}

/*
 * The registers take aligned accesses of exactly 8 bytes, and the
 * read-only ones no write at all; a refused write changes nothing.
 */
TEST_F(mdev, register_errors)
{
	static const uint64_t ro_regs[] = {
		MDMA_REG_ID, MDMA_REG_STATUS, MDMA_REG_PINNED, MDMA_REG_UNMAPS,
		MDMA_REG_PASID,
	};
	struct mctx *c = &self->c;
	uint64_t src, id, wide[2] = { 0, 0 }, val = ~0ULL;
	uint32_t half = ~0U;
	unsigned int i;
	int fd;

	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	fd = c->dev_fd[0];
	src = c->m[0].base + MDMA_REG_SRC;
	ASSERT_EQ(0, mdma_write(&c->m[0], MDMA_REG_SRC, IOVA_SRC));

	EXPECT_EQ(EINVAL, region_read(fd, src + 4, &val, sizeof(val)));
	EXPECT_EQ(EINVAL, region_read(fd, src, &half, sizeof(half)));
	EXPECT_EQ(EINVAL, region_read(fd, src + 1, &half, 1));
	EXPECT_EQ(EINVAL, region_read(fd, src, wide, sizeof(wide)));
	EXPECT_EQ(EINVAL, region_write(fd, src + 4, &val, sizeof(val)));
	EXPECT_EQ(EINVAL, region_write(fd, src, &half, sizeof(half)));
	EXPECT_EQ(EINVAL, region_write(fd, src, wide, sizeof(wide)));
	EXPECT_EQ(IOVA_SRC, mdma_reg(&c->m[0], MDMA_REG_SRC));

	id = mdma_reg(&c->m[0], MDMA_REG_ID);
	for (i = 0; i < ARRAY_SIZE(ro_regs); i++)
		EXPECT_EQ(EINVAL, mdma_write(&c->m[0], ro_regs[i], 0))
			TH_LOG("register %#llx",
			       (unsigned long long)ro_regs[i]);
	EXPECT_EQ(id, mdma_reg(&c->m[0], MDMA_REG_ID));
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
}

/*
 * A copy of no byte or of more than MDMA_MAX_LEN, and a command that is
 * none of START, PIN and UNPIN, fail in STATUS with EINVAL; the next good
 * command clears it.
 */
TEST_F(mdev, command_errors)
{
	static const uint64_t bad_cmds[] = {
		0, 8, 0x100, MDMA_CMD_START | MDMA_CMD_PIN,
	};
	struct mctx *c = &self->c;
	unsigned int i;

	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	EXPECT_EQ(EINVAL, mdma_copy(&c->m[0], IOVA_SRC, IOVA_DST, 0));
	EXPECT_EQ(EINVAL, mdma_copy(&c->m[0], IOVA_SRC, IOVA_DST,
				    MDMA_MAX_LEN + 1));
	EXPECT_EQ((uint64_t)EINVAL, mdma_reg(&c->m[0], MDMA_REG_STATUS));
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
	EXPECT_EQ(0ULL, mdma_reg(&c->m[0], MDMA_REG_STATUS));

	for (i = 0; i < ARRAY_SIZE(bad_cmds); i++)
		EXPECT_EQ(EINVAL, mdma_cmd(&c->m[0], bad_cmds[i]))
			TH_LOG("command %#llx", (unsigned long long)bad_cmds[i]);
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
}

/*
 * The device fd closed first: its IOASID is free, the /dev/ioasid fd
 * closes cleanly and every pin is gone; the child binds anew afterwards.
 */
TEST_F(mdev, close_device_first)
{
	struct mctx *c = &self->c;

	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	fresh(c);
	ASSERT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));

	ASSERT_EQ(0, close_child(c, 0));
	EXPECT_EQ(0, ioasid_destroy(c->fd[0], c->id));
	ASSERT_EQ(0, close(c->fd[0]));
	c->fd[0] = -1;
	EXPECT_TRUE(same_process_pins(c->probe, &c->base));

	ASSERT_EQ(0, start_over(c));
	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
}

/*
 * The /dev/ioasid fd closed first: the binding holds its context, with
 * the IOASID and its pins, and the child's DMA goes on until the device
 * fd is closed too, which lets go of everything.
 */
TEST_F(mdev, close_ioasid_first)
{
	struct mctx *c = &self->c;

	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	ASSERT_EQ(0, close(c->fd[0]));
	c->fd[0] = -1;
	EXPECT_FALSE(same_process_pins(c->probe, &c->base))
		TH_LOG("the IOASID's pages were let go with the fd");
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));

	ASSERT_EQ(0, close_child(c, 0));
	EXPECT_TRUE(same_process_pins(c->probe, &c->base));

	ASSERT_EQ(0, start_over(c));
	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
}

/*
 * Two children of the one parent, bound to two /dev/ioasid fds, each
 * attached to an IOASID of its fd mapping its own memory at the same
 * IOVAs; B's also maps other at IOVA_OTHER.  Each copies within its own
 * memory; A reaches nothing at IOVA_OTHER and leaves B's memory alone.
 * SIOV children have PASIDs of their own.
 */
TEST_F(mdev, two_children)
{
	struct mctx *c = &self->c;
	const uint64_t len = c->len;
	uint8_t *src_b = alloc_buf(len, 0, true), *dst_b = alloc_buf(len, 0, true);
	uint8_t *other = alloc_buf(len, 0, true), *ref = malloc(3 * len);
	uint64_t pasid[2];
	uint32_t id_b;
	int i;

	ASSERT_NE(NULL, src_b);
	ASSERT_NE(NULL, dst_b);
	ASSERT_NE(NULL, other);
	ASSERT_NE(NULL, ref);
	pattern(src_b, len, 0xb0b00000);
	pattern(other, len, 0x07e40000);
	ASSERT_EQ(0, new_child(c, 1, c->type));
	c->fd[1] = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c->fd[1]);
	ASSERT_EQ(0, map_pair(c->fd[1], &id_b, src_b, dst_b, len));
	ASSERT_EQ(0, map_fixed(c->fd[1], id_b, other, len, IOVA_OTHER));
	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	ASSERT_EQ(0, bind_attach(c, 1, c->fd[1], id_b));

	for (i = 0; i < 2; i++)
		pasid[i] = mdma_reg(&c->m[i], MDMA_REG_PASID);
	if (variant->mode == MDMA_MODE_SIOV) {
		EXPECT_NE(0ULL, pasid[0]);
		EXPECT_NE(0ULL, pasid[1]);
		EXPECT_GT(256ULL, pasid[0]);
		EXPECT_GT(256ULL, pasid[1]);
		EXPECT_NE(pasid[0], pasid[1]);
	} else {
		EXPECT_EQ(0ULL, pasid[0] | pasid[1]);
	}

	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_EQ(0, copy_page(c, 1));
	EXPECT_TRUE(copied(c));
	EXPECT_EQ(0, memcmp(dst_b, src_b, MDMA_MAX_LEN));
	EXPECT_TRUE(all_bytes(dst_b + MDMA_MAX_LEN, len - MDMA_MAX_LEN, 0));

	/* B's memory as it is now: A must not change it. */
	memcpy(ref, src_b, len);
	memcpy(ref + len, dst_b, len);
	memcpy(ref + 2 * len, other, len);
	EXPECT_EQ(ENOENT, mdma_copy(&c->m[0], IOVA_OTHER, IOVA_DST,
				    MDMA_MAX_LEN));
	EXPECT_EQ(ENOENT, mdma_copy(&c->m[0], IOVA_SRC, IOVA_OTHER,
				    MDMA_MAX_LEN));
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
	EXPECT_EQ(0, memcmp(ref, src_b, len));
	EXPECT_EQ(0, memcmp(ref + len, dst_b, len));
	EXPECT_EQ(0, memcmp(ref + 2 * len, other, len));

	/* B reaches what it maps there, and A's memory stays A's. */
	EXPECT_EQ(0, mdma_copy(&c->m[1], IOVA_OTHER, IOVA_DST, MDMA_MAX_LEN));
	EXPECT_EQ(0, memcmp(dst_b, other, MDMA_MAX_LEN));
	EXPECT_TRUE(copied(c));

	ASSERT_EQ(0, close_child(c, 1));
	ASSERT_EQ(0, close(c->fd[1]));
	c->fd[1] = -1;
	free(ref);
	munmap(src_b, len);
	munmap(dst_b, len);
	munmap(other, len);
}

/*
 * Writes the parent to mdma's unbind, in a process of its own, which
 * must not hold the device fds the unbind waits for: the write's errno.
 */
static int unbind_parent(struct mctx *c)
{
	int i;

	for (i = 0; i < CHILDREN; i++)
		if (c->dev_fd[i] >= 0)
			close(c->dev_fd[i]);
	for (i = 0; i < 2; i++)
		if (c->fd[i] >= 0)
			close(c->fd[i]);
	close(c->probe);
	return write_attr(MDMA_DRIVER "/unbind", c->parent);
}

/*
 * The parent's driver unbound while a child is attached: the unbind waits
 * for the child's device fd, whose DMA goes on meanwhile; closed, the
 * unbind completes and takes the child with it.  Bound again, the parent
 * offers its types, and a new child works.  Teardown binds the parent
 * again if a failure left it unbound.
 */
TEST_F_TIMEOUT(mdev, parent_unbind_while_attached, 60)
{
	struct mctx *c = &self->c;
	int status;
	pid_t pid;

	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	fresh(c);
	ASSERT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unbind_parent(c));
	c->unbinder = pid;
	usleep(UNBIND_WAIT_US);
	ASSERT_EQ(0, waitpid(pid, &status, WNOHANG))
		TH_LOG("the unbind did not wait for the device fd");
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));

	ASSERT_EQ(0, close_child(c, 0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	c->unbinder = 0;
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("unbind: %s", strerror(WEXITSTATUS(status)));
	EXPECT_FALSE(mdma_exists(c->uuid[0]));
	EXPECT_FALSE(mdma_has_type(c->parent, MDMA_SIOV));
	if (!mdma_exists(c->uuid[0]))
		c->uuid[0][0] = 0;

	ASSERT_EQ(0, write_attr(MDMA_DRIVER "/bind", c->parent));
	ASSERT_TRUE(mdma_has_type(c->parent, MDMA_SIOV));
	ASSERT_TRUE(mdma_has_type(c->parent, c->type));
	ASSERT_EQ(0, new_child(c, 0, c->type));
	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
}

/* The emulated child alone: its pins and the unmap callback. */
FIXTURE(emulated) {
	struct mctx c;
};

FIXTURE_SETUP(emulated)
{
	mctx_setup(_metadata, &self->c, MDMA_EMULATED);
}

FIXTURE_TEARDOWN(emulated)
{
	mctx_teardown(_metadata, &self->c);
}

/*
 * Unmapping what the child keeps pinned succeeds: the unmap callback
 * makes the driver let go of every kept page.  The unmapped IOVA is gone
 * for its DMA; mapped again, it can be pinned and copied to again.
 */
TEST_F(emulated, pin_released_by_unmap)
{
	struct mctx *c = &self->c;
	uint64_t out;

	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	ASSERT_EQ(0, pin(c, 0, IOVA_DST));
	ASSERT_EQ(0, pin(c, 0, IOVA_DST + c->page));
	EXPECT_TRUE(books_are(c, 0, 2, 0));

	ASSERT_EQ(0, unmap_range(c->fd[0], c->id, IOVA_DST, c->len, &out));
	EXPECT_EQ(c->len, out);
	EXPECT_TRUE(books_are(c, 0, 0, 1));
	EXPECT_EQ(ENOENT, copy_page(c, 0));

	ASSERT_EQ(0, map_fixed(c->fd[0], c->id, c->dst, c->len, IOVA_DST));
	EXPECT_EQ(0, pin(c, 0, IOVA_DST));
	EXPECT_TRUE(books_are(c, 0, 1, 1));
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_TRUE(copied(c));
	EXPECT_EQ(0, mdma_cmd(&c->m[0], MDMA_CMD_UNPIN));
	EXPECT_TRUE(books_are(c, 0, 0, 1));
}

/*
 * Moving the child to another IOASID lets go of what it kept pinned in
 * the old one, which is then free to be destroyed.
 */
TEST_F(emulated, pin_released_by_move)
{
	struct mctx *c = &self->c;
	uint8_t *src2 = alloc_buf(c->len, 0, true);
	uint8_t *dst2 = alloc_buf(c->len, 0, true);
	uint32_t id2;

	ASSERT_NE(NULL, src2);
	ASSERT_NE(NULL, dst2);
	pattern(src2, c->len, 0x30e40000);
	ASSERT_EQ(0, map_pair(c->fd[0], &id2, src2, dst2, c->len));
	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	ASSERT_EQ(0, pin(c, 0, IOVA_DST));
	EXPECT_TRUE(books_are(c, 0, 1, 0));

	ASSERT_EQ(0, vfio_attach(c->dev_fd[0], id2));
	EXPECT_TRUE(books_are(c, 0, 0, 1));
	EXPECT_EQ(0, ioasid_destroy(c->fd[0], c->id));
	EXPECT_EQ(0, copy_page(c, 0));
	EXPECT_EQ(0, memcmp(dst2, src2, MDMA_MAX_LEN));
	munmap(src2, c->len);
	munmap(dst2, c->len);
}

/*
 * PIN takes a page-aligned IOVA and keeps at most MDMA_MAX_PINS pages;
 * what it keeps is charged nowhere beyond the map.  UNPIN lets go of all
 * of them without the unmap callback.
 */
TEST_F(emulated, pin_limits)
{
	struct mctx *c = &self->c;
	const uint64_t len = PIN_PAGES * c->page;
	uint8_t *buf = alloc_buf(len, 0x11, true);
	struct pinned mapped;
	unsigned int i;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, map_fixed(c->fd[0], c->id, buf, len, IOVA_PINS));
	ASSERT_EQ(0, bind_attach(c, 0, c->fd[0], c->id));
	ASSERT_EQ(0, get_pinned(c->probe, &mapped));

	EXPECT_EQ(EINVAL, pin(c, 0, IOVA_PINS + 8));
	EXPECT_TRUE(books_are(c, 0, 0, 0));
	for (i = 0; i < MDMA_MAX_PINS; i++)
		ASSERT_EQ(0, pin(c, 0, IOVA_PINS + i * c->page))
			TH_LOG("pin %u", i);
	EXPECT_TRUE(books_are(c, 0, MDMA_MAX_PINS, 0));
	EXPECT_EQ(ENOSPC, pin(c, 0, IOVA_PINS + MDMA_MAX_PINS * c->page));
	EXPECT_TRUE(books_are(c, 0, MDMA_MAX_PINS, 0));
	EXPECT_TRUE(same_process_pins(c->probe, &mapped));

	EXPECT_EQ(0, mdma_cmd(&c->m[0], MDMA_CMD_UNPIN));
	EXPECT_TRUE(books_are(c, 0, 0, 0));
	EXPECT_EQ(0, pin(c, 0, IOVA_PINS + MDMA_MAX_PINS * c->page));
	EXPECT_TRUE(books_are(c, 0, 1, 0));
	EXPECT_EQ(0, mdma_cmd(&c->m[0], MDMA_CMD_UNPIN));
	EXPECT_TRUE(same_process_pins(c->probe, &mapped));
	munmap(buf, len);
}

/* A child whose driver binds the mdev's own struct device. */
FIXTURE(own_rid) {
	struct mctx c;
};

FIXTURE_SETUP(own_rid)
{
	mctx_setup(_metadata, &self->c, MDMA_OWN_RID);
}

FIXTURE_TEARDOWN(own_rid)
{
	mctx_teardown(_metadata, &self->c);
}

/*
 * No IOMMU translates an mdev's struct device, so the kAPI refuses to
 * bind it: BIND_IOASID fails with ENODEV and leaves the fd unbound, and
 * the /dev/ioasid fd as it was, so that a SIOV child binds to it.
 */
TEST_F(own_rid, bind_refused)
{
	struct mctx *c = &self->c;
	struct vfio_device_info info;

	EXPECT_EQ(ENODEV, vfio_bind(c->dev_fd[0], c->fd[0]));
	EXPECT_EQ(EINVAL, vfio_attach(c->dev_fd[0], c->id));
	EXPECT_EQ(EINVAL, get_info(c->dev_fd[0], &info));
	EXPECT_EQ(ENODEV, vfio_bind(c->dev_fd[0], c->fd[0]));

	ASSERT_EQ(0, new_child(c, 1, MDMA_SIOV));
	ASSERT_EQ(0, bind_attach(c, 1, c->fd[0], c->id));
	fresh(c);
	EXPECT_EQ(0, copy_page(c, 1));
	EXPECT_TRUE(copied(c));
	ASSERT_EQ(0, close_child(c, 1));
	EXPECT_EQ(0, ioasid_destroy(c->fd[0], c->id));
}

TEST_HARNESS_MAIN
