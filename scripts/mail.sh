#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepare the series as mails, offline, with b4: a b4 prep branch made from
# the "ims" branch of build/linux in a worktree of its own (build/mail/linux),
# the cover letter from cover-letter.txt, To/Cc from get_maintainer.pl
# (b4 prep --auto-to-cc), and the mails written to build/mail/out by
# `b4 send -o` (nothing is sent). Then the mails are applied with `git am` to
# a fresh v7.3-rc7 and the result must be the tree of the series.
#
#   scripts/mail.sh [OUTDIR]
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

MTREE=$BUILD/mail/linux
outdir=${1:-$BUILD/mail/out}
prep=b4/ims

have_base || die "no kernel tree at $KTREE: run scripts/apply.sh first"
command -v b4 >/dev/null || die "b4 is not installed: run scripts/setup.sh"
[ "$(kgit rev-list --count "$BASE_TAG..$BRANCH")" -gt 0 ] || die "the series is empty: nothing to mail"

mgit()
{
	# b4 send -o needs a sender and an SMTP setting even though it sends
	# nothing; give it dummies that cannot send.
	GIT_CONFIG_COUNT=2 \
	GIT_CONFIG_KEY_0=sendemail.smtpserver GIT_CONFIG_VALUE_0=/bin/false \
	GIT_CONFIG_KEY_1=sendemail.from GIT_CONFIG_VALUE_1="$(git config user.name) <$(git config user.email)>" \
		"$@"
}

kgit worktree prune
if [ ! -d "$MTREE" ]; then
	mkdir -p "$(dirname "$MTREE")"
	kgit worktree add -q --detach "$MTREE" "$BRANCH"
fi
cd "$MTREE"
# The worktree is the script's own: an interrupted run may have left changes
git checkout -q -f --detach "$BRANCH"
git clean -q -fdx
git branch -D "$prep" >/dev/null 2>&1 || true
git checkout -q -b "$prep" "$BRANCH"

# Enrol the branch with b4: it adds the cover letter as an empty commit on
# top of the base. The cover letter comes from the project.
b4 prep -e "$BASE_TAG" >/dev/null
editor=$(mktemp)
cover=$(mktemp)
trap 'rm -f "$editor" "$cover"' EXIT
# Without the diffstat part of the project's cover letter: b4 adds its own.
awk -v m="$COVER_DIFFSTAT_MARKER" '$0 == m { exit } { print }' "$IMS_TOP/cover-letter.txt" >"$cover"
# shellcheck disable=SC2016 # $1 belongs to the editor script
printf '#!/bin/sh\ncat %q >"$1"\n' "$cover" >"$editor"
chmod +x "$editor"
EDITOR=$editor GIT_EDITOR=$editor b4 prep --edit-cover >/dev/null
b4 prep --auto-to-cc >/dev/null

rm -rf "$outdir"
mkdir -p "$outdir"
mgit b4 send -o "$outdir" --no-sign >/dev/null
info "$(find "$outdir" -name '*.eml' | wc -l) mails in $outdir"

# The mails must give back exactly the series.
check=$BUILD/mail/check
rm -rf "$check"
git clone -q --no-checkout --shared "$KTREE" "$check"
git -C "$check" checkout -q --detach "$BASE_TAG"
for m in $(find "$outdir" -name '*.eml' | sort | tail -n +2); do
	git -C "$check" -c user.name=mail -c user.email=mail@invalid am -q "$m" ||
		die "mail $m does not apply to $BASE_TAG"
done
[ "$(git -C "$check" rev-parse 'HEAD^{tree}')" = "$(kgit rev-parse "$BRANCH^{tree}")" ] ||
	die "the mails applied to $BASE_TAG do not give the tree of '$BRANCH'"
rm -rf "$check"
info "the mails apply to $BASE_TAG and give the tree of '$BRANCH'"
