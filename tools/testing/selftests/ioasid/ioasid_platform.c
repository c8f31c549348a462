// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checks that the machine is the one the tests were meant to run on: the
 * edu DMA device binds to vfio-pci and then sits behind an IOMMU of the kind
 * named by the ioasid_iommu= kernel parameter, in an IOMMU group.  The kind
 * matches the start of the IOMMU's name (dmar, smmu3) or of the driver of
 * the device that provides it (virtio_iommu).  A target whose IOMMU silently failed to probe would
 * otherwise pass every test without exercising it.
 *
 * The device is bound before looking: firmware-described IOMMUs such as
 * virtio-iommu (ACPI VIOT) and SMMUv3 configure a device only when a
 * driver binds to it.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"

#define PCI_DEVICES "/sys/bus/pci/devices"
#define IOMMU_CLASS "/sys/class/iommu"
#define EDU_ID "0x1234 0x11e8"

static int read_id(const char *dev, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", dev, attr);
	f = fopen(path, "r");
	if (!f)
		return 0;
	ok = !!fgets(buf, len, f);
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return ok;
}

/* The first entry of @dir that @match accepts, or NULL; free() it. */
static char *find_entry(const char *dir, int (*match)(const char *name,
						      const char *arg),
			const char *arg)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;

	if (!d)
		return NULL;
	while (!found && (e = readdir(d)))
		if (e->d_name[0] != '.' && match(e->d_name, arg))
			found = strdup(e->d_name);
	closedir(d);
	return found;
}

static int pci_id_is(const char *dev, const char *want)
{
	char vendor[16], device[16], id[40];

	if (!read_id(dev, "vendor", vendor, sizeof(vendor)) ||
	    !read_id(dev, "device", device, sizeof(device)))
		return 0;
	snprintf(id, sizeof(id), "%s %s", vendor, device);
	return !strcmp(id, want);
}

/* Whether the IOMMU named @iommu lists @dev among its devices. */
static int iommu_has_device(const char *iommu, const char *dev)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), IOMMU_CLASS "/%s/devices/%s", iommu, dev);
	return !access(path, F_OK);
}

static int write_attr(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return 0;
	ok = fputs(value, f) >= 0;
	return fclose(f) == 0 && ok;
}

static int bind_vfio_pci(const char *dev)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", dev);
	if (!write_attr(path, "vfio-pci"))
		return 0;
	return write_attr("/sys/bus/pci/drivers_probe", dev);
}

/* The last component of the symlink at @path, or NULL. */
static const char *link_base(const char *path, char *buf, size_t len)
{
	ssize_t n = readlink(path, buf, len - 1);

	if (n < 0)
		return NULL;
	buf[n] = 0;
	return strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
}

static int iommu_is(const char *iommu, const char *want)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *driver;

	if (!strncmp(iommu, want, strlen(want)))
		return 1;
	snprintf(path, sizeof(path), IOMMU_CLASS "/%s/device/driver", iommu);
	driver = link_base(path, target, sizeof(target));
	return driver && !strncmp(driver, want, strlen(want));
}

static const char *link_name(const char *dev, const char *link, char *buf,
			     size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", dev, link);
	return link_base(path, buf, len);
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
		ASSERT_TRUE(bind_vfio_pci(edu))
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
