/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libioasid: the mediated devices of the mdma sample parent driver
 * (samples/vfio-mdev/mdma.c), reached through their VFIO cdevs, shared by
 * the selftests ioasid_mdev and ioasid_fail_nth.  mdma drives a mock-IOMMU
 * device with PASIDs on the ioasid_mock bus and registers it as an mdev
 * parent with three types: a SIOV child, which DMAs through a PASID of the
 * parent that its driver lends to the /dev/ioasid fd the child is bound
 * to; an emulated child, which reaches IOASID memory through an access;
 * and a broken child whose driver tries to bind the mdev's own struct
 * device, which the kAPI must refuse.  Every child has one region of
 * 64-bit registers, a tiny DMA engine that copies between two IOVAs of
 * the IOASID the child is attached to.
 *
 * Every function returns 0 or a positive errno unless it says otherwise.
 * Built from mdma_vfio.c (see libioasid.mk).
 */
#ifndef __LIBIOASID_MDMA_VFIO_H
#define __LIBIOASID_MDMA_VFIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edu_vfio.h"

#define MDEV_BUS	"/sys/class/mdev_bus"
#define MDEV_DEVICES	"/sys/bus/mdev/devices"
#define MDMA_DRIVER	"/sys/bus/ioasid_mock/drivers/mdma"

/* The mdev types of an mdma parent, as mdev_supported_types names them. */
#define MDMA_SIOV	"mdma-siov"
#define MDMA_EMULATED	"mdma-emulated"
#define MDMA_OWN_RID	"mdma-own-rid"

/* A UUID string and its NUL, with room to spare. */
#define MDMA_UUID_LEN	40

/*
 * The registers of region 0, each a u64 that only an aligned access of
 * exactly 8 bytes reaches.
 */
#define MDMA_REG_ID	0x00	/* RO: MDMA_MAGIC, the mode in bits 32..39 */
#define MDMA_REG_SRC	0x08	/* RW: the IOVA a copy reads */
#define MDMA_REG_DST	0x10	/* RW: the IOVA a copy writes, or pins */
#define MDMA_REG_LEN	0x18	/* RW: bytes to copy, 1..MDMA_MAX_LEN */
#define MDMA_REG_CMD	0x20	/* WO: MDMA_CMD_*, done when the write returns */
#define MDMA_REG_STATUS	0x28	/* RO: 0, or the last command's errno */
#define MDMA_REG_PINNED	0x30	/* RO: pages kept pinned (emulated) */
#define MDMA_REG_UNMAPS	0x38	/* RO: kept pages let go on unmap (emulated) */
#define MDMA_REG_PASID	0x40	/* RO: the child's PASID (siov), else 0 */
#define MDMA_REGION_SIZE 0x100ULL

#define MDMA_MAGIC	0x414d444dU	/* "MDMA" */
#define MDMA_ID_MODE(id) ((uint32_t)((id) >> 32) & 0xff)
#define MDMA_MODE_SIOV	1
#define MDMA_MODE_EMULATED 2
#define MDMA_MODE_OWN_RID 3

#define MDMA_CMD_START	1	/* copy LEN bytes from SRC to DST */
#define MDMA_CMD_PIN	2	/* keep the page at DST pinned (emulated) */
#define MDMA_CMD_UNPIN	4	/* let go of every kept page (emulated) */
#define MDMA_MAX_LEN	4096
#define MDMA_MAX_PINS	16

/* The first mdev parent, by name, that offers MDMA_SIOV; ENODEV if none. */
int mdma_find_parent(char *parent, size_t len);

/* Whether mdev parent @parent offers @type. */
bool mdma_has_type(const char *parent, const char *type);

/* A child of @type with a fresh UUID, which @uuid gets, or "" on failure. */
int mdma_create(const char *parent, const char *type, char *uuid,
		size_t len);

/* Removes child @uuid: ENOENT when it does not exist. */
int mdma_remove(const char *uuid);

bool mdma_exists(const char *uuid);

/*
 * The VFIO cdev of child @uuid, such as /dev/vfio/devices/vfio1, waiting a
 * little for it to show: ENODEV when the child does not exist, ETIMEDOUT
 * when it has no cdev.
 */
int mdma_cdev(const char *uuid, char *cdev, size_t len);

/* Where the registers of a child are in its bound VFIO device fd. */
struct mdma {
	int fd;
	uint64_t base;	/* the offset of region 0 */
};

/* Finds region 0 of a bound child; EINVAL if unbound. */
int mdma_init(struct mdma *m, int dev_fd);

int mdma_read(const struct mdma *m, uint64_t reg, uint64_t *val);

int mdma_write(const struct mdma *m, uint64_t reg, uint64_t val);

/* The value of @reg, or UINT64_MAX when it cannot be read. */
uint64_t mdma_reg(const struct mdma *m, uint64_t reg);

/*
 * Writes @cmd and reads back STATUS: returns what STATUS says, 0 or the
 * command's positive errno, or a negative errno when a register access
 * itself failed.
 */
int mdma_cmd(const struct mdma *m, uint64_t cmd);

/* A copy of @len bytes from @src to @dst, as mdma_cmd() returns. */
int mdma_copy(const struct mdma *m, uint64_t src, uint64_t dst,
	      uint64_t len);

#endif /* __LIBIOASID_MDMA_VFIO_H */
