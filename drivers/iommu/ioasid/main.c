// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/ioasid: the character device and the context behind each open.
 */
#define pr_fmt(fmt) "ioasid: " fmt

#include <kunit/visibility.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "ioasid_private.h"
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
#include "ioasid_test_private.h"
#endif

static DEFINE_IDA(ioasid_ctx_ids);

struct ioasid_ctx *ioasid_ctx_alloc(void)
{
	struct ioasid_ctx *ctx;
	int id;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return NULL;
	id = ida_alloc_min(&ioasid_ctx_ids, 1, GFP_KERNEL);
	if (id < 0) {
		kfree(ctx);
		return NULL;
	}
	ctx->id = id;
	xa_init_flags(&ctx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	init_rwsem(&ctx->views_rwsem);
	ioasid_ctx_account_init(ctx);
	mutex_init(&ctx->groups_lock);
	xa_init(&ctx->groups);
	mutex_init(&ctx->devices_lock);
	INIT_LIST_HEAD(&ctx->devices);
	ioasid_vfio_ctx_init(ctx);
	return ctx;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_ctx_alloc);

void ioasid_ctx_free(struct ioasid_ctx *ctx)
{
	ioasid_vfio_ctx_destroy(ctx);
	ioasid_object_destroy_all(ctx);
	xa_destroy(&ctx->objects);
	/* Empty: every binding, which holds the context, is gone. */
	xa_destroy(&ctx->groups);
	mutex_destroy(&ctx->groups_lock);
	mutex_destroy(&ctx->devices_lock);
	ioasid_ctx_account_destroy(ctx);
	ida_free(&ioasid_ctx_ids, ctx->id);
	kfree(ctx);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_ctx_free);

static struct miscdevice ioasid_vfio_misc;

static int ioasid_fops_open(struct inode *inode, struct file *filp)
{
	struct ioasid_ctx *ctx = ioasid_ctx_alloc();

	if (!ctx)
		return -ENOMEM;
	/* misc_open() left the device opened in private_data. */
	if (filp->private_data == &ioasid_vfio_misc)
		ioasid_vfio_ctx_make_container(ctx);
	ctx->file = filp;
	filp->private_data = ctx;
	ioasid_ctx_debugfs_add(ctx);
	return 0;
}

static int ioasid_fops_release(struct inode *inode, struct file *filp)
{
	struct ioasid_ctx *ctx = filp->private_data;

	ioasid_ctx_debugfs_remove(ctx);
	ioasid_ctx_free(ctx);
	return 0;
}

static long ioasid_fops_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	struct ioasid_ctx *ctx = filp->private_data;

	if (ioasid_vfio_is_container_ioctl(ctx, cmd))
		return ioasid_vfio_ioctl(ctx, cmd, (void __user *)arg);
	return ioasid_ioctl(ctx, cmd, (void __user *)arg);
}

static const struct file_operations ioasid_fops;

/**
 * ioasid_ctx_from_file() - the context of an open /dev/ioasid
 * @file: any file
 *
 * Return: the context, or NULL when @file is not /dev/ioasid.
 */
struct ioasid_ctx *ioasid_ctx_from_file(struct file *file)
{
	return file->f_op == &ioasid_fops ? file->private_data : NULL;
}

static const struct file_operations ioasid_fops = {
	.owner = THIS_MODULE,
	.open = ioasid_fops_open,
	.release = ioasid_fops_release,
	.unlocked_ioctl = ioasid_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = ioasid_fops_show_fdinfo,
};

/*
 * Any process may open /dev/ioasid: what it can pin is bounded by its
 * memlock limit, and reaching a device needs that device's own fd.
 */
static struct miscdevice ioasid_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "ioasid",
	.fops = &ioasid_fops,
	.mode = 0666,
};

/*
 * /dev/vfio/vfio, in VFIO's minor, when this kernel serves VFIO's
 * container: its opens are contexts too, which answer VFIO's container
 * commands (vfio_container.c) besides ours.  The mode is VFIO's own.
 */
static struct miscdevice ioasid_vfio_misc = {
	.minor = VFIO_MINOR,
	.name = "vfio",
	.nodename = "vfio/vfio",
	.fops = &ioasid_fops,
	.mode = 0666,
};

static int ioasid_register(void)
{
	int ret = misc_register(&ioasid_misc);

	if (ret || !IS_ENABLED(CONFIG_DEV_IOASID_VFIO_CONTAINER))
		return ret;
	ret = misc_register(&ioasid_vfio_misc);
	if (ret)
		misc_deregister(&ioasid_misc);
	return ret;
}

static void ioasid_deregister(void)
{
	if (IS_ENABLED(CONFIG_DEV_IOASID_VFIO_CONTAINER))
		misc_deregister(&ioasid_vfio_misc);
	misc_deregister(&ioasid_misc);
}

static int __init ioasid_init(void)
{
	int ret;

	ret = ioasid_area_cache_init();
	if (ret)
		return ret;
	/*
	 * Test kernels only: the mock IOMMU the selftests create devices
	 * behind, registered before the fd can be opened.
	 */
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	ret = ioasid_mock_init();
	if (ret)
		goto err_cache;
#endif
	ioasid_debugfs_init();
	ret = ioasid_register();
	if (!ret)
		return 0;
	ioasid_debugfs_exit();
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	ioasid_mock_exit();
err_cache:
#endif
	ioasid_area_cache_exit();
	return ret;
}

static void __exit ioasid_exit(void)
{
	ioasid_deregister();
	ioasid_debugfs_exit();
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	ioasid_mock_exit();
#endif
	ioasid_area_cache_exit();
}

module_init(ioasid_init);
module_exit(ioasid_exit);

#if IS_ENABLED(CONFIG_DEV_IOASID_VFIO_CONTAINER)
MODULE_ALIAS_MISCDEV(VFIO_MINOR);
MODULE_ALIAS("devname:vfio/vfio");
#endif
MODULE_DESCRIPTION("/dev/ioasid: user-managed I/O address spaces");
MODULE_LICENSE("GPL");
