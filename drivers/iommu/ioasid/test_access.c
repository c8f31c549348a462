// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOASID_TEST_ACCESS_* ops: a mock emulated device, owned by an fd as
 * an object, that reaches IOASID memory through an access the way a
 * driver of such a device would.  It keeps the pages it pins, copies
 * through them as its "DMA", and unpins from its unmap callback, unless
 * told to keep them as a buggy driver would.  One created to mirror the
 * IOASID pins each mapping from its map callback.
 */
#include <linux/highmem.h>
#include <linux/ioasid.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ioasid_test_private.h"

/* The most pages one pin of the mock may take, and bytes one copy. */
#define MOCK_ACCESS_MAX_PIN	BIT(16)
#define MOCK_ACCESS_MAX_RW	SZ_1M

/**
 * struct mock_access_pin - pages the emulated device holds pinned
 * @node: in the device's list of pins
 * @iova: the first IOVA
 * @npages: pages pinned
 * @writable: pinned with %IOASID_ACCESS_WRITE
 * @pages: the pages, in IOVA order
 */
struct mock_access_pin {
	struct list_head node;
	unsigned long iova;
	unsigned long npages;
	bool writable;
	struct page **pages;
};

/**
 * struct ioasid_mock_access - a mock emulated device owned by an fd
 * @obj: its entry in the fd's table
 * @access: its access
 * @lock: protects the fields below; taken before the access's lock
 * @pins: its pins, as struct mock_access_pin
 * @pinned: pages in @pins
 * @flags: IOASID_MOCK_ACCESS_KEEP_PINS, IOASID_MOCK_ACCESS_MIRROR or both
 * @unmap_calls: the times its unmap callback ran
 * @unmap_iova: the first IOVA the last callback named
 * @unmap_last: the last IOVA it named
 */
struct ioasid_mock_access {
	struct ioasid_object obj;
	struct ioasid_access *access;
	struct mutex lock; /* see @lock above */
	struct list_head pins;
	unsigned long pinned;
	u32 flags;
	u64 unmap_calls;
	u64 unmap_iova;
	u64 unmap_last;
};

static struct ioasid_mock_access *to_mock_access(struct ioasid_object *obj)
{
	return container_of(obj, struct ioasid_mock_access, obj);
}

static void mock_access_drop_pin(struct ioasid_mock_access *mock,
				 struct mock_access_pin *pin)
{
	lockdep_assert_held(&mock->lock);
	ioasid_access_unpin_pages(mock->access, pin->iova, pin->npages);
	mock->pinned -= pin->npages;
	list_del(&pin->node);
	kvfree(pin->pages);
	kfree(pin);
}

static void mock_access_unmap(void *data, unsigned long iova,
			      unsigned long last)
{
	struct ioasid_mock_access *mock = data;
	struct mock_access_pin *pin, *next;

	mutex_lock(&mock->lock);
	mock->unmap_calls++;
	mock->unmap_iova = iova;
	mock->unmap_last = last;
	if (mock->flags & IOASID_MOCK_ACCESS_KEEP_PINS)
		goto out_unlock;
	list_for_each_entry_safe(pin, next, &mock->pins, node) {
		unsigned long pin_last = pin->iova +
					 (pin->npages << PAGE_SHIFT) - 1;

		if (pin->iova <= last && pin_last >= iova)
			mock_access_drop_pin(mock, pin);
	}
out_unlock:
	mutex_unlock(&mock->lock);
}

/*
 * Pins @npages from @iova for the device, with @mock->lock held: for
 * writing with @writable, else for reading.
 */
static int mock_access_add_pin(struct ioasid_mock_access *mock,
			       unsigned long iova, unsigned long npages,
			       bool writable)
{
	struct mock_access_pin *pin;
	int ret = -ENOMEM;

	lockdep_assert_held(&mock->lock);
	pin = kzalloc(sizeof(*pin), GFP_KERNEL_ACCOUNT);
	if (!pin)
		return -ENOMEM;
	pin->pages = kvcalloc(npages, sizeof(*pin->pages), GFP_KERNEL_ACCOUNT);
	if (pin->pages)
		ret = ioasid_access_pin_pages(mock->access, iova, npages,
					      pin->pages,
					      writable ? IOASID_ACCESS_WRITE : 0);
	if (ret) {
		kvfree(pin->pages);
		kfree(pin);
		return ret;
	}
	pin->iova = iova;
	pin->npages = npages;
	pin->writable = writable;
	list_add_tail(&pin->node, &mock->pins);
	mock->pinned += npages;
	return 0;
}

/*
 * The mirror's map callback: pins [@iova, @last] in pieces of the most
 * one pin takes, for writing unless the mapping is read-only.  It stops
 * at the first piece that cannot be pinned, as when it was unmapped
 * meanwhile (its unmap callback took the rest) or the access is leaving.
 */
static void mock_access_map(void *data, unsigned long iova,
			    unsigned long last)
{
	struct ioasid_mock_access *mock = data;
	unsigned long npages;
	int ret;

	mutex_lock(&mock->lock);
	for (;;) {
		npages = min(PFN_DOWN(last - iova) + 1, MOCK_ACCESS_MAX_PIN);
		ret = mock_access_add_pin(mock, iova, npages, true);
		if (ret == -EPERM)
			ret = mock_access_add_pin(mock, iova, npages, false);
		if (ret || last - iova < PFN_PHYS(npages))
			break;
		iova += PFN_PHYS(npages);
	}
	mutex_unlock(&mock->lock);
}

static const struct ioasid_access_ops mock_access_ops = {
	.unmap = mock_access_unmap,
};

static const struct ioasid_access_ops mock_access_mirror_ops = {
	.map = mock_access_map,
	.unmap = mock_access_unmap,
};

/**
 * ioasid_test_access_destroy() - free a mock emulated device
 * @obj: its object, which the fd's table no longer holds
 *
 * Unpins what the device holds, as its driver would on removal, whatever
 * its flags, then frees its access.
 */
void ioasid_test_access_destroy(struct ioasid_object *obj)
{
	struct ioasid_mock_access *mock = to_mock_access(obj);
	struct mock_access_pin *pin, *next;

	mutex_lock(&mock->lock);
	list_for_each_entry_safe(pin, next, &mock->pins, node)
		mock_access_drop_pin(mock, pin);
	mutex_unlock(&mock->lock);
	ioasid_access_free(mock->access);
	mutex_destroy(&mock->lock);
	kfree_rcu(mock, obj.rcu);
}

static int mock_access_create(struct ioasid_ucmd *ucmd,
			      struct ioasid_test *cmd)
{
	struct ioasid_mock_access *mock;
	int ret;

	if (cmd->access.flags & ~(IOASID_MOCK_ACCESS_KEEP_PINS |
				  IOASID_MOCK_ACCESS_MIRROR))
		return -EOPNOTSUPP;
	mock = kzalloc(sizeof(*mock), GFP_KERNEL_ACCOUNT);
	if (!mock)
		return -ENOMEM;
	mutex_init(&mock->lock);
	INIT_LIST_HEAD(&mock->pins);
	mock->flags = cmd->access.flags;
	mock->access = ioasid_access_alloc(ucmd->ctx,
					   mock->flags & IOASID_MOCK_ACCESS_MIRROR ?
					   &mock_access_mirror_ops :
					   &mock_access_ops, mock);
	if (IS_ERR(mock->access)) {
		ret = PTR_ERR(mock->access);
		goto err_free;
	}
	ret = ioasid_object_reserve(ucmd->ctx, &mock->obj,
				    IOASID_OBJ_MOCK_ACCESS);
	if (ret)
		goto err_access;
	cmd->access.out_id = mock->obj.id;
	ret = ioasid_ucmd_respond(ucmd, sizeof(*cmd));
	if (ret)
		goto err_abort;
	ioasid_object_publish(ucmd->ctx, &mock->obj);
	return 0;

err_abort:
	ioasid_object_abort(ucmd->ctx, &mock->obj);
err_access:
	if (!IS_ERR(mock->access))
		ioasid_access_free(mock->access);
err_free:
	kfree(mock);
	return ret;
}

static int mock_access_attach(struct ioasid_ucmd *ucmd,
			      struct ioasid_mock_access *mock, u32 ioasid)
{
	struct ioasid_ioas *ioas = ioasid_ioas_get(ucmd->ctx, ioasid);
	int ret;

	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	ret = ioasid_access_attach_ioas(mock->access, ioas);
	ioasid_ioas_put(ioas);
	return ret;
}

/*
 * Checks a range of whole pages, as the access API would, and the mock's
 * own limit; sets @npages.
 */
static int mock_access_pages(struct ioasid_test *cmd, unsigned long *npages)
{
	u64 last;

	if (!cmd->access.length || !PAGE_ALIGNED(cmd->access.iova) ||
	    !PAGE_ALIGNED(cmd->access.length))
		return -EINVAL;
	if (check_add_overflow(cmd->access.iova, cmd->access.length - 1,
			       &last) || last > ULONG_MAX)
		return -EOVERFLOW;
	*npages = cmd->access.length >> PAGE_SHIFT;
	return *npages > MOCK_ACCESS_MAX_PIN ? -E2BIG : 0;
}

static int mock_access_pin(struct ioasid_mock_access *mock,
			   struct ioasid_test *cmd)
{
	unsigned long npages;
	int ret;

	ret = mock_access_pages(cmd, &npages);
	if (ret)
		return ret;
	mutex_lock(&mock->lock);
	ret = mock_access_add_pin(mock, cmd->access.iova, npages,
				  cmd->access.flags & IOASID_MOCK_ACCESS_WRITE);
	mutex_unlock(&mock->lock);
	return ret;
}

static int mock_access_unpin(struct ioasid_mock_access *mock,
			     struct ioasid_test *cmd)
{
	struct mock_access_pin *pin;
	int ret = -ENXIO;

	mutex_lock(&mock->lock);
	list_for_each_entry(pin, &mock->pins, node) {
		if (pin->iova == cmd->access.iova &&
		    (u64)pin->npages << PAGE_SHIFT == cmd->access.length) {
			mock_access_drop_pin(mock, pin);
			ret = 0;
			break;
		}
	}
	mutex_unlock(&mock->lock);
	return ret;
}

/*
 * Copies through ioasid_access_rw() with a bounce buffer, as a driver
 * reads and writes descriptors: all of the range or none of it.
 */
static int mock_access_rw(struct ioasid_mock_access *mock,
			  struct ioasid_test *cmd)
{
	bool write = cmd->access.flags & IOASID_MOCK_ACCESS_WRITE;
	void __user *uptr = u64_to_user_ptr(cmd->access.uptr);
	size_t len = cmd->access.length;
	void *bounce;
	u64 last;
	int ret;

	if (!len)
		return -EINVAL;
	if (check_add_overflow(cmd->access.iova, len - 1, &last) ||
	    last > ULONG_MAX)
		return -EOVERFLOW;
	if (len > MOCK_ACCESS_MAX_RW)
		return -E2BIG;
	bounce = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!bounce)
		return -ENOMEM;
	if (write && copy_from_user(bounce, uptr, len)) {
		ret = -EFAULT;
		goto out_free;
	}
	ret = ioasid_access_rw(mock->access, cmd->access.iova, bounce, len,
			       write ? IOASID_ACCESS_WRITE : 0);
	if (!ret && !write && copy_to_user(uptr, bounce, len))
		ret = -EFAULT;
out_free:
	kvfree(bounce);
	return ret;
}

/*
 * The page the device holds pinned at @iova, for @write through any of
 * the pins that hold it; or NULL, with *@err set to -ENXIO when no pin
 * holds it and to -EPERM when only pins taken to read do.
 */
static struct page *mock_access_pinned_page(struct ioasid_mock_access *mock,
					    u64 iova, bool write, int *err)
{
	struct mock_access_pin *pin;
	int why = -ENXIO;

	list_for_each_entry(pin, &mock->pins, node) {
		u64 offset = iova - pin->iova;

		if (iova < pin->iova || offset >> PAGE_SHIFT >= pin->npages)
			continue;
		if (write && !pin->writable) {
			why = -EPERM;
			continue;
		}
		return pin->pages[offset >> PAGE_SHIFT];
	}
	*err = why;
	return NULL;
}

/* Whether the device holds every page of the range pinned, for @write. */
static int mock_access_dma_pinned(struct ioasid_mock_access *mock,
				  u64 iova, u64 last, bool write)
{
	u64 npages = (last >> PAGE_SHIFT) - (iova >> PAGE_SHIFT) + 1, i;
	int ret = 0;

	for (i = 0; i < npages; i++) {
		if (!mock_access_pinned_page(mock, iova + (i << PAGE_SHIFT),
					     write, &ret))
			return ret;
		cond_resched();
	}
	return 0;
}

/*
 * -ENXIO when a page of the range is not pinned, else -EPERM when @write
 * meets a page pinned for reading only, else 0: whatever their order.
 */
static int mock_access_dma_check(struct ioasid_mock_access *mock,
				 u64 iova, u64 last, bool write)
{
	int ret = mock_access_dma_pinned(mock, iova, last, false);

	if (!ret && write)
		ret = mock_access_dma_pinned(mock, iova, last, true);
	return ret;
}

/*
 * Copies through the pages the device holds pinned, as its DMA would;
 * nothing when a page of the range is not pinned as it needs.
 */
static int mock_access_dma(struct ioasid_mock_access *mock,
			   struct ioasid_test *cmd)
{
	bool write = cmd->access.flags & IOASID_MOCK_ACCESS_WRITE;
	u64 done = 0, last;
	int ret;

	if (!cmd->access.length)
		return -EINVAL;
	if (check_add_overflow(cmd->access.iova, cmd->access.length - 1,
			       &last))
		return -EOVERFLOW;

	mutex_lock(&mock->lock);
	ret = mock_access_dma_check(mock, cmd->access.iova, last, write);
	while (!ret && done < cmd->access.length) {
		u64 iova = cmd->access.iova + done;
		size_t len = min_t(u64, cmd->access.length - done,
				   PAGE_SIZE - offset_in_page(iova));
		void __user *uptr = u64_to_user_ptr(cmd->access.uptr + done);
		struct page *page;
		unsigned long left;
		void *va;

		page = mock_access_pinned_page(mock, iova, write, &ret);
		va = kmap_local_page(page);
		if (write)
			left = copy_from_user(va + offset_in_page(iova), uptr,
					      len);
		else
			left = copy_to_user(uptr, va + offset_in_page(iova),
					    len);
		kunmap_local(va);
		if (left) {
			ret = -EFAULT;
			break;
		}
		done += len;
		cond_resched();
	}
	mutex_unlock(&mock->lock);
	return ret;
}

static int mock_access_config(struct ioasid_ucmd *ucmd,
			      struct ioasid_mock_access *mock,
			      struct ioasid_test *cmd)
{
	if (cmd->access.flags & ~IOASID_MOCK_ACCESS_KEEP_PINS)
		return -EOPNOTSUPP;
	mutex_lock(&mock->lock);
	mock->flags = (mock->flags & IOASID_MOCK_ACCESS_MIRROR) |
		      cmd->access.flags;
	cmd->access.out_unmap_calls = mock->unmap_calls;
	cmd->access.out_unmap_iova = mock->unmap_iova;
	cmd->access.out_unmap_last = mock->unmap_last;
	cmd->access.out_pinned_pages = mock->pinned;
	mutex_unlock(&mock->lock);
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

/* The flags each op takes; the others ignore @access.flags. */
static u32 mock_access_op_flags(u32 op)
{
	switch (op) {
	case IOASID_TEST_ACCESS_PIN:
	case IOASID_TEST_ACCESS_RW:
	case IOASID_TEST_ACCESS_DMA:
		return IOASID_MOCK_ACCESS_WRITE;
	case IOASID_TEST_ACCESS_CONFIG:
		return IOASID_MOCK_ACCESS_KEEP_PINS;
	default:
		return U32_MAX;
	}
}

/**
 * ioasid_test_access_ioctl() - the IOASID_TEST_ACCESS_* ops
 * @ucmd: the call
 * @cmd: its struct, whose @op is one of them
 *
 * Return: 0, or the errno of the op.
 */
int ioasid_test_access_ioctl(struct ioasid_ucmd *ucmd, struct ioasid_test *cmd)
{
	struct ioasid_mock_access *mock;
	struct ioasid_object *obj;
	int ret;

	if (cmd->op == IOASID_TEST_ACCESS_CREATE)
		return mock_access_create(ucmd, cmd);
	if (cmd->access.flags & ~mock_access_op_flags(cmd->op))
		return -EOPNOTSUPP;

	obj = ioasid_object_get(ucmd->ctx, cmd->id, IOASID_OBJ_MOCK_ACCESS);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	mock = to_mock_access(obj);

	switch (cmd->op) {
	case IOASID_TEST_ACCESS_ATTACH:
		ret = mock_access_attach(ucmd, mock, cmd->ioasid);
		break;
	case IOASID_TEST_ACCESS_DETACH:
		ret = ioasid_access_detach(mock->access);
		break;
	case IOASID_TEST_ACCESS_PIN:
		ret = mock_access_pin(mock, cmd);
		break;
	case IOASID_TEST_ACCESS_UNPIN:
		ret = mock_access_unpin(mock, cmd);
		break;
	case IOASID_TEST_ACCESS_RW:
		ret = mock_access_rw(mock, cmd);
		break;
	case IOASID_TEST_ACCESS_DMA:
		ret = mock_access_dma(mock, cmd);
		break;
	default:
		ret = mock_access_config(ucmd, mock, cmd);
		break;
	}
	ioasid_object_put(obj);
	return ret;
}
