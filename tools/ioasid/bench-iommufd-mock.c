// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: the iommufd-mock path's attach and detach.  The mock
 * comparison sets our mock IOMMU (IOASID_TEST) against iommufd's, so that
 * neither side pays for an emulated IOMMU.  iommufd's mock domain exists
 * only in its test-only IOMMU_TEST_CMD, whose definitions are in
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
	return 0;
}

/* Destroying the mock device detaches and unbinds it. */
int iommufd_mock_detach(struct session *s)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = s->dev_id };

	s->step = "IOMMU_DESTROY of the mock device";
	return ioctl(s->fd, IOMMU_DESTROY, &cmd) ? errno : 0;
}
