#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Bisectability of the guests' kernel: build and link the vm config
# (bzImage and modules, W=1, modpost included) at every commit of the
# series, in a worktree of its own (build/link/linux) and one build dir
# (build/link/out), so build/linux is untouched.
#
#   scripts/linkcheck.sh [--from NNNN] [REV]
#
#   REV        the tip of the series (default: ims)
#   --from     start at patch NNNN (the rest of a run done in parts)
#
# The config is the vm config made at the tip (scripts/config.sh), taken
# through olddefconfig at each commit: the options of a Kconfig symbol
# that a later patch adds are absent before it. Each commit builds on the
# previous one's objects, so a patch costs what it changes. One line per
# patch, appended to build/link/result.txt with the tree it built:
#   NNNN ok|FAIL SECONDS TREE [first error, or how many warnings]
# A patch whose tree already has an "ok" line there is not built again.
# Exits non-zero when a patch failed. IMS_LINK_CONFIG=FILE takes FILE as
# the config instead of the vm config (the workbench's own tests).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

LDIR=$BUILD/link
LTREE=$LDIR/linux
LOUT=$LDIR/out
RESULT=$LDIR/result.txt
from=1
rev=ims

while [ $# -gt 0 ]; do
	case $1 in
	--from) from=$((10#$2)); shift 2 ;;
	-*) die "usage: scripts/linkcheck.sh [--from NNNN] [REV]" ;;
	*) rev=$1; shift ;;
	esac
done

have_base || die "no kernel tree at $KTREE: run scripts/apply.sh first"
kgit rev-parse -q --verify "$rev^{commit}" >/dev/null || die "no commit '$rev' in $KTREE"
mkdir -p "$LDIR" "$LOUT" "$LDIR/logs"
touch "$RESULT"
if [ -n "${IMS_LINK_CONFIG:-}" ]; then
	cp "$IMS_LINK_CONFIG" "$LDIR/vm.config"
else
	"$IMS_TOP/scripts/config.sh" vm
	cp "$OUT/vm/.config" "$LDIR/vm.config"
fi
# One run at a time: two makes in one build dir corrupt it.
exec 9>"$LDIR/lock"
flock -n 9 || die "another scripts/linkcheck.sh runs in $LDIR"
setup_worktree "$LTREE"

failures=0
n=0
for commit in $(kgit rev-list --reverse "$BASE_TAG..$rev"); do
	n=$((n + 1))
	[ "$n" -ge "$from" ] || continue
	nnnn=$(printf '%04d' "$n")
	tree=$(kgit rev-parse "$commit^{tree}")
	if grep -q "^$nnnn ok [0-9]* $tree" "$RESULT"; then
		info "$nnnn already linked ($tree)"
		continue
	fi
	git -C "$LTREE" checkout -q --detach "$commit"
	cp "$LDIR/vm.config" "$LOUT/.config"
	log=$LDIR/logs/$nnnn.log
	start=$(date +%s)
	if nice -n 10 make -C "$LTREE" O="$LOUT" -j"$JOBS" CC="$KCC" -s olddefconfig >"$log" 2>&1 &&
	   nice -n 10 make -C "$LTREE" O="$LOUT" -j"$JOBS" CC="$KCC" W=1 bzImage modules >>"$log" 2>&1; then
		line="$nnnn ok $(($(date +%s) - start)) $tree"
		w=$(grep -c 'warning:' "$log" || true)
		[ "$w" -eq 0 ] || line="$line ($w W=1 warnings: see $log)"
	else
		err=$(strip_paths "$LTREE" <"$log" | grep -m 1 -E ': (fatal )?error: |\*\*\*' || echo "see $log")
		line="$nnnn FAIL $(($(date +%s) - start)) $tree $err"
		failures=$((failures + 1))
	fi
	printf '%s\n' "$line" | tee -a "$RESULT"
done
info "linked the vm config at patches $from..$n of $rev: $failures failed (build/link/result.txt)"
[ "$failures" -eq 0 ]
