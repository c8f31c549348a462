// SPDX-License-Identifier: GPL-2.0-only
/*
 * The frames behind each mapping, and their way into and out of the IOMMU
 * page tables of its IOAS.  This file alone knows where the frames of an
 * area are kept; the rest of the subsystem goes through its contract:
 *
 *  - ioasid_area_fill_tables() maps a new area into every table of its
 *    IOAS, and ioasid_area_unfill_tables() unmaps it from all of them, after
 *    which no device reaches its pages;
 *  - ioasid_area_pin_fill() pins the memory of a MAP's new area into
 *    every table;
 *  - ioasid_ioas_fill_table() maps every area into a new table, and
 *    ioasid_ioas_add_table() and ioasid_ioas_remove_table() let a table
 *    join or leave the set of tables that is kept filled;
 *  - ioasid_area_get_pages() hands out an area's pages, for a new mapping
 *    of the same memory to share;
 *  - ioasid_area_walk_frames() tells an access which frames are behind
 *    part of an area.
 *
 * Where the frames are kept.  Each area's frames are found in one of
 * four places, chosen here and invisible to callers:
 *
 *  0. The area itself.  A MAP of one page, the most frequent kind, pins
 *     it into the area, which keeps its frame and its account in the
 *     fields that otherwise point at pages: one allocation per mapping
 *     rather than two.  A COPY from it, which must share the pinned page,
 *     moves them into pages of their own (ioasid_area_get_pages()).
 *  1. The runs of its pages (pages.c): an entry of 16 bytes per physically
 *     contiguous run.  Memory in large folios costs next to nothing this
 *     way; this is where every other mapping starts, and the only place
 *     for pages that several areas share or that an area maps in part.
 *  2. The tables of its IOAS.  For memory scattered in 4 KiB pages the runs
 *     cost 16 bytes a page while every table holds the frames already, an
 *     IOPTE each.  While the IOAS has a table, an area that maps its pages
 *     whole and alone drops their runs, and its frames are read back from
 *     the first table with iommu_iova_to_phys() when they are needed: to
 *     fill a new table, to hand out the pages and to unpin them.  A MAP
 *     pins a batch at a time and drops the runs as soon as they would
 *     cost more than a byte a page, mapping every later batch as it is
 *     pinned (ioasid_area_pin_fill()): the runs never hold more than
 *     that, in an array that doubles as it grows.
 *  3. The keeper.  When the last table of an IOAS goes while frames live
 *     only in it, the table is not freed but kept without devices, out of
 *     the IOAS's list: detaching a device or closing the fd then never
 *     allocates, never fails and never walks the mappings to save their
 *     frames.  A keeper costs less than the runs it stands for.  New areas
 *     are not mapped into it and it is never attached to, so the IOPTEs of
 *     areas removed meanwhile may stay in it.  It is freed once a new table
 *     has been filled from it, once no area needs it, or with the IOAS.
 *
 * Filling and unfilling go a batch of pages at a time, with a chance to
 * reschedule after each, and a fill stops when its caller is killed; on
 * any failure nothing stays mapped and nothing is lost.  Every function
 * here is called with the IOAS's iova_rwsem held for write, except
 * ioasid_area_walk_frames(), which only reads and needs it held at all,
 * and the three that pin and fill, fill, and unfill an area claimed by a
 * MAP or an UNMAP.
 *
 * Filling outside the lock.  The expensive part of a small MAP or UNMAP
 * is the IOMMU's: writing or clearing the IOPTEs and syncing the IOTLB,
 * an MMIO or a request to the hypervisor on an emulated or paravirtual
 * IOMMU.  area.c claims the area's IOVAs in the tree under iova_rwsem,
 * then has ioasid_area_fill_claimed() or ioasid_area_unfill_claimed()
 * do that part with only fill_rwsem held for read, beside the fills of
 * other threads: IOMMU drivers map and unmap disjoint ranges of a table
 * concurrently, as the DMA API does, and the claim keeps the ranges
 * disjoint.  The list of tables does not change meanwhile: whatever
 * changes it quiesces first (ioasid_ioas_quiesce()).  A MAP of new
 * memory pins it there too, and may leave its frames in the tables: it
 * counts its area in with an atomic, and has no keeper to free, as the
 * IOAS has tables.  An area whose frames are in the tables is unfilled
 * under iova_rwsem held for write, since that changes what the IOAS
 * counts and may free its keeper.
 */
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "ioasid_private.h"

/*
 * Runs cost 16 bytes each: keep them while they cost less than a byte
 * per page, i.e. while the runs are 16 pages long on average, and when
 * there is one, which the many small mappings of a userspace driver have.
 */
#define FRAMES_RUN_PAGES_TO_KEEP	16

/*
 * Scatterlist entries per call to the IOMMU core: each call ends with one
 * IOTLB sync, which an emulated or paravirtual IOMMU makes expensive.
 */
#define FRAMES_MAP_SG_BATCH	256
/* An entry's length is an unsigned int: larger pieces take several. */
#define FRAMES_MAP_SG_MAX	SZ_1G
/* Pages unmapped per call to the IOMMU core, in whole pieces. */
#define FRAMES_UNMAP_BATCH	512
/*
 * IOMMU entries one call writes or clears at most: a piece of contiguous
 * memory that an IOMMU of small pages maps takes an entry per page, so a
 * few pieces can hold the CPU as long as a gigabyte of scattered pages.
 */
#define FRAMES_BATCH_IOPTES	512

/*
 * Contiguous pieces unmapped and unpinned together: each batch ends with
 * an IOTLB sync, as expensive as a map's, so a batch is as large as 64 KiB
 * of pieces allow, then as one page of them, then as the stack.
 */
#define FRAMES_UNPIN_PIECES		4096
#define FRAMES_UNPIN_PIECES_SMALL	256
#define FRAMES_UNPIN_PIECES_ONSTACK	8

/* Pages of a table read between two chances to reschedule. */
#define FRAMES_WALK_BATCH	256

/* Tells the test ioctl how many pages have their frames in tables only. */
static void frames_count_in_tables(struct ioasid_area *area, long npages)
{
#ifdef CONFIG_DEV_IOASID_TEST
	atomic_long_add(npages, &area->pages->acct->ctx->pages_in_tables);
#endif
}

/*
 * The table the frames are read from: every table holds every area, and
 * without tables the keeper holds those whose frames it has.
 */
static struct iommu_domain *frames_source(struct ioasid_ioas *ioas)
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
static int frames_walk_domain(struct iommu_domain *domain, unsigned long iova,
			      unsigned long npages,
			      int (*fn)(void *arg, unsigned long offset,
					unsigned long pfn,
					unsigned long npages),
			      void *arg)
{
	unsigned long first = 0, pfn = 0, i;
	int ret;

	for (i = 0; i < npages; i++) {
		unsigned long next;

		if (i && !(i % FRAMES_WALK_BATCH))
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
 * ioasid_area_walk_frames() - the frames behind part of an area
 * @ioas: the IOAS, with iova_rwsem held
 * @area: the area
 * @first: the offset in pages of the part in @area
 * @npages: pages in the part, within @area
 * @fn: called with the offset in the part, the pfn and the length of each
 *      physically contiguous piece, in order
 * @arg: passed to @fn
 *
 * The frames are found wherever they are kept.
 *
 * Return: 0, or the first non-zero value @fn returned.
 */
int ioasid_area_walk_frames(struct ioasid_ioas *ioas, struct ioasid_area *area,
			    unsigned long first, unsigned long npages,
			    int (*fn)(void *arg, unsigned long offset,
				      unsigned long pfn, unsigned long npages),
			    void *arg)
{
	lockdep_assert(lockdep_is_held(&ioas->iova_rwsem) ||
		       lockdep_is_held(&ioas->fill_rwsem));
	if (area->own_pin)
		return fn(arg, 0, area->pfn + first, npages);
	if (area->in_tables)
		return frames_walk_domain(frames_source(ioas),
					  area->node.start + (first << PAGE_SHIFT),
					  npages, fn, arg);
	return ioasid_pages_walk(area->pages, area->pgoff + first, npages, fn,
				 arg);
}

/**
 * struct frames_map - an area being mapped into a table a batch at a time
 * @domain: the table
 * @iova: the area's first IOVA
 * @prot: the IOPTEs' protection
 * @sgl: the batch of pieces
 * @max_ents: entries in @sgl
 * @nents: entries of @sgl queued
 * @ioptes: IOMMU entries the queued entries take, about
 * @mapped: bytes of the area mapped so far
 */
struct frames_map {
	struct iommu_domain *domain;
	unsigned long iova;
	int prot;
	struct scatterlist *sgl;
	unsigned int max_ents;
	unsigned int nents;
	unsigned long ioptes;
	size_t mapped;
};

/*
 * The largest IOMMU page that can map @phys at @iova, as the IOMMU core
 * picks it: aligned at both, and no larger than a scatterlist entry, so
 * that a batch of them cannot overflow a length.  No entry mapping a
 * piece that starts there reaches across an IOVA aligned to it, so a
 * piece can be split at one.
 */
static unsigned long frames_page_fit(struct iommu_domain *domain,
				     unsigned long iova, phys_addr_t phys)
{
	unsigned long sizes = domain->pgsize_bitmap &
			      (FRAMES_MAP_SG_MAX | (FRAMES_MAP_SG_MAX - 1UL));
	unsigned long offset = iova ^ (unsigned long)phys;

	if (offset)
		sizes &= GENMASK(__ffs(offset), 0);
	return sizes ? 1UL << __fls(sizes) : PAGE_SIZE;
}

/*
 * The part of @len bytes from @iova that ends at an IOVA aligned to @page,
 * where no IOMMU page of that size straddles: 0 when @len falls short of
 * the first such IOVA, which a piece that starts inside a huge page of
 * the IOMMU may need to reach.
 */
static size_t frames_cut(unsigned long iova, size_t len, unsigned long page)
{
	unsigned long end = ALIGN_DOWN(iova + len, page);

	return end > iova ? end - iova : 0;
}

/*
 * Starts @map at page @first of @area into @hwpt, queueing in @sgl of
 * @max_ents entries, which the caller has initialised.
 */
static void frames_map_start(struct frames_map *map, struct ioasid_hwpt *hwpt,
			     struct ioasid_area *area, unsigned long first,
			     struct scatterlist *sgl, unsigned int max_ents)
{
	*map = (struct frames_map) {
		.domain = hwpt->domain,
		.iova = area->node.start + (first << PAGE_SHIFT),
		.prot = ioasid_hwpt_iopte_prot(hwpt, area->prot),
		.sgl = sgl,
		.max_ents = max_ents,
	};
}

/*
 * Maps what is queued, after what is mapped already; -EINTR when the
 * caller has been killed.
 */
static int frames_map_queued(struct frames_map *map)
{
	ssize_t ret;

	if (!map->nents)
		return 0;
	if (fatal_signal_pending(current))
		return -EINTR;
	ret = iommu_map_sg(map->domain, map->iova + map->mapped, map->sgl,
			   map->nents, map->prot, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		return ret;
	map->mapped += ret;
	map->nents = 0;
	map->ioptes = 0;
	cond_resched();
	return 0;
}

/*
 * Queues the piece at @offset pages into the area, split where a batch
 * is full of entries or of IOMMU pages.
 */
static int frames_map_piece(void *arg, unsigned long offset,
			    unsigned long pfn, unsigned long npages)
{
	struct frames_map *map = arg;
	unsigned long iova = map->iova + (offset << PAGE_SHIFT);
	size_t left = npages << PAGE_SHIFT;
	phys_addr_t phys = PFN_PHYS(pfn);
	unsigned long page = frames_page_fit(map->domain, iova, phys);
	int ret;

	while (left) {
		size_t room = (FRAMES_BATCH_IOPTES - map->ioptes) * page;
		size_t len = min3(left, (size_t)FRAMES_MAP_SG_MAX, room);

		/* A full batch goes first; an empty one has room to a cut. */
		if (len < left)
			len = frames_cut(iova, len, page);
		if (!len || map->nents == map->max_ents) {
			ret = frames_map_queued(map);
			if (ret)
				return ret;
			continue;
		}
		sg_set_page(&map->sgl[map->nents++],
			    pfn_to_page(PHYS_PFN(phys)), len, 0);
		map->ioptes += DIV_ROUND_UP(len, page);
		iova += len;
		phys += len;
		left -= len;
	}
	return 0;
}

/**
 * struct frames_unmap - an area being unmapped from a table in batches
 * @domain: the table
 * @iova: the area's first IOVA
 * @end: the offset in pages where unmapping stops
 * @done: the offset up to which the area is unmapped
 * @seen: the offset where the pieces the walk has seen end
 * @gather: what the IOTLB must forget once all is unmapped
 */
struct frames_unmap {
	struct iommu_domain *domain;
	unsigned long iova;
	unsigned long end;
	unsigned long done;
	unsigned long seen;
	struct iommu_iotlb_gather gather;
};

/* Unmaps the area up to page @stop, leaving the IOTLB flush to the end. */
static void frames_unmap_until(struct frames_unmap *u, unsigned long stop)
{
	unsigned long iova = u->iova + (u->done << PAGE_SHIFT);
	size_t length = (stop - u->done) << PAGE_SHIFT;

	if (!length)
		return;
	WARN_ON_ONCE(iommu_unmap_fast(u->domain, iova, length, &u->gather) !=
		     length);
	u->done = stop;
	cond_resched();
}

static int frames_unmap_piece(void *arg, unsigned long offset,
			      unsigned long pfn, unsigned long npages)
{
	struct frames_unmap *u = arg;
	unsigned long iova = u->iova + (offset << PAGE_SHIFT);
	unsigned long page = frames_page_fit(u->domain, iova, PFN_PHYS(pfn));
	unsigned long cut;

	u->seen = min(offset + npages, u->end);
	/*
	 * A long piece is cut where none of its IOMMU pages straddles, after
	 * what came before it is unmapped.
	 */
	while ((u->seen - u->done) << PAGE_SHIFT > FRAMES_BATCH_IOPTES * page) {
		cut = ALIGN_DOWN(u->iova + (max(u->done, offset) << PAGE_SHIFT) +
				 FRAMES_BATCH_IOPTES * page, page);
		frames_unmap_until(u, u->done < offset ? offset :
				   (cut - u->iova) >> PAGE_SHIFT);
	}
	if (u->seen - u->done >= FRAMES_UNMAP_BATCH || u->seen == u->end)
		frames_unmap_until(u, u->seen);
	/* Stops the walk at the end. */
	return u->seen == u->end;
}

/*
 * Unmaps the first @npages pages of @area from @domain a batch at a time.
 * No IOMMU page reaches across the end of a contiguous piece, nor across
 * where a partial map stopped, so those are where a batch may end.
 */
static void frames_unmap_pages(struct iommu_domain *domain,
			       struct ioasid_ioas *ioas,
			       struct ioasid_area *area, unsigned long npages)
{
	struct frames_unmap u = {
		.domain = domain,
		.iova = area->node.start,
		.end = npages,
	};

	if (!npages)
		return;
	iommu_iotlb_gather_init(&u.gather);
	ioasid_area_walk_frames(ioas, area, 0, npages, frames_unmap_piece, &u);
	iommu_iotlb_sync(domain, &u.gather);
}

static void frames_unmap_area(struct iommu_domain *domain,
			      struct ioasid_ioas *ioas,
			      struct ioasid_area *area)
{
	frames_unmap_pages(domain, ioas, area, ioasid_area_npages(area));
}

/*
 * Maps the first @npages pages of @area into @hwpt a batch of contiguous
 * pieces at a time, so that the IOMMU core can use its largest page sizes
 * and sync once per batch; on failure nothing stays mapped.
 */
static int frames_map_pages(struct ioasid_hwpt *hwpt, struct ioasid_ioas *ioas,
			    struct ioasid_area *area, unsigned long npages)
{
	struct scatterlist small[4], *sgl = small;
	unsigned int nents = ARRAY_SIZE(small);
	struct frames_map map;
	int ret;

	if (npages > nents) {
		nents = min_t(unsigned long, npages, FRAMES_MAP_SG_BATCH);
		sgl = kmalloc_array(nents, sizeof(*sgl), GFP_KERNEL);
		if (!sgl)
			return -ENOMEM;
	}
	sg_init_table(sgl, nents);
	frames_map_start(&map, hwpt, area, 0, sgl, nents);

	ret = ioasid_area_walk_frames(ioas, area, 0, npages, frames_map_piece,
				      &map);
	if (!ret)
		ret = frames_map_queued(&map);
	if (ret)
		frames_unmap_pages(hwpt->domain, ioas, area,
				   map.mapped >> PAGE_SHIFT);
	if (sgl != small)
		kfree(sgl);
	return ret;
}

static int frames_map_area(struct ioasid_hwpt *hwpt, struct ioasid_ioas *ioas,
			   struct ioasid_area *area)
{
	return frames_map_pages(hwpt, ioas, area, ioasid_area_npages(area));
}

/*
 * Whether @nr_runs runs cost more than a byte for each of @npages pages,
 * and more than the one run a single piece needs.
 */
static bool frames_runs_too_many(unsigned long nr_runs, unsigned long npages)
{
	return nr_runs > 1 && nr_runs > npages / FRAMES_RUN_PAGES_TO_KEEP;
}

static bool frames_worth_keeping_in_tables(struct ioasid_ioas *ioas,
					   struct ioasid_area *area)
{
	struct ioasid_pages *pages = area->pages;

	/*
	 * Shared pages are found through other IOASes' areas too, and pages
	 * the area shows only part of have frames no table holds.
	 */
	return !area->own_pin && !area->in_tables && !list_empty(&ioas->hwpts) &&
	       kref_read(&pages->kref) == 1 && !area->pgoff &&
	       ioasid_area_npages(area) == pages->npages &&
	       frames_runs_too_many(pages->nr_runs, pages->npages);
}

/*
 * Drops the runs of an area mapped in every table of @ioas when the
 * tables can hold its frames instead: pages that @area alone refers to,
 * scattered enough for their runs to cost more than a byte a page.
 */
static void frames_keep_in_tables(struct ioasid_ioas *ioas,
				  struct ioasid_area *area)
{
	if (!frames_worth_keeping_in_tables(ioas, area))
		return;
	ioasid_pages_drop_runs(area->pages);
	area->in_tables = true;
	atomic_long_inc(&ioas->nr_in_tables);
	frames_count_in_tables(area, area->pages->npages);
}

/* Frees the table kept for frames, once no area needs it. */
static void frames_free_keeper(struct ioasid_ioas *ioas)
{
	if (!ioas->keeper)
		return;
	ioasid_hwpt_free(ioas->keeper);
	ioas->keeper = NULL;
}

/* @area's frames are no longer in the tables only. */
static void frames_left_tables(struct ioasid_ioas *ioas,
			       struct ioasid_area *area)
{
	area->in_tables = false;
	frames_count_in_tables(area, -(long)area->pages->npages);
	if (atomic_long_dec_and_test(&ioas->nr_in_tables))
		frames_free_keeper(ioas);
}

static int frames_count_piece(void *arg, unsigned long offset,
			      unsigned long pfn, unsigned long npages)
{
	(*(unsigned long *)arg)++;
	return 0;
}

/**
 * struct frames_load - runs being read back from a table
 * @runs: the array, sized by a first walk
 * @nr_runs: entries of @runs filled
 */
struct frames_load {
	struct ioasid_pfn_run *runs;
	unsigned long nr_runs;
};

static int frames_load_piece(void *arg, unsigned long offset,
			     unsigned long pfn, unsigned long npages)
{
	struct frames_load *load = arg;

	load->runs[load->nr_runs++] = (struct ioasid_pfn_run) {
		.pfn = pfn,
		.index = offset,
	};
	return 0;
}

/*
 * Gives @area's pages their runs back, read from a table.  Returns 0, or
 * -ENOMEM; then the frames stay in the tables.
 */
static int frames_load(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	struct iommu_domain *domain;
	struct frames_load load = {};
	unsigned long nr = 0;

	if (!area->in_tables)
		return 0;
	/* Pages in the tables belong to this one area, from their start. */
	domain = frames_source(ioas);
	frames_walk_domain(domain, area->node.start, ioasid_area_npages(area),
			   frames_count_piece, &nr);
	load.runs = kvmalloc_array(nr, sizeof(*load.runs), GFP_KERNEL_ACCOUNT);
	if (!load.runs)
		return -ENOMEM;
	frames_walk_domain(domain, area->node.start, ioasid_area_npages(area),
			   frames_load_piece, &load);
	ioasid_pages_set_runs(area->pages, load.runs, load.nr_runs);
	frames_left_tables(ioas, area);
	return 0;
}

/**
 * struct frames_unpin - an area whose frames are in the tables, being
 *                       unmapped and unpinned a batch at a time
 * @ioas: its IOAS
 * @area: the area
 * @pieces: the contiguous pieces read and not yet unmapped
 * @max: entries in @pieces
 * @nr: entries of @pieces queued
 * @end: the offset where the last piece ends
 * @since: pages unpinned since the last reschedule
 */
struct frames_unpin {
	struct ioasid_ioas *ioas;
	struct ioasid_area *area;
	struct ioasid_pfn_run *pieces;
	unsigned int max;
	unsigned int nr;
	unsigned long end;
	unsigned long since;
};

/*
 * Calls @fn, as ioasid_area_walk_frames() would, for each of the @nr
 * pieces at @pieces: each runs to the next one's index, the last to @end.
 */
static int frames_walk_pieces(const struct ioasid_pfn_run *pieces,
			      unsigned int nr, unsigned long end,
			      int (*fn)(void *arg, unsigned long offset,
					unsigned long pfn,
					unsigned long npages),
			      void *arg)
{
	unsigned long first = nr ? pieces[0].index : 0, next;
	unsigned int i;
	int ret;

	for (i = 0; i < nr; i++) {
		next = i + 1 < nr ? pieces[i + 1].index : end;
		ret = fn(arg, pieces[i].index - first, pieces[i].pfn,
			 next - pieces[i].index);
		if (ret)
			return ret;
	}
	return 0;
}

/* Unpins a piece that no device reached: it was never mapped. */
static int frames_unpin_clean_piece(void *arg, unsigned long offset,
				    unsigned long pfn, unsigned long npages)
{
	ioasid_unpin_range(pfn, npages, false, arg);
	return 0;
}

/*
 * Unmaps the queued pieces from every table, then unpins them, dirty when
 * devices could write them.  Their ends are where the frames stop being
 * contiguous, so no IOMMU page reaches across them.
 */
static void frames_unmap_unpin_queued(struct frames_unpin *u)
{
	unsigned long first = u->pieces[0].index;
	unsigned long iova = u->area->node.start + (first << PAGE_SHIFT);
	size_t length = (u->end - first) << PAGE_SHIFT;
	bool dirty = u->area->pages->writable;
	struct ioasid_hwpt *hwpt;
	unsigned long next;
	unsigned int i;

	list_for_each_entry(hwpt, &u->ioas->hwpts, node)
		WARN_ON_ONCE(iommu_unmap(hwpt->domain, iova, length) != length);
	for (i = 0; i < u->nr; i++) {
		next = i + 1 < u->nr ? u->pieces[i + 1].index : u->end;
		ioasid_unpin_range(u->pieces[i].pfn, next - u->pieces[i].index,
				   dirty, &u->since);
	}
	u->nr = 0;
}

/*
 * Reads the frames of the first @npages pages of the area from @source,
 * queueing them by contiguous piece, and unmaps and unpins the queue each
 * time a new piece finds it full.  Reading calls nothing but the table's
 * lookup per page: 1 GiB of scattered pages is 262,144 of them.
 */
static void frames_unmap_unpin_read(struct frames_unpin *u,
				    struct iommu_domain *source,
				    unsigned long npages)
{
	unsigned long iova = u->area->node.start, pfn, i;
	struct ioasid_pfn_run *last = NULL;

	for (i = 0; i < npages; i++, iova += PAGE_SIZE) {
		if (i && !(i % FRAMES_WALK_BATCH))
			cond_resched();
		pfn = PHYS_PFN(iommu_iova_to_phys(source, iova));
		if (last && pfn == last->pfn + (i - last->index))
			continue;
		if (u->nr == u->max) {
			u->end = i;
			frames_unmap_unpin_queued(u);
		}
		last = &u->pieces[u->nr++];
		*last = (struct ioasid_pfn_run) { .pfn = pfn, .index = i };
	}
	u->end = npages;
	if (u->nr)
		frames_unmap_unpin_queued(u);
}

/*
 * Gives @u room for a batch of pieces for @npages pages, as large as
 * memory allows without reclaim, or leaves it the stack's.
 */
static void frames_unpin_alloc(struct frames_unpin *u, unsigned long npages)
{
	static const unsigned int sizes[] = {
		FRAMES_UNPIN_PIECES, FRAMES_UNPIN_PIECES_SMALL,
	};
	struct ioasid_pfn_run *pieces;
	unsigned int i, want;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		want = min_t(unsigned long, npages, sizes[i]);
		pieces = kmalloc_array(want, sizeof(*pieces),
				       GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
		if (pieces) {
			u->pieces = pieces;
			u->max = want;
			return;
		}
	}
}

/*
 * Unmaps the first @npages pages of an area whose frames are in the
 * tables from every table, unpinning the frames as they are read: its
 * pages are left with nothing pinned there, their charge going with their
 * last reference.  A keeper is only read: it goes with the last area it
 * holds frames of.  Without memory for a large batch a small one does,
 * so this cannot fail.
 */
static void frames_unmap_unpin_pages(struct ioasid_ioas *ioas,
				     struct ioasid_area *area,
				     unsigned long npages)
{
	struct ioasid_pfn_run onstack[FRAMES_UNPIN_PIECES_ONSTACK];
	struct frames_unpin u = {
		.ioas = ioas,
		.area = area,
		.pieces = onstack,
		.max = ARRAY_SIZE(onstack),
	};

	if (npages > ARRAY_SIZE(onstack))
		frames_unpin_alloc(&u, npages);
	frames_unmap_unpin_read(&u, frames_source(ioas), npages);
	if (u.pieces != onstack)
		kfree(u.pieces);
}

static void frames_unmap_unpin(struct ioasid_ioas *ioas,
			       struct ioasid_area *area)
{
	frames_unmap_unpin_pages(ioas, area, ioasid_area_npages(area));
	frames_left_tables(ioas, area);
}

/* Maps the first @npages pages of @area into every table, or into none. */
static int frames_fill_pages(struct ioasid_ioas *ioas, struct ioasid_area *area,
			     unsigned long npages)
{
	struct ioasid_hwpt *hwpt;
	int ret;

	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		ret = frames_map_pages(hwpt, ioas, area, npages);
		if (ret)
			goto err_unmap;
	}
	return 0;

err_unmap:
	list_for_each_entry_continue_reverse(hwpt, &ioas->hwpts, node)
		frames_unmap_pages(hwpt->domain, ioas, area, npages);
	return ret;
}

static int frames_fill_all(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	return frames_fill_pages(ioas, area, ioasid_area_npages(area));
}

/**
 * ioasid_area_fill_tables() - map a new area into every table of its IOAS
 * @ioas: the IOAS, with iova_rwsem held for write
 * @area: the area, already in @ioas's tree, with its pages' runs
 *
 * Once mapped, the area may leave its frames to the tables.
 *
 * Return: 0, or the error of the first table that failed; then the area
 * is mapped in none and its pages keep their runs.
 */
int ioasid_area_fill_tables(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	int ret;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	ret = frames_fill_all(ioas, area);
	if (!ret)
		frames_keep_in_tables(ioas, area);
	return ret;
}

/**
 * ioasid_area_fills_unlocked() - whether a new area may be filled outside
 *                                the lock
 * @ioas: the IOAS, with iova_rwsem held for write
 * @area: the new area, in no table yet
 *
 * Return: true when @ioas has tables and the area, once in them, would
 * keep its runs: then ioasid_area_fill_claimed() may fill it.
 */
bool ioasid_area_fills_unlocked(struct ioasid_ioas *ioas,
				struct ioasid_area *area)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);
	return !list_empty(&ioas->hwpts) &&
	       !frames_worth_keeping_in_tables(ioas, area);
}

/**
 * ioasid_area_fill_claimed() - map a claimed area into every table
 * @ioas: the IOAS, with fill_rwsem held for read and iova_rwsem not held
 * @area: a FILLING area, for which ioasid_area_fills_unlocked() was true
 *        when it was claimed
 *
 * As ioasid_area_fill_tables(), but the area keeps its runs.
 *
 * Return: 0, or the error of the first table that failed; then the area
 * is mapped in none.
 */
int ioasid_area_fill_claimed(struct ioasid_ioas *ioas,
			     struct ioasid_area *area)
{
	lockdep_assert_held_read(&ioas->fill_rwsem);
	return frames_fill_all(ioas, area);
}

/* Pins a new area's pages for write when it maps them writable. */
static bool frames_pin_writable(struct ioasid_area *area)
{
	return area->prot & IOMMU_WRITE;
}

/**
 * struct frames_pin - a new area's memory, pinned a batch at a time
 * @ioas: the area's IOAS
 * @area: the area, claimed FILLING, whose pages are charged
 * @uaddr: the memory's first byte
 * @batch: the pages of the batch being pinned
 * @capacity: the entries the runs have room for
 * @recorded: the pages the runs hold, from the first
 * @in_tables: set once the runs are dropped: from then on the pages
 *             before frames_pin_filled() are in every table, and every
 *             later batch is mapped as it is pinned
 * @queue: pieces of the batch, pinned, to be mapped up to @queue_end
 * @nr_queued: entries of @queue in use
 * @queue_end: where the last queued piece ends
 * @carry: the last piece pinned, not yet mapped: the next batch may
 *         continue it, and it is mapped whole, so that the IOMMU can use
 *         its large pages for it
 * @carry_npages: its length; 0 when there is none
 * @sgl: entries for mapping a batch
 */
struct frames_pin {
	struct ioasid_ioas *ioas;
	struct ioasid_area *area;
	unsigned long uaddr;
	struct page **batch;
	unsigned long capacity;
	unsigned long recorded;
	bool in_tables;
	struct ioasid_pfn_run *queue;
	unsigned int nr_queued;
	unsigned long queue_end;
	struct ioasid_pfn_run carry;
	unsigned long carry_npages;
	struct scatterlist *sgl;
};

/* Pages pinned per call to the GUP core, and mapped per batch after. */
#define FRAMES_PIN_BATCH	512

/*
 * Where the pages in every table end, once the runs are dropped: the
 * first queued piece starts there, or with none queued, the carry.
 */
static unsigned long frames_pin_filled(const struct frames_pin *fp)
{
	return fp->nr_queued ? fp->queue[0].index : fp->carry.index;
}

/*
 * Whether the runs recorded so far cost too much to keep: they only grow,
 * and the tables can hold the frames instead.
 */
static bool frames_pin_scattered(struct frames_pin *fp)
{
	return !list_empty(&fp->ioas->hwpts) &&
	       frames_runs_too_many(fp->area->pages->nr_runs,
				    fp->area->pages->npages);
}

/*
 * Maps what the runs hold into every table, but for their last run, which
 * is carried to the next batch, then drops the runs.
 */
static int frames_pin_to_tables(struct frames_pin *fp)
{
	struct ioasid_pages *pages = fp->area->pages;
	const struct ioasid_pfn_run *last = &pages->runs[pages->nr_runs - 1];
	int ret;

	fp->queue = kmalloc_array(FRAMES_PIN_BATCH, sizeof(*fp->queue),
				  GFP_KERNEL);
	fp->sgl = kmalloc_array(FRAMES_MAP_SG_BATCH, sizeof(*fp->sgl),
				GFP_KERNEL);
	if (!fp->queue || !fp->sgl)
		return -ENOMEM;
	sg_init_table(fp->sgl, FRAMES_MAP_SG_BATCH);

	ret = frames_fill_pages(fp->ioas, fp->area, last->index);
	if (ret)
		return ret;
	fp->carry = *last;
	fp->carry_npages = fp->recorded - last->index;
	ioasid_pages_drop_runs(pages);
	fp->in_tables = true;
	return 0;
}

/*
 * Queues the pieces of a batch of @got pages from @index, all but the
 * last, which becomes the carry; the first continues the carry when it
 * follows it in memory.
 */
static void frames_pin_queue(struct frames_pin *fp, unsigned long index,
			     unsigned long got)
{
	unsigned long i, n, pfn;

	fp->nr_queued = 0;
	for (i = 0; i < got; i += n) {
		n = ioasid_pages_contiguous(fp->batch + i, got - i);
		pfn = page_to_pfn(fp->batch[i]);
		if (pfn == fp->carry.pfn + fp->carry_npages) {
			fp->carry_npages += n;
			continue;
		}
		fp->queue[fp->nr_queued++] = fp->carry;
		fp->carry = (struct ioasid_pfn_run) {
			.pfn = pfn,
			.index = index + i,
		};
		fp->carry_npages = n;
	}
	fp->queue_end = fp->carry.index;
}

/* Maps the queued pieces into @hwpt, or leaves nothing of them there. */
static int frames_pin_map_table(struct frames_pin *fp, struct ioasid_hwpt *hwpt)
{
	struct frames_map map;
	int ret;

	frames_map_start(&map, hwpt, fp->area, fp->queue[0].index, fp->sgl,
			 FRAMES_MAP_SG_BATCH);
	ret = frames_walk_pieces(fp->queue, fp->nr_queued, fp->queue_end,
				 frames_map_piece, &map);
	if (!ret)
		ret = frames_map_queued(&map);
	if (ret && map.mapped)
		WARN_ON_ONCE(iommu_unmap(map.domain, map.iova, map.mapped) !=
			     map.mapped);
	return ret;
}

/*
 * Maps the queued pieces into every table, or into none.  Each was mapped
 * whole by one call, so no IOMMU page reaches outside them.
 */
static int frames_pin_map_queue(struct frames_pin *fp)
{
	struct ioasid_ioas *ioas = fp->ioas;
	unsigned long first, len;
	struct ioasid_hwpt *hwpt;
	int ret;

	if (!fp->nr_queued)
		return 0;
	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		ret = frames_pin_map_table(fp, hwpt);
		if (ret)
			goto err_unmap;
	}
	fp->nr_queued = 0;
	return 0;

err_unmap:
	first = fp->queue[0].index;
	len = (fp->queue_end - first) << PAGE_SHIFT;
	list_for_each_entry_continue_reverse(hwpt, &ioas->hwpts, node)
		WARN_ON_ONCE(iommu_unmap(hwpt->domain,
					 fp->area->node.start +
					 (first << PAGE_SHIFT), len) != len);
	return ret;
}

/*
 * Takes a batch of @got pinned pages from @index: records it in the runs,
 * and maps what the runs hold when they grow too many; or maps it, once
 * the runs are gone.  On error the batch is unpinned or left queued.
 */
static int frames_pin_take(struct frames_pin *fp, unsigned long index,
			   unsigned long got)
{
	int ret;

	if (fp->in_tables) {
		frames_pin_queue(fp, index, got);
		return frames_pin_map_queue(fp);
	}
	ret = ioasid_pages_add_batch(fp->area->pages, index, fp->batch, got,
				     &fp->capacity);
	if (ret) {
		unpin_user_pages(fp->batch, got);
		return ret;
	}
	fp->recorded += got;
	return frames_pin_scattered(fp) ? frames_pin_to_tables(fp) : 0;
}

/* Pins and maps the whole area: see ioasid_area_pin_fill(). */
static int frames_pin_all(struct frames_pin *fp)
{
	unsigned long npages = ioasid_area_npages(fp->area), done = 0;
	long got;
	int ret;

	while (done < npages) {
		got = ioasid_pages_pin_batch(fp->area->pages,
					     fp->uaddr + (done << PAGE_SHIFT),
					     fp->batch,
					     min_t(unsigned long, npages - done,
						   FRAMES_PIN_BATCH));
		if (got < 0)
			return got;
		ret = frames_pin_take(fp, done, got);
		if (ret)
			return ret;
		done += got;
	}
	if (!fp->in_tables)
		return frames_fill_pages(fp->ioas, fp->area, npages);

	/* The carry is the last piece, whole now. */
	fp->queue[0] = fp->carry;
	fp->nr_queued = 1;
	fp->queue_end = npages;
	fp->carry_npages = 0;
	return frames_pin_map_queue(fp);
}

/*
 * Undoes a failed frames_pin_all(): unmaps and unpins what is in the
 * tables, and unpins what was pinned and not mapped, which no device used.
 */
static void frames_pin_undo(struct frames_pin *fp)
{
	unsigned long since = 0;

	if (!fp->in_tables) {
		ioasid_pages_unpin_recorded(fp->area->pages, fp->recorded);
		return;
	}
	frames_unmap_unpin_pages(fp->ioas, fp->area, frames_pin_filled(fp));
	frames_walk_pieces(fp->queue, fp->nr_queued, fp->queue_end,
			   frames_unpin_clean_piece, &since);
	if (fp->carry_npages)
		ioasid_unpin_range(fp->carry.pfn, fp->carry_npages, false,
				   &since);
}

/* Pins the one page of a claimed area into the area (place 0), then fills. */
static int frames_pin_fill_page(struct ioasid_ioas *ioas,
				struct ioasid_area *area, struct ioasid_ctx *ctx,
				unsigned long uaddr)
{
	struct ioasid_account *acct;
	int ret;

	acct = ioasid_pin_page(ctx, uaddr, frames_pin_writable(area),
			       &area->pfn);
	if (IS_ERR(acct))
		return PTR_ERR(acct);
	area->acct = acct;
	area->own_pin = true;
	ret = frames_fill_all(ioas, area);
	if (ret) {
		ioasid_unpin_page(acct, area->pfn, frames_pin_writable(area));
		area->own_pin = false;
		area->acct = NULL;
	}
	return ret;
}

/* Pins the pages of a claimed area a batch at a time, and fills them. */
static int frames_pin_fill_pages(struct ioasid_ioas *ioas,
				 struct ioasid_area *area,
				 struct ioasid_ctx *ctx, unsigned long uaddr)
{
	unsigned long npages = ioasid_area_npages(area);
	struct frames_pin fp = {
		.ioas = ioas,
		.area = area,
		.uaddr = uaddr,
	};
	struct ioasid_pages *pages;
	int ret = -ENOMEM;

	pages = ioasid_pages_new(ctx, npages, frames_pin_writable(area));
	if (IS_ERR(pages))
		return PTR_ERR(pages);
	area->pages = pages;
	area->pgoff = 0;

	fp.batch = kmalloc_array(min_t(unsigned long, npages, FRAMES_PIN_BATCH),
				 sizeof(*fp.batch), GFP_KERNEL);
	if (fp.batch)
		ret = frames_pin_all(&fp);
	if (ret) {
		frames_pin_undo(&fp);
		ioasid_pages_put(pages);
		area->pages = NULL;
	} else if (fp.in_tables) {
		area->in_tables = true;
		atomic_long_inc(&ioas->nr_in_tables);
		frames_count_in_tables(area, npages);
	}
	kfree(fp.sgl);
	kfree(fp.queue);
	kfree(fp.batch);
	return ret;
}

/**
 * ioasid_area_pin_fill() - pin a new area's memory into every table
 * @ioas: the IOAS, with fill_rwsem held for read and iova_rwsem not held
 * @area: a FILLING area with its prot set and no frames yet
 * @ctx: the context whose account the pins are charged to
 * @uaddr: the memory's first byte, page aligned
 *
 * A MAP places its area before it pins anything, so that a range in use
 * fails before the memory is looked at, as VFIO's type1 has it.  One page
 * is pinned into the area itself.  More are charged, then pinned a batch
 * at a time: memory in large pieces is recorded as runs and mapped once
 * pinned; once the runs would cost more than a byte a page, and while
 * @ioas has tables, what they hold is mapped, they are dropped, and every
 * later batch is mapped as it is pinned.  The frames of scattered memory
 * are then kept in the tables only (place 2 above) without ever having
 * had runs of 16 bytes a page.
 *
 * Return: 0; or the error of charging or pinning, as ioasid_pages_new()
 * and ioasid_pages_pin_batch() have them, or of the tables; then nothing
 * stays pinned, charged or mapped, and the area holds nothing.
 */
int ioasid_area_pin_fill(struct ioasid_ioas *ioas, struct ioasid_area *area,
			 struct ioasid_ctx *ctx, unsigned long uaddr)
{
	lockdep_assert_held_read(&ioas->fill_rwsem);
	if (ioasid_area_npages(area) == 1)
		return frames_pin_fill_page(ioas, area, ctx, uaddr);
	return frames_pin_fill_pages(ioas, area, ctx, uaddr);
}

/**
 * ioasid_area_unfill_tables() - unmap an area from every table of its IOAS
 * @ioas: the IOAS, with iova_rwsem held for write
 * @area: an area that ioasid_area_fill_tables() mapped
 *
 * When this returns, no attached device reaches the area's pages, and
 * frames that only the tables held are unpinned: the last reference to
 * the pages has nothing left to unpin but their runs.  Cannot fail.
 */
void ioasid_area_unfill_tables(struct ioasid_ioas *ioas,
			       struct ioasid_area *area)
{
	struct ioasid_hwpt *hwpt;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	if (area->in_tables) {
		frames_unmap_unpin(ioas, area);
		return;
	}
	list_for_each_entry(hwpt, &ioas->hwpts, node)
		frames_unmap_area(hwpt->domain, ioas, area);
}

/**
 * ioasid_area_unfills_unlocked() - whether an area may be unfilled outside
 *                                  the lock
 * @ioas: the IOAS, with iova_rwsem held for write
 * @area: a LIVE area
 *
 * Return: true when @ioas has tables and @area has its runs: then
 * ioasid_area_unfill_claimed() may unmap it.
 */
bool ioasid_area_unfills_unlocked(struct ioasid_ioas *ioas,
				  struct ioasid_area *area)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);
	return !area->in_tables && !list_empty(&ioas->hwpts);
}

/**
 * ioasid_area_unfill_claimed() - unmap a claimed area from every table
 * @ioas: the IOAS, with fill_rwsem held for read and iova_rwsem not held
 * @area: an UNFILLING area, for which ioasid_area_unfills_unlocked() was
 *        true when it was claimed
 *
 * As ioasid_area_unfill_tables(): when this returns, no attached device
 * reaches the area's pages.  Cannot fail.
 */
void ioasid_area_unfill_claimed(struct ioasid_ioas *ioas,
				struct ioasid_area *area)
{
	struct ioasid_hwpt *hwpt;

	lockdep_assert_held_read(&ioas->fill_rwsem);
	if (WARN_ON_ONCE(area->in_tables))
		return;
	list_for_each_entry(hwpt, &ioas->hwpts, node)
		frames_unmap_area(hwpt->domain, ioas, area);
}

/**
 * ioasid_area_put_frames() - let go of what an area holds pinned
 * @area: an area in no table and no tree
 *
 * Unpins the area's own page, or drops its reference on its pages.
 */
void ioasid_area_put_frames(struct ioasid_area *area)
{
	if (area->own_pin)
		ioasid_unpin_page(area->acct, area->pfn,
				  frames_pin_writable(area));
	else
		ioasid_pages_put(area->pages);
}

/**
 * ioasid_area_pages() - the pages an area refers to, for looking at them
 * @area: the area, with its IOAS's iova_rwsem held
 *
 * Return: the pages, or NULL when the area holds its one page itself.
 */
struct ioasid_pages *ioasid_area_pages(struct ioasid_area *area)
{
	return area->own_pin ? NULL : area->pages;
}

/* Moves an area's own page into pages that others can share. */
static int frames_adopt_own_pin(struct ioasid_area *area)
{
	struct ioasid_pages *pages;

	if (!area->own_pin)
		return 0;
	pages = ioasid_pages_adopt(area->acct, area->pfn,
				   frames_pin_writable(area));
	if (!pages)
		return -ENOMEM;
	area->own_pin = false;
	area->pages = pages;
	area->pgoff = 0;
	return 0;
}

/**
 * ioasid_area_get_pages() - take a reference on an area's pages
 * @ioas: the IOAS, with iova_rwsem held for write
 * @area: the area
 *
 * The pages come with their runs, which whoever shares them reads: frames
 * that only the tables held are read back first, and a page the area
 * held itself is given pages.
 *
 * Return: the pages, or ERR_PTR(-ENOMEM); then nothing changed.
 */
struct ioasid_pages *ioasid_area_get_pages(struct ioasid_ioas *ioas,
					   struct ioasid_area *area)
{
	int ret;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	ret = frames_adopt_own_pin(area);
	if (!ret)
		ret = frames_load(ioas, area);
	if (ret)
		return ERR_PTR(ret);
	ioasid_pages_get(area->pages);
	return area->pages;
}

/**
 * ioasid_ioas_fill_table() - map every area of an IOAS into a new table
 * @ioas: the IOAS, with iova_rwsem held for write
 * @hwpt: a table from ioasid_hwpt_create(), not in @ioas's list yet
 *
 * The frames come from the runs, the other tables or the keeper.  Fills
 * and unfills outside the lock end first: then every area is LIVE, and
 * in every table of @ioas, or GONE, and in none, which this one skips.
 * No area is missed or mapped twice: none is claimed until the caller,
 * which adds the table to @ioas under the same hold of iova_rwsem, drops
 * the lock.
 *
 * Return: 0, or the IOMMU's error; then the table is left empty.
 */
int ioasid_ioas_fill_table(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	struct ioasid_area *area, *failed;
	int ret = 0;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	ioasid_ioas_quiesce(ioas);
	for (area = ioasid_area_first(ioas, 0, ULONG_MAX); area;
	     area = ioasid_area_next(area, 0, ULONG_MAX)) {
		if (!ioasid_area_live(area))
			continue;
		ret = frames_map_area(hwpt, ioas, area);
		if (ret)
			break;
		cond_resched();
	}
	if (!ret)
		return 0;

	failed = area;
	for (area = ioasid_area_first(ioas, 0, ULONG_MAX); area != failed;
	     area = ioasid_area_next(area, 0, ULONG_MAX)) {
		if (ioasid_area_live(area))
			frames_unmap_area(hwpt->domain, ioas, area);
		cond_resched();
	}
	return ret;
}

/**
 * ioasid_ioas_add_table() - keep a filled table in sync with the areas
 * @ioas: the IOAS, with iova_rwsem held for write
 * @hwpt: a table that ioasid_ioas_fill_table() filled
 *
 * From now on the table gets every new area and loses every removed one.
 * The first table can hold the frames of scattered pages; it was filled
 * from the keeper, if there is one, which can go.
 */
void ioasid_ioas_add_table(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	struct ioasid_area *area;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	ioasid_ioas_quiesce(ioas);
	list_add_tail(&hwpt->node, &ioas->hwpts);
	if (!list_is_singular(&ioas->hwpts))
		return;
	frames_free_keeper(ioas);
	for (area = ioasid_area_first(ioas, 0, ULONG_MAX); area;
	     area = ioasid_area_next(area, 0, ULONG_MAX)) {
		if (ioasid_area_live(area))
			frames_keep_in_tables(ioas, area);
		cond_resched();
	}
}

/**
 * ioasid_ioas_remove_table() - take a table out of an IOAS and free it
 * @ioas: the IOAS, with iova_rwsem held for write
 * @hwpt: a table no device uses: one of @ioas's, or one that never joined
 *
 * The last table of @ioas is kept as its keeper instead when frames live
 * only in it: this allocates nothing, reads nothing and cannot fail.
 */
void ioasid_ioas_remove_table(struct ioasid_ioas *ioas,
			      struct ioasid_hwpt *hwpt)
{
	bool last;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	ioasid_ioas_quiesce(ioas);
	last = list_is_singular(&ioas->hwpts) &&
	       ioas->hwpts.next == &hwpt->node;
	list_del_init(&hwpt->node);
	if (last && atomic_long_read(&ioas->nr_in_tables)) {
		ioas->keeper = hwpt;
		return;
	}
	ioasid_hwpt_free(hwpt);
}
