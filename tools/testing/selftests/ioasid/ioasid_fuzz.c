// SPDX-License-Identifier: GPL-2.0-only
/*
 * A bounded, seeded random-ioctl fuzzer of /dev/ioasid and of the mock
 * IOMMU and mock emulated devices of CONFIG_DEV_IOASID_TEST.
 *
 * Each operation is one ioctl through one of a few fds, well formed or
 * not: any command of the uAPI or of IOASID_TEST, in a struct that may be
 * shorter or longer than the kernel's, run into a page the kernel cannot
 * read or write, or not be there at all, with fields that name objects
 * that are gone, set unknown flags, wrap around, or point at memory that
 * is read-only, unmapped or freed while the call runs.  Between calls,
 * fds are opened, dup'ed and closed, and children forked with the fds run
 * calls of their own until they exit or are killed.
 *
 * Mock devices are owned by the fd or, with IOASID_MOCK_HOST_OWNED, kept
 * by a host driver that lends the fd their PASIDs alone; PASIDS_OF adds
 * another binding of such a device, in any fd, and the device lives until
 * its last binding goes.  The model follows bindings, not devices: each
 * has the PASIDs it attached, and a host-owned one no requester ID.  Each
 * has an id of its own in the fd, which DEVICE_INFO takes and which no
 * object lookup finds.
 *
 * Nested IOASIDs are made on the fd's IOASIDs for its mock devices, from
 * descriptions of mock stage-1 tables that are well formed or not.  The
 * model knows the parent each holds and the requester IDs and PASIDs
 * attached to each, and which device's page sizes and aperture the table
 * it nests on has when no other table could have been taken; DESTROY,
 * the attaches and IOASID_INVALIDATE, whose entries it judges one by one
 * and whose entry_num it reads back, are checked against it.  DMA through
 * a nested IOASID may fault at either stage, which it must report, since
 * stage 1 is whatever the parent's pages hold.
 *
 * Fault queues are made with depths and record lengths in range or not,
 * and named by nested IOASIDs, well or not; devices that cannot request
 * pages must not attach to those.  A DMA through one waits up to 20 ms
 * for the answer to its page request, which nobody gives while it runs:
 * the queue holds the request when it gives up (ETIMEDOUT), unless the
 * queue is full or its fd closed, when the kernel answers at once (EIO).
 * The parent alone reads the queues' fds, never blocking, and writes
 * responses to them: cookies read, unknown or answered, codes known or
 * not, lengths whole or not.  The model follows each group from the DMA
 * that left it to the record read, which must say what it asked, and the
 * answer or the detach, move or close that takes it, while the slot is
 * exact; the cookies read, otherwise.  A queue is busy for DESTROY while
 * its fd is open, which the model is sure of in any slot, or a nested
 * IOASID names it.  Queues' fds close at random, and with their slot's
 * fd, whose context they hold.
 *
 * A call fails the run when it ends in an errno the documentation does
 * not give for its ioctl, succeeds where a rule the caller broke says it
 * must fail, or writes where it must not.  What a call must do is judged
 * from its own fields wherever other processes may share the fd, and from
 * a model of the fd's objects and mappings where none can.  Once every fd
 * is closed and every child reaped, the mock devices, the pin counters and
 * the pins the pages hold must be back where they started.  The debug kernel, and the host's check
 * of its log, catch what shows only inside.
 *
 * While the parent runs its calls, a thread of it reads what the kernel
 * shows of each of its fds, over and over: the fdinfo, and the mappings
 * file of the fd's context in debugfs when it can be read.  A read that
 * fails or a line that does not parse, strictly, fails the run as a call
 * does.  The thread holds a lock while it reads, which the parent takes
 * to close a slot's fd, so that a context never goes away under a read.
 *
 * Where the mdma sample parent driver offers its types, the parent
 * process also creates and removes mediated devices, binds their VFIO
 * cdevs to its fds, attaches them, closes the fds under them, and has
 * their DMA engines copy and pin: a SIOV child through a PASID of the
 * parent on the mock IOMMU, an emulated one through an access, which keeps
 * pages pinned until an unmap or a move takes them.  The status register
 * of a command is judged as a call's errno is, and the pages kept as the
 * pins of the mock emulated devices are.  Without the parent those
 * operations are never drawn: a seed runs the same calls as it did before
 * they were added.
 *
 * Where /dev/ioasid serves VFIO's container, the parent also opens
 * /dev/vfio/vfio, once or twice at a time, and makes a type1 program's
 * calls on it: the API version, extensions, the IOMMU type, GET_INFO, and
 * MAP_DMA and UNMAP_DMA, well formed or not, with flags type1 has and
 * this container refuses.  edu's VFIO group, opened once if edu binds to
 * vfio-pci, joins and leaves the containers, and edu's device fd, which
 * attaches edu to the container's IOASID, is opened and closed.  The
 * container's fd meets /dev/ioasid's commands too, and SET_CONTAINER fds
 * that are no container.  A model of each container, whether the group
 * is in it, its type and its mappings, says what each call must do and
 * how many bytes an unmap must report; the usable IOVA ranges are those
 * GET_INFO gave, with edu attached or not.  Without the container those
 * calls are never drawn, nor the group's without edu.
 *
 * Where vdpa_sim_net and vhost-vdpa's /dev/ioasid ioctls are there, the
 * parent creates a vDPA device for the run and opens its vhost-vdpa fd,
 * one open at a time, taking ownership as a VMM does.  It binds the fd to
 * one of its fds, a container, an fd that is not /dev/ioasid or none,
 * attaches and detaches the device's address spaces, valid or not, to
 * IOASIDs that exist, are gone or never were, writes vhost IOTLB messages,
 * sets and resets the status, and closes the fd, which unbinds it; each
 * struct well formed or not, as the container's are.  A model of the fd,
 * what it is bound to, what each address space is attached to and what
 * its IOTLB holds, says what each call must do, and the attached IOASIDs
 * are in use for DESTROY.  The device's mirror of an IOASID pins its
 * mappings through an access, so an UNMAP there must still do what the
 * model says, and may call the other emulated devices back.  Without the
 * device or the ioctls those calls are never drawn.
 *
 * The seed is printed first.  ioasid_fuzz_seed, ioasid_fuzz_ops and
 * ioasid_fuzz_seconds in the environment (the guest's init passes them on
 * from the kernel command line) or -s, -n and -t set the seed and the
 * bounds.  ioasid_fuzz_children or -c caps the children alive at a time;
 * without children, a seed replays the same calls, bar the few that race
 * a thread.  ioasid_fuzz_verbose=1 or -v traces every call.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/ioasid.h>
#include <linux/virtio_config.h>

#include "edu_vfio.h"
#include "ioasid_utils.h"
#include "ioasid_views.h"
#include "vdpa_net.h"
#include "../kselftest.h"

#define DEFAULT_SECONDS		20
#define DEFAULT_OPS		10000000UL
#define WATCHDOG_SLACK		60	/* seconds for teardown and checks */
#define NR_SLOTS		4	/* fds open at a time, at most */
#define NR_BUFS			8
#define MAX_CHILDREN		2
#define CHILD_OPS		300	/* a child's calls, at most */
#define MAX_IOAS		12	/* per fd, before ALLOC is made to fail */
#define MAX_DEVS		6	/* likewise for mock devices */
#define MAX_MOCK_DEVICES	32	/* in the system, likewise */
#define MAX_PASIDS		4
#define MAX_ACCS		4	/* emulated devices per fd, likewise */
#define MAX_PINS		8	/* pins of one the model follows */
#define MAX_MAPS		48
#define MAX_DEAD		16
#define MAX_NESTS		4	/* nested IOASIDs per fd, likewise */
#define MAX_QUEUES		3	/* fault queues per fd, likewise */
#define MAX_HELD		16	/* request groups of a queue followed */
#define MAX_ANSWERED		4	/* cookies answered, kept to answer again */
#define FAULT_MAX_DEPTH		4096	/* what FAULT_QUEUE_ALLOC takes */
#define FAULT_MIN_RECORD	32	/* struct ioasid_fault as published */
#define DMA_MAX_WAIT_MS		10000	/* what a test DMA waits, at most */
#define FAULT_FLAGS		(IOASID_FAULT_PASID_VALID | \
				 IOASID_FAULT_LAST | IOASID_FAULT_LOST)
#define MAX_INVALIDATIONS	4096	/* what IOASID_INVALIDATE takes */
#define INV_LEN			sizeof(struct ioasid_mock_s1_invalidate)
#define INV_AREA_LEN		(MAX_INVALIDATIONS * INV_LEN)
#define S1_LEN			sizeof(struct ioasid_mock_s1)
#define S1_AREA_LEN		(2 * page)	/* a table's description */
#define FLOOR_MAX_LEN		(1024 * SZ_1M)	/* what one FLOOR takes */
#define FLOOR_RANGES		8	/* usable ranges a FLOOR reads first */
#define RESET_EVERY		5000	/* operations between closing every fd */
#define NR_RANGES		8192	/* entries of the ranges array */
#define MAX_RANGES		4096	/* what SET_ALLOWED_RANGES takes */
#define SCRATCH_LEN		(256 * 1024)
#define BITMAP_LEN		(64 * 1024)	/* UNMAP_DIRTY's bitmaps */
#define BITMAP_CANARY		0x5a5a5a5a5a5a5a5aULL
#define THP_LEN			(2 * SZ_2M)
#define CANARY			32
#define CANARY_BYTE		0x5a
#define NR_ERRNO		134
#define MAX_REPORTS		60	/* failure messages printed, at most */
#define REPORTS_PER_CLASS	3
#define NR_CLASSES		32
#define CLASS_LEN		64
#define CLOSED_FD		900	/* far above any fd this program opens */
#define VIEW_PERIOD_US		5000	/* between two rounds of the reader */
#ifndef BIT
#define BIT(nr)			(1UL << (nr))
#endif
/* Ids are allocated from 1, lowest free first: no run gets this far. */
#define ID_NEVER		BIT(20)
#define MOCK_MAX_PASID		BIT(IOASID_MOCK_PASID_BITS)
#define ULL(x)			((unsigned long long)(x))
/*
 * IOASID_TEST takes its whole struct, so that every op has its outputs;
 * the ends of some of its fields.
 */
#define TEST_MIN_SIZE	sizeof(struct ioasid_test)
#define OUT_DEV_ID_END	\
	(offsetof(struct ioasid_test, mock_device.out_dev_id) + sizeof(__u32))
#define PASID_BITS_END	\
	(offsetof(struct ioasid_test, mock_device.pasid_bits) + sizeof(__u32))
#define GROUP_DEV_END	\
	(offsetof(struct ioasid_test, mock_device.group_dev) + sizeof(__u32))
/* The flags MOCK_DEVICE knows. */
#define MOCK_DEVICE_FLAGS	(IOASID_MOCK_INCOHERENT | \
				 IOASID_MOCK_ENFORCE_SNOOP | \
				 IOASID_MOCK_HOST_OWNED | IOASID_MOCK_PASIDS_OF | \
				 IOASID_MOCK_NO_DIRTY | IOASID_MOCK_NO_NEST | \
				 IOASID_MOCK_NO_PRI)
/* struct vfio_device_bind_ioasid before it grew out_dev_id. */
#define BIND_FIRST_SIZE	offsetof(struct vfio_device_bind_ioasid, out_dev_id)
/* struct ioasid_unmap before it grew the dirty bitmap. */
#define UNMAP_FIRST_SIZE	\
	(offsetof(struct ioasid_unmap, out_length) + sizeof(__u64))
/* The last command of the uAPI: the numbers after it up to TEST are free. */
#define LAST_CMD		IOASID_CMD_FAULT_QUEUE_ALLOC
/* The structs of ALLOC and DEVICE_INFO as they were first published. */
#define ALLOC_FIRST_SIZE	\
	(offsetof(struct ioasid_alloc, __reserved) + sizeof(__u32))
#define DEVICE_INFO_FIRST_SIZE	\
	(offsetof(struct ioasid_device_info, __reserved) + sizeof(__u32))

/*
 * The mediated devices of the mdma sample parent driver: its types, and
 * the 64-bit registers of region 0 of a child's VFIO device fd.
 */
#define MDEV_CLASS		"/sys/class/mdev_bus"
#define MDEV_DEVICES		"/sys/bus/mdev/devices"
#define MDMA_REG_ID		0x00	/* RO: MDMA_ID | mode << 32 */
#define MDMA_REG_SRC		0x08
#define MDMA_REG_DST		0x10
#define MDMA_REG_LEN		0x18
#define MDMA_REG_CMD		0x20	/* WO */
#define MDMA_REG_STATUS		0x28	/* RO: 0, or the last command's errno */
#define MDMA_REG_PINNED		0x30	/* RO: the pages kept */
#define MDMA_REG_UNMAPS		0x38	/* RO: unmaps that took kept pages */
#define MDMA_REG_PASID		0x40	/* RO */
#define MDMA_REGION_SIZE	0x100
#define MDMA_ID			0x414d444dULL
#define MDMA_CMD_START		1	/* copy LEN bytes from SRC to DST */
#define MDMA_CMD_PIN		2	/* keep the page at DST pinned */
#define MDMA_CMD_UNPIN		4	/* let go of every page kept */
#define MDMA_MAX_LEN		4096
#define MDMA_MAX_PINS		16	/* pages a child keeps, at most */
#define MAX_MDEVS		4	/* children the fuzzer has at a time */
#define UUID_LEN		36
#define REGION_RW		(VFIO_REGION_INFO_FLAG_READ | \
				 VFIO_REGION_INFO_FLAG_WRITE)

/*
 * VFIO's container: the containers open at a time, the mappings the model
 * follows in one, and the IOASID the first group to join one creates, as
 * the fuzzer allocates none in a container's context.
 */
#define CONTAINER_PATH		"/dev/vfio/vfio"
#define MAX_CONTAINERS		2
#define MAX_CMAPS		32
#define MAX_SPANS		16
#define CONT_IOASID		1
#define VMAP_RW			(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define VINFO_MIN		(offsetof(struct vfio_iommu_type1_info, \
					  iova_pgsizes) + sizeof(__u64))
#define VINFO_FLAGS		(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS)
#define VINFO_LONG		1024	/* argsz that holds the capabilities */

/*
 * vhost-vdpa: the vDPA device the run creates on vdpa_sim_net, the
 * address spaces drawn (past the device's two), the vhost IOTLB mappings
 * the model follows and where they go, and the status of a started device.
 */
#define VDPA_DEV_NAME		"ioasid-fuzz0"
#define VDPA_SIM_USE_VA		"/sys/module/vdpa_sim/parameters/use_va"
#define VDPA_MAX_ASID		4
#define VDPA_MAX_IOTLB		4
#define VDPA_IOTLB_BASE		0x40000000ULL
#define VDPA_STATUS_OK		(VIRTIO_CONFIG_S_ACKNOWLEDGE | \
				 VIRTIO_CONFIG_S_DRIVER | \
				 VIRTIO_CONFIG_S_FEATURES_OK | \
				 VIRTIO_CONFIG_S_DRIVER_OK)
/* An IOTLB message shorter than this is refused before it is read. */
#define IOTLB_MSG_MIN		(offsetof(struct vhost_msg_v2, iotlb) + \
				 sizeof(struct vhost_iotlb_msg))
/* Where ATTACH writes back, and up to where it must be writable. */
#define VDPA_OUT_FLAGS		offsetof(struct vhost_vdpa_ioasid_attach, \
					 out_flags)
#define VDPA_OUT_END		(VDPA_OUT_FLAGS + sizeof(__u32))

/* The PASID ioctls of a device cdev, until linux/vfio.h has them. */
#ifndef VFIO_DEVICE_ATTACH_IOASID_PASID
struct vfio_device_attach_ioasid_pasid {
	__u32 argsz;
	__u32 flags;
	__u32 pasid;
	__u32 ioasid;
};

#define VFIO_DEVICE_ATTACH_IOASID_PASID	_IO(VFIO_TYPE, VFIO_BASE + 43)

struct vfio_device_detach_ioasid_pasid {
	__u32 argsz;
	__u32 flags;
	__u32 pasid;
	__u32 __reserved;
};

#define VFIO_DEVICE_DETACH_IOASID_PASID	_IO(VFIO_TYPE, VFIO_BASE + 44)
#endif

enum mdma_mode {
	MDMA_NONE,
	MDMA_SIOV,
	MDMA_EMULATED,
	MDMA_OWN_RID,	/* its driver binds the mdev itself: refused */
	NR_MDMA_MODES,
};

/* The names of the types are "mdma-" and these. */
static const char * const mdma_types[NR_MDMA_MODES] = {
	[MDMA_NONE] = "none",
	[MDMA_SIOV] = "siov",
	[MDMA_EMULATED] = "emulated",
	[MDMA_OWN_RID] = "own-rid",
};

static uint64_t page;

/*
 * The commands the fuzzer issues.  The first thirteen are the ioctl
 * numbers of the uAPI; the IOASID_TEST ops follow in the order of their
 * enum, but for MOCK_CONFIG.
 */
enum cmd_kind {
	K_GET_INFO,
	K_DESTROY,
	K_ALLOC,
	K_IOVA_RANGES,
	K_SET_ALLOWED,
	K_MAP,
	K_UNMAP,
	K_COPY,
	K_OPTION,
	K_DIRTY_READ,
	K_DEVICE_INFO,
	K_INVALIDATE,
	K_FAULT_QUEUE,	/* IOASID_FAULT_QUEUE_ALLOC */
	K_MOCK_DEVICE,
	K_ATTACH,
	K_DETACH,
	K_DMA,
	K_IOPTE,
	K_PINNED,
	K_ATTACH_PASID,
	K_DETACH_PASID,
	K_ACCESS_CREATE,
	K_ACCESS_ATTACH,
	K_ACCESS_DETACH,
	K_ACCESS_PIN,
	K_ACCESS_UNPIN,
	K_ACCESS_RW,
	K_ACCESS_DMA,
	K_ACCESS_CONFIG,
	K_BIND_UNTRANSLATED,
	K_FLOOR,
	K_TEST_OP,	/* an IOASID_TEST op that does not exist */
	K_BAD_NR,	/* an ioctl number that is not one of ours */
	K_BAD_FD,	/* our ioctl on an fd that is not /dev/ioasid */
	/* Mediated devices: sysfs, VFIO ioctls and registers, not ioctl_op() */
	K_MDEV_CREATE,
	K_MDEV_REMOVE,
	K_MDEV_CLOSE,	/* of its device fd */
	K_MDEV_BIND,
	K_MDEV_ATTACH,
	K_MDEV_DETACH,
	K_MDEV_PASID,	/* ATTACH_IOASID_PASID or DETACH_IOASID_PASID */
	K_MDEV_DMA,	/* a copy: the errno is what STATUS says */
	K_MDEV_PIN,	/* PIN or UNPIN: likewise */
	K_MDEV_REGS,	/* registers read or written, whole or not */
	/* The VFIO container and edu's group: cont_op(), not ioctl_op() */
	K_CONT_OPEN,
	K_CONT_CLOSE,
	K_CONT_VERSION,		/* VFIO_GET_API_VERSION */
	K_CONT_EXTENSION,	/* VFIO_CHECK_EXTENSION */
	K_CONT_SET_IOMMU,
	K_CONT_INFO,		/* VFIO_IOMMU_GET_INFO */
	K_CONT_MAP,		/* VFIO_IOMMU_MAP_DMA */
	K_CONT_UNMAP,		/* VFIO_IOMMU_UNMAP_DMA */
	K_CONT_IOASID,		/* across: /dev/ioasid's and the container's */
	K_GROUP_SET,		/* VFIO_GROUP_SET_CONTAINER */
	K_GROUP_UNSET,		/* VFIO_GROUP_UNSET_CONTAINER */
	K_GROUP_DEVICE,		/* GET_DEVICE_FD of edu, or a close of its fd */
	/* The vDPA device's vhost-vdpa fd: vdpa_op(), not ioctl_op() */
	K_VDPA_OPEN,
	K_VDPA_CLOSE,
	K_VDPA_BIND,		/* VHOST_VDPA_IOASID_BIND */
	K_VDPA_ATTACH,		/* VHOST_VDPA_IOASID_ATTACH */
	K_VDPA_DETACH,		/* VHOST_VDPA_IOASID_DETACH */
	K_VDPA_IOTLB,		/* a write of a vhost IOTLB message */
	K_VDPA_STATUS,		/* VHOST_VDPA_SET_STATUS, then GET_STATUS */
	/* A fault queue's fd: queue_op(), not ioctl_op() */
	K_FAULT_READ,
	K_FAULT_WRITE,		/* of responses */
	K_FAULT_CLOSE,
	NR_KINDS,
};

union cmd {
	struct ioasid_info info;
	struct ioasid_destroy destroy;
	struct ioasid_alloc alloc;
	struct ioasid_iova_ranges ranges;
	struct ioasid_set_allowed_ranges allow;
	struct ioasid_map map;
	struct ioasid_unmap unmap;
	struct ioasid_copy copy;
	struct ioasid_option option;
	struct ioasid_dirty_read dirty;
	struct ioasid_device_info dev_info;
	struct ioasid_invalidate inv;
	struct ioasid_fault_queue_alloc fq;
	struct ioasid_test test;
	struct vfio_iommu_type1_info vinfo;
	struct vfio_iommu_type1_dma_map vmap;
	struct vfio_iommu_type1_dma_unmap vunmap;
	struct vhost_vdpa_ioasid_bind vbind;
	struct vhost_vdpa_ioasid_attach vattach;
	struct vhost_vdpa_ioasid_detach vdetach;
	struct vhost_msg_v2 vmsg;
	uint64_t words[sizeof(struct ioasid_test) / sizeof(uint64_t)];
};

/*
 * What the model knows of a binding of a mock device to an fd: the device
 * itself, or one of the bindings of a host-owned device, each with PASIDs
 * of its own.
 */
struct dev_model {
	uint32_t id;
	uint32_t dev_id;	/* of the binding, for DEVICE_INFO */
	uint32_t group;		/* 1 + DEVICE_INFO's last report, or 0 */
	uint32_t ioas;		/* of its requester ID; 0 when detached */
	uint32_t pasid_bits;
	/* IOASID_MOCK_*: its IOMMU's coherency, and HOST_OWNED */
	uint32_t flags;
	/* Its IOMMU's page sizes and aperture, as the mock device has them */
	uint64_t pgsizes;
	uint64_t ap_start;
	uint64_t ap_last;
	unsigned int nr_pasids;
	uint32_t pasid[MAX_PASIDS];
	uint32_t pasid_ioas[MAX_PASIDS];
};

/* A pin an emulated device holds, as one record of its driver. */
struct pin_model {
	uint64_t iova;
	uint64_t len;
	bool write;
};

/*
 * What the model knows of an emulated device of an fd.  Its driver never
 * keeps pins past its unmap callback: the fuzzer does not set KEEP_PINS.
 * Nor does it create mirrors, whose pins follow the mappings.
 * @lost: the model no longer knows which pins it holds, after a call that
 * may or may not have run its callback, or a pin past MAX_PINS.
 */
struct acc_model {
	uint32_t id;
	uint32_t ioas;		/* 0 when detached */
	bool lost;
	uint64_t calls;		/* callbacks its books had at the last look */
	unsigned int nr_pins;
	struct pin_model pins[MAX_PINS];
};

/*
 * A nested IOASID on IOAS @parent, made for a device whose IOMMU has page
 * sizes @pgsizes and aperture @ap_start to @ap_last.  Its stage-1 table
 * nests on a table of the parent that the kernel made for that device
 * when @known: the parent had no attachment and no other nested IOASID
 * then, so no table of another device's it could have taken instead.
 */
struct nest_model {
	uint32_t id;
	uint32_t parent;
	uint32_t dev;		/* the mock device's id, or 0 */
	uint32_t queue;		/* the fault queue it names, or 0 */
	bool known;
	uint64_t pgsizes;
	uint64_t ap_start;
	uint64_t ap_last;
};

/*
 * A page request group a fault queue holds: one record, as the mock
 * device requests one page at a time.  The page lies in [@first, @last].
 * @cookie: 0 until its record is read
 * @lost: its record says IOASID_FAULT_LOST: 1, 0, or -1 for unknown
 */
struct held_model {
	uint32_t cookie;
	uint32_t dev_id;
	uint32_t ioasid;
	uint32_t pasid;		/* 0 for the requester ID */
	uint32_t perm;
	int lost;
	uint64_t first;
	uint64_t last;
};

/*
 * A fault queue of an fd, whose fd only the parent uses: children close
 * their copies first thing.  Its groups, oldest first, are the whole
 * truth while the slot is exact and @fuzzy is not set; otherwise only
 * the cookies read from it are kept, any of which may be gone.
 * @fd: -1 once closed; the queue lives on until DESTROY
 * @lost: the next group queued says IOASID_FAULT_LOST: 1, 0 or -1
 * @untracked: a cookie was read that the model had no room to keep
 * @answered: cookies answered or taken, whose groups are gone for good
 */
struct queue_model {
	uint32_t id;
	int fd;
	uint32_t depth;
	uint32_t record_len;
	bool fuzzy;
	bool untracked;
	int lost;
	unsigned int nr_held;
	struct held_model held[MAX_HELD];
	unsigned int next_answered;
	uint32_t answered[MAX_ANSWERED];
};

/* A mapping, and where its pages are in the caller while gen holds. */
struct map_model {
	uint32_t ioas;
	uint32_t flags;		/* IOASID_MAP_READ and IOASID_MAP_WRITE */
	bool writable;		/* its pages were pinned for write */
	uint64_t iova;
	uint64_t len;
	uint64_t uva;
	unsigned int gen;	/* of the buffer at uva; 0 for unknown */
};

/*
 * One fd and the model of what it holds.  The model is the whole truth
 * only while @exact: no child and no dup shares the file, and every call
 * that created something reported it.  Otherwise it only gives hints.
 */
struct slot {
	int fd;
	bool exact;
	uint64_t mode;		/* accounting */
	unsigned int nr_ioas;
	uint32_t ioas[MAX_IOAS];
	unsigned int nr_nests;
	struct nest_model nests[MAX_NESTS];
	unsigned int nr_queues;
	struct queue_model queues[MAX_QUEUES];
	unsigned int nr_devs;
	struct dev_model devs[MAX_DEVS];
	unsigned int nr_accs;
	struct acc_model accs[MAX_ACCS];
	unsigned int nr_maps;
	struct map_model maps[MAX_MAPS];
	unsigned int nr_dead;
	uint32_t dead[MAX_DEAD];
};

/*
 * What the model knows of a mediated device the parent process created:
 * its device fd, the binding and attachment of the fd, and the registers
 * of its engine.  Children close their copies of the fd.
 * @s: the slot of the /dev/ioasid fd it is bound to, until that fd is
 *     closed; from then on @ctx, the slot's model as it was then, is what
 *     the context holds, which nobody can change any more.
 * @lost: some of @pins may have been taken by an unmap the model did not
 *        see; the pages it keeps are among them.
 * @shared: a child was forked while the device fd was open.  The child's
 *          copy may be the last to close, after the parent opened the
 *          device again: until then VFIO refuses to open it a second time,
 *          and the first bind of a new fd may fail with EINVAL.
 */
struct mdev_model {
	char uuid[UUID_LEN + 1];
	enum mdma_mode mode;
	int fd;			/* -1 while closed */
	bool bound;
	bool orphan;		/* its /dev/ioasid fd was closed */
	struct slot *s;
	struct slot ctx;
	uint64_t region;	/* where region 0 is in the fd */
	uint32_t ioas;		/* 0 when detached */
	uint64_t src;		/* registers, as last written or read */
	uint64_t dst;
	uint64_t len;
	uint64_t status;
	uint64_t pasid;
	uint64_t unmaps;
	bool lost;
	bool shared;
	unsigned int nr_pins;
	uint64_t pins[MDMA_MAX_PINS];	/* the IOVAs of the pages kept */
};

/* The mdma parent: the directory of its types, which of them it offers. */
struct mdma {
	char types[PATH_MAX];
	bool has[NR_MDMA_MODES];
	unsigned int nr;
	struct mdev_model mdevs[MAX_MDEVS];
};

/* A range of IOVAs, both ends included. */
struct iova_span {
	uint64_t first;
	uint64_t last;
};

/* The usable IOVA ranges GET_INFO reported, once it did. */
struct usable {
	bool known;
	unsigned int nr;
	struct iova_span span[MAX_SPANS];
};

/* A type1 mapping, whole: type1v2 never splits one. */
struct cmap {
	uint64_t iova;
	uint64_t size;
	uint64_t vaddr;
};

/*
 * What the model knows of a context opened through /dev/vfio/vfio.  It
 * lives while its fd is open or edu's group is in it: the group holds the
 * context past the close of the fd.
 * @type: what VFIO_SET_IOMMU chose; 0 before, and once the group left
 * @joined: the group joined it once, which made its IOASID, CONT_IOASID
 * @lost: an unmap ended as the model did not say, so the mappings are
 *        unknown until the group leaves, which takes them all
 */
struct cont_model {
	int fd;			/* -1 once closed */
	bool live;
	bool grouped;
	bool joined;
	bool lost;
	unsigned long type;
	unsigned int nr_maps;
	struct cmap maps[MAX_CMAPS];
};

/*
 * The containers, and edu in its VFIO group, which the parent opens once.
 * @in: the container the group is in, or NULL
 * @shared: a child may hold a copy of @dev_fd, which keeps edu open, and
 *          attached, past the parent's close of it
 * @free: what a container may map while edu is not attached to it
 * @reach: what it may map while edu is
 */
struct vfio_model {
	bool container;		/* /dev/ioasid serves /dev/vfio/vfio */
	bool edu;		/* its group was opened */
	char pci[32];		/* edu's PCI name */
	int group_fd;		/* -1 without edu */
	int dev_fd;		/* edu's device fd, -1 while closed */
	struct cont_model *in;
	bool shared;
	char unsafe_before;	/* allow_unsafe_interrupts we replaced, or 0 */
	struct usable free;
	struct usable reach;
	struct cont_model conts[MAX_CONTAINERS];
};

/* A mapping of the vhost IOTLB of address space 0. */
struct iotlb_map {
	uint64_t iova;
	uint64_t len;
};

/*
 * What the model knows of the vDPA device and of its vhost-vdpa fd, which
 * only the parent uses: children close their copies first thing.
 * @on: the device and the ioctls are there; else @why not
 * @use_va: vdpa_sim takes user addresses, which BIND refuses
 * @nas: the device's address spaces (VHOST_VDPA_GET_AS_NUM)
 * @first, @last: the IOVAs its vhost IOTLB takes (GET_IOVA_RANGE)
 * @shared: a child may hold a copy of @fd, which keeps the device open,
 *          and bound, past the parent's close of it
 * @s: the slot whose context the fd is bound to, while that fd is open;
 *     from then on @ctx, the slot's model as it was then, which no call
 *     can change any more: the binding keeps the context
 * @to_cont: bound to a container's context instead, @cont while it is in
 *           the model, after which @joined says whether it has its IOASID
 * @lost: bound to something the model did not mean
 * @ioas: the IOASID each address space is attached to, 0 for none
 * @as0: address space 0 has a vhost IOTLB, which UPDATE and BATCH_BEGIN
 *       make and only a close takes away
 * @batch: a batch of IOTLB messages is open
 */
struct vdpa_model {
	bool on;
	char why[192];
	bool use_va;
	char path[64];
	uint32_t nas;
	uint64_t first;
	uint64_t last;
	int fd;
	bool shared;
	bool bound;
	bool orphan;
	struct slot *s;
	struct slot ctx;
	bool to_cont;
	struct cont_model *cont;
	bool joined;
	bool lost;
	uint32_t ioas[VDPA_MAX_ASID];
	uint8_t status;
	bool as0;
	bool batch;
	unsigned int nr_maps;
	struct iotlb_map maps[VDPA_MAX_IOTLB];
};

enum buf_kind {
	BUF_SMALL,	/* anonymous, 4K pages */
	BUF_THP,	/* anonymous, 2M aligned, MADV_HUGEPAGE */
	BUF_RO_ZERO,	/* PROT_READ, never touched: the zero page */
	BUF_RO_DATA,	/* written, then made PROT_READ */
	BUF_MEMFD,	/* shared memfd */
	NR_BUF_KINDS,
};

/* User memory that calls point into; a PROT_NONE page follows each. */
struct buf {
	uint8_t *addr;		/* NULL while freed */
	uint8_t *stale;		/* where it was before it was freed */
	uint8_t *map_base;
	size_t map_len;
	size_t len;
	enum buf_kind kind;
	bool writable;
	unsigned int gen;	/* a new number for each buffer created */
};

enum place {
	PL_NORMAL,
	PL_UNALIGNED,
	PL_READONLY,
	PL_STRADDLE_NONE,	/* runs into a page that cannot be read */
	PL_STRADDLE_RO,		/* runs into a page that cannot be written */
	PL_BAD,			/* not in user memory at all */
	NR_PLACES,
};

static const char * const place_names[NR_PLACES] = {
	[PL_NORMAL] = "normal",
	[PL_UNALIGNED] = "unaligned",
	[PL_READONLY] = "read-only",
	[PL_STRADDLE_NONE] = "into-unreadable",
	[PL_STRADDLE_RO] = "into-read-only",
	[PL_BAD] = "bad-pointer",
};

/* How a struct is presented to the kernel. */
struct envelope {
	uint8_t *base;
	uint32_t size;
	enum place place;
	uint32_t dirty;		/* offset of a non-zero byte of the tail, or 0 */
	uint32_t split;		/* bytes before the page the struct runs into */
};

/* What a call must do, from the rules its caller broke or kept. */
struct verdict {
	bool must_fail;
	bool must_succeed;
	const char *why;	/* the rule that said it must fail */
	const char *ok_why;	/* the one that said it must succeed */
	int exact[2];		/* when exact[0]: the only errnos allowed */
	bool has_out;
	uint64_t out;		/* an output the model predicts */
};

/*
 * What a FLOOR call is judged by that the model lacks, read from its fd
 * just before it where the model is exact: the usable IOVA ranges of
 * IOASID @ioasid, the first @nr_ranges of them, all when @complete; and
 * the fd's pin counters, when @counted.
 */
struct floor_view {
	uint32_t ioasid;
	uint32_t nr_ranges;
	bool complete;
	bool counted;
	struct ioasid_iova_range ranges[FLOOR_RANGES];
	struct pinned pinned;
};

struct call {
	struct fuzz *f;
	enum cmd_kind kind;
	struct slot *s;
	int fd;
	unsigned long request;
	union cmd in;		/* what the kernel sees */
	union cmd out;		/* what it left in the caller's struct */
	struct envelope env;
	struct verdict v;
	int err;
	struct mdev_model *m;	/* the mediated device of an MDEV_ kind */
	struct cont_model *cont;	/* the container of a CONT_ kind */
	bool out_written;	/* a VDPA_ATTACH that wrote out_flags */
	/*
	 * Of an INVALIDATE whose outcome the model knows: the errno, and
	 * the entry_num the caller's struct must hold after it.
	 */
	bool inv_known;
	int inv_err;
	uint32_t inv_done;
	/*
	 * Of a DMA through a nested IOASID with a fault queue that may wait
	 * for an answer: its errno is judged by done_dma(), which may also
	 * take EFAULT when @pri_efault.
	 */
	bool pri;
	bool pri_efault;
	struct floor_view floor;	/* of a FLOOR */
};

/* Counters of the parent and its children, in shared memory. */
struct stats {
	unsigned long ops;
	unsigned long child_ops;
	unsigned long forks;
	unsigned long kills;
	unsigned long failures;
	unsigned long must_fail;
	unsigned long must_succeed;
	unsigned long unaligned_ranges;
	unsigned long dirty_unmaps;	/* UNMAP_DIRTY, bitmap valid */
	unsigned long dirty_unmaps_ok;
	unsigned long dirty_pages;	/* bits they set */
	unsigned long nest_allocs;	/* nested IOASIDs made */
	unsigned long nest_attaches;	/* requester IDs attached to one */
	unsigned long nest_pasids;	/* PASIDs attached to one */
	unsigned long nest_dmas[3];	/* through one: done, stage-1, stage-2 */
	unsigned long nest_queued;	/* nested IOASIDs made with a queue */
	unsigned long pri_queued;	/* page requests left in a queue */
	unsigned long pri_answered;	/* those answered at once */
	unsigned long fault_records;	/* records read */
	unsigned long fault_responses;	/* responses a queue took */
	unsigned long invalidations;	/* entries INVALIDATE said it did */
	unsigned long fdinfo_reads;
	unsigned long mappings_reads;
	unsigned long calls[NR_KINDS][NR_ERRNO];
	/* Failures by class: their messages with the numbers left out. */
	unsigned long class_count[NR_CLASSES];
	int class_used[NR_CLASSES];
	char class_name[NR_CLASSES][CLASS_LEN];
};

struct fuzz {
	struct rng rng;
	uint64_t seed;
	unsigned long max_ops;
	unsigned int seconds;
	unsigned int max_children;	/* alive at a time */
	bool verbose;
	bool child;
	bool sane;		/* the call being made is to be well formed */
	char incoherent_before;	/* allow_incoherent_dma before the run */
	uint64_t deadline_ms;
	unsigned long op;
	unsigned int last_gen;
	struct slot slots[NR_SLOTS];
	struct buf bufs[NR_BUFS];
	int race_buf;		/* the buffer a thread is freeing, or -1 */
	uint8_t *call_area;	/* two pages, then one whose prot varies */
	uint8_t *guard;		/* a PROT_NONE page */
	uint8_t *scratch;	/* DMA data, SCRATCH_LEN, guard page after */
	struct ioasid_iova_range *ranges;	/* NR_RANGES, guard after */
	uint8_t *bitmap;	/* BITMAP_LEN, a page whose prot varies after */
	uint8_t *s1_area;	/* S1_AREA_LEN, guard page after */
	uint64_t hw_info_buf[4];	/* DEVICE_INFO's IOMMU reports */
	uint8_t *inv_area;	/* INV_AREA_LEN, guard page after */
	uint8_t *snap;		/* the struct as it was before the call */
	int memfd;
	pid_t children[MAX_CHILDREN];
	struct stats *stats;
	struct mdma mdma;
	struct vfio_model vfio;
	struct vdpa_model vdpa;
	/*
	 * The reader of the fds' views, in the parent.  @watch holds the fd
	 * of each slot, or -1, and changes under @views_lock, which the
	 * reader holds while it reads; @view_ctx is the context the reader
	 * last saw through each, 0 for none yet.
	 */
	pthread_mutex_t views_lock;
	pthread_t viewer;
	bool viewing;
	int viewer_stop;
	bool debugfs;		/* the mappings files can be read */
	int watch[NR_SLOTS];
	uint32_t view_ctx[NR_SLOTS];
};

static struct fuzz fz;

static uint64_t rnd(struct fuzz *f)
{
	return rng_next(&f->rng);
}

/* A number below @n, which is not 0. */
static uint64_t below(struct fuzz *f, uint64_t n)
{
	return rnd(f) % n;
}

static bool one_in(struct fuzz *f, unsigned int n)
{
	return !below(f, n);
}

/* Mostly 0; else a single bit or a random word, for must-be-zero fields. */
static uint32_t junk32(struct fuzz *f, unsigned int one_in_n)
{
	if (f->sane || !one_in(f, one_in_n))
		return 0;
	return one_in(f, 2) ? 1U << below(f, 32) : (uint32_t)rnd(f);
}

static void count(unsigned long *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

static void count_n(unsigned long *counter, unsigned long n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static bool aligned(uint64_t x)
{
	return !(x & (page - 1));
}

/* Whether [a, a + len) wraps, for a non-zero @len. */
static bool wraps(uint64_t a, uint64_t len)
{
	return len - 1 > UINT64_MAX - a;
}

static const char *errno_name(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ 0, "ok" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" },
		{ EINTR, "EINTR" }, { EIO, "EIO" }, { E2BIG, "E2BIG" },
		{ EBADF, "EBADF" }, { EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
		{ ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOTTY, "ENOTTY" },
		{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" },
		{ EOVERFLOW, "EOVERFLOW" }, { EMSGSIZE, "EMSGSIZE" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { EADDRINUSE, "EADDRINUSE" },
		{ EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { ENXIO, "ENXIO" },
		{ ENOLINK, "ENOLINK" }, { EBADFD, "EBADFD" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { EMFILE, "EMFILE" },
	};
	static char other[16];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(other, sizeof(other), "errno %d", err);
	return other;
}

/* Failures */

/* @msg with each word that holds a digit, a number or an id, as "#". */
static void class_of(const char *msg, char *name)
{
	size_t n = 0, len;

	while (*msg && n < CLASS_LEN - 2) {
		len = strcspn(msg, " ");
		if (strpbrk(msg, "0123456789") &&
		    strpbrk(msg, "0123456789") < msg + len)
			name[n++] = '#';
		else
			n += snprintf(name + n, CLASS_LEN - 1 - n, "%.*s",
				      (int)len, msg);
		msg += len;
		if (*msg && n < CLASS_LEN - 2)
			name[n++] = *msg++;
	}
	name[n < CLASS_LEN ? n : CLASS_LEN - 1] = 0;
}

/* The count of failures of @msg's class so far, this one included. */
static unsigned long count_class(struct stats *st, const char *msg)
{
	char name[CLASS_LEN];
	unsigned int i;

	class_of(msg, name);
	for (i = 0; i < NR_CLASSES; i++) {
		if (!__atomic_load_n(&st->class_used[i], __ATOMIC_ACQUIRE) &&
		    !__atomic_exchange_n(&st->class_used[i], 1,
					 __ATOMIC_ACQ_REL))
			snprintf(st->class_name[i], CLASS_LEN, "%s", name);
		else if (strcmp(st->class_name[i], name))
			continue;
		return __atomic_add_fetch(&st->class_count[i], 1,
					  __ATOMIC_RELAXED);
	}
	return 1;
}

/*
 * Counts a failure; prints the first few of its class, so that one that
 * recurs does not hide the others.
 */
static bool __printf(2, 3) fail_msg(struct fuzz *f, const char *fmt, ...)
{
	unsigned long total;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	total = __atomic_add_fetch(&f->stats->failures, 1, __ATOMIC_RELAXED);
	if (count_class(f->stats, msg) > REPORTS_PER_CLASS ||
	    total > MAX_REPORTS)
		return false;
	printf("# FAIL%s op %lu: %s\n", f->child ? " (child)" : "", f->op,
	       msg);
	return true;
}

/* Which mediated device, and the fields or registers it was given. */
static void describe_mdev(const struct call *c, const char *name)
{
	unsigned int i;

	printf("#   %s of mdma-%s %s, device fd %d\n#   fields:", name,
	       mdma_types[c->m->mode], c->m->uuid, c->fd);
	for (i = 0; i < c->env.size / sizeof(uint64_t); i++)
		printf(" %016llx", ULL(c->in.words[i]));
	printf("\n");
}

/* The fields as the kernel saw them, so that the call can be replayed. */
static void describe_call(const struct call *c, const char *name,
			  unsigned int size)
{
	unsigned int i;

	if (c->m) {
		describe_mdev(c, name);
		return;
	}
	printf("#   %s on fd %d: size %u, %s struct at %p", name, c->fd,
	       c->env.size, place_names[c->env.place], c->env.base);
	if (c->env.dirty)
		printf(", non-zero tail byte at %u", c->env.dirty);
	printf("\n#   fields:");
	for (i = 0; i < size / sizeof(uint64_t); i++)
		printf(" %016llx", ULL(c->in.words[i]));
	printf("\n");
}

/* Rules */

static void must_fail(struct verdict *v, const char *why)
{
	if (!v->must_fail)
		v->why = why;
	v->must_fail = true;
}

static void must_fail_with(struct verdict *v, const char *why, int err,
			   int or_err)
{
	must_fail(v, why);
	if (!v->exact[0]) {
		v->exact[0] = err;
		v->exact[1] = or_err;
	}
}

/* A call that may succeed, but that fails with @err or @or_err if at all. */
static void may_fail_with(struct verdict *v, const char *why, int err,
			  int or_err)
{
	if (v->exact[0])
		return;
	if (!v->must_fail)
		v->why = why;
	v->exact[0] = err;
	v->exact[1] = or_err;
}

static void must_succeed(struct verdict *v, const char *why)
{
	v->must_succeed = true;
	v->ok_why = why;
}

/* The model */

static void model_reset(struct slot *s)
{
	int fd = s->fd;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->exact = true;
}

static bool has_ioas(const struct slot *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < s->nr_ioas; i++)
		if (s->ioas[i] == id)
			return true;
	return false;
}

static struct nest_model *find_nest(struct slot *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; id && i < s->nr_nests; i++)
		if (s->nests[i].id == id)
			return &s->nests[i];
	return NULL;
}

/* Whether a nested IOASID the model knows is on IOAS @id. */
static bool has_nest_on(const struct slot *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < s->nr_nests; i++)
		if (s->nests[i].parent == id)
			return true;
	return false;
}

static struct queue_model *find_queue(struct slot *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; id && i < s->nr_queues; i++)
		if (s->queues[i].id == id)
			return &s->queues[i];
	return NULL;
}

/* Whether a nested IOASID the model knows names fault queue @id. */
static bool has_nest_naming(const struct slot *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < s->nr_nests; i++)
		if (s->nests[i].queue == id)
			return true;
	return false;
}

/* The fault queue that nested IOASID @id names, where the model knows. */
static struct queue_model *queue_of_nest(struct slot *s, uint32_t id)
{
	struct nest_model *n = s->exact ? find_nest(s, id) : NULL;

	return n ? find_queue(s, n->queue) : NULL;
}

/* A nested IOASID that names a fault queue, or NULL. */
static struct nest_model *pick_queued_nest(struct fuzz *f, struct slot *s)
{
	unsigned int i, first = below(f, MAX_NESTS);

	for (i = 0; i < s->nr_nests; i++)
		if (s->nests[(first + i) % s->nr_nests].queue)
			return &s->nests[(first + i) % s->nr_nests];
	return NULL;
}

/* Whether the model has nested IOASID @id name a fault queue. */
static bool nest_has_queue(struct slot *s, uint32_t id)
{
	struct nest_model *n = find_nest(s, id);

	return n && n->queue;
}

/*
 * Whether the model knows every group @q holds.  Once the slot is not
 * exact, a child or a call the model did not follow may have left
 * requests in it or taken them, for good.
 */
static bool queue_certain(const struct slot *s, struct queue_model *q)
{
	if (!s->exact)
		q->fuzzy = true;
	return !q->fuzzy;
}

static unsigned int queue_unread(const struct queue_model *q)
{
	unsigned int i, n = 0;

	for (i = 0; i < q->nr_held; i++)
		n += !q->held[i].cookie;
	return n;
}

static void queue_answered(struct queue_model *q, uint32_t cookie)
{
	q->answered[q->next_answered++ % MAX_ANSWERED] = cookie;
}

static void queue_drop(struct queue_model *q, unsigned int i)
{
	if (q->held[i].cookie)
		queue_answered(q, q->held[i].cookie);
	q->nr_held--;
	memmove(&q->held[i], &q->held[i + 1],
		(q->nr_held - i) * sizeof(q->held[0]));
}

/*
 * The kernel answered what the queues of @s held from binding @dev_id
 * through nested IOASID @ioasid (any, for 0), by its requester ID
 * (@pasid 0) or by PASID @pasid (any PASID, for UINT32_MAX), as the
 * device left it.
 */
static void queues_forget(struct slot *s, uint32_t dev_id, uint32_t ioasid,
			  uint32_t pasid)
{
	struct held_model *h;
	unsigned int i, j;

	for (i = 0; i < s->nr_queues; i++) {
		for (j = 0; j < s->queues[i].nr_held;) {
			h = &s->queues[i].held[j];
			if (h->dev_id == dev_id && (!ioasid || h->ioasid == ioasid) &&
			    (pasid == UINT32_MAX ? h->pasid : h->pasid == pasid))
				queue_drop(&s->queues[i], j);
			else
				j++;
		}
	}
}

/* Closes the fd of @q: the kernel answers every group it holds. */
static void queue_close(struct queue_model *q)
{
	if (q->fd < 0)
		return;
	close(q->fd);
	q->fd = -1;
	while (q->nr_held)
		queue_drop(q, 0);
}

static struct dev_model *find_dev(struct slot *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < s->nr_devs; i++)
		if (s->devs[i].id == id)
			return &s->devs[i];
	return NULL;
}

/* The device whose binding has id @dev_id, or NULL. */
static struct dev_model *find_binding(struct slot *s, uint32_t dev_id)
{
	unsigned int i;

	for (i = 0; dev_id && i < s->nr_devs; i++)
		if (s->devs[i].dev_id == dev_id)
			return &s->devs[i];
	return NULL;
}

static struct acc_model *find_acc(struct slot *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < s->nr_accs; i++)
		if (s->accs[i].id == id)
			return &s->accs[i];
	return NULL;
}

/* Whether @d lends PASIDs only, its host driver keeping the device. */
static bool is_host_owned(const struct dev_model *d)
{
	return d->flags & IOASID_MOCK_HOST_OWNED;
}

static int find_pasid(const struct dev_model *d, uint32_t pasid)
{
	unsigned int i;

	for (i = 0; i < d->nr_pasids; i++)
		if (d->pasid[i] == pasid)
			return i;
	return -1;
}

/* The model of the context mediated device @m is bound to, or NULL. */
static struct slot *mdev_ctx(struct mdev_model *m)
{
	if (!m->bound)
		return NULL;
	return m->orphan ? &m->ctx : m->s;
}

/* Whether the model of @m's context is the whole truth. */
static bool mdev_exact(struct mdev_model *m)
{
	struct slot *ctx = mdev_ctx(m);

	return ctx && ctx->exact;
}

/* A mediated device bound to the fd of @s that is attached to @id. */
static bool mdev_attached(const struct slot *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < fz.mdma.nr; i++) {
		const struct mdev_model *m = &fz.mdma.mdevs[i];

		if (m->bound && !m->orphan && m->s == s && m->ioas &&
		    m->ioas == id)
			return true;
	}
	return false;
}

/*
 * Whether an emulated child attached to @ioasid of the fd of @s keeps a
 * page in [@first, @last], as far as the model knows.
 */
static bool mdev_pins_hit(const struct slot *s, uint32_t ioasid,
			  uint64_t first, uint64_t last)
{
	unsigned int i, j;

	for (i = 0; i < fz.mdma.nr; i++) {
		const struct mdev_model *m = &fz.mdma.mdevs[i];

		if (!m->bound || m->orphan || m->s != s || !m->ioas ||
		    m->ioas != ioasid)
			continue;
		for (j = 0; j < m->nr_pins; j++)
			if (m->pins[j] <= last && m->pins[j] + page - 1 >= first)
				return true;
	}
	return false;
}

/*
 * The fd of @s is being closed: the mediated devices bound to it keep its
 * context, as the model has it now.
 */
static void mdev_orphan(struct slot *s)
{
	unsigned int i;

	for (i = 0; i < fz.mdma.nr; i++) {
		struct mdev_model *m = &fz.mdma.mdevs[i];

		if (!m->bound || m->orphan || m->s != s)
			continue;
		m->ctx = *s;
		m->ctx.fd = -1;
		m->orphan = true;
		m->s = NULL;
	}
}

/* The model of the context the vhost-vdpa fd is bound to, if a slot's. */
static struct slot *vdpa_ctx(struct vdpa_model *vd)
{
	if (!vd->bound || vd->to_cont || vd->lost)
		return NULL;
	return vd->orphan ? &vd->ctx : vd->s;
}

/* Whether an address space of the vDPA device is on IOAS @id of @s. */
static bool vdpa_attached(const struct slot *s, uint32_t id)
{
	const struct vdpa_model *vd = &fz.vdpa;
	unsigned int i;

	if (!id || !vd->bound || vd->to_cont || vd->lost || vd->orphan ||
	    vd->s != s)
		return false;
	for (i = 0; i < VDPA_MAX_ASID; i++)
		if (vd->ioas[i] == id)
			return true;
	return false;
}

/*
 * The fd of @s is being closed: a vhost-vdpa fd bound to it keeps its
 * context, as the model has it now.
 */
static void vdpa_orphan(struct slot *s)
{
	struct vdpa_model *vd = &fz.vdpa;

	if (!vd->bound || vd->to_cont || vd->orphan || vd->s != s)
		return;
	vd->ctx = *s;
	vd->ctx.fd = -1;
	vd->orphan = true;
	vd->s = NULL;
}

/*
 * Container @cm leaves the model, its fd closed and no group in it: a
 * vhost-vdpa fd bound to its context keeps it, and its IOASID if any.
 */
static void vdpa_cont_gone(struct cont_model *cm)
{
	struct vdpa_model *vd = &fz.vdpa;

	if (!vd->to_cont || vd->cont != cm || cm->live)
		return;
	vd->joined = cm->joined;
	vd->cont = NULL;
}

/*
 * Whether a device, a PASID of one, an access, a mediated device or an
 * address space of the vDPA device is attached to IOAS @id.
 */
static bool ioas_attached(const struct slot *s, uint32_t id)
{
	unsigned int i, j;

	if (mdev_attached(s, id) || vdpa_attached(s, id))
		return true;
	for (i = 0; i < s->nr_accs; i++)
		if (s->accs[i].ioas == id)
			return true;
	for (i = 0; i < s->nr_devs; i++) {
		if (s->devs[i].ioas == id)
			return true;
		for (j = 0; j < s->devs[i].nr_pasids; j++)
			if (s->devs[i].pasid_ioas[j] == id)
				return true;
	}
	return false;
}

static void forget_dead(struct slot *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < s->nr_dead; i++)
		if (s->dead[i] == id)
			s->dead[i] = s->dead[--s->nr_dead];
}

static void add_ioas(struct slot *s, uint32_t id)
{
	forget_dead(s, id);
	if (s->nr_ioas < MAX_IOAS)
		s->ioas[s->nr_ioas++] = id;
	else
		s->exact = false;
}

/* A device's mock object @id and binding @dev_id, or NULL if too many. */
static struct dev_model *add_dev(struct slot *s, uint32_t id, uint32_t dev_id,
				 uint32_t pasid_bits, uint32_t flags)
{
	struct dev_model *d;

	forget_dead(s, id);
	forget_dead(s, dev_id);
	if (s->nr_devs == MAX_DEVS) {
		s->exact = false;
		return NULL;
	}
	d = &s->devs[s->nr_devs++];
	memset(d, 0, sizeof(*d));
	d->id = id;
	d->dev_id = dev_id;
	d->pasid_bits = pasid_bits;
	d->flags = flags;
	return d;
}

static struct nest_model *add_nest(struct slot *s, uint32_t id)
{
	struct nest_model *n;

	forget_dead(s, id);
	if (s->nr_nests == MAX_NESTS) {
		s->exact = false;
		return NULL;
	}
	n = &s->nests[s->nr_nests++];
	memset(n, 0, sizeof(*n));
	n->id = id;
	return n;
}

static void add_acc(struct slot *s, uint32_t id)
{
	struct acc_model *a;

	forget_dead(s, id);
	if (s->nr_accs == MAX_ACCS) {
		s->exact = false;
		return;
	}
	a = &s->accs[s->nr_accs++];
	memset(a, 0, sizeof(*a));
	a->id = id;
}

static void add_map(struct slot *s, const struct map_model *m)
{
	if (s->nr_maps == MAX_MAPS)
		s->exact = false;
	else
		s->maps[s->nr_maps++] = *m;
}

/* Whether mapping @m of @ioas intersects [first, last]. */
static bool map_hits(const struct map_model *m, uint32_t ioas, uint64_t first,
		     uint64_t last)
{
	return m->ioas == ioas && m->iova <= last &&
	       m->iova + m->len - 1 >= first;
}

static void drop_maps(struct slot *s, uint32_t ioas, uint64_t first,
		      uint64_t last)
{
	unsigned int i = 0;

	while (i < s->nr_maps) {
		if (map_hits(&s->maps[i], ioas, first, last))
			s->maps[i] = s->maps[--s->nr_maps];
		else
			i++;
	}
}

static void mark_dead(struct slot *s, uint32_t id)
{
	if (s->nr_dead < MAX_DEAD)
		s->dead[s->nr_dead++] = id;
	else
		s->dead[below(&fz, MAX_DEAD)] = id;
}

/* Object @id was destroyed, and whatever it held with it. */
static void forget_object(struct slot *s, uint32_t id)
{
	struct dev_model *d = find_dev(s, id);
	struct acc_model *a = find_acc(s, id);
	struct nest_model *n = find_nest(s, id);
	struct queue_model *q = find_queue(s, id);
	unsigned int i;

	if (d) {
		/* Its binding goes with it, and its requests. */
		queues_forget(s, d->dev_id, 0, 0);
		queues_forget(s, d->dev_id, 0, UINT32_MAX);
		mark_dead(s, d->dev_id);
		*d = s->devs[--s->nr_devs];
	} else if (q) {
		/* Its fd was closed, or DESTROY was to fail. */
		queue_close(q);
		*q = s->queues[--s->nr_queues];
	} else if (a) {
		*a = s->accs[--s->nr_accs];
	} else if (n) {
		*n = s->nests[--s->nr_nests];
	} else {
		for (i = 0; i < s->nr_ioas; i++)
			if (s->ioas[i] == id)
				s->ioas[i] = s->ioas[--s->nr_ioas];
		drop_maps(s, id, 0, UINT64_MAX);
	}
	mark_dead(s, id);
}

/* Whether no object of the kind wanted can be at @id. */
enum id_kind {
	ID_IOAS,
	ID_DEV,
	ID_ACC,
	ID_ANY,
};

static bool id_is_bad(struct slot *s, uint32_t id, enum id_kind want)
{
	if (!id || id >= ID_NEVER)
		return true;
	if (!s->exact)
		return false;
	if (want == ID_IOAS)
		return !has_ioas(s, id);
	if (want == ID_DEV)
		return !find_dev(s, id);
	if (want == ID_ACC)
		return !find_acc(s, id);
	return !has_ioas(s, id) && !find_dev(s, id) && !find_acc(s, id) &&
	       !find_nest(s, id) && !find_queue(s, id);
}

/* Whether @id is known to name an object or a device binding of @s. */
static bool id_in_use(struct slot *s, uint32_t id)
{
	return s->exact && (!id_is_bad(s, id, ID_ANY) || find_binding(s, id));
}

static uint32_t pick_id(struct fuzz *f, struct slot *s, enum id_kind want)
{
	unsigned int r = f->sane ? 0 : below(f, 100);

	if (want == ID_ANY)
		want = one_in(f, 5) ? ID_DEV : one_in(f, 5) ? ID_ACC : ID_IOAS;
	if (r < 65 && want == ID_IOAS && s->nr_ioas)
		return s->ioas[below(f, s->nr_ioas)];
	if (r < 65 && want == ID_DEV && s->nr_devs)
		return s->devs[below(f, s->nr_devs)].id;
	if (r < 65 && want == ID_ACC && s->nr_accs)
		return s->accs[below(f, s->nr_accs)].id;
	if (r < 72 && s->nr_ioas)
		return s->ioas[below(f, s->nr_ioas)];
	/* A nested IOASID's, which attaches, DESTROY and INVALIDATE take. */
	if (r < 73 && s->nr_nests)
		return s->nests[below(f, s->nr_nests)].id;
	if (r < 74 && s->nr_devs)
		return s->devs[below(f, s->nr_devs)].id;
	/* A binding's, which no object lookup finds. */
	if (r < 76 && s->nr_devs)
		return s->devs[below(f, s->nr_devs)].dev_id;
	if (r < 78 && s->nr_accs)
		return s->accs[below(f, s->nr_accs)].id;
	if (r < 84 && s->nr_dead)
		return s->dead[below(f, s->nr_dead)];
	if (r < 92)
		return 1 + below(f, 24);
	if (r < 95)
		return 0;
	if (r < 98)
		return ID_NEVER << below(f, 12);
	return (uint32_t)rnd(f) | 0x80000000U;
}

/*
 * An id for the calls of mediated devices and of the vDPA device, which
 * attach through the kAPI: never that of a nested IOASID, which the model
 * of their DMA does not follow.
 */
static uint32_t pick_plain_id(struct fuzz *f, struct slot *s)
{
	uint32_t id = pick_id(f, s, ID_IOAS);

	return find_nest(s, id) ? ID_NEVER : id;
}

static struct map_model *pick_map(struct fuzz *f, struct slot *s)
{
	return s->nr_maps ? &s->maps[below(f, s->nr_maps)] : NULL;
}

static struct dev_model *pick_dev_model(struct fuzz *f, struct slot *s)
{
	return s->nr_devs ? &s->devs[below(f, s->nr_devs)] : NULL;
}

/* A mapping of IOAS @ioas, or NULL. */
static struct map_model *pick_map_of(struct fuzz *f, struct slot *s,
				     uint32_t ioas)
{
	unsigned int i, first = below(f, MAX_MAPS);

	for (i = 0; i < s->nr_maps; i++) {
		struct map_model *m = &s->maps[(first + i) % s->nr_maps];

		if (m->ioas == ioas)
			return m;
	}
	return NULL;
}

/*
 * A device whose requester ID, or one of whose PASIDs (then in @pasid),
 * is attached, and a mapping of that IOAS; else any device and mapping.
 */
static struct dev_model *pick_dma_target(struct fuzz *f, struct slot *s,
					 uint32_t *pasid,
					 struct map_model **m)
{
	unsigned int i, first = below(f, MAX_DEVS);
	struct dev_model *d;

	*pasid = 0;
	*m = pick_map(f, s);
	for (i = 0; i < s->nr_devs; i++) {
		d = &s->devs[(first + i) % s->nr_devs];
		if (d->nr_pasids && one_in(f, 3)) {
			unsigned int j = below(f, d->nr_pasids);

			*pasid = d->pasid[j];
			*m = pick_map_of(f, s, d->pasid_ioas[j]) ?: *m;
			return d;
		}
		if (d->ioas) {
			*m = pick_map_of(f, s, d->ioas) ?: *m;
			return d;
		}
	}
	return pick_dev_model(f, s);
}

/* Memory */

enum mem {
	MEM_UNKNOWN,
	MEM_RW,
	MEM_RO,
	MEM_BAD,	/* some of it is certainly not there */
};

static enum mem buf_class(const struct buf *b, uint64_t va, uint64_t len)
{
	uint64_t start = (uintptr_t)b->addr;

	if (va >= start + b->len && va < start + b->len + page)
		return MEM_BAD;
	if (va < start || va >= start + b->len)
		return MEM_UNKNOWN;
	if (len > start + b->len - va)
		return MEM_BAD;		/* runs into the guard page */
	return b->writable ? MEM_RW : MEM_RO;
}

/* What the caller's memory at [va, va + len) is, as far as is certain. */
static enum mem mem_class(struct fuzz *f, uint64_t va, uint64_t len)
{
	uint64_t guard = (uintptr_t)f->guard;
	enum mem m;
	int i;

	if (va < 0x10000 || va >= 0xff80000000000000ULL || va == 1ULL << 63)
		return MEM_BAD;
	if (va >= guard && va < guard + page)
		return MEM_BAD;
	for (i = 0; i < NR_BUFS; i++) {
		if (!f->bufs[i].addr || i == f->race_buf)
			continue;
		m = buf_class(&f->bufs[i], va, len);
		if (m != MEM_UNKNOWN)
			return m;
	}
	return MEM_UNKNOWN;
}

static uint64_t bad_pointer(struct fuzz *f)
{
	switch (below(f, 6)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)f->guard + below(f, page);
	case 2:
		return -(page * (1 + below(f, 64)));	/* the kernel's half */
	case 3:
		return 1ULL << 63;			/* not canonical */
	case 4:
		return page * (1 + below(f, 15));	/* below mmap_min_addr */
	default:
		return (uintptr_t)f->guard;
	}
}

static struct buf *pick_live_buf(struct fuzz *f)
{
	unsigned int i, first = below(f, NR_BUFS);

	for (i = 0; i < NR_BUFS; i++) {
		struct buf *b = &f->bufs[(first + i) % NR_BUFS];

		if (b->addr)
			return b;
	}
	return NULL;
}

/* A pointer into memory that was freed, which anything may reuse. */
static uint64_t stale_pointer(struct fuzz *f)
{
	unsigned int i, first = below(f, NR_BUFS);

	for (i = 0; i < NR_BUFS; i++) {
		struct buf *b = &f->bufs[(first + i) % NR_BUFS];

		if (b->stale)
			return (uintptr_t)b->stale;
	}
	return bad_pointer(f);
}

/* Mostly whole pages that fit in @max bytes, which is at least a page. */
static uint64_t pick_len(struct fuzz *f, uint64_t max)
{
	switch (f->sane ? 20 : below(f, 20)) {
	case 0:
		return 0;
	case 1:
		return page * below(f, 4) + 1 + below(f, page - 1);
	case 2:
		return SZ_2M;
	case 3:
		return -page;
	case 4:
		return 1ULL << (30 + below(f, 34));
	default:
		return page * (1 + below(f, max / page));
	}
}

/* A user range for IOASID_MAP: in a buffer, past its end, or nowhere. */
static void pick_user_range(struct fuzz *f, __u64 *va, __u64 *len)
{
	struct buf *b = pick_live_buf(f);
	uint64_t off;

	if (f->race_buf >= 0 && one_in(f, 2))
		b = &f->bufs[f->race_buf];
	if (!b || (!f->sane && one_in(f, 12))) {
		*va = one_in(f, 2) ? stale_pointer(f) : bad_pointer(f);
		*len = pick_len(f, 16 * page);
		return;
	}
	off = page * below(f, b->len / page);
	*len = pick_len(f, b->len - off);
	if (b->kind == BUF_THP && one_in(f, 2)) {
		/* Whole huge pages, for the IOMMU's 2M pages. */
		off = SZ_2M * below(f, 2);
		*len = b->len - off;
	}
	if (!f->sane && one_in(f, 12))
		*len += page * (1 + below(f, 4));
	if (!f->sane && one_in(f, 20))
		off += 1 + below(f, page - 1);
	*va = (uintptr_t)b->addr + off;
}

/* An IOVA near a mapping, an aperture edge, the bottom or the top. */
static uint64_t pick_iova(struct fuzz *f, struct slot *s, uint64_t len)
{
	struct map_model *m = pick_map(f, s);
	uint64_t iova, r = below(f, 10);

	/* Where the mock devices reach, mostly free, 2M aligned. */
	if (f->sane)
		return m && one_in(f, 2) ? m->iova + m->len + SZ_2M :
		       IOASID_MOCK_APERTURE_START + SZ_2M * below(f, 4096);
	if (r < 3 && m)
		iova = m->iova + page * below(f, m->len / page + 1) -
		       (one_in(f, 4) ? page : 0);
	else if (r < 4)
		iova = page * below(f, 64);
	else if (r < 5)
		iova = IOASID_MOCK_APERTURE_START + page * below(f, 1024);
	else if (r < 6)
		iova = IOASID_MOCK_APERTURE_LAST + 1 - (len & ~(page - 1));
	else if (r < 7)
		iova = -(page * (1 + below(f, 16)));
	else if (r < 8)
		iova = SZ_2M * below(f, 1 << 19);
	else if (r < 9)
		iova = rnd(f);
	else
		iova = page * below(f, 1 << 28);
	if (one_in(f, 20))
		iova += 1 + below(f, page - 1);
	return iova;
}

static uint32_t map_flags(struct fuzz *f)
{
	static const uint32_t perms[] = {
		MAP_RW, MAP_RW, IOASID_MAP_READ, IOASID_MAP_WRITE, 0,
	};
	uint32_t flags = perms[below(f, ARRAY_SIZE(perms) - f->sane)];

	if (one_in(f, 2))
		flags |= IOASID_MAP_FIXED_IOVA;
	if (!f->sane && one_in(f, 16))
		flags |= 1U << (3 + below(f, 29));
	return flags;
}

static uint64_t pick_alignment(struct fuzz *f, bool fixed)
{
	if (fixed ? f->sane || !one_in(f, 10) : !one_in(f, 3))
		return 0;
	switch (below(f, f->sane ? 2 : 6)) {
	case 0:
		return page;
	case 1:
		return SZ_2M;
	case 2:
		return 1ULL << below(f, 64);
	case 3:
		return 3 * page;
	default:
		return rnd(f);
	}
}

/*
 * The rules IOASID_MAP and IOASID_COPY share, on the flags, the length
 * and the IOVA or the alignment to choose one with.
 */
static void placement_rules(uint32_t flags, uint64_t len, uint64_t iova,
			    uint64_t alignment, struct verdict *v)
{
	bool fixed = flags & IOASID_MAP_FIXED_IOVA;

	if (flags & ~(MAP_RW | IOASID_MAP_FIXED_IOVA))
		must_fail(v, "an unknown map flag is set");
	if (!(flags & MAP_RW))
		must_fail(v, "neither READ nor WRITE is set");
	if (!len || !aligned(len))
		must_fail(v, "the length is 0 or not aligned");
	if (fixed && (!aligned(iova) || alignment))
		must_fail(v, "the fixed IOVA is unaligned or has an alignment");
	if (fixed && len && wraps(iova, len))
		must_fail(v, "the IOVA range wraps");
	if (!fixed && alignment && !is_pow2(alignment))
		must_fail(v, "the alignment is not a power of two");
}

/* Whether a recorded mapping of @ioas intersects [iova, iova + len). */
static bool model_overlaps(const struct slot *s, uint32_t ioas, uint64_t iova,
			   uint64_t len)
{
	unsigned int i;

	for (i = 0; i < s->nr_maps; i++)
		if (map_hits(&s->maps[i], ioas, iova, iova + len - 1))
			return true;
	return false;
}

/* GET_INFO */

static void gen_get_info(struct call *c)
{
	struct fuzz *f = c->f;

	c->in.info.flags = junk32(f, 12);
	c->in.info.__reserved = junk32(f, 12);
	if (one_in(f, 8))
		c->in.info.ioctls = rnd(f);
}

static void rules_get_info(struct call *c)
{
	struct verdict *v = &c->v;

	if (c->in.info.flags || c->in.info.__reserved)
		must_fail(v, "flags or __reserved is not zero");
	else
		must_succeed(v, "a well-formed GET_INFO");
}

static void done_get_info(struct call *c)
{
	struct fuzz *f = c->f;
	const uint64_t ours = (1ULL << (LAST_CMD + 1)) - 1;

	if (c->out.info.api_version != IOASID_API_VERSION ||
	    (c->out.info.ioctls & ours) != ours || c->out.info.features)
		fail_msg(f, "GET_INFO: version %u, ioctls %llx, features %llx",
			 c->out.info.api_version, ULL(c->out.info.ioctls),
			 ULL(c->out.info.features));
}

/* DESTROY */

static void gen_destroy(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;

	c->in.destroy.id = pick_id(f, s, ID_ANY);
	if (s->nr_queues && one_in(f, 6))
		c->in.destroy.id = s->queues[below(f, s->nr_queues)].id;
}

static void rules_destroy(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	uint32_t id = c->in.destroy.id;
	struct queue_model *q = find_queue(s, id);

	if (id_is_bad(s, id, ID_ANY))
		must_fail(v, "the id names no object");
	/* Whoever else uses the fd, the queue's fd here holds the queue. */
	else if (q && q->fd >= 0)
		must_fail_with(v, "the fault queue's fd is open", EBUSY, 0);
	else if (s->exact && q && has_nest_naming(s, id))
		must_fail_with(v, "a nested IOASID names the fault queue",
			       EBUSY, 0);
	else if (s->exact && (has_ioas(s, id) || find_nest(s, id)) &&
		 ioas_attached(s, id))
		must_fail_with(v, "a device is attached to the IOASID", EBUSY,
			       0);
	else if (s->exact && has_nest_on(s, id))
		must_fail_with(v, "a nested IOASID is on the IOASID", EBUSY, 0);
	else if (s->exact)
		must_succeed(v, "the object is idle");
}

static void done_destroy(struct call *c)
{
	forget_object(c->s, c->in.destroy.id);
}

/* ALLOC */

/* Nested IOASIDs: "Nested IOASIDs" below. */
static void gen_alloc_nested(struct call *c);
static void rules_alloc_nested(struct call *c);
static void done_alloc_nested(struct call *c);

/*
 * A fault queue's id for a nested ALLOC: mostly one of the fd's, its fd
 * open or closed; else an IOASID's, a dead or unknown id, or 0.
 */
static uint32_t pick_queue_id(struct fuzz *f, struct slot *s)
{
	if (s->nr_queues && (f->sane || !one_in(f, 4)))
		return s->queues[below(f, s->nr_queues)].id;
	return pick_id(f, s, ID_IOAS);
}

static void gen_alloc(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct ioasid_alloc *a = &c->in.alloc;

	a->flags = junk32(f, 12);
	if (one_in(f, 3))
		a->flags |= IOASID_ALLOC_NESTED;
	a->__reserved = junk32(f, 12);
	a->__reserved2 = junk32(f, 24);
	if (one_in(f, 8))
		a->out_ioasid = rnd(f);
	if (a->flags & IOASID_ALLOC_NESTED) {
		gen_alloc_nested(c);
		return;
	}
	/* The fields of nesting, which a plain IOASID must leave zero. */
	if (!f->sane && one_in(f, 16)) {
		a->parent = pick_id(f, s, ID_IOAS);
		a->dev_id = junk32(f, 2);
		a->format = junk32(f, 2);
		a->data_len = junk32(f, 2);
		a->data = one_in(f, 2) ? 0 : (uintptr_t)f->s1_area;
	}
	/* Page requests, which only a nested IOASID takes. */
	if (!f->sane && one_in(f, 16))
		a->flags |= IOASID_ALLOC_FAULT_QUEUE;
	if (!f->sane && one_in(f, 16))
		a->fault_queue = pick_queue_id(f, s);
	/* Enough of them: the kernel's memory stays bounded. */
	if (s->nr_ioas >= MAX_IOAS && !a->flags)
		a->flags = 1U << (1 + below(f, 31));
}

static void rules_alloc(struct call *c)
{
	struct verdict *v = &c->v;
	const struct ioasid_alloc *a = &c->in.alloc;

	if (a->flags & ~(IOASID_ALLOC_NESTED | IOASID_ALLOC_FAULT_QUEUE) ||
	    a->__reserved || a->__reserved2)
		must_fail_with(v, "an unknown flag or a reserved field is set",
			       EOPNOTSUPP, 0);
	else if (a->flags & IOASID_ALLOC_NESTED)
		rules_alloc_nested(c);
	else if (a->flags & IOASID_ALLOC_FAULT_QUEUE)
		must_fail_with(v, "a plain IOASID takes no page requests",
			       EOPNOTSUPP, 0);
	else if (a->parent || a->dev_id || a->format || a->data_len ||
		 a->data || a->fault_queue)
		must_fail_with(v, "a field of nesting is set without the flag",
			       EINVAL, 0);
	else
		must_succeed(v, "a well-formed ALLOC");
}

static void done_alloc(struct call *c)
{
	struct fuzz *f = c->f;
	uint32_t id = c->out.alloc.out_ioasid;

	if (!id || id_in_use(c->s, id))
		fail_msg(f, "ALLOC returned id %u, which is 0 or in use", id);
	if (c->in.alloc.flags & IOASID_ALLOC_NESTED)
		done_alloc_nested(c);
	else
		add_ioas(c->s, id);
}

/* IOVA_RANGES */

static uint64_t ranges_ptr(struct fuzz *f, uint32_t n)
{
	uintptr_t end = (uintptr_t)(f->ranges + NR_RANGES);

	switch (f->sane ? 20 : below(f, 20)) {
	case 0:
		return bad_pointer(f);
	case 1:
		/* The last @k entries fit before the guard page. */
		return end - sizeof(*f->ranges) * (1 + below(f, n ?: 1));
	default:
		return (uintptr_t)f->ranges;
	}
}

static void gen_iova_ranges(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	static const uint32_t caps[] = {
		0, 1, 2, 3, 8, 64, NR_RANGES, UINT32_MAX,
	};

	c->in.ranges.flags = junk32(f, 16);
	c->in.ranges.ioasid = pick_id(f, s, ID_IOAS);
	c->in.ranges.num_ranges = f->sane ? NR_RANGES :
				  caps[below(f, ARRAY_SIZE(caps))];
	c->in.ranges.ranges = ranges_ptr(f, 4);
	if (!f->sane && one_in(f, 8))
		c->in.ranges.out_iova_alignment = rnd(f);
}

static void rules_iova_ranges(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;

	if (c->in.ranges.flags)
		must_fail(v, "flags is not zero");
	if (id_is_bad(s, c->in.ranges.ioasid, ID_IOAS))
		must_fail(v, "the id names no IOASID");
}

/* The usable ranges must come in ascending order and not touch. */
static void check_reported_ranges(struct fuzz *f, const struct call *c)
{
	const struct ioasid_iova_range *r = f->ranges;
	uint32_t i, n = c->out.ranges.num_ranges;

	for (i = 0; i < n; i++) {
		if (r[i].start > r[i].last ||
		    (i && r[i].start <= r[i - 1].last + 1)) {
			fail_msg(f, "IOVA_RANGES: range %u [%llx, %llx] is out of order",
				 i, ULL(r[i].start), ULL(r[i].last));
			return;
		}
		if (!aligned(r[i].start) || !aligned(r[i].last + 1))
			count(&f->stats->unaligned_ranges);
	}
}

static void done_iova_ranges(struct call *c)
{
	struct fuzz *f = c->f;
	uint32_t cap = c->in.ranges.num_ranges, n = c->out.ranges.num_ranges;

	if (c->err == EMSGSIZE && n <= cap)
		fail_msg(f, "IOVA_RANGES: EMSGSIZE with %u ranges for %u",
			 n, cap);
	if (c->err)
		return;
	if (n > cap || c->out.ranges.out_iova_alignment != page)
		fail_msg(f, "IOVA_RANGES: %u ranges for %u, alignment %llx",
			 n, cap, ULL(c->out.ranges.out_iova_alignment));
	else if (c->in.ranges.ranges == (uintptr_t)f->ranges)
		check_reported_ranges(f, c);
}

/* SET_ALLOWED_RANGES */

static void gen_range(struct fuzz *f, struct slot *s,
		      struct ioasid_iova_range *r)
{
	struct map_model *m = pick_map(f, s);
	uint64_t start = page * below(f, 1 << 28);

	if (one_in(f, 2))
		start = SZ_2M * below(f, 1 << 19);
	r->start = start;
	r->last = start + page * (1 + below(f, 1 << 16)) - 1;
	switch (below(f, 14)) {
	case 0:
		r->start = 0;
		r->last = UINT64_MAX;
		break;
	case 1:
		r->last = start - page;		/* ends before it starts */
		break;
	case 2:
		r->start += 1 + below(f, page - 1);
		break;
	case 3:
		r->last += 1 + below(f, page - 1);
		break;
	case 4:
		r->start = -(page * (1 + below(f, 16)));
		r->last = UINT64_MAX;
		break;
	case 5:
	case 6:
		if (m) {
			r->start = m->iova;
			r->last = m->iova + m->len - 1;
		}
		break;
	}
}

static uint32_t pick_nr_ranges(struct fuzz *f)
{
	switch (f->sane ? 20 : below(f, 20)) {
	case 0:
		return 0;
	case 1:
		return MAX_RANGES;
	case 2:
		return MAX_RANGES + 1;
	case 3:
		return UINT32_MAX;
	case 4:
	case 5:
	case 6:
	case 7:
		return 2 + below(f, 7);
	default:
		return 1;
	}
}

static void gen_set_allowed(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	uint32_t n = pick_nr_ranges(f), i;

	c->in.allow.flags = junk32(f, 16);
	c->in.allow.ioasid = pick_id(f, s, ID_IOAS);
	c->in.allow.num_ranges = n;
	for (i = 0; i < n && i <= MAX_RANGES; i++)
		gen_range(f, s, &f->ranges[i]);
	/* Mostly let the IOASID have every IOVA back. */
	if (n == 1 && (f->sane || one_in(f, 2))) {
		f->ranges[0].start = 0;
		f->ranges[0].last = UINT64_MAX;
	}
	c->in.allow.ranges = ranges_ptr(f, n);
}

static void rules_ranges_content(struct call *c)
{
	const struct ioasid_iova_range *r = c->f->ranges;
	uint32_t i;

	for (i = 0; i < c->in.allow.num_ranges; i++) {
		if (r[i].start > r[i].last || !aligned(r[i].start) ||
		    !aligned(r[i].last + 1)) {
			must_fail(&c->v, "a range is inverted or not aligned");
			return;
		}
	}
}

static void rules_set_allowed(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	uint64_t ptr = c->in.allow.ranges, n = c->in.allow.num_ranges;
	uint64_t start = (uintptr_t)f->ranges;
	uint64_t end = (uintptr_t)(f->ranges + NR_RANGES);

	if (c->in.allow.flags)
		must_fail(v, "flags is not zero");
	if (n > MAX_RANGES)
		must_fail(v, "more ranges than the kernel takes");
	if (id_is_bad(s, c->in.allow.ioasid, ID_IOAS))
		must_fail(v, "the id names no IOASID");
	if (!n || n > MAX_RANGES)
		return;
	if (ptr == start)
		rules_ranges_content(c);
	else if (ptr < start || ptr >= end || n * sizeof(*f->ranges) >
		 end - ptr)
		must_fail(v, "the ranges are not all in user memory");
}

/* MAP */

static void gen_map(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct ioasid_map *m = &c->in.map;
	bool fixed;

	m->flags = map_flags(f);
	fixed = m->flags & IOASID_MAP_FIXED_IOVA;
	m->ioasid = pick_id(f, s, ID_IOAS);
	m->__reserved = junk32(f, 30);
	pick_user_range(f, &m->user_va, &m->length);
	if (f->sane && mem_class(f, m->user_va, m->length) != MEM_RW)
		m->flags = (m->flags & IOASID_MAP_FIXED_IOVA) | IOASID_MAP_READ;
	m->iova = fixed || one_in(f, 8) ? pick_iova(f, s, m->length) : 0;
	m->alignment = pick_alignment(f, fixed);
	/* Enough of them: the kernel's memory stays bounded. */
	if (s->nr_maps >= MAX_MAPS)
		m->length = 0;
}

static void rules_map(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	const struct ioasid_map *m = &c->in.map;
	enum mem mem = mem_class(f, m->user_va, m->length);

	if (m->__reserved)
		must_fail(v, "__reserved is not zero");
	placement_rules(m->flags, m->length, m->iova, m->alignment, v);
	if (!aligned(m->user_va))
		must_fail(v, "user_va is not aligned");
	if (m->length && wraps(m->user_va, m->length))
		must_fail(v, "the user range wraps");
	if (m->length && mem == MEM_BAD)
		must_fail(v, "the user range is not all mapped");
	if (mem == MEM_RO && (m->flags & IOASID_MAP_WRITE))
		must_fail(v, "WRITE of read-only memory");
	if (id_is_bad(s, m->ioasid, ID_IOAS))
		must_fail(v, "the id names no IOASID");
	if (s->exact && (m->flags & IOASID_MAP_FIXED_IOVA) && m->length &&
	    !wraps(m->iova, m->length) &&
	    model_overlaps(s, m->ioasid, m->iova, m->length))
		must_fail(v, "the fixed IOVA range overlaps a mapping");
}

/* Where a new mapping landed, and that it is where it was asked to be. */
static void check_new_mapping(struct fuzz *f, struct call *c, uint32_t flags,
			      uint64_t in_iova, uint64_t out_iova,
			      uint64_t alignment)
{
	uint64_t align = alignment > page ? alignment : page;

	if (flags & IOASID_MAP_FIXED_IOVA ? out_iova != in_iova :
	    out_iova & (align - 1))
		fail_msg(f, "%s: mapped at %llx, asked %llx, alignment %llx",
			 c->kind == K_MAP ? "MAP" : "COPY", ULL(out_iova),
			 ULL(in_iova), ULL(alignment));
}

/* The buffer @va lies in, unless a thread is taking it away. */
static struct buf *buf_at(struct fuzz *f, uint64_t va)
{
	unsigned int i;

	for (i = 0; i < NR_BUFS; i++) {
		struct buf *b = &f->bufs[i];

		if (b->addr && (int)i != f->race_buf &&
		    va >= (uintptr_t)b->addr && va - (uintptr_t)b->addr < b->len)
			return b;
	}
	return NULL;
}

static void done_map(struct call *c)
{
	const struct ioasid_map *in = &c->in.map;
	struct buf *b = buf_at(c->f, in->user_va);
	struct map_model m = {
		.ioas = in->ioasid,
		.flags = in->flags & MAP_RW,
		.writable = in->flags & IOASID_MAP_WRITE,
		.iova = c->out.map.iova,
		.len = in->length,
		.uva = in->user_va,
		.gen = b ? b->gen : 0,
	};

	check_new_mapping(c->f, c, in->flags, in->iova, m.iova,
			  in->alignment);
	add_map(c->s, &m);
}

/* UNMAP */

static void gen_unmap_fields(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct ioasid_unmap *u = &c->in.unmap;
	struct map_model *m = pick_map(f, s);

	u->flags = one_in(f, 5) ? IOASID_UNMAP_ALL : 0;
	if (!f->sane && one_in(f, 16))
		u->flags |= 1U << (1 + below(f, 31));
	u->ioasid = m && !one_in(f, 4) ? m->ioas : pick_id(f, s, ID_IOAS);
	u->__reserved = junk32(f, 30);
	if ((u->flags & IOASID_UNMAP_ALL) && (f->sane || !one_in(f, 8)))
		return;
	if (m && (f->sane || !one_in(f, 4))) {
		u->iova = m->iova;
		u->length = m->len;
		if (f->sane)
			return;
		if (one_in(f, 3))
			u->iova -= page * below(f, 4);
		if (one_in(f, 3))
			u->length += page * below(f, 1024);
		else if (one_in(f, 4))
			u->length -= page;
	} else {
		u->length = pick_len(f, 1024 * page);
		u->iova = pick_iova(f, s, u->length);
	}
}

/* The bytes of a dirty bitmap of @length at @ps, in whole words. */
static uint64_t bitmap_bytes(uint64_t length, uint64_t ps)
{
	return (length / ps + 63) / 64 * sizeof(uint64_t);
}

/*
 * A dirty page size that @iova and @length are multiples of, if they are
 * of the page size, and whose bitmap fits in f->bitmap if it can.
 */
static uint64_t dirty_page_size(struct fuzz *f, uint64_t iova,
				uint64_t length)
{
	unsigned int shift = __builtin_ctzll(page), most = 63;
	uint64_t ps;

	if (iova | length)
		most = __builtin_ctzll(iova | length);
	if (most < shift)
		return page;
	most = most < shift + 9 ? most - shift : 9;
	ps = page << below(f, most + 1);
	while (bitmap_bytes(length, ps) + sizeof(uint64_t) > BITMAP_LEN &&
	       ps < page << most)
		ps <<= 1;
	return ps;
}

/*
 * Where an UNMAP_DIRTY's bitmap of @bytes lies: within f->bitmap, or
 * (MEM_BAD) into or in the page after it, or at NULL.
 */
static enum mem bitmap_class(struct fuzz *f, uint64_t uptr, uint64_t bytes)
{
	uint64_t start = (uintptr_t)f->bitmap, end = start + BITMAP_LEN;

	if (!uptr || (uptr >= end && uptr < end + page))
		return MEM_BAD;
	if (uptr < start || uptr >= end)
		return MEM_UNKNOWN;
	return bytes > end - uptr ? MEM_BAD : MEM_RW;
}

/*
 * A bitmap that the kernel must refuse: too short for the range, at the
 * end of f->bitmap before a page it cannot write; read-only; unaligned;
 * or NULL.  Else a valid one, with a canary word after it.  The rest of
 * f->bitmap is zero: a call that fails must leave it so.
 */
static uint64_t place_bitmap(struct fuzz *f, uint64_t bytes)
{
	uint8_t *end = f->bitmap + BITMAP_LEN;
	uint64_t room = BITMAP_LEN - sizeof(uint64_t), words = bytes / 8;
	unsigned int r = below(f, 20);
	uint8_t *at = f->bitmap;

	memset(f->bitmap, 0, BITMAP_LEN);
	mprotect(end, page, r == 1 || r == 2 ? PROT_READ : PROT_NONE);
	switch (r) {
	case 0:
	case 1:
		/* Its last words, at least one, in the page after. */
		words = words < BITMAP_LEN / 8 ? words : BITMAP_LEN / 8;
		return (uintptr_t)(end - 8 * below(f, words ?: 1));
	case 2:
		return (uintptr_t)(end + 8 * below(f, page / 8));
	case 3:
		return (uintptr_t)(at + 1 + below(f, 7));
	case 4:
		return 0;
	}
	/* Too long for f->bitmap: it runs into the page after. */
	if (bytes > room)
		return (uintptr_t)(end - 8);
	at += 8 * below(f, (room - bytes) / 8 + 1);
	*(uint64_t *)(at + bytes) = BITMAP_CANARY;
	return (uintptr_t)at;
}

/*
 * Reads the dirty pages of the range first, into a bitmap.  Few OPTION
 * calls turn tracking on and stay before the IOASID goes: half the time,
 * it is turned on first, when the IOASID's devices allow.
 */
static void gen_unmap_dirty(struct call *c)
{
	struct ioasid_unmap *u = &c->in.unmap;
	uint64_t ps = dirty_page_size(c->f, u->iova, u->length);
	struct ioasid_option o = {
		.op = IOASID_OPTION_SET,
		.option = IOASID_OPTION_DIRTY_TRACKING,
		.object_id = u->ioasid,
		.value = 1,
	};

	if (one_in(c->f, 2))
		do_option(c->s->fd, &o);
	u->flags |= IOASID_UNMAP_DIRTY;
	u->dirty_page_size = ps;
	u->dirty_bitmap = place_bitmap(c->f, bitmap_bytes(u->length, ps));
}

static void gen_unmap(struct call *c)
{
	gen_unmap_fields(c);
	if (one_in(c->f, 12))
		gen_unmap_dirty(c);
}

/*
 * What the model says an unmap of [first, last] does: -ERANGE when a
 * mapping reaches outside, else the bytes it removes.
 */
static int64_t model_unmap(const struct slot *s, uint32_t ioas,
			   uint64_t first, uint64_t last)
{
	const struct map_model *m;
	int64_t bytes = 0;
	unsigned int i;

	for (i = 0; i < s->nr_maps; i++) {
		m = &s->maps[i];
		if (!map_hits(m, ioas, first, last))
			continue;
		if (m->iova < first || m->iova + m->len - 1 > last)
			return -ERANGE;
		bytes += m->len;
	}
	return bytes;
}

/*
 * @untracked: an UNMAP_DIRTY of an IOASID that does not track, refused
 * once the range is found to hold whole mappings, before ENOENT.
 */
static void predict_unmap(struct slot *s, const struct ioasid_unmap *u,
			  bool untracked, struct verdict *v)
{
	bool all = u->flags & IOASID_UNMAP_ALL;
	int64_t bytes;

	if (all)
		bytes = model_unmap(s, u->ioasid, 0, UINT64_MAX);
	else
		bytes = model_unmap(s, u->ioasid, u->iova,
				    u->iova + u->length - 1);
	if (bytes == -ERANGE) {
		must_fail_with(v, "a mapping reaches outside the range",
			       ERANGE, 0);
	} else if (untracked) {
		must_fail_with(v, "UNMAP_DIRTY of an IOASID that does not track",
			       EINVAL, 0);
	} else if (!bytes && !all) {
		must_fail_with(v, "nothing is mapped in the range", ENOENT, 0);
	} else {
		must_succeed(v, "the range holds whole mappings");
		v->has_out = true;
		v->out = bytes;
	}
}

/* Whether IOASID @id tracks dirty pages: 1 or 0; -1 when unknown. */
static int tracking_of(struct slot *s, uint32_t id)
{
	struct ioasid_option o = {
		.op = IOASID_OPTION_GET,
		.option = IOASID_OPTION_DIRTY_TRACKING,
		.object_id = id,
	};

	if (do_option(s->fd, &o) || o.value > 1)
		return -1;
	return o.value;
}

/* Whether UNMAP_DIRTY's page size and bitmap keep the rules. */
static bool dirty_fields_ok(const struct ioasid_unmap *u)
{
	uint64_t ps = u->dirty_page_size;

	return is_pow2(ps) && ps >= page && !(u->iova % ps) &&
	       !(u->length % ps) && !(u->dirty_bitmap % sizeof(uint64_t));
}

/*
 * UNMAP_DIRTY checks its page size and bitmap, then faults the bitmap in,
 * after the range's own checks; what they alone decide, when no rule
 * before them is broken.
 */
static void rules_unmap_dirty(struct call *c)
{
	const struct ioasid_unmap *u = &c->in.unmap;
	/* A child may have destroyed the IOASID, which is looked up first. */
	int gone = c->s->exact ? 0 : ENOENT;
	struct verdict *v = &c->v;

	if (v->must_fail)
		return;
	if (u->flags & IOASID_UNMAP_ALL)
		must_fail_with(v, "UNMAP_ALL comes with UNMAP_DIRTY", EINVAL,
			       gone);
	else if (!dirty_fields_ok(u))
		must_fail_with(v, "the dirty page size or bitmap breaks the rules",
			       EINVAL, gone);
	else if (bitmap_class(c->f, u->dirty_bitmap,
			      bitmap_bytes(u->length, u->dirty_page_size)) ==
		 MEM_BAD)
		must_fail_with(v, "the dirty bitmap cannot be written", EFAULT,
			       gone);
}

/*
 * With UNMAP_DIRTY, the model knows what follows only with a bitmap it
 * placed, and the IOASID's tracking read just before.
 */
static void predict_unmap_dirty(struct call *c)
{
	const struct ioasid_unmap *u = &c->in.unmap;
	int on;

	if (bitmap_class(c->f, u->dirty_bitmap,
			 bitmap_bytes(u->length, u->dirty_page_size)) != MEM_RW)
		return;
	on = tracking_of(c->s, u->ioasid);
	if (on >= 0)
		predict_unmap(c->s, u, !on, &c->v);
}

static void rules_unmap(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	const struct ioasid_unmap *u = &c->in.unmap;
	bool all = u->flags & IOASID_UNMAP_ALL;

	if ((u->flags & ~(IOASID_UNMAP_ALL | IOASID_UNMAP_DIRTY)) ||
	    u->__reserved)
		must_fail(v, "an unknown flag or __reserved is set");
	if (all && (u->iova || u->length))
		must_fail(v, "UNMAP_ALL comes with a range");
	if (!all && (!u->length || !aligned(u->length) || !aligned(u->iova)))
		must_fail(v, "the range is empty or not aligned");
	if (!all && u->length && wraps(u->iova, u->length))
		must_fail(v, "the range wraps");
	if (id_is_bad(s, u->ioasid, ID_IOAS))
		must_fail(v, "the id names no IOASID");
	if (u->flags & IOASID_UNMAP_DIRTY)
		rules_unmap_dirty(c);
	if (v->must_fail || !s->exact)
		return;
	if (u->flags & IOASID_UNMAP_DIRTY)
		predict_unmap_dirty(c);
	else
		predict_unmap(s, u, false, v);
}

/*
 * The vDPA device's mirror of IOAS @ioas pinned a page the fuzzer mapped
 * and unmapped behind the model's back, which called back the emulated
 * devices there that hold pins: their books count one call more.
 */
static void vdpa_resync_books(struct slot *s, uint32_t ioas)
{
	struct ioasid_test t;
	unsigned int i;

	for (i = 0; i < s->nr_accs; i++) {
		struct acc_model *a = &s->accs[i];

		if (a->ioas != ioas || a->lost || !a->nr_pins)
			continue;
		if (access_config(s->fd, a->id, 0, &t))
			a->lost = true;
		else
			a->calls = t.access.out_unmap_calls;
	}
}

/*
 * A fixed map of a page at the IOVA of mapping @m, which must collide
 * with it while the kernel has it: 0 when it did not, undone at once.
 */
static int probe_mapping(struct fuzz *f, struct slot *s,
			 const struct map_model *m)
{
	int ret = map_fixed(s->fd, m->ioas, f->scratch, page, m->iova);

	if (!ret) {
		unmap_range(s->fd, m->ioas, m->iova, page, NULL);
		if (vdpa_attached(s, m->ioas))
			vdpa_resync_books(s, m->ioas);
	}
	return ret;
}

/* Whether the kernel still has mapping @m. */
static bool still_mapped(struct fuzz *f, struct slot *s,
			 const struct map_model *m)
{
	return probe_mapping(f, s, m) == EADDRINUSE;
}

/*
 * A MAP or a COPY that could not write its answer back unmaps what it
 * mapped, which the vDPA device's mirror pinned already: the emulated
 * devices there that hold pins were called back.
 */
static void vdpa_map_undone(struct call *c)
{
	uint32_t ioas = c->kind == K_MAP ? c->in.map.ioasid :
					   c->in.copy.dst_ioasid;

	if (vdpa_attached(c->s, ioas))
		vdpa_resync_books(c->s, ioas);
}

/*
 * An UNMAP that read its struct but could not write its answer back
 * fails with EFAULT after the work, as every call does: the mappings of
 * its range must be gone.
 */
static void check_unmap_done(struct call *c)
{
	const struct ioasid_unmap *u = &c->in.unmap;
	uint64_t first = 0, last = UINT64_MAX;
	struct slot *s = c->s;
	unsigned int i = 0;

	if (!(u->flags & IOASID_UNMAP_ALL)) {
		first = u->iova;
		last = u->iova + u->length - 1;
	}
	while (i < s->nr_maps) {
		struct map_model *m = &s->maps[i];

		if (!map_hits(m, u->ioasid, first, last)) {
			i++;
			continue;
		}
		if (still_mapped(c->f, s, m)) {
			if (fail_msg(c->f, "UNMAP failed with EFAULT, yet left %llx+%llx mapped",
				     ULL(m->iova), ULL(m->len)))
				describe_call(c, "UNMAP", sizeof(*u));
			i++;
			continue;
		}
		*m = s->maps[--s->nr_maps];
	}
}

/* The pages of the pins of @a, as the model has them. */
static uint64_t model_pinned(const struct acc_model *a)
{
	uint64_t pages = 0;
	unsigned int i;

	for (i = 0; i < a->nr_pins; i++)
		pages += a->pins[i].len / page;
	return pages;
}

static bool pin_hits(const struct pin_model *p, uint64_t first, uint64_t last)
{
	return p->iova <= last && p->iova + p->len - 1 >= first;
}

/*
 * Reads the books of emulated device @a, whose flags stay 0, and checks
 * them against the model: the pages it holds pinned, and callbacks run
 * since the last look, between @lo and @hi of them, the last for [@first,
 * @last] unless @first > @last.
 */
static void check_books(struct fuzz *f, struct slot *s, struct acc_model *a,
			uint64_t lo, uint64_t hi, uint64_t first, uint64_t last)
{
	struct ioasid_test t;
	uint64_t calls;
	int ret;

	if (!s->exact || a->lost)
		return;
	ret = access_config(s->fd, a->id, 0, &t);
	if (ret) {
		fail_msg(f, "ACCESS_CONFIG of emulated device %u: %s", a->id,
			 errno_name(ret));
		return;
	}
	calls = t.access.out_unmap_calls - a->calls;
	a->calls = t.access.out_unmap_calls;
	if (t.access.out_pinned_pages != model_pinned(a))
		fail_msg(f, "emulated device %u holds %llu pages pinned, the model has %llu",
			 a->id, ULL(t.access.out_pinned_pages),
			 ULL(model_pinned(a)));
	if (calls < lo || calls > hi)
		fail_msg(f, "emulated device %u was called back %llu times, not %llu to %llu",
			 a->id, ULL(calls), ULL(lo), ULL(hi));
	else if (calls && first <= last &&
		 (t.access.out_unmap_iova != first ||
		  t.access.out_unmap_last != last))
		fail_msg(f, "emulated device %u was called back for [%llx, %llx], not [%llx, %llx]",
			 a->id, ULL(t.access.out_unmap_iova),
			 ULL(t.access.out_unmap_last), ULL(first), ULL(last));
}

/*
 * Whether an emulated device on @ioasid, mock or mediated, holds a pin in
 * [@first, @last].
 */
static bool unmap_meets_pins(struct slot *s, uint32_t ioasid, uint64_t first,
			     uint64_t last)
{
	unsigned int i, j;

	for (i = 0; i < s->nr_accs; i++) {
		struct acc_model *a = &s->accs[i];

		if (a->ioas != ioasid)
			continue;
		for (j = 0; j < a->nr_pins; j++)
			if (pin_hits(&a->pins[j], first, last))
				return true;
	}
	return mdev_pins_hit(s, ioasid, first, last);
}

/*
 * Whether an emulated device on @ioasid holds pins the model lost track
 * of, which an UNMAP may meet without the model knowing.  The vDPA
 * device's mirror pins what it can of every mapping there.
 */
static bool unmap_pins_unknown(const struct slot *s, uint32_t ioasid)
{
	unsigned int i;

	if (vdpa_attached(s, ioasid))
		return true;
	for (i = 0; i < s->nr_accs; i++)
		if (s->accs[i].ioas == ioasid && s->accs[i].lost)
			return true;
	for (i = 0; i < fz.mdma.nr; i++) {
		const struct mdev_model *m = &fz.mdma.mdevs[i];

		if (m->bound && !m->orphan && m->s == s && m->ioas == ioasid &&
		    m->lost)
			return true;
	}
	return false;
}

/*
 * An UNMAP that meets pages pinned by an emulated device calls back every
 * emulated device on the IOASID that holds pins anywhere, once each, and
 * each drops the pins it holds in the range; an UNMAP that meets none
 * calls nobody.  Where a device's pins are lost to the model, an UNMAP
 * that meets no pin the model knows may still call the others back, once.
 * An UNMAP that failed may or may not have called them.
 */
static void unmap_accesses(struct call *c)
{
	const struct ioasid_unmap *u = &c->in.unmap;
	uint64_t first = 0, last = UINT64_MAX;
	struct slot *s = c->s;
	unsigned int i, j;
	bool met, maybe;

	if (!(u->flags & IOASID_UNMAP_ALL)) {
		first = u->iova;
		last = u->iova + u->length - 1;
	}
	met = unmap_meets_pins(s, u->ioasid, first, last);
	maybe = !met && unmap_pins_unknown(s, u->ioasid);
	for (i = 0; i < s->nr_accs; i++) {
		struct acc_model *a = &s->accs[i];
		bool called = met && a->nr_pins;

		if (a->ioas != u->ioasid)
			continue;
		if (maybe && a->nr_pins) {
			/* None of its pins is in the range: it keeps them. */
			check_books(c->f, s, a, 0, c->err ? UINT64_MAX : 1, 1,
				    0);
			continue;
		}
		for (j = 0; called && j < a->nr_pins;) {
			if (!pin_hits(&a->pins[j], first, last)) {
				j++;
				continue;
			}
			a->pins[j] = a->pins[--a->nr_pins];
		}
		if (c->err && called)
			a->lost = true;
		else if (!c->err)
			check_books(c->f, s, a, called, called, first, last);
	}
}

/* The range an UNMAP names, once its fields are good. */
static void unmap_span(const struct ioasid_unmap *u, uint64_t *first,
		       uint64_t *last)
{
	*first = 0;
	*last = UINT64_MAX;
	if (!(u->flags & IOASID_UNMAP_ALL)) {
		*first = u->iova;
		*last = u->iova + u->length - 1;
	}
}

/* The bitmap of an UNMAP_DIRTY, where it is one the model placed. */
static uint64_t *unmap_bitmap(const struct call *c, uint64_t *words)
{
	const struct ioasid_unmap *u = &c->in.unmap;
	uint64_t bytes;

	if (!(u->flags & IOASID_UNMAP_DIRTY) || !dirty_fields_ok(u) ||
	    !u->length || wraps(u->iova, u->length))
		return NULL;
	bytes = bitmap_bytes(u->length, u->dirty_page_size);
	if (bitmap_class(c->f, u->dirty_bitmap, bytes) != MEM_RW)
		return NULL;
	*words = bytes / sizeof(uint64_t);
	return (uint64_t *)(uintptr_t)u->dirty_bitmap;
}

/* A failed UNMAP_DIRTY wrote no bit of its bitmap. */
static void check_bitmap_clean(struct call *c)
{
	uint64_t words, w, *bits = unmap_bitmap(c, &words);

	for (w = 0; bits && w < words; w++) {
		if (!bits[w])
			continue;
		if (fail_msg(c->f, "UNMAP_DIRTY failed with %s, yet set bits %llx of word %llu",
			     errno_name(c->err), ULL(bits[w]), ULL(w)))
			describe_call(c, "UNMAP", sizeof(c->in.unmap));
		return;
	}
}

/*
 * An UNMAP_DIRTY that failed before its work, as every failure but
 * EFAULT from a struct it could not write back does, unmapped nothing
 * and wrote no bit: each mapping of its range is still there.
 */
static void check_unmap_kept(struct call *c)
{
	const struct ioasid_unmap *u = &c->in.unmap;
	struct slot *s = c->s;
	uint64_t first, last;
	unsigned int i = 0;

	check_bitmap_clean(c);
	if (!(u->flags & IOASID_UNMAP_ALL) &&
	    (!u->length || wraps(u->iova, u->length)))
		return;
	unmap_span(u, &first, &last);
	while (i < s->nr_maps) {
		struct map_model *m = &s->maps[i];

		if (!map_hits(m, u->ioasid, first, last) ||
		    probe_mapping(c->f, s, m)) {
			i++;
			continue;
		}
		if (fail_msg(c->f, "UNMAP_DIRTY failed with %s, yet unmapped %llx+%llx",
			     errno_name(c->err), ULL(m->iova), ULL(m->len)))
			describe_call(c, "UNMAP", sizeof(*u));
		*m = s->maps[--s->nr_maps];
	}
}

/*
 * Whether the pages bit @bit of an UNMAP_DIRTY's bitmap stands for hold
 * a mapping: the kernel never reports unmapped IOVAs dirty.
 */
static bool bit_mapped(const struct slot *s, const struct ioasid_unmap *u,
		       uint64_t bit)
{
	uint64_t first = u->iova + bit * u->dirty_page_size;
	unsigned int i;

	for (i = 0; i < s->nr_maps; i++)
		if (map_hits(&s->maps[i], u->ioasid, first,
			     first + u->dirty_page_size - 1))
			return true;
	return false;
}

/*
 * The bitmap of an UNMAP_DIRTY that succeeded: no bit past the range's
 * last page, the canary after it as it was, and where the model is
 * exact, set bits only where the range was mapped.
 */
static void check_unmap_bitmap(struct call *c)
{
	const struct ioasid_unmap *u = &c->in.unmap;
	uint64_t words, w, b, *bits = unmap_bitmap(c, &words);
	uint64_t nbits = u->length / u->dirty_page_size;
	struct fuzz *f = c->f;
	const char *bad = NULL;

	if (!bits)
		return;
	count(&f->stats->dirty_unmaps_ok);
	if (bits[words] != BITMAP_CANARY)
		bad = "wrote past the end of its bitmap";
	if (nbits % 64 && bits[words - 1] >> (nbits % 64))
		bad = "set a bit past the last page of the range";
	for (w = 0; w < words; w++) {
		for (b = 0; b < 64 && bits[w]; b++) {
			if (!(bits[w] & BIT(b)))
				continue;
			count(&f->stats->dirty_pages);
			if (c->s->exact && 64 * w + b < nbits &&
			    !bit_mapped(c->s, u, 64 * w + b))
				bad = "set the bit of pages that were not mapped";
		}
	}
	if (bad && fail_msg(f, "UNMAP_DIRTY %s", bad))
		describe_call(c, "UNMAP", sizeof(*u));
}

static void mdev_after_unmap(struct call *c);
static bool checks_memory(const struct envelope *env);

static void done_unmap(struct call *c)
{
	struct fuzz *f = c->f;
	const struct ioasid_unmap *u = &c->in.unmap;
	uint64_t words;

	if (unmap_bitmap(c, &words))
		count(&f->stats->dirty_unmaps);
	unmap_accesses(c);
	mdev_after_unmap(c);
	if (c->err) {
		if (c->err == EFAULT && c->s->exact && c->v.has_out)
			check_unmap_done(c);
		else if (u->flags & IOASID_UNMAP_DIRTY && c->s->exact &&
			 (c->err != EFAULT || checks_memory(&c->env)))
			check_unmap_kept(c);
		return;
	}
	if (!aligned(c->out.unmap.out_length))
		fail_msg(f, "UNMAP: out_length %llx",
			 ULL(c->out.unmap.out_length));
	check_unmap_bitmap(c);
	if (u->flags & IOASID_UNMAP_ALL)
		drop_maps(c->s, u->ioasid, 0, UINT64_MAX);
	else
		drop_maps(c->s, u->ioasid, u->iova, u->iova + u->length - 1);
}

/* COPY */

static void gen_copy(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct ioasid_copy *k = &c->in.copy;
	struct map_model *m = pick_map(f, s);
	uint64_t off;
	bool fixed;

	k->flags = map_flags(f);
	fixed = k->flags & IOASID_MAP_FIXED_IOVA;
	k->dst_ioasid = pick_id(f, s, ID_IOAS);
	if (m && (f->sane || !one_in(f, 5))) {
		k->src_ioasid = m->ioas;
		off = page * below(f, m->len / page);
		k->src_iova = m->iova + off;
		k->length = page * (1 + below(f, (m->len - off) / page));
		if (f->sane && !m->writable)
			k->flags = (k->flags & IOASID_MAP_FIXED_IOVA) |
				   IOASID_MAP_READ;
		if (!f->sane && one_in(f, 10))
			k->length += page;
	} else {
		k->src_ioasid = pick_id(f, s, ID_IOAS);
		k->length = pick_len(f, 64 * page);
		k->src_iova = pick_iova(f, s, k->length);
	}
	k->dst_iova = fixed || one_in(f, 8) ? pick_iova(f, s, k->length) : 0;
	k->alignment = pick_alignment(f, fixed);
	if (s->nr_maps >= MAX_MAPS)
		k->length = 0;
}

/* The recorded mapping the source of a copy lies in, or NULL. */
static struct map_model *model_src(struct slot *s,
				   const struct ioasid_copy *k)
{
	struct map_model *m;
	unsigned int i;

	for (i = 0; i < s->nr_maps; i++) {
		m = &s->maps[i];
		/* Compared without a sum: a length near 2^64 would wrap it. */
		if (m->ioas == k->src_ioasid && k->src_iova >= m->iova &&
		    k->length <= m->len &&
		    k->src_iova - m->iova <= m->len - k->length)
			return m;
	}
	return NULL;
}

static void rules_copy(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	const struct ioasid_copy *k = &c->in.copy;

	placement_rules(k->flags, k->length, k->dst_iova, k->alignment, v);
	if (!aligned(k->src_iova))
		must_fail(v, "src_iova is not aligned");
	if (k->length && wraps(k->src_iova, k->length))
		must_fail(v, "the source range wraps");
	if (id_is_bad(s, k->dst_ioasid, ID_IOAS) ||
	    id_is_bad(s, k->src_ioasid, ID_IOAS))
		must_fail(v, "an id names no IOASID");
	if (v->must_fail || !s->exact)
		return;
	if (!model_src(s, k))
		must_fail(v, "the source is not inside one mapping");
	else if ((k->flags & IOASID_MAP_WRITE) && !model_src(s, k)->writable)
		must_fail_with(v, "WRITE of pages pinned read-only", EPERM, 0);
	else if ((k->flags & IOASID_MAP_FIXED_IOVA) &&
		 model_overlaps(s, k->dst_ioasid, k->dst_iova, k->length))
		must_fail(v, "the fixed IOVA range overlaps a mapping");
}

static void done_copy(struct call *c)
{
	const struct ioasid_copy *k = &c->in.copy;
	struct map_model *src = model_src(c->s, k);
	/* Unknown sources count as writable: no EPERM is expected of them. */
	struct map_model m = {
		.ioas = k->dst_ioasid,
		.flags = k->flags & MAP_RW,
		.writable = src ? src->writable : true,
		.iova = c->out.copy.dst_iova,
		.len = k->length,
		.uva = src ? src->uva + (k->src_iova - src->iova) : 0,
		.gen = src ? src->gen : 0,
	};

	check_new_mapping(c->f, c, k->flags, k->dst_iova, m.iova,
			  k->alignment);
	add_map(c->s, &m);
}

/* OPTION */

static void gen_option(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_option *o = &c->in.option;

	o->op = one_in(f, 2) ? IOASID_OPTION_SET : IOASID_OPTION_GET;
	o->option = IOASID_OPTION_ACCOUNTING;
	o->object_id = junk32(f, 16);
	o->value = below(f, 2);
	if (one_in(f, 3)) {
		o->option = IOASID_OPTION_DIRTY_TRACKING;
		o->object_id = pick_id(f, c->s, ID_IOAS);
	}
	if (f->sane)
		return;
	if (one_in(f, 16))
		o->op = 2 + below(f, 4);
	if (one_in(f, 16))
		o->option = below(f, 4);
	if (one_in(f, 16))
		o->value = one_in(f, 2) ? 2 : rnd(f);
}

/*
 * Dirty tracking of an IOASID: turning it on fails with EOPNOTSUPP while
 * a device that cannot track is attached, which the model does not follow.
 */
static void rules_dirty_option(struct call *c)
{
	struct verdict *v = &c->v;
	const struct ioasid_option *o = &c->in.option;

	if (id_is_bad(c->s, o->object_id, ID_IOAS))
		must_fail(v, "the object names no IOASID");
	if (o->op == IOASID_OPTION_SET && o->value > 1)
		must_fail(v, "dirty tracking is neither 0 nor 1");
}

static void rules_option(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	const struct ioasid_option *o = &c->in.option;

	if ((o->option != IOASID_OPTION_ACCOUNTING &&
	     o->option != IOASID_OPTION_DIRTY_TRACKING) || o->op > 1)
		must_fail(v, "the option or op is unknown");
	if (o->option == IOASID_OPTION_DIRTY_TRACKING) {
		rules_dirty_option(c);
		return;
	}
	if (o->object_id)
		must_fail(v, "object_id is given for an option of the file");
	if (o->op == IOASID_OPTION_SET && o->value > 1)
		must_fail(v, "the value is not an accounting mode");
	if (v->must_fail || !s->exact)
		return;
	if (o->op == IOASID_OPTION_GET || o->value == s->mode)
		must_succeed(v, "a well-formed OPTION");
	else if (s->nr_maps)
		must_fail_with(v, "the mode changes while pages are pinned",
			       EBUSY, 0);
	else
		must_succeed(v, "the mode changes while nothing is pinned");
}

static void done_option(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;

	if (c->in.option.option == IOASID_OPTION_DIRTY_TRACKING) {
		if (c->in.option.op == IOASID_OPTION_GET &&
		    c->out.option.value > 1)
			fail_msg(f, "OPTION: dirty tracking is %llu",
				 ULL(c->out.option.value));
		return;
	}
	if (c->in.option.op == IOASID_OPTION_SET) {
		s->mode = c->in.option.value;
		return;
	}
	if (c->out.option.value > 1 ||
	    (s->exact && c->out.option.value != s->mode))
		fail_msg(f, "OPTION: accounting mode %llu, the model has %llu",
			 ULL(c->out.option.value), ULL(s->mode));
}

/* DIRTY_READ */

static void gen_dirty_read(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_dirty_read *d = &c->in.dirty;
	struct map_model *m = pick_map(f, c->s);
	static const uint64_t units[] = { 1, 2, 16, 512 };
	uint64_t bits;

	d->flags = one_in(f, 2) ? IOASID_DIRTY_READ_NO_CLEAR : 0;
	d->page_size = page * units[below(f, ARRAY_SIZE(units))];
	if (m) {
		d->ioasid = m->ioas;
		d->iova = m->iova - m->iova % d->page_size;
		d->length = m->iova + m->len - d->iova;
		d->length += (d->page_size - d->length % d->page_size) %
			     d->page_size;
	} else {
		d->ioasid = pick_id(f, c->s, ID_IOAS);
		d->iova = d->page_size * below(f, 1 << 16);
		d->length = d->page_size * (1 + below(f, 4096));
	}
	/* An entry of the ranges array holds 128 bits. */
	bits = d->length / d->page_size;
	d->bitmap = ranges_ptr(f, bits / 128 + 1);
	if (f->sane)
		return;
	switch (below(f, 12)) {
	case 0:
		d->flags |= junk32(f, 1);
		break;
	case 1:
		d->page_size = one_in(f, 2) ? rnd(f) : page / 2;
		break;
	case 2:
		d->iova += 1 + below(f, page - 1);
		break;
	case 3:
		d->length = one_in(f, 2) ? 0 : d->length - 1;
		break;
	case 4:
		d->iova = -(d->page_size * (1 + below(f, 4)));
		d->length = 8 * d->page_size;
		break;
	case 5:
		d->bitmap += 1 + below(f, 7);
		break;
	case 6:
		d->__reserved = junk32(f, 1);
		break;
	case 7:
		d->ioasid = pick_id(f, c->s, ID_ANY);
		break;
	}
}

static void rules_dirty_read(struct call *c)
{
	struct verdict *v = &c->v;
	const struct ioasid_dirty_read *d = &c->in.dirty;
	uint64_t ps = d->page_size;

	if (d->flags & ~IOASID_DIRTY_READ_NO_CLEAR || d->__reserved) {
		must_fail_with(v, "an unknown flag or a reserved field is set",
			       EOPNOTSUPP, 0);
		return;
	}
	if (id_is_bad(c->s, d->ioasid, ID_IOAS))
		must_fail(v, "the id names no IOASID");
	if (!is_pow2(ps) || ps < page || !d->length || d->iova % ps ||
	    d->length % ps || d->bitmap % sizeof(uint64_t))
		must_fail(v, "the range, page size or bitmap breaks the rules");
	else if (wraps(d->iova, d->length))
		must_fail(v, "the range wraps");
}

/* DEVICE_INFO */

#define DEVICE_INFO_FLAGS	(IOASID_DEVICE_OWNED | \
				 IOASID_DEVICE_DIRTY_TRACKING | \
				 IOASID_DEVICE_COHERENT | \
				 IOASID_DEVICE_NO_SNOOP_REFUSED | \
				 IOASID_DEVICE_ATTACHED)

/*
 * Whether a mediated device or the vDPA device is bound to the fd of @s,
 * through a binding whose id the model does not know.
 */
static bool unnumbered_bindings(const struct slot *s)
{
	const struct vdpa_model *vd = &fz.vdpa;
	unsigned int i;

	for (i = 0; i < fz.mdma.nr; i++) {
		const struct mdev_model *m = &fz.mdma.mdevs[i];

		if (m->bound && !m->orphan && m->s == s)
			return true;
	}
	return vd->bound && !vd->orphan && vd->s == s;
}

/* Whether no device bound to the fd of @s can have id @id. */
static bool dev_id_is_bad(struct slot *s, uint32_t id)
{
	if (!id || id >= ID_NEVER)
		return true;
	if (!s->exact || find_binding(s, id))
		return false;
	/* An object has the id, or a binding the model does not know may. */
	return !id_is_bad(s, id, ID_ANY) || !unnumbered_bindings(s);
}

/* Mostly a binding of the fd; else a binding of another, or any id. */
static uint32_t pick_dev_id(struct fuzz *f, struct slot *s)
{
	struct dev_model *d = pick_dev_model(f, s);
	struct slot *o = &f->slots[below(f, NR_SLOTS)];
	unsigned int r = f->sane ? 0 : below(f, 10);

	if (r < 6 && d)
		return d->dev_id;
	if (r < 7 && o != s && o->fd >= 0 && o->nr_devs)
		return pick_dev_model(f, o)->dev_id;
	return pick_id(f, s, ID_ANY);
}

static void gen_device_info(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_device_info *i = &c->in.dev_info;

	i->flags = junk32(f, 16);
	i->dev_id = pick_dev_id(f, c->s);
	i->__reserved = junk32(f, 16);
	/* Now and then a buffer for the IOMMU's report of itself. */
	if (one_in(f, 4)) {
		i->hw_info = (uintptr_t)f->hw_info_buf;
		i->hw_info_len = below(f, sizeof(f->hw_info_buf) + 1);
	}
	/* Outputs the kernel must overwrite. */
	if (!f->sane && one_in(f, 8)) {
		i->out_flags = rnd(f);
		i->out_ioasid = rnd(f);
	}
}

static void rules_device_info(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	const struct ioasid_device_info *i = &c->in.dev_info;

	if (i->flags || i->__reserved)
		must_fail_with(v, "flags or __reserved is not zero", EOPNOTSUPP,
			       0);
	/* A struct cut within hw_info leaves a pointer to nowhere. */
	else if (s->exact && find_binding(s, i->dev_id) && i->hw_info_len &&
		 c->env.size < sizeof(*i))
		may_fail_with(v, "hw_info is cut short", EFAULT, 0);
	else if (s->exact && find_binding(s, i->dev_id))
		must_succeed(v, "the id names a device bound to the fd");
	else if (dev_id_is_bad(s, i->dev_id))
		must_fail_with(v, "the id names no device bound to the fd",
			       ENOENT, 0);
}

/* What DEVICE_INFO reports of @d: mock.c's ioasid_mock_capable() says. */
static uint32_t device_info_flags(const struct dev_model *d)
{
	uint32_t flags = 0;

	if (!is_host_owned(d))
		flags |= IOASID_DEVICE_OWNED;
	if (d->ioas)
		flags |= IOASID_DEVICE_ATTACHED;
	if (!(d->flags & IOASID_MOCK_NO_DIRTY))
		flags |= IOASID_DEVICE_DIRTY_TRACKING;
	if (!(d->flags & IOASID_MOCK_INCOHERENT))
		flags |= IOASID_DEVICE_COHERENT;
	if (d->flags & IOASID_MOCK_ENFORCE_SNOOP)
		flags |= IOASID_DEVICE_NO_SNOOP_REFUSED;
	return flags;
}

/*
 * Of any binding: flags this kernel knows, and an IOASID exactly when the
 * requester ID is attached, which only an owner's can be.
 */
static bool device_info_consistent(const struct ioasid_device_info *o)
{
	bool attached = o->out_flags & IOASID_DEVICE_ATTACHED;

	return !(o->out_flags & ~DEVICE_INFO_FLAGS) &&
	       attached == !!o->out_ioasid &&
	       (!attached || o->out_flags & IOASID_DEVICE_OWNED);
}

/* Of a device the model knows: what it has, and the group it had before. */
static bool device_info_matches(const struct dev_model *d,
				const struct ioasid_device_info *o)
{
	uint32_t max_pasids = d->pasid_bits ? 1U << d->pasid_bits : 0;

	return o->out_flags == device_info_flags(d) &&
	       o->out_max_pasids == max_pasids && o->out_ioasid == d->ioas &&
	       (!d->group || o->out_iommu_group == d->group - 1);
}

/*
 * The stage-1 formats a device reads: the mock one unless NO_NEST; of a
 * device the model does not know, those it gave that this kernel knows.
 */
static uint64_t device_nest_formats(const struct dev_model *d,
				    const struct ioasid_device_info *o)
{
	const uint64_t known = 1ULL << IOASID_NEST_FORMAT_VTD_S1 |
			       1ULL << IOASID_NEST_FORMAT_MOCK;

	if (!d)
		return o->out_nest_formats & known;
	return d->flags & IOASID_MOCK_NO_NEST ? 0 :
	       1ULL << IOASID_NEST_FORMAT_MOCK;
}

static void done_device_info(struct call *c)
{
	const struct ioasid_device_info *o = &c->out.dev_info;
	struct dev_model *d = NULL;
	bool shown = false;

	if (c->s->exact)
		d = find_binding(c->s, c->in.dev_info.dev_id);
	if (!device_info_consistent(o))
		shown = fail_msg(c->f, "DEVICE_INFO: flags %x with IOASID %u",
				 o->out_flags, o->out_ioasid);
	else if (d && !device_info_matches(d, o))
		shown = fail_msg(c->f,
				 "DEVICE_INFO: flags %x, %u PASIDs, group %u, IOASID %u; model: %x, %u bits, group+1 %u, IOASID %u",
				 o->out_flags, o->out_max_pasids,
				 o->out_iommu_group, o->out_ioasid,
				 device_info_flags(d), d->pasid_bits, d->group,
				 d->ioas);
	else if (c->env.size >= sizeof(*o) &&
		 o->out_nest_formats != device_nest_formats(d, o))
		shown = fail_msg(c->f, "DEVICE_INFO: nest formats %llx",
				 ULL(o->out_nest_formats));
	else if (c->env.size >= sizeof(*o) &&
		 o->out_hw_info_type == IOASID_HW_INFO_NONE && o->hw_info_len)
		shown = fail_msg(c->f, "DEVICE_INFO: no report, of %u bytes",
				 o->hw_info_len);
	if (shown)
		describe_call(c, "DEVICE_INFO", sizeof(*o));
	if (d)
		d->group = o->out_iommu_group + 1;
}

/* Nested IOASIDs */

/* Whether the call's @ptr to @len bytes lies within f->s1_area. */
static bool in_s1_area(const struct fuzz *f, uint64_t ptr, uint64_t len)
{
	uint64_t start = (uintptr_t)f->s1_area;

	return ptr >= start && len <= S1_AREA_LEN &&
	       ptr - start <= S1_AREA_LEN - len;
}

/* A device of @s whose IOMMU reads mock tables, mostly; else any. */
static struct dev_model *pick_nest_dev(struct fuzz *f, struct slot *s)
{
	unsigned int i, first = below(f, MAX_DEVS);
	struct dev_model *d;

	for (i = 0; i < s->nr_devs; i++) {
		d = &s->devs[(first + i) % s->nr_devs];
		if (!(d->flags & IOASID_MOCK_NO_NEST) || one_in(f, 4))
			return d;
	}
	return NULL;
}

/*
 * The description of a mock stage-1 table, in f->s1_area, with the
 * guard page after it: a table in a mapping of the parent, mostly.  Not
 * well formed, it is unaligned, has no entries or too many, flags, or is
 * shorter or longer than the struct, with a tail that is zero or not;
 * it runs into the guard page, or is not in user memory at all.
 */
static void gen_nest_data(struct call *c, struct ioasid_mock_s1 *s1)
{
	struct fuzz *f = c->f;
	struct ioasid_alloc *a = &c->in.alloc;
	struct map_model *m = pick_map_of(f, c->s, a->parent);
	uint32_t len = S1_LEN, split;
	uint8_t *end = f->s1_area + S1_AREA_LEN, *at;

	memset(s1, 0, sizeof(*s1));
	s1->table = page * below(f, 1 << 16);
	if (m)
		s1->table = (m->iova & ~(page - 1)) +
			    page * below(f, m->len / page ?: 1);
	s1->entries = 1 + below(f, one_in(f, 8) ? IOASID_MOCK_S1_MAX_ENTRIES :
						   512);
	a->data_len = len;
	memset(f->s1_area, 0, S1_AREA_LEN);
	if (f->sane) {
		at = end - len - 8 * below(f, 64);
		memcpy(at, s1, len);
		a->data = (uintptr_t)at;
		return;
	}
	switch (below(f, 24)) {
	case 0:
		s1->table += 8 * (1 + below(f, page / 8 - 1));
		break;
	case 1:
		s1->entries = 0;
		break;
	case 2:
		s1->entries = IOASID_MOCK_S1_MAX_ENTRIES + 1 + below(f, 1000);
		break;
	case 3:
		s1->flags = 1U << below(f, 32);
		break;
	case 4:
		len = below(f, S1_LEN);
		break;
	case 5:
	case 6:
		len = S1_LEN + 8 * (1 + below(f, 4));
		break;
	case 7:
		len = S1_LEN + 1 + below(f, page - S1_LEN);
		break;
	case 8:
		len = page + 1 + below(f, page);
		break;
	case 9:
		len = (uint32_t)rnd(f);
		break;
	}
	a->data_len = len;
	if (len > S1_AREA_LEN || one_in(f, 16)) {
		a->data = bad_pointer(f);
		return;
	}
	at = end - len;
	if (S1_AREA_LEN - len >= 64)
		at -= 8 * below(f, 8);
	if (one_in(f, 12)) {
		/* Runs into the guard page, its readable tail zero. */
		split = below(f, len ?: 1);
		at = end - split;
		memcpy(at, s1, split < S1_LEN ? split : S1_LEN);
		a->data = (uintptr_t)at;
		return;
	}
	memcpy(at, s1, len < S1_LEN ? len : S1_LEN);
	if (len > S1_LEN && one_in(f, 2))
		at[S1_LEN + below(f, len - S1_LEN)] = 1 + below(f, 255);
	a->data = (uintptr_t)at;
}

static void gen_alloc_nested(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct ioasid_alloc *a = &c->in.alloc;
	struct dev_model *d = pick_nest_dev(f, s);
	struct ioasid_mock_s1 s1;
	struct map_model *m = pick_map(f, s);

	a->parent = pick_id(f, s, ID_IOAS);
	if (m && (f->sane || one_in(f, 2)))
		a->parent = m->ioas;
	a->dev_id = d && (f->sane || !one_in(f, 6)) ? d->dev_id :
						    pick_dev_id(f, s);
	/* A device's object id, which is not its binding's. */
	if (d && !f->sane && one_in(f, 12))
		a->dev_id = d->id;
	a->format = IOASID_NEST_FORMAT_MOCK;
	if (!f->sane && one_in(f, 10))
		a->format = one_in(f, 3) ? IOASID_NEST_FORMAT_VTD_S1 :
			    one_in(f, 2) ? below(f, 128) : (uint32_t)rnd(f);
	gen_nest_data(c, &s1);
	/* Page requests to a queue of the fd, mostly where there is one. */
	if (s->nr_queues ? !one_in(f, 4) : one_in(f, 8)) {
		a->flags |= IOASID_ALLOC_FAULT_QUEUE;
		a->fault_queue = pick_queue_id(f, s);
	}
	if (!f->sane && one_in(f, 10))
		a->fault_queue = pick_queue_id(f, s);
	/* Enough of them: the kernel's memory stays bounded. */
	if (s->nr_nests >= MAX_NESTS)
		a->flags |= 1U << (2 + below(f, 30));
}

/*
 * What the mock IOMMU's driver makes of the description, once the
 * kernel took the table to nest on: an errno, and why, or 0.
 */
static int nest_data_errno(const struct call *c, const char **why)
{
	const struct ioasid_alloc *a = &c->in.alloc;
	const struct ioasid_mock_s1 *s1 = (const void *)(uintptr_t)a->data;
	int err = EINVAL;

	if (a->data_len < S1_LEN) {
		*why = "the description is shorter than the format's first version";
	} else if (!in_s1_area(c->f, a->data, S1_LEN)) {
		*why = "the description cannot be read";
		err = EFAULT;
	} else if (s1->flags) {
		*why = "the description has flags";
		err = EOPNOTSUPP;
	} else if (!aligned(s1->table) || !s1->entries ||
		   s1->entries > IOASID_MOCK_S1_MAX_ENTRIES) {
		*why = "the table is unaligned, or has no entries or too many";
	} else {
		err = 0;
	}
	return err;
}

/* Of a description longer than the struct: E2BIG or EFAULT, or 0. */
static int nest_tail_errno(const struct call *c, const char **why)
{
	const struct ioasid_alloc *a = &c->in.alloc;
	const uint8_t *p = (const void *)(uintptr_t)a->data;
	uint32_t i = S1_LEN;
	int err = 0;

	if (a->data_len <= S1_LEN)
		return 0;
	if (a->data_len > page) {
		*why = "the description is longer than a page";
		err = E2BIG;
	} else if (!in_s1_area(c->f, a->data, a->data_len)) {
		*why = "the tail of the description cannot be read";
		err = EFAULT;
	} else {
		while (i < a->data_len && !p[i])
			i++;
		*why = "the tail of the description is not zero";
		err = i < a->data_len ? E2BIG : 0;
	}
	return err;
}

static void rules_alloc_nested(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	const struct ioasid_alloc *a = &c->in.alloc;
	struct dev_model *d = s->exact ? find_binding(s, a->dev_id) : NULL;
	const char *why;
	int err, tracking;

	/* The queue is taken first, before the parent and the device. */
	if (!(a->flags & IOASID_ALLOC_FAULT_QUEUE) && a->fault_queue)
		must_fail_with(v, "fault_queue is set without the flag", EINVAL,
			       0);
	else if (a->flags & IOASID_ALLOC_FAULT_QUEUE &&
		 (!a->fault_queue || a->fault_queue >= ID_NEVER ||
		  (s->exact && !find_queue(s, a->fault_queue))))
		must_fail_with(v, "fault_queue names no fault queue", ENOENT,
			       0);
	if (id_is_bad(s, a->parent, ID_IOAS))
		must_fail_with(v, "the parent is no plain IOASID", ENOENT, 0);
	if (dev_id_is_bad(s, a->dev_id))
		must_fail_with(v, "the id names no device bound to the fd",
			       ENOENT, 0);
	/* Past the lookups, only of a device and a parent the model knows. */
	if (!v->must_fail && (!d || !has_ioas(s, a->parent))) {
		if (a->format != IOASID_NEST_FORMAT_MOCK &&
		    a->format != IOASID_NEST_FORMAT_VTD_S1)
			must_fail(v, "the format is unknown");
		return;
	}
	if (v->must_fail)
		return;
	if (a->format != IOASID_NEST_FORMAT_MOCK ||
	    d->flags & IOASID_MOCK_NO_NEST) {
		must_fail_with(v, "the device's IOMMU does not read the format",
			       EOPNOTSUPP, 0);
		return;
	}
	err = nest_tail_errno(c, &why);
	if (err == EFAULT)
		/* Where the tail is not zero before the page it runs into. */
		must_fail_with(v, why, EFAULT, E2BIG);
	else if (err)
		must_fail_with(v, why, err, 0);
	if (err)
		return;
	/*
	 * The kernel makes the table to nest on now, unless the parent has
	 * one: with dirty tracking on, for a device that cannot track, it
	 * fails.
	 */
	err = nest_data_errno(c, &why);
	tracking = tracking_of(s, a->parent);
	if (tracking < 0 || (tracking && d->flags & IOASID_MOCK_NO_DIRTY)) {
		if (err)
			must_fail(v, why);
		return;
	}
	if (err)
		must_fail_with(v, why, err, 0);
	else
		must_succeed(v, "a well-formed nested ALLOC");
}

static void done_alloc_nested(struct call *c)
{
	struct slot *s = c->s;
	const struct ioasid_alloc *a = &c->in.alloc;
	struct dev_model *d = s->exact ? find_binding(s, a->dev_id) : NULL;
	bool alone = s->exact && !ioas_attached(s, a->parent) &&
		     !has_nest_on(s, a->parent);
	struct nest_model *n;

	count(&c->f->stats->nest_allocs);
	n = add_nest(s, c->out.alloc.out_ioasid);
	if (!n)
		return;
	n->parent = a->parent;
	if (a->flags & IOASID_ALLOC_FAULT_QUEUE) {
		n->queue = a->fault_queue;
		count(&c->f->stats->nest_queued);
	}
	if (!d)
		return;
	n->known = alone;
	n->dev = d->id;
	n->pgsizes = d->pgsizes;
	n->ap_start = d->ap_start;
	n->ap_last = d->ap_last;
}

/*
 * Of an attach of @d's requester ID, or of a PASID, to IOASID @ioasid:
 * a nested IOASID takes only devices whose IOMMU reads its format and
 * can join the table it nests on, which has the page sizes and the
 * aperture of the device it was made for when the model knows it.
 */
static void rules_attach_nested(struct slot *s, const struct dev_model *d,
				uint32_t ioasid, bool rid, struct verdict *v)
{
	struct nest_model *n = s->exact ? find_nest(s, ioasid) : NULL;
	const char *why = "the device's IOMMU reads no stage-1 table";

	if (!n || !d || v->must_fail)
		return;
	if (!(d->flags & IOASID_MOCK_NO_NEST)) {
		if (!n->known || (d->pgsizes == n->pgsizes &&
				  d->ap_start == n->ap_start &&
				  d->ap_last == n->ap_last))
			return;
		why = "the device's IOMMU cannot join the table nested on";
	}
	/* The table refuses the device, or one of the parent's mappings. */
	if (rid)
		must_fail_with(v, why, EINVAL, EADDRINUSE);
	else
		must_fail(v, why);
}

/* INVALIDATE */

/* A nested IOASID's id, mostly; else any. */
static uint32_t pick_nest_id(struct fuzz *f, struct slot *s)
{
	if (s->nr_nests && (f->sane || !one_in(f, 5)))
		return s->nests[below(f, s->nr_nests)].id;
	return pick_id(f, s, ID_ANY);
}

/*
 * Entries in f->inv_area, mostly well formed: with INV_ALL or a range,
 * unaligned, of no pages or with flags now and then.  The array ends at
 * the guard page, or runs into it, or is not in user memory at all.
 */
static void gen_invalidate(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_invalidate *inv = &c->in.inv;
	struct ioasid_mock_s1_invalidate *e;
	uint32_t i, room, num = below(f, one_in(f, 8) ? 64 : 8);
	uint8_t *end = f->inv_area + INV_AREA_LEN;

	inv->flags = junk32(f, 16);
	inv->__reserved = junk32(f, 16);
	inv->ioasid = pick_nest_id(f, c->s);
	inv->entry_len = INV_LEN;
	if (!f->sane && one_in(f, 8)) {
		switch (below(f, 4)) {
		case 0:
			inv->entry_len = below(f, INV_LEN);
			break;
		case 1:
			inv->entry_len = INV_LEN + 1 + below(f, page - INV_LEN);
			break;
		case 2:
			inv->entry_len = page + 1 + below(f, 64);
			break;
		default:
			inv->entry_len = (uint32_t)rnd(f);
		}
	}
	if (!f->sane && one_in(f, 16))
		num = one_in(f, 2) ? MAX_INVALIDATIONS + below(f, 2) :
				     (uint32_t)rnd(f);
	inv->entry_num = num;
	if (!f->sane && one_in(f, 16)) {
		inv->entries = one_in(f, 2) ? bad_pointer(f) : 0;
		return;
	}
	/* Entries that fit, then those that run into the guard page. */
	room = num < MAX_INVALIDATIONS ? num : MAX_INVALIDATIONS;
	if (!f->sane && one_in(f, 10))
		room = below(f, room + 1);
	e = (void *)(end - room * INV_LEN);
	if (!f->sane && room < num && room < MAX_INVALIDATIONS &&
	    one_in(f, 2))
		e = (void *)((uint8_t *)e - 1 - below(f, INV_LEN - 1));
	inv->entries = (uintptr_t)e;
	for (i = 0; i < room; i++) {
		e[i].iova = page * below(f, 1024);
		e[i].npages = 1 + below(f, one_in(f, 8) ? UINT32_MAX : 16);
		e[i].flags = one_in(f, 6) ? IOASID_MOCK_S1_INV_ALL : 0;
		if (f->sane)
			continue;
		if (one_in(f, 24))
			e[i].iova += 1 + below(f, page - 1);
		if (one_in(f, 24))
			e[i].npages = 0;
		if (one_in(f, 40))
			e[i].flags = 1U << (1 + below(f, 31));
		if (one_in(f, 40))
			e[i].iova = rnd(f);
	}
}

/* Whether entry @i of the call's array lies in memory it can read. */
static bool inv_entry_readable(const struct call *c, uint32_t i)
{
	uint64_t start = (uintptr_t)c->f->inv_area;
	uint64_t at = c->in.inv.entries + (uint64_t)i * INV_LEN;

	return at >= start && at - start <= INV_AREA_LEN - INV_LEN;
}

/*
 * What the mock IOMMU's driver does with the entries, in order: the
 * errno of the first it refuses, or 0, and how many it did.
 */
static int inv_entries_errno(const struct call *c, uint32_t *done,
			     const char **why)
{
	const struct ioasid_invalidate *inv = &c->in.inv;
	const struct ioasid_mock_s1_invalidate *e;
	int err;

	*done = 0;
	*why = "entry_len is not the entry's";
	err = inv->entry_len == INV_LEN ? 0 : EINVAL;
	for (; !err && *done < inv->entry_num; (*done)++) {
		e = (const void *)(uintptr_t)(inv->entries + *done * INV_LEN);
		if (!inv_entry_readable(c, *done)) {
			*why = "an entry cannot be read";
			err = EFAULT;
		} else if (e->flags & ~IOASID_MOCK_S1_INV_ALL) {
			*why = "an entry has an unknown flag";
			err = EOPNOTSUPP;
		} else if (!(e->flags & IOASID_MOCK_S1_INV_ALL) &&
			   (!aligned(e->iova) || !e->npages)) {
			*why = "an entry's range is unaligned or empty";
			err = EINVAL;
		}
		/* The entry that failed is not done. */
		if (err)
			break;
	}
	return err;
}

static void rules_invalidate(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	const struct ioasid_invalidate *inv = &c->in.inv;
	const char *why;
	uint32_t done;
	int err;

	/* Until it finds the nested IOASID, the kernel writes nothing. */
	c->inv_known = true;
	c->inv_done = inv->entry_num;
	if (inv->flags || inv->__reserved) {
		c->inv_err = EOPNOTSUPP;
		must_fail_with(v, "flags or __reserved is not zero",
			       EOPNOTSUPP, 0);
	} else if (inv->entry_num > MAX_INVALIDATIONS) {
		c->inv_err = EINVAL;
		must_fail_with(v, "more entries than it takes", EINVAL, 0);
	} else if (inv->entry_len > page) {
		c->inv_err = E2BIG;
		must_fail_with(v, "entry_len exceeds the page size", E2BIG, 0);
	} else if (id_is_bad(s, inv->ioasid, ID_ANY) ||
		   (s->exact && !find_nest(s, inv->ioasid))) {
		c->inv_err = ENOENT;
		must_fail_with(v, "the id names no nested IOASID", ENOENT, 0);
	}
	if (v->must_fail)
		return;
	c->inv_known = s->exact;
	err = inv->entry_num ? inv_entries_errno(c, &done, &why) : 0;
	c->inv_err = err;
	c->inv_done = err ? done : inv->entry_num;
	if (err && s->exact)
		must_fail_with(v, why, err, 0);
	else if (err)
		must_fail_with(v, why, err, ENOENT);
	else if (s->exact)
		must_succeed(v, "a well-formed INVALIDATE");
	else
		may_fail_with(v, "the id may name no nested IOASID", ENOENT, 0);
}

/*
 * entry_num says how many entries were done, also when one failed: only
 * the caller's struct as it was, in the place the model tracks, tells.
 */
static void done_invalidate(struct call *c)
{
	const struct ioasid_invalidate *out = &c->out.inv;

	if (!c->err)
		__atomic_fetch_add(&c->f->stats->invalidations, out->entry_num,
				   __ATOMIC_RELAXED);
	if (!c->inv_known || c->err != c->inv_err ||
	    c->env.size != sizeof(*out) || c->env.dirty ||
	    !checks_memory(&c->env) || out->entry_num == c->inv_done)
		return;
	if (fail_msg(c->f, "INVALIDATE: %s with entry_num %u, the model has %u",
		     errno_name(c->err), out->entry_num, c->inv_done))
		describe_call(c, "INVALIDATE", sizeof(*out));
}

/* FAULT_QUEUE_ALLOC */

/*
 * Mostly a queue of a few groups, with records of the struct's size or a
 * little longer; else a depth of 0 or above 4096, records shorter than
 * the struct or longer than a page, or flags.
 */
static void gen_fault_queue(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_fault_queue_alloc *fq = &c->in.fq;

	fq->depth = 1 + below(f, one_in(f, 4) ? FAULT_MAX_DEPTH : 4);
	fq->record_len = sizeof(struct ioasid_fault) +
			 (one_in(f, 3) ? 8 * below(f, 8) : 0);
	if (one_in(f, 8))
		fq->out_id = rnd(f);
	if (one_in(f, 8))
		fq->out_fd = rnd(f);
	if (!f->sane) {
		fq->flags = junk32(f, 12);
		switch (below(f, 12)) {
		case 0:
			fq->depth = 0;
			break;
		case 1:
			fq->depth = FAULT_MAX_DEPTH + 1 +
				    (one_in(f, 2) ? below(f, 1000) : rnd(f));
			break;
		case 2:
			fq->record_len = below(f, FAULT_MIN_RECORD);
			break;
		case 3:
			fq->record_len = page + 1 + below(f, page);
			break;
		case 4:
			fq->record_len = one_in(f, 2) ? page : UINT32_MAX;
			break;
		case 5:
			fq->record_len = FAULT_MIN_RECORD +
					 below(f, page - FAULT_MIN_RECORD);
			break;
		}
	}
	/* Enough of them: every queue holds an fd. */
	if (c->s->nr_queues >= MAX_QUEUES)
		fq->flags |= 1U << below(f, 32);
}

/* In the kernel's order: the flags, the depth, then the record length. */
static void rules_fault_queue(struct call *c)
{
	struct verdict *v = &c->v;
	const struct ioasid_fault_queue_alloc *fq = &c->in.fq;

	if (fq->flags)
		must_fail_with(v, "flags are set", EOPNOTSUPP, 0);
	else if (!fq->depth || fq->depth > FAULT_MAX_DEPTH)
		must_fail_with(v, "the depth is 0 or above 4096", EINVAL, 0);
	else if (fq->record_len > page)
		must_fail_with(v, "records are longer than a page", E2BIG, 0);
	else if (fq->record_len < FAULT_MIN_RECORD)
		must_fail_with(v, "records are shorter than the first struct",
			       EINVAL, 0);
	else
		must_succeed(v, "a well-formed FAULT_QUEUE_ALLOC");
}

/*
 * The queue's fd is close-on-exec, read and written; the fuzzer makes it
 * non-blocking, so that no read waits.
 */
static void done_fault_queue(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	uint32_t id = c->out.fq.out_id;
	int fd = c->out.fq.out_fd, fdfl, fl;
	struct queue_model *q;

	if (!id || id_in_use(s, id))
		fail_msg(f, "FAULT_QUEUE_ALLOC returned id %u, which is 0 or in use",
			 id);
	fdfl = fcntl(fd, F_GETFD);
	fl = fcntl(fd, F_GETFL);
	if (fdfl < 0 || fl < 0 || !(fdfl & FD_CLOEXEC) ||
	    (fl & O_ACCMODE) != O_RDWR) {
		fail_msg(f, "FAULT_QUEUE_ALLOC: fd %d has fd flags %d, flags %#x",
			 fd, fdfl, fl);
		if (fdfl < 0)
			return;
	}
	if (s->nr_queues == MAX_QUEUES ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK)) {
		close(fd);
		s->exact = false;
		return;
	}
	forget_dead(s, id);
	q = &s->queues[s->nr_queues++];
	memset(q, 0, sizeof(*q));
	q->id = id;
	q->fd = fd;
	q->depth = c->in.fq.depth;
	q->record_len = c->in.fq.record_len;
	/* Requests that came before the model knew the queue. */
	q->fuzzy = !s->exact;
}

/* IOASID_TEST */

/*
 * Fields the op does not use, which the kernel must ignore: random words,
 * or pairs of small numbers, which are fds and ids where an op takes them.
 */
static void gen_test_junk(struct call *c)
{
	struct fuzz *f = c->f;
	bool small = one_in(f, 2);
	unsigned int i;

	if (f->sane || !one_in(f, 8))
		return;
	for (i = 2; i < ARRAY_SIZE(c->in.words); i++)
		c->in.words[i] = small ? below(f, 16) << 32 | below(f, 16) :
					 rnd(f);
}

static uint64_t pick_pgsizes(struct fuzz *f)
{
	switch (below(f, f->sane ? 2 : 12)) {
	case 0:
		return IOASID_MOCK_PGSIZES;
	case 1:
		return page;
	case 2:
		return page | SZ_2M | (1ULL << 30);
	case 3:
		return page | (page << 4);
	case 4:
		return (rnd(f) & ~(page - 1)) | page;
	case 5:
		return page | 1ULL << 63;
	case 6:
		return SZ_2M;			/* no CPU page */
	case 7:
		return rnd(f);
	default:
		return 0;
	}
}

static void pick_aperture(struct fuzz *f, __u64 *start, __u64 *last)
{
	*start = page * below(f, 1 << 20);
	*last = *start + page * (1 + below(f, 1 << 20)) - 1;
	switch (f->sane ? 9 * below(f, 2) : below(f, 10)) {
	case 0:
		*start = 0;
		*last = UINT64_MAX;
		break;
	case 1:
		*start = IOASID_MOCK_APERTURE_START;
		*last = IOASID_MOCK_APERTURE_LAST;
		break;
	case 2:
		*last = *start - 1 - below(f, page);	/* ends before it starts */
		break;
	case 3:
		*start += 1 + below(f, page - 1);
		break;
	case 4:
	case 5:
		break;
	default:
		*start = 0;
		*last = 0;
	}
}

/* Mostly coherent, as every real IOMMU that binds without an opt-in. */
static uint32_t pick_coherency(struct fuzz *f)
{
	switch (below(f, f->sane ? 4 : 6)) {
	case 0:
		return IOASID_MOCK_INCOHERENT;
	case 1:
		return IOASID_MOCK_ENFORCE_SNOOP;
	case 4:
		return IOASID_MOCK_INCOHERENT | IOASID_MOCK_ENFORCE_SNOOP;
	case 5:
		return rnd(f);
	default:
		return 0;
	}
}

/* A host-owned device of some fd, or NULL. */
static struct dev_model *pick_host_owned(struct fuzz *f, int *fd)
{
	unsigned int i, j, first = below(f, NR_SLOTS);

	for (i = 0; i < NR_SLOTS; i++) {
		struct slot *o = &f->slots[(first + i) % NR_SLOTS];

		if (o->fd < 0)
			continue;
		for (j = 0; j < o->nr_devs; j++) {
			if (is_host_owned(&o->devs[j])) {
				*fd = o->fd;
				return &o->devs[j];
			}
		}
	}
	return NULL;
}

/*
 * A host-owned device, with PASIDs mostly, or another binding of one
 * that an fd holds, with the other fields left as they are now and then.
 */
static void gen_host_owned(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_test *t = &c->in.test;
	struct dev_model *d;
	int fd = -1;

	t->mock_device.flags |= IOASID_MOCK_HOST_OWNED;
	if (f->sane && !t->mock_device.pasid_bits)
		t->mock_device.pasid_bits = 1 + below(f, 20);
	d = one_in(f, 2) ? pick_host_owned(f, &fd) : NULL;
	if (!d && (f->sane || !one_in(f, 4)))
		return;
	t->mock_device.flags |= IOASID_MOCK_PASIDS_OF;
	if (!f->sane && one_in(f, 8))
		t->mock_device.flags &= ~IOASID_MOCK_HOST_OWNED;
	t->mock_device.group_fd = d ? fd : (int)below(f, 16) - 1;
	t->mock_device.group_dev = d && !one_in(f, 8) ? d->id :
				   pick_id(f, c->s, ID_ANY);
	if (!f->sane && one_in(f, 2))
		return;
	/* What a binding takes from its device. */
	t->mock_device.pgsize_bitmap = 0;
	t->mock_device.aperture_start = 0;
	t->mock_device.aperture_last = 0;
	t->mock_device.resv_start = 0;
	t->mock_device.resv_length = 0;
	t->mock_device.pasid_bits = 0;
	t->mock_device.flags &= IOASID_MOCK_HOST_OWNED |
				IOASID_MOCK_PASIDS_OF;
}

static void gen_mock_device(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct ioasid_test *t = &c->in.test;

	gen_test_junk(c);
	t->op = IOASID_TEST_MOCK_DEVICE;
	t->mock_device.pgsize_bitmap = pick_pgsizes(f);
	pick_aperture(f, &t->mock_device.aperture_start,
		      &t->mock_device.aperture_last);
	t->mock_device.resv_start = 0;
	t->mock_device.resv_length = 0;
	if (f->sane && one_in(f, 3)) {
		/* Where x86 has its MSI window. */
		t->mock_device.resv_start = 0xfee00000;
		t->mock_device.resv_length = SZ_1M;
	} else if (one_in(f, 3)) {
		t->mock_device.resv_start = pick_iova(f, s, SZ_2M);
		t->mock_device.resv_length = pick_len(f, 1024 * page);
	}
	t->mock_device.pasid_bits = one_in(f, 2) ? 0 : 1 + below(f, 20);
	t->mock_device.flags = pick_coherency(f);
	if (one_in(f, 4))
		t->mock_device.flags |= IOASID_MOCK_NO_DIRTY;
	if (one_in(f, 4))
		t->mock_device.flags |= IOASID_MOCK_NO_PRI;
	if (!f->sane && one_in(f, 16))
		t->mock_device.pasid_bits = IOASID_MOCK_PASID_BITS + 1 +
					    below(f, 64);
	if (one_in(f, 4))
		gen_host_owned(c);
	/*
	 * Enough of them: the kernel's memory stays bounded.  A binding of
	 * a device that exists would ignore the width.
	 */
	if (s->nr_devs >= MAX_DEVS ||
	    count_mock_devices() >= MAX_MOCK_DEVICES) {
		t->mock_device.pasid_bits = IOASID_MOCK_PASID_BITS + 1;
		t->mock_device.flags &= ~IOASID_MOCK_PASIDS_OF;
	}
}

/* The rules of MOCK_DEVICE when it makes a device. */
static void rules_new_device(struct call *c)
{
	struct verdict *v = &c->v;
	const struct ioasid_test *t = &c->in.test;
	uint64_t pgsizes = t->mock_device.pgsize_bitmap ?: IOASID_MOCK_PGSIZES;
	uint64_t start = t->mock_device.aperture_start;
	uint64_t last = t->mock_device.aperture_last;

	if (!(pgsizes & page) || (pgsizes & (page - 1)))
		must_fail(v, "the page sizes lack the CPU page or go below");
	if (start > last)
		must_fail(v, "the aperture ends before it starts");
	if (t->mock_device.pasid_bits > IOASID_MOCK_PASID_BITS)
		must_fail(v, "pasid_bits is too wide");
	if (t->mock_device.resv_length &&
	    wraps(t->mock_device.resv_start, t->mock_device.resv_length))
		must_fail(v, "the reserved region wraps");
	if (t->mock_device.flags & ~MOCK_DEVICE_FLAGS ||
	    t->mock_device.__reserved || t->mock_device.__reserved2)
		must_fail_with(v, "an unknown flag or a reserved field is set",
			       EOPNOTSUPP, 0);
	if (t->mock_device.flags & IOASID_MOCK_INCOHERENT &&
	    t->mock_device.flags & IOASID_MOCK_ENFORCE_SNOOP)
		must_fail(v, "an incoherent IOMMU cannot enforce snooping");
	if (!(t->mock_device.flags & IOASID_MOCK_HOST_OWNED) ||
	    t->mock_device.pasid_bits)
		return;
	/*
	 * Which of the rules broken the kernel looks at first is its own;
	 * the group to join is looked up before the device is made.
	 */
	if (v->must_fail || t->mock_device.group_dev)
		must_fail(v, "a host-owned device needs PASIDs");
	else
		must_fail_with(v, "a host-owned device needs PASIDs",
			       EOPNOTSUPP, 0);
}

/* The open slot whose fd is @fd, or NULL. */
static struct slot *slot_of_fd(struct fuzz *f, int fd)
{
	unsigned int i;

	for (i = 0; fd >= 0 && i < NR_SLOTS; i++)
		if (f->slots[i].fd == fd)
			return &f->slots[i];
	return NULL;
}

/*
 * PASIDS_OF makes no device: whether the kernel checks the fields that
 * would configure one is its own business, so only the device named is
 * judged, where the model knows the fd that holds it.
 */
static void rules_pasids_of(struct call *c)
{
	struct verdict *v = &c->v;
	const struct ioasid_test *t = &c->in.test;
	struct slot *o = slot_of_fd(c->f, t->mock_device.group_fd);
	struct dev_model *d;

	if (t->mock_device.group_fd < 0) {
		must_fail(v, "PASIDS_OF names no fd");
		return;
	}
	if (!o || !o->exact)
		return;
	d = find_dev(o, t->mock_device.group_dev);
	if (!d)
		must_fail(v, "PASIDS_OF names no device of the fd");
	else if (!is_host_owned(d))
		must_fail_with(v, "PASIDS_OF names a device that is not host-owned",
			       EINVAL, 0);
}

static void rules_mock_device(struct call *c)
{
	struct verdict *v = &c->v;
	const struct ioasid_test *t = &c->in.test;
	uint32_t flags = t->mock_device.flags;

	if (!(flags & IOASID_MOCK_PASIDS_OF)) {
		rules_new_device(c);
		return;
	}
	if (flags & ~MOCK_DEVICE_FLAGS || t->mock_device.__reserved ||
	    t->mock_device.__reserved2)
		must_fail_with(v, "an unknown flag or a reserved field is set",
			       EOPNOTSUPP, 0);
	else if (!(flags & IOASID_MOCK_HOST_OWNED))
		must_fail_with(v, "PASIDS_OF is for host-owned devices", EINVAL,
			       0);
	else
		rules_pasids_of(c);
}

/*
 * Whether the fields past pasid_bits that ask to share an IOMMU group
 * with another device are set: the model does not follow the attachments
 * of a group.
 */
static bool mock_device_extended(const struct ioasid_test *t)
{
	const uint8_t *p = (const uint8_t *)t;
	size_t i = PASID_BITS_END;

	for (; i < GROUP_DEV_END; i++)
		if (p[i])
			return true;
	return false;
}

static void done_mock_device(struct call *c)
{
	struct fuzz *f = c->f;
	uint32_t id = c->out.test.mock_device.out_id;
	uint32_t dev_id = c->out.test.mock_device.out_dev_id;
	const struct ioasid_test *t = &c->in.test;
	struct dev_model *d = NULL, *b;
	struct slot *o;

	/* A caller whose struct ends before out_dev_id cannot learn the ids. */
	if (c->env.size < OUT_DEV_ID_END) {
		c->s->exact = false;
		return;
	}
	if (!id || !dev_id || id == dev_id || id_in_use(c->s, id) ||
	    id_in_use(c->s, dev_id))
		fail_msg(f, "MOCK_DEVICE returned ids %u and %u: 0, equal or in use",
			 id, dev_id);
	if (!(t->mock_device.flags & IOASID_MOCK_PASIDS_OF)) {
		if (mock_device_extended(t)) {
			c->s->exact = false;
			return;
		}
		d = add_dev(c->s, id, dev_id, t->mock_device.pasid_bits,
			    t->mock_device.flags);
		if (!d)
			return;
		/* As the kernel fills in what the caller left out. */
		d->pgsizes = t->mock_device.pgsize_bitmap ?:
			     IOASID_MOCK_PGSIZES;
		d->ap_start = t->mock_device.aperture_start;
		d->ap_last = t->mock_device.aperture_last;
		if (!d->ap_start && !d->ap_last) {
			d->ap_start = IOASID_MOCK_APERTURE_START;
			d->ap_last = IOASID_MOCK_APERTURE_LAST;
		}
		return;
	}
	/* Another binding of a device the model knows, or of one it does not. */
	o = slot_of_fd(f, t->mock_device.group_fd);
	if (o && o->exact)
		d = find_dev(o, t->mock_device.group_dev);
	if (!d || !is_host_owned(d)) {
		c->s->exact = false;
		return;
	}
	b = add_dev(c->s, id, dev_id, d->pasid_bits, d->flags);
	if (!b)
		return;
	b->group = d->group;
	b->pgsizes = d->pgsizes;
	b->ap_start = d->ap_start;
	b->ap_last = d->ap_last;
}

static void gen_attach(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct map_model *m = pick_map(f, s);
	struct nest_model *n;
	unsigned int i;

	gen_test_junk(c);
	c->in.test.op = IOASID_TEST_ATTACH;
	c->in.test.id = pick_id(f, s, ID_DEV);
	c->in.test.ioasid = pick_id(f, s, ID_IOAS);
	/* Often a nested IOASID with a fault queue, for its own device. */
	n = one_in(f, 3) ? pick_queued_nest(f, s) : NULL;
	if (n && find_dev(s, n->dev)) {
		c->in.test.ioasid = n->id;
		c->in.test.id = n->dev;
		return;
	}
	if (s->nr_nests && one_in(f, 3)) {
		n = &s->nests[below(f, s->nr_nests)];
		/* Often one with a fault queue, where there is one. */
		if (one_in(f, 2))
			n = pick_queued_nest(f, s) ?: n;
		c->in.test.ioasid = n->id;
		/* Mostly the device it was made for. */
		if (n->dev && find_dev(s, n->dev) && !one_in(f, 3)) {
			c->in.test.id = n->dev;
			return;
		}
	}
	if (!f->sane)
		return;
	/* Mostly where there is something to reach, and a new device. */
	if (m && one_in(f, 2))
		c->in.test.ioasid = m->ioas;
	for (i = 0; i < s->nr_devs; i++)
		if (!s->devs[i].ioas && !is_host_owned(&s->devs[i]) &&
		    !one_in(f, 4))
			c->in.test.id = s->devs[i].id;
}

static void rules_attach(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	struct dev_model *d;

	if (id_is_bad(s, c->in.test.id, ID_DEV))
		must_fail(v, "the id names no mock device");
	if (id_is_bad(s, c->in.test.ioasid, ID_IOAS) &&
	    !find_nest(s, c->in.test.ioasid))
		must_fail(v, "the id names no IOASID");
	d = s->exact ? find_dev(s, c->in.test.id) : NULL;
	if (!v->must_fail && d && is_host_owned(d))
		must_fail_with(v, "the host keeps the device's requester ID",
			       EPERM, 0);
	/* Page requests are enabled before the table is joined. */
	if (!v->must_fail && d && d->ioas != c->in.test.ioasid &&
	    d->flags & IOASID_MOCK_NO_PRI &&
	    queue_of_nest(s, c->in.test.ioasid))
		must_fail_with(v, "the device cannot request pages", EOPNOTSUPP,
			       0);
	if (d && d->ioas != c->in.test.ioasid)
		rules_attach_nested(s, d, c->in.test.ioasid, true, v);
}

static void done_attach(struct call *c)
{
	struct dev_model *d = find_dev(c->s, c->in.test.id);

	if (find_nest(c->s, c->in.test.ioasid))
		count(&c->f->stats->nest_attaches);
	/* Leaving a nested IOASID answers what its queue holds of it. */
	if (d && d->ioas && d->ioas != c->in.test.ioasid)
		queues_forget(c->s, d->dev_id, d->ioas, 0);
	if (d)
		d->ioas = c->in.test.ioasid;
}

static void gen_detach(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;

	gen_test_junk(c);
	c->in.test.op = IOASID_TEST_DETACH;
	c->in.test.id = pick_id(f, s, ID_DEV);
}

static void rules_detach(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;

	if (id_is_bad(s, c->in.test.id, ID_DEV))
		must_fail(v, "the id names no mock device");
	else if (s->exact)
		must_succeed(v, "DETACH of a mock device");
}

static void done_detach(struct call *c)
{
	struct dev_model *d = find_dev(c->s, c->in.test.id);

	if (d && d->ioas)
		queues_forget(c->s, d->dev_id, d->ioas, 0);
	if (d)
		d->ioas = 0;
}

static uint32_t pick_pasid(struct fuzz *f, struct dev_model *d)
{
	if (f->sane && d && d->nr_pasids && one_in(f, 2))
		return d->pasid[below(f, d->nr_pasids)];
	if (f->sane && d && d->pasid_bits)
		return 1 + below(f, (1U << d->pasid_bits) - 1 < 7 ?
				    (1U << d->pasid_bits) - 1 : 7);
	switch (below(f, 10)) {
	case 0:
		return 0;
	case 1:
		return MOCK_MAX_PASID + below(f, 16);
	case 2:
		return rnd(f);
	case 3:
		return d && d->pasid_bits ? (1U << d->pasid_bits) - 1 : 1;
	case 4:
		return d && d->pasid_bits ? 1U << d->pasid_bits : 2;
	case 5:
	case 6:
		if (d && d->nr_pasids)
			return d->pasid[below(f, d->nr_pasids)];
		return 3;
	default:
		return 1 + below(f, 6);
	}
}

/*
 * A device whose requester ID (*@pasid 0) or PASID *@pasid is attached
 * to a nested IOASID with a fault queue, where it may request pages; or
 * NULL.
 */
static struct dev_model *pick_pri_target(struct fuzz *f, struct slot *s,
					 uint32_t *pasid)
{
	unsigned int i, j, first = below(f, MAX_DEVS);
	struct dev_model *d;

	for (i = 0; i < s->nr_devs; i++) {
		d = &s->devs[(first + i) % s->nr_devs];
		for (j = 0; j < d->nr_pasids; j++) {
			if (nest_has_queue(s, d->pasid_ioas[j]) &&
			    one_in(f, 2)) {
				*pasid = d->pasid[j];
				return d;
			}
		}
		if (nest_has_queue(s, d->ioas)) {
			*pasid = 0;
			return d;
		}
	}
	return NULL;
}

static void gen_dma(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct ioasid_test *t = &c->in.test;
	uint64_t len = 1 + below(f, 4 * page);
	struct map_model *m;
	struct dev_model *d;
	uint32_t pasid;

	gen_test_junk(c);
	d = pick_dma_target(f, s, &pasid, &m);
	/* Mostly where the device may request pages, if anywhere. */
	if (!one_in(f, 4) && pick_pri_target(f, s, &pasid)) {
		d = pick_pri_target(f, s, &pasid);
		m = NULL;
	}
	t->op = IOASID_TEST_DMA;
	t->id = d && !one_in(f, 8) ? d->id : pick_id(f, s, ID_DEV);
	if (one_in(f, 4))
		len = page * below(f, 64);
	else if (!f->sane && one_in(f, 20))
		len = rnd(f);
	t->dma.iova = pick_iova(f, s, len) + below(f, page);
	if (f->sane && m) {
		/* Within the mapping, and within the scratch buffer. */
		t->dma.iova = m->iova + below(f, m->len);
		len = 1 + below(f, m->iova + m->len - t->dma.iova);
		len = len < SCRATCH_LEN ? len : SCRATCH_LEN;
	}
	t->dma.length = len;
	t->dma.uptr = (uintptr_t)f->scratch + below(f, SCRATCH_LEN - len + 1);
	if (!f->sane && one_in(f, 10))
		t->dma.uptr = bad_pointer(f);
	else if (!f->sane && one_in(f, 10) && pick_live_buf(f))
		t->dma.uptr = (uintptr_t)pick_live_buf(f)->addr;
	else if (f->race_buf >= 0 && one_in(f, 2))
		t->dma.uptr = (uintptr_t)f->bufs[f->race_buf].addr;
	t->dma.to_iova = !f->sane && one_in(f, 20) ? 2 + below(f, 8) :
						    below(f, 2);
	t->dma.pasid = f->sane ? pasid : one_in(f, 4) ? pick_pasid(f, d) : 0;
	t->dma.out_fault_iova = !f->sane && one_in(f, 4) ? rnd(f) : 0;
	/*
	 * A device that can request pages waits a little for the answer,
	 * which nobody gives while the call runs: never long.
	 */
	t->dma.wait_ms = one_in(f, 3) ? 0 : below(f, 21);
	if (!f->sane && one_in(f, 40))
		t->dma.wait_ms = DMA_MAX_WAIT_MS + 1 + below(f, 1U << 20);
	t->dma.out_page_requests = 0;
	t->dma.out_response = 0;
}

/* The recorded mapping of @ioas that holds @iova, or NULL. */
static struct map_model *map_at(struct slot *s, uint32_t ioas, uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < s->nr_maps; i++)
		if (map_hits(&s->maps[i], ioas, iova, iova))
			return &s->maps[i];
	return NULL;
}

/* The IOAS the DMA of @d tagged with @pasid goes to; 0 when blocked. */
static uint32_t dma_ioas(const struct dev_model *d, uint32_t pasid)
{
	int i = find_pasid(d, pasid);

	if (!pasid)
		return d->ioas;
	return i < 0 ? 0 : d->pasid_ioas[i];
}

/*
 * What the model says of a transfer: it faults at once unless its first
 * IOVA is mapped with the permission it needs, and succeeds when it stays
 * within that mapping and the scratch buffer.
 */
static void predict_dma(struct call *c, const struct dev_model *d)
{
	const struct ioasid_test *t = &c->in.test;
	uint32_t need = t->dma.to_iova ? IOASID_MAP_WRITE : IOASID_MAP_READ;
	uint64_t uptr = t->dma.uptr, scratch = (uintptr_t)c->f->scratch;
	uint32_t ioas = dma_ioas(d, t->dma.pasid);
	struct map_model *m = ioas ? map_at(c->s, ioas, t->dma.iova) : NULL;
	/* EIO comes with out_fault_iova, which may not be writable. */
	int or_err = c->env.place == PL_READONLY ||
		     c->env.place == PL_STRADDLE_RO ? EFAULT : 0;

	/*
	 * Stage 1 is whatever the parent's pages hold: it may fault, and
	 * the device request the page, which done_dma() judges.
	 */
	if (t->dma.wait_ms && queue_of_nest(c->s, ioas)) {
		c->pri = true;
		c->pri_efault = or_err;
		return;
	}
	if (find_nest(c->s, ioas))
		may_fail_with(&c->v, "stage 1 may fault", EIO, or_err);
	else if (!m)
		must_fail_with(&c->v, "the device reaches nothing there", EIO,
			       or_err);
	else if (!(m->flags & need))
		must_fail_with(&c->v, "the mapping lacks the permission", EIO,
			       or_err);
	else if (t->dma.iova - m->iova + t->dma.length <= m->len &&
		 uptr >= scratch && uptr - scratch + t->dma.length <=
		 SCRATCH_LEN)
		must_succeed(&c->v, "a transfer within a mapping it reaches");
}

static void rules_dma(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	const struct ioasid_test *t = &c->in.test;

	if (t->dma.to_iova > 1)
		must_fail(v, "to_iova is neither 0 nor 1");
	if (!t->dma.length || t->dma.length > UINT64_MAX - t->dma.iova)
		must_fail(v, "the length is 0 or the range wraps");
	if (id_is_bad(s, t->id, ID_DEV))
		must_fail(v, "the id names no mock device");
	else if (t->dma.wait_ms > DMA_MAX_WAIT_MS && s->exact)
		must_fail_with(v, "wait_ms is above 10000", EINVAL, 0);
	if (t->dma.wait_ms > DMA_MAX_WAIT_MS)
		must_fail(v, "wait_ms is above 10000");
	if (!v->must_fail && s->exact)
		predict_dma(c, find_dev(s, t->id));
}

/*
 * Where the CPU sees the pages behind @iova of mapping @m, when it still
 * can and nobody else writes them meanwhile.
 */
static uint8_t *cpu_view(struct fuzz *f, const struct map_model *m,
			 uint64_t iova)
{
	struct buf *b = m->gen ? buf_at(f, m->uva) : NULL;
	unsigned int i;

	if (!b || b->gen != m->gen)
		return NULL;
	/* Children write their own mappings of shared memory. */
	for (i = 0; b->kind == BUF_MEMFD && i < MAX_CHILDREN; i++)
		if (f->child || f->children[i])
			return NULL;
	return (uint8_t *)(uintptr_t)(m->uva + (iova - m->iova));
}

/* A transfer must move the bytes of the pages that were mapped. */
static void check_dma_data(struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	const struct dev_model *d = find_dev(c->s, t->id);
	struct map_model *m = map_at(c->s, dma_ioas(d, t->dma.pasid),
				     t->dma.iova);
	uint8_t *cpu = m ? cpu_view(c->f, m, t->dma.iova) : NULL;

	if (!cpu || !c->v.must_succeed ||
	    !memcmp(cpu, (void *)(uintptr_t)t->dma.uptr, t->dma.length))
		return;
	if (fail_msg(c->f, "DMA %s moved other bytes than the CPU sees at %p",
		     t->dma.to_iova ? "to the IOVA" : "from the IOVA", cpu))
		describe_call(c, "DMA", sizeof(*t));
}

/*
 * A page request nobody answers while the call runs: the queue holds it
 * when the device gives up, and the model learns its group.
 */
static void dma_left_request(struct call *c, struct queue_model *q,
			     const struct dev_model *d, uint32_t ioasid)
{
	const struct ioasid_test *t = &c->in.test;
	struct held_model *h;

	if (q->fd < 0 || q->nr_held >= q->depth) {
		if (fail_msg(c->f, "DMA: ETIMEDOUT, but queue %u is %s",
			     q->id, q->fd < 0 ? "closed" : "full"))
			describe_call(c, "DMA", sizeof(*t));
		return;
	}
	if (q->nr_held == MAX_HELD) {
		q->fuzzy = true;
		return;
	}
	h = &q->held[q->nr_held++];
	memset(h, 0, sizeof(*h));
	h->dev_id = d->dev_id;
	h->ioasid = ioasid;
	h->pasid = t->dma.pasid;
	h->perm = t->dma.to_iova ? IOASID_FAULT_PERM_WRITE :
				   IOASID_FAULT_PERM_READ;
	h->lost = q->lost;
	h->first = t->dma.iova & ~(page - 1);
	h->last = (t->dma.iova + t->dma.length - 1) & ~(page - 1);
	q->lost = 0;
}

/*
 * Of a DMA that may request pages: the device waits for the answer and
 * gives up (ETIMEDOUT) unless the kernel answers at once, which it does
 * for a queue that is full or whose fd is closed.  Where no child shares
 * the fd, only that can answer while the call runs, and never with
 * success; elsewhere another process may answer, and the device retry.
 */
static void done_dma_requests(struct call *c, struct dev_model *d)
{
	struct fuzz *f = c->f;
	const struct ioasid_test *t = &c->in.test;
	const struct ioasid_test *o = &c->out.test;
	uint32_t ioasid = d ? dma_ioas(d, t->dma.pasid) : 0;
	struct queue_model *q = d ? queue_of_nest(c->s, ioasid) : NULL;
	bool outs = c->env.size >= sizeof(*t) && c->env.place == PL_NORMAL;
	uint32_t reqs = o->dma.out_page_requests;
	bool alone = !f->child && c->s->exact, shown = false;

	if (c->err == ETIMEDOUT && !t->dma.wait_ms)
		shown = fail_msg(f, "DMA: ETIMEDOUT, but it waits for nothing");
	else if (c->pri && !c->v.must_fail && c->err && c->err != EIO &&
		 c->err != ETIMEDOUT && c->err != EINTR &&
		 !(c->pri_efault && c->err == EFAULT))
		shown = fail_msg(f, "DMA: %s through a nested IOASID with a fault queue",
				 errno_name(c->err));
	else if (!c->err && outs && reqs && alone)
		shown = fail_msg(f, "DMA: done after %u page requests nobody answered",
				 reqs);
	else if (c->err == EIO && outs &&
		 ((reqs && !t->dma.wait_ms) || (!reqs && o->dma.out_response) ||
		  (alone && (reqs > 1 ||
			     (reqs && (o->dma.out_fault_stage != 1 ||
				       (o->dma.out_response !=
					IOASID_FAULT_RESPONSE_INVALID &&
					o->dma.out_response !=
					IOASID_FAULT_RESPONSE_FAILURE)))))))
		shown = fail_msg(f, "DMA: EIO after %u page requests, response %u, stage %u",
				 reqs, o->dma.out_response,
				 o->dma.out_fault_stage);
	else if (c->err == ETIMEDOUT && d && !c->pri)
		shown = fail_msg(f, "DMA: ETIMEDOUT through IOASID %u, which has no fault queue",
				 ioasid);
	if (shown)
		describe_call(c, "DMA", sizeof(*t));
	if (c->err == EIO && outs && reqs)
		count(&f->stats->pri_answered);
	if (!c->pri || !queue_certain(c->s, q))
		return;
	if (c->err == ETIMEDOUT) {
		count(&f->stats->pri_queued);
		dma_left_request(c, q, d, ioasid);
	} else if (c->err && q->fd >= 0) {
		/* A request answered at once says LOST once it was full. */
		if (!outs || (reqs && q->nr_held < q->depth))
			q->lost = -1;
		else if (reqs)
			q->lost = 1;
	}
}

static void done_dma(struct call *c)
{
	struct fuzz *f = c->f;
	const struct ioasid_test *t = &c->in.test;
	uint64_t fault = c->out.test.dma.out_fault_iova;
	uint32_t stage = c->out.test.dma.out_fault_stage;
	struct dev_model *d = c->s->exact ? find_dev(c->s, t->id) : NULL;
	bool nested = d && find_nest(c->s, dma_ioas(d, t->dma.pasid));

	done_dma_requests(c, d);
	if (nested && (!c->err || c->err == EIO))
		count(&f->stats->nest_dmas[c->err ? (stage == 1 ? 1 : 2) : 0]);
	if (!c->err && c->s->exact && !nested)
		check_dma_data(c);
	if (c->err != EIO || c->env.size < sizeof(*t) ||
	    c->env.place != PL_NORMAL)
		return;
	if (fault < t->dma.iova || fault - t->dma.iova >= t->dma.length)
		fail_msg(f, "DMA: fault at %llx, outside [%llx, +%llx)",
			 ULL(fault), ULL(t->dma.iova), ULL(t->dma.length));
	/* Only a nested IOASID has stages to tell apart. */
	if (d && (nested ? stage != 1 && stage != 2 : stage != 0) &&
	    fail_msg(f, "DMA: fault at stage %u through %s IOASID", stage,
		     nested ? "a nested" : "a plain"))
		describe_call(c, "DMA", sizeof(*t));
}

static void gen_iopte(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct ioasid_test *t = &c->in.test;
	struct map_model *m;
	struct dev_model *d;
	uint32_t pasid;

	gen_test_junk(c);
	d = pick_dma_target(f, s, &pasid, &m);
	t->op = IOASID_TEST_IOPTE;
	t->id = d && !one_in(f, 8) ? d->id : pick_id(f, s, ID_DEV);
	t->iopte.iova = pick_iova(f, s, page);
	if (f->sane && m)
		t->iopte.iova = m->iova + below(f, m->len);
	t->iopte.pasid = f->sane ? pasid : one_in(f, 4) ? pick_pasid(f, d) : 0;
}

static void rules_iopte(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	const struct ioasid_test *t = &c->in.test;
	struct dev_model *d = find_dev(s, t->id);
	uint32_t ioas;

	if (id_is_bad(s, t->id, ID_DEV)) {
		must_fail(v, "the id names no mock device");
		return;
	}
	if (t->iopte.__reserved) {
		must_fail_with(v, "the reserved field is set", EOPNOTSUPP, 0);
		return;
	}
	if (!s->exact)
		return;
	ioas = dma_ioas(d, t->iopte.pasid);
	/*
	 * A PASID another binding of the device attached: the mock IOMMU
	 * may look it up in that binding's table.
	 */
	if (!ioas && t->iopte.pasid && is_host_owned(d))
		return;
	/*
	 * Through a nested IOASID, stage 1 is whatever the parent's pages
	 * hold; a table the parent maps without READ cannot be walked, which
	 * the mock IOMMU says with EPERM.
	 */
	if (ioas && find_nest(s, ioas))
		may_fail_with(v, "stage 1 may not translate", ENOENT, EPERM);
	else if (!ioas)
		must_fail_with(v, "the device or PASID is detached", ENODEV, 0);
	else if (!map_at(s, ioas, t->iopte.iova))
		must_fail_with(v, "nothing is mapped there", ENOENT, 0);
	else
		must_succeed(v, "the IOVA is mapped where the device is");
}

/*
 * The prot bits a mapping's IOPTE has in the table of @d, and whether
 * the table refuses no-snoop DMA: what the device's IOMMU says of its
 * coherency decides both.
 */
static uint32_t expected_prot(const struct map_model *m,
			      const struct dev_model *d)
{
	return (m->flags & IOASID_MAP_READ ? IOPTE_READ : 0) |
	       (m->flags & IOASID_MAP_WRITE ? IOPTE_WRITE : 0) |
	       (d->flags & IOASID_MOCK_INCOHERENT ? 0 : IOPTE_CACHE);
}

static void done_iopte(struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	uint64_t size = c->out.test.iopte.out_pgsize;
	uint32_t prot = c->out.test.iopte.out_prot;
	uint32_t flags = c->out.test.iopte.out_flags;
	struct dev_model *d = find_dev(c->s, t->id);
	struct map_model *m = NULL;
	bool snoop;

	if (c->s->exact)
		m = map_at(c->s, dma_ioas(d, t->iopte.pasid), t->iopte.iova);
	snoop = d && d->flags & IOASID_MOCK_ENFORCE_SNOOP;
	if (!is_pow2(size) || size < page ||
	    prot & ~(IOPTE_RW | IOPTE_CACHE) ||
	    flags & ~(IOASID_MOCK_PTE_SNOOP | IOASID_MOCK_PTE_DIRTY) ||
	    (m && prot != expected_prot(m, d)) ||
	    (m && !!(flags & IOASID_MOCK_PTE_SNOOP) != snoop))
		fail_msg(c->f, "IOPTE at %llx: page size %llx, prot %x, flags %x",
			 ULL(t->iopte.iova), ULL(size), prot, flags);
}

static void gen_pinned(struct call *c)
{
	gen_test_junk(c);
	c->in.test.op = IOASID_TEST_PINNED;
}

static void rules_pinned(struct call *c)
{
	struct verdict *v = &c->v;

	must_succeed(v, "PINNED");
}

static void gen_attach_pasid(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct nest_model *n = one_in(f, 3) ? pick_queued_nest(f, s) : NULL;
	struct dev_model *d = n ? find_dev(s, n->dev) : NULL;

	/* Often a nested IOASID with a fault queue, for its own device. */
	if (!d)
		d = pick_dev_model(f, s);
	gen_test_junk(c);
	c->in.test.op = IOASID_TEST_ATTACH_PASID;
	c->in.test.id = d && !one_in(f, 8) ? d->id : pick_id(f, s, ID_DEV);
	c->in.test.ioasid = pick_id(f, s, ID_IOAS);
	if (s->nr_nests && one_in(f, 3))
		c->in.test.ioasid = pick_nest_id(f, s);
	if (n)
		c->in.test.ioasid = n->id;
	c->in.test.pasid.pasid = pick_pasid(f, d);
	c->in.test.pasid.__reserved = junk32(f, 24);
}

/* The rules on the PASID that need the model, once the fields pass. */
static void rules_pasid_model(const struct dev_model *d,
			      const struct ioasid_test *t, struct verdict *v)
{
	if (!d->pasid_bits)
		must_fail(v, "the device has no PASIDs");
	else if (t->pasid.pasid >= 1U << d->pasid_bits)
		must_fail(v, "the PASID is wider than the device's");
}

static void rules_attach_pasid(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	const struct ioasid_test *t = &c->in.test;
	struct dev_model *d;
	int i;

	if (t->pasid.__reserved)
		must_fail(v, "pasid.__reserved is not zero");
	if (!t->pasid.pasid || t->pasid.pasid >= MOCK_MAX_PASID)
		must_fail(v, "the PASID is 0 or wider than the IOMMU's");
	if (id_is_bad(s, t->id, ID_DEV))
		must_fail(v, "the id names no mock device");
	if (id_is_bad(s, t->ioasid, ID_IOAS) && !find_nest(s, t->ioasid))
		must_fail(v, "the id names no IOASID");
	if (v->must_fail || !s->exact)
		return;
	d = find_dev(s, t->id);
	rules_pasid_model(d, t, v);
	i = find_pasid(d, t->pasid.pasid);
	if (!v->must_fail && (i < 0 || d->pasid_ioas[i] != t->ioasid) &&
	    d->flags & IOASID_MOCK_NO_PRI && queue_of_nest(s, t->ioasid))
		must_fail_with(v, "the device cannot request pages", EOPNOTSUPP,
			       0);
	if (i < 0 || d->pasid_ioas[i] != t->ioasid)
		rules_attach_nested(s, d, t->ioasid, false, v);
}

static void done_attach_pasid(struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	struct dev_model *d = find_dev(c->s, t->id);
	int i = d ? find_pasid(d, t->pasid.pasid) : -1;

	if (find_nest(c->s, t->ioasid))
		count(&c->f->stats->nest_pasids);
	if (i >= 0 && d->pasid_ioas[i] != t->ioasid)
		queues_forget(c->s, d->dev_id, d->pasid_ioas[i],
			      t->pasid.pasid);
	if (i >= 0)
		d->pasid_ioas[i] = t->ioasid;	/* moved, or attached again */
	if (!d || i >= 0)
		return;
	if (d->nr_pasids == MAX_PASIDS) {
		c->s->exact = false;
		return;
	}
	d->pasid[d->nr_pasids] = t->pasid.pasid;
	d->pasid_ioas[d->nr_pasids++] = t->ioasid;
}

static void gen_detach_pasid(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct dev_model *d = pick_dev_model(f, s);

	gen_test_junk(c);
	c->in.test.op = IOASID_TEST_DETACH_PASID;
	c->in.test.id = d && !one_in(f, 8) ? d->id : pick_id(f, s, ID_DEV);
	c->in.test.pasid.pasid = pick_pasid(f, d);
	c->in.test.pasid.__reserved = junk32(f, 24);
}

static void rules_detach_pasid(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	const struct ioasid_test *t = &c->in.test;

	if (t->pasid.__reserved)
		must_fail(v, "pasid.__reserved is not zero");
	if (id_is_bad(s, t->id, ID_DEV))
		must_fail(v, "the id names no mock device");
	if (v->must_fail || !s->exact)
		return;
	if (find_pasid(find_dev(s, t->id), t->pasid.pasid) < 0)
		must_fail_with(v, "the PASID is not attached", ENOENT, 0);
	else
		must_succeed(v, "DETACH_PASID of an attached PASID");
}

static void done_detach_pasid(struct call *c)
{
	struct dev_model *d = find_dev(c->s, c->in.test.id);
	int i = d ? find_pasid(d, c->in.test.pasid.pasid) : -1;

	if (i < 0)
		return;
	queues_forget(c->s, d->dev_id, d->pasid_ioas[i], c->in.test.pasid.pasid);
	d->nr_pasids--;
	d->pasid[i] = d->pasid[d->nr_pasids];
	d->pasid_ioas[i] = d->pasid_ioas[d->nr_pasids];
}

/* Emulated devices */

#define ACC_WRITE	IOASID_MOCK_ACCESS_WRITE
#define ACC_KEEP	IOASID_MOCK_ACCESS_KEEP_PINS
#define ACC_MIRROR	IOASID_MOCK_ACCESS_MIRROR

static struct acc_model *pick_acc(struct fuzz *f, struct slot *s)
{
	return s->nr_accs ? &s->accs[below(f, s->nr_accs)] : NULL;
}

/*
 * The id of an access op: mostly @a's, else any.  Clears KEEP_PINS, which
 * the junk may have set: a driver that keeps its pins is a bug of its own,
 * which the fuzzer never asks for.
 */
static void access_target(struct call *c, uint32_t op, struct acc_model *a)
{
	struct ioasid_test *t = &c->in.test;

	gen_test_junk(c);
	t->op = op;
	t->id = a && !one_in(c->f, 8) ? a->id : pick_id(c->f, c->s, ID_ACC);
	t->access.flags &= ~ACC_KEEP;
}

/* Flags of a pin or a copy: WRITE or not, now and then an unknown one. */
static uint32_t access_flags(struct fuzz *f, bool write)
{
	uint32_t flags = write ? ACC_WRITE : 0;

	if (!f->sane && one_in(f, 16))
		flags |= 1U << (2 + below(f, 30));
	return flags;
}

static void gen_access_create(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_test *t = &c->in.test;

	gen_test_junk(c);
	t->op = IOASID_TEST_ACCESS_CREATE;
	t->access.flags = junk32(f, 8) & ~(ACC_KEEP | ACC_MIRROR);
	/* Enough of them: the kernel's memory stays bounded. */
	if (c->s->nr_accs >= MAX_ACCS)
		t->access.flags |= 1U << (3 + below(f, 29));
}

static void rules_access_create(struct call *c)
{
	struct verdict *v = &c->v;

	if (c->in.test.access.flags & ~(ACC_KEEP | ACC_MIRROR))
		must_fail_with(v, "an unknown flag is set", EOPNOTSUPP, 0);
	else
		must_succeed(v, "a well-formed ACCESS_CREATE");
}

static void done_access_create(struct call *c)
{
	uint32_t id = c->out.test.access.out_id;

	if (!id || id_in_use(c->s, id))
		fail_msg(c->f, "ACCESS_CREATE returned id %u, which is 0 or in use",
			 id);
	add_acc(c->s, id);
}

static void gen_access_attach(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct map_model *m = pick_map(f, s);

	access_target(c, IOASID_TEST_ACCESS_ATTACH, pick_acc(f, s));
	c->in.test.ioasid = pick_id(f, s, ID_IOAS);
	/* Mostly where there is something to reach. */
	if (m && (f->sane || one_in(f, 2)))
		c->in.test.ioasid = m->ioas;
}

static void rules_access_attach(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;

	if (id_is_bad(s, c->in.test.id, ID_ACC))
		must_fail(v, "the id names no emulated device");
	if (id_is_bad(s, c->in.test.ioasid, ID_IOAS))
		must_fail(v, "the id names no IOASID");
	if (!v->must_fail && s->exact)
		must_succeed(v, "an attach of a driver that unpins when asked");
}

/*
 * An attach or a detach that succeeded first called the driver back for
 * every IOVA if it held pins, and it unpinned them all; one that failed
 * may have.  Without pins, whether it is called is not said.
 */
static void access_moved(struct call *c, uint32_t ioas)
{
	struct acc_model *a = find_acc(c->s, c->in.test.id);
	bool had, lost;

	if (!a)
		return;
	/* One that had to fail for its fields never reached the driver. */
	if (c->err) {
		a->lost |= a->nr_pins > 0 && !c->v.must_fail;
		return;
	}
	had = a->nr_pins > 0;
	lost = a->lost;
	a->ioas = ioas;
	a->nr_pins = 0;
	a->lost = false;
	if (lost)
		check_books(c->f, c->s, a, 0, UINT64_MAX, 1, 0);
	else
		check_books(c->f, c->s, a, had, 1, 0, UINT64_MAX);
}

static void done_access_attach(struct call *c)
{
	access_moved(c, c->in.test.ioasid);
}

static void gen_access_detach(struct call *c)
{
	access_target(c, IOASID_TEST_ACCESS_DETACH, pick_acc(c->f, c->s));
}

static void rules_access_detach(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;

	if (id_is_bad(s, c->in.test.id, ID_ACC))
		must_fail(v, "the id names no emulated device");
	else if (s->exact)
		must_succeed(v, "a detach of a driver that unpins when asked");
}

static void done_access_detach(struct call *c)
{
	access_moved(c, 0);
}

/*
 * An IOVA range for a pin or a copy: mostly in a mapping of the IOASID
 * @a is attached to, whole pages when @pages; else anywhere.
 */
static struct map_model *access_range(struct call *c, struct acc_model *a,
				      bool pages)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;
	struct ioasid_test *t = &c->in.test;
	struct map_model *m = a && a->ioas ? pick_map_of(f, s, a->ioas) : NULL;
	uint64_t left, len;

	m = m ?: pick_map(f, s);
	if (!m || (!f->sane && one_in(f, 4))) {
		len = pages ? pick_len(f, 8 * page) : 1 + below(f, 4 * page);
		if (!pages && !f->sane && one_in(f, 8))
			len = one_in(f, 2) ? 0 : rnd(f);
		t->access.iova = pick_iova(f, s, len);
		if (!pages)
			t->access.iova += below(f, page);
		t->access.length = len;
		return NULL;
	}
	if (pages) {
		t->access.iova = m->iova + page * below(f, m->len / page);
		left = m->iova + m->len - t->access.iova;
		len = page * (1 + below(f, 8));
	} else {
		t->access.iova = m->iova + below(f, m->len);
		left = m->iova + m->len - t->access.iova;
		len = 1 + below(f, 4 * page);
	}
	/* Within the mapping, or now and then past it, into the next. */
	if (len > left && (f->sane || !one_in(f, 4)))
		len = left;
	t->access.length = len;
	return m;
}

/* A buffer for a copy: mostly in the scratch buffer, else anywhere. */
static void access_uptr(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_test *t = &c->in.test;
	uint64_t len = t->access.length;

	t->access.uptr = (uintptr_t)f->scratch;
	if (len <= SCRATCH_LEN)
		t->access.uptr += below(f, SCRATCH_LEN - len + 1);
	if (!f->sane && one_in(f, 10))
		t->access.uptr = bad_pointer(f);
	else if (!f->sane && one_in(f, 10) && pick_live_buf(f))
		t->access.uptr = (uintptr_t)pick_live_buf(f)->addr;
	else if (f->race_buf >= 0 && one_in(f, 2))
		t->access.uptr = (uintptr_t)f->bufs[f->race_buf].addr;
}

/* Whether the copy's buffer is all in the scratch buffer. */
static bool uptr_in_scratch(const struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	uint64_t scratch = (uintptr_t)c->f->scratch;

	return t->access.uptr >= scratch &&
	       t->access.length <= SCRATCH_LEN &&
	       t->access.uptr - scratch <= SCRATCH_LEN - t->access.length;
}

/*
 * Whether each byte of [@iova, @iova + @len) is mapped in @ioas with the
 * permission @need: 0, ENOENT when some is not mapped, EPERM when all are
 * but some lack it, -1 when both.
 */
static int model_reach(struct slot *s, uint32_t ioas, uint64_t iova,
		       uint64_t len, uint32_t need)
{
	uint64_t last = iova + len - 1, covered = 0;
	bool perm = false;
	unsigned int i;

	for (i = 0; i < s->nr_maps; i++) {
		const struct map_model *m = &s->maps[i];
		uint64_t lo, hi;

		if (!map_hits(m, ioas, iova, last))
			continue;
		lo = m->iova > iova ? m->iova : iova;
		hi = m->iova + m->len - 1 < last ? m->iova + m->len - 1 : last;
		covered += hi - lo + 1;
		perm |= !(m->flags & need);
	}
	if (covered != len)
		return perm ? -1 : ENOENT;
	return perm ? EPERM : 0;
}

/*
 * What reaching the IOVAs of the call through emulated device @a must do,
 * @or_err aside: ENODEV detached, ENOENT or EPERM as the mappings say.
 * Returns whether the call may succeed.
 */
static bool predict_reach(struct call *c, struct acc_model *a, int or_err)
{
	const struct ioasid_test *t = &c->in.test;
	uint32_t need = t->access.flags & ACC_WRITE ? IOASID_MAP_WRITE :
						      IOASID_MAP_READ;
	int err;

	if (!a->ioas) {
		must_fail_with(&c->v, "the emulated device is detached", ENODEV,
			       or_err);
		return false;
	}
	err = model_reach(c->s, a->ioas, t->access.iova, t->access.length,
			  need);
	if (err == ENOENT)
		must_fail_with(&c->v, "some IOVA of the range is not mapped",
			       ENOENT, or_err);
	else if (err == EPERM)
		must_fail_with(&c->v, "a mapping lacks the permission", EPERM,
			       or_err);
	else if (err)
		must_fail(&c->v, "some IOVA is not mapped, some lacks the permission");
	return !err;
}

static void gen_access_pin(struct call *c)
{
	struct fuzz *f = c->f;
	struct acc_model *a = pick_acc(f, c->s);
	struct map_model *m;

	access_target(c, IOASID_TEST_ACCESS_PIN, a);
	m = access_range(c, a, true);
	c->in.test.access.flags =
		access_flags(f, m && (m->flags & IOASID_MAP_WRITE) ?
				one_in(f, 2) : one_in(f, 4));
}

/* The rules a pin and an unpin share, on the range and the id. */
static void rules_pin_range(struct call *c)
{
	struct verdict *v = &c->v;
	const struct ioasid_test *t = &c->in.test;
	uint64_t iova = t->access.iova, len = t->access.length;

	if (!aligned(iova) || !len || !aligned(len))
		must_fail(v, "the range is empty or not page aligned");
	else if (wraps(iova, len))
		must_fail(v, "the range wraps");
	if (id_is_bad(c->s, t->id, ID_ACC))
		must_fail(v, "the id names no emulated device");
}

/*
 * A pin longer than any mapping the fuzzer makes may be refused for its
 * length before the mappings are looked at: that it fails is all that is
 * said of it.
 */
static void rules_access_pin(struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	struct acc_model *a;

	if (t->access.flags & ~ACC_WRITE)
		must_fail(v, "an unknown flag is set");
	rules_pin_range(c);
	if (v->must_fail || !s->exact)
		return;
	a = find_acc(s, t->id);
	if (t->access.length <= THP_LEN) {
		if (predict_reach(c, a, 0))
			must_succeed(v, "every page is mapped with the permission");
	} else if (!a->ioas || model_reach(s, a->ioas, t->access.iova,
					   t->access.length,
					   MAP_RW) == ENOENT) {
		must_fail(v, "some IOVA of a long range is not mapped");
	}
}

/* A pin that failed pins nothing; one that worked is one record. */
static void done_access_pin(struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	struct acc_model *a = find_acc(c->s, t->id);

	if (!a)
		return;
	if (!c->err && !a->lost) {
		if (a->nr_pins == MAX_PINS) {
			a->lost = true;
			return;
		}
		a->pins[a->nr_pins++] = (struct pin_model){
			.iova = t->access.iova,
			.len = t->access.length,
			.write = t->access.flags & ACC_WRITE,
		};
	}
	check_books(c->f, c->s, a, 0, 0, 1, 0);
}

static void gen_access_unpin(struct call *c)
{
	struct fuzz *f = c->f;
	struct acc_model *a = pick_acc(f, c->s);
	struct ioasid_test *t = &c->in.test;
	const struct pin_model *p;

	access_target(c, IOASID_TEST_ACCESS_UNPIN, a);
	if (!a || !a->nr_pins || (!f->sane && one_in(f, 4))) {
		access_range(c, a, true);
		return;
	}
	p = &a->pins[below(f, a->nr_pins)];
	t->access.iova = p->iova;
	t->access.length = p->len;
	if (f->sane || one_in(f, 2))
		return;
	/* Part of a pin, or more than it */
	if (one_in(f, 2))
		t->access.iova += page * (one_in(f, 2) ? 1 : -1);
	else
		t->access.length += page * (one_in(f, 2) ? 1 : -1);
}

/* The pin of @a that is exactly [@iova, @iova + @len), or -1. */
static int find_pin(const struct acc_model *a, uint64_t iova, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < a->nr_pins; i++)
		if (a->pins[i].iova == iova && a->pins[i].len == len)
			return i;
	return -1;
}

static void rules_access_unpin(struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	struct acc_model *a;

	rules_pin_range(c);
	if (v->must_fail || !s->exact)
		return;
	a = find_acc(s, t->id);
	if (a->lost)
		return;
	if (find_pin(a, t->access.iova, t->access.length) >= 0)
		must_succeed(v, "the range is one pin it holds");
	else if (a->ioas)
		must_fail_with(v, "the range is no pin it holds", ENXIO, 0);
	else
		must_fail(v, "a detached emulated device holds no pin");
}

static void done_access_unpin(struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	struct acc_model *a = find_acc(c->s, t->id);
	int i = a ? find_pin(a, t->access.iova, t->access.length) : -1;

	if (!a)
		return;
	if (i >= 0)
		a->pins[i] = a->pins[--a->nr_pins];
	check_books(c->f, c->s, a, 0, 0, 1, 0);
}

/*
 * A copy by an emulated device must move the bytes the CPU sees at its
 * IOVAs, when they are all in one mapping whose buffer is still there.
 */
static void check_access_data(struct call *c, const char *name)
{
	const struct ioasid_test *t = &c->in.test;
	struct acc_model *a = find_acc(c->s, t->id);
	struct map_model *m;
	uint8_t *cpu;

	if (!a || !a->ioas || !c->s->exact || !uptr_in_scratch(c))
		return;
	m = map_at(c->s, a->ioas, t->access.iova);
	if (!m || t->access.iova - m->iova + t->access.length > m->len)
		return;
	cpu = cpu_view(c->f, m, t->access.iova);
	if (!cpu || !memcmp(cpu, (void *)(uintptr_t)t->access.uptr,
			    t->access.length))
		return;
	if (fail_msg(c->f, "%s %s moved other bytes than the CPU sees at %p",
		     name, t->access.flags & ACC_WRITE ? "to the IOVA" :
		     "from the IOVA", cpu))
		describe_call(c, name, sizeof(*t));
}

static void gen_access_rw(struct call *c)
{
	struct fuzz *f = c->f;
	struct acc_model *a = pick_acc(f, c->s);
	struct map_model *m;

	access_target(c, IOASID_TEST_ACCESS_RW, a);
	m = access_range(c, a, false);
	access_uptr(c);
	c->in.test.access.flags =
		access_flags(f, m && (m->flags & IOASID_MAP_WRITE) ?
				one_in(f, 2) : one_in(f, 4));
}

/* The rules a copy with and without pins share. */
static void rules_copy_args(struct call *c)
{
	struct verdict *v = &c->v;
	const struct ioasid_test *t = &c->in.test;

	if (t->access.flags & ~ACC_WRITE)
		must_fail(v, "an unknown flag is set");
	if (!t->access.length || wraps(t->access.iova, t->access.length))
		must_fail(v, "the length is 0 or the range wraps");
	if (id_is_bad(c->s, t->id, ID_ACC))
		must_fail(v, "the id names no emulated device");
}

static void rules_access_rw(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	bool good = uptr_in_scratch(c);

	rules_copy_args(c);
	if (v->must_fail || !s->exact || c->in.test.access.length > SCRATCH_LEN)
		return;
	/* The buffer may be copied first, and fault before the IOVAs. */
	if (predict_reach(c, find_acc(s, c->in.test.id), good ? 0 : EFAULT) &&
	    good)
		must_succeed(v, "a copy within mappings it reaches");
}

/* Copies pin nothing. */
static void done_access_rw(struct call *c)
{
	struct acc_model *a = find_acc(c->s, c->in.test.id);

	check_access_data(c, "ACCESS_RW");
	if (a)
		check_books(c->f, c->s, a, 0, 0, 1, 0);
}

static void gen_access_dma(struct call *c)
{
	struct fuzz *f = c->f;
	struct acc_model *a = pick_acc(f, c->s);
	struct ioasid_test *t = &c->in.test;
	const struct pin_model *p;

	access_target(c, IOASID_TEST_ACCESS_DMA, a);
	if (!a || !a->nr_pins || (!f->sane && one_in(f, 4))) {
		access_range(c, a, false);
		access_uptr(c);
		t->access.flags = access_flags(f, one_in(f, 2));
		return;
	}
	/* Within a pin, or now and then past it. */
	p = &a->pins[below(f, a->nr_pins)];
	t->access.iova = p->iova + below(f, p->len);
	t->access.length = 1 + below(f, p->iova + p->len - t->access.iova);
	if (!f->sane && one_in(f, 4))
		t->access.length += 1 + below(f, page);
	if (t->access.length > SCRATCH_LEN)
		t->access.length = SCRATCH_LEN;
	access_uptr(c);
	t->access.flags = access_flags(f, p->write ? one_in(f, 2) :
					       one_in(f, 6));
}

/* Whether every byte of [@iova, @iova + @len) is in some pin of @a. */
static bool pins_cover(const struct acc_model *a, uint64_t iova, uint64_t len)
{
	uint64_t at = iova, last = iova + len - 1;
	unsigned int i;
	bool moved;

	do {
		moved = false;
		for (i = 0; i < a->nr_pins; i++) {
			const struct pin_model *p = &a->pins[i];

			if (p->iova > at || p->iova + p->len - 1 < at)
				continue;
			if (p->iova + p->len - 1 >= last)
				return true;
			at = p->iova + p->len;
			moved = true;
		}
	} while (moved);
	return false;
}

/*
 * Whether one pin of @a holds all of [@iova, @iova + @len), with WRITE
 * when @write.
 */
static bool one_pin_holds(const struct acc_model *a, uint64_t iova,
			  uint64_t len, bool write)
{
	unsigned int i;

	for (i = 0; i < a->nr_pins; i++) {
		const struct pin_model *p = &a->pins[i];

		if (p->iova <= iova && iova - p->iova + len <= p->len &&
		    (p->write || !write))
			return true;
	}
	return false;
}

/* Whether some pin of @a that reaches into the range was taken to write. */
static bool some_write_pin(const struct acc_model *a, uint64_t iova,
			   uint64_t len)
{
	unsigned int i;

	for (i = 0; i < a->nr_pins; i++)
		if (a->pins[i].write &&
		    pin_hits(&a->pins[i], iova, iova + len - 1))
			return true;
	return false;
}

/*
 * A copy through pins must fail with ENXIO where some byte is in no pin,
 * with EPERM when writing through pins taken to read only, and succeed
 * within one pin that allows it.  What a range across pins that do not
 * all allow it does is not said.
 */
static void rules_access_dma(struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	struct slot *s = c->s;
	struct verdict *v = &c->v;
	bool write = t->access.flags & ACC_WRITE, good = uptr_in_scratch(c);
	uint64_t iova = t->access.iova, len = t->access.length;
	struct acc_model *a;

	rules_copy_args(c);
	if (v->must_fail || !s->exact || len > SCRATCH_LEN)
		return;
	a = find_acc(s, t->id);
	if (a->lost)
		return;
	if (!a->ioas)
		must_fail(v, "a detached emulated device holds no pin");
	else if (!pins_cover(a, iova, len))
		must_fail_with(v, "some byte is in no pin", ENXIO,
			       good ? 0 : EFAULT);
	else if (write && !some_write_pin(a, iova, len))
		must_fail_with(v, "the pins were taken to read", EPERM,
			       good ? 0 : EFAULT);
	else if (good && one_pin_holds(a, iova, len, write))
		must_succeed(v, "a copy within a pin that allows it");
}

static void done_access_dma(struct call *c)
{
	check_access_data(c, "ACCESS_DMA");
}

static void gen_access_config(struct call *c)
{
	access_target(c, IOASID_TEST_ACCESS_CONFIG, pick_acc(c->f, c->s));
	c->in.test.access.flags = junk32(c->f, 6) & ~ACC_KEEP;
}

static void rules_access_config(struct call *c)
{
	struct slot *s = c->s;
	struct verdict *v = &c->v;

	if (id_is_bad(s, c->in.test.id, ID_ACC))
		must_fail(v, "the id names no emulated device");
	else if (c->in.test.access.flags & ~ACC_KEEP)
		must_fail_with(v, "an unknown flag is set", EOPNOTSUPP, 0);
	else if (s->exact)
		must_succeed(v, "a well-formed ACCESS_CONFIG");
}

static void done_access_config(struct call *c)
{
	struct acc_model *a = find_acc(c->s, c->in.test.id);

	if (a)
		check_books(c->f, c->s, a, 0, 0, 1, 0);
}

/* BIND_UNTRANSLATED */

static void gen_bind_untranslated(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_test *t = &c->in.test;

	gen_test_junk(c);
	t->op = IOASID_TEST_BIND_UNTRANSLATED;
	t->mock_device.flags = one_in(f, 2) ? IOASID_MOCK_HOST_OWNED : 0;
	if (!f->sane && one_in(f, 3))
		t->mock_device.flags |= one_in(f, 2) ? 1U << below(f, 32) :
						      (uint32_t)rnd(f);
}

/* Whether the fields of mock_device but flags are all zero. */
static bool untranslated_plain(const struct ioasid_test *t)
{
	return !t->mock_device.pgsize_bitmap &&
	       !t->mock_device.aperture_start &&
	       !t->mock_device.aperture_last && !t->mock_device.resv_start &&
	       !t->mock_device.resv_length && !t->mock_device.out_id &&
	       !t->mock_device.pasid_bits && !t->mock_device.group_fd &&
	       !t->mock_device.group_dev && !t->mock_device.__reserved &&
	       !t->mock_device.out_dev_id && !t->mock_device.__reserved2;
}

/*
 * Nothing binds a device that no IOMMU translates.  With junk in the
 * other fields the kernel may refuse those first.
 */
static void rules_bind_untranslated(struct call *c)
{
	struct verdict *v = &c->v;
	const struct ioasid_test *t = &c->in.test;

	if (t->mock_device.flags & ~IOASID_MOCK_HOST_OWNED)
		must_fail_with(v, "BIND_UNTRANSLATED takes HOST_OWNED alone",
			       EOPNOTSUPP, 0);
	else if (untranslated_plain(t))
		must_fail_with(v, "no IOMMU translates the device", ENODEV, 0);
	else
		must_fail(v, "no IOMMU translates the device");
}

/* FLOOR */

/*
 * The mock device whose requester ID, or whose PASID (then in @pasid), the
 * model has on IOAS @id of @s; or NULL.
 */
static struct dev_model *floor_mock_dev(struct slot *s, uint32_t id,
					uint32_t *pasid)
{
	unsigned int i, j;

	for (i = 0; id && i < s->nr_devs; i++) {
		struct dev_model *d = &s->devs[i];

		*pasid = 0;
		if (d->ioas == id)
			return d;
		for (j = 0; j < d->nr_pasids; j++) {
			*pasid = d->pasid[j];
			if (d->pasid_ioas[j] == id)
				return d;
		}
	}
	return NULL;
}

/* Whether a SIOV child bound to the fd of @s is on IOAS @id. */
static bool floor_siov_on(const struct slot *s, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < fz.mdma.nr; i++) {
		const struct mdev_model *m = &fz.mdma.mdevs[i];

		if (m->mode == MDMA_SIOV && m->bound && !m->orphan &&
		    m->s == s && m->ioas && m->ioas == id)
			return true;
	}
	return false;
}

/*
 * Whether IOAS @id of @s has a page table: a mock device or a PASID of
 * one brings one, as a SIOV child does through its parent's PASID, while
 * emulated devices reach the IOAS through an access and bring none.  -1
 * when the vDPA device is there, whose parent the model does not know to
 * be behind an IOMMU or not.
 */
static int floor_tables(struct slot *s, uint32_t id)
{
	uint32_t pasid;

	if (floor_mock_dev(s, id, &pasid) || floor_siov_on(s, id))
		return 1;
	/* A nested IOASID's table, which devices may share or not. */
	return vdpa_attached(s, id) || has_nest_on(s, id) ? -1 : 0;
}

/*
 * Mostly an IOAS a page table is on; else any id, which may name an IOAS
 * without one, one that is gone, or nothing.
 */
static uint32_t floor_pick_ioas(struct fuzz *f, struct slot *s)
{
	unsigned int i, first = below(f, MAX_IOAS);

	if (one_in(f, 4))
		return pick_id(f, s, ID_IOAS);
	for (i = 0; i < s->nr_ioas; i++) {
		uint32_t id = s->ioas[(first + i) % s->nr_ioas];

		if (floor_tables(s, id) > 0)
			return id;
	}
	return pick_id(f, s, ID_IOAS);
}

/*
 * Reads, where the model is exact, what the model lacks to judge the call
 * by: the usable ranges of its IOAS, which the devices' apertures and
 * reserved regions and SET_ALLOWED_RANGES decide, and the fd's counters.
 */
static void floor_look(struct call *c)
{
	struct floor_view *fv = &c->floor;
	struct slot *s = c->s;
	uint32_t n = FLOOR_RANGES;
	int ret;

	if (!s->exact)
		return;
	fv->ioasid = c->in.test.ioasid;
	fv->counted = !get_pinned(s->fd, &fv->pinned);
	if (!has_ioas(s, fv->ioasid))
		return;
	ret = get_ranges(s->fd, fv->ioasid, fv->ranges, &n, NULL);
	if (ret && ret != EMSGSIZE)
		return;
	fv->nr_ranges = n < FLOOR_RANGES ? n : FLOOR_RANGES;
	fv->complete = !ret;
}

/*
 * Whether the call's IOVA range, which does not wrap, is all usable in
 * its IOAS: 1, 0, or -1 when that is not known.  The ranges the IOAS
 * reports never touch, so a usable range lies inside one of them.
 */
static int floor_usable(const struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	const struct floor_view *fv = &c->floor;
	uint64_t first = t->floor.iova, last = first + t->floor.length - 1;
	unsigned int i;

	if (fv->ioasid != t->ioasid)
		return -1;
	for (i = 0; i < fv->nr_ranges; i++)
		if (fv->ranges[i].start <= first && last <= fv->ranges[i].last)
			return 1;
	return fv->complete ? 0 : -1;
}

/* A live buffer; a writable one when @writable and there is one. */
static struct buf *floor_buf(struct fuzz *f, bool writable)
{
	unsigned int i, first = below(f, NR_BUFS);
	struct buf *any = NULL;

	for (i = 0; i < NR_BUFS; i++) {
		struct buf *b = &f->bufs[(first + i) % NR_BUFS];

		if (!b->addr)
			continue;
		if (b->writable || !writable)
			return b;
		any = any ?: b;
	}
	return any;
}

/*
 * The memory to pin: whole pages of a buffer, so 4 MiB at most, mostly
 * writable.  A call that is not well formed may take a read-only buffer,
 * run into the guard page after one, or point at no buffer at all.
 */
static void floor_pick_user(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_test *t = &c->in.test;
	struct buf *b = floor_buf(f, f->sane || !one_in(f, 3));
	uint64_t off, len;

	if (!b || (!f->sane && one_in(f, 10))) {
		t->floor.uptr = one_in(f, 2) ? stale_pointer(f) :
					       bad_pointer(f);
		t->floor.length = page * (1 + below(f, 16));
		return;
	}
	off = page * below(f, b->len / page);
	len = page * (1 + below(f, (b->len - off) / page));
	if (b->kind == BUF_THP && one_in(f, 2)) {
		/* Whole huge pages, which the IOMMU may map as such. */
		off = SZ_2M * below(f, 2);
		len = b->len - off;
	}
	if (!f->sane && one_in(f, 8))
		len = b->len - off + page * (1 + below(f, 4));
	t->floor.uptr = (uintptr_t)b->addr + off;
	t->floor.length = len;
}

/*
 * Where @len bytes fit in usable range @r: 2M aligned if they fit so, at
 * most 8G in; else @dflt.
 */
static uint64_t floor_iova_in(struct fuzz *f,
			      const struct ioasid_iova_range *r, uint64_t len,
			      uint64_t dflt)
{
	uint64_t first = (r->start + SZ_2M - 1) & ~(SZ_2M - 1), steps;

	if (first < r->start || first > r->last || r->last - first < len - 1)
		first = r->start;
	if (r->last - first < len - 1)
		return dflt;
	steps = (r->last - first - (len - 1)) / SZ_2M;
	return first + SZ_2M * below(f, (steps < 4095 ? steps : 4095) + 1);
}

/*
 * An IOVA for @len bytes in a usable range the IOAS reported, or where
 * the mock devices reach when it reported none, off the mappings of the
 * model if a few tries find one.
 */
static uint64_t floor_free_iova(struct call *c, uint64_t len)
{
	const struct floor_view *fv = &c->floor;
	uint32_t ioas = c->in.test.ioasid;
	struct fuzz *f = c->f;
	unsigned int tries;
	uint64_t iova = 0;

	for (tries = 0; tries < 4; tries++) {
		iova = IOASID_MOCK_APERTURE_START + SZ_2M * below(f, 4096);
		if (fv->nr_ranges && fv->ioasid == ioas)
			iova = floor_iova_in(f,
					     &fv->ranges[below(f, fv->nr_ranges)],
					     len, iova);
		if (!model_overlaps(c->s, ioas, iova, len))
			break;
	}
	return iova;
}

/*
 * Mostly a free IOVA; now and then one on a mapping of the IOAS, or
 * ending on one, or one below or across the end of the default mock
 * aperture, which a mock device reserves the IOVAs outside of.
 */
static void floor_pick_iova(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_test *t = &c->in.test;
	struct map_model *m = pick_map_of(f, c->s, t->ioasid);
	uint64_t len = t->floor.length, iova;
	unsigned int r = below(f, 10);

	if (r == 0 && m) {
		iova = m->iova + page * below(f, m->len / page);
		if (one_in(f, 2) && iova >= len - page)
			iova -= len - page;
	} else if (r == 1) {
		iova = one_in(f, 2) ? page * below(f, 16) :
		       IOASID_MOCK_APERTURE_LAST + 1 -
		       page * below(f, len / page + 1);
	} else {
		iova = floor_free_iova(c, len);
	}
	t->floor.iova = iova;
}

/*
 * A field a well-formed call would not have.  The lengths past 1 GiB fail
 * before anything is pinned: a call that pins stays within a buffer.
 */
static void floor_junk(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_test *t = &c->in.test;

	switch (below(f, 12)) {
	case 0:
		t->floor.length = 0;
		break;
	case 1:
		t->floor.length += 1 + below(f, page - 1);
		break;
	case 2:
		t->floor.iova += 1 + below(f, page - 1);
		break;
	case 3:
		t->floor.uptr += 1 + below(f, page - 1);
		break;
	case 4:
		/* At the top, where the range wraps unless it is short. */
		t->floor.iova = -(page * (1 + below(f, 16)));
		break;
	case 5:
		t->floor.length = FLOOR_MAX_LEN + page * (1 + below(f, 4));
		break;
	case 6:
		t->floor.length = 1ULL << (31 + below(f, 33));
		break;
	case 7:
		t->floor.iova = pick_iova(f, c->s, t->floor.length);
		break;
	case 8:
		/* The kernel's half, where the buffer may wrap. */
		t->floor.uptr = -(page * (1 + below(f, 16)));
		break;
	default:
		break;
	}
	/* The op takes no mock device: whatever @id names is ignored. */
	if (one_in(f, 4))
		t->id = pick_id(f, c->s, ID_ANY);
}

static void gen_floor(struct call *c)
{
	struct fuzz *f = c->f;
	struct ioasid_test *t = &c->in.test;

	gen_test_junk(c);
	t->op = IOASID_TEST_FLOOR;
	t->ioasid = floor_pick_ioas(f, c->s);
	floor_look(c);
	floor_pick_user(c);
	floor_pick_iova(c);
	if (!f->sane)
		floor_junk(c);
}

/* Whether the fields pass the checks the IOAS is looked up after. */
static bool floor_fields_ok(const struct ioasid_test *t)
{
	uint64_t iova = t->floor.iova, len = t->floor.length;

	return len && aligned(iova) && aligned(len) &&
	       aligned(t->floor.uptr) && !wraps(iova, len) &&
	       len <= FLOOR_MAX_LEN;
}

/*
 * What the model knows where it only gives hints: memory that cannot be
 * pinned to write makes the call fail, with one errno or another.
 */
static void rules_floor_hints(struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	enum mem mem = mem_class(c->f, t->floor.uptr, t->floor.length);

	if (mem == MEM_RO || mem == MEM_BAD)
		must_fail(&c->v, "the buffer cannot be pinned to write");
}

/*
 * Whether [@va, @va + @len) ends at the top of the address space or wraps
 * past it: pin_user_pages_fast() refuses with EOVERFLOW a batch whose end
 * does, and with EFAULT one in the kernel's half that does not.
 */
static bool reaches_top(uint64_t va, uint64_t len)
{
	return va && len >= -va;
}

/*
 * Pinning the buffer, once the range is usable and free: EFAULT for
 * memory that is read-only or not all there, or EOVERFLOW for memory at
 * the top; writable memory the model knows may only run out.
 * EADDRNOTAVAIL may come first where the usable ranges are not known.
 */
static void rules_floor_pin(struct call *c, int usable)
{
	const struct ioasid_test *t = &c->in.test;
	uint64_t uptr = t->floor.uptr, len = t->floor.length;
	int unknown = usable < 0 ? EADDRNOTAVAIL : 0;
	struct verdict *v = &c->v;

	switch (mem_class(c->f, uptr, len)) {
	case MEM_RW:
		may_fail_with(v, "the range is free and the buffer writable",
			      ENOMEM, unknown);
		break;
	case MEM_RO:
		must_fail_with(v, "the buffer is read-only", EFAULT, unknown);
		break;
	case MEM_BAD:
		if (!reaches_top(uptr, len))
			must_fail_with(v, "the buffer is not all there",
				       EFAULT, unknown);
		else if (!unknown)
			must_fail_with(v, "the buffer reaches the top", EFAULT,
				       EOVERFLOW);
		else
			must_fail(v, "the buffer reaches the top");
		break;
	default:
		break;
	}
}

/*
 * Once the IOAS is found: ENODEV without a page table on it, then the
 * range must be usable and free of mappings.  Mappings lie only where
 * IOVAs are usable, so a range they cover whole meets EADDRINUSE, as one
 * known usable does when it meets one.
 */
static void rules_floor_ioas(struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	uint64_t iova = t->floor.iova, len = t->floor.length;
	struct verdict *v = &c->v;
	struct slot *s = c->s;
	int tables = floor_tables(s, t->ioasid), usable;

	if (!tables) {
		must_fail_with(v, "no page table is on the IOASID", ENODEV, 0);
		return;
	}
	if (tables < 0) {
		if (model_overlaps(s, t->ioasid, iova, len))
			must_fail(v, "the range meets a mapping");
		rules_floor_hints(c);
		return;
	}
	usable = floor_usable(c);
	if (!usable)
		must_fail_with(v, "the range is not all usable", EADDRNOTAVAIL,
			       0);
	else if (!model_overlaps(s, t->ioasid, iova, len))
		rules_floor_pin(c, usable);
	else if (usable > 0 || !model_reach(s, t->ioasid, iova, len, MAP_RW))
		must_fail_with(v, "the range meets a mapping", EADDRINUSE, 0);
	else
		must_fail_with(v, "the range meets a mapping", EADDRINUSE,
			       EADDRNOTAVAIL);
}

/*
 * The checks come in the kernel's order: the fields, the IOAS, its page
 * tables, the range in it, the memory.
 */
static void rules_floor(struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	uint64_t iova = t->floor.iova, len = t->floor.length;
	struct verdict *v = &c->v;

	if (!len || !aligned(iova) || !aligned(len) || !aligned(t->floor.uptr))
		must_fail_with(v, "the range is empty or a field is unaligned",
			       EINVAL, 0);
	else if (wraps(iova, len))
		must_fail_with(v, "the IOVA range wraps", EOVERFLOW, 0);
	else if (len > FLOOR_MAX_LEN)
		must_fail_with(v, "the length is past 1 GiB", E2BIG, 0);
	else if (id_is_bad(c->s, t->ioasid, ID_IOAS))
		must_fail_with(v, "the id names no IOASID", ENOENT, 0);
	else if (!c->s->exact)
		rules_floor_hints(c);
	else
		rules_floor_ioas(c);
}

/* Nothing a FLOOR does is charged: the fd pins what it did before it. */
static void floor_check_counters(struct call *c)
{
	const struct pinned *was = &c->floor.pinned;
	struct pinned now;
	int ret;

	if (!c->floor.counted)
		return;
	ret = get_pinned(c->s->fd, &now);
	if (ret) {
		fail_msg(c->f, "PINNED after FLOOR: %s", errno_name(ret));
		return;
	}
	if (now.fd_pages == was->fd_pages &&
	    now.table_pages == was->table_pages)
		return;
	if (fail_msg(c->f, "FLOOR: the fd pins %llu pages, %llu in tables, not %llu and %llu",
		     ULL(now.fd_pages), ULL(now.table_pages),
		     ULL(was->fd_pages), ULL(was->table_pages)))
		describe_call(c, "FLOOR", sizeof(c->in.test));
}

/*
 * Mock device @d, or its PASID @pasid, must find an IOPTE at @iova where
 * the model has a mapping, and none where it has none and @bare says the
 * IOVA is one that nothing but a mapping can be at.
 */
static void floor_probe(struct call *c, const struct dev_model *d,
			uint32_t pasid, uint64_t iova, bool bare)
{
	bool mapped = map_at(c->s, c->in.test.ioasid, iova);
	struct iopte pte;
	int ret;

	if (!mapped && !bare)
		return;
	ret = read_iopte(c->s->fd, d->id, pasid, iova, &pte);
	if (ret == (mapped ? 0 : ENOENT))
		return;
	if (fail_msg(c->f, "FLOOR: IOPTE at %llx of mock device %u: %s, the model has %s",
		     ULL(iova), d->id, errno_name(ret),
		     mapped ? "a mapping" : "none"))
		describe_call(c, "FLOOR", sizeof(c->in.test));
}

/*
 * A FLOOR unmaps what it mapped, and only that: a mock device on the IOAS
 * finds an IOPTE at the first and last pages of the range, and at the
 * pages either side, exactly where the model has a mapping.  A page of
 * the range without one is usable when the call succeeded or the IOAS
 * said so; then it has no IOPTE.
 */
static void floor_check_ioptes(struct call *c)
{
	const struct ioasid_test *t = &c->in.test;
	uint64_t iova = t->floor.iova, end = iova + t->floor.length;
	struct dev_model *d;
	uint32_t pasid;
	bool bare;

	if (!floor_fields_ok(t) || find_nest(c->s, t->ioasid))
		return;
	d = floor_mock_dev(c->s, t->ioasid, &pasid);
	if (!d)
		return;
	bare = !c->err || floor_usable(c) > 0;
	floor_probe(c, d, pasid, iova, bare);
	if (end - page != iova)
		floor_probe(c, d, pasid, end - page, bare);
	if (iova)
		floor_probe(c, d, pasid, iova - page, false);
	if (end)
		floor_probe(c, d, pasid, end, false);
}

/*
 * The model stays as it was, whatever the call ended in; what the kernel
 * says of it must agree.  The times it reports are within the run's.
 */
static void done_floor(struct call *c)
{
	const struct ioasid_test *out = &c->out.test;
	uint64_t most = (c->f->seconds + WATCHDOG_SLACK) * 1000000000ULL;

	if (!c->err && (out->floor.out_map_ns > most ||
			out->floor.out_unmap_ns > most))
		fail_msg(c->f, "FLOOR took %llu ns to map and %llu to unmap",
			 ULL(out->floor.out_map_ns),
			 ULL(out->floor.out_unmap_ns));
	if (!c->s->exact)
		return;
	floor_check_counters(c);
	floor_check_ioptes(c);
}

static void gen_test_op(struct call *c)
{
	struct fuzz *f = c->f;
	struct slot *s = c->s;

	gen_test_junk(c);
	c->in.test.op = one_in(f, 4) ? 0 : IOASID_TEST_FLOOR + 1 +
					  below(f, one_in(f, 2) ? 8 : 1U << 31);
	c->in.test.id = pick_id(f, s, ID_ANY);
}

static void rules_test_op(struct call *c)
{
	struct verdict *v = &c->v;

	must_fail_with(v, "the IOASID_TEST op is unknown", EOPNOTSUPP, 0);
}

/* Other files, other numbers */

static unsigned long bad_request(struct fuzz *f)
{
	unsigned int nr = below(f, LAST_CMD + 1);

	switch (below(f, 4)) {
	case 0:
		/* In the gap of the table, or past its end. */
		if (one_in(f, 2))
			return _IO(IOASID_TYPE, LAST_CMD + 1 +
				   below(f, IOASID_CMD_TEST - LAST_CMD - 1));
		return _IO(IOASID_TYPE, IOASID_CMD_TEST + 1 +
			   below(f, 0xff - IOASID_CMD_TEST));
	case 1:
		/* Ours, with size or direction bits. */
		return _IOC(1 + below(f, 3), IOASID_TYPE, nr,
			    below(f, 1 << 14));
	case 2:
		return _IOC(0, IOASID_TYPE, nr, 1 + below(f, (1 << 14) - 1));
	default:
		return _IO(IOASID_TYPE + (one_in(f, 2) ? 1 : -1), nr);
	}
}

static void rules_bad_nr(struct call *c)
{
	struct verdict *v = &c->v;

	must_fail_with(v, "the ioctl number is not one of ours", ENOTTY, 0);
}

static void rules_bad_fd(struct call *c)
{
	struct verdict *v = &c->v;

	must_fail_with(v, "the fd is not /dev/ioasid", EBADF, ENOTTY);
}

/* The commands */

static const int common_errnos[] = {
	EFAULT, EINVAL, E2BIG, EOPNOTSUPP, ENOENT, 0,
};

static const int destroy_errnos[] = { EBUSY, 0 };
static const int alloc_errnos[] = { ENOMEM, 0 };
static const int ranges_errnos[] = { EMSGSIZE, 0 };
static const int allowed_errnos[] = { EADDRINUSE, ENOMEM, 0 };
static const int map_errnos[] = {
	EOVERFLOW, EADDRNOTAVAIL, EADDRINUSE, ENOSPC, ENOMEM, 0,
};

/*
 * EBUSY: an emulated device's driver holds pins in the range after its
 * unmap callback, as one pinning again from another process does.
 */
static const int unmap_errnos[] = { EOVERFLOW, ERANGE, EBUSY, 0 };
static const int copy_errnos[] = {
	EOVERFLOW, EADDRNOTAVAIL, EADDRINUSE, ENOSPC, ENOMEM, EPERM, 0,
};

static const int option_errnos[] = { EBUSY, 0 };
static const int dirty_read_errnos[] = { EOVERFLOW, 0 };
/* ENODEV: a device joining a group refuses the group's page table. */
static const int mock_errnos[] = { ENOMEM, EBUSY, EBADF, ENODEV, 0 };
/* EPERM: the requester ID of a host-owned device is the host's. */
static const int attach_errnos[] = { EADDRINUSE, EBUSY, ENOMEM, EPERM, 0 };
static const int pasid_errnos[] = { EADDRINUSE, EBUSY, ENOMEM, 0 };
static const int dma_errnos[] = { EIO, ETIMEDOUT, EINTR, 0 };
static const int fault_queue_errnos[] = { EMFILE, ENOMEM, 0 };
/* What read() and write() on a fault queue's fd may end with. */
static const int fault_read_errnos[] = { EINVAL, EAGAIN, EFAULT, 0 };
static const int fault_write_errnos[] = { EINVAL, ENOENT, EFAULT, 0 };
/*
 * EPERM: through a nested IOASID, a stage-1 table that the parent maps
 * without READ, which ioasid_test.h does not give.
 */
static const int iopte_errnos[] = { ENODEV, EPERM, 0 };
static const int acc_create_errnos[] = { ENOMEM, 0 };
static const int acc_attach_errnos[] = { ENOMEM, 0 };
static const int acc_pin_errnos[] = { EOVERFLOW, ENODEV, EPERM, ENOMEM, E2BIG,
				     0 };
static const int acc_unpin_errnos[] = { ENXIO, EOVERFLOW, ENODEV, 0 };
static const int acc_rw_errnos[] = { EOVERFLOW, ENODEV, EPERM, ENOMEM, E2BIG,
				    0 };
static const int acc_dma_errnos[] = { ENXIO, EOVERFLOW, ENODEV, EPERM, ENOMEM,
				     0 };

static const int untranslated_errnos[] = { ENODEV, 0 };
/*
 * EOVERFLOW also for memory that wraps, which pin_user_pages_fast()
 * refuses so; EINTR with a fatal signal pending, which the caller does
 * not live to see.
 */
static const int floor_errnos[] = { EOVERFLOW, ENODEV, EADDRNOTAVAIL,
				    EADDRINUSE, ENOMEM, EINTR, 0 };
static const int no_errnos[] = { 0 };

/* Those of mediated devices are all there is: VFIO's conventions differ. */
static const int mdev_create_errnos[] = { ENOMEM, 0 };
static const int mdev_bind_errnos[] = { EINVAL, EBADF, ENODEV, EBUSY, EPERM,
				       ENOMEM, 0 };
/* ENOLINK: a move failed, and the device is detached. */
static const int mdev_attach_errnos[] = { EINVAL, ENOENT, EBUSY, EADDRINUSE,
					 ENOMEM, ENOLINK, 0 };
static const int mdev_detach_errnos[] = { EINVAL, EBUSY, 0 };
static const int mdev_pasid_errnos[] = { EINVAL, EOPNOTSUPP, 0 };
static const int mdev_dma_errnos[] = { EINVAL, ENXIO, ENOENT, EPERM, 0 };
static const int mdev_pin_errnos[] = { EINVAL, ENXIO, ENOENT, EPERM,
				      EOPNOTSUPP, ENOSPC, 0 };
static const int mdev_regs_errnos[] = { EINVAL, 0 };

/* The container's and its group's, as "The VFIO container" gives them. */
static const int cont_open_errnos[] = { ENOMEM, 0 };
static const int set_iommu_errnos[] = { EINVAL, ENODEV, 0 };
static const int cont_info_errnos[] = { EFAULT, EINVAL, ENOMEM, 0 };
static const int cont_map_errnos[] = { EFAULT, EINVAL, EEXIST, ENOMEM, 0 };
static const int cont_unmap_errnos[] = { EFAULT, EINVAL, 0 };
static const int cont_ioasid_errnos[] = { ENOTTY, ENOENT, EBUSY, 0 };
static const int group_set_errnos[] = { EFAULT, EBADF, EINVAL, EBADFD,
				       ENOMEM, 0 };
static const int group_unset_errnos[] = { EINVAL, EBUSY, 0 };
/* The open's and the attach's: EADDRINUSE, a mapping edu cannot reach. */
static const int group_device_errnos[] = { EFAULT, ENODEV, EINVAL,
					  EADDRINUSE, EPERM, EBUSY, ENOMEM,
					  0 };

/*
 * vhost-vdpa's, as include/uapi/linux/vhost.h gives them: its parsing of
 * argsz and of the tail first, then each ioctl's own.  An IOTLB message
 * fails with EINVAL before its handler, EFAULT for any error there, and
 * EPERM on a bound fd.
 */
static const int vdpa_open_errnos[] = { EBUSY, ENOMEM, 0 };
static const int vdpa_bind_errnos[] = { EFAULT, EINVAL, E2BIG, EBUSY,
				       EOPNOTSUPP, EBADF, ENOMEM, 0 };
static const int vdpa_attach_errnos[] = { EFAULT, EINVAL, E2BIG, EBADFD,
					 ENOENT, ENOMEM, 0 };
static const int vdpa_detach_errnos[] = { EFAULT, EINVAL, E2BIG, EBADFD,
					 ENOENT, 0 };
static const int vdpa_iotlb_errnos[] = { EINVAL, EFAULT, EPERM, 0 };

/* Fills c->in; says in c->v what the call must do; checks what it did. */
typedef void (*call_fn)(struct call *c);

struct kind_desc {
	const char *name;
	unsigned long request;
	unsigned int size;	/* the kernel's struct */
	unsigned int min_size;	/* its first version */
	unsigned int weight;
	bool responds;		/* a call that succeeds writes its struct */
	bool not_ours;		/* the kernel refuses it before reading */
	bool mdev;		/* on a mediated device, by mdev_op() */
	bool container;		/* on a container or edu's group, by cont_op() */
	bool group;		/* on edu's group */
	bool vdpa;		/* on the vDPA device's fd, by vdpa_op() */
	bool queue;		/* on a fault queue's fd, by queue_op() */
	bool argsz;		/* VFIO's argsz, a field, leads the struct */
	const int *errnos;	/* beyond common_errnos; all, for those two */
	call_fn gen;
	call_fn rules;
	call_fn done;
};

/* A struct that grew: the kernel takes it from @_first, its first size. */
#define UAPI_GREW(_k, _name, _struct, _first, _cmd, _weight, _responds, \
		  _errnos)						\
	[_k] = {							\
		.name = _name,						\
		.request = _IO(IOASID_TYPE, _cmd),			\
		.size = sizeof(_struct),				\
		.min_size = _first,					\
		.weight = _weight,					\
		.responds = _responds,					\
		.errnos = _errnos,					\
	}

#define UAPI(_k, _name, _struct, _cmd, _weight, _responds, _errnos)	\
	UAPI_GREW(_k, _name, _struct, sizeof(_struct), _cmd, _weight,	\
		  _responds, _errnos)

/* IOASID_TEST reads as zero what a struct shorter than its own lacks. */
#define TEST(_k, _name, _weight, _responds, _errnos)			\
	[_k] = {							\
		.name = _name,						\
		.request = IOASID_TEST,					\
		.size = sizeof(struct ioasid_test),			\
		.min_size = TEST_MIN_SIZE,				\
		.weight = _weight,					\
		.responds = _responds,					\
		.errnos = _errnos,					\
	}

/* Operations on mediated devices, which mdev_op() makes. */
#define MDEV(_k, _name, _weight, _errnos)				\
	[_k] = {							\
		.name = _name,						\
		.weight = _weight,					\
		.mdev = true,						\
		.errnos = _errnos,					\
	}

/* vhost-vdpa's, which vdpa_op() makes; argsz leads their structs. */
#define VDPA(_k, _name, _request, _size, _weight, _responds, _errnos)	\
	[_k] = {							\
		.name = _name,						\
		.request = _request,					\
		.size = _size,						\
		.weight = _weight,					\
		.responds = _responds,					\
		.vdpa = true,						\
		.argsz = true,						\
		.errnos = _errnos,					\
	}

/* On a fault queue's fd, which queue_op() makes. */
#define QUEUE(_k, _name, _weight, _errnos)				\
	[_k] = {							\
		.name = _name,						\
		.weight = _weight,					\
		.queue = true,						\
		.errnos = _errnos,					\
	}

/* The container's and the group's, which cont_op() makes. */
#define CONT(_k, _name, _request, _size, _weight, _responds, _errnos)	\
	[_k] = {							\
		.name = _name,						\
		.request = _request,					\
		.size = _size,						\
		.weight = _weight,					\
		.responds = _responds,					\
		.container = true,					\
		.errnos = _errnos,					\
	}

static struct kind_desc kinds[NR_KINDS] = {
	UAPI(K_GET_INFO, "GET_INFO", struct ioasid_info,
	     IOASID_CMD_GET_INFO, 3, true, no_errnos),
	UAPI(K_DESTROY, "DESTROY", struct ioasid_destroy,
	     IOASID_CMD_DESTROY, 7, false, destroy_errnos),
	UAPI_GREW(K_ALLOC, "ALLOC", struct ioasid_alloc, ALLOC_FIRST_SIZE,
		  IOASID_CMD_ALLOC, 8, true, alloc_errnos),
	UAPI(K_IOVA_RANGES, "IOVA_RANGES", struct ioasid_iova_ranges,
	     IOASID_CMD_IOVA_RANGES, 4, true, ranges_errnos),
	UAPI(K_SET_ALLOWED, "SET_ALLOWED", struct ioasid_set_allowed_ranges,
	     IOASID_CMD_SET_ALLOWED_RANGES, 4, false, allowed_errnos),
	UAPI(K_MAP, "MAP", struct ioasid_map, IOASID_CMD_MAP, 14, true,
	     map_errnos),
	UAPI_GREW(K_UNMAP, "UNMAP", struct ioasid_unmap, UNMAP_FIRST_SIZE,
		  IOASID_CMD_UNMAP, 7, true, unmap_errnos),
	UAPI(K_COPY, "COPY", struct ioasid_copy, IOASID_CMD_COPY, 6, true,
	     copy_errnos),
	UAPI(K_OPTION, "OPTION", struct ioasid_option, IOASID_CMD_OPTION, 3,
	     false, option_errnos),
	UAPI(K_DIRTY_READ, "DIRTY_READ", struct ioasid_dirty_read,
	     IOASID_CMD_DIRTY_READ, 3, false, dirty_read_errnos),
	UAPI_GREW(K_DEVICE_INFO, "DEVICE_INFO", struct ioasid_device_info,
		  DEVICE_INFO_FIRST_SIZE, IOASID_CMD_DEVICE_INFO, 3, true,
		  no_errnos),
	UAPI(K_INVALIDATE, "INVALIDATE", struct ioasid_invalidate,
	     IOASID_CMD_INVALIDATE, 4, true, no_errnos),
	UAPI(K_FAULT_QUEUE, "FAULT_QUEUE", struct ioasid_fault_queue_alloc,
	     IOASID_CMD_FAULT_QUEUE_ALLOC, 3, true, fault_queue_errnos),
	TEST(K_MOCK_DEVICE, "MOCK_DEVICE", 6, true, mock_errnos),
	TEST(K_ATTACH, "ATTACH", 7, false, attach_errnos),
	TEST(K_DETACH, "DETACH", 3, false, no_errnos),
	TEST(K_DMA, "DMA", 7, false, dma_errnos),
	TEST(K_IOPTE, "IOPTE", 4, true, iopte_errnos),
	TEST(K_PINNED, "PINNED", 1, true, no_errnos),
	TEST(K_ATTACH_PASID, "ATTACH_PASID", 4, false, pasid_errnos),
	TEST(K_DETACH_PASID, "DETACH_PASID", 2, false, no_errnos),
	TEST(K_ACCESS_CREATE, "ACCESS_CREATE", 3, true, acc_create_errnos),
	TEST(K_ACCESS_ATTACH, "ACCESS_ATTACH", 4, false, acc_attach_errnos),
	TEST(K_ACCESS_DETACH, "ACCESS_DETACH", 2, false, no_errnos),
	TEST(K_ACCESS_PIN, "ACCESS_PIN", 5, false, acc_pin_errnos),
	TEST(K_ACCESS_UNPIN, "ACCESS_UNPIN", 3, false, acc_unpin_errnos),
	TEST(K_ACCESS_RW, "ACCESS_RW", 4, false, acc_rw_errnos),
	TEST(K_ACCESS_DMA, "ACCESS_DMA", 4, false, acc_dma_errnos),
	TEST(K_ACCESS_CONFIG, "ACCESS_CONFIG", 2, true, no_errnos),
	TEST(K_BIND_UNTRANSLATED, "BIND_UNTRANSLATED", 1, false,
	     untranslated_errnos),
	TEST(K_FLOOR, "FLOOR", 3, true, floor_errnos),
	TEST(K_TEST_OP, "TEST_BAD_OP", 1, false, no_errnos),
	UAPI(K_BAD_NR, "BAD_NR", struct ioasid_info, IOASID_CMD_GET_INFO, 1,
	     false, no_errnos),
	UAPI(K_BAD_FD, "BAD_FD", struct ioasid_info, IOASID_CMD_GET_INFO, 1,
	     false, no_errnos),
	MDEV(K_MDEV_CREATE, "MDEV_CREATE", 1, mdev_create_errnos),
	MDEV(K_MDEV_REMOVE, "MDEV_REMOVE", 1, no_errnos),
	MDEV(K_MDEV_CLOSE, "MDEV_CLOSE", 1, no_errnos),
	MDEV(K_MDEV_BIND, "MDEV_BIND", 2, mdev_bind_errnos),
	MDEV(K_MDEV_ATTACH, "MDEV_ATTACH", 2, mdev_attach_errnos),
	MDEV(K_MDEV_DETACH, "MDEV_DETACH", 1, mdev_detach_errnos),
	MDEV(K_MDEV_PASID, "MDEV_PASID", 1, mdev_pasid_errnos),
	MDEV(K_MDEV_DMA, "MDEV_DMA", 3, mdev_dma_errnos),
	MDEV(K_MDEV_PIN, "MDEV_PIN", 2, mdev_pin_errnos),
	MDEV(K_MDEV_REGS, "MDEV_REGS", 1, mdev_regs_errnos),
	CONT(K_CONT_OPEN, "CONT_OPEN", 0, 0, 1, false, cont_open_errnos),
	CONT(K_CONT_CLOSE, "CONT_CLOSE", 0, 0, 1, false, no_errnos),
	CONT(K_CONT_VERSION, "CONT_VERSION", VFIO_GET_API_VERSION,
	     sizeof(uint64_t), 1, false, no_errnos),
	CONT(K_CONT_EXTENSION, "CONT_EXTENSION", VFIO_CHECK_EXTENSION,
	     sizeof(uint64_t), 1, false, no_errnos),
	CONT(K_CONT_SET_IOMMU, "CONT_SET_IOMMU", VFIO_SET_IOMMU,
	     sizeof(uint64_t), 3, false, set_iommu_errnos),
	CONT(K_CONT_INFO, "CONT_INFO", VFIO_IOMMU_GET_INFO,
	     sizeof(struct vfio_iommu_type1_info), 2, true, cont_info_errnos),
	CONT(K_CONT_MAP, "CONT_MAP", VFIO_IOMMU_MAP_DMA,
	     sizeof(struct vfio_iommu_type1_dma_map), 5, false,
	     cont_map_errnos),
	CONT(K_CONT_UNMAP, "CONT_UNMAP", VFIO_IOMMU_UNMAP_DMA,
	     sizeof(struct vfio_iommu_type1_dma_unmap), 4, true,
	     cont_unmap_errnos),
	CONT(K_CONT_IOASID, "CONT_IOASID", 0, 4 * sizeof(uint64_t), 1, false,
	     cont_ioasid_errnos),
	CONT(K_GROUP_SET, "GROUP_SET", VFIO_GROUP_SET_CONTAINER,
	     sizeof(uint64_t), 2, false, group_set_errnos),
	CONT(K_GROUP_UNSET, "GROUP_UNSET", VFIO_GROUP_UNSET_CONTAINER, 0, 1,
	     false, group_unset_errnos),
	CONT(K_GROUP_DEVICE, "GROUP_DEVICE", VFIO_GROUP_GET_DEVICE_FD,
	     sizeof(uint64_t), 2, false, group_device_errnos),
	VDPA(K_VDPA_OPEN, "VDPA_OPEN", 0, 0, 1, false, vdpa_open_errnos),
	VDPA(K_VDPA_CLOSE, "VDPA_CLOSE", 0, 0, 1, false, no_errnos),
	VDPA(K_VDPA_BIND, "VDPA_BIND", VHOST_VDPA_IOASID_BIND,
	     sizeof(struct vhost_vdpa_ioasid_bind), 2, false,
	     vdpa_bind_errnos),
	VDPA(K_VDPA_ATTACH, "VDPA_ATTACH", VHOST_VDPA_IOASID_ATTACH,
	     sizeof(struct vhost_vdpa_ioasid_attach), 2, true,
	     vdpa_attach_errnos),
	VDPA(K_VDPA_DETACH, "VDPA_DETACH", VHOST_VDPA_IOASID_DETACH,
	     sizeof(struct vhost_vdpa_ioasid_detach), 1, false,
	     vdpa_detach_errnos),
	VDPA(K_VDPA_IOTLB, "VDPA_IOTLB", 0, sizeof(struct vhost_msg_v2), 1,
	     false, vdpa_iotlb_errnos),
	VDPA(K_VDPA_STATUS, "VDPA_STATUS", VHOST_VDPA_SET_STATUS,
	     sizeof(uint64_t), 1, false, no_errnos),
	QUEUE(K_FAULT_READ, "FAULT_READ", 4, fault_read_errnos),
	QUEUE(K_FAULT_WRITE, "FAULT_WRITE", 4, fault_write_errnos),
	QUEUE(K_FAULT_CLOSE, "FAULT_CLOSE", 1, no_errnos),
};

static void init_kinds(void)
{
	static const struct {
		call_fn gen;
		call_fn rules;
		call_fn done;
	} fns[NR_KINDS] = {
		[K_GET_INFO] = { gen_get_info, rules_get_info, done_get_info },
		[K_DESTROY] = { gen_destroy, rules_destroy, done_destroy },
		[K_ALLOC] = { gen_alloc, rules_alloc, done_alloc },
		[K_IOVA_RANGES] = { gen_iova_ranges, rules_iova_ranges,
				    done_iova_ranges },
		[K_SET_ALLOWED] = { gen_set_allowed, rules_set_allowed },
		[K_MAP] = { gen_map, rules_map, done_map },
		[K_UNMAP] = { gen_unmap, rules_unmap, done_unmap },
		[K_COPY] = { gen_copy, rules_copy, done_copy },
		[K_OPTION] = { gen_option, rules_option, done_option },
		[K_DIRTY_READ] = { gen_dirty_read, rules_dirty_read },
		[K_DEVICE_INFO] = { gen_device_info, rules_device_info,
				    done_device_info },
		[K_INVALIDATE] = { gen_invalidate, rules_invalidate,
				   done_invalidate },
		[K_FAULT_QUEUE] = { gen_fault_queue, rules_fault_queue,
				    done_fault_queue },
		[K_MOCK_DEVICE] = { gen_mock_device, rules_mock_device,
				    done_mock_device },
		[K_ATTACH] = { gen_attach, rules_attach, done_attach },
		[K_DETACH] = { gen_detach, rules_detach, done_detach },
		[K_DMA] = { gen_dma, rules_dma, done_dma },
		[K_IOPTE] = { gen_iopte, rules_iopte, done_iopte },
		[K_PINNED] = { gen_pinned, rules_pinned },
		[K_ATTACH_PASID] = { gen_attach_pasid, rules_attach_pasid,
				     done_attach_pasid },
		[K_DETACH_PASID] = { gen_detach_pasid, rules_detach_pasid,
				     done_detach_pasid },
		[K_ACCESS_CREATE] = { gen_access_create, rules_access_create,
				      done_access_create },
		[K_ACCESS_ATTACH] = { gen_access_attach, rules_access_attach,
				      done_access_attach },
		[K_ACCESS_DETACH] = { gen_access_detach, rules_access_detach,
				      done_access_detach },
		[K_ACCESS_PIN] = { gen_access_pin, rules_access_pin,
				   done_access_pin },
		[K_ACCESS_UNPIN] = { gen_access_unpin, rules_access_unpin,
				     done_access_unpin },
		[K_ACCESS_RW] = { gen_access_rw, rules_access_rw,
				  done_access_rw },
		[K_ACCESS_DMA] = { gen_access_dma, rules_access_dma,
				   done_access_dma },
		[K_ACCESS_CONFIG] = { gen_access_config, rules_access_config,
				      done_access_config },
		[K_BIND_UNTRANSLATED] = { gen_bind_untranslated,
					  rules_bind_untranslated },
		[K_FLOOR] = { gen_floor, rules_floor, done_floor },
		[K_TEST_OP] = { gen_test_op, rules_test_op },
		[K_BAD_NR] = { gen_get_info, rules_bad_nr },
		[K_BAD_FD] = { gen_get_info, rules_bad_fd },
	};
	unsigned int k;

	for (k = 0; k < NR_KINDS; k++) {
		kinds[k].gen = fns[k].gen;
		kinds[k].rules = fns[k].rules;
		kinds[k].done = fns[k].done;
	}
	kinds[K_BAD_NR].not_ours = true;
	kinds[K_BAD_FD].not_ours = true;
	for (k = K_GROUP_SET; k <= K_GROUP_DEVICE; k++)
		kinds[k].group = true;
	kinds[K_CONT_INFO].argsz = true;
	kinds[K_CONT_MAP].argsz = true;
	kinds[K_CONT_UNMAP].argsz = true;
}

static bool errno_in(const int *list, int err)
{
	for (; *list; list++)
		if (*list == err)
			return true;
	return false;
}

/* Whether the documentation gives @err for command @k. */
static bool errno_allowed(const struct kind_desc *k, int err)
{
	if (k->not_ours)
		return false;
	if (k->mdev || k->container || k->vdpa || k->queue)
		return errno_in(k->errnos, err);
	return errno_in(common_errnos, err) || errno_in(k->errnos, err);
}

/* Whether a successful call writes its struct back. */
static bool call_responds(const struct call *c)
{
	if (c->kind == K_OPTION)
		return c->in.option.op == IOASID_OPTION_GET;
	return kinds[c->kind].responds;
}

/* Envelopes: the size, the tail and where the struct lies */

static uint32_t pick_size(struct fuzz *f, const struct kind_desc *k,
			  uint32_t *dirty)
{
	unsigned int r = below(f, 100);
	uint32_t size;

	*dirty = 0;
	if (r < 72)
		return k->size;
	if (r < 78)
		return below(f, k->min_size);
	if (r < 82 && k->min_size < k->size)
		return k->min_size + below(f, k->size - k->min_size);
	if (r >= 96) {
		static const uint32_t huge[] = { 1, 2, 4096, UINT32_MAX };
		uint32_t extra = huge[below(f, ARRAY_SIZE(huge))];

		return extra == UINT32_MAX ? extra : page + extra;
	}
	size = k->size + 8 * (1 + below(f, 4));
	if (one_in(f, 3))
		size = k->size + 1 + below(f, page - k->size);
	if (r >= 90)
		*dirty = k->size + below(f, size - k->size);
	return size;
}

static void pick_place(struct fuzz *f, struct envelope *env)
{
	uint8_t *p2 = f->call_area + 2 * page;
	unsigned int r = below(f, 100);

	env->place = PL_NORMAL;
	env->base = f->call_area + 8 * below(f, (page - CANARY) / 8);
	if (r >= 97) {
		env->place = PL_BAD;
		env->base = (uint8_t *)(uintptr_t)bad_pointer(f);
	} else if (env->size > page) {
		env->base = f->call_area;
	} else if (r >= 80 && r < 85) {
		env->place = PL_UNALIGNED;
		env->base = f->call_area + 1 + below(f, page - CANARY - 1);
	} else if (r >= 85 && r < 91) {
		env->place = PL_READONLY;
		env->base = p2 + 8 * below(f, (page - env->size) / 8 + 1);
	} else if (r >= 91 && env->size >= 8) {
		env->place = r < 95 ? PL_STRADDLE_NONE : PL_STRADDLE_RO;
		env->split = 4 + below(f, env->size - 4);
		env->base = p2 - env->split;
	}
}

static uint32_t canary_start(const struct envelope *env)
{
	return env->size > 4 ? env->size : 4;
}

static bool checks_memory(const struct envelope *env)
{
	return (env->place == PL_NORMAL || env->place == PL_UNALIGNED) &&
	       env->size <= page;
}

/* Lays the struct out as the envelope says and protects its pages. */
static void build_envelope(struct fuzz *f, struct call *c)
{
	struct envelope *env = &c->env;
	uint32_t ksize = kinds[c->kind].size;
	uint8_t *p2 = f->call_area + 2 * page;
	uint32_t n = env->size < ksize ? env->size : ksize;

	if (env->place == PL_BAD)
		return;
	memset(f->call_area, 0, 3 * page);
	memcpy(env->base, &c->in, n > 4 ? n : 4);
	if (!kinds[c->kind].argsz)
		memcpy(env->base, &env->size, sizeof(env->size));
	if (env->dirty)
		env->base[env->dirty] = 1 + below(f, 255);
	if (checks_memory(env)) {
		memset(env->base + canary_start(env), CANARY_BYTE, CANARY);
		memcpy(f->snap, env->base, canary_start(env) + CANARY);
	}
	if (env->place == PL_READONLY || env->place == PL_STRADDLE_RO)
		mprotect(p2, page, PROT_READ);
	else if (env->place == PL_STRADDLE_NONE)
		mprotect(p2, page, PROT_NONE);
}

static void unbuild_envelope(struct fuzz *f, struct call *c)
{
	const struct envelope *env = &c->env;
	uint32_t ksize = kinds[c->kind].size;

	if (env->place == PL_BAD)
		return;
	if (env->place >= PL_READONLY)
		mprotect(f->call_area + 2 * page, page,
			 PROT_READ | PROT_WRITE);
	memcpy(&c->out, env->base, env->size < ksize ? env->size : ksize);
}

/* What the size, the tail and the placement alone decide. */
static void envelope_rules(const struct call *c, struct verdict *v)
{
	const struct kind_desc *k = &kinds[c->kind];
	const struct envelope *env = &c->env;
	uint32_t seen = env->size < k->size ? env->size : k->size;

	if (env->place == PL_BAD)
		must_fail_with(v, "the struct is not in user memory", EFAULT,
			       0);
	else if (env->size < k->min_size)
		must_fail_with(v, "size is below the first version", EINVAL, 0);
	else if (env->size > page)
		must_fail_with(v, "size exceeds the page size", E2BIG, 0);
	else if (env->place == PL_STRADDLE_NONE)
		must_fail_with(v, "the struct runs into an unreadable page",
			       EFAULT, env->dirty ? E2BIG : 0);
	else if (env->dirty)
		must_fail_with(v, "a byte past the kernel's struct is not zero",
			       E2BIG, 0);
	else if (call_responds(c) &&
		 (env->place == PL_READONLY ||
		  (env->place == PL_STRADDLE_RO && env->split < seen)))
		must_fail(v, "the answer cannot be written back");
}

/* Zeroes what the kernel does not read of a struct shorter than its own. */
static void truncate_cmd(union cmd *c, uint32_t size)
{
	if (size < sizeof(*c))
		memset((uint8_t *)c + size, 0, sizeof(*c) - size);
}

/* Checking a call */

static void check_errno(struct fuzz *f, struct call *c)
{
	const struct kind_desc *k = &kinds[c->kind];
	const struct verdict *v = &c->v;
	int err = c->err;
	bool shown;

	if (!err && v->must_fail)
		shown = fail_msg(f, "%s succeeded, but %s", k->name, v->why);
	else if (err && v->exact[0] && err != v->exact[0] &&
		 err != v->exact[1])
		shown = fail_msg(f, "%s: %s, but %s: want %s", k->name,
				 errno_name(err), v->why,
				 errno_name(v->exact[0]));
	else if (err && !v->exact[0] && !errno_allowed(k, err))
		shown = fail_msg(f, "%s: %s is not documented for it",
				 k->name, errno_name(err));
	else if (err && !v->exact[0] && v->must_succeed)
		shown = fail_msg(f, "%s: %s, but %s must succeed", k->name,
				 errno_name(err), v->ok_why);
	else
		return;
	if (shown)
		describe_call(c, k->name, k->size);
}

static bool bytes_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	return !memcmp(a, b, len);
}

/*
 * Output only within size; nothing at all from a call that failed,
 * except where the documentation says otherwise.
 */
static void check_writes(struct fuzz *f, struct call *c)
{
	const struct envelope *env = &c->env;
	const char *name = kinds[c->kind].name;
	uint32_t ksize = kinds[c->kind].size, cstart = canary_start(env);
	bool may_write = !c->err || c->err == EFAULT ||
			 (c->kind == K_IOVA_RANGES && c->err == EMSGSIZE) ||
			 (c->kind == K_DMA && c->err == EIO) ||
			 c->kind == K_INVALIDATE;
	bool shown;

	if (!checks_memory(env))
		return;
	if (!bytes_equal(env->base + cstart, f->snap + cstart, CANARY))
		shown = fail_msg(f, "%s wrote past size %u", name, env->size);
	else if (!may_write && !bytes_equal(env->base, f->snap, env->size))
		shown = fail_msg(f, "%s failed with %s but wrote its struct",
				 name, errno_name(c->err));
	else if (env->size > ksize &&
		 !bytes_equal(env->base + ksize, f->snap + ksize,
			      env->size - ksize))
		shown = fail_msg(f, "%s wrote past its own struct", name);
	else if (!bytes_equal(env->base, f->snap, sizeof(uint32_t)))
		shown = fail_msg(f, "%s changed size", name);
	else
		return;
	if (shown)
		describe_call(c, name, ksize);
}

static void check_out(struct fuzz *f, struct call *c)
{
	uint64_t got = c->kind == K_UNMAP ? c->out.unmap.out_length : 0;

	if (c->err || !c->v.has_out || got == c->v.out)
		return;
	if (fail_msg(f, "%s: out_length %llx, the model has %llx",
		     kinds[c->kind].name, ULL(got), ULL(c->v.out)))
		describe_call(c, kinds[c->kind].name, kinds[c->kind].size);
}

/* Making a call */

/*
 * The envelope's rules come first: the kernel cannot look at the fields
 * before it has the struct.
 */
static void decide(struct call *c)
{
	const struct kind_desc *k = &kinds[c->kind];
	struct verdict env = {};

	k->rules(c);
	if (k->not_ours)
		return;
	envelope_rules(c, &env);
	if (env.exact[0]) {
		c->v = env;
		return;
	}
	if (env.must_fail) {
		/* The answer cannot be written: any error but not success. */
		c->v.must_fail = true;
		c->v.why = env.why;
		c->v.exact[0] = 0;
	}
	if (c->v.must_fail)
		c->v.must_succeed = false;
}

static void tally(struct fuzz *f, const struct call *c)
{
	int err = c->err < NR_ERRNO ? c->err : NR_ERRNO - 1;

	count(&f->stats->calls[c->kind][err]);
	if (c->v.must_fail)
		count(&f->stats->must_fail);
	if (c->v.must_succeed)
		count(&f->stats->must_succeed);
	if (f->verbose) {
		printf("# %lu%s: %s -> %s\n", f->op, f->child ? " (child)" : "",
		       kinds[c->kind].name, errno_name(c->err));
		describe_call(c, kinds[c->kind].name, kinds[c->kind].size);
	}
}

static void issue(struct fuzz *f, struct call *c)
{
	long ret;

	build_envelope(f, c);
	ret = ioctl(c->fd, c->request, c->env.base);
	c->err = ret ? errno : 0;
	unbuild_envelope(f, c);
	if (ret && ret != -1)
		fail_msg(f, "%s returned %ld", kinds[c->kind].name, ret);
}

static void ioctl_op(struct fuzz *f, enum cmd_kind kind, struct slot *s)
{
	const struct kind_desc *k = &kinds[kind];
	struct call c = {
		.f = f,
		.kind = kind,
		.s = s,
		.fd = s->fd,
		.request = k->request,
	};

	/* Half the calls well formed, to reach what lies behind the checks. */
	f->sane = !k->not_ours && kind != K_TEST_OP && one_in(f, 2);
	if (k->not_ours || f->sane) {
		c.env.size = k->size;
		c.env.base = f->call_area + 8 * below(f, page / 8 - 16);
	} else {
		c.env.size = pick_size(f, k, &c.env.dirty);
		pick_place(f, &c.env);
	}
	if (kind == K_BAD_NR)
		c.request = bad_request(f);
	if (kind == K_BAD_FD)
		c.fd = one_in(f, 2) ? f->memfd : CLOSED_FD + (int)below(f, 100);
	k->gen(&c);
	f->sane = false;
	truncate_cmd(&c.in, c.env.size);
	decide(&c);
	issue(f, &c);
	tally(f, &c);
	check_errno(f, &c);
	check_writes(f, &c);
	check_out(f, &c);
	if ((kind == K_MAP || kind == K_COPY) && c.err == EFAULT)
		vdpa_map_undone(&c);
	if (k->done && (!c.err || kind == K_IOVA_RANGES || kind == K_DMA ||
			kind == K_INVALIDATE ||
			kind == K_UNMAP || kind == K_ACCESS_ATTACH ||
			kind == K_ACCESS_DETACH || kind == K_ACCESS_PIN ||
			kind == K_FLOOR))
		k->done(&c);
}

/* Views */

/*
 * Takes the lock that keeps the fds the reader reads open.  A child has no
 * reader, and may have inherited the lock held: it never takes it.
 */
static void views_lock(struct fuzz *f)
{
	if (!f->child && f->viewing)
		pthread_mutex_lock(&f->views_lock);
}

static void views_unlock(struct fuzz *f)
{
	if (!f->child && f->viewing)
		pthread_mutex_unlock(&f->views_lock);
}

/* The fd of @s is @fd from now on, or -1; under views_lock. */
static void watch_fd(struct fuzz *f, struct slot *s, int fd)
{
	unsigned int i = s - f->slots;

	f->watch[i] = fd;
	f->view_ctx[i] = 0;
}

/* Read sizes, for the fdinfo's single buffer and the mappings' seq_file. */
static const size_t view_chunks[] = { 64, 100, 4096, 65536 };

/* The owner file of a context the parent opened names the parent. */
static void view_owner(struct fuzz *f, uint32_t ctx)
{
	char path[128], comm[32], *text;
	pid_t pid = 0;
	int err;

	debugfs_path(path, sizeof(path), ctx, "owner");
	text = view_read_path(path, 4096, NULL, &err);
	if (!text) {
		fail_msg(f, "reading %s: %s", path, errno_name(err));
		return;
	}
	if (owner_parse(text, &pid, comm, sizeof(comm)))
		fail_msg(f, "%s: \"%.60s\" does not parse", path, text);
	else if (pid != getpid())
		fail_msg(f, "%s: pid %d, the fuzzer is %d", path, pid,
			 getpid());
	free(text);
}

static void view_mappings(struct fuzz *f, struct rng *r, uint32_t ctx)
{
	size_t chunk = view_chunks[rng_next(r) % ARRAY_SIZE(view_chunks)];
	char path[128], why[VIEW_ERR_LEN], *text;
	struct view_mapping *maps;
	size_t nr;
	int err;

	debugfs_path(path, sizeof(path), ctx, "mappings");
	text = view_read_path(path, chunk, NULL, &err);
	count(&f->stats->mappings_reads);
	if (!text) {
		fail_msg(f, "reading %s by %zu: %s", path, chunk,
			 errno_name(err));
		return;
	}
	err = mappings_parse(text, &maps, &nr, why, sizeof(why));
	if (err)
		fail_msg(f, "%s: %s", path,
			 err == VIEW_REFUSED ? why : "no memory");
	free(maps);
	free(text);
}

/*
 * Reads and parses the fdinfo of slot @i's fd, which stays open meanwhile,
 * and the files of its context's debugfs directory.
 */
static void view_slot(struct fuzz *f, struct rng *r, unsigned int i)
{
	size_t chunk = view_chunks[rng_next(r) % ARRAY_SIZE(view_chunks)];
	struct view_fdinfo fi = {};
	char path[64], *text;
	int fd = f->watch[i];
	int err;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	text = view_read_path(path, chunk, NULL, &err);
	count(&f->stats->fdinfo_reads);
	if (!text) {
		fail_msg(f, "reading %s by %zu: %s", path, chunk,
			 errno_name(err));
		return;
	}
	err = fdinfo_parse(text, &fi);
	free(text);
	if (err) {
		fail_msg(f, "%s: %s", path,
			 err == VIEW_REFUSED ? fi.error : "no memory");
	} else if (f->view_ctx[i] && f->view_ctx[i] != fi.context) {
		fail_msg(f, "%s: context %u, and %u before on the same file",
			 path, fi.context, f->view_ctx[i]);
	} else if (f->debugfs) {
		if (!f->view_ctx[i])
			view_owner(f, fi.context);
		view_mappings(f, r, fi.context);
	}
	if (!err)
		f->view_ctx[i] = fi.context;
	fdinfo_free(&fi);
}

static void *viewer_main(void *arg)
{
	struct timespec ts = { .tv_nsec = VIEW_PERIOD_US * 1000L };
	struct fuzz *f = arg;
	struct rng r;
	unsigned int i;

	/* A stream of its own: the calls the seed replays stay the same. */
	rng_init(&r, f->seed, 1);
	while (!__atomic_load_n(&f->viewer_stop, __ATOMIC_ACQUIRE)) {
		pthread_mutex_lock(&f->views_lock);
		for (i = 0; i < NR_SLOTS; i++)
			if (f->watch[i] >= 0)
				view_slot(f, &r, i);
		pthread_mutex_unlock(&f->views_lock);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void views_start(struct fuzz *f)
{
	unsigned int i;

	for (i = 0; i < NR_SLOTS; i++)
		watch_fd(f, &f->slots[i], f->slots[i].fd);
	f->debugfs = !geteuid() && !access(IOASID_DEBUGFS, F_OK);
	pthread_mutex_init(&f->views_lock, NULL);
	f->viewing = !pthread_create(&f->viewer, NULL, viewer_main, f);
	if (!f->viewing)
		ksft_print_msg("no thread to read the views: not read\n");
	else if (!f->debugfs)
		ksft_print_msg("no %s: the fdinfo alone is read\n",
			       IOASID_DEBUGFS);
}

static void views_stop(struct fuzz *f)
{
	if (!f->viewing)
		return;
	__atomic_store_n(&f->viewer_stop, 1, __ATOMIC_RELEASE);
	pthread_join(f->viewer, NULL);
	f->viewing = false;
	pthread_mutex_destroy(&f->views_lock);
}

/* Fds */

static struct slot *open_slot(struct fuzz *f, struct slot *s)
{
	int fd, err;

	if (!s)
		return NULL;
	fd = open("/dev/ioasid", O_RDWR | (one_in(f, 2) ? O_CLOEXEC : 0));
	err = errno;
	views_lock(f);
	s->fd = fd;
	watch_fd(f, s, fd);
	views_unlock(f);
	model_reset(s);
	if (s->fd >= 0)
		return s;
	fail_msg(f, "open /dev/ioasid: %s", strerror(err));
	return NULL;
}

static void close_queues(struct slot *s)
{
	unsigned int i;

	for (i = 0; i < s->nr_queues; i++)
		queue_close(&s->queues[i]);
}

/*
 * The queues' fds hold the context: they are closed with the slot's fd,
 * before it or after it.
 */
static void close_slot(struct fuzz *f, struct slot *s)
{
	bool queues_first = one_in(f, 2);

	mdev_orphan(s);
	vdpa_orphan(s);
	if (queues_first)
		close_queues(s);
	views_lock(f);
	close(s->fd);
	s->fd = -1;
	watch_fd(f, s, -1);
	views_unlock(f);
	if (!queues_first)
		close_queues(s);
	model_reset(s);
}

static void close_all(struct fuzz *f)
{
	unsigned int i;

	for (i = 0; i < NR_SLOTS; i++)
		if (f->slots[i].fd >= 0)
			close_slot(f, &f->slots[i]);
}

/* A slot whose fd is open (@open) or closed, or NULL. */
static struct slot *find_slot(struct fuzz *f, bool open)
{
	unsigned int i, first = below(f, NR_SLOTS);

	for (i = 0; i < NR_SLOTS; i++) {
		struct slot *s = &f->slots[(first + i) % NR_SLOTS];

		if (open ? s->fd >= 0 : s->fd < 0)
			return s;
	}
	return NULL;
}

static struct slot *pick_slot(struct fuzz *f)
{
	return find_slot(f, true) ?: open_slot(f, find_slot(f, false));
}

static void dup_op(struct fuzz *f)
{
	struct slot *src = find_slot(f, true), *dst = find_slot(f, false);
	int fd;

	if (!src || !dst)
		return;
	fd = dup(src->fd);
	if (fd < 0) {
		fail_msg(f, "dup: %s", strerror(errno));
		return;
	}
	*dst = *src;
	/* The queues' fds stay with the slot that made them. */
	dst->nr_queues = 0;
	views_lock(f);
	dst->fd = fd;
	watch_fd(f, dst, fd);
	views_unlock(f);
	src->exact = false;
	dst->exact = false;
}

/* Fault queues' fds */

/* An open fault queue of an open slot, and its slot; or NULL. */
static struct queue_model *pick_queue(struct fuzz *f, struct slot **sp)
{
	unsigned int i, j, first = below(f, NR_SLOTS), at;
	struct slot *s;

	for (i = 0; i < NR_SLOTS; i++) {
		s = &f->slots[(first + i) % NR_SLOTS];
		if (s->fd < 0 || !s->nr_queues)
			continue;
		at = below(f, s->nr_queues);
		for (j = 0; j < s->nr_queues; j++) {
			if (s->queues[(at + j) % s->nr_queues].fd < 0)
				continue;
			*sp = s;
			return &s->queues[(at + j) % s->nr_queues];
		}
	}
	return NULL;
}

static bool __printf(3, 4) queue_fail(struct fuzz *f,
				      const struct queue_model *q,
				      const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail_msg(f, "fault queue %u (depth %u, records of %u): %s",
			q->id, q->depth, q->record_len, msg);
}

/*
 * What the queue's fdinfo says: its id and depth, and, where the model
 * knows them, the groups it holds and those not read yet.
 */
static void queue_check_fdinfo(struct fuzz *f, const struct queue_model *q,
			       bool certain)
{
	unsigned int id, depth, held, unread;
	unsigned long long lost;
	char path[64], text[512], *line;
	int fd, n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", q->fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		queue_fail(f, q, "%s: %s", path, strerror(errno));
		return;
	}
	text[n] = 0;
	line = strstr(text, "ioasid-fault-queue:\t");
	if (!line ||
	    sscanf(line, "ioasid-fault-queue:\t%u depth=%u held=%u unread=%u lost=%llu",
		   &id, &depth, &held, &unread, &lost) != 5)
		queue_fail(f, q, "fdinfo lacks its line: %s", text);
	else if (id != q->id || depth != q->depth ||
		 (certain && (held != q->nr_held ||
			      unread != queue_unread(q))))
		queue_fail(f, q, "fdinfo: %u, depth %u, %u/%u held/unread, not %u/%u",
			   id, depth, held, unread, q->nr_held,
			   queue_unread(q));
}

/* The first group of @q not read yet, or NULL. */
static struct held_model *queue_next_unread(struct queue_model *q)
{
	unsigned int i;

	for (i = 0; i < q->nr_held; i++)
		if (!q->held[i].cookie)
			return &q->held[i];
	return NULL;
}

static struct held_model *queue_find_cookie(struct queue_model *q,
					    uint32_t cookie)
{
	unsigned int i;

	for (i = 0; cookie && i < q->nr_held; i++)
		if (q->held[i].cookie == cookie)
			return &q->held[i];
	return NULL;
}

/*
 * A record read: well formed, a group of one page, and, where the model
 * knows the groups, the next one, whose cookie it learns.  Otherwise its
 * cookie is kept as one that may be answered, when there is room.
 */
static void queue_check_record(struct fuzz *f, struct slot *s,
			       struct queue_model *q, bool certain,
			       const uint8_t *rec)
{
	const struct ioasid_fault *r = (const void *)rec;
	bool pasid = r->flags & IOASID_FAULT_PASID_VALID;
	struct nest_model *n = s->exact ? find_nest(s, r->ioasid) : NULL;
	struct held_model *h = certain ? queue_next_unread(q) : NULL;
	uint32_t i;

	for (i = sizeof(*r); i < q->record_len && !rec[i]; i++)
		;
	if (r->flags & ~FAULT_FLAGS || !(r->flags & IOASID_FAULT_LAST) ||
	    (!pasid && r->pasid) || !r->cookie || r->addr & (page - 1) ||
	    (r->perm != IOASID_FAULT_PERM_READ &&
	     r->perm != IOASID_FAULT_PERM_WRITE) || i < q->record_len ||
	    queue_find_cookie(q, r->cookie)) {
		queue_fail(f, q, "record: flags %#x pasid %u perm %#x addr %llx cookie %u tail %u",
			   r->flags, r->pasid, r->perm, ULL(r->addr),
			   r->cookie, i);
		return;
	}
	count(&f->stats->fault_records);
	if (s->exact && (!n || n->queue != q->id))
		queue_fail(f, q, "a record of IOASID %u, which does not name it",
			   r->ioasid);
	if (certain && (!h || r->dev_id != h->dev_id ||
			r->ioasid != h->ioasid ||
			(h->pasid ? !pasid || r->pasid != h->pasid : pasid) ||
			r->perm != h->perm || r->addr < h->first ||
			r->addr > h->last ||
			(h->lost >= 0 &&
			 !(r->flags & IOASID_FAULT_LOST) != !h->lost))) {
		queue_fail(f, q, "record %u/%u/%u/%#x/%llx/%#x: model has %s",
			   r->dev_id, r->ioasid, r->pasid, r->perm,
			   ULL(r->addr), r->flags,
			   h ? "another group" : "no group unread");
		q->fuzzy = true;
		h = NULL;
	}
	if (h) {
		h->cookie = r->cookie;
		return;
	}
	if (q->nr_held == MAX_HELD) {
		/* The queue may hold read cookies the model does not keep. */
		q->fuzzy = true;
		q->untracked = true;
		return;
	}
	h = &q->held[q->nr_held++];
	memset(h, 0, sizeof(*h));
	h->cookie = r->cookie;
	h->dev_id = r->dev_id;
	h->ioasid = r->ioasid;
}

/*
 * A read of whole records, as many as fit, or of fewer bytes than one
 * (EINVAL), or into memory that is not there (EFAULT, or EAGAIN while
 * there is nothing to read); never a wait.  poll() must say whether
 * there is something to read.
 */
static void queue_read(struct fuzz *f, struct slot *s, struct queue_model *q)
{
	bool certain = queue_certain(s, q), bad = false;
	unsigned int unread = queue_unread(q), want, i;
	size_t len = q->record_len * (1 + below(f, 4));
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN | POLLOUT };
	uint8_t *buf = f->scratch;
	ssize_t ret;
	int err;

	switch (below(f, 12)) {
	case 0:
		len = below(f, q->record_len);
		break;
	case 1:
		len += 1 + below(f, q->record_len - 1);
		break;
	case 2:
		bad = true;
		break;
	}
	if (len > SCRATCH_LEN)
		len = SCRATCH_LEN;
	if (poll(&pfd, 1, 0) < 0 || !(pfd.revents & POLLOUT) ||
	    (certain && !(pfd.revents & POLLIN) != !unread))
		queue_fail(f, q, "poll gave %#x with %u records unread",
			   pfd.revents, unread);
	if (one_in(f, 4))
		queue_check_fdinfo(f, q, certain);
	memset(buf, CANARY_BYTE, len + 1);
	ret = read(q->fd, bad ? (void *)(uintptr_t)bad_pointer(f) : buf, len);
	err = ret < 0 ? errno : 0;
	count(&f->stats->calls[K_FAULT_READ][err < NR_ERRNO ? err : 0]);
	want = len / q->record_len < unread ? len / q->record_len : unread;
	/* The VFS may refuse memory that is not the user's first. */
	if (bad) {
		if (ret >= 0 || (err != EFAULT &&
				 (len < q->record_len ? err != EINVAL :
				  err != EAGAIN || (certain && unread))))
			queue_fail(f, q, "a read of %zu into no memory: %zd (%s), %u unread",
				   len, ret, errno_name(err), unread);
		return;
	}
	if (len < q->record_len) {
		if (err != EINVAL)
			queue_fail(f, q, "a read of %zu bytes gave %zd (%s), not EINVAL",
				   len, ret, errno_name(err));
		return;
	}
	if (ret < 0) {
		if (err != EAGAIN || (certain && unread))
			queue_fail(f, q, "a read gave %s with %u records unread",
				   errno_name(err), unread);
		return;
	}
	if (!ret || ret % q->record_len || (size_t)ret > len ||
	    (certain && ret / q->record_len != want) ||
	    buf[ret] != CANARY_BYTE) {
		queue_fail(f, q, "a read of %zu bytes gave %zd with %u records unread",
			   len, ret, unread);
		q->fuzzy = true;
	}
	/* Unread groups the model no longer knows are not kept. */
	for (i = 0; !certain && i < q->nr_held;) {
		if (!q->held[i].cookie)
			queue_drop(q, i);
		else
			i++;
	}
	for (i = 0; i < ret / q->record_len; i++)
		queue_check_record(f, s, q, certain && !q->fuzzy,
				   buf + i * q->record_len);
}

/*
 * A cookie to answer: mostly one read and not answered yet; else one
 * answered already, a small one, which may be that of a group not read
 * yet, 0 or any.
 */
static uint32_t pick_cookie(struct fuzz *f, struct queue_model *q)
{
	unsigned int i, at = below(f, MAX_HELD);

	for (i = 0; !one_in(f, 4) && i < q->nr_held; i++)
		if (q->held[(at + i) % q->nr_held].cookie)
			return q->held[(at + i) % q->nr_held].cookie;
	switch (below(f, 5)) {
	case 0:
		return q->answered[below(f, MAX_ANSWERED)];
	case 1:
		return rnd(f);
	default:
		return below(f, 32);
	}
}

enum answer {
	ANS_TAKEN,	/* the queue takes it */
	ANS_REFUSED,	/* it fails */
	ANS_EITHER,	/* the model cannot tell */
};

/*
 * What the queue makes of response @i of @r, after those before it were
 * taken: an unknown code, or a cookie the queue holds read, which no
 * other reader can have read, may only be refused.
 */
static enum answer queue_answer(struct queue_model *q, bool certain,
				const struct ioasid_fault_response *r,
				unsigned int i)
{
	unsigned int j;

	if (r[i].code > IOASID_FAULT_RESPONSE_FAILURE)
		return ANS_REFUSED;
	for (j = 0; j < i; j++)
		if (r[j].cookie == r[i].cookie)
			return ANS_REFUSED;
	if (queue_find_cookie(q, r[i].cookie))
		return certain ? ANS_TAKEN : ANS_EITHER;
	return q->untracked ? ANS_EITHER : ANS_REFUSED;
}

/*
 * A write of responses, which the queue takes in order until one fails,
 * or of a length that is not a multiple of one (EINVAL), or from memory
 * that is not there (EFAULT).
 */
static void queue_write(struct fuzz *f, struct slot *s, struct queue_model *q)
{
	struct ioasid_fault_response *r = (void *)f->scratch;
	bool certain = queue_certain(s, q), bad = false, unknown;
	unsigned int n = 1 + below(f, 3), i, taken;
	size_t len = n * sizeof(*r);
	enum answer a = ANS_EITHER;
	struct held_model *h;
	ssize_t ret;
	int err;

	for (i = 0; i < n; i++) {
		r[i].cookie = pick_cookie(f, q);
		r[i].code = one_in(f, 12) ? junk32(f, 1) : below(f, 3);
	}
	switch (below(f, 12)) {
	case 0:
		len = 0;
		break;
	case 1:
		len -= 1 + below(f, sizeof(*r) - 1);
		break;
	case 2:
		bad = true;
		break;
	}
	ret = write(q->fd, bad ? (void *)(uintptr_t)bad_pointer(f) : r, len);
	err = ret < 0 ? errno : 0;
	count(&f->stats->calls[K_FAULT_WRITE][err < NR_ERRNO ? err : 0]);
	/* The VFS may refuse memory that is not the user's first. */
	if (!len || len % sizeof(*r) || bad) {
		if (ret >= 0 || (err != EFAULT && err != EINVAL) ||
		    (err == EFAULT && !bad) ||
		    (err == EINVAL && len && !(len % sizeof(*r))))
			queue_fail(f, q, "a write of %zu bytes%s gave %zd (%s)",
				   len, bad ? " from no memory" : "", ret,
				   errno_name(err));
		return;
	}
	taken = ret > 0 ? ret / sizeof(*r) : 0;
	if (ret >= 0 && (!taken || taken > n || ret % sizeof(*r))) {
		queue_fail(f, q, "a write of %u responses gave %zd", n, ret);
		q->fuzzy = true;
		return;
	}
	for (i = 0; i < taken; i++) {
		a = queue_answer(q, certain, r, i);
		if (a == ANS_REFUSED)
			break;
	}
	if (i < taken) {
		queue_fail(f, q, "response %u of %u, cookie %u code %u, taken",
			   i, n, r[i].cookie, r[i].code);
		q->fuzzy = true;
	} else if (taken < n) {
		a = queue_answer(q, certain, r, taken);
		unknown = r[0].code > IOASID_FAULT_RESPONSE_FAILURE;
		if (a == ANS_TAKEN ||
		    (ret < 0 && err != (unknown ? EINVAL : ENOENT)))
			queue_fail(f, q, "response %u of %u, cookie %u code %u: %zd (%s)",
				   taken, n, r[taken].cookie, r[taken].code,
				   ret, errno_name(err));
	}
	count_n(&f->stats->fault_responses, taken);
	/* Those taken are gone, and so is a group whose answer failed. */
	for (i = 0; i <= taken && i < n; i++) {
		h = queue_find_cookie(q, r[i].cookie);
		if (h && (i < taken ||
			  r[i].code <= IOASID_FAULT_RESPONSE_FAILURE))
			queue_drop(q, h - q->held);
		else if (i < taken)
			queue_answered(q, r[i].cookie);
	}
}

static void queue_op(struct fuzz *f, enum cmd_kind k)
{
	struct slot *s = NULL;
	struct queue_model *q = pick_queue(f, &s);

	if (!q)
		return;
	if (k == K_FAULT_READ) {
		queue_read(f, s, q);
	} else if (k == K_FAULT_WRITE) {
		queue_write(f, s, q);
	} else {
		count(&f->stats->calls[K_FAULT_CLOSE][0]);
		queue_close(q);
	}
}

/* A child closes its copies of the queues' fds, which are the parent's. */
static void queue_leave(struct fuzz *f)
{
	unsigned int i, j;

	for (i = 0; i < NR_SLOTS; i++) {
		for (j = 0; j < f->slots[i].nr_queues; j++)
			if (f->slots[i].queues[j].fd >= 0)
				close(f->slots[i].queues[j].fd);
		f->slots[i].nr_queues = 0;
	}
}

/* Mediated devices */

/* The statuses a command of an mdma child may end with, as sets of bits. */
enum mdma_status {
	ST_OK,
	ST_EINVAL,
	ST_ENXIO,
	ST_ENOENT,
	ST_EPERM,
	ST_EOPNOTSUPP,
	ST_ENOSPC,
	NR_STATUS,
};

#define ST(x)	BIT(ST_##x)

static const int status_errno[NR_STATUS] = {
	[ST_OK] = 0,
	[ST_EINVAL] = EINVAL,
	[ST_ENXIO] = ENXIO,
	[ST_ENOENT] = ENOENT,
	[ST_EPERM] = EPERM,
	[ST_EOPNOTSUPP] = EOPNOTSUPP,
	[ST_ENOSPC] = ENOSPC,
};

/* Paths built from the directory of the parent's types. */
#define MDMA_PATH_LEN	(PATH_MAX + 64)

/*
 * Finds the mdev parent that offers mdma-siov, and which of the other
 * types it offers; without one the kernel lacks the sample.
 */
static void mdma_probe(struct fuzz *f)
{
	struct mdma *md = &f->mdma;
	char path[MDMA_PATH_LEN];
	DIR *d = opendir(MDEV_CLASS);
	struct dirent *e;
	int mode;

	memset(md, 0, sizeof(*md));
	while (d && !md->has[MDMA_SIOV] && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(md->types, sizeof(md->types),
			 MDEV_CLASS "/%s/mdev_supported_types", e->d_name);
		for (mode = MDMA_SIOV; mode < NR_MDMA_MODES; mode++) {
			snprintf(path, sizeof(path), "%s/mdma-%s", md->types,
				 mdma_types[mode]);
			md->has[mode] = !access(path, F_OK);
		}
	}
	if (d)
		closedir(d);
	if (!md->has[MDMA_SIOV])
		memset(md, 0, sizeof(*md));
}

/* available_instances of type @mode; 0 when it cannot be read. */
static unsigned long mdma_available(struct fuzz *f, enum mdma_mode mode)
{
	char path[MDMA_PATH_LEN], buf[32] = "";
	FILE *fp;

	snprintf(path, sizeof(path), "%s/mdma-%s/available_instances",
		 f->mdma.types, mdma_types[mode]);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	if (!fgets(buf, sizeof(buf), fp))
		buf[0] = 0;
	fclose(fp);
	return strtoul(buf, NULL, 10);
}

/* A UUID from the kernel, which draws nothing from the seed's stream. */
static bool new_uuid(char *uuid)
{
	FILE *fp = fopen("/proc/sys/kernel/random/uuid", "r");
	bool ok;

	if (!fp)
		return false;
	ok = fgets(uuid, UUID_LEN + 1, fp) && strlen(uuid) == UUID_LEN;
	fclose(fp);
	return ok;
}

/* Register @reg of @m, whole: 0 or the errno. */
static int mdev_read(const struct mdev_model *m, uint64_t reg, uint64_t *val)
{
	ssize_t n = pread(m->fd, val, sizeof(*val), m->region + reg);

	if (n == (ssize_t)sizeof(*val))
		return 0;
	return n < 0 ? errno : EIO;
}

static int mdev_write(const struct mdev_model *m, uint64_t reg, uint64_t val)
{
	ssize_t n = pwrite(m->fd, &val, sizeof(val), m->region + reg);

	if (n == (ssize_t)sizeof(val))
		return 0;
	return n < 0 ? errno : EIO;
}

/* A read of a bound child, which must work. */
static bool mdev_get(struct fuzz *f, struct mdev_model *m, uint64_t reg,
		     uint64_t *val)
{
	int ret = mdev_read(m, reg, val);

	if (ret)
		fail_msg(f, "mdma-%s %s: reading register %#llx: %s",
			 mdma_types[m->mode], m->uuid, ULL(reg),
			 errno_name(ret));
	return !ret;
}

/* The errno a STATUS register says, as a call's. */
static int status_err(uint64_t status)
{
	return status > INT_MAX ? INT_MAX : (int)status;
}

static unsigned long status_bit(int err)
{
	unsigned int i;

	for (i = 0; i < NR_STATUS; i++)
		if (status_errno[i] == err)
			return BIT(i);
	return 0;
}

/*
 * Counts a command whose STATUS is in c->err, which must be one of @set,
 * the statuses the model allows for the reason @why.
 */
static void status_judge(struct fuzz *f, struct call *c, unsigned long set,
			 const char *why)
{
	const char *name = kinds[c->kind].name;
	char want[128] = "";
	unsigned int i;
	int n = 0;

	if (set == ST(OK))
		must_succeed(&c->v, why);
	else if (!(set & ST(OK)))
		must_fail(&c->v, why);
	tally(f, c);
	if (status_bit(c->err) & set)
		return;
	for (i = 0; i < NR_STATUS && n < (int)sizeof(want); i++)
		if (set & BIT(i))
			n += snprintf(want + n, sizeof(want) - n, "%s%s",
				      n ? " or " : "",
				      errno_name(status_errno[i]));
	if (fail_msg(f, "%s: STATUS %s, but %s: want %s", name,
		     errno_name(c->err), why, want))
		describe_call(c, name, 0);
}

/*
 * What the engine meets at [@iova, @iova + @len) of IOASID @ioas of @ctx
 * for an access that needs @need: ST(OK) when each page is mapped with
 * it, else the faults of the pages that are not.  Both kinds of child walk
 * the pages in turn; which of several faults comes first is theirs to say.
 */
static unsigned long reach_set(struct slot *ctx, uint32_t ioas, uint64_t iova,
			       uint64_t len, uint32_t need)
{
	uint64_t at = iova & ~(page - 1), last = iova + len - 1;
	unsigned long set = 0;
	struct map_model *m;

	for (;;) {
		m = map_at(ctx, ioas, at);
		if (!m)
			set |= ST(ENOENT);
		else if (!(m->flags & need))
			set |= ST(EPERM);
		if (last - at < page)
			break;
		at += page;
	}
	return set ?: ST(OK);
}

/* A mapping of @ioas that holds all of [@iova, @iova + @len), or NULL. */
static struct map_model *map_holding(struct slot *s, uint32_t ioas,
				     uint64_t iova, uint64_t len)
{
	struct map_model *m = map_at(s, ioas, iova);

	return m && iova - m->iova + len <= m->len ? m : NULL;
}

/* Whether every mapping of @ioas lies where the mock IOMMU translates. */
static bool maps_in_aperture(const struct slot *ctx, uint32_t ioas)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_maps; i++) {
		const struct map_model *m = &ctx->maps[i];

		if (m->ioas == ioas &&
		    (m->iova < IOASID_MOCK_APERTURE_START ||
		     m->iova + m->len - 1 > IOASID_MOCK_APERTURE_LAST))
			return false;
	}
	return true;
}

/* The pages @m keeps in [@first, @last], as the model has them. */
static unsigned int mdev_pins_in(const struct mdev_model *m, uint64_t first,
				 uint64_t last)
{
	unsigned int i, n = 0;

	for (i = 0; i < m->nr_pins; i++)
		if (m->pins[i] <= last && m->pins[i] + page - 1 >= first)
			n++;
	return n;
}

static void mdev_drop_pins(struct mdev_model *m, uint64_t first,
			   uint64_t last)
{
	unsigned int i = 0;

	while (i < m->nr_pins) {
		if (m->pins[i] <= last && m->pins[i] + page - 1 >= first)
			m->pins[i] = m->pins[--m->nr_pins];
		else
			i++;
	}
}

/*
 * The pages @m keeps are among the model's @pins: nobody else pins for
 * it, and an unmap the model did not see only takes some.  So PINNED
 * says when they are all there, or all gone.
 */
static void mdev_resync(struct mdev_model *m, uint64_t pinned)
{
	if (!pinned)
		m->nr_pins = 0;
	m->lost = pinned != m->nr_pins;
}

/* After a count the model did not expect, only none is certain. */
static void mdev_distrust(struct mdev_model *m, uint64_t pinned)
{
	if (!pinned)
		m->nr_pins = 0;
	m->lost = pinned != 0;
}

/*
 * Reads PINNED and UNMAPS of emulated child @m after @what, an unmap of
 * [@first, @last] or a move: the child lets go of the pages it keeps
 * there when it is called back, and counts the call if it took some.
 * @done: the call succeeded, so it took them; @maybe: it failed, and may
 * have.  Where the model is exact the registers must say one of those.
 */
static void mdev_settle(struct fuzz *f, struct mdev_model *m,
			const char *what, uint64_t first, uint64_t last,
			bool done, bool maybe)
{
	unsigned int hit = mdev_pins_in(m, first, last);
	uint64_t pinned, unmaps, calls;
	bool kept, dropped;

	if (!mdev_get(f, m, MDMA_REG_PINNED, &pinned) ||
	    !mdev_get(f, m, MDMA_REG_UNMAPS, &unmaps))
		return;
	calls = unmaps - m->unmaps;
	m->unmaps = unmaps;
	if (done && !first && last == UINT64_MAX && pinned) {
		fail_msg(f, "%s of mdma-%s %s left %llu pages pinned", what,
			 mdma_types[m->mode], m->uuid, ULL(pinned));
		mdev_distrust(m, pinned);
		return;
	}
	if (m->lost || !mdev_exact(m)) {
		mdev_resync(m, pinned);
		return;
	}
	kept = pinned == m->nr_pins && !calls;
	dropped = pinned == m->nr_pins - hit && calls == !!hit;
	if (hit && dropped && (done || maybe)) {
		mdev_drop_pins(m, first, last);
		return;
	}
	if (kept && !(done && hit))
		return;
	fail_msg(f, "%s: %s keeps %llu pages, %llu callbacks; model: %u, %u in [%llx, %llx]",
		 what, m->uuid, ULL(pinned), ULL(calls), m->nr_pins, hit,
		 ULL(first), ULL(last));
	mdev_distrust(m, pinned);
}

/*
 * An UNMAP in an IOASID calls back the emulated children attached to it
 * that keep pages in its range, which let go of them.
 */
static void mdev_after_unmap(struct call *c)
{
	const struct ioasid_unmap *u = &c->in.unmap;
	struct mdma *md = &c->f->mdma;
	uint64_t first = 0, last = UINT64_MAX;
	unsigned int i;

	if (!(u->flags & IOASID_UNMAP_ALL)) {
		first = u->iova;
		last = u->iova + u->length - 1;
	}
	for (i = 0; i < md->nr; i++) {
		struct mdev_model *m = &md->mdevs[i];

		if (m->mode == MDMA_EMULATED && m->bound && !m->orphan &&
		    m->s == c->s && m->ioas && m->ioas == u->ioasid)
			mdev_settle(c->f, m, "UNMAP", first, last, !c->err,
				    c->err != 0);
	}
}

/* A child, one whose device fd is open when @open; NULL when none is. */
static struct mdev_model *pick_mdev(struct fuzz *f, bool open)
{
	struct mdma *md = &f->mdma;
	unsigned int i, first;

	if (!md->nr)
		return NULL;
	first = below(f, md->nr);
	for (i = 0; i < md->nr; i++) {
		struct mdev_model *m = &md->mdevs[(first + i) % md->nr];

		if (!open || m->fd >= 0)
			return m;
	}
	return NULL;
}

/* Opens the VFIO cdev of @m, the one entry of its vfio-dev directory. */
static int mdev_open(struct fuzz *f, struct mdev_model *m)
{
	char dir[PATH_MAX], path[PATH_MAX];
	char *name;

	snprintf(dir, sizeof(dir), MDEV_DEVICES "/%s/vfio-dev", m->uuid);
	name = find_entry(dir, has_prefix, "vfio");
	if (!name) {
		fail_msg(f, "mdma-%s %s has no VFIO cdev", mdma_types[m->mode],
			 m->uuid);
		return -1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", name);
	free(name);
	m->fd = open(path, O_RDWR | O_CLOEXEC);
	if (m->fd < 0)
		fail_msg(f, "open %s: %s", path, strerror(errno));
	return m->fd;
}

/*
 * Closes the device fd of @m, if open: the driver resets the registers
 * and lets go of the pages the child kept, and the binding goes.
 */
static void mdev_close(struct mdev_model *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->bound = false;
	m->orphan = false;
	m->s = NULL;
	m->ioas = 0;
	m->src = 0;
	m->dst = 0;
	m->len = 0;
	m->status = 0;
	m->unmaps = 0;
	m->lost = false;
	m->nr_pins = 0;
}

/* Closes the fd of @m and removes it; 0 or the errno of the removal. */
static int mdev_remove(struct fuzz *f, struct mdev_model *m)
{
	char path[PATH_MAX];
	int ret;

	/* Removal waits for the device fd to be closed. */
	mdev_close(m);
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/remove", m->uuid);
	ret = write_attr(path, "1");
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s", m->uuid);
	if (!ret && !access(path, F_OK))
		fail_msg(f, "%s is still there once removed", path);
	return ret;
}

static void mdev_call(struct call *c, struct fuzz *f, enum cmd_kind kind,
		      struct mdev_model *m)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->kind = kind;
	c->m = m;
	c->fd = m->fd;
	c->s = mdev_ctx(m);
}

/* Counts the call and judges its errno, or the STATUS it got. */
static void mdev_judge(struct fuzz *f, struct call *c)
{
	tally(f, c);
	check_errno(f, c);
}

/* Before BIND, the registers and every ioctl but BIND fail with EINVAL. */
static void mdev_unbound(struct fuzz *f, struct call *c)
{
	uint64_t reg = 8 * below(f, MDMA_REGION_SIZE / 8), val = rnd(f);
	struct mdev_model *m = c->m;
	struct vfio_region_info info;

	must_fail_with(&c->v, "the device fd is not bound", EINVAL, 0);
	c->in.words[0] = reg;
	c->env.size = sizeof(uint64_t);
	switch (below(f, 3)) {
	case 0:
		c->err = mdev_read(m, reg, &val);
		break;
	case 1:
		c->err = mdev_write(m, reg, val);
		break;
	default:
		c->err = region_info(m->fd, 0, &info);
		break;
	}
	mdev_judge(f, c);
}

/* argsz: mostly the struct's size, now and then less, or more. */
static uint32_t pick_argsz(struct fuzz *f, uint32_t size)
{
	if (f->sane || !one_in(f, 8))
		return size;
	return one_in(f, 2) ? below(f, size) : size + 1 + below(f, 32);
}

static void mdev_create_op(struct fuzz *f)
{
	struct mdma *md = &f->mdma;
	struct mdev_model *m = &md->mdevs[md->nr];
	char path[MDMA_PATH_LEN];
	unsigned int r = below(f, 20);
	enum mdma_mode mode = MDMA_SIOV;
	struct call c;

	if (md->nr == MAX_MDEVS)
		return;
	if (r < 2 && md->has[MDMA_OWN_RID])
		mode = MDMA_OWN_RID;
	else if (r < 11 && md->has[MDMA_EMULATED])
		mode = MDMA_EMULATED;
	/* Children of other programs may have taken them all. */
	if (!mdma_available(f, mode))
		return;
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->mode = mode;
	if (!new_uuid(m->uuid)) {
		fail_msg(f, "no UUID from /proc/sys/kernel/random/uuid");
		return;
	}
	mdev_call(&c, f, K_MDEV_CREATE, m);
	must_succeed(&c.v, "a type with instances available");
	snprintf(path, sizeof(path), "%s/mdma-%s/create", md->types,
		 mdma_types[mode]);
	c.err = write_attr(path, m->uuid);
	mdev_judge(f, &c);
	if (!c.err)
		md->nr++;
}

static void mdev_remove_op(struct fuzz *f)
{
	struct mdev_model *m = pick_mdev(f, false);
	struct call c;

	if (!m)
		return;
	mdev_call(&c, f, K_MDEV_REMOVE, m);
	must_succeed(&c.v, "a child whose device fd is closed");
	c.err = mdev_remove(f, m);
	c.fd = -1;
	mdev_judge(f, &c);
	if (!c.err)
		*m = f->mdma.mdevs[--f->mdma.nr];
}

static void mdev_close_op(struct fuzz *f)
{
	struct mdev_model *m = pick_mdev(f, true);
	struct call c;

	if (!m)
		return;
	mdev_call(&c, f, K_MDEV_CLOSE, m);
	must_succeed(&c.v, "a close of the device fd");
	c.err = close(m->fd) ? errno : 0;
	m->fd = -1;
	mdev_close(m);
	mdev_judge(f, &c);
}

/*
 * The fd to bind to: mostly one of the slots', else one that is not
 * /dev/ioasid (@err EINVAL) or not an fd (EBADF).
 */
static int bind_target(struct fuzz *f, struct mdev_model *m, struct slot **s,
		       int *err)
{
	unsigned int r = f->sane ? 12 : below(f, 12);
	struct mdev_model *other;
	int fd;

	*s = NULL;
	*err = EINVAL;
	if (r == 0) {
		fd = f->memfd;
	} else if (r == 1) {
		other = pick_mdev(f, true);
		fd = other ? other->fd : m->fd;
	} else if (r == 2) {
		fd = one_in(f, 2) ? -1 : CLOSED_FD + (int)below(f, 100);
		*err = EBADF;
	} else {
		*s = pick_slot(f);
		fd = *s ? (*s)->fd : -1;
		*err = 0;
	}
	if (fd < 0)
		*err = EBADF;
	return fd;
}

/* The PASID the parent lends a SIOV child is its alone. */
static void check_pasid(struct fuzz *f, struct mdev_model *m)
{
	unsigned int i;

	if (!m->pasid)
		fail_msg(f, "mdma-siov %s has PASID 0", m->uuid);
	for (i = 0; i < f->mdma.nr; i++) {
		struct mdev_model *o = &f->mdma.mdevs[i];

		if (o != m && o->bound && o->mode == MDMA_SIOV &&
		    o->pasid == m->pasid)
			fail_msg(f, "mdma-siov %s and %s both have PASID %llu",
				 m->uuid, o->uuid, ULL(m->pasid));
	}
}

/*
 * A child just bound to the fd of @s: where its registers are, and that
 * they start from reset.
 */
static void mdev_bound(struct fuzz *f, struct mdev_model *m, struct slot *s)
{
	static const uint64_t zero[] = {
		MDMA_REG_SRC, MDMA_REG_DST, MDMA_REG_LEN, MDMA_REG_STATUS,
		MDMA_REG_PINNED, MDMA_REG_UNMAPS,
	};
	uint64_t id = MDMA_ID | (uint64_t)m->mode << 32, val;
	struct vfio_region_info info;
	unsigned int i;
	int ret;

	/* Bound to what the fuzzer did not mean: reported already. */
	if (!s) {
		mdev_close(m);
		return;
	}
	m->bound = true;
	m->s = s;
	ret = region_info(m->fd, 0, &info);
	if (ret || info.size != MDMA_REGION_SIZE ||
	    (info.flags & REGION_RW) != REGION_RW) {
		fail_msg(f, "mdma-%s %s: region 0: %s, size %llx, flags %x",
			 mdma_types[m->mode], m->uuid, errno_name(ret),
			 ULL(info.size), info.flags);
		mdev_close(m);
		return;
	}
	m->region = info.offset;
	if (mdev_get(f, m, MDMA_REG_ID, &val) && val != id)
		fail_msg(f, "mdma-%s %s: ID %llx, not %llx", mdma_types[m->mode],
			 m->uuid, ULL(val), ULL(id));
	for (i = 0; i < ARRAY_SIZE(zero); i++)
		if (mdev_get(f, m, zero[i], &val) && val)
			fail_msg(f, "mdma-%s %s: register %#llx is %llx on a fresh fd",
				 mdma_types[m->mode], m->uuid, ULL(zero[i]),
				 ULL(val));
	if (m->mode == MDMA_SIOV && mdev_get(f, m, MDMA_REG_PASID, &m->pasid))
		check_pasid(f, m);
}

static void mdev_bind_op(struct fuzz *f)
{
	struct mdev_model *m = pick_mdev(f, false);
	struct vfio_device_bind_ioasid *b;
	struct slot *s;
	struct call c;
	int fd_err;

	if (!m)
		return;
	/* Now and then left open, and not bound, for the other kinds. */
	if (m->fd < 0 && (mdev_open(f, m) < 0 || one_in(f, 6)))
		return;
	mdev_call(&c, f, K_MDEV_BIND, m);
	b = (void *)c.in.words;
	f->sane = one_in(f, 2);
	b->argsz = pick_argsz(f, sizeof(*b));
	b->flags = junk32(f, 10);
	b->__reserved = junk32(f, 10);
	b->ioasid_fd = bind_target(f, m, &s, &fd_err);
	f->sane = false;
	c.env.size = sizeof(*b);
	if (b->argsz < BIND_FIRST_SIZE || b->flags || b->__reserved)
		must_fail_with(&c.v, "argsz is short, or flags or __reserved is set",
			       EINVAL, 0);
	else if (m->bound)
		must_fail_with(&c.v, "the device fd is bound already", EBUSY,
			       fd_err);
	else if (fd_err)
		must_fail_with(&c.v, "ioasid_fd is not /dev/ioasid", fd_err, 0);
	else if (m->mode == MDMA_OWN_RID)
		must_fail_with(&c.v, "no IOMMU translates the mdev itself",
			       ENODEV, 0);
	else if (!m->shared)
		must_succeed(&c.v, "the first bind of a child");
	c.err = ioctl(m->fd, VFIO_DEVICE_BIND_IOASID, b) ? errno : 0;
	mdev_judge(f, &c);
	if (!c.err && !m->bound)
		mdev_bound(f, m, s);
}

static void rules_mdev_attach(struct call *c,
			      const struct vfio_device_attach_ioasid *a)
{
	struct mdev_model *m = c->m;
	struct verdict *v = &c->v;
	struct slot *ctx = c->s;

	if (a->argsz < sizeof(*a) || a->flags || a->__reserved)
		must_fail_with(v, "argsz is short, or flags or __reserved is set",
			       EINVAL, 0);
	else if (!m->bound)
		must_fail_with(v, "the device fd is not bound", EINVAL, 0);
	else if (id_is_bad(ctx, a->ioasid, ID_IOAS))
		must_fail_with(v, "the id names no IOASID", ENOENT, 0);
	else if (!ctx->exact)
		return;
	else if (m->mode == MDMA_EMULATED)
		must_succeed(v, "an emulated child reaches any IOASID");
	/*
	 * A nested IOASID's parent has the mappings, and its table, made for
	 * another device, may not suit the parent's: not judged.
	 */
	else if (find_nest(ctx, a->ioasid))
		return;
	else if (!maps_in_aperture(ctx, a->ioasid))
		must_fail_with(v, "a mapping lies outside the mock aperture",
			       EADDRINUSE, 0);
	else
		must_succeed(v, "every mapping lies in the mock aperture");
}

/*
 * Attaches, or moves: an emulated child is called back for every IOVA
 * first, and lets go of every page it keeps.  A failed attach leaves the
 * device as it was, but for ENOLINK, which leaves it detached.
 */
static void mdev_attach_op(struct fuzz *f)
{
	struct mdev_model *m = pick_mdev(f, true);
	struct vfio_device_attach_ioasid *a;
	struct slot *ctx;
	struct call c;

	if (!m)
		return;
	mdev_call(&c, f, K_MDEV_ATTACH, m);
	ctx = c.s ?: find_slot(f, true);
	a = (void *)c.in.words;
	f->sane = one_in(f, 2);
	a->argsz = pick_argsz(f, sizeof(*a));
	a->flags = junk32(f, 10);
	a->__reserved = junk32(f, 10);
	a->ioasid = ctx ? pick_plain_id(f, ctx) : 1 + below(f, 24);
	f->sane = false;
	c.env.size = sizeof(*a);
	rules_mdev_attach(&c, a);
	c.err = ioctl(m->fd, VFIO_DEVICE_ATTACH_IOASID, a) ? errno : 0;
	mdev_judge(f, &c);
	if (!m->bound)
		return;
	if (c.err == ENOLINK)
		m->ioas = 0;
	/* Whether attaching where it is already lets go of them is not said. */
	if (m->mode == MDMA_EMULATED)
		mdev_settle(f, m, "ATTACH", 0, UINT64_MAX,
			    !c.err && a->ioasid != m->ioas,
			    c.err != EINVAL && c.err != ENOENT);
	if (!c.err)
		m->ioas = a->ioasid;
}

static void mdev_detach_op(struct fuzz *f)
{
	struct mdev_model *m = pick_mdev(f, true);
	struct vfio_device_detach_ioasid *d;
	struct call c;

	if (!m)
		return;
	mdev_call(&c, f, K_MDEV_DETACH, m);
	d = (void *)c.in.words;
	d->argsz = pick_argsz(f, sizeof(*d));
	d->flags = junk32(f, 10);
	c.env.size = sizeof(*d);
	if (d->argsz < sizeof(*d) || d->flags)
		must_fail_with(&c.v, "argsz is short, or flags is set", EINVAL,
			       0);
	else if (!m->bound)
		must_fail_with(&c.v, "the device fd is not bound", EINVAL, 0);
	else
		must_succeed(&c.v, "a detach of a bound child, attached or not");
	c.err = ioctl(m->fd, VFIO_DEVICE_DETACH_IOASID, d) ? errno : 0;
	mdev_judge(f, &c);
	if (!m->bound)
		return;
	if (m->mode == MDMA_EMULATED)
		mdev_settle(f, m, "DETACH", 0, UINT64_MAX, !c.err,
			    c.err != EINVAL);
	if (!c.err)
		m->ioas = 0;
}

/*
 * A mediated device has no PASIDs of its own to name: its driver attaches
 * the one it lends.  The two structs have the same first fields; the last
 * is the IOASID of one, __reserved of the other.
 */
static void mdev_pasid_op(struct fuzz *f)
{
	struct mdev_model *m = pick_mdev(f, true);
	struct vfio_device_attach_ioasid_pasid *p;
	bool attach = one_in(f, 2);
	struct slot *ctx;
	struct call c;

	if (!m)
		return;
	mdev_call(&c, f, K_MDEV_PASID, m);
	ctx = c.s ?: find_slot(f, true);
	p = (void *)c.in.words;
	p->argsz = pick_argsz(f, sizeof(*p));
	p->flags = junk32(f, 10);
	p->pasid = one_in(f, 4) ? (uint32_t)rnd(f) : below(f, 256);
	if (!attach)
		p->ioasid = junk32(f, 10);
	else
		p->ioasid = ctx ? pick_plain_id(f, ctx) : 1 + below(f, 24);
	c.env.size = sizeof(*p);
	if (p->argsz < sizeof(*p) || p->flags || (!attach && p->ioasid))
		must_fail_with(&c.v, "argsz is short, or flags or __reserved is set",
			       EINVAL, 0);
	else if (!m->bound)
		must_fail_with(&c.v, "the device fd is not bound", EINVAL, 0);
	else
		must_fail_with(&c.v, "a mediated device names no PASIDs",
			       EOPNOTSUPP, 0);
	c.err = ioctl(m->fd, attach ? VFIO_DEVICE_ATTACH_IOASID_PASID :
				      VFIO_DEVICE_DETACH_IOASID_PASID, p) ?
		errno : 0;
	mdev_judge(f, &c);
}

/* An IOVA for the engine: mostly in a mapping of @ioas, else anywhere. */
static uint64_t mdev_iova(struct fuzz *f, struct slot *ctx, uint32_t ioas,
			  uint64_t *room)
{
	struct map_model *m = ioas ? pick_map_of(f, ctx, ioas) : NULL;
	uint64_t iova;

	if (!m || one_in(f, 6)) {
		*room = MDMA_MAX_LEN;
		return pick_iova(f, ctx, MDMA_MAX_LEN) + below(f, page);
	}
	iova = m->iova + below(f, m->len);
	*room = m->iova + m->len - iova;
	return iova;
}

/* A LEN the engine refuses. */
static uint64_t bad_len(struct fuzz *f)
{
	switch (below(f, 4)) {
	case 0:
		return 0;
	case 1:
		return MDMA_MAX_LEN + 1;
	case 2:
		return MDMA_MAX_LEN + 1 + below(f, 1 << 20);
	default:
		return rnd(f) | 1ULL << 63;
	}
}

/*
 * What STATUS a copy of @len bytes from @src to @dst must say: EINVAL for
 * a LEN out of range, ENXIO while detached (which of the two comes first
 * is the driver's business), else what the mappings say, where the model
 * knows them.
 */
static unsigned long mdev_dma_set(struct mdev_model *m, uint64_t src,
				  uint64_t dst, uint64_t len, const char **why)
{
	unsigned long from, to;

	if (!len || len > MDMA_MAX_LEN) {
		*why = "LEN is 0 or above 4096";
		return ST(EINVAL) | (m->ioas ? 0 : ST(ENXIO));
	}
	if (!m->ioas) {
		*why = "the child is detached";
		return ST(ENXIO);
	}
	*why = "the copy reaches mappings the model does not know";
	if (!mdev_exact(m))
		return ST(OK) | ST(ENOENT) | ST(EPERM);
	from = reach_set(mdev_ctx(m), m->ioas, src, len, IOASID_MAP_READ);
	to = reach_set(mdev_ctx(m), m->ioas, dst, len, IOASID_MAP_WRITE);
	if (from == ST(OK) && to == ST(OK)) {
		*why = "SRC is mapped to read and DST to write";
		return ST(OK);
	}
	*why = "SRC or DST is not mapped, or not with the permission";
	if (from == ST(OK))
		return to;
	if (to == ST(OK))
		return from;
	return from | to;
}

/*
 * Has the engine copy: STATUS says what the copy did, which the model
 * predicts; a copy within one mapping each way, whose pages the CPU still
 * sees, must move the bytes it read.
 */
static void mdev_dma_op(struct fuzz *f)
{
	struct mdev_model *m = pick_mdev(f, true);
	uint64_t src, dst, len, room_src, room_dst, status;
	uint8_t *from = NULL, *to = NULL;
	uint8_t before[MDMA_MAX_LEN];
	struct map_model *ms, *md;
	struct slot *ctx;
	unsigned long set;
	const char *why;
	struct call c;
	int ret;

	if (!m)
		return;
	mdev_call(&c, f, K_MDEV_DMA, m);
	if (!m->bound) {
		mdev_unbound(f, &c);
		return;
	}
	ctx = c.s;
	src = mdev_iova(f, ctx, m->ioas, &room_src);
	dst = mdev_iova(f, ctx, m->ioas, &room_dst);
	len = 1 + below(f, one_in(f, 3) ? 64 : MDMA_MAX_LEN);
	/* Within the mappings, or now and then past one, into the next. */
	if (!one_in(f, 4)) {
		len = len < room_src ? len : room_src;
		len = len < room_dst ? len : room_dst;
	}
	if (one_in(f, 12))
		len = bad_len(f);
	if (len && len <= MDMA_MAX_LEN && wraps(src, len))
		src = -len;
	if (len && len <= MDMA_MAX_LEN && wraps(dst, len))
		dst = -len;
	c.in.words[0] = src;
	c.in.words[1] = dst;
	c.in.words[2] = len;
	c.in.words[3] = MDMA_CMD_START;
	c.env.size = 4 * sizeof(uint64_t);
	set = mdev_dma_set(m, src, dst, len, &why);
	if (set == ST(OK)) {
		ms = map_holding(ctx, m->ioas, src, len);
		md = map_holding(ctx, m->ioas, dst, len);
		from = ms ? cpu_view(f, ms, src) : NULL;
		to = md ? cpu_view(f, md, dst) : NULL;
		/* Where the two overlap, what lands is the driver's to say. */
		if (from && to && (from + len <= to || to + len <= from))
			memcpy(before, from, len);
		else
			from = NULL;
	}
	ret = mdev_write(m, MDMA_REG_SRC, src) ?:
	      mdev_write(m, MDMA_REG_DST, dst) ?:
	      mdev_write(m, MDMA_REG_LEN, len) ?:
	      mdev_write(m, MDMA_REG_CMD, MDMA_CMD_START) ?:
	      mdev_read(m, MDMA_REG_STATUS, &status);
	if (ret) {
		must_succeed(&c.v, "a whole register of a bound child");
		c.err = ret;
		mdev_judge(f, &c);
		return;
	}
	m->src = src;
	m->dst = dst;
	m->len = len;
	m->status = status;
	c.err = status_err(status);
	status_judge(f, &c, set, why);
	if (c.err || !from || !to || !memcmp(to, before, len))
		return;
	if (fail_msg(f, "MDEV_DMA moved other bytes to %p than the CPU saw at %p",
		     to, from))
		describe_call(&c, kinds[c.kind].name, 0);
}

/*
 * What STATUS a PIN at @dst, or an UNPIN, must say.  The pages kept are
 * among those of the model, so a child that keeps fewer than 16 there
 * cannot be full.
 */
static unsigned long mdev_pin_set(struct mdev_model *m, uint64_t cmd,
				  uint64_t dst, const char **why)
{
	bool full = m->nr_pins == MDMA_MAX_PINS;
	unsigned long set = 0, maybe = 0;

	if (m->mode != MDMA_EMULATED) {
		*why = "only an emulated child keeps pages";
		return ST(EOPNOTSUPP);
	}
	if (cmd == MDMA_CMD_UNPIN) {
		*why = "UNPIN of an emulated child";
		return ST(OK);
	}
	if (full && (m->lost || !mdev_exact(m)))
		maybe = ST(ENOSPC);
	else if (full)
		set |= ST(ENOSPC);
	if (dst & (page - 1))
		set |= ST(EINVAL);
	if (!m->ioas)
		set |= ST(ENXIO);
	*why = "DST is unaligned, 16 pages are kept or the child is detached";
	if (set)
		return set | maybe;
	*why = "the page reaches a mapping the model does not know";
	if (!mdev_exact(m))
		return ST(OK) | ST(ENOENT) | ST(EPERM) | maybe;
	set = reach_set(mdev_ctx(m), m->ioas, dst, page, IOASID_MAP_WRITE);
	*why = set == ST(OK) ? "the page is mapped to write" :
			       "the page is not mapped to write";
	return set | maybe;
}

/*
 * PINNED and UNMAPS after a PIN at @dst (@ok: it succeeded) or an UNPIN:
 * a PIN keeps one more page, unless the driver counts a page it keeps
 * already once; an UNPIN lets go of them all; neither is a callback.
 */
static void mdev_after_pin(struct fuzz *f, struct mdev_model *m, uint64_t cmd,
			   uint64_t dst, bool ok)
{
	bool again = mdev_pins_in(m, dst, dst), known = !m->lost;
	unsigned int before = m->nr_pins;
	uint64_t pinned, unmaps, calls;

	if (!mdev_get(f, m, MDMA_REG_PINNED, &pinned) ||
	    !mdev_get(f, m, MDMA_REG_UNMAPS, &unmaps))
		return;
	calls = unmaps - m->unmaps;
	m->unmaps = unmaps;
	if (cmd == MDMA_CMD_UNPIN && ok) {
		if (pinned)
			fail_msg(f, "UNPIN of mdma-emulated %s left %llu pages pinned",
				 m->uuid, ULL(pinned));
		m->nr_pins = 0;
	} else if (ok && m->nr_pins < MDMA_MAX_PINS) {
		m->pins[m->nr_pins++] = dst;
	}
	if (!known || !mdev_exact(m)) {
		mdev_resync(m, pinned);
		return;
	}
	if (cmd == MDMA_CMD_PIN && ok && again && pinned == before)
		m->nr_pins = before;
	if (pinned == m->nr_pins && !calls)
		return;
	fail_msg(f, "%s: %s keeps %llu pages, %llu callbacks; the model has %u",
		 cmd == MDMA_CMD_PIN ? "PIN" : "UNPIN", m->uuid, ULL(pinned),
		 ULL(calls), m->nr_pins);
	mdev_distrust(m, pinned);
}

/* Has an emulated child keep the page at DST, or let go of all it keeps. */
static void mdev_pin_op(struct fuzz *f)
{
	struct mdev_model *m = pick_mdev(f, true);
	uint64_t cmd, dst, status;
	struct map_model *mm;
	struct slot *ctx;
	unsigned long set;
	const char *why;
	struct call c;
	int ret;

	if (!m)
		return;
	mdev_call(&c, f, K_MDEV_PIN, m);
	if (!m->bound) {
		mdev_unbound(f, &c);
		return;
	}
	ctx = c.s;
	cmd = one_in(f, 5) ? MDMA_CMD_UNPIN : MDMA_CMD_PIN;
	mm = m->ioas ? pick_map_of(f, ctx, m->ioas) : NULL;
	if (mm && !one_in(f, 6))
		dst = mm->iova + page * below(f, mm->len / page);
	else
		dst = pick_iova(f, ctx, page) & ~(page - 1);
	if (one_in(f, 12))
		dst += 1 + below(f, page - 1);
	if (cmd == MDMA_CMD_UNPIN)
		dst = m->dst;
	c.in.words[0] = dst;
	c.in.words[1] = cmd;
	c.env.size = 2 * sizeof(uint64_t);
	set = mdev_pin_set(m, cmd, dst, &why);
	ret = mdev_write(m, MDMA_REG_DST, dst) ?:
	      mdev_write(m, MDMA_REG_CMD, cmd) ?:
	      mdev_read(m, MDMA_REG_STATUS, &status);
	if (ret) {
		must_succeed(&c.v, "a whole register of a bound child");
		c.err = ret;
		mdev_judge(f, &c);
		return;
	}
	m->dst = dst;
	m->status = status;
	c.err = status_err(status);
	status_judge(f, &c, set, why);
	if (m->mode == MDMA_EMULATED)
		mdev_after_pin(f, m, cmd, dst, !c.err);
}

static const uint64_t mdma_regs[] = {
	MDMA_REG_ID, MDMA_REG_SRC, MDMA_REG_DST, MDMA_REG_LEN,
	MDMA_REG_STATUS, MDMA_REG_PINNED, MDMA_REG_UNMAPS, MDMA_REG_PASID,
};

static const uint64_t mdma_read_only[] = {
	MDMA_REG_ID, MDMA_REG_STATUS, MDMA_REG_PINNED, MDMA_REG_UNMAPS,
	MDMA_REG_PASID,
};

/* What register @reg must read, when the model knows. */
static bool mdev_expect(struct mdev_model *m, uint64_t reg, uint64_t *val)
{
	bool emulated = m->mode == MDMA_EMULATED;
	bool counts = !emulated || (!m->lost && mdev_exact(m));

	switch (reg) {
	case MDMA_REG_ID:
		*val = MDMA_ID | (uint64_t)m->mode << 32;
		return true;
	case MDMA_REG_SRC:
		*val = m->src;
		return true;
	case MDMA_REG_DST:
		*val = m->dst;
		return true;
	case MDMA_REG_LEN:
		*val = m->len;
		return true;
	case MDMA_REG_STATUS:
		*val = m->status;
		return true;
	case MDMA_REG_PINNED:
		*val = emulated ? m->nr_pins : 0;
		return counts;
	case MDMA_REG_UNMAPS:
		*val = emulated ? m->unmaps : 0;
		return counts;
	case MDMA_REG_PASID:
		*val = m->pasid;
		return m->mode == MDMA_SIOV;
	}
	return false;
}

/*
 * Compares what register @reg read with the model; where the model does
 * not know PINNED or UNMAPS, takes what they say.
 */
static void mdev_check_reg(struct fuzz *f, struct call *c, uint64_t reg,
			   uint64_t val, const char *after)
{
	struct mdev_model *m = c->m;
	uint64_t want;

	if (!mdev_expect(m, reg, &want)) {
		if (reg == MDMA_REG_PINNED && m->mode == MDMA_EMULATED)
			mdev_resync(m, val);
		else if (reg == MDMA_REG_UNMAPS)
			m->unmaps = val;
		return;
	}
	if (val == want)
		return;
	if (fail_msg(f, "mdma-%s %s: register %#llx reads %llx%s, the model has %llx",
		     mdma_types[m->mode], m->uuid, ULL(reg), ULL(val), after,
		     ULL(want)))
		describe_call(c, kinds[c->kind].name, 0);
}

/*
 * Registers of a bound child: read and compared with the model; read or
 * written other than whole, which fails; written where they are read
 * only, which changes nothing; or a command the engine does not know,
 * which STATUS refuses.
 */
static void mdev_regs_op(struct fuzz *f)
{
	static const uint32_t sizes[] = { 1, 2, 4, 7, 9, 16 };
	static const uint64_t cmds[] = { 0, 3, 5, 6, 7, 8, 16, UINT64_MAX };
	struct mdev_model *m = pick_mdev(f, true);
	uint64_t reg, off, buf[2], status, val;
	uint32_t size = sizeof(uint64_t);
	bool write = one_in(f, 2);
	struct call c;
	ssize_t n;

	if (!m)
		return;
	mdev_call(&c, f, K_MDEV_REGS, m);
	if (!m->bound) {
		mdev_unbound(f, &c);
		return;
	}
	reg = mdma_regs[below(f, ARRAY_SIZE(mdma_regs))];
	buf[0] = rnd(f);
	buf[1] = rnd(f);
	c.env.size = 3 * sizeof(uint64_t);
	c.in.words[0] = reg;
	c.in.words[1] = buf[0];
	switch (below(f, 4)) {
	case 0:
		must_succeed(&c.v, "a whole register of a bound child");
		c.err = mdev_read(m, reg, &val);
		mdev_judge(f, &c);
		if (!c.err)
			mdev_check_reg(f, &c, reg, val, "");
		return;
	case 1:
		off = reg;
		if (one_in(f, 2))
			size = sizes[below(f, ARRAY_SIZE(sizes))];
		else
			off += 1 + below(f, sizeof(uint64_t) - 1);
		c.in.words[0] = off;
		c.in.words[2] = size;
		must_fail_with(&c.v, "a register is 8 bytes at an 8-byte offset",
			       EINVAL, 0);
		n = write ? pwrite(m->fd, buf, size, m->region + off) :
			    pread(m->fd, buf, size, m->region + off);
		c.err = n < 0 ? errno : 0;
		mdev_judge(f, &c);
		return;
	case 2:
		if (one_in(f, 4)) {
			/* CMD is write-only: a read fails, or says nothing. */
			c.in.words[0] = MDMA_REG_CMD;
			c.err = mdev_read(m, MDMA_REG_CMD, buf);
			mdev_judge(f, &c);
			return;
		}
		reg = mdma_read_only[below(f, ARRAY_SIZE(mdma_read_only))];
		c.in.words[0] = reg;
		c.err = mdev_write(m, reg, buf[0]);
		mdev_judge(f, &c);
		if (mdev_get(f, m, reg, &val))
			mdev_check_reg(f, &c, reg, val, " once written");
		return;
	}
	buf[0] = one_in(f, 4) ? rnd(f) : cmds[below(f, ARRAY_SIZE(cmds))];
	if (buf[0] == MDMA_CMD_START || buf[0] == MDMA_CMD_PIN ||
	    buf[0] == MDMA_CMD_UNPIN)
		buf[0] = 0;
	c.in.words[0] = MDMA_REG_CMD;
	c.in.words[1] = buf[0];
	c.err = mdev_write(m, MDMA_REG_CMD, buf[0]) ?:
		mdev_read(m, MDMA_REG_STATUS, &status);
	if (c.err) {
		must_succeed(&c.v, "a whole register of a bound child");
		mdev_judge(f, &c);
		return;
	}
	m->status = status;
	c.err = status_err(status);
	status_judge(f, &c, ST(EINVAL), "CMD is none of START, PIN and UNPIN");
}

static void mdev_op(struct fuzz *f, enum cmd_kind kind)
{
	switch (kind) {
	case K_MDEV_CREATE:
		mdev_create_op(f);
		break;
	case K_MDEV_REMOVE:
		mdev_remove_op(f);
		break;
	case K_MDEV_CLOSE:
		mdev_close_op(f);
		break;
	case K_MDEV_BIND:
		mdev_bind_op(f);
		break;
	case K_MDEV_ATTACH:
		mdev_attach_op(f);
		break;
	case K_MDEV_DETACH:
		mdev_detach_op(f);
		break;
	case K_MDEV_PASID:
		mdev_pasid_op(f);
		break;
	case K_MDEV_DMA:
		mdev_dma_op(f);
		break;
	case K_MDEV_PIN:
		mdev_pin_op(f);
		break;
	default:
		mdev_regs_op(f);
		break;
	}
}

/* Closes every device fd; the children stay. */
static void mdev_close_all(struct fuzz *f)
{
	unsigned int i;

	for (i = 0; i < f->mdma.nr; i++)
		mdev_close(&f->mdma.mdevs[i]);
}

/* A child process leaves the mediated devices to its parent. */
static void mdev_leave(struct fuzz *f)
{
	unsigned int i;

	for (i = 0; i < f->mdma.nr; i++)
		if (f->mdma.mdevs[i].fd >= 0)
			close(f->mdma.mdevs[i].fd);
	memset(&f->mdma, 0, sizeof(f->mdma));
}

/* Every child goes at the end, each fd closed first. */
static void mdev_teardown(struct fuzz *f)
{
	struct mdma *md = &f->mdma;
	struct mdev_model *m;
	int ret;

	while (md->nr) {
		m = &md->mdevs[md->nr - 1];
		ret = mdev_remove(f, m);
		if (ret)
			fail_msg(f, "removing mdma-%s %s: %s",
				 mdma_types[m->mode], m->uuid, errno_name(ret));
		md->nr--;
	}
}

/* The VFIO container */

/*
 * Whether /dev/ioasid serves the container here, and edu's group to put
 * in one: edu bound to vfio-pci, its group opened once for the whole run.
 * Draws nothing from the seed's stream.
 */
static void cont_probe(struct fuzz *f)
{
	struct vfio_model *e = &f->vfio;
	char group[PATH_MAX], cdev[PATH_MAX];
	unsigned int i;
	bool bound;

	memset(e, 0, sizeof(*e));
	e->group_fd = -1;
	e->dev_fd = -1;
	for (i = 0; i < MAX_CONTAINERS; i++)
		e->conts[i].fd = -1;
	e->container = container_is_ioasid();
	if (!e->container || edu_find(e->pci, sizeof(e->pci)) ||
	    edu_bind_vfio(e->pci, &bound, cdev, sizeof(cdev)) ||
	    vfio_group_path(e->pci, group, sizeof(group)))
		return;
	/* virtio-iommu cannot isolate edu's MSIs: the binding needs this. */
	if (read_target() == TARGET_VIRTIO &&
	    (read_unsafe(&e->unsafe_before) ||
	     write_container_unsafe("Y"))) {
		ksft_print_msg("%s: %s\n", UNSAFE_PARAM, strerror(errno));
		e->unsafe_before = 0;
		return;
	}
	e->group_fd = open(group, O_RDWR | O_CLOEXEC);
	e->edu = e->group_fd >= 0;
	if (!e->edu)
		ksft_print_msg("open %s: %s\n", group, strerror(errno));
}

static bool spans_hold(const struct usable *u, uint64_t first, uint64_t last)
{
	unsigned int i;

	for (i = 0; i < u->nr; i++)
		if (first >= u->span[i].first && last <= u->span[i].last)
			return true;
	return false;
}

/*
 * What @cm may map: for certain (@sure) or at all.  edu attached narrows
 * it, and a child's copy of edu's fd may keep edu attached.  NULL until
 * GET_INFO said.
 */
static const struct usable *cont_usable(struct fuzz *f, struct cont_model *cm,
					bool sure)
{
	struct vfio_model *e = &f->vfio;
	bool attached = e->in == cm && e->dev_fd >= 0;
	const struct usable *u = &e->free;

	if (attached || (sure && e->in == cm && e->shared))
		u = &e->reach;
	return u->known ? u : NULL;
}

/* Whether a mapping of @cm meets [@first, @last]. */
static bool cont_overlaps(const struct cont_model *cm, uint64_t first,
			  uint64_t last)
{
	unsigned int i;

	for (i = 0; i < cm->nr_maps; i++)
		if (cm->maps[i].iova <= last &&
		    cm->maps[i].iova + cm->maps[i].size - 1 >= first)
			return true;
	return false;
}

/* The bytes an unmap of [@first, @last] takes; -1 if it splits one. */
static int64_t cont_unmap_bytes(const struct cont_model *cm, uint64_t first,
				uint64_t last)
{
	int64_t bytes = 0;
	unsigned int i;

	for (i = 0; i < cm->nr_maps; i++) {
		const struct cmap *m = &cm->maps[i];

		if (m->iova > last || m->iova + m->size - 1 < first)
			continue;
		if (m->iova < first || m->iova + m->size - 1 > last)
			return -1;
		bytes += m->size;
	}
	return bytes;
}

static void cont_drop(struct cont_model *cm, uint64_t first, uint64_t last)
{
	unsigned int i = 0;

	while (i < cm->nr_maps) {
		struct cmap *m = &cm->maps[i];

		if (m->iova <= last && m->iova + m->size - 1 >= first)
			*m = cm->maps[--cm->nr_maps];
		else
			i++;
	}
}

/* Whether every mapping of @cm lies in @u. */
static bool cont_maps_within(const struct cont_model *cm,
			     const struct usable *u)
{
	unsigned int i;

	for (i = 0; i < cm->nr_maps; i++)
		if (!spans_hold(u, cm->maps[i].iova,
				cm->maps[i].iova + cm->maps[i].size - 1))
			return false;
	return true;
}

/*
 * The last group left @cm: the container unmapped everything and forgot
 * its type, and goes with the group's hold if its fd is closed.
 */
static void cont_left(struct fuzz *f, struct cont_model *cm)
{
	cm->grouped = false;
	cm->type = 0;
	cm->nr_maps = 0;
	cm->lost = false;
	cm->live = cm->fd >= 0;
	f->vfio.in = NULL;
	vdpa_cont_gone(cm);
}

static struct cont_model *cont_open(struct fuzz *f, int *err)
{
	struct vfio_model *e = &f->vfio;
	struct cont_model *cm = NULL;
	unsigned int i;

	for (i = 0; i < MAX_CONTAINERS && !cm; i++)
		if (!e->conts[i].live)
			cm = &e->conts[i];
	*err = 0;
	if (!cm)
		return NULL;
	memset(cm, 0, sizeof(*cm));
	cm->fd = open(CONTAINER_PATH, O_RDWR | O_CLOEXEC);
	if (cm->fd < 0) {
		*err = errno;
		return NULL;
	}
	cm->live = true;
	return cm;
}

static void cont_close(struct cont_model *cm)
{
	close(cm->fd);
	cm->fd = -1;
	cm->live = cm->grouped;
	vdpa_cont_gone(cm);
}

/* A container whose fd is open, mostly the group's; else a new one. */
static struct cont_model *pick_cont(struct fuzz *f)
{
	struct vfio_model *e = &f->vfio;
	unsigned int i, first = below(f, MAX_CONTAINERS);
	struct cont_model *cm;
	int err;

	if (e->in && e->in->fd >= 0 && !one_in(f, 8))
		return e->in;
	for (i = 0; i < MAX_CONTAINERS; i++) {
		cm = &e->conts[(first + i) % MAX_CONTAINERS];
		if (cm->fd >= 0)
			return cm;
	}
	cm = cont_open(f, &err);
	if (err)
		fail_msg(f, "open %s: %s", CONTAINER_PATH, strerror(err));
	return cm;
}

static void cont_call(struct call *c, struct fuzz *f, enum cmd_kind kind,
		      struct cont_model *cm, int fd)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->kind = kind;
	c->cont = cm;
	c->fd = fd;
	c->request = kinds[kind].request;
}

static void cont_judge(struct fuzz *f, struct call *c)
{
	tally(f, c);
	check_errno(f, c);
}

/* A command that takes an integer: c->err, and what it returned. */
static long cont_int_call(struct call *c, unsigned long arg)
{
	long ret;

	c->in.words[0] = arg;
	c->env.size = sizeof(uint64_t);
	ret = ioctl(c->fd, c->request, arg);
	c->err = ret < 0 ? errno : 0;
	return ret;
}

static bool place_readable(const struct envelope *env, uint32_t len)
{
	return env->place != PL_BAD &&
	       !(env->place == PL_STRADDLE_NONE && env->split < len);
}

static bool place_writable(const struct envelope *env, uint32_t len)
{
	if (env->place == PL_BAD || env->place == PL_READONLY)
		return false;
	return env->place < PL_STRADDLE_NONE || env->split >= len;
}

/*
 * argsz, mostly the struct's size; and the bytes laid out for it, which
 * end at argsz for a caller whose struct is an older, shorter one.
 */
static uint32_t cont_argsz(struct fuzz *f, uint32_t min, uint32_t size,
			   uint32_t *laid)
{
	uint32_t argsz = size;

	switch (f->sane ? 0 : below(f, 12)) {
	case 1:
		argsz = below(f, min);
		break;
	case 2:
		argsz = min + below(f, size - min + 1);
		break;
	case 3:
		argsz = size + 1 + below(f, page - size);
		break;
	case 4:
		argsz = one_in(f, 2) ? UINT32_MAX : page + 1 + below(f, page);
		break;
	}
	*laid = argsz < min ? size : argsz > page ? page : argsz;
	return argsz;
}

/*
 * The kernel reads @min bytes of the struct first, and may write @out
 * bytes back once the call did its work.
 */
static void cont_envelope_rules(struct call *c, uint32_t min, uint32_t out)
{
	struct verdict *v = &c->v;

	if (!place_readable(&c->env, min)) {
		memset(v, 0, sizeof(*v));
		must_fail_with(v, "the struct cannot be read", EFAULT, 0);
	} else if (out && !v->must_fail && !place_writable(&c->env, out)) {
		if (v->must_succeed)
			must_fail_with(v, "the answer cannot be written back",
				       EFAULT, 0);
		else
			must_fail(v, "the answer cannot be written back");
		v->must_succeed = false;
	}
}

/*
 * A command on a struct of @laid bytes, placed as f->sane says; c->in and
 * c->v ready.
 */
static void cont_struct_call(struct fuzz *f, struct call *c)
{
	build_envelope(f, c);
	c->err = ioctl(c->fd, c->request, c->env.base) ? errno : 0;
	unbuild_envelope(f, c);
	cont_judge(f, c);
}

/* Nothing past the struct; nothing at all from a failure, or from MAP. */
static void cont_check_writes(struct fuzz *f, struct call *c)
{
	const struct envelope *env = &c->env;
	const char *name = kinds[c->kind].name;
	uint32_t cstart = canary_start(env);
	bool shown;

	if (!checks_memory(env))
		return;
	if (!bytes_equal(env->base + cstart, f->snap + cstart, CANARY))
		shown = fail_msg(f, "%s wrote past the %u bytes of argsz %u",
				 name, env->size, c->in.vmap.argsz);
	else if ((c->err || !kinds[c->kind].responds) &&
		 !bytes_equal(env->base, f->snap, env->size))
		shown = fail_msg(f, "%s ended with %s but wrote its struct",
				 name, errno_name(c->err));
	else
		return;
	if (shown)
		describe_call(c, name, kinds[c->kind].size);
}

/*
 * Lays a struct out at a place: the envelope as ioctl_op() makes it, but
 * for argsz, which is the caller's field, not the bytes there.
 */
static void cont_place(struct fuzz *f, struct call *c, uint32_t laid)
{
	c->env.size = laid;
	if (f->sane)
		c->env.base = f->call_area + 8 * below(f, page / 8 - 16);
	else
		pick_place(f, &c->env);
}

/* The container's open, close and probes */

static void cont_open_op(struct fuzz *f)
{
	struct call c;
	int err;

	cont_call(&c, f, K_CONT_OPEN, NULL, -1);
	must_succeed(&c.v, "an open of " CONTAINER_PATH);
	c.cont = cont_open(f, &err);
	if (!c.cont && !err)
		return;
	c.err = err;
	c.fd = c.cont ? c.cont->fd : -1;
	cont_judge(f, &c);
}

/* Mostly a container the group is not in, whose state goes with it. */
static void cont_close_op(struct fuzz *f)
{
	unsigned int i, first = below(f, MAX_CONTAINERS);
	bool spare = !one_in(f, 10);
	struct cont_model *cm;
	struct call c;

	for (i = 0; i < 2 * MAX_CONTAINERS; i++) {
		cm = &f->vfio.conts[(first + i) % MAX_CONTAINERS];
		if (cm->fd < 0 || (i < MAX_CONTAINERS && spare &&
				   cm == f->vfio.in))
			continue;
		cont_call(&c, f, K_CONT_CLOSE, cm, cm->fd);
		must_succeed(&c.v, "a close of a container's fd");
		c.err = close(cm->fd) ? errno : 0;
		cm->fd = -1;
		cm->live = cm->grouped;
		vdpa_cont_gone(cm);
		cont_judge(f, &c);
		return;
	}
}

static void cont_version_op(struct fuzz *f)
{
	struct cont_model *cm = pick_cont(f);
	struct call c;
	long ret;

	if (!cm)
		return;
	cont_call(&c, f, K_CONT_VERSION, cm, cm->fd);
	must_succeed(&c.v, "GET_API_VERSION takes no argument");
	ret = cont_int_call(&c, one_in(f, 4) ? rnd(f) : 0);
	cont_judge(f, &c);
	if (!c.err && ret != VFIO_API_VERSION)
		fail_msg(f, "GET_API_VERSION returned %ld", ret);
}

/* What CHECK_EXTENSION must answer; -1 for either 0 or 1. */
static long extension_answer(unsigned long ext)
{
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		return -1;
	default:
		return 0;
	}
}

static void cont_extension_op(struct fuzz *f)
{
	struct cont_model *cm = pick_cont(f);
	unsigned long ext;
	struct call c;
	long ret, want;

	if (!cm)
		return;
	ext = one_in(f, 4) ? rnd(f) : below(f, VFIO_UPDATE_VADDR + 2);
	want = extension_answer(ext);
	cont_call(&c, f, K_CONT_EXTENSION, cm, cm->fd);
	must_succeed(&c.v, "CHECK_EXTENSION answers any extension");
	ret = cont_int_call(&c, ext);
	cont_judge(f, &c);
	if (!c.err && (want < 0 ? ret != 0 && ret != 1 : ret != want))
		fail_msg(f, "CHECK_EXTENSION of %lu: %ld, not %ld", ext, ret,
			 want);
}

/* The container's IOMMU type and its IOVA ranges */

/*
 * The ranges of an IOVA_RANGE capability into @u: ascending, apart,
 * page-aligned.  False, reported, when they are not.
 */
static bool read_spans(struct fuzz *f, const void *cap, uint32_t room,
		       struct usable *u)
{
	const struct vfio_iommu_type1_info_cap_iova_range *r = cap;
	const struct vfio_iova_range *span = r->iova_ranges;
	uint32_t i;

	if (room < sizeof(*r) || (room - sizeof(*r)) / sizeof(*span) <
				 r->nr_iovas || !r->nr_iovas) {
		fail_msg(f, "GET_INFO: %u IOVA ranges in %u bytes",
			 r->nr_iovas, room);
		return false;
	}
	for (i = 0; i < r->nr_iovas; i++) {
		if (span[i].start > span[i].end || !aligned(span[i].start) ||
		    !aligned(span[i].end + 1) ||
		    (i && span[i].start <= span[i - 1].end + 1)) {
			fail_msg(f, "GET_INFO: IOVA range %u [%llx, %llx] is out of place",
				 i, ULL(span[i].start), ULL(span[i].end));
			return false;
		}
		if (i < MAX_SPANS) {
			u->span[i].first = span[i].start;
			u->span[i].last = span[i].end;
		}
	}
	u->nr = r->nr_iovas < MAX_SPANS ? r->nr_iovas : MAX_SPANS;
	/* Only part of many is of no use to say what cannot be mapped. */
	u->known = r->nr_iovas <= MAX_SPANS;
	return true;
}

/*
 * Walks the capability chain of a GET_INFO answer of @len bytes, which
 * must have both capabilities, and reads the usable ranges into @u.
 */
static bool parse_info(struct fuzz *f, const uint8_t *buf, uint32_t len,
		       struct usable *u)
{
	const struct vfio_iommu_type1_info *info = (const void *)buf;
	const struct vfio_info_cap_header *h;
	uint32_t off = info->cap_offset, n = 0;
	bool avail = false, ranges = false;

	memset(u, 0, sizeof(*u));
	while (off) {
		if (off < sizeof(*info) || off % 4 || len < sizeof(*h) ||
		    off > len - sizeof(*h) || ++n > 8) {
			fail_msg(f, "GET_INFO: capability %u at offset %u of %u",
				 n, off, len);
			return false;
		}
		h = (const void *)(buf + off);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
			avail = off + sizeof(struct vfio_iommu_type1_info_dma_avail) <= len &&
				((const struct vfio_iommu_type1_info_dma_avail *)h)->avail;
		else if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
			ranges = read_spans(f, h, len - off, u);
		off = h->next;
	}
	if (!avail || !ranges)
		fail_msg(f, "GET_INFO: DMA_AVAIL %s, IOVA_RANGE %s",
			 avail ? "there" : "missing or 0",
			 ranges ? "there" : "missing or bad");
	return avail && ranges;
}

/*
 * The usable ranges @cm reported: what the model has for edu attached or
 * not, whichever edu is, or what it learns of them.
 */
static void check_spans(struct fuzz *f, struct cont_model *cm,
			const struct usable *got)
{
	struct vfio_model *e = &f->vfio;
	struct usable *want = &e->free;

	if (e->in == cm && e->dev_fd >= 0)
		want = &e->reach;
	else if (e->in == cm && e->shared)
		return;
	if (!want->known) {
		*want = *got;
		return;
	}
	if (got->known && (want->nr != got->nr ||
			   memcmp(want->span, got->span,
				  got->nr * sizeof(got->span[0]))))
		fail_msg(f, "GET_INFO: %u usable ranges from %llx, once %u from %llx, edu %s",
			 got->nr, ULL(got->span[0].first), want->nr,
			 ULL(want->span[0].first),
			 want == &e->reach ? "attached" : "not attached");
}

/* Asks @cm, with a type, for its usable ranges, outside the tally. */
static void cont_learn(struct fuzz *f, struct cont_model *cm)
{
	static uint8_t buf[VINFO_LONG];
	struct vfio_iommu_type1_info *info = (void *)buf;
	struct usable got;

	if (cm->fd < 0)
		return;
	memset(buf, 0, sizeof(buf));
	info->argsz = sizeof(buf);
	if (ioctl(cm->fd, VFIO_IOMMU_GET_INFO, buf))
		fail_msg(f, "GET_INFO of a container with its type: %s",
			 errno_name(errno));
	else if (parse_info(f, buf, sizeof(buf), &got))
		check_spans(f, cm, &got);
}

static void cont_set_iommu_op(struct fuzz *f)
{
	static const unsigned long types[] = {
		VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU, 0, VFIO_SPAPR_TCE_IOMMU,
		VFIO_TYPE1_NESTING_IOMMU, VFIO_SPAPR_TCE_v2_IOMMU,
		VFIO_NOIOMMU_IOMMU, VFIO_UNMAP_ALL,
	};
	struct cont_model *cm = pick_cont(f);
	unsigned long type;
	struct call c;

	if (!cm)
		return;
	type = one_in(f, 8) ? rnd(f) :
	       types[below(f, one_in(f, 2) ? 2 : ARRAY_SIZE(types))];
	cont_call(&c, f, K_CONT_SET_IOMMU, cm, cm->fd);
	if (!cm->grouped || cm->type)
		must_fail_with(&c.v, "no group is in it, or its type is set",
			       EINVAL, 0);
	else if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		must_fail_with(&c.v, "the type is not type1", ENODEV, 0);
	else
		must_succeed(&c.v, "type1 for a container with a group");
	cont_int_call(&c, type);
	cont_judge(f, &c);
	if (c.err)
		return;
	cm->type = type;
	cont_learn(f, cm);
}

/* A GET_INFO that succeeded: its fields, and its capabilities if there. */
static void done_cont_info(struct fuzz *f, struct call *c, uint32_t head)
{
	const struct vfio_iommu_type1_info *in = &c->in.vinfo;
	const struct vfio_iommu_type1_info *out = &c->out.vinfo;
	bool caps = head == sizeof(*in) && out->cap_offset;
	uint32_t len = in->argsz < c->env.size ? in->argsz : c->env.size;
	struct usable got;

	if (out->flags != VINFO_FLAGS || out->iova_pgsizes != ~(page - 1) ||
	    (caps ? out->argsz != in->argsz ||
		    out->cap_offset != sizeof(*in) :
		    out->argsz <= sizeof(*in))) {
		if (fail_msg(f, "CONT_INFO: argsz %u, flags %x, pgsizes %llx, cap_offset %u",
			     out->argsz, out->flags, ULL(out->iova_pgsizes),
			     out->cap_offset))
			describe_call(c, "CONT_INFO", sizeof(*in));
		return;
	}
	if (caps && parse_info(f, c->env.base, len, &got))
		check_spans(f, c->cont, &got);
}

/* GET_INFO, as a caller of any age lays its struct out. */
static void cont_info_op(struct fuzz *f)
{
	struct cont_model *cm = pick_cont(f);
	struct vfio_iommu_type1_info *in;
	uint32_t laid, head;
	struct call c;

	if (!cm)
		return;
	cont_call(&c, f, K_CONT_INFO, cm, cm->fd);
	in = &c.in.vinfo;
	f->sane = one_in(f, 2);
	if (f->sane || one_in(f, 2)) {
		in->argsz = one_in(f, 4) ? sizeof(*in) : VINFO_LONG;
		laid = in->argsz;
	} else {
		in->argsz = cont_argsz(f, VINFO_MIN, sizeof(*in), &laid);
	}
	cont_place(f, &c, laid);
	f->sane = false;
	if (in->argsz < VINFO_MIN)
		must_fail_with(&c.v, "argsz is below the first version",
			       EINVAL, 0);
	else if (!cm->type)
		must_fail_with(&c.v, "the container has no IOMMU type", EINVAL,
			       0);
	else
		must_succeed(&c.v, "GET_INFO of a container with its type");
	/* The info, no more than argsz of it; capabilities may follow. */
	head = laid < sizeof(*in) ? laid : sizeof(*in);
	cont_envelope_rules(&c, VINFO_MIN, head);
	if (!place_writable(&c.env, laid))
		c.v.must_succeed = false;
	cont_struct_call(f, &c);
	cont_check_writes(f, &c);
	if (!c.err)
		done_cont_info(f, &c, head);
}

/* MAP_DMA and UNMAP_DMA */

/* An aligned IOVA where @u says @cm may map @len bytes, mostly free. */
static uint64_t usable_iova(struct fuzz *f, const struct usable *u,
			    uint64_t len)
{
	const struct iova_span *s;
	uint64_t room, iova;

	if (!u)
		return SZ_2M * below(f, 2048);
	s = &u->span[below(f, u->nr)];
	iova = (s->first + SZ_2M - 1) & ~(uint64_t)(SZ_2M - 1);
	if (iova < s->first || iova > s->last || s->last - iova < len)
		return s->first;
	room = (s->last - iova - len + 1) / SZ_2M;
	return iova + SZ_2M * below(f, (room < 4096 ? room : 4096) + 1);
}

/*
 * An IOVA for MAP_DMA: usable, over or beside a mapping, just past a
 * usable range, at the top, beyond what an IOMMU translates, anywhere.
 */
static uint64_t cont_pick_iova(struct fuzz *f, struct cont_model *cm,
			       uint64_t len)
{
	const struct usable *u = cont_usable(f, cm, true);
	struct cmap *m = cm->nr_maps ? &cm->maps[below(f, cm->nr_maps)] : NULL;
	unsigned int r = f->sane ? 0 : below(f, 10);
	uint64_t iova;

	if (r < 4 || (r < 6 && !m) || (r == 6 && !u))
		iova = usable_iova(f, u, len);
	else if (r < 6)
		iova = m->iova + page * below(f, m->size / page + 1) -
		       (one_in(f, 3) ? page : 0);
	else if (r == 6)
		iova = u->span[below(f, u->nr)].last + 1;
	else if (r == 7)
		iova = -(page * (1 + below(f, 16)));
	else if (r == 8)
		iova = 1ULL << (32 + below(f, 32));
	else
		iova = rnd(f);
	if (!f->sane && one_in(f, 20))
		iova += 1 + below(f, page - 1);
	return iova;
}

static uint32_t cont_map_flags(struct fuzz *f)
{
	static const uint32_t perms[] = {
		VMAP_RW, VMAP_RW, VFIO_DMA_MAP_FLAG_READ,
		VFIO_DMA_MAP_FLAG_WRITE, 0,
	};
	uint32_t flags = perms[below(f, ARRAY_SIZE(perms) - f->sane)];

	/* VADDR: type1 updates a vaddr with it, which this refuses. */
	if (!f->sane && one_in(f, 10))
		flags |= one_in(f, 2) ? VFIO_DMA_MAP_FLAG_VADDR :
					1U << (3 + below(f, 29));
	return flags;
}

static void gen_cont_map(struct fuzz *f, struct call *c, uint32_t *laid)
{
	struct vfio_iommu_type1_dma_map *m = &c->in.vmap;
	__u64 va, len;

	m->argsz = cont_argsz(f, sizeof(*m), sizeof(*m), laid);
	m->flags = cont_map_flags(f);
	pick_user_range(f, &va, &len);
	m->vaddr = va;
	m->size = len;
	if (f->sane && mem_class(f, va, len) != MEM_RW)
		m->flags = VFIO_DMA_MAP_FLAG_READ;
	m->iova = cont_pick_iova(f, c->cont, len);
	/* Enough of them: the kernel's memory stays bounded. */
	if (c->cont->nr_maps >= MAX_CMAPS)
		m->size = 0;
}

/* In the order the kernel checks them: a rule broken fails the call. */
static void rules_cont_map(struct fuzz *f, struct call *c)
{
	const struct vfio_iommu_type1_dma_map *m = &c->in.vmap;
	const struct usable *sure = cont_usable(f, c->cont, true);
	const struct usable *maybe = cont_usable(f, c->cont, false);
	enum mem mem = mem_class(f, m->vaddr, m->size);
	uint64_t last = m->iova + m->size - 1;
	struct verdict *v = &c->v;

	if (m->argsz < sizeof(*m) || m->flags & ~VMAP_RW)
		must_fail_with(v, "argsz is short, or a flag is unknown",
			       EINVAL, 0);
	else if (!c->cont->type)
		must_fail_with(v, "the container has no IOMMU type", EINVAL, 0);
	else if (!(m->flags & VMAP_RW) || !m->size || !aligned(m->size) ||
		 !aligned(m->iova) || !aligned(m->vaddr))
		must_fail_with(v, "no READ nor WRITE, size 0, or unaligned",
			       EINVAL, 0);
	else if (wraps(m->iova, m->size) || wraps(m->vaddr, m->size))
		must_fail_with(v, "the IOVA or the user range wraps", EINVAL,
			       0);
	/* GUP's EOVERFLOW for a range ending at 2^64, type1's EINVAL. */
	else if (m->vaddr + m->size == 0)
		must_fail_with(v, "the user range ends at the top", EINVAL,
			       EFAULT);
	else if (c->cont->lost)
		return;
	/*
	 * The IOVAs are taken before the memory is pinned, as type1 does;
	 * a range that is also not all usable may fail for that first.
	 */
	else if (cont_overlaps(c->cont, m->iova, last))
		must_fail_with(v, "the range meets a mapping", EEXIST, EINVAL);
	else if (maybe && !spans_hold(maybe, m->iova, last))
		must_fail_with(v, "the range is not usable",
			       mem == MEM_UNKNOWN ? 0 : EINVAL, 0);
	else if (mem == MEM_BAD ||
		 (mem == MEM_RO && (m->flags & VFIO_DMA_MAP_FLAG_WRITE)))
		must_fail_with(v, "the memory is not there, or is read-only",
			       EFAULT, ENOMEM);
	else if (mem != MEM_UNKNOWN && sure && spans_hold(sure, m->iova, last))
		must_succeed(v, "a free, usable range of memory that is there");
}

static void cont_map_op(struct fuzz *f)
{
	struct cont_model *cm = pick_cont(f);
	struct vfio_iommu_type1_dma_map *m;
	struct cmap *to;
	uint32_t laid;
	struct call c;

	if (!cm)
		return;
	cont_call(&c, f, K_CONT_MAP, cm, cm->fd);
	m = &c.in.vmap;
	f->sane = one_in(f, 2);
	gen_cont_map(f, &c, &laid);
	cont_place(f, &c, laid);
	f->sane = false;
	rules_cont_map(f, &c);
	cont_envelope_rules(&c, sizeof(*m), 0);
	cont_struct_call(f, &c);
	cont_check_writes(f, &c);
	if (c.err)
		return;
	if (cm->nr_maps == MAX_CMAPS) {
		cm->lost = true;
		return;
	}
	to = &cm->maps[cm->nr_maps++];
	to->iova = m->iova;
	to->size = m->size;
	to->vaddr = m->vaddr;
}

/*
 * A range over a mapping, exactly or wider, inside one (which splits it),
 * anywhere, empty or unaligned, or the whole space.
 */
static void gen_unmap_range(struct fuzz *f, struct cont_model *cm,
			    struct vfio_iommu_type1_dma_unmap *u)
{
	struct cmap *m = cm->nr_maps ? &cm->maps[below(f, cm->nr_maps)] : NULL;
	unsigned int r = below(f, f->sane ? 2 : 6);

	if (r <= 2 && !m)
		r = 3;
	switch (r) {
	case 0:
		u->iova = m->iova;
		u->size = m->size;
		break;
	case 1:
		u->iova = m->iova - page * below(f, 2) * below(f, 512);
		u->size = m->iova - u->iova + m->size + SZ_2M * below(f, 4);
		break;
	case 2:
		u->iova = m->iova + page * below(f, m->size / page);
		u->size = page * (1 + below(f, 4));
		break;
	case 3:
		u->size = pick_len(f, 64 * page);
		u->iova = cont_pick_iova(f, cm, u->size);
		break;
	case 4:
		u->iova = page * below(f, 1 << 20) + below(f, 2);
		u->size = one_in(f, 2) ? 0 : page + below(f, 2);
		break;
	default:
		u->iova = one_in(f, 2) ? 0 : page * below(f, 1 << 20);
		u->size = -u->iova - (one_in(f, 2) ? page : 0);
		break;
	}
}

static void gen_cont_unmap(struct fuzz *f, struct call *c, uint32_t *laid)
{
	struct vfio_iommu_type1_dma_unmap *u = &c->in.vunmap;
	static const uint32_t junk[] = {
		VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, VFIO_DMA_UNMAP_FLAG_VADDR,
	};

	u->argsz = cont_argsz(f, sizeof(*u), sizeof(*u), laid);
	u->flags = one_in(f, 8) ? VFIO_DMA_UNMAP_FLAG_ALL : 0;
	if (!f->sane && one_in(f, 10))
		u->flags |= one_in(f, 3) ? 1U << (3 + below(f, 29)) :
			    junk[below(f, ARRAY_SIZE(junk))];
	if (!(u->flags & VFIO_DMA_UNMAP_FLAG_ALL))
		gen_unmap_range(f, c->cont, u);
	else if (!f->sane && one_in(f, 6))
		u->size = page;
}

/* The range an unmap of @u names, once its fields are good. */
static void vunmap_range(const struct vfio_iommu_type1_dma_unmap *u,
			 uint64_t *first, uint64_t *last)
{
	*first = 0;
	*last = UINT64_MAX;
	if (!(u->flags & VFIO_DMA_UNMAP_FLAG_ALL)) {
		*first = u->iova;
		*last = u->iova + u->size - 1;
	}
}

/* v->out: the bytes the model says a good unmap takes. */
static void rules_cont_unmap(struct call *c)
{
	const struct vfio_iommu_type1_dma_unmap *u = &c->in.vunmap;
	bool all = u->flags & VFIO_DMA_UNMAP_FLAG_ALL;
	struct verdict *v = &c->v;
	uint64_t first, last;
	int64_t bytes;

	vunmap_range(u, &first, &last);
	bytes = cont_unmap_bytes(c->cont, first, last);
	if (u->argsz < sizeof(*u) || u->flags & ~VFIO_DMA_UNMAP_FLAG_ALL)
		must_fail_with(v, "argsz is short, or a flag is unknown",
			       EINVAL, 0);
	else if (all && (u->iova || u->size))
		must_fail_with(v, "UNMAP_ALL names a range", EINVAL, 0);
	else if (!all && (!u->size || !aligned(u->iova) || !aligned(u->size) ||
			  wraps(u->iova, u->size)))
		must_fail_with(v, "the range is empty, unaligned or wraps",
			       EINVAL, 0);
	else if (!c->cont->type)
		must_fail_with(v, "the container has no IOMMU type", EINVAL, 0);
	else if (c->cont->lost)
		return;
	else if (bytes < 0)
		must_fail_with(v, "the range splits a mapping", EINVAL, 0);
	else
		must_succeed(v, "an unmap of whole mappings");
	if (v->must_succeed) {
		v->has_out = true;
		v->out = bytes;
	}
}

/*
 * The unmap took the mappings in its range, and said how many bytes: the
 * model's count, as long as the model knows.  EFAULT from a struct read
 * whole is the answer's: the unmap was done.
 */
static void done_cont_unmap(struct fuzz *f, struct call *c)
{
	struct cont_model *cm = c->cont;
	uint64_t first, last, got = c->out.vunmap.size;

	vunmap_range(&c->in.vunmap, &first, &last);
	if (c->err == EFAULT && c->v.has_out) {
		cont_drop(cm, first, last);
		return;
	}
	if (c->err) {
		cm->lost |= c->v.must_succeed;
		return;
	}
	if (c->v.has_out && got != c->v.out) {
		if (fail_msg(f, "CONT_UNMAP: size %llx, the model has %llx",
			     ULL(got), ULL(c->v.out)))
			describe_call(c, "CONT_UNMAP", kinds[c->kind].size);
		cm->lost = true;
	}
	cm->lost |= !c->v.has_out;
	cont_drop(cm, first, last);
}

static void cont_unmap_op(struct fuzz *f)
{
	struct cont_model *cm = pick_cont(f);
	struct vfio_iommu_type1_dma_unmap *u;
	uint32_t laid;
	struct call c;

	if (!cm)
		return;
	cont_call(&c, f, K_CONT_UNMAP, cm, cm->fd);
	u = &c.in.vunmap;
	f->sane = one_in(f, 2);
	gen_cont_unmap(f, &c, &laid);
	cont_place(f, &c, laid);
	f->sane = false;
	rules_cont_unmap(&c);
	cont_envelope_rules(&c, sizeof(*u), sizeof(*u));
	cont_struct_call(f, &c);
	cont_check_writes(f, &c);
	done_cont_unmap(f, &c);
}

/* edu's group */

/*
 * The fd SET_CONTAINER is given: mostly a container's; else /dev/ioasid,
 * another file, none, or (@ptr) no pointer at all.  @err: what a group in
 * no container must get from it.
 */
static int set_target(struct fuzz *f, struct cont_model **cm, int *err,
		      bool *ptr)
{
	unsigned int r = below(f, 14);
	struct slot *s;

	*cm = NULL;
	*err = EBADFD;
	*ptr = r != 0;
	switch (r) {
	case 0:
		*err = EFAULT;
		return -1;
	case 1:
		return f->memfd;
	case 2:
		return f->vfio.group_fd;
	case 3:
		*err = EBADF;
		return one_in(f, 2) ? -1 : CLOSED_FD + (int)below(f, 100);
	case 4:
	case 5:
		s = pick_slot(f);
		return s ? s->fd : f->memfd;
	}
	*cm = pick_cont(f);
	*err = 0;
	return *cm ? (*cm)->fd : f->memfd;
}

static void group_set_op(struct fuzz *f)
{
	struct vfio_model *e = &f->vfio;
	struct cont_model *cm;
	int fd, err;
	struct call c;
	bool ptr;

	fd = set_target(f, &cm, &err, &ptr);
	if (!cm && !err)
		err = EBADFD;
	cont_call(&c, f, K_GROUP_SET, cm, e->group_fd);
	if (err == EFAULT || err == EBADF)
		must_fail_with(&c.v, "no fd, or not an fd", err, 0);
	else if (e->in)
		must_fail_with(&c.v, "the group is in a container already",
			       EINVAL, 0);
	else if (err)
		must_fail_with(&c.v, "the fd is no container", EBADFD, 0);
	else
		must_succeed(&c.v, "a group in no container joins one");
	c.in.words[0] = (uint32_t)fd;
	c.env.size = sizeof(uint64_t);
	c.err = ioctl(e->group_fd, VFIO_GROUP_SET_CONTAINER,
		      ptr ? &fd : (int *)(uintptr_t)bad_pointer(f)) ? errno : 0;
	cont_judge(f, &c);
	if (c.err || !cm || e->in)
		return;
	cm->grouped = true;
	cm->joined = true;
	e->in = cm;
}

/* Mostly from a container with nothing mapped: mappings are to be made. */
static void group_unset_op(struct fuzz *f)
{
	struct vfio_model *e = &f->vfio;
	struct call c;

	if (e->in && e->in->nr_maps && !one_in(f, 3))
		return;
	cont_call(&c, f, K_GROUP_UNSET, e->in, e->group_fd);
	if (!e->in)
		must_fail_with(&c.v, "the group is in no container", EINVAL, 0);
	else if (e->dev_fd >= 0)
		must_fail_with(&c.v, "edu's device fd is open", EBUSY, 0);
	else if (!e->shared)
		must_succeed(&c.v, "no device of the group is open");
	c.err = ioctl(e->group_fd, VFIO_GROUP_UNSET_CONTAINER) ? errno : 0;
	cont_judge(f, &c);
	if (!c.err && e->in)
		cont_left(f, e->in);
}

/* Closes edu's device fd, which detaches edu unless a child has it. */
static void group_close_device(struct fuzz *f)
{
	struct vfio_model *e = &f->vfio;
	struct call c;

	cont_call(&c, f, K_GROUP_DEVICE, e->in, e->dev_fd);
	must_succeed(&c.v, "a close of edu's device fd");
	c.err = close(e->dev_fd) ? errno : 0;
	e->dev_fd = -1;
	cont_judge(f, &c);
}

/*
 * GET_DEVICE_FD: edu's name, one the group does not have, or no string.
 * The first open attaches edu to the container's IOASID, which fails
 * where a mapping lies out of edu's reach.
 */
static void group_device_op(struct fuzz *f)
{
	static const char * const others[] = { "0000:ff:1f.7", "" };
	struct vfio_model *e = &f->vfio;
	struct cont_model *cm = e->in;
	const char *name = e->pci;
	unsigned int r = below(f, 10);
	struct call c;
	int fd;

	if (e->dev_fd >= 0) {
		group_close_device(f);
		return;
	}
	if (r == 0)
		name = others[below(f, ARRAY_SIZE(others))];
	else if (r == 1)
		name = (const char *)(uintptr_t)bad_pointer(f);
	cont_call(&c, f, K_GROUP_DEVICE, cm, e->group_fd);
	if (r == 1)
		must_fail_with(&c.v, "the name is not in user memory", EFAULT,
			       0);
	else if (r == 0)
		must_fail_with(&c.v, "no device of the group has that name",
			       ENODEV, 0);
	else if (!cm || !cm->type)
		must_fail_with(&c.v, "no container, or it has no IOMMU type",
			       EINVAL, 0);
	else if (e->shared || cm->lost)
		;	/* edu may be open already, or the mappings unknown */
	else if (e->reach.known && !cont_maps_within(cm, &e->reach))
		must_fail_with(&c.v, "a mapping lies out of edu's reach",
			       EADDRINUSE, 0);
	else if (e->reach.known || !cm->nr_maps)
		must_succeed(&c.v, "edu opened in a container with its type");
	c.in.words[0] = (uintptr_t)name;
	c.env.size = sizeof(uint64_t);
	fd = ioctl(e->group_fd, VFIO_GROUP_GET_DEVICE_FD, name);
	c.err = fd < 0 ? errno : 0;
	cont_judge(f, &c);
	if (fd < 0)
		return;
	e->dev_fd = fd;
	if (cm)
		cont_learn(f, cm);
}

/*
 * Across the two files: /dev/ioasid's commands on a container, which is
 * a context as well, and the container's on a /dev/ioasid fd, which does
 * not answer them.
 */
static void cont_ioasid_op(struct fuzz *f)
{
	struct cont_model *cm = pick_cont(f);
	unsigned int r = below(f, 4);
	struct ioasid_iova_ranges *ranges;
	struct call c;
	struct slot *s;

	if (!cm)
		return;
	cont_call(&c, f, K_CONT_IOASID, cm, cm->fd);
	c.env.size = kinds[K_CONT_IOASID].size;
	c.env.base = (uint8_t *)&c.out;
	if (r == 0) {
		c.out.info.size = sizeof(c.out.info);
		c.request = IOASID_GET_INFO;
		must_succeed(&c.v, "a container is a context");
	} else if (r == 1) {
		ranges = &c.out.ranges;
		ranges->size = sizeof(*ranges);
		ranges->ioasid = CONT_IOASID;
		ranges->num_ranges = NR_RANGES;
		ranges->ranges = (uintptr_t)f->ranges;
		c.request = IOASID_IOVA_RANGES;
		if (cm->joined)
			must_succeed(&c.v, "the first group made the IOASID");
		else
			must_fail_with(&c.v, "no group made the IOASID",
				       ENOENT, 0);
	} else if (r == 2) {
		c.out.destroy.size = sizeof(c.out.destroy);
		c.out.destroy.id = CONT_IOASID + (one_in(f, 4) ? 0 :
						  1 + below(f, 23));
		c.request = IOASID_DESTROY;
		if (c.out.destroy.id == CONT_IOASID && cm->joined)
			must_fail_with(&c.v, "the container keeps its IOASID",
				       EBUSY, 0);
		else
			must_fail_with(&c.v, "no IOASID but the container's",
				       ENOENT, 0);
	} else {
		s = pick_slot(f);
		if (!s)
			return;
		c.fd = s->fd;
		c.cont = NULL;
		c.request = one_in(f, 2) ? VFIO_GET_API_VERSION :
					   VFIO_CHECK_EXTENSION;
		c.env.base = (uint8_t *)(uintptr_t)VFIO_TYPE1v2_IOMMU;
		must_fail_with(&c.v, "/dev/ioasid is no container", ENOTTY, 0);
	}
	c.in = c.out;
	c.err = ioctl(c.fd, c.request, c.env.base) < 0 ? errno : 0;
	cont_judge(f, &c);
	if (r == 0 && !c.err && c.out.info.api_version != IOASID_API_VERSION)
		fail_msg(f, "GET_INFO on a container: version %u",
			 c.out.info.api_version);
	if (r == 1 && !c.err)
		check_reported_ranges(f, &c);
}

static void cont_op(struct fuzz *f, enum cmd_kind kind)
{
	switch (kind) {
	case K_CONT_OPEN:
		cont_open_op(f);
		break;
	case K_CONT_CLOSE:
		cont_close_op(f);
		break;
	case K_CONT_VERSION:
		cont_version_op(f);
		break;
	case K_CONT_EXTENSION:
		cont_extension_op(f);
		break;
	case K_CONT_SET_IOMMU:
		cont_set_iommu_op(f);
		break;
	case K_CONT_INFO:
		cont_info_op(f);
		break;
	case K_CONT_MAP:
		cont_map_op(f);
		break;
	case K_CONT_UNMAP:
		cont_unmap_op(f);
		break;
	case K_CONT_IOASID:
		cont_ioasid_op(f);
		break;
	case K_GROUP_SET:
		group_set_op(f);
		break;
	case K_GROUP_UNSET:
		group_unset_op(f);
		break;
	default:
		group_device_op(f);
		break;
	}
}

/*
 * Every container goes, and edu's fd: the group leaves, which unmaps,
 * unless a child still has edu open.  The group stays open.
 */
static void cont_close_all(struct fuzz *f)
{
	struct vfio_model *e = &f->vfio;
	unsigned int i;

	if (e->dev_fd >= 0)
		close(e->dev_fd);
	e->dev_fd = -1;
	if (e->in && !ioctl(e->group_fd, VFIO_GROUP_UNSET_CONTAINER))
		cont_left(f, e->in);
	else if (e->in && !e->shared)
		fail_msg(f, "UNSET_CONTAINER with edu closed: %s",
			 errno_name(errno));
	for (i = 0; i < MAX_CONTAINERS; i++)
		if (e->conts[i].fd >= 0)
			cont_close(&e->conts[i]);
}

/* A child process leaves the containers and edu to its parent. */
static void cont_leave(struct fuzz *f)
{
	struct vfio_model *e = &f->vfio;
	unsigned int i;

	for (i = 0; i < MAX_CONTAINERS; i++)
		if (e->conts[i].fd >= 0)
			close(e->conts[i].fd);
	if (e->dev_fd >= 0)
		close(e->dev_fd);
	if (e->group_fd >= 0)
		close(e->group_fd);
	memset(e, 0, sizeof(*e));
	e->group_fd = -1;
	e->dev_fd = -1;
}

/* At the end, the group goes too, with what it held. */
static void cont_teardown(struct fuzz *f)
{
	struct vfio_model *e = &f->vfio;

	cont_close_all(f);
	if (e->group_fd >= 0)
		close(e->group_fd);
	e->group_fd = -1;
	if (e->unsafe_before &&
	    write_container_unsafe(e->unsafe_before == 'Y' ? "Y" : "N"))
		fail_msg(f, "restoring %s: %s", UNSAFE_PARAM, strerror(errno));
	e->unsafe_before = 0;
}

/* The vDPA device */

static void vdpa_off(struct vdpa_model *vd, const char *why)
{
	snprintf(vd->why, sizeof(vd->why), "%s", why);
	vd->on = false;
}

/*
 * Creates the run's vDPA device on vdpa_sim_net, finds its vhost-vdpa
 * char device and what the device offers, and whether the kernel has the
 * ioctls: BIND with argsz 0 fails with EINVAL where it does, and falls to
 * the vring ioctls (ENOTTY or ENOBUFS) where it does not.  Draws nothing
 * from the seed's stream.
 */
static void vdpa_probe(struct fuzz *f)
{
	struct vhost_vdpa_ioasid_bind probe = { .argsz = 0, .ioasid_fd = -1 };
	struct vhost_vdpa_iova_range range = {};
	struct vdpa_model *vd = &f->vdpa;
	char why[256] = "", use_va[8] = "";
	int fd = -1, ret;
	FILE *param;

	memset(vd, 0, sizeof(*vd));
	vd->fd = -1;
	if (geteuid()) {
		vdpa_off(vd, "creating a vDPA device needs root");
		return;
	}
	if (access("/sys/bus/vdpa/drivers/vhost_vdpa", F_OK)) {
		vdpa_off(vd, "no vhost_vdpa driver");
		return;
	}
	/* One that a run which died left behind. */
	vdpa_dev_del(VDPA_DEV_NAME, NULL, 0);
	ret = vdpa_dev_add(NULL, "vdpasim_net", VDPA_DEV_NAME, why,
			   sizeof(why));
	if (ret == ENODEV || ret == ENOENT) {
		vdpa_off(vd, "no vdpasim_net management device");
		return;
	}
	if (ret) {
		fail_msg(f, "creating vDPA device %s: %s %s", VDPA_DEV_NAME,
			 strerror(ret), why);
		vdpa_off(vd, "the vDPA device could not be created");
		return;
	}
	ret = vhost_vdpa_path(VDPA_DEV_NAME, vd->path, sizeof(vd->path));
	if (!ret) {
		fd = open(vd->path, O_RDWR | O_CLOEXEC);
		ret = fd < 0 ? errno : 0;
	}
	/* Without an owner, commands vhost-vdpa does not know fail EPERM. */
	if (!ret)
		ret = ioctl(fd, VHOST_SET_OWNER, NULL) ? errno : 0;
	if (ret) {
		fail_msg(f, "opening the vhost-vdpa fd of %s: %s",
			 VDPA_DEV_NAME, strerror(ret));
		vdpa_off(vd, "its vhost-vdpa fd could not be opened");
		goto out;
	}
	ret = ioctl(fd, VHOST_VDPA_IOASID_BIND, &probe) ? errno : 0;
	if (ret == ENOTTY || ret == ENOBUFS) {
		vdpa_off(vd, "the kernel has no VHOST_VDPA_IOASID_BIND");
		goto out;
	}
	if (ret != EINVAL) {
		fail_msg(f, "VHOST_VDPA_IOASID_BIND with argsz 0: %s, not EINVAL",
			 errno_name(ret));
		vdpa_off(vd, "VHOST_VDPA_IOASID_BIND does not parse argsz");
		goto out;
	}
	if (ioctl(fd, VHOST_VDPA_GET_AS_NUM, &vd->nas) || !vd->nas ||
	    ioctl(fd, VHOST_VDPA_GET_IOVA_RANGE, &range) ||
	    range.first > range.last) {
		fail_msg(f, "%s: %u address spaces, IOVAs %llx-%llx: %s",
			 vd->path, vd->nas, ULL(range.first), ULL(range.last),
			 errno_name(errno));
		vdpa_off(vd, "the vDPA device is not what vdpa_sim_net makes");
		goto out;
	}
	vd->first = range.first;
	vd->last = range.last;
	param = fopen(VDPA_SIM_USE_VA, "r");
	if (param) {
		if (!fgets(use_va, sizeof(use_va), param))
			use_va[0] = 0;
		fclose(param);
	}
	vd->use_va = use_va[0] == 'Y';
	vd->on = true;
	snprintf(vd->why, sizeof(vd->why),
		 "%s on vdpa_sim_net, %s, %u address spaces%s", VDPA_DEV_NAME,
		 vd->path, vd->nas,
		 vd->use_va ? ", user addresses (BIND refused)" : "");
out:
	if (fd >= 0)
		close(fd);
	if (!vd->on)
		vdpa_dev_del(VDPA_DEV_NAME, NULL, 0);
}

/*
 * The fd is closed: its release unbinds it, which detaches every address
 * space, and empties its vhost IOTLB.  A child's copy of it keeps all
 * that a while longer, so the context it was bound to is no longer what
 * the model says.
 */
static void vdpa_forget(struct vdpa_model *vd)
{
	if (vd->shared && vdpa_ctx(vd) && !vd->orphan)
		vd->s->exact = false;
	vd->fd = -1;
	vd->bound = false;
	vd->orphan = false;
	vd->s = NULL;
	vd->to_cont = false;
	vd->cont = NULL;
	vd->joined = false;
	vd->lost = false;
	memset(vd->ioas, 0, sizeof(vd->ioas));
	vd->status = 0;
	vd->as0 = false;
	vd->batch = false;
	vd->nr_maps = 0;
}

/*
 * A new open, whose device was reset: takes ownership and enables
 * vhost_msg_v2 and batches, as a VMM does, which vhost IOTLB messages
 * need.
 */
static void vdpa_opened(struct fuzz *f, int fd)
{
	struct vdpa_model *vd = &f->vdpa;
	int ret;

	vdpa_forget(vd);
	vd->fd = fd;
	ret = ioctl(fd, VHOST_SET_OWNER, NULL) ? errno : 0;
	if (!ret)
		ret = vnet_iotlb_enable(fd);
	if (ret)
		fail_msg(f, "SET_OWNER or SET_BACKEND_FEATURES on a new vhost-vdpa fd: %s",
			 errno_name(ret));
}

static void vdpa_call(struct call *c, struct fuzz *f, enum cmd_kind kind)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->kind = kind;
	c->fd = f->vdpa.fd;
	c->request = kinds[kind].request;
	c->s = vdpa_ctx(&f->vdpa);
}

static void vdpa_judge(struct fuzz *f, struct call *c)
{
	tally(f, c);
	check_errno(f, c);
}

/* One process at a time has the device open. */
static void vdpa_open_op(struct fuzz *f)
{
	struct vdpa_model *vd = &f->vdpa;
	struct call c;
	int fd;

	vdpa_call(&c, f, K_VDPA_OPEN);
	if (vd->fd >= 0)
		must_fail_with(&c.v, "the device is open already", EBUSY, 0);
	else if (!vd->shared)
		must_succeed(&c.v, "an open of a device nobody has open");
	fd = open(vd->path, O_RDWR | O_CLOEXEC);
	c.err = fd < 0 ? errno : 0;
	c.fd = fd;
	vdpa_judge(f, &c);
	if (fd < 0)
		return;
	if (vd->fd >= 0)
		close(fd);
	else
		vdpa_opened(f, fd);
}

static void vdpa_close_op(struct fuzz *f)
{
	struct vdpa_model *vd = &f->vdpa;
	struct call c;

	if (vd->fd < 0)
		return;
	vdpa_call(&c, f, K_VDPA_CLOSE);
	must_succeed(&c.v, "a close of the vhost-vdpa fd");
	c.err = close(vd->fd) ? errno : 0;
	vdpa_judge(f, &c);
	vdpa_forget(vd);
}

/*
 * argsz of a vhost-vdpa struct of @size bytes, its first version: mostly
 * @size, else short, longer by whole words or not, past a page, or huge.
 * *@laid: the bytes laid out for it.
 */
static uint32_t vdpa_argsz(struct fuzz *f, uint32_t size, uint32_t *laid)
{
	uint32_t argsz = size;

	switch (f->sane ? 0 : below(f, 12)) {
	case 1:
		argsz = below(f, size);
		break;
	case 2:
	case 3:
		argsz = size + 8 * (1 + below(f, 4));
		break;
	case 4:
		argsz = size + 1 + below(f, page - size);
		break;
	case 5:
		argsz = one_in(f, 2) ? UINT32_MAX : page + 1 + below(f, page);
		break;
	}
	*laid = argsz < size ? size : argsz > page ? page : argsz;
	return argsz;
}

/*
 * Places a struct as the container's are, with now and then a byte that
 * is not zero in the tail between @size and argsz.
 */
static void vdpa_place(struct fuzz *f, struct call *c, uint32_t size,
		       uint32_t argsz, uint32_t laid)
{
	cont_place(f, c, laid);
	if (!f->sane && argsz > size && argsz <= page && one_in(f, 3))
		c->env.dirty = size + below(f, argsz - size);
}

/*
 * What vhost-vdpa's reading of the struct decides, in its order: argsz
 * read alone, below @size, past a page; the tail past @size, which must
 * be zero, read up to the first byte that is not (or that cannot be
 * read); then the struct.  Returns whether the call gets to its fields.
 */
static bool vdpa_envelope_rules(struct call *c, uint32_t size,
				uint32_t argsz)
{
	const struct envelope *env = &c->env;
	struct verdict *v = &c->v;

	if (env->place == PL_BAD)
		must_fail_with(v, "the struct is not in user memory", EFAULT,
			       0);
	else if (argsz < size)
		must_fail_with(v, "argsz is below the struct's size", EINVAL,
			       0);
	else if (argsz > page)
		must_fail_with(v, "argsz exceeds the page size", E2BIG, 0);
	else if (env->place == PL_STRADDLE_NONE && env->dirty &&
		 env->dirty < env->split)
		must_fail_with(v, "a byte of the tail is not zero", E2BIG, 0);
	else if (env->place == PL_STRADDLE_NONE)
		must_fail_with(v, "the struct runs into an unreadable page",
			       EFAULT, 0);
	else if (env->dirty)
		must_fail_with(v, "a byte of the tail is not zero", E2BIG, 0);
	else
		return true;
	return false;
}

static void vdpa_struct_call(struct fuzz *f, struct call *c)
{
	build_envelope(f, c);
	c->err = ioctl(c->fd, c->request, c->env.base) ? errno : 0;
	unbuild_envelope(f, c);
	vdpa_judge(f, c);
}

/*
 * Nothing past argsz, and nothing from BIND or DETACH, nor from a call
 * that failed before it did anything; an ATTACH that got past its checks
 * writes out_flags alone, @want, whether the attach then succeeds or not.
 */
static void vdpa_check_writes(struct fuzz *f, struct call *c, uint32_t want)
{
	const struct envelope *env = &c->env;
	const char *name = kinds[c->kind].name;
	uint32_t cstart = canary_start(env), keep = env->size;
	bool shown;

	if (!checks_memory(env))
		return;
	if (c->kind == K_VDPA_ATTACH && (!c->err || c->out_written))
		keep = VDPA_OUT_FLAGS;
	if (!bytes_equal(env->base + cstart, f->snap + cstart, CANARY))
		shown = fail_msg(f, "%s wrote past the %u bytes laid out", name,
				 env->size);
	else if (!bytes_equal(env->base, f->snap, keep) ||
		 (keep < env->size &&
		  !bytes_equal(env->base + VDPA_OUT_END,
			       f->snap + VDPA_OUT_END,
			       env->size - VDPA_OUT_END)))
		shown = fail_msg(f, "%s ended with %s but wrote %s", name,
				 errno_name(c->err),
				 keep < env->size ? "past out_flags" :
						    "its struct");
	else if (keep < env->size && c->out.vattach.out_flags != want)
		shown = fail_msg(f, "%s: out_flags %x, the model has %x", name,
				 c->out.vattach.out_flags, want);
	else
		return;
	if (shown)
		describe_call(c, name, kinds[c->kind].size);
}

/*
 * The fd BIND is given: mostly a slot's, now and then a container's, or
 * one that is not /dev/ioasid (@err EINVAL): the vhost-vdpa fd itself,
 * edu's group, a memfd; or no fd (EBADF).
 */
static int vdpa_bind_target(struct fuzz *f, struct slot **s,
			    struct cont_model **cm, int *err)
{
	unsigned int r = f->sane ? 12 : below(f, 12), i;
	int fd;

	*s = NULL;
	*cm = NULL;
	*err = EINVAL;
	if (r == 0) {
		fd = f->vdpa.fd;
	} else if (r == 1) {
		fd = f->vfio.group_fd >= 0 && one_in(f, 2) ? f->vfio.group_fd :
							       f->memfd;
	} else if (r == 2) {
		fd = one_in(f, 2) ? -1 : CLOSED_FD + (int)below(f, 100);
		*err = EBADF;
	} else {
		for (i = 0; r == 3 && i < MAX_CONTAINERS && !*cm; i++)
			if (f->vfio.conts[i].fd >= 0)
				*cm = &f->vfio.conts[i];
		if (!*cm)
			*s = pick_slot(f);
		fd = *cm ? (*cm)->fd : *s ? (*s)->fd : -1;
		*err = 0;
	}
	if (fd < 0)
		*err = EBADF;
	return fd;
}

/* In the order the kernel checks them, past the struct's reading. */
static void rules_vdpa_bind(struct vdpa_model *vd, struct call *c,
			    int fd_err)
{
	const struct vhost_vdpa_ioasid_bind *b = &c->in.vbind;
	struct verdict *v = &c->v;

	if (b->flags || b->__reserved)
		must_fail_with(v, "flags or __reserved is set", EINVAL, 0);
	else if (vd->bound)
		must_fail_with(v, "the fd is bound already", EBUSY, 0);
	else if (vd->nr_maps || vd->batch)
		must_fail_with(v, "the vhost IOTLB maps, or a batch is open",
			       EBUSY, 0);
	else if (vd->use_va)
		must_fail_with(v, "the parent takes user addresses",
			       EOPNOTSUPP, 0);
	else if (fd_err)
		must_fail_with(v, "ioasid_fd is not an open /dev/ioasid",
			       fd_err, 0);
	else
		must_succeed(v, "a first bind, to /dev/ioasid");
}

static void vdpa_bind_op(struct fuzz *f)
{
	struct vdpa_model *vd = &f->vdpa;
	struct vhost_vdpa_ioasid_bind *b;
	struct cont_model *cm;
	struct slot *s;
	uint32_t laid;
	struct call c;
	int fd_err;

	if (vd->fd < 0) {
		vdpa_open_op(f);
		return;
	}
	vdpa_call(&c, f, K_VDPA_BIND);
	b = &c.in.vbind;
	f->sane = one_in(f, 2);
	b->argsz = vdpa_argsz(f, sizeof(*b), &laid);
	b->flags = junk32(f, 10);
	b->__reserved = junk32(f, 10);
	b->ioasid_fd = vdpa_bind_target(f, &s, &cm, &fd_err);
	vdpa_place(f, &c, sizeof(*b), b->argsz, laid);
	f->sane = false;
	if (vdpa_envelope_rules(&c, sizeof(*b), b->argsz))
		rules_vdpa_bind(vd, &c, fd_err);
	vdpa_struct_call(f, &c);
	vdpa_check_writes(f, &c, 0);
	if (c.err || vd->bound)
		return;
	vd->bound = true;
	vd->s = s;
	vd->to_cont = !!cm;
	vd->cont = cm;
	vd->joined = cm && cm->joined;
	/* Bound to what the fuzzer did not mean: reported already. */
	vd->lost = !s && !cm;
}

/* Mostly an address space the device has; now and then any number. */
static uint32_t vdpa_pick_asid(struct fuzz *f)
{
	uint32_t nas = f->vdpa.nas;

	if (!f->sane && one_in(f, 16))
		return (uint32_t)rnd(f);
	if (f->sane || !one_in(f, 3))
		return below(f, nas < VDPA_MAX_ASID ? nas : VDPA_MAX_ASID);
	return below(f, VDPA_MAX_ASID);
}

/*
 * An IOASID for ATTACH: of the context bound to, as pick_id() draws them,
 * or the container's; else any.
 */
static uint32_t vdpa_pick_ioasid(struct fuzz *f)
{
	struct vdpa_model *vd = &f->vdpa;
	struct slot *ctx = vdpa_ctx(vd);

	if (ctx)
		return pick_plain_id(f, ctx);
	if (vd->bound && vd->to_cont)
		return one_in(f, 4) ? 1 + below(f, 24) : CONT_IOASID;
	ctx = find_slot(f, true);
	return ctx ? pick_plain_id(f, ctx) : 1 + below(f, 24);
}

/*
 * In the kernel's order: the fields, the binding, the address space, then
 * out_flags is written, before the attach, then the IOASID.  A container's
 * context has one IOASID once a group joined it; the fuzzer makes no other
 * there.
 */
static void rules_vdpa_attach(struct vdpa_model *vd, struct call *c)
{
	const struct vhost_vdpa_ioasid_attach *a = &c->in.vattach;
	struct slot *ctx = vdpa_ctx(vd);
	struct verdict *v = &c->v;
	bool joined;

	if (a->flags || a->__reserved) {
		must_fail_with(v, "flags or __reserved is set", EINVAL, 0);
		return;
	}
	if (!vd->bound) {
		must_fail_with(v, "the fd is not bound", EBADFD, 0);
		return;
	}
	if (a->asid >= vd->nas) {
		must_fail_with(v, "the device has no such address space",
			       EINVAL, 0);
		return;
	}
	c->out_written = place_writable(&c->env, VDPA_OUT_END);
	if (a->asid >= VDPA_MAX_ASID || vd->lost)
		return;
	if (!c->out_written) {
		must_fail_with(v, "out_flags cannot be written", EFAULT, 0);
		return;
	}
	if (vd->to_cont) {
		joined = vd->cont ? vd->cont->joined : vd->joined;
		if (a->ioasid == CONT_IOASID && joined)
			must_succeed(v, "the IOASID of the container");
		else
			must_fail_with(v, "the container has no such IOASID",
				       ENOENT, 0);
	} else if (id_is_bad(ctx, a->ioasid, ID_IOAS)) {
		must_fail_with(v, "the id names no IOASID of the bound fd",
			       ENOENT, 0);
	} else if (ctx->exact) {
		must_succeed(v, "an IOASID of the bound fd");
	}
}

/*
 * Attaches an address space, or moves it: out_flags says MOVED when it
 * was attached, RUNNING with DRIVER_OK set.  The other emulated devices
 * of the IOASIDs are not called back: the device's access lets go of its
 * own pins alone.
 */
static void vdpa_attach_op(struct fuzz *f)
{
	struct vdpa_model *vd = &f->vdpa;
	struct vhost_vdpa_ioasid_attach *a;
	uint32_t laid, want = 0;
	struct call c;
	bool parsed;

	if (vd->fd < 0) {
		vdpa_open_op(f);
		return;
	}
	vdpa_call(&c, f, K_VDPA_ATTACH);
	a = &c.in.vattach;
	f->sane = one_in(f, 2);
	a->argsz = vdpa_argsz(f, sizeof(*a), &laid);
	a->flags = junk32(f, 10);
	a->__reserved = junk32(f, 10);
	a->asid = vdpa_pick_asid(f);
	a->ioasid = vdpa_pick_ioasid(f);
	if (!f->sane && one_in(f, 8))
		a->out_flags = rnd(f);
	vdpa_place(f, &c, sizeof(*a), a->argsz, laid);
	f->sane = false;
	parsed = vdpa_envelope_rules(&c, sizeof(*a), a->argsz);
	if (parsed)
		rules_vdpa_attach(vd, &c);
	if (a->asid < VDPA_MAX_ASID && vd->ioas[a->asid])
		want |= VHOST_VDPA_IOASID_MOVED;
	if (vd->status & VIRTIO_CONFIG_S_DRIVER_OK)
		want |= VHOST_VDPA_IOASID_RUNNING;
	vdpa_struct_call(f, &c);
	vdpa_check_writes(f, &c, want);
	if (vd->bound && a->asid < vd->nas && a->asid < VDPA_MAX_ASID &&
	    !c.err)
		vd->ioas[a->asid] = a->ioasid;
}

/* In the kernel's order, past the struct's reading. */
static void rules_vdpa_detach(struct vdpa_model *vd, struct call *c)
{
	const struct vhost_vdpa_ioasid_detach *d = &c->in.vdetach;
	struct verdict *v = &c->v;

	if (d->flags || d->__reserved)
		must_fail_with(v, "flags or __reserved is set", EINVAL, 0);
	else if (!vd->bound)
		must_fail_with(v, "the fd is not bound", EBADFD, 0);
	else if (d->asid >= vd->nas)
		must_fail_with(v, "the device has no such address space",
			       EINVAL, 0);
	else if (d->asid < VDPA_MAX_ASID && !vd->ioas[d->asid])
		must_fail_with(v, "the address space is not attached", ENOENT,
			       0);
	else if (d->asid < VDPA_MAX_ASID)
		must_succeed(v, "a detach of an attached address space");
}

static void vdpa_detach_op(struct fuzz *f)
{
	struct vdpa_model *vd = &f->vdpa;
	struct vhost_vdpa_ioasid_detach *d;
	uint32_t laid;
	struct call c;

	if (vd->fd < 0) {
		vdpa_open_op(f);
		return;
	}
	vdpa_call(&c, f, K_VDPA_DETACH);
	d = &c.in.vdetach;
	f->sane = one_in(f, 2);
	d->argsz = vdpa_argsz(f, sizeof(*d), &laid);
	d->flags = junk32(f, 10);
	d->__reserved = junk32(f, 10);
	d->asid = vdpa_pick_asid(f);
	vdpa_place(f, &c, sizeof(*d), d->argsz, laid);
	f->sane = false;
	if (vdpa_envelope_rules(&c, sizeof(*d), d->argsz))
		rules_vdpa_detach(vd, &c);
	vdpa_struct_call(f, &c);
	vdpa_check_writes(f, &c, 0);
	if (!c.err && d->asid < VDPA_MAX_ASID)
		vd->ioas[d->asid] = 0;
}

/* Whether vhost may pin @npages more of the parent's under its memlock. */
static bool vdpa_pin_room(uint64_t npages)
{
	uint64_t kb = vm_kb("VmPin");
	struct rlimit rl;

	if (kb == UINT64_MAX || getrlimit(RLIMIT_MEMLOCK, &rl))
		return false;
	if (rl.rlim_cur == RLIM_INFINITY)
		return true;
	return kb / (page / 1024) + npages <= rl.rlim_cur / page;
}

/* The mappings of the vhost IOTLB that meet [@first, @last]. */
static bool iotlb_hits(const struct vdpa_model *vd, uint64_t first,
		       uint64_t last)
{
	unsigned int i;

	for (i = 0; i < vd->nr_maps; i++)
		if (vd->maps[i].iova <= last &&
		    vd->maps[i].iova + vd->maps[i].len - 1 >= first)
			return true;
	return false;
}

static void iotlb_drop(struct vdpa_model *vd, uint64_t first, uint64_t last)
{
	unsigned int i = 0;

	while (i < vd->nr_maps) {
		if (vd->maps[i].iova <= last &&
		    vd->maps[i].iova + vd->maps[i].len - 1 >= first)
			vd->maps[i] = vd->maps[--vd->nr_maps];
		else
			i++;
	}
}

/*
 * An UPDATE of a page or two at an IOVA of a small window, mostly of a
 * buffer, else of the scratch area or of the guard page; now and then
 * empty, or at the top of the IOVAs.  @mem: what the pages are.
 */
static void gen_iotlb_update(struct fuzz *f, struct vhost_iotlb_msg *m,
			     enum mem *mem)
{
	struct buf *b = pick_live_buf(f);
	uint64_t npages = 1 + below(f, 2);
	unsigned int r = below(f, 8);

	m->type = VHOST_IOTLB_UPDATE;
	m->size = npages * page;
	m->iova = VDPA_IOTLB_BASE + page * below(f, 8);
	m->perm = one_in(f, 4) ? VHOST_ACCESS_RO : VHOST_ACCESS_RW;
	if (b && r < 6) {
		m->uaddr = (uintptr_t)b->addr + page * below(f, b->len / page);
		*mem = mem_class(f, m->uaddr, m->size);
	} else if (r < 7) {
		m->uaddr = (uintptr_t)f->scratch +
			   page * below(f, SCRATCH_LEN / page - 1);
		*mem = MEM_RW;
	} else {
		m->uaddr = (uintptr_t)f->guard;
		*mem = MEM_BAD;
	}
	if (one_in(f, 12))
		m->iova = -(page * (1 + below(f, 2)));
	if (one_in(f, 16))
		m->size = 0;
}

/*
 * Widens [*@first, *@last] to the whole of every mapping it meets.  The
 * kernel keeps an UPDATE as one entry per physically contiguous run and
 * drops whole entries, so a part of a mapping leaves what the model cannot
 * tell: a run it does not see.
 */
static void iotlb_widen(const struct vdpa_model *vd, uint64_t *first,
			uint64_t *last)
{
	bool grew = true;
	unsigned int i;

	while (grew) {
		grew = false;
		for (i = 0; i < vd->nr_maps; i++) {
			const struct iotlb_map *mp = &vd->maps[i];
			uint64_t end = mp->iova + mp->len - 1;

			if (mp->iova > *last || end < *first)
				continue;
			if (mp->iova < *first || end > *last)
				grew = true;
			if (mp->iova < *first)
				*first = mp->iova;
			if (end > *last)
				*last = end;
		}
	}
}

/*
 * An INVALIDATE: of a mapping, of all of them, or of a page anywhere and
 * the mappings it meets.
 */
static void gen_iotlb_invalidate(struct fuzz *f, struct vhost_iotlb_msg *m)
{
	struct vdpa_model *vd = &f->vdpa;
	const struct iotlb_map *mp;
	uint64_t first, last;

	m->type = VHOST_IOTLB_INVALIDATE;
	mp = vd->nr_maps ? &vd->maps[below(f, vd->nr_maps)] : NULL;
	if (mp && one_in(f, 2)) {
		m->iova = mp->iova;
		m->size = mp->len;
	} else if (!one_in(f, 3)) {
		m->iova = 0;
		m->size = 1ULL << 48;
	} else {
		first = VDPA_IOTLB_BASE + page * below(f, 8);
		last = first + page - 1;
		iotlb_widen(vd, &first, &last);
		m->iova = first;
		m->size = last - first + 1;
	}
}

/*
 * What the handler of a message that reached it does, before BIND: it
 * makes address space 0's IOTLB for UPDATE and BATCH_BEGIN, and needs it
 * for the others.  Any error there is EFAULT.
 */
static void rules_iotlb_msg(struct vdpa_model *vd, struct call *c,
			    enum mem mem)
{
	const struct vhost_iotlb_msg *m = &c->in.vmsg.iotlb;
	uint64_t last = m->iova + m->size - 1;
	struct verdict *v = &c->v;

	if (m->type != VHOST_IOTLB_UPDATE &&
	    m->type != VHOST_IOTLB_BATCH_BEGIN && !vd->as0) {
		must_fail_with(v, "address space 0 has no vhost IOTLB yet",
			       EFAULT, 0);
		return;
	}
	switch (m->type) {
	case VHOST_IOTLB_UPDATE:
		if (wraps(m->iova, m->size) || m->iova < vd->first ||
		    last > vd->last)
			must_fail_with(v, "the IOVA range wraps, or is not the device's",
				       EFAULT, 0);
		else if (iotlb_hits(vd, m->iova, last))
			must_fail_with(v, "the IOVA range meets a mapping",
				       EFAULT, 0);
		else if (vd->use_va)
			break;
		else if (mem == MEM_BAD ||
			 (mem == MEM_RO && (m->perm & VHOST_ACCESS_WO)))
			must_fail_with(v, "the memory is not there, or is read-only",
				       EFAULT, 0);
		else if (mem == MEM_RW && vdpa_pin_room(m->size / page))
			must_succeed(v, "an UPDATE of memory that is there");
		break;
	case VHOST_IOTLB_INVALIDATE:
	case VHOST_IOTLB_BATCH_BEGIN:
	case VHOST_IOTLB_BATCH_END:
		must_succeed(v, "a message the vhost IOTLB knows");
		break;
	default:
		must_fail_with(v, "the vhost IOTLB knows no such message",
			       EFAULT, 0);
		break;
	}
}

/*
 * A write of a vhost_msg_v2: refused with EPERM once the fd is bound,
 * whatever it holds; before, as vhost takes one.
 */
static void vdpa_iotlb_op(struct fuzz *f)
{
	struct vdpa_model *vd = &f->vdpa;
	struct vhost_msg_v2 msg = { .type = VHOST_IOTLB_MSG_V2 };
	struct vhost_iotlb_msg *m = &msg.iotlb;
	unsigned int r = below(f, 24);
	const void *buf = &msg;
	size_t len = sizeof(msg);
	enum mem mem = MEM_UNKNOWN;
	bool reached;
	struct call c;
	ssize_t n;

	if (vd->fd < 0) {
		vdpa_open_op(f);
		return;
	}
	vdpa_call(&c, f, K_VDPA_IOTLB);
	/*
	 * Mostly what address space 0 has an IOTLB for (no log line), and
	 * as many messages that empty it as fill it, for BIND to find empty.
	 */
	if (r >= 9 && r < 20 && !vd->as0 && !one_in(f, 8))
		r = below(f, 9);
	if (r < 9 && vd->nr_maps < VDPA_MAX_IOTLB)
		gen_iotlb_update(f, m, &mem);
	else if (r < 17)
		gen_iotlb_invalidate(f, m);
	else if (r < 18)
		m->type = VHOST_IOTLB_BATCH_BEGIN;
	else if (r < 20)
		m->type = VHOST_IOTLB_BATCH_END;
	else if (r == 20)
		m->type = one_in(f, 2) ? VHOST_IOTLB_MISS :
					 VHOST_IOTLB_BATCH_END + 1 + below(f, 8);
	else if (r == 21)
		msg.type = one_in(f, 2) ? 0 : VHOST_IOTLB_MSG_V2 + 1 +
						 below(f, 64);
	else if (r == 22)
		len = 1 + below(f, IOTLB_MSG_MIN - 1);
	else
		buf = f->guard;
	c.in.vmsg = msg;
	c.env.size = len;
	c.env.base = (uint8_t *)buf;
	reached = !vd->bound && buf == &msg && len == sizeof(msg) &&
		  msg.type == VHOST_IOTLB_MSG_V2 &&
		  !(m->type == VHOST_IOTLB_UPDATE && !m->size);
	if (vd->bound)
		must_fail_with(&c.v, "the fd is bound to /dev/ioasid", EPERM,
			       0);
	else if (!reached)
		must_fail_with(&c.v, "the message is short, unreadable, empty or of no type",
			       EINVAL, 0);
	else
		rules_iotlb_msg(vd, &c, mem);
	n = write(vd->fd, buf, len);
	c.err = n < 0 ? errno : 0;
	vdpa_judge(f, &c);
	if (reached && (m->type == VHOST_IOTLB_UPDATE ||
			m->type == VHOST_IOTLB_BATCH_BEGIN))
		vd->as0 = true;
	if (n < 0)
		return;
	if (n != sizeof(msg))
		fail_msg(f, "VDPA_IOTLB: a write of %zu bytes returned %zd",
			 len, n);
	if (m->type == VHOST_IOTLB_UPDATE && vd->nr_maps < VDPA_MAX_IOTLB) {
		vd->maps[vd->nr_maps].iova = m->iova;
		vd->maps[vd->nr_maps++].len = m->size;
	} else if (m->type == VHOST_IOTLB_INVALIDATE) {
		iotlb_drop(vd, m->iova, m->iova + m->size - 1);
	} else if (m->type == VHOST_IOTLB_BATCH_BEGIN) {
		vd->batch = true;
	} else if (m->type == VHOST_IOTLB_BATCH_END) {
		vd->batch = false;
	}
}

/*
 * SET_STATUS: a reset, DRIVER_OK and the bits before it, or any; bits
 * are cleared only by a reset.  A reset of a bound device keeps what its
 * address spaces are attached to.  GET_STATUS must then say the same.
 */
static void vdpa_status_op(struct fuzz *f)
{
	struct vdpa_model *vd = &f->vdpa;
	unsigned int r = below(f, 8);
	uint8_t status, got = 0;
	struct call c;

	if (vd->fd < 0) {
		vdpa_open_op(f);
		return;
	}
	vdpa_call(&c, f, K_VDPA_STATUS);
	status = r < 3 ? 0 : r < 7 ? VDPA_STATUS_OK : (uint8_t)rnd(f);
	if (status && (vd->status & ~status))
		must_fail_with(&c.v, "a bit is cleared without a reset",
			       EINVAL, 0);
	else
		must_succeed(&c.v, "a reset, or bits set");
	c.in.words[0] = status;
	c.env.size = sizeof(status);
	c.err = ioctl(vd->fd, VHOST_VDPA_SET_STATUS, &status) ? errno : 0;
	vdpa_judge(f, &c);
	if (!c.err)
		vd->status = status;
	if (ioctl(vd->fd, VHOST_VDPA_GET_STATUS, &got))
		fail_msg(f, "VHOST_VDPA_GET_STATUS: %s", errno_name(errno));
	else if (got != vd->status)
		fail_msg(f, "VDPA_STATUS: status %#x, the model has %#x", got,
			 vd->status);
}

static void vdpa_op(struct fuzz *f, enum cmd_kind kind)
{
	switch (kind) {
	case K_VDPA_OPEN:
		vdpa_open_op(f);
		break;
	case K_VDPA_CLOSE:
		vdpa_close_op(f);
		break;
	case K_VDPA_BIND:
		vdpa_bind_op(f);
		break;
	case K_VDPA_ATTACH:
		vdpa_attach_op(f);
		break;
	case K_VDPA_DETACH:
		vdpa_detach_op(f);
		break;
	case K_VDPA_IOTLB:
		vdpa_iotlb_op(f);
		break;
	default:
		vdpa_status_op(f);
		break;
	}
}

/* Closes the fd, if open, which unbinds it. */
static void vdpa_close_all(struct fuzz *f)
{
	struct vdpa_model *vd = &f->vdpa;

	if (vd->fd < 0)
		return;
	close(vd->fd);
	vdpa_forget(vd);
}

/* A child process leaves the vDPA device to its parent. */
static void vdpa_leave(struct fuzz *f)
{
	struct vdpa_model *vd = &f->vdpa;

	if (vd->fd >= 0)
		close(vd->fd);
	memset(vd, 0, sizeof(*vd));
	vd->fd = -1;
}

/* At the end the device goes, its fd closed first. */
static void vdpa_teardown(struct fuzz *f)
{
	char why[256] = "";
	int ret;

	if (!f->vdpa.on)
		return;
	vdpa_close_all(f);
	ret = vdpa_dev_del(VDPA_DEV_NAME, why, sizeof(why));
	if (ret)
		fail_msg(f, "deleting vDPA device %s: %s %s", VDPA_DEV_NAME,
			 strerror(ret), why);
}

/* User memory */

static bool map_memfd(struct buf *b)
{
	int fd = syscall(SYS_memfd_create, "ioasid_fuzz", 0);
	void *p = MAP_FAILED;

	if (fd < 0)
		return false;
	if (!ftruncate(fd, b->len))
		p = mmap(b->addr, b->len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, fd, 0);
	close(fd);
	return p != MAP_FAILED;
}

static bool fill_buf(struct fuzz *f, struct buf *b)
{
	switch (b->kind) {
	case BUF_SMALL:
		madvise(b->addr, b->len, MADV_NOHUGEPAGE);
		break;
	case BUF_THP:
		madvise(b->addr, b->len, MADV_HUGEPAGE);
		break;
	case BUF_RO_ZERO:
		return !mprotect(b->addr, b->len, PROT_READ);
	case BUF_MEMFD:
		if (!map_memfd(b))
			return false;
		break;
	default:
		break;
	}
	fill(b->addr, b->len, rnd(f));
	return b->kind != BUF_RO_DATA || !mprotect(b->addr, b->len, PROT_READ);
}

static void buf_free(struct buf *b)
{
	munmap(b->map_base, b->map_len);
	b->stale = b->addr;
	b->addr = NULL;
}

/* A buffer of @kind, with a PROT_NONE page after it. */
static void buf_create(struct fuzz *f, struct buf *b, enum buf_kind kind)
{
	size_t len = kind == BUF_THP ? THP_LEN : page * (16 + below(f, 240));
	size_t slack = kind == BUF_THP ? SZ_2M : 0;
	uint8_t *base;

	base = mmap(NULL, len + slack + page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return;
	b->map_base = base;
	b->map_len = len + slack + page;
	b->addr = slack ? (uint8_t *)(((uintptr_t)base + slack - 1) &
				      ~(slack - 1)) : base;
	b->len = len;
	b->kind = kind;
	b->writable = kind == BUF_SMALL || kind == BUF_THP ||
		      kind == BUF_MEMFD;
	b->gen = ++f->last_gen;
	if (mprotect(b->addr + len, page, PROT_NONE) || !fill_buf(f, b))
		buf_free(b);
}

static void churn_op(struct fuzz *f)
{
	struct buf *b = &f->bufs[below(f, NR_BUFS)];

	if (b->addr)
		buf_free(b);
	if (!one_in(f, 3))
		buf_create(f, b, below(f, NR_BUF_KINDS));
}

/* A thread that takes a buffer away while a call uses it. */
struct race {
	struct buf *b;
	unsigned int delay_us;
	unsigned int how;
};

static void *racer(void *arg)
{
	struct race *r = arg;
	struct timespec ts = { .tv_nsec = r->delay_us * 1000L };

	nanosleep(&ts, NULL);
	if (r->how == 0)
		munmap(r->b->map_base, r->b->map_len);
	else if (r->how == 1)
		madvise(r->b->addr, r->b->len, MADV_DONTNEED);
	else
		mprotect(r->b->addr, r->b->len, PROT_NONE);
	return NULL;
}

static void race_op(struct fuzz *f)
{
	int i = below(f, NR_BUFS);
	struct race r = {
		.b = &f->bufs[i],
		.delay_us = below(f, 500),
		.how = below(f, 3),
	};
	struct slot *s = pick_slot(f);
	pthread_t thread;

	if (!r.b->addr || !s)
		return;
	f->race_buf = i;
	if (!pthread_create(&thread, NULL, racer, &r)) {
		ioctl_op(f, one_in(f, 3) ? K_DMA : K_MAP, s);
		pthread_join(thread, NULL);
	}
	f->race_buf = -1;
	buf_free(r.b);
	buf_create(f, r.b, below(f, NR_BUF_KINDS));
}

/* Children */

#define CHILD_MEMLOCK	(8 << 20)

/* Without CAP_IPC_LOCK the memlock limit applies to the child's pins. */
static void drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	struct rlimit rl = {
		.rlim_cur = CHILD_MEMLOCK,
		.rlim_max = CHILD_MEMLOCK,
	};

	if (!syscall(SYS_capget, &hdr, data)) {
		data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &=
			~CAP_TO_MASK(CAP_IPC_LOCK);
		syscall(SYS_capset, &hdr, data);
	}
	setrlimit(RLIMIT_MEMLOCK, &rl);
}

static void one_op(struct fuzz *f);

/*
 * Runs calls on the fds it inherited and its own, then exits, closes
 * everything first, or kills itself half-way.
 */
static __noreturn void child_main(struct fuzz *f)
{
	unsigned long n, stop, i;

	f->child = true;
	memset(f->children, 0, sizeof(f->children));
	mdev_leave(f);
	cont_leave(f);
	vdpa_leave(f);
	queue_leave(f);
	rng_init(&f->rng, f->seed ^ (f->op << 16), 0);
	alarm(f->seconds + WATCHDOG_SLACK);
	if (one_in(f, 3))
		drop_ipc_lock();
	n = 1 + below(f, CHILD_OPS);
	stop = one_in(f, 3) ? below(f, n) : n;
	for (i = 0; i < n && now_ms() < f->deadline_ms; i++) {
		if (i == stop)
			raise(SIGKILL);
		f->op++;
		one_op(f);
		count(&f->stats->child_ops);
	}
	if (one_in(f, 2))
		close_all(f);
	_exit(0);
}

static void reap(struct fuzz *f, unsigned int i, bool wait)
{
	pid_t pid = f->children[i];
	int status;

	if (!pid || waitpid(pid, &status, wait ? 0 : WNOHANG) != pid)
		return;
	f->children[i] = 0;
	/* Gone, each with its copies of edu's and the vDPA device's fds. */
	for (i = 0; i < MAX_CHILDREN && !f->children[i]; i++)
		;
	if (i == MAX_CHILDREN) {
		f->vfio.shared = false;
		f->vdpa.shared = false;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status))
		fail_msg(f, "child %d exited with %d", pid,
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		fail_msg(f, "child %d died of signal %d", pid,
			 WTERMSIG(status));
}

static void fork_op(struct fuzz *f)
{
	unsigned int i, j;
	pid_t pid;

	for (i = 0; i < f->max_children && f->children[i]; i++)
		;
	if (i == f->max_children)
		return;
	/* Parent and child share every open fd from now on. */
	for (j = 0; j < NR_SLOTS; j++)
		f->slots[j].exact = false;
	for (j = 0; j < f->mdma.nr; j++)
		if (f->mdma.mdevs[j].fd >= 0)
			f->mdma.mdevs[j].shared = true;
	if (f->vfio.dev_fd >= 0)
		f->vfio.shared = true;
	if (f->vdpa.fd >= 0)
		f->vdpa.shared = true;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return;
	if (!pid)
		child_main(f);
	f->children[i] = pid;
	count(&f->stats->forks);
}

static void kill_op(struct fuzz *f)
{
	unsigned int i = below(f, MAX_CHILDREN);

	if (!f->children[i])
		return;
	kill(f->children[i], SIGKILL);
	count(&f->stats->kills);
	reap(f, i, true);
}

static void reap_all(struct fuzz *f, bool wait)
{
	unsigned int i;

	for (i = 0; i < MAX_CHILDREN; i++) {
		if (wait && f->children[i])
			kill(f->children[i], SIGKILL);
		reap(f, i, wait);
	}
}

/* The operations, weighted */

enum meta {
	M_OPEN,
	M_CLOSE,
	M_DUP,
	M_CHURN,
	M_RACE,
	M_FORK,
	M_KILL,
	M_REAP,
	NR_META,
};

/* In tenths of the weights of the kinds. */
static const unsigned int meta_weights[NR_META] = {
	[M_OPEN] = 6,
	[M_CLOSE] = 4,
	[M_DUP] = 3,
	[M_CHURN] = 8,
	[M_RACE] = 6,
	[M_FORK] = 3,
	[M_KILL] = 2,
	[M_REAP] = 10,
};

static unsigned int meta_weight(struct fuzz *f, enum meta m)
{
	if (m >= M_FORK && (f->child || !f->max_children))
		return 0;
	return meta_weights[m];
}

static void meta_op(struct fuzz *f, enum meta m)
{
	switch (m) {
	case M_OPEN:
		open_slot(f, find_slot(f, false));
		break;
	case M_CLOSE:
		if (find_slot(f, true))
			close_slot(f, find_slot(f, true));
		break;
	case M_DUP:
		dup_op(f);
		break;
	case M_CHURN:
		churn_op(f);
		break;
	case M_RACE:
		race_op(f);
		break;
	case M_FORK:
		fork_op(f);
		break;
	case M_KILL:
		kill_op(f);
		break;
	default:
		reap_all(f, false);
		break;
	}
}

/*
 * Mediated devices only where the parent is, the container where it is
 * served, the group's where edu is and the vDPA device's where it was
 * made; all for the parent process.
 */
static unsigned int kind_weight(const struct fuzz *f, enum cmd_kind k)
{
	if (kinds[k].mdev && (f->child || !f->mdma.has[MDMA_SIOV]))
		return 0;
	if (kinds[k].vdpa && (f->child || !f->vdpa.on))
		return 0;
	if (kinds[k].container && (f->child || !f->vfio.container))
		return 0;
	if (kinds[k].group && !f->vfio.edu)
		return 0;
	return kinds[k].weight;
}

static void one_op(struct fuzz *f)
{
	unsigned int total = 0, r, k, m;
	struct slot *s;

	for (k = 0; k < NR_KINDS; k++)
		total += 10 * kind_weight(f, k);
	for (m = 0; m < NR_META; m++)
		total += meta_weight(f, m);
	r = below(f, total);
	for (k = 0; k < NR_KINDS; k++) {
		if (r < 10 * kind_weight(f, k)) {
			if (kinds[k].mdev) {
				mdev_op(f, k);
				return;
			}
			if (kinds[k].vdpa) {
				vdpa_op(f, k);
				return;
			}
			if (kinds[k].container) {
				cont_op(f, k);
				return;
			}
			if (kinds[k].queue) {
				queue_op(f, k);
				return;
			}
			s = pick_slot(f);
			if (s)
				ioctl_op(f, k, s);
			return;
		}
		r -= 10 * kind_weight(f, k);
	}
	for (m = 0; m < NR_META; m++) {
		if (r < meta_weight(f, m)) {
			meta_op(f, m);
			return;
		}
		r -= meta_weight(f, m);
	}
}

/* Setup, run, report */

static void watchdog(int sig)
{
	static const char msg[] = "Bail out! ioasid_fuzz: timed out\n";
	unsigned int i;

	for (i = 0; i < MAX_CHILDREN; i++)
		if (fz.children[i] > 0)
			kill(fz.children[i], SIGKILL);
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(128 + sig);
	_exit(KSFT_FAIL);
}

static unsigned long env_ulong(const char *name, unsigned long dflt)
{
	const char *env = getenv(name);

	return env && *env ? strtoull(env, NULL, 0) : dflt;
}

static void parse_config(struct fuzz *f, int argc, char **argv)
{
	int opt;

	f->seed = env_ulong("ioasid_fuzz_seed", fresh_seed());
	f->max_ops = env_ulong("ioasid_fuzz_ops", DEFAULT_OPS);
	f->seconds = env_ulong("ioasid_fuzz_seconds", DEFAULT_SECONDS);
	f->verbose = env_ulong("ioasid_fuzz_verbose", 0);
	f->max_children = env_ulong("ioasid_fuzz_children", MAX_CHILDREN);
	while ((opt = getopt(argc, argv, "s:n:t:c:v")) != -1) {
		switch (opt) {
		case 's':
			f->seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			f->max_ops = strtoul(optarg, NULL, 0);
			break;
		case 't':
			f->seconds = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			f->max_children = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			f->verbose = true;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-s seed] [-n ops] [-t seconds] [-c children] [-v]\n",
				argv[0]);
			exit(KSFT_FAIL);
		}
	}
	if (f->max_children > MAX_CHILDREN)
		f->max_children = MAX_CHILDREN;
}

/* @len bytes with a PROT_NONE page after them. */
static void *map_guarded(size_t len)
{
	uint8_t *p = mmap(NULL, len + page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + len, page, PROT_NONE))
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	return p;
}

#define INCOHERENT_PARAM	"/sys/module/ioasid/parameters/allow_incoherent_dma"

/*
 * Mock devices bind under the same policy as real ones: those whose IOMMU
 * cannot make DMA coherent need ioasid.allow_incoherent_dma, which the
 * campaign grants for its whole run, as an administrator would, and then
 * sets back to what it was.  Returns the value it replaced.
 */
static char set_incoherent_dma(char value)
{
	int fd = open(INCOHERENT_PARAM, O_RDWR | O_CLOEXEC);
	char old;

	if (fd < 0 || pread(fd, &old, 1, 0) != 1 ||
	    pwrite(fd, &value, 1, 0) != 1)
		ksft_exit_fail_msg("%s: %s\n", INCOHERENT_PARAM,
				   strerror(errno));
	close(fd);
	return old;
}

static void setup(struct fuzz *f)
{
	struct sigaction sa = { .sa_handler = watchdog };
	unsigned int i;

	f->incoherent_before = set_incoherent_dma('Y');

	f->stats = mmap(NULL, sizeof(*f->stats), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	f->call_area = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f->guard = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	f->snap = malloc(page + CANARY);
	if (f->stats == MAP_FAILED || f->call_area == MAP_FAILED ||
	    f->guard == MAP_FAILED || !f->snap)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	f->scratch = map_guarded(SCRATCH_LEN);
	f->ranges = map_guarded(NR_RANGES * sizeof(*f->ranges));
	f->bitmap = map_guarded(BITMAP_LEN);
	f->s1_area = map_guarded(S1_AREA_LEN);
	f->inv_area = map_guarded(INV_AREA_LEN);
	f->memfd = syscall(SYS_memfd_create, "ioasid_fuzz_other", 0);
	f->race_buf = -1;
	for (i = 0; i < NR_BUFS; i++)
		buf_create(f, &f->bufs[i], i % NR_BUF_KINDS);
	for (i = 0; i < NR_SLOTS; i++) {
		f->slots[i].fd = -1;
		model_reset(&f->slots[i]);
	}
	init_kinds();
	sigaction(SIGALRM, &sa, NULL);
	mdma_probe(f);
	if (f->mdma.has[MDMA_SIOV])
		ksft_print_msg("mediated devices of %s\n", f->mdma.types);
	else
		ksft_print_msg("no parent offers mdma-siov: no mediated devices\n");
	cont_probe(f);
	if (f->vfio.edu)
		ksft_print_msg("VFIO container on /dev/ioasid, edu %s in its group\n",
			       f->vfio.pci);
	else
		ksft_print_msg("VFIO container %s, without edu's group\n",
			       f->vfio.container ? "on /dev/ioasid" : "absent");
	vdpa_probe(f);
	ksft_print_msg("vDPA device %s: %s\n",
		       f->vdpa.on ? "made" : "absent, no vhost-vdpa calls",
		       f->vdpa.why);
}

static void run(struct fuzz *f)
{
	f->deadline_ms = now_ms() + f->seconds * 1000ULL;
	alarm(f->seconds + WATCHDOG_SLACK);
	views_start(f);
	for (f->op = 0; f->op < f->max_ops; f->op++) {
		if (now_ms() >= f->deadline_ms)
			break;
		/* Every object goes now and then, whatever the model knows. */
		if (f->op && !(f->op % RESET_EVERY)) {
			close_all(f);
			mdev_close_all(f);
			cont_close_all(f);
			vdpa_close_all(f);
		}
		one_op(f);
	}
	f->stats->ops = f->op;
	views_stop(f);
	reap_all(f, true);
	close_all(f);
	mdev_teardown(f);
	cont_teardown(f);
	vdpa_teardown(f);
}

static void print_tally(struct fuzz *f)
{
	char line[1024];
	unsigned int k, e;
	int n;

	ksft_print_msg("results per command (ok or errno: calls):\n");
	for (k = 0; k < NR_KINDS; k++) {
		if (kinds[k].mdev && !f->mdma.has[MDMA_SIOV])
			continue;
		if (kinds[k].container && !kind_weight(f, k))
			continue;
		if (kinds[k].vdpa && !f->vdpa.on)
			continue;
		n = snprintf(line, sizeof(line), "%-13s", kinds[k].name);
		for (e = 0; e < NR_ERRNO; e++)
			if (f->stats->calls[k][e] && n < (int)sizeof(line))
				n += snprintf(line + n, sizeof(line) - n,
					      " %s:%lu", errno_name(e),
					      f->stats->calls[k][e]);
		ksft_print_msg("  %s\n", line);
	}
}

static void print_summary(struct fuzz *f, uint64_t ms)
{
	const struct stats *st = f->stats;
	unsigned long total = st->ops + st->child_ops;
	unsigned int i;

	ksft_print_msg("seed %llu: %lu operations in %llu.%03llu s, %llu per second\n",
		       ULL(f->seed), total, ULL(ms / 1000), ULL(ms % 1000),
		       ULL(total * 1000 / (ms ?: 1)));
	ksft_print_msg("%lu of them by %lu children, %lu killed half-way\n",
		       st->child_ops, st->forks, st->kills);
	ksft_print_msg("calls that had to fail: %lu, to succeed: %lu\n",
		       st->must_fail, st->must_succeed);
	ksft_print_msg("unaligned usable ranges reported: %lu\n",
		       st->unaligned_ranges);
	ksft_print_msg("UNMAP_DIRTY with a valid bitmap: %lu, %lu succeeded, %lu pages dirty\n",
		       st->dirty_unmaps, st->dirty_unmaps_ok, st->dirty_pages);
	ksft_print_msg("nested IOASIDs: %lu made, %lu requester IDs and %lu PASIDs attached\n",
		       st->nest_allocs, st->nest_attaches, st->nest_pasids);
	ksft_print_msg("DMA through them: %lu done, %lu faulted at stage 1, %lu at stage 2\n",
		       st->nest_dmas[0], st->nest_dmas[1], st->nest_dmas[2]);
	ksft_print_msg("INVALIDATE: %lu succeeded, %lu entries done\n",
		       st->calls[K_INVALIDATE][0], st->invalidations);
	ksft_print_msg("fault queues: %lu made, %lu nested IOASIDs naming one\n",
		       st->calls[K_FAULT_QUEUE][0], st->nest_queued);
	ksft_print_msg("page requests: %lu left queued, %lu answered at once\n",
		       st->pri_queued, st->pri_answered);
	ksft_print_msg("fault records read: %lu, responses taken: %lu\n",
		       st->fault_records, st->fault_responses);
	ksft_print_msg("reads of the views: %lu fdinfo, %lu mappings\n",
		       st->fdinfo_reads, st->mappings_reads);
	if (f->vdpa.on)
		ksft_print_msg("vhost-vdpa: %lu binds, %lu attaches, %lu IOTLB writes refused\n",
			       st->calls[K_VDPA_BIND][0],
			       st->calls[K_VDPA_ATTACH][0],
			       st->calls[K_VDPA_IOTLB][EPERM]);
	print_tally(f);
	for (i = 0; i < NR_CLASSES; i++)
		if (st->class_count[i])
			ksft_print_msg("failed %lu times: %s\n",
				       st->class_count[i], st->class_name[i]);
	ksft_print_msg("replay: ioasid_fuzz -s %llu -n %lu -t %u -c %u\n",
		       ULL(f->seed), st->ops, f->seconds * 10, f->max_children);
}

/* What a run started with, to be back to once every fd is closed. */
struct baseline {
	int devices;
	uint64_t vm_pin;
	uint64_t vm_lck;
	int64_t pins;
	struct pinned pinned;
};

static void take_baseline(struct baseline *b)
{
	int fd = open("/dev/ioasid", O_RDWR), ret;

	if (fd < 0)
		ksft_exit_skip("/dev/ioasid: %s\n", strerror(errno));
	ret = get_pinned(fd, &b->pinned);
	close(fd);
	if (ret == ENOTTY || ret == EOPNOTSUPP)
		ksft_exit_skip("no IOASID_TEST: CONFIG_DEV_IOASID_TEST is off\n");
	if (ret)
		ksft_exit_fail_msg("IOASID_TEST_PINNED: %s\n", strerror(ret));
	b->devices = count_mock_devices();
	b->vm_pin = vm_kb("VmPin");
	b->vm_lck = vm_kb("VmLck");
	b->pins = pins_held();
	if (b->pins < 0)
		ksft_exit_fail_msg("the system's pins: no vm.stat_refresh\n");
}

static bool same(const char *what, uint64_t now, uint64_t start)
{
	if (now == start)
		return true;
	ksft_print_msg("%s is %llu, it was %llu at the start\n", what,
		       ULL(now), ULL(start));
	return false;
}

static bool check_invariants(const struct baseline *b)
{
	int fd = open("/dev/ioasid", O_RDWR);
	struct pinned p = {};
	bool ok = true;

	if (fd < 0 || get_pinned(fd, &p)) {
		ksft_print_msg("IOASID_TEST_PINNED on a fresh fd failed\n");
		ok = false;
	}
	if (fd >= 0)
		close(fd);
	ok &= same("the number of mock devices", count_mock_devices(),
		   b->devices);
	ok &= same("VmPin", vm_kb("VmPin"), b->vm_pin);
	ok &= same("VmLck", vm_kb("VmLck"), b->vm_lck);
	ok &= same("the pins held in the system", pins_held(), b->pins);
	ok &= same("a fresh fd's pinned pages", p.fd_pages, 0);
	ok &= same("the user's locked_vm", p.user_locked,
		   b->pinned.user_locked);
	ok &= same("the mm's locked_vm", p.mm_locked, b->pinned.mm_locked);
	ok &= same("the mm's pinned_vm", p.mm_pinned, b->pinned.mm_pinned);
	return ok;
}

int main(int argc, char **argv)
{
	struct fuzz *f = &fz;
	struct baseline base;
	uint64_t start;

	page = sysconf(_SC_PAGESIZE);
	parse_config(f, argc, argv);
	ksft_print_header();
	ksft_print_msg("ioasid_fuzz: seed %llu, at most %lu operations and %u seconds\n",
		       ULL(f->seed), f->max_ops, f->seconds);
	rng_init(&f->rng, f->seed, 0);
	take_baseline(&base);
	ksft_set_plan(2);
	setup(f);

	start = now_ms();
	run(f);
	print_summary(f, now_ms() - start);
	ksft_test_result(!f->stats->failures, "fuzz\n");
	ksft_test_result(check_invariants(&base), "invariants after close\n");
	set_incoherent_dma(f->incoherent_before);
	ksft_finished();
}
