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
 *                set.  Callers probe for features this way: it is checked
 *                before any id is looked up.
 * ``ENOENT``     An id names no object of the type the ioctl needs in
 *                this file descriptor.
 * ``ENOMEM``     The kernel could not allocate what the call needs.
 * ============== =========================================================
 *
 * A call that fails changes nothing and, unless its description says
 * otherwise, writes nothing back; the one exception is ``EMSGSIZE`` from
 * %IOASID_IOVA_RANGES, which writes the count the caller asked for.  Each
 * call writes its answer once, after its work; the one work that cannot
 * be undone when the answer cannot be written is an unmap, so ``EFAULT``
 * from %IOASID_UNMAP comes with the range unmapped.  Reading dirty pages
 * writes its answer into the caller's bitmap as it goes: when the caller
 * unmaps the bitmap during the call, ``EFAULT`` from %IOASID_DIRTY_READ
 * may come after part of the range was read and cleared.
 */

/**
 * DOC: Objects and ids
 *
 * Each open() of /dev/ioasid is an independent context.  The device node
 * is open to every user: what a caller can pin is bounded by its
 * ``RLIMIT_MEMLOCK``, and attaching a device needs that device's own file
 * descriptor (for VFIO, its cdev, see include/uapi/linux/vfio.h).
 *
 * Objects created through a /dev/ioasid file descriptor get a non-zero
 * __u32 id that is meaningful only with that file descriptor.  An IOASID
 * is such an object: one I/O address space, into which the caller maps
 * its memory and to which devices attach.  Every object is destroyed with
 * IOASID_DESTROY, or when the last reference to the file goes; a device
 * binding holds one, so the file may be closed before the device's.
 *
 * A device bound to the file descriptor (see ``VFIO_DEVICE_BIND_IOASID``
 * in include/uapi/linux/vfio.h) gets an id from the same space, which
 * IOASID_DEVICE_INFO takes.  It is not an object: it lives exactly as
 * long as the binding, and IOASID_DESTROY does not know it (``ENOENT``).
 */

#define IOASID_TYPE		0xB9

/**
 * enum ioasid_cmd - ioctl numbers of /dev/ioasid
 * @IOASID_CMD_GET_INFO: see struct ioasid_info
 * @IOASID_CMD_DESTROY: see struct ioasid_destroy
 * @IOASID_CMD_ALLOC: see struct ioasid_alloc
 * @IOASID_CMD_IOVA_RANGES: see struct ioasid_iova_ranges
 * @IOASID_CMD_SET_ALLOWED_RANGES: see struct ioasid_set_allowed_ranges
 * @IOASID_CMD_MAP: see struct ioasid_map
 * @IOASID_CMD_UNMAP: see struct ioasid_unmap
 * @IOASID_CMD_COPY: see struct ioasid_copy
 * @IOASID_CMD_OPTION: see struct ioasid_option
 * @IOASID_CMD_DIRTY_READ: see struct ioasid_dirty_read
 * @IOASID_CMD_DEVICE_INFO: see struct ioasid_device_info
 * @IOASID_CMD_INVALIDATE: see struct ioasid_invalidate
 * @IOASID_CMD_FAULT_QUEUE_ALLOC: see struct ioasid_fault_queue_alloc
 */
enum ioasid_cmd {
	IOASID_CMD_GET_INFO = 0x00,
	IOASID_CMD_DESTROY = 0x01,
	IOASID_CMD_ALLOC = 0x02,
	IOASID_CMD_IOVA_RANGES = 0x03,
	IOASID_CMD_SET_ALLOWED_RANGES = 0x04,
	IOASID_CMD_MAP = 0x05,
	IOASID_CMD_UNMAP = 0x06,
	IOASID_CMD_COPY = 0x07,
	IOASID_CMD_OPTION = 0x08,
	IOASID_CMD_DIRTY_READ = 0x09,
	IOASID_CMD_DEVICE_INFO = 0x0a,
	IOASID_CMD_INVALIDATE = 0x0b,
	IOASID_CMD_FAULT_QUEUE_ALLOC = 0x0c,
};

/*
 * The interface revision IOASID_GET_INFO reports.  It changes only if an
 * existing ioctl changes in a way its existing callers could not cope
 * with, which the ioctl convention exists to avoid; new ioctls, flags,
 * fields and features never change it.
 */
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
 * learns from @ioctls which commands it may use rather than trying each,
 * and learns of new flags and reserved fields from ``EOPNOTSUPP``; it
 * only needs to compare @api_version with the %IOASID_API_VERSION it was
 * built with to refuse a kernel whose existing ioctls changed meaning.
 * Whether a device driver can bind its devices to /dev/ioasid is the
 * driver's to say: for VFIO, see ``VFIO_DEVICE_BIND_IOASID`` in
 * include/uapi/linux/vfio.h.
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
 * Destroys an object of any type.  An IOASID is in use, and cannot be
 * destroyed, while a device is attached to it or while another ioctl is
 * using it.  Its mappings do not make it busy: destroying it unmaps them
 * all and unpins their pages.  A device that was detached from it, or
 * moved to another IOASID, no longer uses it once that call has
 * returned, so it can be destroyed at once.
 *
 * Errors: ``ENOENT`` when @id names no object; ``EBUSY`` when the object is
 * in use, and then it is left as it was.
 */
struct ioasid_destroy {
	__u32 size;
	__u32 id;
};

#define IOASID_DESTROY		_IO(IOASID_TYPE, IOASID_CMD_DESTROY)

/**
 * enum ioasid_alloc_flags - what kind of IOASID IOASID_ALLOC creates
 * @IOASID_ALLOC_NESTED: a nested IOASID, whose stage-1 page table the
 *                       caller manages, on the IOASID @parent; see
 *                       "Nested translation" below
 * @IOASID_ALLOC_FAULT_QUEUE: with %IOASID_ALLOC_NESTED: the devices'
 *                            page requests for stage-1 IOVAs go to the
 *                            fault queue @fault_queue; see "I/O page
 *                            faults" below
 */
enum ioasid_alloc_flags {
	IOASID_ALLOC_NESTED = 1 << 0,
	IOASID_ALLOC_FAULT_QUEUE = 1 << 1,
};

/**
 * struct ioasid_alloc - ioctl(IOASID_ALLOC)
 * @size: sizeof(struct ioasid_alloc)
 * @flags: enum ioasid_alloc_flags
 * @out_ioasid: output: the id of the new IOASID
 * @__reserved: must be 0
 * @parent: with %IOASID_ALLOC_NESTED, the IOASID whose mappings translate
 *          what the stage-1 table outputs; it must be a plain IOASID
 * @dev_id: with %IOASID_ALLOC_NESTED, a device bound to this file
 *          descriptor whose IOMMU reads the table: only devices behind
 *          the same IOMMU can attach to the new IOASID
 * @format: with %IOASID_ALLOC_NESTED, enum ioasid_nest_format: the layout
 *          of the table and of @data
 * @data_len: with %IOASID_ALLOC_NESTED, the length of @data in bytes,
 *            read as the ioctl convention reads a struct's @size
 * @data: with %IOASID_ALLOC_NESTED, the address of the format's
 *        description of the table (for %IOASID_NEST_FORMAT_VTD_S1, a
 *        struct ioasid_nest_vtd_s1)
 * @fault_queue: with %IOASID_ALLOC_FAULT_QUEUE, the id of a fault queue
 *               of this file descriptor, which is held until the nested
 *               IOASID is destroyed
 * @__reserved2: must be 0
 *
 * Without flags, creates an IOASID: an empty I/O address space in which
 * every IOVA is allowed.  It has no page table of its own until a device
 * attaches; the kernel makes one per kind of IOMMU that the attached
 * devices need.  Mappings may be made before any device attaches: a page
 * table created for a device is filled with all the IOASID's mappings.
 *
 * With %IOASID_ALLOC_NESTED, creates a nested IOASID on @parent.  The
 * fields after @__reserved are read only with that flag, and must be 0
 * without it.
 *
 * Errors with %IOASID_ALLOC_NESTED: ``ENOENT`` when @parent names no
 * plain IOASID or @dev_id no bound device; ``EOPNOTSUPP`` when the
 * device's IOMMU does not read tables of @format (see
 * IOASID_DEVICE_INFO's @out_nest_formats) or cannot nest at all;
 * ``E2BIG`` when @data is longer than this kernel's description of @format
 * and its tail is not zero; ``EINVAL`` or ``EFAULT`` when the IOMMU
 * driver refuses @data.  With %IOASID_ALLOC_FAULT_QUEUE: ``ENOENT`` when
 * @fault_queue names no fault queue; ``EOPNOTSUPP`` without
 * %IOASID_ALLOC_NESTED, as only nested IOASIDs take page requests.
 * @fault_queue without the flag is ``EINVAL``.
 */
struct ioasid_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioasid;
	__u32 __reserved;
	__u32 parent;
	__u32 dev_id;
	__u32 format;
	__u32 data_len;
	__aligned_u64 data;
	__u32 fault_queue;
	__u32 __reserved2;
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
 * @num_ranges: input: the capacity of @ranges, which may be 0; output,
 *              also with ``EMSGSIZE``: the number of usable ranges
 * @ranges: pointer to an array of struct ioasid_iova_range; only its
 *          first @num_ranges entries are written, so with @num_ranges 0
 *          it is not used and may be 0
 * @out_iova_alignment: output, also with ``EMSGSIZE``: the granule of
 *                      mappings; IOVAs, lengths and allowed ranges must
 *                      be multiples of it
 *
 * Reports the IOVAs that mappings may use, in ascending order: the
 * allowed ranges (see struct ioasid_set_allowed_ranges) minus what the
 * attached devices cannot reach or reserve.  What a device cannot reach
 * is what the IOMMU's page table cannot translate for it (the aperture
 * of its IOMMU) and the regions its IOMMU reserves, such as MSI windows;
 * the device's own DMA mask is not known here and not taken off, so a
 * caller keeps its mappings below it, for example with
 * IOASID_SET_ALLOWED_RANGES.  Each range starts and ends on
 * @out_iova_alignment boundaries, so it can be passed back to
 * IOASID_SET_ALLOWED_RANGES as it is.
 *
 * @out_iova_alignment is the CPU page size.  It is the same before any
 * device attaches and after, as attaching never raises it, so every
 * mapping keeps meeting it.  An attach can only narrow the usable
 * ranges, and fails with ``EADDRINUSE``, changing nothing, when a mapping
 * lies where the device cannot reach.
 *
 * When there are more usable ranges than @num_ranges, the first
 * @num_ranges are written, @num_ranges is set to the full count,
 * @out_iova_alignment is written and the call fails with ``EMSGSIZE``.
 * So a call with @num_ranges 0 asks for the count: it fails with
 * ``EMSGSIZE`` and the count, or succeeds with 0 when no IOVA is usable.
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
 * reports, or when @num_ranges exceeds 4096; ``EADDRINUSE`` when a
 * mapping of the IOASID lies outside the new set.
 */
struct ioasid_set_allowed_ranges {
	__u32 size;
	__u32 flags;
	__u32 ioasid;
	__u32 num_ranges;
	__aligned_u64 ranges;
};

#define IOASID_SET_ALLOWED_RANGES _IO(IOASID_TYPE, IOASID_CMD_SET_ALLOWED_RANGES)

/**
 * DOC: Mappings and pinning
 *
 * IOASID_MAP pins the caller's pages and maps them, so that devices
 * attached to the IOASID reach them at an IOVA.  Pages stay pinned until
 * the last mapping that uses them is unmapped, the IOASID is destroyed or
 * the file is closed; pages mapped writable are marked dirty then.
 * IOASID_COPY maps pages that are already pinned at a second IOVA, in the
 * same or another IOASID of the same file, without pinning them again.
 *
 * Pinned pages count against ``RLIMIT_MEMLOCK`` unless the caller has
 * ``CAP_IPC_LOCK``.  By default they are charged to the user that owns the
 * process, as io_uring and RDMA do, and shown in the process's ``VmPin``;
 * IOASID_OPTION switches a file to charging the process instead, as the
 * VFIO type1 container does, shown in ``VmLck``.  A page is charged once
 * for each IOASID_MAP that pinned it.
 */

/**
 * enum ioasid_map_flags - flags of struct ioasid_map and struct ioasid_copy
 * @IOASID_MAP_READ: devices may read the pages
 * @IOASID_MAP_WRITE: devices may write the pages
 * @IOASID_MAP_FIXED_IOVA: place the mapping at the given IOVA; without
 *                         it the kernel chooses one
 */
enum ioasid_map_flags {
	IOASID_MAP_READ = 1 << 0,
	IOASID_MAP_WRITE = 1 << 1,
	IOASID_MAP_FIXED_IOVA = 1 << 2,
};

/**
 * struct ioasid_map - ioctl(IOASID_MAP)
 * @size: sizeof(struct ioasid_map)
 * @flags: enum ioasid_map_flags; at least one of READ and WRITE
 * @ioasid: the IOASID to map into
 * @__reserved: must be 0
 * @user_va: the start of the caller's memory to map
 * @length: bytes to map
 * @iova: input with %IOASID_MAP_FIXED_IOVA: where to map; output: the
 *        IOVA of the mapping
 * @alignment: without %IOASID_MAP_FIXED_IOVA: 0 for the IOVA alignment,
 *             or a power of two the chosen IOVA is a multiple of (one
 *             below the IOVA alignment means the IOVA alignment); with
 *             it: must be 0
 *
 * Pins @length bytes at @user_va and maps them at one IOVA range of
 * @ioasid in every page table the IOASID has, with the largest IOMMU
 * pages that the physical layout and the IOVA allow.  A kernel-chosen
 * IOVA is the lowest usable one with the alignment asked for; a caller
 * that wants huge IOMMU pages asks for the alignment of its huge pages.
 * @user_va, @length and @iova must be multiples of the IOVA alignment that
 * IOASID_IOVA_RANGES reports.  %IOASID_MAP_WRITE needs memory the caller
 * can write.
 *
 * Memory the caller never touched is pinned as a CPU access would fault
 * it in; it is not an error.  A mapping of private memory never pins the
 * shared zero page, even when only %IOASID_MAP_READ is asked: a page not
 * touched yet gets a page of its own, so that devices read what the CPU
 * writes there afterwards.
 *
 * Threads may map and unmap in one IOASID at once.  A mapping's IOVA
 * range is taken before its IOPTEs are written: until the call returns,
 * a kernel-chosen IOVA of another thread's map lies elsewhere, and a
 * fixed map, an unmap or a copy that meets the range waits for this call
 * and then sees the mapping whole, or nothing when this call failed.
 *
 * Errors.  The IOVA range is checked and taken before the memory is
 * charged and pinned: a call wrong in both fails with the IOVA's error.
 *
 * ================= ======================================================
 * ``EINVAL``        @length is 0 or not a multiple of the IOVA
 *                   alignment; @user_va, or with %IOASID_MAP_FIXED_IOVA
 *                   @iova, is not a multiple of it; neither READ nor
 *                   WRITE is set; @alignment is not 0 with
 *                   %IOASID_MAP_FIXED_IOVA, or is neither 0 nor a power
 *                   of two without it.
 * ``EOVERFLOW``     @user_va + @length or @iova + @length wraps around.
 * ``EADDRNOTAVAIL`` A fixed IOVA range is not entirely usable (see
 *                   IOASID_IOVA_RANGES).
 * ``EADDRINUSE``    A fixed IOVA range overlaps a mapping.
 * ``ENOSPC``        No usable range is free for a kernel-chosen IOVA.
 * ``EFAULT``        Part of the range is not mapped in the caller at
 *                   all, or is mapped in a way that cannot be pinned
 *                   (``PROT_NONE``, I/O memory), or is not writable
 *                   while WRITE is asked.
 * ``ENOMEM``        Pinning would exceed ``RLIMIT_MEMLOCK``, or the
 *                   kernel is out of memory.
 * ================= ======================================================
 */
struct ioasid_map {
	__u32 size;
	__u32 flags;
	__u32 ioasid;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
	__aligned_u64 alignment;
};

#define IOASID_MAP		_IO(IOASID_TYPE, IOASID_CMD_MAP)

/**
 * enum ioasid_unmap_flags - flags of struct ioasid_unmap
 * @IOASID_UNMAP_ALL: unmap every mapping of the IOASID; @iova and
 *                    @length must be 0
 * @IOASID_UNMAP_DIRTY: first report the pages of the range that devices
 *                      wrote, as %IOASID_DIRTY_READ would, in
 *                      @dirty_bitmap; not with %IOASID_UNMAP_ALL
 */
enum ioasid_unmap_flags {
	IOASID_UNMAP_ALL = 1 << 0,
	IOASID_UNMAP_DIRTY = 1 << 1,
};

/**
 * struct ioasid_unmap - ioctl(IOASID_UNMAP)
 * @size: sizeof(struct ioasid_unmap)
 * @flags: enum ioasid_unmap_flags
 * @ioasid: the IOASID to unmap from
 * @__reserved: must be 0
 * @iova: the start of the range
 * @length: bytes in the range
 * @out_length: output: bytes that were mapped in the range and are not
 *              any more
 * @dirty_page_size: with %IOASID_UNMAP_DIRTY, as @page_size of struct
 *                   ioasid_dirty_read, of which @iova and @length must be
 *                   multiples
 * @dirty_bitmap: with %IOASID_UNMAP_DIRTY, as @bitmap of struct
 *                ioasid_dirty_read, for the range
 *
 * Removes every mapping that lies within the range; the range may cover
 * several mappings and the holes between them.  A mapping is only ever
 * removed whole: a range whose start or end falls inside a mapping fails
 * with ``ERANGE`` and unmaps nothing.  When the call returns, no attached
 * device reaches the unmapped pages any more.  A device that a driver
 * emulates may hold pages of a mapping pinned, as its DMA; the driver is
 * told to let go of the range first, and the call waits for it.  The
 * mappings stay in the way until the call returns: a fixed map, an unmap
 * or a copy of another thread that meets one waits for this call and
 * then finds it gone.
 *
 * With %IOASID_UNMAP_DIRTY, the dirty pages of the range are read and
 * cleared under the same lock as the unmap that follows, so that no map,
 * unmap or dirty read comes between: a migration that unmaps memory loses
 * none of its dirty pages to the unmap.  A device that writes to the range
 * during the call, which only a device unaware of the unmap does, may
 * write after the read and before its IOPTE goes.  The read needs dirty
 * tracking on, and fails the call, unmapping nothing, where
 * %IOASID_DIRTY_READ would fail.
 *
 * Errors: ``EINVAL`` when @length is 0 or the range is unaligned, or when
 * %IOASID_UNMAP_ALL comes with a range or with %IOASID_UNMAP_DIRTY;
 * ``EOVERFLOW`` when the range wraps around; ``ERANGE`` as above;
 * ``ENOENT`` when nothing is mapped in the range; ``EBUSY`` when the
 * driver of an emulated device kept pages of the range pinned, and nothing
 * is unmapped.  %IOASID_UNMAP_ALL succeeds on an empty IOASID, with
 * @out_length 0.  With %IOASID_UNMAP_DIRTY, the errors of
 * %IOASID_DIRTY_READ, before anything is unmapped.  ``EFAULT`` when
 * @out_length cannot be written: the answer is written once, after the
 * unmap, which has happened, and the caller learns only that every
 * mapping within the range is gone.
 */
struct ioasid_unmap {
	__u32 size;
	__u32 flags;
	__u32 ioasid;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 out_length;
	__aligned_u64 dirty_page_size;
	__aligned_u64 dirty_bitmap;
};

#define IOASID_UNMAP		_IO(IOASID_TYPE, IOASID_CMD_UNMAP)

/**
 * struct ioasid_copy - ioctl(IOASID_COPY)
 * @size: sizeof(struct ioasid_copy)
 * @flags: enum ioasid_map_flags, as for IOASID_MAP
 * @dst_ioasid: the IOASID to map into
 * @src_ioasid: the IOASID whose mapping holds the pages
 * @length: bytes to map
 * @src_iova: where the pages are mapped in @src_ioasid
 * @dst_iova: as @iova of struct ioasid_map
 * @alignment: as @alignment of struct ioasid_map
 *
 * Maps pages that one mapping of @src_ioasid already pins at a new IOVA
 * range of @dst_ioasid, which may be the same IOASID.  Nothing is pinned
 * or charged again, and the pages stay pinned as long as either mapping
 * exists, so the source may be unmapped first.  The source range may be
 * all of a mapping or any aligned part of one.
 *
 * Errors: as IOASID_MAP, except that pinning errors cannot happen, and
 * ``ENOENT`` when the source range is not inside a single mapping;
 * ``EPERM`` when WRITE is asked of pages that were mapped read-only.
 */
struct ioasid_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioasid;
	__u32 src_ioasid;
	__aligned_u64 length;
	__aligned_u64 src_iova;
	__aligned_u64 dst_iova;
	__aligned_u64 alignment;
};

#define IOASID_COPY		_IO(IOASID_TYPE, IOASID_CMD_COPY)

/**
 * enum ioasid_option_op - what ioctl(IOASID_OPTION) does
 * @IOASID_OPTION_SET: set the option to @value
 * @IOASID_OPTION_GET: read the option into @value
 */
enum ioasid_option_op {
	IOASID_OPTION_SET = 0,
	IOASID_OPTION_GET = 1,
};

/**
 * enum ioasid_option_id - the options of a /dev/ioasid file and its IOASIDs
 * @IOASID_OPTION_ACCOUNTING: how pinned pages are charged, one of enum
 *                            ioasid_accounting; it can only change while
 *                            the file pins nothing
 * @IOASID_OPTION_DIRTY_TRACKING: of the IOASID @object_id: 1 while the
 *                                IOMMU records which pages devices write
 *                                through it, for %IOASID_DIRTY_READ; 0,
 *                                the default, while it does not
 */
enum ioasid_option_id {
	IOASID_OPTION_ACCOUNTING = 1,
	IOASID_OPTION_DIRTY_TRACKING = 2,
};

/**
 * enum ioasid_accounting - values of %IOASID_OPTION_ACCOUNTING
 * @IOASID_ACCOUNT_USER: charge the user's locked memory, shared by all
 *                       of the user's processes; the default
 * @IOASID_ACCOUNT_PROCESS: charge the process's locked memory
 */
enum ioasid_accounting {
	IOASID_ACCOUNT_USER = 0,
	IOASID_ACCOUNT_PROCESS = 1,
};

/**
 * struct ioasid_option - ioctl(IOASID_OPTION)
 * @size: sizeof(struct ioasid_option)
 * @op: enum ioasid_option_op
 * @option: enum ioasid_option_id
 * @object_id: the object an option is about; 0 for options of the file
 * @value: input for %IOASID_OPTION_SET, output for %IOASID_OPTION_GET
 *
 * Dirty tracking is turned on for every page table of the IOASID at once,
 * and the tables of devices attached later track from their first DMA.
 * Turning it on does not clear what the IOMMU recorded before; a caller
 * that wants a clean start reads the whole range once, clearing it.
 * Turning it off always succeeds.  The writes of emulated devices, which
 * go through the CPU rather than the IOMMU, are not recorded.
 *
 * Errors: ``EOPNOTSUPP`` for an unknown @option or @op, and when dirty
 * tracking is turned on while a device whose IOMMU cannot track is
 * attached to the IOASID (then nothing changes); ``EINVAL`` for a @value
 * the option does not take, or an @object_id given to an option of the
 * file; ``ENOENT`` when the @object_id of an option of an IOASID names
 * none; ``EBUSY`` when the accounting mode would change while pages are
 * pinned.
 */
struct ioasid_option {
	__u32 size;
	__u32 op;
	__u32 option;
	__u32 object_id;
	__aligned_u64 value;
};

#define IOASID_OPTION		_IO(IOASID_TYPE, IOASID_CMD_OPTION)

/**
 * enum ioasid_dirty_read_flags - flags of struct ioasid_dirty_read
 * @IOASID_DIRTY_READ_NO_CLEAR: report the pages without clearing their
 *                              dirty state, so that the next read reports
 *                              them again
 */
enum ioasid_dirty_read_flags {
	IOASID_DIRTY_READ_NO_CLEAR = 1 << 0,
};

/**
 * struct ioasid_dirty_read - ioctl(IOASID_DIRTY_READ)
 * @size: sizeof(struct ioasid_dirty_read)
 * @flags: enum ioasid_dirty_read_flags
 * @ioasid: an IOASID with %IOASID_OPTION_DIRTY_TRACKING on
 * @__reserved: must be 0
 * @iova: the first IOVA of the range, a multiple of @page_size
 * @length: the length of the range, a non-zero multiple of @page_size
 * @page_size: the bytes each bit stands for: a power of two, at least the
 *             IOASID's IOVA alignment (%IOASID_IOVA_RANGES)
 * @bitmap: the caller's bitmap, 8-byte aligned, of one bit per @page_size
 *          bytes from @iova, in __u64 words: bit N of word W stands for
 *          the IOVAs from @iova + (64 * W + N) * @page_size
 *
 * Sets the bit of every page that a device wrote through the IOASID since
 * its dirty state was last cleared, and clears that state unless
 * %IOASID_DIRTY_READ_NO_CLEAR is set.  Bits are only ever set, never
 * cleared: the caller zeroes the bitmap first.  A device that writes one
 * byte of a large IOPTE makes every page the IOPTE covers dirty, since the
 * IOMMU records one bit per IOPTE; for the same reason, a read that clears
 * part of a large IOPTE clears all of it.  When the IOASID has several page
 * tables, a page is dirty when any of them says so.  The range may reach
 * over IOVAs that are not mapped, whose bits stay as they are.  The
 * pages written until the call returns are reported by this call or the
 * next; a caller that stops the devices first and then reads sees all.
 *
 * Errors: ``EINVAL`` when dirty tracking is off for @ioasid, or for a
 * range, @page_size or @bitmap that breaks the rules above;
 * ``EOVERFLOW`` when the range wraps around; ``EFAULT`` when the bitmap
 * cannot be written, found before anything is read or cleared (unless the
 * caller unmaps it during the call); ``EINTR`` when the caller is killed.
 */
struct ioasid_dirty_read {
	__u32 size;
	__u32 flags;
	__u32 ioasid;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 bitmap;
};

#define IOASID_DIRTY_READ	_IO(IOASID_TYPE, IOASID_CMD_DIRTY_READ)

/**
 * enum ioasid_hw_info_type - the layouts of what an IOMMU reports of itself
 * @IOASID_HW_INFO_NONE: no report
 * @IOASID_HW_INFO_VTD: struct ioasid_hw_info_vtd
 *
 * Kernels built for testing also know a layout of their mock IOMMU.
 */
enum ioasid_hw_info_type {
	IOASID_HW_INFO_NONE = 0,
	IOASID_HW_INFO_VTD = 1,
};

/**
 * struct ioasid_hw_info_vtd - what a VT-d IOMMU reports of itself
 * @flags: bit 0: the IOMMU has erratum 772415 (SPR17): the parent of a
 *         nested IOASID must not map anything read-only
 * @__reserved: 0
 * @cap_reg: its capability register, as the VT-d specification lays it
 *           out
 * @ecap_reg: its extended capability register
 */
struct ioasid_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

/**
 * enum ioasid_device_info_flags - what struct ioasid_device_info reports
 * @IOASID_DEVICE_OWNED: the binding owns the device's DMA, so its
 *                       requester ID can be attached; without it the
 *                       device's driver keeps the requester ID and lends
 *                       PASIDs only
 * @IOASID_DEVICE_DIRTY_TRACKING: the device's IOMMU can record the pages
 *                                the device writes: an IOASID it is
 *                                attached to can have
 *                                %IOASID_OPTION_DIRTY_TRACKING on
 * @IOASID_DEVICE_COHERENT: the device's IOMMU makes its DMA coherent with
 *                          the CPU caches
 * @IOASID_DEVICE_NO_SNOOP_REFUSED: the device's IOMMU refuses DMA that
 *                                  asks not to snoop the CPU caches
 * @IOASID_DEVICE_ATTACHED: the device's requester ID is attached, to
 *                          @out_ioasid
 */
enum ioasid_device_info_flags {
	IOASID_DEVICE_OWNED = 1 << 0,
	IOASID_DEVICE_DIRTY_TRACKING = 1 << 1,
	IOASID_DEVICE_COHERENT = 1 << 2,
	IOASID_DEVICE_NO_SNOOP_REFUSED = 1 << 3,
	IOASID_DEVICE_ATTACHED = 1 << 4,
};

/**
 * struct ioasid_device_info - ioctl(IOASID_DEVICE_INFO)
 * @size: sizeof(struct ioasid_device_info)
 * @flags: must be 0
 * @dev_id: the id of a device bound to this file descriptor
 * @out_flags: output: enum ioasid_device_info_flags
 * @out_max_pasids: output: the PASIDs the device can tag its DMA with are
 *                  1 to @out_max_pasids - 1, as its IOMMU and the device
 *                  both support them; 0 when it has none
 * @out_iommu_group: output: the device's IOMMU group; the devices of a
 *                   group share their requester IDs' IOASID
 * @out_ioasid: output: the IOASID its requester ID is attached to, with
 *              %IOASID_DEVICE_ATTACHED; 0 otherwise
 * @__reserved: must be 0
 * @out_nest_formats: output: bit N is set when the device's IOMMU reads
 *                    stage-1 tables of enum ioasid_nest_format N, so that
 *                    a nested IOASID of that format can be made for it
 * @hw_info_len: the size of the buffer at @hw_info, 0 for none, at most
 *               the page size; output: the size of the IOMMU's report,
 *               which may be larger
 * @out_hw_info_type: output: enum ioasid_hw_info_type, the layout of the
 *                    IOMMU's report; %IOASID_HW_INFO_NONE when its driver
 *                    makes none
 * @hw_info: the address of a buffer for the IOMMU's report: its first
 *           @hw_info_len bytes get the report, zero-filled past its end
 *
 * Tells a caller what a device's IOMMU can do before it attaches the
 * device anywhere, so that it can choose: whether to ask for dirty
 * tracking, whether the device has PASIDs to attach.  Capabilities of
 * the IOMMU that this kernel does not know are not reported; a later
 * kernel reports more at the end of the struct.
 *
 * What the IOMMU reports of itself goes to @hw_info, in a layout of enum
 * ioasid_hw_info_type: a VMM that offers its guest a vIOMMU over nested
 * translation builds the guest's stage-1 tables to suit it (address
 * widths, page sizes, features).
 *
 * Errors: ``ENOENT`` when @dev_id names no device bound to this file
 * descriptor, including one that was unbound; ``E2BIG`` for a
 * @hw_info_len above the page size; ``EFAULT`` when the report cannot be
 * written to @hw_info.
 */
struct ioasid_device_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 out_flags;
	__u32 out_max_pasids;
	__u32 out_iommu_group;
	__u32 out_ioasid;
	__u32 __reserved;
	__aligned_u64 out_nest_formats;
	__u32 hw_info_len;
	__u32 out_hw_info_type;
	__aligned_u64 hw_info;
};

#define IOASID_DEVICE_INFO	_IO(IOASID_TYPE, IOASID_CMD_DEVICE_INFO)

/**
 * DOC: Nested translation
 *
 * A nested IOASID translates DMA in two stages.  The first, stage 1, is
 * a page table in the caller's memory, in the layout of the device's
 * IOMMU, which the caller writes and the IOMMU walks: a VMM gives its
 * guest's own vIOMMU tables to the hardware this way.  What stage 1
 * outputs, and the table's own address, are IOVAs of the parent IOASID,
 * whose mappings are the second stage and are made with IOASID_MAP as
 * for any IOASID.  A nested IOASID has no mappings of its own: MAP,
 * UNMAP, COPY and the other calls on mappings do not know its id
 * (``ENOENT``).
 *
 * - IOASID_DEVICE_INFO says in @out_nest_formats which formats a device's
 *   IOMMU reads.  IOASID_ALLOC with %IOASID_ALLOC_NESTED names the
 *   parent, the device and the format, and points at the format's
 *   description of the table.
 * - A device attaches its requester ID or a PASID to the nested IOASID as
 *   to any IOASID, and moves between nested and plain IOASIDs the same
 *   way.  Only devices behind the IOMMU the nested IOASID was made for
 *   can attach to it (``EINVAL`` for others).
 * - The IOMMU caches what it read of stage 1: after changing the table
 *   the caller invalidates those caches with IOASID_INVALIDATE.  The
 *   kernel keeps the second stage's caches itself, as for any IOASID.
 * - The parent cannot be destroyed while a nested IOASID is on it
 *   (``EBUSY``); a nested IOASID cannot be destroyed while a device is
 *   attached to it.
 *
 * The parent's page table for the device's IOMMU must be one that IOMMU
 * can nest on: the kernel makes such a table when it creates the nested
 * IOASID unless the parent has one, and devices attached to the parent
 * itself may share it.
 */

/**
 * enum ioasid_nest_format - the layouts of stage-1 tables
 * @IOASID_NEST_FORMAT_VTD_S1: Intel VT-d first-stage paging structures;
 *                             described by struct ioasid_nest_vtd_s1,
 *                             invalidated by struct
 *                             ioasid_nest_vtd_s1_invalidate
 *
 * Kernels built for testing also know a format of their mock IOMMU.
 */
enum ioasid_nest_format {
	IOASID_NEST_FORMAT_VTD_S1 = 1,
};

/**
 * struct ioasid_nest_vtd_s1 - a VT-d first-stage table
 * @flags: bit 0: supervisor requests allowed (SRE); bit 1: extended
 *         accessed flag enable (EAFE); bit 2: write protection applies
 *         to supervisor requests (WPE)
 * @pgtbl_addr: the table's root, an IOVA of the parent
 * @addr_width: the table's input width in bits: 48 for 4 levels, 57 for 5
 * @__reserved: must be 0
 */
struct ioasid_nest_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

/**
 * struct ioasid_nest_vtd_s1_invalidate - one VT-d stage-1 invalidation
 * @addr: the first IOVA of stage 1 to invalidate, 4 KiB aligned
 * @npages: the 4 KiB pages from @addr on; U64_MAX with @addr 0 for all
 * @flags: bit 0: only leaf entries changed (the IOMMU may keep its
 *         caches of the upper levels)
 * @__reserved: must be 0
 */
struct ioasid_nest_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

/**
 * struct ioasid_invalidate - ioctl(IOASID_INVALIDATE)
 * @size: sizeof(struct ioasid_invalidate)
 * @flags: must be 0
 * @ioasid: a nested IOASID
 * @entry_len: the size of one entry, as the format's entry struct was
 *             compiled.  The IOMMU driver reads the entries: it refuses
 *             a size below the entry's first version, and also one above
 *             this kernel's struct, whatever its tail holds
 * @entry_num: the number of entries, at most 4096; output: the number of
 *             entries done, in order, before the first that failed
 * @__reserved: must be 0
 * @entries: the address of the array of entries, in the layout of the
 *           nested IOASID's format
 *
 * Makes the IOMMU drop what it cached of the stage-1 table, as each
 * entry says, in order.  Unlike other calls, this one writes
 * @entry_num back also when an entry fails: the entries before it were
 * done, that one and those after it were not.
 *
 * Errors: ``ENOENT`` when @ioasid names no nested IOASID; ``EINVAL`` for
 * more than 4096 entries, an @entry_len the driver refuses, or an entry
 * it refuses; ``E2BIG`` for an @entry_len above the page size;
 * ``EOPNOTSUPP`` for an entry with flags the driver does not know;
 * ``EFAULT`` for entries that cannot be read.
 */
struct ioasid_invalidate {
	__u32 size;
	__u32 flags;
	__u32 ioasid;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
	__aligned_u64 entries;
};

#define IOASID_INVALIDATE	_IO(IOASID_TYPE, IOASID_CMD_INVALIDATE)

/**
 * DOC: I/O page faults
 *
 * A device that can request pages (PCIe PRI) may reach a stage-1 IOVA
 * that the caller has not made present yet, as when a guest's vIOMMU
 * table lacks the page, and ask for it rather than fail.  The request
 * goes to a fault queue, which IOASID_FAULT_QUEUE_ALLOC creates with a
 * file descriptor of its own, and which a nested IOASID names when it is
 * made (%IOASID_ALLOC_FAULT_QUEUE).  Only nested IOASIDs take page
 * requests: the kernel keeps every mapping of a plain IOASID present.
 *
 * - read() on the queue's fd gives the requests as records of the size
 *   the queue was made with, struct ioasid_fault first and zeroes after
 *   it.  A request may span several records, a group that shares one
 *   cookie; the last has %IOASID_FAULT_LAST.  read() returns whole
 *   records, as many as fit; it blocks while there are none, unless the
 *   fd is non-blocking (``EAGAIN``).  poll() reports ``EPOLLIN`` while
 *   there are records to read.
 * - Once it has read a group's last record, the caller makes the pages
 *   present (and invalidates, with IOASID_INVALIDATE) or decides not to,
 *   and write()s one struct ioasid_fault_response with the group's
 *   cookie.  The kernel passes the answer to the device, which retries
 *   the access on %IOASID_FAULT_RESPONSE_SUCCESS.  A write of several
 *   responses does them in order and returns the bytes of those done;
 *   it fails only when the first fails: ``ENOENT`` for a cookie the
 *   queue does not hold or whose group was not read yet, ``EINVAL`` for
 *   an unknown code or a length that is not a multiple of the struct.
 * - The kernel answers %IOASID_FAULT_RESPONSE_INVALID itself for every
 *   request the queue holds, read or not, of a device that detaches from
 *   the nested IOASID or moves away from it, and of every device when
 *   the queue's fd is closed; a later response with such a cookie is
 *   ``ENOENT``.  Requests that arrive when the queue already holds
 *   @depth groups, or after its fd was closed, are answered the same
 *   way, and the next record read has %IOASID_FAULT_LOST.
 * - A request the caller never answers keeps its place in the queue until
 *   one of those happens.  The device may give up waiting earlier, as its
 *   own timeout says.
 *
 * Attaching a device to a nested IOASID with a fault queue enables its
 * page requests, and fails with ``EOPNOTSUPP`` when its IOMMU cannot
 * deliver them.  In an IOMMU group of several devices, the requests of
 * the device that attached the group are enabled.  The queue's fd holds
 * the /dev/ioasid file descriptor open; IOASID_DESTROY of the queue is
 * ``EBUSY`` while its fd is open or a nested IOASID names it.
 */

/**
 * struct ioasid_fault_queue_alloc - ioctl(IOASID_FAULT_QUEUE_ALLOC)
 * @size: sizeof(struct ioasid_fault_queue_alloc)
 * @flags: must be 0
 * @depth: the most request groups the queue holds at once, read or not,
 *         from 1 to 4096
 * @record_len: the size of the records read() gives, at least
 *              sizeof(struct ioasid_fault) as first published (32) and at
 *              most the page size: a caller compiled with a longer struct
 *              gets its new fields, zero where the kernel knows them not
 * @out_id: output: the queue's id, for IOASID_ALLOC and IOASID_DESTROY
 * @out_fd: output: the queue's file descriptor, close-on-exec
 *
 * Creates a fault queue.  Errors: ``EINVAL`` for a @depth or @record_len
 * out of range, ``E2BIG`` for a @record_len above the page size, and
 * those of getting a file descriptor (``EMFILE``).
 */
struct ioasid_fault_queue_alloc {
	__u32 size;
	__u32 flags;
	__u32 depth;
	__u32 record_len;
	__u32 out_id;
	__s32 out_fd;
};

#define IOASID_FAULT_QUEUE_ALLOC _IO(IOASID_TYPE, IOASID_CMD_FAULT_QUEUE_ALLOC)

/**
 * enum ioasid_fault_flags - what a fault record says of itself
 * @IOASID_FAULT_PASID_VALID: the device tagged the request with @pasid
 * @IOASID_FAULT_LAST: the last record of its group: answer its cookie
 * @IOASID_FAULT_LOST: the queue answered requests itself since the
 *                     previous record was queued, because it was full
 */
enum ioasid_fault_flags {
	IOASID_FAULT_PASID_VALID = 1 << 0,
	IOASID_FAULT_LAST = 1 << 1,
	IOASID_FAULT_LOST = 1 << 2,
};

/**
 * enum ioasid_fault_perm - the access a device requests a page for
 * @IOASID_FAULT_PERM_READ: read
 * @IOASID_FAULT_PERM_WRITE: write
 * @IOASID_FAULT_PERM_EXEC: instruction fetch
 * @IOASID_FAULT_PERM_PRIV: privileged access
 */
enum ioasid_fault_perm {
	IOASID_FAULT_PERM_READ = 1 << 0,
	IOASID_FAULT_PERM_WRITE = 1 << 1,
	IOASID_FAULT_PERM_EXEC = 1 << 2,
	IOASID_FAULT_PERM_PRIV = 1 << 3,
};

/**
 * struct ioasid_fault - one record read() from a fault queue
 * @flags: enum ioasid_fault_flags
 * @dev_id: the binding of the device, as IOASID_DEVICE_INFO names it
 * @pasid: with %IOASID_FAULT_PASID_VALID, the PASID the device used
 * @perm: enum ioasid_fault_perm
 * @addr: the stage-1 IOVA of the page requested
 * @ioasid: the nested IOASID the device is attached to
 * @cookie: names the group in struct ioasid_fault_response
 */
struct ioasid_fault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 perm;
	__aligned_u64 addr;
	__u32 ioasid;
	__u32 cookie;
};

/**
 * enum ioasid_fault_response_code - the answer to a page request
 * @IOASID_FAULT_RESPONSE_SUCCESS: the pages are present: retry
 * @IOASID_FAULT_RESPONSE_INVALID: they will not be: the access fails
 * @IOASID_FAULT_RESPONSE_FAILURE: the request cannot be served at all;
 *                                 a PCIe device stops requesting pages
 */
enum ioasid_fault_response_code {
	IOASID_FAULT_RESPONSE_SUCCESS = 0,
	IOASID_FAULT_RESPONSE_INVALID = 1,
	IOASID_FAULT_RESPONSE_FAILURE = 2,
};

/**
 * struct ioasid_fault_response - one answer write()n to a fault queue
 * @cookie: the cookie of the group answered
 * @code: enum ioasid_fault_response_code
 */
struct ioasid_fault_response {
	__u32 cookie;
	__u32 code;
};

#endif /* _UAPI_LINUX_IOASID_H */
