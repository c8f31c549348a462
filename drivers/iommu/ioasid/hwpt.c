// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOMMU page tables of an IOAS.  An IOAS has one page table per kind
 * of IOMMU its devices need: a device joins an existing table whenever its
 * IOMMU accepts it, and only an incompatible one gets a new table, filled
 * with every mapping and kept in sync from then on.
 *
 * Cache coherency is part of what a table is.  The mappings of a table
 * whose devices snoop CPU caches carry IOMMU_CACHE, without which an
 * SMMUv3 makes them non-cacheable and a coherent device reads stale
 * memory; a device whose IOMMU cannot make its DMA coherent (bound only
 * with allow_incoherent_dma) gets tables of its own, mapped without it.
 * A table made for a device whose IOMMU can refuse no-snoop DMA refuses
 * it from its creation on, because VFIO tells KVM such a device is
 * coherent; such a device joins only tables that refuse it.
 *
 * Mapping and unmapping go a batch of pages at a time, with a chance to
 * reschedule after each, and a map stops when its caller is killed.
 */
#include <linux/iommu.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "ioasid_private.h"

/*
 * Scatterlist entries per call to the IOMMU core: each call ends with one
 * IOTLB sync, which an emulated or paravirtual IOMMU makes expensive.
 */
#define MAP_SG_BATCH	256
/* An entry's length is an unsigned int: larger pieces take several. */
#define MAP_SG_MAX	SZ_1G
/* Pages unmapped per call to the IOMMU core, in whole pieces. */
#define UNMAP_BATCH	512

struct map_walk {
	struct iommu_domain *domain;
	unsigned long iova;
	int prot;
	struct scatterlist *sgl;
	unsigned int max_ents;
	unsigned int nents;
	size_t mapped;
};

/*
 * Maps what is queued, after what is mapped already; -EINTR when the
 * caller has been killed.
 */
static int map_queued(struct map_walk *walk)
{
	ssize_t ret;

	if (!walk->nents)
		return 0;
	if (fatal_signal_pending(current))
		return -EINTR;
	ret = iommu_map_sg(walk->domain, walk->iova + walk->mapped, walk->sgl,
			   walk->nents, walk->prot, GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		return ret;
	walk->mapped += ret;
	walk->nents = 0;
	cond_resched();
	return 0;
}

/**
 * struct unmap_walk - an area being unmapped from a table a batch at a time
 * @domain: the table
 * @iova: the area's first IOVA
 * @end: the offset in pages where unmapping stops
 * @done: the offset up to which the area is unmapped
 * @seen: the offset where the pieces the walk has seen end
 * @gather: what the IOTLB must forget once all is unmapped
 */
struct unmap_walk {
	struct iommu_domain *domain;
	unsigned long iova;
	unsigned long end;
	unsigned long done;
	unsigned long seen;
	struct iommu_iotlb_gather gather;
};

/* Unmaps the pieces seen, leaving the IOTLB flush to the end. */
static void unmap_seen(struct unmap_walk *u)
{
	unsigned long iova = u->iova + (u->done << PAGE_SHIFT);
	size_t length = (u->seen - u->done) << PAGE_SHIFT;

	if (!length)
		return;
	WARN_ON_ONCE(iommu_unmap_fast(u->domain, iova, length, &u->gather) !=
		     length);
	u->done = u->seen;
	cond_resched();
}

static int unmap_piece(void *arg, unsigned long offset, unsigned long pfn,
		       unsigned long npages)
{
	struct unmap_walk *u = arg;

	u->seen = min(offset + npages, u->end);
	if (u->seen - u->done >= UNMAP_BATCH || u->seen == u->end)
		unmap_seen(u);
	/* Stops the walk at the end. */
	return u->seen == u->end;
}

/*
 * Unmaps the first @npages pages of @area from @domain a batch at a time.
 * No IOMMU page reaches across the end of a contiguous piece, nor across
 * where a partial map stopped, so those are where a batch may end.
 */
static void unmap_area_pages(struct iommu_domain *domain,
			     struct ioasid_ioas *ioas, struct ioasid_area *area,
			     unsigned long npages)
{
	struct unmap_walk u = {
		.domain = domain,
		.iova = area->node.start,
		.end = npages,
	};

	if (!npages)
		return;
	iommu_iotlb_gather_init(&u.gather);
	ioasid_area_walk_frames(ioas, area, unmap_piece, &u);
	iommu_iotlb_sync(domain, &u.gather);
}

static int map_piece(void *arg, unsigned long offset, unsigned long pfn,
		     unsigned long npages)
{
	struct map_walk *walk = arg;
	size_t left = npages << PAGE_SHIFT;
	phys_addr_t phys = PFN_PHYS(pfn);
	int ret;

	while (left) {
		size_t len = min_t(size_t, left, MAP_SG_MAX);

		if (walk->nents == walk->max_ents) {
			ret = map_queued(walk);
			if (ret)
				return ret;
		}
		sg_set_page(&walk->sgl[walk->nents++],
			    pfn_to_page(PHYS_PFN(phys)), len, 0);
		phys += len;
		left -= len;
	}
	return 0;
}

/* What the IOPTEs of @area say in @hwpt. */
static int hwpt_prot(struct ioasid_hwpt *hwpt, struct ioasid_area *area)
{
	return area->prot | (hwpt->coherent ? IOMMU_CACHE : 0);
}

/*
 * Maps @area into @hwpt a batch of contiguous pieces at a time, so that
 * the IOMMU core can use its largest page sizes and sync once per batch;
 * on failure nothing stays mapped.
 */
static int map_area(struct ioasid_hwpt *hwpt, struct ioasid_ioas *ioas,
		    struct ioasid_area *area)
{
	struct iommu_domain *domain = hwpt->domain;
	unsigned long npages = ioasid_area_npages(area);
	struct scatterlist small[4];
	struct map_walk walk = {
		.domain = domain,
		.iova = area->node.start,
		.prot = hwpt_prot(hwpt, area),
		.sgl = small,
		.max_ents = ARRAY_SIZE(small),
	};
	int ret;

	if (npages > ARRAY_SIZE(small)) {
		walk.max_ents = min_t(unsigned long, npages, MAP_SG_BATCH);
		walk.sgl = kmalloc_array(walk.max_ents, sizeof(*walk.sgl),
					 GFP_KERNEL);
		if (!walk.sgl)
			return -ENOMEM;
	}
	sg_init_table(walk.sgl, walk.max_ents);

	ret = ioasid_area_walk_frames(ioas, area, map_piece, &walk);
	if (!ret)
		ret = map_queued(&walk);
	if (ret)
		unmap_area_pages(domain, ioas, area,
				 walk.mapped >> PAGE_SHIFT);
	if (walk.sgl != small)
		kfree(walk.sgl);
	return ret;
}

static void unmap_area(struct iommu_domain *domain, struct ioasid_ioas *ioas,
		       struct ioasid_area *area)
{
	unmap_area_pages(domain, ioas, area, ioasid_area_npages(area));
}

/**
 * ioasid_hwpts_map_area() - map a new area into every page table
 * @ioas: the IOAS, with iova_rwsem held for write
 * @area: the area, already in @ioas's tree
 *
 * Return: 0, or the error of the first page table that failed; then the
 * area is mapped in none.
 */
int ioasid_hwpts_map_area(struct ioasid_ioas *ioas, struct ioasid_area *area)
{
	struct ioasid_hwpt *hwpt;
	int ret;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	list_for_each_entry(hwpt, &ioas->hwpts, node) {
		ret = map_area(hwpt, ioas, area);
		if (ret)
			goto err_unmap;
	}
	return 0;

err_unmap:
	list_for_each_entry_continue_reverse(hwpt, &ioas->hwpts, node)
		unmap_area(hwpt->domain, ioas, area);
	return ret;
}

/**
 * ioasid_hwpts_unmap_area() - unmap an area from every page table
 * @ioas: the IOAS, with iova_rwsem held for write
 * @area: the area, mapped in all of them
 *
 * When this returns, no attached device reaches the area's pages.
 */
void ioasid_hwpts_unmap_area(struct ioasid_ioas *ioas,
			     struct ioasid_area *area)
{
	struct ioasid_hwpt *hwpt;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	list_for_each_entry(hwpt, &ioas->hwpts, node)
		unmap_area(hwpt->domain, ioas, area);
}

/**
 * ioasid_hwpt_fill() - map every area of an IOAS into a new page table
 * @ioas: the IOAS, with iova_rwsem held for write
 * @hwpt: a table from ioasid_hwpt_create()
 *
 * Return: 0, or the IOMMU's error; then the table is left empty.
 */
int ioasid_hwpt_fill(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	struct iommu_domain *domain = hwpt->domain;
	struct ioasid_area *area, *failed;
	int ret = 0;

	lockdep_assert_held_write(&ioas->iova_rwsem);
	for (area = ioasid_area_first(ioas, 0, ULONG_MAX); area;
	     area = ioasid_area_next(area, 0, ULONG_MAX)) {
		ret = map_area(hwpt, ioas, area);
		if (ret)
			break;
		cond_resched();
	}
	if (!ret)
		return 0;

	failed = area;
	for (area = ioasid_area_first(ioas, 0, ULONG_MAX); area != failed;
	     area = ioasid_area_next(area, 0, ULONG_MAX)) {
		unmap_area(domain, ioas, area);
		cond_resched();
	}
	return ret;
}

/**
 * ioasid_hwpt_suits() - whether a device may join a page table
 * @hwpt: a table of an IOAS
 * @dev: the device
 * @sw_msi: the start of the software MSI window of @dev's group, or
 *          PHYS_ADDR_MAX for none
 *
 * The device's IOMMU has the last word, when the device attaches; this
 * says whether the table is made as the device needs it:
 *
 * - the same cache attribute on its mappings, and no-snoop DMA refused
 *   where the device's IOMMU can refuse it.  A table is made to refuse it
 *   when it is created or never: later, its mappings or its devices may
 *   not allow it;
 * - the same software MSI window: a domain has at most one, which cannot
 *   move once a doorbell is mapped in it.
 *
 * Return: true when @dev may join @hwpt.
 */
bool ioasid_hwpt_suits(struct ioasid_hwpt *hwpt, struct device *dev,
		       phys_addr_t sw_msi)
{
	if (hwpt->sw_msi_base != sw_msi ||
	    hwpt->coherent !=
	    device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		return false;
	return hwpt->enforced ||
	       !device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
}

/* Makes a new, empty @hwpt refuse no-snoop DMA if @dev's IOMMU can. */
static int hwpt_enforce_coherency(struct ioasid_hwpt *hwpt, struct device *dev)
{
	const struct iommu_domain_ops *ops = hwpt->domain->ops;

	if (!device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY))
		return 0;
	hwpt->enforced = ops->enforce_cache_coherency &&
			 ops->enforce_cache_coherency(hwpt->domain);
	return hwpt->enforced ? 0 : -EINVAL;
}

/*
 * An IOMMU that translates MSI writes like any DMA (SMMUv3 in front of a
 * GICv3 ITS) reports an IOMMU_RESV_SW_MSI region and leaves mapping the
 * interrupt controller's doorbell to the table's owner.  The cookie lets
 * the IRQ layer map a doorbell at @base onwards, into the table the
 * device is attached through when its MSI is composed; without one the
 * MSI is composed with the doorbell's physical address and faults.  It
 * must be there before a device attaches, or an MSI composed meanwhile
 * misses it.  iommu_domain_free() frees it with the doorbell mappings.
 */
static int hwpt_set_sw_msi(struct ioasid_hwpt *hwpt, phys_addr_t base)
{
	int ret = 0;

	if (base != PHYS_ADDR_MAX)
		ret = iommu_get_msi_cookie(hwpt->domain, base);
	if (!ret)
		hwpt->sw_msi_base = base;
	return ret;
}

/**
 * ioasid_hwpt_create() - make an empty page table for a device
 * @dev: a device that the new table must suit
 * @sw_msi: the start of the software MSI window of @dev's group, or
 *          PHYS_ADDR_MAX for none
 *
 * The table joins an IOAS's list only through ioasid_hwpt_add(), once it
 * holds the IOAS's mappings and a device is attached to it.
 *
 * Return: the table, or an ERR_PTR: -EINVAL when the device's IOMMU says
 * it can refuse no-snoop DMA and then does not for the new table.
 */
struct ioasid_hwpt *ioasid_hwpt_create(struct device *dev, phys_addr_t sw_msi)
{
	struct ioasid_hwpt *hwpt;
	int ret;

	hwpt = kzalloc(sizeof(*hwpt), GFP_KERNEL_ACCOUNT);
	if (!hwpt)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&hwpt->node);
	hwpt->domain = iommu_paging_domain_alloc(dev);
	if (IS_ERR(hwpt->domain)) {
		ret = PTR_ERR(hwpt->domain);
		kfree(hwpt);
		return ERR_PTR(ret);
	}
	hwpt->coherent = device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY);
	ret = hwpt_enforce_coherency(hwpt, dev);
	if (!ret)
		ret = hwpt_set_sw_msi(hwpt, sw_msi);
	if (ret) {
		ioasid_hwpt_free(hwpt);
		return ERR_PTR(ret);
	}
	return hwpt;
}

/**
 * ioasid_hwpt_add() - count a device attached to a page table
 * @ioas: the IOAS, with iova_rwsem held for write
 * @hwpt: a table of @ioas, or a new one from ioasid_hwpt_create()
 */
void ioasid_hwpt_add(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);
	if (hwpt->users++)
		return;
	list_add_tail(&hwpt->node, &ioas->hwpts);
	/*
	 * The first table can hold the frames of scattered pages; it was
	 * filled from the keeper, if there is one, which can go.
	 */
	if (list_is_singular(&ioas->hwpts)) {
		ioasid_ioas_free_keeper(ioas);
		ioasid_ioas_keep_in_tables(ioas);
	}
}

/**
 * ioasid_hwpt_free() - free a page table no device uses
 * @hwpt: the table, in no IOAS's list
 *
 * Freeing the table drops every IOPTE; the pins belong to the areas.
 */
void ioasid_hwpt_free(struct ioasid_hwpt *hwpt)
{
	iommu_domain_free(hwpt->domain);
	kfree(hwpt);
}

/**
 * ioasid_hwpt_put() - drop a device; the last one frees the table
 * @ioas: the IOAS, with iova_rwsem held for write
 * @hwpt: a table no device is attached to any more through this count
 *
 * Also frees a table from ioasid_hwpt_create() that never had a device.
 * The last table of @ioas is kept instead when frames live only in it
 * (frames.c): this allocates nothing and cannot fail.
 */
void ioasid_hwpt_put(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);
	if (hwpt->users && --hwpt->users)
		return;
	if (list_is_singular(&ioas->hwpts) && ioas->hwpts.next == &hwpt->node &&
	    ioasid_ioas_keep_last_table(ioas, hwpt))
		return;
	list_del(&hwpt->node);
	ioasid_hwpt_free(hwpt);
}
