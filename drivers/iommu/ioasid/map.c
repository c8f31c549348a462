// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mappings: IOASID_MAP, IOASID_UNMAP and IOASID_COPY.  Each mapping is an
 * area in its IOAS's interval tree that refers to a window of pinned
 * pages; lookups, inserts and removals are O(log n) in the mappings.
 * Removing many mappings at once gives the CPU up after each.
 */
#include <linux/interval_tree.h>
#include <linux/iommu.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "ioasid_private.h"

static struct ioasid_area *node_to_area(struct interval_tree_node *node)
{
	return node ? container_of(node, struct ioasid_area, node) : NULL;
}

struct ioasid_area *ioasid_area_first(struct ioasid_ioas *ioas,
				      unsigned long start, unsigned long last)
{
	return node_to_area(interval_tree_iter_first(&ioas->areas, start,
						     last));
}

struct ioasid_area *ioasid_area_next(struct ioasid_area *area,
				     unsigned long start, unsigned long last)
{
	return node_to_area(interval_tree_iter_next(&area->node, start,
						    last));
}

/* Where a new mapping may go: what IOASID_MAP calls a fixed or a free IOVA. */
struct placement {
	bool fixed;
	unsigned long iova;
	unsigned long align;
};

static int check_fixed_iova(struct ioasid_ioas *ioas, unsigned long iova,
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

/*
 * Inserts a mapping of @npages pages of @pages from @pgoff.  The mapping
 * takes over the caller's reference on @pages when it succeeds.
 */
static int insert_area(struct ioasid_ioas *ioas, struct ioasid_pages *pages,
		       unsigned long pgoff, unsigned long npages, int prot,
		       struct placement *where)
{
	unsigned long length = npages << PAGE_SHIFT;
	struct ioasid_area *area;
	int ret;

	area = kzalloc(sizeof(*area), GFP_KERNEL_ACCOUNT);
	if (!area)
		return -ENOMEM;

	down_write(&ioas->iova_rwsem);
	if (where->fixed)
		ret = check_fixed_iova(ioas, where->iova, length);
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
	return ret;
}

/* Unpinning may take long: it runs once the IOAS lock is dropped. */
static void free_areas(struct ioasid_area *list)
{
	while (list) {
		struct ioasid_area *area = list;

		list = area->next_free;
		ioasid_pages_put(area->pages);
		kfree(area);
		cond_resched();
	}
}

/*
 * Removes the areas inside [start, last], or none with -ERANGE when one
 * of them reaches outside: mappings are never split.  The areas are found
 * in one walk of the tree and then removed by pointer.
 */
static int remove_areas(struct ioasid_ioas *ioas, unsigned long start,
			unsigned long last, unsigned long *removed)
{
	struct ioasid_area *area, *found = NULL;
	unsigned long bytes = 0;

	down_write(&ioas->iova_rwsem);
	for (area = ioasid_area_first(ioas, start, last); area;
	     area = ioasid_area_next(area, start, last)) {
		if (area->node.start < start || area->node.last > last) {
			up_write(&ioas->iova_rwsem);
			return -ERANGE;
		}
		area->next_free = found;
		found = area;
		cond_resched();
	}
	for (area = found; area; area = area->next_free) {
		ioasid_area_unfill_tables(ioas, area);
		interval_tree_remove(&area->node, &ioas->areas);
		bytes += ioasid_area_npages(area) << PAGE_SHIFT;
		cond_resched();
	}
	up_write(&ioas->iova_rwsem);

	free_areas(found);
	*removed = bytes;
	return 0;
}

/**
 * ioasid_ioas_unmap_all() - remove every mapping of an IOAS
 * @ioas: the IOAS
 */
void ioasid_ioas_unmap_all(struct ioasid_ioas *ioas)
{
	unsigned long removed;

	remove_areas(ioas, 0, ULONG_MAX, &removed);
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

static int map_flags_to_prot(u32 flags)
{
	return (flags & IOASID_MAP_READ ? IOMMU_READ : 0) |
	       (flags & IOASID_MAP_WRITE ? IOMMU_WRITE : 0);
}

/*
 * The checks IOASID_MAP and IOASID_COPY share: flags, the length, and the
 * IOVA or the alignment to choose one with.
 */
#define MAP_FLAGS (IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA)

static int check_placement(struct ioasid_ioas *ioas, u32 flags, u64 length,
			   u64 iova, u64 align, struct placement *where)
{
	unsigned long granule = ioasid_ioas_iova_alignment(ioas);
	u64 last;

	if (!map_flags_to_prot(flags))
		return -EINVAL;
	if (!length || !IS_ALIGNED(length, granule))
		return -EINVAL;

	where->fixed = flags & IOASID_MAP_FIXED_IOVA;
	if (where->fixed) {
		if (align || !IS_ALIGNED(iova, granule))
			return -EINVAL;
		if (check_add_overflow(iova, length - 1, &last))
			return -EOVERFLOW;
		where->iova = iova;
		return 0;
	}
	if (align && !is_power_of_2(align))
		return -EINVAL;
	where->align = max_t(u64, align, granule);
	return 0;
}

/*
 * Reports a new mapping's IOVA.  A caller that could not learn it could
 * not unmap it either, so the mapping goes again when the report fails.
 */
static int respond_or_remove(struct ioasid_ucmd *ucmd, size_t cmd_len,
			     struct ioasid_ioas *ioas, unsigned long iova,
			     u64 length)
{
	unsigned long removed;
	int ret;

	ret = ioasid_ucmd_respond(ucmd, cmd_len);
	if (ret)
		remove_areas(ioas, iova, iova + length - 1, &removed);
	return ret;
}

int ioasid_map_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_map *cmd = ucmd->cmd;
	struct placement where = {};
	struct ioasid_pages *pages;
	struct ioasid_ioas *ioas;
	u64 last;
	int ret;

	/* Unknown flags first, so that a caller can probe for them. */
	if (cmd->flags & ~MAP_FLAGS || cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = ioasid_ioas_get(ucmd->ctx, cmd->ioasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	ret = check_placement(ioas, cmd->flags, cmd->length, cmd->iova,
			      cmd->alignment, &where);
	if (ret)
		goto out_put;
	if (!IS_ALIGNED(cmd->user_va, PAGE_SIZE)) {
		ret = -EINVAL;
		goto out_put;
	}
	if (check_add_overflow(cmd->user_va, cmd->length - 1, &last)) {
		ret = -EOVERFLOW;
		goto out_put;
	}

	pages = ioasid_pages_pin(ucmd->ctx, cmd->user_va,
				 cmd->length >> PAGE_SHIFT,
				 cmd->flags & IOASID_MAP_WRITE);
	if (IS_ERR(pages)) {
		ret = PTR_ERR(pages);
		goto out_put;
	}
	ret = insert_area(ioas, pages, 0, pages->npages,
			  map_flags_to_prot(cmd->flags), &where);
	if (ret) {
		ioasid_pages_put(pages);
		goto out_put;
	}

	cmd->iova = where.iova;
	ret = respond_or_remove(ucmd, sizeof(*cmd), ioas, where.iova,
				cmd->length);
out_put:
	ioasid_ioas_put(ioas);
	return ret;
}

int ioasid_unmap_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_unmap *cmd = ucmd->cmd;
	unsigned long start = 0, last = ULONG_MAX, removed;
	struct ioasid_ioas *ioas;
	int ret;

	if (cmd->flags & ~IOASID_UNMAP_ALL || cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = ioasid_ioas_get(ucmd->ctx, cmd->ioasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (cmd->flags & IOASID_UNMAP_ALL) {
		ret = cmd->iova || cmd->length ? -EINVAL : 0;
	} else {
		unsigned long granule = ioasid_ioas_iova_alignment(ioas);

		start = cmd->iova;
		if (!cmd->length || !IS_ALIGNED(cmd->iova, granule) ||
		    !IS_ALIGNED(cmd->length, granule))
			ret = -EINVAL;
		else if (check_add_overflow(cmd->iova, cmd->length - 1, &last))
			ret = -EOVERFLOW;
		else
			ret = 0;
	}
	if (!ret)
		ret = remove_areas(ioas, start, last, &removed);
	ioasid_ioas_put(ioas);
	if (ret)
		return ret;
	if (!removed && !(cmd->flags & IOASID_UNMAP_ALL))
		return -ENOENT;

	/* As for every ioctl, -EFAULT here comes after the work is done. */
	cmd->out_length = removed;
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

/*
 * Finds the pages behind [iova, iova + length) of @ioas, which must lie in
 * one area, and takes a reference on them.
 */
static struct ioasid_pages *get_mapped_pages(struct ioasid_ioas *ioas,
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

int ioasid_copy_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_copy *cmd = ucmd->cmd;
	struct ioasid_ioas *src, *dst;
	struct placement where = {};
	struct ioasid_pages *pages;
	unsigned long pgoff;
	int ret;

	if (cmd->flags & ~MAP_FLAGS)
		return -EOPNOTSUPP;
	dst = ioasid_ioas_get(ucmd->ctx, cmd->dst_ioasid);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	src = ioasid_ioas_get(ucmd->ctx, cmd->src_ioasid);
	if (IS_ERR(src)) {
		ret = PTR_ERR(src);
		goto out_put_dst;
	}

	ret = check_placement(dst, cmd->flags, cmd->length, cmd->dst_iova,
			      cmd->alignment, &where);
	if (ret)
		goto out_put_src;
	if (!IS_ALIGNED(cmd->src_iova, PAGE_SIZE)) {
		ret = -EINVAL;
		goto out_put_src;
	}

	pages = get_mapped_pages(src, cmd->src_iova, cmd->length, &pgoff);
	if (IS_ERR(pages)) {
		ret = PTR_ERR(pages);
		goto out_put_src;
	}
	if ((cmd->flags & IOASID_MAP_WRITE) && !pages->writable)
		ret = -EPERM;
	else
		ret = insert_area(dst, pages, pgoff, cmd->length >> PAGE_SHIFT,
				  map_flags_to_prot(cmd->flags), &where);
	if (ret) {
		ioasid_pages_put(pages);
		goto out_put_src;
	}

	cmd->dst_iova = where.iova;
	ret = respond_or_remove(ucmd, sizeof(*cmd), dst, where.iova,
				cmd->length);
out_put_src:
	ioasid_ioas_put(src);
out_put_dst:
	ioasid_ioas_put(dst);
	return ret;
}
