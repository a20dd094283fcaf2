#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Make build/linux: the base (scripts/base.sh) with the patches that series
# lists applied as commits on branch "ims", one `git am` per patch.
#
# Refuses to throw work away: uncommitted changes, or commits on the branch
# that are not exported to patches/, stop it unless FORCE=1.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# compare_export: export the branch and compare it with patches/ and series.
# Prints "same" when the branch holds exactly the series, "lost" when a
# commit on it is not in patches/ as exported, and "behind" otherwise: a
# fresh base (no commits) or a tree left part-way through the series by a
# failed apply holds nothing that would be lost.
compare_export()
{
	local tmp f state=behind
	if ! kgit rev-parse -q --verify "refs/heads/$BRANCH" >/dev/null; then
		echo behind
		return
	fi
	tmp=$(mktemp -d)
	"$IMS_TOP/scripts/export.sh" --to "$tmp" >/dev/null 2>&1
	for f in "$tmp"/patches/*.patch; do
		[ -e "$f" ] || continue
		cmp -s "$f" "$IMS_TOP/patches/${f##*/}" || { state=lost; break; }
	done
	if [ "$state" = behind ] && cmp -s "$tmp/series" "$IMS_TOP/series" &&
	   diff -rq -x .gitkeep "$tmp/patches" "$IMS_TOP/patches" >/dev/null 2>&1; then
		state=same
	fi
	rm -rf "$tmp"
	echo "$state"
}

# restore_notes PATCH: a patch's notes for reviewers (what changed since the
# last revision) stand in its commit message below a line "---", so that
# format-patch and b4 put them between the changelog and the diffstat. git am
# drops everything after the first "---": put the notes back into the commit
# it made, so that scripts/export.sh gives the same patch again.
restore_notes()
{
	local patch=$1 notes msg
	# From the first "---" (with the blank line before it, if any) to the
	# last one before the diff, which format-patch wrote above the diffstat.
	notes=$(awk '/^diff --git /{ exit } { line[++n] = $0 } $0 == "---" { if (!first) first = n; last = n }
		END { if (first && first < last) { if (line[first - 1] == "") print "";
			for (i = first; i < last; i++) print line[i] } }' "$patch")
	[ -n "$notes" ] || return 0
	msg=$(mktemp)
	{ kgit log -1 --format=%B | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; printf '%s\n' "$notes"; } >"$msg"
	kgit commit -q --amend --no-verify --cleanup=verbatim -F "$msg"
	rm -f "$msg"
}

# report_failure PATCH OUTPUT: one line naming the patch, file and hunk.
report_failure()
{
	local patch=$1 output=$2 where
	where=$(printf '%s\n' "$output" | sed -n 's/^error: patch failed: \(.*\)$/\1/p' | head -n 1)
	[ -n "$where" ] || where=$(printf '%s\n' "$output" | grep -m1 -E '^(error|fatal):' | sed 's/^[a-z]*: //')
	die "patch $patch does not apply at ${where:-an unknown place}; build/linux is left at the patch before it ($(kgit log -1 --format=%s))"
}

main()
{
	local p out n=0
	"$IMS_TOP/scripts/base.sh"
	if [ "${FORCE:-0}" != 1 ]; then
		[ -z "$(kgit status --porcelain --untracked-files=no)" ] ||
			die "$KTREE has uncommitted changes: commit them and run scripts/export.sh, or FORCE=1 to drop them"
		case $(compare_export) in
		lost)
			die "$KTREE has commits on '$BRANCH' that patches/ lacks: run scripts/export.sh, or FORCE=1 to drop them" ;;
		same)
			# Re-applying would only touch every file of the series
			kgit checkout -q "$BRANCH"
			info "$KTREE is at '$BRANCH' with the series already ($(kgit rev-parse --short HEAD))"
			return ;;
		esac
	fi
	kgit am --abort >/dev/null 2>&1 || true
	kgit checkout -q -f -B "$BRANCH" "$BASE_TAG"
	while read -r p; do
		[ -f "$IMS_TOP/patches/$p" ] || die "series lists $p, which is not in patches/"
		if ! out=$(kgit am -q --whitespace=nowarn "$IMS_TOP/patches/$p" 2>&1); then
			kgit am --abort >/dev/null 2>&1 || true
			report_failure "$p" "$out"
		fi
		restore_notes "$IMS_TOP/patches/$p"
		n=$((n + 1))
	done < <(series_patches)
	info "applied $n patches on $BASE_TAG: $KTREE is at '$BRANCH' ($(kgit rev-parse --short HEAD))"
}

main "$@"
