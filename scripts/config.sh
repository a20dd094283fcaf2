#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Make the kernel .config of a variant in build/out/VARIANT:
#   vm     tinyconfig + kernel-config/base.config + vm.config
#   debug  the same + kernel-config/debug.config
# merge_config.sh drops options whose dependencies are unmet and only warns:
# a warning about an option a fragment asks for is an error.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

variant=${1:-vm}
case $variant in
vm)	fragments=(base vm) ;;
debug)	fragments=(base vm debug) ;;
*)	die "unknown config variant '$variant': use vm or debug" ;;
esac

out=$OUT/$variant
files=()
for f in "${fragments[@]}"; do
	files+=("$IMS_TOP/kernel-config/$f.config")
done
have_base || die "no kernel tree at $KTREE: run scripts/apply.sh first"
mkdir -p "$out"

# Generate in a directory of its own and replace .config only when it
# changed, so an unchanged config costs the build nothing. The test run
# builds while the checks run, and both make the config: one at a time.
gen=$OUT/.kconfig-$variant
mkdir -p "$gen"
exec 8>"$gen.lock"
flock 8
kmake "$gen" -s tinyconfig >/dev/null
merge_config "$KTREE" "$gen" "${files[@]}" ||
	die "config '$variant' lacks options its fragments ask for (unmet dependencies?)"
kmake "$gen" -s olddefconfig >/dev/null
cmp -s "$gen/.config" "$out/.config" || cp "$gen/.config" "$out/.config"
info "config '$variant' ready: $out/.config ($(grep -c '=y' "$out/.config") =y, $(grep -c '=m' "$out/.config") =m)"
