// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOASID_TEST: the test-only ioctl.  It creates mock devices as objects of
 * the fd, attaches them, makes them do DMA through their page tables and
 * reads back what the mock IOMMU and the pin accounting hold, so that the
 * selftests check effects rather than return codes.
 */
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/ioasid.h>
#include <linux/ioasid_mock.h>
#include <linux/sched/mm.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ioasid_test_private.h"

/**
 * struct ioasid_mock_obj - a mock device bound to an fd
 * @obj: its entry in the fd's table
 * @dev: the device, of which the object is a user
 * @idev: its binding to the fd
 * @host_owned: a host driver keeps the device, which lends its PASIDs
 */
struct ioasid_mock_obj {
	struct ioasid_object obj;
	struct device *dev;
	struct ioasid_device *idev;
	bool host_owned;
};

static struct ioasid_mock_obj *to_mock_obj(struct ioasid_object *obj)
{
	return container_of(obj, struct ioasid_mock_obj, obj);
}

/**
 * ioasid_test_mock_destroy() - free a mock device object
 * @obj: the object, which the fd's table no longer holds
 *
 * Unbinds the device from the fd and drops the object's use of it: the
 * device goes with its last binding.
 */
void ioasid_test_mock_destroy(struct ioasid_object *obj)
{
	struct ioasid_mock_obj *mobj = to_mock_obj(obj);

	ioasid_device_unbind(mobj->idev);
	ioasid_mock_device_destroy(mobj->dev);
	kfree_rcu(mobj, obj.rcu);
}

/*
 * Mock device @id of the /dev/ioasid fd @fd: its IOMMU group, held, or
 * with @host_owned the device itself, with one more user, if a host
 * driver keeps it.
 */
static void *ioasid_test_mock_lookup(int fd, u32 id, bool host_owned)
{
	struct ioasid_mock_obj *mobj;
	struct ioasid_object *obj;
	struct ioasid_ctx *ctx;
	void *found;

	ctx = ioasid_ctx_from_fd(fd);
	if (IS_ERR(ctx))
		return ctx;
	obj = ioasid_object_get(ctx, id, IOASID_OBJ_MOCK_DEV);
	if (IS_ERR(obj)) {
		found = obj;
		goto out_ctx;
	}
	mobj = to_mock_obj(obj);
	if (!host_owned) {
		found = iommu_group_get(mobj->dev) ?: ERR_PTR(-ENODEV);
	} else if (mobj->host_owned) {
		ioasid_mock_device_hold(mobj->dev);
		found = mobj->dev;
	} else {
		found = ERR_PTR(-EINVAL);
	}
	ioasid_object_put(obj);
out_ctx:
	ioasid_ctx_put(ctx);
	return found;
}

/*
 * The device a new mock object binds: a new one, or with
 * IOASID_MOCK_PASIDS_OF an existing host-owned one.
 */
static struct device *ioasid_test_mock_dev_get(struct ioasid_test *cmd,
					       struct ioasid_mock_config *cfg)
{
	if (!(cmd->mock_device.flags & IOASID_MOCK_PASIDS_OF))
		return ioasid_mock_device_create(cfg);
	return ioasid_test_mock_lookup(cmd->mock_device.group_fd,
				       cmd->mock_device.group_dev, true);
}

static int ioasid_test_mock_device_add(struct ioasid_ucmd *ucmd,
				       struct ioasid_test *cmd)
{
	u32 bind = cmd->mock_device.flags & IOASID_MOCK_BIND_FLAGS;
	struct ioasid_mock_config cfg = {
		.pgsize_bitmap = cmd->mock_device.pgsize_bitmap ?:
				 IOASID_MOCK_PGSIZES,
		.aperture_start = cmd->mock_device.aperture_start,
		.aperture_last = cmd->mock_device.aperture_last,
		.resv_start = cmd->mock_device.resv_start,
		.resv_length = cmd->mock_device.resv_length,
		.pasid_bits = cmd->mock_device.pasid_bits,
		.flags = cmd->mock_device.flags & ~IOASID_MOCK_BIND_FLAGS,
	};
	struct ioasid_mock_obj *mobj;
	int ret;

	if (cfg.flags & ~IOASID_MOCK_FLAGS || cmd->mock_device.__reserved ||
	    cmd->mock_device.__reserved2)
		return -EOPNOTSUPP;
	if (bind == IOASID_MOCK_PASIDS_OF)
		return -EINVAL;
	if (!cfg.aperture_start && !cfg.aperture_last) {
		cfg.aperture_start = IOASID_MOCK_APERTURE_START;
		cfg.aperture_last = IOASID_MOCK_APERTURE_LAST;
	}

	if (cmd->mock_device.group_dev && !(bind & IOASID_MOCK_PASIDS_OF)) {
		cfg.group =
			ioasid_test_mock_lookup(cmd->mock_device.group_fd,
						cmd->mock_device.group_dev,
						false);
		if (IS_ERR(cfg.group))
			return PTR_ERR(cfg.group);
	}

	mobj = kzalloc(sizeof(*mobj), GFP_KERNEL_ACCOUNT);
	if (!mobj) {
		ret = -ENOMEM;
		goto err_group;
	}
	mobj->dev = ioasid_test_mock_dev_get(cmd, &cfg);
	if (IS_ERR(mobj->dev)) {
		ret = PTR_ERR(mobj->dev);
		goto err_free;
	}
	mobj->host_owned = bind & IOASID_MOCK_HOST_OWNED;
	if (mobj->host_owned)
		mobj->idev = ioasid_device_bind_pasids(ucmd->ctx, mobj->dev);
	else
		mobj->idev = ioasid_device_bind(ucmd->ctx, mobj->dev);
	if (IS_ERR(mobj->idev)) {
		ret = PTR_ERR(mobj->idev);
		goto err_dev;
	}
	ret = ioasid_object_reserve(ucmd->ctx, &mobj->obj,
				    IOASID_OBJ_MOCK_DEV);
	if (ret)
		goto err_unbind;
	cmd->mock_device.out_id = mobj->obj.id;
	cmd->mock_device.out_dev_id = mobj->idev->id;
	ret = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		goto err_abort;
	ioasid_object_publish(ucmd->ctx, &mobj->obj);
	if (cfg.group)
		iommu_group_put(cfg.group);
	return 0;

err_abort:
	ioasid_object_abort(ucmd->ctx, &mobj->obj);
err_unbind:
	ioasid_device_unbind(mobj->idev);
err_dev:
	ioasid_mock_device_destroy(mobj->dev);
err_free:
	kfree(mobj);
err_group:
	if (cfg.group)
		iommu_group_put(cfg.group);
	return ret;
}

static int ioasid_test_attach(struct ioasid_ucmd *ucmd,
			      struct ioasid_mock_obj *mobj,
			      struct ioasid_test *cmd)
{
	struct ioasid_dest dest;
	int ret;

	ret = ioasid_dest_get(ucmd->ctx, cmd->ioasid, &dest);
	if (ret)
		return ret;
	if (cmd->op == IOASID_TEST_ATTACH)
		ret = ioasid_device_attach(mobj->idev, &dest);
	else
		ret = ioasid_device_attach_pasid(mobj->idev, cmd->pasid.pasid,
						 &dest);
	ioasid_dest_put(&dest);
	return ret;
}

/*
 * The table DMA from the device goes through: for the requester ID, what
 * the IOMMU core has attached, including its blocking domain; for a
 * PASID, what the mock IOMMU's PASID table points at.  The group's lock
 * keeps either from being freed.
 */
static struct iommu_domain *ioasid_test_dma_domain(struct device *dev,
						   ioasid_t pasid)
{
	if (pasid == IOMMU_NO_PASID)
		return iommu_get_domain_for_dev(dev);
	return ioasid_mock_pasid_domain(dev, pasid);
}

/* Where a mock DMA copies to or from: user memory or a kernel buffer. */
struct ioasid_test_dma_buf {
	void __user *uptr;
	void *kbuf;
};

static int ioasid_test_dma_copy(void *va, struct ioasid_test_dma_buf *buf,
				size_t done, size_t len, bool to_iova)
{
	unsigned long left;

	if (buf->kbuf) {
		if (to_iova)
			memcpy(va, buf->kbuf + done, len);
		else
			memcpy(buf->kbuf + done, va, len);
		return 0;
	}
	if (to_iova)
		left = copy_from_user(va, buf->uptr + done, len);
	else
		left = copy_to_user(buf->uptr + done, va, len);
	return left ? -EFAULT : 0;
}

/*
 * Copies one piece that lies within a CPU page, as the device would:
 * -ENOENT when nothing is mapped there, -EPERM when the entry does not
 * allow the access; *@stage says which stage of a nested table faulted.
 */
static int ioasid_test_dma_page(struct iommu_domain *domain, unsigned long iova,
				struct ioasid_test_dma_buf *buf, size_t done,
				size_t len, bool to_iova, unsigned int *stage)
{
	int need = to_iova ? IOMMU_WRITE : IOMMU_READ;
	struct ioasid_mock_pte pte = {};
	void *va;
	int ret;

	ret = ioasid_mock_translate(domain, iova, &pte);
	*stage = pte.fault_stage;
	if (ret)
		return -ENOENT;
	if (!(pte.s1_prot & need)) {
		*stage = 1;
		return -EPERM;
	}
	if (!(pte.prot & need)) {
		*stage = domain->type == IOMMU_DOMAIN_NESTED ? 2 : 0;
		return -EPERM;
	}

	va = kmap_local_page(pfn_to_page(pte.pfn));
	ret = ioasid_test_dma_copy(va + offset_in_page(iova), buf, done, len,
				   to_iova);
	kunmap_local(va);
	if (!ret && to_iova)
		ioasid_mock_mark_dirty(domain, iova);
	return ret;
}

/**
 * struct ioasid_test_dma_job - one DMA of a mock device
 * @pasid: the PASID it is tagged with, or IOMMU_NO_PASID
 * @iova: the first IOVA
 * @length: the bytes to copy
 * @buf: where from or to
 * @to_iova: it writes the IOVAs
 * @wait_ms: with a stage-1 IOVA not present, the device requests the page
 *           and waits this long for the answer; 0: it faults at once
 * @done: bytes copied
 * @stage: the stage of a nested table that faulted, or 0
 * @requests: the pages it requested
 * @response: the last answer, enum iommu_page_response_code
 */
struct ioasid_test_dma_job {
	ioasid_t pasid;
	unsigned long iova;
	size_t length;
	struct ioasid_test_dma_buf buf;
	bool to_iova;
	unsigned int wait_ms;
	size_t done;
	unsigned int stage;
	unsigned int requests;
	int response;
};

/*
 * Whether the device requests the page whose stage-1 entry faulted,
 * rather than fail: once per IOVA, as a device that was told the page is
 * present and faults again gives up.
 */
static bool ioasid_test_dma_requests(struct ioasid_test_dma_job *job,
				     int ret, unsigned long *requested)
{
	unsigned long iova = job->iova + job->done;

	if (!job->wait_ms || ret != -ENOENT || job->stage != 1 ||
	    (job->requests && *requested == iova))
		return false;
	*requested = iova;
	return true;
}

/*
 * The attachment that DMA of @idev with @pasid goes to, or NULL for a
 * PASID never attached; it may be detached.  The group's lock is held.
 */
static struct ioasid_attach *ioasid_test_attachment(struct ioasid_device *idev,
						    ioasid_t pasid)
{
	lockdep_assert_held(&idev->igroup->lock);
	if (pasid == IOMMU_NO_PASID)
		return &idev->igroup->rid;
	return xa_load(&idev->pasids, pasid);
}

/*
 * One pass of @job from where it stands, with the IOAS's lock held for
 * reading across the transfer, so that the pages cannot be unmapped and
 * unpinned under it.  Returns -ENXIO when the binding has not attached
 * the PASID, or as ioasid_test_dma_page(); or -EAGAIN with a page request
 * in @prq that the caller waits for with no lock held.
 */
static int ioasid_test_dma_pass(struct ioasid_device *idev,
				struct ioasid_test_dma_job *job,
				struct ioasid_mock_prq *prq,
				unsigned long *requested)
{
	struct iommu_domain *domain;
	struct ioasid_attach *att;
	struct ioasid_ioas *ioas;
	int ret = 0;

	mutex_lock(&idev->igroup->lock);
	domain = ioasid_test_dma_domain(idev->dev, job->pasid);
	att = ioasid_test_attachment(idev, job->pasid);
	ioas = att ? att->ioas : NULL;
	if (ioas)
		down_read(&ioas->iova_rwsem);
	/*
	 * A PASID this binding did not attach is blocked for it: it may be
	 * another binding's, whose IOAS this one cannot lock.
	 */
	if (!att)
		ret = -ENXIO;
	while (!ret && job->done < job->length) {
		unsigned long iova = job->iova + job->done;
		size_t len = min_t(u64, job->length - job->done,
				   PAGE_SIZE - offset_in_page(iova));

		ret = ioasid_test_dma_page(domain, iova, &job->buf, job->done,
					   len, job->to_iova, &job->stage);
		if (ret)
			break;
		job->done += len;
		cond_resched();
	}
	if (ioasid_test_dma_requests(job, ret, requested) &&
	    !ioasid_mock_page_request(idev->dev, job->pasid,
				      job->iova + job->done, job->to_iova,
				      prq))
		ret = -EAGAIN;
	/* As an IOMMU driver does, before it logs the fault its own way. */
	else if (domain && (ret == -ENOENT || ret == -EPERM))
		report_iommu_fault(domain, idev->dev, job->iova + job->done,
				   job->to_iova ? IOMMU_FAULT_WRITE :
						  IOMMU_FAULT_READ);
	if (ioas)
		up_read(&ioas->iova_rwsem);
	mutex_unlock(&idev->igroup->lock);
	return ret;
}

/*
 * Runs @job to its end: after each page request, once answered, the
 * device tries again from the page it requested, and an answer other than
 * success fails the DMA there as a stage-1 fault.
 */
static int ioasid_test_dma_run(struct ioasid_device *idev,
			       struct ioasid_test_dma_job *job)
{
	struct ioasid_mock_prq prq;
	unsigned long requested = 0;
	int ret;

	while ((ret = ioasid_test_dma_pass(idev, job, &prq,
					   &requested)) == -EAGAIN) {
		job->requests++;
		job->response = ioasid_mock_page_wait(idev->dev, &prq,
						      job->wait_ms);
		if (job->response < 0)
			return job->response;
		if (job->response != IOMMU_PAGE_RESP_SUCCESS) {
			job->stage = 1;
			return -ENOENT;
		}
	}
	return ret;
}

/* The longest a test DMA waits for the answer to one page request. */
#define IOASID_TEST_DMA_MAX_WAIT_MS	10000

static int ioasid_test_dma(struct ioasid_ucmd *ucmd,
			   struct ioasid_mock_obj *mobj,
			   struct ioasid_test *cmd)
{
	struct ioasid_test_dma_job job = {
		.pasid = cmd->dma.pasid,
		.iova = cmd->dma.iova,
		.length = cmd->dma.length,
		.buf.uptr = u64_to_user_ptr(cmd->dma.uptr),
		.to_iova = cmd->dma.to_iova,
		.wait_ms = cmd->dma.wait_ms,
	};
	unsigned long last;
	int ret;

	if (cmd->dma.to_iova > 1 ||
	    cmd->dma.wait_ms > IOASID_TEST_DMA_MAX_WAIT_MS)
		return -EINVAL;
	if (!cmd->dma.length || check_add_overflow(cmd->dma.iova,
						   cmd->dma.length - 1, &last))
		return -EINVAL;

	ret = ioasid_test_dma_run(mobj->idev, &job);
	cmd->dma.out_fault_stage = job.stage;
	cmd->dma.out_page_requests = job.requests;
	/* The core's answers are the uAPI's (fault.c). */
	cmd->dma.out_response = job.requests ? job.response : 0;
	if (ret == -EFAULT || ret == -ETIMEDOUT || ret == -EINTR)
		return ret;
	if (!ret)
		return job.requests ? ioasid_ucmd_respond(ucmd, sizeof(*cmd)) :
				      0;
	/* The test ioctl reports every fault of the device alike. */
	cmd->dma.out_fault_iova = cmd->dma.iova + job.done;
	if (ioasid_ucmd_respond(ucmd, sizeof(*cmd)))
		return -EFAULT;
	return -EIO;
}

/**
 * ioasid_mock_dma() - DMA of a mock device, as its driver would start it
 * @idev: the device's binding, from the kAPI
 * @pasid: the PASID the device tags the DMA with, or IOMMU_NO_PASID
 * @iova: the first IOVA
 * @buf: the device's own buffer
 * @length: bytes to copy
 * @to_iova: write the IOVAs from @buf rather than read them into it
 *
 * The DMA goes through the page table the mock IOMMU has for the device's
 * requester ID or @pasid, and only if @idev attached it.
 *
 * Return: 0; -EINVAL for an empty or wrapping range; -ENXIO when @idev
 * has not attached @pasid, so the DMA is blocked; -ENOENT when an IOVA is
 * not mapped, -EPERM when its mapping does not allow the access (then
 * some bytes may have been copied).
 */
int ioasid_mock_dma(struct ioasid_device *idev, u32 pasid, unsigned long iova,
		    void *buf, size_t length, bool to_iova)
{
	struct ioasid_test_dma_job job = {
		.pasid = pasid,
		.iova = iova,
		.length = length,
		.buf.kbuf = buf,
		.to_iova = to_iova,
	};
	unsigned long last;

	if (!length || check_add_overflow(iova, length - 1, &last))
		return -EINVAL;
	return ioasid_test_dma_run(idev, &job);
}
EXPORT_SYMBOL_NS_GPL(ioasid_mock_dma, IOASID);

static int ioasid_test_read_iopte(struct ioasid_ucmd *ucmd,
				  struct ioasid_mock_obj *mobj,
				  struct ioasid_test *cmd)
{
	struct iommu_domain *domain;
	struct ioasid_mock_pte pte;
	int ret;

	mutex_lock(&mobj->idev->igroup->lock);
	/* As for DMA, another binding's PASID is not this one's to read. */
	if (ioasid_test_attachment(mobj->idev, cmd->iopte.pasid)) {
		domain = ioasid_test_dma_domain(mobj->dev, cmd->iopte.pasid);
		ret = ioasid_mock_translate(domain, cmd->iopte.iova, &pte);
	} else {
		ret = -ENODEV;
	}
	mutex_unlock(&mobj->idev->igroup->lock);
	if (ret)
		return ret;
	cmd->iopte.out_pfn = pte.pfn;
	cmd->iopte.out_pgsize = pte.pgsize;
	cmd->iopte.out_prot = pte.prot;
	cmd->iopte.out_flags = (pte.snoop ? IOASID_MOCK_PTE_SNOOP : 0) |
			       (pte.dirty ? IOASID_MOCK_PTE_DIRTY : 0);
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

static int ioasid_test_read_pinned(struct ioasid_ucmd *ucmd,
				   struct ioasid_test *cmd)
{
	struct ioasid_ctx *ctx = ucmd->ctx;

	cmd->pinned.out_fd_pages = ioasid_ctx_pinned_pages(ctx);
	cmd->pinned.out_user_locked =
		atomic_long_read(&current_user()->locked_vm);
	cmd->pinned.out_mm_locked = READ_ONCE(current->mm->locked_vm);
	cmd->pinned.out_mm_pinned = atomic64_read(&current->mm->pinned_vm);
	cmd->pinned.out_table_pages = atomic_long_read(&ctx->pages_in_tables);
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

static int ioasid_test_mock_config(struct ioasid_ucmd *ucmd,
				   struct ioasid_mock_obj *mobj,
				   struct ioasid_test *cmd)
{
	int ret;

	ret = ioasid_mock_device_config(mobj->dev, cmd->mock_config.flags,
					cmd->mock_config.fail_set_pasid,
					&cmd->mock_config.out_pasid_entries);
	if (ret)
		return ret;
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

/* The ops that act on an existing mock device. */
static int ioasid_test_device_op(struct ioasid_ucmd *ucmd,
				 struct ioasid_test *cmd)
{
	struct ioasid_mock_obj *mobj;
	struct ioasid_object *obj;
	int ret;

	obj = ioasid_object_get(ucmd->ctx, cmd->id, IOASID_OBJ_MOCK_DEV);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	mobj = to_mock_obj(obj);

	switch (cmd->op) {
	case IOASID_TEST_ATTACH:
	case IOASID_TEST_ATTACH_PASID:
		ret = ioasid_test_attach(ucmd, mobj, cmd);
		break;
	case IOASID_TEST_DETACH:
		ioasid_device_detach(mobj->idev);
		ret = 0;
		break;
	case IOASID_TEST_DETACH_PASID:
		ret = ioasid_device_detach_pasid(mobj->idev, cmd->pasid.pasid);
		break;
	case IOASID_TEST_DMA:
		ret = ioasid_test_dma(ucmd, mobj, cmd);
		break;
	case IOASID_TEST_MOCK_CONFIG:
		ret = ioasid_test_mock_config(ucmd, mobj, cmd);
		break;
	default:
		ret = ioasid_test_read_iopte(ucmd, mobj, cmd);
		break;
	}
	ioasid_object_put(obj);
	return ret;
}

/*
 * Binds a device that is in an IOMMU group no IOMMU is behind, which
 * must fail: the errno is the bind's.
 */
static int ioasid_test_bind_untranslated(struct ioasid_ucmd *ucmd,
					 struct ioasid_test *cmd)
{
	struct ioasid_device *idev;
	struct device *dev;

	if (cmd->mock_device.flags & ~IOASID_MOCK_HOST_OWNED)
		return -EOPNOTSUPP;
	dev = ioasid_mock_untranslated_create();
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	if (cmd->mock_device.flags & IOASID_MOCK_HOST_OWNED)
		idev = ioasid_device_bind_pasids(ucmd->ctx, dev);
	else
		idev = ioasid_device_bind(ucmd->ctx, dev);
	if (!IS_ERR(idev))
		ioasid_device_unbind(idev);
	ioasid_mock_untranslated_destroy(dev);
	return PTR_ERR_OR_ZERO(idev);
}

int ioasid_test_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_test *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOASID_TEST_MOCK_DEVICE:
		return ioasid_test_mock_device_add(ucmd, cmd);
	case IOASID_TEST_ATTACH_PASID:
	case IOASID_TEST_DETACH_PASID:
		if (cmd->pasid.__reserved)
			return -EOPNOTSUPP;
		return ioasid_test_device_op(ucmd, cmd);
	case IOASID_TEST_IOPTE:
		if (cmd->iopte.__reserved)
			return -EOPNOTSUPP;
		return ioasid_test_device_op(ucmd, cmd);
	case IOASID_TEST_MOCK_CONFIG:
		if (cmd->mock_config.__reserved)
			return -EOPNOTSUPP;
		return ioasid_test_device_op(ucmd, cmd);
	case IOASID_TEST_ATTACH:
	case IOASID_TEST_DETACH:
	case IOASID_TEST_DMA:
		return ioasid_test_device_op(ucmd, cmd);
	case IOASID_TEST_PINNED:
		return ioasid_test_read_pinned(ucmd, cmd);
	case IOASID_TEST_ACCESS_CREATE ... IOASID_TEST_ACCESS_CONFIG:
		return ioasid_test_access_ioctl(ucmd, cmd);
	case IOASID_TEST_BIND_UNTRANSLATED:
		return ioasid_test_bind_untranslated(ucmd, cmd);
	case IOASID_TEST_FLOOR:
		return ioasid_test_floor(ucmd, cmd);
	default:
		return -EOPNOTSUPP;
	}
}
