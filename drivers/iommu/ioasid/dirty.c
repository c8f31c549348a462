// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty tracking of an IOAS, for live migration: turning it on or off in
 * every page table of the IOAS at once (IOASID_OPTION_DIRTY_TRACKING),
 * keeping the tables that join in step, and reading which pages devices
 * wrote into a bitmap of the caller's (IOASID_DIRTY_READ).  The IOMMU
 * drivers keep the dirty state in their IOPTEs; the bitmap is written
 * through the kernel's iova_bitmap, which pins its pages as bits are set.
 *
 * The state is the IOAS's dirty_tracking, under its iova_rwsem: turning
 * it on or off and adding a table hold it for write, a read holds it for
 * read, so that no mapping comes or goes under the read.  Both quiesce
 * first (ioasid_ioas_quiesce()): no area claimed before is being mapped
 * or unmapped outside the lock while the tables' dirty state changes or
 * is read.
 */
#include <linux/iommu.h>
#include <linux/iova_bitmap.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "ioasid_private.h"

MODULE_IMPORT_NS(IOMMUFD);

#define DIRTY_READ_FLAGS	IOASID_DIRTY_READ_NO_CLEAR

/* Turns tracking on or off in one table; -EOPNOTSUPP when it cannot. */
static int dirty_set_table(struct ioasid_hwpt *hwpt, bool on)
{
	const struct iommu_dirty_ops *ops = hwpt->domain->dirty_ops;

	if (!ops)
		return on ? -EOPNOTSUPP : 0;
	return ops->set_dirty_tracking(hwpt->domain, on);
}

/*
 * Turns tracking on in every table, or in none: -EOPNOTSUPP when one of
 * them cannot track, or the first driver's error; the tables turned on
 * before it are turned off again.
 */
static int dirty_turn_on(struct ioasid_ioas *ioas)
{
	struct ioasid_hwpt *hwpt;
	int ret;

	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		ret = dirty_set_table(hwpt, true);
		if (ret)
			goto err_undo;
	}
	ioas->dirty_tracking = true;
	return 0;

err_undo:
	list_for_each_entry_continue_reverse(hwpt, &ioas->hwpts, node)
		dirty_set_table(hwpt, false);
	return ret;
}

/*
 * Turning tracking off cannot fail for the caller: a table whose driver
 * refuses goes on recording, which costs it a little and tells nobody.
 */
static void dirty_turn_off(struct ioasid_ioas *ioas)
{
	struct ioasid_hwpt *hwpt;

	list_for_each_entry(hwpt, &ioas->hwpts, node)
		dirty_set_table(hwpt, false);
	ioas->dirty_tracking = false;
}

/**
 * ioasid_dirty_prepare_table() - let a new table of an IOAS track as it does
 * @ioas: the IOAS, with iova_rwsem held for write
 * @hwpt: a table from ioasid_hwpt_create(), before any device uses it
 *
 * Return: 0; -EOPNOTSUPP when @ioas tracks and the table's IOMMU cannot,
 * or the driver's error.
 */
int ioasid_dirty_prepare_table(struct ioasid_ioas *ioas,
			       struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);
	if (!ioas->dirty_tracking)
		return 0;
	return dirty_set_table(hwpt, true);
}

/**
 * ioasid_dirty_option() - %IOASID_OPTION_DIRTY_TRACKING of an IOASID
 * @ucmd: the call, an IOASID_OPTION whose op is SET or GET
 *
 * Return: 0, or the errno of ioctl(IOASID_OPTION).
 */
int ioasid_dirty_option(struct ioasid_ucmd *ucmd)
{
	struct ioasid_option *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	int ret = 0;

	if (cmd->op == IOASID_OPTION_SET && cmd->value > 1)
		return -EINVAL;
	ioas = ioasid_ioas_get(ucmd->ctx, cmd->object_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	down_write(&ioas->iova_rwsem);
	ioasid_ioas_quiesce(ioas);
	if (cmd->op == IOASID_OPTION_GET)
		cmd->value = ioas->dirty_tracking;
	else if (cmd->value && !ioas->dirty_tracking)
		ret = dirty_turn_on(ioas);
	else if (!cmd->value && ioas->dirty_tracking)
		dirty_turn_off(ioas);
	up_write(&ioas->iova_rwsem);
	if (!ret && cmd->op == IOASID_OPTION_GET)
		ret = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	ioasid_ioas_put(ioas);
	return ret;
}

/*
 * Checks a range, page size and bitmap against the rules of struct
 * ioasid_dirty_read.
 */
static int dirty_check_range(struct ioasid_ioas *ioas, u64 iova, u64 length,
			     u64 page_size, u64 uptr)
{
	u64 last;

	if (!is_power_of_2(page_size) ||
	    page_size < ioasid_ioas_iova_alignment(ioas) || !length ||
	    !IS_ALIGNED(iova, page_size) || !IS_ALIGNED(length, page_size) ||
	    !IS_ALIGNED(uptr, sizeof(u64)))
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	return 0;
}

/*
 * The bitmap is written only where pages are dirty, when their dirty state
 * is being cleared: fault all of it in for writing first, leaving what it
 * holds as it is, so that a bitmap the caller cannot write fails the call
 * before anything is read or cleared.
 */
static int dirty_fault_in_bitmap(u64 length, u64 page_size, u64 uptr)
{
	u64 bits = length / page_size;

	if (fault_in_safe_writeable(u64_to_user_ptr(uptr),
				    DIV_ROUND_UP(bits, 64) * sizeof(u64)))
		return -EFAULT;
	return 0;
}

/**
 * ioasid_dirty_bitmap_get() - the caller's bitmap for a range of an IOAS
 * @ioas: the IOAS
 * @iova: the range's first IOVA
 * @length: its length
 * @page_size: the bytes a bit stands for
 * @uptr: the bitmap, in the caller's memory
 *
 * Checks what struct ioasid_dirty_read says of its fields and faults the
 * bitmap in; iova_bitmap_free() frees what this returns.
 *
 * Return: the bitmap, or an ERR_PTR: -EINVAL, -EOVERFLOW or -EFAULT as
 * for %IOASID_DIRTY_READ, or -ENOMEM.
 */
struct iova_bitmap *ioasid_dirty_bitmap_get(struct ioasid_ioas *ioas, u64 iova,
					    u64 length, u64 page_size,
					    u64 uptr)
{
	int ret;

	ret = dirty_check_range(ioas, iova, length, page_size, uptr);
	if (!ret)
		ret = dirty_fault_in_bitmap(length, page_size, uptr);
	if (ret)
		return ERR_PTR(ret);
	return iova_bitmap_alloc(iova, length, page_size,
				 u64_to_user_ptr(uptr));
}

/**
 * struct dirty_read - a read of the dirty state
 * @ioas: the IOAS, with iova_rwsem held
 * @flags: IOMMU_DIRTY_NO_CLEAR or 0
 */
struct dirty_read {
	struct ioasid_ioas *ioas;
	unsigned long flags;
};

/*
 * Records the dirty pages of [@iova, @iova + @length) of every table in the
 * bitmap; clearing them flushes the IOTLB, so that the next write marks
 * its IOPTE again.
 */
static int dirty_read_range(struct iova_bitmap *bitmap, unsigned long iova,
			    size_t length, void *opaque)
{
	struct dirty_read *read = opaque;
	struct iommu_iotlb_gather gather;
	struct iommu_dirty_bitmap dirty;
	struct ioasid_hwpt *hwpt;
	int ret;

	if (fatal_signal_pending(current))
		return -EINTR;
	list_for_each_entry(hwpt, &read->ioas->hwpts, node) {
		iommu_dirty_bitmap_init(&dirty, bitmap, &gather);
		ret = hwpt->domain->dirty_ops->read_and_clear_dirty(hwpt->domain,
				iova, length, read->flags, &dirty);
		if (!(read->flags & IOMMU_DIRTY_NO_CLEAR))
			iommu_iotlb_sync(hwpt->domain, &gather);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

/**
 * ioasid_dirty_record() - report the dirty pages of an IOAS in a bitmap
 * @ioas: the IOAS, with iova_rwsem held
 * @bitmap: from ioasid_dirty_bitmap_get(), for the range to read
 * @clear: clear the dirty state of what is reported
 *
 * Return: 0; -EINVAL when @ioas does not track; -EFAULT when the bitmap
 * could not be written after all; -EINTR when the caller was killed; or
 * the IOMMU driver's error.
 */
int ioasid_dirty_record(struct ioasid_ioas *ioas, struct iova_bitmap *bitmap,
			bool clear)
{
	struct dirty_read read = {
		.ioas = ioas,
		.flags = clear ? 0 : IOMMU_DIRTY_NO_CLEAR,
	};

	lockdep_assert_held(&ioas->iova_rwsem);
	if (!ioas->dirty_tracking)
		return -EINVAL;
	ioasid_ioas_quiesce(ioas);
	return iova_bitmap_for_each(bitmap, &read, dirty_read_range);
}

int ioasid_dirty_read_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_dirty_read *cmd = ucmd->cmd;
	struct iova_bitmap *bitmap;
	struct ioasid_ioas *ioas;
	int ret;

	if (cmd->flags & ~DIRTY_READ_FLAGS || cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = ioasid_ioas_get(ucmd->ctx, cmd->ioasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	bitmap = ioasid_dirty_bitmap_get(ioas, cmd->iova, cmd->length,
					 cmd->page_size, cmd->bitmap);
	if (IS_ERR(bitmap)) {
		ret = PTR_ERR(bitmap);
		goto out_put;
	}
	down_read(&ioas->iova_rwsem);
	ret = ioasid_dirty_record(ioas, bitmap,
				  !(cmd->flags & IOASID_DIRTY_READ_NO_CLEAR));
	up_read(&ioas->iova_rwsem);
	iova_bitmap_free(bitmap);
out_put:
	ioasid_ioas_put(ioas);
	return ret;
}
