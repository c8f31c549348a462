// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOMMU groups of a context's devices.  The IOMMU core gives DMA
 * ownership and requester-ID translation to a group as a whole, so the
 * devices of one group bound to one context share one struct
 * ioasid_group: it is their ownership cookie and holds their common
 * attachment.
 */
#include <linux/iommu.h>
#include <linux/slab.h>

#include "ioasid_private.h"

static struct ioasid_group *group_alloc(struct ioasid_ctx *ctx,
					struct iommu_group *group)
{
	struct ioasid_group *igroup;

	lockdep_assert_held(&ctx->groups_lock);
	igroup = kzalloc(sizeof(*igroup), GFP_KERNEL_ACCOUNT);
	if (!igroup)
		return NULL;
	igroup->ctx = ctx;
	igroup->group = group;
	mutex_init(&igroup->lock);
	igroup->rid.group = group;
	igroup->rid.pasid = IOMMU_NO_PASID;
	INIT_LIST_HEAD(&igroup->rid.resv);
	return igroup;
}

/**
 * ioasid_group_get() - the group of a device about to be bound
 * @ctx: the context
 * @dev: the device
 *
 * Return: the group, with one more user, or an ERR_PTR: -ENODEV when no
 * IOMMU translates @dev, -ENOMEM.
 */
struct ioasid_group *ioasid_group_get(struct ioasid_ctx *ctx,
				      struct device *dev)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct ioasid_group *igroup;
	int ret;

	if (!group)
		return ERR_PTR(-ENODEV);

	mutex_lock(&ctx->groups_lock);
	igroup = xa_load(&ctx->groups, iommu_group_id(group));
	if (igroup) {
		/* The group is held already, by the first binding. */
		iommu_group_put(group);
		igroup->users++;
		goto out_unlock;
	}
	igroup = group_alloc(ctx, group);
	if (!igroup) {
		ret = -ENOMEM;
		goto err_put;
	}
	ret = xa_err(xa_store(&ctx->groups, iommu_group_id(group), igroup,
			      GFP_KERNEL_ACCOUNT));
	if (ret)
		goto err_free;
	igroup->users = 1;
out_unlock:
	mutex_unlock(&ctx->groups_lock);
	return igroup;

err_free:
	mutex_destroy(&igroup->lock);
	kfree(igroup);
err_put:
	mutex_unlock(&ctx->groups_lock);
	iommu_group_put(group);
	return ERR_PTR(ret);
}

/**
 * ioasid_group_add_owner() - count a binding that owns its device's DMA
 * @igroup: the binding's group
 *
 * Only such bindings make the context the owner of the group, which
 * ioasid_ctx_owns_group() reports.
 */
void ioasid_group_add_owner(struct ioasid_group *igroup)
{
	mutex_lock(&igroup->ctx->groups_lock);
	igroup->owners++;
	mutex_unlock(&igroup->ctx->groups_lock);
}

/**
 * ioasid_group_remove_owner() - undo ioasid_group_add_owner()
 * @igroup: the binding's group
 */
void ioasid_group_remove_owner(struct ioasid_group *igroup)
{
	mutex_lock(&igroup->ctx->groups_lock);
	igroup->owners--;
	mutex_unlock(&igroup->ctx->groups_lock);
}

/**
 * ioasid_group_put() - drop a binding's use of its group
 * @igroup: the group, detached once its last device is unbound
 */
void ioasid_group_put(struct ioasid_group *igroup)
{
	struct ioasid_ctx *ctx = igroup->ctx;

	mutex_lock(&ctx->groups_lock);
	if (--igroup->users) {
		mutex_unlock(&ctx->groups_lock);
		return;
	}
	xa_erase(&ctx->groups, iommu_group_id(igroup->group));
	mutex_unlock(&ctx->groups_lock);

	iommu_group_put(igroup->group);
	mutex_destroy(&igroup->lock);
	kfree(igroup);
}
