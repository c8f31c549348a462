// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: times /dev/ioasid against iommufd and the VFIO type1
 * container in one boot, on the same device: QEMU's edu bound to vfio-pci.
 * A second comparison pits the mock IOMMU of IOASID_TEST against iommufd's
 * (IOMMU_TEST_CMD), which leaves out what the emulated IOMMU costs.
 *
 * Every workload runs with a device attached, so that the IOMMU page table
 * is really written: map and unmap of a large buffer backed by THP, by
 * hugetlbfs and by scattered 4 KiB pages, with the kernel memory that a
 * mapped 4 KiB page costs; map and unmap of one 4 KiB mapping among N live
 * ones, and churn at random IOVAs among them, with the kernel memory a
 * mapping costs; attach and detach, with nothing mapped and with mappings.
 *
 * Each figure is taken several times and shown as its median with the
 * spread; every line for the host starts with "bench: " or "bench-data: ".
 * Results are also reported as TAP, one test per workload and path, which
 * fails only when an operation fails: times are never judged.  The
 * ioasid_bench environment variable, which the kernel hands to init from
 * its command line, chooses "full" sizes (the default) or "smoke" ones,
 * small enough for a test run; see print_usage() for the options.  In
 * full, a path has a time budget per workload: under an emulator the
 * buffer or the live mapping count shrink to fit it, and the output says so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/ioasid.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "edu_vfio.h"
#include "ftrace-profile.h"
#include "ioasid_utils.h"
#include "../../drivers/iommu/iommufd/iommufd_test.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SZ_1G		(1024 * SZ_1M)
#define NSEC_PER_SEC	1000000000ULL

#define MAX_REPS	32
#define MAX_FIGURES	64
#define MAX_RANGES	32
#define MAX_COUNTS	8
/* The live mappings cycle through this many user pages, to save memory. */
#define POOL_PAGES	256
#define TYPE1_LIMIT	"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"
/* More than a live mapping costs any path, its page tables included. */
#define MAPPING_BYTES	1024
/* Long enough for RCU to free what a closed session left to it. */
#define SETTLE_US	300000

enum path_id {
	OURS,
	IOMMUFD,
	TYPE1,
	OURS_MOCK,
	IOMMUFD_MOCK,
	NR_PATHS
};

enum test_id {
	T_MAP_THP,
	T_MAP_HUGETLB,
	T_MAP_4K,
	T_UNMAP_ONE,
	T_CHURN,
	T_ATTACH,
	NR_TESTS
};

static const char *const test_names[NR_TESTS] = {
	[T_MAP_THP] = "map-thp",
	[T_MAP_HUGETLB] = "map-hugetlb",
	[T_MAP_4K] = "map-4k",
	[T_UNMAP_ONE] = "unmap-one",
	[T_CHURN] = "churn",
	[T_ATTACH] = "attach",
};

struct range {
	uint64_t start;
	uint64_t last;
};

/* One path opened on one address space; fds are -1 when unused. */
struct session {
	enum path_id path;
	int fd;			/* /dev/ioasid, /dev/iommu or a container */
	int dev_fd;		/* the VFIO cdev, or the VFIO group */
	uint32_t as_id;		/* the IOASID or the IOAS */
	uint32_t dev_id;	/* the mock device */
	const char *step;	/* what the last error came from */
	struct range ranges[MAX_RANGES];
	unsigned int nr_ranges;
};

struct path_ops {
	const char *name;
	bool mock;
	const char *map_name;
	const char *unmap_name;
	int (*open)(struct session *s);
	int (*attach)(struct session *s);
	int (*detach)(struct session *s);
	int (*map)(struct session *s, void *va, uint64_t len, uint64_t iova);
	int (*unmap)(struct session *s, uint64_t iova, uint64_t len);
	int (*ranges)(struct session *s);
};

struct config {
	bool smoke;
	uint64_t bulk_bytes;
	unsigned int reps;
	unsigned long counts[MAX_COUNTS];
	unsigned int nr_counts;
	unsigned long churn_live;
	unsigned int churn_ops;
	unsigned int unmap_batch;
	unsigned long attach_pages;
	unsigned int budget_s;	/* per path and workload; sizes shrink to fit */
	unsigned int paths;	/* bit per enum path_id */
	unsigned int tests;	/* bit per enum test_id */
	bool profile;		/* run the tests once, under the profiler */
};

/* One row of the tables: a sample list per path; none means n/a. */
struct figure {
	char name[48];
	const char *unit;
	unsigned int n[NR_PATHS];
	double v[NR_PATHS][MAX_REPS];
};

struct outcome {
	bool skip;
	bool fail;
	char why[200];
};

static struct config cfg;
static struct figure figures[MAX_FIGURES];
static unsigned int nr_figures;
static unsigned int tap_number, tap_failed;
static size_t page_size;
#define RND_SEED	0x9e3779b97f4a7c15ULL
static uint64_t rnd_state = RND_SEED;
static char notes[16][200];
static unsigned int nr_notes;

/* Why a path cannot run in this boot, or an empty string. */
static char unavailable[NR_PATHS][200];

static struct {
	char pci[32];
	char cdev[64];
	char group[64];
	const char *missing;	/* why the VFIO paths cannot run */
} edu;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* xorshift64*: the same IOVAs for every path, and no libc state. */
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 0x2545f4914f6cdd1dULL;
}

/* Starts sequence @n again: paths given the same one see the same IOVAs. */
static void rnd_restart(unsigned int n)
{
	rnd_state = RND_SEED + n;
}

static void add_note(const char *text)
{
	if (nr_notes < ARRAY_SIZE(notes))
		snprintf(notes[nr_notes++], sizeof(notes[0]), "%s", text);
}

/* 1000 as 1k and 1000000 as 1M, as the counts are given. */
static const char *count_text(unsigned long n, char *buf, size_t len)
{
	if (n >= 1000000 && n % 1000000 == 0)
		snprintf(buf, len, "%luM", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		snprintf(buf, len, "%luk", n / 1000);
	else
		snprintf(buf, len, "%lu", n);
	return buf;
}

static const char *size_text(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= SZ_1G && bytes % SZ_1G == 0)
		snprintf(buf, len, "%lluG", (unsigned long long)(bytes >> 30));
	else
		snprintf(buf, len, "%lluM", (unsigned long long)(bytes >> 20));
	return buf;
}

/* /dev/ioasid through the VFIO cdev, and with the mock IOMMU */

static int open_cdev(struct session *s)
{
	s->step = "opening the VFIO cdev";
	s->dev_fd = open(edu.cdev, O_RDWR | O_CLOEXEC);
	return s->dev_fd < 0 ? errno : 0;
}

static int ours_open(struct session *s)
{
	s->step = "opening /dev/ioasid";
	s->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		return errno;
	s->step = "IOASID_ALLOC";
	return ioasid_alloc(s->fd, &s->as_id);
}

static int ours_vfio_open(struct session *s)
{
	int ret = ours_open(s);

	if (!ret)
		ret = open_cdev(s);
	if (ret)
		return ret;
	s->step = "VFIO_DEVICE_BIND_IOASID";
	return vfio_bind(s->dev_fd, s->fd);
}

static int ours_vfio_attach(struct session *s)
{
	s->step = "VFIO_DEVICE_ATTACH_IOASID";
	return vfio_attach(s->dev_fd, s->as_id);
}

static int ours_vfio_detach(struct session *s)
{
	s->step = "VFIO_DEVICE_DETACH_IOASID";
	return vfio_detach(s->dev_fd);
}

/* iommufd's mock device is created attached: ours is made to match. */
static int ours_mock_attach(struct session *s)
{
	struct ioasid_test cmd = {};
	int ret;

	s->step = "IOASID_TEST_MOCK_DEVICE";
	ret = do_mock_device(s->fd, &cmd, &s->dev_id);
	if (ret)
		return ret;
	s->step = "IOASID_TEST_ATTACH";
	return mock_attach(s->fd, s->dev_id, s->as_id);
}

static int ours_mock_detach(struct session *s)
{
	int ret;

	s->step = "IOASID_TEST_DETACH";
	ret = mock_detach(s->fd, s->dev_id);
	if (ret)
		return ret;
	s->step = "IOASID_DESTROY of the mock device";
	return ioasid_destroy(s->fd, s->dev_id);
}

static int ours_map(struct session *s, void *va, uint64_t len, uint64_t iova)
{
	return map_fixed(s->fd, s->as_id, va, len, iova);
}

static int ours_unmap(struct session *s, uint64_t iova, uint64_t len)
{
	uint64_t out = 0;
	int ret = unmap_range(s->fd, s->as_id, iova, len, &out);

	return ret ? ret : out == len ? 0 : EIO;
}

static int ours_ranges(struct session *s)
{
	struct ioasid_iova_range r[MAX_RANGES];
	uint32_t n = MAX_RANGES, i;
	int ret;

	s->step = "IOASID_IOVA_RANGES";
	ret = get_ranges(s->fd, s->as_id, r, &n, NULL);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		s->ranges[i] = (struct range){ r[i].start, r[i].last };
	s->nr_ranges = n;
	return 0;
}

/* iommufd through the VFIO cdev, and with its selftest mock */

static int iommufd_open(struct session *s)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	s->step = "opening /dev/iommu";
	s->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		return errno;
	s->step = "IOMMU_IOAS_ALLOC";
	if (ioctl(s->fd, IOMMU_IOAS_ALLOC, &cmd))
		return errno;
	s->as_id = cmd.out_ioas_id;
	return 0;
}

static int iommufd_vfio_open(struct session *s)
{
	struct vfio_device_bind_iommufd cmd = { .argsz = sizeof(cmd) };
	int ret = iommufd_open(s);

	if (!ret)
		ret = open_cdev(s);
	if (ret)
		return ret;
	s->step = "VFIO_DEVICE_BIND_IOMMUFD";
	cmd.iommufd = s->fd;
	return ioctl(s->dev_fd, VFIO_DEVICE_BIND_IOMMUFD, &cmd) ? errno : 0;
}

static int iommufd_vfio_attach(struct session *s)
{
	struct vfio_device_attach_iommufd_pt cmd = {
		.argsz = sizeof(cmd),
		.pt_id = s->as_id,
	};

	s->step = "VFIO_DEVICE_ATTACH_IOMMUFD_PT";
	return ioctl(s->dev_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &cmd) ? errno : 0;
}

static int iommufd_vfio_detach(struct session *s)
{
	struct vfio_device_detach_iommufd_pt cmd = { .argsz = sizeof(cmd) };

	s->step = "VFIO_DEVICE_DETACH_IOMMUFD_PT";
	return ioctl(s->dev_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &cmd) ? errno : 0;
}

static int iommufd_mock_attach(struct session *s)
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
static int iommufd_mock_detach(struct session *s)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = s->dev_id };

	s->step = "IOMMU_DESTROY of the mock device";
	return ioctl(s->fd, IOMMU_DESTROY, &cmd) ? errno : 0;
}

static int iommufd_map(struct session *s, void *va, uint64_t len,
		       uint64_t iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = s->as_id,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	return ioctl(s->fd, IOMMU_IOAS_MAP, &cmd) ? errno : 0;
}

static int iommufd_unmap(struct session *s, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = s->as_id,
		.iova = iova,
		.length = len,
	};

	if (ioctl(s->fd, IOMMU_IOAS_UNMAP, &cmd))
		return errno;
	return cmd.length == len ? 0 : EIO;
}

static int iommufd_ranges(struct session *s)
{
	struct iommu_iova_range r[MAX_RANGES];
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = s->as_id,
		.num_iovas = MAX_RANGES,
		.allowed_iovas = (uintptr_t)r,
	};
	unsigned int i;

	s->step = "IOMMU_IOAS_IOVA_RANGES";
	if (ioctl(s->fd, IOMMU_IOAS_IOVA_RANGES, &cmd))
		return errno;
	for (i = 0; i < cmd.num_iovas; i++)
		s->ranges[i] = (struct range){ r[i].start, r[i].last };
	s->nr_ranges = cmd.num_iovas;
	return 0;
}

/* The VFIO type1 container; "attached" is the group in the container. */

static int type1_open(struct session *s)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	bool supported;
	int ret;

	s->step = "opening /dev/vfio/vfio";
	s->fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		return errno;
	s->step = "VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)";
	supported = ioctl(s->fd, VFIO_GET_API_VERSION) == VFIO_API_VERSION &&
		    ioctl(s->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0;
	ret = supported ? 0 : ENODEV;
	if (ret)
		return ret;
	s->step = "opening the VFIO group";
	s->dev_fd = open(edu.group, O_RDWR | O_CLOEXEC);
	if (s->dev_fd < 0)
		return errno;
	s->step = "VFIO_GROUP_GET_STATUS";
	if (ioctl(s->dev_fd, VFIO_GROUP_GET_STATUS, &status))
		return errno;
	return status.flags & VFIO_GROUP_FLAGS_VIABLE ? 0 : EBUSY;
}

/* The first group in a container makes it choose its IOMMU driver. */
static int type1_attach(struct session *s)
{
	s->step = "VFIO_GROUP_SET_CONTAINER";
	if (ioctl(s->dev_fd, VFIO_GROUP_SET_CONTAINER, &s->fd))
		return errno;
	s->step = "VFIO_SET_IOMMU(VFIO_TYPE1v2_IOMMU)";
	return ioctl(s->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) ? errno : 0;
}

static int type1_detach(struct session *s)
{
	s->step = "VFIO_GROUP_UNSET_CONTAINER";
	return ioctl(s->dev_fd, VFIO_GROUP_UNSET_CONTAINER) ? errno : 0;
}

static int type1_map(struct session *s, void *va, uint64_t len, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.argsz = sizeof(cmd),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = len,
	};

	return ioctl(s->fd, VFIO_IOMMU_MAP_DMA, &cmd) ? errno : 0;
}

static int type1_unmap(struct session *s, uint64_t iova, uint64_t len)
{
	struct vfio_iommu_type1_dma_unmap cmd = {
		.argsz = sizeof(cmd),
		.iova = iova,
		.size = len,
	};

	if (ioctl(s->fd, VFIO_IOMMU_UNMAP_DMA, &cmd))
		return errno;
	return cmd.size == len ? 0 : EIO;
}

static void type1_copy_ranges(struct session *s,
			      const struct vfio_iommu_type1_info_cap_iova_range *cap)
{
	unsigned int i;

	for (i = 0; i < cap->nr_iovas && i < MAX_RANGES; i++)
		s->ranges[i] = (struct range){ cap->iova_ranges[i].start,
					       cap->iova_ranges[i].end };
	s->nr_ranges = i;
}

/* The IOVA ranges capability of VFIO_IOMMU_GET_INFO; all IOVAs without. */
static int type1_ranges(struct session *s)
{
	const size_t size = 16384;
	struct vfio_iommu_type1_info *info = calloc(1, size);
	struct vfio_info_cap_header *cap;
	uint32_t off;

	if (!info)
		return errno;
	s->step = "VFIO_IOMMU_GET_INFO";
	info->argsz = size;
	if (ioctl(s->fd, VFIO_IOMMU_GET_INFO, info)) {
		free(info);
		return errno;
	}
	s->ranges[0] = (struct range){ 0, UINT64_MAX };
	s->nr_ranges = 1;
	off = info->flags & VFIO_IOMMU_INFO_CAPS ? info->cap_offset : 0;
	while (off && off + sizeof(*cap) <= size) {
		cap = (void *)((char *)info + off);
		if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			type1_copy_ranges(s, (void *)cap);
			break;
		}
		off = cap->next;
	}
	free(info);
	return 0;
}

static const struct path_ops path_ops[NR_PATHS] = {
	[OURS] = {
		.name = "ours",
		.map_name = "IOASID_MAP",
		.unmap_name = "IOASID_UNMAP",
		.open = ours_vfio_open,
		.attach = ours_vfio_attach,
		.detach = ours_vfio_detach,
		.map = ours_map,
		.unmap = ours_unmap,
		.ranges = ours_ranges,
	},
	[IOMMUFD] = {
		.name = "iommufd",
		.map_name = "IOMMU_IOAS_MAP",
		.unmap_name = "IOMMU_IOAS_UNMAP",
		.open = iommufd_vfio_open,
		.attach = iommufd_vfio_attach,
		.detach = iommufd_vfio_detach,
		.map = iommufd_map,
		.unmap = iommufd_unmap,
		.ranges = iommufd_ranges,
	},
	[TYPE1] = {
		.name = "type1",
		.map_name = "VFIO_IOMMU_MAP_DMA",
		.unmap_name = "VFIO_IOMMU_UNMAP_DMA",
		.open = type1_open,
		.attach = type1_attach,
		.detach = type1_detach,
		.map = type1_map,
		.unmap = type1_unmap,
		.ranges = type1_ranges,
	},
	[OURS_MOCK] = {
		.name = "ours-mock",
		.mock = true,
		.map_name = "IOASID_MAP",
		.unmap_name = "IOASID_UNMAP",
		.open = ours_open,
		.attach = ours_mock_attach,
		.detach = ours_mock_detach,
		.map = ours_map,
		.unmap = ours_unmap,
		.ranges = ours_ranges,
	},
	[IOMMUFD_MOCK] = {
		.name = "iommufd-mock",
		.mock = true,
		.map_name = "IOMMU_IOAS_MAP",
		.unmap_name = "IOMMU_IOAS_UNMAP",
		.open = iommufd_open,
		.attach = iommufd_mock_attach,
		.detach = iommufd_mock_detach,
		.map = iommufd_map,
		.unmap = iommufd_unmap,
		.ranges = iommufd_ranges,
	},
};

static void session_close(struct session *s)
{
	/* The device first: unbinding it detaches it. */
	if (s->dev_fd >= 0)
		close(s->dev_fd);
	if (s->fd >= 0)
		close(s->fd);
	s->dev_fd = -1;
	s->fd = -1;
}

/* Opens a path, attached and with its usable IOVAs read when @attach. */
static int session_open(struct session *s, enum path_id p, bool attach)
{
	const struct path_ops *ops = &path_ops[p];
	int ret;

	*s = (struct session){ .path = p, .fd = -1, .dev_fd = -1 };
	ret = ops->open(s);
	if (!ret && attach)
		ret = ops->attach(s);
	if (!ret && attach)
		ret = ops->ranges(s);
	if (ret)
		session_close(s);
	return ret;
}

/* The lowest IOVA, a multiple of @align and at least @align, for @len. */
static bool pick_iova(const struct session *s, uint64_t len, uint64_t align,
		      uint64_t *iova)
{
	unsigned int i;

	for (i = 0; i < s->nr_ranges; i++) {
		const struct range *r = &s->ranges[i];
		uint64_t start = r->start < align ? align : r->start;

		start = (start + align - 1) & ~(align - 1);
		if (start >= r->start && start <= r->last &&
		    len - 1 <= r->last - start) {
			*iova = start;
			return true;
		}
	}
	return false;
}

/* The largest usable window starting at a multiple of @align. */
static uint64_t largest_window(const struct session *s, uint64_t align,
			       uint64_t *iova)
{
	uint64_t best = 0;
	unsigned int i;

	for (i = 0; i < s->nr_ranges; i++) {
		const struct range *r = &s->ranges[i];
		uint64_t start = r->start < align ? align : r->start;

		start = (start + align - 1) & ~(align - 1);
		if (start < r->start || start > r->last)
			continue;
		if (r->last - start + 1 > best) {
			best = r->last - start + 1;
			*iova = start;
		}
	}
	return best;
}

/* Figures and results */

static struct figure *new_figure(const char *name, const char *unit)
{
	struct figure *f = &figures[nr_figures];

	/* The workloads make 34 at most; past the end, the last is reused. */
	if (nr_figures + 1 < MAX_FIGURES)
		nr_figures++;
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->unit = unit;
	return f;
}

static void add_sample(struct figure *f, enum path_id p, double value)
{
	if (f->n[p] < MAX_REPS)
		f->v[p][f->n[p]++] = value;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stats {
	double median;
	double min;
	double max;
};

static bool figure_stats(const struct figure *f, enum path_id p,
			 struct stats *st)
{
	double v[MAX_REPS];
	unsigned int n = f->n[p];

	if (!n)
		return false;
	memcpy(v, f->v[p], n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	st->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	st->min = v[0];
	st->max = v[n - 1];
	return true;
}

/* The machine-readable line of one figure on one path. */
static void emit_data(const struct figure *f, enum path_id p)
{
	char name[sizeof(f->name)];
	struct stats st;
	char *c;

	snprintf(name, sizeof(name), "%s", f->name);
	for (c = name; *c; c++)
		if (*c == ' ')
			*c = '-';
	if (figure_stats(f, p, &st))
		printf("bench-data: %s %s %.6g %.6g %.6g %s\n", name,
		       path_ops[p].name, st.median, st.min, st.max, f->unit);
	else
		printf("bench-data: %s %s n/a n/a n/a %s\n", name,
		       path_ops[p].name, f->unit);
}

static void emit_figures(struct figure *const *figs, unsigned int nr,
			 enum path_id p)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		emit_data(figs[i], p);
}

static void skip_because(struct outcome *o, const char *why)
{
	o->skip = true;
	snprintf(o->why, sizeof(o->why), "%s", why);
}

static void fail_at(struct outcome *o, const char *step, int err)
{
	o->fail = true;
	snprintf(o->why, sizeof(o->why), "%s: %s", step, strerror(err));
}

static void report(enum test_id t, enum path_id p, const struct outcome *o)
{
	tap_number++;
	if (o->fail) {
		tap_failed++;
		printf("# %s %s: %s\n", test_names[t], path_ops[p].name, o->why);
		printf("not ok %u %s %s\n", tap_number, test_names[t],
		       path_ops[p].name);
	} else if (o->skip) {
		printf("ok %u %s %s # SKIP %s\n", tap_number, test_names[t],
		       path_ops[p].name, o->why);
	} else {
		printf("ok %u %s %s\n", tap_number, test_names[t],
		       path_ops[p].name);
	}
	fflush(stdout);
}

static bool selected(enum test_id t, enum path_id p)
{
	return (cfg.tests & (1U << t)) && (cfg.paths & (1U << p));
}

/*
 * The @i-th path of round @r.  The order rotates from round to round, so
 * that no path always follows the same one: what a path leaves behind in
 * the emulator, an IOMMU with work still queued or idle for a while,
 * changes how long the next one takes.
 */
static enum path_id turn(unsigned int r, unsigned int i)
{
	return (r + i) % NR_PATHS;
}

/*
 * Opens @p for a repetition, attached when @attach, unless @o says that
 * an earlier one failed or skipped; says why in @o when it cannot.
 */
static bool start_rep(struct session *s, enum path_id p, struct outcome *o,
		      bool attach)
{
	int ret;

	if (o->fail || o->skip)
		return false;
	if (unavailable[p][0]) {
		skip_because(o, unavailable[p]);
		return false;
	}
	ret = session_open(s, p, attach);
	if (ret)
		fail_at(o, s->step, ret);
	return !ret;
}

/* /proc/meminfo */

struct meminfo {
	long slab;
	long sec_pagetables;
	long vmalloc_used;
	long pagetables;
	long anon_huge;
	long huge_total;
	long huge_size;
	long total;
	long available;
};

static void read_meminfo(struct meminfo *m)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
		{ "Slab:", offsetof(struct meminfo, slab) },
		{ "SecPageTables:", offsetof(struct meminfo, sec_pagetables) },
		{ "VmallocUsed:", offsetof(struct meminfo, vmalloc_used) },
		{ "PageTables:", offsetof(struct meminfo, pagetables) },
		{ "AnonHugePages:", offsetof(struct meminfo, anon_huge) },
		{ "HugePages_Total:", offsetof(struct meminfo, huge_total) },
		{ "Hugepagesize:", offsetof(struct meminfo, huge_size) },
		{ "MemTotal:", offsetof(struct meminfo, total) },
		{ "MemAvailable:", offsetof(struct meminfo, available) },
	};
	FILE *f;
	char line[128];
	size_t i;

	/* Fold the per-CPU counters, which hide small deltas otherwise. */
	write_attr("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/meminfo", "r");
	memset(m, 0, sizeof(*m));
	while (f && fgets(line, sizeof(line), f))
		for (i = 0; i < ARRAY_SIZE(fields); i++)
			if (!strncmp(line, fields[i].name,
				     strlen(fields[i].name)))
				*(long *)((char *)m + fields[i].offset) =
					atol(line + strlen(fields[i].name));
	if (f)
		fclose(f);
}

/* Workload 1: one large mapping, by backing; with 4 KiB, kernel memory */

enum backing { BACK_THP, BACK_HUGETLB, BACK_4K };

struct buffer {
	void *map;		/* what to munmap() */
	size_t map_len;
	void *buf;		/* @len bytes, aligned for huge pages */
	size_t len;
};

/* Writes each page, so that it is present and private before pinning. */
static void touch(void *buf, size_t len)
{
	size_t off;

	for (off = 0; off < len; off += page_size)
		((char *)buf)[off] = 1;
}

/*
 * Writes the pages in random order, so that neighbours get unrelated
 * frames as on a system that has run for a while: otherwise a fresh guest
 * hands out ascending frames, and runs of them map as if they were huge.
 */
static int touch_scattered(void *buf, size_t len)
{
	size_t n = len / page_size, i, j, tmp;
	size_t *order = malloc(n * sizeof(*order));

	if (!order)
		return errno;
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = rnd() % (i + 1);
		tmp = order[i];
		order[i] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < n; i++)
		((char *)buf)[order[i] * page_size] = 1;
	free(order);
	return 0;
}

static int buffer_alloc(struct buffer *b, enum backing kind, size_t len)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;

	b->len = len;
	b->map_len = kind == BACK_THP ? len + SZ_2M : len;
	if (kind == BACK_HUGETLB)
		flags |= MAP_HUGETLB;
	b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		return errno;
	}
	b->buf = b->map;
	if (kind == BACK_THP) {
		b->buf = (void *)(((uintptr_t)b->map + SZ_2M - 1) &
				  ~(uintptr_t)(SZ_2M - 1));
		madvise(b->buf, len, MADV_HUGEPAGE);
	} else if (kind == BACK_4K) {
		madvise(b->buf, len, MADV_NOHUGEPAGE);
		return touch_scattered(b->buf, len);
	}
	touch(b->buf, len);
	return 0;
}

static void buffer_free(struct buffer *b)
{
	if (b->map)
		munmap(b->map, b->map_len);
	b->map = NULL;
}

struct bulk {
	enum backing kind;
	enum test_id test;
	struct buffer buf;
	struct figure *times[2];	/* map, unmap */
	struct figure *kmem[5];	/* with 4 KiB pages only */
	unsigned int nr_kmem;
};

/*
 * The kernel memory of the counters that can grow with mappings: slab
 * (and large kmalloc()s, which it counts), IOMMU and CPU page tables and
 * vmalloc, in bytes.  MemFree would be a catch-all, but pages cached per
 * CPU hide megabytes from it.
 */
static void kmem_deltas(const struct meminfo *before,
			const struct meminfo *after, long d[4])
{
	d[0] = (after->slab - before->slab) * 1024;
	d[1] = (after->sec_pagetables - before->sec_pagetables) * 1024;
	d[2] = (after->vmalloc_used - before->vmalloc_used) * 1024;
	d[3] = (after->pagetables - before->pagetables) * 1024;
}

/* Bytes of each counter per mapped page, and of their sum. */
static void add_kmem(struct bulk *b, enum path_id p,
		     const struct meminfo *before, const struct meminfo *after)
{
	double pages = (double)b->buf.len / page_size;
	long d[4], sum = 0;
	unsigned int i;

	kmem_deltas(before, after, d);
	for (i = 0; i < ARRAY_SIZE(d); i++) {
		add_sample(b->kmem[i], p, d[i] / pages);
		sum += d[i];
	}
	add_sample(b->kmem[4], p, sum / pages);
}

/* The profiler runs around a timed call only when -P asked for it. */
static void profile_begin(void)
{
	if (cfg.profile)
		profile_start();
}

static void profile_end(const char *figure, const char *path)
{
	char prefix[96];

	if (!cfg.profile)
		return;
	snprintf(prefix, sizeof(prefix), "bench: profile %s %s", figure, path);
	profile_stop(prefix);
}

static void bulk_rep(struct bulk *b, struct session *s, uint64_t iova,
		     struct outcome *o)
{
	const struct path_ops *ops = &path_ops[s->path];
	struct meminfo before, after;
	uint64_t t0, t1, t2;
	int ret;

	/*
	 * The last path's teardown frees xarray nodes after an RCU grace
	 * period: let that happen before the baseline, not during the map.
	 */
	if (b->nr_kmem)
		usleep(SETTLE_US);
	read_meminfo(&before);
	profile_begin();
	t0 = now_ns();
	ret = ops->map(s, b->buf.buf, b->buf.len, iova);
	t1 = now_ns();
	profile_end(b->times[0]->name, ops->name);
	if (ret) {
		fail_at(o, ops->map_name, ret);
		return;
	}
	read_meminfo(&after);
	profile_begin();
	t2 = now_ns();
	ret = ops->unmap(s, iova, b->buf.len);
	profile_end(b->times[1]->name, ops->name);
	if (ret) {
		fail_at(o, ops->unmap_name, ret);
		return;
	}
	add_sample(b->times[0], s->path, (t1 - t0) / 1e6);
	add_sample(b->times[1], s->path, (now_ns() - t2) / 1e6);
	if (b->nr_kmem)
		add_kmem(b, s->path, &before, &after);
}

/* One repetition on one path, in a session of its own. */
static void bulk_once(struct bulk *b, enum path_id p, struct outcome *o)
{
	struct session s;
	uint64_t iova = 0;

	if (!start_rep(&s, p, o, true))
		return;
	/* The same alignment everywhere: the same IOMMU page sizes. */
	if (pick_iova(&s, b->buf.len, SZ_1G, &iova))
		bulk_rep(b, &s, iova, o);
	else
		skip_because(o, "no usable IOVA window that large");
	session_close(&s);
}

static void note_smaller(const char *kind_name, uint64_t len, uint64_t asked,
			 const char *why)
{
	char text[200], from[16], to[16];

	snprintf(text, sizeof(text), "%s buffer: %s, not %s, to stay within %s",
		 kind_name, size_text(len, to, sizeof(to)),
		 size_text(asked, from, sizeof(from)), why);
	add_note(text);
}

/* Seconds a map and unmap of @len bytes take on @p, or 0 if they fail. */
static double bulk_probe(struct bulk *b, enum path_id p, size_t len)
{
	const struct path_ops *ops = &path_ops[p];
	struct session s;
	uint64_t iova, t0;
	double took = 0;

	if (session_open(&s, p, true))
		return 0;
	t0 = now_ns();
	if (pick_iova(&s, len, SZ_1G, &iova) &&
	    !ops->map(&s, b->buf.buf, len, iova) && !ops->unmap(&s, iova, len))
		took = (now_ns() - t0) / 1e9;
	session_close(&s);
	return took;
}

/*
 * The buffer size for the figures: the configured one, halved until the
 * slowest path would do its repetitions within the time budget, as
 * timed on a sixteenth of it.  Emulated IOMMUs can be slow.
 */
static size_t bulk_fit(struct bulk *b, const struct outcome *o,
		       const char *kind_name)
{
	size_t probe = b->buf.len / 16 & ~(SZ_2M - 1), len = b->buf.len;
	double per_byte = 0, t;
	char why[64];
	enum path_id p;

	if (!probe)
		return len;
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(b->test, p) || unavailable[p][0] || o[p].skip)
			continue;
		t = bulk_probe(b, p, probe) / probe;
		per_byte = t > per_byte ? t : per_byte;
	}
	while (len > probe && per_byte * len * cfg.reps > cfg.budget_s)
		len /= 2;
	if (len < b->buf.len) {
		snprintf(why, sizeof(why), "the %u s budget of each path (-t)",
			 cfg.budget_s);
		note_smaller(kind_name, len, b->buf.len, why);
	}
	return len;
}

static void bulk_figures(struct bulk *b, const char *kind_name)
{
	static const char *const kmem_names[] = {
		"kmem Slab", "kmem SecPageTables", "kmem VmallocUsed",
		"kmem PageTables", "kmem sum",
	};
	char name[48], size[16];
	unsigned int i;

	size_text(b->buf.len, size, sizeof(size));
	snprintf(name, sizeof(name), "map %s %s", kind_name, size);
	b->times[0] = new_figure(name, "ms");
	snprintf(name, sizeof(name), "unmap %s %s", kind_name, size);
	b->times[1] = new_figure(name, "ms");
	if (b->kind != BACK_4K)
		return;
	b->nr_kmem = ARRAY_SIZE(kmem_names);
	for (i = 0; i < b->nr_kmem; i++)
		b->kmem[i] = new_figure(kmem_names[i], "B/page");
}

/* Says how much of a THP buffer the kernel gave huge pages. */
static void note_thp(long before_kb, size_t len)
{
	struct meminfo m;
	char text[128];

	read_meminfo(&m);
	snprintf(text, sizeof(text),
		 "thp buffer: %ld of %zu MiB in huge pages once touched",
		 (m.anon_huge - before_kb) / 1024, len >> 20);
	add_note(text);
}

static void run_bulk(enum backing kind)
{
	static const char *const kind_names[] = {
		[BACK_THP] = "thp", [BACK_HUGETLB] = "hugetlb", [BACK_4K] = "4k",
	};
	static const enum test_id tests[] = {
		[BACK_THP] = T_MAP_THP, [BACK_HUGETLB] = T_MAP_HUGETLB,
		[BACK_4K] = T_MAP_4K,
	};
	struct bulk b = { .kind = kind, .test = tests[kind] };
	struct outcome o[NR_PATHS] = {};
	const char *no_buffer = NULL;
	struct meminfo m;
	enum path_id p;
	unsigned int r, i;
	uint64_t len;
	int ret;

	if (!(cfg.tests & (1U << b.test)))
		return;
	read_meminfo(&m);
	len = cfg.bulk_bytes;
	/* Half the available memory at most; hugetlb pages are apart. */
	while (kind != BACK_HUGETLB && len > SZ_2M &&
	       len > (uint64_t)m.available * 1024 / 2)
		len /= 2;
	if (len < cfg.bulk_bytes)
		note_smaller(kind_names[kind], len, cfg.bulk_bytes,
			     "half the available memory");
	ret = buffer_alloc(&b.buf, kind, len);
	if (ret && kind == BACK_HUGETLB)
		no_buffer = "no free 2 MiB hugetlb pages (boot with hugepages=N)";
	else if (ret)
		no_buffer = "cannot allocate the buffer";
	else if (kind == BACK_THP)
		note_thp(m.anon_huge, len);
	for (p = 0; no_buffer && p < NR_PATHS; p++)
		skip_because(&o[p], no_buffer);
	b.buf.len = len;
	if (!no_buffer && cfg.budget_s)
		b.buf.len = bulk_fit(&b, o, kind_names[kind]);
	bulk_figures(&b, kind_names[kind]);
	/* Paths take turns, so that whatever else runs hits them alike. */
	for (r = 0; r < cfg.reps; r++) {
		for (i = 0; i < NR_PATHS; i++) {
			p = turn(r, i);
			if (selected(b.test, p))
				bulk_once(&b, p, &o[p]);
		}
	}
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(b.test, p))
			continue;
		report(b.test, p, &o[p]);
		emit_figures(b.times, ARRAY_SIZE(b.times), p);
		emit_figures(b.kmem, b.nr_kmem, p);
	}
	buffer_free(&b.buf);
}

/*
 * Workloads 2 and 3: N live 4 KiB mappings, one every other page, so
 * that churn maps between them; they cycle through POOL_PAGES user pages.
 * Unmap-one grows one session per path through the counts.  Churn runs in
 * rounds that each give every path a new session in turn: how fast the
 * emulator runs one path drifts over seconds, and a round puts the paths
 * side by side in time.
 */
struct scale {
	uint8_t *pool;
	struct session *s;
	uint64_t base;
	unsigned long live;
	uint64_t grow_ns;	/* spent setting up the live mappings */
	double map_ns;		/* what one took, lately */
	struct figure *unmap_one[MAX_COUNTS];
	struct figure *map_one[MAX_COUNTS];
	struct figure *churn;
	struct figure *per_mapping[2];	/* Slab and all, at churn */
	struct meminfo before;		/* with no live mapping */
	struct outcome unmap_outcome;
};

static uint64_t slot_iova(const struct scale *sc, unsigned long k)
{
	return sc->base + 2 * k * page_size;
}

static void *slot_page(const struct scale *sc, unsigned long k)
{
	return sc->pool + (k % POOL_PAGES) * page_size;
}

/* Past twice the budget, growing stops: the estimate was wrong. */
static bool over_budget(const struct scale *sc, uint64_t t0)
{
	return cfg.budget_s && sc->grow_ns + (now_ns() - t0) >
			       2ULL * cfg.budget_s * NSEC_PER_SEC;
}

static void note_late(const struct scale *sc, unsigned long n)
{
	char text[200], count[24];

	snprintf(text, sizeof(text),
		 "%s: no %s live mappings: setting them up took over twice the %u s budget (-t)",
		 path_ops[sc->s->path].name, count_text(n, count, sizeof(count)),
		 cfg.budget_s);
	add_note(text);
}

/* Maps up to @n live mappings; *@late when the budget runs out first. */
static int grow(struct scale *sc, unsigned long n, bool *late)
{
	const struct path_ops *ops = &path_ops[sc->s->path];
	unsigned long from = sc->live;
	uint64_t t0 = now_ns(), spent;
	double per_map;
	int ret;

	sc->s->step = ops->map_name;
	for (*late = false; sc->live < n; sc->live++) {
		if (!(sc->live % 1024) && over_budget(sc, t0)) {
			note_late(sc, n);
			*late = true;
			return 0;
		}
		ret = ops->map(sc->s, slot_page(sc, sc->live), page_size,
			       slot_iova(sc, sc->live));
		if (ret)
			return ret;
	}
	spent = now_ns() - t0;
	sc->grow_ns += spent;
	/* The fastest rate yet, so that one disturbance stops nothing. */
	per_map = (double)spent / (n - from);
	if (!sc->map_ns || per_map < sc->map_ns)
		sc->map_ns = per_map;
	printf("# %s: %lu live mappings, the last %lu at %.1f us each\n",
	       ops->name, n, n - from, per_map / 1e3);
	return 0;
}

/* Unmaps one random live mapping and maps it again, timing both. */
static int unmap_one_rep(struct scale *sc, struct figure *unmap_fig,
			 struct figure *map_fig)
{
	const struct path_ops *ops = &path_ops[sc->s->path];
	uint64_t unmap_ns = 0, map_ns = 0, t0, t1, t2;
	unsigned int i;
	int ret;

	for (i = 0; i < cfg.unmap_batch; i++) {
		unsigned long k = rnd() % sc->live;

		t0 = now_ns();
		ret = ops->unmap(sc->s, slot_iova(sc, k), page_size);
		t1 = now_ns();
		if (ret) {
			sc->s->step = ops->unmap_name;
			return ret;
		}
		ret = ops->map(sc->s, slot_page(sc, k), page_size,
			       slot_iova(sc, k));
		t2 = now_ns();
		if (ret) {
			sc->s->step = ops->map_name;
			return ret;
		}
		unmap_ns += t1 - t0;
		map_ns += t2 - t1;
	}
	add_sample(unmap_fig, sc->s->path, unmap_ns / 1e3 / cfg.unmap_batch);
	add_sample(map_fig, sc->s->path, map_ns / 1e3 / cfg.unmap_batch);
	return 0;
}

/* Maps and unmaps one page in a random hole between live mappings. */
static int churn_rep(struct scale *sc)
{
	const struct path_ops *ops = &path_ops[sc->s->path];
	unsigned int i;
	uint64_t t0;
	int ret;

	profile_begin();
	t0 = now_ns();
	for (i = 0; i < cfg.churn_ops; i++) {
		unsigned long k = rnd() % sc->live;
		uint64_t iova = slot_iova(sc, k) + page_size;

		ret = ops->map(sc->s, slot_page(sc, k + 1), page_size, iova);
		if (ret) {
			sc->s->step = ops->map_name;
			return ret;
		}
		ret = ops->unmap(sc->s, iova, page_size);
		if (ret) {
			sc->s->step = ops->unmap_name;
			return ret;
		}
	}
	add_sample(sc->churn, sc->s->path,
		   (now_ns() - t0) / 1e3 / cfg.churn_ops);
	profile_end(sc->churn->name, ops->name);
	return 0;
}

/* The most live mappings a path can hold here, given its IOVA space. */
static unsigned long reachable(struct scale *sc)
{
	uint64_t window = largest_window(sc->s, SZ_2M, &sc->base);
	unsigned long n = window / (2 * page_size), fit;
	struct meminfo m;
	FILE *f;
	long limit;

	/* Half the available memory at most, so that a small guest lives. */
	read_meminfo(&m);
	fit = m.available * 1024 / 2 / MAPPING_BYTES;
	n = fit < n ? fit : n;

	/* type1 refuses mappings past its dma_entry_limit; churn needs one. */
	if (sc->s->path == TYPE1) {
		f = fopen(TYPE1_LIMIT, "r");
		if (f && fscanf(f, "%ld", &limit) == 1 && limit > 0 &&
		    (unsigned long)limit <= n)
			n = limit - 1;
		if (f)
			fclose(f);
	}
	return n;
}

static bool is_count(unsigned long n, unsigned int *index)
{
	unsigned int i;

	for (i = 0; i < cfg.nr_counts; i++) {
		if (cfg.counts[i] == n) {
			*index = i;
			return true;
		}
	}
	return false;
}

/* The next count of the list above @live. */
static unsigned long next_stage(unsigned long live)
{
	unsigned long next = ULONG_MAX;
	unsigned int i;

	for (i = 0; i < cfg.nr_counts; i++)
		if (cfg.counts[i] > live && cfg.counts[i] < next)
			next = cfg.counts[i];
	return next;
}

/* The kernel memory one live mapping costs, page tables included. */
static void add_per_mapping(struct scale *sc)
{
	struct meminfo now;
	long d[4];

	read_meminfo(&now);
	kmem_deltas(&sc->before, &now, d);
	add_sample(sc->per_mapping[0], sc->s->path, (double)d[0] / sc->live);
	add_sample(sc->per_mapping[1], sc->s->path,
		   (double)(d[0] + d[1] + d[2] + d[3]) / sc->live);
}

static int measure_stage(struct scale *sc, unsigned long n)
{
	unsigned int i, r;
	int ret = 0;

	if (is_count(n, &i))
		for (r = 0; !ret && r < cfg.reps; r++)
			ret = unmap_one_rep(sc, sc->unmap_one[i], sc->map_one[i]);
	if (ret)
		fail_at(&sc->unmap_outcome, sc->s->step, ret);
	return ret;
}

/* The seconds growing to @n live mappings would take, at the best rate. */
static double grow_estimate(const struct scale *sc, unsigned long n)
{
	return (n - sc->live) * sc->map_ns / 1e9;
}

/* Stops at a count that does not fit, saying why in a note. */
static bool stage_fits(struct scale *sc, unsigned long n, unsigned long reach)
{
	const char *name = path_ops[sc->s->path].name;
	char text[200], count[24];
	double more;

	count_text(n, count, sizeof(count));
	if (n > reach) {
		snprintf(text, sizeof(text),
			 "%s: no %s live mappings: at most %lu fit its IOVA space, entry limit or memory",
			 name, count, reach);
		add_note(text);
		return false;
	}
	more = grow_estimate(sc, n);
	if (cfg.budget_s && sc->grow_ns / 1e9 + more > cfg.budget_s) {
		snprintf(text, sizeof(text),
			 "%s: no %s live mappings: setting them up would take %.0f s more, over the %u s budget (-t)",
			 name, count, more, cfg.budget_s);
		add_note(text);
		return false;
	}
	return true;
}

static void scale_stages(struct scale *sc)
{
	unsigned long reach = reachable(sc), n;
	bool late;
	int ret;

	for (n = next_stage(0); n != ULONG_MAX; n = next_stage(n)) {
		if (!stage_fits(sc, n, reach))
			break;
		ret = grow(sc, n, &late);
		if (late)
			break;
		if (ret) {
			fail_at(&sc->unmap_outcome, sc->s->step, ret);
			return;
		}
		if (measure_stage(sc, n))
			return;
	}
}

/* A new session of @p, with nothing mapped yet, for @sc to grow. */
static bool scale_begin(struct scale *sc, struct session *s, enum path_id p,
			struct outcome *o)
{
	if (!start_rep(s, p, o, true))
		return false;
	sc->s = s;
	sc->live = 0;
	sc->grow_ns = 0;
	sc->map_ns = 0;
	/* What the last path tore down may still be on its way out. */
	usleep(SETTLE_US);
	read_meminfo(&sc->before);
	return true;
}

static void unmap_one_path(struct scale *sc, enum path_id p)
{
	struct session s;
	unsigned int i;

	rnd_restart(0);
	memset(&sc->unmap_outcome, 0, sizeof(sc->unmap_outcome));
	if (scale_begin(sc, &s, p, &sc->unmap_outcome)) {
		scale_stages(sc);
		/* Closing tears the mappings down; that is not timed. */
		session_close(&s);
	}
	report(T_UNMAP_ONE, p, &sc->unmap_outcome);
	for (i = 0; i < cfg.nr_counts; i++) {
		emit_data(sc->unmap_one[i], p);
		emit_data(sc->map_one[i], p);
	}
}

/* Grows a new session of @p to the churn level, and churns once. */
static void churn_once(struct scale *sc, enum path_id p, struct outcome *o)
{
	struct session s;
	bool late = true;
	int ret = 0;

	if (!scale_begin(sc, &s, p, o))
		return;
	/* Both say why in a note. */
	if (stage_fits(sc, cfg.churn_live, reachable(sc)))
		ret = grow(sc, cfg.churn_live, &late);
	if (late) {
		skip_because(o, "its live mappings did not fit, see the notes");
	} else if (!ret) {
		add_per_mapping(sc);
		ret = churn_rep(sc);
	}
	if (ret)
		fail_at(o, s.step, ret);
	session_close(&s);
}

static void run_churn(struct scale *sc)
{
	struct outcome o[NR_PATHS] = {};
	unsigned int r, i;
	enum path_id p;

	for (r = 0; r < cfg.reps; r++) {
		for (i = 0; i < NR_PATHS; i++) {
			p = turn(r, i);
			if (!selected(T_CHURN, p))
				continue;
			rnd_restart(r);
			churn_once(sc, p, &o[p]);
		}
	}
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(T_CHURN, p))
			continue;
		report(T_CHURN, p, &o[p]);
		emit_data(sc->churn, p);
		emit_figures(sc->per_mapping, ARRAY_SIZE(sc->per_mapping), p);
	}
}

static void scale_figures(struct scale *sc)
{
	char name[48], count[24];
	unsigned int i;

	for (i = 0; i < cfg.nr_counts; i++) {
		count_text(cfg.counts[i], count, sizeof(count));
		snprintf(name, sizeof(name), "unmap 1 of %s", count);
		sc->unmap_one[i] = new_figure(name, "us");
		snprintf(name, sizeof(name), "map 1 of %s", count);
		sc->map_one[i] = new_figure(name, "us");
	}
	count_text(cfg.churn_live, count, sizeof(count));
	snprintf(name, sizeof(name), "churn 4k @%s", count);
	sc->churn = new_figure(name, "us");
	snprintf(name, sizeof(name), "Slab per mapping @%s", count);
	sc->per_mapping[0] = new_figure(name, "B");
	snprintf(name, sizeof(name), "kmem per mapping @%s", count);
	sc->per_mapping[1] = new_figure(name, "B");
}

static void run_scale(void)
{
	struct scale sc = {};
	struct buffer pool = {};
	enum path_id p;

	if (!(cfg.tests & ((1U << T_UNMAP_ONE) | (1U << T_CHURN))))
		return;
	scale_figures(&sc);
	if (buffer_alloc(&pool, BACK_4K, POOL_PAGES * page_size)) {
		printf("# cannot allocate %d pages\n", POOL_PAGES);
		return;
	}
	sc.pool = pool.buf;
	for (p = 0; p < NR_PATHS; p++)
		if (selected(T_UNMAP_ONE, p))
			unmap_one_path(&sc, p);
	run_churn(&sc);
	buffer_free(&pool);
}

/* Workload 4: attach and detach, empty and then with mappings */

struct attach {
	struct buffer buf;
	struct figure *figs[4];	/* attach, detach, and with mappings */
};

static int attach_rep(struct session *s, struct figure *attach_fig,
		      struct figure *detach_fig)
{
	const struct path_ops *ops = &path_ops[s->path];
	uint64_t t0, t1;
	int ret;

	profile_begin();
	t0 = now_ns();
	ret = ops->attach(s);
	t1 = now_ns();
	profile_end(attach_fig->name, ops->name);
	if (ret)
		return ret;
	profile_begin();
	ret = ops->detach(s);
	profile_end(detach_fig->name, ops->name);
	if (ret)
		return ret;
	add_sample(attach_fig, s->path, (t1 - t0) / 1e3);
	add_sample(detach_fig, s->path, (now_ns() - t1) / 1e3);
	return 0;
}

/* Maps the buffer while attached, to learn the usable IOVAs, then detaches. */
static int populate(struct attach *a, struct session *s)
{
	const struct path_ops *ops = &path_ops[s->path];
	uint64_t iova;
	int ret;

	ret = ops->attach(s);
	if (!ret)
		ret = ops->ranges(s);
	if (ret)
		return ret;
	s->step = "finding an IOVA window";
	ret = pick_iova(s, a->buf.len, SZ_2M, &iova) ? 0 : ERANGE;
	if (ret)
		return ret;
	s->step = ops->map_name;
	ret = ops->map(s, a->buf.buf, a->buf.len, iova);
	return ret ? ret : ops->detach(s);
}

/* One repetition on one path, in a session of its own. */
static void attach_once(struct attach *a, enum path_id p, struct outcome *o)
{
	struct session s;
	int ret;

	if (!start_rep(&s, p, o, false))
		return;
	ret = attach_rep(&s, a->figs[0], a->figs[1]);
	/* type1 frees the mappings with the container's last group. */
	if (!ret && p != TYPE1 && a->buf.map)
		ret = populate(a, &s);
	if (!ret && p != TYPE1 && a->buf.map)
		ret = attach_rep(&s, a->figs[2], a->figs[3]);
	if (ret)
		fail_at(o, s.step, ret);
	session_close(&s);
}

static void run_attach(void)
{
	struct outcome o[NR_PATHS] = {};
	struct attach a = {};
	char name[48], count[24];
	enum path_id p;
	unsigned int r, i;

	if (!(cfg.tests & (1U << T_ATTACH)))
		return;
	a.figs[0] = new_figure("attach", "us");
	a.figs[1] = new_figure("detach", "us");
	count_text(cfg.attach_pages, count, sizeof(count));
	snprintf(name, sizeof(name), "attach %s 4k mapped", count);
	a.figs[2] = new_figure(name, "us");
	snprintf(name, sizeof(name), "detach %s 4k mapped", count);
	a.figs[3] = new_figure(name, "us");
	if (buffer_alloc(&a.buf, BACK_4K, cfg.attach_pages * page_size))
		printf("# cannot allocate %lu pages\n", cfg.attach_pages);
	for (r = 0; r < cfg.reps; r++) {
		for (i = 0; i < NR_PATHS; i++) {
			p = turn(r, i);
			if (selected(T_ATTACH, p))
				attach_once(&a, p, &o[p]);
		}
	}
	for (p = 0; p < NR_PATHS; p++) {
		if (!selected(T_ATTACH, p))
			continue;
		report(T_ATTACH, p, &o[p]);
		emit_figures(a.figs, ARRAY_SIZE(a.figs), p);
	}
	buffer_free(&a.buf);
}

/* The tables */

#define CELL_WIDTH	24

static void format_value(double v, char *buf, size_t len)
{
	double a = v < 0 ? -v : v;

	if (a >= 100)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.2f", v);
}

static void format_cell(const struct figure *f, enum path_id p, char *buf,
			size_t len)
{
	char med[16], lo[16], hi[16];
	struct stats st;

	if (!(cfg.paths & (1U << p)) || !figure_stats(f, p, &st)) {
		snprintf(buf, len, "n/a");
		return;
	}
	format_value(st.median, med, sizeof(med));
	format_value(st.min, lo, sizeof(lo));
	format_value(st.max, hi, sizeof(hi));
	snprintf(buf, len, "%s [%s..%s]", med, lo, hi);
}

static void format_ratio(const struct figure *f, enum path_id a,
			 enum path_id b, char *buf, size_t len)
{
	struct stats sa, sb;

	/* Memory deltas can be 0 or below: no ratio then. */
	if (!figure_stats(f, a, &sa) || !figure_stats(f, b, &sb) ||
	    sa.median <= 0 || sb.median <= 0)
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.2f", sa.median / sb.median);
}

static void print_row(const struct figure *f, const enum path_id *paths,
		      unsigned int nr_paths, const enum path_id (*ratios)[2],
		      unsigned int nr_ratios)
{
	char cell[64], line[512];
	unsigned int i;
	int used;

	used = snprintf(line, sizeof(line), "%-26s %-6s", f->name, f->unit);
	for (i = 0; i < nr_paths; i++) {
		format_cell(f, paths[i], cell, sizeof(cell));
		used += snprintf(line + used, sizeof(line) - used, " %-*s",
				 CELL_WIDTH, cell);
	}
	for (i = 0; i < nr_ratios; i++) {
		format_ratio(f, ratios[i][0], ratios[i][1], cell, sizeof(cell));
		used += snprintf(line + used, sizeof(line) - used, " %-13s",
				 cell);
	}
	printf("bench: %s\n", line);
}

static void print_table(const char *title, const enum path_id *paths,
			unsigned int nr_paths, const enum path_id (*ratios)[2],
			unsigned int nr_ratios)
{
	char head[512], name[40];
	unsigned int i;
	int used;

	printf("bench:\nbench: %s\n", title);
	used = snprintf(head, sizeof(head), "%-26s %-6s", "workload", "unit");
	for (i = 0; i < nr_paths; i++)
		used += snprintf(head + used, sizeof(head) - used, " %-*s",
				 CELL_WIDTH, path_ops[paths[i]].name);
	for (i = 0; i < nr_ratios; i++) {
		snprintf(name, sizeof(name), "%s/%s",
			 path_ops[ratios[i][0]].name,
			 path_ops[ratios[i][1]].name);
		used += snprintf(head + used, sizeof(head) - used, " %-13s",
				 name);
	}
	printf("bench: %s\n", head);
	for (i = 0; i < nr_figures; i++)
		print_row(&figures[i], paths, nr_paths, ratios, nr_ratios);
}

static void print_tables(void)
{
	static const enum path_id device_paths[] = { OURS, IOMMUFD, TYPE1 };
	static const enum path_id device_ratios[][2] = {
		{ OURS, IOMMUFD }, { OURS, TYPE1 },
	};
	static const enum path_id mock_paths[] = { OURS_MOCK, IOMMUFD_MOCK };
	static const enum path_id mock_ratios[][2] = {
		{ OURS_MOCK, IOMMUFD_MOCK },
	};
	unsigned int i;

	print_table("edu behind the emulated IOMMU: median [min..max]",
		    device_paths, ARRAY_SIZE(device_paths), device_ratios,
		    ARRAY_SIZE(device_ratios));
	print_table("mock IOMMUs, software cost only: median [min..max]",
		    mock_paths, ARRAY_SIZE(mock_paths), mock_ratios,
		    ARRAY_SIZE(mock_ratios));
	printf("bench:\n");
	printf("bench: note: a mock attach creates the mock device, a mock detach destroys it\n");
	printf("bench: note: iommufd's mock IOMMU has 2 KiB pages, ours 4 KiB and 2 MiB\n");
	for (i = 0; i < nr_notes; i++)
		printf("bench: note: %s\n", notes[i]);
	for (i = 0; i < NR_PATHS; i++)
		if ((cfg.paths & (1U << i)) && unavailable[i][0])
			printf("bench: note: %s n/a: %s\n", path_ops[i].name,
			       unavailable[i]);
}

/* Setup: the device, the limits, and which paths work in this boot */

static const char *target_name(void)
{
	switch (read_target()) {
	case TARGET_VTD:
		return "vtd";
	case TARGET_VIRTIO:
		return "virtio";
	case TARGET_SMMUV3:
		return "smmuv3";
	default:
		return "unknown";
	}
}

/* Binds edu to vfio-pci and finds its cdev and its group. */
static void find_edu(void)
{
	char link[PATH_MAX];
	const char *group;
	bool bound;

	if (geteuid()) {
		edu.missing = "binding a device to vfio-pci needs root";
		return;
	}
	if (edu_find(edu.pci, sizeof(edu.pci))) {
		edu.missing = "no edu device (PCI id 1234:11e8)";
		return;
	}
	if (edu_bind_vfio(edu.pci, &bound, edu.cdev, sizeof(edu.cdev))) {
		edu.missing = "edu is not bound to vfio-pci, or has no VFIO cdev";
		return;
	}
	group = link_name(edu.pci, "iommu_group", link, sizeof(link));
	if (group)
		snprintf(edu.group, sizeof(edu.group), "/dev/vfio/%s", group);
}

/* Errors that mean a path is not in this kernel or not allowed here. */
static bool absent(enum path_id p, int err)
{
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENOTTY:
	case ENXIO:
	case EPERM:
		return true;
	case EINVAL:
		return path_ops[p].mock;
	default:
		return false;
	}
}

/*
 * Opens and attaches each path once.  A path that is missing is n/a for
 * every workload; one that fails otherwise fails them all.
 */
static void probe_paths(void)
{
	struct session s;
	enum path_id p;
	int ret;

	for (p = 0; p < NR_PATHS; p++) {
		if (!(cfg.paths & (1U << p)))
			continue;
		if (!path_ops[p].mock && edu.missing) {
			snprintf(unavailable[p], sizeof(unavailable[p]), "%s",
				 edu.missing);
			continue;
		}
		ret = session_open(&s, p, true);
		if (!ret) {
			session_close(&s);
			continue;
		}
		printf("# %s: %s: %s\n", path_ops[p].name, s.step,
		       strerror(ret));
		if (absent(p, ret))
			snprintf(unavailable[p], sizeof(unavailable[p]),
				 "%s: %s", s.step, strerror(ret));
	}
}

/* Staying on one CPU takes migrations out of the spread. */
static void pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		printf("# staying on CPU %d: %s\n", cpu, strerror(errno));
}

/* Pinning counts against RLIMIT_MEMLOCK on every path. */
static void raise_memlock(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		printf("# RLIMIT_MEMLOCK stays as it is: %s\n", strerror(errno));
}

static const char *const unsafe_params[] = {
	"/sys/module/ioasid/parameters/allow_unsafe_interrupts",
	"/sys/module/iommufd/parameters/allow_unsafe_interrupts",
	"/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
};

static char unsafe_saved[ARRAY_SIZE(unsafe_params)];

/*
 * virtio-iommu cannot isolate MSIs: every path needs its module's
 * allow_unsafe_interrupts there, which is put back at exit.
 */
static void allow_unsafe(bool allow)
{
	char value[2] = "";
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(unsafe_params); i++) {
		if (allow) {
			fd = open(unsafe_params[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0 || read(fd, &unsafe_saved[i], 1) != 1)
				unsafe_saved[i] = 0;
			if (fd >= 0)
				close(fd);
			if (unsafe_saved[i])
				write_attr(unsafe_params[i], "Y");
		} else if (unsafe_saved[i]) {
			value[0] = unsafe_saved[i];
			write_attr(unsafe_params[i], value);
		}
	}
}

static void print_header(void)
{
	struct utsname un = {};
	struct meminfo m;
	char size[16], count[24], live[256] = "";
	unsigned int i;
	int used = 0;

	uname(&un);
	read_meminfo(&m);
	for (i = 0; i < cfg.nr_counts; i++)
		used += snprintf(live + used, sizeof(live) - used, "%s%s",
				 i ? "," : "", count_text(cfg.counts[i], count,
							  sizeof(count)));
	printf("bench: ioasid-bench %s: kernel %s %s, target %s\n",
	       cfg.smoke ? "smoke" : "full", un.release, un.machine,
	       target_name());
	printf("bench: machine: %ld CPUs, %ld MiB RAM, %ld hugetlb pages of %ld KiB\n",
	       sysconf(_SC_NPROCESSORS_ONLN), m.total >> 10, m.huge_total,
	       m.huge_size);
	printf("bench: sizes: bulk %s, %u repetitions, live mappings %s\n",
	       size_text(cfg.bulk_bytes, size, sizeof(size)), cfg.reps, live);
	printf("bench: sizes: churn %u pairs at %s live, %u map/unmap-one per repetition\n",
	       cfg.churn_ops, count_text(cfg.churn_live, count, sizeof(count)),
	       cfg.unmap_batch);
	printf("bench: sizes: attach with %lu pages mapped\n", cfg.attach_pages);
	if (edu.missing)
		printf("bench: device: %s\n", edu.missing);
	else
		printf("bench: device: edu %s, %s, group %s\n", edu.pci,
		       edu.cdev, edu.group[0] ? edu.group : "(none)");
}

/* Options */

static void defaults(bool smoke)
{
	static const unsigned long full_counts[] = {
		1000, 10000, 100000, 1000000,
	};
	static const unsigned long smoke_counts[] = { 16, 256 };
	const unsigned long *counts = smoke ? smoke_counts : full_counts;
	unsigned int i;

	cfg.smoke = smoke;
	cfg.bulk_bytes = smoke ? 8 * SZ_1M : SZ_1G;
	cfg.reps = smoke ? 1 : 5;
	cfg.nr_counts = smoke ? ARRAY_SIZE(smoke_counts) :
				ARRAY_SIZE(full_counts);
	for (i = 0; i < cfg.nr_counts; i++)
		cfg.counts[i] = counts[i];
	cfg.churn_live = smoke ? 256 : 100000;
	cfg.churn_ops = smoke ? 16 : 1000;
	cfg.unmap_batch = smoke ? 4 : 100;
	cfg.attach_pages = smoke ? 64 : 16384;
	cfg.budget_s = smoke ? 0 : 60;
	cfg.paths = (1U << NR_PATHS) - 1;
	cfg.tests = (1U << NR_TESTS) - 1;
}

/* A count such as 100000, 100k or 1M. */
static bool parse_count(const char *text, unsigned long *n)
{
	char *end;

	errno = 0;
	*n = strtoul(text, &end, 10);
	if (*end == 'k' || *end == 'K')
		*n *= 1000;
	else if (*end == 'M')
		*n *= 1000000;
	if (*end == 'k' || *end == 'K' || *end == 'M')
		end++;
	return !errno && end != text && !*end;
}

/* A number option within [@min, @max]. */
static bool number(const char *text, unsigned long min, unsigned long max,
		   unsigned long *n)
{
	return parse_count(text, n) && *n >= min && *n <= max;
}

static bool uint_option(const char *text, unsigned int min, unsigned int *n)
{
	unsigned long value;

	if (!number(text, min, UINT_MAX, &value))
		return false;
	*n = value;
	return true;
}

static bool parse_counts(char *list)
{
	char *tok, *save;

	cfg.nr_counts = 0;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (cfg.nr_counts == MAX_COUNTS ||
		    !number(tok, 1, ULONG_MAX, &cfg.counts[cfg.nr_counts]))
			return false;
		cfg.nr_counts++;
	}
	return cfg.nr_counts;
}

/* Path names, or "devices" and "mocks". */
static bool parse_paths(char *list)
{
	char *tok, *save;
	enum path_id p;
	bool known;

	cfg.paths = 0;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		known = false;
		for (p = 0; p < NR_PATHS; p++) {
			if (!strcmp(tok, path_ops[p].name) ||
			    (!strcmp(tok, "devices") && !path_ops[p].mock) ||
			    (!strcmp(tok, "mocks") && path_ops[p].mock)) {
				cfg.paths |= 1U << p;
				known = true;
			}
		}
		if (!known)
			return false;
	}
	return cfg.paths;
}

/* Test names, or "bulk" for the three map tests and "scale" for two. */
static bool parse_tests(char *list)
{
	char *tok, *save;
	unsigned int t;
	bool known;

	cfg.tests = 0;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		known = false;
		for (t = 0; t < NR_TESTS; t++) {
			if (!strcmp(tok, test_names[t]) ||
			    (!strcmp(tok, "bulk") && t <= T_MAP_4K) ||
			    (!strcmp(tok, "scale") &&
			     (t == T_UNMAP_ONE || t == T_CHURN))) {
				cfg.tests |= 1U << t;
				known = true;
			}
		}
		if (!known)
			return false;
	}
	return cfg.tests;
}

static void print_usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-m full|smoke] [-s MiB] [-r reps] [-n N,N,...] [-l live] [-o ops] [-b batch] [-a pages] [-t s] [-p paths] [-w tests] [-P tests]\n"
		"  -m  sizes: full (default, or $ioasid_bench) or smoke\n"
		"  -s  bulk buffer size in MiB (full: 1024)\n"
		"  -r  repetitions of each figure (full: 5, at most %d)\n"
		"  -n  live mapping counts for unmap-one, as 1k,10k,100k,1M\n"
		"  -l  live mappings during churn (full: 100k)\n"
		"  -o  churn map+unmap pairs per repetition (full: 1000)\n"
		"  -b  unmaps (and maps) of one mapping per repetition (full: 100)\n"
		"  -a  pages mapped for the second attach figure (full: 16384)\n"
		"  -t  seconds a path may spend on a workload; larger sizes shrink to fit, 0 for no limit (full: 60)\n"
		"  -p  paths: ours,iommufd,type1,ours-mock,iommufd-mock,devices,mocks\n"
		"      (or $ioasid_bench_paths)\n"
		"  -w  tests: map-thp,map-hugetlb,map-4k,unmap-one,churn,attach,bulk,scale\n"
		"      (or $ioasid_bench_tests)\n"
		"  -P  tests: as -w, but once each, printing the kernel's function profile\n"
		"      of each bulk map and unmap, churn, attach and detach\n"
		"      (or $ioasid_bench_profile)\n",
		prog, MAX_REPS);
}

static bool set_option(int opt, char *arg)
{
	unsigned long n;

	switch (opt) {
	case 'm':
		return true;	/* read before the others */
	case 's':
		if (!number(arg, 1, 1UL << 20, &n))
			return false;
		cfg.bulk_bytes = (uint64_t)n << 20;
		return true;
	case 'r':
		return uint_option(arg, 1, &cfg.reps) && cfg.reps <= MAX_REPS;
	case 'n':
		return parse_counts(arg);
	case 'l':
		return number(arg, 1, ULONG_MAX, &cfg.churn_live);
	case 'o':
		return uint_option(arg, 1, &cfg.churn_ops);
	case 'b':
		return uint_option(arg, 1, &cfg.unmap_batch);
	case 'a':
		return number(arg, 1, ULONG_MAX, &cfg.attach_pages);
	case 't':
		return uint_option(arg, 0, &cfg.budget_s);
	case 'p':
		return parse_paths(arg);
	case 'w':
		return parse_tests(arg);
	case 'P':
		cfg.profile = true;
		cfg.reps = 1;
		return parse_tests(arg);
	default:
		return false;
	}
}

static bool parse_options(int argc, char **argv)
{
	const char *mode = getenv("ioasid_bench");
	char *profile = getenv("ioasid_bench_profile");
	char *tests = getenv("ioasid_bench_tests");
	char *paths = getenv("ioasid_bench_paths");
	int opt;

	/* The mode first: the other options change its sizes. */
	for (opt = 1; opt + 1 < argc; opt++)
		if (!strcmp(argv[opt], "-m"))
			mode = argv[opt + 1];
	if (mode && strcmp(mode, "full") && strcmp(mode, "smoke"))
		return false;
	defaults(mode && !strcmp(mode, "smoke"));
	if (profile && !set_option('P', profile))
		return false;
	if (tests && !set_option('w', tests))
		return false;
	if (paths && !set_option('p', paths))
		return false;

	while ((opt = getopt(argc, argv, "m:s:r:n:l:o:b:a:t:p:w:P:h")) != -1)
		if (!set_option(opt, optarg))
			return false;
	return optind == argc;
}

static unsigned int planned_tests(void)
{
	unsigned int n = 0, t, p;

	for (t = 0; t < NR_TESTS; t++)
		for (p = 0; p < NR_PATHS; p++)
			n += selected(t, p);
	return n;
}

int main(int argc, char **argv)
{
	uint64_t start = now_ns();
	bool virtio;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!parse_options(argc, argv)) {
		print_usage(argv[0]);
		return 2;
	}
	page_size = sysconf(_SC_PAGESIZE);
	pin_cpu();
	raise_memlock();
	find_edu();
	virtio = read_target() == TARGET_VIRTIO;
	if (virtio)
		allow_unsafe(true);
	print_header();
	if (cfg.profile && !profile_open()) {
		printf("bench: no function profiler in this kernel (CONFIG_FUNCTION_PROFILER)\n");
		return 1;
	}
	printf("1..%u\n", planned_tests());
	probe_paths();

	run_bulk(BACK_THP);
	run_bulk(BACK_HUGETLB);
	run_bulk(BACK_4K);
	run_scale();
	run_attach();

	if (virtio)
		allow_unsafe(false);
	print_tables();
	printf("bench: %u tests failed; the run took %.0f s\n", tap_failed,
	       (now_ns() - start) / 1e9);
	return tap_failed ? 1 : 0;
}
