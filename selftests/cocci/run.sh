#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Tests of the series' semantic patch for MSI descriptor walks, on the
# patched tree: it reports each planted open-coded walk in this directory,
# and it reports nothing on the kernel tree itself. Writes OUTDIR/cocci.tap.
#
#   selftests/cocci/run.sh KERNEL_TREE BUILD_DIR OUTDIR
set -uo pipefail

ktree=$1 kout=$2 outdir=$3
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
	for f in "$here"/*.c; do
		want=$(grep -c '^static void ' "$f")
		got=$(spatch -D report --very-quiet --no-show-diff --cocci-file "$cocci" "$f" 2>/dev/null |
		      grep -c "$(basename "$f"):" || true)
		if [ "$got" -ge "$want" ]; then
			result ok "$(basename "$f"): every planted walk reported ($got)"
		else
			result fail "$(basename "$f"): $got reports for $want planted walks"
		fi
	done
	out=$(make -C "$ktree" O="$kout" coccicheck MODE=report COCCI="$cocci" J="$(nproc)" 2>&1 |
	      grep -E '^[^ ]+\.[ch]:[0-9]+' || true)
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
