// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel API: drivers bind the physical devices they give to
 * userspace to the /dev/ioasid fd of that user, and attach them on the
 * user's request.  The API knows struct device only, no driver's types.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/ioasid.h>
#include <linux/module.h>
#include <linux/pci.h>

#include "ioasid_private.h"

/* Takes the reference on @ctx that ioasid_ctx_put() drops. */
static void kapi_ctx_hold(struct ioasid_ctx *ctx)
{
	get_file(ctx->file);
}

/**
 * ioasid_ctx_from_fd() - get the context of a /dev/ioasid fd
 * @fd: a file descriptor of the calling process
 *
 * The context holds a reference on the file, so it stays usable after
 * the process closes @fd, until ioasid_ctx_put().
 *
 * Return: the context, or ERR_PTR(-EBADF) for no file, ERR_PTR(-EINVAL)
 * for a file that is not /dev/ioasid.
 */
struct ioasid_ctx *ioasid_ctx_from_fd(int fd)
{
	struct ioasid_ctx *ctx;
	struct fd f = fdget(fd);

	if (!fd_file(f))
		return ERR_PTR(-EBADF);
	ctx = ioasid_ctx_from_file(fd_file(f));
	if (ctx)
		kapi_ctx_hold(ctx);
	fdput(f);
	return ctx ?: ERR_PTR(-EINVAL);
}
EXPORT_SYMBOL_NS_GPL(ioasid_ctx_from_fd, IOASID);

/**
 * ioasid_ctx_put() - drop a context from ioasid_ctx_from_fd()
 * @ctx: the context
 */
void ioasid_ctx_put(struct ioasid_ctx *ctx)
{
	fput(ctx->file);
}
EXPORT_SYMBOL_NS_GPL(ioasid_ctx_put, IOASID);

/**
 * ioasid_bind_device() - bind a physical device to a context
 * @ctx: the context of the user the device is given to
 * @dev: the physical device, never an mdev
 *
 * Claims DMA ownership of @dev, which blocks its DMA until it is
 * attached.  Other devices of @dev's IOMMU group may be bound to @ctx as
 * well, never to another context.  The binding holds a reference on
 * @ctx, so the user may close its fd first; otherwise this is
 * ioasid_device_bind(), which the test ioctl's mock devices go through
 * as well.
 *
 * Return: the binding, or an ERR_PTR: -ENODEV when no IOMMU translates
 * @dev; -EPERM when the IOMMU cannot isolate the device's MSIs or make
 * its DMA coherent and the administrator did not allow that; -EBUSY when
 * a kernel driver or another context uses the device's group.
 */
struct ioasid_device *ioasid_bind_device(struct ioasid_ctx *ctx,
					 struct device *dev)
{
	struct ioasid_device *idev;

	idev = ioasid_device_bind(ctx, dev);
	if (!IS_ERR(idev))
		kapi_ctx_hold(ctx);
	return idev;
}
EXPORT_SYMBOL_NS_GPL(ioasid_bind_device, IOASID);

/**
 * ioasid_bind_device_pasids() - lend a context the PASIDs of a device
 * @ctx: the context of the user the PASIDs are lent to
 * @dev: the physical device, never an mdev; the caller is its probed
 *       driver, which keeps the device and its requester ID
 *
 * For a parent driver that gives users children of its device tagged by
 * PASIDs (SIOV): it allocates a PASID for each child from the IOMMU
 * core, binds the device to the child's user with this, and attaches the
 * child's PASID to the IOASID the user names.  The binding claims no
 * DMA ownership and cannot attach the requester ID; other contexts may
 * hold one for the same device, each with its own PASIDs.  Unbinding
 * detaches its PASIDs, after which the driver may free them.  PCI
 * parents use ioasid_bind_pci_pasids().
 *
 * Return: the binding, or an ERR_PTR: -ENODEV when no IOMMU translates
 * @dev (an mdev's struct device, for one); -EOPNOTSUPP when the device or
 * its IOMMU has no PASIDs; -EPERM as for ioasid_bind_device().
 */
struct ioasid_device *ioasid_bind_device_pasids(struct ioasid_ctx *ctx,
						struct device *dev)
{
	struct ioasid_device *idev;

	idev = ioasid_device_bind_pasids(ctx, dev);
	if (!IS_ERR(idev))
		kapi_ctx_hold(ctx);
	return idev;
}
EXPORT_SYMBOL_NS_GPL(ioasid_bind_device_pasids, IOASID);

/**
 * ioasid_bind_pci_pasids() - lend a context the PASIDs of a PCI function
 * @ctx: the context of the user the PASIDs are lent to
 * @pdev: the function, whose driver calls this and keeps it
 *
 * ioasid_bind_device_pasids() for a PCI parent: PASIDs are a PCI
 * capability, which the IOMMU driver enables when the function has it.
 *
 * Return: the binding, or an ERR_PTR: -EOPNOTSUPP when the function's
 * PASID capability is not enabled, or as ioasid_bind_device_pasids().
 */
struct ioasid_device *ioasid_bind_pci_pasids(struct ioasid_ctx *ctx,
					     struct pci_dev *pdev)
{
	if (!IS_ENABLED(CONFIG_PCI_PASID) || !pdev->pasid_enabled)
		return ERR_PTR(-EOPNOTSUPP);
	return ioasid_bind_device_pasids(ctx, &pdev->dev);
}
EXPORT_SYMBOL_NS_GPL(ioasid_bind_pci_pasids, IOASID);

/**
 * ioasid_unbind_device() - detach a device and release its ownership
 * @idev: the binding, from any of the bind functions, which is freed
 */
void ioasid_unbind_device(struct ioasid_device *idev)
{
	struct ioasid_ctx *ctx = idev->ctx;

	ioasid_device_unbind(idev);
	ioasid_ctx_put(ctx);
}
EXPORT_SYMBOL_NS_GPL(ioasid_unbind_device, IOASID);

/**
 * ioasid_device_id() - the id userspace names a binding by
 * @idev: a binding
 *
 * Drivers report it to the user who asked for the binding, who passes it
 * to IOASID_DEVICE_INFO; it stays the binding's until it is unbound.
 *
 * Return: the id, never 0.
 */
u32 ioasid_device_id(struct ioasid_device *idev)
{
	return idev->id;
}
EXPORT_SYMBOL_NS_GPL(ioasid_device_id, IOASID);

/**
 * ioasid_ctx_owns_group() - whether a context owns a device's IOMMU group
 * @ctx: the context
 * @dev: a device, bound to @ctx or not
 *
 * A driver asked to do something that affects devices the caller did not
 * bind, such as a PCI bus reset, may treat them as the caller's when the
 * IOMMU isolates them together with one of its devices: no other owner
 * can have their group.
 *
 * Return: true when a device of @dev's IOMMU group is bound to @ctx by
 * ioasid_bind_device(), false otherwise: also when @ctx holds only PASIDs
 * of the group's devices, and for a device no IOMMU translates.
 */
bool ioasid_ctx_owns_group(struct ioasid_ctx *ctx, struct device *dev)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct ioasid_group *igroup;
	bool owned;

	if (!group)
		return false;
	mutex_lock(&ctx->groups_lock);
	igroup = xa_load(&ctx->groups, iommu_group_id(group));
	owned = igroup && igroup->owners;
	mutex_unlock(&ctx->groups_lock);
	iommu_group_put(group);
	return owned;
}
EXPORT_SYMBOL_NS_GPL(ioasid_ctx_owns_group, IOASID);

/**
 * ioasid_attach_device() - attach or move a device's requester ID
 * @idev: the binding
 * @ioasid: the id of an IOASID in the binding's context, plain or nested
 *
 * A device attached to another IOASID moves without being detached, and
 * its DMA no longer reaches the old mappings once this returns.  Some
 * IOMMU drivers (VT-d, SMMUv3) block or abort its DMA for a moment while
 * they switch; Documentation/driver-api/ioasid.rst says what each does.
 *
 * The IOMMU translates the requester IDs of a group through one table, so
 * the devices of a group that are attached are attached to one IOASID.
 *
 * Return: 0, -ENOENT when @ioasid names no IOASID, -EPERM for a binding
 * of PASIDs only, -EBUSY when another device of the group is attached to
 * another IOASID, -EADDRINUSE when a
 * mapping lies where the device cannot reach, -EOPNOTSUPP when the
 * group's devices have software MSI windows at different IOVAs, -EINVAL
 * when @ioasid is nested for another IOMMU, or the
 * IOMMU's error; on error the device stays as it was, except -ENOLINK: a
 * move failed and the IOMMU could not put the group back, so it is
 * detached and blocked.
 */
int ioasid_attach_device(struct ioasid_device *idev, u32 ioasid)
{
	struct ioasid_dest dest;
	int ret;

	ret = ioasid_dest_get(idev->ctx, ioasid, &dest);
	if (ret)
		return ret;
	ret = ioasid_device_attach(idev, &dest);
	ioasid_dest_put(&dest);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ioasid_attach_device, IOASID);

/**
 * ioasid_detach_device() - detach a device's requester ID
 * @idev: the binding; its DMA is blocked afterwards
 */
void ioasid_detach_device(struct ioasid_device *idev)
{
	ioasid_device_detach(idev);
}
EXPORT_SYMBOL_NS_GPL(ioasid_detach_device, IOASID);

/**
 * ioasid_attach_device_pasid() - attach one PASID of a device
 * @idev: the binding
 * @pasid: the PASID, chosen by the caller, never derived from the device
 * @ioasid: the id of an IOASID in the binding's context, plain or nested
 *
 * Tags of DMA with @pasid are translated by @ioasid's page table from
 * then on; the requester ID and other PASIDs are not affected.  A PASID
 * attached to another IOASID moves without being blocked in between, if
 * its IOMMU driver opted in to switching a PASID in place; no driver of
 * this kernel does, and the move fails with -EBUSY.
 *
 * Return: 0, -ENOENT when @ioasid names no IOASID, -EOPNOTSUPP when the
 * device or its IOMMU has no PASIDs, -EINVAL for PASID 0 or one the
 * device cannot emit, -EADDRINUSE when a mapping lies where the device
 * cannot reach, -EBUSY for a move the IOMMU driver cannot make in place
 * (detach the PASID first), or the IOMMU's error; on error the PASID
 * stays as it was, except -ENOLINK: a move failed and the IOMMU could
 * not put the PASID back, so it is detached and its DMA blocked.
 */
int ioasid_attach_device_pasid(struct ioasid_device *idev, u32 pasid,
			       u32 ioasid)
{
	struct ioasid_dest dest;
	int ret;

	ret = ioasid_dest_get(idev->ctx, ioasid, &dest);
	if (ret)
		return ret;
	ret = ioasid_device_attach_pasid(idev, pasid, &dest);
	ioasid_dest_put(&dest);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ioasid_attach_device_pasid, IOASID);

/**
 * ioasid_detach_device_pasid() - detach one PASID of a device
 * @idev: the binding
 * @pasid: the PASID; DMA tagged with it is blocked afterwards
 *
 * Return: 0, or -ENOENT when @pasid is not attached.
 */
int ioasid_detach_device_pasid(struct ioasid_device *idev, u32 pasid)
{
	return ioasid_device_detach_pasid(idev, pasid);
}
EXPORT_SYMBOL_NS_GPL(ioasid_detach_device_pasid, IOASID);
