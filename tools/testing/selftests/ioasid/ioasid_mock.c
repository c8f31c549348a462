// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices behind the mock IOMMU of CONFIG_DEV_IOASID_TEST: attaching them to
 * IOASIDs, the IOVAs that leaves usable, and what their DMA reaches.  The
 * test-only ioctl makes a device copy through its IOMMU page table and
 * reads that table and the pin counters back, so every test checks the
 * data a device sees, the IOPTEs behind it or the pages pinned, not only
 * the errno of each call.
 */
/* mremap() with a new address */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include "ioasid_utils.h"
#include "../kselftest_harness.h"

#define SZ_1G		(1024 * SZ_1M)
#define SZ_512G		(512 * 1024 * SZ_1M)
#define APERTURE_START	IOASID_MOCK_APERTURE_START
#define APERTURE_LAST	IOASID_MOCK_APERTURE_LAST

static const struct ioasid_iova_range everything[] = { { 0, UINT64_MAX } };
static const struct ioasid_iova_range aperture[] = {
	{ APERTURE_START, APERTURE_LAST },
};

#define PARAMS "/sys/module/ioasid/parameters/"

/* Sets the ioasid module parameter @name; returns 0 or an errno. */
static int set_param(const char *name, bool on)
{
	int fd = open(name, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return errno;
	if (write(fd, on ? "Y" : "N", 1) != 1)
		ret = errno;
	close(fd);
	return ret;
}

/* Sets ioasid.allow_incoherent_dma; returns 0 or an errno. */
static int allow_incoherent(bool allow)
{
	return set_param(PARAMS "allow_incoherent_dma", allow);
}

/* Sets ioasid.allow_unsafe_interrupts; returns 0 or an errno. */
static int allow_unsafe_interrupts(bool allow)
{
	return set_param(PARAMS "allow_unsafe_interrupts", allow);
}

/*
 * A device whose IOMMU has the IOASID_MOCK_* coherency @flags.  Binding
 * one whose IOMMU cannot make DMA coherent needs the administrator's
 * allow_incoherent_dma, as for any device: set it for the bind alone.
 */
static int mock_device_coherency(int fd, uint32_t flags, uint32_t *id)
{
	struct ioasid_test cmd = { .mock_device.flags = flags };
	bool incoherent = flags & IOASID_MOCK_INCOHERENT;
	int ret, restored;

	if (incoherent) {
		ret = allow_incoherent(true);
		if (ret)
			return ret;
	}
	ret = do_mock_device(fd, &cmd, id);
	restored = incoherent ? allow_incoherent(false) : 0;
	return ret ? ret : restored;
}

/* A device that reaches below @last only, so it needs a table of its own. */
static int mock_device_aperture(int fd, uint64_t last, uint32_t *id)
{
	struct ioasid_test cmd = {
		.mock_device.aperture_start = APERTURE_START,
		.mock_device.aperture_last = last,
	};

	return do_mock_device(fd, &cmd, id);
}

static int mock_device_resv(int fd, uint64_t start, uint64_t len,
			    uint32_t *id)
{
	struct ioasid_test cmd = {
		.mock_device.resv_start = start,
		.mock_device.resv_length = len,
	};

	return do_mock_device(fd, &cmd, id);
}

/* A device that tags DMA with PASIDs of @bits bits. */
static int mock_device_pasid(int fd, uint32_t bits, uint32_t *id)
{
	struct ioasid_test cmd = { .mock_device.pasid_bits = bits };

	return do_mock_device(fd, &cmd, id);
}

/* A device in the IOMMU group of device @peer of the fd @peer_fd. */
static int mock_device_in_group(int fd, int peer_fd, uint32_t peer,
				uint32_t *id)
{
	struct ioasid_test cmd = {
		.mock_device.group_fd = peer_fd,
		.mock_device.group_dev = peer,
	};

	return do_mock_device(fd, &cmd, id);
}

/*
 * Gives @dev the mock IOMMU @flags and arms the @fail-th set_dev_pasid()
 * call on it from now on (0 for none).
 */
static int mock_config(int fd, uint32_t dev, uint32_t flags, uint32_t fail)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_MOCK_CONFIG,
		.id = dev,
		.mock_config.flags = flags,
		.mock_config.fail_set_pasid = fail,
	};

	return do_test(fd, &cmd);
}

/*
 * The entries naming @dev's PASIDs on the books of the mock IOMMU's
 * domains, or UINT32_MAX; @flags are what @dev has, and stay.
 */
static uint32_t pasid_entries(int fd, uint32_t dev, uint32_t flags)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_MOCK_CONFIG,
		.id = dev,
		.mock_config.flags = flags,
	};

	if (do_test(fd, &cmd))
		return UINT32_MAX;
	return cmd.mock_config.out_pasid_entries;
}

/* The device reads @len bytes at @iova into @buf. */
static int dma_read(int fd, uint32_t dev, uint64_t iova, void *buf,
		    uint64_t len, uint64_t *fault)
{
	return do_dma(fd, dev, 0, iova, buf, len, 0, fault);
}

/* The device writes @len bytes of @buf at @iova. */
static int dma_write(int fd, uint32_t dev, uint64_t iova, const void *buf,
		     uint64_t len, uint64_t *fault)
{
	return do_dma(fd, dev, 0, iova, (void *)buf, len, 1, fault);
}

/* Whether @dev reads at @iova exactly the @len bytes of @want. */
static bool dev_sees(int fd, uint32_t dev, uint64_t iova, const void *want,
		     uint64_t len)
{
	return pasid_sees(fd, dev, 0, iova, want, len);
}

/* As read_fault(), for a write of zeroes. */
static uint64_t write_fault(int fd, uint32_t dev, uint64_t iova,
			    uint64_t len)
{
	uint8_t *buf = calloc(1, len);
	uint64_t fault = UINT64_MAX;

	if (buf)
		dma_write(fd, dev, iova, buf, len, &fault);
	free(buf);
	return fault;
}

/* Whether @a at @ia and @b at @ib translate to the same page. */
static bool same_page(int fd, uint32_t a, uint64_t ia, uint32_t b,
		      uint64_t ib)
{
	struct iopte x, y;

	return !read_iopte(fd, a, 0, ia, &x) && !read_iopte(fd, b, 0, ib, &y) &&
	       x.pfn == y.pfn;
}

FIXTURE(mock) {
	int fd;
	uint32_t id;
	uint32_t dev;
	uint64_t page;
};

/* The device is bound to the fd but attached to nothing. */
FIXTURE_SETUP(mock)
{
	self->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &self->id));
	ASSERT_EQ(0, mock_device(self->fd, &self->dev));
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(mock)
{
	close(self->fd);
}

TEST_F(mock, device_create_destroy)
{
	int before = count_mock_devices();
	struct iopte pte;
	uint32_t dev;

	ASSERT_LE(1, before);
	ASSERT_EQ(0, mock_device(self->fd, &dev));
	EXPECT_NE(0U, dev);
	EXPECT_NE(self->id, dev);
	EXPECT_NE(self->dev, dev);
	EXPECT_EQ(before + 1, count_mock_devices());
	/* It exists and is not attached. */
	EXPECT_EQ(ENODEV, read_iopte(self->fd, dev, 0, APERTURE_START, &pte));

	EXPECT_EQ(0, ioasid_destroy(self->fd, dev));
	EXPECT_EQ(before, count_mock_devices());
	EXPECT_EQ(ENOENT, read_iopte(self->fd, dev, 0, APERTURE_START, &pte));
	EXPECT_EQ(ENOENT, mock_attach(self->fd, dev, self->id));
	EXPECT_EQ(ENOENT, ioasid_destroy(self->fd, dev));
	/* The fixture's device went on living. */
	EXPECT_EQ(ENODEV, read_iopte(self->fd, self->dev, 0, APERTURE_START,
				     &pte));
}

TEST_F(mock, device_bad_config)
{
	const uint64_t p = self->page;
	int before = count_mock_devices();
	struct ioasid_test cmd = {};
	uint32_t dev;

	ASSERT_LE(1, before);
	/* Every IOMMU must map CPU pages, and nothing smaller. */
	cmd.mock_device.pgsize_bitmap = SZ_2M;
	EXPECT_EQ(EINVAL, do_mock_device(self->fd, &cmd, &dev));
	cmd.mock_device.pgsize_bitmap = p | p / 2;
	EXPECT_EQ(EINVAL, do_mock_device(self->fd, &cmd, &dev));
	cmd.mock_device.pgsize_bitmap = 0;
	cmd.mock_device.aperture_start = SZ_2M;
	cmd.mock_device.aperture_last = SZ_1M;
	EXPECT_EQ(EINVAL, do_mock_device(self->fd, &cmd, &dev));
	cmd.mock_device.aperture_start = 0;
	cmd.mock_device.aperture_last = 0;
	cmd.mock_device.resv_start = UINT64_MAX - p + 1;
	cmd.mock_device.resv_length = 2 * p;
	EXPECT_EQ(EINVAL, do_mock_device(self->fd, &cmd, &dev));
	cmd.mock_device.resv_start = 0;
	cmd.mock_device.resv_length = 0;
	/* PASIDs wider than the mock IOMMU's */
	cmd.mock_device.pasid_bits = IOASID_MOCK_PASID_BITS + 1;
	EXPECT_EQ(EINVAL, do_mock_device(self->fd, &cmd, &dev));
	cmd.mock_device.pasid_bits = 0;
	/* An IOMMU that cannot snoop cannot refuse no-snoop DMA either. */
	cmd.mock_device.flags = IOASID_MOCK_INCOHERENT |
				IOASID_MOCK_ENFORCE_SNOOP;
	EXPECT_EQ(EINVAL, do_mock_device(self->fd, &cmd, &dev));
	cmd.mock_device.flags = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, do_mock_device(self->fd, &cmd, &dev));
	cmd.mock_device.flags = 0;
	cmd.mock_device.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, do_mock_device(self->fd, &cmd, &dev));
	cmd.mock_device.__reserved = 0;
	EXPECT_EQ(before, count_mock_devices());

	cmd.mock_device.pasid_bits = 0;
	cmd.mock_device.pgsize_bitmap = p;
	EXPECT_EQ(0, do_mock_device(self->fd, &cmd, &dev));
	EXPECT_EQ(before + 1, count_mock_devices());
}

/*
 * A device in an IOMMU group that no IOMMU translates, as VFIO makes an
 * mdev, is refused, also where the administrator allows devices whose
 * MSIs and coherency the IOMMU cannot guarantee: that is how it used to
 * reach the IOMMU core, which oopsed on it.  The op takes no flags yet.
 */
TEST_F(mock, untranslated_device_refused)
{
	struct ioasid_test cmd = { .op = IOASID_TEST_BIND_UNTRANSLATED };
	int before = count_mock_devices();

	EXPECT_EQ(ENODEV, do_test(self->fd, &cmd));
	ASSERT_EQ(0, allow_unsafe_interrupts(true));
	ASSERT_EQ(0, allow_incoherent(true));
	EXPECT_EQ(ENODEV, do_test(self->fd, &cmd));
	ASSERT_EQ(0, allow_incoherent(false));
	ASSERT_EQ(0, allow_unsafe_interrupts(false));
	cmd.mock_device.flags = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, do_test(self->fd, &cmd));
	EXPECT_EQ(before, count_mock_devices());
}

/*
 * Binding applies the same policy to mock devices as to real ones: the
 * mock IOMMU reports MSI isolation and coherency through the IOMMU core,
 * and a device whose IOMMU cannot make DMA coherent is refused unless the
 * administrator allows it.
 */
TEST_F(mock, incoherent_device_needs_permission)
{
	struct ioasid_test cmd = {
		.mock_device.flags = IOASID_MOCK_INCOHERENT,
	};
	int before = count_mock_devices();
	uint32_t dev;

	ASSERT_EQ(0, allow_incoherent(false));
	EXPECT_EQ(EPERM, do_mock_device(self->fd, &cmd, &dev));
	EXPECT_EQ(before, count_mock_devices());
	ASSERT_EQ(0, allow_incoherent(true));
	EXPECT_EQ(0, do_mock_device(self->fd, &cmd, &dev));
	ASSERT_EQ(0, allow_incoherent(false));
	EXPECT_EQ(before + 1, count_mock_devices());
	EXPECT_EQ(0, mock_attach(self->fd, dev, self->id));
}

TEST_F(mock, close_destroys_devices)
{
	int before = count_mock_devices(), fd;
	uint32_t id, a, b;

	ASSERT_LE(1, before);
	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioasid_alloc(fd, &id));
	ASSERT_EQ(0, mock_device(fd, &a));
	ASSERT_EQ(0, mock_device(fd, &b));
	ASSERT_EQ(0, mock_attach(fd, a, id));
	EXPECT_EQ(before + 2, count_mock_devices());
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(before, count_mock_devices());
}

TEST_F(mock, attach_detach)
{
	const uint64_t p = self->page, iova = APERTURE_START;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, true), *ref = malloc(2 * p);
	uint64_t pfn;
	struct iopte pte;
	uint32_t id2;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, ref);
	fill(buf, 2 * p, 1);
	fill(ref, 2 * p, 1);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, iova));
	/* Bound to the fd, the device is blocked until it is attached. */
	EXPECT_EQ(iova, read_fault(self->fd, self->dev, iova, p));
	EXPECT_EQ(ENODEV, read_iopte(self->fd, self->dev, 0, iova, &pte));

	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, buf, 2 * p));
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, iova + p, &pte));
	EXPECT_EQ(p, pte.pgsize);
	EXPECT_EQ(IOPTE_RW | IOPTE_CACHE, pte.prot);
	pfn = pte.pfn;

	/*
	 * Attaching again to the same IOASID changes nothing; to another,
	 * it moves the device there, and back.
	 */
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	EXPECT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, buf, 2 * p));
	EXPECT_EQ(0, mock_attach(self->fd, self->dev, id2));
	EXPECT_EQ(iova, read_fault(self->fd, self->dev, iova, p));
	/* The IOASID it left is no longer in use. */
	EXPECT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, buf, 2 * p));

	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_EQ(iova, read_fault(self->fd, self->dev, iova, p));
	EXPECT_EQ(iova + p, write_fault(self->fd, self->dev, iova + p, p));
	EXPECT_EQ(ENODEV, read_iopte(self->fd, self->dev, 0, iova, &pte));
	EXPECT_EQ(0, mock_detach(self->fd, self->dev));
	/* The blocked write did not reach the memory. */
	EXPECT_EQ(0, memcmp(buf, ref, 2 * p));

	/* Another IOASID does not have the mapping. */
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, id2));
	EXPECT_EQ(iova, read_fault(self->fd, self->dev, iova, p));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, iova, &pte));
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));

	/* The mapping outlived the detach, on the same pages. */
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, buf, 2 * p));
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, iova + p, &pte));
	EXPECT_EQ(pfn, pte.pfn);
	EXPECT_EQ(2ULL, fd_pages(self->fd));
	free(ref);
	munmap(buf, 2 * p);
}

TEST_F(mock, destroy_ioasid_while_attached)
{
	const uint64_t p = self->page;
	int before = count_mock_devices();
	uint8_t *buf = alloc_buf(2 * p, 0xa5, true);
	uint64_t iova;
	uint32_t id2;

	ASSERT_NE(NULL, buf);
	fill(buf, 2 * p, 2);
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &iova));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->id));
	/* Refused, the IOASID kept its mapping and its device. */
	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, buf, 2 * p));
	EXPECT_TRUE(ranges_are(self->fd, self->id, aperture, 1));
	EXPECT_EQ(2ULL, fd_pages(self->fd));

	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->id));
	EXPECT_EQ(0ULL, fd_pages(self->fd));

	/* Destroying the device instead detaches it. */
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, id2));
	ASSERT_EQ(0, map_any(self->fd, id2, buf, 2 * p, 0, &iova));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, id2));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->dev));
	EXPECT_EQ(before - 1, count_mock_devices());
	EXPECT_TRUE(ranges_are(self->fd, id2, everything, 1));
	EXPECT_EQ(2ULL, fd_pages(self->fd));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));
	EXPECT_EQ(0ULL, fd_pages(self->fd));
	munmap(buf, 2 * p);
}

TEST_F(mock, ranges_follow_aperture)
{
	const struct ioasid_iova_range allowed[] = {
		{ SZ_1M / 2, SZ_2M - 1 }, { SZ_512G, 4 * SZ_512G - 1 },
	};
	const struct ioasid_iova_range narrowed[] = {
		{ APERTURE_START, SZ_2M - 1 }, { SZ_512G, APERTURE_LAST },
	};
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(p, 0xa5, true);

	ASSERT_NE(NULL, buf);
	EXPECT_TRUE(ranges_are(self->fd, self->id, everything, 1));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_TRUE(ranges_are(self->fd, self->id, aperture, 1));
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_TRUE(ranges_are(self->fd, self->id, everything, 1));

	/* The device narrows what the caller allowed; leaving restores it. */
	ASSERT_EQ(0, set_allowed(self->fd, self->id, allowed, 2));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_TRUE(ranges_are(self->fd, self->id, narrowed, 2));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p,
					   SZ_1M / 2));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p,
					   APERTURE_LAST + 1));
	EXPECT_EQ(0ULL, fd_pages(self->fd));
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_TRUE(ranges_are(self->fd, self->id, allowed, 2));
	EXPECT_EQ(0, map_fixed(self->fd, self->id, buf, p, SZ_1M / 2));
	EXPECT_EQ(0, map_fixed(self->fd, self->id, buf, p, APERTURE_LAST + 1));
	EXPECT_EQ(2ULL, fd_pages(self->fd));
	munmap(buf, p);
}

TEST_F(mock, kernel_iova_within_aperture)
{
	const uint64_t p = self->page, top = APERTURE_LAST + 1 - p;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, true);
	uint64_t a, b;

	ASSERT_NE(NULL, buf);
	fill(buf, 2 * p, 3);
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	/* Outside the aperture, or across either of its ends. */
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p, 0));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, 2 * p,
					   APERTURE_START - p));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, 2 * p,
					   top));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p,
					   APERTURE_LAST + 1));
	EXPECT_EQ(0ULL, fd_pages(self->fd));

	/* Without the device, these would start at 0. */
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, p, 0, &a));
	EXPECT_EQ(APERTURE_START, a);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf + p, p, SZ_2M, &b));
	EXPECT_EQ(SZ_2M, b);
	EXPECT_TRUE(dev_sees(self->fd, self->dev, a, buf, p));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, b, buf + p, p));
	EXPECT_EQ(2ULL, fd_pages(self->fd));
	/* The last page the device reaches is usable. */
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf + p, p, top));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, top, buf + p, p));
	EXPECT_EQ(3ULL, fd_pages(self->fd));
	munmap(buf, 2 * p);
}

/*
 * A reserved region that starts and ends inside pages takes those whole
 * pages out of the ranges reported, which can be set back as allowed.
 */
TEST_F(mock, unaligned_reserved_region)
{
	const uint64_t p = self->page, resv = APERTURE_START + 4 * p + 8;
	const struct ioasid_iova_range usable[] = {
		{ APERTURE_START, APERTURE_START + 4 * p - 1 },
		{ APERTURE_START + 6 * p, APERTURE_LAST },
	};
	uint32_t dev;

	ASSERT_EQ(0, mock_device_resv(self->fd, resv, p, &dev));
	ASSERT_EQ(0, mock_attach(self->fd, dev, self->id));
	EXPECT_TRUE(ranges_are(self->fd, self->id, usable, 2));
	EXPECT_EQ(0, set_allowed(self->fd, self->id, usable, 2));
	EXPECT_TRUE(ranges_are(self->fd, self->id, usable, 2));
}

TEST_F(mock, reserved_region)
{
	const uint64_t p = self->page, resv = APERTURE_START + 4 * p;
	const struct ioasid_iova_range usable[] = {
		{ APERTURE_START, resv - 1 }, { resv + 4 * p, APERTURE_LAST },
	};
	uint8_t *buf = alloc_buf(4 * p, 0xa5, true);
	uint64_t a, b, c;
	struct iopte pte;
	uint32_t dev;

	ASSERT_NE(NULL, buf);
	fill(buf, 4 * p, 4);
	ASSERT_EQ(0, mock_device_resv(self->fd, resv, 4 * p, &dev));
	ASSERT_EQ(0, mock_attach(self->fd, dev, self->id));
	EXPECT_TRUE(ranges_are(self->fd, self->id, usable, 2));

	/* Inside the region, or across either of its ends. */
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p,
					   resv + p));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, 2 * p,
					   resv - p));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, 2 * p,
					   resv + 3 * p));
	EXPECT_EQ(0ULL, fd_pages(self->fd));

	/* Kernel IOVAs skip the region, also where it leaves a small hole. */
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &a));
	EXPECT_EQ(APERTURE_START, a);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 4 * p, 0, &b));
	EXPECT_EQ(resv + 4 * p, b);
	ASSERT_EQ(0, map_any(self->fd, self->id, buf + 2 * p, 2 * p, 0, &c));
	EXPECT_EQ(APERTURE_START + 2 * p, c);
	EXPECT_TRUE(dev_sees(self->fd, dev, a, buf, 2 * p));
	EXPECT_TRUE(dev_sees(self->fd, dev, b, buf, 4 * p));
	EXPECT_TRUE(dev_sees(self->fd, dev, c, buf + 2 * p, 2 * p));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, dev, 0, resv, &pte));
	EXPECT_EQ(8ULL, fd_pages(self->fd));

	/* Once the device left, the region is an IOVA like any other... */
	ASSERT_EQ(0, mock_detach(self->fd, dev));
	EXPECT_TRUE(ranges_are(self->fd, self->id, everything, 1));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, resv + p));
	EXPECT_EQ(9ULL, fd_pages(self->fd));
	/* ...and a mapping there keeps the device out. */
	EXPECT_EQ(EADDRINUSE, mock_attach(self->fd, dev, self->id));
	EXPECT_TRUE(ranges_are(self->fd, self->id, everything, 1));
	EXPECT_EQ(a, read_fault(self->fd, dev, a, p));
	munmap(buf, 4 * p);
}

/*
 * Two devices whose reserved regions overlap: each keeps its own, so the
 * one that stays attached keeps the IOAS out of all of its region once
 * the other leaves, and the IOAS is free again only when both left.
 */
TEST_F(mock, overlapping_reserved_regions)
{
	const uint64_t p = self->page, resv = APERTURE_START + 4 * p;
	const struct ioasid_iova_range both[] = {
		{ APERTURE_START, resv - 1 }, { resv + 6 * p, APERTURE_LAST },
	};
	const struct ioasid_iova_range only_b[] = {
		{ APERTURE_START, resv + 2 * p - 1 },
		{ resv + 6 * p, APERTURE_LAST },
	};
	uint8_t *buf = alloc_buf(p, 0xa5, true);
	uint32_t a, b;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mock_device_resv(self->fd, resv, 4 * p, &a));
	ASSERT_EQ(0, mock_device_resv(self->fd, resv + 2 * p, 4 * p, &b));
	ASSERT_EQ(0, mock_attach(self->fd, a, self->id));
	ASSERT_EQ(0, mock_attach(self->fd, b, self->id));
	EXPECT_TRUE(ranges_are(self->fd, self->id, both, 2));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p, resv));

	/* A's region leaves with A; the part B shares stays reserved. */
	ASSERT_EQ(0, mock_detach(self->fd, a));
	EXPECT_TRUE(ranges_are(self->fd, self->id, only_b, 2));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p,
					   resv + 3 * p));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p,
					   resv + 5 * p));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, resv + p));
	/* That mapping now keeps A out, and B attached. */
	EXPECT_EQ(EADDRINUSE, mock_attach(self->fd, a, self->id));
	EXPECT_TRUE(ranges_are(self->fd, self->id, only_b, 2));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, resv + p, p, NULL));

	/* A back, and B gone: A's region alone remains. */
	ASSERT_EQ(0, mock_attach(self->fd, a, self->id));
	ASSERT_EQ(0, mock_detach(self->fd, b));
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p,
					   resv + 3 * p));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, resv + 4 * p));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, resv + 4 * p, p, NULL));
	ASSERT_EQ(0, mock_detach(self->fd, a));
	EXPECT_TRUE(ranges_are(self->fd, self->id, everything, 1));
	EXPECT_EQ(0ULL, fd_pages(self->fd));
	munmap(buf, p);
}

TEST_F(mock, attach_refused_outside_aperture)
{
	const uint64_t p = self->page;
	const uint64_t bad[] = {
		0, APERTURE_START - p, APERTURE_LAST + 1, UINT64_MAX - p + 1,
	};
	uint8_t *buf = alloc_buf(p, 0xa5, true);
	struct iopte pte;
	unsigned int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, bad[i]));
		EXPECT_EQ(EADDRINUSE, mock_attach(self->fd, self->dev,
						  self->id))
			TH_LOG("mapping at 0x%llx", (unsigned long long)bad[i]);
		/* Refused, it stays detached and changes no range. */
		EXPECT_TRUE(ranges_are(self->fd, self->id, everything, 1));
		EXPECT_EQ(ENODEV, read_iopte(self->fd, self->dev, 0, bad[i],
					     &pte));
		EXPECT_EQ(bad[i], read_fault(self->fd, self->dev, bad[i], 8));
		ASSERT_EQ(0, unmap_range(self->fd, self->id, bad[i], p, NULL));
	}
	EXPECT_EQ(0ULL, fd_pages(self->fd));

	/* A mapping the device reaches does not stand in the way. */
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, APERTURE_START));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_TRUE(ranges_are(self->fd, self->id, aperture, 1));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, APERTURE_START, buf, p));
	munmap(buf, p);
}

/*
 * A device refused because of one mapping, whether it would have joined
 * the existing table or needed a new one, leaves the attached one alone.
 */
TEST_F(mock, attach_refused_leaves_others)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, true);
	const struct ioasid_iova_range narrowed[] = {
		{ APERTURE_START, SZ_512G - 1 },
	};
	uint64_t low;
	struct iopte pte;
	uint32_t near, resv;

	ASSERT_NE(NULL, buf);
	fill(buf, 2 * p, 5);
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, p, 0, &low));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf + p, p, SZ_512G));
	ASSERT_EQ(0, mock_device_aperture(self->fd, SZ_512G - 1, &near));
	ASSERT_EQ(0, mock_device_resv(self->fd, low, p, &resv));

	EXPECT_EQ(EADDRINUSE, mock_attach(self->fd, near, self->id));
	EXPECT_EQ(EADDRINUSE, mock_attach(self->fd, resv, self->id));
	EXPECT_TRUE(ranges_are(self->fd, self->id, aperture, 1));
	EXPECT_EQ(ENODEV, read_iopte(self->fd, near, 0, low, &pte));
	EXPECT_EQ(ENODEV, read_iopte(self->fd, resv, 0, SZ_512G, &pte));
	EXPECT_EQ(low, read_fault(self->fd, near, low, p));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, low, buf, p));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, SZ_512G, buf + p, p));
	EXPECT_EQ(2ULL, fd_pages(self->fd));

	/* Without the mapping it cannot reach, the narrower device fits. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, SZ_512G, p, NULL));
	ASSERT_EQ(0, mock_attach(self->fd, near, self->id));
	EXPECT_TRUE(ranges_are(self->fd, self->id, narrowed, 1));
	EXPECT_TRUE(dev_sees(self->fd, near, low, buf, p));
	munmap(buf, 2 * p);
}

TEST_F(mock, dma_read_write)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, true), *ref = malloc(4 * p);
	uint8_t *src = malloc(2 * p), *dst = malloc(2 * p);
	struct iopte pte[4];
	uint64_t iova;
	unsigned int i, j;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, ref);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, dst);
	fill(buf, 4 * p, 6);
	fill(ref, 4 * p, 6);
	fill(src, 2 * p, 7);
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 4 * p, 0, &iova));

	/* Each page translates to a page of its own, readable and writable. */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, iova + i * p,
					&pte[i]));
		EXPECT_EQ(p, pte[i].pgsize);
		EXPECT_EQ(IOPTE_RW | IOPTE_CACHE, pte[i].prot);
		for (j = 0; j < i; j++)
			EXPECT_NE(pte[j].pfn, pte[i].pfn);
	}

	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, buf, 4 * p));
	/* Neither end on a page boundary. */
	memset(dst, 0, 2 * p);
	ASSERT_EQ(0, dma_read(self->fd, self->dev, iova + 100, dst, 2 * p,
			      NULL));
	EXPECT_EQ(0, memcmp(dst, buf + 100, 2 * p));

	/* What the device writes is in the process's memory, and only that. */
	ASSERT_EQ(0, dma_write(self->fd, self->dev, iova + p - 8, src, 2 * p,
			       NULL));
	EXPECT_EQ(0, memcmp(buf + p - 8, src, 2 * p));
	EXPECT_EQ(0, memcmp(buf, ref, p - 8));
	EXPECT_EQ(0, memcmp(buf + 3 * p - 8, ref + 3 * p - 8, p + 8));

	/* And what the CPU writes, the device reads next. */
	memset(buf + 2 * p, 0x3c, p);
	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, buf, 4 * p));
	free(dst);
	free(src);
	free(ref);
	munmap(buf, 4 * p);
}

TEST_F(mock, dma_permissions)
{
	const uint64_t p = self->page, ro = APERTURE_START, wo = SZ_2M;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, true), *ref = malloc(2 * p);
	uint8_t *tmp = malloc(p);
	struct ioasid_map cmd = { .ioasid = self->id, .length = p };
	struct iopte pte;
	uint64_t fault;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, ref);
	ASSERT_NE(NULL, tmp);
	fill(buf, 2 * p, 8);
	fill(ref, 2 * p, 8);
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	cmd.flags = IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA;
	cmd.user_va = (uintptr_t)buf;
	cmd.iova = ro;
	ASSERT_EQ(0, do_map(self->fd, &cmd));
	cmd.flags = IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA;
	cmd.user_va = (uintptr_t)(buf + p);
	cmd.iova = wo;
	ASSERT_EQ(0, do_map(self->fd, &cmd));

	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, ro, &pte));
	EXPECT_EQ(IOPTE_READ | IOPTE_CACHE, pte.prot);
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, wo, &pte));
	EXPECT_EQ(IOPTE_WRITE | IOPTE_CACHE, pte.prot);

	/* Read-only: the device reads, and its write leaves memory alone. */
	EXPECT_TRUE(dev_sees(self->fd, self->dev, ro, buf, p));
	memset(tmp, 0x11, p);
	EXPECT_EQ(EIO, dma_write(self->fd, self->dev, ro, tmp, p, &fault));
	EXPECT_EQ(ro, fault);
	EXPECT_EQ(0, memcmp(buf, ref, p));

	/* Write-only: the device writes, and its read returns nothing. */
	ASSERT_EQ(0, dma_write(self->fd, self->dev, wo, tmp, p, NULL));
	EXPECT_EQ(0, memcmp(buf + p, tmp, p));
	memset(tmp, 0x22, p);
	EXPECT_EQ(EIO, dma_read(self->fd, self->dev, wo, tmp, p, &fault));
	EXPECT_EQ(wo, fault);
	EXPECT_EQ(0x22, tmp[0]);
	EXPECT_EQ(0x22, tmp[p - 1]);
	free(tmp);
	free(ref);
	munmap(buf, 2 * p);
}

TEST_F(mock, dma_stops_at_fault)
{
	const uint64_t p = self->page, iova = APERTURE_START;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, true), *tmp = malloc(3 * p);
	uint8_t *src = malloc(2 * p);
	uint64_t fault, i;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, tmp);
	ASSERT_NE(NULL, src);
	fill(buf, 2 * p, 9);
	fill(src, 2 * p, 10);
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	/* Two mapped pages, then nothing. */
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, iova));

	memset(tmp, 0xee, 3 * p);
	EXPECT_EQ(EIO, dma_read(self->fd, self->dev, iova, tmp, 3 * p,
				&fault));
	EXPECT_EQ(iova + 2 * p, fault);
	EXPECT_EQ(0, memcmp(tmp, buf, 2 * p));
	for (i = 2 * p; i < 3 * p; i++)
		if (tmp[i] != 0xee)
			break;
	EXPECT_EQ(3 * p, i);

	/* The fault is where it is, not where the transfer started. */
	EXPECT_EQ(iova + 2 * p, read_fault(self->fd, self->dev,
					   iova + 2 * p - 100, 200));
	EXPECT_EQ(EIO, dma_write(self->fd, self->dev, iova + p, src, 2 * p,
				 &fault));
	EXPECT_EQ(iova + 2 * p, fault);
	EXPECT_EQ(0, memcmp(buf + p, src, p));
	munmap(buf, 2 * p);
	free(src);
	free(tmp);
}

TEST_F(mock, unmap_blocks_dma)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, true), *ref = malloc(2 * p);
	struct iopte pte;
	uint64_t a, b;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, ref);
	fill(buf, 4 * p, 11);
	fill(ref, 2 * p, 11);
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &a));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf + 2 * p, 2 * p, 0, &b));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, a, buf, 2 * p));

	ASSERT_EQ(0, unmap_range(self->fd, self->id, a, 2 * p, NULL));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, a, &pte));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, a + p, &pte));
	EXPECT_EQ(a, read_fault(self->fd, self->dev, a, 2 * p));
	EXPECT_EQ(a + p, write_fault(self->fd, self->dev, a + p, p));
	EXPECT_EQ(0, memcmp(buf, ref, 2 * p));
	/* The neighbour is still there. */
	EXPECT_TRUE(dev_sees(self->fd, self->dev, b, buf + 2 * p, 2 * p));
	EXPECT_EQ(2ULL, fd_pages(self->fd));

	ASSERT_EQ(0, unmap_range(self->fd, self->id, b, 2 * p, NULL));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, b, &pte));
	EXPECT_EQ(b, read_fault(self->fd, self->dev, b, p));
	EXPECT_EQ(0ULL, fd_pages(self->fd));
	free(ref);
	munmap(buf, 4 * p);
}

TEST_F(mock, copy_outlives_source)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, true), *src = malloc(p);
	uint8_t *ref = malloc(4 * p);
	struct ioasid_copy ro = {
		.flags = IOASID_MAP_READ,
		.src_ioasid = self->id,
		.length = 4 * p,
	};
	uint64_t a, b, c;
	uint32_t id2, dev2;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, ref);
	fill(buf, 4 * p, 12);
	fill(src, p, 13);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, mock_device(self->fd, &dev2));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, mock_attach(self->fd, dev2, id2));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 4 * p, 0, &a));
	/* Part of it into the other IOASID, all of it into the same one. */
	ASSERT_EQ(0, copy_any(self->fd, id2, self->id, a + p, 2 * p, &b));
	ASSERT_EQ(0, copy_any(self->fd, self->id, self->id, a, 4 * p, &c));
	EXPECT_EQ(4ULL, fd_pages(self->fd));
	EXPECT_TRUE(same_page(self->fd, self->dev, a + p, dev2, b));
	EXPECT_TRUE(same_page(self->fd, self->dev, a + 3 * p, self->dev,
			      c + 3 * p));

	ASSERT_EQ(0, unmap_range(self->fd, self->id, a, 4 * p, NULL));
	EXPECT_EQ(a, read_fault(self->fd, self->dev, a, p));
	EXPECT_TRUE(dev_sees(self->fd, dev2, b, buf + p, 2 * p));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, c, buf, 4 * p));
	EXPECT_EQ(4ULL, fd_pages(self->fd));

	/* Still the same memory: a write through one copy shows in both. */
	ASSERT_EQ(0, dma_write(self->fd, dev2, b + p, src, p, NULL));
	EXPECT_EQ(0, memcmp(buf + 2 * p, src, p));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, c + 2 * p, src, p));

	/* A read-only copy of writable pages is read-only. */
	ro.dst_ioasid = self->id;
	ro.src_iova = c;
	ASSERT_EQ(0, do_copy(self->fd, &ro));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, ro.dst_iova, buf, 4 * p));
	memcpy(ref, buf, 4 * p);
	EXPECT_EQ(ro.dst_iova, write_fault(self->fd, self->dev, ro.dst_iova,
					   p));
	EXPECT_EQ(0, memcmp(buf, ref, 4 * p));

	ASSERT_EQ(0, unmap_range(self->fd, self->id, c, 4 * p, NULL));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, ro.dst_iova, 4 * p, NULL));
	EXPECT_EQ(4ULL, fd_pages(self->fd));
	ASSERT_EQ(0, unmap_range(self->fd, id2, b, 2 * p, NULL));
	EXPECT_EQ(b, read_fault(self->fd, dev2, b, p));
	EXPECT_EQ(0ULL, fd_pages(self->fd));
	free(ref);
	free(src);
	munmap(buf, 4 * p);
}

TEST_F(mock, compatible_devices_share)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, true), *src = malloc(p);
	struct iopte x, y;
	uint64_t a, b;
	uint32_t dev2;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, src);
	fill(buf, 4 * p, 14);
	fill(src, p, 15);
	ASSERT_EQ(0, mock_device(self->fd, &dev2));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &a));
	ASSERT_EQ(0, mock_attach(self->fd, dev2, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf + 2 * p, 2 * p, 0, &b));
	EXPECT_TRUE(ranges_are(self->fd, self->id, aperture, 1));

	/* Mapped before or after the second device came, both see it. */
	EXPECT_TRUE(dev_sees(self->fd, self->dev, a, buf, 2 * p));
	EXPECT_TRUE(dev_sees(self->fd, dev2, a, buf, 2 * p));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, b, buf + 2 * p, 2 * p));
	EXPECT_TRUE(dev_sees(self->fd, dev2, b, buf + 2 * p, 2 * p));
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, b + p, &x));
	ASSERT_EQ(0, read_iopte(self->fd, dev2, 0, b + p, &y));
	EXPECT_EQ(x.pfn, y.pfn);
	EXPECT_EQ(x.pgsize, y.pgsize);
	EXPECT_EQ(x.prot, y.prot);

	/* One device writes what the other reads. */
	ASSERT_EQ(0, dma_write(self->fd, self->dev, a + p, src, p, NULL));
	EXPECT_TRUE(dev_sees(self->fd, dev2, a + p, src, p));

	ASSERT_EQ(0, unmap_range(self->fd, self->id, a, 2 * p, NULL));
	EXPECT_EQ(a, read_fault(self->fd, self->dev, a, p));
	EXPECT_EQ(a, read_fault(self->fd, dev2, a, p));

	/* The table stays for the device still using it. */
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_TRUE(ranges_are(self->fd, self->id, aperture, 1));
	EXPECT_TRUE(dev_sees(self->fd, dev2, b, buf + 2 * p, 2 * p));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &a));
	EXPECT_TRUE(dev_sees(self->fd, dev2, a, buf, 2 * p));
	ASSERT_EQ(0, mock_detach(self->fd, dev2));
	EXPECT_TRUE(ranges_are(self->fd, self->id, everything, 1));
	free(src);
	munmap(buf, 4 * p);
}

TEST_F(mock, incompatible_devices_sync)
{
	const uint64_t p = self->page;
	const struct ioasid_iova_range narrowed[] = {
		{ APERTURE_START, SZ_512G - 1 },
	};
	uint8_t *buf = alloc_buf(4 * p, 0xa5, true), *src = malloc(p);
	struct iopte pte;
	uint64_t a, b;
	uint32_t near;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, src);
	fill(buf, 4 * p, 16);
	fill(src, p, 17);
	ASSERT_EQ(0, mock_device_aperture(self->fd, SZ_512G - 1, &near));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &a));
	/* Its new table starts with the mapping already there. */
	ASSERT_EQ(0, mock_attach(self->fd, near, self->id));
	EXPECT_TRUE(ranges_are(self->fd, self->id, narrowed, 1));
	EXPECT_TRUE(dev_sees(self->fd, near, a, buf, 2 * p));
	EXPECT_TRUE(same_page(self->fd, self->dev, a + p, near, a + p));

	/* And follows the maps and unmaps that come later. */
	ASSERT_EQ(0, map_any(self->fd, self->id, buf + 2 * p, 2 * p, 0, &b));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, b, buf + 2 * p, 2 * p));
	EXPECT_TRUE(dev_sees(self->fd, near, b, buf + 2 * p, 2 * p));
	ASSERT_EQ(0, dma_write(self->fd, near, b + p, src, p, NULL));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, b + p, src, p));
	EXPECT_EQ(0, memcmp(buf + 3 * p, src, p));

	ASSERT_EQ(0, unmap_range(self->fd, self->id, a, 2 * p, NULL));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, a, &pte));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, near, 0, a, &pte));
	EXPECT_EQ(a, read_fault(self->fd, self->dev, a, p));
	EXPECT_EQ(a, read_fault(self->fd, near, a, p));
	EXPECT_TRUE(dev_sees(self->fd, near, b, buf + 2 * p, 2 * p));

	/* What the narrower device cannot reach is refused, until it left. */
	EXPECT_EQ(EADDRNOTAVAIL, map_fixed(self->fd, self->id, buf, p,
					   SZ_512G));
	ASSERT_EQ(0, mock_detach(self->fd, near));
	EXPECT_TRUE(ranges_are(self->fd, self->id, aperture, 1));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, SZ_512G));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, SZ_512G, buf, p));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, b, buf + 2 * p, 2 * p));
	EXPECT_EQ(ENODEV, read_iopte(self->fd, near, 0, b, &pte));
	free(src);
	munmap(buf, 4 * p);
}

/*
 * A coherent device's mappings are cacheable however they reach its
 * table: mapped, copied, or already there when it attached.
 */
TEST_F(mock, coherent_mappings_are_cacheable)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, true);
	uint32_t other, dev2, dev3, filled;
	struct iopte pte;
	uint64_t a, b, c;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &a));
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, a + p, &pte));
	EXPECT_EQ(IOPTE_RW | IOPTE_CACHE, pte.prot);
	EXPECT_EQ(0U, pte.flags);

	ASSERT_EQ(0, ioasid_alloc(self->fd, &other));
	ASSERT_EQ(0, mock_device(self->fd, &dev2));
	ASSERT_EQ(0, mock_attach(self->fd, dev2, other));
	ASSERT_EQ(0, copy_any(self->fd, other, self->id, a, 2 * p, &b));
	ASSERT_EQ(0, read_iopte(self->fd, dev2, 0, b, &pte));
	EXPECT_EQ(IOPTE_RW | IOPTE_CACHE, pte.prot);

	/* Where the mock IOMMU translates, which no device narrowed yet. */
	c = SZ_1G;
	ASSERT_EQ(0, ioasid_alloc(self->fd, &filled));
	ASSERT_EQ(0, map_fixed(self->fd, filled, buf, 2 * p, c));
	ASSERT_EQ(0, mock_device(self->fd, &dev3));
	ASSERT_EQ(0, mock_attach(self->fd, dev3, filled));
	ASSERT_EQ(0, read_iopte(self->fd, dev3, 0, c + p, &pte));
	EXPECT_EQ(IOPTE_RW | IOPTE_CACHE, pte.prot);
	EXPECT_TRUE(dev_sees(self->fd, dev3, c, buf, 2 * p));
	munmap(buf, 2 * p);
}

/*
 * A device whose IOMMU cannot make its DMA coherent never shares a table
 * with a coherent one: each table has the cache attribute of its devices,
 * and both follow the IOASID's mappings.
 */
TEST_F(mock, incoherent_device_gets_its_own_table)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, true), *src = malloc(p);
	uint32_t inc, inc2;
	struct iopte pte;
	uint64_t a, b;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, src);
	fill(buf, 4 * p, 31);
	fill(src, p, 32);
	ASSERT_EQ(0, mock_device_coherency(self->fd, IOASID_MOCK_INCOHERENT,
					   &inc));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &a));
	ASSERT_EQ(0, mock_attach(self->fd, inc, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf + 2 * p, 2 * p, 0, &b));

	ASSERT_EQ(0, read_iopte(self->fd, inc, 0, a, &pte));
	EXPECT_EQ(IOPTE_RW, pte.prot);
	ASSERT_EQ(0, read_iopte(self->fd, inc, 0, b + p, &pte));
	EXPECT_EQ(IOPTE_RW, pte.prot);
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, a, &pte));
	EXPECT_EQ(IOPTE_RW | IOPTE_CACHE, pte.prot);
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, b + p, &pte));
	EXPECT_EQ(IOPTE_RW | IOPTE_CACHE, pte.prot);
	EXPECT_TRUE(same_page(self->fd, self->dev, b, inc, b));

	/* One writes what the other reads; an unmap leaves both tables. */
	ASSERT_EQ(0, dma_write(self->fd, inc, b + p, src, p, NULL));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, b + p, src, p));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, a, 2 * p, NULL));
	EXPECT_EQ(a, read_fault(self->fd, inc, a, p));
	EXPECT_EQ(a, read_fault(self->fd, self->dev, a, p));

	/* Two incoherent devices share theirs. */
	ASSERT_EQ(0, mock_device_coherency(self->fd, IOASID_MOCK_INCOHERENT,
					   &inc2));
	ASSERT_EQ(0, mock_attach(self->fd, inc2, self->id));
	ASSERT_EQ(0, read_iopte(self->fd, inc2, 0, b, &pte));
	EXPECT_EQ(IOPTE_RW, pte.prot);
	free(src);
	munmap(buf, 4 * p);
}

/*
 * A device whose IOMMU can refuse no-snoop DMA gets a table that refuses
 * it from its creation on, and joins no table made otherwise; devices
 * that cannot refuse it get another.
 */
TEST_F(mock, snoop_enforced_where_the_iommu_can)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, true);
	uint32_t snoop, snoop2, plain, fresh;
	struct iopte pte;
	uint64_t a, b;

	ASSERT_NE(NULL, buf);
	fill(buf, 2 * p, 33);
	ASSERT_EQ(0, mock_device_coherency(self->fd,
					   IOASID_MOCK_ENFORCE_SNOOP, &snoop));
	ASSERT_EQ(0, mock_device_coherency(self->fd,
					   IOASID_MOCK_ENFORCE_SNOOP, &snoop2));
	ASSERT_EQ(0, mock_device(self->fd, &plain));

	/* Filled at attach, then mapped: every entry refuses no-snoop. */
	a = SZ_1G;
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, a));
	ASSERT_EQ(0, mock_attach(self->fd, snoop, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf + p, p, 0, &b));
	ASSERT_EQ(0, read_iopte(self->fd, snoop, 0, a, &pte));
	EXPECT_EQ(IOASID_MOCK_PTE_SNOOP, pte.flags);
	EXPECT_EQ(IOPTE_RW | IOPTE_CACHE, pte.prot);
	ASSERT_EQ(0, read_iopte(self->fd, snoop, 0, b, &pte));
	EXPECT_EQ(IOASID_MOCK_PTE_SNOOP, pte.flags);

	/* A device that cannot refuse it attaches through another table. */
	ASSERT_EQ(0, mock_attach(self->fd, plain, self->id));
	ASSERT_EQ(0, read_iopte(self->fd, plain, 0, a, &pte));
	EXPECT_EQ(0U, pte.flags);
	EXPECT_TRUE(dev_sees(self->fd, plain, a, buf, p));
	EXPECT_TRUE(dev_sees(self->fd, plain, b, buf + p, p));

	/*
	 * The plain device's table of a second IOASID was not made to refuse
	 * no-snoop DMA, so the other gets a table of its own.
	 */
	ASSERT_EQ(0, ioasid_alloc(self->fd, &fresh));
	ASSERT_EQ(0, mock_attach(self->fd, plain, fresh));
	ASSERT_EQ(0, map_any(self->fd, fresh, buf, 2 * p, 0, &a));
	ASSERT_EQ(0, mock_attach(self->fd, snoop2, fresh));
	ASSERT_EQ(0, read_iopte(self->fd, snoop2, 0, a, &pte));
	EXPECT_EQ(IOASID_MOCK_PTE_SNOOP, pte.flags);
	ASSERT_EQ(0, read_iopte(self->fd, plain, 0, a, &pte));
	EXPECT_EQ(0U, pte.flags);
	EXPECT_TRUE(dev_sees(self->fd, snoop2, a, buf, 2 * p));

	/* The first device moves there and shares the refusing table. */
	ASSERT_EQ(0, mock_attach(self->fd, snoop, fresh));
	ASSERT_EQ(0, read_iopte(self->fd, snoop, 0, a + p, &pte));
	EXPECT_EQ(IOASID_MOCK_PTE_SNOOP, pte.flags);
	munmap(buf, 2 * p);
}

TEST_F(mock, large_iopte)
{
	const uint64_t p = self->page, n = SZ_2M / p;
	const uint64_t unaligned = 4 * SZ_2M + p;
	struct iopte pte;
	uint64_t iova, pfn;
	uint8_t *buf;
	void *base;

	buf = alloc_huge(&base);
	ASSERT_NE(NULL, buf);
	fill(buf, SZ_2M, 18);
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, SZ_2M, SZ_2M, &iova));
	/* Checked once pinned, since pinning may move the pages. */
	if (anon_huge_kb(buf) < SZ_2M / 1024)
		SKIP(return, "the buffer did not get a transparent huge page");
	EXPECT_EQ(SZ_2M, iova);

	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, iova, &pte));
	EXPECT_EQ(SZ_2M, pte.pgsize);
	EXPECT_EQ(IOPTE_RW | IOPTE_CACHE, pte.prot);
	EXPECT_EQ(0ULL, pte.pfn % n);
	pfn = pte.pfn;
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, iova + SZ_2M - p,
				&pte));
	EXPECT_EQ(SZ_2M, pte.pgsize);
	EXPECT_EQ(pfn + n - 1, pte.pfn);
	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, buf, SZ_2M));

	/* The same pages at an IOVA that is not 2 MiB aligned: small IOPTEs. */
	ASSERT_EQ(0, copy_fixed(self->fd, self->id, self->id, iova, SZ_2M,
				unaligned));
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, unaligned, &pte));
	EXPECT_EQ(p, pte.pgsize);
	EXPECT_EQ(pfn, pte.pfn);
	EXPECT_TRUE(dev_sees(self->fd, self->dev, unaligned, buf, SZ_2M));

	/* Unmapping the large IOPTE leaves no part of it. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, iova, SZ_2M, NULL));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, iova + SZ_1M,
				     &pte));
	EXPECT_EQ(iova + SZ_1M, read_fault(self->fd, self->dev, iova + SZ_1M,
					   p));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, unaligned, buf, SZ_2M));
	EXPECT_EQ(n, fd_pages(self->fd));
	munmap(base, 2 * SZ_2M);
}

/* Each table maps the same huge page with the page sizes its IOMMU has. */
TEST_F(mock, large_iopte_per_table)
{
	const uint64_t p = self->page, n = SZ_2M / p;
	struct iopte big, small;
	uint64_t iova, i;
	uint32_t dev2;
	uint8_t *buf;
	void *base;

	buf = alloc_huge(&base);
	ASSERT_NE(NULL, buf);
	fill(buf, SZ_2M, 19);
	ASSERT_EQ(0, mock_device_small_pages(self->fd, p, &dev2));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, SZ_2M, SZ_2M, &iova));
	if (anon_huge_kb(buf) < SZ_2M / 1024)
		SKIP(return, "the buffer did not get a transparent huge page");
	/* Its table is made once the huge page is mapped. */
	ASSERT_EQ(0, mock_attach(self->fd, dev2, self->id));

	for (i = 0; i < n; i += n / 8 + 1) {
		ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, iova + i * p,
					&big));
		ASSERT_EQ(0, read_iopte(self->fd, dev2, 0, iova + i * p,
					&small));
		EXPECT_EQ(SZ_2M, big.pgsize);
		EXPECT_EQ(p, small.pgsize);
		EXPECT_EQ(big.pfn, small.pfn);
		EXPECT_EQ(big.prot, small.prot);
	}
	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, buf, SZ_2M));
	EXPECT_TRUE(dev_sees(self->fd, dev2, iova, buf, SZ_2M));

	ASSERT_EQ(0, unmap_range(self->fd, self->id, iova, SZ_2M, NULL));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, iova + p, &big));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, dev2, 0, iova + p, &small));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, dev2, 0, iova + SZ_2M - p,
				     &small));
	EXPECT_EQ(0ULL, fd_pages(self->fd));
	munmap(base, 2 * SZ_2M);
}

/*
 * Whether the @npages pages from @va are in one physically contiguous run
 * from a frame @align pages past an @align_to page boundary.  False too
 * when the frames cannot be read.
 */
static bool frames_run_from(const uint8_t *va, uint64_t npages, uint64_t page,
			    uint64_t align_to, uint64_t align, uint64_t *first)
{
	uint64_t i, pfn;

	if (page_frame(va, first) || *first % align_to != align)
		return false;
	for (i = 1; i < npages; i++)
		if (page_frame(va + i * page, &pfn) || pfn != *first + i)
			return false;
	return true;
}

/*
 * A mapping whose first piece of memory takes a whole batch of small IOPTEs,
 * followed by the second half of a huge page at an IOVA that could take a
 * 2 MiB IOPTE had the piece started at the boundary: each piece goes where
 * it belongs, and nothing past the end of the mapping is mapped.
 */
TEST_F(mock, huge_page_half_after_full_batch)
{
	const uint64_t p = self->page, n = SZ_2M / p;
	/* 1 MiB past a 2 MiB boundary: the first huge page takes 4 KiB IOPTEs. */
	const uint64_t iova = 16 * SZ_2M + SZ_1M;
	void *base_a, *base_b, *reserved;
	uint64_t pfn_a, pfn_b;
	uint8_t *a, *b, *win;
	struct iopte pte;

	if (p != 4096)
		SKIP(return, "the layout assumes 4 KiB pages");
	a = alloc_huge(&base_a);
	b = alloc_huge(&base_b);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	fill(a, SZ_2M, 40);
	fill(b, SZ_2M, 41);
	/* One window: huge page a, then the second half of huge page b. */
	reserved = mmap(NULL, 3 * SZ_2M, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, reserved);
	win = (uint8_t *)(((uintptr_t)reserved + SZ_2M - 1) & ~(SZ_2M - 1));
	ASSERT_EQ(win, mremap(a, SZ_2M, SZ_2M, MREMAP_MAYMOVE | MREMAP_FIXED,
			      win));
	ASSERT_EQ(win + SZ_2M, mremap(b + SZ_1M, SZ_1M, SZ_1M,
				      MREMAP_MAYMOVE | MREMAP_FIXED,
				      win + SZ_2M));
	if (!frames_run_from(win, n, p, n, 0, &pfn_a) ||
	    !frames_run_from(win + SZ_2M, n / 2, p, n, n / 2, &pfn_b))
		SKIP(goto out, "no two huge pages, or their frames are hidden");

	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, win, 3 * SZ_1M, iova));
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, iova, &pte));
	EXPECT_EQ(pfn_a, pte.pfn);
	EXPECT_EQ(p, pte.pgsize);
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, iova + SZ_2M, &pte));
	EXPECT_EQ(pfn_b, pte.pfn);
	ASSERT_EQ(0, read_iopte(self->fd, self->dev, 0, iova + 3 * SZ_1M - p,
				&pte));
	EXPECT_EQ(pfn_b + n / 2 - 1, pte.pfn);
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, iova + 3 * SZ_1M,
				     &pte));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, iova + SZ_2M * 2,
				     &pte));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, iova - p, &pte));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, win, 3 * SZ_1M));

	ASSERT_EQ(0, unmap_range(self->fd, self->id, iova, 3 * SZ_1M, NULL));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, iova + SZ_2M,
				     &pte));
	EXPECT_EQ(0ULL, fd_pages(self->fd));
out:
	munmap(reserved, 3 * SZ_2M);
	munmap(base_a, 2 * SZ_2M);
	munmap(base_b, 2 * SZ_2M);
}

TEST_F(mock, pin_counters)
{
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, true);
	struct pinned start, now;
	uint64_t pin = vm_kb("VmPin"), a, b, c;
	uint32_t small;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(UINT64_MAX, pin);
	ASSERT_EQ(0, mock_device_small_pages(self->fd, p, &small));
	ASSERT_EQ(0, get_pinned(self->fd, &start));
	EXPECT_EQ(0ULL, start.fd_pages);

	/* A map charges the user, and shows in the process's VmPin. */
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 4 * p, 0, &a));
	ASSERT_EQ(0, get_pinned(self->fd, &now));
	EXPECT_EQ(4ULL, now.fd_pages);
	EXPECT_EQ(start.user_locked + 4, now.user_locked);
	EXPECT_EQ(start.mm_pinned + 4, now.mm_pinned);
	EXPECT_EQ(start.mm_locked, now.mm_locked);
	EXPECT_EQ(pin + 4 * p / 1024, vm_kb("VmPin"));

	/* Neither filling a new table nor a copy pins again. */
	ASSERT_EQ(0, mock_attach(self->fd, small, self->id));
	ASSERT_EQ(0, copy_any(self->fd, self->id, self->id, a, 4 * p, &b));
	ASSERT_EQ(0, get_pinned(self->fd, &now));
	EXPECT_EQ(4ULL, now.fd_pages);
	EXPECT_EQ(start.user_locked + 4, now.user_locked);
	EXPECT_EQ(start.mm_pinned + 4, now.mm_pinned);

	/* Mapping the same memory again does. */
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 2 * p, 0, &c));
	ASSERT_EQ(0, get_pinned(self->fd, &now));
	EXPECT_EQ(6ULL, now.fd_pages);
	EXPECT_EQ(start.user_locked + 6, now.user_locked);
	EXPECT_EQ(start.mm_pinned + 6, now.mm_pinned);

	/* The copy holds the pages after their source went. */
	ASSERT_EQ(0, unmap_range(self->fd, self->id, a, 4 * p, NULL));
	EXPECT_EQ(6ULL, fd_pages(self->fd));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, b, 4 * p, NULL));
	ASSERT_EQ(0, get_pinned(self->fd, &now));
	EXPECT_EQ(2ULL, now.fd_pages);
	EXPECT_EQ(start.user_locked + 2, now.user_locked);
	ASSERT_EQ(0, unmap_range(self->fd, self->id, c, 2 * p, NULL));
	ASSERT_EQ(0, get_pinned(self->fd, &now));
	EXPECT_EQ(0ULL, now.fd_pages);
	EXPECT_EQ(start.user_locked, now.user_locked);
	EXPECT_EQ(start.mm_pinned, now.mm_pinned);
	EXPECT_EQ(pin, vm_kb("VmPin"));

	/* Charging the process moves the charge to its locked_vm. */
	ASSERT_EQ(0, set_accounting(self->fd, IOASID_ACCOUNT_PROCESS));
	ASSERT_EQ(0, map_any(self->fd, self->id, buf, 3 * p, 0, &a));
	ASSERT_EQ(0, get_pinned(self->fd, &now));
	EXPECT_EQ(3ULL, now.fd_pages);
	EXPECT_EQ(start.mm_locked + 3, now.mm_locked);
	EXPECT_EQ(start.user_locked, now.user_locked);
	EXPECT_EQ(start.mm_pinned, now.mm_pinned);
	ASSERT_EQ(0, unmap_range(self->fd, self->id, a, 3 * p, NULL));
	ASSERT_EQ(0, get_pinned(self->fd, &now));
	EXPECT_EQ(0ULL, now.fd_pages);
	EXPECT_EQ(start.mm_locked, now.mm_locked);
	munmap(buf, 4 * p);
}

TEST_F(mock, close_with_attached_devices)
{
	const uint64_t p = self->page;
	int before = count_mock_devices(), fd;
	uint8_t *buf = alloc_buf(4 * p, 0xa5, true);
	uint64_t pin = vm_kb("VmPin"), a, b;
	struct pinned start, now;
	uint32_t id, dev, small;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(UINT64_MAX, pin);
	ASSERT_EQ(0, get_pinned(self->fd, &start));
	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioasid_alloc(fd, &id));
	ASSERT_EQ(0, mock_device(fd, &dev));
	ASSERT_EQ(0, mock_device_small_pages(fd, p, &small));
	ASSERT_EQ(0, mock_attach(fd, dev, id));
	ASSERT_EQ(0, mock_attach(fd, small, id));
	ASSERT_EQ(0, map_any(fd, id, buf, 4 * p, 0, &a));
	ASSERT_EQ(0, copy_any(fd, id, id, a, 4 * p, &b));
	EXPECT_TRUE(dev_sees(fd, small, b, buf, 4 * p));

	/* The pages are the other fd's, charged to this process and user. */
	EXPECT_EQ(4ULL, fd_pages(fd));
	ASSERT_EQ(0, get_pinned(self->fd, &now));
	EXPECT_EQ(0ULL, now.fd_pages);
	EXPECT_EQ(start.user_locked + 4, now.user_locked);
	EXPECT_EQ(start.mm_pinned + 4, now.mm_pinned);
	EXPECT_EQ(before + 2, count_mock_devices());

	EXPECT_EQ(0, close(fd));
	ASSERT_EQ(0, get_pinned(self->fd, &now));
	EXPECT_EQ(start.user_locked, now.user_locked);
	EXPECT_EQ(start.mm_pinned, now.mm_pinned);
	EXPECT_EQ(pin, vm_kb("VmPin"));
	EXPECT_EQ(before, count_mock_devices());
	munmap(buf, 4 * p);
}

TEST_F(mock, wrong_ids)
{
	const uint32_t ops[] = {
		IOASID_TEST_ATTACH, IOASID_TEST_DETACH, IOASID_TEST_DMA,
		IOASID_TEST_IOPTE,
	};
	const uint32_t unknown[] = { 0, IOASID_TEST_FLOOR + 1, UINT32_MAX };
	const uint64_t p = self->page;
	uint8_t *buf = alloc_buf(p, 0xa5, true);
	uint32_t gone_dev, gone_id, bad[4];
	struct ioasid_test cmd;
	struct iopte pte;
	unsigned int i, j;
	int other;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mock_device(self->fd, &gone_dev));
	ASSERT_EQ(0, ioasid_destroy(self->fd, gone_dev));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &gone_id));
	ASSERT_EQ(0, ioasid_destroy(self->fd, gone_id));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, APERTURE_START));
	bad[0] = 0;
	bad[1] = gone_dev;
	bad[2] = UINT32_MAX;
	/* An IOASID is not a device. */
	bad[3] = self->id;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		for (j = 0; j < ARRAY_SIZE(bad); j++) {
			cmd = (struct ioasid_test) {
				.op = ops[i],
				.id = bad[j],
				.ioasid = self->id,
			};
			if (ops[i] == IOASID_TEST_DMA) {
				cmd.dma.iova = APERTURE_START;
				cmd.dma.length = p;
				cmd.dma.uptr = (uintptr_t)buf;
			}
			EXPECT_EQ(ENOENT, do_test(self->fd, &cmd))
				TH_LOG("op %u id %u", ops[i], bad[j]);
		}
	}

	/* A device is not an IOASID, nor is one that is gone. */
	EXPECT_EQ(ENOENT, mock_attach(self->fd, self->dev, self->dev));
	EXPECT_EQ(ENOENT, mock_attach(self->fd, self->dev, 0));
	EXPECT_EQ(ENOENT, mock_attach(self->fd, self->dev, gone_id));
	EXPECT_EQ(ENODEV, read_iopte(self->fd, self->dev, 0, APERTURE_START,
				     &pte));
	EXPECT_TRUE(ranges_are(self->fd, self->id, everything, 1));

	/* Ids are the fd's: a fresh one has none of ours. */
	other = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other);
	EXPECT_EQ(ENOENT, read_iopte(other, self->dev, 0, APERTURE_START,
				     &pte));
	EXPECT_EQ(ENOENT, mock_detach(other, self->dev));
	close(other);

	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		cmd = (struct ioasid_test) {
			.op = unknown[i],
			.id = self->dev,
		};
		EXPECT_EQ(EOPNOTSUPP, do_test(self->fd, &cmd))
			TH_LOG("op %u", unknown[i]);
	}
	/* Still detached: none of it did anything. */
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, APERTURE_START, buf, p));
	munmap(buf, p);
}

TEST_F(mock, pasid_attach_detach)
{
	const uint64_t p = self->page, iova = APERTURE_START;
	uint8_t *buf = alloc_buf(2 * p, 0xa5, true);
	uint32_t dev;

	ASSERT_NE(NULL, buf);
	fill(buf, 2 * p, 7);
	ASSERT_EQ(0, mock_device_pasid(self->fd, 8, &dev));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, 2 * p, iova));
	EXPECT_EQ(iova, pasid_read_fault(self->fd, dev, 5, iova, p));

	ASSERT_EQ(0, mock_attach_pasid(self->fd, dev, 5, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 5, iova, buf, 2 * p));
	/* Only that PASID: the requester ID and other PASIDs stay blocked. */
	EXPECT_EQ(iova, read_fault(self->fd, dev, iova, p));
	EXPECT_EQ(iova, pasid_read_fault(self->fd, dev, 6, iova, p));
	/* Attaching it again where it is changes nothing. */
	EXPECT_EQ(0, mock_attach_pasid(self->fd, dev, 5, self->id));
	/* The PASID uses the IOASID, which cannot go. */
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->id));

	ASSERT_EQ(0, mock_detach_pasid(self->fd, dev, 5));
	EXPECT_EQ(iova, pasid_read_fault(self->fd, dev, 5, iova, p));
	EXPECT_EQ(ENOENT, mock_detach_pasid(self->fd, dev, 5));
	munmap(buf, 2 * p);
}

TEST_F(mock, pasid_and_rid_in_different_ioasids)
{
	const uint64_t p = self->page, iova = APERTURE_START;
	uint8_t *a = alloc_buf(p, 0xa5, true), *b = alloc_buf(p, 0xa5, true);
	uint32_t dev, id2, pasid;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	fill(a, p, 1);
	fill(b, p, 2);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, mock_device_pasid(self->fd, 8, &dev));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, a, p, iova));
	ASSERT_EQ(0, map_fixed(self->fd, id2, b, p, iova));

	/* The requester ID in one IOASID, sixteen PASIDs in the other. */
	ASSERT_EQ(0, mock_attach(self->fd, dev, self->id));
	for (pasid = 1; pasid <= 16; pasid++)
		ASSERT_EQ(0, mock_attach_pasid(self->fd, dev, pasid, id2));
	EXPECT_TRUE(dev_sees(self->fd, dev, iova, a, p));
	for (pasid = 1; pasid <= 16; pasid++)
		EXPECT_TRUE(pasid_sees(self->fd, dev, pasid, iova, b, p));

	/* An attached PASID moves, alone: the others stay. */
	EXPECT_EQ(0, mock_attach_pasid(self->fd, dev, 3, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 3, iova, a, p));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 4, iova, b, p));
	EXPECT_EQ(0, mock_attach_pasid(self->fd, dev, 3, id2));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 3, iova, b, p));

	/* Detaching the requester ID leaves the PASIDs alone. */
	ASSERT_EQ(0, mock_detach(self->fd, dev));
	EXPECT_EQ(iova, read_fault(self->fd, dev, iova, p));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 16, iova, b, p));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, id2));
	for (pasid = 1; pasid <= 16; pasid++)
		ASSERT_EQ(0, mock_detach_pasid(self->fd, dev, pasid));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));
	munmap(a, p);
	munmap(b, p);
}

/*
 * A PASID moves between IOASIDs without being detached: the device reads
 * the old IOASID's data, then the new one's, and never faults in between
 * (the mock IOMMU has no window).  A move that cannot happen changes
 * nothing.
 */
TEST_F(mock, pasid_replace)
{
	const uint64_t p = self->page, iova = APERTURE_START;
	uint8_t *a = alloc_buf(p, 0, true), *b = alloc_buf(p, 0, true);
	struct ioasid_test cmd = {};
	uint32_t dev, id2, id3, small;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	fill(a, p, 11);
	fill(b, p, 12);
	ASSERT_EQ(0, mock_device_pasid(self->fd, 8, &dev));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id3));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, a, p, iova));
	ASSERT_EQ(0, map_fixed(self->fd, id2, b, p, iova));

	ASSERT_EQ(0, mock_attach_pasid(self->fd, dev, 9, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, a, p));
	EXPECT_EQ(1U, pasid_entries(self->fd, dev, 0));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, dev, 9, id2));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, b, p));
	/* The driver took the PASID off the old table's books. */
	EXPECT_EQ(1U, pasid_entries(self->fd, dev, 0));
	/* The IOASID it left is free, the one it joined is in use. */
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, id2));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->id));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &self->id));

	/* Into an IOASID whose table another kind of IOMMU uses: a new one. */
	cmd.mock_device.pgsize_bitmap = p;
	cmd.mock_device.pasid_bits = 8;
	ASSERT_EQ(0, do_mock_device(self->fd, &cmd, &small));
	ASSERT_EQ(0, mock_attach(self->fd, small, id3));
	ASSERT_EQ(0, map_fixed(self->fd, id3, a, p, iova));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, dev, 9, id3));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, a, p));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, dev, 9, id2));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, b, p));

	/* Refused: a mapping beyond the aperture stays, and so does the PASID. */
	ASSERT_EQ(0, map_fixed(self->fd, self->id, a, p,
			       IOASID_MOCK_APERTURE_LAST + 1));
	EXPECT_EQ(EADDRINUSE, mock_attach_pasid(self->fd, dev, 9, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, b, p));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->id));
	EXPECT_EQ(ENOENT, mock_attach_pasid(self->fd, dev, 9, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, b, p));

	ASSERT_EQ(0, mock_detach_pasid(self->fd, dev, 9));
	EXPECT_EQ(iova, pasid_read_fault(self->fd, dev, 9, iova, p));
	EXPECT_EQ(0U, pasid_entries(self->fd, dev, 0));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));
	munmap(a, p);
	munmap(b, p);
}

/*
 * An IOMMU driver that has not opted in to replacing a PASID's domain
 * (SMMUv3 in 6.12 ignores the old domain and would keep the PASID on its
 * books) is not asked to: the move fails with EBUSY and the PASID still
 * reads through the IOASID it was in, with one entry on the books.  It
 * moves once detached.
 */
TEST_F(mock, pasid_replace_refused_without_opt_in)
{
	const uint32_t keep = IOASID_MOCK_F_PASID_KEEPS_OLD;
	const uint64_t p = self->page, iova = APERTURE_START;
	uint8_t *a = alloc_buf(p, 0, true), *b = alloc_buf(p, 0, true);
	uint32_t dev, peer, id2, id3;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	fill(a, p, 21);
	fill(b, p, 22);
	ASSERT_EQ(0, mock_device_pasid(self->fd, 8, &dev));
	ASSERT_EQ(0, mock_device_pasid(self->fd, 8, &peer));
	ASSERT_EQ(0, mock_config(self->fd, dev, keep, 0));
	ASSERT_EQ(0, mock_config(self->fd, peer, keep, 0));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id3));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, a, p, iova));
	ASSERT_EQ(0, map_fixed(self->fd, id2, b, p, iova));
	ASSERT_EQ(0, map_fixed(self->fd, id3, b, p, iova));

	ASSERT_EQ(0, mock_attach_pasid(self->fd, dev, 9, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, a, p));
	EXPECT_EQ(1U, pasid_entries(self->fd, dev, keep));

	/* Into an IOASID without a table, then into one with a table. */
	EXPECT_EQ(EBUSY, mock_attach_pasid(self->fd, dev, 9, id2));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, a, p));
	EXPECT_EQ(1U, pasid_entries(self->fd, dev, keep));
	ASSERT_EQ(0, mock_attach(self->fd, peer, id3));
	EXPECT_EQ(EBUSY, mock_attach_pasid(self->fd, dev, 9, id3));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, a, p));
	EXPECT_EQ(1U, pasid_entries(self->fd, dev, keep));
	/* The IOASIDs it did not join are free. */
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->id));

	/* Detached first, it goes anywhere. */
	ASSERT_EQ(0, mock_detach_pasid(self->fd, dev, 9));
	EXPECT_EQ(0U, pasid_entries(self->fd, dev, keep));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, dev, 9, id3));
	EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, b, p));
	EXPECT_EQ(1U, pasid_entries(self->fd, dev, keep));
	ASSERT_EQ(0, mock_detach_pasid(self->fd, dev, 9));
	EXPECT_EQ(0U, pasid_entries(self->fd, dev, keep));
	munmap(a, p);
	munmap(b, p);
}

/*
 * A move whose new table is refused after the switch goes back to the old
 * table; when the IOMMU cannot switch back either, the PASID ends detached
 * and blocked, and says so with ENOLINK: it can be attached again, and
 * detaching it finds nothing.
 */
TEST_F(mock, pasid_move_back_fails)
{
	const uint64_t p = self->page, iova = APERTURE_START;
	uint8_t *a = alloc_buf(p, 0, true);
	uint32_t dev, id2;
	int round;

	ASSERT_NE(NULL, a);
	fill(a, p, 31);
	ASSERT_EQ(0, mock_device_pasid(self->fd, 8, &dev));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, a, p, iova));
	/* A fresh table first, refused for a mapping out of reach. */
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, id2, a, p,
			       IOASID_MOCK_APERTURE_LAST + 1));

	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, mock_attach_pasid(self->fd, dev, 9, self->id));
		EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, a, p));
		/* Without a failure the PASID goes back where it was. */
		EXPECT_EQ(EADDRINUSE, mock_attach_pasid(self->fd, dev, 9, id2));
		EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, a, p));
		EXPECT_EQ(1U, pasid_entries(self->fd, dev, 0));

		/* The switch to the new table works, the one back fails. */
		ASSERT_EQ(0, mock_config(self->fd, dev, 0, 2));
		EXPECT_EQ(ENOLINK, mock_attach_pasid(self->fd, dev, 9, id2));
		EXPECT_EQ(iova, pasid_read_fault(self->fd, dev, 9, iova, p));
		EXPECT_EQ(0U, pasid_entries(self->fd, dev, 0));
		if (round == 0) {
			/* Nothing is left to detach. */
			EXPECT_EQ(ENOENT, mock_detach_pasid(self->fd, dev, 9));
			continue;
		}
		/* Attaching it again attaches it, rather than nothing. */
		ASSERT_EQ(0, mock_attach_pasid(self->fd, dev, 9, self->id));
		EXPECT_TRUE(pasid_sees(self->fd, dev, 9, iova, a, p));
		EXPECT_EQ(1U, pasid_entries(self->fd, dev, 0));
		ASSERT_EQ(0, mock_detach_pasid(self->fd, dev, 9));
		EXPECT_EQ(ENOENT, mock_detach_pasid(self->fd, dev, 9));
	}
	EXPECT_EQ(0U, pasid_entries(self->fd, dev, 0));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->id));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &self->id));
	munmap(a, p);
}

/* The mock IOMMU's knobs refuse what they do not know. */
TEST_F(mock, mock_config_errors)
{
	struct ioasid_test cmd = {
		.op = IOASID_TEST_MOCK_CONFIG,
		.id = self->dev,
	};

	cmd.mock_config.flags = IOASID_MOCK_F_PASID_KEEPS_OLD << 1;
	EXPECT_EQ(EOPNOTSUPP, do_test(self->fd, &cmd));
	cmd.mock_config.flags = 0;
	cmd.mock_config.fail_set_pasid = 1U << 31;
	EXPECT_EQ(EOPNOTSUPP, do_test(self->fd, &cmd));
	cmd.mock_config.fail_set_pasid = 0;
	cmd.mock_config.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, do_test(self->fd, &cmd));
	cmd.mock_config.__reserved = 0;
	cmd.id = self->id;
	EXPECT_EQ(ENOENT, do_test(self->fd, &cmd));
	cmd.id = self->dev;
	cmd.mock_config.out_pasid_entries = 5;
	EXPECT_EQ(0, do_test(self->fd, &cmd));
	EXPECT_EQ(0U, cmd.mock_config.out_pasid_entries);
}

TEST_F(mock, pasid_errors)
{
	const uint64_t p = self->page, iova = APERTURE_START;
	struct ioasid_test cmd = {};
	uint8_t *buf = alloc_buf(p, 0xa5, true);
	uint32_t dev, narrow;

	ASSERT_NE(NULL, buf);
	fill(buf, p, 3);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, iova));
	/* The default device has no PASIDs. */
	EXPECT_EQ(EOPNOTSUPP, mock_attach_pasid(self->fd, self->dev, 1,
						self->id));
	ASSERT_EQ(0, mock_device_pasid(self->fd, 8, &dev));
	/* PASID 0 is the requester ID; 256 is beyond 8 bits. */
	EXPECT_EQ(EINVAL, mock_attach_pasid(self->fd, dev, 0, self->id));
	EXPECT_EQ(EINVAL, mock_attach_pasid(self->fd, dev, 256, self->id));
	EXPECT_EQ(0, mock_attach_pasid(self->fd, dev, 255, self->id));
	EXPECT_EQ(ENOENT, mock_attach_pasid(self->fd, dev, 7, self->id + 100));
	EXPECT_EQ(ENOENT, mock_detach_pasid(self->fd, dev, 7));
	cmd.op = IOASID_TEST_ATTACH_PASID;
	cmd.id = dev;
	cmd.ioasid = self->id;
	cmd.pasid.pasid = 7;
	cmd.pasid.__reserved = 1;
	EXPECT_EQ(EOPNOTSUPP, do_test(self->fd, &cmd));
	EXPECT_EQ(iova, pasid_read_fault(self->fd, dev, 7, iova, p));

	/* A mapping out of a device's reach refuses its PASIDs too. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.mock_device.aperture_start = APERTURE_START;
	cmd.mock_device.aperture_last = APERTURE_START + 8 * p - 1;
	cmd.mock_device.pasid_bits = 8;
	ASSERT_EQ(0, do_mock_device(self->fd, &cmd, &narrow));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, iova + 16 * p));
	EXPECT_EQ(EADDRINUSE, mock_attach_pasid(self->fd, narrow, 1,
						self->id));
	EXPECT_EQ(iova, pasid_read_fault(self->fd, narrow, 1, iova, p));
	EXPECT_EQ(ENOENT, mock_detach_pasid(self->fd, narrow, 1));
	ASSERT_EQ(0, mock_detach_pasid(self->fd, dev, 255));
	munmap(buf, p);
}

TEST_F(mock, close_with_pasids_attached)
{
	const uint64_t p = self->page, iova = APERTURE_START;
	int before = count_mock_devices();
	uint64_t kb = vm_kb("VmPin");
	uint8_t *buf = alloc_buf(4 * p, 0xa5, true);
	uint32_t id, dev, pasid;
	int fd = open("/dev/ioasid", O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, ioasid_alloc(fd, &id));
	ASSERT_EQ(0, mock_device_pasid(fd, 4, &dev));
	ASSERT_EQ(0, map_fixed(fd, id, buf, 4 * p, iova));
	for (pasid = 1; pasid < 16; pasid++)
		ASSERT_EQ(0, mock_attach_pasid(fd, dev, pasid, id));
	ASSERT_EQ(0, mock_attach(fd, dev, id));
	EXPECT_EQ(kb + 4 * p / 1024, vm_kb("VmPin"));

	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(kb, vm_kb("VmPin"));
	EXPECT_EQ(before, count_mock_devices());
	munmap(buf, 4 * p);
}

/*
 * The IOMMU translates the requester IDs of a group through one table:
 * its devices attach to one IOASID, which the group keeps until the last
 * of them detaches, and they move only alone.
 */
TEST_F(mock, group_shares_attachment)
{
	const uint64_t p = self->page, iova = APERTURE_START;
	uint8_t *buf = alloc_buf(p, 0x3c, true);
	int before = count_mock_devices();
	uint32_t b, id2;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, mock_device_in_group(self->fd, self->fd, self->dev, &b));
	EXPECT_EQ(before + 1, count_mock_devices());
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, iova));
	EXPECT_EQ(iova, read_fault(self->fd, self->dev, iova, p));
	EXPECT_EQ(iova, read_fault(self->fd, b, iova, p));

	/* One device attached: the whole group sees the IOASID. */
	ASSERT_EQ(0, mock_attach(self->fd, b, self->id));
	EXPECT_TRUE(dev_sees(self->fd, b, iova, buf, p));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, buf, p));
	EXPECT_EQ(EBUSY, mock_attach(self->fd, self->dev, id2));
	EXPECT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_EQ(EBUSY, mock_attach(self->fd, b, id2));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->id));

	/* The group stays attached until both have detached. */
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_TRUE(dev_sees(self->fd, b, iova, buf, p));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, buf, p));
	ASSERT_EQ(0, mock_detach(self->fd, b));
	EXPECT_EQ(iova, read_fault(self->fd, self->dev, iova, p));
	EXPECT_EQ(iova, read_fault(self->fd, b, iova, p));

	/* Alone, a device moves the group with it. */
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, id2));
	EXPECT_EQ(iova, read_fault(self->fd, b, iova, p));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	EXPECT_TRUE(dev_sees(self->fd, b, iova, buf, p));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));

	/* Unbinding the other device leaves the group's attachment alone. */
	ASSERT_EQ(0, mock_attach(self->fd, b, self->id));
	EXPECT_EQ(0, ioasid_destroy(self->fd, b));
	EXPECT_EQ(before, count_mock_devices());
	EXPECT_TRUE(dev_sees(self->fd, self->dev, iova, buf, p));
	ASSERT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_EQ(iova, read_fault(self->fd, self->dev, iova, p));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->id));
	munmap(buf, p);
}

/* A group bound to one fd cannot have devices bound to another. */
TEST_F(mock, group_owned_by_one_fd)
{
	int before = count_mock_devices(), fd, null_fd;
	uint32_t b, c;

	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null_fd);
	EXPECT_EQ(EBUSY, mock_device_in_group(fd, self->fd, self->dev, &c));
	EXPECT_EQ(before, count_mock_devices());

	EXPECT_EQ(EBADF, mock_device_in_group(fd, -1, self->dev, &c));
	EXPECT_EQ(EINVAL, mock_device_in_group(fd, null_fd, self->dev, &c));
	EXPECT_EQ(ENOENT, mock_device_in_group(fd, self->fd, self->id, &c));
	EXPECT_EQ(ENOENT, mock_device_in_group(fd, self->fd, 9999, &c));
	EXPECT_EQ(before, count_mock_devices());

	/* The group stays owned while any of its devices is bound. */
	ASSERT_EQ(0, mock_device_in_group(self->fd, self->fd, self->dev, &b));
	ASSERT_EQ(0, mock_attach(self->fd, b, self->id));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->dev));
	EXPECT_EQ(EBUSY, mock_device_in_group(fd, self->fd, b, &c));
	EXPECT_EQ(0, ioasid_destroy(self->fd, b));
	EXPECT_EQ(before - 1, count_mock_devices());
	close(null_fd);
	close(fd);
}

/* Closing an fd with attached devices of one group releases them all. */
TEST_F(mock, group_close_attached)
{
	int before = count_mock_devices(), fd;
	uint32_t id, a, b;

	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioasid_alloc(fd, &id));
	ASSERT_EQ(0, mock_device(fd, &a));
	ASSERT_EQ(0, mock_device_in_group(fd, fd, a, &b));
	ASSERT_EQ(0, mock_attach(fd, a, id));
	ASSERT_EQ(0, mock_attach(fd, b, id));
	EXPECT_EQ(before + 2, count_mock_devices());
	EXPECT_EQ(0, close(fd));
	EXPECT_EQ(before, count_mock_devices());
}

/* IOASID_DEVICE_INFO */

/* A mock device made as @cmd says; @dev_id gets its binding's id. */
static int mock_device_bound(int fd, struct ioasid_test *cmd, uint32_t *id,
			     uint32_t *dev_id)
{
	int ret = do_mock_device(fd, cmd, id);

	*dev_id = ret ? 0 : cmd->mock_device.out_dev_id;
	return ret;
}

/* Each flag of the device's IOMMU is reported as the mock was told. */
TEST_F(mock, device_info_reports_the_iommu)
{
	static const struct {
		uint32_t mock_flags;
		uint32_t pasid_bits;
		uint32_t want;
	} cases[] = {
		{ 0, 0, IOASID_DEVICE_DIRTY_TRACKING | IOASID_DEVICE_COHERENT },
		{ IOASID_MOCK_NO_DIRTY, 8, IOASID_DEVICE_COHERENT },
		{ IOASID_MOCK_ENFORCE_SNOOP, 20,
		  IOASID_DEVICE_DIRTY_TRACKING | IOASID_DEVICE_COHERENT |
		  IOASID_DEVICE_NO_SNOOP_REFUSED },
		{ IOASID_MOCK_INCOHERENT | IOASID_MOCK_NO_DIRTY, 1, 0 },
	};
	struct ioasid_device_info info;
	uint32_t id, dev_id, i;

	ASSERT_EQ(0, allow_incoherent(true));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ioasid_test cmd = {
			.mock_device.flags = cases[i].mock_flags,
			.mock_device.pasid_bits = cases[i].pasid_bits,
		};

		ASSERT_EQ(0, mock_device_bound(self->fd, &cmd, &id, &dev_id));
		ASSERT_NE(0, dev_id);
		EXPECT_NE(id, dev_id);
		memset(&info, 0xa5, sizeof(info));
		ASSERT_EQ(0, device_info(self->fd, dev_id, &info));
		EXPECT_EQ(IOASID_DEVICE_OWNED | cases[i].want, info.out_flags)
			TH_LOG("case %u", i);
		EXPECT_EQ(cases[i].pasid_bits ? 1U << cases[i].pasid_bits : 0,
			  info.out_max_pasids);
		EXPECT_EQ(0, info.out_ioasid);
		EXPECT_EQ(0, info.__reserved);
	}
	EXPECT_EQ(0, allow_incoherent(false));
}

/* Devices of one group say so; a device of its own group does not. */
TEST_F(mock, device_info_names_the_group)
{
	struct ioasid_device_info a, b, c;
	struct ioasid_test cmd = {};
	uint32_t id_a, id_b, id_c, dev_a, dev_b, dev_c;

	ASSERT_EQ(0, mock_device_bound(self->fd, &cmd, &id_a, &dev_a));
	cmd = (struct ioasid_test) {
		.mock_device.group_fd = self->fd,
		.mock_device.group_dev = id_a,
	};
	ASSERT_EQ(0, mock_device_bound(self->fd, &cmd, &id_b, &dev_b));
	cmd = (struct ioasid_test) {};
	ASSERT_EQ(0, mock_device_bound(self->fd, &cmd, &id_c, &dev_c));
	ASSERT_EQ(0, device_info(self->fd, dev_a, &a));
	ASSERT_EQ(0, device_info(self->fd, dev_b, &b));
	ASSERT_EQ(0, device_info(self->fd, dev_c, &c));
	EXPECT_EQ(a.out_iommu_group, b.out_iommu_group);
	EXPECT_NE(a.out_iommu_group, c.out_iommu_group);

	/* Only the device that asked for the group's IOASID is attached. */
	ASSERT_EQ(0, mock_attach(self->fd, id_a, self->id));
	ASSERT_EQ(0, device_info(self->fd, dev_a, &a));
	ASSERT_EQ(0, device_info(self->fd, dev_b, &b));
	EXPECT_EQ(IOASID_DEVICE_ATTACHED,
		  a.out_flags & IOASID_DEVICE_ATTACHED);
	EXPECT_EQ(self->id, a.out_ioasid);
	EXPECT_EQ(0, b.out_flags & IOASID_DEVICE_ATTACHED);
	EXPECT_EQ(0, b.out_ioasid);
}

/* The attachment is followed through a move and a detach. */
TEST_F(mock, device_info_follows_the_attachment)
{
	struct ioasid_device_info info;
	struct ioasid_test cmd = { .mock_device.pasid_bits = 4 };
	uint32_t id, dev_id, other;

	ASSERT_EQ(0, ioasid_alloc(self->fd, &other));
	ASSERT_EQ(0, mock_device_bound(self->fd, &cmd, &id, &dev_id));
	ASSERT_EQ(0, mock_attach(self->fd, id, self->id));
	ASSERT_EQ(0, device_info(self->fd, dev_id, &info));
	EXPECT_NE(0, info.out_flags & IOASID_DEVICE_ATTACHED);
	EXPECT_EQ(self->id, info.out_ioasid);

	ASSERT_EQ(0, mock_attach(self->fd, id, other));
	ASSERT_EQ(0, device_info(self->fd, dev_id, &info));
	EXPECT_EQ(other, info.out_ioasid);

	/* A PASID's attachment is not the requester ID's. */
	ASSERT_EQ(0, mock_detach(self->fd, id));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, id, 3, other));
	ASSERT_EQ(0, device_info(self->fd, dev_id, &info));
	EXPECT_EQ(0, info.out_flags & IOASID_DEVICE_ATTACHED);
	EXPECT_EQ(0, info.out_ioasid);
	EXPECT_EQ(16, info.out_max_pasids);
}

/*
 * A binding's id names nothing else, in no other fd, and nothing once
 * the device is unbound; bad fields are refused before the lookup.
 */
TEST_F(mock, device_info_errors)
{
	struct ioasid_device_info info;
	struct ioasid_test cmd = {};
	uint32_t id, dev_id;
	int fd;

	ASSERT_EQ(0, mock_device_bound(self->fd, &cmd, &id, &dev_id));
	ASSERT_EQ(0, device_info(self->fd, dev_id, &info));

	info = (struct ioasid_device_info) {
		.size = sizeof(info), .dev_id = dev_id, .flags = 1,
	};
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_DEVICE_INFO, &info));
	EXPECT_EQ(EOPNOTSUPP, errno);
	info = (struct ioasid_device_info) {
		.size = sizeof(info), .dev_id = dev_id, .__reserved = 1,
	};
	EXPECT_EQ(-1, ioctl(self->fd, IOASID_DEVICE_INFO, &info));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(0, info.out_flags);

	EXPECT_EQ(ENOENT, device_info(self->fd, 0, &info));
	EXPECT_EQ(ENOENT, device_info(self->fd, self->id, &info));
	EXPECT_EQ(ENOENT, device_info(self->fd, id, &info));

	/* Not an object: no lookup or destroy finds it. */
	EXPECT_EQ(ENOENT, ioasid_destroy(self->fd, dev_id));
	EXPECT_EQ(ENOENT, mock_attach(self->fd, id, dev_id));
	ASSERT_EQ(0, device_info(self->fd, dev_id, &info));

	fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(ENOENT, device_info(fd, dev_id, &info));
	close(fd);

	/* Unbound with its mock object: the id goes, and is free again. */
	EXPECT_EQ(0, ioasid_destroy(self->fd, id));
	EXPECT_EQ(ENOENT, device_info(self->fd, dev_id, &info));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id));
	EXPECT_EQ(ENOENT, device_info(self->fd, id, &info));
}

/* The floor: what any map and unmap must do, timed, leaving nothing */

/* Whether the fd and the process pin and charge what they did at @was. */
static bool pins_are(int fd, const struct pinned *was)
{
	struct pinned now;

	return !get_pinned(fd, &now) && !memcmp(&now, was, sizeof(now));
}

/*
 * A floor call maps and unmaps through every table of the IOASID, and
 * leaves no IOPTE, pin or charge behind, and the mappings around it as
 * they were.
 */
TEST_F(mock, floor_leaves_nothing)
{
	const uint64_t p = self->page, len = 1024 * p;
	const uint64_t at = IOASID_MOCK_APERTURE_START + SZ_2M;
	struct ioasid_test out;
	struct pinned was;
	uint8_t *mine, *buf;
	uint32_t small;
	struct iopte pte;

	mine = alloc_buf(4 * p, 0, true);
	buf = alloc_buf(len, 0, true);
	ASSERT_NE(NULL, mine);
	ASSERT_NE(NULL, buf);
	fill(mine, 4 * p, 0xf1002);
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, mock_device_small_pages(self->fd, p, &small));
	ASSERT_EQ(0, mock_attach(self->fd, small, self->id));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, mine, 4 * p,
			       IOASID_MOCK_APERTURE_START));
	ASSERT_EQ(0, get_pinned(self->fd, &was));

	ASSERT_EQ(0, floor_op(self->fd, self->id, at, buf, len, &out));
	EXPECT_LT(0ULL, out.floor.out_map_ns);
	EXPECT_LT(0ULL, out.floor.out_unmap_ns);
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, at, &pte));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, small, 0, at + len - p, &pte));
	EXPECT_TRUE(pins_are(self->fd, &was));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, IOASID_MOCK_APERTURE_START,
			     mine, 4 * p));
	EXPECT_TRUE(dev_sees(self->fd, small, IOASID_MOCK_APERTURE_START,
			     mine, 4 * p));
	/* The IOVAs are free again. */
	EXPECT_EQ(0, map_fixed(self->fd, self->id, buf, len, at));
	munmap(mine, 4 * p);
	munmap(buf, len);
}

/*
 * Bad calls fail with their errno, and one that fails half way, when the
 * second half of the memory is not there, undoes the first half.
 */
TEST_F(mock, floor_errors)
{
	const uint64_t p = self->page, len = 1024 * p;
	const uint64_t at = IOASID_MOCK_APERTURE_START + SZ_2M;
	struct pinned was;
	struct iopte pte;
	uint8_t *buf;

	buf = alloc_buf(len, 0, true);
	ASSERT_NE(NULL, buf);
	/* Nothing to map into before a device is attached */
	EXPECT_EQ(ENODEV, floor_op(self->fd, self->id, at, buf, p, NULL));
	ASSERT_EQ(0, mock_attach(self->fd, self->dev, self->id));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, buf, p, at));
	ASSERT_EQ(0, get_pinned(self->fd, &was));

	EXPECT_EQ(ENOENT, floor_op(self->fd, self->id + 100, at + p, buf, p,
				   NULL));
	EXPECT_EQ(EINVAL, floor_op(self->fd, self->id, at + p, buf, 0, NULL));
	EXPECT_EQ(EINVAL, floor_op(self->fd, self->id, at + p + 1, buf, p,
				   NULL));
	EXPECT_EQ(EINVAL, floor_op(self->fd, self->id, at + p, buf, p - 1,
				   NULL));
	EXPECT_EQ(EINVAL, floor_op(self->fd, self->id, at + p, buf + 1, p,
				   NULL));
	EXPECT_EQ(EOVERFLOW, floor_op(self->fd, self->id, -p, buf, 2 * p,
				      NULL));
	EXPECT_EQ(E2BIG, floor_op(self->fd, self->id, at, buf, SZ_1G + p,
				  NULL));
	EXPECT_EQ(EADDRINUSE, floor_op(self->fd, self->id, at - p, buf,
				       2 * p, NULL));
	EXPECT_EQ(EADDRNOTAVAIL, floor_op(self->fd, self->id, 0, buf, p,
					  NULL));

	/* The second half is gone: the first was pinned and mapped. */
	ASSERT_EQ(0, munmap(buf + len / 2, len / 2));
	EXPECT_EQ(EFAULT, floor_op(self->fd, self->id, at + p, buf, len,
				   NULL));
	EXPECT_EQ(ENOENT, read_iopte(self->fd, self->dev, 0, at + p, &pte));
	EXPECT_TRUE(pins_are(self->fd, &was));
	EXPECT_TRUE(dev_sees(self->fd, self->dev, at, buf, p));
	munmap(buf, len / 2);
}

TEST_HARNESS_MAIN
