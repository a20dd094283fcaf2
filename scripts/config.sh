#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Make the kernel .config of a variant in build/out/VARIANT:
#   vm     tinyconfig + kernel-config/base.config + vm.config
#   debug  the same + kernel-config/debug.config
# merge_config.sh drops options whose dependencies are unmet without a word,
# so every option a fragment asks for is checked in the result.
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

# check_config CONFIG FRAGMENT...: every CONFIG_X=v of the fragments is in CONFIG.
check_config()
{
	local config=$1 bad=0 line sym val
	shift
	while IFS= read -r line; do
		sym=${line%%=*}
		val=${line#*=}
		if [ "$val" = n ]; then
			grep -qx "$sym=.*" "$config" || continue
			grep -qx "$sym=n" "$config" && continue
		else
			grep -qxF "$line" "$config" && continue
		fi
		printf '%s: error: %s asked for, .config has "%s"\n' "${0##*/}" "$line" \
			"$(grep -E "^(# )?${sym}[= ]" "$config" || echo "nothing")" >&2
		bad=1
	done < <(cat "$@" | sed -n 's/^\(CONFIG_[A-Za-z0-9_]*=.*\)$/\1/p' | awk -F= '{last[$1] = $0} END {for (s in last) print last[s]}' | sort)
	[ "$bad" -eq 0 ] || die "config '$variant' lacks options its fragments ask for (unmet dependencies?)"
}

# Generate in a directory of its own and replace .config only when it
# changed, so an unchanged config costs the build nothing. The test run
# builds while the checks run, and both make the config: one at a time.
gen=$OUT/.kconfig-$variant
mkdir -p "$gen"
exec 8>"$gen.lock"
flock 8
kmake "$gen" -s tinyconfig >/dev/null
"$KTREE/scripts/kconfig/merge_config.sh" -m -O "$gen" "$gen/.config" "${files[@]}" >/dev/null
kmake "$gen" -s olddefconfig >/dev/null
check_config "$gen/.config" "${files[@]}"
cmp -s "$gen/.config" "$out/.config" || cp "$gen/.config" "$out/.config"
info "config '$variant' ready: $out/.config ($(grep -c '=y' "$out/.config") =y, $(grep -c '=m' "$out/.config") =m)"
