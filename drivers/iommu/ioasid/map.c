// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mapping ioctls: IOASID_MAP, IOASID_UNMAP and IOASID_COPY.  This file
 * owns what they take from userspace and give back: the checks of their
 * arguments, the placement they ask for and the answer they copy out.
 * The areas they create and remove are area.c's.
 */
#include <linux/iommu.h>
#include <linux/iova_bitmap.h>
#include <linux/overflow.h>

#include "ioasid_private.h"
#include "trace.h"

static int map_prot(u32 flags)
{
	return (flags & IOASID_MAP_READ ? IOMMU_READ : 0) |
	       (flags & IOASID_MAP_WRITE ? IOMMU_WRITE : 0);
}

/*
 * The checks IOASID_MAP and IOASID_COPY share: flags, the length, and the
 * IOVA or the alignment to choose one with.
 */
#define MAP_FLAGS (IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_FIXED_IOVA)
#define UNMAP_FLAGS (IOASID_UNMAP_ALL | IOASID_UNMAP_DIRTY)

static int map_check_placement(struct ioasid_ioas *ioas, u32 flags,
			       u64 length, u64 iova, u64 align,
			       struct ioasid_placement *where)
{
	unsigned long granule = ioasid_ioas_iova_alignment(ioas);
	u64 last;

	if (!map_prot(flags))
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
static int map_respond_or_remove(struct ioasid_ucmd *ucmd, size_t cmd_len,
				 struct ioasid_ioas *ioas, unsigned long iova,
				 u64 length)
{
	unsigned long removed;
	int ret;

	ret = ioasid_ucmd_respond(ucmd, cmd_len);
	if (ret)
		ioasid_area_remove_range(ioas, iova, iova + length - 1,
					 &removed, NULL);
	return ret;
}

/**
 * ioasid_map_user() - pin user memory and map it into an IOAS
 * @ctx: the context whose account the pins are charged to
 * @ioas: the IOAS
 * @user_va: the memory's first byte, page aligned
 * @length: its length in bytes
 * @flags: IOASID_MAP_* flags, of which READ or WRITE at least
 * @iova: the IOVA with IOASID_MAP_FIXED_IOVA; set to the IOVA used
 * @align: without IOASID_MAP_FIXED_IOVA, the alignment of the IOVA chosen
 *
 * The checks and the work of IOASID_MAP, for it and for the VFIO
 * container's MAP_DMA.
 *
 * Return: 0; -EINVAL for bad arguments, -EOVERFLOW for a range that
 * wraps, -EADDRNOTAVAIL or -EADDRINUSE for a fixed IOVA that is not
 * allowed or is mapped already, -ENOSPC, or the errors of pinning.
 */
int ioasid_map_user(struct ioasid_ctx *ctx, struct ioasid_ioas *ioas,
		    u64 user_va, u64 length, u32 flags, u64 *iova, u64 align)
{
	struct ioasid_placement where = {};
	u64 last;
	int ret;

	ret = map_check_placement(ioas, flags, length, *iova, align, &where);
	if (ret)
		return ret;
	if (!IS_ALIGNED(user_va, PAGE_SIZE))
		return -EINVAL;
	if (check_add_overflow(user_va, length - 1, &last))
		return -EOVERFLOW;

	ret = ioasid_area_insert_user(ioas, ctx, user_va, length >> PAGE_SHIFT,
				      map_prot(flags), &where);
	if (ret)
		return ret;
	*iova = where.iova;
	trace_ioasid_map(ctx->id, ioas->obj.id, where.iova, length,
			 map_prot(flags));
	return 0;
}

int ioasid_map_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_map *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	u64 iova = cmd->iova;
	int ret;

	/* Unknown flags first, so that a caller can probe for them. */
	if (cmd->flags & ~MAP_FLAGS || cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = ioasid_ioas_get(ucmd->ctx, cmd->ioasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	ret = ioasid_map_user(ucmd->ctx, ioas, cmd->user_va, cmd->length,
			      cmd->flags, &iova, cmd->alignment);
	if (!ret) {
		cmd->iova = iova;
		ret = map_respond_or_remove(ucmd, sizeof(*cmd), ioas, iova,
					    cmd->length);
	}
	ioasid_ioas_put(ioas);
	return ret;
}

/* Checks an unmap's range; sets @start and @last to it. */
static int unmap_check_range(struct ioasid_ioas *ioas,
			     const struct ioasid_unmap *cmd,
			     unsigned long *start, unsigned long *last)
{
	unsigned long granule = ioasid_ioas_iova_alignment(ioas);

	if (cmd->flags & IOASID_UNMAP_ALL) {
		*start = 0;
		*last = ULONG_MAX;
		return cmd->iova || cmd->length ||
		       cmd->flags & IOASID_UNMAP_DIRTY ? -EINVAL : 0;
	}
	*start = cmd->iova;
	if (!cmd->length || !IS_ALIGNED(cmd->iova, granule) ||
	    !IS_ALIGNED(cmd->length, granule))
		return -EINVAL;
	if (check_add_overflow(cmd->iova, cmd->length - 1, last))
		return -EOVERFLOW;
	return 0;
}

/*
 * Removes the range, reading its dirty pages first when asked to: the
 * bitmap is checked and faulted in before the IOAS is locked.
 */
static int unmap_remove_range(struct ioasid_ioas *ioas,
			      const struct ioasid_unmap *cmd,
			      unsigned long start, unsigned long last,
			      unsigned long *removed)
{
	struct iova_bitmap *dirty = NULL;
	int ret;

	if (cmd->flags & IOASID_UNMAP_DIRTY) {
		dirty = ioasid_dirty_bitmap_get(ioas, cmd->iova, cmd->length,
						cmd->dirty_page_size,
						cmd->dirty_bitmap);
		if (IS_ERR(dirty))
			return PTR_ERR(dirty);
	}
	ret = ioasid_area_remove_range(ioas, start, last, removed, dirty);
	if (dirty)
		iova_bitmap_free(dirty);
	return ret;
}

int ioasid_unmap_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_unmap *cmd = ucmd->cmd;
	unsigned long start, last, removed;
	struct ioasid_ioas *ioas;
	int ret;

	if (cmd->flags & ~UNMAP_FLAGS || cmd->__reserved)
		return -EOPNOTSUPP;
	ioas = ioasid_ioas_get(ucmd->ctx, cmd->ioasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	ret = unmap_check_range(ioas, cmd, &start, &last);
	if (!ret)
		ret = unmap_remove_range(ioas, cmd, start, last, &removed);
	if (!ret)
		trace_ioasid_unmap(ucmd->ctx->id, ioas->obj.id, cmd->iova,
				   cmd->length, removed);
	ioasid_ioas_put(ioas);
	if (ret)
		return ret;
	if (!removed && !(cmd->flags & IOASID_UNMAP_ALL))
		return -ENOENT;

	/* As for every ioctl, -EFAULT here comes after the work is done. */
	cmd->out_length = removed;
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

int ioasid_copy_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_copy *cmd = ucmd->cmd;
	struct ioasid_ioas *src, *dst;
	struct ioasid_placement where = {};
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

	ret = map_check_placement(dst, cmd->flags, cmd->length, cmd->dst_iova,
				  cmd->alignment, &where);
	if (ret)
		goto out_put_src;
	if (!IS_ALIGNED(cmd->src_iova, PAGE_SIZE)) {
		ret = -EINVAL;
		goto out_put_src;
	}

	pages = ioasid_area_get_range_pages(src, cmd->src_iova, cmd->length,
					    &pgoff);
	if (IS_ERR(pages)) {
		ret = PTR_ERR(pages);
		goto out_put_src;
	}
	if ((cmd->flags & IOASID_MAP_WRITE) && !pages->writable)
		ret = -EPERM;
	else
		ret = ioasid_area_insert(dst, pages, pgoff,
					 cmd->length >> PAGE_SHIFT,
					 map_prot(cmd->flags), &where);
	if (ret) {
		ioasid_pages_put(pages);
		goto out_put_src;
	}

	cmd->dst_iova = where.iova;
	trace_ioasid_copy(ucmd->ctx->id, src->obj.id, dst->obj.id,
			  cmd->src_iova, where.iova, cmd->length);
	ret = map_respond_or_remove(ucmd, sizeof(*cmd), dst, where.iova,
				    cmd->length);
out_put_src:
	ioasid_ioas_put(src);
out_put_dst:
	ioasid_ioas_put(dst);
	return ret;
}
