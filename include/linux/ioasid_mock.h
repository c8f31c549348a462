/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The mock IOMMU of CONFIG_DEV_IOASID_TEST, for test drivers outside
 * drivers/iommu/ioasid: a device behind it that a driver probes as it
 * would a real one, and the DMA that device does through its page tables.
 * The sample mediated-device parent of samples/vfio-mdev/ is built on it,
 * as no device that QEMU emulates has PASIDs.
 */
#ifndef __LINUX_IOASID_MOCK_H
#define __LINUX_IOASID_MOCK_H

#include <linux/types.h>

struct device;
struct device_driver;
struct ioasid_device;

struct device *ioasid_mock_parent_create(const char *driver, u32 pasid_bits);
void ioasid_mock_parent_destroy(struct device *dev);
int ioasid_mock_driver_register(struct device_driver *drv);
void ioasid_mock_driver_unregister(struct device_driver *drv);
int ioasid_mock_dma(struct ioasid_device *idev, u32 pasid, unsigned long iova,
		    void *buf, size_t length, bool to_iova);

#endif /* __LINUX_IOASID_MOCK_H */
