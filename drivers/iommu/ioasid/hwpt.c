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
 * A table whose IOMMU can record the pages devices write is made able to
 * from the start, so that dirty tracking (dirty.c) can be turned on later
 * without a new table: drivers choose the table's format for it when it
 * is allocated.
 *
 * This file owns the tables themselves: making one for a device, whether
 * a device suits one, counting the devices attached through each and
 * freeing it.  What a table holds, and how mappings get into it and out
 * of it, belongs to frames.c.
 */
#include <linux/iommu.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

#include "../iommu-priv.h"
#include "ioasid_private.h"
#include "trace.h"

/* Numbers tables for fdinfo and the tracepoints; wraps after 2^32. */
static atomic_t hwpt_next_id = ATOMIC_INIT(0);

/**
 * ioasid_hwpt_iopte_prot() - the protection of a mapping's IOPTEs in a table
 * @hwpt: the table
 * @prot: the mapping's IOMMU_READ and IOMMU_WRITE bits
 *
 * Return: @prot, with IOMMU_CACHE when @hwpt's devices snoop CPU caches.
 */
int ioasid_hwpt_iopte_prot(const struct ioasid_hwpt *hwpt, int prot)
{
	return prot | (hwpt->coherent ? IOMMU_CACHE : 0);
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
 * - by the device's IOMMU driver: the IOMMU core leaves it to the caller
 *   to check that before it replaces a group's domain, and another
 *   driver's attach would take the device for one of its own;
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
	if (hwpt->domain->owner != dev_iommu_ops(dev) ||
	    hwpt->sw_msi_base != sw_msi ||
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

/*
 * The IOMMU drivers that report faults through the core call this, before
 * they log the fault as they always do: it only traces it.  -ENOSYS is
 * what the core returns when a domain has no handler, and what ARM SMMU
 * (v2) goes on to log the fault for.
 */
static int hwpt_fault(struct iommu_domain *domain, struct device *dev,
		      unsigned long iova, int flags, void *token)
{
	struct ioasid_hwpt *hwpt = token;

	trace_ioasid_fault(dev, hwpt->id, iova, flags);
	return -ENOSYS;
}

/*
 * A paging domain for @dev, able to record dirty pages when its IOMMU can,
 * and able to have nested domains on it when @nest_parent: only the
 * driver's user allocation takes those requests.
 */
static struct iommu_domain *hwpt_alloc_domain(struct device *dev,
					      bool nest_parent)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_domain *domain;
	u32 flags = 0;

	if (device_iommu_capable(dev, IOMMU_CAP_DIRTY_TRACKING))
		flags |= IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	if (nest_parent)
		flags |= IOMMU_HWPT_ALLOC_NEST_PARENT;
	if (nest_parent && !ops->domain_alloc_user)
		return ERR_PTR(-EOPNOTSUPP);
	if (!ops->domain_alloc_user || !flags)
		return iommu_paging_domain_alloc(dev);
	domain = ops->domain_alloc_user(dev, flags, NULL, NULL);
	if (!IS_ERR(domain))
		domain->owner = ops;
	return domain;
}

/**
 * ioasid_hwpt_create() - make an empty page table for a device
 * @dev: a device that the new table must suit
 * @sw_msi: the start of the software MSI window of @dev's group, or
 *          PHYS_ADDR_MAX for none
 * @nest_parent: make a table nested IOASIDs can nest on
 *
 * The table joins an IOAS's list only through ioasid_hwpt_add(), once it
 * holds the IOAS's mappings and a device is attached to it or a nested
 * IOASID nests on it.
 *
 * Return: the table, or an ERR_PTR: -EINVAL when the device's IOMMU says
 * it can refuse no-snoop DMA and then does not for the new table;
 * -EOPNOTSUPP when it cannot nest and @nest_parent asks for it.
 */
struct ioasid_hwpt *ioasid_hwpt_create(struct device *dev, phys_addr_t sw_msi,
				       bool nest_parent)
{
	struct ioasid_hwpt *hwpt;
	int ret;

	hwpt = kzalloc(sizeof(*hwpt), GFP_KERNEL_ACCOUNT);
	if (!hwpt)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&hwpt->node);
	hwpt->domain = hwpt_alloc_domain(dev, nest_parent);
	if (IS_ERR(hwpt->domain)) {
		ret = PTR_ERR(hwpt->domain);
		kfree(hwpt);
		return ERR_PTR(ret);
	}
	hwpt->id = atomic_inc_return(&hwpt_next_id);
	hwpt->nest_parent = nest_parent;
	iommu_set_fault_handler(hwpt->domain, hwpt_fault, hwpt);
	trace_ioasid_table_create(hwpt->id, dev);
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
 * @hwpt: a table of @ioas, or a new one that ioasid_ioas_fill_table()
 *        filled
 */
void ioasid_hwpt_add(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);
	if (!hwpt->users++)
		ioasid_ioas_add_table(ioas, hwpt);
}

/**
 * ioasid_hwpt_free() - free a page table no device uses
 * @hwpt: the table, in no IOAS's list
 *
 * Freeing the table drops every IOPTE; the pins belong to the areas.
 */
void ioasid_hwpt_free(struct ioasid_hwpt *hwpt)
{
	trace_ioasid_table_free(hwpt->id);
	iommu_domain_free(hwpt->domain);
	kfree(hwpt);
}

/**
 * ioasid_hwpt_put() - drop a device; the last one gives the table back
 * @ioas: the IOAS, with iova_rwsem held for write
 * @hwpt: a table no device is attached to any more through this count
 *
 * Also gives back a table from ioasid_hwpt_create() that never had a
 * device.  ioasid_ioas_remove_table() frees it, or keeps it while it holds
 * frames: this allocates nothing and cannot fail.
 */
void ioasid_hwpt_put(struct ioasid_ioas *ioas, struct ioasid_hwpt *hwpt)
{
	lockdep_assert_held_write(&ioas->iova_rwsem);
	if (hwpt->users && --hwpt->users)
		return;
	ioasid_ioas_remove_table(ioas, hwpt);
}
