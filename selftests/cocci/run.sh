#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Tests of the series' semantic patch for MSI descriptor walks, on the
# patched tree: it reports each planted open-coded walk in this directory,
# and it reports nothing on the kernel tree itself. Writes OUTDIR/cocci.tap.
#
#   selftests/cocci/run.sh KERNEL_TREE OUTDIR
set -uo pipefail

ktree=$1 outdir=$2
here=$(cd "$(dirname "$0")" && pwd)
cocci=$ktree/scripts/coccinelle/api/msi_desc_walk.cocci
mkdir -p "$outdir"
tap=$outdir/cocci.tap
n=0

result()
{
	n=$((n + 1))
	if [ "$1" = ok ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi >>"$tap.body"
	[ -z "${3:-}" ] || printf '%s\n' "$3" | head -n 5 | sed 's/^/# diag: /' >>"$tap.body"
}

: >"$tap.body"
if [ ! -f "$cocci" ]; then
	result ok "msi_desc_walk.cocci # SKIP the series has no such semantic patch yet"
else
	# Each line marked "expect report" must be reported, and no other
	for f in "$here"/*.c; do
		name=$(basename "$f")
		got=$(spatch -D report --very-quiet --no-show-diff --cocci-file "$cocci" "$f" 2>&1 |
		      sed -n "s/^[^ ]*$name:\([0-9]*\):.*/\1/p" | sort -un)
		want=$(grep -n '/\* expect report \*/$' "$f" | cut -d: -f1)
		[ -n "$want" ] || result fail "$name: no planted walk marked"
		for line in $want; do
			if grep -qx "$line" <<<"$got"; then
				result ok "$name:$line: planted walk reported"
			else
				result fail "$name:$line: planted walk not reported" \
					"$(sed -n "${line}p" "$f")"
			fi
		done
		extra=$(comm -13 <(sort -u <<<"$want") <(sort -u <<<"$got") | grep . || true)
		if [ -z "$extra" ]; then
			result ok "$name: nothing else reported"
		else
			result fail "$name: reports on unmarked lines" "$extra"
		fi
	done
	# The semantic patch needs msi_next_desc(), so a file without it cannot
	# match: checking the files git grep finds is a check of the whole tree
	# (a whole-tree coccicheck takes an hour here).
	out=""
	while read -r f; do
		out+=$(spatch -D report --very-quiet --no-show-diff --no-includes --include-headers \
			--cocci-file "$cocci" "$ktree/$f" 2>/dev/null | grep -E '^[^ ]+\.[ch]:[0-9]+' || true)
	done < <(git -C "$ktree" grep -l -E 'msi_next_desc' -- '*.c' '*.h')
	if [ -z "$out" ]; then
		result ok "no open-coded MSI descriptor walk in the tree"
	else
		result fail "open-coded MSI descriptor walks in the tree" "$out"
	fi
fi
{
	echo "TAP version 13"
	echo "1..$n"
	cat "$tap.body"
} >"$tap"
rm -f "$tap.body"
cat "$tap"
