// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices bound to a context and attached to its IOASes, by requester ID
 * or one PASID at a time.  Binding claims DMA ownership, so the device is
 * blocked from DMA until it is attached and again once it is detached.
 * Attaching chooses the IOAS page table the device's IOMMU accepts and
 * narrows the IOAS's usable IOVAs to what the device can reach.
 *
 * A device whose driver keeps it, and its requester ID, for its own DMA
 * lends PASIDs to users instead, as a SIOV parent does for each child:
 * such a binding claims no ownership, attaches PASIDs only, and several
 * contexts may hold one for the same device.
 *
 * The requester IDs of an IOMMU group are translated by one table: the
 * devices of a group that ask to be attached must ask for the same IOAS,
 * and the group stays attached until the last of them detaches.
 */
#include <kunit/visibility.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "../iommu-priv.h"
#include "ioasid_private.h"
#include "trace.h"

/* For iommu_replace_group_handle(), which attach and replace both use. */
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Bind devices whose IOMMU cannot isolate their MSIs, so that a device's user can raise interrupts it does not own");

static bool allow_incoherent_dma;
module_param(allow_incoherent_dma, bool, 0644);
MODULE_PARM_DESC(allow_incoherent_dma,
		 "Bind devices whose IOMMU cannot enforce cache coherency of their DMA");

/*
 * Whether the IOMMU protects the system from what @dev's user can do:
 * the IOMMU core reports for @group whether its MSIs are isolated, and
 * the device's IOMMU whether it can make its DMA coherent.  The mock
 * IOMMU answers both questions the same way (mock.c).
 */
static int device_check_isolation(struct device *dev,
				  struct iommu_group *group)
{
	if (!iommu_group_has_isolated_msi(group) && !allow_unsafe_interrupts) {
		dev_warn(dev,
			 "ioasid: not bound: the IOMMU cannot isolate MSIs; ioasid.allow_unsafe_interrupts=1 allows it\n");
		return -EPERM;
	}
	if (!device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY) &&
	    !allow_incoherent_dma) {
		dev_warn(dev,
			 "ioasid: not bound: the IOMMU cannot enforce coherent DMA; ioasid.allow_incoherent_dma=1 allows it\n");
		return -EPERM;
	}
	return 0;
}

/*
 * Whether an IOMMU translates @dev.  VFIO gives the devices it emulates,
 * mdevs among them, IOMMU groups of their own that no IOMMU is behind:
 * a group alone does not make a device one the subsystem can attach.
 */
static bool device_translated(struct device *dev)
{
	return dev->iommu && dev->iommu->iommu_dev && dev->iommu_group;
}

/*
 * The binding of @dev to @ctx, in @dev's group there, once the IOMMU is
 * known to translate and isolate it.
 */
static struct ioasid_device *device_bind_group(struct ioasid_ctx *ctx,
					       struct device *dev)
{
	struct ioasid_device *idev;
	int ret;

	if (!device_translated(dev))
		return ERR_PTR(-ENODEV);
	idev = kzalloc(sizeof(*idev), GFP_KERNEL_ACCOUNT);
	if (!idev)
		return ERR_PTR(-ENOMEM);
	idev->igroup = ioasid_group_get(ctx, dev);
	if (IS_ERR(idev->igroup)) {
		ret = PTR_ERR(idev->igroup);
		goto err_free;
	}
	ret = device_check_isolation(dev, idev->igroup->group);
	if (ret)
		goto err_group;
	ret = ioasid_object_reserve_id(ctx, &idev->id);
	if (ret)
		goto err_group;
	idev->ctx = ctx;
	idev->dev = dev;
	xa_init(&idev->pasids);
	INIT_LIST_HEAD(&idev->ctx_node);
	return idev;

err_group:
	ioasid_group_put(idev->igroup);
err_free:
	kfree(idev);
	return ERR_PTR(ret);
}

/* Makes a new binding visible in its context's list, and traces it. */
static struct ioasid_device *device_publish(struct ioasid_device *idev)
{
	struct ioasid_ctx *ctx = idev->ctx;

	mutex_lock(&ctx->devices_lock);
	list_add_tail(&idev->ctx_node, &ctx->devices);
	mutex_unlock(&ctx->devices_lock);
	trace_ioasid_bind(ctx->id, idev->dev, idev->owner);
	return idev;
}

/* Undoes device_bind_group(). */
static void device_unbind_group(struct ioasid_device *idev)
{
	ioasid_object_release_id(idev->ctx, idev->id);
	xa_destroy(&idev->pasids);
	ioasid_group_put(idev->igroup);
	kfree(idev);
}

/**
 * ioasid_device_bind() - take DMA ownership of a device for a context
 * @ctx: the context
 * @dev: the physical device
 *
 * The one way to bind a device whole, for the kAPI and the test ioctl
 * alike.  Other devices of @dev's IOMMU group can be bound to @ctx too,
 * but not to another context.
 *
 * Return: the binding, or an ERR_PTR: -ENODEV when no IOMMU translates
 * @dev; -EPERM when the IOMMU cannot isolate the device's MSIs or make
 * its DMA coherent and the administrator did not allow that; -EBUSY when
 * another owner or a kernel DMA driver has its group.
 */
struct ioasid_device *ioasid_device_bind(struct ioasid_ctx *ctx,
					 struct device *dev)
{
	struct ioasid_device *idev = device_bind_group(ctx, dev);
	int ret;

	if (IS_ERR(idev))
		return idev;
	ret = iommu_device_claim_dma_owner(dev, idev->igroup);
	if (ret) {
		device_unbind_group(idev);
		/* The core says EPERM for a group owned by someone else. */
		return ERR_PTR(ret == -EPERM ? -EBUSY : ret);
	}
	idev->owner = true;
	ioasid_group_add_owner(idev->igroup);
	return device_publish(idev);
}

/**
 * ioasid_device_bind_pasids() - bind the PASIDs of a device its driver keeps
 * @ctx: the context
 * @dev: the physical device, whose probed driver calls this and goes on
 *       using its requester ID for its own DMA
 *
 * Claims no ownership: the binding attaches and detaches PASIDs, which
 * its caller allocates, and never the requester ID.  Other contexts may
 * bind PASIDs of @dev too, for other PASIDs.
 *
 * Return: the binding, or an ERR_PTR: -ENODEV when no IOMMU translates
 * @dev; -EOPNOTSUPP when the device or its IOMMU has no PASIDs; -EPERM
 * as for ioasid_device_bind().
 */
struct ioasid_device *ioasid_device_bind_pasids(struct ioasid_ctx *ctx,
						struct device *dev)
{
	struct ioasid_device *idev;

	if (device_translated(dev) && !dev->iommu->max_pasids)
		return ERR_PTR(-EOPNOTSUPP);
	idev = device_bind_group(ctx, dev);
	return IS_ERR(idev) ? idev : device_publish(idev);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_device_bind_pasids);

/**
 * ioasid_device_unbind() - detach a device and give up its ownership
 * @idev: the binding, which is freed
 */
void ioasid_device_unbind(struct ioasid_device *idev)
{
	struct ioasid_ctx *ctx = idev->ctx;
	struct ioasid_attach *att;
	unsigned long pasid;

	mutex_lock(&ctx->devices_lock);
	list_del(&idev->ctx_node);
	mutex_unlock(&ctx->devices_lock);
	trace_ioasid_unbind(ctx->id, idev->dev);
	xa_for_each(&idev->pasids, pasid, att)
		ioasid_device_detach_pasid(idev, pasid);
	if (idev->owner) {
		ioasid_device_detach(idev);
		ioasid_group_remove_owner(idev->igroup);
		iommu_device_release_dma_owner(idev->dev);
	}
	device_unbind_group(idev);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_device_unbind);

/**
 * ioasid_ctx_dma_coherent() - whether the DMA of a context's devices is
 * coherent
 * @ctx: the context
 *
 * Return: true when the IOMMU of every device bound to @ctx makes its DMA
 * coherent, as it does unless ioasid.allow_incoherent_dma let a device
 * through; true for no devices.
 */
bool ioasid_ctx_dma_coherent(struct ioasid_ctx *ctx)
{
	struct ioasid_device *idev;
	bool coherent = true;

	mutex_lock(&ctx->devices_lock);
	list_for_each_entry(idev, &ctx->devices, ctx_node) {
		if (!device_iommu_capable(idev->dev,
					  IOMMU_CAP_CACHE_COHERENCY)) {
			coherent = false;
			break;
		}
	}
	mutex_unlock(&ctx->devices_lock);
	return coherent;
}

/* What IOASID_DEVICE_INFO reports of @idev's requester ID. */
static u32 device_rid_info(struct ioasid_device *idev, u32 *ioasid)
{
	struct ioasid_group *igroup = idev->igroup;
	u32 flags = 0;

	*ioasid = 0;
	if (!idev->owner)
		return 0;
	mutex_lock(&igroup->lock);
	/* A failed move may have left the group detached. */
	if (idev->attached && igroup->rid.ioas) {
		flags = IOASID_DEVICE_ATTACHED;
		*ioasid = ioasid_attach_ioasid(&igroup->rid);
	}
	mutex_unlock(&igroup->lock);
	return flags | IOASID_DEVICE_OWNED;
}

/* What IOASID_DEVICE_INFO reports of @dev's IOMMU. */
static u32 device_iommu_info(struct device *dev)
{
	u32 flags = 0;

	if (device_iommu_capable(dev, IOMMU_CAP_DIRTY_TRACKING))
		flags |= IOASID_DEVICE_DIRTY_TRACKING;
	if (device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		flags |= IOASID_DEVICE_COHERENT;
	if (device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY))
		flags |= IOASID_DEVICE_NO_SNOOP_REFUSED;
	return flags;
}

/**
 * ioasid_ctx_find_device() - the binding a device id names
 * @ctx: the context, with its devices_lock held, which the binding's
 *       unbind takes before it frees it
 * @id: the id userspace named
 *
 * Return: the binding, or NULL.
 */
struct ioasid_device *ioasid_ctx_find_device(struct ioasid_ctx *ctx, u32 id)
{
	struct ioasid_device *idev;

	lockdep_assert_held(&ctx->devices_lock);
	list_for_each_entry(idev, &ctx->devices, ctx_node)
		if (idev->id == id)
			return idev;
	return NULL;
}

/* IOASID_DEVICE_INFO, reading the binding under the devices_lock. */
int ioasid_device_info_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_device_info *cmd = ucmd->cmd;
	struct ioasid_ctx *ctx = ucmd->ctx;
	struct ioasid_device *idev;
	int ret = -ENOENT;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->hw_info_len > PAGE_SIZE)
		return -E2BIG;
	mutex_lock(&ctx->devices_lock);
	idev = ioasid_ctx_find_device(ctx, cmd->dev_id);
	if (idev) {
		cmd->out_flags = device_rid_info(idev, &cmd->out_ioasid) |
				 device_iommu_info(idev->dev);
		cmd->out_max_pasids = idev->dev->iommu->max_pasids;
		cmd->out_iommu_group = iommu_group_id(idev->igroup->group);
		ret = ioasid_device_hw_info(idev->dev, cmd);
	}
	mutex_unlock(&ctx->devices_lock);
	return ret ?: ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

/*
 * Gathers in @list, as @att's ranges, the IOVAs a device attached through
 * @domain cannot use: outside the domain's aperture, and every region the
 * IOMMU reserves for the group.
 */
static int device_reserved(struct ioasid_attach *att,
			   struct iommu_domain *domain, struct list_head *list)
{
	struct iommu_domain_geometry *geo = &domain->geometry;
	struct iommu_resv_region *resv, *next;
	LIST_HEAD(regions);
	int ret = 0;

	if (geo->force_aperture && geo->aperture_start)
		ret = ioasid_iova_resv_add(list, att, 0,
					   geo->aperture_start - 1);
	if (!ret && geo->force_aperture && geo->aperture_end != ULONG_MAX)
		ret = ioasid_iova_resv_add(list, att, geo->aperture_end + 1,
					   ULONG_MAX);

	if (!ret)
		ret = iommu_get_group_resv_regions(att->group, &regions);
	list_for_each_entry_safe(resv, next, &regions, list) {
		if (!ret && resv->length)
			ret = ioasid_iova_resv_add(list, att, resv->start,
						   resv->start +
						   resv->length - 1);
		kfree(resv);
	}
	return ret;
}

/**
 * ioasid_group_sw_msi() - where a group's software MSI window starts
 * @group: an IOMMU group
 * @base: set to the start of the window the IOMMU reserves for @group,
 *        or PHYS_ADDR_MAX when it reserves none (VT-d and virtio-iommu on
 *        x86 leave MSIs untranslated: IOMMU_RESV_MSI)
 *
 * The group's devices share their requester ID's table, which has a
 * single window.
 *
 * Return: 0, -EOPNOTSUPP when the devices report windows at different
 * IOVAs, or -ENOMEM.
 */
int ioasid_group_sw_msi(struct iommu_group *group, phys_addr_t *base)
{
	struct iommu_resv_region *resv, *next;
	LIST_HEAD(regions);
	int ret;

	*base = PHYS_ADDR_MAX;
	ret = iommu_get_group_resv_regions(group, &regions);
	list_for_each_entry_safe(resv, next, &regions, list) {
		if (!ret && resv->type == IOMMU_RESV_SW_MSI) {
			if (*base != PHYS_ADDR_MAX && *base != resv->start)
				ret = -EOPNOTSUPP;
			*base = resv->start;
		}
		kfree(resv);
	}
	return ret;
}

/* Whether a mapping of @ioas lies in one of the ranges on @list. */
static bool device_ranges_hit_mapping(struct ioasid_ioas *ioas,
				      struct list_head *list)
{
	struct ioasid_resv *resv;

	lockdep_assert_held(&ioas->iova_rwsem);
	list_for_each_entry(resv, list, owner_node)
		if (ioasid_area_first(ioas, resv->node.start, resv->node.last))
			return true;
	return false;
}

/*
 * Prepares attaching @att through @domain: gathers in @ranges, emptied
 * first, the IOVAs the device cannot use, and fails with -EADDRINUSE when
 * a mapping of @ioas lies in one of them.
 */
static int device_prepare_attach(struct ioasid_ioas *ioas,
				 struct ioasid_attach *att,
				 struct iommu_domain *domain,
				 struct list_head *ranges)
{
	int ret;

	ioasid_iova_resv_free(ranges);
	ret = device_reserved(att, domain, ranges);
	if (ret)
		return ret;
	if (device_ranges_hit_mapping(ioas, ranges))
		return -EADDRINUSE;
	return 0;
}

/*
 * Points the group's requester IDs at @domain through @att's handle, by
 * which the IOMMU core finds the domain's page request handler.  The core
 * points the handle at @domain before it tries: a failure points it back.
 */
static int device_set_rid_domain(struct ioasid_attach *att,
				 struct iommu_domain *domain)
{
	struct iommu_domain *old = att->handle.domain;
	int ret;

	ret = iommu_replace_group_handle(att->group, domain, &att->handle);
	if (ret)
		att->handle.domain = old;
	return ret;
}

/*
 * Points the requester ID or the PASID at @domain, replacing the domain
 * it is attached to, if any.  Whether DMA is blocked for a moment while
 * the requester ID switches is up to the IOMMU driver (VT-d and SMMUv3
 * block it, see Documentation/driver-api/ioasid.rst); a PASID is only
 * switched by drivers that do it in place, and others refuse with -EBUSY.
 */
static int device_set_domain(struct ioasid_attach *att,
			     struct iommu_domain *domain)
{
	if (att->pasid == IOMMU_NO_PASID)
		return device_set_rid_domain(att, domain);
	if (att->hwpt)
		return iommu_replace_device_pasid(domain, att->dev, att->pasid,
						  &att->handle);
	return iommu_attach_device_pasid(domain, att->dev, att->pasid,
					 &att->handle);
}

/* The domain the IOMMU core translates @att's DMA with, while attached. */
static struct iommu_domain *device_att_domain(const struct ioasid_attach *att)
{
	return att->nested ? att->nested->domain : att->hwpt->domain;
}

/* The domain DMA through @dest goes through, once attached by @hwpt. */
static struct iommu_domain *device_dest_domain(const struct ioasid_dest *dest,
					       struct ioasid_hwpt *hwpt)
{
	return dest->nested ? dest->nested->domain : hwpt->domain;
}

/**
 * ioasid_attach_ioasid() - the id of the IOASID an attachment is to
 * @att: an attached attachment, with its group's lock held
 *
 * Return: the id of its nested IOASID, or else of its IOAS.
 */
u32 ioasid_attach_ioasid(const struct ioasid_attach *att)
{
	return att->nested ? att->nested->obj.id : att->ioas->obj.id;
}

/* Blocks the DMA of @att, which the core then no longer translates. */
static void device_clear_domain(struct ioasid_attach *att)
{
	if (att->pasid == IOMMU_NO_PASID)
		iommu_detach_group_handle(device_att_domain(att), att->group);
	else
		iommu_detach_device_pasid(device_att_domain(att), att->dev,
					  att->pasid);
}

/*
 * Attaches @att through @hwpt, a table of @dest's IOAS that has its MSI
 * window, if its IOMMU accepts it.  The device's ranges through that
 * table are in @ranges then.
 */
static int device_attach_table(const struct ioasid_dest *dest,
			       struct ioasid_hwpt *hwpt,
			       struct ioasid_attach *att,
			       struct list_head *ranges)
{
	int ret;

	ret = device_prepare_attach(dest->ioas, att, hwpt->domain, ranges);
	if (ret)
		return ret;
	ret = device_set_domain(att, device_dest_domain(dest, hwpt));
	if (!ret)
		att->hwpt = hwpt;
	return ret;
}

/*
 * Attaches @att to an existing page table of @dest's IOAS that has its
 * MSI window and that its IOMMU accepts, or returns -EINVAL when none
 * does.  A nested IOASID has one table, the one it nests on.
 */
static int device_attach_existing(const struct ioasid_dest *dest,
				  struct ioasid_attach *att, phys_addr_t sw_msi,
				  struct list_head *ranges)
{
	struct ioasid_ioas *ioas = dest->ioas;
	struct ioasid_hwpt *hwpt;
	int ret;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	if (dest->nested) {
		hwpt = dest->nested->hwpt;
		if (!ioasid_hwpt_suits(hwpt, att->dev, sw_msi))
			return -EINVAL;
		return device_attach_table(dest, hwpt, att, ranges);
	}
	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		if (!ioasid_hwpt_suits(hwpt, att->dev, sw_msi))
			continue;
		ret = device_attach_table(dest, hwpt, att, ranges);
		if (!ret)
			return 0;
		/* -EINVAL means this IOMMU needs a table of its own. */
		if (ret != -EINVAL)
			return ret;
	}
	return -EINVAL;
}

/*
 * Undoes device_set_domain() onto @tried: back onto the domain @att is
 * still attached to, or blocked when there is none or that fails.  Then
 * the IOMMU core has no table for @att, and neither has @att: the caller
 * sees att->hwpt cleared and must let go of the old IOAS.
 */
static void device_revert_domain(struct ioasid_attach *att,
				 struct iommu_domain *tried)
{
	if (att->hwpt && !device_set_domain(att, device_att_domain(att)))
		return;
	if (att->pasid != IOMMU_NO_PASID)
		iommu_detach_device_pasid(tried, att->dev, att->pasid);
	else
		iommu_detach_group_handle(tried, att->group);
	att->hwpt = NULL;
}

/*
 * Some IOMMU drivers (virtio-iommu) only finalise a table, its aperture
 * included, when the first device attaches: attach to the empty table
 * first, then check what the device reaches and fill it.  Until it is
 * filled, DMA faults rather than reaching pages it should not.
 */
static int device_attach_new(struct ioasid_ioas *ioas,
			     struct ioasid_attach *att, phys_addr_t sw_msi,
			     struct list_head *ranges)
{
	struct ioasid_hwpt *hwpt;
	int ret;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	hwpt = ioasid_hwpt_create(att->dev, sw_msi, false);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	ret = ioasid_dirty_prepare_table(ioas, hwpt);
	if (ret)
		goto err_free;
	ret = device_set_domain(att, hwpt->domain);
	if (ret)
		goto err_free;
	ret = device_prepare_attach(ioas, att, hwpt->domain, ranges);
	if (ret)
		goto err_revert;
	ret = ioasid_ioas_fill_table(ioas, hwpt);
	if (ret)
		goto err_revert;
	att->hwpt = hwpt;
	return 0;

err_revert:
	device_revert_domain(att, hwpt->domain);
err_free:
	ioasid_hwpt_free(hwpt);
	return ret;
}

/*
 * Moves @att onto a page table of @dest's IOAS, or onto its nested IOASID,
 * and its reserved ranges into the IOAS's tree, where they stay until it
 * leaves.
 */
static int device_join(struct ioasid_attach *att,
		       const struct ioasid_dest *dest)
{
	struct ioasid_ioas *ioas = dest->ioas;
	LIST_HEAD(ranges);
	phys_addr_t sw_msi;
	int ret;

	/* Tables differ by their MSI window: read it once for both tries. */
	ret = ioasid_group_sw_msi(att->group, &sw_msi);
	if (ret)
		return ret;
	down_write(&ioas->iova_rwsem);
	ret = device_attach_existing(dest, att, sw_msi, &ranges);
	if (ret == -EINVAL && !dest->nested)
		ret = device_attach_new(ioas, att, sw_msi, &ranges);
	if (!ret) {
		ioasid_hwpt_add(ioas, att->hwpt);
		ioasid_iova_resv_insert(&ioas->reserved, &ranges);
		list_splice_init(&ranges, &att->resv);
		ioasid_object_hold(&ioas->obj);
		att->ioas = ioas;
		if (dest->nested)
			ioasid_object_hold(&dest->nested->obj);
		att->nested = dest->nested;
	}
	up_write(&ioas->iova_rwsem);
	ioasid_iova_resv_free(&ranges);
	return ret;
}

/*
 * Drops what an attachment held in @old: its use of @hwpt, which it no
 * longer uses for DMA, and its reserved ranges @resv, which are freed.
 * The ranges of other attachments stay, also where they overlap these.
 */
static void device_leave(const struct ioasid_dest *old,
			 struct ioasid_hwpt *hwpt, struct list_head *resv)
{
	struct ioasid_ioas *ioas = old->ioas;

	down_write(&ioas->iova_rwsem);
	ioasid_hwpt_put(ioas, hwpt);
	ioasid_iova_resv_remove(&ioas->reserved, resv);
	up_write(&ioas->iova_rwsem);
	ioasid_iova_resv_free(resv);
	if (old->nested)
		ioasid_object_put(&old->nested->obj);
	ioasid_object_put(&ioas->obj);
}

/*
 * Forgets where @att was attached to through @hwpt, which the IOMMU core
 * no longer translates its DMA with, and its ranges @resv there.
 */
static void device_forget(struct ioasid_attach *att,
			  const struct ioasid_dest *old,
			  struct ioasid_hwpt *hwpt, struct list_head *resv)
{
	device_leave(old, hwpt, resv);
	att->hwpt = NULL;
	att->ioas = NULL;
	att->nested = NULL;
}

/*
 * Attaches @att, of @igroup, to @dest, or moves it there from where it
 * is attached to.  On error nothing changes, except when the move was
 * undone but the old table could not be restored: then @att ends
 * detached, its DMA blocked, and the error is -ENOLINK.
 */
static int device_att_attach(struct ioasid_group *igroup,
			     struct ioasid_attach *att,
			     const struct ioasid_dest *dest)
{
	struct ioasid_dest old = { .ioas = att->ioas, .nested = att->nested };
	struct ioasid_hwpt *old_hwpt = att->hwpt;
	LIST_HEAD(old_resv);
	int ret;

	lockdep_assert_held(&igroup->lock);
	if (old.ioas == dest->ioas && old.nested == dest->nested)
		return 0;
	ret = ioasid_fault_attach(att, dest);
	if (ret)
		return ret;
	/* During a move, @att has ranges in both places. */
	list_splice_init(&att->resv, &old_resv);
	ret = device_join(att, dest);
	if (ret) {
		if (old.ioas && !att->hwpt) {
			ioasid_fault_leave(att, old.nested, NULL);
			device_forget(att, &old, old_hwpt, &old_resv);
			return -ENOLINK;
		}
		ioasid_fault_leave(att, NULL, old.nested);
		list_splice(&old_resv, &att->resv);
		att->hwpt = old_hwpt;
		return ret;
	}
	if (old.ioas) {
		ioasid_fault_leave(att, old.nested, dest->nested);
		device_leave(&old, old_hwpt, &old_resv);
	}
	return 0;
}

/* Detaches @att, of @igroup, and blocks its DMA. */
static void device_att_detach(struct ioasid_group *igroup,
			      struct ioasid_attach *att)
{
	struct ioasid_dest old = { .ioas = att->ioas, .nested = att->nested };

	lockdep_assert_held(&igroup->lock);
	if (!old.ioas)
		return;
	device_clear_domain(att);
	ioasid_fault_leave(att, old.nested, NULL);
	device_forget(att, &old, att->hwpt, &att->resv);
}

/**
 * ioasid_device_attach() - attach a device's requester ID to an IOASID
 * @idev: a bound device
 * @dest: the IOAS, or a nested IOASID on it, which gain a user for as
 *        long as the device stays
 *
 * A device attached elsewhere moves to @ioas without being detached: its
 * DMA is translated by the old table until the new one takes over.  Some
 * IOMMU drivers (VT-d, SMMUv3) block it for a moment while they switch.
 * The IOMMU attaches the device's whole group, and the other devices of
 * the group that are bound follow.
 *
 * Return: 0; -EPERM for a binding of PASIDs only, whose requester ID its
 * driver keeps; -EBUSY when another device of the group is attached to
 * another IOAS; -EADDRINUSE when a mapping of @ioas is outside what the
 * device can reach; -EOPNOTSUPP when the group's devices have software
 * MSI windows at different IOVAs, or when @ioas tracks dirty pages and
 * the device's IOMMU cannot; -EINVAL when @dest is nested for another
 * IOMMU; or the IOMMU's error.  On error
 * nothing changes, except -ENOLINK: the move failed and the IOMMU could
 * not put the group back on its old table, so it is detached and its DMA
 * blocked.
 */
int ioasid_device_attach(struct ioasid_device *idev,
			 const struct ioasid_dest *dest)
{
	struct ioasid_group *igroup = idev->igroup;
	struct ioasid_attach *att = &igroup->rid;
	bool moves;
	u32 old = 0;
	int ret = -EBUSY;

	if (!idev->owner)
		return -EPERM;
	mutex_lock(&igroup->lock);
	moves = att->ioas &&
		(att->ioas != dest->ioas || att->nested != dest->nested);
	if (moves && igroup->nr_attached > idev->attached)
		goto out_unlock;
	att->dev = idev->dev;
	att->dev_id = idev->id;
	if (idev->attached && moves)
		old = ioasid_attach_ioasid(att);
	ret = device_att_attach(igroup, att, dest);
	if (!ret && !idev->attached) {
		idev->attached = true;
		igroup->nr_attached++;
	}
	if (!ret)
		trace_ioasid_attach(idev->ctx->id, idev->dev, IOMMU_NO_PASID,
				    ioasid_attach_ioasid(att), att->hwpt->id,
				    old);
out_unlock:
	mutex_unlock(&igroup->lock);
	return ret;
}

/**
 * ioasid_device_detach() - detach a device
 * @idev: a bound device, attached or not
 *
 * The device's group is DMA-blocked once none of its devices is attached.
 * A binding of PASIDs only has no requester ID to detach.
 */
void ioasid_device_detach(struct ioasid_device *idev)
{
	struct ioasid_group *igroup = idev->igroup;

	if (!idev->owner)
		return;
	mutex_lock(&igroup->lock);
	if (igroup->rid.dev == idev->dev)
		igroup->rid.dev = NULL;
	if (idev->attached) {
		/* A failed move may have left the group detached already. */
		if (igroup->rid.ioas)
			trace_ioasid_detach(idev->ctx->id, idev->dev,
					    IOMMU_NO_PASID,
					    ioasid_attach_ioasid(&igroup->rid),
					    igroup->rid.hwpt->id, 0);
		idev->attached = false;
		if (!--igroup->nr_attached)
			device_att_detach(igroup, &igroup->rid);
		/* The group stays: the device's page requests go. */
		else if (igroup->rid.fault_dev == idev->dev)
			ioasid_fault_leave(&igroup->rid, igroup->rid.nested,
					   NULL);
	}
	mutex_unlock(&igroup->lock);
}

/* Whether @pasid is one the device can tag its DMA with. */
static int device_check_pasid(struct ioasid_device *idev, ioasid_t pasid)
{
	u32 max_pasids = idev->dev->iommu ? idev->dev->iommu->max_pasids : 0;

	/* The core treats a device without PASIDs as attached: refuse here. */
	if (!max_pasids)
		return -EOPNOTSUPP;
	if (pasid == IOMMU_NO_PASID || pasid >= max_pasids)
		return -EINVAL;
	return 0;
}

static void device_trace_attach_pasid(struct ioasid_device *idev,
				      struct ioasid_attach *att, u32 old)
{
	trace_ioasid_attach_pasid(idev->ctx->id, idev->dev, att->pasid,
				  ioasid_attach_ioasid(att), att->hwpt->id, old);
}

/**
 * ioasid_device_attach_pasid() - attach one PASID of a device to an IOASID
 * @idev: a bound device
 * @pasid: the PASID, as its caller (say, a SIOV parent driver) chose it
 * @dest: the IOAS, or a nested IOASID on it
 *
 * The requester ID and each PASID attach independently, to the same or
 * to different IOASes.  A PASID attached elsewhere moves to @ioas without
 * being blocked in between, where the IOMMU driver opted in to switching
 * a PASID in place (iommu_replace_device_pasid()); other drivers refuse.
 *
 * Return: 0; -EOPNOTSUPP when the device or its IOMMU has no PASIDs;
 * -EINVAL for PASID 0 or one beyond the device's width; -EADDRINUSE as
 * for the requester ID; -EBUSY for a move the IOMMU driver cannot make
 * in place; or the IOMMU's error.  On error nothing changes, except
 * -ENOLINK: the move failed and the IOMMU could not put the PASID back on
 * its old table, so the PASID is detached and its DMA blocked.
 */
int ioasid_device_attach_pasid(struct ioasid_device *idev, ioasid_t pasid,
			       const struct ioasid_dest *dest)
{
	struct ioasid_attach *att;
	int ret;

	ret = device_check_pasid(idev, pasid);
	if (ret)
		return ret;

	mutex_lock(&idev->igroup->lock);
	att = xa_load(&idev->pasids, pasid);
	if (att) {
		u32 old = ioasid_attach_ioasid(att);

		ret = device_att_attach(idev->igroup, att, dest);
		/* A move that left the PASID detached ends its attachment. */
		if (!att->ioas) {
			xa_erase(&idev->pasids, pasid);
			kfree(att);
		}
		if (!ret)
			device_trace_attach_pasid(idev, att, old);
		goto out_unlock;
	}
	att = kzalloc(sizeof(*att), GFP_KERNEL_ACCOUNT);
	if (!att) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	att->dev = idev->dev;
	att->dev_id = idev->id;
	att->group = idev->igroup->group;
	att->pasid = pasid;
	INIT_LIST_HEAD(&att->resv);
	ret = xa_insert(&idev->pasids, pasid, att, GFP_KERNEL_ACCOUNT);
	if (ret) {
		kfree(att);
		goto out_unlock;
	}
	ret = device_att_attach(idev->igroup, att, dest);
	if (ret) {
		xa_erase(&idev->pasids, pasid);
		kfree(att);
	} else {
		device_trace_attach_pasid(idev, att, 0);
	}
out_unlock:
	mutex_unlock(&idev->igroup->lock);
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

	mutex_lock(&idev->igroup->lock);
	att = xa_erase(&idev->pasids, pasid);
	if (att) {
		trace_ioasid_detach_pasid(idev->ctx->id, idev->dev, pasid,
					  ioasid_attach_ioasid(att),
					  att->hwpt->id, 0);
		device_att_detach(idev->igroup, att);
		kfree(att);
	}
	mutex_unlock(&idev->igroup->lock);
	return att ? 0 : -ENOENT;
}
