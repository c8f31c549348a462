// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOASID_OPTION, and the accounting mode of a context that it sets.
 */
#include <linux/spinlock.h>

#include "ioasid_private.h"

static int set_accounting(struct ioasid_ctx *ctx, u64 value)
{
	int ret = 0;

	if (value != IOASID_ACCOUNT_USER && value != IOASID_ACCOUNT_PROCESS)
		return -EINVAL;

	spin_lock(&ctx->account_lock);
	if (ctx->pinned_pages && ctx->account_mode != value)
		ret = -EBUSY;
	else
		ctx->account_mode = value;
	spin_unlock(&ctx->account_lock);
	return ret;
}

int ioasid_option_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_option *cmd = ucmd->cmd;

	if (cmd->option != IOASID_OPTION_ACCOUNTING)
		return -EOPNOTSUPP;
	if (cmd->op != IOASID_OPTION_SET && cmd->op != IOASID_OPTION_GET)
		return -EOPNOTSUPP;
	if (cmd->object_id)
		return -EINVAL;

	if (cmd->op == IOASID_OPTION_SET)
		return set_accounting(ucmd->ctx, cmd->value);

	spin_lock(&ucmd->ctx->account_lock);
	cmd->value = ucmd->ctx->account_mode;
	spin_unlock(&ucmd->ctx->account_lock);
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}
