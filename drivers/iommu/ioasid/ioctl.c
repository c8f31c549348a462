// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ioctl dispatcher of /dev/ioasid: one place that enforces the
 * extensible-struct rules of include/uapi/linux/ioasid.h for every command.
 */
#include <kunit/visibility.h>
#include <linux/bits.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>

#include "ioasid_private.h"
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
#include "ioasid_test_private.h"
#endif

/**
 * ioasid_ucmd_respond() - copy a command's output back to the caller
 * @ucmd: the call being executed
 * @cmd_len: the size of the kernel's struct
 *
 * Writes no further than the caller's struct reaches, so an older caller
 * never sees bytes past the end of what it passed.
 *
 * Return: 0 or -EFAULT.
 */
int ioasid_ucmd_respond(struct ioasid_ucmd *ucmd, size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_ucmd_respond);

/*
 * What the dispatcher copies a call into, on its stack: any published
 * command and, in kernels with CONFIG_DEV_IOASID_TEST only, the test command,
 * which is larger.
 */
union ioasid_ioctl_buffer {
	union ioasid_ucmd_buffer published;
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	struct ioasid_test test;
#endif
};

static int ioasid_get_info(struct ioasid_ucmd *ucmd);

static const struct ioasid_ioctl_op ioasid_ops[] = {
	IOASID_IOCTL_OP(IOASID_CMD_GET_INFO, ioasid_get_info,
			struct ioasid_info, features),
	IOASID_IOCTL_OP(IOASID_CMD_DESTROY, ioasid_destroy_ioctl,
			struct ioasid_destroy, id),
	IOASID_IOCTL_OP(IOASID_CMD_ALLOC, ioasid_alloc_ioctl,
			struct ioasid_alloc, __reserved),
	IOASID_IOCTL_OP(IOASID_CMD_IOVA_RANGES, ioasid_iova_ranges_ioctl,
			struct ioasid_iova_ranges, out_iova_alignment),
	IOASID_IOCTL_OP(IOASID_CMD_SET_ALLOWED_RANGES,
			ioasid_set_allowed_ranges_ioctl,
			struct ioasid_set_allowed_ranges, ranges),
	IOASID_IOCTL_OP(IOASID_CMD_MAP, ioasid_map_ioctl, struct ioasid_map,
			alignment),
	IOASID_IOCTL_OP(IOASID_CMD_UNMAP, ioasid_unmap_ioctl,
			struct ioasid_unmap, out_length),
	IOASID_IOCTL_OP(IOASID_CMD_COPY, ioasid_copy_ioctl, struct ioasid_copy,
			alignment),
	IOASID_IOCTL_OP(IOASID_CMD_OPTION, ioasid_option_ioctl,
			struct ioasid_option, value),
	IOASID_IOCTL_OP(IOASID_CMD_DIRTY_READ, ioasid_dirty_read_ioctl,
			struct ioasid_dirty_read, bitmap),
	IOASID_IOCTL_OP(IOASID_CMD_DEVICE_INFO, ioasid_device_info_ioctl,
			struct ioasid_device_info, __reserved),
	IOASID_IOCTL_OP(IOASID_CMD_INVALIDATE, ioasid_invalidate_ioctl,
			struct ioasid_invalidate, entries),
	IOASID_IOCTL_OP(IOASID_CMD_FAULT_QUEUE_ALLOC,
			ioasid_fault_queue_alloc_ioctl,
			struct ioasid_fault_queue_alloc, out_fd),
#if IS_ENABLED(CONFIG_DEV_IOASID_TEST)
	/* Test-only: the whole struct, so that every op has its outputs. */
	IOASID_IOCTL_OP_IN(union ioasid_ioctl_buffer, IOASID_CMD_TEST,
			   ioasid_test_ioctl, struct ioasid_test, mock_device),
#endif
};

static int ioasid_get_info(struct ioasid_ucmd *ucmd)
{
	struct ioasid_info *cmd = ucmd->cmd;
	unsigned int nr;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;

	cmd->api_version = IOASID_API_VERSION;
	cmd->ioctls = 0;
	for (nr = 0; nr < ARRAY_SIZE(ioasid_ops); nr++)
		if (ioasid_ops[nr].execute)
			cmd->ioctls |= BIT_ULL(nr);
	cmd->features = 0;
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

/**
 * ioasid_ioctl_dispatch() - validate one call and run its handler
 * @ops: the op table, indexed by ioctl number
 * @num_ops: entries in @ops
 * @ctx: the context of the fd
 * @cmd: the ioctl command as the caller passed it
 * @arg: the caller's struct
 *
 * Return: the handler's result, or the errno of the first rule the call
 * breaks, as documented in include/uapi/linux/ioasid.h.
 */
long ioasid_ioctl_dispatch(const struct ioasid_ioctl_op *ops,
			   unsigned int num_ops, struct ioasid_ctx *ctx,
			   unsigned int cmd, void __user *arg)
{
	union ioasid_ioctl_buffer buf;
	struct ioasid_ucmd ucmd = {
		.ctx = ctx,
		.ubuffer = arg,
		.cmd = &buf,
	};
	const struct ioasid_ioctl_op *op;
	unsigned int nr = _IOC_NR(cmd);
	u32 user_size;
	int ret;

	/* Size and direction bits are not part of our numbers. */
	if (cmd != _IO(IOASID_TYPE, nr) || nr >= num_ops)
		return -ENOTTY;
	op = &ops[array_index_nospec(nr, num_ops)];
	if (!op->execute)
		return -ENOTTY;

	if (get_user(user_size, (u32 __user *)arg))
		return -EFAULT;
	if (user_size < op->min_size)
		return -EINVAL;
	if (user_size > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(ucmd.cmd, op->size, arg, user_size);
	if (ret)
		return ret;
	ucmd.user_size = user_size;
	return op->execute(&ucmd);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_ioctl_dispatch);

long ioasid_ioctl(struct ioasid_ctx *ctx, unsigned int cmd, void __user *arg)
{
	return ioasid_ioctl_dispatch(ioasid_ops, ARRAY_SIZE(ioasid_ops), ctx,
				     cmd, arg);
}
EXPORT_SYMBOL_IF_KUNIT(ioasid_ioctl);
