// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices bound to a context and attached to its IOASes.  Binding claims
 * DMA ownership, so the device is blocked from DMA until it is attached
 * and again once it is detached.  Attaching chooses the IOAS page table
 * the device's IOMMU accepts and narrows the IOAS's usable IOVAs to what
 * the device can reach.
 */
#include <linux/iommu.h>
#include <linux/slab.h>

#include "ioasid_private.h"

/**
 * ioasid_device_bind() - take DMA ownership of a device for a context
 * @ctx: the context
 * @dev: the physical device
 *
 * Return: the binding, or an ERR_PTR: -ENODEV when no IOMMU translates
 * @dev, -EBUSY when another owner or a kernel DMA driver has it.
 */
struct ioasid_device *ioasid_device_bind(struct ioasid_ctx *ctx,
					 struct device *dev)
{
	struct ioasid_device *idev;
	int ret;

	idev = kzalloc(sizeof(*idev), GFP_KERNEL_ACCOUNT);
	if (!idev)
		return ERR_PTR(-ENOMEM);
	idev->group = iommu_group_get(dev);
	if (!idev->group) {
		ret = -ENODEV;
		goto err_free;
	}
	ret = iommu_device_claim_dma_owner(dev, idev);
	if (ret)
		goto err_group;
	idev->ctx = ctx;
	idev->dev = dev;
	mutex_init(&idev->lock);
	INIT_LIST_HEAD(&idev->ioas_node);
	return idev;

err_group:
	iommu_group_put(idev->group);
err_free:
	kfree(idev);
	return ERR_PTR(ret);
}

/**
 * ioasid_device_unbind() - detach a device and give up its ownership
 * @idev: the binding, which is freed
 */
void ioasid_device_unbind(struct ioasid_device *idev)
{
	ioasid_device_detach(idev);
	iommu_device_release_dma_owner(idev->dev);
	iommu_group_put(idev->group);
	mutex_destroy(&idev->lock);
	kfree(idev);
}

struct range_list {
	struct ioasid_iova_range *ranges;
	unsigned int count;
	unsigned int capacity;
};

static int range_list_add(struct range_list *list, unsigned long start,
			  unsigned long last)
{
	if (list->count == list->capacity) {
		unsigned int grown = max(8U, list->capacity * 2);
		struct ioasid_iova_range *ranges;

		ranges = krealloc_array(list->ranges, grown, sizeof(*ranges),
					GFP_KERNEL_ACCOUNT);
		if (!ranges)
			return -ENOMEM;
		list->ranges = ranges;
		list->capacity = grown;
	}
	list->ranges[list->count].start = start;
	list->ranges[list->count].last = last;
	list->count++;
	return 0;
}

/*
 * The IOVAs a device attached through @domain cannot use: outside the
 * domain's aperture, and every region the IOMMU reserves for the group.
 */
static int device_reserved(struct ioasid_device *idev,
			   struct iommu_domain *domain, struct range_list *list)
{
	struct iommu_domain_geometry *geo = &domain->geometry;
	struct iommu_resv_region *resv, *next;
	LIST_HEAD(regions);
	int ret = 0;

	if (geo->force_aperture && geo->aperture_start)
		ret = range_list_add(list, 0, geo->aperture_start - 1);
	if (!ret && geo->force_aperture && geo->aperture_end != ULONG_MAX)
		ret = range_list_add(list, geo->aperture_end + 1, ULONG_MAX);

	if (!ret)
		ret = iommu_get_group_resv_regions(idev->group, &regions);
	list_for_each_entry_safe(resv, next, &regions, list) {
		if (!ret && resv->length)
			ret = range_list_add(list, resv->start,
					     resv->start + resv->length - 1);
		kfree(resv);
	}
	return ret;
}

/* Whether a mapping of @ioas lies in one of the ranges. */
static bool ranges_hit_mapping(struct ioasid_ioas *ioas,
			       struct range_list *list)
{
	unsigned int i;

	for (i = 0; i < list->count; i++)
		if (ioasid_area_first(ioas, list->ranges[i].start,
				      list->ranges[i].last))
			return true;
	return false;
}

/*
 * Builds the reserved set of @ioas from its attached devices' ranges plus
 * @extra, the ranges of a device about to attach.
 */
static int build_reserved(struct ioasid_ioas *ioas, struct range_list *extra,
			  struct rb_root_cached *set)
{
	struct range_list all = {};
	struct ioasid_device *idev;
	unsigned int i;
	int ret = 0;

	list_for_each_entry(idev, &ioas->devices, ioas_node)
		for (i = 0; i < idev->nr_reserved && !ret; i++)
			ret = range_list_add(&all, idev->reserved[i].start,
					     idev->reserved[i].last);
	for (i = 0; extra && i < extra->count && !ret; i++)
		ret = range_list_add(&all, extra->ranges[i].start,
				     extra->ranges[i].last);
	if (!ret)
		ret = ioasid_iova_set_build(set, all.ranges, all.count, 1);
	kfree(all.ranges);
	return ret;
}

/*
 * Prepares attaching @idev through @domain: fails with -EADDRINUSE when a
 * mapping would become unreachable, and otherwise returns the new
 * reserved set of @ioas and the device's own ranges.
 */
static int prepare_attach(struct ioasid_ioas *ioas, struct ioasid_device *idev,
			  struct iommu_domain *domain,
			  struct range_list *ranges,
			  struct rb_root_cached *reserved)
{
	int ret;

	ranges->count = 0;
	ret = device_reserved(idev, domain, ranges);
	if (ret)
		return ret;
	if (ranges_hit_mapping(ioas, ranges))
		return -EADDRINUSE;
	return build_reserved(ioas, ranges, reserved);
}

/*
 * Attaches @idev to an existing page table of @ioas that its IOMMU
 * accepts, or returns -EINVAL when none does.
 */
static int attach_existing(struct ioasid_ioas *ioas,
			   struct ioasid_device *idev,
			   struct range_list *ranges,
			   struct rb_root_cached *reserved)
{
	struct ioasid_hwpt *hwpt;
	int ret;

	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		ret = prepare_attach(ioas, idev, hwpt->domain, ranges,
				     reserved);
		if (ret)
			return ret;
		ret = iommu_attach_group(hwpt->domain, idev->group);
		if (!ret) {
			idev->hwpt = hwpt;
			return 0;
		}
		ioasid_iova_set_clear(reserved);
		/* -EINVAL means this IOMMU needs a table of its own. */
		if (ret != -EINVAL)
			return ret;
	}
	return -EINVAL;
}

static int attach_new(struct ioasid_ioas *ioas, struct ioasid_device *idev,
		      struct range_list *ranges,
		      struct rb_root_cached *reserved)
{
	struct ioasid_hwpt *hwpt;
	int ret;

	hwpt = ioasid_hwpt_create(idev->dev);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	/* The aperture is known now, before any mapping goes in. */
	ret = prepare_attach(ioas, idev, hwpt->domain, ranges, reserved);
	if (ret)
		goto err_put;
	ret = ioasid_hwpt_fill(ioas, hwpt);
	if (ret)
		goto err_clear;
	ret = iommu_attach_group(hwpt->domain, idev->group);
	if (ret)
		goto err_clear;
	idev->hwpt = hwpt;
	return 0;

err_clear:
	ioasid_iova_set_clear(reserved);
err_put:
	ioasid_hwpt_put(ioas, hwpt);
	return ret;
}

/**
 * ioasid_device_attach() - attach a device's requester ID to an IOAS
 * @idev: a bound device that is not attached
 * @ioas: the IOAS, which gains a user for as long as the device stays
 *
 * Return: 0; -EBUSY when @idev is attached already; -EADDRINUSE when a
 * mapping of @ioas is outside what the device can reach; or the IOMMU's
 * error.  On error nothing changes.
 */
int ioasid_device_attach(struct ioasid_device *idev, struct ioasid_ioas *ioas)
{
	struct rb_root_cached reserved = RB_ROOT_CACHED;
	struct range_list ranges = {};
	int ret;

	mutex_lock(&idev->lock);
	if (idev->ioas) {
		ret = -EBUSY;
		goto out_unlock;
	}

	down_write(&ioas->iova_rwsem);
	ret = attach_existing(ioas, idev, &ranges, &reserved);
	if (ret == -EINVAL)
		ret = attach_new(ioas, idev, &ranges, &reserved);
	if (!ret) {
		ioasid_hwpt_add(ioas, idev->hwpt);
		swap(ioas->reserved, reserved);
		idev->reserved = ranges.ranges;
		idev->nr_reserved = ranges.count;
		ranges.ranges = NULL;
		list_add_tail(&idev->ioas_node, &ioas->devices);
		refcount_inc(&ioas->obj.users);
		idev->ioas = ioas;
	}
	up_write(&ioas->iova_rwsem);
	ioasid_iova_set_clear(&reserved);
	kfree(ranges.ranges);
out_unlock:
	mutex_unlock(&idev->lock);
	return ret;
}

/**
 * ioasid_device_detach() - detach a device; it is DMA-blocked after this
 * @idev: a bound device, attached or not
 */
void ioasid_device_detach(struct ioasid_device *idev)
{
	struct rb_root_cached reserved = RB_ROOT_CACHED;
	struct ioasid_ioas *ioas;

	mutex_lock(&idev->lock);
	ioas = idev->ioas;
	if (!ioas)
		goto out_unlock;

	down_write(&ioas->iova_rwsem);
	iommu_detach_group(idev->hwpt->domain, idev->group);
	ioasid_hwpt_put(ioas, idev->hwpt);
	list_del_init(&idev->ioas_node);
	/* Without memory for a new set, the old and larger one stays. */
	if (!build_reserved(ioas, NULL, &reserved))
		swap(ioas->reserved, reserved);
	up_write(&ioas->iova_rwsem);
	ioasid_iova_set_clear(&reserved);

	kfree(idev->reserved);
	idev->reserved = NULL;
	idev->nr_reserved = 0;
	idev->hwpt = NULL;
	idev->ioas = NULL;
	ioasid_object_put(&ioas->obj);
out_unlock:
	mutex_unlock(&idev->lock);
}
