/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Test-only ioctl of /dev/ioasid, built with CONFIG_DEV_IOASID_TEST alone.
 * It is not uAPI: the kselftests include this file from the tree, and it
 * changes with them.
 */
#ifndef __IOASID_TEST_H
#define __IOASID_TEST_H

#include <linux/types.h>

/* The includer has included the uAPI header, for IOASID_TYPE. */

#define IOASID_CMD_TEST		0x3f
#define IOASID_TEST		_IO(IOASID_TYPE, IOASID_CMD_TEST)

/**
 * enum ioasid_test_op - what ioctl(IOASID_TEST) does
 * @IOASID_TEST_MOCK_DEVICE: create a device behind the mock IOMMU, bound
 *                           to this fd, as an object (@mock_device)
 * @IOASID_TEST_ATTACH: attach mock device @id to IOASID @ioasid, or move it
 *                      there from the IOASID it is attached to
 * @IOASID_TEST_DETACH: detach mock device @id
 * @IOASID_TEST_DMA: make mock device @id copy between @dma.uptr and its
 *                   IOVAs, through whatever its IOMMU translates; a
 *                   PASID that this binding of the device has not
 *                   attached is blocked, even if another binding has
 * @IOASID_TEST_IOPTE: read the mock IOMMU's entry at @iopte.iova of
 *                     the page table mock device @id is attached through;
 *                     ``ENODEV`` for a PASID this binding has not attached
 * @IOASID_TEST_PINNED: read the pin counters of this fd and its caller
 * @IOASID_TEST_ATTACH_PASID: attach PASID @pasid.pasid of mock device @id
 *                            to IOASID @ioasid
 * @IOASID_TEST_DETACH_PASID: detach PASID @pasid.pasid of mock device @id
 * @IOASID_TEST_MOCK_CONFIG: change how the mock IOMMU treats mock device
 *                           @id (@mock_config), and read its books
 * @IOASID_TEST_ACCESS_CREATE: create a mock emulated device, which reaches
 *                             IOASID memory through an access (@access)
 * @IOASID_TEST_ACCESS_ATTACH: attach emulated device @id's access to IOASID
 *                             @ioasid, or move it there
 * @IOASID_TEST_ACCESS_DETACH: detach emulated device @id's access
 * @IOASID_TEST_ACCESS_PIN: make emulated device @id pin the pages behind
 *                          @access.iova and keep them
 * @IOASID_TEST_ACCESS_UNPIN: make it unpin pages it pinned
 * @IOASID_TEST_ACCESS_RW: make it copy between @access.uptr and its IOVAs
 *                         through ioasid_access_rw(), pinning nothing
 * @IOASID_TEST_ACCESS_DMA: make it copy between @access.uptr and pages it
 *                          holds pinned
 * @IOASID_TEST_ACCESS_CONFIG: set emulated device @id's flags, and read its
 *                             books
 * @IOASID_TEST_BIND_UNTRANSLATED: add a device that is in an IOMMU group
 *                                 but that no IOMMU translates, as VFIO
 *                                 makes an mdev, bind it to this fd (its
 *                                 PASIDs only with %IOASID_MOCK_HOST_OWNED
 *                                 in @mock_device.flags), and remove it;
 *                                 the errno is the bind's
 * @IOASID_TEST_FLOOR: pin @floor.uptr, map it at @floor.iova into every
 *                     page table of IOASID @ioasid, unmap it and unpin it,
 *                     with nothing else: what any implementation must do,
 *                     timed
 */
enum ioasid_test_op {
	IOASID_TEST_MOCK_DEVICE = 1,
	IOASID_TEST_ATTACH,
	IOASID_TEST_DETACH,
	IOASID_TEST_DMA,
	IOASID_TEST_IOPTE,
	IOASID_TEST_PINNED,
	IOASID_TEST_ATTACH_PASID,
	IOASID_TEST_DETACH_PASID,
	IOASID_TEST_MOCK_CONFIG,
	IOASID_TEST_ACCESS_CREATE,
	IOASID_TEST_ACCESS_ATTACH,
	IOASID_TEST_ACCESS_DETACH,
	IOASID_TEST_ACCESS_PIN,
	IOASID_TEST_ACCESS_UNPIN,
	IOASID_TEST_ACCESS_RW,
	IOASID_TEST_ACCESS_DMA,
	IOASID_TEST_ACCESS_CONFIG,
	IOASID_TEST_BIND_UNTRANSLATED,
	IOASID_TEST_FLOOR,
};

/*
 * Page tables allocated for the device model a driver that has not opted
 * in to replacing a PASID's domain and ignores set_dev_pasid()'s old
 * domain, as SMMUv3 does in 6.12: a PASID that moved stays on the books
 * of the domain it left.
 */
#define IOASID_MOCK_F_PASID_KEEPS_OLD	0x1U

/* The mock IOMMU's default page sizes and aperture. */
#define IOASID_MOCK_PGSIZES	(0x1000ULL | 0x200000ULL)
#define IOASID_MOCK_APERTURE_START	0x100000ULL
#define IOASID_MOCK_APERTURE_LAST	((1ULL << 40) - 1)
#define IOASID_MOCK_PASID_BITS		20

/*
 * IOASID_MOCK_INCOHERENT: the device's IOMMU cannot make its DMA snoop CPU
 * caches (it lacks IOMMU_CAP_CACHE_COHERENCY), as on an SMMUv3 that is not
 * coherent.  Such a device binds only with ioasid.allow_incoherent_dma
 * set, as a real one does; otherwise creating it fails with EPERM.
 * IOASID_MOCK_ENFORCE_SNOOP: its IOMMU can refuse no-snoop DMA through a
 * table that has no mapping yet (IOMMU_CAP_ENFORCE_CACHE_COHERENCY), as
 * VT-d's second-stage tables with snoop control; only devices that can
 * join such a table.
 * IOASID_MOCK_NO_DIRTY: its IOMMU cannot record which pages DMA writes
 * (it lacks IOMMU_CAP_DIRTY_TRACKING), as VT-d without second-stage
 * access and dirty bits; other mock devices can, and their tables are
 * made able to from the start.
 * IOASID_MOCK_NO_NEST: its IOMMU reads no stage-1 tables, as VT-d without
 * nesting; other mock devices read %IOASID_NEST_FORMAT_MOCK tables.
 * IOASID_MOCK_NO_PRI: the device cannot request pages, as one without
 * PCIe PRI; the others can, through nested IOASIDs with a fault queue,
 * when %IOASID_TEST_DMA asks them to.
 */
#define IOASID_MOCK_INCOHERENT		0x1U
#define IOASID_MOCK_ENFORCE_SNOOP	0x2U
#define IOASID_MOCK_NO_DIRTY		0x10U
#define IOASID_MOCK_NO_NEST		0x20U
#define IOASID_MOCK_NO_PRI		0x40U

/*
 * The mock IOMMU's stage-1 format, enum ioasid_nest_format's number for
 * it, and its entries.  The table is an array of @entries little-endian
 * 64-bit entries at IOVA @table of the parent, page aligned; entry N
 * translates the stage-1 page at N * 4 KiB.  An entry holds the parent
 * IOVA of the page in bits 63:12, and the IOASID_MOCK_S1_* bits.  The
 * IOMMU caches an entry it read as present until it is invalidated.
 */
#define IOASID_NEST_FORMAT_MOCK		63
/* enum ioasid_hw_info_type's number for struct ioasid_mock_hw_info. */
#define IOASID_HW_INFO_MOCK		63
#define IOASID_MOCK_S1_PRESENT		0x1ULL
#define IOASID_MOCK_S1_READ		0x2ULL
#define IOASID_MOCK_S1_WRITE		0x4ULL
#define IOASID_MOCK_S1_MAX_ENTRIES	(1U << 20)

/**
 * struct ioasid_mock_hw_info - what the mock IOMMU reports of itself
 * @nest_formats: bit N for each enum ioasid_nest_format N it reads
 */
struct ioasid_mock_hw_info {
	__aligned_u64 nest_formats;
};

/**
 * struct ioasid_mock_s1 - a mock stage-1 table, for IOASID_ALLOC
 * @table: its IOVA in the parent, page aligned
 * @entries: its entries, 1 to %IOASID_MOCK_S1_MAX_ENTRIES
 * @flags: must be 0
 */
struct ioasid_mock_s1 {
	__aligned_u64 table;
	__u32 entries;
	__u32 flags;
};

/*
 * IOASID_MOCK_S1_INV_ALL: drop every cached entry, whatever @iova and
 * @npages say.
 */
#define IOASID_MOCK_S1_INV_ALL		0x1U

/**
 * struct ioasid_mock_s1_invalidate - one IOASID_INVALIDATE entry
 * @iova: the first stage-1 IOVA whose cached entry to drop, page aligned
 * @npages: the pages from @iova on
 * @flags: IOASID_MOCK_S1_INV_* flags; others fail with ``EOPNOTSUPP``
 */
struct ioasid_mock_s1_invalidate {
	__aligned_u64 iova;
	__u32 npages;
	__u32 flags;
};

/*
 * How %IOASID_TEST_MOCK_DEVICE binds the device.  IOASID_MOCK_HOST_OWNED:
 * a host driver keeps the device and its requester ID, and lends this fd
 * its PASIDs only (ioasid_bind_device_pasids(), as a SIOV parent does);
 * the device needs @mock_device.pasid_bits.  IOASID_MOCK_PASIDS_OF, with
 * IOASID_MOCK_HOST_OWNED: add no device, but lend this fd the PASIDs of
 * host-owned mock device @mock_device.group_dev of /dev/ioasid fd
 * @mock_device.group_fd; the new object is another binding of that
 * device, which stays until the last of its bindings is destroyed.
 */
#define IOASID_MOCK_HOST_OWNED		0x4U
#define IOASID_MOCK_PASIDS_OF		0x8U

/*
 * @access.flags.  IOASID_MOCK_ACCESS_WRITE: the pin, copy or DMA writes the
 * IOVAs; without it, it reads them.  IOASID_MOCK_ACCESS_KEEP_PINS: the
 * emulated device's unmap callback returns without unpinning, as a buggy
 * driver's would; set at creation or with %IOASID_TEST_ACCESS_CONFIG.
 * IOASID_MOCK_ACCESS_MIRROR, at creation only: the device mirrors the
 * IOASID, as a vDPA parent with its own IOTLB does: its map callback pins
 * every mapping it is told of, for writing where the mapping allows it.
 */
#define IOASID_MOCK_ACCESS_WRITE	0x1U
#define IOASID_MOCK_ACCESS_KEEP_PINS	0x2U
#define IOASID_MOCK_ACCESS_MIRROR	0x4U

/*
 * IOASID_MOCK_PTE_SNOOP: the entry is in a table that refuses no-snoop DMA.
 * IOASID_MOCK_PTE_DIRTY: a device wrote through it while its table tracked
 * dirty pages, and no read has cleared that since.
 */
#define IOASID_MOCK_PTE_SNOOP		0x1U
#define IOASID_MOCK_PTE_DIRTY		0x2U

/**
 * struct ioasid_test - ioctl(IOASID_TEST)
 * @size: sizeof(struct ioasid_test)
 * @op: enum ioasid_test_op
 * @id: the mock device the op is about
 * @ioasid: the IOASID of %IOASID_TEST_ATTACH and %IOASID_TEST_FLOOR
 * @mock_device: for %IOASID_TEST_MOCK_DEVICE; zero fields take defaults
 * @mock_device.pgsize_bitmap: IOMMU page sizes; a device with other sizes
 *                             than another needs a page table of its own
 * @mock_device.aperture_start: the first IOVA the IOMMU translates
 * @mock_device.aperture_last: the last IOVA it translates
 * @mock_device.resv_start: the first IOVA of a reserved region
 * @mock_device.resv_length: its length; 0 for none
 * @mock_device.pasid_bits: the width of its PASIDs, at most 20; 0 for none
 * @mock_device.out_id: output: the new device's object id
 * @mock_device.group_fd: with @mock_device.group_dev, a mock device of
 *                        the /dev/ioasid fd @group_fd whose IOMMU group
 *                        the new device joins
 * @mock_device.group_dev: that device's id; 0 for a group of its own
 * @mock_device.flags: IOASID_MOCK_* flags, the IOMMU's coherency and how
 *                     the device is bound
 * @mock_device.__reserved: must be 0
 * @mock_device.out_dev_id: output: the id of the new device's binding, for
 *                          IOASID_DEVICE_INFO
 * @mock_device.__reserved2: must be 0
 * @dma: for %IOASID_TEST_DMA
 * @dma.iova: the device's first IOVA
 * @dma.length: bytes to copy
 * @dma.uptr: the caller's buffer
 * @dma.to_iova: 1 to write the IOVAs from the buffer, 0 to read them
 * @dma.pasid: the PASID to tag the DMA with, translated by the domain the
 *             mock IOMMU's PASID table points it at; 0 for none
 * @dma.out_fault_iova: output: where the transfer faulted, on ``EIO``
 * @dma.out_fault_stage: output: on ``EIO`` through a nested IOASID, 1 when
 *                       stage 1 faulted, 2 when stage 2 did (also while
 *                       reading stage 1); 0 otherwise
 * @dma.wait_ms: 0, or when a stage-1 entry is not present, the device
 *               requests the page (unless %IOASID_MOCK_NO_PRI) and waits
 *               this many ms, at most 10000, for the answer; on success
 *               it tries the page again, and requests it once only
 * @dma.out_page_requests: output, on success and on ``EIO``: the pages
 *                         the device requested
 * @dma.out_response: output: with @dma.out_page_requests, the last answer,
 *                    enum ioasid_fault_response_code; an answer other
 *                    than success fails the DMA with ``EIO`` at stage 1
 * @iopte: for %IOASID_TEST_IOPTE
 * @iopte.iova: the IOVA to look up
 * @iopte.out_pfn: output: the frame the IOVA's page translates to
 * @iopte.out_pgsize: output: the size of the IOMMU page holding it
 * @iopte.out_prot: output: IOMMU_READ (1), IOMMU_WRITE (2) and
 *                  IOMMU_CACHE (4) bits
 * @iopte.pasid: look in the table the mock IOMMU points this PASID at; 0
 *               for the requester ID's
 * @iopte.out_flags: output: %IOASID_MOCK_PTE_SNOOP when the table refuses
 *                   no-snoop DMA
 * @iopte.__reserved: must be 0
 * @pasid: for %IOASID_TEST_ATTACH_PASID and %IOASID_TEST_DETACH_PASID
 * @pasid.pasid: the PASID
 * @pasid.__reserved: must be 0
 * @mock_config: for %IOASID_TEST_MOCK_CONFIG
 * @mock_config.flags: IOASID_MOCK_F_*, for the page tables allocated for
 *                     the device from then on
 * @mock_config.fail_set_pasid: N > 0 makes the N-th set_dev_pasid() call
 *                              on the device from now on fail with ``EIO``,
 *                              once; 0 disarms
 * @mock_config.out_pasid_entries: output: entries naming the device's
 *                                 PASIDs on the books of the mock IOMMU's
 *                                 domains: one per attached PASID, more
 *                                 when the driver leaked some
 * @mock_config.__reserved: must be 0
 * @access: for the %IOASID_TEST_ACCESS_* ops
 * @access.iova: the first IOVA to pin, unpin or copy; page aligned to pin
 *               and unpin
 * @access.length: bytes to pin, unpin or copy; whole pages to pin and unpin
 * @access.uptr: the caller's buffer, to copy
 * @access.flags: IOASID_MOCK_ACCESS_* flags
 * @access.out_id: output of %IOASID_TEST_ACCESS_CREATE: the emulated
 *                 device's object id
 * @access.out_unmap_calls: output of %IOASID_TEST_ACCESS_CONFIG: the times
 *                          the access's unmap callback has run
 * @access.out_unmap_iova: output: the first IOVA the last callback named
 * @access.out_unmap_last: output: the last IOVA it named
 * @access.out_pinned_pages: output: pages the emulated device holds pinned
 * @floor: for %IOASID_TEST_FLOOR
 * @floor.iova: the first IOVA, page aligned, free in the IOASID
 * @floor.length: bytes, whole pages, at most 1 GiB
 * @floor.uptr: the caller's writable memory, page aligned
 * @floor.out_map_ns: output: the time it took to pin and map, in ns
 * @floor.out_unmap_ns: output: the time it took to unmap and unpin
 * @pinned: for %IOASID_TEST_PINNED
 * @pinned.out_fd_pages: pages this fd pins
 * @pinned.out_user_locked: the caller's user's locked_vm, in pages
 * @pinned.out_mm_locked: the caller's locked_vm, in pages
 * @pinned.out_mm_pinned: the caller's pinned_vm, in pages
 * @pinned.out_table_pages: pages this fd pins whose frames only the IOMMU
 *                          page tables hold
 *
 * Errors of %IOASID_TEST_MOCK_DEVICE: ``EBUSY`` when the group to join is
 * bound to another fd; ``EBADF`` or ``ENOENT`` for no such group device;
 * ``EINVAL`` for %IOASID_MOCK_PASIDS_OF without %IOASID_MOCK_HOST_OWNED,
 * or naming a device that is not host-owned; ``EOPNOTSUPP`` for
 * %IOASID_MOCK_HOST_OWNED without PASIDs;
 * ``ENODEV`` when the IOMMU core could not probe the device, as when the
 * group it joins is attached to a page table its IOMMU refuses.
 * Errors of %IOASID_TEST_DMA: ``EIO`` when the IOMMU blocks the transfer,
 * with @dma.out_fault_iova set; nothing is copied past it.  ``ETIMEDOUT``
 * when no answer to a page request came within @dma.wait_ms, ``EINTR``
 * when a signal came first, and ``EINVAL`` for @dma.wait_ms above 10000.  Of
 * %IOASID_TEST_IOPTE: ``ENOENT`` when nothing is mapped at the IOVA,
 * ``ENODEV`` when the device is not attached, ``EPERM`` through a nested
 * IOASID whose stage-1 table the parent maps without read access.  Of
 * %IOASID_TEST_MOCK_CONFIG: ``EOPNOTSUPP`` for an unknown flag, a count
 * above INT_MAX or a non-zero @mock_config.__reserved.
 * The %IOASID_TEST_ACCESS_* ops fail as the access API does (see
 * Documentation/driver-api/ioasid.rst).  %IOASID_TEST_ACCESS_DMA fails
 * with ``ENXIO`` when the emulated device holds no pin of some page of
 * the range, else with ``EPERM`` when it writes a page it pinned for
 * reading only, and copies nothing then; %IOASID_TEST_ACCESS_UNPIN with
 * ``ENXIO`` when it does not hold the range as one pin.  The mock takes
 * at most 65536 pages in one pin and copies at most 1 MiB with
 * %IOASID_TEST_ACCESS_RW, ``E2BIG`` beyond.  The ops that take
 * @access.flags refuse unknown ones with ``EOPNOTSUPP``; the others
 * ignore it.  %IOASID_TEST_FLOOR fails with ``EINVAL`` for an empty or
 * unaligned range, ``EOVERFLOW`` for one that wraps, ``E2BIG`` past
 * 1 GiB, ``ENOENT`` for no such IOASID, ``ENODEV`` when the IOASID has
 * no page table (no device's DMA goes through it), ``EADDRNOTAVAIL`` or
 * ``EADDRINUSE`` where a fixed IOASID_MAP would, ``EFAULT`` (or
 * ``EOVERFLOW`` at the top of the address space) for memory it cannot
 * pin, ``ENOMEM`` and ``EINTR``.
 */
struct ioasid_test {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 ioasid;
	union {
		struct {
			__aligned_u64 pgsize_bitmap;
			__aligned_u64 aperture_start;
			__aligned_u64 aperture_last;
			__aligned_u64 resv_start;
			__aligned_u64 resv_length;
			__u32 out_id;
			__u32 pasid_bits;
			__s32 group_fd;
			__u32 group_dev;
			__u32 flags;
			__u32 __reserved;
			__u32 out_dev_id;
			__u32 __reserved2;
		} mock_device;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 to_iova;
			__u32 pasid;
			__aligned_u64 out_fault_iova;
			__u32 out_fault_stage;
			__u32 wait_ms;
			__u32 out_page_requests;
			__u32 out_response;
		} dma;
		struct {
			__aligned_u64 iova;
			__aligned_u64 out_pfn;
			__aligned_u64 out_pgsize;
			__u32 out_prot;
			__u32 pasid;
			__u32 out_flags;
			__u32 __reserved;
		} iopte;
		struct {
			__u32 pasid;
			__u32 __reserved;
		} pasid;
		struct {
			__u32 flags;
			__u32 fail_set_pasid;
			__u32 out_pasid_entries;
			__u32 __reserved;
		} mock_config;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
			__u32 out_id;
			__aligned_u64 out_unmap_calls;
			__aligned_u64 out_unmap_iova;
			__aligned_u64 out_unmap_last;
			__aligned_u64 out_pinned_pages;
		} access;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__aligned_u64 out_map_ns;
			__aligned_u64 out_unmap_ns;
		} floor;
		struct {
			__aligned_u64 out_fd_pages;
			__aligned_u64 out_user_locked;
			__aligned_u64 out_mm_locked;
			__aligned_u64 out_mm_pinned;
			__aligned_u64 out_table_pages;
		} pinned;
	};
};

#endif /* __IOASID_TEST_H */
