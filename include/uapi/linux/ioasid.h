/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/ioasid: user-managed I/O address spaces.
 */
#ifndef _UAPI_LINUX_IOASID_H
#define _UAPI_LINUX_IOASID_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: The ioctl convention
 *
 * Every ioctl of /dev/ioasid takes a pointer to a struct whose first field
 * is ``__u32 size``, set by the caller to sizeof() of the struct as it was
 * compiled.  Structs only ever grow at their end, and a new field's zero
 * value always means what the struct meant without it, so old and new
 * callers and kernels interoperate:
 *
 * - A caller's struct shorter than the first published version of that
 *   struct fails with ``EINVAL``.
 * - A caller's struct longer than the kernel's is accepted when every byte
 *   the kernel does not know is zero; otherwise ``E2BIG``.  A size larger
 *   than the page size always fails with ``E2BIG``.
 * - A caller's struct shorter than the kernel's reads as if the missing
 *   fields were zero.
 * - Output fields are written back only within the caller's ``size``.
 *
 * The ioctl numbers carry no size or direction bits: the command is
 * ``_IO(IOASID_TYPE, nr)``.  Errors that every ioctl can return:
 *
 * ============== =========================================================
 * ``ENOTTY``     The ioctl number is not one this kernel implements.
 * ``EFAULT``     The struct could not be read from or written to memory.
 * ``EINVAL``     ``size`` is below the struct's first version, or a field
 *                holds a value that is invalid for it.
 * ``E2BIG``      Bytes beyond the kernel's struct are not zero, or
 *                ``size`` exceeds the page size.
 * ``EOPNOTSUPP`` A flag bit or reserved field unknown to this kernel is
 *                set.  Callers probe for features this way.
 * ============== =========================================================
 */

#define IOASID_TYPE		0xB9

/**
 * enum ioasid_cmd - ioctl numbers of /dev/ioasid
 * @IOASID_CMD_GET_INFO: see struct ioasid_info
 */
enum ioasid_cmd {
	IOASID_CMD_GET_INFO = 0x00,
};

/* The interface revision IOASID_GET_INFO reports. */
#define IOASID_API_VERSION	1

/**
 * struct ioasid_info - ioctl(IOASID_GET_INFO)
 * @size: sizeof(struct ioasid_info)
 * @flags: must be 0
 * @api_version: output: %IOASID_API_VERSION of the running kernel
 * @__reserved: must be 0
 * @ioctls: output: bit N is set when ``_IO(IOASID_TYPE, N)`` is implemented
 * @features: output: capabilities that are not ioctls of their own; no bit
 *            is defined yet, so this kernel reports 0
 *
 * Describes the /dev/ioasid interface of the running kernel.  A caller
 * learns from @ioctls which commands it may use rather than trying each.
 */
struct ioasid_info {
	__u32 size;
	__u32 flags;
	__u32 api_version;
	__u32 __reserved;
	__aligned_u64 ioctls;
	__aligned_u64 features;
};

#define IOASID_GET_INFO		_IO(IOASID_TYPE, IOASID_CMD_GET_INFO)

#endif /* _UAPI_LINUX_IOASID_H */
