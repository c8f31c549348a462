// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault queues: page requests of devices attached to nested IOASIDs,
 * read by the user from a file descriptor and answered through it.
 *
 * The IOMMU core hands a request group to the handler of the domain the
 * device's requester ID or PASID is attached to; the queue holds it until
 * the user's answer, the device's detach or the fd's close answers it, and
 * never more than its depth of them.  This file owns the queue object and
 * its fd, and the count of the users of each device's page requests:
 * drivers enable them once per device, however many attachments want
 * them.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/iommu.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ioasid_private.h"

/* The deepest queue IOASID_FAULT_QUEUE_ALLOC makes. */
#define FAULT_QUEUE_MAX_DEPTH	4096
/* The size of struct ioasid_fault as first published. */
#define FAULT_RECORD_MIN_LEN	32

/* The uAPI's answers and permissions are the IOMMU core's, passed through. */
static_assert((int)IOASID_FAULT_RESPONSE_SUCCESS == IOMMU_PAGE_RESP_SUCCESS);
static_assert((int)IOASID_FAULT_RESPONSE_INVALID == IOMMU_PAGE_RESP_INVALID);
static_assert((int)IOASID_FAULT_RESPONSE_FAILURE == IOMMU_PAGE_RESP_FAILURE);
static_assert(IOASID_FAULT_PERM_READ == IOMMU_FAULT_PERM_READ);
static_assert(IOASID_FAULT_PERM_WRITE == IOMMU_FAULT_PERM_WRITE);
static_assert(IOASID_FAULT_PERM_EXEC == IOMMU_FAULT_PERM_EXEC);
static_assert(IOASID_FAULT_PERM_PRIV == IOMMU_FAULT_PERM_PRIV);
#define FAULT_PERMS	(IOASID_FAULT_PERM_READ | IOASID_FAULT_PERM_WRITE | \
			 IOASID_FAULT_PERM_EXEC | IOASID_FAULT_PERM_PRIV)

/**
 * struct ioasid_fault_queue - page requests waiting for the user
 * @obj: its entry in the context's table; the fd and each nested IOASID
 *       that names the queue hold it
 * @ctx: the context, whose file the queue's fd holds
 * @depth: the most groups @held takes
 * @record_len: the size of one record read() gives
 * @read_lock: serialises readers, which copy records out without @lock
 * @lock: serialises all below
 * @held: every group the queue holds, as struct fault_held by cookie
 * @nr_held: the number of groups in @held
 * @unread: those whose records the user has not all read, oldest first
 * @cursor: records of the first group on @unread already read
 * @next_cookie: where the search for a free cookie starts
 * @lost: requests were answered because the queue was full, since the
 *        last group was queued
 * @closed: the fd was closed: requests are answered at once
 * @nr_lost: requests answered because the queue was full, ever
 * @wait: readers and pollers wait here for records
 */
struct ioasid_fault_queue {
	struct ioasid_object obj;
	struct ioasid_ctx *ctx;
	u32 depth;
	u32 record_len;
	struct mutex read_lock; /* see @read_lock above */
	struct mutex lock; /* see @lock above */
	struct xarray held;
	unsigned int nr_held;
	struct list_head unread;
	unsigned int cursor;
	u32 next_cookie;
	bool lost;
	bool closed;
	u64 nr_lost;
	wait_queue_head_t wait;
};

/**
 * struct fault_held - one request group a queue holds
 * @node: in the queue's @unread until all its records are read
 * @group: the IOMMU core's group, answered and freed once
 * @nested: the nested IOASID the device was attached to, by whose
 *          attachment the group is found when the device leaves it
 * @dev_id: the device's binding
 * @cookie: the group's index in the queue's @held
 * @lost: the first record says %IOASID_FAULT_LOST
 */
struct fault_held {
	struct list_head node;
	struct iopf_group *group;
	struct ioasid_nested *nested;
	u32 dev_id;
	u32 cookie;
	bool lost;
};

/* Answers a group that left its queue, and frees it. */
static void fault_answer(struct fault_held *held,
			 enum iommu_page_response_code code)
{
	iopf_group_response(held->group, code);
	iopf_free_group(held->group);
	kfree(held);
}

/* Answers each group on @list, taken out of its queue, as invalid. */
static void fault_answer_all_invalid(struct list_head *list)
{
	struct fault_held *held, *next;

	list_for_each_entry_safe(held, next, list, node)
		fault_answer(held, IOMMU_PAGE_RESP_INVALID);
}

/* Takes @held out of @q, to be answered after @q's lock. */
static void fault_take(struct ioasid_fault_queue *q, struct fault_held *held)
{
	lockdep_assert_held(&q->lock);
	xa_erase(&q->held, held->cookie);
	q->nr_held--;
	if (!list_empty(&held->node)) {
		/* Leaving the head of @unread restarts the next group. */
		if (q->unread.next == &held->node)
			q->cursor = 0;
		list_del_init(&held->node);
	}
}

/* Takes @held out of @q onto @list, to be answered after @q's lock. */
static void fault_take_onto(struct ioasid_fault_queue *q,
			    struct fault_held *held, struct list_head *list)
{
	fault_take(q, held);
	list_add_tail(&held->node, list);
}

/* Queues @held in @q, or -ENOSPC when @q cannot take it now. */
static int fault_queue_add(struct ioasid_fault_queue *q,
			   struct fault_held *held)
{
	int ret;

	mutex_lock(&q->lock);
	ret = -ENOSPC;
	if (q->closed || q->nr_held >= q->depth)
		goto out_lost;
	ret = xa_alloc_cyclic(&q->held, &held->cookie, held,
			      XA_LIMIT(1, U32_MAX), &q->next_cookie,
			      GFP_KERNEL_ACCOUNT);
	if (ret < 0)
		goto out_unlock;
	ret = 0;
	q->nr_held++;
	held->lost = q->lost;
	q->lost = false;
	list_add_tail(&held->node, &q->unread);
	wake_up_interruptible(&q->wait);
	goto out_unlock;
out_lost:
	q->lost = true;
	q->nr_lost++;
out_unlock:
	mutex_unlock(&q->lock);
	return ret;
}

/**
 * ioasid_fault_iopf_handler() - the iopf_handler of a nested domain
 * @group: a request group of a device attached to the domain
 *
 * Queues the group for the user.  A queue that is full or whose fd is
 * closed answers it as invalid at once, as the device could otherwise
 * wait for ever; so only an allocation failure makes the core answer it.
 *
 * Return: 0, or -ENOMEM.
 */
int ioasid_fault_iopf_handler(struct iopf_group *group)
{
	struct ioasid_attach *att = container_of(group->attach_handle,
						 struct ioasid_attach, handle);
	struct ioasid_nested *nested = group->attach_handle->domain->fault_data;
	struct fault_held *held;
	int ret;

	held = kzalloc(sizeof(*held), GFP_KERNEL_ACCOUNT);
	if (!held)
		return -ENOMEM;
	held->group = group;
	held->nested = nested;
	held->dev_id = att->fault_dev_id;
	ret = fault_queue_add(nested->fault_queue, held);
	if (ret == -ENOSPC) {
		fault_answer(held, IOMMU_PAGE_RESP_INVALID);
		return 0;
	}
	if (ret)
		kfree(held);
	return ret;
}

/*
 * Answers as invalid every group that @nested's queue holds from @att,
 * whose domain no longer is @nested's: the user's answer would come too
 * late.
 */
static void fault_forget(struct ioasid_attach *att,
			 struct ioasid_nested *nested)
{
	struct ioasid_fault_queue *q = nested->fault_queue;
	struct fault_held *held;
	unsigned long cookie;
	LIST_HEAD(answer);

	mutex_lock(&q->lock);
	xa_for_each(&q->held, cookie, held)
		if (held->nested == nested &&
		    held->group->attach_handle == &att->handle)
			fault_take_onto(q, held, &answer);
	mutex_unlock(&q->lock);
	fault_answer_all_invalid(&answer);
}

/*
 * Devices whose page requests are enabled, and for how many attachments:
 * a driver enables them once per device (VT-d refuses a second time),
 * and several bindings, in several contexts, may attach PASIDs of one
 * device to nested IOASIDs with queues.
 */
struct fault_dev {
	struct list_head node;
	struct device *dev;
	unsigned int users;
};

static DEFINE_MUTEX(fault_devs_lock);
static LIST_HEAD(fault_devs);

static struct fault_dev *fault_dev_find(struct device *dev)
{
	struct fault_dev *fdev;

	lockdep_assert_held(&fault_devs_lock);
	list_for_each_entry(fdev, &fault_devs, node)
		if (fdev->dev == dev)
			return fdev;
	return NULL;
}

/* Enables @dev's page requests for one more user. */
static int fault_dev_get(struct device *dev)
{
	struct fault_dev *fdev;
	int ret = 0;

	mutex_lock(&fault_devs_lock);
	fdev = fault_dev_find(dev);
	if (fdev) {
		fdev->users++;
		goto out_unlock;
	}
	fdev = kzalloc(sizeof(*fdev), GFP_KERNEL);
	if (!fdev) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	ret = iommu_dev_enable_feature(dev, IOMMU_DEV_FEAT_IOPF);
	if (ret) {
		kfree(fdev);
		/* Drivers say ENODEV for a device that cannot request. */
		ret = ret == -ENODEV ? -EOPNOTSUPP : ret;
		goto out_unlock;
	}
	fdev->dev = dev;
	fdev->users = 1;
	list_add(&fdev->node, &fault_devs);
out_unlock:
	mutex_unlock(&fault_devs_lock);
	return ret;
}

static void fault_dev_put(struct device *dev)
{
	struct fault_dev *fdev;

	mutex_lock(&fault_devs_lock);
	fdev = fault_dev_find(dev);
	if (fdev && !--fdev->users) {
		list_del(&fdev->node);
		iommu_dev_disable_feature(dev, IOMMU_DEV_FEAT_IOPF);
		kfree(fdev);
	}
	mutex_unlock(&fault_devs_lock);
}

/**
 * ioasid_fault_attach() - enable page requests for an attachment
 * @att: an attachment about to move to @dest, with its group's lock held
 * @dest: where it goes
 *
 * Before the domain changes, so that no request finds the domain's
 * handler while the driver does not take requests from the device.
 *
 * Return: 0, -EOPNOTSUPP when @att's IOMMU cannot deliver the device's
 * page requests, or -ENOMEM.
 */
int ioasid_fault_attach(struct ioasid_attach *att,
			const struct ioasid_dest *dest)
{
	int ret;

	if (!dest->nested || !dest->nested->fault_queue || att->fault_dev)
		return 0;
	ret = fault_dev_get(att->dev);
	if (ret)
		return ret;
	att->fault_dev = att->dev;
	att->fault_dev_id = att->dev_id;
	return 0;
}

/**
 * ioasid_fault_leave() - what @att leaves behind of page requests
 * @att: an attachment that no longer goes through @old's domain, or that
 *       failed to move to @now, with its group's lock held
 * @old: the nested IOASID it was attached to, or NULL
 * @now: the nested IOASID it is attached to now, or NULL
 *
 * Answers the requests @old's queue holds from @att, and disables the
 * device's page requests unless @now takes them.
 */
void ioasid_fault_leave(struct ioasid_attach *att, struct ioasid_nested *old,
			struct ioasid_nested *now)
{
	if (old && old->fault_queue)
		fault_forget(att, old);
	if (att->fault_dev && !(now && now->fault_queue)) {
		fault_dev_put(att->fault_dev);
		att->fault_dev = NULL;
		att->fault_dev_id = 0;
	}
}

/* Fills @rec from @iopf, the fault of @held's group that is next. */
static void fault_record(const struct fault_held *held,
			 const struct iopf_fault *iopf, bool first,
			 struct ioasid_fault *rec)
{
	const struct iommu_fault_page_request *prm = &iopf->fault.prm;

	memset(rec, 0, sizeof(*rec));
	if (prm->flags & IOMMU_FAULT_PAGE_REQUEST_PASID_VALID) {
		rec->flags |= IOASID_FAULT_PASID_VALID;
		rec->pasid = prm->pasid;
	}
	if (iopf == &held->group->last_fault)
		rec->flags |= IOASID_FAULT_LAST;
	if (first && held->lost)
		rec->flags |= IOASID_FAULT_LOST;
	rec->dev_id = held->dev_id;
	rec->perm = prm->perm & FAULT_PERMS;
	rec->addr = prm->addr;
	rec->ioasid = held->nested->obj.id;
	rec->cookie = held->cookie;
}

/* The fault of @held's group at @index, the last one included. */
static struct iopf_fault *fault_nth(struct fault_held *held,
				    unsigned int index)
{
	struct iopf_fault *iopf;

	list_for_each_entry(iopf, &held->group->faults, list)
		if (!index--)
			return iopf;
	return NULL;
}

/*
 * The next record, in @rec, and where the reader stands in its group, in
 * @cursor; -EAGAIN when there is none and @wait is false.
 */
static int fault_peek(struct ioasid_fault_queue *q, bool wait,
		      struct ioasid_fault *rec, unsigned int *cursor)
{
	struct fault_held *held;

	mutex_lock(&q->lock);
	while (list_empty(&q->unread)) {
		mutex_unlock(&q->lock);
		if (!wait)
			return -EAGAIN;
		if (wait_event_interruptible(q->wait,
					     !list_empty_careful(&q->unread)))
			return -ERESTARTSYS;
		mutex_lock(&q->lock);
	}
	held = list_first_entry(&q->unread, struct fault_held, node);
	*cursor = q->cursor;
	fault_record(held, fault_nth(held, q->cursor), !q->cursor, rec);
	mutex_unlock(&q->lock);
	return 0;
}

/*
 * Moves past @rec, which the reader has, unless the kernel answered its
 * group meanwhile: the reader then has a record whose cookie is gone.
 */
static void fault_advance(struct ioasid_fault_queue *q,
			  const struct ioasid_fault *rec, unsigned int cursor)
{
	struct fault_held *held;

	mutex_lock(&q->lock);
	held = list_first_entry_or_null(&q->unread, struct fault_held, node);
	if (held && held->cookie == rec->cookie && q->cursor == cursor) {
		if (rec->flags & IOASID_FAULT_LAST) {
			list_del_init(&held->node);
			q->cursor = 0;
		} else {
			q->cursor++;
		}
	}
	mutex_unlock(&q->lock);
}

/*
 * Copies records to the user with only @read_lock held: a page fault on
 * the user's buffer must not hold up the IOMMU driver, whose handler
 * takes @lock.  Blocks for the first record only.
 */
static ssize_t fault_fops_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	struct ioasid_fault_queue *q = file->private_data;
	bool wait = !(file->f_flags & O_NONBLOCK);
	struct ioasid_fault rec;
	unsigned int cursor;
	size_t done = 0;
	int ret = 0;

	if (count < q->record_len)
		return -EINVAL;
	if (mutex_lock_interruptible(&q->read_lock))
		return -ERESTARTSYS;
	while (count - done >= q->record_len) {
		ret = fault_peek(q, wait && !done, &rec, &cursor);
		if (ret)
			break;
		if (copy_to_user(buf + done, &rec, sizeof(rec)) ||
		    clear_user(buf + done + sizeof(rec),
			       q->record_len - sizeof(rec))) {
			ret = -EFAULT;
			break;
		}
		fault_advance(q, &rec, cursor);
		done += q->record_len;
	}
	mutex_unlock(&q->read_lock);
	return done ?: ret;
}

/* Takes the group @resp answers out of @q, or returns an errno. */
static int fault_take_answered(struct ioasid_fault_queue *q,
			       const struct ioasid_fault_response *resp,
			       struct fault_held **heldp)
{
	struct fault_held *held;

	if (resp->code > IOASID_FAULT_RESPONSE_FAILURE)
		return -EINVAL;
	mutex_lock(&q->lock);
	held = xa_load(&q->held, resp->cookie);
	/* A group still on @unread has not been read whole. */
	if (held && list_empty(&held->node))
		fault_take(q, held);
	else
		held = NULL;
	mutex_unlock(&q->lock);
	*heldp = held;
	return held ? 0 : -ENOENT;
}

static ssize_t fault_fops_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	struct ioasid_fault_queue *q = file->private_data;
	struct ioasid_fault_response resp;
	struct fault_held *held;
	size_t done = 0;
	int ret = 0;

	if (!count || count % sizeof(resp))
		return -EINVAL;
	while (done < count) {
		if (copy_from_user(&resp, buf + done, sizeof(resp))) {
			ret = -EFAULT;
			break;
		}
		ret = fault_take_answered(q, &resp, &held);
		if (ret)
			break;
		fault_answer(held, resp.code);
		done += sizeof(resp);
	}
	return done ?: ret;
}

static __poll_t fault_fops_poll(struct file *file, poll_table *wait)
{
	struct ioasid_fault_queue *q = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &q->wait, wait);
	mutex_lock(&q->lock);
	if (!list_empty(&q->unread))
		mask |= EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&q->lock);
	return mask;
}

static void fault_fops_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct ioasid_fault_queue *q = file->private_data;
	unsigned int unread = 0;
	struct fault_held *held;

	mutex_lock(&q->lock);
	list_for_each_entry(held, &q->unread, node)
		unread++;
	seq_printf(m, "ioasid-fault-queue:\t%u depth=%u held=%u unread=%u lost=%llu\n",
		   q->obj.id, q->depth, q->nr_held, unread,
		   q->nr_lost);
	mutex_unlock(&q->lock);
}

/*
 * The fd lets go of the queue: every group it holds is answered as
 * invalid, and so is every request that still comes.
 */
static int fault_fops_release(struct inode *inode, struct file *file)
{
	struct ioasid_fault_queue *q = file->private_data;
	struct fault_held *held;
	struct ioasid_ctx *ctx;
	unsigned long cookie;
	LIST_HEAD(answer);

	/* An fd whose ioctl failed never held the queue. */
	if (!q)
		return 0;
	mutex_lock(&q->lock);
	q->closed = true;
	xa_for_each(&q->held, cookie, held)
		fault_take_onto(q, held, &answer);
	mutex_unlock(&q->lock);
	fault_answer_all_invalid(&answer);
	/* Once put, the queue may be destroyed: the context may not. */
	ctx = q->ctx;
	ioasid_object_put(&q->obj);
	fput(ctx->file);
	return 0;
}

static const struct file_operations fault_fops = {
	.owner = THIS_MODULE,
	.read = fault_fops_read,
	.write = fault_fops_write,
	.poll = fault_fops_poll,
	.release = fault_fops_release,
	.show_fdinfo = fault_fops_show_fdinfo,
};

static int fault_queue_check(const struct ioasid_fault_queue_alloc *cmd)
{
	if (cmd->flags)
		return -EOPNOTSUPP;
	if (!cmd->depth || cmd->depth > FAULT_QUEUE_MAX_DEPTH)
		return -EINVAL;
	if (cmd->record_len > PAGE_SIZE)
		return -E2BIG;
	if (cmd->record_len < FAULT_RECORD_MIN_LEN)
		return -EINVAL;
	return 0;
}

static struct ioasid_fault_queue *
fault_queue_create(const struct ioasid_fault_queue_alloc *cmd,
		   struct ioasid_ctx *ctx)
{
	struct ioasid_fault_queue *q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);

	if (!q)
		return NULL;
	q->ctx = ctx;
	q->depth = cmd->depth;
	q->record_len = cmd->record_len;
	mutex_init(&q->read_lock);
	mutex_init(&q->lock);
	xa_init_flags(&q->held, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&q->unread);
	init_waitqueue_head(&q->wait);
	return q;
}

static void fault_queue_free(struct ioasid_fault_queue *q)
{
	/* The fd's release answered every group; none came after. */
	WARN_ON(!xa_empty(&q->held));
	xa_destroy(&q->held);
	mutex_destroy(&q->lock);
	mutex_destroy(&q->read_lock);
	kfree_rcu(q, obj.rcu);
}

int ioasid_fault_queue_alloc_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_fault_queue_alloc *cmd = ucmd->cmd;
	struct ioasid_ctx *ctx = ucmd->ctx;
	struct ioasid_fault_queue *q;
	struct file *file;
	int ret, fd;

	ret = fault_queue_check(cmd);
	if (ret)
		return ret;
	q = fault_queue_create(cmd, ctx);
	if (!q)
		return -ENOMEM;
	ret = ioasid_object_reserve(ctx, &q->obj, IOASID_OBJ_FAULT_QUEUE);
	if (ret)
		goto err_free;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_abort;
	}
	file = anon_inode_getfile("[ioasid-fault-queue]", &fault_fops, q,
				  O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_fd;
	}
	cmd->out_id = q->obj.id;
	cmd->out_fd = fd;
	ret = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		goto err_file;

	/* The fd holds the queue and the context. */
	ioasid_object_hold(&q->obj);
	get_file(ctx->file);
	ioasid_object_publish(ctx, &q->obj);
	fd_install(fd, file);
	return 0;

err_file:
	file->private_data = NULL;
	fput(file);
err_fd:
	put_unused_fd(fd);
err_abort:
	ioasid_object_abort(ctx, &q->obj);
err_free:
	fault_queue_free(q);
	return ret;
}

/**
 * ioasid_fault_queue_get() - look up a fault queue for a nested IOASID
 * @ctx: the context
 * @id: the queue's id
 *
 * Return: the queue, held until ioasid_fault_queue_put(), or
 * ERR_PTR(-ENOENT).
 */
struct ioasid_fault_queue *ioasid_fault_queue_get(struct ioasid_ctx *ctx,
						  u32 id)
{
	struct ioasid_object *obj;

	obj = ioasid_object_get(ctx, id, IOASID_OBJ_FAULT_QUEUE);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct ioasid_fault_queue, obj);
}

/**
 * ioasid_fault_queue_put() - let go of a queue
 * @q: a queue from ioasid_fault_queue_get()
 */
void ioasid_fault_queue_put(struct ioasid_fault_queue *q)
{
	ioasid_object_put(&q->obj);
}

/**
 * ioasid_fault_queue_destroy() - free a queue, as its type's destroy op
 * @obj: its object, out of the fd's table and unused: its fd is closed
 */
void ioasid_fault_queue_destroy(struct ioasid_object *obj)
{
	fault_queue_free(container_of(obj, struct ioasid_fault_queue, obj));
}
