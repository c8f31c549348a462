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
struct pci_dev;
struct ioasid_access;
struct ioasid_ctx;
struct ioasid_device;
struct page;

/**
 * struct ioasid_access_ops - what an access's driver is called for
 * @map: optional: the IOVAs [@iova, @last] were mapped, in the IOASID the
 *       access is attached to, after the access was attached; and, once
 *       it is attached, every mapping made before.  For drivers that
 *       keep a translation of their own, as a vDPA parent's IOTLB: they
 *       pin the range and add it.  A range may be reported twice, or
 *       be unmapped again by the time the driver pins it (the pin fails
 *       with ENOENT); while the access detaches or moves, its pins fail
 *       with ENODEV, and a move reports the mappings afterwards.  Called
 *       with no lock of the subsystem held; the driver may pin and unpin
 *       from it.
 * @unmap: the IOVAs [@iova, @last] are being unmapped, or the access is
 *         being detached or moved (then [0, ULONG_MAX]).  The driver stops
 *         using them and unpins every page it pinned there before it
 *         returns; the unmap fails with EBUSY otherwise.  Called with no
 *         lock of the subsystem held; the driver may call
 *         ioasid_access_unpin_pages() from it, and nothing else of the
 *         access.
 */
struct ioasid_access_ops {
	void (*map)(void *data, unsigned long iova, unsigned long last);
	void (*unmap)(void *data, unsigned long iova, unsigned long last);
};

/* Flags of ioasid_access_pin_pages() and ioasid_access_rw(). */
#define IOASID_ACCESS_WRITE	0x1U	/* the device writes the pages */

#if IS_ENABLED(CONFIG_DEV_IOASID)
struct ioasid_ctx *ioasid_ctx_from_fd(int fd);
void ioasid_ctx_put(struct ioasid_ctx *ctx);

struct ioasid_device *ioasid_bind_device(struct ioasid_ctx *ctx,
					 struct device *dev);
struct ioasid_device *ioasid_bind_device_pasids(struct ioasid_ctx *ctx,
						struct device *dev);
struct ioasid_device *ioasid_bind_pci_pasids(struct ioasid_ctx *ctx,
					     struct pci_dev *pdev);
void ioasid_unbind_device(struct ioasid_device *idev);
u32 ioasid_device_id(struct ioasid_device *idev);
bool ioasid_ctx_owns_group(struct ioasid_ctx *ctx, struct device *dev);
int ioasid_attach_device(struct ioasid_device *idev, u32 ioasid);
void ioasid_detach_device(struct ioasid_device *idev);
int ioasid_attach_device_pasid(struct ioasid_device *idev, u32 pasid,
			       u32 ioasid);
int ioasid_detach_device_pasid(struct ioasid_device *idev, u32 pasid);

struct ioasid_access *ioasid_access_create(struct ioasid_ctx *ctx,
					   const struct ioasid_access_ops *ops,
					   void *data);
void ioasid_access_destroy(struct ioasid_access *access);
int ioasid_access_attach(struct ioasid_access *access, u32 ioasid);
int ioasid_access_detach(struct ioasid_access *access);
int ioasid_access_pin_pages(struct ioasid_access *access, unsigned long iova,
			    unsigned long npages, struct page **pages,
			    unsigned int flags);
void ioasid_access_unpin_pages(struct ioasid_access *access,
			       unsigned long iova, unsigned long npages);
int ioasid_access_rw(struct ioasid_access *access, unsigned long iova,
		     void *buf, size_t length, unsigned int flags);
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

static inline struct ioasid_device *
ioasid_bind_device_pasids(struct ioasid_ctx *ctx, struct device *dev)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline struct ioasid_device *
ioasid_bind_pci_pasids(struct ioasid_ctx *ctx, struct pci_dev *pdev)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void ioasid_unbind_device(struct ioasid_device *idev)
{
}

static inline u32 ioasid_device_id(struct ioasid_device *idev)
{
	return 0;
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

static inline struct ioasid_access *
ioasid_access_create(struct ioasid_ctx *ctx,
		     const struct ioasid_access_ops *ops, void *data)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void ioasid_access_destroy(struct ioasid_access *access)
{
}

static inline int ioasid_access_attach(struct ioasid_access *access,
				       u32 ioasid)
{
	return -EOPNOTSUPP;
}

static inline int ioasid_access_detach(struct ioasid_access *access)
{
	return -EOPNOTSUPP;
}

static inline int ioasid_access_pin_pages(struct ioasid_access *access,
					  unsigned long iova,
					  unsigned long npages,
					  struct page **pages,
					  unsigned int flags)
{
	return -EOPNOTSUPP;
}

static inline void ioasid_access_unpin_pages(struct ioasid_access *access,
					     unsigned long iova,
					     unsigned long npages)
{
}

static inline int ioasid_access_rw(struct ioasid_access *access,
				   unsigned long iova, void *buf,
				   size_t length, unsigned int flags)
{
	return -EOPNOTSUPP;
}
#endif /* CONFIG_DEV_IOASID */

#if IS_ENABLED(CONFIG_DEV_IOASID_VFIO_CONTAINER)
int ioasid_vfio_join(struct ioasid_ctx *ctx);
void ioasid_vfio_leave(struct ioasid_ctx *ctx);
int ioasid_vfio_ioasid(struct ioasid_ctx *ctx, u32 *ioasid);
#else
static inline int ioasid_vfio_join(struct ioasid_ctx *ctx)
{
	return -EBADFD;
}

static inline void ioasid_vfio_leave(struct ioasid_ctx *ctx)
{
}

static inline int ioasid_vfio_ioasid(struct ioasid_ctx *ctx, u32 *ioasid)
{
	return -EINVAL;
}
#endif /* CONFIG_DEV_IOASID_VFIO_CONTAINER */

#endif /* __LINUX_IOASID_H */
