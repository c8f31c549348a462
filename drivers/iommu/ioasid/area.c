// SPDX-License-Identifier: GPL-2.0-only
/*
 * The areas of an IOAS: each mapping is an area in the IOAS's interval
 * tree that refers to a window of pinned pages.  This file owns the tree:
 * placing a new area at a fixed or a free IOVA and inserting it, finding
 * the areas in a range, removing a range (never splitting an area) and
 * finding the pages behind a range.  Getting an area's frames into the
 * page tables and out again is frames.c's; the ioctls are map.c's.
 *
 * Lookups, inserts and removals are O(log n) in the areas, and each takes
 * the IOAS's iova_rwsem for write.  Removing many areas at once gives the
 * CPU up after each, and the pages are let go of after the lock is
 * dropped, as unpinning may take long.
 */
#include <linux/interval_tree.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "ioasid_private.h"

static struct ioasid_area *area_from_node(struct interval_tree_node *node)
{
	return node ? container_of(node, struct ioasid_area, node) : NULL;
}

/**
 * ioasid_area_first() - the first area that intersects a range
 * @ioas: the IOAS, with iova_rwsem held
 * @start: the range's first IOVA
 * @last: its last IOVA
 *
 * Return: the area with the lowest IOVA in [@start, @last], or NULL.
 */
struct ioasid_area *ioasid_area_first(struct ioasid_ioas *ioas,
				      unsigned long start, unsigned long last)
{
	return area_from_node(interval_tree_iter_first(&ioas->areas, start,
						       last));
}

/**
 * ioasid_area_next() - the next area that intersects a range
 * @area: an area that intersects it
 * @start: the range's first IOVA
 * @last: its last IOVA
 *
 * Return: the area after @area in [@start, @last], or NULL.
 */
struct ioasid_area *ioasid_area_next(struct ioasid_area *area,
				     unsigned long start, unsigned long last)
{
	return area_from_node(interval_tree_iter_next(&area->node, start,
						      last));
}

/**
 * ioasid_area_check_free() - whether a mapping may go at a fixed IOVA
 * @ioas: the IOAS, with iova_rwsem held
 * @iova: the first IOVA
 * @length: bytes, not wrapping
 *
 * Return: 0, -EADDRNOTAVAIL when the range is not all allowed or meets a
 * reserved one, or -EADDRINUSE when a mapping is there.
 */
int ioasid_area_check_free(struct ioasid_ioas *ioas, unsigned long iova,
			   unsigned long length)
{
	unsigned long last = iova + length - 1;

	if (!ioasid_iova_set_contains(&ioas->allowed, iova, last) ||
	    interval_tree_iter_first(&ioas->reserved, iova, last))
		return -EADDRNOTAVAIL;
	if (ioasid_area_first(ioas, iova, last))
		return -EADDRINUSE;
	return 0;
}

/**
 * ioasid_area_insert() - map a window of pinned pages into an IOAS
 * @ioas: the IOAS
 * @pages: the pages, of which the caller holds a reference
 * @pgoff: the index in @pages of the window's first page
 * @npages: pages in the window
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @where: where the area goes; the IOVA chosen is written back
 *
 * The new area is in every page table of @ioas when this returns, the
 * accesses that mirror mappings have been told of it, and it takes over
 * the caller's reference on @pages.
 *
 * Return: 0; -EADDRNOTAVAIL or -EADDRINUSE for a fixed IOVA that is not
 * allowed or is mapped already, -ENOSPC when no free IOVA fits, or the
 * page tables' error.  On error the caller keeps its reference.
 */
int ioasid_area_insert(struct ioasid_ioas *ioas, struct ioasid_pages *pages,
		       unsigned long pgoff, unsigned long npages, int prot,
		       struct ioasid_placement *where)
{
	unsigned long length = npages << PAGE_SHIFT;
	struct ioasid_area *area;
	int ret;

	area = kzalloc(sizeof(*area), GFP_KERNEL_ACCOUNT);
	if (!area)
		return -ENOMEM;

	down_write(&ioas->iova_rwsem);
	if (where->fixed)
		ret = ioasid_area_check_free(ioas, where->iova, length);
	else
		ret = ioasid_iova_find_free(&ioas->allowed, &ioas->reserved,
					    &ioas->areas, length, where->align,
					    &where->iova);
	if (ret)
		goto out_unlock;

	area->node.start = where->iova;
	area->node.last = where->iova + length - 1;
	area->pages = pages;
	area->pgoff = pgoff;
	area->prot = prot;
	interval_tree_insert(&area->node, &ioas->areas);
	ret = ioasid_area_fill_tables(ioas, area);
	if (ret) {
		interval_tree_remove(&area->node, &ioas->areas);
		goto out_unlock;
	}
	area = NULL;
out_unlock:
	up_write(&ioas->iova_rwsem);
	kfree(area);
	if (!ret)
		ioasid_ioas_notify_map(ioas, where->iova,
				       where->iova + length - 1);
	return ret;
}

/* Unpinning may take long: it runs once the IOAS lock is dropped. */
static void area_free_list(struct ioasid_area *list)
{
	while (list) {
		struct ioasid_area *area = list;

		list = area->next_free;
		ioasid_pages_put(area->pages);
		kfree(area);
		cond_resched();
	}
}

/* Marks the areas of @list as being unmapped, or no longer. */
static void area_mark_unmapping(struct ioasid_area *list, bool unmapping)
{
	for (; list; list = list->next_free)
		list->unmapping = unmapping;
}

/*
 * Removes the areas inside [@start, @last], or none: -ERANGE when one
 * reaches outside, -EBUSY when an access holds pages of one pinned, or
 * the error of reading the dirty pages into @dirty first.  On -EBUSY the
 * areas are marked as being unmapped when @first, so that no access pins
 * them again while its driver is asked to unpin, and no longer otherwise.
 */
static int area_remove_unpinned(struct ioasid_ioas *ioas, unsigned long start,
				unsigned long last, unsigned long *removed,
				struct iova_bitmap *dirty, bool first)
{
	struct ioasid_area *area, *found = NULL;
	unsigned long bytes = 0;
	int ret = 0;

	down_write(&ioas->iova_rwsem);
	for (area = ioasid_area_first(ioas, start, last); area;
	     area = ioasid_area_next(area, start, last)) {
		if (area->node.start < start || area->node.last > last) {
			up_write(&ioas->iova_rwsem);
			return -ERANGE;
		}
		if (atomic_long_read(&area->access_pins))
			ret = -EBUSY;
		area->next_free = found;
		found = area;
		cond_resched();
	}
	if (!ret && dirty)
		ret = ioasid_dirty_record(ioas, dirty, true);
	if (ret) {
		area_mark_unmapping(found, ret == -EBUSY && first);
		up_write(&ioas->iova_rwsem);
		return ret;
	}
	for (area = found; area; area = area->next_free) {
		ioasid_area_unfill_tables(ioas, area);
		interval_tree_remove(&area->node, &ioas->areas);
		bytes += ioasid_area_npages(area) << PAGE_SHIFT;
		cond_resched();
	}
	up_write(&ioas->iova_rwsem);

	area_free_list(found);
	*removed = bytes;
	return 0;
}

/**
 * ioasid_area_remove_range() - remove the areas inside a range
 * @ioas: the IOAS
 * @start: the range's first IOVA
 * @last: its last IOVA
 * @removed: set to the bytes removed on success
 * @dirty: a bitmap from ioasid_dirty_bitmap_get() for the range, into
 *         which the dirty pages of the range are read and cleared under
 *         the lock of the removal, just before it; or NULL
 *
 * Areas are never split: when one of them reaches outside the range, none
 * is removed.  The areas are found in one walk of the tree, then removed
 * by pointer.  When accesses hold pages of them pinned, their drivers are
 * asked to unpin the range, once, and the removal is tried again; no
 * access can pin the areas meanwhile.
 *
 * Return: 0, -ERANGE when an area reaches outside [@start, @last],
 * -EBUSY when an access kept pages of one pinned, or the error of
 * ioasid_dirty_record(); then none is removed.
 */
int ioasid_area_remove_range(struct ioasid_ioas *ioas, unsigned long start,
			     unsigned long last, unsigned long *removed,
			     struct iova_bitmap *dirty)
{
	int ret = area_remove_unpinned(ioas, start, last, removed, dirty, true);

	if (ret != -EBUSY)
		return ret;
	ioasid_ioas_notify_unmap(ioas, start, last);
	return area_remove_unpinned(ioas, start, last, removed, dirty, false);
}

/**
 * ioasid_ioas_unmap_all() - remove every mapping of an IOAS
 * @ioas: the IOAS
 */
void ioasid_ioas_unmap_all(struct ioasid_ioas *ioas)
{
	unsigned long removed;

	ioasid_area_remove_range(ioas, 0, ULONG_MAX, &removed, NULL);
}

/**
 * ioasid_ioas_mappings_within() - whether every mapping lies in a set
 * @ioas: the IOAS, with iova_rwsem held
 * @set: a set of IOVA ranges
 *
 * Return: true when no mapping of @ioas reaches outside @set.
 */
bool ioasid_ioas_mappings_within(struct ioasid_ioas *ioas,
				 struct rb_root_cached *set)
{
	struct ioasid_area *area;

	lockdep_assert_held(&ioas->iova_rwsem);
	for (area = ioasid_area_first(ioas, 0, ULONG_MAX); area;
	     area = ioasid_area_next(area, 0, ULONG_MAX)) {
		if (!ioasid_iova_set_contains(set, area->node.start,
					      area->node.last))
			return false;
		cond_resched();
	}
	return true;
}

/**
 * ioasid_area_get_range_pages() - the pages behind a range of one area
 * @ioas: the IOAS
 * @iova: the range's first IOVA
 * @length: its length, at least one byte
 * @pgoff: set to the index in the pages of the page at @iova
 *
 * Return: the pages, with a reference for the caller, or an ERR_PTR:
 * -EOVERFLOW when the range wraps, -ENOENT when no single area holds it
 * whole, -ENOMEM when its frames could not be handed out.
 */
struct ioasid_pages *ioasid_area_get_range_pages(struct ioasid_ioas *ioas,
						 u64 iova, u64 length,
						 unsigned long *pgoff)
{
	struct ioasid_pages *pages = ERR_PTR(-ENOENT);
	struct ioasid_area *area;
	u64 last;

	if (check_add_overflow(iova, length - 1, &last))
		return ERR_PTR(-EOVERFLOW);

	down_write(&ioas->iova_rwsem);
	area = ioasid_area_first(ioas, iova, last);
	if (!area || area->node.start > iova || area->node.last < last)
		goto out_unlock;
	pages = ioasid_area_get_pages(ioas, area);
	if (!IS_ERR(pages))
		*pgoff = area->pgoff +
			 ((iova - area->node.start) >> PAGE_SHIFT);
out_unlock:
	up_write(&ioas->iova_rwsem);
	return pages;
}
