// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: the iommufd-mock path's attach and detach, and the mock
 * devices the devices workload adds.  The mock comparison sets our mock
 * IOMMU (IOASID_TEST) against iommufd's, so that neither side pays for
 * an emulated IOMMU.  iommufd's mock domain exists only in its test-only
 * IOMMU_TEST_CMD, whose definitions are in
 * drivers/iommu/iommufd/iommufd_test.h and in no uAPI header: this file
 * alone includes that header, and the rest of the benchmark stays on the
 * public uAPI.
 */
#include "bench.h"
#include "../../drivers/iommu/iommufd/iommufd_test.h"

int iommufd_mock_attach(struct session *s)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = s->as_id,
	};

	s->step = "IOMMU_TEST_OP_MOCK_DOMAIN";
	if (ioctl(s->fd, IOMMU_TEST_CMD, &cmd))
		return errno;
	s->dev_id = cmd.mock_domain.out_stdev_id;
	s->hwpt_id = cmd.mock_domain.out_hwpt_id;
	return 0;
}

/*
 * iommufd puts a new device in an automatic HWPT of its IOAS that takes
 * it, and no mock device refuses one: a table of its own is one more HWPT
 * the caller allocates on the same IOAS, which every map fills too.
 */
int iommufd_add_mock(struct session *s, uint32_t as_id, bool own_table,
		     uint32_t *hwpt)
{
	struct iommu_test_cmd dev = {
		.size = sizeof(dev),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = as_id,
	};
	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc),
		.pt_id = as_id,
	};
	struct iommu_test_cmd replace = {
		.size = sizeof(replace),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	};

	s->step = "IOMMU_TEST_OP_MOCK_DOMAIN";
	if (ioctl(s->fd, IOMMU_TEST_CMD, &dev))
		return errno;
	*hwpt = dev.mock_domain.out_hwpt_id;
	if (!own_table)
		return 0;
	alloc.dev_id = dev.mock_domain.out_idev_id;
	s->step = "IOMMU_HWPT_ALLOC";
	if (ioctl(s->fd, IOMMU_HWPT_ALLOC, &alloc))
		return errno;
	replace.id = dev.mock_domain.out_stdev_id;
	replace.mock_domain_replace.pt_id = alloc.out_hwpt_id;
	s->step = "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE";
	if (ioctl(s->fd, IOMMU_TEST_CMD, &replace))
		return errno;
	*hwpt = alloc.out_hwpt_id;
	return 0;
}

/* Destroying the mock device detaches and unbinds it. */
int iommufd_mock_detach(struct session *s)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = s->dev_id };

	s->step = "IOMMU_DESTROY of the mock device";
	return ioctl(s->fd, IOMMU_DESTROY, &cmd) ? errno : 0;
}

/*
 * For the dirty workload: the mock device, whose IOMMU may use 1 MiB
 * IOPTEs when @huge, moved to a HWPT allocated for dirty tracking, which
 * is turned on.
 */
int iommufd_mock_dirty_setup(struct session *s, bool huge)
{
	struct iommu_test_cmd dev = {
		.size = sizeof(dev),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = s->as_id,
		.mock_domain_flags.dev_flags =
			huge ? MOCK_FLAGS_DEVICE_HUGE_IOVA : 0,
	};
	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc),
		.flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.pt_id = s->as_id,
	};
	struct iommu_test_cmd replace = {
		.size = sizeof(replace),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	};
	struct iommu_hwpt_set_dirty_tracking track = {
		.size = sizeof(track),
		.flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
	};

	s->step = "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS";
	if (ioctl(s->fd, IOMMU_TEST_CMD, &dev))
		return errno;
	s->dev_id = dev.mock_domain_flags.out_stdev_id;
	alloc.dev_id = dev.mock_domain_flags.out_idev_id;
	s->step = "IOMMU_HWPT_ALLOC(IOMMU_HWPT_ALLOC_DIRTY_TRACKING)";
	if (ioctl(s->fd, IOMMU_HWPT_ALLOC, &alloc))
		return errno;
	s->hwpt_id = alloc.out_hwpt_id;
	replace.id = s->dev_id;
	replace.mock_domain_replace.pt_id = s->hwpt_id;
	s->step = "IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE";
	if (ioctl(s->fd, IOMMU_TEST_CMD, &replace))
		return errno;
	track.hwpt_id = s->hwpt_id;
	s->step = "IOMMU_HWPT_SET_DIRTY_TRACKING";
	return ioctl(s->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &track) ? errno : 0;
}

/*
 * Marks dirty, as a device's writes would, the first IOPTE of each page
 * of @page bytes in the @len bytes at @iova whose index modulo @period is
 * below @run: iommufd's mock has IOPTEs of half a CPU page, and a bit per
 * IOPTE in IOMMU_TEST_OP_DIRTY's bitmap.
 */
int iommufd_mock_dirty_pages(struct session *s, uint64_t iova, uint64_t len,
			     uint64_t page, unsigned int run,
			     unsigned int period)
{
	const uint64_t iopte = page / 2, bits = len / iopte;
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_DIRTY,
		.id = s->hwpt_id,
		.dirty.iova = iova,
		.dirty.length = len,
		.dirty.page_size = iopte,
	};
	uint64_t *bitmap, i, want = 0;
	int ret = 0;

	bitmap = calloc((bits + 63) / 64, sizeof(*bitmap));
	if (!bitmap)
		return ENOMEM;
	for (i = 0; i < len / page; i++) {
		if (i % period >= run)
			continue;
		bitmap[i * 2 / 64] |= 1ULL << (i * 2 % 64);
		want++;
	}
	cmd.dirty.uptr = (uintptr_t)bitmap;
	s->step = "IOMMU_TEST_OP_DIRTY";
	if (ioctl(s->fd, IOMMU_TEST_CMD, &cmd))
		ret = errno;
	else if (cmd.dirty.out_nr_dirty != want)
		ret = EIO;
	free(bitmap);
	return ret;
}
