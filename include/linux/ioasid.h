/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The in-kernel API of /dev/ioasid, for drivers that give userspace a
 * device: VFIO, vhost-vdpa, mdev and SIOV parents.  Such a driver takes
 * the /dev/ioasid fd its user passes, binds the physical device to it,
 * and attaches the device, or one PASID of it, to an IOASID of that fd on
 * the user's request.  See Documentation/driver-api/ioasid.rst.
 */
#ifndef __LINUX_IOASID_H
#define __LINUX_IOASID_H

#include <linux/err.h>
#include <linux/types.h>

struct device;
struct ioasid_ctx;
struct ioasid_device;

#if IS_ENABLED(CONFIG_DEV_IOASID)
struct ioasid_ctx *ioasid_ctx_from_fd(int fd);
void ioasid_ctx_put(struct ioasid_ctx *ctx);

struct ioasid_device *ioasid_bind_device(struct ioasid_ctx *ctx,
					 struct device *dev);
void ioasid_unbind_device(struct ioasid_device *idev);
bool ioasid_ctx_owns_group(struct ioasid_ctx *ctx, struct device *dev);
int ioasid_attach_device(struct ioasid_device *idev, u32 ioasid);
void ioasid_detach_device(struct ioasid_device *idev);
int ioasid_attach_device_pasid(struct ioasid_device *idev, u32 pasid,
			       u32 ioasid);
int ioasid_detach_device_pasid(struct ioasid_device *idev, u32 pasid);
#else
static inline struct ioasid_ctx *ioasid_ctx_from_fd(int fd)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void ioasid_ctx_put(struct ioasid_ctx *ctx)
{
}

static inline struct ioasid_device *ioasid_bind_device(struct ioasid_ctx *ctx,
						       struct device *dev)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void ioasid_unbind_device(struct ioasid_device *idev)
{
}

static inline bool ioasid_ctx_owns_group(struct ioasid_ctx *ctx,
					 struct device *dev)
{
	return false;
}

static inline int ioasid_attach_device(struct ioasid_device *idev,
				       u32 ioasid)
{
	return -EOPNOTSUPP;
}

static inline void ioasid_detach_device(struct ioasid_device *idev)
{
}

static inline int ioasid_attach_device_pasid(struct ioasid_device *idev,
					     u32 pasid, u32 ioasid)
{
	return -EOPNOTSUPP;
}

static inline int ioasid_detach_device_pasid(struct ioasid_device *idev,
					     u32 pasid)
{
	return -EOPNOTSUPP;
}
#endif /* CONFIG_DEV_IOASID */

#endif /* __LINUX_IOASID_H */
