// SPDX-License-Identifier: GPL-2.0-only
/*
 * A mock IOMMU for tests, registered with the IOMMU core like a real
 * driver, and the mock devices behind it.  Each device has its own page
 * sizes, aperture and reserved region, so that tests can make devices
 * that share a page table and devices that cannot.  The page table is an
 * xarray of one entry per CPU page of IOVA, which tests can read back.
 *
 * Each device has a PASID table, the domain each of its PASIDs points at,
 * through which tagged DMA is translated; and each domain keeps books of
 * the PASIDs attached to it, as real drivers do to invalidate caches.  A
 * device can be told to model a driver that ignores the domain a PASID
 * leaves (SMMUv3 in 6.12), or to fail a set_dev_pasid() call.
 *
 * A nested domain walks a stage-1 table in the user's memory, of the
 * format ioasid_test.h describes, whose addresses are IOVAs of its parent
 * paging domain; it caches the entries it reads, as an IOTLB does, until
 * the user invalidates them.
 *
 * A device may request pages, as PCIe PRI does, when the test DMA asks
 * it to: the request goes to the IOMMU core's fault handling, through one
 * queue of the mock IOMMU, and the DMA waits for the answer.
 */
#include <linux/bitfield.h>
#include <linux/device.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/ioasid_mock.h>
#include <linux/irqdomain.h>
#include <linux/log2.h>
#include <linux/property.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <uapi/linux/iommufd.h>

#include "../iommu-priv.h"
#include "ioasid_test_private.h"

/**
 * struct mock_dev - a device behind the mock IOMMU
 * @dev: the device
 * @cfg: what its IOMMU supports
 * @users: the test objects that bind it; it is removed with the last
 * @index: its number, in its name
 * @pasids: its PASID table: the domain each PASID's DMA goes through
 * @flags: IOASID_MOCK_F_*, read when a domain is allocated for it
 * @fail_set_pasid: counts set_dev_pasid() calls down to the one that fails
 * @nr_entries: entries naming the device on the books of the domains
 * @prqs: its page requests waiting for an answer, struct ioasid_mock_prq
 *        by group index, of which PRI has 512
 * @iopf: its page requests are enabled
 */
struct mock_dev {
	struct device dev;
	struct ioasid_mock_config cfg;
	refcount_t users;
	int index;
	struct xarray pasids;
	u32 flags;
	atomic_t fail_set_pasid;
	atomic_t nr_entries;
	struct xarray prqs;
	bool iopf;
};

/**
 * struct mock_domain - a page table of the mock IOMMU
 * @domain: the IOMMU core's view of it
 * @ptes: one entry per CPU page of IOVA
 * @snoop: it refuses no-snoop DMA, which its entries then say, as those
 *         of a VT-d second-stage table do
 * @tracking: DMA writes mark the entries they go through dirty
 * @nest_parent: nested domains may be made on it
 * @lock: protects @books
 * @books: struct mock_entry, one for each device PASID attached to it
 */
struct mock_domain {
	struct iommu_domain domain;
	struct xarray ptes;
	bool snoop;
	bool tracking;
	bool nest_parent;
	struct mutex lock;	/* protects books */
	struct list_head books;
};

/**
 * struct mock_nested - a nested domain of the mock IOMMU
 * @md: its books, and the IOMMU core's view of it; its @ptes stay empty
 * @parent: the paging domain whose IOVAs the stage-1 table holds
 * @table: the table's IOVA in @parent
 * @entries: the table's entries
 * @iotlb: the entries read and cached, indexed by stage-1 page, as the
 *         entry shifted right by one (a cached entry is present)
 */
struct mock_nested {
	struct mock_domain md;
	struct mock_domain *parent;
	u64 table;
	u32 entries;
	struct xarray iotlb;
};

/**
 * struct mock_entry - a PASID of a device on the books of a domain
 * @node: in &mock_domain.books
 * @dev: the device, only compared: a stale entry may outlive it
 * @pasid: the PASID
 */
struct mock_entry {
	struct list_head node;
	struct device *dev;
	ioasid_t pasid;
};

/*
 * An entry packs the frame, log2 of the IOMMU page size, whether it
 * refuses no-snoop DMA, whether a device wrote through it while its table
 * tracked dirty pages, and the prot bits it was mapped with.  An IOPTE
 * larger than a CPU page has an entry per CPU page, for lookups; its one
 * dirty bit is that of its first entry, as real IOPTEs have one.
 */
#define MOCK_PTE_PROT_MASK	GENMASK(2, 0)
#define MOCK_PTE_SNOOP		BIT(3)
#define MOCK_PTE_ORDER_SHIFT	4
#define MOCK_PTE_ORDER_MASK	GENMASK(9, 4)
#define MOCK_PTE_DIRTY		BIT(10)
#define MOCK_PTE_PFN_SHIFT	11

static int ioasid_mock_bus_match(struct device *dev,
				 const struct device_driver *drv);

static const struct bus_type mock_bus = {
	.name = "ioasid_mock",
	.match = ioasid_mock_bus_match,
};

static const struct iommu_domain_ops mock_paging_ops;
static const struct iommu_domain_ops mock_paging_keep_old_ops;
static const struct iommu_domain_ops mock_nested_ops;
static struct iommu_device mock_iommu;
static struct notifier_block mock_bus_nb;
static struct fwnode_handle *mock_fwnode;
static DEFINE_IDA(mock_ida);

/*
 * Mock devices send no MSIs: the MSI domain they all point at is one that
 * allocates nothing and says its MSIs are isolated, so that the IOMMU
 * core reports their groups as isolated and binding treats them as it
 * treats devices behind interrupt remapping.
 */
static struct fwnode_handle *ioasid_mock_msi_fwnode;
static struct irq_domain *ioasid_mock_msi_domain;
static const struct irq_domain_ops ioasid_mock_msi_ops = {};

static struct mock_dev *to_mock_dev(struct device *dev)
{
	return container_of(dev, struct mock_dev, dev);
}

/* A device made for a driver is probed by that driver; others by none. */
static int ioasid_mock_bus_match(struct device *dev,
				 const struct device_driver *drv)
{
	const char *name = to_mock_dev(dev)->cfg.driver;

	return name && !strcmp(name, drv->name);
}

static struct mock_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

static bool ioasid_mock_is_paging(const struct iommu_domain *domain)
{
	return domain && (domain->ops == &mock_paging_ops ||
			  domain->ops == &mock_paging_keep_old_ops);
}

static bool ioasid_mock_is_nested(const struct iommu_domain *domain)
{
	return domain && domain->ops == &mock_nested_ops;
}

static struct mock_nested *to_mock_nested(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_nested, md.domain);
}

/* The domain ops a device's new page tables get. */
static const struct iommu_domain_ops *
ioasid_mock_dev_paging_ops(struct device *dev)
{
	if (READ_ONCE(to_mock_dev(dev)->flags) & IOASID_MOCK_F_PASID_KEEPS_OLD)
		return &mock_paging_keep_old_ops;
	return &mock_paging_ops;
}

static void *ioasid_mock_make_pte(struct mock_domain *md, unsigned long pfn,
				  size_t pgsize, int prot)
{
	return xa_mk_value(pfn << MOCK_PTE_PFN_SHIFT |
			   ilog2(pgsize) << MOCK_PTE_ORDER_SHIFT |
			   (md->snoop ? MOCK_PTE_SNOOP : 0) |
			   (prot & MOCK_PTE_PROT_MASK));
}

static int ioasid_mock_map_pages(struct iommu_domain *domain,
				 unsigned long iova, phys_addr_t paddr,
				 size_t pgsize, size_t pgcount, int prot,
				 gfp_t gfp, size_t *mapped)
{
	struct mock_domain *md = to_mock_domain(domain);
	unsigned long first = iova >> PAGE_SHIFT, pfn = PHYS_PFN(paddr);
	unsigned long n = (pgsize >> PAGE_SHIFT) * pgcount, i;
	int ret;

	/* Like hardware, refuse to replace an entry that is present. */
	for (i = 0; i < n; i++) {
		void *pte = ioasid_mock_make_pte(md, pfn + i, pgsize, prot);

		ret = xa_insert(&md->ptes, first + i, pte, gfp);
		if (ret)
			goto err_erase;
	}
	*mapped = pgsize * pgcount;
	return 0;

err_erase:
	while (i--)
		xa_erase(&md->ptes, first + i);
	return ret == -EBUSY ? -EEXIST : ret;
}

static size_t ioasid_mock_unmap_pages(struct iommu_domain *domain,
				      unsigned long iova, size_t pgsize,
				      size_t pgcount,
				      struct iommu_iotlb_gather *gather)
{
	struct mock_domain *md = to_mock_domain(domain);
	unsigned long first = iova >> PAGE_SHIFT;
	unsigned long n = (pgsize >> PAGE_SHIFT) * pgcount, i;

	/* Stops at the first hole, as a page table walk would. */
	for (i = 0; i < n; i++)
		if (!xa_erase(&md->ptes, first + i))
			break;
	return i << PAGE_SHIFT;
}

static phys_addr_t ioasid_mock_iova_to_phys(struct iommu_domain *domain,
					    dma_addr_t iova)
{
	struct mock_domain *md = to_mock_domain(domain);
	void *pte = xa_load(&md->ptes, iova >> PAGE_SHIFT);

	if (!pte)
		return 0;
	return PFN_PHYS(xa_to_value(pte) >> MOCK_PTE_PFN_SHIFT) |
	       (iova & ~PAGE_MASK);
}

/*
 * A device joins a table only if it has the same page sizes and aperture,
 * and, to a table that refuses no-snoop DMA, only if it can refuse it.
 */
static int ioasid_mock_attach_paging(struct iommu_domain *domain,
				     struct device *dev)
{
	struct ioasid_mock_config *cfg = &to_mock_dev(dev)->cfg;

	if (domain->pgsize_bitmap != cfg->pgsize_bitmap ||
	    domain->geometry.aperture_start != cfg->aperture_start ||
	    domain->geometry.aperture_end != cfg->aperture_last ||
	    domain->ops != ioasid_mock_dev_paging_ops(dev))
		return -EINVAL;
	if (to_mock_domain(domain)->snoop &&
	    !(cfg->flags & IOASID_MOCK_ENFORCE_SNOOP))
		return -EINVAL;
	/* Like VT-d without second-stage A/D bits. */
	if (domain->dirty_ops && cfg->flags & IOASID_MOCK_NO_DIRTY)
		return -EINVAL;
	return 0;
}

/* Like a VT-d second-stage table: only before the first mapping. */
static bool ioasid_mock_enforce_cache_coherency(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);

	if (!md->snoop && !xa_empty(&md->ptes))
		return false;
	md->snoop = true;
	return true;
}

/* Takes @dev's @pasid off the books of @domain; false if it was not on. */
static bool ioasid_mock_entry_remove(struct iommu_domain *domain,
				     struct device *dev, ioasid_t pasid)
{
	struct mock_domain *md;
	struct mock_entry *entry;
	bool found = false;

	if (!ioasid_mock_is_paging(domain) && !ioasid_mock_is_nested(domain))
		return false;
	md = to_mock_domain(domain);
	mutex_lock(&md->lock);
	list_for_each_entry(entry, &md->books, node) {
		if (entry->dev == dev && entry->pasid == pasid) {
			list_del(&entry->node);
			kfree(entry);
			found = true;
			break;
		}
	}
	mutex_unlock(&md->lock);
	if (found)
		atomic_dec(&to_mock_dev(dev)->nr_entries);
	return found;
}

/*
 * Points @pasid at @domain and puts it on @domain's books.  A domain that
 * opted in to replacing takes the PASID off the books of @old; the other
 * kind ignores @old, as SMMUv3 in 6.12 does, and leaves a stale entry.
 */
static int ioasid_mock_set_dev_pasid(struct iommu_domain *domain,
				     struct device *dev, ioasid_t pasid,
				     struct iommu_domain *old)
{
	struct mock_dev *mock = to_mock_dev(dev);
	struct mock_domain *md = to_mock_domain(domain);
	struct mock_entry *entry;
	int ret;

	/* Test-only fault injection: the armed call fails, once. */
	if (atomic_dec_if_positive(&mock->fail_set_pasid) == 0)
		return -EIO;
	ret = domain->ops->attach_dev(domain, dev);
	if (ret)
		return ret;
	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry)
		return -ENOMEM;
	ret = xa_err(xa_store(&mock->pasids, pasid, domain, GFP_KERNEL));
	if (ret) {
		kfree(entry);
		return ret;
	}
	entry->dev = dev;
	entry->pasid = pasid;
	mutex_lock(&md->lock);
	list_add_tail(&entry->node, &md->books);
	mutex_unlock(&md->lock);
	atomic_inc(&mock->nr_entries);
	if (old && domain->ops->set_dev_pasid_replaces)
		ioasid_mock_entry_remove(old, dev, pasid);
	return 0;
}

/* Like VT-d, warns when @pasid was not attached to @domain. */
static void ioasid_mock_remove_dev_pasid(struct device *dev, ioasid_t pasid,
					 struct iommu_domain *domain)
{
	xa_erase(&to_mock_dev(dev)->pasids, pasid);
	WARN_ON_ONCE(!ioasid_mock_entry_remove(domain, dev, pasid));
}

/* Entries erased between two chances to reschedule. */
#define FREE_BATCH	512

/*
 * A table may hold gigabytes of 4 KiB pages: erase it an entry at a time,
 * giving the CPU up every batch, rather than all at once under its lock.
 * Entries left on the books are what a driver that ignores old leaked.
 */
static void ioasid_mock_books_free(struct mock_domain *md)
{
	struct mock_entry *entry, *next;

	WARN_ON(md->domain.ops->set_dev_pasid_replaces &&
		!list_empty(&md->books));
	list_for_each_entry_safe(entry, next, &md->books, node)
		kfree(entry);
	mutex_destroy(&md->lock);
}

static void ioasid_mock_domain_free(struct iommu_domain *domain)
{
	struct mock_domain *md = to_mock_domain(domain);
	unsigned long index, n = 0;
	void *pte;

	ioasid_mock_books_free(md);
	xa_for_each(&md->ptes, index, pte) {
		xa_erase(&md->ptes, index);
		if (!(++n % FREE_BATCH))
			cond_resched();
	}
	xa_destroy(&md->ptes);
	kfree(md);
}

static const struct iommu_domain_ops mock_paging_ops = {
	.attach_dev = ioasid_mock_attach_paging,
	.set_dev_pasid = ioasid_mock_set_dev_pasid,
	.set_dev_pasid_replaces = true,
	.map_pages = ioasid_mock_map_pages,
	.unmap_pages = ioasid_mock_unmap_pages,
	.iova_to_phys = ioasid_mock_iova_to_phys,
	.enforce_cache_coherency = ioasid_mock_enforce_cache_coherency,
	.free = ioasid_mock_domain_free,
};

/* A driver that has not opted in to replacing a PASID's domain. */
static const struct iommu_domain_ops mock_paging_keep_old_ops = {
	.attach_dev = ioasid_mock_attach_paging,
	.set_dev_pasid = ioasid_mock_set_dev_pasid,
	.map_pages = ioasid_mock_map_pages,
	.unmap_pages = ioasid_mock_unmap_pages,
	.iova_to_phys = ioasid_mock_iova_to_phys,
	.enforce_cache_coherency = ioasid_mock_enforce_cache_coherency,
	.free = ioasid_mock_domain_free,
};

static struct iommu_domain *ioasid_mock_domain_alloc_paging(struct device *dev)
{
	struct ioasid_mock_config *cfg = &to_mock_dev(dev)->cfg;
	struct mock_domain *md;

	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md)
		return ERR_PTR(-ENOMEM);
	xa_init(&md->ptes);
	mutex_init(&md->lock);
	INIT_LIST_HEAD(&md->books);
	md->domain.ops = ioasid_mock_dev_paging_ops(dev);
	md->domain.pgsize_bitmap = cfg->pgsize_bitmap;
	md->domain.geometry.aperture_start = cfg->aperture_start;
	md->domain.geometry.aperture_end = cfg->aperture_last;
	md->domain.geometry.force_aperture = true;
	return &md->domain;
}

static int ioasid_mock_set_dirty_tracking(struct iommu_domain *domain,
					  bool enabled)
{
	WRITE_ONCE(to_mock_domain(domain)->tracking, enabled);
	return 0;
}

/* Sets @set and clears @clear in entry @index unless it changed meanwhile. */
static bool ioasid_mock_pte_update(struct mock_domain *md, unsigned long index,
				   void *slot, unsigned long set,
				   unsigned long clear)
{
	unsigned long entry = (xa_to_value(slot) | set) & ~clear;

	return xa_cmpxchg(&md->ptes, index, slot, xa_mk_value(entry),
			  GFP_ATOMIC) == slot;
}

/* The CPU pages of the IOPTE whose entry is @slot. */
static unsigned long ioasid_mock_pte_pages(void *slot)
{
	return 1UL << (FIELD_GET(MOCK_PTE_ORDER_MASK, xa_to_value(slot)) -
		       PAGE_SHIFT);
}

/*
 * The first entry of the IOPTE that holds entry @index, @slot: the one
 * with its dirty bit, or NULL when an unmap took it already.  *@head gets
 * its index.
 */
static void *ioasid_mock_pte_head(struct mock_domain *md, unsigned long index,
				  void *slot, unsigned long *head)
{
	*head = ALIGN_DOWN(index, ioasid_mock_pte_pages(slot));
	return *head == index ? slot : xa_load(&md->ptes, *head);
}

/* Records the dirty run of IOVAs [@start, @last], if there is one. */
static void ioasid_mock_record_run(struct iommu_dirty_bitmap *dirty,
				   bool found, unsigned long start,
				   unsigned long last)
{
	if (found)
		iommu_dirty_bitmap_record(dirty, start, last - start + 1);
}

/*
 * Reports the dirty IOPTEs of the range, an IOPTE at a time as a walk of
 * the hardware's table would, each read and cleared on its own; adjacent
 * dirty IOPTEs are recorded as one run.  The walk holds the table's lock,
 * under which clearing a bit replaces a value and allocates nothing; it
 * lets go of it to record a run, which may fault the bitmap in, and now
 * and then.  An IOPTE being unmapped may have lost its first entry
 * already: it is no longer dirty.
 */
static int ioasid_mock_read_and_clear_dirty(struct iommu_domain *domain,
					    unsigned long iova, size_t size,
					    unsigned long flags,
					    struct iommu_dirty_bitmap *dirty)
{
	struct mock_domain *md = to_mock_domain(domain);
	unsigned long last = iova + size - 1, run = 0, run_last = 0, n = 0;
	unsigned long head, pages, entry, done = 0, done_last = 0;
	XA_STATE(xas, &md->ptes, iova >> PAGE_SHIFT);
	bool found = false, flush = false;
	void *slot;

	xas_lock(&xas);
	xas_for_each(&xas, slot, last >> PAGE_SHIFT) {
		if (xas_retry(&xas, slot))
			continue;
		pages = ioasid_mock_pte_pages(slot);
		head = ALIGN_DOWN(xas.xa_index, pages);
		if (head != xas.xa_index) {
			xas_set(&xas, head);
			slot = xas_load(&xas);
		}
		entry = slot ? xa_to_value(slot) : 0;
		if (entry & MOCK_PTE_DIRTY) {
			unsigned long start = max(head << PAGE_SHIFT, iova);

			if (found && start != run_last + 1) {
				flush = true;
				done = run;
				done_last = run_last;
			}
			if (!found || flush)
				run = start;
			found = true;
			run_last = min(((head + pages) << PAGE_SHIFT) - 1, last);
			if (!(flags & IOMMU_DIRTY_NO_CLEAR))
				xas_store(&xas,
					  xa_mk_value(entry & ~MOCK_PTE_DIRTY));
		}
		/* Past a large IOPTE, the walk goes on from the top. */
		if (pages > 1) {
			if (!(head + pages))
				break;
			xas_set(&xas, head + pages);
		}
		if (flush || !(++n % FREE_BATCH)) {
			xas_pause(&xas);
			xas_unlock(&xas);
			ioasid_mock_record_run(dirty, flush, done, done_last);
			flush = false;
			cond_resched();
			xas_lock(&xas);
		}
	}
	xas_unlock(&xas);
	ioasid_mock_record_run(dirty, found, run, run_last);
	return 0;
}

static const struct iommu_dirty_ops mock_dirty_ops = {
	.set_dirty_tracking = ioasid_mock_set_dirty_tracking,
	.read_and_clear_dirty = ioasid_mock_read_and_clear_dirty,
};

/* A device reaches a nested domain if it could join the parent. */
static int ioasid_mock_attach_nested(struct iommu_domain *domain,
				     struct device *dev)
{
	if (to_mock_dev(dev)->cfg.flags & IOASID_MOCK_NO_NEST)
		return -EINVAL;
	return ioasid_mock_attach_paging(&to_mock_nested(domain)->parent->domain,
					 dev);
}

static void ioasid_mock_nested_free(struct iommu_domain *domain)
{
	struct mock_nested *mn = to_mock_nested(domain);

	ioasid_mock_books_free(&mn->md);
	xa_destroy(&mn->iotlb);
	kfree(mn);
}

/* Drops the cached entries one invalidation entry names. */
static int ioasid_mock_invalidate_one(struct mock_nested *mn,
				      const struct ioasid_mock_s1_invalidate *inv)
{
	unsigned long first = inv->iova >> PAGE_SHIFT, index;
	unsigned long last = first + inv->npages - 1;
	void *entry;

	if (inv->flags & ~IOASID_MOCK_S1_INV_ALL)
		return -EOPNOTSUPP;
	if (inv->flags & IOASID_MOCK_S1_INV_ALL) {
		first = 0;
		last = ULONG_MAX;
	} else if (!PAGE_ALIGNED(inv->iova) || !inv->npages) {
		return -EINVAL;
	}
	/* Bounded by the table's entries, whatever the range says. */
	xa_for_each_range(&mn->iotlb, index, entry, first, last) {
		xa_erase(&mn->iotlb, index);
		cond_resched();
	}
	return 0;
}

/* Carries out the entries in order, and says how many it did. */
static int ioasid_mock_cache_invalidate(struct iommu_domain *domain,
					struct iommu_user_data_array *array)
{
	struct mock_nested *mn = to_mock_nested(domain);
	struct ioasid_mock_s1_invalidate inv;
	u32 done = 0;
	int ret = 0;

	for (; done < array->entry_num; done++) {
		ret = iommu_copy_struct_from_user_array(&inv, array,
							IOASID_MOCK_INVALIDATE_S1,
							done, flags);
		if (!ret)
			ret = ioasid_mock_invalidate_one(mn, &inv);
		if (ret)
			break;
	}
	array->entry_num = done;
	return ret;
}

static const struct iommu_domain_ops mock_nested_ops = {
	.attach_dev = ioasid_mock_attach_nested,
	.set_dev_pasid = ioasid_mock_set_dev_pasid,
	.set_dev_pasid_replaces = true,
	.cache_invalidate_user = ioasid_mock_cache_invalidate,
	.free = ioasid_mock_nested_free,
};

/* A nested domain on @parent, for the table @user_data describes. */
static struct iommu_domain *
ioasid_mock_nested_alloc(struct device *dev, struct iommu_domain *parent,
			 const struct iommu_user_data *user_data)
{
	struct ioasid_mock_s1 s1;
	struct mock_nested *mn;
	int ret;

	if (!user_data || user_data->type != IOASID_MOCK_HWPT_DATA_S1 ||
	    to_mock_dev(dev)->cfg.flags & IOASID_MOCK_NO_NEST)
		return ERR_PTR(-EOPNOTSUPP);
	if (!ioasid_mock_is_paging(parent) ||
	    !to_mock_domain(parent)->nest_parent)
		return ERR_PTR(-EINVAL);
	/* The device must be able to reach the parent's table. */
	ret = ioasid_mock_attach_paging(parent, dev);
	if (ret)
		return ERR_PTR(ret);
	ret = iommu_copy_struct_from_user(&s1, user_data,
					  IOASID_MOCK_HWPT_DATA_S1, flags);
	if (ret)
		return ERR_PTR(ret);
	if (s1.flags)
		return ERR_PTR(-EOPNOTSUPP);
	if (!PAGE_ALIGNED(s1.table) || !s1.entries ||
	    s1.entries > IOASID_MOCK_S1_MAX_ENTRIES)
		return ERR_PTR(-EINVAL);

	mn = kzalloc(sizeof(*mn), GFP_KERNEL_ACCOUNT);
	if (!mn)
		return ERR_PTR(-ENOMEM);
	mutex_init(&mn->md.lock);
	INIT_LIST_HEAD(&mn->md.books);
	xa_init(&mn->md.ptes);
	xa_init(&mn->iotlb);
	mn->parent = to_mock_domain(parent);
	mn->table = s1.table;
	mn->entries = s1.entries;
	mn->md.domain.type = IOMMU_DOMAIN_NESTED;
	mn->md.domain.ops = &mock_nested_ops;
	return &mn->md.domain;
}

/*
 * Tables that can track dirty pages or be nested on, and nested tables,
 * come only from here, as in iommufd.
 */
static struct iommu_domain *
ioasid_mock_domain_alloc_user(struct device *dev, u32 flags,
			      struct iommu_domain *parent,
			      const struct iommu_user_data *user_data)
{
	u32 cfg_flags = to_mock_dev(dev)->cfg.flags;
	struct iommu_domain *domain;

	if (parent)
		return flags ? ERR_PTR(-EOPNOTSUPP) :
			       ioasid_mock_nested_alloc(dev, parent, user_data);
	if (user_data || flags & ~(IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				   IOMMU_HWPT_ALLOC_NEST_PARENT))
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING &&
	     cfg_flags & IOASID_MOCK_NO_DIRTY) ||
	    (flags & IOMMU_HWPT_ALLOC_NEST_PARENT &&
	     cfg_flags & IOASID_MOCK_NO_NEST))
		return ERR_PTR(-EOPNOTSUPP);
	domain = ioasid_mock_domain_alloc_paging(dev);
	if (IS_ERR(domain))
		return domain;
	domain->type = IOMMU_DOMAIN_UNMANAGED;
	if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
		domain->dirty_ops = &mock_dirty_ops;
	to_mock_domain(domain)->nest_parent =
		flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	return domain;
}

/* Says which stage-1 formats the device's IOMMU reads. */
static void *ioasid_mock_hw_info(struct device *dev, u32 *length, u32 *type)
{
	struct ioasid_mock_hw_info *info;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	if (!(to_mock_dev(dev)->cfg.flags & IOASID_MOCK_NO_NEST))
		info->nest_formats = BIT_ULL(IOASID_NEST_FORMAT_MOCK);
	*length = sizeof(*info);
	*type = IOASID_MOCK_HW_INFO_TYPE;
	return info;
}

static int ioasid_mock_attach_static(struct iommu_domain *domain,
				     struct device *dev)
{
	return 0;
}

static const struct iommu_domain_ops mock_static_ops = {
	.attach_dev = ioasid_mock_attach_static,
};

static struct iommu_domain mock_blocked_domain = {
	.type = IOMMU_DOMAIN_BLOCKED,
	.ops = &mock_static_ops,
};

static struct iommu_domain mock_identity_domain = {
	.type = IOMMU_DOMAIN_IDENTITY,
	.ops = &mock_static_ops,
};

static bool ioasid_mock_capable(struct device *dev, enum iommu_cap cap)
{
	u32 flags = to_mock_dev(dev)->cfg.flags;

	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return !(flags & IOASID_MOCK_INCOHERENT);
	case IOMMU_CAP_ENFORCE_CACHE_COHERENCY:
		return flags & IOASID_MOCK_ENFORCE_SNOOP;
	case IOMMU_CAP_DIRTY_TRACKING:
		return !(flags & IOASID_MOCK_NO_DIRTY);
	default:
		return false;
	}
}

static struct iommu_device *ioasid_mock_probe_device(struct device *dev)
{
	if (dev->bus != &mock_bus)
		return ERR_PTR(-ENODEV);
	return &mock_iommu;
}

static void ioasid_mock_get_resv_regions(struct device *dev,
					 struct list_head *head)
{
	struct ioasid_mock_config *cfg = &to_mock_dev(dev)->cfg;
	struct iommu_resv_region *region;

	if (!cfg->resv_length)
		return;
	region = iommu_alloc_resv_region(cfg->resv_start, cfg->resv_length, 0,
					 IOMMU_RESV_RESERVED, GFP_KERNEL);
	if (region)
		list_add_tail(&region->list, head);
}

/* Without IOMMU_DMA on every test kernel, unowned devices pass through. */
static int ioasid_mock_def_domain_type(struct device *dev)
{
	return IOMMU_DOMAIN_IDENTITY;
}

/* Devices asked to share a group model functions behind one bridge. */
static struct iommu_group *ioasid_mock_device_group(struct device *dev)
{
	struct iommu_group *group = to_mock_dev(dev)->cfg.group;

	return group ? iommu_group_ref_get(group) : generic_device_group(dev);
}

/* Where the IOMMU core queues the page requests of mock devices. */
static struct iopf_queue *mock_iopf_queue;

static int ioasid_mock_dev_enable_feat(struct device *dev,
				       enum iommu_dev_features feat)
{
	struct mock_dev *mock = to_mock_dev(dev);
	int ret;

	if (feat != IOMMU_DEV_FEAT_IOPF ||
	    mock->cfg.flags & IOASID_MOCK_NO_PRI)
		return -ENODEV;
	if (mock->iopf)
		return -EBUSY;
	ret = iopf_queue_add_device(mock_iopf_queue, dev);
	if (!ret)
		WRITE_ONCE(mock->iopf, true);
	return ret;
}

static int ioasid_mock_dev_disable_feat(struct device *dev,
					enum iommu_dev_features feat)
{
	struct mock_dev *mock = to_mock_dev(dev);

	if (feat != IOMMU_DEV_FEAT_IOPF || !mock->iopf)
		return -EINVAL;
	WRITE_ONCE(mock->iopf, false);
	/* Answers what the core still holds as invalid, as a driver must. */
	iopf_queue_remove_device(mock_iopf_queue, dev);
	return 0;
}

/* Hands the answer to the DMA that waits for it; late ones find none. */
static void ioasid_mock_page_response(struct device *dev,
				      struct iopf_fault *evt,
				      struct iommu_page_response *msg)
{
	struct mock_dev *mock = to_mock_dev(dev);
	struct ioasid_mock_prq *prq;

	xa_lock(&mock->prqs);
	prq = __xa_erase(&mock->prqs, msg->grpid);
	if (prq) {
		prq->code = msg->code;
		complete(&prq->done);
	}
	xa_unlock(&mock->prqs);
}

static const struct iommu_ops mock_ops = {
	.owner = THIS_MODULE,
	.pgsize_bitmap = PAGE_SIZE,
	.capable = ioasid_mock_capable,
	.hw_info = ioasid_mock_hw_info,
	.probe_device = ioasid_mock_probe_device,
	.device_group = ioasid_mock_device_group,
	.get_resv_regions = ioasid_mock_get_resv_regions,
	.def_domain_type = ioasid_mock_def_domain_type,
	.dev_enable_feat = ioasid_mock_dev_enable_feat,
	.dev_disable_feat = ioasid_mock_dev_disable_feat,
	.page_response = ioasid_mock_page_response,
	.remove_dev_pasid = ioasid_mock_remove_dev_pasid,
	.domain_alloc_paging = ioasid_mock_domain_alloc_paging,
	.domain_alloc_user = ioasid_mock_domain_alloc_user,
	.identity_domain = &mock_identity_domain,
	.blocked_domain = &mock_blocked_domain,
	.release_domain = &mock_blocked_domain,
	.default_domain_ops = &mock_paging_ops,
};

static void ioasid_mock_read_pte(struct mock_domain *md, unsigned long iova,
				 void *slot, struct ioasid_mock_pte *pte)
{
	unsigned long entry = xa_to_value(slot), head;

	pte->pfn = entry >> MOCK_PTE_PFN_SHIFT;
	pte->pgsize = 1UL << FIELD_GET(MOCK_PTE_ORDER_MASK, entry);
	pte->prot = entry & MOCK_PTE_PROT_MASK;
	pte->snoop = entry & MOCK_PTE_SNOOP;
	slot = ioasid_mock_pte_head(md, iova >> PAGE_SHIFT, slot, &head);
	pte->dirty = slot && xa_to_value(slot) & MOCK_PTE_DIRTY;
	pte->s1_prot = IOMMU_READ | IOMMU_WRITE;
	pte->fault_stage = 0;
}

/*
 * Reads entry @index of @mn's stage-1 table, from its IOTLB or through
 * the parent, and caches it when present.  -ENOENT or -EPERM, with the
 * stage that faulted in @pte, when it cannot.
 */
static int ioasid_mock_read_s1(struct mock_nested *mn, unsigned long index,
			       u64 *entry, struct ioasid_mock_pte *pte)
{
	u64 addr = mn->table + index * sizeof(u64);
	void *cached = xa_load(&mn->iotlb, index);
	u8 *va;
	int ret;

	if (cached) {
		*entry = (u64)xa_to_value(cached) << 1 | IOASID_MOCK_S1_PRESENT;
		return 0;
	}
	ret = ioasid_mock_translate(&mn->parent->domain, addr, pte);
	if (!ret && !(pte->prot & IOMMU_READ))
		ret = -EPERM;
	if (ret) {
		pte->fault_stage = 2;
		return ret;
	}
	va = kmap_local_page(pfn_to_page(pte->pfn));
	*entry = le64_to_cpu(READ_ONCE(*(__le64 *)(va + offset_in_page(addr))));
	kunmap_local(va);
	if (!(*entry & IOASID_MOCK_S1_PRESENT)) {
		pte->fault_stage = 1;
		return -ENOENT;
	}
	/* Without memory to cache it, the next walk reads it again. */
	xa_store(&mn->iotlb, index, xa_mk_value(*entry >> 1), GFP_KERNEL);
	return 0;
}

/* The parent IOVA stage 1 of @mn translates @iova to, in *@out. */
static int ioasid_mock_walk_s1(struct mock_nested *mn, unsigned long iova,
			       unsigned long *out, struct ioasid_mock_pte *pte)
{
	unsigned long index = iova / SZ_4K;
	u64 entry;
	int ret;

	if (index >= mn->entries) {
		pte->fault_stage = 1;
		return -ENOENT;
	}
	ret = ioasid_mock_read_s1(mn, index, &entry, pte);
	if (ret)
		return ret;
	*out = (entry & GENMASK_ULL(63, 12)) | (iova & (SZ_4K - 1));
	pte->s1_prot = (entry & IOASID_MOCK_S1_READ ? IOMMU_READ : 0) |
		       (entry & IOASID_MOCK_S1_WRITE ? IOMMU_WRITE : 0);
	return 0;
}

/**
 * ioasid_mock_translate() - look up an IOVA as a mock device's DMA would
 * @domain: the domain the DMA goes through, or NULL
 * @iova: the IOVA
 * @pte: the entry found
 *
 * Through a nested domain, the walk reads stage 1 through the parent and
 * then the parent's entry for what stage 1 output.
 *
 * Return: 0, -ENODEV when @domain is not a mock paging or nested domain,
 * -ENOENT when nothing is mapped at @iova, or -EPERM when a nested
 * domain's table is not readable through the parent; @pte says which
 * stage of a nested domain faulted.
 */
int ioasid_mock_translate(struct iommu_domain *domain, unsigned long iova,
			  struct ioasid_mock_pte *pte)
{
	struct mock_nested *mn;
	unsigned long out;
	int s1_prot, ret;
	void *slot;

	if (ioasid_mock_is_nested(domain)) {
		mn = to_mock_nested(domain);
		ret = ioasid_mock_walk_s1(mn, iova, &out, pte);
		if (ret)
			return ret;
		s1_prot = pte->s1_prot;
		ret = ioasid_mock_translate(&mn->parent->domain, out, pte);
		pte->s1_prot = s1_prot;
		pte->fault_stage = ret ? 2 : 0;
		return ret;
	}
	if (!ioasid_mock_is_paging(domain))
		return -ENODEV;
	slot = xa_load(&to_mock_domain(domain)->ptes, iova >> PAGE_SHIFT);
	if (!slot) {
		pte->fault_stage = 0;
		return -ENOENT;
	}
	ioasid_mock_read_pte(to_mock_domain(domain), iova, slot, pte);
	return 0;
}

/**
 * ioasid_mock_mark_dirty() - record a DMA write as the IOMMU's walk would
 * @domain: the mock paging domain the write went through
 * @iova: an IOVA written
 *
 * While the table tracks, the write marks the IOPTE that holds @iova
 * dirty, in its first entry; through a nested domain, the parent's IOPTE
 * that stage 1 translates @iova to.
 */
void ioasid_mock_mark_dirty(struct iommu_domain *domain, unsigned long iova)
{
	struct mock_domain *md = to_mock_domain(domain);
	unsigned long index = iova >> PAGE_SHIFT, head;
	struct ioasid_mock_pte pte;
	void *slot;

	/* Stage 2 records what devices write through a nested domain. */
	if (ioasid_mock_is_nested(domain)) {
		md = to_mock_nested(domain)->parent;
		if (ioasid_mock_walk_s1(to_mock_nested(domain), iova, &index,
					&pte))
			return;
		index >>= PAGE_SHIFT;
	}
	if (!READ_ONCE(md->tracking))
		return;
	do {
		slot = xa_load(&md->ptes, index);
		if (!slot)
			return;
		slot = ioasid_mock_pte_head(md, index, slot, &head);
	} while (slot && !(xa_to_value(slot) & MOCK_PTE_DIRTY) &&
		 !ioasid_mock_pte_update(md, head, slot, MOCK_PTE_DIRTY, 0));
}

/**
 * ioasid_mock_pasid_domain() - the domain a mock device's PASID points at
 * @dev: a mock device
 * @pasid: the PASID
 *
 * The caller keeps the domain from being freed, as the IOMMU core's lock
 * or the attachment's would.
 *
 * Return: the domain in @dev's PASID table, or NULL: DMA is blocked.
 */
struct iommu_domain *ioasid_mock_pasid_domain(struct device *dev,
					      ioasid_t pasid)
{
	return xa_load(&to_mock_dev(dev)->pasids, pasid);
}

/**
 * ioasid_mock_device_config() - change how the mock IOMMU treats a device
 * @dev: a mock device
 * @flags: IOASID_MOCK_F_*; page tables allocated from then on follow them
 * @fail_set_pasid: N > 0 fails the N-th set_dev_pasid() call on @dev from
 *                  now on with -EIO, once; 0 for none
 * @nr_entries: output: entries naming @dev on the books of the domains
 *
 * Return: 0, or -EOPNOTSUPP for an unknown flag.
 */
int ioasid_mock_device_config(struct device *dev, u32 flags,
			      u32 fail_set_pasid, u32 *nr_entries)
{
	struct mock_dev *mock = to_mock_dev(dev);

	if (flags & ~IOASID_MOCK_F_PASID_KEEPS_OLD ||
	    fail_set_pasid > INT_MAX)
		return -EOPNOTSUPP;
	WRITE_ONCE(mock->flags, flags);
	atomic_set(&mock->fail_set_pasid, fail_set_pasid);
	*nr_entries = atomic_read(&mock->nr_entries);
	return 0;
}

/**
 * ioasid_mock_page_request() - request a page, as a device with PRI would
 * @dev: a mock device, whose DMA to @iova faulted at stage 1
 * @pasid: the PASID the DMA was tagged with, or IOMMU_NO_PASID
 * @iova: the IOVA
 * @write: the DMA writes
 * @prq: the request, to be waited for with ioasid_mock_page_wait()
 *
 * The IOMMU core hands the request to the handler of the domain that the
 * requester ID or @pasid is attached to, or answers it as invalid when
 * there is none: either way an answer comes.
 *
 * Return: 0; -EOPNOTSUPP when @dev's page requests are not enabled; or
 * -EBUSY when @dev has 512 requests waiting already.
 */
int ioasid_mock_page_request(struct device *dev, ioasid_t pasid,
			     unsigned long iova, bool write,
			     struct ioasid_mock_prq *prq)
{
	struct mock_dev *mock = to_mock_dev(dev);
	struct iopf_fault evt = {
		.fault.type = IOMMU_FAULT_PAGE_REQ,
		.fault.prm.flags = IOMMU_FAULT_PAGE_REQUEST_LAST_PAGE,
		.fault.prm.perm = write ? IOMMU_FAULT_PERM_WRITE :
					  IOMMU_FAULT_PERM_READ,
		.fault.prm.addr = iova & PAGE_MASK,
	};
	int ret;

	if (!READ_ONCE(mock->iopf))
		return -EOPNOTSUPP;
	init_completion(&prq->done);
	ret = xa_alloc(&mock->prqs, &prq->grpid, prq, XA_LIMIT(0, 511),
		       GFP_KERNEL);
	if (ret)
		return ret;
	evt.fault.prm.grpid = prq->grpid;
	if (pasid != IOMMU_NO_PASID) {
		evt.fault.prm.flags |= IOMMU_FAULT_PAGE_REQUEST_PASID_VALID;
		evt.fault.prm.pasid = pasid;
	}
	iommu_report_device_fault(dev, &evt);
	return 0;
}

/**
 * ioasid_mock_page_wait() - wait for the answer to a page request
 * @dev: the device
 * @prq: its request, from ioasid_mock_page_request()
 * @ms: how long the device waits before it gives up
 *
 * Return: the answer, enum iommu_page_response_code; -ETIMEDOUT when the
 * device gave up, or -EINTR: an answer that comes later finds nothing.
 */
int ioasid_mock_page_wait(struct device *dev, struct ioasid_mock_prq *prq,
			  unsigned int ms)
{
	long left;

	left = wait_for_completion_interruptible_timeout(&prq->done,
							 msecs_to_jiffies(ms));
	if (left > 0)
		return prq->code;
	/* Still there: no answer came, and none will reach @prq now. */
	if (xa_erase(&to_mock_dev(dev)->prqs, prq->grpid))
		return left ? -EINTR : -ETIMEDOUT;
	return prq->code;
}

static void ioasid_mock_dev_release(struct device *dev)
{
	struct mock_dev *mock = to_mock_dev(dev);

	xa_destroy(&mock->prqs);
	xa_destroy(&mock->pasids);
	ida_free(&mock_ida, mock->index);
	kfree(mock);
}

static int ioasid_mock_check_config(const struct ioasid_mock_config *cfg)
{
	if (!(cfg->pgsize_bitmap & PAGE_SIZE) ||
	    cfg->pgsize_bitmap & (PAGE_SIZE - 1) ||
	    cfg->aperture_start > cfg->aperture_last ||
	    cfg->pasid_bits > IOASID_MOCK_PASID_BITS ||
	    (cfg->flags & IOASID_MOCK_INCOHERENT &&
	     cfg->flags & IOASID_MOCK_ENFORCE_SNOOP) ||
	    cfg->resv_start + cfg->resv_length < cfg->resv_start)
		return -EINVAL;
	return 0;
}

/**
 * ioasid_mock_device_create() - add a device behind the mock IOMMU
 * @cfg: what its IOMMU supports
 *
 * Return: the device, probed by the IOMMU core, or an ERR_PTR.
 */
struct device *ioasid_mock_device_create(const struct ioasid_mock_config *cfg)
{
	struct property_entry props[] = {
		PROPERTY_ENTRY_U32("pasid-num-bits", cfg->pasid_bits),
		{}
	};
	struct mock_dev *mock;
	int ret;

	ret = ioasid_mock_check_config(cfg);
	if (ret)
		return ERR_PTR(ret);
	mock = kzalloc(sizeof(*mock), GFP_KERNEL);
	if (!mock)
		return ERR_PTR(-ENOMEM);
	mock->cfg = *cfg;
	refcount_set(&mock->users, 1);
	xa_init(&mock->pasids);
	xa_init_flags(&mock->prqs, XA_FLAGS_ALLOC);
	mock->index = ida_alloc(&mock_ida, GFP_KERNEL);
	if (mock->index < 0) {
		ret = mock->index;
		kfree(mock);
		return ERR_PTR(ret);
	}
	device_initialize(&mock->dev);
	mock->dev.release = ioasid_mock_dev_release;
	mock->dev.bus = &mock_bus;
	dev_set_msi_domain(&mock->dev, ioasid_mock_msi_domain);
	ret = dev_set_name(&mock->dev, "ioasid_mock%d", mock->index);
	if (ret)
		goto err_put;
	/* The IOMMU core reads the PASID width from this property. */
	if (cfg->pasid_bits) {
		ret = device_create_managed_software_node(&mock->dev, props,
							  NULL);
		if (ret)
			goto err_put;
	}
	/*
	 * Points the IOMMU core at the mock IOMMU rather than any other, under
	 * the lock that firmware code holds for the same call.
	 */
	mutex_lock(&iommu_probe_device_lock);
	ret = iommu_fwspec_init(&mock->dev, mock_fwnode);
	mutex_unlock(&iommu_probe_device_lock);
	if (ret)
		goto err_put;
	ret = device_add(&mock->dev);
	if (ret)
		goto err_put;
	if (!mock->dev.iommu_group) {
		device_unregister(&mock->dev);
		return ERR_PTR(-ENODEV);
	}
	return &mock->dev;

err_put:
	put_device(&mock->dev);
	return ERR_PTR(ret);
}

/**
 * ioasid_mock_device_hold() - keep a mock device for one more user
 * @dev: a device from ioasid_mock_device_create()
 */
void ioasid_mock_device_hold(struct device *dev)
{
	refcount_inc(&to_mock_dev(dev)->users);
}

/**
 * ioasid_mock_device_destroy() - drop a user of a mock device
 * @dev: a device from ioasid_mock_device_create()
 *
 * The device is removed with its last user, as a parent driver's device
 * is removed once its children are gone.
 */
void ioasid_mock_device_destroy(struct device *dev)
{
	if (refcount_dec_and_test(&to_mock_dev(dev)->users))
		device_unregister(dev);
}

/**
 * ioasid_mock_parent_create() - add a mock device for a test driver
 * @driver: the name of the driver, registered with
 *          ioasid_mock_driver_register(), that probes the device
 * @pasid_bits: the width of the device's PASIDs; 0 for none
 *
 * The device has the mock IOMMU's default page sizes and aperture.
 *
 * Return: the device, or an ERR_PTR.
 */
struct device *ioasid_mock_parent_create(const char *driver, u32 pasid_bits)
{
	struct ioasid_mock_config cfg = {
		.pgsize_bitmap = IOASID_MOCK_PGSIZES,
		.aperture_start = IOASID_MOCK_APERTURE_START,
		.aperture_last = IOASID_MOCK_APERTURE_LAST,
		.pasid_bits = pasid_bits,
		.driver = driver,
	};

	return ioasid_mock_device_create(&cfg);
}
EXPORT_SYMBOL_NS_GPL(ioasid_mock_parent_create, IOASID);

/**
 * ioasid_mock_parent_destroy() - remove a device of ioasid_mock_parent_create()
 * @dev: the device; its driver's remove runs first
 */
void ioasid_mock_parent_destroy(struct device *dev)
{
	ioasid_mock_device_destroy(dev);
}
EXPORT_SYMBOL_NS_GPL(ioasid_mock_parent_destroy, IOASID);

/**
 * ioasid_mock_driver_register() - register a driver of mock devices
 * @drv: the driver; its name is what ioasid_mock_parent_create() names
 *
 * Return: 0, or as driver_register().
 */
int ioasid_mock_driver_register(struct device_driver *drv)
{
	drv->bus = &mock_bus;
	return driver_register(drv);
}
EXPORT_SYMBOL_NS_GPL(ioasid_mock_driver_register, IOASID);

/**
 * ioasid_mock_driver_unregister() - unregister a driver of mock devices
 * @drv: the driver, which is removed from its devices first
 */
void ioasid_mock_driver_unregister(struct device_driver *drv)
{
	driver_unregister(drv);
}
EXPORT_SYMBOL_NS_GPL(ioasid_mock_driver_unregister, IOASID);

static void ioasid_mock_untranslated_release(struct device *dev)
{
	kfree(dev);
}

/**
 * ioasid_mock_untranslated_create() - add a device no IOMMU translates
 *
 * The device is on no bus and in an IOMMU group of its own, which no
 * IOMMU is behind: what VFIO makes of the devices it emulates, such as
 * an mock.
 *
 * Return: the device, or an ERR_PTR.
 */
struct device *ioasid_mock_untranslated_create(void)
{
	static atomic_t count = ATOMIC_INIT(0);
	struct iommu_group *group;
	struct device *dev;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	device_initialize(dev);
	dev->release = ioasid_mock_untranslated_release;
	ret = dev_set_name(dev, "ioasid_untranslated%d",
			   atomic_inc_return(&count));
	if (!ret)
		ret = device_add(dev);
	if (ret)
		goto err_put;
	group = iommu_group_alloc();
	if (IS_ERR(group)) {
		ret = PTR_ERR(group);
		goto err_del;
	}
	ret = iommu_group_add_device(group, dev);
	iommu_group_put(group);
	if (ret)
		goto err_del;
	return dev;

err_del:
	device_del(dev);
err_put:
	put_device(dev);
	return ERR_PTR(ret);
}

/**
 * ioasid_mock_untranslated_destroy() - remove an untranslated device
 * @dev: a device from ioasid_mock_untranslated_create()
 */
void ioasid_mock_untranslated_destroy(struct device *dev)
{
	iommu_group_remove_device(dev);
	device_unregister(dev);
}

static int ioasid_mock_msi_init(void)
{
	ioasid_mock_msi_fwnode = irq_domain_alloc_named_fwnode("ioasid-mock-msi");
	if (!ioasid_mock_msi_fwnode)
		return -ENOMEM;
	ioasid_mock_msi_domain =
		irq_domain_create_linear(ioasid_mock_msi_fwnode, 1,
					 &ioasid_mock_msi_ops, NULL);
	if (!ioasid_mock_msi_domain) {
		irq_domain_free_fwnode(ioasid_mock_msi_fwnode);
		return -ENOMEM;
	}
	ioasid_mock_msi_domain->flags |= IRQ_DOMAIN_FLAG_ISOLATED_MSI;
	return 0;
}

static void ioasid_mock_msi_exit(void)
{
	irq_domain_remove(ioasid_mock_msi_domain);
	irq_domain_free_fwnode(ioasid_mock_msi_fwnode);
}

int ioasid_mock_init(void)
{
	int ret;

	ret = ioasid_mock_msi_init();
	if (ret)
		return ret;
	ret = bus_register(&mock_bus);
	if (ret)
		goto err_msi;
	mock_fwnode = fwnode_create_software_node(NULL, NULL);
	if (IS_ERR(mock_fwnode)) {
		ret = PTR_ERR(mock_fwnode);
		goto err_bus;
	}
	mock_iopf_queue = iopf_queue_alloc("ioasid-mock");
	if (!mock_iopf_queue) {
		ret = -ENOMEM;
		goto err_fwnode;
	}
	ret = iommu_device_sysfs_add(&mock_iommu, NULL, NULL, "ioasid-mock");
	if (ret)
		goto err_iopf;
	mock_iommu.fwnode = mock_fwnode;
	mock_iommu.max_pasids = 1U << IOASID_MOCK_PASID_BITS;
	ret = iommu_device_register_bus(&mock_iommu, &mock_ops, &mock_bus,
					&mock_bus_nb);
	if (ret)
		goto err_sysfs;
	return 0;

err_sysfs:
	iommu_device_sysfs_remove(&mock_iommu);
err_iopf:
	iopf_queue_free(mock_iopf_queue);
err_fwnode:
	fwnode_remove_software_node(mock_fwnode);
err_bus:
	bus_unregister(&mock_bus);
err_msi:
	ioasid_mock_msi_exit();
	return ret;
}

void ioasid_mock_exit(void)
{
	iommu_device_unregister_bus(&mock_iommu, &mock_bus, &mock_bus_nb);
	iommu_device_sysfs_remove(&mock_iommu);
	iopf_queue_free(mock_iopf_queue);
	fwnode_remove_software_node(mock_fwnode);
	bus_unregister(&mock_bus);
	ioasid_mock_msi_exit();
}
