// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOASID_OPTION: checks the call and hands each option to the file that
 * owns its state: the accounting mode of the context lives in account.c,
 * the dirty tracking of an IOASID in dirty.c.
 */
#include "ioasid_private.h"

/* The accounting mode, an option of the file, which names no object. */
static int option_accounting(struct ioasid_ucmd *ucmd)
{
	struct ioasid_option *cmd = ucmd->cmd;

	if (cmd->object_id)
		return -EINVAL;
	if (cmd->op == IOASID_OPTION_SET)
		return ioasid_ctx_set_accounting(ucmd->ctx, cmd->value);

	cmd->value = ioasid_ctx_accounting(ucmd->ctx);
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}

int ioasid_option_ioctl(struct ioasid_ucmd *ucmd)
{
	struct ioasid_option *cmd = ucmd->cmd;

	if (cmd->op != IOASID_OPTION_SET && cmd->op != IOASID_OPTION_GET)
		return -EOPNOTSUPP;
	switch (cmd->option) {
	case IOASID_OPTION_ACCOUNTING:
		return option_accounting(ucmd);
	case IOASID_OPTION_DIRTY_TRACKING:
		return ioasid_dirty_option(ucmd);
	default:
		return -EOPNOTSUPP;
	}
}
