// SPDX-License-Identifier: GPL-2.0-only
/*
 * What /proc/PID/fdinfo shows of an open /dev/ioasid: the context, its
 * IOASIDs with their mappings, pins and page tables, and the devices
 * bound with what they are attached to.  The lines are part of the uAPI,
 * documented in Documentation/userspace-api/ioasid.rst: keys are only
 * ever added, and so are key=value tokens at the end of a line.
 */
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>

#include "ioasid_private.h"

/*
 * Serialises the walks that count an IOAS's distinct pinned ranges, which
 * mark each range they count (ioasid_pages.counted) and clear the marks
 * before they end.  Taken with no lock of ours held, and above iova_rwsem.
 */
static DEFINE_MUTEX(fdinfo_count_lock);

struct fdinfo_ioas_counts {
	unsigned long mappings;
	unsigned long mapped;
	unsigned long pinned;
};

/*
 * Counts @ioas's mappings and the pages they map, and the pages of the
 * distinct pinned ranges they hold: a range that COPY shared between two
 * mappings of @ioas counts once.
 */
static void fdinfo_count_areas(struct ioasid_ioas *ioas,
			       struct fdinfo_ioas_counts *counts)
{
	struct ioasid_area *area;

	lockdep_assert_held(&ioas->iova_rwsem);
	lockdep_assert_held(&fdinfo_count_lock);
	for (area = ioasid_area_first(ioas, 0, ULONG_MAX); area;
	     area = ioasid_area_next(area, 0, ULONG_MAX)) {
		struct ioasid_pages *pages;

		/* A mapping being made or removed holds what it will. */
		if (!ioasid_area_live(area))
			continue;
		pages = ioasid_area_pages(area);
		counts->mappings++;
		counts->mapped += ioasid_area_npages(area);
		if (!pages) {
			/* A page of its own, which nothing shares. */
			counts->pinned += ioasid_area_npages(area);
		} else if (!pages->counted) {
			pages->counted = true;
			counts->pinned += pages->npages;
		}
		cond_resched();
	}
	for (area = ioasid_area_first(ioas, 0, ULONG_MAX); area;
	     area = ioasid_area_next(area, 0, ULONG_MAX)) {
		struct ioasid_pages *pages;

		if (!ioasid_area_live(area))
			continue;
		pages = ioasid_area_pages(area);
		if (pages)
			pages->counted = false;
	}
}

static unsigned long fdinfo_count_accesses(struct ioasid_ioas *ioas)
{
	struct ioasid_access *access;
	unsigned long index, n = 0;

	xa_lock(&ioas->accesses);
	xa_for_each(&ioas->accesses, index, access)
		n++;
	xa_unlock(&ioas->accesses);
	return n;
}

static void fdinfo_show_ioas(struct seq_file *m, struct ioasid_ioas *ioas)
{
	struct fdinfo_ioas_counts counts = {};
	struct ioasid_hwpt *hwpt;
	unsigned int tables = 0;

	mutex_lock(&fdinfo_count_lock);
	down_read(&ioas->iova_rwsem);
	fdinfo_count_areas(ioas, &counts);
	list_for_each_entry(hwpt, &ioas->hwpts, node)
		tables++;
	seq_printf(m, "ioasid-ioas:\t%u mappings=%lu mapped-bytes=%llu pinned-bytes=%llu iova-alignment=%lu tables=%u accesses=%lu\n",
		   ioas->obj.id, counts.mappings,
		   (u64)counts.mapped << PAGE_SHIFT,
		   (u64)counts.pinned << PAGE_SHIFT,
		   ioasid_ioas_iova_alignment(ioas), tables,
		   fdinfo_count_accesses(ioas));
	list_for_each_entry(hwpt, &ioas->hwpts, node)
		seq_printf(m, "ioasid-table:\t%u ioas=%u devices=%u coherent=%d\n",
			   hwpt->id, ioas->obj.id, hwpt->users - hwpt->nests,
			   hwpt->coherent);
	up_read(&ioas->iova_rwsem);
	mutex_unlock(&fdinfo_count_lock);
}

/*
 * Holds no reference on the IOASes, which would make a destroy racing the
 * read fail with EBUSY: views_rwsem keeps them.
 */
static void fdinfo_show_ioases(struct seq_file *m, struct ioasid_ctx *ctx)
{
	struct ioasid_object *obj;
	unsigned long id;

	down_read(&ctx->views_rwsem);
	xa_for_each(&ctx->objects, id, obj)
		if (obj->type == IOASID_OBJ_IOAS)
			fdinfo_show_ioas(m, container_of(obj, struct ioasid_ioas,
							 obj));
	/* What a nested IOASID names is fixed when it is made. */
	xa_for_each(&ctx->objects, id, obj) {
		struct ioasid_nested *nested;

		if (obj->type != IOASID_OBJ_NESTED)
			continue;
		nested = container_of(obj, struct ioasid_nested, obj);
		seq_printf(m, "ioasid-nested:\t%u parent=%u table=%u format=%u\n",
			   obj->id, nested->parent->obj.id, nested->hwpt->id,
			   nested->format);
	}
	up_read(&ctx->views_rwsem);
}

/* The attachments of @idev, under its group's lock. */
static void fdinfo_show_device(struct seq_file *m, struct ioasid_device *idev)
{
	struct ioasid_attach *rid = &idev->igroup->rid;
	struct ioasid_attach *att;
	unsigned long pasid;

	mutex_lock(&idev->igroup->lock);
	seq_printf(m, "ioasid-device:\t%s dma-owner=%d", dev_name(idev->dev),
		   idev->owner);
	if (idev->attached && rid->ioas)
		seq_printf(m, " ioas=%u table=%u", ioasid_attach_ioasid(rid),
			   rid->hwpt->id);
	seq_printf(m, " id=%u\n", idev->id);
	xa_for_each(&idev->pasids, pasid, att) {
		if (!att->ioas)
			continue;
		seq_printf(m, "ioasid-pasid:\t%s pasid=%lu ioas=%u table=%u\n",
			   dev_name(idev->dev), pasid, ioasid_attach_ioasid(att),
			   att->hwpt->id);
	}
	mutex_unlock(&idev->igroup->lock);
}

/**
 * ioasid_fops_show_fdinfo() - show a context in its fd's fdinfo
 * @m: the fdinfo file
 * @file: an open /dev/ioasid
 */
void ioasid_fops_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct ioasid_ctx *ctx = file->private_data;
	struct ioasid_device *idev;

	seq_printf(m, "ioasid-context:\t%u\n", ctx->id);
	seq_printf(m, "ioasid-accounting:\t%s\n",
		   ioasid_ctx_accounting(ctx) == IOASID_ACCOUNT_PROCESS ?
		   "process" : "user");
	seq_printf(m, "ioasid-pinned-bytes:\t%llu\n",
		   (u64)ioasid_ctx_pinned_pages(ctx) << PAGE_SHIFT);
	fdinfo_show_ioases(m, ctx);

	mutex_lock(&ctx->devices_lock);
	list_for_each_entry(idev, &ctx->devices, ctx_node)
		fdinfo_show_device(m, idev);
	mutex_unlock(&ctx->devices_lock);
}
