// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO's container, /dev/vfio/vfio, served by /dev/ioasid: what a program
 * written for the type1 IOMMU driver does, step by step, on QEMU's edu
 * device opened through its VFIO group.  Each test checks the errno of
 * every call, where edu's DMA landed or did not, and that the pins are
 * charged to the process and returned, as type1 charges them.
 *
 * The kernels of these tests serve the container on /dev/ioasid (the
 * harness builds VFIO's own type1 container only for the benchmark): a
 * /dev/vfio/vfio that does not answer /dev/ioasid's GET_INFO fails them.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <linux/vfio.h>

#include "edu_vfio.h"
#include "ioasid_utils.h"
#include "../kselftest_harness.h"

/* edu's DMA addresses have 28 bits. */
#define SRC_IOVA	SZ_1M
#define DST_IOVA	SZ_2M
#define CONTAINER	"/dev/vfio/vfio"

FIXTURE(container) {
	enum target target;
	char pci[32];		/* edu's PCI name */
	char group[64];		/* /dev/vfio/<group> of edu */
	char cdev[64];		/* /dev/vfio/devices/vfioN of edu */
	int container_fd;
	int group_fd;
	int dev_fd;		/* from VFIO_GROUP_GET_DEVICE_FD */
	struct edu edu;
	uint64_t page;
	uint8_t *src;		/* a pattern, for SRC_IOVA */
	uint8_t *dst;		/* zeroes, for DST_IOVA */
	uint64_t locked_kb;	/* VmLck before the test mapped anything */
};

static int type1_map(int fd, void *va, uint64_t len, uint64_t iova,
		     uint32_t flags)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd),
		.flags = flags,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd) ? errno : 0;
}

static int type1_map_rw(int fd, void *va, uint64_t len, uint64_t iova)
{
	return type1_map(fd, va, len, iova,
			 VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
}

/* Unmaps, setting *@out to the bytes the kernel says it unmapped. */
static int type1_unmap(int fd, uint64_t iova, uint64_t len, uint32_t flags,
		       uint64_t *out)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = sizeof(cmd),
		.flags = flags,
		.iova = iova,
		.size = len,
	};
	int ret = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd) ? errno : 0;

	*out = cmd.size;
	return ret;
}

static int set_container(FIXTURE_DATA(container) *self)
{
	return ioctl(self->group_fd, VFIO_GROUP_SET_CONTAINER,
		     &self->container_fd) ? errno : 0;
}

static int set_iommu(int fd, unsigned long type)
{
	return ioctl(fd, VFIO_SET_IOMMU, type) ? errno : 0;
}

static int get_device_fd(FIXTURE_DATA(container) *self)
{
	self->dev_fd = ioctl(self->group_fd, VFIO_GROUP_GET_DEVICE_FD,
			     self->pci);
	return self->dev_fd < 0 ? errno : 0;
}

/* What a type1 program does before its first DMA, on one group. */
static int container_ready(FIXTURE_DATA(container) *self)
{
	int ret = set_container(self);

	if (!ret)
		ret = set_iommu(self->container_fd, VFIO_TYPE1v2_IOMMU);
	if (!ret)
		ret = type1_map_rw(self->container_fd, self->src, self->page,
				   SRC_IOVA);
	if (!ret)
		ret = type1_map_rw(self->container_fd, self->dst, self->page,
				   DST_IOVA);
	if (!ret)
		ret = get_device_fd(self);
	return ret ? ret : edu_open(&self->edu, self->dev_fd);
}

static int round_trip(FIXTURE_DATA(container) *self, uint32_t n)
{
	int ret;

	fill(self->src, self->page, getpid() * 2654435761U + n);
	memset(self->dst, 0, self->page);
	ret = edu_from_ram(&self->edu, SRC_IOVA);
	return ret ? ret : edu_to_ram(&self->edu, DST_IOVA);
}

/* VmLck grew by @pages pages since setup. */
static bool locked_pages_are(FIXTURE_DATA(container) *self, uint64_t pages)
{
	return vm_kb("VmLck") == self->locked_kb + pages * self->page / 1024;
}

struct type1_info {
	struct vfio_iommu_type1_info info;
	uint8_t caps[4096];
};

/* The capability @id of a GET_INFO answer, or NULL. */
static const struct vfio_info_cap_header *find_cap(const struct type1_info *t,
						   uint16_t id)
{
	const struct vfio_info_cap_header *cap;
	uint32_t off = t->info.cap_offset;

	while (off && off + sizeof(*cap) <= sizeof(*t)) {
		cap = (const void *)((const uint8_t *)t + off);
		if (cap->id == id)
			return cap;
		off = cap->next;
	}
	return NULL;
}

FIXTURE_SETUP(container)
{
	struct ioasid_info info = { .size = sizeof(info) };
	char edu[32];
	bool bound;
	int ret;

	self->container_fd = -1;
	self->group_fd = -1;
	self->dev_fd = -1;
	if (geteuid())
		SKIP(return, "binding a device to vfio-pci needs root");
	self->target = read_target();
	self->page = sysconf(_SC_PAGESIZE);
	self->src = alloc_buf(self->page, 0, false);
	self->dst = alloc_buf(self->page, 0, false);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->dst);

	ASSERT_EQ(0, edu_find(edu, sizeof(edu)))
		TH_LOG("no edu device (" EDU_ID ") on the PCI bus");
	snprintf(self->pci, sizeof(self->pci), "%s", edu);
	ret = edu_bind_vfio(edu, &bound, self->cdev, sizeof(self->cdev));
	ASSERT_EQ(0, ret) TH_LOG("binding %s to vfio-pci: %s", edu,
				 strerror(ret));
	ASSERT_EQ(0, vfio_group_path(edu, self->group, sizeof(self->group)));

	self->container_fd = open(CONTAINER, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->container_fd) TH_LOG("opening " CONTAINER);
	ASSERT_EQ(0, ioctl(self->container_fd, IOASID_GET_INFO, &info))
		TH_LOG(CONTAINER " is not served by /dev/ioasid");
	self->group_fd = open(self->group, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->group_fd) TH_LOG("opening %s", self->group);
	self->locked_kb = vm_kb("VmLck");
	ASSERT_NE(UINT64_MAX, self->locked_kb);

	/* Last, as teardown only runs when setup finished. */
	if (self->target == TARGET_VIRTIO) {
		ASSERT_EQ(0, write_unsafe("Y"))
			TH_LOG("writing Y to " UNSAFE_PARAM);
	}
}

FIXTURE_TEARDOWN(container)
{
	if (self->dev_fd >= 0)
		close(self->dev_fd);
	if (self->group_fd >= 0)
		close(self->group_fd);
	if (self->container_fd >= 0)
		close(self->container_fd);
	if (!access(UNSAFE_PARAM, F_OK)) {
		EXPECT_EQ(0, write_unsafe("N"))
			TH_LOG("writing N to " UNSAFE_PARAM);
	}
	munmap(self->src, self->page);
	munmap(self->dst, self->page);
}

/* The probes of a type1 program, answered as type1 answers them. */
TEST_F(container, probes_as_type1)
{
	int fd = self->container_fd;

	EXPECT_EQ(VFIO_API_VERSION, ioctl(fd, VFIO_GET_API_VERSION));
	EXPECT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	/* Bind refuses what the IOMMU cannot make coherent. */
	EXPECT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	EXPECT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	EXPECT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_NESTING_IOMMU));
	EXPECT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU));
	EXPECT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU));
}

TEST_F(container, dma_round_trip)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	uint64_t out;

	ASSERT_EQ(0, ioctl(self->group_fd, VFIO_GROUP_GET_STATUS, &status));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE, status.flags);
	ASSERT_EQ(0, container_ready(self));
	ASSERT_EQ(0, ioctl(self->group_fd, VFIO_GROUP_GET_STATUS, &status));
	EXPECT_EQ(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET,
		  status.flags);
	/* Charged to the process, as type1 charges it. */
	EXPECT_TRUE(locked_pages_are(self, 2));

	ASSERT_EQ(0, round_trip(self, 1));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));

	ASSERT_EQ(0, type1_unmap(self->container_fd, SRC_IOVA, self->page, 0,
				 &out));
	EXPECT_EQ(self->page, out);
	EXPECT_TRUE(locked_pages_are(self, 1));
}

TEST_F(container, get_info_reports_ranges)
{
	const struct vfio_iommu_type1_info_cap_iova_range *ranges;
	const struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_iommu_type1_info shortinfo = {
		.argsz = sizeof(shortinfo),
	};
	struct type1_info t = { .info.argsz = sizeof(t) };
	bool src_in = false;
	uint32_t i;

	/* Not before the container has its IOMMU type. */
	EXPECT_EQ(-1, ioctl(self->container_fd, VFIO_IOMMU_GET_INFO, &t));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, set_container(self));
	ASSERT_EQ(0, set_iommu(self->container_fd, VFIO_TYPE1v2_IOMMU));

	/* Too short for the capabilities: the length they need. */
	ASSERT_EQ(0, ioctl(self->container_fd, VFIO_IOMMU_GET_INFO,
			   &shortinfo));
	EXPECT_TRUE(shortinfo.flags & VFIO_IOMMU_INFO_CAPS);
	EXPECT_EQ(0, shortinfo.cap_offset);
	EXPECT_LT(sizeof(shortinfo), shortinfo.argsz);

	ASSERT_EQ(0, ioctl(self->container_fd, VFIO_IOMMU_GET_INFO, &t));
	EXPECT_TRUE(t.info.flags & VFIO_IOMMU_INFO_PGSIZES);
	EXPECT_EQ(self->page, t.info.iova_pgsizes & -t.info.iova_pgsizes);
	/* Long enough, argsz is left as the caller set it. */
	EXPECT_LE(shortinfo.argsz, sizeof(t));
	EXPECT_EQ(sizeof(t), t.info.argsz);
	EXPECT_EQ(sizeof(t.info), t.info.cap_offset);

	avail = (const void *)find_cap(&t, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ASSERT_NE(NULL, avail);
	EXPECT_LT(0, avail->avail);
	ranges = (const void *)find_cap(&t,
					VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	ASSERT_NE(NULL, ranges);
	ASSERT_LT(0, ranges->nr_iovas);
	for (i = 0; i < ranges->nr_iovas; i++) {
		EXPECT_LE(ranges->iova_ranges[i].start,
			  ranges->iova_ranges[i].end);
		if (i)
			EXPECT_LT(ranges->iova_ranges[i - 1].end,
				  ranges->iova_ranges[i].start);
		src_in |= ranges->iova_ranges[i].start <= SRC_IOVA &&
			  ranges->iova_ranges[i].end >= SRC_IOVA;
	}
	EXPECT_TRUE(src_in);
}

TEST_F(container, order_of_setup_enforced)
{
	int fd = self->container_fd;

	/* No IOMMU type without a group, nor mappings without a type. */
	EXPECT_EQ(EINVAL, set_iommu(fd, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(EINVAL, type1_map_rw(fd, self->src, self->page, SRC_IOVA));
	ASSERT_EQ(0, set_container(self));
	/* One container per group. */
	EXPECT_EQ(EINVAL, set_container(self));
	EXPECT_EQ(EINVAL, type1_map_rw(fd, self->src, self->page, SRC_IOVA));
	/* No device before the IOMMU type. */
	EXPECT_EQ(EINVAL, get_device_fd(self));
	EXPECT_EQ(ENODEV, set_iommu(fd, VFIO_SPAPR_TCE_IOMMU));
	EXPECT_EQ(ENODEV, set_iommu(fd, 0));
	ASSERT_EQ(0, set_iommu(fd, VFIO_TYPE1_IOMMU));
	/* One type for good. */
	EXPECT_EQ(EINVAL, set_iommu(fd, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, get_device_fd(self));
	ASSERT_EQ(0, edu_open(&self->edu, self->dev_fd));
	EXPECT_EQ(0, type1_map_rw(fd, self->src, self->page, SRC_IOVA));
	EXPECT_EQ(0, type1_map_rw(fd, self->dst, self->page, DST_IOVA));
	ASSERT_EQ(0, round_trip(self, 2));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
}

TEST_F(container, map_unmap_errors)
{
	int fd = self->container_fd;
	uint8_t *buf;
	uint64_t out;

	ASSERT_EQ(0, container_ready(self));
	buf = alloc_buf(4 * self->page, 1, true);
	ASSERT_NE(NULL, buf);

	/* Neither read nor write, unknown flags, VADDR updates. */
	EXPECT_EQ(EINVAL, type1_map(fd, buf, self->page, 0x400000, 0));
	EXPECT_EQ(EINVAL, type1_map(fd, buf, self->page, 0x400000,
				    VFIO_DMA_MAP_FLAG_READ | 0x80));
	EXPECT_EQ(EINVAL, type1_map(fd, buf, self->page, 0x400000,
				    VFIO_DMA_MAP_FLAG_READ |
				    VFIO_DMA_MAP_FLAG_VADDR));
	/* Zero, unaligned, wrapping. */
	EXPECT_EQ(EINVAL, type1_map_rw(fd, buf, 0, 0x400000));
	EXPECT_EQ(EINVAL, type1_map_rw(fd, buf + 1, self->page, 0x400000));
	EXPECT_EQ(EINVAL, type1_map_rw(fd, buf, self->page, 0x400001));
	EXPECT_EQ(EINVAL, type1_map_rw(fd, buf, 2 * self->page,
				       -self->page));
	/* A bad address, which pins nothing. */
	EXPECT_EQ(EFAULT, type1_map_rw(fd, NULL, self->page, 0x400000));
	/* Over a mapping: EEXIST, which DPDK takes as "mapped already". */
	EXPECT_EQ(EEXIST, type1_map_rw(fd, buf, self->page, SRC_IOVA));
	EXPECT_TRUE(locked_pages_are(self, 2));

	/* A range that splits a mapping is refused; nothing goes. */
	ASSERT_EQ(0, type1_map_rw(fd, buf, 4 * self->page, 0x400000));
	EXPECT_EQ(EINVAL, type1_unmap(fd, 0x400000, self->page, 0, &out));
	EXPECT_EQ(EINVAL, type1_unmap(fd, 0x400000 + self->page,
				      4 * self->page, 0, &out));
	EXPECT_TRUE(locked_pages_are(self, 6));
	/* Unaligned, zero, unknown flags, dirty bitmaps. */
	EXPECT_EQ(EINVAL, type1_unmap(fd, 0x400001, self->page, 0, &out));
	EXPECT_EQ(EINVAL, type1_unmap(fd, 0x400000, 0, 0, &out));
	EXPECT_EQ(EINVAL, type1_unmap(fd, 0x400000, 4 * self->page, 0x80,
				      &out));
	EXPECT_EQ(EINVAL, type1_unmap(fd, 0x400000, 4 * self->page,
				      VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
				      &out));
	EXPECT_EQ(EINVAL, type1_unmap(fd, 0x400000, 4 * self->page,
				      VFIO_DMA_UNMAP_FLAG_VADDR, &out));
	/* UNMAP_ALL names no range. */
	EXPECT_EQ(EINVAL, type1_unmap(fd, 0x400000, 0,
				      VFIO_DMA_UNMAP_FLAG_ALL, &out));
	/* Nothing mapped there: success, and nothing unmapped. */
	EXPECT_EQ(0, type1_unmap(fd, 0x800000, self->page, 0, &out));
	EXPECT_EQ(0, out);
	/* No dirty tracking, which GET_INFO does not offer either. */
	EXPECT_EQ(-1, ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, NULL));
	EXPECT_EQ(ENOTTY, errno);

	/* A range over whole mappings takes them all. */
	EXPECT_EQ(0, type1_unmap(fd, 0x300000, 0x200000, 0, &out));
	EXPECT_EQ(4 * self->page, out);
	EXPECT_EQ(0, type1_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &out));
	EXPECT_EQ(2 * self->page, out);
	EXPECT_TRUE(locked_pages_are(self, 0));
	munmap(buf, 4 * self->page);
}

TEST_F(container, unmap_blocks_dma)
{
	char seen[2048];
	uint64_t out;
	int kmsg;

	ASSERT_EQ(0, container_ready(self));
	ASSERT_EQ(0, round_trip(self, 3));
	ASSERT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));

	ASSERT_EQ(0, type1_unmap(self->container_fd, DST_IOVA, self->page, 0,
				 &out));
	memset(self->dst, 0x5a, self->page);
	kmsg = kmsg_open();
	ASSERT_EQ(0, edu_to_ram(&self->edu, DST_IOVA));
	EXPECT_TRUE(all_bytes(self->dst, self->page, 0x5a));
	if (kmsg_find_fault(kmsg, self->target, seen, sizeof(seen)))
		TH_LOG("the IOMMU logged: %s", seen);
	if (kmsg >= 0)
		close(kmsg);

	/* Mapped again, the same DMA lands. */
	ASSERT_EQ(0, type1_map_rw(self->container_fd, self->dst, self->page,
				  DST_IOVA));
	ASSERT_EQ(0, edu_to_ram(&self->edu, DST_IOVA));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
}

TEST_F(container, unset_needs_devices_closed)
{
	EXPECT_EQ(EINVAL, ioctl(self->group_fd, VFIO_GROUP_UNSET_CONTAINER) ?
			  errno : 0);
	ASSERT_EQ(0, container_ready(self));
	EXPECT_EQ(EBUSY, ioctl(self->group_fd, VFIO_GROUP_UNSET_CONTAINER) ?
			 errno : 0);
	ASSERT_EQ(0, round_trip(self, 4));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));

	/* The last group out takes the mappings and the IOMMU type along. */
	close(self->dev_fd);
	self->dev_fd = -1;
	ASSERT_EQ(0, ioctl(self->group_fd, VFIO_GROUP_UNSET_CONTAINER) ?
		     errno : 0);
	EXPECT_TRUE(locked_pages_are(self, 0));
	EXPECT_EQ(EINVAL, type1_map_rw(self->container_fd, self->src,
				       self->page, SRC_IOVA));

	/* The group joins again and works as before. */
	ASSERT_EQ(0, container_ready(self));
	ASSERT_EQ(0, round_trip(self, 5));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
}

/* Closing the container first leaves the group's devices working. */
TEST_F(container, container_closed_first)
{
	ASSERT_EQ(0, container_ready(self));
	close(self->container_fd);
	self->container_fd = -1;
	ASSERT_EQ(0, round_trip(self, 6));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
	EXPECT_TRUE(locked_pages_are(self, 2));

	/* The group's release returns every pin. */
	close(self->dev_fd);
	self->dev_fd = -1;
	close(self->group_fd);
	self->group_fd = -1;
	EXPECT_TRUE(locked_pages_are(self, 0));
}

/* The group closed while mapped: the container keeps no pins. */
TEST_F(container, group_closed_while_mapped)
{
	ASSERT_EQ(0, container_ready(self));
	close(self->dev_fd);
	self->dev_fd = -1;
	close(self->group_fd);
	self->group_fd = -1;
	EXPECT_TRUE(locked_pages_are(self, 0));
	EXPECT_EQ(EINVAL, type1_map_rw(self->container_fd, self->src,
				       self->page, SRC_IOVA));
}

/* A group's device is used through its group or its cdev, never both. */
TEST_F(container, group_and_cdev_exclusive)
{
	int cdev_fd, ioasid_fd, fd;

	ioasid_fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ioasid_fd);
	cdev_fd = open(self->cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, cdev_fd);

	/* The group is open: its device's cdev does not bind. */
	EXPECT_EQ(EBUSY, vfio_bind(cdev_fd, ioasid_fd));
	ASSERT_EQ(0, container_ready(self));
	EXPECT_EQ(EBUSY, vfio_bind(cdev_fd, ioasid_fd));
	close(self->dev_fd);
	self->dev_fd = -1;
	close(self->group_fd);
	self->group_fd = -1;

	/* The cdev bound, the group does not open. */
	ASSERT_EQ(0, vfio_bind(cdev_fd, ioasid_fd));
	fd = open(self->group, O_RDWR | O_CLOEXEC);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EBUSY, errno);
	if (fd >= 0)
		close(fd);
	close(cdev_fd);
	close(ioasid_fd);
}

/* Only a container's fd is one: not /dev/ioasid's, nor another file's. */
TEST_F(container, other_fds_refused)
{
	int ioasid_fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, ioasid_fd);
	ASSERT_LE(0, null_fd);
	EXPECT_EQ(-1, ioctl(self->group_fd, VFIO_GROUP_SET_CONTAINER,
			    &ioasid_fd));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, ioctl(self->group_fd, VFIO_GROUP_SET_CONTAINER,
			    &null_fd));
	EXPECT_EQ(EBADFD, errno);
	/* /dev/ioasid answers none of the container's commands. */
	EXPECT_EQ(-1, ioctl(ioasid_fd, VFIO_GET_API_VERSION));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(ioasid_fd, VFIO_CHECK_EXTENSION,
			    VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(ENOTTY, errno);
	close(null_fd);
	close(ioasid_fd);
}

/*
 * A caller built before cap_offset existed passes a 16-byte struct: it
 * gets the flags and page sizes, and the length the capabilities need,
 * and nothing is written past its argsz.
 */
TEST_F(container, get_info_old_struct)
{
	const size_t oldsz = offsetof(struct vfio_iommu_type1_info,
				      cap_offset);
	struct vfio_iommu_type1_info info;
	const uint8_t *tail = (const uint8_t *)&info + oldsz;
	size_t i;

	ASSERT_EQ(0, set_container(self));
	ASSERT_EQ(0, set_iommu(self->container_fd, VFIO_TYPE1v2_IOMMU));
	memset(&info, 0xa5, sizeof(info));
	info.argsz = oldsz;
	ASSERT_EQ(0, ioctl(self->container_fd, VFIO_IOMMU_GET_INFO, &info));
	EXPECT_TRUE(info.flags & VFIO_IOMMU_INFO_PGSIZES);
	EXPECT_EQ(self->page, info.iova_pgsizes & -info.iova_pgsizes);
	EXPECT_LT(sizeof(info), info.argsz);
	for (i = 0; i < sizeof(info) - oldsz; i++)
		EXPECT_EQ(0xa5, tail[i]) TH_LOG("byte %zu past argsz written",
						oldsz + i);
}

/*
 * The IOASID behind the container is the container's: /dev/ioasid's own
 * IOASID_DESTROY on the container's fd cannot take it from under the
 * mappings, before any device holds it, nor free its id for another
 * IOASID, which the container would then take for its own.
 */
TEST_F(container, container_ioasid_kept)
{
	unsigned int busy = 0;
	uint32_t id, mine;
	int ret;

	ASSERT_EQ(0, set_container(self));
	ASSERT_EQ(0, set_iommu(self->container_fd, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, type1_map_rw(self->container_fd, self->src, self->page,
				  SRC_IOVA));
	ASSERT_EQ(0, type1_map_rw(self->container_fd, self->dst, self->page,
				  DST_IOVA));
	for (id = 0; id < 16; id++) {
		ret = ioasid_destroy(self->container_fd, id);
		EXPECT_NE(0, ret) TH_LOG("IOASID_DESTROY of %u succeeded", id);
		if (ret == EBUSY)
			busy++;
		else
			EXPECT_EQ(ENOENT, ret);
	}
	EXPECT_EQ(1, busy);
	/* An IOASID of the caller's own comes and goes beside it. */
	ASSERT_EQ(0, ioasid_alloc(self->container_fd, &mine));
	EXPECT_EQ(0, ioasid_destroy(self->container_fd, mine));
	ASSERT_EQ(0, get_device_fd(self));
	ASSERT_EQ(0, edu_open(&self->edu, self->dev_fd));
	ASSERT_EQ(0, round_trip(self, 9));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
}

/* Two containers: each group in one, each with its own memory. */
TEST_F(container, containers_are_separate)
{
	int other = open(CONTAINER, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, container_ready(self));
	/* The other has no group, so no IOMMU type and no mappings. */
	EXPECT_EQ(EINVAL, set_iommu(other, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(EINVAL, type1_map_rw(other, self->src, self->page,
				       SRC_IOVA));
	EXPECT_EQ(EINVAL, ioctl(self->group_fd, VFIO_GROUP_SET_CONTAINER,
				&other) ? errno : 0);
	close(other);
	ASSERT_EQ(0, round_trip(self, 7));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
}

TEST_HARNESS_MAIN
