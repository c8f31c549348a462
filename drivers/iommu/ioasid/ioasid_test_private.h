/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test-only internal interfaces of /dev/ioasid: the mock IOMMU (mock.c)
 * and the IOASID_TEST ioctl (test.c, and test_access.c for the mock
 * emulated devices).  Both are built with
 * CONFIG_DEV_IOASID_TEST alone, and so is everything that includes this
 * header: a production kernel carries no type, field or function that
 * only tests use.
 */
#ifndef __IOASID_TEST_PRIVATE_H
#define __IOASID_TEST_PRIVATE_H

#if !IS_ENABLED(CONFIG_DEV_IOASID_TEST)
#error "ioasid_test_private.h is for CONFIG_DEV_IOASID_TEST code only"
#endif

#include "ioasid_private.h"
#include "ioasid_test.h"

/**
 * struct ioasid_mock_config - what a mock device's IOMMU supports
 * @pgsize_bitmap: page sizes, including PAGE_SIZE
 * @aperture_start: the first IOVA translated
 * @aperture_last: the last IOVA translated
 * @resv_start: the first IOVA of a reserved region
 * @resv_length: its length; 0 for none
 * @pasid_bits: the width of the device's PASIDs; 0 for none
 * @flags: IOASID_MOCK_* flags of ioasid_test.h
 * @group: the IOMMU group the device joins; NULL for one of its own
 * @driver: the name of the one driver that may probe it; NULL for none
 */
struct ioasid_mock_config {
	u64 pgsize_bitmap;
	u64 aperture_start;
	u64 aperture_last;
	u64 resv_start;
	u64 resv_length;
	u32 pasid_bits;
	u32 flags;
	struct iommu_group *group;
	const char *driver;
};

#define IOASID_MOCK_FLAGS (IOASID_MOCK_INCOHERENT | IOASID_MOCK_ENFORCE_SNOOP | \
			   IOASID_MOCK_NO_DIRTY | IOASID_MOCK_NO_NEST | \
			   IOASID_MOCK_NO_PRI)

/*
 * The numbers the mock IOMMU knows its hw_info, stage-1 data and
 * invalidation entries by, beside the IOMMU core's own for real IOMMUs.
 */
#define IOASID_MOCK_HW_INFO_TYPE	0xb9b9
#define IOASID_MOCK_HWPT_DATA_S1	0xb9b9
#define IOASID_MOCK_INVALIDATE_S1	0xb9b9

#define IOASID_MOCK_BIND_FLAGS (IOASID_MOCK_HOST_OWNED | IOASID_MOCK_PASIDS_OF)

/**
 * struct ioasid_mock_pte - an entry of the mock IOMMU's page table
 * @pfn: the frame of the CPU page the IOVA's page translates to
 * @pgsize: the size of the IOMMU page that holds the entry
 * @prot: IOMMU_READ, IOMMU_WRITE and IOMMU_CACHE bits
 * @snoop: the table refuses no-snoop DMA
 * @dirty: a device wrote through it while its table tracked dirty pages
 * @s1_prot: through a nested table, what its stage-1 entry allows;
 *           IOMMU_READ | IOMMU_WRITE through a table of one stage
 * @fault_stage: on error through a nested table, the stage that faulted
 *
 * Through a nested table, the fields other than @s1_prot are those of the
 * stage-2 entry the stage-1 entry points at.
 */
struct ioasid_mock_pte {
	unsigned long pfn;
	unsigned long pgsize;
	int prot;
	bool snoop;
	bool dirty;
	int s1_prot;
	unsigned int fault_stage;
};

int ioasid_mock_init(void);
void ioasid_mock_exit(void);
struct device *ioasid_mock_device_create(const struct ioasid_mock_config *cfg);
void ioasid_mock_device_hold(struct device *dev);
void ioasid_mock_device_destroy(struct device *dev);
struct device *ioasid_mock_untranslated_create(void);
void ioasid_mock_untranslated_destroy(struct device *dev);
int ioasid_mock_translate(struct iommu_domain *domain, unsigned long iova,
			  struct ioasid_mock_pte *pte);
void ioasid_mock_mark_dirty(struct iommu_domain *domain, unsigned long iova);
struct iommu_domain *ioasid_mock_pasid_domain(struct device *dev,
					      ioasid_t pasid);
int ioasid_mock_device_config(struct device *dev, u32 flags,
			      u32 fail_set_pasid, u32 *nr_entries);

/**
 * struct ioasid_mock_prq - a page request a mock device waits to be answered
 * @done: completed with the answer
 * @code: the answer, enum iommu_page_response_code
 * @grpid: the request's group index, which the answer names
 */
struct ioasid_mock_prq {
	struct completion done;
	int code;
	u32 grpid;
};

int ioasid_mock_page_request(struct device *dev, ioasid_t pasid,
			     unsigned long iova, bool write,
			     struct ioasid_mock_prq *prq);
int ioasid_mock_page_wait(struct device *dev, struct ioasid_mock_prq *prq,
			  unsigned int ms);

void ioasid_test_mock_destroy(struct ioasid_object *obj);
int ioasid_test_ioctl(struct ioasid_ucmd *ucmd);
void ioasid_test_access_destroy(struct ioasid_object *obj);
int ioasid_test_access_ioctl(struct ioasid_ucmd *ucmd,
			     struct ioasid_test *cmd);
int ioasid_test_floor(struct ioasid_ucmd *ucmd, struct ioasid_test *cmd);

#endif /* __IOASID_TEST_PRIVATE_H */
