// SPDX-License-Identifier: GPL-2.0
/*
 * Planted open-coded walks of MSI descriptors for the semantic patch
 * scripts/coccinelle/api/msi_desc_walk.cocci (see run.sh); none of this
 * is ever built. Every line which ends in an "expect report" comment must be
 * reported, and no other line.
 */
#include <linux/device.h>
#include <linux/msi.h>

/* while (desc) loop started by msi_first_desc() */
static void walk_while(struct device *dev)
{
	struct msi_desc *desc;
	unsigned long pos;

	desc = msi_first_desc(dev, MSI_DESC_ALL);
	while (desc) {
		desc->msg.data = 0;
		pos = desc->msi_index + 1;
		desc = msi_next_desc(dev, MSI_DEFAULT_DOMAIN, MSI_DESC_ALL, &pos); /* expect report */
	}
}

/* for loop with desc != NULL, advanced by msi_next_desc() */
static void walk_for_not_null(struct device *dev)
{
	struct msi_desc *desc;
	unsigned long pos = 1;

	for (desc = msi_first_desc(dev, MSI_DESC_ALL); desc != NULL;
	     desc = msi_next_desc(dev, MSI_DEFAULT_DOMAIN, MSI_DESC_ALL, &pos)) /* expect report */
		desc->msg.data = 0;
}

/* for loop which keeps the position itself, like the iterator does */
static void walk_for_pos(struct device *dev)
{
	struct msi_desc *desc;
	unsigned long pos;

	for (pos = 0; (desc = msi_next_desc(dev, MSI_SECONDARY_DOMAIN, MSI_DESC_ALL, &pos)); pos++) /* expect report */
		desc->msg.data = 0;
}

/* for loop with the advance in its body */
static void walk_for_body(struct device *dev)
{
	struct msi_desc *desc;
	unsigned long pos;

	for (desc = msi_domain_first_desc(dev, MSI_SECONDARY_DOMAIN, MSI_DESC_ASSOCIATED); desc; ) {
		desc->msg.data = 0;
		pos = desc->msi_index + 1;
		desc = msi_next_desc(dev, MSI_SECONDARY_DOMAIN, MSI_DESC_ASSOCIATED, &pos); /* expect report */
	}
}

/* Not reported: the iterators */
static void iterators(struct device *dev)
{
	struct msi_desc *desc;

	msi_for_each_desc(desc, dev, MSI_DESC_ALL)
		desc->msg.data = 0;
	msi_domain_for_each_desc(desc, dev, MSI_SECONDARY_DOMAIN, MSI_DESC_ALL) {
		desc->msg.data = 0;
	}
}

/* Not reported: a single lookup, as msi_domain_first_desc() does it */
static struct msi_desc *lookup(struct device *dev, unsigned int domid)
{
	unsigned long pos = 0;

	return msi_next_desc(dev, domid, MSI_DESC_ALL, &pos);
}
