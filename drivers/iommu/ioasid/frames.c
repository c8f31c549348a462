// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where the frames behind a mapping are found.  Pinned pages are kept as
 * runs of contiguous frames (pages.c), which costs next to nothing for
 * memory in large folios but 16 bytes a page for memory scattered in
 * 4 KiB pages.  For such memory the IOMMU page tables of the IOAS hold the
 * frames already: while a table exists, the runs of a mapping that shares
 * its pages with no other are dropped, and the frames are read back from
 * the table when they are needed again: to fill a new table, to copy the
 * mapping and to unpin the pages.
 *
 * When the last table of an IOAS goes while such frames live in it, it is
 * not freed but kept, without devices and out of the IOAS's list, as the
 * IOAS's keeper: the frames stay where they are.  Detaching a device and
 * closing the fd therefore never allocate, never fail and never walk the
 * mappings to save their frames; a keeper costs less memory than the runs
 * it stands for (an IOPTE per page rather than a 16-byte run).  New
 * mappings are not added to a keeper and it is never attached to, so the
 * IOPTEs of mappings removed meanwhile may stay in it.  It is freed when
 * a new table has been filled from it, when no area needs it any more,
 * or with the IOAS.
 *
 * Walking the tables and unpinning give the CPU up every batch of pages,
 * so that a mapping of any size never holds it long.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "ioasid_private.h"

/*
 * Runs cost 16 bytes each: keep them while they cost less than a byte
 * per page, i.e. while the runs are 16 pages long on average, and when
 * there is one, which the many small mappings of a userspace driver have.
 */
#define RUN_PAGES_TO_KEEP	16

/* Contiguous pieces unmapped and unpinned together, and the fallback. */
#define UNPIN_PIECES		256
#define UNPIN_PIECES_ONSTACK	8

/* Pages of a table read between two chances to reschedule. */
#define WALK_BATCH		256

/*
 * The table the frames are read from: every table holds every mapping,
 * and without tables the keeper holds those whose frames it has.
 */
static struct iommu_domain *frames_domain(struct ioasid_ioas *ioas)
{
	if (list_empty(&ioas->hwpts))
		return ioas->keeper->domain;
	return list_first_entry(&ioas->hwpts, struct ioasid_hwpt,
				node)->domain;
}

/*
 * Calls @fn for each physically contiguous piece of the pages mapped from
 * @iova in @domain, like ioasid_pages_walk() does for runs.
 */
static int walk_domain(struct iommu_domain *domain, unsigned long iova,
		       unsigned long npages,
		       int (*fn)(void *arg, unsigned long offset,
				 unsigned long pfn, unsigned long npages),
		       void *arg)
{
	unsigned long first = 0, pfn = 0, i;
	int ret;

	for (i = 0; i < npages; i++) {
		unsigned long next;

		if (i && !(i % WALK_BATCH))
			cond_resched();
		next = PHYS_PFN(iommu_iova_to_phys(domain,
						   iova + (i << PAGE_SHIFT)));
		if (i && next == pfn + (i - first))
			continue;
		if (i) {
			ret = fn(arg, first, pfn, i - first);
			if (ret)
				return ret;
		}
		first = i;
		pfn = next;
	}
	return npages ? fn(arg, first, pfn, npages - first) : 0;
}

/**
 * ioasid_area_walk_frames() - call @fn for each contiguous piece of an area
 * @ioas: the IOAS of @area, with iova_rwsem held
 * @area: the area
 * @fn: called with the offset in the area, the pfn and the length of each
 *      physically contiguous piece, in order
 * @arg: passed to @fn
 *
 * Return: 0, or the first non-zero value @fn returned.
 */
int ioasid_area_walk_frames(struct ioasid_ioas *ioas, struct ioasid_area *area,
			    int (*fn)(void *arg, unsigned long offset,
				      unsigned long pfn, unsigned long npages),
			    void *arg)
{
	lockdep_assert_held(&ioas->iova_rwsem);
	if (area->pages->in_tables)
		return walk_domain(frames_domain(ioas), area->node.start,
				   ioasid_area_npages(area), fn, arg);
	return ioasid_pages_walk(area->pages, area->pgoff,
				 ioasid_area_npages(area), fn, arg);
}

static bool worth_keeping_in_tables(struct ioasid_ioas *ioas,
				    struct ioasid_area *area)
{
	struct ioasid_pages *pages = area->pages;

	/*
	 * Shared pages are found through other IOASes' areas too, and pages
	 * the area shows only part of have frames no table holds.
	 */
	return !pages->in_tables && !list_empty(&ioas->hwpts) &&
	       kref_read(&pages->kref) == 1 && !area->pgoff &&
	       ioasid_area_npages(area) == pages->npages && pages->nr_runs > 1 &&
	       pages->nr_runs > pages->npages / RUN_PAGES_TO_KEEP;
}

/**
 * ioasid_area_keep_in_tables() - drop an area's runs if the tables hold them
 * @ioas: the IOAS of @area, with iova_rwsem held for write
 * @area: an area mapped in every table of @ioas
 *
 * Only pages that @area alone refers to, and that are scattered enough
 * for their runs to cost more than a byte a page, are left to the tables.
 */
void ioasid_area_keep_in_tables(struct ioasid_ioas *ioas,
				struct ioasid_area *area)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);
	if (!worth_keeping_in_tables(ioas, area))
		return;
	ioasid_pages_drop_runs(area->pages);
	ioas->nr_in_tables++;
}

/**
 * ioasid_ioas_free_keeper() - free the table kept for frames, if any
 * @ioas: the IOAS, with iova_rwsem held for write
 *
 * Called once no area needs the keeper: a new table holds their frames,
 * or none is left.
 */
void ioasid_ioas_free_keeper(struct ioasid_ioas *ioas)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);
	if (!ioas->keeper)
		return;
	ioasid_hwpt_free(ioas->keeper);
	ioas->keeper = NULL;
}

/* One area fewer has its frames in the tables only. */
static void area_left_tables(struct ioasid_ioas *ioas)
{
	if (!--ioas->nr_in_tables)
		ioasid_ioas_free_keeper(ioas);
}

/**
 * ioasid_ioas_keep_last_table() - keep the last table if frames live in it
 * @ioas: the IOAS, with iova_rwsem held for write
 * @hwpt: its last table, which the last device has left
 *
 * Return: true when @hwpt became @ioas's keeper, which the caller must
 * not free; false when no frames live only in it.
 */
bool ioasid_ioas_keep_last_table(struct ioasid_ioas *ioas,
				 struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);
	if (!ioas->nr_in_tables)
		return false;
	list_del_init(&hwpt->node);
	ioas->keeper = hwpt;
	return true;
}

/**
 * ioasid_ioas_keep_in_tables() - ioasid_area_keep_in_tables() for all areas
 * @ioas: the IOAS, with iova_rwsem held for write and a table
 */
void ioasid_ioas_keep_in_tables(struct ioasid_ioas *ioas)
{
	struct ioasid_area *area;

	for (area = ioasid_area_first(ioas, 0, ULONG_MAX); area;
	     area = ioasid_area_next(area, 0, ULONG_MAX)) {
		ioasid_area_keep_in_tables(ioas, area);
		cond_resched();
	}
}

static int count_piece(void *arg, unsigned long offset, unsigned long pfn,
		       unsigned long npages)
{
	(*(unsigned long *)arg)++;
	return 0;
}

struct load {
	struct ioasid_pfn_run *runs;
	unsigned long nr_runs;
};

static int load_piece(void *arg, unsigned long offset, unsigned long pfn,
		      unsigned long npages)
{
	struct load *load = arg;

	load->runs[load->nr_runs++] = (struct ioasid_pfn_run) {
		.pfn = pfn,
		.index = offset,
	};
	return 0;
}

/**
 * ioasid_area_load_frames() - give an area's pages their runs back
 * @ioas: the IOAS of @area, with iova_rwsem held for write
 * @area: the area
 *
 * Return: 0, or -ENOMEM; then the frames stay in the tables.
 */
int ioasid_area_load_frames(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	struct iommu_domain *domain;
	struct load load = {};
	unsigned long nr = 0;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	if (!area->pages->in_tables)
		return 0;
	/* Pages in the tables belong to this one area, from their start. */
	domain = frames_domain(ioas);
	walk_domain(domain, area->node.start, ioasid_area_npages(area),
		    count_piece, &nr);
	load.runs = kvmalloc_array(nr, sizeof(*load.runs), GFP_KERNEL_ACCOUNT);
	if (!load.runs)
		return -ENOMEM;
	walk_domain(domain, area->node.start, ioasid_area_npages(area),
		    load_piece, &load);
	ioasid_pages_set_runs(area->pages, load.runs, load.nr_runs);
	area_left_tables(ioas);
	return 0;
}

struct unpin {
	struct ioasid_ioas *ioas;
	struct ioasid_area *area;
	struct ioasid_pfn_run *pieces;
	unsigned int max;
	unsigned int nr;
	unsigned long end;	/* the offset where the last piece ends */
	unsigned long since;	/* pages unpinned since the last reschedule */
};

/*
 * Unmaps the queued pieces from every table, then unpins them.  Their
 * ends are where the frames stop being contiguous, so no IOMMU page
 * reaches across them.
 */
static void unmap_unpin_queued(struct unpin *u)
{
	unsigned long first = u->pieces[0].index, i;
	unsigned long iova = u->area->node.start + (first << PAGE_SHIFT);
	size_t length = (u->end - first) << PAGE_SHIFT;
	struct ioasid_hwpt *hwpt;

	list_for_each_entry(hwpt, &u->ioas->hwpts, node)
		WARN_ON_ONCE(iommu_unmap(hwpt->domain, iova, length) != length);
	for (i = 0; i < u->nr; i++) {
		unsigned long end = i + 1 < u->nr ? u->pieces[i + 1].index :
						    u->end;

		ioasid_unpin_range(u->pieces[i].pfn, end - u->pieces[i].index,
				   u->area->pages->writable, &u->since);
	}
	u->nr = 0;
}

static int unpin_piece(void *arg, unsigned long offset, unsigned long pfn,
		       unsigned long npages)
{
	struct unpin *u = arg;

	/* The walk has read this piece only: the queued ones can go. */
	if (u->nr == u->max)
		unmap_unpin_queued(u);
	u->pieces[u->nr++] = (struct ioasid_pfn_run) {
		.pfn = pfn,
		.index = offset,
	};
	u->end = offset + npages;
	return 0;
}

/**
 * ioasid_area_unmap_unpin() - unmap an area whose frames are in the tables
 * @ioas: the IOAS of @area, with iova_rwsem held for write
 * @area: an area whose pages are in the tables
 *
 * The frames are read from the tables a batch at a time, unmapped from
 * every table and unpinned; the pages are left with nothing pinned.  A
 * keeper is only read: it goes with the last area it holds frames of.
 * Cannot fail.
 */
void ioasid_area_unmap_unpin(struct ioasid_ioas *ioas,
			     struct ioasid_area *area)
{
	unsigned long npages = ioasid_area_npages(area);
	struct ioasid_pfn_run onstack[UNPIN_PIECES_ONSTACK];
	struct unpin u = {
		.ioas = ioas,
		.area = area,
		.pieces = onstack,
		.max = ARRAY_SIZE(onstack),
	};

	lockdep_assert_held_write(&ioas->iova_rwsem);
	/* Without memory for a large batch, a small one does. */
	if (npages > ARRAY_SIZE(onstack)) {
		u.pieces = kmalloc_array(UNPIN_PIECES, sizeof(*u.pieces),
					 GFP_KERNEL);
		if (u.pieces)
			u.max = UNPIN_PIECES;
		else
			u.pieces = onstack;
	}
	walk_domain(frames_domain(ioas), area->node.start, npages, unpin_piece,
		    &u);
	if (u.nr)
		unmap_unpin_queued(&u);
	if (u.pieces != onstack)
		kfree(u.pieces);
	ioasid_pages_forget_frames(area->pages);
	area_left_tables(ioas);
}
