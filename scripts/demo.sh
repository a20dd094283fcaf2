#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job: take the base, apply the series, build, boot the result in
# virtme-ng with VT-d interrupt remapping and QEMU's edu device, and show
# what the series does there (scripts/guest/demo.sh prints it).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

S=$IMS_TOP/scripts
"$S/setup.sh"
"$S/apply.sh"
"$S/build.sh" vm
"$S/vm.sh" --iommu intremap -- "$S/guest/demo.sh"
