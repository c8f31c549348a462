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
 * ``ENOENT``     An id names no object of the type the ioctl needs in
 *                this file descriptor.
 * ============== =========================================================
 *
 * A call that fails changes nothing and, unless its description says
 * otherwise, writes nothing back.
 */

/**
 * DOC: Objects and ids
 *
 * Objects created through a /dev/ioasid file descriptor get a non-zero
 * __u32 id that is meaningful only with that file descriptor.  An IOASID
 * is such an object: one I/O address space, into which the caller maps
 * its memory and to which devices attach.  Every object is destroyed with
 * IOASID_DESTROY, or when the file is closed.
 */

#define IOASID_TYPE		0xB9

/**
 * enum ioasid_cmd - ioctl numbers of /dev/ioasid
 * @IOASID_CMD_GET_INFO: see struct ioasid_info
 * @IOASID_CMD_DESTROY: see struct ioasid_destroy
 * @IOASID_CMD_ALLOC: see struct ioasid_alloc
 * @IOASID_CMD_IOVA_RANGES: see struct ioasid_iova_ranges
 * @IOASID_CMD_SET_ALLOWED_RANGES: see struct ioasid_set_allowed_ranges
 */
enum ioasid_cmd {
	IOASID_CMD_GET_INFO = 0x00,
	IOASID_CMD_DESTROY = 0x01,
	IOASID_CMD_ALLOC = 0x02,
	IOASID_CMD_IOVA_RANGES = 0x03,
	IOASID_CMD_SET_ALLOWED_RANGES = 0x04,
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

/**
 * struct ioasid_destroy - ioctl(IOASID_DESTROY)
 * @size: sizeof(struct ioasid_destroy)
 * @id: the object to destroy
 *
 * Destroys an object of any type.
 *
 * Errors: ``ENOENT`` when @id names no object; ``EBUSY`` when the object is
 * in use (another ioctl is using it, or something is attached to it), and
 * then it is left as it was.
 */
struct ioasid_destroy {
	__u32 size;
	__u32 id;
};

#define IOASID_DESTROY		_IO(IOASID_TYPE, IOASID_CMD_DESTROY)

/**
 * struct ioasid_alloc - ioctl(IOASID_ALLOC)
 * @size: sizeof(struct ioasid_alloc)
 * @flags: must be 0
 * @out_ioasid: output: the id of the new IOASID
 * @__reserved: must be 0
 *
 * Creates an IOASID: an empty I/O address space in which every IOVA is
 * allowed.  It has no page table of its own until a device attaches; the
 * kernel makes one per kind of IOMMU that the attached devices need.
 */
struct ioasid_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioasid;
	__u32 __reserved;
};

#define IOASID_ALLOC		_IO(IOASID_TYPE, IOASID_CMD_ALLOC)

/**
 * struct ioasid_iova_range - one range of IOVAs
 * @start: the first IOVA
 * @last: the last IOVA, inclusive, so the top of the space can be named
 */
struct ioasid_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct ioasid_iova_ranges - ioctl(IOASID_IOVA_RANGES)
 * @size: sizeof(struct ioasid_iova_ranges)
 * @flags: must be 0
 * @ioasid: the IOASID to describe
 * @num_ranges: input: the capacity of @ranges; output: the number of
 *              usable ranges
 * @ranges: pointer to an array of struct ioasid_iova_range
 * @out_iova_alignment: output: the granule of mappings; IOVAs, lengths
 *                      and allowed ranges must be multiples of it
 *
 * Reports the IOVAs that mappings may use, in ascending order: the
 * allowed ranges (see struct ioasid_set_allowed_ranges) minus what the
 * attached devices cannot reach or reserve, such as MSI windows.
 *
 * When there are more usable ranges than @num_ranges, the first
 * @num_ranges are written, @num_ranges is set to the full count and the
 * call fails with ``EMSGSIZE``; calling with @num_ranges 0 asks for the
 * count alone.
 */
struct ioasid_iova_ranges {
	__u32 size;
	__u32 flags;
	__u32 ioasid;
	__u32 num_ranges;
	__aligned_u64 ranges;
	__aligned_u64 out_iova_alignment;
};

#define IOASID_IOVA_RANGES	_IO(IOASID_TYPE, IOASID_CMD_IOVA_RANGES)

/**
 * struct ioasid_set_allowed_ranges - ioctl(IOASID_SET_ALLOWED_RANGES)
 * @size: sizeof(struct ioasid_set_allowed_ranges)
 * @flags: must be 0
 * @ioasid: the IOASID to restrict
 * @num_ranges: entries in @ranges, at most 4096
 * @ranges: pointer to an array of struct ioasid_iova_range
 *
 * Replaces the set of IOVAs in which mappings may be placed.  A VMM uses
 * it to keep the guest's holes free, or to stay within what it knows its
 * devices will reach before it attaches them.  The ranges may come in any
 * order; overlapping and adjacent ranges merge, so IOASID_IOVA_RANGES
 * reports the merged set.  No ranges means no IOVA is allowed.
 *
 * Errors: ``EINVAL`` when a range ends before it starts, when a range's
 * start or last + 1 is not a multiple of the alignment IOASID_IOVA_RANGES
 * reports, or when @num_ranges exceeds 4096.
 */
struct ioasid_set_allowed_ranges {
	__u32 size;
	__u32 flags;
	__u32 ioasid;
	__u32 num_ranges;
	__aligned_u64 ranges;
};

#define IOASID_SET_ALLOWED_RANGES _IO(IOASID_TYPE, IOASID_CMD_SET_ALLOWED_RANGES)

#endif /* _UAPI_LINUX_IOASID_H */
