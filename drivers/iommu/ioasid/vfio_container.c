// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/vfio/vfio on /dev/ioasid: the VFIO container API of the type1
 * IOMMU driver, for the programs written against it, served by a context
 * of our own.  Opening /dev/vfio/vfio opens a /dev/ioasid context whose
 * pins are charged to the process, as type1 charges them; the first VFIO
 * group that joins it creates the IOASID behind the container, the
 * devices of its groups attach to that IOASID when VFIO opens them, and
 * MAP_DMA and UNMAP_DMA map and unmap in it.  See "The VFIO container" in
 * Documentation/userspace-api/ioasid.rst for what differs from type1.
 */
#include <linux/ioasid.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "ioasid_private.h"

void ioasid_vfio_ctx_init(struct ioasid_ctx *ctx)
{
	mutex_init(&ctx->vfio.lock);
}

/**
 * ioasid_vfio_ctx_make_container() - make a new context a VFIO container
 * @ctx: the context, opened through /dev/vfio/vfio
 */
void ioasid_vfio_ctx_make_container(struct ioasid_ctx *ctx)
{
	ctx->vfio.is_container = true;
	/* As type1 does; nothing is pinned yet, so this cannot fail. */
	WARN_ON(ioasid_ctx_set_accounting(ctx, IOASID_ACCOUNT_PROCESS));
}

/* Before the context's objects go: the container's IOAS is one. */
void ioasid_vfio_ctx_destroy(struct ioasid_ctx *ctx)
{
	if (ctx->vfio.ioas)
		ioasid_ioas_put(ctx->vfio.ioas);
	mutex_destroy(&ctx->vfio.lock);
}

/**
 * ioasid_vfio_join() - add a VFIO group to a container
 * @ctx: the context of the container's fd
 *
 * For VFIO_GROUP_SET_CONTAINER.  The first group creates the IOASID the
 * devices of all of them attach to, which the container keeps.
 *
 * Return: 0, -EBADFD when @ctx was not opened as a container, or -ENOMEM.
 */
int ioasid_vfio_join(struct ioasid_ctx *ctx)
{
	struct ioasid_ioas *ioas;
	int ret = 0;

	if (!ctx->vfio.is_container)
		return -EBADFD;
	mutex_lock(&ctx->vfio.lock);
	if (!ctx->vfio.ioas) {
		ioas = ioasid_ioas_add(ctx);
		if (IS_ERR(ioas))
			ret = PTR_ERR(ioas);
		else
			ctx->vfio.ioas = ioas;
	}
	if (!ret)
		ctx->vfio.groups++;
	mutex_unlock(&ctx->vfio.lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ioasid_vfio_join, IOASID);

/**
 * ioasid_vfio_leave() - remove a VFIO group from a container
 * @ctx: the context of the container's fd
 *
 * For VFIO_GROUP_UNSET_CONTAINER and the group's release, with none of
 * the group's devices open.  When the last group leaves, the container
 * forgets its IOMMU type and unmaps everything, as type1 does.
 */
void ioasid_vfio_leave(struct ioasid_ctx *ctx)
{
	mutex_lock(&ctx->vfio.lock);
	if (!WARN_ON(!ctx->vfio.groups) && !--ctx->vfio.groups) {
		ctx->vfio.iommu_type = 0;
		ioasid_ioas_unmap_all(ctx->vfio.ioas);
	}
	mutex_unlock(&ctx->vfio.lock);
}
EXPORT_SYMBOL_NS_GPL(ioasid_vfio_leave, IOASID);

/**
 * ioasid_vfio_ioasid() - the IOASID a container's devices attach to
 * @ctx: the context of the container's fd
 * @ioasid: set to the IOASID
 *
 * For VFIO_GROUP_GET_DEVICE_FD, which needs VFIO_SET_IOMMU done.
 *
 * Return: 0, or -EINVAL before VFIO_SET_IOMMU.
 */
int ioasid_vfio_ioasid(struct ioasid_ctx *ctx, u32 *ioasid)
{
	int ret = -EINVAL;

	mutex_lock(&ctx->vfio.lock);
	if (ctx->vfio.iommu_type) {
		*ioasid = ctx->vfio.ioas->obj.id;
		ret = 0;
	}
	mutex_unlock(&ctx->vfio.lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ioasid_vfio_ioasid, IOASID);

/* The IOAS of a container whose IOMMU type is set, held. */
static struct ioasid_ioas *vfio_ioas_get(struct ioasid_ctx *ctx)
{
	u32 id;

	if (ioasid_vfio_ioasid(ctx, &id))
		return ERR_PTR(-EINVAL);
	return ioasid_ioas_get(ctx, id);
}

static bool vfio_type_supported(unsigned long type)
{
	return type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU;
}

static long vfio_check_extension(struct ioasid_ctx *ctx, unsigned long ext)
{
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		return ioasid_ctx_dma_coherent(ctx);
	default:
		/* VADDR updates, nesting, dirty pages and sPAPR are not. */
		return 0;
	}
}

static long vfio_set_iommu(struct ioasid_ctx *ctx, unsigned long type)
{
	long ret = 0;

	mutex_lock(&ctx->vfio.lock);
	/* type1 wants a group first, and takes one type for good. */
	if (!ctx->vfio.groups || ctx->vfio.iommu_type)
		ret = -EINVAL;
	else if (!vfio_type_supported(type))
		ret = -ENODEV;
	else
		ctx->vfio.iommu_type = type;
	mutex_unlock(&ctx->vfio.lock);
	return ret;
}

/*
 * The capability chain of VFIO_IOMMU_GET_INFO, built in one buffer whose
 * offsets count from the start of the info struct that precedes it.
 */
struct vfio_caps {
	void *buf;
	size_t size;
	u32 count;
};

static void *vfio_caps_add(struct vfio_caps *caps, size_t size, u16 id,
			   u16 version)
{
	struct vfio_info_cap_header *header;
	void *buf;

	buf = krealloc(caps->buf, caps->size + size, GFP_KERNEL);
	if (!buf)
		return NULL;
	memset(buf + caps->size, 0, size);
	header = buf + caps->size;
	header->id = id;
	header->version = version;
	caps->buf = buf;
	caps->size += size;
	return header;
}

/* Links each capability to the next, for a chain at offset @base. */
static void vfio_caps_link(struct vfio_caps *caps, size_t base)
{
	struct vfio_info_cap_header *header;
	size_t off = 0, next;

	while (off < caps->size) {
		header = caps->buf + off;
		next = off + header->next;
		header->next = next < caps->size ? base + next : 0;
		off = next;
	}
}

static int vfio_count_range(void *arg, unsigned long first, unsigned long last)
{
	struct vfio_caps *caps = arg;

	caps->count++;
	return 0;
}

struct vfio_range_fill {
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	u32 capacity;
};

static int vfio_fill_range(void *arg, unsigned long first, unsigned long last)
{
	struct vfio_range_fill *fill = arg;
	struct vfio_iommu_type1_info_cap_iova_range *cap = fill->cap;

	/* The walk that counted the ranges held the same lock. */
	if (WARN_ON_ONCE(cap->nr_iovas == fill->capacity))
		return -EAGAIN;
	cap->iova_ranges[cap->nr_iovas].start = first;
	cap->iova_ranges[cap->nr_iovas].end = last;
	cap->nr_iovas++;
	return 0;
}

/* The usable IOVA ranges, counted and copied under one hold of the lock. */
static int vfio_caps_add_ranges(struct vfio_caps *caps,
				struct ioasid_ioas *ioas)
{
	struct vfio_range_fill fill = {};
	size_t size;
	int ret = -ENOMEM;

	down_read(&ioas->iova_rwsem);
	caps->count = 0;
	ioasid_ioas_walk_usable(ioas, vfio_count_range, caps);
	size = struct_size(fill.cap, iova_ranges, caps->count);
	fill.cap = vfio_caps_add(caps, size,
				 VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	if (fill.cap) {
		fill.capacity = caps->count;
		ret = ioasid_ioas_walk_usable(ioas, vfio_fill_range, &fill);
		fill.cap->header.next = size;
	}
	up_read(&ioas->iova_rwsem);
	return ret;
}

static int vfio_build_caps(struct vfio_caps *caps, struct ioasid_ioas *ioas)
{
	struct vfio_iommu_type1_info_dma_avail *avail;

	avail = vfio_caps_add(caps, sizeof(*avail),
			      VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1);
	if (!avail)
		return -ENOMEM;
	/* No limit on the number of mappings but memory and memlock. */
	avail->avail = U32_MAX;
	avail->header.next = sizeof(*avail);
	return vfio_caps_add_ranges(caps, ioas);
}

static long vfio_get_info(struct ioasid_ctx *ctx,
			  struct vfio_iommu_type1_info __user *arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info info = {};
	struct vfio_caps caps = {};
	struct ioasid_ioas *ioas;
	size_t outsz;
	long ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	/* The caller's struct may end before cap_offset: write no further. */
	outsz = min_t(size_t, info.argsz, sizeof(info));
	ioas = vfio_ioas_get(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	/* Any power of two from the granule up maps in one call. */
	info.iova_pgsizes = ~(u64)(ioasid_ioas_iova_alignment(ioas) - 1);
	ret = vfio_build_caps(&caps, ioas);
	ioasid_ioas_put(ioas);
	if (ret)
		goto out_free;

	if (info.argsz < sizeof(info) + caps.size) {
		/* Too short for the chain: say how long it must be. */
		info.argsz = sizeof(info) + caps.size;
		info.cap_offset = 0;
	} else {
		vfio_caps_link(&caps, sizeof(info));
		ret = -EFAULT;
		if (copy_to_user((void __user *)arg + sizeof(info), caps.buf,
				 caps.size))
			goto out_free;
		info.cap_offset = sizeof(info);
	}
	ret = copy_to_user(arg, &info, outsz) ? -EFAULT : 0;
out_free:
	kfree(caps.buf);
	return ret;
}

/* type1's errno for what our map refuses. */
static long vfio_map_errno(int err)
{
	switch (err) {
	case -EADDRINUSE:
		return -EEXIST;
	case -EADDRNOTAVAIL:
	case -EOVERFLOW:
		return -EINVAL;
	default:
		return err;
	}
}

static long vfio_map_dma(struct ioasid_ctx *ctx,
			 struct vfio_iommu_type1_dma_map __user *arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	struct ioasid_ioas *ioas;
	u32 flags = IOASID_MAP_FIXED_IOVA;
	u64 iova;
	long ret;

	if (copy_from_user(&map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz ||
	    map.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		flags |= IOASID_MAP_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		flags |= IOASID_MAP_WRITE;

	ioas = vfio_ioas_get(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	iova = map.iova;
	ret = ioasid_map_user(ctx, ioas, map.vaddr, map.size, flags, &iova, 0);
	ioasid_ioas_put(ioas);
	return vfio_map_errno(ret);
}

static long vfio_unmap_dma(struct ioasid_ctx *ctx,
			   struct vfio_iommu_type1_dma_unmap __user *arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	unsigned long start = 0, last = ULONG_MAX, removed;
	struct ioasid_ioas *ioas;
	long ret;

	if (copy_from_user(&unmap, arg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz || unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL)
		return -EINVAL;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova || unmap.size)
			return -EINVAL;
	} else {
		start = unmap.iova;
		if (!unmap.size || !PAGE_ALIGNED(unmap.iova) ||
		    !PAGE_ALIGNED(unmap.size) ||
		    check_add_overflow(unmap.iova, unmap.size - 1, &last))
			return -EINVAL;
	}

	ioas = vfio_ioas_get(ctx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	ret = ioasid_area_remove_range(ioas, start, last, &removed, NULL);
	ioasid_ioas_put(ioas);
	/* A range that splits a mapping, which type1v2 refuses so. */
	if (ret == -ERANGE)
		return -EINVAL;
	if (ret)
		return ret;

	unmap.size = removed;
	return copy_to_user(arg, &unmap, minsz) ? -EFAULT : 0;
}

/**
 * ioasid_vfio_is_container_ioctl() - whether a command is the container's
 * @ctx: the context of the fd it was called on
 * @cmd: the command
 *
 * Return: true for VFIO's commands on a context opened as a container.
 */
bool ioasid_vfio_is_container_ioctl(struct ioasid_ctx *ctx, unsigned int cmd)
{
	return ctx->vfio.is_container && _IOC_TYPE(cmd) == VFIO_TYPE;
}

long ioasid_vfio_ioctl(struct ioasid_ctx *ctx, unsigned int cmd,
		       void __user *arg)
{
	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return vfio_check_extension(ctx, (unsigned long)arg);
	case VFIO_SET_IOMMU:
		return vfio_set_iommu(ctx, (unsigned long)arg);
	case VFIO_IOMMU_GET_INFO:
		return vfio_get_info(ctx, arg);
	case VFIO_IOMMU_MAP_DMA:
		return vfio_map_dma(ctx, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return vfio_unmap_dma(ctx, arg);
	default:
		/* VFIO_IOMMU_DIRTY_PAGES and the sPAPR commands among them. */
		return -ENOTTY;
	}
}
