#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Write the commits of build/linux's "ims" branch (v7.3-rc7..ims) to patches/
# and series, deterministically: no commit ids, no version signature, fixed
# abbreviations and prefixes, so unchanged commits give identical files.
#
#   scripts/export.sh            update patches/ and series in the project
#   scripts/export.sh --to DIR   write DIR/patches and DIR/series instead
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

dest=$IMS_TOP
if [ "${1:-}" = --to ]; then
	dest=${2:?--to needs a directory}
fi
have_base || die "no kernel tree at $KTREE: run scripts/apply.sh first"
kgit rev-parse -q --verify "refs/heads/$BRANCH" >/dev/null ||
	die "$KTREE has no branch '$BRANCH': run scripts/apply.sh first"
if [ -n "$(kgit status --porcelain --untracked-files=no)" ]; then
	info "warning: $KTREE has uncommitted changes; only commits are exported"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$KTREE" -c core.abbrev=12 -c diff.renames=true -c diff.algorithm=myers \
	-c diff.noprefix=false -c diff.mnemonicPrefix=false -c diff.relative=false \
	-c format.signature= -c format.coverLetter=false -c format.numbered=auto \
	format-patch -q --zero-commit --no-signature --no-cover-letter --no-to --no-cc --no-thread \
	--no-base --stat=80 -o "$tmp/patches" "$BASE_TAG..$BRANCH"
mkdir -p "$tmp/patches"

{
	echo "# Patches applied in this order onto $BASE_TAG (scripts/export.sh writes this file)."
	find "$tmp/patches" -maxdepth 1 -name '*.patch' -printf '%f\n' | LC_ALL=C sort
} >"$tmp/series"

mkdir -p "$dest/patches"
find "$dest/patches" -maxdepth 1 -name '*.patch' -delete
if compgen -G "$tmp/patches/*.patch" >/dev/null; then
	cp "$tmp"/patches/*.patch "$dest/patches/"
fi
cp "$tmp/series" "$dest/series"
info "exported $(grep -vc '^#' "$dest/series" || true) patches to $dest/patches"

# The cover letter ends with the diffstat of the series: everything after
# the marker line is rewritten (scripts/mail.sh leaves it out, b4 adds its
# own).
cover=$dest/cover-letter.txt
if [ -f "$cover" ] && grep -qxF "$COVER_DIFFSTAT_MARKER" "$cover"; then
	{
		awk -v m="$COVER_DIFFSTAT_MARKER" '{ print } $0 == m { exit }' "$cover"
		echo
		git -C "$KTREE" -c diff.renames=true diff --stat=72 "$BASE_TAG" "$BRANCH"
	} >"$tmp/cover"
	cp "$tmp/cover" "$cover"
fi
