// SPDX-License-Identifier: GPL-2.0-only
/*
 * SIOV-style PASID lending, on the mock IOMMU of CONFIG_DEV_IOASID_TEST.
 * A host driver that keeps a device and its requester ID may lend the
 * device's PASIDs to users through ioasid_bind_device_pasids(): such a
 * binding claims no DMA ownership, so the requester ID cannot be attached
 * and stays in the host's identity domain, and several /dev/ioasid fds
 * may hold a binding of the same device, each attaching PASIDs of its
 * own.  Neither bind takes a device that is in an IOMMU group but that no
 * IOMMU translates, as VFIO makes an mdev.
 *
 * The mock IOMMU stands in for a PASID-capable device because QEMU 7.2
 * emulates none.  IOASID_MOCK_HOST_OWNED creates a host-owned mock device
 * bound for its PASIDs, IOASID_MOCK_PASIDS_OF adds another binding of one,
 * and IOASID_TEST_BIND_UNTRANSLATED tries to bind an untranslated device.
 * Every test checks what a binding reaches: the bytes its DMA moves, the
 * IOPTEs behind its PASIDs, the errnos of what it may not do, and the pin
 * counters and mock devices left once its objects and fds are gone.
 */
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

#define NPAGES		4	/* pages of each buffer */
#define PASID_BITS	8
#define LAST_PASID	((1U << PASID_BITS) - 1)
#define IOVA		IOASID_MOCK_APERTURE_START
#define IOVA_RO		(IOASID_MOCK_APERTURE_START + SZ_1M)
#define HOST		IOASID_MOCK_HOST_OWNED
#define PASIDS_OF	IOASID_MOCK_PASIDS_OF

/* @dev writes the @len bytes of @data at @iova, tagged with @pasid. */
static int pasid_write(int fd, uint32_t dev, uint32_t pasid, uint64_t iova,
		       const void *data, uint64_t len)
{
	return do_dma(fd, dev, pasid, iova, (void *)data, len, 1, NULL);
}

/* The errno of looking up @iova through @pasid of @dev, or 0. */
static int iopte_err(int fd, uint32_t dev, uint32_t pasid, uint64_t iova)
{
	struct iopte pte;

	return read_iopte(fd, dev, pasid, iova, &pte);
}

/* Whether the process's pin counters, read through @fd, are @want's. */
static bool same_process_pins(int fd, const struct pinned *want)
{
	struct pinned p;

	return !get_pinned(fd, &p) && p.user_locked == want->user_locked &&
	       p.mm_locked == want->mm_locked &&
	       p.mm_pinned == want->mm_pinned;
}

/*
 * One fd.  IOASID id maps buf, NPAGES pages of distinct words, at IOVA;
 * dev is a host-owned device with PASID_BITS bits of PASIDs, bound to
 * the fd for them and attached to nothing.  devices counts the mock
 * devices before dev was created.
 */
FIXTURE(siov) {
	int fd;
	uint32_t id;
	uint32_t dev;
	uint64_t page;
	uint64_t len;
	uint8_t *buf;
	int devices;
};

FIXTURE_SETUP(siov)
{
	const char *why;

	self->fd = open_test_ioasid(&why);
	if (self->fd < 0)
		SKIP(return, "%s", why);
	self->page = sysconf(_SC_PAGESIZE);
	self->len = NPAGES * self->page;
	self->buf = alloc_buf(self->len, 0, true);
	ASSERT_NE(NULL, self->buf);
	fill(self->buf, self->len, 0x510f0000);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &self->id));
	ASSERT_EQ(0, map_fixed(self->fd, self->id, self->buf, self->len,
			       IOVA));
	self->devices = count_mock_devices();
	ASSERT_LE(0, self->devices);
	ASSERT_EQ(0, mock_device_host_owned(self->fd, PASID_BITS,
					    &self->dev));
	ASSERT_EQ(self->devices + 1, count_mock_devices());
}

FIXTURE_TEARDOWN(siov)
{
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * A host-owned device needs PASIDs to lend; PASIDS_OF names a binding to
 * copy and means nothing without HOST_OWNED.  Each host-owned device is
 * one more device, which goes with its only binding.
 */
TEST_F(siov, create)
{
	struct ioasid_test cmd = {};
	uint32_t narrow, wide, none;

	cmd.mock_device.flags = HOST;
	EXPECT_EQ(EOPNOTSUPP, do_mock_device(self->fd, &cmd, &none));
	memset(&cmd, 0, sizeof(cmd));
	cmd.mock_device.flags = PASIDS_OF;
	cmd.mock_device.pasid_bits = PASID_BITS;
	cmd.mock_device.group_fd = self->fd;
	cmd.mock_device.group_dev = self->dev;
	EXPECT_EQ(EINVAL, do_mock_device(self->fd, &cmd, &none));
	EXPECT_EQ(self->devices + 1, count_mock_devices());

	ASSERT_EQ(0, mock_device_host_owned(self->fd, 1, &narrow));
	ASSERT_EQ(0, mock_device_host_owned(self->fd, IOASID_MOCK_PASID_BITS,
					    &wide));
	EXPECT_NE(self->dev, narrow);
	EXPECT_NE(narrow, wide);
	EXPECT_EQ(self->devices + 3, count_mock_devices());
	/* One bit of PASIDs: PASID 1 alone. */
	EXPECT_EQ(0, mock_attach_pasid(self->fd, narrow, 1, self->id));
	EXPECT_EQ(EINVAL, mock_attach_pasid(self->fd, narrow, 2, self->id));
	EXPECT_EQ(0, mock_attach_pasid(self->fd, wide,
				       (1U << IOASID_MOCK_PASID_BITS) - 1,
				       self->id));
	EXPECT_EQ(0, mock_detach_pasid(self->fd, narrow, 1));
	EXPECT_EQ(0, mock_detach_pasid(self->fd, wide,
				       (1U << IOASID_MOCK_PASID_BITS) - 1));

	ASSERT_EQ(0, ioasid_destroy(self->fd, narrow));
	ASSERT_EQ(0, ioasid_destroy(self->fd, wide));
	EXPECT_EQ(self->devices + 1, count_mock_devices());
	EXPECT_EQ(ENOENT, ioasid_destroy(self->fd, wide));
	ASSERT_EQ(0, ioasid_destroy(self->fd, self->dev));
	EXPECT_EQ(self->devices, count_mock_devices());
}

/*
 * The host keeps the requester ID: attaching it is refused and leaves
 * the IOASID as it was, there is nothing to detach, and it reaches no
 * IOASID table.
 */
TEST_F(siov, rid_attach_refused)
{
	struct ioasid_iova_range before[8] = {};
	uint32_t n = 8, id2;

	ASSERT_EQ(0, get_ranges(self->fd, self->id, before, &n, NULL));
	ASSERT_GE(8U, n);
	EXPECT_EQ(EPERM, mock_attach(self->fd, self->dev, self->id));
	EXPECT_TRUE(ranges_are(self->fd, self->id, before, n));
	/* Nothing holds the IOASID: it can go. */
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	EXPECT_EQ(EPERM, mock_attach(self->fd, self->dev, id2));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));

	EXPECT_EQ(0, mock_detach(self->fd, self->dev));
	EXPECT_EQ(IOVA, pasid_read_fault(self->fd, self->dev, 0, IOVA,
					 self->page));
	EXPECT_EQ(ENODEV, iopte_err(self->fd, self->dev, 0, IOVA));
}

/* A PASID of the device attached changes nothing for its requester ID. */
TEST_F(siov, rid_stays_with_host)
{
	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 1, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 1, IOVA, self->buf,
			       self->len));
	EXPECT_EQ(IOVA, pasid_read_fault(self->fd, self->dev, 0, IOVA,
					 self->page));
	EXPECT_EQ(ENODEV, iopte_err(self->fd, self->dev, 0, IOVA));
	EXPECT_EQ(EPERM, mock_attach(self->fd, self->dev, self->id));
	EXPECT_EQ(0, mock_detach(self->fd, self->dev));
	/* Neither the refusal nor the detach touched the PASID. */
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 1, IOVA, self->buf,
			       self->len));
	ASSERT_EQ(0, mock_detach_pasid(self->fd, self->dev, 1));
}

/*
 * An attached PASID reads and writes the mapping at its IOVAs, through
 * IOPTEs on the same pages as an owned device of the IOASID sees, with
 * the permissions of each mapping.
 */
TEST_F(siov, pasid_dma)
{
	const uint64_t p = self->page, len = self->len;
	uint8_t *ro = alloc_buf(p, 0, true), *data = malloc(len);
	uint8_t *ref = malloc(len);
	struct ioasid_map cmd = {
		.flags = IOASID_MAP_READ | IOASID_MAP_FIXED_IOVA,
		.ioasid = self->id,
		.user_va = (uintptr_t)ro,
		.length = p,
		.iova = IOVA_RO,
	};
	const uint32_t pasids[] = { 1, 5, LAST_PASID };
	struct iopte pte, owned;
	uint32_t dev, i, pasid;

	ASSERT_NE(NULL, ro);
	ASSERT_NE(NULL, data);
	ASSERT_NE(NULL, ref);
	fill(ro, p, 0x0e0e0000);
	ASSERT_EQ(0, do_map(self->fd, &cmd));
	ASSERT_EQ(0, mock_device(self->fd, &dev));
	ASSERT_EQ(0, mock_attach(self->fd, dev, self->id));
	EXPECT_EQ(IOVA, pasid_read_fault(self->fd, self->dev, 5, IOVA, p));
	EXPECT_EQ(ENODEV, iopte_err(self->fd, self->dev, 5, IOVA));

	for (i = 0; i < ARRAY_SIZE(pasids); i++) {
		pasid = pasids[i];
		ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, pasid,
					       self->id));
		EXPECT_TRUE(pasid_sees(self->fd, self->dev, pasid, IOVA,
				       self->buf, len));
		EXPECT_TRUE(pasid_sees(self->fd, self->dev, pasid, IOVA_RO,
				       ro, p));

		/* The PASID's writes land in the caller's pages. */
		fill(data, len, 0xd0d00000 + pasid);
		memcpy(ref, ro, p);
		EXPECT_EQ(0, pasid_write(self->fd, self->dev, pasid, IOVA,
					 data, len));
		EXPECT_EQ(0, memcmp(self->buf, data, len));
		EXPECT_EQ(EIO, pasid_write(self->fd, self->dev, pasid,
					   IOVA_RO, data, p));
		EXPECT_EQ(0, memcmp(ro, ref, p));

		ASSERT_EQ(0, read_iopte(self->fd, self->dev, pasid, IOVA + p,
					&pte));
		ASSERT_EQ(0, read_iopte(self->fd, dev, 0, IOVA + p, &owned));
		EXPECT_EQ(owned.pfn, pte.pfn);
		EXPECT_EQ(p, pte.pgsize);
		EXPECT_EQ(IOPTE_RW | IOPTE_CACHE, pte.prot);
		ASSERT_EQ(0, read_iopte(self->fd, self->dev, pasid, IOVA_RO,
					&pte));
		EXPECT_EQ(IOPTE_READ | IOPTE_CACHE, pte.prot);
		EXPECT_EQ(ENOENT, iopte_err(self->fd, self->dev, pasid,
					    IOVA + len));
	}
	/* Only the PASIDs attached: their neighbours stay blocked. */
	EXPECT_EQ(IOVA, pasid_read_fault(self->fd, self->dev, 2, IOVA, p));
	EXPECT_EQ(IOVA, pasid_read_fault(self->fd, self->dev, LAST_PASID - 1,
					 IOVA, p));
	for (i = 0; i < ARRAY_SIZE(pasids); i++)
		ASSERT_EQ(0, mock_detach_pasid(self->fd, self->dev,
					       pasids[i]));
	ASSERT_EQ(0, mock_detach(self->fd, dev));
	free(data);
	free(ref);
	munmap(ro, p);
}

/*
 * PASID 0 is the requester ID and 1 << PASID_BITS is beyond the device;
 * a detached PASID is blocked and cannot be detached again.
 */
TEST_F(siov, pasid_errors)
{
	const uint64_t p = self->page;

	EXPECT_EQ(EINVAL, mock_attach_pasid(self->fd, self->dev, 0, self->id));
	EXPECT_EQ(EINVAL, mock_attach_pasid(self->fd, self->dev,
					    LAST_PASID + 1, self->id));
	EXPECT_EQ(ENOENT, mock_detach_pasid(self->fd, self->dev, 3));
	EXPECT_EQ(ENOENT, mock_attach_pasid(self->fd, self->dev, 3,
					    self->id + 100));
	EXPECT_EQ(IOVA, pasid_read_fault(self->fd, self->dev, 3, IOVA, p));

	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 3, self->id));
	/* Attaching it again where it is changes nothing. */
	EXPECT_EQ(0, mock_attach_pasid(self->fd, self->dev, 3, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 3, IOVA, self->buf, p));
	ASSERT_EQ(0, mock_detach_pasid(self->fd, self->dev, 3));
	EXPECT_EQ(IOVA, pasid_read_fault(self->fd, self->dev, 3, IOVA, p));
	EXPECT_EQ(ENODEV, iopte_err(self->fd, self->dev, 3, IOVA));
	EXPECT_EQ(ENOENT, mock_detach_pasid(self->fd, self->dev, 3));
}

/*
 * An attached PASID moves between IOASIDs as one of an owned device
 * does: with the mock IOMMU's defaults, straight across.
 */
TEST_F(siov, pasid_move)
{
	const uint64_t p = self->page;
	uint8_t *other = alloc_buf(p, 0, true);
	uint32_t id2;

	ASSERT_NE(NULL, other);
	fill(other, p, 0x3b3b0000);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, id2, other, p, IOVA));

	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 7, self->id));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 7, id2));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 7, IOVA, other, p));
	/* The IOASID it left is free, the one it joined is in use. */
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, id2));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 7, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 7, IOVA, self->buf, p));
	ASSERT_EQ(0, mock_detach_pasid(self->fd, self->dev, 7));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));
	munmap(other, p);
}

/*
 * For an IOMMU driver that has not opted in to replacing a PASID's
 * domain, the move is refused with EBUSY and the PASID stays where it
 * was; detached first, it goes anywhere.
 */
TEST_F(siov, pasid_move_refused_without_opt_in)
{
	const uint64_t p = self->page;
	uint8_t *other = alloc_buf(p, 0, true);
	struct ioasid_test cfg = {
		.op = IOASID_TEST_MOCK_CONFIG,
		.id = self->dev,
		.mock_config.flags = IOASID_MOCK_F_PASID_KEEPS_OLD,
	};
	uint32_t id2;

	ASSERT_NE(NULL, other);
	fill(other, p, 0x3c3c0000);
	/* Before any table is made for the device. */
	ASSERT_EQ(0, do_test(self->fd, &cfg));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, id2, other, p, IOVA));

	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 7, self->id));
	EXPECT_EQ(EBUSY, mock_attach_pasid(self->fd, self->dev, 7, id2));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 7, IOVA, self->buf, p));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->id));
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, id2, other, p, IOVA));

	ASSERT_EQ(0, mock_detach_pasid(self->fd, self->dev, 7));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 7, id2));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 7, IOVA, other, p));
	ASSERT_EQ(0, mock_detach_pasid(self->fd, self->dev, 7));
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));
	munmap(other, p);
}

/* The IOASID a PASID is attached to stays until the PASID leaves. */
TEST_F(siov, destroy_ioasid_in_use)
{
	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 1, self->id));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->fd, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 1, IOVA, self->buf,
			       self->len));
	ASSERT_EQ(0, mock_detach_pasid(self->fd, self->dev, 1));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->id));
}

/* Unmapping what a PASID reaches takes it from the PASID's table. */
TEST_F(siov, unmap_blocks_pasid)
{
	const uint64_t p = self->page;
	uint8_t *more = alloc_buf(p, 0x3c, true);
	uint64_t out;

	/* A second mapping right after the fixture's, unmapped on its own. */
	ASSERT_NE(NULL, more);
	ASSERT_EQ(0, map_fixed(self->fd, self->id, more, p, IOVA + self->len));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 1, self->id));
	ASSERT_TRUE(pasid_sees(self->fd, self->dev, 1, IOVA, self->buf,
			       self->len));
	ASSERT_TRUE(pasid_sees(self->fd, self->dev, 1, IOVA + self->len, more,
			       p));
	ASSERT_EQ(0, unmap_range(self->fd, self->id, IOVA + self->len, p,
				 &out));
	EXPECT_EQ(p, out);
	EXPECT_EQ(IOVA + self->len, pasid_read_fault(self->fd, self->dev, 1,
						     IOVA + self->len, p));
	EXPECT_EQ(ENOENT, iopte_err(self->fd, self->dev, 1, IOVA + self->len));
	/* The other mapping is still there, up to where the unmapped began. */
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 1, IOVA, self->buf,
			       self->len));
	EXPECT_EQ(IOVA + self->len, pasid_read_fault(self->fd, self->dev, 1, IOVA,
						     self->len + p));
	ASSERT_EQ(0, unmap_all(self->fd, self->id, &out));
	EXPECT_EQ(self->len, out);
	EXPECT_EQ(IOVA, pasid_read_fault(self->fd, self->dev, 1, IOVA, p));
	EXPECT_EQ(0ULL, fd_pages(self->fd));
	ASSERT_EQ(0, mock_detach_pasid(self->fd, self->dev, 1));
	munmap(more, p);
}

/*
 * PASIDS_OF names a host-owned device of an fd: a device that is not
 * host-owned, an fd that is not open or an id that names nothing are
 * refused, and nothing is added.
 */
TEST_F(siov, pasids_of_errors)
{
	uint32_t owned, out, gone;

	ASSERT_EQ(0, mock_device(self->fd, &owned));
	EXPECT_EQ(EINVAL, mock_device_pasids_of(self->fd, self->fd, owned,
						&out));
	EXPECT_EQ(EBADF, mock_device_pasids_of(self->fd, -1, self->dev,
					       &out));
	EXPECT_EQ(ENOENT, mock_device_pasids_of(self->fd, self->fd, 1000,
						&out));
	ASSERT_EQ(0, mock_device_host_owned(self->fd, PASID_BITS, &gone));
	ASSERT_EQ(0, ioasid_destroy(self->fd, gone));
	EXPECT_EQ(ENOENT, mock_device_pasids_of(self->fd, self->fd, gone,
						&out));
	EXPECT_EQ(0U, out);
	EXPECT_EQ(self->devices + 2, count_mock_devices());
	ASSERT_EQ(0, ioasid_destroy(self->fd, owned));
}

/*
 * A second binding of the device in the same fd is a new object, not a
 * new device, and has PASIDs of its own: what one attached the other
 * can neither reach nor take.  The device stays until its last binding
 * goes.
 */
TEST_F(siov, second_binding_same_fd)
{
	const uint64_t p = self->page;
	uint8_t *other = alloc_buf(p, 0, true);
	uint32_t twin, id2;

	ASSERT_NE(NULL, other);
	fill(other, p, 0x7a7a0000);
	ASSERT_EQ(0, ioasid_alloc(self->fd, &id2));
	ASSERT_EQ(0, map_fixed(self->fd, id2, other, p, IOVA));
	ASSERT_EQ(0, mock_device_pasids_of(self->fd, self->fd, self->dev,
					   &twin));
	EXPECT_NE(self->dev, twin);
	EXPECT_NE(self->id, twin);
	EXPECT_NE(id2, twin);
	EXPECT_EQ(self->devices + 1, count_mock_devices());
	EXPECT_EQ(EPERM, mock_attach(self->fd, twin, id2));

	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 1, self->id));
	EXPECT_EQ(EBUSY, mock_attach_pasid(self->fd, twin, 1, id2));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, twin, 2, id2));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 1, IOVA, self->buf, p));
	EXPECT_TRUE(pasid_sees(self->fd, twin, 2, IOVA, other, p));
	EXPECT_EQ(IOVA, pasid_read_fault(self->fd, twin, 1, IOVA, p));
	EXPECT_EQ(IOVA, pasid_read_fault(self->fd, self->dev, 2, IOVA, p));
	EXPECT_EQ(ENOENT, mock_detach_pasid(self->fd, twin, 1));

	/* The binding that created the device goes; the device stays. */
	ASSERT_EQ(0, ioasid_destroy(self->fd, self->dev));
	EXPECT_EQ(self->devices + 1, count_mock_devices());
	EXPECT_TRUE(pasid_sees(self->fd, twin, 2, IOVA, other, p));
	EXPECT_EQ(IOVA, pasid_read_fault(self->fd, twin, 1, IOVA, p));
	/* It took its PASID and its hold on the IOASID with it. */
	ASSERT_EQ(0, mock_attach_pasid(self->fd, twin, 1, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, twin, 1, IOVA, self->buf, p));
	ASSERT_EQ(0, mock_detach_pasid(self->fd, twin, 1));
	EXPECT_EQ(0, ioasid_destroy(self->fd, self->id));

	ASSERT_EQ(0, ioasid_destroy(self->fd, twin));
	EXPECT_EQ(self->devices, count_mock_devices());
	/* Nor does the second binding's PASID hold its IOASID any more. */
	EXPECT_EQ(0, ioasid_destroy(self->fd, id2));
	munmap(other, p);
}

/*
 * The PASID bind refuses a device that is in an IOMMU group but that no
 * IOMMU translates, as the whole-device bind does (ioasid_mock's
 * untranslated_device_refused).  The op knows no flag but HOST_OWNED.
 */
TEST_F(siov, bind_untranslated)
{
	unsigned int bit;

	EXPECT_EQ(ENODEV, bind_untranslated(self->fd, HOST));
	for (bit = 0; bit < 32; bit++) {
		if (1U << bit == HOST)
			continue;
		EXPECT_EQ(EOPNOTSUPP, bind_untranslated(self->fd, 1U << bit))
			TH_LOG("flag %#x", 1U << bit);
	}
	EXPECT_EQ(EOPNOTSUPP, bind_untranslated(self->fd, HOST | PASIDS_OF));
	EXPECT_EQ(self->devices + 1, count_mock_devices());
	/* The fd is as it was. */
	EXPECT_EQ(IOVA, pasid_read_fault(self->fd, self->dev, 0, IOVA,
					 self->page));
	ASSERT_EQ(0, mock_attach_pasid(self->fd, self->dev, 1, self->id));
	EXPECT_TRUE(pasid_sees(self->fd, self->dev, 1, IOVA, self->buf,
			       self->len));
	ASSERT_EQ(0, mock_detach_pasid(self->fd, self->dev, 1));
}

/*
 * Two fds lend PASIDs of one host-owned device.  fd[0] created it as
 * dev[0] and attached PASID 1 to its IOASID id[0], which maps buf[0] at
 * IOVA; fd[1] holds binding dev[1] of the same device, through
 * PASIDS_OF, with PASID 2 attached to id[1], which maps buf[1] at the
 * same IOVA.  probe is a third fd, to read the process's pin counters
 * with either fd closed: base holds them before any mapping, both with
 * the two mappings made.
 */
struct lend {
	int fd[2];
	int probe;
	uint32_t id[2];
	uint32_t dev[2];
	uint64_t page;
	uint64_t len;
	uint8_t *buf[2];
	int devices;
	struct pinned base;
	struct pinned both;
};

FIXTURE(lend) {
	struct lend l;
};

FIXTURE_SETUP(lend)
{
	struct lend *l = &self->l;
	const char *why;
	int i;

	l->fd[0] = -1;
	l->fd[1] = -1;
	l->probe = open_test_ioasid(&why);
	if (l->probe < 0)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, get_pinned(l->probe, &l->base));
	l->devices = count_mock_devices();
	ASSERT_LE(0, l->devices);
	l->page = sysconf(_SC_PAGESIZE);
	l->len = NPAGES * l->page;
	for (i = 0; i < 2; i++) {
		l->fd[i] = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, l->fd[i]);
		l->buf[i] = alloc_buf(l->len, 0, true);
		ASSERT_NE(NULL, l->buf[i]);
		fill(l->buf[i], l->len, 0x1e0d0000 + (i << 12));
		ASSERT_EQ(0, ioasid_alloc(l->fd[i], &l->id[i]));
		ASSERT_EQ(0, map_fixed(l->fd[i], l->id[i], l->buf[i],
				       l->len, IOVA));
	}
	ASSERT_EQ(0, get_pinned(l->probe, &l->both));
	ASSERT_EQ(0, mock_device_host_owned(l->fd[0], PASID_BITS,
					    &l->dev[0]));
	ASSERT_EQ(0, mock_device_pasids_of(l->fd[1], l->fd[0],
					   l->dev[0], &l->dev[1]));
	ASSERT_EQ(l->devices + 1, count_mock_devices());
	ASSERT_EQ(0, mock_attach_pasid(l->fd[0], l->dev[0], 1,
				       l->id[0]));
	ASSERT_EQ(0, mock_attach_pasid(l->fd[1], l->dev[1], 2,
				       l->id[1]));
}

FIXTURE_TEARDOWN(lend)
{
	struct lend *l = &self->l;
	int i;

	for (i = 0; i < 2; i++)
		if (l->fd[i] >= 0)
			close(l->fd[i]);
	if (l->probe >= 0)
		close(l->probe);
}

/* Whether binding @i reads its own buffer through its own PASID. */
static bool lend_sees_own(const struct lend *l, int i)
{
	return pasid_sees(l->fd[i], l->dev[i], i + 1, IOVA, l->buf[i],
			  l->len);
}

/*
 * The counters of the process with binding @i's fd alone open: each fd
 * mapped as many pages of the same kind, and charged half of what both
 * did.
 */
static void lend_one_left(const struct lend *l, struct pinned *want)
{
	want->user_locked = l->base.user_locked +
			    (l->both.user_locked - l->base.user_locked) / 2;
	want->mm_locked = l->base.mm_locked +
			  (l->both.mm_locked - l->base.mm_locked) / 2;
	want->mm_pinned = l->base.mm_pinned +
			  (l->both.mm_pinned - l->base.mm_pinned) / 2;
}

/*
 * Each binding reaches its own IOASID through the PASID it attached and
 * nothing through the other's; a PASID one binding holds, the other
 * cannot take.
 */
TEST_F(lend, each_binding_own_pasids)
{
	struct lend *l = &self->l;
	const uint64_t p = l->page, len = l->len;
	uint8_t *ref = malloc(len), *data = malloc(len);
	struct iopte pte[2];
	int i;

	ASSERT_NE(NULL, ref);
	ASSERT_NE(NULL, data);
	EXPECT_TRUE(lend_sees_own(l, 0));
	EXPECT_TRUE(lend_sees_own(l, 1));
	EXPECT_EQ(IOVA, pasid_read_fault(l->fd[1], l->dev[1], 1, IOVA, p));
	EXPECT_EQ(IOVA, pasid_read_fault(l->fd[0], l->dev[0], 2, IOVA, p));
	ASSERT_EQ(0, read_iopte(l->fd[0], l->dev[0], 1, IOVA, &pte[0]));
	ASSERT_EQ(0, read_iopte(l->fd[1], l->dev[1], 2, IOVA, &pte[1]));
	EXPECT_NE(pte[0].pfn, pte[1].pfn);

	/* Refused by the IOMMU core: the PASID is fd[0]'s. */
	EXPECT_EQ(EBUSY, mock_attach_pasid(l->fd[1], l->dev[1], 1,
					   l->id[1]));
	EXPECT_TRUE(lend_sees_own(l, 0));
	EXPECT_EQ(IOVA, pasid_read_fault(l->fd[1], l->dev[1], 1, IOVA, p));
	EXPECT_EQ(ENOENT, mock_detach_pasid(l->fd[1], l->dev[1], 1));
	EXPECT_TRUE(lend_sees_own(l, 0));
	EXPECT_EQ(EPERM, mock_attach(l->fd[1], l->dev[1], l->id[1]));

	/* What one writes does not show in the other's buffer. */
	for (i = 0; i < 2; i++) {
		memcpy(ref, l->buf[!i], len);
		fill(data, len, 0xa0a00000 + (i << 12));
		EXPECT_EQ(0, pasid_write(l->fd[i], l->dev[i], i + 1,
					 IOVA, data, len));
		EXPECT_EQ(0, memcmp(l->buf[i], data, len));
		EXPECT_EQ(0, memcmp(l->buf[!i], ref, len));
		EXPECT_EQ(EIO, pasid_write(l->fd[i], l->dev[i], 2 - i,
					   IOVA, data, len));
		EXPECT_EQ(0, memcmp(l->buf[!i], ref, len));
	}
	free(ref);
	free(data);
}

/*
 * Closing the fd that created the device leaves it to the other binding,
 * which keeps its PASID; closing that one too removes the device and
 * unpins everything.
 */
TEST_F(lend, close_creator_first)
{
	struct lend *l = &self->l;
	struct pinned one;

	lend_one_left(l, &one);
	ASSERT_EQ(0, close(l->fd[0]));
	l->fd[0] = -1;
	EXPECT_EQ(l->devices + 1, count_mock_devices());
	EXPECT_TRUE(lend_sees_own(l, 1));
	EXPECT_EQ(NPAGES, fd_pages(l->fd[1]));
	EXPECT_TRUE(same_process_pins(l->probe, &one));
	/* PASID 1 is free now, for the binding left. */
	ASSERT_EQ(0, mock_attach_pasid(l->fd[1], l->dev[1], 1,
				       l->id[1]));
	EXPECT_TRUE(pasid_sees(l->fd[1], l->dev[1], 1, IOVA,
			       l->buf[1], l->len));

	ASSERT_EQ(0, close(l->fd[1]));
	l->fd[1] = -1;
	EXPECT_EQ(l->devices, count_mock_devices());
	EXPECT_TRUE(same_process_pins(l->probe, &l->base));
	EXPECT_EQ(0ULL, fd_pages(l->probe));
}

/* The reverse order: the creator keeps the device and its PASID. */
TEST_F(lend, close_borrower_first)
{
	struct lend *l = &self->l;
	struct pinned one;

	lend_one_left(l, &one);
	ASSERT_EQ(0, close(l->fd[1]));
	l->fd[1] = -1;
	EXPECT_EQ(l->devices + 1, count_mock_devices());
	EXPECT_TRUE(lend_sees_own(l, 0));
	EXPECT_EQ(NPAGES, fd_pages(l->fd[0]));
	EXPECT_TRUE(same_process_pins(l->probe, &one));
	ASSERT_EQ(0, mock_attach_pasid(l->fd[0], l->dev[0], 2,
				       l->id[0]));
	EXPECT_TRUE(pasid_sees(l->fd[0], l->dev[0], 2, IOVA,
			       l->buf[0], l->len));

	ASSERT_EQ(0, close(l->fd[0]));
	l->fd[0] = -1;
	EXPECT_EQ(l->devices, count_mock_devices());
	EXPECT_TRUE(same_process_pins(l->probe, &l->base));
}

/*
 * Destroying a binding with a PASID attached detaches it: the IOASID is
 * free again, the PASID is free for the other binding, and the other
 * binding's DMA goes on.
 */
TEST_F(lend, destroy_binding_attached)
{
	struct lend *l = &self->l;

	EXPECT_EQ(EBUSY, ioasid_destroy(l->fd[1], l->id[1]));
	ASSERT_EQ(0, ioasid_destroy(l->fd[1], l->dev[1]));
	EXPECT_EQ(l->devices + 1, count_mock_devices());
	EXPECT_TRUE(lend_sees_own(l, 0));
	EXPECT_EQ(ENOENT, mock_attach_pasid(l->fd[1], l->dev[1], 2,
					    l->id[1]));
	ASSERT_EQ(0, mock_attach_pasid(l->fd[0], l->dev[0], 2,
				       l->id[0]));
	EXPECT_TRUE(pasid_sees(l->fd[0], l->dev[0], 2, IOVA,
			       l->buf[0], l->len));
	EXPECT_EQ(0, ioasid_destroy(l->fd[1], l->id[1]));
	EXPECT_EQ(0ULL, fd_pages(l->fd[1]));
	EXPECT_EQ(NPAGES, fd_pages(l->fd[0]));

	/* The creator's binding is the last: with it goes the device. */
	ASSERT_EQ(0, ioasid_destroy(l->fd[0], l->dev[0]));
	EXPECT_EQ(l->devices, count_mock_devices());
	EXPECT_EQ(0, ioasid_destroy(l->fd[0], l->id[0]));
	EXPECT_TRUE(same_process_pins(l->probe, &l->base));
}

/* Neither IOASID a PASID is attached to can be destroyed. */
TEST_F(lend, destroy_ioasid_in_use)
{
	struct lend *l = &self->l;

	EXPECT_EQ(EBUSY, ioasid_destroy(l->fd[0], l->id[0]));
	EXPECT_EQ(EBUSY, ioasid_destroy(l->fd[1], l->id[1]));
	EXPECT_TRUE(lend_sees_own(l, 0));
	EXPECT_TRUE(lend_sees_own(l, 1));
	ASSERT_EQ(0, mock_detach_pasid(l->fd[1], l->dev[1], 2));
	EXPECT_EQ(0, ioasid_destroy(l->fd[1], l->id[1]));
	EXPECT_EQ(EBUSY, ioasid_destroy(l->fd[0], l->id[0]));
	EXPECT_TRUE(lend_sees_own(l, 0));
}

/* Unmapping one binding's mapping blocks its PASID, not the other's. */
TEST_F(lend, unmap_blocks_one)
{
	struct lend *l = &self->l;
	uint64_t out;

	ASSERT_EQ(0, unmap_all(l->fd[1], l->id[1], &out));
	EXPECT_EQ(l->len, out);
	EXPECT_EQ(IOVA, pasid_read_fault(l->fd[1], l->dev[1], 2, IOVA,
					 l->page));
	EXPECT_EQ(ENOENT, iopte_err(l->fd[1], l->dev[1], 2, IOVA));
	EXPECT_TRUE(lend_sees_own(l, 0));
	EXPECT_EQ(0ULL, fd_pages(l->fd[1]));
	EXPECT_EQ(NPAGES, fd_pages(l->fd[0]));
}

TEST_HARNESS_MAIN
