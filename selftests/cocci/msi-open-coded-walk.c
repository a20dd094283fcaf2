// SPDX-License-Identifier: GPL-2.0
/*
 * Planted open-coded walks of the MSI descriptor store. The semantic patch
 * scripts/coccinelle/api/msi_desc_walk.cocci must report every function
 * here (see selftests/workbench/cocci.sh); none of this is ever built.
 */
#include <linux/device.h>
#include <linux/msi.h>

static void walk_store(struct device *dev)
{
	struct msi_desc *desc;
	unsigned long idx;

	xa_for_each(&dev->msi.data->__domains[MSI_DEFAULT_DOMAIN].store, idx, desc)
		desc->msg.data = 0;
}

static void walk_cursor(struct device *dev)
{
	struct msi_desc *desc;

	for (desc = msi_first_desc(dev, MSI_DESC_ALL); desc;
	     desc = msi_next_desc(dev, MSI_DEFAULT_DOMAIN, MSI_DESC_ALL))
		desc->msg.data = 0;
}
