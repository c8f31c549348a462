// SPDX-License-Identifier: GPL-2.0-only
/*
 * The object table of a /dev/ioasid context: ids scoped to the fd,
 * lookups that pin an object against destruction, and destroy-by-id that
 * refuses objects still in use.
 *
 * The table holds one reference to each object.  Every lookup adds one and
 * its user drops it when done, so an object is idle exactly when its count
 * is one; destroy takes that last reference, after which no lookup can
 * take one, and only then takes the object out of the table.  Lookups
 * hold no lock, only the RCU read side, the fd's ioctls of every thread
 * beside each other: each type frees its struct with kfree_rcu() through
 * the object's rcu head, so a lookup that found it just before it went
 * reads a count of zero, not freed memory.
 */
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "ioasid_private.h"
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
#include "ioasid_test_private.h"
#endif

/**
 * struct ioasid_object_ops - what the table does with objects of one type
 * @destroy: frees an object that is out of the table and that nothing
 *           uses any more
 */
struct ioasid_object_ops {
	void (*destroy)(struct ioasid_object *obj);
};

/*
 * Indexed by enum ioasid_object_type; each type's functions live in its
 * own file.  Types that exist only in some kernels, such as the mock
 * devices of CONFIG_DEV_IOASID_TEST, have their entry only there.
 */
static const struct ioasid_object_ops ioasid_object_ops[IOASID_OBJ_NR] = {
	[IOASID_OBJ_IOAS] = { .destroy = ioasid_ioas_destroy },
	[IOASID_OBJ_NESTED] = { .destroy = ioasid_nested_destroy },
	[IOASID_OBJ_FAULT_QUEUE] = { .destroy = ioasid_fault_queue_destroy },
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	[IOASID_OBJ_MOCK_DEV] = { .destroy = ioasid_test_mock_destroy },
	[IOASID_OBJ_MOCK_ACCESS] = { .destroy = ioasid_test_access_destroy },
#endif
};

static void ioasid_object_free(struct ioasid_object *obj)
{
	ioasid_object_ops[obj->type].destroy(obj);
}

/**
 * ioasid_object_reserve_id() - take an id that no object will get
 * @ctx: the context
 * @id: set to the id
 *
 * For what userspace names by id without it being an object, such as a
 * device binding: lookups and IOASID_DESTROY find nothing at the id.
 *
 * Return: 0, or -ENOMEM (also when the id space is exhausted).
 */
int ioasid_object_reserve_id(struct ioasid_ctx *ctx, u32 *id)
{
	int ret = xa_alloc(&ctx->objects, id, NULL, xa_limit_31b,
			   GFP_KERNEL_ACCOUNT);

	return ret == -EBUSY ? -ENOMEM : ret;
}

/**
 * ioasid_object_release_id() - give back an id
 * @ctx: the context
 * @id: an id from ioasid_object_reserve_id(), or of an object never
 *      published
 */
void ioasid_object_release_id(struct ioasid_ctx *ctx, u32 id)
{
	xa_erase(&ctx->objects, id);
}

/**
 * ioasid_object_reserve() - give a new object an id, still invisible
 * @ctx: the context the object belongs to
 * @obj: the object, embedded in its type's struct
 * @type: its type
 *
 * The id can be reported to userspace before the object is published;
 * lookups of a reserved id fail.
 *
 * Return: 0, or -ENOMEM (also when the id space is exhausted).
 */
int ioasid_object_reserve(struct ioasid_ctx *ctx, struct ioasid_object *obj,
			  enum ioasid_object_type type)
{
	refcount_set(&obj->users, 1);
	obj->type = type;
	return ioasid_object_reserve_id(ctx, &obj->id);
}

/**
 * ioasid_object_publish() - make a reserved object visible to lookups
 * @ctx: the context
 * @obj: an object from ioasid_object_reserve()
 */
void ioasid_object_publish(struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	/* Storing over a reserved slot never allocates, so cannot fail. */
	xa_store(&ctx->objects, obj->id, obj, GFP_KERNEL);
}

/**
 * ioasid_object_abort() - release the id of an object never published
 * @ctx: the context
 * @obj: an object from ioasid_object_reserve()
 *
 * The caller frees the object itself.
 */
void ioasid_object_abort(struct ioasid_ctx *ctx, struct ioasid_object *obj)
{
	ioasid_object_release_id(ctx, obj->id);
}

/**
 * ioasid_object_get() - look up an object by id and type and pin it
 * @ctx: the context
 * @id: the id userspace named
 * @type: the type the caller needs
 *
 * Return: the object, to be released with ioasid_object_put(), or
 * ERR_PTR(-ENOENT) when @ctx has no published object of @type at @id.
 */
struct ioasid_object *ioasid_object_get(struct ioasid_ctx *ctx, u32 id,
					enum ioasid_object_type type)
{
	struct ioasid_object *obj;

	rcu_read_lock();
	obj = xa_load(&ctx->objects, id);
	if (!obj || obj->type != type || !refcount_inc_not_zero(&obj->users))
		obj = ERR_PTR(-ENOENT);
	rcu_read_unlock();
	return obj;
}

/**
 * ioasid_object_put() - drop a reference from ioasid_object_get()
 * @obj: the object
 */
void ioasid_object_put(struct ioasid_object *obj)
{
	refcount_dec(&obj->users);
}

/**
 * ioasid_object_destroy() - remove an idle object and free it
 * @ctx: the context
 * @id: the object's id
 *
 * Return: 0, -ENOENT when there is no published object at @id, or -EBUSY
 * when the object is in use; then nothing changes.
 */
int ioasid_object_destroy(struct ioasid_ctx *ctx, u32 id)
{
	struct ioasid_object *obj;
	int ret = 0;

	/* The views read objects unreferenced: wait for them, not fail. */
	down_write(&ctx->views_rwsem);
	xa_lock(&ctx->objects);
	obj = xa_load(&ctx->objects, id);
	if (!obj)
		ret = -ENOENT;
	else if (!refcount_dec_if_one(&obj->users))
		ret = -EBUSY;
	else
		__xa_erase(&ctx->objects, id);
	xa_unlock(&ctx->objects);

	if (!ret)
		ioasid_object_free(obj);
	up_write(&ctx->views_rwsem);
	return ret;
}

/**
 * ioasid_object_destroy_all() - free every object of a closing context
 * @ctx: the context, which no ioctl can reach any more
 *
 * An object in use by another, such as an IOAS by an attached device, is
 * freed in a later pass, after its users.
 */
void ioasid_object_destroy_all(struct ioasid_ctx *ctx)
{
	struct ioasid_object *obj;
	bool progress = true;
	unsigned long id;

	while (progress) {
		progress = false;
		xa_for_each(&ctx->objects, id, obj) {
			if (!refcount_dec_if_one(&obj->users))
				continue;
			xa_erase(&ctx->objects, id);
			ioasid_object_free(obj);
			progress = true;
			cond_resched();
		}
	}
	WARN_ON(!xa_empty(&ctx->objects));
}

int ioasid_destroy_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_destroy *cmd = ucmd->cmd;

	return ioasid_object_destroy(ucmd->ctx, cmd->id);
}
