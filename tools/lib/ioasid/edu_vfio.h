/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libioasid: QEMU's edu PCI DMA device driven from userspace through VFIO
 * and /dev/ioasid, shared by tools/ioasid (the demo and the benchmark) and
 * the selftests (ioasid_vfio, ioasid_vfio_reset, ioasid_platform,
 * ioasid_fail_nth): binding edu to vfio-pci and finding its VFIO cdev,
 * the VFIO device ioctls of /dev/ioasid, edu's DMA engine, the IOMMU fault
 * lines of /dev/kmsg, the QEMU target from ioasid_iommu= and the ioasid
 * module's parameters.  Built from edu_vfio.c (see libioasid.mk).
 *
 * Every function returns 0 or a positive errno unless it says otherwise.
 */
#ifndef __LIBIOASID_EDU_VFIO_H
#define __LIBIOASID_EDU_VFIO_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

/* The VFIO device ioctls of /dev/ioasid, until linux/vfio.h has them. */
#ifndef VFIO_DEVICE_BIND_IOASID
struct vfio_device_bind_ioasid {
	__u32 argsz;
	__u32 flags;      /* must be 0 */
	__s32 ioasid_fd;  /* an open /dev/ioasid */
	__u32 __reserved; /* must be 0 */
	__u32 out_dev_id; /* the binding's id, for IOASID_DEVICE_INFO */
};

#define VFIO_DEVICE_BIND_IOASID		_IO(VFIO_TYPE, VFIO_BASE + 40)

struct vfio_device_attach_ioasid {
	__u32 argsz;
	__u32 flags;      /* must be 0 */
	__u32 ioasid;
	__u32 __reserved;
};

#define VFIO_DEVICE_ATTACH_IOASID	_IO(VFIO_TYPE, VFIO_BASE + 41)

struct vfio_device_detach_ioasid {
	__u32 argsz;
	__u32 flags;      /* must be 0 */
};

#define VFIO_DEVICE_DETACH_IOASID	_IO(VFIO_TYPE, VFIO_BASE + 42)
#endif

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define EDU_ID		"0x1234 0x11e8"
#define UNSAFE_PARAM	"/sys/module/ioasid/parameters/allow_unsafe_interrupts"
#define TYPE1_UNSAFE_PARAM \
	"/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"

/* edu's BAR0 registers and its DMA engine */
#define EDU_REG_ID	0x00
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1	/* cleared by the device when done */
#define EDU_CMD_TO_RAM	0x2	/* from the device's buffer to RAM */
#define EDU_CMD_IRQ	0x4	/* raise EDU_IRQ_DMA when the transfer is done */
/* The interrupt registers take 32-bit accesses only. */
#define EDU_IRQ_STATUS	0x24	/* read: the raised bits */
#define EDU_IRQ_RAISE	0x60	/* write: ORed into the status, then an MSI */
#define EDU_IRQ_ACK	0x64	/* write: these bits cleared from the status */
#define EDU_IRQ_DMA	0x100	/* the status bit a DMA with EDU_CMD_IRQ sets */
#define EDU_BUF		0x40000	/* the device's buffer, 4 KiB */
/* edu refuses a transfer that ends at the end of its buffer: stay short. */
#define DMA_LEN		2048
#define DMA_TIMEOUT_MS	3000
#define DMA_POLL_US	2000
#define KMSG_WAIT_MS	1000

enum target { TARGET_OTHER, TARGET_VTD, TARGET_VIRTIO, TARGET_SMMUV3 };

/*
 * The QEMU target from the value of ioasid_iommu=, the harness's target or
 * IOMMU name, on the kernel command line or in the environment.
 */
enum target read_target(void);

int read_id(const char *dev, const char *attr, char *buf, size_t len);

/*
 * The entry of @dir that @match accepts whose name sorts first, or NULL;
 * free() it.  Sorting, not directory order, picks among several, so that
 * the edu on the root bus, at the lowest PCI address, is always the one
 * found, never one of those behind the harness's root port.
 */
char *find_entry(const char *dir,
		 int (*match)(const char *name, const char *arg),
		 const char *arg);

int pci_id_is(const char *dev, const char *want);

/*
 * Names up to @max PCI devices whose "vendor device" is @id, such as
 * EDU_ID, in name order; returns how many, or -1.
 */
int pci_find_id(const char *id, char names[][32], int max);

int has_prefix(const char *name, const char *prefix);

int write_attr(const char *path, const char *value);

int bind_vfio_pci(const char *dev);

/* Undoes bind_vfio_pci(@dev): unbinds its driver, clears its override. */
int unbind_vfio_pci(const char *dev);

/* The last component of the symlink at @path, or NULL. */
const char *link_base(const char *path, char *buf, size_t len);

const char *link_name(const char *dev, const char *link, char *buf, size_t len);

/* The VFIO group file of PCI device @dev, such as /dev/vfio/3. */
int vfio_group_path(const char *dev, char *path, size_t len);

/* The PCI address of the first edu device, such as 0000:00:03.0. */
int edu_find(char *dev, size_t len);

/*
 * Binds the PCI device @dev to vfio-pci unless it has a driver already,
 * setting *@bound when this call bound it, and names its VFIO cdev, such
 * as /dev/vfio/devices/vfio0, in @cdev.  EBUSY when another driver has
 * the device (see link_name(@dev, "driver")), ENXIO when vfio-pci did not
 * take it, ENOENT when it has no cdev.
 */
int edu_bind_vfio(const char *dev, bool *bound, char *cdev, size_t len);

/* The first character of allow_unsafe_interrupts: Y or N; 0 on error. */
int read_unsafe(char *value);

int write_unsafe(const char *value);

/* Whether /dev/ioasid serves VFIO's container, /dev/vfio/vfio, here. */
bool container_is_ioasid(void);

/*
 * Writes @value to allow_unsafe_interrupts of whichever serves VFIO's
 * container here, /dev/ioasid or the type1 driver; the programs that use
 * the container cannot bind on virtio-iommu without it.
 */
int write_container_unsafe(const char *value);

int vfio_bind_flags(int dev_fd, int ioasid_fd, uint32_t flags);

int vfio_bind(int dev_fd, int ioasid_fd);

int vfio_attach_flags(int dev_fd, uint32_t id, uint32_t flags);

/* Attaches, or moves an attached device to @id without detaching it. */
int vfio_attach(int dev_fd, uint32_t id);

int vfio_detach(int dev_fd);

int region_info(int dev_fd, uint32_t index, struct vfio_region_info *info);

int region_read(int fd, uint64_t offset, void *val, size_t len);

int region_write(int fd, uint64_t offset, const void *val, size_t len);

/*
 * Where edu's regions are in its VFIO device fd; or, with @bar set, its
 * BAR 0 mapped through sysfs for a device that no VFIO fd holds.
 */
struct edu {
	int fd;
	uint64_t config;
	uint64_t bar0;
	uint64_t *bar;
};

/* Finds the regions of a bound device and lets it decode and master. */
int edu_open(struct edu *edu, int dev_fd);

/*
 * Through sysfs, one 64-bit access of a DMA register, which the compiler
 * must neither merge nor drop.
 */
int edu_read(const struct edu *edu, uint64_t reg, void *val, size_t len);

int edu_write(const struct edu *edu, uint64_t reg, uint64_t val);

uint64_t now_ms(void);

/* Waits for the DMA engine to be idle; ETIMEDOUT if it stays busy. */
int edu_wait(const struct edu *edu);

/* One DMA_LEN transfer, waited for: it completes whether or not it faulted. */
int edu_dma(const struct edu *edu, uint64_t src, uint64_t dst, uint64_t cmd);

/* RAM at @iova into the device's buffer. */
int edu_from_ram(const struct edu *edu, uint64_t iova);

/* The device's buffer out to RAM at @iova. */
int edu_to_ram(const struct edu *edu, uint64_t iova);

/* /dev/kmsg positioned after every record logged so far, or -1. */
int kmsg_open(void);

bool is_fault_line(enum target target, const char *msg);

/*
 * Reads what the kernel logged since kmsg_open() until a record is an
 * IOMMU fault of @target, waiting up to KMSG_WAIT_MS for one, which may
 * come from an interrupt after the DMA completed.  @seen gets that record,
 * or else the records read, to be shown.  Returns whether it found one.
 */
bool kmsg_find_fault(int fd, enum target target, char *seen, size_t len);

/*
 * edu's MSI (it has no MSI-X) signalling a new eventfd, returned in
 * *@efd, through VFIO_DEVICE_SET_IRQS.  Enabling composes the MSI: the
 * IOMMU's doorbell mapping, where it needs one, is made now, in the
 * page table the device is attached through at this moment.
 */
int edu_msi_enable(int dev_fd, int *efd);

/* Disables edu's MSI and closes the eventfd edu_msi_enable() gave. */
int edu_msi_disable(int dev_fd, int efd);

/*
 * Waits up to @timeout_ms for the eventfd to count an interrupt and
 * consumes the count: ETIMEDOUT when none came.
 */
int eventfd_wait(int efd, int timeout_ms);

int edu_read32(const struct edu *edu, uint64_t reg, uint32_t *val);

int edu_write32(const struct edu *edu, uint64_t reg, uint32_t val);

/* Sets @bits in edu's interrupt status, which sends an MSI if enabled. */
int edu_raise(const struct edu *edu, uint32_t bits);

/* Clears every raised bit; *@status gets what was raised. */
int edu_ack(const struct edu *edu, uint32_t *status);

#endif /* __LIBIOASID_EDU_VFIO_H */
