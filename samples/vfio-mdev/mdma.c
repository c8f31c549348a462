// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdma: a mediated DMA engine, a sample parent driver whose children are
 * VFIO devices that userspace binds to /dev/ioasid.
 *
 * The parent is a device with PASIDs behind the mock IOMMU of
 * CONFIG_DEV_IOASID_TEST, as QEMU emulates no such device.  Each child
 * has one region of 64-bit registers: a source IOVA, a destination IOVA,
 * a length, and a command that copies the one to the other.  How the copy
 * reaches the user's memory is the child type's business:
 *
 *   siov      The parent lends the child a PASID of its own: the driver
 *             allocates it when the child is created, lends the parent's
 *             PASIDs to the user's /dev/ioasid and attaches the child's
 *             PASID to the IOASID the user names.  The copy is DMA tagged
 *             with it, which the IOMMU translates.
 *   emulated  The driver copies in software, through VFIO's emulated
 *             helpers and the IOASID's memory.  It can also keep pages
 *             pinned, as a vGPU's GTT does, until an unmap takes them.
 *   own-rid   A driver that gets it wrong: it offers the IOMMU the child's
 *             own struct device, which /dev/ioasid refuses, as no IOMMU
 *             translates it.
 *
 * Userspace uses the same VFIO ioctls for all three.
 */
#include <linux/iommu.h>
#include <linux/ioasid.h>
#include <linux/ioasid_mock.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#define MDMA_REG_ID		0x00	/* RO: MDMA_ID | mode << 32 */
#define MDMA_REG_SRC		0x08
#define MDMA_REG_DST		0x10
#define MDMA_REG_LEN		0x18
#define MDMA_REG_CMD		0x20	/* WO: MDMA_CMD_* */
#define MDMA_REG_STATUS		0x28	/* RO: 0, or the last command's errno */
#define MDMA_REG_PINNED		0x30	/* RO: pages kept pinned */
#define MDMA_REG_UNMAPS		0x38	/* RO: unmaps that took kept pages */
#define MDMA_REG_PASID		0x40	/* RO: the child's PASID, or 0 */
#define MDMA_REGION_SIZE	0x100

#define MDMA_ID			0x414d444dULL	/* "MDMA" */
#define MDMA_CMD_START		1	/* copy LEN bytes from SRC to DST */
#define MDMA_CMD_PIN		2	/* keep the page at DST pinned */
#define MDMA_CMD_UNPIN		4	/* let go of every kept page */

#define MDMA_MAX_LEN		SZ_4K
#define MDMA_MAX_PINNED		16
#define MDMA_PASID_BITS		8
#define MDMA_MAX_CHILDREN	12

enum mdma_mode {
	MDMA_SIOV = 1,
	MDMA_EMULATED,
	MDMA_OWN_RID,
};

struct mdma_type {
	struct mdev_type type;
	enum mdma_mode mode;
};

/**
 * struct mdma_parent - the driver's state for its device
 * @parent: the device as a parent of mediated devices
 * @types: the child types it offers
 * @type_ptrs: @types, as mdev_register_parent() takes them
 */
struct mdma_parent {
	struct mdev_parent parent;
	struct mdma_type types[3];
	struct mdev_type *type_ptrs[3];
};

/**
 * struct mdma_kept - a page an emulated child keeps pinned
 * @iova: its IOVA
 * @page: the page
 */
struct mdma_kept {
	dma_addr_t iova;
	struct page *page;
};

/**
 * struct mdma_child - a mediated DMA engine
 * @vdev: the VFIO device userspace opens
 * @mode: its type
 * @parent_dev: the parent's device, whose PASID a siov child uses
 * @pasid: that PASID, for the child's lifetime
 * @idev: the parent's PASIDs lent to the user's /dev/ioasid, while bound;
 *        for own-rid, the binding that is always refused
 * @lock: protects the registers and @kept; taken by the unmap callback,
 *        so never held around a call into /dev/ioasid that makes one
 * @src: register
 * @dst: register
 * @len: register
 * @status: register
 * @unmaps: register
 * @nr_kept: the PINNED register: entries of @kept in use
 * @kept: the pages kept pinned
 * @buf: the engine's buffer; the copy goes through it
 */
struct mdma_child {
	struct vfio_device vdev;
	enum mdma_mode mode;
	struct device *parent_dev;
	ioasid_t pasid;
	struct ioasid_device *idev;
	struct mutex lock;	/* registers and kept pages */
	u64 src, dst, len, status, unmaps;
	unsigned int nr_kept;
	struct mdma_kept kept[MDMA_MAX_PINNED];
	u8 buf[MDMA_MAX_LEN];
};

static struct mdma_child *to_child(struct vfio_device *vdev)
{
	return container_of(vdev, struct mdma_child, vdev);
}

/* The errno a register reports: the device, not the kernel, says it. */
static u64 mdma_status(int ret)
{
	/* An emulated access that is not attached: DMA blocked, as siov. */
	if (ret == -ENODEV)
		ret = -ENXIO;
	return -ret;
}

static int mdma_copy_siov(struct mdma_child *child)
{
	int ret;

	ret = ioasid_mock_dma(child->idev, child->pasid, child->src,
			      child->buf, child->len, false);
	if (!ret)
		ret = ioasid_mock_dma(child->idev, child->pasid, child->dst,
				      child->buf, child->len, true);
	return ret;
}

static int mdma_copy_emulated(struct mdma_child *child)
{
	int ret;

	ret = vfio_dma_rw(&child->vdev, child->src, child->buf, child->len,
			  false);
	if (!ret)
		ret = vfio_dma_rw(&child->vdev, child->dst, child->buf,
				  child->len, true);
	return ret;
}

static int mdma_start(struct mdma_child *child)
{
	if (!child->len || child->len > MDMA_MAX_LEN)
		return -EINVAL;
	/* Unbound, a siov child's PASID is attached nowhere. */
	if (child->mode == MDMA_SIOV)
		return child->idev ? mdma_copy_siov(child) : -ENXIO;
	if (child->mode == MDMA_EMULATED)
		return mdma_copy_emulated(child);
	return -ENXIO;
}

static int mdma_pin(struct mdma_child *child)
{
	struct page *page;
	int ret;

	if (child->mode != MDMA_EMULATED)
		return -EOPNOTSUPP;
	if (!PAGE_ALIGNED(child->dst))
		return -EINVAL;
	if (child->nr_kept == MDMA_MAX_PINNED)
		return -ENOSPC;
	ret = vfio_pin_pages(&child->vdev, child->dst, 1,
			     IOMMU_READ | IOMMU_WRITE, &page);
	if (ret < 0)
		return ret;
	child->kept[child->nr_kept].iova = child->dst;
	child->kept[child->nr_kept].page = page;
	child->nr_kept++;
	return 0;
}

/* Lets go of the kept pages in [@iova, @last]; returns how many. */
static unsigned int mdma_unpin(struct mdma_child *child, u64 iova, u64 last)
{
	unsigned int i = 0, released = 0;

	lockdep_assert_held(&child->lock);
	while (i < child->nr_kept) {
		struct mdma_kept *kept = &child->kept[i];

		if (kept->iova < iova || kept->iova > last) {
			i++;
			continue;
		}
		vfio_unpin_pages(&child->vdev, kept->iova, 1);
		*kept = child->kept[--child->nr_kept];
		released++;
	}
	return released;
}

static int mdma_command(struct mdma_child *child, u64 cmd)
{
	switch (cmd) {
	case MDMA_CMD_START:
		return mdma_start(child);
	case MDMA_CMD_PIN:
		return mdma_pin(child);
	case MDMA_CMD_UNPIN:
		if (child->mode != MDMA_EMULATED)
			return -EOPNOTSUPP;
		mdma_unpin(child, 0, U64_MAX);
		return 0;
	}
	return -EINVAL;
}

static int mdma_reg_read(struct mdma_child *child, loff_t reg, u64 *val)
{
	switch (reg) {
	case MDMA_REG_ID:
		*val = MDMA_ID | (u64)child->mode << 32;
		return 0;
	case MDMA_REG_SRC:
		*val = child->src;
		return 0;
	case MDMA_REG_DST:
		*val = child->dst;
		return 0;
	case MDMA_REG_LEN:
		*val = child->len;
		return 0;
	case MDMA_REG_STATUS:
		*val = child->status;
		return 0;
	case MDMA_REG_PINNED:
		*val = child->nr_kept;
		return 0;
	case MDMA_REG_UNMAPS:
		*val = child->unmaps;
		return 0;
	case MDMA_REG_PASID:
		*val = child->mode == MDMA_SIOV ? child->pasid : 0;
		return 0;
	}
	return -EINVAL;
}

static int mdma_reg_write(struct mdma_child *child, loff_t reg, u64 val)
{
	switch (reg) {
	case MDMA_REG_SRC:
		child->src = val;
		return 0;
	case MDMA_REG_DST:
		child->dst = val;
		return 0;
	case MDMA_REG_LEN:
		child->len = val;
		return 0;
	case MDMA_REG_CMD:
		child->status = mdma_status(mdma_command(child, val));
		return 0;
	}
	return -EINVAL;
}

/* Registers are read and written whole: 8 bytes at an 8-byte offset. */
static int mdma_reg_check(size_t count, loff_t pos)
{
	if (count != sizeof(u64) || pos < 0 || pos % sizeof(u64) ||
	    pos >= MDMA_REGION_SIZE)
		return -EINVAL;
	return 0;
}

static ssize_t mdma_read(struct vfio_device *vdev, char __user *buf,
			 size_t count, loff_t *ppos)
{
	struct mdma_child *child = to_child(vdev);
	u64 val;
	int ret;

	ret = mdma_reg_check(count, *ppos);
	if (ret)
		return ret;
	mutex_lock(&child->lock);
	ret = mdma_reg_read(child, *ppos, &val);
	mutex_unlock(&child->lock);
	if (ret)
		return ret;
	if (copy_to_user(buf, &val, sizeof(val)))
		return -EFAULT;
	*ppos += sizeof(val);
	return sizeof(val);
}

static ssize_t mdma_write(struct vfio_device *vdev, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	struct mdma_child *child = to_child(vdev);
	u64 val;
	int ret;

	ret = mdma_reg_check(count, *ppos);
	if (ret)
		return ret;
	if (copy_from_user(&val, buf, sizeof(val)))
		return -EFAULT;
	mutex_lock(&child->lock);
	ret = mdma_reg_write(child, *ppos, val);
	mutex_unlock(&child->lock);
	if (ret)
		return ret;
	*ppos += sizeof(val);
	return sizeof(val);
}

static long mdma_get_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PLATFORM;
	info.num_regions = 1;
	info.num_irqs = 0;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long mdma_get_region_info(unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_region_info info;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (info.index != 0)
		return -EINVAL;
	info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	info.cap_offset = 0;
	info.size = MDMA_REGION_SIZE;
	info.offset = 0;
	return copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
}

static long mdma_ioctl(struct vfio_device *vdev, unsigned int cmd,
		       unsigned long arg)
{
	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return mdma_get_info(arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return mdma_get_region_info(arg);
	}
	return -ENOTTY;
}

/* A closed engine keeps nothing: the next user starts from reset. */
static void mdma_close_device(struct vfio_device *vdev)
{
	struct mdma_child *child = to_child(vdev);

	mutex_lock(&child->lock);
	mdma_unpin(child, 0, U64_MAX);
	child->src = 0;
	child->dst = 0;
	child->len = 0;
	child->status = 0;
	child->unmaps = 0;
	mutex_unlock(&child->lock);
}

/* An unmap in the emulated child's IOASID takes the pages it names. */
static void mdma_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	struct mdma_child *child = to_child(vdev);
	u64 last;

	if (!length || check_add_overflow(iova, length - 1, &last))
		last = U64_MAX;
	mutex_lock(&child->lock);
	if (mdma_unpin(child, iova, last))
		child->unmaps++;
	mutex_unlock(&child->lock);
}

static int mdma_siov_bind(struct vfio_device *vdev, struct ioasid_ctx *ctx)
{
	struct mdma_child *child = to_child(vdev);
	struct ioasid_device *idev;

	/* The parent's device, never the child's: it is the one with PASIDs */
	idev = ioasid_bind_device_pasids(ctx, child->parent_dev);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	mutex_lock(&child->lock);
	child->idev = idev;
	mutex_unlock(&child->lock);
	return 0;
}

static void mdma_siov_unbind(struct vfio_device *vdev)
{
	struct mdma_child *child = to_child(vdev);
	struct ioasid_device *idev = child->idev;

	mutex_lock(&child->lock);
	child->idev = NULL;
	mutex_unlock(&child->lock);
	/* Detaches the PASID, which stays the child's until it is removed */
	ioasid_unbind_device(idev);
}

static int mdma_siov_attach(struct vfio_device *vdev, u32 ioasid)
{
	struct mdma_child *child = to_child(vdev);

	return ioasid_attach_device_pasid(child->idev, child->pasid, ioasid);
}

static int mdma_siov_detach(struct vfio_device *vdev)
{
	struct mdma_child *child = to_child(vdev);
	int ret;

	ret = ioasid_detach_device_pasid(child->idev, child->pasid);
	/* Detaching a child that is not attached leaves it as it is. */
	return ret == -ENOENT ? 0 : ret;
}

/* Wrong on purpose: an mdev's struct device has no IOMMU behind it. */
static int mdma_own_rid_bind(struct vfio_device *vdev, struct ioasid_ctx *ctx)
{
	struct mdma_child *child = to_child(vdev);
	struct ioasid_device *idev;

	idev = ioasid_bind_device(ctx, vdev->dev);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	child->idev = idev;
	return 0;
}

static void mdma_own_rid_unbind(struct vfio_device *vdev)
{
	struct mdma_child *child = to_child(vdev);

	ioasid_unbind_device(child->idev);
	child->idev = NULL;
}

static int mdma_own_rid_attach(struct vfio_device *vdev, u32 ioasid)
{
	return ioasid_attach_device(to_child(vdev)->idev, ioasid);
}

static int mdma_own_rid_detach(struct vfio_device *vdev)
{
	ioasid_detach_device(to_child(vdev)->idev);
	return 0;
}

static void mdma_release(struct vfio_device *vdev)
{
	mutex_destroy(&to_child(vdev)->lock);
}

/*
 * VFIO wants iommufd's ops of every driver.  All types take iommufd's
 * emulated ones, with which only an emulated child's copies work: mdma
 * is a sample of /dev/ioasid.
 */
static const struct vfio_device_ops mdma_siov_ops = {
	.name = "mdma-siov",
	.release = mdma_release,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
	.bind_ioasid = mdma_siov_bind,
	.unbind_ioasid = mdma_siov_unbind,
	.attach_ioasid = mdma_siov_attach,
	.detach_ioasid = mdma_siov_detach,
	.close_device = mdma_close_device,
	.read = mdma_read,
	.write = mdma_write,
	.ioctl = mdma_ioctl,
};

static const struct vfio_device_ops mdma_emulated_ops = {
	.name = "mdma-emulated",
	.release = mdma_release,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
	.bind_ioasid = vfio_ioasid_emulated_bind,
	.unbind_ioasid = vfio_ioasid_emulated_unbind,
	.attach_ioasid = vfio_ioasid_emulated_attach,
	.detach_ioasid = vfio_ioasid_emulated_detach,
	.close_device = mdma_close_device,
	.read = mdma_read,
	.write = mdma_write,
	.ioctl = mdma_ioctl,
	.dma_unmap = mdma_dma_unmap,
};

static const struct vfio_device_ops mdma_own_rid_ops = {
	.name = "mdma-own-rid",
	.release = mdma_release,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
	.bind_ioasid = mdma_own_rid_bind,
	.unbind_ioasid = mdma_own_rid_unbind,
	.attach_ioasid = mdma_own_rid_attach,
	.detach_ioasid = mdma_own_rid_detach,
	.close_device = mdma_close_device,
	.read = mdma_read,
	.write = mdma_write,
	.ioctl = mdma_ioctl,
};

static const struct vfio_device_ops *const mdma_ops[] = {
	[MDMA_SIOV] = &mdma_siov_ops,
	[MDMA_EMULATED] = &mdma_emulated_ops,
	[MDMA_OWN_RID] = &mdma_own_rid_ops,
};

static int mdma_probe(struct mdev_device *mdev)
{
	struct mdma_type *type = container_of(mdev->type, struct mdma_type,
					      type);
	struct mdma_child *child;
	int ret;

	child = vfio_alloc_device(mdma_child, vdev, &mdev->dev,
				  mdma_ops[type->mode]);
	if (IS_ERR(child))
		return PTR_ERR(child);
	mutex_init(&child->lock);
	child->mode = type->mode;
	child->parent_dev = mdev->type->parent->dev;
	child->pasid = IOMMU_PASID_INVALID;
	if (child->mode == MDMA_SIOV) {
		child->pasid = iommu_alloc_global_pasid(child->parent_dev);
		if (child->pasid == IOMMU_PASID_INVALID) {
			ret = -ENOSPC;
			goto err_put;
		}
	}
	ret = vfio_register_emulated_iommu_dev(&child->vdev);
	if (ret)
		goto err_pasid;
	dev_set_drvdata(&mdev->dev, child);
	return 0;

err_pasid:
	if (child->pasid != IOMMU_PASID_INVALID)
		iommu_free_global_pasid(child->pasid);
err_put:
	vfio_put_device(&child->vdev);
	return ret;
}

static void mdma_remove(struct mdev_device *mdev)
{
	struct mdma_child *child = dev_get_drvdata(&mdev->dev);

	/* Waits for the user to close the device, which detaches the PASID */
	vfio_unregister_group_dev(&child->vdev);
	if (child->pasid != IOMMU_PASID_INVALID)
		iommu_free_global_pasid(child->pasid);
	vfio_put_device(&child->vdev);
}

static ssize_t mdma_show_description(struct mdev_type *mtype, char *buf)
{
	static const char *const what[] = {
		[MDMA_SIOV] = "DMA tagged with a PASID of the parent",
		[MDMA_EMULATED] = "DMA the driver does in software",
		[MDMA_OWN_RID] = "binds its own device, which is refused",
	};

	return sysfs_emit(buf, "%s\n",
			  what[container_of(mtype, struct mdma_type, type)->mode]);
}

static struct mdev_driver mdma_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PLATFORM_STRING,
	.max_instances = MDMA_MAX_CHILDREN,
	.driver = {
		.name = "mdma_mdev",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
	.probe = mdma_probe,
	.remove = mdma_remove,
	.show_description = mdma_show_description,
};

static const char *const mdma_type_names[] = {
	[MDMA_SIOV] = "siov",
	[MDMA_EMULATED] = "emulated",
	[MDMA_OWN_RID] = "own-rid",
};

static int mdma_parent_probe(struct device *dev)
{
	struct mdma_parent *mp;
	int i, ret;

	mp = kzalloc(sizeof(*mp), GFP_KERNEL);
	if (!mp)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(mp->types); i++) {
		mp->types[i].mode = MDMA_SIOV + i;
		mp->types[i].type.sysfs_name = mdma_type_names[MDMA_SIOV + i];
		mp->type_ptrs[i] = &mp->types[i].type;
	}
	ret = mdev_register_parent(&mp->parent, dev, &mdma_mdev_driver,
				   mp->type_ptrs, ARRAY_SIZE(mp->type_ptrs));
	if (ret) {
		kfree(mp);
		return ret;
	}
	dev_set_drvdata(dev, mp);
	return 0;
}

/* Removes the children first, each once its user has closed it. */
static int mdma_parent_remove(struct device *dev)
{
	struct mdma_parent *mp = dev_get_drvdata(dev);

	mdev_unregister_parent(&mp->parent);
	kfree(mp);
	return 0;
}

static struct device_driver mdma_parent_driver = {
	.name = "mdma",
	.owner = THIS_MODULE,
	.probe = mdma_parent_probe,
	.remove = mdma_parent_remove,
};

static struct device *mdma_dev;

static int __init mdma_init(void)
{
	int ret;

	ret = mdev_register_driver(&mdma_mdev_driver);
	if (ret)
		return ret;
	ret = ioasid_mock_driver_register(&mdma_parent_driver);
	if (ret)
		goto err_mdev;
	mdma_dev = ioasid_mock_parent_create(mdma_parent_driver.name,
					     MDMA_PASID_BITS);
	if (IS_ERR(mdma_dev)) {
		ret = PTR_ERR(mdma_dev);
		goto err_parent;
	}
	return 0;

err_parent:
	ioasid_mock_driver_unregister(&mdma_parent_driver);
err_mdev:
	mdev_unregister_driver(&mdma_mdev_driver);
	return ret;
}

static void __exit mdma_exit(void)
{
	ioasid_mock_parent_destroy(mdma_dev);
	ioasid_mock_driver_unregister(&mdma_parent_driver);
	mdev_unregister_driver(&mdma_mdev_driver);
}

module_init(mdma_init);
module_exit(mdma_exit);

MODULE_IMPORT_NS(IOASID);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Sample mediated DMA engine on /dev/ioasid");
