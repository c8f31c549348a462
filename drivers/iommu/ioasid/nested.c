// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nested IOASIDs: a stage-1 page table in the user's memory, in the
 * format of one IOMMU, whose output the mappings of a plain IOASID, its
 * parent, translate.  The IOMMU driver copies the table's description from
 * the user when the nested domain is allocated, so the domain is made
 * when the nested IOASID is, for the device the user names, on a table of
 * the parent that its IOMMU can nest on.
 *
 * This file owns the nested IOASID object, the formats and what the
 * IOMMU core calls them, and the invalidation of stage-1 caches; device.c
 * attaches devices to it as to its parent, through its domain.
 */
#include <linux/iommu.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>

#include "../iommu-priv.h"
#include "ioasid_private.h"
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
#include "ioasid_test_private.h"
#endif

/* IOASID_INVALIDATE takes at most this many entries in one call. */
#define NESTED_MAX_INVALIDATIONS	4096

/* VT-d's driver reads our structs: they must be laid out as its own. */
static_assert(sizeof(struct ioasid_nest_vtd_s1) ==
	      sizeof(struct iommu_hwpt_vtd_s1));
static_assert(offsetof(struct ioasid_nest_vtd_s1, addr_width) ==
	      offsetof(struct iommu_hwpt_vtd_s1, addr_width));
static_assert(sizeof(struct ioasid_nest_vtd_s1_invalidate) ==
	      sizeof(struct iommu_hwpt_vtd_s1_invalidate));
static_assert(offsetof(struct ioasid_nest_vtd_s1_invalidate, flags) ==
	      offsetof(struct iommu_hwpt_vtd_s1_invalidate, flags));
/* And userspace reads VT-d's report of itself as the driver wrote it. */
static_assert(sizeof(struct ioasid_hw_info_vtd) ==
	      sizeof(struct iommu_hw_info_vtd));
static_assert(offsetof(struct ioasid_hw_info_vtd, ecap_reg) ==
	      offsetof(struct iommu_hw_info_vtd, ecap_reg));

/*
 * VT-d's extended capabilities: scalable mode (SMTS) and nesting (NEST),
 * which its driver needs both of to nest.
 */
#define NESTED_VTD_ECAP_NEST	BIT_ULL(26)
#define NESTED_VTD_ECAP_SMTS	BIT_ULL(43)

/**
 * struct nested_format - what the IOMMU core calls a format's data
 * @data_type: the type of its table description, enum iommu_hwpt_data_type
 * @data_size: the size of the description as this kernel knows it
 * @inv_type: the type of its invalidation entries
 */
struct nested_format {
	unsigned int data_type;
	size_t data_size;
	unsigned int inv_type;
};

static int nested_format(u32 format, struct nested_format *out)
{
	switch (format) {
	case IOASID_NEST_FORMAT_VTD_S1:
		out->data_type = IOMMU_HWPT_DATA_VTD_S1;
		out->data_size = sizeof(struct ioasid_nest_vtd_s1);
		out->inv_type = IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
		return 0;
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	case IOASID_NEST_FORMAT_MOCK:
		out->data_type = IOASID_MOCK_HWPT_DATA_S1;
		out->data_size = sizeof(struct ioasid_mock_s1);
		out->inv_type = IOASID_MOCK_INVALIDATE_S1;
		return 0;
#endif
	default:
		return -EOPNOTSUPP;
	}
}

/* The formats an IOMMU reads, from what its driver's hw_info reports. */
static u64 nested_hw_info_formats(u32 type, const void *info, u32 length)
{
	const struct iommu_hw_info_vtd *vtd = info;
	u64 need = NESTED_VTD_ECAP_NEST | NESTED_VTD_ECAP_SMTS;

	if (type == IOMMU_HW_INFO_TYPE_INTEL_VTD && length >= sizeof(*vtd))
		return (vtd->ecap_reg & need) == need ?
		       BIT_ULL(IOASID_NEST_FORMAT_VTD_S1) : 0;
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	if (type == IOASID_MOCK_HW_INFO_TYPE &&
	    length >= sizeof(struct ioasid_mock_hw_info))
		return ((const struct ioasid_mock_hw_info *)info)->nest_formats;
#endif
	return 0;
}

/*
 * The driver's report of @dev's IOMMU, to be kfree()d, with its length and
 * type; NULL, with both 0, from a driver that makes none.
 */
static void *nested_hw_info(struct device *dev, u32 *length, u32 *type)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);

	*length = 0;
	*type = 0;
	return ops->hw_info ? ops->hw_info(dev, length, type) : NULL;
}

/* The stage-1 formats @dev's IOMMU reads, in *@formats; 0 or -ENOMEM. */
static int nested_formats(struct device *dev, u64 *formats)
{
	u32 length, type;
	void *info = nested_hw_info(dev, &length, &type);

	if (IS_ERR(info))
		return PTR_ERR(info);
	*formats = nested_hw_info_formats(type, info, length);
	kfree(info);
	return 0;
}

/* The uAPI's name for the layout of a driver's report of its IOMMU. */
static u32 nested_hw_info_type(u32 type)
{
	if (type == IOMMU_HW_INFO_TYPE_INTEL_VTD)
		return IOASID_HW_INFO_VTD;
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	if (type == IOASID_MOCK_HW_INFO_TYPE)
		return IOASID_HW_INFO_MOCK;
#endif
	return IOASID_HW_INFO_NONE;
}

/**
 * ioasid_device_hw_info() - what IOASID_DEVICE_INFO says of a device's IOMMU
 * @dev: a device an IOMMU translates
 * @cmd: the call: its out_nest_formats, out_hw_info_type and hw_info_len
 *       are set, and the buffer at its hw_info written
 *
 * Return: 0, -ENOMEM, or -EFAULT when the buffer cannot be written.
 */
int ioasid_device_hw_info(struct device *dev, struct ioasid_device_info *cmd)
{
	void __user *uptr = u64_to_user_ptr(cmd->hw_info);
	u32 length, type, n;
	void *info;
	int ret = 0;

	info = nested_hw_info(dev, &length, &type);
	if (IS_ERR(info))
		return PTR_ERR(info);
	cmd->out_hw_info_type = nested_hw_info_type(type);
	if (cmd->out_hw_info_type == IOASID_HW_INFO_NONE)
		length = 0;
	cmd->out_nest_formats = nested_hw_info_formats(type, info, length);
	n = min(cmd->hw_info_len, length);
	if (n && copy_to_user(uptr, info, n))
		ret = -EFAULT;
	if (!ret && cmd->hw_info_len > n &&
	    clear_user(uptr + n, cmd->hw_info_len - n))
		ret = -EFAULT;
	cmd->hw_info_len = length;
	kfree(info);
	return ret;
}

/*
 * The length of @cmd's description of the table that the driver is to
 * read.  Drivers refuse one longer than their struct: a longer one whose
 * tail is zero is the same description, as the ioctl convention has it.
 */
static int nested_data_len(struct ioasid_alloc *cmd,
			   const struct nested_format *format, size_t *len)
{
	int ret;

	*len = cmd->data_len;
	if (cmd->data_len <= format->data_size)
		return 0;
	if (cmd->data_len > PAGE_SIZE)
		return -E2BIG;
	ret = check_zeroed_user(u64_to_user_ptr(cmd->data) + format->data_size,
				cmd->data_len - format->data_size);
	if (ret < 0)
		return ret;
	*len = format->data_size;
	return ret ? 0 : -E2BIG;
}

/* Whether @hwpt, a table of an IOAS, may take a nested domain for @dev. */
static bool nested_parent_suits(struct ioasid_hwpt *hwpt, struct device *dev,
				phys_addr_t sw_msi)
{
	return hwpt->nest_parent && ioasid_hwpt_suits(hwpt, dev, sw_msi);
}

/*
 * Makes @nested's domain on @hwpt.  -EINVAL from the driver means that the
 * table is not one @dev's IOMMU can nest on, or that it refuses the
 * description.
 */
static int nested_alloc_on(struct ioasid_nested *nested,
			   struct ioasid_hwpt *hwpt, struct device *dev,
			   const struct iommu_user_data *data)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_domain *domain;

	domain = ops->domain_alloc_user(dev, 0, hwpt->domain, data);
	if (IS_ERR(domain))
		return PTR_ERR(domain);
	domain->owner = ops;
	nested->domain = domain;
	nested->hwpt = hwpt;
	return 0;
}

/* Counts @nested's domain as a user of its table, a table of @ioas. */
static void nested_use_table(struct ioasid_nested *nested,
			     struct ioasid_ioas *ioas)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);
	ioasid_hwpt_add(ioas, nested->hwpt);
	nested->hwpt->nests++;
}

/*
 * Makes a table of @ioas to nest on for @dev, and @nested's domain on it
 * while it is still empty, so that the mappings are filled in only for a
 * domain that exists.
 */
static int nested_on_new_table(struct ioasid_nested *nested,
			       struct ioasid_ioas *ioas, struct device *dev,
			       phys_addr_t sw_msi,
			       const struct iommu_user_data *data)
{
	struct ioasid_hwpt *hwpt;
	int ret;

	hwpt = ioasid_hwpt_create(dev, sw_msi, true);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	ret = ioasid_dirty_prepare_table(ioas, hwpt);
	if (!ret)
		ret = nested_alloc_on(nested, hwpt, dev, data);
	if (ret)
		goto err_free;
	ret = ioasid_ioas_fill_table(ioas, hwpt);
	if (ret) {
		iommu_domain_free(nested->domain);
		goto err_free;
	}
	nested_use_table(nested, ioas);
	return 0;

err_free:
	ioasid_hwpt_free(hwpt);
	return ret;
}

/*
 * Makes @nested's domain for @dev on a table of its parent that the
 * device's IOMMU can nest on: an existing one, or a new one filled with
 * the parent's mappings.  The driver reads the user's description while
 * the parent's lock is held, as a DMA of the test ioctl writes user
 * memory under it: a fault takes mmap_lock under iova_rwsem.
 */
static int nested_find_table(struct ioasid_nested *nested, struct device *dev,
			     const struct iommu_user_data *data)
{
	struct ioasid_ioas *ioas = nested->parent;
	struct ioasid_hwpt *hwpt;
	phys_addr_t sw_msi;
	int ret;

	ret = ioasid_group_sw_msi(dev->iommu_group, &sw_msi);
	if (ret)
		return ret;
	down_write(&ioas->iova_rwsem);
	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		if (!nested_parent_suits(hwpt, dev, sw_msi))
			continue;
		ret = nested_alloc_on(nested, hwpt, dev, data);
		if (!ret)
			nested_use_table(nested, ioas);
		if (ret != -EINVAL)
			goto out_unlock;
	}
	ret = nested_on_new_table(nested, ioas, dev, sw_msi, data);
out_unlock:
	up_write(&ioas->iova_rwsem);
	return ret;
}

static void nested_parent_table_put(struct ioasid_ioas *ioas,
				    struct ioasid_hwpt *hwpt)
{
	down_write(&ioas->iova_rwsem);
	hwpt->nests--;
	ioasid_hwpt_put(ioas, hwpt);
	up_write(&ioas->iova_rwsem);
}

/*
 * Makes @nested's domain for @dev, on a table of @nested's parent.  The
 * driver copies the table's description from @cmd's data now.
 */
static int nested_make_domain(struct ioasid_nested *nested,
			      struct device *dev, struct ioasid_alloc *cmd)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_user_data data = {
		.uptr = u64_to_user_ptr(cmd->data),
	};
	struct nested_format format;
	u64 formats;
	int ret;

	ret = nested_format(cmd->format, &format);
	if (!ret)
		ret = nested_formats(dev, &formats);
	if (ret)
		return ret;
	if (!(formats & BIT_ULL(cmd->format)) || !ops->domain_alloc_user)
		return -EOPNOTSUPP;
	ret = nested_data_len(cmd, &format, &data.len);
	if (ret)
		return ret;
	data.type = format.data_type;
	ret = nested_find_table(nested, dev, &data);
	if (!ret)
		nested->format = cmd->format;
	return ret;
}

/*
 * Takes the fault queue that @cmd names, if any, for the page requests of
 * the devices that will attach.
 */
static int nested_get_fault_queue(struct ioasid_nested *nested,
				  struct ioasid_ctx *ctx,
				  const struct ioasid_alloc *cmd)
{
	if (!(cmd->flags & IOASID_ALLOC_FAULT_QUEUE))
		return cmd->fault_queue ? -EINVAL : 0;
	nested->fault_queue = ioasid_fault_queue_get(ctx, cmd->fault_queue);
	if (IS_ERR(nested->fault_queue)) {
		int ret = PTR_ERR(nested->fault_queue);

		nested->fault_queue = NULL;
		return ret;
	}
	return 0;
}

/* Makes the IOMMU core hand page requests through @nested to its queue. */
static void nested_take_faults(struct ioasid_nested *nested)
{
	if (!nested->fault_queue)
		return;
	nested->domain->iopf_handler = ioasid_fault_iopf_handler;
	nested->domain->fault_data = nested;
}

/* Frees a nested IOASID's domain and lets go of its parent. */
static void nested_free(struct ioasid_nested *nested)
{
	/* The parent's table outlives the domain nested on it. */
	iommu_domain_free(nested->domain);
	nested_parent_table_put(nested->parent, nested->hwpt);
	ioasid_ioas_put(nested->parent);
	if (nested->fault_queue)
		ioasid_fault_queue_put(nested->fault_queue);
	kfree_rcu(nested, obj.rcu);
}

/**
 * ioasid_nested_alloc() - IOASID_ALLOC with IOASID_ALLOC_NESTED
 * @ucmd: the call
 *
 * The device is looked up and used under the context's devices_lock, so
 * that its binding cannot go while its IOMMU makes the domain.
 *
 * Return: 0 or an errno of struct ioasid_alloc.
 */
int ioasid_nested_alloc(struct ioasid_ucmd *ucmd)
{
	struct ioasid_alloc *cmd = ucmd->cmd;
	struct ioasid_ctx *ctx = ucmd->ctx;
	struct ioasid_nested *nested;
	struct ioasid_device *idev;
	int ret;

	nested = kzalloc(sizeof(*nested), GFP_KERNEL_ACCOUNT);
	if (!nested)
		return -ENOMEM;
	ret = nested_get_fault_queue(nested, ctx, cmd);
	if (ret)
		goto err_free;
	nested->parent = ioasid_ioas_get(ctx, cmd->parent);
	if (IS_ERR(nested->parent)) {
		ret = PTR_ERR(nested->parent);
		goto err_queue;
	}
	mutex_lock(&ctx->devices_lock);
	idev = ioasid_ctx_find_device(ctx, cmd->dev_id);
	ret = idev ? nested_make_domain(nested, idev->dev, cmd) : -ENOENT;
	mutex_unlock(&ctx->devices_lock);
	if (ret)
		goto err_parent;
	nested_take_faults(nested);

	ret = ioasid_object_reserve(ctx, &nested->obj, IOASID_OBJ_NESTED);
	if (ret)
		goto err_nested;
	cmd->out_ioasid = nested->obj.id;
	ret = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret) {
		ioasid_object_abort(ctx, &nested->obj);
		goto err_nested;
	}
	ioasid_object_publish(ctx, &nested->obj);
	return 0;

err_nested:
	nested_free(nested);
	return ret;
err_parent:
	ioasid_ioas_put(nested->parent);
err_queue:
	if (nested->fault_queue)
		ioasid_fault_queue_put(nested->fault_queue);
err_free:
	kfree(nested);
	return ret;
}

/**
 * ioasid_nested_destroy() - free a nested IOASID, as its type's destroy op
 * @obj: its object, out of the fd's table and unused
 */
void ioasid_nested_destroy(struct ioasid_object *obj)
{
	nested_free(container_of(obj, struct ioasid_nested, obj));
}

/**
 * ioasid_dest_get() - look up what an attach names
 * @ctx: the context
 * @id: the id of a plain or a nested IOASID
 * @dest: set to the IOAS, and the nested IOASID if @id names one, held
 *        until ioasid_dest_put()
 *
 * Return: 0 or -ENOENT.
 */
int ioasid_dest_get(struct ioasid_ctx *ctx, u32 id, struct ioasid_dest *dest)
{
	struct ioasid_object *obj;

	obj = ioasid_object_get(ctx, id, IOASID_OBJ_IOAS);
	if (!IS_ERR(obj)) {
		dest->ioas = container_of(obj, struct ioasid_ioas, obj);
		dest->nested = NULL;
		return 0;
	}
	obj = ioasid_object_get(ctx, id, IOASID_OBJ_NESTED);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	dest->nested = container_of(obj, struct ioasid_nested, obj);
	/* The nested IOASID holds its parent. */
	dest->ioas = dest->nested->parent;
	return 0;
}

/**
 * ioasid_dest_put() - drop what ioasid_dest_get() holds
 * @dest: the destination
 */
void ioasid_dest_put(struct ioasid_dest *dest)
{
	ioasid_object_put(dest->nested ? &dest->nested->obj : &dest->ioas->obj);
}

int ioasid_invalidate_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_invalidate *cmd = ucmd->cmd;
	struct iommu_user_data_array array = {
		.uptr = u64_to_user_ptr(cmd->entries),
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
	};
	struct ioasid_nested *nested;
	struct ioasid_object *obj;
	struct nested_format format;
	int ret = 0, ret_respond;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->entry_num > NESTED_MAX_INVALIDATIONS)
		return -EINVAL;
	/* Entries are read as the ioctl convention reads structs. */
	if (cmd->entry_len > PAGE_SIZE)
		return -E2BIG;
	obj = ioasid_object_get(ucmd->ctx, cmd->ioasid, IOASID_OBJ_NESTED);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	nested = container_of(obj, struct ioasid_nested, obj);

	/* Checked when the nested IOASID was made. */
	nested_format(nested->format, &format);
	array.type = format.inv_type;
	if (!nested->domain->ops->cache_invalidate_user) {
		array.entry_num = 0;
		ret = -EOPNOTSUPP;
	} else if (array.entry_num) {
		ret = nested->domain->ops->cache_invalidate_user(nested->domain,
								  &array);
	}
	ioasid_object_put(obj);

	cmd->entry_num = array.entry_num;
	ret_respond = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	return ret ?: ret_respond;
}
