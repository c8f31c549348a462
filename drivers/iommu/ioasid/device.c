// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices bound to a context and attached to its IOASes, whole (by
 * requester ID) or one PASID at a time.  Binding claims DMA ownership, so
 * the device is blocked from DMA until it is attached and again once it
 * is detached.  Attaching chooses the IOAS page table the device's IOMMU
 * accepts and narrows the IOAS's usable IOVAs to what the device can
 * reach.
 */
#include <linux/iommu.h>
#include <linux/slab.h>

#include "../iommu-priv.h"
#include "ioasid_private.h"

/* For iommu_group_replace_domain(), which attach and replace both use. */
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);

static void init_attach(struct ioasid_attach *att, struct ioasid_device *idev,
			ioasid_t pasid)
{
	att->idev = idev;
	att->pasid = pasid;
	INIT_LIST_HEAD(&att->ioas_node);
}

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
	init_attach(&idev->rid, idev, IOMMU_NO_PASID);
	xa_init(&idev->pasids);
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
	struct ioasid_attach *att;
	unsigned long pasid;

	xa_for_each(&idev->pasids, pasid, att)
		ioasid_device_detach_pasid(idev, pasid);
	ioasid_device_detach(idev);
	xa_destroy(&idev->pasids);
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
 * Builds the reserved set of @ioas from its attachments' ranges plus
 * @extra, the ranges of an attachment about to join.
 */
static int build_reserved(struct ioasid_ioas *ioas, struct range_list *extra,
			  struct rb_root_cached *set)
{
	struct range_list all = {};
	struct ioasid_attach *att;
	unsigned int i;
	int ret = 0;

	list_for_each_entry(att, &ioas->attaches, ioas_node)
		for (i = 0; i < att->nr_reserved && !ret; i++)
			ret = range_list_add(&all, att->reserved[i].start,
					     att->reserved[i].last);
	for (i = 0; extra && i < extra->count && !ret; i++)
		ret = range_list_add(&all, extra->ranges[i].start,
				     extra->ranges[i].last);
	if (!ret)
		ret = ioasid_iova_set_build(set, all.ranges, all.count, 1);
	kfree(all.ranges);
	return ret;
}

/*
 * Prepares attaching @att through @domain: fails with -EADDRINUSE when a
 * mapping would become unreachable, and otherwise returns the new
 * reserved set of @ioas and the device's own ranges.
 */
static int prepare_attach(struct ioasid_ioas *ioas, struct ioasid_attach *att,
			  struct iommu_domain *domain,
			  struct range_list *ranges,
			  struct rb_root_cached *reserved)
{
	int ret;

	ranges->count = 0;
	ret = device_reserved(att->idev, domain, ranges);
	if (ret)
		return ret;
	if (ranges_hit_mapping(ioas, ranges))
		return -EADDRINUSE;
	return build_reserved(ioas, ranges, reserved);
}

/*
 * Points the requester ID, replacing its current domain without a
 * blocked window, or a detached PASID at @domain.
 */
static int set_domain(struct ioasid_attach *att, struct iommu_domain *domain)
{
	if (att->pasid == IOMMU_NO_PASID)
		return iommu_group_replace_domain(att->idev->group, domain);
	return iommu_attach_device_pasid(domain, att->idev->dev, att->pasid,
					 NULL);
}

/* Blocks the DMA of @att, which the core then no longer translates. */
static void clear_domain(struct ioasid_attach *att)
{
	if (att->pasid == IOMMU_NO_PASID)
		iommu_detach_group(att->hwpt->domain, att->idev->group);
	else
		iommu_detach_device_pasid(att->hwpt->domain, att->idev->dev,
					  att->pasid);
}

/*
 * Attaches @att to an existing page table of @ioas that its IOMMU
 * accepts, or returns -EINVAL when none does.
 */
static int attach_existing(struct ioasid_ioas *ioas, struct ioasid_attach *att,
			   struct range_list *ranges,
			   struct rb_root_cached *reserved)
{
	struct ioasid_hwpt *hwpt;
	int ret;

	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		ret = prepare_attach(ioas, att, hwpt->domain, ranges, reserved);
		if (ret)
			return ret;
		ret = set_domain(att, hwpt->domain);
		if (!ret) {
			att->hwpt = hwpt;
			return 0;
		}
		ioasid_iova_set_clear(reserved);
		/* -EINVAL means this IOMMU needs a table of its own. */
		if (ret != -EINVAL)
			return ret;
	}
	return -EINVAL;
}

/*
 * Undoes set_domain() onto @tried: back onto the table @att is still
 * attached through, or blocked when there is none or that fails.
 */
static void revert_domain(struct ioasid_attach *att,
			  struct iommu_domain *tried)
{
	if (att->pasid != IOMMU_NO_PASID) {
		iommu_detach_device_pasid(tried, att->idev->dev, att->pasid);
		return;
	}
	if (att->hwpt && !iommu_group_replace_domain(att->idev->group,
						     att->hwpt->domain))
		return;
	iommu_detach_group(tried, att->idev->group);
}

/*
 * Some IOMMU drivers (virtio-iommu) only finalise a table, its aperture
 * included, when the first device attaches: attach to the empty table
 * first, then check what the device reaches and fill it.  Until it is
 * filled, DMA faults rather than reaching pages it should not.
 */
static int attach_new(struct ioasid_ioas *ioas, struct ioasid_attach *att,
		      struct range_list *ranges,
		      struct rb_root_cached *reserved)
{
	struct ioasid_hwpt *hwpt;
	int ret;

	hwpt = ioasid_hwpt_create(att->idev->dev);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	ret = set_domain(att, hwpt->domain);
	if (ret)
		goto err_put;
	ret = prepare_attach(ioas, att, hwpt->domain, ranges, reserved);
	if (ret)
		goto err_revert;
	ret = ioasid_hwpt_fill(ioas, hwpt);
	if (ret)
		goto err_clear;
	att->hwpt = hwpt;
	return 0;

err_clear:
	ioasid_iova_set_clear(reserved);
err_revert:
	revert_domain(att, hwpt->domain);
err_put:
	ioasid_hwpt_put(ioas, hwpt);
	return ret;
}

/* Moves @att onto a page table of @ioas. */
static int join_ioas(struct ioasid_attach *att, struct ioasid_ioas *ioas)
{
	struct rb_root_cached reserved = RB_ROOT_CACHED;
	struct range_list ranges = {};
	int ret;

	down_write(&ioas->iova_rwsem);
	ret = attach_existing(ioas, att, &ranges, &reserved);
	if (ret == -EINVAL)
		ret = attach_new(ioas, att, &ranges, &reserved);
	if (!ret) {
		ioasid_hwpt_add(ioas, att->hwpt);
		swap(ioas->reserved, reserved);
		kfree(att->reserved);
		att->reserved = ranges.ranges;
		att->nr_reserved = ranges.count;
		ranges.ranges = NULL;
		list_add_tail(&att->ioas_node, &ioas->attaches);
		refcount_inc(&ioas->obj.users);
		att->ioas = ioas;
	}
	up_write(&ioas->iova_rwsem);
	ioasid_iova_set_clear(&reserved);
	kfree(ranges.ranges);
	return ret;
}

/*
 * Takes @att off @ioas's list, so that @ioas's reserved set stops
 * counting it once rebuilt.
 */
static void unlink_attach(struct ioasid_attach *att, struct ioasid_ioas *ioas)
{
	down_write(&ioas->iova_rwsem);
	list_del_init(&att->ioas_node);
	up_write(&ioas->iova_rwsem);
}

static void relink_attach(struct ioasid_attach *att, struct ioasid_ioas *ioas)
{
	down_write(&ioas->iova_rwsem);
	list_add_tail(&att->ioas_node, &ioas->attaches);
	up_write(&ioas->iova_rwsem);
}

/*
 * Drops what an attachment held in @ioas through @hwpt, which it no
 * longer uses for DMA, and shrinks the reserved set to the others.
 */
static void leave_ioas(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	struct rb_root_cached reserved = RB_ROOT_CACHED;

	down_write(&ioas->iova_rwsem);
	ioasid_hwpt_put(ioas, hwpt);
	/* Without memory for a new set, the old and larger one stays. */
	if (!build_reserved(ioas, NULL, &reserved))
		swap(ioas->reserved, reserved);
	up_write(&ioas->iova_rwsem);
	ioasid_iova_set_clear(&reserved);
	ioasid_object_put(&ioas->obj);
}

/*
 * Attaches @att to @ioas, or moves it there from the IOAS it is attached
 * to; on error nothing changes.
 */
static int attach(struct ioasid_attach *att, struct ioasid_ioas *ioas)
{
	struct ioasid_ioas *old = att->ioas;
	struct ioasid_hwpt *old_hwpt = att->hwpt;
	int ret;

	if (old == ioas)
		return 0;
	if (old)
		unlink_attach(att, old);
	ret = join_ioas(att, ioas);
	if (ret) {
		if (old)
			relink_attach(att, old);
		att->hwpt = old_hwpt;
		return ret;
	}
	if (old)
		leave_ioas(old, old_hwpt);
	return 0;
}

static void detach(struct ioasid_attach *att)
{
	struct ioasid_ioas *ioas = att->ioas;

	if (!ioas)
		return;
	clear_domain(att);
	unlink_attach(att, ioas);
	leave_ioas(ioas, att->hwpt);
	kfree(att->reserved);
	att->reserved = NULL;
	att->nr_reserved = 0;
	att->hwpt = NULL;
	att->ioas = NULL;
}

/**
 * ioasid_device_attach() - attach a device's requester ID to an IOAS
 * @idev: a bound device
 * @ioas: the IOAS, which gains a user for as long as the device stays
 *
 * A device attached elsewhere moves to @ioas without passing through a
 * blocked state: its DMA is translated by the old table until the new
 * one takes over.
 *
 * Return: 0; -EADDRINUSE when a mapping of @ioas is outside what the
 * device can reach; or the IOMMU's error.  On error nothing changes.
 */
int ioasid_device_attach(struct ioasid_device *idev, struct ioasid_ioas *ioas)
{
	int ret;

	mutex_lock(&idev->lock);
	ret = attach(&idev->rid, ioas);
	mutex_unlock(&idev->lock);
	return ret;
}

/**
 * ioasid_device_detach() - detach a device; it is DMA-blocked after this
 * @idev: a bound device, attached or not
 */
void ioasid_device_detach(struct ioasid_device *idev)
{
	mutex_lock(&idev->lock);
	detach(&idev->rid);
	mutex_unlock(&idev->lock);
}

/* Whether @pasid is one the device can tag its DMA with. */
static int check_pasid(struct ioasid_device *idev, ioasid_t pasid)
{
	u32 max_pasids = idev->dev->iommu ? idev->dev->iommu->max_pasids : 0;

	/* The core treats a device without PASIDs as attached: refuse here. */
	if (!max_pasids)
		return -EOPNOTSUPP;
	if (pasid == IOMMU_NO_PASID || pasid >= max_pasids)
		return -EINVAL;
	return 0;
}

/**
 * ioasid_device_attach_pasid() - attach one PASID of a device to an IOAS
 * @idev: a bound device
 * @pasid: the PASID, as its caller (say, a SIOV parent driver) chose it
 * @ioas: the IOAS
 *
 * The requester ID and each PASID attach independently, to the same or
 * to different IOASes.
 *
 * Return: 0; -EOPNOTSUPP when the device or its IOMMU has no PASIDs;
 * -EINVAL for PASID 0 or one beyond the device's width; -EBUSY when the
 * PASID is attached to another IOAS, since this kernel's IOMMU core
 * cannot move a PASID without blocking it; -EADDRINUSE as for the
 * requester ID.  On error nothing changes.
 */
int ioasid_device_attach_pasid(struct ioasid_device *idev, ioasid_t pasid,
			       struct ioasid_ioas *ioas)
{
	struct ioasid_attach *att;
	int ret;

	ret = check_pasid(idev, pasid);
	if (ret)
		return ret;

	mutex_lock(&idev->lock);
	att = xa_load(&idev->pasids, pasid);
	if (att) {
		ret = att->ioas == ioas ? 0 : -EBUSY;
		goto out_unlock;
	}
	att = kzalloc(sizeof(*att), GFP_KERNEL_ACCOUNT);
	if (!att) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	init_attach(att, idev, pasid);
	ret = xa_insert(&idev->pasids, pasid, att, GFP_KERNEL_ACCOUNT);
	if (ret) {
		kfree(att);
		goto out_unlock;
	}
	ret = attach(att, ioas);
	if (ret) {
		xa_erase(&idev->pasids, pasid);
		kfree(att);
	}
out_unlock:
	mutex_unlock(&idev->lock);
	return ret;
}

/**
 * ioasid_device_detach_pasid() - detach one PASID of a device
 * @idev: a bound device
 * @pasid: the PASID; DMA tagged with it is blocked afterwards
 *
 * Return: 0, or -ENOENT when @pasid is not attached.
 */
int ioasid_device_detach_pasid(struct ioasid_device *idev, ioasid_t pasid)
{
	struct ioasid_attach *att;

	mutex_lock(&idev->lock);
	att = xa_erase(&idev->pasids, pasid);
	if (att) {
		detach(att);
		kfree(att);
	}
	mutex_unlock(&idev->lock);
	return att ? 0 : -ENOENT;
}

/**
 * ioasid_device_attachment() - the attachment DMA with a PASID goes to
 * @idev: a bound device, with its lock held
 * @pasid: IOMMU_NO_PASID for the requester ID, or a PASID
 *
 * Return: the attachment, which may be detached, or NULL for a PASID
 * that was never attached.
 */
struct ioasid_attach *ioasid_device_attachment(struct ioasid_device *idev,
					       ioasid_t pasid)
{
	lockdep_assert_held(&idev->lock);
	if (pasid == IOMMU_NO_PASID)
		return &idev->rid;
	return xa_load(&idev->pasids, pasid);
}
