#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the scratch kernel tree for a config variant (vm or debug) out of
# tree in build/out/VARIANT: bzImage and modules, with W=1 (the series adds
# no W=1 warning; scripts/check.sh compares them patch by patch).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

variant=${1:-vm}
out=$OUT/$variant
log=$LOGS/build-$variant.log

mkdir -p "$LOGS"
"$IMS_TOP/scripts/config.sh" "$variant"
info "building '$variant' in $out (-j$JOBS, CC=$KCC; log: $log)"
if ! kmake "$out" W=1 bzImage modules >"$log" 2>&1; then
	grep -E 'error:|Error [0-9]' "$log" | head -n 20 >&2
	die "build '$variant' failed: see $log"
fi
info "built $(kmake "$out" -s kernelrelease 2>/dev/null) in $out"
