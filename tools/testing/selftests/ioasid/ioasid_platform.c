// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checks that the machine is the one the tests were meant to run on: the
 * edu DMA device binds to vfio-pci and then sits behind an IOMMU of the kind
 * named by the ioasid_iommu= kernel parameter, in an IOMMU group.  The kind
 * matches the start of the IOMMU's name (dmar, smmu3) or of the driver of
 * the device that provides it (virtio_iommu).  A target whose IOMMU
 * silently failed to probe would otherwise pass every test without
 * exercising it.
 *
 * The device is bound before looking: firmware-described IOMMUs such as
 * virtio-iommu (ACPI VIOT) and SMMUv3 configure a device only when a
 * driver binds to it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "edu_vfio.h"

#define IOMMU_CLASS "/sys/class/iommu"

/* Whether the IOMMU named @iommu lists @dev among its devices. */
static int iommu_has_device(const char *iommu, const char *dev)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), IOMMU_CLASS "/%s/devices/%s", iommu, dev);
	return !access(path, F_OK);
}

static int iommu_is(const char *iommu, const char *want)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *driver;

	if (has_prefix(iommu, want))
		return 1;
	snprintf(path, sizeof(path), IOMMU_CLASS "/%s/device/driver", iommu);
	driver = link_base(path, target, sizeof(target));
	return driver && has_prefix(driver, want);
}

TEST(edu_behind_expected_iommu)
{
	const char *want = getenv("ioasid_iommu");
	char target[PATH_MAX];
	char *edu, *iommu;

	if (!want)
		SKIP(return, "no ioasid_iommu= on the kernel command line");
	edu = find_entry(PCI_DEVICES, pci_id_is, EDU_ID);
	ASSERT_NE(NULL, edu) TH_LOG("no edu device (" EDU_ID ") on the PCI bus");
	if (!link_name(edu, "driver", target, sizeof(target))) {
		ASSERT_EQ(0, bind_vfio_pci(edu))
			TH_LOG("binding %s to vfio-pci", edu);
	}
	EXPECT_STREQ("vfio-pci", link_name(edu, "driver", target, sizeof(target)));

	iommu = find_entry(IOMMU_CLASS, iommu_has_device, edu);
	ASSERT_NE(NULL, iommu) TH_LOG("%s is behind no IOMMU", edu);
	EXPECT_TRUE(iommu_is(iommu, want))
		TH_LOG("%s is behind %s, expected %s", edu, iommu, want);
	EXPECT_NE(NULL, link_name(edu, "iommu_group", target, sizeof(target)));
	free(iommu);
	free(edu);
}

TEST_HARNESS_MAIN
