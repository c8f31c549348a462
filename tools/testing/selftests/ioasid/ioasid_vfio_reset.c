// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO and VFIO_DEVICE_PCI_HOT_RESET on VFIO
 * cdevs bound to /dev/ioasid, with the iommufd path beside them in the
 * same boot as the reference.  The harness puts two edu functions behind
 * one PCIe root port, so that a reset of one resets the other: a cdev user
 * passes no group fds, and the reset is allowed when every affected device
 * is bound to the caller's context, or is bound to nothing and shares an
 * IOMMU group with a device that is.
 *
 * Whether the two share an IOMMU group depends on the target: on the x86
 * ones they do (edu has no ACS), and then the second cannot be bound to
 * another context or to iommufd while the first is bound, which the tests
 * check, and the first resets both; on arm64 virt the kernel gives each
 * its own group, and then the second binds elsewhere and neither may
 * reset the other.  The tests expect what the groups they find imply.  A
 * device not in vfio-pci's reach (no driver) fails the reset alike on
 * both paths and every target.
 *
 * device_ioctl_errnos checks, on one of the two, the numbers and errnos
 * that include/uapi/linux/vfio.h documents for the device ioctls of
 * /dev/ioasid.
 *
 * Where the IOMMU cannot isolate MSIs (virtio-iommu), the fixture sets
 * allow_unsafe_interrupts of both ioasid and iommufd, and clears both.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include <linux/iommufd.h>

#include "edu_vfio.h"
#include "ioasid_utils.h"
#include "../kselftest_harness.h"

#define SRC_IOVA	SZ_1M
#define DST_IOVA	SZ_2M
#define MAX_EDUS	8
#define MAX_AFFECTED	8
#define IOMMUFD_UNSAFE_PARAM \
	"/sys/module/iommufd/parameters/allow_unsafe_interrupts"
#define VFIO_PCI_DRIVER	"/sys/bus/pci/drivers/vfio-pci"

/*
 * Two edu on one PCI bus, not the root bus's edu: the first two, in name
 * order, that share a domain and bus.
 */
static int find_edu_pair(char a[32], char b[32])
{
	char names[MAX_EDUS][32];
	int n = pci_find_id(EDU_ID, names, MAX_EDUS), i;

	/* "dddd:bb:" is the domain and bus */
	for (i = 0; i + 1 < n; i++) {
		if (!strncmp(names[i], names[i + 1], 8)) {
			snprintf(a, 32, "%s", names[i]);
			snprintf(b, 32, "%s", names[i + 1]);
			return 0;
		}
	}
	return ENODEV;
}

/* Whether @dev is a PCI name, which gives its segment, bus and devfn. */
static bool pci_addr(const char *dev, unsigned int *seg, unsigned int *bus,
		     unsigned int *devfn)
{
	unsigned int slot, fn;

	if (sscanf(dev, "%x:%x:%x.%x", seg, bus, &slot, &fn) != 4)
		return false;
	*devfn = slot << 3 | fn;
	return true;
}

static int vfio_bind_iommufd(int dev_fd, int iommufd, uint32_t *devid)
{
	struct vfio_device_bind_iommufd cmd = {
		.argsz = sizeof(cmd),
		.iommufd = iommufd,
	};
	int ret = ioctl(dev_fd, VFIO_DEVICE_BIND_IOMMUFD, &cmd) ? errno : 0;

	if (devid)
		*devid = ret ? 0 : cmd.out_devid;
	return ret;
}

struct reset_info {
	struct vfio_pci_hot_reset_info hdr;
	struct vfio_pci_dependent_device devices[MAX_AFFECTED];
};

static int hot_reset_info(int dev_fd, struct reset_info *info)
{
	memset(info, 0, sizeof(*info));
	info->hdr.argsz = sizeof(*info);
	return ioctl(dev_fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info) ?
		errno : 0;
}

/* A cdev's reset: no group fds. */
static int hot_reset(int dev_fd)
{
	struct vfio_pci_hot_reset cmd = { .argsz = sizeof(cmd) };

	return ioctl(dev_fd, VFIO_DEVICE_PCI_HOT_RESET, &cmd) ? errno : 0;
}

/* The entry of @info for PCI device @dev, or NULL. */
static const struct vfio_pci_dependent_device *
info_entry(const struct reset_info *info, const char *dev)
{
	unsigned int seg, bus, devfn, i;

	if (!pci_addr(dev, &seg, &bus, &devfn))
		return NULL;
	for (i = 0; i < info->hdr.count && i < MAX_AFFECTED; i++)
		if (info->devices[i].segment == seg &&
		    info->devices[i].bus == bus &&
		    info->devices[i].devfn == devfn)
			return &info->devices[i];
	return NULL;
}

FIXTURE(reset) {
	enum target target;
	char pci[2][32];	/* the two edu behind the root port */
	char cdev[2][64];
	int dev_fd[2];
	int ioasid_fd[2];
	int iommufd[2];
	bool same_group;	/* the two share an IOMMU group */
	bool unbound;		/* pci[1] was taken from vfio-pci */
	uint64_t page;
	uint8_t *src;
	uint8_t *dst;
};

static int open_dev(FIXTURE_DATA(reset) *self, int i)
{
	self->dev_fd[i] = open(self->cdev[i], O_RDWR | O_CLOEXEC);
	return self->dev_fd[i] < 0 ? errno : 0;
}

static void close_dev(FIXTURE_DATA(reset) *self, int i)
{
	if (self->dev_fd[i] >= 0)
		close(self->dev_fd[i]);
	self->dev_fd[i] = -1;
}

FIXTURE_SETUP(reset)
{
	char link[2][PATH_MAX];
	const char *group[2];
	bool bound;
	int i, ret;

	for (i = 0; i < 2; i++) {
		self->dev_fd[i] = -1;
		self->ioasid_fd[i] = -1;
		self->iommufd[i] = -1;
	}
	self->unbound = false;
	if (geteuid())
		SKIP(return, "binding a device to vfio-pci needs root");
	self->target = read_target();
	self->page = sysconf(_SC_PAGESIZE);
	self->src = alloc_buf(self->page, 0, false);
	self->dst = alloc_buf(self->page, 0, false);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->dst);
	fill(self->src, self->page, getpid() * 2654435761U);

	ASSERT_EQ(0, find_edu_pair(self->pci[0], self->pci[1]))
		TH_LOG("no two edu (" EDU_ID ") on one PCI bus: see qemu/Makefile");
	for (i = 0; i < 2; i++) {
		ret = edu_bind_vfio(self->pci[i], &bound, self->cdev[i],
				    sizeof(self->cdev[i]));
		ASSERT_EQ(0, ret) TH_LOG("binding %s to vfio-pci: %s",
					 self->pci[i], strerror(ret));
		group[i] = link_name(self->pci[i], "iommu_group", link[i],
				     sizeof(link[i]));
		ASSERT_NE(NULL, group[i]);
		ASSERT_EQ(0, open_dev(self, i));
		self->ioasid_fd[i] = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, self->ioasid_fd[i]);
		self->iommufd[i] = open("/dev/iommu", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, self->iommufd[i]);
	}
	self->same_group = !strcmp(group[0], group[1]);
	TH_LOG("%s and %s, IOMMU groups %s and %s", self->pci[0],
	       self->pci[1], group[0], group[1]);

	/* Last, as teardown only runs when setup finished. */
	if (self->target == TARGET_VIRTIO) {
		ASSERT_EQ(0, write_unsafe("Y"));
		ASSERT_EQ(0, write_attr(IOMMUFD_UNSAFE_PARAM, "Y"));
	}
}

FIXTURE_TEARDOWN(reset)
{
	int i;

	for (i = 0; i < 2; i++) {
		close_dev(self, i);
		if (self->ioasid_fd[i] >= 0)
			close(self->ioasid_fd[i]);
		if (self->iommufd[i] >= 0)
			close(self->iommufd[i]);
	}
	if (self->unbound)
		EXPECT_EQ(0, bind_vfio_pci(self->pci[1]));
	if (self->target == TARGET_VIRTIO) {
		EXPECT_EQ(0, write_unsafe("N"));
		EXPECT_EQ(0, write_attr(IOMMUFD_UNSAFE_PARAM, "N"));
	}
	munmap(self->src, self->page);
	munmap(self->dst, self->page);
}

/*
 * What INFO through @dev_fd says of the two edu: both affected, each with
 * the devid @devid[i] (VFIO_PCI_DEVID_OWNED, VFIO_PCI_DEVID_NOT_OWNED or
 * an iommufd device id), and DEV_ID_OWNED exactly when both are owned.
 */
static void expect_info(struct __test_metadata *_metadata,
			FIXTURE_DATA(reset) *self, int dev_fd,
			const uint32_t devid[2])
{
	const struct vfio_pci_dependent_device *ent;
	struct reset_info info;
	uint32_t flags = VFIO_PCI_HOT_RESET_FLAG_DEV_ID;
	int i;

	ASSERT_EQ(0, hot_reset_info(dev_fd, &info));
	if (devid[0] != VFIO_PCI_DEVID_NOT_OWNED &&
	    devid[1] != VFIO_PCI_DEVID_NOT_OWNED)
		flags |= VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED;
	EXPECT_EQ(flags, info.hdr.flags);
	EXPECT_EQ(2, info.hdr.count);
	for (i = 0; i < 2; i++) {
		ent = info_entry(&info, self->pci[i]);
		ASSERT_NE(NULL, ent) TH_LOG("%s not among the affected",
					    self->pci[i]);
		EXPECT_EQ(devid[i], ent->devid) TH_LOG("devid of %s",
						       self->pci[i]);
	}
}

/* Attaches edu 0 to a new IOASID of its context holding both buffers. */
static int attach_mapped(FIXTURE_DATA(reset) *self, uint32_t *id)
{
	int fd = self->ioasid_fd[0];
	int ret = ioasid_alloc(fd, id);

	if (!ret)
		ret = map_fixed(fd, *id, self->src, self->page, SRC_IOVA);
	if (!ret)
		ret = map_fixed(fd, *id, self->dst, self->page, DST_IOVA);
	return ret ? ret : vfio_attach(self->dev_fd[0], *id);
}

/* A round trip through edu 0, which a reset left with its config restored. */
static int round_trip(FIXTURE_DATA(reset) *self, uint32_t n)
{
	struct edu edu;
	int ret = edu_open(&edu, self->dev_fd[0]);

	fill(self->src, self->page, getpid() * 2654435761U + n);
	memset(self->dst, 0, self->page);
	if (!ret)
		ret = edu_from_ram(&edu, SRC_IOVA);
	if (!ret)
		ret = edu_to_ram(&edu, DST_IOVA);
	if (!ret && memcmp(self->dst, self->src, DMA_LEN))
		ret = EIO;
	return ret;
}

/* Both bound to one /dev/ioasid: owned, reset through either, DMA after. */
TEST_F(reset, one_ioasid_ctx_resets_both)
{
	const uint32_t owned[2] = { VFIO_PCI_DEVID_OWNED,
				    VFIO_PCI_DEVID_OWNED };
	uint32_t id;

	ASSERT_EQ(0, vfio_bind(self->dev_fd[0], self->ioasid_fd[0]));
	ASSERT_EQ(0, vfio_bind(self->dev_fd[1], self->ioasid_fd[0]));
	ASSERT_EQ(0, attach_mapped(self, &id));
	ASSERT_EQ(0, round_trip(self, 1));

	expect_info(_metadata, self, self->dev_fd[0], owned);
	expect_info(_metadata, self, self->dev_fd[1], owned);
	EXPECT_EQ(0, hot_reset(self->dev_fd[0]));
	EXPECT_EQ(0, hot_reset(self->dev_fd[1]));
	/* The reset left the device attached and able to DMA. */
	EXPECT_EQ(0, round_trip(self, 2));
}

/* The reference: both bound to one iommufd. */
TEST_F(reset, one_iommufd_resets_both)
{
	uint32_t devid[2];

	ASSERT_EQ(0, vfio_bind_iommufd(self->dev_fd[0], self->iommufd[0],
				       &devid[0]));
	ASSERT_EQ(0, vfio_bind_iommufd(self->dev_fd[1], self->iommufd[0],
				       &devid[1]));
	expect_info(_metadata, self, self->dev_fd[0], devid);
	expect_info(_metadata, self, self->dev_fd[1], devid);
	EXPECT_EQ(0, hot_reset(self->dev_fd[0]));
	EXPECT_EQ(0, hot_reset(self->dev_fd[1]));
}

/*
 * One bound, the other bound to nothing, its cdev open or closed: owned
 * through the shared IOMMU group, and only through it.
 */
TEST_F(reset, group_mate_bound_to_nothing)
{
	uint32_t devid[2] = { VFIO_PCI_DEVID_OWNED, VFIO_PCI_DEVID_OWNED };
	int expect = 0, pass;

	if (!self->same_group) {
		devid[1] = VFIO_PCI_DEVID_NOT_OWNED;
		expect = EINVAL;
	}
	ASSERT_EQ(0, vfio_bind(self->dev_fd[0], self->ioasid_fd[0]));
	for (pass = 0; pass < 2; pass++) {
		expect_info(_metadata, self, self->dev_fd[0], devid);
		EXPECT_EQ(expect, hot_reset(self->dev_fd[0]));
		close_dev(self, 1);
	}

	/* The reference: the same through iommufd. */
	close_dev(self, 0);
	ASSERT_EQ(0, open_dev(self, 0));
	ASSERT_EQ(0, open_dev(self, 1));
	ASSERT_EQ(0, vfio_bind_iommufd(self->dev_fd[0], self->iommufd[0],
				       &devid[0]));
	for (pass = 0; pass < 2; pass++) {
		expect_info(_metadata, self, self->dev_fd[0], devid);
		EXPECT_EQ(expect, hot_reset(self->dev_fd[0]));
		close_dev(self, 1);
	}
}

/*
 * Each bound to its own context: in one IOMMU group the second cannot
 * be, on either path or across them, and the first still resets both;
 * in two groups neither may reset the other.  /dev/ioasid refuses a
 * group that another owner holds with EBUSY, iommufd with the EPERM of
 * iommu_device_claim_dma_owner().
 */
TEST_F(reset, other_context_refused)
{
	uint32_t devid[2] = { VFIO_PCI_DEVID_OWNED, VFIO_PCI_DEVID_OWNED };
	int other_ioasid = self->same_group ? EBUSY : 0;
	int other = self->same_group ? EPERM : 0;
	int expect = self->same_group ? 0 : EINVAL;

	if (!self->same_group)
		devid[1] = VFIO_PCI_DEVID_NOT_OWNED;

	ASSERT_EQ(0, vfio_bind(self->dev_fd[0], self->ioasid_fd[0]));
	EXPECT_EQ(other, vfio_bind_iommufd(self->dev_fd[1], self->iommufd[0],
					   NULL));
	close_dev(self, 1);
	ASSERT_EQ(0, open_dev(self, 1));
	EXPECT_EQ(other_ioasid,
		  vfio_bind(self->dev_fd[1], self->ioasid_fd[1]));
	expect_info(_metadata, self, self->dev_fd[0], devid);
	EXPECT_EQ(expect, hot_reset(self->dev_fd[0]));

	/* The reference: two iommufds. */
	close_dev(self, 0);
	close_dev(self, 1);
	ASSERT_EQ(0, open_dev(self, 0));
	ASSERT_EQ(0, open_dev(self, 1));
	ASSERT_EQ(0, vfio_bind_iommufd(self->dev_fd[0], self->iommufd[0],
				       &devid[0]));
	EXPECT_EQ(other, vfio_bind_iommufd(self->dev_fd[1], self->iommufd[1],
					   NULL));
	expect_info(_metadata, self, self->dev_fd[0], devid);
	EXPECT_EQ(expect, hot_reset(self->dev_fd[0]));
}

/*
 * An affected device without vfio-pci is outside the caller's reach:
 * INFO says so and the reset fails, the same on both paths.
 */
TEST_F(reset, device_outside_vfio_refused)
{
	const uint32_t devid[2] = { VFIO_PCI_DEVID_OWNED,
				    VFIO_PCI_DEVID_NOT_OWNED };
	uint32_t iommufd_devid[2] = { 0, VFIO_PCI_DEVID_NOT_OWNED };
	char path[PATH_MAX];

	close_dev(self, 1);
	snprintf(path, sizeof(path), VFIO_PCI_DRIVER "/unbind");
	ASSERT_EQ(0, write_attr(path, self->pci[1]));
	self->unbound = true;

	ASSERT_EQ(0, vfio_bind(self->dev_fd[0], self->ioasid_fd[0]));
	expect_info(_metadata, self, self->dev_fd[0], devid);
	EXPECT_EQ(EINVAL, hot_reset(self->dev_fd[0]));

	close_dev(self, 0);
	ASSERT_EQ(0, open_dev(self, 0));
	ASSERT_EQ(0, vfio_bind_iommufd(self->dev_fd[0], self->iommufd[0],
				       &iommufd_devid[0]));
	expect_info(_metadata, self, self->dev_fd[0], iommufd_devid);
	EXPECT_EQ(EINVAL, hot_reset(self->dev_fd[0]));
}

/*
 * The numbers and errnos include/uapi/linux/vfio.h documents for the
 * device ioctls of /dev/ioasid: _IO numbers; EINVAL for a short argsz,
 * a flag or a reserved field; detaching what is not attached.
 */
TEST_F(reset, device_ioctl_errnos)
{
	struct vfio_device_bind_ioasid bind = {
		.argsz = sizeof(bind), .ioasid_fd = self->ioasid_fd[0],
	};
	struct vfio_device_attach_ioasid attach = { .argsz = sizeof(attach) };
	struct vfio_device_detach_ioasid detach = { .argsz = sizeof(detach) };
	struct vfio_device_attach_ioasid_pasid attach_pasid = {
		.argsz = sizeof(attach_pasid), .pasid = 1,
	};
	struct vfio_device_detach_ioasid_pasid detach_pasid = {
		.argsz = sizeof(detach_pasid), .pasid = 1,
	};
	int fd = self->dev_fd[0];
	uint32_t id;

	EXPECT_EQ(_IO(VFIO_TYPE, VFIO_BASE + 40), VFIO_DEVICE_BIND_IOASID);
	EXPECT_EQ(_IO(VFIO_TYPE, VFIO_BASE + 41), VFIO_DEVICE_ATTACH_IOASID);
	EXPECT_EQ(_IO(VFIO_TYPE, VFIO_BASE + 42), VFIO_DEVICE_DETACH_IOASID);
	EXPECT_EQ(_IO(VFIO_TYPE, VFIO_BASE + 43),
		  VFIO_DEVICE_ATTACH_IOASID_PASID);
	EXPECT_EQ(_IO(VFIO_TYPE, VFIO_BASE + 44),
		  VFIO_DEVICE_DETACH_IOASID_PASID);

	/* Shorter than the first version, which ended before out_dev_id. */
	bind.argsz = offsetof(struct vfio_device_bind_ioasid, out_dev_id) - 1;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_BIND_IOASID, &bind));
	EXPECT_EQ(EINVAL, errno);
	bind.argsz = sizeof(bind);
	bind.flags = 1;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_BIND_IOASID, &bind));
	EXPECT_EQ(EINVAL, errno);
	bind.flags = 0;
	bind.__reserved = 1;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_BIND_IOASID, &bind));
	EXPECT_EQ(EINVAL, errno);
	bind.__reserved = 0;
	ASSERT_EQ(0, ioctl(fd, VFIO_DEVICE_BIND_IOASID, &bind));

	ASSERT_EQ(0, ioasid_alloc(self->ioasid_fd[0], &id));
	attach.ioasid = id;
	attach.flags = 1;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_ATTACH_IOASID, &attach));
	EXPECT_EQ(EINVAL, errno);
	attach.flags = 0;
	attach.__reserved = 1;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_ATTACH_IOASID, &attach));
	EXPECT_EQ(EINVAL, errno);

	/* Not attached: detaching succeeds and leaves it so. */
	EXPECT_EQ(0, ioctl(fd, VFIO_DEVICE_DETACH_IOASID, &detach));
	detach.flags = 1;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_DETACH_IOASID, &detach));
	EXPECT_EQ(EINVAL, errno);
	detach.flags = 0;
	detach.argsz = sizeof(detach) - 1;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_DETACH_IOASID, &detach));
	EXPECT_EQ(EINVAL, errno);
	detach.argsz = sizeof(detach);

	attach_pasid.ioasid = id;
	attach_pasid.flags = 1;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_ATTACH_IOASID_PASID,
			    &attach_pasid));
	EXPECT_EQ(EINVAL, errno);
	detach_pasid.flags = 1;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_DETACH_IOASID_PASID,
			    &detach_pasid));
	EXPECT_EQ(EINVAL, errno);
	detach_pasid.flags = 0;
	detach_pasid.__reserved = 1;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_DETACH_IOASID_PASID,
			    &detach_pasid));
	EXPECT_EQ(EINVAL, errno);
	detach_pasid.__reserved = 0;
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_DETACH_IOASID_PASID,
			    &detach_pasid));
	EXPECT_EQ(ENOENT, errno);

	/* Bound to iommufd, the device fd refuses them all with EINVAL. */
	attach.__reserved = 0;
	attach_pasid.flags = 0;
	close_dev(self, 0);
	ASSERT_EQ(0, open_dev(self, 0));
	fd = self->dev_fd[0];
	ASSERT_EQ(0, vfio_bind_iommufd(fd, self->iommufd[0], NULL));
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_ATTACH_IOASID, &attach));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_DETACH_IOASID, &detach));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_ATTACH_IOASID_PASID,
			    &attach_pasid));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, VFIO_DEVICE_DETACH_IOASID_PASID,
			    &detach_pasid));
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
