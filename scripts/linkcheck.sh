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
# previous one's objects, so a patch costs what it changes.
#
# W=1 warnings are the patch's only when the start build lacks them: when
# build/link/out holds no earlier run's objects, the commit before the
# first patch built (the base for --from 1) is built in full first, and
# its warnings (mainline's own) are kept in build/link/known.warnings,
# without line numbers, as long as the build dir is. A patch whose build
# prints a warning that file lacks fails; the same warning fails again in
# a later patch that rebuilds the object, as it is still there.
#
# One line per patch, appended to build/link/result.txt with the tree it
# built:
#   NNNN ok SECONDS TREE [(N W=1 warnings, none new)]
#   NNNN FAIL SECONDS TREE first error | N new W=1 warnings: first
#   NNNN start SECONDS TREE (N W=1 warnings)       the start build
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

KNOWN=$LDIR/known.warnings

# build COMMIT LOG: olddefconfig and the W=1 build of bzImage and modules
# at COMMIT in the link worktree.
build()
{
	git -C "$LTREE" checkout -q --detach "$1"
	cp "$LDIR/vm.config" "$LOUT/.config"
	nice -n 10 make -C "$LTREE" O="$LOUT" -j"$JOBS" CC="$KCC" -s olddefconfig >"$2" 2>&1 &&
		nice -n 10 make -C "$LTREE" O="$LOUT" -j"$JOBS" CC="$KCC" W=1 bzImage modules >>"$2" 2>&1
}

# first_error LOG: the first compiler or make error of LOG.
first_error()
{
	strip_paths "$LTREE" <"$1" | grep -m 1 -E ': (fatal )?error: |\*\*\*' || echo "see $1"
}

mapfile -t commits < <(kgit rev-list --reverse "$BASE_TAG..$rev")
if [ "$from" -lt 1 ] || [ "$from" -gt "${#commits[@]}" ]; then
	die "--from $from: the series has ${#commits[@]} patches"
fi

# The start build: the warnings of a full build before the first patch
# built, unless the build dir still holds an earlier run's objects.
if [ ! -f "$KNOWN" ] || [ ! -f "$LOUT/.config" ]; then
	if [ "$from" -eq 1 ]; then
		start_commit=$BASE_TAG
	else
		start_commit=${commits[$((from - 2))]}
	fi
	nnnn=$(printf '%04d' $((from - 1)))
	rm -rf "$LOUT" "$KNOWN"
	mkdir -p "$LOUT"
	log=$LDIR/logs/$nnnn.log
	start=$(date +%s)
	info "start build: $nnnn ($start_commit), in full"
	build "$start_commit" "$log" || die "the start build at $nnnn fails: $(first_error "$log")"
	normalize "$LTREE" <"$log" >"$KNOWN"
	printf '%s start %s %s (%s W=1 warnings)\n' "$nnnn" "$(($(date +%s) - start))" \
		"$(kgit rev-parse "$start_commit^{tree}")" "$(grep -c . "$KNOWN" || true)" | tee -a "$RESULT"
fi

failures=0
n=0
for commit in "${commits[@]}"; do
	n=$((n + 1))
	[ "$n" -ge "$from" ] || continue
	nnnn=$(printf '%04d' "$n")
	tree=$(kgit rev-parse "$commit^{tree}")
	if grep -q "^$nnnn ok [0-9]* $tree" "$RESULT"; then
		info "$nnnn already linked ($tree)"
		continue
	fi
	log=$LDIR/logs/$nnnn.log
	start=$(date +%s)
	if build "$commit" "$log"; then
		secs=$(($(date +%s) - start))
		all=$(normalize "$LTREE" <"$log")
		new=$(new_lines "$(cat "$KNOWN")" "$all")
		if [ -n "$new" ]; then
			line="$nnnn FAIL $secs $tree $(grep -c . <<<"$new") new W=1 warnings: $(head -n 1 <<<"$new")"
			failures=$((failures + 1))
		elif [ -n "$all" ]; then
			line="$nnnn ok $secs $tree ($(grep -c . <<<"$all") W=1 warnings, none new)"
		else
			line="$nnnn ok $secs $tree"
		fi
	else
		line="$nnnn FAIL $(($(date +%s) - start)) $tree $(first_error "$log")"
		failures=$((failures + 1))
	fi
	printf '%s\n' "$line" | tee -a "$RESULT"
done
info "linked the vm config at patches $from..$n of $rev: $failures failed (build/link/result.txt)"
[ "$failures" -eq 0 ]
