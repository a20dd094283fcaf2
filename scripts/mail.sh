#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepare the series as v2 mails, offline, with b4 0.12; nothing is sent.
#
# In a clone of build/linux of its own (build/mail/linux), b4's prep branch
# is first made of v1: the series as the project's history holds it at
# V1_COMMIT, applied onto v7.3-rc7, with v1's cover letter. b4 is made to
# mark it as sent the way it does after a real send (`b4 send`, whose mail
# program here only files the mails in build/mail/v1): b4 tags it
# sent/ims-v1 and rerolls the branch to v2. The branch then gets the
# commits of the series to mail (IMS_MAIL_BRANCH, default "ims"), the
# cover letter from cover-letter.txt and To/Cc from get_maintainer.pl
# (b4 prep --auto-to-cc), and `b4 send -o` writes the v2 mails to
# build/mail/out; the cover letter carries the range-diff that
# `b4 prep --compare-to v1` prints (b4 0.12's cover template has no place
# for it: the script adds one after the diffstat).
#
# Checks: every mail is "[PATCH v2 NN/MM]"; the mails applied with `git am`
# to a fresh v7.3-rc7 give exactly the tree of the series; the NTB fixes at
# the front of the series (the patches whose subjects start with "NTB", up
# to the first one that does not) apply alone to v7.3-rc7 and give the tree
# of the series at that patch. Building them is left to the per-patch
# checks and the build matrix: with the fixes at the front, the series at
# each of them is that tree.
#
#   scripts/mail.sh [OUTDIR]
#
# IMS_MAIL_BRANCH=BRANCH  mail this branch of build/linux instead of "ims"
# IMS_MAIL_V1=REV         the project commit that holds v1 (default below)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

# v1 is the series as patches/ and series held it at this project commit,
# the last one before the v2 work ("Workbench: give the measured saving of
# the background vm build"). A commit id, not a tag: a clone has it as long
# as it has the history, with nothing to push or fetch besides.
V1_COMMIT=${IMS_MAIL_V1:-88a4dd94c92af18ee10f5d54fc33014d577c81b2}
REVISION=2

MTREE=$BUILD/mail/linux
outdir=$(realpath -m "${1:-$BUILD/mail/out}")
v1dir=$BUILD/mail/v1
src=${IMS_MAIL_BRANCH:-$BRANCH}
prep=b4/ims
sent_tag=sent/ims-v1

have_base || die "no kernel tree at $KTREE: run scripts/apply.sh first"
command -v b4 >/dev/null || die "b4 is not installed: run scripts/setup.sh"
case $(b4 --version 2>/dev/null) in
0.12.*) ;;
*) die "b4 $(b4 --version 2>/dev/null) is not 0.12: this script relies on b4 0.12's prep and send" ;;
esac
kgit rev-parse -q --verify "refs/heads/$src" >/dev/null || die "$KTREE has no branch '$src'"
[ "$(kgit rev-list --count "$BASE_TAG..$src")" -gt 0 ] || die "'$src' is empty: nothing to mail"
git -C "$IMS_TOP" cat-file -e "$V1_COMMIT^{commit}" 2>/dev/null ||
	die "the project's history lacks v1 ($V1_COMMIT): a shallow clone? (git fetch --unshallow)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
from="$(git config user.name) <$(git config user.email)>"

# b4ctl SMTPSERVER CMD...: CMD with the settings b4 needs here, ahead of any
# the user has: the mail program (b4 send -o wants one even though it
# sends nothing), no sendemail identity that could name another, the cover
# letter as a commit (the script moves the series under it), no colour,
# and the cover template ($template, when there is one).
b4ctl()
{
	local smtp=$1
	shift
	GIT_CONFIG_COUNT=6 \
	GIT_CONFIG_KEY_0=sendemail.smtpserver GIT_CONFIG_VALUE_0="$smtp" \
	GIT_CONFIG_KEY_1=sendemail.from GIT_CONFIG_VALUE_1="$from" \
	GIT_CONFIG_KEY_2=b4.sendemail-identity GIT_CONFIG_VALUE_2='' \
	GIT_CONFIG_KEY_3=b4.prep-cover-strategy GIT_CONFIG_VALUE_3=commit \
	GIT_CONFIG_KEY_4=color.ui GIT_CONFIG_VALUE_4=never \
	GIT_CONFIG_KEY_5=b4.prep-cover-template GIT_CONFIG_VALUE_5="${template:-}" \
		"$@"
}
template=

# set_cover FILE: the cover letter of the prep branch is FILE without the
# diffstat part of the project's cover letter (b4 adds its own).
set_cover()
{
	local editor=$tmp/editor cover=$tmp/cover
	awk -v m="$COVER_DIFFSTAT_MARKER" '$0 == m { exit } { print }' "$1" >"$cover"
	# shellcheck disable=SC2016 # $1 belongs to the editor script
	printf '#!/bin/sh\ncat %q >"$1"\n' "$cover" >"$editor"
	chmod +x "$editor"
	EDITOR=$editor GIT_EDITOR=$editor b4ctl /bin/false b4 prep --edit-cover >"$tmp/edit-cover.log" 2>&1 ||
		{ tail -n 5 "$tmp/edit-cover.log" >&2; die "b4 prep --edit-cover failed"; }
}

# subjects DIR: "FILE<TAB>SUBJECT" of every mail in DIR, in file name order
# (the cover letter first), subjects unfolded and decoded.
subjects()
{
	/usr/bin/python3 - "$1" <<'EOF'
import email, email.header, email.policy, os, sys
d = sys.argv[1]
for f in sorted(x for x in os.listdir(d) if x.endswith('.eml')):
    with open(os.path.join(d, f), 'rb') as fh:
        msg = email.message_from_binary_file(fh, policy=email.policy.default)
    print('%s\t%s' % (os.path.join(d, f), ' '.join(str(msg['subject']).split())))
EOF
}

# ---- v1, from the project's history
mkdir -p "$tmp/v1"
git -C "$IMS_TOP" archive "$V1_COMMIT" series patches cover-letter.txt | tar -x -C "$tmp/v1"
mapfile -t v1_patches < <(IMS_TOP=$tmp/v1 series_patches)
[ "${#v1_patches[@]}" -gt 0 ] || die "v1 ($V1_COMMIT) lists no patches"

# ---- The mail tree: a clone of build/linux (sharing its objects), so that
# b4's branch and tags stay out of it. An older version of this script
# made a worktree there instead.
if [ -f "$MTREE/.git" ] || { [ -e "$MTREE" ] && [ ! -d "$MTREE/.git" ]; }; then
	rm -rf "$MTREE"
	kgit worktree prune
fi
if [ ! -d "$MTREE/.git" ]; then
	mkdir -p "$(dirname "$MTREE")"
	git clone -q --no-checkout --no-tags --shared "$KTREE" "$MTREE"
fi
cd "$MTREE"
git fetch -q --no-tags "$KTREE" "+refs/tags/$BASE_TAG:refs/tags/$BASE_TAG" "+refs/heads/$src:refs/heads/mail-src"
# The tree is the script's own: an interrupted run may have left anything
git am --abort >/dev/null 2>&1 || true
git cherry-pick --abort >/dev/null 2>&1 || true
git checkout -q -f --detach "$BASE_TAG"
git clean -q -fdx
git branch -D "$prep" >/dev/null 2>&1 || true
git for-each-ref --format='%(refname)' refs/tags/sent/ | while read -r t; do git update-ref -d "$t"; done

git checkout -q -b "$prep" "$BASE_TAG"
for p in "${v1_patches[@]}"; do
	git am -q --whitespace=nowarn "$tmp/v1/patches/$p" >/dev/null 2>&1 ||
		die "v1's $p does not apply to $BASE_TAG"
done
v1_tree=$(git rev-parse 'HEAD^{tree}')
b4ctl /bin/false b4 prep -e "$BASE_TAG" >/dev/null 2>&1 || die "b4 prep -e $BASE_TAG failed for v1"
set_cover "$tmp/v1/cover-letter.txt"

# b4 marks a revision as sent (tag, reroll) only after sending it. Its mail
# program here files each mail in build/mail/v1 and sends nothing; the only
# address is an invalid one, and trailers add none.
rm -rf "$v1dir"
mkdir -p "$v1dir"
cat >"$tmp/file-mail" <<EOF
#!/bin/sh
# b4's mail program for v1: keep the mail, send nothing.
n=\$(find "$v1dir" -name '*.eml' | wc -l)
cat >"$v1dir/\$(printf '%04d' "\$n").eml"
EOF
chmod +x "$tmp/file-mail"
echo | b4ctl "$tmp/file-mail" b4 send --no-sign --no-trailer-to-cc --to "v1 (not posted) <v1@invalid>" \
	>"$tmp/send-v1.log" 2>&1 || { tail -n 5 "$tmp/send-v1.log" >&2; die "b4 could not mark v1 as sent"; }
git rev-parse -q --verify "refs/tags/$sent_tag" >/dev/null ||
	{ tail -n 5 "$tmp/send-v1.log" >&2; die "b4 did not tag v1 as $sent_tag"; }
[ "$(git rev-parse "$sent_tag^{tree}")" = "$v1_tree" ] || die "b4's tag $sent_tag does not hold v1"
info "v1: ${#v1_patches[@]} patches from the project at ${V1_COMMIT:0:12}, tagged $sent_tag ($(find "$v1dir" -name '*.eml' | wc -l) mails kept in $v1dir)"

# ---- v2: the series to mail under b4's cover letter commit
cover_commit=$(git rev-list --reverse "$BASE_TAG..$prep")
cover_commit=${cover_commit%%$'\n'*}
grep -qxF -- '--- b4-submit-tracking ---' <<<"$(git log -1 --format=%B "$cover_commit")" ||
	die "the first commit of $prep is not b4's cover letter"
git reset -q --hard "$cover_commit"
git -c core.editor=true cherry-pick --allow-empty "$BASE_TAG..mail-src" >"$tmp/pick.log" 2>&1 ||
	{ tail -n 5 "$tmp/pick.log" >&2; die "the commits of '$src' do not go onto b4's cover letter"; }
set_cover "$IMS_TOP/cover-letter.txt"
b4ctl /bin/false b4 prep --auto-to-cc >/dev/null 2>&1 || die "b4 prep --auto-to-cc failed"
revision=$(b4ctl /bin/false b4 prep --show-revision 2>&1 | sed -n 's/^v\([0-9]*\)$/\1/p')
[ "$revision" = "$REVISION" ] || die "b4 says the branch is v${revision:-?}, not v$REVISION"

# b4's own range-diff against v1, into the cover letter after the diffstat.
# The template is b4 0.12's default cover template with that part added.
rdiff=$tmp/range-diff-v1
b4ctl /bin/false b4 prep --compare-to v1 >"$rdiff" 2>"$tmp/compare.log" ||
	{ tail -n 5 "$tmp/compare.log" >&2; die "b4 prep --compare-to v1 failed"; }
grep -qE '^ *[0-9-]+: +[0-9a-f-]+ [=!<>] ' "$rdiff" ||
	die "b4 prep --compare-to v1 printed no range-diff"
template=$tmp/cover-template
{
	# shellcheck disable=SC2016 # b4's template variables
	printf '%s\n' '${cover}' '' '---' '${shortlog}' '' '${diffstat}' '' 'Range-diff against v1:'
	sed 's/\$/$$/g' "$rdiff"
	# shellcheck disable=SC2016
	printf '%s\n' '---' 'base-commit: ${base_commit}' 'change-id: ${change_id}' '' 'Best regards,' '-- ' '${signature}'
} >"$template"

rm -rf "$outdir"
mkdir -p "$outdir"
b4ctl /bin/false b4 send -o "$outdir" --no-sign >"$tmp/send.log" 2>&1 ||
	{ tail -n 5 "$tmp/send.log" >&2; die "b4 send -o failed"; }

# ---- Checks
n=$(git rev-list --count "$BASE_TAG..mail-src")
subjects "$outdir" >"$tmp/subjects"
[ "$(wc -l <"$tmp/subjects")" = $((n + 1)) ] ||
	die "$(wc -l <"$tmp/subjects") mails in $outdir for $n patches and a cover letter"
i=0
while IFS=$'\t' read -r f s; do
	want=$(printf '[PATCH v%d %0*d/%d] ' "$REVISION" "${#n}" "$i" "$n")
	[ "${s#"$want"}" != "$s" ] || die "${f##*/}: subject '$s' does not start with '$want'"
	i=$((i + 1))
done <"$tmp/subjects"
grep -qxF 'Range-diff against v1:' "$(head -n 1 "$tmp/subjects" | cut -f1)" ||
	die "the cover letter has no range-diff against v1"
info "$((n + 1)) mails in $outdir: $(printf '[PATCH v%d %0*d/%d]' "$REVISION" "${#n}" 0 "$n") .. [PATCH v$REVISION $n/$n], the cover letter with b4's range-diff against v1"

# apply_mails REV MAIL...: the mails applied with git am to a fresh
# v7.3-rc7 (the mail tree detached there, cleaned) must give REV's tree.
apply_mails()
{
	local want=$1 m
	shift
	git am --abort >/dev/null 2>&1 || true
	git checkout -q -f --detach "$BASE_TAG"
	git clean -q -fdx
	for m in "$@"; do
		git -c user.name=mail -c user.email=mail@invalid am -q "$m" >"$tmp/am.log" 2>&1 ||
			{ tail -n 3 "$tmp/am.log" >&2; die "mail ${m##*/} does not apply to $BASE_TAG after the ones before it"; }
	done
	[ "$(git rev-parse 'HEAD^{tree}')" = "$(git rev-parse "$want^{tree}")" ]
}

mapfile -t mails < <(tail -n +2 "$tmp/subjects" | cut -f1)
apply_mails mail-src "${mails[@]}" ||
	die "the mails applied to $BASE_TAG do not give the tree of '$src'"
info "the mails apply to $BASE_TAG and give the tree of '$src'"

# The NTB fixes at the front, alone
ntb=()
while IFS=$'\t' read -r f s; do
	s=${s#\[PATCH*\] }
	case $s in
	NTB*) ntb+=("$f") ;;
	*) break ;;
	esac
done < <(tail -n +2 "$tmp/subjects")
[ "${#ntb[@]}" -gt 0 ] || die "the series does not start with NTB fixes"
apply_mails "$(git rev-list --reverse "$BASE_TAG..mail-src" | sed -n "${#ntb[@]}p")" "${ntb[@]}" ||
	die "the ${#ntb[@]} NTB fixes at the front applied alone to $BASE_TAG do not give the tree of the series at the last of them"
info "the NTB fixes at the front (patches 1-${#ntb[@]} of $n) apply alone to $BASE_TAG"
