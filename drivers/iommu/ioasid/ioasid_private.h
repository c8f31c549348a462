/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces of the /dev/ioasid core.
 */
#ifndef __IOASID_PRIVATE_H
#define __IOASID_PRIVATE_H

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <uapi/linux/ioasid.h>

/**
 * struct ioasid_ctx - state of one open /dev/ioasid
 * @objects: the objects created through this fd, indexed by the ids that
 *           userspace sees; ids are meaningful only together with the fd
 */
struct ioasid_ctx {
	struct xarray objects;
};

struct ioasid_ctx *ioasid_ctx_alloc(void);
void ioasid_ctx_free(struct ioasid_ctx *ctx);

/**
 * struct ioasid_ucmd - one ioctl call being executed
 * @ctx: the context of the fd the call came through
 * @ubuffer: the caller's struct
 * @user_size: the caller's idea of the struct's size
 * @cmd: the kernel copy of the struct, zero-extended to the kernel's size
 */
struct ioasid_ucmd {
	struct ioasid_ctx *ctx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

int ioasid_ucmd_respond(struct ioasid_ucmd *ucmd, size_t cmd_len);

/**
 * struct ioasid_ioctl_op - how one ioctl number is executed
 * @execute: the handler; NULL for numbers that are not implemented
 * @size: sizeof() of the struct as this kernel knows it
 * @min_size: size of the struct's first published version
 */
struct ioasid_ioctl_op {
	int (*execute)(struct ioasid_ucmd *ucmd);
	unsigned int size;
	unsigned int min_size;
};

/* Every command struct is copied into this buffer on the stack. */
union ioasid_ucmd_buffer {
	struct ioasid_info info;
};

/*
 * Entry @_nr of an op table: @_last is the last field of the first
 * published version of @_struct.
 */
#define IOASID_IOCTL_OP(_nr, _fn, _struct, _last)			\
	[_nr] = {							\
		.execute = _fn,						\
		.size = sizeof(_struct) +				\
			BUILD_BUG_ON_ZERO(sizeof(_struct) >		\
					  sizeof(union ioasid_ucmd_buffer)), \
		.min_size = offsetofend(_struct, _last),		\
	}

long ioasid_ioctl_dispatch(const struct ioasid_ioctl_op *ops,
			   unsigned int num_ops, struct ioasid_ctx *ctx,
			   unsigned int cmd, void __user *arg);
long ioasid_ioctl(struct ioasid_ctx *ctx, unsigned int cmd,
		  void __user *arg);

#endif /* __IOASID_PRIVATE_H */
