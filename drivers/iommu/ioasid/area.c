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
 *
 * Claims.  Mapping an area into the tables and unmapping it, IOTLB sync
 * included, are most of what a small MAP and UNMAP cost, and the IOMMU
 * can do them for several threads at once.  So, when frames.c allows it,
 * a MAP inserts its area FILLING and an UNMAP marks its areas
 * UNFILLING, under iova_rwsem held for write; each takes the IOAS's
 * fill_rwsem for read, drops iova_rwsem, does the IOMMU's part, and
 * makes the area LIVE or GONE with a release.  An UNMAP, and a failed
 * MAP, then take iova_rwsem for write again to take their GONE areas
 * out of the tree.  Meanwhile:
 *
 *  - the claimed IOVAs are in the tree, and a MAP at a free IOVA goes
 *    elsewhere;
 *  - an UNMAP, a COPY from, or a MAP at a fixed IOVA into a range with a
 *    busy area does not use it half built or half gone: it settles the
 *    range first (area_settle()), waiting for the fills and unfills in
 *    flight to end, and taking GONE areas out of the tree.  An UNMAP
 *    that meets a mapping under construction thus waits for its MAP and
 *    unmaps it, or finds nothing there when the MAP failed; a fixed MAP
 *    that meets it fails with -EADDRINUSE once it is made; either that
 *    meets a range being unmapped finds it free afterwards.  Each call
 *    sees the others' whole, as if they had run one after the other;
 *  - accesses treat busy areas as not mapped (access.c), and whatever
 *    changes the set of tables or reads their dirty bits quiesces first
 *    (ioasid_ioas_quiesce()).
 */
#include <linux/interval_tree.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "ioasid_private.h"

/*
 * An area per mapping: a cache of their own wastes none of the 8 bytes
 * that kmalloc-96 would.
 */
static struct kmem_cache *area_cache;
static_assert(sizeof(struct ioasid_area) <= 88);

/**
 * ioasid_area_cache_init() - make the cache areas are allocated from
 *
 * Return: 0, or -ENOMEM.
 */
int ioasid_area_cache_init(void)
{
	area_cache = KMEM_CACHE(ioasid_area, SLAB_ACCOUNT);
	return area_cache ? 0 : -ENOMEM;
}

/**
 * ioasid_area_cache_exit() - destroy the cache, once no area is left
 */
void ioasid_area_cache_exit(void)
{
	kmem_cache_destroy(area_cache);
}

/*
 * Areas never overlap, so the tree's order by first IOVA is its order by
 * last IOVA too, and the areas that meet a range follow one another.  The
 * first of them is found by a plain search of the tree, which reads one
 * node per level where the interval tree's own search reads each node's
 * left child as well, and the next is the in-order successor: on an IOAS
 * of a million mappings, each read a cache and TLB miss.  The tree stays
 * an interval tree, which insert and remove keep, for the free-IOVA
 * search of iova.c.
 */
static struct ioasid_area *area_from_rb(struct rb_node *rb)
{
	return rb ? container_of(rb, struct ioasid_area, node.rb) : NULL;
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
	struct rb_node *rb = ioas->areas.rb_root.rb_node;
	struct ioasid_area *found = NULL;

	/* The first area that ends at @start or after. */
	while (rb) {
		struct ioasid_area *area = area_from_rb(rb);

		if (area->node.last < start) {
			rb = rb->rb_right;
		} else {
			found = area;
			rb = rb->rb_left;
		}
	}
	return found && found->node.start <= last ? found : NULL;
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
	struct ioasid_area *next;

	/* None follows an area that reaches @last. */
	if (area->node.last >= last)
		return NULL;
	next = area_from_rb(rb_next(&area->node.rb));
	return next && next->node.start <= last ? next : NULL;
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

/* Whether a busy area intersects [@start, @last]. */
static bool area_range_busy(struct ioasid_ioas *ioas, unsigned long start,
			    unsigned long last)
{
	struct ioasid_area *area;

	for (area = ioasid_area_first(ioas, start, last); area;
	     area = ioasid_area_next(area, start, last))
		if (!ioasid_area_live(area))
			return true;
	return false;
}

/*
 * Leaves only LIVE areas in [@start, @last]: waits for the fills and
 * unfills in flight to end, then takes the GONE areas of the range out
 * of the tree, marking them REAPED for their claimers, which free them.
 */
static void area_settle(struct ioasid_ioas *ioas, unsigned long start,
			unsigned long last)
{
	struct ioasid_area *area, *next;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	ioasid_ioas_quiesce(ioas);
	for (area = ioasid_area_first(ioas, start, last); area; area = next) {
		next = ioasid_area_next(area, start, last);
		if (ioasid_area_live(area))
			continue;
		WARN_ON_ONCE(area->state != IOASID_AREA_GONE);
		interval_tree_remove(&area->node, &ioas->areas);
		area->state = IOASID_AREA_REAPED;
		cond_resched();
	}
}

/* Takes the claimer's GONE area out of the tree, unless it was reaped. */
static void area_unclaim(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);
	if (area->state != IOASID_AREA_REAPED)
		interval_tree_remove(&area->node, &ioas->areas);
}

/*
 * Places a new area of @length bytes as @where asks, settling what is in
 * the way when that is busy: -EADDRNOTAVAIL, -EADDRINUSE or -ENOSPC.
 */
static int area_place(struct ioasid_ioas *ioas, unsigned long length,
		      struct ioasid_placement *where)
{
	unsigned long last = where->iova + length - 1;
	int ret;

	if (where->fixed) {
		ret = ioasid_area_check_free(ioas, where->iova, length);
		if (ret == -EADDRINUSE && area_range_busy(ioas, where->iova,
							  last)) {
			area_settle(ioas, where->iova, last);
			ret = ioasid_area_check_free(ioas, where->iova, length);
		}
		return ret;
	}
	ret = ioasid_iova_find_free(&ioas->allowed, &ioas->reserved,
				    &ioas->areas, length, where->align,
				    &where->iova);
	if (ret == -ENOSPC) {
		area_settle(ioas, 0, ULONG_MAX);
		ret = ioasid_iova_find_free(&ioas->allowed, &ioas->reserved,
					    &ioas->areas, length, where->align,
					    &where->iova);
	}
	return ret;
}

/*
 * Fills @area, claimed FILLING, outside iova_rwsem, which the caller
 * holds for write and this drops; with @pin_ctx, pins its memory from
 * @uaddr first.  Returns 0 with the area LIVE, or the error of pinning or
 * of the tables with the area out of the tree.
 */
static int area_fill_claimed(struct ioasid_ioas *ioas, struct ioasid_area *area,
			     struct ioasid_ctx *pin_ctx, unsigned long uaddr)
{
	int ret;

	down_read(&ioas->fill_rwsem);
	up_write(&ioas->iova_rwsem);
	if (pin_ctx)
		ret = ioasid_area_pin_fill(ioas, area, pin_ctx, uaddr);
	else
		ret = ioasid_area_fill_claimed(ioas, area);
	/* Pairs with ioasid_area_live(): the tables are filled before. */
	smp_store_release(&area->state,
			  ret ? IOASID_AREA_GONE : IOASID_AREA_LIVE);
	up_read(&ioas->fill_rwsem);
	if (ret) {
		down_write(&ioas->iova_rwsem);
		area_unclaim(ioas, area);
		up_write(&ioas->iova_rwsem);
	}
	return ret;
}

/*
 * Places @area, whose prot is set, as @where asks, and fills it: see
 * ioasid_area_insert().  Its frames are set, or with @pin_ctx, pinned
 * from @uaddr and charged to @pin_ctx once the area is claimed, which it
 * then always is.  On error the area is in no tree, holds nothing, and
 * the caller frees it.
 */
static int area_add(struct ioasid_ioas *ioas, struct ioasid_area *area,
		    unsigned long length, struct ioasid_placement *where,
		    struct ioasid_ctx *pin_ctx, unsigned long uaddr)
{
	int ret;

	down_write(&ioas->iova_rwsem);
	ret = area_place(ioas, length, where);
	if (ret)
		goto out_unlock;

	area->node.start = where->iova;
	area->node.last = where->iova + length - 1;
	if (pin_ctx || ioasid_area_fills_unlocked(ioas, area)) {
		area->state = IOASID_AREA_FILLING;
		interval_tree_insert(&area->node, &ioas->areas);
		ret = area_fill_claimed(ioas, area, pin_ctx, uaddr);
		goto out_notify;
	}
	interval_tree_insert(&area->node, &ioas->areas);
	ret = ioasid_area_fill_tables(ioas, area);
	if (ret)
		interval_tree_remove(&area->node, &ioas->areas);
out_unlock:
	up_write(&ioas->iova_rwsem);
out_notify:
	if (!ret)
		ioasid_ioas_notify_map(ioas, where->iova,
				       where->iova + length - 1);
	return ret;
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
 * the caller's reference on @pages.  Its IOVAs are claimed first; it is
 * filled outside iova_rwsem when frames.c allows (see Claims above).
 *
 * Return: 0; -EADDRNOTAVAIL or -EADDRINUSE for a fixed IOVA that is not
 * allowed or is mapped already, -ENOSPC when no free IOVA fits, or the
 * page tables' error.  On error the caller keeps its reference.
 */
int ioasid_area_insert(struct ioasid_ioas *ioas, struct ioasid_pages *pages,
		       unsigned long pgoff, unsigned long npages, int prot,
		       struct ioasid_placement *where)
{
	struct ioasid_area *area;
	int ret;

	area = kmem_cache_zalloc(area_cache, GFP_KERNEL);
	if (!area)
		return -ENOMEM;
	area->pages = pages;
	area->pgoff = pgoff;
	area->prot = prot;
	ret = area_add(ioas, area, npages << PAGE_SHIFT, where, NULL, 0);
	if (ret)
		kmem_cache_free(area_cache, area);
	return ret;
}

/**
 * ioasid_area_insert_user() - pin user memory and map it into an IOAS
 * @ioas: the IOAS
 * @ctx: the context whose account the pins are charged to
 * @uaddr: the memory's first byte, page aligned
 * @npages: pages to map, at least one
 * @prot: IOMMU_READ and/or IOMMU_WRITE; the pages are pinned for write
 *        with IOMMU_WRITE
 * @where: where the area goes; the IOVA chosen is written back
 *
 * As ioasid_area_insert(), for memory that no mapping holds yet.  The
 * area is placed and claimed first, then frames.c pins the memory in the
 * way it will keep its frames, filling the tables as it goes.
 *
 * Return: as ioasid_area_insert(), then the errors of charging and
 * pinning.  On error nothing stays pinned or charged.
 */
int ioasid_area_insert_user(struct ioasid_ioas *ioas, struct ioasid_ctx *ctx,
			    unsigned long uaddr, unsigned long npages,
			    int prot, struct ioasid_placement *where)
{
	struct ioasid_area *area;
	int ret;

	area = kmem_cache_zalloc(area_cache, GFP_KERNEL);
	if (!area)
		return -ENOMEM;
	area->prot = prot;
	ret = area_add(ioas, area, npages << PAGE_SHIFT, where, ctx, uaddr);
	if (ret)
		kmem_cache_free(area_cache, area);
	return ret;
}

/* Unpinning may take long: it runs once the IOAS lock is dropped. */
static void area_free_list(struct ioasid_area *list)
{
	while (list) {
		struct ioasid_area *area = list;

		list = area->next_free;
		ioasid_area_put_frames(area);
		kmem_cache_free(area_cache, area);
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
 * Unmaps the areas of @list, claimed UNFILLING, outside iova_rwsem, which
 * the caller holds for write and this drops, then takes them out of the
 * tree.
 */
static void area_unfill_claimed(struct ioasid_ioas *ioas,
				struct ioasid_area *list)
{
	struct ioasid_area *area;

	down_read(&ioas->fill_rwsem);
	up_write(&ioas->iova_rwsem);
	for (area = list; area; area = area->next_free) {
		ioasid_area_unfill_claimed(ioas, area);
		/* Pairs with ioasid_area_live(), as in area_fill_claimed(). */
		smp_store_release(&area->state, IOASID_AREA_GONE);
		cond_resched();
	}
	up_read(&ioas->fill_rwsem);

	down_write(&ioas->iova_rwsem);
	for (area = list; area; area = area->next_free) {
		area_unclaim(ioas, area);
		cond_resched();
	}
	up_write(&ioas->iova_rwsem);
}

/*
 * The areas inside [@start, @last], linked by @next_free, into @found,
 * once the range is settled: -ERANGE when one reaches outside, -EBUSY
 * when an access holds pages of one pinned.  Sets @unlocked when every
 * one of them may be unfilled outside iova_rwsem.
 */
static int area_find_range(struct ioasid_ioas *ioas, unsigned long start,
			   unsigned long last, struct ioasid_area **found,
			   bool *unlocked)
{
	struct ioasid_area *area;
	bool settled = false;
	int ret;

again:
	*found = NULL;
	*unlocked = true;
	ret = 0;
	for (area = ioasid_area_first(ioas, start, last); area;
	     area = ioasid_area_next(area, start, last)) {
		if (!ioasid_area_live(area) && !settled) {
			area_settle(ioas, start, last);
			settled = true;
			goto again;
		}
		if (area->node.start < start || area->node.last > last)
			return -ERANGE;
		if (atomic_long_read(&area->access_pins))
			ret = -EBUSY;
		if (!ioasid_area_unfills_unlocked(ioas, area))
			*unlocked = false;
		area->next_free = *found;
		*found = area;
		cond_resched();
	}
	return ret;
}

/*
 * Removes the areas inside [@start, @last], or none: -ERANGE when one
 * reaches outside, -EBUSY when an access holds pages of one pinned, or
 * the error of reading the dirty pages into @dirty first.  On -EBUSY the
 * areas are marked as being unmapped when @first, so that no access pins
 * them again while its driver is asked to unpin, and no longer otherwise.
 * Areas that keep their runs are unmapped from the tables outside
 * iova_rwsem (see Claims above); the others under it.
 */
static int area_remove_unpinned(struct ioasid_ioas *ioas, unsigned long start,
				unsigned long last, unsigned long *removed,
				struct iova_bitmap *dirty, bool first)
{
	struct ioasid_area *area, *found;
	unsigned long bytes = 0;
	bool unlocked;
	int ret;

	down_write(&ioas->iova_rwsem);
	ret = area_find_range(ioas, start, last, &found, &unlocked);
	if (ret == -ERANGE) {
		up_write(&ioas->iova_rwsem);
		return ret;
	}
	if (!ret && dirty)
		ret = ioasid_dirty_record(ioas, dirty, true);
	if (ret) {
		area_mark_unmapping(found, ret == -EBUSY && first);
		up_write(&ioas->iova_rwsem);
		return ret;
	}
	for (area = found; area; area = area->next_free)
		bytes += ioasid_area_npages(area) << PAGE_SHIFT;
	if (found && unlocked) {
		for (area = found; area; area = area->next_free)
			area->state = IOASID_AREA_UNFILLING;
		area_unfill_claimed(ioas, found);
		goto out_free;
	}
	for (area = found; area; area = area->next_free) {
		ioasid_area_unfill_tables(ioas, area);
		interval_tree_remove(&area->node, &ioas->areas);
		cond_resched();
	}
	up_write(&ioas->iova_rwsem);
out_free:
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
	/* Busy areas count: they are mappings until their call returns. */
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
	if (area && area_range_busy(ioas, iova, last)) {
		area_settle(ioas, iova, last);
		area = ioasid_area_first(ioas, iova, last);
	}
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
