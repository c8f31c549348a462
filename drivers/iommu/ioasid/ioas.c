// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOAS objects: the I/O address spaces userspace allocates, the IOVA
 * ranges it allows in each, and the report of which IOVAs are usable.
 */
#include <linux/interval_tree.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ioasid_private.h"

static struct ioasid_ioas *ioasid_ioas_create(void)
{
	struct ioasid_iova_range everything = { .start = 0, .last = ULONG_MAX };
	struct ioasid_ioas *ioas;

	ioas = kzalloc(sizeof(*ioas), GFP_KERNEL_ACCOUNT);
	if (!ioas)
		return NULL;
	init_rwsem(&ioas->iova_rwsem);
	init_rwsem(&ioas->fill_rwsem);
	ioas->allowed = RB_ROOT_CACHED;
	ioas->reserved = RB_ROOT_CACHED;
	ioas->areas = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&ioas->hwpts);
	xa_init_flags(&ioas->accesses, XA_FLAGS_ALLOC);
	if (ioasid_iova_set_build(&ioas->allowed, &everything, 1, 1)) {
		kfree(ioas);
		return NULL;
	}
	return ioas;
}

void ioasid_ioas_free(struct ioasid_ioas *ioas)
{
	ioasid_ioas_unmap_all(ioas);
	/* The keeper went with the last area whose frames it held. */
	WARN_ON_ONCE(ioas->keeper || atomic_long_read(&ioas->nr_in_tables));
	/* Each access holds the IOAS while attached. */
	WARN_ON_ONCE(!xa_empty(&ioas->accesses));
	xa_destroy(&ioas->accesses);
	ioasid_iova_set_clear(&ioas->allowed);
	ioasid_iova_set_clear(&ioas->reserved);
	kfree_rcu(ioas, obj.rcu);
}

/**
 * ioasid_ioas_quiesce() - wait for the tables to be changed only under the lock
 * @ioas: the IOAS, with iova_rwsem held for read or write
 *
 * A MAP or UNMAP claims its area under iova_rwsem held for write, takes
 * fill_rwsem for read and drops iova_rwsem, then maps or unmaps the area
 * in every table.  When this returns, every such fill or unfill has
 * ended and, as none can be claimed while the caller holds iova_rwsem,
 * no other starts until the caller drops it: no area is FILLING or
 * UNFILLING, and the set of tables, their domains and their dirty
 * tracking may be changed or read whole.  Those that ended may have
 * left GONE areas in the tree.
 */
void ioasid_ioas_quiesce(struct ioasid_ioas *ioas)
{
	lockdep_assert_held(&ioas->iova_rwsem);
	down_write(&ioas->fill_rwsem);
	up_write(&ioas->fill_rwsem);
}

/**
 * ioasid_ioas_destroy() - free an IOASID, as its object type's destroy op
 * @obj: the IOASID's object, out of the fd's table and unused
 */
void ioasid_ioas_destroy(struct ioasid_object *obj)
{
	ioasid_ioas_free(container_of(obj, struct ioasid_ioas, obj));
}

struct ioasid_ioas *ioasid_ioas_get(struct ioasid_ctx *ctx, u32 id)
{
	struct ioasid_object *obj = ioasid_object_get(ctx, id, IOASID_OBJ_IOAS);

	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_ioas, obj);
}

void ioasid_ioas_put(struct ioasid_ioas *ioas)
{
	ioasid_object_put(&ioas->obj);
}

int ioasid_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_alloc *cmd = ucmd->cmd;
	struct ioasid_ioas *ioas;
	int ret;

	if (cmd->flags & ~(IOASID_ALLOC_NESTED | IOASID_ALLOC_FAULT_QUEUE) ||
	    cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	if (cmd->flags & IOASID_ALLOC_NESTED)
		return ioasid_nested_alloc(ucmd);
	/* The kernel keeps a plain IOASID's mappings present. */
	if (cmd->flags & IOASID_ALLOC_FAULT_QUEUE)
		return -EOPNOTSUPP;
	if (cmd->parent || cmd->dev_id || cmd->format || cmd->data_len ||
	    cmd->data || cmd->fault_queue)
		return -EINVAL;

	ioas = ioasid_ioas_create();
	if (!ioas)
		return -ENOMEM;
	ret = ioasid_object_reserve(ucmd->ctx, &ioas->obj, IOASID_OBJ_IOAS);
	if (ret)
		goto err_free;
	cmd->out_ioasid = ioas->obj.id;
	ret = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		goto err_abort;
	ioasid_object_publish(ucmd->ctx, &ioas->obj);
	return 0;

err_abort:
	ioasid_object_abort(ucmd->ctx, &ioas->obj);
err_free:
	ioasid_ioas_free(ioas);
	return ret;
}

/**
 * ioasid_ioas_add() - create an IOAS for the kernel's own use of a context
 * @ctx: the context
 *
 * Userspace may use the new IOAS's id as well, but not destroy the IOAS
 * while the caller holds it: IOASID_DESTROY fails with -EBUSY until the
 * caller's ioasid_ioas_put().
 *
 * Return: the IOAS, held, or ERR_PTR(-ENOMEM) or the error of reserving
 * an id.
 */
struct ioasid_ioas *ioasid_ioas_add(struct ioasid_ctx *ctx)
{
	struct ioasid_ioas *ioas = ioasid_ioas_create();
	int ret;

	if (!ioas)
		return ERR_PTR(-ENOMEM);
	ret = ioasid_object_reserve(ctx, &ioas->obj, IOASID_OBJ_IOAS);
	if (ret) {
		ioasid_ioas_free(ioas);
		return ERR_PTR(ret);
	}
	/* The caller's hold, before any lookup can find the IOAS. */
	refcount_inc(&ioas->obj.users);
	ioasid_object_publish(ctx, &ioas->obj);
	return ioas;
}

/* Mappings are placed in CPU pages, so no IOVA finer than that is usable. */
unsigned long ioasid_ioas_iova_alignment(struct ioasid_ioas *ioas)
{
	return PAGE_SIZE;
}

struct ioas_aligned_walk {
	unsigned long align;
	int (*fn)(void *arg, unsigned long first, unsigned long last);
	void *arg;
};

/*
 * Passes on the aligned part of a usable range, if any: an IOMMU may
 * reserve IOVAs at any byte, but only whole aligned pages can be mapped.
 */
static int ioas_walk_aligned(void *arg, unsigned long start, unsigned long last)
{
	struct ioas_aligned_walk *walk = arg;
	unsigned long first = ALIGN(start, walk->align);

	if (first < start || first > last || last - first < walk->align - 1)
		return 0;
	if (last - first + 1 == 0)	/* the whole IOVA space */
		return walk->fn(walk->arg, first, ULONG_MAX);
	return walk->fn(walk->arg, first,
			first + round_down(last - first + 1, walk->align) - 1);
}

/**
 * ioasid_ioas_walk_usable() - visit the IOVA ranges an IOAS can map
 * @ioas: the IOAS, with iova_rwsem held
 * @fn: called in ascending order with the first and last IOVA of each
 *      range, aligned to ioasid_ioas_iova_alignment(); a non-zero return
 *      stops the walk
 * @arg: passed to @fn
 *
 * Return: 0 after a full walk, or what @fn returned to stop it.
 */
int ioasid_ioas_walk_usable(struct ioasid_ioas *ioas,
			    int (*fn)(void *arg, unsigned long first,
				      unsigned long last),
			    void *arg)
{
	struct ioas_aligned_walk walk = {
		.align = ioasid_ioas_iova_alignment(ioas),
		.fn = fn,
		.arg = arg,
	};

	lockdep_assert_held(&ioas->iova_rwsem);
	return ioasid_iova_walk_usable(&ioas->allowed, &ioas->reserved,
				       ioas_walk_aligned, &walk);
}

struct ioas_range_report {
	struct ioasid_iova_range __user *uranges;
	u32 capacity;
	u32 count;
};

static int ioas_report_range(void *arg, unsigned long first,
			     unsigned long last)
{
	struct ioas_range_report *report = arg;
	struct ioasid_iova_range range = { .start = first, .last = last };

	if (report->count < report->capacity &&
	    copy_to_user(&report->uranges[report->count], &range,
			 sizeof(range)))
		return -EFAULT;
	report->count++;
	return 0;
}

int ioasid_iova_ranges_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_iova_ranges *cmd = ucmd->cmd;
	struct ioas_range_report report = {
		.uranges = u64_to_user_ptr(cmd->ranges),
		.capacity = cmd->num_ranges,
	};
	struct ioasid_ioas *ioas;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	ioas = ioasid_ioas_get(ucmd->ctx, cmd->ioasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	down_read(&ioas->iova_rwsem);
	ret = ioasid_ioas_walk_usable(ioas, ioas_report_range, &report);
	cmd->out_iova_alignment = ioasid_ioas_iova_alignment(ioas);
	up_read(&ioas->iova_rwsem);
	ioasid_ioas_put(ioas);
	if (ret)
		return ret;

	cmd->num_ranges = report.count;
	ret = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (!ret && report.count > report.capacity)
		ret = -EMSGSIZE;
	return ret;
}

static struct ioasid_iova_range *ioas_copy_ranges_from_user(u64 uptr, u32 num)
{
	struct ioasid_iova_range *ranges;

	ranges = kvmalloc_array(num, sizeof(*ranges), GFP_KERNEL_ACCOUNT);
	if (!ranges)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(ranges, u64_to_user_ptr(uptr),
			   array_size(num, sizeof(*ranges)))) {
		kvfree(ranges);
		return ERR_PTR(-EFAULT);
	}
	return ranges;
}

int ioasid_set_allowed_ranges_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_set_allowed_ranges *cmd = ucmd->cmd;
	struct rb_root_cached allowed = RB_ROOT_CACHED;
	struct ioasid_iova_range *ranges;
	struct ioasid_ioas *ioas;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->num_ranges > IOASID_MAX_ALLOWED_RANGES)
		return -EINVAL;
	ioas = ioasid_ioas_get(ucmd->ctx, cmd->ioasid);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	ranges = ioas_copy_ranges_from_user(cmd->ranges, cmd->num_ranges);
	if (IS_ERR(ranges)) {
		ret = PTR_ERR(ranges);
		goto out_put;
	}

	ret = ioasid_iova_set_build(&allowed, ranges, cmd->num_ranges,
				    ioasid_ioas_iova_alignment(ioas));
	kvfree(ranges);
	if (ret)
		goto out_put;

	down_write(&ioas->iova_rwsem);
	if (ioasid_ioas_mappings_within(ioas, &allowed))
		swap(ioas->allowed, allowed);
	else
		ret = -EADDRINUSE;
	up_write(&ioas->iova_rwsem);
	ioasid_iova_set_clear(&allowed);
out_put:
	ioasid_ioas_put(ioas);
	return ret;
}
