// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOASID_OPTION: checks the call and hands each option to the file that
 * owns its state.  The one option today, the accounting mode of the
 * context, lives in account.c.
 */
#include "ioasid_private.h"

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
		return ioasid_ctx_set_accounting(ucmd->ctx, cmd->value);

	cmd->value = ioasid_ctx_accounting(ucmd->ctx);
	return ioasid_ucmd_respond(ucmd, sizeof(*cmd));
}
