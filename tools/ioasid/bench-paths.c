// SPDX-License-Identifier: GPL-2.0-only
/*
 * ioasid-bench: the paths under test, each behind the same operations:
 * /dev/ioasid and iommufd through edu's VFIO cdev, the VFIO type1
 * container, the two mock IOMMUs, vhost-vdpa on a virtio-net function
 * either bound to /dev/ioasid or on its own vhost IOTLB, and the floor,
 * which times what any of them must do; and the session that opens one of
 * them on an address space.
 */
#include "bench.h"
#include "vdpa_net.h"

/* /dev/ioasid through the VFIO cdev, and with the mock IOMMU */

static int open_cdev(struct session *s)
{
	s->step = "opening the VFIO cdev";
	s->dev_fd = open(s->edu->cdev, O_RDWR | O_CLOEXEC);
	return s->dev_fd < 0 ? errno : 0;
}

static int ours_alloc_as(struct session *s, uint32_t *id)
{
	s->step = "IOASID_ALLOC";
	return ioasid_alloc(s->fd, id);
}

static int ours_open(struct session *s)
{
	s->step = "opening /dev/ioasid";
	s->fd = open("/dev/ioasid", O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		return errno;
	return ours_alloc_as(s, &s->as_id);
}

static int ours_vfio_bind(struct session *s)
{
	int ret = open_cdev(s);

	if (ret)
		return ret;
	s->step = "VFIO_DEVICE_BIND_IOASID";
	return vfio_bind(s->dev_fd, s->fd);
}

static int ours_vfio_open(struct session *s)
{
	int ret = ours_open(s);

	return ret ? ret : ours_vfio_bind(s);
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

/*
 * A mock device that refuses to track dirty pages, as VT-d without
 * second-stage A/D bits, cannot join the dirty-capable table the default
 * ones share: the same page sizes and aperture, in a table of its own.
 */
static int ours_add_mock(struct session *s, uint32_t as_id, bool own_table,
			 uint32_t *hwpt)
{
	struct ioasid_test cmd = {};
	uint32_t id;
	int ret;

	if (own_table)
		cmd.mock_device.flags = IOASID_MOCK_NO_DIRTY;
	s->step = "IOASID_TEST_MOCK_DEVICE";
	ret = do_mock_device(s->fd, &cmd, &id);
	if (ret)
		return ret;
	s->step = "IOASID_TEST_ATTACH";
	*hwpt = 0;
	return mock_attach(s->fd, id, as_id);
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

/*
 * iommufd through the VFIO cdev, and with its selftest mock, whose attach
 * and detach are in bench-iommufd-mock.c
 */

static int iommufd_alloc_as(struct session *s, uint32_t *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	s->step = "IOMMU_IOAS_ALLOC";
	if (ioctl(s->fd, IOMMU_IOAS_ALLOC, &cmd))
		return errno;
	*id = cmd.out_ioas_id;
	return 0;
}

static int iommufd_open(struct session *s)
{
	s->step = "opening /dev/iommu";
	s->fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		return errno;
	return iommufd_alloc_as(s, &s->as_id);
}

static int iommufd_vfio_bind(struct session *s)
{
	struct vfio_device_bind_iommufd cmd = {
		.argsz = sizeof(cmd),
		.iommufd = s->fd,
	};
	int ret = open_cdev(s);

	if (ret)
		return ret;
	s->step = "VFIO_DEVICE_BIND_IOMMUFD";
	return ioctl(s->dev_fd, VFIO_DEVICE_BIND_IOMMUFD, &cmd) ? errno : 0;
}

static int iommufd_vfio_open(struct session *s)
{
	int ret = iommufd_open(s);

	return ret ? ret : iommufd_vfio_bind(s);
}

static int iommufd_vfio_attach(struct session *s)
{
	struct vfio_device_attach_iommufd_pt cmd = {
		.argsz = sizeof(cmd),
		.pt_id = s->as_id,
	};

	s->step = "VFIO_DEVICE_ATTACH_IOMMUFD_PT";
	if (ioctl(s->dev_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &cmd))
		return errno;
	/* The IOAS in, the HWPT it chose out. */
	s->hwpt_id = cmd.pt_id;
	return 0;
}

static int iommufd_vfio_detach(struct session *s)
{
	struct vfio_device_detach_iommufd_pt cmd = { .argsz = sizeof(cmd) };

	s->step = "VFIO_DEVICE_DETACH_IOMMUFD_PT";
	return ioctl(s->dev_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &cmd) ? errno : 0;
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

/* Says once whose container the type1 rows time. */
static void type1_tell_server(void)
{
	static bool told;

	if (!told && container_is_ioasid())
		printf("# type1: /dev/vfio/vfio is /dev/ioasid's container, not VFIO's\n");
	told = true;
}

static int type1_open(struct session *s)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	bool supported;
	int ret;

	s->step = "opening /dev/vfio/vfio";
	s->fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (s->fd < 0)
		return errno;
	type1_tell_server();
	s->step = "VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU)";
	supported = ioctl(s->fd, VFIO_GET_API_VERSION) == VFIO_API_VERSION &&
		    ioctl(s->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0;
	ret = supported ? 0 : ENODEV;
	if (ret)
		return ret;
	s->step = "opening the VFIO group";
	s->dev_fd = open(s->edu->group, O_RDWR | O_CLOEXEC);
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

/*
 * vhost-vdpa, on the vDPA device of the run (ioasid-bench.c).  A device
 * takes one open fd at a time: each session opens its own, so that both
 * paths go through the same function, the same IOMMU and requester ID.
 */

static int open_vhost(struct session *s, int *fd)
{
	s->step = "opening the vhost-vdpa device";
	*fd = open(vdpa.path, O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		return errno;
	s->step = "VHOST_SET_OWNER";
	return ioctl(*fd, VHOST_SET_OWNER, NULL) ? errno : 0;
}

/* Bound, the function translates through the IOASID's page table. */
static int ours_vdpa_open(struct session *s)
{
	int ret = ours_open(s);

	if (!ret)
		ret = open_vhost(s, &s->dev_fd);
	if (ret)
		return ret;
	s->step = "VHOST_VDPA_IOASID_BIND";
	return vnet_ioasid_bind(s->dev_fd, s->fd);
}

/* A parent behind the platform IOMMU has address space 0 alone. */
static int ours_vdpa_attach(struct session *s)
{
	s->step = "VHOST_VDPA_IOASID_ATTACH";
	return vnet_ioasid_attach(s->dev_fd, 0, s->as_id, NULL);
}

static int ours_vdpa_detach(struct session *s)
{
	s->step = "VHOST_VDPA_IOASID_DETACH";
	return vnet_ioasid_detach(s->dev_fd, 0);
}

/* Never bound, the fd uses the vhost IOTLB and its private IOMMU domain. */
static int iotlb_open(struct session *s)
{
	int ret = open_vhost(s, &s->fd);

	if (ret)
		return ret;
	s->step = "VHOST_SET_BACKEND_FEATURES";
	return vnet_iotlb_enable(s->fd);
}

/* Attach and detach: opening the fd attached its domain, closing detaches. */
static int iotlb_noop(struct session *s)
{
	(void)s;
	return 0;
}

/*
 * Every update pins its pages and adds an IOTLB entry per physically
 * contiguous run; a failed message reads EFAULT, whatever its cause.
 */
static int iotlb_map(struct session *s, void *va, uint64_t len, uint64_t iova)
{
	return vnet_iotlb_update(s->fd, iova, len, va);
}

static int iotlb_unmap(struct session *s, uint64_t iova, uint64_t len)
{
	return vnet_iotlb_invalidate(s->fd, iova, len);
}

/* One range, the private domain's aperture. */
static int iotlb_ranges(struct session *s)
{
	struct vhost_vdpa_iova_range r;

	s->step = "VHOST_VDPA_GET_IOVA_RANGE";
	if (ioctl(s->fd, VHOST_VDPA_GET_IOVA_RANGE, &r))
		return errno;
	s->ranges[0] = (struct range){ r.first, r.last };
	s->nr_ranges = 1;
	return 0;
}

/*
 * The floor: ours' session of edu, whose timed maps and unmaps are one
 * IOASID_TEST_FLOOR each, timed by the kernel: pin, map into the IOMMU
 * page tables, unmap with the IOTLB flush and unpin, and nothing else.
 * Its live mappings are made with IOASID_MAP, as ours are.
 */

/* An odd count, whose median is one of them. */
#define NULL_IOCTLS	2001

uint64_t null_ioctl_ns;

/*
 * Ours is timed from here, around its ioctl: each half of the floor gets
 * the round trip of an ioctl that does nothing, so that the two compare.
 */
static int floor_map_unmap(struct session *s, void *va, uint64_t len,
			   uint64_t iova, uint64_t *map_ns, uint64_t *unmap_ns)
{
	struct ioasid_test cmd;
	int ret;

	s->step = "IOASID_TEST_FLOOR";
	ret = floor_op(s->fd, s->as_id, iova, va, len, &cmd);
	if (ret)
		return ret;
	*map_ns = cmd.floor.out_map_ns + null_ioctl_ns;
	*unmap_ns = cmd.floor.out_unmap_ns + null_ioctl_ns;
	return 0;
}

/*
 * The median of IOASID_TEST calls with op 0, each timed as the workloads
 * time ours: the kernel copies the struct in and refuses the op with
 * EOPNOTSUPP.  Without CONFIG_DEV_IOASID_TEST, the ioctl is ENOTTY.
 */
static int time_null_ioctl(struct session *s)
{
	struct ioasid_test cmd = {};
	double ns[NULL_IOCTLS];
	unsigned int i;
	uint64_t t0;
	int ret;

	s->step = "IOASID_TEST, which needs CONFIG_DEV_IOASID_TEST";
	for (i = 0; i < NULL_IOCTLS; i++) {
		t0 = now_ns();
		ret = do_test(s->fd, &cmd);
		ns[i] = now_ns() - t0;
		if (ret != EOPNOTSUPP)
			return ret ? ret : EPROTO;
	}
	null_ioctl_ns = median(ns, NULL_IOCTLS);
	return 0;
}

/*
 * On an attached session of the floor, once per run: times the ioctl
 * that does nothing, then maps and unmaps one page, which a kernel
 * without IOASID_TEST_FLOOR refuses with EOPNOTSUPP.
 */
int floor_probe(struct session *s)
{
	uint64_t iova, map_ns, unmap_ns;
	void *page;
	int ret;

	ret = time_null_ioctl(s);
	if (ret)
		return ret;
	s->step = "finding an IOVA for one page";
	if (!pick_iova(s, page_size, page_size, &iova))
		return ERANGE;
	s->step = "allocating a page";
	page = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return errno;
	ret = floor_map_unmap(s, page, page_size, iova, &map_ns, &unmap_ns);
	munmap(page, page_size);
	return ret;
}

const struct path_ops path_ops[NR_PATHS] = {
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
		.alloc_as = ours_alloc_as,
		.add_mock = ours_add_mock,
		.bind = ours_vfio_bind,
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
		.alloc_as = iommufd_alloc_as,
		.add_mock = iommufd_add_mock,
		.bind = iommufd_vfio_bind,
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
		.alloc_as = ours_alloc_as,
		.add_mock = ours_add_mock,
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
		.alloc_as = iommufd_alloc_as,
		.add_mock = iommufd_add_mock,
	},
	[VDPA] = {
		.name = "vdpa",
		.vdpa = true,
		.map_name = "IOASID_MAP",
		.unmap_name = "IOASID_UNMAP",
		.open = ours_vdpa_open,
		.attach = ours_vdpa_attach,
		.detach = ours_vdpa_detach,
		.map = ours_map,
		.unmap = ours_unmap,
		.ranges = ours_ranges,
	},
	[VDPA_IOTLB] = {
		.name = "vdpa-iotlb",
		.vdpa = true,
		.no_attach = "nothing to attach: opening the fd attaches its private domain",
		.map_name = "VHOST_IOTLB_UPDATE",
		.unmap_name = "VHOST_IOTLB_INVALIDATE",
		.open = iotlb_open,
		.attach = iotlb_noop,
		.detach = iotlb_noop,
		.map = iotlb_map,
		.unmap = iotlb_unmap,
		.ranges = iotlb_ranges,
	},
	[FLOOR] = {
		.name = "floor",
		.no_attach = "only map and unmap; its attach is ours'",
		.map_name = "IOASID_MAP",
		.unmap_name = "IOASID_UNMAP",
		.open = ours_vfio_open,
		.attach = ours_vfio_attach,
		.detach = ours_vfio_detach,
		.map = ours_map,
		.unmap = ours_unmap,
		.ranges = ours_ranges,
		.map_unmap = floor_map_unmap,
	},
};

void session_close(struct session *s)
{
	/* The device first: unbinding it detaches it. */
	if (s->dev_fd >= 0)
		close(s->dev_fd);
	if (s->fd >= 0)
		close(s->fd);
	s->dev_fd = -1;
	s->fd = -1;
}

static int open_with(struct session *s, enum path_id p, bool attach,
		     const struct bench_edu *dev)
{
	const struct path_ops *ops = &path_ops[p];
	int ret;

	*s = (struct session){ .path = p, .edu = dev, .fd = -1, .dev_fd = -1 };
	ret = ops->open(s);
	if (!ret && attach)
		ret = ops->attach(s);
	if (!ret && attach)
		ret = ops->ranges(s);
	if (ret)
		session_close(s);
	return ret;
}

/*
 * Opens a path, attached and with its usable IOVAs read when @attach; a
 * VFIO path on the first edu.
 */
int session_open(struct session *s, enum path_id p, bool attach)
{
	return open_with(s, p, attach, &edu);
}

/* Opens a path attached, a VFIO path on edu device @dev. */
int session_open_on(struct session *s, enum path_id p,
		    const struct bench_edu *dev)
{
	return open_with(s, p, true, dev);
}

/*
 * A VFIO device fd of edu in @s, which the caller closes: a duplicate of
 * the cdev's, or for type1 one that the group gives, which it can only
 * once its container has an IOMMU, that is once attached.
 */
int edu_device_fd(struct session *s, int *fd)
{
	if (s->path == TYPE1) {
		s->step = "VFIO_GROUP_GET_DEVICE_FD";
		*fd = ioctl(s->dev_fd, VFIO_GROUP_GET_DEVICE_FD, s->edu->pci);
	} else {
		s->step = "duplicating the VFIO cdev fd";
		*fd = fcntl(s->dev_fd, F_DUPFD_CLOEXEC, 0);
	}
	return *fd < 0 ? errno : 0;
}

/*
 * Binds edu device @dev to the fd of VFIO session @s and attaches it to
 * the session's address space.  *@fd is its cdev's fd, which the caller
 * closes, before the session; *@hwpt is iommufd's table of it, 0 on ours.
 */
int session_add_edu(struct session *s, const struct bench_edu *dev, int *fd,
		    uint32_t *hwpt)
{
	const struct path_ops *ops = &path_ops[s->path];
	struct session added = *s;
	int ret;

	*fd = -1;
	if (!ops->bind)
		return EOPNOTSUPP;
	added.edu = dev;
	added.dev_fd = -1;
	ret = ops->bind(&added);
	if (!ret)
		ret = ops->attach(&added);
	*fd = added.dev_fd;
	*hwpt = added.hwpt_id;
	s->step = added.step;
	return ret;
}

/*
 * A second address space in the fd of session @s, with a device of its
 * own attached, its usable IOVAs read: a mock device on the mock paths,
 * edu device @dev on the others.  @second shares the fd: closing @s
 * closes it, after the caller closed @second's dev_fd where it differs
 * from @s's.
 */
int session_add_as(struct session *s, struct session *second,
		   const struct bench_edu *dev)
{
	const struct path_ops *ops = &path_ops[s->path];
	int ret;

	if (!ops->alloc_as)
		return EOPNOTSUPP;
	*second = *s;
	ret = ops->alloc_as(second, &second->as_id);
	if (!ret && ops->mock)
		ret = ops->attach(second);
	else if (!ret)
		ret = session_add_edu(second, dev, &second->dev_fd,
				      &second->hwpt_id);
	if (!ret)
		ret = ops->ranges(second);
	s->step = second->step;
	return ret;
}

/* The tables= of the IOAS line of /dev/ioasid fd @fd for IOASID @id. */
static int fdinfo_tables(int fd, uint32_t id, unsigned int *tables)
{
	char path[64], line[512], *at;
	unsigned int ioas;
	int ret = ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return errno;
	while (ret && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "ioasid-ioas: %u", &ioas) != 1 || ioas != id)
			continue;
		at = strstr(line, " tables=");
		if (at && sscanf(at, " tables=%u", tables) == 1)
			ret = 0;
	}
	fclose(f);
	return ret;
}

/*
 * How many page tables the devices of @s's address space go through:
 * on iommufd, the distinct HWPTs among the @nr of @hwpts that attaching
 * them gave; on ours, which chooses the tables itself, what its fdinfo
 * says.
 */
int session_tables(struct session *s, const uint32_t *hwpts,
		   unsigned int nr, unsigned int *tables)
{
	unsigned int i, j;

	s->step = "counting the page tables";
	if (path_ops[s->path].add_mock != iommufd_add_mock)
		return fdinfo_tables(s->fd, s->as_id, tables);
	*tables = 0;
	for (i = 0; i < nr; i++) {
		for (j = 0; j < i && hwpts[j] != hwpts[i]; j++)
			;
		*tables += j == i;
	}
	return 0;
}

/* The lowest IOVA, a multiple of @align and at least @align, for @len. */
bool pick_iova(const struct session *s, uint64_t len, uint64_t align,
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
uint64_t largest_window(const struct session *s, uint64_t align,
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
