#!/usr/bin/env bash
# Each check reads "conditions && ok NAME || not_ok NAME WHY"; ok never fails.
# shellcheck disable=SC2015,SC2181
# SPDX-License-Identifier: GPL-2.0
# Tests of the workbench itself, on a tiny fake kernel tree so they take
# seconds: the base's error paths, applying and exporting patches, and the
# verdict. Writes OUTDIR/workbench.tap.
#
#   selftests/workbench/run.sh OUTDIR
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
outdir=${1:?usage: run.sh OUTDIR}
mkdir -p "$outdir"
tap=$outdir/workbench.tap
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 failed=0
: >"$tap.body"

# ok NAME / not_ok NAME WHY: one TAP result.
ok()
{
	n=$((n + 1))
	echo "ok $n $1" >>"$tap.body"
}

not_ok()
{
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n $1" >>"$tap.body"
	printf '%s\n' "$2" | head -n 10 | sed 's/^/# diag: /' >>"$tap.body"
}

# expect NAME CONDITION-COMMAND...: ok when the command succeeds.
expect()
{
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

# fake_kernel DIR VERSION: a tiny tree that looks like a kernel to the scripts.
fake_kernel()
{
	local dir=$1 ver=$2
	mkdir -p "$dir/scripts" "$dir/kernel"
	local v=${ver%%-*} extra=""
	[ "$ver" = "$v" ] || extra=-${ver#*-}
	IFS=. read -r a b c <<<"$v"
	printf 'VERSION = %s\nPATCHLEVEL = %s\nSUBLEVEL = %s\nEXTRAVERSION = %s\n' "$a" "$b" "$c" "$extra" >"$dir/Makefile"
	printf 'line one\nline two\nline three\n' >"$dir/kernel/file.c"
	printf '*.o\n!kernel/time/timeconst.bc\n\n# Debian packaging\n/*\n!/debian/\n' >"$dir/.gitignore"
}

# project DIR: a copy of the workbench with its own build dir and shared base.
project()
{
	local dir=$1
	mkdir -p "$dir/patches" "$dir/shared"
	cp -r "$top/scripts" "$dir/scripts"
	echo "# test series" >"$dir/series"
}

# run_in PROJECT COMMAND...: run a workbench script in a test project.
run_in()
{
	local p=$1
	shift
	IMS_BUILD=$p/build IMS_SHARED_BASE=$p/shared IMS_DEBIAN_SRC_VER=0~no-such-version \
		"$@"
}

make_tarball()
{
	local p=$1 ver=$2
	fake_kernel "$work/src-$ver/linux-source-7.3" "$ver"
	tar -cJf "$p/shared/linux-7.3-rc7.tar.xz" -C "$work/src-$ver" linux-source-7.3
	(cd "$p/shared" && sha256sum linux-7.3-rc7.tar.xz >SHA256SUMS)
}

test_base()
{
	local p=$work/base out
	project "$p"
	make_tarball "$p" 7.3.0-rc7

	# A tarball that does not match its checksum.
	cp "$p/shared/SHA256SUMS" "$work/sums"
	printf '%064d  linux-7.3-rc7.tar.xz\n' 0 >"$p/shared/SHA256SUMS"
	out=$(run_in "$p" "$p/scripts/base.sh" 2>&1)
	[ $? -ne 0 ] && [ "$(wc -l <<<"$out")" -eq 2 ] && grep -q 'checksum .* does not match' <<<"$out" &&
		[ ! -e "$p/build/linux" ] && [ -z "$(ls "$p/build" 2>/dev/null)" ] &&
		ok "base: a corrupt tarball is refused with one error line and nothing left" ||
		not_ok "base: a corrupt tarball is refused with one error line and nothing left" "$out"
	cp "$work/sums" "$p/shared/SHA256SUMS"

	# No base anywhere: no tarball, no LINUX_SRC, no such Debian package.
	mv "$p/shared/linux-7.3-rc7.tar.xz" "$work/tarball"
	out=$(run_in "$p" "$p/scripts/base.sh" 2>&1)
	[ $? -ne 0 ] && grep -q 'error: no base: set LINUX_SRC' <<<"$out" && [ ! -e "$p/build/linux" ] &&
		ok "base: no base anywhere gives the error that says what to do" ||
		not_ok "base: no base anywhere gives the error that says what to do" "$out"
	mv "$work/tarball" "$p/shared/linux-7.3-rc7.tar.xz"

	# LINUX_SRC at another version.
	fake_kernel "$work/other" 7.2.0
	echo '*.o' >"$work/other/.gitignore"
	git -C "$work/other" init -q && git -C "$work/other" add -A &&
		git -C "$work/other" -c user.name=t -c user.email=t@t commit -qm other
	out=$(LINUX_SRC=$work/other run_in "$p" "$p/scripts/base.sh" 2>&1)
	[ $? -ne 0 ] && grep -q 'is at 7.2.0, not 7.3.0-rc7' <<<"$out" && [ ! -e "$p/build/linux" ] &&
		ok "base: LINUX_SRC at another version is refused" ||
		not_ok "base: LINUX_SRC at another version is refused" "$out"

	# LINUX_SRC at v7.3-rc7 is cloned, tagged, and left untouched.
	fake_kernel "$work/mainline" 7.3.0-rc7
	echo '*.o' >"$work/mainline/.gitignore"
	git -C "$work/mainline" init -q && git -C "$work/mainline" add -A &&
		git -C "$work/mainline" -c user.name=t -c user.email=t@t commit -qm "Linux 7.3-rc7"
	local before
	before=$(git -C "$work/mainline" for-each-ref; git -C "$work/mainline" status --porcelain)
	out=$(LINUX_SRC=$work/mainline run_in "$p" "$p/scripts/base.sh" 2>&1)
	[ $? -eq 0 ] && [ "$(git -C "$p/build/linux" rev-parse v7.3-rc7)" = "$(git -C "$work/mainline" rev-parse HEAD)" ] &&
		[ "$before" = "$(git -C "$work/mainline" for-each-ref; git -C "$work/mainline" status --porcelain)" ] &&
		ok "base: LINUX_SRC at v7.3-rc7 is used without modifying it" ||
		not_ok "base: LINUX_SRC at v7.3-rc7 is used without modifying it" "$out"
	rm -rf "$p/build"

	# The tarball: Debian's .gitignore block stripped, committed, tagged.
	out=$(run_in "$p" "$p/scripts/base.sh" 2>&1)
	[ $? -eq 0 ] && git -C "$p/build/linux" rev-parse -q --verify v7.3-rc7 >/dev/null &&
		! grep -q Debian "$p/build/linux/.gitignore" &&
		git -C "$p/build/linux" ls-files --error-unmatch Makefile kernel/file.c >/dev/null 2>&1 &&
		ok "base: the tarball is committed and tagged, Debian's .gitignore block stripped" ||
		not_ok "base: the tarball is committed and tagged, Debian's .gitignore block stripped" "$out"
}

# commit_change TREE FILE SED SUBJECT: one commit in a test tree.
commit_change()
{
	sed -i "$3" "$1/$2"
	git -C "$1" add "$2"
	git -C "$1" -c user.name=t -c user.email=t@t commit -qm "$4" -m "Body of $4."
}

test_apply_export()
{
	local p=$work/base k out first head
	p=$work/base
	k=$p/build/linux

	commit_change "$k" kernel/file.c 's/one/ONE/' "test: First change"
	commit_change "$k" kernel/file.c 's/three/THREE/' "test: Second change"
	run_in "$p" "$p/scripts/export.sh" >/dev/null 2>&1
	expect "export: writes one patch per commit and the series" \
		test "$(grep -vc '^#' "$p/series")" -eq 2
	! grep -hE '^From [0-9a-f]{40} ' "$p"/patches/*.patch | grep -qv '^From 0\{40\} ' &&
		! grep -q '^-- $' "$p"/patches/*.patch &&
		ok "export: no commit ids and no version signature" ||
		not_ok "export: no commit ids and no version signature" "$(head -n 3 "$p"/patches/*.patch)"
	cp -r "$p/patches" "$work/patches.1"
	out=$(run_in "$p" "$p/scripts/apply.sh" 2>&1)
	expect "apply: the exported series applies" test $? -eq 0
	run_in "$p" "$p/scripts/export.sh" >/dev/null 2>&1
	expect "export: re-exporting an applied series gives identical files" \
		diff -r "$work/patches.1" "$p/patches"

	# A clean clone: no build/ at all, the series applies onto a fresh base.
	rm -rf "$p/build"
	out=$(run_in "$p" "$p/scripts/apply.sh" 2>&1)
	[ $? -eq 0 ] && [ "$(git -C "$k" log -1 --format=%s)" = "test: Second change" ] &&
		ok "apply: a clean clone applies the series onto a fresh base" ||
		not_ok "apply: a clean clone applies the series onto a fresh base" "$out"

	# A tree that holds the series already is kept: same commits, and a
	# file the series changes is not written again.
	head=$(git -C "$k" rev-parse HEAD)
	first=$(git -C "$k" diff --name-only v7.3-rc7 HEAD | head -n 1)
	touch -d @1000000000 "$k/$first" "$p/patches/.gitkeep"
	out=$(run_in "$p" "$p/scripts/apply.sh" 2>&1)
	[ $? -eq 0 ] && [ "$(git -C "$k" rev-parse HEAD)" = "$head" ] &&
		[ "$(stat -c %Y "$k/$first")" = 1000000000 ] &&
		ok "apply: a tree that holds the series is kept as it is" ||
		not_ok "apply: a tree that holds the series is kept as it is" "$out"

	# Unexported work is not thrown away.
	commit_change "$k" kernel/file.c 's/two/TWO/' "test: Unexported change"
	out=$(run_in "$p" "$p/scripts/apply.sh" 2>&1)
	[ $? -ne 0 ] && grep -q "commits on 'ims' that patches/ lacks" <<<"$out" &&
		[ "$(git -C "$k" log -1 --format=%s)" = "test: Unexported change" ] &&
		ok "apply: refuses to drop commits that are not exported" ||
		not_ok "apply: refuses to drop commits that are not exported" "$out"
	echo dirty >>"$k/kernel/file.c"
	out=$(run_in "$p" "$p/scripts/apply.sh" 2>&1)
	[ $? -ne 0 ] && grep -q 'uncommitted changes' <<<"$out" && grep -q dirty "$k/kernel/file.c" &&
		ok "apply: refuses to drop uncommitted changes" ||
		not_ok "apply: refuses to drop uncommitted changes" "$out"
	git -C "$k" checkout -q -- kernel/file.c

	# A patch that does not apply: named, with file and hunk, tree at the last good one.
	first=$(sed -n 2p "$p/series")
	sed -i 's/^-line three$/-line 3 that is not there/' "$p/patches/$(sed -n 3p "$p/series")"
	out=$(FORCE=1 run_in "$p" "$p/scripts/apply.sh" 2>&1)
	[ $? -ne 0 ] && [ "$(wc -l <<<"$out")" -le 3 ] &&
		grep -q "patch $(sed -n 3p "$p/series") does not apply at kernel/file.c:" <<<"$out" &&
		[ "$(git -C "$k" log -1 --format=%s)" = "test: First change" ] &&
		[ -z "$(git -C "$k" status --porcelain --untracked-files=no)" ] &&
		ok "apply: a broken patch is named with its file and hunk; the tree stays at $first" ||
		not_ok "apply: a broken patch is named with its file and hunk; the tree stays at $first" "$out"
}

test_verdict()
{
	local r=$work/results
	mkdir -p "$r/guest"
	touch "$r/guest/booted" "$r/guest/finished"
	printf 'KTAP version 1\n1..1\n    # Subtest: s\n    1..2\n    ok 1 case_a\n    ok 2 case_b # SKIP no device\nok 1 s\n' >"$r/guest/kunit-s.tap"
	printf '[    1.0] all fine\n' >"$r/guest/dmesg"
	out=$("$top/scripts/verdict.py" "$r" 2>&1)
	[ $? -eq 0 ] && [ "$(tail -n 1 <<<"$out")" = "1 passed, 0 failed" ] && grep -q '^skipped: 1' <<<"$out" &&
		ok "verdict: a pass counts, a skip is shown and not counted as a pass" ||
		not_ok "verdict: a pass counts, a skip is shown and not counted as a pass" "$out"

	printf '[    2.0] WARNING: CPU: 0 PID: 1 at kernel/irq/msi.c:100 msi_test+0x1/0x2\n' >>"$r/guest/dmesg"
	out=$("$top/scripts/verdict.py" "$r" 2>&1)
	[ $? -ne 0 ] && [ "$(tail -n 1 <<<"$out")" = "1 passed, 1 failed" ] &&
		ok "verdict: a WARN in the guest's dmesg fails the run" ||
		not_ok "verdict: a WARN in the guest's dmesg fails the run" "$out"

	printf '[    0.0] rcu: \tRCU lockdep checking is enabled.\n' >"$r/guest/dmesg"
	out=$("$top/scripts/verdict.py" "$r" 2>&1)
	[ $? -eq 0 ] && [ "$(tail -n 1 <<<"$out")" = "1 passed, 0 failed" ] &&
		ok "verdict: lockdep's boot banner is not a report" ||
		not_ok "verdict: lockdep's boot banner is not a report" "$out"

	printf '[    1.0] all fine\n' >"$r/guest/dmesg"
	printf 'guest kunit-s\nguest kselftest-missing\n' >"$work/expected"
	out=$("$top/scripts/verdict.py" "$r" "$work/expected" 2>&1)
	[ $? -ne 0 ] && grep -q 'kselftest-missing: expected TAP result missing' <<<"$out" &&
		ok "verdict: a missing expected TAP result fails the run" ||
		not_ok "verdict: a missing expected TAP result fails the run" "$out"

	rm "$r/guest/finished"
	out=$("$top/scripts/verdict.py" "$r" 2>&1)
	[ $? -ne 0 ] && grep -q 'did not finish' <<<"$out" &&
		ok "verdict: a guest that did not finish fails the run" ||
		not_ok "verdict: a guest that did not finish fails the run" "$out"
	touch "$r/guest/finished"

	printf 'TAP version 13\n1..3\nok 1 a\nnot ok 2 b\n' >"$r/guest/kselftest-t.tap"
	out=$("$top/scripts/verdict.py" "$r" 2>&1)
	grep -q 'FAIL guest/kselftest-t/b' <<<"$out" && grep -q 'incomplete: 2 of 3' <<<"$out" &&
		ok "verdict: failed and missing results in a TAP file count as failures" ||
		not_ok "verdict: failed and missing results in a TAP file count as failures" "$out"

	# What the kselftest runner writes: the subtests, prefixed with '# ',
	# count each; a skipped subtest is a skip although the test says ok.
	printf 'TAP version 13\n1..1\n# selftests: t: t.sh\n# TAP version 13\n# 1..3\n# ok 1 x\n# ok 2 y\n# ok 3 z # SKIP no edu\nok 1 selftests: t: t.sh\n' >"$r/guest/kselftest-t.tap"
	out=$("$top/scripts/verdict.py" "$r" 2>&1)
	[ $? -eq 0 ] && [ "$(tail -n 1 <<<"$out")" = "3 passed, 0 failed" ] && grep -q '^skipped: 2' <<<"$out" &&
		ok "verdict: kselftest subtests count one by one" ||
		not_ok "verdict: kselftest subtests count one by one" "$out"

	printf 'unreferenced object 0xffff888003a1b000 (size 64):\n  comm "sh", pid 1\n' >"$r/guest/kmemleak"
	out=$("$top/scripts/verdict.py" "$r" 2>&1)
	[ $? -ne 0 ] && grep -q 'kmemleak reports 1 unreferenced objects' <<<"$out" &&
		ok "verdict: a leak kmemleak found fails the run" ||
		not_ok "verdict: a leak kmemleak found fails the run" "$out"
	: >"$r/guest/kmemleak"
}

# The targets file: every guest runs every target, the quick debug run only
# those marked "quick:", with their settings.
test_targets()
{
	local f=$work/targets out
	printf '# comment\n\nalpha\t\tquick: A=1  B=two # why\nbeta\ngamma quick:\n' >"$f"
	out=$(IMS_KSFT_TARGETS=$f bash -c '. "$1/scripts/lib.sh"; kselftest_targets | tr "\n" " "; echo "|"
		quick_targets | tr "\n" " "; echo "|"; quick_settings | tr "\n" " "' _ "$top")
	[ "$out" = "alpha beta gamma |
alpha gamma |
A=1 B=two " ] && ok "kselftest-targets: all targets, the quick ones and their settings" ||
		not_ok "kselftest-targets: all targets, the quick ones and their settings" "$out"
	out=$(IMS_KSFT_TARGETS=$work/no-such-file bash -c '. "$1/scripts/lib.sh"; kselftest_targets; quick_targets' _ "$top")
	[ -z "$out" ] && ok "kselftest-targets: no file, no targets" ||
		not_ok "kselftest-targets: no file, no targets" "$out"
}

test_shellcheck()
{
	if ! command -v shellcheck >/dev/null 2>&1; then
		n=$((n + 1))
		echo "ok $n shellcheck of the workbench scripts # SKIP shellcheck is not installed" >>"$tap.body"
		return
	fi
	local out
	out=$(cd "$top" && shellcheck -x scripts/*.sh scripts/guest/*.sh selftests/workbench/*.sh selftests/cocci/*.sh .ci/run 2>&1)
	[ $? -eq 0 ] && ok "shellcheck of the workbench scripts" || not_ok "shellcheck of the workbench scripts" "$(head -n 5 <<<"$out")"
}

test_base
test_apply_export
test_verdict
test_targets
test_shellcheck

{
	echo "TAP version 13"
	echo "1..$n"
	cat "$tap.body"
} >"$tap"
rm -f "$tap.body"
cat "$tap"
exit $((failed > 0))
