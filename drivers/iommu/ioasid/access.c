// SPDX-License-Identifier: GPL-2.0-only
/*
 * Accesses: the way into an IOASID's memory of a device that has no DMA
 * for an IOMMU to translate, because its driver emulates it or translates
 * its addresses itself.  The driver attaches an access to an IOASID, pins
 * the pages behind IOVAs for as long as the device uses them, and reads
 * or writes IOVAs without pinning, for descriptors.
 *
 * A driver that keeps a translation of its own is told of each mapping,
 * those made before its access attached and those made after, and pins
 * them to mirror them.
 *
 * The pages behind a mapping are pinned from IOASID_MAP on, and charged
 * then, so a pin through an access pins and charges nothing more: it
 * counts its pages in the areas it covers, and an area with pages counted
 * is not removed.  An unmap that meets one calls the unmap callback of
 * every access that holds pins of its IOAS, with none of our locks held,
 * and tries once more; the driver unpins from the callback.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/ioasid.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "ioasid_private.h"

/**
 * ioasid_access_alloc() - create an access, attached to no IOAS
 * @ctx: the context whose IOASes it may attach to
 * @ops: the driver's callbacks; @ops->unmap is required
 * @data: their argument
 *
 * The access does not hold @ctx: ioasid_access_create() does that for
 * drivers, the test ioctl's objects live in @ctx already.
 *
 * Return: the access, or ERR_PTR(-EINVAL) without an unmap callback, or
 * ERR_PTR(-ENOMEM).
 */
struct ioasid_access *ioasid_access_alloc(struct ioasid_ctx *ctx,
					  const struct ioasid_access_ops *ops,
					  void *data)
{
	struct ioasid_access *access;

	if (!ops || !ops->unmap)
		return ERR_PTR(-EINVAL);
	access = kzalloc(sizeof(*access), GFP_KERNEL_ACCOUNT);
	if (!access)
		return ERR_PTR(-ENOMEM);
	access->ctx = ctx;
	access->ops = ops;
	access->data = data;
	refcount_set(&access->users, 1);
	init_completion(&access->released);
	mutex_init(&access->lock);
	return access;
}

static void access_put(struct ioasid_access *access)
{
	if (refcount_dec_and_test(&access->users))
		complete(&access->released);
}

/* Leaves the IOAS attached to, which must hold nothing pinned. */
static void access_leave(struct ioasid_access *access)
{
	struct ioasid_ioas *ioas = access->ioas;

	lockdep_assert_held(&access->lock);
	xa_erase(&ioas->accesses, access->index);
	access->ioas = NULL;
	ioasid_ioas_put(ioas);
}

/*
 * Asks the driver to let go of everything it pinned, before the access
 * leaves its IOAS.  Until the caller clears @access->leaving, under the
 * lock, no pin is taken: a map callback racing the unpin would otherwise
 * pin again, and the access could not leave.
 */
static void access_unpin_all(struct ioasid_access *access)
{
	unsigned long pinned;

	mutex_lock(&access->lock);
	access->leaving = true;
	pinned = access->pinned;
	mutex_unlock(&access->lock);
	if (pinned)
		access->ops->unmap(access->data, 0, ULONG_MAX);
}

/*
 * Reports the mappings of @ioas to a driver that mirrors them, one at a
 * time with the IOAS unlocked, as its map callback may pin.  A mapping
 * made meanwhile, or still being made, is reported by
 * ioasid_ioas_notify_map() once its MAP is done; one being unmapped is
 * left out.
 */
static void access_report_mappings(struct ioasid_access *access,
				   struct ioasid_ioas *ioas)
{
	unsigned long next = 0, start, last;
	struct ioasid_area *area;
	bool live;

	if (!access->ops->map)
		return;
	do {
		down_read(&ioas->iova_rwsem);
		area = ioasid_area_first(ioas, next, ULONG_MAX);
		if (area) {
			start = area->node.start;
			last = area->node.last;
			live = ioasid_area_live(area);
		}
		up_read(&ioas->iova_rwsem);
		if (!area)
			return;
		if (live)
			access->ops->map(access->data, start, last);
		next = last + 1;
		cond_resched();
	} while (next);
}

/**
 * ioasid_access_attach_ioas() - attach an access to an IOAS, or move it
 * @access: the access
 * @ioas: the IOAS, which the access holds from now on
 *
 * A move first asks the driver to unpin everything, through its unmap
 * callback for all IOVAs: the pins were of the old IOAS's memory.  Then a
 * driver with a map callback is told of the mappings of the IOAS it is
 * attached to: @ioas, or the old one when the move failed.
 *
 * Return: 0, -EBUSY when the driver kept pages pinned (the access stays
 * where it was), or -ENOMEM.
 */
int ioasid_access_attach_ioas(struct ioasid_access *access,
			      struct ioasid_ioas *ioas)
{
	struct ioasid_ioas *now;
	u32 index;
	int ret = 0;

	access_unpin_all(access);

	mutex_lock(&access->lock);
	access->leaving = false;
	if (access->pinned) {
		/* The driver kept pages pinned. */
		ret = -EBUSY;
	} else if (access->ioas != ioas) {
		ret = xa_alloc(&ioas->accesses, &index, access, xa_limit_32b,
			       GFP_KERNEL_ACCOUNT);
		if (!ret) {
			ioasid_object_hold(&ioas->obj);
			if (access->ioas)
				access_leave(access);
			access->ioas = ioas;
			access->index = index;
		}
	}
	now = access->ioas;
	if (now)
		ioasid_object_hold(&now->obj);
	mutex_unlock(&access->lock);

	/*
	 * A driver that mirrors mappings let go of them all above: it is
	 * given those of the IOAS it is attached to now, the new one, or the
	 * old one when the move failed or there was none to make.
	 */
	if (now) {
		access_report_mappings(access, now);
		ioasid_ioas_put(now);
	}
	return ret;
}

/**
 * ioasid_access_free() - detach an access and free it
 * @access: the access, with nothing pinned
 *
 * Waits for unmaps that are calling the access's driver.  An access that
 * still holds pins after its driver was asked to unpin stays attached,
 * and is leaked rather than freed under the pages the driver uses.
 */
void ioasid_access_free(struct ioasid_access *access)
{
	if (WARN_ON(ioasid_access_detach(access)))
		return;
	access_put(access);
	wait_for_completion(&access->released);
	mutex_destroy(&access->lock);
	kfree(access);
}

/*
 * Calls the map or the unmap callback, as @map says, of each attached
 * access that wants it, with the xa_lock dropped around each call; an
 * access that is being freed meanwhile is waited for by its free.
 */
static void access_notify(struct ioasid_ioas *ioas, unsigned long start,
			  unsigned long last, bool map)
{
	struct ioasid_access *access;
	unsigned long index;

	xa_lock(&ioas->accesses);
	xa_for_each(&ioas->accesses, index, access) {
		/* Read unlocked: a pin racing the unmap fails it anyway. */
		bool wanted = map ? !!access->ops->map :
				    !!READ_ONCE(access->pinned);

		if (!wanted || !refcount_inc_not_zero(&access->users))
			continue;
		xa_unlock(&ioas->accesses);
		if (map)
			access->ops->map(access->data, start, last);
		else
			access->ops->unmap(access->data, start, last);
		access_put(access);
		cond_resched();
		xa_lock(&ioas->accesses);
	}
	xa_unlock(&ioas->accesses);
}

/**
 * ioasid_ioas_notify_unmap() - ask the accesses of an IOAS to unpin
 * @ioas: the IOAS, with no lock of ours held
 * @start: the first IOVA being unmapped
 * @last: the last one
 *
 * Calls the unmap callback of each attached access that holds pins.
 */
void ioasid_ioas_notify_unmap(struct ioasid_ioas *ioas, unsigned long start,
			      unsigned long last)
{
	access_notify(ioas, start, last, false);
}

/**
 * ioasid_ioas_notify_map() - tell the accesses of an IOAS of a mapping
 * @ioas: the IOAS, with no lock of ours held
 * @start: the mapping's first IOVA
 * @last: its last one
 *
 * Calls the map callback of each attached access that has one.  The
 * mapping is in the IOVA tree already, so an access that attaches after
 * the unlocked look at @ioas->accesses finds it when it walks the tree.
 */
void ioasid_ioas_notify_map(struct ioasid_ioas *ioas, unsigned long start,
			    unsigned long last)
{
	if (!xa_empty(&ioas->accesses))
		access_notify(ioas, start, last, true);
}

/*
 * Checks that areas of @ioas map every page of [@iova, @last] with
 * @prot.  Returns 0, -ENOENT for a page nothing maps, whose mapping is
 * still being made, or that is being unmapped, or -EPERM.
 */
static int access_check_range(struct ioasid_ioas *ioas, unsigned long iova,
			      unsigned long last, int prot)
{
	unsigned long next = iova;
	struct ioasid_area *area;

	for (area = ioasid_area_first(ioas, iova, last); area;
	     area = ioasid_area_next(area, iova, last)) {
		if (area->node.start > next || area->unmapping ||
		    !ioasid_area_live(area))
			return -ENOENT;
		if ((area->prot & prot) != prot)
			return -EPERM;
		if (area->node.last >= last)
			return 0;
		next = area->node.last + 1;
	}
	return -ENOENT;
}

/**
 * struct access_walk - a walk of the frames of several areas
 * @fn: called for each piece
 * @arg: its argument
 * @base: the offset in pages of the area being walked from the walk's start
 */
struct access_walk {
	int (*fn)(void *arg, unsigned long offset, unsigned long pfn,
		  unsigned long npages);
	void *arg;
	unsigned long base;
};

/* Tells the piece's offset from the walk's start rather than the area's. */
static int access_walk_piece(void *arg, unsigned long offset,
			     unsigned long pfn, unsigned long npages)
{
	struct access_walk *walk = arg;

	return walk->fn(walk->arg, walk->base + offset, pfn, npages);
}

/*
 * Calls @fn for each piece of physically contiguous pages of [@iova,
 * @last], a range that access_check_range() accepted, with @iova page
 * aligned, and the piece's offset in pages from @iova.  With @count, adds
 * the pages of each area to its access pins (or, negative, takes them
 * away).
 */
static int access_walk_range(struct ioasid_ioas *ioas, unsigned long iova,
			     unsigned long last, long count,
			     int (*fn)(void *arg, unsigned long offset,
				       unsigned long pfn, unsigned long npages),
			     void *arg)
{
	struct access_walk walk = { .fn = fn, .arg = arg };
	struct ioasid_area *area;
	int ret;

	for (area = ioasid_area_first(ioas, iova, last); area;
	     area = ioasid_area_next(area, iova, last)) {
		unsigned long from = max(iova, area->node.start);
		unsigned long to = min(last, area->node.last);
		unsigned long npages = ((to - from) >> PAGE_SHIFT) + 1;
		unsigned long first = (from - area->node.start) >> PAGE_SHIFT;

		if (count) {
			long now = atomic_long_add_return(count * (long)npages,
							  &area->access_pins);

			/* A driver unpinned more than it pinned here. */
			WARN_ON_ONCE(now < 0);
		}
		if (!fn)
			continue;
		walk.base = (from - iova) >> PAGE_SHIFT;
		ret = ioasid_area_walk_frames(ioas, area, first, npages,
					      access_walk_piece, &walk);
		if (ret)
			return ret;
	}
	return 0;
}

/* The access's IOAS, with @access->lock held; -ENODEV while detached. */
static struct ioasid_ioas *access_lock_ioas(struct ioasid_access *access)
{
	mutex_lock(&access->lock);
	if (access->ioas)
		return access->ioas;
	mutex_unlock(&access->lock);
	return ERR_PTR(-ENODEV);
}

/*
 * Checks a range of whole pages: page aligned, not empty, not wrapping.
 * Sets @last to its last IOVA.
 */
static int access_check_pages(unsigned long iova, unsigned long npages,
			      unsigned long *last)
{
	unsigned long length;

	if (!npages || !PAGE_ALIGNED(iova))
		return -EINVAL;
	if (check_shl_overflow(npages, PAGE_SHIFT, &length) ||
	    check_add_overflow(iova, length - 1, last))
		return -EOVERFLOW;
	return 0;
}

static int access_fill_pages(void *arg, unsigned long offset,
			     unsigned long pfn, unsigned long npages)
{
	struct page **pages = arg;
	unsigned long i;

	for (i = 0; i < npages; i++)
		pages[offset + i] = pfn_to_page(pfn + i);
	return 0;
}

/**
 * ioasid_access_pin_pages() - pin the pages behind IOVAs for a device
 * @access: the access
 * @iova: the first IOVA, page aligned
 * @npages: pages to pin
 * @pages: filled with the pages, in IOVA order
 * @flags: %IOASID_ACCESS_WRITE when the device writes them
 *
 * The pages stay usable until ioasid_access_unpin_pages() of the same
 * IOVAs, in one call or several; the driver must unpin them when its
 * unmap callback names them.  Pinning charges nothing: the mapping
 * charged the pages already.  The range may span several mappings.
 *
 * Return: 0, -EINVAL for an unaligned or empty range or unknown @flags,
 * -EOVERFLOW when the range wraps, -ENODEV when the access is attached to
 * no IOASID or is being detached or moved (a map callback racing that
 * pins nothing: a move reports the mappings afterwards), -ENOENT when a
 * page of the range is not mapped or is being unmapped, or -EPERM
 * when a mapping does not let the device read it, or write it with
 * %IOASID_ACCESS_WRITE; then nothing is pinned.
 */
int ioasid_access_pin_pages(struct ioasid_access *access, unsigned long iova,
			    unsigned long npages, struct page **pages,
			    unsigned int flags)
{
	int prot = flags & IOASID_ACCESS_WRITE ? IOMMU_WRITE : IOMMU_READ;
	struct ioasid_ioas *ioas;
	unsigned long last;
	int ret;

	if (flags & ~IOASID_ACCESS_WRITE)
		return -EINVAL;
	ret = access_check_pages(iova, npages, &last);
	if (ret)
		return ret;
	ioas = access_lock_ioas(access);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (access->leaving) {
		ret = -ENODEV;
		goto out_unlock;
	}

	down_read(&ioas->iova_rwsem);
	ret = access_check_range(ioas, iova, last, prot);
	if (!ret)
		ret = access_walk_range(ioas, iova, last, 1, access_fill_pages,
					pages);
	up_read(&ioas->iova_rwsem);
	if (!ret)
		access->pinned += npages;
out_unlock:
	mutex_unlock(&access->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_pin_pages, IOASID);

/**
 * ioasid_access_unpin_pages() - let go of pages pinned through an access
 * @access: the access
 * @iova: the first IOVA, page aligned
 * @npages: pages to unpin, all of them pinned through @access
 *
 * May be called from the access's unmap callback.
 */
void ioasid_access_unpin_pages(struct ioasid_access *access,
			       unsigned long iova, unsigned long npages)
{
	struct ioasid_ioas *ioas;
	unsigned long last;

	if (WARN_ON_ONCE(access_check_pages(iova, npages, &last)))
		return;
	ioas = access_lock_ioas(access);
	if (WARN_ON_ONCE(IS_ERR(ioas)))
		return;
	if (!WARN_ON_ONCE(npages > access->pinned)) {
		down_read(&ioas->iova_rwsem);
		access_walk_range(ioas, iova, last, -1, NULL, NULL);
		up_read(&ioas->iova_rwsem);
		access->pinned -= npages;
	}
	mutex_unlock(&access->lock);
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_unpin_pages, IOASID);

/**
 * struct access_copy - bytes being copied between IOVAs and a buffer
 * @iova: the IOVA of the first page walked
 * @start: the first IOVA to copy
 * @last: the last IOVA to copy
 * @buf: the buffer, for the byte at @start
 * @write: from @buf to the IOVAs
 */
struct access_copy {
	unsigned long iova;
	unsigned long start;
	unsigned long last;
	void *buf;
	bool write;
};

static int access_copy_piece(void *arg, unsigned long offset,
			     unsigned long pfn, unsigned long npages)
{
	struct access_copy *copy = arg;
	unsigned long i;

	for (i = 0; i < npages; i++) {
		unsigned long page = copy->iova + ((offset + i) << PAGE_SHIFT);
		unsigned long from = max(page, copy->start);
		size_t len = min(page + PAGE_SIZE - 1, copy->last) - from + 1;
		void *va = kmap_local_page(pfn_to_page(pfn + i));

		if (copy->write)
			memcpy(va + offset_in_page(from),
			       copy->buf + (from - copy->start), len);
		else
			memcpy(copy->buf + (from - copy->start),
			       va + offset_in_page(from), len);
		kunmap_local(va);
		cond_resched();
	}
	return 0;
}

/**
 * ioasid_access_rw() - copy between IOVAs and a kernel buffer
 * @access: the access
 * @iova: the first IOVA
 * @buf: the buffer
 * @length: bytes to copy
 * @flags: %IOASID_ACCESS_WRITE to write the IOVAs from @buf, 0 to read
 *         them into it
 *
 * Pins nothing: the mappings cannot go while the copy runs, and an unmap
 * that comes after it does not call the driver.
 *
 * Return: 0, or as ioasid_access_pin_pages(), with -EINVAL for an empty
 * range; then some of the bytes may have been copied.
 */
int ioasid_access_rw(struct ioasid_access *access, unsigned long iova,
		     void *buf, size_t length, unsigned int flags)
{
	struct access_copy copy = {
		.iova = PAGE_ALIGN_DOWN(iova),
		.start = iova,
		.buf = buf,
		.write = flags & IOASID_ACCESS_WRITE,
	};
	int prot = copy.write ? IOMMU_WRITE : IOMMU_READ;
	struct ioasid_ioas *ioas;
	int ret;

	if (flags & ~IOASID_ACCESS_WRITE || !length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &copy.last))
		return -EOVERFLOW;
	ioas = access_lock_ioas(access);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	down_read(&ioas->iova_rwsem);
	ret = access_check_range(ioas, copy.iova, copy.last, prot);
	if (!ret)
		ret = access_walk_range(ioas, copy.iova, copy.last, 0,
					access_copy_piece, &copy);
	up_read(&ioas->iova_rwsem);
	mutex_unlock(&access->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_rw, IOASID);

/**
 * ioasid_access_create() - create an access for an emulated device
 * @ctx: the context of the user the device is given to
 * @ops: the driver's callbacks; @ops->unmap is required
 * @data: their argument
 *
 * The access holds a reference on @ctx until ioasid_access_destroy(), so
 * the user may close its fd first.
 *
 * Return: the access, attached to no IOASID, or an ERR_PTR: -EINVAL
 * without an unmap callback, -ENOMEM.
 */
struct ioasid_access *ioasid_access_create(struct ioasid_ctx *ctx,
					   const struct ioasid_access_ops *ops,
					   void *data)
{
	struct ioasid_access *access = ioasid_access_alloc(ctx, ops, data);

	if (!IS_ERR(access))
		get_file(ctx->file);
	return access;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_create, IOASID);

/**
 * ioasid_access_destroy() - detach an access and free it
 * @access: the access, with nothing pinned
 *
 * The unmap callback may run until this returns, so the driver must not
 * hold a lock here that the callback takes.
 */
void ioasid_access_destroy(struct ioasid_access *access)
{
	struct ioasid_ctx *ctx = access->ctx;

	ioasid_access_free(access);
	fput(ctx->file);
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_destroy, IOASID);

/**
 * ioasid_access_attach() - attach an access to an IOASID, or move it
 * @access: the access
 * @ioasid: the id of an IOASID in the access's context
 *
 * An access that holds pins is first asked to let go of them all, through
 * its unmap callback for [0, ULONG_MAX], so the driver must not hold a
 * lock here that the callback takes.
 *
 * Return: 0, -ENOENT when @ioasid names no IOASID, -EBUSY when the driver
 * kept pages pinned (the access stays where it was), or -ENOMEM.
 */
int ioasid_access_attach(struct ioasid_access *access, u32 ioasid)
{
	struct ioasid_ioas *ioas = ioasid_ioas_get(access->ctx, ioasid);
	int ret;

	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	ret = ioasid_access_attach_ioas(access, ioas);
	ioasid_ioas_put(ioas);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_attach, IOASID);

/**
 * ioasid_access_detach() - detach an access from its IOASID
 * @access: the access
 *
 * An access that holds pins is first asked to let go of them all, as by
 * ioasid_access_attach().  Detaching an access that is not attached does
 * nothing.
 *
 * Return: 0, or -EBUSY when the driver kept pages pinned; then the access
 * stays attached.
 */
int ioasid_access_detach(struct ioasid_access *access)
{
	int ret = 0;

	access_unpin_all(access);
	mutex_lock(&access->lock);
	access->leaving = false;
	if (access->pinned)
		ret = -EBUSY;
	else if (access->ioas)
		access_leave(access);
	mutex_unlock(&access->lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(ioasid_access_detach, IOASID);
