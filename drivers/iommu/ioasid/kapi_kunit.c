// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the in-kernel API's bindings of PASIDs, run on whatever
 * PCI functions the machine has.  A function whose PASID capability is
 * not enabled must be refused by the PCI-typed bind before anything is
 * bound, and by the struct device bind when no IOMMU gives it PASIDs.
 */
#include <kunit/test.h>
#include <linux/ioasid.h>
#include <linux/pci.h>

#include "ioasid_private.h"

static int kapi_test_init(struct kunit *test)
{
	test->priv = ioasid_ctx_alloc();
	KUNIT_ASSERT_NOT_NULL(test, test->priv);
	return 0;
}

static void kapi_test_exit(struct kunit *test)
{
	ioasid_ctx_free(test->priv);
}

/* The PCI-typed bind refuses a function without PASIDs enabled. */
static void pci_pasids_need_the_capability(struct kunit *test)
{
	struct pci_dev *pdev = NULL;
	unsigned int tried = 0;

	for_each_pci_dev(pdev) {
		if (pdev->pasid_enabled)
			continue;
		tried++;
		KUNIT_EXPECT_PTR_EQ_MSG(test, ERR_PTR(-EOPNOTSUPP),
					ioasid_bind_pci_pasids(test->priv, pdev),
					"%s", pci_name(pdev));
	}
	if (!tried)
		kunit_skip(test, "no PCI function without PASIDs");
}

/*
 * The struct device bind refuses such a function too: it has no PASIDs
 * when an IOMMU translates it, and is refused outright when none does.
 */
static void device_pasids_need_pasids(struct kunit *test)
{
	struct pci_dev *pdev = NULL;
	unsigned int tried = 0;

	for_each_pci_dev(pdev) {
		struct ioasid_device *idev;

		if (pdev->pasid_enabled)
			continue;
		tried++;
		idev = ioasid_device_bind_pasids(test->priv, &pdev->dev);
		if (!IS_ERR(idev))
			ioasid_device_unbind(idev);
		KUNIT_EXPECT_TRUE_MSG(test, idev == ERR_PTR(-EOPNOTSUPP) ||
				      idev == ERR_PTR(-ENODEV),
				      "%s: %pe", pci_name(pdev), idev);
	}
	if (!tried)
		kunit_skip(test, "no PCI function without PASIDs");
}

static struct kunit_case kapi_cases[] = {
	KUNIT_CASE(pci_pasids_need_the_capability),
	KUNIT_CASE(device_pasids_need_pasids),
	{}
};

static struct kunit_suite kapi_suite = {
	.name = "ioasid-kapi",
	.init = kapi_test_init,
	.exit = kapi_test_exit,
	.test_cases = kapi_cases,
};

kunit_test_suite(kapi_suite);

MODULE_IMPORT_NS(IOASID);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_DESCRIPTION("KUnit tests of the /dev/ioasid in-kernel API");
MODULE_LICENSE("GPL");
