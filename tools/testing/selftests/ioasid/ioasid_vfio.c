// SPDX-License-Identifier: GPL-2.0-only
/*
 * A real device behind a real IOMMU: QEMU's edu DMA device, bound to
 * vfio-pci and reached through its VFIO cdev, which binds to a /dev/ioasid
 * file and attaches to its IOASIDs.  The device copies between RAM and its
 * own 4 KiB buffer, so every test checks where the data landed, or that it
 * did not, as well as the errno of each call.  A DMA the IOMMU blocks still
 * completes from the device's point of view; it moves no data, and the
 * IOMMU logs a fault, which is reported but not relied on.
 *
 * The IOMMU kind comes from the ioasid_iommu= kernel parameter, as in
 * ioasid_platform.c.  Where it cannot isolate MSIs (virtio-iommu without
 * interrupt remapping) binding needs the allow_unsafe_interrupts parameter
 * of the ioasid module, which the fixture sets and always clears again.
 *
 * Two tests take the iommufd path instead, an IOAS of /dev/iommu and
 * VFIO_DEVICE_BIND_IOMMUFD, to show it unchanged beside /dev/ioasid and
 * that a device fd bound one way refuses the other way's ioctls.  iommufd
 * has its own allow_unsafe_interrupts, which they set on virtio-iommu and
 * clear again, as teardown does when a test could not.
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
#include <sys/stat.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include <linux/iommufd.h>

#include "edu_vfio.h"
#include "ioasid_utils.h"
#include "ioasid_views.h"
#include "../kselftest_harness.h"

/* edu's DMA addresses have 28 bits. */
#define SRC_IOVA	SZ_1M
#define DST_IOVA	SZ_2M
/* How long an MSI may take to reach its eventfd, under TCG too. */
#define MSI_WAIT_MS	2000
/* A status bit of edu's that only a write to its raise register sets. */
#define MSI_RAISE_BIT	0x1

#define IOMMUFD_UNSAFE_PARAM \
	"/sys/module/iommufd/parameters/allow_unsafe_interrupts"
#define TAINTED		"/proc/sys/kernel/tainted"
#define TAINT_WARN	0x200UL	/* 1 << TAINT_WARN of linux/panic.h */

static int ioas_alloc(int fd, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int ret = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd) ? errno : 0;

	*id = cmd.out_ioas_id;
	return ret;
}

static int ioas_map_fixed(int fd, uint32_t id, void *va, uint64_t len,
			  uint64_t iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioctl(fd, IOMMU_IOAS_MAP, &cmd) ? errno : 0;
}

static int vfio_bind_iommufd(int dev_fd, int iommufd)
{
	struct vfio_device_bind_iommufd cmd = {
		.argsz = sizeof(cmd),
		.iommufd = iommufd,
	};

	return ioctl(dev_fd, VFIO_DEVICE_BIND_IOMMUFD, &cmd) ? errno : 0;
}

/* Attaches to the IOAS or HW pagetable @pt_id of the bound iommufd. */
static int vfio_attach_pt(int dev_fd, uint32_t pt_id)
{
	struct vfio_device_attach_iommufd_pt cmd = {
		.argsz = sizeof(cmd),
		.pt_id = pt_id,
	};

	return ioctl(dev_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &cmd) ? errno : 0;
}

static int vfio_detach_pt(int dev_fd)
{
	struct vfio_device_detach_iommufd_pt cmd = { .argsz = sizeof(cmd) };

	return ioctl(dev_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &cmd) ? errno : 0;
}

/* The kernel's taint flags, TAINT_WARN once anything WARNed. */
static int read_taint(unsigned long *taint)
{
	FILE *f = fopen(TAINTED, "r");
	int ret = 0;

	*taint = 0;
	if (!f)
		return errno;
	if (fscanf(f, "%lu", taint) != 1)
		ret = EIO;
	fclose(f);
	return ret;
}

/*
 * The intel-iommu debugfs of 6.12 (drivers/iommu/intel/debugfs.c), there
 * with CONFIG_INTEL_IOMMU_DEBUGFS.  INTEL_DEBUGFS/<PCI name>/
 * domain_translation_struct dumps the page table of the device's RID_PASID
 * (pasid 0; the per-PASID directories are for other PASIDs only):
 *
 *	"Device %04x:%02x:%02x.%x with pasid %x @0x%llx\n"	(scalable mode)
 *	"%-17s\t%-18s\t..."	the IOVA_PFN ... PTE header
 *	"0x%013lx |\t0x%016llx\t0x%016llx\t0x%016llx" the IOVA's page, PML5E,
 *	PML4E and PDPE, then "\t0x%016llx" for the PDE and for the PTE, each
 *	printed only when not a larger leaf above it: a line a present leaf,
 *	its last entry the leaf, the fifth for a 4 KiB page.
 */
#define INTEL_DEBUGFS	"/sys/kernel/debug/iommu/intel"
#define VTD_PAGE_SHIFT	12
#define VTD_PAGE_MASK	(~0xfffULL)
#define VTD_PTE_ADDR	0x000ffffffffff000ULL	/* bits 12..51 */
/* Second stage: read and write; first stage: present and read/write. */
#define VTD_PTE_RW	3ULL
#define VTD_4K_ENTRIES	5
#define VTD_MAX_LEAVES	8
/* Second stage: the device's DMA snoops whatever it asks for. */
#define VTD_PTE_SNP	0x800ULL	/* bit 11 */
/* Snoop control in the extended capabilities, which the sysfs shows. */
#define VTD_ECAP_SC	0x80ULL		/* bit 7 */
#define VTD_ECAP_PATH	"/sys/class/iommu/dmar0/intel-iommu/ecap"
/* The PASID Granular Translation Type, bits 8:6 of the entry's val[0]. */
#define PGTT_FL_ONLY	1
#define PGTT_SL_ONLY	2
#define PGTT_NESTED	3

struct vtd_leaf {
	uint64_t iova_pfn;
	uint64_t pte;		/* the last entry of the line */
	int entries;		/* VTD_4K_ENTRIES for a 4 KiB page */
};

struct vtd_table {
	bool header;		/* the "Device ... @0x" line, if any */
	unsigned int pasid;
	uint64_t pgd;		/* the table the PASID entry points at */
	unsigned int leaves;	/* leaf lines, even past VTD_MAX_LEAVES */
	struct vtd_leaf leaf[VTD_MAX_LEAVES];
	char other[256];	/* the first line not understood */
};

static void parse_leaf(const char *line, struct vtd_leaf *leaf)
{
	const char *p;
	char *end;
	uint64_t v;

	leaf->iova_pfn = strtoull(line, NULL, 16);
	leaf->pte = 0;
	leaf->entries = 0;
	for (p = strchr(line, '|'); p; p = end) {
		v = strtoull(p + 1, &end, 16);
		if (end == p + 1)
			break;
		leaf->pte = v;
		leaf->entries++;
	}
}

static int read_vtd_table(const char *path, struct vtd_table *t)
{
	FILE *f = fopen(path, "r");
	unsigned long long pgd;
	unsigned int pasid;
	char line[256];

	memset(t, 0, sizeof(*t));
	if (!f)
		return errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "Device %*x:%*x:%*x.%*x with pasid %x @0x%llx",
			   &pasid, &pgd) == 2) {
			t->header = true;
			t->pasid = pasid;
			t->pgd = pgd;
		} else if (!strncmp(line, "0x", 2) && strchr(line, '|')) {
			if (t->leaves < VTD_MAX_LEAVES)
				parse_leaf(line, &t->leaf[t->leaves]);
			t->leaves++;
		} else if (strncmp(line, "IOVA_PFN", 8) && !t->other[0]) {
			snprintf(t->other, sizeof(t->other), "%s", line);
		}
	}
	fclose(f);
	return 0;
}

/* The leaf of the table for @iova's page, or NULL. */
static const struct vtd_leaf *vtd_leaf_at(const struct vtd_table *t,
					  uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < t->leaves && i < VTD_MAX_LEAVES; i++)
		if (t->leaf[i].iova_pfn == iova >> VTD_PAGE_SHIFT)
			return &t->leaf[i];
	return NULL;
}

/*
 * The PGTT and page table pointer of the present PASID-table entry @pasid
 * of PCI device @dev, from INTEL_DEBUGFS/dmar_translation_struct, which
 * prints one line an entry in scalable mode:
 *
 *	"%02x:%02x.%x\t0x%016llx:0x%016llx\t0x%016llx:0x%016llx\t"
 *	"%-6d\t0x%016llx:0x%016llx:0x%016llx\n"
 *
 * bus, device, function, the root and context entries, the PASID, then
 * the entry's val[2]:val[1]:val[0].  The pointer is where debugfs.c finds
 * it: val[2] for first-stage only, val[0] for second-stage or nested.
 * @lines gets the lines that name the entry, 0 with ENOENT.
 */
static int read_pasid_entry(const char *dev, int pasid, unsigned int *pgtt,
			    uint64_t *ptr, int *lines)
{
	FILE *f = fopen(INTEL_DEBUGFS "/dmar_translation_struct", "r");
	unsigned int seg, bus, slot, fn, b, s, fu;
	unsigned long long rt[2], ctx[2], val[3];
	int p, ret = f ? 0 : errno;
	char line[512];

	*lines = 0;
	*pgtt = 0;
	*ptr = 0;
	if (!ret && sscanf(dev, "%x:%x:%x.%x", &seg, &bus, &slot, &fn) != 4)
		ret = EINVAL;
	while (!ret && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%x:%x.%x %llx:%llx %llx:%llx %d %llx:%llx:%llx",
			   &b, &s, &fu, &rt[1], &rt[0], &ctx[1], &ctx[0], &p,
			   &val[2], &val[1], &val[0]) != 11 ||
		    b != bus || s != slot || fu != fn || p != pasid)
			continue;
		(*lines)++;
		*pgtt = val[0] >> 6 & 7;
		if (*pgtt == PGTT_FL_ONLY)
			*ptr = val[2] & VTD_PAGE_MASK;
		else if (*pgtt == PGTT_SL_ONLY || *pgtt == PGTT_NESTED)
			*ptr = val[0] & VTD_PAGE_MASK;
	}
	if (f)
		fclose(f);
	if (!ret && !*lines)
		ret = ENOENT;
	return ret;
}

FIXTURE(vfio) {
	enum target target;
	char pci[32];		/* edu's PCI name, as 0000:00:03.0 */
	char cdev[64];		/* /dev/vfio/devices/vfioN of edu */
	int dev_fd;
	int ioasid_fd;
	int iommufd;		/* /dev/iommu, opened by open_iommufd() */
	struct edu edu;
	uint64_t page;
	uint8_t *src;		/* a pattern, for IOVA SRC_IOVA */
	uint8_t *dst;		/* zeroes, for IOVA DST_IOVA */
	char unsafe_default;	/* allow_unsafe_interrupts before setup */
	bool iommufd_unsafe;	/* iommufd's set by open_iommufd() */
};

static int open_fds(FIXTURE_DATA(vfio) *self)
{
	self->dev_fd = open(self->cdev, O_RDWR | O_CLOEXEC);
	if (self->dev_fd < 0)
		return errno;
	self->ioasid_fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	return self->ioasid_fd < 0 ? errno : 0;
}

static void close_fds(FIXTURE_DATA(vfio) *self)
{
	if (self->dev_fd >= 0)
		close(self->dev_fd);
	if (self->ioasid_fd >= 0)
		close(self->ioasid_fd);
	if (self->iommufd >= 0)
		close(self->iommufd);
	self->dev_fd = -1;
	self->ioasid_fd = -1;
	self->iommufd = -1;
}

/* Closes the device fd, which unbinds it, and opens the cdev again. */
static int reopen_dev(FIXTURE_DATA(vfio) *self)
{
	int ret = close(self->dev_fd) ? errno : 0;

	self->dev_fd = open(self->cdev, O_RDWR | O_CLOEXEC);
	if (self->dev_fd < 0)
		return errno;
	return ret;
}

/*
 * Opens /dev/iommu.  Where the IOMMU cannot isolate MSIs iommufd binds
 * only with its own allow_unsafe_interrupts, which this sets, after the
 * open, which loads iommufd if it is a module.
 */
static int open_iommufd(FIXTURE_DATA(vfio) *self)
{
	self->iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (self->iommufd < 0)
		return errno;
	if (self->target != TARGET_VIRTIO)
		return 0;
	self->iommufd_unsafe = true;
	return write_attr(IOMMUFD_UNSAFE_PARAM, "Y");
}

/* Clears what open_iommufd() set; bindings made meanwhile stay. */
static int iommufd_unsafe_off(FIXTURE_DATA(vfio) *self)
{
	if (!self->iommufd_unsafe)
		return 0;
	self->iommufd_unsafe = false;
	return write_attr(IOMMUFD_UNSAFE_PARAM, "N");
}

/* Binds the device fd to the ioasid fd and readies edu for DMA. */
static int bind_edu(FIXTURE_DATA(vfio) *self)
{
	int ret = vfio_bind(self->dev_fd, self->ioasid_fd);

	return ret ? ret : edu_open(&self->edu, self->dev_fd);
}

/* Maps the source and destination buffers into a new IOASID. */
static int alloc_mapped(FIXTURE_DATA(vfio) *self, uint32_t *id)
{
	int ret = ioasid_alloc(self->ioasid_fd, id);

	if (!ret)
		ret = map_fixed(self->ioasid_fd, *id, self->src, self->page,
				SRC_IOVA);
	if (!ret)
		ret = map_fixed(self->ioasid_fd, *id, self->dst, self->page,
				DST_IOVA);
	return ret;
}

static int bind_map_attach(FIXTURE_DATA(vfio) *self, uint32_t *id)
{
	int ret = bind_edu(self);

	if (!ret)
		ret = alloc_mapped(self, id);
	return ret ? ret : vfio_attach(self->dev_fd, *id);
}

/* The source buffer into the device and out to the destination buffer. */
static int round_trip(FIXTURE_DATA(vfio) *self)
{
	int ret = edu_from_ram(&self->edu, SRC_IOVA);

	return ret ? ret : edu_to_ram(&self->edu, DST_IOVA);
}

/*
 * A round trip of pattern @n, unlike what edu holds from the last: data
 * that did not come from the source cannot match it.
 */
static int fresh_round_trip(FIXTURE_DATA(vfio) *self, uint32_t n)
{
	fill(self->src, self->page, getpid() * 2654435761U + n);
	memset(self->dst, 0, self->page);
	return round_trip(self);
}

/* Binds the device fd to the iommufd and readies edu for DMA. */
static int bind_edu_iommufd(FIXTURE_DATA(vfio) *self)
{
	int ret = vfio_bind_iommufd(self->dev_fd, self->iommufd);

	return ret ? ret : edu_open(&self->edu, self->dev_fd);
}

/* Maps the source and destination buffers into a new IOAS. */
static int ioas_alloc_mapped(FIXTURE_DATA(vfio) *self, uint32_t *id)
{
	int ret = ioas_alloc(self->iommufd, id);

	if (!ret)
		ret = ioas_map_fixed(self->iommufd, *id, self->src, self->page,
				     SRC_IOVA);
	if (!ret)
		ret = ioas_map_fixed(self->iommufd, *id, self->dst, self->page,
				     DST_IOVA);
	return ret;
}

FIXTURE_SETUP(vfio)
{
	char edu[32], link[PATH_MAX];
	const char *driver;
	bool bound;
	int ret;

	self->dev_fd = -1;
	self->ioasid_fd = -1;
	self->iommufd = -1;
	self->iommufd_unsafe = false;
	if (geteuid())
		SKIP(return, "binding a device to vfio-pci needs root");
	self->target = read_target();
	self->page = sysconf(_SC_PAGESIZE);
	self->src = alloc_buf(self->page, 0, false);
	self->dst = alloc_buf(self->page, 0, false);
	ASSERT_NE(NULL, self->src);
	ASSERT_NE(NULL, self->dst);
	/* Each test its own pattern, unlike what edu holds from the last. */
	fill(self->src, self->page, getpid() * 2654435761U);

	ASSERT_EQ(0, edu_find(edu, sizeof(edu)))
		TH_LOG("no edu device (" EDU_ID ") on the PCI bus");
	snprintf(self->pci, sizeof(self->pci), "%s", edu);
	ret = edu_bind_vfio(edu, &bound, self->cdev, sizeof(self->cdev));
	driver = link_name(edu, "driver", link, sizeof(link));
	ASSERT_EQ(0, ret)
		TH_LOG("binding %s to vfio-pci, finding its cdev: %s (driver %s)",
		       edu, strerror(ret), driver ? driver : "none");
	ASSERT_EQ(0, open_fds(self)) TH_LOG("opening %s, /dev/ioasid",
					    self->cdev);

	if (read_unsafe(&self->unsafe_default))
		self->unsafe_default = 0;
	/* Last, as teardown only runs when setup finished. */
	if (self->target == TARGET_VIRTIO) {
		ASSERT_EQ(0, write_unsafe("Y"))
			TH_LOG("writing Y to " UNSAFE_PARAM);
	}
}

FIXTURE_TEARDOWN(vfio)
{
	close_fds(self);
	if (!access(UNSAFE_PARAM, F_OK)) {
		EXPECT_EQ(0, write_unsafe("N"))
			TH_LOG("writing N to " UNSAFE_PARAM);
	}
	EXPECT_EQ(0, iommufd_unsafe_off(self))
		TH_LOG("writing N to " IOMMUFD_UNSAFE_PARAM);
	munmap(self->src, self->page);
	munmap(self->dst, self->page);
}

TEST_F(vfio, bind_attach_dma_round_trip)
{
	uint32_t id, reg;

	ASSERT_EQ(0, bind_edu(self));
	/* BAR0 is reachable: edu's identification register. */
	ASSERT_EQ(0, edu_read(&self->edu, EDU_REG_ID, &reg, sizeof(reg)));
	EXPECT_EQ(0xedU, reg & 0xff);

	ASSERT_EQ(0, alloc_mapped(self, &id));
	ASSERT_EQ(0, vfio_attach(self->dev_fd, id));
	ASSERT_EQ(0, round_trip(self));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
	/* Only DMA_LEN bytes moved. */
	EXPECT_TRUE(all_bytes(self->dst + DMA_LEN, self->page - DMA_LEN, 0));
}

/*
 * Readies edu for DMA through sysfs, as a process could once no VFIO fd
 * holds it: BAR 0 mapped from resource0, memory decoding and bus
 * mastering set through config.  Returns the mapping's length in @len.
 */
static int edu_open_sysfs(struct edu *edu, const char *pci, size_t *len)
{
	const uint16_t want = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	char path[PATH_MAX];
	struct stat st;
	uint16_t cmd;
	int fd, ret;
	void *bar;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource0", pci);
	fd = open(path, O_RDWR | O_SYNC | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ret = fstat(fd, &st) ? errno : 0;
	*len = st.st_size;
	bar = ret ? MAP_FAILED : mmap(NULL, *len, PROT_READ | PROT_WRITE,
				      MAP_SHARED, fd, 0);
	if (!ret && bar == MAP_FAILED)
		ret = errno;
	close(fd);
	if (ret)
		return ret;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/config", pci);
	fd = open(path, O_RDWR | O_CLOEXEC);
	ret = fd < 0 ? errno : region_read(fd, PCI_COMMAND, &cmd, sizeof(cmd));
	cmd |= want;
	if (!ret)
		ret = region_write(fd, PCI_COMMAND, &cmd, sizeof(cmd));
	if (fd >= 0)
		close(fd);
	if (ret) {
		munmap(bar, *len);
		return ret;
	}
	edu->fd = -1;
	edu->bar = bar;
	return 0;
}

TEST_F(vfio, unmap_blocks_dma)
{
	char seen[2048];
	uint64_t out;
	uint32_t id;
	int kmsg;

	ASSERT_EQ(0, bind_map_attach(self, &id));
	ASSERT_EQ(0, round_trip(self));
	ASSERT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));

	ASSERT_EQ(0, unmap_range(self->ioasid_fd, id, DST_IOVA, self->page,
				 &out));
	EXPECT_EQ(self->page, out);
	memset(self->dst, 0x5a, self->page);
	kmsg = kmsg_open();
	ASSERT_EQ(0, edu_to_ram(&self->edu, DST_IOVA));
	EXPECT_TRUE(all_bytes(self->dst, self->page, 0x5a));
	if (kmsg_find_fault(kmsg, self->target, seen, sizeof(seen)))
		TH_LOG("the IOMMU logged: %s", seen);
	else
		TH_LOG("no IOMMU fault recognised in the kernel log: %s",
		       seen);
	if (kmsg >= 0)
		close(kmsg);

	/* The device still works: mapped again, the same DMA lands. */
	ASSERT_EQ(0, map_fixed(self->ioasid_fd, id, self->dst, self->page,
			       DST_IOVA));
	ASSERT_EQ(0, edu_to_ram(&self->edu, DST_IOVA));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
}

/*
 * None of the IOMMUs QEMU 7.2 emulates records dirty pages: dirty tracking
 * of an IOASID with edu attached is refused, changing nothing, and the
 * device still does DMA through it.
 */
TEST_F(vfio, dirty_tracking_refused)
{
	struct ioasid_option opt = {
		.op = IOASID_OPTION_SET,
		.option = IOASID_OPTION_DIRTY_TRACKING,
		.value = 1,
	};
	uint32_t id;

	ASSERT_EQ(0, bind_map_attach(self, &id));
	opt.object_id = id;
	EXPECT_EQ(EOPNOTSUPP, do_option(self->ioasid_fd, &opt));
	opt.op = IOASID_OPTION_GET;
	opt.value = UINT64_MAX;
	ASSERT_EQ(0, do_option(self->ioasid_fd, &opt));
	EXPECT_EQ(0ULL, opt.value);
	ASSERT_EQ(0, round_trip(self));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
}

TEST_F(vfio, replace_follows_new_table)
{
	uint8_t *dst_b = alloc_buf(self->page, 0, false);
	uint32_t a, b;

	ASSERT_NE(NULL, dst_b);
	ASSERT_EQ(0, bind_edu(self));
	ASSERT_EQ(0, alloc_mapped(self, &a));
	ASSERT_EQ(0, ioasid_alloc(self->ioasid_fd, &b));
	ASSERT_EQ(0, map_fixed(self->ioasid_fd, b, dst_b, self->page,
			       DST_IOVA));

	ASSERT_EQ(0, vfio_attach(self->dev_fd, a));
	ASSERT_EQ(0, round_trip(self));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
	EXPECT_TRUE(all_bytes(dst_b, self->page, 0));

	/* Attached already: the device moves to B's page table. */
	memset(self->dst, 0x5a, self->page);
	ASSERT_EQ(0, vfio_attach(self->dev_fd, b));
	ASSERT_EQ(0, edu_to_ram(&self->edu, DST_IOVA));
	EXPECT_EQ(0, memcmp(dst_b, self->src, DMA_LEN));
	EXPECT_TRUE(all_bytes(self->dst, self->page, 0x5a));

	/* A lost its device, B has it. */
	EXPECT_EQ(EBUSY, ioasid_destroy(self->ioasid_fd, b));
	EXPECT_EQ(0, ioasid_destroy(self->ioasid_fd, a));
	munmap(dst_b, self->page);
}

TEST_F(vfio, detach_blocks_dma)
{
	uint32_t id;

	ASSERT_EQ(0, bind_edu(self));
	ASSERT_EQ(0, alloc_mapped(self, &id));
	/* Bound but not attached yet, the device is blocked. */
	memset(self->dst, 0x5a, self->page);
	ASSERT_EQ(0, edu_to_ram(&self->edu, DST_IOVA));
	EXPECT_TRUE(all_bytes(self->dst, self->page, 0x5a));

	ASSERT_EQ(0, vfio_attach(self->dev_fd, id));
	ASSERT_EQ(0, round_trip(self));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));

	ASSERT_EQ(0, vfio_detach(self->dev_fd));
	memset(self->dst, 0x5a, self->page);
	ASSERT_EQ(0, edu_to_ram(&self->edu, DST_IOVA));
	EXPECT_TRUE(all_bytes(self->dst, self->page, 0x5a));

	/* The IOASID kept its mappings: attached again, the DMA lands. */
	ASSERT_EQ(0, vfio_attach(self->dev_fd, id));
	ASSERT_EQ(0, edu_to_ram(&self->edu, DST_IOVA));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
}

/*
 * Unbound, the device no longer reaches the IOASID it was attached to,
 * although that IOASID and its mappings live on; bound to its next
 * owner, it reaches nothing until that owner attaches it.  The DMA is
 * started through sysfs, which no binding governs; that it lands once
 * the next owner attaches shows that the DMA did run.
 */
TEST_F(vfio, unbind_blocks_dma)
{
	struct edu sysfs_edu;
	int kmsg, next_fd;
	char seen[2048];
	uint32_t id, next;
	size_t len;

	ASSERT_EQ(0, bind_map_attach(self, &id));
	ASSERT_EQ(0, fresh_round_trip(self, 1));
	ASSERT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));

	/* Closing the device fd unbinds it. */
	ASSERT_EQ(0, close(self->dev_fd));
	self->dev_fd = -1;
	ASSERT_EQ(0, edu_open_sysfs(&sysfs_edu, self->pci, &len));
	memset(self->dst, 0x5a, self->page);
	kmsg = kmsg_open();
	ASSERT_EQ(0, edu_to_ram(&sysfs_edu, DST_IOVA));
	EXPECT_TRUE(all_bytes(self->dst, self->page, 0x5a));
	if (kmsg_find_fault(kmsg, self->target, seen, sizeof(seen)))
		TH_LOG("the IOMMU logged: %s", seen);
	if (kmsg >= 0)
		close(kmsg);
	munmap(sysfs_edu.bar, len);

	/* The next owner: a new fd, the device bound and not attached. */
	next_fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, next_fd);
	self->dev_fd = open(self->cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev_fd);
	ASSERT_EQ(0, vfio_bind(self->dev_fd, next_fd));
	/* Binding enabled the device anew; let it decode and master again. */
	ASSERT_EQ(0, edu_open_sysfs(&sysfs_edu, self->pci, &len));
	ASSERT_EQ(0, edu_to_ram(&sysfs_edu, DST_IOVA));
	EXPECT_TRUE(all_bytes(self->dst, self->page, 0x5a));

	/* Once it attaches the device to an IOASID of its own, DMA lands. */
	ASSERT_EQ(0, ioasid_alloc(next_fd, &next));
	ASSERT_EQ(0, map_fixed(next_fd, next, self->dst, self->page,
			       DST_IOVA));
	ASSERT_EQ(0, vfio_attach(self->dev_fd, next));
	ASSERT_EQ(0, edu_to_ram(&sysfs_edu, DST_IOVA));
	EXPECT_FALSE(all_bytes(self->dst, self->page, 0x5a));
	/* The first IOASID kept its mappings, which nothing uses now. */
	EXPECT_EQ(0, ioasid_destroy(self->ioasid_fd, id));
	munmap(sysfs_edu.bar, len);
	ASSERT_EQ(0, reopen_dev(self));
	close(next_fd);
}

TEST_F(vfio, bind_errors)
{
	struct vfio_region_info info;
	int null_fd, other_fd, ret;
	uint32_t id, gone;
	uint16_t cmd;

	ASSERT_EQ(0, ioasid_alloc(self->ioasid_fd, &id));
	/* Before a bind the device fd refuses everything else. */
	EXPECT_EQ(EINVAL, vfio_attach(self->dev_fd, id));
	EXPECT_EQ(EINVAL, region_info(self->dev_fd,
				      VFIO_PCI_CONFIG_REGION_INDEX, &info));
	EXPECT_EQ(EINVAL, region_read(self->dev_fd, 0, &cmd, sizeof(cmd)));

	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, null_fd);
	EXPECT_EQ(EINVAL, vfio_bind(self->dev_fd, null_fd));
	close(null_fd);
	EXPECT_EQ(EBADF, vfio_bind(self->dev_fd, -1));
	ret = vfio_bind_flags(self->dev_fd, self->ioasid_fd, 1);
	EXPECT_TRUE(ret == EINVAL || ret == EOPNOTSUPP)
		TH_LOG("bind with unknown flags: %s", strerror(ret));
	/* Refused binds granted nothing. */
	EXPECT_EQ(EINVAL, region_info(self->dev_fd,
				      VFIO_PCI_CONFIG_REGION_INDEX, &info));

	ASSERT_EQ(0, bind_edu(self));
	ret = vfio_bind(self->dev_fd, self->ioasid_fd);
	EXPECT_TRUE(ret == EBUSY || ret == EINVAL)
		TH_LOG("second bind: %s", strerror(ret));
	/* Another open of the cdev cannot take the device either. */
	other_fd = open(self->cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other_fd);
	ret = vfio_bind(other_fd, self->ioasid_fd);
	EXPECT_TRUE(ret == EBUSY || ret == EINVAL)
		TH_LOG("bind of a second open: %s", strerror(ret));
	close(other_fd);

	ASSERT_EQ(0, ioasid_alloc(self->ioasid_fd, &gone));
	ASSERT_EQ(0, ioasid_destroy(self->ioasid_fd, gone));
	EXPECT_EQ(ENOENT, vfio_attach(self->dev_fd, gone));
	EXPECT_EQ(ENOENT, vfio_attach(self->dev_fd, gone + 1000));
	ret = vfio_attach_flags(self->dev_fd, id, 1);
	EXPECT_TRUE(ret == EINVAL || ret == EOPNOTSUPP)
		TH_LOG("attach with unknown flags: %s", strerror(ret));

	/* The first binding still stands. */
	EXPECT_EQ(0, vfio_attach(self->dev_fd, id));
	EXPECT_EQ(EBUSY, ioasid_destroy(self->ioasid_fd, id));
}

/*
 * The bind reports the binding's id, which IOASID_DEVICE_INFO takes; a
 * caller with the first, shorter struct binds as before and gets nothing
 * written past it.
 */
/* IOASID_ALLOC of a nested IOASID of VT-d's format for device @dev_id. */
static int nest_vtd_s1(FIXTURE_DATA(vfio) *self, uint32_t dev_id)
{
	struct ioasid_nest_vtd_s1 s1 = { .addr_width = 48 };
	struct ioasid_alloc alloc = {
		.size = sizeof(alloc),
		.flags = IOASID_ALLOC_NESTED,
		.dev_id = dev_id,
		.format = IOASID_NEST_FORMAT_VTD_S1,
		.data_len = sizeof(s1),
		.data = (uintptr_t)&s1,
	};
	int ret = ioasid_alloc(self->ioasid_fd, &alloc.parent);

	if (!ret)
		ret = ioctl(self->ioasid_fd, IOASID_ALLOC, &alloc) ? errno : 0;
	return ret;
}

/*
 * What edu's IOMMU reports of itself: VT-d its capability registers,
 * which say no nesting in QEMU 7.2; the others in 6.12 nothing, and the
 * caller's buffer is zeroed.
 */
static void check_hw_info(struct __test_metadata *_metadata,
			  FIXTURE_DATA(vfio) *self, uint32_t dev_id)
{
	struct ioasid_hw_info_vtd vtd;
	struct ioasid_device_info info = {
		.size = sizeof(info),
		.dev_id = dev_id,
		.hw_info_len = sizeof(vtd),
		.hw_info = (uintptr_t)&vtd,
	};

	memset(&vtd, 0xa5, sizeof(vtd));
	ASSERT_EQ(0, ioctl(self->ioasid_fd, IOASID_DEVICE_INFO, &info));
	if (self->target != TARGET_VTD) {
		EXPECT_EQ((uint32_t)IOASID_HW_INFO_NONE, info.out_hw_info_type);
		EXPECT_EQ(0U, info.hw_info_len);
		EXPECT_TRUE(all_bytes((const uint8_t *)&vtd, sizeof(vtd), 0));
		return;
	}
	EXPECT_EQ((uint32_t)IOASID_HW_INFO_VTD, info.out_hw_info_type);
	EXPECT_EQ(sizeof(vtd), info.hw_info_len);
	EXPECT_NE(0ULL, vtd.cap_reg);
	/* ecap.NEST, bit 26, which QEMU 7.2 does not set. */
	EXPECT_EQ(0ULL, vtd.ecap_reg & (1ULL << 26));
	EXPECT_EQ(0U, vtd.__reserved);
}

TEST_F(vfio, bind_reports_device_id)
{
	struct {
		struct vfio_device_bind_ioasid bind;
		uint32_t canary;
	} old = {
		.bind.argsz = offsetof(struct vfio_device_bind_ioasid,
				       out_dev_id),
		.bind.ioasid_fd = self->ioasid_fd,
		.bind.out_dev_id = 0xa5a5a5a5,
	};
	struct vfio_device_bind_ioasid bind = {
		.argsz = sizeof(bind),
		.ioasid_fd = self->ioasid_fd,
	};
	struct ioasid_device_info info;
	uint32_t id;

	ASSERT_EQ(0, ioctl(self->dev_fd, VFIO_DEVICE_BIND_IOASID, &old));
	EXPECT_EQ(0xa5a5a5a5, old.bind.out_dev_id);
	ASSERT_EQ(0, reopen_dev(self));

	ASSERT_EQ(0, ioctl(self->dev_fd, VFIO_DEVICE_BIND_IOASID, &bind));
	ASSERT_NE(0, bind.out_dev_id);
	ASSERT_EQ(0, device_info(self->ioasid_fd, bind.out_dev_id, &info));
	/* QEMU's IOMMUs snoop and track no dirty pages; edu has no PASIDs. */
	EXPECT_EQ(IOASID_DEVICE_OWNED | IOASID_DEVICE_COHERENT,
		  info.out_flags & ~IOASID_DEVICE_NO_SNOOP_REFUSED);
	EXPECT_EQ(0, info.out_max_pasids);
	EXPECT_EQ(0, info.out_ioasid);
	/* Nor do they offer nesting: no format, and no nested IOASID. */
	EXPECT_EQ(0ULL, info.out_nest_formats);
	EXPECT_EQ(EOPNOTSUPP, nest_vtd_s1(self, bind.out_dev_id));
	check_hw_info(_metadata, self, bind.out_dev_id);

	ASSERT_EQ(0, edu_open(&self->edu, self->dev_fd));
	ASSERT_EQ(0, alloc_mapped(self, &id));
	ASSERT_EQ(0, vfio_attach(self->dev_fd, id));
	ASSERT_EQ(0, device_info(self->ioasid_fd, bind.out_dev_id, &info));
	EXPECT_NE(0, info.out_flags & IOASID_DEVICE_ATTACHED);
	EXPECT_EQ(id, info.out_ioasid);
	ASSERT_EQ(0, round_trip(self));

	/* Closing the device fd unbinds it, and its id goes. */
	ASSERT_EQ(0, reopen_dev(self));
	EXPECT_EQ(ENOENT, device_info(self->ioasid_fd, bind.out_dev_id,
				      &info));
}

/*
 * A device behind another IOMMU in the same IOASID, attached after edu and
 * before it: each gets a table of its own driver, and both DMA.
 */
TEST_F(vfio, mock_device_beside_edu)
{
	uint32_t first, second, mock;
	struct view_fdinfo fi = {};
	uint8_t byte;

	if (mock_device(self->ioasid_fd, &mock))
		SKIP(return, "no mock IOMMU: needs CONFIG_DEV_IOASID_TEST");
	ASSERT_EQ(0, bind_edu(self));
	ASSERT_EQ(0, alloc_mapped(self, &first));
	ASSERT_EQ(0, vfio_attach(self->dev_fd, first));
	ASSERT_EQ(0, mock_attach(self->ioasid_fd, mock, first));
	ASSERT_EQ(0, fresh_round_trip(self, 1));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
	ASSERT_EQ(0, do_dma(self->ioasid_fd, mock, 0, SRC_IOVA, &byte, 1, 0,
			    NULL));
	EXPECT_EQ(self->src[0], byte);
	ASSERT_EQ(0, fdinfo_read(getpid(), self->ioasid_fd, &fi));
	EXPECT_EQ(0, fdinfo_check(&fi));
	ASSERT_NE(NULL, fdinfo_ioas(&fi, first));
	EXPECT_EQ(2ULL, fdinfo_ioas(&fi, first)->tables);
	fdinfo_free(&fi);

	/* The other order: the mock's table first, then edu moves in. */
	ASSERT_EQ(0, alloc_mapped(self, &second));
	ASSERT_EQ(0, mock_attach(self->ioasid_fd, mock, second));
	ASSERT_EQ(0, vfio_attach(self->dev_fd, second));
	ASSERT_EQ(0, fresh_round_trip(self, 2));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
}

TEST_F(vfio, msi_isolation_opt_in)
{
	struct vfio_region_info info;
	uint32_t id;
	char value;

	if (self->target == TARGET_OTHER)
		SKIP(return, "no known ioasid_iommu= on the kernel command line");
	EXPECT_EQ('N', self->unsafe_default);
	if (self->target != TARGET_VIRTIO) {
		/* This IOMMU isolates MSIs: no opt-in needed. */
		ASSERT_EQ(0, read_unsafe(&value));
		ASSERT_EQ('N', value);
		ASSERT_EQ(0, bind_edu(self));
		return;
	}

	ASSERT_EQ(0, write_unsafe("N"));
	ASSERT_EQ(0, read_unsafe(&value));
	ASSERT_EQ('N', value);
	EXPECT_EQ(EPERM, vfio_bind(self->dev_fd, self->ioasid_fd));
	EXPECT_EQ(EINVAL, region_info(self->dev_fd,
				      VFIO_PCI_CONFIG_REGION_INDEX, &info));

	ASSERT_EQ(0, write_unsafe("Y"));
	ASSERT_EQ(0, bind_map_attach(self, &id));
	ASSERT_EQ(0, round_trip(self));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
	EXPECT_EQ(0, write_unsafe("N"));
	EXPECT_EQ(0, read_unsafe(&value));
	EXPECT_EQ('N', value);
}

TEST_F(vfio, close_order)
{
	uint32_t id;

	/* The ioasid fd first: the binding keeps its context alive. */
	ASSERT_EQ(0, bind_map_attach(self, &id));
	EXPECT_EQ(0, close(self->ioasid_fd));
	self->ioasid_fd = -1;
	EXPECT_EQ(0, close(self->dev_fd));
	self->dev_fd = -1;
	/* Both gone, the device is free for a new owner. */
	ASSERT_EQ(0, open_fds(self));
	ASSERT_EQ(0, bind_map_attach(self, &id));

	/* The device fd first. */
	EXPECT_EQ(0, close(self->dev_fd));
	self->dev_fd = -1;
	EXPECT_EQ(0, close(self->ioasid_fd));
	self->ioasid_fd = -1;
	ASSERT_EQ(0, open_fds(self));
	ASSERT_EQ(0, bind_map_attach(self, &id));
	ASSERT_EQ(0, round_trip(self));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
}

TEST_F(vfio, destroy_while_attached)
{
	uint32_t id;

	ASSERT_EQ(0, bind_map_attach(self, &id));
	ASSERT_EQ(0, round_trip(self));
	ASSERT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));

	EXPECT_EQ(EBUSY, ioasid_destroy(self->ioasid_fd, id));
	/* Refused, the IOASID kept its mappings and its device. */
	memset(self->dst, 0, self->page);
	ASSERT_EQ(0, edu_to_ram(&self->edu, DST_IOVA));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));

	ASSERT_EQ(0, vfio_detach(self->dev_fd));
	EXPECT_EQ(0, ioasid_destroy(self->ioasid_fd, id));
	EXPECT_EQ(ENOENT, ioasid_destroy(self->ioasid_fd, id));
	EXPECT_EQ(ENOENT, vfio_attach(self->dev_fd, id));
}

/* The pagetable pointer of the device's RID_PASID entry, read twice. */
static int rid_pasid_ptr(const char *dev, unsigned int *pgtt, uint64_t *ptr)
{
	uint64_t again;
	int lines, ret;

	ret = read_pasid_entry(dev, 0, pgtt, ptr, &lines);
	if (!ret && lines != 1)
		ret = EEXIST;
	if (!ret)
		ret = read_pasid_entry(dev, 0, pgtt, &again, &lines);
	if (!ret && again != *ptr)
		ret = EAGAIN;
	return ret;
}

/*
 * Through the intel-iommu debugfs, the device's scalable-mode translation,
 * the page table its RID_PASID entry points at, holds our IOASID's
 * mappings, to the frames of our buffers, and nothing else; and follows
 * an unmap and a move to another IOASID.
 */
TEST_F(vfio, vtd_table_holds_our_mappings)
{
	uint8_t *src_b = alloc_buf(self->page, 0, false);
	uint64_t src_pfn, dst_pfn, b_pfn, out, ptr_a, ptr_b;
	char edu[32], path[PATH_MAX];
	const struct vtd_leaf *leaf;
	unsigned int pgtt;
	struct vtd_table t;
	uint32_t a, b;

	ASSERT_NE(NULL, src_b);
	if (self->target != TARGET_VTD) {
		munmap(src_b, self->page);
		SKIP(return, "the intel-iommu debugfs is the vtd target's");
	}
	ASSERT_EQ(0, edu_find(edu, sizeof(edu)));
	snprintf(path, sizeof(path), INTEL_DEBUGFS "/%s/domain_translation_struct",
		 edu);
	/* Not a skip: qemu/arch/x86_64.config asks for these files. */
	ASSERT_EQ(0, access(path, R_OK))
		TH_LOG("%s: %s (CONFIG_INTEL_IOMMU_DEBUGFS?)", path,
		       strerror(errno));
	ASSERT_EQ(0, access(INTEL_DEBUGFS "/dmar_translation_struct", R_OK))
		TH_LOG(INTEL_DEBUGFS "/dmar_translation_struct: %s",
		       strerror(errno));

	/* Attached and proven by a DMA, the table holds A's two pages. */
	ASSERT_EQ(0, bind_map_attach(self, &a));
	ASSERT_EQ(0, round_trip(self));
	ASSERT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
	/* Pinned by the mappings, the frames stay. */
	ASSERT_EQ(0, page_frame(self->src, &src_pfn));
	ASSERT_EQ(0, page_frame(self->dst, &dst_pfn));
	ASSERT_EQ(0, read_vtd_table(path, &t));
	ASSERT_TRUE(t.header)
		TH_LOG("no scalable-mode table shown: %s", t.other);
	EXPECT_EQ(0U, t.pasid);
	EXPECT_EQ(2U, t.leaves)
		TH_LOG("the table holds more or less than A's two pages");
	leaf = vtd_leaf_at(&t, SRC_IOVA);
	ASSERT_NE(NULL, leaf) TH_LOG("no line for IOVA 0x%llx",
				     (unsigned long long)SRC_IOVA);
	EXPECT_EQ(src_pfn << VTD_PAGE_SHIFT, leaf->pte & VTD_PTE_ADDR);
	EXPECT_EQ(VTD_PTE_RW, leaf->pte & VTD_PTE_RW);
	EXPECT_EQ(VTD_4K_ENTRIES, leaf->entries);
	TH_LOG("%s pasid %u @0x%llx: IOVA 0x%llx PTE 0x%016llx, src frame 0x%llx",
	       edu, t.pasid, (unsigned long long)t.pgd,
	       (unsigned long long)SRC_IOVA, (unsigned long long)leaf->pte,
	       (unsigned long long)src_pfn);
	leaf = vtd_leaf_at(&t, DST_IOVA);
	ASSERT_NE(NULL, leaf) TH_LOG("no line for IOVA 0x%llx",
				     (unsigned long long)DST_IOVA);
	EXPECT_EQ(dst_pfn << VTD_PAGE_SHIFT, leaf->pte & VTD_PTE_ADDR);
	EXPECT_EQ(VTD_PTE_RW, leaf->pte & VTD_PTE_RW);

	/* The RID_PASID entry points at that table, steadily. */
	ASSERT_EQ(0, rid_pasid_ptr(edu, &pgtt, &ptr_a))
		TH_LOG("%s: no single steady pasid 0 entry in %s", edu,
		       INTEL_DEBUGFS "/dmar_translation_struct");
	EXPECT_EQ(t.pgd, ptr_a);
	TH_LOG("dmar_translation_struct: %s pasid 0 PGTT %u table 0x%llx",
	       edu, pgtt, (unsigned long long)ptr_a);

	/* Unmapped, the source page's leaf is gone, the other stays. */
	ASSERT_EQ(0, unmap_range(self->ioasid_fd, a, SRC_IOVA, self->page,
				 &out));
	EXPECT_EQ(self->page, out);
	ASSERT_EQ(0, read_vtd_table(path, &t));
	ASSERT_TRUE(t.header) TH_LOG("no table shown: %s", t.other);
	EXPECT_EQ(ptr_a, t.pgd);
	EXPECT_EQ(NULL, vtd_leaf_at(&t, SRC_IOVA));
	EXPECT_EQ(1U, t.leaves);
	EXPECT_NE(NULL, vtd_leaf_at(&t, DST_IOVA));

	/* Moved to B, another buffer at the same IOVA, the table is B's. */
	ASSERT_EQ(0, ioasid_alloc(self->ioasid_fd, &b));
	ASSERT_EQ(0, map_fixed(self->ioasid_fd, b, src_b, self->page,
			       SRC_IOVA));
	ASSERT_EQ(0, page_frame(src_b, &b_pfn));
	ASSERT_NE(src_pfn, b_pfn);
	ASSERT_EQ(0, vfio_attach(self->dev_fd, b));
	ASSERT_EQ(0, read_vtd_table(path, &t));
	ASSERT_TRUE(t.header) TH_LOG("no table shown: %s", t.other);
	EXPECT_NE(ptr_a, t.pgd);
	EXPECT_EQ(1U, t.leaves) TH_LOG("B's table holds more than its page");
	leaf = vtd_leaf_at(&t, SRC_IOVA);
	ASSERT_NE(NULL, leaf) TH_LOG("no line for IOVA 0x%llx in B's table",
				     (unsigned long long)SRC_IOVA);
	EXPECT_EQ(b_pfn << VTD_PAGE_SHIFT, leaf->pte & VTD_PTE_ADDR);
	EXPECT_EQ(VTD_PTE_RW, leaf->pte & VTD_PTE_RW);
	TH_LOG("moved: @0x%llx: IOVA 0x%llx PTE 0x%016llx, B's frame 0x%llx",
	       (unsigned long long)t.pgd, (unsigned long long)SRC_IOVA,
	       (unsigned long long)leaf->pte, (unsigned long long)b_pfn);
	ASSERT_EQ(0, rid_pasid_ptr(edu, &pgtt, &ptr_b));
	EXPECT_EQ(t.pgd, ptr_b);
	EXPECT_NE(ptr_a, ptr_b);
	TH_LOG("dmar_translation_struct: pasid 0 PGTT %u table 0x%llx, was 0x%llx",
	       pgtt, (unsigned long long)ptr_b, (unsigned long long)ptr_a);
	munmap(src_b, self->page);
}

/* The extended capabilities of the first VT-d unit, or 0. */
static uint64_t vtd_ecap(void)
{
	unsigned long long ecap = 0;
	FILE *f = fopen(VTD_ECAP_PATH, "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llx", &ecap) != 1)
		ecap = 0;
	fclose(f);
	return ecap;
}

/*
 * VFIO tells KVM that a device is coherent when its IOMMU can refuse
 * no-snoop DMA, so that is what the device's table must do: with snoop
 * control, every leaf of the second-stage table has its snoop bit, the
 * leaves filled at attach and those mapped later alike.
 */
TEST_F(vfio, vtd_table_refuses_no_snoop)
{
	char edu[32], path[PATH_MAX];
	const struct vtd_leaf *leaf;
	struct vtd_table t;
	uint32_t a;

	if (self->target != TARGET_VTD)
		SKIP(return, "the intel-iommu debugfs is the vtd target's");
	/* Not a skip: qemu/Makefile asks QEMU for snoop control. */
	ASSERT_TRUE(vtd_ecap() & VTD_ECAP_SC)
		TH_LOG("%s: 0x%llx, no snoop control", VTD_ECAP_PATH,
		       (unsigned long long)vtd_ecap());
	ASSERT_EQ(0, edu_find(edu, sizeof(edu)));
	snprintf(path, sizeof(path), INTEL_DEBUGFS "/%s/domain_translation_struct",
		 edu);

	/* The source is there before the attach, the destination after. */
	ASSERT_EQ(0, bind_edu(self));
	ASSERT_EQ(0, ioasid_alloc(self->ioasid_fd, &a));
	ASSERT_EQ(0, map_fixed(self->ioasid_fd, a, self->src, self->page,
			       SRC_IOVA));
	ASSERT_EQ(0, vfio_attach(self->dev_fd, a));
	ASSERT_EQ(0, map_fixed(self->ioasid_fd, a, self->dst, self->page,
			       DST_IOVA));
	ASSERT_EQ(0, fresh_round_trip(self, 1));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));

	ASSERT_EQ(0, read_vtd_table(path, &t));
	ASSERT_TRUE(t.header) TH_LOG("no table shown: %s", t.other);
	leaf = vtd_leaf_at(&t, SRC_IOVA);
	ASSERT_NE(NULL, leaf);
	EXPECT_EQ(VTD_PTE_SNP, leaf->pte & VTD_PTE_SNP)
		TH_LOG("filled at attach: PTE 0x%016llx",
		       (unsigned long long)leaf->pte);
	leaf = vtd_leaf_at(&t, DST_IOVA);
	ASSERT_NE(NULL, leaf);
	EXPECT_EQ(VTD_PTE_SNP, leaf->pte & VTD_PTE_SNP)
		TH_LOG("mapped after attach: PTE 0x%016llx",
		       (unsigned long long)leaf->pte);
}

/* The iommufd path, with the same device and IOVAs, works as before. */
TEST_F(vfio, iommufd_path_still_works)
{
	uint32_t ioas, reg;

	ASSERT_EQ(0, open_iommufd(self))
		TH_LOG("opening /dev/iommu, or writing Y to "
		       IOMMUFD_UNSAFE_PARAM);
	ASSERT_EQ(0, bind_edu_iommufd(self));
	ASSERT_EQ(0, edu_read(&self->edu, EDU_REG_ID, &reg, sizeof(reg)));
	EXPECT_EQ(0xedU, reg & 0xff);

	ASSERT_EQ(0, ioas_alloc_mapped(self, &ioas));
	ASSERT_EQ(0, vfio_attach_pt(self->dev_fd, ioas));
	ASSERT_EQ(0, round_trip(self));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
	EXPECT_TRUE(all_bytes(self->dst + DMA_LEN, self->page - DMA_LEN, 0));
	EXPECT_EQ(0, iommufd_unsafe_off(self));
}

TEST_F(vfio, paths_exclude_each_other)
{
	unsigned long taint, tainted;
	int other_fd, ret;
	uint32_t id, ioas;

	ASSERT_EQ(0, open_iommufd(self))
		TH_LOG("opening /dev/iommu, or writing Y to "
		       IOMMUFD_UNSAFE_PARAM);
	ASSERT_EQ(0, ioas_alloc_mapped(self, &ioas));
	ASSERT_EQ(0, alloc_mapped(self, &id));

	/* Bound to /dev/ioasid, the device fd refuses iommufd's ioctls, */
	ASSERT_EQ(0, bind_edu(self));
	ASSERT_EQ(0, read_taint(&taint));
	EXPECT_EQ(EINVAL, vfio_bind_iommufd(self->dev_fd, self->iommufd));
	EXPECT_EQ(EINVAL, vfio_attach_pt(self->dev_fd, ioas));
	EXPECT_EQ(EINVAL, vfio_detach_pt(self->dev_fd));
	/* as errors, not WARNs of the physical attach and detach. */
	ASSERT_EQ(0, read_taint(&tainted));
	EXPECT_EQ(0UL, ~taint & tainted & TAINT_WARN)
		TH_LOG("the kernel WARNed: see its log");
	if (taint & TAINT_WARN)
		TH_LOG("the kernel had WARNed before: a new WARN goes unseen");
	/* Another open of the cdev cannot take the device through iommufd. */
	other_fd = open(self->cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other_fd);
	ret = vfio_bind_iommufd(other_fd, self->iommufd);
	EXPECT_TRUE(ret == EBUSY || ret == EINVAL)
		TH_LOG("iommufd bind of a second open: %s", strerror(ret));
	close(other_fd);
	/* The binding still stands. */
	ASSERT_EQ(0, vfio_attach(self->dev_fd, id));
	ASSERT_EQ(0, fresh_round_trip(self, 1));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));

	/* Closed, the device binds to iommufd, which shuts /dev/ioasid out. */
	ASSERT_EQ(0, reopen_dev(self));
	ASSERT_EQ(0, bind_edu_iommufd(self));
	ret = vfio_bind(self->dev_fd, self->ioasid_fd);
	EXPECT_TRUE(ret == EBUSY || ret == EINVAL)
		TH_LOG("ioasid bind of an iommufd-bound fd: %s", strerror(ret));
	EXPECT_EQ(EINVAL, vfio_attach(self->dev_fd, id));
	EXPECT_EQ(EINVAL, vfio_detach(self->dev_fd));
	other_fd = open(self->cdev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, other_fd);
	ret = vfio_bind(other_fd, self->ioasid_fd);
	EXPECT_TRUE(ret == EBUSY || ret == EINVAL)
		TH_LOG("ioasid bind of a second open: %s", strerror(ret));
	close(other_fd);
	ASSERT_EQ(0, vfio_attach_pt(self->dev_fd, ioas));
	ASSERT_EQ(0, fresh_round_trip(self, 2));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));

	/* Closed again, the device goes back to /dev/ioasid and its IOASID. */
	ASSERT_EQ(0, reopen_dev(self));
	ASSERT_EQ(0, bind_edu(self));
	ASSERT_EQ(0, vfio_attach(self->dev_fd, id));
	ASSERT_EQ(0, fresh_round_trip(self, 3));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));
	EXPECT_EQ(0, iommufd_unsafe_off(self));
}

/*
 * Raises edu's interrupt by a write to its raise register, then by a copy
 * out to DST_IOVA that asks for one when done: each must reach the
 * eventfd @efd, and is acknowledged.  *@how names the trigger that did
 * not, which the IOMMU may have logged as a fault; its record goes to
 * @seen.
 */
static int msi_fires(FIXTURE_DATA(vfio) *self, int efd, const char **how,
		     char *seen, size_t len)
{
	uint32_t status;
	int kmsg, ret;

	/*
	 * Nothing raised or counted before the trigger, as by a test that
	 * failed, may pass for its interrupt.
	 */
	eventfd_wait(efd, 0);
	seen[0] = 0;
	kmsg = kmsg_open();
	*how = "acknowledging what was raised before";
	ret = edu_ack(&self->edu, &status);
	if (!ret) {
		*how = "a write to the raise register";
		ret = edu_raise(&self->edu, MSI_RAISE_BIT);
	}
	if (!ret)
		ret = eventfd_wait(efd, MSI_WAIT_MS);
	if (!ret)
		ret = edu_ack(&self->edu, &status);
	if (!ret && status != MSI_RAISE_BIT)
		ret = EPROTO;
	if (!ret) {
		*how = "a DMA with the raise command bit";
		memset(self->dst, 0, self->page);
		ret = edu_from_ram(&self->edu, SRC_IOVA);
	}
	if (!ret)
		ret = edu_dma(&self->edu, EDU_BUF, DST_IOVA,
			      EDU_CMD_TO_RAM | EDU_CMD_IRQ);
	if (!ret)
		ret = eventfd_wait(efd, MSI_WAIT_MS);
	if (!ret)
		ret = edu_ack(&self->edu, &status);
	if (!ret && status != EDU_IRQ_DMA)
		ret = EPROTO;
	if (!ret && memcmp(self->dst, self->src, DMA_LEN))
		ret = EIO;
	if (ret)
		kmsg_find_fault(kmsg, self->target, seen, len);
	if (kmsg >= 0)
		close(kmsg);
	return ret;
}

/*
 * edu's MSI, enabled through VFIO_DEVICE_SET_IRQS once the device is
 * attached to an IOASID, reaches its eventfd.  Where the IOMMU translates
 * MSIs through a software-managed window (SMMUv3 with a GICv3 ITS), that
 * needs the window's cookie on the IOASID's page table.
 */
TEST_F(vfio, msi_reaches_eventfd)
{
	const char *how;
	char seen[2048];
	uint32_t id;
	int efd, ret;

	ASSERT_EQ(0, bind_map_attach(self, &id));
	ASSERT_EQ(0, edu_msi_enable(self->dev_fd, &efd));
	ret = msi_fires(self, efd, &how, seen, sizeof(seen));
	EXPECT_EQ(0, ret) TH_LOG("MSI by %s: %s; the kernel logged: %s", how,
				 strerror(ret), seen);
	/* Disabled, the next raise signals nothing. */
	ASSERT_EQ(0, edu_msi_disable(self->dev_fd, efd));
	ASSERT_EQ(0, edu_msi_enable(self->dev_fd, &efd));
	ret = msi_fires(self, efd, &how, seen, sizeof(seen));
	EXPECT_EQ(0, ret) TH_LOG("re-enabled, MSI by %s: %s; logged: %s", how,
				 strerror(ret), seen);
	EXPECT_EQ(0, edu_msi_disable(self->dev_fd, efd));
}

/* The same device, IOVAs and MSI through iommufd, in the same boot. */
TEST_F(vfio, iommufd_msi_reaches_eventfd)
{
	const char *how;
	char seen[2048];
	uint32_t ioas;
	int efd, ret;

	ASSERT_EQ(0, open_iommufd(self))
		TH_LOG("opening /dev/iommu, or writing Y to "
		       IOMMUFD_UNSAFE_PARAM);
	ASSERT_EQ(0, bind_edu_iommufd(self));
	ASSERT_EQ(0, ioas_alloc_mapped(self, &ioas));
	ASSERT_EQ(0, vfio_attach_pt(self->dev_fd, ioas));
	ASSERT_EQ(0, edu_msi_enable(self->dev_fd, &efd));
	ret = msi_fires(self, efd, &how, seen, sizeof(seen));
	EXPECT_EQ(0, ret) TH_LOG("MSI by %s: %s; the kernel logged: %s", how,
				 strerror(ret), seen);
	EXPECT_EQ(0, edu_msi_disable(self->dev_fd, efd));
	EXPECT_EQ(0, iommufd_unsafe_off(self));
}

/*
 * A device moved to another IOASID with its MSI enabled.  Where MSIs are
 * not translated (VT-d's interrupt range, virtio-iommu's bypassed MSI
 * region) they keep working.  Where the IOMMU translates them (SMMUv3),
 * the doorbell was mapped only into the table the device had when its
 * MSI was enabled: Documentation/driver-api/ioasid.rst says what holds.
 * Disabled and enabled again, the MSI works in the new table everywhere.
 */
TEST_F(vfio, msi_after_move)
{
	uint32_t a, b;
	const char *how;
	char seen[2048];
	int efd, ret;

	ASSERT_EQ(0, bind_map_attach(self, &a));
	ASSERT_EQ(0, alloc_mapped(self, &b));
	ASSERT_EQ(0, edu_msi_enable(self->dev_fd, &efd));
	ret = msi_fires(self, efd, &how, seen, sizeof(seen));
	ASSERT_EQ(0, ret) TH_LOG("in A, MSI by %s: %s; logged: %s", how,
				 strerror(ret), seen);

	ASSERT_EQ(0, vfio_attach(self->dev_fd, b));
	ret = msi_fires(self, efd, &how, seen, sizeof(seen));
	if (self->target == TARGET_SMMUV3)
		TH_LOG("moved to B with MSI enabled, MSI by %s: %s%s%s", how,
		       ret ? strerror(ret) : "delivered", ret ? "; logged: " : "",
		       ret ? seen : "");
	else
		EXPECT_EQ(0, ret) TH_LOG("moved to B, MSI by %s: %s; logged: %s",
					 how, strerror(ret), seen);

	/* Enabled again in B, the MSI is composed for B's table. */
	ASSERT_EQ(0, edu_msi_disable(self->dev_fd, efd));
	ASSERT_EQ(0, edu_msi_enable(self->dev_fd, &efd));
	ret = msi_fires(self, efd, &how, seen, sizeof(seen));
	EXPECT_EQ(0, ret) TH_LOG("re-enabled in B, MSI by %s: %s; logged: %s",
				 how, strerror(ret), seen);
	EXPECT_EQ(0, edu_msi_disable(self->dev_fd, efd));
}

/*
 * What include/uapi/linux/vfio.h promises where a reader could guess
 * either way.  Until the bind, the device fd refuses every other ioctl,
 * read, write and mmap with EINVAL (VFIO's answer for a cdev not bound
 * yet); after a bind alone, with no attach, its regions are reachable.
 */
TEST_F(vfio, doc_unbound_fd_refuses_with_einval)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info config;
	uint16_t vendor = 0;
	void *bar;

	EXPECT_EQ(-1, ioctl(self->dev_fd, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(EINVAL, region_read(self->dev_fd, 0, &vendor,
				      sizeof(vendor)));
	EXPECT_EQ(EINVAL, region_write(self->dev_fd, 0, &vendor,
				       sizeof(vendor)));
	bar = mmap(NULL, self->page, PROT_READ, MAP_SHARED, self->dev_fd, 0);
	EXPECT_EQ(MAP_FAILED, bar);
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(EINVAL, vfio_detach(self->dev_fd));

	ASSERT_EQ(0, vfio_bind(self->dev_fd, self->ioasid_fd));
	EXPECT_EQ(0, ioctl(self->dev_fd, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(0, region_info(self->dev_fd, VFIO_PCI_CONFIG_REGION_INDEX,
				 &config));
	EXPECT_EQ(0, region_read(self->dev_fd, config.offset, &vendor,
				 sizeof(vendor)));
	EXPECT_EQ(0x1234, vendor);	/* QEMU's vendor id, edu's */
}

/*
 * The five ioctls follow VFIO's argsz rule, not /dev/ioasid's size
 * rule: argsz at least the struct, bytes past it neither read nor
 * checked; EINVAL for a short argsz and for flags or reserved bits.
 * DETACH of a device that is not attached succeeds, also twice.
 */
TEST_F(vfio, doc_argsz_flags_and_detach_rules)
{
	struct {
		struct vfio_device_attach_ioasid cmd;
		uint64_t tail;
	} attach = { .tail = ~0ULL };
	struct {
		struct vfio_device_detach_ioasid cmd;
		uint64_t tail;
	} detach = { .tail = ~0ULL };
	uint32_t id;

	ASSERT_EQ(0, bind_edu(self));
	EXPECT_EQ(0, vfio_detach(self->dev_fd));
	EXPECT_EQ(0, vfio_detach(self->dev_fd));
	ASSERT_EQ(0, alloc_mapped(self, &id));

	attach.cmd.ioasid = id;
	attach.cmd.argsz = sizeof(attach.cmd) - 1;
	EXPECT_EQ(-1, ioctl(self->dev_fd, VFIO_DEVICE_ATTACH_IOASID, &attach));
	EXPECT_EQ(EINVAL, errno);
	attach.cmd.argsz = sizeof(attach);
	attach.cmd.flags = 1;
	EXPECT_EQ(-1, ioctl(self->dev_fd, VFIO_DEVICE_ATTACH_IOASID, &attach));
	EXPECT_EQ(EINVAL, errno);
	attach.cmd.flags = 0;
	attach.cmd.__reserved = 1;
	EXPECT_EQ(-1, ioctl(self->dev_fd, VFIO_DEVICE_ATTACH_IOASID, &attach));
	EXPECT_EQ(EINVAL, errno);
	attach.cmd.__reserved = 0;
	EXPECT_EQ(0, ioctl(self->dev_fd, VFIO_DEVICE_ATTACH_IOASID, &attach));
	ASSERT_EQ(0, round_trip(self));
	EXPECT_EQ(0, memcmp(self->dst, self->src, DMA_LEN));

	detach.cmd.argsz = sizeof(detach.cmd) - 1;
	EXPECT_EQ(-1, ioctl(self->dev_fd, VFIO_DEVICE_DETACH_IOASID, &detach));
	EXPECT_EQ(EINVAL, errno);
	detach.cmd.argsz = sizeof(detach);
	detach.cmd.flags = 1;
	EXPECT_EQ(-1, ioctl(self->dev_fd, VFIO_DEVICE_DETACH_IOASID, &detach));
	EXPECT_EQ(EINVAL, errno);
	detach.cmd.flags = 0;
	EXPECT_EQ(0, ioctl(self->dev_fd, VFIO_DEVICE_DETACH_IOASID, &detach));
	EXPECT_EQ(0, vfio_detach(self->dev_fd));
}

TEST_HARNESS_MAIN
