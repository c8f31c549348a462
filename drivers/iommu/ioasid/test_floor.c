// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOASID_TEST_FLOOR: what any implementation of a map and an unmap must
 * do, and nothing more, so that a benchmark can tell how much of its time
 * is the IOMMU's own.  It pins the caller's pages, maps them into every
 * page table of an IOAS with as few calls to the IOMMU core as their
 * physical runs allow, then unmaps them with the IOTLB flush and unpins
 * them, timing the two halves.  It keeps nothing but the physical runs
 * it pinned, to unpin them by run: no area, pages object or charge, and
 * it leaves nothing behind.
 */
#include <linux/iommu.h>
#include <linux/ioasid.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "ioasid_test_private.h"

/*
 * The most one call maps; the pages pinned at a time; the physical runs
 * given to the IOMMU core at a time, as many as a batch of ours.
 */
#define FLOOR_MAX_BYTES		SZ_1G
#define FLOOR_PIN_BATCH		512
#define FLOOR_SG_BATCH		512

/* Pinned pages that are physically contiguous. */
struct floor_run {
	unsigned long pfn;
	unsigned long npages;
};

/* A page of runs, in a list: the least there is to unpin from. */
struct floor_runs {
	struct floor_runs *next;
	unsigned int nr;
	struct floor_run run[];
};

#define FLOOR_RUNS_PER_PAGE \
	((PAGE_SIZE - sizeof(struct floor_runs)) / sizeof(struct floor_run))

/**
 * struct floor_map - a floor mapping being made
 * @ioas: the IOAS, with its IOVA lock held for writing
 * @iova: the first IOVA
 * @npages: pages of the mapping
 * @pinned: pages pinned so far, all of them in @runs
 * @mapped: pages mapped into every table so far
 * @runs: the runs of what is pinned, the last page of runs first
 * @queued: pages in @sgl, pinned and not mapped yet
 * @nents: entries of @sgl in use
 * @batch: the pages of one pin
 * @sgl: the runs given to the IOMMU core in one call
 */
struct floor_map {
	struct ioasid_ioas *ioas;
	unsigned long iova;
	unsigned long npages;
	unsigned long pinned;
	unsigned long mapped;
	struct floor_runs *runs;
	unsigned long queued;
	unsigned int nents;
	struct page *batch[FLOOR_PIN_BATCH];
	struct scatterlist sgl[FLOOR_SG_BATCH];
};

/* Unmaps @npages from @first on from every table before @stop, or all. */
static void floor_unmap_tables(struct floor_map *fm, unsigned long first,
			       unsigned long npages, struct ioasid_hwpt *stop)
{
	unsigned long iova = fm->iova + PFN_PHYS(first);
	struct ioasid_hwpt *hwpt;

	if (!npages)
		return;
	list_for_each_entry(hwpt, &fm->ioas->hwpts, node) {
		if (hwpt == stop)
			break;
		iommu_unmap(hwpt->domain, iova, PFN_PHYS(npages));
	}
}

/* Maps the queued runs into every table, after what is mapped. */
static int floor_map_queued(struct floor_map *fm)
{
	unsigned long iova = fm->iova + PFN_PHYS(fm->mapped);
	struct ioasid_hwpt *hwpt;
	ssize_t ret = 0;

	if (!fm->nents)
		return 0;
	sg_mark_end(&fm->sgl[fm->nents - 1]);
	list_for_each_entry(hwpt, &fm->ioas->hwpts, node) {
		ret = iommu_map_sg(hwpt->domain, iova, fm->sgl, fm->nents,
				   ioasid_hwpt_iopte_prot(hwpt, IOMMU_READ |
								IOMMU_WRITE),
				   GFP_KERNEL_ACCOUNT);
		if (ret != PFN_PHYS(fm->queued)) {
			/* iommu_map_sg() took back what it mapped itself. */
			floor_unmap_tables(fm, fm->mapped, fm->queued, hwpt);
			ret = ret < 0 ? ret : -EIO;
			break;
		}
		ret = 0;
	}
	sg_unmark_end(&fm->sgl[fm->nents - 1]);
	if (!ret)
		fm->mapped += fm->queued;
	fm->queued = 0;
	fm->nents = 0;
	return ret;
}

/* Whether @page continues the last run, or the last queued entry. */
static bool floor_run_continues(const struct floor_run *run, struct page *page)
{
	return run && run->pfn + run->npages == page_to_pfn(page);
}

static bool floor_sg_continues(struct scatterlist *sg, struct page *page)
{
	return sg && nth_page(sg_page(sg), sg->length >> PAGE_SHIFT) == page;
}

/*
 * Adds the @n contiguous pages from @page, just pinned, to the runs and to
 * the queue, mapping the queue first when it is full.  On failure they are
 * in neither.
 */
static int floor_add_run(struct floor_map *fm, struct page *page,
			 unsigned long n)
{
	struct floor_runs *runs = fm->runs;
	struct floor_run *run = runs && runs->nr ? &runs->run[runs->nr - 1] :
						   NULL;
	struct scatterlist *sg = fm->nents ? &fm->sgl[fm->nents - 1] : NULL;
	bool new_run = !floor_run_continues(run, page);
	bool new_sg = !floor_sg_continues(sg, page);
	int ret;

	if (new_sg && fm->nents == FLOOR_SG_BATCH) {
		ret = floor_map_queued(fm);
		if (ret)
			return ret;
	}
	if (new_run && (!runs || runs->nr == FLOOR_RUNS_PER_PAGE)) {
		runs = kmalloc(PAGE_SIZE, GFP_KERNEL);
		if (!runs)
			return -ENOMEM;
		runs->next = fm->runs;
		runs->nr = 0;
		fm->runs = runs;
	}

	if (new_run) {
		run = &runs->run[runs->nr++];
		run->pfn = page_to_pfn(page);
		run->npages = 0;
	}
	run->npages += n;
	fm->pinned += n;
	if (new_sg)
		sg_set_page(&fm->sgl[fm->nents++], page, PFN_PHYS(n), 0);
	else
		sg->length += PFN_PHYS(n);
	fm->queued += n;
	return 0;
}

/* Pins and maps all of @fm, or leaves what it did for floor_undo(). */
static int floor_map_all(struct floor_map *fm, unsigned long uptr)
{
	unsigned long done = 0, n;
	long got, i;
	int ret;

	while (done < fm->npages) {
		unsigned long want = min_t(unsigned long, fm->npages - done,
					   FLOOR_PIN_BATCH);

		if (fatal_signal_pending(current))
			return -EINTR;
		got = pin_user_pages_fast(uptr + PFN_PHYS(done), want,
					  FOLL_WRITE | FOLL_LONGTERM,
					  fm->batch);
		if (got <= 0)
			return got ? got : -EFAULT;
		for (i = 0; i < got; i += n) {
			n = ioasid_pages_contiguous(fm->batch + i, got - i);
			ret = floor_add_run(fm, fm->batch[i], n);
			if (ret) {
				/* What is not in the runs yet: this run on */
				unpin_user_pages(fm->batch + i, got - i);
				return ret;
			}
		}
		done += got;
		cond_resched();
	}
	return floor_map_queued(fm);
}

/* Unmaps what is mapped, then unpins the runs, dirtying them. */
static void floor_undo(struct floor_map *fm)
{
	struct floor_runs *runs;
	unsigned int i;

	floor_unmap_tables(fm, 0, fm->mapped, NULL);
	while ((runs = fm->runs)) {
		for (i = 0; i < runs->nr; i++) {
			struct floor_run *run = &runs->run[i];

			unpin_user_page_range_dirty_lock(pfn_to_page(run->pfn),
							 run->npages, true);
		}
		fm->runs = runs->next;
		kfree(runs);
		cond_resched();
	}
}

static int floor_check(struct ioasid_test *cmd)
{
	u64 last;

	if (!cmd->floor.length || !PAGE_ALIGNED(cmd->floor.iova) ||
	    !PAGE_ALIGNED(cmd->floor.length) || !PAGE_ALIGNED(cmd->floor.uptr))
		return -EINVAL;
	if (check_add_overflow(cmd->floor.iova, cmd->floor.length - 1, &last) ||
	    last > ULONG_MAX)
		return -EOVERFLOW;
	return cmd->floor.length > FLOOR_MAX_BYTES ? -E2BIG : 0;
}

/**
 * ioasid_test_floor() - map and unmap through the IOMMU alone, timed
 * @ucmd: the call
 * @cmd: its struct, whose @ioasid names an IOAS with a device attached
 *
 * The IOVAs must be free in the IOAS, which no mapping may enter while
 * this runs: its IOVA lock is held for writing throughout.
 *
 * Return: 0 with @cmd->floor.out_map_ns and out_unmap_ns set, or an
 * errno; nothing stays pinned or mapped either way.
 */
int ioasid_test_floor(struct ioasid_ucmd *ucmd, struct ioasid_test *cmd)
{
	struct floor_map *fm;
	u64 start, mapped;
	int ret;

	ret = floor_check(cmd);
	if (ret)
		return ret;
	fm = kzalloc(sizeof(*fm), GFP_KERNEL);
	if (!fm)
		return -ENOMEM;
	fm->iova = cmd->floor.iova;
	fm->npages = cmd->floor.length >> PAGE_SHIFT;
	fm->ioas = ioasid_ioas_get(ucmd->ctx, cmd->ioasid);
	if (IS_ERR(fm->ioas)) {
		ret = PTR_ERR(fm->ioas);
		goto out_free;
	}

	down_write(&fm->ioas->iova_rwsem);
	if (list_empty(&fm->ioas->hwpts))
		ret = -ENODEV;
	else
		ret = ioasid_area_check_free(fm->ioas, fm->iova,
					     cmd->floor.length);
	if (ret)
		goto out_unlock;

	sg_init_table(fm->sgl, FLOOR_SG_BATCH);
	start = ktime_get_ns();
	ret = floor_map_all(fm, cmd->floor.uptr);
	mapped = ktime_get_ns();
	floor_undo(fm);
	cmd->floor.out_unmap_ns = ktime_get_ns() - mapped;
	cmd->floor.out_map_ns = mapped - start;
out_unlock:
	up_write(&fm->ioas->iova_rwsem);
	ioasid_ioas_put(fm->ioas);
	if (!ret)
		ret = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
out_free:
	kfree(fm);
	return ret;
}
